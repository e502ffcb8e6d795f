//! The requests: the config model's addresses, routes and rules as rtnetlink messages.
//!
//! Pure functions: each clears the caller's buffer, writes one message with the given sequence
//! number and returns what it could not carry ([`Unsent`], for the caller to log). They do what
//! `ip address|route|rule add|del` would do with the same words, with keepalived's defaults
//! where keepalived differs (said at each place).

use std::net::IpAddr;

use super::names::{Resolve, number};
use super::wire::*;
use crate::config::vrrp::{
    Broadcast, Family, IpAddress, Lifetime, Route, RouteDest, RouteOp, RouteOpt, RouteType, Rule,
    RuleAction, RuleAddr,
};

/// Add or delete.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Add,
    Del,
}

/// Why a request could not be built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EncodeError {
    UnknownInterface(String),
    UnknownTable(String),
    UnknownProtocol(String),
    /// An option whose value the kernel message cannot carry.
    BadValue {
        option: String,
        value: String,
    },
    /// More nexthops or options than a netlink attribute can hold.
    TooLong,
}

impl std::fmt::Display for EncodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EncodeError::UnknownInterface(n) => write!(f, "no interface `{n}`"),
            EncodeError::UnknownTable(n) => write!(f, "unknown routing table `{n}`"),
            EncodeError::UnknownProtocol(n) => write!(f, "unknown route protocol `{n}`"),
            EncodeError::BadValue { option, value } => {
                write!(f, "`{option} {value}` cannot be sent to the kernel")
            }
            EncodeError::TooLong => f.write_str("the request is too long for one netlink message"),
        }
    }
}

impl std::error::Error for EncodeError {}

impl From<TooLong> for EncodeError {
    fn from(_: TooLong) -> Self {
        EncodeError::TooLong
    }
}

/// Options of a config line that the request does not carry (their keywords).
pub type Unsent = Vec<String>;

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

/// `RTM_NEWADDR` / `RTM_DELADDR` for `a` on interface `ifindex`.
///
/// Like keepalived: IPv6 addresses get `IFA_F_NODAD` unless the line says `-nodad` (which
/// keepalived reads as "do DAD"), and their `preferred_lft` (0 by default for a /128, which marks
/// the VIP deprecated so that it is not picked as a source address) goes in `IFA_CACHEINFO` with
/// an infinite valid lifetime. A delete carries the address, its peer and prefix length only
/// (no label: the kernel would require it to match).
pub fn address(
    buf: &mut Vec<u8>,
    op: Op,
    seq: u32,
    ifindex: u32,
    a: &IpAddress,
) -> Result<(), EncodeError> {
    let addr = a.addr.addr;
    let v6 = addr.is_ipv6();
    let len = a.addr.len.unwrap_or(host_len(addr));
    let mut flags = 0u32;
    if op == Op::Add {
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
    }
    let mut e = begin(buf, op, seq, (RTM_NEWADDR, RTM_DELADDR), NLM_F_EXCL);
    let scope = if v6 {
        0
    } else {
        a.scope.map_or(0, |s| s.value())
    };
    let mut hdr = [0u8; 8];
    hdr[0] = if v6 { AF_INET6 } else { AF_INET };
    hdr[1] = len;
    hdr[2] = (flags & 0xff) as u8;
    hdr[3] = scope;
    hdr[4..].copy_from_slice(&ifindex.to_ne_bytes());
    e.fixed(&hdr);
    e.attr_ip(IFA_LOCAL, addr);
    e.attr_ip(IFA_ADDRESS, a.peer.map_or(addr, |p| p.addr));
    if op == Op::Add {
        if let (IpAddr::V4(v4), Some(b)) = (addr, a.broadcast) {
            let base = u32::from(v4);
            let mask = ipv4_mask(len);
            let brd = match b {
                Broadcast::Addr(x) => u32::from(x),
                Broadcast::SetHostBits => base | !mask,
                Broadcast::ClearHostBits => base & mask,
            };
            e.attr(IFA_BROADCAST, &brd.to_be_bytes());
        }
        if let Some(l) = a.label.as_deref().filter(|_| !v6) {
            e.attr_str(IFA_LABEL, l);
        }
        if flags != 0 {
            e.attr_u32(IFA_FLAGS, flags);
        }
        if v6 && let Some(Lifetime::Secs(pref)) = a.effective_preferred_lft() {
            let mut ci = [0u8; 16];
            ci[..4].copy_from_slice(&pref.to_ne_bytes());
            ci[4..8].copy_from_slice(&INFINITY_LIFE_TIME.to_ne_bytes());
            e.attr(IFA_CACHEINFO, &ci);
        }
    }
    Ok(e.finish()?)
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

/// Starts a request: `add` is an `RTM_NEW*` with `NLM_F_CREATE` and `add_flags`, `del` an
/// `RTM_DEL*`; both ask for an ACK.
fn begin<'b>(
    buf: &'b mut Vec<u8>,
    op: Op,
    seq: u32,
    (new, del): (u16, u16),
    add_flags: u16,
) -> Emitter<'b> {
    let (ty, flags) = match op {
        Op::Add => (new, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | add_flags),
        Op::Del => (del, NLM_F_REQUEST | NLM_F_ACK),
    };
    Emitter::new(buf, ty, flags, seq)
}

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

