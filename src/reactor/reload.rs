//! Reload by stable identity: which running entries a new configuration keeps, restarts, removes
//! and adds, matched by key (a VRRP instance's or a BFD session's name; later a checker's or a
//! virtual server's). Pure: the executors act on the plan.
//!
//! # Invariants
//! - Each new entry is matched with at most one old entry of the same key, and each old entry
//!   with at most one new one (the first new entry with its key).
//! - A matched pair the caller's test calls compatible is [`Step::Keep`]: the executor leaves it
//!   running (untouched, or updated in place); otherwise [`Step::Restart`]: stopped, then
//!   started anew. An unmatched new entry is [`Step::Add`]; an unmatched old one is in
//!   [`Plan::removed`].
//! - [`Plan::steps`] follow the order of the new configuration and [`Plan::removed`] the order of
//!   the old entries, so logs and slot reuse follow the configuration file; executors run the
//!   steps first and the removals after.

use std::collections::HashMap;
use std::hash::Hash;

/// What to do for one entry of the new configuration (`old`: the running entry's handle, `new`:
/// the entry's index in the new configuration).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step<H> {
    /// Same key, compatible parameters: keep it running.
    Keep { old: H, new: usize },
    /// Same key, parameters that need a new start.
    Restart { old: H, new: usize },
    /// A key no running entry has.
    Add { new: usize },
}

/// See the module doc.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan<H> {
    pub steps: Vec<Step<H>>,
    /// Running entries the new configuration no longer has.
    pub removed: Vec<H>,
}

impl<H> Plan<H> {
    /// (kept, restarted, added, removed), for the reload's log line.
    pub fn counts(&self) -> (usize, usize, usize, usize) {
        let (mut k, mut r, mut a) = (0, 0, 0);
        for s in &self.steps {
            match s {
                Step::Keep { .. } => k += 1,
                Step::Restart { .. } => r += 1,
                Step::Add { .. } => a += 1,
            }
        }
        (k, r, a, self.removed.len())
    }
}

/// Matches the running entries `old` (a handle and a key each) with the new configuration's keys
/// `new`; `compatible(old handle, new index)` says whether a matched pair is kept.
pub fn plan<H: Copy, Q: Eq + Hash>(
    old: impl IntoIterator<Item = (H, Q)>,
    new: impl IntoIterator<Item = Q>,
    mut compatible: impl FnMut(H, usize) -> bool,
) -> Plan<H> {
    let old: Vec<(H, Q)> = old.into_iter().collect();
    let mut by_key: HashMap<&Q, usize> = HashMap::with_capacity(old.len());
    for (n, (_, k)) in old.iter().enumerate() {
        by_key.entry(k).or_insert(n);
    }
    let mut matched = vec![false; old.len()];
    let mut steps = Vec::new();
    for (new_i, key) in new.into_iter().enumerate() {
        let found = by_key.get(&key).copied().filter(|&n| !matched[n]);
        steps.push(match found {
            Some(n) => {
                matched[n] = true;
                let h = old[n].0;
                if compatible(h, new_i) {
                    Step::Keep { old: h, new: new_i }
                } else {
                    Step::Restart { old: h, new: new_i }
                }
            }
            None => Step::Add { new: new_i },
        });
    }
    let removed = old
        .iter()
        .zip(&matched)
        .filter(|(_, m)| !**m)
        .map(|((h, _), _)| *h)
        .collect();
    Plan { steps, removed }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Old entries as (slot, name, parameter); new as (name, parameter); equal parameters keep.
    fn run(old: &[(usize, &str, u32)], new: &[(&str, u32)]) -> Plan<usize> {
        plan(
            old.iter().map(|&(h, k, _)| (h, k)),
            new.iter().map(|&(k, _)| k),
            |h, n| old.iter().find(|o| o.0 == h).unwrap().2 == new[n].1,
        )
    }

    #[test]
    fn table() {
        use Step::*;
        type Case<'a> = (
            &'a str,
            &'a [(usize, &'a str, u32)],
            &'a [(&'a str, u32)],
            &'a [Step<usize>],
            &'a [usize],
        );
        let cases: &[Case] = &[
            ("empty to empty", &[], &[], &[], &[]),
            (
                "start",
                &[],
                &[("a", 1), ("b", 1)],
                &[Add { new: 0 }, Add { new: 1 }],
                &[],
            ),
            ("stop all", &[(0, "a", 1), (3, "b", 1)], &[], &[], &[0, 3]),
            (
                "unchanged",
                &[(0, "a", 1), (1, "b", 2)],
                &[("a", 1), ("b", 2)],
                &[Keep { old: 0, new: 0 }, Keep { old: 1, new: 1 }],
                &[],
            ),
            (
                "reordered, kept by key not place",
                &[(0, "a", 1), (1, "b", 2)],
                &[("b", 2), ("a", 1)],
                &[Keep { old: 1, new: 0 }, Keep { old: 0, new: 1 }],
                &[],
            ),
            (
                "changed parameter restarts",
                &[(0, "a", 1), (1, "b", 2)],
                &[("a", 1), ("b", 9)],
                &[Keep { old: 0, new: 0 }, Restart { old: 1, new: 1 }],
                &[],
            ),
            (
                "renamed: one removed, one new",
                &[(0, "a", 1), (1, "b", 1)],
                &[("a", 1), ("c", 1)],
                &[Keep { old: 0, new: 0 }, Add { new: 1 }],
                &[1],
            ),
            (
                "mixed, removals in the old order",
                &[(4, "d", 1), (2, "a", 1), (7, "b", 1), (5, "c", 1)],
                &[("e", 1), ("b", 2), ("a", 1)],
                &[
                    Add { new: 0 },
                    Restart { old: 7, new: 1 },
                    Keep { old: 2, new: 2 },
                ],
                &[4, 5],
            ),
            (
                "a key twice in the new file: the second is new",
                &[(0, "a", 1)],
                &[("a", 1), ("a", 1)],
                &[Keep { old: 0, new: 0 }, Add { new: 1 }],
                &[],
            ),
        ];
        for (what, old, new, steps, removed) in cases {
            let p = run(old, new);
            assert_eq!(p.steps, *steps, "{what}");
            assert_eq!(p.removed, *removed, "{what}");
        }
    }

    #[test]
    fn the_test_is_asked_only_for_matched_pairs() {
        let mut asked = Vec::new();
        let p = plan([(10, "a"), (11, "b")], ["b", "c"], |h, n| {
            asked.push((h, n));
            true
        });
        assert_eq!(asked, [(11, 0)]);
        assert_eq!(p.counts(), (1, 0, 1, 1));
    }
}
