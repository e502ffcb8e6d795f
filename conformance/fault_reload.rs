//! Fault suite: reload storms on a real kernel. A keepalived-rs master (r0) is reloaded 1,000
//! times with two files that alternate (one instance's priority changes, another instance comes
//! and goes) and now and then a file with a syntax error, while a peer (Debian's keepalived when
//! installed, else keepalived-rs) is its backup. Asserted: no failover (the peer never becomes
//! master, the VIP stays on r0 alone), the daemon keeps running the old configuration after a
//! broken file, and its RSS, fd count and instance table stay flat. Needs root and `ip netns`;
//! without them it prints one `SKIP` line (a failure under `KEEPALIVED_RS_FULL_TESTS=1`).

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::lab::{AddrWatch, Lab, daemon_cmd};
use common::{Daemon, TempDir, is_root, poll_until, procstat, require};

fn can_run() -> bool {
    require(is_root(), "not root: network namespace tests need root")
        && require(
            common::have("ip", "-V"),
            "iproute2 (`ip`) not installed: needed for the namespace labs",
        )
}

/// r0's configuration: VI_1 (the one the peer backs up, never changed), VI_2 whose priority is
/// `prio2`, tracking a script and a file (in `dir`), and, when `third`, VI_3 in a sync group
/// with VI_2.
fn master_conf(lab: &Lab, dir: &Path, prio2: u8, third: bool) -> String {
    let net = lab.net;
    let d = dir.display();
    let mut c = format!(
        "global_defs {{\n    router_id r0\n    script_user root\n}}\n\
         vrrp_script chk {{\n    script \"{d}/run.sh\"\n    interval 1\n    weight 2\n}}\n\
         track_file tf {{\n    file {d}/tf\n    weight 1\n    init_file 0\n}}\n\
         vrrp_instance VI_1 {{\n    state MASTER\n    interface eth0\n    virtual_router_id 51\n    \
         priority 150\n    advert_int 1\n    virtual_ipaddress {{\n        10.99.{net}.200/24\n    }}\n}}\n\
         vrrp_instance VI_2 {{\n    state BACKUP\n    interface eth0\n    virtual_router_id 52\n    \
         priority {prio2}\n    advert_int 1\n    track_script {{\n        chk\n    }}\n    \
         track_file {{\n        tf\n    }}\n    virtual_ipaddress {{\n        10.99.{net}.201/24\n    }}\n}}\n"
    );
    if third {
        c += &format!(
            "vrrp_instance VI_3 {{\n    state BACKUP\n    interface eth0\n    virtual_router_id 53\n    \
             priority 90\n    advert_int 1\n    virtual_ipaddress {{\n        10.99.{net}.202/24\n    }}\n}}\n\
             vrrp_sync_group G {{\n    group {{\n        VI_2\n        VI_3\n    }}\n}}\n"
        );
    }
    c
}

fn backup_conf(lab: &Lab) -> String {
    let net = lab.net;
    format!(
        "global_defs {{\n    router_id r1\n}}\n\
         vrrp_instance VI_1 {{\n    state BACKUP\n    interface eth0\n    virtual_router_id 51\n    \
         priority 100\n    advert_int 1\n    virtual_ipaddress {{\n        10.99.{net}.200/24\n    }}\n}}\n"
    )
}

/// "N instances in M slots" of the last VRRP reload line.
fn table(d: &Daemon) -> (usize, usize) {
    let line = d.last("VRRP reload:").unwrap_or_default();
    let words: Vec<&str> = line.split_whitespace().collect();
    let num = |w: &str| {
        words
            .iter()
            .position(|x| *x == w)
            .and_then(|p| words.get(p.wrapping_sub(1)))
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    (num("instances"), num("slots"))
}

/// The fewest fds the daemon holds over 1 s (a tracked script's run holds a few more for a
/// moment): sampled every 50 ms, a measurement rather than a wait.
fn settled_fds(pid: i32) -> usize {
    let mut least = usize::MAX;
    for _ in 0..20 {
        least = least.min(procstat::fds(pid));
        std::thread::sleep(Duration::from_millis(50));
    }
    least
}

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
}

