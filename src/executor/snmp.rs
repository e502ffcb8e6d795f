//! The AgentX subagent's connection to the master agent (snmpd), on the loop: a non-blocking
//! stream to `snmp_socket` (`unix:PATH`, a bare path, or `tcp:HOST:PORT`), the Open, one
//! Register per subtree served, then answers to Get, GetNext and GetBulk from a [`Tree`] built
//! from the live state when a request comes, and Notify PDUs for traps.
//!
//! Invariants:
//! - Nothing blocks: a TCP connect completes on writability; reads drain until `WouldBlock`;
//!   what the socket does not take waits in a buffer bounded by [`MAX_TX`] (over it the
//!   connection is dropped and made again).
//! - The master agent going away (EOF, an error, a Close, bytes that are not AgentX) drops the
//!   connection and arms a retry, one second after the first loss, doubling up to
//!   [`MAX_BACKOFF`]; a session that reached Ready resets the back-off.
//! - Traps raised while not connected are dropped (and counted), as net-snmp's subagent does.
//! - A Unix-socket connect is non-blocking too: it completes at once or fails (a full listen
//!   backlog is a failure, retried like any other).

#![cfg_attr(not(feature = "snmp"), allow(dead_code, unused_imports))]
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::PathBuf;
use std::time::Duration;

use log::{debug, info, warn};
use mio::{Interest, Token};

use crate::reactor::{Core, TimerId};
use crate::snmp::agentx::{self, Decoded, Header, Oid, Pdu, Value, VarBind, error, ty};
use crate::snmp::mib::Tree;
use crate::sys::probe;
use crate::time::Instant;

/// keepalived's default master agent socket.
pub const DEFAULT_SOCKET: &str = "unix:/var/agentx/master";
/// The most bytes waiting to be written.
pub const MAX_TX: usize = 1 << 20;
/// The longest wait between two connection attempts.
pub const MAX_BACKOFF: Duration = Duration::from_secs(30);
const FIRST_BACKOFF: Duration = Duration::from_secs(1);
/// The Open's timeout (seconds the master waits for our answers).
const TIMEOUT: u8 = 5;
/// keepalived's registration priority.
const PRIORITY: u8 = 127;
/// KEEPALIVED-MIB's root, the Open's identifier.
const ID: &[u32] = &[1, 3, 6, 1, 4, 1, 9586, 100, 5];
/// sysUpTime.0 and snmpTrapOID.0.
const SYS_UPTIME: &[u32] = &[1, 3, 6, 1, 2, 1, 1, 3, 0];
const TRAP_OID: &[u32] = &[1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0];

/// The agent's keys: the connection and the retry timer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SnmpKey {
    Conn,
    Retry,
}

/// Where the master agent listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Unix(PathBuf),
    Tcp(String),
}

