//! The request tracker: sequence numbers, requests in flight, and what the kernel's answer means.
//!
//! It knows nothing of the protocol family: an ACK or error is an `NLMSG_ERROR` message whatever
//! the socket (`NETLINK_ROUTE` for [`super::Rtnl`] now, `NETLINK_GENERIC` for IPVS next). The
//! owner of a socket encodes and sends; the tracker numbers the requests, remembers each with
//! the owner's tag (what it was for: a log text, an instance slot) and gives the tag back with
//! the answer, so that the owner keeps no table of its own.
//!
//! # Call order
//! 1. [`Tracker::next_seq`] for the request's header, then encode and `send(2)` it.
//! 2. [`Tracker::sent`] once the send succeeded (a request that was not sent is not pending).
//! 3. For each datagram read: [`Tracker::on_datagram`] (or [`Tracker::on_message`] for an owner
//!    that also reads other messages on the socket). On `ENOBUFS` from `recv(2)`:
//!    [`Tracker::overrun`].
//!
//! # Invariants
//! - A sequence number is never 0 (the kernel's notifications carry 0) and never one still
//!   pending, also after the counter wraps around.
//! - Each pending request is answered exactly once: by its ACK or error, or as
//!   [`Outcome::Lost`] by an overrun. An answer to no pending request is counted
//!   ([`TrackerStats::unmatched`]) and dropped.
//! - "Already done" depends on the operation ([`Kind`]): `EEXIST` on an add, the "not there"
//!   errnos the caller names on a delete. They are logged at debug; a failure is logged at
//!   warning with the kernel's extended-ack text (see "What counts as done" in [`crate::netlink`]).
//! - An overrun means answers were lost: every pending request is answered [`Outcome::Lost`]
//!   and the owner must read the kernel's state again (a dump) before trusting what it believes.
//! - A request sent without `NLM_F_ACK` ([`Tracker::sent_silent`]) is answered only when it
//!   fails. The kernel handles the requests of a socket in the order they were sent and queues
//!   their answers in that order, so the answer to any later request means that every earlier
//!   silent one without an error succeeded: those are answered [`Outcome::Done`] first, in send
//!   order. A burst of N requests then costs one ACK instead of N (N fewer `recv(2)` calls and
//!   N fewer kernel allocations).

use std::collections::{HashMap, VecDeque};
use std::io;

use super::wire::{self, Messages, Msg};

/// The sequence number of a request; its [`Reply`] carries the same one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Seq(pub u32);

/// What a request does, which decides which errors mean "already done".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Adds an object: `EEXIST` means it is there already.
    Add,
    /// Creates an object that must be new (`NLM_F_EXCL` where an existing one is somebody
    /// else's, a VMAC's name): `EEXIST` is a failure.
    Create,
    /// Removes an object: the errnos in `absent` mean it is not there.
    Delete { absent: &'static [i32] },
    /// Changes an object: only success is done.
    Set,
    /// A question whose refusal is news for the owner only (is there an IPVS family?): a
    /// failure is logged at debug, the owner says what it means.
    Probe,
    /// A dump: its entries are the owner's (messages with its sequence number), its answer is
    /// the `NLMSG_DONE` that ends it (or an error instead).
    Dump,
}

impl Kind {
    /// Whether error `errno` (positive) means the state we asked for is there already.
    pub fn already_done(self, errno: i32) -> bool {
        match self {
            Kind::Add => errno == libc::EEXIST,
            Kind::Delete { absent } => absent.contains(&errno),
            Kind::Create | Kind::Set | Kind::Probe | Kind::Dump => false,
        }
    }
}

/// What became of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Done,
    /// Refused with this errno because the state was there already (see [`Kind`]).
    AlreadyDone(i32),
    /// Refused with this errno (positive), with the kernel's extended-ack text if it gave one.
    Failed {
        errno: i32,
        text: Option<String>,
    },
    /// The answer was lost in a receive overrun (`ENOBUFS`): the outcome is unknown, read the
    /// kernel's state again.
    Lost,
}

