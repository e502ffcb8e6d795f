//! Ethernet II frames (IEEE 802.3 with an EtherType), as AF_PACKET sockets send and receive them
//! for gratuitous ARP and unsolicited neighbour advertisements; and MAC addresses, including the
//! multicast and VRRP virtual MAC mappings.
//!
//! Invariant: after `Frame::new_checked` the buffer holds the 14-byte header; the payload is the
//! rest of the buffer (the FCS is not part of what a socket sees; padding, if any, stays in the
//! payload for the inner format to ignore).

use super::bytes;
use super::{Error, Family, Result};
use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

/// A 48-bit MAC address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Address(pub [u8; 6]);

impl Address {
    /// ff:ff:ff:ff:ff:ff.
    pub const BROADCAST: Address = Address([0xff; 6]);

    /// The MAC of an IPv4 multicast group: 01:00:5e and the low 23 bits (RFC 1112 6.4).
    pub fn from_ipv4_multicast(group: Ipv4Addr) -> Address {
        let [_, b, c, d] = group.octets();
        Address([0x01, 0x00, 0x5e, b & 0x7f, c, d])
    }

    /// The MAC of an IPv6 multicast group: 33:33 and the low 32 bits (RFC 2464 7).
    pub fn from_ipv6_multicast(group: Ipv6Addr) -> Address {
        let [.., a, b, c, d] = group.octets();
        Address([0x33, 0x33, a, b, c, d])
    }

    /// The VRRP virtual router MAC: 00:00:5e:00:01:VRID for IPv4, 00:00:5e:00:02:VRID for IPv6
    /// (RFC 3768 7.3, RFC 5798 7.3).
    pub fn vrrp_vmac(family: Family, vrid: u8) -> Address {
        let f = match family {
            Family::V4 => 0x01,
            Family::V6 => 0x02,
        };
        Address([0x00, 0x00, 0x5e, 0x00, f, vrid])
    }

    /// The group bit of the first octet is set (broadcast included).
    pub fn is_multicast(&self) -> bool {
        self.0[0] & 0x01 != 0
    }

    /// ff:ff:ff:ff:ff:ff.
    pub fn is_broadcast(&self) -> bool {
        *self == Address::BROADCAST
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c, d, e, g] = self.0;
        write!(f, "{a:02x}:{b:02x}:{c:02x}:{d:02x}:{e:02x}:{g:02x}")
    }
}

/// The EtherType field; unknown values are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EtherType {
    Ipv4,
    Arp,
    Ipv6,
    Unknown(u16),
}

impl From<u16> for EtherType {
    fn from(v: u16) -> EtherType {
        match v {
            0x0800 => EtherType::Ipv4,
            0x0806 => EtherType::Arp,
            0x86dd => EtherType::Ipv6,
            other => EtherType::Unknown(other),
        }
    }
}

impl From<EtherType> for u16 {
    fn from(t: EtherType) -> u16 {
        match t {
            EtherType::Ipv4 => 0x0800,
            EtherType::Arp => 0x0806,
            EtherType::Ipv6 => 0x86dd,
            EtherType::Unknown(v) => v,
        }
    }
}

mod field {
    pub const DST: usize = 0;
    pub const SRC: usize = 6;
    pub const ETHERTYPE: usize = 12;
    pub const PAYLOAD: usize = 14;
}

/// Length of the Ethernet header.
pub const HEADER_LEN: usize = field::PAYLOAD;

view! {
    /// A view over an Ethernet II frame.
    ///
    /// ```text
    ///  0                   1                   2                   3
    ///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
    /// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
    /// |                    Destination MAC (6 octets)                 |
    /// +                               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
    /// |                               |                               |
    /// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+                               +
    /// |                      Source MAC (6 octets)                    |
    /// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
    /// |           EtherType           |  Payload ...
    /// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
    /// ```
    Frame
}

impl<T: AsRef<[u8]>> Frame<T> {
    /// `Err(Truncated)` when the buffer is shorter than the header.
    pub fn check_len(&self) -> Result<()> {
        if self.data().len() < HEADER_LEN {
            return Err(Error::Truncated);
        }
        Ok(())
    }

    /// Destination MAC.
    pub fn dst_addr(&self) -> Address {
        Address(bytes::array(self.data(), field::DST))
    }

    /// Source MAC.
    pub fn src_addr(&self) -> Address {
        Address(bytes::array(self.data(), field::SRC))
    }

    /// EtherType.
    pub fn ethertype(&self) -> EtherType {
        EtherType::from(bytes::u16_at(self.data(), field::ETHERTYPE))
    }

