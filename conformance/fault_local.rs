//! Fault suite, local side: what an unprivileged local user and a large configuration can do to the
//! files and the state socket of a daemon running as root.
//!
//! - Every file the daemon writes (the SIGUSR1/SIGUSR2/SIGRTMIN+2 dumps, the pid file, the log file,
//!   the notify FIFO, a track file's `init_file`) sits in a `/tmp` where user 65534 (`setpriv`)
//!   plants symlinks to a root-owned victim, pre-creates 0666 files and directories at the names
//!   the daemon used to use. `fs.protected_symlinks` and `fs.protected_regular` are set to 0 for
//!   the test (restored by a guard, also on failure), so the kernel does not hide a daemon that
//!   follows links. The daemon runs in a private mount namespace whose `/tmp` is a directory of the
//!   test (mode 1777), so the real `/tmp` is never touched.
//! - A `-p` path ending in `.sock` keeps its pid file.
//! - 1,000 VRRP instances (250 VRIDs on each of four veths in a namespace): `--status` gives the
//!   whole document, and `--status | head -c 100` ends without a panic.

mod common;

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use common::{Daemon, Netns, bin, is_root, json, poll_until, signum};

const NOBODY: &str = "65534";
const VICTIM_TEXT: &str = "precious root-owned content\n";

fn can_run() -> bool {
    common::require(
        is_root()
            && common::have("setpriv", "--version")
            && common::have("unshare", "--version")
            && Path::new("/proc/sys/fs/protected_symlinks").exists(),
        "local-user attacks need root, setpriv and unshare (util-linux)",
    )
}

/// A global sysctl set for the test and put back on drop.
struct Sysctl {
    path: PathBuf,
    old: String,
}

impl Sysctl {
    fn set(key: &str, val: &str) -> Sysctl {
        let path = Path::new("/proc/sys").join(key.replace('.', "/"));
        let old = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, val).unwrap();
        Sysctl { path, old }
    }
}

impl Drop for Sysctl {
    fn drop(&mut self) {
        let _ = std::fs::write(&self.path, self.old.trim());
    }
}

/// The protections off, once for all the tests of this binary that need them: the guards go when
/// the last such test ends.
fn unprotected() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// A directory of the test outside `/tmp` (which the daemon's namespace replaces): `tmp/` in it,
/// mode 1777, becomes the daemon's `/tmp`; the root-owned victim file lies beside it.
struct Jail {
    dir: PathBuf,
}

