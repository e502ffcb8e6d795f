//! The executor of the VRRP machines: sockets, timers, kernel state, GARP/NA.
//!
//! # Shape
//! - One raw socket per (family, interface), shared by every instance there and demultiplexed by
//!   VRID; drained until `WouldBlock` on each readiness.
//! - One `AF_PACKET` socket per interface for gratuitous ARP / unsolicited NA, made when first
//!   needed.
//! - One rtnetlink command socket ([`Rtnl`]): VIPs, virtual routes and rules are requests whose
//!   ACKs come back through the loop; nothing waits for the kernel. One monitor socket
//!   ([`Monitor`]): a link going down puts its instances in FAULT, coming back returns them to
//!   BACKUP; a VIP removed behind our back while master is reported to the machine, which puts it
//!   back.
//! - One timer per instance in the reactor, re-armed after every mutation from the machine's
//!   `poll_timeout`.
//!
//! # Contract (the reactor's, see [`crate::reactor`])
//! Every entry point gives one input to one machine (or one packet to the machines of its VRID)
//! and then drains that machine's outputs before it returns: [`Vrrpd::drain`].
//!
//! # Checksum variants (VRRPv3 over IPv4)
//! An instance sends with its configured variant (pseudo-header, or `v3_checksum_as_v2`). When an
//! advert does not verify under it but does under another variant keepalived knows, the instance
//! follows the peer from then on (receiving and sending), and says so once in the log.

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use log::{debug, error, info, log, warn};

use crate::config::Config;
use crate::config::vrrp::{Family, IpAddress};
use crate::netlink::monitor::{Event as LinkEvent, Monitor};
use crate::netlink::names::{RtNames, SysNames};
use crate::netlink::rtnl::{Reply, Rtnl, Seq};
use crate::reactor::{Core, TimerId};
use crate::sys::sock::{PacketSocket, VrrpSocket, if_addrs, if_index, if_mac};
use crate::time::Instant;
use crate::vrrp::{Action, Advert, AdvertOut, Auth, DropReason, Input, Instance, Output, RxMeta};
use crate::wire::vrrp::{self as wv, Addresses, ChecksumVariant};
use crate::wire::{self, IpPair};

use super::params::{Io, Planned, V3Checksum, plan};

/// What a reactor token or timer of the VRRP side belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    /// Raw socket `n` of [`Vrrpd`].
    Socket(u32),
    /// The timer of instance `n`.
    Timer(u32),
    /// The rtnetlink command socket.
    Rtnl,
    /// The link and address monitor.
    Monitor,
}

struct Sock {
    s: VrrpSocket,
    family: Family,
    ifindex: u32,
}

struct Inst {
    m: Instance,
    io: Io,
    ifindex: u32,
    mac: [u8; 6],
    sock: usize,
    /// Our advert source address.
    src: IpAddr,
    /// The VIPs by family, for the codec (no allocation per advert).
    vips4: Vec<Ipv4Addr>,
    vips6: Vec<Ipv6Addr>,
    /// The checksum variant we send with and expect.
    variant: ChecksumVariant,
    armed: Option<(Instant, TimerId)>,
    /// The VIPs are (being) installed.
    vips_on: bool,
}

/// Counters of what arrived for no instance or could not be read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GlobalCounters {
    pub unknown_vrid: u64,
    pub malformed: u64,
    pub send_errors: u64,
    pub netlink_errors: u64,
}

/// The VRRP side of the daemon.
pub struct Vrrpd {
    insts: Vec<Inst>,
    socks: Vec<Sock>,
    rtnl: Rtnl,
    monitor: Monitor,
    names: SysNames,
    /// Requests in flight: what they were for, to log a refusal.
    pending: HashMap<Seq, String>,
    frames: HashMap<u32, PacketSocket>,
    rx: Vec<u8>,
    tx: Vec<u8>,
    addrs: Vec<IpAddr>,
    ip_ident: u16,
    group4: Ipv4Addr,
    /// `-V`: leave the VIPs in place at stop.
    keep_vips: bool,
    stopping: bool,
    pub counters: GlobalCounters,
}

