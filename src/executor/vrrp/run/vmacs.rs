//! The executor's side of VMACs (`use_vmac`): the steps of [`super::super::vmac`]'s module doc,
//! driven by the monitor's dump, the rtnetlink ACKs and the link events.

use std::net::IpAddr;

use log::{error, info, warn};

use super::{RequestTag, VirtualRouter, VrrpExecutor, VrrpKey};
use crate::config::vrrp::{Family, IpAddress};
use crate::config::{At, value::Prefix};
use crate::executor::vrrp::kernel_terms::send_address;
use crate::executor::vrrp::params::{Io, IpvlanConf, VmacConf};
use crate::executor::vrrp::vmac::{self, Choice, IpvlanLink, LinkView, Phase, Vmac};
use crate::netlink::request::Op;
use crate::netlink::wire::MACVLAN_MODE_PRIVATE;
use crate::netlink::{NewIpvlan, NewMacvlan, Outcome, RequestError, Seq};
use crate::reactor::Core;
use crate::sys::raw::if_index;
use crate::time::Instant;
use crate::vrrp::Input;

/// What a VMAC link request in flight was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Req {
    /// Deleting an incompatible macvlan that holds the configured name.
    DeleteOld,
    Create,
}

/// The VMAC of an instance named `inst` on interface `parent`, before anything is known.
pub(super) fn new_vmac(inst: &str, c: &VmacConf, io: &Io, vrid: u8, parent: u32) -> Vmac {
    let group = c.group.as_deref().and_then(|g| {
        let n = vmac::group_number(g);
        if n.is_none() {
            warn!("({inst}) group `{g}` is unknown - using the parent's group");
        }
        n
    });
    Vmac {
        name: c.name.clone().unwrap_or_default(),
        configured_name: c.name.clone(),
        mac: vmac::virtual_mac(io.family, vrid, c.mac.as_deref()),
        parent,
        parent_name: io.interface.clone(),
        group,
        ifindex: None,
        phase: Phase::Wait,
        xmit_base: c.xmit_base,
        addr_on_others: c.addr_on_others,
        keep_ipv6: io.family == Family::Inet && io.evips.iter().any(|a| a.addr.addr.is_ipv6()),
        holds_parent: false,
        ipvlan: None,
    }
}

/// The ipvlan (`use_ipvlan`) of an instance named `inst` on interface `parent`, before anything
/// is known: a [`Vmac`] with [`Vmac::ipvlan`] set (see [`super::super::vmac`]).
pub(super) fn new_ipvlan(inst: &str, c: &IpvlanConf, io: &Io, parent: u32) -> Vmac {
    let vm = VmacConf {
        name: c.name.clone(),
        mac: None,
        group: c.group.clone(),
        xmit_base: c.xmit_base,
        addr_on_others: false,
    };
    let mut v = new_vmac(inst, &vm, io, 0, parent);
    v.ipvlan = Some(IpvlanLink {
        flags: c.flags,
        addr: c.addr,
    });
    v
}

fn name_of(inst: &VirtualRouter) -> String {
    inst.machine.params().name.clone()
}