impl Target {
    /// `unix:PATH`, `/PATH`, `tcp:HOST:PORT`; net-snmp's `udp:` is not a stream and is refused.
    pub fn parse(s: &str) -> Result<Target, String> {
        if let Some(p) = s.strip_prefix("unix:") {
            Ok(Target::Unix(PathBuf::from(p)))
        } else if s.starts_with('/') {
            Ok(Target::Unix(PathBuf::from(s)))
        } else if let Some(a) = s.strip_prefix("tcp:") {
            Ok(Target::Tcp(a.to_string()))
        } else {
            Err(format!(
                "snmp_socket `{s}`: keepalived-rs connects to unix:PATH or tcp:HOST:PORT"
            ))
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// A TCP connect in progress.
    Connecting,
    /// Open sent, its Response awaited.
    Opening,
    /// Registers sent (this many answers awaited).
    Registering(usize),
    Ready,
}

struct Conn {
    fd: OwnedFd,
    token: Token,
    phase: Phase,
    rx: Vec<u8>,
    tx: Vec<u8>,
    session: u32,
    /// The packet id of the Open.
    open_id: u32,
}

/// The counters the agent keeps.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    pub connects: u64,
    pub requests: u64,
    pub traps_sent: u64,
    pub traps_dropped: u64,
    pub bad_pdus: u64,
}

/// A build without the feature `snmp` (the router build): no agent can exist, and the
/// compiler drops everything only an agent reaches (the MIB, the codec's use).
#[cfg(not(feature = "snmp"))]
pub struct Agent(std::convert::Infallible);

#[cfg(not(feature = "snmp"))]
impl Agent {
    pub fn ready(&self) -> bool {
        match self.0 {}
    }
    pub fn same(&self, _: &Target, _: &[Oid]) -> bool {
        match self.0 {}
    }
    pub fn on_timer<K: Copy + From<SnmpKey>>(&mut self, _: &mut Core<K>, _: Instant) {
        match self.0 {}
    }
    pub fn on_io<K: Copy + From<SnmpKey>>(
        &mut self,
        _: &mut Core<K>,
        _: Instant,
        _: &dyn Fn() -> Tree,
    ) {
        match self.0 {}
    }
    pub fn notify<K: Copy + From<SnmpKey>>(
        &mut self,
        _: &mut Core<K>,
        _: Instant,
        _: Oid,
        _: Vec<VarBind>,
    ) {
        match self.0 {}
    }
    pub fn shut<K: Copy + From<SnmpKey>>(self, _: &mut Core<K>) {
        match self.0 {}
    }
}

/// The subagent.
#[cfg(feature = "snmp")]
pub struct Agent {
    target: Target,
    subtrees: Vec<Oid>,
    conn: Option<Conn>,
    retry: Option<TimerId>,
    backoff: Duration,
    packet: u32,
    started: Instant,
    pub stats: Stats,
}

#[cfg(feature = "snmp")]
impl Agent {
    /// An agent for `target` serving `subtrees`; it connects at once (or arms its retry).
    pub fn start<K: Copy + From<SnmpKey>>(
        target: Target,
        subtrees: Vec<Oid>,
        core: &mut Core<K>,
        now: Instant,
    ) -> Agent {
        let mut a = Agent {
            target,
            subtrees,
            conn: None,
            retry: None,
            backoff: FIRST_BACKOFF,
            packet: 0,
            started: now,
            stats: Stats::default(),
        };
        a.connect(core, now);
        a
    }

    /// Whether a session is open and registered.
    pub fn ready(&self) -> bool {
        self.conn.as_ref().is_some_and(|c| c.phase == Phase::Ready)
    }

    /// The target and subtrees this agent was started with.
    pub fn same(&self, target: &Target, subtrees: &[Oid]) -> bool {
        self.target == *target && self.subtrees == subtrees
    }

    fn uptime(&self, now: Instant) -> u32 {
        (now.saturating_duration_since(self.started).as_millis() / 10) as u32
    }

    fn open_fd(&self) -> io::Result<(OwnedFd, bool)> {
        match &self.target {
            Target::Unix(p) => Ok((probe::connect_unix(p)?, false)),
            Target::Tcp(a) => {
                let addr: SocketAddr = a
                    .to_socket_addrs()?
                    .next()
                    .ok_or_else(|| io::Error::other("no address"))?;
                Ok((
                    probe::connect(probe::Kind::Tcp, addr, &probe::Bind::default())?,
                    true,
                ))
            }
        }
    }

    fn connect<K: Copy + From<SnmpKey>>(&mut self, core: &mut Core<K>, now: Instant) {
        let (fd, pending) = match self.open_fd() {
            Ok(x) => x,
            Err(e) => {
                debug!("AgentX: cannot connect to {:?}: {e}", self.target);
                return self.schedule(core, now);
            }
        };
        let token = match core.register_fd(
            &fd,
            Interest::READABLE | Interest::WRITABLE,
            SnmpKey::Conn.into(),
        ) {
            Ok(t) => t,
            Err(e) => {
                warn!("AgentX: {e}");
                return self.schedule(core, now);
            }
        };
        self.stats.connects += 1;
        self.conn = Some(Conn {
            fd,
            token,
            phase: Phase::Connecting,
            rx: Vec::new(),
            tx: Vec::new(),
            session: 0,
            open_id: 0,
        });
        if !pending {
            self.on_connected(now);
            self.flush(core, now);
        }
    }

