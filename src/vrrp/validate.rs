//! Receive validation of a VRRP advertisement: an ordered checklist that names its reason.
//!
//! The wire codec has already parsed the packet (length and checksum are its business: it reports
//! those failures as [`DropReason::Length`] and [`DropReason::Checksum`] through
//! [`super::Input::Malformed`]). [`validate`] runs the remaining checks of RFC 5798 section 7.1 /
//! RFC 3768 section 7.1 in the order of keepalived's `vrrp_check_packet()` (reference section 2.4):
//!
//! 1. VRID (the daemon demultiplexes by VRID; a packet routed here by mistake is refused);
//! 2. IPv4 AH header present iff `auth_type AH` is configured;
//! 3. TTL / hop limit 255, for a multicast instance only;
//! 4. version;
//! 5. VRRPv2 authentication: type known, type as configured, password / AH (next header, ICV,
//!    SPI, sequence number: [`AhCheck`], computed by the executor, which keeps the key and the
//!    instance's sequence counter);
//! 6. VRRPv2 Adver Int equal to ours (VRRPv3: a zero interval is refused, see below);
//! 7. type ADVERTISEMENT;
//! 8. multicast destination for a multicast instance, unicast for a unicast one;
//! 9. an address owner with `owner_ignore_adverts` drops everything;
//! 10. the address list (count, then every configured VIP present);
//! 11. with `check_unicast_src`: the source is a configured peer, and its TTL in the peer's range.
//!
//! Steps 10 and 11 are skipped, as keepalived does, when `skip_check_adv_addr` is set and the
//! source is the master we already know.
//!
//! Invariant: every [`DropReason`] variant maps to exactly one field of [`Counters`]
//! ([`Counters::record_drop`]); the stats dump prints them. Nothing here panics on any input.
//!
//! Address-list mismatch: the reference (section 2.4, item 13) says keepalived logs and counts it
//! but accepts the packet. The keepalived sources read for this module (`vrrp_check_packet()`,
//! 2.2 to 2.4 era) return `VRRP_PACKET_KO` for both a wrong count and a missing VIP, and users'
//! logs show the packet ignored ("bogus VRRP packet received ... ignoring received advertisment").
//! We follow the code: the packet is dropped and `addr_list_err` counted. (RFC 3768 7.1 also
//! says drop, except from an address owner; keepalived has no owner exception and neither do we.)

use std::net::IpAddr;
use std::time::Duration;

use super::instance::{Auth, Params};

/// The VRRP packet type of an advertisement (the only type defined).
pub const TYPE_ADVERTISEMENT: u8 = 1;

/// A received advertisement, as decoded by the wire codec.
///
/// Borrowed so that the daemon can decode into a reused buffer: no allocation per packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Advert<'a> {
    /// 2 or 3 (anything else is kept, and refused by [`validate`]).
    pub version: u8,
    /// The type field; 1 is ADVERTISEMENT.
    pub kind: u8,
    /// Virtual Router IDentifier.
    pub vrid: u8,
    /// 0 (master stopping) ..= 255 (address owner).
    pub priority: u8,
    /// VRRPv2: Adver Int (whole seconds); VRRPv3: Max Adver Int (centiseconds).
    pub interval: Duration,
    /// The IPvX addresses carried by the advertisement, in packet order.
    pub addrs: &'a [IpAddr],
    /// VRRPv2 Auth Type field (0 none, 1 simple password, 2 IP AH); 0 for VRRPv3.
    pub auth_type: u8,
    /// VRRPv2 Authentication Data (8 bytes); zeros for VRRPv3.
    pub auth_data: [u8; 8],
    /// IPv4 AH: `None` when the packet had no AH header, else what the executor found checking
    /// it against the instance's key and sequence number ([`AhCheck`]).
    pub ah: Option<AhCheck>,
}

/// The verdict on an AH header (keepalived's `vrrp_in_chk_ipsecah()` order: next header, ICV,
/// SPI, sequence number). The executor computes it (the key and the last sequence number are
/// per instance); [`validate`] turns it into a [`DropReason`] at keepalived's step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AhCheck {
    /// ICV, SPI and sequence number all good.
    Ok,
    /// Next header not VRRP (keepalived drops such a packet silently), or a payload length
    /// other than 4.
    Header,
    /// The HMAC-MD5-96 does not verify: another password, or a changed packet.
    Icv,
    /// The SPI is not the IPv4 source address.
    Spi,
    /// The sequence number is not above the last one seen or sent by this instance.
    Replay { got: u32, last: u32 },
}

