//! Tests of the VRRP section: values, diagnostics (message and location), round trips through the
//! dump, and agreement with keepalived 2.2.7 on the shared corpus.

use std::time::Duration;

use super::*;
use crate::config::source::{Diagnostic, Severity};
use crate::config::testutil::{self, in_spans, ip};

fn parse(text: &str) -> (Vrrp, Vec<Diagnostic>) {
    let (cfg, d) = testutil::load(text);
    // Only this section's diagnostics: the placeholder sections add notes of their own.
    let spans = testutil::spans(text, TOP);
    let mine = d
        .into_iter()
        .filter(|x| x.loc.is_some_and(|l| in_spans(&spans, l.line)))
        .collect();
    (cfg.vrrp, mine)
}

fn bad(d: &[Diagnostic]) -> Vec<&Diagnostic> {
    d.iter()
        .filter(|x| x.severity >= Severity::Warning)
        .collect()
}

/// Asserts exactly one Warning-or-worse, with this message, at (line, col).
#[track_caller]
fn one(d: &[Diagnostic], line: u32, col: u32, msg: &str) {
    let b = bad(d);
    assert_eq!(b.len(), 1, "expected one problem, got {b:#?}");
    assert_eq!(b[0].message, msg);
    let l = b[0].loc.expect("located");
    assert_eq!((l.line, l.col), (line, col), "{}", b[0].message);
}

/// Asserts some Warning-or-worse has this message at (line, col).
#[track_caller]
fn has(d: &[Diagnostic], line: u32, col: u32, msg: &str) {
    assert!(
        d.iter().any(|x| x.severity >= Severity::Warning
            && x.message == msg
            && x.loc.is_some_and(|l| (l.line, l.col) == (line, col))),
        "no `{msg}` at {line}:{col} in {d:#?}"
    );
}

#[track_caller]
fn clean(d: &[Diagnostic]) {
    assert!(bad(d).is_empty(), "unexpected problems: {:#?}", bad(d));
}

/// model -> dump -> parse gives the same model.
#[track_caller]
fn round_trip(v: &Vrrp) {
    let mut w = crate::config::dump::Writer::new();
    v.dump(&mut w);
    let text = w.finish();
    let (again, _) = parse(&text);
    assert_eq!(&again, v, "dump does not parse back:\n{text}");
}

/// An instance body with the usual minimum around `body`.
fn inst(body: &str) -> String {
    format!(
        "vrrp_instance VI_1 {{\n    interface eth0\n    virtual_router_id 51\n    virtual_ipaddress {{\n        10.0.0.100/24\n    }}\n{body}\n}}\n"
    )
}

/// (line, col) of the `n`th (0-based) occurrence of `needle` in `text` (which may span lines).
fn at_n(text: &str, needle: &str, n: usize) -> (u32, u32) {
    let mut from = 0;
    for seen in 0.. {
        let Some(k) = text[from..].find(needle) else {
            panic!("`{needle}` #{n} not in text");
        };
        let idx = from + k;
        if seen == n {
            let before = &text[..idx];
            let line = before.matches('\n').count() as u32 + 1;
            let start = before.rfind('\n').map_or(0, |i| i + 1);
            return (line, before[start..].chars().count() as u32 + 1);
        }
        from = idx + needle.len().max(1);
    }
    unreachable!()
}

/// (line, col) of what follows the first `prefix` (the value after a keyword).
fn val(text: &str, prefix: &str) -> (u32, u32) {
    let (l, c) = at(text, prefix);
    (l, c + prefix.chars().count() as u32)
}

fn at(text: &str, needle: &str) -> (u32, u32) {
    at_n(text, needle, 0)
}

#[track_caller]
fn one_at(d: &[Diagnostic], pos: (u32, u32), msg: &str) {
    one(d, pos.0, pos.1, msg);
}

#[track_caller]
fn has_at(d: &[Diagnostic], pos: (u32, u32), msg: &str) {
    has(d, pos.0, pos.1, msg);
}

fn secs(s: f64) -> Duration {
    Duration::from_micros((s * 1e6).round() as u64)
}

// ---------------------------------------------------------------------------------------------
// vrrp_instance: core keywords.

#[test]
fn instance_core_values() {
    let t = inst(
        "    state BACKUP\n    priority 150\n    advert_int 2\n    version 3\n    nopreempt\n    dont_track_primary\n    track_src_ip\n    promote_secondaries\n    skip_check_adv_addr off\n    strict_mode false\n    accept\n    debug 2\n    smtp_alert\n    notify_priority_changes yes\n    kernel_rx_buf_size 65536\n    down_timer_adverts 5\n    lower_prio_no_advert\n    higher_prio_send_advert false\n    garp_master_delay 10\n    garp_master_repeat 3\n    garp_lower_prio_delay 4\n    garp_lower_prio_repeat 2\n    garp_master_refresh 60\n    garp_master_refresh_repeat 2\n    garp_extra_if all 100\n    mcast_src_ip 10.0.0.1\n    mcast_dst_ip 224.0.0.19",
    );
    let (v, d) = parse(&t);
    clean(&d);
    let i = &v.instances[0];
    assert_eq!(i.name, "VI_1");
    assert_eq!(i.state, Some(State::Backup));
    assert_eq!(i.interface.as_deref(), Some("eth0"));
    assert_eq!(i.virtual_router_id, Some(51));
    assert_eq!(i.priority, Some(150));
    assert_eq!(i.effective_priority(), 150);
    assert_eq!(i.advert_int, Some(secs(2.0)));
    assert_eq!(i.version, Some(3));
    assert!(i.nopreempt && i.dont_track_primary && i.track_src_ip && i.promote_secondaries);
    assert_eq!(i.skip_check_adv_addr, Some(false));
    assert_eq!(i.strict_mode, Some(false));
    assert_eq!(i.accept, Some(true));
    assert_eq!(i.debug, Some(2));
    assert_eq!(i.smtp_alert, Some(true));
    assert_eq!(i.notify_priority_changes, Some(true));
    assert_eq!(i.kernel_rx_buf_size, Some(65536));
    assert_eq!(i.down_timer_adverts, Some(5));
    assert_eq!(i.lower_prio_no_advert, Some(true));
    assert_eq!(i.higher_prio_send_advert, Some(false));
    let g = i.garp;
    assert_eq!(g.master_delay, Some(secs(10.0)));
    assert_eq!(g.master_repeat, Some(3));
    assert_eq!(g.lower_prio_delay, Some(secs(4.0)));
    assert_eq!(g.lower_prio_repeat, Some(2));
    assert_eq!(g.master_refresh, Some(secs(60.0)));
    assert_eq!(g.master_refresh_repeat, Some(2));
    assert_eq!(
        g.extra_if,
        Some(GarpExtraIf {
            all: true,
            interval: secs(100.0)
        })
    );
    assert_eq!(i.src_ip, Some(ip("10.0.0.1")));
    assert!(!i.src_ip_unicast);
    assert_eq!(i.mcast_dst_ip, Some(ip("224.0.0.19")));
    assert_eq!(i.virtual_ipaddresses[0].addr.to_string(), "10.0.0.100/24");
    assert_eq!(i.family(), Family::Inet);
    round_trip(&v);
}

#[test]
fn priority_defaults_and_repairs() {
    let (v, d) = parse(&inst("    state MASTER"));
    clean(&d);
    assert_eq!(v.instances[0].priority, None);
    assert_eq!(v.instances[0].effective_priority(), 255);
    let (v, _) = parse(&inst(""));
    assert_eq!(v.instances[0].effective_priority(), 100);
    // keepalived: "Priority not valid! must be between 1 & 255. Using default 100" - and the
    // explicit 100 keeps `state MASTER` from making it the owner.
    let t = inst("    state MASTER\n    priority 0");
    let (v, d) = parse(&t);
    one_at(
        &d,
        val(&t, "priority "),
        "`priority`: `0` is not in the range [1, 255] - using 100",
    );
    assert_eq!(v.instances[0].effective_priority(), 100);
    let t = inst("    priority 300");
    let (_, d) = parse(&t);
    one_at(
        &d,
        at(&t, "300"),
        "`priority`: `300` is not in the range [1, 255] - using 100",
    );
}

#[test]
fn state_words() {
    let t = inst("    state master");
    let (v, d) = parse(&t);
    one_at(
        &d,
        at(&t, "master"),
        "`state`: unknown state `master` (use MASTER|BACKUP) - using BACKUP",
    );
    assert_eq!(
        bad(&d)[0].hint.as_deref(),
        Some("states are upper case: `MASTER`")
    );
    assert_eq!(v.instances[0].state, Some(State::Backup));
    // MASTER then BACKUP: keepalived keeps MASTER.
    let t = inst("    state MASTER\n    state BACKUP");
    let (v, d) = parse(&t);
    one_at(
        &d,
        at(&t, "BACKUP"),
        "`state` was already set to MASTER - ignoring BACKUP",
    );
    assert_eq!(v.instances[0].state, Some(State::Master));
}

#[test]
fn vrid_range_and_missing() {
    let t = inst("").replace("virtual_router_id 51", "virtual_router_id 0");
    let (v, d) = parse(&t);
    has_at(
        &d,
        val(&t, "virtual_router_id "),
        "`virtual_router_id`: `0` is outside the range [1, 255] - ignoring",
    );
    assert_eq!(v.instances[0].virtual_router_id, None);
    // keepalived: "(VI_1) the virtual router id must be set".
    has_at(
        &d,
        at(&t, "VI_1"),
        "vrrp_instance `VI_1` has no `virtual_router_id` (1..255) - keepalived will not run it",
    );
}

