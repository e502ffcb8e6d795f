//! The requests: addresses, routes, rules and links as rtnetlink messages, from kernel-side
//! values ([`Addr`], [`RouteMsg`], [`RuleMsg`], [`NewMacvlan`]).
//!
//! Pure functions: each clears the caller's buffer and writes one message with the given
//! sequence number. They know the kernel, not the configuration: turning a configured line into
//! these values (names resolved, options parsed) is the caller's job
//! (`crate::executor::vrrp::kernel_terms` for VRRP). One value serves both the add and the
//! delete: a delete carries only the keys that identify the object (said at each encoder).

use std::net::{IpAddr, Ipv4Addr};

use super::wire::*;

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

/// Options of a configured line that a request does not carry (their keywords), for the
/// caller to log.
pub type Unsent = Vec<String>;

/// The `AF_*` byte of an address.
pub fn family_of(a: IpAddr) -> u8 {
    if a.is_ipv4() { AF_INET } else { AF_INET6 }
}

/// An address on an interface: `struct ifaddrmsg` and its attributes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Addr {
    pub ifindex: u32,
    /// `AF_INET` or `AF_INET6`.
    pub family: u8,
    /// `IFA_LOCAL`.
    pub local: IpAddr,
    pub prefix_len: u8,
    /// `IFA_ADDRESS`: the peer of a point-to-point address (`None`: `local`).
    pub peer: Option<IpAddr>,
    /// `IFA_BROADCAST` (IPv4).
    pub broadcast: Option<Ipv4Addr>,
    pub scope: u8,
    /// `IFA_LABEL` (IPv4).
    pub label: Option<String>,
    /// `IFA_F_*`: the low byte in the header, all of them in `IFA_FLAGS` when not 0.
    pub flags: u32,
    /// The IPv6 preferred lifetime in seconds (`IFA_CACHEINFO`, valid forever).
    pub preferred_lft: Option<u32>,
}

/// `RTM_NEWADDR` / `RTM_DELADDR` for `a`.
///
/// A delete carries the address, its peer, prefix length and scope only (no label: the kernel
/// would require it to match; no flags, broadcast or lifetime).
pub fn address(buf: &mut Vec<u8>, op: Op, seq: u32, a: &Addr) -> Result<(), EncodeError> {
    let add = op == Op::Add;
    let flags = if add { a.flags } else { 0 };
    let mut e = begin(buf, op, seq, (RTM_NEWADDR, RTM_DELADDR), NLM_F_EXCL);
    let mut hdr = [0u8; 8];
    hdr[0] = a.family;
    hdr[1] = a.prefix_len;
    hdr[2] = (flags & 0xff) as u8;
    hdr[3] = a.scope;
    hdr[4..].copy_from_slice(&a.ifindex.to_ne_bytes());
    e.fixed(&hdr);
    e.attr_ip(IFA_LOCAL, a.local);
    e.attr_ip(IFA_ADDRESS, a.peer.unwrap_or(a.local));
    if add {
        if let Some(b) = a.broadcast {
            e.attr(IFA_BROADCAST, &b.octets());
        }
        if let Some(l) = &a.label {
            e.attr_str(IFA_LABEL, l);
        }
        if flags != 0 {
            e.attr_u32(IFA_FLAGS, flags);
        }
        if let Some(pref) = a.preferred_lft {
            let mut ci = [0u8; 16];
            ci[..4].copy_from_slice(&pref.to_ne_bytes());
            ci[4..8].copy_from_slice(&INFINITY_LIFE_TIME.to_ne_bytes());
            e.attr(IFA_CACHEINFO, &ci);
        }
    }
    Ok(e.finish()?)
}

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

/// `RTN_*` route types.
pub const RTN_UNICAST: u8 = 1;
pub const RTN_LOCAL: u8 = 2;
pub const RTN_BROADCAST: u8 = 3;
pub const RTN_ANYCAST: u8 = 4;
pub const RTN_MULTICAST: u8 = 5;
pub const RTN_NAT: u8 = 10;

/// One hop of a multipath route: `struct rtnexthop` and its gateway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NextHop {
    /// 0: none given.
    pub ifindex: u32,
    /// `RTNH_F_*` (onlink).
    pub flags: u8,
    /// `rtnh_hops`: the weight minus one.
    pub hops: u8,
    pub gateway: Option<IpAddr>,
}

