//! A minimal IPv4 header (RFC 791): enough to read what a raw VRRP socket delivers and to build
//! the header keepalived writes itself (`IP_HDRINCL`, `vrrp_build_ip4()`).
//!
//! Invariant: after `Packet::new_checked` the buffer holds the whole header (IHL × 4 bytes, IHL
//! at least 5) and the whole datagram (total length); bytes past the total length (Ethernet
//! padding) are not part of [`Packet::payload`]. Options are skipped, not interpreted; emit
//! always writes a 20-byte header. Fragment fields other than DF are not in [`Repr`]: the kernel
//! reassembles before a raw socket sees a datagram.
//!
//! What keepalived sends for VRRP, checked against the captures (reference §2.1, §2.9): version
//! 4, IHL 5, TOS 0xC0, id from a per-instance counter that starts at 1 and skips 0 (see
//! [`next_ident`]), flags and fragment offset 0 (DF *not* set), TTL 255 (or `unicast_ttl`),
//! protocol 112 (51 with AH); the kernel fills the header checksum, which we compute the same.

use super::bytes;
use super::checksum;
use super::{Error, Result};
use std::net::Ipv4Addr;

/// IP protocol number of VRRP.
pub const PROTO_VRRP: u8 = 112;
/// IP protocol number of the Authentication Header (VRRPv2 `auth_type AH`).
pub const PROTO_AH: u8 = 51;
/// TOS keepalived sets on adverts: `IPTOS_PREC_INTERNETCONTROL` (DSCP CS6).
pub const TOS_INTERNET_CONTROL: u8 = 0xc0;
/// TTL of VRRP adverts (RFC 3768 5.2.3, RFC 5798 5.1.1.3).
pub const VRRP_TTL: u8 = 255;
/// The VRRP multicast group (RFC 3768 5.2.2, RFC 5798 5.1.1.2).
pub const VRRP_GROUP: Ipv4Addr = Ipv4Addr::new(224, 0, 0, 18);
/// Length of a header without options.
pub const HEADER_LEN: usize = 20;

const FLAG_DF: u16 = 0x4000;

mod field {
    pub const VER_IHL: usize = 0;
    pub const TOS: usize = 1;
    pub const LENGTH: usize = 2;
    pub const IDENT: usize = 4;
    pub const FLG_OFF: usize = 6;
    pub const TTL: usize = 8;
    pub const PROTOCOL: usize = 9;
    pub const CHECKSUM: usize = 10;
    pub const SRC: usize = 12;
    pub const DST: usize = 16;
}

/// The IP id keepalived puts on the next advert after `prev`: a per-instance counter that
/// starts at 1 (pass 0 for the first packet) and skips 0 when it wraps.
pub const fn next_ident(prev: u16) -> u16 {
    match prev.wrapping_add(1) {
        0 => 1,
        n => n,
    }
}

