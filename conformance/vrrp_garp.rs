//! GARP and unsolicited NA pacing on the wire (issue 15 item 4): `vrrp_garp_interval`,
//! `vrrp_gna_interval` and `garp_group`, the frames captured on the lab's bridge with the
//! kernel's receive stamps. keepalived 2.2.7 runs the same configuration in the same test for
//! comparison (it sends 2 of 5 GARPs at 0.1 s: printed, not asserted).
//! Needs root and `ip netns`; without them each test prints one `SKIP` line (a failure under
//! `KEEPALIVED_RS_FULL_TESTS=1`).

mod common;

use std::net::IpAddr;
use std::time::Duration;

use common::lab::{Frame, Lab, daemon_cmd, ns_exec};
use common::{Daemon, TempDir, is_root, poll_until, require};
use keepalived_rs::wire;

fn can_run(keepalived: bool) -> bool {
    require(is_root(), "not root: network namespace tests need root")
        && require(
            common::have("ip", "-V"),
            "iproute2 (`ip`) not installed: needed for the namespace labs",
        )
        && (!keepalived
            || require(
                std::path::Path::new("/usr/sbin/keepalived").exists(),
                "keepalived not installed: needed for the comparison",
            ))
}

/// The GARP/NA frames among `frames` for `vip`: (kernel stamp, source MAC).
fn garps(frames: &[Frame], vip: IpAddr) -> Vec<(Duration, [u8; 6])> {
    frames
        .iter()
        .filter_map(|f| {
            let kts = f.kts?;
            match vip {
                IpAddr::V4(v) => match wire::arp::parse_frame(&f.bytes) {
                    Ok((eth, arp))
                        if arp.source_protocol_addr == v && arp.target_protocol_addr == v =>
                    {
                        Some((kts, eth.src_addr.0))
                    }
                    _ => None,
                },
                IpAddr::V6(v) => match wire::ndisc::parse_frame(&f.bytes) {
                    Ok((eth, _, na)) if na.target_addr == v => Some((kts, eth.src_addr.0)),
                    _ => None,
                },
            }
        })
        .collect()
}

/// Every address got 5 frames; the gaps between all of them in time order, in ms.
fn five_each(vips: &[IpAddr], got: &[Vec<(Duration, [u8; 6])>], what: &str) -> Vec<f64> {
    for (v, g) in vips.iter().zip(got) {
        assert_eq!(g.len(), 5, "{what} for {v}: {g:?}");
    }
    let mut stamps: Vec<Duration> = got.iter().flatten().map(|(t, _)| *t).collect();
    stamps.sort();
    gaps_ms(&stamps)
}

/// Gaps between consecutive stamps, in ms.
fn gaps_ms(stamps: &[Duration]) -> Vec<f64> {
    stamps
        .windows(2)
        .map(|w| (w[1].saturating_sub(w[0])).as_secs_f64() * 1000.0)
        .collect()
}

fn instance(vips: &str, extra: &str) -> String {
    format!(
        "vrrp_instance VI_1 {{\n    state MASTER\n    interface eth0\n    virtual_router_id 61\n    \
         priority 150\n    advert_int 1\n    garp_master_repeat 5\n    garp_master_delay 0\n{extra}    \
         virtual_ipaddress {{\n{vips}    }}\n}}\n"
    )
}

/// Runs `conf` on router 0 (keepalived-rs, or keepalived) until it is master and `want`
/// frames for the VIPs came or 5 s passed; the frames for each VIP.
fn run(
    lab: &mut Lab,
    conf: &str,
    keepalived: bool,
    vips: &[IpAddr],
    want: usize,
) -> Vec<Vec<(Duration, [u8; 6])>> {
    let dir = TempDir::new("garp");
    let c = dir.path().join("keepalived.conf");
    std::fs::write(&c, conf).unwrap();
    lab.capture();
    let start = std::time::Instant::now();
    let mut d = Daemon::start_cmd(&mut daemon_cmd(
        &lab.routers[0].ns,
        keepalived,
        &c,
        dir.path(),
    ));
    let all = |lab: &Lab| -> Vec<Vec<(Duration, [u8; 6])>> {
        let frames = lab.frames_since(start);
        vips.iter().map(|v| garps(&frames, *v)).collect()
    };
    poll_until(Duration::from_secs(8), || {
        all(lab).iter().map(Vec::len).sum::<usize>() >= want
    });
    // Whatever else comes within a second more (no frame may be missing or extra).
    std::thread::sleep(Duration::from_secs(1)); // a quiet period: nothing to observe
    let got = all(lab);
    d.signal(libc::SIGTERM);
    if d.wait_exit(Duration::from_secs(10)).is_none() {
        d.kill9();
    }
    got
}

