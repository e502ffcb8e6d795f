//! `real_server` blocks and the forwarding method they share with their virtual server.

use super::*;

/// `NAT|DR|TUN [type ipip|gue port N|gre] [nocsum|csum|remcsum]` for a `who` ("virtual",
/// "real", "sorry") server. `None`: unknown method, nothing changes. Invalid tunnel options are
/// reported; the method is set and the tunnel options stay as they were, as in keepalived.
pub(in crate::config::lvs) fn forwarding(
    d: &mut Diagnostics,
    n: &Node,
    who: &str,
    prev: Option<Forwarding>,
) -> Option<Forwarding> {
    let w = read::arg1_quiet(d, n)?;
    let kw = n.keyword();
    let prev_tun = match prev {
        Some(Forwarding::Tun(t)) => t,
        _ => Tunnel::default(),
    };
    let method = match w.text.as_str() {
        "NAT" => Forwarding::Nat,
        "DR" => Forwarding::Dr,
        "TUN" => Forwarding::Tun(prev_tun),
        other => {
            let diag = d.warn(
                w.loc,
                format!(
                    "`{kw}`: unknown forwarding method `{other}` for the {who} server (NAT|DR|TUN, upper case) - ignoring"
                ),
            );
            if ["NAT", "DR", "TUN"].contains(&other.to_ascii_uppercase().as_str()) {
                diag.hint(format!("write `{}`", other.to_ascii_uppercase()));
            }
            return None;
        }
    };
    let args = &n.args()[1..];
    let mut kind = TunnelKind::Ipip;
    let mut port: u16 = 0;
    let mut csum = TunnelCsum::NoCsum;
    let mut i = 0;
    let fail = |d: &mut Diagnostics, at: Loc, msg: String| {
        d.warn(at, format!("`{kw}`: {msg} - tunnel options ignored"));
    };
    while i < args.len() {
        let a = &args[i];
        match a.text.as_str() {
            "type" => {
                let Some(t) = args.get(i + 1) else {
                    fail(d, a.loc, "`type` needs ipip|gue|gre".into());
                    return Some(method);
                };
                kind = match t.text.as_str() {
                    "ipip" => TunnelKind::Ipip,
                    "gue" => TunnelKind::Gue(0),
                    "gre" => TunnelKind::Gre,
                    other => {
                        fail(
                            d,
                            t.loc,
                            format!("unknown tunnel type `{other}` (ipip|gue|gre)"),
                        );
                        return Some(method);
                    }
                };
                i += 2;
            }
            "port" => {
                let Some(p) = args.get(i + 1) else {
                    fail(d, a.loc, "`port` needs a number".into());
                    return Some(method);
                };
                match read::uint(d, "gue port", p, 1, 65535) {
                    Some(v) => port = v as u16,
                    None => return Some(method),
                }
                i += 2;
            }
            "nocsum" => {
                csum = TunnelCsum::NoCsum;
                i += 1;
            }
            "csum" => {
                csum = TunnelCsum::Csum;
                i += 1;
            }
            "remcsum" => {
                csum = TunnelCsum::RemCsum;
                i += 1;
            }
            other => {
                fail(d, a.loc, format!("unknown tunnel option `{other}`"));
                return Some(method);
            }
        }
    }
    let at = w.loc;
    if matches!(kind, TunnelKind::Gue(_)) != (port != 0) {
        fail(
            d,
            at,
            "a gue tunnel needs `port N` and the other types take no port".into(),
        );
        return Some(method);
    }
    if kind == TunnelKind::Ipip && csum != TunnelCsum::NoCsum {
        fail(d, at, "ipip tunnels take no checksum option".into());
        return Some(method);
    }
    if kind == TunnelKind::Gre && csum == TunnelCsum::RemCsum {
        fail(d, at, "gre tunnels do not support `remcsum`".into());
        return Some(method);
    }
    if let TunnelKind::Gue(_) = kind {
        kind = TunnelKind::Gue(port);
    }
    Some(match method {
        Forwarding::Tun(_) => Forwarding::Tun(Tunnel { kind, csum }),
        m => m,
    })
}

pub(super) const RS_KNOWN: &[&str] = &[
    "weight",
    "lvs_method",
    "uthreshold",
    "lthreshold",
    "inhibit_on_failure",
    "notify_up",
    "notify_down",
    "alpha",
    "retry",
    "delay_before_retry",
    "warmup",
    "connect_timeout",
    "delay_loop",
    "smtp_alert",
    "virtualhost",
    "snmp_name",
    "HTTP_GET",
    "SSL_GET",
    "TCP_CHECK",
    "SMTP_CHECK",
    "DNS_CHECK",
    "MISC_CHECK",
    "BFD_CHECK",
    "UDP_CHECK",
    "PING_CHECK",
    "FILE_CHECK",
];

