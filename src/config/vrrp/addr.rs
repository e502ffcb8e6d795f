//! Addresses (`virtual_ipaddress`, `virtual_ipaddress_excluded`, `static_ipaddress`), routes
//! (`virtual_routes`, `static_routes`) and rules (`virtual_rules`, `static_rules`): one line each,
//! in the words of `ip address|route|rule add` (full option names only, as keepalived).
//!
//! Routes and rules type their main fields; the other options are kept in order as
//! ([`RouteOpt`]) keyword and values, checked where cheap, and written back unchanged.

use std::net::{IpAddr, Ipv4Addr};

use super::super::source::Diagnostics;
use super::super::tree::{Node, Word};
use super::super::value::{self, Prefix};
use super::{At, Family, quote, warn_at};

/// Where an address line is read.
pub(super) enum AddrUse<'a> {
    /// `virtual_ipaddress` / `virtual_ipaddress_excluded` (`use_vmac` allowed).
    Virtual,
    /// `static_ipaddress` (`track_group` allowed; the groups defined so far).
    Static(&'a [String]),
}

/// `brd` of an IPv4 address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Broadcast {
    Addr(Ipv4Addr),
    /// `brd +`: the address with all host bits set.
    SetHostBits,
    /// `brd -`: the address with all host bits clear.
    ClearHostBits,
}

/// An address or route scope (`/etc/iproute2/rt_scopes`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Global,
    Site,
    Link,
    Host,
    Nowhere,
    Other(u8),
}

impl Scope {
    pub fn parse(s: &str) -> Option<Scope> {
        Some(match s {
            "global" | "universe" => Scope::Global,
            "site" => Scope::Site,
            "link" => Scope::Link,
            "host" => Scope::Host,
            "nowhere" => Scope::Nowhere,
            _ => match value::parse_uint(s)? {
                0 => Scope::Global,
                200 => Scope::Site,
                253 => Scope::Link,
                254 => Scope::Host,
                255 => Scope::Nowhere,
                n if n < 256 => Scope::Other(n as u8),
                _ => return None,
            },
        })
    }

    pub fn value(self) -> u8 {
        match self {
            Scope::Global => 0,
            Scope::Site => 200,
            Scope::Link => 253,
            Scope::Host => 254,
            Scope::Nowhere => 255,
            Scope::Other(n) => n,
        }
    }
}

impl std::fmt::Display for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Scope::Global => f.write_str("global"),
            Scope::Site => f.write_str("site"),
            Scope::Link => f.write_str("link"),
            Scope::Host => f.write_str("host"),
            Scope::Nowhere => f.write_str("nowhere"),
            Scope::Other(n) => write!(f, "{n}"),
        }
    }
}

/// `preferred_lft` of an address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lifetime {
    Secs(u32),
    Forever,
}

/// One address line: `IP[/LEN] [brd IP|+|-] [dev IF] [scope S] [label L] [peer IP[/LEN]] [home]
/// [-nodad] [mngtmpaddr] [noprefixroute] [autojoin] [no_track] [preferred_lft N|forever]
/// [use_vmac] [track_group G]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IpAddress {
    /// The address; the length (`None`: /32 or /128) is replaced by the peer's with `peer`.
    pub addr: Prefix,
    pub broadcast: Option<Broadcast>,
    /// `dev IF` (default: the instance's interface, or its VMAC; static: `default_interface`).
    pub dev: Option<String>,
    /// `scope S` (IPv4 only).
    pub scope: Option<Scope>,
    /// `label L` (IPv4 only, at most 15 characters).
    pub label: Option<String>,
    pub peer: Option<Prefix>,
    pub home: bool,
    /// `-nodad`.
    pub nodad: bool,
    pub mngtmpaddr: bool,
    pub noprefixroute: bool,
    pub autojoin: bool,
    /// `no_track`: deleting it does not take the instance out of MASTER.
    pub no_track: bool,
    /// `preferred_lft` (IPv6 default: 0 for a /128, forever otherwise).
    pub preferred_lft: Option<Lifetime>,
    /// `use_vmac` (virtual addresses only): put it on a VMAC on its `dev`.
    pub use_vmac: bool,
    /// `track_group G` (static addresses only, needs `dev`).
    pub track_group: Option<String>,
    pub at: At,
}

impl IpAddress {
    /// `addr` with no option.
    pub fn plain(addr: Prefix, at: At) -> IpAddress {
        IpAddress {
            addr,
            broadcast: None,
            dev: None,
            scope: None,
            label: None,
            peer: None,
            home: false,
            nodad: false,
            mngtmpaddr: false,
            noprefixroute: false,
            autojoin: false,
            no_track: false,
            preferred_lft: None,
            use_vmac: false,
            track_group: None,
            at,
        }
    }

    pub fn family(&self) -> Family {
        Family::of(self.addr.addr)
    }

    /// The IPv6 preferred lifetime in force.
    pub fn effective_preferred_lft(&self) -> Option<Lifetime> {
        match (self.preferred_lft, self.addr.addr) {
            (Some(l), _) => Some(l),
            (None, IpAddr::V6(_)) if self.addr.len.unwrap_or(128) == 128 => Some(Lifetime::Secs(0)),
            (None, IpAddr::V6(_)) => Some(Lifetime::Forever),
            (None, IpAddr::V4(_)) => None,
        }
    }

    pub fn words(&self) -> Vec<String> {
        let mut v = vec![self.addr.to_string()];
        match self.broadcast {
            Some(Broadcast::Addr(a)) => v.extend(["brd".into(), a.to_string()]),
            Some(Broadcast::SetHostBits) => v.extend(["brd".into(), "+".into()]),
            Some(Broadcast::ClearHostBits) => v.extend(["brd".into(), "-".into()]),
            None => {}
        }
        if let Some(dv) = &self.dev {
            v.extend(["dev".into(), quote(dv)]);
        }
        if let Some(s) = self.scope {
            v.extend(["scope".into(), s.to_string()]);
        }
        if let Some(l) = &self.label {
            v.extend(["label".into(), quote(l)]);
        }
        if let Some(p) = self.peer {
            v.extend(["peer".into(), p.to_string()]);
        }
        for (on, w) in [
            (self.home, "home"),
            (self.nodad, "-nodad"),
            (self.mngtmpaddr, "mngtmpaddr"),
            (self.noprefixroute, "noprefixroute"),
            (self.autojoin, "autojoin"),
            (self.no_track, "no_track"),
            (self.use_vmac, "use_vmac"),
        ] {
            if on {
                v.push(w.into());
            }
        }
        match self.preferred_lft {
            Some(Lifetime::Secs(s)) => v.extend(["preferred_lft".into(), s.to_string()]),
            Some(Lifetime::Forever) => v.extend(["preferred_lft".into(), "forever".into()]),
            None => {}
        }
        if let Some(g) = &self.track_group {
            v.extend(["track_group".into(), quote(g)]);
        }
        v
    }
}