#[test]
fn unknown_keyword_has_a_hint() {
    let t = inst("    prioirty 100");
    let (_, d) = parse(&t);
    one_at(
        &d,
        at(&t, "prioirty"),
        "unknown keyword `prioirty` in vrrp_instance VI_1 - ignoring",
    );
    assert_eq!(bad(&d)[0].hint.as_deref(), Some("did you mean `priority`?"));
}

#[test]
fn nameless_and_duplicate_instances_are_skipped() {
    let t = "vrrp_instance {\n interface eth0\n}\n";
    let (v, d) = parse(t);
    one(
        &d,
        1,
        1,
        "`vrrp_instance` must have a name - skipping the block",
    );
    assert!(v.instances.is_empty());
    let t = format!("{}{}", inst(""), inst(""));
    let (v, d) = parse(&t);
    one_at(
        &d,
        at_n(&t, "VI_1", 1),
        "vrrp_instance `VI_1` is already defined - skipping",
    );
    assert_eq!(v.instances.len(), 1);
}

#[test]
fn advert_int_rounding_follows_the_version() {
    // v2: whole seconds (keepalived: "VRRPv2 advertisement interval 1.500000s must be an
    // integer. rounding").
    let t = inst("    advert_int 1.5");
    let (v, d) = parse(&t);
    one_at(
        &d,
        at(&t, "1.5"),
        "vrrp_instance `VI_1`: VRRPv2 `advert_int` 1.5 is not a whole number of seconds - using 2",
    );
    assert_eq!(v.instances[0].effective_advert_int(2), secs(2.0));
    // v3: centiseconds.
    let t = inst("    version 3\n    advert_int 0.015");
    let (v, d) = parse(&t);
    one_at(
        &d,
        at(&t, "0.015"),
        "vrrp_instance `VI_1`: VRRPv3 `advert_int` 0.015 is not in units of 10 ms - using 0.02",
    );
    assert_eq!(v.instances[0].effective_advert_int(3), secs(0.02));
    // v3 caps at 40.95 s.
    let t = inst("    version 3\n    advert_int 50");
    let (v, d) = parse(&t);
    one_at(
        &d,
        at(&t, "50"),
        "vrrp_instance `VI_1`: VRRPv3 `advert_int` 50 is above 40.95 s - using 40.95",
    );
    assert_eq!(v.instances[0].effective_advert_int(3), secs(40.95));
    // Outside [0.01, 255] at parse time.
    let t = inst("    advert_int 0");
    let (v, d) = parse(&t);
    one_at(
        &d,
        val(&t, "advert_int "),
        "`advert_int`: `0` is outside the range [0.01, 255] seconds - ignoring",
    );
    assert_eq!(v.instances[0].advert_int, None);
    // IPv6 is always v3: 0.5 is fine.
    let t = inst("    advert_int 0.5").replace("10.0.0.100/24", "fe80::100/64");
    let (v, d) = parse(&t);
    clean(&d);
    assert_eq!(v.instances[0].effective_version(2), 3);
}

#[test]
fn preemption_checks() {
    let t = inst("    state MASTER\n    priority 100\n    nopreempt");
    let (_, d) = parse(&t);
    one_at(
        &d,
        at(&t, "nopreempt"),
        "vrrp_instance `VI_1`: `nopreempt` does not work with `state MASTER` - ignoring it",
    );
    // State MASTER without a priority is the owner (255).
    let t = inst("    state MASTER\n    nopreempt");
    let (_, d) = parse(&t);
    one_at(
        &d,
        at(&t, "nopreempt"),
        "vrrp_instance `VI_1`: `nopreempt` is incompatible with priority 255 - ignoring it",
    );
    let t = inst("    nopreempt\n    preempt_delay 10");
    let (_, d) = parse(&t);
    one_at(
        &d,
        at(&t, "10\n"),
        "vrrp_instance `VI_1`: `preempt_delay` is incompatible with `nopreempt` - ignoring it",
    );
    let t = inst("    state MASTER\n    priority 100\n    preempt_delay 4.12");
    let (v, d) = parse(&t);
    one_at(
        &d,
        at(&t, "4.12"),
        "vrrp_instance `VI_1`: `preempt_delay` does not work with `state MASTER` - ignoring it",
    );
    assert_eq!(v.instances[0].preempt_delay, Some(secs(4.12)));
    // `preempt` clears an earlier `nopreempt`; delay 0 is no delay.
    let (v, d) = parse(&inst("    nopreempt\n    preempt\n    preempt_delay 0"));
    clean(&d);
    assert!(!v.instances[0].nopreempt);
    let t = inst("    preempt_delay 1001");
    let (v, d) = parse(&t);
    one_at(
        &d,
        at(&t, "1001"),
        "`preempt_delay`: `1001` is not in the range [0, 1000] seconds - using 0",
    );
    assert_eq!(v.instances[0].preempt_delay, None);
}

// ---------------------------------------------------------------------------------------------
// Addresses.

#[test]
fn virtual_addresses_with_every_option() {
    let t = inst(
        "    virtual_ipaddress {\n        10.0.0.5/24 brd 10.0.0.255 dev eth1 scope link label eth1:5 no_track use_vmac\n        10.0.0.6/24 brd + home -nodad mngtmpaddr noprefixroute autojoin\n        10.0.0.7 peer 10.0.0.8/30\n    }\n    virtual_ipaddress_excluded {\n        2001:db8::1/64 dev eth0 preferred_lft forever\n        2001:db8::2 preferred_lft 30\n    }",
    );
    let (v, d) = parse(&t);
    clean(&d);
    let i = &v.instances[0];
    assert_eq!(i.virtual_ipaddresses.len(), 4);
    let a = &i.virtual_ipaddresses[1];
    assert_eq!(a.addr.to_string(), "10.0.0.5/24");
    assert_eq!(
        a.broadcast,
        Some(Broadcast::Addr("10.0.0.255".parse().unwrap()))
    );
    assert_eq!(a.dev.as_deref(), Some("eth1"));
    assert_eq!(a.scope, Some(Scope::Link));
    assert_eq!(a.label.as_deref(), Some("eth1:5"));
    assert!(a.no_track && a.use_vmac);
    let b = &i.virtual_ipaddresses[2];
    assert_eq!(b.broadcast, Some(Broadcast::SetHostBits));
    assert!(b.home && b.nodad && b.mngtmpaddr && b.noprefixroute && b.autojoin);
    let c = &i.virtual_ipaddresses[3];
    assert_eq!(c.peer.unwrap().to_string(), "10.0.0.8/30");
    assert_eq!(c.addr.len, Some(30), "the peer's length is the address's");
    // Excluded addresses may be of the other family.
    let e = &i.virtual_ipaddresses_excluded;
    assert_eq!(e[0].preferred_lft, Some(Lifetime::Forever));
    assert_eq!(e[1].preferred_lft, Some(Lifetime::Secs(30)));
    assert_eq!(e[0].family(), Family::Inet6);
    round_trip(&v);
}

#[test]
fn ipv6_default_preferred_lifetime() {
    let (v, _) = parse(&inst(
        "    virtual_ipaddress_excluded {\n        2001:db8::1\n        2001:db8::2/64\n    }",
    ));
    let e = &v.instances[0].virtual_ipaddresses_excluded;
    assert_eq!(e[0].effective_preferred_lft(), Some(Lifetime::Secs(0)));
    assert_eq!(e[1].effective_preferred_lft(), Some(Lifetime::Forever));
}

#[test]
fn virtual_address_problems() {
    // keepalived: "(VI_1): address family must match VRRP instance [fe80::1] - ignoring".
    let t = inst("    virtual_ipaddress {\n        fe80::1\n    }");
    let (v, d) = parse(&t);
    one_at(
        &d,
        at(&t, "fe80::1"),
        "`virtual_ipaddress`: `fe80::1` is IPv6 but the instance is IPv4 - ignoring",
    );
    assert_eq!(v.instances[0].virtual_ipaddresses.len(), 1);
    let t = inst("    virtual_ipaddress {\n        10.0.0.9 colour red\n    }");
    let (_, d) = parse(&t);
    has_at(
        &d,
        at(&t, "colour"),
        "`virtual_ipaddress`: unknown option `colour` for `10.0.0.9` - ignoring",
    );
    let t = inst("    virtual_ipaddress {\n        10.0.0.9 lable x\n    }");
    let (_, d) = parse(&t);
    assert_eq!(bad(&d)[0].hint.as_deref(), Some("did you mean `label`?"));
    let t = inst("    virtual_ipaddress_excluded {\n        fe80::9 brd +\n    }");
    let (v, d) = parse(&t);
    one_at(
        &d,
        at(&t, "brd"),
        "`virtual_ipaddress`: a broadcast address for the IPv6 address `fe80::9` - skipping the address",
    );
    assert!(v.instances[0].virtual_ipaddresses_excluded.is_empty());
    let t = inst("    virtual_ipaddress {\n        10.0.0.9 dev\n    }");
    let (_, d) = parse(&t);
    one_at(
        &d,
        at(&t, "dev\n"),
        "`virtual_ipaddress`: `dev` needs a value for `10.0.0.9` - skipping the address",
    );
    let t = inst("    virtual_ipaddress {\n        10.0.0.300\n    }");
    let (_, d) = parse(&t);
    one_at(
        &d,
        at(&t, "10.0.0.300"),
        "`virtual_ipaddress`: `10.0.0.300` is not an address or address/prefix - skipping the line",
    );
    let t = inst("    virtual_ipaddress {\n        10.0.0.9/33\n    }");
    let (v, d) = parse(&t);
    one_at(
        &d,
        at(&t, "10.0.0.9/33"),
        "`virtual_ipaddress`: invalid prefix length `33` in `10.0.0.9/33` (range [0, 32]) - using 32",
    );
    assert_eq!(v.instances[0].virtual_ipaddresses[1].addr.len, None);
}

