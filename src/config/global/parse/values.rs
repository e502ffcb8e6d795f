//! Values of `global_defs` settings that take more than one word or a sub-block.

use super::*;

/// `smtp_server HOST [PORT]`: an address, or a host name resolved later.
pub(super) fn smtp_server(d: &mut Diagnostics, node: &Node) -> Option<SmtpServer> {
    let w = value::first_of(d, node, 2)?;
    let port = match node.args().get(1) {
        Some(p) => value::dec_in(d, "smtp_server", p, 1, 65535)? as u16,
        None => SMTP_PORT,
    };
    let host = match w.text.parse::<IpAddr>() {
        Ok(a) => SmtpHost::Ip(a),
        Err(_) if is_host_name(&w.text) => {
            d.note(
                w.loc,
                format!(
                    "`smtp_server`: `{}` is a host name, not an IP address; it is resolved at startup",
                    w.text
                ),
            )
            .hint("keepalived reports a name it cannot resolve as \"Invalid smtp server\"");
            SmtpHost::Name(w.text.clone())
        }
        Err(_) => {
            d.warn(
                w.loc,
                format!(
                    "`smtp_server`: `{}` is neither an IP address nor a host name - ignoring",
                    w.text
                ),
            );
            return None;
        }
    };
    Some(SmtpServer { host, port })
}

/// RFC 1123 host name syntax (letters, digits, hyphens; dot-separated labels of 1..63).
pub(super) fn is_host_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && !s.chars().all(|c| c.is_ascii_digit() || c == '.')
        && s.trim_end_matches('.').split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

/// `vrrp_rx_bufs_policy MTU|ADVERT|SIZE`.
pub(super) fn rx_bufs_policy(d: &mut Diagnostics, node: &Node) -> Option<RxBufsPolicy> {
    let k = "vrrp_rx_bufs_policy";
    if node.args().is_empty() {
        d.warn(
            node.loc,
            format!("`{k}` needs MTU, ADVERT or a size - ignoring"),
        );
        return None;
    }
    let (mut mtu, mut advert, mut size): (Option<&Word>, Option<&Word>, Option<u32>) =
        (None, None, None);
    for w in node.args() {
        match w.text.to_ascii_uppercase().as_str() {
            "MTU" => mtu = Some(w),
            "ADVERT" => advert = Some(w),
            _ => {
                size = Some(value::dec_in(d, k, w, 0, U32_MAX)? as u32);
            }
        }
    }
    if let Some(s) = size {
        if let Some(p) = mtu.or(advert) {
            d.warn(
                p.loc,
                format!("`{k}`: both a size and a policy - ignoring `{}`", p.text),
            );
        }
        return Some(RxBufsPolicy::Size(s));
    }
    if let (Some(_), Some(a)) = (mtu, advert) {
        d.warn(
            a.loc,
            format!("`{k}`: both MTU and ADVERT - ignoring `{}`", a.text),
        );
    }
    Some(if mtu.is_some() {
        RxBufsPolicy::Mtu
    } else {
        RxBufsPolicy::Advert
    })
}

/// `lvs_timeouts [tcp S] [tcpfin S] [udp S]`.
pub(super) fn lvs_timeouts(d: &mut Diagnostics, node: &Node, t: &mut LvsTimeouts) {
    let args = node.args();
    if args.len() < 2 {
        d.warn(
            node.loc,
            "`lvs_timeouts` needs at least one of `tcp SECS`, `tcpfin SECS`, `udp SECS` - ignoring",
        );
        return;
    }
    let mut i = 0;
    while i < args.len() {
        let w = &args[i];
        let slot = match w.text.as_str() {
            "tcp" => &mut t.tcp,
            "tcpfin" => &mut t.tcpfin,
            "udp" => &mut t.udp,
            _ => {
                d.warn(
                    w.loc,
                    format!(
                        "`lvs_timeouts`: unknown option `{}` (tcp, tcpfin, udp) - ignoring it",
                        w.text
                    ),
                );
                i += 1;
                continue;
            }
        };
        match args.get(i + 1) {
            None => {
                d.warn(
                    w.loc,
                    format!("`lvs_timeouts`: `{}` needs a value - ignoring", w.text),
                );
            }
            Some(v) => {
                let kw = format!("lvs_timeouts {}", w.text);
                if let Some(n) = value::dec_in(d, &kw, v, 0, 2_678_400) {
                    *slot = Some(n as u32);
                }
            }
        }
        i += 2;
    }
}

