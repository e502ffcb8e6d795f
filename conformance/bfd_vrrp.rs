//! VRRP acting on BFD (`track_bfd`) on a real kernel: a master whose tracked BFD session goes
//! Down yields well before the backup's Master_Down_Interval, and takes the VIP back when the
//! session returns. The BFD peer is Debian's keepalived (`bfd_instance`) or keepalived-rs in a
//! third namespace, frozen with SIGSTOP. Needs root, `ip netns` and keepalived; without them each
//! test prints one `SKIP` line (a failure under `KEEPALIVED_RS_FULL_TESTS=1`).

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::lab::{Lab, daemon_cmd};
use common::{Daemon, TempDir, is_root, pid_in, require, send};

fn can_run() -> bool {
    require(is_root(), "not root: network namespace tests need root")
        && require(
            common::have("ip", "-V"),
            "iproute2 (`ip`) not installed: needed for the namespace labs",
        )
        && require(
            common::have("keepalived", "-v"),
            "keepalived not installed: it is the BFD peer of these tests",
        )
}

/// VRRPv2 at advert_int 1: Master_Down_Interval of the priority-100 backup is 3609.4 ms.
const MASTER_DOWN_100: Duration = Duration::from_micros(3_609_375);

fn bfd_block(name: &str, neighbor: &str, source: &str) -> String {
    format!(
        "bfd_instance {name} {{\n    neighbor_ip {neighbor}\n    source_ip {source}\n    min_rx 50\n    min_tx 50\n    multiplier 3\n}}\n"
    )
}

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn start(lab: &Lab, i: usize, dir: &Path, tag: &str, text: &str, keepalived: bool) -> Daemon {
    let run = dir.join(format!("run-{tag}"));
    std::fs::create_dir_all(&run).unwrap();
    let conf = write(dir, &format!("{tag}.conf"), text);
    Daemon::start_cmd(&mut daemon_cmd(&lab.routers[i].ns, keepalived, &conf, &run))
}

struct Thaw(i32);

impl Drop for Thaw {
    fn drop(&mut self) {
        send(self.0, libc::SIGCONT);
    }
}

fn vrrp_instance(name: &str, vrid: u8, prio: u8, vip: &str, track: &str) -> String {
    format!(
        "vrrp_instance {name} {{\n    state BACKUP\n    interface eth0\n    virtual_router_id {vrid}\n    priority {prio}\n    advert_int 1\n    virtual_ipaddress {{\n        {vip}/24\n    }}\n{track}}}\n"
    )
}

