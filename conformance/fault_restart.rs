//! Fault suite, part "kill -9": a master killed with SIGKILL leaves its virtual addresses,
//! routes and rules in the kernel; restarted at once, it must remove them before its first
//! advert, so that the VIP is never on two routers (issue 11, defect 4). A live pair on a bridge:
//! keepalived-rs and Debian's keepalived 2.2.7, addresses read back from the kernel and stamped
//! by an rtnetlink watcher in each namespace, adverts seen on the bridge.
//!
//! Needs root, `ip netns` and (for the pair) keepalived; without them each test prints one `SKIP`
//! line (a failure under `KEEPALIVED_RS_FULL_TESTS=1`).

mod common;

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::lab::{AddrWatch, Lab, daemon_cmd, ip, ns_exec};
use common::{Daemon, TempDir, is_root, poll_until, require};

fn can_run() -> bool {
    require(is_root(), "not root: network namespace tests need root")
        && require(
            common::have("ip", "-V"),
            "iproute2 (`ip`) not installed: needed for the namespace labs",
        )
}

fn have_keepalived() -> bool {
    require(
        common::have("keepalived", "--version"),
        "keepalived not installed: needed for the kill -9 pair tests",
    )
}

/// The MAC of `eth0` in namespace `ns`.
fn mac(ns: &str) -> [u8; 6] {
    let out = ns_exec(ns, &["cat", "/sys/class/net/eth0/address"]);
    let s = String::from_utf8_lossy(&out.stdout);
    let mut mac = [0u8; 6];
    for (m, h) in mac.iter_mut().zip(s.trim().split(':')) {
        *m = u8::from_str_radix(h, 16).unwrap_or(0);
    }
    mac
}

/// VRRP adverts on the bridge from the router with `mac`, seen at `t` or later: (time, priority).
fn adverts_from(lab: &Lab, mac: [u8; 6], t: Instant) -> Vec<(Instant, u8)> {
    common::lab::vrrp_frames(&lab.frames_since(t))
        .into_iter()
        .filter(|(_, b)| b[6..12] == mac)
        .filter_map(|(at, b)| {
            // VRRP header after Ethernet and IPv4 (IHL) or IPv6 (40 bytes): priority at +2.
            let off = if b[12..14] == [0x08, 0x00] {
                14 + usize::from(b[14] & 0x0f) * 4
            } else {
                14 + 40
            };
            b.get(off + 2).map(|&p| (at, p))
        })
        .collect()
}

/// `ip ARGS` in namespace `ns`, its stdout.
fn ns_ip(ns: &str, args: &[&str]) -> String {
    let mut cmd = vec!["ip"];
    cmd.extend_from_slice(args);
    String::from_utf8_lossy(&ns_exec(ns, &cmd).stdout).into_owned()
}

fn has_addr(ns: &str, dev: &str, a: &str) -> bool {
    ns_ip(ns, &["-o", "addr", "show", "dev", dev])
        .split_whitespace()
        .any(|w| w.split('/').next() == Some(a))
}

/// A daemon of the lab, restartable with another configuration.
struct Node {
    ns: String,
    run: PathBuf,
    keepalived: bool,
    daemon: Option<Daemon>,
    /// Logs of the runs that ended.
    past: String,
}

impl Node {
    fn new(ns: &str, dir: &Path, name: &str, keepalived: bool) -> Node {
        let run = dir.join(name);
        std::fs::create_dir_all(&run).unwrap();
        Node {
            ns: ns.to_string(),
            run,
            keepalived,
            daemon: None,
            past: String::new(),
        }
    }

    fn start(&mut self, conf: &str) {
        let path = self.run.join("keepalived.conf");
        std::fs::write(&path, conf).unwrap();
        let mut cmd = daemon_cmd(&self.ns, self.keepalived, &path, &self.run);
        self.daemon = Some(Daemon::start_cmd(&mut cmd));
    }

    fn end(&mut self, d: Daemon) {
        self.past += &d.log();
        self.past += "---- (ended)\n";
    }

    /// SIGKILL, reaped: nothing of the daemon runs any more, what it put in the kernel stays.
    fn kill9(&mut self) {
        if let Some(mut d) = self.daemon.take() {
            d.kill9();
            self.end(d);
        }
    }

