//! The service manager's notifications: systemd's `Type=notify` protocol (sd_notify(3)) and its
//! watchdog, without libsystemd.
//!
//! What is said and when (keepalived's messages where it has them, see
//! `keepalived/core/systemd.c`):
//! - `READY=1`, `MAINPID=`, `STATUS=` once the first configuration runs (keepalived: when
//!   every child reported its start-up complete);
//! - `RELOADING=1` with `MONOTONIC_USEC=` (the `CLOCK_MONOTONIC` time the reload began, which
//!   systemd 253's `Type=notify-reload` asks for; keepalived sends the first word only) when
//!   SIGHUP comes, `READY=1` with the new `STATUS=` when the reload is over, also when it failed
//!   and the running configuration stays;
//! - `STOPPING=1` when an orderly stop begins;
//! - `STATUS=` again when what it counts changed (an event between subsystems: a VRRP state, a
//!   BFD session), looked at after each wake with events and at each watchdog ping;
//! - `WATCHDOG=1` every half `WATCHDOG_USEC` from a timer of the loop (keepalived has no
//!   watchdog), so a loop that stalls stops pinging and systemd restarts the daemon.
//!
//! The message texts, the status line and the reading of the environment are pure functions
//! (unit-tested here); [`Notifier`] sends through [`crate::sys::notify`] and never fails the
//! daemon: with no `NOTIFY_SOCKET` it does nothing, and a send that fails (no listener, a full
//! queue) is counted and logged once.

use std::io;
use std::time::Duration;

use log::{debug, info, warn};

use crate::sys::notify::{NotifyEnv, NotifySocket};
use crate::time::Instant;

/// The watchdog ping: `WATCHDOG=1`.
pub const WATCHDOG: &str = "WATCHDOG=1";

/// The shortest ping interval taken from `WATCHDOG_USEC` (a smaller period would have the
/// loop do little else).
pub const MIN_PING: Duration = Duration::from_millis(1);

/// What the status line counts; `None`: that subsystem does not run.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Summary {
    /// VRRP instances, and how many of them are MASTER.
    pub vrrp: Option<(usize, usize)>,
    /// BFD sessions, and how many of them are Up.
    pub bfd: Option<(usize, usize)>,
    /// Virtual servers.
    pub virtual_servers: Option<usize>,
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The `STATUS=` text of a running daemon: "2 VRRP instances, 1 master; 1 BFD session, 1 up;
/// 3 virtual servers", or "nothing to run" when no subsystem runs.
pub fn status_line(s: &Summary) -> String {
    let mut parts = Vec::new();
    if let Some((n, masters)) = s.vrrp {
        parts.push(format!(
            "{}, {masters} master",
            plural(n, "VRRP instance", "VRRP instances")
        ));
    }
    if let Some((n, up)) = s.bfd {
        parts.push(format!(
            "{}, {up} up",
            plural(n, "BFD session", "BFD sessions")
        ));
    }
    if let Some(n) = s.virtual_servers {
        parts.push(plural(n, "virtual server", "virtual servers"));
    }
    if parts.is_empty() {
        return "nothing to run".to_string();
    }
    parts.join("; ")
}

/// A `STATUS=` field: one line (a newline would start another field).
fn status_field(text: &str) -> String {
    format!("STATUS={}", text.replace('\n', " "))
}

/// The first configuration runs: `READY=1`, the daemon's pid, its status.
pub fn ready(pid: i32, status: &str) -> String {
    format!("READY=1\nMAINPID={pid}\n{}", status_field(status))
}

/// A reload begins at `now` (`CLOCK_MONOTONIC`).
pub fn reloading(now: Instant) -> String {
    format!(
        "RELOADING=1\nMONOTONIC_USEC={}\n{}",
        now.as_nanos() / 1000,
        status_field("reloading the configuration")
    )
}

/// A reload is over (applied or refused): ready again, with the status it left.
pub fn reloaded(status: &str) -> String {
    format!("READY=1\n{}", status_field(status))
}

/// An orderly stop begins.
pub fn stopping() -> String {
    format!("STOPPING=1\n{}", status_field("stopping"))
}

/// A new status line alone.
pub fn status(text: &str) -> String {
    status_field(text)
}