#[test]
fn reload_storm_keeps_memory_fds_and_table_flat_without_failover() {
    if !can_run() {
        return;
    }
    let ka = common::have("keepalived", "--version");
    let lab = Lab::new("frl", 2);
    let dir = TempDir::new("fault-reload");
    let vip = format!("10.99.{}.200", lab.net);
    let conf0 = dir.path().join("r0.conf");
    let conf1 = dir.path().join("r1.conf");
    write(&conf0, &master_conf(&lab, dir.path(), 100, false));
    write(&conf1, &backup_conf(&lab));
    // The tracked script counts its runs.
    let runs = dir.path().join("runs");
    let script = dir.path().join("run.sh");
    write(
        &script,
        &format!("#!/bin/sh\necho x >> {}\n", runs.display()),
    );
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let count_runs = || {
        std::fs::read_to_string(&runs)
            .unwrap_or_default()
            .lines()
            .count()
    };
    let run0 = dir.path().join("run0");
    let run1 = dir.path().join("run1");
    std::fs::create_dir_all(&run0).unwrap();
    std::fs::create_dir_all(&run1).unwrap();
    let r0 = Daemon::start_cmd(&mut daemon_cmd(&lab.routers[0].ns, false, &conf0, &run0));
    let r1 = Daemon::start_cmd(&mut daemon_cmd(&lab.routers[1].ns, ka, &conf1, &run1));
    let logs = |r0: &Daemon, r1: &Daemon| format!("--- r0\n{}\n--- r1\n{}", r0.log(), r1.log());
    let held = lab.wait_sole_holder(0, &vip, Duration::from_secs(10));
    assert!(
        held.is_ok(),
        "r0 never master: {held:?}\n{}",
        logs(&r0, &r1)
    );
    // The peer has seen r0's adverts (it is a backup, not just starting).
    assert!(
        r1.wait_for("Entering BACKUP STATE", Duration::from_secs(5))
            .is_some(),
        "{}",
        logs(&r0, &r1)
    );
    let watch = AddrWatch::new(&lab.routers[1].ns);
    let began = Instant::now();
    let pid = r0.pid();

    let reloads = 1000;
    let mut failed = 0;
    let mut samples = Vec::new();
    for k in 1..=reloads {
        // Every 50 reloads a broken file, in turn: one keepalived-rs refuses (an include cycle,
        // a missing file: the running configuration stays), and one with syntax errors that
        // keepalived too reads past (stray words and braces: VI_1 itself is unchanged).
        let broken = (k % 50 == 25).then_some((k / 50) % 3);
        let good = master_conf(&lab, dir.path(), 100 + (k % 2) as u8, k % 2 == 1);
        match broken {
            Some(0) => write(&conf0, "include r0.conf\n"),
            Some(1) => std::fs::remove_file(&conf0).unwrap(),
            Some(_) => write(
                &conf0,
                &format!("@@@ }}}} {{ garbage\n{good}}}\n}}\nvrrp_instance {{\n"),
            ),
            None => write(&conf0, &good),
        }
        let done = r0.count("Reload finished") + r0.count("Reload failed");
        r0.signal(libc::SIGHUP);
        let ok = poll_until(Duration::from_secs(5), || {
            r0.count("Reload finished") + r0.count("Reload failed") > done
        });
        assert!(ok, "reload {k} never finished\n{}", logs(&r0, &r1));
        if matches!(broken, Some(0 | 1)) {
            failed += 1;
            assert_eq!(r0.count("Reload failed"), failed, "{}", r0.log());
            assert!(lab.has_addr(0, &vip), "r0 lost the VIP after a broken file");
            write(&conf0, &good);
        }
        if k == 100 || k == reloads {
            // Between reloads, settled: the requests of the last one answered.
            let (rss, _) = procstat::memory(&[pid]);
            samples.push((k, rss, settled_fds(pid), table(&r0)));
        }
    }
    let ((k0, rss0, fd0, t0), (k1, rss1, fd1, t1)) = (samples[0], samples[1]);
    println!(
        "reload storm: {reloads} reloads ({failed} broken) in {:?}; after {k0}: RSS {rss0} kB, \
         {fd0} fds, {} instances in {} slots; after {k1}: RSS {rss1} kB, {fd1} fds, {} instances \
         in {} slots",
        began.elapsed(),
        t0.0,
        t0.1,
        t1.0,
        t1.1
    );
    // No failover: the peer never took the VIP, r0 alone holds it.
    let stolen: Vec<_> = watch
        .since(began)
        .into_iter()
        .filter(|e| e.added && e.addr.to_string() == vip)
        .collect();
    assert!(
        stolen.is_empty(),
        "the peer took the VIP: {stolen:?}\n{}",
        logs(&r0, &r1)
    );
    assert_eq!(lab.holders(&vip), [0], "{}", logs(&r0, &r1));
    assert_eq!(
        r1.count("Entering MASTER STATE"),
        0,
        "the peer became master\n{}",
        logs(&r0, &r1)
    );
    // Flat: the table, the fds, the memory (a retired instance leaked about 2.6 kB).
    assert_eq!(t0.1, t1.1, "the instance table grew: {t0:?} -> {t1:?}");
    // The script runs once a second, not once per reload that ever restarted its tracker:
    // counted over a window of 3 s (a measurement, not a wait).
    let before = count_runs();
    std::thread::sleep(Duration::from_secs(3));
    let in_window = count_runs() - before;
    println!("script runs in 3 s after the storm: {in_window}");
    assert!(
        (1..=5).contains(&in_window),
        "the tracked script (interval 1 s) ran {in_window} times in 3 s"
    );
    assert!(fd1 <= fd0, "fds grew: {fd0} -> {fd1}");
    assert!(
        rss1 <= rss0 + 256,
        "RSS grew over {} reloads: {rss0} -> {rss1} kB",
        k1 - k0
    );
}

