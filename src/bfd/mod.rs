//! BFD (RFC 5880, single hop RFC 5881): the pure session machine.
//!
//! [`Session`] is one BFD session in asynchronous mode, without echo, demand or authentication
//! (as keepalived). It follows the machine contract of STYLE.md section 1:
//!
//! ```text
//! session.handle_input(now, &repr)     // a packet that passed wire::bfd::check, already
//!                                      // matched to this session by the caller (RFC 5880 6.3)
//! session.handle_timeout(now)          // spurious calls are harmless
//! session.poll_timeout()               // the next deadline
//! session.poll_output()                // Transmit / Event, drained until None after every call
//! ```
//!
//! Sockets, TTL checks and session lookup are the caller's; so is choosing a unique non-zero
//! local discriminator.

mod session;
#[cfg(test)]
mod sim;
#[cfg(test)]
mod tests;

pub use crate::wire::bfd::{Diag, State};
pub use session::{Counters, Event, Output, Params, Session, Transmit, TxReason};