pub(super) fn parse_rs(node: &Node, vs: &VsBuild, d: &mut Diagnostics) -> Option<RsBuild> {
    let w = read::arg1_quiet(d, node)?;
    needs_block(d, node);
    let Some(ip) = read::ip_addr(&w.text) else {
        d.warn(
            w.loc,
            format!(
                "`real_server`: `{}` is not an IP address - real server skipped",
                w.text
            ),
        );
        return None;
    };
    let port = match node.args().get(1) {
        None => 0,
        Some(p) => match read::port(d, "real_server port", p) {
            Some(v) => v,
            None => {
                d.note(p.loc, "the whole real_server block is skipped");
                return None;
            }
        },
    };
    read::extra_words(d, node, 2);
    let mut rs = RsBuild {
        ip,
        port,
        weight: None,
        method: vs.method,
        uthreshold: 0,
        lthreshold: 0,
        inhibit: None,
        alpha: None,
        notify_up: None,
        notify_down: None,
        smtp_alert: None,
        virtualhost: None,
        snmp_name: None,
        retry: None,
        delay_before_retry: None,
        warmup: None,
        delay_loop: None,
        connect_timeout: None,
        checkers: Vec::new(),
        loc: node.loc,
    };
    for n in node.children() {
        let Some(kw) = n.words.first() else { continue };
        let k = kw.text.as_str();
        if checker::is_checker(k) {
            rs.checkers.extend(checker::parse(n, ip, d));
            continue;
        }
        value::no_block(d, n);
        match k {
            "weight" => {
                if let Some(w) = read::arg1(d, n)
                    && let Some(v) = read::uint(d, k, w, 0, WEIGHT_MAX)
                {
                    rs.weight = Some(v as u32);
                }
            }
            "lvs_method" => {
                if let Some(m) = forwarding(d, n, "real", rs.method) {
                    rs.method = Some(m);
                }
            }
            "uthreshold" | "lthreshold" => {
                if let Some(w) = read::arg1(d, n)
                    && let Some(v) = read::uint(d, k, w, 0, u32::MAX as u64)
                {
                    if k == "uthreshold" {
                        rs.uthreshold = v as u32;
                    } else {
                        rs.lthreshold = v as u32;
                    }
                }
            }
            "inhibit_on_failure" => {
                if let Some(b) = read::opt_bool(d, n) {
                    rs.inhibit = Some(b);
                }
            }
            "alpha" => {
                if let Some(b) = read::opt_bool(d, n) {
                    rs.alpha = Some(b);
                }
            }
            "smtp_alert" => {
                if let Some(b) = read::opt_bool(d, n) {
                    rs.smtp_alert = Some(b);
                }
            }
            "notify_up" => script_once(d, n, &mut rs.notify_up),
            "notify_down" => script_once(d, n, &mut rs.notify_down),
            "retry" => {
                if let Some(w) = read::arg1(d, n)
                    && let Some(v) = read::uint(d, k, w, 1, u32::MAX as u64)
                {
                    rs.retry = Some(v as u32);
                }
            }
            "delay_before_retry" => {
                if let Some(v) = timer_arg(d, n, Duration::ZERO, TIMER_MAX) {
                    rs.delay_before_retry = Some(v);
                }
            }
            "warmup" => {
                if let Some(v) = timer_arg(d, n, Duration::ZERO, TIMER_MAX) {
                    rs.warmup = Some(v);
                }
            }
            "delay_loop" => {
                if let Some(v) = timer_arg(d, n, ONE_US, TIMER_MAX) {
                    rs.delay_loop = Some(v);
                }
            }
            "connect_timeout" => {
                if let Some(v) = timer_arg(d, n, ONE_US, CONNECT_TIMEOUT_MAX) {
                    rs.connect_timeout = Some(v);
                }
            }
            "virtualhost" => {
                if let Some(v) = read::text(d, n, "a host name") {
                    rs.virtualhost = Some(v);
                }
            }
            "snmp_name" => {
                if let Some(v) = snmp_name(d, n) {
                    rs.snmp_name = Some(v);
                }
            }
            _ => {
                let ctx = format!("real_server {}", read::join(node.args()));
                value::unknown(d, kw, RS_KNOWN, &ctx);
                if k == "nb_get_retry"
                    && let Some(last) = d.list.last_mut()
                {
                    last.hint("did you mean `retry`? (`nb_get_retry` is only known inside HTTP_GET and SSL_GET)");
                }
            }
        }
    }
    Some(rs)
}

/// keepalived's `rs_end_handler`: a non-tunnelled real server must have the virtual server's
/// family (the first one sets it when it is not known yet).
pub(super) fn rs_end(vs: &mut VsBuild, rs: RsBuild, d: &mut Diagnostics) {
    if !matches!(rs.method, Some(Forwarding::Tun(_))) {
        let fam = Family::of(&rs.ip);
        match vs.af {
            None => vs.af = Some(fam),
            Some(af) if af != fam => {
                d.warn(
                    rs.loc,
                    format!(
                        "real server {} is {} but the virtual server is {} (only tunnelled servers may differ) - real server skipped",
                        rs.ip,
                        fam.name(),
                        af.name()
                    ),
                );
                return;
            }
            _ => {}
        }
    }
    vs.rs.push(rs);
}
