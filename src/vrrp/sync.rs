//! `vrrp_sync_group`: the instances of a group move together, as keepalived's `vrrp_sync.c` moves
//! them. One pure [`SyncGroup`] per group; it owns no instance, reads no clock and arms no timer.
//!
//! # Rules (keepalived 2.2.7, each marked at its line)
//! - MASTER: a member never takes MASTER on its own ([`Params::sync_member`]). When its
//!   Master_Down_Timer fires it stays BACKUP and reports [`Event::Want`]`(Master)`; when every
//!   member wants MASTER (or the group is MASTER already) the group orders all of them to MASTER
//!   (`vrrp_sync_can_goto_master`, `vrrp_sync_master`).
//! - BACKUP: when a MASTER member steps down (a higher-priority advertisement, a VIP removed),
//!   the group orders every other member to BACKUP (`vrrp_sync_backup`).
//! - FAULT: when a member enters FAULT of its own (interface down, weight-0 tracker down) the
//!   group orders every other member to FAULT (`vrrp_sync_fault`); members leave FAULT only
//!   when no member is in FAULT of its own any more, all together, to BACKUP (`try_up_instance`).
//! - Tracking: the group's `track_*` act on every member with their weights; a member's own
//!   weighted trackers act with weight 0 unless `sync_group_tracking_weight` ([`member_tracking`]).
//!
//! # Call order (the daemon's contract, as for [`Instance`])
//!
//! ```text
//! let mut g = SyncGroup::new("G1", vec![i_a, i_b]);   // the daemon's own ids of the members
//! // every instance of the group is built with Params { sync_member: true, .. }
//! // after any mutation of member i (input or timeout), while draining its outputs:
//! while let Some(out) = insts[i].poll_output() {
//!     if let Output::Event(ev) = &out { g.handle_event(i, ev) }   // every event, in order
//!     ..                                                           // then as usual
//! }
//! // then drain the group, FIFO, before the next mutation of anything:
//! while let Some(out) = g.poll_output() {
//!     match out {
//!         SyncOutput::Order { member, order } => {
//!             insts[member].handle_input(now, Input::Sync(order));
//!             drain member as above (its events go to g.handle_event; no nested group drain)
//!         }
//!         SyncOutput::Event(ge) => log ge.line(), notify the group scripts / FIFO
//!     }
//! }
//! ```
//!
//! Invariants:
//! - orders are queued, never applied by the group: the effects happen in one deterministic
//!   order (the member that caused a change first, then the others in configuration order);
//! - an order that no longer applies (the member changed state meanwhile) is ignored by the
//!   member, so orders may be given to every member without looking at their states;
//! - after the group is drained, the started members of a group are all in the same state;
//! - the group state changes only with a [`GroupEvent::StateChange`].
//!
//! # Not copied from keepalived
//! - keepalived 2.2.7 (`vrrp_complete_instance()` in `vrrp.c`) *removes* a member's weighted
//!   `track_script`, `track_bfd` and explicitly weighted `track_file` ("ignoring tracked script
//!   X with weights due to SYNC group", then "Warning - script X is not used"): the check never
//!   runs and its failure moves nothing. It sets the weight of a member's `track_interface` (and
//!   default-weight `track_file`) to 0. We use weight 0 for all of them (`track_process` too), so
//!   a failing check puts the group in FAULT, which is what the configuration meant.
//! - keepalived holds a group in INIT while a weight-0 script has not reported yet
//!   (`num_member_init`); tracking inputs here have no "not yet known" value, the daemon gives a
//!   member its tracking once known (as it does for the link state).
//! - keepalived's master that receives a lower-priority advert also sends the GARPs of the other
//!   members (`garp_lower_prio_repeat`); the daemon can do that on
//!   [`GarpReason::LowerPriority`](super::GarpReason) from a member; the machines do not.
//! - keepalived computes `wantstate` from several places of its scheduler; here the member
//!   reports it ([`Event::Want`]) and the group keeps its own copy, so the group never reads a
//!   member.

use std::collections::VecDeque;
use std::sync::Arc;

use crate::config::vrrp::{SyncGroup as SyncGroupConfig, TrackRef, Tracking};

use super::event::{Event, State};
use super::instance::SyncOrder;
#[cfg(doc)]
use super::instance::{Input, Instance, Params};

/// Something the group changed: log it, run the group's notify scripts, write the FIFO.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupEvent {
    /// The group moved its members from `from` to `to`.
    StateChange {
        group: Arc<str>,
        from: State,
        to: State,
    },
}

