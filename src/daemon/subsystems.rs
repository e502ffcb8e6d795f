//! The subsystems of today behind the [`Subsystem`] shape: VRRP ([`Vrrp`], over
//! [`vrrp_exec::VrrpExecutor`]) and BFD ([`Bfd`], over [`bfd_exec::BfdExecutor`]). Each holds whether it is enabled
//! (`-P`, `-B`) and the executor while it runs; the routing of its own wakes is here too.

use log::info;

use super::subsystem::{Dump, Event, Events, Routed, Subsystem};
use crate::config::Config;
use crate::config::lvs::Lvs;
use crate::executor::bfd::{self as bfd_exec, BfdExecutor};
use crate::executor::check::{self as check_exec, CheckExecutor};
use crate::executor::ipvs::{self as ipvs_exec, IpvsExecutor};
use crate::executor::vrrp::{self as vrrp_exec, VrrpExecutor};
use crate::reactor::armed::SlotTimers;
use crate::reactor::{ChildEnd, ChildId, Core};
use crate::time::Instant;

/// The VRRP subsystem.
pub struct Vrrp {
    enabled: bool,
    /// `-V`: VIPs and VMACs stay when the daemon stops.
    keep_vips: bool,
    log_detail: bool,
    pub run: Option<VrrpExecutor>,
}

impl Vrrp {
    pub fn new(enabled: bool, keep_vips: bool, log_detail: bool) -> Vrrp {
        Vrrp {
            enabled,
            keep_vips,
            log_detail,
            run: None,
        }
    }
}

impl<K: From<vrrp_exec::VrrpKey> + Copy> Routed<K> for Vrrp {
    type Key = vrrp_exec::VrrpKey;

    /// Its raw sockets, rtnetlink, the link monitor, the trackers' fds.
    fn on_io(&mut self, core: &mut Core<K>, now: Instant, k: vrrp_exec::VrrpKey) {
        if let Some(v) = &mut self.run {
            v.on_io(core, now, k);
        }
    }

    /// An instance's timer or a tracker's.
    fn on_timer(
        &mut self,
        core: &mut Core<K>,
        now: Instant,
        k: vrrp_exec::VrrpKey,
        deadline: Instant,
    ) {
        let Some(v) = &mut self.run else { return };
        match k {
            vrrp_exec::VrrpKey::Timer(i) => v.on_timer(core, now, i, deadline),
            vrrp_exec::VrrpKey::Tracker(t) => v.on_tracker_timer(core, now, t, deadline),
            vrrp_exec::VrrpKey::Pacer => v.on_pacer(core, now, deadline),
            vrrp_exec::VrrpKey::Socket(_)
            | vrrp_exec::VrrpKey::Rtnl
            | vrrp_exec::VrrpKey::Monitor
            | vrrp_exec::VrrpKey::Script => {}
        }
    }

    /// A tracker's script ended (notify scripts are only logged).
    fn on_child(
        &mut self,
        core: &mut Core<K>,
        now: Instant,
        k: vrrp_exec::VrrpKey,
        id: ChildId,
        end: ChildEnd,
    ) -> bool {
        let vrrp_exec::VrrpKey::Tracker(t) = k else {
            return false;
        };
        if let Some(v) = &mut self.run {
            v.on_tracker_child(core, now, t, id, end);
        }
        true
    }
}

impl<K: From<vrrp_exec::VrrpKey> + Copy> Subsystem<K> for Vrrp {
    fn apply(&mut self, cfg: &Config, core: &mut Core<K>, now: Instant) -> Result<(), String> {
        if let Some(v) = &mut self.run {
            v.reload(cfg, core, now);
            v.announce_states();
            return Ok(());
        }
        if !self.enabled || cfg.vrrp.instances.is_empty() {
            return Ok(());
        }
        let v = VrrpExecutor::start(cfg, self.keep_vips, self.log_detail, core, now)
            .map_err(|e| format!("cannot start VRRP: {e}"))?;
        info!("VRRP: {} instance(s) running", v.len());
        self.run = Some(v);
        Ok(())
    }

    fn stop(&mut self, core: &mut Core<K>, now: Instant) {
        if let Some(v) = &mut self.run {
            v.stop(core, now);
        }
    }

    /// `track_bfd`: the sessions whose instance sends events to VRRP.
    fn on_event(&mut self, core: &mut Core<K>, now: Instant, ev: &Event) {
        let Some(v) = &mut self.run else { return };
        match ev {
            Event::BfdChanged { name, up, vrrp, .. } if *vrrp => {
                v.bfd_changed(core, now, name, *up)
            }
            _ => {}
        }
    }

