//! The objects served, as one sorted list of (OID, value) built from the daemon's state when a
//! request comes ([`Tree`]), and the answers to Get, GetNext and GetBulk over it; the VRRP-MIB
//! (RFC 2787) built from plain rows ([`VrrpRow`]).
//!
//! Invariants: a [`Tree`] is sorted by OID, without duplicates; an answer has one varbind per
//! requested range (GetBulk: at most [`MAX_BULK`] in all), each either a value, `noSuchObject`,
//! `noSuchInstance` or `endOfMibView`, as RFC 2741 section 7.2.3 asks.

use super::agentx::{Oid, SearchRange, Value, VarBind};

/// The most varbinds one GetBulk answer carries.
pub const MAX_BULK: usize = 512;

/// The VRRP-MIB's root, 1.3.6.1.2.1.68.
pub const VRRP_MIB: &[u32] = &[1, 3, 6, 1, 2, 1, 68];

/// The objects served, sorted.
#[derive(Debug, Default)]
pub struct Tree {
    entries: Vec<(Oid, Value)>,
    objects: Vec<Oid>,
}

impl Tree {
    /// A tree of `entries` (sorted here; of duplicates one stays).
    pub fn new(mut entries: Vec<(Oid, Value)>) -> Tree {
        entries.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        entries.dedup_by(|a, b| a.0 == b.0);
        Tree {
            entries,
            objects: Vec::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The object types served (scalars and table columns), for Get's noSuchInstance.
    pub fn with_objects(mut self, objects: Vec<Oid>) -> Tree {
        self.objects = objects;
        self
    }

    /// Get: the value of `oid`, or noSuchInstance when it names an instance of an object type
    /// served (a row that is not there), else noSuchObject.
    pub fn get(&self, oid: &[u32]) -> Value {
        match self.entries.binary_search_by(|e| e.0.as_slice().cmp(oid)) {
            Ok(i) => self
                .entries
                .get(i)
                .map_or(Value::NoSuchObject, |e| e.1.clone()),
            Err(_)
                if self
                    .objects
                    .iter()
                    .any(|o| oid.len() > o.len() && oid.starts_with(o)) =>
            {
                Value::NoSuchInstance
            }
            Err(_) => Value::NoSuchObject,
        }
    }

    /// GetNext over one range: the first object after its start (or at it, when it is
    /// included) and before its end, else endOfMibView named by the start.
    pub fn next(&self, r: &SearchRange) -> VarBind {
        let i = self.entries.partition_point(|e| {
            if r.include {
                e.0 < r.start
            } else {
                e.0 <= r.start
            }
        });
        match self.entries.get(i) {
            Some((oid, v)) if r.end.is_empty() || *oid < r.end => VarBind {
                name: oid.clone(),
                value: v.clone(),
            },
            _ => VarBind {
                name: r.start.clone(),
                value: Value::EndOfMibView,
            },
        }
    }

    /// Get's answer.
    pub fn answer_get(&self, ranges: &[SearchRange]) -> Vec<VarBind> {
        ranges
            .iter()
            .map(|r| VarBind {
                name: r.start.clone(),
                value: self.get(&r.start),
            })
            .collect()
    }

    /// GetNext's answer.
    pub fn answer_next(&self, ranges: &[SearchRange]) -> Vec<VarBind> {
        ranges.iter().map(|r| self.next(r)).collect()
    }

    /// GetBulk's answer (RFC 2741 7.2.3.3): the non-repeaters once, then up to
    /// `max_repetitions` rounds over the others, bounded by [`MAX_BULK`] varbinds.
    pub fn answer_bulk(&self, non_rep: u16, max_rep: u16, ranges: &[SearchRange]) -> Vec<VarBind> {
        let n = usize::from(non_rep).min(ranges.len());
        let (first, rep) = ranges.split_at(n);
        let mut out = self.answer_next(first);
        let mut cur: Vec<SearchRange> = rep.to_vec();
        for _ in 0..max_rep {
            if cur.is_empty() || out.len() + cur.len() > MAX_BULK {
                break;
            }
            let mut all_end = true;
            for r in &mut cur {
                let vb = self.next(r);
                if vb.value != Value::EndOfMibView {
                    all_end = false;
                    r.start = vb.name.clone();
                    r.include = false;
                }
                out.push(vb);
            }
            if all_end {
                break;
            }
        }
        out
    }
}

/// One VRRPv2 IPv4 instance as the VRRP-MIB shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VrrpRow {
    pub ifindex: u32,
    pub vrid: u8,
    /// vrrpOperVirtualMacAddr: keepalived gives the interface's address.
    pub mac: [u8; 6],
    /// vrrpOperState: initialize(1), backup(2), master(3).
    pub state: i32,
    pub priority: u8,
    pub vips: Vec<[u8; 4]>,
    pub master: [u8; 4],
    pub primary: [u8; 4],
    /// vrrpOperAuthType: noAuthentication(1), simpleTextPassword(2), ipAuthenticationHeader(3).
    pub auth: i32,
    /// Seconds.
    pub adv_int: i32,
    pub preempt: bool,
    /// vrrpOperVirtualRouterUpTime, centiseconds.
    pub up_ticks: u32,
    /// vrrpRouterStatsEntry's twelve counters, in column order.
    pub stats: [u32; 12],
    /// Checksum, version and VRID errors (summed into the scalars).
    pub scalar_errors: [u32; 3],
}

fn oid(parts: &[&[u32]]) -> Oid {
    parts.iter().flat_map(|p| p.iter().copied()).collect()
}

/// The VRRP-MIB's object types served: its scalars, vrrpOperTable's columns but the index and
/// vrrpOperAuthKey, vrrpAssoIpAddrRowStatus and vrrpRouterStatsTable's columns.
pub fn vrrp_objects() -> Vec<Oid> {
    let m = VRRP_MIB;
    let mut v = vec![
        oid(&[m, &[1, 1]]),
        oid(&[m, &[1, 2]]),
        oid(&[m, &[1, 4, 1, 2]]),
    ];
    v.extend(
        (2..=15)
            .filter(|c| *c != 10)
            .map(|c| oid(&[m, &[1, 3, 1, c]])),
    );
    v.extend((1..=3).map(|c| oid(&[m, &[2, c]])));
    v.extend((1..=12).map(|c| oid(&[m, &[2, 4, 1, c]])));
    v
}

/// The VRRP-MIB objects of `rows` (which must have distinct (ifindex, vrid)).
pub fn vrrp_mib(rows: &[VrrpRow], traps: bool, out: &mut Vec<(Oid, Value)>) {
    let m = VRRP_MIB;
    out.push((oid(&[m, &[1, 1, 0]]), Value::Integer(2)));
    out.push((
        oid(&[m, &[1, 2, 0]]),
        Value::Integer(if traps { 1 } else { 2 }),
    ));
    let mut scalars = [0u32; 3];
    for r in rows {
        let idx = [r.ifindex, u32::from(r.vrid)];
        let col = |table: u32, c: u32| oid(&[m, &[1, table, 1, c], &idx]);
        let b = |v: bool| Value::Integer(if v { 1 } else { 2 });
        // vrrpOperAuthKey (10) is not served, as keepalived does not.
        let oper: [(u32, Value); 13] = [
            (2, Value::OctetString(r.mac.to_vec())),
            (3, Value::Integer(r.state)),
            (4, Value::Integer(1)),
            (5, Value::Integer(i32::from(r.priority))),
            (6, Value::Integer(r.vips.len() as i32)),
            (7, Value::IpAddress(r.master)),
            (8, Value::IpAddress(r.primary)),
            (9, Value::Integer(r.auth)),
            (11, Value::Integer(r.adv_int)),
            (12, b(r.preempt)),
            (13, Value::TimeTicks(r.up_ticks)),
            (14, Value::Integer(1)),
            (15, Value::Integer(1)),
        ];
        for (c, v) in oper {
            out.push((col(3, c), v));
        }
        for a in &r.vips {
            let ip = a.map(u32::from);
            out.push((oid(&[m, &[1, 4, 1, 2], &idx, &ip]), Value::Integer(1)));
        }
        for (c, n) in (1..).zip(r.stats) {
            out.push((oid(&[m, &[2, 4, 1, c], &idx]), Value::Counter32(n)));
        }
        for (s, e) in scalars.iter_mut().zip(r.scalar_errors) {
            *s = s.wrapping_add(e);
        }
    }
    for (c, n) in (1..).zip(scalars) {
        out.push((oid(&[m, &[2, c, 0]]), Value::Counter32(n)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(start: &[u32], include: bool) -> SearchRange {
        SearchRange {
            start: start.to_vec(),
            include,
            end: Vec::new(),
        }
    }

    fn row() -> VrrpRow {
        VrrpRow {
            ifindex: 2,
            vrid: 51,
            mac: [0, 0, 0x5e, 0, 1, 51],
            state: 3,
            priority: 150,
            vips: vec![[10, 0, 0, 100], [10, 0, 0, 99]],
            master: [10, 0, 0, 1],
            primary: [10, 0, 0, 1],
            auth: 1,
            adv_int: 1,
            preempt: true,
            up_ticks: 5,
            stats: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12],
            scalar_errors: [1, 2, 3],
        }
    }

    fn tree() -> Tree {
        let mut v = Vec::new();
        vrrp_mib(&[row()], true, &mut v);
        Tree::new(v).with_objects(vrrp_objects())
    }

    #[test]
    fn get_answers_values_and_missing_objects() {
        let t = tree();
        let st = oid(&[VRRP_MIB, &[1, 3, 1, 3, 2, 51]]);
        assert_eq!(t.get(&st), Value::Integer(3));
        assert_eq!(
            t.get(&oid(&[VRRP_MIB, &[1, 3, 1, 2, 2, 51]])),
            Value::OctetString(vec![0, 0, 0x5e, 0, 1, 51]),
        );
        assert_eq!(
            t.get(&oid(&[VRRP_MIB, &[1, 3, 1, 3, 2, 52]])),
            Value::NoSuchInstance
        );
        assert_eq!(
            t.get(&oid(&[VRRP_MIB, &[1, 3, 1, 3, 999, 51]])),
            Value::NoSuchInstance
        );
        assert_eq!(
            t.get(&oid(&[VRRP_MIB, &[1, 3, 1, 10, 2, 51]])),
            Value::NoSuchObject,
            "vrrpOperAuthKey is not served"
        );
        assert_eq!(t.get(&oid(&[VRRP_MIB, &[1, 1]])), Value::NoSuchObject);
        assert_eq!(t.get(&[1, 3, 6, 1, 4, 1, 9586]), Value::NoSuchObject);
        assert_eq!(t.get(&[]), Value::NoSuchObject);
        assert_eq!(
            t.get(&oid(&[VRRP_MIB, &[2, 1, 0]])),
            Value::Counter32(1),
            "vrrpRouterChecksumErrors"
        );
    }

    #[test]
    fn getnext_walks_in_order_and_ends() {
        let t = tree();
        let mut r = range(VRRP_MIB, false);
        let mut names = Vec::new();
        loop {
            let vb = t.next(&r);
            if vb.value == Value::EndOfMibView {
                assert_eq!(vb.name, r.start);
                break;
            }
            names.push(vb.name.clone());
            r = range(&vb.name, false);
        }
        assert_eq!(names.len(), t.len());
        assert!(names.windows(2).all(|w| w[0] < w[1]));
        // vrrpNodeVersion first; the asso table sorts 10.0.0.99 before 10.0.0.100.
        assert_eq!(names[0], oid(&[VRRP_MIB, &[1, 1, 0]]));
        let asso: Vec<_> = names
            .iter()
            .filter(|n| n.starts_with(&oid(&[VRRP_MIB, &[1, 4]])))
            .collect();
        assert_eq!(asso[0].last(), Some(&99));
        // Included start: the object itself; an end bounds the search.
        let v = oid(&[VRRP_MIB, &[1, 1, 0]]);
        assert_eq!(t.next(&range(&v, true)).name, v);
        let bounded = SearchRange {
            start: v.clone(),
            include: false,
            end: oid(&[VRRP_MIB, &[1, 2]]),
        };
        assert_eq!(t.next(&bounded).value, Value::EndOfMibView);
    }

    #[test]
    fn getbulk_repeats_and_is_bounded() {
        let t = tree();
        let col = oid(&[VRRP_MIB, &[1, 3, 1, 3]]);
        let out = t.answer_bulk(1, 3, &[range(VRRP_MIB, false), range(&col, false)]);
        assert_eq!(out.len(), 4);
        assert_eq!(out[0].value, Value::Integer(2));
        assert_eq!(out[1].value, Value::Integer(3));
        assert_eq!(out[2].value, Value::Integer(1), "vrrpOperAdminState");
        let huge = t.answer_bulk(0, u16::MAX, &vec![range(&[], false); 100]);
        assert!(huge.len() <= MAX_BULK);
        let none = t.answer_bulk(u16::MAX, u16::MAX, &[]);
        assert!(none.is_empty());
        // All at the end: one round only.
        let end = t.answer_bulk(0, 100, &[range(&[2], false)]);
        assert_eq!(end.len(), 1);
    }
}
