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

mod route;
mod route_opts;
mod rule;

pub use route::*;
use route_opts::*;
pub use rule::*;

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
