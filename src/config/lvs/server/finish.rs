//! Closing a `virtual_server` block: defaults, checks across its real servers, ports.

use super::*;

/// keepalived's `vs_end_handler`: the sorry server's family, and the family of a fwmark service
/// whose servers are all tunnelled.
pub(super) fn vs_end(vs: &mut VsBuild, d: &mut Diagnostics) {
    if let Some(s) = &vs.sorry
        && !matches!(s.method, Some(Forwarding::Tun(_)))
    {
        let fam = Family::of(&s.ip);
        match vs.af {
            None => vs.af = Some(fam),
            Some(af) if af != fam => {
                d.warn(
                        s.loc,
                        format!(
                            "sorry server {} is {} but the virtual server is {} (only a tunnelled one may differ) - sorry server ignored",
                            s.ip,
                            fam.name(),
                            af.name()
                        ),
                    );
                vs.sorry = None;
            }
            _ => {}
        }
    }
    if vs.af.is_none() && !matches!(vs.target, VsTarget::Group(_)) {
        let mut af = vs.sorry.as_ref().map(|s| Family::of(&s.ip));
        let mut mixed = false;
        for rs in &vs.rs {
            let f = Family::of(&rs.ip);
            match af {
                None => af = Some(f),
                Some(a) if a != f => {
                    mixed = true;
                    break;
                }
                _ => {}
            }
        }
        vs.af = Some(if mixed {
            Family::Inet
        } else {
            af.unwrap_or(Family::Inet)
        });
    }
}

