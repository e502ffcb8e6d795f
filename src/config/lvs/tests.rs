//! Tests of the LVS section: values, defaults and inheritance, diagnostics (message, severity and
//! location) calibrated against keepalived 2.2.7, dump round trips, and the corpus.

use std::time::Duration;

use super::*;
use crate::config::dump::Writer;
use crate::config::source::{Diagnostic, Severity};
use crate::config::testutil::{self, Entry, in_spans, ip};

fn load(text: &str) -> (Lvs, Vec<Diagnostic>) {
    let (cfg, d) = testutil::load(text);
    (std::rc::Rc::unwrap_or_clone(cfg.lvs), d)
}

/// Diagnostics other than notes, as (severity, line, col, message).
fn problems(text: &str) -> Vec<(Severity, u32, u32, String)> {
    let (_, list) = load(text);
    list.into_iter()
        .filter(|x| x.severity != Severity::Note)
        .map(|x| {
            let l = x.loc.expect("located");
            (x.severity, l.line, l.col, x.message)
        })
        .collect()
}

fn notes(text: &str) -> Vec<(u32, u32, String)> {
    let (_, list) = load(text);
    list.into_iter()
        .filter(|x| x.severity == Severity::Note)
        .map(|x| {
            let l = x.loc.expect("located");
            (l.line, l.col, x.message)
        })
        .collect()
}

fn w(line: u32, col: u32, msg: &str) -> (Severity, u32, u32, String) {
    (Severity::Warning, line, col, msg.to_string())
}

fn f(line: u32, col: u32, msg: &str) -> (Severity, u32, u32, String) {
    (Severity::Fatal, line, col, msg.to_string())
}

/// A virtual server [10.0.0.1]:tcp:80 (rr, NAT, TCP) whose body continues with `body` from line 5.
fn vs(body: &str) -> String {
    format!(
        "virtual_server 10.0.0.1 80 {{\n  lvs_sched rr\n  lvs_method NAT\n  protocol TCP\n{body}\n}}\n"
    )
}

/// `vs` with one real server 10.0.0.2:80 whose body starts on line 6.
fn rs(body: &str) -> String {
    vs(&format!("  real_server 10.0.0.2 80 {{\n{body}\n  }}"))
}

fn secs(s: f64) -> Duration {
    Duration::from_secs_f64(s)
}

fn only_vs(l: &Lvs) -> &VirtualServer {
    assert_eq!(l.virtual_servers.len(), 1, "{l:#?}");
    &l.virtual_servers[0]
}

// ---------------------------------------------------------------------------------------------
// virtual_server

#[test]
fn virtual_server_values() {
    let text = "\
virtual_server 192.168.200.100 443 {
    delay_loop 6.5
    lb_algo wlc
    lb_kind DR
    protocol tcp
    persistence_timeout
    persistence_engine sip
    ha_suspend
    alpha
    omega
    smtp_alert off
    virtualhost www.example.org
    snmp_name web
    quorum 2
    hysteresis 1
    quorum_up \"/bin/up arg\" nobody nogroup
    quorum_down /bin/down
    weight 3
    connect_timeout 2.5
    retry 4
    delay_before_retry 0
    warmup 7
    real_server 192.168.201.1 443 {
        TCP_CHECK {
        }
    }
}
";
    let (l, list) = load(text);
    assert!(
        list.iter().all(|x| x.severity == Severity::Note),
        "{list:#?}"
    );
    let v = only_vs(&l);
    assert_eq!(
        v.target,
        VsTarget::Addr {
            ip: ip("192.168.200.100"),
            port: 443
        }
    );
    assert_eq!(v.family, Some(Family::Inet));
    assert_eq!(v.delay_loop, secs(6.5));
    assert_eq!(v.sched, Scheduler::Wlc);
    assert_eq!(v.lvs_method, Forwarding::Dr);
    assert_eq!(v.protocol, Some(Protocol::Tcp));
    assert_eq!(v.persistence_timeout, Some(360));
    assert_eq!(v.persistence_engine.as_deref(), Some("sip"));
    assert!(v.ha_suspend && v.alpha && v.omega && !v.inhibit_on_failure);
    assert_eq!(v.smtp_alert, Some(false));
    assert_eq!(v.virtualhost.as_deref(), Some("www.example.org"));
    assert_eq!(v.snmp_name.as_deref(), Some("web"));
    assert_eq!((v.quorum, v.hysteresis), (2, 1));
    let up = v.quorum_up.as_ref().unwrap();
    assert_eq!(
        (up.command.as_str(), up.user.as_deref(), up.group.as_deref()),
        ("/bin/up arg", Some("nobody"), Some("nogroup"))
    );
    assert_eq!((up.loc.0.unwrap().line, up.loc.0.unwrap().col), (16, 15));
    assert_eq!(v.quorum_down.as_ref().unwrap().user, None);
    assert_eq!(v.weight, 3);
    assert_eq!(v.connect_timeout, secs(2.5));
    assert_eq!(v.retry, Some(4));
    assert_eq!(v.delay_before_retry, Some(Duration::ZERO));
    assert_eq!(v.warmup, Some(secs(7.0)));
    let r = &v.real_servers[0];
    assert_eq!((r.ip, r.port, r.weight), (ip("192.168.201.1"), 443, 3));
    assert_eq!(r.lvs_method, Forwarding::Dr);
    assert!(r.alpha);
    assert_eq!(r.virtualhost.as_deref(), Some("www.example.org"));
    let c = &r.checkers[0];
    assert_eq!(c.kind, CheckerKind::Tcp);
    assert_eq!(c.retry, 4);
    assert_eq!(c.delay_before_retry, Duration::ZERO);
    assert_eq!(c.warmup, secs(7.0));
    assert_eq!(c.delay_loop, secs(6.5));
    assert_eq!(c.conn.as_ref().unwrap().connect_timeout, secs(2.5));
}

#[test]
fn defaults_and_inheritance_by_checker_type() {
    let text = rs("    TCP_CHECK {\n    }
    HTTP_GET {\n      url {\n        path /\n      }\n    }
    MISC_CHECK {\n      misc_path /bin/true\n    }
    DNS_CHECK {\n      delay_loop 9\n    }
    SMTP_CHECK {\n    }");
    let (l, list) = load(&text);
    assert!(
        list.iter().all(|x| x.severity == Severity::Note),
        "{list:#?}"
    );
    let r = &only_vs(&l).real_servers[0];
    assert_eq!(r.weight, 1);
    assert_eq!(r.delay_loop, secs(60.0));
    assert_eq!(r.connect_timeout, secs(5.0));
    assert_eq!(
        (r.retry, r.delay_before_retry, r.warmup),
        (None, None, None)
    );
    let got: Vec<(u32, Duration, Duration, Duration)> = r
        .checkers
        .iter()
        .map(|c| (c.retry, c.delay_before_retry, c.warmup, c.delay_loop))
        .collect();
    assert_eq!(
        got,
        [
            (1, secs(1.0), secs(60.0), secs(60.0)),
            (1, secs(3.0), secs(60.0), secs(60.0)),
            (0, secs(1.0), secs(60.0), secs(60.0)),
            (3, secs(9.0), secs(9.0), secs(9.0)),
            (1, secs(1.0), secs(60.0), secs(60.0)),
        ]
    );
    assert!(r.checkers[2].conn.is_none());
    match &r.checkers[4].kind {
        CheckerKind::Smtp(s) => assert_eq!(s.helo_name, "smtpchecker.keepalived.org"),
        k => panic!("{k:?}"),
    }
    // Real server values override the virtual server's, checker values the real server's.
    let text = vs(
        "  delay_loop 20\n  retry 2\n  alpha\n  real_server 10.0.0.2 80 {
    retry 5\n    delay_before_retry 2\n    alpha no\n    connect_timeout 3
    MISC_CHECK {\n      misc_path /bin/true\n      retry 7\n    }
    TCP_CHECK {\n      connect_timeout 1\n      alpha yes\n    }\n  }",
    );
    let (l, _) = load(&text);
    let r = &only_vs(&l).real_servers[0];
    assert_eq!(
        (r.retry, r.alpha, r.delay_loop),
        (Some(5), false, secs(20.0))
    );
    let (m, t) = (&r.checkers[0], &r.checkers[1]);
    assert_eq!(
        (m.retry, m.delay_before_retry, m.alpha),
        (7, secs(2.0), false)
    );
    assert_eq!((t.retry, t.alpha), (5, true));
    assert_eq!(t.conn.as_ref().unwrap().connect_timeout, secs(1.0));
}

#[test]
fn missing_scheduler_method_and_protocol_are_warned_and_defaulted() {
    let text = "virtual_server 10.0.0.1 80 {\n  real_server 10.0.0.2 80 {\n  }\n}\n";
    assert_eq!(
        problems(text),
        [
            w(
                1,
                1,
                "virtual server [10.0.0.1]:none:80: no `protocol` - keepalived uses UDP (the kernel's default)"
            ),
            w(
                1,
                1,
                "virtual server [10.0.0.1]:udp:80: no `lvs_sched` - keepalived uses wlc"
            ),
            w(
                1,
                1,
                "virtual server [10.0.0.1]:udp:80: no `lvs_method` - keepalived uses NAT"
            ),
        ]
    );
    let (l, list) = load(text);
    assert_eq!(
        list[0].hint.as_deref(),
        Some("add `protocol TCP` (or UDP, SCTP)")
    );
    let v = only_vs(&l);
    assert_eq!(
        (v.protocol, v.sched, v.lvs_method),
        (Some(Protocol::Udp), Scheduler::Wlc, Forwarding::Nat)
    );
    // No lvs_method is fine when every real server has one.
    let text = "virtual_server 10.0.0.1 80 {\n  lb_algo rr\n  protocol UDP\n  real_server 10.0.0.2 80 {\n    lvs_method DR\n  }\n}\n";
    assert_eq!(problems(text), []);
}

