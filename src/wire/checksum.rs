//! The Internet checksum (RFC 1071) and the IPv4 and IPv6 pseudo-headers (RFC 768, RFC 8200 8.1).
//!
//! A checksum is built from a running sum: start at 0, [`add`] each piece (pseudo-header, then
//! the message with its checksum field skipped or zeroed), then [`finish`] gives the value to
//! store. To verify, add the message *with* its stored checksum and test [`is_valid`].
//!
//! Invariant: pieces are read as big-endian 16-bit words, so every piece but the last must have
//! an even length (a trailing odd byte is padded with a zero, which is right only at the end).
//! The running sum is kept folded below 2^16 + a carry, so any number of pieces can be added.

use std::net::{Ipv4Addr, Ipv6Addr};

/// Adds `data` to the running one's-complement sum `acc` and returns the new (folded) sum.
pub fn add(acc: u32, data: &[u8]) -> u32 {
    let mut sum = u64::from(acc);
    let mut words = data.chunks_exact(2);
    for w in &mut words {
        if let [hi, lo] = *w {
            sum += u64::from(u16::from_be_bytes([hi, lo]));
        }
    }
    if let [last] = *words.remainder() {
        sum += u64::from(last) << 8;
    }
    u32::from(fold64(sum))
}

fn fold64(mut sum: u64) -> u16 {
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    sum as u16
}

/// The sum folded to 16 bits with end-around carry (not complemented).
pub fn fold(acc: u32) -> u16 {
    fold64(u64::from(acc))
}

/// The checksum to store: the complement of the folded sum.
pub fn finish(acc: u32) -> u16 {
    !fold(acc)
}

/// True when a sum taken over a message *including* its stored checksum verifies.
pub fn is_valid(acc: u32) -> bool {
    fold(acc) == 0xffff
}

/// The checksum of one contiguous piece of data (its checksum field must be zero).
pub fn of(data: &[u8]) -> u16 {
    finish(add(0, data))
}

/// The sum of the IPv4 pseudo-header `{src, dst, 0, protocol, length}` (RFC 768).
pub fn pseudo_header_v4(src: Ipv4Addr, dst: Ipv4Addr, protocol: u8, length: u16) -> u32 {
    let acc = add(add(0, &src.octets()), &dst.octets());
    add(add(acc, &[0, protocol]), &length.to_be_bytes())
}

/// The sum of the IPv6 pseudo-header `{src, dst, upper-layer length (32 bits), 3 zero bytes,
/// next header}` (RFC 8200 8.1).
pub fn pseudo_header_v6(src: Ipv6Addr, dst: Ipv6Addr, next_header: u8, length: u32) -> u32 {
    let acc = add(add(0, &src.octets()), &dst.octets());
    add(add(acc, &length.to_be_bytes()), &[0, 0, 0, next_header])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc1071_example() {
        // RFC 1071 section 3: the words 0001 f203 f4f5 f6f7 sum to ddf2 (folded).
        let data = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        assert_eq!(fold(add(0, &data)), 0xddf2);
        assert_eq!(of(&data), !0xddf2);
    }

    #[test]
    fn odd_length_pads_the_last_byte() {
        assert_eq!(fold(add(0, &[0x12])), 0x1200);
        assert_eq!(fold(add(0, &[0x12, 0x34, 0x56])), 0x1234 + 0x5600);
        assert_eq!(fold(add(0, &[])), 0);
    }

    #[test]
    fn pieces_add_up_to_the_whole() {
        let data: Vec<u8> = (0..=255u8).cycle().take(1000).collect();
        let whole = add(0, &data);
        let split = add(add(0, &data[..400]), &data[400..]);
        assert_eq!(fold(whole), fold(split));
    }

    #[test]
    fn large_inputs_do_not_overflow() {
        let data = vec![0xffu8; 200_000];
        assert_eq!(fold(add(0, &data)), 0xffff);
        assert_eq!(fold(add(0xffff_ffff, &[0xff, 0xff])), 0xffff);
    }

    #[test]
    fn stored_checksum_verifies() {
        let mut data = [0x45, 0x00, 0x12, 0x34, 0x00, 0x00, 0xab, 0xcd];
        let c = of(&data);
        data[4..6].copy_from_slice(&c.to_be_bytes());
        assert!(is_valid(add(0, &data)));
        data[0] ^= 1;
        assert!(!is_valid(add(0, &data)));
    }

    #[test]
    fn pseudo_headers_lay_out_their_fields() {
        let s = Ipv4Addr::new(1, 2, 3, 4);
        let d = Ipv4Addr::new(5, 6, 7, 8);
        let expect = add(0, &[1, 2, 3, 4, 5, 6, 7, 8, 0, 112, 0, 12]);
        assert_eq!(pseudo_header_v4(s, d, 112, 12), expect);
        let s6: Ipv6Addr = "fe80::1".parse().unwrap();
        let d6: Ipv6Addr = "ff02::12".parse().unwrap();
        let mut h = Vec::new();
        h.extend_from_slice(&s6.octets());
        h.extend_from_slice(&d6.octets());
        h.extend_from_slice(&[0, 0, 0, 40, 0, 0, 0, 112]);
        assert_eq!(pseudo_header_v6(s6, d6, 112, 40), add(0, &h));
    }
}
