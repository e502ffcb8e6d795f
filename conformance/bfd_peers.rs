//! BFD on a real kernel against real peers: keepalived-rs with FRR's bfdd (Debian frr 8.4) and
//! with Debian keepalived 2.2.7's `bfd_instance`, in network namespaces on a bridge; single hop
//! over IPv4 and IPv6, multihop over IPv4 through a routing namespace. Checked on the wire (the
//! bridge capture with kernel time stamps) and in the peers' own reports: sessions come Up, our
//! packets carry TTL 255 to port 3784/4784 from a port in 49152-65535, a frozen peer is declared
//! Down within the detection time + 2 ms of its last packet (the median of up to three freezes,
//! our daemon at SCHED_RR), and a parameter change on either side goes through Poll/Final.
//! Needs root, `ip netns`, FRR and keepalived; without them each test prints one `SKIP` line (a
//! failure under `KEEPALIVED_RS_FULL_TESTS=1`).

mod common;

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use common::lab::{Lab, daemon_cmd};
use common::peers::{Frozen, Frr, Seen, bfd_packets, have_frr, routed};
use common::{Daemon, TempDir, is_root, pid_in, poll_until, require};
use keepalived_rs::wire::bfd::{Diag, State};

fn can_run() -> bool {
    require(is_root(), "not root: network namespace tests need root")
        && require(
            common::have("ip", "-V"),
            "iproute2 (`ip`) not installed: needed for the namespace labs",
        )
        && require(
            common::have("keepalived", "-v"),
            "keepalived not installed: a BFD peer of these tests",
        )
        && require(
            have_frr(),
            "FRR (bfdd, vtysh) not installed: a BFD peer of these tests",
        )
}

/// Our configuration: one session `name` to `peer` from `local`.
fn ours(name: &str, peer: IpAddr, local: IpAddr, ms: u32, extra: &str) -> String {
    format!(
        "bfd_instance {name} {{\n    neighbor_ip {peer}\n    source_ip {local}\n    min_rx {ms}\n    min_tx {ms}\n    multiplier 3\n{extra}}}\n"
    )
}

/// FRR's bfdd configuration: one peer.
fn frr_conf(peer: IpAddr, local: IpAddr, ms: u32, multihop: bool) -> String {
    let mh = if multihop { " multihop" } else { "" };
    format!(
        "bfd\n peer {peer}{mh} local-address {local}\n  transmit-interval {ms}\n  receive-interval {ms}\n  detect-multiplier 3\n"
    )
}

/// Our daemon runs at SCHED_RR (`bfd_rt_priority`), as a router that must detect a failure
/// within its detection time would: the detection measurements are then of the daemon's own
/// timers, not of how long the tests running beside it (starting FRR, say) keep it off the CPU.
/// Measured before: with normal priority, `frr_single_hop_ipv4` saw 94-115 ms for a 90 ms
/// detection when its freeze fell on the start of the test run beside it (90.2-90.3 ms alone).
fn rs_conf(text: &str) -> String {
    format!("global_defs {{\n    bfd_rt_priority 50\n}}\n{text}")
}

struct Side {
    conf: PathBuf,
    daemon: Daemon,
}

fn start_rs(lab: &Lab, i: usize, dir: &Path, text: &str) -> Side {
    let run = dir.join(format!("run{i}"));
    std::fs::create_dir_all(&run).unwrap();
    let conf = dir.join(format!("r{i}.conf"));
    std::fs::write(&conf, text).unwrap();
    let daemon = Daemon::start_cmd(&mut daemon_cmd(&lab.routers[i].ns, false, &conf, &run));
    if text.contains("bfd_rt_priority") {
        assert!(
            daemon
                .wait_for("Running at SCHED_RR priority 50", Duration::from_secs(5))
                .is_some(),
            "{}",
            daemon.log()
        );
    }
    Side { conf, daemon }
}

fn start_ka(lab: &Lab, i: usize, dir: &Path, text: &str) -> (Side, PathBuf) {
    let run = dir.join(format!("run{i}"));
    std::fs::create_dir_all(&run).unwrap();
    let conf = dir.join(format!("r{i}.conf"));
    std::fs::write(&conf, text).unwrap();
    let daemon = Daemon::start_cmd(&mut daemon_cmd(&lab.routers[i].ns, true, &conf, &run));
    (Side { conf, daemon }, run.join("bfd.pid"))
}

