//! `src/netlink` against the real kernel: VIPs, routes and rules added and removed through the
//! asynchronous client, the link/address monitor watching changes made behind its back.
//!
//! Each test makes its own network namespace with a veth pair (`va` <-> `vb`, both inside) and
//! removes it when it ends, also on failure (the [`Lab`] guard). The client and the monitor run
//! on a dedicated thread that has entered the namespace (`setns` changes the calling thread
//! only; sockets belong to the namespace they were opened in), driven by a small mio loop that
//! waits with deadlines, never sleeps. What the kernel did is read back with `ip -j`.
//! Without root or network namespaces each test prints one `SKIP` line (a failure with
//! `KEEPALIVED_RS_FULL_TESTS=1`).

mod common;

use std::net::IpAddr;
use std::os::fd::AsRawFd;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use keepalived_rs::config::vrrp::{IpAddress, Route, Rule};
use keepalived_rs::config::{Config, Diagnostics};
use keepalived_rs::executor::vrrp::kernel_terms::{send_address, send_route, send_rule};
use keepalived_rs::netlink::request::Op as Change;
use keepalived_rs::netlink::{
    Event, Monitor, MonitorNames, Outcome, Reply, RtNames, Rtnl, Seq, SysNames,
};
use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Token};

use common::{Netns, have, is_root, require};

/// How long any one answer or event may take.
const WAIT: Duration = Duration::from_secs(5);

/// A namespace with `va` and `vb` (a veth pair, both up), deleted on drop.
struct Lab {
    ns: Netns,
}

impl Lab {
    /// The lab, or `None` after a SKIP line when the machine cannot have one.
    fn new(tag: &str) -> Option<Lab> {
        if !require(is_root(), "netlink tests need root (network namespaces)")
            || !require(have("ip", "-V"), "iproute2's `ip` is not installed")
        {
            return None;
        }
        let ns = Netns::try_new(&format!("nl-{tag}"));
        if !require(ns.is_some(), "cannot create a network namespace") {
            return None;
        }
        let lab = Lab { ns: ns? };
        let veth = lab.ip_ok(&["link", "add", "va", "type", "veth", "peer", "name", "vb"]);
        if !require(veth, "cannot create a veth pair") {
            return None;
        }
        for args in [["link", "set", "va", "up"], ["link", "set", "vb", "up"]] {
            lab.ip(&args);
        }
        Some(lab)
    }

    fn name(&self) -> &str {
        &self.ns.0
    }

    fn ip_ok(&self, args: &[&str]) -> bool {
        Command::new("ip")
            .arg("-n")
            .arg(self.name())
            .args(args)
            .status()
            .is_ok_and(|s| s.success())
    }

    /// Runs `ip -n NS ARGS`, which must succeed.
    fn ip(&self, args: &[&str]) {
        assert!(self.ip_ok(args), "ip -n {} {}", self.name(), args.join(" "));
    }

    /// Runs `f` on a thread inside the namespace; its panic is the test's.
    fn inside<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> T {
        let path = format!("/run/netns/{}", self.name());
        std::thread::spawn(move || {
            keepalived_rs::sys::enter_netns(Path::new(&path)).expect("setns into the lab");
            f()
        })
        .join()
        .unwrap_or_else(|e| std::panic::resume_unwind(e))
    }
}

/// The flat JSON object (as `ip -j` prints them) that contains `needle`.
fn object_with<'a>(json: &'a str, needle: &str) -> Option<&'a str> {
    let at = json.find(needle)?;
    let start = json[..at].rfind('{')?;
    let end = at + json[at..].find('}')?;
    Some(&json[start..=end])
}

/// The addresses, routes and rules of one config text.
fn model(text: &str) -> (Vec<IpAddress>, Vec<Route>, Vec<Rule>) {
    let mut d = Diagnostics::default();
    let c = Config::from_text(text, &mut d);
    (
        c.vrrp.static_addresses,
        c.vrrp.static_routes,
        c.vrrp.static_rules,
    )
}

