//! The dispatcher: the handler the event loop drives. It routes each wake to the subsystem that
//! owns its key, then settles the queue of events between subsystems (see
//! [`super::subsystem`]); signals become reloads, dumps and the orderly stop, each of which asks
//! every subsystem.

use std::path::Path;
use std::time::Duration;

use log::{debug, error, info, warn};

use super::dbus::{DbusService, Request};
use super::mail::Mail;
use super::notify::{self, Notifier};
use super::subsystem::{self, Dump, Events, Routed, Subsystem};
use super::subsystems::{Bfd, Ipvs, Vrrp};
use super::{DATA_FILE, JSON_FILE, SHUTDOWN_DEADLINE, STATS_FILE, log_diagnostics};
use crate::bfd::State as BfdState;
use crate::cli::Options;
use crate::config::{self, Config, LoadOptions, Severity};
use crate::executor::bfd as bfd_exec;
use crate::executor::snmp as snmp_exec;
use crate::executor::vrrp as vrrp_exec;
use crate::metrics::{self, MetricsServer};
use crate::reactor::{ChildEnd, Core, Handler, Signal, Wake};
use crate::status::{self, StatusServer};
use crate::sys;
use crate::time::Instant;
use crate::vrrp::State;

/// How long a reload may wait for a CPU once it left SCHED_RR for normal priority (see
/// [`Daemon::reload`]): it queues behind the host's runnable processes.
/// Measured up to 16 ms on a loaded 2-core host, where a reload placed 19 ms before an advert
/// sent it 13.8 ms late; 50 ms allowed. Within it of the next advert, the reload waits until
/// just after that advert.
const NORMAL_SCHED_WAIT: Duration = Duration::from_millis(50);

/// Who owns a timer, fd or child of the daemon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DaemonKey {
    /// The deadline of an orderly stop.
    ShutdownDeadline,
    /// A reload put off until just after the next advert (see [`Daemon::reload_soon`]).
    Reload,
    /// The next `WATCHDOG=1` to the service manager.
    Watchdog,
    /// The state socket (`--status`): the listener, a client being answered, their deadlines.
    Status,
    StatusClient,
    StatusDeadline,
    /// The metrics listener (`metrics_listen`): the listener, a connection, their deadlines.
    Metrics,
    MetricsClient,
    MetricsDeadline,
    /// The DBus connection (`enable_dbus`) and its reconnection back-off.
    Dbus,
    DbusRetry,
    /// The VRRP side: its sockets and timers.
    Vrrp(vrrp_exec::VrrpKey),
    /// The BFD side: its sockets and timers.
    Bfd(bfd_exec::BfdKey),
    /// The IPVS side: its netlink socket and timer.
    Ipvs(crate::executor::ipvs::IpvsKey),
    /// The e-mail alerts: the connection to the mail server and its deadline.
    Mail(crate::executor::mail::MailKey),
    /// The AgentX subagent: its connection and retry timer.
    Snmp(crate::executor::snmp::SnmpKey),
}

impl From<crate::executor::mail::MailKey> for DaemonKey {
    fn from(k: crate::executor::mail::MailKey) -> DaemonKey {
        DaemonKey::Mail(k)
    }
}

impl From<crate::executor::snmp::SnmpKey> for DaemonKey {
    fn from(k: crate::executor::snmp::SnmpKey) -> DaemonKey {
        DaemonKey::Snmp(k)
    }
}

impl From<crate::executor::ipvs::IpvsKey> for DaemonKey {
    fn from(k: crate::executor::ipvs::IpvsKey) -> DaemonKey {
        DaemonKey::Ipvs(k)
    }
}

impl From<crate::executor::check::CheckKey> for DaemonKey {
    fn from(k: crate::executor::check::CheckKey) -> DaemonKey {
        DaemonKey::Ipvs(crate::executor::ipvs::IpvsKey::Check(k))
    }
}

impl From<bfd_exec::BfdKey> for DaemonKey {
    fn from(k: bfd_exec::BfdKey) -> DaemonKey {
        DaemonKey::Bfd(k)
    }
}

