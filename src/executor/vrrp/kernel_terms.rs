//! Configured addresses, routes and rules in kernel terms: the values the rtnetlink client
//! sends ([`Addr`], [`RouteMsg`], [`RuleMsg`]), and the requests that carry them.
//!
//! The client ([`crate::netlink`]) knows nothing of the configuration; this module is where
//! `ip address|route|rule` words become kernel fields, with keepalived's defaults where
//! keepalived differs from iproute2 (said at each place). Names (interfaces, tables, protocols)
//! resolve here, at the time of the request: an unknown one is an [`EncodeError`] and nothing
//! is sent. Options the client cannot carry yet come back as [`Unsent`] and are logged at
//! warning by the `send_*` functions, as before each send.

use std::net::IpAddr;

use crate::config::vrrp::{
    Broadcast, Family, IpAddress, Lifetime, Route, RouteDest, RouteOp, RouteOpt, RouteType, Rule,
    RuleAction, RuleAddr,
};
use crate::netlink::names::{Resolve, number};
use crate::netlink::request::{
    Addr, EncodeError, NextHop, Op, RouteMsg, RuleMsg, Unsent, family_of,
};
use crate::netlink::rtnl::{Object, RequestError, Rtnl};
use crate::netlink::tracker::Seq;
use crate::netlink::wire::*;

fn host_len(a: IpAddr) -> u8 {
    if a.is_ipv4() { 32 } else { 128 }
}

fn family_byte(f: Family) -> u8 {
    match f {
        Family::Inet => AF_INET,
        Family::Inet6 => AF_INET6,
    }
}

fn ipv4_mask(len: u8) -> u32 {
    match len {
        0 => 0,
        l if l >= 32 => u32::MAX,
        l => u32::MAX << (32 - l),
    }
}

/// Address `a` on interface `ifindex`.
///
/// Like keepalived: IPv6 addresses get `IFA_F_NODAD` unless the line says `-nodad` (which
/// keepalived reads as "do DAD"), and their `preferred_lft` (0 by default for a /128, which marks
/// the VIP deprecated so that it is not picked as a source address) goes with an infinite valid
/// lifetime. Scope, label and broadcast are IPv4's only.
pub fn addr(ifindex: u32, a: &IpAddress) -> Addr {
    let local = a.addr.addr;
    let v6 = local.is_ipv6();
    let prefix_len = a.addr.len.unwrap_or(host_len(local));
    let mut flags = 0u32;
    for (on, f) in [
        (a.home, IFA_F_HOMEADDRESS),
        (a.mngtmpaddr, IFA_F_MANAGETEMPADDR),
        (a.noprefixroute, IFA_F_NOPREFIXROUTE),
        (a.autojoin, IFA_F_MCAUTOJOIN),
        (v6 && !a.nodad, IFA_F_NODAD),
    ] {
        if on {
            flags |= f;
        }
    }
    let broadcast = match (local, a.broadcast) {
        (IpAddr::V4(v4), Some(b)) => {
            let base = u32::from(v4);
            let mask = ipv4_mask(prefix_len);
            Some(std::net::Ipv4Addr::from(match b {
                Broadcast::Addr(x) => u32::from(x),
                Broadcast::SetHostBits => base | !mask,
                Broadcast::ClearHostBits => base & mask,
            }))
        }
        _ => None,
    };
    let preferred_lft = match a.effective_preferred_lft() {
        Some(Lifetime::Secs(s)) if v6 => Some(s),
        _ => None,
    };
    Addr {
        ifindex,
        family: family_of(local),
        local,
        prefix_len,
        peer: a.peer.map(|p| p.addr),
        broadcast,
        scope: if v6 {
            0
        } else {
            a.scope.map_or(0, |s| s.value())
        },
        label: a.label.clone().filter(|_| !v6),
        flags,
        preferred_lft,
    }
}

