//! `virtual_server_group`, `virtual_server`, `real_server` and `sorry_server`: parsing in
//! keepalived's order (some settings depend on what came before them in the block, as they do in
//! keepalived), then the end-of-block corrections keepalived makes in `validate_check_config`.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use super::checker::{self, RawChecker};
use super::read::{self, TIMER_MAX};
use super::{
    At, Family, Forwarding, Granularity, GroupEntry, Protocol, RealServer, SchedFlags, Scheduler,
    Script, SorryServer, Tunnel, TunnelCsum, TunnelKind, VirtualServer, VirtualServerGroup,
    VsTarget,
};
use crate::config::dump::Writer;
use crate::config::source::{Diagnostics, Loc};
use crate::config::tree::{Node, Word};
use crate::config::value::{self, warn_at};

/// keepalived's `IPVS_WEIGHT_LIMIT`.
const WEIGHT_MAX: u64 = i32::MAX as u64;
/// keepalived's `LVS_MAX_TIMEOUT`: 31 days.
const PERSISTENCE_MAX: u64 = 2_678_400;
/// Persistence timeout when none is given: 6 minutes.
const PERSISTENCE_DEFAULT: u32 = 360;
const DELAY_LOOP_DEFAULT: Duration = Duration::from_secs(60);
const CONNECT_TIMEOUT_DEFAULT: Duration = Duration::from_secs(5);
/// `connect_timeout` is kept in an unsigned int of microseconds.
pub(super) const CONNECT_TIMEOUT_MAX: Duration = Duration::from_micros(u32::MAX as u64);
const ONE_US: Duration = Duration::from_micros(1);

/// Reports a keyword that opens a block but has none (keepalived: "Missing '{' at beginning of
/// configuration block"); what follows is read as the settings of the enclosing block.
pub(super) fn needs_block(d: &mut Diagnostics, node: &Node) {
    if node.block.is_none() {
        d.warn(
            node.loc,
            format!("`{}` needs a block `{{ ... }}`", node.keyword()),
        );
    }
}

// ---------------------------------------------------------------------------------------------
// virtual_server_group

pub(super) fn parse_group(node: &Node, d: &mut Diagnostics) -> Option<VirtualServerGroup> {
    let Some(name) = node.args().first() else {
        d.fatal(
            node.loc,
            "`virtual_server_group` needs a name; keepalived stops reading the configuration here",
        );
        return None;
    };
    if node.block.is_none() {
        d.fatal(
            node.loc,
            format!(
                "`virtual_server_group {}` needs a block `{{ ... }}`; keepalived stops reading the configuration here",
                name.text
            ),
        );
        return None;
    }
    if let Some(extra) = node.args().get(1) {
        // keepalived reads the extra words as a first entry with its address missing.
        d.fatal(
            extra.loc,
            format!(
                "`virtual_server_group {}`: unexpected `{}` after the name; keepalived stops reading the configuration here",
                name.text, extra.text
            ),
        );
        return None;
    }
    let mut g = VirtualServerGroup {
        name: name.text.clone(),
        entries: Vec::new(),
        loc: At::node(node),
    };
    let ctx = format!("virtual_server_group {}", name.text);
    for n in node.children() {
        let Some(first) = n.words.first() else {
            continue;
        };
        value::no_block(d, n);
        if first.text == "fwmark" {
            group_fwmark(&mut g, n, d);
        } else {
            group_addresses(&mut g, n, first, &ctx, d);
        }
    }
    let has_fwmark_no_family = g
        .entries
        .iter()
        .any(|e| matches!(e, GroupEntry::Fwmark { family: None, .. }));
    let fams: Vec<Family> = g
        .entries
        .iter()
        .filter_map(|e| match e {
            GroupEntry::Addresses { start, .. } => Some(Family::of(start)),
            GroupEntry::Fwmark { family, .. } => *family,
        })
        .collect();
    if g.entries.is_empty() {
        d.warn(
            node.loc,
            format!(
                "virtual_server_group `{}` has no entries - keepalived removes it",
                g.name
            ),
        );
        return None;
    }
    if fams.contains(&Family::Inet) && fams.contains(&Family::Inet6) && has_fwmark_no_family {
        d.warn(
            node.loc,
            format!(
                "virtual_server_group `{}` has IPv4 and IPv6 entries and a fwmark without `inet`/`inet6` - keepalived removes it",
                g.name
            ),
        );
        return None;
    }
    Some(g)
}

