//! The health checkers' pure parts (issue 14): the per-check machine and the real-server pool
//! that decide which real servers the kernel sends traffic to, and the dialogue of each checker
//! type as bytes in, bytes out. Sockets, timers, children and files are the executor's
//! ([`crate::executor::check`]); nothing here reads a clock or does IO.
//!
//! A stream dialogue (HTTP, SMTP) is driven the same way by the executor:
//!
//! ```text
//! let mut d = Dialogue::new(..);
//! send(d.start());                  // bytes to write once connected (may be empty)
//! loop {
//!     match d.on_data(&bytes_read) { // every read, in order
//!         Step::Send(b) => send(b),
//!         Step::Read => {}
//!         Step::Done(verdict) => break,
//!     }
//! }
//! d.on_eof()                        // the peer closed before Done: the verdict
//! ```
//!
//! Datagram checks (DNS, UDP, ICMP echo) are a request builder and a reply judge.

pub mod dns;
pub mod http;
pub mod icmp;
pub mod machine;
/// MD5 lives with the wire codecs (VRRP AH's HMAC-MD5 needs it there); re-exported for the
/// HTTP digest and genhash.
pub use crate::wire::md5;
pub mod pool;
pub mod regex;
#[cfg(test)]
mod sim;
pub mod smtp;
#[cfg(feature = "tls")]
pub mod tls;
pub mod udp;

/// Why a check failed, for the log and the dumps (short, one line, no newline).
pub type Failure = String;

/// The verdict of one check: `Ok` is up.
pub type Verdict = Result<(), Failure>;

/// What a stream dialogue wants after a read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Write these bytes, then keep reading.
    Send(Vec<u8>),
    /// Keep reading.
    Read,
    /// The check is over (the executor closes the connection).
    Done(Verdict),
}