impl Outcome {
    /// The error to report: `None` when done (or already so), `ENOBUFS` when lost.
    pub fn errno(&self) -> Option<i32> {
        match *self {
            Outcome::Done | Outcome::AlreadyDone(_) => None,
            Outcome::Failed { errno, .. } => Some(errno),
            Outcome::Lost => Some(libc::ENOBUFS),
        }
    }
}

/// The answer to one request, with the tag it was sent with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply<T> {
    pub seq: Seq,
    pub tag: T,
    pub outcome: Outcome,
}

/// Counters for the statistics dump.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TrackerStats {
    pub sent: u64,
    /// Done, or already so.
    pub acked: u64,
    /// Of `acked`: the errors that meant "already done".
    pub idempotent: u64,
    /// Failed or lost.
    pub errors: u64,
    /// Datagrams or messages that could not be decoded (skipped).
    pub malformed: u64,
    /// Answers to no pending request (dropped).
    pub unmatched: u64,
    /// Receive overruns (`ENOBUFS`).
    pub overruns: u64,
}

#[derive(Debug)]
struct Pending<T> {
    /// Its place in the send order.
    order: u64,
    kind: Kind,
    /// What the request was, for the log.
    what: String,
    tag: T,
}

/// Requests in flight on one netlink socket. See the module doc for the call order.
#[derive(Debug)]
pub struct Tracker<T> {
    /// Prefix of the log lines ("netlink").
    who: &'static str,
    next: u32,
    /// The sequence counter went past `u32::MAX` once: from then on a number may still be
    /// pending when it comes round again (before, every pending one is below `next`).
    wrapped: bool,
    /// Requests that are answered by an ACK, an error or a dump's end.
    pending: HashMap<u32, Pending<T>>,
    /// The order number of the next request sent.
    order: u64,
    /// Silent requests (sent without `NLM_F_ACK`), in send order, by sequence number. Most of
    /// a burst is silent: a queue costs less than a map for them.
    silent: VecDeque<(u32, Pending<T>)>,
    stats: TrackerStats,
}

impl<T> Tracker<T> {
    pub fn new(who: &'static str) -> Tracker<T> {
        Tracker::starting_at(who, 1)
    }

    /// A tracker whose first sequence number is `first` (tests of the wrap-around: counted as
    /// wrapped unless it starts at 1, so any number may be pending already).
    pub fn starting_at(who: &'static str, first: u32) -> Tracker<T> {
        Tracker {
            who,
            next: first,
            wrapped: first != 1,
            pending: HashMap::new(),
            order: 0,
            silent: VecDeque::new(),
            stats: TrackerStats::default(),
        }
    }

    /// The sequence number for the next request: never 0, never one still pending.
    pub fn next_seq(&mut self) -> Seq {
        loop {
            let s = self.next;
            self.next = self.next.wrapping_add(1);
            self.wrapped |= self.next == 0;
            if s != 0 && !(self.wrapped && self.is_pending(s)) {
                return Seq(s);
            }
        }
    }

    fn is_pending(&self, seq: u32) -> bool {
        self.pending.contains_key(&seq) || self.silent.iter().any(|(s, _)| *s == seq)
    }

    fn pending_entry(&mut self, kind: Kind, what: String, tag: T) -> Pending<T> {
        self.stats.sent += 1;
        let order = self.order;
        self.order += 1;
        Pending {
            order,
            kind,
            what,
            tag,
        }
    }

    /// Request `seq` was sent: remember it until its answer.
    pub fn sent(&mut self, seq: Seq, kind: Kind, what: String, tag: T) {
        log::debug!("{}: seq {}: {what}", self.who, seq.0);
        let p = self.pending_entry(kind, what, tag);
        self.pending.insert(seq.0, p);
    }

    /// Request `seq` was sent without `NLM_F_ACK`: answered by its error, or as done by the
    /// answer to any request sent after it (see the module doc). Not for dumps.
    pub fn sent_silent(&mut self, seq: Seq, kind: Kind, what: String, tag: T) {
        debug_assert!(kind != Kind::Dump);
        log::debug!("{}: seq {} (no ACK): {what}", self.who, seq.0);
        let p = self.pending_entry(kind, what, tag);
        self.silent.push_back((seq.0, p));
    }

