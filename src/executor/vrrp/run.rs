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
//! - `use_vmac`: the instance's VIPs, GARPs and (unless `vmac_xmit_base`) adverts use a VMAC,
//!   made through the same rtnetlink socket once the monitor has listed the links; the
//!   instance's machine is held (its timer not armed) until the VMAC is up. See
//!   [`super::vmac`] and `run/vmacs.rs`.
//! - One timer per instance in the reactor, re-armed after every mutation from the machine's
//!   `poll_timeout`.
//! - Lines about dropped packets and socket errors go through a rate limit
//!   ([`super::loglimit`], flushed on every packet and timer); the counters
//!   ([`GlobalCounters`], each machine's) count every one.
//!
//! # Files
//! This file: start, reload, stop, the entry points the dispatcher calls and the views. Beside it:
//! `receive.rs` (adverts to the machines), `outputs.rs` (draining the machines), `send.rs`
//! (adverts, GARP/NA), `kernel.rs` (rtnetlink requests and the monitor), `links.rs` (interfaces
//! that come back), `vmacs.rs`, `sweep.rs` (leftovers of a previous run at start-up),
//! `firewall.rs` (accept mode's nftables drop rules, see [`super::nft`]).
//!
//! # Contract (the reactor's, see [`crate::reactor`])
//! Every entry point gives one input to one machine (or one packet to the machines of its VRID)
//! and then drains that machine's outputs before it returns: [`VrrpExecutor::drain`].
//!
//! # Checksum variants (VRRPv3 over IPv4)
//! An instance sends with its configured variant (pseudo-header, or `v3_checksum_as_v2`). When an
//! advert for a VRRPv3 IPv4 instance does not verify under it but does under another variant
//! keepalived knows, the machine gets [`Input::AdvertOtherChecksum`] and decides (after every
//! other check, see [`crate::vrrp::instance`]); only its [`Action::AdoptChecksum`] changes
//! the variant, for receiving and sending, with one log line. VRRPv2 and IPv6 instances never
//! look for another variant.

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::os::fd::AsRawFd;

use log::{error, info};

use crate::config::Config;
use crate::config::vrrp::Family;
use crate::netlink::monitor::Monitor;
use crate::netlink::names::{RtNames, SysNames};
use crate::netlink::rtnl::Rtnl;
use crate::reactor::Core;
use crate::reactor::armed::{Armed, SlotTimers};
use crate::reactor::reload::{self, Step};
use crate::reactor::slots::{SlotId, Slots};
use crate::sys::KernelDrops;
use crate::sys::raw::{self, PacketSocket, RawIpSocket, if_addrs, if_index, if_mac};
use crate::time::Instant;
use crate::track::{Owner, Trackers};
use crate::vrrp::{Input, Instance};
use crate::wire::vrrp::ChecksumVariant;
use crate::wire::{self};

use super::params::{Io, Planned, Unrunnable, V3Checksum, plan};
use super::vmac::Vmac;

mod firewall;
mod kernel;
mod links;
mod outputs;
mod receive;
mod send;
mod sweep;
mod vmacs;

use receive::log_summary;

/// What a reactor token or timer of the VRRP side belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VrrpKey {
    /// Raw socket `n` of [`VrrpExecutor`].
    Socket(u32),
    /// The timer of one occupant of the instance table (a stale one is dropped).
    Timer(SlotId),
    /// The rtnetlink command socket.
    Rtnl,
    /// The link and address monitor.
    Monitor,
    /// A notify script or FIFO reader.
    Script,
    /// The trackers (`vrrp_script`, `track_file`, `vrrp_track_process`): their timers, fds and
    /// children.
    Tracker(crate::track::TrackKey),
    /// The GARP/NA pacer's timer ([`crate::vrrp::pace`]).
    Pacer,
}

/// The reactor as the trackers see it: their keys wrapped in [`VrrpKey::Tracker`].
fn tracker_io<K: From<VrrpKey> + Copy>(core: &mut Core<K>) -> crate::track::Io<'_, K> {
    crate::track::Io {
        core,
        own: |k| K::from(VrrpKey::Tracker(k)),
    }
}

/// A sync group at run time.
struct Group {
    group: crate::vrrp::SyncGroup,
    notifies: crate::config::vrrp::Notifies,
}

