//! The kernel side: VIPs, virtual routes and rules as rtnetlink requests, their ACKs, and the link and address monitor (links going down and up, VIPs removed behind our back).

use crate::config::vrrp::IpAddress;
use crate::executor::vrrp::kernel_terms::{send_address, send_route, send_rule};
use crate::netlink::monitor::Event as LinkEvent;
use crate::netlink::request::Op;
use crate::netlink::tracker::Outcome;
use crate::reactor::Core;
use crate::sys::raw::if_index;
use crate::time::Instant;
use crate::vrrp::Input;
use log::{error, info, warn};
use std::io;

use super::{RequestTag, VirtualRouter, VrrpExecutor, VrrpKey, route_dest};

impl VrrpExecutor {
    pub(super) fn on_rtnl<K: From<VrrpKey> + Copy>(&mut self, core: &mut Core<K>, now: Instant) {
        for reply in self.rtnl.recv() {
            match reply.tag {
                RequestTag::Vmac(id, req) => match self.insts.check(id) {
                    Some(i) => self.vmac_reply(core, now, i, req, &reply.outcome),
                    // The answer for an instance a reload stopped since is only counted.
                    None => {
                        if reply.outcome.errno().is_some() {
                            self.counters.netlink_errors += 1;
                        }
                    }
                },
                RequestTag::Log(what) => {
                    if reply.outcome == Outcome::Lost {
                        // The command socket overran: whether the kernel did it is unknown.
                        // Read the tables again; once they are in, every instance's VIPs,
                        // routes and rules are asked for again (see `resend_after_loss`).
                        self.lost_requests = true;
                        if let Err(e) = self.monitor.start_dump() {
                            warn!("rtnetlink dump: {e}");
                        }
                    }
                    if let Some(errno) = reply.outcome.errno() {
                        self.counters.netlink_errors += 1;
                        error!(
                            "Kernel refused {what}: {}",
                            io::Error::from_raw_os_error(errno)
                        );
                    }
                }
            }
        }
    }

    pub(super) fn on_monitor<K: From<VrrpKey> + Copy>(&mut self, core: &mut Core<K>, now: Instant) {
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
                        x.ifindex == ifindex && !(self.stopping && x.vmac.is_some())
                    };
                    for inst in self.insts.live_values().filter(ours) {
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
                    self.resend_after_loss();
                }
                LinkEvent::AddrAdded { ifindex, .. } => {
                    self.address_added(ifindex);
                    // An IPv6 ipvlan waits for its link-local address (`vmacs.rs`).
                    let waits = self.insts.live_values().any(|x| {
                        x.vmac.as_ref().is_some_and(|v| {
                            v.ipvlan.is_some() && v.ifindex == Some(ifindex) && v.holds_machine()
                        })
                    });
                    if waits {
                        self.links_changed(core, now, Some(ifindex));
                    }
                }
                LinkEvent::DumpFailed { errno } => {
                    warn!("link dump failed: {}", io::Error::from_raw_os_error(errno));
                }
            }
        }
    }

    /// Gives the machines whose interface or tracked interfaces include `ifindex` (all, for
    /// `None`) the link state and tracking weight the monitor now knows, when they changed
    /// (`track_interface` weights: [`crate::track::weight::add_link`]).
    pub(super) fn links_changed<K: From<VrrpKey> + Copy>(
        &mut self,
        core: &mut Core<K>,
        now: Instant,
        ifindex: Option<u32>,
    ) {
        for i in 0..self.insts.len() {
            if !self.insts.is_live(i) {
                continue;
            }
            let inst = &self.insts[i];
            let up_of = |name: &str| {
                self.monitor
                    .ifindex(name)
                    .and_then(|x| self.monitor.link_by_index(x))
                    .is_some_and(|l| l.up)
            };
            let concerned = ifindex.is_none_or(|x| {
                inst.ifindex == x
                    || inst.vmac.as_ref().is_some_and(|v| v.ifindex == Some(x))
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

    pub(super) fn dev_index(&self, inst: &VirtualRouter, a: &IpAddress) -> Option<u32> {
        match &a.dev {
            Some(d) => self.monitor.ifindex(d).or_else(|| if_index(d)),
            None => Some(inst.ifindex),
        }
    }

    /// After answers were lost ([`Outcome::Lost`]) and the tables read again: every running
    /// instance asks again for what it holds (VIPs, routes and rules on a master, none on the
    /// others). Every request is idempotent: what is already done answers "already done".
    fn resend_after_loss(&mut self) {
        if !std::mem::take(&mut self.lost_requests) || self.stopping {
            return;
        }
        warn!("rtnetlink answers were lost: sending every instance's addresses again");
        for i in self.insts.live_indices() {
            let on = self.insts[i].vips_on;
            self.insts[i].vips_on = !on;
            self.vips(i, on);
        }
    }

    pub(super) fn vips(&mut self, i: usize, add: bool) {
        let inst = &self.insts[i];
        if inst.vips_on == add {
            return;
        }
        let name = inst.machine.params().name.clone();
        let op = if add { Op::Add } else { Op::Del };
        // keepalived: the drop rule before the addresses, removed after them.
        if add {
            self.firewall_block(i, true);
        }
        let inst = &self.insts[i];
        let list: Vec<IpAddress> = inst.io.vips.iter().chain(&inst.io.evips).cloned().collect();
        for a in &list {
            let Some(ifindex) = self.dev_index(&self.insts[i], a) else {
                error!("({name}) {}: interface {:?} does not exist", a.addr, a.dev);
                continue;
            };
            let verb = if add { "adding" } else { "removing" };
            let tag = RequestTag::Log(format!("({name}) {verb} {}", a.addr));
            if let Err(e) = send_address(&mut self.rtnl, op, ifindex, a, tag) {
                error!("({name}) {}: {e}", a.addr);
            }
        }
        let routes = self.insts[i].io.routes.clone();
        for r in &routes {
            let tag = RequestTag::Log(format!("({name}) virtual route {}", route_dest(r)));
            if let Err(e) = send_route(&mut self.rtnl, op, r, &self.names, tag) {
                error!("({name}) virtual route {}: {e}", route_dest(r));
            }
        }
        let rules = self.insts[i].io.rules.clone();
        for r in &rules {
            let tag = RequestTag::Log(format!("({name}) virtual rule"));
            if let Err(e) = send_rule(&mut self.rtnl, op, r, &self.names, tag) {
                error!("({name}) virtual rule: {e}");
            }
        }
        self.insts[i].vips_on = add;
        if !add {
            self.firewall_block(i, false);
        }
        if add {
            info!("({name}) Adding {} virtual address(es)", list.len());
        } else {
            info!("({name}) Removing {} virtual address(es)", list.len());
        }
    }
}
