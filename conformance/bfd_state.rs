//! BFD sessions in the JSON state and `--status`, and `idle_tx`/`passive` changed by a reload on
//! a running session (issue 15 item 7), against Debian's keepalived 2.2.7 as the peer, in
//! network namespaces on a bridge, checked on the wire (the bridge capture) and in the JSON.
//! Needs root, `ip netns` and keepalived; without them the test prints one `SKIP` line (a
//! failure under `KEEPALIVED_RS_FULL_TESTS=1`).

mod common;

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::json::{self, Json};
use common::lab::{Lab, daemon_cmd, ns_exec};
use common::peers::{Seen, bfd_packets};
use common::{Daemon, TempDir, is_root, poll_until, require};
use keepalived_rs::wire::bfd::State;

fn can_run() -> bool {
    require(is_root(), "not root: network namespace tests need root")
        && require(
            common::have("ip", "-V"),
            "iproute2 (`ip`) not installed: needed for the namespace labs",
        )
        && require(
            common::have("keepalived", "-v"),
            "keepalived not installed: the BFD peer of this test",
        )
}

fn session(name: &str, peer: IpAddr, local: IpAddr, extra: &str) -> String {
    format!(
        "bfd_instance {name} {{\n    neighbor_ip {peer}\n    source_ip {local}\n    min_rx 50\n    min_tx 50\n    multiplier 3\n{extra}}}\n"
    )
}

/// Our daemon in router `i` with `text`; its run directory holds the pid file and the JSON file.
fn start(lab: &Lab, i: usize, dir: &Path, text: &str, keepalived: bool) -> (PathBuf, Daemon) {
    let run = dir.join(format!("run{i}"));
    std::fs::create_dir_all(&run).unwrap();
    let conf = dir.join(format!("r{i}.conf"));
    std::fs::write(&conf, text).unwrap();
    let d = Daemon::start_cmd(&mut daemon_cmd(&lab.routers[i].ns, keepalived, &conf, &run));
    (conf, d)
}

/// The session `name` in `--status`, and the whole answer.
fn status(lab: &Lab, run: &Path, name: &str) -> (Json, String) {
    let pid = run.join("rs.pid").to_string_lossy().into_owned();
    let out = ns_exec(&lab.routers[0].ns, &[common::bin(), "--status", "-p", &pid]);
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    (bfd_of(&text, name), text)
}

fn bfd_of(text: &str, name: &str) -> Json {
    let all = json::parse(text.trim()).unwrap_or_else(|e| panic!("{e}: {text}"));
    all.arr()
        .iter()
        .filter_map(|e| e.get("bfd_instance"))
        .find(|b| b.get("name") == Some(&Json::Str(name.into())))
        .unwrap_or_else(|| panic!("no bfd_instance {name} in {text}"))
        .clone()
}

fn num(j: &Json, k: &str) -> f64 {
    j.get(k)
        .and_then(Json::num)
        .unwrap_or_else(|| panic!("{k} in {j:?}"))
}

fn text(j: &Json, k: &str) -> String {
    match j.get(k) {
        Some(Json::Str(s)) => s.clone(),
        other => panic!("{k}: {other:?}"),
    }
}

fn logs(rs: &Daemon, ka: &Daemon) -> String {
    format!("ours:\n{}\nkeepalived:\n{}", rs.log(), ka.log())
}

/// Our packets on the wire since `t`.
fn ours_since(lab: &Lab, t: Instant, us: IpAddr) -> Vec<Seen> {
    bfd_packets(&lab.frames_since(t))
        .into_iter()
        .filter(|s| s.src == us)
        .collect()
}