#[test]
fn scheduler_names_and_flags() {
    assert_eq!(
        problems(&rs("").replace("lvs_sched rr", "lvs_sched loadbalance")),
        [
            w(
                2,
                13,
                "`lvs_sched`: invalid scheduler `loadbalance` (rr|wrr|lc|wlc|lblc|sh|mh|dh|fo|ovf|lblcr|sed|nq|twos) - ignoring"
            ),
            w(
                1,
                1,
                "virtual server [10.0.0.1]:tcp:80: no `lvs_sched` - keepalived uses wlc"
            ),
        ]
    );
    let (_, list) = load(&rs("").replace("lvs_sched rr", "lb_algo wrrr"));
    assert_eq!(list[0].hint.as_deref(), Some("did you mean `wrr`?"));
    for s in Scheduler::ALL {
        let (l, _) = load(&rs("").replace("lvs_sched rr", &format!("lvs_sched {}", s.name())));
        assert_eq!(only_vs(&l).sched, s);
    }
    // Upper case is not a scheduler for keepalived.
    assert_eq!(
        problems(&rs("").replace("lvs_sched rr", "lvs_sched RR")).len(),
        2
    );
    // sh-port counts only after `lvs_sched sh`, as keepalived reads it.
    let (l, list) = load(&vs(
        "  lvs_sched sh\n  sh-port\n  sh-fallback\n  flag-3\n  real_server 10.0.0.2 80 {\n  }",
    ));
    assert!(list.iter().all(|x| x.severity == Severity::Note));
    assert_eq!(
        only_vs(&l).sched_flags,
        SchedFlags {
            flag1: true,
            flag2: true,
            flag3: true
        }
    );
    assert_eq!(
        problems(&vs(
            "  sh-port\n  mh-fallback\n  hashed\n  flag-2\n  real_server 10.0.0.2 80 {\n  }"
        )),
        [
            w(
                5,
                3,
                "`sh-port` ignored: it only applies after `lvs_sched sh` in the same block"
            ),
            w(
                6,
                3,
                "`mh-fallback` ignored: it only applies after `lvs_sched mh` in the same block"
            ),
            w(
                7,
                3,
                "`hashed` ignored: keepalived 2.2.7 never applies `hashed`"
            ),
        ]
    );
    let (l, _) = load(&vs(
        "  sh-port\n  mh-fallback\n  hashed\n  flag-2\n  real_server 10.0.0.2 80 {\n  }",
    ));
    assert_eq!(
        only_vs(&l).sched_flags,
        SchedFlags {
            flag1: false,
            flag2: true,
            flag3: false
        }
    );
    // Under the other hashing scheduler keepalived drops them silently.
    let text = vs("  lvs_sched mh\n  sh-port\n  hashed\n  real_server 10.0.0.2 80 {\n  }");
    assert_eq!(problems(&text), []);
    assert_eq!(
        notes(&text),
        [
            (
                6,
                3,
                "`sh-port` has no effect with scheduler `mh` (keepalived ignores it silently)"
                    .to_string()
            ),
            (
                7,
                3,
                "`hashed` has no effect with scheduler `mh` (keepalived ignores it silently)"
                    .to_string()
            ),
        ]
    );
}

#[test]
fn forwarding_methods_and_tunnels() {
    let m = |spec: &str| {
        let (l, list) = load(&rs("").replace("lvs_method NAT", &format!("lvs_method {spec}")));
        let p: Vec<String> = list
            .iter()
            .filter(|x| x.severity != Severity::Note)
            .map(|x| x.message.clone())
            .collect();
        (l.virtual_servers.first().map(|v| v.lvs_method), p)
    };
    let tun = |kind, csum| Forwarding::Tun(Tunnel { kind, csum });
    assert_eq!(m("DR"), (Some(Forwarding::Dr), vec![]));
    assert_eq!(
        m("TUN"),
        (Some(tun(TunnelKind::Ipip, TunnelCsum::NoCsum)), vec![])
    );
    assert_eq!(
        m("TUN type gue port 6080 csum"),
        (Some(tun(TunnelKind::Gue(6080), TunnelCsum::Csum)), vec![])
    );
    assert_eq!(
        m("TUN type gre csum"),
        (Some(tun(TunnelKind::Gre, TunnelCsum::Csum)), vec![])
    );
    assert_eq!(
        m("TUN type gue"),
        (
            Some(tun(TunnelKind::Ipip, TunnelCsum::NoCsum)),
            vec!["`lvs_method`: a gue tunnel needs `port N` and the other types take no port - tunnel options ignored".to_string()]
        )
    );
    assert_eq!(
        m("TUN type ipip csum").1,
        ["`lvs_method`: ipip tunnels take no checksum option - tunnel options ignored"]
    );
    assert_eq!(
        m("TUN type gre remcsum").1,
        ["`lvs_method`: gre tunnels do not support `remcsum` - tunnel options ignored"]
    );
    assert_eq!(
        m("TUN foo").1,
        ["`lvs_method`: unknown tunnel option `foo` - tunnel options ignored"]
    );
    assert_eq!(
        m("TUN type gue port 70000").1,
        ["`gue port`: `70000` is outside the range [1, 65535] - ignoring"]
    );
    let (l, list) = load(&rs("").replace("lvs_method NAT", "lb_kind dr"));
    assert_eq!(
        list[0].message,
        "`lb_kind`: unknown forwarding method `dr` for the virtual server (NAT|DR|TUN, upper case) - ignoring"
    );
    assert_eq!(list[0].hint.as_deref(), Some("write `DR`"));
    assert_eq!(only_vs(&l).lvs_method, Forwarding::Nat);
    assert_eq!(
        Forwarding::Tun(Tunnel {
            kind: TunnelKind::Gue(9),
            csum: TunnelCsum::RemCsum
        })
        .to_string(),
        "TUN type gue port 9 remcsum"
    );
}

#[test]
fn fwmark_protocol_and_ops() {
    let text = "virtual_server fwmark 1 {\n  lb_algo rr\n  lb_kind DR\n  protocol TCP\n  ha_suspend\n  real_server 10.0.0.2 80 {\n  }\n}\n";
    assert_eq!(
        problems(text),
        [
            w(
                1,
                1,
                "virtual server FWM 1: `ha_suspend` cannot be used with a fwmark - cleared"
            ),
            w(
                1,
                1,
                "virtual server FWM 1: `protocol` is ignored for a fwmark service"
            ),
            w(
                6,
                3,
                "virtual server FWM 1: real server 10.0.0.2:80 has a port, which DR forwarding ignores - port cleared"
            ),
        ]
    );
    let (l, _) = load(text);
    let v = only_vs(&l);
    assert_eq!(
        (v.target.clone(), v.protocol, v.ha_suspend),
        (VsTarget::Fwmark(1), None, false)
    );
    assert_eq!((v.family, v.real_servers[0].port), (Some(Family::Inet), 0));
    // NAT keeps the port with a fwmark.
    let (l, _) = load(&text.replace("DR", "NAT"));
    assert_eq!(only_vs(&l).real_servers[0].port, 80);
    assert_eq!(
        problems(&vs("  ops\n  real_server 10.0.0.2 80 {\n  }")),
        [w(
            1,
            1,
            "virtual server [10.0.0.1]:tcp:80: `ops` (one-packet scheduling) needs UDP - cleared"
        )]
    );
    let (l, _) = load(&vs("  ops\n  real_server 10.0.0.2 80 {\n  }").replace("TCP", "UDP"));
    assert!(only_vs(&l).ops);
    assert_eq!(
        problems("virtual_server fwmark 0 {\n}\nvirtual_server fwmark x {\n}\n"),
        [
            w(
                1,
                23,
                "`virtual_server fwmark`: `0` is outside the range [1, 4294967295] - ignoring"
            ),
            w(
                3,
                23,
                "`virtual_server fwmark`: `x` is not a decimal integer (range [1, 4294967295]) - ignoring"
            ),
        ]
    );
}

#[test]
fn persistence() {
    let text = "virtual_server 10.0.0.1 {\n  lb_algo rr\n  lb_kind DR\n  protocol TCP\n  real_server 10.0.0.2 8080 {\n  }\n}\n";
    assert_eq!(
        problems(text),
        [
            w(
                1,
                1,
                "virtual server [10.0.0.1]:tcp:0: no port, which only persistent services may omit - persistence_timeout 360 set"
            ),
            w(
                5,
                3,
                "virtual server [10.0.0.1]:tcp:0: real server 10.0.0.2:8080 must use the virtual server's port with DR forwarding - port set to 0"
            ),
        ]
    );
    let (l, _) = load(text);
    assert_eq!(only_vs(&l).persistence_timeout, Some(360));
    let p = |v: &str| {
        let (l, list) = load(&vs(&format!(
            "  persistence_timeout {v}\n  real_server 10.0.0.2 80 {{\n  }}"
        )));
        (
            l.virtual_servers[0].persistence_timeout,
            list.into_iter()
                .find(|x| x.severity != Severity::Note)
                .map(|x| x.message),
        )
    };
    assert_eq!(p("2678400"), (Some(2678400), None));
    assert_eq!(
        p("2678401"),
        (
            None,
            Some(
                "`persistence_timeout`: `2678401` is outside the range [1, 2678400] - ignoring"
                    .into()
            )
        )
    );
    assert_eq!(
        p("0"),
        (
            None,
            Some("`persistence_timeout`: `0` is outside the range [1, 2678400] - ignoring".into())
        )
    );
    assert_eq!(p("0x10").1, Some("`persistence_timeout`: `0x10` is not a decimal integer (range [1, 2678400]) - ignoring".into()));
    // persistence_granularity implies persistence; its form follows the family.
    let (l, list) = load(&vs(
        "  persistence_granularity 255.255.255.0\n  real_server 10.0.0.2 80 {\n  }",
    ));
    assert!(list.iter().all(|x| x.severity == Severity::Note));
    let v = only_vs(&l);
    assert_eq!(
        v.persistence_granularity,
        Some(Granularity::Mask("255.255.255.0".parse().unwrap()))
    );
    assert_eq!(v.persistence_timeout, Some(360));
    let text = vs("  persistence_granularity 24\n  real_server 10.0.0.2 80 {\n  }");
    assert_eq!(
        notes(&text),
        [(5, 27, "`persistence_granularity 24` is read as the IPv4 mask 0.0.0.24, not as a prefix length".to_string())]
    );
    let text = "virtual_server fd00::1 80 {\n  lb_algo rr\n  lb_kind NAT\n  protocol TCP\n  persistence_granularity 64\n  real_server fd00::2 80 {\n  }\n}\n";
    let (l, list) = load(text);
    assert!(
        list.iter().all(|x| x.severity == Severity::Note),
        "{list:?}"
    );
    assert_eq!(
        only_vs(&l).persistence_granularity,
        Some(Granularity::Prefix(64))
    );
    assert_eq!(
        problems(&text.replace("granularity 64", "granularity 129")),
        [w(
            5,
            27,
            "`persistence_granularity`: `129` is outside the range [1, 128] - ignoring"
        )]
    );
    assert_eq!(
        problems(&vs(
            "  persistence_engine a_very_long_engine\n  real_server 10.0.0.2 80 {\n  }"
        )),
        [w(
            5,
            22,
            "`persistence_engine`: `a_very_long_engine` is longer than 15 characters - truncated"
        )]
    );
}

