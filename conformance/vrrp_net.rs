//! VRRP on a real kernel: raw sockets between network namespaces on a bridge, keepalived-rs with
//! keepalived-rs and with Debian's keepalived, packets checked on the wire, addresses read back
//! from the kernel. Needs root, `ip netns` and (for the mixed cases) keepalived; without them each
//! test prints one `SKIP` line (a failure under `KEEPALIVED_RS_FULL_TESTS=1`).

mod common;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::os::fd::AsRawFd;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use common::lab::{Frame, Lab, ns_exec};
use common::{Daemon, TempDir, bin, is_root, poll_until, require};
use keepalived_rs::sys::raw::{RawIpSocket, if_index};
use keepalived_rs::wire::{self, IpPair, vrrp::ChecksumVariant};

/// Runs `f` on a thread that has entered namespace `ns`.
fn in_ns<T: Send + 'static>(ns: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let path = format!("/run/netns/{ns}");
    std::thread::spawn(move || {
        let file = std::fs::File::open(&path).expect("open netns");
        // SAFETY: setns on this thread only, with a namespace fd we hold.
        assert_eq!(
            unsafe { libc::setns(file.as_raw_fd(), libc::CLONE_NEWNET) },
            0,
            "setns"
        );
        f()
    })
    .join()
    .expect("thread in namespace")
}

fn can_run() -> bool {
    require(is_root(), "not root: network namespace tests need root")
        && require(
            common::have("ip", "-V"),
            "iproute2 (`ip`) not installed: needed for the namespace labs",
        )
}

/// A raw IPv4 VRRP socket on `eth0` of the thread's namespace, in the VRRP group 224.0.0.18.
fn eth0_socket() -> RawIpSocket {
    let s = RawIpSocket::v4("eth0", if_index("eth0").unwrap()).unwrap();
    s.join(IpAddr::V4(Ipv4Addr::new(224, 0, 0, 18))).unwrap();
    s
}

/// A VRRPv2 advert as keepalived sends it (IPv4 header with TOS 0xC0, TTL 255), built by hand.
fn hand_made_v2(src: Ipv4Addr) -> Vec<u8> {
    let mut v = vec![
        0x45, 0xc0, 0, 40, 0, 0, 0x40, 0, 255, 112, 0, 0, //
    ];
    v.extend_from_slice(&src.octets());
    v.extend_from_slice(&[224, 0, 0, 18]);
    let mut vrrp = vec![
        0x21, 51, 150, 1, 0, 1, 0, 0, 10, 99, 0, 100, 0, 0, 0, 0, 0, 0, 0, 0,
    ];
    let sum = checksum(&vrrp);
    vrrp[6..8].copy_from_slice(&sum.to_be_bytes());
    v.extend_from_slice(&vrrp);
    let hsum = checksum(&v[..20]);
    v[10..12].copy_from_slice(&hsum.to_be_bytes());
    v
}

fn checksum(b: &[u8]) -> u16 {
    let mut s: u32 = 0;
    for c in b.chunks(2) {
        s += u32::from(u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]));
    }
    while s > 0xffff {
        s = (s & 0xffff) + (s >> 16);
    }
    !(s as u16)
}

#[test]
fn raw_sockets_carry_multicast_vrrp_between_namespaces() {
    if !can_run() {
        return;
    }
    let mut lab = Lab::new("sk", 2);
    lab.capture();
    let (ns0, ns1) = (lab.routers[0].ns.clone(), lab.routers[1].ns.clone());
    let src = lab.routers[0].v4;
    // The receiver joins and waits; the sender sends once it is ready.
    let (tx, rx) = std::sync::mpsc::channel();
    let receiver = std::thread::spawn(move || {
        in_ns(&ns1, move || {
            let s = eth0_socket();
            tx.send(()).unwrap();
            let mut buf = [0u8; 2048];
            let mut got = None;
            poll_until(Duration::from_secs(5), || match s.recv(&mut buf) {
                Ok(r) => {
                    got = Some((r, buf[..r.len].to_vec()));
                    true
                }
                Err(_) => false,
            });
            got
        })
    });
    rx.recv_timeout(Duration::from_secs(5)).unwrap();
    let sent = hand_made_v2(src);
    let pkt = sent.clone();
    in_ns(&ns0, move || {
        let s = eth0_socket();
        s.send(&pkt, IpAddr::V4(Ipv4Addr::new(224, 0, 0, 18)), None)
            .unwrap();
    });
    let (r, bytes) = receiver.join().unwrap().expect("advert received");
    assert_eq!(r.src, IpAddr::V4(src));
    // The kernel fills the identification when it is 0 and the checksum; the rest is ours.
    assert_eq!(bytes[20..], sent[20..], "VRRP message");
    assert_eq!(bytes[8], 255, "TTL");
    assert_eq!(bytes[1], 0xc0, "TOS");
    // On the wire: to the VRRP multicast MAC 01:00:5e:00:00:12.
    assert!(poll_until(Duration::from_secs(2), || {
        common::lab::vrrp_frames(&lab.frames())
            .iter()
            .any(|(_, f)| f[..6] == [1, 0, 0x5e, 0, 0, 0x12] && f[34..] == sent[20..])
    }));
}

/// `recv_batch` (one `recvmmsg` per readiness): queued adverts come out in order, each whole in its
/// slot, at most a batch per call; a batch that is not full says the queue was empty, and then it
/// is (the next call finds nothing).
#[test]
fn a_batch_receive_takes_queued_adverts_and_says_when_drained() {
    use keepalived_rs::sys::raw::{BATCH, RX_SLOT, Received};
    if !can_run() {
        return;
    }
    let lab = Lab::new("sb", 2);
    let (ns0, ns1) = (lab.routers[0].ns.clone(), lab.routers[1].ns.clone());
    let src = lab.routers[0].v4;
    const SENT: u8 = 10;
    let adverts: Vec<Vec<u8>> = (1..=SENT)
        .map(|vrid| {
            let mut p = hand_made_v2(src);
            p[21] = vrid;
            p
        })
        .collect();
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let (sent_tx, sent_rx) = std::sync::mpsc::channel();
    let receiver = std::thread::spawn(move || {
        in_ns(&ns1, move || {
            let s = eth0_socket();
            ready_tx.send(()).unwrap();
            sent_rx.recv_timeout(Duration::from_secs(5)).unwrap();
            let mut buf = vec![0u8; BATCH * RX_SLOT];
            let mut out = [Received::NONE; BATCH];
            let mut got: Vec<Vec<u8>> = Vec::new();
            let mut batches = Vec::new();
            poll_until(Duration::from_secs(5), || {
                if let Ok(b) = s.recv_batch(&mut buf, &mut out) {
                    for (r, slot) in out[..b.count].iter().zip(buf.chunks(RX_SLOT)) {
                        got.push(slot[..r.len].to_vec());
                    }
                    batches.push(b);
                }
                got.len() == usize::from(SENT)
            });
            let after = s.recv_batch(&mut buf, &mut out).map(|b| b.count);
            (got, batches, after.map_err(|e| e.kind()))
        })
    });
    ready_rx.recv_timeout(Duration::from_secs(5)).unwrap();
    let to_send = adverts.clone();
    in_ns(&ns0, move || {
        let s = eth0_socket();
        for p in &to_send {
            s.send(p, IpAddr::V4(Ipv4Addr::new(224, 0, 0, 18)), None)
                .unwrap();
        }
    });
    sent_tx.send(()).unwrap();
    let (got, batches, after) = receiver.join().unwrap();
    eprintln!(
        "batches (count, drained): {:?}",
        batches
            .iter()
            .map(|b| (b.count, b.drained))
            .collect::<Vec<_>>()
    );
    assert_eq!(got.len(), adverts.len(), "adverts received");
    for (g, a) in got.iter().zip(&adverts) {
        assert_eq!(g[20..], a[20..], "VRRP message, in order");
    }
    for b in &batches {
        assert!(b.count <= BATCH);
        assert!(
            b.drained || b.count == BATCH,
            "a short batch not drained: {b:?}"
        );
    }
    assert!(batches.last().unwrap().drained);
    assert_eq!(after, Err(std::io::ErrorKind::WouldBlock), "drained");
}

