//! The event loop: one `mio::Poll`, one thread, every fd of the daemon.
//!
//! # What it multiplexes
//! - sockets and other fds registered through [`Core::register`], each owned by a key `K` that the
//!   daemon chooses (which machine the fd belongs to);
//! - timers in a [`wheel::Wheel`], with one `timerfd` on `CLOCK_MONOTONIC` armed at or before the
//!   earliest deadline with absolute nanosecond precision (mio's own timeout rounds up to whole
//!   milliseconds); a deadline that moves later does not re-arm it, the early wake finds nothing
//!   due and re-arms then (one `timerfd_settime` per wake instead of one per advert a backup gets);
//! - signals, through signal-hook's self-pipe registered with the poll;
//! - child processes (scripts): spawned without waiting for them, reaped on `SIGCHLD` with
//!   `waitpid(WNOHANG)`, killed (the whole process group) when they outlive their timeout.
//!
//! # The contract (after str0m and quinn-proto)
//! The loop hands the [`Handler`] one [`Wake`] at a time. For each wake the handler gives **one
//! input to one machine**, then **drains that machine's outputs** (transmits, kernel actions, events to
//! other machines, new timers) before it returns. Only then does the loop deliver the next wake. No
//! machine ever sees an input while another machine's outputs are half drained, so the order of
//! effects is the order of inputs.
//!
//! Within one return of `epoll_wait` the loop delivers I/O first, then signals, then due timers, and it
//! reads the clock again before each wake. I/O first means that an advert which arrived just as a
//! master-down timer came due is seen before the timer fires.
//!
//! Timers never fire early. A wake-up is late by the scheduling latency of the host only: the wheel
//! rounds deadlines up to the next microsecond and the timerfd is armed to the nanosecond.
//!
//! Time is `CLOCK_MONOTONIC` only ([`crate::time`]); the wall clock is never used for a deadline.
//!
//! Registered fds are edge-triggered (mio): a handler must read until `WouldBlock` and retry `EINTR`.

pub mod armed;
pub mod conns;
pub mod reload;
pub mod slots;
pub mod wheel;

use std::collections::HashMap;
use std::io;
use std::os::fd::AsRawFd;
use std::process::Command;
use std::time::Duration;

use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Registry, Token};
use signal_hook_mio::v1_0::Signals;

use crate::sys::{self, ExitStatus, TimerFd};
use crate::time::{Clock, Instant, SystemClock};
pub use wheel::TimerId;
use wheel::Wheel;

const TIMER_TOKEN: Token = Token(0);
const SIGNAL_TOKEN: Token = Token(1);
const FIRST_USER_TOKEN: usize = 2;

/// A signal the daemon acts on, by its keepalived name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// SIGHUP: re-read the configuration.
    Reload,
    /// SIGTERM or SIGINT (the number): orderly stop.
    Stop(i32),
    /// SIGUSR1: write the data dump.
    Data,
    /// SIGUSR2: write the statistics dump.
    Stats,
    /// SIGRTMAX-1: write the statistics and clear the counters.
    StatsClear,
    /// SIGRTMIN+2: write the JSON dump.
    Json,
}

impl Signal {
    /// The signal numbers for each function, for this binary's C library.
    pub fn number(self) -> i32 {
        match self {
            Signal::Reload => libc::SIGHUP,
            Signal::Stop(n) => n,
            Signal::Data => libc::SIGUSR1,
            Signal::Stats => libc::SIGUSR2,
            Signal::StatsClear => sys::sigrtmax() - 1,
            Signal::Json => sys::sigrtmin() + 2,
        }
    }

    fn from_number(n: i32) -> Option<Signal> {
        Some(match n {
            libc::SIGHUP => Signal::Reload,
            libc::SIGTERM | libc::SIGINT => Signal::Stop(n),
            libc::SIGUSR1 => Signal::Data,
            libc::SIGUSR2 => Signal::Stats,
            n if n == sys::sigrtmax() - 1 => Signal::StatsClear,
            n if n == sys::sigrtmin() + 2 => Signal::Json,
            _ => return None,
        })
    }
}

/// Identifies a spawned child process (its pid).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ChildId(pub i32);

/// How a child process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChildEnd {
    Exited(ExitStatus),
    /// It outlived its timeout and was killed; the status is what `waitpid` said afterwards.
    TimedOut(ExitStatus),
}