/// A raw IP socket (protocol 112, or 51 for AH) of one family on one interface: adverts of every instance there
/// leave and arrive through it.
struct AdvertSocket {
    raw: RawIpSocket,
    family: Family,
    /// IP protocol: 112, or 51 for `auth_type AH` instances.
    proto: i32,
    ifindex: u32,
    token: mio::Token,
}

/// One VRRP instance at run time (a "virtual router", RFC 9568): its machine and the IO state the
/// executor keeps around it.
pub struct VirtualRouter {
    machine: Instance,
    io: Io,
    /// The interface the VIPs go on and GARPs leave from: `interface`, or its VMAC (0 until the
    /// VMAC is known).
    ifindex: u32,
    mac: [u8; 6],
    /// The VRRP socket (`None` until a VMAC carrying the adverts exists).
    sock: Option<usize>,
    /// `use_vmac`: the VMAC and where it is in its life.
    vmac: Option<Vmac>,
    /// Our advert source address.
    src: IpAddr,
    /// The VIPs by family, for the codec (no allocation per advert).
    vips4: Vec<Ipv4Addr>,
    vips6: Vec<Ipv6Addr>,
    /// The checksum variant we send with and expect.
    variant: ChecksumVariant,
    armed: Armed,
    /// The VIPs are (being) installed.
    vips_on: bool,
    /// `no_accept` master: its addresses are in the firewall's drop sets.
    blocked: bool,
    /// The state of our own interface last given to the machine (`None`: not yet known, taken as
    /// up).
    link_up: Option<bool>,
    /// The tracking (weight, fault) last given to the machine.
    track: (i32, bool),
    /// Wall-clock time of the last state change (for the dumps only).
    last_transition: std::time::SystemTime,
    /// Being removed by a reload: with `notify_deleted`, it reports DELETED instead of STOP.
    deleting: bool,
    /// `auth_type AH`: the sequence number last sent or accepted, shared by both directions as
    /// in keepalived (`ipsecah_counter`), so that a new master continues above what its peers saw.
    ah_seq: u32,
}

/// Daemon-wide counters: datagrams that reached no instance, and IO errors. The statistics file,
/// the JSON dump and `--status` print them ([`super::dump`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GlobalCounters {
    /// A well-formed advert for a VRID no instance on that socket has.
    pub unknown_vrid: u64,
    /// A datagram the codec refused before its VRID was known (IP header, length, version).
    pub malformed: u64,
    /// `recvmsg` failed (other than `EAGAIN`).
    pub receive_errors: u64,
    /// An advert could not be built or sent.
    pub send_errors: u64,
    /// The kernel refused an rtnetlink request (address, route, rule, VMAC) or an nftables
    /// batch (accept mode's drop rules).
    pub netlink_errors: u64,
    /// Datagrams the kernel dropped on our VRRP sockets before we could read them: a full
    /// receive buffer, and over IPv6 a checksum that failed (`IPV6_CHECKSUM` verifies it on
    /// receive, so such a packet never reaches [`DropReason::Checksum`]). Read from the
    /// sockets when the views are made ([`VrrpExecutor::views`]); not kept in `VrrpExecutor::counters`.
    pub kernel_drops: u64,
    /// Gratuitous ARPs and NAs sent by the pacer (`vrrp_garp_interval`, `garp_group`).
    pub garps_paced: u64,
}

/// What an rtnetlink request was for; the client gives it back with the kernel's answer.
#[derive(Debug)]
enum RequestTag {
    /// A VIP, route, rule or link request: what to say if the kernel refuses it.
    Log(String),
    /// A VMAC link request of the instance in this slot (a stale slot: only counted).
    Vmac(SlotId, vmacs::Req),
}

