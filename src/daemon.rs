//! The daemon: the process lifecycle here (daemonize, pid file, core pattern, [`run`]); the
//! dispatcher the event loop drives in [`dispatch`] ([`Daemon`]), over subsystems of one shape
//! ([`Subsystem`], in `subsystem`; VRRP and BFD in `subsystems`; the DBus service of
//! `enable_dbus` in `dbus`, a consumer of VRRP's events) with one queue of events between them.
//!
//! Start-up order: network namespace (`-s`), umask, logging, daemonize (unless `-n`), pid file, the
//! reactor, then the loop. When daemonizing, the launcher waits on a pipe until the daemon holds the
//! pid file and the loop is built, then exits 0; or it prints the daemon's error and exits 1. So an init
//! script sees a failure as a failure, and the pid file always names the daemon, not the launcher.
//!
//! Signals: HUP reloads (the configuration is re-read; the protocol machines arrive in later work),
//! TERM/INT stop in order within [`SHUTDOWN_DEADLINE`], USR1/USR2/SIGRTMIN+2/SIGRTMAX-1 write the
//! data, stats and JSON dumps.
//!
//! Under a service manager (`NOTIFY_SOCKET` set: systemd's `Type=notify`) the daemon says when it is
//! ready, reloading and stopping, and pings the watchdog from its loop ([`notify`]).

use std::io::{self, Read, Write};
use std::os::fd::OwnedFd;
use std::path::PathBuf;
use std::time::Duration;

use log::{error, info, warn};

use crate::cli::Options;
use crate::config::{LoadOptions, Loaded, Severity};
use crate::pidfile::PidFile;
use crate::reactor::{Reactor, ReactorConfig};
use crate::sys::{self, Forked};
use notify::Notifier;

mod dbus;
mod dispatch;
mod mail;
pub mod notify;
mod snmp;
mod subsystem;
mod subsystems;

pub use dispatch::{Daemon, DaemonKey};
pub use subsystem::{Dump, Event, Events, Routed, Subsystem};

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

/// Runs the daemon on a loaded configuration until it stops, telling the service manager
/// through `notifier` (see [`notify`]). Returns the exit status.
pub fn run(opts: Options, load: LoadOptions, loaded: Loaded, mut notifier: Notifier) -> i32 {
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

    let mut reactor: Reactor<DaemonKey> = match Reactor::new(&ReactorConfig {
        ignore_sigint: opts.ignore_sigint,
    }) {
        Ok(r) => r,
        Err(e) => return fail(&mut ready, format!("cannot set up the event loop: {e}")),
    };
    let now = reactor.now();
    let mut daemon = Daemon::new(opts, load, loaded.config, now);
    if let Err(e) = daemon.start(reactor.core(), now) {
        return fail(&mut ready, e);
    }
    daemon.open_status(reactor.core());
    daemon.apply_scheduling();
    ready.notify(Ok(()));
    info!("Startup complete");
    notifier.start(sys::getpid());
    let at = reactor.now();
    daemon.notify_ready(notifier, reactor.core(), at);
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
    daemon.close_status(reactor.core());
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
