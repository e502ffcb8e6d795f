//! One check's schedule and state: keepalived 2.2.7's rules, pure (`now` in, deadlines out).
//!
//! ```text
//! m.poll_timeout()              // when the next probe starts (None while one runs)
//! m.start(now)                  // the executor started a probe (at or after poll_timeout)
//! m.finish(now, &verdict)       // its verdict: Some(up) when the check changed state
//! ```
//!
//! The rules (issue 14 item 1, confirmed against keepalived 2.2.7 in the IPVS guest):
//! - the first probe starts at a random point of `warmup` after the start; the check is up
//!   before it unless `alpha`;
//! - up: a success keeps it up, the next probe `delay_loop` later. A failure is retried
//!   `retry` times, `delay_before_retry` after each failed probe; the `retry + 1`-th failure
//!   in a row takes it down. A failure of the very first probe takes it down at once;
//! - down: after a failure a probe every max(`delay_loop`, `delay_before_retry`); `rise` good
//!   probes in a row bring it back (1; HTTP_GET and SSL_GET 2, `delay_loop` apart, as
//!   keepalived, whose failed URL is re-checked before it counts the server up; with
//!   `fast_recovery` the second comes at once). A timed-out probe ends at `connect_timeout`,
//!   and the next waits from its end.
//! - beyond keepalived, as options: `rise` for any type, and `fast_edge`: after a change of
//!   state the next probe comes after `delay_before_retry` instead of `delay_loop`, so a
//!   flapping server is confirmed sooner.

use std::time::Duration;

use super::Verdict;
use crate::time::Instant;

/// The timing of a check (resolved: checker over real server over virtual server).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timing {
    pub delay_loop: Duration,
    pub retry: u32,
    pub delay_before_retry: Duration,
    /// Good probes in a row that bring a down check back (at least 1).
    pub rise: u32,
    /// Re-probe after `delay_before_retry` at a change of state (not keepalived).
    pub fast_edge: bool,
    /// HTTP `fast_recovery`: while down, a good probe short of `rise` is followed at once.
    pub fast_recovery: bool,
}

/// See the module doc.
#[derive(Debug, Clone)]
pub struct Machine {
    timing: Timing,
    up: bool,
    /// No probe has ended yet.
    fresh: bool,
    /// Failures in a row while up; successes in a row while down.
    run: u32,
    next: Instant,
    running: Option<Instant>,
    /// The last failure, and how long the last probe took.
    pub last_error: Option<String>,
    pub latency: Option<Duration>,
    /// Probes ended, and of them failed.
    pub probes: u64,
    pub failures: u64,
}

impl Machine {
    /// A new check: up unless `alpha`, its first probe `first` after `now` (a random point of
    /// `warmup`, drawn by the caller).
    pub fn new(timing: Timing, alpha: bool, now: Instant, first: Duration) -> Machine {
        Machine {
            timing,
            up: !alpha,
            fresh: true,
            run: 0,
            next: now + first,
            running: None,
            last_error: None,
            latency: None,
            probes: 0,
            failures: 0,
        }
    }

    pub fn is_up(&self) -> bool {
        self.up
    }

    /// A probe is running (started at the returned instant).
    pub fn running(&self) -> Option<Instant> {
        self.running
    }

    pub fn timing(&self) -> &Timing {
        &self.timing
    }

    /// The start of the next probe; `None` while one runs.
    pub fn poll_timeout(&self) -> Option<Instant> {
        match self.running {
            Some(_) => None,
            None => Some(self.next),
        }
    }

    /// A probe starts now.
    pub fn start(&mut self, now: Instant) {
        self.running = Some(now);
    }

    /// The running probe ended with `v`. `Some(up)`: the check changed state.
    pub fn finish(&mut self, now: Instant, v: &Verdict) -> Option<bool> {
        let started = self.running.take().unwrap_or(now);
        self.latency = Some(now.saturating_duration_since(started));
        self.probes += 1;
        let fresh = std::mem::replace(&mut self.fresh, false);
        let t = &self.timing;
        let (change, wait) = match (self.up, v) {
            (true, Ok(())) => {
                self.run = 0;
                (None, t.delay_loop)
            }
            (true, Err(_)) => {
                self.run += 1;
                if fresh || self.run > t.retry {
                    self.up = false;
                    self.run = 0;
                    (Some(false), self.down_wait())
                } else {
                    (None, t.delay_before_retry)
                }
            }
            (false, Ok(())) => {
                self.run += 1;
                // An alpha check's first success counts alone (keepalived: notify_up at the
                // first good probe).
                if fresh || self.run >= t.rise.max(1) {
                    self.up = true;
                    self.run = 0;
                    (Some(true), t.delay_loop)
                } else if t.fast_recovery {
                    (None, Duration::ZERO)
                } else {
                    (None, t.delay_loop)
                }
            }
            (false, Err(_)) => {
                self.run = 0;
                (None, self.down_wait())
            }
        };
        if let Err(e) = v {
            self.failures += 1;
            self.last_error = Some(e.clone());
        }
        let wait = match change {
            Some(_) if self.timing.fast_edge => self.timing.delay_before_retry,
            _ => wait,
        };
        self.next = now + wait;
        change
    }

