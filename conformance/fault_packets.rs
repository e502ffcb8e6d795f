//! The fault suite, packets: hostile VRRP senders against a live pair.
//!
//! A bridge with three namespaces: r0 runs keepalived-rs (master, priority 150, with `-D`), r1
//! runs Debian's keepalived 2.2.7 (backup, priority 100), r2 is an attacker with a raw socket.
//! Two instances: `VI_3` (VRRPv3, keepalived's pseudo-header checksum) and `VI_2` (VRRPv2,
//! `auth_type PASS`). The attacker sends every malformation, strangers with and without the
//! password, lower-priority strangers, and the spoofed checksum variant of issue 11 defect 1;
//! then a flood. Asserted, all from the kernel, the wire and the daemons' own files:
//!
//! - no VIP is ever on two routers (both namespaces' addresses watched continuously);
//! - keepalived never rejects our adverts' checksum, and they keep the configured variant;
//! - every hostile packet is counted: the per-instance drop counters plus the daemon-wide ones
//!   of the SIGUSR2 statistics file (those the kernel dropped for a full buffer included, as
//!   /proc/net/raw counts them) add up to what was sent;
//! - a lower-priority stranger gets at most about one answer per advert interval;
//! - under a flood, `-D` logs a bounded number of lines.
//!
//! `hostile_bfd_packets_against_a_tracked_session`: a BFD session between keepalived-rs (r0)
//! and keepalived's `bfd_instance` (r1), with a VRRP instance on r0 tracking it (`track_bfd`)
//! and keepalived as its backup. From r2, over UDP to port 3784: every malformation of RFC 5880
//! 6.8.6, strangers with the right discriminators (Up, Down, AdminDown), and the peer's address
//! spoofed with the right discriminators but a TTL below 255 (GTSM, RFC 5881 5), 5 of each;
//! then a flood of 5,000 at full speed (over within the detection time; the kernel drops a
//! part for a full buffer). Asserted: each is counted under its reason in the statistics file
//! (exactly, by reason; the kernel's drops as the kernel's, the number /proc/net/udp gives),
//! every datagram is a drop or the peer's, the session never leaves Up, keepalived never
//! becomes master, the VIP is never on two routers, and the daemon keeps running.
//!
//! `hostile_vrrp_over_ipv6_and_unicast_against_a_keepalived_pair`: `VI_6` (VRRPv3 over IPv6)
//! and `VI_U` (VRRPv2 unicast with `check_unicast_src` and the peer's `min_ttl 255`). Over IPv6:
//! hop limits 64 and 1, a bad checksum, a truncated message, an unknown VRID, a zero interval,
//! version 2, type 2, two addresses, and lower-priority strangers; to the unicast instance:
//! strangers (lower and higher priority, TTL 64), the peer's address spoofed with a TTL below
//! its `min_ttl` or a bad checksum, a truncated datagram and an unknown VRID. Asserted: each
//! counted under its reason (exactly); the IPv6 ones whose checksum fails are dropped by the
//! kernel (`IPV6_CHECKSUM`) and counted as the kernel's drops (the number /proc/net/raw6
//! gives); keepalived stays backup and never logs our addresses; no VIP on two routers.
//!
//! Needs root, `ip` and keepalived; without them it prints one `SKIP` line (a failure under
//! `KEEPALIVED_RS_FULL_TESTS=1`).

mod common;

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::lab::{AddrEvent, AddrWatch, Lab, enter_ns};
use common::{Daemon, TempDir, poll_until};
use keepalived_rs::sys::raw::{RawIpSocket, if_index};
use keepalived_rs::wire::bfd as wb;
use keepalived_rs::wire::vrrp::{self as wv, Addresses, ChecksumVariant};
use keepalived_rs::wire::{self, IpPair, ipv4};

const VRID3: u8 = 61;
const VRID2: u8 = 62;
const PW: &[u8; 8] = b"krs-pw01";
const GROUP: Ipv4Addr = Ipv4Addr::new(224, 0, 0, 18);

fn can_run() -> bool {
    common::lab::prerequisites(Some(
        "keepalived not installed: it is the peer of the fault suite",
    ))
}

fn config(lab: &Lab, rs: bool, dir: &Path) -> String {
    let net = lab.net;
    let (prio, state) = if rs { (150, "MASTER") } else { (100, "BACKUP") };
    let mut c = String::from("global_defs {\n    router_id ");
    c += if rs { "rs\n" } else { "ka\n" };
    if rs {
        c += &format!(
            "    stats_dump_file {}\n    json_dump_file {}\n",
            dir.join("stats").display(),
            dir.join("json").display()
        );
    }
    c += "}\n";
    for (name, vrid, version, vip) in [("VI_3", VRID3, 3, 100), ("VI_2", VRID2, 2, 101)] {
        c += &format!(
            "vrrp_instance {name} {{\n    state {state}\n    interface eth0\n    virtual_router_id {vrid}\n    priority {prio}\n    version {version}\n    advert_int 1\n"
        );
        if version == 2 {
            c +=
                "    authentication {\n        auth_type PASS\n        auth_pass krs-pw01\n    }\n";
        }
        c += &format!("    virtual_ipaddress {{\n        10.99.{net}.{vip}/24\n    }}\n}}\n");
    }
    c
}

/// What a hostile packet looks like before it is mangled.
#[derive(Clone, Copy)]
struct Spec {
    vrid: u8,
    version: u8,
    prio: u8,
    ttl: u8,
    /// v3: centiseconds; v2: seconds.
    interval: u16,
    /// v2 authentication (type, data).
    auth: (wv::AuthType, [u8; 8]),
    variant: ChecksumVariant,
    /// How many VIPs to list: the right one, then extra ones.
    naddrs: usize,
}

/// The VRRP version fields of `s`.
fn version_of(s: Spec) -> wv::Version {
    if s.version == 3 {
        wv::Version::V3 {
            max_advert_int: s.interval,
            reserved: 0,
        }
    } else {
        wv::Version::V2 {
            auth_type: s.auth.0,
            advert_int: s.interval as u8,
            auth_data: s.auth.1,
        }
    }
}

/// Builds one IPv4 datagram (header included) from the attacker to the VRRP group.
fn build(src: Ipv4Addr, vip: Ipv4Addr, s: Spec) -> Vec<u8> {
    build_to(src, GROUP, vip, s)
}

/// Builds one IPv4 datagram (header included) from `src` to `dst`.
fn build_to(src: Ipv4Addr, dst: Ipv4Addr, vip: Ipv4Addr, s: Spec) -> Vec<u8> {
    let mut addrs = vec![vip];
    for k in 0..s.naddrs.saturating_sub(1) {
        addrs.push(Ipv4Addr::new(10, 250, 0, k as u8 + 1));
    }
    addrs.truncate(s.naddrs);
    let repr = wv::Repr {
        version: version_of(s),
        msg_type: wv::Type::Advertisement,
        vrid: s.vrid,
        priority: s.prio,
        addresses: Addresses::V4(&addrs),
    };
    let mut ip = ipv4::Repr::vrrp(src, dst, 0, 0);
    ip.ttl = s.ttl;
    let mut buf = vec![0u8; 1500];
    let n = wv::emit_ipv4_datagram(&mut buf, &ip, &repr, s.variant).expect("emit");
    buf.truncate(n);
    buf
}

/// Rewrites the VRRP checksum of datagram `d` under `variant` (after a mangling).
fn refill(d: &mut [u8], variant: ChecksumVariant) {
    let src = Ipv4Addr::new(d[12], d[13], d[14], d[15]);
    let dst = Ipv4Addr::new(d[16], d[17], d[18], d[19]);
    let mut p = wv::Packet::new_unchecked(&mut d[20..], wire::Family::V4);
    p.fill_checksum(&IpPair::V4 { src, dst }, variant)
        .expect("checksum");
}

/// The attacker: a raw socket opened in r2's namespace (usable from any thread afterwards).
struct Attacker {
    sock: RawIpSocket,
    src: Ipv4Addr,
    sent: usize,
}

impl Attacker {
    fn new(ns: &str, src: Ipv4Addr) -> Attacker {
        let ns = ns.to_string();
        let sock = std::thread::spawn(move || {
            enter_ns(&ns).expect("enter attacker namespace");
            RawIpSocket::v4("eth0", if_index("eth0").expect("eth0")).expect("raw socket")
        })
        .join()
        .expect("attacker thread");
        Attacker { sock, src, sent: 0 }
    }

