//! VRRPv2 `auth_type AH` against Debian's keepalived 2.2.7, on a real kernel: two routers on a
//! bridge, keepalived-rs master with keepalived backup and the reverse, failover both ways and
//! back, adverts checked on the wire (IP protocol 51, SPI = source address, sequence numbers
//! rising across a change of master, ICV verified with the codec), and hand-made adverts
//! injected into the bridge: a replayed one, one with a wrong password, one with a wrong SPI,
//! each counted by keepalived-rs and ignored. Needs root, `ip netns` and keepalived; without them
//! each test prints one `SKIP` line (a failure under `KEEPALIVED_RS_FULL_TESTS=1`).

mod common;

use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use common::json::Json;
use common::lab::{Frame, Lab, daemon_cmd, prerequisites};
use common::{Daemon, TempDir, bin, poll_until};
use keepalived_rs::sys::raw::{IPPROTO_AH, RawIpSocket, if_index};
use keepalived_rs::wire::{ah, ipv4, vrrp};

const PASS: &str = "krs-ah01";
const VRID: u8 = 51;
const GROUP: Ipv4Addr = Ipv4Addr::new(224, 0, 0, 18);
/// The IP id of the hand-made adverts (the daemons count from 1).
const HAND_MADE_ID: u16 = 0xbeef;
/// Startup (master down 3.6 s as backup) and a failover, with slack for a loaded machine.
const ELECTION: Duration = Duration::from_secs(12);

fn vip(lab: &Lab) -> String {
    format!("10.99.{}.100", lab.net)
}

/// Router `i`'s configuration; `unicast`: to the other router's address, from its own.
fn config(lab: &Lab, i: usize, prio: u8, unicast: bool) -> String {
    let peers = if unicast {
        let me = lab.routers[i].v4;
        let other = lab.routers[1 - i].v4;
        format!("    unicast_src_ip {me}\n    unicast_peer {{\n        {other}\n    }}\n")
    } else {
        String::new()
    };
    format!(
        "vrrp_instance VI_1 {{\n    state BACKUP\n    interface eth0\n    virtual_router_id {VRID}\n    \
         priority {prio}\n    advert_int 1\n{peers}    authentication {{\n        auth_type AH\n        \
         auth_pass {PASS}\n    }}\n    virtual_ipaddress {{\n        {}/24\n    }}\n}}\n",
        vip(lab)
    )
}

/// One router's daemon.
struct Node {
    ka: bool,
    ns: String,
    run: PathBuf,
    conf: PathBuf,
    daemon: Option<Daemon>,
}

impl Node {
    fn new(lab: &Lab, dir: &TempDir, i: usize, prio: u8, ka: bool, unicast: bool) -> Node {
        let run = dir.path().join(format!("r{i}"));
        std::fs::create_dir_all(&run).unwrap();
        let conf = run.join("keepalived.conf");
        std::fs::write(&conf, config(lab, i, prio, unicast)).unwrap();
        let mut n = Node {
            ka,
            ns: lab.routers[i].ns.clone(),
            run,
            conf,
            daemon: None,
        };
        n.start();
        n
    }

    fn start(&mut self) {
        let mut cmd = daemon_cmd(&self.ns, self.ka, &self.conf, &self.run);
        self.daemon = Some(Daemon::start_cmd(&mut cmd));
    }

    /// SIGTERM (the master sends its priority-0 advert), then waits for the exit.
    fn stop(&mut self) {
        if let Some(mut d) = self.daemon.take() {
            d.signal(libc::SIGTERM);
            assert!(d.wait_exit(Duration::from_secs(10)).is_some(), "no exit");
        }
    }

    fn log(&self) -> String {
        self.daemon.as_ref().map(|d| d.log()).unwrap_or_default()
    }

    /// keepalived-rs's statistics of VI_1 (`--status`).
    fn stats(&self) -> Json {
        let pid = self.run.join("rs.pid");
        let out = Command::new(bin())
            .args(["--status", "-p", &pid.to_string_lossy()])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let j = common::json::parse(text.trim()).unwrap_or_else(|e| panic!("{e}: {text}"));
        j.arr()[0].get("stats").expect("stats").clone()
    }

