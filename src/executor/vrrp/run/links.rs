//! The executor's side of interfaces that go away and come back.
//!
//! An instance names its interface; the ifindex it resolved is only a cache. On every link the
//! monitor reports (and after every re-read of the tables, which follows an overrun) an
//! instance whose interface name now resolves to another ifindex moves onto it, as keepalived
//! does ("Interface eth0 added"): the VRRP socket is opened again on the new link (bound to it,
//! joined to the group; the old one is closed when a new socket takes its place), the MAC and,
//! unless configured, the advert source address are read again, and a VMAC is made again on
//! the new parent. Then the link state decides, as for any link event (up: BACKUP; down:
//! FAULT). `track_interface` resolves names on every event already (see
//! [`VrrpExecutor::links_changed`]).
//!
//! Invariant: a running instance's parent ifindex (its `ifindex`, or its VMAC's `parent`) is
//! the one the monitor knows for its interface name, once the monitor has seen that name.

use log::{debug, error, info};

use super::{VrrpExecutor, VrrpKey, primary_address};
use crate::executor::vrrp::vmac::Phase;
use crate::netlink::HwAddr;
use crate::reactor::Core;
use crate::sys::raw::if_mac;
use crate::time::Instant;

impl VrrpExecutor {
    /// The ifindex of instance `i`'s own interface (its VMAC's parent with `use_vmac`).
    fn parent_of(&self, i: usize) -> u32 {
        let inst = &self.insts[i];
        inst.vmac.as_ref().map_or(inst.ifindex, |v| v.parent)
    }

    /// Link `ifindex` named `name` appeared or changed: the running instances on `name` that
    /// know another ifindex for it move onto it.
    pub(super) fn adopt_link<K: From<VrrpKey> + Copy>(
        &mut self,
        core: &mut Core<K>,
        now: Instant,
        ifindex: u32,
        name: &str,
        mac: Option<HwAddr>,
    ) {
        if self.stopping {
            return;
        }
        let movers: Vec<usize> = (0..self.insts.len())
            .filter(|&i| {
                let inst = &self.insts[i];
                self.insts.is_live(i) && inst.io.interface == name && self.parent_of(i) != ifindex
            })
            .collect();
        if movers.is_empty() {
            return;
        }
        info!("Interface {name} added");
        let mac = mac
            .and_then(|m| <[u8; 6]>::try_from(m.as_bytes()).ok())
            .or_else(|| if_mac(name).ok());
        for i in movers {
            self.move_to(core, now, i, ifindex, mac);
        }
    }

    /// After a re-read of the tables: every running instance's interface resolved by name again.
    pub(super) fn adopt_links<K: From<VrrpKey> + Copy>(
        &mut self,
        core: &mut Core<K>,
        now: Instant,
    ) {
        let mut names: Vec<String> = self
            .insts
            .live_values()
            .map(|x| x.io.interface.clone())
            .collect();
        names.sort();
        names.dedup();
        for name in names {
            let Some(ifindex) = self.monitor.ifindex(&name) else {
                continue;
            };
            let mac = self.monitor.link_by_index(ifindex).and_then(|l| l.mac);
            self.adopt_link(core, now, ifindex, &name, mac);
        }
    }

    /// Instance `i` moves onto `ifindex` (its interface, created again).
    fn move_to<K: From<VrrpKey> + Copy>(
        &mut self,
        core: &mut Core<K>,
        now: Instant,
        i: usize,
        ifindex: u32,
        mac: Option<[u8; 6]>,
    ) {
        let inst = &mut self.insts[i];
        let inst_name = inst.machine.params().name.clone();
        let io = inst.io.clone();
        debug!(
            "({inst_name}) {} is now ifindex {ifindex} (was {})",
            io.interface,
            inst.vmac.as_ref().map_or(inst.ifindex, |v| v.parent)
        );
        // The adverts leave from the interface itself unless a VMAC carries them.
        let on_parent = inst.vmac.as_ref().is_none_or(|v| v.xmit_base);
        let mut remake_vmac = false;
        match &mut inst.vmac {
            None => {
                inst.ifindex = ifindex;
                inst.mac = mac.unwrap_or([0; 6]);
            }
            Some(v) => {
                v.parent = ifindex;
                if v.ipvlan.is_some() {
                    inst.ifindex = ifindex;
                    inst.mac = mac.unwrap_or([0; 6]);
                }
                // The VMAC went with its old parent (or could not be made on it): made again.
                if matches!(v.phase, Phase::Failed | Phase::Wait) {
                    v.phase = Phase::Wait;
                    v.ifindex = None;
                    remake_vmac = true;
                }
            }
        }
        if on_parent {
            // Not this instance's any more: the old socket may give its place to the new one.
            inst.sock = None;
            self.demux.stale = true;
            match self.open_socket(&inst_name, &io, &io.interface, ifindex, core) {
                Ok(n) => self.insts[i].sock = Some(n),
                Err(e) => error!("{e}"),
            }
        }
        self.refresh_src(i);
        if remake_vmac && self.monitor.synced() {
            self.vmacs_synced(core, now);
        }
    }

    /// An address was added on `ifindex`: an instance there whose advert source (not
    /// configured) is no longer on its interface takes the interface's address again.
    pub(super) fn address_added(&mut self, ifindex: u32) {
        for i in 0..self.insts.len() {
            if self.insts.is_live(i) && self.parent_of(i) == ifindex {
                self.refresh_src(i);
            }
        }
    }

    /// Instance `i`'s advert source: the interface's primary address (RFC 5798 5.1.2.1), read
    /// again if the one it had is gone from the interface (as the monitor knows it: no system
    /// call while it is there). A configured one stays.
    fn refresh_src(&mut self, i: usize) {
        let inst = &self.insts[i];
        // An ipvlan's instance sends from the ipvlan's address (see `vmacs.rs`).
        let ipvlan = inst.vmac.as_ref().is_some_and(|v| v.ipvlan.is_some());
        if ipvlan || inst.io.src.is_some() || self.monitor.has_addr(self.parent_of(i), inst.src) {
            return;
        }
        if let Some(a) = primary_address(&inst.io.interface, inst.io.family) {
            info!(
                "({}) advert source address now {a} (was {})",
                inst.machine.params().name,
                inst.src
            );
            self.insts[i].src = a;
            self.demux.stale = true;
        }
    }
}