const RTNL: Token = Token(0);
const MONITOR: Token = Token(1);

/// The client and the monitor on one mio poll, as the daemon's reactor would hold them.
struct Driver {
    poll: Poll,
    events: Events,
    rtnl: Rtnl<()>,
    monitor: Monitor,
    replies: Vec<Reply<()>>,
    seen: Vec<Event>,
}

impl Driver {
    fn new() -> Driver {
        let poll = Poll::new().unwrap();
        let rtnl = Rtnl::new().unwrap();
        let monitor = Monitor::new().unwrap();
        let reg = poll.registry();
        reg.register(&mut SourceFd(&rtnl.as_raw_fd()), RTNL, Interest::READABLE)
            .unwrap();
        reg.register(
            &mut SourceFd(&monitor.as_raw_fd()),
            MONITOR,
            Interest::READABLE,
        )
        .unwrap();
        Driver {
            poll,
            events: Events::with_capacity(8),
            rtnl,
            monitor,
            replies: Vec::new(),
            seen: Vec::new(),
        }
    }

    /// One wait (at most until `end`), then drain whatever is readable.
    fn turn(&mut self, end: Instant) {
        let left = end.saturating_duration_since(Instant::now());
        self.poll.poll(&mut self.events, Some(left)).unwrap();
        for e in self.events.iter() {
            match e.token() {
                RTNL => self.replies.extend(self.rtnl.recv()),
                MONITOR => self.seen.extend(self.monitor.recv()),
                _ => {}
            }
        }
    }

    /// Waits for the answer to `seq`.
    fn reply(&mut self, seq: Seq) -> Reply<()> {
        let end = Instant::now() + WAIT;
        loop {
            if let Some(i) = self.replies.iter().position(|r| r.seq == seq) {
                return self.replies.remove(i);
            }
            assert!(Instant::now() < end, "no answer to {seq:?} within {WAIT:?}");
            self.turn(end);
        }
    }

    /// Waits for the first event (from the start of the record) that `pred` accepts, and
    /// forgets it and everything before it.
    fn event(&mut self, what: &str, pred: impl Fn(&Event) -> bool) -> Event {
        let end = Instant::now() + WAIT;
        loop {
            if let Some(i) = self.seen.iter().position(&pred) {
                let e = self.seen[i].clone();
                self.seen.drain(..=i);
                return e;
            }
            assert!(
                Instant::now() < end,
                "no event `{what}` within {WAIT:?}; saw {:?}",
                self.seen
            );
            self.turn(end);
        }
    }

    /// Waits for the answer to `seq`: done, or already so.
    fn ack(&mut self, seq: Seq, what: &str) {
        let r = self.reply(seq);
        assert_eq!(r.outcome.errno(), None, "{what}: {r:?}");
    }
}