impl From<vrrp_exec::VrrpKey> for DaemonKey {
    fn from(k: vrrp_exec::VrrpKey) -> DaemonKey {
        DaemonKey::Vrrp(k)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Running,
    Stopping,
}

/// The handler the loop drives.
pub struct Daemon {
    opts: Options,
    load: LoadOptions,
    /// The configuration in force.
    config: Config,
    phase: Phase,
    started: Instant,
    reloads: u32,
    /// How long the last reload took (reading, checking, diffing), to place the next one.
    reload_cost: Duration,
    /// A reload is waiting for its slot.
    reload_armed: bool,
    ipvs: Ipvs,
    vrrp: Vrrp,
    bfd: Bfd,
    mail: Mail,
    /// `enable_dbus`: the service on the system bus (a consumer of VRRP's events).
    dbus: DbusService<DaemonKey>,
    snmp: super::snmp::Snmp,
    /// Events between subsystems not yet delivered (empty between wakes).
    events: Events,
    /// The state socket `--status` reads (root only, read-only).
    status: Option<StatusServer<DaemonKey>>,
    /// The service manager's notifications (off without `NOTIFY_SOCKET`).
    notify: Notifier,
    /// The Prometheus metrics listener (`metrics_listen`).
    metrics: Option<MetricsServer<DaemonKey>>,
}

/// The list of subsystems, in its order (consumers first: IPVS, VRRP, BFD; then the e-mail
/// alerts, which only listen, so that their part of the statistics comes last); the one place
/// that names
/// them. `subsystems!(self, |subs| body)` runs `body` with `subs` bound to them, mutable;
/// `subsystems!(ref self)` is them, read-only.
macro_rules! subsystems {
    ($self:ident, |$subs:ident| $body:expr) => {{
        let $subs: &mut [&mut dyn Subsystem<DaemonKey>] = &mut [
            &mut $self.dbus,
            &mut $self.ipvs,
            &mut $self.vrrp,
            &mut $self.bfd,
            &mut $self.mail,
            &mut $self.snmp,
        ];
        $body
    }};
    (ref $self:ident) => {
        [
            &$self.dbus as &dyn Subsystem<DaemonKey>,
            &$self.ipvs,
            &$self.vrrp,
            &$self.bfd,
            &$self.mail,
            &$self.snmp,
        ]
    };
}

impl Daemon {
    pub fn new(opts: Options, load: LoadOptions, config: Config, now: Instant) -> Daemon {
        let vrrp = Vrrp::new(
            opts.subsystems.vrrp,
            opts.dont_release_vrrp,
            opts.log_detail,
        );
        let bfd = Bfd::new(opts.subsystems.bfd);
        let ipvs = Ipvs::new(
            opts.subsystems.check,
            opts.subsystems.vrrp,
            opts.dont_release_ipvs,
        );
        let snmp = super::snmp::Snmp::new(
            opts.snmp,
            opts.snmp_agent_socket
                .as_ref()
                .map(|p| p.to_string_lossy().into_owned()),
            opts.subsystems.vrrp,
        );
        Daemon {
            opts,
            load,
            config,
            phase: Phase::Running,
            started: now,
            reloads: 0,
            reload_cost: Duration::from_millis(5),
            reload_armed: false,
            ipvs,
            vrrp,
            bfd,
            mail: Mail::default(),
            dbus: DbusService::new(DaemonKey::Dbus, DaemonKey::DbusRetry),
            snmp,
            events: Events::new(),
            status: None,
            notify: Notifier::off(),
            metrics: None,
        }
    }

    /// The first configuration runs: `READY=1` to the service manager, and the watchdog's
    /// pings begin (see [`notify`]).
    pub fn notify_ready(&mut self, notifier: Notifier, core: &mut Core<DaemonKey>, now: Instant) {
        self.notify = notifier;
        let summary = self.summary();
        self.notify.ready(sys::getpid(), &summary);
        if let Some(every) = self.notify.watchdog() {
            core.arm(now + every, DaemonKey::Watchdog);
        }
    }

