//! One VRRP instance: parameters, inputs, outputs and the state machine of RFC 5798 section 6.4
//! (RFC 3768 section 6.4 for version 2), with keepalived's deliberate deviations.
//!
//! # States and timers
//! `Init -> Backup | Master | Fault`, then between `Backup`, `Master` and `Fault`; `Shutdown` goes
//! back to `Init` for good. The timers are data (STYLE.md section 2), one slot per kind in
//! `[Option<Instant>; 6]`: `Start` (startup, after `startup_delay`), `Advert` (MASTER only),
//! `MasterDown` (BACKUP only), and the GARP timers `GarpDelay`, `GarpRefresh`, `GarpLowerPrio`
//! (MASTER only). Invariant: a timer is armed only in the state that uses it; leaving a state
//! disarms its timers. The `preempt_delay` end is a deadline compared when an advertisement
//! arrives, as keepalived does, not a timer: preemption then happens when the Master_Down_Timer
//! (no longer reset by the lower-priority master) fires.
//!
//! # Timing (reference section 2.5)
//! - Skew_Time = (256 - priority) x Master_Adver_Interval / 256 (v3), (256 - priority) / 256 s (v2),
//!   with the *effective* priority, as keepalived;
//! - Master_Down_Interval = `down_timer_adverts` (default 3) x Master_Adver_Interval + Skew_Time;
//! - a v3 backup adopts the master's advertised interval; a master uses its own.
//!
//! # keepalived deviations from the RFC (each marked at its line)
//! - a master receiving a lower-priority advertisement answers at once with its own (and GARPs),
//!   unless `lower_prio_no_advert`;
//! - `higher_prio_send_advert`: a master sends one advertisement before yielding;
//! - priority 0 is also sent on entering FAULT from MASTER and when a VIP disappears;
//! - a non-owner with `state MASTER` waits one interval + minimal skew at startup, not the full
//!   Master_Down_Interval; `preempt_delay` holds preemption back after startup or after seeing a
//!   lower-priority master;
//! - two address owners: ours drops to priority 254.
//!
//! # Sync-group members ([`Params::sync_member`], keepalived `vrrp_sync.c`)
//! A member never becomes MASTER and never leaves FAULT on its own: when its Master_Down_Timer
//! fires it stays BACKUP (timer re-armed to Master_Down_Interval) and reports
//! [`Event::Want`]`(Master)`; when its own fault clears it stays FAULT and reports
//! `Want(Backup)`. Its [`super::SyncGroup`] answers with [`Input::Sync`]. Everything else
//! (yielding to a higher priority, entering FAULT) it does itself, and the group follows.
//!
//! Our own deviation from keepalived: a master re-arms its advertisement timer only when it
//! actually sent an advertisement. keepalived re-arms it after every packet read in MASTER (even
//! one it dropped), so a stream of bogus packets can delay a master's adverts and cause a failover.
//!
//! # Learning a peer's checksum variant (VRRPv3 over IPv4; not in keepalived)
//! The executor verifies the checksum under the variant the instance sends with. When it does
//! not verify but another variant does, the executor gives [`Input::AdvertOtherChecksum`]; the
//! machine then runs every other check ([`validate`]) and adopts the variant
//! ([`Action::AdoptChecksum`], before anything it sends in answer) only when the packet passed
//! them all, the instance is VRRPv3 over IPv4, and the sender is a configured unicast peer or
//! becomes our master by that very packet: a backup follows it (priority at least ours, or
//! `nopreempt`, or `preempt_delay` holding), a master yields to it (RFC 5798 6.4.3: higher
//! priority, or equal and a higher address). Anything else is dropped as a checksum error: one
//! forged packet (TTL 1, priority 1, a stranger) can no longer switch what a master sends
//! (issue 11, defect 1), and a VRRPv2 instance never changes its checksum. A stranger whose
//! advert passes every check with a higher priority takes the VRID over anyway (VRRPv3 has no
//! authentication); that its variant is learned with it adds nothing to that.
//!
//! # Answering lower priorities (our cap on keepalived's deviation)
//! A master answers a lower-priority advert (keepalived's default, see above) at most once per
//! own advert interval: the answer, its GARPs, its log line and its `MASTER_RX_LOWER_PRI`
//! notification. keepalived answers every one, so a stranger's flood made the master send as
//! many adverts, GARP bursts and notify scripts as it received packets.

use std::collections::VecDeque;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use crate::config::vrrp::Family;
pub use crate::config::vrrp::State as StartState;
use crate::time::Instant;
use crate::wire::vrrp::ChecksumVariant;

use super::event::{Event, Note, Reason, State};
use super::params::clamp_v3_interval;
pub use super::params::{Auth, Garp, Params, Peer};
use super::validate::{Advert, Counters, DropReason, RxMeta, validate};
use super::{PRIO_OWNER, PRIO_STOP};

