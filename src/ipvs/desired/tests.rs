//! The desired table of configurations, against what keepalived 2.2.7 puts in the kernel at
//! start (ipvs-and-checkers.md and the observations in the guest).

use super::*;
use crate::config::testutil::load;
use crate::ipvs::model::DestConns;

fn desired(text: &str) -> Table {
    let (cfg, _) = load(text);
    let (t, notes) = table(&cfg.lvs);
    assert!(notes.is_empty(), "{notes:?}");
    t
}

fn addr_key(proto: u16, ip: &str, port: u16) -> ServiceKey {
    ServiceKey::Addr {
        protocol: proto,
        addr: ip.parse().unwrap(),
        port,
    }
}

fn weights(e: &Entry) -> Vec<(String, u16, i32)> {
    e.dests
        .values()
        .map(|d| (d.addr.to_string(), d.port, d.weight))
        .collect()
}

#[test]
fn defaults_udp_wlc_nat_and_every_server_at_its_weight() {
    let t = desired(
        "virtual_server 10.0.0.1 80 {\n real_server 10.0.0.2 80 { weight 3 }\n real_server 10.0.0.3 80 { weight 0 }\n}\n",
    );
    let e = &t[&addr_key(UDP, "10.0.0.1", 80)];
    assert_eq!(e.service.scheduler, "wlc");
    assert_eq!((e.service.flags, e.service.timeout), (0, 0));
    assert_eq!(e.service.netmask, Netmask::host(AF_INET));
    assert_eq!(
        weights(e),
        vec![("10.0.0.2".into(), 80, 3), ("10.0.0.3".into(), 80, 0)]
    );
    assert!(e.dests.values().all(|d| d.forward == Forward::Masq));
    let _ = DestConns::default();
}

#[test]
fn persistence_scheduler_flags_and_methods() {
    let t = desired(
        "virtual_server 10.0.0.1 443 {\n protocol TCP\n lb_algo sh\n sh-port\n sh-fallback\n persistence_granularity 255.255.255.0\n persistence_engine sip\n lb_kind DR\n real_server 10.0.0.2 443 { }\n real_server 10.0.0.3 443 { lvs_method TUN type gue port 6080 csum }\n}\n",
    );
    let e = &t[&addr_key(TCP, "10.0.0.1", 443)];
    assert_eq!(e.service.scheduler, "sh");
    assert_eq!(
        e.service.flags,
        flags::PERSISTENT | flags::SCHED1 | flags::SCHED2
    );
    assert_eq!(e.service.timeout, 360, "a granularity alone implies 360 s");
    assert_eq!(
        e.service.netmask,
        Netmask::v4("255.255.255.0".parse().unwrap())
    );
    assert_eq!(e.service.pe_name.as_deref(), Some("sip"));
    let d: Vec<_> = e.dests.values().map(|d| (d.forward, d.tunnel)).collect();
    assert_eq!(
        d,
        vec![
            (Forward::Route, None),
            (
                Forward::Tunnel,
                Some(Tunnel {
                    kind: 1,
                    port: 6080,
                    flags: 1
                })
            )
        ]
    );
}

