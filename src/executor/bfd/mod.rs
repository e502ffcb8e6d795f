//! The executor of the BFD sessions (`bfd_instance`): sockets, timers, session lookup, events.
//!
//! # Shape
//! - One receiving UDP socket per (family, kind) in use: port 3784 for single-hop sessions
//!   (RFC 5881), 4784 for multihop ones (RFC 5883), made when the first session needs it.
//! - One sending socket per session, bound to its `source_ip` (or the wildcard) and a source port
//!   in 49152..=65535, sending with the session's TTL or hop limit.
//! - One timer per session in the reactor, re-armed after every mutation from the machine's
//!   `poll_timeout`; the reactor's timerfd fires it to the microsecond, so a Down is declared
//!   within the scheduling latency of the detection time.
//!
//! # Receiving (RFC 5880 6.8.6, RFC 5881 5, RFC 5883)
//! A datagram passes, in order: the checklist of [`wire::bfd::check`] (each reason a counter);
//! the lookup of RFC 5880 6.3 (Your Discriminator when non-zero, else source address, local
//! address and kind), which must also agree on the neighbour and the kind; the GTSM check
//! (received TTL + `max_hops` >= `ttl`, off when `max_hops` is 255 or -1). Then the session's
//! machine gets it. Every datagram that fails is counted by reason ([`Counters`]); those the
//! kernel dropped before we read them (a full buffer) are read from the sockets' own counters
//! when the statistics are asked for ([`BfdExecutor::counters`]).
//!
//! # Events
//! A session going Up, or leaving Up, is a [`Change`] the daemon takes with [`BfdExecutor::take_changes`]
//! and puts on the dispatcher's event queue for the VRRP side (`track_bfd`) and, with the
//! checkers, `BFD_CHECK`, as keepalived's BFD process writes to its event pipes; the queue is
//! drained in the same wake (`crate::daemon::subsystem`).
//!
//! # Contract (the reactor's, see [`crate::reactor`])
//! Every entry point gives one input to one session and drains its outputs before it returns.

pub mod dump;

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, SocketAddr, SocketAddrV6};
use std::os::fd::AsRawFd;
use std::time::SystemTime;

use log::{debug, info, warn};

use crate::bfd::{Output, Params, Session, State};
use crate::config::Config;
use crate::config::bfd::BfdInstance;
use crate::reactor::Core;
use crate::reactor::armed::{Armed, SlotTimers};
use crate::reactor::reload::{self, Step};
use crate::reactor::slots::{SlotId, Slots};
use crate::rng::Rng;
use crate::sys::KernelDrops;
use crate::sys::udp::{SOURCE_PORTS, UdpSocket};
use crate::time::Instant;
use crate::wire::bfd::{self as wb, DropReason};

/// What a reactor token or timer of the BFD side belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BfdKey {
    /// Receiving socket `n`.
    Listener(u32),
    /// The timer of the session in that slot.
    Timer(SlotId),
}

/// A session went Up or left Up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub name: String,
    pub up: bool,
    /// The instance sends events to VRRP (`vrrp`, or neither keyword).
    pub vrrp: bool,
    /// The instance sends events to the checkers (`checker`, or neither keyword).
    pub checker: bool,
}

/// Counters of datagrams that never reached a session, for the stats dump.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    pub rx: u64,
    /// By [`DropReason`], in the order of [`DropReason::ALL`].
    pub dropped: [u64; 8],
    /// No session matches (RFC 5880 6.8.6: discarded).
    pub no_session: u64,
    /// The TTL or hop limit was below `ttl - max_hops`, or not reported.
    pub ttl: u64,
    /// Longer than any control packet we accept.
    pub truncated: u64,
    /// Sends that failed.
    pub tx_errors: u64,
    /// Datagrams the kernel dropped on the receiving sockets before we read them (a full
    /// buffer): the sockets' drop counters, read by [`BfdExecutor::counters`].
    pub kernel_drops: u64,
}

