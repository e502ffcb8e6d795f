//! VRRP side by side with Debian's keepalived, measured in the same run on the lab of
//! `conformance/common/lab.rs` (a bridge namespace, router namespaces with `eth0`):
//!
//! a. Failover precision: two routers (priorities 150/100), the master frozen with SIGSTOP. On the
//!    bridge capture (kernel receive stamps): the old master's last advert -> the new master's first
//!    advert, minus the Master_Down_Interval; first advert -> VIP added (the backup namespace's
//!    rtnetlink address events, read by a thread as they come) and -> first gratuitous ARP.
//! b. Memory: VmRSS and PSS (smaps_rollup) summed over the daemon's processes (keepalived: parent and
//!    VRRP child), with 1 and with 200 instances, settled.
//! c. CPU: utime+stime (/proc/PID/stat) and the scheduler's run time (/proc/PID/task/*/schedstat)
//!    over a window: 200 instances at advert_int 1 as master (no peer) and as backup (a master of
//!    the same implementation in another namespace), 20 instances of VRRPv3 at 10 ms as master.
//! d. System calls: `strace -c -f` attached to every process of the daemon for a few seconds after
//!    the CPU window, per advert sent by 200 masters (a timer wake) and per advert received by 200
//!    backups; the backups' masters are keepalived's for both (their adverts come spread over the
//!    second, so a receive is mostly one packet per wake: the case the plumbing must make cheap).
//!
//! Run (root): `cargo bench --bench vrrp`. Settings: `KRS_BENCH_CPU_SECS` (CPU window, default
//! 20 s; 60 for the full measurement), `KRS_BENCH_TRIALS` (failover trials per case and
//! implementation at 1 s, default 5; the 10 ms case runs three times as many),
//! `KRS_BENCH_STRACE_SECS` (part d's window, default 3 s), `KRS_BENCH_ONLY=syscalls` (part d
//! alone, with the CPU of the runs it traces). Without keepalived it prints SKIP (a failure under
//! KEEPALIVED_RS_FULL_TESTS=1); without strace, part d is skipped the same way.

#[path = "../common/mod.rs"]
mod common;

use std::fmt::Write as _;
use std::net::Ipv4Addr;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::lab::{AddrWatch, Frame, Lab, ns_pids};
use common::procstat::{cpu, memory};
use common::{Daemon, TempDir, poll_every, poll_until, require, send};
use keepalived_rs::wire::{arp, vrrp as wv};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Impl {
    /// The binary cargo built for this bench (glibc, dynamic).
    Ours,
    /// The static musl build, when one as new as the sources is there (memory and CPU only).
    OursStatic,
    Keepalived,
}

impl Impl {
    fn name(self) -> &'static str {
        match self {
            Impl::Ours => "keepalived-rs",
            Impl::OursStatic => "krs musl static",
            Impl::Keepalived => "keepalived",
        }
    }
}

const BOTH: [Impl; 2] = [Impl::Ours, Impl::Keepalived];

/// The binaries besides cargo's.
struct Bins {
    keepalived: String,
    musl: Option<String>,
}

/// The static musl build beside cargo's target directory (`KRS_BENCH_STATIC_BIN` overrides), if
/// it is newer than every source file; otherwise why not.
fn static_build() -> Result<String, String> {
    let path = match std::env::var("KRS_BENCH_STATIC_BIN") {
        Ok(p) => std::path::PathBuf::from(p),
        Err(_) => Path::new(common::bin())
            .parent()
            .and_then(Path::parent)
            .ok_or("no target directory")?
            .join("x86_64-unknown-linux-musl/release/keepalived-rs"),
    };
    let built = std::fs::metadata(&path)
        .and_then(|m| m.modified())
        .map_err(|_| format!("{} not built", path.display()))?;
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut newest = std::time::SystemTime::UNIX_EPOCH;
    let mut dirs = vec![root.join("src")];
    for f in ["Cargo.toml", "Cargo.lock"] {
        if let Ok(t) = std::fs::metadata(root.join(f)).and_then(|m| m.modified()) {
            newest = newest.max(t);
        }
    }
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let m = e.metadata().map_err(|e| e.to_string())?;
            if m.is_dir() {
                dirs.push(e.path());
            } else if let Ok(t) = m.modified() {
                newest = newest.max(t);
            }
        }
    }
    if built < newest {
        return Err(format!("{} is older than the sources", path.display()));
    }
    Ok(path.to_string_lossy().into_owned())
}

