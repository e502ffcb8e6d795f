//! The sub-blocks of a `vrrp_instance`: `use_vmac`, `use_ipvlan`, `unicast_peer`, `authentication`.

use super::*;

pub(super) fn parse_vmac(d: &mut Diagnostics, n: &Node, vm: &mut Vmac) {
    let args = n.args();
    let mut k = 0;
    while k < args.len() {
        let w = &args[k];
        let t = w.text.as_str();
        if t.contains(':') {
            if vm.mac.is_some() {
                warn_at(
                    d,
                    At::word(w),
                    "`use_vmac`: MAC address already specified - ignoring",
                );
            } else {
                match parse_mac(t) {
                    None => {
                        warn_at(
                            d,
                            At::word(w),
                            format!(
                                "`use_vmac`: invalid MAC address `{t}` (5 or 6 hex octets) - ignoring"
                            ),
                        );
                    }
                    Some(m) if m[0] & 1 == 1 => {
                        warn_at(
                            d,
                            At::word(w),
                            format!("`use_vmac`: MAC address `{t}` is multicast - ignoring"),
                        );
                    }
                    Some(m) if m[..4] == [0, 0, 0x5e, 0] && matches!(m[4], 1 | 2) => {
                        warn_at(
                            d,
                            At::word(w),
                            format!(
                                "`use_vmac`: MAC address `{t}` is an RFC 5798 virtual router MAC - ignoring"
                            ),
                        );
                    }
                    Some(m) => vm.mac = Some(m),
                }
            }
            k += 1;
            continue;
        }
        if t == "netlink_notify_msg" {
            vm.netlink_notify_msg = true;
            k += 1;
            continue;
        }
        if t == "group" {
            match args.get(k + 1) {
                Some(g) => vm.group = Some(g.text.clone()),
                None => {
                    warn_at(
                        d,
                        At::word(w),
                        "`use_vmac`: `group` needs a value - ignoring",
                    );
                }
            }
            k += 2;
            continue;
        }
        let nw = if t == "name" {
            k += 1;
            match args.get(k) {
                Some(x) => x,
                None => {
                    warn_at(
                        d,
                        At::word(w),
                        "`use_vmac`: `name` needs a value - ignoring",
                    );
                    break;
                }
            }
        } else {
            w
        };
        if vm.name.is_some() {
            warn_at(
                d,
                At::word(nw),
                "`use_vmac`: interface name already specified - ignoring",
            );
        } else if !dev_name_valid(&nw.text) {
            warn_at(
                d,
                At::word(nw),
                format!(
                    "`use_vmac`: interface name `{}` is too long or has invalid characters - ignoring",
                    nw.text
                ),
            );
        } else {
            vm.name = Some(nw.text.clone());
        }
        k += 1;
    }
}

pub(super) fn parse_ipvlan(d: &mut Diagnostics, n: &Node, fam: &mut Fam) -> Ipvlan {
    let mut iv = Ipvlan::default();
    let args = n.args();
    let mut k = 0;
    while k < args.len() {
        let w = &args[k];
        let t = w.text.as_str();
        let mode = match t {
            "bridge" => Some(IpvlanMode::Bridge),
            "private" => Some(IpvlanMode::Private),
            "vepa" => Some(IpvlanMode::Vepa),
            _ => None,
        };
        if let Some(m) = mode {
            if iv.mode.is_some() {
                warn_at(
                    d,
                    At::word(w),
                    format!("`use_ipvlan`: mode already specified - ignoring `{t}`"),
                );
            } else {
                iv.mode = Some(m);
            }
            k += 1;
            continue;
        }
        if t == "group" {
            match args.get(k + 1) {
                Some(g) => iv.group = Some(g.text.clone()),
                None => {
                    warn_at(
                        d,
                        At::word(w),
                        "`use_ipvlan`: `group` needs a value - ignoring",
                    );
                }
            }
            k += 2;
            continue;
        }
        let nw = if t == "name" {
            k += 1;
            match args.get(k) {
                Some(x) => x,
                None => {
                    warn_at(
                        d,
                        At::word(w),
                        "`use_ipvlan`: `name` needs a value - ignoring",
                    );
                    break;
                }
            }
        } else {
            if let Some(p) = value::parse_prefix(t) {
                if iv.addr.is_some() {
                    warn_at(
                        d,
                        At::word(w),
                        format!("`use_ipvlan`: address already specified - ignoring `{t}`"),
                    );
                } else if fam.take(d, "use_ipvlan", w, p.addr) {
                    iv.addr = Some(p);
                }
                k += 1;
                continue;
            }
            w
        };
        if iv.name.is_some() {
            warn_at(
                d,
                At::word(nw),
                format!(
                    "`use_ipvlan`: interface already specified - ignoring `{}`",
                    nw.text
                ),
            );
        } else if !dev_name_valid(&nw.text) {
            warn_at(
                d,
                At::word(nw),
                format!(
                    "`use_ipvlan`: interface name `{}` is too long or invalid - ignoring",
                    nw.text
                ),
            );
        } else {
            iv.name = Some(nw.text.clone());
        }
        k += 1;
    }
    iv
}

