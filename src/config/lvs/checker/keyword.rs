//! The keywords of a checker block: connection options, the common ones, then per checker kind.

use super::*;

pub(super) fn conn_keyword(conn: &mut RawConn, n: &Node, kw: &Word, d: &mut Diagnostics) -> bool {
    let k = kw.text.as_str();
    if !CONN_KEYWORDS.contains(&k) {
        return false;
    }
    let Some(w) = read::arg1(d, n) else {
        return true;
    };
    match k {
        "connect_ip" | "bindto" => {
            let Some(ip) = read::ip_addr(&w.text) else {
                d.warn(
                    w.loc,
                    format!("`{k}`: `{}` is not an IP address - ignoring", w.text),
                );
                return true;
            };
            let other = if k == "connect_ip" {
                conn.bindto
            } else {
                conn.connect_ip
            };
            if let Some(o) = other
                && o.is_ipv4() != ip.is_ipv4()
            {
                d.warn(
                    w.loc,
                    format!(
                        "`{k} {ip}` is not of the family of `{}` {o} - ignoring",
                        if k == "connect_ip" {
                            "bindto"
                        } else {
                            "connect_ip"
                        }
                    ),
                );
                return true;
            }
            if k == "connect_ip" {
                conn.connect_ip = Some(ip);
            } else {
                conn.bindto = Some(ip);
            }
        }
        "connect_port" | "bind_port" => {
            if let Some(p) = read::uint(d, k, w, 1, 65535) {
                if k == "connect_port" {
                    conn.connect_port = Some(p as u16);
                } else {
                    conn.bind_port = Some(p as u16);
                }
            }
        }
        "bind_if" => {
            if w.text.len() > 15 {
                d.warn(
                    w.loc,
                    format!(
                        "`bind_if`: interface name `{}` is longer than 15 characters - ignoring",
                        w.text
                    ),
                );
            } else {
                conn.bind_if = Some(w.text.clone());
            }
        }
        "connect_timeout" => {
            if let Some(v) = read::timer(d, k, w, Duration::from_micros(1), CONNECT_TIMEOUT_MAX) {
                conn.connect_timeout = Some(v);
            }
        }
        _ => {
            if let Some(v) = read::uint(d, k, w, 0, u32::MAX as u64) {
                conn.fwmark = Some(v as u32);
            }
        }
    }
    true
}

pub(super) fn base_keyword(c: &mut RawChecker, n: &Node, kw: &Word, d: &mut Diagnostics) -> bool {
    let k = kw.text.as_str();
    if !BASE_KEYWORDS.contains(&k) {
        return false;
    }
    match k {
        "alpha" => {
            if let Some(b) = read::opt_bool(d, n) {
                c.alpha = Some(b);
            }
        }
        "log_all_failures" => {
            if let Some(b) = read::opt_bool(d, n) {
                c.log_all_failures = b;
            }
        }
        "fast_reprobe" => {
            if let Some(b) = read::opt_bool(d, n) {
                c.fast_reprobe = b;
            }
        }
        "retry" | "rise" => {
            let min = u64::from(k == "rise");
            if let Some(w) = read::arg1(d, n)
                && let Some(v) = read::uint(d, k, w, min, u32::MAX as u64)
            {
                if k == "rise" {
                    c.rise = Some(v as u32);
                } else {
                    c.retry = Some(v as u32);
                }
            }
        }
        _ => {
            let min = if k == "delay_loop" {
                Duration::from_micros(1)
            } else {
                Duration::ZERO
            };
            if let Some(w) = read::arg1(d, n)
                && let Some(v) = read::timer(d, k, w, min, TIMER_MAX)
            {
                match k {
                    "delay_before_retry" => c.delay_before_retry = Some(v),
                    "warmup" => c.warmup = Some(v),
                    _ => c.delay_loop = Some(v),
                }
            }
        }
    }
    true
}

