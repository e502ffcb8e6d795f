//! The IPVS executor: keeps the kernel's virtual servers as the configuration wants them, by
//! reconciliation (see [`crate::ipvs::reconcile`]), over the asynchronous generic-netlink
//! client ([`crate::ipvs::client`]).
//!
//! # Passes
//! A pass reads the kernel's table (one services dump, then one destinations dump per
//! service, all pipelined), compares it with the desired table and sends the difference. Passes
//! run at start (what is there is adopted, not flushed; a stale weight or method is corrected),
//! after a reload (unchanged services and destinations get no request, so no connection
//! notices), [`RECHECK`] after a request failed unexpectedly, and every `lvs_reconcile_interval`
//! (default 5 s: a service or destination someone deleted or changed comes back, with a
//! warning). Only one pass runs at a time; one asked for meanwhile follows it.
//!
//! # Draining (`lvs_drain_on_remove`, not in keepalived)
//! keepalived deletes a real server a reload removes at once, and the connections through it
//! hang (or are reset with `expire_nodest_conn`). With `lvs_drain_on_remove [SECS]`, a real
//! server of a service that stays, with connections (active or inactive), first goes to weight 0
//! (no new connections, the old ones go on) and is deleted by the first pass that finds none
//! left, or after SECS. Without connections it is deleted at once; a removed service is deleted
//! at once with its real servers, as in keepalived.
//!
//! # Without IPVS (keepalived exits FATAL and is respawned in a loop)
//! When the kernel has no IPVS (module missing) or refuses us (no `CAP_NET_ADMIN` in a
//! container), one line says so at start and the rest of the daemon (VRRP, BFD) runs on. The
//! family is asked for again on a back-off from 1 s to [`MAX_BACKOFF`]; when it appears, the
//! first pass makes the table.
//!
//! # At stop (keepalived's behaviour)
//! The services this configuration made are deleted (their destinations with them), unless
//! `lvs_flush_on_stop` flushes everything; timeouts set by `lvs_timeouts` are set back to what
//! they were. The orderly stop waits for the answers ([`IpvsExecutor::pending`]).
//!
//! # Ownership
//! Only the services of the desired table are ever changed or deleted, plus those a reload
//! removed from it (they were ours). Anyone else's (kube-proxy, a second balancer) are left
//! alone; `lvs_flush` at start is the one exception, as configured.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io;
use std::time::Duration;

use log::{debug, error, info, warn};

use crate::check::pool::Pool;
use crate::config::Config;
use crate::config::global::FlushOnStop;
use crate::ipvs::client::{Client, Event};
use crate::ipvs::codec::{Reply, Request};
use crate::ipvs::desired;
use crate::ipvs::model::{Dest, ServiceKey, Timeouts};
use crate::ipvs::reconcile::{self, DestKey, Dests, Entry, Op, Table};
use crate::netlink::{Outcome, Seq};
use crate::reactor::{Core, TimerId};
use crate::time::Instant;

pub mod dump;

mod sync;

/// A pass this soon after a request failed unexpectedly.
pub const RECHECK: Duration = Duration::from_secs(1);
/// A pass with more changes than this logs one summary line (and each change at debug).
const LOG_EACH_MAX: usize = 100;

/// The longest wait between two tries to find IPVS.
pub const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// What a reactor token or timer of the IPVS side belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IpvsKey {
    Socket,
    Timer,
    /// The health checkers' probes, timers and scripts.
    Check(crate::executor::check::CheckKey),
}

impl From<crate::executor::check::CheckKey> for IpvsKey {
    fn from(k: crate::executor::check::CheckKey) -> IpvsKey {
        IpvsKey::Check(k)
    }
}

/// What a request was for.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Tag {
    Info,
    Timeouts,
    /// The dumps of a pass, with its number (a reload may abandon a pass: the answers of an
    /// abandoned one are ignored).
    Services(u64),
    Dests(ServiceKey, u64),
    /// A change outside a pass (flush, timeouts, stop); `what` for the log.
    Change(String),
    /// A change of a pass, described for the log only when it fails. A refused add of a
    /// service or destination is taken out of our copy of the kernel's table, so the dumps do
    /// not show it until a pass finds it.
    Op(Op),
    /// The sync daemons' dump, and a change to them ([`sync`]).
    Daemons,
    Sync(String, sync::SyncOp),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// No IPVS (yet): the family is asked for again at the timer.
    Unavailable,
    /// Asking for the family.
    Resolving,
    /// A pass is reading the kernel's table: dumps still running.
    Reading {
        dumps: usize,
    },
    /// In step; the next pass at the timer.
    Idle,
    Stopping,
}