view! {
    /// A view over an IPv4 datagram.
    ///
    /// ```text
    ///  0                   1                   2                   3
    ///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
    /// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
    /// |Version|  IHL  |Type of Service|          Total Length         |
    /// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
    /// |         Identification        |Flags|      Fragment Offset    |
    /// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
    /// |  Time to Live |    Protocol   |         Header Checksum       |
    /// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
    /// |                       Source Address                          |
    /// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
    /// |                    Destination Address                        |
    /// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
    /// |                    Options                    |    Padding    |
    /// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
    /// ```
    Packet
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// Checks, in order: the buffer holds 20 bytes (`Truncated`); IHL is at least 5
    /// (`BadLength`); the buffer holds the header (`Truncated`); the total length covers the
    /// header (`BadLength`); the buffer holds the total length (`Truncated`). The version is
    /// checked by [`Repr::parse`].
    pub fn check_len(&self) -> Result<()> {
        let len = self.data().len();
        if len < HEADER_LEN {
            return Err(Error::Truncated);
        }
        let hlen = self.header_len();
        if hlen < HEADER_LEN {
            return Err(Error::BadLength);
        }
        if len < hlen {
            return Err(Error::Truncated);
        }
        let total = usize::from(self.total_len());
        if total < hlen {
            return Err(Error::BadLength);
        }
        if len < total {
            return Err(Error::Truncated);
        }
        Ok(())
    }

    /// The version field (4 for IPv4).
    pub fn version(&self) -> u8 {
        bytes::u8_at(self.data(), field::VER_IHL) >> 4
    }

    /// Header length in bytes (IHL × 4).
    pub fn header_len(&self) -> usize {
        usize::from(bytes::u8_at(self.data(), field::VER_IHL) & 0x0f) * 4
    }

    /// Type of service (DSCP and ECN).
    pub fn tos(&self) -> u8 {
        bytes::u8_at(self.data(), field::TOS)
    }

    /// Total length of the datagram, header included.
    pub fn total_len(&self) -> u16 {
        bytes::u16_at(self.data(), field::LENGTH)
    }

    /// Identification.
    pub fn ident(&self) -> u16 {
        bytes::u16_at(self.data(), field::IDENT)
    }

    /// The Don't Fragment flag.
    pub fn dont_frag(&self) -> bool {
        bytes::u16_at(self.data(), field::FLG_OFF) & FLAG_DF != 0
    }

    /// The More Fragments flag.
    pub fn more_frags(&self) -> bool {
        bytes::u16_at(self.data(), field::FLG_OFF) & 0x2000 != 0
    }

    /// Fragment offset in bytes.
    pub fn frag_offset(&self) -> u16 {
        (bytes::u16_at(self.data(), field::FLG_OFF) & 0x1fff) << 3
    }

    /// Time to live.
    pub fn ttl(&self) -> u8 {
        bytes::u8_at(self.data(), field::TTL)
    }

    /// Protocol of the payload.
    pub fn protocol(&self) -> u8 {
        bytes::u8_at(self.data(), field::PROTOCOL)
    }

    /// The stored header checksum.
    pub fn checksum(&self) -> u16 {
        bytes::u16_at(self.data(), field::CHECKSUM)
    }

    /// Source address.
    pub fn src_addr(&self) -> Ipv4Addr {
        Ipv4Addr::from(bytes::array::<4>(self.data(), field::SRC))
    }

    /// Destination address.
    pub fn dst_addr(&self) -> Ipv4Addr {
        Ipv4Addr::from(bytes::array::<4>(self.data(), field::DST))
    }

    /// True when the header checksum verifies.
    pub fn verify_checksum(&self) -> bool {
        let header = bytes::slice(self.data(), 0, self.header_len());
        checksum::is_valid(checksum::add(0, header))
    }

    /// The options (empty for IHL 5).
    pub fn options(&self) -> &[u8] {
        bytes::slice(self.data(), HEADER_LEN, self.header_len())
    }

    /// The payload: from the end of the header to the total length (padding excluded).
    pub fn payload(&self) -> &[u8] {
        bytes::slice(
            self.data(),
            self.header_len(),
            usize::from(self.total_len()),
        )
    }
}