fn group_fwmark(g: &mut VirtualServerGroup, n: &Node, d: &mut Diagnostics) {
    let Some(w) = read::arg1_quiet(d, n) else {
        return;
    };
    read::extra_words(d, n, 2);
    let Some(mark) = read::uint(d, "fwmark", w, 0, u32::MAX as u64) else {
        return;
    };
    let family = match n.args().get(1) {
        None => None,
        Some(f) => match f.text.as_str() {
            "inet" => Some(Family::Inet),
            "inet6" => Some(Family::Inet6),
            other => {
                d.warn(
                    f.loc,
                    format!(
                        "`fwmark {mark}` in virtual_server_group `{}`: unknown family `{other}` (inet|inet6) - entry ignored",
                        g.name
                    ),
                );
                return;
            }
        },
    };
    g.entries.push(GroupEntry::Fwmark {
        mark: mark as u32,
        family,
    });
}

fn group_addresses(
    g: &mut VirtualServerGroup,
    n: &Node,
    first: &Word,
    ctx: &str,
    d: &mut Diagnostics,
) {
    let port = match n.args().first() {
        None => 0,
        Some(p) => match read::port(d, "port", p) {
            Some(p) => p,
            None => return,
        },
    };
    read::extra_words(d, n, 1);
    let bad = |d: &mut Diagnostics, why: &str| {
        d.warn(
            first.loc,
            format!("{ctx}: `{}` {why} - entry ignored", first.text),
        );
    };
    let text = first.text.as_str();
    if let Some((addr, len)) = text.split_once('/') {
        let Some(start) = read::ip_addr(addr) else {
            bad(d, "is not an address, range or prefix");
            return;
        };
        let max = if start.is_ipv4() { 32 } else { 128 };
        let len = match len.parse::<u32>() {
            Ok(l) if l >= 1 && l <= max => l,
            _ => {
                bad(d, &format!("has an invalid prefix length (1..{max})"));
                return;
            }
        };
        let Some(end) = prefix_end(start, len) else {
            bad(d, "has host bits set below the prefix length");
            return;
        };
        g.entries.push(GroupEntry::Addresses { start, end, port });
        return;
    }
    if let Some((a, b)) = text.split_once('-') {
        let Some(start) = read::ip_addr(a) else {
            bad(d, "is not an address, range or prefix");
            return;
        };
        let full = match start {
            IpAddr::V4(_) => b.contains('.'),
            IpAddr::V6(_) => b.contains(':'),
        };
        let end = if full {
            match read::ip_addr(b) {
                Some(e) if Family::of(&e) == Family::of(&start) => e,
                Some(_) => {
                    bad(d, "mixes address families");
                    return;
                }
                None => {
                    bad(d, "has an invalid range end");
                    return;
                }
            }
        } else {
            match short_range_end(start, b) {
                Some(e) => e,
                None => {
                    bad(d, "has an invalid range end");
                    return;
                }
            }
        };
        if full {
            if ip_u128(end) < ip_u128(start) {
                bad(d, "ends before it starts");
                return;
            }
        } else if ip_u128(end) <= ip_u128(start) {
            bad(d, "does not end after it starts");
            return;
        }
        g.entries.push(GroupEntry::Addresses { start, end, port });
        return;
    }
    let Some(start) = read::ip_addr(text) else {
        bad(d, "is not an address, range or prefix");
        return;
    };
    g.entries.push(GroupEntry::Addresses {
        start,
        end: start,
        port,
    });
}

fn ip_u128(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(a) => u32::from(a) as u128,
        IpAddr::V6(a) => u128::from(a),
    }
}

/// The last address of `start/len`, or `None` if `start` has bits set below the prefix.
fn prefix_end(start: IpAddr, len: u32) -> Option<IpAddr> {
    match start {
        IpAddr::V4(a) => {
            let host: u32 = if len >= 32 { 0 } else { u32::MAX >> len };
            let v = u32::from(a);
            (v & host == 0).then(|| IpAddr::V4(Ipv4Addr::from(v | host)))
        }
        IpAddr::V6(a) => {
            let host: u128 = if len >= 128 { 0 } else { u128::MAX >> len };
            let v = u128::from(a);
            (v & host == 0).then(|| IpAddr::V6(Ipv6Addr::from(v | host)))
        }
    }
}

/// `A.B.C.D-E` (E decimal, last octet) or `X::Y-Z` (Z hex, last 16 bits).
fn short_range_end(start: IpAddr, end: &str) -> Option<IpAddr> {
    match start {
        IpAddr::V4(a) => {
            let last: u8 = end.parse().ok()?;
            let o = a.octets();
            Some(IpAddr::V4(Ipv4Addr::new(o[0], o[1], o[2], last)))
        }
        IpAddr::V6(a) => {
            if end.is_empty() || end.len() > 4 {
                return None;
            }
            let last = u16::from_str_radix(end, 16).ok()?;
            let mut s = a.segments();
            s[7] = last;
            Some(IpAddr::V6(Ipv6Addr::from(s)))
        }
    }
}