    fn schedule<K: Copy + From<SnmpKey>>(&mut self, core: &mut Core<K>, now: Instant) {
        if let Some(t) = self.retry.take() {
            core.cancel(t);
        }
        self.retry = Some(core.arm(now + self.backoff, SnmpKey::Retry.into()));
        self.backoff = (self.backoff * 2).min(MAX_BACKOFF);
    }

    fn next_packet(&mut self) -> u32 {
        self.packet = self.packet.wrapping_add(1);
        self.packet
    }

    fn send(&mut self, h: Header, pdu: &Pdu) {
        if let Some(c) = &mut self.conn {
            agentx::encode(&h, pdu, &mut c.tx);
        }
    }

    fn on_connected(&mut self, now: Instant) {
        let packet = self.next_packet();
        let descr = b"keepalived-rs".to_vec();
        self.send(
            Header {
                packet,
                ..Header::default()
            },
            &Pdu::Open {
                timeout: TIMEOUT,
                id: ID.to_vec(),
                descr,
            },
        );
        if let Some(c) = &mut self.conn {
            c.phase = Phase::Opening;
            c.open_id = packet;
        }
        let _ = now;
    }

    /// The retry timer.
    pub fn on_timer<K: Copy + From<SnmpKey>>(&mut self, core: &mut Core<K>, now: Instant) {
        self.retry = None;
        if self.conn.is_none() {
            self.connect(core, now);
        }
    }

    /// The connection is readable or writable: reads and answers with `tree` (built only when
    /// a request needs it).
    pub fn on_io<K: Copy + From<SnmpKey>>(
        &mut self,
        core: &mut Core<K>,
        now: Instant,
        tree: &dyn Fn() -> Tree,
    ) {
        let Some(c) = &mut self.conn else { return };
        if c.phase == Phase::Connecting {
            match probe::take_error(c.fd.as_raw_fd()) {
                Ok(None) => self.on_connected(now),
                Ok(Some(e)) | Err(e) => return self.lose(core, now, &format!("connect: {e}")),
            }
        }
        if let Err(why) = self.read(now, tree) {
            return self.lose(core, now, &why);
        }
        self.flush(core, now);
    }

    fn read(&mut self, now: Instant, tree: &dyn Fn() -> Tree) -> Result<(), String> {
        let mut buf = [0u8; 4096];
        loop {
            let Some(c) = &mut self.conn else {
                return Ok(());
            };
            match probe::recv(&c.fd, &mut buf) {
                Ok(0) => return Err("the master agent closed the connection".into()),
                Ok(n) => c.rx.extend_from_slice(buf.get(..n).unwrap_or_default()),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e.to_string()),
            }
            if c.rx.len() > agentx::HEADER_LEN + agentx::MAX_PAYLOAD {
                break;
            }
        }
        let mut built: Option<Tree> = None;
        loop {
            let Some(c) = &mut self.conn else {
                return Ok(());
            };
            let (h, pdu, n) = match agentx::decode(&c.rx) {
                Decoded::Incomplete(_) => return Ok(()),
                Decoded::Pdu(h, p, n) => (h, p, n),
                Decoded::Bad(h, e, n) => {
                    self.stats.bad_pdus += 1;
                    let Some(h) = h else {
                        return Err(format!("not AgentX: {e}"));
                    };
                    c.rx.drain(..n.min(c.rx.len()));
                    debug!("AgentX: bad PDU type {}: {e}", h.ty);
                    self.respond(now, h, error::PARSE_ERROR, 0, Vec::new());
                    continue;
                }
            };
            c.rx.drain(..n.min(c.rx.len()));
            self.handle(now, h, pdu, &mut built, tree)?;
        }
    }

