//! Notifications of VRRP state changes: the notify FIFOs (ordered, keepalived's line formats) and
//! the notify scripts (keepalived's arguments).
//!
//! FIFO lines, one per event, in the order the machines produced them:
//! `INSTANCE "VI_1" MASTER 150`, `INSTANCE "VI_1" MASTER_RX_LOWER_PRI 150`,
//! `INSTANCE "VI_1" MASTER_PRIORITY 140` (with `notify_priority_changes`). A FIFO is opened
//! read-write and non-blocking, so the daemon never waits for a reader and the first lines are
//! kept in the pipe until one comes; when the pipe is full, lines wait in a queue (in order) and
//! go out with the next line.
//!
//! Scripts: `notify_master` / `notify_backup` / `notify_fault` / `notify_stop` run with no added
//! arguments; `notify` gets `INSTANCE NAME STATE PRIORITY` appended (keepalived's `vrrp_notify.c`).
//! They run as their `user [group]`, else `script_user`, else `keepalived_script`, else root (with
//! `enable_script_security`: no one); through the reactor, never waited for. Every script, FIFO
//! readers included, passes the one check of `config::scripts` right before it starts; a script
//! that fails it does not run, and the log says why and what to change (the spawning, the check
//! and the FIFO writing are `crate::script`'s; this file says which lines and scripts go with
//! which VRRP event). Scripts may finish out of order, as in keepalived; the FIFOs are the
//! ordered channel (reference section 2.11).

use std::path::PathBuf;

use crate::config::Config;
use crate::config::vrrp::{Notifies, Notify};
use crate::script::{FifoOut, Settings, Spawn};
use crate::vrrp::State;

/// keepalived's word for a state in notifications.
pub fn state_word(s: State) -> &'static str {
    match s {
        State::Init => "STOP",
        State::Backup => "BACKUP",
        State::Master => "MASTER",
        State::Fault => "FAULT",
    }
}

/// The FIFOs and what the scripts run as.
pub struct Notifier {
    fifos: Vec<FifoOut>,
    settings: Settings,
    /// Reader scripts of the FIFOs, started once.
    pub readers: Vec<Spawn>,
}

impl Notifier {
    pub fn new(cfg: &Config) -> Notifier {
        let g = &cfg.global;
        let mut n = Notifier {
            fifos: Vec::new(),
            settings: Settings::default(),
            readers: Vec::new(),
        };
        n.load(cfg);
        for f in [&g.fifos.notify, &g.fifos.vrrp] {
            let Some(p) = &f.path else { continue };
            n.fifos.push(FifoOut::open(PathBuf::from(&p.path)));
            if let Some(s) = &f.script {
                let r = n
                    .settings
                    .spawn(&s.cmd, s.user.as_deref(), s.group.as_deref(), &[&p.path]);
                n.readers.push(r);
            }
        }
        n
    }

    /// Takes the script settings of a (re)loaded configuration (see [`Settings::load`]).
    pub fn load(&mut self, cfg: &Config) {
        self.settings.load(cfg);
    }

    /// Writes one line to every FIFO.
    pub fn fifo_line(&mut self, line: &str) {
        for f in &mut self.fifos {
            f.write(line);
        }
    }

    /// The scripts to run for instance `name` entering `to` at priority `prio`.
    pub fn scripts(&self, n: &Notifies, name: &str, to: State, prio: u8) -> Vec<Spawn> {
        self.both(n, specific(n, to), "INSTANCE", name, state_word(to), prio)
    }

    /// The scripts of sync group `name` entering `to`: the state's own script, and `notify` with
    /// `GROUP NAME STATE 0` appended (keepalived's arguments: priority 0 for groups).
    pub fn group_scripts(&self, n: &Notifies, name: &str, to: State) -> Vec<Spawn> {
        self.both(n, specific(n, to), "GROUP", name, state_word(to), 0)
    }

    /// The scripts of an instance a reload removes, with `notify_deleted`: its `notify_deleted`
    /// command, and `notify` with `INSTANCE NAME DELETED PRIORITY`.
    pub fn deleted_scripts(&self, n: &Notifies, name: &str, prio: u8) -> Vec<Spawn> {
        self.both(
            n,
            n.deleted_script.as_ref(),
            "INSTANCE",
            name,
            "DELETED",
            prio,
        )
    }

    /// The state's own script (no arguments added), then `notify` with keepalived's four words.
    fn both(
        &self,
        n: &Notifies,
        own: Option<&Notify>,
        kind: &str,
        name: &str,
        word: &str,
        prio: u8,
    ) -> Vec<Spawn> {
        let mut out: Vec<Spawn> = own.map(|s| self.spawn(s, &[])).into_iter().collect();
        if let Some(s) = &n.notify {
            let extra = [kind, name, word].map(str::to_string);
            let mut extra = extra.to_vec();
            extra.push(prio.to_string());
            out.push(self.spawn(s, &extra));
        }
        out
    }

    /// `notify_master_rx_lower_pri`, if configured.
    pub fn rx_lower_pri(&self, n: &Notifies) -> Option<Spawn> {
        n.master_rx_lower_pri.as_ref().map(|s| self.spawn(s, &[]))
    }

    fn spawn(&self, s: &Notify, extra: &[String]) -> Spawn {
        let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
        self.settings
            .spawn(&s.command, s.user.as_deref(), s.group.as_deref(), &extra)
    }
}

/// The script of `notify_master`, `notify_backup`, `notify_fault` or `notify_stop` for `to`.
fn specific(n: &Notifies, to: State) -> Option<&Notify> {
    match to {
        State::Master => n.master.as_ref(),
        State::Backup => n.backup.as_ref(),
        State::Fault => n.fault.as_ref(),
        State::Init => n.stop.as_ref(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_words() {
        assert_eq!(state_word(State::Init), "STOP");
        assert_eq!(state_word(State::Master), "MASTER");
    }
}
