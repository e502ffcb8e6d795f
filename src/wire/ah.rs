//! The IP Authentication Header (RFC 2402) as keepalived builds it for VRRPv2 `auth_type AH`
//! (`vrrp_build_ipsecah()`, `vrrp_update_pkt()`, `vrrp_in_chk_ipsecah()`; reference section 2.2).
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! | Next Header   |  Payload Len  |          RESERVED             |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                 Security Parameters Index (SPI)               |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                    Sequence Number Field                      |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |           Authentication Data (ICV, 96 bits)                  |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! keepalived's datagram: IPv4 header (protocol 51, total length counting the 24 AH bytes), AH
//! {next header 112, payload length 4, reserved 0, SPI = the IPv4 source address, sequence
//! number, ICV}, then the VRRPv2 message (auth type 2, 8 zero auth bytes). The ICV is HMAC-MD5
//! (RFC 2104) truncated to 96 bits, keyed with the 8-byte `auth_pass` (zero padded, which HMAC's
//! own key padding makes the same as the bare password), over the IP header with TOS, fragment
//! field and header checksum zeroed (and the TTL too for a unicast instance), the AH header with
//! the ICV zeroed, and the VRRP message. Checked against captures of keepalived 2.2.7 (tests).
//!
//! The sequence number and the replay rule are state, so they are the caller's: this file reads
//! and writes the fields, computes and checks the ICV. Invariants: nothing panics on any input
//! (fields are read through the bounds-checked `bytes` helpers), nothing allocates.

use std::net::Ipv4Addr;

use super::Family;
use super::bytes;
use super::ipv4;
use super::md5::Md5;
use super::vrrp::{self, ChecksumVariant, Packet as VrrpPacket};
use super::{Error, IpPair, Result};

/// Length of keepalived's AH header (fixed part and 96-bit ICV).
pub const HEADER_LEN: usize = 24;
/// Length of the truncated HMAC-MD5.
pub const ICV_LEN: usize = 12;
/// The Payload Len field keepalived sends: the AH length in 32-bit words minus 2.
pub const PAYLOAD_LEN: u8 = 4;
/// Length of the key (`auth_pass`, truncated or zero padded).
pub const KEY_LEN: usize = 8;

mod field {
    pub const NEXT_HEADER: usize = 0;
    pub const PAYLOAD_LEN: usize = 1;
    pub const RESERVED: usize = 2;
    pub const SPI: usize = 4;
    pub const SEQ: usize = 8;
    pub const ICV: usize = 12;
}

