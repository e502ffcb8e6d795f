//! The command client: one non-blocking `NETLINK_ROUTE` socket, requests out, ACKs in.
//!
//! Each request is sent at once with the next sequence number and remembered until its ACK or
//! error comes back; nothing waits. The kernel handles an rtnetlink request inside `send(2)` and
//! queues the answer on our socket, so the ACK is normally readable by the next poll.

use std::collections::HashMap;
use std::io;
use std::os::fd::{AsRawFd, RawFd};

use neli::consts::socket::{Msg as SendFlags, NlFamily};
use neli::socket::NlSocket;
use neli::utils::Groups;

use super::Rx;
use super::names::Resolve;
use super::request::{self, EncodeError, Op, Unsent};
use super::wire::{self, Messages, NETLINK_CAP_ACK, NETLINK_EXT_ACK};
use crate::config::vrrp::{IpAddress, Route, Rule};

/// The sequence number of a request; its [`Reply`] carries the same one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Seq(pub u32);

/// The kernel's answer to one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reply {
    /// Done, or already so: `EEXIST` on an add and "not there" on a delete count as done (see
    /// the module doc of [`crate::netlink`]).
    Ack { seq: Seq },
    /// Refused with this errno (positive). `ENOBUFS` means the answer was lost in a receive
    /// overrun: the outcome is unknown, look at the kernel's state.
    Error { seq: Seq, errno: i32 },
}

impl Reply {
    pub fn seq(&self) -> Seq {
        match *self {
            Reply::Ack { seq } | Reply::Error { seq, .. } => seq,
        }
    }
}

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
    /// Acks that were `EEXIST` / not-there errors (see [`Reply::Ack`]).
    pub idempotent: u64,
    pub errors: u64,
    /// Datagrams or messages that could not be decoded (skipped).
    pub malformed: u64,
    /// Datagrams from a sender other than the kernel (dropped).
    pub foreign: u64,
    /// Answers to no pending request (dropped).
    pub unmatched: u64,
    /// Receive overruns (`ENOBUFS`): pending requests were answered with `ENOBUFS`.
    pub overruns: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    AddAddress,
    DelAddress,
    AddRoute,
    DelRoute,
    AddRule,
    DelRule,
    AddLink,
    DelLink,
    SetLink,
}

impl Kind {
    /// Errors that mean "already done", as keepalived treats them: `EEXIST` on an add;
    /// `EADDRNOTAVAIL` deleting an address (keepalived: the kernel removes the secondaries with a
    /// primary), `ESRCH` deleting a route, `ENOENT` deleting a rule.
    fn done_anyway(self, errno: i32) -> bool {
        match self {
            Kind::AddAddress | Kind::AddRoute | Kind::AddRule => errno == libc::EEXIST,
            Kind::DelAddress => errno == libc::EADDRNOTAVAIL,
            Kind::DelRoute => errno == libc::ESRCH,
            Kind::DelRule => errno == libc::ENOENT,
            // A link created with NLM_F_EXCL: EEXIST is somebody else's interface of that name.
            Kind::AddLink | Kind::SetLink => false,
            Kind::DelLink => errno == libc::ENODEV,
        }
    }
}

#[derive(Debug)]
struct Pending {
    kind: Kind,
    /// What the request was, for the log.
    what: String,
}

/// Receive buffer: larger than any single rtnetlink datagram the kernel sends.
const RX_BUF: usize = 64 * 1024;

/// The asynchronous rtnetlink command client. See [`crate::netlink`] for the call order.
pub struct Rtnl {
    sock: NlSocket,
    next_seq: u32,
    pending: HashMap<u32, Pending>,
    tx: Vec<u8>,
    rx: Vec<u8>,
    stats: RtnlStats,
}

impl std::fmt::Debug for Rtnl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rtnl")
            .field("fd", &self.sock.as_raw_fd())
            .field("pending", &self.pending.len())
            .field("stats", &self.stats)
            .finish()
    }
}

impl Rtnl {
    /// Opens the socket (non-blocking, close-on-exec, no multicast groups) in the calling
    /// thread's network namespace. Asks for capped ACKs (the echoed request is cut to its
    /// header) with extended-ack text; a kernel without either still works.
    pub fn new() -> io::Result<Rtnl> {
        let sock = NlSocket::connect(NlFamily::Route, None, Groups::empty())?;
        sock.nonblock()?;
        let fd = sock.as_raw_fd();
        let _ = crate::sys::netlink_setsockopt(fd, NETLINK_CAP_ACK, 1);
        let _ = crate::sys::netlink_setsockopt(fd, NETLINK_EXT_ACK, 1);
        // Room for the ACKs of a burst of requests (a failover with many VIPs and routes).
        let _ = crate::sys::set_rcvbuf(fd, 1 << 20);
        Ok(Rtnl {
            sock,
            next_seq: 1,
            pending: HashMap::new(),
            tx: Vec::with_capacity(512),
            rx: vec![0; RX_BUF],
            stats: RtnlStats::default(),
        })
    }

