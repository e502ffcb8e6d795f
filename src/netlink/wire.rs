//! rtnetlink bytes: a checked view over received datagrams and an emitter for requests.
//!
//! ```text
//!  netlink message (native endian, every part 4-byte aligned)
//!  0               4       6       8               12              16
//! +---------------+-------+-------+---------------+---------------+------------------
//! | nlmsg_len     | type  | flags | nlmsg_seq     | nlmsg_pid     | family header, attributes
//! +---------------+-------+-------+---------------+---------------+------------------
//!  attribute (rtattr): | rta_len u16 | rta_type u16 | payload, padded to 4 |
//! ```
//!
//! # Invariants
//! - Decoding never panics and never reads out of bounds: every accessor takes its bytes with
//!   `get(..)` and a short or inconsistent message is an `Err` ([`Malformed`]) or `None`.
//!   [`Messages`] stops at the first bad header of a datagram (the rest cannot be framed);
//!   [`Attrs`] stops at the first bad attribute and says so.
//! - The emitter writes into a caller's `Vec<u8>` (reused between requests) and patches lengths
//!   when a message or a nested attribute is closed; an attribute that would not fit in `u16` is
//!   an error, never a wrapped length.
//!
//! The constants are the kernel's ABI (`linux/netlink.h`, `rtnetlink.h`, `if_addr.h`,
//! `fib_rules.h`, `if_link.h`), written here once so that glibc and musl builds agree (the
//! `libc` crate and neli only define some of them on some targets).

use std::net::IpAddr;

/// Netlink header length.
pub const NLMSG_HDRLEN: usize = 16;

pub const NLMSG_NOOP: u16 = 1;
pub const NLMSG_ERROR: u16 = 2;
pub const NLMSG_DONE: u16 = 3;
pub const NLMSG_OVERRUN: u16 = 4;

pub const NLM_F_REQUEST: u16 = 0x01;
pub const NLM_F_MULTI: u16 = 0x02;
pub const NLM_F_ACK: u16 = 0x04;
pub const NLM_F_DUMP_INTR: u16 = 0x10;
pub const NLM_F_ROOT: u16 = 0x100;
pub const NLM_F_MATCH: u16 = 0x200;
pub const NLM_F_DUMP: u16 = NLM_F_ROOT | NLM_F_MATCH;
pub const NLM_F_EXCL: u16 = 0x200;
pub const NLM_F_CREATE: u16 = 0x400;
pub const NLM_F_APPEND: u16 = 0x800;
/// In an error message: the echoed request was cut to its header.
pub const NLM_F_CAPPED: u16 = 0x100;
/// In an error message: extended-ack attributes follow.
pub const NLM_F_ACK_TLVS: u16 = 0x200;
/// `nlmsgerr_attrs`: a human-readable error string.
pub const NLMSGERR_ATTR_MSG: u16 = 1;

pub const NETLINK_CAP_ACK: i32 = 10;
pub const NETLINK_EXT_ACK: i32 = 11;

pub const RTM_NEWLINK: u16 = 16;
pub const RTM_DELLINK: u16 = 17;
pub const RTM_GETLINK: u16 = 18;
pub const RTM_NEWADDR: u16 = 20;
pub const RTM_DELADDR: u16 = 21;
pub const RTM_GETADDR: u16 = 22;
pub const RTM_NEWROUTE: u16 = 24;
pub const RTM_DELROUTE: u16 = 25;
pub const RTM_NEWRULE: u16 = 32;
pub const RTM_DELRULE: u16 = 33;

pub const RTMGRP_LINK: u32 = 0x1;
pub const RTMGRP_IPV4_IFADDR: u32 = 0x10;
pub const RTMGRP_IPV6_IFADDR: u32 = 0x100;

pub const AF_UNSPEC: u8 = 0;
pub const AF_INET: u8 = 2;
pub const AF_INET6: u8 = 10;

pub const IFF_UP: u32 = 0x1;
pub const IFF_RUNNING: u32 = 0x40;