/// Why the VRRP side could not start.
#[derive(Debug)]
pub struct StartError(pub String);

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn start_err(what: &str, e: impl std::fmt::Display) -> StartError {
    StartError(format!("{what}: {e}"))
}

impl Vrrpd {
    /// Opens the sockets of every runnable instance of `cfg`, registers them, and creates the
    /// machines. Instances that cannot run are logged and left out.
    pub fn start<K: From<Key> + Copy>(
        cfg: &Config,
        keep_vips: bool,
        core: &mut Core<K>,
        now: Instant,
    ) -> Result<Vrrpd, StartError> {
        let (planned, bad) = plan(cfg);
        for b in &bad {
            error!("({}) cannot run: {}", b.name, b.why);
        }
        let rtnl = Rtnl::new().map_err(|e| start_err("rtnetlink socket", e))?;
        let mut monitor = Monitor::new().map_err(|e| start_err("rtnetlink monitor", e))?;
        monitor
            .start_dump()
            .map_err(|e| start_err("rtnetlink dump", e))?;
        core.register_fd(&rtnl, mio::Interest::READABLE, K::from(Key::Rtnl))
            .map_err(|e| start_err("register rtnetlink", e))?;
        core.register_fd(&monitor, mio::Interest::READABLE, K::from(Key::Monitor))
            .map_err(|e| start_err("register monitor", e))?;
        let mut d = Vrrpd {
            insts: Vec::new(),
            socks: Vec::new(),
            rtnl,
            monitor,
            names: SysNames {
                names: RtNames::load(),
            },
            pending: HashMap::new(),
            frames: HashMap::new(),
            rx: vec![0; 65536],
            tx: vec![0; 65536],
            addrs: Vec::with_capacity(255),
            ip_ident: (crate::sys::getpid() as u16).wrapping_mul(2654),
            group4: cfg.global.vrrp.mcast_group4,
            keep_vips,
            stopping: false,
            counters: GlobalCounters::default(),
        };
        for p in planned {
            if let Err(e) = d.add_instance(p, core, now) {
                error!("{e}");
            }
        }
        for i in 0..d.insts.len() {
            d.drain(core, i);
        }
        Ok(d)
    }

    fn add_instance<K: From<Key> + Copy>(
        &mut self,
        p: Planned,
        core: &mut Core<K>,
        now: Instant,
    ) -> Result<(), String> {
        let Planned { mut params, io } = p;
        let name = params.name.clone();
        let ifindex = if_index(&io.interface)
            .ok_or_else(|| format!("({name}) interface {} does not exist", io.interface))?;
        let mac = if_mac(&io.interface).unwrap_or([0; 6]);
        let src = match io.src {
            Some(a) => a,
            None => primary_address(&io.interface, io.family).ok_or_else(|| {
                format!(
                    "({name}) interface {} has no {} address to send adverts from",
                    io.interface,
                    if io.family == Family::Inet {
                        "IPv4"
                    } else {
                        "IPv6 link-local"
                    }
                )
            })?,
        };
        params.primary_addr = src;
        let sock = self
            .socket_for(io.family, &io.interface, ifindex, core)
            .map_err(|e| {
                format!(
                    "({name}) cannot open a VRRP socket on {}: {e}",
                    io.interface
                )
            })?;
        // Joining twice on one socket is EADDRINUSE: harmless.
        if io.peers.is_empty()
            && let Err(e) = self.socks[sock].s.join(io.group)
            && e.raw_os_error() != Some(libc::EADDRINUSE)
        {
            return Err(format!("({name}) cannot join {}: {e}", io.group));
        }
        let wfam = match io.family {
            Family::Inet => wire::Family::V4,
            Family::Inet6 => wire::Family::V6,
        };
        let variant = ChecksumVariant::sender_default(
            params.version,
            wfam,
            io.v3_checksum == V3Checksum::AsV2,
        );
        let vips4 = params
            .vips
            .iter()
            .filter_map(|a| match a {
                IpAddr::V4(v) => Some(*v),
                IpAddr::V6(_) => None,
            })
            .collect();
        let vips6 = params
            .vips
            .iter()
            .filter_map(|a| match a {
                IpAddr::V6(v) => Some(*v),
                IpAddr::V4(_) => None,
            })
            .collect();
        info!(
            "({name}) VRID {} on {} ({}), VRRPv{}, priority {}, source {src}",
            params.vrid,
            io.interface,
            if io.peers.is_empty() {
                format!("multicast {}", io.group)
            } else {
                "unicast".to_string()
            },
            params.version,
            params.priority
        );
        self.insts.push(Inst {
            m: Instance::new(params, now),
            io,
            ifindex,
            mac,
            sock,
            src,
            vips4,
            vips6,
            variant,
            armed: None,
            vips_on: false,
        });
        Ok(())
    }

