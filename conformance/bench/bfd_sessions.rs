//! BFD side by side with Debian's keepalived (its BFD child) and FRR's bfdd, measured in the same
//! run on the lab of `conformance/common/lab.rs` (a bridge namespace, router namespaces with
//! `eth0`). The detector under test runs in router 0; its peer, the same for every detector, is
//! keepalived-rs in router 1.
//!
//! a. Detection: one session, multiplier 3, at 50 ms (theory 150 ms) and 10 ms (theory 30 ms).
//!    The peer is frozen with SIGSTOP; on the bridge capture (kernel receive stamps), the peer's
//!    last packet -> the detector's first packet with state Down, minus the theory. Then the
//!    peer is thawed and the session comes back before the next trial.
//! b. Footprint: 1 and 100 sessions at 50 ms and at 10 ms, all Up (counted in the peer's log),
//!    then CPU (utime+stime and the scheduler's run time, /proc) of the detector's BFD process
//!    over a window, and its RSS and PSS. keepalived: its BFD child (the parent idles; its RSS is
//!    reported separately); FRR: bfdd (zebra's RSS separately). No capture runs meanwhile.
//!
//! Run (root): `cargo bench --bench bfd`. Settings: `KRS_BENCH_CPU_SECS` (CPU window, default
//! 10 s), `KRS_BENCH_TRIALS` (detection trials of keepalived-rs per interval, default 20; the
//! others get a quarter, at least 5). Without keepalived or FRR it prints SKIP (a failure under
//! KEEPALIVED_RS_FULL_TESTS=1).

#[path = "../common/mod.rs"]
mod common;

use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;
use std::time::{Duration, Instant};

use common::lab::{Lab, daemon_cmd, ns_exec};
use common::peers::{Frozen, Frr, bfd_packets, have_frr};
use common::procstat::{cpu, memory};
use common::{Daemon, TempDir, pid_in, poll_until, require};
use keepalived_rs::wire::bfd::State;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Impl {
    Rs,
    Ka,
    Frr,
}

impl Impl {
    fn name(self) -> &'static str {
        match self {
            Impl::Rs => "keepalived-rs",
            Impl::Ka => "keepalived",
            Impl::Frr => "FRR bfdd",
        }
    }
}

const ALL: [Impl; 3] = [Impl::Rs, Impl::Ka, Impl::Frr];

