//! Accept mode: the addresses of the masters running with `no_accept` go into nftables' drop
//! sets ([`crate::executor::vrrp::nft`]) before their addresses are added, and leave them after
//! the addresses are removed; at start what a previous run left is deleted, at stop (unless
//! `-V` keeps the addresses) the tables go.

use log::info;

use super::VrrpExecutor;
use crate::config::Config;
use crate::executor::vrrp::nft::{Key, Settings};

impl VrrpExecutor {
    /// The addresses the kernel must drop now: every virtual and excluded address of the
    /// instances whose addresses are blocked.
    fn firewall_want(&self) -> Vec<Key> {
        let mut want = Vec::new();
        for inst in self.insts.live_values().filter(|x| x.blocked) {
            for a in inst.io.vips.iter().chain(&inst.io.evips) {
                let ifindex = self.dev_index(inst, a).unwrap_or(0);
                want.push(Key::new(a.addr.addr, ifindex));
            }
        }
        want
    }

    fn firewall_sync(&mut self) {
        let want = self.firewall_want();
        self.counters.netlink_errors += self.firewall.sync(&want);
    }

    /// Instance `i` enters (`on`) or leaves MASTER: with `no_accept`, its addresses are dropped
    /// or no longer.
    pub(super) fn firewall_block(&mut self, i: usize, on: bool) {
        let inst = &mut self.insts[i];
        if !inst.io.no_accept || inst.blocked == on {
            return;
        }
        inst.blocked = on;
        let verb = if on { "setting" } else { "removing" };
        info!("({}) {verb} firewall drop rule", inst.machine.params().name);
        // At stop the tables go whole ([`VrrpExecutor::firewall_stop`]).
        if !self.stopping {
            self.firewall_sync();
        }
    }

    /// At start, before any machine runs: a previous run's tables are deleted when some
    /// instance may need them (or `nftables` is configured).
    pub(super) fn firewall_start(&mut self) {
        if self.firewall.configured() || self.insts.live_values().any(|x| x.io.no_accept) {
            self.firewall_sync();
        }
    }

    /// A reload: new settings, then the tables as the instances now need them.
    pub(super) fn firewall_reload(&mut self, cfg: &Config) {
        self.counters.netlink_errors += self.firewall.configure(Settings::of(cfg));
        if self.firewall.active() {
            self.firewall_sync();
        } else {
            self.firewall_start();
        }
    }

    /// At stop, after every instance has left MASTER: the tables go, unless `-V` keeps the
    /// addresses (and so their drop rules).
    pub(super) fn firewall_stop(&mut self) {
        if !self.keep_vips {
            self.counters.netlink_errors += self.firewall.delete_tables();
        }
    }
}