/// Reads an address with an optional prefix length as keepalived does: a bad length is reported
/// and the host length used.
fn addr_with_len(d: &mut Diagnostics, kw: &str, w: &Word) -> Option<Prefix> {
    if let Some(p) = value::parse_prefix(&w.text) {
        return Some(p);
    }
    let (a, l) = w.text.split_once('/').unwrap_or((&w.text, ""));
    match a.parse::<IpAddr>() {
        Ok(addr) if !l.is_empty() || w.text.ends_with('/') => {
            let max = if addr.is_ipv4() { 32 } else { 128 };
            warn_at(
                d,
                At::word(w),
                format!(
                    "`{kw}`: invalid prefix length `{l}` in `{}` (range [0, {max}]) - using {max}",
                    w.text
                ),
            );
            Some(Prefix { addr, len: None })
        }
        _ => {
            warn_at(
                d,
                At::word(w),
                format!(
                    "`{kw}`: `{}` is not an address or address/prefix - skipping the line",
                    w.text
                ),
            );
            None
        }
    }
}

fn block_kw(u: &AddrUse<'_>) -> &'static str {
    match u {
        AddrUse::Virtual => "virtual_ipaddress",
        AddrUse::Static(_) => "static_ipaddress",
    }
}

const ADDR_OPTIONS: &[&str] = &[
    "dev",
    "scope",
    "brd",
    "broadcast",
    "label",
    "peer",
    "home",
    "-nodad",
    "mngtmpaddr",
    "noprefixroute",
    "autojoin",
    "no_track",
    "preferred_lft",
    "use_vmac",
    "track_group",
];

/// Reads one address line; `None` when keepalived would skip the address.
pub(super) fn parse_address(d: &mut Diagnostics, line: &Node, u: AddrUse<'_>) -> Option<IpAddress> {
    let kw = block_kw(&u);
    let words = &line.words;
    let first = &words[0];
    let addr = addr_with_len(d, kw, first)?;
    let mut a = IpAddress::plain(addr, At::word(first));
    let v6 = addr.addr.is_ipv6();
    let mut i = 1;
    while i < words.len() {
        let w = &words[i];
        let opt = w.text.as_str();
        let takes_value = matches!(
            opt,
            "dev" | "scope" | "brd" | "broadcast" | "label" | "peer" | "preferred_lft"
        ) || (opt == "track_group" && matches!(u, AddrUse::Static(_)));
        let val = words.get(i + 1);
        if takes_value && val.is_none() {
            warn_at(
                d,
                At::word(w),
                format!(
                    "`{kw}`: `{opt}` needs a value for `{}` - skipping the address",
                    first.text
                ),
            );
            return None;
        }
        match (opt, val) {
            ("dev", Some(v)) => {
                if a.dev.is_some() {
                    warn_at(
                        d,
                        At::word(w),
                        format!(
                            "`{kw}`: `dev` given twice for `{}` - skipping the address",
                            first.text
                        ),
                    );
                    return None;
                }
                if !super::ifname_ok(d, kw, v) {
                    return None;
                }
                a.dev = Some(v.text.clone());
            }
            ("scope", Some(v)) => match Scope::parse(&v.text) {
                Some(s) => a.scope = Some(s),
                None => {
                    warn_at(
                        d,
                        At::word(v),
                        format!(
                            "`{kw}`: invalid scope `{}` for `{}` (use global|site|link|host|nowhere|0..255) - ignoring",
                            v.text, first.text
                        ),
                    );
                }
            },
            ("brd" | "broadcast", Some(v)) => {
                if v6 {
                    warn_at(
                        d,
                        At::word(w),
                        format!(
                            "`{kw}`: a broadcast address for the IPv6 address `{}` - skipping the address",
                            first.text
                        ),
                    );
                    return None;
                }
                a.broadcast = Some(match v.text.as_str() {
                    "+" => Broadcast::SetHostBits,
                    "-" => Broadcast::ClearHostBits,
                    t => match t.parse::<Ipv4Addr>() {
                        Ok(b) => Broadcast::Addr(b),
                        Err(_) => {
                            warn_at(
                                d,
                                At::word(v),
                                format!(
                                    "`{kw}`: invalid broadcast `{t}` (use an IPv4 address, + or -) - skipping the address"
                                ),
                            );
                            return None;
                        }
                    },
                });
            }
            ("label", Some(v)) => {
                if v.text.len() >= 16 {
                    warn_at(
                        d,
                        At::word(v),
                        format!(
                            "`{kw}`: label `{}` is longer than 15 characters - skipping the address",
                            v.text
                        ),
                    );
                    return None;
                }
                a.label = Some(v.text.clone());
            }
            ("peer", Some(v)) => {
                if a.peer.is_some() {
                    warn_at(
                        d,
                        At::word(v),
                        format!("`{kw}`: a second peer `{}` - ignoring", v.text),
                    );
                } else {
                    match value::parse_prefix(&v.text) {
                        None => {
                            warn_at(
                                d,
                                At::word(v),
                                format!("`{kw}`: invalid peer address `{}` - ignoring", v.text),
                            );
                        }
                        Some(p) if p.addr.is_ipv6() != v6 => {
                            warn_at(
                                d,
                                At::word(v),
                                format!(
                                    "`{kw}`: peer `{}` is not of the address family of `{}` - ignoring",
                                    v.text, first.text
                                ),
                            );
                        }
                        Some(p) => {
                            let host = if v6 { 128 } else { 32 };
                            if a.addr.len.is_some_and(|l| l != host) {
                                warn_at(
                                    d,
                                    At::word(first),
                                    format!(
                                        "`{kw}`: a prefix length with a peer address - the address prefix `{}` is ignored",
                                        first.text
                                    ),
                                );
                            }
                            a.addr.len = p.len;
                            a.peer = Some(p);
                        }
                    }
                }
            }
            ("preferred_lft", Some(v)) => {
                if v.text == "forever" {
                    a.preferred_lft = Some(Lifetime::Forever);
                } else if let Some(n) = value::int_in(d, "preferred_lft", v, 0, u32::MAX as i64) {
                    a.preferred_lft = Some(Lifetime::Secs(n as u32));
                }
            }
            ("track_group", Some(v)) if matches!(u, AddrUse::Static(_)) => {
                let AddrUse::Static(groups) = &u else {
                    unreachable!("guarded above")
                };
                if a.track_group.is_some() {
                    warn_at(
                        d,
                        At::word(v),
                        format!("`{kw}`: track_group `{}` is a duplicate - ignoring", v.text),
                    );
                } else if !groups.contains(&v.text) {
                    warn_at(
                        d,
                        At::word(v),
                        format!(
                            "`{kw}`: no track_group `{}` is defined before this point - ignoring",
                            v.text
                        ),
                    );
                } else {
                    a.track_group = Some(v.text.clone());
                }
            }
            ("home", _) => a.home = true,
            ("-nodad", _) => a.nodad = true,
            ("mngtmpaddr", _) => a.mngtmpaddr = true,
            ("noprefixroute", _) => a.noprefixroute = true,
            ("autojoin", _) => a.autojoin = true,
            ("no_track", _) => a.no_track = true,
            ("use_vmac", _) if matches!(u, AddrUse::Virtual) => a.use_vmac = true,
            _ => {
                let diag = warn_at(
                    d,
                    At::word(w),
                    format!(
                        "`{kw}`: unknown option `{opt}` for `{}` - ignoring",
                        first.text
                    ),
                );
                value::did_you_mean(diag, opt, ADDR_OPTIONS);
                i += 1;
                continue;
            }
        }
        i += if takes_value { 2 } else { 1 };
    }
    if a.broadcast.is_some() && a.peer.is_some() {
        warn_at(
            d,
            a.at,
            format!(
                "`{kw}`: both a broadcast and a peer address for `{}` - ignoring the broadcast",
                first.text
            ),
        );
        a.broadcast = None;
    }
    if matches!(
        a.broadcast,
        Some(Broadcast::SetHostBits | Broadcast::ClearHostBits)
    ) && a.addr.len.unwrap_or(32) > 30
    {
        warn_at(
            d,
            a.at,
            format!(
                "`{kw}`: prefix length /{} is too long for `brd +|-` on `{}` - no broadcast",
                a.addr.len.unwrap_or(32),
                first.text
            ),
        );
        a.broadcast = None;
    }
    if v6 && a.scope.is_some() {
        warn_at(
            d,
            a.at,
            format!(
                "`{kw}`: a scope cannot be given for the IPv6 address `{}` - ignoring the scope",
                first.text
            ),
        );
        a.scope = None;
    }
    if v6 && a.label.is_some() {
        warn_at(
            d,
            a.at,
            format!(
                "`{kw}`: a label cannot be given for the IPv6 address `{}` - ignoring the label",
                first.text
            ),
        );
        a.label = None;
    }
    if a.track_group.is_some() && a.dev.is_none() {
        warn_at(
            d,
            a.at,
            format!(
                "`{kw}`: `track_group` needs `dev` on `{}` - not tracking",
                first.text
            ),
        );
        a.track_group = None;
    }
    if a.track_group.is_some() && a.no_track {
        warn_at(
            d,
            a.at,
            format!(
                "`{kw}`: both `track_group` and `no_track` on `{}` - not tracking",
                first.text
            ),
        );
    }
    Some(a)
}

// ---------------------------------------------------------------------------------------------
// Routes.

/// The type word of a route (`blackhole 10.0.0.0/8`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteType {
    Unicast,
    Local,
    Broadcast,
    Anycast,
    Multicast,
    Blackhole,
    Unreachable,
    Prohibit,
    Throw,
    Nat,
}

