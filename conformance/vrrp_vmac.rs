//! `use_vmac` on a real kernel: two routers and a client on a bridge (../shared/reference/lab.md).
//! The VMAC is read back with `ip -j -d link show` (name, MAC, macvlan private mode, parent), the
//! VIP must be on it, the adverts and GARPs must come from the virtual router MAC, an ARP request
//! from the client must be answered from it (by the master only), the bridge must learn it on
//! the master's port and move it on failover, and no VMAC may be left after SIGTERM. A mixed case
//! runs Debian's keepalived as the backup. Needs root and `ip netns`; the mixed case keepalived
//! (a `SKIP` line without, a failure under `KEEPALIVED_RS_FULL_TESTS=1`).

mod common;

use std::net::Ipv4Addr;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::Path;
use std::time::{Duration, Instant};

use common::json::{self, Json};
use common::lab::{Frame, Lab, ns_exec};
use common::{Daemon, TempDir, is_root, poll_until, require};
use keepalived_rs::wire;

const VRID: u8 = 51;
const VMAC: [u8; 6] = [0, 0, 0x5e, 0, 1, VRID];
const VMAC_NAME: &str = "vrrp.51";
/// Adverts every 0.2 s (VRRPv3): master down of the backup (priority 100) is 0.72 s.
const ADVERT_INT: &str = "0.2";

fn can_run() -> bool {
    require(is_root(), "not root: network namespace tests need root")
        && require(
            common::have("ip", "-V"),
            "iproute2 (`ip`) not installed: needed for the namespace labs",
        )
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Impl {
    Rs,
    Ka,
}

fn vip(lab: &Lab) -> Ipv4Addr {
    Ipv4Addr::new(10, 99, lab.net, 100)
}

/// Router `i`'s daemon; its config has `use_vmac`, VRRPv3 and the IPv4 VIP.
fn start(lab: &Lab, dir: &TempDir, i: usize, prio: u8, kind: Impl) -> Daemon {
    let lines = format!(
        "use_vmac\n    virtual_ipaddress {{\n        {}/24\n    }}",
        vip(lab)
    );
    start_with(lab, dir, i, prio, kind, &lines)
}

/// Router `i`'s daemon, `lines` in its instance.
fn start_with(lab: &Lab, dir: &TempDir, i: usize, prio: u8, kind: Impl, lines: &str) -> Daemon {
    let run = dir.path().join(format!("r{i}"));
    std::fs::create_dir_all(&run).unwrap();
    let conf = run.join("keepalived.conf");
    std::fs::write(
        &conf,
        format!(
            "global_defs {{\n    router_id r{i}\n}}\n\nvrrp_instance VI_1 {{\n    state BACKUP\n    interface eth0\n    virtual_router_id {VRID}\n    version 3\n    priority {prio}\n    advert_int {ADVERT_INT}\n    {lines}\n}}\n"
        ),
    )
    .unwrap();
    let mut cmd = common::lab::daemon_cmd(&lab.routers[i].ns, kind == Impl::Ka, &conf, &run);
    Daemon::start_cmd(&mut cmd)
}

/// `ip -j -d link show` in namespace `ns`, parsed.
fn links(ns: &str) -> Vec<Json> {
    let out = ns_exec(ns, &["ip", "-j", "-d", "link", "show"]);
    let text = String::from_utf8_lossy(&out.stdout);
    json::parse(&text)
        .unwrap_or_else(|e| panic!("{e}: {text}"))
        .arr()
        .to_vec()
}

fn text<'a>(j: &'a Json, path: &[&str]) -> Option<&'a str> {
    j.text(path)
}

/// The macvlan links of namespace `ns`, as (name, MAC, mode, parent).
fn macvlans(ns: &str) -> Vec<[String; 4]> {
    links(ns)
        .iter()
        .filter(|l| text(l, &["linkinfo", "info_kind"]) == Some("macvlan"))
        .map(|l| {
            [
                text(l, &["ifname"]),
                text(l, &["address"]),
                text(l, &["linkinfo", "info_data", "mode"]),
                text(l, &["link"]),
            ]
            .map(|s| s.unwrap_or_default().to_string())
        })
        .collect()
}