    fn counter(&self, name: &str) -> u64 {
        self.stats().get(name).and_then(|v| v.num()).unwrap_or(-1.0) as u64
    }
}

/// An AH advert seen on the bridge.
#[derive(Debug, Clone)]
struct AhAdvert {
    src: Ipv4Addr,
    seq: u32,
    prio: u8,
    /// The IP datagram (Ethernet header off).
    datagram: Vec<u8>,
}

/// Every IPv4 protocol-51 frame of `frames`, decoded; panics on one that is not keepalived's
/// AH(VRRP) with a valid ICV for [`PASS`] and SPI = source address (adverts only come from the
/// two daemons until the injections, which are checked before this is called on them).
fn ah_adverts(frames: &[Frame]) -> Vec<AhAdvert> {
    let key = ah::key(PASS.as_bytes());
    frames
        .iter()
        .filter(|f| f.bytes.len() > 34 && f.bytes[12..14] == [8, 0] && f.bytes[23] == 51)
        .map(|f| {
            let d = &f.bytes[14..];
            let (ip, h, pkt) = ah::ipv4_datagram(d).expect("AH datagram");
            let h = h.expect("AH header");
            assert!(
                h.is_vrrp(),
                "next header {} len {}",
                h.next_header,
                h.payload_len
            );
            assert_eq!(h.spi, u32::from(ip.src_addr), "SPI is the source address");
            // keepalived zeroes the TTL in the ICV of a unicast instance.
            let unicast = !ip.dst_addr.is_multicast();
            assert!(ah::verify_icv(&key, d, unicast), "ICV from {}", ip.src_addr);
            assert_eq!(ip.protocol, ipv4::PROTO_AH);
            assert_eq!((ip.tos, ip.ttl), (0xc0, 255));
            assert_eq!((pkt.version(), pkt.vrid(), pkt.auth_type()), (2, VRID, 2));
            assert_eq!(pkt.auth_data(), [0; 8]);
            AhAdvert {
                src: ip.src_addr,
                seq: h.seq,
                prio: pkt.priority(),
                datagram: d[..ip.payload_len + 20].to_vec(),
            }
        })
        .collect()
}

/// Waits until `n` AH adverts from `src` were seen since `t` (each checked by [`ah_adverts`]).
fn wait_adverts(lab: &Lab, src: Ipv4Addr, t: Instant, n: usize, limit: Duration) {
    let ok = poll_until(limit, || {
        let got = ah_adverts(&lab.frames_since(t));
        got.iter().filter(|a| a.src == src).count() >= n
    });
    assert!(ok, "fewer than {n} adverts from {src} in {limit:?}");
}

/// Sequence numbers on the wire only rise, whoever sends: a new master continues above what it
/// saw from the old one (keepalived's shared counter), else its peer would drop its adverts.
fn assert_rising(adverts: &[AhAdvert]) {
    for w in adverts.windows(2) {
        assert!(
            w[1].seq > w[0].seq,
            "sequence {} from {} after {} from {}",
            w[1].seq,
            w[1].src,
            w[0].seq,
            w[0].src
        );
    }
}

/// Sends `datagram` (an IPv4 header on) from router `i`'s namespace to the VRRP group.
fn inject(lab: &Lab, i: usize, datagram: Vec<u8>) {
    let ns = lab.routers[i].ns.clone();
    std::thread::spawn(move || {
        common::lab::enter_ns(&ns).unwrap();
        let s = RawIpSocket::v4_proto("eth0", if_index("eth0").unwrap(), IPPROTO_AH).unwrap();
        s.send(&datagram, IpAddr::V4(GROUP), None).unwrap();
    })
    .join()
    .unwrap();
}

