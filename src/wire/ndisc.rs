//! ICMPv6 neighbour advertisements (RFC 4861 4.4), for the unsolicited NAs a new master sends for
//! its IPv6 virtual addresses, byte-compatible with keepalived's `vrrp_ndisc.c` (reference §2.6,
//! §2.9).
//!
//! keepalived's unsolicited NA, sent on an AF_PACKET socket: Ethernet from the interface MAC to
//! 33:33:00:00:00:01; IPv6 traffic class 0, flow label 0, hop limit 255, from *the VIP itself* to
//! ff02::1; ICMPv6 type 136 code 0, Override always, Router only when IPv6 forwarding is on for
//! the interface (the caller says), Solicited never; target = the VIP; one target link-layer
//! address option with the interface MAC. 86 bytes ([`emit_unsolicited_na_frame`]).
//!
//! Invariant: after `Packet::new_checked` the buffer holds the 24-byte fixed part; everything
//! after it is options. [`Repr::parse`] walks the options (`Malformed` for a zero length,
//! `Truncated` for one that overruns), keeps the target link-layer address and skips the rest,
//! so parse then emit round-trips NAs that carry no other option.

use super::bytes;
use super::checksum;
use super::ethernet::{self, EtherType};
use super::ipv6;
use super::{Error, Result};
use std::net::Ipv6Addr;

/// ICMPv6 type of a neighbour advertisement.
pub const TYPE_NEIGHBOR_ADVERT: u8 = 136;
/// Option type "target link-layer address".
pub const OPT_TARGET_LLADDR: u8 = 2;
/// Length of the ICMPv6 header (type, code, checksum).
const ICMPV6_HEADER_LEN: usize = 4;
/// Length of the fixed part of a neighbour advertisement.
pub const HEADER_LEN: usize = 24;
/// Length of a target link-layer address option for Ethernet.
pub const LLADDR_OPT_LEN: usize = 8;
/// Length of keepalived's unsolicited NA frame (Ethernet + IPv6 + NA + option).
pub const NA_FRAME_LEN: usize =
    ethernet::HEADER_LEN + ipv6::HEADER_LEN + HEADER_LEN + LLADDR_OPT_LEN;
/// Hop limit of neighbour discovery messages (RFC 4861 7.1.2).
pub const HOP_LIMIT: u8 = 255;

const FLAG_ROUTER: u8 = 0x80;
const FLAG_SOLICITED: u8 = 0x40;
const FLAG_OVERRIDE: u8 = 0x20;

mod field {
    pub const TYPE: usize = 0;
    pub const CODE: usize = 1;
    pub const CHECKSUM: usize = 2;
    pub const FLAGS: usize = 4;
    pub const TARGET: usize = 8;
    pub const OPTIONS: usize = 24;
}