/// Counters for the statistics dump.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counters {
    pub passes: u64,
    /// Changes sent, and of them those that put back what someone else changed.
    pub changes: u64,
    pub repairs: u64,
    /// Refused requests by errno.
    pub errors: BTreeMap<i32, u64>,
}

/// See the module doc.
pub struct IpvsExecutor {
    client: Client<Tag>,
    phase: Phase,
    desired: Table,
    /// Services we made or keep (a reload that drops one deletes it).
    owned: BTreeSet<ServiceKey>,
    /// The kernel's table as the running pass reads it, then as we left it.
    kernel: Table,
    dump_of: HashMap<Seq, ServiceKey>,
    /// The table the running pass reads (`kernel` stays as it was until the read is whole).
    reading: Table,
    /// The number of the running (or last) pass, and its services dump.
    read_id: u64,
    services_seq: Option<Seq>,
    /// A pass was asked for while one ran.
    again: bool,
    /// The first pass after start or reload (changes then are not repairs).
    settling: bool,
    /// No pass has sent its changes yet: the first one (making the whole table at start)
    /// logs one summary line at info and each change at debug (keepalived logs none of them).
    first: bool,
    backoff: Duration,
    said_unavailable: bool,
    timer: Option<TimerId>,
    flush_at_start: bool,
    flush_on_stop: FlushOnStop,
    /// `lvs_timeouts`, and the kernel's before we set them.
    timeouts: Timeouts,
    original: Option<Timeouts>,
    version: Option<String>,
    /// `lvs_reconcile_interval`.
    period: Duration,
    /// `-I`: leave the virtual servers at stop.
    keep_at_stop: bool,
    /// `kernel` is the kernel's table as far as we know: read by the last pass, with every
    /// change since acknowledged (a failure or a lost answer clears it).
    fresh: bool,
    /// Changes of passes sent or queued and not answered yet.
    changes_in_flight: usize,
    /// Since when changes have been in flight, and how many were queued since (for the log
    /// line that says how long the kernel took them).
    changes_began: Option<(std::time::Instant, usize)>,
    /// A change of the pass in flight was refused.
    refused_in_pass: bool,
    /// The wait before the pass that retries a refused change (doubles while refusals stay).
    retry: Duration,
    /// `lvs_drain_on_remove`: how long a removed real server may drain.
    drain: Option<Duration>,
    /// Real servers draining, and when they go regardless.
    draining: BTreeMap<(ServiceKey, DestKey), Instant>,
    /// Connections of each real server as the running pass read them.
    conns: HashMap<(ServiceKey, DestKey), u32>,
    /// `lvs_sync_daemon`.
    sync: sync::Syncd,
    pub counters: Counters,
    /// The running kernel's `major.minor` (attributes older ones ignore are left out).
    kernel_version: Option<(u32, u32)>,
}

impl IpvsExecutor {
    /// Opens the socket and asks for the IPVS family; `None` (logged) when no netlink socket
    /// can be had at all.
    pub fn start<K: From<IpvsKey> + Copy>(
        cfg: &Config,
        pools: Option<&[Pool]>,
        core: &mut Core<K>,
        now: Instant,
    ) -> Option<IpvsExecutor> {
        let client = match Client::new() {
            Ok(c) => c,
            Err(e) => {
                error!("IPVS: generic netlink socket: {e}");
                return None;
            }
        };
        if let Err(e) = core.register_fd(&client, mio::Interest::READABLE, K::from(IpvsKey::Socket))
        {
            error!("IPVS: register the netlink socket: {e}");
            return None;
        }
        let mut x = IpvsExecutor {
            client,
            phase: Phase::Resolving,
            desired: Table::new(),
            owned: BTreeSet::new(),
            kernel: Table::new(),
            dump_of: HashMap::new(),
            reading: Table::new(),
            read_id: 0,
            services_seq: None,
            again: false,
            settling: true,
            first: true,
            backoff: Duration::from_secs(1),
            said_unavailable: false,
            timer: None,
            flush_at_start: cfg.global.lvs.flush,
            flush_on_stop: cfg.global.lvs.flush_on_stop,
            timeouts: timeouts_of(cfg),
            original: None,
            version: None,
            period: Duration::from_secs(u64::from(cfg.global.lvs.reconcile_interval)),
            keep_at_stop: false,
            fresh: false,
            changes_in_flight: 0,
            changes_began: None,
            refused_in_pass: false,
            retry: RECHECK,
            drain: drain_of(cfg),
            draining: BTreeMap::new(),
            conns: HashMap::new(),
            sync: sync::Syncd::new(cfg),
            counters: Counters::default(),
            kernel_version: desired::kernel_version(&crate::sys::uname()),
        };
        x.set_desired(cfg, pools);
        x.resolve(core, now);
        Some(x)
    }