impl VrrpExecutor {
    /// The monitor knows every link: each waiting VMAC is reused, created or replaced.
    pub(super) fn vmacs_synced<K: From<VrrpKey> + Copy>(
        &mut self,
        core: &mut Core<K>,
        now: Instant,
    ) {
        for i in 0..self.insts.len() {
            let Some(v) = &self.insts[i].vmac else {
                continue;
            };
            if v.phase != Phase::Wait {
                continue;
            }
            let taken: Vec<String> = self
                .insts
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .filter_map(|(_, x)| x.vmac.as_ref())
                .filter(|x| x.phase != Phase::Wait)
                .map(|x| x.name.clone())
                .collect();
            let taken: Vec<&str> = taken.iter().map(String::as_str).collect();
            let links: Vec<LinkView<'_>> = self
                .monitor
                .links()
                .map(|(ifindex, l)| LinkView {
                    ifindex,
                    name: &l.name,
                    mac: l.mac.as_ref().map(|m| m.as_bytes()),
                    parent: l.parent,
                    kind: l.kind.as_deref(),
                    macvlan_mode: l.macvlan_mode,
                })
                .collect();
            let inst = &self.insts[i];
            let (name, vrid) = (&inst.machine.params().name, inst.machine.params().vrid);
            let configured = v.configured_name.as_deref();
            let choice = match v.ipvlan {
                Some(_) => vmac::choose_ipvlan(name, vrid, configured, v.parent, &links, &taken),
                None => vmac::choose(
                    name,
                    vrid,
                    inst.io.family,
                    configured,
                    v.mac,
                    v.parent,
                    &links,
                    &taken,
                ),
            };
            match choice {
                Choice::Reuse { ifindex, name } => {
                    if let Some(v) = &mut self.insts[i].vmac {
                        v.name = name;
                    }
                    self.vmac_configure(core, now, i, ifindex, true);
                }
                Choice::Create { name } => {
                    if let Some(v) = &mut self.insts[i].vmac {
                        v.name = name;
                    }
                    self.vmac_create(core, now, i);
                }
                Choice::Replace { old, name } => {
                    let tag = RequestTag::Vmac(self.insts.id(i), Req::DeleteOld);
                    let r = self.rtnl.del_link(old, &name, tag);
                    if let Some(v) = &mut self.insts[i].vmac {
                        v.name = name;
                        v.phase = Phase::Deleting;
                    }
                    self.vmac_sent(core, now, i, r);
                }
            }
        }
    }

    fn vmac_create<K: From<VrrpKey> + Copy>(&mut self, core: &mut Core<K>, now: Instant, i: usize) {
        let Some(v) = &self.insts[i].vmac else { return };
        // keepalived 2.3+: the parent's group, so that firewall rules on groups still match.
        let group = v.group.or_else(|| {
            self.monitor
                .link_by_index(v.parent)
                .map(|l| l.group)
                .filter(|&g| g != 0)
        });
        let tag = RequestTag::Vmac(self.insts.id(i), Req::Create);
        let r = match &v.ipvlan {
            Some(iv) => {
                let m = NewIpvlan {
                    name: v.name.clone(),
                    parent: v.parent,
                    flags: iv.flags,
                    group,
                };
                self.rtnl.add_ipvlan(&m, tag)
            }
            None => {
                let m = NewMacvlan {
                    name: v.name.clone(),
                    parent: v.parent,
                    mac: v.mac,
                    mode: MACVLAN_MODE_PRIVATE,
                    group,
                };
                self.rtnl.add_macvlan(&m, tag)
            }
        };
        if let Some(v) = &mut self.insts[i].vmac {
            v.phase = Phase::Creating;
        }
        self.vmac_sent(core, now, i, r);
    }

    fn vmac_sent<K: From<VrrpKey> + Copy>(
        &mut self,
        core: &mut Core<K>,
        now: Instant,
        i: usize,
        r: Result<Seq, RequestError>,
    ) {
        if let Err(e) = r {
            self.vmac_fail(core, now, i, &e.to_string());
        }
    }

    /// The kernel's answer to a VMAC link request of instance `i`.
    pub(super) fn vmac_reply<K: From<VrrpKey> + Copy>(
        &mut self,
        core: &mut Core<K>,
        now: Instant,
        i: usize,
        req: Req,
        outcome: &Outcome,
    ) {
        let Some(v) = self.insts.get(i).and_then(|x| x.vmac.as_ref()) else {
            return;
        };
        let (name, kind) = (v.name.clone(), v.what());
        match (req, outcome.errno()) {
            (_, Some(errno)) => {
                self.counters.netlink_errors += 1;
                let e = std::io::Error::from_raw_os_error(errno);
                let what = if req == Req::Create {
                    format!("Unable to create {kind} interface {name}: {e}")
                } else {
                    format!("Unable to remove old {kind} interface {name}: {e}")
                };
                self.vmac_fail(core, now, i, &what);
            }
            (Req::DeleteOld, None) => self.vmac_create(core, now, i),
            (Req::Create, None) if self.stopping => {}
            (Req::Create, None) => {
                let inst = name_of(&self.insts[i]);
                match if_index(&name) {
                    Some(ifindex) => {
                        info!("({inst}) Success creating {kind} interface {name}");
                        self.vmac_configure(core, now, i, ifindex, false);
                    }
                    None => self.vmac_fail(
                        core,
                        now,
                        i,
                        &format!("{kind} interface {name} vanished after creation"),
                    ),
                }
            }
        }
    }

