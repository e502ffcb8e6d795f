//! Health checkers inside a `real_server`: TCP_CHECK, HTTP_GET, SSL_GET, SMTP_CHECK, DNS_CHECK,
//! MISC_CHECK, UDP_CHECK, PING_CHECK, FILE_CHECK and BFD_CHECK.
//!
//! A checker is read into a [`RawChecker`] (unset common options are `None`), checked at the end
//! of its block as keepalived does (a checker missing its mandatory option is dropped), and
//! resolved against its real server once that is resolved ([`RawChecker::resolve`]).

use std::net::IpAddr;
use std::time::Duration;

use super::read::{self, TIMER_MAX};
use super::server::{CONNECT_TIMEOUT_MAX, needs_block};
use super::{At, RealServer};
use crate::config::dump::Writer;
use crate::config::source::Diagnostics;
use crate::config::tree::{Node, Word};
use crate::config::value;

/// A health checker, resolved. FILE_CHECK and BFD_CHECK take none of the common options (BFD_CHECK
/// only `alpha`); their timer and retry fields hold the inherited values and are not used.
#[derive(Debug, Clone, PartialEq)]
pub struct Checker {
    pub kind: CheckerKind,
    /// Connection options; `None` for MISC_CHECK, FILE_CHECK and BFD_CHECK.
    pub conn: Option<ConnOpts>,
    /// `alpha [BOOL]`: start down until the first success; default the real server's.
    pub alpha: bool,
    /// `retry N` (0..): further attempts before failing; default the real server's, else 1
    /// (MISC_CHECK 0, DNS_CHECK 3).
    pub retry: u32,
    /// `delay_before_retry`; default the real server's, else 1 s (HTTP_GET/SSL_GET 3 s,
    /// DNS_CHECK its delay_loop).
    pub delay_before_retry: Duration,
    /// `warmup`: random delay up to this before the first check; default the real server's,
    /// else delay_loop.
    pub warmup: Duration,
    /// `delay_loop`; default the real server's.
    pub delay_loop: Duration,
    /// `log_all_failures [BOOL]`, default no.
    pub log_all_failures: bool,
    pub loc: At,
}

/// Connection options of a network checker.
#[derive(Debug, Clone, PartialEq)]
pub struct ConnOpts {
    /// `connect_ip`; `None`: the real server's address.
    pub connect_ip: Option<IpAddr>,
    /// `connect_port` 1..=65535; `None`: the real server's port.
    pub connect_port: Option<u16>,
    /// `bindto`: source address (same family as the destination).
    pub bindto: Option<IpAddr>,
    /// `bind_port` 1..=65535.
    pub bind_port: Option<u16>,
    /// `bind_if`: needed for an IPv6 link-local destination; at most 15 characters.
    pub bind_if: Option<String>,
    /// `fwmark`: SO_MARK on the checker's packets.
    pub fwmark: Option<u32>,
    /// `connect_timeout`; default the real server's.
    pub connect_timeout: Duration,
}

/// What a checker does.
#[derive(Debug, Clone, PartialEq)]
pub enum CheckerKind {
    /// TCP_CHECK: connect.
    Tcp,
    /// HTTP_GET or SSL_GET.
    Http(HttpCheck),
    /// SMTP_CHECK.
    Smtp(SmtpCheck),
    /// MISC_CHECK: run a program.
    Misc(MiscCheck),
    /// DNS_CHECK.
    Dns(DnsCheck),
    /// UDP_CHECK.
    Udp(UdpCheck),
    /// PING_CHECK: ICMP/ICMPv6 echo.
    Ping,
    /// FILE_CHECK: follow a `track_file`.
    File(FileCheck),
    /// BFD_CHECK: follow the `bfd_instance` of this name.
    Bfd(String),
}