impl GroupEvent {
    /// keepalived's line: "VRRP_Group(G1) Syncing instances to MASTER state".
    pub fn line(&self) -> String {
        match self {
            GroupEvent::StateChange { group, to, .. } => {
                format!(
                    "VRRP_Group({group}) Syncing instances to {} state",
                    to.name()
                )
            }
        }
    }

    /// The notify FIFO line (`GROUP "G1" MASTER 0`: groups have no priority, keepalived writes
    /// 0); the `notify` script gets the same four words as arguments.
    pub fn fifo_line(&self) -> String {
        match self {
            GroupEvent::StateChange { group, to, .. } => {
                format!("GROUP \"{group}\" {} 0", to.name())
            }
        }
    }
}

/// What the group asks of the daemon, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncOutput {
    /// Give `Input::Sync(order)` to the instance the daemon calls `member`, then drain it.
    Order { member: usize, order: SyncOrder },
    /// Log and notify.
    Event(GroupEvent),
}

#[derive(Debug, Clone, Copy)]
struct Member {
    /// The daemon's id of the instance.
    id: usize,
    /// The last [`Event::Want`] it reported (`Backup` until it says otherwise).
    want: State,
}

/// The machine of one `vrrp_sync_group`. See the module doc for the call order.
#[derive(Debug, Clone)]
pub struct SyncGroup {
    name: Arc<str>,
    members: Vec<Member>,
    /// `Backup`, `Master` or `Fault` (keepalived starts a group in BACKUP).
    state: State,
    out: VecDeque<SyncOutput>,
}

impl SyncGroup {
    /// A group in BACKUP over `members`, the daemon's ids of its instances in configuration order
    /// (a repeated id is kept once).
    pub fn new(name: &str, members: Vec<usize>) -> SyncGroup {
        let mut ms: Vec<Member> = Vec::with_capacity(members.len());
        for id in members {
            if !ms.iter().any(|m| m.id == id) {
                ms.push(Member {
                    id,
                    want: State::Backup,
                });
            }
        }
        SyncGroup {
            name: name.into(),
            members: ms,
            state: State::Backup,
            out: VecDeque::new(),
        }
    }

    /// The group's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The group's state: `Backup`, `Master` or `Fault`.
    pub fn state(&self) -> State {
        self.state
    }