    /// SIGTERM and wait for the exit.
    fn stop(&mut self) {
        if let Some(mut d) = self.daemon.take() {
            d.signal(libc::SIGTERM);
            d.wait_exit(Duration::from_secs(6));
            self.end(d);
        }
    }

    fn log(&self) -> String {
        let now = self.daemon.as_ref().map(Daemon::log).unwrap_or_default();
        format!(
            "==== {} ({}):\n{}{now}",
            self.ns,
            self.run.display(),
            self.past
        )
    }
}

// ---------------------------------------------------------------------------------------------
// The regression test: what a killed master left is gone before the restarted daemon's first
// advert, and comes back when it is master again.

/// Two instances as a master that crashed would have had them: IPv4 with a VIP on the interface,
/// one on another interface (`dev ex0`), an excluded address, a virtual route and rule; IPv6
/// with a VIP. `cs`: the advert interval in centiseconds (VRRPv3).
fn leftover_config(net: u8, cs: u32) -> String {
    let secs = f64::from(cs) / 100.0;
    format!(
        "vrrp_instance V4 {{
    state BACKUP
    interface eth0
    virtual_router_id 61
    version 3
    priority 150
    advert_int {secs}
    virtual_ipaddress {{
        10.99.{net}.100/24
        10.98.{net}.100/24 dev ex0
    }}
    virtual_ipaddress_excluded {{
        10.99.{net}.101/32
    }}
    virtual_routes {{
        10.97.{net}.0/24 via 10.99.{net}.254
    }}
    virtual_rules {{
        from 10.99.{net}.100 table 100 priority 100
    }}
}}
vrrp_instance V6 {{
    state BACKUP
    interface eth0
    virtual_router_id 62
    priority 150
    advert_int {secs}
    virtual_ipaddress {{
        fd00:99:{net:x}::100/64
    }}
}}
"
    )
}

/// What the two instances put in the kernel of `ns`, each with whether it is there now.
fn leftovers(ns: &str, net: u8) -> Vec<(String, bool)> {
    let rules = ns_ip(ns, &["rule", "show"]);
    let route = ns_ip(ns, &["route", "show", &format!("10.97.{net}.0/24")]);
    vec![
        (
            format!("10.99.{net}.100 on eth0"),
            has_addr(ns, "eth0", &format!("10.99.{net}.100")),
        ),
        (
            format!("10.98.{net}.100 on ex0"),
            has_addr(ns, "ex0", &format!("10.98.{net}.100")),
        ),
        (
            format!("10.99.{net}.101 (excluded)"),
            has_addr(ns, "eth0", &format!("10.99.{net}.101")),
        ),
        (
            format!("fd00:99:{net:x}::100 on eth0"),
            has_addr(ns, "eth0", &format!("fd00:99:{net:x}::100")),
        ),
        (
            format!("route 10.97.{net}.0/24"),
            route.contains(&format!("10.97.{net}.0/24")),
        ),
        (
            format!("rule from 10.99.{net}.100 lookup 100"),
            rules.contains(&format!("from 10.99.{net}.100 lookup 100")),
        ),
    ]
}

fn present(l: &[(String, bool)]) -> Vec<&str> {
    l.iter()
        .filter(|(_, b)| *b)
        .map(|(n, _)| n.as_str())
        .collect()
}

/// A lab of one router with a capture on the bridge: the lab, the router's namespace, the
/// lab's net number. `None` (after a SKIP line) without root or iproute2.
fn one_router(tag: &str) -> Option<(Lab, String, u8)> {
    if !can_run() {
        return None;
    }
    let mut lab = Lab::new(tag, 1);
    lab.capture();
    let ns = lab.routers[0].ns.clone();
    let net = lab.net;
    Some((lab, ns, net))
}

/// The addresses `watch` saw removed at `t0` or later.
fn removed_since(watch: &AddrWatch, t0: Instant) -> Vec<IpAddr> {
    watch
        .since(t0)
        .into_iter()
        .filter(|e| !e.added)
        .map(|e| e.addr)
        .collect()
}

