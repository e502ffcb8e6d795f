//! `keepalived-rs -T` (genhash): fetch one url and print the MD5 of its body, the digest an
//! HTTP_GET `url { digest }` wants. A command-line mode, so it may block: one socket, one
//! request, one `mio` poll with a total deadline.
//!
//! Options are keepalived's (`check_genhash.c`): `-s ADDRESS -p PORT -u URL`, `-V VHOST`,
//! `-P 1.0|1.0c|1.1`, `-t SECONDS`, `-m FWMARK`, `-v`, `-S`, `-I`, `-H md5`, `-h`; long forms
//! and getopt's clustering, attached values and unique prefixes.
//!
//! `-S` (feature `tls`): the request and the response go through TLS ([`crate::check::tls`],
//! pumped as the checker's SSL_GET does); as keepalived, no certificate is verified, and `-I`
//! sends the `-V` virtualhost as SNI (no SNI without `-V`, or when it is an address). A build
//! without `tls` prints [`NO_SSL`] and exits with [`EXIT_FAILED`].
//!
//! Output as keepalived 2.2.7: the digest in lower-case hex on one line; with `-v`, the header
//! block and the body as hex dumps, the digest dumped, the digest again and the response time.
//! Where this differs from keepalived:
//! - a failure (no connection, timeout, a malformed or cut response) is one line on standard
//!   error and exit status 2 (keepalived exits 0, issue #766); a usage error exits 1 as
//!   keepalived; `-h` prints the usage on standard output and exits 0;
//! - a chunked body is decoded and the digest is of the decoded body (as the checker computes
//!   it); `-v` shows the decoded body, at most [`VERBOSE_BODY`] bytes of it;
//! - the default timeout is [`DEFAULT_TIMEOUT`] for the whole exchange (keepalived waits
//!   indefinitely without `-t`).

use std::net::{IpAddr, SocketAddr};
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Token};

use crate::check::http::{self, Dialogue, HEAD_MAX};
use crate::check::{Step, md5};
use crate::cli::{print_err, print_out};
use crate::config::lvs::{HttpProtocol, StatusCodes, Url};
use crate::sys::probe;

/// The whole exchange's deadline without `-t`.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// How much of the body `-v` shows.
pub const VERBOSE_BODY: usize = 64 * 1024;

/// Exit status: a usage error (as keepalived).
pub const EXIT_USAGE: i32 = 1;
/// Exit status: the url could not be fetched (keepalived exits 0).
pub const EXIT_FAILED: i32 = 2;

/// What `-S` prints in a build without the `tls` feature.
pub const NO_SSL: &str = "SSL is not available in this build";

/// What genhash is asked to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    pub server: IpAddr,
    pub port: u16,
    pub url: String,
    pub ssl: bool,
    pub sni: bool,
    pub vhost: Option<String>,
    pub fwmark: Option<u32>,
    pub proto: HttpProtocol,
    pub timeout: Duration,
    pub verbose: bool,
}

/// A parsed command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed {
    Help,
    Run(Options),
}

/// The usage text (`prog` is the program's name).
pub fn usage(prog: &str) -> String {
    format!(
        "Usage: {prog} --genhash COMMAND [OPTIONS]
Commands:
   -s server-address -p port -u url
   -S -s server-address -p port -u url
   -h

Options:
Either long or short options are allowed.
   --use-ssl         -S       Use SSL connection to remote server{}.
   --use-sni         -I       Use SNI during SSL handshake (uses virtualhost setting; see -V).
   --server          -s       Use the specified remote server address.
   --port            -p       Use the specified remote server port.
   --url             -u       Use the specified remote server url.
   --use-virtualhost -V       Use the specified virtualhost in GET query.
   --hash            -H       Use the specified hash algorithm (md5 only).
   --verbose         -v       Use verbose mode output.
   --help            -h       Display this short inlined help screen.
   --fwmark          -m       Use the specified FW mark.
   --protocol        -P       Use the specified HTTP protocol - '1.0', 1.0c', '1.1'.
                                1.0c means 1.0 with 'Connection: close'
   --timeout         -t       Timeout in seconds (default {}).
Exit status: 0 digest printed, 1 usage error, 2 fetch failed.
",
        if cfg!(feature = "tls") {
            ""
        } else {
            " (not in this build)"
        },
        DEFAULT_TIMEOUT.as_secs()
    )
}