pub(super) fn dump_group(g: &VirtualServerGroup, w: &mut Writer) {
    w.open("virtual_server_group", &[&g.name]);
    for e in &g.entries {
        match e {
            GroupEntry::Addresses { start, end, port } => {
                let a = if start == end {
                    start.to_string()
                } else {
                    format!("{start}-{end}")
                };
                if *port == 0 {
                    w.raw(&a);
                } else {
                    w.raw(&format!("{a} {port}"));
                }
            }
            GroupEntry::Fwmark { mark, family } => match family {
                None => w.line("fwmark", &[mark.to_string()]),
                Some(f) => w.line("fwmark", &[mark.to_string(), f.name().to_string()]),
            },
        }
    }
    w.close();
}

// ---------------------------------------------------------------------------------------------
// virtual_server

const VS_KNOWN: &[&str] = &[
    "ip_family",
    "retry",
    "delay_before_retry",
    "warmup",
    "connect_timeout",
    "delay_loop",
    "inhibit_on_failure",
    "lb_algo",
    "lvs_sched",
    "hashed",
    "ops",
    "flag-1",
    "flag-2",
    "flag-3",
    "sh-port",
    "sh-fallback",
    "mh-port",
    "mh-fallback",
    "lb_kind",
    "lvs_method",
    "persistence_engine",
    "persistence_timeout",
    "persistence_granularity",
    "protocol",
    "ha_suspend",
    "smtp_alert",
    "virtualhost",
    "snmp_name",
    "alpha",
    "omega",
    "quorum_up",
    "quorum_down",
    "quorum",
    "hysteresis",
    "weight",
    "sorry_server",
    "sorry_server_inhibit",
    "sorry_server_lvs_method",
    "real_server",
];

/// A virtual server while its block is read: what keepalived's `virtual_server_t` holds before
/// `validate_check_config`.
struct VsBuild {
    target: VsTarget,
    af: Option<Family>,
    sched: Option<Scheduler>,
    flags: SchedFlags,
    ops: bool,
    method: Option<Forwarding>,
    protocol: Option<Protocol>,
    persistence_timeout: Option<u32>,
    granularity: Option<Granularity>,
    engine: Option<String>,
    ha_suspend: bool,
    alpha: bool,
    omega: bool,
    inhibit: bool,
    smtp_alert: Option<bool>,
    virtualhost: Option<String>,
    snmp_name: Option<String>,
    quorum: u32,
    hysteresis: u32,
    quorum_up: Option<Script>,
    quorum_down: Option<Script>,
    weight: u32,
    delay_loop: Duration,
    connect_timeout: Duration,
    retry: Option<u32>,
    delay_before_retry: Option<Duration>,
    warmup: Option<Duration>,
    sorry: Option<SorryBuild>,
    rs: Vec<RsBuild>,
    loc: Loc,
}

struct SorryBuild {
    ip: IpAddr,
    port: u16,
    method: Option<Forwarding>,
    inhibit: bool,
    loc: Loc,
}

/// A real server while read: unset values are `None`, to be inherited.
pub(super) struct RsBuild {
    pub ip: IpAddr,
    pub port: u16,
    weight: Option<u32>,
    method: Option<Forwarding>,
    uthreshold: u32,
    lthreshold: u32,
    inhibit: Option<bool>,
    alpha: Option<bool>,
    notify_up: Option<Script>,
    notify_down: Option<Script>,
    smtp_alert: Option<bool>,
    virtualhost: Option<String>,
    snmp_name: Option<String>,
    retry: Option<u32>,
    delay_before_retry: Option<Duration>,
    warmup: Option<Duration>,
    delay_loop: Option<Duration>,
    connect_timeout: Option<Duration>,
    checkers: Vec<RawChecker>,
    loc: Loc,
}