/// `lvs_sync_daemon IF [[inst] VI] [id N] [maxlen N] [port N] [ttl N] [group IP]`, with the old
/// form `IF VI SYNCID` (keepalived: "Please use keyword "id" before lvs_sync_daemon SYNCID").
pub(super) fn sync_daemon(d: &mut Diagnostics, node: &Node) -> Option<SyncDaemon> {
    const OPTS: &[&str] = &["id", "maxlen", "port", "ttl", "group", "inst"];
    let k = "lvs_sync_daemon";
    let args = node.args();
    let Some(ifname) = args.first() else {
        d.warn(node.loc, "`lvs_sync_daemon` needs an interface - ignoring");
        return None;
    };
    let mut s = SyncDaemon {
        interface: ifname.text.clone(),
        instance: None,
        syncid: None,
        maxlen: None,
        port: None,
        ttl: None,
        group: None,
    };
    let mut i = 1;
    if let Some(w) = args.get(1)
        && !OPTS[..5].contains(&w.text.as_str())
    {
        if w.text == "inst" {
            match args.get(2) {
                Some(v) => s.instance = Some(v.text.clone()),
                None => {
                    d.warn(
                        w.loc,
                        "`lvs_sync_daemon`: `inst` needs a VRRP instance - ignoring",
                    );
                }
            }
            i = 3;
        } else {
            s.instance = Some(w.text.clone());
            i = 2;
        }
    }
    while i < args.len() {
        let w = &args[i];
        let opt = w.text.as_str();
        if !OPTS[..5].contains(&opt) {
            // The old positional SYNCID.
            if w.text.parse::<i64>().is_ok() {
                d.warn(
                    w.loc,
                    format!("`lvs_sync_daemon`: write `id {}` for the sync id", w.text),
                );
            }
            if let Some(n) = value::dec_in(d, k, w, 0, 255) {
                s.syncid = Some(n as u8);
            }
            i += 1;
            continue;
        }
        let Some(v) = args.get(i + 1) else {
            d.warn(
                w.loc,
                format!("`lvs_sync_daemon`: `{opt}` needs a value - ignoring"),
            );
            break;
        };
        let kw = format!("lvs_sync_daemon {opt}");
        match opt {
            "id" => {
                s.syncid = value::dec_in(d, &kw, v, 0, 255)
                    .map(|n| n as u8)
                    .or(s.syncid)
            }
            "maxlen" => {
                s.maxlen = value::dec_in(d, &kw, v, 1, 65507)
                    .map(|n| n as u16)
                    .or(s.maxlen);
            }
            "port" => {
                s.port = value::dec_in(d, &kw, v, 1, 65535)
                    .map(|n| n as u16)
                    .or(s.port)
            }
            "ttl" => s.ttl = value::dec_in(d, &kw, v, 1, 255).map(|n| n as u8).or(s.ttl),
            _ => {
                if let Some(a) = value::ip(d, &kw, v) {
                    if a.is_multicast() {
                        s.group = Some(a);
                    } else {
                        d.warn(
                            v.loc,
                            format!("`{kw}`: `{}` is not a multicast address - ignoring", v.text),
                        );
                    }
                }
            }
        }
        i += 2;
    }
    Some(s)
}