#[test]
fn no_vips_warns_by_version() {
    let t = "vrrp_instance V {\n    interface eth0\n    virtual_router_id 5\n}\n";
    let (_, d) = parse(t);
    one(
        &d,
        1,
        15,
        "vrrp_instance `V` has no `virtual_ipaddress`; at least one is sensible",
    );
    let (_, d) = parse(&t.replace("}\n", "    version 3\n}\n"));
    one(
        &d,
        1,
        15,
        "vrrp_instance `V` has no `virtual_ipaddress`; VRRPv3 requires at least one",
    );
    let (v, d) = parse(&t.replace("}\n", "    no_virtual_ipaddress\n}\n"));
    clean(&d);
    assert!(v.instances[0].no_virtual_ipaddress);
}

// ---------------------------------------------------------------------------------------------
// Routes and rules.

#[test]
fn routes_typed_fields_and_options() {
    let t = inst(
        "    virtual_routes {\n        src 10.0.0.1 to 10.9.0.0/16 via 10.0.0.254 dev eth0 table 100 metric 5 scope link protocol keepalived\n        blackhole 10.8.0.0/16 no_track\n        10.7.0.0/16 dev eth0 mtu lock 1400 tos 0x04 features ecn append\n        10.6.0.0/16 table 6909 dev eth0 nexthop via 10.0.0.5 dev eth0 onlink weight 1 nexthop via 10.0.0.6 dev eth1 weight 2\n        inet6 default via fe80::1 dev eth0\n        10.5.0.0/16 dev eth0 encap mpls 200 realms 1/2\n    }",
    );
    let (v, d) = parse(&t);
    clean(&d);
    let r = &v.instances[0].virtual_routes;
    assert_eq!(r.len(), 6);
    assert_eq!(r[0].src, Some(ip("10.0.0.1")));
    assert_eq!(r[0].dest_text(), "10.9.0.0/16");
    assert_eq!(r[0].via, Some(ip("10.0.0.254")));
    assert_eq!(r[0].dev.as_deref(), Some("eth0"));
    assert_eq!(r[0].table.as_deref(), Some("100"));
    assert_eq!(r[0].metric, Some(5));
    assert_eq!(r[0].scope, Some(Scope::Link));
    assert_eq!(r[0].protocol.as_deref(), Some("keepalived"));
    assert!(r[0].tracked());
    assert_eq!(r[1].kind, Some(RouteType::Blackhole));
    assert!(r[1].no_track && !r[1].tracked());
    assert_eq!(r[2].op, Some(RouteOp::Append));
    assert_eq!(
        r[2].options,
        vec![
            RouteOpt {
                key: "mtu".into(),
                args: vec!["lock".into(), "1400".into()]
            },
            RouteOpt {
                key: "tos".into(),
                args: vec!["0x04".into()]
            },
            RouteOpt {
                key: "features".into(),
                args: vec!["ecn".into()]
            },
        ]
    );
    assert_eq!(r[3].nexthops.len(), 2);
    assert_eq!(r[3].nexthops[0].via, Some(ip("10.0.0.5")));
    assert!(r[3].nexthops[0].onlink);
    assert_eq!(r[3].nexthops[1].weight, Some(2));
    assert_eq!(r[3].nexthops[1].dev.as_deref(), Some("eth1"));
    assert_eq!(r[4].family(), Family::Inet6);
    assert_eq!(r[4].dest, RouteDest::Default);
    assert_eq!(r[5].options[0].args, vec!["mpls", "200"]);
    assert_eq!(r[5].options[1].key, "realms");
    round_trip(&v);
}

#[test]
fn route_diagnostics() {
    // keepalived: "Warning - cannot track route 10.1.0.0/16 with no interface specified, not
    // tracking".
    let t = inst("    virtual_routes {\n        10.1.0.0/16 via 10.0.0.254\n    }");
    let (v, d) = parse(&t);
    one_at(
        &d,
        at(&t, "10.1.0.0/16"),
        "`virtual_routes`: cannot track route 10.1.0.0/16 with no interface (`dev`) - not tracking it",
    );
    assert!(!v.instances[0].virtual_routes[0].tracked());
    let t = inst("    virtual_routes {\n        10.1.0.0/16 gw 10.0.0.254 dev eth0\n    }");
    let (v, d) = parse(&t);
    one_at(
        &d,
        at(&t, "gw"),
        "`virtual_routes`: `gw` is deprecated - use `via`",
    );
    assert_eq!(v.instances[0].virtual_routes[0].via, Some(ip("10.0.0.254")));
    let t = inst(
        "    virtual_routes {\n        10.1.0.0/16 via 10.0.0.254 or 10.0.0.253 dev eth0\n    }",
    );
    let (v, d) = parse(&t);
    one_at(
        &d,
        at(&t, "or "),
        "`virtual_routes`: `or` is deprecated - use `nexthop`",
    );
    assert_eq!(v.instances[0].virtual_routes[0].or, Some(ip("10.0.0.253")));
    // keepalived: "Route cannot be tracked if protocol is not RTPROT_KEEPALIVED(18), resetting
    // protocol" (and likewise for rules).
    let t = inst(
        "    virtual_routes {\n        10.9.0.0/16 dev eth0 protocol bird\n        10.8.0.0/16 dev eth0 protocol bird no_track\n    }\n    virtual_rules {\n        from 10.0.0.0/24 table 5 preference 9 protocol 12\n    }",
    );
    let (_, d) = parse(&t);
    assert_eq!(bad(&d).len(), 2, "{d:#?}");
    has_at(
        &d,
        at(&t, "10.9.0.0/16"),
        "`virtual_routes`: a tracked route must use protocol keepalived (18), not `bird` - using keepalived",
    );
    has_at(
        &d,
        at(&t, "from 10"),
        "`virtual_rules`: a tracked rule must use protocol keepalived (18), not `12` - using keepalived",
    );
    // keepalived: "Route must have a destination".
    let t = inst("    virtual_routes {\n        via 10.0.0.1 dev eth0\n    }");
    let (v, d) = parse(&t);
    one_at(
        &d,
        at(&t, "via 10"),
        "`virtual_routes`: the route has no destination - skipping it",
    );
    assert!(v.instances[0].virtual_routes.is_empty());
    // keepalived 2.2.7: "unknown route keyword proto" (only `protocol` is known).
    let t = inst("    virtual_routes {\n        10.9.0.0/16 dev eth0 proto 4\n    }");
    let (_, d) = parse(&t);
    has_at(
        &d,
        at(&t, "proto"),
        "`virtual_routes`: unknown route keyword `proto` - ignoring",
    );
    assert_eq!(bad(&d)[0].hint.as_deref(), Some("did you mean `protocol`?"));
}

#[test]
fn rules_typed_fields() {
    let t = inst(
        "    virtual_rules {\n        from 10.0.0.0/24 table 100 preference 10\n        not to 10.1.0.0/24 lookup main priority 11 iif eth0 oif eth1 fwmark 0x10/0xff tos 22 no_track\n        from all preference 30 goto 40\n        to 1:2:3:4:5:6:7:0/112 from 7:6:5:4:3:2::/96 table 6908 uidrange 10000-19999 preference 31\n        from 10.0.0.0/24 preference 32 blackhole\n    }",
    );
    let (v, d) = parse(&t);
    clean(&d);
    let r = &v.instances[0].virtual_rules;
    assert_eq!(r.len(), 5);
    assert_eq!(r[0].action, RuleAction::Table("100".into()));
    assert_eq!(r[0].preference, Some(10));
    assert!(r[1].not && r[1].no_track);
    assert_eq!(r[1].iif.as_deref(), Some("eth0"));
    assert_eq!(r[1].oif.as_deref(), Some("eth1"));
    assert_eq!(r[1].options[0].key, "fwmark");
    assert_eq!(r[1].options[0].args, vec!["0x10/0xff"]);
    assert_eq!(r[2].from, Some(RuleAddr::All));
    assert_eq!(r[2].action, RuleAction::Goto(40));
    assert_eq!(r[3].options[0].key, "uidrange");
    assert_eq!(r[4].action, RuleAction::Blackhole);
    round_trip(&v);
}

#[test]
fn rule_diagnostics() {
    // keepalived: "Rule has no preference specified - setting to 16384. This is probably not
    // what you want."
    let t = inst("    virtual_rules {\n        from 10.0.0.0/24 table 100\n    }");
    let (v, d) = parse(&t);
    one_at(
        &d,
        at(&t, "from"),
        "`virtual_rules`: the rule has no `preference` - keepalived assigns one (from 16384 down), probably not what you want",
    );
    assert_eq!(v.instances[0].virtual_rules[0].preference, None);
    let t = inst("    virtual_rules {\n        from 10.0.0.0/24 preference 30\n    }");
    let (v, d) = parse(&t);
    one_at(
        &d,
        at(&t, "from"),
        "`virtual_rules`: the rule has no action (table, goto, nop, blackhole, prohibit, unreachable or l3mdev) - skipping it",
    );
    assert!(v.instances[0].virtual_rules.is_empty());
    let t =
        inst("    virtual_rules {\n        from 10.0.0.0/24 table 100 preference 30 nop\n    }");
    let (_, d) = parse(&t);
    one_at(
        &d,
        at(&t, "nop"),
        "`virtual_rules`: more than one of table/goto/nop/blackhole/prohibit/unreachable/l3mdev - ignoring `nop`",
    );
    let t = inst("    virtual_rules {\n        from 10.0.0.0/24 table 100 pref 30\n    }");
    let (_, d) = parse(&t);
    has_at(
        &d,
        at(&t, "pref"),
        "`virtual_rules`: unknown rule option `pref` - ignoring",
    );
    let t = inst("    virtual_rules {\n        from 10.0.0.0/24 preference 50 goto 40\n    }");
    let (_, d) = parse(&t);
    one_at(
        &d,
        at(&t, "from"),
        "`virtual_rules`: preference 50 is not below the goto target 40 - skipping the rule",
    );
}

