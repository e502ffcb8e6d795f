//! The AgentX protocol (RFC 2741) as a subagent speaks it: the 20-byte header, the PDUs a
//! subagent sends (Open, Close, Register, Unregister, Notify, Ping, Response) and those it
//! receives (Get, GetNext, GetBulk, the Set phases, Response, Close), object identifiers with
//! the include bit and the `1.3.6.1.x` prefix compression, search ranges and varbinds.
//!
//! ```text
//!   0               1               2               3
//!  +---------------+---------------+---------------+---------------+
//!  |  h.version    |   h.type      |   h.flags     |  <reserved>   |
//!  +---------------+---------------+---------------+---------------+
//!  |                          h.sessionID                          |
//!  |                          h.transactionID                      |
//!  |                          h.packetID                           |
//!  |                          h.payload_length                     |
//!  +---------------------------------------------------------------+
//! ```
//!
//! Pure: no IO. [`decode`] never panics and bounds what it builds by the input's length (a
//! payload over [`MAX_PAYLOAD`], an OID over [`MAX_SUBIDS`] sub-identifiers are errors). The
//! byte order of a received PDU is the one its `NETWORK_BYTE_ORDER` flag says; what
//! [`encode`] writes is always network byte order, with the flag set.

/// Header length.
pub const HEADER_LEN: usize = 20;
/// The largest payload accepted (net-snmp's master agent sends far less).
pub const MAX_PAYLOAD: usize = 64 << 10;
/// The most sub-identifiers an OID may have (SNMP's limit).
pub const MAX_SUBIDS: usize = 128;

/// Header flags.
pub mod flags {
    pub const INSTANCE_REGISTRATION: u8 = 0x01;
    pub const NEW_INDEX: u8 = 0x02;
    pub const ANY_INDEX: u8 = 0x04;
    pub const NON_DEFAULT_CONTEXT: u8 = 0x08;
    pub const NETWORK_BYTE_ORDER: u8 = 0x10;
}

/// `res.error` values a subagent uses.
pub mod error {
    pub const NO_ERROR: u16 = 0;
    pub const GEN_ERR: u16 = 5;
    pub const NOT_WRITABLE: u16 = 17;
    pub const OPEN_FAILED: u16 = 256;
    pub const NOT_OPEN: u16 = 257;
    pub const UNSUPPORTED_CONTEXT: u16 = 262;
    pub const DUPLICATE_REGISTRATION: u16 = 263;
    pub const PARSE_ERROR: u16 = 266;
    pub const PROCESSING_ERROR: u16 = 268;
}

/// Close reasons.
pub mod reason {
    pub const OTHER: u8 = 1;
    pub const PARSE_ERROR: u8 = 2;
    pub const PROTOCOL_ERROR: u8 = 3;
    pub const SHUTDOWN: u8 = 5;
}

/// An object identifier.
pub type Oid = Vec<u32>;

/// Why bytes are not an AgentX PDU.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// Not version 1.
    Version(u8),
    /// The payload length is over [`MAX_PAYLOAD`] or not a multiple of 4.
    PayloadLength(u32),
    /// The payload ends inside a field.
    Truncated,
    /// An OID longer than [`MAX_SUBIDS`].
    OidTooLong,
    /// A varbind of a type RFC 2741 does not define.
    VarBindType(u16),
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Version(v) => write!(f, "AgentX version {v}, not 1"),
            Error::PayloadLength(n) => write!(f, "payload length {n}"),
            Error::Truncated => write!(f, "truncated payload"),
            Error::OidTooLong => write!(f, "OID over {MAX_SUBIDS} sub-identifiers"),
            Error::VarBindType(t) => write!(f, "varbind type {t}"),
        }
    }
}

/// The PDU types (h.type).
pub mod ty {
    pub const OPEN: u8 = 1;
    pub const CLOSE: u8 = 2;
    pub const REGISTER: u8 = 3;
    pub const UNREGISTER: u8 = 4;
    pub const GET: u8 = 5;
    pub const GET_NEXT: u8 = 6;
    pub const GET_BULK: u8 = 7;
    pub const TEST_SET: u8 = 8;
    pub const COMMIT_SET: u8 = 9;
    pub const UNDO_SET: u8 = 10;
    pub const CLEANUP_SET: u8 = 11;
    pub const NOTIFY: u8 = 12;
    pub const PING: u8 = 13;
    pub const RESPONSE: u8 = 18;
}

