//! Reconciliation instead of replay: from the desired table and the one the kernel dumped, the
//! ordered list of operations that makes the kernel's agree, touching nothing else.
//!
//! keepalived replays its configuration into the kernel and treats "already exists" as success,
//! so a stale weight or method survives a restart, and it never notices an entry deleted behind
//! its back. Here every pass compares: at start (adopt what is there, correct what differs), on
//! reload (unchanged services and destinations produce no operation, so no connection notices),
//! after an unexpected error and periodically (what someone deleted or changed comes back).
//!
//! # Invariants
//! - [`diff`] is pure and deterministic (ordered maps): the same tables give the same operations.
//! - Only what this configuration owns is touched: a kernel service that is not desired is
//!   deleted only when it is in `owned` (desired by an earlier pass: a reload removed it);
//!   anyone else's services (kube-proxy, a second balancer) are left alone, and so are their
//!   destinations. There is no flush here (`lvs_flush` is the caller's, at start).
//! - Applying the operations to the dumped table gives the desired one for every desired
//!   service, and a second [`diff`] then is empty (tested over random tables).
//! - Order: services deleted first, then services added or edited, then, per service, the
//!   destinations deleted, edited and added (a destination's service exists before it).

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use super::model::{Dest, Service, ServiceKey};

/// A destination's identity within its service.
pub type DestKey = (IpAddr, u16);

/// One service and its destinations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub service: Service,
    pub dests: Dests,
}

/// A service's destinations by (address, port), in that order: a sorted vector, about 45 bytes
/// a destination where an ordered map took about 110 (the daemon keeps two tables: 40,000
/// destinations each).
///
/// # Invariant
/// Sorted by key, no key twice. [`Dests::values_mut`] must not change a destination's address
/// or port.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dests(Vec<Dest>);

fn key_of(d: &Dest) -> DestKey {
    (d.addr, d.port)
}

impl Dests {
    fn find(&self, k: &DestKey) -> Result<usize, usize> {
        self.0.binary_search_by(|d| key_of(d).cmp(k))
    }

    pub fn get(&self, k: &DestKey) -> Option<&Dest> {
        self.find(k).ok().map(|i| &self.0[i])
    }

    pub fn contains_key(&self, k: &DestKey) -> bool {
        self.find(k).is_ok()
    }

    /// Puts `d` in at its key (replacing the one there); the one replaced.
    pub fn insert(&mut self, d: Dest) -> Option<Dest> {
        match self.find(&key_of(&d)) {
            Ok(i) => Some(std::mem::replace(&mut self.0[i], d)),
            Err(i) => {
                self.0.insert(i, d);
                None
            }
        }
    }

    pub fn remove(&mut self, k: &DestKey) -> Option<Dest> {
        self.find(k).ok().map(|i| self.0.remove(i))
    }

    pub fn keys(&self) -> impl Iterator<Item = DestKey> + '_ {
        self.0.iter().map(key_of)
    }

    pub fn values(&self) -> std::slice::Iter<'_, Dest> {
        self.0.iter()
    }

    /// (Not the address or port: see the type's invariant.)
    pub fn values_mut(&mut self) -> std::slice::IterMut<'_, Dest> {
        self.0.iter_mut()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The last of equal keys wins, as in a map.
impl FromIterator<Dest> for Dests {
    fn from_iter<I: IntoIterator<Item = Dest>>(iter: I) -> Dests {
        let mut v: Vec<Dest> = iter.into_iter().collect();
        // Stable: equal keys keep their order, and the last one is kept below.
        v.sort_by_key(key_of);
        let mut out: Vec<Dest> = Vec::with_capacity(v.len());
        for d in v {
            match out.last_mut() {
                Some(last) if key_of(last) == key_of(&d) => *last = d,
                _ => out.push(d),
            }
        }
        out.shrink_to_fit();
        Dests(out)
    }
}

/// An IPVS table (desired, or as dumped), by service identity.
pub type Table = BTreeMap<ServiceKey, Entry>;

/// One kernel operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    AddService(Service),
    EditService(Service),
    DelService(ServiceKey),
    AddDest(ServiceKey, Dest),
    EditDest(ServiceKey, Dest),
    DelDest(ServiceKey, DestKey),
}