// ---------------------------------------------------------------------------------------------
// Authentication.

#[test]
fn authentication_values_and_truncation() {
    let t =
        inst("    authentication {\n        auth_type PASS\n        auth_pass secretsecret\n    }");
    let (v, d) = parse(&t);
    // keepalived: "Truncating auth_pass to 8 characters".
    one_at(
        &d,
        at(&t, "secretsecret"),
        "`auth_pass` is longer than 8 characters - truncated to `secretse`",
    );
    let a = v.instances[0].authentication.as_ref().unwrap();
    assert_eq!(a.auth_type, Some(AuthType::Pass));
    assert_eq!(a.auth_pass.as_deref(), Some("secretse"));
    round_trip(&v);
}

#[test]
fn authentication_checks() {
    let t = inst(
        "    version 3\n    authentication {\n        auth_type PASS\n        auth_pass x\n    }",
    );
    let (_, d) = parse(&t);
    one_at(
        &d,
        at(&t, "authentication"),
        "vrrp_instance `VI_1`: VRRP version 3 does not support `authentication` - ignoring it",
    );
    // The corpus's keepalived.conf.SSL_GET: state MASTER, priority 100, AH.
    let t = inst(
        "    state MASTER\n    priority 100\n    authentication {\n        auth_type AH\n        auth_pass x\n    }",
    );
    let (_, d) = parse(&t);
    one_at(
        &d,
        at(&t, "MASTER"),
        "vrrp_instance `VI_1`: initial `state MASTER` is incompatible with AH authentication - starting as BACKUP",
    );
    // ... but an owner may start as MASTER with AH.
    let (_, d) = parse(&inst(
        "    state MASTER\n    authentication {\n        auth_type AH\n        auth_pass x\n    }",
    ));
    clean(&d);
    let t = inst("    authentication {\n        auth_type PASS\n    }");
    let (_, d) = parse(&t);
    one_at(
        &d,
        at(&t, "authentication"),
        "vrrp_instance `VI_1`: `authentication` without `auth_pass` - ignoring it",
    );
    let t = inst("    authentication {\n        auth_type FOO\n        auth_pass x\n    }");
    let (_, d) = parse(&t);
    one_at(
        &d,
        at(&t, "FOO"),
        "`auth_type`: unknown authentication type `FOO` (use PASS|AH) - ignoring",
    );
}

#[test]
fn auth_hmac_block() {
    let key = "hex:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
    let t = inst(&format!(
        "    auth_hmac {{\n        key 1 {key}\n        key 2 file:/etc/keepalived/keys/k\n        active_key 2\n        anti_replay monotonic\n        time_window 5\n        mode receive-only\n    }}"
    ));
    let (v, d) = parse(&t);
    // Parsed in full, then refused: keepalived-rs does not sign adverts (a fatal error, so
    // `-t` exits 3 and the daemon does not start).
    let refused = "vrrp_instance `VI_1`: `auth_hmac` (keepalived 2.4) is not implemented by keepalived-rs - remove it, or use `authentication` (PASS or AH)";
    has_at(&d, at(&t, "auth_hmac"), refused);
    assert!(
        bad(&d)
            .iter()
            .all(|x| x.severity == Severity::Fatal && x.message == refused),
        "{:#?}",
        bad(&d)
    );
    let h = v.instances[0].auth_hmac.as_ref().unwrap();
    assert_eq!(h.keys.len(), 2);
    assert_eq!(h.keys[0].value, key);
    assert_eq!(h.active_key, Some(2));
    assert_eq!(h.anti_replay, Some(AntiReplay::Monotonic));
    assert_eq!(h.time_window, Some(5));
    assert_eq!(h.mode, Some(HmacMode::ReceiveOnly));
    // A note says 2.2.7 does not know it.
    assert!(d.iter().any(|x| x.message.contains("keepalived 2.4")));
    round_trip(&v);
    let t = inst("    auth_hmac {\n        key 1 short\n        active_key 3\n    }");
    let (_, d) = parse(&t);
    has_at(
        &d,
        at(&t, "short"),
        "`key` 1: a key of 5 bytes (must be 32 to 64) - ignoring",
    );
    has_at(
        &d,
        at(&t, "auth_hmac"),
        "`auth_hmac` has no `key` - adverts cannot be signed",
    );
}

// ---------------------------------------------------------------------------------------------
// Unicast.

#[test]
fn unicast_peers_and_checks() {
    let t = inst(
        "    unicast_src_ip 10.0.0.1\n    unicast_ttl 10\n    unicast_peer {\n        10.0.0.2\n        10.0.0.3 min_ttl 5 max_ttl 250\n    }",
    );
    let (v, d) = parse(&t);
    clean(&d);
    let i = &v.instances[0];
    assert!(i.src_ip_unicast && i.unicast_configured());
    assert_eq!(i.unicast_ttl, Some(10));
    assert_eq!(i.peers().len(), 2);
    assert_eq!(i.peers()[1].min_ttl, Some(5));
    assert!(
        i.check_unicast_src,
        "min_ttl/max_ttl turn on check_unicast_src"
    );
    round_trip(&v);

    // keepalived: "A unicast keyword has been specified without any unicast peers. Defaulting to
    // multicast. This usage is deprecated".
    let t = inst("    unicast_src_ip 10.0.0.1");
    let (_, d) = parse(&t);
    one_at(
        &d,
        at(&t, "VI_1"),
        "vrrp_instance `VI_1`: a unicast keyword is given but there are no unicast peers - using multicast (deprecated)",
    );
    let (_, d) = parse(&inst(
        "    unicast_src_ip 10.0.0.1\n    unicast_fault_no_peer",
    ));
    clean(&d);
    let t = inst("    unicast_ttl 3");
    let (_, d) = parse(&t);
    one_at(
        &d,
        at(&t, "3\n"),
        "`unicast_ttl` without unicast peers - ignoring",
    );
    let t = inst("    unicast_peer {\n        10.0.0.2 min_ttl 5 max_ttl 4\n    }");
    let (_, d) = parse(&t);
    one_at(
        &d,
        at(&t, "10.0.0.2"),
        "`unicast_peer`: min_ttl 5 > max_ttl 4 for `10.0.0.2` - every advert from it will be dropped",
    );
    let t = inst("    unicast_peer {\n        10.0.0.2 10.0.0.3\n    }");
    let (_, d) = parse(&t);
    has_at(
        &d,
        at(&t, "10.0.0.3"),
        "`unicast_peer`: `10.0.0.3` after `10.0.0.2` is not `min_ttl N` or `max_ttl N` - ignoring (one peer per line)",
    );
    let t = inst("    unicast_peer {\n        fe80::2\n    }");
    let (_, d) = parse(&t);
    has_at(
        &d,
        at(&t, "fe80::2"),
        "`unicast_peer`: `fe80::2` is IPv6 but the instance is IPv4 - ignoring",
    );
    let t = inst("    unicast_peer {\n        10.0.0.2\n    }\n    mcast_dst_ip 224.0.0.19");
    let (_, d) = parse(&t);
    one_at(
        &d,
        at(&t, "224.0.0.19"),
        "vrrp_instance `VI_1`: `mcast_dst_ip` is meaningless with unicast peers - ignoring it",
    );
    // keepalived reads `IP/LEN` here and drops the length silently.
    let t = inst("    unicast_src_ip 10.0.0.1/24\n    unicast_peer {\n        10.0.0.2/24\n    }");
    let (v, d) = parse(&t);
    clean(&d);
    assert_eq!(v.instances[0].src_ip, Some(ip("10.0.0.1")));
    assert_eq!(v.instances[0].peers()[0].addr, ip("10.0.0.2"));
}

#[test]
fn mcast_dst_must_be_multicast() {
    let t = inst("    mcast_dst_ip 10.0.0.19");
    let (_, d) = parse(&t);
    one_at(
        &d,
        at(&t, "10.0.0.19"),
        "`mcast_dst_ip`: `10.0.0.19` is not a multicast address - ignoring",
    );
    let t = inst("    mcast_dst_ip ff05::12").replace("10.0.0.100/24", "fe80::100");
    let (_, d) = parse(&t);
    one_at(
        &d,
        at(&t, "ff05::12"),
        "`mcast_dst_ip`: `ff05::12` is not a link-local multicast address (ffX2::) - ignoring",
    );
}

// ---------------------------------------------------------------------------------------------
// VMAC, ipvlan.