/// The VRRP side of the daemon.
pub struct VrrpExecutor {
    /// The instances; a reload reuses the slots of the ones it stops, and timers and VMAC
    /// requests name an occupant by [`SlotId`], so a stale one never reaches a new occupant.
    insts: Slots<VirtualRouter>,
    socks: Vec<AdvertSocket>,
    /// Requests in flight are the client's: each carries what it was for ([`RequestTag`]).
    rtnl: Rtnl<RequestTag>,
    monitor: Monitor,
    names: SysNames,
    frames: HashMap<u32, PacketSocket>,
    /// `net.ipv6.conf.<dev>.forwarding` by ifindex, read at an interface's first unsolicited NA
    /// and again after a link event for it or a reload (not on every NA).
    forwarding: HashMap<u32, bool>,
    /// The sysctls VMACs need, and their old values.
    sysctls: super::vmac::Sysctls,
    rx: Vec<u8>,
    tx: Vec<u8>,
    addrs: Vec<IpAddr>,
    ip_ident: u16,
    group4: Ipv4Addr,
    notifier: super::notify::Notifier,
    trackers: Trackers,
    /// `-D`: the lines keepalived prints only in detailed mode.
    log_detail: bool,
    /// `-V`: leave the VIPs in place at stop.
    keep_vips: bool,
    stopping: bool,
    /// Answers of the command socket were lost (an overrun): ask again once the tables are read.
    lost_requests: bool,
    /// `vrrp_sync_group`s, and each instance's group (by index).
    groups: Vec<Group>,
    group_of: Vec<Option<usize>>,
    in_group_drain: bool,
    /// Instances' state changes (name, new state) not yet taken by the daemon (the IPVS sync
    /// daemon follows them).
    state_changes: Vec<(String, crate::vrrp::State)>,
    /// Sync groups' state changes (name, new state) not yet taken (the e-mail alerts).
    group_changes: Vec<(String, crate::vrrp::State)>,
    pub counters: GlobalCounters,
    /// The sockets' kernel drops since the counters were last cleared (the kernel's count
    /// cannot be reset).
    drops: KernelDrops,
    /// Lines about dropped packets and IO errors, rate-limited ([`super::loglimit`]).
    limit: super::loglimit::LogLimit,
    /// Which instances an advert on a socket is for (see [`receive::Demux`]).
    demux: receive::Demux,
    /// Adverts are dated by the kernel's receive stamp (`false`: by the loop's clock, the
    /// behaviour before; `KEEPALIVED_RS_VRRP_TIMERS=loop`, for comparisons).
    kernel_clock: bool,
    /// The latest time a timer wake gave the machines: a received advert is dated no earlier
    /// (a machine's clock never goes back).
    floor: Instant,
    /// GARPs and NAs paced by `vrrp_garp_interval`, `vrrp_gna_interval` and `garp_group`.
    pacer: crate::vrrp::pace::Pacer<send::Paced>,
    pace_cfg: send::PaceConfig,
    pace_armed: Armed,
    /// Accept mode's drop rules (nftables).
    firewall: super::nft::Firewall,
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

impl VrrpExecutor {
    /// Opens the sockets of every runnable instance of `cfg`, registers them, and creates the
    /// machines. Instances that cannot run are logged and left out.
    pub fn start<K: From<VrrpKey> + Copy>(
        cfg: &Config,
        keep_vips: bool,
        log_detail: bool,
        core: &mut Core<K>,
        now: Instant,
    ) -> Result<VrrpExecutor, StartError> {
        let (planned, bad) = routed(plan(cfg));
        for b in &bad {
            error!("({}) cannot run: {}", b.name, b.why);
        }
        let rtnl = Rtnl::new().map_err(|e| start_err("rtnetlink socket", e))?;
        let mut monitor = Monitor::new().map_err(|e| start_err("rtnetlink monitor", e))?;
        monitor
            .start_dump()
            .map_err(|e| start_err("rtnetlink dump", e))?;
        core.register_fd(&rtnl, mio::Interest::READABLE, K::from(VrrpKey::Rtnl))
            .map_err(|e| start_err("register rtnetlink", e))?;
        core.register_fd(&monitor, mio::Interest::READABLE, K::from(VrrpKey::Monitor))
            .map_err(|e| start_err("register monitor", e))?;
        let mut d = VrrpExecutor {
            insts: Slots::new(),
            socks: Vec::new(),
            rtnl,
            monitor,
            names: SysNames {
                names: RtNames::load(),
            },
            frames: HashMap::new(),
            forwarding: HashMap::new(),
            sysctls: super::vmac::Sysctls::default(),
            rx: vec![0; 65536],
            tx: vec![0; 65536],
            addrs: Vec::with_capacity(255),
            ip_ident: (crate::sys::getpid() as u16).wrapping_mul(2654),
            group4: cfg.global.vrrp.mcast_group4,
            notifier: super::notify::Notifier::new(cfg),
            trackers: Trackers::none(),
            log_detail,
            keep_vips,
            stopping: false,
            lost_requests: false,
            demux: receive::Demux::default(),
            groups: Vec::new(),
            group_of: Vec::new(),
            in_group_drain: false,
            state_changes: Vec::new(),
            group_changes: Vec::new(),
            counters: GlobalCounters::default(),
            drops: KernelDrops::default(),
            limit: super::loglimit::LogLimit::default(),
            kernel_clock: std::env::var("KEEPALIVED_RS_VRRP_TIMERS").as_deref() != Ok("loop"),
            floor: now,
            pacer: Default::default(),
            pace_cfg: send::PaceConfig::new(cfg),
            pace_armed: Armed::default(),
            firewall: super::nft::Firewall::new(super::nft::Settings::of(cfg)),
        };
        for r in d.notifier.readers.clone() {
            d.run_script(core, &r);
        }
        for p in planned {
            if let Err(e) = d.add_instance(p, core, now) {
                error!("{e}");
            }
        }
        // What a previous run may have left: removed before any machine is drained.
        d.sweep_leftovers(core, now);
        d.firewall_start();
        d.rebuild_groups(cfg);
        d.restart_trackers(cfg, core, now);
        for i in 0..d.insts.len() {
            d.drain(core, now, i);
        }
        Ok(d)
    }