/// The operations that turn `kernel` into `desired` for what is desired or `owned`.
pub fn diff(desired: &Table, kernel: &Table, owned: &BTreeSet<ServiceKey>) -> Vec<Op> {
    let mut ops: Vec<Op> = kernel
        .keys()
        .filter(|k| !desired.contains_key(k) && owned.contains(k))
        .map(|k| Op::DelService(*k))
        .collect();
    for (k, want) in desired {
        match kernel.get(k) {
            None => ops.push(Op::AddService(want.service.clone())),
            Some(have) if have.service != want.service => {
                ops.push(Op::EditService(want.service.clone()))
            }
            Some(_) => {}
        }
    }
    let empty = Dests::default();
    for (k, want) in desired {
        let have = kernel.get(k).map_or(&empty, |e| &e.dests);
        ops.extend(
            have.keys()
                .filter(|d| !want.dests.contains_key(d))
                .map(|d| Op::DelDest(*k, d)),
        );
        for dest in want.dests.values() {
            match have.get(&key_of(dest)) {
                None => ops.push(Op::AddDest(*k, *dest)),
                Some(h) if h != dest => ops.push(Op::EditDest(*k, *dest)),
                Some(_) => {}
            }
        }
    }
    // Edits before additions within a service would not matter to the kernel; keep each
    // service's destination operations together, deletions first, as pushed above.
    ops
}