fn keepalived_bin() -> Option<&'static str> {
    ["/usr/sbin/keepalived", "/usr/local/sbin/keepalived"]
        .into_iter()
        .find(|p| Path::new(p).exists())
}

fn env_num(key: &str, default: u64) -> u64 {
    std::env::var(key)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// One `vrrp_instance` of a generated configuration.
struct Vi {
    vrid: u8,
    prio: u8,
    master: bool,
    vip: Ipv4Addr,
}

fn config(version: u8, advert: &str, vis: &[Vi]) -> String {
    let mut s = String::from("global_defs {\n    router_id bench\n}\n\n");
    for v in vis {
        let _ = writeln!(
            s,
            "vrrp_instance VI_{} {{\n    version {version}\n    state {}\n    interface eth0\n    virtual_router_id {}\n    priority {}\n    advert_int {advert}\n    virtual_ipaddress {{\n        {}/32\n    }}\n}}\n",
            v.vrid,
            if v.master { "MASTER" } else { "BACKUP" },
            v.vrid,
            v.prio,
            v.vip
        );
    }
    s
}

/// `n` instances with VRIDs 1..=n and VIPs 10.98.0.<VRID>.
fn many(n: u8, prio: u8, master: bool) -> Vec<Vi> {
    (1..=n)
        .map(|vrid| Vi {
            vrid,
            prio,
            master,
            vip: Ipv4Addr::new(10, 98, 0, vrid),
        })
        .collect()
}

/// A daemon started in a namespace, with its run directory (configuration, pid files).
struct Running {
    d: Daemon,
    ns: String,
    _dir: TempDir,
}

fn start(imp: Impl, bins: &Bins, ns: &str, conf: &str) -> Running {
    let dir = TempDir::new("vrrpbench");
    let p = |f: &str| dir.path().join(f).to_string_lossy().into_owned();
    let c = p("keepalived.conf");
    std::fs::write(&c, conf).unwrap();
    let mut cmd = Command::new("ip");
    cmd.args(["netns", "exec", ns]);
    match imp {
        Impl::Ours | Impl::OursStatic => cmd
            .arg(match (imp, &bins.musl) {
                (Impl::OursStatic, Some(m)) => m.as_str(),
                _ => common::bin(),
            })
            .args(["-n", "-l", "-D", "-f", &c, "-p", &p("krs.pid")]),
        Impl::Keepalived => cmd.arg(&bins.keepalived).args([
            "-n",
            "-l",
            "-D",
            "-f",
            &c,
            "-p",
            &p("ka.pid"),
            "-r",
            &p("vrrp.pid"),
            "-c",
            &p("chk.pid"),
            "-b",
            &p("bfd.pid"),
        ]),
    };
    cmd.stdout(Stdio::null());
    Running {
        d: Daemon::start_cmd(&mut cmd),
        ns: ns.to_string(),
        _dir: dir,
    }
}

impl Running {
    /// The daemon's processes (keepalived: the parent and its children).
    fn pids(&self) -> Vec<i32> {
        ns_pids(&self.ns)
            .into_iter()
            .filter(|p| {
                std::fs::read_to_string(format!("/proc/{p}/comm"))
                    .is_ok_and(|c| c.starts_with("keepalived"))
            })
            .collect()
    }

    fn signal_all(&self, sig: i32) {
        for p in self.pids() {
            send(p, sig);
        }
    }

    /// SIGTERM and wait; SIGKILL whatever is left in the namespace.
    fn stop(mut self) {
        self.signal_all(libc::SIGCONT);
        self.d.signal(libc::SIGTERM);
        if self.d.wait_exit(Duration::from_secs(10)).is_none() {
            self.d.kill9();
        }
        for p in ns_pids(&self.ns) {
            send(p, libc::SIGKILL);
        }
        poll_until(Duration::from_secs(5), || ns_pids(&self.ns).is_empty());
    }

    fn log_tail(&self, n: usize) -> String {
        let log = self.d.log();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(n)..].join("\n")
    }
}

/// IPv4 addresses on eth0 of namespace `ns`.
fn v4_count(ns: &str) -> usize {
    let out = common::lab::ns_exec(ns, &["ip", "-o", "-4", "addr", "show", "dev", "eth0"]);
    String::from_utf8_lossy(&out.stdout).lines().count()
}

// ---------------------------------------------------------------------------------------------
// a. Failover

/// A VRRP advert seen on the bridge.
struct Adv {
    at: Instant,
    src: Ipv4Addr,
    mac: [u8; 6],
}