    /// Opens what instance `p` needs and puts it in a free slot of the table: its index.
    fn add_instance<K: From<VrrpKey> + Copy>(
        &mut self,
        p: Planned,
        core: &mut Core<K>,
        now: Instant,
    ) -> Result<usize, String> {
        let Planned { mut params, io } = p;
        let name = params.name.clone();
        let parent = if_index(&io.interface)
            .ok_or_else(|| format!("({name}) interface {} does not exist", io.interface))?;
        let vmac = match (&io.vmac, &io.ipvlan) {
            (Some(c), _) => Some(vmacs::new_vmac(&name, c, &io, params.vrid, parent)),
            (None, Some(c)) => Some(vmacs::new_ipvlan(&name, c, &io, parent)),
            (None, None) => None,
        };
        // With a VMAC the VIPs and GARPs use it: known once it exists. An ipvlan's instance
        // keeps them on its interface.
        let (ifindex, mac) = match &vmac {
            Some(v) if v.ipvlan.is_none() => (0, v.mac),
            _ => (parent, if_mac(&io.interface).unwrap_or([0; 6])),
        };
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
        // Adverts on the interface, unless a VMAC carries them (opened when it exists).
        let sock = if vmac.as_ref().is_none_or(|v| v.xmit_base) {
            Some(self.open_socket(&name, &io, &io.interface, parent, core)?)
        } else {
            None
        };
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
        self.demux.stale = true;
        let i = self.insts.insert(VirtualRouter {
            machine: Instance::new(params, now),
            io,
            ifindex,
            mac,
            sock,
            vmac,
            src,
            vips4,
            vips6,
            variant,
            armed: Armed::default(),
            vips_on: false,
            blocked: false,
            link_up: None,
            track: (0, false),
            last_transition: std::time::SystemTime::now(),
            deleting: false,
            ah_seq: 0,
        });
        Ok(i)
    }

    /// The VRRP socket of `io`'s family on `ifname`, joined to the group (multicast).
    fn open_socket<K: From<VrrpKey> + Copy>(
        &mut self,
        name: &str,
        io: &Io,
        ifname: &str,
        ifindex: u32,
        core: &mut Core<K>,
    ) -> Result<usize, String> {
        let sock = self
            .socket_for(io.family, io.ah, ifname, ifindex, core)
            .map_err(|e| format!("({name}) cannot open a VRRP socket on {ifname}: {e}"))?;
        // Joining twice on one socket is EADDRINUSE: harmless.
        if io.peers.is_empty()
            && let Err(e) = self.socks[sock].raw.join(io.group)
            && e.raw_os_error() != Some(libc::EADDRINUSE)
        {
            return Err(format!(
                "({name}) cannot join {} on {ifname}: {e}",
                io.group
            ));
        }
        Ok(sock)
    }

