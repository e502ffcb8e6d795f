//! Prometheus metrics over HTTP (keepalived-rs only; `metrics_listen ADDR PORT` in
//! `global_defs`): a TCP listener on the daemon's loop that answers `GET /metrics` with the text
//! exposition format 0.0.4 ([`expo`]), built from the same views as the dumps and `--status`
//! ([`families`]) and the process figures ([`process`]).
//!
//! The listener never blocks the loop and holds bounded memory whatever clients do:
//! - at most [`MAX_CLIENTS`] connections at a time; at the cap a connection already answered
//!   (draining, below) is closed to make room, else the new one is answered 503 at once (one
//!   small write, never waited for) and closed, and counted;
//! - a request head is read up to [`http::MAX_HEAD`] bytes, then answered 431;
//! - every connection has [`DEADLINE`] from accept to its last byte written: a client that
//!   sends nothing, sends slowly or does not read is dropped then, and counted;
//! - the answer is built once, whole, and written as the socket takes it (writable readiness);
//!   after it, the write side is shut and what the client still sends is read and dropped until
//!   it closes (so that unread input does not turn the close into a reset that loses the
//!   answer), up to [`DRAIN_MAX`] bytes.
//!
//! Call order: [`MetricsServer::on_listener`] on the listener's readiness,
//! [`MetricsServer::on_client`] on a client's, [`MetricsServer::on_timer`] on the deadline
//! timer; each builds the metrics text only when a `GET /metrics` head is complete.
//!
//! The listener is the default feature `metrics`; a build without it (the router build,
//! `--no-default-features`) has an uninhabited [`MetricsServer`] whose `open` says so, and the
//! compiler drops everything only a server reaches (about 25 KB of the aarch64 router build).
#![cfg_attr(not(feature = "metrics"), allow(dead_code, unused_imports))]

pub mod expo;
pub mod families;
pub mod http;
pub mod process;

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::time::Duration;

use log::{debug, warn};
use mio::{Interest, Token};

use crate::reactor::Core;
use crate::reactor::conns::Conns;
use crate::time::Instant;
use http::Answer;

/// Connections served at the same time.
pub const MAX_CLIENTS: usize = 8;
/// From accept to the last byte of the answer.
pub const DEADLINE: Duration = Duration::from_secs(5);
/// What is read and dropped after the answer before the connection is closed anyway.
pub const DRAIN_MAX: usize = 64 << 10;
/// The largest answer.
pub const MAX_REPLY: usize = 16 << 20;

/// What the listener counts (served in its own metrics).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    /// Answers by status: 200, 400, 404, 405, 431, 505.
    pub answers: [u64; 6],
    /// Connections over [`MAX_CLIENTS`] (answered 503 and closed).
    pub busy: u64,
    /// Connections dropped at [`DEADLINE`] before their answer was written.
    pub deadline: u64,
    /// Connections closed before their request was complete, or that failed.
    pub aborted: u64,
}

/// The status codes of [`Counters::answers`], in order.
pub const CODES: [Answer; 6] = [
    Answer::Metrics,
    Answer::BadRequest,
    Answer::NotFound,
    Answer::MethodNotAllowed,
    Answer::TooLarge,
    Answer::BadVersion,
];

enum Phase {
    /// The request head so far.
    Reading(Vec<u8>),
    /// The answer and how much of it went.
    Writing(Vec<u8>, usize),
    /// Answered, write side shut: dropping input until the client closes (bytes dropped).
    Draining(usize),
}

/// What became of a client after an event.
enum Next {
    Keep,
    Close,
}

/// A build without the feature `metrics`: no server can exist.
#[cfg(not(feature = "metrics"))]
pub struct MetricsServer<K>(std::convert::Infallible, std::marker::PhantomData<K>);

#[cfg(not(feature = "metrics"))]
impl<K: Copy> MetricsServer<K> {
    pub fn open(_: SocketAddr, _: &mut Core<K>, _: K, _: K, _: K) -> io::Result<Self> {
        Err(io::Error::other(
            "this build has no metrics listener (cargo feature `metrics`)",
        ))
    }
    pub fn addr(&self) -> SocketAddr {
        match self.0 {}
    }
    pub fn on_listener(&mut self, _: &mut Core<K>, _: Instant, _: &dyn Fn(&Counters) -> String) {
        match self.0 {}
    }
    pub fn on_client(&mut self, _: &mut Core<K>, _: Token, _: &dyn Fn(&Counters) -> String) {
        match self.0 {}
    }
    pub fn on_timer(&mut self, _: &mut Core<K>, _: Instant) {
        match self.0 {}
    }
    pub fn shut(self, _: &mut Core<K>) {
        match self.0 {}
    }
}

/// The listener and its connections. `K` is the loop's owner key: `client` for the
/// connections' fds, `timer` for their deadlines.
#[cfg(feature = "metrics")]
pub struct MetricsServer<K> {
    listener: TcpListener,
    listen_token: Token,
    addr: SocketAddr,
    clients: Conns<TcpStream, Phase, K>,
    pub counters: Counters,
}