/// What the socket layer knows about a received packet besides its payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RxMeta {
    /// IP source address of the packet.
    pub src: IpAddr,
    /// The destination was a multicast group (else a unicast address of ours).
    pub multicast: bool,
    /// IPv4 TTL / IPv6 hop limit, when the kernel reported it.
    pub ttl: Option<u8>,
}

/// Which part of the address list did not match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddrMismatch {
    /// Count IPvX Addr differs from the number of configured VIPs.
    Count { got: usize, want: usize },
    /// A configured VIP is absent from the advertisement.
    Missing(IpAddr),
}

/// Why a received packet was dropped. Each variant is one counter of [`Counters`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DropReason {
    /// Found by the codec: the packet is shorter or longer than its headers say.
    Length { got: usize, want: usize },
    /// Found by the codec: the VRRP checksum does not verify.
    Checksum,
    /// The VRID is not this instance's.
    Vrid { got: u8 },
    /// Multicast instance, TTL / hop limit not 255 (RFC 5798 7.1).
    Ttl { got: u8 },
    /// The version is not the configured one.
    Version { got: u8, want: u8 },
    /// VRRPv2 auth type outside 0..=2.
    InvalidAuthType { got: u8 },
    /// VRRPv2 auth type (or presence of an AH header) differs from the configured one.
    AuthTypeMismatch { got: u8, want: u8 },
    /// Wrong password.
    AuthFailure,
    /// AH: next header not VRRP or payload length not 4 ([`AhCheck::Header`]).
    AhHeader,
    /// AH: the ICV does not verify.
    AhIcv,
    /// AH: the SPI is not the source address.
    AhSpi,
    /// AH: a sequence number already seen (a replay, or a peer restarted below our counter).
    AhReplay { got: u32, last: u32 },
    /// VRRPv2 Adver Int differs from ours (or a VRRPv3 interval of zero).
    Interval { got: Duration, want: Duration },
    /// The type is not ADVERTISEMENT.
    InvalidType { got: u8 },
    /// Multicast received by a unicast instance, or the reverse.
    Destination { multicast: bool },
    /// An address owner with `owner_ignore_adverts`.
    OwnerIgnore,
    /// The address list does not match the configured VIPs.
    AddrList(AddrMismatch),
    /// `check_unicast_src`: the source is not a configured unicast peer.
    NotPeer,
    /// `check_unicast_src`: the TTL is outside the peer's `min_ttl`..`max_ttl`.
    PeerTtl { got: u8, min: u8, max: u8 },
}

impl DropReason {
    /// keepalived counts an advertisement as received once type, version, length and destination
    /// are right (`advert_rcvd` is incremented just before the address checks).
    pub fn counts_as_received(&self) -> bool {
        matches!(
            self,
            DropReason::OwnerIgnore
                | DropReason::AddrList(_)
                | DropReason::NotPeer
                | DropReason::PeerTtl { .. }
        )
    }