/// A route: `struct rtmsg` and its attributes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteMsg {
    pub family: u8,
    /// `RTA_DST` (`None`: default).
    pub dst: Option<IpAddr>,
    pub dst_len: u8,
    /// `RTA_SRC`: the source prefix (IPv6 `from`).
    pub src: Option<IpAddr>,
    pub src_len: u8,
    pub tos: u8,
    /// `RTA_TABLE` (the header's byte when it fits).
    pub table: u32,
    pub protocol: u8,
    /// `None`: as `ip route` picks it for an add (host for local/nat, link for
    /// broadcast/multicast/anycast and for unicast without a gateway, else global), "any"
    /// (nowhere) for a delete.
    pub scope: Option<u8>,
    /// `RTN_*`; `None`: unicast for an add, any for a delete.
    pub kind: Option<u8>,
    /// `RTNH_F_*` (onlink).
    pub flags: u32,
    /// `RTA_PREFSRC`.
    pub prefsrc: Option<IpAddr>,
    /// `RTA_GATEWAY`, or `RTA_VIA` when of the other family.
    pub gateway: Option<IpAddr>,
    /// `RTA_OIF`.
    pub oif: Option<u32>,
    /// `RTA_PRIORITY` (metric).
    pub priority: Option<u32>,
    /// `RTA_METRICS`: `RTAX_*` values in order, and the `RTAX_LOCK` bits.
    pub metrics: Vec<(u16, u32)>,
    pub lock: u32,
    /// `RTA_PREF` (IPv6 router preference).
    pub pref: Option<u8>,
    /// `RTA_EXPIRES` (IPv6).
    pub expires: Option<u32>,
    /// `RTA_MULTIPATH`.
    pub nexthops: Vec<NextHop>,
    /// Extra flags of an add: `NLM_F_EXCL` (`add`), `NLM_F_APPEND` (`append`), 0 (`prepend`).
    pub add_flags: u16,
}

fn gateway(e: &mut Emitter<'_>, family: u8, g: IpAddr) {
    if family_of(g) == family {
        e.attr_ip(RTA_GATEWAY, g);
    } else {
        // RTA_VIA: struct rtvia { family, address } for a gateway of the other family.
        const RTA_VIA: u16 = 18;
        let mut v = Vec::with_capacity(18);
        v.extend_from_slice(&u16::from(family_of(g)).to_ne_bytes());
        match g {
            IpAddr::V4(a) => v.extend_from_slice(&a.octets()),
            IpAddr::V6(a) => v.extend_from_slice(&a.octets()),
        }
        e.attr(RTA_VIA, &v);
    }
}

/// `RTM_NEWROUTE` / `RTM_DELROUTE` for `r`.
///
/// A delete carries the same keys with scope "any" unless one is given and no type unless one
/// is given, so it matches the route we added and, through the protocol, not somebody else's
/// identical one.
pub fn route(buf: &mut Vec<u8>, op: Op, seq: u32, r: &RouteMsg) -> Result<(), EncodeError> {
    let kind = r.kind.unwrap_or(RTN_UNICAST);
    let has_gw = r.gateway.is_some() || !r.nexthops.is_empty();
    let scope = match (r.scope, op) {
        (Some(s), _) => s,
        (None, Op::Del) => RT_SCOPE_NOWHERE,
        (None, Op::Add) => match kind {
            RTN_LOCAL | RTN_NAT => RT_SCOPE_HOST,
            RTN_BROADCAST | RTN_MULTICAST | RTN_ANYCAST => RT_SCOPE_LINK,
            RTN_UNICAST if !has_gw => RT_SCOPE_LINK,
            _ => RT_SCOPE_UNIVERSE,
        },
    };
    let rtm_type = match (r.kind, op) {
        (None, Op::Del) => 0,
        _ => kind,
    };
    let mut e = begin(buf, op, seq, (RTM_NEWROUTE, RTM_DELROUTE), r.add_flags);
    let mut hdr = [0u8; 12];
    hdr[0] = r.family;
    hdr[1] = r.dst_len;
    hdr[2] = r.src_len;
    hdr[3] = r.tos;
    hdr[4] = u8::try_from(r.table).unwrap_or(RT_TABLE_UNSPEC);
    hdr[5] = r.protocol;
    hdr[6] = scope;
    hdr[7] = rtm_type;
    hdr[8..].copy_from_slice(&r.flags.to_ne_bytes());
    e.fixed(&hdr);
    e.attr_u32(RTA_TABLE, r.table);
    if let Some(d) = r.dst {
        e.attr_ip(RTA_DST, d);
    }
    if let Some(f) = r.src {
        e.attr_ip(RTA_SRC, f);
    }
    if let Some(s) = r.prefsrc {
        e.attr_ip(RTA_PREFSRC, s);
    }
    if let Some(g) = r.gateway {
        gateway(&mut e, r.family, g);
    }
    if let Some(i) = r.oif {
        e.attr_u32(RTA_OIF, i);
    }
    if let Some(m) = r.priority {
        e.attr_u32(RTA_PRIORITY, m);
    }
    if !r.metrics.is_empty() {
        let at = e.begin_nest(RTA_METRICS);
        if r.lock != 0 {
            e.attr_u32(RTAX_LOCK, r.lock);
        }
        for &(t, v) in &r.metrics {
            e.attr_u32(t, v);
        }
        e.end_nest(at);
    }
    if let Some(p) = r.pref {
        e.attr_u8(RTA_PREF, p);
    }
    if let Some(x) = r.expires {
        e.attr_u32(RTA_EXPIRES, x);
    }
    if !r.nexthops.is_empty() {
        let at = e.begin_nest(RTA_MULTIPATH);
        for nh in &r.nexthops {
            // struct rtnexthop { len u16, flags u8, hops u8 (weight - 1), ifindex i32 }
            let mut rtnh = [0u8; 8];
            rtnh[2] = nh.flags;
            rtnh[3] = nh.hops;
            rtnh[4..].copy_from_slice(&nh.ifindex.to_ne_bytes());
            let raw = e.begin_raw(&rtnh);
            if let Some(g) = nh.gateway {
                gateway(&mut e, r.family, g);
            }
            e.end_raw(raw);
        }
        e.end_nest(at);
    }
    Ok(e.finish()?)
}