    fn take_seq(&mut self) -> u32 {
        let s = self.next_seq;
        // 0 is what the kernel uses for notifications: never a request's number.
        self.next_seq = self.next_seq.wrapping_add(1).max(1);
        s
    }

    fn send(&mut self, seq: u32, kind: Kind, what: String) -> Result<Seq, RequestError> {
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
        log::debug!("netlink: seq {seq}: {what}");
        self.stats.sent += 1;
        self.pending.insert(seq, Pending { kind, what });
        Ok(Seq(seq))
    }

    /// Adds `a` to interface `ifindex`.
    pub fn add_address(&mut self, ifindex: u32, a: &IpAddress) -> Result<Seq, RequestError> {
        self.address(Op::Add, ifindex, a)
    }

    /// Removes `a` from interface `ifindex`.
    pub fn del_address(&mut self, ifindex: u32, a: &IpAddress) -> Result<Seq, RequestError> {
        self.address(Op::Del, ifindex, a)
    }

    fn address(&mut self, op: Op, ifindex: u32, a: &IpAddress) -> Result<Seq, RequestError> {
        let what = format!("address {} (ifindex {ifindex})", a.words().join(" "));
        self.request(op, [Kind::AddAddress, Kind::DelAddress], what, |b, seq| {
            request::address(b, op, seq, ifindex, a).map(|()| Unsent::new())
        })
    }

    /// Adds route `r`; interface and table names are resolved with `names`.
    pub fn add_route(&mut self, r: &Route, names: &dyn Resolve) -> Result<Seq, RequestError> {
        self.route(Op::Add, r, names)
    }

    /// Removes route `r`.
    pub fn del_route(&mut self, r: &Route, names: &dyn Resolve) -> Result<Seq, RequestError> {
        self.route(Op::Del, r, names)
    }

    fn route(&mut self, op: Op, r: &Route, names: &dyn Resolve) -> Result<Seq, RequestError> {
        let what = format!("route {}", r.words().join(" "));
        self.request(op, [Kind::AddRoute, Kind::DelRoute], what, |b, seq| {
            request::route(b, op, seq, r, names)
        })
    }

    /// Adds rule `r`.
    pub fn add_rule(&mut self, r: &Rule, names: &dyn Resolve) -> Result<Seq, RequestError> {
        self.rule(Op::Add, r, names)
    }

    /// Removes rule `r`.
    pub fn del_rule(&mut self, r: &Rule, names: &dyn Resolve) -> Result<Seq, RequestError> {
        self.rule(Op::Del, r, names)
    }

    fn rule(&mut self, op: Op, r: &Rule, names: &dyn Resolve) -> Result<Seq, RequestError> {
        let what = format!("rule {}", r.words().join(" "));
        self.request(op, [Kind::AddRule, Kind::DelRule], what, |b, seq| {
            request::rule(b, op, seq, r, names)
        })
    }

    /// Creates macvlan `m` (a VMAC). Unlike an address or route add, `EEXIST` is an error: the
    /// name belongs to an interface we did not make.
    pub fn add_macvlan(&mut self, m: &request::NewMacvlan) -> Result<Seq, RequestError> {
        let seq = self.take_seq();
        request::new_macvlan(&mut self.tx, seq, m)?;
        let what = format!(
            "add macvlan {} (parent ifindex {}, {})",
            m.name,
            m.parent,
            super::HwAddr::new(&m.mac)
                .map(|a| a.to_string())
                .unwrap_or_default()
        );
        self.send(seq, Kind::AddLink, what)
    }

    /// Deletes interface `ifindex` (`name` for the log). `ENODEV` counts as done.
    pub fn del_link(&mut self, ifindex: u32, name: &str) -> Result<Seq, RequestError> {
        let seq = self.take_seq();
        request::del_link(&mut self.tx, seq, ifindex)?;
        self.send(seq, Kind::DelLink, format!("delete link {name}"))
    }