fn gateway(e: &mut Emitter<'_>, family: Family, g: IpAddr) {
    if Family::of(g) == family {
        e.attr_ip(RTA_GATEWAY, g);
    } else {
        // RTA_VIA: struct rtvia { family, address } for a gateway of the other family.
        const RTA_VIA: u16 = 18;
        let mut v = Vec::with_capacity(18);
        v.extend_from_slice(&u16::from(family_byte(Family::of(g))).to_ne_bytes());
        match g {
            IpAddr::V4(a) => v.extend_from_slice(&a.octets()),
            IpAddr::V6(a) => v.extend_from_slice(&a.octets()),
        }
        e.attr(RTA_VIA, &v);
    }
}

/// `RTM_NEWROUTE` / `RTM_DELROUTE` for `r`.
///
/// Defaults: table main; protocol `keepalived` (18) unless the route says `no_track` (then
/// `boot`, as `ip route`), because keepalived tracks only routes of its own protocol; the
/// operation `prepend` (`NLM_F_CREATE`), `add` adds `NLM_F_EXCL`, `append` `NLM_F_APPEND`; the
/// scope as `ip route` picks it (host for local/nat, link for broadcast/multicast/anycast and for
/// unicast without a gateway, else global). A delete carries the same keys with scope "any"
/// unless one is given and no type unless one is given, so it matches the route we added and,
/// through the protocol, not somebody else's identical one.
pub fn route(
    buf: &mut Vec<u8>,
    op: Op,
    seq: u32,
    r: &Route,
    names: &dyn Resolve,
) -> Result<Unsent, EncodeError> {
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
    let ifindex = |name: &str| {
        names
            .ifindex(name)
            .ok_or_else(|| EncodeError::UnknownInterface(name.to_string()))
    };
    let oif = r.dev.as_deref().map(ifindex).transpose()?;
    let kind = r.kind.unwrap_or(RouteType::Unicast);
    let has_gw = r.via.is_some() || !r.nexthops.is_empty();
    let scope = match (r.scope, op) {
        (Some(s), _) => s.value(),
        (None, Op::Del) => RT_SCOPE_NOWHERE,
        (None, Op::Add) => match kind {
            RouteType::Local | RouteType::Nat => RT_SCOPE_HOST,
            RouteType::Broadcast | RouteType::Multicast | RouteType::Anycast => RT_SCOPE_LINK,
            RouteType::Unicast if !has_gw => RT_SCOPE_LINK,
            _ => RT_SCOPE_UNIVERSE,
        },
    };
    let rtm_type = match (r.kind, op) {
        (None, Op::Del) => 0,
        _ => rtn(kind),
    };

    // Options: the header's tos and flags, metrics, and the IPv6 extras.
    let mut tos = 0u8;
    let mut rtm_flags = 0u32;
    let mut metrics: Vec<(u16, u32)> = Vec::new();
    let mut lock = 0u32;
    let mut pref = None;
    let mut expires = None;
    for o in &r.options {
        match o.key.as_str() {
            "onlink" => rtm_flags |= u32::from(RTNH_F_ONLINK),
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

    let how = match r.op {
        Some(RouteOp::Add) => NLM_F_EXCL,
        Some(RouteOp::Append) => NLM_F_APPEND,
        Some(RouteOp::Prepend) | None => 0,
    };
    let mut e = begin(buf, op, seq, (RTM_NEWROUTE, RTM_DELROUTE), how);
    let mut hdr = [0u8; 12];
    hdr[0] = family_byte(family);
    hdr[1] = dst_len;
    hdr[2] = r.from.map_or(0, |p| p.len.unwrap_or(host_len(p.addr)));
    hdr[3] = tos;
    hdr[4] = u8::try_from(table).unwrap_or(RT_TABLE_UNSPEC);
    hdr[5] = protocol;
    hdr[6] = scope;
    hdr[7] = rtm_type;
    hdr[8..].copy_from_slice(&rtm_flags.to_ne_bytes());
    e.fixed(&hdr);
    e.attr_u32(RTA_TABLE, table);
    if let Some(d) = dst {
        e.attr_ip(RTA_DST, d);
    }
    if let Some(f) = r.from {
        e.attr_ip(RTA_SRC, f.addr);
    }
    if let Some(s) = r.src {
        e.attr_ip(RTA_PREFSRC, s);
    }
    if let Some(g) = r.via {
        gateway(&mut e, family, g);
    }
    if let Some(i) = oif {
        e.attr_u32(RTA_OIF, i);
    }
    if let Some(m) = r.metric {
        e.attr_u32(RTA_PRIORITY, m);
    }
    if !metrics.is_empty() {
        let at = e.begin_nest(RTA_METRICS);
        if lock != 0 {
            e.attr_u32(RTAX_LOCK, lock);
        }
        for (t, v) in metrics {
            e.attr_u32(t, v);
        }
        e.end_nest(at);
    }
    if let Some(p) = pref {
        e.attr_u8(RTA_PREF, p);
    }
    if let Some(x) = expires {
        e.attr_u32(RTA_EXPIRES, x);
    }
    if !r.nexthops.is_empty() {
        let at = e.begin_nest(RTA_MULTIPATH);
        for nh in &r.nexthops {
            let index = nh.dev.as_deref().map(ifindex).transpose()?.unwrap_or(0);
            // struct rtnexthop { len u16, flags u8, hops u8 (weight - 1), ifindex i32 }
            let mut rtnh = [0u8; 8];
            rtnh[2] = if nh.onlink { RTNH_F_ONLINK } else { 0 };
            rtnh[3] = nh.weight.map_or(0, |w| w.clamp(1, 256) - 1) as u8;
            rtnh[4..].copy_from_slice(&index.to_ne_bytes());
            let raw = e.begin_raw(&rtnh);
            if let Some(g) = nh.via {
                gateway(&mut e, family, g);
            }
            e.end_raw(raw);
            unsent.extend(nh.options.iter().map(|o| format!("nexthop {}", o.key)));
        }
        e.end_nest(at);
    }
    e.finish()?;
    Ok(unsent)
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

/// `RTM_NEWRULE` / `RTM_DELRULE` for `r`.
///
/// A tracked rule (no `no_track`) always carries protocol `keepalived` (18), as keepalived forces
/// it (the config reader has warned if the line said otherwise); a delete carries it too, so it
/// only removes our rule. An add uses `NLM_F_EXCL`, so that a second add of the same rule is
/// `EEXIST` instead of a duplicate rule.
pub fn rule(
    buf: &mut Vec<u8>,
    op: Op,
    seq: u32,
    r: &Rule,
    names: &dyn Resolve,
) -> Result<Unsent, EncodeError> {
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

    let mut e = begin(buf, op, seq, (RTM_NEWRULE, RTM_DELRULE), NLM_F_EXCL);
    // struct fib_rule_hdr { family, dst_len, src_len, tos, table, res1, res2, action, flags u32 }
    let mut hdr = [0u8; 12];
    hdr[0] = family_byte(family);
    hdr[1] = to.map_or(0, |p| p.len.unwrap_or(host_len(p.addr)));
    hdr[2] = from.map_or(0, |p| p.len.unwrap_or(host_len(p.addr)));
    hdr[3] = tos;
    hdr[4] = table
        .and_then(|t| u8::try_from(t).ok())
        .unwrap_or(RT_TABLE_UNSPEC);
    hdr[7] = action;
    let flags = if r.not { FIB_RULE_INVERT } else { 0 };
    hdr[8..].copy_from_slice(&flags.to_ne_bytes());
    e.fixed(&hdr);
    if let Some(t) = table {
        e.attr_u32(FRA_TABLE, t);
    }
    if let Some(p) = r.preference {
        e.attr_u32(FRA_PRIORITY, p);
    }
    if let Some(p) = from {
        e.attr_ip(FRA_SRC, p.addr);
    }
    if let Some(p) = to {
        e.attr_ip(FRA_DST, p.addr);
    }
    if let RuleAction::Goto(g) = r.action {
        e.attr_u32(FRA_GOTO, g);
    }
    if r.action == RuleAction::L3mdev {
        e.attr_u8(FRA_L3MDEV, 1);
    }
    if let Some(i) = &r.iif {
        e.attr_str(FRA_IIFNAME, i);
    }
    if let Some(o) = &r.oif {
        e.attr_str(FRA_OIFNAME, o);
    }
    if let Some((m, mask)) = fwmark {
        e.attr_u32(FRA_FWMARK, m);
        if let Some(k) = mask {
            e.attr_u32(FRA_FWMASK, k);
        }
    }
    if let Some(p) = protocol {
        e.attr_u8(FRA_PROTOCOL, p);
    }
    for (t, v) in u32_attrs {
        e.attr_u32(t, v);
    }
    for (t, v) in raw_attrs {
        e.attr(t, &v);
    }
    e.finish()?;
    Ok(unsent)
}

/// A macvlan link to create: keepalived's VMAC (`vrrp_vmac.c` `netlink_link_add_vmac`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMacvlan {
    pub name: String,
    /// The parent (lower) interface's index.
    pub parent: u32,
    pub mac: [u8; 6],
    /// `MACVLAN_MODE_*`; keepalived uses private.
    pub mode: u32,
    /// `IFLA_GROUP` (keepalived 2.3+ copies the parent's unless `use_vmac group` says).
    pub group: Option<u32>,
}

/// `struct ifinfomsg { family u8, pad u8, type u16, index i32, flags u32, change u32 }`.
fn ifinfo(index: u32, flags: u32, change: u32) -> [u8; 16] {
    let mut h = [0u8; 16];
    h[0] = AF_UNSPEC;
    h[4..8].copy_from_slice(&index.to_ne_bytes());
    h[8..12].copy_from_slice(&flags.to_ne_bytes());
    h[12..].copy_from_slice(&change.to_ne_bytes());
    h
}

/// `RTM_NEWLINK` creating `m` (`NLM_F_CREATE | NLM_F_EXCL`: an existing name is an error), as
/// `ip link add NAME link PARENT address MAC type macvlan mode private` sends it. The link is
/// created down.
pub fn new_macvlan(buf: &mut Vec<u8>, seq: u32, m: &NewMacvlan) -> Result<(), EncodeError> {
    let flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;
    let mut e = Emitter::new(buf, RTM_NEWLINK, flags, seq);
    e.fixed(&ifinfo(0, 0, 0));
    e.attr(IFLA_ADDRESS, &m.mac);
    e.attr_u32(IFLA_LINK, m.parent);
    e.attr_str(IFLA_IFNAME, &m.name);
    if let Some(g) = m.group {
        e.attr_u32(IFLA_GROUP, g);
    }
    let info = e.begin_nest(IFLA_LINKINFO);
    // iproute2 and keepalived send the kind without its NUL.
    e.attr(IFLA_INFO_KIND, b"macvlan");
    let data = e.begin_nest(IFLA_INFO_DATA);
    e.attr_u32(IFLA_MACVLAN_MODE, m.mode);
    e.end_nest(data);
    e.end_nest(info);
    Ok(e.finish()?)
}

/// `RTM_DELLINK` of interface `ifindex` (`ip link del`).
pub fn del_link(buf: &mut Vec<u8>, seq: u32, ifindex: u32) -> Result<(), EncodeError> {
    let mut e = Emitter::new(buf, RTM_DELLINK, NLM_F_REQUEST | NLM_F_ACK, seq);
    e.fixed(&ifinfo(ifindex, 0, 0));
    Ok(e.finish()?)
}

/// `RTM_NEWLINK` setting interface `ifindex` administratively up or down (`ip link set up`).
pub fn set_link_up(buf: &mut Vec<u8>, seq: u32, ifindex: u32, up: bool) -> Result<(), EncodeError> {
    let mut e = Emitter::new(buf, RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK, seq);
    e.fixed(&ifinfo(ifindex, if up { IFF_UP } else { 0 }, IFF_UP));
    Ok(e.finish()?)
}

/// A dump request: `RTM_GETLINK` (without statistics) or `RTM_GETADDR`, both families.
pub fn dump(buf: &mut Vec<u8>, ty: u16, seq: u32) -> Result<(), EncodeError> {
    let mut e = Emitter::new(buf, ty, NLM_F_REQUEST | NLM_F_DUMP, seq);
    if ty == RTM_GETLINK {
        e.fixed(&[0u8; 16]);
        e.attr_u32(IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
    } else {
        e.fixed(&[0u8; 8]);
    }
    Ok(e.finish()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Config, Diagnostics};
    use crate::netlink::names::RtNames;
    use crate::netlink::wire::{Attrs, Messages};

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

    fn config() -> Config {
        let mut d = Diagnostics::default();
        let c = Config::from_text(CONF, &mut d);
        assert_eq!(c.vrrp.static_addresses.len(), 2, "{:?}", d.list);
        assert_eq!(c.vrrp.static_routes.len(), 3, "{:?}", d.list);
        assert_eq!(c.vrrp.static_rules.len(), 1, "{:?}", d.list);
        c
    }

    fn hex(s: &str) -> Vec<u8> {
        s.split_whitespace()
            .map(|b| u8::from_str_radix(b, 16).unwrap())
            .collect()
    }

    type Canon = (u16, u16, Vec<u8>, Vec<(u16, Vec<u8>)>);

    /// Type, flags, family header and the attributes as a sorted list: the parts of a request
    /// that matter, whatever the attribute order and sequence number.
    fn canon(b: &[u8], fixed: usize) -> Canon {
        let mut it = Messages::new(b);
        let m = it.next().unwrap().unwrap();
        assert!(it.next().is_none());
        let mut attrs: Vec<(u16, Vec<u8>)> = Attrs::new(&m.payload[fixed..])
            .map(|a| a.map(|(t, p)| (t, p.to_vec())).unwrap())
            .collect();
        attrs.sort();
        (m.ty, m.flags, m.payload[..fixed].to_vec(), attrs)
    }

    /// Our request equals what `ip` sent (captured with `strace -e write=3`), plus the
    /// attributes we always send and iproute2 leaves out when they repeat a header field.
    fn same_as_iproute2(ours: &[u8], theirs: &str, fixed: usize, extra: &[(u16, Vec<u8>)]) {
        let mut want = canon(&hex(theirs), fixed);
        want.3.extend(extra.iter().cloned());
        want.3.sort();
        assert_eq!(canon(ours, fixed), want);
    }

    #[cfg(target_endian = "little")]
    #[test]
    fn requests_match_iproute2() {
        let c = config();
        let names = Lo(RtNames::default());
        let mut b = Vec::new();

        // ip addr add 10.99.1.10/32 brd 10.99.1.255 dev lo label lo:vip
        address(&mut b, Op::Add, 1, 1, &c.vrrp.static_addresses[0]).unwrap();
        same_as_iproute2(
            &b,
            "3c 00 00 00 14 00 05 06 71 a0 05 6b 00 00 00 00 02 20 00 00 01 00 00 00 08 00 02 00
             0a 63 01 0a 08 00 04 00 0a 63 01 ff 0b 00 03 00 6c 6f 3a 76 69 70 00 00 08 00 01 00
             0a 63 01 0a",
            8,
            &[],
        );

        // ip addr add fd00:99::10/128 dev lo nodad preferred_lft 0 (keepalived's defaults for a
        // /128 VIP); we also send the flags as IFA_FLAGS, as keepalived does.
        address(&mut b, Op::Add, 1, 1, &c.vrrp.static_addresses[1]).unwrap();
        same_as_iproute2(
            &b,
            "54 00 00 00 14 00 05 06 71 a0 05 6b 00 00 00 00 0a 80 02 00 01 00 00 00 14 00 02 00
             fd 00 00 99 00 00 00 00 00 00 00 00 00 00 00 10 14 00 01 00 fd 00 00 99 00 00 00 00
             00 00 00 00 00 00 00 10 14 00 06 00 00 00 00 00 ff ff ff ff 00 00 00 00 00 00 00 00",
            8,
            &[(IFA_FLAGS, IFA_F_NODAD.to_ne_bytes().to_vec())],
        );

        // ip route add 10.50.0.0/16 via 10.99.1.10 dev lo table 100 metric 7 proto keepalived
        let unsent = route(&mut b, Op::Add, 1, &c.vrrp.static_routes[0], &names).unwrap();
        assert!(unsent.is_empty());
        same_as_iproute2(
            &b,
            "3c 00 00 00 18 00 05 06 71 a0 05 6b 00 00 00 00 02 10 00 00 64 12 00 01 00 00 00 00
             08 00 01 00 0a 32 00 00 08 00 05 00 0a 63 01 0a 08 00 06 00 07 00 00 00 08 00 04 00
             01 00 00 00",
            12,
            &[(RTA_TABLE, 100u32.to_ne_bytes().to_vec())],
        );

        // ip route add 10.60.0.0/16 table 1000 proto keepalived
        //     nexthop via 10.99.1.10 dev lo weight 2 nexthop via 10.99.1.11 dev lo
        route(&mut b, Op::Add, 1, &c.vrrp.static_routes[1], &names).unwrap();
        same_as_iproute2(
            &b,
            "50 00 00 00 18 00 05 06 71 a0 05 6b 00 00 00 00 02 10 00 00 00 12 00 01 00 00 00 00
             08 00 01 00 0a 3c 00 00 08 00 0f 00 e8 03 00 00 24 00 09 00 10 00 00 01 01 00 00 00
             08 00 05 00 0a 63 01 0a 10 00 00 00 01 00 00 00 08 00 05 00 0a 63 01 0b",
            12,
            &[],
        );

        // ip rule add from 10.50.0.0/16 table 100 priority 100 protocol keepalived
        rule(&mut b, Op::Add, 1, &c.vrrp.static_rules[0], &names).unwrap();
        same_as_iproute2(
            &b,
            "34 00 00 00 20 00 05 06 71 a0 05 6b 00 00 00 00 02 00 10 00 64 00 00 01 00 00 00 00
             08 00 02 00 0a 32 00 00 08 00 06 00 64 00 00 00 05 00 15 00 12 00 00 00",
            12,
            &[(FRA_TABLE, 100u32.to_ne_bytes().to_vec())],
        );
    }

    /// `ip link add vrrp.51 link eth0 address 00:00:5e:00:01:33 type macvlan mode private`,
    /// `ip link set vrrp.51 up` and `ip link del vrrp.51` (eth0 is 3, vrrp.51 is 4), captured
    /// with `strace -e write=3` (iproute2 6.x).
    #[cfg(target_endian = "little")]
    #[test]
    fn link_requests_match_iproute2() {
        let mut b = Vec::new();
        let m = NewMacvlan {
            name: "vrrp.51".into(),
            parent: 3,
            mac: [0, 0, 0x5e, 0, 1, 0x33],
            mode: MACVLAN_MODE_PRIVATE,
            group: None,
        };
        new_macvlan(&mut b, 1, &m).unwrap();
        same_as_iproute2(
            &b,
            "5c 00 00 00 10 00 05 06 42 aa 05 6b 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
             00 00 00 00 0a 00 01 00 00 00 5e 00 01 33 00 00 08 00 05 00 03 00 00 00 0c 00 03 00
             76 72 72 70 2e 35 31 00 1c 00 12 00 0b 00 01 00 6d 61 63 76 6c 61 6e 00 0c 00 02 00
             08 00 01 00 01 00 00 00",
            16,
            &[],
        );
        set_link_up(&mut b, 1, 4, true).unwrap();
        same_as_iproute2(
            &b,
            "20 00 00 00 10 00 05 00 42 aa 05 6b 00 00 00 00 00 00 00 00 04 00 00 00 01 00 00 00
             01 00 00 00",
            16,
            &[],
        );
        del_link(&mut b, 1, 4).unwrap();
        same_as_iproute2(
            &b,
            "20 00 00 00 11 00 05 00 42 aa 05 6b 00 00 00 00 00 00 00 00 04 00 00 00 00 00 00 00
             00 00 00 00",
            16,
            &[],
        );
        // A group goes in IFLA_GROUP.
        let m = NewMacvlan {
            group: Some(7),
            ..m
        };
        new_macvlan(&mut b, 1, &m).unwrap();
        let (_, _, _, attrs) = canon(&b, 16);
        assert!(attrs.contains(&(IFLA_GROUP, 7u32.to_ne_bytes().to_vec())));
    }

    #[test]
    fn deletes_match_without_creating() {
        let c = config();
        let names = Lo(RtNames::default());
        let mut b = Vec::new();
        address(&mut b, Op::Del, 9, 1, &c.vrrp.static_addresses[0]).unwrap();
        let (ty, flags, hdr, attrs) = canon(&b, 8);
        assert_eq!((ty, flags), (RTM_DELADDR, NLM_F_REQUEST | NLM_F_ACK));
        assert_eq!(hdr[1], 32);
        let types: Vec<u16> = attrs.iter().map(|a| a.0).collect();
        assert_eq!(
            types,
            vec![IFA_ADDRESS, IFA_LOCAL],
            "no label, no broadcast"
        );

        route(&mut b, Op::Del, 9, &c.vrrp.static_routes[0], &names).unwrap();
        let (ty, flags, hdr, _) = canon(&b, 12);
        assert_eq!((ty, flags), (RTM_DELROUTE, NLM_F_REQUEST | NLM_F_ACK));
        // Our protocol, any scope, any type.
        assert_eq!(
            (hdr[5], hdr[6], hdr[7]),
            (RTPROT_KEEPALIVED, RT_SCOPE_NOWHERE, 0)
        );

        rule(&mut b, Op::Del, 9, &c.vrrp.static_rules[0], &names).unwrap();
        let (ty, flags, _, attrs) = canon(&b, 12);
        assert_eq!((ty, flags), (RTM_DELRULE, NLM_F_REQUEST | NLM_F_ACK));
        assert!(attrs.contains(&(FRA_PROTOCOL, vec![RTPROT_KEEPALIVED])));
    }

    #[test]
    fn metrics_defaults_and_what_is_not_sent() {
        let c = config();
        let names = Lo(RtNames::default());
        let mut b = Vec::new();
        let unsent = route(&mut b, Op::Add, 1, &c.vrrp.static_routes[2], &names).unwrap();
        assert_eq!(unsent, vec!["realms".to_string()]);
        let (_, flags, hdr, attrs) = canon(&b, 12);
        assert_eq!(flags, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE, "prepend");
        // no_track: protocol boot; no gateway: scope link; table main.
        assert_eq!((hdr[4], hdr[5], hdr[6]), (254, RTPROT_BOOT, RT_SCOPE_LINK));
        let metrics = &attrs.iter().find(|a| a.0 == RTA_METRICS).unwrap().1;
        let inner: Vec<_> = Attrs::new(metrics).map(Result::unwrap).collect();
        assert_eq!(
            inner,
            vec![
                (RTAX_LOCK, &(1u32 << 2).to_ne_bytes()[..]),
                (2, &1400u32.to_ne_bytes()[..])
            ]
        );
        // An interface or table nobody knows is refused before anything is sent.
        let mut r = c.vrrp.static_routes[0].clone();
        r.dev = Some("nope0".into());
        assert_eq!(
            route(&mut b, Op::Add, 1, &r, &names),
            Err(EncodeError::UnknownInterface("nope0".into()))
        );
        r.table = Some("nosuch".into());
        assert_eq!(
            route(&mut b, Op::Add, 1, &r, &names),
            Err(EncodeError::UnknownTable("nosuch".into()))
        );
    }
}