impl RouteType {
    const ALL: [(&'static str, RouteType); 10] = [
        ("unicast", RouteType::Unicast),
        ("local", RouteType::Local),
        ("broadcast", RouteType::Broadcast),
        ("anycast", RouteType::Anycast),
        ("multicast", RouteType::Multicast),
        ("blackhole", RouteType::Blackhole),
        ("unreachable", RouteType::Unreachable),
        ("prohibit", RouteType::Prohibit),
        ("throw", RouteType::Throw),
        ("nat", RouteType::Nat),
    ];

    fn parse(s: &str) -> Option<RouteType> {
        RouteType::ALL
            .iter()
            .find(|(n, _)| *n == s)
            .map(|&(_, t)| t)
    }

    pub fn name(self) -> &'static str {
        RouteType::ALL
            .iter()
            .find(|(_, t)| *t == self)
            .map_or("unicast", |(n, _)| n)
    }
}

/// How a route is installed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteOp {
    /// `add`: only if no matching route exists.
    Add,
    /// `prepend` (the default).
    Prepend,
    /// `append`: after any matching route.
    Append,
}

/// A route's destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteDest {
    /// `default` (also `any`, `all`; `default6` is the deprecated `inet6 default`).
    Default,
    Prefix(Prefix),
}

/// An option kept as written: keyword and values (`mtu lock 1400`, `encap mpls 200`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteOpt {
    pub key: String,
    pub args: Vec<String>,
}

/// `nexthop via IP [dev IF] [weight N] [onlink] ...`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nexthop {
    pub via: Option<IpAddr>,
    pub dev: Option<String>,
    /// 1..256.
    pub weight: Option<u16>,
    pub onlink: bool,
    /// Other nexthop options as written (`realms`, `encap ...`).
    pub options: Vec<RouteOpt>,
}

/// One route line: `[inet|inet6] [TYPE] [to] DEST [src IP] [from PFX] [via|gw IP] [or IP]
/// [dev IF] [table T] [metric N] [scope S] [protocol P] [OPTIONS...] [no_track] [track_group G]
/// [add|prepend|append] [nexthop ...]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// `inet` / `inet6` given explicitly.
    pub family: Option<Family>,
    pub kind: Option<RouteType>,
    pub dest: RouteDest,
    /// `src IP`: preferred source address.
    pub src: Option<IpAddr>,
    /// `from PFX`: source prefix (IPv6 only).
    pub from: Option<Prefix>,
    /// `via IP` (deprecated spelling `gw`).
    pub via: Option<IpAddr>,
    /// `or IP` (deprecated: use nexthops).
    pub or: Option<IpAddr>,
    /// `dev IF` (alias `oif`). Without it the route is not tracked.
    pub dev: Option<String>,
    /// `table T`: a number or a name from rt_tables.
    pub table: Option<String>,
    /// `metric N` (aliases `priority`, `preference`).
    pub metric: Option<u32>,
    pub scope: Option<Scope>,
    /// `protocol P`: a number or a name from rt_protos.
    pub protocol: Option<String>,
    /// Every other option, in order.
    pub options: Vec<RouteOpt>,
    pub no_track: bool,
    /// `track_group G` (static routes only).
    pub track_group: Option<String>,
    pub op: Option<RouteOp>,
    pub nexthops: Vec<Nexthop>,
    pub at: At,
}

impl Route {
    /// Whether the route is tracked (keepalived cannot track a route without `dev`).
    pub fn tracked(&self) -> bool {
        !self.no_track && self.dev.is_some()
    }

    /// The address family (IPv4 unless something says IPv6).
    pub fn family(&self) -> Family {
        if let Some(f) = self.family {
            return f;
        }
        match self.dest {
            RouteDest::Prefix(p) => Family::of(p.addr),
            RouteDest::Default => self.via.map_or(Family::Inet, Family::of),
        }
    }

    pub fn dest_text(&self) -> String {
        match self.dest {
            RouteDest::Default => "default".into(),
            RouteDest::Prefix(p) => p.to_string(),
        }
    }