fn adverts(frames: &[Frame]) -> Vec<Adv> {
    frames
        .iter()
        .filter_map(|f| {
            let b = &f.bytes;
            if b.get(12..14)? != [0x08, 0x00] {
                return None;
            }
            let (ip, pkt) = wv::ipv4_datagram(&b[14..]).ok()?;
            wv::Repr::parse(&pkt).ok()?;
            Some(Adv {
                at: f.at,
                src: ip.src_addr,
                mac: b[6..12].try_into().ok()?,
            })
        })
        .collect()
}

/// Gratuitous ARPs for `vip`: (time, sender MAC).
fn garps(frames: &[Frame], vip: Ipv4Addr) -> Vec<(Instant, [u8; 6])> {
    frames
        .iter()
        .filter_map(|f| {
            let (eth, a) = arp::parse_frame(&f.bytes).ok()?;
            (a.source_protocol_addr == vip && a.target_protocol_addr == vip)
                .then_some((f.at, eth.src_addr.0))
        })
        .collect()
}

struct Case {
    label: &'static str,
    version: u8,
    advert: &'static str,
    interval: Duration,
    trials: usize,
}

impl Case {
    /// RFC 3768 / RFC 5798 Master_Down_Interval of a backup of priority `prio`.
    fn master_down(&self, prio: u32) -> Duration {
        let skew = if self.version == 2 {
            Duration::from_secs(1) * (256 - prio) / 256
        } else {
            self.interval * (256 - prio) / 256
        };
        self.interval * 3 + skew
    }
}