/// Long name, short letter, whether it takes a value.
const OPTS: &[(&str, char, bool)] = &[
    ("help", 'h', false),
    ("genhash", 'T', false),
    ("verbose", 'v', false),
    ("use-ssl", 'S', false),
    ("use-sni", 'I', false),
    ("server", 's', true),
    ("hash", 'H', true),
    ("use-virtualhost", 'V', true),
    ("port", 'p', true),
    ("url", 'u', true),
    ("fwmark", 'm', true),
    ("protocol", 'P', true),
    ("timeout", 't', true),
];

fn find_long(name: &str) -> Result<(char, bool), String> {
    if let Some(o) = OPTS.iter().find(|o| o.0 == name) {
        return Ok((o.1, o.2));
    }
    let mut hits = OPTS
        .iter()
        .filter(|o| !name.is_empty() && o.0.starts_with(name));
    match (hits.next(), hits.next()) {
        (Some(o), None) => Ok((o.1, o.2)),
        (Some(_), Some(_)) => Err(format!("option '--{name}' is ambiguous")),
        _ => Err(format!("unrecognized option '--{name}'")),
    }
}

/// The options and their values in order, getopt_long style (values attached or next; short
/// options clustered; long options by unique prefix; `--` ends the options).
fn split(args: &[String]) -> Result<Vec<(char, String)>, String> {
    let mut found = Vec::new();
    let mut extra = Vec::new();
    let mut words = args.iter();
    while let Some(w) = words.next() {
        if w == "--" {
            extra.extend(words.by_ref().cloned());
        } else if let Some(body) = w.strip_prefix("--") {
            let (name, attached) = match body.split_once('=') {
                Some((n, v)) => (n, Some(v.to_string())),
                None => (body, None),
            };
            let (c, takes) = find_long(name)?;
            let value = match (takes, attached) {
                (false, Some(_)) => {
                    return Err(format!("option '--{name}' doesn't allow an argument"));
                }
                (false, None) => String::new(),
                (true, Some(v)) => v,
                (true, None) => words
                    .next()
                    .cloned()
                    .ok_or_else(|| format!("option '--{name}' requires an argument"))?,
            };
            found.push((c, value));
        } else if let Some(cluster) = w.strip_prefix('-').filter(|c| !c.is_empty()) {
            for (pos, c) in cluster.char_indices() {
                let &(_, _, takes) = OPTS
                    .iter()
                    .find(|o| o.1 == c)
                    .ok_or_else(|| format!("invalid option -- '{c}'"))?;
                if !takes {
                    found.push((c, String::new()));
                    continue;
                }
                let rest = cluster.get(pos + c.len_utf8()..).unwrap_or_default();
                let value = if rest.is_empty() {
                    words
                        .next()
                        .cloned()
                        .ok_or_else(|| format!("option requires an argument -- '{c}'"))?
                } else {
                    rest.to_string()
                };
                found.push((c, value));
                break;
            }
        } else {
            extra.push(w.clone());
        }
    }
    if !extra.is_empty() {
        return Err(format!("Unexpected argument(s): {}", extra.join(" ")));
    }
    Ok(found)
}

/// `strtoul` as keepalived reads -t and -m: leading blanks, then decimal digits only.
fn parse_unsigned(s: &str) -> Option<u32> {
    let t = s.trim_start_matches([' ', '\t']);
    if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    t.parse().ok()
}

