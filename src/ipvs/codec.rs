//! IPVS over generic netlink, as bytes: requests written by hand into a caller's buffer, replies
//! read into [`super::model`] values. Pure: no socket, no allocation beyond the values returned.
//!
//! ```text
//!  netlink header (16) | genlmsghdr: cmd u8, version u8 (1), reserved u16 | attributes
//!  top level: SERVICE 1 (nest) | DEST 2 (nest) | DAEMON 3 (nest) | TIMEOUT_TCP 4, _TCP_FIN 5, _UDP 6
//! ```
//!
//! # Byte order (the trap, ../shared/reference/ipvs-and-checkers.md 1.2)
//! Native order for every number except: the service and destination ports and the tunnel port
//! (network order), the IPv4 persistence netmask (the mask's four bytes; see
//! [`super::model::Netmask`]). The sync daemon's port is native. Addresses are sent as 4 or 16
//! bytes; the kernel answers 16 (an IPv4 address in the first 4).
//!
//! # Invariants
//! - Decoding never panics and never reads out of bounds; a reply that lacks what identifies its
//!   object (a service's family and key, a destination's address, port and method) is
//!   [`Malformed`], never a value with made-up parts. Unknown attributes are skipped (newer
//!   kernels add some).
//! - A request holds exactly the attributes the kernel requires for its command (the "mandatory
//!   sets" of the reference) plus the optional ones that are set; attributes older kernels would
//!   ignore silently (tunnel, mixed-family destination) are sent only when used.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::netlink::wire::{
    self, Attrs, Emitter, Messages, NLM_F_ACK, NLM_F_DUMP, NLM_F_REQUEST, TooLong,
};

use super::model::{
    AF_INET, AF_INET6, Daemon, Dest, DestConns, Forward, Info, Netmask, Service, ServiceKey,
    SyncState, Timeouts, Tunnel, family_of, flags,
};

/// The generic netlink controller's family id, and its commands and attributes.
pub const GENL_ID_CTRL: u16 = 0x10;
const CTRL_CMD_NEWFAMILY: u8 = 1;
const CTRL_CMD_GETFAMILY: u8 = 3;
const CTRL_ATTR_FAMILY_ID: u16 = 1;
const CTRL_ATTR_FAMILY_NAME: u16 = 2;
const CTRL_ATTR_VERSION: u16 = 3;
const CTRL_ATTR_MAXATTR: u16 = 5;
const CTRL_ATTR_OPS: u16 = 6;

/// The IPVS family's name and the version we speak.
pub const FAMILY_NAME: &str = "IPVS";
const GENL_VERSION: u8 = 1;
const GENL_HDRLEN: usize = 4;

/// `IPVS_CMD_*`.
pub mod cmd {
    pub const NEW_SERVICE: u8 = 1;
    pub const SET_SERVICE: u8 = 2;
    pub const DEL_SERVICE: u8 = 3;
    pub const GET_SERVICE: u8 = 4;
    pub const NEW_DEST: u8 = 5;
    pub const SET_DEST: u8 = 6;
    pub const DEL_DEST: u8 = 7;
    pub const GET_DEST: u8 = 8;
    pub const NEW_DAEMON: u8 = 9;
    pub const DEL_DAEMON: u8 = 10;
    pub const GET_DAEMON: u8 = 11;
    pub const SET_CONFIG: u8 = 12;
    pub const GET_CONFIG: u8 = 13;
    pub const SET_INFO: u8 = 14;
    pub const GET_INFO: u8 = 15;
    pub const ZERO: u8 = 16;
    pub const FLUSH: u8 = 17;
}

const CMD_ATTR_SERVICE: u16 = 1;
const CMD_ATTR_DEST: u16 = 2;
const CMD_ATTR_DAEMON: u16 = 3;
const CMD_ATTR_TIMEOUT_TCP: u16 = 4;
const CMD_ATTR_TIMEOUT_TCP_FIN: u16 = 5;
const CMD_ATTR_TIMEOUT_UDP: u16 = 6;

