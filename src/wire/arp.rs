//! ARP over Ethernet for IPv4 (RFC 826), for the gratuitous ARPs a new master sends for its
//! virtual addresses, byte-compatible with keepalived's `vrrp_arp.c` (reference §2.6, §2.9).
//!
//! keepalived's gratuitous ARP is a *request* (op 1) broadcast to ff:ff:ff:ff:ff:ff from the
//! interface MAC (the VMAC when the address is on it), with sender = target protocol address =
//! the VIP, sender hardware address = the interface MAC and target hardware address =
//! ff:ff:ff:ff:ff:ff; 42 bytes before padding ([`emit_gratuitous_frame`]). The InfiniBand form
//! keepalived also knows is not built here.
//!
//! Invariant: after `Packet::new_checked` the buffer holds the 8-byte fixed part and both
//! address pairs at the lengths the header declares. The typed accessors assume Ethernet/IPv4
//! (6 and 4 bytes); [`Repr::parse`] refuses anything else (`Unsupported`).

use super::bytes;
use super::ethernet::{self, EtherType};
use super::{Error, Result};
use std::net::Ipv4Addr;

/// Hardware type Ethernet.
pub const HTYPE_ETHERNET: u16 = 1;
/// Length of an Ethernet/IPv4 ARP packet.
pub const PACKET_LEN: usize = 28;
/// Length of a gratuitous ARP frame (Ethernet header + ARP), before any padding.
pub const GARP_FRAME_LEN: usize = ethernet::HEADER_LEN + PACKET_LEN;

mod field {
    pub const HTYPE: usize = 0;
    pub const PTYPE: usize = 2;
    pub const HLEN: usize = 4;
    pub const PLEN: usize = 5;
    pub const OPER: usize = 6;
    pub const SHA: usize = 8;
    pub const SPA: usize = 14;
    pub const THA: usize = 18;
    pub const TPA: usize = 24;
}
const FIXED_LEN: usize = 8;

/// The ARP operation; unknown values are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    Request,
    Reply,
    Unknown(u16),
}

impl From<u16> for Operation {
    fn from(v: u16) -> Operation {
        match v {
            1 => Operation::Request,
            2 => Operation::Reply,
            other => Operation::Unknown(other),
        }
    }
}

impl From<Operation> for u16 {
    fn from(o: Operation) -> u16 {
        match o {
            Operation::Request => 1,
            Operation::Reply => 2,
            Operation::Unknown(v) => v,
        }
    }
}

