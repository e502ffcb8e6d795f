//! Draining the machines: each output of an instance or sync group becomes IO (adverts, VIPs, GARPs), a notify script or FIFO line, or an event for the group.

use crate::executor::vrrp::loglimit::LineKey;
use crate::executor::vrrp::vmac::Vmac;
use crate::reactor::Core;
use crate::script::Spawn;
use crate::time::Instant;
use crate::vrrp::{Action, Input, Output, SyncOutput};
use log::{info, log, warn};

use super::receive::limited;
use super::{VrrpExecutor, VrrpKey, variant_name};

impl VrrpExecutor {
    /// Hands instance `i`'s outputs to the world, then re-arms its timer.
    pub(super) fn drain<K: From<VrrpKey> + Copy>(
        &mut self,
        core: &mut Core<K>,
        now: Instant,
        i: usize,
    ) {
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
    pub(super) fn group_event<K: From<VrrpKey> + Copy>(
        &mut self,
        core: &mut Core<K>,
        g: usize,
        ge: &crate::vrrp::GroupEvent,
    ) {
        info!("{}", ge.line());
        self.notifier.fifo_line(&ge.fifo_line());
        let crate::vrrp::GroupEvent::StateChange { group, to, .. } = ge;
        self.group_changes.push((group.to_string(), *to));
        let scripts = self
            .notifier
            .group_scripts(&self.groups[g].notifies, group, *to);
        for s in scripts {
            self.run_script(core, &s);
        }
    }

    /// Instance `i`'s outputs to the world (and its events to its sync group), then its timer.
    pub(super) fn drain_one<K: From<VrrpKey> + Copy>(&mut self, core: &mut Core<K>, i: usize) {
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
                            inst: Some(self.insts.id(i)),
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
        self.arm_pacer(core);
    }

    /// FIFO lines and scripts for one event of instance `i`, in the order of events.
    pub(super) fn notify<K: From<VrrpKey> + Copy>(
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
                self.state_changes.push((name.clone(), to));
                let word = if deleted {
                    "DELETED"
                } else {
                    crate::executor::vrrp::notify::state_word(to)
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

    pub(super) fn run_script<K: From<VrrpKey> + Copy>(&mut self, core: &mut Core<K>, s: &Spawn) {
        s.start(core, K::from(VrrpKey::Script));
    }
}