#[test]
fn use_vmac_forms() {
    let (v, d) = parse(&inst(
        "    use_vmac vrrp51 02:11:22:33:44 netlink_notify_msg group 5",
    ));
    clean(&d);
    let vm = v.instances[0].use_vmac.as_ref().unwrap();
    assert_eq!(vm.name.as_deref(), Some("vrrp51"));
    assert_eq!(vm.mac, Some(vec![2, 0x11, 0x22, 0x33, 0x44]));
    assert!(vm.netlink_notify_msg);
    assert_eq!(vm.group.as_deref(), Some("5"));
    round_trip(&v);
    let t = inst("    use_vmac 01:00:5e:00:00:01");
    let (_, d) = parse(&t);
    one_at(
        &d,
        at(&t, "01:00"),
        "`use_vmac`: MAC address `01:00:5e:00:00:01` is multicast - ignoring",
    );
    let t = inst("    use_vmac 00:00:5e:00:01:33");
    let (_, d) = parse(&t);
    one_at(
        &d,
        at(&t, "00:00"),
        "`use_vmac`: MAC address `00:00:5e:00:01:33` is an RFC 5798 virtual router MAC - ignoring",
    );
    let t = inst("    vmac_xmit_base");
    let (_, d) = parse(&t);
    one_at(
        &d,
        at(&t, "VI_1"),
        "vrrp_instance `VI_1`: `vmac_xmit_base` is only valid with `use_vmac` - ignoring it",
    );
    let t = inst("    use_vmac\n    unicast_peer {\n        10.0.0.2\n    }");
    let (_, d) = parse(&t);
    one_at(
        &d,
        at(&t, "unicast_peer"),
        "vrrp_instance `VI_1`: unicast with `use_vmac` needs `vmac_xmit_base` - setting it",
    );
}

#[test]
fn use_ipvlan_forms() {
    let (v, d) = parse(&inst("    use_ipvlan ipv1 10.0.0.9/24 private"));
    clean(&d);
    let iv = v.instances[0].use_ipvlan.as_ref().unwrap();
    assert_eq!(iv.name.as_deref(), Some("ipv1"));
    assert_eq!(iv.addr.unwrap().to_string(), "10.0.0.9/24");
    assert_eq!(iv.mode, Some(IpvlanMode::Private));
    round_trip(&v);
    let t = inst("    use_ipvlan");
    let (_, d) = parse(&t);
    one_at(
        &d,
        at(&t, "VI_1"),
        "vrrp_instance `VI_1`: an IPv4 `use_ipvlan` needs an address - the instance will stay in FAULT",
    );
}

// ---------------------------------------------------------------------------------------------
// Trackers.

const SCRIPTS: &str = "vrrp_script chk {\n    script \"/usr/bin/killall -0 haproxy\"\n    interval 2\n    timeout 3\n    weight -20 reverse\n    rise 2\n    fall 3\n    user nobody nogroup\n    init_fail\n}\nvrrp_script chk0 {\n    script /bin/true\n}\ntrack_file tf {\n    file /run/prio\n    weight -5 reverse\n    init_file 10 overwrite\n}\nvrrp_track_process tp {\n    process haproxy -f /etc/haproxy.cfg\n    param_match partial\n    weight 10 reverse\n    quorum 2\n    quorum_max 4\n    fork_delay 0.5\n    terminate_delay 1\n}\n";

#[test]
fn trackers_values() {
    let (v, d) = parse(SCRIPTS);
    clean(&d);
    let s = &v.scripts[0];
    assert_eq!(s.script, "/usr/bin/killall -0 haproxy");
    assert_eq!(s.interval, secs(2.0));
    assert_eq!(s.timeout, Some(secs(3.0)));
    assert_eq!((s.weight, s.weight_reverse), (-20, true));
    assert_eq!((s.rise, s.fall), (2, 3));
    assert_eq!(s.user.as_deref(), Some("nobody"));
    assert_eq!(s.group.as_deref(), Some("nogroup"));
    assert!(s.init_fail);
    let s0 = &v.scripts[1];
    assert_eq!(
        (s0.interval, s0.effective_timeout(), s0.weight),
        (secs(1.0), secs(1.0), 0)
    );
    let f = &v.track_files[0];
    assert_eq!(f.file, "/run/prio");
    assert_eq!((f.weight, f.weight_reverse), (-5, true));
    assert_eq!(
        f.init_file,
        Some(InitFile {
            value: 10,
            overwrite: true
        })
    );
    let p = &v.track_processes[0];
    assert_eq!(p.process, "haproxy");
    assert_eq!(p.params, vec!["-f", "/etc/haproxy.cfg"]);
    assert_eq!(p.param_match, Some(ParamMatch::Partial));
    assert!(p.full_command);
    assert_eq!((p.weight, p.weight_reverse), (10, true));
    assert_eq!((p.quorum, p.quorum_max), (2, Some(4)));
    assert_eq!(p.fork_delay, Some(secs(0.5)));
    assert_eq!(p.terminate_delay, Some(secs(1.0)));
    round_trip(&v);
}

#[test]
fn script_unquoted_words_form_the_command() {
    let (v, d) = parse("vrrp_script c {\n    script /usr/bin/pgrep -x nginx\n}\n");
    clean(&d);
    assert_eq!(v.scripts[0].script, "/usr/bin/pgrep -x nginx");
    round_trip(&v);
}

#[test]
fn tracker_diagnostics() {
    // keepalived: "No script set for vrrp_script chk - removing".
    let t = "vrrp_script chk {\n    interval 2\n}\n";
    let (v, d) = parse(t);
    one(&d, 1, 13, "vrrp_script `chk` has no `script` - removing it");
    assert!(v.scripts.is_empty());
    let t = "vrrp_script chk {\n    script /bin/true\n    interval 0\n    weight 300\n    rise 0\n    foo\n}\n";
    let (v, d) = parse(t);
    has(&d, 3, 5, "`interval` must be greater than 0 - using 1");
    has(
        &d,
        4,
        12,
        "`weight`: `300` is outside the range [-253, 253] - ignoring",
    );
    has(
        &d,
        5,
        10,
        "`rise`: `0` is outside the range [1, 2147483647] - ignoring",
    );
    has(
        &d,
        6,
        5,
        "unknown keyword `foo` in vrrp_script chk - ignoring",
    );
    assert_eq!((v.scripts[0].interval, v.scripts[0].rise), (secs(1.0), 1));
    // Fractional intervals: keepalived 2.3+ (a note for 2.2.7 users).
    let (v, d) = parse("vrrp_script c {\n    script /bin/true\n    interval 0.5\n}\n");
    clean(&d);
    assert_eq!(v.scripts[0].interval, secs(0.5));
    assert!(d.iter().any(|x| x.severity == Severity::Note));
    let t = "track_file tf {\n    weight 5\n}\n";
    let (v, d) = parse(t);
    one(&d, 1, 12, "track_file `tf` has no `file` - removing it");
    assert!(v.track_files.is_empty());
    let t = "vrrp_track_process tp {\n    weight 10\n}\n";
    let (_, d) = parse(t);
    one(
        &d,
        1,
        20,
        "vrrp_track_process `tp` has no `process` - removing it",
    );
    let t = "vrrp_track_process tp {\n    process a\n    quorum 3\n    quorum_max 2\n}\n";
    let (v, d) = parse(t);
    one(
        &d,
        4,
        16,
        "`quorum_max` 2 is less than `quorum` 3 - ignoring",
    );
    assert_eq!(v.track_processes[0].quorum_max, None);
    let t = "vrrp_track_process tp {\n    process a\n    delay 0\n}\n";
    let (_, d) = parse(t);
    one(
        &d,
        3,
        11,
        "`delay`: `0` is outside the range [0.000001, 3600] seconds - ignoring",
    );
    let (v, d) = parse("vrrp_track_process tp {\n    process a\n    quorum_max 0\n}\n");
    clean(&d);
    assert_eq!(
        (v.track_processes[0].quorum, v.track_processes[0].quorum_max),
        (0, Some(0))
    );
    round_trip(&v);
    let (v, d) = parse("vrrp_track_file tf {\n    file /x\n}\n");
    clean(&d);
    assert_eq!(v.track_files[0].name, "tf");
}

#[test]
fn tracking_blocks_resolve_in_file_order() {
    let t = format!(
        "{SCRIPTS}{}",
        inst(
            "    track_interface {\n        eth1 weight 10 reverse\n        eth2\n    }\n    track_script {\n        chk weight 10 noreverse\n        chk0\n    }\n    track_file {\n        tf weight 254\n    }\n    track_process {\n        tp\n    }\n    track_bfd {\n        b1 weight -5\n    }"
        )
    );
    let (v, d) = parse(&t);
    clean(&d);
    let tr = &v.instances[0].tracking;
    assert_eq!(tr.interfaces[0].weight, Some(10));
    assert!(tr.interfaces[0].reverse);
    assert_eq!(tr.interfaces[1].weight, None);
    assert_eq!(tr.scripts[0].weight, Some(10));
    assert_eq!(tr.scripts[0].reverse, Some(false));
    assert_eq!(tr.files[0].weight, Some(254));
    assert_eq!(tr.processes[0].name, "tp");
    assert_eq!(tr.bfds[0].weight, Some(-5));
    round_trip(&v);

    // A vrrp_script defined after the instance is "not found" for keepalived, which ignores the
    // reference; so do we (with a clearer message).
    let t = format!(
        "{}vrrp_script late {{\n    script /bin/true\n}}\n",
        inst("    track_script {\n        late\n    }")
    );
    let (v, d) = parse(&t);
    one_at(
        &d,
        at(&t, "late"),
        "`track_script`: no vrrp_script `late` is defined before this point - ignoring",
    );
    assert!(v.instances[0].tracking.scripts.is_empty());
    let t = format!(
        "{SCRIPTS}{}",
        inst("    track_script {\n        chk1\n    }")
    );
    let (_, d) = parse(&t);
    assert_eq!(bad(&d)[0].hint.as_deref(), Some("did you mean `chk`?"));
}

