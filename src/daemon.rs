//! The daemon: start-up, the handler the event loop drives, orderly shutdown.
//!
//! Start-up order: network namespace (`-s`), umask, logging, daemonize (unless `-n`), pid file, the
//! reactor, then the loop. When daemonizing, the launcher waits on a pipe until the daemon holds the
//! pid file and the loop is built, then exits 0; or it prints the daemon's error and exits 1. So an init
//! script sees a failure as a failure, and the pid file always names the daemon, not the launcher.
//!
//! Signals: HUP reloads (the configuration is re-read; the protocol machines arrive in later work),
//! TERM/INT stop in order within [`SHUTDOWN_DEADLINE`], USR1/USR2/SIGRTMIN+2/SIGRTMAX-1 write the
//! data, stats and JSON dumps.

use std::io::{self, Read, Write};
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::time::Duration;

use log::{debug, error, info, warn};

use crate::bfdd::{self, Bfdd};
use crate::cli::Options;
use crate::config::{self, Config, LoadOptions, Loaded, Severity};
use crate::pidfile::PidFile;
use crate::reactor::{ChildEnd, Core, Handler, Reactor, ReactorConfig, Signal, Wake};
use crate::status::{self, StatusServer};
use crate::sys::{self, Forked};
use crate::time::Instant;
use crate::vrrpd::{self, Vrrpd};

/// How long an orderly stop may take before remaining children are killed (keepalived's
/// `child_wait_time` default).
pub const SHUTDOWN_DEADLINE: Duration = Duration::from_secs(5);

/// Exit statuses of the daemon (keepalived's values).
pub mod exit {
    pub const OK: i32 = 0;
    /// Usage errors and fatal start-up errors.
    pub const FATAL: i32 = 1;
    /// The configuration cannot run.
    pub const CONFIG: i32 = 3;
}

/// keepalived's default dump files.
pub const DATA_FILE: &str = "/tmp/keepalived.data";
pub const STATS_FILE: &str = "/tmp/keepalived.stats";
pub const JSON_FILE: &str = "/tmp/keepalived.json";

/// Who owns a timer, fd or child of the daemon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    /// The deadline of an orderly stop.
    ShutdownDeadline,
    /// A reload put off until just after the next advert (see [`Daemon::reload_soon`]).
    Reload,
    /// The state socket (`--status`): the listener, a client being answered, their deadlines.
    Status,
    StatusClient,
    StatusDeadline,
    /// The VRRP side: its sockets and timers.
    Vrrp(vrrpd::Key),
    /// The BFD side: its sockets and timers.
    Bfd(bfdd::Key),
}

impl From<bfdd::Key> for Key {
    fn from(k: bfdd::Key) -> Key {
        Key::Bfd(k)
    }
}

impl From<vrrpd::Key> for Key {
    fn from(k: vrrpd::Key) -> Key {
        Key::Vrrp(k)
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
    reload_cost: std::time::Duration,
    /// A reload is waiting for its slot.
    reload_armed: bool,
    vrrp: Option<Vrrpd>,
    bfd: Option<Bfdd>,
    /// The state socket `--status` reads (root only, read-only).
    status: Option<StatusServer<Key>>,
}

impl Daemon {
    pub fn new(opts: Options, load: LoadOptions, config: Config, now: Instant) -> Daemon {
        Daemon {
            opts,
            load,
            config,
            phase: Phase::Running,
            started: now,
            reloads: 0,
            reload_cost: std::time::Duration::from_millis(5),
            reload_armed: false,
            vrrp: None,
            bfd: None,
            status: None,
        }
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
        if let Some(p) = s.rt_priority {
            let rttime = u64::from(s.rlimit_rttime.unwrap_or(10_000));
            match sys::set_realtime(i32::from(p), rttime) {
                Ok(()) => info!("Running at SCHED_RR priority {p} (RLIMIT_RTTIME {rttime} us)"),
                Err(e) => warn!("vrrp_rt_priority {p}: {e}"),
            }
        }
    }

    /// Starts the VRRP instances of the configuration (when the VRRP subsystem runs and there
    /// are any).
    pub fn start_vrrp(&mut self, core: &mut Core<Key>, now: Instant) -> Result<(), String> {
        if !self.opts.subsystems.vrrp || self.config.vrrp.instances.is_empty() {
            return Ok(());
        }
        let v = Vrrpd::start(
            &self.config,
            self.opts.dont_release_vrrp,
            self.opts.log_detail,
            core,
            now,
        )
        .map_err(|e| format!("cannot start VRRP: {e}"))?;
        info!("VRRP: {} instance(s) running", v.len());
        self.vrrp = Some(v);
        Ok(())
    }

