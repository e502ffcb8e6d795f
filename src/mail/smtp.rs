//! The SMTP client of the e-mail alerts (keepalived `core/smtp.c`), bytes in, bytes out; the
//! executor ([`crate::executor::mail`]) connects, writes what [`Client`] asks, feeds it every
//! read, and ends the session on [`Step::Done`], on the peer's close ([`Client::on_eof`]) or at
//! the session's deadline ([`Client::on_timeout`]).
//!
//! ```text
//! S: 220 greeting            C: HELO <helo>
//! S: 250                     C: MAIL FROM:<from>
//! S: 250                     C: RCPT TO:<to>      (once per recipient)
//! S: 250 (or 251)            C: DATA
//! S: 354                     C: the message, dot-stuffed, then .
//! S: 250 (the mail is sent)  C: QUIT
//! S: any reply, or a close   (done)
//! ```
//!
//! Where we follow keepalived: the commands and their order, HELO (not EHLO), the code each
//! step needs (220, 250, 354, 250), the code of a multi-line reply taken from its last line.
//! Where we do not: the message is dot-stuffed (a body line starting with `.` gets another; RFC
//! 5321 4.5.2: keepalived sends it as it is), bare line feeds become CRLF, a recipient may be
//! answered 251 (RFC 5321 4.2.2, "will forward"); a reply line is at most
//! [`crate::check::smtp::MAX_LINE`] bytes, a reply at most [`MAX_REPLY_LINES`] lines and a
//! session at most [`MAX_RECEIVED`] bytes received; a server that answers before it is asked
//! (bytes after a complete reply in the same read) fails the session. keepalived's 1024-byte
//! buffer fails on a long reply too.

use crate::check::smtp::{MAX_LINE, reply_code};
use crate::check::{Step, Verdict};

/// The most lines one reply may have (continuation lines included).
pub const MAX_REPLY_LINES: usize = 64;

/// The most bytes a session may receive.
pub const MAX_RECEIVED: usize = 64 * 1024;

/// What to send, to whom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    /// `HELO` name.
    pub helo: String,
    /// `MAIL FROM`.
    pub from: String,
    /// One `RCPT TO` each (at least one).
    pub to: Vec<String>,
    /// The message: header lines, an empty line, the body (line ends `\n` or `\r\n`).
    pub message: Vec<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Greeting,
    Helo,
    Mail,
    Rcpt(usize),
    Data,
    Body,
    Quit,
}

impl Stage {
    /// What the reply awaited answers, for the failure text (keepalived's words).
    fn what(self) -> &'static str {
        match self {
            Stage::Greeting => "greeting",
            Stage::Helo => "HELO cmd",
            Stage::Mail => "MAIL cmd",
            Stage::Rcpt(_) => "RCPT cmd",
            Stage::Data => "DATA cmd",
            Stage::Body => "DOT cmd",
            Stage::Quit => "QUIT cmd",
        }
    }
}

/// One mail's session. See the module doc.
#[derive(Debug, Clone)]
pub struct Client {
    env: Envelope,
    stage: Stage,
    /// The current reply line so far (bounded by [`MAX_LINE`]).
    line: Vec<u8>,
    /// Lines of the current reply so far.
    lines: usize,
    received: usize,
    /// The server took the message (250 after the dot).
    accepted: bool,
    /// Set once the session is over; later calls repeat it.
    verdict: Option<Verdict>,
}

/// `s` without CR and LF, so that it stays inside one command or header line.
pub fn one_line(s: &str) -> String {
    s.chars().filter(|&c| c != '\r' && c != '\n').collect()
}

/// The message as DATA sends it: every line ended by CRLF, a line starting with `.` given one
/// more (RFC 5321 4.5.2), then the closing `.` line.
pub fn stuff(message: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(message.len() + message.len() / 32 + 8);
    let mut start = true;
    for &b in message {
        if start && b == b'.' {
            out.push(b'.');
        }
        start = false;
        match b {
            b'\r' => {}
            b'\n' => {
                out.extend_from_slice(b"\r\n");
                start = true;
            }
            _ => out.push(b),
        }
    }
    if !start {
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b".\r\n");
    out
}

impl Client {
    /// A session for `env` (the server speaks first: nothing to send on connect).
    pub fn new(env: Envelope) -> Client {
        Client {
            env,
            stage: Stage::Greeting,
            line: Vec::new(),
            lines: 0,
            received: 0,
            accepted: false,
            verdict: None,
        }
    }