view! {
    /// A view over an ARP packet.
    ///
    /// ```text
    ///  0                   1                   2                   3
    ///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
    /// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
    /// |         Hardware Type         |         Protocol Type         |
    /// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
    /// |  Hw Addr Len  | Proto Addr Len|           Operation           |
    /// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
    /// |          Sender Hardware Address (Hw Addr Len octets)         |
    /// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
    /// |        Sender Protocol Address (Proto Addr Len octets)        |
    /// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
    /// |          Target Hardware Address (Hw Addr Len octets)         |
    /// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
    /// |        Target Protocol Address (Proto Addr Len octets)        |
    /// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
    /// ```
    Packet
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// `Truncated` when the buffer is shorter than the fixed part or than the four addresses at
    /// the declared lengths.
    pub fn check_len(&self) -> Result<()> {
        let len = self.data().len();
        let addrs = 2 * (usize::from(self.hardware_len()) + usize::from(self.protocol_len()));
        if len < FIXED_LEN || len < FIXED_LEN + addrs {
            return Err(Error::Truncated);
        }
        Ok(())
    }

    /// Hardware type (1 for Ethernet).
    pub fn hardware_type(&self) -> u16 {
        bytes::u16_at(self.data(), field::HTYPE)
    }

    /// Protocol type (an EtherType, 0x0800 for IPv4).
    pub fn protocol_type(&self) -> u16 {
        bytes::u16_at(self.data(), field::PTYPE)
    }

    /// Hardware address length.
    pub fn hardware_len(&self) -> u8 {
        bytes::u8_at(self.data(), field::HLEN)
    }

    /// Protocol address length.
    pub fn protocol_len(&self) -> u8 {
        bytes::u8_at(self.data(), field::PLEN)
    }

    /// Operation.
    pub fn operation(&self) -> Operation {
        Operation::from(bytes::u16_at(self.data(), field::OPER))
    }

    /// Sender hardware address (Ethernet/IPv4 layout).
    pub fn source_hardware_addr(&self) -> ethernet::Address {
        ethernet::Address(bytes::array(self.data(), field::SHA))
    }

    /// Sender protocol address (Ethernet/IPv4 layout).
    pub fn source_protocol_addr(&self) -> Ipv4Addr {
        Ipv4Addr::from(bytes::array::<4>(self.data(), field::SPA))
    }

    /// Target hardware address (Ethernet/IPv4 layout).
    pub fn target_hardware_addr(&self) -> ethernet::Address {
        ethernet::Address(bytes::array(self.data(), field::THA))
    }

    /// Target protocol address (Ethernet/IPv4 layout).
    pub fn target_protocol_addr(&self) -> Ipv4Addr {
        Ipv4Addr::from(bytes::array::<4>(self.data(), field::TPA))
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Packet<T> {
    /// Sets hardware type, protocol type and both lengths to Ethernet/IPv4 (1, 0x0800, 6, 4).
    pub fn set_ethernet_ipv4(&mut self) {
        let b = self.data_mut();
        bytes::put_u16(b, field::HTYPE, HTYPE_ETHERNET);
        bytes::put_u16(b, field::PTYPE, EtherType::Ipv4.into());
        bytes::put_u8(b, field::HLEN, 6);
        bytes::put_u8(b, field::PLEN, 4);
    }

    /// Sets the operation.
    pub fn set_operation(&mut self, op: Operation) {
        bytes::put_u16(self.data_mut(), field::OPER, op.into());
    }

    /// Sets the sender hardware address.
    pub fn set_source_hardware_addr(&mut self, a: ethernet::Address) {
        bytes::put(self.data_mut(), field::SHA, &a.0);
    }

    /// Sets the sender protocol address.
    pub fn set_source_protocol_addr(&mut self, a: Ipv4Addr) {
        bytes::put(self.data_mut(), field::SPA, &a.octets());
    }

    /// Sets the target hardware address.
    pub fn set_target_hardware_addr(&mut self, a: ethernet::Address) {
        bytes::put(self.data_mut(), field::THA, &a.0);
    }

    /// Sets the target protocol address.
    pub fn set_target_protocol_addr(&mut self, a: Ipv4Addr) {
        bytes::put(self.data_mut(), field::TPA, &a.octets());
    }
}

/// An Ethernet/IPv4 ARP packet as a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Repr {
    pub operation: Operation,
    pub source_hardware_addr: ethernet::Address,
    pub source_protocol_addr: Ipv4Addr,
    pub target_hardware_addr: ethernet::Address,
    pub target_protocol_addr: Ipv4Addr,
}

impl Repr {
    /// keepalived's gratuitous ARP for `vip` from `mac`.
    pub fn gratuitous(mac: ethernet::Address, vip: Ipv4Addr) -> Repr {
        Repr {
            operation: Operation::Request,
            source_hardware_addr: mac,
            source_protocol_addr: vip,
            target_hardware_addr: ethernet::Address::BROADCAST,
            target_protocol_addr: vip,
        }
    }

    /// True when this is a gratuitous ARP: sender and target protocol addresses are equal.
    pub fn is_gratuitous(&self) -> bool {
        self.source_protocol_addr == self.target_protocol_addr
    }

    /// Reads a packet: lengths ([`Packet::check_len`]), then `Unsupported` unless it is
    /// Ethernet/IPv4 (hardware type 1, protocol 0x0800, lengths 6 and 4).
    pub fn parse<T: AsRef<[u8]>>(packet: &Packet<T>) -> Result<Repr> {
        packet.check_len()?;
        if packet.hardware_type() != HTYPE_ETHERNET
            || packet.protocol_type() != u16::from(EtherType::Ipv4)
            || packet.hardware_len() != 6
            || packet.protocol_len() != 4
        {
            return Err(Error::Unsupported);
        }
        Ok(Repr {
            operation: packet.operation(),
            source_hardware_addr: packet.source_hardware_addr(),
            source_protocol_addr: packet.source_protocol_addr(),
            target_hardware_addr: packet.target_hardware_addr(),
            target_protocol_addr: packet.target_protocol_addr(),
        })
    }

    /// Bytes of the packet (28).
    pub const fn buffer_len(&self) -> usize {
        PACKET_LEN
    }

    /// Writes the packet; `Truncated` when the buffer cannot hold it.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, packet: &mut Packet<T>) -> Result<()> {
        if packet.data().len() < PACKET_LEN {
            return Err(Error::Truncated);
        }
        packet.set_ethernet_ipv4();
        packet.set_operation(self.operation);
        packet.set_source_hardware_addr(self.source_hardware_addr);
        packet.set_source_protocol_addr(self.source_protocol_addr);
        packet.set_target_hardware_addr(self.target_hardware_addr);
        packet.set_target_protocol_addr(self.target_protocol_addr);
        Ok(())
    }
}

