//! The IPVS table keepalived-rs makes equals the one Debian's keepalived 2.2.7 makes for the same
//! file, in the same guest (issue 13 item 9): for each configuration below, keepalived (`-C`,
//! no checkers) runs first and its table is read with ipvsadm (`-Sn`, `--thresholds`,
//! `--tun-info`, `--timeout`), the table is flushed, then ours runs on the same file and its
//! table is read the same way. Together the files use the keywords the desired table knows:
//! address, fwmark and group services (ranges, fwmark entries), IPv6, every forwarding method
//! (TUN with GUE/GRE and checksum options), schedulers with their flags, persistence (timeout,
//! IPv4 mask, IPv6 prefix, engine), `ops`, weights (0 included), thresholds, `alpha`,
//! `inhibit_on_failure`, sorry servers (inhibited, with their own method), `quorum`,
//! `lvs_timeouts`, and the defaults (no protocol: UDP; no lb_kind: NAT; no lb_algo: wlc).

mod common;

use common::TempDir;
use common::ipvs_vm::IpvsVm;

const CONFIGS: &[(&str, &str)] = &[
    (
        "defaults-and-persistence",
        "global_defs {\n    lvs_timeouts tcp 1200 tcpfin 60 udp 240\n}\n\
virtual_server 10.0.0.1 80 {\n    real_server 10.0.0.2 80 {\n    }\n    real_server 10.0.0.3 80 {\n        weight 0\n    }\n}\n\
virtual_server 10.0.0.1 443 {\n    lb_algo sh\n    sh-port\n    sh-fallback\n    lb_kind DR\n    protocol TCP\n    persistence_timeout 300\n    persistence_granularity 255.255.255.0\n    real_server 10.0.0.2 443 {\n        weight 2\n        uthreshold 100\n        lthreshold 10\n    }\n}\n\
virtual_server 10.0.0.1 5060 {\n    lb_algo rr\n    protocol UDP\n    ops\n    persistence_engine sip\n    persistence_timeout 60\n    real_server 10.0.0.4 5060 {\n        weight 3\n    }\n}\n",
    ),
    (
        "fwmark-groups-ipv6",
        "virtual_server_group web {\n    10.0.1.1-3 80\n    fwmark 7\n}\n\
virtual_server group web {\n    lb_algo wrr\n    lb_kind DR\n    protocol TCP\n    real_server 10.0.2.1 80 {\n        weight 5\n    }\n}\n\
virtual_server fwmark 9 {\n    lb_algo mh\n    mh-port\n    lb_kind DR\n    real_server 10.0.2.2 80 {\n    }\n}\n\
virtual_server fd00::1 53 {\n    lb_algo lc\n    protocol UDP\n    persistence_timeout 30\n    persistence_granularity 64\n    real_server fd00::2 53 {\n        weight 4\n    }\n}\n",
    ),
    (
        "tunnels",
        "virtual_server 10.0.0.1 80 {\n    lb_algo wlc\n    protocol TCP\n    lb_kind TUN\n    real_server 10.0.3.1 80 {\n    }\n    real_server 10.0.3.2 80 {\n        lvs_method TUN type gue port 6080 csum\n    }\n    real_server 10.0.3.3 80 {\n        lvs_method TUN type gre remcsum\n    }\n}\n",
    ),
    (
        "alpha-inhibit-sorry-quorum",
        "virtual_server 10.0.0.1 80 {\n    protocol TCP\n    lb_algo rr\n    sorry_server 10.0.9.9 8080\n    sorry_server_inhibit\n    real_server 10.0.4.1 80 {\n        alpha\n    }\n    real_server 10.0.4.2 80 {\n        alpha\n        inhibit_on_failure\n    }\n    real_server 10.0.4.3 80 {\n    }\n}\n\
virtual_server 10.0.0.1 81 {\n    protocol TCP\n    lb_algo rr\n    quorum 3\n    sorry_server 10.0.9.9 8081\n    sorry_server_lvs_method DR\n    real_server 10.0.4.1 81 {\n        weight 1\n    }\n    real_server 10.0.4.2 81 {\n        weight 1\n    }\n}\n\
virtual_server 10.0.0.1 82 {\n    protocol TCP\n    lb_algo rr\n    sorry_server 10.0.9.9 82\n    real_server 10.0.4.1 82 {\n        alpha\n    }\n}\n",
    ),
];

