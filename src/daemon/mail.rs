//! The e-mail alerts as a subsystem ([`Mail`], over [`MailExecutor`]): it hears the state
//! changes of VRRP instances and sync groups and the checks of real servers through the queue
//! of events, and mails them (keepalived's `smtp_alert`). It runs whenever the configuration
//! names recipients and a server, whatever else runs.

use super::subsystem::{Dump, Event, Routed, Subsystem};
use crate::config::Config;
use crate::executor::mail::{MailExecutor, MailKey};
use crate::reactor::Core;
use crate::time::Instant;

/// The e-mail alerts.
#[derive(Default)]
pub struct Mail {
    pub run: Option<MailExecutor>,
}

impl<K: From<MailKey> + Copy> Routed<K> for Mail {
    type Key = MailKey;

    /// The connection to the mail server.
    fn on_io(&mut self, core: &mut Core<K>, now: Instant, _k: MailKey) {
        if let Some(m) = &mut self.run {
            m.on_io(core, now);
        }
    }

    /// The session's deadline.
    fn on_timer(&mut self, core: &mut Core<K>, now: Instant, _k: MailKey, _d: Instant) {
        if let Some(m) = &mut self.run {
            m.on_timer(core, now);
        }
    }
}

impl<K: From<MailKey> + Copy> Subsystem<K> for Mail {
    fn apply(&mut self, cfg: &Config, _core: &mut Core<K>, _now: Instant) -> Result<(), String> {
        match &mut self.run {
            Some(m) => m.reload(cfg),
            None => self.run = Some(MailExecutor::new(cfg)),
        }
        Ok(())
    }

    fn stop(&mut self, core: &mut Core<K>, now: Instant) {
        if let Some(m) = &mut self.run {
            m.stop(core, now);
        }
    }

    fn on_event(&mut self, core: &mut Core<K>, now: Instant, ev: &Event) {
        let Some(m) = &mut self.run else { return };
        match ev {
            Event::VrrpState { instance, state } => m.vrrp(core, now, false, instance, *state),
            Event::SyncGroupState { group, state } => m.vrrp(core, now, true, group, *state),
            Event::Check(a) => m.check(core, now, a),
            Event::BfdChanged { .. } => {}
        }
    }

    fn pending(&self) -> usize {
        self.run.as_ref().map_or(0, MailExecutor::pending)
    }

    fn clear_counters(&mut self) {
        if let Some(m) = &mut self.run {
            m.clear_counters();
        }
    }

    /// The statistics of the alerts, when mail is configured.
    fn dump(&self, what: Dump) -> String {
        match (&self.run, what) {
            (Some(m), Dump::Stats) if m.enabled() => m.dump(),
            _ => String::new(),
        }
    }
}