/// `use_vmac` instances through reloads: one whose priority changes keeps one VMAC (its
/// successor reuses it), and one removed takes its VMAC with it; no macvlan piles up.
#[test]
fn reloads_neither_pile_up_nor_leave_vmacs() {
    if !can_run() {
        return;
    }
    let lab = Lab::new("frv", 1);
    let dir = TempDir::new("fault-reload-vmac");
    let conf = dir.path().join("r0.conf");
    let net = lab.net;
    let ns = lab.routers[0].ns.clone();
    let text = |prio: u8, second: bool| {
        let inst = |name: &str, vrid: u8, prio: u8, vip: u8| {
            format!(
                "vrrp_instance {name} {{\n    interface eth0\n    use_vmac\n    virtual_router_id {vrid}\n    \
                 priority {prio}\n    advert_int 1\n    virtual_ipaddress {{\n        10.99.{net}.{vip}/24\n    }}\n}}\n"
            )
        };
        let mut c = inst("VI_1", 61, prio, 210);
        if second {
            c += &inst("VI_2", 62, 100, 211);
        }
        c
    };
    let macvlans = || {
        let out = common::lab::ns_exec(&ns, &["ip", "-o", "-d", "link", "show", "type", "macvlan"]);
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
            .collect::<Vec<_>>()
    };
    write(&conf, &text(100, true));
    let run = dir.path().join("run");
    std::fs::create_dir_all(&run).unwrap();
    let r0 = Daemon::start_cmd(&mut daemon_cmd(&ns, false, &conf, &run));
    let two = |v: &Vec<String>| v.len() == 2;
    assert!(
        poll_until(Duration::from_secs(10), || two(&macvlans())),
        "{:?}\n{}",
        macvlans(),
        r0.log()
    );
    for k in 1..=20u8 {
        // VI_1 changes every time; VI_2 is there every other time.
        let second = k % 2 == 0;
        write(&conf, &text(100 + k, second));
        let done = r0.count("Reload finished");
        r0.signal(libc::SIGHUP);
        assert!(
            poll_until(Duration::from_secs(5), || r0.count("Reload finished")
                > done),
            "{}",
            r0.log()
        );
        let want = if second { 2 } else { 1 };
        let ok = poll_until(Duration::from_secs(5), || macvlans().len() == want);
        assert!(
            ok,
            "reload {k}: VMACs {:?}, want {want}\n{}",
            macvlans(),
            r0.log()
        );
    }
    let names = macvlans();
    assert!(
        names.iter().all(|n| n.starts_with("vrrp.6")),
        "VMAC names moved: {names:?}"
    );
    // And every restarted VI_1 ran on its VMAC (not held waiting for it).
    let ok = poll_until(Duration::from_secs(5), || {
        r0.count("(VI_1) VMAC vrrp.61") == 21
    });
    assert!(ok, "{}", r0.log());
}
