//! `use_ipvlan` and instances without `interface`, on a real kernel.
//!
//! # `use_ipvlan` (in the IPVS guest)
//! The host kernel has no ipvlan driver; the IPVS test guest (`common::ipvs_vm`, Debian's
//! kernel) has. [`ipvlan_in_the_guest`] boots it once with the target directory shared (so the
//! daemon and this test binary are at the same paths there) and runs this binary inside with
//! `KRS_IN_GUEST=1`, which selects the `guest_*` tests: a lab as ../shared/reference/lab.md
//! describes (a bridge, two routers), Debian's keepalived 2.2.7 as the peer. What keepalived
//! 2.2.7 does, read back in that guest and checked here for both implementations:
//! - an ipvlan `vrrp.51` on eth0 (`ip -d -j link`: kind ipvlan, mode l2, flags bridge by default
//!   or as configured, eth0's MAC), with the configured address (`ip -j addr`) and
//!   `disable_ipv6=1`;
//! - the adverts come from the ipvlan's address; the VIP is on eth0 (not on the ipvlan);
//! - SIGTERM: the ipvlan is deleted, the peer takes over;
//! - after SIGKILL the ipvlan (and its address) stay; a restart reuses it ("Found matching
//!   interface vrrp.51", the same ifindex) and deletes it at SIGTERM;
//! - IPv6 with a bare `use_ipvlan`: one master (keepalived-rs) with keepalived as backup, so
//!   our adverts reach it (from the ipvlan's own link-local address: a first version sent
//!   from the parent's, which the kernel refused with EINVAL; found here), and the takeover.
//!
//! Without qemu or the guest image [`ipvlan_in_the_guest`] prints one `SKIP` line (a failure
//! under `KEEPALIVED_RS_FULL_TESTS=1`); the `guest_*` tests do nothing outside the guest.
//!
//! # No `interface`, unicast peers (on the host)
//! keepalived-rs takes the interface and the source from the kernel's route to the first peer.
//! A pair of keepalived-rs, and keepalived-rs with Debian's keepalived (which needs an
//! `interface`, 2.2.7 refusing the form) as the peer: the election, the adverts on the wire
//! (unicast, from eth0's MAC and the route's preferred source, with another interface made
//! first), the VIP on eth0, the takeover at SIGTERM; and `-t` accepting the form.

mod common;

use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use common::json::{self, Json, text};
use common::lab::{Lab, ns_exec, ns_sysctl as sysctl};
use common::{Daemon, TempDir, is_root, poll_until, require};
use keepalived_rs::wire;

const VRID: u8 = 51;
const NAME: &str = "vrrp.51";
/// How long a step in the emulated guest may take: a daemon's start there takes about 1 s on
/// a quiet host, several times that on a busy one (the guest is emulated, TCG).
const GUEST_WAIT: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Impl {
    Rs,
    Ka,
}

fn in_guest() -> bool {
    std::env::var_os("KRS_IN_GUEST").is_some()
}

fn can_run() -> bool {
    require(is_root(), "not root: network namespace tests need root")
        && require(
            common::have("ip", "-V"),
            "iproute2 (`ip`) not installed: needed for the namespace labs",
        )
}

fn vip(lab: &Lab) -> Ipv4Addr {
    Ipv4Addr::new(10, 99, lab.net, 100)
}

/// The ipvlan address of router `i`.
fn ipvlan_addr(lab: &Lab, i: usize) -> Ipv4Addr {
    Ipv4Addr::new(10, 99, lab.net, 51 + i as u8)
}