fn addr(lab: &Lab, i: usize, v6: bool) -> IpAddr {
    if v6 {
        IpAddr::V6(lab.routers[i].v6)
    } else {
        IpAddr::V4(lab.routers[i].v4)
    }
}

/// The packets on the wire from now until `us` has sent 15 periodic Up packets (under a second
/// at 50 ms; a check fails if they never come).
fn packet_window(lab: &Lab, us: IpAddr) -> Vec<Seen> {
    let t = std::time::Instant::now();
    let mut seen = Vec::new();
    common::poll_every(Duration::from_secs(5), Duration::from_millis(20), || {
        seen = bfd_packets(&lab.frames_since(t));
        seen.iter()
            .filter(|s| s.src == us && s.state == State::Up && !s.poll && !s.fin)
            .count()
            >= 15
    });
    seen
}

/// [`packet_window`] with [`check_our_packets`]. The periodic gaps are a timing claim on a shared
/// host (one late packet makes two gaps out of range): a window failing them is taken again,
/// and 2 of up to 3 windows must pass (the other checks hold on every one). The last window.
fn checked_window(lab: &Lab, us: IpAddr, port: u16, ttl: u8, ms: u32) -> Vec<Seen> {
    let mut fails = Vec::new();
    let mut passes = 0;
    loop {
        let seen = packet_window(lab, us);
        match check_our_packets(&seen, us, port, ttl, ms) {
            Ok(()) => passes += 1,
            Err(e) => {
                eprintln!("{e}: taking another window");
                fails.push(e);
            }
        }
        assert!(fails.len() < 2, "{fails:?}");
        if passes == 2 || (passes == 1 && fails.is_empty()) {
            return seen;
        }
    }
}

/// Our packets of a session that is Up: TTL/hop limit, ports, intervals (asserted); the
/// periodic gaps (returned).
fn check_our_packets(seen: &[Seen], us: IpAddr, port: u16, ttl: u8, ms: u32) -> Result<(), String> {
    let ours: Vec<&Seen> = seen.iter().filter(|s| s.src == us).collect();
    assert!(!ours.is_empty(), "no packet from {us} on the wire");
    for s in &ours {
        assert_eq!(s.dport, port, "{s:?}");
        assert!((49152..=65535).contains(&s.sport), "{s:?}");
        assert_eq!(s.ttl, ttl, "{s:?}");
        assert_ne!(s.my_discr, 0, "{s:?}");
    }
    let up: Vec<&&Seen> = ours.iter().filter(|s| s.state == State::Up).collect();
    assert!(!up.is_empty(), "no Up packet from {us}");
    let last = up.last().unwrap();
    assert_eq!(last.min_tx, ms * 1000, "{last:?}");
    assert_eq!(last.min_rx, ms * 1000, "{last:?}");
    assert_eq!(last.mult, 3);
    // RFC 5880 6.8.7: periodic packets 75-100 % of the interval apart (immediate ones, Finals
    // and state changes, come sooner; so look at the gaps between Up packets without flags).
    let plain: Vec<Duration> = up
        .iter()
        .filter(|s| !s.poll && !s.fin)
        .map(|s| s.stamp())
        .collect();
    let gaps: Vec<Duration> = plain
        .windows(2)
        .map(|w| w[1].saturating_sub(w[0]))
        .collect();
    let interval = Duration::from_millis(u64::from(ms));
    let within = gaps
        .iter()
        .filter(|g| {
            **g >= interval * 3 / 4 - Duration::from_micros(500)
                && **g <= interval + Duration::from_millis(2)
        })
        .count();
    if gaps.len() >= 5 && within * 10 >= gaps.len() * 9 {
        return Ok(());
    }
    Err(format!(
        "periodic gaps outside 75-100 % of {interval:?}: {within} of {} within; {gaps:?}",
        gaps.len()
    ))
}

