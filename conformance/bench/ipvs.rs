//! The IPVS table side by side with Debian's keepalived 2.2.7 (`-C`, no checkers: every real
//! server is up), both in the IPVS guest (QEMU TCG, `conformance/ipvs-vm/`), so both run under the
//! same emulation and the ratio holds while the absolute times are the emulator's. One boot per
//! implementation and case; the guest runs `ipvs-guest.sh` (beside this file, embedded):
//!
//! a. Start -> the complete table (the last destination in, then every destination counted
//!    over netlink), split at the first destination in (before it: starting, reading the file,
//!    deciding; after it: sending and the kernel's work); RSS (VmRSS of every process of the
//!    daemon: keepalived's parent and checker child, summed and each).
//! b. A reload changing 10 % of the weights (1 -> 7): SIGHUP -> every changed weight in the
//!    kernel, split at the first changed weight seen ("read" before, "kernel" after); ours also
//!    logs "Reload finished in" and "the kernel took N change(s) in X ms" (first change sent to
//!    last answered). The daemon's log after the SIGHUP is searched for removed or added real
//!    servers (per change or in ours' summary line; keepalived logs its removals): a weight
//!    change must be an edit, never a removal and re-adding.
//! c. With strace (`KRS_BENCH_STRACE=1`, the default; in CI for 1,000 x 4 only): the same start
//!    and reload again under `strace -f` (the host's strace, copied with its libraries),
//!    netlink send/recv system calls counted before and after the SIGHUP.
//! d. On the host: `-t -f` (reading and checking the configuration), median of runs, ours vs
//!    keepalived's.
//!
//! Cases: 1,000 services x 4 real servers and 2,000 x 20 (40,000 destinations), both in CI
//! (`CI` or `KRS_BENCH_QUICK=1`: strace for the small case only; about 3 minutes).
//! Measured (2026-12-07, the clean-clone CI run, TCG on a 2-core host, one run each; ours /
//! keepalived): 1,000 x 4: complete table 1.09 s / 3.07 s (2.8x), reload converged 0.48 s /
//! 0.80 s (kernel part 0.16 s / 0.21 s), RSS 7.7 MB / 16.0 MB, netlink system calls at start
//! 69 / 15,010. 2,000 x 20: complete table 4.08 s / 11.55 s (2.8x), reload converged 2.15 s /
//! 5.17 s (kernel part 0.19 s / 0.96 s; 0.19-0.26 s over five runs), RSS 27.0 MB / 27.2 MB
//! (with the sorted destination vectors, a later run). No removed or re-added real server in
//! either reload. `-t` on the host: 2.7x at 1,000 x 4, 2.3x at 2,000 x 20.
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
    /// The virtual addresses differ in their last byte, as a range of VIPs does: the kernel
    /// hashes a service by the last byte of its address and its port only (256 chains), so
    /// VIPs like 10.x.y.1 on one port would share one chain, and every request naming a
    /// service would scan all of them (measured: 54 % of the guest's CPU in
    /// `ip_vs_genl_parse_service` during a 40,000-weight reload, for both daemons alike).
    fn vs(i: usize) -> String {
        format!("10.{}.0.{}", 100 + i / 250, 1 + i % 250)
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
    /// The guest script's LAST_VS LAST_RS CHANGED_VS CHANGED_RS FIRST_VS FIRST_RS arguments
    /// (the first destination is also the first changed one).
    fn marks(self) -> String {
        let i = self.services - 1;
        let d = (self.dests() - 1) / 10 * 10;
        format!(
            "{}:80 {}:8080 {}:80 {}:8080 {}:80 {}:8080",
            Self::vs(i),
            Self::rs(i, self.reals - 1),
            Self::vs(d / self.reals),
            Self::rs(d / self.reals, d % self.reals),
            Self::vs(0),
            Self::rs(0, 0)
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
        case.marks()
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

/// Copies the shared libraries `bin` needs, except glibc's (the guest has Debian's), into `to`.
fn copy_libs(bin: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    let ldd = Command::new("ldd").arg(bin).output().unwrap();
    for line in String::from_utf8_lossy(&ldd.stdout).lines() {
        if let Some((name, rest)) = line.trim().split_once(" => ") {
            let path = rest.split(' ').next().unwrap_or("");
            if !name.starts_with("libc.") && Path::new(path).is_file() {
                let _ = std::fs::copy(path, to.join(name));
            }
        }
    }
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

/// The guest's view of the kernel's table for `ipvs-guest.sh`, over generic netlink (this
/// binary runs in the guest):
/// - `ipvs-bench --poll VS RS WEIGHT`: waits until the service `VS` (`TCP addr:port`) has the
///   real server `RS` (`addr:port`), with weight `WEIGHT` unless that is `-`, and prints the time
///   it saw it (CLOCK_REALTIME, microseconds). One small dump every 5 ms: a poll costs a fraction
///   of a millisecond of the guest's one vCPU, where running `ipvsadm` costs about 150 ms of it
///   (the daemons would share the CPU with the watch). 100 s deadline: exit 1.
/// - `ipvs-bench --count WEIGHT`: prints how many destinations (of weight `WEIGHT` unless `-`)
///   the table has. Reading /proc/net/ip_vs instead costs minutes at 40,000 destinations under
///   emulation (the kernel walks the table again for every page of text).
fn guest_mode(args: &[String]) -> ! {
    use keepalived_rs::ipvs::codec::{self, Reply, Request};
    use keepalived_rs::ipvs::model::ServiceKey;
    use keepalived_rs::netlink::wire::{self, Messages};
    // SAFETY: plain socket calls on a descriptor this function owns; buffers outlive the calls.
    let fd = unsafe { libc::socket(libc::AF_NETLINK, libc::SOCK_RAW, libc::NETLINK_GENERIC) };
    assert!(fd >= 0, "netlink socket");
    let mut rx = vec![0u8; 256 * 1024];
    // Sends `req` and reads until its NLMSG_DONE or error; every message's payload to `each`.
    let mut ask = |req: &[u8], each: &mut dyn FnMut(&[u8])| {
        let n = unsafe { libc::send(fd, req.as_ptr().cast(), req.len(), 0) };
        assert!(n >= 0, "send: {}", std::io::Error::last_os_error());
        loop {
            let n = unsafe { libc::recv(fd, rx.as_mut_ptr().cast(), rx.len(), 0) };
            assert!(n >= 0, "recv: {}", std::io::Error::last_os_error());
            for m in Messages::new(&rx[..n as usize]).flatten() {
                if m.ty == wire::NLMSG_DONE || m.ty == wire::NLMSG_ERROR {
                    return;
                }
                each(m.payload);
            }
        }
    };
    let mut buf = Vec::new();
    codec::get_family(&mut buf, 1, codec::FAMILY_NAME).unwrap();
    let mut family = None;
    ask(&buf, &mut |p| {
        family = codec::parse_family(p).ok().map(|f| f.id)
    });
    let family = family.expect("the IPVS family");
    let weight: Option<i32> = args.last().and_then(|w| w.parse().ok());
    if args[0] == "--count" {
        codec::encode(&mut buf, family, 2, &Request::GetServices).unwrap();
        let mut keys = Vec::new();
        ask(&buf, &mut |p| {
            if let Ok(Reply::Service(s)) = codec::parse_reply(p) {
                keys.push(s.key);
            }
        });
        let mut n = 0;
        for k in keys {
            codec::encode(&mut buf, family, 3, &Request::GetDests(k)).unwrap();
            ask(&buf, &mut |p| {
                if let Ok(Reply::Dest(d, _)) = codec::parse_reply(p) {
                    n += usize::from(weight.is_none_or(|w| w == d.weight));
                }
            });
        }
        println!("{n}");
        std::process::exit(0);
    }
    let parse = |s: &str| s.parse::<std::net::SocketAddr>().expect("addr:port");
    let vs = parse(&args[1]);
    let rs = parse(&args[2]);
    let key = ServiceKey::Addr {
        protocol: libc::IPPROTO_TCP as u16,
        addr: vs.ip(),
        port: vs.port(),
    };
    codec::encode(&mut buf, family, 2, &Request::GetDests(key)).unwrap();
    let end = Instant::now() + std::time::Duration::from_secs(100);
    while Instant::now() < end {
        let mut seen = false;
        ask(&buf, &mut |p| {
            if let Ok(Reply::Dest(d, _)) = codec::parse_reply(p) {
                seen |= d.addr == rs.ip()
                    && d.port == rs.port()
                    && weight.is_none_or(|w| w == d.weight);
            }
        });
        if seen {
            let t = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap();
            println!("{}", t.as_micros());
            std::process::exit(0);
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    std::process::exit(1);
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("--poll") if args.len() == 4 => guest_mode(&args),
        Some("--count") if args.len() == 2 => guest_mode(&args),
        _ => {}
    }
    let quick = std::env::var_os("KRS_BENCH_QUICK").is_some_and(|v| v == "1")
        || std::env::var_os("CI").is_some();
    let strace = std::env::var("KRS_BENCH_STRACE").map_or(true, |v| v == "1");
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
    // This binary is the guest's poller (`--poll`), with its libraries but glibc's own.
    let me = std::env::current_exe().unwrap();
    std::fs::copy(&me, dir.path().join("ipvs-bench")).unwrap();
    copy_libs(&me, &dir.path().join("libs"));
    if let Some(s) = &strace_bin {
        // The host's strace and its libraries (the guest has Debian's glibc, not the rest).
        let sd = dir.path().join("strace");
        copy_libs(Path::new(s), &sd);
        std::fs::copy(s, sd.join("strace")).unwrap();
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
    for case in [small, large] {
        // Quick: the large case without strace (under it, keepalived's 42,000 requests cost
        // minutes of emulation).
        let strace = strace && (!quick || case.dests() < 10_000);
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
        for (label, key, unit) in [
            ("start -> complete table", "start_ms", "ms"),
            (
                "  of it: first real server -> complete",
                "start_kernel_ms",
                "ms",
            ),
            ("  kernel took the changes (our log)", "start_took", "ms"),
            ("RSS after start (all processes)", "rss_kb", "kB"),
            ("reload: SIGHUP -> kernel converged", "reload_ms", "ms"),
            ("  read: SIGHUP -> first change in", "reload_first_ms", "ms"),
            (
                "  kernel: first -> last change in",
                "reload_kernel_ms",
                "ms",
            ),
            ("  kernel took the changes (our log)", "reload_took", "ms"),
        ] {
            row(label, key, unit);
        }
        {
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
        if o.contains_key("sys_start") || k.contains_key("sys_start") {
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