/// One mutation of the machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input<'a> {
    /// An advertisement for this VRID arrived.
    Advert { advert: Advert<'a>, meta: RxMeta },
    /// The codec refused a packet for this VRID (length, checksum): counted and reported.
    Malformed { src: IpAddr, reason: DropReason },
    /// An advertisement whose checksum does not verify under the instance's variant but does
    /// under `variant`. Adopted only under the module doc's rules (then
    /// [`Action::AdoptChecksum`] and the advert is handled as usual); else counted as
    /// [`DropReason::Checksum`], or under the first other check it fails.
    AdvertOtherChecksum {
        advert: Advert<'a>,
        meta: RxMeta,
        variant: ChecksumVariant,
    },
    /// The interface went up or down (down means FAULT).
    Link { up: bool },
    /// Tracking changed: `weight` is the sum of the weights of the failed (negative weights) and
    /// succeeded (positive weights) tracked objects; `fault` is true while any weight-0 object is
    /// down (keepalived: FAULT). An owner's priority never changes.
    Tracking { weight: i32, fault: bool },
    /// One of our VIPs (without `no_track`) was removed from the interface by someone else.
    VipRemoved(IpAddr),
    /// Stop: a master sends priority 0 and removes its VIPs (RFC 5798 6.4.3).
    Shutdown,
    /// An order of this instance's sync group (only for [`Params::sync_member`]; ignored in a
    /// state where it makes no sense).
    Sync(SyncOrder),
}

/// What a [`super::SyncGroup`] tells one of its members (keepalived `vrrp_sync.c`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncOrder {
    /// `vrrp_sync_master`: a BACKUP member becomes MASTER (the whole group wants it).
    Master,
    /// `vrrp_sync_backup`: a MASTER member steps down without priority 0; a FAULT member whose
    /// own interface and trackers are fine leaves FAULT.
    Backup,
    /// `vrrp_sync_fault`: another member is in FAULT; a MASTER member sends priority 0.
    Fault,
}

/// An advertisement to send, to the multicast group or to every unicast peer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdvertOut {
    /// 2 or 3.
    pub version: u8,
    /// Our VRID.
    pub vrid: u8,
    /// Effective priority, or 0 when stopping.
    pub priority: u8,
    /// Our own `advert_int`.
    pub interval: Duration,
    /// The VIPs, shared (no allocation per advert).
    pub addrs: Arc<[IpAddr]>,
}

/// Why GARPs / unsolicited NAs are sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GarpReason {
    /// First burst on becoming master.
    BecameMaster,
    /// Second burst, `garp_master_delay` later.
    MasterDelay,
    /// `garp_master_refresh`.
    Refresh,
    /// A lower-priority advert arrived while master.
    LowerPriority,
    /// Second burst, `garp_lower_prio_delay` after that.
    LowerPriorityDelay,
}

/// A side effect for the executor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Add the VIPs, eVIPs, virtual routes and rules. `block`: also install the accept-mode drop
    /// rule (`no_accept` and not the address owner).
    AddVips { block: bool },
    /// Remove them (and the drop rule).
    DelVips,
    /// Send `repeat` GARPs / unsolicited NAs for every VIP and eVIP.
    Garp { repeat: u32, reason: GarpReason },
    /// Send (and expect) VRRPv3 checksums of this variant from now on: `from` sent a valid
    /// advert with it (see the module doc).
    AdoptChecksum {
        variant: ChecksumVariant,
        from: IpAddr,
    },
}

/// What the machine asks the daemon to do, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Send an advertisement now.
    Transmit(AdvertOut),
    /// Do this to the kernel (addresses, GARPs).
    Action(Action),
    /// Log, notify, tell the sync group.
    Event(Event),
}

#[derive(Debug, Clone, Copy)]
enum Timer {
    Start,
    Advert,
    MasterDown,
    GarpDelay,
    GarpRefresh,
    GarpLowerPrio,
}

const TIMERS: usize = 6;

/// One deadline per [`Timer`] kind.
#[derive(Debug, Clone, Default)]
struct Timers([Option<Instant>; TIMERS]);

impl Timers {
    fn set(&mut self, t: Timer, at: Instant) {
        self.0[t as usize] = Some(at);
    }
    fn stop(&mut self, t: Timer) {
        self.0[t as usize] = None;
    }
    /// Disarms `t` and returns true if it was due at `now`.
    fn fire(&mut self, t: Timer, now: Instant) -> bool {
        match self.0[t as usize] {
            Some(at) if at <= now => {
                self.0[t as usize] = None;
                true
            }
            _ => false,
        }
    }
    fn next(&self) -> Option<Instant> {
        self.0.iter().flatten().min().copied()
    }
    fn stop_master(&mut self) {
        for t in [
            Timer::Advert,
            Timer::GarpDelay,
            Timer::GarpRefresh,
            Timer::GarpLowerPrio,
        ] {
            self.stop(t);
        }
    }
}