/// A keepalived-style AH advert from `src`, priority `prio`, keyed with `pass`, SPI `spi`.
fn hand_made(lab: &Lab, src: Ipv4Addr, prio: u8, seq: u32, pass: &str, spi: u32) -> Vec<u8> {
    let vip: Ipv4Addr = vip(lab).parse().unwrap();
    let vips = [vip];
    let repr = vrrp::Repr {
        version: vrrp::Version::V2 {
            auth_type: vrrp::AuthType::Ah,
            advert_int: 1,
            auth_data: [0; 8],
        },
        msg_type: vrrp::Type::Advertisement,
        vrid: VRID,
        priority: prio,
        addresses: vrrp::Addresses::V4(&vips),
    };
    let ip = ipv4::Repr::vrrp(src, GROUP, HAND_MADE_ID, 0);
    let h = ah::Repr {
        spi,
        ..ah::Repr::vrrp(src, seq)
    };
    let mut buf = [0u8; 128];
    let n =
        ah::emit_ipv4_datagram(&mut buf, &ip, &h, &repr, &ah::key(pass.as_bytes()), false).unwrap();
    buf[..n].to_vec()
}

fn logs(nodes: &[&Node]) -> String {
    nodes
        .iter()
        .map(|n| {
            format!(
                "--- {} ---\n{}",
                if n.ka { "keepalived" } else { "rs" },
                n.log()
            )
        })
        .collect()
}

/// keepalived-rs (priority 150) master, keepalived (100) backup; keepalived-rs stops: keepalived
/// takes over; keepalived-rs comes back: it preempts, continuing above keepalived's sequence.
#[test]
fn ah_rs_master_ka_backup_failover_both_ways() {
    rs_master_ka_backup(false);
}

/// The same with unicast adverts (the TTL out of the ICV).
#[test]
fn ah_unicast_rs_master_ka_backup_failover_both_ways() {
    rs_master_ka_backup(true);
}

fn rs_master_ka_backup(unicast: bool) {
    if !prerequisites(Some("keepalived not installed: needed as the AH peer")) {
        return;
    }
    let mut lab = Lab::new("ah", 2);
    lab.capture();
    let dir = TempDir::new("vrrp-ah-rk");
    let va = vip(&lab);
    let mut rs = Node::new(&lab, &dir, 0, 150, false, unicast);
    let mut ka = Node::new(&lab, &dir, 1, 100, true, unicast);
    let t0 = lab
        .wait_sole_holder(0, &va, ELECTION)
        .unwrap_or_else(|h| panic!("rs not master: {h:?}\n{}", logs(&[&rs, &ka])));
    // Three adverts of ours after the election, keepalived staying backup.
    wait_adverts(&lab, lab.routers[0].v4, t0, 3, Duration::from_secs(6));
    assert_eq!(lab.holders(&va), [0], "{}", logs(&[&rs, &ka]));
    assert!(!ka.log().contains("IPSEC-AH"), "{}", ka.log());
    // keepalived-rs stops: keepalived becomes master.
    rs.stop();
    let t1 = lab
        .wait_sole_holder(1, &va, ELECTION)
        .unwrap_or_else(|h| panic!("ka not master: {h:?}\n{}", logs(&[&ka])));
    wait_adverts(&lab, lab.routers[1].v4, t1, 1, Duration::from_secs(5));
    // keepalived-rs back: it starts as backup with counter 0, learns keepalived's sequence, and
    // preempts above it.
    rs.start();
    lab.wait_sole_holder(0, &va, ELECTION)
        .unwrap_or_else(|h| panic!("rs did not preempt: {h:?}\n{}", logs(&[&rs, &ka])));
    let t2 = Instant::now();
    wait_adverts(&lab, lab.routers[0].v4, t2, 2, Duration::from_secs(5));
    assert_eq!(lab.holders(&va), [0], "{}", logs(&[&rs, &ka]));
    let all = ah_adverts(&lab.frames());
    assert_rising(&all);
    let ours = all.iter().filter(|a| a.src == lab.routers[0].v4).count();
    let theirs = all.iter().filter(|a| a.src == lab.routers[1].v4).count();
    eprintln!(
        "AH adverts on the wire (unicast {unicast}): {ours} from keepalived-rs, {theirs} from keepalived, last seq {}",
        all.last().map_or(0, |a| a.seq)
    );
    assert!(
        !ka.log().contains("IPSEC-AH"),
        "keepalived refused an advert of ours:\n{}",
        ka.log()
    );
    for c in ["ah_icv_err", "ah_spi_err", "ah_replay_err", "ah_header_err"] {
        assert_eq!(rs.counter(c), 0, "{c}\n{}", rs.log());
    }
    ka.stop();
    rs.stop();
}

