//! PING_CHECK's ICMP echo (keepalived `check/check_ping.c`): build the request, recognise the
//! reply.
//!
//! ```text
//!  0       8      16              31
//! | type  | code | checksum       |   RFC 792 (IPv4: 8 request, 0 reply)
//! | identifier   | sequence       |   RFC 4443 4.1/4.2 (IPv6: 128 request, 129 reply)
//! | data ...                      |
//! ```
//!
//! keepalived sends from an ICMP datagram socket (`SOCK_DGRAM`, `IPPROTO_ICMP`/`ICMPV6`), where
//! the kernel fills in the identifier and the checksum; its request carries 128 bytes of its
//! `keepalived check - ` text and a sequence number written in host byte order. It accepts any
//! received packet whose type is echo reply, without comparing sequence, identifier, data or
//! checksum. We are stricter, so a late reply to an earlier request or a foreign packet on a raw
//! socket does not count: [`is_echo_reply`] compares the sequence (network byte order), the
//! identifier when asked, the data, code 0 and, for IPv4, the checksum. The IPv4 request carries
//! its checksum so it also works from a raw socket; the ICMPv6 checksum covers a pseudo-header
//! with the addresses, which the kernel computes on both socket kinds, so it is left 0.

/// RFC 792: echo request / echo reply.
const ECHO_REQUEST_V4: u8 = 8;
const ECHO_REPLY_V4: u8 = 0;
/// RFC 4443 4.1, 4.2.
const ECHO_REQUEST_V6: u8 = 128;
const ECHO_REPLY_V6: u8 = 129;
/// The ICMP echo header's length.
const HEADER_LEN: usize = 8;

