//! The one timer of a slot (a VRRP instance, a BFD session, later a checker), kept in step with
//! what its machine asks for.
//!
//! # Invariants
//! - At most one timer of the reactor is live per [`Armed`]: every re-arm and [`Armed::cancel`]
//!   cancel the previous one first.
//! - [`Armed::set`] touches the reactor only when the wanted deadline differs from the armed one:
//!   a machine polled again after an input that did not move its deadline costs no re-arm.
//! - A wake is the slot's ([`Armed::fired`]) only when it is for the deadline armed now; once
//!   taken, the slot counts as unarmed until the next [`Armed::set`]. The reactor never delivers a
//!   cancelled timer, and a slot released since is caught by its [`super::slots::SlotId`]; this
//!   check is the last guard, so a stale wake never runs a machine early.

use super::slots::{SlotId, Slots};
use super::{Core, TimerId};
use crate::time::Instant;

/// What [`Armed`] needs of the reactor (a recording fake in the tests).
pub trait Timers<K> {
    fn arm(&mut self, deadline: Instant, owner: K) -> TimerId;
    fn cancel(&mut self, id: TimerId);
}

impl<K: Copy> Timers<K> for Core<K> {
    fn arm(&mut self, deadline: Instant, owner: K) -> TimerId {
        Core::arm(self, deadline, owner)
    }
    fn cancel(&mut self, id: TimerId) {
        Core::cancel(self, id)
    }
}

/// A slot's armed timer: its deadline and the reactor's id. See the module doc.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Armed(Option<(Instant, TimerId)>);

impl Armed {
    /// The deadline armed now.
    pub fn at(&self) -> Option<Instant> {
        self.0.map(|(at, _)| at)
    }

    /// Arms for `want` (nothing for `None`) unless already armed for it; the previous timer is
    /// cancelled. Returns whether the reactor was touched.
    pub fn set<K>(&mut self, timers: &mut impl Timers<K>, want: Option<Instant>, owner: K) -> bool {
        if want == self.at() {
            return false;
        }
        self.cancel(timers);
        if let Some(at) = want {
            self.0 = Some((at, timers.arm(at, owner)));
        }
        true
    }

    /// Cancels the armed timer, if any.
    pub fn cancel<K>(&mut self, timers: &mut impl Timers<K>) {
        if let Some((_, id)) = self.0.take() {
            timers.cancel(id);
        }
    }

    /// A wake for `deadline` came: whether it is this slot's timer (then it is spent and the slot
    /// is unarmed) or a stale one to ignore.
    pub fn fired(&mut self, deadline: Instant) -> bool {
        if self.at() != Some(deadline) {
            return false;
        }
        self.0 = None;
        true
    }
}

/// The slot a timer wake is for, when it still is: `id` names the slot's occupant now and the
/// wake is for the deadline that occupant armed ([`Armed::fired`], which spends it). `None`: a
/// stale wake, to drop. The one guard of every executor's `on_timer`.
pub fn due<T>(
    slots: &mut Slots<T>,
    id: SlotId,
    deadline: Instant,
    armed: impl FnOnce(&mut T) -> &mut Armed,
) -> Option<usize> {
    let i = slots.check(id)?;
    armed(&mut slots[i]).fired(deadline).then_some(i)
}

/// An executor whose machines live in [`Slots`], each with one [`Armed`] timer: the timer wake
/// is the same for all (the guard of [`due`], then the machine's timeout), only what a timeout
/// does is theirs.
pub trait SlotTimers<K> {
    type Slot;
    fn timer_slots(&mut self) -> &mut Slots<Self::Slot>;
    fn armed_of(slot: &mut Self::Slot) -> &mut Armed;
    /// The machine in slot `i` reached its deadline: run its timeout and drain its outputs.
    fn timed_out(&mut self, core: &mut Core<K>, now: Instant, i: usize);