fn parse_target(node: &Node, d: &mut Diagnostics) -> Option<(VsTarget, Option<Family>)> {
    let args = node.args();
    let Some(first) = args.first() else {
        d.fatal(
            node.loc,
            "`virtual_server` needs an address, `fwmark N` or `group NAME`; keepalived stops reading the configuration here",
        );
        return None;
    };
    match first.text.as_str() {
        "group" => {
            let Some(name) = args.get(1) else {
                d.fatal(
                    first.loc,
                    "`virtual_server group` needs a group name (keepalived 2.2.7 crashes here)",
                );
                return None;
            };
            read::extra_words(d, node, 2);
            Some((VsTarget::Group(name.text.clone()), None))
        }
        "fwmark" => {
            let Some(w) = args.get(1) else {
                d.fatal(
                    first.loc,
                    "`virtual_server fwmark` needs a mark (keepalived 2.2.7 crashes here)",
                );
                return None;
            };
            read::extra_words(d, node, 2);
            match read::uint(d, "virtual_server fwmark", w, 1, u32::MAX as u64) {
                Some(m) => Some((VsTarget::Fwmark(m as u32), None)),
                None => {
                    d.note(w.loc, "the whole virtual_server block is skipped");
                    None
                }
            }
        }
        text => {
            let Some(ip) = read::ip_addr(text) else {
                d.warn(
                    first.loc,
                    format!(
                        "`virtual_server`: `{text}` is not an IP address (or `fwmark N`, `group NAME`) - virtual server skipped"
                    ),
                );
                return None;
            };
            let port = match args.get(1) {
                None => 0,
                Some(p) => match read::port(d, "virtual_server port", p) {
                    Some(p) => p,
                    None => {
                        d.note(p.loc, "the whole virtual_server block is skipped");
                        return None;
                    }
                },
            };
            read::extra_words(d, node, 2);
            Some((VsTarget::Addr { ip, port }, Some(Family::of(&ip))))
        }
    }
}

/// Reads one `virtual_server` block; `None` if keepalived would skip or drop it. Group-dependent
/// checks are left to [`apply_group`].
pub(super) fn parse_vs(node: &Node, d: &mut Diagnostics) -> Option<VirtualServer> {
    let (target, af) = parse_target(node, d)?;
    let mut vs = VsBuild {
        target,
        af,
        sched: None,
        flags: SchedFlags::default(),
        ops: false,
        method: None,
        protocol: None,
        persistence_timeout: None,
        granularity: None,
        engine: None,
        ha_suspend: false,
        alpha: false,
        omega: false,
        inhibit: false,
        smtp_alert: None,
        virtualhost: None,
        snmp_name: None,
        quorum: 1,
        hysteresis: 0,
        quorum_up: None,
        quorum_down: None,
        weight: 1,
        delay_loop: DELAY_LOOP_DEFAULT,
        connect_timeout: CONNECT_TIMEOUT_DEFAULT,
        retry: None,
        delay_before_retry: None,
        warmup: None,
        sorry: None,
        rs: Vec::new(),
        loc: node.loc,
    };
    let ctx = format!("virtual_server {}", read::join(node.args()));
    for n in node.children() {
        let Some(kw) = n.words.first() else { continue };
        vs_keyword(&mut vs, n, kw, &ctx, d);
    }
    vs_end(&mut vs, d);
    finish_vs(vs, d)
}