/// The header, less the payload length (which [`encode`] fills).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Header {
    pub ty: u8,
    pub flags: u8,
    pub session: u32,
    pub transaction: u32,
    pub packet: u32,
}

/// A value in a varbind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Integer(i32),
    OctetString(Vec<u8>),
    Null,
    Oid(Oid),
    IpAddress([u8; 4]),
    Counter32(u32),
    Gauge32(u32),
    TimeTicks(u32),
    Opaque(Vec<u8>),
    Counter64(u64),
    NoSuchObject,
    NoSuchInstance,
    EndOfMibView,
}

impl Value {
    fn type_code(&self) -> u16 {
        match self {
            Value::Integer(_) => 2,
            Value::OctetString(_) => 4,
            Value::Null => 5,
            Value::Oid(_) => 6,
            Value::IpAddress(_) => 64,
            Value::Counter32(_) => 65,
            Value::Gauge32(_) => 66,
            Value::TimeTicks(_) => 67,
            Value::Opaque(_) => 68,
            Value::Counter64(_) => 70,
            Value::NoSuchObject => 128,
            Value::NoSuchInstance => 129,
            Value::EndOfMibView => 130,
        }
    }
}

/// A varbind: a name and its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VarBind {
    pub name: Oid,
    pub value: Value,
}

/// A search range: from `start` (itself included when `include`) up to `end` (excluded; empty:
/// no end).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchRange {
    pub start: Oid,
    pub include: bool,
    pub end: Oid,
}

/// A PDU's payload. `context` is the non-default context when the header has one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pdu {
    Open {
        timeout: u8,
        id: Oid,
        descr: Vec<u8>,
    },
    Close {
        reason: u8,
    },
    Register {
        context: Option<Vec<u8>>,
        timeout: u8,
        priority: u8,
        subtree: Oid,
    },
    Unregister {
        context: Option<Vec<u8>>,
        priority: u8,
        subtree: Oid,
    },
    Get {
        context: Option<Vec<u8>>,
        ranges: Vec<SearchRange>,
    },
    GetNext {
        context: Option<Vec<u8>>,
        ranges: Vec<SearchRange>,
    },
    GetBulk {
        context: Option<Vec<u8>>,
        non_repeaters: u16,
        max_repetitions: u16,
        ranges: Vec<SearchRange>,
    },
    /// TestSet (its varbinds), CommitSet, UndoSet, CleanupSet: `ty` says which.
    Set {
        ty: u8,
        varbinds: Vec<VarBind>,
    },
    Notify {
        context: Option<Vec<u8>>,
        varbinds: Vec<VarBind>,
    },
    Ping {
        context: Option<Vec<u8>>,
    },
    Response {
        sys_uptime: u32,
        error: u16,
        index: u16,
        varbinds: Vec<VarBind>,
    },
    /// A type a subagent does not handle (IndexAllocate, AddAgentCaps, ... or unknown).
    Other(u8),
}

impl Pdu {
    /// The h.type of this PDU.
    pub fn type_code(&self) -> u8 {
        match self {
            Pdu::Open { .. } => ty::OPEN,
            Pdu::Close { .. } => ty::CLOSE,
            Pdu::Register { .. } => ty::REGISTER,
            Pdu::Unregister { .. } => ty::UNREGISTER,
            Pdu::Get { .. } => ty::GET,
            Pdu::GetNext { .. } => ty::GET_NEXT,
            Pdu::GetBulk { .. } => ty::GET_BULK,
            Pdu::Set { ty, .. } | Pdu::Other(ty) => *ty,
            Pdu::Notify { .. } => ty::NOTIFY,
            Pdu::Ping { .. } => ty::PING,
            Pdu::Response { .. } => ty::RESPONSE,
        }
    }

    fn context(&self) -> Option<&[u8]> {
        match self {
            Pdu::Register { context, .. }
            | Pdu::Unregister { context, .. }
            | Pdu::Get { context, .. }
            | Pdu::GetNext { context, .. }
            | Pdu::GetBulk { context, .. }
            | Pdu::Notify { context, .. }
            | Pdu::Ping { context } => context.as_deref(),
            _ => None,
        }
    }
}