    fn socket_for<K: From<Key> + Copy>(
        &mut self,
        family: Family,
        ifname: &str,
        ifindex: u32,
        core: &mut Core<K>,
    ) -> io::Result<usize> {
        if let Some(i) = self
            .socks
            .iter()
            .position(|s| s.family == family && s.ifindex == ifindex)
        {
            return Ok(i);
        }
        let s = match family {
            Family::Inet => VrrpSocket::v4(ifname, ifindex)?,
            Family::Inet6 => VrrpSocket::v6(ifname, ifindex)?,
        };
        let n = self.socks.len();
        core.register_fd(&s, mio::Interest::READABLE, K::from(Key::Socket(n as u32)))?;
        self.socks.push(Sock { s, family, ifindex });
        Ok(n)
    }

    /// How many instances run.
    pub fn len(&self) -> usize {
        self.insts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.insts.is_empty()
    }

    /// The machines, for dumps.
    pub fn instances(&self) -> impl Iterator<Item = &Instance> {
        self.insts.iter().map(|i| &i.m)
    }

    /// Requests to the kernel not yet answered.
    pub fn pending(&self) -> usize {
        self.rtnl.pending()
    }

    /// A readiness of one of our fds.
    pub fn on_io<K: From<Key> + Copy>(&mut self, core: &mut Core<K>, now: Instant, key: Key) {
        match key {
            Key::Socket(n) => self.on_socket(core, now, n as usize),
            Key::Rtnl => self.on_rtnl(),
            Key::Monitor => self.on_monitor(core, now),
            Key::Timer(_) => {}
        }
    }

    /// A timer of instance `i` is due.
    pub fn on_timer<K: From<Key> + Copy>(&mut self, core: &mut Core<K>, now: Instant, i: u32) {
        let i = i as usize;
        let Some(inst) = self.insts.get_mut(i) else {
            return;
        };
        inst.armed = None;
        inst.m.handle_timeout(now);
        self.drain(core, i);
    }

    /// Orderly stop: every master sends priority 0 and removes its VIPs (unless `-V`).
    pub fn stop<K: From<Key> + Copy>(&mut self, core: &mut Core<K>, now: Instant) {
        self.stopping = true;
        for i in 0..self.insts.len() {
            self.insts[i].m.handle_input(now, Input::Shutdown);
            self.drain(core, i);
            if let Some((_, id)) = self.insts[i].armed.take() {
                core.cancel(id);
            }
        }
    }