    /// The VMAC exists as `ifindex`: the instance moves onto it; sysctls, addresses, up, socket.
    fn vmac_configure<K: From<VrrpKey> + Copy>(
        &mut self,
        core: &mut Core<K>,
        now: Instant,
        i: usize,
        ifindex: u32,
        reused: bool,
    ) {
        let inst_name = name_of(&self.insts[i]);
        if self.insts[i]
            .vmac
            .as_ref()
            .is_some_and(|v| v.ipvlan.is_some())
        {
            return self.ipvlan_configure(core, now, i, ifindex);
        }
        let inst = &mut self.insts[i];
        let Some(v) = &mut inst.vmac else { return };
        v.ifindex = Some(ifindex);
        v.phase = Phase::Configured;
        inst.ifindex = ifindex;
        let (name, parent_name, keep_ipv6, xmit_base) = (
            v.name.clone(),
            v.parent_name.clone(),
            v.keep_ipv6,
            v.xmit_base,
        );
        let family = inst.io.family;
        if family == Family::Inet {
            self.sysctls.configure_v4(&name, &parent_name, keep_ipv6);
            if let Some(v) = &mut self.insts[i].vmac {
                v.holds_parent = true;
            }
        }
        if family == Family::Inet6 || keep_ipv6 {
            self.sysctls.configure_v6(&name);
        }
        let inst = &self.insts[i];
        let mut addrs: Vec<(bool, IpAddress)> = Vec::new();
        if reused {
            // keepalived sets `vipset` on an interface that existed: VIPs a previous run left
            // on it are removed (not there: done), with the start-up sweep's exceptions (see
            // `sweep.rs`: an owner's addresses, advert sources).
            let keep = self.kept_at_start();
            addrs.extend(
                inst.io
                    .vips
                    .iter()
                    .chain(&inst.io.evips)
                    .filter(|a| a.dev.is_none() && !keep.contains(&a.addr.addr))
                    .map(|a| (false, a.clone())),
            );
        }
        if let IpAddr::V6(src) = inst.src {
            // keepalived: the adverts leave the VMAC from the parent's link-local address (or
            // the configured source), which must be on the VMAC (RFC 5798 7.4: not one made
            // from the virtual MAC).
            addrs.push((true, link_local(src)));
        }
        for (add, a) in addrs {
            let verb = if add { "adding" } else { "removing stale" };
            let tag = RequestTag::Log(format!("({inst_name}) {verb} {} on {name}", a.addr));
            let op = if add { Op::Add } else { Op::Del };
            if let Err(e) = send_address(&mut self.rtnl, op, ifindex, &a, tag) {
                error!("({inst_name}) {} on {name}: {e}", a.addr);
            }
        }
        self.link_up_and_socket(core, now, i, ifindex, xmit_base);
    }

    /// Instance `i`'s VMAC or ipvlan `ifindex` is set up and, unless `xmit_base`, gets the
    /// VRRP socket; the monitor may already know it up (a reused one).
    fn link_up_and_socket<K: From<VrrpKey> + Copy>(
        &mut self,
        core: &mut Core<K>,
        now: Instant,
        i: usize,
        ifindex: u32,
        xmit_base: bool,
    ) {
        let inst_name = name_of(&self.insts[i]);
        let Some(name) = self.insts[i].vmac.as_ref().map(|v| v.name.clone()) else {
            return;
        };
        let tag = RequestTag::Log(format!("({inst_name}) setting {name} up"));
        if let Err(e) = self.rtnl.set_link_up(ifindex, &name, true, tag) {
            error!("({inst_name}) cannot set {name} up: {e}");
        }
        if !xmit_base {
            let io = self.insts[i].io.clone();
            match self.open_socket(&inst_name, &io, &name, ifindex, core) {
                Ok(n) => self.insts[i].sock = Some(n),
                Err(e) => error!("{e}"),
            }
            self.demux.stale = true;
        }
        self.links_changed(core, now, Some(ifindex));
    }