/// What [`decode`] found at the start of a buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decoded {
    /// Not a whole PDU yet: at least this many bytes are needed.
    Incomplete(usize),
    /// A PDU and the bytes it took.
    Pdu(Header, Pdu, usize),
    /// A whole PDU (of this many bytes) that does not parse: the header, when it was readable.
    Bad(Option<Header>, Error, usize),
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    be: bool,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], Error> {
        let end = self.pos.checked_add(n).ok_or(Error::Truncated)?;
        let s = self.buf.get(self.pos..end).ok_or(Error::Truncated)?;
        self.pos = end;
        Ok(s)
    }

    fn arr<const N: usize>(&mut self) -> Result<[u8; N], Error> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N)?);
        if !self.be {
            a.reverse();
        }
        Ok(a)
    }

    fn u8(&mut self) -> Result<u8, Error> {
        Ok(self.take(1)?.first().copied().unwrap_or(0))
    }

    fn u16(&mut self) -> Result<u16, Error> {
        Ok(u16::from_be_bytes(self.arr()?))
    }

    fn u32(&mut self) -> Result<u32, Error> {
        Ok(u32::from_be_bytes(self.arr()?))
    }

    fn u64(&mut self) -> Result<u64, Error> {
        Ok(u64::from_be_bytes(self.arr()?))
    }

    fn done(&self) -> bool {
        self.pos >= self.buf.len()
    }

    /// An OID and its include bit.
    fn oid(&mut self) -> Result<(Oid, bool), Error> {
        let n = usize::from(self.u8()?);
        let prefix = self.u8()?;
        let include = self.u8()? != 0;
        self.u8()?;
        if n > MAX_SUBIDS {
            return Err(Error::OidTooLong);
        }
        let mut oid = Vec::with_capacity(n + 5);
        if prefix != 0 {
            oid.extend_from_slice(&[1, 3, 6, 1, u32::from(prefix)]);
        }
        for _ in 0..n {
            oid.push(self.u32()?);
        }
        Ok((oid, include))
    }

    fn octets(&mut self) -> Result<Vec<u8>, Error> {
        let n = self.u32()? as usize;
        let padded = n.checked_add(3).ok_or(Error::Truncated)? & !3;
        let s = self.take(padded)?;
        Ok(s.get(..n).unwrap_or_default().to_vec())
    }

    fn context(&mut self, flags: u8) -> Result<Option<Vec<u8>>, Error> {
        if flags & flags::NON_DEFAULT_CONTEXT != 0 {
            Ok(Some(self.octets()?))
        } else {
            Ok(None)
        }
    }

    fn ranges(&mut self) -> Result<Vec<SearchRange>, Error> {
        let mut v = Vec::new();
        while !self.done() {
            let (start, include) = self.oid()?;
            let (end, _) = self.oid()?;
            v.push(SearchRange {
                start,
                include,
                end,
            });
        }
        Ok(v)
    }

    fn varbinds(&mut self) -> Result<Vec<VarBind>, Error> {
        let mut v = Vec::new();
        while !self.done() {
            let t = self.u16()?;
            self.u16()?;
            let (name, _) = self.oid()?;
            let value = match t {
                2 => Value::Integer(self.u32()? as i32),
                4 => Value::OctetString(self.octets()?),
                5 => Value::Null,
                6 => Value::Oid(self.oid()?.0),
                64 => {
                    let o = self.octets()?;
                    let mut a = [0u8; 4];
                    if let Some(s) = o.get(..4) {
                        a.copy_from_slice(s);
                    }
                    Value::IpAddress(a)
                }
                65 => Value::Counter32(self.u32()?),
                66 => Value::Gauge32(self.u32()?),
                67 => Value::TimeTicks(self.u32()?),
                68 => Value::Opaque(self.octets()?),
                70 => Value::Counter64(self.u64()?),
                128 => Value::NoSuchObject,
                129 => Value::NoSuchInstance,
                130 => Value::EndOfMibView,
                t => return Err(Error::VarBindType(t)),
            };
            v.push(VarBind { name, value });
        }
        Ok(v)
    }
}

