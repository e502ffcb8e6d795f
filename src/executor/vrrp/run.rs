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

use log::{debug, error, info, log, warn};

use crate::config::Config;
use crate::config::vrrp::{Family, IpAddress};
use crate::netlink::monitor::{Event as LinkEvent, Monitor};
use crate::netlink::names::{RtNames, SysNames};
use crate::netlink::rtnl::{Reply, Rtnl, Seq};
use crate::reactor::Core;
use crate::reactor::armed::Armed;
use crate::reactor::reload::{self, Step};
use crate::reactor::slots::{SlotId, Slots};
use crate::script::Spawn;
use crate::sys::KernelDrops;
use crate::sys::raw::{PacketSocket, RawIpSocket, if_addrs, if_index, if_mac};
use crate::time::Instant;
use crate::track::{Owner, Trackers};
use crate::vrrp::{Action, AdvertOut, Input, Instance, Output, RxMeta, SyncOutput, advert};
use crate::wire::vrrp::{self as wv, Addresses, ChecksumVariant};
use crate::wire::{self, IpPair};

use super::loglimit::LineKey;
use super::params::{Io, Planned, V3Checksum, plan};
use super::vmac::Vmac;

mod links;
mod sweep;
mod vmacs;

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

/// A raw IP socket (protocol 112) of one family on one interface: adverts of every instance there
/// leave and arrive through it.
struct AdvertSocket {
    raw: RawIpSocket,
    family: Family,
    ifindex: u32,
    token: mio::Token,
}

/// One VRRP instance at run time (a "virtual router", RFC 9568): its machine and the IO state the
/// executor keeps around it.
struct VirtualRouter {
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
    /// The state of our own interface last given to the machine (`None`: not yet known, taken as
    /// up).
    link_up: Option<bool>,
    /// The tracking (weight, fault) last given to the machine.
    track: (i32, bool),
    /// Wall-clock time of the last state change (for the dumps only).
    last_transition: std::time::SystemTime,
    /// Removed or replaced by a reload: stopped, its slot released (see [`Slots`]): a tombstone
    /// until a later instance takes the slot.
    retired: bool,
    /// Being removed by a reload: with `notify_deleted`, it reports DELETED instead of STOP.
    deleting: bool,
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
    /// The kernel refused an rtnetlink request (address, route, rule, VMAC).
    pub netlink_errors: u64,
    /// Datagrams the kernel dropped on our VRRP sockets before we could read them: a full
    /// receive buffer, and over IPv6 a checksum that failed (`IPV6_CHECKSUM` verifies it on
    /// receive, so such a packet never reaches [`DropReason::Checksum`]). Read from the
    /// sockets when the views are made ([`VrrpExecutor::views`]); not kept in `VrrpExecutor::counters`.
    pub kernel_drops: u64,
}