/// One configured BFD peer at run time: its session machine and its IO.
pub struct Peer {
    cfg: BfdInstance,
    machine: Session,
    /// The sending socket; `None` when it could not be made (logged, retried on reload).
    tx: Option<UdpSocket>,
    peer: SocketAddr,
    armed: Armed,
    /// When the session entered its state (wall clock, for the JSON state).
    since: SystemTime,
}

struct Listener {
    v6: bool,
    multihop: bool,
    sock: UdpSocket,
}

/// A read-only view of one session, for dumps and `--status`.
#[derive(Debug, Clone, Copy)]
pub struct View<'a> {
    pub cfg: &'a BfdInstance,
    pub session: &'a Session,
    pub local: Option<SocketAddr>,
    /// When the session entered its state.
    pub since: SystemTime,
}

/// The BFD sessions of the daemon; see the module doc.
pub struct BfdExecutor {
    /// The sessions; a reload reuses the slots of the ones it ends (a released slot holds the
    /// ended session as a tombstone until then), and timers name an occupant by [`SlotId`].
    slots: Slots<Peer>,
    listeners: Vec<Listener>,
    by_discr: HashMap<u32, usize>,
    rng: Rng,
    changes: Vec<Change>,
    counters: Counters,
    /// The listeners' kernel drops since the counters were last cleared.
    drops: KernelDrops,
    stopping: bool,
    /// The receive batch, kept for its capacity.
    batch: Vec<crate::sys::udp::Received>,
}

/// A seed from the kernel's random pool (discriminators and jitter need not be secret, only
/// unlikely to repeat across restarts).
fn seed() -> u64 {
    crate::sys::random_u64()
}

fn params_of(cfg: &BfdInstance, local_discr: u32) -> Params {
    Params {
        name: cfg.name.clone(),
        local_discr,
        min_tx: cfg.min_tx,
        min_rx: cfg.min_rx,
        idle_tx: cfg.idle_tx,
        detect_mult: cfg.multiplier,
        passive: cfg.passive,
    }
}

/// The parts of an instance that need a new socket (and session) when they change.
fn same_endpoints(a: &BfdInstance, b: &BfdInstance) -> bool {
    (a.neighbor, a.source, a.multihop, a.send_ttl())
        == (b.neighbor, b.source, b.multihop, b.send_ttl())
}

impl BfdExecutor {
    /// Starts the sessions of `cfg` (none when there are no `bfd_instance` blocks).
    pub fn start<K: From<BfdKey> + Copy>(
        cfg: &Config,
        core: &mut Core<K>,
        now: Instant,
    ) -> BfdExecutor {
        let mut d = BfdExecutor {
            slots: Slots::new(),
            listeners: Vec::new(),
            by_discr: HashMap::new(),
            rng: Rng::new(seed()),
            changes: Vec::new(),
            counters: Counters::default(),
            drops: KernelDrops::default(),
            stopping: false,
            batch: Vec::with_capacity(8),
        };
        for inst in &cfg.bfd.instances {
            d.add(inst.clone(), core, now);
        }
        d
    }

    /// Number of running sessions.
    pub fn len(&self) -> usize {
        self.slots.live()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether session `name` is Up (for `BFD_CHECK` and tests).
    pub fn is_up(&self, name: &str) -> Option<bool> {
        self.slots
            .iter_live()
            .find(|(_, s)| s.cfg.name == name)
            .map(|(_, s)| s.machine.state() == State::Up)
    }

    /// Sessions that went Up or left Up since the last call.
    pub fn take_changes(&mut self) -> Vec<Change> {
        std::mem::take(&mut self.changes)
    }

    /// The counters, with the kernel's drops on the receiving sockets read now.
    pub fn counters(&self) -> Counters {
        Counters {
            kernel_drops: self.drops.since_reset(self.listener_fds()),
            ..self.counters
        }
    }

    pub fn clear_counters(&mut self) {
        self.counters = Counters::default();
        self.drops = KernelDrops::from_now(self.listener_fds());
    }

    /// The receiving sockets (they live as long as the daemon).
    fn listener_fds(&self) -> impl Iterator<Item = std::os::fd::RawFd> + '_ {
        self.listeners.iter().map(|l| l.sock.as_raw_fd())
    }