    /// The desired table for the checkers' pools (`None`: no checker runs, the table at
    /// start).
    fn set_desired(&mut self, cfg: &Config, pools: Option<&[Pool]>) {
        let (mut t, mut notes) = match pools {
            Some(p) => desired::table_with(&cfg.lvs, p),
            None => desired::table(&cfg.lvs),
        };
        if let Some(v) = self.kernel_version {
            notes.extend(desired::gate_for_kernel(&mut t, v));
        }
        for n in notes {
            warn!("IPVS: {n}");
        }
        self.desired = t;
    }

    /// A checker changed a virtual server's pool: its services' entries become `entries`, and
    /// the difference goes to the kernel in this wake (when our copy of the kernel's table is
    /// current; otherwise the pass under way or the next one sends it).
    pub fn update<K: From<IpvsKey> + Copy>(
        &mut self,
        core: &mut Core<K>,
        now: Instant,
        entries: Vec<(ServiceKey, Entry)>,
    ) {
        let mut want = Table::new();
        let mut have = Table::new();
        let mut owned = BTreeSet::new();
        for (k, e) in entries {
            if let Some(h) = self.kernel.get(&k) {
                have.insert(k, h.clone());
            }
            want.insert(k, e.clone());
            owned.insert(k);
            self.desired.insert(k, e);
        }
        if let Some(v) = self.kernel_version {
            desired::gate_for_kernel(&mut want, v);
            for (k, e) in &want {
                self.desired.insert(*k, e.clone());
            }
        }
        if !self.fresh || !matches!(self.phase, Phase::Idle | Phase::Reading { .. }) {
            return;
        }
        let ops = reconcile::diff(&want, &have, &owned);
        if ops.is_empty() {
            return;
        }
        let quiet = ops.len() > LOG_EACH_MAX;
        if quiet {
            info!("IPVS: following the checkers: {}", summary(&ops));
        }
        self.counters.changes += ops.len() as u64;
        self.queue_ops(&ops, quiet, false, &BTreeSet::new());
        reconcile::apply(&mut self.kernel, &ops);
        self.flush(core, now);
    }

    fn resolve<K: From<IpvsKey> + Copy>(&mut self, core: &mut Core<K>, now: Instant) {
        self.phase = Phase::Resolving;
        if let Err(e) = self.client.resolve() {
            self.unavailable(core, now, e.raw_os_error().unwrap_or(libc::EIO));
        }
    }

    fn unavailable<K: From<IpvsKey> + Copy>(
        &mut self,
        core: &mut Core<K>,
        now: Instant,
        errno: i32,
    ) {
        let err = io::Error::from_raw_os_error(errno);
        if self.said_unavailable {
            debug!("IPVS still not available: {err}");
        } else {
            self.said_unavailable = true;
            error!(
                "IPVS is not available ({err}): virtual servers are not programmed; the rest \
                 runs on, and IPVS is looked for again (every {} s at most)",
                MAX_BACKOFF.as_secs()
            );
        }
        self.phase = Phase::Unavailable;
        let wait = self.backoff;
        self.backoff = (self.backoff * 2).min(MAX_BACKOFF);
        self.arm(core, now + wait);
    }

    fn arm<K: From<IpvsKey> + Copy>(&mut self, core: &mut Core<K>, at: Instant) {
        if let Some(t) = self.timer.take() {
            core.cancel(t);
        }
        self.timer = Some(core.arm(at, K::from(IpvsKey::Timer)));
    }