/// A policy routing rule: `struct fib_rule_hdr` and its attributes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleMsg {
    pub family: u8,
    /// `FRA_SRC` and its length (`from`).
    pub src: Option<IpAddr>,
    pub src_len: u8,
    /// `FRA_DST` and its length (`to`).
    pub dst: Option<IpAddr>,
    pub dst_len: u8,
    pub tos: u8,
    /// `FR_ACT_*`.
    pub action: u8,
    /// `FRA_TABLE` (the header's byte when it fits).
    pub table: Option<u32>,
    /// `FIB_RULE_INVERT` (`not`).
    pub flags: u32,
    /// `FRA_PRIORITY` (preference).
    pub priority: Option<u32>,
    pub goto: Option<u32>,
    pub l3mdev: bool,
    pub iifname: Option<String>,
    pub oifname: Option<String>,
    /// `FRA_FWMARK` and `FRA_FWMASK`.
    pub fwmark: Option<(u32, Option<u32>)>,
    pub protocol: Option<u8>,
    /// `FRA_SUPPRESS_PREFIXLEN`, `FRA_SUPPRESS_IFGROUP`, in order.
    pub u32_attrs: Vec<(u16, u32)>,
    /// `FRA_UID_RANGE`, `FRA_IP_PROTO`, `FRA_SPORT_RANGE`, `FRA_DPORT_RANGE`, in order.
    pub raw_attrs: Vec<(u16, Vec<u8>)>,
}