/// HTTP_GET / SSL_GET.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpCheck {
    /// SSL_GET.
    pub tls: bool,
    /// `http_protocol 1.0|1.0C|1.1`, default 1.0.
    pub http_protocol: HttpProtocol,
    /// `virtualhost`: Host header; default the real server's.
    pub virtualhost: Option<String>,
    /// `enable_sni [BOOL]`.
    pub enable_sni: bool,
    /// `sni_name NAME` (keepalived 2.3+).
    pub sni_name: Option<String>,
    /// `tls_compliant [BOOL]` (keepalived 2.3+).
    pub tls_compliant: bool,
    /// `fast_recovery [BOOL]`.
    pub fast_recovery: bool,
    /// `url { }` blocks (at least one).
    pub urls: Vec<Url>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum HttpProtocol {
    #[default]
    V1_0,
    /// 1.0 with `Connection: close`.
    V1_0C,
    V1_1,
}

impl HttpProtocol {
    pub fn name(self) -> &'static str {
        match self {
            HttpProtocol::V1_0 => "1.0",
            HttpProtocol::V1_0C => "1.0C",
            HttpProtocol::V1_1 => "1.1",
        }
    }
}

/// `url { path; digest; status_code; virtualhost; regex... }`.
#[derive(Debug, Clone, PartialEq)]
pub struct Url {
    pub path: String,
    /// `digest HEX32`: MD5 of the body (genhash).
    pub digest: Option<[u8; 16]>,
    /// `status_code`: accepted codes, default 200-299.
    pub status_codes: StatusCodes,
    /// `virtualhost`; default the checker's.
    pub virtualhost: Option<String>,
    pub regex: Option<Regex>,
}

/// Accepted HTTP status codes (100..=599) as sorted, merged inclusive ranges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusCodes(pub Vec<(u16, u16)>);

impl Default for StatusCodes {
    fn default() -> StatusCodes {
        StatusCodes(vec![(200, 299)])
    }
}

impl StatusCodes {
    fn add(&mut self, lo: u16, hi: u16) {
        self.0.push((lo, hi));
        self.0.sort_unstable();
        let mut merged: Vec<(u16, u16)> = Vec::new();
        for &(a, b) in &self.0 {
            match merged.last_mut() {
                Some(last) if a <= last.1.saturating_add(1) => last.1 = last.1.max(b),
                _ => merged.push((a, b)),
            }
        }
        self.0 = merged;
    }

    pub fn contains(&self, code: u16) -> bool {
        self.0.iter().any(|&(a, b)| (a..=b).contains(&code))
    }
}

/// `regex` and its options in a `url`.
#[derive(Debug, Clone, PartialEq)]
pub struct Regex {
    /// PCRE2 pattern.
    pub pattern: String,
    /// `regex_no_match`: a match fails the check.
    pub no_match: bool,
    /// `regex_options`: PCRE2 option names.
    pub options: Vec<String>,
    /// `regex_min_offset`.
    pub min_offset: u64,
    /// `regex_max_offset`.
    pub max_offset: Option<u64>,
    /// `regex_stack START MAX` (JIT stack bytes).
    pub stack: Option<(u64, u64)>,
}

const REGEX_OPTIONS: &[&str] = &[
    "allow_empty_class",
    "alt_bsux",
    "auto_callout",
    "caseless",
    "dollar_endonly",
    "dotall",
    "dupnames",
    "extended",
    "firstline",
    "match_unset_backref",
    "multiline",
    "never_ucp",
    "never_utf",
    "no_auto_capture",
    "no_auto_possess",
    "no_dotstar_anchor",
    "no_start_optimize",
    "ucp",
    "ungreedy",
    "utf",
    "never_backslash_c",
    "alt_circumflex",
    "alt_verbnames",
    "use_offset_limit",
];

/// SMTP_CHECK.
#[derive(Debug, Clone, PartialEq)]
pub struct SmtpCheck {
    /// `helo_name`, default `smtpchecker.keepalived.org`.
    pub helo_name: String,
}

const SMTP_DEFAULT_HELO: &str = "smtpchecker.keepalived.org";

/// MISC_CHECK.
#[derive(Debug, Clone, PartialEq)]
pub struct MiscCheck {
    /// `misc_path`: the command line (program and arguments).
    pub path: String,
    pub path_loc: At,
    /// `misc_timeout` seconds (1..=4294); `None` (or 0 in the file): the virtual server's
    /// delay_loop.
    pub timeout: Option<u32>,
    /// `misc_dynamic`: exit status 2..255 sets the weight to status - 2.
    pub dynamic: bool,
    /// `user USER [GROUP]`; default the global script user.
    pub user: Option<String>,
    pub group: Option<String>,
}