#[test]
fn timers_and_integers_at_virtual_server_level() {
    let one = |kv: &str| {
        problems(&vs(&format!("  {kv}\n  real_server 10.0.0.2 80 {{\n  }}")))
            .into_iter()
            .map(|p| p.3)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        one("delay_loop 0"),
        ["`delay_loop`: `0` is out of range (at least 0.000001 seconds) - ignoring"]
    );
    assert_eq!(
        one("delay_loop 1e3"),
        ["`delay_loop`: `1e3` is not a number of seconds (at least 0.000001 seconds) - ignoring"]
    );
    assert_eq!(
        one("delay_loop -1"),
        ["`delay_loop`: `-1` is negative (at least 0.000001 seconds) - ignoring"]
    );
    assert_eq!(one("delay_loop 100000"), Vec::<String>::new());
    assert_eq!(
        one("connect_timeout 4295"),
        [
            "`connect_timeout`: `4295` is out of range (range [0.000001, 4294.967295] seconds) - ignoring"
        ]
    );
    assert_eq!(
        one("retry 0"),
        ["`retry`: `0` is outside the range [1, 4294967295] - ignoring"]
    );
    assert_eq!(
        one("retry -1"),
        ["`retry`: `-1` is negative (range [1, 4294967295]) - ignoring"]
    );
    assert_eq!(
        one("weight 0"),
        ["`weight`: `0` is outside the range [1, 2147483647] - ignoring"]
    );
    assert_eq!(
        one("hysteresis -1"),
        ["`hysteresis`: `-1` is negative (range [0, 4294967295]) - ignoring"]
    );
    assert_eq!(
        one("ip_family foo"),
        ["`ip_family`: unknown family `foo` (inet|inet6) - ignoring"]
    );
    assert_eq!(
        one("ip_family inet6"),
        [
            "`ip_family inet6` conflicts with the family of the servers given before it (inet) - ignoring"
        ]
    );
    assert_eq!(
        one("virtualhost"),
        ["`virtualhost` needs a host name - ignoring"]
    );
    assert_eq!(
        one("snmp_name a b"),
        ["`snmp_name` takes exactly one value (quote it if it has spaces) - ignoring"]
    );
    assert_eq!(
        one("smtp_alert maybe"),
        ["`smtp_alert`: invalid boolean `maybe` (use on|off|true|false|yes|no) - ignoring"]
    );
    assert_eq!(
        one("protocol ICMP"),
        ["`protocol`: unknown protocol `ICMP` (TCP|UDP|SCTP) - ignoring"]
    );
    assert_eq!(
        one("nat_mask 255.255.255.0"),
        ["unknown keyword `nat_mask` in virtual_server 10.0.0.1 80 - ignoring"]
    );
    // keepalived sets the quorum to 1 when the value is invalid.
    let (l, _) = load(&vs(
        "  quorum 0\n  real_server 10.0.0.2 80 {\n    weight 5\n  }",
    ));
    assert_eq!(only_vs(&l).quorum, 1);
    // Extra words are ignored by keepalived: a note here.
    let text = vs("  lb_algo rr wrr\n  real_server 10.0.0.2 80 {\n  }");
    assert_eq!(problems(&text), []);
    assert_eq!(
        notes(&text),
        [(
            5,
            14,
            "`lb_algo`: extra `wrr` ignored (keepalived ignores it too)".to_string()
        )]
    );
    // keepalived turns `alpha` on whatever value follows it in a virtual_server; so do we, and
    // say so.
    let text = vs("  alpha no\n  real_server 10.0.0.2 80 {\n  }");
    let (l, _) = load(&text);
    assert!(only_vs(&l).alpha);
    assert_eq!(
        notes(&text)[0].2,
        "`alpha` takes no value; `no` ignored and `alpha` enabled"
    );
}

#[test]
fn missing_values_stop_keepalived() {
    assert_eq!(
        problems(&vs(
            "  lb_algo\n  real_server 10.0.0.2 80 {\n    weight\n  }"
        )),
        [
            f(
                5,
                3,
                "`lb_algo` needs a value; keepalived stops reading the configuration here"
            ),
            f(
                7,
                5,
                "`weight` needs a value; keepalived stops reading the configuration here"
            ),
        ]
    );
    assert_eq!(
        problems(
            "virtual_server\nvirtual_server fwmark {\n}\nvirtual_server group {\n}\nvirtual_server_group {\n}\n"
        ),
        [
            f(
                1,
                1,
                "`virtual_server` needs an address, `fwmark N` or `group NAME`; keepalived stops reading the configuration here"
            ),
            f(
                2,
                16,
                "`virtual_server fwmark` needs a mark (keepalived 2.2.7 crashes here)"
            ),
            f(
                4,
                16,
                "`virtual_server group` needs a group name (keepalived 2.2.7 crashes here)"
            ),
            f(
                6,
                1,
                "`virtual_server_group` needs a name; keepalived stops reading the configuration here"
            ),
        ]
    );
    assert_eq!(
        problems(&rs(
            "    notify_up\n    TCP_CHECK {\n      connect_ip\n    }"
        )),
        [
            f(
                6,
                5,
                "`notify_up` needs a value; keepalived stops reading the configuration here"
            ),
            f(
                8,
                7,
                "`connect_ip` needs a value; keepalived stops reading the configuration here"
            ),
        ]
    );
}