/// One failover, in ms.
struct Trial {
    gap: f64,
    overshoot: f64,
    vip: Option<f64>,
    garp: Option<f64>,
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// `b - a` in ms, negative when `b` is earlier.
fn delta_ms(a: Instant, b: Instant) -> f64 {
    if b >= a { ms(b - a) } else { -ms(a - b) }
}

fn failover(lab: &Lab, imp: Impl, bins: &Bins, case: &Case) -> (Vec<Trial>, Vec<String>) {
    let (r0, r1) = (&lab.routers[0], &lab.routers[1]);
    let vip = Ipv4Addr::new(10, 99, lab.net, 100);
    let conf = |prio, master| {
        config(
            case.version,
            case.advert,
            &[Vi {
                vrid: 51,
                prio,
                master,
                vip,
            }],
        )
    };
    let mdi = case.master_down(100);
    let mut notes = Vec::new();
    let watch = AddrWatch::new(&r1.ns);
    let t0 = Instant::now();
    let master = start(imp, bins, &r0.ns, &conf(150, true));
    let from = |t: Instant, src: Ipv4Addr| -> Vec<Adv> {
        adverts(&lab.frames_since(t))
            .into_iter()
            .filter(|a| a.src == src)
            .collect()
    };
    if !poll_until(Duration::from_secs(10), || !from(t0, r0.v4).is_empty()) {
        notes.push(format!(
            "{}: the 150 router never advertised:\n{}",
            imp.name(),
            master.log_tail(10)
        ));
        master.stop();
        return (Vec::new(), notes);
    }
    let r0_mac = from(t0, r0.v4)[0].mac;
    let backup = start(imp, bins, &r1.ns, &conf(100, false));
    // The backup hears the master from its first Master_Down_Interval on.
    std::thread::sleep(mdi + case.interval.max(Duration::from_millis(500)));
    let mut trials = Vec::new();
    for n in 0..case.trials {
        let t_stop = Instant::now();
        master.signal_all(libc::SIGSTOP);
        let mut first_new = None;
        poll_until(mdi * 2 + Duration::from_secs(2), || {
            first_new = from(t_stop, r1.v4).first().map(|a| a.at);
            first_new.is_some()
        });
        let Some(first_new) = first_new else {
            notes.push(format!(
                "{} {} trial {n}: no advert from the backup",
                imp.name(),
                case.label
            ));
            master.signal_all(libc::SIGCONT);
            break;
        };
        let vip_at = || {
            watch
                .since(t_stop)
                .iter()
                .find(|e| e.added && e.addr == vip)
                .map(|e| e.at)
        };
        let garp_at = || {
            garps(&lab.frames_since(t_stop), vip)
                .into_iter()
                .find(|(_, mac)| *mac != r0_mac)
                .map(|(at, _)| at)
        };
        poll_until(Duration::from_secs(1), || {
            vip_at().is_some() && garp_at().is_some()
        });
        let last_old = from(t_stop - case.interval * 2, r0.v4)
            .into_iter()
            .filter(|a| a.at < first_new)
            .map(|a| a.at)
            .max();
        let (vip_t, garp_t) = (vip_at(), garp_at());
        // Before the signal: the resumed master may advertise (and the backup release the VIP)
        // before `kill` returns.
        let t_cont = Instant::now();
        master.signal_all(libc::SIGCONT);
        match last_old {
            Some(last) => {
                let gap = first_new - last;
                trials.push(Trial {
                    gap: ms(gap),
                    overshoot: delta_ms(last + mdi, first_new),
                    vip: vip_t.map(|t| delta_ms(first_new, t)),
                    garp: garp_t.map(|t| delta_ms(first_new, t)),
                });
            }
            None => notes.push(format!(
                "{} {} trial {n}: no advert of the old master before the new one",
                imp.name(),
                case.label
            )),
        }
        // Back to the start: the 150 router preempts, the backup releases the VIP.
        let back = poll_until(Duration::from_secs(10), || {
            let held = watch
                .since(t_stop)
                .iter()
                .rfind(|e| e.addr == vip)
                .is_some_and(|e| e.added);
            !held && !from(t_cont, r0.v4).is_empty()
        });
        if !back {
            notes.push(format!(
                "{} {} trial {n}: the old master did not take over again:\n{}",
                imp.name(),
                case.label,
                backup.log_tail(6)
            ));
            break;
        }
        std::thread::sleep(case.interval + Duration::from_millis(100));
    }
    master.stop();
    backup.stop();
    (trials, notes)
}

// ---------------------------------------------------------------------------------------------
// b, c. Memory and CPU

/// A settled daemon's footprint.
#[derive(Default, Clone, Copy)]
struct Foot {
    procs: usize,
    rss_kb: u64,
    pss_kb: Option<u64>,
    /// % of one CPU from utime+stime, and from the scheduler's run time.
    cpu_ticks: f64,
    cpu_sched: f64,
}

/// One footprint measurement, all implementations at once (each in its own lab, so that the load
/// of the machine, shared with others, is the same for all): `conf` in router 1 with `peer` (a
/// master configuration holding that many VIPs) in router 0, or else `conf` in router 0; `want`
/// VIPs on the measured side.
struct Run {
    label: &'static str,
    conf: String,
    want: usize,
    peer: Option<(String, usize)>,
    /// The CPU window, or memory only.
    window: Option<Duration>,
    /// Count system calls after the CPU window (`strace -c`), per this event: 200 a second.
    syscalls: Option<&'static str>,
    /// The implementation of the peer, when not the measured one's own.
    peer_by: Option<Impl>,
}

/// System calls of one daemon over a window: `strace -c -f` attached to all its processes.
#[derive(Default, Clone)]
struct Calls {
    /// Seconds between attaching and detaching.
    secs: f64,
    total: u64,
    /// (name, calls, failed calls), most called first.
    by_name: Vec<(String, u64, u64)>,
}

/// Parses the table of `strace -c`: `% time seconds usecs/call calls [errors] syscall`.
fn parse_strace(table: &str) -> (u64, Vec<(String, u64, u64)>) {
    let mut total = 0;
    let mut by_name = Vec::new();
    for line in table.lines() {
        let t: Vec<&str> = line.split_whitespace().collect();
        let (calls, errors) = match t.len() {
            5 => (t[3].parse().ok(), Some(0)),
            6 => (t[3].parse().ok(), t[4].parse().ok()),
            _ => (None, None),
        };
        let (Some(calls), Some(errors), Some(name)) = (calls, errors, t.last()) else {
            continue;
        };
        if *name == "total" {
            total = calls;
        } else {
            by_name.push((name.to_string(), calls, errors));
        }
    }
    by_name.sort_by_key(|b| std::cmp::Reverse(b.1));
    (total, by_name)
}

/// Counts the system calls of every daemon in `pids` (one strace each, all at once) over `window`.
fn count_syscalls(pids: &[Vec<i32>], window: Duration) -> Vec<Calls> {
    let dir = TempDir::new("vrrpstrace");
    let t0 = Instant::now();
    let tracers: Vec<_> = pids
        .iter()
        .enumerate()
        .map(|(k, ps)| {
            let out = dir.path().join(format!("{k}.txt"));
            let mut cmd = Command::new("strace");
            cmd.args(["-c", "-f", "-o"]).arg(&out);
            for p in ps {
                cmd.args(["-p", &p.to_string()]);
            }
            let child = cmd
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("strace");
            (child, out)
        })
        .collect();
    std::thread::sleep(window);
    for (c, _) in &tracers {
        send(c.id() as i32, libc::SIGINT);
    }
    let secs = t0.elapsed().as_secs_f64();
    tracers
        .into_iter()
        .map(|(mut c, out)| {
            let _ = c.wait();
            let (total, by_name) = parse_strace(&std::fs::read_to_string(out).unwrap_or_default());
            Calls {
                secs,
                total,
                by_name,
            }
        })
        .collect()
}

/// One line of part d: calls per event and the calls that make them up.
fn print_calls(label: &str, who: &str, c: &Calls, events_per_sec: f64) {
    let events = events_per_sec * c.secs;
    let per = |n: u64| n as f64 / events.max(1.0);
    let mut parts = Vec::new();
    for (name, calls, errors) in &c.by_name {
        if per(*calls) < 0.005 {
            continue;
        }
        let mut p = format!("{name} {:.2}", per(*calls));
        if *errors > 0 {
            let _ = write!(p, " ({:.2} failed)", per(*errors));
        }
        parts.push(p);
    }
    println!(
        "{label:<62} {who:<15} {:>6.2}  {}",
        per(c.total),
        parts.join(", ")
    );
}

fn footprints(
    labs: &[(Impl, Lab)],
    bins: &Bins,
    run: &Run,
    settle: Duration,
    strace: Option<Duration>,
    notes: &mut Vec<String>,
) -> (Vec<Foot>, Vec<Calls>) {
    let ns = |lab: &Lab, i: usize| lab.routers[i].ns.clone();
    let measured = |lab: &Lab| ns(lab, usize::from(run.peer.is_some()));
    let expect = |lab: &Lab, i: usize, want: usize, notes: &mut Vec<String>, what: &str| {
        let ns = ns(lab, i);
        if !poll_every(Duration::from_secs(15), Duration::from_millis(250), || {
            v4_count(&ns) == want + 1
        }) {
            notes.push(format!(
                "{}: {} VIPs {what}, expected {want}",
                run.label,
                v4_count(&ns).saturating_sub(1)
            ));
        }
    };
    let mut peers = Vec::new();
    if let Some((conf, n)) = &run.peer {
        for (imp, lab) in labs {
            peers.push(start(run.peer_by.unwrap_or(*imp), bins, &ns(lab, 0), conf));
        }
        for (imp, lab) in labs {
            expect(
                lab,
                0,
                *n,
                notes,
                &format!("on the {} master side", imp.name()),
            );
        }
    }
    let daemons: Vec<Running> = labs
        .iter()
        .map(|(imp, lab)| start(*imp, bins, &measured(lab), &run.conf))
        .collect();
    for (imp, lab) in labs {
        let i = usize::from(run.peer.is_some());
        expect(
            lab,
            i,
            run.want,
            notes,
            &format!("on {} at start", imp.name()),
        );
    }
    std::thread::sleep(settle);
    let pids: Vec<Vec<i32>> = daemons.iter().map(Running::pids).collect();
    let before: Vec<(u64, u64)> = pids.iter().map(|p| cpu(p)).collect();
    let w0 = Instant::now();
    std::thread::sleep(run.window.unwrap_or(Duration::from_millis(100)));
    let after: Vec<(u64, u64)> = pids.iter().map(|p| cpu(p)).collect();
    let wall = w0.elapsed().as_secs_f64();
    // SAFETY: plain libc call.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    let mut feet = Vec::new();
    for (k, (imp, lab)) in labs.iter().enumerate() {
        let (rss_kb, pss_kb) = memory(&pids[k]);
        feet.push(Foot {
            procs: pids[k].len(),
            rss_kb,
            pss_kb,
            cpu_ticks: 100.0 * (after[k].0 - before[k].0) as f64 / hz / wall,
            cpu_sched: 100.0 * (after[k].1 - before[k].1) as f64 / 1e9 / wall,
        });
        let held = v4_count(&measured(lab)).saturating_sub(1);
        if held != run.want {
            notes.push(format!(
                "{} {}: {held} VIPs at the end, expected {}",
                imp.name(),
                run.label,
                run.want
            ));
        }
    }
    // After the CPU window: a tracer slows what it traces.
    let calls = match (strace, run.syscalls) {
        (Some(w), Some(_)) => count_syscalls(&pids, w),
        _ => Vec::new(),
    };
    for d in daemons.into_iter().chain(peers) {
        d.stop();
    }
    (feet, calls)
}

impl Foot {
    fn columns(&self, cpu: bool) -> [String; 5] {
        let c = |v: f64| if cpu { format!("{v:.3} %") } else { "-".into() };
        [
            self.procs.to_string(),
            self.rss_kb.to_string(),
            self.pss_kb.map_or("-".into(), |p| p.to_string()),
            c(self.cpu_ticks),
            c(self.cpu_sched),
        ]
    }

