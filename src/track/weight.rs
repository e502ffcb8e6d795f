//! What a tracker adds to its owner's priority: keepalived's weight arithmetic, pure.

use crate::config::vrrp::TrackRef;

/// A tracker an instance refers to, and with what weight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Target {
    Script(usize),
    File(usize),
    Process(usize),
    /// A `track_bfd` session, by index in the trackers' BFD sessions.
    Bfd(usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Link {
    pub(super) target: Target,
    pub(super) weight: i32,
    pub(super) reverse: bool,
}

/// The weight of an OK/failed tracker (script, process) with `weight` and `reverse`, added to
/// `(weight, fault)`: keepalived's `process_script_update_priority`.
pub fn add_bool(acc: &mut (i32, bool), ok: bool, weight: i32, reverse: bool) {
    let m = if reverse { -1 } else { 1 };
    if weight == 0 {
        if ok != (m == 1) {
            acc.1 = true;
        }
    } else if (ok && weight > 0) || (!ok && weight < 0) {
        acc.0 += weight * m;
    }
}

/// The weight of a `track_interface` that is `up`, added to `(weight, fault)`: 0 means the
/// interface being down is a FAULT; a positive weight is added while it is up, a negative one
/// while it is down; `reverse` swaps up and down (keepalived's `track_interface`, where unlike
/// [`add_bool`] `reverse` does not negate the weight).
pub fn add_link(acc: &mut (i32, bool), up: bool, weight: i32, reverse: bool) {
    add_bool(acc, up != reverse, weight, false);
}

/// The weight of a track file holding `value`: keepalived's `update_track_file_status`.
pub fn add_file(acc: &mut (i32, bool), value: i32, weight: i32, reverse: bool) {
    let m: i64 = if reverse { -1 } else { 1 };
    if weight == 0 {
        if (value != 0) == (m == 1) {
            acc.1 = true;
        }
        return;
    }
    let s = (i64::from(value) * i64::from(weight) * m).clamp(-254, 253);
    if s == -254 {
        acc.1 = true;
    } else {
        acc.0 += s as i32;
    }
}

/// The weight and reverse of a reference: its own, else the tracker's.
pub(super) fn link_of(r: &TrackRef, target: Target, weight: i32, reverse: bool) -> Link {
    Link {
        target,
        weight: r.weight.unwrap_or(weight),
        reverse: r.reverse.unwrap_or(reverse),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_follow_keepalived() {
        let f = |ok, w, r| {
            let mut a = (0, false);
            add_bool(&mut a, ok, w, r);
            a
        };
        assert_eq!(f(true, 10, false), (10, false));
        assert_eq!(f(false, 10, false), (0, false));
        assert_eq!(f(false, -10, false), (-10, false));
        assert_eq!(f(true, -10, false), (0, false));
        // reverse negates the adjustment; the condition stays.
        assert_eq!(f(true, 10, true), (-10, false));
        assert_eq!(f(false, -10, true), (10, false));
        assert_eq!(f(false, 0, false), (0, true));
        assert_eq!(f(true, 0, false), (0, false));
        assert_eq!(f(true, 0, true), (0, true));
        let g = |v, w, r| {
            let mut a = (0, false);
            add_file(&mut a, v, w, r);
            a
        };
        assert_eq!(g(5, 2, false), (10, false));
        assert_eq!(g(5, 2, true), (-10, false));
        assert_eq!(g(-3, 1, false), (-3, false));
        assert_eq!(g(200, 2, false), (253, false));
        assert_eq!(g(-200, 2, false), (0, true), "-254 and below is FAULT");
        assert_eq!(g(i32::MAX, 254, true), (0, true), "no overflow");
        assert_eq!(g(1, 0, false), (0, true));
        assert_eq!(g(0, 0, false), (0, false));
        assert_eq!(g(0, 0, true), (0, true));
    }

    #[test]
    fn interface_weights_follow_keepalived() {
        let f = |up, w, r| {
            let mut a = (5, false);
            add_link(&mut a, up, w, r);
            a
        };
        // (up, weight, reverse) -> (weight, fault), from 5.
        let table = [
            (true, 0, false, (5, false)),
            (false, 0, false, (5, true)),
            (true, 0, true, (5, true)),
            (false, 0, true, (5, false)),
            (true, 10, false, (15, false)),
            (false, 10, false, (5, false)),
            (true, 10, true, (5, false)),
            (false, 10, true, (15, false)),
            (true, -10, false, (5, false)),
            (false, -10, false, (-5, false)),
            (true, -10, true, (-5, false)),
            (false, -10, true, (5, false)),
        ];
        for (up, w, r, want) in table {
            assert_eq!(f(up, w, r), want, "up {up} weight {w} reverse {r}");
        }
    }
}
