//! VRRP advertisements: version 2 (RFC 3768) and version 3 (RFC 5798, RFC 9568), over IPv4 and
//! IPv6, byte-compatible with keepalived (reference §2.2, §2.3, §2.9).
//!
//! Receive path, in keepalived's order (`vrrp_check_packet()`), each step naming its [`Error`]:
//! 1. IPv4: [`ipv4_datagram`] reads the IP header (`Truncated`, `BadLength`, `BadVersion`,
//!    `Checksum`, `Unsupported` for a protocol other than 112) and gives the VRRP view; IPv6: the
//!    socket gives the VRRP bytes directly, take [`Packet::new_checked`] with [`Family::V6`].
//! 2. [`Packet::new_checked`]: at least the 8-byte header (`Truncated`), version 2 or 3
//!    (`BadVersion`), the address count and v2 authentication data fit (`BadLength`).
//! 3. [`Repr::parse`]: the value, borrowing the address list from the buffer. Unknown message
//!    and authentication types are kept (`Type::Unknown`, `AuthType::Unknown`): checking them
//!    against the instance is the caller's job, as are TTL, VRID, interval and the address list.
//! 4. [`Packet::verify_checksum`] with the instance's [`ChecksumVariant`], or
//!    [`Packet::detect_checksum_variant`] to learn a peer's variant. Parse never checks it.
//!
//! Invariants of the view: after `new_checked`, [`Packet::message`] (header, addresses, v2
//! authentication data) lies inside the buffer. Bytes after the message are the *trailer*
//! ([`Packet::trailer`]): empty for plain keepalived, keepalived 2.4's 28-byte `auth_hmac`
//! trailer otherwise. The trailer is outside the message and outside the checksum (keepalived
//! sums `sizeof(vrrphdr_t) + naddr × addr [+ 8]`); an instance without `auth_hmac` should drop a
//! packet whose trailer is not empty, as keepalived's exact-length check does.
//!
//! The address list is never copied: [`Addresses`] is a borrowed view, either the wire bytes of
//! a received packet or a caller's `&[Ipv4Addr]`/`&[Ipv6Addr]` to emit. A [`Repr`] therefore
//! lives no longer than the receive buffer; a state machine that keeps addresses past the call
//! must copy them. Up to 255 addresses (the count is one octet).
//!
//! VRRPv2 authentication: the 8 bytes are always present (zeros unless PASS). PASS compares the
//! 8 bytes with the password truncated to 8 and zero padded ([`pass_matches`], constant time).
//! IP AH (`auth_type AH`, IP protocol 51) is [`AuthType::Ah`] here; its header (before this
//! message) is built and checked by [`super::ah`].

use super::bytes;
use super::checksum;
use super::ipv4;
use super::{Error, Family, IpPair, Result};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Length of the fixed header.
pub const HEADER_LEN: usize = 8;
/// Length of the VRRPv2 authentication data.
pub const AUTH_DATA_LEN: usize = 8;
/// Most addresses one advert carries (the count is one octet).
pub const MAX_ADDRESSES: usize = 255;
/// The protocol number in pseudo-headers.
const PROTO: u8 = ipv4::PROTO_VRRP;

mod field {
    pub const VER_TYPE: usize = 0;
    pub const VRID: usize = 1;
    pub const PRIORITY: usize = 2;
    pub const COUNT: usize = 3;
    /// Version 2: authentication type.
    pub const AUTH_TYPE: usize = 4;
    /// Version 2: advertisement interval, seconds.
    pub const ADVER_INT: usize = 5;
    /// Version 3: 4 reserved bits and a 12-bit maximum advertisement interval, centiseconds.
    pub const RSVD_MAX_ADVER_INT: usize = 4;
    pub const CHECKSUM: usize = 6;
    pub const ADDRESSES: usize = 8;
}

/// How the checksum of an advert is computed. VRRPv2 and VRRPv3 over IPv6 have one form each;
/// VRRPv3 over IPv4 has the three that keepalived knows (reference §2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChecksumVariant {
    /// Over the VRRP message only. VRRPv2 (RFC 3768 5.3.8); VRRPv3 over IPv4 as RFC 9568
    /// clarifies and as Cisco/Juniper send (keepalived `v3_checksum_as_v2`).
    Plain,
    /// IPv4 pseudo-header `{src, dst, 0, 112, VRRP length}` then the message, `dst` being the
    /// real destination: keepalived's default for VRRPv3 over IPv4 (`ipv4_phdr_t`).
    Ipv4Pseudo,
    /// keepalived before 1.3.6 for unicast (`old_unicast_checksum`): the IPv4 pseudo-header with
    /// the multicast group as destination whatever the real one (`vrrp_mcast_group4`, default
    /// 224.0.0.18 = [`ipv4::VRRP_GROUP`]). Identical to `Ipv4Pseudo` for multicast adverts.
    Ipv4PseudoLegacy { group: Ipv4Addr },
    /// IPv6 pseudo-header `{src, dst, length (32 bits), 0, 0, 0, 112}` then the message
    /// (RFC 5798 5.2.8): what the kernel computes with `IPV6_CHECKSUM`, for v3 (and keepalived's
    /// non-strict v2) over IPv6.
    Ipv6Pseudo,
}

impl ChecksumVariant {
    /// The variant keepalived sends: IPv6 → `Ipv6Pseudo`; IPv4 v2 → `Plain`; IPv4 v3 →
    /// `Ipv4Pseudo`, or `Plain` with `v3_checksum_as_v2`.
    pub fn sender_default(version: u8, family: Family, v3_checksum_as_v2: bool) -> Self {
        match family {
            Family::V6 => ChecksumVariant::Ipv6Pseudo,
            Family::V4 if version == 3 && !v3_checksum_as_v2 => ChecksumVariant::Ipv4Pseudo,
            Family::V4 => ChecksumVariant::Plain,
        }
    }

    /// The running sum of this variant's pseudo-header for a message of `len` bytes, or `None`
    /// when the variant needs addresses of the other family.
    fn pseudo_sum(self, pair: &IpPair, len: usize) -> Option<u32> {
        match (self, *pair) {
            (ChecksumVariant::Plain, _) => Some(0),
            (ChecksumVariant::Ipv4Pseudo, IpPair::V4 { src, dst }) => {
                Some(checksum::pseudo_header_v4(src, dst, PROTO, len as u16))
            }
            (ChecksumVariant::Ipv4PseudoLegacy { group }, IpPair::V4 { src, .. }) => {
                Some(checksum::pseudo_header_v4(src, group, PROTO, len as u16))
            }
            (ChecksumVariant::Ipv6Pseudo, IpPair::V6 { src, dst }) => {
                Some(checksum::pseudo_header_v6(src, dst, PROTO, len as u32))
            }
            _ => None,
        }
    }
}