// ---------------------------------------------------------------------------------------------
// Scenarios: two or three routers on a bridge, each keepalived-rs or Debian's keepalived.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Impl {
    Rs,
    Ka,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fam {
    V4,
    V6,
}

#[derive(Debug, Clone, Copy)]
struct Case {
    version: u8,
    fam: Fam,
    unicast: bool,
    pass: bool,
    /// `v3_checksum_as_v2` on the keepalived-rs routers (keepalived 2.2.7 has no such keyword).
    as_v2: bool,
    /// Advert interval in centiseconds.
    cs: u32,
    /// Extra lines in router 0's `vrrp_instance`.
    extra0: &'static str,
    /// Extra lines in every router's `global_defs`.
    global: &'static str,
}

const V2: Case = Case {
    version: 2,
    fam: Fam::V4,
    unicast: false,
    pass: false,
    as_v2: false,
    cs: 100,
    extra0: "",
    global: "",
};

const VRID: u8 = 51;

impl Case {
    fn interval(&self) -> Duration {
        Duration::from_millis(u64::from(self.cs) * 10)
    }

    /// RFC 5798: 3 x interval + (256 - prio) x interval / 256 (v2: skew in seconds / 256).
    fn master_down(&self, prio: u8) -> Duration {
        let i = self.interval();
        let skew = i * (256 - u32::from(prio)) / 256;
        i * 3 + skew
    }

    fn skew(&self, prio: u8) -> Duration {
        self.interval() * (256 - u32::from(prio)) / 256
    }
}

fn vip(lab: &Lab, fam: Fam) -> String {
    match fam {
        Fam::V4 => format!("10.99.{}.100", lab.net),
        Fam::V6 => format!("fd00:99:{:x}::100", lab.net),
    }
}

fn config(lab: &Lab, case: &Case, i: usize, prio: u8, kind: Impl) -> String {
    let r = &lab.routers[i];
    let mut c = format!(
        "global_defs {{\n    router_id r{i}\n{}}}\n\nvrrp_instance VI_1 {{\n",
        case.global
    );
    c += "    state BACKUP\n    interface eth0\n";
    c += &format!("    virtual_router_id {VRID}\n    priority {prio}\n");
    if case.version == 3 && case.fam == Fam::V4 {
        c += "    version 3\n";
    }
    let secs = f64::from(case.cs) / 100.0;
    c += &format!("    advert_int {secs}\n");
    if i == 0 {
        c += case.extra0;
    }
    if case.as_v2 && kind == Impl::Rs {
        c += "    v3_checksum_as_v2\n";
    }
    if case.pass {
        c += "    authentication {\n        auth_type PASS\n        auth_pass krs-pw01\n    }\n";
    }
    if case.unicast {
        c += &format!("    unicast_src_ip {}\n    unicast_peer {{\n", r.v4);
        for (j, o) in lab.routers.iter().enumerate() {
            if j != i {
                c += &format!("        {}\n", o.v4);
            }
        }
        c += "    }\n";
    }
    let plen = if case.fam == Fam::V4 { 24 } else { 64 };
    c += &format!(
        "    virtual_ipaddress {{\n        {}/{plen}\n    }}\n}}\n",
        vip(lab, case.fam)
    );
    c
}

/// One router's daemon (either implementation), its log collected.
struct Node {
    kind: Impl,
    ns: String,
    daemon: Daemon,
    run: PathBuf,
}

impl Node {
    fn start(lab: &Lab, dir: &TempDir, case: &Case, i: usize, prio: u8, kind: Impl) -> Node {
        let run = dir.path().join(format!("r{i}"));
        std::fs::create_dir_all(&run).unwrap();
        let conf = run.join("keepalived.conf");
        std::fs::write(&conf, config(lab, case, i, prio, kind)).unwrap();
        let ns = lab.routers[i].ns.clone();
        let mut cmd = common::lab::daemon_cmd(&ns, kind == Impl::Ka, &conf, &run);
        Node {
            kind,
            ns,
            daemon: Daemon::start_cmd(&mut cmd),
            run,
        }
    }

    /// Every process of the namespace (keepalived's VRRP child included).
    fn pids(&self) -> Vec<i32> {
        let out = Command::new("ip")
            .args(["netns", "pids", &self.ns])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .filter_map(|p| p.parse().ok())
            .collect()
    }

    fn freeze(&self, on: bool) {
        for p in self.pids() {
            common::send(p, if on { libc::SIGSTOP } else { libc::SIGCONT });
        }
    }

    fn log(&self) -> String {
        format!(
            "---- {:?} in {} ({}):\n{}",
            self.kind,
            self.ns,
            self.run.display(),
            self.daemon.log()
        )
    }
}

/// The lab, its routers' daemons, and what the assertions need.
struct Run {
    lab: Lab,
    nodes: Vec<Node>,
    vip: String,
    _dir: TempDir,
}

impl Run {
    fn new(tag: &str, case: Case, kinds: &[Impl], prios: &[u8]) -> Run {
        let mut lab = Lab::new(tag, kinds.len());
        lab.capture();
        let dir = TempDir::new(&format!("vrrp-{tag}"));
        let nodes = kinds
            .iter()
            .zip(prios)
            .enumerate()
            .map(|(i, (&k, &p))| Node::start(&lab, &dir, &case, i, p, k))
            .collect();
        let vip = vip(&lab, case.fam);
        Run {
            lab,
            nodes,
            vip,
            _dir: dir,
        }
    }

