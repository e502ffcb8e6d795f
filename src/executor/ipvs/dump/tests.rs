//! The dumps from a fixed configuration and tables (pure), beside keepalived 2.2.7's own dump of
//! the same file (`keepalived-2.2.7-check.data`, written by its checker process on SIGUSR1 in
//! the IPVS guest).

use std::collections::BTreeMap;

use super::*;
use crate::config::{Config, Diagnostics};
use crate::executor::ipvs::Counters;

const CONF: &str = include_str!("keepalived-2.2.7-check.conf");
const KEEPALIVED: &str = include_str!("keepalived-2.2.7-check.data");

fn lvs() -> Lvs {
    let mut d = Diagnostics::default();
    std::rc::Rc::unwrap_or_clone(Config::from_text(CONF, &mut d).lvs)
}

/// The kernel's table after a pass: the desired one, minus the IPv6 service (deleted behind our
/// back), with 10.0.0.2 at a stale weight.
fn tables(lvs: &Lvs) -> (Table, Table) {
    let (desired, notes) = crate::ipvs::desired::table(lvs);
    assert!(notes.is_empty(), "{notes:?}");
    let mut kernel = desired.clone();
    kernel.retain(|k, _| k.af() == crate::ipvs::model::AF_INET);
    for e in kernel.values_mut() {
        for d in e.dests.values_mut() {
            if d.addr.to_string() == "10.0.0.2" {
                d.weight = 9;
            }
        }
    }
    (desired, kernel)
}

fn view<'a>(lvs: &'a Lvs, t: &'a (Table, Table)) -> View<'a> {
    View {
        lvs,
        desired: &t.0,
        kernel: &t.1,
        available: true,
        version: Some("1.2.1"),
    }
}

const TOPOLOGY: &str = "\
------< LVS Topology >------
 System is compiled with LVS v1.2.1
 ------< Virtual server >------
 VS VIP = 10.0.0.1, VPORT = 80
   Address family = inet
   connection timeout = 5.000000
   delay_loop = 5.000000
   lvs_sched = wrr
   persistence timeout = 300
   protocol = TCP
   alpha is OFF
   omega is OFF
   Inhibit on failure is OFF
   quorum = 2, hysteresis = 1
   default forwarding method = NAT
   sorry server = [10.0.0.9]:tcp:80
     forwarding method = NAT
     Inhibit on failure is OFF
     serving = no
     in kernel = absent
   quorum_state_up = 1
   services = 1, in kernel = 1
   ------< Real server >------
   RIP = 10.0.0.2, RPORT = 80, WEIGHT = 3 EFF WEIGHT = 3
   forwarding method = NAT
   Alpha is OFF
   Inhibit on failure is OFF
   alive = 1
   state = up
   in kernel = weight 9
   ------< Real server >------
   RIP = 10.0.0.3, RPORT = 80, WEIGHT = 1 EFF WEIGHT = 1
   forwarding method = NAT
   Alpha is OFF
   Inhibit on failure is ON
   alive = 1
   state = up
   in kernel = weight 1
 ------< Virtual server >------
 VS FWMARK = 7
   Address family = inet
   connection timeout = 5.000000
   delay_loop = 60.000000
   lvs_sched = rr
   protocol = none
   alpha is ON
   omega is OFF
   Inhibit on failure is OFF
   quorum = 1, hysteresis = 0
   default forwarding method = DR
   quorum_state_up = 0
   services = 1, in kernel = 1
   ------< Real server >------
   RIP = 10.0.0.4, RPORT = 0, WEIGHT = 2 EFF WEIGHT = 2
   forwarding method = DR
   Alpha is ON
   Inhibit on failure is OFF
   alive = 0
   state = down (alpha)
   in kernel = absent
 ------< Virtual server >------
 VS VIP = 2001:db8::1, VPORT = 53
   Address family = inet6
   connection timeout = 5.000000
   delay_loop = 60.000000
   lvs_sched = sh
   protocol = UDP
   alpha is OFF
   omega is OFF
   Inhibit on failure is OFF
   quorum = 1, hysteresis = 0
   default forwarding method = TUN, type = IPIP
   quorum_state_up = 1
   services = 1, in kernel = 0
   ------< Real server >------
   RIP = 2001:db8::2, RPORT = 53, WEIGHT = 1 EFF WEIGHT = 1
   forwarding method = TUN, type = IPIP
   Alpha is OFF
   Inhibit on failure is OFF
   alive = 1
   state = up
   in kernel = absent
";

#[test]
fn topology_in_keepalived_layout() {
    let lvs = lvs();
    let t = tables(&lvs);
    assert_eq!(topology(&view(&lvs, &t)), TOPOLOGY);
}

/// The lines we share with keepalived are keepalived's, word for word (10.0.0.3's and the
/// fwmark service's state differ where keepalived's TCP_CHECK had failed: no checker runs here).
#[test]
fn shared_lines_are_keepalived_s() {
    let theirs: Vec<&str> = KEEPALIVED.lines().collect();
    let ours_only = [
        "System is compiled",
        "serving = ",
        "in kernel = ",
        "state = ",
        "services = ",
    ];
    let mut shared = 0;
    for l in TOPOLOGY.lines() {
        if ours_only.iter().any(|p| l.trim_start().starts_with(p)) {
            continue;
        }
        assert!(theirs.contains(&l), "not in keepalived's dump: {l:?}");
        shared += 1;
    }
    assert!(shared > 60, "{shared}");
    assert!(theirs.contains(&" System is compiled with LVS v1.2.1"));
}