    /// A wake of the timer armed for the occupant `id` at `deadline`; a stale one is dropped.
    fn on_timer(&mut self, core: &mut Core<K>, now: Instant, id: SlotId, deadline: Instant) {
        if let Some(i) = due(self.timer_slots(), id, deadline, Self::armed_of) {
            self.timed_out(core, now, i);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::wheel::Wheel;
    use super::*;
    use std::time::Duration;

    /// A reactor that records what it is asked.
    struct Rec {
        wheel: Wheel<u8>,
        arms: usize,
        cancels: usize,
    }

    impl Timers<u8> for Rec {
        fn arm(&mut self, deadline: Instant, owner: u8) -> TimerId {
            self.arms += 1;
            self.wheel.insert(deadline, owner)
        }
        fn cancel(&mut self, id: TimerId) {
            self.cancels += 1;
            self.wheel.cancel(id);
        }
    }

    /// A fresh recorder and two deadlines, 1 s and 2 s after its start.
    fn rec() -> (Rec, [Instant; 2]) {
        let t0 = Instant::from_nanos(1_000_000_000);
        let r = Rec {
            wheel: Wheel::new(t0),
            arms: 0,
            cancels: 0,
        };
        (r, [1, 2].map(|s| t0 + Duration::from_secs(s)))
    }

    #[test]
    fn the_reactor_is_touched_only_when_the_deadline_moves() {
        let (mut r, [t1, t2]) = rec();
        let mut a = Armed::default();
        assert!(a.set(&mut r, Some(t1), 7));
        assert!(!a.set(&mut r, Some(t1), 7), "same deadline: no re-arm");
        assert_eq!((r.arms, r.cancels, r.wheel.len()), (1, 0, 1));
        assert!(a.set(&mut r, Some(t2), 7));
        assert_eq!((r.arms, r.cancels, r.wheel.len()), (2, 1, 1));
        assert_eq!(a.at(), Some(t2));
        assert!(a.set(&mut r, None, 7));
        assert_eq!((r.arms, r.cancels, r.wheel.len()), (2, 2, 0));
        assert!(!a.set(&mut r, None, 7));
        a.cancel(&mut r);
        assert_eq!(r.cancels, 2, "nothing armed: nothing to cancel");
    }

    #[test]
    fn only_the_armed_deadline_is_a_wake_of_the_slot() {
        let (mut r, [t1, t2]) = rec();
        let mut a = Armed::default();
        assert!(!a.fired(t1), "unarmed: every wake is stale");
        a.set(&mut r, Some(t1), 1);
        a.set(&mut r, Some(t2), 1);
        assert!(!a.fired(t1), "the replaced deadline is stale");
        assert_eq!(a.at(), Some(t2), "a stale wake leaves the timer armed");
        assert!(a.fired(t2));
        assert_eq!(a.at(), None);
        assert!(!a.fired(t2), "a wake is taken once");
        // Re-arming after the wake arms anew (the spent id is not cancelled).
        assert!(a.set(&mut r, Some(t2), 1));
        assert_eq!((r.arms, r.cancels), (3, 1));
    }

    /// The guard an executor runs on a timer wake: the slot id first, then the armed deadline.
    #[test]
    fn a_wake_of_an_earlier_occupant_never_reaches_the_new_one() {
        use super::super::slots::{SlotId, Slots};
        let (mut r, [t1, _]) = rec();
        let mut slots: Slots<Armed> = Slots::new();
        let wake = |slots: &mut Slots<Armed>, id: SlotId, at: Instant| {
            slots.check(id).is_some_and(|i| slots[i].fired(at))
        };
        let i = slots.insert(Armed::default());
        let old = slots.id(i);
        slots[i].set(&mut r, Some(t1), 0);
        // Its occupant ends (the timer cancelled) and a new one takes the slot, armed for the
        // same deadline.
        slots[i].cancel(&mut r);
        slots.release(i);
        let j = slots.insert(Armed::default());
        assert_eq!(j, i);
        slots[j].set(&mut r, Some(t1), 0);
        assert!(
            !wake(&mut slots, old, t1),
            "the old occupant's wake ran the new one"
        );
        assert_eq!(
            slots[j].at(),
            Some(t1),
            "a stale wake disarmed the new occupant"
        );
        let new = slots.id(j);
        assert!(wake(&mut slots, new, t1));
    }

    #[test]
    fn due_drops_a_wake_for_a_released_slot_or_a_moved_deadline() {
        let (mut r, [t1, t2]) = rec();
        let mut slots: Slots<Armed> = Slots::new();
        let i = slots.insert(Armed::default());
        slots[i].set(&mut r, Some(t1), 1);
        let old = slots.id(i);
        // The deadline moved: a wake for the old one is stale, the new one is the slot's.
        slots[i].set(&mut r, Some(t2), 1);
        assert_eq!(due(&mut slots, old, t1, |a| a), None);
        assert_eq!(due(&mut slots, old, t2, |a| a), Some(i));
        assert_eq!(due(&mut slots, old, t2, |a| a), None, "spent");
        // Released and taken by a new occupant armed for the same deadline: the old id is stale.
        slots.release(i);
        let j = slots.insert(Armed::default());
        assert_eq!(j, i);
        slots[j].set(&mut r, Some(t2), 1);
        assert_eq!(due(&mut slots, old, t2, |a| a), None);
        let new = slots.id(j);
        assert_eq!(due(&mut slots, new, t2, |a| a), Some(j));
    }
}