    fn socket_for<K: From<VrrpKey> + Copy>(
        &mut self,
        family: Family,
        ah: bool,
        ifname: &str,
        ifindex: u32,
        core: &mut Core<K>,
    ) -> io::Result<usize> {
        let proto = if ah {
            raw::IPPROTO_AH
        } else {
            raw::IPPROTO_VRRP
        };
        if let Some(i) = self
            .socks
            .iter()
            .position(|s| s.family == family && s.proto == proto && s.ifindex == ifindex)
        {
            return Ok(i);
        }
        let raw = match family {
            Family::Inet => RawIpSocket::v4_proto(ifname, ifindex, proto)?,
            Family::Inet6 => RawIpSocket::v6(ifname, ifindex)?,
        };
        // A socket no running instance uses (its interface gone, its instances removed) gives
        // its place, so that re-created interfaces do not add fds.
        let dead =
            (0..self.socks.len()).find(|&n| !self.insts.live_values().any(|i| i.sock == Some(n)));
        let n = dead.unwrap_or(self.socks.len());
        let token = core.register_fd(
            &raw,
            mio::Interest::READABLE,
            K::from(VrrpKey::Socket(n as u32)),
        )?;
        let new = AdvertSocket {
            raw,
            family,
            proto,
            ifindex,
            token,
        };
        if dead.is_some() {
            let old = std::mem::replace(&mut self.socks[n], new);
            let _ = core.deregister_fd(&old.raw, old.token);
        } else {
            self.socks.push(new);
        }
        Ok(n)
    }

    /// How many instances run.
    pub fn len(&self) -> usize {
        self.insts.live()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The machines, for dumps.
    pub fn instances(&self) -> impl Iterator<Item = &Instance> {
        self.insts.live_values().map(|i| &i.machine)
    }

    /// Every instance as the dumps see it.
    pub fn views(&self) -> Vec<super::dump::View<'_>> {
        let daemon = GlobalCounters {
            kernel_drops: self.drops.since_reset(self.sock_fds()),
            ..self.counters
        };
        self.insts
            .live_values()
            .map(|i| super::dump::View {
                params: i.machine.params(),
                counters: i.machine.counters(),
                state: i.machine.state(),
                want: match i.machine.params().initial {
                    crate::config::vrrp::State::Master => crate::vrrp::State::Master,
                    crate::config::vrrp::State::Backup => crate::vrrp::State::Backup,
                },
                priority: i.machine.priority(),
                master_priority: i.machine.master_priority(),
                master_addr: i.machine.master_addr(),
                master_adver_int: i.machine.master_adver_int(),
                master_down: i.machine.master_down_interval(),
                interface: &i.io.interface,
                src: i.src,
                group: i.io.peers.is_empty().then_some(i.io.group),
                vips: &i.io.vips,
                evips: &i.io.evips,
                vips_on: i.vips_on,
                last_transition: i.last_transition,
                daemon,
            })
            .collect()
    }

    /// The sync groups of `cfg` over the running instances (by name).
    fn rebuild_groups(&mut self, cfg: &Config) {
        self.groups.clear();
        self.group_of = vec![None; self.insts.len()];
        for gc in &cfg.vrrp.sync_groups {
            let members: Vec<usize> = gc
                .group
                .iter()
                .filter_map(|m| {
                    self.insts
                        .iter_live()
                        .find(|(_, x)| x.machine.params().name == m.name)
                        .map(|(i, _)| i)
                })
                .collect();
            if members.is_empty() {
                continue;
            }
            let gi = self.groups.len();
            for &m in &members {
                self.group_of[m] = Some(gi);
            }
            self.groups.push(Group {
                group: crate::vrrp::SyncGroup::new(&gc.name, members),
                notifies: gc.notify.clone(),
            });
        }
    }

    /// (Re)starts the trackers (scripts, files, processes) for the running instances.
    fn restart_trackers<K: From<VrrpKey> + Copy>(
        &mut self,
        cfg: &Config,
        core: &mut Core<K>,
        now: Instant,
    ) {
        self.trackers.stop(core);
        // keepalived: an address owner drops its weighted scripts and processes and tracks its
        // files with weight 0 (the configuration check said so). A sync group member runs with
        // its group's trackers and its own at weight 0 (see `vrrp::sync`).
        let owners: Vec<Option<Owner>> = self
            .insts
            .iter()
            .enumerate()
            .map(|(k, i)| {
                if !self.insts.is_live(k) {
                    return None;
                }
                let inst = cfg.vrrp.instance(&i.machine.params().name)?;
                Some(Owner {
                    tracking: super::params::effective_tracking(cfg, inst),
                    no_weights: inst.effective_priority() == 255,
                })
            })
            .collect();
        let bfds = self.trackers.bfd_states();
        self.trackers = Trackers::start(cfg, &owners, &mut tracker_io(core), now);
        // BFD sessions keep their state across a reload; the daemon tells about new ones.
        for (name, up) in bfds {
            self.trackers.set_bfd(&name, up);
        }
        self.trackers_changed(core, now);
    }

