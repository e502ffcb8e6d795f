//! The command client: one non-blocking `NETLINK_ROUTE` socket, requests out, ACKs in.
//!
//! Each request is sent at once with the next sequence number and remembered by the
//! [`Tracker`] until its ACK or error comes back; nothing waits. The requests are in kernel
//! terms ([`Addr`], [`RouteMsg`], [`RuleMsg`], [`NewMacvlan`]); each carries a text for the log
//! and the caller's tag, which comes back with the answer. The kernel handles an rtnetlink request inside `send(2)` and
//! queues the answer on our socket, so the ACK is normally readable by the next poll.

use std::io;
use std::os::fd::{AsRawFd, RawFd};

use neli::consts::socket::{Msg as SendFlags, NlFamily};
use neli::socket::NlSocket;

use super::Rx;
use super::request::{self, Addr, EncodeError, NewIpvlan, NewMacvlan, RouteMsg, RuleMsg};
use super::tracker::{Kind, Reply, Seq, Tracker};

/// Why a request was not sent.
#[derive(Debug)]
pub enum RequestError {
    /// The config could not be put in a message (unknown interface, table, ...).
    Encode(EncodeError),
    /// `send(2)` failed; nothing is pending for it.
    Send(io::Error),
}

impl std::fmt::Display for RequestError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RequestError::Encode(e) => e.fmt(f),
            RequestError::Send(e) => write!(f, "netlink send failed: {e}"),
        }
    }
}

impl std::error::Error for RequestError {}

impl From<EncodeError> for RequestError {
    fn from(e: EncodeError) -> Self {
        RequestError::Encode(e)
    }
}

/// Counters for the statistics dump.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RtnlStats {
    pub sent: u64,
    pub acked: u64,
    /// Acks that were `EEXIST` / not-there errors ([`super::Outcome::AlreadyDone`]).
    pub idempotent: u64,
    pub errors: u64,
    /// Datagrams or messages that could not be decoded (skipped).
    pub malformed: u64,
    /// Datagrams from a sender other than the kernel (dropped).
    pub foreign: u64,
    /// Answers to no pending request (dropped).
    pub unmatched: u64,
    /// Receive overruns (`ENOBUFS`): pending requests were answered [`super::Outcome::Lost`].
    pub overruns: u64,
}

/// What [`Rtnl::change`] adds and removes: an address, a route or a rule.
pub trait Object {
    /// A delete, with the errno that means "not there", as keepalived reads it.
    const DELETE: Kind;
    fn encode(&self, buf: &mut Vec<u8>, change: request::Op, seq: u32) -> Result<(), EncodeError>;
}

impl Object for Addr {
    /// keepalived: the kernel removes the secondaries with a primary.
    const DELETE: Kind = Kind::Delete {
        absent: &[libc::EADDRNOTAVAIL],
    };
    fn encode(&self, buf: &mut Vec<u8>, change: request::Op, seq: u32) -> Result<(), EncodeError> {
        request::address(buf, change, seq, self)
    }
}

impl Object for RouteMsg {
    const DELETE: Kind = Kind::Delete {
        absent: &[libc::ESRCH],
    };
    fn encode(&self, buf: &mut Vec<u8>, change: request::Op, seq: u32) -> Result<(), EncodeError> {
        request::route(buf, change, seq, self)
    }
}

impl Object for RuleMsg {
    const DELETE: Kind = Kind::Delete {
        absent: &[libc::ENOENT],
    };
    fn encode(&self, buf: &mut Vec<u8>, change: request::Op, seq: u32) -> Result<(), EncodeError> {
        request::rule(buf, change, seq, self)
    }
}

/// A link delete: `ENODEV` is "not there".
const DEL_LINK: Kind = Kind::Delete {
    absent: &[libc::ENODEV],
};

/// Receive buffer: larger than any single rtnetlink datagram the kernel sends.
const RX_BUF: usize = 64 * 1024;