impl<'a> Packet<&'a [u8]> {
    /// The payload, borrowed for as long as the buffer (for views that outlive this one).
    pub fn payload_ref(&self) -> &'a [u8] {
        bytes::slice(
            self.buffer,
            self.header_len(),
            usize::from(self.total_len()),
        )
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Packet<T> {
    /// Sets version 4 and the header length in bytes (a multiple of 4, 20 to 60).
    pub fn set_version_and_header_len(&mut self, header_len: usize) {
        let ihl = (header_len / 4).min(15) as u8;
        bytes::put_u8(self.data_mut(), field::VER_IHL, 0x40 | ihl);
    }

    /// Sets the type of service.
    pub fn set_tos(&mut self, v: u8) {
        bytes::put_u8(self.data_mut(), field::TOS, v);
    }

    /// Sets the total length.
    pub fn set_total_len(&mut self, v: u16) {
        bytes::put_u16(self.data_mut(), field::LENGTH, v);
    }

    /// Sets the identification.
    pub fn set_ident(&mut self, v: u16) {
        bytes::put_u16(self.data_mut(), field::IDENT, v);
    }

    /// Sets the flags and fragment offset to "not a fragment", with or without DF.
    pub fn set_unfragmented(&mut self, dont_frag: bool) {
        let v = if dont_frag { FLAG_DF } else { 0 };
        bytes::put_u16(self.data_mut(), field::FLG_OFF, v);
    }

    /// Sets the time to live.
    pub fn set_ttl(&mut self, v: u8) {
        bytes::put_u8(self.data_mut(), field::TTL, v);
    }

    /// Sets the protocol.
    pub fn set_protocol(&mut self, v: u8) {
        bytes::put_u8(self.data_mut(), field::PROTOCOL, v);
    }

    /// Sets the stored checksum.
    pub fn set_checksum(&mut self, v: u16) {
        bytes::put_u16(self.data_mut(), field::CHECKSUM, v);
    }

    /// Sets the source address.
    pub fn set_src_addr(&mut self, a: Ipv4Addr) {
        bytes::put(self.data_mut(), field::SRC, &a.octets());
    }

    /// Sets the destination address.
    pub fn set_dst_addr(&mut self, a: Ipv4Addr) {
        bytes::put(self.data_mut(), field::DST, &a.octets());
    }

    /// Computes and stores the header checksum (call after every other header field is set).
    pub fn fill_checksum(&mut self) {
        self.set_checksum(0);
        let hlen = self.header_len();
        let c = checksum::of(bytes::slice(self.data(), 0, hlen));
        self.set_checksum(c);
    }

    /// The payload, mutably (from the header to the total length).
    pub fn payload_mut(&mut self) -> &mut [u8] {
        let (from, to) = (self.header_len(), usize::from(self.total_len()));
        bytes::slice_mut(self.data_mut(), from, to)
    }
}

/// An IPv4 header as a value (options are not kept).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Repr {
    pub src_addr: Ipv4Addr,
    pub dst_addr: Ipv4Addr,
    pub protocol: u8,
    /// Bytes after the header (total length − header length).
    pub payload_len: usize,
    pub tos: u8,
    pub ident: u16,
    pub dont_frag: bool,
    pub ttl: u8,
}

impl Repr {
    /// The header keepalived puts on a VRRP advert (TOS 0xC0, TTL 255, no DF, protocol 112);
    /// change `ttl` for `unicast_ttl`, `protocol` for AH.
    pub fn vrrp(src_addr: Ipv4Addr, dst_addr: Ipv4Addr, ident: u16, payload_len: usize) -> Repr {
        Repr {
            src_addr,
            dst_addr,
            protocol: PROTO_VRRP,
            payload_len,
            tos: TOS_INTERNET_CONTROL,
            ident,
            dont_frag: false,
            ttl: VRRP_TTL,
        }
    }

    /// Reads a header: lengths ([`Packet::check_len`]), then version (`BadVersion`), then the
    /// header checksum (`Checksum`).
    pub fn parse<T: AsRef<[u8]>>(packet: &Packet<T>) -> Result<Repr> {
        packet.check_len()?;
        if packet.version() != 4 {
            return Err(Error::BadVersion);
        }
        if !packet.verify_checksum() {
            return Err(Error::Checksum);
        }
        Ok(Repr {
            src_addr: packet.src_addr(),
            dst_addr: packet.dst_addr(),
            protocol: packet.protocol(),
            payload_len: usize::from(packet.total_len()) - packet.header_len(),
            tos: packet.tos(),
            ident: packet.ident(),
            dont_frag: packet.dont_frag(),
            ttl: packet.ttl(),
        })
    }

    /// Bytes of the header written by [`Repr::emit`] (always 20: no options).
    pub const fn buffer_len(&self) -> usize {
        HEADER_LEN
    }