pub const IFLA_ADDRESS: u16 = 1;
pub const IFLA_IFNAME: u16 = 3;
pub const IFLA_LINK: u16 = 5;
pub const IFLA_OPERSTATE: u16 = 16;
pub const IFLA_LINKINFO: u16 = 18;
pub const IFLA_GROUP: u16 = 27;
pub const IFLA_INFO_KIND: u16 = 1;
pub const IFLA_INFO_DATA: u16 = 2;
pub const IFLA_MACVLAN_MODE: u16 = 1;
/// `MACVLAN_MODE_PRIVATE`: no traffic between macvlans of one parent (keepalived's VMACs).
pub const MACVLAN_MODE_PRIVATE: u32 = 1;
pub const IFLA_EXT_MASK: u16 = 29;
pub const RTEXT_FILTER_SKIP_STATS: u32 = 1 << 3;

pub const IFA_ADDRESS: u16 = 1;
pub const IFA_LOCAL: u16 = 2;
pub const IFA_LABEL: u16 = 3;
pub const IFA_BROADCAST: u16 = 4;
pub const IFA_CACHEINFO: u16 = 6;
pub const IFA_FLAGS: u16 = 8;

pub const IFA_F_NODAD: u32 = 0x02;
pub const IFA_F_HOMEADDRESS: u32 = 0x10;
pub const IFA_F_MANAGETEMPADDR: u32 = 0x100;
pub const IFA_F_NOPREFIXROUTE: u32 = 0x200;
pub const IFA_F_MCAUTOJOIN: u32 = 0x400;
/// `ifa_cacheinfo` lifetime meaning "forever".
pub const INFINITY_LIFE_TIME: u32 = 0xffff_ffff;

pub const RTA_DST: u16 = 1;
pub const RTA_SRC: u16 = 2;
pub const RTA_OIF: u16 = 4;
pub const RTA_GATEWAY: u16 = 5;
pub const RTA_PRIORITY: u16 = 6;
pub const RTA_PREFSRC: u16 = 7;
pub const RTA_METRICS: u16 = 8;
pub const RTA_MULTIPATH: u16 = 9;
pub const RTA_TABLE: u16 = 15;
pub const RTA_PREF: u16 = 20;
pub const RTA_EXPIRES: u16 = 23;

pub const RTAX_LOCK: u16 = 1;
pub const RTNH_F_ONLINK: u8 = 4;

pub const RT_TABLE_UNSPEC: u8 = 0;
pub const RT_TABLE_MAIN: u32 = 254;
pub const RT_SCOPE_UNIVERSE: u8 = 0;
pub const RT_SCOPE_LINK: u8 = 253;
pub const RT_SCOPE_HOST: u8 = 254;
pub const RT_SCOPE_NOWHERE: u8 = 255;
pub const RTPROT_BOOT: u8 = 3;
pub const RTPROT_KEEPALIVED: u8 = 18;

pub const FRA_DST: u16 = 1;
pub const FRA_SRC: u16 = 2;
pub const FRA_IIFNAME: u16 = 3;
pub const FRA_GOTO: u16 = 4;
pub const FRA_PRIORITY: u16 = 6;
pub const FRA_FWMARK: u16 = 10;
pub const FRA_SUPPRESS_IFGROUP: u16 = 13;
pub const FRA_SUPPRESS_PREFIXLEN: u16 = 14;
pub const FRA_TABLE: u16 = 15;
pub const FRA_FWMASK: u16 = 16;
pub const FRA_OIFNAME: u16 = 17;
pub const FRA_L3MDEV: u16 = 19;
pub const FRA_UID_RANGE: u16 = 20;
pub const FRA_PROTOCOL: u16 = 21;
pub const FRA_IP_PROTO: u16 = 22;
pub const FRA_SPORT_RANGE: u16 = 23;
pub const FRA_DPORT_RANGE: u16 = 24;

pub const FR_ACT_TO_TBL: u8 = 1;
pub const FR_ACT_GOTO: u8 = 2;
pub const FR_ACT_NOP: u8 = 3;
pub const FR_ACT_BLACKHOLE: u8 = 6;
pub const FR_ACT_UNREACHABLE: u8 = 7;
pub const FR_ACT_PROHIBIT: u8 = 8;
pub const FIB_RULE_INVERT: u32 = 0x2;

