//! VRRP (RFC 3768 version 2, RFC 5798 version 3) as keepalived runs it: one pure state machine per
//! `vrrp_instance`.
//!
//! # Shape (quinn-proto / str0m style, STYLE.md sections 1 and 2)
//! An [`Instance`] never reads a clock, never touches a socket and never calls netlink. The daemon
//! drives it with:
//!
//! ```text
//! let mut vi = Instance::new(params, now);          // Init; the Start timer is due at once
//! loop {
//!     vi.handle_input(now, Input::Advert { .. });   // one mutation: a packet, a link or tracking
//!     vi.handle_timeout(now);                       //   change, a VIP removal, Shutdown...
//!     while let Some(out) = vi.poll_output() { .. } // then ALWAYS drain: Transmit / Action / Event
//!     let deadline = vi.poll_timeout();             // and re-arm the loop's timer for it
//! }
//! ```
//!
//! Call order and invariants:
//! - after every `handle_input` or `handle_timeout`, drain `poll_output` until `None` before the
//!   next mutation: outputs are ordered (an advertisement goes out before the VIPs are added, as
//!   keepalived does, so the old master drops them before our GARPs);
//! - `handle_timeout(now)` may be called at any time: a timer that is not due, or a spurious call,
//!   is a no-op; `poll_timeout()` is the earliest armed deadline;
//! - `now` never goes backwards (the daemon's monotonic clock);
//! - no input panics, whatever the packet or the parameters ([`Instance::new`] normalises them).
//!
//! # Files
//! - [`instance`]: [`Params`], [`Instance`], [`Input`], [`Output`] and the state machine;
//! - [`mod@validate`]: the receive checklist, [`DropReason`] and [`Counters`];
//! - [`advert`]: adverts between the wire codec and the machine (units, authentication, the
//!   checksum variant a peer uses);
//! - [`event`]: [`State`], [`Event`] and the log lines in keepalived's words;
//! - [`sync`]: [`SyncGroup`], the `vrrp_sync_group` machine that moves its members together
//!   (members are instances with [`Params::sync_member`]; see its module doc for the call order);
//! - `sim` (tests only): N routers on a simulated LAN with a virtual clock, loss, delay and
//!   partitions; the election properties are checked over thousands of seeds;
//! - `sim_sync` (tests only): routers on several LANs with one instance per LAN in a sync
//!   group; failover of the whole group, tracking weights, `preempt_delay` under loss.

pub mod advert;
pub mod event;
pub mod instance;
pub mod pace;
pub mod params;
pub mod sync;
pub mod validate;

#[cfg(test)]
mod sim;
#[cfg(test)]
mod sim_sync;
#[cfg(test)]
mod tests;

pub use event::{Event, Note, Reason, State};
pub use instance::{
    Action, AdvertOut, Auth, Garp, GarpReason, Input, Instance, Output, Params, Peer, StartState,
    SyncOrder,
};
pub use sync::{GroupEvent, SyncGroup, SyncOutput, member_tracking};
pub use validate::{AddrMismatch, Advert, AhCheck, Counters, DropReason, RxMeta, validate};

/// Priority of the address owner (RFC 5798 5.2.4).
pub const PRIO_OWNER: u8 = 255;
/// Priority sent by a master that stops (RFC 5798 5.2.4).
pub const PRIO_STOP: u8 = 0;