    /// What the service manager's status line counts.
    fn summary(&self) -> notify::Summary {
        let vrrp = self.vrrp.run.as_ref().map(|v| {
            let masters = v.instances().filter(|i| i.state() == State::Master);
            (v.len(), masters.count())
        });
        let bfd = self.bfd.run.as_ref().map(|b| {
            let up = b
                .views()
                .iter()
                .filter(|v| v.session.state() == BfdState::Up)
                .count();
            (b.len(), up)
        });
        let lvs = self.ipvs.run.is_some() || self.ipvs.checks.is_some();
        notify::Summary {
            vrrp,
            bfd,
            virtual_servers: lvs.then(|| self.config.lvs.virtual_servers.len()),
        }
    }

    /// A new status line to the service manager, when it changed (while running).
    fn refresh_status(&mut self) {
        if self.notify.is_on() && self.phase == Phase::Running {
            let summary = self.summary();
            self.notify.status(&summary);
        }
    }

    /// `WATCHDOG=1`, the status line, and the next ping half a period from now (not from the
    /// deadline: after a stall the pings go on at their pace, without a burst).
    fn ping_watchdog(&mut self, core: &mut Core<DaemonKey>, now: Instant) {
        let Some(every) = self.notify.watchdog() else {
            return;
        };
        self.notify.ping();
        self.refresh_status();
        core.arm(now + every, DaemonKey::Watchdog);
    }

    /// The subsystems, read-only, in list order.
    fn subs(&self) -> [&dyn Subsystem<DaemonKey>; 6] {
        subsystems!(ref self)
    }

    /// The scheduling settings of the one process: keepalived's VRRP process settings, each
    /// unset one taken from the BFD process settings when BFD sessions run (so a configuration
    /// that gives only `bfd_rt_priority` gets it).
    fn sched(&self) -> crate::config::global::ProcessSched {
        let g = &self.config.global.sched;
        let mut s = g.vrrp.clone();
        if self.config.bfd.instances.is_empty() || !self.opts.subsystems.bfd {
            return s;
        }
        let b = &g.bfd;
        s.priority = s.priority.or(b.priority);
        s.no_swap |= b.no_swap;
        if s.cpu_affinity.is_empty() {
            s.cpu_affinity = b.cpu_affinity.clone();
        }
        if s.rt_priority.is_none() {
            s.rt_priority = b.rt_priority;
            s.rlimit_rttime = b.rlimit_rttime;
        }
        s.sched_slice = s.sched_slice.or(b.sched_slice);
        s
    }

    /// `vrrp_priority`, `vrrp_rt_priority` (+ `vrrp_rlimit_rttime`), `vrrp_no_swap`,
    /// `vrrp_cpu_affinity` (and the `bfd_` ones they leave unset): keepalived applies them to its
    /// VRRP (BFD) process; ours is the one process.
    pub fn apply_scheduling(&self) {
        let s = &self.sched();
        if let Some(n) = s.priority
            && let Err(e) = sys::set_nice(i32::from(n))
        {
            warn!("vrrp_priority {n}: {e}");
        }
        if !s.cpu_affinity.is_empty()
            && let Err(e) = sys::set_affinity(&s.cpu_affinity)
        {
            warn!("vrrp_cpu_affinity: {e}");
        }
        if s.no_swap
            && let Err(e) = sys::lock_memory()
        {
            warn!("vrrp_no_swap: {e}");
        }
        if let Some(us) = s.sched_slice
            && s.rt_priority.is_none()
        {
            match sys::set_sched_slice(u64::from(us) * 1000) {
                Ok(()) => info!("Running with a scheduler slice of {us} us"),
                Err(e) => warn!("vrrp_sched_slice {us}: {e} (Linux 6.12 or later has it)"),
            }
        }
        if let Some(p) = s.rt_priority {
            let rttime = u64::from(s.rlimit_rttime.unwrap_or(10_000));
            match sys::set_realtime(i32::from(p), rttime) {
                Ok(()) => info!("Running at SCHED_RR priority {p} (RLIMIT_RTTIME {rttime} us)"),
                Err(e) => warn!("vrrp_rt_priority {p}: {e}"),
            }
        }
    }