    /// A short name of the reason (the rate limit's summary lines).
    pub fn name(&self) -> &'static str {
        match self {
            DropReason::Length { .. } => "length",
            DropReason::Checksum => "checksum",
            DropReason::Vrid { .. } => "VRID",
            DropReason::Ttl { .. } => "TTL",
            DropReason::Version { .. } => "version",
            DropReason::InvalidAuthType { .. } => "auth type",
            DropReason::AuthTypeMismatch { .. } => "auth type mismatch",
            DropReason::AuthFailure => "authentication",
            DropReason::AhHeader => "AH header",
            DropReason::AhIcv => "AH ICV",
            DropReason::AhSpi => "AH SPI",
            DropReason::AhReplay { .. } => "AH sequence number",
            DropReason::Interval { .. } => "interval",
            DropReason::InvalidType { .. } => "type",
            DropReason::Destination { .. } => "destination",
            DropReason::OwnerIgnore => "owner ignores adverts",
            DropReason::AddrList(_) => "address list",
            DropReason::NotPeer => "not a unicast peer",
            DropReason::PeerTtl { .. } => "unicast peer TTL",
        }
    }

    /// The log line, in keepalived's words where keepalived has them.
    pub fn line(&self, name: &str, src: IpAddr) -> String {
        match *self {
            DropReason::Length { got, want } => format!(
                "({name}) vrrp packet too {}, length {got} and expect {want}",
                if got > want { "long" } else { "short" }
            ),
            DropReason::Checksum => format!("({name}) Invalid VRRP checksum from {src}"),
            DropReason::Vrid { got } => {
                format!("({name}) Unknown VRID({got}) received from {src}. ignoring...")
            }
            DropReason::Ttl { got } => {
                format!("({name}) invalid TTL/HL. Received {got} and expect 255")
            }
            DropReason::Version { got, want } => {
                format!("({name}) wrong version. Received {got} and expect {want}")
            }
            DropReason::InvalidAuthType { got } => format!("({name}) Invalid auth type: {got}"),
            DropReason::AuthTypeMismatch { got, want } => {
                format!("({name}) received a {got} auth, expecting {want}!")
            }
            DropReason::AuthFailure => format!("({name}) received an invalid passwd!"),
            DropReason::AhHeader => {
                format!("({name}) IPSEC-AH : header from {src} is not AH(VRRP) of length 4")
            }
            DropReason::AhIcv => format!(
                "({name}) IPSEC-AH : invalid IPSEC HMAC-MD5 value. Due to fields mutation or bad password !"
            ),
            DropReason::AhSpi => format!("({name}) IPSEC-AH : invalid IPSEC SPI value from {src}"),
            DropReason::AhReplay { got, last } => format!(
                "({name}) IPSEC-AH : sequence number {got} already processed. Packet dropped. Local({last})"
            ),
            DropReason::Interval { got, want } => format!(
                "({name}) advertisement interval mismatch mine={} ms rcv'd={} ms",
                want.as_millis(),
                got.as_millis()
            ),
            DropReason::InvalidType { got } => {
                format!("({name}) Invalid packet type. {got} and expect {TYPE_ADVERTISEMENT}")
            }
            DropReason::Destination { multicast } => format!(
                "({name}) Expected {}icast packet but received {}icast packet",
                if multicast { "un" } else { "mult" },
                if multicast { "mult" } else { "un" }
            ),
            DropReason::OwnerIgnore => {
                format!("({name}) address owner ignoring advert from {src}")
            }
            DropReason::AddrList(AddrMismatch::Count { got, want }) => {
                format!("({name}) expected {want} VIPs but received {got}")
            }
            DropReason::AddrList(AddrMismatch::Missing(vip)) => format!(
                "({name}) ip address associated with VRID not present in MASTER advert : {vip}"
            ),
            DropReason::NotPeer => {
                format!("({name}) unicast source address {src} not a unicast peer")
            }
            DropReason::PeerTtl { got, min, max } => {
                format!("({name}) TTL/HL {got} not in range {min} - {max}")
            }
        }
    }
}