view! {
    /// A view over an AH header (the 24 bytes after the IPv4 header).
    Packet
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// `Truncated` when the buffer cannot hold the 24-byte header.
    pub fn check_len(&self) -> Result<()> {
        if self.data().len() < HEADER_LEN {
            return Err(Error::Truncated);
        }
        Ok(())
    }

    pub fn next_header(&self) -> u8 {
        bytes::u8_at(self.data(), field::NEXT_HEADER)
    }

    pub fn payload_len(&self) -> u8 {
        bytes::u8_at(self.data(), field::PAYLOAD_LEN)
    }

    pub fn reserved(&self) -> u16 {
        bytes::u16_at(self.data(), field::RESERVED)
    }

    pub fn spi(&self) -> u32 {
        bytes::u32_at(self.data(), field::SPI)
    }

    pub fn seq(&self) -> u32 {
        bytes::u32_at(self.data(), field::SEQ)
    }

    pub fn icv(&self) -> [u8; ICV_LEN] {
        bytes::array(self.data(), field::ICV)
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Packet<T> {
    pub fn set_next_header(&mut self, v: u8) {
        bytes::put_u8(self.data_mut(), field::NEXT_HEADER, v);
    }

    pub fn set_payload_len(&mut self, v: u8) {
        bytes::put_u8(self.data_mut(), field::PAYLOAD_LEN, v);
    }

    pub fn set_reserved(&mut self, v: u16) {
        bytes::put_u16(self.data_mut(), field::RESERVED, v);
    }

    pub fn set_spi(&mut self, v: u32) {
        bytes::put_u32(self.data_mut(), field::SPI, v);
    }

    pub fn set_seq(&mut self, v: u32) {
        bytes::put_u32(self.data_mut(), field::SEQ, v);
    }

    pub fn set_icv(&mut self, v: &[u8; ICV_LEN]) {
        bytes::put(self.data_mut(), field::ICV, v);
    }
}

/// An AH header as a value. Unknown next header and payload length values are kept (the receive
/// checklist refuses them, [`Repr::is_vrrp`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Repr {
    pub next_header: u8,
    pub payload_len: u8,
    pub spi: u32,
    pub seq: u32,
    pub icv: [u8; ICV_LEN],
}

impl Repr {
    /// The header keepalived sends before a VRRP message from `src` (ICV still zero).
    pub fn vrrp(src: Ipv4Addr, seq: u32) -> Repr {
        Repr {
            next_header: ipv4::PROTO_VRRP,
            payload_len: PAYLOAD_LEN,
            spi: u32::from(src),
            seq,
            icv: [0; ICV_LEN],
        }
    }

    pub fn parse<T: AsRef<[u8]>>(packet: &Packet<T>) -> Result<Repr> {
        packet.check_len()?;
        Ok(Repr {
            next_header: packet.next_header(),
            payload_len: packet.payload_len(),
            spi: packet.spi(),
            seq: packet.seq(),
            icv: packet.icv(),
        })
    }

    /// The header is keepalived's: next header VRRP, payload length 4 (24 bytes).
    pub fn is_vrrp(&self) -> bool {
        self.next_header == ipv4::PROTO_VRRP && self.payload_len == PAYLOAD_LEN
    }

    pub const fn buffer_len(&self) -> usize {
        HEADER_LEN
    }

    /// Writes the header (reserved 0). `Truncated` when the buffer is too short.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, packet: &mut Packet<T>) -> Result<()> {
        packet.check_len()?;
        packet.set_next_header(self.next_header);
        packet.set_payload_len(self.payload_len);
        packet.set_reserved(0);
        packet.set_spi(self.spi);
        packet.set_seq(self.seq);
        packet.set_icv(&self.icv);
        Ok(())
    }
}

/// HMAC-MD5 (RFC 2104) of the concatenation of `parts`. A key over 64 bytes is hashed first, as
/// the RFC says (keepalived's keys are 8 bytes).
pub fn hmac_md5(key: &[u8], parts: &[&[u8]]) -> [u8; 16] {
    let mut k = [0u8; 64];
    if key.len() > 64 {
        let mut m = Md5::new();
        m.update(key);
        k[..16].copy_from_slice(&m.finish());
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let mut inner = Md5::new();
    inner.update(&k.map(|b| b ^ 0x36));
    for p in parts {
        inner.update(p);
    }
    let mut outer = Md5::new();
    outer.update(&k.map(|b| b ^ 0x5c));
    outer.update(&inner.finish());
    outer.finish()
}

/// The 8-byte key keepalived makes of `auth_pass`: truncated, zero padded.
pub fn key(password: &[u8]) -> [u8; KEY_LEN] {
    vrrp::pass_auth_data(password)
}

/// The ICV of `datagram` (IPv4 header with options, AH header, the rest up to the IPv4 total
/// length): mutable IP fields zeroed (TOS, fragment field, checksum; the TTL too when
/// `zero_ttl`, keepalived's unicast instances), the stored ICV read as zeros. `Truncated` when
/// the datagram cannot hold its IP and AH headers.
pub fn icv(key: &[u8; KEY_LEN], datagram: &[u8], zero_ttl: bool) -> Result<[u8; ICV_LEN]> {
    let ip = ipv4::Packet::new_checked(datagram)?;
    let hlen = ip.header_len();
    let end = usize::from(ip.total_len());
    let (Some(head), Some(ah), Some(rest)) = (
        datagram.get(..hlen),
        datagram.get(hlen..hlen + HEADER_LEN),
        datagram.get(hlen + HEADER_LEN..end),
    ) else {
        return Err(Error::Truncated);
    };
    // IHL is at most 15 words: the header fits 60 bytes.
    let mut h = [0u8; 60];
    let h = h.get_mut(..hlen).ok_or(Error::BadLength)?;
    h.copy_from_slice(head);
    let mut hp = ipv4::Packet::new_unchecked(&mut h[..]);
    hp.set_tos(0);
    hp.set_unfragmented(false);
    hp.set_checksum(0);
    if zero_ttl {
        hp.set_ttl(0);
    }
    let mut a = [0u8; HEADER_LEN];
    a.copy_from_slice(ah);
    Packet::new_unchecked(&mut a[..]).set_icv(&[0; ICV_LEN]);
    let d = hmac_md5(key, &[h, &a, rest]);
    let mut out = [0u8; ICV_LEN];
    out.copy_from_slice(&d[..ICV_LEN]);
    Ok(out)
}

/// The ICV stored in `datagram` is [`icv`]'s, compared without an early exit (keepalived's
/// `memcmp_constant_time`). False for a datagram too short to hold one.
pub fn verify_icv(key: &[u8; KEY_LEN], datagram: &[u8], zero_ttl: bool) -> bool {
    let Ok(want) = icv(key, datagram, zero_ttl) else {
        return false;
    };
    let hlen = ipv4::Packet::new_unchecked(datagram).header_len();
    let got = Packet::new_unchecked(bytes::slice(datagram, hlen, datagram.len())).icv();
    got.iter().zip(&want).fold(0u8, |d, (a, b)| d | (a ^ b)) == 0
}

/// A received datagram split by [`ipv4_datagram`]: IP header, AH header (protocol 51 only), the
/// VRRP view.
pub type Split<'a> = (ipv4::Repr, Option<Repr>, VrrpPacket<&'a [u8]>);