/// Router `i`'s daemon with `lines` in its instance (VRRPv3, adverts every 0.2 s).
fn start(lab: &Lab, dir: &TempDir, i: usize, prio: u8, kind: Impl, lines: &str) -> Daemon {
    let run = dir.path().join(format!("r{i}"));
    std::fs::create_dir_all(&run).unwrap();
    let conf = run.join("keepalived.conf");
    std::fs::write(
        &conf,
        format!(
            "vrrp_instance VI_1 {{\n    state BACKUP\n    virtual_router_id {VRID}\n    version 3\n    priority {prio}\n    advert_int 0.2\n{lines}    virtual_ipaddress {{\n        {}/24\n    }}\n}}\n",
            vip(lab)
        ),
    )
    .unwrap();
    for f in ["ka.pid", "vrrp.pid", "chk.pid", "bfd.pid", "rs.pid"] {
        let _ = std::fs::remove_file(run.join(f));
    }
    let mut cmd = common::lab::daemon_cmd(&lab.routers[i].ns, kind == Impl::Ka, &conf, &run);
    Daemon::start_cmd(&mut cmd)
}

/// The ipvlan links of namespace `ns` as (name, mode, flags, parent, MAC, ifindex).
fn ipvlans(ns: &str) -> Vec<(String, String, String, String, String, u64)> {
    json::ns_json(ns, &["ip", "-j", "-d", "link", "show"])
        .iter()
        .filter(|l| text(l, &["linkinfo", "info_kind"]) == Some("ipvlan"))
        .map(|l| {
            let t = |p: &[&str]| text(l, p).unwrap_or_default().to_string();
            // iproute2 prints the flags as a bare word after the mode ("mode l2 private").
            let data = l.get("linkinfo").and_then(|x| x.get("info_data"));
            let flags = ["bridge", "private", "vepa"]
                .into_iter()
                .find(|f| data.is_some_and(|d| format!("{d:?}").contains(f)))
                .unwrap_or_default()
                .to_string();
            (
                t(&["ifname"]),
                t(&["linkinfo", "info_data", "mode"]),
                flags,
                t(&["link"]),
                t(&["address"]),
                l.get("ifindex").and_then(Json::num).unwrap_or(0.0) as u64,
            )
        })
        .collect()
}

/// The IPv4 addresses of `dev` in namespace `ns` (`ip -j addr`), as "A/LEN".
fn addrs(ns: &str, dev: &str) -> Vec<String> {
    json::ns_json(ns, &["ip", "-j", "-4", "addr", "show", "dev", dev])
        .iter()
        .flat_map(|l| {
            l.get("addr_info")
                .map(Json::arr)
                .unwrap_or_default()
                .to_vec()
        })
        .filter_map(|a| {
            let local = text(&a, &["local"])?.to_string();
            let len = a.get("prefixlen").and_then(Json::num)?;
            Some(format!("{local}/{len}"))
        })
        .collect()
}

fn holds(ns: &str, dev: &str, a: Ipv4Addr) -> bool {
    addrs(ns, dev)
        .iter()
        .any(|x| x.starts_with(&format!("{a}/")))
}

