//! The IPVS table side by side with Debian's keepalived 2.2.7 (`-C`, no checkers: every real
//! server is up), both in the IPVS guest (QEMU TCG, `conformance/ipvs-vm/`), so both run under the
//! same emulation and the ratio holds while the absolute times are the emulator's. One boot per
//! implementation and case; the guest runs `ipvs-guest.sh` (beside this file, embedded):
//!
//! a. Start -> the complete table (every destination in /proc/net/ip_vs), RSS (VmRSS of every
//!    process of the daemon: keepalived's parent and checker child, summed and each).
//! b. A reload changing 10 % of the weights (1 -> 7): SIGHUP -> every changed weight in the
//!    kernel ("kernel part"); ours also reports its own "Reload finished in" (reading, checking,
//!    diffing the new configuration: "read part"). The daemon's log after the SIGHUP is searched
//!    for removed or added real servers (ours logs every change it sends; keepalived logs its
//!    removals): a weight change must be an edit, never a removal and re-adding.
//! c. With `KRS_BENCH_STRACE=1` (default in the long version): the same start and reload again
//!    under `strace -f` (the host's strace, copied with its libraries), netlink send/recv system
//!    calls counted before and after the SIGHUP.
//! d. On the host: `-t -f` (reading and checking the configuration), median of runs, ours vs
//!    keepalived's.
//!
//! Cases: 1,000 services x 4 real servers, 2,000 x 20 (40,000 destinations). `KRS_BENCH_QUICK=1`
//! or `CI` set: the 1,000 x 4 case alone (start and reload), without strace, about a minute; a
//! boot with 40,000 destinations costs 100-120 s of emulation per implementation (measured),
//! which is the long version's (about 8 minutes with strace).
//! Measured (2026-12-07, TCG on a loaded 2-core host, one run each; keepalived / ours):
//! 1,000 x 4: complete table 2.9 s / 3.8 s (0.76; 1.25 in another run), reload converged
//! 1.07 s / 2.36 s (0.45), RSS 15.8 MB / 8.6 MB. 2,000 x 20: complete table 18.8 s / 20.6 s
//! (0.91), reload converged 8.9 s / 11.3 s (0.78; our read part 5.7 s of it), RSS 27.0 MB /
//! 56.3 MB. No removed or re-added real server in either reload. `-t` on the host: 1.3-1.7x at
//! 1,000 x 4, 1.0-1.8x at 2,000 x 20 (host load). Under strace ours stalls (ENOBUFS in the trace).
//!
//! Run (root): `cargo bench --bench ipvs`. Without the guest or keepalived it prints SKIP (a
//! failure under KEEPALIVED_RS_FULL_TESTS=1).

#[path = "../common/mod.rs"]
mod common;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use common::ipvs_vm::IpvsVm;
use common::{TempDir, require};

const GUEST_SCRIPT: &str = include_str!("ipvs-guest.sh");

/// The changed weight of the reload configuration (the guest script looks for it).
const NEW_WEIGHT: u32 = 7;

#[derive(Clone, Copy)]
struct Case {
    services: usize,
    reals: usize,
}

