//! Fault suite, script security (issue 11, defect 6): with `enable_script_security`, no script that
//! a non-root user could change runs as root, whatever kind of script it is (notify scripts of an
//! instance and of a sync group, `notify_stop`, the FIFO reader scripts), and scripts run as the
//! user keepalived 2.2.7 would choose, or not at all where it would run none.
//!
//! Each script writes a marker file holding the uid it ran as. A real daemon runs one VRRP router
//! in a network namespace (it becomes MASTER alone: BACKUP, then MASTER, then STOP at SIGTERM).
//! Needs root and `ip netns`; without them each test prints one `SKIP` line (a failure under
//! `KEEPALIVED_RS_FULL_TESTS=1`).

mod common;

use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::lab::Lab;
use common::{Daemon, TempDir, bin, is_root, poll_until, require};

fn can_run() -> bool {
    require(is_root(), "not root: network namespace tests need root")
        && require(
            common::have("ip", "-V"),
            "iproute2 (`ip`) not installed: needed for the namespace labs",
        )
}

/// Time for the daemon to become MASTER (adverts every 100 ms) and run its scripts.
const SLACK: Duration = Duration::from_secs(10);

/// A script tree under a root-owned 0755 directory (as /etc/keepalived is), and the directory the
/// scripts write their markers to (writable by everyone, so `nobody` can write there too).
struct Tree {
    dir: TempDir,
    marks: PathBuf,
}

impl Tree {
    fn new(tag: &str) -> Tree {
        let dir = TempDir::new(tag);
        chmod(dir.path(), 0o755);
        let marks = dir.path().join("marks");
        std::fs::create_dir(&marks).unwrap();
        chmod(&marks, 0o777);
        Tree { dir, marks }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// A directory (mode `mode`, owner `uid`).
    fn mkdir(&self, rel: &str, mode: u32, uid: u32) -> PathBuf {
        let p = self.path(rel);
        std::fs::create_dir_all(&p).unwrap();
        chmod(&p, mode);
        chown(&p, uid);
        p
    }

    /// A script that writes its uid to `marks/$1`.
    fn script(&self, rel: &str, mode: u32) -> PathBuf {
        let p = self.path(rel);
        std::fs::write(
            &p,
            format!("#!/bin/sh\nid -u > {}/\"$1\"\n", self.marks.display()),
        )
        .unwrap();
        chmod(&p, mode);
        p
    }

    /// The uid the script called with `name` ran as, if it ran.
    fn ran(&self, name: &str) -> Option<u32> {
        let s = std::fs::read_to_string(self.marks.join(name)).ok()?;
        s.trim().parse().ok()
    }

    fn markers(&self) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(&self.marks)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }
}

