//! HTTP_GET / SSL_GET: the request keepalived sends and an incremental response judge (the TLS
//! layer, if any, is the executor's: this sees plaintext). See the stream-dialogue contract in
//! [`crate::check`].
//!
//! The response is judged like keepalived's `http_handle_response`: the status code must be in
//! the url's `status_code` list, then the MD5 of the body must equal `digest` when one is set.
//! Where this differs from keepalived (which reads until the peer closes, never decodes chunked
//! bodies and only logs a short Content-Length body):
//! - the check is over as soon as the status fails or the body is complete;
//! - a chunked body is decoded, and the digest and the kept prefix are of the decoded body;
//! - a body shorter than its Content-Length, or chunked framing cut or malformed, fails.
//!
//! Memory is bounded whatever the peer sends: the header block (at most [`HEAD_MAX`] bytes),
//! one chunk-size line, and at most `keep_body` bytes of body.

use std::net::SocketAddr;

use super::md5::{self, Md5};
use super::{Step, Verdict};
use crate::config::lvs::{HttpProtocol, StatusCodes, Url};

/// The longest header block (status line, headers, empty line) accepted.
pub const HEAD_MAX: usize = 16 * 1024;

/// The longest chunk-size line (size, extensions, CRLF) or trailer block accepted.
const LINE_MAX: usize = 4096;

/// keepalived's GET request (check_http.c `request_template`). `vhost` is the url's
/// `virtualhost`, else the checker's, else the real server's or virtual server's (the caller
/// picks); without one the Host header is the real server's address with its port, an IPv6
/// address in brackets (RFC 2732). `Connection: close` is sent for 1.0C and 1.1.
pub fn request(path: &str, vhost: Option<&str>, addr: SocketAddr, proto: HttpProtocol) -> Vec<u8> {
    let minor = if proto == HttpProtocol::V1_1 { 1 } else { 0 };
    let connection = match proto {
        HttpProtocol::V1_0 => "",
        HttpProtocol::V1_0C | HttpProtocol::V1_1 => "Connection: close\r\n",
    };
    let host = match (vhost, addr) {
        (Some(v), _) => v.to_string(),
        (None, SocketAddr::V4(a)) => format!("{}:{}", a.ip(), a.port()),
        (None, SocketAddr::V6(a)) => format!("[{}]:{}", a.ip(), a.port()),
    };
    format!(
        "GET {path} HTTP/1.{minor}\r\nUser-Agent: KeepAliveClient\r\n{connection}Host: {host}\r\n\r\n"
    )
    .into_bytes()
}

/// How the body's end is known.
#[derive(Debug)]
enum Body {
    /// This many bytes are still to come.
    Length(u64),
    /// Until the peer closes.
    Close,
    Chunked(Chunk),
}

/// Where a chunked body's decoder is.
#[derive(Debug)]
enum Chunk {
    /// In a chunk-size line: the size so far, whether a digit was seen, whether past the
    /// digits (extension or whitespace), the line's length so far.
    Size {
        size: u64,
        digits: bool,
        ext: bool,
        len: usize,
    },
    /// Chunk data: this many bytes still to come.
    Data(u64),
    /// The CRLF after chunk data: whether the CR was seen.
    DataEnd { cr: bool },
    /// Trailer lines after the last chunk: the current line's length, the block's length.
    Trailer { line: usize, total: usize },
}

#[derive(Debug)]
enum State {
    /// Reading the status line and headers (into `head`).
    Head,
    Body(Body),
    Done(Verdict),
}

/// One HTTP_GET exchange for one url.
#[derive(Debug)]
pub struct Dialogue {
    request: Vec<u8>,
    accept: StatusCodes,
    expect: Option<[u8; 16]>,
    keep_body: usize,
    state: State,
    head: Vec<u8>,
    /// Any byte received.
    received: bool,
    status: Option<u16>,
    md5: Option<Md5>,
    digest: Option<[u8; 16]>,
    body: Vec<u8>,
    body_len: u64,
}