    /// Starts the subsystems the configuration has work for, providers first (BFD before VRRP,
    /// so that `track_bfd` sees the sessions from the start), then tells each the state of the
    /// BFD sessions it tracks. An error is a subsystem that could not start.
    pub fn start(&mut self, core: &mut Core<DaemonKey>, now: Instant) -> Result<(), String> {
        let config = &self.config;
        subsystems!(self, |subs| {
            for s in subs.iter_mut().rev() {
                s.apply(config, core, now)?;
            }
        });
        self.settle_after_start(core, now);
        sys::trim_heap();
        Ok(())
    }

    /// After a start or reload: every tracker of a BFD session learns its state, then the
    /// events the start raised are delivered.
    fn settle_after_start(&mut self, core: &mut Core<DaemonKey>, now: Instant) {
        let events = &mut self.events;
        subsystems!(self, |subs| {
            subsystem::seed_bfd_states(subs, core, now);
            subsystem::settle(events, subs, core, now);
        });
    }

    /// After every wake: the events it raised are delivered (in the same wake), and a stop
    /// that waited for this wake ends.
    fn after_wake(&mut self, core: &mut Core<DaemonKey>, now: Instant) {
        let events = &mut self.events;
        let delivered = subsystems!(self, |subs| subsystem::settle(events, subs, core, now));
        if delivered > 0 {
            self.refresh_status();
        }
        self.send_traps(core, now);
        self.maybe_finish(core);
    }

    /// The VRRP-MIB's objects now.
    fn snmp_tree(vrrp: &Vrrp, traps: bool) -> crate::snmp::mib::Tree {
        let views = vrrp.run.as_ref().map(|v| v.views()).unwrap_or_default();
        let rows = snmp_exec::vrrp_rows(&views);
        let mut entries = Vec::new();
        crate::snmp::mib::vrrp_mib(&rows, traps, &mut entries);
        crate::snmp::mib::Tree::new(entries).with_objects(crate::snmp::mib::vrrp_objects())
    }

    /// vrrpTrapNewMaster for the instances that became MASTER in this wake.
    fn send_traps(&mut self, core: &mut Core<DaemonKey>, now: Instant) {
        if self.snmp.new_masters.is_empty() {
            return;
        }
        let names = std::mem::take(&mut self.snmp.new_masters);
        let (Some(agent), Some(v)) = (&mut self.snmp.agent, &self.vrrp.run) else {
            return;
        };
        let views = v.views();
        for name in &names {
            let Some(view) = views.iter().find(|w| w.params.name == *name) else {
                continue;
            };
            let became = view.counters.became_master;
            if self.snmp.trapped.insert(name.clone(), became) == Some(became) {
                continue;
            }
            if let Some(row) = snmp_exec::vrrp_rows(std::slice::from_ref(view)).first() {
                let objects = snmp_exec::new_master_objects(row);
                agent.notify(core, now, snmp_exec::TRAP_NEW_MASTER.to_vec(), objects);
            }
        }
    }

    /// Opens the state socket beside the pid file (mode 0600: root only). The pid file's lock
    /// says no other daemon uses the name, so a leftover socket file is removed first.
    /// Then the metrics listener, when `metrics_listen` asks for one.
    pub fn open_status(&mut self, core: &mut Core<DaemonKey>) {
        let path = status::socket_path(&self.opts.pid_file);
        match StatusServer::open(
            path.clone(),
            core,
            DaemonKey::Status,
            DaemonKey::StatusClient,
            DaemonKey::StatusDeadline,
        ) {
            Ok(s) => {
                debug!("State socket at {}", path.display());
                self.status = Some(s);
            }
            Err(e) => warn!("No state socket at {}: {e}", path.display()),
        }
        self.follow_metrics_listen(core);
    }