/// keepalived (150) master, keepalived-rs (100) backup; keepalived stops: keepalived-rs takes
/// over. While it is master, injected adverts of priority 200: an old advert of keepalived's
/// (replayed), one with another password, one with another SPI: each counted, none obeyed.
/// keepalived back: it learns our sequence and preempts above it.
#[test]
fn ah_ka_master_rs_backup_failover_and_injections() {
    if !prerequisites(Some("keepalived not installed: needed as the AH peer")) {
        return;
    }
    let mut lab = Lab::new("ah", 2);
    lab.capture();
    let dir = TempDir::new("vrrp-ah-kr");
    let va = vip(&lab);
    let (a0, a1) = (lab.routers[0].v4, lab.routers[1].v4);
    let mut rs = Node::new(&lab, &dir, 0, 100, false, false);
    let mut ka = Node::new(&lab, &dir, 1, 150, true, false);
    lab.wait_sole_holder(1, &va, ELECTION)
        .unwrap_or_else(|h| panic!("ka not master: {h:?}\n{}", logs(&[&rs, &ka])));
    assert!(poll_until(Duration::from_secs(8), || rs
        .counter("advert_rcvd")
        >= 3));
    assert_eq!(lab.holders(&va), [1], "{}", logs(&[&rs, &ka]));
    // keepalived stops (priority 0 sent): keepalived-rs becomes master.
    ka.stop();
    let t1 = lab
        .wait_sole_holder(0, &va, ELECTION)
        .unwrap_or_else(|h| panic!("rs not master: {h:?}\n{}", logs(&[&rs])));
    wait_adverts(&lab, a0, t1, 1, Duration::from_secs(5));
    let before = ah_adverts(&lab.frames());
    assert_rising(&before);
    let old = before
        .iter()
        .find(|a| a.src == a1 && a.prio == 150)
        .expect("an advert of keepalived's")
        .clone();
    let ours = before.iter().rev().find(|a| a.src == a0).unwrap().seq;
    // keepalived-rs may have been master for a moment at start (keepalived starts slower).
    let released = rs.counter("release_master");
    // A replayed keepalived advert (priority 150 > ours): valid ICV, old sequence number.
    let replay = rs.counter("ah_replay_err");
    inject(&lab, 1, old.datagram.clone());
    assert!(
        poll_until(Duration::from_secs(5), || rs.counter("ah_replay_err")
            > replay),
        "replay not counted\n{}",
        rs.log()
    );
    // Another password, a sequence number far ahead, priority 200.
    let icv = rs.counter("ah_icv_err");
    inject(
        &lab,
        1,
        hand_made(&lab, a1, 200, ours + 1000, "wrong-pw", u32::from(a1)),
    );
    assert!(
        poll_until(Duration::from_secs(5), || rs.counter("ah_icv_err") > icv),
        "wrong password not counted\n{}",
        rs.log()
    );
    // The right password but an SPI that is not the source address.
    let spi = rs.counter("ah_spi_err");
    inject(
        &lab,
        1,
        hand_made(&lab, a1, 200, ours + 2000, PASS, 0x0a0b0c0d),
    );
    assert!(
        poll_until(Duration::from_secs(5), || rs.counter("ah_spi_err") > spi),
        "wrong SPI not counted\n{}",
        rs.log()
    );
    // None of them made keepalived-rs yield: still master, its adverts still going out.
    let t2 = Instant::now();
    wait_adverts(&lab, a0, t2, 2, Duration::from_secs(4));
    assert_eq!(lab.holders(&va), [0], "{}", rs.log());
    assert_eq!(rs.counter("release_master"), released, "{}", rs.log());
    let s = rs.stats();
    eprintln!(
        "keepalived-rs counters after the injections: auth_failure {}, ah_replay_err {}, ah_icv_err {}, ah_spi_err {}, advert_rcvd {}",
        s.get("auth_failure").and_then(|v| v.num()).unwrap_or(-1.0),
        s.get("ah_replay_err").and_then(|v| v.num()).unwrap_or(-1.0),
        s.get("ah_icv_err").and_then(|v| v.num()).unwrap_or(-1.0),
        s.get("ah_spi_err").and_then(|v| v.num()).unwrap_or(-1.0),
        s.get("advert_rcvd").and_then(|v| v.num()).unwrap_or(-1.0),
    );
    // keepalived back: it starts as backup, takes up our sequence, preempts above it.
    ka.start();
    let t3 = lab
        .wait_sole_holder(1, &va, ELECTION)
        .unwrap_or_else(|h| panic!("ka did not preempt: {h:?}\n{}", logs(&[&rs, &ka])));
    wait_adverts(&lab, a1, t3, 2, Duration::from_secs(5));
    // The daemons' adverts only rise (the injected ones left out: the hand-made ones carry IP
    // id HAND_MADE_ID, the replay is the second copy of keepalived's old advert).
    let mut seen_old = false;
    let frames: Vec<Frame> = lab
        .frames()
        .into_iter()
        .filter(|f| {
            let d = f.bytes.get(14..).unwrap_or(&[]);
            if d.get(4..6) == Some(&HAND_MADE_ID.to_be_bytes()[..]) {
                return false;
            }
            if d == old.datagram.as_slice() {
                let again = seen_old;
                seen_old = true;
                return !again;
            }
            true
        })
        .collect();
    let daemons = ah_adverts(&frames);
    assert_rising(&daemons);
    eprintln!(
        "AH adverts on the wire: {} from keepalived-rs, {} from keepalived, last seq {}",
        daemons.iter().filter(|a| a.src == a0).count(),
        daemons.iter().filter(|a| a.src == a1).count(),
        daemons.last().map_or(0, |a| a.seq)
    );
    assert_eq!(rs.counter("release_master"), released + 1, "{}", rs.log());
    assert!(
        !ka.log().contains("IPSEC-AH"),
        "keepalived refused an advert of ours:\n{}",
        ka.log()
    );
    ka.stop();
    rs.stop();
}