/// keepalived's `validate_check_config` for one virtual server, except what depends on its group.
pub(super) fn finish_vs(mut vs: VsBuild, d: &mut Diagnostics) -> Option<VirtualServer> {
    let target = vs.target.clone();
    let mut name = Described(&target, vs.protocol);
    if vs.rs.is_empty() {
        d.warn(
            vs.loc,
            format!("virtual server {name} has no real servers - keepalived ignores it"),
        );
        return None;
    }
    let fwmark = matches!(vs.target, VsTarget::Fwmark(_));
    if vs.ha_suspend && fwmark {
        d.warn(
            vs.loc,
            format!("virtual server {name}: `ha_suspend` cannot be used with a fwmark - cleared"),
        );
        vs.ha_suspend = false;
    }
    if let VsTarget::Addr { port, .. } = vs.target {
        if vs.protocol.is_none() {
            d.warn(
                vs.loc,
                format!(
                    "virtual server {name}: no `protocol` - keepalived uses UDP (the kernel's default)"
                ),
            )
            .hint("add `protocol TCP` (or UDP, SCTP)");
            vs.protocol = Some(Protocol::Udp);
            name = Described(&target, vs.protocol);
        }
        if vs.ops && vs.protocol != Some(Protocol::Udp) {
            d.warn(
                vs.loc,
                format!("virtual server {name}: `ops` (one-packet scheduling) needs UDP - cleared"),
            );
            vs.ops = false;
        }
        if port == 0 && vs.persistence_timeout.is_none() {
            d.warn(
                vs.loc,
                format!(
                    "virtual server {name}: no port, which only persistent services may omit - persistence_timeout {PERSISTENCE_DEFAULT} set"
                ),
            );
            vs.persistence_timeout = Some(PERSISTENCE_DEFAULT);
        }
    }
    if fwmark && vs.protocol.is_some() {
        d.warn(
            vs.loc,
            format!("virtual server {name}: `protocol` is ignored for a fwmark service"),
        );
        vs.protocol = None;
    }
    let name = Described(&target, vs.protocol);
    let sched = vs.sched.unwrap_or_else(|| {
        d.warn(
            vs.loc,
            format!("virtual server {name}: no `lvs_sched` - keepalived uses wlc"),
        )
        .hint("add `lvs_sched` (or `lb_algo`) rr|wrr|lc|wlc|...");
        Scheduler::Wlc
    });

    // Real servers: duplicates, inheritance, quorum.
    let mut method_warned = false;
    let mut need_method = |d: &mut Diagnostics, vs_method: Option<Forwarding>| -> Forwarding {
        match vs_method {
            Some(m) => m,
            None => {
                if !method_warned {
                    d.warn(
                        vs.loc,
                        format!("virtual server {name}: no `lvs_method` - keepalived uses NAT"),
                    )
                    .hint("add `lvs_method` (or `lb_kind`) NAT|DR|TUN");
                    method_warned = true;
                }
                Forwarding::Nat
            }
        }
    };
    let mut vs_method = vs.method;
    let mut servers: Vec<RealServer> = Vec::with_capacity(vs.rs.len());
    let mut weight_sum: u64 = 0;
    let mut sorry_inhibit = vs.sorry.as_ref().map(|s| s.inhibit);
    for rs in std::mem::take(&mut vs.rs) {
        if servers.iter().any(|o| o.ip == rs.ip && o.port == rs.port) {
            d.warn(
                rs.loc,
                format!(
                    "virtual server {name}: real server {} is given twice - keepalived drops the second one",
                    fmt_ip_port(rs.ip, rs.port)
                ),
            );
            continue;
        }
        let method = match rs.method {
            Some(m) => m,
            None => {
                let m = need_method(d, vs_method);
                vs_method = Some(m);
                m
            }
        };
        let weight = rs.weight.unwrap_or(vs.weight);
        weight_sum += weight as u64;
        let inhibit = rs.inhibit.unwrap_or(vs.inhibit);
        if let Some(s) = &vs.sorry
            && s.ip == rs.ip
            && s.port == rs.port
            && sorry_inhibit != Some(inhibit)
        {
            d.warn(
                    s.loc,
                    format!(
                        "virtual server {name}: the sorry server is also real server {} but their inhibit_on_failure differ - {} it on the sorry server",
                        fmt_ip_port(rs.ip, rs.port),
                        if inhibit { "setting" } else { "clearing" }
                    ),
                );
            sorry_inhibit = Some(inhibit);
        }
        let delay_loop = rs.delay_loop.unwrap_or(vs.delay_loop);
        let connect_timeout = rs.connect_timeout.unwrap_or(vs.connect_timeout);
        let retry = rs.retry.or(vs.retry);
        let delay_before_retry = rs.delay_before_retry.or(vs.delay_before_retry);
        let warmup = rs.warmup.or(vs.warmup);
        let alpha = rs.alpha.unwrap_or(vs.alpha);
        let virtualhost = rs.virtualhost.clone().or_else(|| vs.virtualhost.clone());
        let mut real = RealServer {
            ip: rs.ip,
            port: rs.port,
            weight,
            lvs_method: method,
            uthreshold: rs.uthreshold,
            lthreshold: rs.lthreshold,
            inhibit_on_failure: inhibit,
            alpha,
            notify_up: rs.notify_up.map(Box::new),
            notify_down: rs.notify_down.map(Box::new),
            smtp_alert: rs.smtp_alert,
            virtualhost,
            snmp_name: rs.snmp_name,
            retry,
            delay_before_retry,
            warmup,
            delay_loop,
            connect_timeout,
            checkers: Vec::new(),
            loc: At::loc(rs.loc),
        };
        // Exactly as many as there are: a collect in place would keep the read list's room
        // (four checkers' worth for one, 1,120 bytes a real server).
        let mut checkers = Vec::with_capacity(rs.checkers.len());
        checkers.extend(rs.checkers.into_iter().map(|c| c.resolve(&real)));
        real.checkers = checkers;
        servers.push(real);
    }
    let sorry = match vs.sorry.take() {
        None => None,
        Some(s) => {
            let method = match s.method {
                Some(m) => m,
                None => {
                    let m = need_method(d, vs_method);
                    vs_method = Some(m);
                    m
                }
            };
            Some(SorryServer {
                ip: s.ip,
                port: s.port,
                lvs_method: method,
                inhibit: sorry_inhibit.unwrap_or(s.inhibit),
                loc: At::loc(s.loc),
            })
        }
    };
    let weight_sum = weight_sum.min(u32::MAX as u64) as u32;
    if vs.quorum > weight_sum {
        d.warn(
            vs.loc,
            format!(
                "virtual server {name}: quorum {} exceeds the total weight of its real servers ({weight_sum}) - quorum lowered to {weight_sum}",
                vs.quorum
            ),
        );
        vs.quorum = weight_sum;
    }
    if vs.hysteresis >= vs.quorum {
        // keepalived computes quorum - 1 in unsigned arithmetic (it wraps when the quorum is 0).
        let h = vs.quorum.wrapping_sub(1);
        d.warn(
            vs.loc,
            format!(
                "virtual server {name}: hysteresis {} must be below quorum {} - set to {h}",
                vs.hysteresis, vs.quorum
            ),
        );
        vs.hysteresis = h;
    }
    let mut out = VirtualServer {
        target: vs.target,
        family: vs.af,
        sched,
        sched_flags: vs.flags,
        ops: vs.ops,
        lvs_method: vs_method.unwrap_or(Forwarding::Nat),
        protocol: vs.protocol,
        persistence_timeout: vs.persistence_timeout,
        persistence_granularity: vs.granularity,
        persistence_engine: vs.engine,
        ha_suspend: vs.ha_suspend,
        alpha: vs.alpha,
        omega: vs.omega,
        inhibit_on_failure: vs.inhibit,
        smtp_alert: vs.smtp_alert,
        virtualhost: vs.virtualhost,
        snmp_name: vs.snmp_name,
        quorum: vs.quorum,
        hysteresis: vs.hysteresis,
        quorum_up: vs.quorum_up,
        quorum_down: vs.quorum_down,
        weight: vs.weight,
        delay_loop: vs.delay_loop,
        connect_timeout: vs.connect_timeout,
        retry: vs.retry,
        delay_before_retry: vs.delay_before_retry,
        warmup: vs.warmup,
        sorry_server: sorry,
        real_servers: servers,
        loc: At::loc(vs.loc),
    };
    fix_ports(&mut out, d);
    Some(out)
}

