//! The fixed IPv6 header (RFC 8200 3), for the unsolicited neighbour advertisements sent on an
//! AF_PACKET socket and for reading frames in tests. VRRP over IPv6 never sees this header: the
//! kernel builds it and strips it (addresses come from `recvmsg` and `IPV6_PKTINFO`).
//!
//! Invariant: after `Packet::new_checked` the buffer holds the 40-byte header and the payload
//! length; bytes after that (padding) are not part of [`Packet::payload`]. Extension headers are
//! not walked: [`Repr::next_header`] is whatever follows the fixed header.

use super::bytes;
use super::{Error, Result};
use std::net::Ipv6Addr;

/// Length of the fixed header.
pub const HEADER_LEN: usize = 40;
/// Next header value of ICMPv6.
pub const NEXT_HEADER_ICMPV6: u8 = 58;
/// Next header value of VRRP.
pub const NEXT_HEADER_VRRP: u8 = 112;
/// The VRRP multicast group (RFC 5798 5.1.2.2).
pub const VRRP_GROUP: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 0x12);
/// All nodes on the link, where unsolicited neighbour advertisements go.
pub const ALL_NODES: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 1);

mod field {
    pub const VER_TC_FLOW: usize = 0;
    pub const LENGTH: usize = 4;
    pub const NEXT_HEADER: usize = 6;
    pub const HOP_LIMIT: usize = 7;
    pub const SRC: usize = 8;
    pub const DST: usize = 24;
}