#[cfg(feature = "metrics")]
impl<K: Copy> MetricsServer<K> {
    /// Binds `addr` and registers the listener with `listen_key`.
    pub fn open(
        addr: SocketAddr,
        core: &mut Core<K>,
        listen_key: K,
        client_key: K,
        timer_key: K,
    ) -> io::Result<MetricsServer<K>> {
        let listener = TcpListener::bind(addr)?;
        listener.set_nonblocking(true)?;
        let listen_token = core.register_fd(&listener, Interest::READABLE, listen_key)?;
        Ok(MetricsServer {
            listener,
            listen_token,
            addr,
            clients: Conns::new(client_key, timer_key),
            counters: Counters::default(),
        })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Accepts every waiting connection: served while there are slots, else refused.
    pub fn on_listener(
        &mut self,
        core: &mut Core<K>,
        now: Instant,
        reply: &dyn Fn(&Counters) -> String,
    ) {
        loop {
            let mut stream = match self.listener.accept() {
                Ok((s, _)) => s,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    // EMFILE and the like: the connection stays in the backlog.
                    warn!("metrics_listen {}: accept: {e}", self.addr);
                    return;
                }
            };
            if stream.set_nonblocking(true).is_err() {
                self.counters.aborted += 1;
                continue;
            }
            // At the cap a connection already answered (draining) makes room first.
            if self.clients.len() >= MAX_CLIENTS
                && let Some(i) = self
                    .clients
                    .position(|c| matches!(c.state, Phase::Draining(_)))
            {
                self.clients.close(core, i);
            }
            if self.clients.len() >= MAX_CLIENTS {
                self.counters.busy += 1;
                let _ = stream.write(
                    b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                );
                continue;
            }
            match self.clients.add(
                core,
                stream,
                Interest::READABLE | Interest::WRITABLE,
                now + DEADLINE,
                Phase::Reading(Vec::new()),
            ) {
                Ok(i) => {
                    if let Next::Close = self.step(i, reply) {
                        self.clients.close(core, i);
                    }
                }
                Err(e) => {
                    debug!("metrics client: {e}");
                    self.counters.aborted += 1;
                }
            }
        }
    }

    /// A connection is readable or writable (or closed).
    pub fn on_client(
        &mut self,
        core: &mut Core<K>,
        token: Token,
        reply: &dyn Fn(&Counters) -> String,
    ) {
        let Some(i) = self.clients.find(token) else {
            return;
        };
        if let Next::Close = self.step(i, reply) {
            self.clients.close(core, i);
        }
    }

    /// Moves client `i` as far as its socket lets it.
    fn step(&mut self, i: usize, reply: &dyn Fn(&Counters) -> String) -> Next {
        let counters = &mut self.counters;
        let c = self.clients.get_mut(i);
        loop {
            match &mut c.state {
                Phase::Reading(buf) => {
                    let mut chunk = [0u8; 1024];
                    let room = (http::MAX_HEAD + 1).saturating_sub(buf.len()).min(1024);
                    match c.stream.read(&mut chunk[..room]) {
                        Ok(0) => {
                            counters.aborted += 1;
                            return Next::Close;
                        }
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Next::Keep,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(_) => {
                            counters.aborted += 1;
                            return Next::Close;
                        }
                    }
                    let Some(answer) = http::parse(buf) else {
                        continue;
                    };
                    if let Some(k) = CODES.iter().position(|&a| a == answer) {
                        counters.answers[k] += 1;
                    }
                    let mut text = String::new();
                    if answer == Answer::Metrics {
                        text = reply(counters);
                        if text.len() > MAX_REPLY {
                            warn!("metrics: {} bytes, over {MAX_REPLY}: not sent", text.len());
                            return Next::Close;
                        }
                    } else {
                        debug!("metrics client: answered {}", answer.status().0);
                    }
                    c.state = Phase::Writing(http::response(answer, &text), 0);
                }
                Phase::Writing(out, sent) => {
                    while *sent < out.len() {
                        match c.stream.write(&out[*sent..]) {
                            Ok(0) => return Next::Close,
                            Ok(n) => *sent += n,
                            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Next::Keep,
                            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                            Err(_) => {
                                counters.aborted += 1;
                                return Next::Close;
                            }
                        }
                    }
                    let _ = c.stream.shutdown(Shutdown::Write);
                    c.state = Phase::Draining(0);
                }
                Phase::Draining(dropped) => {
                    let mut chunk = [0u8; 4096];
                    match c.stream.read(&mut chunk) {
                        Ok(0) => return Next::Close,
                        Ok(n) => {
                            *dropped += n;
                            if *dropped > DRAIN_MAX {
                                return Next::Close;
                            }
                        }
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Next::Keep,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(_) => return Next::Close,
                    }
                }
            }
        }
    }

    /// A deadline passed: drops the connections that are late.
    pub fn on_timer(&mut self, core: &mut Core<K>, now: Instant) {
        while let Some(i) = self.clients.late(now) {
            if !matches!(self.clients.get(i).state, Phase::Draining(_)) {
                self.counters.deadline += 1;
                debug!("metrics client not done within {DEADLINE:?}: dropped");
            }
            self.clients.close(core, i);
        }
    }

    /// Closes every connection and the listener.
    pub fn shut(mut self, core: &mut Core<K>) {
        self.clients.close_all(core);
        let _ = core.deregister_fd(&self.listener.as_raw_fd(), self.listen_token);
    }
}