/// The message type (4 bits); only Advertisement (1) is defined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Type {
    Advertisement,
    Unknown(u8),
}

impl From<u8> for Type {
    fn from(v: u8) -> Type {
        match v & 0x0f {
            1 => Type::Advertisement,
            other => Type::Unknown(other),
        }
    }
}

impl From<Type> for u8 {
    fn from(t: Type) -> u8 {
        match t {
            Type::Advertisement => 1,
            Type::Unknown(v) => v & 0x0f,
        }
    }
}

/// VRRPv2 authentication type (RFC 2338 5.3.6; RFC 3768 keeps the field, deprecates 1 and 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuthType {
    None,
    /// Simple text password.
    Pass,
    /// IP Authentication Header.
    Ah,
    Unknown(u8),
}

impl From<u8> for AuthType {
    fn from(v: u8) -> AuthType {
        match v {
            0 => AuthType::None,
            1 => AuthType::Pass,
            2 => AuthType::Ah,
            other => AuthType::Unknown(other),
        }
    }
}

impl From<AuthType> for u8 {
    fn from(t: AuthType) -> u8 {
        match t {
            AuthType::None => 0,
            AuthType::Pass => 1,
            AuthType::Ah => 2,
            AuthType::Unknown(v) => v,
        }
    }
}

/// The version and the fields that differ between versions (bytes 4 and 5, and the v2 trailer).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Version {
    /// RFC 3768.
    V2 {
        auth_type: AuthType,
        /// Advertisement interval, seconds.
        advert_int: u8,
        /// The 8 authentication bytes after the addresses (the password for PASS, else zeros).
        auth_data: [u8; AUTH_DATA_LEN],
    },
    /// RFC 5798.
    V3 {
        /// Maximum advertisement interval, centiseconds (12 bits; emit keeps the low 12).
        max_advert_int: u16,
        /// The 4 reserved bits before it (0 when sent; kept so parse then emit round-trips).
        reserved: u8,
    },
}

impl Version {
    /// 2 or 3.
    pub fn number(&self) -> u8 {
        match self {
            Version::V2 { .. } => 2,
            Version::V3 { .. } => 3,
        }
    }
}

/// A borrowed list of addresses, all of one family: as received, or the caller's to send.
#[derive(Debug, Clone, Copy)]
pub enum Addresses<'a> {
    /// As in a packet: addresses back to back in network order (`bytes.len()` a multiple of the
    /// family's address length; a partial last address is ignored).
    Wire {
        family: Family,
        bytes: &'a [u8],
    },
    V4(&'a [Ipv4Addr]),
    V6(&'a [Ipv6Addr]),
}

impl<'a> Addresses<'a> {
    /// The family of the addresses.
    pub fn family(&self) -> Family {
        match self {
            Addresses::Wire { family, .. } => *family,
            Addresses::V4(_) => Family::V4,
            Addresses::V6(_) => Family::V6,
        }
    }

    /// How many addresses.
    pub fn len(&self) -> usize {
        match self {
            Addresses::Wire { family, bytes } => bytes.len() / family.addr_len(),
            Addresses::V4(a) => a.len(),
            Addresses::V6(a) => a.len(),
        }
    }

    /// No address.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The `i`-th address.
    pub fn get(&self, i: usize) -> Option<IpAddr> {
        match *self {
            Addresses::Wire { family, bytes } => {
                let n = family.addr_len();
                let start = i.checked_mul(n)?;
                let chunk = bytes.get(start..start.checked_add(n)?)?;
                Some(match family {
                    Family::V4 => IpAddr::V4(Ipv4Addr::from(bytes::array::<4>(chunk, 0))),
                    Family::V6 => IpAddr::V6(Ipv6Addr::from(bytes::array::<16>(chunk, 0))),
                })
            }
            Addresses::V4(a) => a.get(i).map(|&a| IpAddr::V4(a)),
            Addresses::V6(a) => a.get(i).map(|&a| IpAddr::V6(a)),
        }
    }

    /// The addresses in order.
    pub fn iter(&self) -> AddressIter<'a> {
        AddressIter {
            list: *self,
            next: 0,
        }
    }

    /// True when `addr` is in the list.
    pub fn contains(&self, addr: IpAddr) -> bool {
        self.iter().any(|a| a == addr)
    }

    /// Writes the addresses back to back into `out` (which must hold them).
    fn write(&self, out: &mut [u8]) {
        let n = self.family().addr_len();
        for (i, a) in self.iter().enumerate() {
            let at = i * n;
            match a {
                IpAddr::V4(a) => bytes::put(out, at, &a.octets()),
                IpAddr::V6(a) => bytes::put(out, at, &a.octets()),
            }
        }
    }
}

/// Lists are equal when they hold the same addresses in the same order, however stored.
impl PartialEq for Addresses<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.family() == other.family() && self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl Eq for Addresses<'_> {}

/// Iterator over an [`Addresses`] list.
#[derive(Debug, Clone)]
pub struct AddressIter<'a> {
    list: Addresses<'a>,
    next: usize,
}

impl Iterator for AddressIter<'_> {
    type Item = IpAddr;

    fn next(&mut self) -> Option<IpAddr> {
        let a = self.list.get(self.next)?;
        self.next += 1;
        Some(a)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.list.len().saturating_sub(self.next);
        (n, Some(n))
    }
}

impl ExactSizeIterator for AddressIter<'_> {}

/// A view over a VRRP message (and any trailer after it). The family, which the message does
/// not carry, gives the address length.
///
/// Version 2 (RFC 3768 5.1):
///
/// ```text
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |Version| Type  | Virtual Rtr ID|   Priority    | Count IP Addrs|
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |   Auth Type   |   Adver Int   |          Checksum             |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                         IP Address (1)                        |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                            .                                  |
/// |                            .                                  |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                         IP Address (n)                        |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                     Authentication Data (1)                   |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                     Authentication Data (2)                   |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// ```
///
/// Version 3 (RFC 5798 5.1); addresses are 4 (IPv4) or 16 (IPv6) octets:
///
/// ```text
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |Version| Type  | Virtual Rtr ID|   Priority    |Count IPvX Addr|
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |(rsvd) |     Max Adver Int     |          Checksum             |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                                                               |
/// +                                                               +
/// |                       IPvX Address(es)                        |
/// +                                                               +
/// |                                                               |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// ```
#[derive(Debug, Clone)]
pub struct Packet<T: AsRef<[u8]>> {
    buffer: T,
    family: Family,
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// A view without checks: accessors read zeros past the end of a short buffer.
    pub fn new_unchecked(buffer: T, family: Family) -> Packet<T> {
        Packet { buffer, family }
    }

    /// A view over a buffer that passed [`Packet::check_len`].
    pub fn new_checked(buffer: T, family: Family) -> Result<Packet<T>> {
        let p = Packet::new_unchecked(buffer, family);
        p.check_len()?;
        Ok(p)
    }