/// Freezes `pid` (the peer) and measures on the wire from the peer's last packet to our first
/// Down packet with diagnostic 1; thaws it. Never early: each measurement is at least `detect`
/// minus 1 ms. Late by at most 2 ms: the median of up to three freezes (each once the session
/// is back to the parameters it had at the first) is within `detect` + 2 ms, and every one
/// within `detect` + 50 ms (see [`common::median_within`]: one measurement on a loaded host
/// may be late with nothing wrong in the daemon; a detection timer that never fires or runs a
/// whole interval late is not).
fn freeze_and_measure(lab: &Lab, pid: i32, peer: IpAddr, us: IpAddr, detect: Duration) {
    let steady = steady_params(lab, peer, us);
    let mut rounds = 0;
    let took = common::median_within(
        "detection",
        detect + Duration::from_millis(2),
        detect + Duration::from_millis(50),
        || {
            if rounds > 0 {
                wait_steady(lab, peer, us, steady);
            }
            rounds += 1;
            measure_detection(lab, pid, peer, us, detect)
        },
    );
    println!("detection measurements {took:?} (detection time {detect:?})");
}

/// (min_tx, min_rx, multiplier) of the peer's and of our last periodic Up packets: the session
/// as the test set it up.
type Params = [(u32, u32, u8); 2];

fn steady_params(lab: &Lab, peer: IpAddr, us: IpAddr) -> Params {
    let seen =
        bfd_packets(&lab.frames_since(std::time::Instant::now() - Duration::from_millis(500)));
    [peer, us].map(|who| {
        let s = seen
            .iter()
            .rev()
            .find(|s| s.src == who && s.state == State::Up && !s.poll && !s.fin)
            .unwrap_or_else(|| panic!("no periodic Up packet from {who} before the freeze"));
        (s.min_tx, s.min_rx, s.mult)
    })
}

/// Waits until the last 5 packets of each side are periodic Up packets with `steady`'s
/// parameters (after a thaw: Down, Up again at the slow rate, then Poll/Final back to them).
fn wait_steady(lab: &Lab, peer: IpAddr, us: IpAddr, steady: Params) {
    let t = std::time::Instant::now();
    let ok = poll_until(Duration::from_secs(10), || {
        let seen = bfd_packets(&lab.frames_since(t));
        [peer, us].iter().zip(steady).all(|(&who, want)| {
            let last: Vec<&Seen> = seen.iter().filter(|s| s.src == who).collect();
            last.len() >= 5
                && last[last.len() - 5..].iter().all(|s| {
                    s.state == State::Up
                        && !s.poll
                        && !s.fin
                        && (s.min_tx, s.min_rx, s.mult) == want
                })
        })
    });
    assert!(
        ok,
        "the session did not come back Up with {steady:?} after the thaw"
    );
}

/// One freeze of `pid`: from the peer's last packet to our first Down packet (diagnostic 1) after
/// the freeze, on the wire; the peer thawed again. Never early.
fn measure_detection(lab: &Lab, pid: i32, peer: IpAddr, us: IpAddr, detect: Duration) -> Duration {
    let t = std::time::Instant::now();
    let frozen = Frozen::new(pid);
    let mut found = None;
    common::poll_every(
        detect * 4 + Duration::from_secs(1),
        Duration::from_millis(10),
        || {
            let seen = bfd_packets(&lab.frames_since(t - Duration::from_millis(500)));
            let down = seen.iter().position(|s| {
                s.at >= t
                    && s.src == us
                    && s.state == State::Down
                    && s.diag == Diag::ControlDetectionTimeExpired
            });
            if let Some(d) = down {
                let last_peer = seen[..d].iter().rev().find(|s| s.src == peer);
                found = last_peer.map(|p| seen[d].stamp().saturating_sub(p.stamp()));
            }
            found.is_some()
        },
    );
    drop(frozen);
    let took = found.expect("no Down packet (diag 1) after the peer froze");
    println!(
        "detection: peer's last packet -> our Down packet {took:?} (detection time {detect:?})"
    );
    assert!(
        took + Duration::from_millis(1) >= detect,
        "Down too early: {took:?}"
    );
    took
}

/// Waits for a Poll from `from` and a Final from `to` after it, on the wire since `t`.
fn wait_poll_final(lab: &Lab, t: std::time::Instant, from: IpAddr, to: IpAddr, what: &str) {
    let ok = poll_until(Duration::from_secs(5), || {
        let seen = bfd_packets(&lab.frames_since(t));
        seen.iter()
            .position(|s| s.src == from && s.poll)
            .is_some_and(|p| seen[p..].iter().any(|s| s.src == to && s.fin))
    });
    assert!(
        ok,
        "{what}: no Poll from {from} answered by a Final from {to}"
    );
}

