//! SMTP_CHECK's dialogue (keepalived `check/check_smtp.c`), bytes in, bytes out; the executor
//! drives it as the module doc of [`crate::check`] says.
//!
//! The conversation, as keepalived has it:
//!
//! ```text
//! S: 220 banner            (the server speaks first: start() sends nothing)
//! C: HELO <helo_name>\r\n
//! S: 250 ...
//! C: QUIT\r\n
//! S: <any line>            (keepalived waits for one more line and does not look at it)
//! ```
//!
//! Where we follow keepalived:
//! - the banner must be 220 and the HELO reply 250, anything else fails the check;
//! - after `QUIT` one more complete line is awaited and its content is not examined (keepalived's
//!   `SMTP_RECV_QUIT` succeeds on any line); the peer closing before that line fails the check
//!   (keepalived: "Read failure from server");
//! - a line ends at `\n`; bytes after the reply in the same read are dropped (keepalived clears
//!   its buffer before each reply).
//!
//! Where we do not:
//! - multi-line replies (`220-...` continuation lines up to the `220 ` line, RFC 5321 4.2.1) are
//!   read whole, each line's code must be the expected one. keepalived 2.x takes the first line
//!   only and refuses a code followed by `-` (its `smtp_get_status` wants a space or the end), so
//!   a multi-line banner fails there; older keepalived read the next line as the HELO reply.
//! - one `\r` before the `\n` is removed, so a bare `220\r\n` passes (keepalived 2.x sees the
//!   `\r` after the code and fails it).
//! - a line longer than [`MAX_LINE`] bytes fails the check; keepalived wraps its 512-byte buffer
//!   and keeps reading.

use super::{Step, Verdict};

/// The longest reply line accepted, without its line end (keepalived's `SMTP_BUFF_MAX` is 512;
/// RFC 5321 4.5.3.1.5 allows 512 with the CRLF).
pub const MAX_LINE: usize = 512;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Reading the 220 greeting.
    Banner,
    /// HELO sent; reading the 250.
    Helo,
    /// QUIT sent; reading one line.
    Quit,
}

/// One SMTP check's conversation.
#[derive(Debug, Clone)]
pub struct Dialogue {
    helo: String,
    state: State,
    /// The current line so far (bounded by [`MAX_LINE`]).
    line: Vec<u8>,
    /// Set once the check is over; later calls repeat it.
    verdict: Option<Verdict>,
}

impl Dialogue {
    /// A dialogue that greets with `HELO helo` (line ends removed from `helo` so it stays one
    /// command).
    pub fn new(helo: &str) -> Dialogue {
        Dialogue {
            helo: helo.chars().filter(|&c| c != '\r' && c != '\n').collect(),
            state: State::Banner,
            line: Vec::new(),
            verdict: None,
        }
    }

    /// The bytes to write once connected: none, the server speaks first.
    pub fn start(&mut self) -> Vec<u8> {
        Vec::new()
    }

    /// Feed the bytes of one read.
    pub fn on_data(&mut self, data: &[u8]) -> Step {
        for &b in data {
            if let Some(v) = &self.verdict {
                return Step::Done(v.clone());
            }
            if b != b'\n' {
                if self.line.len() >= MAX_LINE {
                    return self.finish(Err(format!("SMTP line longer than {MAX_LINE} bytes")));
                }
                self.line.push(b);
                continue;
            }
            let mut line = std::mem::take(&mut self.line);
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            if let Some(step) = self.on_line(&line) {
                // keepalived: whatever followed the reply in this read is dropped.
                self.line.clear();
                return step;
            }
        }
        match &self.verdict {
            Some(v) => Step::Done(v.clone()),
            None => Step::Read,
        }
    }

    /// The peer closed the connection: the verdict.
    pub fn on_eof(&mut self) -> Verdict {
        if let Some(v) = &self.verdict {
            return v.clone();
        }
        let at = match self.state {
            State::Banner => "banner",
            State::Helo => "HELO reply",
            State::Quit => "QUIT reply",
        };
        let v: Verdict = Err(format!("SMTP connection closed before the {at}"));
        self.verdict = Some(v.clone());
        v
    }

