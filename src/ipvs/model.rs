//! The IPVS table in the kernel's terms: what one generic-netlink message says about a service,
//! a destination (a real server), a sync daemon, the timeouts or the module. These are values
//! (no configuration types, no IO): the codec ([`super::codec`]) turns them into bytes and back,
//! and the reconciliation compares the desired ones with the dumped ones.
//!
//! # Invariants
//! - A [`ServiceKey`] is the kernel's identity of a service: (protocol, address, port) or
//!   (family, fwmark). Two services with the same key are the same kernel object.
//! - A destination's identity within its service is (address, port).
//! - [`Service::flags`] never holds [`flags::HASHED`] (kernel-internal: the codec strips it from
//!   dumps and never sends it), so a dumped service compares equal to the one we asked for.
//! - Ports are host-order numbers here; the codec writes them in the byte order each attribute
//!   has on the wire (service and destination ports and the tunnel port in network order, the
//!   sync daemon's port in host order).

use std::net::{IpAddr, Ipv4Addr};

/// `AF_INET`, `AF_INET6` as the kernel numbers them.
pub const AF_INET: u16 = 2;
pub const AF_INET6: u16 = 10;

/// The address family of `a`, in the kernel's numbering.
pub fn family_of(a: IpAddr) -> u16 {
    match a {
        IpAddr::V4(_) => AF_INET,
        IpAddr::V6(_) => AF_INET6,
    }
}

/// `IPPROTO_TCP`, `IPPROTO_UDP`, `IPPROTO_SCTP`.
pub const TCP: u16 = 6;
pub const UDP: u16 = 17;
pub const SCTP: u16 = 132;

/// Service flags (`IP_VS_SVC_F_*`).
pub mod flags {
    /// Persistence (`persistence_timeout`).
    pub const PERSISTENT: u32 = 0x1;
    /// Set by the kernel on every hashed service; never sent, stripped from dumps.
    pub const HASHED: u32 = 0x2;
    /// One-packet scheduling (`ops`, UDP).
    pub const ONEPACKET: u32 = 0x4;
    /// Scheduler flag 1 (`sh-fallback`, `mh-fallback`).
    pub const SCHED1: u32 = 0x8;
    /// Scheduler flag 2 (`sh-port`, `mh-port`).
    pub const SCHED2: u32 = 0x10;
    /// Scheduler flag 3.
    pub const SCHED3: u32 = 0x20;
}

/// The kernel's identity of a service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ServiceKey {
    /// `protocol` ([`TCP`], [`UDP`], [`SCTP`]) on `addr`:`port`.
    Addr {
        protocol: u16,
        addr: IpAddr,
        port: u16,
    },
    /// Packets marked `mark` (non-zero) by the firewall, of family `af`.
    Fwmark { af: u16, mark: u32 },
}

impl ServiceKey {
    /// The service's address family.
    pub fn af(&self) -> u16 {
        match *self {
            ServiceKey::Addr { addr, .. } => family_of(addr),
            ServiceKey::Fwmark { af, .. } => af,
        }
    }
}

/// `IPVS_SVC_ATTR_NETMASK`: persistence granularity. Over IPv4 a mask (sent as its four bytes),
/// over IPv6 a prefix length 1..=128 (sent as a host-order number): the kernel reads the same
/// 32-bit attribute both ways. The value is the attribute's 32 bits as read in host order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Netmask(pub u32);

impl Netmask {
    pub fn v4(mask: Ipv4Addr) -> Netmask {
        Netmask(u32::from_ne_bytes(mask.octets()))
    }
    pub fn v6(prefix: u8) -> Netmask {
        Netmask(u32::from(prefix))
    }
    /// What keepalived sends without `persistence_granularity`: /32 or /128.
    pub fn host(af: u16) -> Netmask {
        if af == AF_INET6 {
            Netmask::v6(128)
        } else {
            Netmask::v4(Ipv4Addr::BROADCAST)
        }
    }
}

