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

mod dump;
mod keyword;
mod url;

pub(super) use dump::dump;
use keyword::*;
use url::*;

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
    /// `rise N` (not keepalived): good probes in a row that bring a down check back; `None`:
    /// keepalived's (1; HTTP_GET and SSL_GET 2).
    pub rise: Option<u32>,
    /// `fast_reprobe [BOOL]` (not keepalived): after a change of state the next probe comes
    /// `delay_before_retry` later instead of `delay_loop`.
    pub fast_reprobe: bool,
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

impl CheckerKind {
    /// The checker's keyword: `TCP_CHECK`, `SSL_GET` ...
    pub fn keyword(&self) -> &'static str {
        match self {
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
        }
    }
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
    /// `ssl_verify [BOOL]` (not keepalived, which checks no certificate): verify the
    /// server's certificate against the `SSL` block's `ca` and its name (the SNI name, else
    /// the address).
    pub verify: bool,
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
    "rise",
    "fast_reprobe",
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
    rise: Option<u32>,
    fast_reprobe: bool,
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
            rise: self.rise,
            fast_reprobe: self.fast_reprobe,
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
            verify: false,
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
        rise: None,
        fast_reprobe: false,
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
            "ssl_verify",
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

// ---------------------------------------------------------------------------------------------
// dump