    /// The configuration changed: the next pass makes the kernel's table the new one.
    pub fn reload<K: From<IpvsKey> + Copy>(
        &mut self,
        cfg: &Config,
        pools: Option<&[Pool]>,
        core: &mut Core<K>,
        now: Instant,
    ) {
        self.set_desired(cfg, pools);
        self.flush_on_stop = cfg.global.lvs.flush_on_stop;
        self.timeouts = timeouts_of(cfg);
        self.period = Duration::from_secs(u64::from(cfg.global.lvs.reconcile_interval));
        let drained_before = self.drain.is_some();
        self.drain = drain_of(cfg);
        // Draining needs the connections, which passes without it did not read.
        if !drained_before && self.drain.is_some() {
            self.fresh = false;
        }
        self.sync.configure(cfg);
        self.sync_check();
        self.settling = true;
        self.retry = RECHECK;
        if self.phase == Phase::Idle {
            self.set_timeouts();
        }
        // Our copy of the kernel's table is current (the last pass read it and every change
        // since was acknowledged): the reload's difference goes out at once, without reading
        // 40,000 destinations again; the next periodic pass checks it.
        // A periodic read under way (2,000 dumps at 40,000 destinations, a second or more under
        // emulation) would hold the reload's changes behind it: with our copy current, the
        // read is abandoned (its dumps not yet sent are taken back, the answers of the one
        // running ignored) and the difference goes out now. Not when draining: that needs the
        // connections the read is counting.
        if matches!(self.phase, Phase::Reading { .. })
            && self.fresh
            && self.changes_in_flight == 0
            && self.drain.is_none()
        {
            let dropped = self
                .client
                .drop_queued(|t| matches!(t, Tag::Services(_) | Tag::Dests(..)));
            debug!("IPVS: a reload abandons the running read ({dropped} dump(s) not sent)");
            self.read_id += 1;
            self.reading.clear();
            self.services_seq = None;
            self.phase = Phase::Idle;
        }
        if self.phase == Phase::Idle && self.fresh && self.changes_in_flight == 0 {
            self.send_difference(core, now);
            self.flush(core, now);
            return;
        }
        self.pass(core, now);
    }

    /// Starts a pass (or marks one to follow the running one).
    fn pass<K: From<IpvsKey> + Copy>(&mut self, core: &mut Core<K>, now: Instant) {
        match self.phase {
            Phase::Idle => {}
            Phase::Reading { .. } => {
                self.again = true;
                return;
            }
            Phase::Unavailable | Phase::Resolving | Phase::Stopping => return,
        }
        // Changes of the last pass still queued or unanswered: reading the table now would
        // find them missing and send them again (under a slow reader, the queue would only
        // grow). Later.
        if self.changes_in_flight > 0 {
            self.arm(core, now + RECHECK);
            return;
        }
        self.read_id += 1;
        self.reading.clear();
        self.dump_of.clear();
        self.conns.clear();
        self.services_seq = self.client.queue(
            &Request::GetServices,
            "dumping services".into(),
            Tag::Services(self.read_id),
        );
        if self.services_seq.is_some() {
            self.phase = Phase::Reading { dumps: 1 };
            self.counters.passes += 1;
        }
        self.flush(core, now);
    }

    fn flush<K: From<IpvsKey> + Copy>(&mut self, core: &mut Core<K>, now: Instant) {
        if let Err(e) = self.client.flush() {
            error!("IPVS: send: {e}");
            self.arm(core, now + RECHECK);
        }
    }

    pub fn on_io<K: From<IpvsKey> + Copy>(&mut self, core: &mut Core<K>, now: Instant) {
        let mut events = Vec::new();
        self.client.recv(&mut events);
        for ev in events {
            self.event(core, now, ev);
        }
        self.flush(core, now);
    }

    fn event<K: From<IpvsKey> + Copy>(&mut self, core: &mut Core<K>, now: Instant, ev: Event<Tag>) {
        match ev {
            Event::Family(Err(errno)) => self.unavailable(core, now, errno),
            Event::Family(Ok(f)) => {
                debug!("IPVS: generic netlink family {} ({} ops)", f.id, f.ops);
                self.backoff = Duration::from_secs(1);
                if self.said_unavailable {
                    info!("IPVS is available now");
                }
                self.said_unavailable = false;
                self.client
                    .queue(&Request::GetInfo, "reading IPVS info".into(), Tag::Info);
                self.client.queue(
                    &Request::GetTimeouts,
                    "reading timeouts".into(),
                    Tag::Timeouts,
                );
                if std::mem::take(&mut self.flush_at_start) {
                    info!("IPVS: flushing every virtual server (lvs_flush)");
                    self.client.queue(
                        &Request::Flush,
                        "flushing (lvs_flush)".into(),
                        Tag::Change("flush".into()),
                    );
                }
                self.phase = Phase::Idle;
                self.sync_check();
                self.pass(core, now);
            }
            Event::Data { seq, reply } => self.data(seq, reply),
            Event::Answer { tag, outcome, .. } => self.answer(core, now, tag, outcome),
        }
    }