    /// Writes the 20-byte header with its checksum; the payload is the caller's. `Truncated` when
    /// the buffer cannot hold the header, `BadLength` when the datagram would exceed 65535 bytes.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, packet: &mut Packet<T>) -> Result<()> {
        if packet.data().len() < HEADER_LEN {
            return Err(Error::Truncated);
        }
        let total = u16::try_from(HEADER_LEN + self.payload_len).map_err(|_| Error::BadLength)?;
        packet.set_version_and_header_len(HEADER_LEN);
        packet.set_tos(self.tos);
        packet.set_total_len(total);
        packet.set_ident(self.ident);
        packet.set_unfragmented(self.dont_frag);
        packet.set_ttl(self.ttl);
        packet.set_protocol(self.protocol);
        packet.set_src_addr(self.src_addr);
        packet.set_dst_addr(self.dst_addr);
        packet.fill_checksum();
        Ok(())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::super::testdata::{CAPTURES, IGMP, V2_ADVERT, V3_V4, datagram};
    use super::*;

    /// For any input that parses: emit gives the same header bytes when it had no options, and
    /// the header checksum verifies.
    pub(crate) fn roundtrip_any(data: &[u8]) {
        let Ok(p) = Packet::new_checked(data) else {
            return;
        };
        let Ok(repr) = Repr::parse(&p) else {
            return;
        };
        assert_eq!(repr.payload_len, p.payload().len());
        assert!(p.payload().len() + p.header_len() <= data.len());
        let mut out = [0u8; HEADER_LEN];
        repr.emit(&mut Packet::new_unchecked(&mut out[..])).unwrap();
        if p.header_len() == HEADER_LEN && !p.more_frags() && p.frag_offset() == 0 {
            // Emit keeps every field but the reserved flag bit; the checksum is recomputed (a
            // stored 0xffff and a computed 0 both verify).
            let mut want = [0u8; HEADER_LEN];
            want.copy_from_slice(&data[..HEADER_LEN]);
            want[6] &= 0x40;
            assert_eq!(out[..10], want[..10]);
            assert_eq!(out[12..], want[12..]);
        }
        assert!(Packet::new_unchecked(&out[..]).verify_checksum());
    }

    #[test]
    fn deconstruct_v2_advert() {
        let d = datagram(V2_ADVERT);
        let p = Packet::new_checked(&d[..]).unwrap();
        assert_eq!(p.version(), 4);
        assert_eq!(p.header_len(), 20);
        assert_eq!(p.tos(), 0xc0);
        assert_eq!(p.total_len(), 44);
        assert_eq!(p.ident(), 1);
        assert!(!p.dont_frag() && !p.more_frags());
        assert_eq!(p.frag_offset(), 0);
        assert_eq!(p.ttl(), 255);
        assert_eq!(p.protocol(), PROTO_VRRP);
        assert_eq!(p.checksum(), 0xcce4);
        assert_eq!(p.src_addr(), Ipv4Addr::new(192, 168, 77, 1));
        assert_eq!(p.dst_addr(), VRRP_GROUP);
        assert!(p.verify_checksum());
        assert!(p.options().is_empty());
        assert_eq!(p.payload().len(), 24);
        assert_eq!(p.payload_ref().len(), 24);
    }

    #[test]
    fn parse_then_emit_gives_the_captured_headers() {
        for (hex, ident, payload) in [(V2_ADVERT, 1, 24), (V3_V4, 1, 12)] {
            let d = datagram(hex);
            let repr = Repr::parse(&Packet::new_checked(&d[..]).unwrap()).unwrap();
            assert_eq!(
                repr,
                Repr::vrrp(Ipv4Addr::new(192, 168, 77, 1), VRRP_GROUP, ident, payload)
            );
            let mut out = vec![0u8; repr.buffer_len()];
            repr.emit(&mut Packet::new_unchecked(&mut out[..])).unwrap();
            assert_eq!(out[..], d[..HEADER_LEN]);
        }
    }