    /// Checks, in order: the 8-byte header is there (`Truncated`); the version is 2 or 3
    /// (`BadVersion`, needed first because it decides whether authentication data follows); the
    /// buffer holds the count's addresses and, for v2, the 8 authentication bytes (`BadLength`:
    /// the count says more than the packet holds).
    pub fn check_len(&self) -> Result<()> {
        let len = self.data().len();
        if len < HEADER_LEN {
            return Err(Error::Truncated);
        }
        if !matches!(self.version(), 2 | 3) {
            return Err(Error::BadVersion);
        }
        if len < self.message_len() {
            return Err(Error::BadLength);
        }
        Ok(())
    }

    /// The underlying buffer.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// The family the view was made for.
    pub fn family(&self) -> Family {
        self.family
    }

    fn data(&self) -> &[u8] {
        self.buffer.as_ref()
    }

    /// The version field.
    pub fn version(&self) -> u8 {
        bytes::u8_at(self.data(), field::VER_TYPE) >> 4
    }

    /// The type field (4 bits).
    pub fn msg_type(&self) -> u8 {
        bytes::u8_at(self.data(), field::VER_TYPE) & 0x0f
    }

    /// Virtual router id.
    pub fn vrid(&self) -> u8 {
        bytes::u8_at(self.data(), field::VRID)
    }

    /// Priority (0: the master is stopping; 255: the address owner).
    pub fn priority(&self) -> u8 {
        bytes::u8_at(self.data(), field::PRIORITY)
    }

    /// The address count field.
    pub fn addr_count(&self) -> u8 {
        bytes::u8_at(self.data(), field::COUNT)
    }

    /// Version 2: the authentication type field.
    pub fn auth_type(&self) -> u8 {
        bytes::u8_at(self.data(), field::AUTH_TYPE)
    }

    /// Version 2: the advertisement interval in seconds.
    pub fn adver_int(&self) -> u8 {
        bytes::u8_at(self.data(), field::ADVER_INT)
    }

    /// Version 3: the maximum advertisement interval in centiseconds (12 bits).
    pub fn max_adver_int(&self) -> u16 {
        bytes::u16_at(self.data(), field::RSVD_MAX_ADVER_INT) & 0x0fff
    }

    /// Version 3: the 4 reserved bits.
    pub fn reserved(&self) -> u8 {
        bytes::u8_at(self.data(), field::RSVD_MAX_ADVER_INT) >> 4
    }

    /// The stored checksum.
    pub fn checksum(&self) -> u16 {
        bytes::u16_at(self.data(), field::CHECKSUM)
    }

    fn auth_len(&self) -> usize {
        if self.version() == 2 {
            AUTH_DATA_LEN
        } else {
            0
        }
    }

    fn addresses_end(&self) -> usize {
        field::ADDRESSES + usize::from(self.addr_count()) * self.family.addr_len()
    }

    /// Length of the message the header describes: 8 + count × address + (v2) 8.
    pub fn message_len(&self) -> usize {
        self.addresses_end() + self.auth_len()
    }

    /// The address list, as bytes.
    pub fn address_bytes(&self) -> &[u8] {
        bytes::slice(self.data(), field::ADDRESSES, self.addresses_end())
    }

    /// The `i`-th address.
    pub fn address(&self, i: usize) -> Option<IpAddr> {
        Addresses::Wire {
            family: self.family,
            bytes: self.address_bytes(),
        }
        .get(i)
    }

    /// Version 2: the 8 authentication bytes (zeros for v3).
    pub fn auth_data(&self) -> [u8; AUTH_DATA_LEN] {
        if self.version() == 2 {
            bytes::array(self.data(), self.addresses_end())
        } else {
            [0; AUTH_DATA_LEN]
        }
    }

    /// The message: header, addresses and (v2) authentication data; what the checksum covers.
    pub fn message(&self) -> &[u8] {
        bytes::slice(self.data(), 0, self.message_len())
    }

    /// Whatever follows the message (keepalived 2.4's `auth_hmac` trailer; normally empty).
    pub fn trailer(&self) -> &[u8] {
        let b = self.data();
        bytes::slice(b, self.message_len(), b.len())
    }

    /// The checksum the message should carry under `variant`, or `None` when the variant needs
    /// addresses of the other family than `pair`'s.
    pub fn compute_checksum(&self, pair: &IpPair, variant: ChecksumVariant) -> Option<u16> {
        let msg = self.message();
        let acc = variant.pseudo_sum(pair, msg.len())?;
        let acc = checksum::add(acc, bytes::slice(msg, 0, field::CHECKSUM));
        let acc = checksum::add(acc, bytes::slice(msg, field::ADDRESSES, msg.len()));
        Some(checksum::finish(acc))
    }

    /// True when the stored checksum verifies under `variant` (false when the variant does not
    /// fit `pair`'s family).
    pub fn verify_checksum(&self, pair: &IpPair, variant: ChecksumVariant) -> bool {
        let msg = self.message();
        variant
            .pseudo_sum(pair, msg.len())
            .is_some_and(|acc| checksum::is_valid(checksum::add(acc, msg)))
    }

    /// Which checksum variant the sender used, the first that verifies in this order: IPv6:
    /// `Ipv6Pseudo`; IPv4 v2: `Plain`; IPv4 v3: `Ipv4Pseudo` (keepalived's default), `Plain`
    /// (RFC 9568), `Ipv4PseudoLegacy` with `group4` (keepalived < 1.3.6 unicast). `None` when none
    /// verifies: a corrupt packet, or a sender that follows none of them.
    pub fn detect_checksum_variant(
        &self,
        pair: &IpPair,
        group4: Ipv4Addr,
    ) -> Option<ChecksumVariant> {
        let candidates: &[ChecksumVariant] = match (pair.family(), self.version()) {
            (Family::V6, _) => &[ChecksumVariant::Ipv6Pseudo],
            (Family::V4, 3) => &[
                ChecksumVariant::Ipv4Pseudo,
                ChecksumVariant::Plain,
                ChecksumVariant::Ipv4PseudoLegacy { group: group4 },
            ],
            (Family::V4, _) => &[ChecksumVariant::Plain],
        };
        candidates
            .iter()
            .copied()
            .find(|&v| self.verify_checksum(pair, v))
    }
}

