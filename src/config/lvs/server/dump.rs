//! Writing virtual servers and real servers back as configuration.

use super::*;

pub(super) fn method_name(m: Forwarding) -> &'static str {
    match m {
        Forwarding::Nat => "NAT",
        Forwarding::Dr => "DR",
        Forwarding::Tun(_) => "TUN",
    }
}

pub(super) fn fmt_ip_port(ip: IpAddr, port: u16) -> String {
    match ip {
        IpAddr::V4(a) => format!("{a}:{port}"),
        IpAddr::V6(a) => format!("[{a}]:{port}"),
    }
}

pub(super) fn yes(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

pub(super) fn dump_script(w: &mut Writer, kw: &str, s: &Script) {
    let mut words = vec![s.command.clone()];
    if let Some(u) = &s.user {
        words.push(u.clone());
        if let Some(g) = &s.group {
            words.push(g.clone());
        }
    }
    w.line(kw, &words);
}

pub(in crate::config::lvs) fn dump_vs(vs: &VirtualServer, w: &mut Writer) {
    let head: Vec<String> = match &vs.target {
        VsTarget::Addr { ip, port } => {
            if *port == 0 {
                vec![ip.to_string()]
            } else {
                vec![ip.to_string(), port.to_string()]
            }
        }
        VsTarget::Fwmark(m) => vec!["fwmark".into(), m.to_string()],
        VsTarget::Group(g) => vec!["group".into(), g.clone()],
    };
    w.open("virtual_server", &head);
    if !matches!(vs.target, VsTarget::Addr { .. })
        && let Some(f) = vs.family
    {
        w.line("ip_family", &[f.name()]);
    }
    w.line("lvs_sched", &[vs.sched.name()]);
    let f = vs.sched_flags;
    let names: [&str; 3] = match vs.sched {
        Scheduler::Sh => ["sh-fallback", "sh-port", "flag-3"],
        Scheduler::Mh => ["mh-fallback", "mh-port", "flag-3"],
        _ => ["flag-1", "flag-2", "flag-3"],
    };
    for (on, n) in [f.flag1, f.flag2, f.flag3].into_iter().zip(names) {
        if on {
            w.line::<&str>(n, &[]);
        }
    }
    if vs.ops {
        w.line::<&str>("ops", &[]);
    }
    w.raw(&format!("lvs_method {}", vs.lvs_method));
    if let Some(p) = vs.protocol {
        w.line("protocol", &[p.name()]);
    }
    w.opt("persistence_timeout", &vs.persistence_timeout);
    match vs.persistence_granularity {
        Some(Granularity::Mask(m)) => w.line("persistence_granularity", &[m.to_string()]),
        Some(Granularity::Prefix(p)) => w.line("persistence_granularity", &[p.to_string()]),
        None => {}
    }
    w.opt("persistence_engine", &vs.persistence_engine);
    for (on, k) in [
        (vs.ha_suspend, "ha_suspend"),
        (vs.alpha, "alpha"),
        (vs.omega, "omega"),
        (vs.inhibit_on_failure, "inhibit_on_failure"),
    ] {
        if on {
            w.line::<&str>(k, &[]);
        }
    }
    w.opt("smtp_alert", &vs.smtp_alert.map(yes));
    w.opt("virtualhost", &vs.virtualhost);
    w.opt("snmp_name", &vs.snmp_name);
    w.line("quorum", &[vs.quorum.to_string()]);
    w.line("hysteresis", &[vs.hysteresis.to_string()]);
    if let Some(s) = &vs.quorum_up {
        dump_script(w, "quorum_up", s);
    }
    if let Some(s) = &vs.quorum_down {
        dump_script(w, "quorum_down", s);
    }
    w.line("weight", &[vs.weight.to_string()]);
    w.line("delay_loop", &[value::fmt_secs(vs.delay_loop)]);
    w.line("connect_timeout", &[value::fmt_secs(vs.connect_timeout)]);
    w.opt("retry", &vs.retry);
    w.opt(
        "delay_before_retry",
        &vs.delay_before_retry.map(value::fmt_secs),
    );
    w.opt("warmup", &vs.warmup.map(value::fmt_secs));
    if let Some(s) = &vs.sorry_server {
        if s.port == 0 {
            w.line("sorry_server", &[s.ip.to_string()]);
        } else {
            w.line("sorry_server", &[s.ip.to_string(), s.port.to_string()]);
        }
        if s.inhibit {
            w.line::<&str>("sorry_server_inhibit", &[]);
        }
        w.raw(&format!("sorry_server_lvs_method {}", s.lvs_method));
    }
    for rs in &vs.real_servers {
        dump_rs(rs, w);
    }
    w.close();
}

pub(super) fn dump_rs(rs: &RealServer, w: &mut Writer) {
    if rs.port == 0 {
        w.open("real_server", &[rs.ip.to_string()]);
    } else {
        w.open("real_server", &[rs.ip.to_string(), rs.port.to_string()]);
    }
    w.line("weight", &[rs.weight.to_string()]);
    w.raw(&format!("lvs_method {}", rs.lvs_method));
    if rs.uthreshold != 0 {
        w.line("uthreshold", &[rs.uthreshold.to_string()]);
    }
    if rs.lthreshold != 0 {
        w.line("lthreshold", &[rs.lthreshold.to_string()]);
    }
    w.line("inhibit_on_failure", &[yes(rs.inhibit_on_failure)]);
    w.line("alpha", &[yes(rs.alpha)]);
    if let Some(s) = &rs.notify_up {
        dump_script(w, "notify_up", s);
    }
    if let Some(s) = &rs.notify_down {
        dump_script(w, "notify_down", s);
    }
    w.opt("smtp_alert", &rs.smtp_alert.map(yes));
    w.opt("virtualhost", &rs.virtualhost);
    w.opt("snmp_name", &rs.snmp_name);
    w.opt("retry", &rs.retry);
    w.opt(
        "delay_before_retry",
        &rs.delay_before_retry.map(value::fmt_secs),
    );
    w.opt("warmup", &rs.warmup.map(value::fmt_secs));
    w.line("delay_loop", &[value::fmt_secs(rs.delay_loop)]);
    w.line("connect_timeout", &[value::fmt_secs(rs.connect_timeout)]);
    for c in &rs.checkers {
        checker::dump(c, w);
    }
    w.close();
}
