//! A hierarchical timer wheel: O(1) arm and cancel for thousands of protocol and checker timers.
//!
//! Time is counted in ticks of one microsecond from the wheel's origin. Seven levels of 64 slots
//! each cover one rotation of 64^7 µs (about 51 days). A deadline outside the current rotation waits
//! on an overflow list (in practice empty) and joins the levels when its rotation begins.
//!
//! Invariant (as in the Linux kernel and tokio wheels): an entry sits at the level of the highest
//! base-64 digit in which its deadline differs from `elapsed`, in the slot named by that digit. Hence
//! every entry at level `k` is earlier than every entry at level `k + 1`, and the earliest deadline
//! of the whole wheel lies in the first occupied slot (from the cursor) of the lowest occupied level.
//! A slot of level 0 is one tick wide, so its deadline is exact; for a slot of a higher level the wheel
//! scans that one slot's entries, and caches the answer until the wheel changes.
//!
//! Deadlines are rounded *up* to the next microsecond, so a timer never fires early, and at most
//! one microsecond late because of the wheel.
//!
//! Entries live in a slab with intrusive doubly linked lists, so cancel is O(1) given the
//! [`TimerId`]; ids carry a generation, so cancelling a timer that already fired (or whose slot was
//! reused) is a harmless no-op.
//!
//! Due timers are collected ([`Wheel::collect_due`]) and then handed out one at a time
//! ([`Wheel::pop_due`]). Until it is handed out a collected timer stays armed: cancelling it takes
//! effect, so a caller that handles one due timer and cancels another due in the same pass never
//! sees the cancelled one (issue 12: the reactor used to deliver it, and an executor that re-arms
//! on every wake then lost track of its live timer).

use crate::time::Instant;

const LEVELS: usize = 7;
const SLOT_BITS: u32 = 6;
const SLOTS: usize = 1 << SLOT_BITS;
const SLOT_MASK: u64 = (SLOTS as u64) - 1;
/// The ticks of one rotation of the top level.
const ROTATION_BITS: u32 = SLOT_BITS * LEVELS as u32;
/// The bucket index of the overflow list, after the level buckets.
const OVERFLOW: usize = LEVELS * SLOTS;
/// The `bucket` of an entry collected as due and not yet handed out: in no list.
const DUE: u16 = (OVERFLOW + 1) as u16;
const NIL: u32 = u32::MAX;
const NS_PER_TICK: u64 = 1_000;

/// A handle to an armed timer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TimerId {
    index: u32,
    generation: u32,
}

#[derive(Debug)]
struct Entry<T> {
    /// Deadline in ticks since the origin.
    tick: u64,
    generation: u32,
    /// `Some` while armed; `None` while on the free list.
    value: Option<T>,
    prev: u32,
    next: u32,
    /// level * SLOTS + slot, while armed; [`DUE`] once collected by `collect_due`.
    bucket: u16,
}

/// The wheel. `T` is what the caller gets back when a timer fires.
#[derive(Debug)]
pub struct Wheel<T> {
    origin: Instant,
    /// Ticks since the origin up to which all timers have been processed.
    elapsed: u64,
    entries: Vec<Entry<T>>,
    free: u32,
    heads: Vec<u32>,
    occupied: [u64; LEVELS],
    len: usize,
    /// The earliest deadline, in ticks, when known.
    cached_next: Option<u64>,
    /// Timers collected as due and not yet handed out, as (tick, index, generation), latest
    /// first so that `pop_due` takes from the end. Kept to avoid an allocation per pass.
    due: Vec<(u64, u32, u32)>,
}

impl<T> Wheel<T> {
    /// A wheel whose tick 0 is `origin`; deadlines before the origin fire at the next poll.
    pub fn new(origin: Instant) -> Wheel<T> {
        Wheel {
            origin,
            elapsed: 0,
            entries: Vec::new(),
            free: NIL,
            heads: vec![NIL; LEVELS * SLOTS + 1],
            occupied: [0; LEVELS],
            len: 0,
            cached_next: None,
            due: Vec::new(),
        }
    }