impl<'a> Packet<&'a [u8]> {
    /// The address list, borrowed for as long as the buffer.
    fn address_bytes_ref(&self) -> &'a [u8] {
        bytes::slice(self.buffer, field::ADDRESSES, self.addresses_end())
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Packet<T> {
    fn data_mut(&mut self) -> &mut [u8] {
        self.buffer.as_mut()
    }

    /// Sets the version and type nibbles.
    pub fn set_version_and_type(&mut self, version: u8, msg_type: u8) {
        let v = (version & 0x0f) << 4 | (msg_type & 0x0f);
        bytes::put_u8(self.data_mut(), field::VER_TYPE, v);
    }

    /// Sets the virtual router id.
    pub fn set_vrid(&mut self, v: u8) {
        bytes::put_u8(self.data_mut(), field::VRID, v);
    }

    /// Sets the priority (refill the checksum after).
    pub fn set_priority(&mut self, v: u8) {
        bytes::put_u8(self.data_mut(), field::PRIORITY, v);
    }

    /// Sets the address count.
    pub fn set_addr_count(&mut self, v: u8) {
        bytes::put_u8(self.data_mut(), field::COUNT, v);
    }

    /// Version 2: sets the authentication type.
    pub fn set_auth_type(&mut self, v: u8) {
        bytes::put_u8(self.data_mut(), field::AUTH_TYPE, v);
    }

    /// Version 2: sets the advertisement interval in seconds.
    pub fn set_adver_int(&mut self, v: u8) {
        bytes::put_u8(self.data_mut(), field::ADVER_INT, v);
    }

    /// Version 3: sets the reserved bits (low 4 of `reserved`) and the maximum advertisement
    /// interval in centiseconds (low 12 bits of `centis`).
    pub fn set_max_adver_int(&mut self, reserved: u8, centis: u16) {
        let v = u16::from(reserved & 0x0f) << 12 | (centis & 0x0fff);
        bytes::put_u16(self.data_mut(), field::RSVD_MAX_ADVER_INT, v);
    }

    /// Sets the stored checksum.
    pub fn set_checksum(&mut self, v: u16) {
        bytes::put_u16(self.data_mut(), field::CHECKSUM, v);
    }

    /// Version 2: sets the authentication data (after the count's addresses; set the count
    /// first).
    pub fn set_auth_data(&mut self, data: &[u8; AUTH_DATA_LEN]) {
        let at = self.addresses_end();
        bytes::put(self.data_mut(), at, data);
    }

    /// The address list, mutably (as many bytes as the count says).
    pub fn address_bytes_mut(&mut self) -> &mut [u8] {
        let end = self.addresses_end();
        bytes::slice_mut(self.data_mut(), field::ADDRESSES, end)
    }

    /// Computes and stores the checksum under `variant` (call after every other field is set);
    /// `Unsupported` when the variant does not fit `pair`'s family.
    pub fn fill_checksum(&mut self, pair: &IpPair, variant: ChecksumVariant) -> Result<()> {
        let c = self
            .compute_checksum(pair, variant)
            .ok_or(Error::Unsupported)?;
        self.set_checksum(c);
        Ok(())
    }
}

/// A VRRP advertisement as a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Repr<'a> {
    pub version: Version,
    pub msg_type: Type,
    pub vrid: u8,
    pub priority: u8,
    /// The count field is `addresses.len()`.
    pub addresses: Addresses<'a>,
}

impl<'a> Repr<'a> {
    /// Reads a checked view ([`Packet::check_len`] again, for views made unchecked). The address
    /// list borrows the packet's buffer. The checksum is *not* verified (see the module doc).
    pub fn parse(packet: &Packet<&'a [u8]>) -> Result<Repr<'a>> {
        packet.check_len()?;
        let version = match packet.version() {
            2 => Version::V2 {
                auth_type: AuthType::from(packet.auth_type()),
                advert_int: packet.adver_int(),
                auth_data: packet.auth_data(),
            },
            3 => Version::V3 {
                max_advert_int: packet.max_adver_int(),
                reserved: packet.reserved(),
            },
            _ => return Err(Error::BadVersion),
        };
        Ok(Repr {
            version,
            msg_type: Type::from(packet.msg_type()),
            vrid: packet.vrid(),
            priority: packet.priority(),
            addresses: Addresses::Wire {
                family: packet.family(),
                bytes: packet.address_bytes_ref(),
            },
        })
    }

    /// Bytes of the message: 8 + addresses + (v2) 8.
    pub fn buffer_len(&self) -> usize {
        let auth = match self.version {
            Version::V2 { .. } => AUTH_DATA_LEN,
            Version::V3 { .. } => 0,
        };
        HEADER_LEN + self.addresses.len() * self.addresses.family().addr_len() + auth
    }

    /// Writes the message and its checksum under `variant` for `pair`. Checks first, writes
    /// nothing on error: `Truncated` (buffer shorter than [`Repr::buffer_len`]), `BadLength`
    /// (more than 255 addresses), `Unsupported` (addresses not of the packet's family, or a
    /// variant that does not fit `pair`). Bytes after the message are left alone.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(
        &self,
        packet: &mut Packet<T>,
        pair: &IpPair,
        variant: ChecksumVariant,
    ) -> Result<()> {
        let count = u8::try_from(self.addresses.len()).map_err(|_| Error::BadLength)?;
        if packet.data().len() < self.buffer_len() {
            return Err(Error::Truncated);
        }
        if self.addresses.family() != packet.family()
            || variant.pseudo_sum(pair, self.buffer_len()).is_none()
        {
            return Err(Error::Unsupported);
        }
        packet.set_version_and_type(self.version.number(), self.msg_type.into());
        packet.set_vrid(self.vrid);
        packet.set_priority(self.priority);
        packet.set_addr_count(count);
        packet.set_checksum(0);
        self.addresses.write(packet.address_bytes_mut());
        match self.version {
            Version::V2 {
                auth_type,
                advert_int,
                auth_data,
            } => {
                packet.set_auth_type(auth_type.into());
                packet.set_adver_int(advert_int);
                packet.set_auth_data(&auth_data);
            }
            Version::V3 {
                max_advert_int,
                reserved,
            } => packet.set_max_adver_int(reserved, max_advert_int),
        }
        packet.fill_checksum(pair, variant)
    }
}

/// Splits a datagram read from an IPv4 raw socket into its IP header and the VRRP view: the
/// IPv4 checks of [`ipv4::Repr::parse`], then `Unsupported` when the protocol is not VRRP (AH
/// included), then [`Packet::new_checked`] over the IP payload.
pub fn ipv4_datagram(data: &[u8]) -> Result<(ipv4::Repr, Packet<&[u8]>)> {
    let ip_packet = ipv4::Packet::new_checked(data)?;
    let ip = ipv4::Repr::parse(&ip_packet)?;
    if ip.protocol != ipv4::PROTO_VRRP {
        return Err(Error::Unsupported);
    }
    let vrrp = Packet::new_checked(ip_packet.payload_ref(), Family::V4)?;
    Ok((ip, vrrp))
}

