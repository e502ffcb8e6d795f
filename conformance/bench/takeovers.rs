//! Spurious takeovers on a loaded machine, side by side with Debian's keepalived in the same run
//! (issue 15 item 6).
//!
//! Two routers of one implementation on the lab's bridge, 20 VRRPv3 instances at `advert_int
//! 0.01` (Master_Down_Interval about 34 ms for the backup at priority 100), the master at 200.
//! Busy loops keep every core busy (`KRS_BENCH_HOGS`, default one per core, each pinned to its
//! core, at the daemons' nice level). A takeover is a backup instance entering MASTER while the
//! master runs: the backup's "Entering MASTER STATE" log lines over the window.
//!
//! Three runs: keepalived; keepalived-rs judging a timer by the loop's clock (the behaviour before
//! this change, `KEEPALIVED_RS_VRRP_TIMERS=loop`); keepalived-rs as it is (a due timer first drains
//! the instance's socket, and adverts count from the kernel's receive stamp). A fourth run adds
//! `vrrp_sched_slice` (EEVDF's per-task slice, Linux 6.12 and later) when the kernel has it.
//!
//! Run (root): `cargo bench --bench takeovers`. `KRS_BENCH_TAKEOVER_SECS` sets the window (default
//! 30 s; 120 for the full measurement). Without keepalived it prints SKIP (a failure under
//! KEEPALIVED_RS_FULL_TESTS=1).

#[path = "../common/mod.rs"]
mod common;

use std::fmt::Write as _;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::lab::{Lab, ns_pids};
use common::{Daemon, TempDir, poll_until, require, send};

const INSTANCES: u8 = 20;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Run {
    Keepalived,
    /// keepalived-rs with `KEEPALIVED_RS_VRRP_TIMERS=loop`.
    OursLoop,
    OursKernel,
    /// keepalived-rs with `vrrp_sched_slice`.
    OursSlice,
}

impl Run {
    fn name(self) -> &'static str {
        match self {
            Run::Keepalived => "keepalived 2.2.7",
            Run::OursLoop => "keepalived-rs, loop clock (before)",
            Run::OursKernel => "keepalived-rs, kernel stamps (after)",
            Run::OursSlice => "keepalived-rs, + vrrp_sched_slice 100",
        }
    }
}