    /// Number of armed timers.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn tick_of(&self, t: Instant) -> u64 {
        // Round up: a timer must never fire before its deadline.
        t.as_nanos()
            .saturating_sub(self.origin.as_nanos())
            .div_ceil(NS_PER_TICK)
    }

    fn floor_tick(&self, t: Instant) -> u64 {
        t.as_nanos().saturating_sub(self.origin.as_nanos()) / NS_PER_TICK
    }

    fn instant_of(&self, tick: u64) -> Instant {
        Instant::from_nanos(
            self.origin
                .as_nanos()
                .saturating_add(tick.saturating_mul(NS_PER_TICK)),
        )
    }

    /// Arms a timer for `deadline`. O(1).
    pub fn insert(&mut self, deadline: Instant, value: T) -> TimerId {
        let tick = self.tick_of(deadline).max(self.elapsed);
        let index = if self.free != NIL {
            let i = self.free;
            self.free = self.entries[i as usize].next;
            let e = &mut self.entries[i as usize];
            e.tick = tick;
            e.value = Some(value);
            i
        } else {
            let i = u32::try_from(self.entries.len()).expect("more than 4 billion timers");
            self.entries.push(Entry {
                tick,
                generation: 0,
                value: Some(value),
                prev: NIL,
                next: NIL,
                bucket: 0,
            });
            i
        };
        self.link(index);
        self.len += 1;
        if let Some(next) = self.cached_next
            && tick < next
        {
            self.cached_next = Some(tick);
        }
        TimerId {
            index,
            generation: self.entries[index as usize].generation,
        }
    }

    /// Cancels a timer, returning its value if it was still armed. O(1).
    pub fn cancel(&mut self, id: TimerId) -> Option<T> {
        let e = self.entries.get(id.index as usize)?;
        if e.generation != id.generation || e.value.is_none() {
            return None;
        }
        if e.bucket == DUE {
            // Collected but not handed out: in no list; `pop_due` skips its stale record.
            return Some(self.release(id.index));
        }
        if self.cached_next == Some(e.tick) {
            self.cached_next = None;
        }
        self.unlink(id.index);
        Some(self.release(id.index))
    }

    /// The deadline of a timer that is still armed.
    pub fn deadline(&self, id: TimerId) -> Option<Instant> {
        let e = self.entries.get(id.index as usize)?;
        (e.generation == id.generation && e.value.is_some()).then(|| self.instant_of(e.tick))
    }

    /// The earliest deadline of all armed timers.
    pub fn next_deadline(&mut self) -> Option<Instant> {
        if self.cached_next.is_none() {
            self.cached_next = self.compute_next();
        }
        self.cached_next.map(|t| self.instant_of(t))
    }

    /// Fires every timer whose deadline is at or before `now`, in deadline order, calling `fire` for
    /// each. Returns how many fired.
    pub fn expire(&mut self, now: Instant, mut fire: impl FnMut(T)) -> usize {
        self.collect_due(now);
        let mut fired = 0;
        while let Some(value) = self.pop_due() {
            fire(value);
            fired += 1;
        }
        fired
    }

    /// The next timer collected by [`Wheel::collect_due`], in deadline order, now disarmed (its id
    /// is stale from here on). A timer cancelled after it was collected is skipped.
    pub fn pop_due(&mut self) -> Option<T> {
        while let Some((_, i, generation)) = self.due.pop() {
            if self.entries[i as usize].generation == generation {
                return Some(self.release(i));
            }
        }
        None
    }

    /// Takes every timer whose deadline is at or before `now` out of the wheel's lists, to be
    /// handed out by [`Wheel::pop_due`]. Until then each stays armed: it counts in `len` and
    /// `cancel` disarms it.
    pub fn collect_due(&mut self, now: Instant) {
        let now_tick = self.floor_tick(now);
        // Cascades can collect entries out of order; sort them before handing them out.
        let mut due = std::mem::take(&mut self.due);
        if self.heads[OVERFLOW] != NIL {
            let mut i = self.heads[OVERFLOW];
            while i != NIL {
                let next = self.entries[i as usize].next;
                if self.entries[i as usize].tick <= now_tick {
                    self.unlink(i);
                    due.push(self.mark_due(i));
                }
                i = next;
            }
        }
        while let Some((level, slot)) = self.next_slot() {
            let start = self.slot_start(level, slot);
            if start > now_tick {
                break;
            }
            self.elapsed = start;
            // Take the whole slot, then fire or re-file each entry relative to the new `elapsed`.
            let bucket = level * SLOTS + slot;
            let mut i = self.heads[bucket];
            self.heads[bucket] = NIL;
            self.occupied[level] &= !(1u64 << slot);
            while i != NIL {
                let next = self.entries[i as usize].next;
                let tick = self.entries[i as usize].tick;
                if tick <= now_tick {
                    due.push(self.mark_due(i));
                } else {
                    self.link(i);
                }
                i = next;
            }
        }
        if now_tick > self.elapsed {
            let old_rotation = self.elapsed >> ROTATION_BITS;
            self.elapsed = now_tick;
            if self.elapsed >> ROTATION_BITS != old_rotation {
                self.refile_overflow();
            }
        }
        self.cached_next = None;
        // Latest first: `pop_due` takes the earliest from the end.
        due.sort_unstable_by(|a, b| b.cmp(a));
        self.due = due;
    }

    /// Marks entry `i`, already out of its list, as collected: its record for `due`.
    fn mark_due(&mut self, i: u32) -> (u64, u32, u32) {
        let e = &mut self.entries[i as usize];
        e.bucket = DUE;
        (e.tick, i, e.generation)
    }

    /// Moves overflow entries whose rotation has begun into the levels.
    fn refile_overflow(&mut self) {
        let mut i = self.heads[OVERFLOW];
        while i != NIL {
            let next = self.entries[i as usize].next;
            if self.entries[i as usize].tick >> ROTATION_BITS == self.elapsed >> ROTATION_BITS {
                self.unlink(i);
                self.link(i);
            }
            i = next;
        }
    }

    fn slot_start(&self, level: usize, slot: usize) -> u64 {
        let shift = SLOT_BITS * level as u32;
        let width = 1u64 << shift;
        let span_mask = !((width << SLOT_BITS) - 1);
        let base = self.elapsed & span_mask;
        base + (slot as u64) * width
    }

    /// The first occupied slot of the lowest occupied level, scanning from the cursor.
    fn next_slot(&self) -> Option<(usize, usize)> {
        for level in 0..LEVELS {
            let occ = self.occupied[level];
            if occ == 0 {
                continue;
            }
            let cursor = ((self.elapsed >> (SLOT_BITS * level as u32)) & SLOT_MASK) as u32;
            // By the invariant, entries are filed at or after the cursor of their level.
            let ahead = occ & (u64::MAX << cursor);
            debug_assert_eq!(ahead, occ, "timer filed behind the cursor");
            if ahead != 0 {
                return Some((level, ahead.trailing_zeros() as usize));
            }
        }
        None
    }

    fn compute_next(&self) -> Option<u64> {
        // Overflow entries lie in later rotations than every entry in the levels.
        let bucket = match self.next_slot() {
            Some((0, slot)) => return Some(self.slot_start(0, slot)),
            Some((level, slot)) => level * SLOTS + slot,
            None => OVERFLOW,
        };
        let mut i = self.heads[bucket];
        let mut best = None;
        while i != NIL {
            let e = &self.entries[i as usize];
            best = Some(best.map_or(e.tick, |b: u64| b.min(e.tick)));
            i = e.next;
        }
        best
    }

    /// The bucket of a deadline: the level of its highest digit that differs from `elapsed`, the
    /// slot named by that digit; or the overflow list for a later rotation.
    fn bucket_for(&self, tick: u64) -> usize {
        if tick >> ROTATION_BITS != self.elapsed >> ROTATION_BITS {
            return OVERFLOW;
        }
        let diff = (tick ^ self.elapsed) | SLOT_MASK;
        let significant = 63 - diff.leading_zeros();
        let level = (significant / SLOT_BITS) as usize;
        let slot = ((tick >> (SLOT_BITS * level as u32)) & SLOT_MASK) as usize;
        level * SLOTS + slot
    }

    fn link(&mut self, i: u32) {
        let bucket = self.bucket_for(self.entries[i as usize].tick);
        let head = self.heads[bucket];
        {
            let e = &mut self.entries[i as usize];
            e.prev = NIL;
            e.next = head;
            e.bucket = bucket as u16;
        }
        if head != NIL {
            self.entries[head as usize].prev = i;
        }
        self.heads[bucket] = i;
        if bucket != OVERFLOW {
            self.occupied[bucket / SLOTS] |= 1u64 << (bucket % SLOTS);
        }
    }

    fn unlink(&mut self, i: u32) {
        let (prev, next, bucket) = {
            let e = &self.entries[i as usize];
            (e.prev, e.next, e.bucket as usize)
        };
        if prev != NIL {
            self.entries[prev as usize].next = next;
        } else {
            self.heads[bucket] = next;
            if next == NIL && bucket != OVERFLOW {
                self.occupied[bucket / SLOTS] &= !(1u64 << (bucket % SLOTS));
            }
        }
        if next != NIL {
            self.entries[next as usize].prev = prev;
        }
    }

    /// Moves an unlinked entry to the free list and returns its value.
    fn release(&mut self, i: u32) -> T {
        let e = &mut self.entries[i as usize];
        let value = e.value.take().expect("released entry is armed");
        e.generation = e.generation.wrapping_add(1);
        e.next = self.free;
        e.prev = NIL;
        self.free = i;
        self.len -= 1;
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;
    use std::time::Duration;

    fn at(us: u64) -> Instant {
        Instant::from_nanos(us * 1000)
    }

    #[test]
    fn fires_in_order_and_not_early() {
        let mut w = Wheel::new(Instant::ZERO);
        for us in [5u64, 70, 3, 5000, 300_000, 20_000_000, 1] {
            w.insert(at(us), us);
        }
        assert_eq!(w.next_deadline(), Some(at(1)));
        let mut got = Vec::new();
        w.expire(at(4), |v| got.push(v));
        assert_eq!(got, vec![1, 3]);
        assert_eq!(w.next_deadline(), Some(at(5)));
        w.expire(at(299_999), |v| got.push(v));
        assert_eq!(got, vec![1, 3, 5, 70, 5000]);
        assert_eq!(w.next_deadline(), Some(at(300_000)));
        w.expire(at(100_000_000), |v| got.push(v));
        assert_eq!(got, vec![1, 3, 5, 70, 5000, 300_000, 20_000_000]);
        assert!(w.is_empty());
        assert_eq!(w.next_deadline(), None);
    }

    #[test]
    fn sub_microsecond_deadline_rounds_up() {
        let mut w = Wheel::new(Instant::ZERO);
        w.insert(Instant::from_nanos(1500), ());
        assert_eq!(w.next_deadline(), Some(Instant::from_nanos(2000)));
        assert_eq!(w.expire(Instant::from_nanos(1999), |_| ()), 0);
        assert_eq!(w.expire(Instant::from_nanos(2000), |_| ()), 1);
    }

    #[test]
    fn cancel_is_exact_and_stale_ids_are_harmless() {
        let mut w = Wheel::new(Instant::ZERO);
        let a = w.insert(at(100), 'a');
        let b = w.insert(at(50), 'b');
        assert_eq!(w.next_deadline(), Some(at(50)));
        assert_eq!(w.cancel(b), Some('b'));
        assert_eq!(w.cancel(b), None);
        assert_eq!(w.next_deadline(), Some(at(100)));
        let mut got = Vec::new();
        w.expire(at(100), |v| got.push(v));
        assert_eq!(got, vec!['a']);
        // `a` fired; its slab slot is reused by `c`; the old id must not cancel `c`.
        let c = w.insert(at(200), 'c');
        assert_eq!(w.cancel(a), None);
        assert_eq!(w.deadline(c), Some(at(200)));
        assert_eq!(w.cancel(c), Some('c'));
    }

    #[test]
    fn a_collected_timer_cancelled_before_it_is_handed_out_is_skipped() {
        let mut w = Wheel::new(Instant::ZERO);
        w.insert(at(10), 'a');
        let b = w.insert(at(20), 'b');
        let c = w.insert(at(30), 'c');
        w.insert(at(500), 'z');
        w.collect_due(at(100));
        assert_eq!(w.len(), 4, "collected timers stay armed until handed out");
        assert_eq!(w.deadline(b), Some(at(20)));
        assert_eq!(w.pop_due(), Some('a'));
        assert_eq!(w.cancel(b), Some('b'));
        assert_eq!(w.cancel(b), None);
        // `b`'s slab slot is reused at once: its old record must not hand out the newcomer.
        let d = w.insert(at(50), 'd');
        assert_eq!(w.pop_due(), Some('c'));
        assert_eq!(w.cancel(c), None, "handed out: the id is stale");
        assert_eq!(w.pop_due(), None, "`d` was armed after the collection");
        assert_eq!(w.len(), 2);
        assert_eq!(
            w.next_deadline(),
            Some(at(100)),
            "`d` is overdue: next poll"
        );
        let mut got = Vec::new();
        w.expire(at(100), |v| got.push(v));
        assert_eq!(got, vec!['d']);
        assert_eq!(w.deadline(d), None);
        assert_eq!(w.next_deadline(), Some(at(500)));
    }

    #[test]
    fn past_deadline_fires_at_next_expire() {
        let mut w = Wheel::new(at(1000));
        w.expire(at(5000), |_: u8| ());
        w.insert(at(10), 7u8);
        assert_eq!(w.next_deadline(), Some(at(5000)));
        let mut got = Vec::new();
        w.expire(at(5000), |v| got.push(v));
        assert_eq!(got, vec![7]);
    }

    #[test]
    fn far_future_beyond_span() {
        let mut w = Wheel::new(Instant::ZERO);
        let far = Instant::ZERO + Duration::from_secs(200 * 24 * 3600);
        w.insert(far, 1u8);
        w.insert(at(10), 2u8);
        let mut got = Vec::new();
        w.expire(Instant::ZERO + Duration::from_secs(100 * 24 * 3600), |v| {
            got.push(v)
        });
        assert_eq!(got, vec![2]);
        assert_eq!(w.len(), 1);
        w.expire(far, |v| got.push(v));
        assert_eq!(got, vec![2, 1]);
    }

    /// A backup's master-down timer: every advert cancels it and arms it about a second later.
    /// The reactor leaves its timerfd at the first deadline, so the wheel sees an early wake:
    /// nothing fires, the earliest deadline stays exact, and the timer fires at it and not before.
    #[test]
    fn an_early_wake_fires_nothing_and_keeps_the_deadline() {
        let mut w = Wheel::new(Instant::ZERO);
        let mut id = w.insert(at(3_609_375), "down");
        let first = w.next_deadline();
        let mut advert = 0;
        for k in 1..=3u64 {
            advert = k * 1_000_017;
            w.cancel(id);
            id = w.insert(at(advert + 3_609_375), "down");
        }
        let deadline = at(advert + 3_609_375);
        // The wake the timerfd was armed for (the first deadline), and one a tick early.
        for early in [first.unwrap(), at(advert + 3_609_374)] {
            assert_eq!(w.expire(early, |_| panic!("fired early")), 0);
            assert_eq!(w.next_deadline(), Some(deadline));
            assert_eq!(w.deadline(id), Some(deadline));
        }
        let mut fired = Vec::new();
        assert_eq!(w.expire(deadline, |v| fired.push(v)), 1);
        assert_eq!(fired, vec!["down"]);
        assert!(w.is_empty());
    }

    /// The wheel against a sorted reference under random inserts, cancels and expiries, with
    /// cancels between the due timers of one expiry too.
    #[test]
    fn matches_reference_model() {
        for seed in 1..=50u64 {
            let mut rng = Rng::new(seed);
            let mut w = Wheel::new(Instant::ZERO);
            let mut model: Vec<(u64, u64)> = Vec::new(); // (deadline ns, value)
            let mut ids = Vec::new();
            let mut now = 0u64;
            for step in 0..2_000u64 {
                match rng.next_u64() % 10 {
                    0..=5 => {
                        // Spread over every level: 1 ns .. ~2 hours ahead.
                        let scale = 10u64.pow((rng.next_u64() % 13) as u32);
                        let d = now + 1 + rng.next_u64() % scale.max(1);
                        let id = w.insert(Instant::from_nanos(d), step);
                        model.push((d.div_ceil(1000) * 1000, step));
                        ids.push((id, step));
                    }
                    6 => {
                        if !ids.is_empty() {
                            let k = (rng.next_u64() as usize) % ids.len();
                            let (id, v) = ids.swap_remove(k);
                            let was = w.cancel(id);
                            let pos = model.iter().position(|&(_, mv)| mv == v);
                            assert_eq!(was.is_some(), pos.is_some(), "seed {seed}");
                            if let Some(p) = pos {
                                model.remove(p);
                            }
                        }
                    }
                    _ => {
                        let expect_next =
                            model.iter().map(|&(d, _)| d.max(now / 1000 * 1000)).min();
                        assert_eq!(
                            w.next_deadline().map(|i| i.as_nanos()),
                            expect_next,
                            "seed {seed} step {step}"
                        );
                        let scale = 10u64.pow((rng.next_u64() % 11) as u32);
                        now += rng.next_u64() % scale.max(1);
                        // Hand the due timers out one at a time, cancelling random timers between
                        // them (some collected and not yet handed out): those must not come out.
                        let mut got = Vec::new();
                        w.collect_due(Instant::from_nanos(now));
                        while let Some(v) = w.pop_due() {
                            got.push(v);
                            if rng.next_u64().is_multiple_of(3) && !ids.is_empty() {
                                let k = (rng.next_u64() as usize) % ids.len();
                                let (id, cv) = ids.swap_remove(k);
                                let was = w.cancel(id);
                                let pos = if got.contains(&cv) {
                                    None
                                } else {
                                    model.iter().position(|&(_, mv)| mv == cv)
                                };
                                assert_eq!(was.is_some(), pos.is_some(), "seed {seed}");
                                if let Some(p) = pos {
                                    model.remove(p);
                                }
                            }
                        }
                        let mut due: Vec<(u64, u64)> = model
                            .iter()
                            .copied()
                            .filter(|&(d, _)| d <= now / 1000 * 1000)
                            .collect();
                        due.sort();
                        model.retain(|&(d, _)| d > now / 1000 * 1000);
                        let due_vals: Vec<u64> = due.iter().map(|&(_, v)| v).collect();
                        let mut got_sorted = got.clone();
                        got_sorted.sort();
                        let mut due_sorted = due_vals.clone();
                        due_sorted.sort();
                        assert_eq!(got_sorted, due_sorted, "seed {seed} step {step}");
                        // Deadline order (ties in any order).
                        let ds: Vec<u64> = got
                            .iter()
                            .map(|v| due.iter().find(|&&(_, dv)| dv == *v).unwrap().0)
                            .collect();
                        assert!(ds.windows(2).all(|p| p[0] <= p[1]), "seed {seed}");
                    }
                }
                assert_eq!(w.len(), model.len());
            }
        }
    }
}