    fn down_wait(&self) -> Duration {
        self.timing.delay_loop.max(self.timing.delay_before_retry)
    }

    /// Takes over the state of `old` (a reload that kept this check's identity): state, run,
    /// schedule and figures; the timing stays the new one.
    pub fn adopt(&mut self, old: &Machine) {
        let timing = self.timing.clone();
        *self = old.clone();
        self.timing = timing;
    }

    /// A probe that was running when a reload came: it is forgotten and starts again now.
    pub fn abort(&mut self, now: Instant) {
        if self.running.take().is_some() {
            self.next = now;
        }
    }

    /// Forces a state (FILE_CHECK and BFD_CHECK follow their source at once; no probes).
    pub fn set(&mut self, up: bool) -> Option<bool> {
        self.fresh = false;
        (self.up != up).then(|| {
            self.up = up;
            up
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    fn at(n: u64) -> Instant {
        Instant::ZERO + s(n)
    }

    fn timing(retry: u32, rise: u32) -> Timing {
        Timing {
            delay_loop: s(10),
            retry,
            delay_before_retry: s(3),
            rise,
            fast_edge: false,
            fast_recovery: false,
        }
    }

    fn bad() -> Verdict {
        Err("refused".into())
    }

    #[test]
    fn first_failure_goes_down_at_once_then_probes_every_delay_loop() {
        let mut m = Machine::new(timing(2, 1), false, at(0), s(4));
        assert!(m.is_up());
        assert_eq!(m.poll_timeout(), Some(at(4)));
        m.start(at(4));
        assert_eq!(m.poll_timeout(), None);
        assert_eq!(m.finish(at(5), &bad()), Some(false));
        assert_eq!(m.poll_timeout(), Some(at(15)));
        m.start(at(15));
        assert_eq!(m.finish(at(15), &Ok(())), Some(true));
        assert_eq!(m.poll_timeout(), Some(at(25)));
    }

    #[test]
    fn retries_while_up_then_down() {
        let mut m = Machine::new(timing(2, 1), false, at(0), s(0));
        m.start(at(0));
        assert_eq!(m.finish(at(0), &Ok(())), None);
        // Three failures in a row (retry 2): retried 3 s apart, down at the third.
        m.start(at(10));
        assert_eq!(m.finish(at(15), &bad()), None);
        assert_eq!(m.poll_timeout(), Some(at(18)));
        m.start(at(18));
        assert_eq!(m.finish(at(23), &bad()), None);
        m.start(at(26));
        assert_eq!(m.finish(at(31), &bad()), Some(false));
        assert_eq!(m.poll_timeout(), Some(at(41)));
        assert_eq!(m.failures, 3);
        assert_eq!(m.last_error.as_deref(), Some("refused"));
    }

    #[test]
    fn a_success_between_failures_resets_the_count() {
        let mut m = Machine::new(timing(1, 1), false, at(0), s(0));
        m.start(at(0));
        m.finish(at(0), &Ok(()));
        for t in [10, 13] {
            m.start(at(t));
            let v = if t == 10 { bad() } else { Ok(()) };
            assert_eq!(m.finish(at(t), &v), None);
        }
        m.start(at(23));
        assert_eq!(
            m.finish(at(23), &bad()),
            None,
            "one failure after a success"
        );
    }

    #[test]
    fn alpha_starts_down_and_rises_at_first_success_rise_two_later() {
        let mut m = Machine::new(timing(0, 2), true, at(0), s(1));
        assert!(!m.is_up());
        m.start(at(1));
        assert_eq!(m.finish(at(1), &Ok(())), Some(true));
        m.start(at(11));
        assert_eq!(m.finish(at(11), &bad()), Some(false));
        m.start(at(21));
        assert_eq!(m.finish(at(21), &Ok(())), None, "first of two");
        assert_eq!(m.poll_timeout(), Some(at(31)));
        m.start(at(31));
        assert_eq!(m.finish(at(31), &Ok(())), Some(true));
    }

    #[test]
    fn down_waits_the_longer_of_delay_loop_and_retry_delay() {
        let mut t = timing(0, 1);
        t.delay_before_retry = s(30);
        let mut m = Machine::new(t, true, at(0), s(0));
        m.start(at(0));
        m.finish(at(0), &Ok(()));
        m.start(at(10));
        assert_eq!(m.finish(at(10), &bad()), Some(false));
        assert_eq!(m.poll_timeout(), Some(at(40)));
    }

    #[test]
    fn fast_edge_and_adopt() {
        let mut t = timing(0, 1);
        t.fast_edge = true;
        let mut m = Machine::new(t.clone(), false, at(0), s(0));
        m.start(at(0));
        assert_eq!(m.finish(at(0), &bad()), Some(false));
        assert_eq!(m.poll_timeout(), Some(at(3)));
        let mut n = Machine::new(timing(5, 1), false, at(100), s(7));
        n.adopt(&m);
        assert!(!n.is_up());
        assert_eq!(n.poll_timeout(), Some(at(3)));
        assert_eq!(n.timing().retry, 5);
        assert_eq!(n.set(true), Some(true));
        assert_eq!(n.set(true), None);
    }
}