/// DNS_CHECK.
#[derive(Debug, Clone, PartialEq)]
pub struct DnsCheck {
    /// `type`, default SOA.
    pub qtype: DnsType,
    /// `name`, default `.`.
    pub name: String,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum DnsType {
    A,
    Ns,
    Cname,
    #[default]
    Soa,
    Mx,
    Txt,
    Aaaa,
    Rrsig,
    Dnskey,
}

impl DnsType {
    const ALL: [DnsType; 9] = [
        DnsType::A,
        DnsType::Ns,
        DnsType::Cname,
        DnsType::Soa,
        DnsType::Mx,
        DnsType::Txt,
        DnsType::Aaaa,
        DnsType::Rrsig,
        DnsType::Dnskey,
    ];

    pub fn name(self) -> &'static str {
        match self {
            DnsType::A => "A",
            DnsType::Ns => "NS",
            DnsType::Cname => "CNAME",
            DnsType::Soa => "SOA",
            DnsType::Mx => "MX",
            DnsType::Txt => "TXT",
            DnsType::Aaaa => "AAAA",
            DnsType::Rrsig => "RRSIG",
            DnsType::Dnskey => "DNSKEY",
        }
    }

    /// The query type code.
    pub fn code(self) -> u16 {
        match self {
            DnsType::A => 1,
            DnsType::Ns => 2,
            DnsType::Cname => 5,
            DnsType::Soa => 6,
            DnsType::Mx => 15,
            DnsType::Txt => 16,
            DnsType::Aaaa => 28,
            DnsType::Rrsig => 46,
            DnsType::Dnskey => 48,
        }
    }
}

/// UDP_CHECK.
#[derive(Debug, Clone, PartialEq)]
pub struct UdpCheck {
    /// `payload HEX`: data sent; `None`: random.
    pub payload: Option<Vec<u8>>,
    /// `require_reply [HEX]`: a reply is needed.
    pub require_reply: bool,
    /// The expected start of the reply (from `require_reply HEX`).
    pub reply: Option<UdpReply>,
    /// `min_reply_length`, default 0.
    pub min_reply_length: u16,
    /// `max_reply_length`, default 255.
    pub max_reply_length: u16,
}

/// Expected reply bytes; `mask` bits set are not compared (`X` nibbles).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UdpReply {
    pub data: Vec<u8>,
    pub mask: Vec<u8>,
}

/// FILE_CHECK.
#[derive(Debug, Clone, PartialEq)]
pub struct FileCheck {
    /// `track_file NAME`: a top-level `track_file` block.
    pub track_file: String,
    /// `weight N [reverse]`, -2147483647..=2147483647; `None`: the track_file's weight.
    pub weight: Option<i32>,
    pub reverse: bool,
    /// `dynamic` (keepalived 2.3+).
    pub dynamic: bool,
}

// ---------------------------------------------------------------------------------------------

const CHECKERS: &[&str] = &[
    "TCP_CHECK",
    "HTTP_GET",
    "SSL_GET",
    "SMTP_CHECK",
    "DNS_CHECK",
    "MISC_CHECK",
    "UDP_CHECK",
    "PING_CHECK",
    "FILE_CHECK",
    "BFD_CHECK",
];

pub(super) fn is_checker(k: &str) -> bool {
    CHECKERS.contains(&k)
}

const CONN_KEYWORDS: &[&str] = &[
    "connect_ip",
    "connect_port",
    "bindto",
    "bind_port",
    "bind_if",
    "connect_timeout",
    "fwmark",
];
const BASE_KEYWORDS: &[&str] = &[
    "retry",
    "delay_before_retry",
    "warmup",
    "delay_loop",
    "alpha",
    "log_all_failures",
];