fn env_num(key: &str, default: u64) -> u64 {
    std::env::var(key)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn config(prio: u8, run: Run) -> String {
    let mut s = String::from("global_defs {\n    router_id bench\n");
    if run == Run::OursSlice {
        s.push_str("    vrrp_sched_slice 100\n");
    }
    s.push_str("}\n\n");
    for vrid in 1..=INSTANCES {
        let _ = writeln!(
            s,
            "vrrp_instance VI_{vrid} {{\n    version 3\n    state BACKUP\n    interface eth0\n    virtual_router_id {vrid}\n    priority {prio}\n    advert_int 0.01\n    virtual_ipaddress {{\n        10.97.0.{vrid}/32\n    }}\n}}\n"
        );
    }
    s
}

struct Running {
    d: Daemon,
    ns: String,
    _dir: TempDir,
}

fn start(run: Run, ns: &str, conf: &str) -> Running {
    let dir = TempDir::new("tkobench");
    let p = |f: &str| dir.path().join(f).to_string_lossy().into_owned();
    let c = p("keepalived.conf");
    std::fs::write(&c, conf).unwrap();
    let mut cmd = Command::new("ip");
    cmd.args(["netns", "exec", ns]);
    if run == Run::Keepalived {
        cmd.args(["/usr/sbin/keepalived", "-n", "-l", "-D", "-f", &c])
            .args(["-p", &p("ka.pid"), "-r", &p("vrrp.pid")])
            .args(["-c", &p("chk.pid"), "-b", &p("bfd.pid")]);
    } else {
        cmd.arg(common::bin())
            .args(["-n", "-l", "-D", "-f", &c, "-p", &p("krs.pid")]);
        if run == Run::OursLoop {
            cmd.env("KEEPALIVED_RS_VRRP_TIMERS", "loop");
        }
    }
    cmd.stdout(Stdio::null());
    Running {
        d: Daemon::start_cmd(&mut cmd),
        ns: ns.to_string(),
        _dir: dir,
    }
}

impl Running {
    fn stop(mut self) {
        self.d.signal(libc::SIGTERM);
        if self.d.wait_exit(Duration::from_secs(10)).is_none() {
            self.d.kill9();
        }
        for p in ns_pids(&self.ns) {
            send(p, libc::SIGKILL);
        }
        poll_until(Duration::from_secs(5), || ns_pids(&self.ns).is_empty());
    }
}

/// A busy loop, killed and reaped when dropped.
struct Hog(std::process::Child);

impl Drop for Hog {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Busy loops, one pinned to each of the first `n` CPUs.
fn hogs(n: u64) -> Vec<Hog> {
    (0..n)
        .map(|cpu| {
            Hog(Command::new("taskset")
                .args(["-c", &cpu.to_string(), "sh", "-c", "while :; do :; done"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("taskset"))
        })
        .collect()
}

/// The kernel has EEVDF's per-task slice (`sched_setattr` with `sched_runtime` for SCHED_OTHER)
/// from 6.12.
fn has_slice() -> bool {
    let rel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let mut it = rel.trim().split(['.', '-']);
    let major: u32 = it.next().and_then(|v| v.parse().ok()).unwrap_or(0);
    let minor: u32 = it.next().and_then(|v| v.parse().ok()).unwrap_or(0);
    (major, minor) >= (6, 12)
}

/// Takeovers by the backup over `window` with every core busy; `None` when the pair never
/// settled (the reason printed).
fn measure(run: Run, window: Duration, hog_count: u64) -> Option<(usize, usize)> {
    let lab = Lab::new("tko", 2);
    let (m_ns, b_ns) = (lab.routers[0].ns.clone(), lab.routers[1].ns.clone());
    let master = start(run, &m_ns, &config(200, run));
    let backup = start(run, &b_ns, &config(100, run));
    // Settled: the master holds every VIP, and the backup's start-up takeovers are over.
    let settled = poll_until(Duration::from_secs(20), || {
        master.d.count("Entering MASTER STATE") >= usize::from(INSTANCES)
            && (1..=INSTANCES).all(|v| lab.has_addr(0, &format!("10.97.0.{v}")))
    });
    if !settled {
        println!("  {}: the master never held every VIP", run.name());
        master.stop();
        backup.stop();
        return None;
    }
    std::thread::sleep(Duration::from_secs(1)); // quiet period; nothing to observe
    let before_b = backup.d.count("Entering MASTER STATE");
    let before_m = master.d.count("Entering BACKUP STATE");
    let load = hogs(hog_count);
    let t0 = Instant::now();
    std::thread::sleep(window); // the measurement window itself
    drop(load);
    if std::env::var_os("KRS_BENCH_VERBOSE").is_some() {
        let at: Vec<String> = backup
            .d
            .times("Entering MASTER STATE")
            .iter()
            .filter(|t| **t >= t0)
            .map(|t| format!("{:.2}", (*t - t0).as_secs_f64()))
            .collect();
        println!("    takeovers at (s): {}", at.join(" "));
    }
    let takeovers = backup.d.count("Entering MASTER STATE") - before_b;
    let master_lost = master.d.count("Entering BACKUP STATE") - before_m;
    master.stop();
    backup.stop();
    Some((takeovers, master_lost))
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    if !require(common::is_root(), "the takeovers benchmark needs root")
        || !require(
            std::path::Path::new("/usr/sbin/keepalived").exists(),
            "the takeovers benchmark needs /usr/sbin/keepalived",
        )
        || !require(
            common::have("taskset", "--version"),
            "the takeovers benchmark needs taskset",
        )
    {
        return;
    }
    let secs = env_num("KRS_BENCH_TAKEOVER_SECS", 30);
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get() as u64);
    let hog_count = env_num("KRS_BENCH_HOGS", cpus);
    let window = Duration::from_secs(secs);
    println!(
        "Takeovers: {INSTANCES} VRRPv3 instances at 10 ms, master 200 / backup 100, {hog_count} busy \
         loop(s) on {cpus} CPU(s), {secs} s window; a takeover = a backup instance entering MASTER"
    );
    let mut runs = vec![Run::Keepalived, Run::OursLoop, Run::OursKernel];
    if has_slice() {
        runs.push(Run::OursSlice);
    }
    let mut results = Vec::new();
    let t0 = Instant::now();
    for run in runs {
        let r = measure(run, window, hog_count);
        if let Some((t, lost)) = r {
            println!(
                "  {:<40} {t:>6} takeovers ({:.1}/min); master stepped down {lost} times",
                run.name(),
                t as f64 * 60.0 / secs as f64
            );
        }
        results.push((run, r));
    }
    let get = |run: Run| {
        results
            .iter()
            .find(|(r, _)| *r == run)
            .and_then(|(_, v)| *v)
            .map(|(t, _)| t)
    };
    if let (Some(ka), Some(before), Some(after)) = (
        get(Run::Keepalived),
        get(Run::OursLoop),
        get(Run::OursKernel),
    ) {
        println!(
            "  ratio keepalived-rs / keepalived: before {}, after {} (takeovers; lower is better)",
            ratio(before, ka),
            ratio(after, ka)
        );
    }
    println!("  ({:.0} s in all)", t0.elapsed().as_secs_f64());
}

fn ratio(a: usize, b: usize) -> String {
    if b == 0 {
        return format!("{a} vs 0");
    }
    format!("{:.3}", a as f64 / b as f64)
}