view! {
    /// A view over an IPv6 packet.
    ///
    /// ```text
    ///  0                   1                   2                   3
    ///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
    /// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
    /// |Version| Traffic Class |           Flow Label                  |
    /// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
    /// |         Payload Length        |  Next Header  |   Hop Limit   |
    /// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
    /// |                                                               |
    /// +                         Source Address                        +
    /// |                          (16 octets)                          |
    /// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
    /// |                                                               |
    /// +                      Destination Address                      +
    /// |                          (16 octets)                          |
    /// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
    /// ```
    Packet
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// `Truncated` when the buffer is shorter than the header or than header + payload length.
    /// The version is checked by [`Repr::parse`].
    pub fn check_len(&self) -> Result<()> {
        let len = self.data().len();
        if len < HEADER_LEN || len < HEADER_LEN + usize::from(self.payload_len()) {
            return Err(Error::Truncated);
        }
        Ok(())
    }

    /// The version field (6).
    pub fn version(&self) -> u8 {
        bytes::u8_at(self.data(), field::VER_TC_FLOW) >> 4
    }

    /// Traffic class.
    pub fn traffic_class(&self) -> u8 {
        (bytes::u16_at(self.data(), field::VER_TC_FLOW) >> 4) as u8
    }

    /// Flow label (20 bits).
    pub fn flow_label(&self) -> u32 {
        bytes::u32_at(self.data(), field::VER_TC_FLOW) & 0x000f_ffff
    }

    /// Payload length.
    pub fn payload_len(&self) -> u16 {
        bytes::u16_at(self.data(), field::LENGTH)
    }

    /// Next header.
    pub fn next_header(&self) -> u8 {
        bytes::u8_at(self.data(), field::NEXT_HEADER)
    }

    /// Hop limit.
    pub fn hop_limit(&self) -> u8 {
        bytes::u8_at(self.data(), field::HOP_LIMIT)
    }

    /// Source address.
    pub fn src_addr(&self) -> Ipv6Addr {
        Ipv6Addr::from(bytes::array::<16>(self.data(), field::SRC))
    }

    /// Destination address.
    pub fn dst_addr(&self) -> Ipv6Addr {
        Ipv6Addr::from(bytes::array::<16>(self.data(), field::DST))
    }

    /// The payload (payload length bytes after the header).
    pub fn payload(&self) -> &[u8] {
        let end = HEADER_LEN + usize::from(self.payload_len());
        bytes::slice(self.data(), HEADER_LEN, end)
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Packet<T> {
    /// Sets version 6, the traffic class and the flow label (low 20 bits).
    pub fn set_version_tc_flow(&mut self, traffic_class: u8, flow_label: u32) {
        let v = 6 << 28 | u32::from(traffic_class) << 20 | (flow_label & 0x000f_ffff);
        bytes::put_u32(self.data_mut(), field::VER_TC_FLOW, v);
    }

    /// Sets the payload length.
    pub fn set_payload_len(&mut self, v: u16) {
        bytes::put_u16(self.data_mut(), field::LENGTH, v);
    }

    /// Sets the next header.
    pub fn set_next_header(&mut self, v: u8) {
        bytes::put_u8(self.data_mut(), field::NEXT_HEADER, v);
    }

    /// Sets the hop limit.
    pub fn set_hop_limit(&mut self, v: u8) {
        bytes::put_u8(self.data_mut(), field::HOP_LIMIT, v);
    }

    /// Sets the source address.
    pub fn set_src_addr(&mut self, a: Ipv6Addr) {
        bytes::put(self.data_mut(), field::SRC, &a.octets());
    }

    /// Sets the destination address.
    pub fn set_dst_addr(&mut self, a: Ipv6Addr) {
        bytes::put(self.data_mut(), field::DST, &a.octets());
    }

    /// The payload, mutably.
    pub fn payload_mut(&mut self) -> &mut [u8] {
        let end = HEADER_LEN + usize::from(self.payload_len());
        bytes::slice_mut(self.data_mut(), HEADER_LEN, end)
    }
}

/// The fixed IPv6 header as a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Repr {
    pub src_addr: Ipv6Addr,
    pub dst_addr: Ipv6Addr,
    pub next_header: u8,
    pub payload_len: usize,
    pub hop_limit: u8,
    pub traffic_class: u8,
    /// 20 bits; the kernel sets one on VRRP adverts, keepalived's NAs carry 0.
    pub flow_label: u32,
}

impl Repr {
    /// Reads a header: lengths ([`Packet::check_len`]), then the version (`BadVersion`).
    pub fn parse<T: AsRef<[u8]>>(packet: &Packet<T>) -> Result<Repr> {
        packet.check_len()?;
        if packet.version() != 6 {
            return Err(Error::BadVersion);
        }
        Ok(Repr {
            src_addr: packet.src_addr(),
            dst_addr: packet.dst_addr(),
            next_header: packet.next_header(),
            payload_len: usize::from(packet.payload_len()),
            hop_limit: packet.hop_limit(),
            traffic_class: packet.traffic_class(),
            flow_label: packet.flow_label(),
        })
    }

    /// Bytes of the header.
    pub const fn buffer_len(&self) -> usize {
        HEADER_LEN
    }

    /// Writes the header; the payload is the caller's. `Truncated` when the buffer cannot hold
    /// the header, `BadLength` when the payload length exceeds 65535.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, packet: &mut Packet<T>) -> Result<()> {
        if packet.data().len() < HEADER_LEN {
            return Err(Error::Truncated);
        }
        let len = u16::try_from(self.payload_len).map_err(|_| Error::BadLength)?;
        packet.set_version_tc_flow(self.traffic_class, self.flow_label);
        packet.set_payload_len(len);
        packet.set_next_header(self.next_header);
        packet.set_hop_limit(self.hop_limit);
        packet.set_src_addr(self.src_addr);
        packet.set_dst_addr(self.dst_addr);
        Ok(())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::super::testdata::{NA_LINK_LOCAL, V3_V6, datagram};
    use super::*;

    /// For any input that parses, emit gives the same header bytes.
    pub(crate) fn roundtrip_any(data: &[u8]) {
        let Ok(p) = Packet::new_checked(data) else {
            return;
        };
        let Ok(repr) = Repr::parse(&p) else {
            return;
        };
        assert_eq!(repr.payload_len, p.payload().len());
        let mut out = [0u8; HEADER_LEN];
        repr.emit(&mut Packet::new_unchecked(&mut out[..])).unwrap();
        assert_eq!(out[..], data[..HEADER_LEN]);
    }

    #[test]
    fn deconstruct_v3_advert() {
        let d = datagram(V3_V6);
        let p = Packet::new_checked(&d[..]).unwrap();
        assert_eq!(p.version(), 6);
        assert_eq!(p.traffic_class(), 0xc0);
        assert_eq!(p.flow_label(), 0x4_cec8);
        assert_eq!(p.payload_len(), 40);
        assert_eq!(p.next_header(), NEXT_HEADER_VRRP);
        assert_eq!(p.hop_limit(), 255);
        assert_eq!(
            p.src_addr(),
            "fe80::e0df:2fff:feb8:1b30".parse::<Ipv6Addr>().unwrap()
        );
        assert_eq!(p.dst_addr(), VRRP_GROUP);
        assert_eq!(p.payload().len(), 40);
    }

    #[test]
    fn captured_headers_roundtrip() {
        for hex in [V3_V6, NA_LINK_LOCAL] {
            let d = datagram(hex);
            let p = Packet::new_checked(&d[..]).unwrap();
            let r = Repr::parse(&p).unwrap();
            let mut out = vec![0u8; r.buffer_len() + r.payload_len];
            let mut q = Packet::new_unchecked(&mut out[..]);
            r.emit(&mut q).unwrap();
            q.payload_mut().copy_from_slice(p.payload());
            assert_eq!(out, d);
        }
    }

    #[test]
    fn error_paths() {
        let d = datagram(NA_LINK_LOCAL);
        for len in 0..d.len() {
            assert_eq!(Packet::new_checked(&d[..len]).err(), Some(Error::Truncated));
        }
        let mut bad = d.clone();
        bad[0] = 0x40;
        let p = Packet::new_checked(&bad[..]).unwrap();
        assert_eq!(Repr::parse(&p), Err(Error::BadVersion));
        let r = Repr::parse(&Packet::new_checked(&d[..]).unwrap()).unwrap();
        let mut short = [0u8; 39];
        assert_eq!(
            r.emit(&mut Packet::new_unchecked(&mut short[..])),
            Err(Error::Truncated)
        );
        let big = Repr {
            payload_len: 65_536,
            ..r
        };
        let mut buf = [0u8; 40];
        assert_eq!(
            big.emit(&mut Packet::new_unchecked(&mut buf[..])),
            Err(Error::BadLength)
        );
    }
}
