//! Time for the whole daemon: one monotonic clock, read in one place.
//!
//! [`Instant`] is nanoseconds of `CLOCK_MONOTONIC`. Unlike `std::time::Instant` its raw value is
//! visible, so the reactor can arm a `timerfd` for exactly the deadline a machine asked for, and tests
//! can build any instant they like. Wall-clock time never enters a deadline: a jump of the system clock
//! (NTP step, `date -s`) cannot fire or delay a timer.
//!
//! Protocol machines never read a clock; they are handed `now` by the event loop. The loop reads it
//! through the [`Clock`] trait so that tests can substitute a fake one.

use std::fmt;
use std::ops::{Add, AddAssign, Sub};
use std::time::Duration;

/// A point on the monotonic clock, in nanoseconds since an arbitrary epoch (boot, for the real clock).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Instant(u64);

impl Instant {
    /// The epoch of the clock; useful as a start value in simulations.
    pub const ZERO: Instant = Instant(0);

    pub const fn from_nanos(ns: u64) -> Instant {
        Instant(ns)
    }

    pub const fn as_nanos(self) -> u64 {
        self.0
    }

    /// Reads `CLOCK_MONOTONIC`.
    pub fn now() -> Instant {
        Instant(crate::sys::monotonic_nanos())
    }

    /// When a datagram arrived, on this clock: the monotonic clock now, moved back by the age of
    /// the kernel's receive stamp `stamp` (`SO_TIMESTAMPNS`, wall clock), both clocks read here
    /// side by side (a loop's `now` is older by however long its wake has run: subtracting the
    /// age from it would date the datagram too early). So a protocol judges a packet by when it
    /// reached the host even when the loop got to it late (a busy machine). At most 1 s back;
    /// `now` without a stamp or when the wall clock jumped.
    pub fn arrival(now: Instant, stamp: Option<Duration>) -> Instant {
        let Some(stamp) = stamp else { return now };
        let mono = Instant::now();
        let Ok(wall) = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) else {
            return now;
        };
        match wall.checked_sub(stamp) {
            Some(age) if age < Duration::from_secs(1) => {
                Instant(mono.0.saturating_sub(age.as_nanos() as u64))
            }
            _ => now,
        }
    }

    /// The time from `earlier` to `self`, zero if `earlier` is later.
    pub fn saturating_duration_since(self, earlier: Instant) -> Duration {
        Duration::from_nanos(self.0.saturating_sub(earlier.0))
    }

    pub fn checked_add(self, d: Duration) -> Option<Instant> {
        let ns = u64::try_from(d.as_nanos()).ok()?;
        self.0.checked_add(ns).map(Instant)
    }
}

impl Add<Duration> for Instant {
    type Output = Instant;
    /// Saturates at the end of time instead of overflowing: a deadline that far away never fires.
    fn add(self, d: Duration) -> Instant {
        self.checked_add(d).unwrap_or(Instant(u64::MAX))
    }
}

impl AddAssign<Duration> for Instant {
    fn add_assign(&mut self, d: Duration) {
        *self = *self + d;
    }
}

impl Sub<Instant> for Instant {
    type Output = Duration;
    fn sub(self, rhs: Instant) -> Duration {
        self.saturating_duration_since(rhs)
    }
}

impl fmt::Debug for Instant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}.{:09}s",
            self.0 / 1_000_000_000,
            self.0 % 1_000_000_000
        )
    }
}

/// Where the event loop gets the time from.
///
/// `monotonic` is the only time used for deadlines. `wall` is only for humans (log lines, dumps).
pub trait Clock {
    fn monotonic(&self) -> Instant;
    /// Seconds since the Unix epoch.
    fn wall(&self) -> u64;
}

/// The real clocks of the machine.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn monotonic(&self) -> Instant {
        Instant::now()
    }
    fn wall(&self) -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn add_saturates() {
        let t = Instant::from_nanos(u64::MAX - 5);
        assert_eq!((t + Duration::from_secs(1)).as_nanos(), u64::MAX);
        assert_eq!(
            Instant::ZERO + Duration::from_micros(3),
            Instant::from_nanos(3000)
        );
    }

    #[test]
    fn sub_never_negative() {
        let a = Instant::from_nanos(10);
        let b = Instant::from_nanos(20);
        assert_eq!(a - b, Duration::ZERO);
        assert_eq!(b - a, Duration::from_nanos(10));
    }

    #[test]
    fn real_clock_is_monotonic() {
        let a = Instant::now();
        let b = Instant::now();
        assert!(b >= a);
    }
}