    pub fn views(&self) -> Vec<View<'_>> {
        self.slots
            .iter_live()
            .map(|(_, s)| View {
                cfg: &s.cfg,
                session: &s.machine,
                local: s.tx.as_ref().map(UdpSocket::local),
                since: s.since,
            })
            .collect()
    }

    fn new_discr(&mut self) -> u32 {
        loop {
            let d = self.rng.next_u64() as u32;
            if d != 0 && !self.by_discr.contains_key(&d) {
                return d;
            }
        }
    }

    fn ensure_listener<K: From<BfdKey> + Copy>(
        &mut self,
        core: &mut Core<K>,
        v6: bool,
        multihop: bool,
    ) {
        if self
            .listeners
            .iter()
            .any(|l| l.v6 == v6 && l.multihop == multihop)
        {
            return;
        }
        let port = if multihop { 4784 } else { 3784 };
        let family = if v6 { "IPv6" } else { "IPv4" };
        let sock = match UdpSocket::listen(v6, port) {
            Ok(s) => s,
            Err(e) => {
                warn!("BFD: cannot listen on {family} UDP port {port}: {e}");
                return;
            }
        };
        let n = self.listeners.len() as u32;
        if let Err(e) =
            core.register_fd(&sock, mio::Interest::READABLE, K::from(BfdKey::Listener(n)))
        {
            warn!("BFD: cannot watch {family} UDP port {port}: {e}");
            return;
        }
        debug!("BFD: listening on {family} UDP port {port}");
        self.listeners.push(Listener { v6, multihop, sock });
    }

    fn sender(&mut self, cfg: &BfdInstance, scope: u32) -> Option<UdpSocket> {
        let span = u64::from(SOURCE_PORTS.end() - SOURCE_PORTS.start()) + 1;
        let rng = &mut self.rng;
        let v6 = cfg.neighbor.is_ipv6();
        match UdpSocket::sender(v6, cfg.source, scope, cfg.send_ttl(), || {
            SOURCE_PORTS.start() + rng.below(span) as u16
        }) {
            Ok(s) => Some(s),
            Err(e) => {
                warn!(
                    "BFD_Instance({}): cannot open a socket from {}: {e}",
                    cfg.name,
                    cfg.source
                        .map_or_else(|| "any address".to_string(), |a| a.to_string())
                );
                None
            }
        }
    }

    /// Starts a session for `cfg`; returns its slot.
    fn add<K: From<BfdKey> + Copy>(
        &mut self,
        cfg: BfdInstance,
        core: &mut Core<K>,
        now: Instant,
    ) -> usize {
        self.ensure_listener(core, cfg.neighbor.is_ipv6(), cfg.multihop);
        let scope = link_scope(&cfg);
        let tx = self.sender(&cfg, scope);
        let discr = self.new_discr();
        let rng = Rng::new(self.rng.next_u64());
        let machine = Session::new(params_of(&cfg, discr), now, rng);
        let peer = match cfg.neighbor {
            IpAddr::V6(a) => SocketAddr::V6(SocketAddrV6::new(a, cfg.port(), 0, scope)),
            IpAddr::V4(_) => SocketAddr::new(cfg.neighbor, cfg.port()),
        };
        info!(
            "BFD_Instance({}): session to {peer}{} (discriminator {discr:#010x})",
            cfg.name,
            if cfg.multihop { " (multihop)" } else { "" }
        );
        let slot = Peer {
            cfg,
            machine,
            tx,
            peer,
            armed: Armed::default(),
            since: SystemTime::now(),
        };
        // A released slot is taken again (its timer is cancelled, its discriminator gone), so
        // reloads never grow the table.
        let i = self.slots.insert(slot);
        self.by_discr.insert(discr, i);
        self.drain(core, i);
        i
    }

    /// A reload: unchanged sessions are untouched; new intervals or multiplier go through a
    /// Poll Sequence (RFC 5880 6.8.3), new `idle_tx` and `passive` apply in place; other changes, and removed instances, end the session
    /// with AdminDown (RFC 5880 6.8.16), and a changed instance starts anew.
    pub fn reload<K: From<BfdKey> + Copy>(
        &mut self,
        cfg: &Config,
        core: &mut Core<K>,
        now: Instant,
    ) {
        let new = &cfg.bfd.instances;
        let plan = reload::plan(
            self.slots
                .iter_live()
                .map(|(i, s)| (i, s.cfg.name.as_str())),
            new.iter().map(|inst| inst.name.as_str()),
            // A session without a socket (its address or interface was missing) starts anew.
            |i, n| same_endpoints(&self.slots[i].cfg, &new[n]) && self.slots[i].tx.is_some(),
        );
        for step in plan.steps {
            match step {
                Step::Keep { old: i, new: n } => {
                    if self.update(now, i, &new[n]) {
                        self.drain(core, i);
                    }
                }
                Step::Restart { old: i, new: n } => {
                    info!(
                        "BFD_Instance({}): addresses changed (or no socket yet), restarting",
                        new[n].name
                    );
                    self.retire(core, now, i);
                    self.add(new[n].clone(), core, now);
                }
                Step::Add { new: n } => {
                    self.add(new[n].clone(), core, now);
                }
            }
        }
        for i in plan.removed {
            info!("BFD_Instance({}): removed", self.slots[i].cfg.name);
            self.retire(core, now, i);
        }
    }

    /// A kept session gets its instance's new parameters without a restart: new intervals or
    /// multiplier start a Poll Sequence; a new `idle_tx` or `passive` applies at once (they
    /// matter only while the session is not Up). Returns whether anything changed (then the
    /// caller drains the session).
    fn update(&mut self, now: Instant, i: usize, inst: &BfdInstance) -> bool {
        let slot = &mut self.slots[i];
        if slot.cfg == *inst {
            return false;
        }
        slot.machine
            .set_params(now, inst.min_tx, inst.min_rx, inst.multiplier);
        if (slot.cfg.idle_tx, slot.cfg.passive) != (inst.idle_tx, inst.passive) {
            info!(
                "BFD_Instance({}): idle_tx {} ms, {} (session kept)",
                inst.name,
                inst.idle_tx.as_millis(),
                if inst.passive { "passive" } else { "active" }
            );
            slot.machine.set_idle(now, inst.idle_tx, inst.passive);
        }
        slot.cfg = inst.clone();
        true
    }

    /// Ends session `i`: AdminDown to the peer, a Down event if it was Up, its timer and socket
    /// go.
    fn retire<K: From<BfdKey> + Copy>(&mut self, core: &mut Core<K>, now: Instant, i: usize) {
        self.slots[i].machine.set_admin_down(now, true);
        self.drain(core, i);
        self.slots.release(i);
        let slot = &mut self.slots[i];
        slot.armed.cancel(core);
        slot.tx = None;
        let discr = slot.machine.params().local_discr;
        self.by_discr.remove(&discr);
    }

    /// An orderly stop: every session says AdminDown once (peers go Down at once instead of
    /// after their detection time).
    pub fn stop<K: From<BfdKey> + Copy>(&mut self, core: &mut Core<K>, now: Instant) {
        self.stopping = true;
        for i in self.slots.live_indices() {
            self.retire(core, now, i);
        }
    }

    /// A receiving socket is readable: every datagram goes to its session. Read in batches of
    /// up to 8 (one `recvmmsg`); a batch that is not full means the queue is drained, so the
    /// common case of one packet per wake is one syscall.
    pub fn on_io<K: From<BfdKey> + Copy>(&mut self, core: &mut Core<K>, now: Instant, k: BfdKey) {
        let BfdKey::Listener(n) = k else { return };
        let n = n as usize;
        let mut bufs = [[0u8; 128]; 8];
        let mut got = std::mem::take(&mut self.batch);
        while let Some(l) = self.listeners.get(n) {
            let multihop = l.multihop;
            got.clear();
            match l.sock.recv_batch(&mut bufs, &mut got) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) => {
                    debug!("BFD: receive error: {e}");
                    break;
                }
            }
            for (r, buf) in got.iter().zip(bufs.iter()) {
                self.on_datagram(core, now, r, &buf[..r.len], multihop);
            }
            if got.len() < bufs.len() {
                break;
            }
        }
        self.batch = got;
    }

    /// One received datagram: checks, lookup, GTSM, then its session.
    fn on_datagram<K: From<BfdKey> + Copy>(
        &mut self,
        core: &mut Core<K>,
        now: Instant,
        r: &crate::sys::udp::Received,
        payload: &[u8],
        multihop: bool,
    ) {
        self.counters.rx += 1;
        if r.truncated {
            self.counters.truncated += 1;
            return;
        }
        let repr = match wb::receive(payload, false) {
            Ok(repr) => repr,
            Err(why) => {
                self.count_drop(why);
                return;
            }
        };
        let Some(i) = self.lookup(&repr, r, multihop) else {
            self.counters.no_session += 1;
            return;
        };
        if !gtsm_ok(&self.slots[i].cfg, r.ttl) {
            self.counters.ttl += 1;
            return;
        }
        if self.stopping {
            return;
        }
        let at = Instant::arrival(now, r.stamp);
        self.slots[i].machine.handle_input(at, &repr);
        self.drain(core, i);
    }

    fn count_drop(&mut self, why: DropReason) {
        if let Some(k) = DropReason::ALL.iter().position(|r| *r == why) {
            self.counters.dropped[k] += 1;
        }
    }

    /// RFC 5880 6.3: by Your Discriminator when set, else by (source, destination, kind); a
    /// link-local neighbour must also have been heard on its interface.
    fn lookup(
        &self,
        repr: &wb::Repr<'_>,
        r: &crate::sys::udp::Received,
        multihop: bool,
    ) -> Option<usize> {
        let (src, dst) = (r.src.ip(), r.dst);
        let fits = |s: &Peer| {
            let scope = match s.peer {
                SocketAddr::V6(a) => a.scope_id(),
                SocketAddr::V4(_) => 0,
            };
            s.cfg.neighbor == src
                && s.cfg.multihop == multihop
                && (scope == 0 || r.ifindex.is_none_or(|i| i == scope))
        };
        if repr.your_discr != 0 {
            let i = *self.by_discr.get(&repr.your_discr)?;
            return (self.slots.is_live(i) && fits(&self.slots[i])).then_some(i);
        }
        self.slots
            .iter_live()
            .find(|(_, s)| fits(s) && s.cfg.source.is_none_or(|a| dst.is_none_or(|d| d == a)))
            .map(|(i, _)| i)
    }

    /// Gives the outputs of session `i` to the world, then re-arms its timer.
    fn drain<K: From<BfdKey> + Copy>(&mut self, core: &mut Core<K>, i: usize) {
        let mut buf = [0u8; wb::HEADER_LEN];
        while let Some(out) = self.slots[i].machine.poll_output() {
            let slot = &mut self.slots[i];
            match out {
                Output::Transmit(t) => {
                    let mut p = wb::Packet::new_unchecked(&mut buf[..]);
                    if t.repr.emit(&mut p).is_err() {
                        continue;
                    }
                    let Some(tx) = &slot.tx else { continue };
                    if let Err(e) = tx.send_to(&buf, slot.peer) {
                        self.counters.tx_errors += 1;
                        if self.counters.tx_errors.is_power_of_two() {
                            debug!("BFD_Instance({}): send: {e}", slot.cfg.name);
                        }
                    }
                }
                Output::Event(ev) => {
                    let line = ev.log_line(&slot.cfg.name);
                    let crate::bfd::Event::StateChange { from, to, .. } = ev;
                    if from != to {
                        slot.since = SystemTime::now();
                    }
                    let (was_up, up) = (from == State::Up, to == State::Up);
                    if was_up == up {
                        debug!("{line}");
                        continue;
                    }
                    info!("{line}");
                    self.changes.push(Change {
                        name: slot.cfg.name.clone(),
                        up,
                        vrrp: slot.cfg.vrrp,
                        checker: slot.cfg.checker,
                    });
                }
            }
        }
        let live = self.slots.is_live(i);
        let owner = K::from(BfdKey::Timer(self.slots.id(i)));
        let slot = &mut self.slots[i];
        let want = if live {
            slot.machine.poll_timeout()
        } else {
            None
        };
        slot.armed.set(core, want, owner);
    }
}