pub(super) fn parse_peer(d: &mut Diagnostics, l: &Node, fam: &mut Fam) -> Option<UnicastPeer> {
    let w = &l.words[0];
    let a = sock_addr(d, "unicast_peer", w)?;
    if !fam.take(d, "unicast_peer", w, a) {
        return None;
    }
    let mut p = UnicastPeer {
        addr: a,
        min_ttl: None,
        max_ttl: None,
        at: At::word(w),
    };
    let rest = &l.words[1..];
    let mut k = 0;
    while k < rest.len() {
        let o = &rest[k];
        match (o.text.as_str(), rest.get(k + 1)) {
            ("min_ttl" | "max_ttl", Some(v)) => {
                if let Some(x) = value::int_in(d, &o.text, v, 0, 255) {
                    if o.text == "min_ttl" {
                        p.min_ttl = Some(x as u8);
                    } else {
                        p.max_ttl = Some(x as u8);
                    }
                }
                k += 2;
            }
            (t, _) => {
                warn_at(
                    d,
                    At::word(o),
                    format!(
                        "`unicast_peer`: `{t}` after `{}` is not `min_ttl N` or `max_ttl N` - ignoring (one peer per line)",
                        w.text
                    ),
                );
                k += if matches!(t, "min_ttl" | "max_ttl") {
                    1
                } else {
                    2
                };
            }
        }
    }
    if let (Some(lo), Some(hi)) = (p.min_ttl, p.max_ttl)
        && lo > hi
    {
        warn_at(
            d,
            p.at,
            format!(
                "`unicast_peer`: min_ttl {lo} > max_ttl {hi} for `{}` - every advert from it will be dropped",
                w.text
            ),
        );
    }
    Some(p)
}

pub(super) fn parse_auth(d: &mut Diagnostics, lines: &[Node], a: &mut Authentication) {
    for n in lines {
        let Some(kw) = n.words.first() else { continue };
        match kw.text.as_str() {
            "auth_type" => {
                value::no_block(d, n);
                let Some(w) = value::one_arg(d, n) else {
                    continue;
                };
                match w.text.as_str() {
                    "PASS" => a.auth_type = Some(AuthType::Pass),
                    "AH" => a.auth_type = Some(AuthType::Ah),
                    other => {
                        warn_at(
                            d,
                            At::word(w),
                            format!(
                                "`auth_type`: unknown authentication type `{other}` (use PASS|AH) - ignoring"
                            ),
                        );
                    }
                }
            }
            "auth_pass" => {
                value::no_block(d, n);
                let Some(w) = value::one_arg(d, n) else {
                    continue;
                };
                let mut p = w.text.clone();
                if p.len() > 8 {
                    let mut cut = 8;
                    while !p.is_char_boundary(cut) {
                        cut -= 1;
                    }
                    p.truncate(cut);
                    warn_at(
                        d,
                        At::word(w),
                        format!("`auth_pass` is longer than 8 characters - truncated to `{p}`"),
                    );
                }
                a.auth_pass = Some(p);
            }
            _ => value::unknown(d, kw, &["auth_type", "auth_pass"], "authentication"),
        }
    }
}