fn mac_of(ns: &str, dev: &str) -> String {
    let out = ns_exec(ns, &["cat", &format!("/sys/class/net/{dev}/address")]);
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// VRRP adverts on the wire after `since`: (source MAC, IPv4 source, IPv4 destination,
/// priority).
fn adverts(lab: &Lab, since: Instant) -> Vec<([u8; 6], Ipv4Addr, Ipv4Addr, u8)> {
    common::lab::vrrp_frames(&lab.frames_since(since))
        .into_iter()
        .filter_map(|(_, b)| {
            let (ip, pkt) = wire::vrrp::ipv4_datagram(b.get(14..)?).ok()?;
            (pkt.vrid() == VRID).then_some(())?;
            Some((
                b.get(6..12)?.try_into().ok()?,
                ip.src_addr,
                ip.dst_addr,
                pkt.priority(),
            ))
        })
        .collect()
}

fn mac_bytes(s: &str) -> [u8; 6] {
    let mut m = [0u8; 6];
    for (b, h) in m.iter_mut().zip(s.split(':')) {
        *b = u8::from_str_radix(h, 16).unwrap_or(0);
    }
    m
}

fn logs(ds: &[&Daemon]) -> String {
    ds.iter()
        .enumerate()
        .map(|(i, d)| format!("---- r{i}:\n{}", d.log()))
        .collect()
}

/// Router `i` (master-to-be) holds the VIP on eth0 and sends adverts from its ipvlan address
/// with priority `prio`, from eth0's MAC.
fn check_master(lab: &Lab, i: usize, prio: u8, ds: &[&Daemon]) {
    let ns = &lab.routers[i].ns;
    let ok = poll_until(GUEST_WAIT, || holds(ns, "eth0", vip(lab)));
    assert!(ok, "r{i}: VIP not on eth0\n{}", logs(ds));
    assert!(!holds(ns, NAME, vip(lab)), "r{i}: the VIP is on the ipvlan");
    let mac = mac_bytes(&mac_of(ns, "eth0"));
    let want = (mac, ipvlan_addr(lab, i), Ipv4Addr::new(224, 0, 0, 18), prio);
    let t = Instant::now();
    let ok = poll_until(Duration::from_secs(5), || {
        adverts(lab, t).iter().filter(|a| **a == want).count() >= 2
    });
    assert!(
        ok,
        "r{i}: adverts {:?}, want {want:?}\n{}",
        adverts(lab, t),
        logs(ds)
    );
    assert!(
        adverts(lab, t).iter().all(|a| *a == want),
        "another advert: {:?}",
        adverts(lab, t)
    );
}

/// The ipvlan of router `i`: keepalived's shape, address and sysctl.
fn check_ipvlan(lab: &Lab, i: usize, flags: &str, ds: &[&Daemon]) {
    let ns = &lab.routers[i].ns;
    let ok = poll_until(GUEST_WAIT, || {
        ipvlans(ns).len() == 1 && holds(ns, NAME, ipvlan_addr(lab, i))
    });
    assert!(ok, "r{i}: ipvlans {:?}\n{}", ipvlans(ns), logs(ds));
    let (name, mode, f, parent, mac, _) = ipvlans(ns).remove(0);
    assert_eq!(
        (name.as_str(), mode.as_str(), f.as_str(), parent.as_str()),
        (NAME, "l2", flags, "eth0")
    );
    assert_eq!(mac, mac_of(ns, "eth0"), "the parent's MAC");
    assert_eq!(
        addrs(ns, NAME),
        [format!("{}/24", ipvlan_addr(lab, i))],
        "its one address"
    );
    assert_eq!(
        sysctl(ns, &format!("net/ipv6/conf/{NAME}/disable_ipv6")),
        "1"
    );
}

/// r0 (`first`, priority 150, bridge) and r1 (`second`, priority 100, private), both with
/// `use_ipvlan`: the ipvlans, r0 master, SIGTERM r0 (its ipvlan goes, r1 takes over), SIGTERM r1.
fn guest_scenario(tag: &str, first: Impl, second: Impl) {
    let mut lab = Lab::new(tag, 2);
    lab.capture();
    let dir = TempDir::new(&format!("ipvlan-{tag}"));
    let line = |i: usize, mode: &str| {
        format!(
            "    interface eth0\n    use_ipvlan {}/24{mode}\n",
            ipvlan_addr(&lab, i)
        )
    };
    let mut d0 = start(&lab, &dir, 0, 150, first, &line(0, ""));
    let mut d1 = start(&lab, &dir, 1, 100, second, &line(1, " private"));
    check_ipvlan(&lab, 0, "bridge", &[&d0, &d1]);
    check_ipvlan(&lab, 1, "private", &[&d0, &d1]);
    check_master(&lab, 0, 150, &[&d0, &d1]);
    assert!(
        !holds(&lab.routers[1].ns, "eth0", vip(&lab)),
        "r1 holds the VIP"
    );

    d0.term("r0");
    assert!(ipvlans(&lab.routers[0].ns).is_empty(), "r0 left its ipvlan");
    check_master(&lab, 1, 100, &[&d0, &d1]);
    d1.term("r1");
    assert!(ipvlans(&lab.routers[1].ns).is_empty(), "r1 left its ipvlan");
    println!("guest: use_ipvlan {first:?} master, {second:?} backup: ok");
}

#[test]
fn guest_ipvlan_rs_master_ka_backup() {
    if in_guest() {
        guest_scenario("ik", Impl::Rs, Impl::Ka);
    }
}

#[test]
fn guest_ipvlan_ka_master_rs_backup() {
    if in_guest() {
        guest_scenario("ki", Impl::Ka, Impl::Rs);
    }
}

/// Does `dev` of namespace `ns` hold IPv6 address `a`?
fn holds6(ns: &str, dev: &str, a: &str) -> bool {
    let out = ns_exec(ns, &["ip", "-6", "-o", "addr", "show", "dev", dev]);
    String::from_utf8_lossy(&out.stdout).contains(&format!(" {a}/"))
}

/// IPv6: keepalived-rs (r0, priority 150) and keepalived (r1, 100) with a bare `use_ipvlan`
/// (no address: the adverts leave from the ipvlan's link-local address): r0 holds the VIP on eth0,
/// IPv6 stays on (`disable_ipv6=0`); at SIGTERM r1 takes the VIP over.
#[test]
fn guest_ipvlan_ipv6_rs_master_ka_backup() {
    if !in_guest() {
        return;
    }
    let lab = Lab::new("i6", 2);
    let dir = TempDir::new("ipvlan-v6");
    let vip6 = format!("fd00:99:{:x}::100", lab.net);
    let lines = |prio| {
        format!(
            "vrrp_instance VI_6 {{\n    state BACKUP\n    interface eth0\n    use_ipvlan\n    virtual_router_id {VRID}\n    priority {prio}\n    advert_int 0.2\n    virtual_ipaddress {{\n        {vip6}/64\n    }}\n}}\n"
        )
    };
    let run = |i: usize, prio: u8, kind: Impl| {
        let run = dir.path().join(format!("r{i}"));
        std::fs::create_dir_all(&run).unwrap();
        let conf = run.join("keepalived.conf");
        std::fs::write(&conf, lines(prio)).unwrap();
        let mut cmd = common::lab::daemon_cmd(&lab.routers[i].ns, kind == Impl::Ka, &conf, &run);
        Daemon::start_cmd(&mut cmd)
    };
    let mut d0 = run(0, 150, Impl::Rs);
    let mut d1 = run(1, 100, Impl::Ka);
    let (ns0, ns1) = (&lab.routers[0].ns, &lab.routers[1].ns);
    let ok = poll_until(GUEST_WAIT, || {
        holds6(ns0, "eth0", &vip6) && !holds6(ns1, "eth0", &vip6) && ipvlans(ns1).len() == 1
    });
    assert!(ok, "r0 not the sole master\n{}", logs(&[&d0, &d1]));
    assert_eq!(ipvlans(ns0).len(), 1, "{}", logs(&[&d0]));
    // Its adverts leave from the ipvlan's own link-local address (not the parent's, which
    // is not on the ipvlan: the kernel would refuse the send).
    assert_eq!(d0.count("cannot send advert"), 0, "{}", d0.log());
    assert_eq!(
        sysctl(ns0, &format!("net/ipv6/conf/{NAME}/disable_ipv6")),
        "0"
    );
    d0.term("r0");
    assert!(ipvlans(ns0).is_empty(), "r0 left its ipvlan");
    let ok = poll_until(GUEST_WAIT, || holds6(ns1, "eth0", &vip6));
    assert!(ok, "r1 did not take over\n{}", logs(&[&d0, &d1]));
    d1.term("r1");
    println!("guest: use_ipvlan IPv6 Rs master, Ka backup: ok");
}

/// After SIGKILL the ipvlan, its address and the VIP stay; a restart finds the ipvlan and
/// reuses it (the same ifindex), and SIGTERM deletes it.
#[test]
fn guest_ipvlan_reused_after_sigkill() {
    if !in_guest() {
        return;
    }
    let mut lab = Lab::new("ir", 1);
    lab.capture();
    let dir = TempDir::new("ipvlan-reuse");
    let ns = lab.routers[0].ns.clone();
    let line = format!(
        "    interface eth0\n    use_ipvlan {}/24\n",
        ipvlan_addr(&lab, 0)
    );
    let mut d = start(&lab, &dir, 0, 150, Impl::Rs, &line);
    check_ipvlan(&lab, 0, "bridge", &[&d]);
    check_master(&lab, 0, 150, &[&d]);
    let before = ipvlans(&ns);
    d.kill9();
    assert_eq!(ipvlans(&ns), before, "the ipvlan stays after SIGKILL");
    assert!(holds(&ns, "eth0", vip(&lab)), "the VIP stays after SIGKILL");
    let mut d = start(&lab, &dir, 0, 150, Impl::Rs, &line);
    assert!(
        d.wait_for("Found matching interface vrrp.51", GUEST_WAIT)
            .is_some(),
        "{}",
        d.log()
    );
    assert!(
        d.wait_for("Entering MASTER STATE", GUEST_WAIT).is_some(),
        "{}",
        d.log()
    );
    assert_eq!(ipvlans(&ns), before, "the same interface");
    check_master(&lab, 0, 150, &[&d]);
    d.term("r0");
    assert!(ipvlans(&ns).is_empty(), "ipvlan left\n{}", d.log());
    println!("guest: use_ipvlan reused after SIGKILL: ok");
}

/// Boots the IPVS guest and runs the `guest_*` tests of this binary there.
#[test]
fn ipvlan_in_the_guest() {
    if in_guest() {
        return;
    }
    let Some(vm) = common::ipvs_vm::IpvsVm::require() else {
        return;
    };
    if !require(
        common::have("keepalived", "--version"),
        "keepalived not installed: needed for the ipvlan interop tests",
    ) {
        return;
    }
    let exe = std::env::current_exe().unwrap();
    // target/debug/deps/vrrp_ipvlan-HASH: share target/debug, where the daemon is too.
    let share = exe.parent().and_then(|p| p.parent()).unwrap().to_path_buf();
    let cmd = format!(
        "KRS_IN_GUEST=1 {} guest_ --test-threads=1 --nocapture 2>&1",
        exe.display()
    );
    let (status, out) = vm.run_within(&share, &cmd, 300);
    println!("{out}");
    assert_eq!(status, 0, "the guest tests failed:\n{out}");
    for what in [
        "use_ipvlan Rs master, Ka backup: ok",
        "use_ipvlan Ka master, Rs backup: ok",
        "use_ipvlan reused after SIGKILL: ok",
        "use_ipvlan IPv6 Rs master, Ka backup: ok",
    ] {
        assert!(out.contains(what), "not run in the guest: {what}\n{out}");
    }
}

/// Router `i`'s unicast instance towards router `peer`, without `interface` (keepalived-rs) or
/// with `interface eth0` (keepalived).
fn unicast_lines(lab: &Lab, peer: usize, kind: Impl) -> String {
    let iface = if kind == Impl::Ka {
        "    interface eth0\n"
    } else {
        ""
    };
    format!(
        "{iface}    unicast_peer {{\n        {}\n    }}\n",
        lab.routers[peer].v4
    )
}

/// r0 (keepalived-rs without `interface`, priority 150) and r1 (`second`, priority 100), unicast
/// to each other: r0 is master with the VIP on eth0 and its adverts leave eth0 (its MAC, the
/// route's preferred source, to r1's address); SIGTERM on r0: r1 takes over.
fn unicast_scenario(tag: &str, second: Impl) {
    if second == Impl::Ka
        && !require(
            common::have("keepalived", "--version"),
            "keepalived not installed: needed for the mixed unicast test",
        )
    {
        return;
    }
    let mut lab = Lab::new(tag, 2);
    lab.capture();
    let dir = TempDir::new(&format!("nif-{tag}"));
    // r0 has another interface (a0, made first, with an address) and its route to r1 says
    // `src` 10.99.N.201, a secondary address of eth0: the adverts must leave eth0 from .201,
    // the route's preferred source, not from a0 nor from eth0's first address.
    let ns0 = lab.routers[0].ns.clone();
    let src = Ipv4Addr::new(10, 99, lab.net, 201);
    let a0 = format!("10.98.{}.1/24", lab.net);
    let peer = format!("{}/32", lab.routers[1].v4);
    for cmd in [
        &["link", "add", "a0", "type", "veth", "peer", "name", "a1"][..],
        &["link", "set", "a0", "up"],
        &["link", "set", "a1", "up"],
        &["addr", "add", &a0, "dev", "a0"],
        &["addr", "add", &format!("{src}/24"), "dev", "eth0"],
        &[
            "route",
            "add",
            &peer,
            "dev",
            "eth0",
            "src",
            &src.to_string(),
        ],
    ] {
        let mut args = vec!["-n", ns0.as_str()];
        args.extend_from_slice(cmd);
        common::lab::ip(&args);
    }
    let mut d0 = start(
        &lab,
        &dir,
        0,
        150,
        Impl::Rs,
        &unicast_lines(&lab, 1, Impl::Rs),
    );
    let mut d1 = start(&lab, &dir, 1, 100, second, &unicast_lines(&lab, 0, second));
    let (r0, r1) = (&lab.routers[0], &lab.routers[1]);
    assert!(
        d0.wait_for("eth0 from the route to", Duration::from_secs(5))
            .is_some(),
        "{}",
        logs(&[&d0, &d1])
    );
    let ok = poll_until(Duration::from_secs(10), || {
        lab.holders(&vip(&lab).to_string()) == [0]
    });
    assert!(
        ok,
        "holders {:?}\n{}",
        lab.holders(&vip(&lab).to_string()),
        logs(&[&d0, &d1])
    );
    let t = Instant::now();
    let mac0 = mac_bytes(&mac_of(&r0.ns, "eth0"));
    let want = (mac0, src, r1.v4, 150);
    let ok = poll_until(Duration::from_secs(5), || {
        adverts(&lab, t).iter().filter(|a| **a == want).count() >= 3
    });
    assert!(
        ok,
        "adverts {:?}, want {want:?}\n{}",
        adverts(&lab, t),
        logs(&[&d0, &d1])
    );
    assert!(
        adverts(&lab, t).iter().all(|a| *a == want),
        "{:?}",
        adverts(&lab, t)
    );

    d0.term("r0");
    let ok = poll_until(Duration::from_secs(10), || {
        lab.holders(&vip(&lab).to_string()) == [1]
    });
    assert!(ok, "r1 did not take over\n{}", logs(&[&d0, &d1]));
    let t = Instant::now();
    let mac1 = mac_bytes(&mac_of(&r1.ns, "eth0"));
    let ok = poll_until(Duration::from_secs(5), || {
        adverts(&lab, t).contains(&(mac1, r1.v4, r0.v4, 100))
    });
    assert!(ok, "adverts {:?}\n{}", adverts(&lab, t), logs(&[&d1]));
    d1.term("r1");
}

#[test]
fn unicast_without_interface_rs_pair() {
    if !in_guest() && can_run() {
        unicast_scenario("nr", Impl::Rs);
    }
}

#[test]
fn unicast_without_interface_ka_peer() {
    if !in_guest() && can_run() {
        unicast_scenario("nk", Impl::Ka);
    }
}

/// `-t` accepts the form (exit 0, a note); keepalived 2.2.7 says "Unknown interface!".
#[test]
fn config_test_accepts_unicast_without_interface() {
    if in_guest() {
        return;
    }
    let dir = TempDir::new("nif-t");
    let conf = dir.path().join("k.conf");
    std::fs::write(
        &conf,
        "vrrp_instance VI_1 {\n    virtual_router_id 52\n    unicast_peer {\n        10.99.0.2\n    }\n    virtual_ipaddress {\n        10.99.0.100/24\n    }\n}\n",
    )
    .unwrap();
    let out = std::process::Command::new(common::bin())
        .args(["-t", "-f"])
        .arg(&conf)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("route to the first unicast peer"), "{err}");
}