    fn logs(&self) -> String {
        self.nodes
            .iter()
            .map(Node::log)
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn holders(&self) -> Vec<usize> {
        (0..self.nodes.len())
            .filter(|&i| self.lab.has_addr(i, &self.vip))
            .collect()
    }

    /// Waits until router `i` alone holds the VIP; returns when it was first seen so.
    fn wait_master(&self, i: usize, limit: Duration, what: &str) -> Instant {
        let ok = poll_until(limit, || self.holders() == [i]);
        assert!(
            ok,
            "{what}: expected r{i} alone to hold {} within {limit:?}, holders {:?}\n{}",
            self.vip,
            self.holders(),
            self.logs()
        );
        Instant::now()
    }

    /// Waits until router `i` holds the VIP (a frozen master keeps its copy).
    fn wait_holds(&self, i: usize, limit: Duration, what: &str) -> Instant {
        let ok = poll_until(limit, || self.lab.has_addr(i, &self.vip));
        assert!(
            ok,
            "{what}: expected r{i} to hold {} within {limit:?}, holders {:?}\n{}",
            self.vip,
            self.holders(),
            self.logs()
        );
        Instant::now()
    }

    fn mac(&self, i: usize) -> [u8; 6] {
        let out = ns_exec(
            &self.lab.routers[i].ns,
            &["cat", "/sys/class/net/eth0/address"],
        );
        let s = String::from_utf8_lossy(&out.stdout);
        let mut mac = [0u8; 6];
        for (m, h) in mac.iter_mut().zip(s.trim().split(':')) {
            *m = u8::from_str_radix(h, 16).unwrap();
        }
        mac
    }

    /// The adverts captured from router `i` (by source MAC), decoded.
    fn adverts_from(&self, i: usize) -> Vec<Advert> {
        let mac = self.mac(i);
        self.lab
            .frames()
            .iter()
            .filter(|f| f.bytes.len() > 14 && f.bytes[6..12] == mac)
            .filter_map(decode_advert)
            .collect()
    }
}

/// What the tests check of one advert on the wire.
#[derive(Debug, Clone)]
struct Advert {
    at: Instant,
    kts: Option<Duration>,
    dst_mac: [u8; 6],
    src: IpAddr,
    dst: IpAddr,
    ttl: u8,
    tos: u8,
    dont_frag: bool,
    version: u8,
    kind: u8,
    vrid: u8,
    priority: u8,
    /// v2: seconds; v3: centiseconds.
    interval: u16,
    auth_type: u8,
    auth_data: [u8; 8],
    addrs: Vec<IpAddr>,
    /// The checksum variant that verifies (None: none does).
    variant: Option<ChecksumVariant>,
}

fn decode_advert(f: &Frame) -> Option<Advert> {
    let b = &f.bytes;
    let mut dst_mac = [0u8; 6];
    dst_mac.copy_from_slice(b.get(..6)?);
    let (pair, ttl, tos, df, pkt) = match b.get(12..14)? {
        [0x08, 0x00] => {
            let (ip, pkt) = wire::vrrp::ipv4_datagram(b.get(14..)?).ok()?;
            (
                IpPair::V4 {
                    src: ip.src_addr,
                    dst: ip.dst_addr,
                },
                ip.ttl,
                ip.tos,
                ip.dont_frag,
                pkt,
            )
        }
        [0x86, 0xdd] => {
            if *b.get(20)? != 112 {
                return None;
            }
            let src = Ipv6Addr::from(<[u8; 16]>::try_from(b.get(22..38)?).ok()?);
            let dst = Ipv6Addr::from(<[u8; 16]>::try_from(b.get(38..54)?).ok()?);
            let pkt = wire::vrrp::Packet::new_checked(b.get(54..)?, wire::Family::V6).ok()?;
            (IpPair::V6 { src, dst }, *b.get(21)?, 0, false, pkt)
        }
        _ => return None,
    };
    let group4 = Ipv4Addr::new(224, 0, 0, 18);
    let repr = wire::vrrp::Repr::parse(&pkt).ok()?;
    Some(Advert {
        at: f.at,
        kts: f.kts,
        dst_mac,
        src: pair.src(),
        dst: pair.dst(),
        ttl,
        tos,
        dont_frag: df,
        version: pkt.version(),
        kind: pkt.msg_type(),
        vrid: pkt.vrid(),
        priority: pkt.priority(),
        interval: if pkt.version() == 2 {
            u16::from(pkt.adver_int())
        } else {
            pkt.max_adver_int()
        },
        auth_type: if pkt.version() == 2 {
            pkt.auth_type()
        } else {
            0
        },
        auth_data: if pkt.version() == 2 {
            pkt.auth_data()
        } else {
            [0; 8]
        },
        addrs: repr.addresses.iter().collect(),
        variant: pkt.detect_checksum_variant(&pair, group4),
    })
}

/// Is `f` a gratuitous ARP (IPv4) or unsolicited NA (IPv6) for `vip` from `mac`, with
/// keepalived's bytes?
fn is_garp_for(f: &Frame, vip: &str, mac: [u8; 6]) -> bool {
    let ip: IpAddr = vip.parse().unwrap();
    match ip {
        IpAddr::V4(v) => match wire::arp::parse_frame(&f.bytes) {
            Ok((eth, arp)) => {
                eth.src_addr.0 == mac
                    && eth.dst_addr.0 == [0xff; 6]
                    && arp.source_hardware_addr.0 == mac
                    && arp.source_protocol_addr == v
                    && arp.target_protocol_addr == v
                    && f.bytes[..42] == {
                        let mut buf = [0u8; 64];
                        let n = wire::arp::emit_gratuitous_frame(
                            &mut buf,
                            wire::ethernet::Address(mac),
                            v,
                        )
                        .unwrap();
                        buf[..n].to_vec()
                    }[..]
            }
            Err(_) => false,
        },
        IpAddr::V6(v) => match wire::ndisc::parse_frame(&f.bytes) {
            Ok((eth, ip6, na)) => {
                eth.src_addr.0 == mac
                    && ip6.hop_limit == 255
                    && na.target_addr == v
                    && na.override_flag
                    && na.target_lladdr.map(|a| a.0) == Some(mac)
            }
            Err(_) => false,
        },
    }
}

/// The whole scenario for two or three routers, router 0 having the highest priority:
/// election, adverts on the wire, failover when the master is frozen, GARP/NA, preemption back,
/// the priority-0 hand-over on SIGTERM, nothing left behind.
fn scenario(tag: &str, case: Case, kinds: &[Impl]) {
    if !can_run() {
        return;
    }
    if kinds.contains(&Impl::Ka)
        && !require(
            common::have("keepalived", "--version"),
            "keepalived not installed: needed for the mixed VRRP tests",
        )
    {
        return;
    }
    let prios: Vec<u8> = [150u8, 100, 50][..kinds.len()].to_vec();
    let mut run = Run::new(tag, case, kinds, &prios);
    let slack = Duration::from_secs(3);

    // 1. Election: r0 (highest priority) alone holds the VIP.
    run.wait_master(0, case.master_down(prios[1]) * 2 + slack, "election");

    // 2. Its adverts on the wire: keepalived's format.
    let ok = poll_until(case.interval() * 3 + slack, || {
        run.adverts_from(0).len() >= 2
    });
    assert!(ok, "no adverts from r0\n{}", run.logs());
    let adverts = run.adverts_from(0);
    let a = adverts.last().unwrap();
    let want_addr: IpAddr = run.vip.parse().unwrap();
    assert_eq!(a.version, case.version, "{a:?}");
    assert_eq!((a.kind, a.vrid, a.priority), (1, VRID, prios[0]), "{a:?}");
    assert_eq!(a.addrs, [want_addr], "{a:?}");
    assert_eq!(a.ttl, 255, "{a:?}");
    if case.fam == Fam::V4 {
        assert_eq!(a.tos, 0xc0, "{a:?}");
        assert!(!a.dont_frag, "{a:?}");
    }
    let want_interval = if case.version == 2 {
        (case.cs / 100) as u16
    } else {
        case.cs as u16
    };
    assert_eq!(a.interval, want_interval, "{a:?}");
    if case.unicast {
        let peers: Vec<IpAddr> = run.lab.routers[1..]
            .iter()
            .map(|r| IpAddr::V4(r.v4))
            .collect();
        assert!(peers.contains(&a.dst), "{a:?}");
        assert_eq!(a.src, IpAddr::V4(run.lab.routers[0].v4));
    } else {
        let (group, mac) = match case.fam {
            Fam::V4 => ("224.0.0.18", [1, 0, 0x5e, 0, 0, 0x12]),
            Fam::V6 => ("ff02::12", [0x33, 0x33, 0, 0, 0, 0x12]),
        };
        assert_eq!(a.dst, group.parse::<IpAddr>().unwrap(), "{a:?}");
        assert_eq!(a.dst_mac, mac, "{a:?}");
        if case.fam == Fam::V6 {
            assert!(
                matches!(a.src, IpAddr::V6(s) if s.is_unicast_link_local()),
                "{a:?}"
            );
        }
    }
    if case.pass {
        assert_eq!((a.auth_type, &a.auth_data), (1, b"krs-pw01"), "{a:?}");
    } else if case.version == 2 {
        assert_eq!((a.auth_type, a.auth_data), (0, [0; 8]), "{a:?}");
    }
    let want_variant = match (case.fam, case.version, case.as_v2 && kinds[0] == Impl::Rs) {
        (Fam::V6, _, _) => ChecksumVariant::Ipv6Pseudo,
        (Fam::V4, 3, false) => ChecksumVariant::Ipv4Pseudo,
        _ => ChecksumVariant::Plain,
    };
    // A keepalived-rs master configured with v3_checksum_as_v2 follows a keepalived peer's
    // pseudo-header checksums once it has heard one; either is right here, as long as it verifies.
    if !(case.as_v2 && kinds.contains(&Impl::Ka)) {
        assert_eq!(a.variant, Some(want_variant), "{a:?}");
    } else {
        assert!(a.variant.is_some(), "{a:?}");
    }

    // 3. Failover: freeze r0; r1 takes over within Master_Down_Interval (plus slack for
    // the machine), and announces the VIP with GARP/NA.
    let frozen = Instant::now();
    run.nodes[0].freeze(true);
    let took = run.wait_holds(
        1,
        case.master_down(prios[1]) + case.interval() + slack,
        "failover",
    );
    let mac1 = run.mac(1);
    let ok = poll_until(Duration::from_secs(2), || {
        run.lab
            .frames()
            .iter()
            .any(|f| f.at >= frozen && is_garp_for(f, &run.vip, mac1))
    });
    assert!(ok, "no GARP/NA from r1 for {}\n{}", run.vip, run.logs());
    let new = run.adverts_from(1);
    let first_new = new
        .iter()
        .find(|a| a.at >= frozen && a.priority == prios[1]);
    assert!(
        first_new.is_some(),
        "no advert from the new master\n{}",
        run.logs()
    );
    eprintln!(
        "{tag}: failover in {:?} (Master_Down_Interval {:?})",
        took - frozen,
        case.master_down(prios[1])
    );

    // 4. Thaw r0: it preempts back (higher priority), r1 lets go.
    run.nodes[0].freeze(false);
    run.wait_master(0, case.interval() * 4 + slack, "preemption back");

    // 5. SIGTERM on r0: a priority-0 advert, and r1 takes over after its skew time, well
    // before a Master_Down_Interval.
    let stopped = Instant::now();
    run.nodes[0].daemon.signal(libc::SIGTERM);
    let took = run.wait_master(1, case.master_down(prios[1]) + slack, "hand-over");
    let prio0 = run
        .adverts_from(0)
        .into_iter()
        .find(|a| a.at >= stopped && a.priority == 0);
    assert!(
        prio0.is_some(),
        "no priority-0 advert from r0 at stop\n{}",
        run.logs()
    );
    let st = run.nodes[0].daemon.wait_exit(Duration::from_secs(6));
    assert!(
        st.is_some_and(|s| s.success()),
        "r0 exit: {st:?}\n{}",
        run.logs()
    );
    assert!(!run.lab.has_addr(0, &run.vip), "VIP left on r0 after stop");
    eprintln!(
        "{tag}: hand-over in {:?} (skew {:?})",
        took - stopped,
        case.skew(prios[1])
    );

    // 6. Stop the rest: no VIP left anywhere.
    for n in &mut run.nodes[1..] {
        n.daemon.signal(libc::SIGTERM);
        let st = n.daemon.wait_exit(Duration::from_secs(6));
        assert!(st.is_some(), "did not stop\n{}", n.log());
    }
    let ok = poll_until(Duration::from_secs(3), || run.holders().is_empty());
    assert!(ok, "VIP left behind on {:?}\n{}", run.holders(), run.logs());
}

use Impl::{Ka, Rs};

#[test]
fn v2_ipv4_multicast_rs_rs() {
    scenario("v2rr", V2, &[Rs, Rs]);
}

#[test]
fn v2_ipv4_multicast_rs_master_ka_backup() {
    scenario("v2rk", V2, &[Rs, Ka]);
}

#[test]
fn v2_ipv4_multicast_ka_master_rs_backup() {
    scenario("v2kr", V2, &[Ka, Rs]);
}

const V3: Case = Case {
    version: 3,
    cs: 10,
    ..V2
};

#[test]
fn v3_ipv4_multicast_rs_rs() {
    scenario("v3rr", V3, &[Rs, Rs]);
}

#[test]
fn v3_ipv4_multicast_rs_master_ka_backup() {
    scenario("v3rk", V3, &[Rs, Ka]);
}

#[test]
fn v3_ipv4_multicast_ka_master_rs_backup() {
    scenario("v3kr", V3, &[Ka, Rs]);
}

const V3_AS_V2: Case = Case { as_v2: true, ..V3 };

#[test]
fn v3_ipv4_checksum_as_v2_rs_rs() {
    scenario("v3cs", V3_AS_V2, &[Rs, Rs]);
}

/// keepalived 2.2.7 only knows the pseudo-header form; a keepalived-rs backup configured with
/// `v3_checksum_as_v2` detects it and follows.
#[test]
fn v3_ipv4_checksum_as_v2_follows_ka_master() {
    scenario("v3cf", V3_AS_V2, &[Ka, Rs]);
}

const V3_V6: Case = Case { fam: Fam::V6, ..V3 };

#[test]
fn v3_ipv6_multicast_rs_rs() {
    scenario("v6rr", V3_V6, &[Rs, Rs]);
}

#[test]
fn v3_ipv6_multicast_rs_master_ka_backup() {
    scenario("v6rk", V3_V6, &[Rs, Ka]);
}

#[test]
fn v3_ipv6_multicast_ka_master_rs_backup() {
    scenario("v6kr", V3_V6, &[Ka, Rs]);
}

const V2_UNICAST: Case = Case {
    unicast: true,
    ..V2
};

#[test]
fn v2_ipv4_unicast_rs_rs() {
    scenario("ucrr", V2_UNICAST, &[Rs, Rs]);
}

#[test]
fn v2_ipv4_unicast_rs_master_ka_backup() {
    scenario("ucrk", V2_UNICAST, &[Rs, Ka]);
}

#[test]
fn v2_ipv4_unicast_ka_master_rs_backup() {
    scenario("uckr", V2_UNICAST, &[Ka, Rs]);
}

const V2_PASS: Case = Case { pass: true, ..V2 };

#[test]
fn v2_pass_auth_rs_rs() {
    scenario("parr", V2_PASS, &[Rs, Rs]);
}

#[test]
fn v2_pass_auth_rs_master_ka_backup() {
    scenario("park", V2_PASS, &[Rs, Ka]);
}

#[test]
fn v2_pass_auth_ka_master_rs_backup() {
    scenario("pakr", V2_PASS, &[Ka, Rs]);
}

#[test]
fn three_routers_v3_rs() {
    scenario("3rrr", V3, &[Rs, Rs, Rs]);
}

#[test]
fn three_routers_v3_mixed() {
    scenario("3rkr", V3, &[Rs, Ka, Rs]);
}

/// Interface down puts the master in FAULT (VIP gone, the backup takes over), up brings it back
/// (and it preempts); a VIP deleted behind the master's back is put back.
#[test]
fn link_down_is_fault_and_a_removed_vip_comes_back() {
    if !can_run() {
        return;
    }
    let case = V3;
    let run = Run::new("flt", case, &[Rs, Rs], &[150, 100]);
    let slack = Duration::from_secs(3);
    run.wait_master(0, case.master_down(100) * 2 + slack, "election");
    let ns0 = run.lab.routers[0].ns.clone();

    // A VIP removed by someone else while master: put back.
    let out = ns_exec(
        &ns0,
        &[
            "ip",
            "addr",
            "del",
            &format!("{}/24", run.vip),
            "dev",
            "eth0",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    run.wait_master(0, case.master_down(100) + slack, "VIP put back");

    // eth0 down: FAULT, the VIP leaves r0 and r1 takes over.
    let out = ns_exec(&ns0, &["ip", "link", "set", "eth0", "down"]);
    assert!(out.status.success());
    run.wait_master(1, case.master_down(100) + slack, "r0 in FAULT");
    assert!(
        run.nodes[0]
            .daemon
            .wait_for("Entering FAULT STATE", slack)
            .is_some(),
        "{}",
        run.logs()
    );
    // eth0 up again: BACKUP, then r0 preempts.
    let out = ns_exec(&ns0, &["ip", "link", "set", "eth0", "up"]);
    assert!(out.status.success());
    run.wait_master(0, case.master_down(150) * 2 + slack, "back from FAULT");
}

/// `track_interface` with a weight: the tracked link going down lowers r0's priority below
/// r1's, and r1 takes over; coming back up, r0 preempts again. Weight 0 would mean FAULT.
#[test]
fn track_interface_weight_moves_mastership() {
    if !can_run() {
        return;
    }
    let case = Case {
        extra0: "    track_interface {\n        trk0 weight -60\n    }\n",
        ..V3
    };
    // The tracked interface must exist before the daemon starts: build the lab, add it, then
    // start the daemons.
    let mut lab = Lab::new("trk", 2);
    lab.capture();
    let ns0 = lab.routers[0].ns.clone();
    let out = ns_exec(
        &ns0,
        &[
            "ip", "link", "add", "trk0", "type", "veth", "peer", "name", "trk1",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for l in ["trk0", "trk1"] {
        assert!(
            ns_exec(&ns0, &["ip", "link", "set", l, "up"])
                .status
                .success()
        );
    }
    let dir = TempDir::new("vrrp-trk");
    let nodes = vec![
        Node::start(&lab, &dir, &case, 0, 150, Rs),
        Node::start(&lab, &dir, &case, 1, 100, Rs),
    ];
    let run = Run {
        vip: vip(&lab, case.fam),
        lab,
        nodes,
        _dir: dir,
    };
    let slack = Duration::from_secs(3);
    run.wait_master(0, case.master_down(100) * 2 + slack, "election");
    assert!(
        ns_exec(&ns0, &["ip", "link", "set", "trk1", "down"])
            .status
            .success()
    );
    // trk0 loses its carrier: priority 150 - 60 = 90 < 100.
    run.wait_master(1, case.master_down(100) * 2 + slack, "tracked link down");
    assert!(
        run.adverts_from(0).iter().any(|a| a.priority == 90),
        "r0 never advertised 150 - 60\n{}",
        run.logs()
    );
    assert!(
        ns_exec(&ns0, &["ip", "link", "set", "trk1", "up"])
            .status
            .success()
    );
    run.wait_master(0, case.master_down(100) * 2 + slack, "tracked link up");
}

/// `-V` (`--dont-release-vrrp`): the master stops without removing its VIP (it still sends
/// priority 0, so the backup takes over).
#[test]
fn dont_release_vrrp_keeps_the_vip_at_stop() {
    if !can_run() {
        return;
    }
    let case = V3;
    let lab = Lab::new("kv", 1);
    let dir = TempDir::new("vrrp-kv");
    let conf = dir.path().join("keepalived.conf");
    std::fs::write(&conf, config(&lab, &case, 0, 150, Rs)).unwrap();
    let pid = dir.path().join("rs.pid");
    let mut d = Daemon::start_cmd(Command::new("ip").args([
        "netns",
        "exec",
        &lab.routers[0].ns,
        bin(),
        "-n",
        "-l",
        "-V",
        "-f",
        &conf.to_string_lossy(),
        "-p",
        &pid.to_string_lossy(),
    ]));
    let vip = vip(&lab, case.fam);
    assert!(
        poll_until(Duration::from_secs(5), || lab.has_addr(0, &vip)),
        "{}",
        d.log()
    );
    d.signal(libc::SIGTERM);
    assert!(
        d.wait_exit(Duration::from_secs(5))
            .is_some_and(|s| s.success())
    );
    assert!(lab.has_addr(0, &vip), "-V: the VIP must stay\n{}", d.log());
}

/// SIGRTMIN+2 writes the JSON dump in keepalived's layout: it parses, has every key keepalived
/// 2.2.7 writes (data and stats), and matches the live state; SIGUSR2's statistics and SIGUSR1's
/// data file have keepalived's lines. keepalived (the backup) dumps beside it for the comparison.
#[test]
fn json_stats_and_data_dumps_match_keepalived_and_the_state() {
    if !can_run()
        || !require(
            common::have("keepalived", "--version"),
            "keepalived not installed: needed to compare the JSON dump",
        )
    {
        return;
    }
    let case = V3;
    let run = Run::new("jsn", case, &[Rs, Ka], &[150, 100]);
    let slack = Duration::from_secs(3);
    run.wait_master(0, case.master_down(100) * 2 + slack, "election");
    // Both write keepalived's default files (keepalived 2.2.7 knows no other location).
    let (ours_json, ours_stats, ours_data) = (
        PathBuf::from("/tmp/keepalived.json"),
        PathBuf::from("/tmp/keepalived.stats"),
        PathBuf::from("/tmp/keepalived.data"),
    );
    let read_fresh = |p: &PathBuf, since: std::time::SystemTime| -> Option<String> {
        let m = std::fs::metadata(p).ok()?.modified().ok()?;
        (m >= since)
            .then(|| std::fs::read_to_string(p).ok())
            .flatten()
    };
    let json_sig = libc::SIGRTMIN() + 2;
    // keepalived first (its VRRP child writes the file), then ours.
    let t0 = std::time::SystemTime::now() - Duration::from_millis(5);
    run.nodes[1].daemon.signal(json_sig);
    let mut theirs = None;
    poll_until(Duration::from_secs(3), || {
        theirs = read_fresh(&ours_json, t0).filter(|s| s.contains("\"iname\""));
        theirs.is_some()
    });
    let theirs = common::json::parse(&theirs.expect("keepalived wrote no JSON")).unwrap();
    let t1 = std::time::SystemTime::now();
    std::thread::sleep(Duration::from_millis(20)); // distinct mtime granularity
    run.nodes[0].daemon.signal(json_sig);
    let mut ours = None;
    poll_until(Duration::from_secs(3), || {
        ours = read_fresh(&ours_json, t1).filter(|s| {
            s.contains("\"iname\"")
                && run.nodes[0]
                    .daemon
                    .log()
                    .contains("Wrote /tmp/keepalived.json")
        });
        ours.is_some()
    });
    let ours_text = ours.expect("keepalived-rs wrote no JSON");
    let ours = common::json::parse(&ours_text).unwrap_or_else(|e| panic!("{e}: {ours_text}"));
    let (o, t) = (&ours.arr()[0], &theirs.arr()[0]);
    for part in ["data", "stats"] {
        let (ok, tk) = (o.get(part).unwrap().keys(), t.get(part).unwrap().keys());
        let missing: Vec<_> = tk.iter().filter(|k| !ok.contains(k)).collect();
        assert!(
            missing.is_empty(),
            "{part}: keys keepalived writes and we do not: {missing:?}"
        );
    }
    let od = o.get("data").unwrap();
    let td = t.get("data").unwrap();
    assert_eq!(od.get("state").unwrap().num(), Some(2.0), "ours is master");
    assert_eq!(
        td.get("state").unwrap().num(),
        Some(1.0),
        "keepalived is backup"
    );
    for k in ["vrid", "version", "adver_int"] {
        assert_eq!(od.get(k), td.get(k), "{k}");
    }
    assert_eq!(od.get("effective_priority").unwrap().num(), Some(150.0));
    assert_eq!(od.get("vipset"), Some(&common::json::Json::Bool(true)));
    let vip_line = format!("{}/24 dev eth0 scope global set", run.vip);
    assert_eq!(
        od.get("vips").unwrap().arr(),
        [common::json::Json::Str(vip_line)]
    );
    let sent = o
        .get("stats")
        .unwrap()
        .get("advert_sent")
        .unwrap()
        .num()
        .unwrap();
    assert!(sent >= 1.0);

    // Statistics and data files: keepalived's lines.
    let t2 = std::time::SystemTime::now();
    std::thread::sleep(Duration::from_millis(20));
    run.nodes[0].daemon.signal(libc::SIGUSR2);
    run.nodes[0].daemon.signal(libc::SIGUSR1);
    let mut stats = None;
    let mut data = None;
    poll_until(Duration::from_secs(3), || {
        stats = stats.take().or_else(|| read_fresh(&ours_stats, t2));
        data = data.take().or_else(|| read_fresh(&ours_data, t2));
        stats.is_some() && data.is_some()
    });
    let stats = stats.expect("no stats file");
    for line in [
        "VRRP Instance: VI_1",
        "  Advertisements:",
        "    Received: ",
        "  Became master: 1",
        "  Packet Errors:",
        "    Address List: 0",
        "  Priority Zero:",
    ] {
        assert!(stats.contains(line), "{line:?} not in\n{stats}");
    }
    let data = data.expect("no data file");
    for line in [
        "------< VRRP Topology >------",
        " VRRP Instance = VI_1",
        "   State = MASTER",
        "   Virtual Router ID = 51",
        "   Effective priority = 150",
    ] {
        assert!(data.contains(line), "{line:?} not in\n{data}");
    }
}

/// Notifications: every transition is one line on the notify FIFO, in the order the daemon
/// logged them (100 and more transitions, driven by a tracked link with weight 0), and the
/// `notify` script gets keepalived's four arguments for each, `notify_master` runs on MASTER.
#[test]
fn notify_fifo_lines_are_ordered_and_scripts_get_keepalived_arguments() {
    if !can_run() {
        return;
    }
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    let lab = Lab::new("nfy", 1);
    let ns0 = lab.routers[0].ns.clone();
    let out = ns_exec(
        &ns0,
        &[
            "ip", "link", "add", "trk0", "type", "veth", "peer", "name", "trk1",
        ],
    );
    assert!(out.status.success());
    for l in ["trk0", "trk1"] {
        assert!(
            ns_exec(&ns0, &["ip", "link", "set", l, "up"])
                .status
                .success()
        );
    }
    let dir = TempDir::new("vrrp-nfy");
    let d = dir.path();
    let fifo = d.join("notify.fifo");
    let args_log = d.join("args.log");
    let master_log = d.join("master.log");
    let script = d.join("notify.sh");
    std::fs::write(
        &script,
        format!("#!/bin/sh\necho \"$@\" >> {}\n", args_log.display()),
    )
    .unwrap();
    let mscript = d.join("master.sh");
    std::fs::write(
        &mscript,
        format!("#!/bin/sh\necho master >> {}\n", master_log.display()),
    )
    .unwrap();
    for s in [&script, &mscript] {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(s, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let conf = d.join("keepalived.conf");
    std::fs::write(
        &conf,
        format!(
            "global_defs {{\n    notify_fifo {}\n    script_user root\n}}\n\
             vrrp_instance VI_1 {{\n    state BACKUP\n    interface eth0\n    virtual_router_id 51\n\
             \x20   priority 100\n    version 3\n    advert_int 0.05\n\
             \x20   track_interface {{\n        trk0\n    }}\n\
             \x20   notify {}\n    notify_master {}\n\
             \x20   virtual_ipaddress {{\n        {}/24\n    }}\n}}\n",
            fifo.display(),
            script.display(),
            mscript.display(),
            vip(&lab, Fam::V4)
        ),
    )
    .unwrap();
    let pid = d.join("rs.pid");
    let mut daemon = Daemon::start_cmd(Command::new("ip").args([
        "netns",
        "exec",
        &ns0,
        bin(),
        "-n",
        "-l",
        "-f",
        &conf.to_string_lossy(),
        "-p",
        &pid.to_string_lossy(),
    ]));
    assert!(
        poll_until(Duration::from_secs(5), || fifo.exists()),
        "no FIFO\n{}",
        daemon.log()
    );
    let mut reader = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(&fifo)
        .unwrap();
    let mut text = String::new();
    let mut read_lines = |text: &mut String| {
        let mut buf = [0u8; 4096];
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 {
                break;
            }
            text.push_str(&String::from_utf8_lossy(&buf[..n]));
        }
        text.lines().count()
    };
    let mut cycles = 0;
    while read_lines(&mut text) < 100 && cycles < 80 {
        // MASTER first, then FAULT when the tracked link goes, then BACKUP and MASTER again.
        let before = text.matches("MASTER").count();
        assert!(
            poll_until(Duration::from_secs(5), || {
                read_lines(&mut text);
                text.matches("MASTER").count() > before || (cycles == 0 && text.contains("MASTER"))
            }),
            "no MASTER line\n{text}\n{}",
            daemon.log()
        );
        assert!(
            ns_exec(&ns0, &["ip", "link", "set", "trk1", "down"])
                .status
                .success()
        );
        let faults = text.matches("FAULT").count();
        assert!(
            poll_until(Duration::from_secs(5), || {
                read_lines(&mut text);
                text.matches("FAULT").count() > faults
            }),
            "no FAULT line\n{text}\n{}",
            daemon.log()
        );
        assert!(
            ns_exec(&ns0, &["ip", "link", "set", "trk1", "up"])
                .status
                .success()
        );
        cycles += 1;
    }
    daemon.signal(libc::SIGTERM);
    assert!(daemon.wait_exit(Duration::from_secs(5)).is_some());
    read_lines(&mut text);
    let fifo_states: Vec<&str> = text
        .lines()
        .map(|l| {
            let w: Vec<&str> = l.split(' ').collect();
            assert_eq!(w.len(), 4, "{l}");
            assert_eq!((w[0], w[1]), ("INSTANCE", "\"VI_1\""), "{l}");
            w[2]
        })
        .collect();
    let log = daemon.log();
    let logged: Vec<&str> = log
        .lines()
        .filter_map(|l| {
            if l.contains("(VI_1) Entering ") {
                l.split("Entering ").nth(1)?.split(' ').next()
            } else if l.contains("(VI_1) Stopped") {
                Some("STOP")
            } else {
                None
            }
        })
        .collect();
    assert!(fifo_states.len() >= 100, "{} lines", fifo_states.len());
    assert_eq!(fifo_states, logged, "FIFO order = log order");
    // The notify script ran once per transition with INSTANCE VI_1 STATE PRIO (scripts may
    // finish out of order: compared as counts).
    assert!(
        poll_until(Duration::from_secs(5), || {
            std::fs::read_to_string(&args_log).is_ok_and(|s| s.lines().count() == logged.len())
        }),
        "notify ran {} times for {} transitions\n{}\n{:?}",
        std::fs::read_to_string(&args_log).map_or(0, |s| s.lines().count()),
        logged.len(),
        std::fs::read_to_string(&args_log).unwrap_or_default(),
        logged
    );
    let args = std::fs::read_to_string(&args_log).unwrap();
    for state in ["MASTER", "BACKUP", "FAULT", "STOP"] {
        let want = logged.iter().filter(|s| **s == state).count();
        let got = args
            .lines()
            .filter(|l| l.starts_with(&format!("INSTANCE VI_1 {state} ")))
            .count();
        assert_eq!(got, want, "{state}: {args}");
    }
    let masters = logged.iter().filter(|s| **s == "MASTER").count();
    assert!(poll_until(Duration::from_secs(5), || {
        std::fs::read_to_string(&master_log).is_ok_and(|s| s.lines().count() == masters)
    }));
}

/// SIGHUP: 50 reloads of an unchanged configuration while a backup watches: no failover, no
/// priority 0, no gap in the master's adverts longer than one interval plus 2 ms (kernel time
/// stamps on the bridge; the median of up to three bursts, see `common::median_within`). Then an invalid configuration changes nothing; removing the instance
/// hands over with priority 0 and takes the VIP away; adding it back makes it preempt again.
#[test]
fn reloads_keep_state_without_a_blip() {
    if !can_run() {
        return;
    }
    // A notify script that records its arguments, for notify_deleted at the end.
    let scripts = TempDir::new("vrrp-rld-notify");
    let args_log = scripts.path().join("args.log");
    let script = scripts.path().join("notify.sh");
    std::fs::write(
        &script,
        format!("#!/bin/sh\necho \"$@\" >> {}\n", args_log.display()),
    )
    .unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let extra: &'static str = Box::leak(
        format!("    notify_deleted\n    notify {}\n", script.display()).into_boxed_str(),
    );
    // SCHED_RR, as a router that must not miss an advert would run (keepalived's
    // vrrp_rt_priority): the test machine runs builds and other tests beside it.
    let case = Case {
        extra0: extra,
        global: "    vrrp_rt_priority 50\n",
        ..V3
    };
    let run = Run::new("rld", case, &[Rs, Rs], &[150, 100]);
    let slack = Duration::from_secs(3);
    run.wait_master(0, case.master_down(100) * 2 + slack, "election");
    assert!(
        run.nodes[0]
            .daemon
            .log()
            .contains("Running at SCHED_RR priority 50"),
        "{}",
        run.logs()
    );
    let conf = run.nodes[0].run.join("keepalived.conf");
    let good = std::fs::read_to_string(&conf).unwrap();
    // One burst: 50 reloads, spread over the adverts; its largest gap between adverts.
    let mut reloads = 0;
    let mut burst = || {
        let start = Instant::now();
        for _ in 0..50 {
            run.nodes[0].daemon.signal(libc::SIGHUP);
            reloads += 1;
            assert!(
                poll_until(Duration::from_secs(3), || run.nodes[0]
                    .daemon
                    .log()
                    .matches("Reload finished")
                    .count()
                    >= reloads),
                "reload {reloads} not finished\n{}",
                run.logs()
            );
            std::thread::sleep(Duration::from_millis(30)); // spread the reloads over adverts
        }
        let end = Instant::now();
        let adverts: Vec<Advert> = run
            .adverts_from(0)
            .into_iter()
            .filter(|a| a.at >= start && a.at <= end)
            .collect();
        assert!(adverts.len() >= 10, "{} adverts", adverts.len());
        assert!(
            adverts.iter().all(|a| a.priority == 150),
            "priority changed during reloads"
        );
        let max_gap = adverts
            .windows(2)
            .filter_map(|w| w[1].kts?.checked_sub(w[0].kts?))
            .max()
            .unwrap();
        eprintln!(
            "50 reloads in {:?}: {} adverts, largest gap {max_gap:?}",
            end - start,
            adverts.len()
        );
        max_gap
    };
    // The claim: a reload never delays an advert, so the largest gap stays within the interval
    // + 2 ms. Even at SCHED_RR a process can wake late on the test host (a VM with a
    // non-preemptible kernel: a SCHED_RR probe there saw 45 ms once in 7263 wakeups), so a
    // burst over the bound is repeated and the median of three bursts must be within it. A
    // delay of our own still fails: with reloads at normal priority (the cause of this test's
    // flake, see `Daemon::reload` in src/daemon/dispatch.rs) 7 of 8 runs failed on a loaded
    // host. No burst may miss an advert (a gap of two intervals).
    common::median_within(
        "largest gap between adverts during 50 reloads",
        case.interval() + Duration::from_millis(2),
        case.interval() * 2 - Duration::from_millis(1),
        &mut burst,
    );
    assert!(
        !run.nodes[1].daemon.log().contains("Entering MASTER"),
        "the backup took over during reloads\n{}",
        run.logs()
    );
    assert!(
        run.nodes[0]
            .daemon
            .log()
            .contains("VRRP reload: 1 unchanged, 0 changed, 0 new")
    );
    // Short reloads stay at SCHED_RR (RLIMIT_RTTIME lifted while they run).
    assert!(
        !run.nodes[0]
            .daemon
            .log()
            .contains("Reloading at normal priority"),
        "{}",
        run.logs()
    );

    // An invalid configuration: refused, nothing changes.
    // (`-t` exits 3 on it: an `includem` that matches nothing is fatal.)
    std::fs::write(
        &conf,
        format!("{good}\nincludem /nonexistent-krs/missing.conf\n"),
    )
    .unwrap();
    run.nodes[0].daemon.signal(libc::SIGHUP);
    assert!(
        run.nodes[0]
            .daemon
            .wait_for("Reload failed, keeping the running configuration", slack)
            .is_some(),
        "{}",
        run.logs()
    );
    assert_eq!(run.holders(), [0]);

    // The instance removed: priority 0, VIP gone, r1 takes over.
    std::fs::write(&conf, "global_defs {\n    router_id r0\n}\n").unwrap();
    run.nodes[0].daemon.signal(libc::SIGHUP);
    run.wait_master(1, case.master_down(100) + slack, "instance removed");
    assert!(run.adverts_from(0).iter().any(|a| a.priority == 0));
    // notify_deleted: the removal is DELETED, not STOP.
    assert!(
        poll_until(slack, || std::fs::read_to_string(&args_log)
            .is_ok_and(|s| s.contains("INSTANCE VI_1 DELETED 150"))),
        "{}",
        std::fs::read_to_string(&args_log).unwrap_or_default()
    );
    assert!(!std::fs::read_to_string(&args_log).unwrap().contains("STOP"));
    // Back again: it starts in BACKUP and preempts.
    std::fs::write(&conf, &good).unwrap();
    run.nodes[0].daemon.signal(libc::SIGHUP);
    run.wait_master(0, case.master_down(150) * 2 + slack, "instance added back");
}

/// `keepalived-rs --status -p PIDFILE` prints the running daemon's live state (JSON, as the
/// dump) over a socket beside the pid file that only root may use.
#[test]
fn status_subcommand_prints_the_live_state() {
    if !can_run() {
        return;
    }
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let case = V3;
    let run = Run::new("sts", case, &[Rs], &[150]);
    run.wait_master(
        0,
        case.master_down(150) * 2 + Duration::from_secs(3),
        "election",
    );
    let pid = run.nodes[0].run.join("rs.pid");
    let sock = run.nodes[0].run.join("rs.status.sock");
    let meta = std::fs::metadata(&sock).expect("state socket");
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    assert_eq!(meta.uid(), 0);
    let out = Command::new(bin())
        .args(["--status", "-p", &pid.to_string_lossy()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let j = common::json::parse(text.trim()).unwrap_or_else(|e| panic!("{e}: {text}"));
    let d = j.arr()[0].get("data").unwrap();
    assert_eq!(
        d.get("iname"),
        Some(&common::json::Json::Str("VI_1".into()))
    );
    assert_eq!(d.get("state").unwrap().num(), Some(2.0));
    // Nobody answers for a pid file without a daemon.
    let out = Command::new(bin())
        .args(["--status", "-p", "/nonexistent-krs/x.pid"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
}

/// A `vrrp_sync_group` of two instances on two LANs (eth0 and eth1): the link of one member
/// failing on the master moves both instances to the other router together; back up, both
/// come back (preemption). The group's log line and FIFO line are keepalived's.
#[test]
fn sync_group_on_two_interfaces_fails_over_together() {
    if !can_run() {
        return;
    }
    let lab = Lab::new("syn", 2);
    let br = lab.bridge_ns.clone();
    // A second LAN: br1 with eth1 in each router.
    common::lab::ip(&[
        "-n",
        &br,
        "link",
        "add",
        "br1",
        "type",
        "bridge",
        "stp_state",
        "0",
    ]);
    common::lab::ip(&["-n", &br, "link", "set", "br1", "up"]);
    for (i, r) in lab.routers.iter().enumerate() {
        let q = format!("q{i}");
        common::lab::ip(&[
            "-n", &br, "link", "add", &q, "type", "veth", "peer", "name", "eth1", "netns", &r.ns,
        ]);
        common::lab::ip(&["-n", &br, "link", "set", &q, "master", "br1", "up"]);
        common::lab::ip(&["-n", &r.ns, "link", "set", "eth1", "up"]);
        let a = format!("10.98.{}.{}/24", lab.net, i + 1);
        common::lab::ip(&["-n", &r.ns, "addr", "add", &a, "dev", "eth1"]);
    }
    let dir = TempDir::new("vrrp-syn");
    let vip_a = format!("10.99.{}.100", lab.net);
    let vip_b = format!("10.98.{}.100", lab.net);
    let mut daemons = Vec::new();
    let fifo = dir.path().join("r0.fifo");
    for (i, prio) in [(0usize, 150u8), (1, 100)] {
        let extra = if i == 0 {
            format!("global_defs {{\n    notify_fifo {}\n}}\n", fifo.display())
        } else {
            String::new()
        };
        let conf = dir.path().join(format!("r{i}.conf"));
        std::fs::write(
            &conf,
            format!(
                "{extra}vrrp_sync_group G1 {{\n    group {{\n        VI_A\n        VI_B\n    }}\n}}\n\
                 vrrp_instance VI_A {{\n    interface eth0\n    virtual_router_id 61\n    priority {prio}\n\
                 \x20   version 3\n    advert_int 0.1\n    virtual_ipaddress {{\n        {vip_a}/24\n    }}\n}}\n\
                 vrrp_instance VI_B {{\n    interface eth1\n    virtual_router_id 62\n    priority {prio}\n\
                 \x20   version 3\n    advert_int 0.1\n    virtual_ipaddress {{\n        {vip_b}/24\n    }}\n}}\n"
            ),
        )
        .unwrap();
        let pid = dir.path().join(format!("r{i}.pid"));
        daemons.push(Daemon::start_cmd(Command::new("ip").args([
            "netns",
            "exec",
            &lab.routers[i].ns,
            bin(),
            "-n",
            "-l",
            "-D",
            "-f",
            &conf.to_string_lossy(),
            "-p",
            &pid.to_string_lossy(),
        ])));
    }
    let holds = |i: usize, a: &str| {
        let out = ns_exec(&lab.routers[i].ns, &["ip", "-o", "-4", "addr", "show"]);
        String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .any(|w| w.split('/').next() == Some(a))
    };
    let logs = |d: &Vec<Daemon>| format!("{}\n----\n{}", d[0].log(), d[1].log());
    let both = |i: usize| holds(i, &vip_a) && holds(i, &vip_b);
    let none = |i: usize| !holds(i, &vip_a) && !holds(i, &vip_b);
    assert!(
        poll_until(Duration::from_secs(5), || both(0) && none(1)),
        "election\n{}",
        logs(&daemons)
    );
    // eth1 of r0 down: VI_B in FAULT, the group takes VI_A with it; r1 gets both.
    let t0 = Instant::now();
    assert!(
        ns_exec(&lab.routers[0].ns, &["ip", "link", "set", "eth1", "down"])
            .status
            .success()
    );
    assert!(
        poll_until(Duration::from_secs(5), || both(1) && none(0)),
        "failover together\n{}",
        logs(&daemons)
    );
    eprintln!("sync group failover in {:?}", t0.elapsed());
    assert!(
        daemons[0]
            .log()
            .contains("VRRP_Group(G1) Syncing instances to FAULT state")
    );
    // Back up: r0 preempts both.
    assert!(
        ns_exec(&lab.routers[0].ns, &["ip", "link", "set", "eth1", "up"])
            .status
            .success()
    );
    assert!(
        poll_until(Duration::from_secs(5), || both(0) && none(1)),
        "back together\n{}",
        logs(&daemons)
    );
    assert!(
        daemons[0]
            .log()
            .contains("VRRP_Group(G1) Syncing instances to MASTER state")
    );
    for d in &mut daemons {
        d.signal(libc::SIGTERM);
        assert!(d.wait_exit(Duration::from_secs(5)).is_some());
    }
}