    /// The daemon's ids of the members, in configuration order.
    pub fn members(&self) -> impl Iterator<Item = usize> + '_ {
        self.members.iter().map(|m| m.id)
    }

    /// True if `id` is a member.
    pub fn contains(&self, id: usize) -> bool {
        self.members.iter().any(|m| m.id == id)
    }

    /// One event that member `member` emitted (give every event, in order); events of other
    /// instances and events that do not concern the group are ignored. Then drain
    /// [`SyncGroup::poll_output`].
    pub fn handle_event(&mut self, member: usize, event: &Event) {
        let Some(k) = self.members.iter().position(|m| m.id == member) else {
            return;
        };
        match *event {
            Event::Want(want) => self.on_want(k, want),
            Event::StateChange {
                from: State::Master,
                to: State::Backup,
                ..
            } if self.state == State::Master => {
                // keepalived TSM MASTER -> BACKUP: `vrrp_sync_backup()`; a member met a higher
                // priority (or lost a VIP), the whole group follows it to BACKUP.
                self.sync(k, State::Backup);
            }
            Event::StateChange {
                to: State::Master, ..
            } if self.state == State::Backup => {
                // Only reached if the daemon did not set `Params::sync_member` on this member
                // (it went MASTER on its own): keepalived TSM BACKUP -> MASTER,
                // `vrrp_sync_master()`, so the group at least stays together.
                self.sync(k, State::Master);
            }
            _ => {}
        }
    }

    /// The next output, in order; `None` when drained.
    pub fn poll_output(&mut self) -> Option<SyncOutput> {
        self.out.pop_front()
    }

    fn on_want(&mut self, k: usize, want: State) {
        let before = self.members[k].want;
        self.members[k].want = want;
        if want == State::Fault {
            if self.state != State::Fault {
                // keepalived `down_instance()`: the first member in FAULT of its own takes the
                // group to FAULT (`vrrp_sync_fault()`).
                self.sync(k, State::Fault);
            }
            return;
        }
        if before == State::Fault
            && self.state == State::Fault
            && self.members.iter().all(|m| m.want != State::Fault)
        {
            // keepalived `try_up_instance()`: the last member in FAULT of its own is out of
            // it; every member leaves FAULT for BACKUP (`vrrp_sync_backup()`), this one first.
            self.sync(k, State::Backup);
        }
        if want == State::Master {
            match self.state {
                State::Master => {
                    // keepalived `vrrp_sync_can_goto_master()`: "if GROUP_STATE == MASTER
                    // return true" (a member that was not MASTER with the rest).
                    self.order(self.members[k].id, SyncOrder::Master);
                }
                State::Backup if self.members.iter().all(|m| m.want == State::Master) => {
                    // keepalived `vrrp_sync_can_goto_master()`: "Only sync to master if everyone
                    // wants to i.e. prefer backup state to avoid thrashing"; then
                    // `vrrp_sync_master()` moves them all, this one first.
                    self.sync(k, State::Master);
                }
                _ => {}
            }
        }
    }

    /// The group goes to `to` because of member `k`: one event, then one order per member
    /// (member `k` first, then the others in configuration order). Member `k` is not ordered
    /// when it stepped down from MASTER by itself; it is ordered to FAULT even when in FAULT of
    /// its own, for the case it has not started yet (keepalived `vrrp_complete_init()`: every
    /// member of a FAULT group starts in FAULT).
    fn sync(&mut self, k: usize, to: State) {
        let from = self.state;
        self.state = to;
        self.out
            .push_back(SyncOutput::Event(GroupEvent::StateChange {
                group: Arc::clone(&self.name),
                from,
                to,
            }));
        let order = match to {
            State::Master => SyncOrder::Master,
            State::Fault => SyncOrder::Fault,
            _ => SyncOrder::Backup,
        };
        let itself = !(from == State::Master && to == State::Backup);
        let first = self.members.get(k).map(|m| m.id);
        let others = self
            .members
            .iter()
            .map(|m| m.id)
            .filter(|&id| Some(id) != first);
        let orders = first
            .filter(|_| itself)
            .into_iter()
            .chain(others)
            .map(|member| SyncOutput::Order { member, order });
        self.out.extend(orders);
    }

    fn order(&mut self, member: usize, order: SyncOrder) {
        self.out.push_back(SyncOutput::Order { member, order });
    }
}

/// The tracking of one member of `group` (keepalived 2.2.7 `vrrp_complete_instance()` and
/// `sync_group_tracking_init()` in `vrrp.c`): the member's own trackers, then the group's.
///
/// - Without `sync_group_tracking_weight`, a member's own tracker acts with weight 0 (its
///   failure is a FAULT, which the group spreads). keepalived zeroes `track_interface` weights
///   but drops weighted scripts, processes, bfds and files altogether (see the module doc); we
///   keep them at weight 0. The configuration check already warns about each of them.
/// - The group's trackers act on every member with their own weights ("We will use the sync
///   group's weight unless the vrrp setting is unweighted": a tracker both in the member and in
///   the group is kept once, with weight 0 if either says 0, else the group's weight).
/// - `default_weight(kind, name)` is the weight a reference without `weight` takes from its
///   tracker (`vrrp_script`/`track_file`/`vrrp_track_process` `weight`, 0 for bfd); `kind` is
///   `"script"`, `"file"`, `"process"` or `"bfd"`.
pub fn member_tracking(
    own: &Tracking,
    group: &SyncGroupConfig,
    default_weight: impl Fn(&str, &str) -> i32,
) -> Tracking {
    let weighted = group.sync_group_tracking_weight;
    let mut t = own.clone();
    if !weighted {
        for i in &mut t.interfaces {
            if i.weight.is_some_and(|w| w != 0) {
                i.weight = Some(0);
            }
        }
        for r in refs_mut(&mut t) {
            r.weight = Some(0);
        }
    }
    for gi in &group.tracking.interfaces {
        match t.interfaces.iter_mut().find(|i| i.name == gi.name) {
            Some(i) if i.weight.unwrap_or(0) == 0 => {}
            Some(i) => *i = gi.clone(),
            None => t.interfaces.push(gi.clone()),
        }
    }
    for (kind, own_refs, group_refs) in [
        ("script", &mut t.scripts, &group.tracking.scripts),
        ("file", &mut t.files, &group.tracking.files),
        ("process", &mut t.processes, &group.tracking.processes),
        ("bfd", &mut t.bfds, &group.tracking.bfds),
    ] {
        for gr in group_refs {
            let w = |r: &TrackRef| r.weight.unwrap_or_else(|| default_weight(kind, &r.name));
            match own_refs.iter_mut().find(|r| r.name == gr.name) {
                Some(r) if w(r) == 0 => {}
                Some(r) => *r = gr.clone(),
                None => own_refs.push(gr.clone()),
            }
        }
    }
    t
}