#[test]
fn leftovers_of_a_killed_master_are_removed_before_the_first_advert() {
    let Some((lab, ns, net)) = one_router("kr") else {
        return;
    };
    // A second interface for the VIP with `dev ex0`.
    ip(&[
        "-n", &ns, "link", "add", "ex0", "type", "veth", "peer", "name", "ex1",
    ]);
    ip(&["-n", &ns, "link", "set", "ex0", "up"]);
    ip(&["-n", &ns, "link", "set", "ex1", "up"]);
    ip(&[
        "-n",
        &ns,
        "addr",
        "add",
        &format!("10.98.{net}.1/24"),
        "dev",
        "ex0",
    ]);
    let dir = TempDir::new("fault-restart");
    let mut node = Node::new(&ns, dir.path(), "r0", false);
    let all = leftovers(&ns, net).len();

    // 1. Alone on the LAN it becomes master (fast adverts) and installs everything; SIGKILL.
    node.start(&leftover_config(net, 10));
    let ok = poll_until(Duration::from_secs(10), || {
        present(&leftovers(&ns, net)).len() == all
    });
    assert!(
        ok,
        "first run never installed everything: {:?}\n{}",
        leftovers(&ns, net),
        node.log()
    );
    node.kill9();
    let left = leftovers(&ns, net);
    assert_eq!(present(&left).len(), all, "after kill -9: {left:?}");

    // 2. Restarted (1 s adverts: it stays BACKUP for about 3.4 s), everything goes before its
    // first advert.
    let mac0 = mac(&ns);
    let watch = AddrWatch::new(&ns);
    let t0 = Instant::now();
    node.start(&leftover_config(net, 100));
    let mut now = leftovers(&ns, net);
    let gone = poll_until(Duration::from_secs(3), || {
        now = leftovers(&ns, net);
        present(&now).is_empty()
    });
    let gone_at = Instant::now();
    let early: Vec<_> = adverts_from(&lab, mac0, t0)
        .into_iter()
        .filter(|(at, _)| *at <= gone_at)
        .collect();
    eprintln!(
        "restart: left-overs gone after {:?}; still there: {:?}; adverts by then: {}",
        gone_at - t0,
        present(&now),
        early.len()
    );
    assert!(
        gone,
        "left-overs still there 3 s after the restart: {:?}\n{}",
        present(&now),
        node.log()
    );
    assert!(
        early.is_empty(),
        "adverts before the left-overs were gone: {early:?}\n{}",
        node.log()
    );
    let removed = removed_since(&watch, t0);
    let last = watch
        .since(t0)
        .iter()
        .filter(|e| !e.added)
        .map(|e| e.at - t0)
        .max();
    eprintln!("restart: the last address removal seen {last:?} after the restart");
    for a in [
        format!("10.99.{net}.100"),
        format!("10.98.{net}.100"),
        format!("10.99.{net}.101"),
        format!("fd00:99:{net:x}::100"),
    ] {
        assert!(
            removed.contains(&a.parse().unwrap()),
            "no removal of {a} seen: {removed:?}"
        );
    }

    // keepalived's words for it (-D).
    for line in [
        "(V4) removing Virtual Rules",
        "(V4) removing Virtual Routes",
        "(V4) removing VIPs.",
        "(V4) removing E-VIPs.",
        "(V6) removing VIPs.",
    ] {
        assert!(
            node.log().contains(line),
            "no `{line}` in the log\n{}",
            node.log()
        );
    }

    // 3. Master again after Master_Down_Interval: the removals did not outlive the adds.
    let ok = poll_until(Duration::from_secs(8), || {
        present(&leftovers(&ns, net)).len() == all
    });
    assert!(
        ok,
        "not all back once master: {:?}\n{}",
        leftovers(&ns, net),
        node.log()
    );
    let first = adverts_from(&lab, mac0, t0).first().map(|(at, _)| *at);
    eprintln!(
        "restart: master again, first advert {:?} after the restart",
        first.map(|a| a - t0)
    );
    node.stop();
}