/// A virtual service.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Service {
    pub key: ServiceKey,
    /// The scheduler's name (`wlc`, `rr`, ..., `none`); at most 15 bytes.
    pub scheduler: String,
    /// [`flags`], without [`flags::HASHED`].
    pub flags: u32,
    /// Persistence timeout in seconds (0: none).
    pub timeout: u32,
    pub netmask: Netmask,
    /// Persistence engine (`sip`), if any.
    pub pe_name: Option<String>,
}

/// How packets reach a destination (`IP_VS_CONN_F_*` forwarding methods).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Forward {
    /// NAT.
    Masq,
    Local,
    /// IP-in-IP, GUE or GRE.
    Tunnel,
    /// Direct routing.
    Route,
    Bypass,
}

impl Forward {
    pub fn code(self) -> u32 {
        match self {
            Forward::Masq => 0,
            Forward::Local => 1,
            Forward::Tunnel => 2,
            Forward::Route => 3,
            Forward::Bypass => 4,
        }
    }
    /// The kernel keeps the low 3 bits; 5..=7 do not exist.
    pub fn from_code(c: u32) -> Option<Forward> {
        Some(match c & 7 {
            0 => Forward::Masq,
            1 => Forward::Local,
            2 => Forward::Tunnel,
            3 => Forward::Route,
            4 => Forward::Bypass,
            _ => return None,
        })
    }
}

/// A tunnel destination's encapsulation (kernel 5.2+; flags 5.3+).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Tunnel {
    /// 0 IPIP, 1 GUE, 2 GRE.
    pub kind: u8,
    /// GUE's UDP port (non-zero for GUE).
    pub port: u16,
    /// 0 no checksum, bit 0 checksum, bit 1 remote checksum offload.
    pub flags: u16,
}

impl Tunnel {
    /// IPIP without checksum options: what the kernel does for a tunnel destination without
    /// tunnel attributes (and what kernels before 5.2 know). Kept as "no tunnel attributes".
    pub fn is_default(&self) -> bool {
        *self == Tunnel::default()
    }
}

/// A destination (real server) of a service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Dest {
    pub addr: IpAddr,
    pub port: u16,
    pub forward: Forward,
    /// Signed in the kernel: a negative weight is refused (`ERANGE`). 0: no new connections.
    pub weight: i32,
    /// Connection thresholds (0: unlimited); `lower` above `upper` is refused.
    pub upper: u32,
    pub lower: u32,
    /// Only with [`Forward::Tunnel`], and only sent then; `None` there is plain IPIP.
    pub tunnel: Option<Tunnel>,
}

/// A destination's connection counts, read from dumps (never sent).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DestConns {
    pub active: u32,
    pub inactive: u32,
    pub persistent: u32,
}

/// The role of a connection-synchronisation daemon.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SyncState {
    Master,
    Backup,
}

impl SyncState {
    pub fn code(self) -> u32 {
        match self {
            SyncState::Master => 1,
            SyncState::Backup => 2,
        }
    }
}

/// A connection-synchronisation daemon (`lvs_sync_daemon`). The optional parts are sent only
/// when set (kernel 4.3+); the kernel's defaults are 224.0.0.81, port 8848, an MTU-derived
/// length.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Daemon {
    pub state: SyncState,
    /// The interface, at most 15 bytes.
    pub ifname: String,
    pub sync_id: u32,
    pub maxlen: Option<u16>,
    pub group: Option<IpAddr>,
    pub port: Option<u16>,
    pub ttl: Option<u8>,
}

/// The three IPVS timeouts, in seconds (0 in a request: leave unchanged).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Timeouts {
    pub tcp: u32,
    pub tcp_fin: u32,
    pub udp: u32,
}

/// `GET_INFO`: the module's version (`0x010201` is 1.2.1) and connection table size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Info {
    pub version: u32,
    pub conn_tab_size: u32,
}

impl Info {
    /// `"1.2.1"`.
    pub fn version_string(&self) -> String {
        let v = self.version;
        format!("{}.{}.{}", (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff)
    }
}