#[test]
fn vips_add_delete_and_duplicates() {
    let Some(lab) = Lab::new("vip") else { return };
    let ns = lab.name().to_string();
    let (addrs, _, _) = model(
        "static_ipaddress {
            10.99.1.10/32 brd 10.99.1.255 dev va label va:vip
            fd00:99::10/128 dev va
        }",
    );
    assert_eq!(addrs.len(), 2);
    let stats = lab.inside(move || {
        let mut d = Driver::new();
        let ifindex = keepalived_rs::sys::if_nametoindex("va").expect("va exists");

        for a in &addrs {
            let seq = send_address(&mut d.rtnl, Change::Add, ifindex, a, ()).unwrap();
            d.ack(seq, "add");
        }
        let v4 = ip_json(&ns, &["addr", "show", "dev", "va"]);
        let o = object_with(&v4, r#""local":"10.99.1.10""#).expect("IPv4 VIP present");
        assert!(o.contains(r#""prefixlen":32"#), "{o}");
        assert!(o.contains(r#""broadcast":"10.99.1.255""#), "{o}");
        assert!(o.contains(r#""label":"va:vip""#), "{o}");
        let o = object_with(&v4, r#""local":"fd00:99::10""#).expect("IPv6 VIP present");
        assert!(o.contains(r#""prefixlen":128"#), "{o}");
        assert!(o.contains(r#""nodad":true"#), "nodad: {o}");
        assert!(
            o.contains(r#""preferred_life_time":0"#),
            "deprecated /128: {o}"
        );
        assert!(!o.contains("tentative"), "{o}");

        // The same adds again: EEXIST, answered as done.
        for a in &addrs {
            let seq = send_address(&mut d.rtnl, Change::Add, ifindex, a, ()).unwrap();
            d.ack(seq, "duplicate add");
        }
        // An interface that does not exist: a real error.
        let seq = send_address(&mut d.rtnl, Change::Add, 999_999, &addrs[0], ()).unwrap();
        assert!(
            matches!(
                d.reply(seq).outcome,
                Outcome::Failed {
                    errno: libc::ENODEV,
                    ..
                }
            ),
            "no such interface"
        );

        for a in &addrs {
            let seq = send_address(&mut d.rtnl, Change::Del, ifindex, a, ()).unwrap();
            d.ack(seq, "delete");
        }
        let after = ip_json(&ns, &["addr", "show", "dev", "va"]);
        assert!(!after.contains("10.99.1.10"), "{after}");
        assert!(!after.contains("fd00:99::10"), "{after}");
        // Deleting again: EADDRNOTAVAIL, answered as done.
        for a in &addrs {
            let seq = send_address(&mut d.rtnl, Change::Del, ifindex, a, ()).unwrap();
            d.ack(seq, "duplicate delete");
        }
        assert_eq!(d.rtnl.pending(), 0);
        d.rtnl.stats()
    });
    assert_eq!(stats.sent, 9);
    assert_eq!((stats.acked, stats.idempotent, stats.errors), (8, 4, 1));
    assert_eq!(stats.malformed + stats.foreign + stats.unmatched, 0);
}

#[test]
fn routes_in_a_table_with_metric_via_and_nexthops() {
    let Some(lab) = Lab::new("route") else { return };
    lab.ip(&["addr", "add", "10.99.1.2/24", "dev", "va"]);
    lab.ip(&["addr", "add", "fd00:99::2/64", "dev", "va", "nodad"]);
    let (_, routes, _) = model(
        "static_routes {
            10.50.0.0/16 via 10.99.1.1 dev va table 100 metric 7
            10.60.0.0/16 table 1000 nexthop via 10.99.1.1 dev va weight 2 nexthop via 10.99.1.3 dev va
            fd00:50::/64 via fd00:99::1 dev va table 100 metric 9
        }",
    );
    assert_eq!(routes.len(), 3);
    let ns = lab.name().to_string();
    lab.inside(move || {
        let mut d = Driver::new();
        let names = SysNames {
            names: RtNames::default(),
        };
        for r in &routes {
            let seq = send_route(&mut d.rtnl, Change::Add, r, &names, ()).unwrap();
            d.ack(seq, "add route");
        }
        let t100 = ip_json(&ns, &["route", "show", "table", "100"]);
        let o = object_with(&t100, r#""dst":"10.50.0.0/16""#).expect("route in table 100");
        assert!(o.contains(r#""gateway":"10.99.1.1""#), "{o}");
        assert!(o.contains(r#""dev":"va""#), "{o}");
        assert!(o.contains(r#""metric":7"#), "{o}");
        assert!(o.contains(r#""protocol":"keepalived""#), "{o}");
        let t100v6 = ip_json(&ns, &["-6", "route", "show", "table", "100"]);
        let o = object_with(&t100v6, r#""dst":"fd00:50::/64""#).expect("IPv6 route");
        assert!(o.contains(r#""gateway":"fd00:99::1""#), "{o}");
        assert!(o.contains(r#""metric":9"#), "{o}");
        let t1000 = text(&ns, &["route", "show", "table", "1000"]);
        assert!(t1000.contains("10.60.0.0/16 proto keepalived"), "{t1000}");
        assert!(
            t1000.contains("nexthop via 10.99.1.1 dev va weight 2"),
            "{t1000}"
        );
        assert!(
            t1000.contains("nexthop via 10.99.1.3 dev va weight 1"),
            "{t1000}"
        );

        // Prepend (the default) of an identical route is EEXIST: done.
        for r in &routes {
            let seq = send_route(&mut d.rtnl, Change::Add, r, &names, ()).unwrap();
            d.ack(seq, "duplicate add route");
        }
        assert_eq!(d.rtnl.stats().idempotent, 3);

        for r in &routes {
            let seq = send_route(&mut d.rtnl, Change::Del, r, &names, ()).unwrap();
            d.ack(seq, "delete route");
        }
        assert_eq!(
            ip_json(&ns, &["route", "show", "table", "100"]).trim(),
            "[]"
        );
        assert_eq!(text(&ns, &["route", "show", "table", "1000"]).trim(), "");
        // ESRCH: done.
        for r in &routes {
            let seq = send_route(&mut d.rtnl, Change::Del, r, &names, ()).unwrap();
            d.ack(seq, "duplicate delete route");
        }
        assert_eq!(d.rtnl.stats().idempotent, 6);
        assert_eq!(d.rtnl.stats().errors, 0);
    });
}

/// `ip -n NS -j ARGS`.
fn ip_json(ns: &str, args: &[&str]) -> String {
    let mut a = vec!["-n", ns, "-j"];
    a.extend_from_slice(args);
    text_of(&a)
}

/// `ip -n NS ARGS`.
fn text(ns: &str, args: &[&str]) -> String {
    let mut a = vec!["-n", ns];
    a.extend_from_slice(args);
    text_of(&a)
}

/// `ip ARGS`, which must succeed.
fn text_of(args: &[&str]) -> String {
    let out = Command::new("ip").args(args).output().unwrap();
    assert!(out.status.success(), "ip {}", args.join(" "));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn rules_with_table_and_priority() {
    let Some(lab) = Lab::new("rule") else { return };
    let (_, _, rules) = model(
        "static_rules {
            from 10.50.0.0/16 table 100 preference 100
            to fd00:50::/64 table 200 preference 101
        }",
    );
    assert_eq!(rules.len(), 2);
    let ns = lab.name().to_string();
    lab.inside(move || {
        let mut d = Driver::new();
        let names = SysNames::default();
        for r in &rules {
            let seq = send_rule(&mut d.rtnl, Change::Add, r, &names, ()).unwrap();
            d.ack(seq, "add rule");
        }
        let v4 = ip_json(&ns, &["rule", "show"]);
        let o = object_with(&v4, r#""priority":100"#).expect("IPv4 rule");
        assert!(o.contains(r#""src":"10.50.0.0""#), "{o}");
        assert!(o.contains(r#""srclen":16"#), "{o}");
        assert!(o.contains(r#""table":"100""#), "{o}");
        assert!(o.contains(r#""protocol":"keepalived""#), "{o}");
        let v6 = ip_json(&ns, &["-6", "rule", "show"]);
        let o = object_with(&v6, r#""priority":101"#).expect("IPv6 rule");
        assert!(o.contains(r#""dst":"fd00:50::""#), "{o}");
        assert!(o.contains(r#""table":"200""#), "{o}");

        // NLM_F_EXCL: the second add is EEXIST (done), not a second rule.
        for r in &rules {
            let seq = send_rule(&mut d.rtnl, Change::Add, r, &names, ()).unwrap();
            d.ack(seq, "duplicate add rule");
        }
        let v4 = ip_json(&ns, &["rule", "show"]);
        assert_eq!(v4.matches(r#""priority":100"#).count(), 1, "{v4}");

        for r in &rules {
            let seq = send_rule(&mut d.rtnl, Change::Del, r, &names, ()).unwrap();
            d.ack(seq, "delete rule");
        }
        assert!(!ip_json(&ns, &["rule", "show"]).contains(r#""priority":100"#));
        assert!(!ip_json(&ns, &["-6", "rule", "show"]).contains(r#""priority":101"#));
        for r in &rules {
            let seq = send_rule(&mut d.rtnl, Change::Del, r, &names, ()).unwrap();
            d.ack(seq, "duplicate delete rule");
        }
        assert_eq!(d.rtnl.stats().idempotent, 4);
    });
}

#[test]
fn monitor_sees_links_and_addresses_change() {
    let Some(lab) = Lab::new("mon") else { return };
    lab.ip(&["addr", "add", "10.99.3.1/24", "dev", "va"]);
    let ns = lab.name().to_string();
    let (vips, _, _) = model("static_ipaddress {\n 10.99.3.10/32 dev va\n}");
    lab.inside(move || {
        let mut d = Driver::new();
        d.monitor.start_dump().unwrap();
        let ip = |args: &[&str]| text(&ns, args);

        // The dump: both ends, up, and the address already there.
        let va = keepalived_rs::sys::if_nametoindex("va").unwrap();
        let vb = keepalived_rs::sys::if_nametoindex("vb").unwrap();
        d.event("va up", |e| {
            matches!(e, Event::LinkChange { ifindex, name, up: true, mac: Some(m) }
                if *ifindex == va && name == "va" && m.as_bytes().len() == 6)
        });
        let v4: IpAddr = "10.99.3.1".parse().unwrap();
        d.event("10.99.3.1 dumped", |e| {
            *e == Event::AddrAdded {
                ifindex: va,
                addr: v4,
                prefix: 24,
            }
        });
        d.event("synced", |e| *e == Event::Synced);
        assert!(d.monitor.synced());
        let rt = RtNames::default();
        let names = MonitorNames {
            monitor: &d.monitor,
            names: &rt,
        };
        assert_eq!(
            keepalived_rs::netlink::Resolve::ifindex(&names, "vb"),
            Some(vb)
        );
        assert_eq!(d.monitor.link_by_index(va).map(|l| l.up), Some(true));

        // Link down on the peer: vb goes down, and va loses its carrier.
        ip(&["link", "set", "vb", "down"]);
        d.event(
            "vb down",
            |e| matches!(e, Event::LinkChange { ifindex, up: false, .. } if *ifindex == vb),
        );
        d.event(
            "va not running",
            |e| matches!(e, Event::LinkChange { ifindex, up: false, .. } if *ifindex == va),
        );
        ip(&["link", "set", "vb", "up"]);
        d.event(
            "va running again",
            |e| matches!(e, Event::LinkChange { ifindex, up: true, .. } if *ifindex == va),
        );

        // Our VIP, then removed behind our back.
        let vip: IpAddr = "10.99.3.10".parse().unwrap();
        let seq = send_address(&mut d.rtnl, Change::Add, va, &vips[0], ()).unwrap();
        d.ack(seq, "add VIP");
        d.event("VIP seen", |e| {
            *e == Event::AddrAdded {
                ifindex: va,
                addr: vip,
                prefix: 32,
            }
        });
        ip(&["addr", "del", "10.99.3.10/32", "dev", "va"]);
        d.event("VIP removed behind our back", |e| {
            *e == Event::AddrRemoved {
                ifindex: va,
                addr: vip,
                prefix: 32,
            }
        });

        // The pair goes away: its address, then the links.
        ip(&["link", "del", "va"]);
        d.event("10.99.3.1 gone", |e| {
            *e == Event::AddrRemoved {
                ifindex: va,
                addr: v4,
                prefix: 24,
            }
        });
        d.event("va removed", |e| {
            *e == Event::LinkRemoved {
                ifindex: va,
                name: "va".into(),
            }
        });
        let s = d.monitor.stats();
        assert_eq!((s.malformed, s.foreign, s.overruns), (0, 0, 0), "{s:?}");
    });
}