impl Jail {
    fn new(tag: &str) -> Jail {
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = PathBuf::from(format!("/run/krs-local-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("tmp")).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::set_permissions(dir.join("tmp"), std::fs::Permissions::from_mode(0o1777)).unwrap();
        std::fs::write(dir.join("victim"), VICTIM_TEXT).unwrap();
        std::fs::set_permissions(dir.join("victim"), std::fs::Permissions::from_mode(0o644))
            .unwrap();
        Jail { dir }
    }

    /// The host's path of `/tmp/NAME` as the daemon sees it.
    fn tmp(&self, name: &str) -> PathBuf {
        self.dir.join("tmp").join(name)
    }

    fn victim(&self) -> PathBuf {
        self.dir.join("victim")
    }

    fn victim_intact(&self) -> bool {
        std::fs::read_to_string(self.victim()).is_ok_and(|t| t == VICTIM_TEXT)
    }

    fn reset_victim(&self) {
        std::fs::write(self.victim(), VICTIM_TEXT).unwrap();
    }

    /// The daemon, foreground, console log, in a private mount namespace with this `/tmp`, in
    /// network namespace `ns` if given. `args` follow the `-f` and `-p` of the jail.
    fn start(&self, conf: &str, ns: Option<&str>, args: &[&str]) -> Daemon {
        let d = self.spawn(conf, ns, args);
        assert!(
            d.wait_for("Startup complete", Duration::from_secs(10))
                .is_some(),
            "daemon did not start:\n{}",
            d.log()
        );
        d
    }

    /// [`Jail::start`] without waiting for the start.
    fn spawn(&self, conf: &str, ns: Option<&str>, args: &[&str]) -> Daemon {
        std::fs::write(self.dir.join("k.conf"), conf).unwrap();
        let mut cmd = format!(
            "mount --bind {tmp} /tmp && exec {bin} -n -l -G -D -f {dir}/k.conf -p {dir}/k.pid",
            tmp = self.dir.join("tmp").display(),
            bin = bin(),
            dir = self.dir.display()
        );
        if let Some(ns) = ns {
            cmd += &format!(" -s {ns}");
        }
        for a in args {
            cmd += " ";
            cmd += a;
        }
        Daemon::start_cmd(Command::new("unshare").args([
            "-m",
            "--propagation",
            "private",
            "sh",
            "-c",
            &cmd,
        ]))
    }
}

impl Drop for Jail {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Runs `argv` as user and group 65534 with no supplementary groups.
fn as_nobody(argv: &[&str]) -> Output {
    let out = Command::new("setpriv")
        .args([
            &format!("--reuid={NOBODY}"),
            &format!("--regid={NOBODY}"),
            "--clear-groups",
            "--",
        ])
        .args(argv)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "as nobody: {argv:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn s(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

/// Number of log lines containing `needle`.
fn count(d: &Daemon, needle: &str) -> usize {
    d.log().lines().filter(|l| l.contains(needle)).count()
}

/// Sends `sig` and waits for the daemon's verdict on `path` (written or not); true if written.
fn dump(d: &Daemon, sig: i32, path: &str) -> bool {
    let wrote = format!("Wrote {path} ");
    let failed = format!("Cannot write {path}");
    let (w0, f0) = (count(d, &wrote), count(d, &failed));
    d.signal(sig);
    assert!(
        poll_until(Duration::from_secs(5), || count(d, &wrote) > w0
            || count(d, &failed) > f0),
        "no verdict on {path} after signal {sig}:\n{}",
        d.log()
    );
    count(d, &wrote) > w0
}

/// "uid 0, mode 0600, a regular file" or what the file is instead.
fn describe(p: &Path) -> String {
    match std::fs::symlink_metadata(p) {
        Ok(m) if m.file_type().is_symlink() => "a symlink".into(),
        Ok(m) if m.is_dir() => "a directory".into(),
        Ok(m) => format!("uid {}, mode {:04o}", m.uid(), m.mode() & 0o7777),
        Err(e) => format!("missing ({e})"),
    }
}

const SAFE: &str = "uid 0, mode 0600";

const DUMPS: [(&str, &str); 3] = [
    ("DATA", "keepalived.data"),
    ("STATS", "keepalived.stats"),
    ("JSON", "keepalived.json"),
];

/// The dumps: symlinks at the old temporary name and at the targets, files pre-created 0666 by
/// the user at both, a directory at the old temporary name, and `-u 0`.
#[test]
fn dumps_resist_a_local_user() {
    if !can_run() {
        return;
    }
    let _one = unprotected();
    let _s = Sysctl::set("fs.protected_symlinks", "0");
    let _r = Sysctl::set("fs.protected_regular", "0");
    let jail = Jail::new("dumps");
    let mut problems = Vec::new();

    let d = jail.start("# empty\n", None, &[]);
    let old_tmp = jail.tmp(&format!("keepalived.tmp{}", d.pid()));
    for (sig, name) in DUMPS {
        let target = jail.tmp(name);
        let path = format!("/tmp/{name}");
        let sig = signum(sig);

        // 1. A symlink at the old temporary name to a root-owned file.
        as_nobody(&["ln", "-sf", &s(&jail.victim()), &s(&old_tmp)]);
        let wrote = dump(&d, sig, &path);
        if !jail.victim_intact() {
            problems.push(format!(
                "{name}: symlink at the temporary name: the victim was overwritten"
            ));
            jail.reset_victim();
        }
        if !wrote || describe(&target) != SAFE {
            problems.push(format!(
                "{name}: symlink at the temporary name: written {wrote}, target {}",
                describe(&target)
            ));
        }
        let _ = std::fs::remove_file(&old_tmp);
        let _ = std::fs::remove_file(&target);

        // 2. A symlink at the target name.
        as_nobody(&["ln", "-sf", &s(&jail.victim()), &s(&target)]);
        let wrote = dump(&d, sig, &path);
        if !jail.victim_intact() {
            problems.push(format!(
                "{name}: symlink at the target: the victim was overwritten"
            ));
            jail.reset_victim();
        }
        if !wrote || describe(&target) != SAFE {
            problems.push(format!(
                "{name}: symlink at the target: written {wrote}, target {}",
                describe(&target)
            ));
        }
        let _ = std::fs::remove_file(&target);

        // 3. Files the user pre-created 0666, at the old temporary name and at the target.
        for planted in [&old_tmp, &target] {
            as_nobody(&[
                "sh",
                "-c",
                &format!("echo planted > {0} && chmod 666 {0}", s(planted)),
            ]);
            let wrote = dump(&d, sig, &path);
            if !wrote || describe(&target) != SAFE {
                problems.push(format!(
                    "{name}: 0666 file pre-created at {}: written {wrote}, target {}",
                    planted.display(),
                    describe(&target)
                ));
            }
            let _ = std::fs::remove_file(&old_tmp);
            let _ = std::fs::remove_file(&target);
        }

        // 4. A directory at the old temporary name.
        as_nobody(&["mkdir", &s(&old_tmp)]);
        let wrote = dump(&d, sig, &path);
        if !wrote || describe(&target) != SAFE {
            problems.push(format!(
                "{name}: directory at the temporary name: written {wrote}, target {}",
                describe(&target)
            ));
        }
        let _ = std::fs::remove_dir(&old_tmp);
        let _ = std::fs::remove_file(&target);
    }
    // Nothing but the targets is left behind (no temporary files).
    let left: Vec<String> = std::fs::read_dir(jail.dir.join("tmp"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    if !left.is_empty() {
        problems.push(format!("left in /tmp: {left:?}"));
    }
    drop(d);

    // 5. Under umask 0 the files are still 0600.
    let d = jail.start("# empty\n", None, &["-u", "0"]);
    for (sig, name) in DUMPS {
        let wrote = dump(&d, signum(sig), &format!("/tmp/{name}"));
        let target = jail.tmp(name);
        if !wrote || describe(&target) != SAFE {
            problems.push(format!(
                "{name} with -u 0: written {wrote}, target {}",
                describe(&target)
            ));
        }
    }
    drop(d);
    assert!(
        problems.is_empty(),
        "{} problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// The pid file, the log file, a notify FIFO and a track file's `init_file`, each a symlink to
/// the root-owned victim planted by the user before the daemon starts. The pid and log files
/// stop the start with a clear error; the FIFO and the track file are refused with an error in the
/// log while the daemon runs on.
#[test]
fn other_files_do_not_follow_a_users_symlink() {
    if !can_run() {
        return;
    }
    let Some(ns) = Netns::try_new("lfiles") else {
        common::require(false, "ip netns add failed");
        return;
    };
    let _one = unprotected();
    let _s = Sysctl::set("fs.protected_symlinks", "0");
    let _r = Sysctl::set("fs.protected_regular", "0");
    let jail = Jail::new("files");
    common::lab::ip(&[
        "-n", &ns.0, "link", "add", "v0", "type", "veth", "peer", "name", "w0",
    ]);
    common::lab::ip(&["-n", &ns.0, "link", "set", "v0", "up"]);
    common::lab::ip(&["-n", &ns.0, "link", "set", "w0", "up"]);
    common::lab::ip(&["-n", &ns.0, "addr", "add", "10.77.0.1/24", "dev", "v0"]);
    let conf = "global_defs {\n    notify_fifo /tmp/k.fifo\n}\n\
        track_file tf {\n    file /tmp/k.track\n    weight 0\n    init_file 0 overwrite\n}\n\
        vrrp_instance VI_1 {\n    state BACKUP\n    interface v0\n    virtual_router_id 7\n    \
        priority 100\n    advert_int 100\n    track_file {\n        tf\n    }\n    \
        virtual_ipaddress {\n        10.77.0.100/32\n    }\n}\n";
    let mut problems = Vec::new();
    let check_victim = |what: &str, problems: &mut Vec<String>| {
        if !jail.victim_intact() {
            problems.push(format!(
                "{what}: the victim now holds {:?}",
                std::fs::read_to_string(jail.victim()).unwrap_or_default()
            ));
            jail.reset_victim();
        }
    };
    for (name, what, flag) in [("k2.pid", "pid file", "-p"), ("k.log", "log file", "-g")] {
        let link = jail.tmp(name);
        as_nobody(&["ln", "-sf", &s(&jail.victim()), &s(&link)]);
        let arg = match flag {
            "-p" => format!("-p /tmp/{name}"),
            _ => format!("-g/tmp/{name}"),
        };
        let mut d = jail.spawn(conf, Some(&ns.0), &[&arg]);
        poll_until(Duration::from_secs(5), || {
            d.log().contains("Startup complete") || d.wait_exit(Duration::ZERO).is_some()
        });
        let started = d.log().contains("Startup complete");
        eprintln!("{what} /tmp/{name} a symlink: {}", d.log().trim_end());
        check_victim(what, &mut problems);
        if started {
            problems.push(format!(
                "{what} /tmp/{name} (a symlink): the daemon started"
            ));
        } else if !d.log().contains(&format!("/tmp/{name}")) && !d.log().contains("log file") {
            problems.push(format!("{what} /tmp/{name}: no clear error: {}", d.log()));
        }
        drop(d);
        let _ = std::fs::remove_file(&link);
    }
    // Regular files the user pre-created 0666: a pid file is refused (the user could make it
    // name any process); a log file is taken over (root's, 0600), as keepalived does.
    for name in ["k3.pid", "k3.log"] {
        as_nobody(&[
            "sh",
            "-c",
            &format!("echo 1 > {0} && chmod 666 {0}", s(&jail.tmp(name))),
        ]);
    }
    let mut d = jail.spawn(conf, Some(&ns.0), &["-p", "/tmp/k3.pid"]);
    poll_until(Duration::from_secs(5), || {
        d.log().contains("Startup complete") || d.wait_exit(Duration::ZERO).is_some()
    });
    eprintln!("pid file pre-created by the user: {}", d.log().trim_end());
    if d.log().contains("Startup complete") {
        problems.push(format!(
            "pid file pre-created 0666 by the user: used, now {}",
            describe(&jail.tmp("k3.pid"))
        ));
    }
    drop(d);
    let d = jail.start(conf, Some(&ns.0), &["-g/tmp/k3.log"]);
    let log = jail.tmp("k3.log");
    eprintln!("log file pre-created by the user: {}", describe(&log));
    if describe(&log) != SAFE {
        problems.push(format!(
            "log file pre-created 0666 by the user: now {}",
            describe(&log)
        ));
    }
    drop(d);
    for name in ["k.fifo", "k.track"] {
        let _ = std::fs::remove_file(jail.tmp(name));
        as_nobody(&["ln", "-sf", &s(&jail.victim()), &s(&jail.tmp(name))]);
    }
    let d = jail.start(conf, Some(&ns.0), &[]);
    // The instance enters BACKUP: a line for the FIFO, after the track file was initialised.
    let entered = d.wait_for("Entering BACKUP STATE", Duration::from_secs(5));
    assert!(entered.is_some(), "{}", d.log());
    check_victim("FIFO and track file", &mut problems);
    for name in ["k.fifo", "k.track"] {
        let link = jail.tmp(name);
        let still_link = std::fs::symlink_metadata(&link).is_ok_and(|m| m.file_type().is_symlink());
        let logged = d
            .log()
            .lines()
            .any(|l| l.contains(&format!("/tmp/{name}")) && l.contains("symbolic link"));
        eprintln!(
            "/tmp/{name} a symlink: {:?}",
            d.log()
                .lines()
                .find(|l| l.contains(&format!("/tmp/{name}")))
        );
        if !still_link || !logged {
            problems.push(format!(
                "/tmp/{name}: still the user's symlink {still_link}, refusal logged {logged}"
            ));
        }
    }
    drop(d);
    assert!(
        problems.is_empty(),
        "{} problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// `-p /x/k.sock`: the pid file stays a file with the pid (and its lock holds), the state socket
/// lies elsewhere and answers.
#[test]
fn a_pid_file_named_sock_stays_the_pid_file() {
    let dir = common::TempDir::new("pidsock");
    let pid_file = dir.path().join("k.sock");
    let conf = dir.path().join("k.conf");
    std::fs::write(&conf, "# empty\n").unwrap();
    let args = |p: &Path| -> Vec<String> {
        vec![
            "-n".into(),
            "-l".into(),
            "-G".into(),
            "-f".into(),
            s(&conf),
            "-p".into(),
            s(p),
        ]
    };
    let d = Daemon::start(&args(&pid_file));
    assert!(
        d.wait_for("Startup complete", Duration::from_secs(5))
            .is_some(),
        "{}",
        d.log()
    );
    let m = std::fs::symlink_metadata(&pid_file).unwrap();
    assert!(
        m.is_file(),
        "the pid file {} became {:?}",
        pid_file.display(),
        m.file_type()
    );
    assert_eq!(
        std::fs::read_to_string(&pid_file).unwrap().trim(),
        d.pid().to_string()
    );
    // A second daemon on the same pid file is refused.
    let out = Command::new(bin()).args(args(&pid_file)).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "second daemon: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = Command::new(bin())
        .args(["--status", "-p", &s(&pid_file)])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "--status: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "[]");
}

/// 1,000 VRRP instances: `--status` gives all of them, parsed whole; `--status | head -c 100`
/// ends quietly.
#[test]
fn status_with_1000_instances_is_whole() {
    if !common::require(is_root(), "1,000 instances need root (netns)") {
        return;
    }
    let Some(ns) = Netns::try_new("lsts") else {
        common::require(false, "ip netns add failed");
        return;
    };
    let mut conf = String::new();
    for k in 0..4 {
        let (a, b) = (format!("v{k}"), format!("w{k}"));
        common::lab::ip(&[
            "-n", &ns.0, "link", "add", &a, "type", "veth", "peer", "name", &b,
        ]);
        for l in [&a, &b] {
            common::lab::ip(&["-n", &ns.0, "link", "set", l, "up"]);
        }
        common::lab::ip(&[
            "-n",
            &ns.0,
            "addr",
            "add",
            &format!("10.78.{k}.1/24"),
            "dev",
            &a,
        ]);
        for vrid in 1..=250 {
            conf += &format!(
                "vrrp_instance VI_{k}_{vrid} {{\n    state BACKUP\n    interface {a}\n    \
                 virtual_router_id {vrid}\n    priority 100\n    advert_int 100\n    \
                 virtual_ipaddress {{\n        10.79.{k}.{vrid}/32\n    }}\n}}\n"
            );
        }
    }
    let dir = common::TempDir::new("lsts");
    let conf_file = dir.path().join("k.conf");
    std::fs::write(&conf_file, conf).unwrap();
    let pid_file = dir.path().join("k.pid");
    let d = Daemon::start(&[
        "-n".into(),
        "-l".into(),
        "-G".into(),
        "-s".into(),
        ns.0.clone(),
        "-f".into(),
        s(&conf_file),
        "-p".into(),
        s(&pid_file),
    ]);
    assert!(
        d.wait_for("Startup complete", Duration::from_secs(30))
            .is_some(),
        "{}",
        d.log()
    );
    let out = Command::new(bin())
        .args(["--status", "-p", &s(&pid_file)])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    eprintln!(
        "--status: {} bytes, exit {:?}, stderr {:?}",
        text.len(),
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "--status failed");
    let j = json::parse(text.trim()).unwrap_or_else(|e| {
        panic!(
            "--status is not whole JSON ({e}); {} bytes, ends {:?}",
            text.len(),
            &text[text.len().saturating_sub(80)..]
        )
    });
    assert_eq!(j.arr().len(), 1000, "instances in --status");

    // 20 clients that connect and never read, more than the daemon answers at once: a
    // `--status` behind them is still answered whole, once the stalled ones are dropped.
    let sock = pid_file.with_file_name("k.status.sock");
    let stalled: Vec<std::os::unix::net::UnixStream> = (0..20)
        .map(|_| std::os::unix::net::UnixStream::connect(&sock).unwrap())
        .collect();
    let t0 = std::time::Instant::now();
    let out = Command::new(bin())
        .args(["--status", "-p", &s(&pid_file)])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    eprintln!(
        "--status behind 20 stalled clients: {} bytes in {:?}, exit {:?}, stderr {:?}",
        text.len(),
        t0.elapsed(),
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success());
    let j = json::parse(text.trim()).unwrap_or_else(|e| panic!("not whole JSON: {e}"));
    assert_eq!(j.arr().len(), 1000, "instances in --status");
    drop(stalled);

    // Into a pipe its reader closes after 100 bytes: no panic, no backtrace.
    let out = Command::new("bash")
        .args([
            "-c",
            &format!(
                "set -o pipefail; {} --status -p {} | head -c 100 >/dev/null",
                bin(),
                s(&pid_file)
            ),
        ])
        .env("RUST_BACKTRACE", "1")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    eprintln!(
        "--status | head -c 100: exit {:?}, stderr {err:?}",
        out.status.code()
    );
    assert!(
        !err.contains("panicked") && !err.contains("backtrace"),
        "{err}"
    );
    assert!(out.status.success(), "exit {:?}: {err}", out.status.code());
}

/// A pipe whose reader is already gone: every write to it fails with EPIPE.
fn broken_pipe() -> Stdio {
    use std::os::fd::FromRawFd;
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for two descriptors.
    assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
    // SAFETY: both are ours; the read end is closed at once.
    unsafe {
        libc::close(fds[0]);
        Stdio::from(std::os::fd::OwnedFd::from_raw_fd(fds[1]))
    }
}

/// Every command-line output into a pipe nobody reads (stdout, and stderr for the error paths):
/// no panic (exit status 101), no backtrace.
#[test]
fn cli_output_into_closed_pipes_does_not_panic() {
    let dir = common::TempDir::new("lpipe");
    let conf = dir.path().join("k.conf");
    std::fs::write(&conf, "vrrp_instance X {\n  bogus_keyword\n}\n").unwrap();
    let c = s(&conf);
    let no_daemon = s(&dir.path().join("none.pid"));
    // (what, args, stdout broken, stderr broken)
    let cases: [(&str, Vec<&str>, bool, bool); 8] = [
        ("--version", vec!["--version"], true, false),
        ("--help", vec!["--help"], true, false),
        ("--signum", vec!["--signum=JSON"], true, false),
        ("--signum unknown", vec!["--signum=NOPE"], false, true),
        ("-t -d", vec!["-t", "-d", "-f", &c], true, true),
        ("bad flag", vec!["--no-such-flag"], false, true),
        (
            "--status, no daemon",
            vec!["--status", "-p", &no_daemon],
            false,
            true,
        ),
        (
            "-l, foreground",
            vec![
                "-n",
                "-l",
                "-G",
                "-f",
                "/nonexistent/k.conf",
                "-p",
                &no_daemon,
            ],
            true,
            true,
        ),
    ];
    let mut problems = Vec::new();
    for (what, args, out_broken, err_broken) in cases {
        let mut cmd = Command::new(bin());
        cmd.args(&args)
            .env("RUST_BACKTRACE", "1")
            .stdin(Stdio::null());
        cmd.stdout(if out_broken {
            broken_pipe()
        } else {
            Stdio::piped()
        });
        cmd.stderr(if err_broken {
            broken_pipe()
        } else {
            Stdio::piped()
        });
        let out = cmd.output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        eprintln!("{what}: exit {:?}, stderr {err:?}", out.status.code());
        if out.status.code() == Some(101) || err.contains("panicked") {
            problems.push(format!("{what}: exit {:?}: {err}", out.status.code()));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
