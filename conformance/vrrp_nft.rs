//! Accept mode through nftables on a real kernel: two routers and a client on a bridge
//! (../shared/reference/lab.md). Router 0 (priority 150) is master of four instances: `no_accept`
//! (IPv4), `strict_mode` (no_accept by default), `accept`, and `no_accept` over IPv6 with a
//! link-local and a global VIP; router 1 (priority 100) is their backup. Checked:
//! - `nft -j list ruleset` on the master: tables `ip keepalived` and `ip6 keepalived`, their
//!   chains (hooks input/output, priority -1, policy accept), sets and rules, the VIPs of the
//!   no_accept and strict instances in the sets and not the `accept` one's;
//! - the client's TCP connections to a dropped VIP fail while those to the master's own
//!   addresses and to the `accept` VIP come up;
//! - the backup has no table;
//! - after SIGTERM nothing is left; the backup taking over builds its table;
//! - after `kill -9` of that master its table stays, and a restart as backup deletes it
//!   (keepalived 2.2.7 would keep it until its next MASTER);
//! - Debian's keepalived, master of the same configuration, builds the same ruleset (handles
//!   aside).
//!
//! The time the daemon's batches took (the kernel applies a batch inside `send(2)`) is printed
//! from its debug log. Needs root, `ip netns` and `nft`; the comparison needs keepalived (a
//! `SKIP` line without, a failure under `KEEPALIVED_RS_FULL_TESTS=1`).

mod common;

use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

use common::json::{self, Json};
use common::lab::{Lab, daemon_cmd, ns_exec, prerequisites};
use common::{Daemon, TempDir, have, poll_until, require};

const LIMIT: Duration = Duration::from_secs(10);
const PORT: u16 = 8399;

fn can_run() -> bool {
    prerequisites(None) && require(have("nft", "--version"), "nft not installed")
}

/// Router `i`'s configuration: four instances, all at priority `prio`.
fn config(lab: &Lab, prio: u8) -> String {
    let n = lab.net;
    let inst = |name: &str, vrid: u8, extra: &str, vips: &str| {
        format!(
            "vrrp_instance {name} {{\n    state BACKUP\n    interface eth0\n    virtual_router_id {vrid}\n    version 3\n    priority {prio}\n    advert_int 0.2\n    {extra}\n    virtual_ipaddress {{\n{vips}    }}\n}}\n"
        )
    };
    [
        "global_defs {\n    router_id nft\n}\n".to_string(),
        inst(
            "NA",
            51,
            "no_accept",
            &format!("        10.99.{n}.100/24\n"),
        ),
        inst(
            "ST",
            52,
            "strict_mode",
            &format!("        10.99.{n}.102/24\n"),
        ),
        inst("AC", 53, "accept", &format!("        10.99.{n}.103/24\n")),
        inst(
            "V6",
            54,
            "no_accept",
            &format!("        fe80::99:100/64\n        fd00:99:{n}::100/64\n"),
        ),
    ]
    .concat()
}

fn start(lab: &Lab, dir: &TempDir, i: usize, prio: u8, keepalived: bool) -> Daemon {
    let run = dir.path().join(format!("r{i}"));
    std::fs::create_dir_all(&run).unwrap();
    let conf = run.join("keepalived.conf");
    std::fs::write(&conf, config(lab, prio)).unwrap();
    for f in ["ka.pid", "vrrp.pid", "chk.pid", "bfd.pid", "rs.pid"] {
        let _ = std::fs::remove_file(run.join(f));
    }
    Daemon::start_cmd(&mut daemon_cmd(&lab.routers[i].ns, keepalived, &conf, &run))
}

/// `nft -j list ruleset` of namespace `ns`: its objects without the metainfo, handles removed.
fn ruleset(ns: &str) -> Vec<Json> {
    let out = ns_exec(ns, &["nft", "-j", "list", "ruleset"]);
    assert!(
        out.status.success(),
        "nft: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let j = json::parse(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    j.get("nftables")
        .map(|a| a.arr().to_vec())
        .unwrap_or_default()
        .into_iter()
        .filter(|o| o.get("metainfo").is_none())
        .map(strip_handles)
        .collect()
}

fn strip_handles(j: Json) -> Json {
    match j {
        Json::Obj(m) => Json::Obj(
            m.into_iter()
                .filter(|(k, _)| k != "handle")
                .map(|(k, v)| (k, strip_handles(v)))
                .collect(),
        ),
        Json::Arr(a) => Json::Arr(a.into_iter().map(strip_handles).collect()),
        x => x,
    }
}

fn s<'a>(j: &'a Json, path: &[&str]) -> Option<&'a str> {
    j.text(path)
}