const SVC_AF: u16 = 1;
const SVC_PROTOCOL: u16 = 2;
const SVC_ADDR: u16 = 3;
const SVC_PORT: u16 = 4;
const SVC_FWMARK: u16 = 5;
const SVC_SCHED_NAME: u16 = 6;
const SVC_FLAGS: u16 = 7;
const SVC_TIMEOUT: u16 = 8;
const SVC_NETMASK: u16 = 9;
const SVC_PE_NAME: u16 = 11;

const DEST_ADDR: u16 = 1;
const DEST_PORT: u16 = 2;
const DEST_FWD_METHOD: u16 = 3;
const DEST_WEIGHT: u16 = 4;
const DEST_U_THRESH: u16 = 5;
const DEST_L_THRESH: u16 = 6;
const DEST_ACTIVE_CONNS: u16 = 7;
const DEST_INACT_CONNS: u16 = 8;
const DEST_PERSIST_CONNS: u16 = 9;
const DEST_ADDR_FAMILY: u16 = 11;
const DEST_TUN_TYPE: u16 = 13;
const DEST_TUN_PORT: u16 = 14;
const DEST_TUN_FLAGS: u16 = 15;

const DAEMON_STATE: u16 = 1;
const DAEMON_MCAST_IFN: u16 = 2;
const DAEMON_SYNC_ID: u16 = 3;
const DAEMON_SYNC_MAXLEN: u16 = 4;
const DAEMON_MCAST_GROUP: u16 = 5;
const DAEMON_MCAST_GROUP6: u16 = 6;
const DAEMON_MCAST_PORT: u16 = 7;
const DAEMON_MCAST_TTL: u16 = 8;

const INFO_VERSION: u16 = 1;
const INFO_CONN_TAB_SIZE: u16 = 2;

/// Message types below this are netlink's own (`NLMSG_NOOP`, `_ERROR`, `_DONE`, `_OVERRUN`).
const NLMSG_MIN_TYPE: u16 = 0x10;

