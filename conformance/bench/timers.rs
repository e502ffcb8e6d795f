//! Timer lateness of the event loop: 10,000 timers at random deadlines 1-100 ms ahead, with 1,000
//! idle fds registered on the same poll. Lateness is the time from a timer's deadline to the moment
//! its handler runs. Target: p99 <= 200 µs.
//!
//! For comparison the same load runs on a loop that waits with mio's own poll timeout (what a
//! reactor without a timerfd does): epoll rounds that timeout up to whole milliseconds.
//!
//! Run: `cargo bench --bench timers` (release profile). Prints one line per loop and round.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::Duration;

use keepalived_rs::reactor::{Core, Handler, Reactor, ReactorConfig, Wake};
use keepalived_rs::rng::Rng;
use keepalived_rs::time::Instant;
use mio::Interest;

const TIMERS: usize = 10_000;
const IDLE_FDS: usize = 1_000;
const ROUNDS: usize = 5;

fn delay(rng: &mut Rng) -> Duration {
    Duration::from_nanos(1_000_000 + rng.below(99_000_000))
}

struct Lateness {
    samples: Vec<u64>,
}

impl Handler<u32> for Lateness {
    fn handle(&mut self, _core: &mut Core<u32>, now: Instant, wake: Wake<u32>) {
        if let Wake::Timer { deadline, .. } = wake {
            assert!(now >= deadline, "timer fired early");
            self.samples.push((now - deadline).as_nanos() as u64);
        }
    }
}

fn pct(sorted: &[u64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i] as f64 / 1000.0
}

fn report(name: &str, round: usize, mut samples: Vec<u64>) -> f64 {
    samples.sort_unstable();
    let p99 = pct(&samples, 0.99);
    println!(
        "{name} round {round}: n={} lateness p50={:.1}us p99={:.1}us max={:.1}us",
        samples.len(),
        pct(&samples, 0.50),
        p99,
        *samples.last().unwrap() as f64 / 1000.0
    );
    p99
}

fn raise_nofile() {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: valid out-pointer / in-pointer.
    unsafe {
        libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim);
        lim.rlim_cur = lim.rlim_max.max(lim.rlim_cur);
        libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
    }
}

fn idle_sockets() -> Vec<std::net::UdpSocket> {
    (0..IDLE_FDS)
        .map(|_| {
            let s = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind loopback");
            s.set_nonblocking(true).unwrap();
            s
        })
        .collect()
}

fn reactor_round(rng: &mut Rng, idle: &[std::net::UdpSocket]) -> Vec<u64> {
    let mut r: Reactor<u32> = Reactor::new(&ReactorConfig::default()).unwrap();
    for (i, s) in idle.iter().enumerate() {
        r.core()
            .register_fd(s, Interest::READABLE, i as u32)
            .unwrap();
    }
    let start = r.now();
    for i in 0..TIMERS {
        r.core().arm(start + delay(rng), i as u32);
    }
    let mut h = Lateness {
        samples: Vec::with_capacity(TIMERS),
    };
    while h.samples.len() < TIMERS {
        r.turn(&mut h, None).unwrap();
    }
    h.samples
}

/// The same load with a binary heap and mio's millisecond poll timeout.
fn mio_timeout_round(rng: &mut Rng, idle: &[std::net::UdpSocket]) -> Vec<u64> {
    let mut poll = mio::Poll::new().unwrap();
    let mut events = mio::Events::with_capacity(256);
    for (i, s) in idle.iter().enumerate() {
        let fd = std::os::fd::AsRawFd::as_raw_fd(s);
        poll.registry()
            .register(
                &mut mio::unix::SourceFd(&fd),
                mio::Token(i),
                Interest::READABLE,
            )
            .unwrap();
    }
    let start = Instant::now();
    let mut heap: BinaryHeap<Reverse<Instant>> =
        (0..TIMERS).map(|_| Reverse(start + delay(rng))).collect();
    let mut samples = Vec::with_capacity(TIMERS);
    while let Some(&Reverse(next)) = heap.peek() {
        let now = Instant::now();
        if next > now {
            poll.poll(&mut events, Some(next - now)).unwrap();
            continue;
        }
        while let Some(&Reverse(d)) = heap.peek() {
            let now = Instant::now();
            if d > now {
                break;
            }
            heap.pop();
            samples.push((now - d).as_nanos() as u64);
        }
    }
    for (i, s) in idle.iter().enumerate() {
        let _ = i;
        let fd = std::os::fd::AsRawFd::as_raw_fd(s);
        let _ = poll.registry().deregister(&mut mio::unix::SourceFd(&fd));
    }
    samples
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` would pass test flags: run either way.
    raise_nofile();
    let idle = idle_sockets();
    let mut rng = Rng::new(0x5eed_1234_abcd_ef01);
    println!("timer benchmark: {TIMERS} timers at 1-100 ms, {IDLE_FDS} idle fds, {ROUNDS} rounds");
    let mut p99s = Vec::new();
    for round in 1..=ROUNDS {
        p99s.push(report(
            "reactor (wheel + timerfd)",
            round,
            reactor_round(&mut rng, &idle),
        ));
    }
    let mut base = Vec::new();
    for round in 1..=2 {
        base.push(report(
            "baseline (heap + mio poll timeout)",
            round,
            mio_timeout_round(&mut rng, &idle),
        ));
    }
    p99s.sort_by(f64::total_cmp);
    let median = p99s[p99s.len() / 2];
    println!(
        "summary: reactor p99 median over {ROUNDS} rounds = {median:.1}us (target <= 200us: {}); mio-timeout baseline p99 = {:.1}us",
        if median <= 200.0 { "met" } else { "MISSED" },
        base.iter().cloned().fold(0.0, f64::max)
    );
}