    /// The silent requests sent before `order` succeeded: answered [`Outcome::Done`], in send
    /// order.
    fn done_before(&mut self, order: u64, out: &mut Vec<Reply<T>>) {
        while self.silent.front().is_some_and(|(_, p)| p.order < order) {
            let Some((seq, p)) = self.silent.pop_front() else {
                break;
            };
            self.stats.acked += 1;
            out.push(Reply {
                seq: Seq(seq),
                tag: p.tag,
                outcome: Outcome::Done,
            });
        }
    }

    /// The answers in one received datagram, in order. Messages other than `NLMSG_ERROR` are
    /// skipped; a malformed message is counted and ends the datagram.
    pub fn on_datagram(&mut self, bytes: &[u8], out: &mut Vec<Reply<T>>) {
        for m in Messages::new(bytes) {
            let Ok(m) = m else {
                self.stats.malformed += 1;
                log::debug!("{}: skipping the rest of a malformed datagram", self.who);
                break;
            };
            self.on_message(&m, out);
        }
    }

    /// The answers message `m` gives, to `out`: none, or the answer to the pending request it
    /// is the ACK or error of (or the `NLMSG_DONE` of a pending dump), after the silent
    /// requests sent before that one (done).
    pub fn on_message(&mut self, m: &Msg<'_>, out: &mut Vec<Reply<T>>) {
        if m.ty == wire::NLMSG_DONE {
            let order = self.pending.get(&m.seq).map(|p| p.order);
            if let (Some(order), Some(r)) = (order, self.dump_done(m)) {
                self.done_before(order, out);
                out.push(r);
            }
            return;
        }
        if m.ty != wire::NLMSG_ERROR {
            return;
        }
        let Ok(e) = wire::parse_error(m) else {
            self.stats.malformed += 1;
            return;
        };
        let p = if let Some(p) = self.pending.remove(&m.seq) {
            p
        } else if let Some(i) = self.silent.iter().position(|(s, _)| *s == m.seq) {
            // A silent request's error: the ones before it succeeded.
            let order = self.silent[i].1.order;
            self.done_before(order, out);
            match self.silent.pop_front() {
                Some((_, p)) => p,
                None => return,
            }
        } else {
            self.stats.unmatched += 1;
            log::debug!("{}: answer to no pending request (seq {})", self.who, m.seq);
            return;
        };
        // The answer is real: every silent request sent before it has succeeded.
        self.done_before(p.order, out);
        let outcome = self.outcome(m.seq, &p, e);
        out.push(Reply {
            seq: Seq(m.seq),
            tag: p.tag,
            outcome,
        });
    }

    /// What an ACK or error means for request `p`, logged and counted.
    fn outcome(&mut self, seq: u32, p: &Pending<T>, e: wire::ErrorMsg) -> Outcome {
        let who = self.who;
        // An owner may leave the text out (thousands of requests) and describe a failure itself.
        let what = || {
            if p.what.is_empty() {
                format!("seq {seq}")
            } else {
                p.what.clone()
            }
        };
        let detail = e
            .text
            .as_deref()
            .map(|t| format!(" ({t})"))
            .unwrap_or_default();
        let err = || io::Error::from_raw_os_error(e.errno);
        if e.errno == 0 {
            self.stats.acked += 1;
            Outcome::Done
        } else if p.kind.already_done(e.errno) {
            self.stats.acked += 1;
            self.stats.idempotent += 1;
            log::debug!("{who}: {}: {}{detail} - nothing to do", what(), err());
            Outcome::AlreadyDone(e.errno)
        } else {
            self.stats.errors += 1;
            if p.kind == Kind::Probe {
                log::debug!("{who}: {}: {}{detail}", what(), err());
            } else {
                log::warn!("{who}: {}: {}{detail}", what(), err());
            }
            Outcome::Failed {
                errno: e.errno,
                text: e.text,
            }
        }
    }

    /// Whether `seq` is a dump still running (its entries are to be read).
    pub fn is_dumping(&self, seq: u32) -> bool {
        self.pending.get(&seq).is_some_and(|p| p.kind == Kind::Dump)
    }