/// The objects of kind `kind` (`table`, `set`, `chain`, `rule`) in family `fam`.
fn of<'a>(rs: &'a [Json], kind: &str, fam: &str) -> Vec<&'a Json> {
    rs.iter()
        .filter_map(|o| o.get(kind))
        .filter(|o| s(o, &["family"]) == Some(fam))
        .collect()
}

/// The elements of set `name` of family `fam`, as text (a concatenation as `a . b`).
fn elements(rs: &[Json], fam: &str, name: &str) -> Vec<String> {
    let Some(set) = of(rs, "set", fam)
        .into_iter()
        .find(|x| s(x, &["name"]) == Some(name))
    else {
        return Vec::new();
    };
    let mut v: Vec<String> = set
        .get("elem")
        .map(|e| e.arr().to_vec())
        .unwrap_or_default()
        .iter()
        .map(|e| match e {
            Json::Str(t) => t.clone(),
            Json::Obj(_) => e
                .get("concat")
                .map(|c| {
                    c.arr()
                        .iter()
                        .map(|p| match p {
                            Json::Str(t) => t.clone(),
                            other => format!("{other:?}"),
                        })
                        .collect::<Vec<_>>()
                        .join(" . ")
                })
                .unwrap_or_else(|| format!("{e:?}")),
            other => format!("{other:?}"),
        })
        .collect();
    v.sort();
    v
}

/// One line per object, sorted: a ruleset to compare with another.
fn canonical(rs: &[Json]) -> Vec<String> {
    let mut v: Vec<String> = rs
        .iter()
        .map(|o| {
            // Elements in sorted order (the kernel lists them as it stores them).
            if let Some(set) = o.get("set") {
                let fam = s(set, &["family"]).unwrap_or("");
                let name = s(set, &["name"]).unwrap_or("");
                let mut m = match set {
                    Json::Obj(m) => m.clone(),
                    _ => Default::default(),
                };
                m.remove("elem");
                return format!("{m:?} {:?}", elements(rs, fam, name));
            }
            format!("{o:?}")
        })
        .collect();
    v.sort();
    v
}

/// Runs `f` on a thread that has entered namespace `ns`.
fn in_ns<T: Send + 'static>(ns: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let ns = ns.to_string();
    std::thread::spawn(move || {
        common::lab::enter_ns(&ns).expect("enter namespace");
        f()
    })
    .join()
    .expect("thread in namespace")
}

/// A TCP listener on every address of namespace `ns` (IPv4 and IPv6), port `PORT`.
fn listen(ns: &str) -> TcpListener {
    in_ns(ns, || TcpListener::bind(("::", PORT)).expect("listen"))
}

/// Does a TCP connection from namespace `ns` to `addr` come up (one second)? The listener's
/// backlog completes the handshake.
fn connects(ns: &str, addr: &str) -> bool {
    let to = SocketAddr::new(addr.parse::<IpAddr>().unwrap(), PORT);
    in_ns(ns, move || {
        TcpStream::connect_timeout(&to, Duration::from_secs(1)).is_ok()
    })
}

/// The times of the daemon's nftables batches, from its debug log (microseconds).
fn batch_times(d: &Daemon) -> Vec<u64> {
    d.log()
        .lines()
        .filter_map(|l| {
            let rest = l.split("nftables: ").nth(1)?;
            let us = rest.split(" applied in ").nth(1)?;
            us.split(' ').next()?.parse().ok()
        })
        .collect()
}