#[test]
fn tracking_line_diagnostics() {
    let t = format!(
        "{SCRIPTS}{}",
        inst(
            "    track_script {\n        chk weight -254\n        chk0 reverse\n        chk0\n        chk0\n    }\n    track_interface {\n        eth1 weight 300\n        eth2 reverse\n    }\n    track_file {\n        tf weight 255\n    }"
        )
    );
    let (v, d) = parse(&t);
    has_at(
        &d,
        at(&t, "-254"),
        "`track_script`: weight `-254` is outside [-253, 253] - using -253",
    );
    has_at(
        &d,
        at(&t, "reverse\n        chk0"),
        "`track_script`: unknown option `reverse` for `chk0` (use weight W [reverse|noreverse]) - ignoring",
    );
    has_at(
        &d,
        at_n(&t, "chk0\n", 0),
        "`track_script`: duplicate `chk0` - ignoring",
    );
    has_at(
        &d,
        at(&t, "300"),
        "`track_interface`: `300` is outside the range [-253, 253] - ignoring",
    );
    has_at(
        &d,
        at(&t, "reverse\n    }"),
        "`track_interface`: unknown option `reverse` for `eth2` (use weight W [reverse]) - ignoring",
    );
    has_at(
        &d,
        at(&t, "255"),
        "`track_file`: `255` is outside the range [-254, 254] - ignoring",
    );
    let tr = &v.instances[0].tracking;
    assert_eq!(tr.scripts[0].weight, Some(-253));
    assert_eq!(tr.scripts.len(), 2);
    // keepalived: "Block track_interface has extra parameters eth0 ..." (corpus 054).
    let t = inst("    track_interface eth0");
    let (_, d) = parse(&t);
    has_at(
        &d,
        at(&t, "eth0\n}"),
        "`track_interface` takes a block `{ ... }`, not values; `eth0` ignored",
    );
    // keepalived: "(VI_1) Ignoring track_interface eth0 since own interface".
    let t = inst("    track_interface {\n        eth0\n    }");
    let (_, d) = parse(&t);
    one_at(
        &d,
        at_n(&t, "eth0", 1),
        "vrrp_instance `VI_1`: `track_interface` `eth0` is the instance's own interface - ignoring it",
    );
}

#[test]
fn weighted_trackers_of_owners_and_sync_group_members() {
    let t = format!(
        "{SCRIPTS}{}",
        inst(
            "    priority 255\n    track_script {\n        chk\n        chk0\n    }\n    track_interface {\n        eth1 weight 5\n    }"
        )
    );
    let (_, d) = parse(&t);
    assert_eq!(bad(&d).len(), 2, "{d:#?}");
    has_at(
        &d,
        at(&t, "chk\n"),
        "vrrp_instance `VI_1`: ignoring tracked script `chk` with a weight because it is the address owner (priority 255)",
    );
    has_at(
        &d,
        at(&t, "eth1"),
        "vrrp_instance `VI_1`: ignoring the weight of tracked interface `eth1` because it is the address owner (priority 255)",
    );
    let group = "vrrp_sync_group G {\n    group {\n        VI_1\n        VI_2\n    }\n}\nvrrp_instance VI_2 {\n    interface eth1\n    virtual_router_id 52\n    virtual_ipaddress {\n        10.0.1.1\n    }\n}\n";
    let t = format!(
        "{SCRIPTS}{}{group}",
        inst("    track_script {\n        chk\n    }")
    );
    let (_, d) = parse(&t);
    one_at(
        &d,
        at(&t, "chk\n"),
        "vrrp_instance `VI_1`: ignoring tracked script `chk` with a weight because it is in a sync group (set `sync_group_tracking_weight` on the group to allow it)",
    );
    let t = t.replace(
        "    }\n}\nvrrp_instance VI_2",
        "    }\n    sync_group_tracking_weight\n}\nvrrp_instance VI_2",
    );
    let (v, d) = parse(&t);
    clean(&d);
    assert!(v.sync_groups[0].sync_group_tracking_weight);
}

// ---------------------------------------------------------------------------------------------
// Sync groups, track groups.

fn two_instances() -> String {
    format!(
        "{}vrrp_instance VI_2 {{\n    interface eth1\n    virtual_router_id 52\n    virtual_ipaddress {{\n        10.0.1.1\n    }}\n}}\n",
        inst("")
    )
}

#[test]
fn sync_group_values() {
    let t = format!(
        "vrrp_script chk0 {{\n    script /bin/true\n}}\n{}vrrp_sync_group G {{\n    group {{\n        VI_1 VI_2\n    }}\n    track_interface {{\n        eth2\n    }}\n    track_script {{\n        chk0 weight 0\n    }}\n    notify_master \"/bin/notify master\" root root\n    notify_backup /bin/backup\n    notify_fault /bin/fault\n    notify_stop /bin/stop\n    notify /bin/notify\n    notify_deleted\n    smtp_alert\n    notify_priority_changes off\n}}\n",
        two_instances()
    );
    let (v, d) = parse(&t);
    clean(&d);
    let g = &v.sync_groups[0];
    let names: Vec<&str> = g.group.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["VI_1", "VI_2"]);
    assert_eq!(g.tracking.interfaces[0].name, "eth2");
    assert_eq!(g.tracking.scripts[0].weight, Some(0));
    let m = g.notify.master.as_ref().unwrap();
    assert_eq!(m.command, "/bin/notify master");
    assert_eq!(m.user.as_deref(), Some("root"));
    assert_eq!(m.group.as_deref(), Some("root"));
    assert!(g.notify.deleted && g.notify.deleted_script.is_none());
    assert_eq!(g.smtp_alert, Some(true));
    assert_eq!(g.notify_priority_changes, Some(false));
    round_trip(&v);
}

#[test]
fn sync_group_membership() {
    // keepalived: "Virtual router VI_X specified in sync group G doesn't exist - ignoring" then
    // "Sync group G has only 1 virtual router(s) - this probably isn't what you want".
    let t = format!(
        "{}vrrp_sync_group G {{\n    group {{\n        VI_1\n        VI_X\n    }}\n}}\n",
        inst("")
    );
    let (_, d) = parse(&t);
    assert_eq!(bad(&d).len(), 2);
    has_at(
        &d,
        at(&t, "VI_X"),
        "vrrp_sync_group `G`: no vrrp_instance `VI_X` - ignoring",
    );
    has_at(
        &d,
        at(&t, "G {"),
        "vrrp_sync_group `G` has only 1 member instance - this is probably not what you want",
    );
    // "Virtual router VI_1 cannot exist in more than one sync group; ignoring H".
    let t = format!(
        "{}vrrp_sync_group G {{\n    group {{\n        VI_1\n        VI_2\n    }}\n}}\nvrrp_sync_group H {{\n    group {{\n        VI_1\n        VI_2\n    }}\n}}\n",
        two_instances()
    );
    let (_, d) = parse(&t);
    has_at(
        &d,
        at_n(&t, "VI_1\n", 1),
        "vrrp_instance `VI_1` is already in vrrp_sync_group `G`; an instance can be in one sync group only - ignoring it here",
    );
    has_at(
        &d,
        at(&t, "H {"),
        "vrrp_sync_group `H` has no existing member instance - removing it",
    );
    // The corpus's vrrp.lvs_syncd sample: names without `group { }`.
    let t = "vrrp_sync_group VG1 {\n  VI_2\n}\n";
    let (v, d) = parse(t);
    has(
        &d,
        2,
        3,
        "unknown keyword `VI_2` in vrrp_sync_group VG1 - ignoring",
    );
    has(
        &d,
        1,
        17,
        "vrrp_sync_group `VG1` has no member instances - removing it",
    );
    assert!(v.sync_groups.is_empty());
    let t = "vrrp_sync_group G {\n    group {\n        A\n    }\n    global_tracking\n}\n";
    let (v, d) = parse(t);
    has(
        &d,
        5,
        5,
        "`global_tracking` is deprecated - use track_interface/track_script/track_file on the sync group (read as `sync_group_tracking_weight`)",
    );
    assert!(v.sync_groups[0].sync_group_tracking_weight);
}

#[test]
fn static_items_and_track_groups() {
    let t = format!(
        "track_group TG {{\n    group {{\n        VI_1\n    }}\n}}\nstatic_ipaddress {{\n    10.5.0.1/24 dev eth0 scope global track_group TG\n    10.5.0.2/24 brd + dev eth1 label eth1:1\n}}\nstatic_routes {{\n    10.6.0.0/16 via 10.5.0.254 dev eth0 track_group TG\n}}\nstatic_rules {{\n    from 10.5.0.0/24 table 100 preference 100 iif eth0 track_group TG\n}}\n{}",
        inst("")
    );
    let (v, d) = parse(&t);
    clean(&d);
    assert_eq!(v.track_groups[0].group[0].name, "VI_1");
    assert_eq!(v.static_addresses[0].track_group.as_deref(), Some("TG"));
    assert_eq!(v.static_addresses[1].label.as_deref(), Some("eth1:1"));
    assert_eq!(v.static_routes[0].track_group.as_deref(), Some("TG"));
    assert_eq!(v.static_rules[0].track_group.as_deref(), Some("TG"));
    round_trip(&v);
    // keepalived resolves track_group as it reads: "track_group TG not found".
    let t = "static_ipaddress {\n    10.5.0.1/24 dev eth0 track_group TG\n}\ntrack_group TG {\n    group {\n        VI_1\n    }\n}\n";
    let (v, d) = parse(t);
    has(
        &d,
        2,
        38,
        "`static_ipaddress`: no track_group `TG` is defined before this point - ignoring",
    );
    assert_eq!(v.static_addresses[0].track_group, None);
    // "Static rule cannot have track_group if dev/iif not specified".
    let t = "track_group TG {\n    group {\n        VI_1\n    }\n}\nstatic_rules {\n    from 10.5.0.0/24 table 100 preference 100 track_group TG\n}\n";
    let (_, d) = parse(t);
    one(
        &d,
        7,
        5,
        "`static_rules`: `track_group` needs `iif` or `oif` - not tracking",
    );
}