/// A restart that has thousands of left-overs to remove: 250 instances of 12 addresses. The
/// removals go out before the loop runs and the kernel queues an ACK for each on the socket,
/// which holds about 2,500: without reading them as it goes the daemon overran its own
/// rtnetlink socket and logged every removal as refused (ENOBUFS).
#[test]
fn thousands_of_left_overs_are_removed_without_a_netlink_overrun() {
    let Some((_lab, ns, _net)) = one_router("kb") else {
        return;
    };
    let dir = TempDir::new("fault-burst");
    let (insts, per) = (250u32, 12u32);
    let mut conf = format!(
        "global_defs {{\n    state_dump_file {}\n}}\n",
        dir.path().join("data").display()
    );
    let mut batch = String::new();
    for i in 1..=insts {
        conf += &format!(
            "vrrp_instance I{i} {{\n    interface eth0\n    virtual_router_id {}\n    advert_int 10\n    virtual_ipaddress {{\n",
            i
        );
        for j in 1..=per {
            let a = format!("10.{}.{}.{j}/32", 100 + i / 200, i % 200);
            conf += &format!("        {a}\n");
            batch += &format!("address add {a} dev eth0\n");
        }
        conf += "    }\n}\n";
    }
    let file = dir.path().join("batch");
    std::fs::write(&file, batch).unwrap();
    ip(&["-n", &ns, "-batch", &file.to_string_lossy()]);
    let count = || {
        ns_ip(&ns, &["-o", "-4", "addr", "show", "dev", "eth0"])
            .lines()
            .count()
    };
    // The lab's own address, and the left-overs.
    assert_eq!(count(), 1 + (insts * per) as usize);
    let mut node = Node::new(&ns, dir.path(), "r0", false);
    node.start(&conf);
    let ok = poll_until(Duration::from_secs(20), || count() == 1);
    assert!(ok, "{} addresses left\n{}", count() - 1, node.log());
    // A data dump is written by the loop after it has read the ACKs that were waiting.
    let data = dir.path().join("data");
    node.daemon.as_ref().unwrap().signal(libc::SIGUSR1);
    assert!(
        poll_until(Duration::from_secs(10), || data.exists()),
        "no data dump\n{}",
        node.log()
    );
    let log = node.log();
    // (The link monitor may overrun on 3,000 address notifications: it reads the kernel's state
    // again, by design. The command socket must not.)
    for bad in [
        "netlink: receive buffer overrun",
        "Kernel refused",
        "No buffer space",
    ] {
        assert!(!log.contains(bad), "`{bad}` in the log:\n{log}");
    }
    node.stop();
}

/// `ip monitor route rule` in a namespace, its output kept in a file; killed on drop.
struct RouteMonitor {
    child: std::process::Child,
    out: PathBuf,
}

impl RouteMonitor {
    fn new(ns: &str, dir: &Path) -> RouteMonitor {
        let out = dir.join("route-monitor.txt");
        let file = std::fs::File::create(&out).unwrap();
        let child = std::process::Command::new("ip")
            .args(["-n", ns, "monitor", "route", "rule"])
            .stdout(file)
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("ip monitor");
        RouteMonitor { child, out }
    }

    fn text(&self) -> String {
        std::fs::read_to_string(&self.out).unwrap_or_default()
    }
}

