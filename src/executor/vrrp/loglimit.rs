//! A rate limit for repeated log lines: per (reason, instance, source), the first line of each
//! window is logged, the rest are counted, and one summary line gives the count.
//!
//! Without it, `-D` logged one line per dropped packet: 700-1,300 lines a second under a flood
//! (issue 11). keepalived has no such limit.
//!
//! Invariants: the table is a fixed array of [`SLOTS`] entries (no allocation; the caller only
//! formats a line it is told to log); a full table evicts the entry whose window started first,
//! reporting its suppressed count. Above the table, at most [`BUDGET`] lines are logged per
//! window whatever their keys (a sender that varies its source address would otherwise evict
//! its way through the table); lines over the budget are counted in one overflow summary
//! (`Summary::key` `None`). Every suppressed line is counted in exactly one summary, given
//! by [`LogLimit::check`] when the key comes back after its window, by [`LogLimit::flush`] once
//! the window is over, or on eviction. The caller calls `flush` on its regular wake-ups, so a
//! summary comes at most a window (plus the time to the next wake-up) after its lines.

use std::net::IpAddr;
use std::time::Duration;

use crate::time::Instant;

/// Entries in the table: distinct (reason, instance, source) keys tracked at once.
pub const SLOTS: usize = 32;

/// The window: one line per key per this long.
pub const WINDOW: Duration = Duration::from_secs(5);

/// Lines logged per window, all keys together.
pub const BUDGET: u32 = 50;

/// What a line is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineKey {
    /// The reason, short (`"TTL"`, `"unknown VRID"`).
    pub what: &'static str,
    /// The instance (its slot and generation: a summary after a reload never names the
    /// slot's next occupant), or `None` for a datagram that reached none.
    pub inst: Option<crate::reactor::slots::SlotId>,
    /// The sender (or destination, for send errors).
    pub addr: IpAddr,
    /// The level the lines (and their summary) are logged at.
    pub level: log::Level,
}

/// Lines of one key (`None`: of any key, over the budget) not logged during one window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    pub key: Option<LineKey>,
    pub suppressed: u32,
}

#[derive(Debug, Clone, Copy)]
struct Tally {
    key: LineKey,
    start: Instant,
    suppressed: u32,
}

/// See the module doc.
#[derive(Debug)]
pub struct LogLimit {
    slots: [Option<Tally>; SLOTS],
    window: Duration,
    /// The budget's window: its start, lines logged, lines over the budget.
    budget_start: Option<Instant>,
    logged: u32,
    over: u32,
}

impl Default for LogLimit {
    fn default() -> Self {
        LogLimit::new(WINDOW)
    }
}

impl LogLimit {
    pub fn new(window: Duration) -> LogLimit {
        LogLimit {
            slots: [None; SLOTS],
            window,
            budget_start: None,
            logged: 0,
            over: 0,
        }
    }

    /// One line of `key` at `now`: `true` to log it. `f` gets the summaries that are due first
    /// (the budget's previous window, the key's previous window, or an evicted entry).
    pub fn check(&mut self, now: Instant, key: LineKey, mut f: impl FnMut(Summary)) -> bool {
        if self.budget_start.is_none_or(|t| now >= t + self.window) {
            self.end_budget(&mut f);
            self.budget_start = Some(now);
        }
        if self.logged >= BUDGET {
            self.over = self.over.saturating_add(1);
            return false;
        }
        let log = self.check_key(now, key, f);
        if log {
            self.logged += 1;
        }
        log
    }

    fn end_budget(&mut self, mut f: impl FnMut(Summary)) {
        if self.over > 0 {
            f(Summary {
                key: None,
                suppressed: self.over,
            });
        }
        self.budget_start = None;
        self.logged = 0;
        self.over = 0;
    }

    fn check_key(&mut self, now: Instant, key: LineKey, mut f: impl FnMut(Summary)) -> bool {
        if let Some(s) = self.slots.iter_mut().flatten().find(|s| s.key == key) {
            if now < s.start + self.window {
                s.suppressed = s.suppressed.saturating_add(1);
                return false;
            }
            if s.suppressed > 0 {
                f(Summary {
                    key: Some(key),
                    suppressed: s.suppressed,
                });
            }
            s.start = now;
            s.suppressed = 0;
            return true;
        }
        let idx = match self.slots.iter().position(Option::is_none) {
            Some(i) => i,
            None => {
                // Full: evict the oldest window.
                let (i, old) = self
                    .slots
                    .iter()
                    .enumerate()
                    .filter_map(|(i, s)| s.map(|s| (i, s)))
                    .min_by_key(|(_, s)| s.start)
                    .unwrap_or((
                        0,
                        Tally {
                            key,
                            start: now,
                            suppressed: 0,
                        },
                    ));
                if old.suppressed > 0 {
                    f(Summary {
                        key: Some(old.key),
                        suppressed: old.suppressed,
                    });
                }
                i
            }
        };
        self.slots[idx] = Some(Tally {
            key,
            start: now,
            suppressed: 0,
        });
        true
    }