impl Dialogue {
    /// `request` from [`request`]; `keep_body`: how many bytes of the decoded body to keep for
    /// a regex (0: none); `want_digest`: compute the MD5 even without `url.digest` (genhash;
    /// genhash wants every status accepted: give it a url with status codes 100-599).
    pub fn new(url: &Url, request: Vec<u8>, keep_body: usize, want_digest: bool) -> Dialogue {
        Dialogue {
            request,
            accept: url.status_codes.clone(),
            expect: url.digest,
            keep_body,
            state: State::Head,
            head: Vec::new(),
            received: false,
            status: None,
            md5: (want_digest || url.digest.is_some()).then(Md5::new),
            digest: None,
            body: Vec::new(),
            body_len: 0,
        }
    }

    /// The bytes to write once connected.
    pub fn start(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.request)
    }

    pub fn on_data(&mut self, data: &[u8]) -> Step {
        if !data.is_empty() {
            self.received = true;
        }
        match self.state {
            State::Done(ref v) => Step::Done(v.clone()),
            State::Head => match self.head_data(data) {
                Ok(Some(rest)) => self.body_data(&rest),
                Ok(None) => Step::Read,
                Err(e) => self.end(Err(e)),
            },
            State::Body(_) => self.body_data(data),
        }
    }

    /// The peer closed (or the read failed) before the dialogue was done.
    pub fn on_eof(&mut self) -> Verdict {
        let verdict = match &self.state {
            State::Done(v) => return v.clone(),
            State::Head if !self.received => Err("no data received".to_string()),
            State::Head => Err("connection closed in the headers".to_string()),
            State::Body(Body::Close) => self.judge_body(),
            State::Body(Body::Length(left)) => Err(format!(
                "connection closed {} bytes short of Content-Length",
                left
            )),
            State::Body(Body::Chunked(_)) => {
                Err("connection closed in the chunked body".to_string())
            }
        };
        self.state = State::Done(verdict.clone());
        verdict
    }

    /// The status code, once the status line is read.
    pub fn status(&self) -> Option<u16> {
        self.status
    }

    /// The kept prefix of the decoded body (at most `keep_body` bytes).
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The MD5 of the decoded body, once the body is complete (when computed).
    pub fn digest(&self) -> Option<[u8; 16]> {
        self.digest
    }

    /// Decoded body bytes received so far.
    pub fn body_len(&self) -> u64 {
        self.body_len
    }

    fn end(&mut self, verdict: Verdict) -> Step {
        self.state = State::Done(verdict.clone());
        Step::Done(verdict)
    }

    /// Header bytes: `Some(body bytes)` once the header block is complete and judged.
    fn head_data(&mut self, data: &[u8]) -> Result<Option<Vec<u8>>, String> {
        let old = self.head.len();
        let take = data.len().min(HEAD_MAX - old.min(HEAD_MAX));
        self.head
            .extend_from_slice(data.get(..take).unwrap_or(data));
        if self.status.is_none() {
            self.status_line()?;
        }
        // Search the terminator from a little before the new bytes (it may straddle reads).
        let from = old.saturating_sub(3);
        let end = self.head.get(from..).and_then(head_end).map(|e| e + from);
        let Some(end) = end else {
            if self.head.len() >= HEAD_MAX {
                return Err("headers too long".to_string());
            }
            return Ok(None);
        };
        let mut rest = self.head.split_off(end);
        rest.extend_from_slice(data.get(take..).unwrap_or_default());
        let body = self.headers()?;
        self.head = Vec::new();
        self.state = State::Body(body);
        Ok(Some(rest))
    }

    /// Judges the status line once it is whole (garbage fails as soon as it shows).
    fn status_line(&mut self) -> Result<(), String> {
        const PREFIX: &[u8] = b"HTTP/";
        let n = self.head.len().min(PREFIX.len());
        if self.head.get(..n) != PREFIX.get(..n) {
            return Err("no HTTP status line".to_string());
        }
        let Some(eol) = self.head.iter().position(|&b| b == b'\n') else {
            return Ok(());
        };
        let line = self.head.get(..eol).unwrap_or_default();
        let code = parse_status(line).ok_or("no HTTP status line")?;
        self.status = Some(code);
        if !self.accept.contains(code) {
            return Err(format!("HTTP status {code}"));
        }
        Ok(())
    }

    /// The header block is whole: how the body is delimited.
    fn headers(&self) -> Result<Body, String> {
        let mut length: Option<u64> = None;
        let mut chunked = false;
        for line in self.head.split(|&b| b == b'\n').skip(1) {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            let Some(colon) = line.iter().position(|&b| b == b':') else {
                continue;
            };
            let (name, value) = line.split_at(colon);
            let value = value.get(1..).unwrap_or_default().trim_ascii();
            if name.eq_ignore_ascii_case(b"content-length") {
                let n = parse_dec(value).ok_or("bad Content-Length")?;
                if length.is_some_and(|l| l != n) {
                    return Err("conflicting Content-Length".to_string());
                }
                length = Some(n);
            } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
                // Chunked when it is the last coding applied.
                let last = value.rsplit(|&b| b == b',').next().unwrap_or_default();
                chunked = last.trim_ascii().eq_ignore_ascii_case(b"chunked");
            }
        }
        let code = self.status.unwrap_or(0);
        Ok(
            if (100..200).contains(&code) || code == 204 || code == 304 {
                Body::Length(0)
            } else if chunked {
                Body::Chunked(Chunk::Size {
                    size: 0,
                    digits: false,
                    ext: false,
                    len: 0,
                })
            } else if let Some(n) = length {
                Body::Length(n)
            } else {
                Body::Close
            },
        )
    }

    /// Body bytes (still framed when chunked).
    fn body_data(&mut self, mut data: &[u8]) -> Step {
        loop {
            let State::Body(body) = &mut self.state else {
                return Step::Read;
            };
            let done = match body {
                Body::Close => {
                    self.decoded(data);
                    return Step::Read;
                }
                Body::Length(left) => {
                    let n = usize::try_from(*left).unwrap_or(usize::MAX).min(data.len());
                    *left -= n as u64;
                    let done = *left == 0;
                    self.decoded(data.get(..n).unwrap_or_default());
                    done
                }
                Body::Chunked(chunk) => match chunk_step(chunk, data) {
                    Err(e) => return self.end(Err(e)),
                    Ok((used, payload, done)) => {
                        let payload = data.get(payload).unwrap_or_default();
                        data = data.get(used..).unwrap_or_default();
                        self.decoded(payload);
                        if !done && !data.is_empty() {
                            continue;
                        }
                        done
                    }
                },
            };
            if !done {
                return Step::Read;
            }
            let verdict = self.judge_body();
            return self.end(verdict);
        }
    }

    /// Decoded body bytes.
    fn decoded(&mut self, b: &[u8]) {
        self.body_len = self.body_len.saturating_add(b.len() as u64);
        if let Some(m) = &mut self.md5 {
            m.update(b);
        }
        let room = self.keep_body.saturating_sub(self.body.len());
        self.body
            .extend_from_slice(b.get(..room.min(b.len())).unwrap_or_default());
    }

    /// The body is complete: the digest, and the verdict on it.
    fn judge_body(&mut self) -> Verdict {
        if let Some(m) = self.md5.take() {
            self.digest = Some(m.finish());
        }
        match (self.expect, self.digest) {
            (Some(want), Some(got)) if want != got => {
                Err(format!("digest mismatch: got {}", md5::hex(&got)))
            }
            _ => Ok(()),
        }
    }
}