/// `include_check [[+|-]OPTION ...]`; no option adds all four checks.
pub(super) fn include_check(d: &mut Diagnostics, node: &Node) -> IncludeCheck {
    let mut ic = IncludeCheck::default();
    if node.args().is_empty() {
        ic.add = IncludeChecks {
            readable: true,
            matches: true,
            wildcard_match: true,
            brace_match: true,
        };
        return ic;
    }
    let mut seen: Vec<&str> = Vec::new();
    for w in node.args() {
        let (remove, name) = match w.text.strip_prefix('-') {
            Some(n) => (true, n),
            None => (false, w.text.strip_prefix('+').unwrap_or(&w.text)),
        };
        let set = if remove { &mut ic.remove } else { &mut ic.add };
        let flag = match name {
            "readable" => &mut set.readable,
            "match" => &mut set.matches,
            "wildcard_match" => &mut set.wildcard_match,
            "brace_match" => &mut set.brace_match,
            _ => {
                d.warn(
                    w.loc,
                    format!(
                        "`include_check`: unknown check `{}` (readable, match, wildcard_match, brace_match) - ignoring it",
                        w.text
                    ),
                );
                continue;
            }
        };
        if seen.contains(&name) {
            d.warn(
                w.loc,
                format!(
                    "`include_check`: `{name}` given twice - ignoring `{}`",
                    w.text
                ),
            );
            continue;
        }
        seen.push(name);
        *flag = true;
    }
    ic
}

/// `umask NUMBER` (hex `0x..`, octal `0..`, decimal) or `umask BITS` (`IWGRP|IWOTH`, spaces
/// around `|` allowed).
pub(super) fn umask(d: &mut Diagnostics, node: &Node) -> Option<u32> {
    let Some(first) = node.args().first() else {
        d.warn(node.loc, "`umask` needs a value - ignoring");
        return None;
    };
    if first.text.starts_with(|c: char| c.is_ascii_digit()) {
        if let Some(extra) = node.args().get(1) {
            d.warn(
                extra.loc,
                format!(
                    "`umask`: extra `{}` after the number - ignoring",
                    extra.text
                ),
            );
            return None;
        }
        let t = first.text.as_str();
        let v = if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
            u32::from_str_radix(h, 16).ok()
        } else if t.len() > 1 && t.starts_with('0') {
            u32::from_str_radix(&t[1..], 8).ok()
        } else {
            t.parse::<u32>().ok()
        };
        return match v {
            Some(v) if v <= 0o777 => Some(v),
            _ => {
                d.warn(
                    first.loc,
                    format!("`umask`: `{t}` is not a mode between 0 and 0777 - ignoring"),
                );
                None
            }
        };
    }
    // Bits joined by `|`: a `|` must stand between every two names.
    let mut mask = 0;
    let mut want_bit = true;
    for w in node.args() {
        let mut rest = w.text.as_str();
        while !rest.is_empty() {
            if let Some(r) = rest.strip_prefix('|') {
                if want_bit {
                    d.warn(w.loc, "`umask`: `|` without a bit before it - ignoring");
                    return None;
                }
                want_bit = true;
                rest = r;
                continue;
            }
            let end = rest.find('|').unwrap_or(rest.len());
            let bit = &rest[..end];
            if !want_bit {
                d.warn(
                    w.loc,
                    format!("`umask`: `{bit}` needs a `|` before it - ignoring"),
                );
                return None;
            }
            match UMASK_BITS.iter().find(|(n, _)| *n == bit) {
                Some((_, v)) => mask |= v,
                None => {
                    d.warn(
                        w.loc,
                        format!(
                            "`umask`: unknown bit `{bit}` (I{{R|W|X}}{{USR|GRP|OTH}}, e.g. IWGRP|IWOTH) - ignoring"
                        ),
                    );
                    return None;
                }
            }
            want_bit = false;
            rest = &rest[end..];
        }
    }
    if want_bit {
        let last = node.args().last().map_or(node.loc, |w| w.loc);
        d.warn(
            last,
            "`umask`: a bit is missing after the last `|` - ignoring",
        );
        return None;
    }
    Some(mask)
}

/// `snmp_socket SOCKET`: one word; the first one counts.
pub(super) fn snmp_socket(d: &mut Diagnostics, node: &Node, slot: &mut Option<String>) {
    match node.args() {
        [] => {
            d.warn(node.loc, "`snmp_socket` needs a socket name - ignoring");
        }
        [w] => match slot {
            Some(old) => {
                d.warn(
                    w.loc,
                    format!("`snmp_socket` is already `{old}` - ignoring `{}`", w.text),
                );
            }
            None => *slot = Some(w.text.clone()),
        },
        [_, extra, ..] => {
            d.warn(
                extra.loc,
                "`snmp_socket` takes one socket name - ignoring the line",
            );
        }
    }
}
