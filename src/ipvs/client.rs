//! The IPVS client on the loop: one non-blocking `NETLINK_GENERIC` socket, requests pipelined
//! (many in one `send(2)`, each with its own sequence number), every answer matched by the
//! netlink request tracker ([`crate::netlink::Tracker`]) and handed back with its tag. Only the
//! last request of a `send(2)` asks for an ACK: the others are answered by their error if they
//! fail, and as done by that ACK (the kernel answers in order; [`Tracker::sent_silent`]).
//!
//! # Call order
//! 1. [`Client::new`] in the daemon's network namespace; register its fd for `READABLE`.
//! 2. [`Client::resolve`]: asks the controller for the `IPVS` family. Its answer comes from
//!    [`Client::recv`] as [`Event::Family`]: the family, or the errno when the kernel has no IPVS
//!    (`ENOENT`: module not loaded or built; `EPERM`: no `CAP_NET_ADMIN` in this namespace).
//! 3. [`Client::queue`] requests, then [`Client::flush`]; call `flush` again after every
//!    [`Client::recv`] (answers make room in the window).
//!
//! # Invariants
//! - Never more than [`WINDOW`] requests in flight: the errors of a larger burst that fails
//!   whole (a missing scheduler module) would overrun the receive buffer (each small skb costs
//!   about a kilobyte of it). The rest waits in the queue, in order.
//! - A request is tracked only once it was sent; one that cannot be encoded is refused at
//!   [`Client::queue`], never sent.
//! - At most one dump runs at a time on the socket (a second one is refused with `EBUSY`): a
//!   dump waits in the queue, and what is queued after it waits too (order is kept).
//! - Nothing blocks: a full socket send buffer (`EAGAIN`) leaves the batch queued for the next
//!   flush.

use std::collections::VecDeque;
use std::io;
use std::os::fd::{AsRawFd, RawFd};

use neli::consts::socket::{Msg as SendFlags, NlFamily};
use neli::socket::NlSocket;

use crate::netlink::wire::{self, Messages};
use crate::netlink::{Kind, Outcome, Rx, Seq, Tracker, TrackerStats, drain};

use super::codec::{self, Family, Malformed, Reply, Request};

/// Requests in flight at most.
pub const WINDOW: usize = 256;

/// Bytes of requests per `send(2)` at most.
const BATCH: usize = 32 * 1024;

/// The receive buffer: a dump chunk is at most 32 KiB; the errors of a window of requests.
const RCVBUF: usize = 1 << 20;

/// What a request was, given back with its answer.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Tag<T> {
    Family,
    Caller(T),
}

/// Something the socket said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event<T> {
    /// The IPVS family, or the errno that says the kernel has none.
    Family(Result<Family, i32>),
    /// The answer to a request (for a dump: its end).
    Answer { seq: Seq, tag: T, outcome: Outcome },
    /// An entry of a dump, or the data of a `GET_INFO` / `GET_CONFIG` reply.
    Data {
        seq: Seq,
        reply: Result<Reply, Malformed>,
    },
}

/// One request waiting for room in the window.
struct Queued<T> {
    seq: Seq,
    bytes: Vec<u8>,
    kind: Kind,
    what: String,
    tag: T,
}

/// See the module doc.
pub struct Client<T> {
    sock: NlSocket,
    tracker: Tracker<Tag<T>>,
    family: Option<u16>,
    queue: VecDeque<Queued<Tag<T>>>,
    batch: Vec<u8>,
    rx: Vec<u8>,
    family_seq: Option<Seq>,
    /// The dump running, if one is.
    dumping: Option<Seq>,
    /// Datagrams from another sender, dropped.
    pub foreign: u64,
    /// Messages the codec refused.
    pub malformed: u64,
}

impl<T> Client<T> {
    /// Opens the socket (non-blocking, close-on-exec) with capped ACKs and extended-ack text.
    pub fn new() -> io::Result<Client<T>> {
        let sock = crate::netlink::command_socket(NlFamily::Generic, RCVBUF)?;
        Ok(Client {
            sock,
            tracker: Tracker::new("ipvs"),
            family: None,
            queue: VecDeque::new(),
            batch: Vec::with_capacity(BATCH),
            rx: vec![0; 64 * 1024],
            family_seq: None,
            dumping: None,
            foreign: 0,
            malformed: 0,
        })
    }