#[test]
fn blocks_where_keepalived_wants_them() {
    assert_eq!(
        problems(&vs("  real_server 10.0.0.2 80
  real_server 10.0.0.3 80 {
    TCP_CHECK
    HTTP_GET {
      url
    }
  }")),
        [
            w(5, 3, "`real_server` needs a block `{ ... }`"),
            w(7, 5, "`TCP_CHECK` needs a block `{ ... }`"),
            w(9, 7, "`url` needs a block `{ ... }`"),
            w(9, 7, "`url` has no `path` - url ignored"),
            w(
                8,
                5,
                "`HTTP_GET` has no `url` block - checker ignored (keepalived 2.2.7 crashes on this)"
            ),
        ]
    );
    assert_eq!(
        problems(&vs("  lb_algo rr {
  }
  real_server 10.0.0.2 80 {
    weight 2 {
    }
  }")),
        [
            w(5, 14, "`lb_algo` takes no block - block ignored"),
            w(8, 14, "`weight` takes no block - block ignored"),
        ]
    );
    assert_eq!(
        problems(
            "virtual_server_group G
virtual_server_group H {
  10.0.0.1 80
}
"
        ),
        [f(
            1,
            1,
            "`virtual_server_group G` needs a block `{ ... }`; keepalived stops reading the configuration here"
        )]
    );
}

#[test]
fn quorum_and_hysteresis_limits() {
    let text = vs(
        "  quorum 5\n  hysteresis 1\n  real_server 10.0.0.2 80 {\n    weight 2\n  }\n  real_server 10.0.0.3 80 {\n  }",
    );
    assert_eq!(
        problems(&text),
        [w(
            1,
            1,
            "virtual server [10.0.0.1]:tcp:80: quorum 5 exceeds the total weight of its real servers (3) - quorum lowered to 3"
        )]
    );
    let (l, _) = load(&text);
    assert_eq!((only_vs(&l).quorum, only_vs(&l).hysteresis), (3, 1));
    let text = vs("  quorum 2\n  hysteresis 2\n  real_server 10.0.0.2 80 {\n    weight 5\n  }");
    assert_eq!(
        problems(&text),
        [w(
            1,
            1,
            "virtual server [10.0.0.1]:tcp:80: hysteresis 2 must be below quorum 2 - set to 1"
        )]
    );
    // All weights 0: keepalived lowers the quorum to 0 and the hysteresis wraps.
    let (l, list) = load(&rs("    weight 0"));
    assert_eq!(
        list.iter()
            .filter(|x| x.severity == Severity::Warning)
            .count(),
        2
    );
    assert_eq!((only_vs(&l).quorum, only_vs(&l).hysteresis), (0, u32::MAX));
}

#[test]
fn real_servers() {
    let text = vs("  real_server 10.0.0.2 80 {
    weight 7\n    lvs_method TUN\n    uthreshold 100\n    lthreshold 10\n    inhibit_on_failure
    notify_up /bin/up\n    notify_down \"/bin/down now\" root\n    smtp_alert\n    virtualhost h
    snmp_name rs1\n    retry 2\n    delay_before_retry 4\n    warmup 1\n    delay_loop 30
    connect_timeout 0.5\n  }");
    let (l, list) = load(&text);
    assert!(
        list.iter().all(|x| x.severity == Severity::Note),
        "{list:#?}"
    );
    let r = &only_vs(&l).real_servers[0];
    assert_eq!(r.weight, 7);
    assert_eq!(r.lvs_method, Forwarding::Tun(Tunnel::default()));
    assert_eq!((r.uthreshold, r.lthreshold), (100, 10));
    assert!(r.inhibit_on_failure);
    assert_eq!(r.notify_up.as_ref().unwrap().command, "/bin/up");
    let down = r.notify_down.as_ref().unwrap();
    assert_eq!(
        (down.command.as_str(), down.user.as_deref()),
        ("/bin/down now", Some("root"))
    );
    assert_eq!(r.smtp_alert, Some(true));
    assert_eq!(
        (r.virtualhost.as_deref(), r.snmp_name.as_deref()),
        (Some("h"), Some("rs1"))
    );
    assert_eq!(
        (r.retry, r.delay_before_retry, r.warmup),
        (Some(2), Some(secs(4.0)), Some(secs(1.0)))
    );
    assert_eq!((r.delay_loop, r.connect_timeout), (secs(30.0), secs(0.5)));
    let one = |kv: &str| {
        problems(&rs(&format!("    {kv}")))
            .into_iter()
            .map(|p| p.3)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        one("weight 2147483648"),
        ["`weight`: `2147483648` is outside the range [0, 2147483647] - ignoring"]
    );
    assert_eq!(
        one("weight -1"),
        ["`weight`: `-1` is negative (range [0, 2147483647]) - ignoring"]
    );
    assert_eq!(
        one("uthreshold x"),
        ["`uthreshold`: `x` is not a decimal integer (range [0, 4294967295]) - ignoring"]
    );
    assert_eq!(
        one("inhibit_on_failure maybe"),
        ["`inhibit_on_failure`: invalid boolean `maybe` (use on|off|true|false|yes|no) - ignoring"]
    );
    assert_eq!(
        one("protocol TCP"),
        ["unknown keyword `protocol` in real_server 10.0.0.2 80 - ignoring"]
    );
    assert_eq!(
        one("notify_up /a\n    notify_up /b"),
        ["`notify_up` given again - keeping the first one"]
    );
    // An invalid address or port skips the block (its contents are not read).
    assert_eq!(
        problems(&vs(
            "  real_server 10.0.0.300 80 {\n    foo\n  }\n  real_server 10.0.0.3 70000 {\n    foo\n  }\n  real_server 10.0.0.4 80 {\n  }"
        )),
        [
            w(
                5,
                15,
                "`real_server`: `10.0.0.300` is not an IP address - real server skipped"
            ),
            w(
                8,
                24,
                "`real_server port`: `70000` is outside the range [1, 65535] - ignoring"
            ),
        ]
    );
}

#[test]
fn duplicated_and_mismatched_real_servers() {
    let text = vs(
        "  real_server 10.0.0.2 80 {\n  }\n  real_server 10.0.0.2 80 {\n  }\n  real_server 10.0.0.2 {\n  }\n  real_server fd00::2 80 {\n  }\n  real_server fd00::3 80 {\n    lvs_method TUN\n  }",
    );
    assert_eq!(
        problems(&text),
        [
            w(
                11,
                3,
                "real server fd00::2 is inet6 but the virtual server is inet (only tunnelled servers may differ) - real server skipped"
            ),
            w(
                7,
                3,
                "virtual server [10.0.0.1]:tcp:80: real server 10.0.0.2:80 is given twice - keepalived drops the second one"
            ),
        ]
    );
    let (l, _) = load(&text);
    let got: Vec<(IpAddr, u16)> = only_vs(&l)
        .real_servers
        .iter()
        .map(|r| (r.ip, r.port))
        .collect();
    // A NAT real server without port takes the virtual server's (after the duplicate check, as
    // in keepalived).
    assert_eq!(
        got,
        [
            (ip("10.0.0.2"), 80),
            (ip("10.0.0.2"), 80),
            (ip("fd00::3"), 80)
        ]
    );
    // Non-NAT real servers must use the virtual server's port.
    assert_eq!(
        problems(&vs("  real_server 10.0.0.2 8080 {\n    lvs_method DR\n  }")),
        [w(
            5,
            3,
            "virtual server [10.0.0.1]:tcp:80: real server 10.0.0.2:8080 must use the virtual server's port with DR forwarding - port set to 80"
        )]
    );
    assert_eq!(
        problems(&vs("")),
        [w(
            1,
            1,
            "virtual server [10.0.0.1]:tcp:80 has no real servers - keepalived ignores it"
        )]
    );
    assert!(load(&vs("")).0.virtual_servers.is_empty());
}

#[test]
fn sorry_servers() {
    let text = vs(
        "  sorry_server_inhibit\n  sorry_server_lvs_method DR\n  sorry_server 10.0.0.9\n  sorry_server_inhibit\n  sorry_server_lvs_method TUN\n  real_server 10.0.0.2 80 {\n  }",
    );
    assert_eq!(
        problems(&text),
        [
            w(
                5,
                3,
                "`sorry_server_inhibit` before (or without) `sorry_server` - ignoring"
            ),
            w(
                6,
                3,
                "`sorry_server_lvs_method` before (or without) `sorry_server` - ignoring"
            ),
        ]
    );
    let (l, _) = load(&text);
    let s = only_vs(&l).sorry_server.as_ref().unwrap();
    assert_eq!((s.ip, s.port, s.inhibit), (ip("10.0.0.9"), 80, true));
    assert_eq!(s.lvs_method, Forwarding::Tun(Tunnel::default()));
    assert_eq!(
        problems(
            &vs("  lvs_method DR\n  sorry_server 10.0.0.9 81\n  real_server 10.0.0.2 80 {\n  }")
                .replace("  lvs_method NAT\n", "")
        ),
        [w(
            5,
            3,
            "virtual server [10.0.0.1]:tcp:80: the sorry server must use the virtual server's port with DR forwarding - port set to 80"
        )]
    );
    assert_eq!(
        problems(&vs(
            "  sorry_server fd00::9\n  real_server 10.0.0.2 80 {\n  }"
        )),
        [w(
            5,
            3,
            "sorry server fd00::9 is inet6 but the virtual server is inet (only a tunnelled one may differ) - sorry server ignored"
        )]
    );
    assert_eq!(
        problems(&vs(
            "  sorry_server 10.0.0.2 80\n  real_server 10.0.0.2 80 {\n    inhibit_on_failure\n  }"
        )),
        [w(
            5,
            3,
            "virtual server [10.0.0.1]:tcp:80: the sorry server is also real server 10.0.0.2:80 but their inhibit_on_failure differ - setting it on the sorry server"
        )]
    );
    // The sorry server takes the virtual server's method when it has none; keepalived warns if
    // neither has one.
    let text = "virtual_server 10.0.0.1 80 {\n  lb_algo rr\n  protocol TCP\n  sorry_server 10.0.0.9\n  real_server 10.0.0.2 80 {\n    lvs_method DR\n  }\n}\n";
    assert_eq!(
        problems(text),
        [w(
            1,
            1,
            "virtual server [10.0.0.1]:tcp:80: no `lvs_method` - keepalived uses NAT"
        )]
    );
}

// ---------------------------------------------------------------------------------------------
// virtual_server_group

#[test]
fn group_entries() {
    let text = "virtual_server_group G {
  10.0.0.1 80
  10.0.0.1-10 80
  10.0.0.20-10.0.1.5 443
  10.0.2.0/24
  fd00::1-ff 80
  fwmark 7 inet
  fwmark 8 inet6
}
";
    let (l, list) = load(text);
    assert!(list.is_empty(), "{list:#?}");
    let a = |s: &str, e: &str, port| GroupEntry::Addresses {
        start: ip(s),
        end: ip(e),
        port,
    };
    assert_eq!(
        l.groups[0].entries,
        [
            a("10.0.0.1", "10.0.0.1", 80),
            a("10.0.0.1", "10.0.0.10", 80),
            a("10.0.0.20", "10.0.1.5", 443),
            a("10.0.2.0", "10.0.2.255", 0),
            a("fd00::1", "fd00::ff", 80),
            GroupEntry::Fwmark {
                mark: 7,
                family: Some(Family::Inet)
            },
            GroupEntry::Fwmark {
                mark: 8,
                family: Some(Family::Inet6)
            },
        ]
    );
    let text = "virtual_server_group G {
  10.0.0.5-3 80
  10.0.1.5-10.0.0.1 80
  10.0.0.1/24 80
  10.0.0.0/0 80
  foo 80
  10.0.0.1 abc
  fwmark 3 foo
  fwmark -1
  10.0.0.9 80
}
";
    assert_eq!(
        problems(text),
        [
            w(
                2,
                3,
                "virtual_server_group G: `10.0.0.5-3` does not end after it starts - entry ignored"
            ),
            w(
                3,
                3,
                "virtual_server_group G: `10.0.1.5-10.0.0.1` ends before it starts - entry ignored"
            ),
            w(
                4,
                3,
                "virtual_server_group G: `10.0.0.1/24` has host bits set below the prefix length - entry ignored"
            ),
            w(
                5,
                3,
                "virtual_server_group G: `10.0.0.0/0` has an invalid prefix length (1..32) - entry ignored"
            ),
            w(
                6,
                3,
                "virtual_server_group G: `foo` is not an address, range or prefix - entry ignored"
            ),
            w(
                7,
                12,
                "`port`: `abc` is not a decimal integer (range [1, 65535]) - ignoring"
            ),
            w(
                8,
                12,
                "`fwmark 3` in virtual_server_group `G`: unknown family `foo` (inet|inet6) - entry ignored"
            ),
            w(
                9,
                10,
                "`fwmark`: `-1` is negative (range [0, 4294967295]) - ignoring"
            ),
        ]
    );
    assert_eq!(load(text).0.groups[0].entries.len(), 1);
    assert_eq!(
        problems(
            "virtual_server_group E {\n}\nvirtual_server_group M {\n  10.0.0.1 80\n  fd00::1 80\n  fwmark 3\n}\nvirtual_server_group X Y {\n}\n"
        ),
        [
            w(
                1,
                1,
                "virtual_server_group `E` has no entries - keepalived removes it"
            ),
            w(
                3,
                1,
                "virtual_server_group `M` has IPv4 and IPv6 entries and a fwmark without `inet`/`inet6` - keepalived removes it"
            ),
            f(
                8,
                24,
                "`virtual_server_group X`: unexpected `Y` after the name; keepalived stops reading the configuration here"
            ),
        ]
    );
}

#[test]
fn group_virtual_servers() {
    // The group may come after the virtual server; its checks run when both are known.
    let vsg = "virtual_server group G {\n  lb_algo rr\n  lb_kind DR\n  real_server 10.0.0.2 81 {\n  }\n}\n";
    let text = format!("{vsg}virtual_server_group G {{\n  10.0.0.1\n  fwmark 3\n}}\n");
    assert_eq!(
        problems(&text),
        [
            w(
                1,
                1,
                "virtual server group G: no `protocol` - keepalived uses UDP (the kernel's default)"
            ),
            w(
                1,
                1,
                "virtual server group G: group `G` has an entry without a port, which only persistent services may omit - persistence_timeout 360 set"
            ),
            w(
                4,
                3,
                "virtual server group G (fwmarks): real server 10.0.0.2:81 has a port, which DR forwarding ignores"
            ),
            w(
                4,
                3,
                "virtual server group G [10.0.0.1,0]: real server 10.0.0.2:81 has another port, which DR forwarding cannot change"
            ),
        ]
    );
    let (l, _) = load(&text);
    let v = only_vs(&l);
    assert_eq!(
        (v.protocol, v.persistence_timeout),
        (Some(Protocol::Udp), Some(360))
    );
    // Same result with the group first.
    let text2 = format!("virtual_server_group G {{\n  10.0.0.1\n  fwmark 3\n}}\n{vsg}");
    assert_eq!(load(&text2).0, l);
    // A group of fwmarks ignores the protocol.
    let text = format!(
        "virtual_server_group F {{\n  fwmark 1\n}}\n{}",
        vsg.replace("group G", "group F")
            .replace("lb_kind DR", "lb_kind NAT\n  protocol TCP")
    );
    assert_eq!(
        problems(&text),
        [w(
            4,
            1,
            "virtual server group F: `protocol` is ignored for a group of fwmarks"
        )]
    );
    // An unknown group: keepalived -t says nothing, the daemon ignores the virtual server.
    let text = format!(
        "virtual_server_group AD_H {{\n  10.0.0.1 80\n}}\n{}",
        vsg.replace("group G", "group AD_G")
            .replace("lb_kind DR", "lb_kind NAT\n  protocol TCP")
    );
    assert_eq!(problems(&text), []);
    let (_, list) = load(&text);
    let n = list
        .iter()
        .find(|x| x.message.contains("no virtual_server_group"))
        .unwrap();
    assert_eq!(n.severity, Severity::Note);
    assert_eq!(
        n.message,
        "`virtual_server group AD_G`: no virtual_server_group `AD_G` is defined - keepalived ignores this virtual server when it starts"
    );
    assert_eq!(n.hint.as_deref(), Some("did you mean `AD_H`?"));
    assert_eq!(load(&text).0.runnable().count(), 0);
    assert_eq!(load(&text2).0.runnable().count(), 1);
    assert_eq!(n.loc.unwrap().line, 4);
}

#[test]
fn duplicate_virtual_servers_are_noted() {
    let one = "virtual_server 10.0.0.1 80 {\n  lb_algo rr\n  lb_kind NAT\n  protocol TCP\n  real_server 10.0.0.2 80 {\n  }\n}\n";
    let text = format!("{one}{one}{}", one.replace("TCP", "UDP"));
    assert_eq!(problems(&text), []);
    assert_eq!(
        notes(&text),
        [(8, 1, "virtual server [10.0.0.1]:tcp:80 is defined twice (first at line 1); IPVS cannot add it again".to_string())]
    );
}

// ---------------------------------------------------------------------------------------------
// checkers

#[test]
fn connection_options() {
    let text = rs("    TCP_CHECK {
      connect_ip 10.0.0.7\n      connect_port 8080\n      bindto 10.0.0.1\n      bind_port 5000
      bind_if eth1\n      fwmark 9\n      connect_timeout 3\n      retry 0\n      delay_before_retry 2
      warmup 0\n      delay_loop 10\n      alpha\n      log_all_failures on\n    }");
    let (l, list) = load(&text);
    assert!(
        list.iter().all(|x| x.severity == Severity::Note),
        "{list:#?}"
    );
    let c = &only_vs(&l).real_servers[0].checkers[0];
    assert_eq!(
        c.conn,
        Some(ConnOpts {
            connect_ip: Some(ip("10.0.0.7")),
            connect_port: Some(8080),
            bindto: Some(ip("10.0.0.1")),
            bind_port: Some(5000),
            bind_if: Some("eth1".into()),
            fwmark: Some(9),
            connect_timeout: secs(3.0),
        })
    );
    assert_eq!(
        (c.retry, c.delay_before_retry, c.warmup, c.delay_loop),
        (0, secs(2.0), Duration::ZERO, secs(10.0))
    );
    assert!(c.alpha && c.log_all_failures);
    let one = |body: &str| {
        problems(&rs(&format!("    TCP_CHECK {{\n{body}\n    }}")))
            .into_iter()
            .map(|p| (p.1, p.3))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        one("connect_ip foo"),
        [(
            7,
            "`connect_ip`: `foo` is not an IP address - ignoring".to_string()
        )]
    );
    assert_eq!(
        one("bindto 10.0.0.1\nconnect_ip ::1"),
        [(
            8,
            "`connect_ip ::1` is not of the family of `bindto` 10.0.0.1 - ignoring".to_string()
        )]
    );
    assert_eq!(
        one("connect_port 0"),
        [(
            7,
            "`connect_port`: `0` is outside the range [1, 65535] - ignoring".to_string()
        )]
    );
    assert_eq!(
        one("bind_if abcdefghijklmnop"),
        [(
            7,
            "`bind_if`: interface name `abcdefghijklmnop` is longer than 15 characters - ignoring"
                .to_string()
        )]
    );
    assert_eq!(
        one("connect_ip fe80::1"),
        [(
            6,
            "`TCP_CHECK`: link-local destination fe80::1 needs `bind_if` - checker ignored"
                .to_string()
        )]
    );
    assert_eq!(one("connect_ip fe80::1\nbind_if eth0"), []);
    assert_eq!(
        one("delay_loop 0"),
        [(
            7,
            "`delay_loop`: `0` is out of range (at least 0.000001 seconds) - ignoring".to_string()
        )]
    );
    assert_eq!(
        one("misc_path /bin/true"),
        [(
            7,
            "unknown keyword `misc_path` in TCP_CHECK - ignoring".to_string()
        )]
    );
    assert!(
        load(&rs("    TCP_CHECK {\nconnect_ip fe80::1\n    }"))
            .0
            .virtual_servers[0]
            .real_servers[0]
            .checkers
            .is_empty()
    );
}

#[test]
fn nb_get_retry_where_keepalived_knows_it() {
    // keepalived 2.2.7: deprecated (with a warning) in HTTP_GET/SSL_GET, unknown elsewhere.
    let text = vs("  nb_get_retry 3\n  real_server 10.0.0.2 80 {
    nb_get_retry 3\n    TCP_CHECK {\n      nb_get_retry 3\n    }
    HTTP_GET {\n      nb_get_retry 4\n      url {\n        path /\n      }\n    }\n  }");
    assert_eq!(
        problems(&text),
        [
            w(
                5,
                3,
                "unknown keyword `nb_get_retry` in virtual_server 10.0.0.1 80 - ignoring"
            ),
            w(
                7,
                5,
                "unknown keyword `nb_get_retry` in real_server 10.0.0.2 80 - ignoring"
            ),
            w(
                9,
                7,
                "unknown keyword `nb_get_retry` in TCP_CHECK - ignoring"
            ),
            w(12, 7, "`nb_get_retry` is deprecated - use `retry`"),
        ]
    );
    let (l, list) = load(&text);
    assert_eq!(only_vs(&l).real_servers[0].checkers[1].retry, 4);
    assert_eq!(only_vs(&l).real_servers[0].checkers[0].retry, 1);
    assert!(
        list[2]
            .hint
            .as_deref()
            .unwrap()
            .starts_with("did you mean `retry`?")
    );
}

#[test]
fn http_and_ssl_get() {
    let text = rs("    SSL_GET {
      url {\n        path /health\n        digest 9B3A0C85A887A256D6939DA88AABD8CD
        status_code 200 404 300-302 301-310\n        virtualhost u.example
        regex \"^ok\"\n        regex_no_match\n        regex_options caseless dotall\n        regex_min_offset 2\n        regex_max_offset 100\n        regex_stack 1000 2000
      }\n      url {\n        path /b\n      }
      http_protocol 1.0C\n      virtualhost c.example\n      enable_sni\n      fast_recovery yes\n    }");
    let (l, list) = load(&text);
    assert!(
        list.iter().all(|x| x.severity == Severity::Note),
        "{list:#?}"
    );
    let c = &only_vs(&l).real_servers[0].checkers[0];
    assert_eq!(c.delay_before_retry, secs(3.0));
    let CheckerKind::Http(h) = &c.kind else {
        panic!()
    };
    assert!(h.tls && h.enable_sni && h.fast_recovery && !h.tls_compliant);
    assert_eq!(h.http_protocol, HttpProtocol::V1_0C);
    assert_eq!(h.virtualhost.as_deref(), Some("c.example"));
    let u = &h.urls[0];
    assert_eq!(u.path, "/health");
    assert_eq!(u.digest.unwrap()[..3], [0x9b, 0x3a, 0x0c]);
    assert_eq!(u.status_codes.0, [(200, 200), (300, 310), (404, 404)]);
    assert!(u.status_codes.contains(305) && !u.status_codes.contains(299));
    assert_eq!(u.virtualhost.as_deref(), Some("u.example"));
    let r = u.regex.as_ref().unwrap();
    assert_eq!(
        (
            r.pattern.as_str(),
            r.no_match,
            r.options.len(),
            r.min_offset,
            r.max_offset,
            r.stack
        ),
        ("^ok", true, 2, 2, Some(100), Some((1000, 2000)))
    );
    // Defaults: 200-299, the checker's virtualhost.
    assert_eq!(h.urls[1].status_codes, StatusCodes::default());
    assert_eq!(h.urls[1].virtualhost.as_deref(), Some("c.example"));

    let one = |body: &str| {
        problems(&rs(&format!("    HTTP_GET {{\n{body}\n    }}")))
            .into_iter()
            .map(|p| (p.1, p.2, p.3))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        one(""),
        [(
            6,
            5,
            "`HTTP_GET` has no `url` block - checker ignored (keepalived 2.2.7 crashes on this)"
                .to_string()
        )]
    );
    assert_eq!(
        one("url {\n}"),
        [
            (7, 1, "`url` has no `path` - url ignored".to_string()),
            (6, 5, "`HTTP_GET` has no `url` block - checker ignored (keepalived 2.2.7 crashes on this)".to_string()),
        ]
    );
    let u = |body: &str| one(&format!("url {{\npath /\n{body}\n}}"));
    assert_eq!(
        u("digest abc"),
        [(
            9,
            8,
            "`digest`: `abc` has 3 characters, an MD5 digest has 32 - ignoring".to_string()
        )]
    );
    assert_eq!(u("digest 9b3a0c85a887a256d6939da88aabd8cz"), [(9, 8, "`digest`: `9b3a0c85a887a256d6939da88aabd8cz` has a non-hex digit at offset 30 - ignoring".to_string())]);
    assert_eq!(
        u("digest 9b3a0c85a887a256d6939da88aabd8cd\ndigest 9b3a0c85a887a256d6939da88aabd8cd"),
        [(10, 8, "`digest` given again - ignoring".to_string())]
    );
    assert_eq!(
        u("status_code 200-299 600 abc 300-200"),
        [
            (
                9,
                21,
                "`status_code`: `600` is not a code or range in 100..599 - ignoring".to_string()
            ),
            (
                9,
                25,
                "`status_code`: `abc` is not a code or range in 100..599 - ignoring".to_string()
            ),
            (
                9,
                29,
                "`status_code`: `300-200` is not a code or range in 100..599 - ignoring"
                    .to_string()
            ),
        ]
    );
    assert_eq!(
        u("virtualhost"),
        [(
            9,
            1,
            "`virtualhost` needs a host name - ignoring".to_string()
        )]
    );
    assert_eq!(
        one("url {\npath /\n}\nhttp_protocol 2.0\nfast_recovery maybe\nhttp_protocol"),
        [
            (10, 15, "`http_protocol`: unknown version `2.0` (1.0|1.0C|1.1) - ignoring".to_string()),
            (11, 15, "`fast_recovery`: invalid boolean `maybe` (use on|off|true|false|yes|no) - ignoring".to_string()),
            (12, 1, "`http_protocol` needs a version (1.0|1.0C|1.1) - ignoring".to_string()),
        ]
    );
    // keepalived only logs regex problems (-t stays quiet): notes.
    let text = rs(
        "    HTTP_GET {\n      url {\n        path /\n        regex_options caseles\n        regex_min_offset 5\n      }\n    }",
    );
    assert_eq!(problems(&text), []);
    let (_, list) = load(&text);
    let n: Vec<&Diagnostic> = list
        .iter()
        .filter(|x| x.message.contains("regex"))
        .collect();
    assert_eq!(
        n[0].message,
        "`regex_options`: unknown option `caseles` - keepalived ignores it silently"
    );
    assert_eq!(n[0].hint.as_deref(), Some("did you mean `caseless`?"));
    assert_eq!(
        n[1].message,
        "regex options without `regex` - ignored (keepalived only logs this)"
    );
    // 2.3 keywords are accepted with a note.
    let text = rs(
        "    SSL_GET {\n      url {\n        path /\n      }\n      sni_name x.example\n      tls_compliant\n    }",
    );
    assert_eq!(problems(&text), []);
    assert_eq!(
        notes(&text)[0],
        (
            10,
            7,
            "`sni_name` needs keepalived 2.3 or later (keepalived 2.2.7 reports it as unknown)"
                .to_string()
        )
    );
}

#[test]
fn smtp_check_with_host_blocks() {
    let text = rs(
        "    SMTP_CHECK {\n      helo_name mail.example\n      connect_timeout 4
      host {\n        connect_ip 10.0.0.20\n        connect_port 25\n      }
      host {\n        connect_ip 10.0.0.21\n        bind_if eth0\n        retry 2\n      }\n    }",
    );
    let (l, list) = load(&text);
    assert!(
        list.iter().all(|x| x.severity == Severity::Note),
        "{list:#?}"
    );
    assert_eq!(
        list.iter()
            .filter(|x| x.message.contains("deprecated"))
            .count(),
        2
    );
    let cs = &only_vs(&l).real_servers[0].checkers;
    assert_eq!(cs.len(), 3);
    let dst: Vec<(Option<IpAddr>, Option<u16>, Duration)> = cs
        .iter()
        .map(|c| {
            let o = c.conn.as_ref().unwrap();
            (o.connect_ip, o.connect_port, o.connect_timeout)
        })
        .collect();
    assert_eq!(
        dst,
        [
            (None, None, secs(4.0)),
            (Some(ip("10.0.0.20")), Some(25), secs(4.0)),
            (Some(ip("10.0.0.21")), None, secs(4.0)),
        ]
    );
    assert!(cs.iter().all(|c| c.retry == 2));
    assert!(cs.iter().all(|c| c.kind
        == CheckerKind::Smtp(SmtpCheck {
            helo_name: "mail.example".into()
        })));
    assert_eq!(
        problems(&rs(
            "    SMTP_CHECK {\n      helo_name\n      host {\n        foo\n      }\n    }"
        )),
        [
            w(7, 7, "`helo_name` needs a name - ignoring"),
            w(9, 9, "unknown keyword `foo` in SMTP_CHECK host - ignoring"),
        ]
    );
}

