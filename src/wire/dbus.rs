//! The DBus wire format (the DBus specification, "Message Protocol"), as much as a service
//! needs: the SASL EXTERNAL exchange as bytes, a message's header and its fields, and the
//! marshalling of the basic types, arrays, structs, dict entries and variants.
//!
//! Unlike the packet codecs beside it, a message allocates (its strings and body); what it may
//! hold is bounded by [`MAX_MESSAGE`] and containers nest at most [`MAX_DEPTH`] deep. Messages
//! are written little endian; messages of either endianness are read. No input panics: a
//! malformed message is an [`Error`].
//!
//! ```text
//! fixed header:  0 endian ('l'/'B')  1 type  2 flags  3 version (1)
//!                4 body length (u32) 8 serial (u32)  12 header fields: a(yv)
//! then padding to 8, then the body (its signature in header field 8).
//! ```

/// The largest message read or written (the specification allows 128 MiB; a service that
/// answers property reads needs far less).
pub const MAX_MESSAGE: usize = 1 << 20;
/// The deepest nesting of containers read (the specification's limit is 64).
pub const MAX_DEPTH: u32 = 32;

/// Message types.
pub const METHOD_CALL: u8 = 1;
pub const METHOD_RETURN: u8 = 2;
pub const ERROR: u8 = 3;
pub const SIGNAL: u8 = 4;
/// Flag: no reply is expected.
pub const NO_REPLY_EXPECTED: u8 = 1;

/// Header field codes.
mod field {
    pub const PATH: u8 = 1;
    pub const INTERFACE: u8 = 2;
    pub const MEMBER: u8 = 3;
    pub const ERROR_NAME: u8 = 4;
    pub const REPLY_SERIAL: u8 = 5;
    pub const DESTINATION: u8 = 6;
    pub const SENDER: u8 = 7;
    pub const SIGNATURE: u8 = 8;
}

/// Why bytes are not a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// Ran past the end of the data.
    Short,
    /// Not 'l' or 'B', or not version 1.
    BadFixedHeader,
    /// Larger than [`MAX_MESSAGE`].
    TooLarge,
    /// A string that is not UTF-8 or not ended by a nul, padding not zero, a boolean not 0/1.
    BadValue,
    /// A signature that is not valid (or nests deeper than [`MAX_DEPTH`]).
    BadSignature,
    /// The SASL server said no.
    Rejected,
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Error::Short => "truncated",
            Error::BadFixedHeader => "bad fixed header",
            Error::TooLarge => "message too large",
            Error::BadValue => "malformed value",
            Error::BadSignature => "bad signature",
            Error::Rejected => "authentication rejected",
        })
    }
}

/// The client's opening of the SASL exchange: the nul byte, then `AUTH EXTERNAL` with the
/// uid in ASCII decimal, hex encoded.
pub fn auth_request(uid: u32) -> Vec<u8> {
    let mut o = b"\0AUTH EXTERNAL ".to_vec();
    for d in uid.to_string().bytes() {
        o.extend_from_slice(format!("{d:02x}").as_bytes());
    }
    o.extend_from_slice(b"\r\n");
    o
}

/// What ends the SASL exchange once the server said OK.
pub const AUTH_BEGIN: &[u8] = b"BEGIN\r\n";

/// The server's answer to [`auth_request`] in `buf`: `Ok(None)` until a whole line is there,
/// `Ok(Some(n))` when it is `OK <guid>` (`n` bytes long), [`Error::Rejected`] otherwise. A line
/// longer than 512 bytes is a rejection.
pub fn auth_reply(buf: &[u8]) -> Result<Option<usize>, Error> {
    match buf.windows(2).position(|w| w == b"\r\n") {
        Some(end) if buf.starts_with(b"OK ") => Ok(Some(end + 2)),
        Some(_) => Err(Error::Rejected),
        None if buf.len() > 512 => Err(Error::Rejected),
        None => Ok(None),
    }
}

/// A message's header. `serial` is the sender's; the fields absent are `None` (or empty).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Header {
    pub kind: u8,
    pub flags: u8,
    pub serial: u32,
    pub path: Option<String>,
    pub interface: Option<String>,
    pub member: Option<String>,
    pub error_name: Option<String>,
    pub reply_serial: Option<u32>,
    pub destination: Option<String>,
    pub sender: Option<String>,
    pub signature: String,
}