    /// Every state change of an instance (and every instance's state after a reload).
    fn take_events(&mut self, queue: &mut Events) {
        let Some(v) = &mut self.run else { return };
        queue.extend(
            v.take_state_changes()
                .into_iter()
                .map(|(instance, state)| Event::VrrpState { instance, state }),
        );
        queue.extend(
            v.take_group_changes()
                .into_iter()
                .map(|(group, state)| Event::SyncGroupState { group, state }),
        );
    }

    fn tracked_bfds(&self) -> Vec<String> {
        self.run
            .as_ref()
            .map(VrrpExecutor::tracked_bfds)
            .unwrap_or_default()
    }

    fn next_deadline(&self) -> Option<Instant> {
        self.run.as_ref().and_then(VrrpExecutor::next_deadline)
    }

    fn pending(&self) -> usize {
        self.run.as_ref().map_or(0, VrrpExecutor::pending)
    }

    fn clear_counters(&mut self) {
        if let Some(v) = &mut self.run {
            v.clear_counters();
        }
    }

    /// The topology header and the statistics even with no instance (as before the split).
    fn dump(&self, what: Dump) -> String {
        let views = self.run.as_ref().map(|v| v.views()).unwrap_or_default();
        match what {
            Dump::Data => vrrp_exec::dump::topology(&views),
            Dump::Stats => vrrp_exec::dump::stats(&views),
        }
    }

    fn json(&self) -> Option<String> {
        let views = self.run.as_ref().map(|v| v.views()).unwrap_or_default();
        Some(vrrp_exec::dump::json(&views))
    }

    #[cfg(feature = "metrics")]
    fn metrics(&self, e: &mut crate::metrics::expo::Expo) {
        let views = self.run.as_ref().map(|v| v.views()).unwrap_or_default();
        crate::metrics::families::vrrp(e, &views);
    }
}

/// The BFD subsystem.
pub struct Bfd {
    enabled: bool,
    pub run: Option<BfdExecutor>,
}

impl Bfd {
    pub fn new(enabled: bool) -> Bfd {
        Bfd { enabled, run: None }
    }
}

impl<K: From<bfd_exec::BfdKey> + Copy> Routed<K> for Bfd {
    type Key = bfd_exec::BfdKey;

    /// A receiving socket is readable.
    fn on_io(&mut self, core: &mut Core<K>, now: Instant, k: bfd_exec::BfdKey) {
        if let Some(b) = &mut self.run {
            b.on_io(core, now, k);
        }
    }

    /// A session's timer, armed for `deadline`.
    fn on_timer(
        &mut self,
        core: &mut Core<K>,
        now: Instant,
        k: bfd_exec::BfdKey,
        deadline: Instant,
    ) {
        if let (Some(b), bfd_exec::BfdKey::Timer(i)) = (&mut self.run, k) {
            b.on_timer(core, now, i, deadline);
        }
    }
}

impl<K: From<bfd_exec::BfdKey> + Copy> Subsystem<K> for Bfd {
    fn apply(&mut self, cfg: &Config, core: &mut Core<K>, now: Instant) -> Result<(), String> {
        if let Some(b) = &mut self.run {
            b.reload(cfg, core, now);
            return Ok(());
        }
        if !self.enabled || cfg.bfd.instances.is_empty() {
            return Ok(());
        }
        let b = BfdExecutor::start(cfg, core, now);
        info!("BFD: {} session(s) running", b.len());
        self.run = Some(b);
        Ok(())
    }

    fn stop(&mut self, core: &mut Core<K>, now: Instant) {
        if let Some(b) = &mut self.run {
            b.stop(core, now);
        }
    }

    /// Sessions that went Up or left Up.
    fn take_events(&mut self, queue: &mut Events) {
        let Some(b) = &mut self.run else { return };
        queue.extend(b.take_changes().into_iter().map(|c| Event::BfdChanged {
            name: c.name,
            up: c.up,
            vrrp: c.vrrp,
            checker: c.checker,
        }));
    }

    fn bfd_up(&self, name: &str) -> Option<bool> {
        self.run.as_ref().and_then(|b| b.is_up(name))
    }

    fn clear_counters(&mut self) {
        if let Some(b) = &mut self.run {
            b.clear_counters();
        }
    }

    /// Nothing while BFD does not run.
    fn dump(&self, what: Dump) -> String {
        let Some(b) = &self.run else {
            return String::new();
        };
        match what {
            Dump::Data => bfd_exec::dump::topology(&b.views()),
            Dump::Stats => bfd_exec::dump::stats(&b.views(), &b.counters()),
        }
    }