/// The VRRP side of the daemon.
pub struct VrrpExecutor {
    /// The instances; a reload reuses the slots of the ones it stops, and timers and VMAC
    /// requests name an occupant by [`SlotId`], so a stale one never reaches a new occupant.
    insts: Slots<VirtualRouter>,
    socks: Vec<AdvertSocket>,
    rtnl: Rtnl,
    monitor: Monitor,
    names: SysNames,
    /// Requests in flight: what they were for, to log a refusal.
    pending: HashMap<Seq, String>,
    frames: HashMap<u32, PacketSocket>,
    /// `net.ipv6.conf.<dev>.forwarding` by ifindex, read at an interface's first unsolicited NA
    /// and again after a link event for it or a reload (not on every NA).
    forwarding: HashMap<u32, bool>,
    /// VMAC link requests in flight: the instance and what the request was.
    vmac_reqs: HashMap<Seq, (SlotId, vmacs::Req)>,
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
    /// `vrrp_sync_group`s, and each instance's group (by index).
    groups: Vec<Group>,
    group_of: Vec<Option<usize>>,
    in_group_drain: bool,
    pub counters: GlobalCounters,
    /// The sockets' kernel drops since the counters were last cleared (the kernel's count
    /// cannot be reset).
    drops: KernelDrops,
    /// Lines about dropped packets and IO errors, rate-limited ([`super::loglimit`]).
    limit: super::loglimit::LogLimit,
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
        let (planned, bad) = plan(cfg);
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
            pending: HashMap::new(),
            frames: HashMap::new(),
            forwarding: HashMap::new(),
            vmac_reqs: HashMap::new(),
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
            groups: Vec::new(),
            group_of: Vec::new(),
            in_group_drain: false,
            counters: GlobalCounters::default(),
            drops: KernelDrops::default(),
            limit: super::loglimit::LogLimit::default(),
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
        let vmac = io
            .vmac
            .as_ref()
            .map(|c| vmacs::new_vmac(&name, c, &io, params.vrid, parent));
        // With a VMAC the VIPs and GARPs use it: known once it exists.
        let (ifindex, mac) = match &vmac {
            Some(v) => (0, v.mac),
            None => (parent, if_mac(&io.interface).unwrap_or([0; 6])),
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
        if io.no_accept {
            warn!(
                "({name}) no_accept: traffic to the VIPs is not filtered by keepalived-rs; keepalived would install an nftables drop rule"
            );
        }
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
            link_up: None,
            track: (0, false),
            last_transition: std::time::SystemTime::now(),
            retired: false,
            deleting: false,
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
            .socket_for(io.family, ifname, ifindex, core)
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
        let raw = match family {
            Family::Inet => RawIpSocket::v4(ifname, ifindex)?,
            Family::Inet6 => RawIpSocket::v6(ifname, ifindex)?,
        };
        // A socket no running instance uses (its interface gone, its instances removed) gives
        // its place, so that re-created interfaces do not add fds.
        let dead = (0..self.socks.len())
            .find(|&n| !self.insts.iter().any(|i| !i.retired && i.sock == Some(n)));
        let n = dead.unwrap_or(self.socks.len());
        let token = core.register_fd(
            &raw,
            mio::Interest::READABLE,
            K::from(VrrpKey::Socket(n as u32)),
        )?;
        let new = AdvertSocket {
            raw,
            family,
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
        self.insts.iter().filter(|i| !i.retired).count()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The machines, for dumps.
    pub fn instances(&self) -> impl Iterator<Item = &Instance> {
        self.insts.iter().filter(|i| !i.retired).map(|i| &i.machine)
    }

    /// Every instance as the dumps see it.
    pub fn views(&self) -> Vec<super::dump::View<'_>> {
        let daemon = GlobalCounters {
            kernel_drops: self.drops.since_reset(self.sock_fds()),
            ..self.counters
        };
        self.insts
            .iter()
            .filter(|i| !i.retired)
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
                        .iter()
                        .position(|x| !x.retired && x.machine.params().name == m.name)
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
            .map(|i| {
                if i.retired {
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
        self.insts
            .iter()
            .filter(|i| !i.retired)
            .filter_map(|i| i.armed.at())
            .min()
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
            VrrpKey::Timer(_) | VrrpKey::Script => {}
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

    /// A timer of instance `i` is due.
    pub fn on_timer<K: From<VrrpKey> + Copy>(
        &mut self,
        core: &mut Core<K>,
        now: Instant,
        id: SlotId,
        deadline: Instant,
    ) {
        // The reactor delivers no cancelled timer; the slot id (a released slot) and the armed
        // deadline are checked as well, as BFD checks them: one guard for every executor.
        let Some(i) = self.insts.check(id) else {
            return;
        };
        let inst = &mut self.insts[i];
        if !inst.armed.fired(deadline) {
            return;
        }
        inst.machine.handle_timeout(now);
        self.drain(core, now, i);
        self.flush_limit(now);
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
        for i in 0..self.insts.len() {
            if !self.insts[i].retired {
                self.retire(core, now, i);
            }
        }
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
        self.insts[i].retired = true;
        if let Some(g) = self.group_of.get_mut(i) {
            *g = None;
        }
        self.insts.release(i);
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
        let (planned, bad) = plan(cfg);
        for b in &bad {
            error!("({}) cannot run: {}", b.name, b.why);
        }
        self.group4 = cfg.global.vrrp.mcast_group4;
        self.forwarding.clear();
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

    fn on_socket<K: From<VrrpKey> + Copy>(&mut self, core: &mut Core<K>, now: Instant, n: usize) {
        loop {
            let Some(sock) = self.socks.get(n) else {
                return;
            };
            let r = match sock.raw.recv(&mut self.rx) {
                Ok(r) => r,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) => {
                    self.counters.receive_errors += 1;
                    let key = LineKey {
                        what: "receive error",
                        inst: NO_INST,
                        addr: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
                        level: log::Level::Warn,
                    };
                    limited(&mut self.limit, &self.insts, now, key, || {
                        format!("VRRP socket receive error: {e}")
                    });
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
    fn packet<K: From<VrrpKey> + Copy>(
        &mut self,
        core: &mut Core<K>,
        now: Instant,
        n: usize,
        r: crate::sys::raw::Received,
        rx: &[u8],
    ) {
        self.flush_limit(now);
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
                    limited(&mut self.limit, &self.insts, now, malformed(r.src), || {
                        format!("dropped a VRRP datagram from {}: {e}", r.src)
                    });
                    return;
                }
            },
            Family::Inet6 => {
                let (IpAddr::V6(src), Some(IpAddr::V6(dst))) = (r.src, r.dst) else {
                    self.counters.malformed += 1;
                    limited(&mut self.limit, &self.insts, now, malformed(r.src), || {
                        format!("dropped a VRRP datagram from {}: no destination", r.src)
                    });
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
                        limited(&mut self.limit, &self.insts, now, malformed(r.src), || {
                            format!("dropped a VRRP datagram from {}: {e}", r.src)
                        });
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
        if self.insts.iter().any(|i| i.src == src && i.sock == Some(n)) {
            return;
        }
        let repr = match wv::Repr::parse(&pkt) {
            Ok(r) => r,
            Err(e) => {
                self.counters.malformed += 1;
                limited(&mut self.limit, &self.insts, now, malformed(src), || {
                    format!("dropped a VRRP advert from {src}: {e}")
                });
                return;
            }
        };
        let mut addrs = std::mem::take(&mut self.addrs);
        addrs.clear();
        addrs.extend(repr.addresses.iter());
        let advert = advert::from_wire(&repr, &addrs);
        let meta = RxMeta {
            src,
            multicast,
            ttl,
        };
        let mut matched = false;
        for i in 0..self.insts.len() {
            let inst = &mut self.insts[i];
            if inst.retired || inst.sock != Some(n) || inst.machine.params().vrid != repr.vrid {
                continue;
            }
            matched = true;
            let follows = advert::follows_checksum(inst.machine.params().version, inst.io.family);
            let input = advert::classify(
                &pkt,
                &pair,
                inst.variant,
                follows,
                self.group4,
                advert,
                meta,
            );
            inst.machine.handle_input(now, input);
            self.drain(core, now, i);
        }
        self.addrs = addrs;
        if !matched {
            self.counters.unknown_vrid += 1;
            let key = LineKey {
                what: "unknown VRID",
                inst: NO_INST,
                addr: src,
                level: log::Level::Debug,
            };
            let vrid = repr.vrid;
            limited(&mut self.limit, &self.insts, now, key, || {
                format!("advert from {src} for VRID {vrid}: no instance")
            });
        }
    }

    fn on_rtnl<K: From<VrrpKey> + Copy>(&mut self, core: &mut Core<K>, now: Instant) {
        for reply in self.rtnl.recv() {
            if let Some((id, req)) = self.vmac_reqs.remove(&reply.seq()) {
                // The answer for an instance a reload stopped since is only counted.
                match self.insts.check(id) {
                    Some(i) => self.vmac_reply(core, now, i, req, reply),
                    None => {
                        if let Reply::Error { .. } = reply {
                            self.counters.netlink_errors += 1;
                        }
                    }
                }
                continue;
            }
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

    fn on_monitor<K: From<VrrpKey> + Copy>(&mut self, core: &mut Core<K>, now: Instant) {
        for ev in self.monitor.recv() {
            match ev {
                LinkEvent::LinkChange {
                    ifindex, name, mac, ..
                } => {
                    self.forwarding.remove(&ifindex);
                    if self.monitor.synced() {
                        self.adopt_link(core, now, ifindex, &name, mac);
                        self.links_changed(core, now, Some(ifindex));
                    }
                }
                LinkEvent::LinkRemoved { ifindex, name } => {
                    // At stop our VMACs go: not worth a warning.
                    let ours = |x: &&VirtualRouter| {
                        !x.retired && x.ifindex == ifindex && !(self.stopping && x.vmac.is_some())
                    };
                    for inst in self.insts.iter().filter(ours) {
                        warn!("({}) interface {name} removed", inst.machine.params().name);
                    }
                    // Its name no longer resolves: recompute every instance.
                    self.frames.remove(&ifindex);
                    self.forwarding.remove(&ifindex);
                    self.links_changed(core, now, None);
                    self.vmac_removed(core, now, ifindex);
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
                            self.insts[i]
                                .machine
                                .handle_input(now, Input::VipRemoved(addr));
                            self.drain(core, now, i);
                        }
                    }
                }
                LinkEvent::Synced => {
                    self.forwarding.clear();
                    // After a re-read (an overrun) interfaces may have been re-created unseen.
                    self.adopt_links(core, now);
                    self.vmacs_synced(core, now);
                    self.links_changed(core, now, None);
                }
                LinkEvent::AddrAdded { ifindex, .. } => self.address_added(ifindex),
                LinkEvent::DumpFailed { errno } => {
                    warn!("link dump failed: {}", io::Error::from_raw_os_error(errno));
                }
            }
        }
    }

    /// Gives the machines whose interface or tracked interfaces include `ifindex` (all, for
    /// `None`) the link state and tracking weight the monitor now knows, when they changed
    /// (`track_interface` weights: [`crate::track::weight::add_link`]).
    fn links_changed<K: From<VrrpKey> + Copy>(
        &mut self,
        core: &mut Core<K>,
        now: Instant,
        ifindex: Option<u32>,
    ) {
        for i in 0..self.insts.len() {
            let inst = &self.insts[i];
            if inst.retired {
                continue;
            }
            let up_of = |name: &str| {
                self.monitor
                    .ifindex(name)
                    .and_then(|x| self.monitor.link_by_index(x))
                    .is_some_and(|l| l.up)
            };
            let concerned = ifindex.is_none_or(|x| {
                inst.ifindex == x
                    || inst
                        .io
                        .track_ifs
                        .iter()
                        .any(|(n, _, _)| self.monitor.ifindex(n) == Some(x))
            });
            if !concerned {
                continue;
            }
            // A link the synced monitor does not know is gone: down.
            let own_up = match self.monitor.link_by_index(inst.ifindex) {
                Some(l) => l.up,
                None => !self.monitor.synced(),
            };
            // Scripts, files and processes, then the interfaces.
            let mut acc = self.trackers.contribution(i);
            for (name, w, reverse) in &inst.io.track_ifs {
                crate::track::weight::add_link(&mut acc, up_of(name), *w, *reverse);
            }
            let (weight, fault) = acc;
            let link_input = (!inst.io.dont_track_primary
                && inst.link_up.unwrap_or(true) != own_up)
                .then_some(own_up);
            let track_input = (inst.track != (weight, fault)).then_some((weight, fault));
            let inst = &mut self.insts[i];
            if let Some(up) = link_input {
                inst.link_up = Some(up);
                inst.machine.handle_input(now, Input::Link { up });
                self.drain(core, now, i);
            }
            if let Some((weight, fault)) = track_input {
                let inst = &mut self.insts[i];
                inst.track = (weight, fault);
                inst.machine
                    .handle_input(now, Input::Tracking { weight, fault });
                self.drain(core, now, i);
            }
            if own_up {
                self.vmac_seen_up(core, now, i);
            }
        }
    }

    fn dev_index(&self, inst: &VirtualRouter, a: &IpAddress) -> Option<u32> {
        match &a.dev {
            Some(d) => self.monitor.ifindex(d).or_else(|| if_index(d)),
            None => Some(inst.ifindex),
        }
    }

    /// Hands instance `i`'s outputs to the world, then re-arms its timer.
    fn drain<K: From<VrrpKey> + Copy>(&mut self, core: &mut Core<K>, now: Instant, i: usize) {
        self.drain_one(core, i);
        // Then the sync group, first in first out, unless a group drain is running already
        // (it picks up what the member it ordered produced).
        if self.in_group_drain {
            return;
        }
        let Some(g) = self.group_of.get(i).copied().flatten() else {
            return;
        };
        self.in_group_drain = true;
        while let Some(out) = self.groups[g].group.poll_output() {
            match out {
                SyncOutput::Order { member, order } => {
                    // Not to an instance stopped (or a slot reused) since the group was built.
                    if self.insts.is_live(member) && self.group_of.get(member) == Some(&Some(g)) {
                        self.insts[member]
                            .machine
                            .handle_input(now, Input::Sync(order));
                        self.drain_one(core, member);
                    }
                }
                SyncOutput::Event(ge) => self.group_event(core, g, &ge),
            }
        }
        self.in_group_drain = false;
    }

    /// A group's state change: its log line, its FIFO line, its notify scripts (`GROUP NAME
    /// STATE 0`, keepalived's arguments).
    fn group_event<K: From<VrrpKey> + Copy>(
        &mut self,
        core: &mut Core<K>,
        g: usize,
        ge: &crate::vrrp::GroupEvent,
    ) {
        info!("{}", ge.line());
        self.notifier.fifo_line(&ge.fifo_line());
        let crate::vrrp::GroupEvent::StateChange { group, to, .. } = ge;
        let scripts = self
            .notifier
            .group_scripts(&self.groups[g].notifies, group, *to);
        for s in scripts {
            self.run_script(core, &s);
        }
    }

    /// Instance `i`'s outputs to the world (and its events to its sync group), then its timer.
    fn drain_one<K: From<VrrpKey> + Copy>(&mut self, core: &mut Core<K>, i: usize) {
        while let Some(out) = self.insts[i].machine.poll_output() {
            match out {
                Output::Transmit(a) => self.transmit(i, &a),
                Output::Action(Action::AddVips { .. }) => self.vips(i, true),
                Output::Action(Action::DelVips) => {
                    if !(self.keep_vips && self.stopping) {
                        self.vips(i, false)
                    }
                }
                Output::Action(Action::Garp { repeat, .. }) => self.garp(i, repeat),
                Output::Action(Action::AdoptChecksum { variant, from }) => {
                    let inst = &mut self.insts[i];
                    warn!(
                        "({}) {from} sends VRRPv3 checksums {}; following it (was {})",
                        inst.machine.params().name,
                        variant_name(variant),
                        variant_name(inst.variant)
                    );
                    inst.variant = variant;
                }
                Output::Event(ev) => {
                    // Lines keepalived prints only with -D are debug lines without it.
                    let level = if ev.detail() && !self.log_detail {
                        log::Level::Debug
                    } else {
                        ev.level()
                    };
                    if let crate::vrrp::Event::Dropped { src, reason } = ev {
                        let key = LineKey {
                            what: reason.name(),
                            inst: i as u32,
                            addr: src,
                            level,
                        };
                        let name = &self.insts[i].machine.params().name;
                        limited(&mut self.limit, &self.insts, Instant::now(), key, || {
                            ev.line(name)
                        });
                    } else {
                        log!(level, "{}", ev.line(&self.insts[i].machine.params().name));
                    }
                    if let Some(g) = self.group_of.get(i).copied().flatten() {
                        self.groups[g].group.handle_event(i, &ev);
                    }
                    self.notify(core, i, &ev);
                }
            }
        }
        let slot = self.insts.id(i);
        let inst = &mut self.insts[i];
        // A machine waiting for its VMAC does not start (see `vmacs`).
        let held = inst.vmac.as_ref().is_some_and(Vmac::holds_machine) && !self.stopping;
        let want = if held {
            None
        } else {
            inst.machine.poll_timeout()
        };
        inst.armed.set(core, want, K::from(VrrpKey::Timer(slot)));
    }

    /// FIFO lines and scripts for one event of instance `i`, in the order of events.
    fn notify<K: From<VrrpKey> + Copy>(
        &mut self,
        core: &mut Core<K>,
        i: usize,
        ev: &crate::vrrp::Event,
    ) {
        use crate::vrrp::{Event, Note};
        let inst = &mut self.insts[i];
        let name = inst.machine.params().name.clone();
        let prio = inst.machine.priority();
        match *ev {
            Event::StateChange { to, .. } => {
                inst.last_transition = std::time::SystemTime::now();
                // notify_deleted: a reload's removal is DELETED, not STOP (keepalived 2.2+).
                let deleted =
                    to == crate::vrrp::State::Init && inst.deleting && inst.io.notifies.deleted;
                let word = if deleted {
                    "DELETED"
                } else {
                    super::notify::state_word(to)
                };
                self.notifier
                    .fifo_line(&format!("INSTANCE \"{name}\" {word} {prio}"));
                let scripts = if deleted {
                    self.notifier
                        .deleted_scripts(&self.insts[i].io.notifies, &name, prio)
                } else {
                    self.notifier
                        .scripts(&self.insts[i].io.notifies, &name, to, prio)
                };
                for s in scripts {
                    self.run_script(core, &s);
                }
            }
            Event::Note(Note::EffectivePriority { to, .. }) if inst.io.notify_priority_changes => {
                let word = match inst.machine.state() {
                    crate::vrrp::State::Master => "MASTER_PRIORITY",
                    _ => "BACKUP_PRIORITY",
                };
                self.notifier
                    .fifo_line(&format!("INSTANCE \"{name}\" {word} {to}"));
            }
            Event::Note(Note::LowerPriority { .. }) => {
                self.notifier
                    .fifo_line(&format!("INSTANCE \"{name}\" MASTER_RX_LOWER_PRI {prio}"));
                if let Some(s) = self.notifier.rx_lower_pri(&self.insts[i].io.notifies) {
                    self.run_script(core, &s);
                }
            }
            _ => {}
        }
    }

    fn run_script<K: From<VrrpKey> + Copy>(&mut self, core: &mut Core<K>, s: &Spawn) {
        s.start(core, K::from(VrrpKey::Script));
    }

    fn transmit(&mut self, i: usize, a: &AdvertOut) {
        let inst = &self.insts[i];
        let p = inst.machine.params();
        let addresses = match inst.io.family {
            Family::Inet => Addresses::V4(&inst.vips4),
            Family::Inet6 => Addresses::V6(&inst.vips6),
        };
        let repr = advert::to_wire(a, &p.auth, addresses);
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
        let Some(sock) = inst.sock else {
            debug!("({}) no VRRP socket yet: advert not sent", p.name);
            return;
        };
        let mut failed = Vec::new();
        for &dst in dsts {
            let res = match (inst.src, dst) {
                (IpAddr::V4(s), IpAddr::V4(d)) => {
                    self.ip_ident = self.ip_ident.wrapping_add(1);
                    let mut ip = wire::ipv4::Repr::vrrp(s, d, self.ip_ident, 0);
                    ip.ttl = ttl;
                    wv::emit_ipv4_datagram(&mut self.tx, &ip, &repr, inst.variant)
                        .map_err(|e| io::Error::other(e.to_string()))
                        .and_then(|n| self.socks[sock].raw.send(&self.tx[..n], dst, None))
                }
                (IpAddr::V6(s), IpAddr::V6(d)) => {
                    let len = repr.buffer_len();
                    let pair = IpPair::V6 { src: s, dst: d };
                    let mut pkt = wv::Packet::new_unchecked(&mut self.tx[..len], wire::Family::V6);
                    repr.emit(&mut pkt, &pair, ChecksumVariant::Ipv6Pseudo)
                        .map_err(|e| io::Error::other(e.to_string()))
                        .and_then(|()| self.socks[sock].raw.send(&self.tx[..len], dst, Some(s)))
                }
                _ => Err(io::Error::other("address families differ")),
            };
            if let Err(e) = res {
                // Logged after the loop (`inst` is borrowed here); no allocation without one.
                failed.push((dst, e));
            }
        }
        for (dst, e) in failed {
            self.counters.send_errors += 1;
            let key = LineKey {
                what: "send error",
                inst: i as u32,
                addr: dst,
                level: log::Level::Warn,
            };
            let name = &self.insts[i].machine.params().name;
            let line = format!("({name}) cannot send advert to {dst}: {e}");
            limited(&mut self.limit, &self.insts, Instant::now(), key, || line);
        }
    }

    fn vips(&mut self, i: usize, add: bool) {
        let inst = &self.insts[i];
        if inst.vips_on == add {
            return;
        }
        let name = inst.machine.params().name.clone();
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

    /// `repeat` gratuitous ARPs / unsolicited NAs for every VIP and eVIP of instance `i`, each on
    /// the interface it is installed on (its `dev`, else the instance's), from that interface's
    /// MAC. The NA's Router flag is set when IPv6 forwarding is on for the interface, as keepalived
    /// does.
    fn garp(&mut self, i: usize, repeat: u32) {
        let inst = &self.insts[i];
        let name = inst.machine.params().name.clone();
        let mut targets: Vec<(u32, String, IpAddr)> = Vec::new();
        for a in inst.io.vips.iter().chain(&inst.io.evips) {
            let dev = a.dev.clone().unwrap_or_else(|| inst.io.interface.clone());
            let Some(ifindex) = self.dev_index(inst, a) else {
                continue;
            };
            targets.push((ifindex, dev, a.addr.addr));
        }
        let mut buf = [0u8; 128];
        for (ifindex, dev, v) in targets {
            // `use_vmac_addr`: the virtual MAC for VIPs on other interfaces too.
            let vmac_everywhere = self.insts[i]
                .vmac
                .as_ref()
                .is_some_and(|v| v.addr_on_others);
            let mac = if ifindex == self.insts[i].ifindex || vmac_everywhere {
                self.insts[i].mac
            } else {
                self.link_mac(ifindex, &dev)
            };
            let mac = wire::ethernet::Address(mac);
            let router = v.is_ipv6() && self.ipv6_forwarding(ifindex, &dev);
            let sock = match self.frames.entry(ifindex) {
                std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::hash_map::Entry::Vacant(e) => match PacketSocket::new(ifindex) {
                    Ok(s) => e.insert(s),
                    Err(e) => {
                        error!("({name}) cannot open a packet socket on {dev}: {e}");
                        continue;
                    }
                },
            };
            for _ in 0..repeat {
                let n = match v {
                    IpAddr::V4(a) => wire::arp::emit_gratuitous_frame(&mut buf, mac, a),
                    IpAddr::V6(a) => {
                        wire::ndisc::emit_unsolicited_na_frame(&mut buf, mac, a, router)
                    }
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

    /// The MAC of interface `ifindex` as the link monitor has it (its first 6 bytes, as
    /// `SIOCGIFHWADDR` gives them); asked of the kernel only for a link the monitor does not know.
    fn link_mac(&self, ifindex: u32, dev: &str) -> [u8; 6] {
        match self.monitor.link_by_index(ifindex) {
            Some(l) => {
                let mut mac = [0; 6];
                let b = l.mac.as_ref().map_or(&[][..], |m| m.as_bytes());
                mac.iter_mut().zip(b).for_each(|(d, s)| *d = *s);
                mac
            }
            None => if_mac(dev).unwrap_or([0; 6]),
        }
    }

    /// Whether IPv6 forwarding is on for `dev` (keepalived sets the NA's Router flag then): the
    /// sysctl, read once per interface until a link event for it or a reload.
    fn ipv6_forwarding(&mut self, ifindex: u32, dev: &str) -> bool {
        *self.forwarding.entry(ifindex).or_insert_with(|| {
            std::fs::read_to_string(format!("/proc/sys/net/ipv6/conf/{dev}/forwarding"))
                .is_ok_and(|s| s.trim() == "1")
        })
    }
}

/// [`LineKey::inst`] of a datagram that reached no instance.
const NO_INST: u32 = u32::MAX;

fn malformed(src: IpAddr) -> LineKey {
    LineKey {
        what: "malformed",
        inst: NO_INST,
        addr: src,
        level: log::Level::Debug,
    }
}

/// Logs `line()` with `key`'s level unless the rate limit holds it back (then it is only
/// counted for a summary line). Nothing is formatted for a line that is not logged.
fn limited(
    limit: &mut super::loglimit::LogLimit,
    insts: &Slots<VirtualRouter>,
    now: Instant,
    key: LineKey,
    line: impl FnOnce() -> String,
) {
    if log::log_enabled!(key.level) && limit.check(now, key, |s| log_summary(insts, s)) {
        log!(key.level, "{}", line());
    }
}

/// One summary line of the rate limit.
fn log_summary(insts: &Slots<VirtualRouter>, s: super::loglimit::Summary) {
    let secs = super::loglimit::WINDOW.as_secs();
    let n = s.suppressed;
    let Some(k) = s.key else {
        warn!("{n} more log lines about dropped VRRP packets not logged in {secs} s (rate limit)");
        return;
    };
    let prefix = insts
        .get(k.inst as usize)
        .map(|i| format!("({}) ", i.machine.params().name))
        .unwrap_or_default();
    log!(
        k.level,
        "{prefix}{n} more lines like the last ({}, {}) not logged in {secs} s (rate limit)",
        k.what,
        k.addr
    );
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