/// Unless NAT, real and sorry servers use the virtual server's port; with a fwmark, none.
pub(super) fn fix_ports(vs: &mut VirtualServer, d: &mut Diagnostics) {
    let target = vs.target.clone();
    let name = Described(&target, vs.protocol);
    let (vport, fwmark) = match vs.target {
        VsTarget::Addr { port, .. } => (port, false),
        VsTarget::Fwmark(_) => (0, true),
        VsTarget::Group(_) => return,
    };
    for rs in &mut vs.real_servers {
        if rs.lvs_method == Forwarding::Nat {
            if !fwmark && rs.port == 0 {
                rs.port = vport;
            }
            continue;
        }
        if fwmark {
            if rs.port != 0 {
                warn_at(
                    d,
                    rs.loc,
                    format!(
                        "virtual server {name}: real server {} has a port, which {} forwarding ignores - port cleared",
                        fmt_ip_port(rs.ip, rs.port),
                        method_name(rs.lvs_method)
                    ),
                );
                rs.port = 0;
            }
        } else if rs.port == 0 {
            rs.port = vport;
        } else if rs.port != vport {
            warn_at(
                d,
                rs.loc,
                format!(
                    "virtual server {name}: real server {} must use the virtual server's port with {} forwarding - port set to {vport}",
                    fmt_ip_port(rs.ip, rs.port),
                    method_name(rs.lvs_method)
                ),
            );
            rs.port = vport;
        }
    }
    if let Some(s) = &mut vs.sorry_server {
        if s.lvs_method == Forwarding::Nat {
            return;
        }
        if fwmark {
            if s.port != 0 {
                warn_at(
                    d,
                    s.loc,
                    format!(
                        "virtual server {name}: the sorry server has a port, which {} forwarding ignores - port cleared",
                        method_name(s.lvs_method)
                    ),
                );
                s.port = 0;
            }
        } else if s.port == 0 {
            s.port = vport;
        } else if s.port != vport {
            warn_at(
                d,
                s.loc,
                format!(
                    "virtual server {name}: the sorry server must use the virtual server's port with {} forwarding - port set to {vport}",
                    method_name(s.lvs_method)
                ),
            );
            s.port = vport;
        }
    }
}