    /// The sessions, while BFD runs.
    fn json(&self) -> Option<String> {
        self.run.as_ref().map(|b| bfd_exec::dump::json(&b.views()))
    }

    #[cfg(feature = "metrics")]
    fn metrics(&self, e: &mut crate::metrics::expo::Expo) {
        if let Some(b) = &self.run {
            crate::metrics::families::bfd(e, &b.views(), &b.counters());
        }
    }
}

/// The IPVS subsystem (keepalived's checker side: `-C` runs it, `-P` does not).
pub struct Ipvs {
    enabled: bool,
    /// The virtual servers of the configuration applied last (for the dumps).
    lvs: std::rc::Rc<Lvs>,
    /// The VRRP side runs (`-C` alone: it does not, and keepalived then runs no sync daemon
    /// that follows an instance).
    vrrp: bool,
    /// `-I`: the virtual servers stay at stop.
    keep_at_stop: bool,
    pub run: Option<IpvsExecutor>,
    /// The health checkers: they run with IPVS or without it (keepalived exits FATAL), and
    /// their verdicts reach the kernel's table in the wake they come in.
    pub checks: Option<CheckExecutor>,
}

impl Ipvs {
    pub fn new(enabled: bool, vrrp: bool, keep_at_stop: bool) -> Ipvs {
        Ipvs {
            enabled,
            lvs: std::rc::Rc::default(),
            vrrp,
            keep_at_stop,
            run: None,
            checks: None,
        }
    }

    /// Hands the pools the checkers changed to the IPVS executor (same wake).
    fn follow_checks<K: From<ipvs_exec::IpvsKey> + Copy>(
        &mut self,
        core: &mut Core<K>,
        now: Instant,
    ) {
        let Some(c) = &mut self.checks else { return };
        let changed = c.take_changed();
        let Some(x) = &mut self.run else { return };
        if changed.is_empty() {
            return;
        }
        let mut notes = Vec::new();
        let mut entries = Vec::new();
        for v in changed {
            if let (Some(vs), Some(pool)) = (self.lvs.virtual_servers.get(v), c.pools().get(v)) {
                entries.extend(crate::ipvs::desired::entries(
                    &self.lvs, vs, pool, &mut notes,
                ));
            }
        }
        x.update(core, now, entries);
    }

    fn view(&self) -> Option<(ipvs_exec::dump::View<'_>, &IpvsExecutor)> {
        let x = self.run.as_ref()?;
        Some((
            ipvs_exec::dump::View {
                lvs: &self.lvs,
                desired: x.desired(),
                kernel: x.table(),
                available: x.available(),
                version: x.version(),
            },
            x,
        ))
    }
}

impl<K: From<ipvs_exec::IpvsKey> + From<check_exec::CheckKey> + Copy> Routed<K> for Ipvs {
    type Key = ipvs_exec::IpvsKey;

    /// The generic netlink socket, or a probe's.
    fn on_io(&mut self, core: &mut Core<K>, now: Instant, k: ipvs_exec::IpvsKey) {
        if let ipvs_exec::IpvsKey::Check(ck) = k {
            if let Some(c) = &mut self.checks {
                c.on_io(core, now, ck);
            }
            self.follow_checks(core, now);
        } else if let Some(x) = &mut self.run {
            x.on_io(core, now);
        }
    }

    /// The next pass, or the next look for IPVS; a check's probe or deadline.
    fn on_timer(&mut self, core: &mut Core<K>, now: Instant, k: ipvs_exec::IpvsKey, d: Instant) {
        if let ipvs_exec::IpvsKey::Check(ck) = k {
            if let Some(c) = &mut self.checks {
                c.on_timer(core, now, ck, d);
            }
            self.follow_checks(core, now);
        } else if let Some(x) = &mut self.run {
            x.on_timer(core, now);
        }
    }

    /// A MISC_CHECK script ended (notify and quorum scripts are not waited for).
    fn on_child(
        &mut self,
        core: &mut Core<K>,
        now: Instant,
        k: ipvs_exec::IpvsKey,
        id: ChildId,
        end: ChildEnd,
    ) -> bool {
        let ipvs_exec::IpvsKey::Check(ck) = k else {
            return false;
        };
        if let Some(c) = &mut self.checks {
            c.on_child(core, now, ck, id, end);
        }
        self.follow_checks(core, now);
        true
    }
}