/// The options of one checker type; false if `kw` is not one of them.
pub(super) fn specific_keyword(
    c: &mut RawChecker,
    n: &Node,
    kw: &Word,
    d: &mut Diagnostics,
    seen_path: &mut bool,
) -> bool {
    let k = kw.text.as_str();
    match &mut c.kind {
        CheckerKind::Http(h) => match k {
            "nb_get_retry" => {
                d.warn(kw.loc, "`nb_get_retry` is deprecated - use `retry`")
                    .hint("replace `nb_get_retry` by `retry`");
                if let Some(w) = read::arg1(d, n)
                    && let Some(v) = read::uint(d, k, w, 0, u32::MAX as u64)
                {
                    c.retry = Some(v as u32);
                }
                true
            }
            "virtualhost" => {
                if let Some(v) = read::text(d, n, "a host name") {
                    h.virtualhost = Some(v);
                }
                true
            }
            "http_protocol" => {
                let Some(w) = n.args().first() else {
                    d.warn(
                        n.loc,
                        "`http_protocol` needs a version (1.0|1.0C|1.1) - ignoring",
                    );
                    return true;
                };
                read::extra_words(d, n, 1);
                match w.text.as_str() {
                    "1.0" => h.http_protocol = HttpProtocol::V1_0,
                    "1.1" => h.http_protocol = HttpProtocol::V1_1,
                    "1.0C" | "1.0c" => h.http_protocol = HttpProtocol::V1_0C,
                    other => {
                        d.warn(
                            w.loc,
                            format!(
                                "`http_protocol`: unknown version `{other}` (1.0|1.0C|1.1) - ignoring"
                            ),
                        );
                    }
                }
                true
            }
            "enable_sni" => {
                if let Some(b) = read::opt_bool(d, n) {
                    h.enable_sni = b;
                }
                true
            }
            "ssl_verify" => {
                if let Some(b) = read::opt_bool(d, n) {
                    h.verify = b;
                }
                true
            }
            "fast_recovery" => {
                if let Some(b) = read::opt_bool(d, n) {
                    h.fast_recovery = b;
                }
                true
            }
            "sni_name" => {
                newer(d, kw);
                if let Some(v) = read::text(d, n, "a name") {
                    h.sni_name = Some(v);
                }
                true
            }
            "tls_compliant" => {
                newer(d, kw);
                if let Some(b) = read::opt_bool(d, n) {
                    h.tls_compliant = b;
                }
                true
            }
            _ => false,
        },
        CheckerKind::Smtp(s) => {
            if k != "helo_name" {
                return false;
            }
            if let Some(v) = read::text(d, n, "a name") {
                s.helo_name = v;
            }
            true
        }
        CheckerKind::Misc(m) => match k {
            "misc_path" => {
                if *seen_path {
                    d.note(
                        n.loc,
                        "`misc_path` given again - it replaces the earlier one",
                    );
                }
                *seen_path = true;
                m.path = command_line(n.args());
                m.path_loc = At::loc(n.args().first().map_or(n.loc, |w| w.loc));
                true
            }
            "misc_timeout" => {
                if let Some(w) = read::arg1(d, n)
                    && let Some(v) = read::uint(d, k, w, 0, 4294)
                {
                    m.timeout = (v != 0).then_some(v as u32);
                }
                true
            }
            "misc_dynamic" => {
                read::extra_words(d, n, 0);
                m.dynamic = true;
                true
            }
            "user" => {
                match n.args() {
                    [] => {
                        d.warn(n.loc, "`user` needs a user name - ignoring");
                    }
                    args => {
                        read::extra_words(d, n, 2);
                        m.user = Some(args[0].text.clone());
                        m.group = args.get(1).map(|w| w.text.clone());
                    }
                }
                true
            }
            _ => false,
        },
        CheckerKind::Dns(dns) => match k {
            "type" => {
                if let Some(w) = read::arg1(d, n) {
                    match DnsType::ALL
                        .into_iter()
                        .find(|t| t.name().eq_ignore_ascii_case(&w.text))
                    {
                        Some(t) => dns.qtype = t,
                        None => {
                            let names: Vec<&str> = DnsType::ALL.iter().map(|t| t.name()).collect();
                            d.warn(
                                w.loc,
                                format!(
                                    "`type`: unknown DNS query type `{}` ({}) - ignoring",
                                    w.text,
                                    names.join("|")
                                ),
                            );
                        }
                    }
                }
                true
            }
            "name" => {
                let Some(w) = read::arg1(d, n) else {
                    return true;
                };
                if !dns.name.is_empty() {
                    d.warn(w.loc, "DNS_CHECK `name` given again - ignoring");
                    return true;
                }
                let t = w.text.as_str();
                if (t.starts_with('.') && t != ".") || t.contains("..") {
                    d.warn(
                        w.loc,
                        format!("`name`: `{t}` has an empty label - ignoring"),
                    );
                    return true;
                }
                // keepalived 2.2.7 also tests the second character of the name, so it rejects
                // a name whose first label has one character (`a.example.com`) as having an
                // empty label. We warn as it does (so -t agrees) but keep the name.
                if t.as_bytes().get(1) == Some(&b'.') {
                    d.warn(
                        w.loc,
                        format!(
                            "`name`: keepalived 2.2.7 rejects `{t}` (it takes a one-character first label for an empty one); keepalived-rs uses it"
                        ),
                    );
                }
                dns.name = t.to_string();
                true
            }
            _ => false,
        },
        CheckerKind::Udp(u) => match k {
            "payload" => {
                if n.args().is_empty() {
                    d.warn(n.loc, "`payload` needs hex data - ignoring");
                    return true;
                }
                match read_hex(n.args(), false) {
                    Some((data, _)) if !data.is_empty() => u.payload = Some(data),
                    _ => {
                        d.warn(
                            n.args()[0].loc,
                            "`payload`: invalid hex data (pairs of hex digits, spaces between groups) - ignoring",
                        );
                        u.payload = None;
                    }
                }
                true
            }
            "require_reply" => {
                u.require_reply = true;
                if n.args().is_empty() {
                    return true;
                }
                match read_hex(n.args(), true) {
                    Some((data, mask)) if !data.is_empty() => {
                        u.reply = Some(UdpReply { data, mask })
                    }
                    _ => {
                        d.warn(
                            n.args()[0].loc,
                            "`require_reply`: invalid hex data (hex digits, X for any nibble) - any reply is accepted",
                        );
                        u.reply = None;
                    }
                }
                true
            }
            "min_reply_length" | "max_reply_length" => {
                if let Some(w) = read::arg1(d, n)
                    && let Some(v) = read::uint(d, k, w, 0, 65535)
                {
                    if k == "min_reply_length" {
                        u.min_reply_length = v as u16;
                    } else {
                        u.max_reply_length = v as u16;
                    }
                }
                true
            }
            _ => false,
        },
        _ => false,
    }
}