/// The asynchronous rtnetlink command client; `T` is the caller's tag of a request, given back
/// with its [`Reply`]. See [`crate::netlink`] for the call order.
pub struct Rtnl<T> {
    sock: NlSocket,
    tracker: Tracker<T>,
    tx: Vec<u8>,
    rx: Vec<u8>,
    /// Datagrams cut short (their tail lost), from other senders.
    truncated: u64,
    foreign: u64,
}

impl<T> std::fmt::Debug for Rtnl<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rtnl")
            .field("fd", &self.sock.as_raw_fd())
            .field("pending", &self.tracker.pending())
            .field("stats", &self.stats())
            .finish()
    }
}

impl<T> Rtnl<T> {
    /// Opens the socket (non-blocking, close-on-exec, no multicast groups) in the calling
    /// thread's network namespace. Asks for capped ACKs (the echoed request is cut to its
    /// header) with extended-ack text; a kernel without either still works.
    pub fn new() -> io::Result<Rtnl<T>> {
        // Room for the ACKs of a burst of requests (a failover with many VIPs and routes).
        let sock = super::command_socket(NlFamily::Route, 1 << 20)?;
        Ok(Rtnl {
            sock,
            tracker: Tracker::new("netlink"),
            tx: Vec::with_capacity(512),
            rx: vec![0; RX_BUF],
            truncated: 0,
            foreign: 0,
        })
    }

    /// Encodes a request with the next sequence number, sends it and tracks it as `kind`.
    fn request(
        &mut self,
        kind: Kind,
        what: String,
        tag: T,
        encode: impl FnOnce(&mut Vec<u8>, u32) -> Result<(), EncodeError>,
    ) -> Result<Seq, RequestError> {
        let seq = self.tracker.next_seq();
        encode(&mut self.tx, seq.0)?;
        loop {
            match self.sock.send(&self.tx, SendFlags::empty()) {
                Ok(_) => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    log::warn!("netlink: {what}: send failed: {e}");
                    return Err(RequestError::Send(e));
                }
            }
        }
        self.tracker.sent(seq, kind, what, tag);
        Ok(seq)
    }

    /// Adds (`change`) or removes the address, route or rule `m`; `what` says it in the log.
    pub fn change<M: Object>(
        &mut self,
        change: request::Op,
        m: &M,
        what: String,
        tag: T,
    ) -> Result<Seq, RequestError> {
        let kind = match change {
            request::Op::Add => Kind::Add,
            request::Op::Del => M::DELETE,
        };
        self.request(kind, what, tag, |b, seq| m.encode(b, change, seq))
    }

    /// Creates macvlan `m` (a VMAC). Unlike an address or route add, `EEXIST` is an error: the
    /// name belongs to an interface we did not make.
    pub fn add_macvlan(&mut self, m: &NewMacvlan, tag: T) -> Result<Seq, RequestError> {
        let what = format!(
            "add macvlan {} (parent ifindex {}, {})",
            m.name,
            m.parent,
            super::HwAddr::new(&m.mac)
                .map(|a| a.to_string())
                .unwrap_or_default()
        );
        self.request(Kind::Create, what, tag, |b, seq| {
            request::new_macvlan(b, seq, m)
        })
    }

    /// Creates ipvlan `m` (`use_ipvlan`); `EEXIST` is an error, as for a macvlan.
    pub fn add_ipvlan(&mut self, m: &NewIpvlan, tag: T) -> Result<Seq, RequestError> {
        let what = format!("add ipvlan {} (parent ifindex {})", m.name, m.parent);
        self.request(Kind::Create, what, tag, |b, seq| {
            request::new_ipvlan(b, seq, m)
        })
    }

    /// Deletes interface `ifindex` (`name` for the log). `ENODEV` counts as done.
    pub fn del_link(&mut self, ifindex: u32, name: &str, tag: T) -> Result<Seq, RequestError> {
        let what = format!("delete link {name}");
        self.request(DEL_LINK, what, tag, |b, seq| {
            request::del_link(b, seq, ifindex)
        })
    }

    /// Sets interface `ifindex` (`name` for the log) administratively up or down.
    pub fn set_link_up(
        &mut self,
        ifindex: u32,
        name: &str,
        up: bool,
        tag: T,
    ) -> Result<Seq, RequestError> {
        let state = if up { "up" } else { "down" };
        let what = format!("set link {name} {state}");
        self.request(Kind::Set, what, tag, |b, seq| {
            request::set_link_up(b, seq, ifindex, up)
        })
    }

    /// Drains the socket until it would block and returns the answers that arrived, in order,
    /// each with its tag. Call it whenever the fd is readable (edge-triggered: once is not
    /// enough otherwise). Never fails: a receive error other than "would block" is logged and
    /// ends this drain. After an overrun the answers lost are [`super::Outcome::Lost`].
    pub fn recv(&mut self) -> Vec<Reply<T>> {
        let mut out = Vec::new();
        let mut rx = std::mem::take(&mut self.rx);
        super::drain(self.sock.as_raw_fd(), &mut rx, "netlink", |r| match r {
            Rx::Datagram { bytes, truncated } => {
                self.truncated += u64::from(truncated);
                self.tracker.on_datagram(bytes, &mut out);
            }
            Rx::Foreign => self.foreign += 1,
            Rx::Overrun => self.tracker.overrun(&mut out),
        });
        self.rx = rx;
        out
    }

    /// Requests sent and not answered yet.
    pub fn pending(&self) -> usize {
        self.tracker.pending()
    }

    pub fn stats(&self) -> RtnlStats {
        let t = self.tracker.stats();
        RtnlStats {
            sent: t.sent,
            acked: t.acked,
            idempotent: t.idempotent,
            errors: t.errors,
            malformed: t.malformed + self.truncated,
            foreign: self.foreign,
            unmatched: t.unmatched,
            overruns: t.overruns,
        }
    }
}

