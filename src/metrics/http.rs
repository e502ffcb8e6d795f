//! The HTTP/1.x of the metrics listener (pure): what a request's head asks for, and the bytes
//! of the answer. Only `GET /metrics` (with any query string) is served; every answer closes
//! the connection (`Connection: close`), so a request's body, if any, is never read.
//!
//! Bounded: a head (request line and headers, up to the empty line) longer than [`MAX_HEAD`]
//! bytes is refused with 431 without reading more; any byte sequence gives an answer or asks
//! for more, never a panic.

/// The longest request head read.
pub const MAX_HEAD: usize = 4096;

/// What a client gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// 200, the metrics.
    Metrics,
    /// 400: no request line `METHOD TARGET HTTP/1.x`.
    BadRequest,
    /// 404: a path other than `/metrics`.
    NotFound,
    /// 405: a method other than GET.
    MethodNotAllowed,
    /// 431: the head is over [`MAX_HEAD`] bytes.
    TooLarge,
    /// 505: not HTTP/1.x.
    BadVersion,
}

impl Answer {
    /// The status line's code and reason.
    pub fn status(self) -> (u16, &'static str) {
        match self {
            Answer::Metrics => (200, "OK"),
            Answer::BadRequest => (400, "Bad Request"),
            Answer::NotFound => (404, "Not Found"),
            Answer::MethodNotAllowed => (405, "Method Not Allowed"),
            Answer::TooLarge => (431, "Request Header Fields Too Large"),
            Answer::BadVersion => (505, "HTTP Version Not Supported"),
        }
    }
}

/// The answer to the bytes read so far, or `None` while the head is incomplete.
pub fn parse(buf: &[u8]) -> Option<Answer> {
    let Some(end) = head_end(buf) else {
        return (buf.len() >= MAX_HEAD).then_some(Answer::TooLarge);
    };
    if end > MAX_HEAD {
        return Some(Answer::TooLarge);
    }
    let line = buf.split(|&b| b == b'\n').next().unwrap_or_default();
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let mut parts = line.split(|&b| b == b' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Some(Answer::BadRequest);
    };
    if method.is_empty() || target.is_empty() {
        return Some(Answer::BadRequest);
    }
    if !version.starts_with(b"HTTP/") {
        return Some(Answer::BadRequest);
    }
    if version != b"HTTP/1.0" && version != b"HTTP/1.1" {
        return Some(Answer::BadVersion);
    }
    if method != b"GET" {
        return Some(Answer::MethodNotAllowed);
    }
    let path = target.split(|&b| b == b'?').next().unwrap_or_default();
    Some(if path == b"/metrics" {
        Answer::Metrics
    } else {
        Answer::NotFound
    })
}

/// The length of the head with its empty line (`\r\n\r\n`, or bare `\n\n` as RFC 9112 2.2
/// allows a recipient to accept).
fn head_end(buf: &[u8]) -> Option<usize> {
    let mut prev_nl = false;
    for (i, &b) in buf.iter().enumerate() {
        match b {
            b'\n' if prev_nl => return Some(i + 1),
            b'\n' => prev_nl = true,
            b'\r' => {}
            _ => prev_nl = false,
        }
    }
    None
}

/// The whole answer: status line, headers, and `body` for 200 (a short text otherwise).
pub fn response(answer: Answer, body: &str) -> Vec<u8> {
    let (code, reason) = answer.status();
    let (ctype, body) = match answer {
        Answer::Metrics => (super::expo::CONTENT_TYPE, body),
        _ => ("text/plain; charset=utf-8", reason),
    };
    let allow = if answer == Answer::MethodNotAllowed {
        "Allow: GET\r\n"
    } else {
        ""
    };
    let mut o = format!(
        "HTTP/1.1 {code} {reason}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\n{allow}Connection: close\r\n\r\n",
        body.len() + usize::from(answer != Answer::Metrics)
    )
    .into_bytes();
    o.extend_from_slice(body.as_bytes());
    if answer != Answer::Metrics {
        o.push(b'\n');
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests() {
        for (req, want) in [
            (
                "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n",
                Some(Answer::Metrics),
            ),
            ("GET /metrics?x=1 HTTP/1.0\r\n\r\n", Some(Answer::Metrics)),
            ("GET /metrics HTTP/1.1\n\n", Some(Answer::Metrics)),
            ("GET /metrics HTTP/1.1\r\nHost: x\r\n", None),
            ("GET /metrics HTTP/1.1", None),
            ("", None),
            ("GET / HTTP/1.1\r\n\r\n", Some(Answer::NotFound)),
            ("GET /metricsx HTTP/1.1\r\n\r\n", Some(Answer::NotFound)),
            (
                "POST /metrics HTTP/1.1\r\n\r\n",
                Some(Answer::MethodNotAllowed),
            ),
            (
                "HEAD /metrics HTTP/1.1\r\n\r\n",
                Some(Answer::MethodNotAllowed),
            ),
            ("GET /metrics HTTP/2.0\r\n\r\n", Some(Answer::BadVersion)),
            ("GET /metrics\r\n\r\n", Some(Answer::BadRequest)),
            ("GET  /metrics HTTP/1.1\r\n\r\n", Some(Answer::BadRequest)),
            ("GET /metrics HTTP/1.1 x\r\n\r\n", Some(Answer::BadRequest)),
            ("\r\n\r\n", Some(Answer::BadRequest)),
            ("\u{0}\u{ff}\n\n", Some(Answer::BadRequest)),
            ("GET /metrics FOO/1.1\r\n\r\n", Some(Answer::BadRequest)),
        ] {
            assert_eq!(parse(req.as_bytes()), want, "{req:?}");
        }
    }

    #[test]
    fn a_head_over_the_limit_is_refused() {
        let mut big = b"GET /metrics HTTP/1.1\r\nX: ".to_vec();
        big.resize(MAX_HEAD - 1, b'a');
        assert_eq!(parse(&big), None);
        big.push(b'a');
        assert_eq!(parse(&big), Some(Answer::TooLarge));
        // Complete, but longer than the limit (read in one go).
        big.extend_from_slice(b"\r\n\r\n");
        assert_eq!(parse(&big), Some(Answer::TooLarge));
        // Exactly at the limit: served.
        let mut fits = b"GET /metrics HTTP/1.1\r\nX: ".to_vec();
        fits.resize(MAX_HEAD - 4, b'a');
        fits.extend_from_slice(b"\r\n\r\n");
        assert_eq!(parse(&fits), Some(Answer::Metrics));
    }

    #[test]
    fn any_bytes_give_an_answer_or_ask_for_more() {
        let mut x: u32 = 12345;
        for n in 0..2000 {
            let buf: Vec<u8> = (0..n % 300)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 17;
                    x ^= x << 5;
                    [b'\n', b'\r', b' ', b'G', b'/', (x >> 8) as u8][(x % 6) as usize]
                })
                .collect();
            let _ = parse(&buf);
        }
    }

    #[test]
    fn answers() {
        let ok = String::from_utf8(response(Answer::Metrics, "a 1\n")).unwrap();
        assert_eq!(
            ok,
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\nContent-Length: 4\r\nConnection: close\r\n\r\na 1\n"
        );
        let no = String::from_utf8(response(Answer::MethodNotAllowed, "ignored")).unwrap();
        assert_eq!(
            no,
            "HTTP/1.1 405 Method Not Allowed\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 19\r\nAllow: GET\r\nConnection: close\r\n\r\nMethod Not Allowed\n"
        );
    }
}