fn env_num(key: &str, default: u64) -> u64 {
    std::env::var(key)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Session `k` of `n`: (router 0's address, router 1's address). One session uses the routers'
/// own addresses; more use 10.99.NET.(10+k) and 10.99.NET.(120+k), added to eth0.
fn pair(lab: &Lab, n: usize, k: usize) -> (Ipv4Addr, Ipv4Addr) {
    if n == 1 {
        (lab.routers[0].v4, lab.routers[1].v4)
    } else {
        (
            Ipv4Addr::new(10, 99, lab.net, 10 + k as u8),
            Ipv4Addr::new(10, 99, lab.net, 120 + k as u8),
        )
    }
}

fn add_addresses(lab: &Lab, dir: &Path, n: usize) {
    if n == 1 {
        return;
    }
    for (i, side) in [(0usize, 0usize), (1, 1)] {
        let mut batch = String::new();
        for k in 0..n {
            let (a, b) = pair(lab, n, k);
            let ip = if side == 0 { a } else { b };
            let _ = writeln!(batch, "addr add {ip}/24 dev eth0");
        }
        let f = dir.join(format!("addrs{i}"));
        std::fs::write(&f, batch).unwrap();
        let out = ns_exec(&lab.routers[i].ns, &["ip", "-batch", &f.to_string_lossy()]);
        assert!(
            out.status.success(),
            "ip -batch: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// keepalived.conf `bfd_instance` blocks for `n` sessions seen from router `side`.
fn ka_conf(lab: &Lab, n: usize, side: usize, ms: u32) -> String {
    let mut s = String::new();
    for k in 0..n {
        let (a, b) = pair(lab, n, k);
        let (local, peer) = if side == 0 { (a, b) } else { (b, a) };
        let _ = writeln!(
            s,
            "bfd_instance b{k} {{\n    neighbor_ip {peer}\n    source_ip {local}\n    min_rx {ms}\n    min_tx {ms}\n    multiplier 3\n}}"
        );
    }
    s
}

fn frr_conf(lab: &Lab, n: usize, ms: u32) -> String {
    let mut s = String::from("bfd\n");
    for k in 0..n {
        let (local, peer) = pair(lab, n, k);
        let _ = writeln!(
            s,
            " peer {peer} local-address {local}\n  transmit-interval {ms}\n  receive-interval {ms}\n  detect-multiplier 3"
        );
    }
    s
}

/// The detector in router 0 and its processes: (the BFD process, the others).
struct Detector {
    _daemon: Option<Daemon>,
    _frr: Option<Frr>,
    bfd_pid: i32,
    other_pids: Vec<i32>,
}

fn start_detector(which: Impl, lab: &Lab, dir: &Path, n: usize, ms: u32) -> Detector {
    let ns = &lab.routers[0].ns;
    let run = dir.join(format!("run-{}", which.name().replace(' ', "-")));
    std::fs::create_dir_all(&run).unwrap();
    match which {
        Impl::Rs | Impl::Ka => {
            let conf = run.join("d.conf");
            std::fs::write(&conf, ka_conf(lab, n, 0, ms)).unwrap();
            let d = Daemon::start_cmd(&mut quiet_cmd(ns, which == Impl::Ka, &conf, &run));
            let (bfd_pid, other_pids) = if which == Impl::Ka {
                (
                    pid_in(&run.join("bfd.pid")),
                    vec![pid_in(&run.join("ka.pid"))],
                )
            } else {
                (d.pid(), Vec::new())
            };
            Detector {
                _daemon: Some(d),
                _frr: None,
                bfd_pid,
                other_pids,
            }
        }
        Impl::Frr => {
            let f = Frr::start(ns, &frr_conf(lab, n, ms));
            let bfd_pid = f.bfdd_pid();
            let zebra = f.zebra_pid();
            Detector {
                _daemon: None,
                _frr: Some(f),
                bfd_pid,
                other_pids: vec![zebra],
            }
        }
    }
}

/// The peer: keepalived-rs in router 1 with the mirror sessions.
fn start_peer(lab: &Lab, dir: &Path, n: usize, ms: u32) -> Daemon {
    let run = dir.join("run-peer");
    std::fs::create_dir_all(&run).unwrap();
    let conf = run.join("p.conf");
    std::fs::write(&conf, ka_conf(lab, n, 1, ms)).unwrap();
    Daemon::start_cmd(&mut quiet_cmd(&lab.routers[1].ns, false, &conf, &run))
}

/// The lab's daemon command without `-D`: keepalived's detailed log writes a line for every
/// discarded BFD packet, which at 100 sessions costs it more than the sessions do.
fn quiet_cmd(ns: &str, keepalived: bool, conf: &Path, run: &Path) -> std::process::Command {
    let cmd = daemon_cmd(ns, keepalived, conf, run);
    let args: Vec<std::ffi::OsString> = cmd
        .get_args()
        .filter(|a| *a != "-D")
        .map(|a| a.to_os_string())
        .collect();
    let mut quiet = std::process::Command::new(cmd.get_program());
    quiet.args(args);
    quiet
}

/// How many of the peer's sessions are Up now, from its log (the last Up/Down line of each).
fn up_count(peer: &Daemon) -> usize {
    let mut state = std::collections::HashMap::new();
    for l in peer.log().lines() {
        let Some(open) = l.find("(b") else { continue };
        let rest = &l[open + 1..];
        let Some(close) = rest.find(')') else {
            continue;
        };
        let name = &rest[..close];
        if rest.contains("Entering Up state") {
            state.insert(name.to_string(), true);
        } else if rest.contains("Entering Down state") || rest.contains("Entering AdminDown") {
            state.insert(name.to_string(), false);
        }
    }
    state.values().filter(|u| **u).count()
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    // Nearest rank.
    let rank = ((p / 100.0) * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted[rank.min(sorted.len()) - 1]
}

struct Detection {
    samples: Vec<f64>,
    failed: usize,
}

/// Detection trials of `which` at `ms` (one session); samples in ms, minus nothing (raw).
fn detection(which: Impl, ms: u32, trials: usize) -> Detection {
    let mut lab = Lab::new("bd", 2);
    lab.capture();
    let dir = TempDir::new("bfd-bench-det");
    let peer = start_peer(&lab, dir.path(), 1, ms);
    let _det = start_detector(which, &lab, dir.path(), 1, ms);
    let (us, them) = (IpAddr::V4(lab.routers[0].v4), IpAddr::V4(lab.routers[1].v4));
    let mut out = Detection {
        samples: Vec::new(),
        failed: 0,
    };
    let both_up = |since: Instant| {
        let seen = bfd_packets(&lab.frames_since(since));
        // Every packet of the window from both sides: Up at the fast rate, no Poll or Final.
        let settled = |who: IpAddr| {
            let mine: Vec<_> = seen.iter().filter(|s| s.src == who).collect();
            mine.len() >= 4
                && mine
                    .iter()
                    .all(|s| s.state == State::Up && !s.poll && !s.fin && s.min_tx == ms * 1000)
        };
        settled(us) && settled(them)
    };
    for _ in 0..trials {
        // Up, and settled at the fast interval: both sides' last packets Up, no Poll pending.
        if !poll_until(Duration::from_secs(15), || {
            both_up(Instant::now() - Duration::from_millis(u64::from(ms) * 6))
        }) {
            out.failed += 1;
            continue;
        }
        let t0 = Instant::now();
        let frozen = Frozen::new(peer.pid());
        let mut took = None;
        poll_until(Duration::from_secs(3), || {
            // Back as far as the settled window (all Up) for the peer's last packet; the Down
            // must come after the freeze (a Down of the previous trial's thaw may lie further
            // back).
            let seen =
                bfd_packets(&lab.frames_since(t0 - Duration::from_millis(u64::from(ms) * 6)));
            if let Some(d) = seen
                .iter()
                .position(|s| s.src == us && s.state == State::Down && s.at >= t0)
                && let Some(p) = seen[..d].iter().rev().find(|s| s.src == them)
            {
                took = Some(seen[d].stamp().saturating_sub(p.stamp()));
            }
            took.is_some()
        });
        drop(frozen);
        match took {
            Some(d) => out.samples.push(d.as_secs_f64() * 1000.0),
            None => out.failed += 1,
        }
    }
    out
}

struct Foot {
    up: usize,
    cpu_ticks: f64,
    cpu_sched: f64,
    rss_kb: u64,
    pss_kb: Option<u64>,
    other_rss_kb: u64,
}

fn footprint(which: Impl, n: usize, ms: u32, window: Duration) -> Foot {
    let lab = Lab::new("bc", 2);
    let dir = TempDir::new("bfd-bench-cpu");
    add_addresses(&lab, dir.path(), n);
    let peer = start_peer(&lab, dir.path(), n, ms);
    let det = start_detector(which, &lab, dir.path(), n, ms);
    poll_until(Duration::from_secs(30), || up_count(&peer) == n);
    // Settle past the Poll Sequences of the bring-up.
    std::thread::sleep(Duration::from_secs(2));
    let up = up_count(&peer);
    let pids = [det.bfd_pid];
    let (t0, s0) = cpu(&pids);
    let w0 = Instant::now();
    std::thread::sleep(window);
    let (t1, s1) = cpu(&pids);
    let secs = w0.elapsed().as_secs_f64();
    // SAFETY: sysconf is always safe to call.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    let (rss_kb, pss_kb) = memory(&pids);
    let (other_rss_kb, _) = memory(&det.other_pids);
    Foot {
        up: up_count(&peer).min(up),
        cpu_ticks: (t1 - t0) as f64 / hz / secs * 100.0,
        cpu_sched: (s1 - s0) as f64 / 1e9 / secs * 100.0,
        rss_kb,
        pss_kb,
        other_rss_kb,
    }
}

fn main() {
    let t_bench = Instant::now();
    if !require(
        common::is_root(),
        "bfd benchmark: not root (network namespaces)",
    ) || !require(common::have("ip", "-V"), "bfd benchmark: iproute2 missing")
        || !require(
            common::have("keepalived", "-v"),
            "bfd benchmark: keepalived not installed (the comparison needs it)",
        )
        || !require(
            have_frr(),
            "bfd benchmark: FRR not installed (the comparison needs it)",
        )
    {
        return;
    }
    let cpu_secs = env_num("KRS_BENCH_CPU_SECS", 10).max(1);
    let trials = env_num("KRS_BENCH_TRIALS", 20).max(1) as usize;
    let window = Duration::from_secs(cpu_secs);
    println!(
        "BFD benchmark: keepalived-rs, keepalived {} (BFD child) and FRR bfdd side by side, in this run",
        keepalived_version()
    );
    println!(
        "settings: detection trials {trials} (keepalived-rs), {} (others); CPU window {cpu_secs} s (KRS_BENCH_CPU_SECS); multiplier 3; the peer of every detector is keepalived-rs",
        (trials / 4).max(5)
    );

    // a. Detection.
    println!();
    println!(
        "a. Detection: peer frozen, its last packet -> the detector's first Down packet (kernel stamps on the bridge)"
    );
    println!(
        "   {:<14} {:>8} {:>7} {:>9} {:>9} {:>9} {:>9} {:>9}  p99 - theory",
        "detector", "interval", "trials", "theory", "median", "p90", "p99", "max"
    );
    let mut rs_p99_excess: Vec<(u32, f64)> = Vec::new();
    for ms in [50u32, 10] {
        for which in ALL {
            let n = if which == Impl::Rs {
                trials
            } else if ms == 50 {
                (trials / 4).max(5)
            } else {
                continue;
            };
            let d = detection(which, ms, n);
            let theory = f64::from(ms) * 3.0;
            let mut s = d.samples.clone();
            s.sort_by(|a, b| a.total_cmp(b));
            if s.is_empty() {
                println!(
                    "   {:<14} {:>6}ms {:>7}  no measurement ({} failed)",
                    which.name(),
                    ms,
                    n,
                    d.failed
                );
                continue;
            }
            let p99 = pct(&s, 99.0);
            if which == Impl::Rs {
                rs_p99_excess.push((ms, p99 - theory));
            }
            println!(
                "   {:<14} {:>6}ms {:>7} {:>7.1}ms {:>7.2}ms {:>7.2}ms {:>7.2}ms {:>7.2}ms  {:+.2} ms{}",
                which.name(),
                ms,
                s.len(),
                theory,
                pct(&s, 50.0),
                pct(&s, 90.0),
                p99,
                s[s.len() - 1],
                p99 - theory,
                if d.failed > 0 {
                    format!(" ({} trials failed)", d.failed)
                } else {
                    String::new()
                }
            );
        }
    }

    // b. Footprint.
    println!();
    println!(
        "b. Footprint of the detector's BFD process, sessions Up, over {cpu_secs} s (CPU % of one CPU: utime+stime / scheduler run time)"
    );
    println!(
        "   {:<14} {:>8} {:>8} {:>6} {:>14} {:>11} {:>9} {:>9}  other processes' RSS",
        "detector", "sessions", "interval", "up", "CPU ticks/sched", "per session", "RSS", "PSS"
    );
    let mut per_session: Vec<(usize, u32, Impl, f64, u64)> = Vec::new();
    for (n, ms) in [(1usize, 50u32), (1, 10), (100, 50), (100, 10)] {
        for which in ALL {
            let f = footprint(which, n, ms, window);
            let per = f.cpu_sched / n as f64;
            // Only a run with every session Up compares.
            if f.up == n {
                per_session.push((n, ms, which, f.cpu_sched, f.rss_kb));
            }
            println!(
                "   {:<14} {:>8} {:>6}ms {:>6} {:>6.2}/{:<6.2}% {:>9.4}% {:>6}kB {:>7}  {}",
                which.name(),
                n,
                ms,
                f.up,
                f.cpu_ticks,
                f.cpu_sched,
                per,
                f.rss_kb,
                f.pss_kb.map_or("-".to_string(), |p| format!("{p}kB")),
                match which {
                    Impl::Rs => "none (one process)".to_string(),
                    Impl::Ka => format!("parent {} kB", f.other_rss_kb),
                    Impl::Frr => format!("zebra {} kB", f.other_rss_kb),
                }
            );
        }
    }

    println!();
    println!(
        "Ratios (keepalived / keepalived-rs, FRR / keepalived-rs; CPU from the scheduler's run time):"
    );
    let mut cpu_met = true;
    for (n, ms) in [(1usize, 50u32), (1, 10), (100, 50), (100, 10)] {
        let get = |w: Impl| {
            per_session
                .iter()
                .find(|p| p.0 == n && p.1 == ms && p.2 == w)
                .map(|p| (p.3, p.4))
        };
        let (Some(rs), Some(ka), Some(fr)) = (get(Impl::Rs), get(Impl::Ka), get(Impl::Frr)) else {
            continue;
        };
        if rs.0 >= ka.0 {
            cpu_met = false;
        }
        println!(
            "   {n:>3} x {ms:>2} ms: CPU {:.2}x / {:.2}x, RSS {:.2}x / {:.2}x",
            ka.0 / rs.0.max(1e-9),
            fr.0 / rs.0.max(1e-9),
            ka.1 as f64 / rs.1.max(1) as f64,
            fr.1 as f64 / rs.1.max(1) as f64,
        );
    }
    println!();
    for (ms, excess) in &rs_p99_excess {
        println!(
            "target: keepalived-rs detection p99 <= theory + 2 ms at {ms} ms: {:+.2} ms: {}",
            excess,
            if *excess <= 2.0 { "MET" } else { "MISSED" }
        );
    }
    println!(
        "target: keepalived-rs CPU per session below keepalived's in every case: {}",
        if cpu_met { "MET" } else { "MISSED" }
    );
    println!(
        "BFD benchmark took {:.0} s",
        t_bench.elapsed().as_secs_f64()
    );
}

fn keepalived_version() -> String {
    let out = std::process::Command::new("keepalived").arg("-v").output();
    out.ok()
        .map(|o| {
            let t = String::from_utf8_lossy(&o.stderr).into_owned()
                + &String::from_utf8_lossy(&o.stdout);
            t.split_whitespace().nth(1).unwrap_or("").to_string()
        })
        .unwrap_or_default()
}