// ---------------------------------------------------------------------------------------------
// garp_group, linkbeat_interfaces, interface_up_down_delays.

#[test]
fn garp_linkbeat_and_delays() {
    let t = "garp_group {\n    garp_interval 0.001\n    gna_interval 0.002\n    interface eth0\n}\ngarp_group {\n    garp_interval 2\n    interfaces {\n        eth1\n        eth2\n    }\n}\nlinkbeat_interfaces {\n    eth0\n    eth1 ETHTOOL\n}\ninterface_up_down_delays {\n    eth0 1.5 2\n    eth1 3\n}\n";
    let (v, d) = parse(t);
    clean(&d);
    assert_eq!(v.garp_groups[0].garp_interval, Some(secs(0.001)));
    assert_eq!(v.garp_groups[0].gna_interval, Some(secs(0.002)));
    assert_eq!(v.garp_groups[0].interface.as_deref(), Some("eth0"));
    assert_eq!(v.garp_groups[1].interfaces, vec!["eth1", "eth2"]);
    assert_eq!(v.linkbeat_interfaces[1].kind, Some(LinkbeatKind::Ethtool));
    assert_eq!(v.up_down_delays[0].down, secs(1.5));
    assert_eq!(v.up_down_delays[0].up, Some(secs(2.0)));
    assert_eq!(v.up_down_delays[1].up, None);
    round_trip(&v);
    // "garp group 0 does not have any delay set - removing".
    let (v, d) = parse("garp_group {\n    interface eth0\n}\n");
    one(
        &d,
        1,
        1,
        "`garp_group` sets neither `garp_interval` nor `gna_interval` - removing it",
    );
    assert!(v.garp_groups.is_empty());
    let (_, d) = parse("linkbeat_interfaces {\n    eth2 FOO\n}\n");
    one(
        &d,
        2,
        10,
        "`linkbeat_interfaces`: unexpected `FOO` after `eth2` (use MII|ETHTOOL|IOCTL) - ignoring",
    );
    let (_, d) = parse("interface_up_down_delays {\n    eth2 300\n}\n");
    one(
        &d,
        2,
        10,
        "`interface_up_down_delays`: `300` is outside the range [0, 255] seconds - ignoring",
    );
}

// ---------------------------------------------------------------------------------------------
// Notify and scripts().

#[test]
fn notify_commands_and_script_list() {
    let t = format!(
        "vrrp_script chk {{\n    script \"/bin/check a\"\n}}\n{}",
        inst(
            "    notify_master /bin/master\n    notify_backup \"/bin/backup x\" nobody\n    notify_fault /bin/fault\n    notify_stop /bin/stop\n    notify /bin/all\n    notify_master_rx_lower_pri /bin/lower\n    notify_deleted /bin/deleted"
        )
    );
    let (v, d) = parse(&t);
    clean(&d);
    let n = &v.instances[0].notify;
    assert_eq!(n.backup.as_ref().unwrap().user.as_deref(), Some("nobody"));
    assert_eq!(
        n.master_rx_lower_pri.as_ref().unwrap().command,
        "/bin/lower"
    );
    assert!(n.deleted);
    let list: Vec<(String, (u32, u32))> = v
        .scripts()
        .into_iter()
        .map(|s| (s.command, (s.loc.line, s.loc.col)))
        .collect();
    assert_eq!(list.len(), 8);
    assert_eq!(
        list[0],
        ("/bin/check a".to_string(), at(&t, "\"/bin/check"))
    );
    assert!(list.contains(&("/bin/lower".to_string(), at(&t, "/bin/lower"))));
    assert!(list.contains(&("/bin/deleted".to_string(), at(&t, "/bin/deleted"))));
    round_trip(&v);
    // keepalived: "(VI_1) notify_master script already specified - ignoring /bin/false".
    let t = inst("    notify_master /bin/true\n    notify_master /bin/false");
    let (v, d) = parse(&t);
    one_at(
        &d,
        at_n(&t, "notify_master", 1),
        "`notify_master` already specified (`/bin/true`) - ignoring `/bin/false`",
    );
    assert_eq!(
        v.instances[0].notify.master.as_ref().unwrap().command,
        "/bin/true"
    );
}

// ---------------------------------------------------------------------------------------------
// Strict mode, versions, VRID clashes.

#[test]
fn strict_mode_checks() {
    let t = inst("    strict_mode\n    state MASTER\n    priority 100");
    let (_, d) = parse(&t);
    one_at(
        &d,
        at(&t, "MASTER"),
        "vrrp_instance `VI_1`: in strict mode `state MASTER` must go with priority 255 (address owner) and only with it",
    );
    let t = inst(
        "    strict_mode\n    authentication {\n        auth_type PASS\n        auth_pass x\n    }",
    );
    let (_, d) = parse(&t);
    one_at(
        &d,
        at(&t, "authentication"),
        "vrrp_instance `VI_1`: strict mode does not support `authentication` - ignoring it",
    );
    let t = inst(
        "    strict_mode\n    preempt_delay 5\n    down_timer_adverts 5\n    accept\n    lower_prio_no_advert false\n    higher_prio_send_advert",
    );
    let (_, d) = parse(&t);
    assert_eq!(bad(&d).len(), 5, "{d:#?}");
    has_at(
        &d,
        at(&t, "5\n    down"),
        "vrrp_instance `VI_1`: `preempt_delay` is incompatible with strict mode - ignoring it",
    );
    has_at(
        &d,
        at(&t, "5\n    accept"),
        "vrrp_instance `VI_1`: `down_timer_adverts` is incompatible with strict mode - using 3",
    );
    has_at(
        &d,
        at(&t, "accept"),
        "vrrp_instance `VI_1`: `accept` with VRRP version 2 does not comply with RFC 3768 - ignoring it in strict mode",
    );
    // Unicast with strict: keepalived 2.2.7 is silent at -t; only a note.
    let (_, d) = parse(&inst(
        "    strict_mode\n    unicast_peer {\n        10.0.0.2\n    }",
    ));
    clean(&d);
    assert!(
        d.iter()
            .any(|x| x.severity == Severity::Note && x.message.contains("strict mode"))
    );
    // IPv6 in strict mode: the first VIP must be link-local.
    let t = inst("    strict_mode").replace("10.0.0.100/24", "2001:db8::1/64");
    let (_, d) = parse(&t);
    one_at(
        &d,
        at(&t, "2001:db8::1/64"),
        "vrrp_instance `VI_1`: the first IPv6 virtual address must be link-local in strict mode",
    );
}

#[test]
fn version_conflicts() {
    let t = inst("    version 2").replace("10.0.0.100/24", "fe80::1");
    let (v, d) = parse(&t);
    one_at(
        &d,
        at(&t, "2\n"),
        "`version` 2 conflicts with the version set or implied before (IPv6 needs 3) - ignoring",
    );
    assert_eq!(v.instances[0].effective_version(2), 3);
    let t = inst("    version 4");
    let (_, d) = parse(&t);
    one_at(
        &d,
        val(&t, "version "),
        "`version`: `4` is outside the range [2, 3] - ignoring",
    );
    let t = inst("    native_ipv6");
    let (_, d) = parse(&t);
    one_at(
        &d,
        at(&t, "native_ipv6"),
        "`native_ipv6` cannot be used with IPv4 addresses - ignoring",
    );
}

#[test]
fn vrid_clashes_need_same_interface_family_and_transport() {
    let other = |body: &str| {
        format!(
            "vrrp_instance VI_2 {{\n    interface eth0\n    virtual_router_id 51\n{body}    virtual_ipaddress {{\n        ADDR\n    }}\n}}\n"
        )
    };
    let t = format!("{}{}", inst(""), other("").replace("ADDR", "10.0.0.101"));
    let (_, d) = parse(&t);
    // keepalived: "VI_2 and VI_1 both use VRID 51 with IPv4 on interface eth0".
    one_at(
        &d,
        at_n(&t, "51", 1),
        "vrrp_instance `VI_2` and `VI_1` both use virtual_router_id 51 with IPv4 on interface `eth0`",
    );
    for (body, addr) in [
        ("", "fe80::101"),
        ("    mcast_dst_ip 224.0.0.19\n", "10.0.0.101"),
        (
            "    unicast_peer {\n        10.0.0.9\n    }\n",
            "10.0.0.101",
        ),
    ] {
        let t = format!("{}{}", inst(""), other(body).replace("ADDR", addr));
        let (_, d) = parse(&t);
        clean(&d);
    }
}