#[test]
fn no_accept_and_strict_masters_drop_traffic_to_their_vips() {
    if !can_run() {
        return;
    }
    let lab = Lab::new("nf", 3);
    let dir = TempDir::new("nft");
    let n = lab.net;
    let (ns0, ns1, client) = (
        lab.routers[0].ns.clone(),
        lab.routers[1].ns.clone(),
        lab.routers[2].ns.clone(),
    );
    let vip = |last: u8| format!("10.99.{n}.{last}");
    let vip6 = format!("fd00:99:{n}::100");
    // A leftover of a crashed run on the backup-to-be: gone at its start.
    assert!(
        ns_exec(&ns1, &["nft", "add", "table", "ip", "keepalived"])
            .status
            .success()
    );

    let mut d0 = start(&lab, &dir, 0, 150, false);
    let mut d1 = start(&lab, &dir, 1, 100, false);
    for a in [vip(100), vip(102), vip(103), vip6.clone()] {
        lab.wait_sole_holder(0, &a, LIMIT)
            .unwrap_or_else(|h| panic!("{a} held by {h:?}\n{}", d0.log()));
    }
    // The last instance's elements are in once its log says so.
    assert!(
        poll_until(LIMIT, || elements(&ruleset(&ns0), "ip6", "vips")
            == [vip6.clone()]),
        "{:?}\n{}",
        ruleset(&ns0),
        d0.log()
    );
    let rs = ruleset(&ns0);
    // Tables, chains, sets.
    for fam in ["ip", "ip6"] {
        let t = of(&rs, "table", fam);
        assert_eq!(t.len(), 1, "{fam}: {rs:?}");
        assert_eq!(s(t[0], &["name"]), Some("keepalived"));
        for (chain, hook) in [("in", "input"), ("out", "output")] {
            let c = of(&rs, "chain", fam)
                .into_iter()
                .find(|c| s(c, &["name"]) == Some(chain))
                .unwrap_or_else(|| panic!("{fam} chain {chain}: {rs:?}"));
            assert_eq!(s(c, &["hook"]), Some(hook));
            assert_eq!(s(c, &["type"]), Some("filter"));
            assert_eq!(s(c, &["policy"]), Some("accept"));
            assert_eq!(c.get("prio").and_then(Json::num), Some(-1.0));
        }
    }
    let mut v4 = vec![vip(100), vip(102)];
    v4.sort();
    assert_eq!(
        elements(&rs, "ip", "vips"),
        v4,
        "accept's VIP is not dropped"
    );
    assert_eq!(elements(&rs, "ip6", "vips"), std::slice::from_ref(&vip6));
    assert_eq!(
        elements(&rs, "ip6", "vips_link_local"),
        ["fe80::99:100 . eth0"]
    );
    assert_eq!(
        elements(&rs, "ip6", "neighbor-discovery"),
        ["nd-neighbor-advert", "nd-neighbor-solicit"]
    );
    // Rules: `ip daddr @vips drop` in, `ip saddr @vips drop` out.
    let rules4 = of(&rs, "rule", "ip");
    let text = format!("{rules4:?}");
    assert_eq!(rules4.len(), 2, "{text}");
    for (chain, field) in [("in", "daddr"), ("out", "saddr")] {
        let r = rules4
            .iter()
            .find(|r| s(r, &["chain"]) == Some(chain))
            .unwrap_or_else(|| panic!("{text}"));
        let e = format!("{:?}", r.get("expr"));
        assert!(
            e.contains(&format!("Str(\"{field}\")")) && e.contains("@vips") && e.contains("drop"),
            "{e}"
        );
    }
    assert_eq!(of(&rs, "rule", "ip6").len(), 8, "{rs:?}");

    // Traffic from the client: the dropped VIPs do not answer, the rest does.
    let _l0 = listen(&ns0);
    let _l1 = listen(&ns1);
    assert!(
        connects(&client, &lab.routers[0].v4.to_string()),
        "own address"
    );
    assert!(
        connects(&client, &lab.routers[0].v6.to_string()),
        "own IPv6 address"
    );
    assert!(connects(&client, &vip(103)), "the accept instance's VIP");
    for a in [vip(100), vip(102), vip6.clone()] {
        assert!(!connects(&client, &a), "{a} answered although dropped");
    }
    // The backup: no table (its leftover was deleted at start).
    assert!(ruleset(&ns1).is_empty(), "backup: {:?}", ruleset(&ns1));

    // SIGTERM: nothing left; the backup takes over and builds its tables.
    d0.signal(libc::SIGTERM);
    assert!(d0.wait_exit(LIMIT).is_some(), "master did not stop");
    assert!(ruleset(&ns0).is_empty(), "after stop: {:?}", ruleset(&ns0));
    // The start's sweep, the two tables with the first elements, the other elements, then at
    // stop the tables' deletion.
    println!(
        "nftables batches of the master (us): {:?}",
        batch_times(&d0)
    );
    assert!(
        poll_until(LIMIT, || elements(&ruleset(&ns1), "ip", "vips") == v4),
        "new master: {:?}",
        ruleset(&ns1)
    );
    assert!(
        !connects(&client, &vip(100)),
        "dropped on the new master too"
    );
    assert!(connects(&client, &vip(103)), "accept on the new master");

    // kill -9: the table stays; a restart as backup (router 0 master again) removes it.
    d1.kill9();
    assert!(!ruleset(&ns1).is_empty(), "the crashed run's table");
    let d0b = start(&lab, &dir, 0, 150, false);
    assert!(
        poll_until(LIMIT, || lab.has_addr(0, &vip(100))),
        "{}",
        d0b.log()
    );
    let d1b = start(&lab, &dir, 1, 100, false);
    lab.wait_sole_holder(0, &vip(100), LIMIT)
        .unwrap_or_else(|h| panic!("held by {h:?}\n{}", d1b.log()));
    assert!(
        poll_until(LIMIT, || ruleset(&ns1).is_empty()),
        "leftover after restart: {:?}\n{}",
        ruleset(&ns1),
        d1b.log()
    );
    assert_eq!(elements(&ruleset(&ns0), "ip", "vips"), v4);
    let ours = canonical(&ruleset(&ns0));
    for mut d in [d1b, d0b] {
        d.signal(libc::SIGTERM);
        assert!(d.wait_exit(LIMIT).is_some(), "did not stop");
    }
    assert!(
        poll_until(LIMIT, || ruleset(&ns0).is_empty()),
        "after stop: {:?}",
        ruleset(&ns0)
    );

    // Debian's keepalived, master of the same configuration: the same ruleset.
    if !require(
        have("keepalived", "-v"),
        "keepalived not installed: no ruleset comparison",
    ) {
        return;
    }
    let ka = start(&lab, &dir, 0, 150, true);
    assert!(
        poll_until(LIMIT, || elements(&ruleset(&ns0), "ip6", "vips")
            == [vip6.clone()]
            && elements(&ruleset(&ns0), "ip", "vips") == v4),
        "keepalived: {:?}\n{}",
        ruleset(&ns0),
        ka.log()
    );
    let theirs = canonical(&ruleset(&ns0));
    assert_eq!(ours, theirs, "keepalived-rs (left) and keepalived (right)");
}

