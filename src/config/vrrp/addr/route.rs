//! Routes (`virtual_routes`, `static_routes`): one line each, in the words of `ip route add`.

use super::*;

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

pub(super) fn push_opts(v: &mut Vec<String>, opts: &[RouteOpt]) {
    for o in opts {
        v.push(o.key.clone());
        v.extend(o.args.iter().map(|a| quote(a)));
    }
}

/// Route options with their value shapes: `N` a number, `L` an optional `lock` then a value,
/// `W` one word, `F` a flag.
pub(super) const ROUTE_OPTS: &[(&str, char)] = &[
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

pub(super) const ROUTE_KEYWORDS: &[&str] = &[
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

/// Reads one route line; `None` when keepalived would skip it. `track_groups`: `Some` for static
/// routes (the groups defined so far).
pub(in crate::config::vrrp) fn parse_route(
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
                if super::super::ifname_ok(d, kw, v) {
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
