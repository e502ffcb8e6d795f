//! BFD side by side with Debian's keepalived (its BFD child) and FRR's bfdd, measured in the same
//! run on the lab of `conformance/common/lab.rs` (a bridge namespace, router namespaces with
//! `eth0`). Router 0 runs the peer of every session, keepalived-rs (so that only the detector
//! differs); routers 1, 2, 3 run the detectors: keepalived-rs, keepalived (`-P`: its parent and
//! BFD child), FRR bfdd (alone, without zebra; FRR 8.4 refuses intervals under 10 ms).
//!
//! a. Footprint: 1 and 100 sessions at 50 ms and at 10 ms (min_tx = min_rx, multiplier 3; 100
//!    sessions = one per pair of secondary addresses 10.77.<router>.<k>/16, `source_ip` set). One
//!    detector at a time, each with a fresh peer holding its sessions (all three at once overload
//!    two CPUs at 100 x 10 ms: FRR alone takes one, and every session flaps). Once every session
//!    is Up (the detector's own view: its log, or bfdd's `show bfd peers json`) and settled: CPU
//!    over a window (utime+stime from /proc/PID/stat, the scheduler's run time from
//!    /proc/PID/task/*/schedstat), VmRSS and PSS. keepalived: CPU of the BFD child (the parent's
//!    separately), memory of the BFD child and of parent + child. Sessions that went Down in the
//!    window are counted in the peer's log.
//! b. Detection: one session per detector, multiplier 3, at 50 ms (all three detectors against
//!    the one peer) and at 10 ms (keepalived-rs). The peer is frozen with SIGSTOP; on the bridge
//!    capture (kernel receive stamps), the peer's last packet to the detector -> the detector's
//!    first packet with state Down; theory = the peer's multiplier x max(the detector's Required
//!    Min RX, the peer's Desired Min TX), as they are on the wire. Then SIGCONT, and the next
//!    trial once the session is Up again at its fast rate.
//!
//! keepalived runs as `daemon_cmd` starts it but without `-D`: with it, its BFD child logs a
//! session-parameter block on every timer change, each line costing ~10 syscalls (a syslog
//! connect that fails where no syslog daemon runs, console write), and at 100 sessions x 50 ms
//! that logging alone tips it into flapping (120-550 sessions Down per 15-20 s, 30-97 % CPU,
//! against 0 and ~11 % without it). `KRS_BENCH_KA_DETAIL=1` restores `-D`.
//!
//! Run (root): `cargo bench --bench bfd` (about 4 minutes). Settings: `KRS_BENCH_CPU_SECS` (CPU
//! window, default 10 s), `KRS_BENCH_TRIALS` (detection trials of keepalived-rs per interval,
//! default 20), `KRS_BENCH_OTHER_TRIALS` (those of keepalived and FRR, at 50 ms only, default 5),
//! `KRS_BENCH_LOGS=DIR` (keep every daemon's log there). Without keepalived or FRR it prints SKIP
//! (a failure under KEEPALIVED_RS_FULL_TESTS=1).

#[path = "../common/mod.rs"]
mod common;

use std::fmt::Write as _;
use std::net::Ipv4Addr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::lab::{Frame, Lab, daemon_cmd, ns_exec, ns_pids};
use common::procstat::{cpu, memory};
use common::{Daemon, TempDir, poll_every, poll_until, require, send};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
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

    /// The prefix of the peer's session names towards this detector.
    fn tag(self) -> &'static str {
        match self {
            Impl::Rs => "rs",
            Impl::Ka => "ka",
            Impl::Frr => "frr",
        }
    }

    /// The detector's router in the lab (router 0 is the peer).
    fn router(self) -> usize {
        match self {
            Impl::Rs => 1,
            Impl::Ka => 2,
            Impl::Frr => 3,
        }
    }
}

const ALL: [Impl; 3] = [Impl::Rs, Impl::Ka, Impl::Frr];
const BFDD: &str = "/usr/lib/frr/bfdd";
const VTYSH: &str = "/usr/bin/vtysh";
const MULT: u32 = 3;

fn env_num(key: &str, default: u64) -> u64 {
    std::env::var(key)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Run keepalived with -D (detailed log), as `daemon_cmd` does? Off unless
/// `KRS_BENCH_KA_DETAIL=1`: see the module doc.
fn ka_detail() -> bool {
    std::env::var("KRS_BENCH_KA_DETAIL").is_ok_and(|v| v == "1")
}

fn keepalived_bin() -> Option<&'static str> {
    ["/usr/sbin/keepalived", "/usr/local/sbin/keepalived"]
        .into_iter()
        .find(|p| Path::new(p).exists())
}

/// One BFD session as one side configures it.
struct Sess {
    name: String,
    neighbor: Ipv4Addr,
    source: Ipv4Addr,
}

/// A keepalived / keepalived-rs configuration of `bfd_instance`s.
fn ka_conf(sessions: &[Sess], ms: u32) -> String {
    let mut s = String::from("global_defs {\n    router_id bfdbench\n}\n\n");
    for x in sessions {
        let _ = writeln!(
            s,
            "bfd_instance {} {{\n    neighbor_ip {}\n    source_ip {}\n    min_rx {ms}\n    min_tx {ms}\n    multiplier {MULT}\n}}\n",
            x.name, x.neighbor, x.source
        );
    }
    s
}