/// A datagram read from an IPv4 raw socket, split: its IP header, the AH header when the
/// protocol is 51, and the VRRP view after them. Errors: the IPv4 checks of
/// [`ipv4::Repr::parse`], `Unsupported` for a protocol other than VRRP and AH, `Truncated` for an
/// AH header cut short, then [`VrrpPacket::new_checked`]'s over the rest. The VRRP message is
/// taken from after a 24-byte AH whatever its next header says (as keepalived does), so that the
/// instance of its VRID counts a foreign next header ([`Repr::is_vrrp`]).
pub fn ipv4_datagram(data: &[u8]) -> Result<Split<'_>> {
    let ip_packet = ipv4::Packet::new_checked(data)?;
    let ip = ipv4::Repr::parse(&ip_packet)?;
    let payload = ip_packet.payload_ref();
    match ip.protocol {
        ipv4::PROTO_VRRP => Ok((ip, None, VrrpPacket::new_checked(payload, Family::V4)?)),
        ipv4::PROTO_AH => {
            let ah = Repr::parse(&Packet::new_unchecked(payload))?;
            let rest = payload.get(HEADER_LEN..).unwrap_or(&[]);
            Ok((ip, Some(ah), VrrpPacket::new_checked(rest, Family::V4)?))
        }
        _ => Err(Error::Unsupported),
    }
}