    /// DBus `SendGarp`: one round of gratuitous ARPs / unsolicited NAs of instance `name`,
    /// when it is master. Whether it was sent.
    pub fn send_garp(&mut self, name: &str) -> bool {
        let found = self.insts.live_indices().into_iter().find(|&i| {
            let m = &self.insts[i].machine;
            m.params().name == name && m.state() == crate::vrrp::State::Master
        });
        found.map(|i| self.garp(i, 1)).is_some()
    }

    /// The state changes of instances since the last call, in order.
    pub fn take_state_changes(&mut self) -> Vec<(String, crate::vrrp::State)> {
        std::mem::take(&mut self.state_changes)
    }

    /// The state changes of sync groups since the last call, in order.
    pub fn take_group_changes(&mut self) -> Vec<(String, crate::vrrp::State)> {
        std::mem::take(&mut self.group_changes)
    }

    /// Every instance's present state, as if it had just changed (after a reload, for a
    /// subsystem that the reload started and has heard nothing yet).
    pub fn announce_states(&mut self) {
        for i in self.insts.live_indices() {
            let m = &self.insts[i].machine;
            self.state_changes
                .push((m.params().name.clone(), m.state()));
        }
    }

    /// The BFD sessions named by `track_bfd` entries.
    pub fn tracked_bfds(&self) -> Vec<String> {
        self.trackers
            .bfd_states()
            .into_iter()
            .map(|(n, _)| n)
            .collect()
    }

    /// The hook for BFD (`track_bfd`): session `name` is up or down (the daemon calls it in the
    /// wake where the session changed).
    pub fn bfd_changed<K: From<VrrpKey> + Copy>(
        &mut self,
        core: &mut Core<K>,
        now: Instant,
        name: &str,
        up: bool,
    ) {
        if self.trackers.set_bfd(name, up) {
            self.trackers_changed(core, now);
        }
    }

    /// Zeroes every instance's statistics and the daemon-wide ones.
    pub fn clear_counters(&mut self) {
        for i in self.insts.iter_mut() {
            i.machine.clear_counters();
        }
        self.counters = GlobalCounters::default();
        self.drops = KernelDrops::from_now(self.sock_fds());
    }

    /// The VRRP sockets (they live as long as the daemon).
    fn sock_fds(&self) -> impl Iterator<Item = std::os::fd::RawFd> + '_ {
        self.socks.iter().map(|s| AsRawFd::as_raw_fd(&s.raw))
    }

    /// The earliest deadline of any running instance (an advert to send, a master to time out).
    pub fn next_deadline(&self) -> Option<Instant> {
        self.insts.live_values().filter_map(|i| i.armed.at()).min()
    }

    /// Requests to the kernel not yet answered.
    pub fn pending(&self) -> usize {
        self.rtnl.pending()
    }

    /// A readiness of one of our fds.
    pub fn on_io<K: From<VrrpKey> + Copy>(
        &mut self,
        core: &mut Core<K>,
        now: Instant,
        key: VrrpKey,
    ) {
        match key {
            VrrpKey::Socket(n) => self.on_socket(core, now, n as usize),
            VrrpKey::Rtnl => self.on_rtnl(core, now),
            VrrpKey::Monitor => self.on_monitor(core, now),
            VrrpKey::Tracker(t) => {
                if self.trackers.on_io(&mut tracker_io(core), now, t) {
                    self.trackers_changed(core, now);
                }
            }
            VrrpKey::Timer(_) | VrrpKey::Script | VrrpKey::Pacer => {}
        }
    }

    /// A timer of the trackers is due.
    pub fn on_tracker_timer<K: From<VrrpKey> + Copy>(
        &mut self,
        core: &mut Core<K>,
        now: Instant,
        k: crate::track::TrackKey,
        deadline: Instant,
    ) {
        if self
            .trackers
            .on_timer(&mut tracker_io(core), now, k, deadline)
        {
            self.trackers_changed(core, now);
        }
    }