/// An FRR bfdd configuration of single-hop peers.
fn frr_conf(sessions: &[Sess], ms: u32) -> String {
    let mut s = String::from("bfd\n");
    for x in sessions {
        let _ = writeln!(
            s,
            " peer {} local-address {}\n  transmit-interval {ms}\n  receive-interval {ms}\n  detect-multiplier {MULT}\n exit",
            x.neighbor, x.source
        );
    }
    s.push_str("exit\n");
    s
}

/// The uid and gid of user `frr`.
fn frr_ids() -> Option<(u32, u32)> {
    let id = |flag: &str| -> Option<u32> {
        let out = Command::new("id").args([flag, "frr"]).output().ok()?;
        String::from_utf8_lossy(&out.stdout).trim().parse().ok()
    };
    Some((id("-u")?, id("-g")?))
}

/// A daemon in a router namespace (keepalived-rs, keepalived, or bfdd), its run directory, and
/// everything in that namespace stopped on drop (also when the bench panics).
struct Node {
    imp: Impl,
    ns: String,
    daemon: Option<Daemon>,
    bfdd: Option<Child>,
    dir: TempDir,
}

impl Node {
    fn start(imp: Impl, ns: &str, conf: &str) -> Node {
        let mut node = Node {
            imp,
            ns: ns.to_string(),
            daemon: None,
            bfdd: None,
            dir: TempDir::new("bfdbench"),
        };
        let base = node.dir.path().to_path_buf();
        let p = |f: &str| base.join(f);
        match imp {
            Impl::Rs | Impl::Ka => {
                let c = p("keepalived.conf");
                std::fs::write(&c, conf).unwrap();
                let mut cmd = daemon_cmd(ns, imp == Impl::Ka, &c, node.dir.path());
                if imp == Impl::Ka && !ka_detail() {
                    // daemon_cmd's command without -D (see the module doc).
                    let args: Vec<std::ffi::OsString> = cmd
                        .get_args()
                        .filter(|a| *a != "-D")
                        .map(Into::into)
                        .collect();
                    cmd = Command::new(cmd.get_program());
                    cmd.args(args);
                }
                cmd.stdout(Stdio::null());
                node.daemon = Some(Daemon::start_cmd(&mut cmd));
            }
            Impl::Frr => {
                let (uid, gid) = frr_ids().expect("user frr");
                let c = p("bfdd.conf");
                std::fs::write(&c, conf).unwrap();
                for f in [node.dir.path().to_path_buf(), c.clone()] {
                    std::os::unix::fs::chown(&f, Some(uid), Some(gid)).unwrap();
                }
                let s = |f: &str| p(f).to_string_lossy().into_owned();
                let log = std::fs::File::create(p("bfdd.log")).unwrap();
                let child = Command::new("ip")
                    .args(["netns", "exec", ns, BFDD, "-u", "frr", "-g", "frr", "-f"])
                    .arg(&c)
                    .args(["-i", &s("bfdd.pid"), "-z", &s("zserv.api"), "--vty_socket"])
                    .arg(node.dir.path())
                    .args(["-A", "127.0.0.1", "-P", "0", "--bfdctl", &s("bfdd.sock")])
                    .stdin(Stdio::null())
                    .stdout(log.try_clone().unwrap())
                    .stderr(log)
                    .spawn()
                    .expect("start bfdd");
                node.bfdd = Some(child);
                assert!(
                    poll_every(Duration::from_secs(10), Duration::from_millis(50), || {
                        node.vtysh("show bfd peers brief").contains("Session count")
                    }),
                    "bfdd does not answer in {ns}: {}",
                    node.log()
                );
            }
        }
        node
    }