/// The IPv6 scope of a session: the index of the interface holding its `source_ip` when the
/// source or the neighbour is link-local (fe80::/10), else 0. keepalived 2.2.7 has no way to
/// name the interface (it rejects `fe80::1%eth0`); the source address names it here. Read when
/// the session starts: an interface made again later needs a reload.
fn link_scope(cfg: &BfdInstance) -> u32 {
    use crate::config::bfd::is_link_local;
    if !is_link_local(cfg.neighbor) && !cfg.source.is_some_and(is_link_local) {
        return 0;
    }
    let found = cfg.source.map(|s| (s, crate::sys::raw::ifindex_of_addr(s)));
    match found {
        Some((_, Ok(Some(i)))) => i,
        Some((s, Ok(None))) => {
            warn!(
                "BFD_Instance({}): no interface holds source_ip {s}: the link-local session cannot start (a reload retries)",
                cfg.name
            );
            0
        }
        Some((_, Err(e))) => {
            warn!("BFD_Instance({}): interface addresses: {e}", cfg.name);
            0
        }
        None => {
            warn!(
                "BFD_Instance({}): a link-local neighbor needs a link-local source_ip to name its interface",
                cfg.name
            );
            0
        }
    }
}

/// RFC 5881 5 / RFC 5883 2 (GTSM): the received TTL plus `max_hops` must reach `ttl`;
/// `max_hops` 255 or -1 turns the check off.
fn gtsm_ok(cfg: &BfdInstance, ttl: Option<u8>) -> bool {
    if cfg.max_hops < 0 || cfg.max_hops >= 255 {
        return true;
    }
    ttl.is_some_and(|t| i32::from(t) + i32::from(cfg.max_hops) >= i32::from(cfg.ttl))
}