    /// keepalived's (`t`) over ours, per column.
    fn ratios(&self, t: &Foot, cpu: bool) -> [String; 5] {
        let r = |a: f64, b: f64| {
            if a > 0.0 {
                format!("{:.1}x", b / a)
            } else {
                "-".into()
            }
        };
        let c = |a: f64, b: f64| if cpu { r(a, b) } else { "-".into() };
        [
            String::new(),
            r(self.rss_kb as f64, t.rss_kb as f64),
            match (self.pss_kb, t.pss_kb) {
                (Some(a), Some(b)) => r(a as f64, b as f64),
                _ => "-".into(),
            },
            c(self.cpu_ticks, t.cpu_ticks),
            c(self.cpu_sched, t.cpu_sched),
        ]
    }
}

fn print_foot(label: &str, who: &str, c: &[String; 5]) {
    println!(
        "{label:<36} {who:<15} {:>5} {:>10} {:>10} {:>10} {:>10}",
        c[0], c[1], c[2], c[3], c[4]
    );
}

fn within(ours: f64, theirs: f64, frac: f64) -> &'static str {
    if ours <= theirs * frac {
        "met"
    } else {
        "MISSED"
    }
}

// ---------------------------------------------------------------------------------------------
// Reporting

fn median(v: &mut [f64]) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    })
}