/// The attribute type without the nested/byte-order flag bits.
const NLA_TYPE_MASK: u16 = 0x3fff;

/// Rounds up to the netlink alignment (4).
pub const fn align4(n: usize) -> usize {
    (n + 3) & !3
}

/// A received message or attribute that cannot be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Malformed {
    /// `nlmsg_len` is below the header size or beyond the datagram.
    BadLength,
    /// The payload is shorter than its fixed family header.
    ShortHeader,
    /// An attribute's length is below 4 or beyond its container.
    BadAttribute,
}

impl std::fmt::Display for Malformed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Malformed::BadLength => "bad netlink message length",
            Malformed::ShortHeader => "message shorter than its family header",
            Malformed::BadAttribute => "bad attribute length",
        })
    }
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_ne_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_ne_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// One netlink message of a received datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Msg<'a> {
    pub ty: u16,
    pub flags: u16,
    pub seq: u32,
    pub pid: u32,
    /// The bytes after the 16-byte header, up to `nlmsg_len` (padding excluded).
    pub payload: &'a [u8],
}

/// The messages of one datagram, in order. After a bad header it yields one `Err` and ends.
#[derive(Debug, Clone)]
pub struct Messages<'a> {
    rest: &'a [u8],
}

impl<'a> Messages<'a> {
    pub fn new(datagram: &'a [u8]) -> Messages<'a> {
        Messages { rest: datagram }
    }
}

impl<'a> Iterator for Messages<'a> {
    type Item = Result<Msg<'a>, Malformed>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        let b = self.rest;
        let parsed = (|| {
            let len = u32_at(b, 0)? as usize;
            if len < NLMSG_HDRLEN || len > b.len() {
                return None;
            }
            Some((
                len,
                Msg {
                    ty: u16_at(b, 4)?,
                    flags: u16_at(b, 6)?,
                    seq: u32_at(b, 8)?,
                    pid: u32_at(b, 12)?,
                    payload: b.get(NLMSG_HDRLEN..len)?,
                },
            ))
        })();
        match parsed {
            Some((len, msg)) => {
                self.rest = b.get(align4(len)..).unwrap_or(&[]);
                Some(Ok(msg))
            }
            None => {
                self.rest = &[];
                Some(Err(Malformed::BadLength))
            }
        }
    }
}

/// The attributes in `bytes`; after a bad one it yields one `Err` and ends.
#[derive(Debug, Clone)]
pub struct Attrs<'a> {
    rest: &'a [u8],
}