    pub fn words(&self) -> Vec<String> {
        let mut v: Vec<String> = Vec::new();
        match self.family {
            Some(Family::Inet) => v.push("inet".into()),
            Some(Family::Inet6) => v.push("inet6".into()),
            None => {}
        }
        if let Some(k) = self.kind {
            v.push(k.name().into());
        }
        v.push(self.dest_text());
        if let Some(s) = self.src {
            v.extend(["src".into(), s.to_string()]);
        }
        if let Some(f) = self.from {
            v.extend(["from".into(), f.to_string()]);
        }
        if let Some(g) = self.via {
            v.extend(["via".into(), g.to_string()]);
        }
        if let Some(o) = self.or {
            v.extend(["or".into(), o.to_string()]);
        }
        if let Some(dv) = &self.dev {
            v.extend(["dev".into(), quote(dv)]);
        }
        if let Some(t) = &self.table {
            v.extend(["table".into(), quote(t)]);
        }
        if let Some(m) = self.metric {
            v.extend(["metric".into(), m.to_string()]);
        }
        if let Some(s) = self.scope {
            v.extend(["scope".into(), s.to_string()]);
        }
        if let Some(p) = &self.protocol {
            v.extend(["protocol".into(), quote(p)]);
        }
        push_opts(&mut v, &self.options);
        if self.no_track {
            v.push("no_track".into());
        }
        if let Some(g) = &self.track_group {
            v.extend(["track_group".into(), quote(g)]);
        }
        match self.op {
            Some(RouteOp::Add) => v.push("add".into()),
            Some(RouteOp::Prepend) => v.push("prepend".into()),
            Some(RouteOp::Append) => v.push("append".into()),
            None => {}
        }
        for nh in &self.nexthops {
            v.push("nexthop".into());
            if let Some(g) = nh.via {
                v.extend(["via".into(), g.to_string()]);
            }
            if let Some(dv) = &nh.dev {
                v.extend(["dev".into(), quote(dv)]);
            }
            if let Some(wt) = nh.weight {
                v.extend(["weight".into(), wt.to_string()]);
            }
            if nh.onlink {
                v.push("onlink".into());
            }
            push_opts(&mut v, &nh.options);
        }
        v
    }
}

fn push_opts(v: &mut Vec<String>, opts: &[RouteOpt]) {
    for o in opts {
        v.push(o.key.clone());
        v.extend(o.args.iter().map(|a| quote(a)));
    }
}

/// Route options with their value shapes: `N` a number, `L` an optional `lock` then a value,
/// `W` one word, `F` a flag.
const ROUTE_OPTS: &[(&str, char)] = &[
    ("tos", 'W'),
    ("dsfield", 'W'),
    ("realms", 'W'),
    ("realm", 'W'),
    ("expires", 'N'),
    ("mtu", 'L'),
    ("advmss", 'L'),
    ("rtt", 'L'),
    ("rttvar", 'L'),
    ("rto_min", 'L'),
    ("reordering", 'L'),
    ("window", 'L'),
    ("cwnd", 'L'),
    ("ssthresh", 'L'),
    ("hoplimit", 'L'),
    ("initcwnd", 'L'),
    ("initrwnd", 'L'),
    ("features", 'W'),
    ("quickack", 'N'),
    ("congctl", 'L'),
    ("pref", 'W'),
    ("fastopen_no_cookie", 'N'),
    ("ttl-propagate", 'W'),
    ("onlink", 'F'),
    ("vrf", 'W'),
];

const ROUTE_KEYWORDS: &[&str] = &[
    "inet",
    "inet6",
    "to",
    "src",
    "from",
    "via",
    "gw",
    "or",
    "dev",
    "oif",
    "table",
    "metric",
    "priority",
    "preference",
    "scope",
    "protocol",
    "no_track",
    "track_group",
    "add",
    "prepend",
    "append",
    "nexthop",
    "encap",
    "tos",
    "dsfield",
    "realms",
    "expires",
    "mtu",
    "advmss",
    "rtt",
    "rttvar",
    "rto_min",
    "reordering",
    "window",
    "cwnd",
    "ssthresh",
    "hoplimit",
    "initcwnd",
    "initrwnd",
    "features",
    "quickack",
    "congctl",
    "pref",
    "fastopen_no_cookie",
    "ttl-propagate",
    "onlink",
    "vrf",
    "blackhole",
    "unreachable",
    "prohibit",
    "throw",
];

/// Reads an option of [`ROUTE_OPTS`] (or `encap`) at `words[i]`; returns it and the index after.
fn route_opt(d: &mut Diagnostics, kw: &str, words: &[Word], i: usize) -> Option<(RouteOpt, usize)> {
    let key = words[i].text.as_str();
    if key == "encap" {
        return encap(d, kw, words, i);
    }
    let (_, shape) = ROUTE_OPTS.iter().find(|(k, _)| *k == key)?;
    let mut o = RouteOpt {
        key: key.to_string(),
        args: Vec::new(),
    };
    let mut j = i + 1;
    if *shape == 'F' {
        return Some((o, j));
    }
    if *shape == 'L' && words.get(j).is_some_and(|w| w.text == "lock") {
        o.args.push("lock".into());
        j += 1;
    }
    let Some(v) = words.get(j) else {
        warn_at(
            d,
            At::word(&words[i]),
            format!("`{kw}`: `{key}` needs a value - ignoring"),
        );
        return Some((
            RouteOpt {
                key: String::new(),
                args: Vec::new(),
            },
            j,
        ));
    };
    let numeric = *shape == 'N'
        || (*shape == 'L' && !matches!(key, "rtt" | "rttvar" | "rto_min" | "congctl"));
    if numeric && value::parse_uint(&v.text).is_none_or(|n| n > u32::MAX as u64) {
        warn_at(
            d,
            At::word(v),
            format!("`{kw}`: invalid `{key}` value `{}` - ignoring", v.text),
        );
        return Some((
            RouteOpt {
                key: String::new(),
                args: Vec::new(),
            },
            j + 1,
        ));
    }
    o.args.push(v.text.clone());
    Some((o, j + 1))
}

/// `encap mpls LABELS | encap ip|ip6 (id|dst|src|tos|dsfield|ttl|hoplimit|tc|flags V)... |
/// encap ila LOCATOR [csum-mode M] [ident-type T] [hook-type H]`.
fn encap(d: &mut Diagnostics, kw: &str, words: &[Word], i: usize) -> Option<(RouteOpt, usize)> {
    let mut o = RouteOpt {
        key: "encap".into(),
        args: Vec::new(),
    };
    let Some(t) = words.get(i + 1) else {
        warn_at(
            d,
            At::word(&words[i]),
            format!("`{kw}`: `encap` needs a type - ignoring"),
        );
        return Some((
            RouteOpt {
                key: String::new(),
                args: Vec::new(),
            },
            i + 1,
        ));
    };
    o.args.push(t.text.clone());
    let mut j = i + 2;
    let subs: &[&str] = match t.text.as_str() {
        "mpls" | "ila" => {
            match words.get(j) {
                Some(v) => o.args.push(v.text.clone()),
                None => {
                    warn_at(
                        d,
                        At::word(t),
                        format!("`{kw}`: `encap {}` needs a value - ignoring", t.text),
                    );
                    return Some((
                        RouteOpt {
                            key: String::new(),
                            args: Vec::new(),
                        },
                        j,
                    ));
                }
            }
            j += 1;
            if t.text == "ila" {
                &["csum-mode", "ident-type", "hook-type"]
            } else {
                &[]
            }
        }
        "ip" | "ip6" => &[
            "id", "dst", "src", "tos", "dsfield", "ttl", "hoplimit", "tc", "flags",
        ],
        other => {
            warn_at(
                d,
                At::word(t),
                format!("`{kw}`: unknown encap type `{other}` (use mpls|ip|ip6|ila) - ignoring"),
            );
            return Some((
                RouteOpt {
                    key: String::new(),
                    args: Vec::new(),
                },
                j,
            ));
        }
    };
    while let Some(w) = words.get(j) {
        if !subs.contains(&w.text.as_str()) {
            break;
        }
        let Some(v) = words.get(j + 1) else {
            warn_at(
                d,
                At::word(w),
                format!("`{kw}`: encap `{}` needs a value - ignoring", w.text),
            );
            j += 1;
            break;
        };
        o.args.push(w.text.clone());
        o.args.push(v.text.clone());
        j += 2;
    }
    Some((o, j))
}