/// How often to ping the watchdog: half of `WATCHDOG_USEC` (as sd_watchdog_enabled(3)
/// advises), at least [`MIN_PING`]; `None` when no watchdog is asked for, or it is meant for
/// another process (`WATCHDOG_PID` set to a pid not `own_pid`: the daemon forked away from the
/// process systemd started). A value that is not a number is an error (sd_watchdog_enabled
/// returns -EINVAL for it); `WATCHDOG_USEC=0` is no watchdog.
pub fn ping_interval(
    usec: Option<&str>,
    pid: Option<&str>,
    own_pid: i32,
) -> Result<Option<Duration>, String> {
    let Some(usec) = usec else { return Ok(None) };
    let period: u64 = usec
        .trim()
        .parse()
        .map_err(|_| format!("WATCHDOG_USEC={usec} is not a number of microseconds"))?;
    if let Some(pid) = pid {
        let pid: i32 = pid
            .trim()
            .parse()
            .map_err(|_| format!("WATCHDOG_PID={pid} is not a pid"))?;
        if pid != own_pid {
            return Ok(None);
        }
    }
    if period == 0 {
        return Ok(None);
    }
    Ok(Some(Duration::from_micros(period / 2).max(MIN_PING)))
}

/// The daemon's end of the notifications: the socket (none without `NOTIFY_SOCKET`), the
/// watchdog interval, the status line sent last. Every method is a no-op when it is off.
pub struct Notifier {
    env: NotifyEnv,
    sock: Option<NotifySocket>,
    /// Why the socket could not be made (logged by [`Notifier::start`]).
    open_error: Option<io::Error>,
    watchdog: Option<Duration>,
    last_status: String,
    /// Sends that failed; the first is a warning, the rest debug lines.
    pub failures: u64,
    /// Messages sent.
    pub sent: u64,
}

impl Notifier {
    /// Nothing to notify.
    pub fn off() -> Notifier {
        Notifier::open(NotifyEnv::default())
    }

    /// The socket for `env`'s `NOTIFY_SOCKET`, made now (before `-s` moves the daemon into
    /// another network namespace: an abstract address is looked up where the socket is
    /// made). Errors are kept for [`Notifier::start`] to log.
    pub fn open(env: NotifyEnv) -> Notifier {
        let (sock, open_error) = match env.socket.as_deref().map(NotifySocket::open) {
            Some(Ok(s)) => (Some(s), None),
            Some(Err(e)) => (None, Some(e)),
            None => (None, None),
        };
        Notifier {
            env,
            sock,
            open_error,
            watchdog: None,
            last_status: String::new(),
            failures: 0,
            sent: 0,
        }
    }

    /// In the daemon's process (after daemonizing): logs what the environment asked for, and
    /// reads the watchdog for `own_pid`.
    pub fn start(&mut self, own_pid: i32) {
        let addr = self.env.socket.as_deref().unwrap_or_default();
        if let Some(e) = self.open_error.take() {
            warn!("NOTIFY_SOCKET={addr}: {e}; no service manager notifications");
        }
        if self.sock.is_none() {
            return;
        }
        match ping_interval(
            self.env.watchdog_usec.as_deref(),
            self.env.watchdog_pid.as_deref(),
            own_pid,
        ) {
            Ok(w) => self.watchdog = w,
            Err(e) => warn!("{e}: no watchdog pings"),
        }
        match self.watchdog {
            Some(w) => info!("Notifying the service manager at {addr}, watchdog pings every {w:?}"),
            None => info!("Notifying the service manager at {addr}"),
        }
    }

    /// Whether messages go anywhere.
    pub fn is_on(&self) -> bool {
        self.sock.is_some()
    }

    /// How often to ping the watchdog, when asked to.
    pub fn watchdog(&self) -> Option<Duration> {
        self.watchdog
    }

    /// Sends one message; a failure is counted and logged, never more.
    pub fn send(&mut self, msg: &str) {
        let Some(s) = &self.sock else { return };
        match s.send(msg) {
            Ok(()) => self.sent += 1,
            Err(e) => {
                self.failures += 1;
                let first = msg.lines().next().unwrap_or_default();
                if self.failures == 1 {
                    warn!(
                        "Cannot notify the service manager ({first}): {e}; the daemon runs on (later failures at debug level)"
                    );
                } else {
                    debug!("Service manager notification failed again ({first}): {e}");
                }
            }
        }
    }

    /// `READY=1` for the first configuration.
    pub fn ready(&mut self, pid: i32, s: &Summary) {
        self.last_status = status_line(s);
        let msg = ready(pid, &self.last_status);
        self.send(&msg);
    }

    /// `RELOADING=1` as a reload begins at `now`.
    pub fn reloading(&mut self, now: Instant) {
        self.send(&reloading(now));
    }

    /// `READY=1` as a reload is over.
    pub fn reloaded(&mut self, s: &Summary) {
        self.last_status = status_line(s);
        let msg = reloaded(&self.last_status);
        self.send(&msg);
    }

    /// `STOPPING=1`.
    pub fn stopping(&mut self) {
        self.send(&stopping());
    }

