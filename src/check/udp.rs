//! UDP_CHECK's datagram and reply judge (keepalived `check/check_udp.c`, `core/layer4.c`).
//!
//! keepalived sends the configured payload, or else 32 bytes of its fixed text
//! `keepalived check - keepalived ch` (`set_buf` into a 32-byte `UDP_BUFSIZE` buffer); we send the
//! same. Then, on the connected socket:
//! - a reply: success, unless reply data is configured (`require_reply HEX`) and the reply is
//!   shorter than `min_reply_length`, longer than `max_reply_length`, or differs from the data in
//!   a bit not masked (`X` nibble). Like keepalived, the bounds only apply with reply data, and
//!   only the first min(reply length, data length) bytes are compared, so a reply shorter than
//!   the data passes when its bytes match (use `min_reply_length` to require the whole data);
//! - no reply before the timeout: success unless `require_reply` ([`on_timeout`]);
//! - an ICMP unreachable read back from the socket (the executor's part): failure.
//!
//! keepalived reads at most `max_reply_length + 1` bytes, so any longer reply is "too long"; the
//! executor may read more, the verdict is the same.

use super::Verdict;
use crate::config::lvs::UdpCheck;

/// keepalived's `set_buf` text, repeated to fill its 32-byte buffer.
const FILL: &[u8] = b"keepalived check - ";
/// keepalived's `UDP_BUFSIZE`: the length of the default payload.
const DEFAULT_LEN: usize = 32;

/// The datagram to send. `random` is not used: keepalived sends fixed text when no payload is
/// configured (the parameter is kept so the executor's call does not change if we ever send
/// random bytes instead).
pub fn payload(check: &UdpCheck, _random: &mut dyn FnMut() -> u32) -> Vec<u8> {
    match &check.payload {
        Some(p) => p.clone(),
        None => FILL.iter().copied().cycle().take(DEFAULT_LEN).collect(),
    }
}

/// Judge a reply datagram.
pub fn judge(check: &UdpCheck, reply: &[u8]) -> Verdict {
    // keepalived (udp_check_thread): the reply is only examined when reply data is configured.
    let Some(want) = &check.reply else {
        return Ok(());
    };
    let len = reply.len();
    if len < usize::from(check.min_reply_length) {
        return Err(format!(
            "UDP reply of {len} bytes, below min_reply_length {}",
            check.min_reply_length
        ));
    }
    if len > usize::from(check.max_reply_length) {
        return Err(format!(
            "UDP reply of {len} bytes, above max_reply_length {}",
            check.max_reply_length
        ));
    }
    // keepalived check_udp_reply: (got ^ want) & ~mask over the shorter of the two.
    for (i, (&got, &expected)) in reply.iter().zip(&want.data).enumerate() {
        let mask = want.mask.get(i).copied().unwrap_or(0);
        if (got ^ expected) & !mask != 0 {
            return Err(format!(
                "UDP reply byte {i} is {got:#04x}, expected {expected:#04x}"
            ));
        }
    }
    Ok(())
}

/// No reply came before the timeout (keepalived `udp_socket_state`: a read timeout is success
/// unless `require_reply` is set).
pub fn on_timeout(check: &UdpCheck) -> Verdict {
    if check.require_reply {
        Err("UDP no reply".into())
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::lvs::UdpReply;

    fn check() -> UdpCheck {
        UdpCheck {
            payload: None,
            require_reply: false,
            reply: None,
            min_reply_length: 0,
            max_reply_length: 255,
        }
    }

    fn with_reply(data: &[u8], mask: &[u8]) -> UdpCheck {
        UdpCheck {
            require_reply: true,
            reply: Some(UdpReply {
                data: data.to_vec(),
                mask: mask.to_vec(),
            }),
            ..check()
        }
    }

    fn no_random() -> u32 {
        panic!("random not used")
    }

    #[test]
    fn default_payload_is_keepalived_text() {
        let p = payload(&check(), &mut no_random);
        assert_eq!(p, b"keepalived check - keepalived ch");
        assert_eq!(p.len(), 32);
        let c = UdpCheck {
            payload: Some(vec![1, 2, 3]),
            ..check()
        };
        assert_eq!(payload(&c, &mut no_random), vec![1, 2, 3]);
    }

    #[test]
    fn timeout() {
        assert_eq!(on_timeout(&check()), Ok(()));
        let c = UdpCheck {
            require_reply: true,
            ..check()
        };
        assert_eq!(on_timeout(&c), Err("UDP no reply".into()));
    }

    #[test]
    fn any_reply_without_data() {
        assert_eq!(judge(&check(), b""), Ok(()));
        // Bounds only apply with reply data, as in keepalived.
        let c = UdpCheck {
            require_reply: true,
            min_reply_length: 4,
            ..check()
        };
        assert_eq!(judge(&c, b"x"), Ok(()));
        assert_eq!(judge(&c, &[0; 300]), Ok(()));
    }

    #[test]
    fn data_and_mask() {
        // `require_reply 12 3X` : 0x12, then 0x3? (low nibble masked).
        let c = with_reply(&[0x12, 0x30], &[0x00, 0x0f]);
        assert_eq!(judge(&c, &[0x12, 0x30]), Ok(()));
        assert_eq!(judge(&c, &[0x12, 0x3f, 0xff]), Ok(()));
        assert_eq!(
            judge(&c, &[0x12, 0x40]),
            Err("UDP reply byte 1 is 0x40, expected 0x30".into())
        );
        assert_eq!(
            judge(&c, &[0x13]),
            Err("UDP reply byte 0 is 0x13, expected 0x12".into())
        );
        // keepalived compares only the bytes received: a matching prefix passes.
        assert_eq!(judge(&c, &[0x12]), Ok(()));
        assert_eq!(judge(&c, &[]), Ok(()));
        // A mask shorter than the data compares the rest fully.
        let c = with_reply(&[0xaa, 0xbb], &[0xff]);
        assert_eq!(judge(&c, &[0x00, 0xbb]), Ok(()));
        assert!(judge(&c, &[0x00, 0xba]).is_err());
    }

    #[test]
    fn length_bounds() {
        let c = UdpCheck {
            min_reply_length: 2,
            max_reply_length: 3,
            ..with_reply(&[1], &[0])
        };
        assert_eq!(
            judge(&c, &[1]),
            Err("UDP reply of 1 bytes, below min_reply_length 2".into())
        );
        assert_eq!(judge(&c, &[1, 0]), Ok(()));
        assert_eq!(judge(&c, &[1, 0, 0]), Ok(()));
        assert_eq!(
            judge(&c, &[1, 0, 0, 0]),
            Err("UDP reply of 4 bytes, above max_reply_length 3".into())
        );
        // Default max 255.
        let c = with_reply(&[1], &[]);
        assert!(judge(&c, &[1; 255]).is_ok());
        assert!(judge(&c, &[1; 256]).is_err());
    }

    #[test]
    fn random_bytes_never_panic() {
        let mut rng = crate::rng::Rng::new(0x0bad_cafe);
        let mut next = move || rng.next_u64() as u32;
        for _ in 0..3000 {
            let mut bytes = |n: u32| -> Vec<u8> { (0..next() % n).map(|_| next() as u8).collect() };
            let (data, mask, reply) = (bytes(10), bytes(10), bytes(300));
            let c = UdpCheck {
                min_reply_length: (next() % 20) as u16,
                max_reply_length: (next() % 300) as u16,
                ..with_reply(&data, &mask)
            };
            let _ = judge(&c, &reply);
        }
    }
}