/// `RTM_NEWRULE` / `RTM_DELRULE` for `r`. An add uses `NLM_F_EXCL`, so that a second add of
/// the same rule is `EEXIST` instead of a duplicate rule; a delete carries the same keys (the
/// protocol included, so that it only removes our rule).
pub fn rule(buf: &mut Vec<u8>, op: Op, seq: u32, r: &RuleMsg) -> Result<(), EncodeError> {
    let mut e = begin(buf, op, seq, (RTM_NEWRULE, RTM_DELRULE), NLM_F_EXCL);
    // struct fib_rule_hdr { family, dst_len, src_len, tos, table, res1, res2, action, flags u32 }
    let mut hdr = [0u8; 12];
    hdr[0] = r.family;
    hdr[1] = r.dst_len;
    hdr[2] = r.src_len;
    hdr[3] = r.tos;
    hdr[4] = r
        .table
        .and_then(|t| u8::try_from(t).ok())
        .unwrap_or(RT_TABLE_UNSPEC);
    hdr[7] = r.action;
    hdr[8..].copy_from_slice(&r.flags.to_ne_bytes());
    e.fixed(&hdr);
    if let Some(t) = r.table {
        e.attr_u32(FRA_TABLE, t);
    }
    if let Some(p) = r.priority {
        e.attr_u32(FRA_PRIORITY, p);
    }
    if let Some(p) = r.src {
        e.attr_ip(FRA_SRC, p);
    }
    if let Some(p) = r.dst {
        e.attr_ip(FRA_DST, p);
    }
    if let Some(g) = r.goto {
        e.attr_u32(FRA_GOTO, g);
    }
    if r.l3mdev {
        e.attr_u8(FRA_L3MDEV, 1);
    }
    if let Some(i) = &r.iifname {
        e.attr_str(FRA_IIFNAME, i);
    }
    if let Some(o) = &r.oifname {
        e.attr_str(FRA_OIFNAME, o);
    }
    if let Some((m, mask)) = r.fwmark {
        e.attr_u32(FRA_FWMARK, m);
        if let Some(k) = mask {
            e.attr_u32(FRA_FWMASK, k);
        }
    }
    if let Some(p) = r.protocol {
        e.attr_u8(FRA_PROTOCOL, p);
    }
    for &(t, v) in &r.u32_attrs {
        e.attr_u32(t, v);
    }
    for (t, v) in &r.raw_attrs {
        e.attr(*t, v);
    }
    Ok(e.finish()?)
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

/// An ipvlan link to create: keepalived's `use_ipvlan` (`netlink_link_add_ipvlan`): mode L2,
/// with the flags bridge (0), private or vepa. It shares its parent's MAC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewIpvlan {
    pub name: String,
    /// The parent (lower) interface's index.
    pub parent: u32,
    /// `IPVLAN_F_*`: 0 (bridge), [`IPVLAN_F_PRIVATE`], [`IPVLAN_F_VEPA`].
    pub flags: u16,
    /// `IFLA_GROUP`.
    pub group: Option<u32>,
}

/// `IFLA_IPVLAN_MODE`, `IFLA_IPVLAN_FLAGS` (in `IFLA_INFO_DATA`).
const IFLA_IPVLAN_MODE: u16 = 1;
const IFLA_IPVLAN_FLAGS: u16 = 2;
/// `IPVLAN_MODE_L2`: the mode keepalived creates.
pub const IPVLAN_MODE_L2: u16 = 0;
pub const IPVLAN_F_PRIVATE: u16 = 1;
pub const IPVLAN_F_VEPA: u16 = 2;

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
    new_link(
        buf,
        seq,
        Some(&m.mac),
        m.parent,
        &m.name,
        m.group,
        b"macvlan",
        |e| e.attr_u32(IFLA_MACVLAN_MODE, m.mode),
    )
}

/// `RTM_NEWLINK` creating ipvlan `m` in L2 mode, as `ip link add NAME link PARENT type ipvlan
/// mode l2 [bridge|private|vepa]` sends it (`NLM_F_EXCL`, created down).
pub fn new_ipvlan(buf: &mut Vec<u8>, seq: u32, m: &NewIpvlan) -> Result<(), EncodeError> {
    new_link(buf, seq, None, m.parent, &m.name, m.group, b"ipvlan", |e| {
        e.attr(IFLA_IPVLAN_MODE, &IPVLAN_MODE_L2.to_ne_bytes());
        e.attr(IFLA_IPVLAN_FLAGS, &m.flags.to_ne_bytes());
    })
}