/// Decodes the PDU at the start of `buf`.
pub fn decode(buf: &[u8]) -> Decoded {
    let Some(h) = buf.get(..HEADER_LEN) else {
        return Decoded::Incomplete(HEADER_LEN);
    };
    let mut r = Reader {
        buf: h,
        pos: 0,
        be: true,
    };
    let (version, ty, fl) = (
        r.u8().unwrap_or(0),
        r.u8().unwrap_or(0),
        r.u8().unwrap_or(0),
    );
    r.be = fl & flags::NETWORK_BYTE_ORDER != 0;
    r.pos = 4;
    let header = Header {
        ty,
        flags: fl,
        session: r.u32().unwrap_or(0),
        transaction: r.u32().unwrap_or(0),
        packet: r.u32().unwrap_or(0),
    };
    let len = r.u32().unwrap_or(0);
    if version != 1 {
        return Decoded::Bad(None, Error::Version(version), buf.len());
    }
    if len as usize > MAX_PAYLOAD || !len.is_multiple_of(4) {
        return Decoded::Bad(None, Error::PayloadLength(len), buf.len());
    }
    let total = HEADER_LEN + len as usize;
    let Some(payload) = buf.get(HEADER_LEN..total) else {
        return Decoded::Incomplete(total);
    };
    match parse_payload(&header, payload) {
        Ok(p) => Decoded::Pdu(header, p, total),
        Err(e) => Decoded::Bad(Some(header), e, total),
    }
}

fn parse_payload(h: &Header, payload: &[u8]) -> Result<Pdu, Error> {
    let mut r = Reader {
        buf: payload,
        pos: 0,
        be: h.flags & flags::NETWORK_BYTE_ORDER != 0,
    };
    let pdu = match h.ty {
        ty::OPEN => {
            let timeout = r.u8()?;
            r.take(3)?;
            let (id, _) = r.oid()?;
            Pdu::Open {
                timeout,
                id,
                descr: r.octets()?,
            }
        }
        ty::CLOSE => Pdu::Close { reason: r.u8()? },
        ty::REGISTER | ty::UNREGISTER => {
            let context = r.context(h.flags)?;
            let timeout = r.u8()?;
            let priority = r.u8()?;
            r.take(2)?;
            let (subtree, _) = r.oid()?;
            if h.ty == ty::REGISTER {
                Pdu::Register {
                    context,
                    timeout,
                    priority,
                    subtree,
                }
            } else {
                Pdu::Unregister {
                    context,
                    priority,
                    subtree,
                }
            }
        }
        ty::GET => Pdu::Get {
            context: r.context(h.flags)?,
            ranges: r.ranges()?,
        },
        ty::GET_NEXT => Pdu::GetNext {
            context: r.context(h.flags)?,
            ranges: r.ranges()?,
        },
        ty::GET_BULK => Pdu::GetBulk {
            context: r.context(h.flags)?,
            non_repeaters: r.u16()?,
            max_repetitions: r.u16()?,
            ranges: r.ranges()?,
        },
        ty::TEST_SET => {
            r.context(h.flags)?;
            Pdu::Set {
                ty: h.ty,
                varbinds: r.varbinds()?,
            }
        }
        ty::COMMIT_SET | ty::UNDO_SET | ty::CLEANUP_SET => Pdu::Set {
            ty: h.ty,
            varbinds: Vec::new(),
        },
        ty::NOTIFY => Pdu::Notify {
            context: r.context(h.flags)?,
            varbinds: r.varbinds()?,
        },
        ty::PING => Pdu::Ping {
            context: r.context(h.flags)?,
        },
        ty::RESPONSE => Pdu::Response {
            // net-snmp's subagent writes its (empty) context here too.
            sys_uptime: {
                r.context(h.flags)?;
                r.u32()?
            },
            error: r.u16()?,
            index: r.u16()?,
            varbinds: r.varbinds()?,
        },
        t => Pdu::Other(t),
    };
    Ok(pdu)
}

fn put_oid(out: &mut Vec<u8>, oid: &[u32], include: bool) {
    let (prefix, rest) = match oid {
        [1, 3, 6, 1, p @ 1..=255, rest @ ..] => (*p as u8, rest),
        _ => (0, oid),
    };
    let rest = rest.get(..MAX_SUBIDS).unwrap_or(rest);
    out.extend_from_slice(&[rest.len() as u8, prefix, u8::from(include), 0]);
    for s in rest {
        out.extend_from_slice(&s.to_be_bytes());
    }
}