    /// A tracker's script ended.
    pub fn on_tracker_child<K: From<VrrpKey> + Copy>(
        &mut self,
        core: &mut Core<K>,
        now: Instant,
        k: crate::track::TrackKey,
        id: crate::reactor::ChildId,
        end: crate::reactor::ChildEnd,
    ) {
        if self.trackers.on_child(k, id, end) {
            self.trackers_changed(core, now);
        }
    }

    /// Scripts, files or processes changed: every instance gets its new tracking (with its
    /// tracked interfaces once the monitor knows them, see [`VrrpExecutor::links_changed`]).
    fn trackers_changed<K: From<VrrpKey> + Copy>(&mut self, core: &mut Core<K>, now: Instant) {
        if self.monitor.synced() {
            self.links_changed(core, now, None);
            return;
        }
        for i in 0..self.insts.len() {
            let t = self.trackers.contribution(i);
            if self.insts[i].track != t {
                self.insts[i].track = t;
                let (weight, fault) = t;
                self.insts[i]
                    .machine
                    .handle_input(now, Input::Tracking { weight, fault });
                self.drain(core, now, i);
            }
        }
    }

    /// The summaries of the rate limit's windows that are over.
    fn flush_limit(&mut self, now: Instant) {
        let insts = &self.insts;
        self.limit.flush(now, |s| log_summary(insts, s));
    }

    /// Orderly stop: every master sends priority 0 and removes its VIPs (unless `-V`).
    pub fn stop<K: From<VrrpKey> + Copy>(&mut self, core: &mut Core<K>, now: Instant) {
        self.stopping = true;
        self.trackers.stop(core);
        for i in self.insts.live_indices() {
            self.retire(core, now, i);
        }
        self.firewall_stop();
        if !self.keep_vips {
            self.vmacs_down();
        }
    }

    /// Stops instance `i` (priority 0 if master, VIPs removed, STOP notifications) and releases
    /// its slot: what still names it (a due timer, a VMAC request, its sync group until the
    /// groups are rebuilt) no longer reaches the slot's next occupant.
    fn retire<K: From<VrrpKey> + Copy>(&mut self, core: &mut Core<K>, now: Instant, i: usize) {
        self.insts[i].machine.handle_input(now, Input::Shutdown);
        self.drain(core, now, i);
        self.insts[i].armed.cancel(core);
        if !self.stopping {
            self.vmac_retired(i);
        }
        if let Some(g) = self.group_of.get_mut(i) {
            *g = None;
        }
        self.insts.release(i);
        self.demux.stale = true;
    }

    /// SIGHUP with a configuration that loaded: instances whose parameters did not change keep
    /// their state, VIPs and timers untouched (no priority 0, no missed advert); removed ones
    /// stop as at shutdown (priority 0 if master, VIPs removed); new ones start in BACKUP. A
    /// changed instance is stopped and started again with its new parameters (documented: a
    /// master whose configuration changed hands over and may take over again).
    pub fn reload<K: From<VrrpKey> + Copy>(
        &mut self,
        cfg: &Config,
        core: &mut Core<K>,
        now: Instant,
    ) {
        self.demux.stale = true;
        let (planned, bad) = routed(plan(cfg));
        for b in &bad {
            error!("({}) cannot run: {}", b.name, b.why);
        }
        self.group4 = cfg.global.vrrp.mcast_group4;
        self.forwarding.clear();
        self.pace_cfg = send::PaceConfig::new(cfg);
        // Script user, script security and the notify scripts' files, as the new file says.
        self.notifier.load(cfg);
        let plan = reload::plan(
            self.insts
                .iter_live()
                .map(|(j, inst)| (j, inst.machine.params().name.as_str())),
            planned.iter().map(|p| p.params.name.as_str()),
            |j, n| {
                let (inst, p) = (&self.insts[j], &planned[n]);
                let mut want = p.params.clone();
                if p.io.src.is_none() {
                    want.primary_addr = inst.src;
                }
                // Compare as the machine normalizes them.
                let want = Instance::new(want, now).params().clone();
                want == *inst.machine.params() && p.io == inst.io
            },
        );
        let (same, changed, added, _) = plan.counts();
        let mut planned: Vec<Option<Planned>> = planned.into_iter().map(Some).collect();
        for step in plan.steps {
            let n = match step {
                Step::Keep { .. } => continue,
                Step::Restart { old: j, new: n } => {
                    info!(
                        "({}) configuration changed: restarting the instance",
                        self.insts[j].machine.params().name
                    );
                    self.retire(core, now, j);
                    n
                }
                Step::Add { new: n } => n,
            };
            let Some(p) = planned[n].take() else { continue };
            match self.add_instance(p, core, now) {
                Ok(i) => self.drain(core, now, i),
                Err(e) => error!("{e}"),
            }
        }
        for j in plan.removed {
            info!(
                "({}) removed from the configuration",
                self.insts[j].machine.params().name
            );
            self.insts[j].deleting = true;
            self.retire(core, now, j);
        }
        self.rebuild_groups(cfg);
        self.firewall_reload(cfg);
        self.restart_trackers(cfg, core, now);
        // New and restarted instances with `use_vmac` wait for theirs (made once the monitor
        // knows the links; at start that is its first dump).
        if self.monitor.synced() {
            self.vmacs_synced(core, now);
        }
        info!(
            "VRRP reload: {same} unchanged, {changed} changed, {added} new; {} instances in {} slots",
            self.len(),
            self.insts.len()
        );
    }
}