/// Parses the words after `-T`.
pub fn parse(args: &[String]) -> Result<Parsed, String> {
    let (mut server, mut port, mut url) = (None, None, None);
    let mut o = Options {
        server: IpAddr::from([0u8; 4]),
        port: 0,
        url: String::new(),
        ssl: false,
        sni: false,
        vhost: None,
        fwmark: None,
        proto: HttpProtocol::V1_0,
        timeout: DEFAULT_TIMEOUT,
        verbose: false,
    };
    for (c, v) in split(args)? {
        match c {
            'h' => return Ok(Parsed::Help),
            'T' => {}
            'v' => o.verbose = true,
            'S' => o.ssl = true,
            'I' => o.sni = true,
            's' => {
                let bare = v.strip_prefix('[').and_then(|b| b.strip_suffix(']'));
                server = Some(
                    bare.unwrap_or(&v)
                        .parse::<IpAddr>()
                        .map_err(|_| format!("server should be an IP, not {v}"))?,
                );
            }
            'p' => {
                port = Some(
                    v.parse::<u16>()
                        .ok()
                        .filter(|&p| p != 0)
                        .ok_or_else(|| format!("invalid port number '{v}'"))?,
                );
            }
            'u' => url = Some(v),
            'V' => o.vhost = Some(v),
            'H' if v.eq_ignore_ascii_case("md5") => {}
            'H' => return Err(format!("unsupported hash algorithm '{v}' (md5 only)")),
            'm' => o.fwmark = Some(parse_unsigned(&v).ok_or(format!("invalid fwmark '{v}'"))?),
            'P' => {
                o.proto = match v.as_str() {
                    "1.0" => HttpProtocol::V1_0,
                    "1.0c" | "1.0C" => HttpProtocol::V1_0C,
                    "1.1" => HttpProtocol::V1_1,
                    _ => return Err(format!("invalid HTTP protocol version '{v}'")),
                }
            }
            't' => {
                let secs = parse_unsigned(&v)
                    .filter(|&s| s > 0)
                    .ok_or(format!("invalid timeout '{v}'"))?;
                o.timeout = Duration::from_secs(u64::from(secs));
            }
            _ => return Err(format!("invalid option -- '{c}'")),
        }
    }
    let (Some(s), Some(p), Some(u)) = (server, port, url) else {
        return Err("the server (-s), port (-p) and url (-u) are required".to_string());
    };
    (o.server, o.port, o.url) = (s, p, u);
    Ok(Parsed::Run(o))
}

/// What a fetch gives.
#[derive(Debug)]
pub struct Fetched {
    pub digest: [u8; 16],
    /// The raw header block (status line to the empty line).
    pub head: Vec<u8>,
    /// The first [`VERBOSE_BODY`] bytes of the decoded body when verbose.
    pub body: Vec<u8>,
    pub body_len: u64,
    pub elapsed: Duration,
}

/// Fetches the url and digests its body (any status 100-599 is hashed, as keepalived does).
pub fn fetch(o: &Options) -> Result<Fetched, String> {
    let start = Instant::now();
    let deadline = start + o.timeout;
    let to = SocketAddr::new(o.server, o.port);
    let url = Url {
        path: o.url.clone(),
        digest: None,
        status_codes: StatusCodes(vec![(100, 599)]),
        virtualhost: o.vhost.clone(),
        regex: None,
    };
    let request = http::request(&o.url, o.vhost.as_deref(), to, o.proto);
    let keep = if o.verbose { VERBOSE_BODY } else { 0 };
    let mut dialogue = Dialogue::new(&url, request, keep, true);
    let mut layer = Layer::new(o)?;
    // With TLS the request waits in the client until the handshake is over; `out` is then
    // the ClientHello.
    let mut out = layer.send(&dialogue.start())?;

    let bind = probe::Bind {
        mark: o.fwmark,
        ..Default::default()
    };
    let sock = probe::connect(probe::Kind::Tcp, to, &bind)
        .map_err(|e| format!("cannot connect to {to}: {e}"))?;
    let fd = sock.as_raw_fd();
    let mut poll = Poll::new().map_err(|e| format!("poll: {e}"))?;
    poll.registry()
        .register(
            &mut SourceFd(&fd),
            Token(0),
            Interest::READABLE | Interest::WRITABLE,
        )
        .map_err(|e| format!("poll: {e}"))?;
    let mut events = Events::with_capacity(4);
    let mut connected = false;
    let mut head = Vec::new();
    let mut buf = vec![0u8; 16 * 1024];
    let verdict = 'exchange: loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(format!("timed out after {}s", o.timeout.as_secs()));
        }
        match poll.poll(&mut events, Some(left)) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(format!("poll: {e}")),
        }
        if events.is_empty() {
            continue;
        }
        if !connected {
            if let Some(e) = probe::take_error(fd).map_err(|e| e.to_string())? {
                return Err(format!("cannot connect to {to}: {e}"));
            }
            if !probe::has_peer(fd) {
                continue;
            }
            connected = true;
        }
        // Edge-triggered: write and read until the socket would block; what a read makes us
        // say (a TLS handshake's next flight) is written at once.
        flush(&sock, &mut out)?;
        loop {
            match probe::recv(&sock, &mut buf) {
                Ok(0) => break 'exchange dialogue.on_eof(),
                Ok(n) => {
                    let data = layer.receive(buf.get(..n).unwrap_or_default());
                    out.extend(layer.outgoing());
                    let data = match data {
                        Ok(d) => d,
                        Err(e) => {
                            let _ = flush(&sock, &mut out);
                            return Err(e);
                        }
                    };
                    let room = (HEAD_MAX + 4).saturating_sub(head.len()).min(data.len());
                    head.extend_from_slice(data.get(..room).unwrap_or_default());
                    match dialogue.on_data(&data) {
                        Step::Done(v) => break 'exchange v,
                        Step::Send(b) => out.extend(layer.send(&b)?),
                        Step::Read if layer.closed() => break 'exchange dialogue.on_eof(),
                        Step::Read => {}
                    }
                    flush(&sock, &mut out)?;
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(format!("read: {e}")),
            }
        }
    };
    verdict?;
    let digest = dialogue.digest().ok_or("no body digest")?;
    head.truncate(head_len(&head));
    Ok(Fetched {
        digest,
        head,
        body: dialogue.body().to_vec(),
        body_len: dialogue.body_len(),
        elapsed: start.elapsed(),
    })
}

