//! The option words of a route line: `proto`, `encap`, the destination, `nexthop` groups.

use super::*;

/// Reads an option of [`ROUTE_OPTS`] (or `encap`) at `words[i]`; returns it and the index after.
pub(super) fn route_opt(
    d: &mut Diagnostics,
    kw: &str,
    words: &[Word],
    i: usize,
) -> Option<(RouteOpt, usize)> {
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
pub(super) fn encap(
    d: &mut Diagnostics,
    kw: &str,
    words: &[Word],
    i: usize,
) -> Option<(RouteOpt, usize)> {
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
pub(super) fn is_keepalived_proto(p: &str) -> bool {
    p == "keepalived" || value::parse_uint(p) == Some(18)
}

pub(super) fn dest(
    d: &mut Diagnostics,
    kw: &str,
    w: &Word,
    fam: &mut Option<Family>,
) -> Option<RouteDest> {
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
pub(super) fn nexthops(
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
                if super::super::ifname_ok(d, kw, v) {
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