    /// Opens, moves or closes the metrics listener as `metrics_listen` says (at start and after
    /// each reload). A listener that cannot bind is logged and left out.
    fn follow_metrics_listen(&mut self, core: &mut Core<DaemonKey>) {
        let want = self.config.global.metrics_listen;
        if self.metrics.as_ref().map(MetricsServer::addr) == want {
            return;
        }
        if let Some(m) = self.metrics.take() {
            m.shut(core);
        }
        let Some(addr) = want else { return };
        match MetricsServer::open(
            addr,
            core,
            DaemonKey::Metrics,
            DaemonKey::MetricsClient,
            DaemonKey::MetricsDeadline,
        ) {
            Ok(m) => {
                info!("Metrics at http://{addr}/metrics");
                self.metrics = Some(m);
            }
            Err(e) => error!("metrics_listen {addr}: {e}"),
        }
    }

    /// The metrics listener's wakes: `token` is a connection's, `None` the listener's; a
    /// deadline when `timer`.
    fn serve_metrics(
        &mut self,
        core: &mut Core<DaemonKey>,
        now: Instant,
        token: Option<mio::Token>,
        timer: bool,
    ) {
        #[cfg_attr(not(feature = "metrics"), allow(unused_variables))]
        let subs = subsystems!(ref self);
        let Some(m) = &mut self.metrics else { return };
        let text = |c: &metrics::Counters| {
            let mut e = metrics::expo::Expo::new();
            #[cfg(feature = "metrics")]
            for s in &subs {
                s.metrics(&mut e);
            }
            metrics::families::server(&mut e, c);
            metrics::process::write(&mut e);
            e.finish()
        };
        match (token, timer) {
            (_, true) => m.on_timer(core, now),
            (Some(t), _) => m.on_client(core, t, &text),
            (None, _) => m.on_listener(core, now, &text),
        }
    }

    /// Closes the state socket (and removes its file) and the metrics listener.
    pub fn close_status(&mut self, core: &mut Core<DaemonKey>) {
        if let Some(s) = self.status.take() {
            s.shut(core);
        }
        if let Some(m) = self.metrics.take() {
            m.shut(core);
        }
    }

    /// Starts answering every waiting `--status` client with the JSON state (one line).
    fn serve_status(&mut self, core: &mut Core<DaemonKey>, now: Instant) {
        let subs = subsystems!(ref self);
        let Some(s) = &mut self.status else { return };
        s.on_listener(core, now, || subsystem::json(&subs));
    }

    /// Stops the loop once nothing is left to wait for: children, kernel requests.
    fn maybe_finish(&self, core: &mut Core<DaemonKey>) {
        if self.phase == Phase::Stopping && subsystem::stop_done(core.children(), &self.subs()) {
            core.stop();
        }
    }

    fn begin_stop(&mut self, core: &mut Core<DaemonKey>, now: Instant, signo: i32) {
        if self.phase == Phase::Stopping {
            debug!("signal {signo} while stopping: already stopping");
            return;
        }
        info!("Stopping (signal {signo})");
        self.phase = Phase::Stopping;
        self.notify.stopping();
        // Tracking scripts still running are told to stop first (notification scripts are let
        // finish, as keepalived lets them); then priority-0 adverts, VIP removal and the STOP
        // notifications, whose scripts the loop waits for, as it waits for the kernel's
        // answers, up to the deadline.
        core.signal_children_if(libc::SIGTERM, |k| {
            !matches!(k, DaemonKey::Vrrp(vrrp_exec::VrrpKey::Script))
        });
        subsystems!(self, |subs| {
            for s in subs.iter_mut() {
                s.stop(core, now);
            }
        });
        core.arm(now + SHUTDOWN_DEADLINE, DaemonKey::ShutdownDeadline);
    }