/// Writes keepalived's AH datagram: the header of `ip` (protocol 51, total length counting AH),
/// `ah`, the VRRPv2 message with its plain checksum, then the ICV keyed with `key` (`zero_ttl`
/// for a unicast instance, see [`icv`]). Returns the datagram's length. Errors as the IPv4 and
/// VRRP emitters; `Truncated` when `buf` is too short.
pub fn emit_ipv4_datagram(
    buf: &mut [u8],
    ip: &ipv4::Repr,
    ah: &Repr,
    vrrp: &vrrp::Repr<'_>,
    key: &[u8; KEY_LEN],
    zero_ttl: bool,
) -> Result<usize> {
    let ip = ipv4::Repr {
        protocol: ipv4::PROTO_AH,
        payload_len: HEADER_LEN + vrrp.buffer_len(),
        ..*ip
    };
    let total = ipv4::HEADER_LEN + ip.payload_len;
    let buf = buf.get_mut(..total).ok_or(Error::Truncated)?;
    let (head, body) = buf.split_at_mut(ipv4::HEADER_LEN.min(total));
    let (ah_buf, msg) = body.split_at_mut(HEADER_LEN.min(body.len()));
    let pair = IpPair::V4 {
        src: ip.src_addr,
        dst: ip.dst_addr,
    };
    vrrp.emit(
        &mut VrrpPacket::new_unchecked(msg, Family::V4),
        &pair,
        ChecksumVariant::Plain,
    )?;
    Repr {
        icv: [0; ICV_LEN],
        ..*ah
    }
    .emit(&mut Packet::new_unchecked(&mut ah_buf[..]))?;
    ip.emit(&mut ipv4::Packet::new_unchecked(head))?;
    let icv = icv(key, buf, zero_ttl)?;
    let hlen = ipv4::HEADER_LEN;
    Packet::new_unchecked(bytes::slice_mut(buf, hlen, total)).set_icv(&icv);
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::super::testdata::{
        AH_ADVERT, AH_ADVERT_2, AH_PRIO0_ABC, AH_UNICAST, V2_ADVERT, datagram,
    };
    use super::*;
    use crate::wire::vrrp::{Addresses, AuthType, Repr as VrrpRepr, Type, Version};

    const SRC: Ipv4Addr = Ipv4Addr::new(192, 168, 77, 1);
    const VIPS: [Ipv4Addr; 2] = [
        Ipv4Addr::new(192, 168, 77, 100),
        Ipv4Addr::new(192, 168, 77, 101),
    ];

    fn v2(vrid: u8, priority: u8, vips: &[Ipv4Addr]) -> VrrpRepr<'_> {
        VrrpRepr {
            version: Version::V2 {
                auth_type: AuthType::Ah,
                advert_int: 1,
                auth_data: [0; 8],
            },
            msg_type: Type::Advertisement,
            vrid,
            priority,
            addresses: Addresses::V4(vips),
        }
    }

    #[test]
    fn hmac_md5_rfc2104_vectors() {
        // RFC 2104 appendix / RFC 2202 test cases 1 and 2.
        let d = hmac_md5(&[0x0b; 16], &[b"Hi There"]);
        assert_eq!(
            crate::wire::md5::hex(&d),
            "9294727a3638bb1c13f48ef8158bfc9d"
        );
        let d = hmac_md5(b"Jefe", &[b"what do ya want ", b"for nothing?"]);
        assert_eq!(
            crate::wire::md5::hex(&d),
            "750c783e6ab0b503eaa86e310a5db738"
        );
        // RFC 2202 case 6: a key longer than the block is hashed first.
        let d = hmac_md5(
            &[0xaa; 80],
            &[b"Test Using Larger Than Block-Size Key - Hash Key First"],
        );
        assert_eq!(
            crate::wire::md5::hex(&d),
            "6b1ab7fe4bd7bf8f0b62e6ce61b9d0cd"
        );
    }

    #[test]
    fn deconstruct_keepalived_advert() {
        let d = datagram(AH_ADVERT);
        let (ip, ah, vrrp) = ipv4_datagram(&d).unwrap();
        assert_eq!(ip.protocol, ipv4::PROTO_AH);
        assert_eq!(ip.payload_len, 48);
        let ah = ah.unwrap();
        assert_eq!(
            ah,
            Repr {
                icv: ah.icv,
                ..Repr::vrrp(SRC, 1)
            }
        );
        assert!(ah.is_vrrp());
        assert_eq!(
            (vrrp.vrid(), vrrp.priority(), vrrp.auth_type()),
            (51, 150, 2)
        );
        assert_eq!(vrrp.auth_data(), [0; 8]);
        let pair = IpPair::V4 {
            src: ip.src_addr,
            dst: ip.dst_addr,
        };
        assert!(vrrp.verify_checksum(&pair, ChecksumVariant::Plain));
    }

    #[test]
    fn icv_reproduces_keepalived() {
        let k = key(b"secret12");
        for (hex, key, unicast) in [
            (AH_ADVERT, k, false),
            (AH_ADVERT_2, k, false),
            (AH_PRIO0_ABC, key(b"abc"), false),
            (AH_UNICAST, k, true),
        ] {
            let d = datagram(hex);
            assert!(verify_icv(&key, &d, unicast), "{hex}");
            // Any other key, or the other TTL rule, fails.
            assert!(!verify_icv(&self::key(b"secret13"), &d, unicast));
            assert!(!verify_icv(&key, &d, !unicast));
        }
        // One flipped bit anywhere in the covered bytes (not the mutable fields) fails.
        let d = datagram(AH_ADVERT);
        for i in 0..d.len() {
            let mut x = d.clone();
            x[i] ^= 0x10;
            let mutable = matches!(i, 1 | 6 | 7 | 10 | 11);
            assert_eq!(verify_icv(&k, &x, false), mutable, "byte {i}");
        }
    }

    #[test]
    fn emit_gives_keepalived_bytes() {
        for (hex, ident, seq, vrid, prio, pw) in [
            (AH_ADVERT, 1, 1, 51, 150, &b"secret12"[..]),
            (AH_ADVERT_2, 2, 2, 51, 150, b"secret12"),
            (AH_PRIO0_ABC, 2, 2, 52, 0, b"abc"),
        ] {
            let want = datagram(hex);
            let ip = ipv4::Repr::vrrp(SRC, ipv4::VRRP_GROUP, ident, 0);
            let mut buf = [0u8; 128];
            let n = emit_ipv4_datagram(
                &mut buf,
                &ip,
                &Repr::vrrp(SRC, seq),
                &v2(vrid, prio, &VIPS),
                &key(pw),
                false,
            )
            .unwrap();
            assert_eq!(&buf[..n], &want[..], "{hex}");
        }
        let want = datagram(AH_UNICAST);
        let dst = Ipv4Addr::new(192, 168, 77, 2);
        let vip = [Ipv4Addr::new(192, 168, 77, 103)];
        let ip = ipv4::Repr::vrrp(SRC, dst, 3, 0);
        let mut buf = [0u8; 128];
        let n = emit_ipv4_datagram(
            &mut buf,
            &ip,
            &Repr::vrrp(SRC, 3),
            &v2(53, 150, &vip),
            &key(b"secret12"),
            true,
        )
        .unwrap();
        assert_eq!(&buf[..n], &want[..]);
        // Too small a buffer: an error, no panic.
        for len in 0..n {
            let mut small = vec![0u8; len];
            let r = emit_ipv4_datagram(
                &mut small,
                &ip,
                &Repr::vrrp(SRC, 3),
                &v2(53, 150, &vip),
                &key(b"secret12"),
                true,
            );
            assert_eq!(r, Err(Error::Truncated));
        }
    }

    #[test]
    fn plain_vrrp_and_other_protocols() {
        let d = datagram(V2_ADVERT);
        let (ip, ah, _) = ipv4_datagram(&d).unwrap();
        assert_eq!((ip.protocol, ah), (ipv4::PROTO_VRRP, None));
        let mut d = datagram(AH_ADVERT);
        d[9] = 17;
        ipv4::Packet::new_unchecked(&mut d[..]).fill_checksum();
        assert_eq!(ipv4_datagram(&d).err(), Some(Error::Unsupported));
        // A foreign next header is kept for the checklist to count.
        let mut d = datagram(AH_ADVERT);
        d[20] = 6;
        let (_, ah, _) = ipv4_datagram(&d).unwrap();
        assert!(!ah.unwrap().is_vrrp());
    }

    /// Every prefix and every single-byte change of the captures: no panic; a prefix never
    /// verifies.
    #[test]
    fn hostile_input() {
        let k = key(b"secret12");
        for hex in [AH_ADVERT, AH_UNICAST] {
            let d = datagram(hex);
            for len in 0..d.len() {
                let _ = ipv4_datagram(&d[..len]);
                assert!(!verify_icv(&k, &d[..len], false));
                let _ = icv(&k, &d[..len], true);
            }
            for i in 0..d.len() {
                for v in [0u8, 0x0f, 0xff] {
                    let mut x = d.clone();
                    x[i] = v;
                    let _ = ipv4_datagram(&x);
                    let _ = verify_icv(&k, &x, false);
                }
            }
        }
    }
}