/// `keepalived` or its number in /etc/iproute2/rt_protos.
fn is_keepalived_proto(p: &str) -> bool {
    p == "keepalived" || value::parse_uint(p) == Some(18)
}

/// The nearest keyword, or the one `word` abbreviates (`ip route` accepts abbreviations such as
/// `proto`; keepalived does not).
fn keyword_hint<'k>(word: &str, known: &[&'k str]) -> Option<&'k str> {
    value::closest(word, known).or_else(|| {
        let mut m = known
            .iter()
            .filter(|k| word.len() >= 3 && k.starts_with(word));
        match (m.next(), m.next()) {
            (Some(k), None) => Some(*k),
            _ => None,
        }
    })
}

fn family_clash(a: Option<Family>, b: IpAddr) -> bool {
    a.is_some_and(|f| f != Family::of(b))
}

/// Reads one route line; `None` when keepalived would skip it. `track_groups`: `Some` for static
/// routes (the groups defined so far).
pub(super) fn parse_route(
    d: &mut Diagnostics,
    line: &Node,
    track_groups: Option<&[String]>,
) -> Option<Route> {
    let kw = if track_groups.is_some() {
        "static_routes"
    } else {
        "virtual_routes"
    };
    let words = &line.words;
    let mut r = Route {
        family: None,
        kind: None,
        dest: RouteDest::Default,
        src: None,
        from: None,
        via: None,
        or: None,
        dev: None,
        table: None,
        metric: None,
        scope: None,
        protocol: None,
        options: Vec::new(),
        no_track: false,
        track_group: None,
        op: None,
        nexthops: Vec::new(),
        at: At::word(&words[0]),
    };
    let mut have_dest = false;
    // The family the addresses seen so far belong to.
    let mut fam: Option<Family> = None;
    let mut i = 0;
    macro_rules! addr_of {
        ($w:expr, $what:expr) => {{
            let w: &Word = $w;
            match w.text.parse::<IpAddr>() {
                Ok(a) => {
                    if family_clash(fam, a) {
                        warn_at(
                            d,
                            At::word(w),
                            format!(
                                "`{kw}`: cannot mix IPv4 and IPv6 addresses in a route (`{}`) - skipping the route",
                                w.text
                            ),
                        );
                        return None;
                    }
                    fam = Some(Family::of(a));
                    a
                }
                Err(_) => {
                    warn_at(
                        d,
                        At::word(w),
                        format!(
                            "`{kw}`: invalid {} address `{}` - skipping the route",
                            $what, w.text
                        ),
                    );
                    return None;
                }
            }
        }};
    }
    while i < words.len() {
        let w = &words[i];
        let t = w.text.as_str();
        let next = words.get(i + 1);
        let needs = matches!(
            t,
            "to" | "src"
                | "from"
                | "via"
                | "gw"
                | "or"
                | "dev"
                | "oif"
                | "table"
                | "metric"
                | "priority"
                | "preference"
                | "scope"
                | "protocol"
                | "track_group"
        );
        if needs && next.is_none() {
            warn_at(
                d,
                At::word(w),
                format!("`{kw}`: `{t}` needs a value - skipping the route"),
            );
            return None;
        }
        match t {
            "inet" | "inet6" => {
                let f = if t == "inet" {
                    Family::Inet
                } else {
                    Family::Inet6
                };
                if fam.is_some_and(|x| x != f) {
                    warn_at(
                        d,
                        At::word(w),
                        format!("`{kw}`: `{t}` given for a route of the other family - ignoring"),
                    );
                } else {
                    r.family = Some(f);
                    fam = Some(f);
                }
                i += 1;
                continue;
            }
            "to" => {
                i += 1;
                // The destination follows.
                let dw = &words[i];
                if have_dest {
                    warn_at(
                        d,
                        At::word(dw),
                        format!(
                            "`{kw}`: a second destination `{}` - skipping the route",
                            dw.text
                        ),
                    );
                    return None;
                }
                r.dest = dest(d, kw, dw, &mut fam)?;
                have_dest = true;
            }
            "src" => {
                r.src = Some(addr_of!(&words[i + 1], "src"));
                i += 1;
            }
            "from" => {
                let v = &words[i + 1];
                match value::parse_prefix(&v.text) {
                    Some(p) if p.addr.is_ipv6() && !family_clash(fam, p.addr) => {
                        fam = Some(Family::Inet6);
                        r.from = Some(p);
                    }
                    Some(_) => {
                        warn_at(
                            d,
                            At::word(v),
                            format!(
                                "`{kw}`: a `from` prefix is only supported for IPv6 routes (`{}`) - ignoring",
                                v.text
                            ),
                        );
                    }
                    None => {
                        warn_at(
                            d,
                            At::word(v),
                            format!(
                                "`{kw}`: invalid `from` prefix `{}` - skipping the route",
                                v.text
                            ),
                        );
                        return None;
                    }
                }
                i += 1;
            }
            "via" | "gw" => {
                if t == "gw" {
                    warn_at(
                        d,
                        At::word(w),
                        format!("`{kw}`: `gw` is deprecated - use `via`"),
                    );
                }
                let mut v = &words[i + 1];
                if matches!(v.text.as_str(), "inet" | "inet6") {
                    i += 1;
                    match words.get(i + 1) {
                        Some(x) => v = x,
                        None => {
                            warn_at(
                                d,
                                At::word(v),
                                format!(
                                    "`{kw}`: `via {}` needs an address - skipping the route",
                                    v.text
                                ),
                            );
                            return None;
                        }
                    }
                }
                r.via = Some(addr_of!(v, "via"));
                i += 1;
            }
            "or" => {
                warn_at(
                    d,
                    At::word(w),
                    format!("`{kw}`: `or` is deprecated - use `nexthop`"),
                );
                let a = addr_of!(&words[i + 1], "`or`");
                if r.or.is_some() {
                    warn_at(
                        d,
                        At::word(&words[i + 1]),
                        format!("`{kw}`: a second `or` - ignoring"),
                    );
                } else {
                    r.or = Some(a);
                }
                i += 1;
            }
            "dev" | "oif" => {
                let v = &words[i + 1];
                if super::ifname_ok(d, kw, v) {
                    r.dev = Some(v.text.clone());
                }
                i += 1;
            }
            "table" => {
                let v = &words[i + 1];
                if v.text
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
                {
                    if value::parse_uint(&v.text).is_some_and(|n| n == 0 || n > u32::MAX as u64) {
                        warn_at(
                            d,
                            At::word(v),
                            format!("`{kw}`: invalid table `{}` - ignoring", v.text),
                        );
                    } else {
                        r.table = Some(v.text.clone());
                    }
                } else {
                    warn_at(
                        d,
                        At::word(v),
                        format!("`{kw}`: invalid table `{}` - ignoring", v.text),
                    );
                }
                i += 1;
            }
            "metric" | "priority" | "preference" => {
                let v = &words[i + 1];
                if let Some(m) = value::int_in(d, "metric", v, 0, u32::MAX as i64) {
                    r.metric = Some(m as u32);
                }
                i += 1;
            }
            "scope" => {
                let v = &words[i + 1];
                match Scope::parse(&v.text) {
                    Some(s) => r.scope = Some(s),
                    None => {
                        warn_at(
                            d,
                            At::word(v),
                            format!(
                                "`{kw}`: invalid scope `{}` (use global|site|link|host|nowhere|0..255) - ignoring",
                                v.text
                            ),
                        );
                    }
                }
                i += 1;
            }
            "protocol" => {
                r.protocol = Some(words[i + 1].text.clone());
                i += 1;
            }
            "no_track" => r.no_track = true,
            "track_group" => {
                let v = &words[i + 1];
                match track_groups {
                    None => {
                        warn_at(
                            d,
                            At::word(w),
                            format!("`{kw}`: `track_group` is only for static routes - ignoring"),
                        );
                    }
                    Some(groups) if !groups.contains(&v.text) => {
                        warn_at(
                            d,
                            At::word(v),
                            format!(
                                "`{kw}`: no track_group `{}` is defined before this point - ignoring",
                                v.text
                            ),
                        );
                    }
                    Some(_) => r.track_group = Some(v.text.clone()),
                }
                i += 1;
            }
            "add" => r.op = Some(RouteOp::Add),
            "prepend" => r.op = Some(RouteOp::Prepend),
            "append" => r.op = Some(RouteOp::Append),
            "nexthop" => {
                let (nhs, ok) = nexthops(d, kw, &words[i..], &mut fam);
                if !ok {
                    return None;
                }
                if r.or.is_some() {
                    warn_at(
                        d,
                        At::word(w),
                        format!(
                            "`{kw}`: nexthops cannot be combined with `or` - skipping the route"
                        ),
                    );
                    return None;
                }
                r.nexthops = nhs;
                break;
            }
            _ => {
                if let Some(k) = RouteType::parse(t) {
                    r.kind = Some(k);
                } else if let Some((o, j)) = route_opt(d, kw, words, i) {
                    if !o.key.is_empty() {
                        r.options.push(o);
                    }
                    i = j;
                    continue;
                } else if !have_dest {
                    r.dest = dest(d, kw, w, &mut fam)?;
                    have_dest = true;
                } else {
                    let diag = warn_at(
                        d,
                        At::word(w),
                        format!("`{kw}`: unknown route keyword `{t}` - ignoring"),
                    );
                    if let Some(best) = keyword_hint(t, ROUTE_KEYWORDS) {
                        diag.hint(format!("did you mean `{best}`?"));
                    }
                }
            }
        }
        i += 1;
    }
    if !have_dest {
        warn_at(
            d,
            r.at,
            format!("`{kw}`: the route has no destination - skipping it"),
        );
        return None;
    }
    if let Some(o) = r
        .options
        .iter()
        .find(|o| o.key == "pref" || o.key == "expires")
        && fam != Some(Family::Inet6)
    {
        warn_at(
            d,
            r.at,
            format!(
                "`{kw}`: `{}` is only valid for IPv6 routes - ignoring",
                o.key
            ),
        );
        r.options.retain(|o| o.key != "pref" && o.key != "expires");
    }
    if r.track_group.is_some() && r.dev.is_none() {
        warn_at(
            d,
            r.at,
            format!(
                "`{kw}`: `track_group` needs `dev` on route {} - not tracking",
                r.dest_text()
            ),
        );
        r.track_group = None;
    }
    if r.tracked()
        && r.protocol
            .as_deref()
            .is_some_and(|p| !is_keepalived_proto(p))
    {
        // keepalived: "Route cannot be tracked if protocol is not RTPROT_KEEPALIVED(18),
        // resetting protocol".
        warn_at(
            d,
            r.at,
            format!(
                "`{kw}`: a tracked route must use protocol keepalived (18), not `{}` - using keepalived",
                r.protocol.as_deref().unwrap_or_default()
            ),
        )
        .hint("add `no_track` to keep the protocol");
    }
    if !r.no_track && r.dev.is_none() {
        // keepalived: "Warning - cannot track route X with no interface specified, not tracking".
        warn_at(
            d,
            r.at,
            format!(
                "`{kw}`: cannot track route {} with no interface (`dev`) - not tracking it",
                r.dest_text()
            ),
        )
        .hint("add `dev IF`, or `no_track` if it need not be tracked");
    }
    Some(r)
}