    fn vtysh(&self, cmd: &str) -> String {
        let vty = self.dir.path().to_string_lossy().into_owned();
        let out = ns_exec(&self.ns, &[VTYSH, "--vty_socket", &vty, "-c", cmd]);
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The process started (keepalived-rs; keepalived's parent; bfdd): `ip netns exec` execs it.
    fn main_pid(&self) -> i32 {
        match (&self.daemon, &self.bfdd) {
            (Some(d), _) => d.pid(),
            (_, Some(c)) => c.id() as i32,
            _ => 0,
        }
    }

    /// The process that runs the sessions (keepalived: its BFD child, from the -b pid file).
    fn bfd_pid(&self) -> Option<i32> {
        if self.imp != Impl::Ka {
            return Some(self.main_pid());
        }
        let file = self.dir.path().join("bfd.pid");
        let mut pid = None;
        poll_until(Duration::from_secs(10), || {
            pid = std::fs::read_to_string(&file)
                .ok()
                .and_then(|t| t.trim().parse::<i32>().ok())
                .filter(|p| Path::new(&format!("/proc/{p}")).exists());
            pid.is_some()
        });
        pid
    }

    fn log(&self) -> String {
        match &self.daemon {
            Some(d) => d.log(),
            None => std::fs::read_to_string(self.dir.path().join("bfdd.log")).unwrap_or_default(),
        }
    }

    fn log_tail(&self, n: usize) -> String {
        let log = self.log();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(n)..].join("\n")
    }

    /// How many of sessions `s0..s{n-1}` the detector itself reports Up.
    fn up_count(&self, n: usize) -> usize {
        match self.imp {
            Impl::Frr => self
                .vtysh("show bfd peers json")
                .matches("\"status\":\"up\"")
                .count(),
            _ => {
                let st = states(&self.log());
                (0..n)
                    .filter(|k| st.get(&format!("s{k}")).is_some_and(|s| s == "Up"))
                    .count()
            }
        }
    }

    /// bfdd's configured transmit intervals (ms) as it reports them, to see it took ours.
    fn frr_intervals(&self) -> Vec<u64> {
        let json = self.vtysh("show bfd peers json");
        json.match_indices("\"transmit-interval\":")
            .filter_map(|(i, k)| {
                let rest = &json[i + k.len()..];
                let end = rest
                    .find(|c: char| !c.is_ascii_digit())
                    .unwrap_or(rest.len());
                rest[..end].parse().ok()
            })
            .collect()
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        if let Ok(keep) = std::env::var("KRS_BENCH_LOGS") {
            static SEQ: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
            let n = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let _ = std::fs::create_dir_all(&keep);
            let f = Path::new(&keep).join(format!("{n:02}-{}-{}.log", self.imp.tag(), self.ns));
            let _ = std::fs::write(f, self.log());
        }
        let main = self.main_pid();
        for p in ns_pids(&self.ns) {
            send(p, libc::SIGCONT);
        }
        send(main, libc::SIGTERM);
        let exited = match (&mut self.daemon, &mut self.bfdd) {
            (Some(d), _) => d.wait_exit(Duration::from_secs(10)).is_some(),
            (_, Some(c)) => poll_until(Duration::from_secs(10), || {
                c.try_wait().ok().flatten().is_some()
            }),
            _ => true,
        };
        if !exited {
            send(main, libc::SIGKILL);
        }
        // keepalived's children, anything else left in this router's namespace (all ours).
        if !poll_until(Duration::from_secs(5), || ns_pids(&self.ns).is_empty()) {
            for p in ns_pids(&self.ns) {
                send(p, libc::SIGKILL);
            }
            poll_until(Duration::from_secs(5), || ns_pids(&self.ns).is_empty());
        }
        if let Some(c) = &mut self.bfdd {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// The last state each session entered, from `(NAME) Entering STATE state` log lines (the same
/// in keepalived 2.2.7 and keepalived-rs).
fn states(log: &str) -> std::collections::HashMap<String, String> {
    let mut m = std::collections::HashMap::new();
    for line in log.lines() {
        let Some(i) = line.find(") Entering ") else {
            continue;
        };
        let Some(open) = line[..i].rfind('(') else {
            continue;
        };
        let state = line[i + ") Entering ".len()..].split_whitespace().next();
        if let Some(state) = state {
            m.insert(line[open + 1..i].to_string(), state.to_string());
        }
    }
    m
}

/// `Entering Down state` lines of the peer's sessions towards `imp` in `log`.
fn peer_downs(log: &str, imp: Impl) -> usize {
    let tag = format!("({}", imp.tag());
    log.lines()
        .filter(|l| l.contains("Entering Down state") && l.contains(&tag))
        .count()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

// ---------------------------------------------------------------------------------------------
// a. Footprint

/// Session `k`'s address in router `r` of the footprint lab.
fn block_addr(r: usize, k: usize) -> Ipv4Addr {
    Ipv4Addr::new(10, 77, r as u8, k as u8 + 1)
}

/// Adds the secondary addresses 10.77.<r>.1-100/16 to every router's eth0.
fn add_blocks(lab: &Lab, dir: &Path, n: usize) {
    for (r, router) in lab.routers.iter().enumerate() {
        let mut batch = String::new();
        for k in 0..n {
            let _ = writeln!(batch, "address add {}/16 dev eth0", block_addr(r, k));
        }
        let f = dir.join(format!("addrs{r}"));
        std::fs::write(&f, batch).unwrap();
        common::lab::ip(&["-n", &router.ns, "-batch", &f.to_string_lossy()]);
    }
}

/// One process's share of a window.
#[derive(Default, Clone, Copy)]
struct Use {
    rss_kb: u64,
    pss_kb: Option<u64>,
    /// % of one CPU from utime+stime, and from the scheduler's run time.
    ticks: f64,
    sched: f64,
}

/// One detector in one footprint case.
#[derive(Default, Clone)]
struct Foot {
    up: usize,
    up_end: usize,
    flaps: usize,
    /// The process running the sessions.
    bfd: Use,
    /// keepalived's parent (CPU) and parent + BFD child (memory).
    parent: Option<Use>,
    both: Option<Use>,
}

struct FootCase {
    sessions: usize,
    ms: u32,
}

/// One detector's footprint in one case, with its peer's CPU and how long its sessions took to
/// come Up.
struct FootRun {
    imp: Impl,
    foot: Foot,
    peer: Use,
    wait: f64,
}

/// One detector at a time (100 sessions at 10 ms of all three at once overload two CPUs: every
/// session flaps), each with a fresh peer holding its `n` sessions.
fn footprint(
    lab: &Lab,
    imp: Impl,
    case: &FootCase,
    window: Duration,
    settle: Duration,
    notes: &mut Vec<String>,
) -> FootRun {
    let n = case.sessions;
    let label = format!("{n} x {} ms", case.ms);
    let peer_sessions: Vec<Sess> = (0..n)
        .map(|k| Sess {
            name: format!("{}{k}", imp.tag()),
            neighbor: block_addr(imp.router(), k),
            source: block_addr(0, k),
        })
        .collect();
    let peer = Node::start(
        Impl::Rs,
        &lab.routers[0].ns,
        &ka_conf(&peer_sessions, case.ms),
    );
    let t0 = Instant::now();
    let sessions: Vec<Sess> = (0..n)
        .map(|k| Sess {
            name: format!("s{k}"),
            neighbor: block_addr(0, k),
            source: block_addr(imp.router(), k),
        })
        .collect();
    let conf = if imp == Impl::Frr {
        frr_conf(&sessions, case.ms)
    } else {
        ka_conf(&sessions, case.ms)
    };
    let det = Node::start(imp, &lab.routers[imp.router()].ns, &conf);
    if imp == Impl::Frr {
        let iv = det.frr_intervals();
        if iv.len() != n || iv.iter().any(|&v| v != u64::from(case.ms)) {
            notes.push(format!(
                "{label}: FRR bfdd reports transmit intervals {:?}, configured {} ms",
                &iv[..iv.len().min(5)],
                case.ms
            ));
        }
    }
    // Every session Up, or the deadline.
    let mut up = 0;
    poll_every(Duration::from_secs(15), Duration::from_millis(200), || {
        up = det.up_count(n);
        up == n
    });
    let wait = t0.elapsed().as_secs_f64();
    if up < n {
        notes.push(format!(
            "{label}: {} had {up} of {n} sessions Up after {wait:.0} s; measured anyway. Its log ends:\n{}",
            imp.name(),
            det.log_tail(3)
        ));
    }
    std::thread::sleep(settle);
    let bfd_pid = det.bfd_pid();
    if bfd_pid.is_none() {
        notes.push(format!("{label}: no BFD process of {}", imp.name()));
    }
    let main = det.main_pid();
    // The BFD process, keepalived's parent, the peer.
    let groups: Vec<Vec<i32>> = vec![
        bfd_pid.into_iter().collect(),
        if imp == Impl::Ka { vec![main] } else { vec![] },
        vec![peer.main_pid()],
    ];
    let peer_log0 = peer.log().lines().count();
    let before: Vec<(u64, u64)> = groups.iter().map(|g| cpu(g)).collect();
    let w0 = Instant::now();
    std::thread::sleep(window);
    let after: Vec<(u64, u64)> = groups.iter().map(|g| cpu(g)).collect();
    let wall = w0.elapsed().as_secs_f64();
    // SAFETY: plain libc call.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    let usage = |i: usize| -> Use {
        let (rss_kb, pss_kb) = memory(&groups[i]);
        Use {
            rss_kb,
            pss_kb,
            ticks: 100.0 * after[i].0.saturating_sub(before[i].0) as f64 / hz / wall,
            sched: 100.0 * after[i].1.saturating_sub(before[i].1) as f64 / 1e9 / wall,
        }
    };
    let peer_log: String = peer
        .log()
        .lines()
        .skip(peer_log0)
        .map(|l| format!("{l}\n"))
        .collect();
    let mut foot = Foot {
        up,
        up_end: det.up_count(n),
        flaps: peer_downs(&peer_log, imp),
        bfd: usage(0),
        ..Foot::default()
    };
    if imp == Impl::Ka {
        let parent = usage(1);
        let (rss_kb, pss_kb) = memory(&[groups[0].clone(), groups[1].clone()].concat());
        foot.parent = Some(parent);
        foot.both = Some(Use {
            rss_kb,
            pss_kb,
            ticks: parent.ticks + foot.bfd.ticks,
            sched: parent.sched + foot.bfd.sched,
        });
        let others: Vec<i32> = ns_pids(&det.ns)
            .into_iter()
            .filter(|p| !groups[0].contains(p) && *p != main)
            .collect();
        if !others.is_empty() {
            notes.push(format!(
                "{label}: keepalived runs more processes than its parent and BFD child: {others:?}"
            ));
        }
    }
    if foot.flaps > 0 {
        notes.push(format!(
            "{label}: {} session(s) to {} went Down in the window (peer's log)",
            foot.flaps,
            imp.name()
        ));
    }
    let peer_use = usage(2);
    drop(det);
    drop(peer);
    FootRun {
        imp,
        foot,
        peer: peer_use,
        wait,
    }
}

fn pct(v: f64) -> String {
    format!("{v:.3} %")
}

fn kb(v: Option<u64>) -> String {
    v.map_or("-".into(), |v| v.to_string())
}

fn print_row(c: &[String; 9]) {
    println!(
        "{:<12} {:<26} {:>7} {:>5} {:>8} {:>8} {:>9} {:>9} {:>10}",
        c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8]
    );
}

/// "a / b" as "N.Nx", when both are meaningful.
fn ratio(a: f64, b: f64) -> String {
    if a > 0.0 && b > 0.0 {
        format!("{:.1}x", a / b)
    } else {
        "-".into()
    }
}

// ---------------------------------------------------------------------------------------------
// b. Detection

/// A BFD control packet on the wire (IPv4, UDP to 3784), decoded by hand.
#[derive(Clone, Copy)]
struct Pkt {
    at: Instant,
    kts: Option<Duration>,
    src: Ipv4Addr,
    dst: Ipv4Addr,
    /// 0 AdminDown, 1 Down, 2 Init, 3 Up.
    state: u8,
    diag: u8,
    poll: bool,
    mult: u8,
    /// Desired Min TX and Required Min RX, µs.
    tx_us: u32,
    rx_us: u32,
}

fn decode(f: &Frame) -> Option<Pkt> {
    let b = &f.bytes;
    if b.get(12..14)? != [0x08, 0x00] {
        return None;
    }
    let ip = b.get(14..)?;
    let ihl = usize::from(ip.first()? & 0x0f) * 4;
    if *ip.get(9)? != 17 {
        return None;
    }
    let udp = ip.get(ihl..)?;
    if u16::from_be_bytes([*udp.get(2)?, *udp.get(3)?]) != 3784 {
        return None;
    }
    let p = udp.get(8..)?;
    if p.len() < 24 || p[0] >> 5 != 1 {
        return None;
    }
    let word = |i: usize| u32::from_be_bytes([p[i], p[i + 1], p[i + 2], p[i + 3]]);
    Some(Pkt {
        at: f.at,
        kts: f.kts,
        src: Ipv4Addr::new(ip[12], ip[13], ip[14], ip[15]),
        dst: Ipv4Addr::new(ip[16], ip[17], ip[18], ip[19]),
        state: p[1] >> 6,
        diag: p[0] & 0x1f,
        poll: p[1] & 0x20 != 0,
        mult: p[2],
        tx_us: word(12),
        rx_us: word(16),
    })
}

/// `b - a` in ms on the kernel's stamps (the capture thread's when a stamp is missing).
fn gap_ms(a: &Pkt, b: &Pkt) -> f64 {
    match (a.kts, b.kts) {
        (Some(x), Some(y)) if y >= x => ms(y - x),
        (Some(x), Some(y)) => -ms(x - y),
        _ if b.at >= a.at => ms(b.at - a.at),
        _ => -ms(a.at - b.at),
    }
}

const UP: u8 = 3;
const DOWN: u8 = 1;

/// One detection: measured and theory, ms.
struct Det {
    took: f64,
    theory: f64,
}

/// A session of the detection lab: the detector's address and the peer's.
struct Pair {
    imp: Impl,
    det: Ipv4Addr,
    peer: Ipv4Addr,
}

/// Is the session Up and at its fast rate since `t`: packets both ways Up without Poll, the
/// peer's at `us` Desired Min TX?
fn steady(lab: &Lab, t: Instant, p: &Pair, us: u32) -> bool {
    let pk: Vec<Pkt> = lab.frames_since(t).iter().filter_map(decode).collect();
    let from_peer = pk
        .iter()
        .filter(|x| x.src == p.peer && x.dst == p.det)
        .rev()
        .take_while(|x| x.state == UP && !x.poll && x.tx_us == us)
        .count();
    let from_det = pk
        .iter()
        .filter(|x| x.src == p.det && x.dst == p.peer)
        .rev()
        .take_while(|x| x.state == UP && !x.poll)
        .count();
    from_peer >= 5 && from_det >= 5
}

fn detection(
    lab: &Lab,
    ms_iv: u32,
    pairs: &[Pair],
    trials: &[usize],
    results: &mut [Vec<Det>],
    notes: &mut Vec<String>,
) {
    let label = format!("{ms_iv} ms");
    let us = ms_iv * 1000;
    let peer_sessions: Vec<Sess> = pairs
        .iter()
        .map(|p| Sess {
            name: format!("{}0", p.imp.tag()),
            neighbor: p.det,
            source: p.peer,
        })
        .collect();
    let peer = Node::start(
        Impl::Rs,
        &lab.routers[0].ns,
        &ka_conf(&peer_sessions, ms_iv),
    );
    let mut detectors: Vec<Option<Node>> = pairs
        .iter()
        .map(|p| {
            let s = [Sess {
                name: "s0".into(),
                neighbor: p.peer,
                source: p.det,
            }];
            let conf = if p.imp == Impl::Frr {
                frr_conf(&s, ms_iv)
            } else {
                ka_conf(&s, ms_iv)
            };
            Some(Node::start(p.imp, &lab.routers[p.imp.router()].ns, &conf))
        })
        .collect();
    let total = trials.iter().copied().max().unwrap_or(0);
    let mut since = Instant::now();
    for trial in 0..total {
        // Detectors done with their trials stop; the peer's sessions to them go Down.
        for (i, d) in detectors.iter_mut().enumerate() {
            if trial >= trials[i] {
                d.take();
            }
        }
        let active: Vec<usize> = (0..pairs.len())
            .filter(|&i| detectors[i].is_some())
            .collect();
        let ready = poll_every(Duration::from_secs(20), Duration::from_millis(10), || {
            active.iter().all(|&i| steady(lab, since, &pairs[i], us))
        });
        if !ready {
            let who: Vec<&str> = active
                .iter()
                .filter(|&&i| !steady(lab, since, &pairs[i], us))
                .map(|&i| pairs[i].imp.name())
                .collect();
            notes.push(format!(
                "{label} trial {trial}: sessions of {who:?} not Up at the fast rate within 20 s; stopped. Peer's log ends:\n{}",
                peer.log_tail(6)
            ));
            break;
        }
        let t_stop = Instant::now();
        send(peer.main_pid(), libc::SIGSTOP);
        let limit = Duration::from_millis(u64::from(ms_iv) * u64::from(MULT) * 10 + 2000);
        let mut downs: Vec<Option<Pkt>> = active.iter().map(|_| None).collect();
        poll_every(limit, Duration::from_millis(5), || {
            let pk: Vec<Pkt> = lab.frames_since(t_stop).iter().filter_map(decode).collect();
            for (slot, &i) in downs.iter_mut().zip(&active) {
                if slot.is_none() {
                    *slot = pk
                        .iter()
                        .position(|x| {
                            x.src == pairs[i].det && x.dst == pairs[i].peer && x.state == DOWN
                        })
                        .map(|j| pk[j]);
                }
            }
            downs.iter().all(Option::is_some)
        });
        // Everything the peer sent before its freeze, to find its last packet.
        let around: Vec<Pkt> = lab
            .frames_since(t_stop - Duration::from_secs(2))
            .iter()
            .filter_map(decode)
            .collect();
        since = Instant::now();
        send(peer.main_pid(), libc::SIGCONT);
        for (slot, &i) in downs.iter().zip(&active) {
            let p = &pairs[i];
            let Some(down) = slot else {
                notes.push(format!(
                    "{label} trial {trial}: no Down packet from {} within {limit:?} of the freeze",
                    p.imp.name()
                ));
                continue;
            };
            let last_peer = around
                .iter()
                .filter(|x| x.src == p.peer && x.dst == p.det && gap_ms(x, down) > 0.0)
                .max_by(|a, b| gap_ms(b, a).total_cmp(&0.0));
            let last_det = around
                .iter()
                .filter(|x| x.src == p.det && x.dst == p.peer && gap_ms(x, down) > 0.0)
                .max_by(|a, b| gap_ms(b, a).total_cmp(&0.0));
            let Some(last) = last_peer else {
                notes.push(format!(
                    "{label} trial {trial}: no packet of the peer to {} before its Down",
                    p.imp.name()
                ));
                continue;
            };
            if down.diag != 1 {
                notes.push(format!(
                    "{label} trial {trial}: {}'s Down packet has diagnostic {} (expected 1, Control Detection Time Expired)",
                    p.imp.name(),
                    down.diag
                ));
            }
            let det_rx = last_det.map_or(us, |d| d.rx_us);
            let theory = f64::from(last.mult) * f64::from(det_rx.max(last.tx_us)) / 1000.0;
            let took = gap_ms(last, down);
            if let Ok(keep) = std::env::var("KRS_BENCH_LOGS") {
                let _ = std::fs::create_dir_all(&keep);
                let line = format!(
                    "{label} trial {trial} {} ({} detectors): {took:.3} ms, theory {theory:.1}, diag {}\n",
                    p.imp.name(),
                    active.len(),
                    down.diag
                );
                let f = Path::new(&keep).join("detection.txt");
                let _ = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(f)
                    .and_then(|mut f| std::io::Write::write_all(&mut f, line.as_bytes()));
            }
            results[i].push(Det { took, theory });
        }
    }
    drop(detectors);
    drop(peer);
}

/// Nearest-rank percentile of sorted `v`.
fn pctl(v: &[f64], p: f64) -> f64 {
    let rank = ((p / 100.0) * v.len() as f64).ceil().max(1.0) as usize;
    v[rank.min(v.len()) - 1]
}

struct Dist {
    n: usize,
    theory: f64,
    median: f64,
    p90: f64,
    p99: f64,
    max: f64,
}

fn dist(d: &[Det]) -> Option<Dist> {
    if d.is_empty() {
        return None;
    }
    let mut v: Vec<f64> = d.iter().map(|x| x.took).collect();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    let median = if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    };
    let mut th: Vec<f64> = d.iter().map(|x| x.theory).collect();
    th.sort_by(f64::total_cmp);
    Some(Dist {
        n,
        theory: th[th.len() / 2],
        median,
        p90: pctl(&v, 90.0),
        p99: pctl(&v, 99.0),
        max: v[n - 1],
    })
}

fn facts(ka: &str) {
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let first_line = |cmd: &str, arg: &str| {
        Command::new(cmd)
            .arg(arg)
            .output()
            .map(|o| {
                let mut s = String::from_utf8_lossy(&o.stderr).into_owned();
                s.push_str(&String::from_utf8_lossy(&o.stdout));
                s.lines().next().unwrap_or("").to_string()
            })
            .unwrap_or_default()
    };
    println!(
        "environment: {} CPUs, load average {}, kernel {}, {} ({ka}), {} ({BFDD})",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" "),
        kernel.trim(),
        first_line(ka, "-v"),
        first_line(BFDD, "--version"),
    );
}

fn main() {
    let t_bench = Instant::now();
    let ka = keepalived_bin();
    if !require(
        common::is_root(),
        "bfd benchmark: not root (network namespaces)",
    ) || !require(common::have("ip", "-V"), "bfd benchmark: iproute2 missing")
        || !require(
            ka.is_some(),
            "bfd benchmark: keepalived not installed (the comparison needs it)",
        )
        || !require(
            Path::new(BFDD).exists() && Path::new(VTYSH).exists() && frr_ids().is_some(),
            "bfd benchmark: FRR (bfdd, vtysh, user frr) not installed (the comparison needs it)",
        )
    {
        return;
    }
    let ka = ka.unwrap();
    let cpu_secs = env_num("KRS_BENCH_CPU_SECS", 10).max(1);
    let trials = env_num("KRS_BENCH_TRIALS", 20).max(1) as usize;
    let other_trials = env_num("KRS_BENCH_OTHER_TRIALS", 5).max(1) as usize;
    let window = Duration::from_secs(cpu_secs);
    let settle = Duration::from_secs(2);
    let mut notes = Vec::new();
    println!(
        "BFD benchmark: keepalived-rs, keepalived's BFD child and FRR bfdd side by side, in this run"
    );
    facts(ka);
    println!(
        "settings: CPU window {cpu_secs} s (KRS_BENCH_CPU_SECS) after all sessions are Up and {} s settling; detection {trials} trials of keepalived-rs per interval (KRS_BENCH_TRIALS), {other_trials} of keepalived and FRR at 50 ms (KRS_BENCH_OTHER_TRIALS)",
        settle.as_secs()
    );
    println!(
        "lab: router 0 = the peer of every session (keepalived-rs), routers 1/2/3 = keepalived-rs / keepalived -P{} / FRR bfdd (without zebra); multiplier {MULT}, min_tx = min_rx",
        if ka_detail() {
            " -D"
        } else {
            " (no -D: KRS_BENCH_KA_DETAIL=1 adds it)"
        }
    );

    // a. Footprint.
    let cases = [
        FootCase {
            sessions: 1,
            ms: 50,
        },
        FootCase {
            sessions: 1,
            ms: 10,
        },
        FootCase {
            sessions: 100,
            ms: 50,
        },
        FootCase {
            sessions: 100,
            ms: 10,
        },
    ];
    let blocks = TempDir::new("bfdbench-addrs");
    let lab = Lab::new("bfc", 4);
    add_blocks(&lab, blocks.path(), 100);
    println!();
    println!(
        "a. Footprint, one detector at a time with a fresh peer, sessions Up; CPU in % of one CPU over the window"
    );
    println!(
        "   (ticks = utime+stime, /proc/PID/stat; sched = run time, schedstat); RSS = VmRSS, PSS from smaps_rollup, kB;"
    );
    println!(
        "   up = sessions Up before the window / at its end (the detector's view); flaps = Down transitions in the window (peer's log)"
    );
    print_row(
        &[
            "case",
            "process",
            "up",
            "flaps",
            "RSS",
            "PSS",
            "CPU ticks",
            "CPU sched",
            "sched/sess",
        ]
        .map(String::from),
    );
    let mut foot_results = Vec::new();
    for case in &cases {
        let r: Vec<FootRun> = ALL
            .iter()
            .map(|&imp| footprint(&lab, imp, case, window, settle, &mut notes))
            .collect();
        let label = format!("{} x {} ms", case.sessions, case.ms);
        let n = case.sessions;
        let row = |who: &str, f: &Foot, u: &Use, up: bool| {
            print_row(&[
                label.clone(),
                who.to_string(),
                if up {
                    format!("{}/{}", f.up, f.up_end)
                } else {
                    String::new()
                },
                if up {
                    f.flaps.to_string()
                } else {
                    String::new()
                },
                u.rss_kb.to_string(),
                kb(u.pss_kb),
                pct(u.ticks),
                pct(u.sched),
                format!("{:.4} %", u.sched / n as f64),
            ]);
        };
        for fr in &r {
            let f = &fr.foot;
            match fr.imp {
                Impl::Ka => {
                    row("keepalived BFD child", f, &f.bfd, true);
                    if let Some(p) = &f.parent {
                        row("keepalived parent", f, p, false);
                    }
                    if let Some(b) = &f.both {
                        row("keepalived parent+BFD", f, b, false);
                    }
                }
                imp => row(imp.name(), f, &f.bfd, true),
            }
        }
        let get = |imp: Impl| &r.iter().find(|x| x.imp == imp).unwrap().foot;
        let (rs, kaf, frr) = (get(Impl::Rs), get(Impl::Ka), get(Impl::Frr));
        let both = kaf.both.unwrap_or_default();
        print_row(&[
            label.clone(),
            "ratio keepalived BFD / rs".into(),
            String::new(),
            String::new(),
            ratio(kaf.bfd.rss_kb as f64, rs.bfd.rss_kb as f64),
            match (kaf.bfd.pss_kb, rs.bfd.pss_kb) {
                (Some(a), Some(b)) => ratio(a as f64, b as f64),
                _ => "-".into(),
            },
            ratio(kaf.bfd.ticks, rs.bfd.ticks),
            ratio(kaf.bfd.sched, rs.bfd.sched),
            String::new(),
        ]);
        print_row(&[
            label.clone(),
            "ratio keepalived all / rs".into(),
            String::new(),
            String::new(),
            ratio(both.rss_kb as f64, rs.bfd.rss_kb as f64),
            match (both.pss_kb, rs.bfd.pss_kb) {
                (Some(a), Some(b)) => ratio(a as f64, b as f64),
                _ => "-".into(),
            },
            ratio(both.ticks, rs.bfd.ticks),
            ratio(both.sched, rs.bfd.sched),
            String::new(),
        ]);
        print_row(&[
            label.clone(),
            "ratio FRR bfdd / rs".into(),
            String::new(),
            String::new(),
            ratio(frr.bfd.rss_kb as f64, rs.bfd.rss_kb as f64),
            match (frr.bfd.pss_kb, rs.bfd.pss_kb) {
                (Some(a), Some(b)) => ratio(a as f64, b as f64),
                _ => "-".into(),
            },
            ratio(frr.bfd.ticks, rs.bfd.ticks),
            ratio(frr.bfd.sched, rs.bfd.sched),
            String::new(),
        ]);
        println!(
            "{label:<12} (the peer, keepalived-rs with {n} session(s): {} sched; sessions Up {} s after the start; with keepalived-rs / keepalived / FRR)",
            r.iter()
                .map(|x| pct(x.peer.sched))
                .collect::<Vec<_>>()
                .join(" / "),
            r.iter()
                .map(|x| format!("{:.1}", x.wait))
                .collect::<Vec<_>>()
                .join(" / "),
        );
        foot_results.push((label, n, r));
    }
    drop(lab);
    drop(blocks);
    let t_foot = t_bench.elapsed().as_secs_f64();

    // b. Detection.
    let mut lab = Lab::new("bfd", 4);
    lab.capture();
    let pair = |imp: Impl| Pair {
        imp,
        det: lab.routers[imp.router()].v4,
        peer: lab.routers[0].v4,
    };
    let p50: Vec<Pair> = ALL.iter().map(|&i| pair(i)).collect();
    let t50: Vec<usize> = ALL
        .iter()
        .map(|&i| if i == Impl::Rs { trials } else { other_trials })
        .collect();
    let mut r50: Vec<Vec<Det>> = ALL.iter().map(|_| Vec::new()).collect();
    detection(&lab, 50, &p50, &t50, &mut r50, &mut notes);
    let p10 = vec![pair(Impl::Rs)];
    let mut r10: Vec<Vec<Det>> = vec![Vec::new()];
    detection(&lab, 10, &p10, &[trials], &mut r10, &mut notes);
    drop(lab);
    let t_det = t_bench.elapsed().as_secs_f64() - t_foot;
    println!();
    println!(
        "b. Detection, the peer (keepalived-rs) frozen with SIGSTOP: its last packet -> the detector's first Down packet,"
    );
    println!(
        "   on the bridge capture (kernel stamps); ms, (measured - theory) in brackets; percentiles by nearest rank"
    );
    println!(
        "{:<8} {:<14} {:>3} {:>7}  {:<18} {:<18} {:<18} {:<18}",
        "case", "detector", "n", "theory", "median", "p90", "p99", "max"
    );
    let mut ours = Vec::new();
    for (label, pairs, res) in [("50 ms x3", &p50, &r50), ("10 ms x3", &p10, &r10)] {
        for (p, r) in pairs.iter().zip(res.iter()) {
            let Some(d) = dist(r) else {
                println!("{label:<8} {:<14}   0", p.imp.name());
                continue;
            };
            let c = |v: f64| format!("{v:.3} ({:+.3})", v - d.theory);
            println!(
                "{label:<8} {:<14} {:>3} {:>7.1}  {:<18} {:<18} {:<18} {:<18}",
                p.imp.name(),
                d.n,
                d.theory,
                c(d.median),
                c(d.p90),
                c(d.p99),
                c(d.max)
            );
            if p.imp == Impl::Rs {
                ours.push((label, d));
            }
        }
    }

    println!();
    println!("targets (not enforced):");
    for (label, d) in &ours {
        println!(
            "   keepalived-rs detection p99 <= theory + 2 ms, {label}: {} (p99 {:.3} ms, theory {:.1} ms)",
            if d.p99 <= d.theory + 2.0 {
                "MET"
            } else {
                "MISSED"
            },
            d.p99,
            d.theory
        );
    }
    if ours.len() < 2 {
        println!("   keepalived-rs detection: MISSED (not measured at every interval)");
    }
    for (label, n, r) in &foot_results {
        let get = |imp: Impl| &r.iter().find(|x| x.imp == imp).unwrap().foot;
        let (rs, kaf) = (get(Impl::Rs), get(Impl::Ka));
        println!(
            "   keepalived-rs CPU per session below keepalived's BFD child, {label}: {} ({:.4} vs {:.4} % sched per session)",
            if rs.bfd.sched < kaf.bfd.sched {
                "MET"
            } else {
                "MISSED"
            },
            rs.bfd.sched / *n as f64,
            kaf.bfd.sched / *n as f64
        );
    }
    for n in &notes {
        println!("note: {n}");
    }
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "done in {:.0} s (footprint {t_foot:.0} s, detection {t_det:.0} s); load average at the end {}",
        t_bench.elapsed().as_secs_f64(),
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
}