    fn data(&mut self, seq: Seq, reply: Result<Reply, crate::ipvs::codec::Malformed>) {
        match reply {
            Ok(Reply::Info(i)) => {
                let v = i.version_string();
                if self.version.as_deref() != Some(&v) {
                    info!(
                        "IPVS: version {v}, connection table size {}",
                        i.conn_tab_size
                    );
                }
                self.version = Some(v);
            }
            Ok(Reply::Timeouts(t)) => {
                if self.original.is_none() {
                    self.original = Some(t);
                    self.set_timeouts();
                }
            }
            Ok(Reply::Service(s)) => {
                if self.services_seq != Some(seq) {
                    return;
                }
                self.reading.insert(
                    s.key,
                    Entry {
                        service: s,
                        dests: Dests::default(),
                    },
                );
            }
            Ok(Reply::Dest(d, c)) => {
                if let Some(k) = self.dump_of.get(&seq).copied()
                    && let Some(e) = self.reading.get_mut(&k)
                {
                    e.dests.insert(d);
                    // Only draining asks for connections (40,000 entries are 2.6 MB).
                    if self.drain.is_some() {
                        self.conns
                            .insert((k, (d.addr, d.port)), c.active.saturating_add(c.inactive));
                    }
                }
            }
            Ok(Reply::Daemon(d)) => self.sync_seen(d),
            Ok(Reply::Other(_)) => {}
            Err(m) => warn!("IPVS: unreadable reply: {m}"),
        }
    }

    fn set_timeouts(&mut self) {
        let t = self.timeouts;
        if t != Timeouts::default() {
            self.client.queue(
                &Request::SetTimeouts(t),
                "setting lvs_timeouts".into(),
                Tag::Change("lvs_timeouts".into()),
            );
        }
    }

    fn answer<K: From<IpvsKey> + Copy>(
        &mut self,
        core: &mut Core<K>,
        now: Instant,
        tag: Tag,
        outcome: Outcome,
    ) {
        if let Some(errno) = outcome.errno() {
            *self.counters.errors.entry(errno).or_default() += 1;
        }
        if let (Tag::Op(op), Outcome::Failed { .. }) = (&tag, &outcome) {
            match op {
                Op::AddService(s) => {
                    self.kernel.remove(&s.key);
                }
                Op::AddDest(k, d) => {
                    if let Some(e) = self.kernel.get_mut(k) {
                        e.dests.remove(&(d.addr, d.port));
                    }
                }
                _ => {}
            }
        }
        match tag {
            Tag::Services(id) | Tag::Dests(_, id) if id != self.read_id => {}
            Tag::Services(_) => {
                if outcome.errno().is_some() {
                    return self.failed_read(core, now);
                }
                let keys: Vec<ServiceKey> = self.reading.keys().copied().collect();
                let mut dumps = 0;
                for k in keys {
                    if let Some(seq) = self.client.queue(
                        &Request::GetDests(k),
                        format!("dumping {k:?}"),
                        Tag::Dests(k, self.read_id),
                    ) {
                        self.dump_of.insert(seq, k);
                        dumps += 1;
                    }
                }
                self.dumps_done(core, now, dumps);
            }
            Tag::Dests(..) => {
                if outcome.errno().is_some() {
                    return self.failed_read(core, now);
                }
                if let Phase::Reading { dumps } = self.phase {
                    self.dumps_done(core, now, dumps.saturating_sub(1));
                }
            }
            Tag::Change(_) | Tag::Op(_) => {
                let what = match &tag {
                    Tag::Op(op) if outcome.errno().is_some() => describe(op),
                    Tag::Change(what) => what.clone(),
                    _ => String::new(),
                };
                // Only a pass's changes are counted (not timeouts, flush or stop requests).
                if matches!(tag, Tag::Op(_)) {
                    self.changes_in_flight = self.changes_in_flight.saturating_sub(1);
                    if matches!(outcome, Outcome::Failed { .. }) {
                        self.refused_in_pass = true;
                    }
                }
                if self.changes_in_flight == 0
                    && let Some((began, n)) = self.changes_began.take()
                {
                    // A pass the kernel took whole: a refusal later is retried soon again.
                    if !std::mem::take(&mut self.refused_in_pass) {
                        self.retry = RECHECK;
                    }
                    info!(
                        "IPVS: the kernel took {n} change(s) in {:.1} ms",
                        began.elapsed().as_secs_f64() * 1000.0
                    );
                    // The requests of a large pass are gone: their memory back to the system.
                    if n > LOG_EACH_MAX {
                        crate::sys::trim_heap();
                    }
                }
                if outcome.errno().is_some() {
                    self.fresh = false;
                }
                if let Outcome::Failed { errno, text } = &outcome {
                    let detail = text
                        .as_deref()
                        .map(|t| format!(" ({t})"))
                        .unwrap_or_default();
                    error!(
                        "IPVS: {what}: {}{detail}",
                        io::Error::from_raw_os_error(*errno)
                    );
                    // Retried by the next pass, sooner than the period, on a back-off: a
                    // refusal that stays (a scheduler the kernel lacks) is logged at 1, 2, 4,
                    // ... s, up to `lvs_reconcile_interval`, not every second.
                    if self.phase != Phase::Stopping {
                        self.arm(core, now + self.retry);
                        self.retry = (self.retry * 2).min(self.period.max(RECHECK));
                    }
                } else if outcome == Outcome::Lost && self.phase != Phase::Stopping {
                    self.arm(core, now + RECHECK);
                }
            }
            Tag::Daemons => self.sync_read(&outcome),
            Tag::Sync(what, op) => self.sync_answer(&what, &op, &outcome),
            Tag::Info | Tag::Timeouts => {}
        }
    }