    fn send(&mut self, d: &[u8]) {
        // A full socket buffer under the flood: wait a little and try again.
        let ok = poll_until(Duration::from_secs(2), || {
            self.sock.send(d, IpAddr::V4(GROUP), None).is_ok()
        });
        assert!(ok, "attacker could not send");
        self.sent += 1;
    }

    /// Sends `n` copies of `d`, paced so that the receiver's socket buffer never overflows (the
    /// count must add up): bursts of 20, then 5 ms.
    fn send_n(&mut self, d: &[u8], n: usize) {
        for k in 0..n {
            self.send(d);
            if k % 20 == 19 {
                std::thread::sleep(Duration::from_millis(5));
            }
        }
    }
}

/// The statistics file as numbers: `(section, heading/key) -> value`; the section is the
/// `VRRP Instance: NAME` or any other unindented line.
type Stats = BTreeMap<(String, String), u64>;

fn parse_stats(text: &str) -> Stats {
    let mut out = Stats::new();
    let mut section = String::new();
    let mut heading = String::new();
    for line in text.lines() {
        let indent = line.len() - line.trim_start().len();
        let t = line.trim();
        if indent == 0 {
            section = t.trim_end_matches(':').to_string();
            heading.clear();
            continue;
        }
        match t.rsplit_once(':') {
            Some((k, v)) if !v.trim().is_empty() => {
                if let Ok(n) = v.trim().parse::<u64>() {
                    let key = if indent >= 4 {
                        format!("{heading}/{k}")
                    } else {
                        k.to_string()
                    };
                    out.insert((section.clone(), key), n);
                }
            }
            _ => {
                if indent == 2 {
                    heading = t.trim_end_matches(':').to_string();
                }
            }
        }
    }
    out
}

/// Per-instance drops (every error counter) and the daemon-wide ones (the kernel's included).
fn drops(s: &Stats) -> (BTreeMap<String, u64>, u64) {
    let mut per = BTreeMap::new();
    let mut global = 0;
    for ((sec, key), n) in s {
        if let Some(name) = sec.strip_prefix("VRRP Instance: ") {
            let counted = key.starts_with("Packet Errors/")
                || key.starts_with("Authentication Errors/")
                || key.starts_with("Other drops (keepalived-rs)/");
            if counted {
                *per.entry(name.to_string()).or_insert(0) += n;
            }
        } else if sec.starts_with("VRRP datagrams")
            && matches!(
                key.as_str(),
                "Malformed" | "Unknown VRID" | "Dropped by the kernel"
            )
        {
            global += n;
        }
    }
    (per, global)
}

/// The daemon's count of the datagrams the kernel dropped on its VRRP sockets.
fn kernel_key(s: &Stats) -> u64 {
    let key = (
        "VRRP datagrams (keepalived-rs)".to_string(),
        "Dropped by the kernel".to_string(),
    );
    s.get(&key).copied().unwrap_or(0)
}

/// Total time during which both routers held `vip`, from the two watches (no address at start).
fn overlap(w0: &[AddrEvent], w1: &[AddrEvent], vip: IpAddr) -> (Duration, usize) {
    let mut ev: Vec<(Instant, usize, bool)> = w0
        .iter()
        .filter(|e| e.addr == vip)
        .map(|e| (e.at, 0, e.added))
        .chain(
            w1.iter()
                .filter(|e| e.addr == vip)
                .map(|e| (e.at, 1, e.added)),
        )
        .collect();
    ev.sort_by_key(|e| e.0);
    let mut held = [false; 2];
    let mut total = Duration::ZERO;
    let mut times = 0;
    let mut since: Option<Instant> = None;
    for (at, who, added) in ev {
        held[who] = added;
        match (held == [true, true], since) {
            (true, None) => {
                since = Some(at);
                times += 1;
            }
            (false, Some(t)) => {
                total += at - t;
                since = None;
            }
            _ => {}
        }
    }
    if let Some(t) = since {
        total += Instant::now() - t;
    }
    (total, times)
}

struct Pair {
    lab: Lab,
    dir: TempDir,
    rs: Daemon,
    ka: Daemon,
    watch: [AddrWatch; 2],
}

impl Pair {
    fn vip(&self, last: u8) -> String {
        format!("10.99.{}.{last}", self.lab.net)
    }

    /// SIGUSR2, then the fresh statistics file.
    fn stats(&self) -> Stats {
        let path: PathBuf = self.dir.path().join("stats");
        parse_stats(&stats_text(&self.rs, &path, "VRRP Instance: VI_2"))
    }

    /// keepalived-rs's log lines so far, without those of the statistics signals.
    fn log_lines(&self) -> usize {
        self.rs
            .log()
            .lines()
            .filter(|l| !l.contains("signal 12") && !l.contains("(Stats)"))
            .count()
    }
}

/// SIGUSR2 to `rs`, then the text of the fresh statistics file `path` once it holds `needle`
/// (the file is written whole, then renamed: a part that comes last).
fn stats_text(rs: &Daemon, path: &Path, needle: &str) -> String {
    let _ = std::fs::remove_file(path);
    rs.signal(libc::SIGUSR2);
    let mut text = String::new();
    let ok = poll_until(Duration::from_secs(3), || {
        text = std::fs::read_to_string(path).unwrap_or_default();
        text.contains(needle)
    });
    assert!(ok, "no statistics file written:\n{}", rs.log());
    text
}

/// Our adverts (source r0) for `vrid` captured since `t`: (time, checksum verifies under
/// `variant`).
fn our_adverts(lab: &Lab, t: Instant, vrid: u8, variant: ChecksumVariant) -> Vec<(Instant, bool)> {
    let me = lab.routers[0].v4;
    common::lab::vrrp_frames(&lab.frames_since(t))
        .into_iter()
        .filter_map(|(at, f)| {
            let (ip, pkt) = wv::ipv4_datagram(f.get(14..)?).ok()?;
            (ip.src_addr == me && pkt.vrid() == vrid).then(|| {
                let pair = IpPair::V4 {
                    src: ip.src_addr,
                    dst: ip.dst_addr,
                };
                (at, pkt.verify_checksum(&pair, variant))
            })
        })
        .collect()
}

/// The lab of a hostile test: r0 runs keepalived-rs, r1 keepalived, r2 is the attacker; the
/// bridge is captured and both routers' addresses watched; the daemons run `config(lab, rs,
/// dir)` (`rs`: keepalived-rs's file), with their files under `dir`.
fn start_lab(
    tag: &str,
    config: impl Fn(&Lab, bool, &Path) -> String,
) -> (Lab, TempDir, [AddrWatch; 2], Daemon, Daemon) {
    let mut lab = Lab::new(tag, 3);
    lab.capture();
    let dir = TempDir::new(&format!("fault-{tag}"));
    let watch = [
        AddrWatch::new(&lab.routers[0].ns),
        AddrWatch::new(&lab.routers[1].ns),
    ];
    let mut daemons = Vec::new();
    for (i, rs) in [(0usize, true), (1, false)] {
        let run = dir.path().join(format!("r{i}"));
        std::fs::create_dir_all(&run).unwrap();
        let conf = run.join("keepalived.conf");
        std::fs::write(&conf, config(&lab, rs, dir.path())).unwrap();
        let mut cmd = common::lab::daemon_cmd(&lab.routers[i].ns, !rs, &conf, &run);
        daemons.push(Daemon::start_cmd(&mut cmd));
    }
    let ka = daemons.pop().unwrap();
    let rs = daemons.pop().unwrap();
    (lab, dir, watch, rs, ka)
}