/// Writes an IPv4 datagram carrying `vrrp` (what keepalived hands its `IP_HDRINCL` socket):
/// the header of `ip` with its `payload_len` set to the VRRP length, then the message with its
/// checksum under `variant` for `ip`'s addresses. Returns the datagram's length. Errors as
/// [`ipv4::Repr::emit`] and [`Repr::emit`]; `Truncated` when `buf` is too short.
pub fn emit_ipv4_datagram(
    buf: &mut [u8],
    ip: &ipv4::Repr,
    vrrp: &Repr<'_>,
    variant: ChecksumVariant,
) -> Result<usize> {
    let ip = ipv4::Repr {
        payload_len: vrrp.buffer_len(),
        ..*ip
    };
    let total = ipv4::HEADER_LEN + ip.payload_len;
    let buf = buf.get_mut(..total).ok_or(Error::Truncated)?;
    let (head, body) = buf.split_at_mut(ipv4::HEADER_LEN.min(total));
    let pair = IpPair::V4 {
        src: ip.src_addr,
        dst: ip.dst_addr,
    };
    vrrp.emit(&mut Packet::new_unchecked(body, Family::V4), &pair, variant)?;
    ip.emit(&mut ipv4::Packet::new_unchecked(head))?;
    Ok(total)
}

/// The 8 authentication bytes keepalived sends for `auth_pass`: the password truncated to 8
/// bytes, zero padded.
pub fn pass_auth_data(password: &[u8]) -> [u8; AUTH_DATA_LEN] {
    let mut out = [0u8; AUTH_DATA_LEN];
    for (o, p) in out.iter_mut().zip(password) {
        *o = *p;
    }
    out
}

/// PASS authentication (RFC 2338 5.3.6.1): the received 8 bytes equal the configured password
/// as [`pass_auth_data`] sends it. Compares all 8 bytes whatever differs (constant time).
pub fn pass_matches(received: &[u8; AUTH_DATA_LEN], password: &[u8]) -> bool {
    let want = pass_auth_data(password);
    received
        .iter()
        .zip(&want)
        .fold(0u8, |d, (a, b)| d | (a ^ b))
        == 0
}

#[cfg(test)]
pub(crate) mod tests {
    use super::super::testdata::{
        IGMP, V2_ADVERT, V2_PRIO0, V3_V4, V3_V4_PRIO0, V3_V6, V3_V6_PRIO0, datagram,
    };
    use super::*;

    const SRC4: Ipv4Addr = Ipv4Addr::new(192, 168, 77, 1);
    const VIP_100: Ipv4Addr = Ipv4Addr::new(192, 168, 77, 100);
    const VIP_101: Ipv4Addr = Ipv4Addr::new(192, 168, 77, 101);
    const VIP_102: Ipv4Addr = Ipv4Addr::new(192, 168, 77, 102);
    const GROUP_PAIR: IpPair = IpPair::V4 {
        src: SRC4,
        dst: ipv4::VRRP_GROUP,
    };

    fn v6_pair() -> IpPair {
        IpPair::V6 {
            src: "fe80::e0df:2fff:feb8:1b30".parse().unwrap(),
            dst: super::super::ipv6::VRRP_GROUP,
        }
    }

    fn v6_vips() -> [Ipv6Addr; 2] {
        ["fe80::53".parse().unwrap(), "2001:db8::53".parse().unwrap()]
    }

