//! A table of slots that are reused, each with a generation, for machines that come and go at
//! reload while timers, tokens and requests in flight still name them.
//!
//! # Invariants
//! - An index is handed out again only after [`Slots::release`]; the table never grows beyond
//!   the most entries ever live at once (plus the released ones not reused yet).
//! - A [`SlotId`] is the index and the generation of one occupant. Releasing a slot bumps its
//!   generation, so every id of the old occupant (a timer already due in this wake, a netlink
//!   request whose answer is still to come) stops resolving: [`Slots::check`] says `None`,
//!   and the caller drops the stale wake instead of handing it to the new occupant.
//! - A released entry stays in place, readable by index, until it is reused (callers keep a
//!   stopped machine there as a tombstone; indexing never panics on a released slot).
//! - The most recently released slot is reused first: a machine restarted by a reload takes
//!   the slot of the one it replaces.

/// One occupant of a slot: its index and generation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SlotId {
    pub index: u32,
    pub generation: u32,
}

/// See the module doc.
#[derive(Debug)]
pub struct Slots<T> {
    items: Vec<T>,
    gens: Vec<u32>,
    live: Vec<bool>,
    free: Vec<usize>,
}

impl<T> Default for Slots<T> {
    fn default() -> Self {
        Slots {
            items: Vec::new(),
            gens: Vec::new(),
            live: Vec::new(),
            free: Vec::new(),
        }
    }
}

impl<T> Slots<T> {
    pub fn new() -> Self {
        Self::default()
    }

    /// Puts `v` in a released slot (dropping its tombstone) or a new one; returns its index.
    pub fn insert(&mut self, v: T) -> usize {
        match self.free.pop() {
            Some(i) => {
                self.items[i] = v;
                self.live[i] = true;
                i
            }
            None => {
                self.items.push(v);
                self.gens.push(0);
                self.live.push(true);
                self.items.len() - 1
            }
        }
    }

    /// Slot `i`'s occupant is gone: its ids stop resolving and the slot may be reused. A second
    /// release of the same slot is a no-op.
    pub fn release(&mut self, i: usize) {
        if self.live.get(i).copied() == Some(true) {
            self.live[i] = false;
            self.gens[i] = self.gens[i].wrapping_add(1);
            self.free.push(i);
        }
    }

    /// Whether slot `i` holds a live occupant.
    pub fn is_live(&self, i: usize) -> bool {
        self.live.get(i).copied().unwrap_or(false)
    }

    /// The id of slot `i`'s current occupant.
    pub fn id(&self, i: usize) -> SlotId {
        SlotId {
            index: i as u32,
            generation: self.gens.get(i).copied().unwrap_or(0),
        }
    }

    /// The index `id` names, if its occupant is still there.
    pub fn check(&self, id: SlotId) -> Option<usize> {
        let i = id.index as usize;
        (self.is_live(i) && self.gens[i] == id.generation).then_some(i)
    }

    /// Slots in the table, live or released (the table's size).
    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Live occupants.
    pub fn live(&self) -> usize {
        self.live.iter().filter(|&&l| l).count()
    }

    /// Every entry, released ones included, by index.
    pub fn iter(&self) -> std::slice::Iter<'_, T> {
        self.items.iter()
    }

    /// The live occupants and their indices.
    pub fn iter_live(&self) -> impl Iterator<Item = (usize, &T)> {
        self.items.iter().enumerate().filter(|(i, _)| self.live[*i])
    }

    /// The indices of the live occupants, collected (for a loop that releases them).
    pub fn live_indices(&self) -> Vec<usize> {
        self.iter_live().map(|(i, _)| i).collect()
    }

    /// The live occupants.
    pub fn live_values(&self) -> impl Iterator<Item = &T> {
        self.iter_live().map(|(_, v)| v)
    }

    pub fn iter_mut(&mut self) -> std::slice::IterMut<'_, T> {
        self.items.iter_mut()
    }

    pub fn get(&self, i: usize) -> Option<&T> {
        self.items.get(i)
    }

    pub fn get_mut(&mut self, i: usize) -> Option<&mut T> {
        self.items.get_mut(i)
    }
}

impl<T> std::ops::Index<usize> for Slots<T> {
    type Output = T;
    fn index(&self, i: usize) -> &T {
        &self.items[i]
    }
}

impl<T> std::ops::IndexMut<usize> for Slots<T> {
    fn index_mut(&mut self, i: usize) -> &mut T {
        &mut self.items[i]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_released_slot_is_reused_and_the_old_id_goes_stale() {
        let mut s = Slots::new();
        let a = s.insert("a");
        let b = s.insert("b");
        let old = s.id(a);
        assert_eq!(s.check(old), Some(a));
        s.release(a);
        assert_eq!(s.check(old), None, "a released occupant's id resolves");
        assert_eq!(s[a], "a", "the tombstone stays readable");
        let c = s.insert("c");
        assert_eq!(c, a, "the released slot is taken again");
        assert_eq!(s.check(old), None, "the old id names the new occupant");
        assert_eq!(s.check(s.id(c)), Some(c));
        assert_eq!((s.len(), s.live()), (2, 2));
        assert_eq!(s.iter_live().collect::<Vec<_>>(), [(0, &"c"), (1, &"b")]);
        assert_eq!(s[b], "b");
    }

    #[test]
    fn churn_keeps_the_table_flat() {
        let mut s = Slots::new();
        let keep = s.insert(0u32);
        for n in 1..1000u32 {
            let i = s.insert(n);
            s.release(i);
        }
        assert_eq!(s.len(), 2);
        assert_eq!(s.live(), 1);
        assert!(s.is_live(keep));
    }

    #[test]
    fn the_last_released_slot_is_reused_first_and_double_release_is_harmless() {
        let mut s = Slots::new();
        for n in 0..4 {
            s.insert(n);
        }
        s.release(1);
        s.release(3);
        s.release(3);
        assert_eq!(s.insert(9), 3);
        assert_eq!(s.insert(8), 1);
        assert_eq!(s.insert(7), 4, "no free slot left: the table grows");
    }

    #[test]
    fn unknown_indices_resolve_to_nothing() {
        let s: Slots<u8> = Slots::new();
        assert!(!s.is_live(5));
        assert_eq!(
            s.check(SlotId {
                index: 5,
                generation: 0
            }),
            None
        );
        assert_eq!(s.get(5), None);
    }
}