fn dest(d: &mut Diagnostics, kw: &str, w: &Word, fam: &mut Option<Family>) -> Option<RouteDest> {
    match w.text.as_str() {
        "default" | "any" | "all" => return Some(RouteDest::Default),
        "default6" => {
            warn_at(
                d,
                At::word(w),
                format!("`{kw}`: `default6` is deprecated - use `inet6 default`"),
            );
            if fam.is_some_and(|f| f == Family::Inet) {
                warn_at(
                    d,
                    At::word(w),
                    format!("`{kw}`: `default6` in an IPv4 route - skipping the route"),
                );
                return None;
            }
            *fam = Some(Family::Inet6);
            return Some(RouteDest::Default);
        }
        _ => {}
    }
    let p = addr_with_len(d, kw, w)?;
    if family_clash(*fam, p.addr) {
        warn_at(
            d,
            At::word(w),
            format!(
                "`{kw}`: cannot mix IPv4 and IPv6 addresses in a route (`{}`) - skipping the route",
                w.text
            ),
        );
        return None;
    }
    *fam = Some(Family::of(p.addr));
    Some(RouteDest::Prefix(p))
}

/// Reads `nexthop ...` groups to the end of the line.
fn nexthops(
    d: &mut Diagnostics,
    kw: &str,
    words: &[Word],
    fam: &mut Option<Family>,
) -> (Vec<Nexthop>, bool) {
    let mut out: Vec<Nexthop> = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let w = &words[i];
        if w.text == "nexthop" {
            out.push(Nexthop {
                via: None,
                dev: None,
                weight: None,
                onlink: false,
                options: Vec::new(),
            });
            i += 1;
            continue;
        }
        let Some(nh) = out.last_mut() else { break };
        match w.text.as_str() {
            "via" | "dev" | "weight" if words.get(i + 1).is_none() => {
                warn_at(
                    d,
                    At::word(w),
                    format!(
                        "`{kw}`: nexthop `{}` needs a value - skipping the route",
                        w.text
                    ),
                );
                return (out, false);
            }
            "via" => {
                let mut v = &words[i + 1];
                if matches!(v.text.as_str(), "inet" | "inet6") && i + 2 < words.len() {
                    i += 1;
                    v = &words[i + 1];
                }
                match v.text.parse::<IpAddr>() {
                    Ok(a) if !family_clash(*fam, a) => {
                        *fam = Some(Family::of(a));
                        nh.via = Some(a);
                    }
                    Ok(_) => {
                        warn_at(
                            d,
                            At::word(v),
                            format!(
                                "`{kw}`: nexthop `{}` is not of the route's address family - skipping the route",
                                v.text
                            ),
                        );
                        return (out, false);
                    }
                    Err(_) => {
                        warn_at(
                            d,
                            At::word(v),
                            format!(
                                "`{kw}`: invalid nexthop address `{}` - skipping the route",
                                v.text
                            ),
                        );
                        return (out, false);
                    }
                }
                i += 2;
            }
            "dev" => {
                let v = &words[i + 1];
                if super::ifname_ok(d, kw, v) {
                    nh.dev = Some(v.text.clone());
                }
                i += 2;
            }
            "weight" => {
                let v = &words[i + 1];
                match value::parse_uint(&v.text) {
                    Some(n) if (1..=256).contains(&n) => nh.weight = Some(n as u16),
                    _ => {
                        warn_at(
                            d,
                            At::word(v),
                            format!(
                                "`{kw}`: invalid nexthop weight `{}` (range [1, 256]) - ignoring",
                                v.text
                            ),
                        );
                    }
                }
                i += 2;
            }
            "onlink" => {
                nh.onlink = true;
                i += 1;
            }
            _ => match route_opt(d, kw, words, i) {
                Some((o, j)) if matches!(o.key.as_str(), "realms" | "encap" | "") => {
                    if !o.key.is_empty() {
                        nh.options.push(o);
                    }
                    i = j;
                }
                _ => {
                    warn_at(
                        d,
                        At::word(w),
                        format!(
                            "`{kw}`: unexpected `{}` after the nexthops - ignoring the rest",
                            w.text
                        ),
                    );
                    break;
                }
            },
        }
    }
    (out, true)
}