    /// SIGHUP. Reading and checking the configuration holds the loop for `reload_cost`; if a
    /// deadline of any subsystem (an advert to send) falls inside that, the reload waits until
    /// just after that deadline, so that a reload never delays an advert (keepalived reloads at
    /// once). A reload at normal priority (see [`Daemon::reload`]) may first wait
    /// [`NORMAL_SCHED_WAIT`] for a CPU: that is added to the margin.
    fn reload_soon(&mut self, core: &mut Core<DaemonKey>, now: Instant) {
        if self.reload_armed {
            return;
        }
        let next = subsystem::next_deadline(&self.subs());
        let wait = if self.reload_demotes() {
            NORMAL_SCHED_WAIT
        } else {
            Duration::ZERO
        };
        match subsystem::reload_at(now, self.reload_cost, wait, next) {
            Some(at) => {
                self.reload_armed = true;
                core.arm(at, DaemonKey::Reload);
            }
            None => self.reload(core, now),
        }
    }

    /// Whether the next reload leaves SCHED_RR for normal priority: under `vrrp_rt_priority`,
    /// when the last reload took RLIMIT_RTTIME or longer, or the limit cannot be lifted (a hard
    /// limit set outside; see [`Daemon::reload`]).
    fn reload_demotes(&self) -> bool {
        let s = self.sched();
        let rttime = Duration::from_micros(u64::from(s.rlimit_rttime.unwrap_or(10_000)));
        s.rt_priority.is_some() && (self.reload_cost >= rttime || !sys::rttime_liftable())
    }

    /// Under `vrrp_rt_priority` a reload that may read a large configuration could run past
    /// RLIMIT_RTTIME (SIGXCPU ends the process) and hold a CPU from the host: keepalived reloads
    /// at normal priority. At normal priority the loop first waits for a CPU behind the host's
    /// other processes, though (measured: 15.9 ms from sched_setscheduler to the reload's first
    /// line on a loaded 2-core host, with an advert due 19.4 ms after the SIGHUP: it went out
    /// 13.8 ms late, the reload itself taking 1.2 ms). So a reload whose last run took
    /// less than RLIMIT_RTTIME stays at SCHED_RR with the limit lifted while it runs (a file that
    /// grew a lot is read once so, the reload after it at normal priority); a longer one, or
    /// any when the hard limit is not unlimited (lifting it needs CAP_SYS_RESOURCE), runs at
    /// normal priority, placed with [`NORMAL_SCHED_WAIT`] to spare. Either way the scheduling
    /// of the new configuration follows.
    fn reload(&mut self, core: &mut Core<DaemonKey>, now: Instant) {
        let rt = self.sched().rt_priority.is_some();
        if rt && (self.reload_demotes() || sys::lift_rttime().is_err()) {
            let left = std::time::Instant::now();
            let _ = sys::set_normal_sched();
            debug!(
                "Reloading at normal priority: a CPU after {:?}",
                left.elapsed()
            );
        }
        self.reload_inner(core, now);
        if rt && self.sched().rt_priority.is_some() {
            self.apply_scheduling();
        } else if rt {
            let _ = sys::set_normal_sched();
        }
        let summary = self.summary();
        self.notify.reloaded(&summary);
    }

    fn reload_inner(&mut self, core: &mut Core<DaemonKey>, now: Instant) {
        let began = std::time::Instant::now();
        self.reloads += 1;
        info!(
            "Reloading (reload {}): re-reading {}",
            self.reloads,
            self.opts.config_file.display()
        );
        let loaded = config::load(&self.opts.config_file, &self.load);
        log_diagnostics(&loaded);
        if loaded.diags.worst() == Some(Severity::Fatal) {
            error!(
                "Reload failed, keeping the running configuration: {}",
                loaded.diags.summary()
            );
            self.reload_cost = began.elapsed();
            return;
        }
        self.config = loaded.config;
        let config = &self.config;
        subsystems!(self, |subs| {
            for s in subs.iter_mut().rev() {
                if let Err(e) = s.apply(config, core, now) {
                    error!("{e}");
                }
            }
        });
        self.settle_after_start(core, now);
        self.follow_metrics_listen(core);
        sys::trim_heap();
        self.reload_cost = began.elapsed();
        info!("Reload finished in {:?}", self.reload_cost);
    }