/// An instance's timer (see [`armed::SlotTimers::on_timer`]).
impl<K: From<VrrpKey> + Copy> SlotTimers<K> for VrrpExecutor {
    type Slot = VirtualRouter;
    fn timer_slots(&mut self) -> &mut Slots<VirtualRouter> {
        &mut self.insts
    }
    fn armed_of(slot: &mut VirtualRouter) -> &mut Armed {
        &mut slot.armed
    }
    /// A backup's timer (the Master_Down_Timer, in practice) first reads what its socket has
    /// queued: an advert that reached the host before the deadline but after the loop's poll
    /// (a late wake on a busy machine) is judged by its receive stamp before the timer decides.
    /// The reactor already delivers the wake's readable sockets before its timers; this covers
    /// the rest. A master's advert timer does not (one system call per advert for nothing).
    fn timed_out(&mut self, core: &mut Core<K>, now: Instant, i: usize) {
        if self.kernel_clock
            && self.insts[i].machine.state() == crate::vrrp::State::Backup
            && let Some(n) = self.insts[i].sock
        {
            let id = self.insts.id(i);
            self.on_socket(core, now, n);
            // The drain may have stopped the instance (a sync group's order, a fault).
            if self.insts.check(id) != Some(i) {
                return;
            }
        }
        self.floor = self.floor.max(now);
        self.insts[i].machine.handle_timeout(now);
        self.drain(core, now, i);
        self.flush_limit(now);
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

/// The instances without `interface` take theirs from the kernel's route to their first unicast
/// peer, and its preferred source unless `unicast_src_ip` is given (keepalived's man page says
/// so; 2.2.7 refuses them, "Unknown interface!"). One query each, answered within the send
/// ([`crate::netlink::route`]); asked again at every reload. No route: cannot run.
fn routed((planned, mut bad): (Vec<Planned>, Vec<Unrunnable>)) -> (Vec<Planned>, Vec<Unrunnable>) {
    let mut ok = Vec::with_capacity(planned.len());
    for mut p in planned {
        let Some(peer) = p.io.route_to else {
            ok.push(p);
            continue;
        };
        let name = crate::netlink::route::route_get(peer).and_then(|r| {
            let n = crate::sys::raw::if_name(r.oif)
                .ok_or_else(|| io::Error::from_raw_os_error(libc::ENODEV))?;
            Ok((n, r.prefsrc))
        });
        match name {
            Ok((n, src)) => {
                info!(
                    "({}) no interface configured: {n} from the route to {peer}",
                    p.params.name
                );
                p.io.interface = n;
                p.io.src = p.io.src.or(src.filter(|a| a.is_ipv4() == peer.is_ipv4()));
                ok.push(p);
            }
            Err(e) => bad.push(Unrunnable {
                name: p.params.name.clone(),
                why: format!("no interface, and no route to unicast peer {peer}: {e}"),
            }),
        }
    }
    (ok, bad)
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