impl<K: From<ipvs_exec::IpvsKey> + From<check_exec::CheckKey> + Copy> Subsystem<K> for Ipvs {
    fn apply(&mut self, cfg: &Config, core: &mut Core<K>, now: Instant) -> Result<(), String> {
        if self.enabled && !cfg.lvs.virtual_servers.is_empty() {
            let old = self.checks.take();
            let c = CheckExecutor::new(cfg, old, core, now);
            if !c.is_empty() {
                info!("Checkers: {} check(s) running", c.len());
            }
            self.checks = Some(c);
        } else if let Some(mut old) = self.checks.take() {
            old.stop(core);
        }
        // The start or the reload is in the table already.
        let pools = self.checks.as_mut().map(|c| {
            c.take_changed();
            c.pools()
        });
        if let Some(x) = &mut self.run {
            x.reload(cfg, pools, core, now);
            self.lvs = std::rc::Rc::clone(&cfg.lvs);
            return Ok(());
        }
        if !self.enabled
            || (cfg.lvs.virtual_servers.is_empty() && cfg.global.lvs.sync_daemon.is_none())
        {
            return Ok(());
        }
        self.run = IpvsExecutor::start(cfg, pools, core, now);
        self.lvs = std::rc::Rc::clone(&cfg.lvs);
        if let Some(x) = &mut self.run {
            x.set_vrrp_runs(self.vrrp);
            x.set_keep_at_stop(self.keep_at_stop);
        }
        Ok(())
    }

    /// The sync daemon follows its VRRP instance; BFD_CHECKs their session.
    fn on_event(&mut self, core: &mut Core<K>, now: Instant, ev: &Event) {
        match ev {
            Event::VrrpState { instance, state } => {
                if let Some(x) = &mut self.run {
                    x.vrrp_state(core, now, instance, *state);
                }
            }
            Event::BfdChanged {
                name, up, checker, ..
            } if *checker => {
                if let Some(c) = &mut self.checks {
                    c.bfd_changed(core, name, *up);
                }
                self.follow_checks(core, now);
            }
            _ => {}
        }
    }

    /// The checks of real servers that went up or down, the quorums gained or lost.
    fn take_events(&mut self, queue: &mut Events) {
        if let Some(c) = &mut self.checks {
            queue.extend(c.take_alerts().into_iter().map(Event::Check));
        }
    }

    fn tracked_bfds(&self) -> Vec<String> {
        self.checks
            .as_ref()
            .map(CheckExecutor::tracked_bfds)
            .unwrap_or_default()
    }

    fn stop(&mut self, core: &mut Core<K>, now: Instant) {
        if let Some(c) = &mut self.checks {
            c.stop(core);
        }
        if let Some(x) = &mut self.run {
            x.stop(core, now);
        }
    }

    fn pending(&self) -> usize {
        self.run.as_ref().map_or(0, |x| x.pending())
    }

    /// Nothing while IPVS does not run, but the checkers.
    fn dump(&self, what: Dump) -> String {
        let checks = match (&self.checks, what) {
            (Some(c), Dump::Data) => check_exec::dump::data(&c.views()),
            (Some(c), Dump::Stats) => check_exec::dump::stats(&c.views(), &c.lateness),
            _ => String::new(),
        };
        let Some((v, x)) = self.view() else {
            return checks;
        };
        match what {
            Dump::Data => ipvs_exec::dump::topology(&v) + &checks,
            Dump::Stats => ipvs_exec::dump::stats(&v, &x.counters) + &checks,
        }
    }

    fn clear_counters(&mut self) {
        if let Some(x) = &mut self.run {
            x.counters = ipvs_exec::Counters::default();
        }
        if let Some(c) = &mut self.checks {
            c.lateness = check_exec::dump::Lateness::default();
        }
    }

    fn json(&self) -> Option<String> {
        let checks = self
            .checks
            .as_ref()
            .map(|c| check_exec::dump::json(&c.views()));
        let ipvs = self.view().map(|(v, _)| ipvs_exec::dump::json(&v));
        match (ipvs, checks) {
            (Some(i), Some(c)) => Some(crate::daemon::subsystem::join_arrays(&i, &c)),
            (i, c) => i.or(c),
        }
    }

    #[cfg(feature = "metrics")]
    fn metrics(&self, e: &mut crate::metrics::expo::Expo) {
        if let Some((v, _)) = self.view() {
            crate::metrics::families::ipvs(e, &ipvs_exec::dump::rows(&v));
        }
        if let Some(c) = &self.checks {
            crate::metrics::families::checks(e, &c.views());
        }
    }
}
