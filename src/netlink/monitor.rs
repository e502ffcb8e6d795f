//! The link and address monitor: a second `NETLINK_ROUTE` socket in the link, IPv4-address and
//! IPv6-address multicast groups, plus a dump of both tables on the same socket.
//!
//! # Call order
//! [`Monitor::new`] (subscribes), register the fd, [`Monitor::start_dump`], then
//! [`Monitor::recv`] whenever the fd is readable. The dump runs on the loop like everything
//! else: `RTM_GETLINK` is sent, its `NLMSG_DONE` sends `RTM_GETADDR`, and that one's
//! `NLMSG_DONE` yields [`Event::Synced`]. Notifications that arrive meanwhile are applied in the
//! order the kernel queued them, because the subscription came first and both go through one
//! socket.
//!
//! # Invariants
//! - The tables ([`Monitor::links`], [`Monitor::addresses`]) are the kernel's as far as the
//!   messages read so far say; events report changes to them only: a repeated `RTM_NEWLINK` that
//!   changes nothing we track (name, up, hardware address) or a second `RTM_NEWADDR` for a known
//!   address (a lifetime or DAD-state update) yields nothing.
//! - A receive overrun (`ENOBUFS`: notifications were dropped) or an interrupted dump
//!   (`NLM_F_DUMP_INTR`) starts a new dump; whatever that dump no longer lists is removed (and
//!   reported) when it completes. So the tables converge on the kernel's after any loss.
//! - Only messages from the kernel (sender port 0) are read, as keepalived 2.4 does; bridge-port
//!   link messages (`AF_BRIDGE`) are ignored (their `RTM_DELLINK` is not a link going away).
//! - Decoding never panics: a malformed message is counted ([`MonitorStats::malformed`]) and
//!   skipped.

use std::collections::BTreeMap;
use std::io;
use std::net::IpAddr;
use std::os::fd::{AsRawFd, RawFd};

use neli::consts::socket::{Msg as SendFlags, NlFamily};
use neli::socket::NlSocket;
use neli::utils::Groups;

use super::Rx;
use super::names::{Resolve, RtNames};
use super::request;
use super::wire::{self, Messages, Msg};

/// A hardware address (`IFLA_ADDRESS`): 6 bytes on Ethernet, other lengths elsewhere.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct HwAddr {
    len: u8,
    bytes: [u8; 32],
}

impl HwAddr {
    /// `None` if longer than 32 bytes (the kernel's `MAX_ADDR_LEN`).
    pub fn new(b: &[u8]) -> Option<HwAddr> {
        let mut bytes = [0; 32];
        bytes.get_mut(..b.len())?.copy_from_slice(b);
        Some(HwAddr {
            len: b.len() as u8,
            bytes,
        })
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len as usize]
    }
}

impl std::fmt::Display for HwAddr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, b) in self.as_bytes().iter().enumerate() {
            if i > 0 {
                f.write_str(":")?;
            }
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl std::fmt::Debug for HwAddr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "HwAddr({self})")
    }
}

/// What the monitor knows about one link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub name: String,
    /// `IFF_*` flags.
    pub flags: u32,
    /// `IFF_UP` and `IFF_RUNNING`: administratively up and operationally up (the kernel sets
    /// `IFF_RUNNING` from the RFC 2863 operational state: up, or unknown for drivers that do not
    /// report one).
    pub up: bool,
    /// `IFLA_OPERSTATE` when the kernel sent it.
    pub operstate: Option<u8>,
    pub mac: Option<HwAddr>,
    /// `IFLA_LINK`: the parent of a macvlan or VLAN.
    pub parent: Option<u32>,
    /// The driver kind (`IFLA_INFO_KIND`: `macvlan`, `veth`, ...), when the kernel says.
    pub kind: Option<String>,
    /// A macvlan's mode (`MACVLAN_MODE_*`).
    pub macvlan_mode: Option<u32>,
    /// `IFLA_GROUP` (0: the default group).
    pub group: u32,
    /// The dump generation that last saw it.
    seen: u64,
}