/// Compares two addresses of the same family numerically; different families compare equal
/// (keepalived's `vrrp_saddr_cmp`).
fn addr_cmp(a: IpAddr, b: IpAddr) -> std::cmp::Ordering {
    match (a, b) {
        (IpAddr::V4(a), IpAddr::V4(b)) => a.cmp(&b),
        (IpAddr::V6(a), IpAddr::V6(b)) => a.cmp(&b),
        _ => std::cmp::Ordering::Equal,
    }
}

/// The state machine of one `vrrp_instance`. See the module doc for the call order.
#[derive(Debug, Clone)]
pub struct Instance {
    p: Params,
    addrs: Arc<[IpAddr]>,
    state: State,
    /// After Shutdown nothing happens any more.
    stopped: bool,
    /// Configured priority (lowered to 254 by the rogue-owner rule).
    base_priority: u8,
    /// Effective priority: base + tracking weights, clamped to 1..=254; 255 for an owner.
    priority: u8,
    track_weight: i32,
    track_fault: bool,
    link_up: bool,
    /// RFC 5798 Master_Adver_Interval: the master's interval as a v3 backup, ours otherwise.
    master_adver_int: Duration,
    /// Source of the last advert accepted (or discarded as lower priority) in BACKUP.
    master_addr: Option<IpAddr>,
    master_priority: u8,
    /// End of the `preempt_delay` hold, once started.
    preempt_at: Option<Instant>,
    /// Sync-group member in BACKUP whose Master_Down_Timer fired: it waits for its group
    /// (keepalived: `wantstate` MASTER while `state` is BACKUP). Cleared by any state change
    /// and by an advertisement that resets the timer.
    wants_master: bool,
    /// The last [`Event::Want`] reported (sync-group members only).
    want: State,
    /// When a MASTER last answered a lower-priority advert (the cap of the module doc).
    lower_answered: Option<Instant>,
    timers: Timers,
    out: VecDeque<Output>,
    counters: Counters,
}

impl Instance {
    /// A new instance in `Init`; its first state is taken at `now + startup_delay` (the daemon
    /// sees that deadline in [`Instance::poll_timeout`]). Link and tracking inputs given before
    /// then decide whether it starts in FAULT.
    pub fn new(params: Params, now: Instant) -> Instance {
        let p = params.normalized();
        let mut timers = Timers::default();
        timers.set(Timer::Start, now + p.startup_delay);
        Instance {
            addrs: p.vips.iter().copied().collect(),
            state: State::Init,
            stopped: false,
            base_priority: p.priority,
            priority: p.priority,
            track_weight: 0,
            track_fault: false,
            link_up: true,
            master_adver_int: p.advert_int,
            master_addr: None,
            master_priority: 0,
            preempt_at: None,
            wants_master: false,
            want: State::Backup,
            lower_answered: None,
            timers,
            out: VecDeque::new(),
            counters: Counters::default(),
            p,
        }
    }

    /// Applies one input; then drain [`Instance::poll_output`].
    pub fn handle_input(&mut self, now: Instant, input: Input<'_>) {
        if self.stopped {
            return;
        }
        match input {
            Input::Advert { advert, meta } => self.on_advert(now, &advert, &meta, None),
            Input::AdvertOtherChecksum {
                advert,
                meta,
                variant,
            } => self.on_advert(now, &advert, &meta, Some(variant)),
            Input::Malformed { src, reason } => self.drop_packet(src, reason),
            Input::Link { up } => {
                self.link_up = up;
                self.update_fault(now);
            }
            Input::Tracking { weight, fault } => {
                self.track_weight = weight;
                self.track_fault = fault;
                self.update_priority();
                self.update_fault(now);
            }
            Input::VipRemoved(vip) => self.on_vip_removed(now, vip),
            Input::Shutdown => self.shutdown(),
            Input::Sync(order) => self.on_sync(now, order),
        }
        self.report_want();
    }