    /// The ipvlan exists as `ifindex`: IPv6 off unless needed, its address, up, the socket. The
    /// instance stays on its interface (VIPs, GARPs); a stale VIP there was the start-up
    /// sweep's.
    fn ipvlan_configure<K: From<VrrpKey> + Copy>(
        &mut self,
        core: &mut Core<K>,
        now: Instant,
        i: usize,
        ifindex: u32,
    ) {
        let inst_name = name_of(&self.insts[i]);
        let inst = &mut self.insts[i];
        let family = inst.io.family;
        let Some(v) = &mut inst.vmac else { return };
        v.ifindex = Some(ifindex);
        v.phase = Phase::Configured;
        let (name, keep_ipv6, xmit_base) = (v.name.clone(), v.keep_ipv6, v.xmit_base);
        let addr = v.ipvlan.as_ref().and_then(|x| x.addr);
        self.sysctls
            .configure_ipvlan(&name, family == Family::Inet6 || keep_ipv6);
        if let Some(p) = addr {
            let full = if p.addr.is_ipv4() { 32 } else { 128 };
            let mut a = IpAddress::plain(
                Prefix {
                    addr: p.addr,
                    len: p.len.or(Some(full)),
                },
                At::default(),
            );
            a.no_track = true;
            let tag = RequestTag::Log(format!("({inst_name}) adding {} on {name}", p.addr));
            if let Err(e) = send_address(&mut self.rtnl, Op::Add, ifindex, &a, tag) {
                error!("({inst_name}) {} on {name}: {e}", p.addr);
            }
        } else if family == Family::Inet {
            // keepalived: the instance has no address to send from and stays in FAULT.
            return self.vmac_fail(core, now, i, &format!("ipvlan {name} has no address"));
        }
        self.link_up_and_socket(core, now, i, ifindex, xmit_base);
    }

    /// The monitor sees instance `i`'s own link up: a configured VMAC lets its machine start.
    pub(super) fn vmac_seen_up<K: From<VrrpKey> + Copy>(
        &mut self,
        core: &mut Core<K>,
        now: Instant,
        i: usize,
    ) {
        let inst = &mut self.insts[i];
        let Some(v) = &mut inst.vmac else {
            return;
        };
        if v.phase != Phase::Configured {
            return;
        }
        if v.ipvlan.is_some() {
            // Its own link, not the instance's interface, must be up.
            let up = v.ifindex.and_then(|x| self.monitor.link_by_index(x));
            if !up.is_some_and(|l| l.up) {
                return;
            }
            // IPv6 without a configured source: the ipvlan's own link-local address (the
            // kernel makes it another than the parent's), as keepalived; waited for (an
            // address event brings us back here).
            if inst.io.family == Family::Inet6 && inst.io.src.is_none() {
                match super::primary_address(&v.name, Family::Inet6) {
                    Some(a) => {
                        inst.src = a;
                        self.demux.stale = true;
                    }
                    None => return,
                }
            }
            info!(
                "({}) ipvlan {} up on {}",
                inst.machine.params().name,
                v.name,
                v.parent_name
            );
        } else {
            info!(
                "({}) VMAC {} ({}) up on {}",
                inst.machine.params().name,
                v.name,
                mac_text(v.mac),
                v.parent_name
            );
        }
        v.phase = Phase::Running;
        self.drain(core, now, i);
    }

    /// The VMAC cannot be made: the instance runs with its interface down (FAULT).
    fn vmac_fail<K: From<VrrpKey> + Copy>(
        &mut self,
        core: &mut Core<K>,
        now: Instant,
        i: usize,
        why: &str,
    ) {
        let inst = &mut self.insts[i];
        error!(
            "({}) {why} - the instance stays in FAULT",
            inst.machine.params().name
        );
        if let Some(v) = &mut inst.vmac {
            v.phase = Phase::Failed;
        }
        inst.link_up = Some(false);
        inst.machine.handle_input(now, Input::Link { up: false });
        self.drain(core, now, i);
    }

