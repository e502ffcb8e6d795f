//! `virtual_server_group`, `virtual_server`, `real_server` and `sorry_server`: parsing in
//! keepalived's order (some settings depend on what came before them in the block, as they do in
//! keepalived), then the end-of-block corrections keepalived makes in `validate_check_config`.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use super::checker::{self, RawChecker};
use super::read::{self, TIMER_MAX};
use super::{
    At, Described, Family, Forwarding, Granularity, GroupEntry, Protocol, RealServer, SchedFlags,
    Scheduler, Script, SorryServer, Tunnel, TunnelCsum, TunnelKind, VirtualServer,
    VirtualServerGroup, VsTarget,
};
use crate::config::dump::Writer;
use crate::config::source::{Diagnostics, Loc};
use crate::config::tree::{Node, Word};
use crate::config::value::{self, warn_at};

mod dump;
mod finish;
mod group;
mod real;

pub(super) use dump::dump_vs;
use dump::*;
use finish::*;
pub(super) use group::{apply_group, dump_group, parse_group};
pub(super) use real::forwarding;
use real::*;

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
        // At most one per statement: no growing one by one.
        rs: Vec::with_capacity(
            node.children()
                .iter()
                .filter(|n| n.keyword() == "real_server")
                .count(),
        ),
        loc: node.loc,
    };
    for n in node.children() {
        let Some(kw) = n.words.first() else { continue };
        vs_keyword(&mut vs, n, kw, node, d);
    }
    vs_end(&mut vs, d);
    finish_vs(vs, d)
}

/// One statement `n` (keyword `kw`) of the `virtual_server` block of `vs_node`.
fn vs_keyword(vs: &mut VsBuild, n: &Node, kw: &Word, vs_node: &Node, d: &mut Diagnostics) {
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
            let ctx = format!("virtual_server {}", read::join(vs_node.args()));
            value::unknown(d, kw, VS_KNOWN, &ctx);
            if k == "nb_get_retry"
                && let Some(last) = d.list.last_mut()
            {
                last.hint("did you mean `retry`? (`nb_get_retry` is only known inside HTTP_GET and SSL_GET)");
            }
        }
    }
}

/// A flag that keepalived sets whatever value follows it (`alpha no` turns alpha on there, and
/// here: the running behaviour is keepalived's), with a note on the word.
fn vs_flag(d: &mut Diagnostics, n: &Node) -> bool {
    read::extra_words(d, n, 1);
    value::flag(d, n)
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

// ---------------------------------------------------------------------------------------------
// real_server

// ---------------------------------------------------------------------------------------------
// dump