fn refs_mut(t: &mut Tracking) -> impl Iterator<Item = &mut TrackRef> {
    t.scripts
        .iter_mut()
        .chain(t.files.iter_mut())
        .chain(t.processes.iter_mut())
        .chain(t.bfds.iter_mut())
}

#[cfg(test)]
mod tests {
    //! One test per rule, on the group alone (events in, outputs out), then the same rules with
    //! real instances driven by the module doc's loop.

    use std::net::{IpAddr, Ipv4Addr};
    use std::time::Duration;

    use super::*;
    use crate::config::At;
    use crate::config::vrrp::{Notifies, TrackIf};
    use crate::time::Instant;
    use crate::vrrp::instance::testing::advert_from;
    use crate::vrrp::{Input, Instance, Output, Params, Reason, RxMeta};

    const A: usize = 7;
    const B: usize = 3;

    fn drain(g: &mut SyncGroup) -> Vec<SyncOutput> {
        std::iter::from_fn(|| g.poll_output()).collect()
    }

    fn want(g: &mut SyncGroup, m: usize, s: State) -> Vec<SyncOutput> {
        g.handle_event(m, &Event::Want(s));
        drain(g)
    }

    fn change(g: &mut SyncGroup, m: usize, from: State, to: State) -> Vec<SyncOutput> {
        g.handle_event(
            m,
            &Event::StateChange {
                from,
                to,
                reason: Reason::Preempted,
            },
        );
        drain(g)
    }

    fn ev(from: State, to: State) -> SyncOutput {
        SyncOutput::Event(GroupEvent::StateChange {
            group: "G1".into(),
            from,
            to,
        })
    }

    fn order(member: usize, order: SyncOrder) -> SyncOutput {
        SyncOutput::Order { member, order }
    }

    fn group() -> SyncGroup {
        SyncGroup::new("G1", vec![A, B])
    }

    #[test]
    fn master_only_when_every_member_wants_it_the_last_one_first() {
        // keepalived vrrp_sync_can_goto_master(): "Only sync to master if everyone wants to".
        let mut g = group();
        assert_eq!(want(&mut g, A, State::Master), []);
        assert_eq!(g.state(), State::Backup);
        assert_eq!(
            want(&mut g, B, State::Master),
            [
                ev(State::Backup, State::Master),
                order(B, SyncOrder::Master),
                order(A, SyncOrder::Master),
            ]
        );
        assert_eq!(g.state(), State::Master);
    }

    #[test]
    fn a_member_that_hears_its_master_again_no_longer_counts() {
        // keepalived vrrp_state_backup(): an accepted advert sets wantstate back to BACKUP.
        let mut g = group();
        want(&mut g, A, State::Master);
        assert_eq!(want(&mut g, A, State::Backup), []);
        assert_eq!(want(&mut g, B, State::Master), []);
        assert_eq!(g.state(), State::Backup);
    }

    #[test]
    fn a_member_wanting_master_joins_a_master_group() {
        // keepalived vrrp_sync_can_goto_master(): "GROUP_STATE == MASTER -> true".
        let mut g = group();
        want(&mut g, A, State::Master);
        want(&mut g, B, State::Master);
        want(&mut g, B, State::Backup);
        assert_eq!(
            want(&mut g, B, State::Master),
            [order(B, SyncOrder::Master)]
        );
    }

    #[test]
    fn one_master_stepping_down_takes_the_others_to_backup() {
        // keepalived TSM MASTER -> BACKUP: vrrp_sync_backup(); the member itself is not ordered.
        let mut g = group();
        want(&mut g, A, State::Master);
        want(&mut g, B, State::Master);
        assert_eq!(
            change(&mut g, A, State::Master, State::Backup),
            [
                ev(State::Master, State::Backup),
                order(B, SyncOrder::Backup)
            ]
        );
        assert_eq!(g.state(), State::Backup);
        // The others following it report the same change: nothing more.
        assert_eq!(change(&mut g, B, State::Master, State::Backup), []);
    }

