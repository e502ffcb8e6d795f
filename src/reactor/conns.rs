//! The connections a small server on the loop answers (the `--status` socket, the metrics
//! listener): each one's fd registered with the loop and a deadline timer armed for it.
//!
//! # Invariants
//! - A connection in the list has its fd registered under its token and one live timer for its
//!   deadline; [`Conns::close`] deregisters the one and cancels the other.
//! - The list is small (the servers cap it), so lookups are linear.

use std::io;
use std::os::fd::AsRawFd;

use mio::{Interest, Token};

use super::{Core, TimerId};
use crate::time::Instant;

/// One connection and what the server keeps for it (`state`).
pub struct Conn<S, T> {
    pub stream: S,
    pub token: Token,
    pub deadline: Instant,
    timer: TimerId,
    pub state: T,
}

/// The connections; `client_key` owns their fds, `timer_key` their deadlines.
pub struct Conns<S, T, K> {
    list: Vec<Conn<S, T>>,
    client_key: K,
    timer_key: K,
}

impl<S: AsRawFd, T, K: Copy> Conns<S, T, K> {
    pub fn new(client_key: K, timer_key: K) -> Conns<S, T, K> {
        Conns {
            list: Vec::new(),
            client_key,
            timer_key,
        }
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Registers `stream` for `interest`, arms its deadline and adds it: its index.
    pub fn add(
        &mut self,
        core: &mut Core<K>,
        stream: S,
        interest: Interest,
        deadline: Instant,
        state: T,
    ) -> io::Result<usize> {
        let token = core.register_fd(&stream, interest, self.client_key)?;
        let timer = core.arm(deadline, self.timer_key);
        self.list.push(Conn {
            stream,
            token,
            deadline,
            timer,
            state,
        });
        Ok(self.list.len() - 1)
    }

    /// The index of the connection with `token`.
    pub fn find(&self, token: Token) -> Option<usize> {
        self.list.iter().position(|c| c.token == token)
    }

    /// The index of the first connection that `pick` chooses.
    pub fn position(&self, pick: impl Fn(&Conn<S, T>) -> bool) -> Option<usize> {
        self.list.iter().position(pick)
    }

    /// The index of a connection whose deadline is `now` or earlier.
    pub fn late(&self, now: Instant) -> Option<usize> {
        self.position(|c| c.deadline <= now)
    }

    pub fn get(&self, i: usize) -> &Conn<S, T> {
        &self.list[i]
    }

    pub fn get_mut(&mut self, i: usize) -> &mut Conn<S, T> {
        &mut self.list[i]
    }

    /// Removes connection `i`: its timer cancelled, its fd deregistered (and closed on drop).
    pub fn close(&mut self, core: &mut Core<K>, i: usize) {
        let c = self.list.swap_remove(i);
        core.cancel(c.timer);
        let _ = core.deregister_fd(&c.stream.as_raw_fd(), c.token);
    }

    /// Closes every connection.
    pub fn close_all(&mut self, core: &mut Core<K>) {
        while !self.list.is_empty() {
            self.close(core, 0);
        }
    }
}