fn vs_keyword(vs: &mut VsBuild, n: &Node, kw: &Word, ctx: &str, d: &mut Diagnostics) {
    let k = kw.text.as_str();
    if k != "real_server" {
        value::no_block(d, n);
    }
    match k {
        "ip_family" => {
            let Some(w) = read::arg1(d, n) else { return };
            let af = match w.text.as_str() {
                "inet" => Family::Inet,
                "inet6" => Family::Inet6,
                other => {
                    d.warn(
                        w.loc,
                        format!("`ip_family`: unknown family `{other}` (inet|inet6) - ignoring"),
                    );
                    return;
                }
            };
            match vs.af {
                Some(cur) if cur != af => {
                    d.warn(
                        w.loc,
                        format!(
                            "`ip_family {}` conflicts with the family of the servers given before it ({}) - ignoring",
                            af.name(),
                            cur.name()
                        ),
                    );
                }
                _ => vs.af = Some(af),
            }
        }
        "retry" => {
            if let Some(w) = read::arg1(d, n)
                && let Some(v) = read::uint(d, k, w, 1, u32::MAX as u64)
            {
                vs.retry = Some(v as u32);
            }
        }
        "delay_before_retry" => {
            if let Some(v) = timer_arg(d, n, Duration::ZERO, TIMER_MAX) {
                vs.delay_before_retry = Some(v);
            }
        }
        "warmup" => {
            if let Some(v) = timer_arg(d, n, Duration::ZERO, TIMER_MAX) {
                vs.warmup = Some(v);
            }
        }
        "connect_timeout" => {
            if let Some(v) = timer_arg(d, n, ONE_US, CONNECT_TIMEOUT_MAX) {
                vs.connect_timeout = v;
            }
        }
        "delay_loop" => {
            if let Some(v) = timer_arg(d, n, ONE_US, TIMER_MAX) {
                vs.delay_loop = v;
            }
        }
        "inhibit_on_failure" => vs.inhibit = vs_flag(d, n),
        "ha_suspend" => vs.ha_suspend = vs_flag(d, n),
        "alpha" => vs.alpha = vs_flag(d, n),
        "omega" => vs.omega = vs_flag(d, n),
        "lb_algo" | "lvs_sched" => {
            let Some(w) = read::arg1(d, n) else { return };
            match Scheduler::parse(&w.text) {
                Some(s) => vs.sched = Some(s),
                None => {
                    let names: Vec<&str> = Scheduler::ALL.iter().map(|s| s.name()).collect();
                    let diag = d.warn(
                        w.loc,
                        format!(
                            "`{k}`: invalid scheduler `{}` ({}) - ignoring",
                            w.text,
                            names.join("|")
                        ),
                    );
                    value::did_you_mean(diag, &w.text.to_ascii_lowercase(), &names);
                }
            }
        }
        "hashed" | "ops" | "flag-1" | "flag-2" | "flag-3" | "sh-port" | "sh-fallback"
        | "mh-port" | "mh-fallback" => sched_flag(vs, n, k, d),
        "lb_kind" | "lvs_method" => {
            if let Some(m) = forwarding(d, n, "virtual", vs.method) {
                vs.method = Some(m);
            }
        }
        "persistence_engine" => {
            let Some(w) = read::arg1(d, n) else { return };
            // IP_VS_PENAME_MAXLEN is 16 with the terminating NUL.
            let mut name = w.text.clone();
            if name.len() > 15 {
                d.warn(
                    w.loc,
                    format!(
                        "`persistence_engine`: `{name}` is longer than 15 characters - truncated"
                    ),
                );
                let mut cut = 15;
                while !name.is_char_boundary(cut) {
                    cut -= 1;
                }
                name.truncate(cut);
            }
            vs.engine = Some(name);
        }
        "persistence_timeout" => match n.args().first() {
            None => vs.persistence_timeout = Some(PERSISTENCE_DEFAULT),
            Some(w) => {
                read::extra_words(d, n, 1);
                if let Some(v) = read::uint(d, k, w, 1, PERSISTENCE_MAX) {
                    vs.persistence_timeout = Some(v as u32);
                }
            }
        },
        "persistence_granularity" => granularity(vs, n, d),
        "protocol" => {
            let Some(w) = read::arg1(d, n) else { return };
            match w.text.to_ascii_uppercase().as_str() {
                "TCP" => vs.protocol = Some(Protocol::Tcp),
                "UDP" => vs.protocol = Some(Protocol::Udp),
                "SCTP" => vs.protocol = Some(Protocol::Sctp),
                _ => {
                    d.warn(
                        w.loc,
                        format!(
                            "`protocol`: unknown protocol `{}` (TCP|UDP|SCTP) - ignoring",
                            w.text
                        ),
                    );
                }
            }
        }
        "smtp_alert" => {
            if let Some(b) = read::opt_bool(d, n) {
                vs.smtp_alert = Some(b);
            }
        }
        "virtualhost" => {
            if let Some(v) = read::text(d, n, "a host name") {
                vs.virtualhost = Some(v);
            }
        }
        "snmp_name" => {
            if let Some(v) = snmp_name(d, n) {
                vs.snmp_name = Some(v);
            }
        }
        "quorum_up" => script_once(d, n, &mut vs.quorum_up),
        "quorum_down" => script_once(d, n, &mut vs.quorum_down),
        "quorum" => {
            let Some(w) = read::arg1(d, n) else { return };
            match read::uint(d, k, w, 1, u32::MAX as u64) {
                Some(v) => vs.quorum = v as u32,
                None => {
                    d.note(w.loc, "keepalived sets the quorum to 1 in this case");
                    vs.quorum = 1;
                }
            }
        }
        "hysteresis" => {
            if let Some(w) = read::arg1(d, n)
                && let Some(v) = read::uint(d, k, w, 0, u32::MAX as u64)
            {
                vs.hysteresis = v as u32;
            }
        }
        "weight" => {
            if let Some(w) = read::arg1(d, n)
                && let Some(v) = read::uint(d, k, w, 1, WEIGHT_MAX)
            {
                vs.weight = v as u32;
            }
        }
        "sorry_server" => {
            let Some(w) = read::arg1(d, n) else { return };
            let Some(ip) = read::ip_addr(&w.text) else {
                d.warn(
                    w.loc,
                    format!(
                        "`sorry_server`: `{}` is not an IP address - ignoring",
                        w.text
                    ),
                );
                return;
            };
            let port = match n.args().get(1) {
                None => 0,
                Some(p) => match read::port(d, "sorry_server port", p) {
                    Some(p) => p,
                    None => return,
                },
            };
            read::extra_words(d, n, 2);
            vs.sorry = Some(SorryBuild {
                ip,
                port,
                method: vs.method,
                inhibit: false,
                loc: n.loc,
            });
        }
        "sorry_server_inhibit" => match &mut vs.sorry {
            Some(s) => {
                read::extra_words(d, n, 0);
                s.inhibit = true;
            }
            None => {
                d.warn(
                    n.loc,
                    "`sorry_server_inhibit` before (or without) `sorry_server` - ignoring",
                );
            }
        },
        "sorry_server_lvs_method" => {
            if vs.sorry.is_none() {
                d.warn(
                    n.loc,
                    "`sorry_server_lvs_method` before (or without) `sorry_server` - ignoring",
                );
                return;
            }
            let prev = vs.sorry.as_ref().and_then(|s| s.method);
            if let Some(m) = forwarding(d, n, "sorry", prev)
                && let Some(s) = &mut vs.sorry
            {
                s.method = Some(m);
            }
        }
        "real_server" => {
            if let Some(rs) = parse_rs(n, vs, d) {
                rs_end(vs, rs, d);
            }
        }
        _ => {
            let diag_ctx = ctx.to_string();
            value::unknown(d, kw, VS_KNOWN, &diag_ctx);
            if k == "nb_get_retry"
                && let Some(last) = d.list.last_mut()
            {
                last.hint("did you mean `retry`? (`nb_get_retry` is only known inside HTTP_GET and SSL_GET)");
            }
        }
    }
}