    fn on_socket<K: From<Key> + Copy>(&mut self, core: &mut Core<K>, now: Instant, n: usize) {
        loop {
            let Some(sock) = self.socks.get(n) else {
                return;
            };
            let r = match sock.s.recv(&mut self.rx) {
                Ok(r) => r,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) => {
                    warn!("VRRP socket receive error: {e}");
                    return;
                }
            };
            let rx = std::mem::take(&mut self.rx);
            self.packet(core, now, n, r, &rx);
            self.rx = rx;
        }
    }

    /// One received datagram on socket `n`: decode, demultiplex by VRID, check the checksum per
    /// instance, hand it to the machines.
    fn packet<K: From<Key> + Copy>(
        &mut self,
        core: &mut Core<K>,
        now: Instant,
        n: usize,
        r: crate::sys::sock::Received,
        rx: &[u8],
    ) {
        let family = self.socks[n].family;
        let data = &rx[..r.len.min(rx.len())];
        let (pair, ttl, multicast, pkt) = match family {
            Family::Inet => match wv::ipv4_datagram(data) {
                Ok((ip, pkt)) => (
                    IpPair::V4 {
                        src: ip.src_addr,
                        dst: ip.dst_addr,
                    },
                    Some(ip.ttl),
                    ip.dst_addr.is_multicast(),
                    pkt,
                ),
                Err(e) => {
                    self.counters.malformed += 1;
                    debug!("dropped a VRRP datagram from {}: {e}", r.src);
                    return;
                }
            },
            Family::Inet6 => {
                let (IpAddr::V6(src), Some(IpAddr::V6(dst))) = (r.src, r.dst) else {
                    self.counters.malformed += 1;
                    return;
                };
                match wv::Packet::new_checked(data, wire::Family::V6) {
                    Ok(pkt) => (
                        IpPair::V6 { src, dst },
                        r.hop_limit,
                        dst.is_multicast(),
                        pkt,
                    ),
                    Err(e) => {
                        self.counters.malformed += 1;
                        debug!("dropped a VRRP datagram from {}: {e}", r.src);
                        return;
                    }
                }
            }
        };
        let src = match pair {
            IpPair::V4 { src, .. } => IpAddr::V4(src),
            IpPair::V6 { src, .. } => IpAddr::V6(src),
        };
        // Our own adverts come back on some setups (a second socket on the same link).
        if self.insts.iter().any(|i| i.src == src && i.sock == n) {
            return;
        }
        let repr = match wv::Repr::parse(&pkt) {
            Ok(r) => r,
            Err(e) => {
                self.counters.malformed += 1;
                debug!("dropped a VRRP advert from {src}: {e}");
                return;
            }
        };
        let mut addrs = std::mem::take(&mut self.addrs);
        addrs.clear();
        addrs.extend(repr.addresses.iter());
        let (interval, auth_type, auth_data) = match repr.version {
            wv::Version::V2 {
                auth_type,
                advert_int,
                auth_data,
            } => (
                std::time::Duration::from_secs(u64::from(advert_int)),
                u8::from(auth_type),
                auth_data,
            ),
            wv::Version::V3 { max_advert_int, .. } => (
                std::time::Duration::from_millis(u64::from(max_advert_int & 0x0fff) * 10),
                0,
                [0; 8],
            ),
        };
        let advert = Advert {
            version: repr.version.number(),
            kind: u8::from(repr.msg_type),
            vrid: repr.vrid,
            priority: repr.priority,
            interval,
            addrs: &addrs,
            auth_type,
            auth_data,
            ah: None,
        };
        let meta = RxMeta {
            src,
            multicast,
            ttl,
        };
        let mut matched = false;
        for i in 0..self.insts.len() {
            let inst = &mut self.insts[i];
            if inst.sock != n || inst.m.params().vrid != repr.vrid {
                continue;
            }
            matched = true;
            let input = if pkt.verify_checksum(&pair, inst.variant) {
                Input::Advert { advert, meta }
            } else {
                match pkt.detect_checksum_variant(&pair, self.group4) {
                    Some(v) => {
                        warn!(
                            "({}) {src} sends VRRPv3 checksums {}; following it (was {})",
                            inst.m.params().name,
                            variant_name(v),
                            variant_name(inst.variant)
                        );
                        inst.variant = v;
                        Input::Advert { advert, meta }
                    }
                    None => Input::Malformed {
                        src,
                        reason: DropReason::Checksum,
                    },
                }
            };
            inst.m.handle_input(now, input);
            self.drain(core, i);
        }
        self.addrs = addrs;
        if !matched {
            self.counters.unknown_vrid += 1;
            debug!("advert from {src} for VRID {}: no instance", repr.vrid);
        }
    }

    fn on_rtnl(&mut self) {
        for reply in self.rtnl.recv() {
            let what = self.pending.remove(&reply.seq());
            if let Reply::Error { errno, .. } = reply {
                self.counters.netlink_errors += 1;
                error!(
                    "Kernel refused {}: {}",
                    what.as_deref().unwrap_or("a request"),
                    io::Error::from_raw_os_error(errno)
                );
            }
        }
    }

    fn on_monitor<K: From<Key> + Copy>(&mut self, core: &mut Core<K>, now: Instant) {
        for ev in self.monitor.recv() {
            match ev {
                LinkEvent::LinkChange { ifindex, up, .. } => {
                    for i in 0..self.insts.len() {
                        if self.insts[i].ifindex == ifindex {
                            self.insts[i].m.handle_input(now, Input::Link { up });
                            self.drain(core, i);
                        }
                    }
                }
                LinkEvent::LinkRemoved { ifindex, name } => {
                    for i in 0..self.insts.len() {
                        if self.insts[i].ifindex == ifindex {
                            warn!(
                                "({}) interface {name} removed",
                                self.insts[i].m.params().name
                            );
                            self.insts[i].m.handle_input(now, Input::Link { up: false });
                            self.drain(core, i);
                        }
                    }
                }
                LinkEvent::AddrRemoved { ifindex, addr, .. } => {
                    for i in 0..self.insts.len() {
                        let inst = &self.insts[i];
                        let ours = inst.vips_on
                            && inst.io.vips.iter().any(|v| {
                                v.addr.addr == addr
                                    && !v.no_track
                                    && self.dev_index(inst, v) == Some(ifindex)
                            });
                        if ours {
                            self.insts[i].m.handle_input(now, Input::VipRemoved(addr));
                            self.drain(core, i);
                        }
                    }
                }
                LinkEvent::AddrAdded { .. } | LinkEvent::Synced => {}
                LinkEvent::DumpFailed { errno } => {
                    warn!("link dump failed: {}", io::Error::from_raw_os_error(errno));
                }
            }
        }
    }

    fn dev_index(&self, inst: &Inst, a: &IpAddress) -> Option<u32> {
        match &a.dev {
            Some(d) => self.monitor.ifindex(d).or_else(|| if_index(d)),
            None => Some(inst.ifindex),
        }
    }

    /// Hands instance `i`'s outputs to the world, then re-arms its timer.
    fn drain<K: From<Key> + Copy>(&mut self, core: &mut Core<K>, i: usize) {
        while let Some(out) = self.insts[i].m.poll_output() {
            match out {
                Output::Transmit(a) => self.transmit(i, &a),
                Output::Action(Action::AddVips { .. }) => self.vips(i, true),
                Output::Action(Action::DelVips) => {
                    if !(self.keep_vips && self.stopping) {
                        self.vips(i, false)
                    }
                }
                Output::Action(Action::Garp { repeat, .. }) => self.garp(i, repeat),
                Output::Event(ev) => {
                    let name = &self.insts[i].m.params().name;
                    log!(ev.level(), "{}", ev.line(name));
                }
            }
        }
        let inst = &mut self.insts[i];
        let want = inst.m.poll_timeout();
        if want != inst.armed.map(|(at, _)| at) {
            if let Some((_, id)) = inst.armed.take() {
                core.cancel(id);
            }
            if let Some(at) = want {
                let id = core.arm(at, K::from(Key::Timer(i as u32)));
                inst.armed = Some((at, id));
            }
        }
    }

    fn transmit(&mut self, i: usize, a: &AdvertOut) {
        let inst = &self.insts[i];
        let p = inst.m.params();
        let version = if a.version == 3 {
            wv::Version::V3 {
                max_advert_int: (a.interval.as_millis() / 10).min(4095) as u16,
                reserved: 0,
            }
        } else {
            let (auth_type, auth_data) = match p.auth {
                Auth::Pass(pw) => (wv::AuthType::Pass, pw),
                Auth::Ah => (wv::AuthType::Ah, [0; 8]),
                Auth::None => (wv::AuthType::None, [0; 8]),
            };
            wv::Version::V2 {
                auth_type,
                advert_int: a.interval.as_secs().clamp(1, 255) as u8,
                auth_data,
            }
        };
        let addresses = match inst.io.family {
            Family::Inet => Addresses::V4(&inst.vips4),
            Family::Inet6 => Addresses::V6(&inst.vips6),
        };
        let repr = wv::Repr {
            version,
            msg_type: wv::Type::Advertisement,
            vrid: a.vrid,
            priority: a.priority,
            addresses,
        };
        // No allocation per advert: the group, or the unicast peers, borrowed.
        let group = [inst.io.group];
        let dsts: &[IpAddr] = if inst.io.peers.is_empty() {
            &group
        } else {
            &inst.io.peers
        };
        let ttl = if inst.io.peers.is_empty() {
            255
        } else {
            inst.io.unicast_ttl
        };
        for &dst in dsts {
            let res = match (inst.src, dst) {
                (IpAddr::V4(s), IpAddr::V4(d)) => {
                    self.ip_ident = self.ip_ident.wrapping_add(1);
                    let mut ip = wire::ipv4::Repr::vrrp(s, d, self.ip_ident, 0);
                    ip.ttl = ttl;
                    wv::emit_ipv4_datagram(&mut self.tx, &ip, &repr, inst.variant)
                        .map_err(|e| io::Error::other(e.to_string()))
                        .and_then(|n| self.socks[inst.sock].s.send(&self.tx[..n], dst, None))
                }
                (IpAddr::V6(s), IpAddr::V6(d)) => {
                    let len = repr.buffer_len();
                    let pair = IpPair::V6 { src: s, dst: d };
                    let mut pkt = wv::Packet::new_unchecked(&mut self.tx[..len], wire::Family::V6);
                    repr.emit(&mut pkt, &pair, ChecksumVariant::Ipv6Pseudo)
                        .map_err(|e| io::Error::other(e.to_string()))
                        .and_then(|()| self.socks[inst.sock].s.send(&self.tx[..len], dst, Some(s)))
                }
                _ => Err(io::Error::other("address families differ")),
            };
            if let Err(e) = res {
                self.counters.send_errors += 1;
                warn!(
                    "({}) cannot send advert to {dst}: {e}",
                    self.insts[i].m.params().name
                );
            }
        }
    }

    fn vips(&mut self, i: usize, add: bool) {
        let inst = &self.insts[i];
        if inst.vips_on == add {
            return;
        }
        let name = inst.m.params().name.clone();
        let list: Vec<IpAddress> = inst.io.vips.iter().chain(&inst.io.evips).cloned().collect();
        for a in &list {
            let Some(ifindex) = self.dev_index(&self.insts[i], a) else {
                error!("({name}) {}: interface {:?} does not exist", a.addr, a.dev);
                continue;
            };
            let r = if add {
                self.rtnl.add_address(ifindex, a)
            } else {
                self.rtnl.del_address(ifindex, a)
            };
            match r {
                Ok(seq) => {
                    let verb = if add { "adding" } else { "removing" };
                    self.pending
                        .insert(seq, format!("({name}) {verb} {}", a.addr));
                }
                Err(e) => error!("({name}) {}: {e}", a.addr),
            }
        }
        let routes = self.insts[i].io.routes.clone();
        for r in &routes {
            let res = if add {
                self.rtnl.add_route(r, &self.names)
            } else {
                self.rtnl.del_route(r, &self.names)
            };
            match res {
                Ok(seq) => {
                    self.pending
                        .insert(seq, format!("({name}) virtual route {}", route_dest(r)));
                }
                Err(e) => error!("({name}) virtual route {}: {e}", route_dest(r)),
            }
        }
        let rules = self.insts[i].io.rules.clone();
        for r in &rules {
            let res = if add {
                self.rtnl.add_rule(r, &self.names)
            } else {
                self.rtnl.del_rule(r, &self.names)
            };
            match res {
                Ok(seq) => {
                    self.pending.insert(seq, format!("({name}) virtual rule"));
                }
                Err(e) => error!("({name}) virtual rule: {e}"),
            }
        }
        self.insts[i].vips_on = add;
        if add {
            info!("({name}) Adding {} virtual address(es)", list.len());
        } else {
            info!("({name}) Removing {} virtual address(es)", list.len());
        }
    }

    fn garp(&mut self, i: usize, repeat: u32) {
        let inst = &self.insts[i];
        let ifindex = inst.ifindex;
        let mac = wire::ethernet::Address(inst.mac);
        let sock = match self.frames.entry(ifindex) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(v) => match PacketSocket::new(ifindex) {
                Ok(s) => v.insert(s),
                Err(e) => {
                    error!(
                        "({}) cannot open a packet socket: {e}",
                        inst.m.params().name
                    );
                    return;
                }
            },
        };
        let mut buf = [0u8; 128];
        let vips: Vec<IpAddr> = inst
            .io
            .vips
            .iter()
            .chain(&inst.io.evips)
            .filter(|a| a.dev.is_none())
            .map(|a| a.addr.addr)
            .collect();
        for _ in 0..repeat {
            for &v in &vips {
                let n = match v {
                    IpAddr::V4(a) => wire::arp::emit_gratuitous_frame(&mut buf, mac, a),
                    IpAddr::V6(a) => wire::ndisc::emit_unsolicited_na_frame(&mut buf, mac, a, true),
                };
                match n {
                    Ok(n) => {
                        if let Err(e) = sock.send(&buf[..n]) {
                            self.counters.send_errors += 1;
                            debug!("GARP/NA for {v} not sent: {e}");
                        }
                    }
                    Err(e) => debug!("GARP/NA for {v} not built: {e}"),
                }
            }
        }
    }
}