/// `nftables NAME`, `nftables_priority`, `nftables_counters`: the table's name, its chains'
/// priority and a counter in every rule; a reload that changes the priority makes the table
/// again with the master's addresses in it; nothing is left after SIGTERM.
#[test]
fn table_name_priority_and_counters_follow_the_configuration() {
    if !can_run() {
        return;
    }
    let lab = Lab::new("ns", 1);
    let dir = TempDir::new("nfts");
    let ns = lab.routers[0].ns.clone();
    let vip = format!("10.99.{}.100", lab.net);
    let conf = dir.path().join("keepalived.conf");
    let write = |prio: i32| {
        std::fs::write(
            &conf,
            format!(
                "global_defs {{\n    nftables kr_drop\n    nftables_priority {prio}\n    nftables_counters\n}}\nvrrp_instance NA {{\n    state MASTER\n    interface eth0\n    virtual_router_id 51\n    version 3\n    priority 150\n    advert_int 0.2\n    no_accept\n    virtual_ipaddress {{\n        {vip}/24\n    }}\n}}\n"
            ),
        )
        .unwrap()
    };
    write(-5);
    let mut d = Daemon::start_cmd(&mut daemon_cmd(&ns, false, &conf, dir.path()));
    let chain_prio = |rs: &[Json]| {
        of(rs, "chain", "ip")
            .iter()
            .filter_map(|c| c.get("prio").and_then(Json::num))
            .collect::<Vec<_>>()
    };
    assert!(
        poll_until(LIMIT, || elements(&ruleset(&ns), "ip", "vips")
            == [vip.clone()]),
        "{:?}\n{}",
        ruleset(&ns),
        d.log()
    );
    let rs = ruleset(&ns);
    assert_eq!(s(of(&rs, "table", "ip")[0], &["name"]), Some("kr_drop"));
    assert_eq!(chain_prio(&rs), [-5.0, -5.0]);
    for r in of(&rs, "rule", "ip") {
        assert!(format!("{r:?}").contains("counter"), "{r:?}");
    }
    assert!(
        of(&rs, "table", "ip6").is_empty(),
        "no IPv6 address, no ip6 table"
    );

    write(7);
    d.signal(libc::SIGHUP);
    assert!(
        poll_until(LIMIT, || {
            let rs = ruleset(&ns);
            chain_prio(&rs) == [7.0, 7.0] && elements(&rs, "ip", "vips") == [vip.clone()]
        }),
        "after reload: {:?}\n{}",
        ruleset(&ns),
        d.log()
    );
    d.signal(libc::SIGTERM);
    assert!(d.wait_exit(LIMIT).is_some(), "did not stop");
    assert!(ruleset(&ns).is_empty(), "after stop: {:?}", ruleset(&ns));
}