/// One thing that happened, handed to the [`Handler`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wake<K> {
    /// An fd is ready. Edge-triggered: drain it.
    Io {
        owner: K,
        token: Token,
        readable: bool,
        writable: bool,
        error: bool,
    },
    /// A timer armed with [`Core::arm`] is due.
    Timer {
        owner: K,
        deadline: Instant,
    },
    Signal(Signal),
    Child {
        owner: K,
        id: ChildId,
        end: ChildEnd,
    },
}

/// The daemon side of the loop.
pub trait Handler<K> {
    /// Handle one wake: one input to one machine, then drain its outputs (see the module doc).
    fn handle(&mut self, core: &mut Core<K>, now: Instant, wake: Wake<K>);
}

#[derive(Debug)]
struct TokenSlot<K> {
    generation: u32,
    owner: Option<K>,
}

#[derive(Debug, Clone, Copy)]
enum TimerOwner<K> {
    User(K),
    ChildTimeout(i32),
}

#[derive(Debug)]
struct ChildRec<K> {
    owner: K,
    timeout: Option<TimerId>,
    timed_out: bool,
}

/// What handlers use to change what the loop waits for.
pub struct Core<K> {
    registry: Registry,
    tokens: Vec<TokenSlot<K>>,
    free_tokens: Vec<usize>,
    wheel: Wheel<(TimerOwner<K>, Instant)>,
    children: HashMap<i32, ChildRec<K>>,
    stop: bool,
}

impl<K: Copy> Core<K> {
    /// Registers an fd (or any mio source) for `owner`. The returned token identifies it in
    /// [`Wake::Io`]; a token is never reused while an event for its previous owner could be pending.
    pub fn register<S: mio::event::Source + ?Sized>(
        &mut self,
        source: &mut S,
        interest: Interest,
        owner: K,
    ) -> io::Result<Token> {
        let index = match self.free_tokens.pop() {
            Some(i) => i,
            None => {
                self.tokens.push(TokenSlot {
                    generation: 0,
                    owner: None,
                });
                self.tokens.len() - 1
            }
        };
        let slot = &mut self.tokens[index];
        slot.owner = Some(owner);
        let token = Token(((slot.generation as usize) << 32 | index) + FIRST_USER_TOKEN);
        if let Err(e) = self.registry.register(source, token, interest) {
            self.release_token(index);
            return Err(e);
        }
        Ok(token)
    }

    /// Registers a raw fd.
    pub fn register_fd(
        &mut self,
        fd: &impl AsRawFd,
        interest: Interest,
        owner: K,
    ) -> io::Result<Token> {
        let raw = fd.as_raw_fd();
        self.register(&mut SourceFd(&raw), interest, owner)
    }

    pub fn reregister<S: mio::event::Source + ?Sized>(
        &mut self,
        source: &mut S,
        token: Token,
        interest: Interest,
    ) -> io::Result<()> {
        self.registry.reregister(source, token, interest)
    }

    /// Removes a source; later events for its token are dropped.
    pub fn deregister<S: mio::event::Source + ?Sized>(
        &mut self,
        source: &mut S,
        token: Token,
    ) -> io::Result<()> {
        if let Some(index) = self.token_index(token) {
            self.release_token(index);
        }
        self.registry.deregister(source)
    }

    pub fn deregister_fd(&mut self, fd: &impl AsRawFd, token: Token) -> io::Result<()> {
        let raw = fd.as_raw_fd();
        self.deregister(&mut SourceFd(&raw), token)
    }

    fn token_index(&self, token: Token) -> Option<usize> {
        let raw = token.0.checked_sub(FIRST_USER_TOKEN)?;
        let index = raw & 0xffff_ffff;
        let generation = (raw >> 32) as u32;
        let slot = self.tokens.get(index)?;
        (slot.generation == generation && slot.owner.is_some()).then_some(index)
    }

    fn release_token(&mut self, index: usize) {
        let slot = &mut self.tokens[index];
        slot.owner = None;
        slot.generation = slot.generation.wrapping_add(1);
        self.free_tokens.push(index);
    }

    fn owner_of(&self, token: Token) -> Option<K> {
        self.token_index(token).and_then(|i| self.tokens[i].owner)
    }