    /// The end of a dump: done, or failed with the errno its payload carries (a dump that
    /// failed after it started).
    fn dump_done(&mut self, m: &Msg<'_>) -> Option<Reply<T>> {
        // A DONE for no running dump is not an answer: ignored, not counted.
        if !self.is_dumping(m.seq) {
            return None;
        }
        let p = self.pending.remove(&m.seq)?;
        let code = m
            .payload
            .get(..4)
            .map_or(0, |b| i32::from_ne_bytes([b[0], b[1], b[2], b[3]]));
        let outcome = if code < 0 {
            self.stats.errors += 1;
            log::warn!(
                "{}: {}: {}",
                self.who,
                p.what,
                io::Error::from_raw_os_error(-code)
            );
            Outcome::Failed {
                errno: -code,
                text: None,
            }
        } else {
            self.stats.acked += 1;
            Outcome::Done
        };
        Some(Reply {
            seq: Seq(m.seq),
            tag: p.tag,
            outcome,
        })
    }

    /// `recv(2)` said `ENOBUFS`: answers were lost. Every pending request is answered
    /// [`Outcome::Lost`] (in send order); the owner should read the kernel's state again.
    pub fn overrun(&mut self, out: &mut Vec<Reply<T>>) {
        self.stats.overruns += 1;
        log::warn!(
            "{}: receive buffer overrun, the outcome of {} request(s) is unknown",
            self.who,
            self.pending()
        );
        let mut lost: Vec<(u32, Pending<T>)> = self.pending.drain().collect();
        lost.extend(self.silent.drain(..));
        lost.sort_unstable_by_key(|(_, p)| p.order);
        for (s, p) in lost {
            self.stats.errors += 1;
            out.push(Reply {
                seq: Seq(s),
                tag: p.tag,
                outcome: Outcome::Lost,
            });
        }
    }

    /// Requests sent and not answered yet.
    pub fn pending(&self) -> usize {
        self.pending.len() + self.silent.len()
    }

    pub fn stats(&self) -> TrackerStats {
        self.stats
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::netlink::wire::{Emitter, NLM_F_CAPPED, NLMSG_DONE, NLMSG_ERROR};

    /// A fake kernel: the bytes of the answer to request `seq` (0: an ACK), as the kernel
    /// writes it with `NETLINK_CAP_ACK` (the echoed request cut to its header).
    pub(crate) fn ack(seq: u32, errno: i32) -> Vec<u8> {
        let mut b = Vec::new();
        let mut e = Emitter::new(&mut b, NLMSG_ERROR, NLM_F_CAPPED, seq);
        let mut p = (-errno).to_ne_bytes().to_vec();
        p.extend_from_slice(&[0; 16]);
        e.fixed(&p);
        e.finish().unwrap();
        b
    }

    /// An error with extended-ack text (`NLMSGERR_ATTR_MSG`), as with `NETLINK_EXT_ACK`.
    fn ack_with_text(seq: u32, errno: i32, text: &str) -> Vec<u8> {
        let mut b = Vec::new();
        let flags = NLM_F_CAPPED | wire::NLM_F_ACK_TLVS;
        let mut e = Emitter::new(&mut b, NLMSG_ERROR, flags, seq);
        let mut p = (-errno).to_ne_bytes().to_vec();
        p.extend_from_slice(&[0; 16]);
        e.fixed(&p);
        e.attr_str(wire::NLMSGERR_ATTR_MSG, text);
        e.finish().unwrap();
        b
    }

    const ABSENT: &[i32] = &[libc::ENOENT, libc::ESRCH, libc::EADDRNOTAVAIL];

    fn tracker(kinds: &[(u32, Kind)]) -> Tracker<&'static str> {
        let mut t = Tracker::new("test");
        for &(s, kind) in kinds {
            t.sent(Seq(s), kind, format!("request {s}"), "tag");
        }
        t
    }

    fn outcomes(t: &mut Tracker<&'static str>, dgram: &[u8]) -> Vec<(u32, Outcome)> {
        let mut out = Vec::new();
        t.on_datagram(dgram, &mut out);
        out.into_iter().map(|r| (r.seq.0, r.outcome)).collect()
    }