/// A new link of `kind` on `parent`; `data` writes its `IFLA_INFO_DATA`.
#[allow(clippy::too_many_arguments)]
fn new_link(
    buf: &mut Vec<u8>,
    seq: u32,
    mac: Option<&[u8; 6]>,
    parent: u32,
    name: &str,
    group: Option<u32>,
    kind: &[u8],
    data: impl FnOnce(&mut Emitter<'_>),
) -> Result<(), EncodeError> {
    let flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;
    let mut e = Emitter::new(buf, RTM_NEWLINK, flags, seq);
    e.fixed(&ifinfo(0, 0, 0));
    if let Some(mac) = mac {
        e.attr(IFLA_ADDRESS, mac);
    }
    e.attr_u32(IFLA_LINK, parent);
    e.attr_str(IFLA_IFNAME, name);
    if let Some(g) = group {
        e.attr_u32(IFLA_GROUP, g);
    }
    let info = e.begin_nest(IFLA_LINKINFO);
    // iproute2 and keepalived send the kind without its NUL.
    e.attr(IFLA_INFO_KIND, kind);
    let at = e.begin_nest(IFLA_INFO_DATA);
    data(&mut e);
    e.end_nest(at);
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
pub(crate) mod tests {
    use super::*;
    use crate::netlink::wire::{Attrs, Messages};

    /// The kernel-side values of the lines of the iproute2 captures (interface `lo` is 1, as in
    /// the namespace they were taken in):
    ///
    /// ```text
    /// static_ipaddress {
    ///     10.99.1.10/32 brd 10.99.1.255 dev lo label lo:vip
    ///     fd00:99::10/128 dev lo
    /// }
    /// static_routes {
    ///     10.50.0.0/16 via 10.99.1.10 dev lo table 100 metric 7 protocol keepalived add
    ///     10.60.0.0/16 table 1000 protocol keepalived add nexthop via 10.99.1.10 dev lo weight 2 nexthop via 10.99.1.11 dev lo
    ///     10.70.0.0/16 dev lo mtu lock 1400 realms 1 no_track
    /// }
    /// static_rules {
    ///     from 10.50.0.0/16 table 100 preference 100 protocol keepalived
    /// }
    /// ```
    ///
    /// (`crate::executor::vrrp::kernel_terms` checks that these lines convert to these values.)
    pub(crate) struct Fixtures {
        pub addrs: [Addr; 2],
        pub routes: [RouteMsg; 3],
        pub rules: [RuleMsg; 1],
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    pub(crate) fn fixtures() -> Fixtures {
        let route = RouteMsg {
            family: AF_INET,
            dst: Some(ip("10.50.0.0")),
            dst_len: 16,
            src: None,
            src_len: 0,
            tos: 0,
            table: 100,
            protocol: RTPROT_KEEPALIVED,
            scope: None,
            kind: None,
            flags: 0,
            prefsrc: None,
            gateway: Some(ip("10.99.1.10")),
            oif: Some(1),
            priority: Some(7),
            metrics: vec![],
            lock: 0,
            pref: None,
            expires: None,
            nexthops: vec![],
            add_flags: NLM_F_EXCL,
        };
        let hop = |hops, gw| NextHop {
            ifindex: 1,
            flags: 0,
            hops,
            gateway: Some(ip(gw)),
        };
        Fixtures {
            addrs: [
                Addr {
                    ifindex: 1,
                    family: AF_INET,
                    local: ip("10.99.1.10"),
                    prefix_len: 32,
                    peer: None,
                    broadcast: Some(Ipv4Addr::new(10, 99, 1, 255)),
                    scope: 0,
                    label: Some("lo:vip".into()),
                    flags: 0,
                    preferred_lft: None,
                },
                Addr {
                    ifindex: 1,
                    family: AF_INET6,
                    local: ip("fd00:99::10"),
                    prefix_len: 128,
                    peer: None,
                    broadcast: None,
                    scope: 0,
                    label: None,
                    flags: IFA_F_NODAD,
                    preferred_lft: Some(0),
                },
            ],
            routes: [
                route.clone(),
                RouteMsg {
                    dst: Some(ip("10.60.0.0")),
                    table: 1000,
                    gateway: None,
                    oif: None,
                    priority: None,
                    nexthops: vec![hop(1, "10.99.1.10"), hop(0, "10.99.1.11")],
                    ..route.clone()
                },
                RouteMsg {
                    dst: Some(ip("10.70.0.0")),
                    table: RT_TABLE_MAIN,
                    protocol: RTPROT_BOOT,
                    gateway: None,
                    priority: None,
                    metrics: vec![(2, 1400)],
                    lock: 1 << 2,
                    add_flags: 0,
                    ..route
                },
            ],
            rules: [RuleMsg {
                family: AF_INET,
                src: Some(ip("10.50.0.0")),
                src_len: 16,
                dst: None,
                dst_len: 0,
                tos: 0,
                action: FR_ACT_TO_TBL,
                table: Some(100),
                flags: 0,
                priority: Some(100),
                goto: None,
                l3mdev: false,
                iifname: None,
                oifname: None,
                fwmark: None,
                protocol: Some(RTPROT_KEEPALIVED),
                u32_attrs: vec![],
                raw_attrs: vec![],
            }],
        }
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
        let c = fixtures();
        let mut b = Vec::new();

        // ip addr add 10.99.1.10/32 brd 10.99.1.255 dev lo label lo:vip
        address(&mut b, Op::Add, 1, &c.addrs[0]).unwrap();
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
        address(&mut b, Op::Add, 1, &c.addrs[1]).unwrap();
        same_as_iproute2(
            &b,
            "54 00 00 00 14 00 05 06 71 a0 05 6b 00 00 00 00 0a 80 02 00 01 00 00 00 14 00 02 00
             fd 00 00 99 00 00 00 00 00 00 00 00 00 00 00 10 14 00 01 00 fd 00 00 99 00 00 00 00
             00 00 00 00 00 00 00 10 14 00 06 00 00 00 00 00 ff ff ff ff 00 00 00 00 00 00 00 00",
            8,
            &[(IFA_FLAGS, IFA_F_NODAD.to_ne_bytes().to_vec())],
        );

        // ip route add 10.50.0.0/16 via 10.99.1.10 dev lo table 100 metric 7 proto keepalived
        route(&mut b, Op::Add, 1, &c.routes[0]).unwrap();
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
        route(&mut b, Op::Add, 1, &c.routes[1]).unwrap();
        same_as_iproute2(
            &b,
            "50 00 00 00 18 00 05 06 71 a0 05 6b 00 00 00 00 02 10 00 00 00 12 00 01 00 00 00 00
             08 00 01 00 0a 3c 00 00 08 00 0f 00 e8 03 00 00 24 00 09 00 10 00 00 01 01 00 00 00
             08 00 05 00 0a 63 01 0a 10 00 00 00 01 00 00 00 08 00 05 00 0a 63 01 0b",
            12,
            &[],
        );

        // ip rule add from 10.50.0.0/16 table 100 priority 100 protocol keepalived
        rule(&mut b, Op::Add, 1, &c.rules[0]).unwrap();
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

    /// An ipvlan as `ip link add ipv0 link eth0 type ipvlan mode l2 private` sends it: kind,
    /// `IFLA_IPVLAN_MODE` 0 (L2) and `IFLA_IPVLAN_FLAGS` 1, no MAC.
    #[cfg(target_endian = "little")]
    #[test]
    fn ipvlan_request() {
        let mut b = Vec::new();
        let m = NewIpvlan {
            name: "vrrp.51".into(),
            parent: 3,
            flags: IPVLAN_F_PRIVATE,
            group: None,
        };
        new_ipvlan(&mut b, 1, &m).unwrap();
        let (ty, flags, _, attrs) = canon(&b, 16);
        assert_eq!(ty, RTM_NEWLINK);
        assert_eq!(flags, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
        assert!(!attrs.iter().any(|(t, _)| *t == IFLA_ADDRESS));
        assert!(attrs.contains(&(IFLA_LINK, 3u32.to_ne_bytes().to_vec())));
        let info = attrs.iter().find(|(t, _)| *t == IFLA_LINKINFO).unwrap();
        assert_eq!(
            info.1,
            [
                10, 0, 1, 0, b'i', b'p', b'v', b'l', b'a', b'n', 0, 0, // kind
                20, 0, 2, 0, 6, 0, 1, 0, 0, 0, 0, 0, 6, 0, 2, 0, 1, 0, 0, 0, // data
            ]
        );
    }

    #[test]
    fn deletes_match_without_creating() {
        let c = fixtures();
        let mut b = Vec::new();
        address(&mut b, Op::Del, 9, &c.addrs[0]).unwrap();
        let (ty, flags, hdr, attrs) = canon(&b, 8);
        assert_eq!((ty, flags), (RTM_DELADDR, NLM_F_REQUEST | NLM_F_ACK));
        assert_eq!(hdr[1], 32);
        let types: Vec<u16> = attrs.iter().map(|a| a.0).collect();
        assert_eq!(
            types,
            vec![IFA_ADDRESS, IFA_LOCAL],
            "no label, no broadcast"
        );

        route(&mut b, Op::Del, 9, &c.routes[0]).unwrap();
        let (ty, flags, hdr, _) = canon(&b, 12);
        assert_eq!((ty, flags), (RTM_DELROUTE, NLM_F_REQUEST | NLM_F_ACK));
        // Our protocol, any scope, any type.
        assert_eq!(
            (hdr[5], hdr[6], hdr[7]),
            (RTPROT_KEEPALIVED, RT_SCOPE_NOWHERE, 0)
        );

        rule(&mut b, Op::Del, 9, &c.rules[0]).unwrap();
        let (ty, flags, _, attrs) = canon(&b, 12);
        assert_eq!((ty, flags), (RTM_DELRULE, NLM_F_REQUEST | NLM_F_ACK));
        assert!(attrs.contains(&(FRA_PROTOCOL, vec![RTPROT_KEEPALIVED])));
    }

    #[test]
    fn metrics_defaults_and_what_is_not_sent() {
        let c = fixtures();
        let mut b = Vec::new();
        route(&mut b, Op::Add, 1, &c.routes[2]).unwrap();
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
    }
}