/// A flag that keepalived sets whatever value follows it (`alpha no` turns alpha on there). We
/// follow the value, and say so.
fn vs_flag(d: &mut Diagnostics, n: &Node) -> bool {
    match n.args().first() {
        None => true,
        Some(w) => {
            read::extra_words(d, n, 1);
            match value::parse_bool(&w.text) {
                Some(b) => {
                    d.note(
                        w.loc,
                        format!(
                            "keepalived 2.2.7 ignores the value of `{}` in a virtual_server and turns it on; keepalived-rs uses `{}`",
                            n.keyword(),
                            w.text
                        ),
                    );
                    b
                }
                None => {
                    d.note(
                        w.loc,
                        format!(
                            "`{}` takes no value here; `{}` ignored",
                            n.keyword(),
                            w.text
                        ),
                    );
                    true
                }
            }
        }
    }
}

fn sched_flag(vs: &mut VsBuild, n: &Node, k: &str, d: &mut Diagnostics) {
    read::extra_words(d, n, 0);
    let sched = vs.sched;
    match k {
        "ops" => vs.ops = true,
        "flag-1" => vs.flags.flag1 = true,
        "flag-2" => vs.flags.flag2 = true,
        "flag-3" => vs.flags.flag3 = true,
        _ => {
            // keepalived reads the scheduler given so far: sh-* only count after `lvs_sched sh`,
            // mh-* after `lvs_sched mh`; under the other one of the two they are dropped silently.
            let (own, other) = if k.starts_with("sh-") {
                (Scheduler::Sh, Scheduler::Mh)
            } else {
                (Scheduler::Mh, Scheduler::Sh)
            };
            if k != "hashed" && sched == Some(own) {
                if k.ends_with("-port") {
                    vs.flags.flag2 = true;
                } else {
                    vs.flags.flag1 = true;
                }
            } else if matches!(sched, Some(Scheduler::Sh) | Some(Scheduler::Mh))
                && (k == "hashed" || sched == Some(other))
            {
                d.note(
                    n.loc,
                    format!(
                        "`{k}` has no effect with scheduler `{}` (keepalived ignores it silently)",
                        sched.map_or("", |s| s.name())
                    ),
                );
            } else {
                let why = if k == "hashed" {
                    "keepalived 2.2.7 never applies `hashed`".to_string()
                } else {
                    format!(
                        "it only applies after `lvs_sched {}` in the same block",
                        own.name()
                    )
                };
                d.warn(n.loc, format!("`{k}` ignored: {why}"));
            }
        }
    }
}