/// A change the monitor saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A new link, or a change of its name, up state or hardware address.
    LinkChange {
        ifindex: u32,
        name: String,
        up: bool,
        mac: Option<HwAddr>,
    },
    /// The link is gone (its addresses are reported removed just before).
    LinkRemoved { ifindex: u32, name: String },
    AddrAdded {
        ifindex: u32,
        addr: IpAddr,
        prefix: u8,
    },
    AddrRemoved {
        ifindex: u32,
        addr: IpAddr,
        prefix: u8,
    },
    /// A dump completed: the tables are the kernel's.
    Synced,
    /// A dump request failed (errno); call [`Monitor::start_dump`] again later.
    DumpFailed { errno: i32 },
}

/// Counters for the statistics dump.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MonitorStats {
    pub messages: u64,
    /// Datagrams or messages that could not be decoded (skipped).
    pub malformed: u64,
    /// Datagrams from a sender other than the kernel (dropped).
    pub foreign: u64,
    /// Receive overruns (`ENOBUFS`), each followed by a new dump.
    pub overruns: u64,
    pub dumps: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dump {
    Idle,
    Links { seq: u32 },
    Addrs { seq: u32 },
}

type AddrKey = (u32, IpAddr, u8);

/// Receive buffer: a dump datagram is at most 32 KiB.
const RX_BUF: usize = 64 * 1024;

/// The link/address monitor. See the module doc for the call order.
pub struct Monitor {
    sock: NlSocket,
    rx: Vec<u8>,
    tx: Vec<u8>,
    next_seq: u32,
    dump: Dump,
    /// Another dump is wanted when the current one ends.
    redump: bool,
    generation: u64,
    synced: bool,
    links: BTreeMap<u32, Link>,
    addrs: BTreeMap<AddrKey, u64>,
    stats: MonitorStats,
}

impl std::fmt::Debug for Monitor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Monitor")
            .field("fd", &self.sock.as_raw_fd())
            .field("dump", &self.dump)
            .field("links", &self.links.len())
            .field("addrs", &self.addrs.len())
            .field("stats", &self.stats)
            .finish()
    }
}

impl Monitor {
    /// Opens the socket, non-blocking, subscribed to link and address changes, in the calling
    /// thread's network namespace. Sends nothing: see [`Monitor::start_dump`].
    pub fn new() -> io::Result<Monitor> {
        let groups = wire::RTMGRP_LINK | wire::RTMGRP_IPV4_IFADDR | wire::RTMGRP_IPV6_IFADDR;
        let sock = NlSocket::connect(NlFamily::Route, None, Groups::new_bitmask(groups))?;
        sock.nonblock()?;
        // Bursts (an interface with many addresses going away) should not overrun; if they do,
        // the monitor re-dumps.
        let _ = crate::sys::set_rcvbuf(sock.as_raw_fd(), 1 << 20);
        Ok(Monitor {
            sock,
            rx: vec![0; RX_BUF],
            tx: Vec::with_capacity(64),
            next_seq: 1,
            dump: Dump::Idle,
            redump: false,
            generation: 0,
            synced: false,
            links: BTreeMap::new(),
            addrs: BTreeMap::new(),
            stats: MonitorStats::default(),
        })
    }

    /// Starts a dump of links then addresses (or, if one is running, another one after it).
    pub fn start_dump(&mut self) -> io::Result<()> {
        if self.dump != Dump::Idle {
            self.redump = true;
            return Ok(());
        }
        self.generation += 1;
        self.stats.dumps += 1;
        let seq = self.send_dump(wire::RTM_GETLINK)?;
        self.dump = Dump::Links { seq };
        Ok(())
    }