impl Drop for RouteMonitor {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An address owner (priority 255, master at once) restarted after SIGKILL: its addresses,
/// among them the interface's own address, are never removed; its virtual route and rule are
/// removed and added again at once, and end up there (one socket, in order).
#[test]
fn an_address_owner_keeps_its_own_address_at_start() {
    let Some((lab, ns, net)) = one_router("ko") else {
        return;
    };
    let own = format!("10.99.{net}.1");
    let vip = format!("10.99.{net}.102");
    let route = format!("10.97.{net}.0/24");
    let rule = format!("from 10.99.{net}.102 lookup 100");
    let conf = format!(
        "vrrp_instance OWN {{
    state MASTER
    interface eth0
    virtual_router_id 63
    version 3
    priority 255
    advert_int 0.1
    virtual_ipaddress {{
        {own}/24
        {vip}/24
    }}
    virtual_routes {{
        {route} via 10.99.{net}.254
    }}
    virtual_rules {{
        from {vip} table 100 priority 100
    }}
}}
"
    );
    let installed = || {
        has_addr(&ns, "eth0", &own)
            && has_addr(&ns, "eth0", &vip)
            && ns_ip(&ns, &["route", "show", &route]).contains(&route)
            && ns_ip(&ns, &["rule", "show"]).contains(&rule)
    };
    let dir = TempDir::new("fault-owner");
    let mut node = Node::new(&ns, dir.path(), "r0", false);
    node.start(&conf);
    let ok = poll_until(Duration::from_secs(5), installed);
    assert!(ok, "the owner did not install everything\n{}", node.log());
    node.kill9();
    assert!(installed(), "after kill -9");

    let watch = AddrWatch::new(&ns);
    let routes = RouteMonitor::new(&ns, dir.path());
    let mac0 = mac(&ns);
    let t0 = Instant::now();
    node.start(&conf);
    // Master at once: a few adverts with priority 255.
    let ok = poll_until(Duration::from_secs(5), || {
        adverts_from(&lab, mac0, t0)
            .iter()
            .filter(|(_, p)| *p == 255)
            .count()
            >= 5
    });
    assert!(ok, "the owner sends no adverts\n{}", node.log());
    let removed = removed_since(&watch, t0);
    assert!(
        removed.is_empty(),
        "the owner removed {removed:?} at start\n{}",
        node.log()
    );
    assert!(installed(), "not all there\n{}", node.log());
    // The route went and came back (the monitor prints "Deleted" for a removal).
    let seen = poll_until(Duration::from_secs(2), || {
        let t = routes.text();
        let del = t.find(&format!("Deleted {route}"));
        let add = t
            .rfind(&format!("\n{route}"))
            .or(t.find(&route).filter(|&i| i == 0));
        del.zip(add).is_some_and(|(d, a)| a > d)
    });
    assert!(
        seen,
        "route monitor: no removal then add of {route}:\n{}",
        routes.text()
    );
    node.stop();
}

// ---------------------------------------------------------------------------------------------
// The pair: keepalived-rs (r0) and keepalived 2.2.7 (r1) as backup; r0 is killed and restarted.

/// VRRPv3 at 0.2 s: Master_Down_Interval 0.72 s for keepalived (priority 100), so that a round
/// (kill, restart, the restarted router master again) takes about a second.
const CS: u32 = 20;
const VRID: u8 = 64;

fn interval() -> Duration {
    Duration::from_millis(u64::from(CS) * 10)
}

/// RFC 5798 6.1: 3 x Master_Adver_Interval + Skew_Time.
fn master_down(prio: u8) -> Duration {
    interval() * 3 + interval() * (256 - u32::from(prio)) / 256
}

fn pair_config(net: u8, prio: u8) -> String {
    let secs = f64::from(CS) / 100.0;
    format!(
        "vrrp_instance VI_1 {{
    state BACKUP
    interface eth0
    virtual_router_id {VRID}
    version 3
    priority {prio}
    advert_int {secs}
    virtual_ipaddress {{
        10.99.{net}.100/24
    }}
}}
"
    )
}

/// Who held the VIP when, from the address events of both routers (r0 the restarted one).
#[derive(Debug, Default)]
struct Overlap {
    /// The longest time both held it without a break.
    worst: Duration,
    total: Duration,
    /// The longest of those over r0's stale copy: r1 added the VIP while r0 still held the
    /// copy it had at `t0` (it had not added it since). The others begin with r0 adding it as
    /// it takes over (preemption), or r1 in the same instant: they last until r1 has heard r0's
    /// advert and removed its copy.
    stale: Duration,
}