    #[test]
    fn one_fault_takes_every_member_to_fault() {
        // keepalived down_instance() -> vrrp_sync_fault().
        let mut g = SyncGroup::new("G1", vec![A, B, 9]);
        assert_eq!(
            want(&mut g, B, State::Fault),
            [
                ev(State::Backup, State::Fault),
                order(B, SyncOrder::Fault),
                order(A, SyncOrder::Fault),
                order(9, SyncOrder::Fault),
            ]
        );
        assert_eq!(want(&mut g, A, State::Fault), []);
        assert_eq!(g.state(), State::Fault);
    }

    #[test]
    fn fault_is_left_when_no_member_is_in_fault_of_its_own() {
        // keepalived try_up_instance(): "if (--vrrp->sync->num_member_fault) return".
        let mut g = group();
        want(&mut g, A, State::Fault);
        want(&mut g, B, State::Fault);
        assert_eq!(want(&mut g, A, State::Backup), []);
        // A member forced into FAULT that wants MASTER (an owner) does not move the group.
        assert_eq!(want(&mut g, A, State::Master), []);
        assert_eq!(g.state(), State::Fault);
        assert_eq!(
            want(&mut g, B, State::Backup),
            [
                ev(State::Fault, State::Backup),
                order(B, SyncOrder::Backup),
                order(A, SyncOrder::Backup),
            ]
        );
        assert_eq!(g.state(), State::Backup);
    }

    #[test]
    fn fault_of_a_master_group() {
        let mut g = group();
        want(&mut g, A, State::Master);
        want(&mut g, B, State::Master);
        assert_eq!(
            want(&mut g, A, State::Fault),
            [
                ev(State::Master, State::Fault),
                order(A, SyncOrder::Fault),
                order(B, SyncOrder::Fault)
            ]
        );
        // The forced member no longer wants MASTER (it is FAULT), the group stays FAULT.
        assert_eq!(want(&mut g, B, State::Backup), []);
        assert_eq!(change(&mut g, B, State::Master, State::Fault), []);
    }

    #[test]
    fn other_instances_and_other_events_are_ignored() {
        let mut g = group();
        assert_eq!(want(&mut g, 99, State::Fault), []);
        g.handle_event(A, &Event::Note(crate::vrrp::Note::AdvertTimeout));
        assert_eq!(drain(&mut g), []);
        assert_eq!(change(&mut g, A, State::Init, State::Backup), []);
        assert_eq!(g.state(), State::Backup);
    }

    #[test]
    fn a_member_that_went_master_by_itself_takes_the_group_along() {
        // Only without Params::sync_member (a daemon bug): keepalived TSM BACKUP -> MASTER.
        let mut g = group();
        assert_eq!(
            change(&mut g, A, State::Backup, State::Master),
            [
                ev(State::Backup, State::Master),
                order(A, SyncOrder::Master),
                order(B, SyncOrder::Master)
            ]
        );
    }

    #[test]
    fn members_and_lines() {
        let g = SyncGroup::new("G1", vec![A, B, A]);
        assert_eq!(g.members().collect::<Vec<_>>(), [A, B]);
        assert!(g.contains(B) && !g.contains(1));
        assert_eq!(g.name(), "G1");
        let e = GroupEvent::StateChange {
            group: "G1".into(),
            from: State::Backup,
            to: State::Master,
        };
        assert_eq!(e.line(), "VRRP_Group(G1) Syncing instances to MASTER state");
        assert_eq!(e.fifo_line(), "GROUP \"G1\" MASTER 0");
    }

    // -----------------------------------------------------------------------------------------
    // member_tracking

    fn tif(name: &str, weight: Option<i32>) -> TrackIf {
        TrackIf {
            name: name.into(),
            weight,
            reverse: false,
            at: At::default(),
        }
    }

    fn tref(name: &str, weight: Option<i32>) -> TrackRef {
        TrackRef {
            name: name.into(),
            weight,
            reverse: None,
            at: At::default(),
        }
    }

    fn sg(tracking: Tracking, weighted: bool) -> SyncGroupConfig {
        SyncGroupConfig {
            name: "G1".into(),
            at: At::default(),
            group: Vec::new(),
            tracking,
            notify: Notifies::default(),
            smtp_alert: None,
            notify_priority_changes: None,
            sync_group_tracking_weight: weighted,
        }
    }

    /// `chk` has weight -20 in its vrrp_script, everything else 0.
    fn defaults(kind: &str, name: &str) -> i32 {
        if kind == "script" && name == "chk" {
            -20
        } else {
            0
        }
    }