    fn respond(&mut self, now: Instant, h: Header, err: u16, index: u16, varbinds: Vec<VarBind>) {
        let sys_uptime = self.uptime(now);
        self.send(
            Header {
                ty: ty::RESPONSE,
                flags: 0,
                ..h
            },
            &Pdu::Response {
                sys_uptime,
                error: err,
                index,
                varbinds,
            },
        );
    }

    fn handle(
        &mut self,
        now: Instant,
        h: Header,
        pdu: Pdu,
        built: &mut Option<Tree>,
        tree: &dyn Fn() -> Tree,
    ) -> Result<(), String> {
        let Some(c) = &mut self.conn else {
            return Ok(());
        };
        fn lazy<'a>(b: &'a mut Option<Tree>, f: &dyn Fn() -> Tree) -> &'a Tree {
            b.get_or_insert_with(f)
        }
        match (c.phase, pdu) {
            (Phase::Opening, Pdu::Response { error, .. }) if h.packet == c.open_id => {
                if error != error::NO_ERROR {
                    return Err(format!("the master agent refused the Open: error {error}"));
                }
                c.session = h.session;
                c.phase = Phase::Registering(self.subtrees.len());
                for s in self.subtrees.clone() {
                    let packet = self.next_packet();
                    let session = h.session;
                    self.send(
                        Header {
                            session,
                            packet,
                            ..Header::default()
                        },
                        &Pdu::Register {
                            context: None,
                            timeout: 0,
                            priority: PRIORITY,
                            subtree: s,
                        },
                    );
                }
                self.registered(0);
            }
            (Phase::Registering(_), Pdu::Response { error, .. }) => {
                if error != error::NO_ERROR {
                    warn!("AgentX: a registration was refused: error {error}");
                }
                self.registered(1);
            }
            (_, Pdu::Response { .. }) => {}
            (_, Pdu::Close { reason }) => {
                return Err(format!(
                    "the master agent closed the session (reason {reason})"
                ));
            }
            (_, Pdu::Get { ranges, .. }) => {
                self.stats.requests += 1;
                let vbs = lazy(built, tree).answer_get(&ranges);
                self.respond(now, h, 0, 0, vbs);
            }
            (_, Pdu::GetNext { ranges, .. }) => {
                self.stats.requests += 1;
                let vbs = lazy(built, tree).answer_next(&ranges);
                self.respond(now, h, 0, 0, vbs);
            }
            (
                _,
                Pdu::GetBulk {
                    non_repeaters,
                    max_repetitions,
                    ranges,
                    ..
                },
            ) => {
                self.stats.requests += 1;
                let vbs = lazy(built, tree).answer_bulk(non_repeaters, max_repetitions, &ranges);
                self.respond(now, h, 0, 0, vbs);
            }
            (_, Pdu::Set { ty: t, .. }) => match t {
                ty::TEST_SET => self.respond(now, h, error::NOT_WRITABLE, 1, Vec::new()),
                ty::CLEANUP_SET => {}
                _ => self.respond(now, h, error::NO_ERROR, 0, Vec::new()),
            },
            (_, Pdu::Ping { .. }) => self.respond(now, h, 0, 0, Vec::new()),
            (_, _) => self.respond(now, h, error::PROCESSING_ERROR, 0, Vec::new()),
        }
        Ok(())
    }

    /// `n` more Register answers came.
    fn registered(&mut self, n: usize) {
        let Some(c) = &mut self.conn else { return };
        if let Phase::Registering(left) = c.phase {
            let left = left.saturating_sub(n);
            if left == 0 {
                c.phase = Phase::Ready;
                self.backoff = FIRST_BACKOFF;
                info!(
                    "AgentX: session {} open with the master agent at {:?}",
                    c.session, self.target
                );
            } else {
                c.phase = Phase::Registering(left);
            }
        }
    }

    fn flush<K: Copy + From<SnmpKey>>(&mut self, core: &mut Core<K>, now: Instant) {
        let Some(c) = &mut self.conn else { return };
        while !c.tx.is_empty() {
            match probe::send(&c.fd, &c.tx) {
                Ok(0) => break,
                Ok(n) => {
                    c.tx.drain(..n.min(c.tx.len()));
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return self.lose(core, now, &e.to_string()),
            }
        }
        if c.tx.len() > MAX_TX {
            self.lose(core, now, "the master agent does not read");
        }
    }

    fn lose<K: Copy + From<SnmpKey>>(&mut self, core: &mut Core<K>, now: Instant, why: &str) {
        if let Some(c) = self.conn.take() {
            let _ = core.deregister_fd(&c.fd, c.token);
            if c.phase == Phase::Ready {
                warn!("AgentX: lost the master agent: {why}; reconnecting");
            } else {
                debug!("AgentX: {why}");
            }
        }
        self.schedule(core, now);
    }

    /// Sends a notification `trap` with `objects` (sysUpTime.0 and snmpTrapOID.0 first), or
    /// drops it when no session is ready.
    pub fn notify<K: Copy + From<SnmpKey>>(
        &mut self,
        core: &mut Core<K>,
        now: Instant,
        trap: Oid,
        objects: Vec<VarBind>,
    ) {
        if !self.ready() {
            self.stats.traps_dropped += 1;
            return;
        }
        let mut varbinds = vec![
            VarBind {
                name: SYS_UPTIME.to_vec(),
                value: Value::TimeTicks(self.uptime(now)),
            },
            VarBind {
                name: TRAP_OID.to_vec(),
                value: Value::Oid(trap),
            },
        ];
        varbinds.extend(objects);
        let session = self.conn.as_ref().map_or(0, |c| c.session);
        let packet = self.next_packet();
        self.send(
            Header {
                session,
                packet,
                ..Header::default()
            },
            &Pdu::Notify {
                context: None,
                varbinds,
            },
        );
        self.stats.traps_sent += 1;
        self.flush(core, now);
    }

    /// Closes the session (Close, reason shutdown) and the connection.
    pub fn shut<K: Copy + From<SnmpKey>>(mut self, core: &mut Core<K>) {
        if let Some(t) = self.retry.take() {
            core.cancel(t);
        }
        if self.ready() {
            let session = self.conn.as_ref().map_or(0, |c| c.session);
            let packet = self.next_packet();
            self.send(
                Header {
                    session,
                    packet,
                    ..Header::default()
                },
                &Pdu::Close {
                    reason: agentx::reason::SHUTDOWN,
                },
            );
            if let Some(c) = &self.conn {
                let _ = probe::send(&c.fd, &c.tx);
            }
        }
        if let Some(c) = self.conn.take() {
            let _ = core.deregister_fd(&c.fd, c.token);
        }
    }
}