/// One IPVS request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request<'a> {
    NewService(&'a Service),
    SetService(&'a Service),
    DelService(ServiceKey),
    /// Dump every service of the namespace.
    GetServices,
    NewDest(ServiceKey, &'a Dest),
    SetDest(ServiceKey, &'a Dest),
    /// The destination (address, port) of the service.
    DelDest(ServiceKey, IpAddr, u16),
    /// Dump the destinations of one service (an empty dump when the service is gone).
    GetDests(ServiceKey),
    NewDaemon(&'a Daemon),
    DelDaemon(SyncState),
    /// Dump the running sync daemons (at most one master and one backup).
    GetDaemons,
    /// Set the timeouts that are non-zero.
    SetTimeouts(Timeouts),
    GetTimeouts,
    GetInfo,
    /// Zero the counters of one service, or of all.
    Zero(Option<ServiceKey>),
    /// Delete every service of the namespace (also other programs').
    Flush,
}

impl Request<'_> {
    pub fn cmd(&self) -> u8 {
        match self {
            Request::NewService(_) => cmd::NEW_SERVICE,
            Request::SetService(_) => cmd::SET_SERVICE,
            Request::DelService(_) => cmd::DEL_SERVICE,
            Request::GetServices => cmd::GET_SERVICE,
            Request::NewDest(..) => cmd::NEW_DEST,
            Request::SetDest(..) => cmd::SET_DEST,
            Request::DelDest(..) => cmd::DEL_DEST,
            Request::GetDests(_) => cmd::GET_DEST,
            Request::NewDaemon(_) => cmd::NEW_DAEMON,
            Request::DelDaemon(_) => cmd::DEL_DAEMON,
            Request::GetDaemons => cmd::GET_DAEMON,
            Request::SetTimeouts(_) => cmd::SET_CONFIG,
            Request::GetTimeouts => cmd::GET_CONFIG,
            Request::GetInfo => cmd::GET_INFO,
            Request::Zero(_) => cmd::ZERO,
            Request::Flush => cmd::FLUSH,
        }
    }

    /// A dump: answered by messages with `NLM_F_MULTI` and ended by `NLMSG_DONE`, not an ACK.
    pub fn is_dump(&self) -> bool {
        matches!(
            self,
            Request::GetServices | Request::GetDests(_) | Request::GetDaemons
        )
    }
}

/// Writes `req` for the IPVS family `family` (its resolved id) into `buf` (cleared first).
/// Doit requests ask for an ACK; dumps end with `NLMSG_DONE`.
pub fn encode(buf: &mut Vec<u8>, family: u16, seq: u32, req: &Request<'_>) -> Result<(), TooLong> {
    let flags = if req.is_dump() {
        NLM_F_REQUEST | NLM_F_DUMP
    } else {
        NLM_F_REQUEST | NLM_F_ACK
    };
    let mut e = Emitter::new(buf, family, flags, seq);
    e.fixed(&[req.cmd(), GENL_VERSION, 0, 0]);
    match *req {
        Request::NewService(s) | Request::SetService(s) => {
            let at = e.begin_nest(CMD_ATTR_SERVICE);
            service_key(&mut e, &s.key);
            service_body(&mut e, s);
            e.end_nest(at);
        }
        Request::DelService(k) | Request::GetDests(k) | Request::Zero(Some(k)) => {
            let at = e.begin_nest(CMD_ATTR_SERVICE);
            service_key(&mut e, &k);
            e.end_nest(at);
        }
        Request::NewDest(k, d) | Request::SetDest(k, d) => {
            let at = e.begin_nest(CMD_ATTR_SERVICE);
            service_key(&mut e, &k);
            e.end_nest(at);
            let at = e.begin_nest(CMD_ATTR_DEST);
            dest_key(&mut e, k.af(), d.addr, d.port);
            dest_body(&mut e, d);
            e.end_nest(at);
        }
        Request::DelDest(k, addr, port) => {
            let at = e.begin_nest(CMD_ATTR_SERVICE);
            service_key(&mut e, &k);
            e.end_nest(at);
            let at = e.begin_nest(CMD_ATTR_DEST);
            dest_key(&mut e, k.af(), addr, port);
            e.end_nest(at);
        }
        Request::NewDaemon(d) => {
            let at = e.begin_nest(CMD_ATTR_DAEMON);
            daemon(&mut e, d);
            e.end_nest(at);
        }
        Request::DelDaemon(state) => {
            let at = e.begin_nest(CMD_ATTR_DAEMON);
            e.attr_u32(DAEMON_STATE, state.code());
            e.end_nest(at);
        }
        Request::SetTimeouts(t) => {
            for (ty, v) in [
                (CMD_ATTR_TIMEOUT_TCP, t.tcp),
                (CMD_ATTR_TIMEOUT_TCP_FIN, t.tcp_fin),
                (CMD_ATTR_TIMEOUT_UDP, t.udp),
            ] {
                if v != 0 {
                    e.attr_u32(ty, v);
                }
            }
        }
        Request::GetServices
        | Request::GetDaemons
        | Request::GetTimeouts
        | Request::GetInfo
        | Request::Zero(None)
        | Request::Flush => {}
    }
    e.finish()
}

fn attr_u16(e: &mut Emitter<'_>, ty: u16, v: u16) {
    e.attr(ty, &v.to_ne_bytes());
}

fn attr_be16(e: &mut Emitter<'_>, ty: u16, v: u16) {
    e.attr(ty, &v.to_be_bytes());
}

fn service_key(e: &mut Emitter<'_>, k: &ServiceKey) {
    attr_u16(e, SVC_AF, k.af());
    match *k {
        ServiceKey::Addr {
            protocol,
            addr,
            port,
        } => {
            attr_u16(e, SVC_PROTOCOL, protocol);
            e.attr_ip(SVC_ADDR, addr);
            attr_be16(e, SVC_PORT, port);
        }
        ServiceKey::Fwmark { mark, .. } => e.attr_u32(SVC_FWMARK, mark),
    }
}

fn service_body(e: &mut Emitter<'_>, s: &Service) {
    e.attr_str(SVC_SCHED_NAME, &s.scheduler);
    if let Some(pe) = &s.pe_name {
        e.attr_str(SVC_PE_NAME, pe);
    }
    // ipvsadm's and keepalived's mask: every flag is the one given (HASHED never is).
    let mut f = [0u8; 8];
    f[..4].copy_from_slice(&(s.flags & !flags::HASHED).to_ne_bytes());
    f[4..].copy_from_slice(&u32::MAX.to_ne_bytes());
    e.attr(SVC_FLAGS, &f);
    e.attr_u32(SVC_TIMEOUT, s.timeout);
    e.attr_u32(SVC_NETMASK, s.netmask.0);
}

fn dest_key(e: &mut Emitter<'_>, service_af: u16, addr: IpAddr, port: u16) {
    e.attr_ip(DEST_ADDR, addr);
    attr_be16(e, DEST_PORT, port);
    // A destination of the other family (tunnelled pools, kernel 3.18+): said explicitly; the
    // same family is implied, as older kernels expect.
    if family_of(addr) != service_af {
        attr_u16(e, DEST_ADDR_FAMILY, family_of(addr));
    }
}

fn dest_body(e: &mut Emitter<'_>, d: &Dest) {
    e.attr_u32(DEST_FWD_METHOD, d.forward.code());
    e.attr_u32(DEST_WEIGHT, d.weight as u32);
    e.attr_u32(DEST_U_THRESH, d.upper);
    e.attr_u32(DEST_L_THRESH, d.lower);
    if let (Forward::Tunnel, Some(t)) = (d.forward, d.tunnel) {
        e.attr_u8(DEST_TUN_TYPE, t.kind);
        attr_be16(e, DEST_TUN_PORT, t.port);
        attr_u16(e, DEST_TUN_FLAGS, t.flags);
    }
}

fn daemon(e: &mut Emitter<'_>, d: &Daemon) {
    e.attr_u32(DAEMON_STATE, d.state.code());
    e.attr_str(DAEMON_MCAST_IFN, &d.ifname);
    e.attr_u32(DAEMON_SYNC_ID, d.sync_id);
    if let Some(m) = d.maxlen {
        attr_u16(e, DAEMON_SYNC_MAXLEN, m);
    }
    match d.group {
        Some(IpAddr::V4(g)) => e.attr(DAEMON_MCAST_GROUP, &g.octets()),
        Some(IpAddr::V6(g)) => e.attr(DAEMON_MCAST_GROUP6, &g.octets()),
        None => {}
    }
    if let Some(p) = d.port {
        attr_u16(e, DAEMON_MCAST_PORT, p);
    }
    if let Some(t) = d.ttl {
        e.attr_u8(DAEMON_MCAST_TTL, t);
    }
}

/// Asks the controller for the family `name` (`"IPVS"`).
pub fn get_family(buf: &mut Vec<u8>, seq: u32, name: &str) -> Result<(), TooLong> {
    let mut e = Emitter::new(buf, GENL_ID_CTRL, NLM_F_REQUEST | NLM_F_ACK, seq);
    e.fixed(&[CTRL_CMD_GETFAMILY, 1, 0, 0]);
    e.attr_str(CTRL_ATTR_FAMILY_NAME, name);
    e.finish()
}

/// What the controller says of a family.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Family {
    pub id: u16,
    pub name: String,
    pub version: u32,
    pub maxattr: u32,
    /// The number of operations it has (IPVS: 16).
    pub ops: usize,
}

/// Why a reply could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Malformed {
    /// Shorter than the generic netlink header.
    ShortHeader,
    /// An attribute's length is below 4 or beyond its container.
    BadAttribute,
    /// An attribute has the wrong size for its type.
    BadValue(&'static str),
    /// A part that identifies the object is missing.
    Missing(&'static str),
}

impl std::fmt::Display for Malformed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Malformed::ShortHeader => f.write_str("shorter than the generic netlink header"),
            Malformed::BadAttribute => f.write_str("bad attribute length"),
            Malformed::BadValue(what) => write!(f, "bad {what}"),
            Malformed::Missing(what) => write!(f, "no {what}"),
        }
    }
}