    /// Starts the BFD sessions of the configuration (when the BFD subsystem runs and there are
    /// any). Before VRRP, so that `track_bfd` sees the sessions from the start.
    pub fn start_bfd(&mut self, core: &mut Core<Key>, now: Instant) {
        if !self.opts.subsystems.bfd || self.config.bfd.instances.is_empty() {
            return;
        }
        let b = Bfdd::start(&self.config, core, now);
        info!("BFD: {} session(s) running", b.len());
        self.bfd = Some(b);
    }

    /// Hands the BFD sessions that went Up or left Up to `track_bfd` (and, with the checkers,
    /// to `BFD_CHECK`): in the same wake, after the session's outputs are drained.
    fn forward_bfd(&mut self, core: &mut Core<Key>, now: Instant) {
        let Some(b) = &mut self.bfd else { return };
        for c in b.take_changes() {
            if c.vrrp
                && let Some(v) = &mut self.vrrp
            {
                v.bfd_changed(core, now, &c.name, c.up);
            }
        }
    }

    /// Tells VRRP the state of every session it tracks: all start Down; with no BFD subsystem
    /// (`-B`) or no such session, `track_bfd` entries count as up.
    fn seed_bfd_states(&mut self, core: &mut Core<Key>, now: Instant) {
        let Some(v) = &mut self.vrrp else { return };
        for name in v.tracked_bfds() {
            let up = match &self.bfd {
                Some(b) => b.is_up(&name),
                None => None,
            };
            v.bfd_changed(core, now, &name, up.unwrap_or(true));
        }
    }

    /// Opens the state socket beside the pid file (mode 0600: root only). The pid file's lock
    /// says no other daemon uses the name, so a leftover socket file is removed first.
    pub fn open_status(&mut self, core: &mut Core<Key>) {
        let path = status::socket_path(&self.opts.pid_file);
        match StatusServer::open(
            path.clone(),
            core,
            Key::Status,
            Key::StatusClient,
            Key::StatusDeadline,
        ) {
            Ok(s) => {
                debug!("State socket at {}", path.display());
                self.status = Some(s);
            }
            Err(e) => warn!("No state socket at {}: {e}", path.display()),
        }
    }

    /// Starts answering every waiting `--status` client with the JSON state (one line).
    fn serve_status(&mut self, core: &mut Core<Key>, now: Instant) {
        let Some(s) = &mut self.status else { return };
        let vrrp = &self.vrrp;
        s.on_listener(core, now, || {
            let views = vrrp.as_ref().map(|v| v.views()).unwrap_or_default();
            vrrpd::dump::json(&views)
        });
    }

    /// Stops the loop once nothing is left to wait for: children, kernel requests.
    fn maybe_finish(&self, core: &mut Core<Key>) {
        if self.phase == Phase::Stopping
            && core.children() == 0
            && self.vrrp.as_ref().is_none_or(|v| v.pending() == 0)
        {
            core.stop();
        }
    }

    fn begin_stop(&mut self, core: &mut Core<Key>, now: Instant, signo: i32) {
        if self.phase == Phase::Stopping {
            debug!("signal {signo} while stopping: already stopping");
            return;
        }
        info!("Stopping (signal {signo})");
        self.phase = Phase::Stopping;
        // Tracking scripts still running are told to stop first (notification scripts are let
        // finish, as keepalived lets them); then priority-0 adverts, VIP removal and the STOP
        // notifications, whose scripts the loop waits for, as it waits for the kernel's
        // answers, up to the deadline.
        core.signal_children_if(libc::SIGTERM, |k| {
            !matches!(k, Key::Vrrp(vrrpd::Key::Script))
        });
        if let Some(v) = &mut self.vrrp {
            v.stop(core, now);
        }
        if let Some(b) = &mut self.bfd {
            b.stop(core, now);
        }
        core.arm(now + SHUTDOWN_DEADLINE, Key::ShutdownDeadline);
        self.maybe_finish(core);
    }

    /// SIGHUP. Reading and checking the configuration holds the loop for `reload_cost`; if a
    /// VRRP deadline (an advert to send) falls inside that, the reload waits until just after
    /// that deadline, so that a reload never delays an advert (keepalived reloads at once).
    fn reload_soon(&mut self, core: &mut Core<Key>, now: Instant) {
        if self.reload_armed {
            return;
        }
        let margin = self.reload_cost * 2 + std::time::Duration::from_millis(1);
        let next_vrrp = self.vrrp.as_ref().and_then(|v| v.next_deadline());
        match next_vrrp {
            Some(next) if next < now + margin => {
                self.reload_armed = true;
                core.arm(next + std::time::Duration::from_micros(50), Key::Reload);
            }
            _ => self.reload(core, now),
        }
    }