#[test]
fn state_in_json_and_status_and_idle_tx_passive_applied_on_reload() {
    if !can_run() {
        return;
    }
    let mut lab = Lab::new("bst", 2);
    lab.capture();
    let dir = TempDir::new("bfd-state");
    let (us, peer) = (IpAddr::V4(lab.routers[0].v4), IpAddr::V4(lab.routers[1].v4));
    let run = dir.path().join("run0");
    let json_file = run.join("state.json");
    let global = format!(
        "global_defs {{\n    json_dump_file {}\n}}\n",
        json_file.display()
    );
    let (_, mut ka) = start(&lab, 1, dir.path(), &session("b1", us, peer, ""), true);
    let (conf, rs) = start(
        &lab,
        0,
        dir.path(),
        &format!("{global}{}", session("b1", peer, us, "")),
        false,
    );
    for (who, d) in [("ours", &rs), ("keepalived", &ka)] {
        assert!(
            d.wait_for("(b1) Entering Up state", Duration::from_secs(10))
                .is_some(),
            "{who} never Up\n{}",
            logs(&rs, &ka)
        );
    }

    // --status and the JSON file: the session, Up, with both discriminators and the values
    // negotiated (transmit 50 ms, detection 3 x 50 ms once the Poll of going Up is over).
    let mut b = Json::Null;
    assert!(
        poll_until(Duration::from_secs(5), || {
            b = status(&lab, &run, "b1").0;
            b.get("poll") == Some(&Json::Bool(false))
                && b.get("detection_time_us").and_then(Json::num) == Some(150_000.0)
        }),
        "{b:?}"
    );
    assert_eq!(text(&b, "state"), "Up");
    assert_eq!(text(&b, "neighbor"), peer.to_string());
    assert_eq!(text(&b, "source"), us.to_string());
    assert!(num(&b, "local_discr") > 0.0 && num(&b, "remote_discr") > 0.0);
    assert_eq!(text(&b, "remote_state"), "Up");
    assert_eq!(num(&b, "tx_interval_us"), 50_000.0);
    assert_eq!(num(&b, "remote_multiplier"), 3.0);
    assert_eq!(
        (num(&b, "idle_tx_us"), b.get("passive")),
        (1e6, Some(&Json::Bool(false)))
    );
    assert!(num(&b, "packets_in") > 0.0 && num(&b, "packets_out") > 0.0);
    let wall = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    let since = num(&b, "since");
    assert!(
        since > wall - 30.0 && since <= wall,
        "since {since}, now {wall}"
    );
    let discr = num(&b, "local_discr");
    let signal = common::signum("JSON");
    rs.signal(signal);
    assert!(
        poll_until(Duration::from_secs(5), || json_file.exists()),
        "no {}",
        json_file.display()
    );
    let f = bfd_of(&std::fs::read_to_string(&json_file).unwrap(), "b1");
    assert_eq!(
        (text(&f, "state"), num(&f, "local_discr")),
        ("Up".into(), discr)
    );

    // Reload: passive, idle_tx 2 s. The session stays Up (same discriminator, no state change).
    let reloaded = rs.count("session kept");
    std::fs::write(
        &conf,
        format!(
            "{global}{}",
            session("b1", peer, us, "    passive\n    idle_tx 2000\n")
        ),
    )
    .unwrap();
    rs.signal(libc::SIGHUP);
    assert!(
        poll_until(Duration::from_secs(5), || rs.count("session kept")
            > reloaded),
        "{}",
        logs(&rs, &ka)
    );
    let b = status(&lab, &run, "b1").0;
    assert_eq!(
        (text(&b, "state"), num(&b, "local_discr")),
        ("Up".into(), discr)
    );
    assert_eq!(
        (num(&b, "idle_tx_us"), b.get("passive")),
        (2e6, Some(&Json::Bool(true)))
    );
    assert_eq!(
        (rs.count("(b1) Entering Up"), rs.count("(b1) Entering Down")),
        (1, 0),
        "{}",
        logs(&rs, &ka)
    );

    // The peer goes: Down; once its detection time has passed, a passive session
    // sends nothing.
    ka.signal(libc::SIGTERM);
    let _ = ka.wait_exit(Duration::from_secs(5));
    assert!(
        rs.wait_for("(b1) Entering Down state", Duration::from_secs(5))
            .is_some(),
        "{}",
        logs(&rs, &ka)
    );
    let mut b = Json::Null;
    assert!(
        poll_until(Duration::from_secs(5), || {
            b = status(&lab, &run, "b1").0;
            b.get("remote_discr").and_then(Json::num) == Some(0.0)
        }),
        "{b:?}"
    );
    assert_eq!(text(&b, "state"), "Down");
    // keepalived's stop may or may not reach us as AdminDown before its process ends.
    let diag = text(&b, "local_diag");
    assert!(
        diag == "Neighbor Signaled Session Down" || diag == "Control Detection Time Expired",
        "{diag}"
    );
    let quiet = Instant::now();
    let window = Duration::from_millis(2500);
    std::thread::sleep(window); // A window in which nothing may be sent (absence is observed).
    let sent = ours_since(&lab, quiet, us);
    assert!(sent.is_empty(), "passive and Down, yet sent {sent:?}");

    // Active again by reload (idle_tx still 2 s): Down packets every 1.5-2 s (75-100 %).
    let t = Instant::now();
    std::fs::write(
        &conf,
        format!("{global}{}", session("b1", peer, us, "    idle_tx 2000\n")),
    )
    .unwrap();
    rs.signal(libc::SIGHUP);
    let mut seen = Vec::new();
    assert!(
        common::poll_every(Duration::from_secs(8), Duration::from_millis(50), || {
            seen = ours_since(&lab, t, us);
            seen.len() >= 3
        }),
        "{seen:?}\n{}",
        logs(&rs, &ka)
    );
    for s in &seen {
        assert_eq!((s.state, s.min_tx), (State::Down, 2_000_000), "{s:?}");
    }
    for w in seen.windows(2) {
        let gap = w[1].stamp().saturating_sub(w[0].stamp());
        assert!(
            gap >= Duration::from_millis(1490) && gap <= Duration::from_millis(2100),
            "gap {gap:?} in {seen:?}"
        );
    }
    println!(
        "reload kept the session (discriminator {discr}); passive: 0 packets in {window:?} Down; idle_tx 2 s: gaps {:?}",
        seen.windows(2)
            .map(|w| w[1].stamp().saturating_sub(w[0].stamp()))
            .collect::<Vec<_>>()
    );
}