impl From<wire::Malformed> for Malformed {
    fn from(_: wire::Malformed) -> Malformed {
        Malformed::BadAttribute
    }
}

/// The command byte and the attributes of a generic netlink message's payload.
pub fn split(payload: &[u8]) -> Result<(u8, &[u8]), Malformed> {
    let cmd = *payload.first().ok_or(Malformed::ShortHeader)?;
    let attrs = payload.get(GENL_HDRLEN..).ok_or(Malformed::ShortHeader)?;
    Ok((cmd, attrs))
}

/// The controller's answer to [`get_family`] (its payload, after the netlink header).
pub fn parse_family(payload: &[u8]) -> Result<Family, Malformed> {
    let (cmd, attrs) = split(payload)?;
    if cmd != CTRL_CMD_NEWFAMILY {
        return Err(Malformed::BadValue("controller command"));
    }
    let (mut id, mut name, mut version, mut maxattr, mut ops) = (None, None, 0, 0, 0);
    for a in Attrs::new(attrs) {
        let (ty, p) = a?;
        match ty {
            CTRL_ATTR_FAMILY_ID => id = Some(u16_of(p, "family id")?),
            CTRL_ATTR_FAMILY_NAME => name = Some(wire::str_from(p)),
            CTRL_ATTR_VERSION => version = u32_of(p, "version")?,
            CTRL_ATTR_MAXATTR => maxattr = u32_of(p, "maxattr")?,
            CTRL_ATTR_OPS => {
                for op in Attrs::new(p) {
                    op?;
                    ops += 1;
                }
            }
            _ => {}
        }
    }
    Ok(Family {
        id: id.ok_or(Malformed::Missing("family id"))?,
        name: name.ok_or(Malformed::Missing("family name"))?,
        version,
        maxattr,
        ops,
    })
}