pub(super) const HMAC_KEYWORDS: &[&str] =
    &["key", "active_key", "anti_replay", "time_window", "mode"];

pub(super) fn parse_hmac(d: &mut Diagnostics, lines: &[Node], h: &mut AuthHmac) {
    for n in lines {
        let Some(kw) = n.words.first() else { continue };
        match kw.text.as_str() {
            "key" => {
                value::no_block(d, n);
                let args = n.args();
                let (Some(idw), Some(vw)) = (args.first(), args.get(1)) else {
                    warn_at(d, At::node(n), "`key` needs an id and a value - ignoring");
                    continue;
                };
                let Some(id) = value::int_in(d, "key", idw, 1, 255) else {
                    continue;
                };
                if h.keys.iter().any(|k| k.id as i64 == id) {
                    warn_at(
                        d,
                        At::word(idw),
                        format!("`key` {id} is defined twice - ignoring"),
                    );
                    continue;
                }
                let v = vw.text.as_str();
                let len = if let Some(hex) = v.strip_prefix("hex:") {
                    if hex.len() % 2 != 0 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
                        warn_at(
                            d,
                            At::word(vw),
                            format!(
                                "`key` {id}: `{v}` is not an even number of hex digits - ignoring"
                            ),
                        );
                        continue;
                    }
                    Some(hex.len() / 2)
                } else if v.starts_with("file:") {
                    None
                } else {
                    Some(v.len())
                };
                if let Some(l) = len
                    && !(32..=64).contains(&l)
                {
                    warn_at(
                        d,
                        At::word(vw),
                        format!("`key` {id}: a key of {l} bytes (must be 32 to 64) - ignoring"),
                    );
                    continue;
                }
                h.keys.push(HmacKey {
                    id: id as u8,
                    value: v.to_string(),
                });
            }
            "active_key" => {
                if let Some(x) = int_arg(d, n, 1, 255) {
                    h.active_key = Some(x as u8);
                }
            }
            "anti_replay" => {
                let Some(s) = str_arg(d, n) else { continue };
                match s.as_str() {
                    "time" => h.anti_replay = Some(AntiReplay::Time),
                    "monotonic" => h.anti_replay = Some(AntiReplay::Monotonic),
                    _ => {
                        warn_at(
                            d,
                            At::word(&n.args()[0]),
                            format!("`anti_replay`: `{s}` is not time|monotonic - ignoring"),
                        );
                    }
                }
            }
            "time_window" => {
                if let Some(x) = int_arg(d, n, 1, 300) {
                    h.time_window = Some(x as u16);
                }
            }
            "mode" => {
                let Some(s) = str_arg(d, n) else { continue };
                match s.as_str() {
                    "enforce" => h.mode = Some(HmacMode::Enforce),
                    "permissive" => h.mode = Some(HmacMode::Permissive),
                    "receive-only" => h.mode = Some(HmacMode::ReceiveOnly),
                    _ => {
                        warn_at(
                            d,
                            At::word(&n.args()[0]),
                            format!(
                                "`mode`: `{s}` is not enforce|permissive|receive-only - ignoring"
                            ),
                        );
                    }
                }
            }
            _ => value::unknown(d, kw, HMAC_KEYWORDS, "auth_hmac"),
        }
    }
    if h.keys.is_empty() {
        warn_at(
            d,
            h.at,
            "`auth_hmac` has no `key` - adverts cannot be signed",
        );
    }
    match h.active_key {
        None if !h.keys.is_empty() => {
            warn_at(d, h.at, "`auth_hmac` has no `active_key`");
        }
        Some(k) if !h.keys.iter().any(|x| x.id == k) => {
            warn_at(
                d,
                h.at,
                format!("`auth_hmac`: `active_key` {k} names no `key`"),
            );
        }
        _ => {}
    }
}
