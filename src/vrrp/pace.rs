//! Pacing of gratuitous ARPs and unsolicited NAs: `vrrp_garp_interval`, `vrrp_gna_interval`
//! and `garp_group` (reference §2.6).
//!
//! A *domain* is what shares one pacing budget: an interface on its own (the global intervals)
//! or the interfaces of one `garp_group` together, for ARP and for NA separately. A domain sends
//! at most one frame per interval; the first one at once when it has been quiet for an interval.
//! A request for `repeat` frames for an address queues the address with a count; the queue is
//! served round-robin (each pending address in turn, so a burst for many VIPs reaches every VIP
//! early), and a new request for an address already pending only raises its count. So the
//! queue holds each address once: bounded by the VIPs, however often bursts are asked for.
//!
//! keepalived 2.2.7 with `vrrp_garp_interval 0.1` and a repeat of 5 sends 2 of the 5, 103 ms
//! apart; here all 5 go, one interval apart.
//!
//! Pure: time comes in as an argument; the executor sends what [`Pacer::poll`] gives.

use std::collections::VecDeque;
use std::time::Duration;

use crate::time::Instant;

/// What shares a pacing budget: an interface (by index) or a `garp_group` (by position), for
/// ARP (`v6` false) or NA.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DomainKey {
    Interface { ifindex: u32, v6: bool },
    Group { group: usize, v6: bool },
}

#[derive(Debug)]
struct Domain<T> {
    key: DomainKey,
    interval: Duration,
    /// The earliest time the next frame may go.
    next: Instant,
    /// Pending items with the frames each still has to send (at least 1).
    queue: VecDeque<(T, u32)>,
}

/// The pacing domains and their queues. `T` names one frame's target (the executor's interface,
/// address and instance).
#[derive(Debug)]
pub struct Pacer<T> {
    domains: Vec<Domain<T>>,
}

impl<T> Default for Pacer<T> {
    fn default() -> Pacer<T> {
        Pacer {
            domains: Vec::new(),
        }
    }
}

impl<T: PartialEq + Clone> Pacer<T> {
    /// Queues `repeat` frames for `item` in domain `key`, whose interval is `interval` (the
    /// configuration's, taken anew at each request: a reload's change applies from the next
    /// frame). `repeat` 0 queues nothing.
    pub fn push(&mut self, key: DomainKey, interval: Duration, item: T, repeat: u32, now: Instant) {
        if repeat == 0 {
            return;
        }
        let d = match self.domains.iter().position(|d| d.key == key) {
            Some(n) => &mut self.domains[n],
            None => {
                self.domains.push(Domain {
                    key,
                    interval,
                    next: now,
                    queue: VecDeque::new(),
                });
                let last = self.domains.len() - 1;
                &mut self.domains[last]
            }
        };
        d.interval = interval;
        match d.queue.iter_mut().find(|(t, _)| *t == item) {
            Some((_, left)) => *left = (*left).max(repeat),
            None => d.queue.push_back((item, repeat)),
        }
    }

    /// The next frame due by `now`, if any (call until `None`): the domain's next item, which
    /// goes to the back of its queue while it has frames left.
    pub fn poll(&mut self, now: Instant) -> Option<T> {
        let d = self
            .domains
            .iter_mut()
            .find(|d| !d.queue.is_empty() && d.next <= now)?;
        let (item, left) = d.queue.pop_front()?;
        if left > 1 {
            d.queue.push_back((item.clone(), left - 1));
        }
        d.next = now + d.interval;
        Some(item)
    }

