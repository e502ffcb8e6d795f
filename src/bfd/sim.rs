//! Deterministic simulation: two BFD sessions over a simulated link with loss and delay, a
//! virtual clock, [`SEEDS`] seeds per scenario (STYLE.md section 8.2). Everything random comes
//! from one [`Rng`] per run, so a failing seed replays exactly. Print what was measured with
//! `cargo test --lib bfd::sim -- --nocapture`.

use std::time::Duration;

use super::*;
use crate::rng::Rng;
use crate::time::Instant;
use crate::wire::bfd::Repr;

const SEEDS: u64 = 1000;
const MS: Duration = Duration::from_millis(1);

/// Two sessions, the packets in flight (arrival, receiver, packet) and the link's quality.
struct Pair {
    now: Instant,
    s: [Session; 2],
    flight: Vec<(Instant, usize, Repr<'static>)>,
    rng: Rng,
    loss_pct: u64,
    delay: Duration,
    /// Per side: last transmit, the interval then, whether it changed since.
    last_tx: [Option<(Instant, Option<Duration>)>; 2],
    last_rx: [Option<Instant>; 2],
    /// Worst periodic gap as a fraction of the interval: (min, max).
    gap: (f64, f64),
    /// Worst lateness of a Down after the detection time (negative: early).
    detect_late: Duration,
    false_downs: u64,
    /// Packets received by a session in Up: each starts a window in which the next
    /// `detect_mult` packets must all be lost for a false Down.
    rx_up: u64,
    events: Vec<(Instant, usize, Event)>,
}

impl Pair {
    fn new(seed: u64, loss_pct: u64, mult: u8) -> Pair {
        let mut rng = Rng::new(seed);
        let mk = |i: u32, rng: &mut Rng| {
            let p = Params {
                min_tx: 50 * MS,
                min_rx: 50 * MS,
                detect_mult: mult,
                ..Params::new("BFD1", 0x100 + i)
            };
            Session::new(
                p,
                Instant::ZERO + MS * rng.below(1000) as u32,
                Rng::new(rng.next_u64()),
            )
        };
        let s = [mk(0, &mut rng), mk(1, &mut rng)];
        Pair {
            now: Instant::ZERO,
            s,
            flight: vec![],
            rng,
            loss_pct,
            delay: MS,
            last_tx: [None; 2],
            last_rx: [None; 2],
            gap: (f64::MAX, 0.0),
            detect_late: Duration::ZERO,
            false_downs: 0,
            rx_up: 0,
            events: vec![],
        }
    }

    fn drain(&mut self, i: usize) {
        while let Some(o) = self.s[i].poll_output() {
            match o {
                Output::Transmit(t) => {
                    if t.reason == TxReason::Periodic
                        && let Some((prev, Some(iv))) = self.last_tx[i]
                        && self.s[i].tx_interval() == Some(iv)
                    {
                        let f = (self.now - prev).as_secs_f64() / iv.as_secs_f64();
                        self.gap = (self.gap.0.min(f), self.gap.1.max(f));
                        let hi = if self.s[i].params().detect_mult == 1 {
                            0.9
                        } else {
                            1.0
                        };
                        assert!((0.75 - 1e-9..=hi + 1e-9).contains(&f), "gap {f}");
                    }
                    self.last_tx[i] = Some((self.now, self.s[i].tx_interval()));
                    if self.rng.below(100) >= self.loss_pct {
                        let jitter = Duration::from_micros(self.rng.below(200));
                        self.flight
                            .push((self.now + self.delay + jitter, 1 - i, t.repr));
                    }
                }
                Output::Event(e) => {
                    let Event::StateChange { from, diag, .. } = e;
                    if from == State::Up && diag == Diag::ControlDetectionTimeExpired {
                        self.false_downs += 1;
                        let last = self.last_rx[i].expect("heard before Up");
                        let dt = self.s[i].detection_time();
                        let late = (self.now - last).saturating_sub(dt);
                        self.detect_late = self.detect_late.max(late);
                    }
                    self.events.push((self.now, i, e));
                }
            }
        }
        // The last-transmit interval is stale once the interval changes.
        if let Some((_, iv)) = &mut self.last_tx[i]
            && *iv != self.s[i].tx_interval()
        {
            *iv = None;
        }
    }