    /// The IPVS family id, once resolved.
    pub fn family(&self) -> Option<u16> {
        self.family
    }

    /// Asks the controller for the IPVS family (again: after a failure, on a back-off).
    pub fn resolve(&mut self) -> io::Result<()> {
        let seq = self.tracker.next_seq();
        let mut bytes = Vec::new();
        codec::get_family(&mut bytes, seq.0, codec::FAMILY_NAME)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "family request too long"))?;
        self.family_seq = Some(seq);
        self.queue.push_front(Queued {
            seq,
            bytes,
            kind: Kind::Probe,
            what: "resolving the IPVS family".into(),
            tag: Tag::Family,
        });
        self.flush()
    }

    /// Queues `req` (sent by the next [`Client::flush`] that has room). `None`: no family yet,
    /// or the request cannot be encoded (logged).
    pub fn queue(&mut self, req: &Request<'_>, what: String, tag: T) -> Option<Seq> {
        let family = self.family?;
        let seq = self.tracker.next_seq();
        let mut bytes = Vec::new();
        if codec::encode(&mut bytes, family, seq.0, req).is_err() {
            log::error!("ipvs: {what}: request too long, not sent");
            return None;
        }
        self.queue.push_back(Queued {
            seq,
            bytes,
            kind: kind_of(req),
            what,
            tag: Tag::Caller(tag),
        });
        Some(seq)
    }

    /// Sends what the window has room for, many requests per `send(2)`.
    pub fn flush(&mut self) -> io::Result<()> {
        while !self.queue.is_empty() && self.tracker.pending() < WINDOW {
            self.batch.clear();
            let mut n = 0;
            let mut dump = self.dumping;
            // Where the last request of the batch starts, if it asks for an ACK (which then
            // answers the ones before it).
            let mut last = None;
            while let Some(q) = self.queue.get(n) {
                let room = self.tracker.pending() + n < WINDOW;
                let full = n > 0 && self.batch.len() + q.bytes.len() > BATCH;
                let busy = q.kind == Kind::Dump && dump.is_some();
                if !room || full || busy {
                    break;
                }
                if q.kind == Kind::Dump {
                    dump = Some(q.seq);
                }
                if let Some(at) = last {
                    silence(&mut self.batch[at..]);
                }
                last = asks_ack(q).then_some(self.batch.len());
                self.batch.extend_from_slice(&q.bytes);
                n += 1;
            }
            if n == 0 {
                return Ok(());
            }
            match self.sock.send(&self.batch, SendFlags::empty()) {
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(e) => return Err(e),
            }
            self.dumping = dump;
            for (i, q) in self.queue.drain(..n).enumerate() {
                if i + 1 < n && asks_ack(&q) {
                    self.tracker.sent_silent(q.seq, q.kind, q.what, q.tag);
                } else {
                    self.tracker.sent(q.seq, q.kind, q.what, q.tag);
                }
            }
        }
        Ok(())
    }

    /// Drains the socket; what it said goes to `out`, in order.
    pub fn recv(&mut self, out: &mut Vec<Event<T>>) {
        let mut rx = std::mem::take(&mut self.rx);
        let fd = self.sock.as_raw_fd();
        drain(fd, &mut rx, "ipvs", |r| match r {
            Rx::Datagram { bytes, .. } => self.datagram(bytes, out),
            Rx::Foreign => self.foreign += 1,
            Rx::Overrun => {
                let mut lost = Vec::new();
                self.tracker.overrun(&mut lost);
                for r in lost {
                    self.answer(r.seq, r.tag, r.outcome, out);
                }
            }
        });
        self.rx = rx;
    }

    fn datagram(&mut self, bytes: &[u8], out: &mut Vec<Event<T>>) {
        for m in Messages::new(bytes) {
            let Ok(m) = m else {
                self.malformed += 1;
                break;
            };
            if m.ty == wire::NLMSG_ERROR || m.ty == wire::NLMSG_DONE {
                let mut answers = Vec::new();
                self.tracker.on_message(&m, &mut answers);
                for r in answers {
                    self.answer(r.seq, r.tag, r.outcome, out);
                }
            } else if m.ty == codec::GENL_ID_CTRL && Some(Seq(m.seq)) == self.family_seq {
                match codec::parse_family(m.payload) {
                    Ok(f) => {
                        self.family = Some(f.id);
                        out.push(Event::Family(Ok(f)));
                    }
                    Err(_) => self.malformed += 1,
                }
            } else if Some(m.ty) == self.family {
                let reply = codec::parse_reply(m.payload);
                if reply.is_err() {
                    self.malformed += 1;
                }
                out.push(Event::Data {
                    seq: Seq(m.seq),
                    reply,
                });
            }
        }
    }

    fn answer(&mut self, seq: Seq, tag: Tag<T>, outcome: Outcome, out: &mut Vec<Event<T>>) {
        if self.dumping == Some(seq) {
            self.dumping = None;
        }
        match tag {
            Tag::Caller(tag) => out.push(Event::Answer { seq, tag, outcome }),
            // The family's data came before its ACK: only a failure is news.
            Tag::Family => {
                self.family_seq = None;
                if let Some(errno) = outcome.errno() {
                    self.family = None;
                    out.push(Event::Family(Err(errno)));
                }
            }
        }
    }

    /// Takes back the requests still waiting in the queue (never sent) whose tag `drop` says
    /// so: a read of the table that a reload made pointless. How many were dropped.
    pub fn drop_queued(&mut self, mut drop: impl FnMut(&T) -> bool) -> usize {
        let before = self.queue.len();
        self.queue
            .retain(|q| !matches!(&q.tag, Tag::Caller(t) if drop(t)));
        before - self.queue.len()
    }

    /// Requests queued or in flight.
    pub fn pending(&self) -> usize {
        self.tracker.pending() + self.queue.len()
    }

    pub fn stats(&self) -> TrackerStats {
        self.tracker.stats()
    }
}