    #[test]
    fn member_trackers_act_with_weight_0_unless_the_group_allows_weights() {
        let own = Tracking {
            interfaces: vec![tif("eth1", Some(-30)), tif("eth2", None)],
            scripts: vec![tref("chk", None), tref("chk2", Some(10))],
            files: vec![tref("f", None)],
            processes: vec![tref("p", Some(-5))],
            bfds: vec![tref("b", Some(7))],
        };
        let t = member_tracking(&own, &sg(Tracking::default(), false), defaults);
        assert_eq!(t.interfaces, [tif("eth1", Some(0)), tif("eth2", None)]);
        assert_eq!(t.scripts, [tref("chk", Some(0)), tref("chk2", Some(0))]);
        assert_eq!(t.files, [tref("f", Some(0))]);
        assert_eq!(t.processes, [tref("p", Some(0))]);
        assert_eq!(t.bfds, [tref("b", Some(0))]);
        // sync_group_tracking_weight: the member's weights stand.
        assert_eq!(
            member_tracking(&own, &sg(Tracking::default(), true), defaults),
            own
        );
    }

    #[test]
    fn group_trackers_act_on_every_member_with_their_weights() {
        let group = Tracking {
            interfaces: vec![tif("eth3", Some(-60)), tif("eth1", Some(-10))],
            scripts: vec![tref("chk", Some(-60)), tref("chk3", None)],
            ..Tracking::default()
        };
        // Not weighted: the member's eth1 is weight 0, which wins over the group's (keepalived
        // add_vrrp_to_interface: "use the sync group's weight unless the vrrp setting is
        // unweighted").
        let own = Tracking {
            interfaces: vec![tif("eth1", Some(-30))],
            scripts: vec![tref("chk", None)],
            ..Tracking::default()
        };
        let t = member_tracking(&own, &sg(group.clone(), false), defaults);
        assert_eq!(t.interfaces, [tif("eth1", Some(0)), tif("eth3", Some(-60))]);
        assert_eq!(t.scripts, [tref("chk", Some(0)), tref("chk3", None)]);
        // Weighted: the group's weight replaces the member's.
        let t = member_tracking(&own, &sg(group, true), defaults);
        assert_eq!(
            t.interfaces,
            [tif("eth1", Some(-10)), tif("eth3", Some(-60))]
        );
        assert_eq!(t.scripts, [tref("chk", Some(-60)), tref("chk3", None)]);
    }

    // -----------------------------------------------------------------------------------------
    // With instances: the module doc's loop.

    fn ip(last: u8) -> IpAddr {
        IpAddr::V4(Ipv4Addr::new(10, 0, 0, last))
    }

    fn member(name: &str, vrid: u8, prio: u8) -> Instance {
        let mut p = Params::new(name, vrid, ip(5));
        p.priority = prio;
        p.vips = vec![ip(100 + vrid)];
        p.sync_member = true;
        Instance::new(p, Instant::ZERO)
    }

    /// The daemon's loop: one mutation of member `i`, then its outputs and the group's, FIFO.
    /// Returns every instance output as (member, output) and every group event.
    fn run(
        insts: &mut [Instance],
        g: &mut SyncGroup,
        now: Instant,
        i: usize,
        input: Option<Input<'_>>,
    ) -> (Vec<(usize, Output)>, Vec<GroupEvent>) {
        let mut outs = Vec::new();
        let mut events = Vec::new();
        match input {
            Some(input) => insts[i].handle_input(now, input),
            None => insts[i].handle_timeout(now),
        }
        let mut drain_one = |insts: &mut [Instance], g: &mut SyncGroup, i: usize| {
            while let Some(o) = insts[i].poll_output() {
                if let Output::Event(e) = &o {
                    g.handle_event(i, e);
                }
                outs.push((i, o));
            }
        };
        drain_one(insts, g, i);
        while let Some(o) = g.poll_output() {
            match o {
                SyncOutput::Order { member, order } => {
                    insts[member].handle_input(now, Input::Sync(order));
                    drain_one(insts, g, member);
                }
                SyncOutput::Event(e) => events.push(e),
            }
        }
        (outs, events)
    }

    fn states(insts: &[Instance]) -> Vec<State> {
        insts.iter().map(|v| v.state()).collect()
    }

    fn ms(n: u64) -> Instant {
        Instant::ZERO + Duration::from_millis(n)
    }