#[test]
fn alpha_inhibit_and_the_sorry_server() {
    let t = desired(
        "virtual_server 10.0.0.1 80 {\n protocol TCP\n sorry_server 10.0.0.9 8080\n sorry_server_inhibit\n real_server 10.0.0.2 80 { alpha\n TCP_CHECK { }\n }\n real_server 10.0.0.3 80 { alpha\n inhibit_on_failure\n TCP_CHECK { }\n }\n real_server 10.0.0.4 80 { }\n real_server 10.0.0.5 80 { alpha }\n}\n",
    );
    let e = &t[&addr_key(TCP, "10.0.0.1", 80)];
    assert_eq!(
        weights(e),
        vec![
            ("10.0.0.3".into(), 80, 0),
            ("10.0.0.4".into(), 80, 1),
            ("10.0.0.5".into(), 80, 1),
            ("10.0.0.9".into(), 8080, 0)
        ],
        "alpha (with a checker) absent, alpha + inhibit at 0, alpha without a checker in, \
         the inhibited sorry server at 0"
    );
    // Every server alpha: quorum 1 not reached, the sorry server takes the port.
    let t = desired(
        "virtual_server 10.0.0.1 80 {\n protocol TCP\n sorry_server 10.0.0.9\n real_server 10.0.0.2 80 { alpha\n MISC_CHECK { misc_path /bin/true }\n }\n real_server 10.0.0.3 80 { alpha\n inhibit_on_failure\n MISC_CHECK { misc_path /bin/true }\n }\n}\n",
    );
    let e = &t[&addr_key(TCP, "10.0.0.1", 80)];
    assert_eq!(
        weights(e),
        vec![("10.0.0.3".into(), 80, 0), ("10.0.0.9".into(), 80, 1)]
    );
}

#[test]
fn fwmarks_and_groups_are_one_service_each() {
    let t = desired(
        "virtual_server_group g {\n 10.0.0.1-3 80\n fwmark 7\n}\nvirtual_server group g {\n protocol TCP\n lb_kind DR\n real_server 10.0.1.1 80 { }\n}\nvirtual_server fwmark 9 {\n lb_kind DR\n real_server 10.0.1.2 80 { }\n}\n",
    );
    let keys: Vec<ServiceKey> = t.keys().copied().collect();
    assert_eq!(
        keys,
        vec![
            addr_key(TCP, "10.0.0.1", 80),
            addr_key(TCP, "10.0.0.2", 80),
            addr_key(TCP, "10.0.0.3", 80),
            ServiceKey::Fwmark {
                af: AF_INET,
                mark: 7
            },
            ServiceKey::Fwmark {
                af: AF_INET,
                mark: 9
            },
        ]
    );
    // DR real servers of a fwmark service: port 0.
    let fw = &t[&ServiceKey::Fwmark {
        af: AF_INET,
        mark: 9,
    }];
    assert_eq!(weights(fw), vec![("10.0.1.2".into(), 0, 1)]);
    let g = &t[&ServiceKey::Fwmark {
        af: AF_INET,
        mark: 7,
    }];
    assert_eq!(weights(g), vec![("10.0.1.1".into(), 0, 1)]);
}

#[test]
fn tunnel_attributes_an_old_kernel_would_ignore_are_left_out() {
    assert_eq!(kernel_version("Linux 6.1.0-57-amd64 #1 SMP"), Some((6, 1)));
    assert_eq!(kernel_version("Linux 5.2-rc1 x"), Some((5, 2)));
    assert_eq!(kernel_version("Linux (unknown)"), None);
    let text = "virtual_server 10.0.0.1 80 {\n protocol TCP\n real_server 10.0.0.2 80 { lvs_method TUN type gue port 6080 csum }\n real_server 10.0.0.3 80 { lvs_method TUN type gre }\n}\n";
    let tunnels = |t: &Table| -> Vec<Option<Tunnel>> {
        t.values()
            .flat_map(|e| e.dests.values().map(|d| d.tunnel))
            .collect()
    };
    let gue = Tunnel {
        kind: 1,
        port: 6080,
        flags: 1,
    };
    let gre = Tunnel {
        kind: 2,
        port: 0,
        flags: 0,
    };
    let mut t = desired(text);
    assert!(gate_for_kernel(&mut t, (6, 1)).is_empty());
    assert_eq!(tunnels(&t), vec![Some(gue), Some(gre)]);
    let mut t = desired(text);
    assert_eq!(gate_for_kernel(&mut t, (5, 2)).len(), 1);
    assert_eq!(tunnels(&t), vec![Some(Tunnel { flags: 0, ..gue }), None]);
    let mut t = desired(text);
    assert_eq!(gate_for_kernel(&mut t, (4, 19)).len(), 1);
    assert_eq!(tunnels(&t), vec![None, None]);
}
