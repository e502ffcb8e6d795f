//! One BFD session (RFC 5880 6.8): state, Poll/Final, detection and transmission timers.
//!
//! Invariants:
//! - The advertised Desired Min TX is `min_tx` while Up and `idle_tx` (at least 1 s) otherwise
//!   (RFC 5880 6.8.3); Required Min RX is always `min_rx`.
//! - While a Poll Sequence runs (RFC 5880 6.5, 6.8.3) the machine keeps the values in use before
//!   the change: the transmit interval uses the smaller of old and new Desired Min TX (a decrease
//!   applies at once, an increase only after the Final), the detection time the larger of old
//!   and new Required Min RX (an increase applies at once, a decrease only after the Final).
//! - Detection time = remote Detect Mult × max(Required Min RX in use, remote Desired Min TX)
//!   (RFC 5880 6.8.4), counted from the last accepted packet.
//! - Every periodic packet leaves 75-100 % of the transmit interval after the previous packet
//!   (75-90 % with Detect Mult 1), from the injected [`Rng`] (RFC 5880 6.8.7). Immediate packets
//!   (a Final, a state change, the start of a Poll) restart that count.
//! - Timers are data: one slot per kind; `handle_timeout` fires those due and ignores the rest.

use std::collections::VecDeque;
use std::time::Duration;

use crate::rng::Rng;
use crate::time::Instant;
use crate::wire::bfd::{Diag, Flags, Repr, State};

/// The least Desired Min TX while not Up (RFC 5880 6.8.3; keepalived's `idle_tx` minimum).
pub const SLOW_TX: Duration = Duration::from_secs(1);

/// The configuration of one session (keepalived's `bfd_instance`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Params {
    /// The instance name, for log lines.
    pub name: String,
    /// bfd.LocalDiscr: non-zero, unique among the sessions of the system (the caller's job).
    pub local_discr: u32,
    /// `min_tx`: Desired Min TX while Up.
    pub min_tx: Duration,
    /// `min_rx`: Required Min RX.
    pub min_rx: Duration,
    /// `idle_tx`: Desired Min TX while not Up; raised to [`SLOW_TX`].
    pub idle_tx: Duration,
    /// `multiplier`: bfd.DetectMult, 1..=255 (0 is raised to 1).
    pub detect_mult: u8,
    /// `passive`: send nothing until the peer is heard (RFC 5880 6.1).
    pub passive: bool,
}

impl Params {
    /// keepalived's defaults: 10 ms, 10 ms, idle 1 s, multiplier 5, active.
    pub fn new(name: &str, local_discr: u32) -> Params {
        Params {
            name: name.to_string(),
            local_discr,
            min_tx: Duration::from_millis(10),
            min_rx: Duration::from_millis(10),
            idle_tx: SLOW_TX,
            detect_mult: 5,
            passive: false,
        }
    }

    fn normalized(mut self) -> Params {
        self.idle_tx = self.idle_tx.max(SLOW_TX);
        self.detect_mult = self.detect_mult.max(1);
        self
    }
}

/// Why a packet leaves now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TxReason {
    /// The transmit timer (RFC 5880 6.8.7).
    Periodic,
    /// The answer to a Poll (RFC 5880 6.8.6), regardless of the timer.
    Final,
    /// The local state changed.
    StateChange,
    /// A Poll Sequence starts on a parameter change (RFC 5880 6.8.3).
    Poll,
}

/// A control packet to send to the peer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transmit {
    pub repr: Repr<'static>,
    pub reason: TxReason,
}

/// What the session reports to the rest of the daemon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// The local state changed; `diag` is the local diagnostic now sent.
    StateChange {
        from: State,
        to: State,
        diag: Diag,
        remote_diag: Diag,
    },
}

impl Event {
    /// keepalived's log line for the event, as Debian's 2.2.7 prints it: `(NAME) Entering Up
    /// state`; leaving Up, with the diagnostics: `(NAME) Entering Down state (Local diagnostic -
    /// ..., Remote diagnostic - ...)`.
    pub fn log_line(&self, name: &str) -> String {
        match self {
            Event::StateChange { to: State::Up, .. } => format!("({name}) Entering Up state"),
            Event::StateChange {
                to,
                diag,
                remote_diag,
                ..
            } => format!(
                "({name}) Entering {to} state (Local diagnostic - {diag}, Remote diagnostic - {remote_diag})"
            ),
        }
    }
}

/// The outputs, drained with [`Session::poll_output`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    Transmit(Transmit),
    Event(Event),
}