/// A checker as read, before inheritance.
#[derive(Debug, Clone)]
pub(super) struct RawChecker {
    kind: CheckerKind,
    conn: Option<RawConn>,
    alpha: Option<bool>,
    retry: Option<u32>,
    delay_before_retry: Option<Duration>,
    warmup: Option<Duration>,
    delay_loop: Option<Duration>,
    log_all_failures: bool,
    loc: At,
}

#[derive(Debug, Clone, Default)]
struct RawConn {
    connect_ip: Option<IpAddr>,
    connect_port: Option<u16>,
    bindto: Option<IpAddr>,
    bind_port: Option<u16>,
    bind_if: Option<String>,
    fwmark: Option<u32>,
    connect_timeout: Option<Duration>,
}

impl RawChecker {
    /// Applies the real server's values and the checker type's defaults.
    pub(super) fn resolve(self, rs: &RealServer) -> Checker {
        let delay_loop = self.delay_loop.unwrap_or(rs.delay_loop);
        let default_retry = match self.kind {
            CheckerKind::Misc(_) => 0,
            CheckerKind::Dns(_) => 3,
            _ => 1,
        };
        let default_dbr = match self.kind {
            CheckerKind::Http(_) => Duration::from_secs(3),
            CheckerKind::Dns(_) => delay_loop,
            _ => Duration::from_secs(1),
        };
        let mut kind = self.kind;
        if let CheckerKind::Http(h) = &mut kind {
            if h.virtualhost.is_none() {
                h.virtualhost = rs.virtualhost.clone();
            }
            for u in &mut h.urls {
                if u.virtualhost.is_none() {
                    u.virtualhost = h.virtualhost.clone();
                }
            }
        }
        Checker {
            kind,
            conn: self.conn.map(|c| ConnOpts {
                connect_ip: c.connect_ip,
                connect_port: c.connect_port,
                bindto: c.bindto,
                bind_port: c.bind_port,
                bind_if: c.bind_if,
                fwmark: c.fwmark,
                connect_timeout: c.connect_timeout.unwrap_or(rs.connect_timeout),
            }),
            alpha: self.alpha.unwrap_or(rs.alpha),
            retry: self.retry.or(rs.retry).unwrap_or(default_retry),
            delay_before_retry: self
                .delay_before_retry
                .or(rs.delay_before_retry)
                .unwrap_or(default_dbr),
            warmup: self.warmup.or(rs.warmup).unwrap_or(delay_loop),
            delay_loop,
            log_all_failures: self.log_all_failures,
            loc: self.loc,
        }
    }
}