    /// `STATUS=` when the line changed since it was last sent.
    pub fn status(&mut self, s: &Summary) {
        let line = status_line(s);
        if line != self.last_status {
            let msg = status(&line);
            self.last_status = line;
            self.send(&msg);
        }
    }

    /// `WATCHDOG=1`.
    pub fn ping(&mut self) {
        self.send(WATCHDOG);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_lines() {
        let s = Summary {
            vrrp: Some((2, 1)),
            bfd: Some((1, 1)),
            virtual_servers: Some(3),
        };
        assert_eq!(
            status_line(&s),
            "2 VRRP instances, 1 master; 1 BFD session, 1 up; 3 virtual servers"
        );
        let s = Summary {
            vrrp: Some((1, 0)),
            ..Summary::default()
        };
        assert_eq!(status_line(&s), "1 VRRP instance, 0 master");
        let s = Summary {
            virtual_servers: Some(1),
            bfd: Some((0, 0)),
            ..Summary::default()
        };
        assert_eq!(status_line(&s), "0 BFD sessions, 0 up; 1 virtual server");
        assert_eq!(status_line(&Summary::default()), "nothing to run");
    }

    #[test]
    fn messages() {
        assert_eq!(ready(42, "x"), "READY=1\nMAINPID=42\nSTATUS=x");
        assert_eq!(
            reloading(Instant::from_nanos(12_345_678_999)),
            "RELOADING=1\nMONOTONIC_USEC=12345678\nSTATUS=reloading the configuration"
        );
        assert_eq!(reloaded("a\nb"), "READY=1\nSTATUS=a b");
        assert_eq!(stopping(), "STOPPING=1\nSTATUS=stopping");
        assert_eq!(status("y"), "STATUS=y");
        assert_eq!(WATCHDOG, "WATCHDOG=1");
    }

    #[test]
    fn watchdog_from_the_environment() {
        let ms = Duration::from_millis;
        assert_eq!(ping_interval(None, None, 7), Ok(None));
        assert_eq!(ping_interval(None, Some("7"), 7), Ok(None));
        assert_eq!(ping_interval(Some("200000"), None, 7), Ok(Some(ms(100))));
        assert_eq!(
            ping_interval(Some("10000000"), Some("7"), 7),
            Ok(Some(ms(5000)))
        );
        // Meant for another process (the launcher of a daemonizing start).
        assert_eq!(ping_interval(Some("200000"), Some("8"), 7), Ok(None));
        assert_eq!(ping_interval(Some("0"), None, 7), Ok(None));
        // Tiny periods are floored; the largest value does not overflow.
        assert_eq!(ping_interval(Some("1"), None, 7), Ok(Some(MIN_PING)));
        assert!(ping_interval(Some("18446744073709551615"), None, 7).is_ok_and(|d| d.is_some()));
        for bad in ["", "ten", "-5", "1.5", "18446744073709551616"] {
            assert!(ping_interval(Some(bad), None, 7).is_err(), "{bad}");
        }
        assert!(ping_interval(Some("100"), Some("x"), 7).is_err());
    }

    #[test]
    fn off_does_nothing() {
        let mut n = Notifier::off();
        n.start(1);
        assert!(!n.is_on());
        assert_eq!(n.watchdog(), None);
        n.ready(1, &Summary::default());
        n.ping();
        assert_eq!((n.sent, n.failures), (0, 0));
    }

    #[test]
    fn status_sent_only_when_changed() {
        let l = crate::sys::notify::Listener::new("dnotify");
        let mut n = Notifier::open(NotifyEnv {
            socket: Some(l.path.clone()),
            watchdog_usec: Some("300000".into()),
            watchdog_pid: None,
        });
        n.start(5);
        assert_eq!(n.watchdog(), Some(Duration::from_millis(150)));
        let one = Summary {
            vrrp: Some((1, 0)),
            ..Summary::default()
        };
        n.ready(5, &one);
        n.status(&one);
        n.status(&Summary {
            vrrp: Some((1, 1)),
            ..Summary::default()
        });
        let mut got = Vec::new();
        let mut buf = [0u8; 256];
        while let Ok(len) = l.sock.recv(&mut buf) {
            got.push(String::from_utf8_lossy(&buf[..len]).into_owned());
        }
        assert_eq!(
            got,
            [
                "READY=1\nMAINPID=5\nSTATUS=1 VRRP instance, 0 master",
                "STATUS=1 VRRP instance, 1 master"
            ]
        );
        drop(l);
        n.ping();
        n.ping();
        assert_eq!((n.sent, n.failures), (2, 2));
    }
}
