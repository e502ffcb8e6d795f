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
//!   of the SIGUSR2 statistics file add up to what was sent;
//! - a lower-priority stranger gets at most about one answer per advert interval;
//! - under a flood, `-D` logs a bounded number of lines.
//!
//! Needs root, `ip` and keepalived; without them it prints one `SKIP` line (a failure under
//! `KEEPALIVED_RS_FULL_TESTS=1`).

mod common;

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::lab::{AddrEvent, AddrWatch, Lab, enter_ns};
use common::{Daemon, TempDir, poll_until};
use keepalived_rs::sys::sock::{VrrpSocket, if_index};
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

/// Builds one IPv4 datagram (header included) from the attacker.
fn build(src: Ipv4Addr, vip: Ipv4Addr, s: Spec) -> Vec<u8> {
    let mut addrs = vec![vip];
    for k in 0..s.naddrs.saturating_sub(1) {
        addrs.push(Ipv4Addr::new(10, 250, 0, k as u8 + 1));
    }
    addrs.truncate(s.naddrs);
    let version = if s.version == 3 {
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
    };
    let repr = wv::Repr {
        version,
        msg_type: wv::Type::Advertisement,
        vrid: s.vrid,
        priority: s.prio,
        addresses: Addresses::V4(&addrs),
    };
    let mut ip = ipv4::Repr::vrrp(src, GROUP, 0, 0);
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
    sock: VrrpSocket,
    src: Ipv4Addr,
    sent: usize,
}

impl Attacker {
    fn new(ns: &str, src: Ipv4Addr) -> Attacker {
        let ns = ns.to_string();
        let sock = std::thread::spawn(move || {
            enter_ns(&ns).expect("enter attacker namespace");
            VrrpSocket::v4("eth0", if_index("eth0").expect("eth0")).expect("raw socket")
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

/// Per-instance drops (every error counter) and the daemon-wide ones.
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
        } else if sec.starts_with("VRRP datagrams") && (key == "Malformed" || key == "Unknown VRID")
        {
            global += n;
        }
    }
    (per, global)
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
        let _ = std::fs::remove_file(&path);
        self.rs.signal(libc::SIGUSR2);
        let mut text = String::new();
        let ok = poll_until(Duration::from_secs(3), || {
            text = std::fs::read_to_string(&path).unwrap_or_default();
            text.contains("VRRP Instance: VI_2")
        });
        assert!(ok, "no statistics file written:\n{}", self.rs.log());
        parse_stats(&text)
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

#[test]
fn hostile_vrrp_packets_against_a_keepalived_pair() {
    if !can_run() {
        return;
    }
    let started = Instant::now();
    let mut lab = Lab::new("fp", 3);
    lab.capture();
    let dir = TempDir::new("fault-packets");
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
    // Every packet that reached the daemon counted: poll the statistics until they add up (or
    // time out). The kernel's own drops (a full socket buffer on a loaded machine) never reach
    // the daemon; they are read from /proc/net/raw and taken off.
    let kernel_drops = raw_drops(&p.lab.routers[0].ns);
    let want = (att.sent - accepted) as u64 - kernel_drops;
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
            let global = daemon.map_or(-1, |d| num(d, "malformed") + num(d, "unknown_vrid"));
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

/// Datagrams the kernel dropped on the raw VRRP sockets of namespace `ns` (a full receive
/// buffer): the last column of `/proc/net/raw` for protocol 112 (local "port" 0070).
fn raw_drops(ns: &str) -> u64 {
    let out = common::lab::ns_exec(ns, &["cat", "/proc/net/raw"]);
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .skip(1)
        .filter(|l| {
            l.split_whitespace()
                .nth(1)
                .is_some_and(|a| a.ends_with(":0070"))
        })
        .filter_map(|l| l.split_whitespace().last()?.parse::<u64>().ok())
        .sum()
}

fn tail(s: &str, n: usize) -> String {
    let lines: Vec<&str> = s.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}