    fn finish(&mut self, v: Verdict) -> Step {
        self.verdict = Some(v.clone());
        Step::Done(v)
    }

    /// A complete line (no line end): `Some` when the dialogue moves on.
    fn on_line(&mut self, line: &[u8]) -> Option<Step> {
        let (expected, what) = match self.state {
            // keepalived SMTP_RECV_QUIT: any line ends the check well.
            State::Quit => return Some(self.finish(Ok(()))),
            State::Banner => (220, "banner"),
            State::Helo => (250, "HELO reply"),
        };
        let Some((code, more)) = reply_code(line) else {
            return Some(self.finish(Err(format!("SMTP garbage {what}"))));
        };
        if code != expected {
            // keepalived: "Bad greeting banner" / "Bad HELO response".
            return Some(self.finish(Err(format!("SMTP {what} {code}"))));
        }
        if more {
            return None;
        }
        Some(match self.state {
            State::Banner => {
                self.state = State::Helo;
                Step::Send(format!("HELO {}\r\n", self.helo).into_bytes())
            }
            _ => {
                self.state = State::Quit;
                Step::Send(b"QUIT\r\n".to_vec())
            }
        })
    }
}

/// RFC 5321 4.2: `Reply-code [ SP textstring ]` or, for all lines but the last,
/// `Reply-code "-" textstring`. The code and whether more lines follow (the e-mail alerts'
/// client reads replies with it too).
pub fn reply_code(line: &[u8]) -> Option<(u16, bool)> {
    let digits = line.get(..3)?;
    let mut code = 0u16;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        code = code * 10 + u16::from(d - b'0');
    }
    match line.get(3) {
        None | Some(b' ') => Some((code, false)),
        Some(b'-') => Some((code, true)),
        Some(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BANNER: &[u8] = b"220-mail.example.org ESMTP\r\n220 ready\r\n";
    const HELO_OK: &[u8] = b"250-mail.example.org\r\n250 hello\r\n";
    const BYE: &[u8] = b"221 bye\r\n";

    /// Feeds `reads` in order; the steps returned by the reads that ended a reply.
    fn run(reads: &[&[u8]]) -> Vec<Step> {
        let mut d = Dialogue::new("checker.example");
        assert_eq!(d.start(), Vec::<u8>::new());
        let mut out = Vec::new();
        for r in reads {
            match d.on_data(r) {
                Step::Read => {}
                s @ Step::Done(_) => {
                    out.push(s);
                    break; // as the executor does
                }
                s => out.push(s),
            }
        }
        out
    }

    fn full() -> Vec<Step> {
        vec![
            Step::Send(b"HELO checker.example\r\n".to_vec()),
            Step::Send(b"QUIT\r\n".to_vec()),
            Step::Done(Ok(())),
        ]
    }

    #[test]
    fn whole_dialogue() {
        assert_eq!(run(&[BANNER, HELO_OK, BYE]), full());
    }

    #[test]
    fn every_split_point() {
        let msgs = [BANNER, HELO_OK, BYE];
        for m in 0..msgs.len() {
            for at in 0..=msgs[m].len() {
                let mut reads: Vec<&[u8]> = Vec::new();
                for (i, msg) in msgs.iter().enumerate() {
                    if i == m {
                        reads.push(&msg[..at]);
                        reads.push(&msg[at..]);
                    } else {
                        reads.push(msg);
                    }
                }
                assert_eq!(run(&reads), full(), "message {m} split at {at}");
            }
        }
    }

    #[test]
    fn byte_by_byte_with_bare_lf() {
        let mut reads = Vec::new();
        for m in [&b"220 x\n"[..], b"250 y\n", b"221\n"] {
            for i in 0..m.len() {
                reads.push(&m[i..i + 1]);
            }
        }
        assert_eq!(run(&reads), full());
    }

    #[test]
    fn bad_banner_and_helo() {
        assert_eq!(
            run(&[b"554 go away\r\n"]),
            vec![Step::Done(Err("SMTP banner 554".into()))]
        );
        assert_eq!(
            run(&[b"220-a\r\n554 no\r\n"]),
            vec![Step::Done(Err("SMTP banner 554".into()))]
        );
        let steps = run(&[b"220 ok\r\n", b"550 no\r\n"]);
        assert_eq!(steps[1], Step::Done(Err("SMTP HELO reply 550".into())));
    }

    #[test]
    fn garbage() {
        for g in [
            &b"hello\r\n"[..],
            b"22\r\n",
            b"220x\r\n",
            b"2a0 x\r\n",
            b"\r\n",
            b"\n",
        ] {
            assert_eq!(
                run(&[g]),
                vec![Step::Done(Err("SMTP garbage banner".into()))],
                "{g:?}"
            );
        }
        let steps = run(&[b"220 ok\r\n", b"OK\r\n"]);
        assert_eq!(steps[1], Step::Done(Err("SMTP garbage HELO reply".into())));
    }

    #[test]
    fn quit_reply_not_examined_but_needed() {
        assert_eq!(run(&[b"220 a\r\n", b"250 b\r\n", b"whatever\r\n"]), full());
        let mut d = Dialogue::new("h");
        d.on_data(b"220 a\r\n");
        d.on_data(b"250 b\r\n");
        assert_eq!(d.on_data(b"221 by"), Step::Read);
        assert_eq!(
            d.on_eof(),
            Err("SMTP connection closed before the QUIT reply".into())
        );
    }

    #[test]
    fn eof_in_each_state() {
        let mut d = Dialogue::new("h");
        assert_eq!(
            d.on_eof(),
            Err("SMTP connection closed before the banner".into())
        );
        let mut d = Dialogue::new("h");
        d.on_data(b"220 a\r\n250 early\r\n");
        assert_eq!(
            d.on_eof(),
            Err("SMTP connection closed before the HELO reply".into())
        );
        let mut d = Dialogue::new("h");
        for m in [BANNER, HELO_OK, BYE] {
            d.on_data(m);
        }
        assert_eq!(d.on_eof(), Ok(()));
    }

    #[test]
    fn line_length_cap() {
        let mut long = b"220 ".to_vec();
        long.resize(MAX_LINE, b'x');
        long.extend_from_slice(b"\n");
        assert_eq!(
            run(&[&long])[0],
            Step::Send(b"HELO checker.example\r\n".to_vec())
        );
        let mut d = Dialogue::new("h");
        let mut too_long = vec![b'2', b'2', b'0', b' '];
        too_long.resize(MAX_LINE + 1, b'x');
        let want = Step::Done(Err(format!("SMTP line longer than {MAX_LINE} bytes")));
        assert_eq!(d.on_data(&too_long[..MAX_LINE]), Step::Read);
        assert_eq!(d.on_data(&too_long[MAX_LINE..]), want);
        // Over: later reads and EOF repeat the verdict.
        assert_eq!(d.on_data(b"220 ok\r\n"), want);
        assert!(d.on_eof().is_err());
    }

    #[test]
    fn helo_name_stays_one_line() {
        let mut d = Dialogue::new("a\r\nQUIT");
        assert_eq!(
            d.on_data(b"220 x\r\n"),
            Step::Send(b"HELO aQUIT\r\n".to_vec())
        );
    }

    #[test]
    fn random_bytes_never_panic() {
        let mut rng = crate::rng::Rng::new(0x1234_5678);
        let mut next = move || rng.next_u64() as u32;
        for _ in 0..2000 {
            let mut d = Dialogue::new("h");
            for _ in 0..(next() % 8) {
                let len = (next() % 700) as usize;
                let bytes: Vec<u8> = (0..len)
                    .map(|_| match next() % 6 {
                        0 => b'\n',
                        1 => b'2',
                        2 => b'5',
                        3 => b'0',
                        _ => next() as u8,
                    })
                    .collect();
                let _ = d.on_data(&bytes);
            }
            let _ = d.on_eof();
        }
    }
}