impl<'a> Attrs<'a> {
    pub fn new(bytes: &'a [u8]) -> Attrs<'a> {
        Attrs { rest: bytes }
    }
}

impl<'a> Iterator for Attrs<'a> {
    /// (type without flag bits, payload)
    type Item = Result<(u16, &'a [u8]), Malformed>;

    fn next(&mut self) -> Option<Self::Item> {
        // Fewer than 4 bytes left is trailing padding.
        if self.rest.len() < 4 {
            self.rest = &[];
            return None;
        }
        let b = self.rest;
        let len = u16_at(b, 0).unwrap_or(0) as usize;
        let ty = u16_at(b, 2).unwrap_or(0) & NLA_TYPE_MASK;
        match b.get(4..len) {
            Some(payload) if len >= 4 => {
                self.rest = b.get(align4(len)..).unwrap_or(&[]);
                Some(Ok((ty, payload)))
            }
            _ => {
                self.rest = &[];
                Some(Err(Malformed::BadAttribute))
            }
        }
    }
}

/// An IPv4 or IPv6 address from an attribute payload of 4 or 16 bytes.
pub fn ip_from(payload: &[u8]) -> Option<IpAddr> {
    match payload.len() {
        4 => Some(IpAddr::from(<[u8; 4]>::try_from(payload).ok()?)),
        16 => Some(IpAddr::from(<[u8; 16]>::try_from(payload).ok()?)),
        _ => None,
    }
}

/// A NUL-terminated (or not) string attribute.
pub fn str_from(payload: &[u8]) -> String {
    let end = payload
        .iter()
        .position(|&c| c == 0)
        .unwrap_or(payload.len());
    String::from_utf8_lossy(&payload[..end]).into_owned()
}

/// A native-endian `u32` attribute.
pub fn u32_from(payload: &[u8]) -> Option<u32> {
    u32_at(payload, 0)
}

/// The decoded error code of an `NLMSG_ERROR` message: 0 is an ACK, else a positive errno, with
/// the extended-ack text when the kernel sent one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorMsg {
    pub errno: i32,
    pub text: Option<String>,
}

/// Decodes the payload of an `NLMSG_ERROR` message (`struct nlmsgerr` and its TLVs).
pub fn parse_error(msg: &Msg<'_>) -> Result<ErrorMsg, Malformed> {
    let p = msg.payload;
    // The error code, then at least the header of the request it answers.
    if p.len() < 4 + NLMSG_HDRLEN {
        return Err(Malformed::ShortHeader);
    }
    let error = u32_at(p, 0).ok_or(Malformed::ShortHeader)? as i32;
    let mut text = None;
    if msg.flags & NLM_F_ACK_TLVS != 0 {
        // The echoed request is its header alone when capped, else the whole request.
        let echoed = if msg.flags & NLM_F_CAPPED != 0 {
            NLMSG_HDRLEN
        } else {
            (u32_at(p, 4).unwrap_or(0) as usize).max(NLMSG_HDRLEN)
        };
        if let Some(tlvs) = p.get(4 + align4(echoed)..) {
            for a in Attrs::new(tlvs) {
                match a {
                    Ok((NLMSGERR_ATTR_MSG, s)) => text = Some(str_from(s)),
                    Ok(_) => {}
                    Err(_) => break,
                }
            }
        }
    }
    Ok(ErrorMsg {
        errno: error.checked_neg().unwrap_or(i32::MAX).max(0),
        text,
    })
}

/// `struct ifinfomsg` and the link attributes we use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkMsg {
    pub family: u8,
    pub index: u32,
    pub flags: u32,
    pub name: Option<String>,
    /// `IFLA_ADDRESS`: the hardware address (any length up to 32 bytes).
    pub hwaddr: Option<Vec<u8>>,
    /// `IFLA_OPERSTATE` (RFC 2863: 2 down, 5 dormant, 6 up, 0 unknown).
    pub operstate: Option<u8>,
    /// `IFLA_LINK`: the parent's index (a macvlan's, a VLAN's lower device).
    pub link: Option<u32>,
    /// `IFLA_LINKINFO` / `IFLA_INFO_KIND`: the driver kind (`macvlan`, `veth`, ...).
    pub kind: Option<String>,
    /// `IFLA_INFO_DATA` / `IFLA_MACVLAN_MODE` of a macvlan.
    pub macvlan_mode: Option<u32>,
    /// `IFLA_GROUP`.
    pub group: Option<u32>,
}