#[test]
fn quorum_lost_puts_the_sorry_server_in() {
    // alpha with a checker: out before its first check (without one it would be in).
    let text = CONF.replacen(
        "weight 3\n",
        "weight 3\n        alpha\n        TCP_CHECK {\n        }\n",
        1,
    );
    let mut d = Diagnostics::default();
    let lvs = Config::from_text(&text, &mut d).lvs;
    let (desired, _) = crate::ipvs::desired::table(&lvs);
    let t = (desired.clone(), desired);
    let out = topology(&view(&lvs, &t));
    assert!(
        out.contains("     serving = yes\n     in kernel = weight 1\n"),
        "{out}"
    );
    assert!(out.contains("   quorum_state_up = 0\n"), "{out}");
    // 10.0.0.2 (alpha) is out, so 10.0.0.3 alone misses the quorum and stays at 0
    // (inhibit_on_failure).
    assert!(
        out.contains("   alive = 0\n   state = down (alpha)\n   in kernel = absent\n"),
        "{out}"
    );
    assert!(
        out.contains("   alive = 0\n   state = down (sorry server)\n   in kernel = weight 0\n"),
        "{out}"
    );
}

#[test]
fn inhibited_alpha_server_is_in_at_zero() {
    let text = CONF.replace("    alpha\n", "    alpha\n    inhibit_on_failure\n");
    let mut d = Diagnostics::default();
    let lvs = Config::from_text(&text, &mut d).lvs;
    let (desired, _) = crate::ipvs::desired::table(&lvs);
    let t = (desired.clone(), desired);
    let out = topology(&view(&lvs, &t));
    assert!(
        out.contains("RIP = 10.0.0.4, RPORT = 0, WEIGHT = 2 EFF WEIGHT = 2\n   forwarding method = DR\n   Alpha is ON\n   Inhibit on failure is ON\n   alive = 0\n   state = down (inhibited)\n   in kernel = weight 0\n"),
        "{out}"
    );
}

#[test]
fn stats_count_errors_by_errno_name() {
    let lvs = lvs();
    let t = tables(&lvs);
    let c = Counters {
        passes: 12,
        changes: 5,
        repairs: 1,
        errors: BTreeMap::from([(libc::EEXIST, 2), (libc::ENOENT, 1), (4095, 1)]),
    };
    assert_eq!(
        stats(&view(&lvs, &t), &c),
        "------< IPVS statistics (keepalived-rs) >------\n IPVS = available\n Passes = 12\n \
         Changes = 5\n Repairs = 1\n Errors = 4\n   ENOENT = 1\n   EEXIST = 2\n   errno 4095 = 1\n"
    );
}

#[test]
fn nothing_without_virtual_servers() {
    let lvs = Lvs::default();
    let t = (Table::new(), Table::new());
    let v = view(&lvs, &t);
    assert_eq!(topology(&v), "");
    assert_eq!(stats(&v, &Counters::default()), "");
    assert_eq!(json(&v), "[]");
}

#[test]
fn json_lists_the_virtual_servers() {
    let lvs = lvs();
    let t = tables(&lvs);
    let j = json(&view(&lvs, &t));
    let first = concat!(
        "[{\"virtual_server\":{\"name\":\"10.0.0.1 80\",\"address\":\"10.0.0.1\",\"port\":80,",
        "\"fwmark\":0,\"protocol\":\"TCP\",\"lvs_sched\":\"wrr\",\"lvs_method\":\"NAT\",",
        "\"persistence_timeout\":300,\"quorum\":2,\"hysteresis\":1,\"quorum_up\":true,",
        "\"alpha\":false,\"inhibit_on_failure\":false,\"services\":[\"TCP 10.0.0.1:80\"],",
        "\"services_in_kernel\":1,\"sorry_server\":{\"address\":\"10.0.0.9\",\"port\":80,",
        "\"serving\":false,\"kernel_weight\":null},\"real_servers\":[{\"address\":\"10.0.0.2\",",
        "\"port\":80,\"weight\":3,\"desired_weight\":3,\"kernel_weight\":9,\"alive\":true,",
        "\"state\":\"up\",\"why\":\"\"},"
    );
    assert!(j.starts_with(first), "{j}");
    assert!(
        j.contains("{\"address\":\"10.0.0.4\",\"port\":0,\"weight\":2,\"desired_weight\":null,\"kernel_weight\":null,\"alive\":false,\"state\":\"down\",\"why\":\"alpha\"}"),
        "{j}"
    );
    assert!(j.contains("\"name\":\"2001:db8::1 53\""), "{j}");
    assert!(j.ends_with("]}}]"), "{j}");
    assert_eq!(j.matches("{\"virtual_server\":").count(), 3);
}