/// A session's timer (see [`armed::SlotTimers::on_timer`]): a wake for an ended session, an
/// earlier occupant of its slot or a deadline no longer armed is ignored.
impl<K: From<BfdKey> + Copy> SlotTimers<K> for BfdExecutor {
    type Slot = Peer;
    fn timer_slots(&mut self) -> &mut Slots<Peer> {
        &mut self.slots
    }
    fn armed_of(slot: &mut Peer) -> &mut Armed {
        &mut slot.armed
    }
    fn timed_out(&mut self, core: &mut Core<K>, now: Instant, i: usize) {
        self.slots[i].machine.handle_timeout(now);
        self.drain(core, i);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::testutil;

    #[test]
    fn gtsm_rule() {
        let (cfg, _) = testutil::load("bfd_instance b {\n neighbor_ip 10.0.0.2\n}\n");
        let mut c = cfg.bfd.instances[0].clone();
        assert!(gtsm_ok(&c, Some(255)));
        assert!(!gtsm_ok(&c, Some(254)));
        assert!(!gtsm_ok(&c, None));
        c.max_hops = 1;
        assert!(gtsm_ok(&c, Some(254)));
        assert!(!gtsm_ok(&c, Some(253)));
        c.max_hops = 255;
        assert!(gtsm_ok(&c, Some(1)));
        c.max_hops = -1;
        assert!(gtsm_ok(&c, None));
    }
}