#[test]
fn hostile_vrrp_packets_against_a_keepalived_pair() {
    if !can_run() {
        return;
    }
    let started = Instant::now();
    let (lab, dir, watch, rs, ka) = start_lab("fp", config);
    let p = Pair {
        lab,
        dir,
        rs,
        ka,
        watch,
    };
    let (vip3, vip2) = (p.vip(100), p.vip(101));
    let vip3a: Ipv4Addr = vip3.parse().unwrap();
    let vip2a: Ipv4Addr = vip2.parse().unwrap();
    let converged = poll_until(Duration::from_secs(10), || {
        p.lab.holders(&vip3) == [0]
            && p.lab.holders(&vip2) == [0]
            && p.ka.log().matches("Entering BACKUP STATE").count() >= 2
    });
    assert!(
        converged,
        "no election: {:?} {:?}\n{}\n{}",
        p.lab.holders(&vip3),
        p.lab.holders(&vip2),
        p.rs.log(),
        p.ka.log()
    );
    let before = p.stats();
    let raw0 = raw_drops(&p.lab.routers[0].ns);
    let mut failures: Vec<String> = Vec::new();
    let mut att = Attacker::new(&p.lab.routers[2].ns, p.lab.routers[2].v4);
    let src = att.src;

    let v3 = Spec {
        vrid: VRID3,
        version: 3,
        prio: 50,
        ttl: 255,
        interval: 100,
        auth: (wv::AuthType::None, [0; 8]),
        variant: ChecksumVariant::Ipv4Pseudo,
        naddrs: 1,
    };
    let v2 = Spec {
        vrid: VRID2,
        version: 2,
        prio: 50,
        ttl: 255,
        interval: 1,
        auth: (wv::AuthType::Pass, *PW),
        variant: ChecksumVariant::Plain,
        naddrs: 1,
    };

    // 1. Every malformation, 5 of each, against both instances where it applies.
    let mut bad_checksums = 0;
    for (spec, vip) in [(v3, vip3a), (v2, vip2a)] {
        let good = build(src, vip, spec);
        let mut d = good.clone();
        d.truncate(20 + 6);
        att.send_n(&d, 5); // truncated
        let mut d = good.clone();
        d[20] = 0x41;
        refill(&mut d, spec.variant);
        att.send_n(&d, 5); // version 4
        let mut d = good.clone();
        d[20] = (spec.version << 4) | 2;
        refill(&mut d, spec.variant);
        att.send_n(&d, 5); // type 2
        att.send_n(&build(src, vip, Spec { ttl: 64, ..spec }), 5); // TTL
        let mut d = good.clone();
        d[26] ^= 0x5a;
        att.send_n(&d, 5); // checksum
        bad_checksums += 5;
        att.send_n(&build(src, vip, Spec { naddrs: 2, ..spec }), 5); // address count
        att.send_n(&build(src, vip, Spec { naddrs: 0, ..spec }), 5);
        att.send_n(
            &build(
                src,
                vip,
                Spec {
                    interval: 0,
                    ..spec
                },
            ),
            5,
        ); // zero interval
        att.send_n(&build(src, vip, Spec { vrid: 99, ..spec }), 5); // unknown VRID
    }
    // Strangers to the PASS instance: no password, a wrong one, an unknown auth type.
    for auth in [
        (wv::AuthType::None, [0; 8]),
        (wv::AuthType::Pass, *b"wrong-pw"),
        (wv::AuthType::Unknown(7), *PW),
    ] {
        att.send_n(&build(src, vip2a, Spec { auth, ..v2 }), 5);
    }

    // 2. Lower-priority strangers that pass every check (v2 with the password): the master
    // answers, at most about once per advert interval.
    let t_low = Instant::now();
    let (low3, low2) = (build(src, vip3a, v3), build(src, vip2a, v2));
    let mut accepted = 0;
    for _ in 0..40 {
        att.send(&low3);
        att.send(&low2);
        accepted += 2;
        std::thread::sleep(Duration::from_millis(25));
    }
    let low_window = t_low.elapsed();
    // Let the last answers reach the capture.
    let t_low_end = Instant::now() + Duration::from_millis(200);
    poll_until(Duration::from_millis(300), || Instant::now() >= t_low_end);
    let allowed = low_window.as_secs() as usize + 3;
    for (vrid, variant) in [
        (VRID3, ChecksumVariant::Ipv4Pseudo),
        (VRID2, ChecksumVariant::Plain),
    ] {
        let n = our_adverts(&p.lab, t_low, vrid, variant)
            .iter()
            .filter(|(at, _)| *at <= t_low_end)
            .count();
        eprintln!(
            "VRID {vrid}: {n} adverts from us during {low_window:?} of 40 lower-priority adverts"
        );
        if n > allowed {
            failures.push(format!(
                "VRID {vrid}: answered lower-priority strangers with {n} adverts in {low_window:?} (allowed {allowed})"
            ));
        }
    }

    // 3. Defect 1: the spoofed checksum variant. VRRPv3 with RFC 9568's checksum, TTL 1,
    // priority 1; and a v3-format packet (pseudo-header checksum) against the v2 PASS instance.
    let t_spoof = Instant::now();
    att.send(&build(
        src,
        vip3a,
        Spec {
            ttl: 1,
            prio: 1,
            variant: ChecksumVariant::Plain,
            ..v3
        },
    ));
    att.send(&build(
        src,
        vip2a,
        Spec {
            vrid: VRID2,
            prio: 1,
            ..v3
        },
    ));

    // 4. After the spoof: keepalived's Master_Down_Interval (3.6 s) and more. keepalived must
    // stay backup: watch its addresses until then.
    let until = t_spoof + Duration::from_millis(5500);
    let took_over = poll_until(until.saturating_duration_since(Instant::now()), || {
        p.lab.has_addr(1, &vip3) || p.lab.has_addr(1, &vip2)
    });
    if took_over {
        failures.push(format!(
            "keepalived took a VIP after the spoofed packets (after {:?})",
            t_spoof.elapsed()
        ));
    }
    for (vrid, variant) in [
        (VRID3, ChecksumVariant::Ipv4Pseudo),
        (VRID2, ChecksumVariant::Plain),
    ] {
        let ads = our_adverts(&p.lab, t_spoof, vrid, variant);
        let bad = ads.iter().filter(|(_, ok)| !ok).count();
        eprintln!(
            "VRID {vrid}: {} adverts since the spoof, {bad} not under the configured checksum",
            ads.len()
        );
        if bad > 0 || ads.len() < 3 {
            failures.push(format!(
                "VRID {vrid}: {bad} of {} adverts since the spoof without the configured checksum",
                ads.len()
            ));
        }
    }

    // 5. Flood with -D: the log stays bounded.
    let lines0 = p.log_lines();
    let t_flood = Instant::now();
    let ttl_bad = build(src, vip3a, Spec { ttl: 7, ..v3 });
    let unknown = build(src, vip3a, Spec { vrid: 98, ..v3 });
    let mut short = build(src, vip3a, v3);
    short.truncate(20 + 5);
    let flood_start = att.sent;
    for _ in 0..100 {
        att.send_n(&ttl_bad, 20);
        att.send_n(&unknown, 5);
        att.send_n(&short, 5);
    }
    let flood = att.sent - flood_start;
    let flood_time = t_flood.elapsed();
    // Every packet counted: poll the statistics until they add up (or time out). Those the
    // kernel dropped (a full socket buffer on a loaded machine) are counted by the daemon too,
    // from the sockets' own counters: compared with /proc/net/raw below.
    let want = (att.sent - accepted) as u64;
    let mut got = (BTreeMap::new(), 0);
    let counted = common::poll_every(Duration::from_secs(5), Duration::from_millis(200), || {
        let after = p.stats();
        let (per, global) = drops(&after);
        let (per0, global0) = drops(&before);
        let d: BTreeMap<String, u64> = per
            .iter()
            .map(|(k, v)| (k.clone(), v - per0.get(k).copied().unwrap_or(0)))
            .collect();
        got = (d, global - global0);
        got.0.values().sum::<u64>() + got.1 == want
    });
    let lines = p.log_lines() - lines0;
    eprintln!("flood: {flood} packets in {flood_time:?}: {lines} log lines");
    if lines > 60 {
        failures.push(format!(
            "flood of {flood} packets with -D: {lines} log lines"
        ));
    }
    let kernel_drops = raw_drops(&p.lab.routers[0].ns) - raw0;
    let ours = kernel_key(&p.stats()) - kernel_key(&before);
    if ours != kernel_drops {
        failures.push(format!(
            "the kernel dropped {kernel_drops} (/proc/net/raw), the statistics say {ours}"
        ));
    }
    eprintln!(
        "hostile packets sent {} (kernel drops {kernel_drops}); counted per instance {:?} + daemon-wide {}; accepted strangers {accepted}",
        att.sent - accepted,
        got.0,
        got.1
    );
    if !counted {
        failures.push(format!(
            "hostile packets that reached the daemon {want}; counted per instance {:?} + daemon-wide {}",
            got.0, got.1
        ));
    }

    // The malformations' windows (5 s) are over by now: their suppressed lines were summed up.
    let log = p.rs.log();
    for (inst, what) in [
        ("(VI_3) ", "(checksum,"),
        ("(VI_2) ", "(auth type mismatch,"),
        ("", "(unknown VRID,"),
    ] {
        let found = log
            .lines()
            .any(|l| l.contains(inst) && l.contains(&format!("more lines like the last {what}")));
        if !found {
            failures.push(format!("no rate-limit summary {inst}{what}"));
        }
    }

    // The same counters in `--status` (the JSON dump's builder): each instance's error keys
    // and the daemon-wide object add up to the statistics file's totals.
    let after = p.stats();
    let (per_total, global_total) = drops(&after);
    let out = std::process::Command::new(common::bin())
        .args(["--status", "-p"])
        .arg(p.dir.path().join("r0").join("rs.pid"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    match common::json::parse(&text) {
        Ok(j) => {
            let num = |o: &common::json::Json, k: &str| {
                o.get(k).and_then(|v| v.num()).unwrap_or(-1.0) as i64
            };
            let daemon = j.arr().first().and_then(|e| e.get("daemon"));
            let global = daemon.map_or(-1, |d| {
                num(d, "malformed") + num(d, "unknown_vrid") + num(d, "kernel_drops")
            });
            let errors: i64 = j
                .arr()
                .iter()
                .filter_map(|e| e.get("stats"))
                .map(|st| {
                    st.keys()
                        .iter()
                        .filter(|k| {
                            k.ends_with("_err")
                                || k.starts_with("invalid_")
                                || k.starts_with("auth")
                                || *k == "owner_ignored"
                        })
                        .map(|k| num(st, k))
                        .sum::<i64>()
                })
                .sum();
            let want = (per_total.values().sum::<u64>() as i64, global_total as i64);
            eprintln!(
                "--status: instance errors {errors}, daemon-wide {global}; statistics file {want:?}"
            );
            if (errors, global) != want {
                failures.push(format!(
                    "--status counts instance errors {errors} and daemon-wide {global}, the statistics file {want:?}"
                ));
            }
        }
        Err(e) => failures.push(format!("--status: {e}: {text}")),
    }

    // 6. keepalived never rejected our adverts' checksum (only the corrupt ones the attacker sent).
    let rejected = p.ka.log().matches("Invalid VRRPv").count();
    eprintln!(
        "keepalived checksum complaints: {rejected} (attacker's corrupt ones: {bad_checksums})"
    );
    if rejected > bad_checksums {
        failures.push(format!(
            "keepalived logged {rejected} invalid checksums, the attacker sent {bad_checksums}"
        ));
    }

    // 7. No VIP on two routers, during and after.
    let (w0, w1) = (p.watch[0].since(started), p.watch[1].since(started));
    for vip in [&vip3, &vip2] {
        let (both, times) = overlap(&w0, &w1, vip.parse().unwrap());
        eprintln!("{vip}: on both routers {times} times, {both:?} in all");
        if times > 0 {
            failures.push(format!(
                "{vip} on both routers {times} times, {both:?} in all"
            ));
        }
        if p.lab.holders(vip) != [0] {
            failures.push(format!("{vip} held by {:?} at the end", p.lab.holders(vip)));
        }
    }
    eprintln!("fault_packets took {:?}", started.elapsed());
    assert!(
        failures.is_empty(),
        "{}\n---- keepalived-rs:\n{}\n---- keepalived:\n{}",
        failures.join("\n"),
        tail(&p.rs.log(), 60),
        tail(&p.ka.log(), 60)
    );
}

/// Datagrams the kernel dropped (a full receive buffer) on the sockets of namespace `ns` listed
/// in `table` (`/proc/net/raw`, `raw6`, `udp`) whose local address ends in `port` (`:0070` for
/// the raw VRRP sockets, protocol 112; `:0EC8` for BFD's UDP 3784): their last column.
fn kernel_drops(ns: &str, table: &str, port: &str) -> u64 {
    let out = common::lab::ns_exec(ns, &["cat", &format!("/proc/net/{table}")]);
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .skip(1)
        .filter(|l| {
            l.split_whitespace()
                .nth(1)
                .is_some_and(|a| a.ends_with(port))
        })
        .filter_map(|l| l.split_whitespace().last()?.parse::<u64>().ok())
        .sum()
}

/// [`kernel_drops`] of the raw VRRP sockets (IPv4 and IPv6).
fn raw_drops(ns: &str) -> u64 {
    kernel_drops(ns, "raw", ":0070") + kernel_drops(ns, "raw6", ":0070")
}

/// The last lines of both daemons' logs, for a failure message.
fn logs(rs: &Daemon, ka: &Daemon) -> String {
    format!(
        "---- keepalived-rs:\n{}\n---- keepalived:\n{}",
        tail(&rs.log(), 60),
        tail(&ka.log(), 60)
    )
}

fn tail(s: &str, n: usize) -> String {
    let lines: Vec<&str> = s.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

// ---------------------------------------------------------------------------------------------
// Hostile BFD senders.

const VRID_BFD: u8 = 63;

/// The `global_defs` of r0 (with the statistics file in `dir`) or r1.
fn global_defs(rs: bool, dir: &Path) -> String {
    if rs {
        format!(
            "global_defs {{\n    router_id rs\n    stats_dump_file {}\n}}\n",
            dir.join("stats").display()
        )
    } else {
        "global_defs {\n    router_id ka\n}\n".to_string()
    }
}

/// r0 (keepalived-rs): BFD session `up` to r1, a VRRPv2 instance (priority 150) tracking it;
/// r1 (keepalived): the other end of `up` and the VRRP backup (priority 100). Detection time
/// 5 x 100 ms: long enough that a loaded test machine does not take the session down by itself.
fn bfd_config(lab: &Lab, rs: bool, dir: &Path) -> String {
    let (me, peer) = if rs { (0, 1) } else { (1, 0) };
    let mut c = global_defs(rs, dir);
    c += &format!(
        "bfd_instance up {{\n    neighbor_ip {}\n    source_ip {}\n    min_rx 100\n    min_tx 100\n    multiplier 5\n}}\n",
        lab.routers[peer].v4, lab.routers[me].v4
    );
    let (prio, state, track) = if rs {
        (150, "MASTER", "    track_bfd {\n        up\n    }\n")
    } else {
        (100, "BACKUP", "")
    };
    c += &format!(
        "vrrp_instance VB {{\n    state {state}\n    interface eth0\n    virtual_router_id {VRID_BFD}\n    priority {prio}\n    advert_int 1\n    virtual_ipaddress {{\n        10.99.{}.110/24\n    }}\n{track}}}\n",
        lab.net
    );
    c
}

/// A UDP socket made in namespace `ns`, bound to `bind`; `transparent` lets it send from an
/// address that is not the namespace's (`IP_TRANSPARENT`: the spoofed peer).
fn udp_in(ns: &str, bind: std::net::SocketAddrV4, transparent: bool) -> std::net::UdpSocket {
    use std::os::fd::FromRawFd;
    let ns = ns.to_string();
    std::thread::spawn(move || {
        enter_ns(&ns).expect("enter attacker namespace");
        // SAFETY: plain syscalls on a socket this thread made; the sockaddr is live for bind.
        unsafe {
            let fd = libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0);
            assert!(fd >= 0, "socket: {}", std::io::Error::last_os_error());
            let sock = std::net::UdpSocket::from_raw_fd(fd);
            if transparent {
                let one: libc::c_int = 1;
                let r = libc::setsockopt(
                    fd,
                    libc::IPPROTO_IP,
                    libc::IP_TRANSPARENT,
                    (&one as *const libc::c_int).cast(),
                    std::mem::size_of::<libc::c_int>() as u32,
                );
                assert_eq!(r, 0, "IP_TRANSPARENT: {}", std::io::Error::last_os_error());
            }
            let sa = libc::sockaddr_in {
                sin_family: libc::AF_INET as libc::sa_family_t,
                sin_port: bind.port().to_be(),
                sin_addr: libc::in_addr {
                    s_addr: u32::from_ne_bytes(bind.ip().octets()),
                },
                sin_zero: [0; 8],
            };
            let r = libc::bind(
                fd,
                (&sa as *const libc::sockaddr_in).cast(),
                std::mem::size_of::<libc::sockaddr_in>() as u32,
            );
            assert_eq!(r, 0, "bind {bind}: {}", std::io::Error::last_os_error());
            sock
        }
    })
    .join()
    .expect("attacker thread")
}

/// A control packet of the live session as the peer would send it (state Up).
fn bfd_bytes(my: u32, your: u32, edit: impl Fn(&mut wb::Repr<'static>)) -> Vec<u8> {
    let mut r = wb::Repr {
        diag: wb::Diag::None,
        state: wb::State::Up,
        flags: wb::Flags::default(),
        detect_mult: 5,
        my_discr: my,
        your_discr: your,
        desired_min_tx: 100_000,
        required_min_rx: 100_000,
        required_min_echo_rx: 0,
        auth: &[],
    };
    edit(&mut r);
    let mut buf = vec![0u8; r.buffer_len()];
    r.emit(&mut wb::Packet::new_unchecked(&mut buf[..]))
        .expect("emit");
    buf
}

/// One hostile BFD packet: what it is, its bytes, whether it is sent from the spoofed peer
/// address, its TTL, and the statistics line that must count it.
struct BfdHostile {
    what: &'static str,
    bytes: Vec<u8>,
    spoofed: bool,
    ttl: u32,
    counter: String,
}

/// Every malformation and spoof; `ours` is keepalived-rs's discriminator, `theirs` keepalived's.
fn bfd_hostiles(ours: u32, theirs: u32) -> Vec<BfdHostile> {
    use wb::State::{AdminDown, Down, Init};
    let good = bfd_bytes(theirs, ours, |_| {});
    let with = |f: &dyn Fn(&mut Vec<u8>)| {
        let mut b = good.clone();
        f(&mut b);
        b
    };
    let edit = |my, your, f: &dyn Fn(&mut wb::Repr<'static>)| bfd_bytes(my, your, f);
    let state = |your, st: wb::State| {
        bfd_bytes(theirs, your, |r| {
            r.state = st;
            if st == Down {
                r.diag = wb::Diag::NeighborSignaledSessionDown;
            }
        })
    };
    // From the stranger's own address, TTL 255 (unless said), and the reason that counts it.
    let stranger = |what, bytes, counter: &str| BfdHostile {
        what,
        bytes,
        spoofed: false,
        ttl: 255,
        counter: format!("Dropped, {counter}"),
    };
    // From the peer's address, with a TTL that GTSM refuses.
    let spoofed = |what, bytes, ttl| BfdHostile {
        what,
        bytes,
        spoofed: true,
        ttl,
        counter: "Dropped, TTL below ttl - max_hops".to_string(),
    };
    let auth_section: &'static [u8] = &[1, 7, 1, b'p', b'a', b's', b's'];
    let mut v = vec![
        stranger("truncated (20 bytes)", good[..20].to_vec(), "bad length"),
        stranger("one byte", vec![0x20], "bad length"),
        stranger("Length 48 > payload", with(&|b| b[3] = 48), "bad length"),
        stranger("Length 20 < 24", with(&|b| b[3] = 20), "bad length"),
        stranger("A bit, no section", with(&|b| b[1] |= 0x04), "bad length"),
        stranger("version 2", with(&|b| b[0] = 0x40), "wrong version"),
        stranger("version 0", with(&|b| b[0] = 0), "wrong version"),
        stranger("200 bytes", with(&|b| b.resize(200, 0)), "too long"),
        stranger(
            "detect mult 0",
            edit(theirs, ours, &|r| r.detect_mult = 0),
            "zero detect multiplier",
        ),
        stranger(
            "multipoint bit",
            edit(theirs, ours, &|r| r.flags.multipoint = true),
            "multipoint bit set",
        ),
        stranger(
            "poll and final",
            edit(theirs, ours, &|r| {
                (r.flags.poll, r.flags.final_) = (true, true)
            }),
            "poll and final both set",
        ),
        stranger(
            "my discriminator 0",
            edit(0, ours, &|_| {}),
            "zero my discriminator",
        ),
        stranger(
            "your discriminator 0 while Up",
            edit(theirs, 0, &|_| {}),
            "zero your discriminator",
        ),
        stranger(
            "your discriminator 0 while Init",
            state(0, Init),
            "zero your discriminator",
        ),
        stranger(
            "A bit (simple password)",
            edit(theirs, ours, &|r| {
                (r.flags.auth, r.auth) = (true, auth_section)
            }),
            "authentication mismatch",
        ),
        stranger(
            "unknown your discriminator",
            edit(theirs, ours ^ 0x5a5a_0001, &|_| {}),
            "no session",
        ),
        stranger("stranger, right discriminators", good.clone(), "no session"),
        stranger(
            "stranger AdminDown, our discriminator",
            state(ours, AdminDown),
            "no session",
        ),
        stranger(
            "stranger Down, our discriminator",
            state(ours, Down),
            "no session",
        ),
        stranger(
            "stranger Down, your discriminator 0",
            state(0, Down),
            "no session",
        ),
        stranger(
            "stranger AdminDown, your discriminator 0",
            state(0, AdminDown),
            "no session",
        ),
        spoofed("spoofed peer, TTL 254", good.clone(), 254),
        spoofed("spoofed peer, TTL 64", good.clone(), 64),
        spoofed("spoofed peer, TTL 1", good.clone(), 1),
        spoofed(
            "spoofed peer AdminDown, TTL 254",
            state(ours, AdminDown),
            254,
        ),
        spoofed("spoofed peer Down, TTL 254", state(ours, Down), 254),
        spoofed(
            "spoofed peer Poll with 1 s intervals, TTL 254",
            edit(theirs, ours, &|r| {
                r.flags.poll = true;
                (r.desired_min_tx, r.required_min_rx) = (1_000_000, 1_000_000)
            }),
            254,
        ),
    ];
    // TTL 254 from the stranger: no session matches before GTSM is asked.
    let mut ttl254 = stranger(
        "stranger, right discriminators, TTL 254",
        good,
        "no session",
    );
    ttl254.ttl = 254;
    v.push(ttl254);
    v
}

/// The BFD statistics of the file: `BFD receive` counters, and the session's received count and
/// state line.
fn bfd_stats(text: &str) -> (BTreeMap<String, u64>, u64, String) {
    let s = parse_stats(text);
    let rx: BTreeMap<String, u64> = s
        .iter()
        .filter(|((sec, _), _)| sec == "BFD receive")
        .map(|((_, k), v)| (k.clone(), *v))
        .collect();
    let session = s
        .get(&(
            "BFD Instance: up".to_string(),
            "Packets received".to_string(),
        ))
        .copied()
        .unwrap_or(0);
    let state = text
        .lines()
        .skip_while(|l| !l.starts_with("BFD Instance: up"))
        .find_map(|l| l.trim().strip_prefix("State: "))
        .unwrap_or("?")
        .to_string();
    (rx, session, state)
}

#[test]
fn hostile_bfd_packets_against_a_tracked_session() {
    if !can_run() {
        return;
    }
    let started = Instant::now();
    let (lab, dir, watch, mut rs, ka) = start_lab("fb", bfd_config);
    let vip = format!("10.99.{}.110", lab.net);
    let up = rs.wait_for("(up) Entering Up state", Duration::from_secs(10));
    assert!(
        up.is_some(),
        "the BFD session never came up\n{}",
        logs(&rs, &ka)
    );
    // Converged: we are master and keepalived's last word is BACKUP (at start, our instance
    // waits in FAULT for the session, so both may count down their Master_Down_Interval).
    let ka_backup = |ka: &Daemon| {
        let log = ka.log();
        log.rfind("Entering BACKUP STATE") > log.rfind("Entering MASTER STATE")
    };
    let converged = poll_until(Duration::from_secs(15), || {
        rs.log().contains("(VB) Entering MASTER STATE")
            && lab.holders(&vip) == [0]
            && ka_backup(&ka)
    });
    assert!(
        converged,
        "no election: {:?}\n{}",
        lab.holders(&vip),
        logs(&rs, &ka)
    );
    // The discriminators, from the wire: our Up packets carry both.
    let (r0, r1) = (lab.routers[0].v4, lab.routers[1].v4);
    let mut discrs = None;
    poll_until(Duration::from_secs(3), || {
        discrs = common::peers::bfd_packets(&lab.frames())
            .iter()
            .rev()
            .find(|s| s.src == IpAddr::V4(r0) && s.state == wb::State::Up && s.your_discr != 0)
            .map(|s| (s.my_discr, s.your_discr));
        discrs.is_some()
    });
    let (ours, theirs) = discrs.expect("no Up packet of ours on the wire");
    let attack = Instant::now();
    let downs0 = rs.log().matches("(up) Entering Down state").count();
    let masters0 = ka.log().matches("Entering MASTER STATE").count();

    let stats_path = dir.path().join("stats");
    let read_stats = || bfd_stats(&stats_text(&rs, &stats_path, "BFD receive:"));
    let attacker = &lab.routers[2];
    let stranger = udp_in(
        &attacker.ns,
        std::net::SocketAddrV4::new(attacker.v4, 49200),
        false,
    );
    let spoofer = udp_in(&attacker.ns, std::net::SocketAddrV4::new(r1, 49201), true);
    let dst = std::net::SocketAddr::new(IpAddr::V4(r0), wb::PORT_SINGLE_HOP);
    let hostiles = bfd_hostiles(ours, theirs);
    let send = |h: &BfdHostile| {
        let s = if h.spoofed { &spoofer } else { &stranger };
        s.set_ttl(h.ttl).expect("IP_TTL");
        s.send_to(&h.bytes, dst).expect("send");
    };
    let mut failures: Vec<String> = Vec::new();

    // 1. Every malformation and spoof, 5 of each, paced: each counted under its reason.
    let (rx0, session0, _) = read_stats();
    let t_rx0 = Instant::now();
    let drops0 = bfd_drops(&lab);
    let kernel_key = "Dropped by the kernel".to_string();
    let mut want: BTreeMap<String, u64> = BTreeMap::new();
    for h in &hostiles {
        for _ in 0..5 {
            send(h);
            std::thread::sleep(Duration::from_millis(1));
        }
        *want.entry(h.counter.clone()).or_insert(0) += 5;
        eprintln!("sent 5 x {} (counted as {})", h.what, h.counter);
    }
    let sent1: u64 = want.values().sum();
    let delta = |rx: &BTreeMap<String, u64>, base: &BTreeMap<String, u64>| {
        rx.iter()
            .filter(|(k, _)| k.starts_with("Dropped"))
            .map(|(k, v)| (k.clone(), v - base.get(k).copied().unwrap_or(0)))
            .filter(|(_, v)| *v > 0)
            .collect::<BTreeMap<String, u64>>()
    };
    let mut got = BTreeMap::new();
    let counted = common::poll_every(Duration::from_secs(5), Duration::from_millis(200), || {
        let (rx, _, _) = read_stats();
        got = delta(&rx, &rx0);
        got == want
    });
    eprintln!("malformations: sent {sent1}, counted {got:?}");
    // On a loaded machine the kernel may have dropped some for a full buffer: the daemon
    // counts those too, and then only the sum can hold.
    let all = got.values().sum::<u64>() == sent1 && got.contains_key(&kernel_key);
    if !(counted || all) {
        failures.push(format!(
            "malformations: sent by reason {want:?}, counted {got:?}"
        ));
    }

    // 2. A flood: 5,000 of them (every kind in turn), as fast as the attacker can send: over in
    // less than the detection time, and the kernel drops a part for a full buffer (the peer's
    // packets among them, so the drops may exceed the flood by those).
    let (rx1, _, _) = read_stats();
    let t_flood = Instant::now();
    let flood = 5000;
    for k in 0..flood {
        send(&hostiles[k % hostiles.len()]);
    }
    let flood_time = t_flood.elapsed();
    let mut got = BTreeMap::new();
    let counted = common::poll_every(Duration::from_secs(5), Duration::from_millis(200), || {
        let (rx, _, _) = read_stats();
        got = delta(&rx, &rx1);
        let n = got.values().sum::<u64>();
        let kernel = got.get(&kernel_key).copied().unwrap_or(0);
        n == flood as u64 || (kernel > 0 && n > flood as u64 && n <= flood as u64 + 10)
    });
    let kernel = got.get(&kernel_key).copied().unwrap_or(0);
    eprintln!(
        "flood: {flood} packets in {flood_time:?}: counted {}, of which dropped by the kernel {kernel}",
        got.values().sum::<u64>()
    );
    if !counted {
        failures.push(format!("flood of {flood}: counted {got:?}"));
    }

    // 3. Every datagram is a drop or the peer's: Datagrams = drops + the session's packets.
    let (rx, session, state) = read_stats();
    let datagrams = rx["Datagrams"] - rx0["Datagrams"];
    let dropped: u64 = delta(&rx, &rx0).values().sum();
    let peer = session - session0;
    eprintln!(
        "BFD receive: {datagrams} datagrams = {dropped} dropped + {peer} from the peer in {:?}; session {state}",
        t_rx0.elapsed()
    );
    // What the kernel dropped never became a datagram of ours.
    let kernel =
        rx.get(&kernel_key).copied().unwrap_or(0) - rx0.get(&kernel_key).copied().unwrap_or(0);
    if datagrams + kernel != dropped + peer {
        failures.push(format!(
            "{datagrams} datagrams (+{kernel} dropped by the kernel), {dropped} dropped + {peer} to the session"
        ));
    }
    let proc = bfd_drops(&lab) - drops0;
    if kernel != proc {
        failures.push(format!(
            "the kernel dropped {proc} (/proc/net/udp), the statistics say {kernel}"
        ));
    }
    if state != "Up" {
        failures.push(format!("session state {state} after the attack"));
    }

    // 4. A detection time and more after the last packet: nothing moved.
    let settle = Instant::now() + Duration::from_millis(1500);
    let moved = poll_until(Duration::from_millis(1500), || {
        Instant::now() >= settle || lab.has_addr(1, &vip)
    }) && lab.has_addr(1, &vip);
    if moved {
        failures.push("keepalived took the VIP".to_string());
    }
    let downs = rs.log().matches("(up) Entering Down state").count() - downs0;
    if downs > 0 {
        failures.push(format!("our session went Down {downs} times"));
    }
    let masters = ka.log().matches("Entering MASTER STATE").count() - masters0;
    if masters > 0 {
        failures.push(format!("keepalived became MASTER {masters} times"));
    }
    // (The watch starts with no address: from the attack on, r0 holds the VIP.)
    let (mut w0, w1) = (watch[0].since(attack), watch[1].since(attack));
    w0.insert(
        0,
        AddrEvent {
            at: attack,
            added: true,
            addr: vip.parse().unwrap(),
        },
    );
    let (both, times) = overlap(&w0, &w1, vip.parse().unwrap());
    eprintln!("{vip}: on both routers {times} times, {both:?} in all, since the attack");
    if times > 0 {
        failures.push(format!("{vip} on both routers {times} times, {both:?}"));
    }
    if lab.holders(&vip) != [0] {
        failures.push(format!("{vip} held by {:?} at the end", lab.holders(&vip)));
    }
    if let Some(st) = rs.wait_exit(Duration::ZERO) {
        failures.push(format!("keepalived-rs exited: {st}"));
    }
    eprintln!("hostile BFD test took {:?}", started.elapsed());
    assert!(
        failures.is_empty(),
        "{}\n{}",
        failures.join("\n"),
        logs(&rs, &ka)
    );
}

/// [`kernel_drops`] of BFD's UDP port 3784 in the namespace under attack (router 0).
fn bfd_drops(lab: &Lab) -> u64 {
    kernel_drops(&lab.routers[0].ns, "udp", ":0EC8")
}

// ---------------------------------------------------------------------------------------------
// Hostile VRRP senders over IPv6 and to a unicast instance.

const VRID6: u8 = 64;
const VRIDU: u8 = 65;
const GROUP6: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 0x12);

/// `VI_6`: VRRPv3 over IPv6 (multicast). `VI_U`: VRRPv2 over IPv4 unicast between r0 and r1,
/// with `check_unicast_src` and the peer's TTL required to be 255 (`min_ttl`).
fn config6(lab: &Lab, rs: bool, dir: &Path) -> String {
    let net = lab.net;
    let (prio, state, me, peer) = if rs {
        (150, "MASTER", 0, 1)
    } else {
        (100, "BACKUP", 1, 0)
    };
    let mut c = global_defs(rs, dir);
    c += &format!(
        "vrrp_instance VI_6 {{\n    state {state}\n    interface eth0\n    virtual_router_id {VRID6}\n    priority {prio}\n    version 3\n    advert_int 1\n    virtual_ipaddress {{\n        fd00:99:{net:x}::100/64\n    }}\n}}\n"
    );
    c += &format!(
        "vrrp_instance VI_U {{\n    state {state}\n    interface eth0\n    virtual_router_id {VRIDU}\n    priority {prio}\n    advert_int 1\n    unicast_src_ip {}\n    check_unicast_src\n    unicast_peer {{\n        {} min_ttl 255\n    }}\n    virtual_ipaddress {{\n        10.99.{net}.102/24\n    }}\n}}\n",
        lab.routers[me].v4, lab.routers[peer].v4
    );
    c
}

/// The attacker over IPv6: a raw VRRP socket in r2's namespace, from its link-local address.
/// Each send sets the hop limit, and whether the kernel writes the checksum.
struct Attacker6 {
    sock: RawIpSocket,
    src: Ipv6Addr,
    sent: usize,
}

impl Attacker6 {
    fn new(ns: &str) -> Attacker6 {
        let ns = ns.to_string();
        let (sock, src) = std::thread::spawn(move || {
            enter_ns(&ns).expect("enter attacker namespace");
            let sock =
                RawIpSocket::v6("eth0", if_index("eth0").expect("eth0")).expect("raw socket");
            let src = keepalived_rs::sys::raw::if_addrs("eth0")
                .expect("addresses")
                .into_iter()
                .find_map(|a| match a {
                    IpAddr::V6(a) if a.is_unicast_link_local() => Some(a),
                    _ => None,
                })
                .expect("a link-local address");
            (sock, src)
        })
        .join()
        .expect("attacker thread");
        Attacker6 { sock, src, sent: 0 }
    }

    fn opt(&self, name: i32, val: i32) {
        use std::os::fd::AsRawFd;
        // SAFETY: setsockopt with an int on a socket we own.
        let r = unsafe {
            libc::setsockopt(
                self.sock.as_raw_fd(),
                libc::IPPROTO_IPV6,
                name,
                (&val as *const i32).cast(),
                std::mem::size_of::<i32>() as u32,
            )
        };
        assert_eq!(r, 0, "setsockopt: {}", std::io::Error::last_os_error());
    }

    /// Sends `n` copies of message `d` with hop limit `hops`; `kernel_sum`: the kernel writes
    /// the checksum (else `d`'s own goes out). Paced as [`Attacker::send_n`].
    fn send_n(&mut self, d: &[u8], n: usize, hops: u8, kernel_sum: bool) {
        self.opt(libc::IPV6_MULTICAST_HOPS, i32::from(hops));
        self.opt(libc::IPV6_CHECKSUM, if kernel_sum { 6 } else { -1 });
        for k in 0..n {
            let ok = poll_until(Duration::from_secs(2), || {
                self.sock.send(d, IpAddr::V6(GROUP6), None).is_ok()
            });
            assert!(ok, "attacker could not send");
            self.sent += 1;
            if k % 20 == 19 {
                std::thread::sleep(Duration::from_millis(5));
            }
        }
    }
}

/// The link-local address of eth0 in namespace `ns`.
fn link_local(ns: &str) -> Ipv6Addr {
    let out = common::lab::ns_exec(
        ns,
        &[
            "ip", "-6", "-o", "addr", "show", "dev", "eth0", "scope", "link",
        ],
    );
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .find_map(|w| w.split('/').next()?.parse().ok())
        .expect("a link-local address")
}

/// One VRRP message (no IP header) from `src` to the IPv6 group, with the right checksum.
fn build6(src: Ipv6Addr, vip: Ipv6Addr, s: Spec) -> Vec<u8> {
    let mut addrs = vec![vip];
    for k in 0..s.naddrs.saturating_sub(1) {
        addrs.push(Ipv6Addr::new(0xfd00, 0x250, 0, 0, 0, 0, 0, k as u16 + 1));
    }
    addrs.truncate(s.naddrs);
    let repr = wv::Repr {
        version: version_of(s),
        msg_type: wv::Type::Advertisement,
        vrid: s.vrid,
        priority: s.prio,
        addresses: Addresses::V6(&addrs),
    };
    let mut buf = vec![0u8; repr.buffer_len()];
    let pair = IpPair::V6 { src, dst: GROUP6 };
    repr.emit(
        &mut wv::Packet::new_unchecked(&mut buf[..], wire::Family::V6),
        &pair,
        ChecksumVariant::Ipv6Pseudo,
    )
    .expect("emit");
    buf
}

/// The counters that moved between two statistics files.
fn moved(before: &Stats, after: &Stats) -> BTreeMap<String, u64> {
    after
        .iter()
        .filter_map(|((sec, k), v)| {
            let d = v - before.get(&(sec.clone(), k.clone())).copied().unwrap_or(0);
            (d > 0).then(|| (format!("{sec} / {k}"), d))
        })
        .collect()
}

#[test]
fn hostile_vrrp_over_ipv6_and_unicast_against_a_keepalived_pair() {
    if !can_run() {
        return;
    }
    let started = Instant::now();
    let (lab, dir, watch, rs, ka) = start_lab("f6", config6);
    let vip6s = format!("fd00:99:{:x}::100", lab.net);
    let vipus = format!("10.99.{}.102", lab.net);
    let vip6: Ipv6Addr = vip6s.parse().unwrap();
    let vipu: Ipv4Addr = vipus.parse().unwrap();
    let converged = poll_until(Duration::from_secs(10), || {
        lab.holders(&vip6s) == [0]
            && lab.holders(&vipus) == [0]
            && ka.log().matches("Entering BACKUP STATE").count() >= 2
    });
    assert!(
        converged,
        "no election: {:?} {:?}\n{}",
        lab.holders(&vip6s),
        lab.holders(&vipus),
        logs(&rs, &ka)
    );
    let attack = Instant::now();
    let ka_lines0 = ka.log().lines().count();
    let stats_path = dir.path().join("stats");
    let read_stats = || parse_stats(&stats_text(&rs, &stats_path, "VRRP datagrams"));
    let before = read_stats();
    let kernel0 = raw_drops(&lab.routers[0].ns);
    let mut failures: Vec<String> = Vec::new();

    // 1. IPv6: every malformation that applies, 5 of each.
    let mut a6 = Attacker6::new(&lab.routers[2].ns);
    let v3 = Spec {
        vrid: VRID6,
        version: 3,
        prio: 50,
        ttl: 255,
        interval: 100,
        auth: (wv::AuthType::None, [0; 8]),
        variant: ChecksumVariant::Ipv6Pseudo,
        naddrs: 1,
    };
    let good6 = build6(a6.src, vip6, v3);
    a6.send_n(&good6, 5, 64, true); // hop limit 64
    a6.send_n(&good6, 5, 1, true); // hop limit 1
    let mut bad = good6.clone();
    bad[6] ^= 0x5a;
    a6.send_n(&bad, 5, 255, false); // checksum
    a6.send_n(&good6[..6], 5, 255, false); // truncated
    a6.send_n(&build6(a6.src, vip6, Spec { vrid: 99, ..v3 }), 5, 255, true); // unknown VRID
    a6.send_n(
        &build6(a6.src, vip6, Spec { interval: 0, ..v3 }),
        5,
        255,
        true,
    ); // zero interval
    a6.send_n(
        &build6(
            a6.src,
            vip6,
            Spec {
                version: 2,
                interval: 1,
                ..v3
            },
        ),
        5,
        255,
        true,
    ); // version 2
    let mut d = good6.clone();
    d[0] = 0x32;
    a6.send_n(&d, 5, 255, true); // type 2
    a6.send_n(
        &build6(a6.src, vip6, Spec { naddrs: 2, ..v3 }),
        5,
        255,
        true,
    ); // address count
    let hostile6 = a6.sent;
    // Lower-priority strangers that pass every check: answered, not counted as drops.
    a6.send_n(&good6, 20, 255, true);
    let accepted6 = a6.sent - hostile6;

    // 2. Unicast: strangers (not in `unicast_peer`) and the peer's address spoofed with a TTL
    // below its `min_ttl`.
    let mut a4 = Attacker::new(&lab.routers[2].ns, lab.routers[2].v4);
    let (r0, r1) = (lab.routers[0].v4, lab.routers[1].v4);
    let vu = Spec {
        vrid: VRIDU,
        version: 2,
        prio: 50,
        ttl: 255,
        interval: 1,
        auth: (wv::AuthType::None, [0; 8]),
        variant: ChecksumVariant::Plain,
        naddrs: 1,
    };
    let to_r0 = |a: &mut Attacker, d: &[u8], n: usize| {
        for _ in 0..n {
            let ok = poll_until(Duration::from_secs(2), || {
                a.sock.send(d, IpAddr::V4(r0), None).is_ok()
            });
            assert!(ok, "attacker could not send");
            a.sent += 1;
            std::thread::sleep(Duration::from_millis(1));
        }
    };
    let src = a4.src;
    to_r0(&mut a4, &build_to(src, r0, vipu, vu), 5); // stranger, lower priority
    to_r0(
        &mut a4,
        &build_to(src, r0, vipu, Spec { prio: 250, ..vu }),
        5,
    ); // stranger, higher
    to_r0(&mut a4, &build_to(src, r0, vipu, Spec { ttl: 64, ..vu }), 5); // stranger, TTL 64
    to_r0(
        &mut a4,
        &build_to(
            r1,
            r0,
            vipu,
            Spec {
                prio: 250,
                ttl: 254,
                ..vu
            },
        ),
        5,
    ); // spoofed peer
    to_r0(
        &mut a4,
        &build_to(
            r1,
            r0,
            vipu,
            Spec {
                prio: 0,
                ttl: 1,
                ..vu
            },
        ),
        5,
    ); // spoofed peer, prio 0
    let mut d = build_to(r1, r0, vipu, vu);
    d[26] ^= 0x5a;
    to_r0(&mut a4, &d, 5); // spoofed peer, bad checksum
    let mut d = build_to(src, r0, vipu, vu);
    d.truncate(20 + 6);
    to_r0(&mut a4, &d, 5); // truncated
    to_r0(
        &mut a4,
        &build_to(src, r0, vipu, Spec { vrid: 98, ..vu }),
        5,
    ); // unknown VRID
    let hostile4 = a4.sent;

    // 3. Every hostile packet is counted, under its reason. On IPv6 the kernel checks the
    // checksum (`IPV6_CHECKSUM`): a bad one, or a message too short to hold it, is dropped
    // before the daemon sees it and shows in the socket's drops (/proc/net/raw6).
    let want: BTreeMap<String, u64> = [
        ("VRRP Instance: VI_6 / Packet Errors/TTL", 10),
        (
            "VRRP Instance: VI_6 / Other drops (keepalived-rs)/Version",
            5,
        ),
        (
            "VRRP Instance: VI_6 / Packet Errors/Advertisement Interval",
            5,
        ),
        ("VRRP Instance: VI_6 / Packet Errors/Invalid Type", 5),
        ("VRRP Instance: VI_6 / Packet Errors/Address List", 5),
        (
            "VRRP Instance: VI_U / Other drops (keepalived-rs)/Unicast source",
            15,
        ),
        (
            "VRRP Instance: VI_U / Other drops (keepalived-rs)/Unicast peer TTL",
            10,
        ),
        (
            "VRRP Instance: VI_U / Other drops (keepalived-rs)/Checksum",
            5,
        ),
        ("VRRP datagrams (keepalived-rs) / Malformed", 5),
        ("VRRP datagrams (keepalived-rs) / Unknown VRID", 10),
        ("VRRP datagrams (keepalived-rs) / Dropped by the kernel", 10),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    assert_eq!(
        want.values().sum::<u64>(),
        (hostile6 + hostile4) as u64,
        "the table of expected counts"
    );
    let errors = |before: &Stats, after: &Stats| {
        let mut m: BTreeMap<String, u64> = moved(before, after)
            .into_iter()
            .filter(|(k, _)| {
                k.contains("Errors/") || k.contains("Other drops") || k.contains("datagrams")
            })
            .collect();
        // The kernel's own count of the socket drops, to compare with the daemon's.
        let kernel = raw_drops(&lab.routers[0].ns) - kernel0;
        m.insert("/proc/net/raw6 drops".to_string(), kernel);
        m
    };
    let mut want = want;
    want.insert("/proc/net/raw6 drops".to_string(), 10);
    let mut got = BTreeMap::new();
    let counted = common::poll_every(Duration::from_secs(5), Duration::from_millis(200), || {
        got = errors(&before, &read_stats());
        got == want
    });
    eprintln!(
        "sent {hostile6} hostile over IPv6 (+{accepted6} lower-priority), {hostile4} unicast"
    );
    for (k, v) in &got {
        eprintln!("  {k}: +{v}");
    }
    if !counted {
        // A loaded machine may have dropped some for a full buffer: then the sum holds, and the
        // daemon's count of the kernel's drops is the kernel's.
        let proc = got.remove("/proc/net/raw6 drops").unwrap_or(0);
        let kernel = got
            .get("VRRP datagrams (keepalived-rs) / Dropped by the kernel")
            .copied()
            .unwrap_or(0);
        let sum = got.values().sum::<u64>();
        if sum != (hostile6 + hostile4) as u64 || kernel != proc || kernel < 10 {
            failures.push(format!(
                "counted {got:?} (the kernel's own count of its drops: {proc}), want {want:?}"
            ));
        }
    }

    // 4. keepalived stays backup for a Master_Down_Interval after the last packet and never
    // complains about our adverts.
    let until = Instant::now() + Duration::from_millis(3700);
    let took_over = poll_until(Duration::from_millis(3700), || {
        Instant::now() >= until || lab.has_addr(1, &vip6s) || lab.has_addr(1, &vipus)
    }) && (lab.has_addr(1, &vip6s) || lab.has_addr(1, &vipus));
    if took_over {
        failures.push("keepalived took a VIP".to_string());
    }
    let masters = ka
        .log()
        .lines()
        .skip(ka_lines0)
        .filter(|l| l.contains("Entering MASTER STATE"))
        .count();
    if masters > 0 {
        failures.push(format!("keepalived became MASTER {masters} times"));
    }
    // keepalived logs what it drops with the sender (or without it, only the attacker's
    // packets are malformed): none of its lines since the attack names our addresses.
    let ours = [
        link_local(&lab.routers[0].ns).to_string(),
        format!("{r0} "),
        format!("{r0},"),
    ];
    let complaints: Vec<String> = ka
        .log()
        .lines()
        .skip(ka_lines0)
        .filter(|l| ours.iter().any(|a| l.contains(a.as_str())) || l.ends_with(&r0.to_string()))
        .map(str::to_string)
        .collect();
    if !complaints.is_empty() {
        failures.push(format!("keepalived about our adverts: {complaints:?}"));
    }
    let (w0, w1) = (watch[0].since(started), watch[1].since(started));
    for vip in [IpAddr::V6(vip6), IpAddr::V4(vipu)] {
        let (both, times) = overlap(&w0, &w1, vip);
        eprintln!("{vip}: on both routers {times} times, {both:?} in all");
        if times > 0 {
            failures.push(format!("{vip} on both routers {times} times, {both:?}"));
        }
    }
    for v in [&vip6s, &vipus] {
        if lab.holders(v) != [0] {
            failures.push(format!("{v} held by {:?} at the end", lab.holders(v)));
        }
    }
    eprintln!(
        "IPv6/unicast test took {:?} ({:?} since the attack)",
        started.elapsed(),
        attack.elapsed()
    );
    assert!(
        failures.is_empty(),
        "{}\n{}",
        failures.join("\n"),
        logs(&rs, &ka)
    );
}