/// What the session saw, for the stats dump.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    pub rx: u64,
    pub tx: u64,
    /// Your Discriminator set but not ours (RFC 5880 6.8.6).
    pub rx_wrong_discr: u64,
    /// Received while AdminDown, discarded.
    pub rx_admin_down: u64,
    pub polls_started: u64,
    pub polls_completed: u64,
    pub finals_sent: u64,
    pub detect_expired: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Timer {
    Tx = 0,
    Detect = 1,
}

/// The values in use before a Poll Sequence started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Before {
    tx: Duration,
    rx: Duration,
}

/// One BFD session; see the module doc for the invariants.
#[derive(Debug)]
pub struct Session {
    params: Params,
    state: State,
    local_diag: Diag,
    remote_state: State,
    remote_discr: u32,
    remote_diag: Diag,
    remote_min_rx: Duration,
    remote_min_tx: Duration,
    remote_detect_mult: u8,
    poll: Option<Before>,
    last_tx: Option<Instant>,
    last_rx: Option<Instant>,
    timers: [Option<Instant>; 2],
    rng: Rng,
    out: VecDeque<Output>,
    counters: Counters,
}

fn micros(d: Duration) -> u32 {
    u32::try_from(d.as_micros()).unwrap_or(u32::MAX)
}

impl Session {
    /// A session in Down; an active one sends its first packet at `now`.
    pub fn new(params: Params, now: Instant, rng: Rng) -> Session {
        let mut s = Session {
            params: params.normalized(),
            state: State::Down,
            local_diag: Diag::None,
            remote_state: State::Down,
            remote_discr: 0,
            remote_diag: Diag::None,
            // RFC 5880 6.8.1: bfd.RemoteMinRxInterval starts at 1 µs.
            remote_min_rx: Duration::from_micros(1),
            remote_min_tx: Duration::ZERO,
            remote_detect_mult: 0,
            poll: None,
            last_tx: None,
            last_rx: None,
            timers: [None; 2],
            rng,
            out: VecDeque::new(),
            counters: Counters::default(),
        };
        if s.may_transmit() {
            s.timers[Timer::Tx as usize] = Some(now);
        }
        s
    }

    /// A control packet for this session: it passed `wire::bfd::check` and the caller's lookup.
    pub fn handle_input(&mut self, now: Instant, repr: &Repr<'_>) {
        self.counters.rx += 1;
        // RFC 5880 6.8.6: a non-zero Your Discriminator must be ours.
        if repr.your_discr != 0 && repr.your_discr != self.params.local_discr {
            self.counters.rx_wrong_discr += 1;
            return;
        }
        let interval = self.tx_interval();
        // RFC 5880 6.8.6: record the remote's values.
        self.remote_discr = repr.my_discr;
        self.remote_state = repr.state;
        self.remote_diag = repr.diag;
        self.remote_min_rx = Duration::from_micros(repr.required_min_rx.into());
        self.remote_min_tx = Duration::from_micros(repr.desired_min_tx.into());
        self.remote_detect_mult = repr.detect_mult;
        self.last_rx = Some(now);
        // RFC 5880 6.5: a Final ends the Poll Sequence; the new values apply from now.
        if repr.flags.final_ && self.poll.take().is_some() {
            self.counters.polls_completed += 1;
        }
        // RFC 5880 6.8.6: discard in AdminDown (after the remote's values are recorded).
        if self.state == State::AdminDown {
            self.counters.rx_admin_down += 1;
            self.rearm_tx(now, interval);
            return;
        }
        if repr.state == State::AdminDown {
            // RFC 5880 6.8.6: received AdminDown; Down with diag 3 unless already Down.
            if self.state != State::Down {
                self.go(now, State::Down, Diag::NeighborSignaledSessionDown);
            }
        } else {
            match (self.state, repr.state) {
                // RFC 5880 6.8.6: Down, received Down: Init.
                (State::Down, State::Down) => self.go(now, State::Init, self.local_diag),
                // RFC 5880 6.8.6: Down, received Init: Up.
                (State::Down, State::Init) => self.go(now, State::Up, Diag::None),
                // RFC 5880 6.8.6: Init, received Init or Up: Up.
                (State::Init, State::Init | State::Up) => self.go(now, State::Up, Diag::None),
                // RFC 5880 6.8.6: Up, received Down: Down with diag 3.
                (State::Up, State::Down) => {
                    self.go(now, State::Down, Diag::NeighborSignaledSessionDown)
                }
                _ => {}
            }
        }
        // RFC 5880 6.8.4: the detection timer restarts on every accepted packet.
        self.timers[Timer::Detect as usize] = Some(now + self.detection_time());
        // RFC 5880 6.8.6: a Poll is answered with a Final at once, whatever the timer.
        if repr.flags.poll {
            self.counters.finals_sent += 1;
            self.transmit(now, TxReason::Final);
        } else {
            self.rearm_tx(now, interval);
        }
    }