    /// Everything after the header.
    pub fn payload(&self) -> &[u8] {
        let b = self.data();
        bytes::slice(b, field::PAYLOAD, b.len())
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Frame<T> {
    /// Sets the destination MAC.
    pub fn set_dst_addr(&mut self, a: Address) {
        bytes::put(self.data_mut(), field::DST, &a.0);
    }

    /// Sets the source MAC.
    pub fn set_src_addr(&mut self, a: Address) {
        bytes::put(self.data_mut(), field::SRC, &a.0);
    }

    /// Sets the EtherType.
    pub fn set_ethertype(&mut self, t: EtherType) {
        bytes::put_u16(self.data_mut(), field::ETHERTYPE, t.into());
    }

    /// Everything after the header, mutably.
    pub fn payload_mut(&mut self) -> &mut [u8] {
        let b = self.data_mut();
        let len = b.len();
        bytes::slice_mut(b, field::PAYLOAD, len)
    }
}

/// An Ethernet header as a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Repr {
    pub src_addr: Address,
    pub dst_addr: Address,
    pub ethertype: EtherType,
}

impl Repr {
    /// Reads the header of a checked frame.
    pub fn parse<T: AsRef<[u8]>>(frame: &Frame<T>) -> Result<Repr> {
        frame.check_len()?;
        Ok(Repr {
            src_addr: frame.src_addr(),
            dst_addr: frame.dst_addr(),
            ethertype: frame.ethertype(),
        })
    }

    /// Bytes of the header.
    pub const fn buffer_len(&self) -> usize {
        HEADER_LEN
    }

    /// Writes the header; `Err(Truncated)` when the buffer cannot hold it.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, frame: &mut Frame<T>) -> Result<()> {
        frame.check_len()?;
        frame.set_dst_addr(self.dst_addr);
        frame.set_src_addr(self.src_addr);
        frame.set_ethertype(self.ethertype);
        Ok(())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::super::testdata::{CAPTURES, GARP, V2_ADVERT, V3_V6, frame};
    use super::*;

    /// Parse then emit gives the same header bytes, for any input that parses.
    pub(crate) fn roundtrip_any(data: &[u8]) {
        let Ok(f) = Frame::new_checked(data) else {
            assert!(data.len() < HEADER_LEN);
            return;
        };
        let repr = Repr::parse(&f).expect("checked frame parses");
        let mut out = [0u8; HEADER_LEN];
        repr.emit(&mut Frame::new_unchecked(&mut out[..])).unwrap();
        assert_eq!(&out[..], &data[..HEADER_LEN]);
        assert_eq!(f.payload().len(), data.len() - HEADER_LEN);
    }

    #[test]
    fn deconstruct_captured_headers() {
        let v2 = frame(V2_ADVERT);
        let f = Frame::new_checked(&v2[..]).unwrap();
        assert_eq!(
            f.dst_addr(),
            Address::from_ipv4_multicast(Ipv4Addr::new(224, 0, 0, 18))
        );
        assert_eq!(f.src_addr().to_string(), "ca:09:5b:66:6b:ec");
        assert_eq!(f.ethertype(), EtherType::Ipv4);
        assert_eq!(f.payload().len(), 44);

        let garp = frame(GARP);
        let f = Frame::new_checked(&garp[..]).unwrap();
        assert!(f.dst_addr().is_broadcast());
        assert_eq!(f.ethertype(), EtherType::Arp);

        let v6 = frame(V3_V6);
        let f = Frame::new_checked(&v6[..]).unwrap();
        let group: Ipv6Addr = "ff02::12".parse().unwrap();
        assert_eq!(f.dst_addr(), Address::from_ipv6_multicast(group));
        assert!(f.dst_addr().is_multicast() && !f.src_addr().is_multicast());
        assert_eq!(f.ethertype(), EtherType::Ipv6);
    }

    #[test]
    fn construct_header() {
        let repr = Repr {
            src_addr: Address::vrrp_vmac(Family::V4, 52),
            dst_addr: Address::BROADCAST,
            ethertype: EtherType::Unknown(0x88cc),
        };
        let mut buf = [0u8; 20];
        let mut f = Frame::new_checked(&mut buf[..]).unwrap();
        repr.emit(&mut f).unwrap();
        f.payload_mut().fill(0xaa);
        assert_eq!(
            buf,
            [
                0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x5e, 0x00, 0x01, 0x34, 0x88, 0xcc,
                0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa
            ]
        );
        assert_eq!(
            Repr::parse(&Frame::new_checked(&buf[..]).unwrap()),
            Ok(repr)
        );
        assert_eq!(repr.buffer_len(), 14);
    }

    #[test]
    fn captures_roundtrip() {
        for hex in CAPTURES {
            roundtrip_any(&frame(hex));
        }
    }

    #[test]
    fn truncated_at_every_length() {
        let v2 = frame(V2_ADVERT);
        for len in 0..HEADER_LEN {
            assert_eq!(Frame::new_checked(&v2[..len]).err(), Some(Error::Truncated));
        }
        let mut short = [0u8; 13];
        let r = Repr {
            src_addr: Address::default(),
            dst_addr: Address::BROADCAST,
            ethertype: EtherType::Ipv6,
        };
        assert_eq!(
            r.emit(&mut Frame::new_unchecked(&mut short[..])),
            Err(Error::Truncated)
        );
    }

    #[test]
    fn mac_mappings() {
        let g: Ipv4Addr = "239.129.1.2".parse().unwrap();
        assert_eq!(
            Address::from_ipv4_multicast(g).to_string(),
            "01:00:5e:01:01:02"
        );
        assert_eq!(
            Address::vrrp_vmac(Family::V6, 7).to_string(),
            "00:00:5e:00:02:07"
        );
        for t in [0x0800u16, 0x0806, 0x86dd, 0x1234] {
            assert_eq!(u16::from(EtherType::from(t)), t);
        }
    }
}