    #[test]
    fn options_and_df_are_read() {
        // IGMP report from the kernel: IHL 6 (router alert option), DF, TTL 1.
        let d = datagram(IGMP);
        let p = Packet::new_checked(&d[..]).unwrap();
        assert_eq!(p.header_len(), 24);
        assert_eq!(p.options(), &[0x94, 0x04, 0x00, 0x00]);
        let r = Repr::parse(&p).unwrap();
        assert!(r.dont_frag);
        assert_eq!((r.ttl, r.protocol, r.payload_len), (1, 2, 16));
        let mut out = [0u8; HEADER_LEN];
        r.emit(&mut Packet::new_unchecked(&mut out[..])).unwrap();
        assert_eq!(out[6], 0x40);
    }

    #[test]
    fn every_capture_header_verifies() {
        for hex in CAPTURES {
            let d = datagram(hex);
            if let Ok(p) = Packet::new_checked(&d[..])
                && p.version() == 4
            {
                assert!(Repr::parse(&p).is_ok(), "{hex}");
            }
        }
    }

    #[test]
    fn error_paths() {
        let d = datagram(V2_ADVERT);
        for len in 0..d.len() {
            let e = Packet::new_checked(&d[..len]).err();
            assert_eq!(e, Some(Error::Truncated), "len {len}");
        }
        // Ethernet padding after the total length is tolerated and not part of the payload.
        let mut padded = d.clone();
        padded.extend_from_slice(&[0; 6]);
        let p = Packet::new_checked(&padded[..]).unwrap();
        assert_eq!(p.payload(), &d[20..]);

        let mut bad = d.clone();
        bad[0] = 0x44; // IHL 4
        assert_eq!(Packet::new_checked(&bad[..]).err(), Some(Error::BadLength));
        let mut bad = d.clone();
        bad[0] = 0x4f; // IHL 15: 60 bytes, more than the 44 there are
        assert_eq!(Packet::new_checked(&bad[..]).err(), Some(Error::Truncated));
        let mut bad = d.clone();
        bad[2..4].copy_from_slice(&19u16.to_be_bytes());
        assert_eq!(Packet::new_checked(&bad[..]).err(), Some(Error::BadLength));
        let mut bad = d.clone();
        bad[0] = 0x65;
        let p = Packet::new_checked(&bad[..]).unwrap();
        assert_eq!(Repr::parse(&p), Err(Error::BadVersion));
        let mut bad = d.clone();
        bad[8] = 254; // TTL changed, checksum not
        let p = Packet::new_checked(&bad[..]).unwrap();
        assert_eq!(Repr::parse(&p), Err(Error::Checksum));
    }

    #[test]
    fn emit_errors() {
        let r = Repr::vrrp(Ipv4Addr::LOCALHOST, VRRP_GROUP, 1, 12);
        let mut short = [0u8; 19];
        assert_eq!(
            r.emit(&mut Packet::new_unchecked(&mut short[..])),
            Err(Error::Truncated)
        );
        let big = Repr {
            payload_len: 65_516,
            ..r
        };
        let mut buf = [0u8; 20];
        assert_eq!(
            big.emit(&mut Packet::new_unchecked(&mut buf[..])),
            Err(Error::BadLength)
        );
        let max = Repr {
            payload_len: 65_515,
            ..r
        };
        assert_eq!(max.emit(&mut Packet::new_unchecked(&mut buf[..])), Ok(()));
    }

    #[test]
    fn construct_with_payload() {
        let r = Repr::vrrp(Ipv4Addr::new(10, 0, 0, 1), Ipv4Addr::new(10, 0, 0, 2), 7, 4);
        let mut buf = [0u8; 24];
        let mut p = Packet::new_unchecked(&mut buf[..]);
        r.emit(&mut p).unwrap();
        p.payload_mut().copy_from_slice(&[1, 2, 3, 4]);
        let p = Packet::new_checked(&buf[..]).unwrap();
        assert_eq!(p.payload(), &[1, 2, 3, 4]);
        assert_eq!(Repr::parse(&p), Ok(r));
    }

    #[test]
    fn ident_counter_starts_at_one_and_skips_zero() {
        assert_eq!(next_ident(0), 1);
        assert_eq!(next_ident(1), 2);
        assert_eq!(next_ident(u16::MAX), 1);
    }
}