/// One IPVS reply message (a dump entry or a doit answer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    Service(Service),
    /// A destination of the service the dump was for (the kernel does not repeat the service).
    Dest(Dest, DestConns),
    Daemon(Daemon),
    Timeouts(Timeouts),
    Info(Info),
    /// A command this client never asks for.
    Other(u8),
}

/// Reads one IPVS message's payload (after the netlink header).
pub fn parse_reply(payload: &[u8]) -> Result<Reply, Malformed> {
    let (cmd, attrs) = split(payload)?;
    let nested = |want: u16| -> Result<Option<&[u8]>, Malformed> {
        for a in Attrs::new(attrs) {
            let (ty, p) = a?;
            if ty == want {
                return Ok(Some(p));
            }
        }
        Ok(None)
    };
    Ok(match cmd {
        cmd::NEW_SERVICE => Reply::Service(parse_service(
            nested(CMD_ATTR_SERVICE)?.ok_or(Malformed::Missing("service"))?,
        )?),
        cmd::NEW_DEST => {
            let (d, c) = parse_dest(nested(CMD_ATTR_DEST)?.ok_or(Malformed::Missing("dest"))?)?;
            Reply::Dest(d, c)
        }
        cmd::NEW_DAEMON => Reply::Daemon(parse_daemon(
            nested(CMD_ATTR_DAEMON)?.ok_or(Malformed::Missing("daemon"))?,
        )?),
        cmd::SET_CONFIG => {
            let mut t = Timeouts::default();
            for a in Attrs::new(attrs) {
                let (ty, p) = a?;
                match ty {
                    CMD_ATTR_TIMEOUT_TCP => t.tcp = u32_of(p, "tcp timeout")?,
                    CMD_ATTR_TIMEOUT_TCP_FIN => t.tcp_fin = u32_of(p, "tcp_fin timeout")?,
                    CMD_ATTR_TIMEOUT_UDP => t.udp = u32_of(p, "udp timeout")?,
                    _ => {}
                }
            }
            Reply::Timeouts(t)
        }
        cmd::SET_INFO => {
            let (mut version, mut size) = (None, 0);
            for a in Attrs::new(attrs) {
                let (ty, p) = a?;
                match ty {
                    INFO_VERSION => version = Some(u32_of(p, "version")?),
                    INFO_CONN_TAB_SIZE => size = u32_of(p, "conn_tab_size")?,
                    _ => {}
                }
            }
            Reply::Info(Info {
                version: version.ok_or(Malformed::Missing("version"))?,
                conn_tab_size: size,
            })
        }
        other => Reply::Other(other),
    })
}