    /// Link `ifindex` is gone: a running VMAC is created again, as keepalived does.
    pub(super) fn vmac_removed<K: From<VrrpKey> + Copy>(
        &mut self,
        core: &mut Core<K>,
        now: Instant,
        ifindex: u32,
    ) {
        if self.stopping {
            return;
        }
        for i in 0..self.insts.len() {
            let inst = &mut self.insts[i];
            let Some(v) = &mut inst.vmac else { continue };
            if v.ifindex != Some(ifindex) || !matches!(v.phase, Phase::Configured | Phase::Running)
            {
                continue;
            }
            warn!(
                "({}) {} interface {} was removed - creating it again",
                inst.machine.params().name,
                v.what(),
                v.name
            );
            v.ifindex = None;
            if !v.xmit_base {
                inst.sock = None;
                self.demux.stale = true;
            }
            // An ipvlan's instance stays on its interface.
            if v.ipvlan.is_none() {
                inst.ifindex = 0;
            }
            if v.holds_parent {
                v.holds_parent = false;
                let parent = v.parent_name.clone();
                self.sysctls.release_parent(&parent);
            }
            // The parent went too: made again when it comes back (see `links`).
            if self.monitor.link_by_index(v.parent).is_none() {
                info!(
                    "({}) waiting for interface {} to make VMAC {} again",
                    inst.machine.params().name,
                    v.parent_name,
                    v.name
                );
                v.phase = Phase::Wait;
                continue;
            }
            self.vmac_create(core, now, i);
        }
    }

    /// Instance `i` is stopped by a reload and its slot released: it gives up its hold on the
    /// parent's sysctls, and its VMAC goes with it if the instance was removed from the
    /// configuration (keepalived removes the VMACs of removed instances at reload). A changed
    /// instance leaves its VMAC to its successor, which finds it by name and reuses it. Either
    /// way the tombstone no longer claims the link (nothing to delete at stop).
    pub(super) fn vmac_retired(&mut self, i: usize) {
        let deleting = self.insts[i].deleting;
        self.vmac_let_go(i, deleting);
        if let Some(v) = &mut self.insts[i].vmac {
            v.phase = Phase::Failed;
        }
    }

    /// At stop: every VMAC that may exist is deleted and the sysctls are put back (not with
    /// `-V`, whose VIPs stay on the VMACs).
    pub(super) fn vmacs_down(&mut self) {
        for i in 0..self.insts.len() {
            self.vmac_let_go(i, true);
        }
        self.sysctls.restore_rp_filter();
    }

    /// Instance `i` releases the parent's sysctls and, with `delete`, deletes its VMAC if it
    /// may exist.
    fn vmac_let_go(&mut self, i: usize, delete: bool) {
        let inst = &mut self.insts[i];
        let Some(v) = &mut inst.vmac else { return };
        if v.holds_parent {
            v.holds_parent = false;
            let parent = v.parent_name.clone();
            self.sysctls.release_parent(&parent);
        }
        let inst = &self.insts[i];
        let Some(v) = &inst.vmac else { return };
        if !delete || !v.may_exist() {
            return;
        }
        // Still being created: the kernel made it inside the send; find it by name.
        let Some(ifindex) = v.ifindex.or_else(|| if_index(&v.name)) else {
            return;
        };
        let (inst_name, name) = (inst.machine.params().name.clone(), v.name.clone());
        let kind = v.what();
        let tag = RequestTag::Log(format!("({inst_name}) removing {kind} {name}"));
        match self.rtnl.del_link(ifindex, &name, tag) {
            Ok(_) => info!("({inst_name}) Removing {kind} interface {name}"),
            Err(e) => error!("({inst_name}) cannot remove {kind} {name}: {e}"),
        }
    }
}

/// `src`/64 as an address to add (no DAD, as keepalived).
fn link_local(src: std::net::Ipv6Addr) -> IpAddress {
    let mut a = IpAddress::plain(
        Prefix {
            addr: IpAddr::V6(src),
            len: Some(64),
        },
        At::default(),
    );
    a.no_track = true;
    a
}

fn mac_text(m: [u8; 6]) -> String {
    crate::netlink::HwAddr::new(&m)
        .map(|a| a.to_string())
        .unwrap_or_default()
}