// ---------------------------------------------------------------------------------------------
// Rules.

/// The `from`/`to` of a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleAddr {
    All,
    Prefix(Prefix),
}

impl std::fmt::Display for RuleAddr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RuleAddr::All => f.write_str("all"),
            RuleAddr::Prefix(p) => write!(f, "{p}"),
        }
    }
}

/// What a rule does (exactly one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuleAction {
    /// `table T` / `lookup T`.
    Table(String),
    /// `goto N`: jump to the rule with that preference.
    Goto(u32),
    Nop,
    Blackhole,
    Prohibit,
    Unreachable,
    /// `l3mdev`: look up the table of the VRF device.
    L3mdev,
}

/// One rule line: `[inet|inet6] [not] [from PFX|all] [to PFX|all] [preference N] ACTION
/// [fwmark M[/MASK]] [iif IF] [oif IF] [OPTIONS...] [no_track] [track_group G]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub family: Option<Family>,
    pub not: bool,
    pub from: Option<RuleAddr>,
    pub to: Option<RuleAddr>,
    /// `preference N` (aliases `priority`, `order`). Unset: keepalived assigns one (from 16384
    /// down) with a warning.
    pub preference: Option<u32>,
    pub action: RuleAction,
    /// `iif IF` (alias `dev`).
    pub iif: Option<String>,
    pub oif: Option<String>,
    /// Every other option, in order (`fwmark`, `tos`, `realms`, `uidrange`, `sport`, ...).
    pub options: Vec<RouteOpt>,
    pub no_track: bool,
    /// `track_group G` (static rules only; needs `iif` or `oif`).
    pub track_group: Option<String>,
    pub at: At,
}

impl Rule {
    pub fn words(&self) -> Vec<String> {
        let mut v: Vec<String> = Vec::new();
        match self.family {
            Some(Family::Inet) => v.push("inet".into()),
            Some(Family::Inet6) => v.push("inet6".into()),
            None => {}
        }
        if self.not {
            v.push("not".into());
        }
        if let Some(f) = self.from {
            v.extend(["from".into(), f.to_string()]);
        }
        if let Some(t) = self.to {
            v.extend(["to".into(), t.to_string()]);
        }
        if let Some(p) = self.preference {
            v.extend(["preference".into(), p.to_string()]);
        }
        match &self.action {
            RuleAction::Table(t) => v.extend(["table".into(), quote(t)]),
            RuleAction::Goto(n) => v.extend(["goto".into(), n.to_string()]),
            RuleAction::Nop => v.push("nop".into()),
            RuleAction::Blackhole => v.push("blackhole".into()),
            RuleAction::Prohibit => v.push("prohibit".into()),
            RuleAction::Unreachable => v.push("unreachable".into()),
            RuleAction::L3mdev => v.push("l3mdev".into()),
        }
        if let Some(i) = &self.iif {
            v.extend(["iif".into(), quote(i)]);
        }
        if let Some(o) = &self.oif {
            v.extend(["oif".into(), quote(o)]);
        }
        push_opts(&mut v, &self.options);
        if self.no_track {
            v.push("no_track".into());
        }
        if let Some(g) = &self.track_group {
            v.extend(["track_group".into(), quote(g)]);
        }
        v
    }
}

const RULE_OPTS: &[&str] = &[
    "fwmark",
    "tos",
    "dsfield",
    "realms",
    "suppress_prefixlength",
    "sup_pl",
    "suppress_ifgroup",
    "sup_group",
    "uidrange",
    "protocol",
    "ipproto",
    "ip_proto",
    "sport",
    "dport",
    "tunnel-id",
];

const RULE_KEYWORDS: &[&str] = &[
    "inet",
    "inet6",
    "not",
    "from",
    "to",
    "preference",
    "priority",
    "order",
    "table",
    "lookup",
    "goto",
    "nop",
    "blackhole",
    "prohibit",
    "unreachable",
    "l3mdev",
    "iif",
    "dev",
    "oif",
    "no_track",
    "track_group",
    "fwmark",
    "tos",
    "dsfield",
    "realms",
    "suppress_prefixlength",
    "suppress_ifgroup",
    "uidrange",
    "protocol",
    "ipproto",
    "sport",
    "dport",
    "tunnel-id",
];

