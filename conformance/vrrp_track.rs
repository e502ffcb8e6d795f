//! Trackers on a real kernel: `vrrp_script`, `track_file` and `vrrp_track_process` moving the
//! priority of keepalived-rs routers in network namespaces on a bridge, seen on the wire (adverts
//! captured on the bridge), in the kernel (who holds the VIP) and in the daemon's log. Needs root
//! and `ip netns`; without them each test prints one `SKIP` line (a failure under
//! `KEEPALIVED_RS_FULL_TESTS=1`).
//!
//! Measured times are printed (`cargo test --test vrrp_track -- --nocapture`).

mod common;

use std::net::Ipv4Addr;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::lab::Lab;
use common::{Daemon, TempDir, bin, is_root, poll_until, require};

fn can_run() -> bool {
    require(is_root(), "not root: network namespace tests need root")
        && require(
            common::have("ip", "-V"),
            "iproute2 (`ip`) not installed: needed for the namespace labs",
        )
}

const VRID: u8 = 61;

/// RFC 5798: 3 x interval + (256 - prio) / 256 x interval.
fn master_down(interval: Duration, prio: u8) -> Duration {
    interval * 3 + interval * (256 - u32::from(prio)) / 256
}

/// One router: its priority, the lines for `global_defs`, the top-level tracker blocks and the
/// lines inside its `vrrp_instance`.
#[derive(Default, Clone)]
struct Conf {
    prio: u8,
    globals: String,
    top: String,
    inst: String,
}

/// How the daemon enters its router's namespace.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Launch {
    /// `ip netns exec NS keepalived-rs ...`
    NetnsExec,
    /// `keepalived-rs -s NS ...` from the initial namespace.
    DashS,
}

struct Run {
    lab: Lab,
    daemons: Vec<Daemon>,
    vip: String,
    dir: TempDir,
}

impl Run {
    fn start(tag: &str, advert: &str, confs: &[Conf], launch: Launch) -> Run {
        let mut lab = Lab::new(tag, confs.len());
        lab.capture();
        let dir = TempDir::new(&format!("trk-{tag}"));
        // The scripts' directory must be root's and not writable by others
        // (enable_script_security), as a real /etc/keepalived is.
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let vip = format!("10.99.{}.100", lab.net);
        let mut run = Run {
            lab,
            daemons: Vec::new(),
            vip,
            dir,
        };
        for (i, c) in confs.iter().enumerate() {
            let text = format!(
                "global_defs {{\n    router_id r{i}\n{}}}\n{}\
                 vrrp_instance VI_1 {{\n    state BACKUP\n    interface eth0\n\
                 \x20   virtual_router_id {VRID}\n    priority {}\n    version 3\n    advert_int {advert}\n\
                 {}    virtual_ipaddress {{\n        {}/24\n    }}\n}}\n",
                c.globals, c.top, c.prio, c.inst, run.vip
            );
            let conf = run.dir.path().join(format!("r{i}.conf"));
            std::fs::write(&conf, text).unwrap();
            let pid = run.dir.path().join(format!("r{i}.pid"));
            let ns = run.lab.routers[i].ns.clone();
            let mut cmd = match launch {
                Launch::NetnsExec => {
                    let mut c = Command::new("ip");
                    c.args(["netns", "exec", &ns, bin()]);
                    c
                }
                Launch::DashS => {
                    let mut c = Command::new(bin());
                    c.args(["-s", &ns]);
                    c
                }
            };
            cmd.args(["-n", "-l", "-D", "-f"])
                .arg(&conf)
                .arg("-p")
                .arg(&pid);
            run.daemons.push(Daemon::start_cmd(&mut cmd));
        }
        run
    }

