//! E-mail alerts (keepalived's `smtp_alert`), pure: the SMTP client's session as bytes in,
//! bytes out ([`smtp`]), the alerts' words and the message around them ([`message`]), and the
//! bounded queue of mails waiting for the one connection ([`Queue`]). The executor
//! ([`crate::executor::mail`]) owns the socket and the deadlines.
//!
//! # Invariants
//! - At most [`QUEUE_LEN`] mails wait; one more is dropped and counted, never waited for: a
//!   slow or dead mail server costs memory bounded by the queue, never time in the loop.
//! - One session at a time; every session ends (sent, refused, closed, or at its deadline),
//!   and each end is counted.

pub mod message;
pub mod smtp;

use std::collections::VecDeque;

/// How many mails may wait for the mail server (keepalived has no bound: it opens one
/// connection per alert at once).
pub const QUEUE_LEN: usize = 64;

/// What became of the alerts, since the start or the last clearing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    /// Mails put in the queue.
    pub queued: u64,
    /// Mails the server took.
    pub sent: u64,
    /// Sessions that ended without the server taking the mail (refused, closed, no
    /// connection, deadline).
    pub failed: u64,
    /// Mails dropped because the queue was full.
    pub dropped: u64,
}

/// The mails waiting, oldest first, at most `cap`.
#[derive(Debug, Clone)]
pub struct Queue<T> {
    items: VecDeque<T>,
    cap: usize,
    pub counters: Counters,
}

impl<T> Queue<T> {
    pub fn new(cap: usize) -> Queue<T> {
        Queue {
            items: VecDeque::new(),
            cap,
            counters: Counters::default(),
        }
    }

    /// Queues `item`; `false` (and counted) when the queue is full.
    pub fn push(&mut self, item: T) -> bool {
        if self.items.len() >= self.cap {
            self.counters.dropped += 1;
            return false;
        }
        self.counters.queued += 1;
        self.items.push_back(item);
        true
    }

    /// The oldest mail, to send now.
    pub fn pop(&mut self) -> Option<T> {
        self.items.pop_front()
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// A session ended: sent or not.
    pub fn ended(&mut self, sent: bool) {
        if sent {
            self.counters.sent += 1;
        } else {
            self.counters.failed += 1;
        }
    }
}

/// The address `/etc/hosts` (its text) gives host `name` (names compare without case; the
/// first line that names it wins).
pub fn hosts_entry(hosts: &str, name: &str) -> Option<std::net::IpAddr> {
    hosts.lines().find_map(|line| {
        let mut words = line.split('#').next()?.split_whitespace();
        let ip = words.next()?.parse().ok()?;
        words.any(|w| w.eq_ignore_ascii_case(name)).then_some(ip)
    })
}

#[cfg(test)]
mod tests;