    fn failed_read<K: From<IpvsKey> + Copy>(&mut self, core: &mut Core<K>, now: Instant) {
        self.fresh = false;
        if self.phase != Phase::Stopping {
            self.phase = Phase::Idle;
            self.arm(core, now + RECHECK);
        }
    }

    /// `dumps` dumps of the pass still run; at 0 the table is read: send the difference.
    fn dumps_done<K: From<IpvsKey> + Copy>(
        &mut self,
        core: &mut Core<K>,
        now: Instant,
        dumps: usize,
    ) {
        if self.phase == Phase::Stopping {
            return;
        }
        if dumps > 0 {
            self.phase = Phase::Reading { dumps };
            return;
        }
        // The read is whole: it is the kernel's table now.
        self.kernel = std::mem::take(&mut self.reading);
        self.services_seq = None;
        self.send_difference(core, now);
    }

    /// Sends what makes the kernel's table (`kernel`, as read or as we left it) the desired
    /// one, then waits for the next pass.
    fn send_difference<K: From<IpvsKey> + Copy>(&mut self, core: &mut Core<K>, now: Instant) {
        let (with_drained, released) = self.with_draining(now);
        let want = with_drained.as_ref().unwrap_or(&self.desired);
        let mut ops = reconcile::diff(want, &self.kernel, &self.owned);
        self.start_draining(now, &mut ops, &released);
        let repair = !std::mem::take(&mut self.settling);
        if !repair && ops.is_empty() {
            info!(
                "IPVS: the kernel's table is as configured ({} service(s))",
                self.desired.len()
            );
        }
        // The first pass (the whole table at start) and any large one say what they do in
        // one line, each change at debug: 40,000 lines cost more than the kernel's work.
        let first = std::mem::take(&mut self.first) && !ops.is_empty();
        let quiet = first || ops.len() > LOG_EACH_MAX;
        let repairs = if repair {
            ops.iter()
                .filter(|op| !matches!(op, Op::DelDest(k, d) if released.contains(&(*k, *d))))
                .count()
        } else {
            0
        };
        if quiet && repairs > 0 && !first {
            warn!(
                "IPVS: the kernel's table differed from ours: {}",
                summary(&ops)
            );
        } else if first {
            info!("IPVS: making the table: {}", summary(&ops));
        } else if quiet {
            info!("IPVS: changing the table: {}", summary(&ops));
        }
        self.counters.repairs += repairs as u64;
        self.counters.changes += ops.len() as u64;
        self.queue_ops(&ops, quiet, repair, &released);
        reconcile::apply(&mut self.kernel, &ops);
        self.fresh = true;
        self.owned = self.desired.keys().copied().collect();
        self.phase = Phase::Idle;
        if std::mem::take(&mut self.again) {
            self.settling = true;
            self.pass(core, now);
        } else {
            self.arm(core, now + self.period);
        }
    }

    /// Queues the requests of `ops`, logging each (at debug when `quiet`).
    fn queue_ops(
        &mut self,
        ops: &[Op],
        quiet: bool,
        repair: bool,
        released: &BTreeSet<(ServiceKey, DestKey)>,
    ) {
        let debug = log::log_enabled!(log::Level::Debug);
        for op in ops {
            // The text for the request tracker's debug lines; failures are described from
            // the tag.
            let what = if debug || !quiet {
                describe(op)
            } else {
                String::new()
            };
            // A drained real server going is what we asked for, not a repair.
            let drained = matches!(op, Op::DelDest(k, d) if released.contains(&(*k, *d)));
            if quiet {
                debug!("IPVS: {what}");
            } else if repair && !drained {
                warn!("IPVS: {what} (the kernel's table differed from ours)");
            } else {
                info!("IPVS: {what}");
            }
            let req = match op {
                Op::AddService(s) => Request::NewService(s),
                Op::EditService(s) => Request::SetService(s),
                Op::DelService(k) => Request::DelService(*k),
                Op::AddDest(k, d) => Request::NewDest(*k, d),
                Op::EditDest(k, d) => Request::SetDest(*k, d),
                Op::DelDest(k, (a, p)) => Request::DelDest(*k, *a, *p),
            };
            if self.client.queue(&req, what, Tag::Op(op.clone())).is_some() {
                self.changes_in_flight += 1;
                let began = self
                    .changes_began
                    .get_or_insert((std::time::Instant::now(), 0));
                began.1 += 1;
            }
        }
    }