/// The overlap between `t0` and `end`, both routers' holding at `t0` given, from their events.
fn overlap(
    vip: IpAddr,
    t0: Instant,
    end: Instant,
    start: [bool; 2],
    watches: [&AddrWatch; 2],
) -> Overlap {
    let mut ev: Vec<(Instant, usize, bool)> = Vec::new();
    for (r, w) in watches.iter().enumerate() {
        ev.extend(
            w.since(t0)
                .into_iter()
                .filter(|e| e.addr == vip && e.at <= end)
                .map(|e| (e.at, r, e.added)),
        );
    }
    ev.sort_by_key(|e| e.0);
    let mut hold = start;
    // When both began to hold it, and whether r1's add began it.
    let mut since: Option<(Instant, bool)> = (hold[0] && hold[1]).then_some((t0, true));
    let mut o = Overlap::default();
    let mut close = |(from, stale): (Instant, bool), to: Instant| {
        let d = to.saturating_duration_since(from);
        o.total += d;
        o.worst = o.worst.max(d);
        if stale {
            o.stale = o.stale.max(d);
        }
    };
    // r0 added the VIP itself after t0 (its copy is no longer the one a killed daemon left).
    let mut fresh = false;
    for (at, r, added) in ev {
        hold[r] = added;
        fresh |= r == 0 && added;
        match (since, hold[0] && hold[1]) {
            (None, true) => since = Some((at, r == 1 && !fresh)),
            (Some(s), false) => {
                close(s, at);
                since = None;
            }
            _ => {}
        }
    }
    if let Some(s) = since {
        close(s, end);
    }
    o
}

struct Pair {
    lab: Lab,
    rs: Node,
    ka: Node,
    watches: [AddrWatch; 2],
    vip: String,
    mac_rs: [u8; 6],
    _dir: TempDir,
}

impl Pair {
    /// r0 keepalived-rs with priority 150, r1 keepalived with 100; r0 master.
    fn new(tag: &str) -> Pair {
        let mut lab = Lab::new(tag, 2);
        lab.capture();
        let dir = TempDir::new(&format!("fault-{tag}"));
        let watches = [
            AddrWatch::new(&lab.routers[0].ns),
            AddrWatch::new(&lab.routers[1].ns),
        ];
        let mut rs = Node::new(&lab.routers[0].ns, dir.path(), "r0", false);
        let mut ka = Node::new(&lab.routers[1].ns, dir.path(), "r1", true);
        let vip = format!("10.99.{}.100", lab.net);
        let mac_rs = mac(&lab.routers[0].ns);
        ka.start(&pair_config(lab.net, 100));
        rs.start(&pair_config(lab.net, 150));
        let p = Pair {
            lab,
            rs,
            ka,
            watches,
            vip,
            mac_rs,
            _dir: dir,
        };
        p.wait_sole(0, Duration::from_secs(10), "election");
        p
    }

    fn logs(&self) -> String {
        format!("{}\n{}", self.rs.log(), self.ka.log())
    }

    fn holders(&self) -> Vec<usize> {
        self.lab.holders(&self.vip)
    }

    fn wait_sole(&self, i: usize, limit: Duration, what: &str) {
        let ok = poll_until(limit, || self.holders() == [i]);
        assert!(
            ok,
            "{what}: r{i} does not hold {} alone within {limit:?}: {:?}\n{}",
            self.vip,
            self.holders(),
            self.logs()
        );
    }

    /// When the restarted r0 first removed the VIP, and when it sent its first advert with
    /// priority `prio`, after `t0`.
    fn removal_and_advert(&self, t0: Instant, prio: u8) -> (Option<Instant>, Option<Instant>) {
        let vip: IpAddr = self.vip.parse().unwrap();
        let removed = self.watches[0]
            .since(t0)
            .into_iter()
            .find(|e| e.addr == vip && !e.added)
            .map(|e| e.at);
        let advert = adverts_from(&self.lab, self.mac_rs, t0)
            .into_iter()
            .find(|(_, p)| *p == prio)
            .map(|(at, _)| at);
        (removed, advert)
    }

    /// SIGKILL on r0 (reaped) and at once a new r0 with priority `prio`: the time of the kill.
    fn crash_restart(&mut self, prio: u8) -> Instant {
        let t0 = Instant::now();
        self.rs.kill9();
        self.rs.start(&pair_config(self.lab.net, prio));
        t0
    }

    fn stop(&mut self) {
        self.rs.stop();
        self.ka.stop();
    }

    fn overlap(&self, t0: Instant, end: Instant) -> Overlap {
        overlap(
            self.vip.parse().unwrap(),
            t0,
            end,
            [true, false],
            [&self.watches[0], &self.watches[1]],
        )
    }
}