view! {
    /// A view over an ICMPv6 neighbour advertisement.
    ///
    /// ```text
    ///  0                   1                   2                   3
    ///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
    /// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
    /// |     Type      |     Code      |          Checksum             |
    /// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
    /// |R|S|O|                     Reserved                            |
    /// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
    /// |                                                               |
    /// +                                                               +
    /// |                                                               |
    /// +                       Target Address                          +
    /// |                                                               |
    /// +                                                               +
    /// |                                                               |
    /// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
    /// |   Options ...
    /// +-+-+-+-+-+-+-+-+-+-+-+-
    /// ```
    ///
    /// Target link-layer address option (RFC 4861 4.6.1), length in units of 8 octets:
    ///
    /// ```text
    /// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
    /// |   Type = 2    |  Length = 1   |    Link-Layer Address ...
    /// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
    /// ```
    Packet
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// Checks, in order: the 4-byte ICMPv6 header is there (`Truncated`); the type is 136
    /// (`Unsupported`: the rest of the layout is the NA's, so another message, such as a shorter
    /// router solicitation, is not measured against it); the 24-byte fixed part is there
    /// (`Truncated`).
    pub fn check_len(&self) -> Result<()> {
        let len = self.data().len();
        if len < ICMPV6_HEADER_LEN {
            return Err(Error::Truncated);
        }
        if self.msg_type() != TYPE_NEIGHBOR_ADVERT {
            return Err(Error::Unsupported);
        }
        if len < HEADER_LEN {
            return Err(Error::Truncated);
        }
        Ok(())
    }

    /// ICMPv6 type.
    pub fn msg_type(&self) -> u8 {
        bytes::u8_at(self.data(), field::TYPE)
    }

    /// ICMPv6 code.
    pub fn msg_code(&self) -> u8 {
        bytes::u8_at(self.data(), field::CODE)
    }

    /// The stored checksum.
    pub fn checksum(&self) -> u16 {
        bytes::u16_at(self.data(), field::CHECKSUM)
    }

    /// The Router flag.
    pub fn router_flag(&self) -> bool {
        bytes::u8_at(self.data(), field::FLAGS) & FLAG_ROUTER != 0
    }

    /// The Solicited flag.
    pub fn solicited_flag(&self) -> bool {
        bytes::u8_at(self.data(), field::FLAGS) & FLAG_SOLICITED != 0
    }

    /// The Override flag.
    pub fn override_flag(&self) -> bool {
        bytes::u8_at(self.data(), field::FLAGS) & FLAG_OVERRIDE != 0
    }

    /// The target address.
    pub fn target_addr(&self) -> Ipv6Addr {
        Ipv6Addr::from(bytes::array::<16>(self.data(), field::TARGET))
    }

    /// The options, raw.
    pub fn options(&self) -> &[u8] {
        let b = self.data();
        bytes::slice(b, field::OPTIONS, b.len())
    }

    /// True when the ICMPv6 checksum verifies for a packet from `src` to `dst` (the whole buffer
    /// is the ICMPv6 message).
    pub fn verify_checksum(&self, src: Ipv6Addr, dst: Ipv6Addr) -> bool {
        let msg = self.data();
        let acc = checksum::pseudo_header_v6(src, dst, ipv6::NEXT_HEADER_ICMPV6, msg.len() as u32);
        checksum::is_valid(checksum::add(acc, msg))
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Packet<T> {
    /// Sets type 136, code 0.
    pub fn set_neighbor_advert(&mut self) {
        bytes::put_u8(self.data_mut(), field::TYPE, TYPE_NEIGHBOR_ADVERT);
        bytes::put_u8(self.data_mut(), field::CODE, 0);
    }

    /// Sets the flags (the 29 reserved bits to zero).
    pub fn set_flags(&mut self, router: bool, solicited: bool, override_flag: bool) {
        let mut f = 0;
        for (on, bit) in [
            (router, FLAG_ROUTER),
            (solicited, FLAG_SOLICITED),
            (override_flag, FLAG_OVERRIDE),
        ] {
            if on {
                f |= bit;
            }
        }
        bytes::put_u32(self.data_mut(), field::FLAGS, u32::from(f) << 24);
    }

    /// Sets the target address.
    pub fn set_target_addr(&mut self, a: Ipv6Addr) {
        bytes::put(self.data_mut(), field::TARGET, &a.octets());
    }

    /// Sets the stored checksum.
    pub fn set_checksum(&mut self, v: u16) {
        bytes::put_u16(self.data_mut(), field::CHECKSUM, v);
    }

    /// The options, mutably.
    pub fn options_mut(&mut self) -> &mut [u8] {
        let b = self.data_mut();
        let len = b.len();
        bytes::slice_mut(b, field::OPTIONS, len)
    }

    /// Computes and stores the checksum over the whole buffer (call last).
    pub fn fill_checksum(&mut self, src: Ipv6Addr, dst: Ipv6Addr) {
        self.set_checksum(0);
        let msg = self.data();
        let acc = checksum::pseudo_header_v6(src, dst, ipv6::NEXT_HEADER_ICMPV6, msg.len() as u32);
        let c = checksum::finish(checksum::add(acc, msg));
        self.set_checksum(c);
    }
}

/// A neighbour advertisement as a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Repr {
    pub router_flag: bool,
    pub solicited_flag: bool,
    pub override_flag: bool,
    pub target_addr: Ipv6Addr,
    /// The target link-layer address option, when present.
    pub target_lladdr: Option<ethernet::Address>,
}

impl Repr {
    /// keepalived's unsolicited NA for `vip` from `mac`: Override, Router when `router`.
    pub fn unsolicited(mac: ethernet::Address, vip: Ipv6Addr, router: bool) -> Repr {
        Repr {
            router_flag: router,
            solicited_flag: false,
            override_flag: true,
            target_addr: vip,
            target_lladdr: Some(mac),
        }
    }

    /// Reads the ICMPv6 message of a packet from `src` to `dst`, in order: type and lengths
    /// ([`Packet::check_len`]), code 0 (`Malformed`, RFC 4861 7.1.2), the checksum (`Checksum`),
    /// then the options.
    pub fn parse<T: AsRef<[u8]>>(packet: &Packet<T>, src: Ipv6Addr, dst: Ipv6Addr) -> Result<Repr> {
        packet.check_len()?;
        if packet.msg_code() != 0 {
            return Err(Error::Malformed);
        }
        if !packet.verify_checksum(src, dst) {
            return Err(Error::Checksum);
        }
        let mut target_lladdr = None;
        let mut opts = packet.options();
        while !opts.is_empty() {
            let (kind, units) = match *opts {
                [kind, units, ..] => (kind, usize::from(units)),
                _ => return Err(Error::Truncated),
            };
            if units == 0 {
                return Err(Error::Malformed);
            }
            let (opt, rest) = opts.split_at_checked(units * 8).ok_or(Error::Truncated)?;
            if kind == OPT_TARGET_LLADDR && units == 1 {
                target_lladdr = Some(ethernet::Address(bytes::array(opt, 2)));
            }
            opts = rest;
        }
        Ok(Repr {
            router_flag: packet.router_flag(),
            solicited_flag: packet.solicited_flag(),
            override_flag: packet.override_flag(),
            target_addr: packet.target_addr(),
            target_lladdr,
        })
    }

    /// Bytes of the message: 24, and 8 with the link-layer address option.
    pub fn buffer_len(&self) -> usize {
        HEADER_LEN + self.target_lladdr.map_or(0, |_| LLADDR_OPT_LEN)
    }

    /// Writes the message with its checksum for a packet from `src` to `dst`. The buffer must be
    /// exactly [`Repr::buffer_len`] long, since the checksum covers all of it (`Truncated` when
    /// shorter, `BadLength` when longer).
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(
        &self,
        packet: &mut Packet<T>,
        src: Ipv6Addr,
        dst: Ipv6Addr,
    ) -> Result<()> {
        let len = packet.data().len();
        if len < self.buffer_len() {
            return Err(Error::Truncated);
        }
        if len > self.buffer_len() {
            return Err(Error::BadLength);
        }
        packet.set_neighbor_advert();
        packet.set_flags(self.router_flag, self.solicited_flag, self.override_flag);
        packet.set_target_addr(self.target_addr);
        if let Some(mac) = self.target_lladdr {
            let opts = packet.options_mut();
            bytes::put(opts, 0, &[OPT_TARGET_LLADDR, 1]);
            bytes::put(opts, 2, &mac.0);
        }
        packet.fill_checksum(src, dst);
        Ok(())
    }
}

/// Writes keepalived's unsolicited NA frame for `vip` from `mac` into `buf` (Router flag when
/// `router`, i.e. IPv6 forwarding is on) and returns its length ([`NA_FRAME_LEN`]); `Truncated`
/// when `buf` is shorter.
pub fn emit_unsolicited_na_frame(
    buf: &mut [u8],
    mac: ethernet::Address,
    vip: Ipv6Addr,
    router: bool,
) -> Result<usize> {
    let buf = buf.get_mut(..NA_FRAME_LEN).ok_or(Error::Truncated)?;
    let mut frame = ethernet::Frame::new_unchecked(&mut *buf);
    ethernet::Repr {
        src_addr: mac,
        dst_addr: ethernet::Address::from_ipv6_multicast(ipv6::ALL_NODES),
        ethertype: EtherType::Ipv6,
    }
    .emit(&mut frame)?;
    let na = Repr::unsolicited(mac, vip, router);
    let ip = ipv6::Repr {
        src_addr: vip,
        dst_addr: ipv6::ALL_NODES,
        next_header: ipv6::NEXT_HEADER_ICMPV6,
        payload_len: na.buffer_len(),
        hop_limit: HOP_LIMIT,
        traffic_class: 0,
        flow_label: 0,
    };
    let mut packet = ipv6::Packet::new_unchecked(frame.payload_mut());
    ip.emit(&mut packet)?;
    na.emit(
        &mut Packet::new_unchecked(packet.payload_mut()),
        vip,
        ipv6::ALL_NODES,
    )?;
    Ok(NA_FRAME_LEN)
}

/// Reads a neighbour advertisement frame: the Ethernet header (`Unsupported` unless IPv6), the
/// IPv6 header (`Unsupported` unless the next header is ICMPv6), then the NA with its checksum.
pub fn parse_frame(data: &[u8]) -> Result<(ethernet::Repr, ipv6::Repr, Repr)> {
    let frame = ethernet::Frame::new_checked(data)?;
    let eth = ethernet::Repr::parse(&frame)?;
    if eth.ethertype != EtherType::Ipv6 {
        return Err(Error::Unsupported);
    }
    let packet = ipv6::Packet::new_checked(frame.payload())?;
    let ip = ipv6::Repr::parse(&packet)?;
    if ip.next_header != ipv6::NEXT_HEADER_ICMPV6 {
        return Err(Error::Unsupported);
    }
    let na = Repr::parse(
        &Packet::new_checked(packet.payload())?,
        ip.src_addr,
        ip.dst_addr,
    )?;
    Ok((eth, ip, na))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::super::testdata::{NA_GLOBAL, NA_LINK_LOCAL, ROUTER_SOLICIT, V3_V6, frame};
    use super::*;

    const MAC: ethernet::Address = ethernet::Address([0xe2, 0xdf, 0x2f, 0xb8, 0x1b, 0x30]);
    const NA_START: usize = ethernet::HEADER_LEN + ipv6::HEADER_LEN;

    /// For any input that parses as an NA frame whose options are at most the link-layer
    /// address, emit gives the same bytes (the reserved bits aside).
    pub(crate) fn roundtrip_any(data: &[u8]) {
        let Ok((eth, ip, na)) = parse_frame(data) else {
            return;
        };
        let end = NA_START + ip.payload_len;
        let opts = &data[NA_START + HEADER_LEN..end];
        let plain = opts.is_empty() || (opts.len() == 8 && opts[..2] == [OPT_TARGET_LLADDR, 1]);
        let reserved = bytes::u32_at(data, NA_START + field::FLAGS) & 0x1fff_ffff;
        if !plain || reserved != 0 {
            return;
        }
        let mut out = vec![0u8; end];
        let mut f = ethernet::Frame::new_unchecked(&mut out[..]);
        eth.emit(&mut f).unwrap();
        let mut p = ipv6::Packet::new_unchecked(f.payload_mut());
        ip.emit(&mut p).unwrap();
        let mut n = Packet::new_unchecked(p.payload_mut());
        na.emit(&mut n, ip.src_addr, ip.dst_addr).unwrap();
        // The stored checksum may be 0xffff where the computed one is 0: compare the rest.
        assert_eq!(out[..NA_START + 2], data[..NA_START + 2]);
        assert_eq!(out[NA_START + 4..], data[NA_START + 4..end]);
    }

    #[test]
    fn deconstruct_captured_na() {
        let f = frame(NA_LINK_LOCAL);
        let p = Packet::new_checked(&f[NA_START..]).unwrap();
        assert_eq!((p.msg_type(), p.msg_code()), (136, 0));
        assert_eq!(p.checksum(), 0x2b30);
        assert!(p.override_flag() && !p.router_flag() && !p.solicited_flag());
        let vip: Ipv6Addr = "fe80::53".parse().unwrap();
        assert_eq!(p.target_addr(), vip);
        assert_eq!(p.options(), &[2, 1, 0xe2, 0xdf, 0x2f, 0xb8, 0x1b, 0x30]);
        assert!(p.verify_checksum(vip, ipv6::ALL_NODES));
        assert!(!p.verify_checksum("fe80::54".parse().unwrap(), ipv6::ALL_NODES));
    }

    #[test]
    fn construct_gives_the_captured_frames() {
        for (hex, vip) in [(NA_LINK_LOCAL, "fe80::53"), (NA_GLOBAL, "2001:db8::53")] {
            let vip: Ipv6Addr = vip.parse().unwrap();
            let want = frame(hex);
            let mut buf = [0u8; 128];
            let n = emit_unsolicited_na_frame(&mut buf, MAC, vip, false).unwrap();
            assert_eq!(buf[..n], want[..]);
            let (eth, ip, na) = parse_frame(&want).unwrap();
            assert_eq!(eth.dst_addr.to_string(), "33:33:00:00:00:01");
            assert_eq!(
                (ip.src_addr, ip.dst_addr, ip.hop_limit),
                (vip, ipv6::ALL_NODES, 255)
            );
            assert_eq!(na, Repr::unsolicited(MAC, vip, false));
            roundtrip_any(&want);
        }
    }

    #[test]
    fn router_flag_when_forwarding() {
        let vip: Ipv6Addr = "2001:db8::1".parse().unwrap();
        let mut buf = [0u8; NA_FRAME_LEN];
        emit_unsolicited_na_frame(&mut buf, MAC, vip, true).unwrap();
        let (_, _, na) = parse_frame(&buf).unwrap();
        assert!(na.router_flag && na.override_flag && !na.solicited_flag);
        assert_eq!(buf[NA_START + 4], 0xa0);
    }

    #[test]
    fn without_option_and_with_others() {
        let src: Ipv6Addr = "fe80::1".parse().unwrap();
        let r = Repr {
            router_flag: false,
            solicited_flag: true,
            override_flag: false,
            target_addr: src,
            target_lladdr: None,
        };
        let mut buf = [0u8; HEADER_LEN];
        r.emit(
            &mut Packet::new_unchecked(&mut buf[..]),
            src,
            ipv6::ALL_NODES,
        )
        .unwrap();
        let p = Packet::new_checked(&buf[..]).unwrap();
        assert_eq!(Repr::parse(&p, src, ipv6::ALL_NODES), Ok(r));

        // An unknown 16-byte option before the link-layer address is skipped.
        let mut long = [0u8; HEADER_LEN + 16 + 8];
        long[..HEADER_LEN].copy_from_slice(&buf);
        long[HEADER_LEN..HEADER_LEN + 2].copy_from_slice(&[99, 2]);
        long[HEADER_LEN + 16..].copy_from_slice(&[2, 1, 1, 2, 3, 4, 5, 6]);
        let mut p = Packet::new_unchecked(&mut long[..]);
        p.fill_checksum(src, ipv6::ALL_NODES);
        let got = Repr::parse(&p, src, ipv6::ALL_NODES).unwrap();
        assert_eq!(
            got.target_lladdr,
            Some(ethernet::Address([1, 2, 3, 4, 5, 6]))
        );
    }

    #[test]
    fn error_paths() {
        let f = frame(NA_LINK_LOCAL);
        for len in 0..f.len() {
            assert_eq!(
                parse_frame(&f[..len]).err(),
                Some(Error::Truncated),
                "{len}"
            );
        }
        assert_eq!(
            parse_frame(&frame(ROUTER_SOLICIT)).err(),
            Some(Error::Unsupported)
        );
        assert_eq!(parse_frame(&frame(V3_V6)).err(), Some(Error::Unsupported));
        let mut arp = f.clone();
        arp[12..14].copy_from_slice(&[0x08, 0x06]);
        assert_eq!(parse_frame(&arp).err(), Some(Error::Unsupported));
        let mut v4 = f.clone();
        v4[14] = 0x40;
        assert_eq!(parse_frame(&v4).err(), Some(Error::BadVersion));

        let vip: Ipv6Addr = "fe80::53".parse().unwrap();
        let dst = ipv6::ALL_NODES;
        let na = &f[NA_START..];
        let with = |i: usize, v: u8, refill: bool| {
            let mut b = na.to_vec();
            b[i] = v;
            let mut p = Packet::new_unchecked(&mut b[..]);
            if refill {
                p.fill_checksum(vip, dst);
            }
            Repr::parse(&p, vip, dst)
        };
        assert_eq!(with(1, 1, true), Err(Error::Malformed)); // code 1
        assert_eq!(with(8, 0xff, false), Err(Error::Checksum));
        assert_eq!(with(HEADER_LEN + 1, 0, true), Err(Error::Malformed)); // option length 0
        assert_eq!(with(HEADER_LEN + 1, 2, true), Err(Error::Truncated)); // option overruns
        let mut odd = na.to_vec();
        odd.push(2);
        let mut p = Packet::new_unchecked(&mut odd[..]);
        p.fill_checksum(vip, dst);
        assert_eq!(Repr::parse(&p, vip, dst), Err(Error::Truncated)); // half an option header

        let r = Repr::unsolicited(MAC, vip, false);
        let mut short = [0u8; 31];
        let mut long = [0u8; 33];
        assert_eq!(
            r.emit(&mut Packet::new_unchecked(&mut short[..]), vip, dst),
            Err(Error::Truncated)
        );
        assert_eq!(
            r.emit(&mut Packet::new_unchecked(&mut long[..]), vip, dst),
            Err(Error::BadLength)
        );
        let mut small = [0u8; NA_FRAME_LEN - 1];
        assert_eq!(
            emit_unsolicited_na_frame(&mut small, MAC, vip, false),
            Err(Error::Truncated)
        );
    }
}