/// RFC 1071: the internet checksum of `data` (one's complement of the one's complement sum of
/// its 16-bit big-endian words, an odd last byte padded with zero). A message holding its own
/// correct checksum sums to 0.
pub fn checksum(data: &[u8]) -> u16 {
    let mut sum: u32 = 0;
    let mut words = data.chunks_exact(2);
    for w in &mut words {
        if let [a, b] = *w {
            sum += u32::from(u16::from_be_bytes([a, b]));
        }
        // Fold as we go so the sum never overflows, whatever the length.
        sum = (sum & 0xffff) + (sum >> 16);
    }
    if let [last] = *words.remainder() {
        sum += u32::from(last) << 8;
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// An echo request: IPv4 type 8 with its checksum, or ICMPv6 type 128 with checksum 0 (the
/// kernel fills it in).
pub fn echo_request(v6: bool, id: u16, seq: u16, payload: &[u8]) -> Vec<u8> {
    let kind = if v6 { ECHO_REQUEST_V6 } else { ECHO_REQUEST_V4 };
    let mut p = Vec::with_capacity(HEADER_LEN + payload.len());
    p.extend_from_slice(&[kind, 0, 0, 0]);
    p.extend_from_slice(&id.to_be_bytes());
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(payload);
    if !v6 {
        let sum = checksum(&p).to_be_bytes();
        if let Some(field) = p.get_mut(2..4) {
            field.copy_from_slice(&sum);
        }
    }
    p
}

/// Whether `packet` is the echo reply to our request `(id, seq, payload)`. For IPv4 the packet
/// may start with the IPv4 header (raw socket: version nibble 4, skipped by its IHL) or directly
/// with the ICMP message (datagram socket; an ICMP message starting with a 0x4_ byte has no
/// defined type, so there is no ambiguity). `id` `None`: the identifier is not compared (a
/// datagram socket replaces it with its own).
pub fn is_echo_reply(v6: bool, packet: &[u8], id: Option<u16>, seq: u16, payload: &[u8]) -> bool {
    let icmp = if v6 { Some(packet) } else { strip_ipv4(packet) };
    let Some([kind, code, _, _, i0, i1, s0, s1, data @ ..]) = icmp else {
        return false;
    };
    let want = if v6 { ECHO_REPLY_V6 } else { ECHO_REPLY_V4 };
    *kind == want
        && *code == 0
        && id.is_none_or(|id| id == u16::from_be_bytes([*i0, *i1]))
        && seq == u16::from_be_bytes([*s0, *s1])
        && data == payload
        // IPv4: the checksum covers the ICMP message (the ICMPv6 one is the kernel's to check).
        && (v6 || icmp.is_some_and(|m| checksum(m) == 0))
}

/// The ICMP message in an IPv4 datagram from a raw socket, or `packet` itself when it does not
/// start with an IPv4 header. `None`: an IPv4 header that is not ICMP or is cut short.
fn strip_ipv4(packet: &[u8]) -> Option<&[u8]> {
    let first = *packet.first()?;
    if first >> 4 != 4 {
        return Some(packet);
    }
    let ihl = usize::from(first & 0xf) * 4;
    // RFC 791: IHL at least 5 words; protocol (byte 9) 1 is ICMP.
    if ihl < 20 || packet.get(9) != Some(&1) {
        return None;
    }
    packet.get(ihl..)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksum_rfc1071_example() {
        // RFC 1071 section 3: the words 0001 f203 f4f5 f6f7 sum to ddf2 (folded).
        assert_eq!(
            checksum(&[0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]),
            !0xddf2
        );
        assert_eq!(checksum(&[]), 0xffff);
        // Odd length: the last byte is the high half of a word.
        assert_eq!(checksum(&[0x01]), !0x0100);
        // Carries fold: ffff + ffff = 1fffe -> fffe + 1 = ffff -> 0.
        assert_eq!(checksum(&[0xff, 0xff, 0xff, 0xff]), 0);
        // Long input does not overflow.
        assert_eq!(checksum(&vec![0xff; 1 << 20]), 0);
    }

    #[test]
    fn echo_request_v4_bytes() {
        // 0800 0000 1234 0001 6162: sum = 0800 + 1234 + 0001 + 6162 = 7b97, checksum 8468.
        let p = echo_request(false, 0x1234, 1, b"ab");
        assert_eq!(
            p,
            [0x08, 0x00, 0x84, 0x68, 0x12, 0x34, 0x00, 0x01, b'a', b'b']
        );
        assert_eq!(checksum(&p), 0);
        // Odd payload: 0800 + 0001 + 0002 + 6100 = 6903, checksum 96fc.
        let p = echo_request(false, 1, 2, b"a");
        assert_eq!(p, [0x08, 0x00, 0x96, 0xfc, 0x00, 0x01, 0x00, 0x02, b'a']);
    }

    #[test]
    fn echo_request_v6_bytes() {
        let p = echo_request(true, 0xabcd, 0x0102, b"xyz");
        assert_eq!(p, [128, 0, 0, 0, 0xab, 0xcd, 0x01, 0x02, b'x', b'y', b'z']);
    }

    /// The reply a host sends: type 0, checksum adjusted by the type change (8 -> 0: + 0x0800).
    fn reply_v4(id: u16, seq: u16, payload: &[u8]) -> Vec<u8> {
        let mut p = echo_request(false, id, seq, payload);
        p[0] = 0;
        fix_checksum(&mut p);
        p
    }

    fn fix_checksum(p: &mut [u8]) {
        p[2..4].fill(0);
        let sum = checksum(p).to_be_bytes();
        p[2..4].copy_from_slice(&sum);
    }

    fn ipv4_header(ihl: u8, proto: u8) -> Vec<u8> {
        let mut h = vec![0u8; usize::from(ihl) * 4];
        h[0] = 0x40 | ihl;
        h[8] = 64;
        h[9] = proto;
        h
    }

    #[test]
    fn reply_v4_datagram_and_raw() {
        // 0000 + 1234 + 0001 + 6162 = 7397: checksum 8c68.
        let ab = reply_v4(0x1234, 1, b"ab");
        assert_eq!(
            ab,
            [0x00, 0x00, 0x8c, 0x68, 0x12, 0x34, 0x00, 0x01, b'a', b'b']
        );
        assert!(is_echo_reply(false, &ab, Some(0x1234), 1, b"ab"));
        let r = reply_v4(0x1234, 7, b"keepalived");
        assert!(is_echo_reply(false, &r, Some(0x1234), 7, b"keepalived"));
        assert!(is_echo_reply(false, &r, None, 7, b"keepalived"));
        for ihl in [5u8, 6, 15] {
            let mut raw = ipv4_header(ihl, 1);
            raw.extend_from_slice(&r);
            assert!(
                is_echo_reply(false, &raw, Some(0x1234), 7, b"keepalived"),
                "ihl {ihl}"
            );
        }
        let mut not_icmp = ipv4_header(5, 17);
        not_icmp.extend_from_slice(&r);
        assert!(!is_echo_reply(false, &not_icmp, None, 7, b"keepalived"));
        let mut bad_ihl = ipv4_header(5, 1);
        bad_ihl[0] = 0x44;
        bad_ihl.extend_from_slice(&r);
        assert!(!is_echo_reply(false, &bad_ihl, None, 7, b"keepalived"));
    }

    /// (v6, packet, id, seq, payload, what the case is).
    type Case<'a> = (bool, &'a [u8], Option<u16>, u16, &'a [u8], &'a str);

    #[test]
    fn not_our_reply() {
        let r = reply_v4(0x1234, 7, b"data");
        let mut bad_sum = r.clone();
        bad_sum[3] ^= 1;
        let mut code = r.clone();
        code[1] = 1;
        fix_checksum(&mut code);
        let r6 = [129, 0, 0x12, 0x34, 0xab, 0xcd, 0x00, 0x07, b'p'];
        let table: [Case; 13] = [
            (false, &r, Some(0x1235), 7, b"data", "other id"),
            (false, &r, None, 8, b"data", "other seq"),
            (false, &r, None, 7, b"date", "other data"),
            (false, &r, None, 7, b"dat", "longer data"),
            (
                false,
                &echo_request(false, 0x1234, 7, b"data"),
                None,
                7,
                b"data",
                "request",
            ),
            (false, &bad_sum, None, 7, b"data", "bad checksum"),
            (false, &code, None, 7, b"data", "code 1"),
            (true, &r6, Some(0xabce), 7, b"p", "v6 other id"),
            (true, &r6, None, 8, b"p", "v6 other seq"),
            (true, &r6, None, 7, b"", "v6 shorter data"),
            (
                true,
                &echo_request(true, 0xabcd, 7, b"p"),
                None,
                7,
                b"p",
                "v6 request",
            ),
            (
                true,
                &reply_v4(0xabcd, 7, b"p"),
                None,
                7,
                b"p",
                "v4 reply as v6",
            ),
            (true, &[], None, 0, b"", "v6 empty"),
        ];
        for (v6, packet, id, seq, payload, case) in table {
            assert!(!is_echo_reply(v6, packet, id, seq, payload), "{case}");
        }
        // The kernel checked the ICMPv6 checksum: whatever it holds is not examined.
        assert!(is_echo_reply(true, &r6, Some(0xabcd), 7, b"p"));
        assert!(is_echo_reply(true, &r6, None, 7, b"p"));
        for n in 0..r.len() {
            assert!(
                !is_echo_reply(false, &r[..n], None, 7, b"data"),
                "cut at {n}"
            );
        }
    }

    #[test]
    fn random_bytes_never_panic() {
        let mut rng = crate::rng::Rng::new(0xfeed_f00d);
        let mut next = move || rng.next_u64() as u32;
        for round in 0..5000u32 {
            let v6 = round % 2 == 0;
            let bytes: Vec<u8> = (0..next() % 80).map(|_| next() as u8).collect();
            let _ = is_echo_reply(v6, &bytes, Some(next() as u16), next() as u16, &bytes);
            let _ = is_echo_reply(v6, &bytes, None, 0, b"");
            let _ = checksum(&bytes);
        }
    }
}