    #[test]
    fn two_instances_move_together_through_master_backup_fault() {
        let mut insts = vec![member("VI_A", 1, 100), member("VI_B", 2, 100)];
        let mut g = SyncGroup::new("G1", vec![0, 1]);
        run(&mut insts, &mut g, ms(0), 0, None);
        run(&mut insts, &mut g, ms(0), 1, None);
        assert_eq!(states(&insts), [State::Backup, State::Backup]);
        // VI_A times out first: held in BACKUP, re-armed one Master_Down_Interval later.
        let mdi = insts[0].master_down_interval();
        let t = Instant::ZERO + mdi;
        let (outs, events) = run(&mut insts, &mut g, t, 0, None);
        assert_eq!(states(&insts), [State::Backup, State::Backup]);
        assert!(events.is_empty());
        assert!(!outs.iter().any(|(_, o)| matches!(o, Output::Transmit(_))));
        assert_eq!(insts[0].poll_timeout(), Some(t + mdi));
        // VI_B too: both MASTER, VI_B first (advert before VIPs, as alone).
        let (outs, events) = run(&mut insts, &mut g, t, 1, None);
        assert_eq!(states(&insts), [State::Master, State::Master]);
        assert_eq!(events.len(), 1);
        assert_eq!(
            events[0].line(),
            "VRRP_Group(G1) Syncing instances to MASTER state"
        );
        let sent: Vec<usize> = outs
            .iter()
            .filter(|(_, o)| matches!(o, Output::Transmit(_)))
            .map(|(i, _)| *i)
            .collect();
        assert_eq!(sent, [1, 0]);

        // VI_B hears a higher priority: both BACKUP, VI_A without priority 0.
        let a = crate::vrrp::AdvertOut {
            version: 2,
            vrid: 2,
            priority: 200,
            interval: Duration::from_secs(1),
            addrs: vec![ip(102)].into(),
        };
        let advert = advert_from(&a, &crate::vrrp::Auth::None);
        let meta = RxMeta {
            src: ip(9),
            multicast: true,
            ttl: Some(255),
        };
        let t2 = t + Duration::from_secs(1);
        let (outs, events) = run(
            &mut insts,
            &mut g,
            t2,
            1,
            Some(Input::Advert { advert, meta }),
        );
        assert_eq!(states(&insts), [State::Backup, State::Backup]);
        assert_eq!(
            events[0].line(),
            "VRRP_Group(G1) Syncing instances to BACKUP state"
        );
        assert!(
            !outs
                .iter()
                .any(|(_, o)| matches!(o, Output::Transmit(a) if a.priority == 0))
        );
        assert!(outs.contains(&(0, Output::Action(crate::vrrp::Action::DelVips))));

        // VI_A's link goes down: both FAULT; up again: both BACKUP.
        let (_, events) = run(&mut insts, &mut g, t2, 0, Some(Input::Link { up: false }));
        assert_eq!(states(&insts), [State::Fault, State::Fault]);
        assert_eq!(
            events[0].line(),
            "VRRP_Group(G1) Syncing instances to FAULT state"
        );
        let (_, events) = run(&mut insts, &mut g, t2, 0, Some(Input::Link { up: true }));
        assert_eq!(states(&insts), [State::Backup, State::Backup]);
        assert_eq!(
            events[0].line(),
            "VRRP_Group(G1) Syncing instances to BACKUP state"
        );
    }

    #[test]
    fn a_member_down_before_it_starts_starts_the_whole_group_in_fault() {
        // keepalived vrrp_complete_init(): members of a FAULT group start in FAULT.
        let mut insts = vec![member("VI_A", 1, 100), member("VI_B", 2, 100)];
        let mut g = SyncGroup::new("G1", vec![0, 1]);
        run(
            &mut insts,
            &mut g,
            ms(0),
            0,
            Some(Input::Link { up: false }),
        );
        assert_eq!(states(&insts), [State::Fault, State::Fault]);
        assert_eq!(insts[0].poll_timeout(), None);
        assert_eq!(insts[1].poll_timeout(), None);
        run(&mut insts, &mut g, ms(5), 0, Some(Input::Link { up: true }));
        assert_eq!(states(&insts), [State::Backup, State::Backup]);
    }

    #[test]
    fn a_group_of_owners_starts_master_a_mixed_group_waits() {
        // keepalived vrrp_complete_init(): a group starts MASTER only if all its members would.
        let mut insts = vec![member("VI_A", 1, 255), member("VI_B", 2, 255)];
        let mut g = SyncGroup::new("G1", vec![0, 1]);
        run(&mut insts, &mut g, ms(0), 0, None);
        assert_eq!(states(&insts), [State::Backup, State::Init]);
        run(&mut insts, &mut g, ms(0), 1, None);
        assert_eq!(states(&insts), [State::Master, State::Master]);

        let mut insts = vec![member("VI_A", 1, 255), member("VI_B", 2, 100)];
        let mut g = SyncGroup::new("G1", vec![0, 1]);
        run(&mut insts, &mut g, ms(0), 0, None);
        run(&mut insts, &mut g, ms(0), 1, None);
        assert_eq!(states(&insts), [State::Backup, State::Backup]);
        let t = insts[1].poll_timeout().unwrap();
        run(&mut insts, &mut g, t, 1, None);
        assert_eq!(states(&insts), [State::Master, State::Master]);
    }
}