    /// Ends every window that is over at `now`, calling `f` with its summary when lines were
    /// suppressed in it; the entry is freed.
    pub fn flush(&mut self, now: Instant, mut f: impl FnMut(Summary)) {
        for slot in &mut self.slots {
            if let Some(s) = slot
                && now >= s.start + self.window
            {
                if s.suppressed > 0 {
                    f(Summary {
                        key: Some(s.key),
                        suppressed: s.suppressed,
                    });
                }
                *slot = None;
            }
        }
        if self.budget_start.is_some_and(|t| now >= t + self.window) {
            self.end_budget(f);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    fn key(what: &'static str, last: u8) -> LineKey {
        LineKey {
            what,
            inst: None,
            addr: IpAddr::V4(Ipv4Addr::new(10, 0, 0, last)),
            level: log::Level::Debug,
        }
    }

    fn at(ms: u64) -> Instant {
        Instant::ZERO + Duration::from_millis(ms)
    }

    #[test]
    fn one_line_per_key_and_window_then_a_summary() {
        let mut l = LogLimit::default();
        let mut out = None;
        let k = key("TTL", 9);
        let logged = (0..1000)
            .filter(|i| l.check(at(*i), k, |x| out = Some(x)))
            .count();
        assert_eq!((logged, out), (1, None));
        // Another reason or source has its own line.
        assert!(l.check(at(10), key("checksum", 9), |x| out = Some(x)));
        assert!(l.check(at(10), key("TTL", 8), |x| out = Some(x)));
        // After the window: logged again, with the count of the previous one.
        assert!(l.check(at(5000), k, |x| out = Some(x)));
        assert_eq!(
            out,
            Some(Summary {
                key: Some(k),
                suppressed: 999
            })
        );
    }

    #[test]
    fn flush_reports_windows_that_are_over() {
        let mut l = LogLimit::default();
        let mut out = None;
        let k = key("TTL", 9);
        for i in 0..10 {
            l.check(at(i), k, |x| out = Some(x));
        }
        let mut got = Vec::new();
        l.flush(at(4999), |s| got.push(s));
        assert!(got.is_empty());
        l.flush(at(5000), |s| got.push(s));
        assert_eq!(
            got,
            [Summary {
                key: Some(k),
                suppressed: 9
            }]
        );
        // Freed: the next line is logged at once, without a summary.
        out = None;
        assert!(l.check(at(5001), k, |x| out = Some(x)));
        assert_eq!(out, None);
    }

    #[test]
    fn a_full_table_evicts_the_oldest_with_its_count() {
        let mut l = LogLimit::default();
        let mut out = None;
        let first = key("TTL", 0);
        l.check(at(0), first, |x| out = Some(x));
        l.check(at(1), first, |x| out = Some(x));
        for i in 1..SLOTS as u8 {
            assert!(l.check(at(10 + u64::from(i)), key("TTL", i), |x| out = Some(x)));
        }
        assert_eq!(out, None);
        // One more source than the table holds: the first one goes, with its count.
        assert!(l.check(at(100), key("TTL", 200), |x| out = Some(x)));
        assert_eq!(
            out,
            Some(Summary {
                key: Some(first),
                suppressed: 1
            })
        );
    }

    #[test]
    fn many_sources_stay_within_the_budget() {
        let mut l = LogLimit::default();
        let mut out = None;
        let logged = (0..10_000u32)
            .filter(|i| {
                l.check(at(u64::from(*i) / 10), key("TTL", (*i % 250) as u8), |x| {
                    out = Some(x)
                })
            })
            .count();
        assert_eq!(logged, BUDGET as usize);
        let mut got = Vec::new();
        l.flush(at(5000), |s| got.push(s));
        let total: u32 = got.iter().map(|s| s.suppressed).sum();
        assert_eq!(total as usize + logged, 10_000, "{got:?}");
    }
}