/// Reads one checker block of a real server at `rs_ip`/`rs_port`. Usually one checker; none if
/// keepalived drops it; several for an SMTP_CHECK with (deprecated) `host` blocks.
pub(super) fn parse(node: &Node, rs_ip: IpAddr, d: &mut Diagnostics) -> Vec<RawChecker> {
    let k = node.keyword();
    read::extra_words(d, node, 0);
    needs_block(d, node);
    let conn = !matches!(k, "MISC_CHECK" | "FILE_CHECK" | "BFD_CHECK");
    let kind = match k {
        "TCP_CHECK" => CheckerKind::Tcp,
        "PING_CHECK" => CheckerKind::Ping,
        "HTTP_GET" | "SSL_GET" => CheckerKind::Http(HttpCheck {
            tls: k == "SSL_GET",
            http_protocol: HttpProtocol::V1_0,
            virtualhost: None,
            enable_sni: false,
            sni_name: None,
            tls_compliant: false,
            fast_recovery: false,
            urls: Vec::new(),
        }),
        "SMTP_CHECK" => CheckerKind::Smtp(SmtpCheck {
            helo_name: String::new(),
        }),
        "DNS_CHECK" => CheckerKind::Dns(DnsCheck {
            qtype: DnsType::Soa,
            name: String::new(),
        }),
        "MISC_CHECK" => CheckerKind::Misc(MiscCheck {
            path: String::new(),
            path_loc: At::node(node),
            timeout: None,
            dynamic: false,
            user: None,
            group: None,
        }),
        "UDP_CHECK" => CheckerKind::Udp(UdpCheck {
            payload: None,
            require_reply: false,
            reply: None,
            min_reply_length: 0,
            max_reply_length: 255,
        }),
        "FILE_CHECK" => CheckerKind::File(FileCheck {
            track_file: String::new(),
            weight: None,
            reverse: false,
            dynamic: false,
        }),
        _ => CheckerKind::Bfd(String::new()),
    };
    let mut c = RawChecker {
        kind,
        conn: conn.then(RawConn::default),
        alpha: None,
        retry: None,
        delay_before_retry: None,
        warmup: None,
        delay_loop: None,
        log_all_failures: false,
        loc: At::node(node),
    };
    let mut hosts: Vec<RawConn> = Vec::new();
    let mut dropped = false;
    let mut seen_path = false;
    for n in node.children() {
        let Some(kw) = n.words.first() else { continue };
        if dropped {
            // keepalived stops applying a checker's options once it has discarded it.
            continue;
        }
        let kws = kw.text.as_str();
        if matches!(c.kind, CheckerKind::Smtp(_)) && kws == "host" {
            let mut h = c.conn.clone().unwrap_or_default();
            d.note(
                n.loc,
                "the SMTP_CHECK `host` block is deprecated: write one SMTP_CHECK per host",
            );
            read::extra_words(d, n, 0);
            needs_block(d, n);
            for hn in n.children() {
                let Some(hk) = hn.words.first() else { continue };
                if conn_keyword(&mut h, hn, hk, d) || base_keyword(&mut c, hn, hk, d) {
                    value::no_block(d, hn);
                    continue;
                }
                let known: Vec<&str> = [CONN_KEYWORDS, BASE_KEYWORDS].concat();
                value::unknown(d, hk, &known, "SMTP_CHECK host");
            }
            if link_local_ok(d, &h, rs_ip, n) {
                hosts.push(h);
            }
            continue;
        }
        if kws == "url"
            && let CheckerKind::Http(h) = &mut c.kind
        {
            if let Some(u) = parse_url(n, d) {
                h.urls.push(u);
            }
            continue;
        }
        let handled = if matches!(c.kind, CheckerKind::Bfd(_)) {
            match kws {
                "name" => {
                    if !bfd_name(&mut c, n, d) {
                        dropped = true;
                    }
                    true
                }
                "alpha" => {
                    if let Some(b) = read::opt_bool(d, n) {
                        c.alpha = Some(b);
                    }
                    true
                }
                _ => false,
            }
        } else if let CheckerKind::File(f) = &mut c.kind {
            file_keyword(f, n, kws, d)
        } else {
            let mut done = false;
            if let Some(conn) = &mut c.conn {
                done = conn_keyword(conn, n, kw, d);
            }
            done || base_keyword(&mut c, n, kw, d)
                || specific_keyword(&mut c, n, kw, d, &mut seen_path)
        };
        if handled {
            value::no_block(d, n);
        }
        if !handled {
            let known = known_keywords(&c.kind, conn);
            value::unknown(d, kw, &known, k);
            if kws == "nb_get_retry"
                && let Some(last) = d.list.last_mut()
            {
                last.hint(
                        "did you mean `retry`? (keepalived 2.2.7 only knows `nb_get_retry` in HTTP_GET and SSL_GET)",
                    );
            }
        }
    }
    if dropped {
        return Vec::new();
    }
    if !finish(&mut c, node, rs_ip, d) {
        return Vec::new();
    }
    let mut out = vec![c.clone()];
    for h in hosts {
        let mut extra = c.clone();
        extra.conn = Some(h);
        out.push(extra);
    }
    out
}