/// Advances the chunked decoder over `data`: (bytes used, the range of them that is payload,
/// whether the body ended). Stops after one chunk's data so the caller can hand it on.
fn chunk_step(
    chunk: &mut Chunk,
    data: &[u8],
) -> Result<(usize, std::ops::Range<usize>, bool), String> {
    let mut i = 0;
    while let Some(&b) = data.get(i) {
        i += 1;
        match chunk {
            Chunk::Size {
                size,
                digits,
                ext,
                len,
            } => {
                *len += 1;
                if *len > LINE_MAX {
                    return Err("chunk size line too long".to_string());
                }
                match b {
                    b'\n' if !*digits => return Err("bad chunk size".to_string()),
                    b'\n' if *size == 0 => *chunk = Chunk::Trailer { line: 0, total: 0 },
                    b'\n' => *chunk = Chunk::Data(*size),
                    _ if *ext => {}
                    b';' | b' ' | b'\t' | b'\r' => *ext = true,
                    _ => {
                        let d = char::from(b).to_digit(16).ok_or("bad chunk size")?;
                        if *size >> 60 != 0 {
                            return Err("chunk size too large".to_string());
                        }
                        *size = *size << 4 | u64::from(d);
                        *digits = true;
                    }
                }
            }
            Chunk::Data(left) => {
                let start = i - 1;
                let n = usize::try_from(*left)
                    .unwrap_or(usize::MAX)
                    .min(data.len() - start);
                *left -= n as u64;
                if *left == 0 {
                    *chunk = Chunk::DataEnd { cr: false };
                }
                return Ok((start + n, start..start + n, false));
            }
            Chunk::DataEnd { cr } => match b {
                b'\r' if !*cr => *cr = true,
                b'\n' => {
                    *chunk = Chunk::Size {
                        size: 0,
                        digits: false,
                        ext: false,
                        len: 0,
                    }
                }
                _ => return Err("no CRLF after chunk data".to_string()),
            },
            Chunk::Trailer { line, total } => {
                *total += 1;
                if *total > LINE_MAX {
                    return Err("chunked trailer too long".to_string());
                }
                match b {
                    b'\n' if *line == 0 => return Ok((i, 0..0, true)),
                    b'\n' => *line = 0,
                    b'\r' => {}
                    _ => *line += 1,
                }
            }
        }
    }
    Ok((i, 0..0, false))
}