fn u8_of(p: &[u8], what: &'static str) -> Result<u8, Malformed> {
    match p {
        [b] => Ok(*b),
        _ => Err(Malformed::BadValue(what)),
    }
}

fn u16_of(p: &[u8], what: &'static str) -> Result<u16, Malformed> {
    Ok(u16::from_ne_bytes(
        p.try_into().map_err(|_| Malformed::BadValue(what))?,
    ))
}

fn be16_of(p: &[u8], what: &'static str) -> Result<u16, Malformed> {
    Ok(u16::from_be_bytes(
        p.try_into().map_err(|_| Malformed::BadValue(what))?,
    ))
}

fn u32_of(p: &[u8], what: &'static str) -> Result<u32, Malformed> {
    Ok(u32::from_ne_bytes(
        p.try_into().map_err(|_| Malformed::BadValue(what))?,
    ))
}

/// An address of family `af` from 4 or 16 bytes (the kernel sends 16, IPv4 in the first 4).
fn addr_of(p: &[u8], af: u16) -> Result<IpAddr, Malformed> {
    match (af, p.len()) {
        (AF_INET, 4 | 16) => Ok(IpAddr::V4(Ipv4Addr::new(p[0], p[1], p[2], p[3]))),
        (AF_INET6, 16) => {
            let b: [u8; 16] = p.try_into().map_err(|_| Malformed::BadValue("address"))?;
            Ok(IpAddr::V6(Ipv6Addr::from(b)))
        }
        _ => Err(Malformed::BadValue("address")),
    }
}

fn parse_service(attrs: &[u8]) -> Result<Service, Malformed> {
    let (mut af, mut protocol, mut addr, mut port, mut mark) = (None, None, None, None, 0);
    let mut s = Service {
        key: ServiceKey::Fwmark { af: 0, mark: 0 },
        scheduler: String::new(),
        flags: 0,
        timeout: 0,
        netmask: Netmask(0),
        pe_name: None,
    };
    for a in Attrs::new(attrs) {
        let (ty, p) = a?;
        match ty {
            SVC_AF => af = Some(u16_of(p, "service family")?),
            SVC_PROTOCOL => protocol = Some(u16_of(p, "protocol")?),
            SVC_ADDR => addr = Some(p),
            SVC_PORT => port = Some(be16_of(p, "service port")?),
            SVC_FWMARK => mark = u32_of(p, "fwmark")?,
            SVC_SCHED_NAME => s.scheduler = wire::str_from(p),
            SVC_FLAGS => {
                let f = p.get(..4).ok_or(Malformed::BadValue("flags"))?;
                s.flags = u32_of(f, "flags")? & !flags::HASHED;
            }
            SVC_TIMEOUT => s.timeout = u32_of(p, "timeout")?,
            SVC_NETMASK => s.netmask = Netmask(u32_of(p, "netmask")?),
            SVC_PE_NAME => s.pe_name = Some(wire::str_from(p)).filter(|n| !n.is_empty()),
            _ => {}
        }
    }
    let af = af.ok_or(Malformed::Missing("service family"))?;
    s.key = if mark != 0 {
        ServiceKey::Fwmark { af, mark }
    } else {
        ServiceKey::Addr {
            protocol: protocol.ok_or(Malformed::Missing("protocol"))?,
            addr: addr_of(addr.ok_or(Malformed::Missing("service address"))?, af)?,
            port: port.ok_or(Malformed::Missing("service port"))?,
        }
    };
    Ok(s)
}