    /// Fires every timer due at `now`; harmless when none is.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.stopped {
            return;
        }
        if self.timers.fire(Timer::Start, now) {
            self.start(now);
        }
        if self.timers.fire(Timer::MasterDown, now) && self.state == State::Backup {
            self.push_event(Event::Note(Note::AdvertTimeout));
            if self.p.sync_member {
                // keepalived `vrrp_sync_can_goto_master()`: a sync-group member goes MASTER only
                // when every member wants to ("prefer backup state to avoid thrashing"); until
                // its group says so it stays BACKUP, wanting MASTER, with the timer re-armed to
                // Master_Down_Interval. Reported by `report_want`.
                self.wants_master = true;
                let down = self.master_down_interval();
                self.timers.set(Timer::MasterDown, now + down);
            } else {
                // RFC 5798 6.4.2: "If the Master_Down_Timer fires ... Transition to the
                // {Master} state".
                self.become_master(now, Reason::MasterDown);
            }
        }
        if self.timers.fire(Timer::Advert, now) && self.state == State::Master {
            // RFC 5798 6.4.3: "If the Adver_Timer fires, then: Send an ADVERTISEMENT; Reset the
            // Adver_Timer to Advertisement_Interval".
            self.send_advert(now);
        }
        if self.timers.fire(Timer::GarpDelay, now) && self.state == State::Master {
            self.garp(self.p.garp.master_repeat, GarpReason::MasterDelay);
        }
        if self.timers.fire(Timer::GarpRefresh, now) && self.state == State::Master {
            // keepalived checks the refresh when it sends an advert; we keep an exact timer.
            self.garp(self.p.garp.master_refresh_repeat, GarpReason::Refresh);
            self.timers
                .set(Timer::GarpRefresh, now + self.p.garp.master_refresh);
        }
        if self.timers.fire(Timer::GarpLowerPrio, now) && self.state == State::Master {
            self.garp(
                self.p.garp.lower_prio_repeat,
                GarpReason::LowerPriorityDelay,
            );
        }
        self.report_want();
    }

    /// The earliest armed deadline.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timers.next()
    }

    /// The next output, in order; `None` when drained.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.out.pop_front()
    }

    /// The current protocol state.
    pub fn state(&self) -> State {
        self.state
    }

    /// The effective priority (what we advertise).
    pub fn priority(&self) -> u8 {
        self.priority
    }

    /// The base priority (configured, or 254 after the rogue-owner rule).
    pub fn base_priority(&self) -> u8 {
        self.base_priority
    }

    /// The normalised parameters.
    pub fn params(&self) -> &Params {
        &self.p
    }

    /// The statistics (keepalived's stats file, one counter per drop reason).
    pub fn counters(&self) -> &Counters {
        &self.counters
    }

    /// Zeroes the statistics (SIGRTMAX-1, after they were written).
    pub fn clear_counters(&mut self) {
        self.counters = Counters::default();
    }

    /// Source of the master we last heard, while BACKUP.
    pub fn master_addr(&self) -> Option<IpAddr> {
        self.master_addr
    }

    /// Priority of the master we last heard, while BACKUP (0 if none).
    pub fn master_priority(&self) -> u8 {
        self.master_priority
    }

    /// RFC 5798 Master_Adver_Interval.
    pub fn master_adver_int(&self) -> Duration {
        self.master_adver_int
    }

    /// RFC 5798 6.1 Skew_Time, with the effective priority (keepalived `VRRP_TIMER_SKEW`).
    pub fn skew(&self) -> Duration {
        self.skew_units(256 - u64::from(self.priority))
    }

    /// RFC 5798 6.1 Master_Down_Interval, with `down_timer_adverts` for the RFC's 3.
    pub fn master_down_interval(&self) -> Duration {
        self.master_adver_int * u32::from(self.p.down_timer_adverts) + self.skew()
    }

    /// `units` / 256 of the interval Skew_Time is based on: Master_Adver_Interval for v3
    /// (RFC 5798 6.1), one second for v2 (RFC 3768 6.1).
    fn skew_units(&self, units: u64) -> Duration {
        let base = if self.p.version == 3 {
            self.master_adver_int
        } else {
            Duration::from_secs(1)
        };
        let ns = base.as_nanos() * u128::from(units) / 256;
        Duration::from_nanos(u64::try_from(ns).unwrap_or(u64::MAX))
    }

    fn push_event(&mut self, e: Event) {
        self.out.push_back(Output::Event(e));
    }

    fn push_action(&mut self, a: Action) {
        self.out.push_back(Output::Action(a));
    }

    fn change_state(&mut self, to: State, reason: Reason) {
        let from = self.state;
        self.state = to;
        self.wants_master = false;
        self.push_event(Event::StateChange { from, to, reason });
    }

    fn drop_packet(&mut self, src: IpAddr, reason: DropReason) {
        self.counters.record_drop(&reason);
        self.push_event(Event::Dropped { src, reason });
    }

    /// Queues one advertisement with `priority` (effective, or 0).
    fn transmit(&mut self, priority: u8) {
        self.counters.adverts_sent += 1;
        if priority == PRIO_STOP {
            self.counters.priority_zero_sent += 1;
        }
        self.out.push_back(Output::Transmit(AdvertOut {
            version: self.p.version,
            vrid: self.p.vrid,
            priority,
            interval: self.p.advert_int,
            addrs: Arc::clone(&self.addrs),
        }));
    }

    /// MASTER: send with the effective priority and reset the Adver_Timer.
    fn send_advert(&mut self, now: Instant) {
        self.transmit(self.priority);
        self.timers.set(Timer::Advert, now + self.p.advert_int);
    }

    fn garp(&mut self, repeat: u32, reason: GarpReason) {
        if repeat > 0 {
            self.push_action(Action::Garp { repeat, reason });
        }
    }

    fn faulted(&self) -> bool {
        !self.link_up || self.track_fault
    }

    fn fault_reason(&self) -> Reason {
        if self.link_up {
            Reason::TrackFault
        } else {
            Reason::LinkDown
        }
    }

    /// The Start timer: keepalived's `vrrp_init_state` (RFC 5798 6.4.1, Initialize).
    fn start(&mut self, now: Instant) {
        if self.faulted() {
            // keepalived: an instance whose interface or weight-0 tracker is down starts in
            // FAULT ("Entering FAULT STATE (init)"); the RFC has no such state.
            self.change_state(State::Fault, Reason::Startup);
        } else if self.base_priority == PRIO_OWNER && !self.p.sync_member {
            // RFC 5798 6.4.1: "If the Priority = 255 ... Send an ADVERTISEMENT ... Transition to
            // the {Master} state".
            self.become_master(now, Reason::Owner);
        } else {
            // A sync-group owner starts as a BACKUP that wants MASTER (keepalived
            // `vrrp_complete_init()`: a group goes MASTER at startup only if all its members do).
            // RFC 5798 6.4.1: "Set Master_Down_Timer to Master_Down_Interval; Transition to the
            // {Backup} state".
            self.change_state(State::Backup, Reason::Startup);
            let down = if self.p.initial == StartState::Master || self.base_priority == PRIO_OWNER {
                // keepalived deviation: `state MASTER` (not owner) waits one interval plus the
                // minimal skew (priority 255), so it wins a simultaneous start.
                self.master_adver_int + self.skew_units(1)
            } else {
                self.master_down_interval()
            };
            self.timers.set(Timer::MasterDown, now + down);
            if !self.p.preempt_delay.is_zero() {
                // keepalived: `preempt_delay` also holds preemption back after startup.
                self.preempt_at = Some(now + self.p.preempt_delay);
            }
        }
    }

    /// To MASTER (RFC 5798 6.4.1 owner / 6.4.2 Master_Down_Timer / leaving FAULT as owner).
    fn become_master(&mut self, now: Instant, reason: Reason) {
        if self.master_adver_int != self.p.advert_int {
            // RFC 5798 6.4.3: a master advertises its own Advertisement_Interval.
            self.push_event(Event::Note(Note::IntervalRestored {
                from: self.master_adver_int,
                to: self.p.advert_int,
            }));
            self.master_adver_int = self.p.advert_int;
        }
        self.timers.stop(Timer::MasterDown);
        self.master_addr = None;
        self.master_priority = 0;
        self.preempt_at = None;
        // RFC 5798 6.4.2: "Send an ADVERTISEMENT" first; keepalived too, so that the old master
        // releases the VIPs before our GARPs go out.
        self.send_advert(now);
        self.change_state(State::Master, reason);
        self.counters.became_master += 1;
        let block = !self.p.accept && self.p.priority != PRIO_OWNER;
        self.push_action(Action::AddVips { block });
        // RFC 5798 6.4.2: "broadcast a gratuitous ARP request" for each VIP; keepalived sends
        // `garp_master_repeat` now and again after `garp_master_delay`.
        let g = self.p.garp;
        self.garp(g.master_repeat, GarpReason::BecameMaster);
        if g.master_repeat > 0 && !g.master_delay.is_zero() {
            self.timers.set(Timer::GarpDelay, now + g.master_delay);
        }
        if !g.master_refresh.is_zero() {
            self.timers.set(Timer::GarpRefresh, now + g.master_refresh);
        }
    }

    /// The side effects of leaving MASTER (after the state change event).
    fn release_master(&mut self, send_stop: bool) {
        self.timers.stop_master();
        if send_stop {
            self.transmit(PRIO_STOP);
            self.push_event(Event::Note(Note::PriorityZeroSent));
        }
        self.push_action(Action::DelVips);
        self.counters.released_master += 1;
    }

    /// To BACKUP with the Master_Down_Timer due `down` from now.
    fn enter_backup(&mut self, now: Instant, reason: Reason, down: Duration) {
        let was_master = self.state == State::Master;
        self.change_state(State::Backup, reason);
        if was_master {
            // RFC 5798 6.4.3: "Cancel Adver_Timer" (and nothing is sent: the new master is alive).
            self.release_master(reason == Reason::VipRemoved);
        }
        self.preempt_at = None;
        self.timers.set(Timer::MasterDown, now + down);
    }

    fn update_priority(&mut self) {
        let eff = if self.base_priority == PRIO_OWNER {
            PRIO_OWNER
        } else {
            let sum = i64::from(self.base_priority) + i64::from(self.track_weight);
            sum.clamp(1, 254) as u8
        };
        if eff != self.priority {
            self.push_event(Event::Note(Note::EffectivePriority {
                from: self.priority,
                to: eff,
            }));
            self.priority = eff;
        }
    }

    fn update_fault(&mut self, now: Instant) {
        match (self.state, self.faulted()) {
            (State::Backup | State::Master, true) => self.enter_fault(self.fault_reason()),
            // keepalived `try_up_instance()`: a sync-group member leaves FAULT only when no
            // member of its group is in FAULT of its own; it reports `Want` and waits for
            // `SyncOrder::Backup`.
            (State::Fault, false) if !self.p.sync_member => self.leave_fault(now),
            _ => {}
        }
    }

    /// To FAULT from BACKUP or MASTER.
    fn enter_fault(&mut self, reason: Reason) {
        let was_master = self.state == State::Master;
        self.change_state(State::Fault, reason);
        if was_master {
            // keepalived deviation (not in the RFC, which has no FAULT state): priority 0 on
            // leaving MASTER for FAULT, so a backup takes over after Skew_Time.
            self.release_master(true);
        }
        self.timers.stop(Timer::MasterDown);
        self.master_addr = None;
        self.preempt_at = None;
    }

    /// Out of FAULT (the interface is up, no weight-0 tracker is down).
    fn leave_fault(&mut self, now: Instant) {
        // keepalived (the RFC has no FAULT state): leaving FAULT is a new Initialize (RFC 5798
        // 6.4.1): an owner takes over, anyone else waits as a backup. A sync-group owner waits
        // as a backup that wants MASTER, until its group agrees.
        self.master_adver_int = self.p.advert_int;
        if self.base_priority == PRIO_OWNER && !self.p.sync_member {
            self.become_master(now, Reason::FaultCleared);
        } else {
            let down = self.master_down_interval();
            self.enter_backup(now, Reason::FaultCleared, down);
        }
    }

    /// An order of the sync group (keepalived `vrrp_sync.c`).
    fn on_sync(&mut self, now: Instant, order: SyncOrder) {
        match (order, self.state) {
            (SyncOrder::Master, State::Backup) => {
                // keepalived `vrrp_sync_master()` -> `vrrp_state_goto_master()`: every member
                // wants MASTER (or the group is MASTER already). As on the Master_Down_Timer
                // (RFC 5798 6.4.2): send an ADVERTISEMENT, then take the VIPs.
                self.become_master(now, Reason::Sync);
            }
            (SyncOrder::Backup, State::Master) => {
                // keepalived `vrrp_sync_backup()` -> `vrrp_state_leave_master(isync, false)`:
                // another member met a higher priority; step down without priority 0 (the
                // group's new master is elsewhere) and wait a Master_Down_Interval.
                let down = self.master_down_interval();
                self.enter_backup(now, Reason::Sync, down);
            }
            (SyncOrder::Backup, State::Fault) if !self.faulted() => {
                // keepalived `vrrp_sync_backup()` -> `vrrp_state_leave_fault()`: the last member
                // in FAULT of its own left it.
                self.leave_fault(now);
            }
            (SyncOrder::Fault, State::Backup | State::Master) => {
                // keepalived `vrrp_sync_fault()`: another member is in FAULT; a master leaves
                // with priority 0 (`vrrp_state_leave_master()` with wantstate FAULT).
                self.enter_fault(Reason::Sync);
            }
            (SyncOrder::Fault, State::Init) => {
                // keepalived `vrrp_sync_fault()` puts INIT members in FAULT as well: the member
                // starts now, in FAULT, and leaves it with the group.
                self.timers.stop(Timer::Start);
                self.change_state(State::Fault, Reason::Sync);
            }
            // Already there, or not applicable (an order crossing a state change).
            _ => {}
        }
    }

    /// What a sync-group member would do without its group (keepalived's `wantstate`).
    fn wanted(&self) -> State {
        if self.faulted() {
            State::Fault
        } else if self.state == State::Master
            || (self.state == State::Backup
                && (self.wants_master || self.base_priority == PRIO_OWNER))
        {
            State::Master
        } else {
            State::Backup
        }
    }

    /// After every mutation of a sync-group member: [`Event::Want`] when it changed.
    fn report_want(&mut self) {
        if !self.p.sync_member || self.stopped {
            return;
        }
        let want = self.wanted();
        if want != self.want {
            self.want = want;
            self.push_event(Event::Want(want));
        }
    }

    fn on_vip_removed(&mut self, now: Instant, vip: IpAddr) {
        if self.state != State::Master {
            return;
        }
        // keepalived `set_vrrp_backup`: leave MASTER sending priority 0, then come back after
        // Skew_Time (re-adding the VIPs) unless a peer takes over first.
        self.push_event(Event::Note(Note::VipRemoved(vip)));
        self.master_adver_int = self.p.advert_int;
        let down = self.skew();
        self.enter_backup(now, Reason::VipRemoved, down);
    }

    fn shutdown(&mut self) {
        let was_master = self.state == State::Master;
        if self.state != State::Init {
            // RFC 5798 6.4.2 / 6.4.3: "If a Shutdown event is received ... Transition to the
            // {Initialize} state".
            self.change_state(State::Init, Reason::Shutdown);
        }
        if was_master {
            // RFC 5798 6.4.3: "Send an ADVERTISEMENT with Priority = 0".
            self.release_master(true);
        }
        self.timers = Timers::default();
        self.stopped = true;
    }

    /// `other`: the checksum verified only under this variant (see the module doc).
    fn on_advert(
        &mut self,
        now: Instant,
        adv: &Advert<'_>,
        meta: &RxMeta,
        other: Option<ChecksumVariant>,
    ) {
        // keepalived: adverts are ignored (not even counted) in INIT and FAULT.
        let known = match self.state {
            State::Init | State::Fault => return,
            State::Backup => self.master_addr,
            State::Master => None,
        };
        if let Err(reason) = validate(&self.p, adv, meta, known) {
            self.drop_packet(meta.src, reason);
            return;
        }
        if let Some(variant) = other {
            // Issue 11 defect 1: learn a variant only from a packet that passed every other
            // check, from a configured peer or the master we follow; never for VRRPv2.
            if !self.may_learn_checksum(now, adv, meta.src) {
                self.drop_packet(meta.src, DropReason::Checksum);
                return;
            }
            self.push_action(Action::AdoptChecksum {
                variant,
                from: meta.src,
            });
        }
        self.counters.adverts_received += 1;
        if adv.priority == PRIO_STOP {
            self.counters.priority_zero_received += 1;
        }
        if self.state == State::Backup {
            self.backup_rx(now, adv, meta.src);
        } else {
            self.master_rx(now, adv, meta.src);
        }
    }

    /// See the module doc: VRRPv3 over IPv4, from a configured unicast peer or from the sender
    /// that becomes our master by this advert.
    fn may_learn_checksum(&self, now: Instant, adv: &Advert<'_>, src: IpAddr) -> bool {
        if self.p.version != 3 || self.p.family != Family::Inet {
            return false;
        }
        if self.p.unicast_peers.iter().any(|u| u.addr == src) {
            return true;
        }
        adv.priority != PRIO_STOP
            && match self.state {
                State::Backup => self.follows(now, adv.priority),
                State::Master => self.beaten_by(adv.priority, src),
                State::Init | State::Fault => false,
            }
    }

    /// MASTER: RFC 5798 6.4.3, does an advert with `priority` from `src` make us yield?
    fn beaten_by(&self, priority: u8, src: IpAddr) -> bool {
        priority > self.priority
            || (priority == self.priority
                && addr_cmp(src, self.p.primary_addr) == std::cmp::Ordering::Greater)
    }

    /// BACKUP: does an advert with `priority` (not 0) reset the Master_Down_Timer, its sender
    /// taken as the master?
    fn follows(&self, now: Instant, priority: u8) -> bool {
        let delay = self.p.preempt_delay;
        // keepalived: while `preempt_delay` has not run out (or not started), a lower priority
        // is treated like a higher one: the timer is reset.
        let holding = !delay.is_zero() && self.preempt_at.is_none_or(|t| t > now);
        self.p.nopreempt || priority >= self.priority || holding
    }

    /// VRRPv3: adopt the master's advertised interval (RFC 5798 6.4.2 / 6.4.3).
    fn adopt_interval(&mut self, adv: &Advert<'_>) {
        if self.p.version != 3 {
            return;
        }
        let iv = clamp_v3_interval(adv.interval);
        if iv != self.master_adver_int {
            self.push_event(Event::Note(Note::IntervalAdopted {
                from: self.master_adver_int,
                to: iv,
            }));
            self.master_adver_int = iv;
        }
    }

    fn backup_rx(&mut self, now: Instant, adv: &Advert<'_>, src: IpAddr) {
        if adv.priority == PRIO_STOP {
            // RFC 5798 6.4.2: "If the Priority in the ADVERTISEMENT is zero, then: Set the
            // Master_Down_Timer to Skew_Time".
            self.push_event(Event::Note(Note::BackupPriorityZero));
            let skew = self.skew();
            self.timers.set(Timer::MasterDown, now + skew);
            return;
        }
        let delay = self.p.preempt_delay;
        if self.follows(now, adv.priority) {
            // RFC 5798 6.4.2: "If Preempt_Mode is False, or if the Priority in the ADVERTISEMENT
            // is greater than or equal to the local Priority, then: Set Master_Adver_Interval to
            // Adver Interval contained in the ADVERTISEMENT; Recompute the Master_Down_Interval;
            // Reset the Master_Down_Timer to Master_Down_Interval".
            self.adopt_interval(adv);
            self.master_addr = Some(src);
            self.master_priority = adv.priority;
            // keepalived `vrrp_state_backup()`: "We might have been held in backup by a sync
            // group, but if ms_down_timer had expired, we would have wanted MASTER state. Now we
            // have received a backup, we want to be in BACKUP state."
            self.wants_master = false;
            if !delay.is_zero() {
                if adv.priority >= self.priority {
                    if self.preempt_at.take().is_some() {
                        self.push_event(Event::Note(Note::PreemptDelayStop));
                    }
                } else if self.preempt_at.is_none() {
                    self.preempt_at = Some(now + delay);
                    self.push_event(Event::Note(Note::PreemptDelayStart(delay)));
                }
            }
            let down = self.master_down_interval();
            self.timers.set(Timer::MasterDown, now + down);
        } else {
            // RFC 5798 6.4.2: "Otherwise, discard the ADVERTISEMENT" (we preempt it when the
            // Master_Down_Timer, no longer reset, fires).
            self.push_event(Event::Note(Note::DiscardLowerPriority {
                src,
                priority: adv.priority,
            }));
            self.master_addr = Some(src);
            self.master_priority = adv.priority;
        }
    }

    fn master_rx(&mut self, now: Instant, adv: &Advert<'_>, src: IpAddr) {
        use std::cmp::Ordering::{Equal, Greater, Less};
        let cmp = addr_cmp(src, self.p.primary_addr);
        let beats_us = |ours: u8| adv.priority > ours || (adv.priority == ours && cmp == Greater);
        if adv.priority == PRIO_STOP || (self.p.higher_prio_send_advert && beats_us(self.priority))
        {
            // RFC 5798 6.4.3: "If the Priority in the ADVERTISEMENT is zero, then: Send an
            // ADVERTISEMENT; Reset the Adver_Timer to Advertisement_Interval".
            // keepalived `higher_prio_send_advert`: also once before yielding.
            self.send_advert(now);
            if adv.priority == PRIO_STOP {
                self.push_event(Event::Note(Note::MasterPriorityZero));
                return;
            }
        }
        if adv.priority == self.priority {
            if cmp == Equal {
                self.push_event(Event::Note(Note::EqualPriorityOurAddress));
            } else if self.priority == PRIO_OWNER {
                // keepalived: two address owners is a configuration error; ours gives way.
                self.push_event(Event::Note(Note::RogueOwner));
                self.base_priority = PRIO_OWNER - 1;
                self.update_priority();
            }
        }
        let ours = self.priority;
        if adv.priority < ours || (adv.priority == ours && cmp == Less) {
            // RFC 5798 6.4.3 says discard. keepalived deviation (its default, the behaviour of
            // RFC 9568 per its man page): answer at once so that a lower-priority router that
            // wrongly became master gives way now, and refresh ARP caches.
            // Our cap (module doc): at most once per own advert interval, so that a stranger's
            // flood is not answered packet for packet (adverts, GARPs, notify scripts).
            if self
                .lower_answered
                .is_some_and(|t| now < t + self.p.advert_int)
            {
                return;
            }
            self.lower_answered = Some(now);
            let forcing = !self.p.lower_prio_no_advert;
            self.push_event(Event::Note(Note::LowerPriority {
                src,
                priority: adv.priority,
                ours,
                forcing,
            }));
            if forcing {
                self.send_advert(now);
            }
            let g = self.p.garp;
            self.garp(g.lower_prio_repeat, GarpReason::LowerPriority);
            if g.lower_prio_repeat > 0 && !g.lower_prio_delay.is_zero() {
                self.timers
                    .set(Timer::GarpLowerPrio, now + g.lower_prio_delay);
            }
        } else if beats_us(ours) {
            // RFC 5798 6.4.3: "If the Priority in the ADVERTISEMENT is greater than the local
            // Priority, or the Priority in the ADVERTISEMENT is equal to the local Priority and
            // the primary IPvX Address of the sender is greater than the local primary IPvX
            // Address, then: Cancel Adver_Timer; Set Master_Adver_Interval to Adver Interval
            // contained in the ADVERTISEMENT; Recompute the Skew_Time; Recompute the
            // Master_Down_Interval; Set Master_Down_Timer to Master_Down_Interval; Transition to
            // the {Backup} state".
            let note = if adv.priority > ours {
                Note::HigherPriority {
                    src,
                    priority: adv.priority,
                    ours,
                }
            } else {
                Note::SamePriorityHigherAddr {
                    src,
                    priority: adv.priority,
                }
            };
            self.push_event(Event::Note(note));
            self.adopt_interval(adv);
            let down = self.master_down_interval();
            self.enter_backup(now, Reason::Preempted, down);
            self.master_addr = Some(src);
            self.master_priority = adv.priority;
        }
        // Equal priority from our own address: warned above, nothing else (keepalived).
    }
}

#[cfg(test)]
pub(super) mod testing {
    //! Helpers shared by the unit tests and the simulation.
    use super::*;

    /// `out` as a peer receives it: type ADVERTISEMENT, no AH, the sender's authentication.
    pub fn advert_from<'a>(out: &'a AdvertOut, auth: &Auth) -> Advert<'a> {
        let (auth_type, auth_data) = match auth {
            Auth::Pass(pw) => (1, *pw),
            other => (other.type_code(), [0; 8]),
        };
        Advert {
            version: out.version,
            kind: 1,
            vrid: out.vrid,
            priority: out.priority,
            interval: out.interval,
            addrs: &out.addrs,
            auth_type,
            auth_data,
            ah: None,
        }
    }
}