/// Writes keepalived's gratuitous ARP frame for `vip` from `mac` into `buf` and returns its
/// length ([`GARP_FRAME_LEN`]); `Truncated` when `buf` is shorter.
pub fn emit_gratuitous_frame(
    buf: &mut [u8],
    mac: ethernet::Address,
    vip: Ipv4Addr,
) -> Result<usize> {
    let buf = buf.get_mut(..GARP_FRAME_LEN).ok_or(Error::Truncated)?;
    let mut frame = ethernet::Frame::new_unchecked(&mut *buf);
    let eth = ethernet::Repr {
        src_addr: mac,
        dst_addr: ethernet::Address::BROADCAST,
        ethertype: EtherType::Arp,
    };
    eth.emit(&mut frame)?;
    Repr::gratuitous(mac, vip).emit(&mut Packet::new_unchecked(frame.payload_mut()))?;
    Ok(GARP_FRAME_LEN)
}

/// Reads an ARP frame: the Ethernet header, `Unsupported` unless its EtherType is ARP, then the
/// ARP packet (trailing padding ignored).
pub fn parse_frame(data: &[u8]) -> Result<(ethernet::Repr, Repr)> {
    let frame = ethernet::Frame::new_checked(data)?;
    let eth = ethernet::Repr::parse(&frame)?;
    if eth.ethertype != EtherType::Arp {
        return Err(Error::Unsupported);
    }
    let arp = Repr::parse(&Packet::new_checked(frame.payload())?)?;
    Ok((eth, arp))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::super::Family;
    use super::super::testdata::{GARP, GARP_VMAC, V2_ADVERT, frame};
    use super::*;

    const MAC: ethernet::Address = ethernet::Address([0xca, 0x09, 0x5b, 0x66, 0x6b, 0xec]);

    /// For any input that parses as an ARP frame, emit gives the same bytes.
    pub(crate) fn roundtrip_any(data: &[u8]) {
        let Ok((eth, arp)) = parse_frame(data) else {
            return;
        };
        let mut out = [0u8; GARP_FRAME_LEN];
        let mut f = ethernet::Frame::new_unchecked(&mut out[..]);
        eth.emit(&mut f).unwrap();
        arp.emit(&mut Packet::new_unchecked(f.payload_mut()))
            .unwrap();
        assert_eq!(out[..], data[..GARP_FRAME_LEN]);
    }

    #[test]
    fn deconstruct_captured_garp() {
        let f = frame(GARP);
        let p = Packet::new_checked(&f[ethernet::HEADER_LEN..]).unwrap();
        assert_eq!(p.hardware_type(), 1);
        assert_eq!(p.protocol_type(), 0x0800);
        assert_eq!((p.hardware_len(), p.protocol_len()), (6, 4));
        assert_eq!(p.operation(), Operation::Request);
        assert_eq!(p.source_hardware_addr(), MAC);
        assert_eq!(p.source_protocol_addr(), Ipv4Addr::new(192, 168, 77, 100));
        assert_eq!(p.target_hardware_addr(), ethernet::Address::BROADCAST);
        assert_eq!(p.target_protocol_addr(), Ipv4Addr::new(192, 168, 77, 100));
    }

    #[test]
    fn construct_gives_the_captured_frames() {
        let vmac = ethernet::Address::vrrp_vmac(Family::V4, 52);
        for (hex, mac, vip) in [
            (GARP, MAC, Ipv4Addr::new(192, 168, 77, 100)),
            (GARP_VMAC, vmac, Ipv4Addr::new(192, 168, 77, 102)),
        ] {
            let want = frame(hex);
            let mut buf = [0u8; 60];
            let n = emit_gratuitous_frame(&mut buf, mac, vip).unwrap();
            assert_eq!(buf[..n], want[..]);
            let (eth, arp) = parse_frame(&want).unwrap();
            assert_eq!(eth.src_addr, mac);
            assert!(eth.dst_addr.is_broadcast());
            assert_eq!(arp, Repr::gratuitous(mac, vip));
            assert!(arp.is_gratuitous());
            roundtrip_any(&want);
        }
    }

    #[test]
    fn padding_is_ignored() {
        let mut f = frame(GARP);
        f.resize(60, 0);
        assert!(parse_frame(&f).is_ok());
    }

    #[test]
    fn error_paths() {
        let f = frame(GARP);
        for len in 0..f.len() {
            assert_eq!(
                parse_frame(&f[..len]).err(),
                Some(Error::Truncated),
                "{len}"
            );
        }
        assert_eq!(
            parse_frame(&frame(V2_ADVERT)).err(),
            Some(Error::Unsupported)
        );
        for (i, v) in [(14, 6u8), (16, 0x86), (18, 16), (19, 6)] {
            let mut bad = f.clone();
            bad[i] = v;
            bad.resize(80, 0); // room for the longer addresses that some of these declare
            assert_eq!(parse_frame(&bad).err(), Some(Error::Unsupported), "{i}");
        }
        let mut buf = [0u8; GARP_FRAME_LEN - 1];
        let vip = Ipv4Addr::new(10, 0, 0, 1);
        assert_eq!(
            emit_gratuitous_frame(&mut buf, MAC, vip),
            Err(Error::Truncated)
        );
        let mut short = [0u8; PACKET_LEN - 1];
        let r = Repr::gratuitous(MAC, vip);
        assert_eq!(
            r.emit(&mut Packet::new_unchecked(&mut short[..])),
            Err(Error::Truncated)
        );
        assert_eq!(r.buffer_len(), PACKET_LEN);
    }

    #[test]
    fn operations_roundtrip() {
        for v in [0u16, 1, 2, 3, 0xffff] {
            assert_eq!(u16::from(Operation::from(v)), v);
        }
        let reply = Repr {
            operation: Operation::Reply,
            ..Repr::gratuitous(MAC, Ipv4Addr::new(10, 0, 0, 1))
        };
        let mut buf = [0u8; PACKET_LEN];
        reply
            .emit(&mut Packet::new_unchecked(&mut buf[..]))
            .unwrap();
        assert_eq!(
            Repr::parse(&Packet::new_checked(&buf[..]).unwrap()),
            Ok(reply)
        );
    }
}