    fn dump(&self, now: Instant, what: Signal) {
        let uptime = now - self.started;
        let subs = self.subs();
        let part = |d: Dump| subs.iter().map(|s| s.dump(d)).collect::<String>();
        let files = &self.config.global.dumps;
        let (path, text) = match what {
            Signal::Data => (
                files.state_file.as_deref().unwrap_or(DATA_FILE),
                format!(
                    "------< keepalived-rs data >------\n pid = {}\n uptime = {}s\n config file = {}\n reloads = {}\n{}",
                    sys::getpid(),
                    uptime.as_secs(),
                    self.opts.config_file.display(),
                    self.reloads,
                    part(Dump::Data)
                ),
            ),
            Signal::Stats | Signal::StatsClear => (
                files.stats_file.as_deref().unwrap_or(STATS_FILE),
                part(Dump::Stats),
            ),
            Signal::Json => (
                files.json_file.as_deref().unwrap_or(JSON_FILE),
                subsystem::json(&subs),
            ),
            Signal::Reload | Signal::Stop(_) => return,
        };
        match sys::files::replace(Path::new(path), text.as_bytes(), sys::files::MODE) {
            Ok(()) => info!("Wrote {path} on signal {}", what.number()),
            Err(e) => error!("Cannot write {path}: {e}"),
        }
    }

    /// The stop deadline passed: what is left is killed and the loop ends.
    fn stop_deadline(&mut self, core: &mut Core<DaemonKey>) {
        let pending = subsystem::pending(&self.subs());
        if pending > 0 {
            warn!("Stop deadline passed with {pending} kernel request(s) unanswered");
        }
        if core.children() > 0 {
            warn!(
                "Stop deadline passed with {} child process(es) left: killing them",
                core.children()
            );
        }
        core.signal_children(libc::SIGKILL);
        core.stop();
    }