fn chmod(p: &Path, mode: u32) {
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn chown(p: &Path, uid: u32) {
    std::os::unix::fs::lchown(p, Some(uid), None).unwrap();
}

/// Starts keepalived-rs in router 0 of `lab` on `text` (written to the tree).
fn start(lab: &Lab, tree: &Tree, text: &str) -> Daemon {
    let conf = tree.path("keepalived.conf");
    std::fs::write(&conf, text).unwrap();
    let pid = tree.path("rs.pid");
    let mut cmd = Command::new("ip");
    cmd.args(["netns", "exec", &lab.routers[0].ns, bin()])
        .args(["-n", "-l", "-D", "-f"])
        .arg(&conf)
        .arg("-p")
        .arg(&pid);
    Daemon::start_cmd(&mut cmd)
}

/// One instance on eth0, its extra lines `inst`.
fn instance(name: &str, vrid: u8, vip: &str, inst: &str) -> String {
    format!(
        "vrrp_instance {name} {{\n    state BACKUP\n    interface eth0\n    virtual_router_id {vrid}\n\
         \x20   priority 100\n    version 3\n    advert_int 0.1\n{inst}\
         \x20   virtual_ipaddress {{\n        {vip}/24\n    }}\n}}\n"
    )
}

/// Stops the daemon with SIGTERM (running `notify_stop`) and waits for it.
fn stop(d: &mut Daemon) {
    d.signal(libc::SIGTERM);
    assert!(
        d.wait_exit(SLACK).is_some(),
        "daemon did not stop\n{}",
        d.log()
    );
}

/// (a), (b): notify scripts of every kind that a non-root user could change, each run as root,
/// never run (before the fix, every one of them ran as root); the log says each was disabled; a
/// safe script runs as `script_user` (nobody), and a safe one given `root` runs as root.
#[test]
fn unsafe_notify_scripts_never_run_as_root() {
    if !can_run() {
        return;
    }
    let lab = Lab::new("fs", 1);
    let t = Tree::new("fsa");
    let s = t.mkdir("s", 0o755, 0);
    let safe = t.script("s/safe.sh", 0o755);
    // A world-writable file.
    let ww = t.script("s/ww.sh", 0o777);
    // A safe file in a world-writable directory.
    t.mkdir("wwdir", 0o777, 0);
    let wwdir = t.script("wwdir/x.sh", 0o755);
    // A root-owned symlink in a safe directory, to a root-owned script in a directory owned by
    // another user (nobody), relative and absolute, and a chain of links.
    t.mkdir("other", 0o755, 65534);
    let other = t.script("other/y.sh", 0o755);
    symlink("../other/y.sh", s.join("rel-link.sh")).unwrap();
    symlink(&other, s.join("abs-link.sh")).unwrap();
    symlink("rel-link.sh", s.join("chain.sh")).unwrap();
    // A group-writable file of a non-root group.
    let gw = t.script("s/gw.sh", 0o775);
    std::os::unix::fs::chown(&gw, None, Some(65534)).unwrap();
    let p = |p: &Path| p.display().to_string();
    let unsafe_ones = [
        ("notify_backup", p(&ww), "backup"),
        ("notify", p(&wwdir), "notify"),
        ("notify_master", p(&s.join("rel-link.sh")), "master"),
        ("notify_stop", p(&s.join("chain.sh")), "stop"),
    ];
    let mut vi1 = String::new();
    for (kw, path, mark) in &unsafe_ones {
        vi1 += &format!("    {kw} \"{path} {mark}\" root\n");
    }
    let vi2 = format!(
        "    notify_master \"{0} safe-default\"\n    notify_backup \"{0} safe-root\" root\n",
        p(&safe)
    );
    let net = lab.net;
    let fifo = t.path("notify.fifo");
    let vfifo = t.path("vrrp.fifo");
    let text = format!(
        "global_defs {{\n    router_id fs\n    enable_script_security\n    script_user nobody\n\
         \x20   notify_fifo {}\n    notify_fifo_script \"{} fifo\" root\n\
         \x20   vrrp_notify_fifo {}\n    vrrp_notify_fifo_script \"{} vfifo\" root\n}}\n\
         vrrp_sync_group G1 {{\n    group {{\n        VI_1\n    }}\n\
         \x20   notify_master \"{} group\" root\n    notify \"{} gnotify\" root\n}}\n{}{}",
        p(&fifo),
        p(&ww),
        p(&vfifo),
        p(&s.join("abs-link.sh")),
        p(&gw),
        p(&s.join("abs-link.sh")),
        instance("VI_1", 71, &format!("10.99.{net}.101"), &vi1),
        instance("VI_2", 72, &format!("10.99.{net}.102"), &vi2),
    );
    let mut d = start(&lab, &t, &text);
    let both = poll_until(SLACK, || {
        t.ran("safe-default").is_some() && t.ran("safe-root").is_some()
    });
    let vips = poll_until(SLACK, || {
        lab.has_addr(0, &format!("10.99.{net}.101")) && lab.has_addr(0, &format!("10.99.{net}.102"))
    });
    assert!(vips, "not MASTER\n{}", d.log());
    // VI_1 went BACKUP then MASTER (and its group MASTER); give stray scripts time to show.
    assert!(
        d.wait_for("(VI_1) Entering MASTER STATE", SLACK).is_some(),
        "{}",
        d.log()
    );
    stop(&mut d);
    let log = d.log();
    println!("markers after stop: {:?}", t.markers());
    let ran: Vec<(String, u32)> = t
        .markers()
        .into_iter()
        .filter(|m| !m.starts_with("safe"))
        .map(|m| {
            let uid = t.ran(&m).unwrap_or(u32::MAX);
            (m, uid)
        })
        .collect();
    assert!(
        ran.is_empty(),
        "unsafe scripts ran (name, uid): {ran:?}\n{log}"
    );
    assert!(both, "the safe scripts did not run\n{log}");
    assert_eq!(t.ran("safe-default"), Some(65534), "runs as script_user");
    assert_eq!(t.ran("safe-root"), Some(0), "a safe script given root");
    // The log names each unsafe script and what makes it unsafe, and says it is disabled.
    for (what, part) in [
        (p(&ww), p(&ww)),
        (p(&wwdir), p(wwdir.parent().unwrap())),
        (p(&s.join("rel-link.sh")), p(other.parent().unwrap())),
        (p(&s.join("chain.sh")), p(other.parent().unwrap())),
        (p(&s.join("abs-link.sh")), p(other.parent().unwrap())),
        (p(&gw), p(&gw)),
    ] {
        let line = log
            .lines()
            .find(|l| l.contains(&format!("unsafe permissions for script `{what}`")));
        let Some(line) = line else {
            panic!("no unsafe-permissions line for {what}\n{log}");
        };
        assert!(
            line.contains("disabling it") && line.contains(&format!("{part} is")),
            "{line}"
        );
    }
}

/// (c) No `script_user`, and no `keepalived_script` user (keepalived 2.2.7): with
/// `enable_script_security` a script without its own user runs as no one ("Unable to set default
/// user keepalived_script"), where keepalived-rs ran it as root before the fix; without script
/// security it runs as root, with the SECURITY VIOLATION warning. Where the machine has a
/// `keepalived_script` user, both run as that user.
#[test]
fn without_a_script_user_scripts_do_not_run_as_root() {
    if !can_run() {
        return;
    }
    let ks = Command::new("getent")
        .args(["passwd", "keepalived_script"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| {
            let line = String::from_utf8_lossy(&o.stdout).into_owned();
            line.split(':')
                .nth(2)
                .and_then(|u| u.trim().parse::<u32>().ok())
        });
    println!("keepalived_script user: {ks:?}");
    let lab = Lab::new("fn", 1);
    let net = lab.net;
    for security in [true, false] {
        let t = Tree::new("fsc");
        t.mkdir("s", 0o755, 0);
        let safe = t.script("s/safe.sh", 0o755);
        let globals = if security {
            "    enable_script_security\n"
        } else {
            ""
        };
        let text = format!(
            "global_defs {{\n    router_id fn\n{globals}}}\n{}",
            instance(
                "VI_1",
                73,
                &format!("10.99.{net}.101"),
                &format!(
                    "    notify_master \"{} master\"\n    notify_backup \"{} backup\" root\n",
                    safe.display(),
                    safe.display()
                )
            )
        );
        let mut d = start(&lab, &t, &text);
        assert!(
            d.wait_for("(VI_1) Entering MASTER STATE", SLACK).is_some(),
            "{}",
            d.log()
        );
        // The script given `root` runs: the transition to BACKUP came before MASTER.
        assert!(
            poll_until(SLACK, || t.ran("backup").is_some()),
            "the script given root did not run\n{}",
            d.log()
        );
        let want = match (ks, security) {
            (Some(uid), _) => Some(uid),
            (None, true) => None,
            (None, false) => Some(0),
        };
        if want.is_some() {
            assert!(
                poll_until(SLACK, || t.ran("master").is_some()),
                "{}",
                d.log()
            );
        }
        stop(&mut d);
        let log = d.log();
        println!(
            "security {security}: notify_master ran as {:?} (want {want:?})",
            t.ran("master")
        );
        assert_eq!(t.ran("master"), want, "{log}");
        if ks.is_none() && security {
            assert!(
                log.contains("no user `keepalived_script` on this machine")
                    && log.lines().any(|l| {
                        l.contains(&format!("script `{}`: no script user", safe.display()))
                            && l.contains("disabling it")
                    }),
                "{log}"
            );
        }
        if ks.is_none() && !security {
            assert!(log.contains("SECURITY VIOLATION"), "{log}");
        }
    }
}

/// A disabled script stays disabled across a reload while it is unsafe, and runs after the reload
/// that follows its fix (each reload here restarts the instance: BACKUP, then MASTER).
#[test]
fn a_reload_runs_an_unsafe_script_only_once_it_is_safe() {
    if !can_run() {
        return;
    }
    let lab = Lab::new("fr", 1);
    let t = Tree::new("fsr");
    t.mkdir("s", 0o755, 0);
    let ww = t.script("s/ww.sh", 0o777);
    let net = lab.net;
    let conf = |prio: u8, mark: &str| {
        format!(
            "global_defs {{\n    enable_script_security\n    script_user nobody\n}}\n{}",
            instance(
                "VI_1",
                74,
                &format!("10.99.{net}.101"),
                &format!(
                    "    priority {prio}\n    notify_backup \"{} {mark}\" root\n",
                    ww.display()
                )
            )
            .replace("    priority 100\n", "")
        )
    };
    let mut d = start(&lab, &t, &conf(100, "first"));
    let master = |n: usize| {
        poll_until(SLACK, || {
            d.log().matches("(VI_1) Entering MASTER STATE").count() >= n
        })
    };
    assert!(master(1), "{}", d.log());
    let refused = "not running it as root with enable_script_security";
    assert_eq!(d.log().matches(refused).count(), 1, "{}", d.log());
    // Still unsafe: the reload restarts the instance, and the script is refused again.
    std::fs::write(t.path("keepalived.conf"), conf(101, "second")).unwrap();
    d.signal(libc::SIGHUP);
    assert!(master(2), "{}", d.log());
    assert_eq!(d.log().matches(refused).count(), 2, "{}", d.log());
    // Fixed, then reloaded: it runs, as root (its own user).
    chmod(&ww, 0o755);
    std::fs::write(t.path("keepalived.conf"), conf(102, "third")).unwrap();
    d.signal(libc::SIGHUP);
    assert!(
        poll_until(SLACK, || t.ran("third").is_some()),
        "{}",
        d.log()
    );
    stop(&mut d);
    println!("markers: {:?}", t.markers());
    assert_eq!(t.markers(), ["third"], "{}", d.log());
    assert_eq!(t.ran("third"), Some(0));
}