#[cfg(test)]
mod random {
    //! Random inputs to the members of one group, through the daemon's loop: the members stay
    //! together and the group's state is theirs.

    use std::net::{IpAddr, Ipv4Addr};
    use std::time::Duration;

    use super::*;
    use crate::rng::Rng;
    use crate::time::Instant;
    use crate::vrrp::instance::testing::advert_from;
    use crate::vrrp::{AdvertOut, Auth, Input, Instance, Output, Params, RxMeta};

    fn ip(lan: u8, last: u8) -> IpAddr {
        IpAddr::V4(Ipv4Addr::new(10, 0, lan, last))
    }

    #[test]
    fn random_inputs_keep_the_members_together() {
        for seed in 0..1000 {
            let mut rng = Rng::new(seed);
            let n = 2 + rng.below(3) as usize;
            let mut insts: Vec<Instance> = (0..n)
                .map(|l| {
                    let mut p = Params::new(&format!("VI_{l}"), 1 + l as u8, ip(l as u8, 5));
                    p.priority = if rng.below(10) == 0 {
                        255
                    } else {
                        1 + rng.below(254) as u8
                    };
                    p.vips = vec![ip(l as u8, 100)];
                    p.sync_member = true;
                    p.startup_delay = Duration::from_millis(rng.below(2) * 500);
                    Instance::new(p, Instant::ZERO)
                })
                .collect();
            let mut g = SyncGroup::new("G", (0..n).collect());
            let mut now = Instant::ZERO;
            for _ in 0..300 {
                now += Duration::from_millis(rng.below(1500));
                let i = rng.below(n as u64) as usize;
                match rng.below(8) {
                    0 => insts[i].handle_input(
                        now,
                        Input::Link {
                            up: rng.below(3) > 0,
                        },
                    ),
                    1 => {
                        let (weight, fault) = (rng.below(100) as i32 - 50, rng.below(5) == 0);
                        insts[i].handle_input(now, Input::Tracking { weight, fault })
                    }
                    2 | 3 => {
                        let p = insts[i].params();
                        let out = AdvertOut {
                            version: 2,
                            vrid: p.vrid,
                            priority: rng.below(256) as u8,
                            interval: Duration::from_secs(1),
                            addrs: p.vips.iter().copied().collect(),
                        };
                        let advert = advert_from(&out, &Auth::None);
                        let meta = RxMeta {
                            src: ip(i as u8, 1 + rng.below(9) as u8),
                            multicast: true,
                            ttl: Some(255),
                        };
                        insts[i].handle_input(now, Input::Advert { advert, meta });
                    }
                    4 if rng.below(20) == 0 => {
                        insts[i].handle_input(now, Input::VipRemoved(ip(i as u8, 100)))
                    }
                    _ => {
                        if let Some(t) = insts[i].poll_timeout() {
                            now = now.max(t);
                        }
                        insts[i].handle_timeout(now);
                    }
                }
                // The daemon's loop.
                let mut pending = vec![i];
                let mut steps = 0;
                loop {
                    for m in pending.drain(..) {
                        while let Some(o) = insts[m].poll_output() {
                            if let Output::Event(e) = &o {
                                g.handle_event(m, e);
                            }
                        }
                    }
                    let Some(o) = g.poll_output() else { break };
                    steps += 1;
                    assert!(steps < 10 * n, "seed {seed}: the group does not settle");
                    if let SyncOutput::Order { member, order } = o {
                        insts[member].handle_input(now, Input::Sync(order));
                        pending.push(member);
                    }
                }
                let started: Vec<State> = insts
                    .iter()
                    .map(|v| v.state())
                    .filter(|&s| s != State::Init)
                    .collect();
                assert!(
                    started.windows(2).all(|w| w[0] == w[1]),
                    "seed {seed}: {started:?}"
                );
                if started.len() == n {
                    assert_eq!(g.state(), started[0], "seed {seed}");
                }
            }
        }
    }
}