    /// The desired table with the real servers still draining kept in at weight 0; those
    /// without connections left or past their time are let go (returned: deleted by this pass,
    /// never drained again).
    fn with_draining(&mut self, now: Instant) -> (Option<Table>, BTreeSet<(ServiceKey, DestKey)>) {
        let mut released = BTreeSet::new();
        // Nothing draining (nearly always): `None`, the desired table as it is, not a copy of
        // every destination each pass.
        if self.draining.is_empty() {
            return (None, released);
        }
        let mut want = self.desired.clone();
        let conns = &self.conns;
        let kernel = &self.kernel;
        let desired = &self.desired;
        self.draining.retain(|(k, d), until| {
            // Wanted again, or its service gone: nothing to drain any more.
            let Some(e) = desired.get(k) else {
                return false;
            };
            if e.dests.contains_key(d) {
                return false;
            }
            let busy = conns.get(&(*k, *d)).is_some_and(|&n| n > 0);
            let keep = busy && now < *until;
            if !keep {
                released.insert((*k, *d));
                info!(
                    "IPVS: real server {} of {} drained ({})",
                    dest_text(d.0, d.1),
                    key_text(k),
                    if busy {
                        "time is up"
                    } else {
                        "no connection left"
                    }
                );
            }
            keep
        });
        for (k, d) in self.draining.keys() {
            if let (Some(e), Some(have)) =
                (want.get_mut(k), kernel.get(k).and_then(|e| e.dests.get(d)))
                && !e.dests.contains_key(d)
            {
                e.dests.insert(Dest { weight: 0, ..*have });
            }
        }
        (Some(want), released)
    }

    /// With `lvs_drain_on_remove`: a real server the pass would delete from a service that
    /// stays, and that has connections, goes to weight 0 instead (see the module doc).
    fn start_draining(
        &mut self,
        now: Instant,
        ops: &mut Vec<Op>,
        released: &BTreeSet<(ServiceKey, DestKey)>,
    ) {
        let Some(limit) = self.drain else { return };
        let mut out = Vec::with_capacity(ops.len());
        for op in ops.drain(..) {
            let Op::DelDest(k, d) = op else {
                out.push(op);
                continue;
            };
            let busy = self.conns.get(&(k, d)).copied().unwrap_or(0);
            let have = self.kernel.get(&k).and_then(|e| e.dests.get(&d)).copied();
            match have {
                Some(have)
                    if busy > 0 && self.desired.contains_key(&k) && !released.contains(&(k, d)) =>
                {
                    info!(
                        "IPVS: draining real server {} of {} ({busy} connection(s)): weight 0, \
                         removed when they end or after {} s",
                        dest_text(d.0, d.1),
                        key_text(&k),
                        limit.as_secs()
                    );
                    self.draining.insert((k, d), now + limit);
                    if have.weight != 0 {
                        out.push(Op::EditDest(k, Dest { weight: 0, ..have }));
                    }
                }
                _ => out.push(Op::DelDest(k, d)),
            }
        }
        *ops = out;
    }

    pub fn on_timer<K: From<IpvsKey> + Copy>(&mut self, core: &mut Core<K>, now: Instant) {
        self.timer = None;
        match self.phase {
            Phase::Unavailable => self.resolve(core, now),
            Phase::Idle => {
                self.sync_check();
                self.pass(core, now);
            }
            Phase::Resolving | Phase::Reading { .. } | Phase::Stopping => {}
        }
        self.flush(core, now);
    }