    /// Routes one wake to its owner.
    fn route(&mut self, core: &mut Core<DaemonKey>, now: Instant, wake: Wake<DaemonKey>) {
        match wake {
            Wake::Signal(Signal::Stop(n)) => self.begin_stop(core, now, n),
            Wake::Signal(Signal::Reload) if self.phase == Phase::Stopping => {
                info!("Ignoring reload while stopping")
            }
            Wake::Signal(Signal::Reload) => {
                self.notify.reloading(now);
                self.reload_soon(core, now)
            }
            Wake::Timer {
                owner: DaemonKey::Watchdog,
                ..
            } => self.ping_watchdog(core, now),
            Wake::Timer {
                owner: DaemonKey::Reload,
                ..
            } => {
                self.reload_armed = false;
                if self.phase == Phase::Running {
                    self.reload(core, now);
                }
            }
            Wake::Signal(s @ (Signal::Data | Signal::Stats | Signal::Json)) => {
                info!("Received signal {} ({s:?}): dumping", s.number());
                self.dump(now, s);
            }
            Wake::Signal(s @ Signal::StatsClear) => {
                info!(
                    "Received signal {} (StatsClear): dumping and clearing statistics",
                    s.number()
                );
                self.dump(now, s);
                subsystems!(self, |subs| {
                    for s in subs.iter_mut() {
                        s.clear_counters();
                    }
                });
            }
            Wake::Timer {
                owner: DaemonKey::ShutdownDeadline,
                ..
            } => self.stop_deadline(core),
            Wake::Child { owner, id, end } => {
                let taken = match owner {
                    DaemonKey::Vrrp(k) => self.vrrp.on_child(core, now, k, id, end),
                    DaemonKey::Bfd(k) => self.bfd.on_child(core, now, k, id, end),
                    DaemonKey::Ipvs(k) => self.ipvs.on_child(core, now, k, id, end),
                    _ => false,
                };
                if !taken {
                    match end {
                        ChildEnd::Exited(status) => debug!("child {} exited: {status:?}", id.0),
                        ChildEnd::TimedOut(status) => {
                            warn!("child {} timed out and was killed: {status:?}", id.0)
                        }
                    }
                }
            }
            Wake::Io {
                owner: DaemonKey::Vrrp(k),
                ..
            } => self.vrrp.on_io(core, now, k),
            Wake::Timer {
                owner: DaemonKey::Vrrp(k),
                deadline,
            } => self.vrrp.on_timer(core, now, k, deadline),
            Wake::Io {
                owner: DaemonKey::Bfd(k),
                ..
            } => self.bfd.on_io(core, now, k),
            Wake::Io {
                owner: DaemonKey::Ipvs(k),
                ..
            } => self.ipvs.on_io(core, now, k),
            Wake::Timer {
                owner: DaemonKey::Ipvs(k),
                deadline,
            } => self.ipvs.on_timer(core, now, k, deadline),
            Wake::Timer {
                owner: DaemonKey::Bfd(k),
                deadline,
            } => self.bfd.on_timer(core, now, k, deadline),
            Wake::Io {
                owner: DaemonKey::Mail(k),
                ..
            } => self.mail.on_io(core, now, k),
            Wake::Timer {
                owner: DaemonKey::Mail(k),
                deadline,
            } => self.mail.on_timer(core, now, k, deadline),
            Wake::Io {
                owner: DaemonKey::Status,
                ..
            } => self.serve_status(core, now),
            Wake::Io {
                owner: DaemonKey::StatusClient,
                token,
                ..
            } => {
                if let Some(s) = &mut self.status {
                    s.on_client(core, token);
                }
                // A slot may have freed: take the clients waiting in the backlog.
                self.serve_status(core, now);
            }
            Wake::Timer {
                owner: DaemonKey::StatusDeadline,
                ..
            } => {
                if let Some(s) = &mut self.status {
                    s.on_timer(core, now);
                }
                self.serve_status(core, now);
            }
            Wake::Io {
                owner: DaemonKey::Metrics,
                ..
            } => self.serve_metrics(core, now, None, false),
            Wake::Io {
                owner: DaemonKey::MetricsClient,
                token,
                ..
            } => self.serve_metrics(core, now, Some(token), false),
            Wake::Timer {
                owner: DaemonKey::MetricsDeadline,
                ..
            } => self.serve_metrics(core, now, None, true),
            Wake::Io {
                owner: DaemonKey::Dbus,
                ..
            } => {
                self.dbus.on_io(core, now);
                self.dbus_requests(core, now);
            }
            Wake::Timer {
                owner: DaemonKey::DbusRetry,
                ..
            } => self.dbus.on_timer(core, now),
            Wake::Io {
                owner: DaemonKey::Snmp(_),
                ..
            } => {
                let (vrrp, traps) = (&self.vrrp, self.snmp.traps);
                if let Some(a) = &mut self.snmp.agent {
                    a.on_io(core, now, &|| Self::snmp_tree(vrrp, traps));
                }
            }
            Wake::Timer {
                owner: DaemonKey::Snmp(_),
                ..
            } => {
                if let Some(a) = &mut self.snmp.agent {
                    a.on_timer(core, now);
                }
            }
            Wake::Timer { .. } | Wake::Io { .. } => {}
        }
    }

    /// DBus method calls do what the signals do (`SendGarp`: one round of gratuitous ARPs /
    /// NAs of a master instance).
    fn dbus_requests(&mut self, core: &mut Core<DaemonKey>, now: Instant) {
        for r in self.dbus.take_requests() {
            let sig = match r {
                Request::PrintData => Signal::Data,
                Request::PrintStats => Signal::Stats,
                Request::PrintStatsClear => Signal::StatsClear,
                Request::Reload => Signal::Reload,
                Request::SendGarp(name) => {
                    if let Some(v) = &mut self.vrrp.run {
                        v.send_garp(&name);
                    }
                    continue;
                }
            };
            info!("DBus: {r:?}");
            self.route(core, now, Wake::Signal(sig));
        }
    }
}

impl Handler<DaemonKey> for Daemon {
    fn handle(&mut self, core: &mut Core<DaemonKey>, now: Instant, wake: Wake<DaemonKey>) {
        self.route(core, now, wake);
        self.after_wake(core, now);
    }
}