    /// Whether the server took the message (the session may still be in its QUIT).
    pub fn accepted(&self) -> bool {
        self.accepted
    }

    /// Feed the bytes of one read.
    pub fn on_data(&mut self, data: &[u8]) -> Step {
        if let Some(v) = &self.verdict {
            return Step::Done(v.clone());
        }
        self.received = self.received.saturating_add(data.len());
        if self.received > MAX_RECEIVED {
            return self.finish(Err(format!(
                "more than {MAX_RECEIVED} bytes received in one session"
            )));
        }
        for (i, &b) in data.iter().enumerate() {
            if b != b'\n' {
                if self.line.len() >= MAX_LINE {
                    return self.finish(Err(format!("reply line longer than {MAX_LINE} bytes")));
                }
                self.line.push(b);
                continue;
            }
            let mut line = std::mem::take(&mut self.line);
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            let Some((code, more)) = reply_code(&line) else {
                return self.finish(Err(format!("malformed reply to the {}", self.stage.what())));
            };
            self.lines += 1;
            if self.lines > MAX_REPLY_LINES {
                return self.finish(Err(format!("reply longer than {MAX_REPLY_LINES} lines")));
            }
            if more {
                continue;
            }
            self.lines = 0;
            let step = self.on_reply(code);
            if matches!(step, Step::Send(_)) && i + 1 < data.len() {
                // Nothing was asked yet: a server that answers ahead is not one we talk to.
                return self.finish(Err(format!(
                    "data after the reply to the {}",
                    self.stage.what()
                )));
            }
            return step;
        }
        Step::Read
    }

    /// The peer closed the connection: the session's verdict.
    pub fn on_eof(&mut self) -> Verdict {
        self.end("connection closed")
    }

    /// The session's deadline passed: its verdict.
    pub fn on_timeout(&mut self) -> Verdict {
        self.end("timed out")
    }

    fn end(&mut self, how: &str) -> Verdict {
        if let Some(v) = &self.verdict {
            return v.clone();
        }
        let v = if self.accepted {
            Ok(())
        } else {
            Err(format!(
                "{how} waiting for the reply to the {}",
                self.stage.what()
            ))
        };
        self.verdict = Some(v.clone());
        v
    }

    fn finish(&mut self, v: Verdict) -> Step {
        self.verdict = Some(v.clone());
        Step::Done(v)
    }

    /// A complete reply with `code` to the command of the current stage.
    fn on_reply(&mut self, code: u16) -> Step {
        let ok = match self.stage {
            Stage::Greeting => code == 220,
            Stage::Quit => true,
            Stage::Data => code == 354,
            Stage::Rcpt(_) => code == 250 || code == 251,
            Stage::Helo | Stage::Mail | Stage::Body => code == 250,
        };
        if !ok {
            // keepalived: "Error processing HELO cmd on SMTP server ... SMTP status code = 550".
            return self.finish(Err(format!(
                "error processing the {}: SMTP status code {code}",
                self.stage.what()
            )));
        }
        let (next, send) = match self.stage {
            Stage::Greeting => (
                Stage::Helo,
                format!("HELO {}\r\n", one_line(&self.env.helo)).into_bytes(),
            ),
            Stage::Helo => (
                Stage::Mail,
                format!("MAIL FROM:<{}>\r\n", one_line(&self.env.from)).into_bytes(),
            ),
            Stage::Mail | Stage::Rcpt(_) => {
                let n = match self.stage {
                    Stage::Rcpt(i) => i + 1,
                    _ => 0,
                };
                match self.env.to.get(n) {
                    Some(to) => (
                        Stage::Rcpt(n),
                        format!("RCPT TO:<{}>\r\n", one_line(to)).into_bytes(),
                    ),
                    None if n == 0 => return self.finish(Err("no recipient".into())),
                    None => (Stage::Data, b"DATA\r\n".to_vec()),
                }
            }
            Stage::Data => (Stage::Body, stuff(&self.env.message)),
            Stage::Body => {
                self.accepted = true;
                (Stage::Quit, b"QUIT\r\n".to_vec())
            }
            Stage::Quit => return self.finish(Ok(())),
        };
        self.stage = next;
        Step::Send(send)
    }
}

#[cfg(test)]
mod tests;
