//! systemd integration: the notify protocol (sd_notify(3)) and the watchdog, and the packaged
//! unit.
//!
//! - The daemon runs in a one-router lab with one VRRP instance, `NOTIFY_SOCKET` pointing at a
//!   unix datagram socket this test binds and `WATCHDOG_USEC=200000`; the test reads every
//!   datagram with the time it came and checks the messages and their order: `READY=1` with
//!   `MAINPID` and a `STATUS`, the status line when the instance becomes master, `WATCHDOG=1`
//!   every 100 ms (none while the daemon is SIGSTOPped, again after SIGCONT), `RELOADING=1`
//!   with a `MONOTONIC_USEC` not before the SIGHUP, then `READY=1`, `STOPPING=1` at SIGTERM.
//! - A `NOTIFY_SOCKET` with nobody behind it (a missing path, a socket file nobody listens on),
//!   an abstract socket that is never read (its queue fills under 1 ms watchdog pings), a
//!   `vsock:` address and a bad `WATCHDOG_USEC` do not stop the daemon: it starts, reloads and
//!   stops with status 0.
//! - With `-s`, an abstract `NOTIFY_SOCKET` of the namespace the daemon was started in is
//!   reached from the namespace it enters.
//! - `systemd-analyze verify` passes on `packaging/systemd/keepalived-rs.service` (a copy
//!   whose `ExecStart` names the binary built here, the man pages on a `MANPATH`), with no
//!   warning.
//!
//! Needs root and `ip netns` (and `systemd-analyze` for the last test); without them each test
//! prints one `SKIP` line (a failure under `KEEPALIVED_RS_FULL_TESTS=1`).

mod common;

use std::os::unix::net::UnixDatagram;
use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::lab::{Lab, daemon_cmd, enter_ns, prerequisites};
use common::{Daemon, TempDir, poll_until, require};

/// One instance on eth0 that becomes master after its Master_Down_Interval (about 0.4 s), with
/// `extra` lines in it.
fn conf(lab: &Lab, extra: &str) -> String {
    let net = lab.net;
    format!(
        "global_defs {{\n    router_id sd0\n    script_user root\n}}\n\
         vrrp_instance VI_1 {{\n    state BACKUP\n    interface eth0\n    virtual_router_id 61\n    \
         priority 100\n    version 3\n    advert_int 0.1\n    virtual_ipaddress {{\n        \
         10.99.{net}.61/24\n    }}\n{extra}}}\n"
    )
}

/// The datagrams read so far, each with the time it was read.
type Inbox = Arc<Mutex<Vec<(Instant, String)>>>;

/// Reads `sock` on a thread until the test ends (the inbox is dropped).
fn listen(sock: UnixDatagram) -> Inbox {
    let inbox: Inbox = Arc::default();
    let weak = Arc::downgrade(&inbox);
    sock.set_read_timeout(Some(Duration::from_millis(50)))
        .unwrap();
    std::thread::spawn(move || {
        let mut buf = vec![0u8; 4096];
        loop {
            let r = sock.recv(&mut buf);
            let Some(inbox) = weak.upgrade() else { return };
            if let Ok(n) = r {
                let msg = String::from_utf8_lossy(&buf[..n]).into_owned();
                inbox.lock().unwrap().push((Instant::now(), msg));
            }
        }
    });
    inbox
}

fn messages(inbox: &Inbox) -> Vec<(Instant, String)> {
    inbox.lock().unwrap().clone()
}

/// The index of the first message from `from` on whose fields include `field`, waiting up to
/// 5 s.
fn wait_msg(inbox: &Inbox, from: usize, field: &str) -> Option<usize> {
    let mut at = None;
    poll_until(Duration::from_secs(5), || {
        at = messages(inbox)
            .iter()
            .enumerate()
            .skip(from)
            .find(|(_, (_, m))| m.lines().any(|l| l == field))
            .map(|(i, _)| i);
        at.is_some()
    });
    at
}

/// The value of `key=` in message `msg`.
fn field<'a>(msg: &'a str, key: &str) -> Option<&'a str> {
    msg.lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix('='))
}

/// When each `WATCHDOG=1` was read.
fn pings(inbox: &Inbox) -> Vec<Instant> {
    messages(inbox)
        .into_iter()
        .filter(|(_, m)| m == "WATCHDOG=1")
        .map(|(t, _)| t)
        .collect()
}

fn monotonic_usec() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: ts is a valid out-pointer.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000 + ts.tv_nsec as u64 / 1000
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v.get(v.len() / 2).copied().unwrap_or_default()
}