/// "median [min..max]" of the values.
fn stat(mut v: Vec<f64>) -> (Option<f64>, String) {
    let m = median(&mut v);
    match m {
        Some(m) => (
            Some(m),
            format!("{m:+.3} [{:+.2}..{:+.2}]", v[0], v[v.len() - 1]),
        ),
        None => (None, "-".into()),
    }
}

/// keepalived / ours, when both are meaningful (positive, ours not ~0).
fn ratio(ours: Option<f64>, theirs: Option<f64>) -> String {
    match (ours, theirs) {
        (Some(o), Some(t)) if o > 0.005 && t > 0.0 => format!("{:.1}x", t / o),
        _ => "-".into(),
    }
}

fn verdict(v: Option<f64>, limit: f64) -> &'static str {
    match v {
        Some(v) if v <= limit => "met",
        Some(_) => "MISSED",
        None => "not measured",
    }
}

fn facts(ka: &str) {
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let kav = Command::new(ka).arg("-v").output().map(|o| {
        let mut s = String::from_utf8_lossy(&o.stderr).into_owned();
        s.push_str(&String::from_utf8_lossy(&o.stdout));
        s.lines().next().unwrap_or("").to_string()
    });
    println!(
        "environment: {} CPUs, load average {}, kernel {}, {} ({ka})",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" "),
        kernel.trim(),
        kav.unwrap_or_default()
    );
}