/// vrrpTrapNewMaster.
pub const TRAP_NEW_MASTER: &[u32] = &[1, 3, 6, 1, 2, 1, 68, 0, 1];

fn v4(a: Option<std::net::IpAddr>) -> [u8; 4] {
    match a {
        Some(std::net::IpAddr::V4(a)) => a.octets(),
        _ => [0; 4],
    }
}

/// The VRRP-MIB rows of `views`: the VRRPv2 IPv4 instances, as keepalived's
/// `enable_snmp_rfcv2` shows them (the interface's MAC, the master's address only while
/// BACKUP).
pub fn vrrp_rows(views: &[crate::executor::vrrp::dump::View]) -> Vec<crate::snmp::mib::VrrpRow> {
    use crate::vrrp::{Auth, State};
    let mut rows: Vec<crate::snmp::mib::VrrpRow> = views
        .iter()
        .filter(|v| v.params.version == 2 && v.src.is_ipv4())
        .filter_map(|v| {
            let ifindex = crate::sys::if_nametoindex(v.interface)?;
            let c = v.counters;
            let n = |x: u64| x as u32;
            Some(crate::snmp::mib::VrrpRow {
                ifindex,
                vrid: v.params.vrid,
                mac: crate::sys::raw::if_mac(v.interface).unwrap_or_default(),
                state: match v.state {
                    State::Backup => 2,
                    State::Master => 3,
                    State::Init | State::Fault => 1,
                },
                priority: v.priority,
                vips: v
                    .vips
                    .iter()
                    .filter_map(|a| match a.addr.addr {
                        std::net::IpAddr::V4(a) => Some(a.octets()),
                        std::net::IpAddr::V6(_) => None,
                    })
                    .collect(),
                master: if v.state == State::Backup {
                    v4(v.master_addr)
                } else {
                    [0; 4]
                },
                primary: v4(Some(v.src)),
                auth: match v.params.auth {
                    Auth::None => 1,
                    Auth::Pass(_) => 2,
                    Auth::Ah(_) => 3,
                },
                adv_int: v.params.advert_int.as_secs() as i32,
                preempt: !v.params.nopreempt,
                up_ticks: 0,
                stats: [
                    n(c.became_master),
                    n(c.adverts_received),
                    n(c.interval_errors),
                    n(c.auth_failures_total()),
                    n(c.ttl_errors + c.peer_ttl_errors),
                    n(c.priority_zero_received),
                    n(c.priority_zero_sent),
                    n(c.invalid_type),
                    n(c.address_list_errors + c.destination_errors),
                    n(c.invalid_auth_type),
                    n(c.auth_type_mismatch),
                    n(c.length_errors),
                ],
                scalar_errors: [n(c.checksum_errors), n(c.version_errors), n(c.vrid_errors)],
            })
        })
        .collect();
    rows.sort_unstable_by_key(|r| (r.ifindex, r.vrid));
    rows.dedup_by_key(|r| (r.ifindex, r.vrid));
    rows
}