/// Per-instance statistics: what keepalived's stats file (`SIGUSR2`) prints, plus one field per
/// [`DropReason`] variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counters {
    /// Advertisements that passed type, version, length and destination checks.
    pub adverts_received: u64,
    /// Advertisements sent, priority 0 included.
    pub adverts_sent: u64,
    /// Transitions to MASTER.
    pub became_master: u64,
    /// Transitions out of MASTER.
    pub released_master: u64,
    /// Valid advertisements with priority 0.
    pub priority_zero_received: u64,
    /// Priority-0 advertisements sent.
    pub priority_zero_sent: u64,
    /// [`DropReason::Length`] (keepalived "Packet Errors: Length").
    pub length_errors: u64,
    /// [`DropReason::Checksum`].
    pub checksum_errors: u64,
    /// [`DropReason::Vrid`].
    pub vrid_errors: u64,
    /// [`DropReason::Ttl`] (keepalived "Packet Errors: TTL", with `peer_ttl_errors`).
    pub ttl_errors: u64,
    /// [`DropReason::Version`].
    pub version_errors: u64,
    /// [`DropReason::InvalidAuthType`] ("Authentication Errors: Invalid Type").
    pub invalid_auth_type: u64,
    /// [`DropReason::AuthTypeMismatch`] ("Authentication Errors: Type Mismatch").
    pub auth_type_mismatch: u64,
    /// [`DropReason::AuthFailure`] ("Authentication Errors: Failure").
    pub auth_failures: u64,
    /// [`DropReason::AhHeader`] (keepalived drops it without counting).
    pub ah_header_errors: u64,
    /// [`DropReason::AhIcv`] (keepalived: "Authentication Errors: Failure").
    pub ah_icv_errors: u64,
    /// [`DropReason::AhSpi`] (keepalived: "Authentication Errors: Failure").
    pub ah_spi_errors: u64,
    /// [`DropReason::AhReplay`] (keepalived: "Authentication Errors: Failure").
    pub ah_replay_errors: u64,
    /// [`DropReason::Interval`] ("Packet Errors: Advertisement Interval").
    pub interval_errors: u64,
    /// [`DropReason::InvalidType`] ("Packet Errors: Invalid Type").
    pub invalid_type: u64,
    /// [`DropReason::Destination`] (keepalived counts it as an address list error).
    pub destination_errors: u64,
    /// [`DropReason::OwnerIgnore`].
    pub owner_ignored: u64,
    /// [`DropReason::AddrList`] ("Packet Errors: Address List").
    pub address_list_errors: u64,
    /// [`DropReason::NotPeer`].
    pub unicast_src_errors: u64,
    /// [`DropReason::PeerTtl`].
    pub peer_ttl_errors: u64,
}

impl Counters {
    /// Counts one dropped packet under its reason.
    pub fn record_drop(&mut self, reason: &DropReason) {
        let field = match reason {
            DropReason::Length { .. } => &mut self.length_errors,
            DropReason::Checksum => &mut self.checksum_errors,
            DropReason::Vrid { .. } => &mut self.vrid_errors,
            DropReason::Ttl { .. } => &mut self.ttl_errors,
            DropReason::Version { .. } => &mut self.version_errors,
            DropReason::InvalidAuthType { .. } => &mut self.invalid_auth_type,
            DropReason::AuthTypeMismatch { .. } => &mut self.auth_type_mismatch,
            DropReason::AuthFailure => &mut self.auth_failures,
            DropReason::AhHeader => &mut self.ah_header_errors,
            DropReason::AhIcv => &mut self.ah_icv_errors,
            DropReason::AhSpi => &mut self.ah_spi_errors,
            DropReason::AhReplay { .. } => &mut self.ah_replay_errors,
            DropReason::Interval { .. } => &mut self.interval_errors,
            DropReason::InvalidType { .. } => &mut self.invalid_type,
            DropReason::Destination { .. } => &mut self.destination_errors,
            DropReason::OwnerIgnore => &mut self.owner_ignored,
            DropReason::AddrList(_) => &mut self.address_list_errors,
            DropReason::NotPeer => &mut self.unicast_src_errors,
            DropReason::PeerTtl { .. } => &mut self.peer_ttl_errors,
        };
        *field += 1;
        if reason.counts_as_received() {
            self.adverts_received += 1;
        }
    }

    /// keepalived's "Authentication Errors: Failure" line: a wrong password, and an AH ICV, SPI
    /// or sequence number that does not verify.
    pub fn auth_failures_total(&self) -> u64 {
        self.auth_failures + self.ah_icv_errors + self.ah_spi_errors + self.ah_replay_errors
    }

    /// keepalived's "TTL" line sums both TTL checks.
    pub fn ttl_errors_total(&self) -> u64 {
        self.ttl_errors + self.peer_ttl_errors
    }
}