/// Reads one rule line; `None` when keepalived would skip it.
pub(super) fn parse_rule(
    d: &mut Diagnostics,
    line: &Node,
    track_groups: Option<&[String]>,
) -> Option<Rule> {
    let kw = if track_groups.is_some() {
        "static_rules"
    } else {
        "virtual_rules"
    };
    let words = &line.words;
    let at = At::word(&words[0]);
    let mut family: Option<Family> = None;
    let mut fam: Option<Family> = None;
    let mut not = false;
    let mut from = None;
    let mut to = None;
    let mut preference = None;
    let mut action: Option<RuleAction> = None;
    let mut iif = None;
    let mut oif = None;
    let mut options = Vec::new();
    let mut no_track = false;
    let mut track_group = None;
    let mut i = 0;
    while i < words.len() {
        let w = &words[i];
        let t = w.text.as_str();
        let takes = matches!(
            t,
            "from"
                | "to"
                | "preference"
                | "priority"
                | "order"
                | "table"
                | "lookup"
                | "goto"
                | "iif"
                | "dev"
                | "oif"
                | "track_group"
        ) || RULE_OPTS.contains(&t);
        let Some(v) = words
            .get(i + 1)
            .filter(|_| takes)
            .or(if takes { None } else { Some(w) })
        else {
            warn_at(
                d,
                At::word(w),
                format!("`{kw}`: `{t}` needs a value - skipping the rule"),
            );
            return None;
        };
        let mut set_action = |d: &mut Diagnostics, a: RuleAction| {
            if action.is_some() {
                warn_at(
                    d,
                    At::word(w),
                    format!(
                        "`{kw}`: more than one of table/goto/nop/blackhole/prohibit/unreachable/l3mdev - ignoring `{t}`"
                    ),
                );
            } else {
                action = Some(a);
            }
        };
        match t {
            "inet" | "inet6" => {
                let f = if t == "inet" {
                    Family::Inet
                } else {
                    Family::Inet6
                };
                if fam.is_some_and(|x| x != f) {
                    warn_at(
                        d,
                        At::word(w),
                        format!("`{kw}`: `{t}` given for a rule of the other family - ignoring"),
                    );
                } else {
                    family = Some(f);
                    fam = Some(f);
                }
            }
            "not" => not = true,
            "from" | "to" => {
                let a = if v.text == "all" {
                    RuleAddr::All
                } else {
                    match value::parse_prefix(&v.text) {
                        Some(p) => {
                            if family_clash(fam, p.addr) {
                                warn_at(
                                    d,
                                    At::word(v),
                                    format!(
                                        "`{kw}`: the rule mixes IPv4 and IPv6 (`{}`) - skipping the rule",
                                        v.text
                                    ),
                                );
                                return None;
                            }
                            fam = Some(Family::of(p.addr));
                            RuleAddr::Prefix(p)
                        }
                        None => {
                            warn_at(
                                d,
                                At::word(v),
                                format!(
                                    "`{kw}`: invalid `{t}` address `{}` - skipping the rule",
                                    v.text
                                ),
                            );
                            return None;
                        }
                    }
                };
                if t == "from" {
                    from = Some(a);
                } else {
                    to = Some(a);
                }
            }
            "preference" | "priority" | "order" => {
                if let Some(p) = value::int_in(d, "preference", v, 0, u32::MAX as i64) {
                    preference = Some(p as u32);
                }
            }
            "table" | "lookup" => {
                if value::parse_uint(&v.text).is_some_and(|n| n == 0) {
                    warn_at(
                        d,
                        At::word(v),
                        format!("`{kw}`: table 0 is not valid - ignoring"),
                    );
                } else {
                    set_action(d, RuleAction::Table(v.text.clone()));
                }
            }
            "goto" => match value::parse_uint(&v.text) {
                Some(n) if n <= u32::MAX as u64 => set_action(d, RuleAction::Goto(n as u32)),
                _ => {
                    warn_at(
                        d,
                        At::word(v),
                        format!("`{kw}`: invalid goto target `{}` - ignoring", v.text),
                    );
                }
            },
            "nop" => set_action(d, RuleAction::Nop),
            "blackhole" => set_action(d, RuleAction::Blackhole),
            "prohibit" => set_action(d, RuleAction::Prohibit),
            "unreachable" => set_action(d, RuleAction::Unreachable),
            "l3mdev" => set_action(d, RuleAction::L3mdev),
            "iif" | "dev" => {
                if super::ifname_ok(d, kw, v) {
                    iif = Some(v.text.clone());
                }
            }
            "oif" => {
                if super::ifname_ok(d, kw, v) {
                    oif = Some(v.text.clone());
                }
            }
            "no_track" => no_track = true,
            "track_group" => match track_groups {
                None => {
                    warn_at(
                        d,
                        At::word(w),
                        format!("`{kw}`: `track_group` is only for static rules - ignoring"),
                    );
                }
                Some(groups) if !groups.contains(&v.text) => {
                    warn_at(
                        d,
                        At::word(v),
                        format!(
                            "`{kw}`: no track_group `{}` is defined before this point - ignoring",
                            v.text
                        ),
                    );
                }
                Some(_) => track_group = Some(v.text.clone()),
            },
            _ if RULE_OPTS.contains(&t) => {
                let key = match t {
                    "ip_proto" => {
                        super::note_at(
                            d,
                            At::word(w),
                            format!("`{kw}`: keepalived 2.2.7 knows `ip_proto` as `ipproto`"),
                        );
                        "ipproto"
                    }
                    "sup_pl" => "suppress_prefixlength",
                    "sup_group" => "suppress_ifgroup",
                    "dsfield" => "tos",
                    k => k,
                };
                options.push(RouteOpt {
                    key: key.to_string(),
                    args: vec![v.text.clone()],
                });
            }
            _ => {
                let diag = warn_at(
                    d,
                    At::word(w),
                    format!("`{kw}`: unknown rule option `{t}` - ignoring"),
                );
                if let Some(best) = keyword_hint(t, RULE_KEYWORDS) {
                    diag.hint(format!("did you mean `{best}`?"));
                }
            }
        }
        i += if takes { 2 } else { 1 };
    }
    let Some(action) = action else {
        warn_at(
            d,
            at,
            format!(
                "`{kw}`: the rule has no action (table, goto, nop, blackhole, prohibit, unreachable or l3mdev) - skipping it"
            ),
        );
        return None;
    };
    match (&action, preference) {
        (RuleAction::Goto(_), None) => {
            warn_at(
                d,
                at,
                format!("`{kw}`: a `goto` rule needs a `preference` - skipping it"),
            );
            return None;
        }
        (RuleAction::Goto(g), Some(p)) if p >= *g => {
            warn_at(
                d,
                at,
                format!(
                    "`{kw}`: preference {p} is not below the goto target {g} - skipping the rule"
                ),
            );
            return None;
        }
        _ => {}
    }
    if preference.is_none() {
        warn_at(
            d,
            at,
            format!("`{kw}`: the rule has no `preference` - keepalived assigns one (from 16384 down), probably not what you want"),
        )
        .hint("add `preference N`");
    }
    if !no_track
        && let Some(p) = options
            .iter()
            .find(|o| o.key == "protocol")
            .and_then(|o| o.args.first())
            .filter(|p| !is_keepalived_proto(p))
    {
        // keepalived: "Rule cannot be tracked if protocol is not RTPROT_KEEPALIVED(18),
        // resetting protocol".
        warn_at(
                d,
                at,
                format!("`{kw}`: a tracked rule must use protocol keepalived (18), not `{p}` - using keepalived"),
            )
            .hint("add `no_track` to keep the protocol");
    }
    if track_group.is_some() && iif.is_none() && oif.is_none() {
        warn_at(
            d,
            at,
            format!("`{kw}`: `track_group` needs `iif` or `oif` - not tracking"),
        );
        track_group = None;
    }
    Some(Rule {
        family,
        not,
        from,
        to,
        preference,
        action,
        iif,
        oif,
        options,
        no_track,
        track_group,
        at,
    })
}