    fn logs(&self) -> String {
        self.daemons
            .iter()
            .enumerate()
            .map(|(i, d)| format!("---- r{i}:\n{}", d.log()))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Waits until router `i` alone holds the VIP; returns when it was first seen so.
    fn wait_master(&self, i: usize, limit: Duration, what: &str) -> Instant {
        self.lab
            .wait_sole_holder(i, &self.vip, limit)
            .unwrap_or_else(|holders| {
                panic!(
                    "{what}: expected r{i} alone to hold {} within {limit:?}, holders {holders:?}\n{}",
                    self.vip,
                    self.logs()
                )
            })
    }

    /// The time a log line of router `i` containing `needle` was read, waiting up to `limit`.
    fn wait_log(&self, i: usize, needle: &str, limit: Duration) -> Instant {
        match self.daemons[i].wait_for(needle, limit) {
            Some(t) => t,
            None => panic!("r{i} never logged {needle:?}\n{}", self.logs()),
        }
    }

    /// When router `i`'s log first held `n` lines containing `needle`, waiting up to `limit`.
    fn wait_nth_log(&self, i: usize, needle: &str, n: usize, limit: Duration) -> Instant {
        let ok = poll_until(limit, || self.count_log(i, needle) >= n);
        assert!(ok, "r{i} did not log {needle:?} {n} times\n{}", self.logs());
        Instant::now()
    }

    /// The lines of router `i`'s log containing `needle`.
    fn count_log(&self, i: usize, needle: &str) -> usize {
        self.daemons[i].log().matches(needle).count()
    }

    /// The adverts router `i` sent, as (time, priority), from the bridge capture.
    fn adverts(&self, i: usize) -> Vec<(Instant, u8)> {
        let src = self.lab.routers[i].v4;
        self.lab
            .frames()
            .iter()
            .filter_map(|f| {
                let b = &f.bytes;
                if b.len() < 34 || b[12..14] != [0x08, 0x00] || b[23] != 112 {
                    return None;
                }
                let ihl = usize::from(b[14] & 0x0f) * 4;
                let from = Ipv4Addr::new(b[26], b[27], b[28], b[29]);
                let v = b.get(14 + ihl..14 + ihl + 3)?;
                (from == src && v[1] == VRID).then_some((f.at, v[2]))
            })
            .collect()
    }

    /// Waits until router `i` advertises priority `prio`; returns when the first such advert was
    /// captured.
    fn wait_advert(&self, i: usize, prio: u8, after: Instant, limit: Duration) -> Instant {
        let mut at = None;
        poll_until(limit, || {
            at = self
                .adverts(i)
                .iter()
                .find(|(t, p)| *t >= after && *p == prio)
                .map(|(t, _)| *t);
            at.is_some()
        });
        at.unwrap_or_else(|| {
            panic!(
                "r{i} never advertised priority {prio}; it sent {:?}\n{}",
                self.adverts(i)
                    .iter()
                    .filter(|(t, _)| *t >= after)
                    .map(|(_, p)| *p)
                    .collect::<Vec<_>>(),
                self.logs()
            )
        })
    }
}

/// Writes an executable script (mode 0755 unless said).
fn script(path: &Path, body: &str, mode: u32) {
    std::fs::write(path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// Writes a file in one step (a rename), as a management agent would.
fn replace(path: &Path, text: &str) {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

/// Is `pid` a live (not zombie) process?
fn alive(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| s.rsplit_once(')').map(|(_, r)| r.trim_start().to_string()))
        .is_some_and(|r| !r.starts_with('Z'))
}

const SECURE: &str = "    enable_script_security\n    script_user root\n";

/// (a) A failing `track_script` (the classic `test -f FLAG`) with a negative weight makes the
/// master yield to the backup within interval x fall + Master_Down_Interval, and it takes over
/// again when the file is back. keepalived's default timing: advert_int 1, interval 1.
#[test]
fn failing_track_script_moves_mastership_and_back() {
    if !can_run() {
        return;
    }
    let flag = TempDir::new("trk-a-flag");
    let flag = flag.path().join("flag");
    std::fs::write(&flag, "").unwrap();
    let (interval, fall, rise) = (Duration::from_secs(1), 2u32, 2u32);
    let advert = Duration::from_secs(1);
    let r0 = Conf {
        prio: 150,
        globals: SECURE.into(),
        top: format!(
            "vrrp_script chk {{\n    script \"test -f {}\"\n    interval 1\n    fall {fall}\n    rise {rise}\n    weight -60\n}}\n",
            flag.display()
        ),
        inst: "    track_script {\n        chk\n    }\n".into(),
    };
    let r1 = Conf {
        prio: 100,
        ..Default::default()
    };
    let run = Run::start("tsa", "1", &[r0, r1], Launch::NetnsExec);
    let slack = Duration::from_secs(2);
    run.wait_log(0, "VRRP_Script(chk) succeeded", Duration::from_secs(5));
    run.wait_master(0, master_down(advert, 100) * 2 + slack, "election");

    // The file goes: after `fall` failed runs r0 advertises 150 - 60 = 90 and r1 takes over.
    let t0 = Instant::now();
    std::fs::remove_file(&flag).unwrap();
    let bound = interval * fall + master_down(advert, 100);
    let t_yield = run.wait_master(1, bound + slack * 2, "script failed");
    let t_failed = run.wait_log(0, "VRRP_Script(chk) failed (exited with status 1)", slack);
    let t_90 = run.wait_advert(0, 90, t0, slack);
    let took = t_yield - t0;
    println!(
        "track_script (interval 1 s, fall {fall}, advert_int 1 s): script failed after {:?}, first advert at 90 after {:?}, VIP on the backup after {took:?} (bound interval x fall + Master_Down_Interval = {bound:?})",
        t_failed - t0,
        t_90 - t0
    );
    assert!(
        took <= bound + Duration::from_millis(500),
        "yield took {took:?}, more than {bound:?}\n{}",
        run.logs()
    );
    assert!(
        t_failed - t0 <= interval * fall + Duration::from_millis(500),
        "failure seen after {:?}",
        t_failed - t0
    );
    assert_eq!(
        run.count_log(0, "(VI_1) Changing effective priority from 150 to 90"),
        1,
        "{}",
        run.logs()
    );

    // Back: `rise` successes, then r0 (150 again) preempts r1 (100).
    let t2 = Instant::now();
    std::fs::write(&flag, "").unwrap();
    let back_bound = interval * rise + master_down(advert, 150);
    let t_ok = run.wait_nth_log(0, "VRRP_Script(chk) succeeded", 2, back_bound + slack);
    let t_back = run.wait_master(0, back_bound + slack * 2, "script recovered");
    println!(
        "track_script recovered: succeeded after {:?}, r0 master again after {:?} (bound interval x rise + Master_Down_Interval(150) = {back_bound:?})",
        t_ok - t2,
        t_back - t2
    );
    assert!(t_back - t2 <= back_bound + Duration::from_millis(500));
}

/// (b) A script with weight 0 that fails puts the instance in FAULT: the VIP leaves at once and
/// the backup takes over; when it succeeds again the instance leaves FAULT and preempts.
#[test]
fn weight_zero_script_failure_is_fault() {
    if !can_run() {
        return;
    }
    let tmp = TempDir::new("trk-b-flag");
    let flag = tmp.path().join("flag");
    std::fs::write(&flag, "").unwrap();
    let r0 = Conf {
        prio: 150,
        globals: SECURE.into(),
        top: format!(
            "vrrp_script chk {{\n    script \"test -f {}\"\n    interval 0.2\n}}\n",
            flag.display()
        ),
        inst: "    track_script {\n        chk\n    }\n".into(),
    };
    let r1 = Conf {
        prio: 100,
        ..Default::default()
    };
    let run = Run::start("tsb", "0.1", &[r0, r1], Launch::NetnsExec);
    let advert = Duration::from_millis(100);
    let slack = Duration::from_secs(3);
    run.wait_master(0, master_down(advert, 100) * 2 + slack, "election");
    let t0 = Instant::now();
    std::fs::remove_file(&flag).unwrap();
    let t_fault = run.wait_log(0, "(VI_1) Entering FAULT STATE", slack);
    assert!(poll_until(slack, || !run.lab.has_addr(0, &run.vip)));
    let t_yield = run.wait_master(1, slack, "FAULT");
    println!(
        "weight-0 script (interval 0.2 s): FAULT after {:?}, backup holds the VIP after {:?}",
        t_fault - t0,
        t_yield - t0
    );
    // FAULT sends priority 0: the backup takes over after Skew_Time, not Master_Down_Interval.
    assert!(
        t_yield - t0 < Duration::from_millis(200) + master_down(advert, 100),
        "{:?}",
        t_yield - t0
    );
    std::fs::write(&flag, "").unwrap();
    run.wait_master(0, master_down(advert, 150) * 2 + slack, "FAULT cleared");
    run.wait_log(0, "(VI_1) Entering BACKUP STATE", slack);
}

/// (c) A script that hangs is killed, with everything it started, at its timeout, and the run
/// counts as a failure (`timed_out`): weight 0, so FAULT.
#[test]
fn hanging_script_is_killed_at_its_timeout_and_fails() {
    if !can_run() {
        return;
    }
    let dir = TempDir::new("trk-c");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let pids = dir.path().join("pids");
    let hang = dir.path().join("hang.sh");
    script(
        &hang,
        &format!("sleep 300 &\necho $$ $! >> {}\nwait", pids.display()),
        0o755,
    );
    let r0 = Conf {
        prio: 100,
        globals: SECURE.into(),
        top: format!(
            "vrrp_script hang {{\n    script {}\n    interval 3\n    timeout 0.5\n}}\n",
            hang.display()
        ),
        inst: "    track_script {\n        hang\n    }\n".into(),
    };
    let run = Run::start("tsc", "0.1", &[r0], Launch::NetnsExec);
    let slack = Duration::from_secs(3);
    // The first run starts at once; its two processes write their pids.
    let mut started = None;
    assert!(
        poll_until(slack, || {
            let ok =
                std::fs::read_to_string(&pids).is_ok_and(|s| s.split_whitespace().count() == 2);
            if ok && started.is_none() {
                started = Some(Instant::now());
            }
            ok
        }),
        "the script never ran\n{}",
        run.logs()
    );
    let started = started.unwrap();
    let both: Vec<i32> = std::fs::read_to_string(&pids)
        .unwrap()
        .split_whitespace()
        .map(|p| p.parse().unwrap())
        .collect();
    assert!(both.iter().all(|&p| alive(p)));
    assert!(
        poll_until(slack, || both.iter().all(|&p| !alive(p))),
        "the script's processes outlived the timeout: {both:?}\n{}",
        run.logs()
    );
    let killed = Instant::now() - started;
    let t_log = run.wait_log(0, "VRRP_Script(hang) timed_out", slack);
    run.wait_log(0, "(VI_1) Entering FAULT STATE", slack);
    println!(
        "hanging script (timeout 0.5 s): its process group gone {killed:?} after it wrote its pids, timed_out logged {:?} after",
        t_log.saturating_duration_since(started)
    );
    assert!(
        killed < Duration::from_millis(500) + Duration::from_millis(400),
        "{killed:?}"
    );
    assert!(!run.lab.has_addr(0, &run.vip), "FAULT holds no VIP");
}

/// (d) With `enable_script_security`, a world-writable script that would run as root is not run,
/// and the log says exactly what to change; the instance is not held by it (keepalived drops such
/// a script). Once fixed, it runs at the next interval without a reload.
#[test]
fn script_security_refuses_a_world_writable_root_script() {
    if !can_run() {
        return;
    }
    let dir = TempDir::new("trk-d");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let ran = dir.path().join("ran");
    let chk = dir.path().join("chk.sh");
    // It would fail (exit 1): with weight 0 that would be FAULT.
    script(&chk, &format!("touch {}\nexit 1", ran.display()), 0o777);
    let r0 = Conf {
        prio: 100,
        globals: SECURE.into(),
        top: format!(
            "vrrp_script chk {{\n    script {}\n    interval 0.3\n}}\n",
            chk.display()
        ),
        inst: "    track_script {\n        chk\n    }\n".into(),
    };
    let run = Run::start("tsd", "0.1", &[r0], Launch::NetnsExec);
    let slack = Duration::from_secs(3);
    let p = chk.display().to_string();
    let want = format!(
        "VRRP_Script(chk): unsafe permissions for script `{p}`: {p} is writable by everyone (mode 777) - not running it as root with enable_script_security; `chown root:root {p}` and `chmod go-w {p}`, or run scripts as an unprivileged `script_user`"
    );
    run.wait_log(0, &want, slack);
    run.wait_master(0, slack, "a refused script does not hold the instance");
    std::thread::sleep(Duration::from_millis(900));
    assert!(!ran.exists(), "the unsafe script ran");
    assert_eq!(
        run.count_log(0, "unsafe permissions for script"),
        2,
        "once at load, once at run time\n{}",
        run.logs()
    );
    // Fixed: it runs at the next interval, fails, and the instance goes to FAULT.
    std::fs::set_permissions(&chk, std::fs::Permissions::from_mode(0o755)).unwrap();
    run.wait_log(0, "VRRP_Script(chk): the script can run now", slack);
    run.wait_log(0, "VRRP_Script(chk) failed (exited with status 1)", slack);
    run.wait_log(0, "(VI_1) Entering FAULT STATE", slack);
    assert!(ran.exists());
}

/// (e) `track_file`: the number in the file times the weight moves the advertised priority, for a
/// write in place and for a rename over it; with weight 0, a non-zero value is FAULT and 0 clears
/// it; `init_file` creates the file.
#[test]
fn track_file_value_moves_the_priority_and_weight_zero_is_fault() {
    if !can_run() {
        return;
    }
    let dir = TempDir::new("trk-e");
    let prio = dir.path().join("prio");
    let down = dir.path().join("down");
    let r0 = Conf {
        prio: 100,
        top: format!(
            "track_file prio {{\n    file {}\n    weight 10\n    init_file 0\n}}\n\
             track_file down {{\n    file {}\n    init_file\n}}\n",
            prio.display(),
            down.display()
        ),
        inst: "    track_file {\n        prio\n        down weight 0\n    }\n".into(),
        ..Default::default()
    };
    let run = Run::start("tfe", "0.1", &[r0], Launch::NetnsExec);
    let slack = Duration::from_secs(3);
    run.wait_master(0, slack, "election");
    assert_eq!(std::fs::read_to_string(&prio).unwrap(), "0\n", "init_file");
    run.wait_advert(0, 100, Instant::now(), slack);

    let t0 = Instant::now();
    std::fs::write(&prio, "5\n").unwrap();
    let t_150 = run.wait_advert(0, 150, t0, slack);
    println!(
        "track_file: 5 x 10 on the wire {:?} after the write",
        t_150 - t0
    );
    let t1 = Instant::now();
    replace(&prio, "-3");
    run.wait_advert(0, 70, t1, slack);
    // Deleted: 0.
    let t2 = Instant::now();
    std::fs::remove_file(&prio).unwrap();
    run.wait_advert(0, 100, t2, slack);

    // Weight 0: non-zero is FAULT, 0 clears it.
    std::fs::write(&down, "1\n").unwrap();
    run.wait_log(0, "(VI_1) Entering FAULT STATE", slack);
    assert!(poll_until(slack, || !run.lab.has_addr(0, &run.vip)));
    std::fs::write(&down, "0\n").unwrap();
    run.wait_master(0, slack, "FAULT cleared");
}

/// Starts `sleep ARG` in namespace `ns` (`ip netns exec` execs it: same pid).
fn start_sleep(ns: &str, arg: &str) -> Child {
    Command::new("ip")
        .args(["netns", "exec", ns, "sleep", arg])
        .stdin(Stdio::null())
        .spawn()
        .unwrap()
}

fn process_scenario(tag: &str, launch: Launch) {
    if !can_run() {
        return;
    }
    // A command line no other process on this machine has.
    let tag_digits: String = tag.bytes().map(|b| b.to_string()).collect();
    let arg = format!("3600.{}{tag_digits}", std::process::id());
    let r0 = Conf {
        prio: 150,
        top: format!(
            "vrrp_track_process daemon {{\n    process sleep {arg}\n    weight -60\n    quorum 1\n}}\n"
        ),
        inst: "    track_process {\n        daemon\n    }\n".into(),
        ..Default::default()
    };
    let r1 = Conf {
        prio: 100,
        ..Default::default()
    };
    let run = Run::start(tag, "0.1", &[r0, r1], launch);
    let advert = Duration::from_millis(100);
    let slack = Duration::from_secs(3);
    // No such process: r0 advertises 90 and r1 is master.
    run.wait_log(
        0,
        "Process monitor: 0 matching process(es) for vrrp_track_process daemon - quorum down",
        slack,
    );
    run.wait_master(
        1,
        master_down(advert, 100) * 2 + slack,
        "quorum down at start",
    );
    let ns0 = run.lab.routers[0].ns.clone();
    let t0 = Instant::now();
    let mut p = start_sleep(&ns0, &arg);
    let t_gain = run.wait_log(0, "Quorum gained for tracked process daemon", slack);
    let t_master = run.wait_master(0, master_down(advert, 150) + slack, "process started");
    let t1 = Instant::now();
    p.kill().unwrap();
    p.wait().unwrap();
    let t_lost = run.wait_log(0, "Quorum lost for tracked process daemon", slack);
    let t_back = run.wait_master(1, master_down(advert, 100) + slack, "process stopped");
    println!(
        "track_process ({}): quorum gained {:?} after the start, r0 master after {:?}; quorum lost {:?} after the kill, r1 master after {:?}",
        if launch == Launch::DashS {
            "proc connector, -s"
        } else {
            "ip netns exec: /proc scans"
        },
        t_gain - t0,
        t_master - t0,
        t_lost - t1,
        t_back - t1
    );
    if launch == Launch::DashS {
        // Events, not polling.
        assert!(
            t_gain - t0 < Duration::from_millis(300),
            "{:?}",
            t_gain - t0
        );
        assert!(
            t_lost - t1 < Duration::from_millis(300),
            "{:?}",
            t_lost - t1
        );
    }
}

/// (f) `vrrp_track_process` (quorum 1, weight -60): a `sleep` with the configured command line
/// started in r0's namespace brings r0 up to 150 and master; killing it hands mastership back to
/// r1. The daemon is started with `-s`: the process connector gives events at once.
#[test]
fn track_process_moves_mastership_with_the_process_connector() {
    process_scenario("tpf", Launch::DashS);
}

/// The same under `ip netns exec`, where the process connector cannot be reached: `/proc` is
/// scanned every second instead, and the log says so.
#[test]
fn track_process_falls_back_to_scanning_proc_in_a_namespace() {
    process_scenario("tpg", Launch::NetnsExec);
}