    /// When [`Pacer::poll`] has something next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.domains
            .iter()
            .filter(|d| !d.queue.is_empty())
            .map(|d| d.next)
            .min()
    }

    /// Drops every pending frame whose item `gone` says is gone (an instance that left MASTER
    /// or was removed), and the domains left idle.
    pub fn forget(&mut self, mut gone: impl FnMut(&T) -> bool, now: Instant) {
        for d in &mut self.domains {
            d.queue.retain(|(t, _)| !gone(t));
        }
        // An idle domain whose interval has passed is the same as none.
        self.domains.retain(|d| !d.queue.is_empty() || d.next > now);
    }

    /// Frames pending in all.
    pub fn pending(&self) -> u64 {
        self.domains
            .iter()
            .flat_map(|d| d.queue.iter())
            .map(|(_, n)| u64::from(*n))
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Instant {
        Instant::ZERO + Duration::from_millis(n)
    }

    const ETH0: DomainKey = DomainKey::Interface {
        ifindex: 2,
        v6: false,
    };
    const ETH0_NA: DomainKey = DomainKey::Interface {
        ifindex: 2,
        v6: true,
    };

    /// Everything `p` sends from `from` on, with the times, until it is empty.
    fn run(p: &mut Pacer<u8>, from: Instant) -> Vec<(u64, u8)> {
        let mut out = Vec::new();
        let mut now = from;
        for _ in 0..1000 {
            while let Some(t) = p.poll(now) {
                out.push((now.as_nanos() / 1_000_000, t));
            }
            match p.poll_timeout() {
                Some(next) => now = next,
                None => break,
            }
        }
        out
    }

    /// keepalived 2.2.7 sends 2 of 5 at 0.1 s; all five go here, 100 ms apart, the first at once.
    #[test]
    fn repeat_five_at_100ms_sends_all_five() {
        let mut p = Pacer::default();
        p.push(ETH0, Duration::from_millis(100), 1, 5, ms(1000));
        assert_eq!(
            run(&mut p, ms(1000)),
            [(1000, 1), (1100, 1), (1200, 1), (1300, 1), (1400, 1)]
        );
        assert_eq!(p.poll_timeout(), None);
    }

    /// Several VIPs share the budget round-robin; ARP and NA are separate budgets.
    #[test]
    fn round_robin_and_separate_budgets() {
        let mut p = Pacer::default();
        let i = Duration::from_millis(10);
        p.push(ETH0, i, 1, 2, ms(0));
        p.push(ETH0, i, 2, 2, ms(0));
        p.push(ETH0_NA, i, 9, 1, ms(0));
        assert_eq!(
            run(&mut p, ms(0)),
            [(0, 1), (0, 9), (10, 2), (20, 1), (30, 2)]
        );
    }

    /// A group's interfaces share one domain: one key, so one budget.
    #[test]
    fn a_group_is_one_budget() {
        let mut p = Pacer::default();
        let g = DomainKey::Group {
            group: 0,
            v6: false,
        };
        let i = Duration::from_millis(50);
        p.push(g, i, 1, 1, ms(0));
        p.push(g, i, 2, 1, ms(0));
        assert_eq!(run(&mut p, ms(0)), [(0, 1), (50, 2)]);
    }

    /// A request for an item already pending raises its count instead of queueing it twice:
    /// the queue stays bounded however often bursts are asked for.
    #[test]
    fn repeated_requests_merge() {
        let mut p = Pacer::default();
        let i = Duration::from_millis(10);
        for _ in 0..10_000 {
            p.push(ETH0, i, 1, 3, ms(0));
        }
        p.push(ETH0, i, 1, 4, ms(0));
        assert_eq!(p.pending(), 4);
        assert_eq!(run(&mut p, ms(0)).len(), 4);
    }

    /// A domain that sent recently waits out its interval before the next burst's first frame.
    #[test]
    fn a_recent_frame_delays_the_next_burst() {
        let mut p = Pacer::default();
        let i = Duration::from_millis(100);
        p.push(ETH0, i, 1, 1, ms(0));
        assert_eq!(run(&mut p, ms(0)), [(0, 1)]);
        p.push(ETH0, i, 2, 1, ms(30));
        assert_eq!(p.poll(ms(30)), None);
        assert_eq!(p.poll_timeout(), Some(ms(100)));
        // Quiet for longer than the interval: at once.
        let mut p = Pacer::default();
        p.push(ETH0, i, 1, 1, ms(0));
        run(&mut p, ms(0));
        p.forget(|_| false, ms(500));
        p.push(ETH0, i, 2, 1, ms(500));
        assert_eq!(p.poll(ms(500)), Some(2));
    }

    /// Frames of an instance that left MASTER are dropped.
    #[test]
    fn forget_drops_pending_frames() {
        let mut p = Pacer::default();
        let i = Duration::from_millis(10);
        p.push(ETH0, i, 1, 5, ms(0));
        p.push(ETH0, i, 2, 5, ms(0));
        p.forget(|t| *t == 1, ms(0));
        assert_eq!(
            run(&mut p, ms(0)).iter().filter(|(_, t)| *t == 1).count(),
            0
        );
        assert_eq!(p.pending(), 0);
    }
}