fn rtn(t: RouteType) -> u8 {
    match t {
        RouteType::Unicast => 1,
        RouteType::Local => 2,
        RouteType::Broadcast => 3,
        RouteType::Anycast => 4,
        RouteType::Multicast => 5,
        RouteType::Blackhole => 6,
        RouteType::Unreachable => 7,
        RouteType::Prohibit => 8,
        RouteType::Throw => 9,
        RouteType::Nat => 10,
    }
}

/// Route metrics sent in `RTA_METRICS` (`RTAX_*`), all plain numbers.
const METRICS: &[(&str, u16)] = &[
    ("mtu", 2),
    ("window", 3),
    ("ssthresh", 6),
    ("cwnd", 7),
    ("advmss", 8),
    ("reordering", 9),
    ("hoplimit", 10),
    ("initcwnd", 11),
    ("initrwnd", 14),
    ("quickack", 15),
    ("fastopen_no_cookie", 17),
];

fn bad(o: &RouteOpt) -> EncodeError {
    EncodeError::BadValue {
        option: o.key.clone(),
        value: o.args.join(" "),
    }
}

fn num_arg<T: TryFrom<u64>>(o: &RouteOpt, i: usize) -> Result<T, EncodeError> {
    o.args
        .get(i)
        .and_then(|a| number(a))
        .and_then(|n| T::try_from(n).ok())
        .ok_or_else(|| bad(o))
}

fn ifindex_of(names: &dyn Resolve, name: &str) -> Result<u32, EncodeError> {
    names
        .ifindex(name)
        .ok_or_else(|| EncodeError::UnknownInterface(name.to_string()))
}

/// Route `r`, and the options it cannot carry.
///
/// Defaults: table main; protocol `keepalived` (18) unless the route says `no_track` (then
/// `boot`, as `ip route`), because keepalived tracks only routes of its own protocol; the
/// operation `prepend` (`NLM_F_CREATE`), `add` adds `NLM_F_EXCL`, `append` `NLM_F_APPEND`; the
/// scope and type as `ip route` picks them (see [`RouteMsg::scope`]).
pub fn route(r: &Route, names: &dyn Resolve) -> Result<(RouteMsg, Unsent), EncodeError> {
    let family = r.family();
    let mut unsent = Unsent::new();
    let (dst, dst_len) = match r.dest {
        RouteDest::Default => (None, 0),
        RouteDest::Prefix(p) => (Some(p.addr), p.len.unwrap_or(host_len(p.addr))),
    };
    let table = match &r.table {
        Some(t) => names
            .table(t)
            .ok_or_else(|| EncodeError::UnknownTable(t.clone()))?,
        None => RT_TABLE_MAIN,
    };
    let protocol = match &r.protocol {
        Some(p) => names
            .protocol(p)
            .ok_or_else(|| EncodeError::UnknownProtocol(p.clone()))?,
        None if r.no_track => RTPROT_BOOT,
        None => RTPROT_KEEPALIVED,
    };
    let oif = r.dev.as_deref().map(|n| ifindex_of(names, n)).transpose()?;

    // Options: the header's tos and flags, metrics, and the IPv6 extras.
    let mut tos = 0u8;
    let mut flags = 0u32;
    let mut metrics: Vec<(u16, u32)> = Vec::new();
    let mut lock = 0u32;
    let mut pref = None;
    let mut expires = None;
    for o in &r.options {
        match o.key.as_str() {
            "onlink" => flags |= u32::from(RTNH_F_ONLINK),
            "tos" | "dsfield" => tos = num_arg(o, 0)?,
            "pref" => {
                pref = Some(match o.args.first().map(String::as_str) {
                    Some("low") => 3u8,
                    Some("medium") => 0,
                    Some("high") => 1,
                    _ => return Err(bad(o)),
                })
            }
            "expires" if family == Family::Inet6 => expires = Some(num_arg::<u32>(o, 0)?),
            k => match METRICS.iter().find(|(n, _)| *n == k) {
                Some(&(_, rtax)) => {
                    let locked = o.args.first().is_some_and(|a| a == "lock");
                    let v = num_arg::<u32>(o, usize::from(locked))?;
                    if locked {
                        lock |= 1 << rtax;
                    }
                    metrics.push((rtax, v));
                }
                None => unsent.push(k.to_string()),
            },
        }
    }
    if r.or.is_some() {
        unsent.push("or".into());
    }
    let add_flags = match r.op {
        Some(RouteOp::Add) => NLM_F_EXCL,
        Some(RouteOp::Append) => NLM_F_APPEND,
        Some(RouteOp::Prepend) | None => 0,
    };
    let mut nexthops = Vec::with_capacity(r.nexthops.len());
    for nh in &r.nexthops {
        let ifindex = nh
            .dev
            .as_deref()
            .map(|n| ifindex_of(names, n))
            .transpose()?
            .unwrap_or(0);
        nexthops.push(NextHop {
            ifindex,
            flags: if nh.onlink { RTNH_F_ONLINK } else { 0 },
            hops: nh.weight.map_or(0, |w| w.clamp(1, 256) - 1) as u8,
            gateway: nh.via,
        });
        unsent.extend(nh.options.iter().map(|o| format!("nexthop {}", o.key)));
    }
    let msg = RouteMsg {
        family: family_byte(family),
        dst,
        dst_len,
        src: r.from.map(|p| p.addr),
        src_len: r.from.map_or(0, |p| p.len.unwrap_or(host_len(p.addr))),
        tos,
        table,
        protocol,
        scope: r.scope.map(|s| s.value()),
        kind: r.kind.map(rtn),
        flags,
        prefsrc: r.src,
        gateway: r.via,
        oif,
        priority: r.metric,
        metrics,
        lock,
        pref,
        expires,
        nexthops,
        add_flags,
    };
    Ok((msg, unsent))
}