/// r0 (priority 150) tracks BFD session `up` to r2 (Debian keepalived) with weight 0; r1
/// (priority 100) backs it up. r2's BFD child is frozen: r0's session goes Down after its
/// detection time (150 ms), r0 goes to FAULT and hands over with priority 0, so r1 holds the
/// VIP after about 150 + 609 ms instead of the 3609 ms of a frozen master. Thawed, the session
/// comes back and r0 preempts.
#[test]
fn master_tracking_bfd_yields_when_the_session_goes_down() {
    if !can_run() {
        return;
    }
    let lab = Lab::new("bv", 3);
    let dir = TempDir::new("bfd-vrrp");
    let ip = |i: usize| lab.routers[i].v4.to_string();
    let vip = format!("10.99.{}.100", lab.net);
    let track = "    track_bfd {\n        up\n    }\n";
    let r0 = start(
        &lab,
        0,
        dir.path(),
        "r0",
        &(bfd_block("up", &ip(2), &ip(0)) + &vrrp_instance("VI", 51, 150, &vip, track)),
        false,
    );
    let r1 = start(
        &lab,
        1,
        dir.path(),
        "r1",
        &vrrp_instance("VI", 51, 100, &vip, ""),
        false,
    );
    let _r2 = start(
        &lab,
        2,
        dir.path(),
        "r2",
        &bfd_block("up", &ip(0), &ip(2)),
        true,
    );
    let logs = || format!("r0:\n{}\nr1:\n{}", r0.log(), r1.log());
    assert!(
        r0.wait_for("(up) Entering Up state", Duration::from_secs(10))
            .is_some(),
        "the BFD session never came up\n{}",
        logs()
    );
    assert!(
        lab.wait_sole_holder(0, &vip, MASTER_DOWN_100 * 3).is_ok(),
        "r0 never became the sole master\n{}",
        logs()
    );
    let bfd_child = pid_in(&dir.path().join("run-r2").join("bfd.pid"));
    send(bfd_child, libc::SIGSTOP);
    let frozen = Instant::now();
    let thaw = Thaw(bfd_child);
    let down = r0.wait_for("(up) Entering Down state", Duration::from_secs(5));
    assert!(
        down.is_some(),
        "r0 never saw the session go Down\n{}",
        logs()
    );
    let moved = lab.wait_sole_holder(1, &vip, MASTER_DOWN_100 * 2);
    let Ok(moved) = moved else {
        panic!("r1 never became the sole holder: {moved:?}\n{}", logs());
    };
    let took = moved - frozen;
    println!(
        "freeze -> Down logged {:?}, freeze -> VIP only on r1 {took:?} (Master_Down_Interval {MASTER_DOWN_100:?})",
        down.unwrap() - frozen
    );
    // Detection 150 ms + Skew_Time 609 ms + polling and log slack; far from 3609 ms.
    assert!(
        took < Duration::from_millis(1500),
        "took {took:?}\n{}",
        logs()
    );
    assert!(
        r0.log().contains("FAULT"),
        "r0 did not enter FAULT\n{}",
        logs()
    );
    drop(thaw);
    assert!(
        lab.wait_sole_holder(0, &vip, Duration::from_secs(10))
            .is_ok(),
        "r0 did not take the VIP back when the session returned\n{}",
        logs()
    );
}

/// `track_bfd` in a sync group: both members of r0's group leave when the group's session goes
/// Down, both come back when it returns. The BFD peer is keepalived-rs.
#[test]
fn sync_group_tracking_bfd_moves_all_members() {
    if !can_run() {
        return;
    }
    let lab = Lab::new("bg", 3);
    let dir = TempDir::new("bfd-group");
    let ip = |i: usize| lab.routers[i].v4.to_string();
    let vip1 = format!("10.99.{}.101", lab.net);
    let vip2 = format!("10.99.{}.102", lab.net);
    let group = |track: &str| {
        format!("vrrp_sync_group G {{\n    group {{\n        A\n        B\n    }}\n{track}}}\n")
    };
    let pair = |prio: u8| {
        vrrp_instance("A", 61, prio, &vip1, "") + &vrrp_instance("B", 62, prio, &vip2, "")
    };
    let r0 = start(
        &lab,
        0,
        dir.path(),
        "r0",
        &(bfd_block("link", &ip(2), &ip(0))
            + &group("    track_bfd {\n        link\n    }\n")
            + &pair(150)),
        false,
    );
    let r1 = start(&lab, 1, dir.path(), "r1", &(group("") + &pair(100)), false);
    let r2 = start(
        &lab,
        2,
        dir.path(),
        "r2",
        &bfd_block("link", &ip(0), &ip(2)),
        false,
    );
    let logs = || format!("r0:\n{}\nr1:\n{}", r0.log(), r1.log());
    for v in [&vip1, &vip2] {
        assert!(
            lab.wait_sole_holder(0, v, MASTER_DOWN_100 * 3).is_ok(),
            "r0 never held {v}\n{}",
            logs()
        );
    }
    send(r2.pid(), libc::SIGSTOP);
    let frozen = Instant::now();
    let thaw = Thaw(r2.pid());
    for v in [&vip1, &vip2] {
        assert!(
            lab.wait_sole_holder(1, v, MASTER_DOWN_100).is_ok(),
            "r1 did not take {v} before the Master_Down_Interval\n{}",
            logs()
        );
    }
    println!("freeze -> both VIPs only on r1: {:?}", frozen.elapsed());
    drop(thaw);
    for v in [&vip1, &vip2] {
        assert!(
            lab.wait_sole_holder(0, v, Duration::from_secs(10)).is_ok(),
            "r0 did not take {v} back\n{}",
            logs()
        );
    }
}