    fn send_dump(&mut self, ty: u16) -> io::Result<u32> {
        let seq = self.next_seq;
        self.next_seq = self.next_seq.wrapping_add(1).max(1);
        request::dump(&mut self.tx, ty, seq).map_err(io::Error::other)?;
        loop {
            match self.sock.send(&self.tx, SendFlags::empty()) {
                Ok(_) => return Ok(seq),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
    }

    /// Drains the socket until it would block; returns the changes, in order. Never fails: a
    /// receive error other than "would block" or an overrun is logged and ends this drain.
    pub fn recv(&mut self) -> Vec<Event> {
        let mut out = Vec::new();
        let mut rx = std::mem::take(&mut self.rx);
        super::drain(
            self.sock.as_raw_fd(),
            &mut rx,
            "netlink monitor",
            |r| match r {
                Rx::Datagram { bytes, truncated } => {
                    self.stats.malformed += u64::from(truncated);
                    self.handle_datagram(bytes, &mut out);
                }
                Rx::Foreign => self.stats.foreign += 1,
                Rx::Overrun => {
                    self.stats.overruns += 1;
                    log::warn!(
                        "netlink monitor: receive overrun, notifications lost - re-reading links and addresses"
                    );
                    if let Err(e) = self.start_dump() {
                        self.dump_failed(e.raw_os_error().unwrap_or(libc::EIO), &mut out);
                    }
                }
            },
        );
        self.rx = rx;
        out
    }

    /// Applies one received datagram (the part of [`Monitor::recv`] that needs no socket,
    /// except to send the next dump request). Public for the fuzzer (`conformance/fuzz`,
    /// target `netlink`); the daemon only calls [`Monitor::recv`].
    pub fn handle_datagram(&mut self, bytes: &[u8], out: &mut Vec<Event>) {
        for m in Messages::new(bytes) {
            match m {
                Ok(m) => {
                    self.stats.messages += 1;
                    self.handle_message(&m, out);
                }
                Err(e) => {
                    self.stats.malformed += 1;
                    log::debug!("netlink monitor: {e} - skipping the rest of the datagram");
                    break;
                }
            }
        }
    }

    fn dump_seq(&self) -> Option<u32> {
        match self.dump {
            Dump::Idle => None,
            Dump::Links { seq } | Dump::Addrs { seq } => Some(seq),
        }
    }

    fn handle_message(&mut self, m: &Msg<'_>, out: &mut Vec<Event>) {
        let in_dump = m.flags & wire::NLM_F_MULTI != 0 && self.dump_seq() == Some(m.seq);
        if in_dump && m.flags & wire::NLM_F_DUMP_INTR != 0 {
            // The tables changed while the kernel walked them: walk again afterwards.
            self.redump = true;
        }
        match m.ty {
            wire::RTM_NEWLINK | wire::RTM_DELLINK => match wire::parse_link(m.payload) {
                Ok(l) => self.link(m.ty == wire::RTM_NEWLINK, l, out),
                Err(e) => self.malformed("link", e),
            },
            wire::RTM_NEWADDR | wire::RTM_DELADDR => match wire::parse_addr(m.payload) {
                Ok(a) => self.addr(m.ty == wire::RTM_NEWADDR, a, out),
                Err(e) => self.malformed("address", e),
            },
            wire::NLMSG_DONE if self.dump_seq() == Some(m.seq) => {
                // The payload is the dump's error code (0, or a negative errno).
                let code = wire::u32_from(m.payload).map_or(0, |c| c as i32);
                if code < 0 {
                    self.dump_failed(code.checked_neg().unwrap_or(libc::EIO), out);
                } else {
                    self.dump_step(out);
                }
            }
            wire::NLMSG_ERROR if self.dump_seq() == Some(m.seq) => match wire::parse_error(m) {
                Ok(e) if e.errno != 0 => self.dump_failed(e.errno, out),
                Ok(_) => {}
                Err(e) => self.malformed("error", e),
            },
            _ => {}
        }
    }

    fn malformed(&mut self, what: &str, e: wire::Malformed) {
        self.stats.malformed += 1;
        log::debug!("netlink monitor: malformed {what} message: {e} - skipped");
    }

    fn dump_failed(&mut self, errno: i32, out: &mut Vec<Event>) {
        log::warn!(
            "netlink monitor: dump failed: {}",
            io::Error::from_raw_os_error(errno)
        );
        self.dump = Dump::Idle;
        self.redump = false;
        out.push(Event::DumpFailed { errno });
    }

    /// The current dump's `NLMSG_DONE`: links are followed by addresses, addresses end it.
    fn dump_step(&mut self, out: &mut Vec<Event>) {
        match self.dump {
            Dump::Idle => {}
            Dump::Links { .. } => match self.send_dump(wire::RTM_GETADDR) {
                Ok(seq) => self.dump = Dump::Addrs { seq },
                Err(e) => self.dump_failed(e.raw_os_error().unwrap_or(libc::EIO), out),
            },
            Dump::Addrs { .. } => {
                self.dump = Dump::Idle;
                self.sweep(out);
                self.synced = true;
                out.push(Event::Synced);
                if std::mem::take(&mut self.redump)
                    && let Err(e) = self.start_dump()
                {
                    self.dump_failed(e.raw_os_error().unwrap_or(libc::EIO), out);
                }
            }
        }
    }

    /// Removes what the dump that just ended did not list (nor a notification since).
    fn sweep(&mut self, out: &mut Vec<Event>) {
        let g = self.generation;
        let gone: Vec<u32> = self
            .links
            .iter()
            .filter(|(_, l)| l.seen < g)
            .map(|(&i, _)| i)
            .collect();
        for i in gone {
            self.remove_link(i, out);
        }
        let stale: Vec<AddrKey> = self
            .addrs
            .iter()
            .filter(|(_, seen)| **seen < g)
            .map(|(&k, _)| k)
            .collect();
        for k in stale {
            self.addrs.remove(&k);
            out.push(Event::AddrRemoved {
                ifindex: k.0,
                addr: k.1,
                prefix: k.2,
            });
        }
    }

    fn remove_link(&mut self, ifindex: u32, out: &mut Vec<Event>) {
        let Some(l) = self.links.remove(&ifindex) else {
            return;
        };
        let addrs: Vec<AddrKey> = self
            .addrs
            .range((ifindex, IpAddr::from([0u8; 4]), 0)..)
            .take_while(|(k, _)| k.0 == ifindex)
            .map(|(&k, _)| k)
            .collect();
        for k in addrs {
            self.addrs.remove(&k);
            out.push(Event::AddrRemoved {
                ifindex,
                addr: k.1,
                prefix: k.2,
            });
        }
        out.push(Event::LinkRemoved {
            ifindex,
            name: l.name,
        });
    }

    fn link(&mut self, new: bool, m: wire::LinkMsg, out: &mut Vec<Event>) {
        if m.family != wire::AF_UNSPEC {
            return;
        }
        if !new {
            self.remove_link(m.index, out);
            return;
        }
        let up = m.flags & wire::IFF_UP != 0 && m.flags & wire::IFF_RUNNING != 0;
        let mac = m.hwaddr.as_deref().and_then(HwAddr::new);
        let g = self.generation;
        let old = self.links.get(&m.index);
        let name = m
            .name
            .or_else(|| old.map(|l| l.name.clone()))
            .unwrap_or_default();
        let changed = old.is_none_or(|l| l.name != name || l.up != up || l.mac != mac);
        self.links.insert(
            m.index,
            Link {
                name: name.clone(),
                flags: m.flags,
                up,
                operstate: m.operstate,
                mac,
                parent: m.link,
                kind: m.kind,
                macvlan_mode: m.macvlan_mode,
                group: m.group.unwrap_or(0),
                seen: g,
            },
        );
        if changed {
            out.push(Event::LinkChange {
                ifindex: m.index,
                name,
                up,
                mac,
            });
        }
    }

    fn addr(&mut self, new: bool, m: wire::AddrMsg, out: &mut Vec<Event>) {
        if m.family != wire::AF_INET && m.family != wire::AF_INET6 {
            return;
        }
        let Some(addr) = m.addr() else {
            self.malformed("address", wire::Malformed::ShortHeader);
            return;
        };
        let key = (m.index, addr, m.prefix);
        if new {
            if self.addrs.insert(key, self.generation).is_none() {
                out.push(Event::AddrAdded {
                    ifindex: m.index,
                    addr,
                    prefix: m.prefix,
                });
            }
        } else if self.addrs.remove(&key).is_some() {
            out.push(Event::AddrRemoved {
                ifindex: m.index,
                addr,
                prefix: m.prefix,
            });
        }
    }

    /// Whether a dump has completed (the tables hold the kernel's state).
    pub fn synced(&self) -> bool {
        self.synced
    }

    pub fn link_by_index(&self, ifindex: u32) -> Option<&Link> {
        self.links.get(&ifindex)
    }

    /// The index of the link named `name`.
    pub fn ifindex(&self, name: &str) -> Option<u32> {
        self.links
            .iter()
            .find(|(_, l)| l.name == name)
            .map(|(&i, _)| i)
    }

    /// Every known link, by index.
    pub fn links(&self) -> impl Iterator<Item = (u32, &Link)> {
        self.links.iter().map(|(&i, l)| (i, l))
    }

    /// Every known address as (ifindex, address, prefix length).
    pub fn addresses(&self) -> impl Iterator<Item = (u32, IpAddr, u8)> + '_ {
        self.addrs.keys().copied()
    }

    /// Whether `addr` (any prefix length) is on link `ifindex`.
    pub fn has_addr(&self, ifindex: u32, addr: IpAddr) -> bool {
        self.addrs
            .range((ifindex, addr, 0)..=(ifindex, addr, u8::MAX))
            .next()
            .is_some()
    }

    pub fn stats(&self) -> MonitorStats {
        self.stats
    }
}

/// The fd to register with the reactor (readable interest).
impl AsRawFd for Monitor {
    fn as_raw_fd(&self) -> RawFd {
        self.sock.as_raw_fd()
    }
}

/// Interface names from a [`Monitor`]'s link table, tables and protocols from [`RtNames`].
#[derive(Debug, Clone, Copy)]
pub struct MonitorNames<'a> {
    pub monitor: &'a Monitor,
    pub names: &'a RtNames,
}