    /// Deletes what this configuration made (or flushes, with `lvs_flush_on_stop`) and sets the
    /// timeouts back.
    pub fn stop<K: From<IpvsKey> + Copy>(&mut self, core: &mut Core<K>, now: Instant) {
        if let Some(t) = self.timer.take() {
            core.cancel(t);
        }
        let was = self.phase;
        self.phase = Phase::Stopping;
        if matches!(was, Phase::Unavailable | Phase::Resolving) {
            return;
        }
        match self.flush_on_stop {
            _ if self.keep_at_stop => {
                info!("IPVS: leaving the virtual servers in place (-I, --dont-release-ipvs)");
            }
            FlushOnStop::All => {
                info!("IPVS: flushing every virtual server (lvs_flush_on_stop)");
                self.client.queue(
                    &Request::Flush,
                    "flushing at stop".into(),
                    Tag::Change("flush".into()),
                );
            }
            FlushOnStop::No | FlushOnStop::Vs => {
                // What we made or adopted, and what we were about to (a stop before the first
                // pass ended): a service of our configuration is ours.
                let keys: BTreeSet<ServiceKey> = self
                    .owned
                    .iter()
                    .chain(self.desired.keys())
                    .copied()
                    .collect();
                for k in keys {
                    let what = format!("removing {}", key_text(&k));
                    self.client
                        .queue(&Request::DelService(k), what.clone(), Tag::Change(what));
                }
            }
        }
        if let (Some(orig), true) = (self.original, self.timeouts != Timeouts::default()) {
            self.client.queue(
                &Request::SetTimeouts(orig),
                "restoring timeouts".into(),
                Tag::Change("restoring timeouts".into()),
            );
        }
        self.sync_stop();
        self.flush(core, now);
    }

    /// `-I` (`--dont-release-ipvs`): the virtual servers stay in the kernel at stop.
    pub fn set_keep_at_stop(&mut self, keep: bool) {
        self.keep_at_stop = keep;
    }

    /// Requests not answered yet.
    pub fn pending(&self) -> usize {
        self.client.pending()
    }

    /// The kernel's table as we last read and changed it.
    pub fn table(&self) -> &Table {
        &self.kernel
    }

    pub fn available(&self) -> bool {
        !matches!(self.phase, Phase::Unavailable | Phase::Resolving)
    }

    /// The table the configuration wants (for the dumps).
    pub fn desired(&self) -> &Table {
        &self.desired
    }

    /// IPVS's version, once read (for the dumps).
    pub fn version(&self) -> Option<&str> {
        self.version.as_deref()
    }
}

fn drain_of(cfg: &Config) -> Option<Duration> {
    cfg.global
        .lvs
        .drain_on_remove
        .map(|s| Duration::from_secs(u64::from(s)))
}

fn timeouts_of(cfg: &Config) -> Timeouts {
    let t = &cfg.global.lvs.timeouts;
    Timeouts {
        tcp: t.tcp.unwrap_or(0),
        tcp_fin: t.tcpfin.unwrap_or(0),
        udp: t.udp.unwrap_or(0),
    }
}

/// `TCP 10.0.0.1:80`, `FWM 7`, as ipvsadm writes them.
pub fn key_text(k: &ServiceKey) -> String {
    match *k {
        ServiceKey::Addr {
            protocol,
            addr,
            port,
        } => {
            let proto = match protocol {
                crate::ipvs::model::TCP => "TCP",
                crate::ipvs::model::UDP => "UDP",
                crate::ipvs::model::SCTP => "SCTP",
                _ => "?",
            };
            format!("{proto} {}", std::net::SocketAddr::new(addr, port))
        }
        ServiceKey::Fwmark { mark, .. } => format!("FWM {mark}"),
    }
}

/// `10.0.0.2:80`, `[fd00::2]:53`.
fn dest_text(a: std::net::IpAddr, port: u16) -> String {
    std::net::SocketAddr::new(a, port).to_string()
}

/// `2 service(s) and 8 real server(s) to add, 1 to change, 0 to remove`.
fn summary(ops: &[Op]) -> String {
    let (mut services, mut dests, mut changes, mut removals) = (0, 0, 0, 0);
    for op in ops {
        match op {
            Op::AddService(_) => services += 1,
            Op::AddDest(..) => dests += 1,
            Op::EditService(_) | Op::EditDest(..) => changes += 1,
            Op::DelService(_) | Op::DelDest(..) => removals += 1,
        }
    }
    format!(
        "{services} service(s) and {dests} real server(s) to add, {changes} to change, \
         {removals} to remove"
    )
}

fn describe(op: &Op) -> String {
    match op {
        Op::AddService(s) => format!("adding service {} ({})", key_text(&s.key), s.scheduler),
        Op::EditService(s) => format!("changing service {} ({})", key_text(&s.key), s.scheduler),
        Op::DelService(k) => format!("removing service {}", key_text(k)),
        Op::AddDest(k, d) => format!(
            "adding real server {} to {} (weight {})",
            dest_text(d.addr, d.port),
            key_text(k),
            d.weight
        ),
        Op::EditDest(k, d) => format!(
            "changing real server {} of {} (weight {})",
            dest_text(d.addr, d.port),
            key_text(k),
            d.weight
        ),
        Op::DelDest(k, (a, p)) => {
            format!(
                "removing real server {} from {}",
                dest_text(*a, *p),
                key_text(k)
            )
        }
    }
}