#[test]
fn notify_messages_in_order_and_watchdog_pings() {
    if !prerequisites(None) {
        return;
    }
    let lab = Lab::new("sd", 1);
    let dir = TempDir::new("sdnotify");
    // The notify script writes its environment: the notification variables are not in it.
    let script = dir.path().join("env.sh");
    let env_file = dir.path().join("env");
    std::fs::write(
        &script,
        format!("#!/bin/sh\nenv > {}\n", env_file.display()),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let conf_path = dir.path().join("keepalived.conf");
    let extra = format!("    notify_master {}\n", script.display());
    std::fs::write(&conf_path, conf(&lab, &extra)).unwrap();
    let sock_path = dir.path().join("notify");
    let inbox = listen(UnixDatagram::bind(&sock_path).unwrap());

    let mut cmd = daemon_cmd(&lab.routers[0].ns, false, &conf_path, dir.path());
    cmd.env("NOTIFY_SOCKET", &sock_path)
        .env("WATCHDOG_USEC", "200000")
        .env_remove("WATCHDOG_PID");
    let mut d = Daemon::start_cmd(&mut cmd);
    // `ip netns exec` execs the daemon: the child's pid is the daemon's.
    let pid = d.pid();

    let ready =
        wait_msg(&inbox, 0, "READY=1").unwrap_or_else(|| panic!("no READY=1; log:\n{}", d.log()));
    let msgs = messages(&inbox);
    assert_eq!(ready, 0, "READY=1 comes first: {msgs:?}");
    let first = &msgs[0].1;
    assert_eq!(field(first, "MAINPID"), Some(pid.to_string().as_str()));
    assert_eq!(
        field(first, "STATUS"),
        Some("1 VRRP instance, 0 master"),
        "{first:?}"
    );
    let master = wait_msg(&inbox, 1, "STATUS=1 VRRP instance, 1 master")
        .unwrap_or_else(|| panic!("no status line for the master: {:?}", messages(&inbox)));
    assert!(master > 0);
    assert!(poll_until(Duration::from_secs(5), || {
        std::fs::read_to_string(&env_file).is_ok_and(|e| e.contains("PATH="))
    }));
    let env = std::fs::read_to_string(&env_file).unwrap();
    for var in ["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"] {
        assert!(!env.contains(var), "the script inherits {var}:\n{env}");
    }

    // Pings every 100 ms (half of WATCHDOG_USEC): over 1 s, about 10.
    let t0 = Instant::now();
    assert!(poll_until(Duration::from_secs(3), || pings(&inbox)
        .iter()
        .filter(|t| **t > t0)
        .count()
        >= 11));
    let p: Vec<Instant> = pings(&inbox).into_iter().filter(|t| *t > t0).collect();
    let gaps: Vec<Duration> = p.windows(2).map(|w| w[1] - w[0]).collect();
    let m = median(gaps.clone());
    assert!(
        m >= Duration::from_millis(85) && m <= Duration::from_millis(130),
        "median ping interval {m:?} (gaps {gaps:?})"
    );
    eprintln!("watchdog: median interval {m:?} over {} gaps", gaps.len());

    // A stopped loop does not ping; a continued one pings again at once.
    d.signal(libc::SIGSTOP);
    let stopped = Instant::now();
    // Absence is observed over a window: 6 periods of 100 ms.
    std::thread::sleep(Duration::from_millis(600));
    let during: Vec<Instant> = pings(&inbox)
        .into_iter()
        .filter(|t| *t > stopped + Duration::from_millis(30))
        .collect();
    assert!(during.is_empty(), "{} pings while stopped", during.len());
    let cont = Instant::now();
    d.signal(libc::SIGCONT);
    assert!(
        poll_until(Duration::from_secs(1), || pings(&inbox)
            .iter()
            .any(|t| *t > cont)),
        "no ping after SIGCONT"
    );
    let back = pings(&inbox).into_iter().find(|t| *t > cont).unwrap() - cont;
    eprintln!("watchdog: first ping {back:?} after SIGCONT (600 ms stopped)");
    assert!(
        poll_until(Duration::from_secs(1), || pings(&inbox)
            .iter()
            .filter(|t| **t > cont)
            .count()
            >= 3),
        "pings do not go on after SIGCONT"
    );

    // Reload: RELOADING=1 (with the monotonic time it began) then READY=1.
    let from = messages(&inbox).len();
    let before = monotonic_usec();
    d.signal(libc::SIGHUP);
    let reloading = wait_msg(&inbox, from, "RELOADING=1").expect("no RELOADING=1");
    let msgs = messages(&inbox);
    let usec: u64 = field(&msgs[reloading].1, "MONOTONIC_USEC")
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no MONOTONIC_USEC in {:?}", msgs[reloading].1));
    assert!(
        usec >= before && usec <= monotonic_usec(),
        "MONOTONIC_USEC={usec}, SIGHUP at {before}"
    );
    let again = wait_msg(&inbox, reloading + 1, "READY=1").expect("no READY=1 after reload");
    let msgs = messages(&inbox);
    assert_eq!(
        field(&msgs[again].1, "STATUS"),
        Some("1 VRRP instance, 1 master")
    );
    assert!(
        msgs[from..reloading].iter().all(|(_, m)| m == "WATCHDOG=1"),
        "{msgs:?}"
    );

    // Stop: STOPPING=1, then the daemon exits 0 and says nothing but pings after it.
    let from = msgs.len();
    d.signal(libc::SIGTERM);
    let stopping = wait_msg(&inbox, from, "STOPPING=1").expect("no STOPPING=1");
    let status = d.wait_exit(Duration::from_secs(6)).expect("daemon exits");
    assert!(status.success(), "{status:?}");
    let msgs = messages(&inbox);
    assert!(
        msgs[stopping + 1..].iter().all(|(_, m)| m == "WATCHDOG=1"),
        "{:?}",
        &msgs[stopping..]
    );
    let kinds: Vec<&str> = msgs
        .iter()
        .map(|(_, m)| m.lines().next().unwrap_or(""))
        .filter(|k| *k != "WATCHDOG=1")
        .collect();
    eprintln!("messages but pings, in order: {kinds:?}");
    assert_eq!(
        kinds,
        [
            "READY=1",
            "STATUS=1 VRRP instance, 1 master",
            "RELOADING=1",
            "READY=1",
            "STOPPING=1"
        ]
    );
}

/// Starts the daemon in `lab` with `env`, reloads it and stops it: it must run through all of
/// it and exit 0. Returns its log.
fn runs_through(lab: &Lab, dir: &Path, env: &[(&str, &str)]) -> String {
    let conf_path = dir.join("keepalived.conf");
    std::fs::write(&conf_path, conf(lab, "")).unwrap();
    let mut cmd = daemon_cmd(&lab.routers[0].ns, false, &conf_path, dir);
    for k in ["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"] {
        cmd.env_remove(k);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut d = Daemon::start_cmd(&mut cmd);
    assert!(
        d.wait_for("Startup complete", Duration::from_secs(10))
            .is_some(),
        "{env:?}: no start; log:\n{}",
        d.log()
    );
    assert!(
        d.wait_for("Entering MASTER STATE", Duration::from_secs(5))
            .is_some(),
        "{env:?}: the instance does not run; log:\n{}",
        d.log()
    );
    d.signal(libc::SIGHUP);
    assert!(
        d.wait_for("Reload finished", Duration::from_secs(5))
            .is_some(),
        "{env:?}: no reload; log:\n{}",
        d.log()
    );
    d.signal(libc::SIGTERM);
    let status = d.wait_exit(Duration::from_secs(6));
    assert!(
        status.is_some_and(|s| s.success()),
        "{env:?}: {status:?}; log:\n{}",
        d.log()
    );
    d.log()
}

#[test]
fn a_notify_socket_nobody_reads_does_not_stop_the_daemon() {
    if !prerequisites(None) {
        return;
    }
    let lab = Lab::new("sdx", 1);
    let dir = TempDir::new("sdbad");
    let p = |n: &str| dir.path().join(n).to_string_lossy().into_owned();

    // No such path.
    let log = runs_through(
        &lab,
        dir.path(),
        &[
            ("NOTIFY_SOCKET", &p("missing/notify")),
            ("WATCHDOG_USEC", "100000"),
        ],
    );
    assert_eq!(
        log.matches("Cannot notify the service manager").count(),
        1,
        "one warning, the rest at debug level:\n{log}"
    );

    // A socket file whose socket is closed (ECONNREFUSED).
    let stale = p("stale");
    drop(UnixDatagram::bind(&stale).unwrap());
    let log = runs_through(&lab, dir.path(), &[("NOTIFY_SOCKET", &stale)]);
    assert!(log.contains("Cannot notify the service manager"), "{log}");

    // An abstract socket in the daemon's namespace that is never read, with a ping every 1 ms:
    // its queue fills and sends would block; they do not.
    let name = format!("krs-sd-full-{}", std::process::id());
    let ns = lab.routers[0].ns.clone();
    let abs = name.clone();
    let held = std::thread::spawn(move || {
        use std::os::linux::net::SocketAddrExt;
        enter_ns(&ns).unwrap();
        let a = std::os::unix::net::SocketAddr::from_abstract_name(abs.as_bytes()).unwrap();
        UnixDatagram::bind_addr(&a).unwrap()
    })
    .join()
    .unwrap();
    let log = runs_through(
        &lab,
        dir.path(),
        &[
            ("NOTIFY_SOCKET", &format!("@{name}")),
            ("WATCHDOG_USEC", "2000"),
        ],
    );
    assert!(log.contains("watchdog pings every 1ms"), "{log}");
    assert!(
        log.contains(
            "Cannot notify the service manager (WATCHDOG=1): Resource temporarily unavailable"
        ),
        "{log}"
    );
    // What it could queue before the queue filled: READY=1 first.
    held.set_nonblocking(true).unwrap();
    let mut buf = [0u8; 512];
    let n = held.recv(&mut buf).unwrap();
    assert!(buf[..n].starts_with(b"READY=1\nMAINPID="));

    // An address kind not supported, a watchdog period that is not a number.
    let log = runs_through(&lab, dir.path(), &[("NOTIFY_SOCKET", "vsock:2:999")]);
    assert!(log.contains("NOTIFY_SOCKET=vsock:2:999"), "{log}");
    let listener = UnixDatagram::bind(p("ok")).unwrap();
    let log = runs_through(
        &lab,
        dir.path(),
        &[("NOTIFY_SOCKET", &p("ok")), ("WATCHDOG_USEC", "soon")],
    );
    assert!(log.contains("WATCHDOG_USEC=soon"), "{log}");
    drop(listener);

    // No NOTIFY_SOCKET: not a word about it.
    let log = runs_through(&lab, dir.path(), &[]);
    assert!(!log.contains("service manager"), "{log}");
}

/// `-s`: the daemon enters the lab's namespace itself, after making its notification socket,
/// so an abstract `NOTIFY_SOCKET` of the namespace it was started in (this test's) is reached.
#[test]
fn an_abstract_socket_is_reached_across_dash_s() {
    if !prerequisites(None) {
        return;
    }
    use std::os::linux::net::SocketAddrExt;
    let lab = Lab::new("sds", 1);
    let dir = TempDir::new("sdns");
    let conf_path = dir.path().join("keepalived.conf");
    std::fs::write(&conf_path, conf(&lab, "")).unwrap();
    let name = format!("krs-sd-ns-{}", std::process::id());
    let addr = std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes()).unwrap();
    let inbox = listen(UnixDatagram::bind_addr(&addr).unwrap());
    let pid_file = dir.path().join("rs.pid");
    let mut cmd = Command::new(common::bin());
    cmd.args(["-n", "-l", "-D", "-s", &lab.routers[0].ns, "-f"])
        .arg(&conf_path)
        .arg("-p")
        .arg(&pid_file)
        .env("NOTIFY_SOCKET", format!("@{name}"));
    let mut d = Daemon::start_cmd(&mut cmd);
    assert!(
        wait_msg(&inbox, 0, "READY=1").is_some(),
        "no READY=1; log:\n{}",
        d.log()
    );
    assert!(wait_msg(&inbox, 0, "STATUS=1 VRRP instance, 1 master").is_some());
    d.signal(libc::SIGTERM);
    assert!(wait_msg(&inbox, 0, "STOPPING=1").is_some());
    assert!(
        d.wait_exit(Duration::from_secs(6))
            .is_some_and(|s| s.success())
    );
}

#[test]
fn packaged_unit_passes_systemd_analyze_verify() {
    if !require(
        common::have("systemd-analyze", "--version"),
        "systemd-analyze not installed",
    ) {
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let unit =
        std::fs::read_to_string(root.join("packaging/systemd/keepalived-rs.service")).unwrap();
    assert!(unit.contains("ExecStart=/usr/sbin/keepalived-rs "));
    assert!(unit.lines().any(|l| l == "Type=notify"), "{unit}");
    assert!(
        unit.lines().any(|l| l.starts_with("WatchdogSec=")),
        "{unit}"
    );
    let dir = TempDir::new("sdunit");
    // verify wants the ExecStart binary and the man pages of Documentation= to exist.
    let copy = unit.replace("/usr/sbin/keepalived-rs", common::bin());
    let path = dir.path().join("keepalived-rs.service");
    std::fs::write(&path, copy).unwrap();
    for (sec, page) in [("8", "keepalived-rs.8"), ("5", "keepalived-rs.conf.5")] {
        let d = dir.path().join(format!("man/man{sec}"));
        std::fs::create_dir_all(&d).unwrap();
        std::fs::copy(root.join("man").join(page), d.join(page)).unwrap();
    }
    let out = Command::new("systemd-analyze")
        .arg("verify")
        .arg(&path)
        .env("MANPATH", dir.path().join("man"))
        .output()
        .unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "systemd-analyze verify: {said}");
    assert!(
        said.trim().is_empty(),
        "systemd-analyze verify warns: {said}"
    );
}
