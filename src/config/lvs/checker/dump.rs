//! Writing checkers back as configuration.

use super::*;

pub(in crate::config::lvs) fn dump(c: &Checker, w: &mut Writer) {
    let secs = value::fmt_secs;
    let yes = |b: bool| if b { "yes" } else { "no" };
    w.open::<&str>(c.kind.keyword(), &[]);
    match &c.kind {
        CheckerKind::File(f) => {
            w.line("track_file", &[&f.track_file]);
            if let Some(v) = f.weight {
                if f.reverse {
                    w.line("weight", &[v.to_string(), "reverse".into()]);
                } else {
                    w.line("weight", &[v.to_string()]);
                }
            }
            if f.dynamic {
                w.line::<&str>("dynamic", &[]);
            }
            w.close();
            return;
        }
        CheckerKind::Bfd(name) => {
            w.line("name", &[name]);
            w.line("alpha", &[yes(c.alpha)]);
            w.close();
            return;
        }
        _ => {}
    }
    if let Some(conn) = &c.conn {
        w.opt("connect_ip", &conn.connect_ip);
        w.opt("connect_port", &conn.connect_port);
        w.opt("bindto", &conn.bindto);
        w.opt("bind_port", &conn.bind_port);
        w.opt("bind_if", &conn.bind_if);
        w.opt("fwmark", &conn.fwmark);
        w.line("connect_timeout", &[secs(conn.connect_timeout)]);
    }
    w.line("retry", &[c.retry.to_string()]);
    w.line("delay_before_retry", &[secs(c.delay_before_retry)]);
    w.line("warmup", &[secs(c.warmup)]);
    w.line("delay_loop", &[secs(c.delay_loop)]);
    w.line("alpha", &[yes(c.alpha)]);
    w.line("log_all_failures", &[yes(c.log_all_failures)]);
    // Not keepalived's: only when set.
    w.opt("rise", &c.rise);
    if c.fast_reprobe {
        w.line("fast_reprobe", &[yes(true)]);
    }
    match &c.kind {
        CheckerKind::Http(h) => {
            w.line("http_protocol", &[h.http_protocol.name()]);
            w.opt("virtualhost", &h.virtualhost);
            w.line("enable_sni", &[yes(h.enable_sni)]);
            if h.verify {
                w.line("ssl_verify", &[yes(true)]);
            }
            w.opt("sni_name", &h.sni_name);
            if h.tls_compliant {
                w.line::<&str>("tls_compliant", &[]);
            }
            w.line("fast_recovery", &[yes(h.fast_recovery)]);
            for u in &h.urls {
                dump_url(u, w);
            }
        }
        CheckerKind::Smtp(s) => w.line("helo_name", &[&s.helo_name]),
        CheckerKind::Misc(m) => {
            w.line("misc_path", &[&m.path]);
            w.opt("misc_timeout", &m.timeout);
            if m.dynamic {
                w.line::<&str>("misc_dynamic", &[]);
            }
            if let Some(u) = &m.user {
                match &m.group {
                    Some(g) => w.line("user", &[u, g]),
                    None => w.line("user", &[u]),
                }
            }
        }
        CheckerKind::Dns(dns) => {
            w.line("type", &[dns.qtype.name()]);
            w.line("name", &[&dns.name]);
        }
        CheckerKind::Udp(u) => {
            if let Some(p) = &u.payload {
                w.line("payload", &[hex_word(p, None)]);
            }
            if u.require_reply {
                match &u.reply {
                    Some(r) => w.line("require_reply", &[hex_word(&r.data, Some(&r.mask))]),
                    None => w.line::<&str>("require_reply", &[]),
                }
            }
            w.line("min_reply_length", &[u.min_reply_length.to_string()]);
            w.line("max_reply_length", &[u.max_reply_length.to_string()]);
        }
        _ => {}
    }
    w.close();
}

pub(super) fn dump_url(u: &Url, w: &mut Writer) {
    w.open::<&str>("url", &[]);
    w.line("path", &[&u.path]);
    if let Some(dg) = &u.digest {
        let hex: String = dg.iter().map(|b| format!("{b:02x}")).collect();
        w.line("digest", &[hex]);
    }
    let codes: Vec<String> = u
        .status_codes
        .0
        .iter()
        .map(|&(a, b)| {
            if a == b {
                a.to_string()
            } else {
                format!("{a}-{b}")
            }
        })
        .collect();
    w.line("status_code", &codes);
    w.opt("virtualhost", &u.virtualhost);
    if let Some(r) = &u.regex {
        w.line("regex", &[&r.pattern]);
        if r.no_match {
            w.line::<&str>("regex_no_match", &[]);
        }
        if !r.options.is_empty() {
            w.line("regex_options", &r.options);
        }
        if r.min_offset != 0 {
            w.line("regex_min_offset", &[r.min_offset.to_string()]);
        }
        w.opt("regex_max_offset", &r.max_offset);
        if let Some((a, b)) = r.stack {
            w.line("regex_stack", &[a.to_string(), b.to_string()]);
        }
    }
    w.close();
}