fn ip_proto(s: &str) -> Option<u8> {
    match s {
        "icmp" => Some(1),
        "tcp" => Some(6),
        "udp" => Some(17),
        "ipv6-icmp" | "icmpv6" => Some(58),
        "sctp" => Some(132),
        _ => u8::try_from(number(s)?).ok(),
    }
}

/// `A` or `A-B` as a (start, end) pair.
fn range<T: TryFrom<u64> + Copy>(s: &str) -> Option<(T, T)> {
    let (a, b) = s.split_once('-').unwrap_or((s, s));
    let a = T::try_from(number(a)?).ok()?;
    let b = T::try_from(number(b)?).ok()?;
    Some((a, b))
}

/// Rule `r`, and the options it cannot carry.
///
/// A tracked rule (no `no_track`) always carries protocol `keepalived` (18), as keepalived forces
/// it (the config reader has warned if the line said otherwise).
pub fn rule(r: &Rule, names: &dyn Resolve) -> Result<(RuleMsg, Unsent), EncodeError> {
    let prefix = |a: Option<RuleAddr>| match a {
        Some(RuleAddr::Prefix(p)) => Some(p),
        _ => None,
    };
    let (from, to) = (prefix(r.from), prefix(r.to));
    let family = r
        .family
        .or(from.map(|p| Family::of(p.addr)))
        .or(to.map(|p| Family::of(p.addr)))
        .unwrap_or(Family::Inet);
    let mut unsent = Unsent::new();
    let (action, table) = match &r.action {
        RuleAction::Table(t) => (
            FR_ACT_TO_TBL,
            Some(
                names
                    .table(t)
                    .ok_or_else(|| EncodeError::UnknownTable(t.clone()))?,
            ),
        ),
        RuleAction::L3mdev => (FR_ACT_TO_TBL, None),
        RuleAction::Goto(_) => (FR_ACT_GOTO, None),
        RuleAction::Nop => (FR_ACT_NOP, None),
        RuleAction::Blackhole => (FR_ACT_BLACKHOLE, None),
        RuleAction::Unreachable => (FR_ACT_UNREACHABLE, None),
        RuleAction::Prohibit => (FR_ACT_PROHIBIT, None),
    };
    let mut tos = 0u8;
    let mut protocol = (!r.no_track).then_some(RTPROT_KEEPALIVED);
    let mut fwmark = None;
    let mut u32_attrs: Vec<(u16, u32)> = Vec::new();
    let mut raw_attrs: Vec<(u16, Vec<u8>)> = Vec::new();
    for o in &r.options {
        let arg = o.args.first().map(String::as_str).unwrap_or_default();
        match o.key.as_str() {
            "tos" => tos = num_arg(o, 0)?,
            "protocol" => {
                if r.no_track {
                    protocol = Some(
                        names
                            .protocol(arg)
                            .ok_or_else(|| EncodeError::UnknownProtocol(arg.to_string()))?,
                    );
                }
            }
            "fwmark" => {
                let (m, mask) = arg
                    .split_once('/')
                    .map_or((arg, None), |(m, k)| (m, Some(k)));
                let m = number(m).and_then(|n| u32::try_from(n).ok());
                let mask = mask.map(|k| number(k).and_then(|n| u32::try_from(n).ok()));
                match (m, mask) {
                    (Some(m), None) => fwmark = Some((m, None)),
                    (Some(m), Some(Some(k))) => fwmark = Some((m, Some(k))),
                    _ => return Err(bad(o)),
                }
            }
            "suppress_prefixlength" => u32_attrs.push((FRA_SUPPRESS_PREFIXLEN, num_arg(o, 0)?)),
            "suppress_ifgroup" => match number(arg).and_then(|n| u32::try_from(n).ok()) {
                Some(g) => u32_attrs.push((FRA_SUPPRESS_IFGROUP, g)),
                // A group name from /etc/iproute2/group is not looked up yet.
                None => unsent.push(o.key.clone()),
            },
            "uidrange" => {
                let (a, b) = range::<u32>(arg).ok_or_else(|| bad(o))?;
                let mut v = a.to_ne_bytes().to_vec();
                v.extend_from_slice(&b.to_ne_bytes());
                raw_attrs.push((FRA_UID_RANGE, v));
            }
            "ipproto" => raw_attrs.push((FRA_IP_PROTO, vec![ip_proto(arg).ok_or_else(|| bad(o))?])),
            "sport" | "dport" => {
                let (a, b) = range::<u16>(arg).ok_or_else(|| bad(o))?;
                let mut v = a.to_ne_bytes().to_vec();
                v.extend_from_slice(&b.to_ne_bytes());
                let t = if o.key == "sport" {
                    FRA_SPORT_RANGE
                } else {
                    FRA_DPORT_RANGE
                };
                raw_attrs.push((t, v));
            }
            k => unsent.push(k.to_string()),
        }
    }
    let msg = RuleMsg {
        family: family_byte(family),
        src: from.map(|p| p.addr),
        src_len: from.map_or(0, |p| p.len.unwrap_or(host_len(p.addr))),
        dst: to.map(|p| p.addr),
        dst_len: to.map_or(0, |p| p.len.unwrap_or(host_len(p.addr))),
        tos,
        action,
        table,
        flags: if r.not { FIB_RULE_INVERT } else { 0 },
        priority: r.preference,
        goto: match r.action {
            RuleAction::Goto(g) => Some(g),
            _ => None,
        },
        l3mdev: r.action == RuleAction::L3mdev,
        iifname: r.iif.clone(),
        oifname: r.oif.clone(),
        fwmark,
        protocol,
        u32_attrs,
        raw_attrs,
    };
    Ok((msg, unsent))
}