    /// Sets interface `ifindex` (`name` for the log) administratively up or down.
    pub fn set_link_up(&mut self, ifindex: u32, name: &str, up: bool) -> Result<Seq, RequestError> {
        let seq = self.take_seq();
        request::set_link_up(&mut self.tx, seq, ifindex, up)?;
        let state = if up { "up" } else { "down" };
        self.send(seq, Kind::SetLink, format!("set link {name} {state}"))
    }

    /// Encodes a request with the next sequence number, logs what it leaves out, sends it.
    fn request(
        &mut self,
        op: Op,
        [add, del]: [Kind; 2],
        what: String,
        encode: impl FnOnce(&mut Vec<u8>, u32) -> Result<Unsent, EncodeError>,
    ) -> Result<Seq, RequestError> {
        let seq = self.take_seq();
        let unsent = encode(&mut self.tx, seq)?;
        let (verb, kind) = match op {
            Op::Add => ("add", add),
            Op::Del => ("delete", del),
        };
        let what = format!("{verb} {what}");
        for o in unsent {
            log::warn!(
                "netlink: {what}: option `{o}` is not sent to the kernel (not supported yet)"
            );
        }
        self.send(seq, kind, what)
    }

    /// Drains the socket until it would block and returns the answers that arrived, in order.
    /// Call it whenever the fd is readable (edge-triggered: once is not enough otherwise).
    /// Never fails: a receive error other than "would block" is logged and ends this drain.
    pub fn recv(&mut self) -> Vec<Reply> {
        let mut out = Vec::new();
        let mut rx = std::mem::take(&mut self.rx);
        super::drain(self.sock.as_raw_fd(), &mut rx, "netlink", |r| match r {
            Rx::Datagram { bytes, truncated } => {
                self.stats.malformed += u64::from(truncated);
                self.handle_datagram(bytes, &mut out);
            }
            Rx::Foreign => self.stats.foreign += 1,
            Rx::Overrun => self.overrun(&mut out),
        });
        self.rx = rx;
        out
    }

    /// Answers lost to a receive overrun: every pending request gets `ENOBUFS`.
    fn overrun(&mut self, out: &mut Vec<Reply>) {
        self.stats.overruns += 1;
        log::warn!(
            "netlink: receive buffer overrun, the outcome of {} request(s) is unknown",
            self.pending.len()
        );
        let mut seqs: Vec<u32> = self.pending.keys().copied().collect();
        seqs.sort_unstable();
        for s in seqs {
            self.pending.remove(&s);
            self.stats.errors += 1;
            out.push(Reply::Error {
                seq: Seq(s),
                errno: libc::ENOBUFS,
            });
        }
    }

    /// Decodes one received datagram (the part of [`Rtnl::recv`] that needs no socket).
    fn handle_datagram(&mut self, bytes: &[u8], out: &mut Vec<Reply>) {
        for m in Messages::new(bytes) {
            let Ok(m) = m else {
                self.stats.malformed += 1;
                log::debug!("netlink: skipping the rest of a malformed datagram");
                break;
            };
            if m.ty != wire::NLMSG_ERROR {
                // NOOP, DONE, or anything else: the command socket expects only ACKs.
                continue;
            }
            let e = match wire::parse_error(&m) {
                Ok(e) => e,
                Err(_) => {
                    self.stats.malformed += 1;
                    continue;
                }
            };
            let Some(p) = self.pending.remove(&m.seq) else {
                self.stats.unmatched += 1;
                log::debug!("netlink: answer to no pending request (seq {})", m.seq);
                continue;
            };
            let seq = Seq(m.seq);
            let detail = e.text.map(|t| format!(" ({t})")).unwrap_or_default();
            if e.errno == 0 {
                self.stats.acked += 1;
                out.push(Reply::Ack { seq });
            } else if p.kind.done_anyway(e.errno) {
                self.stats.acked += 1;
                self.stats.idempotent += 1;
                log::debug!(
                    "netlink: {}: {}{detail} - nothing to do",
                    p.what,
                    io::Error::from_raw_os_error(e.errno)
                );
                out.push(Reply::Ack { seq });
            } else {
                self.stats.errors += 1;
                log::warn!(
                    "netlink: {}: {}{detail}",
                    p.what,
                    io::Error::from_raw_os_error(e.errno)
                );
                out.push(Reply::Error {
                    seq,
                    errno: e.errno,
                });
            }
        }
    }

    /// Requests sent and not answered yet.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    pub fn stats(&self) -> RtnlStats {
        self.stats
    }
}

