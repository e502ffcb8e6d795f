//! Fuzzes the health checkers' dialogues and judges (`src/check/`): whatever a server sends,
//! split anywhere, gives a verdict or asks for more, never a panic, and memory stays bounded.
//! The first byte picks the dialogue (HTTP, SMTP, DNS, UDP, ICMP echo), the second where the
//! input is split.
#![no_main]

use keepalived_rs::check::{Step, dns, http, icmp, smtp, udp};
use keepalived_rs::config::lvs::checker::{StatusCodes, UdpCheck, UdpReply, Url};
use libfuzzer_sys::fuzz_target;

fn chunks(data: &[u8], split: usize) -> impl Iterator<Item = &[u8]> {
    data.chunks(split.max(1))
}

fuzz_target!(|data: &[u8]| {
    let [which, split, rest @ ..] = data else {
        return;
    };
    let (id, split) = (u16::from(*split), usize::from(*split));
    match which % 5 {
        0 => {
            let url = Url {
                path: "/".into(),
                digest: Some([0; 16]),
                status_codes: StatusCodes::default(),
                virtualhost: None,
                regex: None,
            };
            let mut d = http::Dialogue::new(&url, b"GET / HTTP/1.0\r\n\r\n".to_vec(), 4096, true);
            let _ = d.start();
            for c in chunks(rest, split) {
                if let Step::Done(_) = d.on_data(c) {
                    break;
                }
            }
            let _ = d.on_eof();
            assert!(d.body().len() <= 4096);
        }
        1 => {
            let mut d = smtp::Dialogue::new("fuzz.example");
            let _ = d.start();
            for c in chunks(rest, split) {
                if let Step::Done(_) = d.on_data(c) {
                    break;
                }
            }
            let _ = d.on_eof();
        }
        2 => {
            let _ = dns::judge(id, rest);
        }
        3 => {
            let check = UdpCheck {
                payload: None,
                require_reply: true,
                reply: Some(UdpReply {
                    data: vec![0x41, 0x42],
                    mask: vec![0x0f, 0],
                }),
                min_reply_length: 1,
                max_reply_length: 255,
            };
            let _ = udp::judge(&check, rest);
        }
        _ => {
            let _ = icmp::is_echo_reply(split % 2 == 1, rest, Some(7), 1, b"fuzz");
            let _ = icmp::is_echo_reply(split % 2 == 1, rest, None, 1, b"fuzz");
        }
    }
});