    /// Arms a timer. O(1).
    pub fn arm(&mut self, deadline: Instant, owner: K) -> TimerId {
        self.wheel
            .insert(deadline, (TimerOwner::User(owner), deadline))
    }

    /// Cancels a timer; a stale id (already fired or cancelled) is a no-op. O(1). A timer already
    /// due but whose wake has not been delivered yet is not delivered.
    pub fn cancel(&mut self, id: TimerId) {
        self.wheel.cancel(id);
    }

    /// Number of armed timers (child timeouts included).
    pub fn timers(&self) -> usize {
        self.wheel.len()
    }

    /// Starts a child process without waiting for it. Its stdin is `/dev/null` unless the command
    /// says otherwise; it runs in its own process group so that a timeout kills everything it started.
    /// When it ends, the handler gets [`Wake::Child`].
    pub fn spawn(
        &mut self,
        now: Instant,
        cmd: &mut Command,
        timeout: Option<Duration>,
        owner: K,
    ) -> io::Result<ChildId> {
        use std::os::unix::process::CommandExt;
        let child = cmd.process_group(0).spawn()?;
        let pid = child.id() as i32;
        // The std handle is dropped: dropping neither waits nor kills; we reap by pid.
        drop(child);
        let timeout = timeout.map(|t| {
            self.wheel
                .insert(now + t, (TimerOwner::ChildTimeout(pid), now + t))
        });
        self.children.insert(
            pid,
            ChildRec {
                owner,
                timeout,
                timed_out: false,
            },
        );
        Ok(ChildId(pid))
    }

    /// Number of children not yet reaped.
    pub fn children(&self) -> usize {
        self.children.len()
    }

    /// Sends a signal to every running child's process group (used at shutdown).
    pub fn signal_children(&self, sig: i32) {
        self.signal_children_if(sig, |_| true);
    }

    /// Sends `sig` to the process groups of the children whose owner `pick` selects.
    pub fn signal_children_if(&self, sig: i32, pick: impl Fn(&K) -> bool) {
        for (&pid, rec) in &self.children {
            if pick(&rec.owner) {
                let _ = sys::kill(-pid, sig);
            }
        }
    }

    /// Ends [`Reactor::run`] after the current wake.
    pub fn stop(&mut self) {
        self.stop = true;
    }
}

/// The loop itself. `C` is the clock (the real one outside tests).
pub struct Reactor<K, C: Clock = SystemClock> {
    poll: Poll,
    events: Events,
    timerfd: TimerFd,
    /// The deadline the timerfd is armed for, at or before the wheel's earliest; `None` when it
    /// is not armed (or has fired and its wake was seen).
    armed_for: Option<Instant>,
    timerfd_sets: u64,
    signals: Signals,
    clock: C,
    core: Core<K>,
    /// Scratch buffers, kept across turns so that a turn does not allocate.
    ready: Vec<(Token, bool, bool, bool)>,
}

/// Options for building a reactor.
#[derive(Debug, Clone, Default)]
pub struct ReactorConfig {
    /// Do not handle SIGINT (keepalived's `--ignore-sigint`, for debuggers): it is ignored.
    pub ignore_sigint: bool,
}

impl<K: Copy> Reactor<K, SystemClock> {
    pub fn new(config: &ReactorConfig) -> io::Result<Self> {
        Self::with_clock(config, SystemClock)
    }
}

impl<K: Copy, C: Clock> Reactor<K, C> {
    pub fn with_clock(config: &ReactorConfig, clock: C) -> io::Result<Self> {
        let poll = Poll::new()?;
        let registry = poll.registry().try_clone()?;
        let timerfd = TimerFd::new()?;
        let raw = timerfd.as_raw_fd();
        registry.register(&mut SourceFd(&raw), TIMER_TOKEN, Interest::READABLE)?;
        let mut wanted = vec![
            libc::SIGHUP,
            libc::SIGTERM,
            libc::SIGUSR1,
            libc::SIGUSR2,
            libc::SIGCHLD,
            sys::sigrtmin() + 2,
            sys::sigrtmax() - 1,
        ];
        if config.ignore_sigint {
            sys::ignore_signal(libc::SIGINT)?;
        } else {
            wanted.push(libc::SIGINT);
        }
        let mut signals = Signals::new(&wanted)?;
        registry.register(&mut signals, SIGNAL_TOKEN, Interest::READABLE)?;
        let origin = clock.monotonic();
        Ok(Reactor {
            poll,
            events: Events::with_capacity(256),
            timerfd,
            armed_for: None,
            timerfd_sets: 0,
            signals,
            clock,
            core: Core {
                registry,
                tokens: Vec::new(),
                free_tokens: Vec::new(),
                wheel: Wheel::new(origin),
                children: HashMap::new(),
                stop: false,
            },
            ready: Vec::with_capacity(256),
        })
    }