/// vrrpTrapNewMaster's object for `row`: vrrpOperMasterIpAddr (keepalived sends its own
/// primary address).
pub fn new_master_objects(row: &crate::snmp::mib::VrrpRow) -> Vec<VarBind> {
    let mut name = crate::snmp::mib::VRRP_MIB.to_vec();
    name.extend_from_slice(&[1, 3, 1, 7, row.ifindex, u32::from(row.vrid)]);
    vec![VarBind {
        name,
        value: Value::IpAddress(row.primary),
    }]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets() {
        assert_eq!(
            Target::parse(DEFAULT_SOCKET),
            Ok(Target::Unix("/var/agentx/master".into()))
        );
        assert_eq!(
            Target::parse("/run/agentx"),
            Ok(Target::Unix("/run/agentx".into()))
        );
        assert_eq!(
            Target::parse("tcp:localhost:705"),
            Ok(Target::Tcp("localhost:705".into()))
        );
        assert!(Target::parse("udp:1.2.3.4:705").is_err());
        assert!(Target::parse("master").is_err());
    }

    #[test]
    fn unix_connect_fails_without_waiting() {
        let dir = std::env::temp_dir().join(format!("krs-agentx-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let path = dir.join("master");
        assert!(probe::connect_unix(&path).is_err(), "nobody listens");
        let listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
        let fd = probe::connect_unix(&path).unwrap();
        let (peer, _) = listener.accept().unwrap();
        assert_eq!(probe::send(&fd, b"x").unwrap(), 1);
        drop(peer);
        let long = dir.join("x".repeat(200));
        assert!(probe::connect_unix(&long).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