impl Case {
    fn dests(self) -> usize {
        self.services * self.reals
    }
    fn changed(self) -> usize {
        self.dests().div_ceil(10)
    }
    fn name(self) -> String {
        format!("{} x {}", self.services, self.reals)
    }
    fn vs(i: usize) -> String {
        format!("10.{}.{}.1", 100 + i / 250, i % 250)
    }
    fn rs(i: usize, k: usize) -> String {
        format!("10.{}.{}.{}", i / 250, i % 250, k + 2)
    }
    /// The configuration; `reload`: every tenth destination (in order) gets weight 7. The order
    /// of the services and of each one's real servers is also their address order.
    fn config(self, reload: bool) -> String {
        let mut s = String::from("global_defs {\n    router_id bench\n}\n\n");
        let mut d = 0;
        for i in 0..self.services {
            let _ = writeln!(
                s,
                "virtual_server {} 80 {{\n    lb_algo wrr\n    lb_kind NAT\n    protocol TCP",
                Self::vs(i)
            );
            for k in 0..self.reals {
                let w = if reload && d % 10 == 0 { NEW_WEIGHT } else { 1 };
                let _ = writeln!(
                    s,
                    "    real_server {} 8080 {{\n        weight {w}\n    }}",
                    Self::rs(i, k)
                );
                d += 1;
            }
            s.push_str("}\n");
        }
        s
    }
    /// The guest script's LAST_VS LAST_RS CHANGED_VS CHANGED_RS arguments.
    fn last(self) -> String {
        let i = self.services - 1;
        let d = (self.dests() - 1) / 10 * 10;
        format!(
            "{}:80 {}:8080 {}:80 {}:8080",
            Self::vs(i),
            Self::rs(i, self.reals - 1),
            Self::vs(d / self.reals),
            Self::rs(d / self.reals, d % self.reals)
        )
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Impl {
    Ours,
    Keepalived,
}

impl Impl {
    fn tag(self) -> &'static str {
        match self {
            Impl::Ours => "rs",
            Impl::Keepalived => "ka",
        }
    }
}

type Figures = BTreeMap<String, String>;

/// One boot: the guest script for `imp` on `case`; its `@key value` lines.
fn guest_run(vm: &IpvsVm, dir: &Path, imp: Impl, case: Case, strace: bool) -> Figures {
    let start = format!("c{}.conf", case.name().replace(" x ", "x"));
    let reload = format!("c{}r.conf", case.name().replace(" x ", "x"));
    if !dir.join(&start).exists() {
        std::fs::write(dir.join(&start), case.config(false)).unwrap();
        std::fs::write(dir.join(&reload), case.config(true)).unwrap();
    }
    let cmd = format!(
        "bash ipvs-guest.sh {} {start} {reload} {} {} {} {}",
        imp.tag(),
        case.dests(),
        case.changed(),
        u8::from(strace),
        case.last()
    );
    let t0 = Instant::now();
    let (status, out) = vm.run(dir, &cmd);
    let mut f = Figures::new();
    for line in out.lines() {
        if let Some(rest) = line.strip_prefix('@') {
            let (k, v) = rest.split_once(' ').unwrap_or((rest, ""));
            f.insert(k.to_string(), v.trim().to_string());
        }
    }
    if status != 0 || f.contains_key("timeout") {
        eprintln!("guest run {cmd} failed ({status}):\n{out}");
        panic!("the IPVS guest run failed");
    }
    eprintln!(
        "  {} {}: boot and run {:.1} s",
        imp.tag(),
        case.name(),
        t0.elapsed().as_secs_f64()
    );
    f
}

fn num(f: &Figures, k: &str) -> Option<f64> {
    f.get(k).and_then(|v| v.parse().ok())
}

fn ratio(theirs: Option<f64>, ours: Option<f64>) -> String {
    match (theirs, ours) {
        (Some(t), Some(o)) if o > 0.0 => format!("{:.2}", t / o),
        _ => "-".into(),
    }
}

fn show(v: Option<f64>, unit: &str) -> String {
    v.map_or("-".into(), |v| format!("{v:.0} {unit}"))
}

/// `bin args` RUNS times on the host; the median wall time in ms and the exit status.
fn median_ms(bin: &str, args: &[&str], runs: usize) -> (f64, i32) {
    let mut times = Vec::with_capacity(runs);
    let mut code = 0;
    for _ in 0..runs {
        let t0 = Instant::now();
        let st = Command::new(bin)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("spawn");
        times.push(t0.elapsed().as_secs_f64() * 1000.0);
        code = st.code().unwrap_or(-1);
    }
    times.sort_by(f64::total_cmp);
    (times[runs / 2], code)
}

fn main() {
    let quick = std::env::var_os("KRS_BENCH_QUICK").is_some_and(|v| v == "1")
        || std::env::var_os("CI").is_some();
    let strace = std::env::var("KRS_BENCH_STRACE").map_or(!quick, |v| v == "1");
    if std::env::var_os("VM_TIMEOUT").is_none() {
        // SAFETY: no other thread runs yet. The guest's own deadlines are 100 s a wait.
        unsafe { std::env::set_var("VM_TIMEOUT", "300") };
    }
    let ka = Path::new("/usr/sbin/keepalived");
    if !require(
        ka.exists(),
        "keepalived not installed (/usr/sbin/keepalived)",
    ) {
        return;
    }
    let Some(vm) = IpvsVm::require() else { return };
    let strace_bin = Command::new("sh")
        .args(["-c", "command -v strace"])
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .filter(|s| !s.is_empty());
    let strace = strace
        && require(
            strace_bin.is_some(),
            "strace not installed (system call counts)",
        );
    let dir = TempDir::new("ipvs-bench");
    let ours = env!("CARGO_BIN_EXE_keepalived-rs");
    std::fs::copy(ours, dir.path().join("keepalived-rs")).unwrap();
    std::fs::write(dir.path().join("ipvs-guest.sh"), GUEST_SCRIPT).unwrap();
    if let Some(s) = &strace_bin {
        // The host's strace and its libraries (the guest has Debian's glibc, not the rest).
        let sd = dir.path().join("strace");
        std::fs::create_dir_all(&sd).unwrap();
        std::fs::copy(s, sd.join("strace")).unwrap();
        let ldd = Command::new("ldd").arg(s).output().unwrap();
        for line in String::from_utf8_lossy(&ldd.stdout).lines() {
            if let Some((name, rest)) = line.trim().split_once(" => ") {
                let path = rest.split(' ').next().unwrap_or("");
                if !name.starts_with("libc.") && Path::new(path).is_file() {
                    let _ = std::fs::copy(path, sd.join(name));
                }
            }
        }
    }
    let small = Case {
        services: 1000,
        reals: 4,
    };
    let large = Case {
        services: 2000,
        reals: 20,
    };
    println!(
        "IPVS benchmark: keepalived-rs vs keepalived 2.2.7 -C in the IPVS guest (QEMU {}, 1 vCPU){}",
        if quick { "TCG, quick" } else { "TCG" },
        if strace { ", with strace" } else { "" }
    );
    let cases = if quick {
        vec![small]
    } else {
        vec![small, large]
    };
    for case in cases {
        let o = guest_run(&vm, dir.path(), Impl::Ours, case, strace);
        let k = guest_run(&vm, dir.path(), Impl::Keepalived, case, strace);
        println!(
            "\n{} ({} destinations, reload changes {} weights)",
            case.name(),
            case.dests(),
            case.changed()
        );
        println!(
            "{:<38} {:>14} {:>14} {:>8}",
            "", "keepalived-rs", "keepalived", "ratio"
        );
        let row = |label: &str, key: &str, unit: &str| {
            println!(
                "{label:<38} {:>14} {:>14} {:>8}",
                show(num(&o, key), unit),
                show(num(&k, key), unit),
                ratio(num(&k, key), num(&o, key))
            );
        };
        row("start -> complete table", "start_ms", "ms");
        row("RSS after start (all processes)", "rss_kb", "kB");
        {
            row("reload: SIGHUP -> kernel converged", "reload_ms", "ms");
            println!(
                "{:<38} {:>14} {:>14}",
                "reload: read part (our log)",
                o.get("reload_read").map_or("-", |s| s.as_str()),
                "-"
            );
            row("reload: real servers removed", "reload_dels", "");
            row("reload: real servers added", "reload_adds", "");
            row("RSS after reload", "rss_kb2", "kB");
        }
        if strace {
            row("netlink syscalls: start", "sys_start", "");
            row("netlink syscalls: reload", "sys_reload", "");
            for (name, f) in [("keepalived-rs", &o), ("keepalived", &k)] {
                if let Some(s) = f.get("strace_stalled") {
                    println!(
                        "{name} stalled under strace ({s}; ENOBUFS/EAGAIN in the trace: {})",
                        f.get("strace_errors").map_or("-", |s| s.as_str())
                    );
                }
            }
        }
        println!(
            "(processes: ours {}; keepalived {})",
            o.get("rss_each").map_or("", |s| s),
            k.get("rss_each").map_or("", |s| s)
        );
    }
    // d. Reading the configuration on the host.
    let runs = if quick { 5 } else { 15 };
    println!("\nconfiguration read on the host (-t -f), median of {runs}:");
    println!(
        "{:<38} {:>14} {:>14} {:>8}",
        "", "keepalived-rs", "keepalived", "ratio"
    );
    for case in [small, large] {
        let path = dir
            .path()
            .join(format!("c{}.conf", case.name().replace(" x ", "x")));
        if !path.exists() {
            std::fs::write(&path, case.config(false)).unwrap();
        }
        let p = path.to_string_lossy();
        let (o, oc) = median_ms(ours, &["-t", "-f", &p], runs);
        let (t, tc) = median_ms(&ka.to_string_lossy(), &["-t", "-f", &p, "-l", "-n"], runs);
        println!(
            "{:<38} {:>11.1} ms {:>11.1} ms {:>8.2}   (exit {oc} / {tc})",
            case.name(),
            o,
            t,
            t / o
        );
    }
    println!("(ratio = keepalived / keepalived-rs: above 1 means keepalived-rs is faster)");
}