/// The fd to register with the reactor (readable interest).
impl AsRawFd for Rtnl {
    fn as_raw_fd(&self) -> RawFd {
        self.sock.as_raw_fd()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::netlink::wire::{Emitter, NLMSG_DONE, NLMSG_ERROR};

    fn ack(seq: u32, errno: i32) -> Vec<u8> {
        let mut b = Vec::new();
        let mut e = Emitter::new(&mut b, NLMSG_ERROR, wire::NLM_F_CAPPED, seq);
        let mut p = (-errno).to_ne_bytes().to_vec();
        p.extend_from_slice(&[0; 16]);
        e.fixed(&p);
        e.finish().unwrap();
        b
    }

    fn client() -> Rtnl {
        // A socket is needed for the struct; these tests never use it.
        Rtnl::new().expect("a NETLINK_ROUTE socket")
    }

    fn pend(r: &mut Rtnl, seq: u32, kind: Kind) {
        r.pending.insert(
            seq,
            Pending {
                kind,
                what: format!("test {seq}"),
            },
        );
    }

    #[test]
    fn acks_and_errors_are_matched_by_sequence() {
        let mut r = client();
        pend(&mut r, 1, Kind::AddAddress);
        pend(&mut r, 2, Kind::AddAddress);
        pend(&mut r, 3, Kind::DelAddress);
        pend(&mut r, 4, Kind::DelRoute);
        pend(&mut r, 5, Kind::DelRule);
        pend(&mut r, 6, Kind::DelRule);
        let mut dgram = ack(2, libc::EEXIST);
        dgram.extend(ack(1, 0));
        dgram.extend(ack(3, libc::EADDRNOTAVAIL));
        dgram.extend(ack(4, libc::ESRCH));
        dgram.extend(ack(5, libc::ENOENT));
        dgram.extend(ack(6, libc::EPERM));
        dgram.extend(ack(77, 0));
        let mut out = Vec::new();
        r.handle_datagram(&dgram, &mut out);
        assert_eq!(
            out,
            vec![
                Reply::Ack { seq: Seq(2) },
                Reply::Ack { seq: Seq(1) },
                Reply::Ack { seq: Seq(3) },
                Reply::Ack { seq: Seq(4) },
                Reply::Ack { seq: Seq(5) },
                Reply::Error {
                    seq: Seq(6),
                    errno: libc::EPERM
                },
            ]
        );
        let s = r.stats();
        assert_eq!((s.acked, s.idempotent, s.errors, s.unmatched), (5, 4, 1, 1));
        assert_eq!(r.pending(), 0);
    }

    #[test]
    fn eexist_on_delete_is_an_error() {
        let mut r = client();
        pend(&mut r, 1, Kind::DelAddress);
        let mut out = Vec::new();
        r.handle_datagram(&ack(1, libc::EEXIST), &mut out);
        assert_eq!(
            out,
            vec![Reply::Error {
                seq: Seq(1),
                errno: libc::EEXIST
            }]
        );
    }

    #[test]
    fn garbage_is_counted_and_skipped() {
        let mut r = client();
        pend(&mut r, 1, Kind::AddRoute);
        let good = ack(1, 0);
        let mut rng = crate::rng::Rng::new(7);
        let mut out = Vec::new();
        for n in 0..2000 {
            let len = rng.below(80) as usize;
            let mut junk: Vec<u8> = (0..len).map(|_| rng.below(256) as u8).collect();
            if n % 3 == 0 && len >= 8 {
                // Plausible headers: a small length, an error type.
                junk[..4].copy_from_slice(&(rng.below(40) as u32).to_ne_bytes());
                junk[4..6].copy_from_slice(&NLMSG_ERROR.to_ne_bytes());
            }
            r.handle_datagram(&junk, &mut out);
            // Every prefix of a good answer.
            r.handle_datagram(&good[..(n % good.len())], &mut out);
        }
        assert!(r.stats().malformed > 0);
        // A short error payload is malformed; a DONE is ignored.
        let before = r.stats().malformed;
        let mut b = Vec::new();
        let mut e = Emitter::new(&mut b, NLMSG_ERROR, 0, 1);
        e.fixed(&[1, 2]);
        e.finish().unwrap();
        let mut d = Vec::new();
        Emitter::new(&mut d, NLMSG_DONE, 0, 1).finish().unwrap();
        b.extend(d);
        r.handle_datagram(&b, &mut out);
        assert_eq!(r.stats().malformed, before + 1);
        // The real answer still matches (unless a random datagram happened to be one).
        r.handle_datagram(&good, &mut out);
        assert_eq!(r.pending(), 0);
    }
}