/// Writes what `out` holds until the socket would block (the rest waits for writable).
fn flush(sock: &impl AsRawFd, out: &mut Vec<u8>) -> Result<(), String> {
    while !out.is_empty() {
        match probe::send(sock, out) {
            Ok(n) => drop(out.drain(..n.min(out.len()))),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(format!("cannot send the request: {e}")),
        }
    }
    Ok(())
}

/// What lies between the socket and the HTTP dialogue: nothing, or a TLS client (`-S`).
enum Layer {
    Plain,
    #[cfg(feature = "tls")]
    Tls(Box<crate::check::tls::Client>),
}

impl Layer {
    #[cfg(feature = "tls")]
    fn new(o: &Options) -> Result<Layer, String> {
        use crate::check::tls;
        if !o.ssl {
            return Ok(Layer::Plain);
        }
        // keepalived: SNI is the virtualhost, with -I only (rustls never sends an address).
        let t = tls::Options {
            sni: o.vhost.clone().filter(|_| o.sni),
            ..Default::default()
        };
        let c = tls::Client::new(&t, o.server).map_err(|e| format!("TLS: {e}"))?;
        Ok(Layer::Tls(Box::new(c)))
    }

    #[cfg(not(feature = "tls"))]
    fn new(o: &Options) -> Result<Layer, String> {
        if o.ssl {
            return Err(NO_SSL.to_string());
        }
        Ok(Layer::Plain)
    }

    /// What to write for the dialogue's `plain` bytes.
    fn send(&mut self, plain: &[u8]) -> Result<Vec<u8>, String> {
        match self {
            Layer::Plain => Ok(plain.to_vec()),
            #[cfg(feature = "tls")]
            Layer::Tls(t) => {
                t.write_plain(plain).map_err(|e| format!("TLS: {e}"))?;
                Ok(t.outgoing())
            }
        }
    }

    /// The dialogue's bytes in what the socket gave. After it, on an error too (a TLS
    /// alert), [`Layer::outgoing`] holds what to answer.
    fn receive(&mut self, wire: &[u8]) -> Result<Vec<u8>, String> {
        match self {
            Layer::Plain => Ok(wire.to_vec()),
            #[cfg(feature = "tls")]
            Layer::Tls(t) => {
                t.incoming(wire).map_err(|e| format!("TLS: {e}"))?;
                Ok(t.read_plain())
            }
        }
    }

    /// What the layer itself has to write (a TLS handshake's next flight, an alert).
    fn outgoing(&mut self) -> Vec<u8> {
        match self {
            Layer::Plain => Vec::new(),
            #[cfg(feature = "tls")]
            Layer::Tls(t) => t.outgoing(),
        }
    }