fn frr_logs(rs: &Side, frr: &Frr) -> String {
    format!(
        "ours:\n{}\nfrr:\n{}",
        rs.daemon.log(),
        frr.vtysh(&["show bfd peers"])
    )
}

/// Waits until session `name` is Up on our side and FRR reports `us` up.
fn wait_up_with_frr(rs: &Side, frr: &Frr, name: &str, us: IpAddr) {
    assert!(
        rs.daemon
            .wait_for(
                &format!("({name}) Entering Up state"),
                Duration::from_secs(10)
            )
            .is_some(),
        "never Up\n{}",
        frr_logs(rs, frr)
    );
    assert!(
        frr.wait_status(&us.to_string(), "up", Duration::from_secs(5)),
        "FRR: not up\n{}",
        frr_logs(rs, frr)
    );
}

fn frr_single_hop(v6: bool) {
    if !can_run() {
        return;
    }
    let mut lab = Lab::new(if v6 { "bf6" } else { "bf4" }, 2);
    lab.capture();
    let dir = TempDir::new("bfd-frr");
    let (us, peer) = (addr(&lab, 0, v6), addr(&lab, 1, v6));
    let frr = Frr::start(&lab.routers[1].ns, &frr_conf(us, peer, 50, false));
    frr.realtime();
    let mut rs = start_rs(
        &lab,
        0,
        dir.path(),
        &rs_conf(&ours("frr", peer, us, 50, "")),
    );
    let logs = |rs: &Side| frr_logs(rs, &frr);
    wait_up_with_frr(&rs, &frr, "frr", us);
    let seen = checked_window(&lab, us, 3784, 255, 50);
    assert!(seen.iter().any(|s| s.src == peer && s.state == State::Up));

    // FRR changes its transmit interval: its Poll, our Final.
    let t = std::time::Instant::now();
    let peer_cmd = format!("peer {us} local-address {peer}");
    frr.vtysh(&[
        "configure terminal",
        "bfd",
        &peer_cmd,
        "transmit-interval 20",
    ]);
    wait_poll_final(&lab, t, peer, us, "FRR transmit-interval 50 -> 20");
    // We change ours on reload: our Poll, FRR's Final; the session stays Up on both sides.
    let t = std::time::Instant::now();
    std::fs::write(&rs.conf, rs_conf(&ours("frr", peer, us, 30, ""))).unwrap();
    rs.daemon.signal(libc::SIGHUP);
    wait_poll_final(&lab, t, us, peer, "our min_tx/min_rx 50 -> 30 on SIGHUP");
    assert!(
        poll_until(Duration::from_secs(2), || bfd_packets(&lab.frames_since(
            std::time::Instant::now() - Duration::from_millis(200)
        ))
        .iter()
        .any(|s| s.src == us
            && s.state == State::Up
            && s.min_tx == 30_000
            && !s.poll)),
        "our new interval never settled\n{}",
        logs(&rs)
    );
    assert!(
        !rs.daemon.log().contains("Entering Down"),
        "the session flapped\n{}",
        logs(&rs)
    );

    // Freeze FRR: detection = FRR's multiplier 3 x max(our min_rx 30 ms, its min tx 20 ms).
    freeze_and_measure(&lab, frr.bfdd_pid(), peer, us, Duration::from_millis(90));
    assert!(
        rs.daemon
            .wait_for(
                "(frr) Entering Down state (Local diagnostic - Control Detection Time Expired",
                Duration::from_secs(2)
            )
            .is_some(),
        "no Down log line\n{}",
        logs(&rs)
    );
    // Thawed, it comes back.
    let ups = rs.daemon.log().matches("(frr) Entering Up state").count();
    assert!(
        poll_until(Duration::from_secs(10), || rs
            .daemon
            .log()
            .matches("(frr) Entering Up state")
            .count()
            > ups),
        "not Up again after the thaw\n{}",
        logs(&rs)
    );
    rs.daemon.signal(libc::SIGTERM);
    assert!(rs.daemon.wait_exit(Duration::from_secs(5)).is_some());
}

#[test]
fn frr_single_hop_ipv4() {
    frr_single_hop(false);
}