/// Decodes an `RTM_NEWLINK`/`RTM_DELLINK` payload. A bad attribute ends the list; what was read
/// before it is kept and the message is still reported as malformed.
pub fn parse_link(payload: &[u8]) -> Result<LinkMsg, Malformed> {
    const LEN: usize = 16;
    let fixed = payload.get(..LEN).ok_or(Malformed::ShortHeader)?;
    let index = u32_at(fixed, 4).ok_or(Malformed::ShortHeader)?;
    let mut m = LinkMsg {
        family: fixed[0],
        index,
        flags: u32_at(fixed, 8).ok_or(Malformed::ShortHeader)?,
        name: None,
        hwaddr: None,
        operstate: None,
        link: None,
        kind: None,
        macvlan_mode: None,
        group: None,
    };
    let mut info_data: &[u8] = &[];
    for a in Attrs::new(&payload[LEN..]) {
        match a? {
            (IFLA_IFNAME, p) => m.name = Some(str_from(p)),
            (IFLA_ADDRESS, p) if p.len() <= 32 => m.hwaddr = Some(p.to_vec()),
            (IFLA_OPERSTATE, p) => m.operstate = p.first().copied(),
            (IFLA_LINK, p) => m.link = u32_from(p),
            (IFLA_GROUP, p) => m.group = u32_from(p),
            (IFLA_LINKINFO, p) => {
                for i in Attrs::new(p) {
                    match i? {
                        (IFLA_INFO_KIND, k) => m.kind = Some(str_from(k)),
                        (IFLA_INFO_DATA, d) => info_data = d,
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    if m.kind.as_deref() == Some("macvlan") {
        for a in Attrs::new(info_data) {
            if let (IFLA_MACVLAN_MODE, p) = a? {
                m.macvlan_mode = u32_from(p);
            }
        }
    }
    Ok(m)
}

/// `struct ifaddrmsg` and the address attributes we use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddrMsg {
    pub family: u8,
    pub prefix: u8,
    /// `IFA_FLAGS` when present (32 bits), else the 8-bit header flags.
    pub flags: u32,
    pub scope: u8,
    pub index: u32,
    pub local: Option<IpAddr>,
    pub address: Option<IpAddr>,
    pub label: Option<String>,
}

impl AddrMsg {
    /// The interface's own address: `IFA_LOCAL` when present (IPv4, and point-to-point IPv6),
    /// else `IFA_ADDRESS`.
    pub fn addr(&self) -> Option<IpAddr> {
        self.local.or(self.address)
    }
}

/// Decodes an `RTM_NEWADDR`/`RTM_DELADDR` payload.
pub fn parse_addr(payload: &[u8]) -> Result<AddrMsg, Malformed> {
    const LEN: usize = 8;
    let fixed = payload.get(..LEN).ok_or(Malformed::ShortHeader)?;
    let mut m = AddrMsg {
        family: fixed[0],
        prefix: fixed[1],
        flags: fixed[2] as u32,
        scope: fixed[3],
        index: u32_at(fixed, 4).ok_or(Malformed::ShortHeader)?,
        local: None,
        address: None,
        label: None,
    };
    for a in Attrs::new(&payload[LEN..]) {
        match a? {
            (IFA_LOCAL, p) => m.local = ip_from(p),
            (IFA_ADDRESS, p) => m.address = ip_from(p),
            (IFA_LABEL, p) => m.label = Some(str_from(p)),
            (IFA_FLAGS, p) => m.flags = u32_from(p).unwrap_or(m.flags),
            _ => {}
        }
    }
    Ok(m)
}

/// An attribute or message too long for its 16-bit (attribute) length field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooLong;

/// Builds one request in a caller's buffer: [`Emitter::new`] writes the header, the family
/// header and attributes follow, [`Emitter::finish`] patches `nlmsg_len`.
pub struct Emitter<'b> {
    buf: &'b mut Vec<u8>,
    too_long: bool,
}

impl<'b> Emitter<'b> {
    /// Clears `buf` and starts a message (the sender's port id is left 0: the kernel fills it).
    pub fn new(buf: &'b mut Vec<u8>, ty: u16, flags: u16, seq: u32) -> Emitter<'b> {
        buf.clear();
        buf.extend_from_slice(&0u32.to_ne_bytes());
        buf.extend_from_slice(&ty.to_ne_bytes());
        buf.extend_from_slice(&flags.to_ne_bytes());
        buf.extend_from_slice(&seq.to_ne_bytes());
        buf.extend_from_slice(&0u32.to_ne_bytes());
        Emitter {
            buf,
            too_long: false,
        }
    }

    fn pad(&mut self) {
        let n = align4(self.buf.len());
        self.buf.resize(n, 0);
    }

    /// Appends the fixed family header (`ifaddrmsg`, `rtmsg`, ...).
    pub fn fixed(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
        self.pad();
    }

    /// Appends one attribute.
    pub fn attr(&mut self, ty: u16, payload: &[u8]) {
        let len = 4 + payload.len();
        let Ok(len16) = u16::try_from(len) else {
            self.too_long = true;
            return;
        };
        self.buf.extend_from_slice(&len16.to_ne_bytes());
        self.buf.extend_from_slice(&ty.to_ne_bytes());
        self.buf.extend_from_slice(payload);
        self.pad();
    }

    pub fn attr_u8(&mut self, ty: u16, v: u8) {
        self.attr(ty, &[v]);
    }

    pub fn attr_u32(&mut self, ty: u16, v: u32) {
        self.attr(ty, &v.to_ne_bytes());
    }

    /// A string attribute with its terminating NUL.
    pub fn attr_str(&mut self, ty: u16, s: &str) {
        let mut v = Vec::with_capacity(s.len() + 1);
        v.extend_from_slice(s.as_bytes());
        v.push(0);
        self.attr(ty, &v);
    }

    /// An address attribute: 4 or 16 bytes in network order.
    pub fn attr_ip(&mut self, ty: u16, a: IpAddr) {
        match a {
            IpAddr::V4(a) => self.attr(ty, &a.octets()),
            IpAddr::V6(a) => self.attr(ty, &a.octets()),
        }
    }

    /// Opens a nested attribute; close it with [`Emitter::end_nest`] and the returned offset.
    pub fn begin_nest(&mut self, ty: u16) -> usize {
        let at = self.buf.len();
        self.buf.extend_from_slice(&0u16.to_ne_bytes());
        self.buf.extend_from_slice(&ty.to_ne_bytes());
        at
    }

    /// Closes a nested attribute opened at `at`, patching its length.
    pub fn end_nest(&mut self, at: usize) {
        self.patch_u16(at);
    }

    /// Appends raw bytes (a `struct rtnexthop`); close with [`Emitter::end_raw`].
    pub fn begin_raw(&mut self, bytes: &[u8]) -> usize {
        let at = self.buf.len();
        self.buf.extend_from_slice(bytes);
        at
    }

    /// Patches the 16-bit length at the start of a raw block opened at `at`.
    pub fn end_raw(&mut self, at: usize) {
        self.patch_u16(at);
    }

    fn patch_u16(&mut self, at: usize) {
        let len = self.buf.len().saturating_sub(at);
        match u16::try_from(len) {
            Ok(l) => {
                if let Some(dst) = self.buf.get_mut(at..at + 2) {
                    dst.copy_from_slice(&l.to_ne_bytes());
                }
            }
            Err(_) => self.too_long = true,
        }
    }

    /// Patches `nlmsg_len`; the message is `buf[..]`.
    pub fn finish(self) -> Result<(), TooLong> {
        if self.too_long {
            return Err(TooLong);
        }
        let len = u32::try_from(self.buf.len()).map_err(|_| TooLong)?;
        self.buf[..4].copy_from_slice(&len.to_ne_bytes());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(ty: u16, flags: u16, seq: u32, payload: &[u8]) -> Vec<u8> {
        let mut b = Vec::new();
        let mut e = Emitter::new(&mut b, ty, flags, seq);
        e.fixed(payload);
        e.finish().unwrap();
        b
    }

    #[test]
    fn header_layout() {
        let b = msg(RTM_NEWADDR, NLM_F_REQUEST | NLM_F_ACK, 7, &[1, 2, 3]);
        assert_eq!(b.len(), 20);
        assert_eq!(&b[..4], &20u32.to_ne_bytes());
        assert_eq!(&b[4..6], &20u16.to_ne_bytes());
        assert_eq!(&b[6..8], &5u16.to_ne_bytes());
        assert_eq!(&b[8..12], &7u32.to_ne_bytes());
        assert_eq!(&b[16..], &[1, 2, 3, 0]);
        let m: Vec<_> = Messages::new(&b).collect();
        assert_eq!(m.len(), 1);
        let m = m[0].unwrap();
        assert_eq!((m.ty, m.seq), (RTM_NEWADDR, 7));
        // nlmsg_len counts the padding the emitter added: the payload is 4 bytes.
        assert_eq!(m.payload, &[1, 2, 3, 0]);
    }

    #[test]
    fn attributes_round_trip_and_nest() {
        let mut b = Vec::new();
        let mut e = Emitter::new(&mut b, RTM_NEWROUTE, 0, 1);
        e.fixed(&[0; 12]);
        e.attr_u32(RTA_TABLE, 1000);
        e.attr_str(IFA_LABEL, "eth0:1");
        let n = e.begin_nest(RTA_METRICS);
        e.attr_u32(2, 1400);
        e.end_nest(n);
        e.finish().unwrap();
        let m = Messages::new(&b).next().unwrap().unwrap();
        let attrs: Vec<_> = Attrs::new(&m.payload[12..]).map(Result::unwrap).collect();
        assert_eq!(attrs.len(), 3);
        assert_eq!(attrs[0], (RTA_TABLE, &1000u32.to_ne_bytes()[..]));
        assert_eq!(str_from(attrs[1].1), "eth0:1");
        assert_eq!(attrs[1].1.len(), 7);
        let inner: Vec<_> = Attrs::new(attrs[2].1).map(Result::unwrap).collect();
        assert_eq!(inner, vec![(2, &1400u32.to_ne_bytes()[..])]);
    }

    #[test]
    fn an_attribute_over_64k_is_an_error_not_a_wrapped_length() {
        let mut b = Vec::new();
        let mut e = Emitter::new(&mut b, RTM_NEWROUTE, 0, 1);
        e.attr(1, &vec![0; 70_000]);
        assert_eq!(e.finish(), Err(TooLong));
    }

    #[test]
    fn error_message_with_ext_ack_text() {
        // nlmsgerr: error -17, the capped request header, then NLMSGERR_ATTR_MSG.
        let mut p = Vec::new();
        p.extend_from_slice(&(-17i32).to_ne_bytes());
        p.extend_from_slice(&msg(RTM_NEWADDR, 0, 9, &[])[..16]);
        let mut tlv = Vec::new();
        let mut e = Emitter::new(&mut tlv, 0, 0, 0);
        e.attr_str(NLMSGERR_ATTR_MSG, "exists");
        e.finish().unwrap();
        p.extend_from_slice(&tlv[16..]);
        let b = msg(NLMSG_ERROR, NLM_F_CAPPED | NLM_F_ACK_TLVS, 9, &p);
        let m = Messages::new(&b).next().unwrap().unwrap();
        let e = parse_error(&m).unwrap();
        assert_eq!(e.errno, 17);
        assert_eq!(e.text.as_deref(), Some("exists"));
        // Without the TLV flag the same bytes carry no text.
        let b = msg(NLMSG_ERROR, NLM_F_CAPPED, 9, &p);
        let m = Messages::new(&b).next().unwrap().unwrap();
        assert_eq!(parse_error(&m).unwrap().text, None);
    }

    #[test]
    fn bad_headers_end_the_datagram() {
        for len in [0u32, 1, 15, 1000] {
            let mut b = msg(NLMSG_DONE, 0, 1, &[0; 4]);
            b[..4].copy_from_slice(&len.to_ne_bytes());
            let v: Vec<_> = Messages::new(&b).collect();
            assert_eq!(v, vec![Err(Malformed::BadLength)], "len {len}");
        }
        // A good message followed by a torn one.
        let mut b = msg(NLMSG_DONE, 0, 1, &[0; 4]);
        b.extend_from_slice(&[9, 0, 0]);
        let v: Vec<_> = Messages::new(&b).collect();
        assert!(v[0].is_ok());
        assert_eq!(v[1], Err(Malformed::BadLength));
        assert_eq!(v.len(), 2);
    }

    #[test]
    fn bad_attributes_are_reported() {
        let v: Vec<_> = Attrs::new(&[3, 0, 1, 0]).collect();
        assert_eq!(v, vec![Err(Malformed::BadAttribute)]);
        let v: Vec<_> = Attrs::new(&[200, 0, 1, 0, 0, 0, 0, 0]).collect();
        assert_eq!(v, vec![Err(Malformed::BadAttribute)]);
        let v: Vec<_> = Attrs::new(&[4, 0, 1, 0, 0, 0]).collect();
        assert_eq!(v, vec![Ok((1, &[][..]))]);
        assert!(parse_link(&[0; 15]).is_err());
        assert!(parse_addr(&[0; 7]).is_err());
        let mut p = vec![0u8; 16];
        p.extend_from_slice(&[7, 0, IFLA_IFNAME as u8, 0, b'e', b't']);
        assert_eq!(parse_link(&p), Err(Malformed::BadAttribute));
    }
}