fn route_dest(r: &crate::config::vrrp::Route) -> String {
    match r.dest {
        crate::config::vrrp::RouteDest::Default => "default".to_string(),
        crate::config::vrrp::RouteDest::Prefix(p) => p.to_string(),
    }
}

fn variant_name(v: ChecksumVariant) -> &'static str {
    match v {
        ChecksumVariant::Plain => "without the pseudo-header (RFC 9568, v3_checksum_as_v2)",
        ChecksumVariant::Ipv4Pseudo => "with the IPv4 pseudo-header (keepalived's default)",
        ChecksumVariant::Ipv4PseudoLegacy { .. } => {
            "in the pre-1.3.6 unicast form (old_unicast_checksum)"
        }
        ChecksumVariant::Ipv6Pseudo => "with the IPv6 pseudo-header",
    }
}

/// The address adverts go out from: the interface's first IPv4 address, or its IPv6 link-local
/// address (RFC 5798 5.1.2.1).
fn primary_address(ifname: &str, family: Family) -> Option<IpAddr> {
    let addrs = if_addrs(ifname).ok()?;
    addrs.into_iter().find(|a| match (a, family) {
        (IpAddr::V4(_), Family::Inet) => true,
        (IpAddr::V6(v), Family::Inet6) => v.is_unicast_link_local(),
        _ => false,
    })
}