/// `auth_hmac` (keepalived 2.4) is refused with its location by `-t`, and at start.
#[test]
fn auth_hmac_is_refused() {
    let dir = TempDir::new("vrrp-ah-hmac");
    let conf = dir.path().join("keepalived.conf");
    std::fs::write(
        &conf,
        "vrrp_instance VI_1 {\n    interface eth0\n    virtual_router_id 51\n    auth_hmac {\n        key 1 hex:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n        active_key 1\n    }\n    virtual_ipaddress {\n        10.0.0.1\n    }\n}\n",
    )
    .unwrap();
    let out = Command::new(bin())
        .args(["-t", "-f", &conf.to_string_lossy()])
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(
        text.contains(":4:5") && text.contains("`auth_hmac` (keepalived 2.4) is not implemented"),
        "{text}"
    );
    // At start (in a namespace of its own): the same error, exit 3 (a configuration error at start), nothing run.
    if !prerequisites(None) {
        return;
    }
    let ns = common::Netns::new("ahm");
    let mut d = Daemon::start_cmd(&mut daemon_cmd(&ns.0, false, &conf, dir.path()));
    let status = d
        .wait_exit(Duration::from_secs(10))
        .expect("the daemon did not exit");
    assert_eq!(status.code(), Some(3), "{}", d.log());
    assert!(
        d.log().contains("`auth_hmac` (keepalived 2.4)"),
        "{}",
        d.log()
    );
}