/// The script run in the guest for one implementation on `conf`: start, wait until the table
/// stops changing (1 s unchanged, 20 s at most), read it, stop, flush.
fn capture(tag: &str, start: &str) -> String {
    format!(
        "{start} >{tag}.log 2>&1 &
         pid=$!
         prev=x; same=0; end=$((SECONDS + 20))
         while [ $same -lt 5 ] && [ $SECONDS -lt $end ]; do
             sleep 0.2; now=$(ipvsadm -Sn | md5sum)
             if [ \"$now\" = \"$prev\" ] && [ -n \"$(ipvsadm -Sn)\" ]; then same=$((same + 1)); else same=0; fi
             prev=$now
         done
         echo @{tag}; ipvsadm -Sn | sort; ipvsadm -Ln --thresholds | grep -- '->' | sort
         ipvsadm -Ln --tun-info 2>/dev/null | grep -- '->' | sort; ipvsadm -Ln --timeout; echo @{tag}-end
         kill -TERM $pid; wait $pid
         ipvsadm -C
         ipvsadm --set 900 120 300
"
    )
}

fn block<'a>(out: &'a str, tag: &str) -> Vec<&'a str> {
    let from = format!("@{tag}");
    let to = format!("@{tag}-end");
    out.lines()
        .skip_while(|l| l.trim() != from)
        .skip(1)
        .take_while(|l| l.trim() != to)
        .collect()
}

#[test]
fn our_tables_equal_keepalived_s_for_the_same_files() {
    let Some(vm) = IpvsVm::require() else { return };
    let dir = TempDir::new("ipvs-tables");
    std::fs::copy(common::bin(), dir.path().join("keepalived-rs")).unwrap();
    let mut script = String::from("ipvsadm --set 900 120 300\n");
    for (name, conf) in CONFIGS {
        std::fs::write(dir.path().join(format!("{name}.conf")), conf).unwrap();
        script += &capture(
            &format!("ka-{name}"),
            &format!("keepalived -n -D -C -f \"$PWD/{name}.conf\" -p /run/ka.pid -c /run/ka-c.pid"),
        );
        script += &capture(
            &format!("rs-{name}"),
            &format!("./keepalived-rs -n -l -D -f \"$PWD/{name}.conf\" -p /run/rs.pid"),
        );
    }
    // Eight daemon runs in one boot: about 40 s under emulation on a quiet host.
    let (status, out) = vm.run_within(dir.path(), &script, 240);
    println!("{out}");
    assert_eq!(status, 0, "{out}");
    let mut differ = Vec::new();
    for (name, _) in CONFIGS {
        let theirs = block(&out, &format!("ka-{name}"));
        let ours = block(&out, &format!("rs-{name}"));
        assert!(
            theirs.iter().any(|l| l.starts_with("-A ")),
            "{name}: keepalived made no table\n{}",
            std::fs::read_to_string(dir.path().join(format!("ka-{name}.log"))).unwrap_or_default()
        );
        if theirs != ours {
            let log = std::fs::read_to_string(dir.path().join(format!("rs-{name}.log")))
                .unwrap_or_default();
            differ.push(format!(
                "{name}:\nkeepalived:\n{}\nours:\n{}\nour log:\n{log}",
                theirs.join("\n"),
                ours.join("\n")
            ));
        }
    }
    assert!(differ.is_empty(), "{}", differ.join("\n\n"));
}