/// A message: its header and its body as marshalled bytes (little endian when `le`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub header: Header,
    pub le: bool,
    pub body: Vec<u8>,
}

/// Marshals values into a buffer whose offset 0 is 8-aligned in the message (a body is).
#[derive(Debug, Default)]
pub struct Writer {
    pub buf: Vec<u8>,
}

impl Writer {
    pub fn new() -> Writer {
        Writer::default()
    }

    fn pad(&mut self, align: usize) {
        while !self.buf.len().is_multiple_of(align) {
            self.buf.push(0);
        }
    }

    pub fn byte(&mut self, v: u8) {
        self.buf.push(v);
    }

    pub fn u32(&mut self, v: u32) {
        self.pad(4);
        self.buf.extend_from_slice(&v.to_le_bytes());
    }

    /// A string or object path (`s`, `o`).
    pub fn str(&mut self, s: &str) {
        self.u32(s.len() as u32);
        self.buf.extend_from_slice(s.as_bytes());
        self.buf.push(0);
    }

    /// A signature (`g`): at most 255 bytes.
    pub fn sig(&mut self, s: &str) {
        self.buf.push(s.len().min(255) as u8);
        self.buf.extend_from_slice(s.as_bytes());
        self.buf.push(0);
    }

    /// Starts a struct or dict entry.
    pub fn open_struct(&mut self) {
        self.pad(8);
    }

    /// An array whose elements align to `align`, written by `f`.
    pub fn array(&mut self, align: usize, f: impl FnOnce(&mut Writer)) {
        self.u32(0);
        let at = self.buf.len() - 4;
        self.pad(align);
        let start = self.buf.len();
        f(self);
        let len = (self.buf.len() - start) as u32;
        if let Some(b) = self.buf.get_mut(at..at + 4) {
            b.copy_from_slice(&len.to_le_bytes());
        }
    }

    /// A variant of signature `sig`, its value written by `f`.
    pub fn variant(&mut self, sig: &str, f: impl FnOnce(&mut Writer)) {
        self.sig(sig);
        f(self);
    }
}

/// A message as bytes (little endian). The caller keeps it under [`MAX_MESSAGE`].
pub fn encode(h: &Header, body: &[u8]) -> Vec<u8> {
    let mut w = Writer::new();
    w.buf
        .extend_from_slice(&[b'l', h.kind, h.flags, 1, 0, 0, 0, 0]);
    if let Some(b) = w.buf.get_mut(4..8) {
        b.copy_from_slice(&(body.len() as u32).to_le_bytes());
    }
    w.u32(h.serial);
    w.array(8, |w| {
        let str_field = |w: &mut Writer, code: u8, sig: &str, v: &Option<String>| {
            if let Some(v) = v {
                w.open_struct();
                w.byte(code);
                w.variant(sig, |w| w.str(v));
            }
        };
        str_field(w, field::PATH, "o", &h.path);
        str_field(w, field::INTERFACE, "s", &h.interface);
        str_field(w, field::MEMBER, "s", &h.member);
        str_field(w, field::ERROR_NAME, "s", &h.error_name);
        if let Some(r) = h.reply_serial {
            w.open_struct();
            w.byte(field::REPLY_SERIAL);
            w.variant("u", |w| w.u32(r));
        }
        str_field(w, field::DESTINATION, "s", &h.destination);
        str_field(w, field::SENDER, "s", &h.sender);
        if !h.signature.is_empty() {
            w.open_struct();
            w.byte(field::SIGNATURE);
            w.variant("g", |w| w.sig(&h.signature));
        }
    });
    w.pad(8);
    w.buf.extend_from_slice(body);
    w.buf
}

/// The length of the message at the start of `buf`: `Ok(None)` until its fixed header is
/// there. Either endianness.
pub fn frame_len(buf: &[u8]) -> Result<Option<usize>, Error> {
    let Some(fixed) = buf.get(..16) else {
        return Ok(None);
    };
    let le = match fixed.first() {
        Some(b'l') => true,
        Some(b'B') => false,
        _ => return Err(Error::BadFixedHeader),
    };
    if fixed.get(3) != Some(&1) {
        return Err(Error::BadFixedHeader);
    }
    let r = Reader::new(fixed, le);
    let body = r.u32_at(4) as usize;
    let fields = r.u32_at(12) as usize;
    if body > MAX_MESSAGE || fields > MAX_MESSAGE {
        return Err(Error::TooLarge);
    }
    let total = (16 + fields).div_ceil(8) * 8 + body;
    if total > MAX_MESSAGE {
        return Err(Error::TooLarge);
    }
    Ok(Some(total))
}

