//! Fuzzes the VRRP receive path: an IPv4 datagram as a raw socket delivers it (IPv4 header, then
//! the VRRP view, checksum variant detection, parse), and the VRRP parser alone for both families
//! (IPv6 sockets deliver the VRRP message without its header). Any input must give a value or an
//! error, never a panic; whatever parses must emit back to the same bytes.
#![no_main]

use keepalived_rs::wire::vrrp::{self, ChecksumVariant, Packet, Repr};
use keepalived_rs::wire::{Family, IpPair, ipv4};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok((ip, packet)) = vrrp::ipv4_datagram(data) {
        let pair = IpPair::V4 {
            src: ip.src_addr,
            dst: ip.dst_addr,
        };
        let found = packet.detect_checksum_variant(&pair, ipv4::VRRP_GROUP);
        let repr = Repr::parse(&packet).expect("a checked packet parses");
        if let Some(variant) = found {
            // A datagram whose checksum verifies is rebuilt byte for byte (VRRP part).
            let mut out = vec![0u8; ipv4::HEADER_LEN + repr.buffer_len()];
            let n = vrrp::emit_ipv4_datagram(&mut out, &ip, &repr, variant).expect("emit");
            assert_same(&out[ipv4::HEADER_LEN..n], packet.message(), true);
        }
    }
    for (family, pair) in [
        (
            Family::V4,
            IpPair::V4 {
                src: [192, 168, 77, 1].into(),
                dst: ipv4::VRRP_GROUP,
            },
        ),
        (
            Family::V6,
            IpPair::V6 {
                src: [0xfe80, 0, 0, 0, 0, 0, 0, 1].into(),
                dst: [0xff02, 0, 0, 0, 0, 0, 0, 0x12].into(),
            },
        ),
    ] {
        let Ok(packet) = Packet::new_checked(data, family) else {
            continue;
        };
        let repr = Repr::parse(&packet).expect("a checked packet parses");
        let variant = packet
            .detect_checksum_variant(&pair, ipv4::VRRP_GROUP)
            .unwrap_or(ChecksumVariant::sender_default(3, family, false));
        let mut out = vec![0u8; repr.buffer_len()];
        repr.emit(
            &mut Packet::new_unchecked(&mut out[..], family),
            &pair,
            variant,
        )
        .expect("emit");
        assert_same(
            &out,
            packet.message(),
            packet.verify_checksum(&pair, variant),
        );
    }
});

/// `emitted` is `received` but for the checksum, which is the same too when `verified` (or 0
/// where the sender stored 0xffff: both verify, emit computes 0).
fn assert_same(emitted: &[u8], received: &[u8], verified: bool) {
    assert_eq!(emitted[..6], received[..6]);
    assert_eq!(emitted[8..], received[8..]);
    let (e, r) = (&emitted[6..8], &received[6..8]);
    assert_eq!(verified, e == r || (e == [0, 0] && r == [0xff, 0xff]));
}