    /// A VRRPv3 advertisement (reserved bits 0).
    fn v3_advert(vrid: u8, priority: u8, centis: u16, addresses: Addresses<'_>) -> Repr<'_> {
        Repr {
            version: Version::V3 {
                max_advert_int: centis,
                reserved: 0,
            },
            msg_type: Type::Advertisement,
            vrid,
            priority,
            addresses,
        }
    }

    /// For any input: whatever parses emits back to the same message (the checksum recomputed,
    /// under every variant that fits), and detection never panics.
    pub(crate) fn roundtrip_any(data: &[u8]) {
        for (family, pair) in [(Family::V4, GROUP_PAIR), (Family::V6, v6_pair())] {
            let Ok(p) = Packet::new_checked(data, family) else {
                continue;
            };
            let repr = Repr::parse(&p).expect("a checked packet parses");
            assert_eq!(repr.buffer_len(), p.message_len());
            assert_eq!(p.message().len() + p.trailer().len(), data.len());
            let found = p.detect_checksum_variant(&pair, ipv4::VRRP_GROUP);
            if let Some(v) = found {
                assert!(p.verify_checksum(&pair, v));
            }
            let mut out = vec![0u8; repr.buffer_len()];
            let v = found.unwrap_or(ChecksumVariant::sender_default(3, family, false));
            repr.emit(&mut Packet::new_unchecked(&mut out[..], family), &pair, v)
                .unwrap();
            assert_eq!(out[..6], data[..6]);
            assert_eq!(out[8..], p.message()[8..]);
            // With a verified checksum the same bytes come back (but where the sender stored
            // 0xffff for a computed 0: both verify).
            let (e, r) = (&out[6..8], &p.message()[6..8]);
            let same = e == r || (e == [0, 0] && r == [0xff, 0xff]);
            assert_eq!(p.verify_checksum(&pair, v), same);
        }
        if let Ok((ip, p)) = ipv4_datagram(data) {
            let pair = IpPair::V4 {
                src: ip.src_addr,
                dst: ip.dst_addr,
            };
            let _ = p.detect_checksum_variant(&pair, ipv4::VRRP_GROUP);
        }
    }

    #[test]
    fn deconstruct_v2_capture() {
        let d = datagram(V2_ADVERT);
        let (ip, p) = ipv4_datagram(&d).unwrap();
        assert_eq!(
            (ip.src_addr, ip.dst_addr, ip.ttl),
            (SRC4, ipv4::VRRP_GROUP, 255)
        );
        assert_eq!(p.version(), 2);
        assert_eq!(p.msg_type(), 1);
        assert_eq!(p.vrid(), 51);
        assert_eq!(p.priority(), 150);
        assert_eq!(p.addr_count(), 2);
        assert_eq!(p.auth_type(), 1);
        assert_eq!(p.adver_int(), 1);
        assert_eq!(p.checksum(), 0xbe2f);
        assert_eq!(p.address(0), Some(IpAddr::V4(VIP_100)));
        assert_eq!(p.address(1), Some(IpAddr::V4(VIP_101)));
        assert_eq!(p.address(2), None);
        assert_eq!(&p.auth_data(), b"secret12");
        assert_eq!(p.message_len(), 24);
        assert!(p.trailer().is_empty());
        assert!(p.verify_checksum(&GROUP_PAIR, ChecksumVariant::Plain));
        assert_eq!(
            p.detect_checksum_variant(&GROUP_PAIR, ipv4::VRRP_GROUP),
            Some(ChecksumVariant::Plain)
        );
    }

    #[test]
    fn parse_then_emit_v2_captures() {
        for (hex, prio) in [(V2_ADVERT, 150), (V2_PRIO0, 0)] {
            let d = datagram(hex);
            let (ip, p) = ipv4_datagram(&d).unwrap();
            let repr = Repr::parse(&p).unwrap();
            let vips = [VIP_100, VIP_101];
            let want = Repr {
                version: Version::V2 {
                    auth_type: AuthType::Pass,
                    advert_int: 1,
                    auth_data: pass_auth_data(b"secret12"),
                },
                msg_type: Type::Advertisement,
                vrid: 51,
                priority: prio,
                addresses: Addresses::V4(&vips),
            };
            assert_eq!(repr, want);
            // Emit from the caller's address list, with the IP header, gives the captured bytes.
            let mut out = [0u8; 64];
            let n = emit_ipv4_datagram(&mut out, &ip, &want, ChecksumVariant::Plain).unwrap();
            assert_eq!(out[..n], d[..]);
        }
    }

    #[test]
    fn parse_then_emit_v3_ipv4_captures() {
        for (hex, prio, ident) in [(V3_V4, 100, 1), (V3_V4_PRIO0, 0, 12)] {
            let d = datagram(hex);
            let (ip, p) = ipv4_datagram(&d).unwrap();
            assert_eq!(ip.ident, ident);
            let repr = Repr::parse(&p).unwrap();
            let vips = [VIP_102];
            let want = v3_advert(52, prio, 50, Addresses::V4(&vips));
            assert_eq!(repr, want);
            // Captured: verifies only with keepalived's IPv4 pseudo-header.
            assert!(p.verify_checksum(&GROUP_PAIR, ChecksumVariant::Ipv4Pseudo));
            assert!(!p.verify_checksum(&GROUP_PAIR, ChecksumVariant::Plain));
            assert!(!p.verify_checksum(&GROUP_PAIR, ChecksumVariant::Ipv6Pseudo));
            assert_eq!(
                p.detect_checksum_variant(&GROUP_PAIR, ipv4::VRRP_GROUP),
                Some(ChecksumVariant::Ipv4Pseudo)
            );
            let variant = ChecksumVariant::sender_default(3, Family::V4, false);
            let fresh = ipv4::Repr::vrrp(SRC4, ipv4::VRRP_GROUP, ident, 0);
            let mut out = [0u8; 32];
            let n = emit_ipv4_datagram(&mut out, &fresh, &want, variant).unwrap();
            assert_eq!(out[..n], d[..]);
        }
    }

    #[test]
    fn parse_then_emit_v3_ipv6_captures() {
        let pair = v6_pair();
        for (hex, prio) in [(V3_V6, 200), (V3_V6_PRIO0, 0)] {
            let d = datagram(hex);
            let body = &d[super::super::ipv6::HEADER_LEN..];
            let p = Packet::new_checked(body, Family::V6).unwrap();
            let vips = v6_vips();
            let want = v3_advert(53, prio, 25, Addresses::V6(&vips));
            assert_eq!(Repr::parse(&p), Ok(want));
            assert!(p.addr_count() == 2 && p.message_len() == 40);
            assert!(p.verify_checksum(&pair, ChecksumVariant::Ipv6Pseudo));
            assert!(!p.verify_checksum(&pair, ChecksumVariant::Plain));
            assert!(!p.verify_checksum(&pair, ChecksumVariant::Ipv4Pseudo));
            assert_eq!(
                p.detect_checksum_variant(&pair, ipv4::VRRP_GROUP),
                Some(ChecksumVariant::Ipv6Pseudo)
            );
            let mut out = [0u8; 40];
            let variant = ChecksumVariant::sender_default(3, Family::V6, true);
            let mut q = Packet::new_unchecked(&mut out[..], Family::V6);
            want.emit(&mut q, &pair, variant).unwrap();
            assert_eq!(out[..], body[..]);
        }
    }

    /// A v3 advert over IPv4 unicast (10.0.0.1 -> 10.0.0.2), emitted under `variant`.
    fn unicast_v3(variant: ChecksumVariant) -> (IpPair, [u8; 16]) {
        let pair = IpPair::V4 {
            src: Ipv4Addr::new(10, 0, 0, 1),
            dst: Ipv4Addr::new(10, 0, 0, 2),
        };
        let vips = [Ipv4Addr::new(10, 0, 0, 100), Ipv4Addr::new(10, 0, 0, 101)];
        let repr = v3_advert(9, 120, 100, Addresses::V4(&vips));
        let mut out = [0u8; 16];
        repr.emit(
            &mut Packet::new_unchecked(&mut out[..], Family::V4),
            &pair,
            variant,
        )
        .unwrap();
        (pair, out)
    }

    #[test]
    fn detects_each_of_the_three_ipv4_v3_variants() {
        let group = ipv4::VRRP_GROUP;
        let custom = Ipv4Addr::new(224, 0, 0, 99);
        for variant in [
            ChecksumVariant::Ipv4Pseudo,
            ChecksumVariant::Plain,
            ChecksumVariant::Ipv4PseudoLegacy { group },
            ChecksumVariant::Ipv4PseudoLegacy { group: custom },
        ] {
            let (pair, bytes) = unicast_v3(variant);
            let p = Packet::new_checked(&bytes[..], Family::V4).unwrap();
            let g = match variant {
                ChecksumVariant::Ipv4PseudoLegacy { group: g } => g,
                _ => group,
            };
            assert_eq!(
                p.detect_checksum_variant(&pair, g),
                Some(variant),
                "{variant:?}"
            );
            assert!(p.verify_checksum(&pair, variant));
            // The variants really differ for unicast.
            let others = [
                ChecksumVariant::Ipv4Pseudo,
                ChecksumVariant::Plain,
                ChecksumVariant::Ipv4PseudoLegacy { group: g },
            ];
            for o in others.into_iter().filter(|&o| o != variant) {
                assert!(
                    !p.verify_checksum(&pair, o),
                    "{variant:?} also verifies as {o:?}"
                );
            }
            // A corrupt packet verifies under none.
            let mut bad = bytes;
            bad[2] ^= 0x01;
            let p = Packet::new_checked(&bad[..], Family::V4).unwrap();
            assert_eq!(p.detect_checksum_variant(&pair, g), None);
        }
        // Legacy and default coincide on multicast: detection names the default.
        let d = datagram(V3_V4);
        let (_, p) = ipv4_datagram(&d).unwrap();
        let legacy = ChecksumVariant::Ipv4PseudoLegacy { group };
        assert!(p.verify_checksum(&GROUP_PAIR, legacy));
        assert_eq!(
            p.detect_checksum_variant(&GROUP_PAIR, group),
            Some(ChecksumVariant::Ipv4Pseudo)
        );
        // v2 is Plain only; an IPv6 pair never detects an IPv4 variant.
        let d = datagram(V2_ADVERT);
        let (_, p) = ipv4_datagram(&d).unwrap();
        assert!(!p.verify_checksum(&GROUP_PAIR, ChecksumVariant::Ipv4Pseudo));
        assert_eq!(p.detect_checksum_variant(&v6_pair(), group), None);
    }

    #[test]
    fn sender_defaults() {
        use ChecksumVariant::*;
        assert_eq!(ChecksumVariant::sender_default(2, Family::V4, false), Plain);
        assert_eq!(
            ChecksumVariant::sender_default(3, Family::V4, false),
            Ipv4Pseudo
        );
        assert_eq!(ChecksumVariant::sender_default(3, Family::V4, true), Plain);
        assert_eq!(
            ChecksumVariant::sender_default(3, Family::V6, false),
            Ipv6Pseudo
        );
        assert_eq!(
            ChecksumVariant::sender_default(2, Family::V6, false),
            Ipv6Pseudo
        );
    }

    #[test]
    fn truncated_and_bad_length_at_every_length() {
        for (hex, family) in [(V2_ADVERT, Family::V4), (V3_V4, Family::V4)] {
            let d = datagram(hex);
            let body = &d[ipv4::HEADER_LEN..];
            for len in 0..body.len() {
                let want = if len < HEADER_LEN {
                    Error::Truncated
                } else {
                    Error::BadLength
                };
                let got = Packet::new_checked(&body[..len], family).err();
                assert_eq!(got, Some(want), "{len}");
                // The same through the IPv4 layer, with a consistent total length.
                let mut dg = d[..ipv4::HEADER_LEN + len].to_vec();
                let mut ip = ipv4::Packet::new_unchecked(&mut dg[..]);
                ip.set_total_len((ipv4::HEADER_LEN + len) as u16);
                ip.fill_checksum();
                assert_eq!(ipv4_datagram(&dg).err(), Some(want), "{len}");
            }
            // A datagram cut short of its IP total length is truncated at the IP layer.
            assert_eq!(
                ipv4_datagram(&d[..d.len() - 1]).err(),
                Some(Error::Truncated)
            );
        }
        let d = datagram(V3_V6);
        let body = &d[super::super::ipv6::HEADER_LEN..];
        for len in HEADER_LEN..body.len() {
            let got = Packet::new_checked(&body[..len], Family::V6).err();
            assert_eq!(got, Some(Error::BadLength));
        }
    }

    #[test]
    fn count_larger_than_the_packet() {
        let d = datagram(V2_ADVERT);
        let mut body = d[ipv4::HEADER_LEN..].to_vec();
        body[3] = 3; // three addresses claimed, two present
        assert_eq!(
            Packet::new_checked(&body[..], Family::V4).err(),
            Some(Error::BadLength)
        );
        body[3] = 255;
        assert_eq!(
            Packet::new_checked(&body[..], Family::V4).err(),
            Some(Error::BadLength)
        );
        // Read as IPv6 the two IPv4 addresses are half of one IPv6 address.
        body[3] = 2;
        assert_eq!(
            Packet::new_checked(&body[..], Family::V6).err(),
            Some(Error::BadLength)
        );
        // A smaller count leaves the rest as trailer.
        body[3] = 1;
        let p = Packet::new_checked(&body[..], Family::V4).unwrap();
        assert_eq!(p.message_len(), 20);
        assert_eq!(p.trailer().len(), 4);
        assert_eq!(&p.auth_data()[..4], &VIP_101.octets());
    }

    #[test]
    fn bad_version() {
        let d = datagram(V3_V4);
        let mut body = d[ipv4::HEADER_LEN..].to_vec();
        for v in [0u8, 1, 4, 15] {
            body[0] = v << 4 | 1;
            assert_eq!(
                Packet::new_checked(&body[..], Family::V4).err(),
                Some(Error::BadVersion)
            );
            let p = Packet::new_unchecked(&body[..], Family::V4);
            assert_eq!(Repr::parse(&p), Err(Error::BadVersion));
        }
    }

    #[test]
    fn bad_checksum_on_every_byte() {
        for hex in [V2_ADVERT, V3_V4] {
            let d = datagram(hex);
            for i in ipv4::HEADER_LEN..d.len() {
                let mut bad = d.clone();
                bad[i] ^= 0x10;
                let Ok((ip, p)) = ipv4_datagram(&bad) else {
                    continue; // a changed version or count fails earlier
                };
                let pair = IpPair::V4 {
                    src: ip.src_addr,
                    dst: ip.dst_addr,
                };
                assert_eq!(
                    p.detect_checksum_variant(&pair, ipv4::VRRP_GROUP),
                    None,
                    "{i}"
                );
            }
        }
        let d = datagram(V3_V6);
        let mut body = d[super::super::ipv6::HEADER_LEN..].to_vec();
        body[7] ^= 0xff;
        let p = Packet::new_checked(&body[..], Family::V6).unwrap();
        assert!(!p.verify_checksum(&v6_pair(), ChecksumVariant::Ipv6Pseudo));
    }

    #[test]
    fn trailer_is_outside_the_message_and_checksum() {
        let d = datagram(V2_ADVERT);
        let mut body = d[ipv4::HEADER_LEN..].to_vec();
        body.extend_from_slice(&[0xee; 28]); // keepalived 2.4 auth_hmac trailer length
        let p = Packet::new_checked(&body[..], Family::V4).unwrap();
        assert_eq!(p.message_len(), 24);
        assert_eq!(p.trailer(), &[0xee; 28]);
        assert!(p.verify_checksum(&GROUP_PAIR, ChecksumVariant::Plain));
        let r = Repr::parse(&p).unwrap();
        let mut out = body.clone();
        out[..24].fill(0);
        r.emit(
            &mut Packet::new_unchecked(&mut out[..], Family::V4),
            &GROUP_PAIR,
            ChecksumVariant::Plain,
        )
        .unwrap();
        assert_eq!(out, body);
    }

    #[test]
    fn not_vrrp_over_ipv4() {
        let d = datagram(IGMP);
        assert_eq!(ipv4_datagram(&d).err(), Some(Error::Unsupported));
        let mut d = datagram(V2_ADVERT);
        d[9] = ipv4::PROTO_AH;
        let mut ip = ipv4::Packet::new_unchecked(&mut d[..]);
        ip.fill_checksum();
        assert_eq!(ipv4_datagram(&d).err(), Some(Error::Unsupported));
        d[10] ^= 1;
        assert_eq!(ipv4_datagram(&d).err(), Some(Error::Checksum));
    }

    #[test]
    fn unknown_values_and_reserved_bits_roundtrip() {
        let vips = [VIP_100];
        let v2 = Repr {
            version: Version::V2 {
                auth_type: AuthType::Unknown(9),
                advert_int: 255,
                auth_data: [1, 2, 3, 4, 5, 6, 7, 8],
            },
            msg_type: Type::Unknown(7),
            vrid: 255,
            priority: 255,
            addresses: Addresses::V4(&vips),
        };
        let v3 = Repr {
            version: Version::V3 {
                max_advert_int: 0x0fff,
                reserved: 0x0a,
            },
            msg_type: Type::Unknown(0),
            vrid: 1,
            priority: 1,
            addresses: Addresses::V4(&[]),
        };
        for repr in [v2, v3] {
            let mut buf = [0u8; 20];
            let len = repr.buffer_len();
            let mut p = Packet::new_unchecked(&mut buf[..len], Family::V4);
            repr.emit(&mut p, &GROUP_PAIR, ChecksumVariant::Plain)
                .unwrap();
            let p = Packet::new_checked(&buf[..len], Family::V4).unwrap();
            assert_eq!(Repr::parse(&p), Ok(repr));
            assert!(p.verify_checksum(&GROUP_PAIR, ChecksumVariant::Plain));
        }
        for t in 0..16u8 {
            assert_eq!(u8::from(Type::from(t)), t);
        }
        for a in 0..=255u8 {
            assert_eq!(u8::from(AuthType::from(a)), a);
        }
        // Out-of-range values are masked to their field on emit.
        let wide = Repr {
            version: Version::V3 {
                max_advert_int: 0xf123,
                reserved: 0xf5,
            },
            msg_type: Type::Unknown(0x31),
            ..v3
        };
        let mut buf = [0u8; 8];
        let mut p = Packet::new_unchecked(&mut buf[..], Family::V4);
        wide.emit(&mut p, &GROUP_PAIR, ChecksumVariant::Plain)
            .unwrap();
        assert_eq!(buf[..6], [0x31, 1, 1, 0, 0x51, 0x23]);
    }

    #[test]
    fn emit_errors_write_nothing() {
        let vips = [VIP_100, VIP_101];
        let repr = v3_advert(1, 100, 100, Addresses::V4(&vips));
        let mut buf = [0u8; 16];
        let mut short = Packet::new_unchecked(&mut buf[..15], Family::V4);
        let plain = ChecksumVariant::Plain;
        assert_eq!(
            repr.emit(&mut short, &GROUP_PAIR, plain),
            Err(Error::Truncated)
        );
        let mut p6 = Packet::new_unchecked(&mut buf[..], Family::V6);
        assert_eq!(
            repr.emit(&mut p6, &GROUP_PAIR, plain),
            Err(Error::Unsupported)
        );
        let mut p = Packet::new_unchecked(&mut buf[..], Family::V4);
        let v6 = ChecksumVariant::Ipv6Pseudo;
        assert_eq!(repr.emit(&mut p, &GROUP_PAIR, v6), Err(Error::Unsupported));
        let v4 = ChecksumVariant::Ipv4Pseudo;
        assert_eq!(repr.emit(&mut p, &v6_pair(), v4), Err(Error::Unsupported));
        assert_eq!(p.fill_checksum(&v6_pair(), v4), Err(Error::Unsupported));
        assert_eq!(buf, [0; 16]);

        let many = [VIP_100; 256];
        let too_many = Repr {
            addresses: Addresses::V4(&many),
            ..repr
        };
        let mut big = [0u8; 2048];
        let mut p = Packet::new_unchecked(&mut big[..], Family::V4);
        assert_eq!(
            too_many.emit(&mut p, &GROUP_PAIR, plain),
            Err(Error::BadLength)
        );
        let max = Repr {
            addresses: Addresses::V4(&many[..255]),
            ..repr
        };
        assert_eq!(max.emit(&mut p, &GROUP_PAIR, plain), Ok(()));
        let p = Packet::new_checked(&big[..], Family::V4).unwrap();
        assert_eq!(p.addr_count(), 255);
        assert_eq!(Repr::parse(&p).unwrap().addresses.len(), 255);

        let ip = ipv4::Repr::vrrp(SRC4, ipv4::VRRP_GROUP, 1, 0);
        let mut out = [0u8; 35];
        assert_eq!(
            emit_ipv4_datagram(&mut out, &ip, &repr, v4),
            Err(Error::Truncated)
        );
    }

    #[test]
    fn priority_change_then_refill() {
        let d = datagram(V2_ADVERT);
        let mut body = d[ipv4::HEADER_LEN..].to_vec();
        let mut p = Packet::new_checked(&mut body[..], Family::V4).unwrap();
        p.set_priority(0);
        assert!(!p.verify_checksum(&GROUP_PAIR, ChecksumVariant::Plain));
        p.fill_checksum(&GROUP_PAIR, ChecksumVariant::Plain)
            .unwrap();
        let prio0 = datagram(V2_PRIO0);
        assert_eq!(body[..], prio0[ipv4::HEADER_LEN..]);
    }

    #[test]
    fn addresses_views() {
        let d = datagram(V3_V6);
        let body = &d[super::super::ipv6::HEADER_LEN..];
        let r = Repr::parse(&Packet::new_checked(body, Family::V6).unwrap()).unwrap();
        let vips = v6_vips();
        assert_eq!(r.addresses.family(), Family::V6);
        assert_eq!(r.addresses.len(), 2);
        assert!(!r.addresses.is_empty());
        assert_eq!(r.addresses.iter().len(), 2);
        assert!(r.addresses.contains(IpAddr::V6(vips[1])));
        assert!(!r.addresses.contains(IpAddr::V4(VIP_100)));
        assert_eq!(r.addresses, Addresses::V6(&vips));
        assert_ne!(r.addresses, Addresses::V6(&vips[..1]));
        assert_ne!(Addresses::V4(&[]), Addresses::V6(&[]));
        let odd = Addresses::Wire {
            family: Family::V4,
            bytes: &[1, 2, 3, 4, 5],
        };
        assert_eq!(odd.len(), 1);
        assert_eq!(odd.get(1), None);
        assert_eq!(odd.get(usize::MAX), None);
    }

    #[test]
    fn pass_authentication() {
        assert_eq!(&pass_auth_data(b"secret12"), b"secret12");
        assert_eq!(&pass_auth_data(b"secret123456"), b"secret12");
        assert_eq!(pass_auth_data(b"abc"), *b"abc\0\0\0\0\0");
        let d = datagram(V2_ADVERT);
        let (_, p) = ipv4_datagram(&d).unwrap();
        let got = p.auth_data();
        assert!(pass_matches(&got, b"secret12"));
        assert!(pass_matches(&got, b"secret12-and-more"));
        assert!(!pass_matches(&got, b"secret13"));
        assert!(!pass_matches(&got, b"secret1"));
        assert!(!pass_matches(&got, b""));
        assert!(pass_matches(&[0; 8], b""));
    }
}