impl<T> AsRawFd for Client<T> {
    fn as_raw_fd(&self) -> RawFd {
        self.sock.as_raw_fd()
    }
}

/// Whether `q` is answered by an ACK (not a dump: its answer is its `NLMSG_DONE`), which a
/// batch leaves out on all but its last request.
fn asks_ack<T>(q: &Queued<T>) -> bool {
    q.kind != Kind::Dump
}

/// Clears `NLM_F_ACK` in the header of the request at the start of `msg`.
fn silence(msg: &mut [u8]) {
    if let Some(f) = msg.get_mut(6..8) {
        let flags = u16::from_ne_bytes([f[0], f[1]]) & !wire::NLM_F_ACK;
        f.copy_from_slice(&flags.to_ne_bytes());
    }
}

/// Which errors of a request mean "already done" (ipvs-and-checkers.md 1.3): `EEXIST` on an
/// add; a service that is gone (`ESRCH`) or a destination that is (`ENOENT`) on a delete; a
/// sync daemon not running (`ESRCH`) on its delete.
fn kind_of(req: &Request<'_>) -> Kind {
    match req {
        Request::NewService(_) | Request::NewDest(..) | Request::NewDaemon(_) => Kind::Add,
        Request::DelService(_) | Request::DelDaemon(_) => Kind::Delete {
            absent: &[libc::ESRCH],
        },
        Request::DelDest(..) => Kind::Delete {
            absent: &[libc::ENOENT, libc::ESRCH],
        },
        Request::GetServices | Request::GetDests(_) | Request::GetDaemons => Kind::Dump,
        Request::SetService(_)
        | Request::SetDest(..)
        | Request::SetTimeouts(_)
        | Request::GetTimeouts
        | Request::GetInfo
        | Request::Zero(_)
        | Request::Flush => Kind::Set,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_silenced_request_keeps_every_flag_but_the_ack() {
        let mut b = Vec::new();
        codec::encode(&mut b, 32, 7, &Request::Flush).unwrap();
        let flags = |b: &[u8]| u16::from_ne_bytes([b[6], b[7]]);
        assert_eq!(flags(&b), wire::NLM_F_REQUEST | wire::NLM_F_ACK);
        let before = b.clone();
        silence(&mut b);
        assert_eq!(flags(&b), wire::NLM_F_REQUEST);
        assert_eq!((&b[..6], &b[8..]), (&before[..6], &before[8..]));
        // Too short to be a header: left alone, no panic.
        let mut short = [0u8; 5];
        silence(&mut short);
        assert_eq!(short, [0; 5]);
    }
}