    /// Requests 1..=4 sent silently, 5 with an ACK.
    fn silent_burst() -> Tracker<&'static str> {
        let mut t = Tracker::new("test");
        for s in 1..=4 {
            t.sent_silent(Seq(s), Kind::Add, format!("request {s}"), "tag");
        }
        t.sent(Seq(5), Kind::Set, "request 5".into(), "tag");
        t
    }

    #[test]
    fn the_ack_of_the_last_request_answers_the_silent_ones_before_it_in_order() {
        let mut t = silent_burst();
        let got = outcomes(&mut t, &ack(5, 0));
        let seqs: Vec<u32> = got.iter().map(|(s, _)| *s).collect();
        assert_eq!(seqs, [1, 2, 3, 4, 5]);
        assert!(got.iter().all(|(_, o)| *o == Outcome::Done));
        assert_eq!(t.pending(), 0);
        assert_eq!(t.stats().acked, 5);
    }

    #[test]
    fn a_silent_request_that_fails_is_answered_by_its_error_and_only_once() {
        let mut t = silent_burst();
        // The kernel's order: request 3's error (EEXIST on an add: already done), request 4's
        // real error, then the ACK of 5.
        let mut dgram = ack(3, libc::EEXIST);
        dgram.extend(ack(4, libc::ENOENT));
        dgram.extend(ack(5, 0));
        let got = outcomes(&mut t, &dgram);
        assert_eq!(
            got,
            [
                (1, Outcome::Done),
                (2, Outcome::Done),
                (3, Outcome::AlreadyDone(libc::EEXIST)),
                (
                    4,
                    Outcome::Failed {
                        errno: libc::ENOENT,
                        text: None
                    }
                ),
                (5, Outcome::Done),
            ]
        );
        assert_eq!(t.pending(), 0);
        assert_eq!(t.stats().errors, 1);
    }

    #[test]
    fn silent_requests_stay_pending_until_a_later_answer_and_are_lost_in_an_overrun() {
        let mut t = silent_burst();
        // An answer to nothing pending implies nothing.
        assert!(outcomes(&mut t, &ack(99, 0)).is_empty());
        assert_eq!(t.pending(), 5);
        let mut lost = Vec::new();
        t.overrun(&mut lost);
        let seqs: Vec<u32> = lost.iter().map(|r| r.seq.0).collect();
        assert_eq!(seqs, [1, 2, 3, 4, 5]);
        assert!(lost.iter().all(|r| r.outcome == Outcome::Lost));
        // Nothing is left to be implied by a later answer.
        t.sent(Seq(6), Kind::Set, "request 6".into(), "tag");
        assert_eq!(outcomes(&mut t, &ack(6, 0)), [(6, Outcome::Done)]);
    }

    #[test]
    fn a_dumps_done_answers_the_silent_requests_before_it() {
        let mut t = Tracker::new("test");
        t.sent_silent(Seq(1), Kind::Add, "request 1".into(), "tag");
        t.sent(Seq(2), Kind::Dump, "dump".into(), "tag");
        assert_eq!(
            outcomes(&mut t, &done(2, 0)),
            [(1, Outcome::Done), (2, Outcome::Done)]
        );
    }

    #[test]
    fn eexist_on_add_is_already_done() {
        let mut t = tracker(&[(1, Kind::Add), (2, Kind::Add)]);
        let mut d = ack(2, libc::EEXIST);
        d.extend(ack(1, 0));
        assert_eq!(
            outcomes(&mut t, &d),
            vec![(2, Outcome::AlreadyDone(libc::EEXIST)), (1, Outcome::Done)]
        );
        let s = t.stats();
        assert_eq!((s.acked, s.idempotent, s.errors), (2, 1, 0));
    }

    #[test]
    fn not_there_on_delete_is_already_done() {
        let del = Kind::Delete { absent: ABSENT };
        let mut t = tracker(&[(1, del), (2, del), (3, del)]);
        let mut d = ack(1, libc::ENOENT);
        d.extend(ack(2, libc::ESRCH));
        d.extend(ack(3, libc::EADDRNOTAVAIL));
        assert_eq!(
            outcomes(&mut t, &d),
            vec![
                (1, Outcome::AlreadyDone(libc::ENOENT)),
                (2, Outcome::AlreadyDone(libc::ESRCH)),
                (3, Outcome::AlreadyDone(libc::EADDRNOTAVAIL)),
            ]
        );
        assert_eq!(t.stats().idempotent, 3);
        assert_eq!(t.pending(), 0);
    }

    #[test]
    fn eexist_on_delete_and_on_create_fail_with_the_kernels_text() {
        let del = Kind::Delete { absent: ABSENT };
        let mut t = tracker(&[(1, del), (2, Kind::Create), (3, Kind::Set), (4, del)]);
        let mut d = ack(1, libc::EEXIST);
        d.extend(ack_with_text(2, libc::EEXIST, "name in use"));
        d.extend(ack(3, libc::ENODEV));
        // Only the errnos the delete names are "not there".
        d.extend(ack(4, libc::ENODEV));
        let failed = |errno, text: Option<&str>| Outcome::Failed {
            errno,
            text: text.map(String::from),
        };
        assert_eq!(
            outcomes(&mut t, &d),
            vec![
                (1, failed(libc::EEXIST, None)),
                (2, failed(libc::EEXIST, Some("name in use"))),
                (3, failed(libc::ENODEV, None)),
                (4, failed(libc::ENODEV, None)),
            ]
        );
        let s = t.stats();
        assert_eq!((s.acked, s.errors), (0, 4));
        assert_eq!(Outcome::AlreadyDone(libc::EEXIST).errno(), None);
        assert_eq!(failed(libc::EPERM, None).errno(), Some(libc::EPERM));
    }

    #[test]
    fn the_tag_comes_back_with_the_answer() {
        let mut t: Tracker<(usize, char)> = Tracker::new("test");
        let a = t.next_seq();
        t.sent(a, Kind::Add, "a".into(), (7, 'a'));
        let b = t.next_seq();
        t.sent(b, Kind::Set, "b".into(), (9, 'b'));
        let mut out = Vec::new();
        let mut d = ack(b.0, 0);
        d.extend(ack(a.0, libc::EPERM));
        t.on_datagram(&d, &mut out);
        let tags: Vec<_> = out.iter().map(|r| (r.seq, r.tag)).collect();
        assert_eq!(tags, vec![(b, (9, 'b')), (a, (7, 'a'))]);
    }

    #[test]
    fn unknown_and_repeated_answers_are_counted_and_dropped() {
        let mut t = tracker(&[(1, Kind::Add)]);
        let mut d = ack(77, 0);
        d.extend(ack(1, 0));
        // The same answer twice: the second matches nothing.
        d.extend(ack(1, 0));
        // Not an answer: ignored, not counted.
        let mut done = Vec::new();
        Emitter::new(&mut done, NLMSG_DONE, 0, 1).finish().unwrap();
        d.extend(done);
        assert_eq!(outcomes(&mut t, &d), vec![(1, Outcome::Done)]);
        let s = t.stats();
        assert_eq!((s.acked, s.unmatched, s.malformed), (1, 2, 0));
    }

    #[test]
    fn enobufs_loses_every_pending_answer_and_asks_for_a_redump() {
        let mut t = tracker(&[
            (5, Kind::Add),
            (3, Kind::Delete { absent: ABSENT }),
            (4, Kind::Set),
        ]);
        let mut out = Vec::new();
        t.overrun(&mut out);
        let lost: Vec<_> = out.iter().map(|r| (r.seq.0, r.outcome.clone())).collect();
        // In send order.
        assert_eq!(
            lost,
            vec![(5, Outcome::Lost), (3, Outcome::Lost), (4, Outcome::Lost)]
        );
        assert!(out.iter().all(|r| r.outcome.errno() == Some(libc::ENOBUFS)));
        let s = t.stats();
        assert_eq!((s.overruns, s.errors), (1, 3));
        assert_eq!(t.pending(), 0);
        // A late answer after the overrun matches nothing.
        assert!(outcomes(&mut t, &ack(4, 0)).is_empty());
        assert_eq!(t.stats().unmatched, 1);
    }

    #[test]
    fn sequence_numbers_wrap_around_skipping_zero_and_pending() {
        let mut t: Tracker<()> = Tracker::starting_at("test", u32::MAX - 1);
        let a = t.next_seq();
        t.sent(a, Kind::Add, "a".into(), ());
        assert_eq!(a, Seq(u32::MAX - 1));
        assert_eq!(t.next_seq(), Seq(u32::MAX));
        // 0 is the kernel's (notifications): skipped.
        let one = t.next_seq();
        assert_eq!(one, Seq(1));
        t.sent(one, Kind::Add, "1".into(), ());
        assert_eq!(t.next_seq(), Seq(2));
        // Once more round: 1 and u32::MAX - 1 are still pending and skipped.
        let mut t2: Tracker<()> = Tracker::starting_at("test", u32::MAX - 1);
        t2.sent(Seq(u32::MAX - 1), Kind::Add, "old".into(), ());
        t2.sent(Seq(1), Kind::Add, "old".into(), ());
        assert_eq!(t2.next_seq(), Seq(u32::MAX));
        assert_eq!(t2.next_seq(), Seq(2));
        // Answers across the wrap still match.
        let mut d = ack(u32::MAX - 1, 0);
        d.extend(ack(1, 0));
        let mut out = Vec::new();
        t2.on_datagram(&d, &mut out);
        assert_eq!(out.len(), 2);
        assert_eq!(t2.pending(), 0);
        // A silent request's number is skipped as well.
        let mut t3: Tracker<()> = Tracker::starting_at("test", u32::MAX);
        t3.sent_silent(Seq(1), Kind::Add, "old".into(), ());
        assert_eq!(t3.next_seq(), Seq(u32::MAX));
        assert_eq!(t3.next_seq(), Seq(2));
    }

    #[test]
    fn garbage_is_counted_and_skipped() {
        let mut t = tracker(&[(1, Kind::Add)]);
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
            t.on_datagram(&junk, &mut out);
            // Every prefix of a good answer.
            t.on_datagram(&good[..(n % good.len())], &mut out);
        }
        assert!(t.stats().malformed > 0);
        // A short error payload is malformed; a DONE is ignored.
        let before = t.stats().malformed;
        let mut b = Vec::new();
        let mut e = Emitter::new(&mut b, NLMSG_ERROR, 0, 1);
        e.fixed(&[1, 2]);
        e.finish().unwrap();
        let mut d = Vec::new();
        Emitter::new(&mut d, NLMSG_DONE, 0, 1).finish().unwrap();
        b.extend(d);
        t.on_datagram(&b, &mut out);
        assert_eq!(t.stats().malformed, before + 1);
        // The real answer still matches (unless a random datagram happened to be one).
        t.on_datagram(&good, &mut out);
        assert_eq!(t.pending(), 0);
    }

    /// A fake kernel's `NLMSG_DONE` for dump `seq`, with `code` (0, or a negative errno).
    pub(crate) fn done(seq: u32, code: i32) -> Vec<u8> {
        let mut b = Vec::new();
        let mut e = Emitter::new(&mut b, NLMSG_DONE, wire::NLM_F_MULTI, seq);
        e.fixed(&code.to_ne_bytes());
        e.finish().unwrap();
        b
    }

    #[test]
    fn a_dump_is_answered_by_its_done_and_its_entries_are_the_owners() {
        let mut t = tracker(&[(1, Kind::Dump), (2, Kind::Dump), (3, Kind::Add)]);
        assert!(t.is_dumping(1) && t.is_dumping(2) && !t.is_dumping(3));
        // Entries (any other type) are not answers; the DONE is, an error code in it fails.
        let mut d = Vec::new();
        Emitter::new(&mut d, 0x20, wire::NLM_F_MULTI, 1)
            .finish()
            .unwrap();
        d.extend(done(1, 0));
        d.extend(done(2, -libc::EINTR));
        d.extend(done(3, 0));
        assert_eq!(
            outcomes(&mut t, &d),
            vec![
                (1, Outcome::Done),
                (
                    2,
                    Outcome::Failed {
                        errno: libc::EINTR,
                        text: None
                    }
                )
            ]
        );
        assert!(!t.is_dumping(1));
        assert_eq!(
            (t.pending(), t.stats().unmatched),
            (1, 0),
            "a DONE for an add"
        );
    }
}