/// Sends `msg` (what it is: `what`), after logging the options of its line that the kernel
/// will not get.
fn send<T, M: Object>(
    rtnl: &mut Rtnl<T>,
    op: Op,
    what: String,
    (msg, unsent): (M, Unsent),
    tag: T,
) -> Result<Seq, RequestError> {
    let verb = match op {
        Op::Add => "add",
        Op::Del => "delete",
    };
    let what = format!("{verb} {what}");
    for o in unsent {
        log::warn!("netlink: {what}: option `{o}` is not sent to the kernel (not supported yet)");
    }
    rtnl.change(op, &msg, what, tag)
}

/// Adds (`op`) or removes address `a` on interface `ifindex` through `rtnl`.
pub fn send_address<T>(
    rtnl: &mut Rtnl<T>,
    op: Op,
    ifindex: u32,
    a: &IpAddress,
    tag: T,
) -> Result<Seq, RequestError> {
    let what = format!("address {} (ifindex {ifindex})", a.words().join(" "));
    send(rtnl, op, what, (addr(ifindex, a), Unsent::new()), tag)
}

/// Adds (`op`) or removes route `r`; names resolve with `names`.
pub fn send_route<T>(
    rtnl: &mut Rtnl<T>,
    op: Op,
    r: &Route,
    names: &dyn Resolve,
    tag: T,
) -> Result<Seq, RequestError> {
    let what = format!("route {}", r.words().join(" "));
    send(rtnl, op, what, route(r, names)?, tag)
}