/// The end of the header block (after the empty line), CRLF or bare LF.
fn head_end(b: &[u8]) -> Option<usize> {
    let mut i = 0;
    while let Some(p) = b.get(i..).and_then(|s| s.iter().position(|&c| c == b'\n')) {
        let nl = i + p;
        match b.get(nl + 1..) {
            Some([b'\n', ..]) => return Some(nl + 2),
            Some([b'\r', b'\n', ..]) => return Some(nl + 3),
            _ => i = nl + 1,
        }
    }
    None
}

/// `HTTP/x.y NNN[ reason]` -> NNN.
fn parse_status(line: &[u8]) -> Option<u16> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let rest = line.strip_prefix(b"HTTP/")?;
    let sp = rest.iter().position(|&b| b == b' ')?;
    let rest = rest.get(sp + 1..)?;
    let (code, after) = rest.split_at(rest.len().min(3));
    if code.len() != 3 || !matches!(after.first(), None | Some(b' ')) {
        return None;
    }
    let code = u16::try_from(parse_dec(code)?).ok()?;
    (100..=599).contains(&code).then_some(code)
}

fn parse_dec(s: &[u8]) -> Option<u64> {
    if s.is_empty() || s.len() > 18 || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(s.iter().fold(0, |n, &d| n * 10 + u64::from(d - b'0')))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(codes: &[(u16, u16)], digest: Option<[u8; 16]>) -> Url {
        Url {
            path: "/".to_string(),
            digest,
            status_codes: StatusCodes(codes.to_vec()),
            virtualhost: None,
            regex: None,
        }
    }

    fn md5_of(b: &[u8]) -> [u8; 16] {
        let mut m = Md5::new();
        m.update(b);
        m.finish()
    }

    /// Feeds `parts` in order, then EOF if not done: the verdict and the dialogue.
    fn run(url: &Url, keep: usize, parts: &[&[u8]]) -> (Verdict, Dialogue) {
        let mut d = Dialogue::new(url, b"GET".to_vec(), keep, true);
        assert_eq!(d.start(), b"GET");
        for p in parts {
            match d.on_data(p) {
                Step::Done(v) => return (v, d),
                Step::Read => {}
                Step::Send(_) => panic!("HTTP never sends after the request"),
            }
        }
        (d.on_eof(), d)
    }

    fn ok_url() -> Url {
        url(&[(200, 299)], None)
    }

    const V4: &str = "192.0.2.1:8080";

    #[test]
    fn request_bytes() {
        use HttpProtocol::{V1_0, V1_0C, V1_1};
        const UA: &str = "User-Agent: KeepAliveClient\r\n";
        const CLOSE: &str = "Connection: close\r\n";
        // (path, vhost, address, protocol, request line, Connection header, Host).
        // The port is always added to an address, even the default one; never to a vhost.
        let cases = [
            (
                "/health",
                None,
                "192.0.2.1:8080",
                V1_0,
                "GET /health HTTP/1.0",
                "",
                "192.0.2.1:8080",
            ),
            (
                "/",
                None,
                "192.0.2.1:8080",
                V1_0C,
                "GET / HTTP/1.0",
                CLOSE,
                "192.0.2.1:8080",
            ),
            (
                "/x?y=1",
                Some("www.example.com"),
                V4,
                V1_1,
                "GET /x?y=1 HTTP/1.1",
                CLOSE,
                "www.example.com",
            ),
            (
                "/",
                None,
                "192.0.2.1:80",
                V1_0,
                "GET / HTTP/1.0",
                "",
                "192.0.2.1:80",
            ),
            (
                "/",
                None,
                "[2001:db8::1]:443",
                V1_1,
                "GET / HTTP/1.1",
                CLOSE,
                "[2001:db8::1]:443",
            ),
            (
                "/",
                Some("v6.example"),
                "[2001:db8::1]:443",
                V1_0,
                "GET / HTTP/1.0",
                "",
                "v6.example",
            ),
        ];
        for (path, vhost, addr, proto, line, conn, host) in cases {
            let want = format!("{line}\r\n{UA}{conn}Host: {host}\r\n\r\n");
            let got = request(path, vhost, addr.parse().unwrap(), proto);
            assert_eq!(String::from_utf8(got).unwrap(), want);
        }
        // One literal, byte for byte.
        assert_eq!(
            request("/", None, V4.parse().unwrap(), V1_0C),
            b"GET / HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nConnection: close\r\nHost: 192.0.2.1:8080\r\n\r\n"
        );
    }

    const OK: &[u8] = b"HTTP/1.1 200 OK\r\nServer: x\r\ncontent-length: 5\r\n\r\nhello";

    #[test]
    fn content_length_ok() {
        let (v, d) = run(&ok_url(), 100, &[OK]);
        assert_eq!(v, Ok(()));
        assert_eq!(d.status(), Some(200));
        assert_eq!(d.body(), b"hello");
        assert_eq!(d.body_len(), 5);
        assert_eq!(d.digest(), Some(md5_of(b"hello")));
    }

    #[test]
    fn done_before_eof_and_idempotent() {
        let mut d = Dialogue::new(&ok_url(), Vec::new(), 0, false);
        assert_eq!(d.on_data(OK), Step::Done(Ok(())));
        // Spurious calls after the end repeat the verdict.
        assert_eq!(d.on_data(b"more"), Step::Done(Ok(())));
        assert_eq!(d.on_eof(), Ok(()));
        assert_eq!(d.digest(), None, "no digest unless configured or wanted");
        assert_eq!(d.body(), b"");
    }

    #[test]
    fn status_codes() {
        let resp_500: &[u8] = b"HTTP/1.0 500 Internal Server Error\r\n";
        assert_eq!(
            run(&ok_url(), 0, &[resp_500]).0,
            Err("HTTP status 500".to_string())
        );
        let resp_404: &[u8] = b"HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n";
        assert_eq!(
            run(&ok_url(), 0, &[resp_404]).0,
            Err("HTTP status 404".to_string())
        );
        let list = url(&[(200, 200), (404, 404)], None);
        assert_eq!(run(&list, 0, &[resp_404]).0, Ok(()));
        let range = url(&[(200, 299), (400, 499)], None);
        assert_eq!(run(&range, 0, &[resp_404]).0, Ok(()));
        assert_eq!(run(&range, 0, &[b"HTTP/1.0 451 x\r\n\r\n"]).0, Ok(()));
        assert_eq!(
            run(&range, 0, &[b"HTTP/1.0 302 x\r\n\r\n"]).0,
            Err("HTTP status 302".to_string())
        );
        // No reason phrase.
        assert_eq!(run(&ok_url(), 0, &[b"HTTP/1.0 204\r\n\r\n"]).0, Ok(()));
    }

    #[test]
    fn digest_match_and_mismatch() {
        let good = url(&[(200, 299)], Some(md5_of(b"hello")));
        assert_eq!(run(&good, 0, &[OK]).0, Ok(()));
        let bad = url(&[(200, 299)], Some([0; 16]));
        let want = format!("digest mismatch: got {}", md5::hex(&md5_of(b"hello")));
        assert_eq!(run(&bad, 0, &[OK]).0, Err(want));
    }

    const CHUNKED: &[u8] =
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, Chunked\r\nContent-Length: 99\r\n\r\n\
        5;name=value\r\nhello\r\n1A \r\n, chunked world, 26 bytes.\r\n0\r\nX-Trailer: 1\r\n\r\n";
    const CHUNKED_BODY: &[u8] = b"hello, chunked world, 26 bytes.";

    #[test]
    fn chunked_is_decoded() {
        let u = url(&[(200, 299)], Some(md5_of(CHUNKED_BODY)));
        let (v, d) = run(&u, 1000, &[CHUNKED]);
        assert_eq!(v, Ok(()));
        assert_eq!(d.body(), CHUNKED_BODY);
        assert_eq!(d.body_len(), CHUNKED_BODY.len() as u64);
        assert_eq!(d.digest(), Some(md5_of(CHUNKED_BODY)));
        // Bare LF framing too, no trailer.
        let lf: &[u8] = b"HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n3\nabc\n0\n\n";
        let (v, d) = run(&ok_url(), 10, &[lf]);
        assert_eq!(v, Ok(()));
        assert_eq!(d.body(), b"abc");
    }

    #[test]
    fn chunked_malformed() {
        let head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
        let cases: [(&str, &str); 6] = [
            ("zz\r\n", "bad chunk size"),
            ("\r\n", "bad chunk size"),
            ("3\r\nabcX\r\n", "no CRLF after chunk data"),
            ("11111111111111111\r\n", "chunk size too large"),
            ("3\r\nab", "connection closed in the chunked body"),
            ("0\r\n", "connection closed in the chunked body"),
        ];
        for (body, want) in cases {
            let resp = format!("{head}{body}");
            assert_eq!(
                run(&ok_url(), 0, &[resp.as_bytes()]).0,
                Err(want.to_string()),
                "{body:?}"
            );
        }
        let long = format!("{head}1;{}", "e".repeat(LINE_MAX));
        let (v, _) = run(&ok_url(), 0, &[long.as_bytes()]);
        assert_eq!(v, Err("chunk size line too long".to_string()));
        let trailer = format!("{head}0\r\n{}", "t".repeat(LINE_MAX + 1));
        let (v, _) = run(&ok_url(), 0, &[trailer.as_bytes()]);
        assert_eq!(v, Err("chunked trailer too long".to_string()));
    }

    #[test]
    fn close_delimited() {
        let parts: [&[u8]; 3] = [b"HTTP/1.0 200 OK\r\n\r\nsome ", b"body", b""];
        let u = url(&[(200, 299)], Some(md5_of(b"some body")));
        let mut d = Dialogue::new(&u, Vec::new(), 4, false);
        for p in parts {
            assert_eq!(d.on_data(p), Step::Read);
        }
        assert_eq!(d.digest(), None, "not before the end");
        assert_eq!(d.on_eof(), Ok(()));
        assert_eq!(d.digest(), Some(md5_of(b"some body")));
        assert_eq!(d.body(), b"some", "keep_body prefix");
        assert_eq!(d.body_len(), 9);
    }

    #[test]
    fn truncated_content_length() {
        let (v, d) = run(
            &ok_url(),
            0,
            &[b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"],
        );
        assert_eq!(
            v,
            Err("connection closed 7 bytes short of Content-Length".to_string())
        );
        assert_eq!(d.body_len(), 3);
    }

    #[test]
    fn failures_without_a_response() {
        assert_eq!(
            run(&ok_url(), 0, &[]).0,
            Err("no data received".to_string())
        );
        for garbage in [
            &b"SSH-2.0-OpenSSH\r\n"[..],
            b"\x16\x03\x01",
            b"HTTP/1.0 2000 OK\r\n",
            b"HTTP/1.0 abc\r\n",
            b"HTTP/1.1\r\n",
            b"\r\n\r\n",
        ] {
            assert_eq!(
                run(&ok_url(), 0, &[garbage]).0,
                Err("no HTTP status line".to_string()),
                "{garbage:?}"
            );
        }
        assert_eq!(
            run(&ok_url(), 0, &[b"HTTP/1.1 200 OK\r\nServer"]).0,
            Err("connection closed in the headers".to_string())
        );
        assert_eq!(
            run(
                &ok_url(),
                0,
                &[b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n"]
            )
            .0,
            Err("bad Content-Length".to_string())
        );
        assert_eq!(
            run(
                &ok_url(),
                0,
                &[b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"]
            )
            .0,
            Err("conflicting Content-Length".to_string())
        );
    }

    #[test]
    fn headers_too_long() {
        let mut d = Dialogue::new(&ok_url(), Vec::new(), 0, false);
        assert_eq!(d.on_data(b"HTTP/1.1 200 OK\r\n"), Step::Read);
        let line = b"X-Filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n";
        let mut step = Step::Read;
        for _ in 0..1000 {
            step = d.on_data(line);
            if step != Step::Read {
                break;
            }
        }
        assert_eq!(step, Step::Done(Err("headers too long".to_string())));
        assert!(d.head.capacity() <= 2 * HEAD_MAX);
        // One huge read is cut at the cap too, and a status line longer than the cap fails.
        let mut huge = b"HTTP/1.1 200 OK\r\n".to_vec();
        huge.resize(1 << 20, b'a');
        let (v, d) = run(&ok_url(), 0, &[&huge]);
        assert_eq!(v, Err("headers too long".to_string()));
        assert!(d.head.capacity() <= 2 * HEAD_MAX);
        let mut long_status = b"HTTP/1.1 200 ".to_vec();
        long_status.resize(HEAD_MAX + 10, b'a');
        assert_eq!(
            run(&ok_url(), 0, &[&long_status]).0,
            Err("headers too long".to_string())
        );
    }

    /// Every way of cutting `resp` in two (and byte by byte) gives the same verdict and body.
    fn every_split(u: &Url, resp: &[u8]) {
        let (want, d) = run(u, 1000, &[resp]);
        let (body, digest, status) = (d.body().to_vec(), d.digest(), d.status());
        for i in 0..=resp.len() {
            let (a, b) = resp.split_at(i);
            let (v, d) = run(u, 1000, &[a, b]);
            assert_eq!(v, want, "split at {i}");
            assert_eq!(
                (d.body(), d.digest(), d.status()),
                (&body[..], digest, status),
                "split at {i}"
            );
        }
        let bytes: Vec<&[u8]> = resp.chunks(1).collect();
        let (v, d) = run(u, 1000, &bytes);
        assert_eq!(v, want, "byte by byte");
        assert_eq!(d.body(), &body[..]);
    }

    #[test]
    fn split_points() {
        every_split(&url(&[(200, 299)], Some(md5_of(b"hello"))), OK);
        every_split(&url(&[(200, 299)], Some(md5_of(CHUNKED_BODY))), CHUNKED);
        every_split(&ok_url(), b"HTTP/1.0 200 OK\n\nclose delimited");
        every_split(
            &ok_url(),
            b"HTTP/1.0 503 Busy\r\nContent-Length: 3\r\n\r\nabc",
        );
        every_split(
            &ok_url(),
            b"HTTP/1.0 200 OK\r\nContent-Length: 9\r\n\r\nabc",
        );
        every_split(&ok_url(), b"<html>garbage");
        assert_eq!(
            run(
                &url(&[(200, 299)], Some(md5_of(CHUNKED_BODY))),
                0,
                &[CHUNKED]
            )
            .0,
            Ok(())
        );
    }

    #[test]
    fn one_megabyte_body_bounded() {
        let body: Vec<u8> = (0..1u32 << 20).map(|i| (i % 253) as u8).collect();
        let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", body.len());
        let u = url(&[(200, 299)], Some(md5_of(&body)));
        let mut d = Dialogue::new(&u, Vec::new(), 64, false);
        assert_eq!(d.on_data(head.as_bytes()), Step::Read);
        let mut last = Step::Read;
        for part in body.chunks(4096) {
            last = d.on_data(part);
            assert!(d.body.capacity() <= 128 && d.head.capacity() == 0);
        }
        assert_eq!(last, Step::Done(Ok(())));
        assert_eq!(d.body(), &body[..64]);
        assert_eq!(d.body_len(), 1 << 20);
        // Chunked, close-delimited: the same bound.
        let mut chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
        for part in body.chunks(10_000) {
            chunked.extend_from_slice(format!("{:x}\r\n", part.len()).as_bytes());
            chunked.extend_from_slice(part);
            chunked.extend_from_slice(b"\r\n");
        }
        chunked.extend_from_slice(b"0\r\n\r\n");
        let parts: Vec<&[u8]> = chunked.chunks(3000).collect();
        let (v, d) = run(&u, 16, &parts);
        assert_eq!(v, Ok(()));
        assert_eq!((d.body(), d.body_len()), (&body[..16], 1 << 20));
        let mut close = b"HTTP/1.0 200 OK\r\n\r\n".to_vec();
        close.extend_from_slice(&body);
        let (v, d) = run(&u, 0, &[&close]);
        assert_eq!(v, Ok(()));
        assert_eq!((d.body().len(), d.body_len()), (0, 1 << 20));
    }

    #[test]
    fn no_panic_on_noise() {
        // A simple deterministic generator over bytes that matter to the parser.
        let alphabet =
            b"HTTP/1.0 200\r\n:;0123456789abcdefABCDEF chunked Content-Length Transfer-Encoding";
        let mut x: u32 = 1;
        for _ in 0..2000 {
            let mut resp = b"HTTP/1.1 200 OK\r\n".to_vec();
            for _ in 0..(x % 200) {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                resp.push(alphabet[(x as usize) % alphabet.len()]);
            }
            let mut d = Dialogue::new(&ok_url(), Vec::new(), 8, true);
            for part in resp.chunks((x % 7 + 1) as usize) {
                if let Step::Done(_) = d.on_data(part) {
                    break;
                }
            }
            let _ = d.on_eof();
            assert!(d.body().len() <= 8);
        }
    }
}