/// Reads one whole message (`buf` is exactly [`frame_len`] long).
pub fn decode(buf: &[u8]) -> Result<Message, Error> {
    let total = frame_len(buf)?.ok_or(Error::Short)?;
    let buf = buf.get(..total).ok_or(Error::Short)?;
    let le = buf.first() == Some(&b'l');
    let mut r = Reader::new(buf, le);
    let mut h = Header {
        kind: r.byte_at(1),
        flags: r.byte_at(2),
        serial: r.u32_at(8),
        ..Header::default()
    };
    let body_len = r.u32_at(4) as usize;
    r.pos = 12;
    let end = r.array_start(8)?;
    while r.pos < end {
        r.align(8)?;
        let code = r.byte()?;
        let sig = r.sig()?;
        let val = match sig.as_bytes() {
            b"s" | b"o" => Some(r.str()?.to_string()),
            b"g" => Some(r.sig()?.to_string()),
            b"u" => {
                let v = r.u32()?;
                if code == field::REPLY_SERIAL {
                    h.reply_serial = Some(v);
                }
                None
            }
            s => {
                r.skip(s, 0)?;
                None
            }
        };
        let slot = match code {
            field::PATH => &mut h.path,
            field::INTERFACE => &mut h.interface,
            field::MEMBER => &mut h.member,
            field::ERROR_NAME => &mut h.error_name,
            field::DESTINATION => &mut h.destination,
            field::SENDER => &mut h.sender,
            field::SIGNATURE => {
                h.signature = val.unwrap_or_default();
                continue;
            }
            _ => continue,
        };
        *slot = val;
    }
    if r.pos != end {
        return Err(Error::BadValue);
    }
    r.align(8)?;
    let body = buf
        .get(r.pos..r.pos + body_len)
        .ok_or(Error::Short)?
        .to_vec();
    Ok(Message {
        header: h,
        le,
        body,
    })
}