/// Router `i`'s link-local address on `eth0`.
fn link_local(lab: &Lab, i: usize) -> IpAddr {
    let out = ns_exec(
        &lab.routers[i].ns,
        &[
            "ip", "-6", "-o", "addr", "show", "dev", "eth0", "scope", "link",
        ],
    );
    let s = String::from_utf8_lossy(&out.stdout);
    let a = s
        .split_whitespace()
        .skip_while(|w| *w != "inet6")
        .nth(1)
        .and_then(|a| a.split('/').next())
        .unwrap_or_else(|| panic!("no link-local address: {s}"));
    a.parse().unwrap()
}

/// IPv6 link-local neighbours: the scope comes from the interface holding `source_ip`. With
/// FRR's bfdd (`peer fe80::.. interface eth0`): Up on both sides, our packets on the wire from
/// our link-local address to FRR's, TTL 255.
#[test]
fn link_local_ipv6_neighbor_comes_up_with_frr() {
    if !can_run() || !require(common::peers::have_frr(), "FRR (bfdd, vtysh) not installed") {
        return;
    }
    let mut lab = Lab::new("bll", 2);
    lab.capture();
    let dir = TempDir::new("bfd-ll");
    let (us, peer) = (link_local(&lab, 0), link_local(&lab, 1));
    let frr = common::peers::Frr::start(
        &lab.routers[1].ns,
        &format!(
            "bfd\n peer {us} interface eth0 local-address {peer}\n  transmit-interval 50\n  receive-interval 50\n  detect-multiplier 3\n"
        ),
    );
    let (_, rs) = start(&lab, 0, dir.path(), &session("ll", peer, us, ""), false);
    let logs = || {
        format!(
            "ours:\n{}\nfrr:\n{}",
            rs.log(),
            frr.vtysh(&["show bfd peers"])
        )
    };
    assert!(
        rs.wait_for("(ll) Entering Up state", Duration::from_secs(10))
            .is_some(),
        "never Up\n{}",
        logs()
    );
    assert!(
        frr.wait_status(&us.to_string(), "up", Duration::from_secs(5)),
        "FRR: not up\n{}",
        logs()
    );
    let t = Instant::now();
    let mut seen = Vec::new();
    assert!(
        poll_until(Duration::from_secs(3), || {
            seen = ours_since(&lab, t, us);
            seen.len() >= 5
        }),
        "{}",
        logs()
    );
    for s in &seen {
        assert_eq!(
            (s.dst, s.dport, s.ttl, s.state),
            (peer, 3784, 255, State::Up),
            "{s:?}"
        );
    }
    let b = status(&lab, &dir.path().join("run0"), "ll").0;
    assert_eq!(text(&b, "state"), "Up");
    assert!(text(&b, "local").starts_with(&format!("[{us}%")), "{b:?}");
    println!(
        "link-local session Up with FRR: {us} <-> {peer}, {} packets checked",
        seen.len()
    );
}