fn put_octets(out: &mut Vec<u8>, s: &[u8]) {
    out.extend_from_slice(&(s.len() as u32).to_be_bytes());
    out.extend_from_slice(s);
    out.resize(out.len() + (4 - s.len() % 4) % 4, 0);
}

fn put_varbinds(out: &mut Vec<u8>, vbs: &[VarBind]) {
    for vb in vbs {
        out.extend_from_slice(&vb.value.type_code().to_be_bytes());
        out.extend_from_slice(&[0, 0]);
        put_oid(out, &vb.name, false);
        match &vb.value {
            Value::Integer(i) => out.extend_from_slice(&i.to_be_bytes()),
            Value::OctetString(s) | Value::Opaque(s) => put_octets(out, s),
            Value::IpAddress(a) => put_octets(out, a),
            Value::Oid(o) => put_oid(out, o, false),
            Value::Counter32(n) | Value::Gauge32(n) | Value::TimeTicks(n) => {
                out.extend_from_slice(&n.to_be_bytes())
            }
            Value::Counter64(n) => out.extend_from_slice(&n.to_be_bytes()),
            Value::Null | Value::NoSuchObject | Value::NoSuchInstance | Value::EndOfMibView => {}
        }
    }
}

/// Appends `pdu` with header `h` (its type from the PDU, `NETWORK_BYTE_ORDER` and, with a
/// context, `NON_DEFAULT_CONTEXT` set) to `out`.
pub fn encode(h: &Header, pdu: &Pdu, out: &mut Vec<u8>) {
    let start = out.len();
    let mut fl = h.flags | flags::NETWORK_BYTE_ORDER;
    let context = pdu.context();
    if context.is_some() {
        fl |= flags::NON_DEFAULT_CONTEXT;
    } else {
        fl &= !flags::NON_DEFAULT_CONTEXT;
    }
    out.extend_from_slice(&[1, pdu.type_code(), fl, 0]);
    for n in [h.session, h.transaction, h.packet, 0] {
        out.extend_from_slice(&n.to_be_bytes());
    }
    if let Some(c) = context {
        put_octets(out, c);
    }
    match pdu {
        Pdu::Open { timeout, id, descr } => {
            out.extend_from_slice(&[*timeout, 0, 0, 0]);
            put_oid(out, id, false);
            put_octets(out, descr);
        }
        Pdu::Close { reason } => out.extend_from_slice(&[*reason, 0, 0, 0]),
        Pdu::Register {
            timeout,
            priority,
            subtree,
            ..
        } => {
            out.extend_from_slice(&[*timeout, *priority, 0, 0]);
            put_oid(out, subtree, false);
        }
        Pdu::Unregister {
            priority, subtree, ..
        } => {
            out.extend_from_slice(&[0, *priority, 0, 0]);
            put_oid(out, subtree, false);
        }
        Pdu::Get { ranges, .. } | Pdu::GetNext { ranges, .. } => put_ranges(out, ranges),
        Pdu::GetBulk {
            non_repeaters,
            max_repetitions,
            ranges,
            ..
        } => {
            out.extend_from_slice(&non_repeaters.to_be_bytes());
            out.extend_from_slice(&max_repetitions.to_be_bytes());
            put_ranges(out, ranges);
        }
        Pdu::Set { varbinds, .. } | Pdu::Notify { varbinds, .. } => put_varbinds(out, varbinds),
        Pdu::Response {
            sys_uptime,
            error,
            index,
            varbinds,
        } => {
            out.extend_from_slice(&sys_uptime.to_be_bytes());
            out.extend_from_slice(&error.to_be_bytes());
            out.extend_from_slice(&index.to_be_bytes());
            put_varbinds(out, varbinds);
        }
        Pdu::Ping { .. } | Pdu::Other(_) => {}
    }
    let len = (out.len() - start - HEADER_LEN) as u32;
    if let Some(l) = out.get_mut(start + 16..start + HEADER_LEN) {
        l.copy_from_slice(&len.to_be_bytes());
    }
}

fn put_ranges(out: &mut Vec<u8>, ranges: &[SearchRange]) {
    for r in ranges {
        put_oid(out, &r.start, r.include);
        put_oid(out, &r.end, false);
    }
}

#[cfg(test)]
mod tests;