#[test]
fn kill9_restarts_of_a_higher_priority_master_never_hold_the_vip_twice() {
    if !can_run() || !have_keepalived() {
        return;
    }
    let mut p = Pair::new("k9");
    let mdi = master_down(100);
    let mut worst = Duration::ZERO;
    let mut total = Duration::ZERO;
    let rounds = 20;
    for round in 0..rounds {
        // r0 is master (sole holder); kill it and start it again at once.
        let t0 = p.crash_restart(150);
        // It takes over again after its Master_Down_Interval (keepalived may be master
        // meanwhile), and keepalived lets go.
        let back = poll_until(mdi * 4 + Duration::from_secs(3), || {
            p.removal_and_advert(t0, 150).1.is_some() && p.holders() == [0]
        });
        let end = Instant::now();
        let o = p.overlap(t0, end);
        let (removed, advert) = p.removal_and_advert(t0, 150);
        eprintln!(
            "round {round}: overlap {:?} (longest {:?}, over a stale copy {:?}); stale VIP removed after {:?}, first advert after {:?}",
            o.total,
            o.worst,
            o.stale,
            removed.map(|r| r - t0),
            advert.map(|a| a - t0)
        );
        assert!(
            back,
            "round {round}: r0 not master alone again: {:?}\n{}",
            p.holders(),
            p.logs()
        );
        assert!(
            o.worst <= mdi,
            "round {round}: the VIP was on both routers for {:?} (Master_Down_Interval {mdi:?})\n{}",
            o.worst,
            p.logs()
        );
        // The restarted daemon removed the VIP a killed master left, before its first advert.
        assert!(
            removed.zip(advert).is_some_and(|(r, a)| r <= a),
            "round {round}: the VIP left by the killed master was not removed before the first advert (removed {:?}, advert {:?})\n{}",
            removed.map(|r| r - t0),
            advert.map(|a| a - t0),
            p.logs()
        );
        assert_eq!(
            o.stale,
            Duration::ZERO,
            "round {round}: keepalived took over while r0 kept a stale copy\n{}",
            p.logs()
        );
        worst = worst.max(o.worst);
        total += o.total;
    }
    eprintln!(
        "{rounds} kill -9 restarts: worst overlap {worst:?} (preemption hand-overs), total {total:?}, none over a stale copy (Master_Down_Interval {mdi:?})"
    );
    p.stop();
}

#[test]
fn kill9_restart_with_a_lower_priority_lets_go_of_the_vip() {
    if !can_run() || !have_keepalived() {
        return;
    }
    let mut p = Pair::new("k9l");
    let mdi = master_down(100);
    let mut worst = Duration::ZERO;
    let rounds = 4;
    for round in 0..rounds {
        // r0 is master; it is killed and comes back with priority 50: keepalived takes over
        // for good, and r0 must not keep the VIP.
        let t0 = p.crash_restart(50);
        let ka_holds = poll_until(mdi * 2 + Duration::from_secs(3), || {
            p.lab.has_addr(1, &p.vip)
        });
        assert!(
            ka_holds,
            "round {round}: keepalived never took over\n{}",
            p.logs()
        );
        // Then keepalived alone, and still alone two Master_Down_Intervals later.
        let alone = poll_until(mdi * 2, || p.holders() == [1]);
        let broke = alone && poll_until(mdi * 2, || p.holders() != [1]);
        let end = Instant::now();
        let o = p.overlap(t0, end);
        eprintln!(
            "round {round} (restarted with priority 50): overlap {:?}, holders at the end {:?}",
            o.worst,
            p.holders()
        );
        worst = worst.max(o.worst);
        assert!(
            alone && !broke && o.worst <= mdi,
            "round {round}: the VIP was on both routers for {:?} and still is: {:?} (Master_Down_Interval {mdi:?})\n{}",
            o.worst,
            p.holders(),
            p.logs()
        );
        // Back to priority 150 for the next round: it preempts.
        p.rs.stop();
        p.rs.start(&pair_config(p.lab.net, 150));
        p.wait_sole(0, mdi * 3 + Duration::from_secs(3), "preemption back");
    }
    eprintln!("{rounds} kill -9 restarts with a lower priority: worst overlap {worst:?}");
    p.stop();
}