fn want_vmac() -> [String; 4] {
    [VMAC_NAME, "00:00:5e:00:01:33", "private", "eth0"].map(String::from)
}

/// Does interface `dev` of namespace `ns` hold IPv4 address `a`?
fn holds(ns: &str, dev: &str, a: Ipv4Addr) -> bool {
    let out = ns_exec(ns, &["ip", "-4", "-o", "addr", "show", "dev", dev]);
    String::from_utf8_lossy(&out.stdout).contains(&format!(" {a}/"))
}

/// A sysctl of namespace `ns` by its `/proc/sys` path (`net/ipv4/conf/eth0/arp_ignore`).
fn sysctl(ns: &str, path: &str) -> String {
    let out = ns_exec(ns, &["cat", &format!("/proc/sys/{path}")]);
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn mac_of(ns: &str, dev: &str) -> [u8; 6] {
    let out = ns_exec(ns, &["cat", &format!("/sys/class/net/{dev}/address")]);
    let s = String::from_utf8_lossy(&out.stdout);
    let mut mac = [0u8; 6];
    for (m, h) in mac.iter_mut().zip(s.trim().split(':')) {
        *m = u8::from_str_radix(h, 16).unwrap();
    }
    mac
}

/// The port of bridge br0 where the bridge learnt `mac`, if it did.
fn fdb_port(lab: &Lab, mac: &str) -> Option<String> {
    let out = ns_exec(&lab.bridge_ns, &["bridge", "fdb", "show", "br", "br0"]);
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find(|l| l.starts_with(mac) && !l.contains("permanent"))
        .and_then(|l| l.split_whitespace().nth(2).map(str::to_string))
}

/// Sends one ARP request "who has `target`" from the client (router 2's namespace) with an
/// AF_PACKET socket.
fn arp_request(lab: &Lab, target: Ipv4Addr) {
    let client = &lab.routers[2];
    let (ns, spa) = (client.ns.clone(), client.v4);
    let sha = mac_of(&ns, "eth0");
    std::thread::spawn(move || {
        let f = std::fs::File::open(format!("/run/netns/{ns}")).unwrap();
        // SAFETY: setns on this thread only, with a namespace fd we hold.
        assert_eq!(unsafe { libc::setns(f.as_raw_fd(), libc::CLONE_NEWNET) }, 0);
        let mut frame = vec![0xff; 6];
        frame.extend_from_slice(&sha);
        frame.extend_from_slice(&[0x08, 0x06, 0, 1, 0x08, 0, 6, 4, 0, 1]);
        frame.extend_from_slice(&sha);
        frame.extend_from_slice(&spa.octets());
        frame.extend_from_slice(&[0; 6]);
        frame.extend_from_slice(&target.octets());
        // SAFETY: plain syscall.
        let fd = unsafe { libc::socket(libc::AF_PACKET, libc::SOCK_RAW | libc::SOCK_CLOEXEC, 0) };
        assert!(fd >= 0, "AF_PACKET socket");
        // SAFETY: the fd is new and ours.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        // SAFETY: sockaddr_ll is plain data.
        let mut sa: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
        sa.sll_family = libc::AF_PACKET as u16;
        sa.sll_ifindex = keepalived_rs::sys::raw::if_index("eth0").unwrap() as i32;
        sa.sll_halen = 6;
        sa.sll_addr[..6].copy_from_slice(&[0xff; 6]);
        // SAFETY: frame and sa are live for the call, lengths given.
        let n = unsafe {
            libc::sendto(
                fd.as_raw_fd(),
                frame.as_ptr().cast(),
                frame.len(),
                0,
                (&sa as *const libc::sockaddr_ll).cast(),
                std::mem::size_of::<libc::sockaddr_ll>() as u32,
            )
        };
        assert_eq!(n, frame.len() as isize, "ARP request sent");
    })
    .join()
    .unwrap();
}

/// ARP replies on the wire after `since` saying `vip` is at some MAC: (Ethernet source, sender
/// hardware address).
fn arp_replies(lab: &Lab, vip: Ipv4Addr, since: Instant) -> Vec<([u8; 6], [u8; 6])> {
    lab.frames()
        .iter()
        .filter(|f| f.at >= since)
        .filter_map(|f| wire::arp::parse_frame(&f.bytes).ok())
        .filter(|(_, a)| a.source_protocol_addr == vip && a.target_protocol_addr != vip)
        .map(|(e, a)| (e.src_addr.0, a.source_hardware_addr.0))
        .collect()
}

/// Gratuitous ARPs for `vip` on the wire after `since`, by Ethernet source.
fn garps(lab: &Lab, vip: Ipv4Addr, since: Instant) -> Vec<[u8; 6]> {
    lab.frames()
        .iter()
        .filter(|f| f.at >= since)
        .filter_map(|f| wire::arp::parse_frame(&f.bytes).ok())
        .filter(|(_, a)| a.source_protocol_addr == vip && a.target_protocol_addr == vip)
        .map(|(e, a)| {
            assert_eq!(a.source_hardware_addr, e.src_addr, "GARP sender = source");
            e.src_addr.0
        })
        .collect()
}

/// VRRP adverts on the wire after `since`: (source MAC, VRID, priority).
fn adverts(frames: &[Frame], since: Instant) -> Vec<([u8; 6], u8, u8)> {
    common::lab::vrrp_frames(frames)
        .into_iter()
        .filter(|(at, _)| *at >= since)
        .filter_map(|(_, b)| {
            let (_, pkt) = wire::vrrp::ipv4_datagram(b.get(14..)?).ok()?;
            Some((b[6..12].try_into().ok()?, pkt.vrid(), pkt.priority()))
        })
        .collect()
}

/// Asks for the VIP's MAC from the client and checks the one answer comes from the virtual
/// MAC, which the bridge then knows on `port`.
fn arp_answered_by_vmac(lab: &Lab, port: &str, logs: &dyn Fn() -> String) {
    let vip = vip(lab);
    let since = Instant::now();
    arp_request(lab, vip);
    let ok = poll_until(Duration::from_secs(2), || {
        !arp_replies(lab, vip, since).is_empty()
    });
    assert!(ok, "no ARP reply for {vip}\n{}", logs());
    std::thread::sleep(Duration::from_millis(200));
    let replies = arp_replies(lab, vip, since);
    assert_eq!(
        replies,
        [(VMAC, VMAC)],
        "one reply, from the VMAC\n{}",
        logs()
    );
    assert_eq!(
        fdb_port(lab, "00:00:5e:00:01:33").as_deref(),
        Some(port),
        "the bridge learnt the virtual MAC on the master's port"
    );
}

fn wait_vip_on_vmac(lab: &Lab, i: usize, limit: Duration, logs: &dyn Fn() -> String) {
    let ns = &lab.routers[i].ns;
    let ok = poll_until(limit, || holds(ns, VMAC_NAME, vip(lab)));
    assert!(ok, "r{i}: VIP not on {VMAC_NAME}\n{}", logs());
    assert!(!holds(ns, "eth0", vip(lab)), "r{i}: VIP on eth0");
}

fn stop(d: &mut Daemon, what: &str) {
    d.signal(libc::SIGTERM);
    assert!(
        d.wait_exit(Duration::from_secs(10)).is_some(),
        "{what} did not stop\n{}",
        d.log()
    );
}

/// r0 (`first`, priority 150) and r1 (`second`, priority 100) with `use_vmac`, r2 the client.
fn scenario(tag: &str, first: Impl, second: Impl) {
    if [first, second].contains(&Impl::Ka)
        && !require(
            common::have("keepalived", "--version"),
            "keepalived not installed: needed for the mixed VMAC tests",
        )
    {
        return;
    }
    let mut lab = Lab::new(tag, 3);
    lab.capture();
    let dir = TempDir::new(&format!("vmac-{tag}"));
    let (ns0, ns1) = (lab.routers[0].ns.clone(), lab.routers[1].ns.clone());
    // A strict reverse-path filter for every interface, as many distributions set: VMACs need
    // it lowered (and everything else kept as strict).
    for ns in [&ns0, &ns1] {
        let _ = ns_exec(ns, &["sysctl", "-qw", "net.ipv4.conf.all.rp_filter=1"]);
    }
    let mut d0 = start(&lab, &dir, 0, 150, first);
    let mut d1 = start(&lab, &dir, 1, 100, second);
    let logs = |ds: &[&Daemon]| {
        ds.iter()
            .enumerate()
            .map(|(i, d)| format!("---- r{i}:\n{}", d.log()))
            .collect::<String>()
    };

    // 1. Both routers have the VMAC: name, MAC, private mode, parent; r0 holds the VIP on it.
    let ok = poll_until(Duration::from_secs(5), || {
        macvlans(&ns0) == [want_vmac()] && macvlans(&ns1) == [want_vmac()]
    });
    assert!(
        ok,
        "VMACs: r0 {:?}, r1 {:?}\n{}",
        macvlans(&ns0),
        macvlans(&ns1),
        logs(&[&d0, &d1])
    );
    wait_vip_on_vmac(&lab, 0, Duration::from_secs(5), &|| logs(&[&d0, &d1]));
    assert!(
        !holds(&ns1, VMAC_NAME, vip(&lab)),
        "the backup holds the VIP"
    );

    // 2. keepalived's sysctls on the VMAC and its parent.
    for (k, v) in [
        ("arp_ignore", "1"),
        ("accept_local", "1"),
        ("rp_filter", "0"),
        ("promote_secondaries", "1"),
    ] {
        assert_eq!(
            sysctl(&ns0, &format!("net/ipv4/conf/{VMAC_NAME}/{k}")),
            v,
            "{k}"
        );
    }
    assert_eq!(sysctl(&ns0, "net/ipv6/conf/vrrp.51/disable_ipv6"), "1");
    assert_eq!(sysctl(&ns0, "net/ipv4/conf/eth0/arp_ignore"), "1");
    assert_eq!(sysctl(&ns0, "net/ipv4/conf/eth0/arp_filter"), "1");
    assert_eq!(sysctl(&ns0, "net/ipv4/conf/all/rp_filter"), "0");
    assert_eq!(
        sysctl(&ns0, "net/ipv4/conf/eth0/rp_filter"),
        "1",
        "raised to all's"
    );

    // 3. The master's adverts (and GARPs) come from the virtual MAC, never from eth0's MAC.
    let t = Instant::now();
    std::thread::sleep(Duration::from_millis(700));
    let a = adverts(&lab.frames(), t);
    assert!(
        a.len() >= 2 && a.iter().all(|x| *x == (VMAC, VRID, 150)),
        "adverts {a:?}\n{}",
        logs(&[&d0, &d1])
    );
    let g = garps(&lab, vip(&lab), lab.frames().first().map_or(t, |f| f.at));
    assert!(!g.is_empty() && g.iter().all(|m| *m == VMAC), "GARPs {g:?}");

    // 4. The client's ARP request is answered from the VMAC, by r0 only.
    arp_answered_by_vmac(&lab, "p0", &|| logs(&[&d0, &d1]));

    // 5. SIGTERM on r0: its VMAC goes, its parent's sysctls come back, r1 takes over and the
    //    virtual MAC moves to r1's port.
    let t = Instant::now();
    stop(&mut d0, "r0");
    assert_eq!(macvlans(&ns0), Vec::<[String; 4]>::new(), "r0 left a VMAC");
    if first == Impl::Rs {
        // As keepalived's source means to (`reset_interface_parameters`); Debian's 2.2.7 leaves
        // them set.
        assert_eq!(sysctl(&ns0, "net/ipv4/conf/eth0/arp_ignore"), "0");
        assert_eq!(sysctl(&ns0, "net/ipv4/conf/eth0/arp_filter"), "0");
        assert_eq!(sysctl(&ns0, "net/ipv4/conf/all/rp_filter"), "1");
        assert_eq!(sysctl(&ns0, "net/ipv4/conf/eth0/rp_filter"), "0");
    }
    wait_vip_on_vmac(&lab, 1, Duration::from_secs(5), &|| logs(&[&d0, &d1]));
    let ok = poll_until(Duration::from_secs(2), || {
        !garps(&lab, vip(&lab), t).is_empty()
    });
    assert!(ok, "no GARP from r1\n{}", logs(&[&d0, &d1]));
    assert!(garps(&lab, vip(&lab), t).iter().all(|m| *m == VMAC));
    let ok = poll_until(Duration::from_secs(2), || {
        adverts(&lab.frames(), t).contains(&(VMAC, VRID, 100))
    });
    assert!(ok, "no advert from r1's VMAC\n{}", logs(&[&d0, &d1]));
    arp_answered_by_vmac(&lab, "p1", &|| logs(&[&d0, &d1]));

    // 6. SIGTERM on r1: nothing left.
    stop(&mut d1, "r1");
    assert_eq!(macvlans(&ns1), Vec::<[String; 4]>::new(), "r1 left a VMAC");
}

#[test]
fn vmac_rs_rs() {
    if can_run() {
        scenario("vm", Impl::Rs, Impl::Rs);
    }
}

#[test]
fn vmac_rs_master_ka_backup() {
    if can_run() {
        scenario("vk", Impl::Rs, Impl::Ka);
    }
}

/// keepalived as r0 must pass the same checks: they are keepalived's behaviour.
#[test]
fn vmac_ka_master_rs_backup() {
    if can_run() {
        scenario("kv", Impl::Ka, Impl::Rs);
    }
}

/// After a SIGKILL the VMAC and its VIP stay; a restart finds the VMAC, reuses it (as keepalived
/// does), removes the stale VIP until it is master again, and removes the VMAC at SIGTERM.
#[test]
fn vmac_is_reused_after_sigkill() {
    if !can_run() {
        return;
    }
    let lab = Lab::new("vr", 1);
    let dir = TempDir::new("vmac-reuse");
    let ns = lab.routers[0].ns.clone();
    let mut d = start(&lab, &dir, 0, 150, Impl::Rs);
    wait_vip_on_vmac(&lab, 0, Duration::from_secs(5), &|| d.log());
    let before = links(&ns);
    let index = |ls: &[Json]| {
        ls.iter()
            .find(|l| text(l, &["ifname"]) == Some(VMAC_NAME))
            .and_then(|l| l.get("ifindex").and_then(Json::num))
    };
    d.kill9();
    assert!(
        holds(&ns, VMAC_NAME, vip(&lab)),
        "the VIP stays after SIGKILL"
    );
    let _ = std::fs::remove_file(Path::new(&dir.path().join("r0").join("rs.pid")));
    let mut d = start(&lab, &dir, 0, 150, Impl::Rs);
    assert!(
        d.wait_for("Found matching interface vrrp.51", Duration::from_secs(5))
            .is_some(),
        "{}",
        d.log()
    );
    assert_eq!(index(&links(&ns)), index(&before), "the same interface");
    // Alone, it becomes master again after Master_Down_Interval; meanwhile the VIP was removed.
    assert!(
        d.wait_for("Entering MASTER STATE", Duration::from_secs(5))
            .is_some(),
        "{}",
        d.log()
    );
    let log = d.log();
    let removed = log.find("delete address").expect("stale VIP removed");
    assert!(
        removed < log.find("Entering MASTER STATE").unwrap(),
        "{log}"
    );
    wait_vip_on_vmac(&lab, 0, Duration::from_secs(5), &|| d.log());
    stop(&mut d, "r0");
    assert_eq!(macvlans(&ns), Vec::<[String; 4]>::new(), "VMAC left");
}

/// IPv6 with `vmac_xmit_base`: the VMAC has the IPv6 virtual MAC, no generated link-local
/// (addrgenmode none) but the parent's, and the VIP; adverts leave from eth0 (its MAC), NAs from
/// the virtual MAC. Deleted from outside, the VMAC is made again and the VIP comes back.
#[test]
fn ipv6_vmac_with_xmit_base_is_made_again() {
    if !can_run() {
        return;
    }
    let mut lab = Lab::new("v6", 1);
    lab.capture();
    let dir = TempDir::new("vmac-v6");
    let ns = lab.routers[0].ns.clone();
    let vip6: std::net::Ipv6Addr = format!("fd00:99:{:x}::100", lab.net).parse().unwrap();
    let lines = format!(
        "use_vmac\n    vmac_xmit_base\n    virtual_ipaddress {{\n        {vip6}/64\n    }}"
    );
    let mut d = start_with(&lab, &dir, 0, 150, Impl::Rs, &lines);
    let has_vip = || {
        let out = ns_exec(&ns, &["ip", "-6", "-o", "addr", "show", "dev", VMAC_NAME]);
        String::from_utf8_lossy(&out.stdout).contains(&format!(" {vip6}/"))
    };
    assert!(poll_until(Duration::from_secs(5), has_vip), "{}", d.log());
    let want = [VMAC_NAME, "00:00:5e:00:02:33", "private", "eth0"].map(String::from);
    assert_eq!(macvlans(&ns), std::slice::from_ref(&want));
    let l = links(&ns);
    let vm = l
        .iter()
        .find(|l| text(l, &["ifname"]) == Some(VMAC_NAME))
        .unwrap();
    assert_eq!(text(vm, &["inet6_addr_gen_mode"]), Some("none"));
    let lladdr = |dev: &str| {
        let out = ns_exec(
            &ns,
            &[
                "ip", "-6", "-o", "addr", "show", "dev", dev, "scope", "link",
            ],
        );
        String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .find(|w| w.starts_with("fe80"))
            .map(str::to_string)
    };
    assert_eq!(lladdr(VMAC_NAME), lladdr("eth0"), "the parent's link-local");

    let eth0 = mac_of(&ns, "eth0");
    let t = Instant::now();
    std::thread::sleep(Duration::from_millis(700));
    let srcs: Vec<Vec<u8>> = common::lab::vrrp_frames(&lab.frames())
        .into_iter()
        .filter(|(at, _)| *at >= t)
        .map(|(_, b)| b[6..12].to_vec())
        .collect();
    assert!(
        srcs.len() >= 2 && srcs.iter().all(|m| m[..] == eth0),
        "adverts from eth0's MAC {srcs:?}\n{}",
        d.log()
    );
    let nas = |since: Instant| {
        lab.frames()
            .iter()
            .filter(|f| f.at >= since)
            .filter_map(|f| wire::ndisc::parse_frame(&f.bytes).ok())
            .filter(|(_, _, na)| na.target_addr == vip6)
            .map(|(e, _, na)| (e.src_addr.0, na.target_lladdr.map(|a| a.0)))
            .collect::<Vec<_>>()
    };
    let vmac6 = [0, 0, 0x5e, 0, 2, VRID];
    let first = lab.frames().first().map_or(t, |f| f.at);
    let n = nas(first);
    assert!(
        !n.is_empty() && n.iter().all(|x| *x == (vmac6, Some(vmac6))),
        "NAs {n:?}"
    );

    // Deleted behind its back: made again, and the VIP is back on the new one.
    let t = Instant::now();
    common::lab::ip(&["-n", &ns, "link", "del", VMAC_NAME]);
    assert!(
        d.wait_for("creating it again", Duration::from_secs(3))
            .is_some_and(|at| at >= t),
        "{}",
        d.log()
    );
    assert!(poll_until(Duration::from_secs(5), has_vip), "{}", d.log());
    assert_eq!(macvlans(&ns), [want]);
    stop(&mut d, "r0");
    assert_eq!(macvlans(&ns), Vec::<[String; 4]>::new(), "VMAC left");
}