/// The fd to register with the reactor (readable interest).
impl<T> AsRawFd for Rtnl<T> {
    fn as_raw_fd(&self) -> RawFd {
        self.sock.as_raw_fd()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::netlink::tracker::tests::ack;

    /// What each rtnetlink request counts as done, through the tracker (no socket).
    #[test]
    fn acks_and_errors_are_matched_by_sequence() {
        let mut t: Tracker<()> = Tracker::new("netlink");
        for (s, kind) in [
            (1, Kind::Add),
            (2, Kind::Add),
            (3, Addr::DELETE),
            (4, RouteMsg::DELETE),
            (5, RuleMsg::DELETE),
            (6, RuleMsg::DELETE),
            (7, DEL_LINK),
            (8, Kind::Create),
        ] {
            t.sent(Seq(s), kind, format!("test {s}"), ());
        }
        let mut dgram = ack(2, libc::EEXIST);
        dgram.extend(ack(1, 0));
        dgram.extend(ack(3, libc::EADDRNOTAVAIL));
        dgram.extend(ack(4, libc::ESRCH));
        dgram.extend(ack(5, libc::ENOENT));
        dgram.extend(ack(6, libc::EPERM));
        dgram.extend(ack(7, libc::ENODEV));
        dgram.extend(ack(8, libc::EEXIST));
        dgram.extend(ack(77, 0));
        let mut out = Vec::new();
        t.on_datagram(&dgram, &mut out);
        let got: Vec<(u32, Option<i32>)> =
            out.iter().map(|r| (r.seq.0, r.outcome.errno())).collect();
        assert_eq!(
            got,
            vec![
                (2, None),
                (1, None),
                (3, None),
                (4, None),
                (5, None),
                (6, Some(libc::EPERM)),
                (7, None),
                (8, Some(libc::EEXIST)),
            ]
        );
        let s = t.stats();
        assert_eq!((s.acked, s.idempotent, s.errors, s.unmatched), (6, 5, 2, 1));
        assert_eq!(t.pending(), 0);
    }

    #[test]
    fn eexist_on_delete_is_an_error() {
        for del in [Addr::DELETE, RouteMsg::DELETE, RuleMsg::DELETE, DEL_LINK] {
            assert!(!del.already_done(libc::EEXIST));
        }
    }
}