fn main() {
    let t_bench = Instant::now();
    let ka = keepalived_bin();
    if !require(
        common::is_root(),
        "vrrp benchmark: not root (network namespaces)",
    ) || !require(common::have("ip", "-V"), "vrrp benchmark: iproute2 missing")
        || !require(
            ka.is_some(),
            "vrrp benchmark: keepalived not installed (the comparison needs it)",
        )
    {
        return;
    }
    let bins = Bins {
        keepalived: ka.unwrap().to_string(),
        musl: static_build().ok(),
    };
    let ka = bins.keepalived.as_str();
    let cpu_secs = env_num("KRS_BENCH_CPU_SECS", 20).max(1);
    let trials = env_num("KRS_BENCH_TRIALS", 5).max(1) as usize;
    let window = Duration::from_secs(cpu_secs);
    let settle = Duration::from_secs(6);
    // Part d only (with the CPU of the two runs it traces): `KRS_BENCH_ONLY=syscalls`.
    let syscalls_only = std::env::var("KRS_BENCH_ONLY").is_ok_and(|v| v == "syscalls");
    let strace = require(
        common::have("strace", "-V"),
        "vrrp benchmark part d: strace not installed",
    )
    .then(|| Duration::from_secs(env_num("KRS_BENCH_STRACE_SECS", 3).max(1)));
    println!("VRRP benchmark: keepalived-rs and keepalived side by side, in this run");
    facts(ka);
    println!(
        "settings: failover {trials} trials per case and implementation at 1 s, {} at 10 ms; CPU window {cpu_secs} s (KRS_BENCH_CPU_SECS), {} s settling after the VIPs are up; daemons run as `-n -l -D` in their own namespaces",
        trials * 3,
        settle.as_secs()
    );

    let mut notes = Vec::new();
    if !syscalls_only {
        // a. Failover.
        let cases = [
            Case {
                label: "VRRPv2 advert_int 1",
                version: 2,
                advert: "1",
                interval: Duration::from_secs(1),
                trials,
            },
            Case {
                label: "VRRPv3 advert_int 0.01",
                version: 3,
                advert: "0.01",
                interval: Duration::from_millis(10),
                trials: trials * 3,
            },
        ];
        let mut lab = Lab::new("vb", 2);
        lab.capture();
        println!();
        println!(
            "a. Failover, master (priority 150) frozen with SIGSTOP, backup priority 100; bridge capture, kernel stamps."
        );
        println!(
            "   overshoot = (last advert of the old master -> first advert of the new) - Master_Down_Interval;"
        );
        println!(
            "   VIP / GARP = first advert of the new master -> VIP added (rtnetlink event read in its namespace) / first GARP."
        );
        println!(
            "   ms, median [min..max]; ratio = keepalived / keepalived-rs (above 1: ours is better)"
        );
        println!(
            "{:<24} {:<15} {:>3} {:>10} {:>9}  {:<26} {:<26} {:<26}",
            "case", "impl", "n", "gap", "MDI", "overshoot", "VIP", "GARP"
        );
        let mut targets = Vec::new();
        for case in &cases {
            let mut meds = Vec::new();
            for imp in BOTH {
                let (t, n) = failover(&lab, imp, &bins, case);
                notes.extend(n);
                let count = t.len();
                let (gap, _) = stat(t.iter().map(|x| x.gap).collect());
                let (over, over_s) = stat(t.iter().map(|x| x.overshoot).collect());
                let (vip, vip_s) = stat(t.iter().filter_map(|x| x.vip).collect());
                let (garp, garp_s) = stat(t.iter().filter_map(|x| x.garp).collect());
                println!(
                    "{:<24} {:<15} {:>3} {:>10} {:>9.3}  {over_s:<26} {vip_s:<26} {garp_s:<26}",
                    case.label,
                    imp.name(),
                    count,
                    gap.map_or("-".into(), |g| format!("{g:.3}")),
                    ms(case.master_down(100)),
                );
                meds.push((over, vip, garp));
            }
            let (o, t) = (meds[0], meds[1]);
            println!(
                "{:<24} {:<15} {:>3} {:>10} {:>9}  {:<26} {:<26} {:<26}",
                case.label,
                "ratio",
                "",
                "",
                "",
                ratio(o.0, t.0),
                ratio(o.1, t.1),
                ratio(o.2, t.2)
            );
            targets.push(format!(
                "   {}: overshoot <= 0.5 ms {}; VIP <= 1 ms {}; GARP <= 1 ms {}",
                case.label,
                verdict(o.0.map(f64::abs), 0.5),
                verdict(o.1, 1.0),
                verdict(o.2, 1.0)
            ));
        }
        println!("targets (keepalived-rs medians):");
        for t in &targets {
            println!("{t}");
        }
        drop(lab);
    }

    // b, c. Memory and CPU, without capture: every implementation in its own lab, measured over
    // the same window.
    let mut imps = vec![Impl::Ours];
    if bins.musl.is_some() {
        imps.push(Impl::OursStatic);
    }
    imps.push(Impl::Keepalived);
    let labs: Vec<(Impl, Lab)> = imps.iter().map(|&i| (i, Lab::new("vc", 2))).collect();
    println!();
    println!(
        "b/c. Footprint, all implementations at once (one lab each, same window): sum over the daemon's processes;"
    );
    println!(
        "     RSS = VmRSS, PSS from smaps_rollup (shared pages split among all processes mapping them); CPU in % of one"
    );
    println!(
        "     CPU over {cpu_secs} s (ticks = utime+stime from /proc/PID/stat; sched = run time from schedstat, to the ns)"
    );
    match &bins.musl {
        Some(m) => println!("     krs musl static = {m}"),
        None => println!(
            "     static musl build not measured: {}",
            static_build().err().unwrap_or_default()
        ),
    }
    print_foot(
        "config",
        "impl",
        &["procs", "RSS kB", "PSS kB", "CPU ticks", "CPU sched"].map(String::from),
    );
    let master200 = config(2, "1", &many(200, 150, true));
    let mut runs = vec![
        Run {
            label: "1 instance, master",
            conf: config(2, "1", &many(1, 150, true)),
            want: 1,
            peer: None,
            window: None,
            syscalls: None,
            peer_by: None,
        },
        Run {
            label: "200 instances, advert_int 1, master",
            conf: master200.clone(),
            want: 200,
            peer: None,
            window: Some(window),
            syscalls: Some("advert sent (timer wake)"),
            peer_by: None,
        },
        Run {
            label: "200 instances, advert_int 1, backup",
            conf: config(2, "1", &many(200, 100, false)),
            want: 0,
            peer: Some((master200.clone(), 200)),
            window: Some(window),
            syscalls: None,
            peer_by: None,
        },
        // The same input for both: keepalived's masters, whose adverts come spread over the second
        // (ours, started at once, send theirs in one burst a second, received in one wake). The
        // CPU window only with part d alone (CI's time budget).
        Run {
            label: "200 backups of keepalived masters",
            conf: config(2, "1", &many(200, 100, false)),
            want: 0,
            peer: Some((master200, 200)),
            window: syscalls_only.then_some(window),
            syscalls: Some("advert received"),
            peer_by: Some(Impl::Keepalived),
        },
        Run {
            label: "20 instances, v3 0.01, master",
            conf: config(3, "0.01", &many(20, 150, true)),
            want: 20,
            peer: None,
            window: Some(window),
            syscalls: None,
            peer_by: None,
        },
    ];
    if syscalls_only {
        runs.retain(|r| r.syscalls.is_some());
    }
    let ka_at = imps.len() - 1;
    let mut feet = Vec::new();
    let mut traced = Vec::new();
    for run in &runs {
        let (f, calls) = footprints(&labs, &bins, run, settle, strace, &mut notes);
        if !calls.is_empty() {
            traced.push((run, calls));
        }
        let cpu = run.window.is_some();
        for (imp, foot) in imps.iter().zip(&f) {
            print_foot(run.label, imp.name(), &foot.columns(cpu));
        }
        for (imp, foot) in imps.iter().zip(&f).take(ka_at) {
            print_foot(
                run.label,
                &format!("ratio {}", if *imp == Impl::Ours { "" } else { "musl" }),
                &foot.ratios(&f[ka_at], cpu),
            );
        }
        feet.push(f);
    }
    drop(labs);

    if let Some(w) = strace {
        println!();
        println!(
            "d. System calls: strace -c -f attached to all the daemon's processes for {} s after the CPU window;",
            w.as_secs()
        );
        println!(
            "   calls per event (200 events a second: each instance's advert), then by call (failed: EAGAIN and such);"
        );
        println!(
            "   a traced daemon runs slower, so more adverts queue per wake than untraced: per-wake calls weigh less"
        );
        println!(
            "{:<36} {:<15} {:>6}  by call",
            "config / event", "impl", "total"
        );
        for (run, calls) in &traced {
            let event = run.syscalls.unwrap_or_default();
            for (imp, c) in imps.iter().zip(calls) {
                print_calls(&format!("{} / {event}", run.label), imp.name(), c, 200.0);
            }
        }
    }

    println!(
        "targets (keepalived-rs against keepalived in this run; RSS <= 1/5, CPU run time <= 1/2):"
    );
    for (run, f) in runs.iter().zip(&feet) {
        let t = &f[ka_at];
        for (imp, o) in imps.iter().zip(f).take(ka_at) {
            print!(
                "   {} ({}): RSS {} ({} vs {} kB)",
                run.label,
                imp.name(),
                within(o.rss_kb as f64, t.rss_kb as f64, 0.2),
                o.rss_kb,
                t.rss_kb
            );
            if run.window.is_some() {
                print!(
                    "; CPU {} ({:.3} vs {:.3} %)",
                    within(o.cpu_sched, t.cpu_sched, 0.5),
                    o.cpu_sched,
                    t.cpu_sched
                );
            }
            println!();
        }
    }
    for n in &notes {
        println!("note: {n}");
    }
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "done in {:.0} s; load average at the end {}",
        t_bench.elapsed().as_secs_f64(),
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
}