impl Resolve for MonitorNames<'_> {
    fn ifindex(&self, name: &str) -> Option<u32> {
        self.monitor.ifindex(name)
    }

    fn rt_names(&self) -> &RtNames {
        self.names
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::netlink::wire::Emitter;

    fn message(ty: u16, flags: u16, seq: u32, build: impl FnOnce(&mut Emitter<'_>)) -> Vec<u8> {
        let mut b = Vec::new();
        let mut e = Emitter::new(&mut b, ty, flags, seq);
        build(&mut e);
        e.finish().unwrap();
        b
    }

    fn link_msg(ty: u16, index: u32, name: &str, flags: u32, family: u8) -> Vec<u8> {
        message(ty, 0, 0, |e| {
            let mut h = [0u8; 16];
            h[0] = family;
            h[4..8].copy_from_slice(&index.to_ne_bytes());
            h[8..12].copy_from_slice(&flags.to_ne_bytes());
            e.fixed(&h);
            e.attr_str(wire::IFLA_IFNAME, name);
            e.attr(wire::IFLA_ADDRESS, &[2, 0, 0, 0, 0, index as u8]);
        })
    }

    fn addr_msg(ty: u16, flags: u16, seq: u32, index: u32, a: &str, prefix: u8) -> Vec<u8> {
        let a: IpAddr = a.parse().unwrap();
        message(ty, flags, seq, |e| {
            let mut h = [0u8; 8];
            h[0] = if a.is_ipv4() {
                wire::AF_INET
            } else {
                wire::AF_INET6
            };
            h[1] = prefix;
            h[4..].copy_from_slice(&index.to_ne_bytes());
            e.fixed(&h);
            e.attr_ip(wire::IFA_ADDRESS, a);
            if a.is_ipv4() {
                e.attr_ip(wire::IFA_LOCAL, a);
            }
        })
    }

    fn monitor() -> Monitor {
        // The socket is needed for the struct; only the dump tests send on it.
        Monitor::new().expect("a NETLINK_ROUTE socket")
    }

    const UP: u32 = wire::IFF_UP | wire::IFF_RUNNING;

    #[test]
    fn link_changes_are_reported_once() {
        let mut m = monitor();
        let mut out = Vec::new();
        m.handle_datagram(&link_msg(wire::RTM_NEWLINK, 3, "eth0", UP, 0), &mut out);
        m.handle_datagram(&link_msg(wire::RTM_NEWLINK, 3, "eth0", UP, 0), &mut out);
        m.handle_datagram(
            &link_msg(wire::RTM_NEWLINK, 3, "eth0", wire::IFF_UP, 0),
            &mut out,
        );
        // A bridge-port message is not about the link itself.
        m.handle_datagram(&link_msg(wire::RTM_DELLINK, 3, "eth0", 0, 7), &mut out);
        let mac = HwAddr::new(&[2, 0, 0, 0, 0, 3]);
        assert_eq!(
            out,
            vec![
                Event::LinkChange {
                    ifindex: 3,
                    name: "eth0".into(),
                    up: true,
                    mac
                },
                Event::LinkChange {
                    ifindex: 3,
                    name: "eth0".into(),
                    up: false,
                    mac
                },
            ]
        );
        assert_eq!(m.ifindex("eth0"), Some(3));
        assert_eq!(mac.unwrap().to_string(), "02:00:00:00:00:03");
    }

    #[test]
    fn addresses_and_link_removal() {
        let mut m = monitor();
        let mut out = Vec::new();
        m.handle_datagram(&link_msg(wire::RTM_NEWLINK, 3, "eth0", UP, 0), &mut out);
        let mut d = addr_msg(wire::RTM_NEWADDR, 0, 0, 3, "10.0.0.1", 24);
        d.extend(addr_msg(wire::RTM_NEWADDR, 0, 0, 3, "10.0.0.1", 24));
        d.extend(addr_msg(wire::RTM_NEWADDR, 0, 0, 3, "fe80::1", 64));
        d.extend(addr_msg(wire::RTM_DELADDR, 0, 0, 3, "10.0.0.1", 24));
        d.extend(addr_msg(wire::RTM_DELADDR, 0, 0, 3, "10.0.0.9", 24));
        m.handle_datagram(&d, &mut out);
        m.handle_datagram(&link_msg(wire::RTM_DELLINK, 3, "eth0", 0, 0), &mut out);
        let v6: IpAddr = "fe80::1".parse().unwrap();
        let v4: IpAddr = "10.0.0.1".parse().unwrap();
        assert_eq!(
            out[1..],
            [
                Event::AddrAdded {
                    ifindex: 3,
                    addr: v4,
                    prefix: 24
                },
                Event::AddrAdded {
                    ifindex: 3,
                    addr: v6,
                    prefix: 64
                },
                Event::AddrRemoved {
                    ifindex: 3,
                    addr: v4,
                    prefix: 24
                },
                Event::AddrRemoved {
                    ifindex: 3,
                    addr: v6,
                    prefix: 64
                },
                Event::LinkRemoved {
                    ifindex: 3,
                    name: "eth0".into()
                },
            ]
        );
        assert_eq!(m.addresses().count(), 0);
    }

    #[test]
    fn a_resync_dump_removes_what_it_no_longer_lists() {
        let mut m = monitor();
        let mut out = Vec::new();
        m.handle_datagram(&link_msg(wire::RTM_NEWLINK, 3, "eth0", UP, 0), &mut out);
        m.handle_datagram(&link_msg(wire::RTM_NEWLINK, 4, "eth1", UP, 0), &mut out);
        m.handle_datagram(
            &addr_msg(wire::RTM_NEWADDR, 0, 0, 3, "10.0.0.1", 24),
            &mut out,
        );
        m.handle_datagram(
            &addr_msg(wire::RTM_NEWADDR, 0, 0, 3, "10.0.0.2", 24),
            &mut out,
        );
        out.clear();
        // The dump is answered by hand: its requests go to the kernel of this test's namespace,
        // whose answers are never read.
        m.start_dump().unwrap();
        let Dump::Links { seq } = m.dump else {
            panic!("dumping links")
        };
        let mut d = link_msg(wire::RTM_NEWLINK, 3, "eth0", UP, 0);
        d[6..8].copy_from_slice(&wire::NLM_F_MULTI.to_ne_bytes());
        d[8..12].copy_from_slice(&seq.to_ne_bytes());
        d.extend(message(wire::NLMSG_DONE, wire::NLM_F_MULTI, seq, |e| {
            e.fixed(&[0; 4])
        }));
        m.handle_datagram(&d, &mut out);
        let Dump::Addrs { seq } = m.dump else {
            panic!("dumping addresses")
        };
        let mut d = addr_msg(wire::RTM_NEWADDR, wire::NLM_F_MULTI, seq, 3, "10.0.0.2", 24);
        d.extend(message(wire::NLMSG_DONE, wire::NLM_F_MULTI, seq, |e| {
            e.fixed(&[0; 4])
        }));
        m.handle_datagram(&d, &mut out);
        assert_eq!(
            out,
            vec![
                Event::LinkRemoved {
                    ifindex: 4,
                    name: "eth1".into()
                },
                Event::AddrRemoved {
                    ifindex: 3,
                    addr: "10.0.0.1".parse().unwrap(),
                    prefix: 24
                },
                Event::Synced,
            ]
        );
        assert!(m.synced());
        assert_eq!(m.dump, Dump::Idle);
    }

    #[test]
    fn truncated_and_garbage_messages_never_panic() {
        let mut m = monitor();
        let mut out = Vec::new();
        let good = [
            link_msg(wire::RTM_NEWLINK, 3, "eth0", UP, 0),
            addr_msg(wire::RTM_NEWADDR, 0, 0, 3, "10.0.0.1", 24),
            addr_msg(wire::RTM_NEWADDR, 0, 0, 3, "2001:db8::1", 64),
        ];
        // Every truncation of every good message, with its length field left as it was and
        // with it patched to the truncated length (so that the body, not the header, is short).
        for g in &good {
            for cut in 0..g.len() {
                let mut t = g[..cut].to_vec();
                m.handle_datagram(&t, &mut out);
                if cut >= 4 {
                    t[..4].copy_from_slice(&(cut as u32).to_ne_bytes());
                    m.handle_datagram(&t, &mut out);
                }
            }
        }
        let after_truncation = m.stats().malformed;
        assert!(after_truncation > 0);
        // Random bytes, and random bytes behind a plausible header.
        let mut rng = crate::rng::Rng::new(42);
        for i in 0..5000 {
            let len = rng.below(120) as usize;
            let mut junk: Vec<u8> = (0..len).map(|_| rng.below(256) as u8).collect();
            if len >= 16 && i % 2 == 0 {
                junk[..4].copy_from_slice(&(len as u32).to_ne_bytes());
                let ty = [
                    wire::RTM_NEWLINK,
                    wire::RTM_DELLINK,
                    wire::RTM_NEWADDR,
                    wire::RTM_DELADDR,
                    wire::NLMSG_ERROR,
                    wire::NLMSG_DONE,
                ][i % 6];
                junk[4..6].copy_from_slice(&ty.to_ne_bytes());
            }
            m.handle_datagram(&junk, &mut out);
        }
        assert!(m.stats().malformed > after_truncation);
        // The monitor still works afterwards.
        out.clear();
        m.handle_datagram(&link_msg(wire::RTM_NEWLINK, 99, "late0", UP, 0), &mut out);
        assert!(matches!(
            out.last(),
            Some(Event::LinkChange { ifindex: 99, .. })
        ));
    }
}