/// `vrrp_garp_interval 0.1` with a repeat of 5 for two VIPs: all ten GARPs go, one interface
/// budget, at least 100 ms apart (and not much more: paced, not delayed); the same for NAs with
/// `vrrp_gna_interval 0.05`.
#[test]
fn garp_and_na_intervals_send_every_frame_paced() {
    if !can_run(false) {
        return;
    }
    let mut lab = Lab::new("garp", 1);
    let net = lab.net;
    let v4: Vec<IpAddr> = vec![
        format!("10.99.{net}.201").parse().unwrap(),
        format!("10.99.{net}.202").parse().unwrap(),
    ];
    let conf = format!(
        "global_defs {{\n    vrrp_garp_interval 0.1\n    vrrp_gna_interval 0.05\n}}\n{}",
        instance(&format!("        {}/32\n        {}/32\n", v4[0], v4[1]), "")
    );
    let got = run(&mut lab, &conf, false, &v4, 10);
    let gaps = five_each(&v4, &got, "GARPs");
    println!("GARP gaps (ms), keepalived-rs, vrrp_garp_interval 0.1: {gaps:.1?}");
    assert!(
        gaps.iter().all(|g| *g >= 99.0 && *g < 150.0),
        "gaps {gaps:?}"
    );

    // IPv6: unsolicited NAs at 50 ms.
    let mut lab = Lab::new("gna", 1);
    let net = lab.net;
    let v6: Vec<IpAddr> = vec![
        "fe80::61:1".parse().unwrap(),
        format!("fd00:99:{net:x}::201").parse().unwrap(),
    ];
    let conf = format!(
        "global_defs {{\n    vrrp_garp_interval 0.1\n    vrrp_gna_interval 0.05\n}}\n{}",
        instance(
            &format!("        {}/64\n        {}/128\n", v6[0], v6[1]),
            ""
        )
    );
    let got = run(&mut lab, &conf, false, &v6, 10);
    let gaps = five_each(&v6, &got, "NAs");
    println!("NA gaps (ms), keepalived-rs, vrrp_gna_interval 0.05: {gaps:.1?}");
    assert!(
        gaps.iter().all(|g| *g >= 49.0 && *g < 100.0),
        "gaps {gaps:?}"
    );
}

/// keepalived 2.2.7 with the same `vrrp_garp_interval 0.1` and repeat 5 (one VIP): what it
/// sends, printed for the record (it sends 2 of the 5); keepalived-rs sends 5.
#[test]
fn keepalived_comparison_at_100ms() {
    if !can_run(true) {
        return;
    }
    let mut lab = Lab::new("garpka", 1);
    let net = lab.net;
    let v4: Vec<IpAddr> = vec![format!("10.99.{net}.201").parse().unwrap()];
    let conf = format!(
        "global_defs {{\n    vrrp_garp_interval 0.1\n}}\n{}",
        instance(&format!("        {}/32\n", v4[0]), "")
    );
    let ka = run(&mut lab, &conf, true, &v4, 5);
    let mut lab = Lab::new("garprs", 1);
    let conf = conf.replace(&format!("10.99.{net}."), &format!("10.99.{}.", lab.net));
    let v4rs: Vec<IpAddr> = vec![format!("10.99.{}.201", lab.net).parse().unwrap()];
    let rs = run(&mut lab, &conf, false, &v4rs, 5);
    let ka_stamps: Vec<Duration> = ka[0].iter().map(|(t, _)| *t).collect();
    let rs_stamps: Vec<Duration> = rs[0].iter().map(|(t, _)| *t).collect();
    println!(
        "repeat 5 at vrrp_garp_interval 0.1: keepalived sent {} GARP(s), gaps {:.1?} ms; keepalived-rs sent {}, gaps {:.1?} ms",
        ka_stamps.len(),
        gaps_ms(&ka_stamps),
        rs_stamps.len(),
        gaps_ms(&rs_stamps)
    );
    assert_eq!(rs_stamps.len(), 5);
    assert!(!ka_stamps.is_empty(), "keepalived sent no GARP at all");
}

/// `garp_group { garp_interval 0.05 interfaces { eth0 eth1 } }`: VIPs on two interfaces share
/// one budget: every GARP goes, and the merged stream from both is at least 50 ms apart.
#[test]
fn garp_group_shares_a_budget_across_interfaces() {
    if !can_run(false) {
        return;
    }
    let mut lab = Lab::new("garpg", 1);
    let (ns, br) = (lab.routers[0].ns.clone(), lab.bridge_ns.clone());
    // A second link of router 0 into the bridge: eth1 (port q0).
    let out = common::lab::ip(&[
        "-n", &br, "link", "add", "q0", "type", "veth", "peer", "name", "eth1", "netns", &ns,
    ]);
    assert!(out.status.success(), "{out:?}");
    common::lab::ip(&["-n", &br, "link", "set", "q0", "master", "br0", "up"]);
    common::lab::ip(&["-n", &ns, "link", "set", "eth1", "up"]);
    let net = lab.net;
    let v4: Vec<IpAddr> = vec![
        format!("10.99.{net}.211").parse().unwrap(),
        format!("10.99.{net}.212").parse().unwrap(),
    ];
    let conf = format!(
        "garp_group {{\n    garp_interval 0.05\n    interfaces {{\n        eth0\n        eth1\n    }}\n}}\n{}",
        instance(
            &format!("        {}/32\n        {}/32 dev eth1\n", v4[0], v4[1]),
            ""
        )
    );
    let got = run(&mut lab, &conf, false, &v4, 10);
    // From two MACs (eth0's and eth1's), one budget.
    assert_ne!(got[0][0].1, got[1][0].1, "both VIPs' GARPs from one MAC");
    let gaps = five_each(&v4, &got, "GARPs");
    println!("GARP gaps (ms), garp_group of eth0 and eth1 at 0.05: {gaps:.1?}");
    assert!(
        gaps.iter().all(|g| *g >= 49.0 && *g < 100.0),
        "gaps {gaps:?}"
    );
    let _ = ns_exec(&ns, &["ip", "link", "del", "eth1"]);
}