#[test]
fn frr_single_hop_ipv6() {
    frr_single_hop(true);
}

fn keepalived_single_hop(v6: bool) {
    if !can_run() {
        return;
    }
    let mut lab = Lab::new(if v6 { "bk6" } else { "bk4" }, 2);
    lab.capture();
    let dir = TempDir::new("bfd-ka");
    let (us, peer) = (addr(&lab, 0, v6), addr(&lab, 1, v6));
    let (mut ka, bfd_pid) = start_ka(&lab, 1, dir.path(), &ours("ka", us, peer, 50, ""));
    let rs = start_rs(&lab, 0, dir.path(), &rs_conf(&ours("ka", peer, us, 50, "")));
    let logs = || {
        format!(
            "ours:\n{}\nkeepalived:\n{}",
            rs.daemon.log(),
            ka.daemon.log()
        )
    };
    for (who, d) in [("ours", &rs.daemon), ("keepalived", &ka.daemon)] {
        assert!(
            d.wait_for("(ka) Entering Up state", Duration::from_secs(10))
                .is_some(),
            "{who} never Up\n{}",
            logs()
        );
    }
    checked_window(&lab, us, 3784, 255, 50);

    // keepalived changes its intervals on reload: its Poll, our Final.
    let t = std::time::Instant::now();
    std::fs::write(&ka.conf, ours("ka", us, peer, 20, "")).unwrap();
    ka.daemon.signal(libc::SIGHUP);
    wait_poll_final(&lab, t, peer, us, "keepalived min_tx 50 -> 20 on reload");

    // Freeze keepalived's BFD child: detection = 3 x max(50, 20) ms.
    let pid = pid_in(&bfd_pid);
    freeze_and_measure(&lab, pid, peer, us, Duration::from_millis(150));
    ka.daemon.signal(libc::SIGTERM);
    let _ = ka.daemon.wait_exit(Duration::from_secs(5));
}

#[test]
fn keepalived_single_hop_ipv4() {
    keepalived_single_hop(false);
}

#[test]
fn keepalived_single_hop_ipv6() {
    keepalived_single_hop(true);
}

/// Multihop (RFC 5883, port 4784) through router 1 to a namespace behind it: FRR's packets
/// arrive with TTL 254, accepted with `max_hops 1`; ours leave with 255.
#[test]
fn frr_multihop_ipv4_through_a_router() {
    if !can_run() {
        return;
    }
    let mut lab = Lab::new("bmh", 2);
    let far = routed(&lab);
    lab.capture();
    let dir = TempDir::new("bfd-mh");
    let us = addr(&lab, 0, false);
    let peer = IpAddr::V4(far.far_v4);
    let frr = Frr::start(&far.far.0, &frr_conf(us, peer, 50, true));
    frr.realtime();
    let rs = start_rs(
        &lab,
        0,
        dir.path(),
        &rs_conf(&ours("mh", peer, us, 50, "    multihop\n    max_hops 1\n")),
    );
    wait_up_with_frr(&rs, &frr, "mh", us);
    let seen = checked_window(&lab, us, 4784, 255, 50);
    // On the bridge (between us and the router) FRR's packets have crossed one router.
    assert!(
        seen.iter()
            .any(|s| s.src == peer && s.ttl == 254 && s.dport == 4784),
        "no forwarded packet from FRR"
    );
    freeze_and_measure(&lab, frr.bfdd_pid(), peer, us, Duration::from_millis(150));
}

/// Sends `packets` from namespace `ns`, from `src` with TTL `ttl`, to `dst` port 3784.
fn send_from(ns: &str, src: IpAddr, dst: IpAddr, ttl: u32, packets: Vec<Vec<u8>>) {
    let ns = ns.to_string();
    std::thread::spawn(move || {
        common::lab::enter_ns(&ns).expect("enter namespace");
        let s = std::net::UdpSocket::bind((src, 0)).unwrap_or_else(|e| panic!("bind {src}: {e}"));
        s.set_ttl(ttl).expect("ttl");
        for p in packets {
            s.send_to(&p, (dst, 3784)).expect("send");
        }
    })
    .join()
    .expect("sender thread");
}