    pub fn core(&mut self) -> &mut Core<K> {
        &mut self.core
    }

    pub fn now(&self) -> Instant {
        self.clock.monotonic()
    }

    /// Runs until a handler calls [`Core::stop`].
    pub fn run(&mut self, handler: &mut impl Handler<K>) -> io::Result<()> {
        while !self.core.stop {
            self.turn(handler, None)?;
        }
        Ok(())
    }

    /// One turn: wait for readiness (at most `max_wait`, forever with `None`), then deliver every
    /// wake that is ready. Returns the number of wakes delivered.
    pub fn turn(
        &mut self,
        handler: &mut impl Handler<K>,
        max_wait: Option<Duration>,
    ) -> io::Result<usize> {
        self.rearm_timerfd()?;
        match self.poll.poll(&mut self.events, max_wait) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => return Ok(0),
            Err(e) => return Err(e),
        }
        let mut delivered = 0;
        let mut timer_ready = false;
        let mut signal_ready = false;
        // Copy out what we need: handlers may register and deregister while we iterate.
        let mut ready = std::mem::take(&mut self.ready);
        ready.extend(self.events.iter().map(|e| {
            (
                e.token(),
                e.is_readable() || e.is_read_closed(),
                e.is_writable(),
                e.is_error(),
            )
        }));
        for &(token, readable, writable, error) in &ready {
            match token {
                TIMER_TOKEN => timer_ready = true,
                SIGNAL_TOKEN => signal_ready = true,
                _ => {
                    // A source deregistered earlier in this batch has no owner any more: drop it.
                    if let Some(owner) = self.core.owner_of(token) {
                        let now = self.clock.monotonic();
                        handler.handle(
                            &mut self.core,
                            now,
                            Wake::Io {
                                owner,
                                token,
                                readable,
                                writable,
                                error,
                            },
                        );
                        delivered += 1;
                    }
                }
            }
        }
        ready.clear();
        self.ready = ready;
        if signal_ready {
            delivered += self.deliver_signals(handler)?;
        }
        if timer_ready {
            // No read(2) of the expiration count: the timerfd_settime of the re-arm below resets
            // it, and an edge-triggered epoll reports every later expiration anyway (each one
            // wakes the fd's wait queue). One syscall less per timer wake; with nothing left to
            // arm, the fd stays readable without waking anyone.
            self.armed_for = None;
        }
        delivered += self.fire_due_timers(handler);
        Ok(delivered)
    }

    fn deliver_signals(&mut self, handler: &mut impl Handler<K>) -> io::Result<usize> {
        let pending: Vec<i32> = self.signals.pending().collect();
        let mut delivered = 0;
        for sig in pending {
            if sig == libc::SIGCHLD {
                delivered += self.reap_children(handler)?;
            } else if let Some(s) = Signal::from_number(sig) {
                let now = self.clock.monotonic();
                handler.handle(&mut self.core, now, Wake::Signal(s));
                delivered += 1;
            }
        }
        Ok(delivered)
    }

    fn reap_children(&mut self, handler: &mut impl Handler<K>) -> io::Result<usize> {
        let mut ended = Vec::new();
        for &pid in self.core.children.keys() {
            match sys::try_reap(pid) {
                Ok(Some(status)) => ended.push((pid, status)),
                Ok(None) => {}
                // ECHILD: somebody else reaped it; report it as gone rather than wait forever.
                Err(_) => ended.push((pid, 0)),
            }
        }
        let delivered = ended.len();
        for (pid, status) in ended {
            let Some(rec) = self.core.children.remove(&pid) else {
                continue;
            };
            if let Some(t) = rec.timeout {
                self.core.wheel.cancel(t);
            }
            let status = ExitStatus::from_wait_status(status);
            let end = if rec.timed_out {
                ChildEnd::TimedOut(status)
            } else {
                ChildEnd::Exited(status)
            };
            let now = self.clock.monotonic();
            handler.handle(
                &mut self.core,
                now,
                Wake::Child {
                    owner: rec.owner,
                    id: ChildId(pid),
                    end,
                },
            );
        }
        Ok(delivered)
    }

    /// Fires every due timer, one wake each, in deadline order.
    ///
    /// Timers armed by a handler while this runs are not fired in the same pass (they wait for the
    /// next turn), which keeps a handler that re-arms for "now" from starving I/O. A timer that a
    /// handler cancels while this runs is not fired, even if it was already due when the pass
    /// began: the wheel hands due timers out one at a time and a cancel disarms one not yet handed
    /// out, so an executor never gets the wake of a timer it replaced.
    pub fn fire_due_timers(&mut self, handler: &mut impl Handler<K>) -> usize {
        let now = self.clock.monotonic();
        self.core.wheel.collect_due(now);
        let mut delivered = 0;
        while let Some((owner, deadline)) = self.core.wheel.pop_due() {
            match owner {
                TimerOwner::User(owner) => {
                    let now = self.clock.monotonic();
                    handler.handle(&mut self.core, now, Wake::Timer { owner, deadline });
                    delivered += 1;
                }
                TimerOwner::ChildTimeout(pid) => {
                    if let Some(rec) = self.core.children.get_mut(&pid) {
                        rec.timeout = None;
                        rec.timed_out = true;
                        // The whole process group: a shell script's own children go too.
                        let _ = sys::kill(-pid, libc::SIGKILL);
                    }
                }
            }
        }
        delivered
    }

    /// Keeps the timerfd armed at or before the earliest deadline. Only an earlier deadline
    /// re-arms an armed timerfd: a backup's master-down timer moves later with every advert, and
    /// re-arming for that would cost a `timerfd_settime` per advert. The timerfd then wakes the
    /// loop early, the wheel finds nothing due (timers never fire early) and the re-arm after that
    /// wake sets the new earliest deadline. Nothing left to arm leaves the timerfd as it is, for
    /// the same reason.
    fn rearm_timerfd(&mut self) -> io::Result<()> {
        let next = self.core.wheel.next_deadline();
        let earlier = match (next, self.armed_for) {
            (Some(n), Some(armed)) => n < armed,
            (Some(_), None) => true,
            (None, _) => false,
        };
        if earlier {
            self.timerfd.set(next.map(Instant::as_nanos))?;
            self.armed_for = next;
            self.timerfd_sets += 1;
        }
        Ok(())
    }

    /// How many times the loop has armed its timerfd (one `timerfd_settime` each).
    pub fn timerfd_sets(&self) -> u64 {
        self.timerfd_sets
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    /// A clock under the test's control: monotonic and wall time move independently.
    struct FakeClock {
        mono: Cell<u64>,
        wall: Cell<u64>,
        wall_reads: Cell<u32>,
    }

    impl Clock for FakeClock {
        fn monotonic(&self) -> Instant {
            Instant::from_nanos(self.mono.get())
        }
        fn wall(&self) -> u64 {
            self.wall_reads.set(self.wall_reads.get() + 1);
            self.wall.get()
        }
    }

    #[derive(Default)]
    struct Recorder {
        fired: Vec<(u32, Instant, Instant)>,
        signals: Vec<Signal>,
        children: Vec<(u32, ChildEnd)>,
    }

    impl Handler<u32> for Recorder {
        fn handle(&mut self, core: &mut Core<u32>, now: Instant, wake: Wake<u32>) {
            match wake {
                Wake::Timer { owner, deadline } => self.fired.push((owner, deadline, now)),
                Wake::Signal(s) => self.signals.push(s),
                Wake::Child { owner, end, .. } => self.children.push((owner, end)),
                Wake::Io { .. } => {}
            }
            let _ = core;
        }
    }

    fn drive(
        r: &mut Reactor<u32, impl Clock>,
        h: &mut Recorder,
        until: impl Fn(&Recorder) -> bool,
    ) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !until(h) {
            assert!(Instant::now() < deadline, "condition not reached in 10 s");
            r.turn(h, Some(Duration::from_millis(100))).unwrap();
        }
    }

    #[test]
    fn wall_clock_jumps_neither_fire_nor_delay_timers() {
        const MS: u64 = 1_000_000;
        let clock = FakeClock {
            mono: Cell::new(1_000 * MS),
            wall: Cell::new(1_700_000_000),
            wall_reads: Cell::new(0),
        };
        let mut r: Reactor<u32, _> = Reactor::with_clock(&ReactorConfig::default(), clock).unwrap();
        let t0 = r.now();
        r.core().arm(t0 + Duration::from_millis(10), 1);
        r.core().arm(t0 + Duration::from_millis(20), 2);
        let mut h = Recorder::default();
        // The wall clock leaps an hour ahead while 5 ms pass: nothing is due.
        r.clock.wall.set(r.clock.wall.get() + 3_600);
        r.clock.mono.set(r.clock.mono.get() + 5 * MS);
        assert_eq!(r.fire_due_timers(&mut h), 0);
        // It leaps two hours back while the first deadline arrives: exactly that timer fires, on time.
        r.clock.wall.set(r.clock.wall.get() - 7_200);
        r.clock.mono.set(r.clock.mono.get() + 5 * MS);
        assert_eq!(r.fire_due_timers(&mut h), 1);
        assert_eq!(
            h.fired,
            vec![(
                1,
                t0 + Duration::from_millis(10),
                t0 + Duration::from_millis(10)
            )]
        );
        r.clock.mono.set(r.clock.mono.get() + 10 * MS);
        assert_eq!(r.fire_due_timers(&mut h), 1);
        assert_eq!(h.fired[1].0, 2);
        assert_eq!(
            r.clock.wall_reads.get(),
            0,
            "the loop never reads the wall clock"
        );
    }

    #[test]
    fn timers_fire_in_order_and_never_early_on_the_real_clock() {
        let mut r: Reactor<u32> = Reactor::new(&ReactorConfig::default()).unwrap();
        let start = r.now();
        for (i, ms) in [30u64, 5, 20, 1, 10].iter().enumerate() {
            r.core().arm(start + Duration::from_millis(*ms), i as u32);
        }
        let mut h = Recorder::default();
        drive(&mut r, &mut h, |h| h.fired.len() == 5);
        let order: Vec<u32> = h.fired.iter().map(|f| f.0).collect();
        assert_eq!(order, vec![3, 1, 4, 2, 0]);
        for &(_, deadline, now) in &h.fired {
            assert!(now >= deadline, "fired early");
            // Generous: CI machines are noisy. The benchmark measures the real lateness.
            assert!(
                now - deadline < Duration::from_millis(50),
                "fired {:?} late",
                now - deadline
            );
        }
    }

    #[test]
    fn cancelled_timer_does_not_fire() {
        let mut r: Reactor<u32> = Reactor::new(&ReactorConfig::default()).unwrap();
        let now = r.now();
        let a = r.core().arm(now + Duration::from_millis(2), 1);
        r.core().arm(now + Duration::from_millis(4), 2);
        r.core().cancel(a);
        let mut h = Recorder::default();
        drive(&mut r, &mut h, |h| !h.fired.is_empty());
        assert_eq!(h.fired.iter().map(|f| f.0).collect::<Vec<_>>(), vec![2]);
    }

    fn fake_reactor() -> Reactor<u32, FakeClock> {
        let clock = FakeClock {
            mono: Cell::new(1_000_000_000),
            wall: Cell::new(1_700_000_000),
            wall_reads: Cell::new(0),
        };
        Reactor::with_clock(&ReactorConfig::default(), clock).unwrap()
    }

    /// Owner 1's handler cancels owner 2's timer; both were due in the same wake.
    struct Canceller {
        victim: Option<TimerId>,
        fired: Vec<u32>,
    }

    impl Handler<u32> for Canceller {
        fn handle(&mut self, core: &mut Core<u32>, _now: Instant, wake: Wake<u32>) {
            if let Wake::Timer { owner, .. } = wake {
                self.fired.push(owner);
                if owner == 1
                    && let Some(id) = self.victim.take()
                {
                    core.cancel(id);
                }
            }
        }
    }

    #[test]
    fn timer_cancelled_while_due_timers_are_delivered_does_not_fire() {
        const MS: u64 = 1_000_000;
        let mut r = fake_reactor();
        let t0 = r.now();
        r.core().arm(t0 + Duration::from_millis(1), 1);
        let victim = r.core().arm(t0 + Duration::from_millis(2), 2);
        let mut h = Canceller {
            victim: Some(victim),
            fired: Vec::new(),
        };
        // One wake with both due: owner 1 comes first (deadline order) and cancels owner 2's.
        r.clock.mono.set(r.clock.mono.get() + 5 * MS);
        let delivered = r.fire_due_timers(&mut h);
        assert_eq!(h.fired, vec![1], "a cancelled timer was delivered");
        assert_eq!(delivered, 1);
        assert_eq!(r.core().timers(), 0);
    }

    /// The VRRP executor's timer plumbing (`executor/vrrp/run.rs`): one tracked timer per owner, a wake
    /// forgets it (it fired) and re-arms from the machine's next deadline; handling owner 1 also
    /// re-arms owner 2 (a sync group ordering another member), cancelling its tracked timer.
    struct Tracking {
        armed: [Option<(Instant, TimerId)>; 3],
        next: [Instant; 3],
        wakes: [u32; 3],
    }

    impl Tracking {
        fn rearm(&mut self, core: &mut Core<u32>, o: usize) {
            let want = self.next[o];
            if self.armed[o].map(|(at, _)| at) != Some(want) {
                if let Some((_, id)) = self.armed[o].take() {
                    core.cancel(id);
                }
                self.armed[o] = Some((want, core.arm(want, o as u32)));
            }
        }
    }

    impl Handler<u32> for Tracking {
        fn handle(&mut self, core: &mut Core<u32>, now: Instant, wake: Wake<u32>) {
            let Wake::Timer { owner, .. } = wake else {
                return;
            };
            let o = owner as usize;
            self.wakes[o] += 1;
            self.armed[o] = None;
            if self.next[o] <= now {
                self.next[o] = now + Duration::from_secs(1);
            }
            self.rearm(core, o);
            if o == 1 {
                self.next[2] = now + Duration::from_secs(3);
                self.rearm(core, 2);
            }
        }
    }

    #[test]
    fn an_executor_keeps_exactly_one_live_timer_per_owner() {
        const MS: u64 = 1_000_000;
        let mut r = fake_reactor();
        let t0 = r.now();
        let mut h = Tracking {
            armed: [None; 3],
            next: [
                t0,
                t0 + Duration::from_millis(1),
                t0 + Duration::from_millis(2),
            ],
            wakes: [0; 3],
        };
        h.rearm(r.core(), 1);
        h.rearm(r.core(), 2);
        r.clock.mono.set(r.clock.mono.get() + 5 * MS);
        r.fire_due_timers(&mut h);
        assert_eq!(
            r.core().timers(),
            2,
            "one timer per owner, none the owner lost track of"
        );
        for o in [1, 2] {
            let (at, id) = h.armed[o].unwrap();
            assert_eq!(r.core().wheel.deadline(id), Some(at), "owner {o}");
        }
        assert_eq!(
            h.wakes,
            [0, 1, 0],
            "owner 2's cancelled timer is not delivered"
        );
        // Four seconds on, both are due again (1 s and 3 s): owner 1 first, which re-arms owner 2
        // again, so owner 2's due timer is once more replaced before its wake.
        r.clock.mono.set(r.clock.mono.get() + 4_000 * MS);
        r.fire_due_timers(&mut h);
        assert_eq!(h.wakes, [0, 2, 0]);
        assert_eq!(r.core().timers(), 2);
    }

    /// A deadline that moves later does not re-arm the timerfd: the early wake finds nothing due
    /// and re-arms for the new deadline, at which the timer fires (not before). An earlier
    /// deadline re-arms at once. The fake clock's instants are long past on the real monotonic
    /// clock, so an armed timerfd is readable at once and the test never waits for one.
    #[test]
    fn a_later_deadline_waits_for_the_early_wake_to_rearm() {
        const MS: u64 = 1_000_000;
        let mut r = fake_reactor();
        let t0 = r.now();
        let mut h = Recorder::default();
        let first = r.core().arm(t0 + Duration::from_millis(10), 1);
        r.rearm_timerfd().unwrap();
        assert_eq!(r.timerfd_sets(), 1);
        // Moved later (a backup's master-down timer after an advert): no timerfd_settime.
        r.core().cancel(first);
        let later = t0 + Duration::from_millis(20);
        r.core().arm(later, 2);
        r.rearm_timerfd().unwrap();
        assert_eq!(r.timerfd_sets(), 1, "a later deadline re-armed the timerfd");
        assert_eq!(r.armed_for, Some(t0 + Duration::from_millis(10)));
        // The early wake at 10 ms: the timerfd is readable, nothing is due.
        r.clock.mono.set(r.clock.mono.get() + 10 * MS);
        while r.armed_for.is_some() {
            assert_eq!(r.turn(&mut h, Some(Duration::from_millis(100))).unwrap(), 0);
        }
        assert!(h.fired.is_empty(), "fired early: {:?}", h.fired);
        // The next turn arms it for the moved deadline.
        r.rearm_timerfd().unwrap();
        assert_eq!((r.timerfd_sets(), r.armed_for), (2, Some(later)));
        // An earlier deadline re-arms at once.
        let sooner = t0 + Duration::from_millis(15);
        r.core().arm(sooner, 3);
        r.rearm_timerfd().unwrap();
        assert_eq!((r.timerfd_sets(), r.armed_for), (3, Some(sooner)));
        r.clock.mono.set(r.clock.mono.get() + 10 * MS);
        while h.fired.len() < 2 {
            r.turn(&mut h, Some(Duration::from_millis(100))).unwrap();
        }
        assert_eq!(
            h.fired,
            vec![
                (3, sooner, t0 + Duration::from_millis(20)),
                (2, later, t0 + Duration::from_millis(20))
            ]
        );
    }

    #[test]
    fn child_is_reaped_and_timeout_kills_it() {
        let mut r: Reactor<u32> = Reactor::new(&ReactorConfig::default()).unwrap();
        let now = r.now();
        r.core()
            .spawn(
                now,
                Command::new("true").stdin(std::process::Stdio::null()),
                None,
                1,
            )
            .unwrap();
        r.core()
            .spawn(
                now,
                Command::new("sh").args(["-c", "exit 3"]),
                Some(Duration::from_secs(5)),
                2,
            )
            .unwrap();
        let t0 = Instant::now();
        r.core()
            .spawn(
                now,
                Command::new("sleep").arg("30"),
                Some(Duration::from_millis(50)),
                3,
            )
            .unwrap();
        let mut h = Recorder::default();
        drive(&mut r, &mut h, |h| h.children.len() == 3);
        assert!(
            Instant::now() - t0 < Duration::from_secs(5),
            "timeout did not kill the child"
        );
        h.children.sort_by_key(|c| c.0);
        assert_eq!(h.children[0], (1, ChildEnd::Exited(ExitStatus::Code(0))));
        assert_eq!(h.children[1], (2, ChildEnd::Exited(ExitStatus::Code(3))));
        assert_eq!(
            h.children[2],
            (3, ChildEnd::TimedOut(ExitStatus::Signal(libc::SIGKILL)))
        );
        assert_eq!(r.core().children(), 0);
        assert_eq!(
            r.core().timers(),
            0,
            "the exit cancels the child's timeout timer"
        );
    }

    #[test]
    fn signal_numbers_match_the_c_library() {
        assert_eq!(Signal::Json.number(), libc::SIGRTMIN() + 2);
        assert_eq!(Signal::StatsClear.number(), libc::SIGRTMAX() - 1);
        for s in [
            Signal::Reload,
            Signal::Data,
            Signal::Stats,
            Signal::StatsClear,
            Signal::Json,
        ] {
            assert_eq!(Signal::from_number(s.number()), Some(s));
        }
        assert_eq!(
            Signal::from_number(libc::SIGINT),
            Some(Signal::Stop(libc::SIGINT))
        );
    }

    #[test]
    fn stale_token_events_are_dropped() {
        let mut r: Reactor<u32> = Reactor::new(&ReactorConfig::default()).unwrap();
        let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
        let t1 = r.core().register_fd(&a, Interest::READABLE, 7).unwrap();
        assert_eq!(r.core().owner_of(t1), Some(7));
        r.core().deregister_fd(&a, t1).unwrap();
        assert_eq!(r.core().owner_of(t1), None);
        let t2 = r.core().register_fd(&a, Interest::READABLE, 8).unwrap();
        assert_ne!(t1, t2, "a reused slot gets a new generation");
        assert_eq!(r.core().owner_of(t1), None);
        assert_eq!(r.core().owner_of(t2), Some(8));
    }
}