    /// No more bytes will come (the TLS peer's close_notify).
    fn closed(&self) -> bool {
        match self {
            Layer::Plain => false,
            #[cfg(feature = "tls")]
            Layer::Tls(t) => t.peer_closed(),
        }
    }
}

/// The length of the header block at the start of `raw` (through its empty line).
fn head_len(raw: &[u8]) -> usize {
    let mut i = 0;
    for line in raw.split_inclusive(|&b| b == b'\n') {
        i += line.len();
        if line == b"\n" || line == b"\r\n" {
            return i;
        }
    }
    raw.len()
}

/// keepalived's `dump_buffer`: 16 bytes a line, decimal offset, hex in two groups, then ASCII.
pub fn hexdump(data: &[u8]) -> String {
    let mut s = String::new();
    for (n, line) in data.chunks(16).enumerate() {
        s.push_str(&format!("{:04}  ", n * 16));
        for j in 0..16 {
            if j == 8 {
                s.push_str("- ");
            }
            match line.get(j) {
                Some(b) => s.push_str(&format!("{b:02x} ")),
                None => s.push_str("   "),
            }
        }
        s.push_str("  ");
        for j in 0..16 {
            s.push(match line.get(j) {
                Some(&b) if (0x20..0x7f).contains(&b) => char::from(b),
                Some(_) => '.',
                None => ' ',
            });
        }
        s.push('\n');
    }
    s
}

fn banner(title: &str) -> String {
    format!("-----------------------[{title}]-----------------------\n")
}

/// What genhash prints on standard output for a fetch.
pub fn report(o: &Options, f: &Fetched) -> String {
    let hex = md5::hex(&f.digest);
    if !o.verbose {
        return format!("{hex}\n");
    }
    let mut s = banner("    HTTP Header Buffer    ");
    s.push_str(&hexdump(&f.head));
    s.push_str(&banner(" HTTP Header Ascii Buffer "));
    s.push_str(&String::from_utf8_lossy(&f.head));
    s.push('\n');
    s.push_str(&banner("        HTML Buffer        "));
    s.push_str(&hexdump(&f.body));
    if f.body_len > f.body.len() as u64 {
        s.push_str(&format!(
            "(the first {} of {} bytes shown)\n",
            f.body.len(),
            f.body_len
        ));
    }
    s.push('\n');
    s.push_str(&banner("    HTML hash resulting    "));
    s.push_str(&hexdump(&f.digest));
    s.push_str(&banner(" HTML hash final resulting "));
    s.push_str(&format!(
        "{hex}\n\nGlobal response time for [{}] = {} usecs\n",
        o.url,
        f.elapsed.as_micros()
    ));
    s
}

/// Runs genhash on the words after `-T`; gives the exit status.
pub fn run(args: &[String]) -> i32 {
    let prog = "keepalived-rs";
    let o = match parse(args) {
        Ok(Parsed::Help) => {
            return match print_out(&usage(prog)) {
                Ok(()) => 0,
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => 0,
                Err(_) => EXIT_USAGE,
            };
        }
        Ok(Parsed::Run(o)) => o,
        Err(e) => {
            print_err(&format!("{prog} --genhash: {e}\n{}", usage(prog)));
            return EXIT_USAGE;
        }
    };
    if o.ssl && !cfg!(feature = "tls") {
        print_err(&format!("{NO_SSL}\n"));
        return EXIT_FAILED;
    }
    match fetch(&o) {
        Ok(f) => match print_out(&report(&o, &f)) {
            Ok(()) => 0,
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => 0,
            Err(e) => {
                print_err(&format!("{prog} --genhash: cannot write: {e}\n"));
                EXIT_FAILED
            }
        },
        Err(e) => {
            print_err(&format!(
                "{prog} --genhash: {}:{}{}: {e}\n",
                bracketed(o.server),
                o.port,
                o.url
            ));
            EXIT_FAILED
        }
    }
}

fn bracketed(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(a) => a.to_string(),
        IpAddr::V6(a) => format!("[{a}]"),
    }
}

#[cfg(test)]
mod tests;