/// Runs the checklist of the module doc. `known_master` is the source of the last accepted
/// advertisement while in BACKUP (for `skip_check_adv_addr`), `None` otherwise.
pub fn validate(
    p: &Params,
    adv: &Advert<'_>,
    meta: &RxMeta,
    known_master: Option<IpAddr>,
) -> Result<(), DropReason> {
    // Demultiplexing by VRID (RFC 5798 7.1: "MUST verify that the VRID is configured").
    if adv.vrid != p.vrid {
        return Err(DropReason::Vrid { got: adv.vrid });
    }
    // keepalived step 1: an AH header must be present exactly when auth_type AH is configured.
    let want_ah = matches!(p.auth, Auth::Ah(_));
    if adv.ah.is_some() != want_ah {
        return Err(DropReason::AuthTypeMismatch {
            got: if adv.ah.is_some() { 2 } else { adv.auth_type },
            want: p.auth.type_code(),
        });
    }
    // RFC 5798 7.1 / RFC 3768 7.1: "MUST verify that the IP TTL is 255". keepalived: only for a
    // multicast instance; unicast instances check per-peer ranges instead (step 11).
    if p.unicast_peers.is_empty()
        && let Some(ttl) = meta.ttl
        && ttl != 255
    {
        return Err(DropReason::Ttl { got: ttl });
    }
    // RFC 5798 7.1: "MUST verify the VRRP version".
    if adv.version != p.version {
        return Err(DropReason::Version {
            got: adv.version,
            want: p.version,
        });
    }
    if p.version == 2 {
        check_v2_auth(p, adv)?;
        // RFC 3768 7.1: "MUST verify that the Adver Interval in the packet is the same as the
        // locally configured for this virtual router". keepalived: VRRP_PACKET_DROP.
        if adv.interval != p.advert_int {
            return Err(DropReason::Interval {
                got: adv.interval,
                want: p.advert_int,
            });
        }
    } else if adv.interval.is_zero() {
        // Deviation: keepalived accepts Max Adver Int 0, which a backup would adopt and so time
        // out after Skew_Time * 0 + 0 = at once. We refuse it: no valid sender emits it.
        return Err(DropReason::Interval {
            got: adv.interval,
            want: p.advert_int,
        });
    }
    if adv.kind != TYPE_ADVERTISEMENT {
        return Err(DropReason::InvalidType { got: adv.kind });
    }
    // keepalived: the destination kind must match the instance mode.
    if meta.multicast != p.unicast_peers.is_empty() {
        return Err(DropReason::Destination {
            multicast: meta.multicast,
        });
    }
    if p.owner_ignore_adverts && p.priority == super::PRIO_OWNER {
        return Err(DropReason::OwnerIgnore);
    }
    // keepalived `skip_check_adv_addr`: no address checks for the master we already know.
    if p.skip_check_adv_addr && known_master == Some(meta.src) {
        return Ok(());
    }
    // RFC 5798 7.1: "MAY verify that the IPvX Address(es) associated with the VRID are valid".
    check_addr_list(&p.vips, adv.addrs)?;
    if p.check_unicast_src && !p.unicast_peers.is_empty() {
        let Some(peer) = p.unicast_peers.iter().find(|u| u.addr == meta.src) else {
            return Err(DropReason::NotPeer);
        };
        if let Some(ttl) = meta.ttl
            && !(peer.min_ttl..=peer.max_ttl).contains(&ttl)
        {
            return Err(DropReason::PeerTtl {
                got: ttl,
                min: peer.min_ttl,
                max: peer.max_ttl,
            });
        }
    }
    Ok(())
}

/// RFC 3768 7.1 / RFC 2338 7.1: "MUST perform authentication specified by Auth Type".
fn check_v2_auth(p: &Params, adv: &Advert<'_>) -> Result<(), DropReason> {
    if adv.auth_type > 2 {
        return Err(DropReason::InvalidAuthType { got: adv.auth_type });
    }
    let want = p.auth.type_code();
    if adv.auth_type != want {
        return Err(DropReason::AuthTypeMismatch {
            got: adv.auth_type,
            want,
        });
    }
    match &p.auth {
        Auth::None => Ok(()),
        Auth::Pass(pw) if constant_time_eq(pw, &adv.auth_data) => Ok(()),
        Auth::Pass(_) => Err(DropReason::AuthFailure),
        Auth::Ah(_) => match adv.ah {
            Some(AhCheck::Ok) => Ok(()),
            Some(AhCheck::Header) => Err(DropReason::AhHeader),
            Some(AhCheck::Spi) => Err(DropReason::AhSpi),
            Some(AhCheck::Replay { got, last }) => Err(DropReason::AhReplay { got, last }),
            Some(AhCheck::Icv) | None => Err(DropReason::AhIcv),
        },
    }
}