/// What the kernel's table becomes when `ops` all succeed (for tests and for the view kept
/// between dumps).
pub fn apply(table: &mut Table, ops: &[Op]) {
    for op in ops {
        match op {
            Op::AddService(s) | Op::EditService(s) => {
                let e = table.entry(s.key).or_insert_with(|| Entry {
                    service: s.clone(),
                    dests: Dests::default(),
                });
                e.service = s.clone();
            }
            Op::DelService(k) => {
                table.remove(k);
            }
            Op::AddDest(k, d) | Op::EditDest(k, d) => {
                if let Some(e) = table.get_mut(k) {
                    e.dests.insert(*d);
                }
            }
            Op::DelDest(k, d) => {
                if let Some(e) = table.get_mut(k) {
                    e.dests.remove(d);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ipvs::model::{AF_INET, Forward, Netmask, TCP, UDP};
    use crate::rng::Rng;

    fn service(port: u16, sched: &str) -> Service {
        Service {
            key: ServiceKey::Addr {
                protocol: if port.is_multiple_of(2) { TCP } else { UDP },
                addr: "10.0.0.1".parse().unwrap(),
                port,
            },
            scheduler: sched.into(),
            flags: 0,
            timeout: 0,
            netmask: Netmask::host(AF_INET),
            pe_name: None,
        }
    }

    fn dest(last: u8, weight: i32) -> Dest {
        Dest {
            addr: IpAddr::from([10, 0, 1, last]),
            port: 80,
            forward: Forward::Masq,
            weight,
            upper: 0,
            lower: 0,
            tunnel: None,
        }
    }

    fn entry(s: Service, dests: &[Dest]) -> (ServiceKey, Entry) {
        (
            s.key,
            Entry {
                service: s,
                dests: dests.iter().copied().collect(),
            },
        )
    }

    #[test]
    fn unchanged_is_untouched_and_a_stale_weight_is_corrected() {
        let desired: Table = [entry(service(80, "wlc"), &[dest(1, 1), dest(2, 5)])].into();
        assert!(diff(&desired, &desired, &BTreeSet::new()).is_empty());
        // A restart over a table whose weight someone changed: one edit, nothing re-added.
        let kernel: Table = [entry(service(80, "wlc"), &[dest(1, 1), dest(2, 9)])].into();
        let k = service(80, "wlc").key;
        assert_eq!(
            diff(&desired, &kernel, &BTreeSet::new()),
            vec![Op::EditDest(k, dest(2, 5))]
        );
    }

    #[test]
    fn others_services_are_left_alone_ours_are_removed() {
        let mine = service(80, "wlc");
        let theirs = service(443, "rr");
        let desired: Table = [entry(mine.clone(), &[dest(1, 1)])].into();
        let kernel: Table = [
            entry(mine.clone(), &[dest(1, 1), dest(3, 1)]),
            entry(theirs.clone(), &[dest(7, 1)]),
        ]
        .into();
        // A destination of our service that is not desired goes; their service stays.
        assert_eq!(
            diff(&desired, &kernel, &BTreeSet::new()),
            vec![Op::DelDest(mine.key, (dest(3, 1).addr, 80))]
        );
        // A reload removed a service we had: it is ours, it goes (with its destinations).
        let old = service(8080, "rr");
        let kernel: Table = [entry(old.clone(), &[dest(1, 1)])].into();
        assert_eq!(
            diff(&Table::new(), &kernel, &[old.key].into()),
            vec![Op::DelService(old.key)]
        );
    }

    #[test]
    fn dests_stay_sorted_and_keep_the_last_of_equal_keys() {
        let d: Dests = [dest(3, 1), dest(1, 1), dest(3, 7), dest(2, 1)]
            .into_iter()
            .collect();
        let keys: Vec<u8> = d
            .values()
            .map(|d| match d.addr {
                IpAddr::V4(a) => a.octets()[3],
                IpAddr::V6(_) => 0,
            })
            .collect();
        assert_eq!(keys, [1, 2, 3]);
        assert_eq!(d.get(&(dest(3, 0).addr, 80)).map(|d| d.weight), Some(7));
        let mut d = d;
        assert_eq!(d.insert(dest(0, 4)), None);
        assert_eq!(d.insert(dest(2, 9)).map(|d| d.weight), Some(1));
        assert_eq!(d.remove(&(dest(1, 0).addr, 80)).map(|d| d.weight), Some(1));
        assert_eq!(d.remove(&(dest(1, 0).addr, 80)), None);
        let left: Vec<(DestKey, i32)> = d.values().map(|x| (key_of(x), x.weight)).collect();
        let want: Vec<(DestKey, i32)> = [dest(0, 4), dest(2, 9), dest(3, 7)]
            .iter()
            .map(|x| (key_of(x), x.weight))
            .collect();
        assert_eq!(left, want);
        assert_eq!((d.len(), d.is_empty()), (3, false));
        assert!(d.keys().eq(want.iter().map(|(k, _)| *k)));
    }

    #[test]
    fn a_changed_scheduler_is_an_edit_not_a_re_creation() {
        let desired: Table = [entry(service(80, "rr"), &[dest(1, 1)])].into();
        let kernel: Table = [entry(service(80, "wlc"), &[dest(1, 1)])].into();
        assert_eq!(
            diff(&desired, &kernel, &BTreeSet::new()),
            vec![Op::EditService(service(80, "rr"))]
        );
    }

    fn random_table(rng: &mut Rng) -> Table {
        let mut t = Table::new();
        for _ in 0..rng.below(6) {
            let port = 80 + rng.below(5) as u16;
            let sched = ["rr", "wlc", "sh"][rng.below(3) as usize];
            let dests: Vec<Dest> = (0..rng.below(5))
                .map(|_| dest(rng.below(6) as u8, rng.below(3) as i32))
                .collect();
            let (k, e) = entry(service(port, sched), &dests);
            t.insert(k, e);
        }
        t
    }

    #[test]
    fn applying_the_diff_converges_and_leaves_others_alone_over_many_seeds() {
        for seed in 0..2000 {
            let mut rng = Rng::new(seed);
            let desired = random_table(&mut rng);
            let kernel = random_table(&mut rng);
            let owned: BTreeSet<ServiceKey> = kernel
                .keys()
                .filter(|_| rng.below(2) == 0)
                .copied()
                .collect();
            let ops = diff(&desired, &kernel, &owned);
            let mut after = kernel.clone();
            apply(&mut after, &ops);
            for (k, want) in &desired {
                assert_eq!(after.get(k), Some(want), "seed {seed}");
            }
            for (k, e) in &kernel {
                if !desired.contains_key(k) {
                    assert_eq!(after.contains_key(k), !owned.contains(k), "seed {seed}");
                    if !owned.contains(k) {
                        assert_eq!(after.get(k), Some(e), "seed {seed}: another's service");
                    }
                }
            }
            assert!(diff(&desired, &after, &owned).is_empty(), "seed {seed}");
            // Every destination operation comes after its service exists.
            let mut live: BTreeSet<ServiceKey> = kernel.keys().copied().collect();
            for op in &ops {
                match op {
                    Op::AddService(s) => assert!(live.insert(s.key)),
                    Op::DelService(k) => assert!(live.remove(k)),
                    Op::EditService(s) => assert!(live.contains(&s.key)),
                    Op::AddDest(k, _) | Op::EditDest(k, _) | Op::DelDest(k, _) => {
                        assert!(live.contains(k), "seed {seed}: {op:?}")
                    }
                }
            }
        }
    }
}
