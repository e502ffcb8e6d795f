//! `virtual_server_group`: its addresses, ranges and fwmarks, and applying a group to its virtual servers.

use super::*;

pub(in crate::config::lvs) fn parse_group(
    node: &Node,
    d: &mut Diagnostics,
) -> Option<VirtualServerGroup> {
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

pub(super) fn group_fwmark(g: &mut VirtualServerGroup, n: &Node, d: &mut Diagnostics) {
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

pub(super) fn group_addresses(
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

pub(super) fn ip_u128(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(a) => u32::from(a) as u128,
        IpAddr::V6(a) => u128::from(a),
    }
}

/// The last address of `start/len`, or `None` if `start` has bits set below the prefix.
pub(super) fn prefix_end(start: IpAddr, len: u32) -> Option<IpAddr> {
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
pub(super) fn short_range_end(start: IpAddr, end: &str) -> Option<IpAddr> {
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

pub(in crate::config::lvs) fn dump_group(g: &VirtualServerGroup, w: &mut Writer) {
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

/// The checks keepalived makes once a `group` virtual server is linked to its group.
pub(in crate::config::lvs) fn apply_group(
    vs: &mut VirtualServer,
    g: &VirtualServerGroup,
    d: &mut Diagnostics,
) {
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