/// A BFD control packet in state Down (RFC 5880 4.1).
fn control(version: u8, my: u32, your: u32) -> Vec<u8> {
    let mut p = vec![version << 5, 1 << 6, 3, 24];
    p.extend_from_slice(&my.to_be_bytes());
    p.extend_from_slice(&your.to_be_bytes());
    p.extend_from_slice(&1_000_000u32.to_be_bytes());
    p.extend_from_slice(&50_000u32.to_be_bytes());
    p.extend_from_slice(&0u32.to_be_bytes());
    p
}

/// Bad input on the BFD port is counted by reason in the statistics dump and changes nothing:
/// a packet one hop away (TTL 254) for a single-hop session, a wrong version, a truncated one,
/// an unknown Your Discriminator, and random bytes. A good packet from the same source then
/// reaches the session. The daemon keeps running.
#[test]
fn bad_packets_are_counted_by_reason() {
    if !can_run() {
        return;
    }
    let lab = Lab::new("bbad", 2);
    let dir = TempDir::new("bfd-bad");
    let (us, peer) = (addr(&lab, 0, false), addr(&lab, 1, false));
    let stats = dir.path().join("stats");
    let conf = format!(
        "global_defs {{\n    stats_dump_file {}\n}}\n{}",
        stats.display(),
        ours("bad", peer, us, 50, "")
    );
    let mut rs = start_rs(&lab, 0, dir.path(), &conf);
    assert!(
        rs.daemon
            .wait_for("BFD: 1 session(s) running", Duration::from_secs(5))
            .is_some(),
        "{}",
        rs.daemon.log()
    );
    let ns1 = lab.routers[1].ns.clone();
    send_from(&ns1, peer, us, 254, vec![control(1, 7, 0)]);
    send_from(
        &ns1,
        peer,
        us,
        255,
        vec![
            control(2, 7, 0),
            control(1, 7, 0)[..20].to_vec(),
            control(1, 7, 0x1234_5678),
        ],
    );
    // 200 random datagrams (a fixed xorshift sequence, 1-64 bytes).
    let mut x = 0x2545_f491_4f6c_dd1du64;
    let mut noise = Vec::new();
    for _ in 0..200 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let len = 1 + (x % 64) as usize;
        noise.push(
            (0..len)
                .map(|i| (x >> (i % 8 * 8)) as u8 ^ i as u8)
                .collect(),
        );
    }
    send_from(&ns1, peer, us, 255, noise);
    send_from(&ns1, peer, us, 255, vec![control(1, 7, 0)]);
    let read = || std::fs::read_to_string(&stats).unwrap_or_default();
    let field = |text: &str, key: &str| -> Option<u64> {
        text.lines()
            .find(|l| l.trim_start().starts_with(key))?
            .rsplit(':')
            .next()?
            .trim()
            .parse()
            .ok()
    };
    let ok = poll_until(Duration::from_secs(5), || {
        let _ = std::fs::remove_file(&stats);
        rs.daemon.signal(libc::SIGUSR2);
        common::poll_every(
            Duration::from_millis(500),
            Duration::from_millis(10),
            || field(&read(), "Datagrams").is_some(),
        ) && field(&read(), "Datagrams") == Some(205)
    });
    let text = read();
    assert!(
        ok,
        "not every datagram counted:\n{text}\n{}",
        rs.daemon.log()
    );
    assert_eq!(field(&text, "Dropped, TTL below"), Some(1), "{text}");
    assert!(field(&text, "Dropped, wrong version") >= Some(1), "{text}");
    assert!(field(&text, "Dropped, bad length") >= Some(1), "{text}");
    assert!(field(&text, "Dropped, no session") >= Some(1), "{text}");
    // The good one (and nothing else: random bytes never pass the checks and the lookup).
    assert_eq!(field(&text, "Packets received"), Some(1), "{text}");
    let dropped: u64 = text
        .lines()
        .filter(|l| l.trim_start().starts_with("Dropped"))
        .filter_map(|l| l.rsplit(':').next()?.trim().parse::<u64>().ok())
        .sum();
    assert_eq!(dropped + 1, 205, "{text}");
    assert!(
        rs.daemon.wait_exit(Duration::from_millis(1)).is_none(),
        "daemon died"
    );
    rs.daemon.signal(libc::SIGTERM);
    assert!(
        rs.daemon
            .wait_exit(Duration::from_secs(5))
            .is_some_and(|s| s.success())
    );
}