    fn reload(&mut self, core: &mut Core<Key>, now: Instant) {
        // Reading a large configuration may take longer than RLIMIT_RTTIME allows a real-time
        // process without blocking: run it at normal priority.
        let rt = self.sched().rt_priority;
        if rt.is_some() {
            let _ = sys::set_normal_sched();
        }
        self.reload_inner(core, now);
        if rt.is_some() {
            self.apply_scheduling();
        }
    }

    fn reload_inner(&mut self, core: &mut Core<Key>, now: Instant) {
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
        match &mut self.bfd {
            Some(b) => b.reload(&self.config, core, now),
            None => self.start_bfd(core, now),
        }
        match &mut self.vrrp {
            Some(v) => v.reload(&self.config, core, now),
            None => {
                if let Err(e) = self.start_vrrp(core, now) {
                    error!("{e}");
                }
            }
        }
        self.seed_bfd_states(core, now);
        self.forward_bfd(core, now);
        self.reload_cost = began.elapsed();
        info!("Reload finished in {:?}", self.reload_cost);
    }

    fn dump(&self, now: Instant, what: Signal) {
        let uptime = now - self.started;
        let views = self.vrrp.as_ref().map(|v| v.views()).unwrap_or_default();
        let bfd_views = self.bfd.as_ref().map(|b| b.views());
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
                    vrrpd::dump::topology(&views)
                ) + &bfd_views
                    .map(|b| bfdd::dump::topology(&b))
                    .unwrap_or_default(),
            ),
            Signal::Stats | Signal::StatsClear => (
                files.stats_file.as_deref().unwrap_or(STATS_FILE),
                vrrpd::dump::stats(&views)
                    + &self
                        .bfd
                        .as_ref()
                        .map(|b| bfdd::dump::stats(&b.views(), &b.counters()))
                        .unwrap_or_default(),
            ),
            Signal::Json => (
                files.json_file.as_deref().unwrap_or(JSON_FILE),
                vrrpd::dump::json(&views),
            ),
            Signal::Reload | Signal::Stop(_) => return,
        };
        match sys::files::replace(Path::new(path), text.as_bytes(), sys::files::MODE) {
            Ok(()) => info!("Wrote {path} on signal {}", what.number()),
            Err(e) => error!("Cannot write {path}: {e}"),
        }
    }
}