fn parse_dest(attrs: &[u8]) -> Result<(Dest, DestConns), Malformed> {
    let (mut addr, mut af, mut port, mut forward) = (None, None, None, None);
    let (mut weight, mut upper, mut lower) = (0, 0, 0);
    let (mut tun_kind, mut tun_port, mut tun_flags) = (None, 0, 0);
    let mut conns = DestConns::default();
    for a in Attrs::new(attrs) {
        let (ty, p) = a?;
        match ty {
            DEST_ADDR => addr = Some(p),
            DEST_ADDR_FAMILY => af = Some(u16_of(p, "dest family")?),
            DEST_PORT => port = Some(be16_of(p, "dest port")?),
            DEST_FWD_METHOD => {
                forward = Some(
                    Forward::from_code(u32_of(p, "forwarding method")?)
                        .ok_or(Malformed::BadValue("forwarding method"))?,
                )
            }
            DEST_WEIGHT => weight = u32_of(p, "weight")? as i32,
            DEST_U_THRESH => upper = u32_of(p, "upper threshold")?,
            DEST_L_THRESH => lower = u32_of(p, "lower threshold")?,
            DEST_ACTIVE_CONNS => conns.active = u32_of(p, "active connections")?,
            DEST_INACT_CONNS => conns.inactive = u32_of(p, "inactive connections")?,
            DEST_PERSIST_CONNS => conns.persistent = u32_of(p, "persistent connections")?,
            DEST_TUN_TYPE => tun_kind = Some(u8_of(p, "tunnel type")?),
            DEST_TUN_PORT => tun_port = be16_of(p, "tunnel port")?,
            DEST_TUN_FLAGS => tun_flags = u16_of(p, "tunnel flags")?,
            _ => {}
        }
    }
    let addr = addr.ok_or(Malformed::Missing("dest address"))?;
    // Without a family (kernels before 3.18, or an old reply), the length says it: the kernel
    // sends 16 bytes for both, so an IPv4 destination then needs its family.
    let af = af.unwrap_or(if addr.len() == 4 { AF_INET } else { AF_INET6 });
    let forward = forward.ok_or(Malformed::Missing("forwarding method"))?;
    let tunnel = match (forward, tun_kind) {
        (Forward::Tunnel, Some(kind)) => Some(Tunnel {
            kind,
            port: tun_port,
            flags: tun_flags,
        })
        .filter(|t| !t.is_default()),
        _ => None,
    };
    Ok((
        Dest {
            addr: addr_of(addr, af)?,
            port: port.ok_or(Malformed::Missing("dest port"))?,
            forward,
            weight,
            upper,
            lower,
            tunnel,
        },
        conns,
    ))
}

fn parse_daemon(attrs: &[u8]) -> Result<Daemon, Malformed> {
    let mut d = Daemon {
        state: SyncState::Master,
        ifname: String::new(),
        sync_id: 0,
        maxlen: None,
        group: None,
        port: None,
        ttl: None,
    };
    let mut state = None;
    for a in Attrs::new(attrs) {
        let (ty, p) = a?;
        match ty {
            DAEMON_STATE => {
                state = Some(match u32_of(p, "daemon state")? {
                    1 => SyncState::Master,
                    2 => SyncState::Backup,
                    _ => return Err(Malformed::BadValue("daemon state")),
                })
            }
            DAEMON_MCAST_IFN => d.ifname = wire::str_from(p),
            DAEMON_SYNC_ID => d.sync_id = u32_of(p, "sync id")?,
            DAEMON_SYNC_MAXLEN => d.maxlen = Some(u16_of(p, "sync maxlen")?),
            DAEMON_MCAST_GROUP => d.group = Some(addr_of(p, AF_INET)?),
            DAEMON_MCAST_GROUP6 => d.group = Some(addr_of(p, AF_INET6)?),
            DAEMON_MCAST_PORT => d.port = Some(u16_of(p, "mcast port")?),
            DAEMON_MCAST_TTL => d.ttl = Some(u8_of(p, "mcast ttl")?),
            _ => {}
        }
    }
    d.state = state.ok_or(Malformed::Missing("daemon state"))?;
    Ok(d)
}

/// Every IPVS reply of one datagram: (sequence, flags, reply or why not). Error and done
/// messages are the request tracker's and are skipped here.
pub fn replies(datagram: &[u8]) -> impl Iterator<Item = (u32, Result<Reply, Malformed>)> + '_ {
    Messages::new(datagram)
        .map_while(Result::ok)
        .filter(|m| m.ty >= NLMSG_MIN_TYPE)
        .map(|m| (m.seq, parse_reply(m.payload)))
}

#[cfg(test)]
mod tests;