fn known_keywords(kind: &CheckerKind, conn: bool) -> Vec<&'static str> {
    let mut v: Vec<&'static str> = Vec::new();
    match kind {
        CheckerKind::Bfd(_) => return vec!["name", "alpha"],
        CheckerKind::File(_) => return vec!["track_file", "weight", "dynamic"],
        _ => {}
    }
    if conn {
        v.extend_from_slice(CONN_KEYWORDS);
    }
    v.extend_from_slice(BASE_KEYWORDS);
    match kind {
        CheckerKind::Http(_) => v.extend_from_slice(&[
            "nb_get_retry",
            "virtualhost",
            "http_protocol",
            "enable_sni",
            "sni_name",
            "tls_compliant",
            "fast_recovery",
            "url",
        ]),
        CheckerKind::Smtp(_) => v.extend_from_slice(&["helo_name", "host"]),
        CheckerKind::Misc(_) => {
            v.extend_from_slice(&["misc_path", "misc_timeout", "misc_dynamic", "user"])
        }
        CheckerKind::Dns(_) => v.extend_from_slice(&["type", "name"]),
        CheckerKind::Udp(_) => v.extend_from_slice(&[
            "payload",
            "require_reply",
            "min_reply_length",
            "max_reply_length",
        ]),
        _ => {}
    }
    v
}

/// The checks keepalived makes at the end of a checker block; false: the checker is dropped.
fn finish(c: &mut RawChecker, node: &Node, rs_ip: IpAddr, d: &mut Diagnostics) -> bool {
    let k = node.keyword();
    match &mut c.kind {
        CheckerKind::Http(h) => {
            if h.urls.is_empty() {
                d.warn(
                    node.loc,
                    format!("`{k}` has no `url` block - checker ignored (keepalived 2.2.7 crashes on this)"),
                )
                .hint("add `url { path / }`");
                return false;
            }
        }
        CheckerKind::Misc(m) => {
            if m.path.is_empty() {
                d.warn(
                    node.loc,
                    "`MISC_CHECK` has no `misc_path` - checker ignored",
                );
                return false;
            }
        }
        CheckerKind::File(f) => {
            if f.track_file.is_empty() {
                d.warn(
                    node.loc,
                    "`FILE_CHECK` has no `track_file` - checker ignored",
                );
                return false;
            }
        }
        CheckerKind::Bfd(name) => {
            if name.is_empty() {
                d.warn(node.loc, "`BFD_CHECK` has no `name` - checker ignored");
                return false;
            }
        }
        CheckerKind::Smtp(s) => {
            if s.helo_name.is_empty() {
                s.helo_name = SMTP_DEFAULT_HELO.to_string();
            }
        }
        CheckerKind::Dns(dns) => {
            if dns.name.is_empty() {
                dns.name = ".".to_string();
            }
        }
        CheckerKind::Udp(u) => {
            if u.min_reply_length > u.max_reply_length {
                d.warn(
                    node.loc,
                    format!(
                        "`UDP_CHECK`: min_reply_length {} > max_reply_length {} - the check always fails",
                        u.min_reply_length, u.max_reply_length
                    ),
                );
            }
        }
        CheckerKind::Tcp | CheckerKind::Ping => {}
    }
    match &c.conn {
        Some(conn) => link_local_ok(d, conn, rs_ip, node),
        None => true,
    }
}

/// keepalived's `check_conn_opts`: an IPv6 link-local destination needs `bind_if`.
fn link_local_ok(d: &mut Diagnostics, conn: &RawConn, rs_ip: IpAddr, node: &Node) -> bool {
    let dst = conn.connect_ip.unwrap_or(rs_ip);
    if let IpAddr::V6(a) = dst
        && a.segments()[0] & 0xffc0 == 0xfe80
        && conn.bind_if.is_none()
    {
        d.warn(
            node.loc,
            format!(
                "`{}`: link-local destination {dst} needs `bind_if` - checker ignored",
                node.keyword()
            ),
        );
        return false;
    }
    true
}