fn granularity(vs: &mut VsBuild, n: &Node, d: &mut Diagnostics) {
    let Some(w) = read::arg1(d, n) else { return };
    let af = vs.af.unwrap_or(if w.text.contains('.') {
        Family::Inet
    } else {
        Family::Inet6
    });
    let g = match af {
        Family::Inet6 => match read::uint(d, "persistence_granularity", w, 1, 128) {
            Some(v) => Granularity::Prefix(v as u8),
            None => return,
        },
        Family::Inet => match inet_aton(&w.text) {
            Some(m) => {
                if !w.text.contains('.') {
                    d.note(
                        w.loc,
                        format!(
                            "`persistence_granularity {}` is read as the IPv4 mask {m}, not as a prefix length",
                            w.text
                        ),
                    );
                }
                Granularity::Mask(m)
            }
            None => {
                d.warn(
                    w.loc,
                    format!(
                        "`persistence_granularity`: `{}` is not an IPv4 netmask - ignoring",
                        w.text
                    ),
                );
                return;
            }
        },
    };
    vs.granularity = Some(g);
    if vs.af.is_none() {
        vs.af = Some(af);
    }
    if vs.persistence_timeout.is_none() {
        vs.persistence_timeout = Some(PERSISTENCE_DEFAULT);
    }
}

/// IPv4 in the dotted-quad form or a plain decimal number (as `inet_aton` reads `24`).
fn inet_aton(s: &str) -> Option<Ipv4Addr> {
    if let Ok(a) = s.parse::<Ipv4Addr>() {
        return Some(a);
    }
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        return s.parse::<u32>().ok().map(Ipv4Addr::from);
    }
    None
}

fn timer_arg(d: &mut Diagnostics, n: &Node, min: Duration, max: Duration) -> Option<Duration> {
    let w = read::arg1(d, n)?;
    read::timer(d, n.keyword(), w, min, max)
}

fn snmp_name(d: &mut Diagnostics, n: &Node) -> Option<String> {
    if n.args().len() != 1 {
        d.warn(
            n.loc,
            "`snmp_name` takes exactly one value (quote it if it has spaces) - ignoring",
        );
        return None;
    }
    Some(n.args()[0].text.clone())
}

/// `COMMAND [USER [GROUP]]`; a second definition is ignored with a warning, as keepalived does.
fn script_once(d: &mut Diagnostics, n: &Node, slot: &mut Option<Script>) {
    let Some(cmd) = read::arg1_quiet(d, n) else {
        return;
    };
    if slot.is_some() {
        d.warn(
            n.loc,
            format!("`{}` given again - keeping the first one", n.keyword()),
        );
        return;
    }
    read::extra_words(d, n, 3);
    *slot = Some(Script {
        command: cmd.text.clone(),
        user: n.args().get(1).map(|w| w.text.clone()),
        group: n.args().get(2).map(|w| w.text.clone()),
        loc: At::word(cmd),
    });
}