fn check_addr_list(vips: &[IpAddr], got: &[IpAddr]) -> Result<(), DropReason> {
    if got.len() != vips.len() {
        return Err(DropReason::AddrList(AddrMismatch::Count {
            got: got.len(),
            want: vips.len(),
        }));
    }
    match vips.iter().find(|v| !got.contains(v)) {
        Some(&missing) => Err(DropReason::AddrList(AddrMismatch::Missing(missing))),
        None => Ok(()),
    }
}

/// Compares the 8 password bytes without an early exit (as keepalived's `memcmp_constant_time`).
fn constant_time_eq(a: &[u8; 8], b: &[u8; 8]) -> bool {
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use super::*;
    use crate::vrrp::Peer;

    fn ip(last: u8) -> IpAddr {
        IpAddr::V4(Ipv4Addr::new(10, 0, 0, last))
    }

    const VIPS: [IpAddr; 2] = [
        IpAddr::V4(Ipv4Addr::new(10, 0, 0, 100)),
        IpAddr::V4(Ipv4Addr::new(10, 0, 0, 101)),
    ];

    fn params() -> Params {
        let mut p = Params::new("VI_1", 51, ip(5));
        p.vips = VIPS.to_vec();
        p
    }

    fn good() -> Advert<'static> {
        Advert {
            version: 2,
            kind: 1,
            vrid: 51,
            priority: 100,
            interval: Duration::from_secs(1),
            addrs: &VIPS,
            auth_type: 0,
            auth_data: [0; 8],
            ah: None,
        }
    }

    fn mcast() -> RxMeta {
        RxMeta {
            src: ip(9),
            multicast: true,
            ttl: Some(255),
        }
    }

    fn check(p: &Params, a: Advert<'_>, m: RxMeta) -> Result<(), DropReason> {
        validate(p, &a, &m, None)
    }

    #[test]
    fn a_good_advert_passes() {
        assert_eq!(check(&params(), good(), mcast()), Ok(()));
        // Order of the addresses does not matter.
        let rev = [VIPS[1], VIPS[0]];
        let a = Advert {
            addrs: &rev,
            ..good()
        };
        assert_eq!(check(&params(), a, mcast()), Ok(()));
    }

    #[test]
    fn each_check_names_its_reason() {
        let p = params();
        let bad_ttl = RxMeta {
            ttl: Some(64),
            ..mcast()
        };
        let unicast = RxMeta {
            multicast: false,
            ..mcast()
        };
        let one = [VIPS[0]];
        let other = [VIPS[0], ip(7)];
        let cases: Vec<(Advert<'_>, RxMeta, DropReason)> = vec![
            (
                Advert { vrid: 52, ..good() },
                mcast(),
                DropReason::Vrid { got: 52 },
            ),
            (
                Advert {
                    ah: Some(AhCheck::Ok),
                    ..good()
                },
                mcast(),
                DropReason::AuthTypeMismatch { got: 2, want: 0 },
            ),
            (good(), bad_ttl, DropReason::Ttl { got: 64 }),
            (
                Advert {
                    version: 3,
                    ..good()
                },
                mcast(),
                DropReason::Version { got: 3, want: 2 },
            ),
            (
                Advert {
                    auth_type: 7,
                    ..good()
                },
                mcast(),
                DropReason::InvalidAuthType { got: 7 },
            ),
            (
                Advert {
                    auth_type: 1,
                    ..good()
                },
                mcast(),
                DropReason::AuthTypeMismatch { got: 1, want: 0 },
            ),
            (
                Advert {
                    interval: Duration::from_secs(2),
                    ..good()
                },
                mcast(),
                DropReason::Interval {
                    got: Duration::from_secs(2),
                    want: Duration::from_secs(1),
                },
            ),
            (
                Advert { kind: 2, ..good() },
                mcast(),
                DropReason::InvalidType { got: 2 },
            ),
            (
                good(),
                unicast,
                DropReason::Destination { multicast: false },
            ),
            (
                Advert {
                    addrs: &one,
                    ..good()
                },
                mcast(),
                DropReason::AddrList(AddrMismatch::Count { got: 1, want: 2 }),
            ),
            (
                Advert {
                    addrs: &other,
                    ..good()
                },
                mcast(),
                DropReason::AddrList(AddrMismatch::Missing(VIPS[1])),
            ),
        ];
        let mut counters = Counters::default();
        for (a, m, want) in cases {
            let got = check(&p, a, m);
            assert_eq!(got, Err(want), "{a:?} {m:?}");
            counters.record_drop(&want);
            assert!(!want.line("VI_1", m.src).is_empty());
        }
        let c = counters;
        assert_eq!(
            [
                c.vrid_errors,
                c.auth_type_mismatch,
                c.ttl_errors,
                c.version_errors,
                c.invalid_auth_type,
                c.interval_errors,
                c.invalid_type,
                c.destination_errors,
                c.address_list_errors,
                c.adverts_received,
            ],
            [1, 2, 1, 1, 1, 1, 1, 1, 2, 2]
        );
    }

    #[test]
    fn the_first_failing_check_wins() {
        // Wrong TTL, version, type and addresses at once: TTL comes first (reference 2.4).
        let a = Advert {
            version: 3,
            kind: 9,
            addrs: &[],
            ..good()
        };
        let m = RxMeta {
            ttl: Some(1),
            ..mcast()
        };
        assert_eq!(check(&params(), a, m), Err(DropReason::Ttl { got: 1 }));
    }

    #[test]
    fn v2_password() {
        let mut p = params();
        p.auth = Auth::pass("secret-longer-than-8");
        let Auth::Pass(pw) = p.auth else {
            unreachable!()
        };
        assert_eq!(&pw, b"secret-l");
        let ok = Advert {
            auth_type: 1,
            auth_data: pw,
            ..good()
        };
        assert_eq!(check(&p, ok, mcast()), Ok(()));
        let bad = Advert {
            auth_data: *b"secret-x",
            ..ok
        };
        assert_eq!(check(&p, bad, mcast()), Err(DropReason::AuthFailure));
        assert_eq!(
            check(&p, good(), mcast()),
            Err(DropReason::AuthTypeMismatch { got: 0, want: 1 })
        );
        // Short passwords are zero padded.
        assert_eq!(Auth::pass("ab"), Auth::Pass(*b"ab\0\0\0\0\0\0"));
    }

    #[test]
    fn v2_ah() {
        let mut p = params();
        p.auth = Auth::Ah(*b"secret12");
        let ok = Advert {
            auth_type: 2,
            ah: Some(AhCheck::Ok),
            ..good()
        };
        assert_eq!(check(&p, ok, mcast()), Ok(()));
        let mut c = Counters::default();
        for (verdict, want) in [
            (AhCheck::Header, DropReason::AhHeader),
            (AhCheck::Icv, DropReason::AhIcv),
            (AhCheck::Spi, DropReason::AhSpi),
            (
                AhCheck::Replay { got: 3, last: 7 },
                DropReason::AhReplay { got: 3, last: 7 },
            ),
        ] {
            let bad = Advert {
                ah: Some(verdict),
                ..ok
            };
            assert_eq!(check(&p, bad, mcast()), Err(want));
            c.record_drop(&want);
            assert!(want.line("VI_1", ip(9)).contains("IPSEC-AH"));
        }
        assert_eq!(
            [
                c.ah_header_errors,
                c.ah_icv_errors,
                c.ah_spi_errors,
                c.ah_replay_errors,
                c.auth_failures_total(),
                c.adverts_received,
            ],
            [1, 1, 1, 1, 3, 0]
        );
        // AH header missing, or the VRRP auth type not 2 inside it: a type mismatch.
        let missing = Advert { ah: None, ..ok };
        assert_eq!(
            check(&p, missing, mcast()),
            Err(DropReason::AuthTypeMismatch { got: 2, want: 2 })
        );
        let pass_inside = Advert { auth_type: 1, ..ok };
        assert_eq!(
            check(&p, pass_inside, mcast()),
            Err(DropReason::AuthTypeMismatch { got: 1, want: 2 })
        );
    }

    #[test]
    fn v3_interval_is_not_compared_but_zero_is_refused() {
        let mut p = params();
        p.version = 3;
        let a = Advert {
            version: 3,
            interval: Duration::from_millis(370),
            ..good()
        };
        assert_eq!(check(&p, a, mcast()), Ok(()));
        let z = Advert {
            interval: Duration::ZERO,
            ..a
        };
        assert!(matches!(
            check(&p, z, mcast()),
            Err(DropReason::Interval { .. })
        ));
    }

    #[test]
    fn owner_ignore_adverts() {
        let mut p = params();
        p.priority = 255;
        assert_eq!(check(&p, good(), mcast()), Ok(()));
        p.owner_ignore_adverts = true;
        assert_eq!(check(&p, good(), mcast()), Err(DropReason::OwnerIgnore));
    }

    #[test]
    fn skip_check_adv_addr_only_for_the_known_master() {
        let mut p = params();
        p.skip_check_adv_addr = true;
        let a = Advert {
            addrs: &[],
            ..good()
        };
        let m = mcast();
        assert_eq!(validate(&p, &a, &m, Some(m.src)), Ok(()));
        assert!(validate(&p, &a, &m, Some(ip(8))).is_err());
        assert!(validate(&p, &a, &m, None).is_err());
    }

    #[test]
    fn unicast_source_and_ttl_ranges() {
        let mut p = params();
        p.unicast_peers = vec![
            Peer {
                addr: ip(9),
                min_ttl: 250,
                max_ttl: 255,
            },
            Peer::new(ip(8)),
        ];
        let uni = |src, ttl| RxMeta {
            src,
            multicast: false,
            ttl: Some(ttl),
        };
        // Without check_unicast_src anything unicast goes, any TTL.
        assert_eq!(check(&p, good(), uni(ip(7), 3)), Ok(()));
        p.check_unicast_src = true;
        assert_eq!(check(&p, good(), uni(ip(9), 254)), Ok(()));
        assert_eq!(check(&p, good(), uni(ip(8), 1)), Ok(()));
        assert_eq!(check(&p, good(), uni(ip(7), 255)), Err(DropReason::NotPeer));
        assert_eq!(
            check(&p, good(), uni(ip(9), 64)),
            Err(DropReason::PeerTtl {
                got: 64,
                min: 250,
                max: 255
            })
        );
        // A multicast packet on a unicast instance.
        assert_eq!(
            check(&p, good(), mcast()),
            Err(DropReason::Destination { multicast: true })
        );
    }

    #[test]
    fn every_reason_has_its_own_counter() {
        let all = [
            DropReason::Length { got: 1, want: 2 },
            DropReason::Checksum,
            DropReason::Vrid { got: 1 },
            DropReason::Ttl { got: 1 },
            DropReason::Version { got: 1, want: 2 },
            DropReason::InvalidAuthType { got: 9 },
            DropReason::AuthTypeMismatch { got: 1, want: 0 },
            DropReason::AuthFailure,
            DropReason::Interval {
                got: Duration::ZERO,
                want: Duration::ZERO,
            },
            DropReason::InvalidType { got: 0 },
            DropReason::Destination { multicast: true },
            DropReason::OwnerIgnore,
            DropReason::AddrList(AddrMismatch::Count { got: 0, want: 1 }),
            DropReason::NotPeer,
            DropReason::PeerTtl {
                got: 1,
                min: 2,
                max: 3,
            },
        ];
        let mut c = Counters::default();
        for r in &all {
            c.record_drop(r);
        }
        let fields = [
            c.length_errors,
            c.checksum_errors,
            c.vrid_errors,
            c.ttl_errors,
            c.version_errors,
            c.invalid_auth_type,
            c.auth_type_mismatch,
            c.auth_failures,
            c.interval_errors,
            c.invalid_type,
            c.destination_errors,
            c.owner_ignored,
            c.address_list_errors,
            c.unicast_src_errors,
            c.peer_ttl_errors,
        ];
        assert_eq!(fields, [1; 15]);
        assert_eq!(c.adverts_received, 4);
        assert_eq!(c.ttl_errors_total(), 2);
    }
}