    /// Fires the timers that are due; calls before a deadline change nothing.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.due(Timer::Detect, now) {
            self.timers[Timer::Detect as usize] = None;
            // RFC 5880 6.8.1: bfd.RemoteDiscr is zeroed when the detection time passes.
            self.remote_discr = 0;
            self.remote_state = State::Down;
            // RFC 5880 6.8.4: detection time expired in Init or Up: Down with diag 1.
            if matches!(self.state, State::Init | State::Up) {
                self.counters.detect_expired += 1;
                self.go(now, State::Down, Diag::ControlDetectionTimeExpired);
            }
        }
        if self.due(Timer::Tx, now) {
            self.timers[Timer::Tx as usize] = None;
            if self.may_transmit() {
                self.transmit(now, TxReason::Periodic);
            }
        }
    }

    /// The earliest deadline, if any.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timers.iter().flatten().min().copied()
    }

    /// The next output; drain until `None` after every call above.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.out.pop_front()
    }

    /// New intervals or multiplier (a reload). While Up a change starts a Poll Sequence
    /// (RFC 5880 6.8.3); otherwise the values apply at once.
    pub fn set_params(&mut self, now: Instant, min_tx: Duration, min_rx: Duration, mult: u8) {
        let before = Before {
            tx: self.tx_in_use(),
            rx: self.rx_in_use(),
        };
        let interval = self.tx_interval();
        let changed = (min_tx, min_rx, mult.max(1))
            != (
                self.params.min_tx,
                self.params.min_rx,
                self.params.detect_mult,
            );
        self.params.min_tx = min_tx;
        self.params.min_rx = min_rx;
        self.params.detect_mult = mult.max(1);
        if changed && self.state == State::Up {
            self.start_poll(before);
            self.transmit(now, TxReason::Poll);
        } else {
            self.rearm_tx(now, interval);
        }
    }

    /// New `idle_tx` and `passive` (a reload), applied to the running session without a
    /// restart: `idle_tx` is the Desired Min TX while not Up, so an Up session is unchanged
    /// until it leaves Up, and a Down one sends at the new pace from its last packet; a passive
    /// session that has not heard its peer stops sending (RFC 5880 6.1), an active one starts.
    pub fn set_idle(&mut self, now: Instant, idle_tx: Duration, passive: bool) {
        let interval = self.tx_interval();
        self.params.idle_tx = idle_tx.max(SLOW_TX);
        self.params.passive = passive;
        if self.state == State::AdminDown {
            return;
        }
        self.rearm_tx(now, interval);
    }

    /// Administratively down (diag 7) or back to Down (RFC 5880 6.8.16).
    pub fn set_admin_down(&mut self, now: Instant, down: bool) {
        if down && self.state != State::AdminDown {
            self.timers[Timer::Detect as usize] = None;
            self.go(now, State::AdminDown, Diag::AdministrativelyDown);
        } else if !down && self.state == State::AdminDown {
            self.go(now, State::Down, Diag::None);
        }
    }

    pub fn state(&self) -> State {
        self.state
    }

    pub fn local_diag(&self) -> Diag {
        self.local_diag
    }

    pub fn remote_state(&self) -> State {
        self.remote_state
    }

    /// bfd.RemoteDiscr, 0 until heard and after the detection time passes.
    pub fn remote_discr(&self) -> u32 {
        self.remote_discr
    }

    /// The remote's last Diagnostic, Desired Min TX, Required Min RX and Detect Mult.
    pub fn remote_values(&self) -> (Diag, Duration, Duration, u8) {
        (
            self.remote_diag,
            self.remote_min_tx,
            self.remote_min_rx,
            self.remote_detect_mult,
        )
    }

    pub fn params(&self) -> &Params {
        &self.params
    }

    pub fn counters(&self) -> &Counters {
        &self.counters
    }

    /// Whether a Poll Sequence is waiting for its Final.
    pub fn poll_active(&self) -> bool {
        self.poll.is_some()
    }

    /// Desired Min TX as advertised now.
    pub fn advertised_min_tx(&self) -> Duration {
        if self.state == State::Up {
            self.params.min_tx
        } else {
            self.params.idle_tx
        }
    }

    /// The periodic transmit interval before jitter (RFC 5880 6.8.2, 6.8.7): the larger of the
    /// Desired Min TX in use and the remote's Required Min RX; `None` while the remote asks for
    /// no packets (Required Min RX 0).
    pub fn tx_interval(&self) -> Option<Duration> {
        (!self.remote_min_rx.is_zero()).then(|| self.tx_in_use().max(self.remote_min_rx))
    }

    /// The detection time (RFC 5880 6.8.4), zero before the peer is heard.
    pub fn detection_time(&self) -> Duration {
        self.rx_in_use().max(self.remote_min_tx) * u32::from(self.remote_detect_mult)
    }

    fn tx_in_use(&self) -> Duration {
        let now = self.advertised_min_tx();
        self.poll.map_or(now, |b| b.tx.min(now))
    }

    fn rx_in_use(&self) -> Duration {
        let now = self.params.min_rx;
        self.poll.map_or(now, |b| b.rx.max(now))
    }

    fn due(&self, t: Timer, now: Instant) -> bool {
        self.timers[t as usize].is_some_and(|at| at <= now)
    }

    /// RFC 5880 6.8.7: nothing periodic while passive and unheard, or while the remote asks
    /// for no packets.
    fn may_transmit(&self) -> bool {
        let unheard_passive = self.params.passive && self.remote_discr == 0;
        !unheard_passive && !self.remote_min_rx.is_zero()
    }

    fn start_poll(&mut self, before: Before) {
        // A second change during a Poll keeps the first one's old values: still conservative.
        if self.poll.is_none() {
            self.poll = Some(before);
            self.counters.polls_started += 1;
        }
    }

    fn go(&mut self, now: Instant, to: State, diag: Diag) {
        let from = self.state;
        let before = Before {
            tx: self.tx_in_use(),
            rx: self.rx_in_use(),
        };
        self.state = to;
        self.local_diag = diag;
        self.out.push_back(Output::Event(Event::StateChange {
            from,
            to,
            diag,
            remote_diag: self.remote_diag,
        }));
        if to == State::Up {
            // RFC 5880 6.8.3: Desired Min TX drops from idle_tx to min_tx; a Poll tells the
            // peer (keepalived does the same).
            if self.params.min_tx != self.params.idle_tx {
                self.start_poll(before);
            }
        } else if from == State::Up {
            // Leaving Up ends any Poll: the slow rate applies at once (RFC 5880 6.8.3).
            self.poll = None;
        }
        if self.may_transmit() {
            self.transmit(now, TxReason::StateChange);
        }
    }

    /// Sends a packet now and schedules the next periodic one.
    fn transmit(&mut self, now: Instant, reason: TxReason) {
        let final_ = reason == TxReason::Final;
        let repr = Repr {
            diag: self.local_diag,
            state: self.state,
            flags: Flags {
                poll: self.poll.is_some() && !final_,
                final_,
                ..Flags::default()
            },
            detect_mult: self.params.detect_mult,
            my_discr: self.params.local_discr,
            your_discr: self.remote_discr,
            desired_min_tx: micros(self.advertised_min_tx()),
            required_min_rx: micros(self.params.min_rx),
            required_min_echo_rx: 0,
            auth: &[],
        };
        self.counters.tx += 1;
        self.out
            .push_back(Output::Transmit(Transmit { repr, reason }));
        self.last_tx = Some(now);
        self.schedule_tx(now);
    }

    fn schedule_tx(&mut self, from: Instant) {
        self.timers[Timer::Tx as usize] = match self.tx_interval() {
            Some(iv) if self.may_transmit() => Some(from + self.jittered(iv)),
            _ => None,
        };
    }

    /// After an input: a changed interval, or a passive session just allowed to send,
    /// reschedules from the last packet (at the earliest now).
    fn rearm_tx(&mut self, now: Instant, old_interval: Option<Duration>) {
        let armed = self.timers[Timer::Tx as usize].is_some();
        if old_interval == self.tx_interval() && armed == self.may_transmit() {
            return;
        }
        self.schedule_tx(self.last_tx.unwrap_or(now));
        if let Some(at) = &mut self.timers[Timer::Tx as usize] {
            *at = (*at).max(now);
        }
    }

    /// RFC 5880 6.8.7: 75-100 % of the interval, 75-90 % with Detect Mult 1. keepalived
    /// always takes 75-90 %; we follow the RFC.
    fn jittered(&mut self, interval: Duration) -> Duration {
        let ns = u64::try_from(interval.as_nanos()).unwrap_or(u64::MAX / 2);
        let lo = ns / 4 * 3;
        let hi = if self.params.detect_mult == 1 {
            ns / 10 * 9
        } else {
            ns
        };
        Duration::from_nanos(lo + self.rng.below(hi.saturating_sub(lo) + 1))
    }
}