/// `NAT|DR|TUN [type ipip|gue port N|gre] [nocsum|csum|remcsum]` for a `who` ("virtual",
/// "real", "sorry") server. `None`: unknown method, nothing changes. Invalid tunnel options are
/// reported; the method is set and the tunnel options stay as they were, as in keepalived.
pub(super) fn forwarding(
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

// ---------------------------------------------------------------------------------------------
// real_server

const RS_KNOWN: &[&str] = &[
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

fn parse_rs(node: &Node, vs: &VsBuild, d: &mut Diagnostics) -> Option<RsBuild> {
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
    let ctx = format!("real_server {}", read::join(node.args()));
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
fn rs_end(vs: &mut VsBuild, rs: RsBuild, d: &mut Diagnostics) {
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

/// keepalived's `vs_end_handler`: the sorry server's family, and the family of a fwmark service
/// whose servers are all tunnelled.
fn vs_end(vs: &mut VsBuild, d: &mut Diagnostics) {
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
fn finish_vs(mut vs: VsBuild, d: &mut Diagnostics) -> Option<VirtualServer> {
    let mut name = describe_build(&vs);
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
            name = describe_build(&vs);
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
    let name = describe_build(&vs);
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
    let mut servers: Vec<RealServer> = Vec::new();
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
            notify_up: rs.notify_up,
            notify_down: rs.notify_down,
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
        real.checkers = rs.checkers.into_iter().map(|c| c.resolve(&real)).collect();
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
fn fix_ports(vs: &mut VirtualServer, d: &mut Diagnostics) {
    let name = vs.describe();
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

/// The checks keepalived makes once a `group` virtual server is linked to its group.
pub(super) fn apply_group(vs: &mut VirtualServer, g: &VirtualServerGroup, d: &mut Diagnostics) {
    let name = vs.describe();
    let has_fwmark = g
        .entries
        .iter()
        .any(|e| matches!(e, GroupEntry::Fwmark { .. }));
    let addrs: Vec<(IpAddr, IpAddr, u16)> = g
        .entries
        .iter()
        .filter_map(|e| match e {
            GroupEntry::Addresses { start, end, port } => Some((*start, *end, *port)),
            GroupEntry::Fwmark { .. } => None,
        })
        .collect();
    if vs.ha_suspend && has_fwmark {
        warn_at(
            d,
            vs.loc,
            format!(
                "virtual server {name}: `ha_suspend` cannot be used with a group that has fwmarks - cleared"
            ),
        );
        vs.ha_suspend = false;
    }
    if !addrs.is_empty() {
        if vs.protocol.is_none() {
            warn_at(d, vs.loc,
                format!(
                    "virtual server {name}: no `protocol` - keepalived uses UDP (the kernel's default)"
                ),
            )
            .hint("add `protocol TCP` (or UDP, SCTP)");
            vs.protocol = Some(Protocol::Udp);
        }
        if vs.ops && vs.protocol != Some(Protocol::Udp) {
            warn_at(
                d,
                vs.loc,
                format!("virtual server {name}: `ops` (one-packet scheduling) needs UDP - cleared"),
            );
            vs.ops = false;
        }
    }
    if vs.persistence_timeout.is_none() && addrs.iter().any(|&(_, _, p)| p == 0) {
        warn_at(
            d,
            vs.loc,
            format!(
                "virtual server {name}: group `{}` has an entry without a port, which only persistent services may omit - persistence_timeout {PERSISTENCE_DEFAULT} set",
                g.name
            ),
        );
        vs.persistence_timeout = Some(PERSISTENCE_DEFAULT);
    }
    if vs.protocol.is_some() && addrs.is_empty() && has_fwmark {
        warn_at(
            d,
            vs.loc,
            format!("virtual server {name}: `protocol` is ignored for a group of fwmarks"),
        );
        vs.protocol = None;
    }
    if has_fwmark {
        for rs in &vs.real_servers {
            if rs.lvs_method != Forwarding::Nat && rs.port != 0 {
                warn_at(
                    d,
                    rs.loc,
                    format!(
                        "virtual server {name} (fwmarks): real server {} has a port, which {} forwarding ignores",
                        fmt_ip_port(rs.ip, rs.port),
                        method_name(rs.lvs_method)
                    ),
                );
            }
        }
        if let Some(s) = &vs.sorry_server
            && s.lvs_method != Forwarding::Nat
            && s.port != 0
        {
            warn_at(
                d,
                s.loc,
                format!(
                    "virtual server {name} (fwmarks): the sorry server has a port, which {} forwarding ignores",
                    method_name(s.lvs_method)
                ),
            );
        }
    }
    for &(start, end, port) in &addrs {
        let entry = if start == end {
            format!("{start},{port}")
        } else {
            format!("{start}-{end},{port}")
        };
        for rs in &vs.real_servers {
            if rs.lvs_method != Forwarding::Nat && rs.port != 0 && rs.port != port {
                warn_at(
                    d,
                    rs.loc,
                    format!(
                        "virtual server {name} [{entry}]: real server {} has another port, which {} forwarding cannot change",
                        fmt_ip_port(rs.ip, rs.port),
                        method_name(rs.lvs_method)
                    ),
                );
            }
        }
        if let Some(s) = &vs.sorry_server
            && s.lvs_method != Forwarding::Nat
            && s.port != 0
            && s.port != port
        {
            warn_at(
                d,
                s.loc,
                format!(
                    "virtual server {name} [{entry}]: the sorry server has another port, which {} forwarding ignores",
                    method_name(s.lvs_method)
                ),
            );
        }
    }
}

fn method_name(m: Forwarding) -> &'static str {
    match m {
        Forwarding::Nat => "NAT",
        Forwarding::Dr => "DR",
        Forwarding::Tun(_) => "TUN",
    }
}

fn fmt_ip_port(ip: IpAddr, port: u16) -> String {
    match ip {
        IpAddr::V4(a) => format!("{a}:{port}"),
        IpAddr::V6(a) => format!("[{a}]:{port}"),
    }
}

fn describe_build(vs: &VsBuild) -> String {
    super::describe(&vs.target, vs.protocol)
}

// ---------------------------------------------------------------------------------------------
// dump

fn yes(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

fn dump_script(w: &mut Writer, kw: &str, s: &Script) {
    let mut words = vec![s.command.clone()];
    if let Some(u) = &s.user {
        words.push(u.clone());
        if let Some(g) = &s.group {
            words.push(g.clone());
        }
    }
    w.line(kw, &words);
}

pub(super) fn dump_vs(vs: &VirtualServer, w: &mut Writer) {
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

fn dump_rs(rs: &RealServer, w: &mut Writer) {
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