fn conn_keyword(conn: &mut RawConn, n: &Node, kw: &Word, d: &mut Diagnostics) -> bool {
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

fn base_keyword(c: &mut RawChecker, n: &Node, kw: &Word, d: &mut Diagnostics) -> bool {
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
        "retry" => {
            if let Some(w) = read::arg1(d, n)
                && let Some(v) = read::uint(d, k, w, 0, u32::MAX as u64)
            {
                c.retry = Some(v as u32);
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
fn specific_keyword(
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
fn newer(d: &mut Diagnostics, kw: &Word) {
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
fn command_line(words: &[Word]) -> String {
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
fn read_hex(words: &[Word], mask: bool) -> Option<(Vec<u8>, Vec<u8>)> {
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

fn hex_word(data: &[u8], mask: Option<&[u8]>) -> String {
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

fn bfd_name(c: &mut RawChecker, n: &Node, d: &mut Diagnostics) -> bool {
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

fn file_keyword(f: &mut FileCheck, n: &Node, k: &str, d: &mut Diagnostics) -> bool {
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

const URL_KNOWN: &[&str] = &[
    "path",
    "digest",
    "status_code",
    "virtualhost",
    "regex",
    "regex_no_match",
    "regex_options",
    "regex_min_offset",
    "regex_max_offset",
    "regex_stack",
];

fn parse_url(node: &Node, d: &mut Diagnostics) -> Option<Url> {
    read::extra_words(d, node, 0);
    needs_block(d, node);
    let mut path: Option<String> = None;
    let mut digest = None;
    let mut codes: Option<StatusCodes> = None;
    let mut virtualhost = None;
    let mut pattern: Option<String> = None;
    let mut no_match = false;
    let mut options: Vec<String> = Vec::new();
    let mut min_offset = 0u64;
    let mut max_offset: Option<u64> = None;
    let mut stack = None;
    for n in node.children() {
        let Some(kw) = n.words.first() else { continue };
        let k = kw.text.as_str();
        if URL_KNOWN.contains(&k) {
            value::no_block(d, n);
        }
        match k {
            "path" => {
                if read::arg1_quiet(d, n).is_some() {
                    path = Some(read::join(n.args()));
                }
            }
            "digest" => {
                let Some(w) = read::arg1(d, n) else { continue };
                if digest.is_some() {
                    d.warn(w.loc, "`digest` given again - ignoring");
                    continue;
                }
                match parse_digest(&w.text) {
                    Ok(v) => digest = Some(v),
                    Err(why) => {
                        d.warn(w.loc, format!("`digest`: `{}` {why} - ignoring", w.text))
                            .hint("compute it with `genhash -s SERVER -p PORT -u PATH`");
                    }
                }
            }
            "status_code" => {
                let set = codes.get_or_insert_with(|| StatusCodes(Vec::new()));
                for w in n.args() {
                    match parse_code_range(&w.text) {
                        Some((lo, hi)) => set.add(lo, hi),
                        None => {
                            d.warn(
                                w.loc,
                                format!(
                                    "`status_code`: `{}` is not a code or range in 100..599 - ignoring",
                                    w.text
                                ),
                            );
                        }
                    }
                }
            }
            "virtualhost" => {
                if let Some(v) = read::text(d, n, "a host name") {
                    virtualhost = Some(v);
                }
            }
            "regex" => {
                if n.args().len() != 1 {
                    d.note(
                        n.loc,
                        "`regex` takes exactly one (quoted) pattern - ignored (keepalived only logs this)",
                    );
                } else {
                    pattern = Some(n.args()[0].text.clone());
                }
            }
            "regex_no_match" => {
                read::extra_words(d, n, 0);
                no_match = true;
            }
            "regex_options" => {
                for w in n.args() {
                    if REGEX_OPTIONS.contains(&w.text.as_str()) {
                        if !options.contains(&w.text) {
                            options.push(w.text.clone());
                        }
                    } else {
                        let diag = d.note(
                            w.loc,
                            format!(
                                "`regex_options`: unknown option `{}` - keepalived ignores it silently",
                                w.text
                            ),
                        );
                        value::did_you_mean(diag, &w.text, REGEX_OPTIONS);
                    }
                }
            }
            "regex_min_offset" | "regex_max_offset" => {
                let v = match n.args() {
                    [w] if !w.text.is_empty() && w.text.bytes().all(|b| b.is_ascii_digit()) => {
                        w.text.parse::<u64>().ok()
                    }
                    _ => None,
                };
                match v {
                    Some(v) if k == "regex_min_offset" => min_offset = v,
                    Some(v) => max_offset = Some(v),
                    None => {
                        d.note(
                            n.loc,
                            format!(
                                "`{k}` takes one decimal offset - ignored (keepalived only logs this)"
                            ),
                        );
                    }
                }
            }
            "regex_stack" => {
                let v = match n.args() {
                    [a, b] => a.text.parse::<u64>().ok().zip(b.text.parse::<u64>().ok()),
                    _ => None,
                };
                match v {
                    Some((a, b)) if a <= b => stack = Some((a, b)),
                    _ => {
                        d.note(
                            n.loc,
                            "`regex_stack` takes START MAX with START <= MAX - ignored (keepalived only logs this)",
                        );
                    }
                }
            }
            _ => value::unknown(d, kw, URL_KNOWN, "url"),
        }
    }
    let Some(path) = path else {
        d.warn(node.loc, "`url` has no `path` - url ignored");
        return None;
    };
    let regex = match pattern {
        Some(pattern) => {
            let (mut min_offset, mut max_offset) = (min_offset, max_offset);
            if let Some(max) = max_offset
                && min_offset > max
            {
                d.note(
                        node.loc,
                        format!(
                            "regex_min_offset {min_offset} > regex_max_offset {max} - both ignored (keepalived only logs this)"
                        ),
                    );
                min_offset = 0;
                max_offset = None;
            }
            Some(Regex {
                pattern,
                no_match,
                options,
                min_offset,
                max_offset,
                stack,
            })
        }
        None => {
            if no_match
                || !options.is_empty()
                || min_offset != 0
                || max_offset.is_some()
                || stack.is_some()
            {
                d.note(
                    node.loc,
                    "regex options without `regex` - ignored (keepalived only logs this)",
                );
            }
            None
        }
    };
    Some(Url {
        path,
        digest,
        status_codes: codes.filter(|c| !c.0.is_empty()).unwrap_or_default(),
        virtualhost,
        regex,
    })
}

fn parse_digest(s: &str) -> Result<[u8; 16], String> {
    if s.len() != 32 {
        return Err(format!("has {} characters, an MD5 digest has 32", s.len()));
    }
    let mut out = [0u8; 16];
    for (i, b) in out.iter_mut().enumerate() {
        let pair = s.get(2 * i..2 * i + 2).ok_or("is not hexadecimal")?;
        *b = u8::from_str_radix(pair, 16)
            .map_err(|_| format!("has a non-hex digit at offset {}", 2 * i))?;
    }
    Ok(out)
}

fn parse_code_range(s: &str) -> Option<(u16, u16)> {
    let (a, b) = s.split_once('-').unwrap_or((s, s));
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|c| c.is_ascii_digit());
    if !digits(a) || !digits(b) {
        return None;
    }
    let lo: u16 = a.parse().ok()?;
    let hi: u16 = b.parse().ok()?;
    ((100..=599).contains(&lo) && (100..=599).contains(&hi) && lo <= hi).then_some((lo, hi))
}

// ---------------------------------------------------------------------------------------------
// dump

pub(super) fn dump(c: &Checker, w: &mut Writer) {
    let secs = value::fmt_secs;
    let yes = |b: bool| if b { "yes" } else { "no" };
    let kw = match &c.kind {
        CheckerKind::Tcp => "TCP_CHECK",
        CheckerKind::Http(h) if h.tls => "SSL_GET",
        CheckerKind::Http(_) => "HTTP_GET",
        CheckerKind::Smtp(_) => "SMTP_CHECK",
        CheckerKind::Misc(_) => "MISC_CHECK",
        CheckerKind::Dns(_) => "DNS_CHECK",
        CheckerKind::Udp(_) => "UDP_CHECK",
        CheckerKind::Ping => "PING_CHECK",
        CheckerKind::File(_) => "FILE_CHECK",
        CheckerKind::Bfd(_) => "BFD_CHECK",
    };
    w.open::<&str>(kw, &[]);
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
    match &c.kind {
        CheckerKind::Http(h) => {
            w.line("http_protocol", &[h.http_protocol.name()]);
            w.opt("virtualhost", &h.virtualhost);
            w.line("enable_sni", &[yes(h.enable_sni)]);
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

fn dump_url(u: &Url, w: &mut Writer) {
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