    /// Advances to the next event and handles it; false past `until`.
    fn step(&mut self, until: Instant) -> bool {
        let next_flight = self.flight.iter().map(|f| f.0).min();
        let next_timer = (0..2).filter_map(|i| self.s[i].poll_timeout()).min();
        let Some(t) = [next_flight, next_timer].into_iter().flatten().min() else {
            return false;
        };
        if t > until {
            return false;
        }
        self.now = t;
        if let Some(k) = self.flight.iter().position(|f| f.0 == t) {
            let (_, to, repr) = self.flight.swap_remove(k);
            self.last_rx[to] = Some(t);
            if self.s[to].state() == State::Up && repr.state == State::Up {
                self.rx_up += 1;
            }
            self.s[to].handle_input(t, &repr);
            self.drain(to);
        } else {
            for i in 0..2 {
                self.s[i].handle_timeout(t);
                self.drain(i);
            }
        }
        true
    }

    fn run_until(&mut self, until: Instant) {
        let mut n = 0;
        while self.step(until) {
            n += 1;
            assert!(n < 10_000_000, "livelock");
        }
    }

    fn both_up(&self) -> bool {
        self.s
            .iter()
            .all(|s| s.state() == State::Up && !s.poll_active())
    }
}

#[test]
fn bring_up_and_poll_final_on_either_side() {
    let mut worst_up = Duration::ZERO;
    let mut worst_poll = Duration::ZERO;
    for seed in 0..SEEDS {
        let mut p = Pair::new(seed, 0, 3);
        let mut t = Instant::ZERO;
        while !p.both_up() {
            t += 10 * MS;
            p.run_until(t);
            assert!(t < Instant::ZERO + Duration::from_secs(5), "seed {seed}");
        }
        worst_up = worst_up.max(t - Instant::ZERO);
        let side = (seed % 2) as usize;
        let start = p.now;
        p.s[side].set_params(start, 100 * MS, 20 * MS, 4);
        p.drain(side);
        while p.s[side].poll_active() {
            t += MS;
            p.run_until(t);
        }
        worst_poll = worst_poll.max(t - start);
        assert!(p.both_up(), "seed {seed}");
        assert_eq!(p.s[side].tx_interval(), Some(100 * MS));
        assert_eq!(p.s[1 - side].detection_time(), 400 * MS);
        p.run_until(t + Duration::from_secs(2));
        assert!(p.both_up() && p.false_downs == 0, "seed {seed}");
    }
    println!("bring-up: worst {worst_up:?} (bound 5 s); poll/final: worst {worst_poll:?}");
}

#[test]
fn detection_under_loss_and_jitter_bounds() {
    for (mult, loss) in [(3u8, 10u64), (1, 0)] {
        let (mut downs, mut late, mut gap) = (0, Duration::ZERO, (f64::MAX, 0.0f64));
        let mut rx_up = 0;
        let secs = 20;
        for seed in 0..SEEDS {
            let mut p = Pair::new(seed, loss, mult);
            p.run_until(Instant::ZERO + Duration::from_secs(secs));
            downs += p.false_downs;
            rx_up += p.rx_up;
            late = late.max(p.detect_late);
            gap = (gap.0.min(p.gap.0), gap.1.max(p.gap.1));
        }
        assert!(
            late <= MS,
            "declared Down {late:?} after the detection time"
        );
        // Theory: after each packet a session receives while Up, the peer's next `mult`
        // packets all arrive within the detection time (the jitter keeps `mult` periodic gaps
        // at most `mult` intervals), so a false Down needs those `mult` all lost: p^mult per
        // packet. Each such Down sends one immediate Down packet and then idles at 1 s; when
        // that packet is lost too (p), the peer times out on its own: x (1 + p).
        let p = loss as f64 / 100.0;
        let expected = rx_up as f64 * p.powi(i32::from(mult)) * (1.0 + p);
        let sigma = expected.sqrt().max(1.0);
        assert!(
            (downs as f64 - expected).abs() <= 5.0 * sigma,
            "mult {mult} loss {loss}%: {downs} false Downs, theory {expected:.0} +- {sigma:.0}"
        );
        println!(
            "mult {mult} loss {loss}%: {downs} false Downs after {rx_up} packets received while Up over {SEEDS} x {secs} s (theory {expected:.0}), worst lateness {late:?}, \
             periodic gaps {:.3}..{:.3} of the interval",
            gap.0, gap.1
        );
    }
}