#[test]
fn interface_may_be_omitted_only_with_unicast() {
    let t = "vrrp_instance U {\n    virtual_router_id 9\n    virtual_ipaddress {\n        10.0.3.1 dev eth0\n    }\n}\n";
    let (_, d) = parse(t);
    one(
        &d,
        1,
        15,
        "vrrp_instance `U` has no `interface` (required unless it uses unicast peers)",
    );
    // With peers (and a source address or not): the route to the first peer, a note only.
    for src in ["    unicast_src_ip 10.0.0.1\n", ""] {
        let t = t.replace(
            "    virtual_ipaddress",
            &format!("{src}    unicast_peer {{\n        10.0.0.2\n    }}\n    virtual_ipaddress"),
        );
        let (_, d) = parse(&t);
        clean(&d);
        assert!(
            d.iter()
                .any(|x| x.message.contains("route to the first unicast peer"))
        );
    }
}

#[test]
fn deprecated_instance_keywords() {
    let t = inst(
        "    lvs_sync_daemon_interface eth1\n    linkbeat_use_polling\n    vmac_garp_intvl 10",
    );
    let (v, d) = parse(&t);
    assert_eq!(bad(&d).len(), 3);
    has_at(
        &d,
        at(&t, "lvs_sync_daemon_interface"),
        "`lvs_sync_daemon_interface` in a vrrp_instance is deprecated - use the global `lvs_sync_daemon`",
    );
    has_at(
        &d,
        at(&t, "linkbeat_use_polling"),
        "`linkbeat_use_polling` in a vrrp_instance is deprecated - use a `linkbeat_interfaces` block",
    );
    has_at(
        &d,
        at(&t, "vmac_garp_intvl"),
        "`vmac_garp_intvl` is deprecated - use `garp_extra_if`",
    );
    assert_eq!(v.instances[0].garp.extra_if.unwrap().interval, secs(10.0));
}

#[test]
fn newer_keywords_are_accepted_with_a_note() {
    let t = inst(
        "    owner_ignore_adverts\n    timer_expired_backup\n    v3_checksum_as_v2\n    garp_interval 0.5\n    gna_interval 1\n    old_unicast_checksum never\n    unicast_peer {\n        10.0.0.2\n    }",
    );
    let (v, d) = parse(&t);
    clean(&d);
    let i = &v.instances[0];
    assert_eq!(i.owner_ignore_adverts, Some(true));
    assert_eq!(i.timer_expired_backup, Some(254));
    assert_eq!(i.v3_checksum_as_v2, Some(true));
    assert_eq!(i.garp.interval, Some(secs(0.5)));
    assert_eq!(i.old_unicast_checksum, Some(OldChecksum::Never));
    assert_eq!(d.iter().filter(|x| x.severity == Severity::Note).count(), 5);
    round_trip(&v);
}

// ---------------------------------------------------------------------------------------------
// Dump and robustness.

#[test]
fn rich_configuration_round_trips() {
    let t = format!(
        "{SCRIPTS}{}vrrp_sync_group G {{\n    group {{\n        VI_1\n        VI_2\n    }}\n    notify \"/bin/n x\"\n}}\ngarp_group {{\n    gna_interval 0.25\n    interface eth1\n}}\n",
        two_instances().replace(
            "    virtual_router_id 52\n",
            "    virtual_router_id 52\n    state MASTER\n    priority 200\n    advert_int 0.5\n    version 3\n    use_vmac\n    vmac_xmit_base\n    unicast_src_ip 10.0.1.2\n    unicast_peer {\n        10.0.1.3 max_ttl 64\n    }\n    track_process {\n        tp weight 0\n    }\n    virtual_routes {\n        10.9.0.0/16 dev eth1 via 10.0.1.254 table main\n    }\n    virtual_rules {\n        to 10.9.0.0/16 table main preference 99\n    }\n    authentication {\n        auth_type PASS\n        auth_pass pw\n    }\n",
        )
    );
    let (v, _) = parse(&t);
    assert_eq!(v.instances.len(), 2);
    round_trip(&v);
    // The dump is stable: dumping the re-read model gives the same text.
    let mut w = crate::config::dump::Writer::new();
    v.dump(&mut w);
    let once = w.finish();
    let (again, _) = parse(&once);
    let mut w = crate::config::dump::Writer::new();
    again.dump(&mut w);
    assert_eq!(w.finish(), once);
}

#[test]
fn quoted_words_survive_the_dump() {
    let t = inst(
        "    notify_master \"/bin/echo \\\"a b\\\"\" nobody\n    virtual_routes {\n        10.9.0.0/16 dev eth0 table \"my table\"\n    }",
    );
    let (v, _) = parse(&t);
    assert_eq!(
        v.instances[0].notify.master.as_ref().unwrap().command,
        "/bin/echo \\\"a b\\\""
    );
    round_trip(&v);
}

#[test]
fn arbitrary_input_never_panics() {
    let words = [
        "vrrp_instance",
        "vrrp_script",
        "vrrp_sync_group",
        "track_file",
        "vrrp_track_process",
        "garp_group",
        "static_routes",
        "static_rules",
        "static_ipaddress",
        "track_group",
        "linkbeat_interfaces",
        "interface_up_down_delays",
        "group",
        "virtual_ipaddress",
        "virtual_routes",
        "virtual_rules",
        "unicast_peer",
        "track_script",
        "track_interface",
        "authentication",
        "auth_hmac",
        "use_vmac",
        "use_ipvlan",
        "nexthop",
        "via",
        "dev",
        "encap",
        "mtu",
        "lock",
        "weight",
        "reverse",
        "preference",
        "table",
        "goto",
        "peer",
        "brd",
        "+",
        "10.0.0.1",
        "10.0.0.0/24",
        "fe80::1",
        "eth0",
        "VI_1",
        "{",
        "}",
        "\n",
        "\n",
        "1",
        "0",
        "-1",
        "255",
        "0.5",
        "\"a b\"",
        "state",
        "MASTER",
        "priority",
        "key",
        "hex:00",
        "script",
        "process",
        "file",
        "init_file",
        "quorum_max",
        "name",
        "group",
        "all",
    ];
    let mut rng = crate::rng::Rng::new(7);
    for _ in 0..3_000 {
        let n = rng.below(40) as usize;
        let text: Vec<&str> = (0..n)
            .map(|_| words[rng.below(words.len() as u64) as usize])
            .collect();
        let text = text.join(" ");
        let (v, _) = parse(&text);
        round_trip(&v);
    }
}

// ---------------------------------------------------------------------------------------------
// Corpus.

/// Whether keepalived's first diagnostic points into this section: a `(Line N)` inside one of
/// our blocks, or an instance/sync-group message without a line.
fn first_is_ours(first: &str, text: &str, v: &Vrrp) -> bool {
    if let Some(line) = testutil::diag_line(first) {
        return in_spans(&testutil::spans(text, TOP), line);
    }
    v.instances
        .iter()
        .any(|i| first.starts_with(&format!("({})", i.name)))
        || first.starts_with("Sync group")
        || first.contains("VRID")
}

#[test]
fn corpus_agrees_with_keepalived() {
    let mut table = String::new();
    let mut failures = Vec::new();
    let (mut yes_ok, mut yes_n, mut no_ok, mut no_n, mut round) = (0, 0, 0, 0, 0);
    for e in testutil::corpus() {
        let (file, accept, first, text) = (&e.file, e.accept.as_str(), &e.first, &e.text);
        let (v, d) = parse(text);
        let ours: Vec<String> = bad(&d)
            .iter()
            .map(|x| format!("{}: {}", x.loc.map_or(0, |l| l.line), x.message))
            .collect();
        let verdict = match accept {
            "yes" => {
                yes_n += 1;
                if ours.is_empty() {
                    yes_ok += 1;
                    "ok"
                } else {
                    failures.push(format!("{file} (accept=yes): {}", ours.join(" | ")));
                    "DISAGREE"
                }
            }
            "no" if first_is_ours(first, text, &v) => {
                no_n += 1;
                if ours.is_empty() {
                    failures.push(format!(
                        "{file} (accept=no, keepalived: {first}): we say nothing"
                    ));
                    "DISAGREE"
                } else {
                    no_ok += 1;
                    "ok"
                }
            }
            _ => "-",
        };
        table.push_str(&format!(
            "{verdict:<8} {accept:<3} {file:<70} {}\n",
            ours.first().map_or("", |s| s.as_str())
        ));
        // Every file that parses round-trips through the dump.
        round_trip(&v);
        round += 1;
    }
    println!(
        "vrrp corpus: accept=yes {yes_ok}/{yes_n} clean, accept=no (ours) {no_ok}/{no_n} reported, {round} round trips\n{table}"
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Prints every diagnostic of this section for each corpus file (`--ignored --nocapture`), to set
/// beside keepalived's own output when calibrating.
#[test]
#[ignore = "calibration aid"]
fn print_corpus_diagnostics() {
    for e in testutil::corpus() {
        let (_, d) = parse(&e.text);
        println!("##### {}", e.file);
        for x in d {
            println!(
                "  {}:{} {}: {}",
                x.loc.map_or(0, |l| l.line),
                x.loc.map_or(0, |l| l.col),
                x.severity,
                x.message
            );
        }
    }
}

/// Prints this section's diagnostics for the file named by `VRRP_FILE` (calibration aid).
#[test]
#[ignore = "calibration aid"]
fn print_file_diagnostics() {
    let Ok(path) = std::env::var("VRRP_FILE") else {
        return;
    };
    let text = std::fs::read_to_string(path).unwrap();
    let (_, d) = parse(&text);
    for x in d {
        println!(
            "{}:{} {}: {}",
            x.loc.map_or(0, |l| l.line),
            x.loc.map_or(0, |l| l.col),
            x.severity,
            x.message
        );
    }
}