/// `lvs_drain_on_remove` (keepalived-rs only): a real server that a reload removes while it has
/// a connection stays at weight 0 and goes once its time is up; without the keyword (keepalived's
/// behaviour) it goes at once. The connection is a local client's SYN to the virtual server,
/// scheduled by IPVS to a real server that never answers: an inactive connection for a minute.
#[test]
fn a_removed_real_server_with_connections_drains_at_weight_0() {
    let Some(vm) = IpvsVm::require() else { return };
    let dir = TempDir::new("ipvs-drain");
    std::fs::copy(common::bin(), dir.path().join("keepalived-rs")).unwrap();
    let conf = |drain: &str, rs: &str| {
        format!(
            "global_defs {{\n    lvs_reconcile_interval 1\n{drain}}}\n\
virtual_server 10.0.0.1 80 {{\n    lb_algo rr\n    protocol TCP\n    real_server {rs} 80 {{\n    }}\n}}\n"
        )
    };
    for (name, drain) in [("plain", ""), ("drain", "    lvs_drain_on_remove 3\n")] {
        std::fs::write(
            dir.path().join(format!("{name}1.conf")),
            conf(drain, "10.0.0.3"),
        )
        .unwrap();
        std::fs::write(
            dir.path().join(format!("{name}2.conf")),
            conf(drain, "10.0.0.2"),
        )
        .unwrap();
    }
    // A reload that adds a real server and changes the scheduler keeps 10.0.0.3 untouched.
    std::fs::write(dir.path().join("keep1.conf"), conf("", "10.0.0.3")).unwrap();
    let keep2 = conf("", "10.0.0.3")
        .replace("lb_algo rr", "lb_algo wrr")
        .replace(
            "    }\n}\n",
            "    }\n    real_server 10.0.0.2 80 {\n        weight 2\n    }\n}\n",
        );
    std::fs::write(dir.path().join("keep2.conf"), keep2).unwrap();
    let script = "ip link add d0 type dummy; ip addr add 10.0.0.100/24 dev d0; ip link set d0 up
         wait_for() { end=$((SECONDS + 20)); until ipvsadm -Ln | grep -q -- \"$1\"; do
             [ $SECONDS -ge $end ] && { echo \"@timeout $1\"; return 1; }; sleep 0.1; done; }
         wait_gone() { end=$((SECONDS + 20)); while ipvsadm -Ln | grep -q -- \"$1\"; do
             [ $SECONDS -ge $end ] && { echo \"@timeout gone $1\"; return 1; }; sleep 0.1; done; }
         cp keep1.conf run.conf
         ./keepalived-rs -n -l -D -f \"$PWD/run.conf\" -p /run/rs.pid >rs-keep.log 2>&1 &
         rs=$!
         wait_for '10.0.0.3:80'
         timeout 1 bash -c 'echo > /dev/tcp/10.0.0.1/80' 2>/dev/null
         echo @keep-before; ipvsadm -Ln | grep -- '-> 10.0.0.3'
         cp keep2.conf run.conf; kill -HUP $rs
         wait_for '10.0.0.2:80'
         echo @keep-after; ipvsadm -Ln; echo @keep-after-end
         kill -TERM $rs; wait $rs
         ipvsadm -C
         for mode in plain drain; do
             cp ${mode}1.conf run.conf
             ./keepalived-rs -n -l -D -f \"$PWD/run.conf\" -p /run/rs.pid >rs-$mode.log 2>&1 &
             rs=$!
             wait_for '10.0.0.3:80'
             timeout 1 bash -c 'echo > /dev/tcp/10.0.0.1/80' 2>/dev/null
             echo @$mode-conn; ipvsadm -Ln | grep -- '-> 10.0.0.3'
             cp ${mode}2.conf run.conf; t0=${EPOCHREALTIME/./}; kill -HUP $rs
             wait_for '10.0.0.2:80'
             echo @$mode-reloaded; ipvsadm -Ln | grep -- '-> 10.0.0' ; echo @$mode-reloaded-end
             wait_gone '10.0.0.3:80'
             now=${EPOCHREALTIME/./}; echo @$mode-gone-after $(( (now - t0) / 1000 )) ms
             kill -TERM $rs; wait $rs
             ipvsadm -C
         done";
    let (status, out) = vm.run_within(dir.path(), script, 180);
    let log = std::fs::read_to_string(dir.path().join("rs-drain.log")).unwrap_or_default();
    println!("{out}\n--- drain log:\n{log}");
    assert_eq!(status, 0, "{out}");
    assert!(!out.contains("@timeout"), "{out}\n{log}");
    // The connection was there, on 10.0.0.3, before each reload.
    for mode in ["plain", "drain"] {
        let marker = format!("@{mode}-conn");
        let conn: Vec<&str> = out
            .lines()
            .skip_while(|l| l.trim() != marker)
            .skip(1)
            .take(1)
            .collect();
        // ActiveConn + InActConn (a local client's connection counts as active).
        let inact: u32 = conn
            .first()
            .map(|l| l.split_whitespace().collect::<Vec<_>>())
            .filter(|w| w.len() >= 6)
            .and_then(|w| Some(w[4].parse::<u32>().ok()? + w[5].parse::<u32>().ok()?))
            .unwrap_or(0);
        assert!(
            inact >= 1,
            "{mode}: no connection on 10.0.0.3: {conn:?}\n{out}"
        );
    }
    // Held through an unchanged real server: its connection counts survive the reload, and it
    // got no request (the scheduler was changed in place, the new server added).
    let conns = |l: &str| -> Option<u32> {
        let w: Vec<&str> = l.split_whitespace().collect();
        (w.len() >= 6 && w[1] == "10.0.0.3:80")
            .then(|| Some(w[4].parse::<u32>().ok()? + w[5].parse::<u32>().ok()?))
            .flatten()
    };
    let before = out
        .lines()
        .skip_while(|l| l.trim() != "@keep-before")
        .nth(1)
        .and_then(conns)
        .unwrap_or(0);
    let after = block(&out, "keep-after");
    let kept = after.iter().find_map(|l| conns(l)).unwrap_or(0);
    assert!(
        before >= 1 && kept >= before,
        "{before} -> {kept}: {after:#?}"
    );
    assert!(
        after.iter().any(|l| l.starts_with("TCP  10.0.0.1:80 wrr")),
        "{after:#?}"
    );
    let keep_log = std::fs::read_to_string(dir.path().join("rs-keep.log")).unwrap_or_default();
    assert!(
        keep_log.contains("changing service TCP 10.0.0.1:80 (wrr)")
            && !keep_log.contains("real server 10.0.0.3:80 of")
            && !keep_log.contains("removing real server 10.0.0.3"),
        "{keep_log}"
    );
    // keepalived's behaviour: gone with the reload.
    let plain = block(&out, "plain-reloaded");
    assert!(!plain.iter().any(|l| l.contains("10.0.0.3")), "{plain:?}");
    // Drained: still there at weight 0 after the reload, gone after its 3 s.
    let drain = block(&out, "drain-reloaded");
    assert!(
        drain
            .iter()
            .any(|l| l.split_whitespace().collect::<Vec<_>>()[..4]
                == ["->", "10.0.0.3:80", "Masq", "0"]),
        "{drain:?}\n{log}"
    );
    let after: u64 = out
        .lines()
        .find_map(|l| l.strip_prefix("@drain-gone-after "))
        .and_then(|l| l.trim_end_matches(" ms").parse().ok())
        .unwrap();
    assert!(
        (3000..10_000).contains(&after),
        "drained after {after} ms\n{log}"
    );
    assert!(log.contains("draining real server 10.0.0.3:80"), "{log}");
}

/// On a host without IPVS (this machine's kernel has none; the guest is not used): the daemon
/// starts, says so once, runs VRRP (the VIP comes up), looks for IPVS again on its back-off
/// without another error line, and stops cleanly; keepalived exits FATAL there.
#[test]
fn without_ipvs_the_daemon_says_so_once_and_runs_vrrp() {
    if !common::require(
        common::is_root(),
        "not root: network namespace tests need root",
    ) || !common::require(common::have("ip", "-V"), "iproute2 (`ip`) not installed")
    {
        return;
    }
    if std::path::Path::new("/proc/net/ip_vs").exists() {
        println!("SKIP this host kernel has IPVS: the test is for one without");
        return;
    }
    let lab = common::lab::Lab::new("nov", 1);
    let dir = TempDir::new("ipvs-none");
    let conf = dir.path().join("keepalived.conf");
    std::fs::write(
        &conf,
        "vrrp_instance VI_1 {\n    interface eth0\n    virtual_router_id 71\n    priority 100\n    advert_int 0.1\n    version 3\n    virtual_ipaddress {\n        192.0.2.71/32\n    }\n}\n\
virtual_server 10.0.0.1 80 {\n    protocol TCP\n    real_server 10.0.0.2 80 {\n    }\n}\n",
    )
    .unwrap();
    let mut d = common::Daemon::start_cmd(&mut common::lab::daemon_cmd(
        &lab.routers[0].ns,
        false,
        &conf,
        dir.path(),
    ));
    assert!(
        common::poll_until(std::time::Duration::from_secs(10), || lab
            .has_addr(0, "192.0.2.71")),
        "VRRP did not come up\n{}",
        d.log()
    );
    // Back-off 1 s, 2 s, 4 s: at least two more looks within 4 s, and still one line.
    let t = std::time::Instant::now();
    assert!(
        common::poll_until(std::time::Duration::from_secs(8), || d
            .count("resolving the IPVS family")
            >= 3),
        "{}",
        d.log()
    );
    println!("three looks for IPVS after {:?}", t.elapsed());
    assert_eq!(d.count("IPVS is not available"), 1, "{}", d.log());
    assert_eq!(d.count("WARNING: ipvs"), 0, "{}", d.log());
    d.signal(libc::SIGTERM);
    assert!(
        d.wait_exit(std::time::Duration::from_secs(5))
            .is_some_and(|s| s.success()),
        "{}",
        d.log()
    );
}

/// `-I` (`--dont-release-ipvs`): the virtual servers stay in the kernel when the daemon stops;
/// the next start adopts them without adding or removing anything.
#[test]
fn dont_release_ipvs_leaves_the_table_and_the_next_start_adopts_it() {
    let Some(vm) = IpvsVm::require() else { return };
    let dir = TempDir::new("ipvs-keep");
    std::fs::copy(common::bin(), dir.path().join("keepalived-rs")).unwrap();
    std::fs::write(dir.path().join("k.conf"), CONFIGS[0].1).unwrap();
    let script = "wait_for() { end=$((SECONDS + 20)); until ipvsadm -Ln | grep -q -- \"$1\"; do
             [ $SECONDS -ge $end ] && { echo \"@timeout $1\"; return 1; }; sleep 0.1; done; }
         ./keepalived-rs -n -l -D -I -f \"$PWD/k.conf\" -p /run/rs.pid >rs1.log 2>&1 &
         rs=$!
         wait_for '10.0.0.4:5060'
         ipvsadm -Sn | sort > before.txt
         kill -TERM $rs; wait $rs
         ipvsadm -Sn | sort > after-stop.txt
         ./keepalived-rs -n -l -D -f \"$PWD/k.conf\" -p /run/rs.pid >rs2.log 2>&1 &
         rs=$!
         end=$((SECONDS + 20))
         until grep -q \"table is as configured\" rs2.log; do
             [ $SECONDS -ge $end ] && { echo @timeout adopted; break; }; sleep 0.1; done
         ipvsadm -Sn | sort > adopted.txt
         kill -TERM $rs; wait $rs
         echo @left-after-second-stop; ipvsadm -Sn; echo @left-after-second-stop-end";
    let (status, out) = vm.run_within(dir.path(), script, 120);
    let read = |f: &str| std::fs::read_to_string(dir.path().join(f)).unwrap_or_default();
    println!(
        "{out}\n--- first run:\n{}\n--- second run:\n{}",
        read("rs1.log"),
        read("rs2.log")
    );
    assert_eq!(status, 0, "{out}");
    assert!(!out.contains("@timeout"), "{out}");
    assert!(
        read("before.txt").contains("-A -t 10.0.0.1:443"),
        "{}",
        read("before.txt")
    );
    assert_eq!(
        read("after-stop.txt"),
        read("before.txt"),
        "-I removed something"
    );
    assert_eq!(read("adopted.txt"), read("before.txt"));
    let second = read("rs2.log");
    assert!(
        !second.contains("IPVS: adding") && !second.contains("IPVS: removing real"),
        "{second}"
    );
    assert!(read("rs1.log").contains("leaving the virtual servers in place"));
    // Without -I the second run removed them at its stop.
    assert!(
        !block(&out, "left-after-second-stop")
            .iter()
            .any(|l| l.contains("10.0.0.1")),
        "{out}"
    );
}