/// Adds (`op`) or removes rule `r`; names resolve with `names`.
pub fn send_rule<T>(
    rtnl: &mut Rtnl<T>,
    op: Op,
    r: &Rule,
    names: &dyn Resolve,
    tag: T,
) -> Result<Seq, RequestError> {
    let what = format!("rule {}", r.words().join(" "));
    send(rtnl, op, what, rule(r, names)?, tag)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Config, Diagnostics};
    use crate::netlink::names::RtNames;
    use crate::netlink::request::tests::fixtures;

    /// Interface `lo` is 1, as in the namespace the iproute2 captures were taken in.
    struct Lo(RtNames);

    impl Resolve for Lo {
        fn ifindex(&self, name: &str) -> Option<u32> {
            (name == "lo").then_some(1)
        }
        fn rt_names(&self) -> &RtNames {
            &self.0
        }
    }

    /// The lines of the iproute2 captures in `crate::netlink::request`'s tests.
    const CONF: &str = "\
static_ipaddress {
    10.99.1.10/32 brd 10.99.1.255 dev lo label lo:vip
    fd00:99::10/128 dev lo
}
static_routes {
    10.50.0.0/16 via 10.99.1.10 dev lo table 100 metric 7 protocol keepalived add
    10.60.0.0/16 table 1000 protocol keepalived add nexthop via 10.99.1.10 dev lo weight 2 nexthop via 10.99.1.11 dev lo
    10.70.0.0/16 dev lo mtu lock 1400 realms 1 no_track
}
static_rules {
    from 10.50.0.0/16 table 100 preference 100 protocol keepalived
}
";

    fn config(text: &str) -> Config {
        let mut d = Diagnostics::default();
        let c = Config::from_text(text, &mut d);
        assert_eq!(c.vrrp.static_addresses.len(), 2, "{:?}", d.list);
        assert_eq!(c.vrrp.static_routes.len(), 3, "{:?}", d.list);
        assert_eq!(c.vrrp.static_rules.len(), 1, "{:?}", d.list);
        c
    }

    #[test]
    fn configured_lines_become_the_captured_requests() {
        let c = config(CONF);
        let names = Lo(RtNames::default());
        let want = fixtures();
        let v = &c.vrrp;
        for (a, w) in v.static_addresses.iter().zip(&want.addrs) {
            assert_eq!(&addr(1, a), w);
        }
        let mut unsent = Vec::new();
        for (r, w) in v.static_routes.iter().zip(&want.routes) {
            let (m, u) = route(r, &names).unwrap();
            assert_eq!(&m, w);
            unsent.extend(u);
        }
        assert_eq!(unsent, vec!["realms".to_string()]);
        let (m, u) = rule(&v.static_rules[0], &names).unwrap();
        assert_eq!((&m, u.is_empty()), (&want.rules[0], true));
    }

    #[test]
    fn unknown_names_are_refused_before_anything_is_sent() {
        let c = config(CONF);
        let names = Lo(RtNames::default());
        let mut r = c.vrrp.static_routes[0].clone();
        r.dev = Some("nope0".into());
        assert_eq!(
            route(&r, &names),
            Err(EncodeError::UnknownInterface("nope0".into()))
        );
        r.table = Some("nosuch".into());
        assert_eq!(
            route(&r, &names),
            Err(EncodeError::UnknownTable("nosuch".into()))
        );
    }
}