/// Reads values from a buffer whose offset 0 is 8-aligned in its message.
#[derive(Debug)]
pub struct Reader<'a> {
    buf: &'a [u8],
    pub pos: usize,
    le: bool,
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8], le: bool) -> Reader<'a> {
        Reader { buf, pos: 0, le }
    }

    /// A message's body.
    pub fn body(m: &'a Message) -> Reader<'a> {
        Reader::new(&m.body, m.le)
    }

    fn byte_at(&self, at: usize) -> u8 {
        self.buf.get(at).copied().unwrap_or(0)
    }

    fn u32_at(&self, at: usize) -> u32 {
        let mut b = [0u8; 4];
        if let Some(s) = self.buf.get(at..at + 4) {
            b.copy_from_slice(s);
        }
        if self.le {
            u32::from_le_bytes(b)
        } else {
            u32::from_be_bytes(b)
        }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], Error> {
        let s = self
            .buf
            .get(self.pos..self.pos.saturating_add(n))
            .ok_or(Error::Short)?;
        self.pos += n;
        Ok(s)
    }

    fn align(&mut self, a: usize) -> Result<(), Error> {
        let n = (a - self.pos % a) % a;
        if self.take(n)?.iter().any(|&b| b != 0) {
            return Err(Error::BadValue);
        }
        Ok(())
    }

    pub fn byte(&mut self) -> Result<u8, Error> {
        Ok(self.take(1)?.first().copied().unwrap_or(0))
    }

    pub fn u32(&mut self) -> Result<u32, Error> {
        self.align(4)?;
        let at = self.pos;
        self.take(4)?;
        Ok(self.u32_at(at))
    }

    fn text(&mut self, len: usize) -> Result<&'a str, Error> {
        let s = self.take(len + 1)?;
        let (nul, s) = s.split_last().ok_or(Error::Short)?;
        if *nul != 0 || s.contains(&0) {
            return Err(Error::BadValue);
        }
        std::str::from_utf8(s).map_err(|_| Error::BadValue)
    }

    /// A string or object path.
    pub fn str(&mut self) -> Result<&'a str, Error> {
        let len = self.u32()? as usize;
        self.text(len)
    }

    /// A signature.
    pub fn sig(&mut self) -> Result<&'a str, Error> {
        let len = self.byte()? as usize;
        self.text(len)
    }

    /// An array's length is read and its first element aligned to `align`; the offset of its
    /// end is returned.
    fn array_start(&mut self, align: usize) -> Result<usize, Error> {
        let len = self.u32()? as usize;
        if len > MAX_MESSAGE {
            return Err(Error::TooLarge);
        }
        self.align(align)?;
        let end = self.pos + len;
        if end > self.buf.len() {
            return Err(Error::Short);
        }
        Ok(end)
    }

    /// Skips one value of the single complete type `sig`.
    pub fn skip(&mut self, sig: &[u8], depth: u32) -> Result<(), Error> {
        if depth > MAX_DEPTH {
            return Err(Error::BadSignature);
        }
        let (first, rest) = sig.split_first().ok_or(Error::BadSignature)?;
        match first {
            b'y' => self.take(1).map(drop),
            b'n' | b'q' => self.align(2).and_then(|_| self.take(2).map(drop)),
            b'b' => match self.u32()? {
                0 | 1 => Ok(()),
                _ => Err(Error::BadValue),
            },
            b'i' | b'u' | b'h' => self.u32().map(drop),
            b'x' | b't' | b'd' => self.align(8).and_then(|_| self.take(8).map(drop)),
            b's' | b'o' => self.str().map(drop),
            b'g' => self.sig().map(drop),
            b'v' => {
                let s = self.sig()?;
                if complete_len(s.as_bytes(), 0)? != s.len() {
                    return Err(Error::BadSignature);
                }
                self.skip(s.as_bytes(), depth + 1)
            }
            b'a' => {
                let elem = rest.get(..complete_len(rest, depth + 1)?).unwrap_or(&[]);
                let end = self.array_start(align_of(elem))?;
                while self.pos < end {
                    self.skip(elem, depth + 1)?;
                }
                if self.pos != end {
                    return Err(Error::BadValue);
                }
                Ok(())
            }
            b'(' | b'{' => {
                self.align(8)?;
                let inner = sig
                    .get(1..complete_len(sig, depth)?.saturating_sub(1))
                    .unwrap_or(&[]);
                let mut at = 0;
                while at < inner.len() {
                    let t = inner.get(at..).unwrap_or(&[]);
                    let n = complete_len(t, depth + 1)?;
                    self.skip(t.get(..n).unwrap_or(&[]), depth + 1)?;
                    at += n;
                }
                Ok(())
            }
            _ => Err(Error::BadSignature),
        }
    }
}

/// The length of the single complete type at the start of `sig`.
pub fn complete_len(sig: &[u8], depth: u32) -> Result<usize, Error> {
    if depth > MAX_DEPTH {
        return Err(Error::BadSignature);
    }
    match sig.first().ok_or(Error::BadSignature)? {
        b'y' | b'b' | b'n' | b'q' | b'i' | b'u' | b'x' | b't' | b'd' | b'h' | b's' | b'o'
        | b'g' | b'v' => Ok(1),
        b'a' => Ok(1 + complete_len(sig.get(1..).unwrap_or(&[]), depth + 1)?),
        &open @ (b'(' | b'{') => {
            let close = if open == b'(' { b')' } else { b'}' };
            let mut at = 1;
            let mut n = 0;
            loop {
                match sig.get(at) {
                    Some(&c) if c == close && n > 0 => break,
                    Some(_) => {
                        at += complete_len(sig.get(at..).unwrap_or(&[]), depth + 1)?;
                        n += 1;
                    }
                    None => return Err(Error::BadSignature),
                }
            }
            if open == b'{' && n != 2 {
                return Err(Error::BadSignature);
            }
            Ok(at + 1)
        }
        _ => Err(Error::BadSignature),
    }
}

fn align_of(sig: &[u8]) -> usize {
    match sig.first() {
        Some(b'n' | b'q') => 2,
        Some(b'b' | b'i' | b'u' | b'h' | b's' | b'o' | b'a') => 4,
        Some(b'x' | b't' | b'd' | b'(' | b'{') => 8,
        _ => 1,
    }
}

#[cfg(test)]
mod tests;