#[test]
fn misc_check() {
    let text = rs("    MISC_CHECK {\n      misc_path \"/usr/bin/check arg1\"\n      misc_timeout 5\n      misc_dynamic\n      user nobody nogroup\n      warmup 3\n    }
    MISC_CHECK {\n      misc_path /bin/check -x \"a b\"\n      misc_timeout 0\n    }");
    let (l, list) = load(&text);
    assert!(
        list.iter().all(|x| x.severity == Severity::Note),
        "{list:#?}"
    );
    let cs = &only_vs(&l).real_servers[0].checkers;
    let CheckerKind::Misc(m) = &cs[0].kind else {
        panic!()
    };
    assert_eq!(m.path, "/usr/bin/check arg1");
    assert_eq!(
        (m.path_loc.0.unwrap().line, m.path_loc.0.unwrap().col),
        (7, 17)
    );
    assert_eq!((m.timeout, m.dynamic), (Some(5), true));
    assert_eq!(
        (m.user.as_deref(), m.group.as_deref()),
        (Some("nobody"), Some("nogroup"))
    );
    assert_eq!(cs[0].warmup, secs(3.0));
    let CheckerKind::Misc(m) = &cs[1].kind else {
        panic!()
    };
    assert_eq!((m.path.as_str(), m.timeout), ("/bin/check -x 'a b'", None));
    let one = |body: &str| {
        problems(&rs(&format!("    MISC_CHECK {{\n{body}\n    }}")))
            .into_iter()
            .map(|p| (p.1, p.3))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        one(""),
        [(
            6,
            "`MISC_CHECK` has no `misc_path` - checker ignored".to_string()
        )]
    );
    assert_eq!(
        one("misc_path"),
        [(
            6,
            "`MISC_CHECK` has no `misc_path` - checker ignored".to_string()
        )]
    );
    assert_eq!(
        one("misc_path /bin/true\nmisc_timeout 4295\nconnect_ip 1.2.3.4\nconnect_timeout 3\nuser"),
        [
            (
                8,
                "`misc_timeout`: `4295` is outside the range [0, 4294] - ignoring".to_string()
            ),
            (
                9,
                "unknown keyword `connect_ip` in MISC_CHECK - ignoring".to_string()
            ),
            (
                10,
                "unknown keyword `connect_timeout` in MISC_CHECK - ignoring".to_string()
            ),
            (11, "`user` needs a user name - ignoring".to_string()),
        ]
    );
}

#[test]
fn dns_check() {
    let text = rs(
        "    DNS_CHECK {\n      type aaaa\n      name example.com\n    }\n    DNS_CHECK {\n    }",
    );
    let (l, _) = load(&text);
    let cs = &only_vs(&l).real_servers[0].checkers;
    assert_eq!(
        cs[0].kind,
        CheckerKind::Dns(DnsCheck {
            qtype: DnsType::Aaaa,
            name: "example.com".into()
        })
    );
    assert_eq!(
        cs[1].kind,
        CheckerKind::Dns(DnsCheck {
            qtype: DnsType::Soa,
            name: ".".into()
        })
    );
    assert_eq!(DnsType::Aaaa.code(), 28);
    // keepalived 2.2.7's empty-label test also fires on a one-character first label (its bug):
    // a warning as it gives, but the name is used.
    let text = rs("    DNS_CHECK {\n      name a.example.com\n    }");
    assert_eq!(
        problems(&text),
        [w(
            7,
            12,
            "`name`: keepalived 2.2.7 rejects `a.example.com` (it takes a one-character first label for an empty one); keepalived-rs uses it"
        )]
    );
    let (l, _) = load(&text);
    assert_eq!(
        only_vs(&l).real_servers[0].checkers[0].kind,
        CheckerKind::Dns(DnsCheck {
            qtype: DnsType::Soa,
            name: "a.example.com".into()
        })
    );
    assert_eq!(
        problems(&rs(
            "    DNS_CHECK {\n      type FOO\n      name a..b\n      name .x\n      name ok.example\n      name again\n    }"
        )),
        [
            w(
                7,
                12,
                "`type`: unknown DNS query type `FOO` (A|NS|CNAME|SOA|MX|TXT|AAAA|RRSIG|DNSKEY) - ignoring"
            ),
            w(8, 12, "`name`: `a..b` has an empty label - ignoring"),
            w(9, 12, "`name`: `.x` has an empty label - ignoring"),
            w(11, 12, "DNS_CHECK `name` given again - ignoring"),
        ]
    );
}

#[test]
fn udp_check() {
    let text = rs(
        "    UDP_CHECK {\n      payload Ab12f 3 456\n      require_reply 0a Xb c\n      min_reply_length 2\n      max_reply_length 100\n    }",
    );
    let (l, list) = load(&text);
    assert!(
        list.iter().all(|x| x.severity == Severity::Note),
        "{list:#?}"
    );
    let CheckerKind::Udp(u) = &only_vs(&l).real_servers[0].checkers[0].kind else {
        panic!()
    };
    assert_eq!(
        u.payload.as_deref(),
        Some(&[0xab, 0x12, 0x0f, 0x03, 0x45, 0x06][..])
    );
    assert!(u.require_reply);
    assert_eq!(
        u.reply,
        Some(UdpReply {
            data: vec![0x0a, 0x0b, 0x0c],
            mask: vec![0, 0xf0, 0]
        })
    );
    assert_eq!((u.min_reply_length, u.max_reply_length), (2, 100));
    assert_eq!(
        problems(&rs(
            "    UDP_CHECK {\n      payload\n      payload zz\n      require_reply 0q\n      min_reply_length 70000\n      max_reply_length -1\n      min_reply_length 10\n      max_reply_length 5\n    }"
        )),
        [
            w(7, 7, "`payload` needs hex data - ignoring"),
            w(
                8,
                15,
                "`payload`: invalid hex data (pairs of hex digits, spaces between groups) - ignoring"
            ),
            w(
                9,
                21,
                "`require_reply`: invalid hex data (hex digits, X for any nibble) - any reply is accepted"
            ),
            w(
                10,
                24,
                "`min_reply_length`: `70000` is outside the range [0, 65535] - ignoring"
            ),
            w(
                11,
                24,
                "`max_reply_length`: `-1` is negative (range [0, 65535]) - ignoring"
            ),
            w(
                6,
                5,
                "`UDP_CHECK`: min_reply_length 10 > max_reply_length 5 - the check always fails"
            ),
        ]
    );
}

#[test]
fn ping_file_and_bfd_checks() {
    let text = rs(
        "    PING_CHECK {\n      retry 2\n    }\n    FILE_CHECK {\n      track_file tf1\n      weight -5 reverse\n    }\n    FILE_CHECK {\n      track_file tf2\n    }\n    BFD_CHECK {\n      name b1\n      alpha no\n    }",
    );
    let (l, list) = load(&text);
    assert!(
        list.iter().all(|x| x.severity == Severity::Note),
        "{list:#?}"
    );
    let cs = &only_vs(&l).real_servers[0].checkers;
    assert_eq!((cs[0].kind.clone(), cs[0].retry), (CheckerKind::Ping, 2));
    assert_eq!(
        cs[1].kind,
        CheckerKind::File(FileCheck {
            track_file: "tf1".into(),
            weight: Some(-5),
            reverse: true,
            dynamic: false
        })
    );
    assert_eq!(
        cs[2].kind,
        CheckerKind::File(FileCheck {
            track_file: "tf2".into(),
            weight: None,
            reverse: false,
            dynamic: false
        })
    );
    assert!(cs[1].conn.is_none() && cs[3].conn.is_none());
    assert_eq!(
        (cs[3].kind.clone(), cs[3].alpha),
        (CheckerKind::Bfd("b1".into()), false)
    );
    assert_eq!(
        problems(&rs(
            "    FILE_CHECK {\n    }\n    FILE_CHECK {\n      track_file t\n      weight 5 foo\n      weight\n      weight 2147483648\n      retry 2\n    }"
        )),
        [
            w(6, 5, "`FILE_CHECK` has no `track_file` - checker ignored"),
            w(
                10,
                16,
                "`weight`: unknown option `foo` (reverse|noreverse) - ignoring"
            ),
            w(11, 7, "`weight` needs a value - ignoring"),
            w(
                12,
                14,
                "`weight`: `2147483648` is outside the range [-2147483647, 2147483647] - ignoring"
            ),
            w(13, 7, "unknown keyword `retry` in FILE_CHECK - ignoring"),
        ]
    );
    assert_eq!(
        problems(&rs(
            "    BFD_CHECK {\n    }\n    BFD_CHECK {\n      name a b\n      foo\n    }\n    BFD_CHECK {\n      name abcdefghijabcdefghijabcdefghijab\n    }\n    BFD_CHECK {\n      retry 1\n      name x\n    }"
        )),
        [
            w(6, 5, "`BFD_CHECK` has no `name` - checker ignored"),
            w(
                9,
                7,
                "`BFD_CHECK`: `name` takes exactly one bfd_instance name - checker ignored"
            ),
            w(
                13,
                12,
                "`BFD_CHECK`: bfd_instance name `abcdefghijabcdefghijabcdefghijab` is longer than 31 characters - checker ignored"
            ),
            w(16, 7, "unknown keyword `retry` in BFD_CHECK - ignoring"),
        ]
    );
    // Names defined in other sections, once the integrator passes them.
    let text = rs(
        "    FILE_CHECK {\n      track_file tf1\n    }\n    FILE_CHECK {\n      track_file tf2\n    }\n    FILE_CHECK {\n      track_file tf3\n    }\n    BFD_CHECK {\n      name b1\n    }\n    BFD_CHECK {\n      name b2\n    }",
    );
    let (l, _) = load(&text);
    let at = |line| crate::config::source::Loc {
        file: crate::config::source::FileId(0),
        line,
        col: 1,
    };
    let mut d = Diagnostics::default();
    l.check_names(
        &[("b1".into(), at(100))],
        &[("tf1".into(), at(1)), ("tf2".into(), at(200))],
        &mut d,
    );
    let got: Vec<(u32, &str)> = d
        .list
        .iter()
        .map(|x| (x.loc.unwrap().line, x.message.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            (
                9,
                "`FILE_CHECK`: track_file `tf2` is defined after this checker; keepalived needs it defined first - checker ignored"
            ),
            (
                12,
                "`FILE_CHECK`: no track_file `tf3` is defined - checker ignored"
            ),
            (
                18,
                "`BFD_CHECK`: no bfd_instance `b2` is configured - checker ignored"
            ),
        ]
    );
}

#[test]
fn ssl_block() {
    let text = "SSL {\n  password secret\n  ca /etc/ca.pem\n  certificate /etc/c.pem\n  key /etc/k.pem\n}\n";
    let (l, list) = load(text);
    assert!(list.is_empty());
    let s = l.ssl.unwrap();
    assert_eq!(
        (
            s.password.as_deref(),
            s.ca.as_deref(),
            s.certificate.as_deref(),
            s.key.as_deref()
        ),
        (
            Some("secret"),
            Some("/etc/ca.pem"),
            Some("/etc/c.pem"),
            Some("/etc/k.pem")
        )
    );
    assert_eq!(
        problems("SSL {\n  password\n  ca /a\n  ca /b\n  foo\n}\nSSL {\n}\n"),
        [
            w(2, 3, "`password` needs a value - ignoring"),
            w(4, 3, "SSL `ca` given again - replacing the earlier one"),
            w(5, 3, "unknown keyword `foo` in SSL - ignoring"),
            w(
                7,
                1,
                "`SSL` block given again - it replaces the earlier one"
            ),
        ]
    );
}

#[test]
fn scripts_are_listed_with_locations() {
    let text = vs(
        "  quorum_up /bin/qu\n  quorum_down \"/bin/qd x\"\n  real_server 10.0.0.2 80 {\n    notify_up /bin/nu\n    notify_down /bin/nd\n    MISC_CHECK {\n      misc_path /bin/m a\n    }\n  }",
    );
    let (l, _) = load(&text);
    let got: Vec<(String, u32, u32)> = l
        .scripts()
        .into_iter()
        .map(|s| (s.command, s.loc.line, s.loc.col))
        .collect();
    assert_eq!(
        got,
        [
            ("/bin/qu".to_string(), 5, 13),
            ("/bin/qd x".to_string(), 6, 15),
            ("/bin/nu".to_string(), 8, 15),
            ("/bin/nd".to_string(), 9, 17),
            ("/bin/m a".to_string(), 11, 17),
        ]
    );
}

// ---------------------------------------------------------------------------------------------
// dump round trips

fn dump_lvs(l: &Lvs) -> String {
    let mut w = Writer::new();
    l.dump(&mut w);
    w.finish()
}

/// model -> dump -> parse -> equal model; the dump of the dump is the same text; the dump of a
/// clean configuration is clean (a model keepalived corrected, like quorum 0, may warn again).
fn round_trip(text: &str) -> Result<(), String> {
    let (a, first) = load(text);
    let clean = first.iter().all(|x| x.severity == Severity::Note);
    let once = dump_lvs(&a);
    let (b, list) = load(&once);
    if a != b {
        return Err(format!(
            "models differ\n--- dump:\n{once}\n--- first: {a:#?}\n--- second: {b:#?}"
        ));
    }
    let bad: Vec<&Diagnostic> = list
        .iter()
        .filter(|x| x.severity != Severity::Note)
        .collect();
    if clean && !bad.is_empty() {
        return Err(format!("the dump has problems: {bad:#?}\n{once}"));
    }
    let twice = dump_lvs(&b);
    if once != twice {
        return Err(format!("dump not stable:\n{once}\n---\n{twice}"));
    }
    Ok(())
}

const RICH: &str = "
virtual_server_group G4 {
  10.1.0.1-20 80
  10.1.1.0/28 8080
  fwmark 12 inet
}
virtual_server_group G6 {
  fd00::1-fd00::9 443
}
SSL {
  password \"pass word\"
  ca /etc/ca.pem
}
virtual_server 10.0.0.1 80 {
  delay_loop 3.25
  lvs_sched sh
  sh-port
  sh-fallback
  lvs_method TUN type gue port 6080 csum
  protocol TCP
  persistence_timeout 600
  persistence_granularity 255.255.0.0
  ha_suspend
  omega
  smtp_alert yes
  virtualhost vh.example
  quorum 2
  hysteresis 1
  quorum_up \"/bin/q up\" nobody
  quorum_down /bin/qd
  weight 2
  retry 2
  warmup 0
  sorry_server 10.0.0.99 80
  sorry_server_inhibit
  real_server 10.0.0.2 80 {
    weight 0
    inhibit_on_failure
    notify_up /bin/nu
    uthreshold 10
    HTTP_GET {
      url {
        path /a
        digest 0123456789abcdef0123456789ABCDEF
        status_code 200 301-302
        regex \"^OK$\"
        regex_options caseless
        regex_max_offset 10
      }
      http_protocol 1.1
      fast_recovery
      connect_port 8080
      bindto 10.0.0.1
    }
    SMTP_CHECK {
      host {
        connect_ip 10.0.0.50
      }
    }
    UDP_CHECK {
      payload 01020304
      require_reply aXb
      max_reply_length 64
    }
    DNS_CHECK {
      type MX
      name example.org
    }
    MISC_CHECK {
      misc_path /bin/check a \"b c\"
      misc_timeout 3
      user nobody
    }
    FILE_CHECK {
      track_file f1
      weight 3 reverse
    }
    BFD_CHECK {
      name b1
    }
    PING_CHECK {
      log_all_failures
    }
  }
  real_server 10.0.0.3 80 {
    lvs_method DR
    alpha
    SSL_GET {
      url {
        path /
      }
      enable_sni
      sni_name s.example
    }
  }
}
virtual_server fwmark 7 {
  ip_family inet6
  lb_algo mh
  mh-port
  flag-3
  lb_kind DR
  real_server fd00::7 {
    TCP_CHECK {
      connect_ip fe80::1
      bind_if eth0
    }
  }
}
virtual_server group G4 {
  lb_algo rr
  lb_kind NAT
  protocol UDP
  ops
  real_server 10.2.0.1 {
  }
}
virtual_server group G6 {
  lb_algo rr
  lb_kind NAT
  protocol SCTP
  real_server fd00::20 443 {
  }
}
virtual_server group NOPE {
  lb_algo rr
  lb_kind NAT
  real_server 10.9.0.1 80 {
  }
}
virtual_server 10.0.0.9 {
  lb_algo rr
  lb_kind DR
  protocol TCP
  persistence_granularity 24
  real_server 10.0.0.10 {
  }
}
";

#[test]
fn rich_configs_round_trip() {
    round_trip(RICH).unwrap();
    let (l, list) = load(RICH);
    assert!(
        list.iter().all(|x| x.severity == Severity::Note),
        "{:#?}",
        list.iter()
            .filter(|x| x.severity != Severity::Note)
            .collect::<Vec<_>>()
    );
    assert_eq!(l.groups.len(), 2);
    assert_eq!(l.virtual_servers.len(), 6);
    for t in [
        rs(""),
        rs("    weight 0\n    lvs_method TUN type gre csum"),
        vs("  lvs_sched mh\n  mh-fallback\n  real_server 10.0.0.2 80 {\n  }"),
        "virtual_server 10.0.0.1 {\n  real_server 10.0.0.2 80 {\n    weight 0\n  }\n  sorry_server 10.0.0.3 81\n}\n".to_string(),
        "virtual_server fwmark 3 {\n  lb_algo rr\n  lb_kind TUN\n  real_server fd00::3 {\n  }\n  real_server 10.0.0.3 {\n  }\n}\n".to_string(),
    ] {
        if let Err(e) = round_trip(&t) {
            panic!("{t}\n{e}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// the corpus

/// Does keepalived's first diagnostic belong to this section?
fn first_is_ours(e: &Entry) -> bool {
    if let Some(line) = testutil::diag_line(&e.first) {
        return in_spans(&testutil::spans(&e.text, TOP), line);
    }
    [
        "Virtual server",
        "virtual server",
        "real server",
        "quorum",
        "SSL",
        "MISC_CHECK",
    ]
    .iter()
    .any(|p| e.first.contains(p))
}

#[test]
fn corpus_agreement() {
    let entries = testutil::corpus();
    let mut disagreements = Vec::new();
    let (mut yes_ok, mut no_ok, mut other) = (0, 0, 0);
    for e in &entries {
        let (_, d) = testutil::load(&e.text);
        let ranges = testutil::spans(&e.text, TOP);
        let ours: Vec<&Diagnostic> = d
            .iter()
            .filter(|x| x.severity >= Severity::Warning)
            .filter(|x| x.loc.is_some_and(|l| in_spans(&ranges, l.line)))
            .collect();
        match e.accept.as_str() {
            "yes" if !ours.is_empty() => {
                disagreements.push(format!(
                    "{}: keepalived accepts it; we say {:?}",
                    e.file, ours[0].message
                ));
            }
            "yes" => yes_ok += 1,
            "no" if first_is_ours(e) && ours.is_empty() => {
                disagreements.push(format!(
                    "{}: keepalived says {:?}; we say nothing",
                    e.file, e.first
                ));
            }
            "no" if first_is_ours(e) => no_ok += 1,
            _ => other += 1,
        }
    }
    println!(
        "LVS corpus agreement: {yes_ok} accepted files clean, {no_ok} rejected files reported, {other} not ours or machine-dependent"
    );
    for x in &disagreements {
        println!("  DISAGREE {x}");
    }
    assert!(disagreements.is_empty(), "{disagreements:#?}");
}

#[test]
fn corpus_round_trips() {
    let mut n = 0;
    for e in testutil::corpus() {
        if let Err(err) = round_trip(&e.text) {
            panic!("{}: {err}", e.file);
        }
        n += 1;
    }
    println!("LVS round trips: {n} corpus files");
}

#[test]
fn arbitrary_input_never_panics() {
    let mut rng = crate::rng::Rng::new(7);
    let words = [
        "virtual_server",
        "real_server",
        "virtual_server_group",
        "SSL",
        "fwmark",
        "group",
        "{",
        "}",
        "10.0.0.1",
        "fe80::1",
        "80",
        "0",
        "-1",
        "lb_kind",
        "TUN",
        "type",
        "gue",
        "port",
        "HTTP_GET",
        "url",
        "path",
        "SMTP_CHECK",
        "host",
        "MISC_CHECK",
        "misc_path",
        "FILE_CHECK",
        "BFD_CHECK",
        "name",
        "weight",
        "quorum",
        "hysteresis",
        "persistence_granularity",
        "\n",
        "\n",
        "\"x y\"",
        "status_code",
        "100-",
        "digest",
        "UDP_CHECK",
        "payload",
        "require_reply",
        "Xx",
        "10.0.0.1-5",
        "10.0.0.0/8",
        "lvs_sched",
        "sh",
        "sh-port",
        "sorry_server",
        "ip_family",
        "inet6",
        "connect_ip",
    ];
    for _ in 0..3000 {
        let len = rng.below(40) as usize;
        let s: Vec<&str> = (0..len)
            .map(|_| words[rng.below(words.len() as u64) as usize])
            .collect();
        let text = s.join(" ");
        let (l, _) = load(&text);
        let _ = dump_lvs(&l);
        let _ = l.scripts();
    }
}

/// Calibration aid: `LVS_CAL_DIR=DIR cargo test --lib lvs::tests::calibration -- --ignored
/// --nocapture` prints, for each `DIR/*.conf`, our worst severity and first problem, to compare
/// with `keepalived -t` on the same files.
#[test]
#[ignore]
fn calibration() {
    let Ok(dir) = std::env::var("LVS_CAL_DIR") else {
        println!("SKIP LVS_CAL_DIR not set");
        return;
    };
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "conf"))
        .collect();
    files.sort();
    for p in files {
        let text = std::fs::read_to_string(&p).unwrap();
        let (_, list) = load(&text);
        let worst = list
            .iter()
            .map(|x| x.severity)
            .filter(|s| *s != Severity::Note)
            .max();
        let first = list
            .iter()
            .find(|x| x.severity != Severity::Note)
            .map_or(String::new(), |x| {
                format!("({}) {}", x.loc.map_or(0, |l| l.line), x.message)
            });
        println!(
            "CAL\t{}\t{:?}\t{first}",
            p.file_name().unwrap().to_string_lossy(),
            worst
        );
    }
}
