//! Fuzzes the BFD receive path: the UDP payload a socket delivers goes through the RFC 5880
//! 6.8.6 checklist and the parser, with and without authentication configured. Any input must
//! give a value or a drop reason, never a panic; whatever parses must emit back to the same
//! bytes (up to the Length field), and whatever passes the checklist must parse.
#![no_main]

use keepalived_rs::wire::bfd::{self, Packet, Repr};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for auth in [false, true] {
        if bfd::check(data, auth).is_ok() {
            bfd::receive(data, auth).expect("a packet that passes the checklist parses");
        }
    }
    let packet = Packet::new_unchecked(data);
    if let Ok(repr) = Repr::parse(&packet) {
        let mut out = vec![0u8; repr.buffer_len()];
        repr.emit(&mut Packet::new_unchecked(&mut out[..]))
            .expect("emit");
        assert_eq!(out[..], data[..usize::from(packet.length())]);
    }
});
