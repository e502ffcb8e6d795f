//! The subsystems of today behind the [`Subsystem`] shape: VRRP ([`Vrrp`], over
//! [`vrrpd::Vrrpd`]) and BFD ([`Bfd`], over [`bfdd::Bfdd`]). Each holds whether it is enabled
//! (`-P`, `-B`) and the executor while it runs; the routing of its own wakes is here too.

use log::info;

use super::subsystem::{Dump, Event, Events, Routed, Subsystem};
use crate::bfdd::{self, Bfdd};
use crate::config::Config;
use crate::reactor::{ChildEnd, ChildId, Core};
use crate::time::Instant;
use crate::vrrpd::{self, Vrrpd};

/// The VRRP subsystem.
pub struct Vrrp {
    enabled: bool,
    /// `-V`: VIPs and VMACs stay when the daemon stops.
    keep_vips: bool,
    log_detail: bool,
    pub run: Option<Vrrpd>,
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

impl<K: From<vrrpd::Key> + Copy> Routed<K> for Vrrp {
    type Key = vrrpd::Key;

    /// Its raw sockets, rtnetlink, the link monitor, the trackers' fds.
    fn on_io(&mut self, core: &mut Core<K>, now: Instant, k: vrrpd::Key) {
        if let Some(v) = &mut self.run {
            v.on_io(core, now, k);
        }
    }

    /// An instance's timer or a tracker's.
    fn on_timer(&mut self, core: &mut Core<K>, now: Instant, k: vrrpd::Key, deadline: Instant) {
        let Some(v) = &mut self.run else { return };
        match k {
            vrrpd::Key::Timer(i) => v.on_timer(core, now, i, deadline),
            vrrpd::Key::Tracker(t) => v.on_tracker_timer(core, now, t, deadline),
            vrrpd::Key::Socket(_) | vrrpd::Key::Rtnl | vrrpd::Key::Monitor | vrrpd::Key::Script => {
            }
        }
    }

    /// A tracker's script ended (notify scripts are only logged).
    fn on_child(
        &mut self,
        core: &mut Core<K>,
        now: Instant,
        k: vrrpd::Key,
        id: ChildId,
        end: ChildEnd,
    ) -> bool {
        let vrrpd::Key::Tracker(t) = k else {
            return false;
        };
        if let Some(v) = &mut self.run {
            v.on_tracker_child(core, now, t, id, end);
        }
        true
    }
}

impl<K: From<vrrpd::Key> + Copy> Subsystem<K> for Vrrp {
    fn apply(&mut self, cfg: &Config, core: &mut Core<K>, now: Instant) -> Result<(), String> {
        if let Some(v) = &mut self.run {
            v.reload(cfg, core, now);
            return Ok(());
        }
        if !self.enabled || cfg.vrrp.instances.is_empty() {
            return Ok(());
        }
        let v = Vrrpd::start(cfg, self.keep_vips, self.log_detail, core, now)
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
            Event::BfdChanged { .. } => {}
        }
    }

    fn tracked_bfds(&self) -> Vec<String> {
        self.run
            .as_ref()
            .map(Vrrpd::tracked_bfds)
            .unwrap_or_default()
    }

    fn next_deadline(&self) -> Option<Instant> {
        self.run.as_ref().and_then(Vrrpd::next_deadline)
    }

    fn pending(&self) -> usize {
        self.run.as_ref().map_or(0, Vrrpd::pending)
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
            Dump::Data => vrrpd::dump::topology(&views),
            Dump::Stats => vrrpd::dump::stats(&views),
        }
    }

    fn json(&self) -> Option<String> {
        let views = self.run.as_ref().map(|v| v.views()).unwrap_or_default();
        Some(vrrpd::dump::json(&views))
    }
}

/// The BFD subsystem.
pub struct Bfd {
    enabled: bool,
    pub run: Option<Bfdd>,
}

impl Bfd {
    pub fn new(enabled: bool) -> Bfd {
        Bfd { enabled, run: None }
    }
}

impl<K: From<bfdd::Key> + Copy> Routed<K> for Bfd {
    type Key = bfdd::Key;

    /// A receiving socket is readable.
    fn on_io(&mut self, core: &mut Core<K>, now: Instant, k: bfdd::Key) {
        if let Some(b) = &mut self.run {
            b.on_io(core, now, k);
        }
    }

    /// A session's timer, armed for `deadline`.
    fn on_timer(&mut self, core: &mut Core<K>, now: Instant, k: bfdd::Key, deadline: Instant) {
        if let (Some(b), bfdd::Key::Timer(i)) = (&mut self.run, k) {
            b.on_timer(core, now, i, deadline);
        }
    }
}

impl<K: From<bfdd::Key> + Copy> Subsystem<K> for Bfd {
    fn apply(&mut self, cfg: &Config, core: &mut Core<K>, now: Instant) -> Result<(), String> {
        if let Some(b) = &mut self.run {
            b.reload(cfg, core, now);
            return Ok(());
        }
        if !self.enabled || cfg.bfd.instances.is_empty() {
            return Ok(());
        }
        let b = Bfdd::start(cfg, core, now);
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
            Dump::Data => bfdd::dump::topology(&b.views()),
            Dump::Stats => bfdd::dump::stats(&b.views(), &b.counters()),
        }
    }
}