impl Handler<Key> for Daemon {
    fn handle(&mut self, core: &mut Core<Key>, now: Instant, wake: Wake<Key>) {
        match wake {
            Wake::Signal(Signal::Stop(n)) => self.begin_stop(core, now, n),
            Wake::Signal(Signal::Reload) if self.phase == Phase::Stopping => {
                info!("Ignoring reload while stopping")
            }
            Wake::Signal(Signal::Reload) => self.reload_soon(core, now),
            Wake::Timer {
                owner: Key::Reload, ..
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
                if let Some(v) = &mut self.vrrp {
                    v.clear_counters();
                }
                if let Some(b) = &mut self.bfd {
                    b.clear_counters();
                }
            }
            Wake::Timer {
                owner: Key::ShutdownDeadline,
                ..
            } => {
                let pending = self.vrrp.as_ref().map_or(0, |v| v.pending());
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
            Wake::Child {
                owner: Key::Vrrp(vrrpd::Key::Tracker(k)),
                id,
                end,
            } => {
                if let Some(v) = &mut self.vrrp {
                    v.on_tracker_child(core, now, k, id, end);
                }
                self.maybe_finish(core);
            }
            Wake::Child { id, end, .. } => {
                match end {
                    ChildEnd::Exited(status) => debug!("child {} exited: {status:?}", id.0),
                    ChildEnd::TimedOut(status) => {
                        warn!("child {} timed out and was killed: {status:?}", id.0)
                    }
                }
                self.maybe_finish(core);
            }
            Wake::Io {
                owner: Key::Vrrp(k),
                ..
            } => {
                if let Some(v) = &mut self.vrrp {
                    v.on_io(core, now, k);
                }
                self.maybe_finish(core);
            }
            Wake::Timer {
                owner: Key::Vrrp(vrrpd::Key::Timer(i)),
                ..
            } => {
                if let Some(v) = &mut self.vrrp {
                    v.on_timer(core, now, i);
                }
            }
            Wake::Io {
                owner: Key::Status, ..
            } => self.serve_status(core, now),
            Wake::Io {
                owner: Key::StatusClient,
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
                owner: Key::StatusDeadline,
                ..
            } => {
                if let Some(s) = &mut self.status {
                    s.on_timer(core, now);
                }
                self.serve_status(core, now);
            }
            Wake::Io {
                owner: Key::Bfd(k), ..
            } => {
                if let Some(b) = &mut self.bfd {
                    b.on_io(core, now, k);
                }
                self.forward_bfd(core, now);
            }
            Wake::Timer {
                owner: Key::Bfd(bfdd::Key::Timer(i)),
                deadline,
            } => {
                if let Some(b) = &mut self.bfd {
                    b.on_timer(core, now, i, deadline);
                }
                self.forward_bfd(core, now);
            }
            Wake::Timer {
                owner: Key::Vrrp(vrrpd::Key::Tracker(k)),
                deadline,
            } => {
                if let Some(v) = &mut self.vrrp {
                    v.on_tracker_timer(core, now, k, deadline);
                }
            }
            Wake::Timer { .. } | Wake::Io { .. } => {}
        }
    }
}

/// The launcher's end of the start-up pipe (daemon mode), or nothing (foreground).
pub struct Ready(Option<OwnedFd>);

impl Ready {
    /// Tells the launcher how start-up went; the launcher then exits.
    pub fn notify(&mut self, result: Result<(), &str>) {
        if let Some(fd) = self.0.take() {
            let mut f = std::fs::File::from(fd);
            let msg = match result {
                Ok(()) => "OK\n".to_string(),
                Err(e) => format!("ERR {e}\n"),
            };
            let _ = f.write_all(msg.as_bytes());
        }
    }
}

/// Daemonizes: returns in the daemon (grandchild); the launcher waits for [`Ready::notify`] and exits.
pub fn daemonize() -> io::Result<Ready> {
    let (rd, wr) = sys::pipe()?;
    match sys::fork()? {
        Forked::Parent { .. } => {
            drop(wr);
            let mut msg = String::new();
            let _ = std::fs::File::from(rd).read_to_string(&mut msg);
            match msg.lines().next() {
                Some("OK") => std::process::exit(exit::OK),
                Some(line) => {
                    crate::cli::print_err(&format!(
                        "keepalived-rs: {}\n",
                        line.strip_prefix("ERR ").unwrap_or(line)
                    ));
                    std::process::exit(exit::FATAL)
                }
                None => {
                    crate::cli::print_err(
                        "keepalived-rs: the daemon exited during start-up (see the system log)\n",
                    );
                    std::process::exit(exit::FATAL)
                }
            }
        }
        Forked::Child => {}
    }
    drop(rd);
    sys::setsid()?;
    match sys::fork()? {
        // The session leader goes at once, so the daemon can never reacquire a terminal.
        Forked::Parent { .. } => unsafe_exit_now(),
        Forked::Child => {}
    }
    std::env::set_current_dir("/")?;
    sys::stdio_to_devnull()?;
    Ok(Ready(Some(wr)))
}

/// Leaves the intermediate child without running destructors or atexit handlers of the parent.
fn unsafe_exit_now() -> ! {
    // SAFETY: _exit is always safe to call; it skips destructors, which belong to the launcher.
    unsafe { libc::_exit(0) }
}

/// Logs each diagnostic of a load with its location, at the level its severity deserves.
pub fn log_diagnostics(loaded: &Loaded) {
    for d in &loaded.diags.list {
        let at = d
            .loc
            .map(|l| loaded.sources.display(l) + ": ")
            .unwrap_or_default();
        let hint = d
            .hint
            .as_ref()
            .map(|h| format!(" ({h})"))
            .unwrap_or_default();
        match d.severity {
            Severity::Note => info!("{at}{}{hint}", d.message),
            Severity::Warning => warn!("{at}{}{hint}", d.message),
            Severity::Security | Severity::Fatal => error!("{at}{}{hint}", d.message),
        }
    }
}

/// Runs the daemon on a loaded configuration until it stops. Returns the exit status.
pub fn run(opts: Options, load: LoadOptions, loaded: Loaded) -> i32 {
    let mut ready = Ready(None);
    if !opts.dont_fork {
        match daemonize() {
            Ok(r) => ready = r,
            Err(e) => {
                error!("Cannot daemonize: {e}");
                crate::cli::print_err(&format!("keepalived-rs: cannot daemonize: {e}\n"));
                return exit::FATAL;
            }
        }
    }
    let console = opts.log_console;
    let fail = |ready: &mut Ready, msg: String| {
        error!("{msg}");
        if ready.0.is_some() {
            ready.notify(Err(&msg));
        } else if !console {
            crate::cli::print_err(&format!("keepalived-rs: {msg}\n"));
        }
        exit::FATAL
    };

    let pid_file = match PidFile::acquire(&opts.pid_file, &opts.extra_pid_files) {
        Ok(p) => p,
        Err(e) => return fail(&mut ready, e.to_string()),
    };
    if let Some(old) = pid_file.stale_pid {
        info!(
            "Replaced stale pid file {} (pid {old} is gone)",
            pid_file.path().display()
        );
    }

    info!("Starting keepalived-rs v{}", env!("CARGO_PKG_VERSION"));
    info!("Running on {}", sys::uname());
    let words: Vec<String> = std::env::args().map(|a| format!("'{a}'")).collect();
    info!("Command line: {}", words.join(" "));
    for flag in &opts.ignored {
        warn!("{flag} is a keepalived build option; ignored");
    }
    if opts.snmp || opts.snmp_agent_socket.is_some() {
        warn!("SNMP is not supported by keepalived-rs; -x/-A ignored");
    }
    info!("Configuration file {}", opts.config_file.display());
    log_diagnostics(&loaded);
    if loaded.diags.worst() == Some(Severity::Fatal) {
        let msg = format!(
            "the configuration {} cannot run ({}); `keepalived-rs -t -f {}` shows why",
            opts.config_file.display(),
            loaded.diags.summary(),
            opts.config_file.display()
        );
        fail(&mut ready, msg);
        return exit::CONFIG;
    }

    let core_pattern = CorePattern::apply(&opts);

    let mut reactor: Reactor<Key> = match Reactor::new(&ReactorConfig {
        ignore_sigint: opts.ignore_sigint,
    }) {
        Ok(r) => r,
        Err(e) => return fail(&mut ready, format!("cannot set up the event loop: {e}")),
    };
    let now = reactor.now();
    let mut daemon = Daemon::new(opts, load, loaded.config, now);
    daemon.start_bfd(reactor.core(), now);
    if let Err(e) = daemon.start_vrrp(reactor.core(), now) {
        return fail(&mut ready, e);
    }
    daemon.seed_bfd_states(reactor.core(), now);
    daemon.open_status(reactor.core());
    daemon.apply_scheduling();
    ready.notify(Ok(()));
    info!("Startup complete");
    let status = match reactor.run(&mut daemon) {
        Ok(()) => {
            info!("Stopped keepalived-rs v{}", env!("CARGO_PKG_VERSION"));
            exit::OK
        }
        Err(e) => {
            error!("event loop failed: {e}");
            exit::FATAL
        }
    };
    drop(core_pattern);
    if let Some(s) = daemon.status.take() {
        s.shut(reactor.core());
    }
    drop(pid_file);
    status
}

/// `-m` / `-M`: core dumps on, and the kernel's core pattern set (restored on drop).
struct CorePattern {
    restore: Option<String>,
}

const CORE_PATTERN_FILE: &str = "/proc/sys/kernel/core_pattern";

impl CorePattern {
    fn apply(opts: &Options) -> CorePattern {
        if opts.core_dump
            && let Err(e) = sys::unlimited_core()
        {
            warn!("Cannot raise RLIMIT_CORE: {e}");
        }
        let mut restore = None;
        if let Some(pattern) = &opts.core_dump_pattern {
            match std::fs::read_to_string(CORE_PATTERN_FILE) {
                Ok(old) => match std::fs::write(CORE_PATTERN_FILE, pattern) {
                    Ok(()) => restore = Some(old),
                    Err(e) => warn!("Cannot set {CORE_PATTERN_FILE}: {e}"),
                },
                Err(e) => warn!("Cannot read {CORE_PATTERN_FILE}: {e}"),
            }
        }
        CorePattern { restore }
    }
}

impl Drop for CorePattern {
    fn drop(&mut self) {
        if let Some(old) = self.restore.take() {
            let _ = std::fs::write(CORE_PATTERN_FILE, old.trim_end());
        }
    }
}

/// `-s NAME`: the path iproute2 bind-mounts a named namespace at.
pub fn netns_path(name: &str) -> PathBuf {
    PathBuf::from("/run/netns").join(name)
}