/// A keyword keepalived 2.2.7 does not know (added in 2.3): accepted, with a note.
pub(super) fn newer(d: &mut Diagnostics, kw: &Word) {
    d.note(
        kw.loc,
        format!(
            "`{}` needs keepalived 2.3 or later (keepalived 2.2.7 reports it as unknown)",
            kw.text
        ),
    );
}

/// The words of a command line as one string (a word with spaces is single-quoted when there are
/// several words).
pub(super) fn command_line(words: &[Word]) -> String {
    if words.len() == 1 {
        return words[0].text.clone();
    }
    words
        .iter()
        .map(|w| {
            if w.text.contains(char::is_whitespace) {
                format!("'{}'", w.text)
            } else {
                w.text.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// keepalived's `read_hex_str`: each word is read two hex digits at a time from the left, an odd
/// last digit being a byte of its own (`Ab12f 3` is AB 12 0F 03). With `mask`, `X`/`x` stands
/// for a nibble that is not compared. `None`: invalid.
pub(super) fn read_hex(words: &[Word], mask: bool) -> Option<(Vec<u8>, Vec<u8>)> {
    let mut data = Vec::new();
    let mut masks = Vec::new();
    for w in words {
        let chars: Vec<char> = w.text.chars().collect();
        for pair in chars.chunks(2) {
            let mut v = 0u8;
            let mut m = 0u8;
            for &ch in pair {
                v <<= 4;
                m <<= 4;
                if mask && (ch == 'x' || ch == 'X') {
                    m |= 0xf;
                } else {
                    v |= ch.to_digit(16)? as u8;
                }
            }
            data.push(v);
            masks.push(m);
        }
    }
    Some((data, masks))
}

pub(super) fn hex_word(data: &[u8], mask: Option<&[u8]>) -> String {
    let mut s = String::new();
    for (i, b) in data.iter().enumerate() {
        let m = mask.and_then(|m| m.get(i)).copied().unwrap_or(0);
        for shift in [4u8, 0] {
            if (m >> shift) & 0xf != 0 {
                s.push('X');
            } else {
                s.push(char::from_digit(u32::from((b >> shift) & 0xf), 16).unwrap_or('0'));
            }
        }
    }
    s
}

pub(super) fn bfd_name(c: &mut RawChecker, n: &Node, d: &mut Diagnostics) -> bool {
    let CheckerKind::Bfd(cur) = &mut c.kind else {
        return true;
    };
    if n.args().len() != 1 {
        d.warn(
            n.loc,
            "`BFD_CHECK`: `name` takes exactly one bfd_instance name - checker ignored",
        );
        return false;
    }
    let name = &n.args()[0];
    if !cur.is_empty() {
        d.warn(
            name.loc,
            format!(
                "`BFD_CHECK`: a second `name` ({}, already {cur}) - checker ignored",
                name.text
            ),
        );
        return false;
    }
    if name.text.len() >= 32 {
        d.warn(
            name.loc,
            format!(
                "`BFD_CHECK`: bfd_instance name `{}` is longer than 31 characters - checker ignored",
                name.text
            ),
        );
        return false;
    }
    *cur = name.text.clone();
    true
}

pub(super) fn file_keyword(f: &mut FileCheck, n: &Node, k: &str, d: &mut Diagnostics) -> bool {
    match k {
        "track_file" => {
            if let Some(w) = read::arg1(d, n) {
                f.track_file = w.text.clone();
            }
            true
        }
        "weight" => {
            let Some(w) = n.args().first() else {
                d.warn(n.loc, "`weight` needs a value - ignoring");
                return true;
            };
            let Some(v) = read::int(d, k, w, -(i32::MAX as i64), i32::MAX as i64) else {
                return true;
            };
            let reverse = match n.args().get(1).map(|w| w.text.as_str()) {
                None | Some("noreverse") => false,
                Some("reverse") => true,
                Some(other) => {
                    d.warn(
                        n.args()[1].loc,
                        format!(
                            "`weight`: unknown option `{other}` (reverse|noreverse) - ignoring"
                        ),
                    );
                    return true;
                }
            };
            read::extra_words(d, n, 2);
            f.weight = Some(v as i32);
            f.reverse = reverse;
            true
        }
        "dynamic" => {
            if let Some(kw) = n.words.first() {
                newer(d, kw);
            }
            read::extra_words(d, n, 0);
            f.dynamic = true;
            true
        }
        _ => false,
    }
}
