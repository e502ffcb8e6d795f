//! Unit tests of the session machine, one per transition, with exact timings.

use std::time::Duration;

use super::*;
use crate::rng::Rng;
use crate::time::Instant;
use crate::wire::bfd::{Flags, Repr};

const MS: Duration = Duration::from_millis(1);

fn at(ms: u64) -> Instant {
    Instant::ZERO + MS * ms as u32
}

fn params() -> Params {
    Params {
        min_tx: 50 * MS,
        min_rx: 50 * MS,
        detect_mult: 3,
        ..Params::new("BFD1", 0x1111)
    }
}

/// A packet from the peer (discriminator 0x2222) in `state`.
fn peer(state: State, your: u32) -> Repr<'static> {
    Repr {
        diag: Diag::None,
        state,
        flags: Flags::default(),
        detect_mult: 3,
        my_discr: 0x2222,
        your_discr: your,
        desired_min_tx: 1_000_000,
        required_min_rx: 50_000,
        required_min_echo_rx: 0,
        auth: &[],
    }
}

fn drain(s: &mut Session) -> (Vec<Transmit>, Vec<Event>) {
    let (mut tx, mut ev) = (vec![], vec![]);
    while let Some(o) = s.poll_output() {
        match o {
            Output::Transmit(t) => tx.push(t),
            Output::Event(e) => ev.push(e),
        }
    }
    (tx, ev)
}

fn change(from: State, to: State, diag: Diag) -> Event {
    Event::StateChange {
        from,
        to,
        diag,
        remote_diag: Diag::None,
    }
}

/// Down -> Init -> Up, then Up on the peer's Up.
fn up(s: &mut Session, now: Instant) {
    s.handle_input(now, &peer(State::Down, 0));
    s.handle_input(now, &peer(State::Up, 0x1111));
    drain(s);
    assert_eq!(s.state(), State::Up);
}

#[test]
fn first_packet_at_once_then_slow_rate_with_jitter() {
    let mut s = Session::new(params(), at(0), Rng::new(1));
    assert_eq!(s.poll_timeout(), Some(at(0)));
    s.handle_timeout(at(0));
    let (tx, ev) = drain(&mut s);
    assert!(ev.is_empty());
    assert_eq!(tx.len(), 1);
    // The captured keepalived packet: Down, mult 3, 1 s idle, 50 ms RX, Your Discriminator 0.
    let r = tx[0].repr;
    assert_eq!((r.state, r.your_discr, r.detect_mult), (State::Down, 0, 3));
    assert_eq!((r.desired_min_tx, r.required_min_rx), (1_000_000, 50_000));
    let next = s.poll_timeout().unwrap();
    assert!(next >= at(750) && next <= at(1000), "{next:?}");
    // Spurious wake-ups change nothing.
    s.handle_timeout(at(700));
    assert_eq!(drain(&mut s).0.len(), 0);
    assert_eq!(s.poll_timeout(), Some(next));
}

#[test]
fn down_to_init_to_up() {
    let mut s = Session::new(params(), at(0), Rng::new(2));
    s.handle_input(at(10), &peer(State::Down, 0));
    let (tx, ev) = drain(&mut s);
    assert_eq!(ev, [change(State::Down, State::Init, Diag::None)]);
    assert_eq!(tx[0].repr.state, State::Init);
    assert_eq!(tx[0].repr.your_discr, 0x2222);
    // Detection: 3 × max(50 ms, remote 1 s) = 3 s after the packet.
    assert_eq!(s.detection_time(), 3000 * MS);
    s.handle_input(at(20), &peer(State::Up, 0x1111));
    let (tx, ev) = drain(&mut s);
    assert_eq!(ev, [change(State::Init, State::Up, Diag::None)]);
    // Up: Desired Min TX drops to 50 ms with a Poll (RFC 5880 6.8.3).
    assert!(s.poll_active());
    assert!(tx[0].repr.flags.poll);
    assert_eq!(tx[0].repr.desired_min_tx, 50_000);
    assert_eq!(ev[0].log_line("BFD1"), "(BFD1) Entering Up state");
}

#[test]
fn down_to_up_on_init() {
    let mut s = Session::new(params(), at(0), Rng::new(3));
    s.handle_input(at(5), &peer(State::Init, 0x1111));
    assert_eq!(
        drain(&mut s).1,
        [change(State::Down, State::Up, Diag::None)]
    );
}

#[test]
fn final_ends_poll_and_applies_fast_rate() {
    let mut s = Session::new(params(), at(0), Rng::new(4));
    up(&mut s, at(0));
    assert_eq!(s.tx_interval(), Some(50 * MS));
    let mut fin = peer(State::Up, 0x1111);
    fin.flags.final_ = true;
    fin.desired_min_tx = 50_000;
    s.handle_input(at(30), &fin);
    assert!(!s.poll_active());
    // Detection now 3 × max(50, 50) = 150 ms from the packet.
    assert_eq!(s.detection_time(), 150 * MS);
    drain(&mut s);
    s.handle_timeout(at(179));
    assert_eq!(s.state(), State::Up);
    s.handle_timeout(at(180));
    assert_eq!(
        drain(&mut s).1,
        [change(
            State::Up,
            State::Down,
            Diag::ControlDetectionTimeExpired
        )]
    );
    assert_eq!(s.remote_discr(), 0);
}

#[test]
fn poll_is_answered_with_final_at_once() {
    let mut s = Session::new(params(), at(0), Rng::new(5));
    up(&mut s, at(0));
    let mut p = peer(State::Up, 0x1111);
    p.flags.poll = true;
    s.handle_input(at(40), &p);
    let (tx, _) = drain(&mut s);
    assert_eq!(tx.len(), 1);
    assert_eq!(tx[0].reason, TxReason::Final);
    assert!(tx[0].repr.flags.final_ && !tx[0].repr.flags.poll);
}

#[test]
fn parameter_change_while_up_polls_and_keeps_old_values_until_final() {
    let mut s = Session::new(params(), at(0), Rng::new(6));
    up(&mut s, at(0));
    let mut fin = peer(State::Up, 0x1111);
    fin.flags.final_ = true;
    fin.desired_min_tx = 50_000;
    s.handle_input(at(1), &fin);
    drain(&mut s);
    // Slower TX and faster RX: neither applies before the Final.
    s.set_params(at(2), 200 * MS, 20 * MS, 3);
    let (tx, _) = drain(&mut s);
    assert_eq!(tx[0].reason, TxReason::Poll);
    assert!(tx[0].repr.flags.poll);
    assert_eq!(
        (tx[0].repr.desired_min_tx, tx[0].repr.required_min_rx),
        (200_000, 20_000)
    );
    assert_eq!(s.tx_interval(), Some(50 * MS));
    assert_eq!(s.detection_time(), 150 * MS);
    s.handle_input(at(3), &fin);
    assert!(!s.poll_active());
    assert_eq!(s.tx_interval(), Some(200 * MS));
    assert_eq!(s.detection_time(), 150 * MS); // 3 × max(20, remote 50)
}

#[test]
fn up_to_down_on_remote_down_and_admin_down() {
    let mut s = Session::new(params(), at(0), Rng::new(7));
    up(&mut s, at(0));
    s.handle_input(at(10), &peer(State::Down, 0x1111));
    let (tx, ev) = drain(&mut s);
    assert_eq!(
        ev,
        [change(
            State::Up,
            State::Down,
            Diag::NeighborSignaledSessionDown
        )]
    );
    assert_eq!(tx[0].repr.diag, Diag::NeighborSignaledSessionDown);
    assert_eq!(tx[0].repr.desired_min_tx, 1_000_000);
    let mut s = Session::new(params(), at(0), Rng::new(8));
    up(&mut s, at(0));
    s.handle_input(at(10), &peer(State::AdminDown, 0x1111));
    assert_eq!(s.state(), State::Down);
    assert_eq!(s.local_diag(), Diag::NeighborSignaledSessionDown);
    // In Down, AdminDown from the peer changes nothing.
    drain(&mut s);
    s.handle_input(at(11), &peer(State::AdminDown, 0x1111));
    assert!(drain(&mut s).1.is_empty());
}

#[test]
fn init_times_out_to_down() {
    let mut s = Session::new(params(), at(0), Rng::new(9));
    s.handle_input(at(100), &peer(State::Down, 0));
    drain(&mut s);
    s.handle_timeout(at(3099));
    assert_eq!(s.state(), State::Init);
    s.handle_timeout(at(3100));
    assert_eq!(s.state(), State::Down);
    assert_eq!(s.local_diag(), Diag::ControlDetectionTimeExpired);
}

#[test]
fn local_admin_down() {
    let mut s = Session::new(params(), at(0), Rng::new(10));
    up(&mut s, at(0));
    s.set_admin_down(at(5), true);
    let (tx, ev) = drain(&mut s);
    assert_eq!(
        ev,
        [change(
            State::Up,
            State::AdminDown,
            Diag::AdministrativelyDown
        )]
    );
    assert_eq!(tx[0].repr.state, State::AdminDown);
    s.handle_input(at(6), &peer(State::Up, 0x1111));
    assert_eq!(s.state(), State::AdminDown);
    assert_eq!(s.counters().rx_admin_down, 1);
    s.set_admin_down(at(7), false);
    assert_eq!(s.state(), State::Down);
}

#[test]
fn wrong_discriminator_is_ignored() {
    let mut s = Session::new(params(), at(0), Rng::new(11));
    s.handle_input(at(1), &peer(State::Init, 0x9999));
    assert_eq!(s.state(), State::Down);
    assert_eq!(s.counters().rx_wrong_discr, 1);
}

#[test]
fn passive_waits_for_the_peer() {
    let mut s = Session::new(
        Params {
            passive: true,
            ..params()
        },
        at(0),
        Rng::new(12),
    );
    assert_eq!(s.poll_timeout(), None);
    s.handle_input(at(50), &peer(State::Down, 0));
    let (tx, _) = drain(&mut s);
    assert_eq!(tx.len(), 1);
    assert!(s.poll_timeout().is_some());
}

#[test]
fn idle_tx_and_passive_change_on_a_running_session() {
    let mut s = Session::new(params(), at(0), Rng::new(14));
    s.handle_timeout(at(0));
    drain(&mut s);
    // Down: a new idle_tx paces from the last packet and is advertised.
    s.set_idle(at(100), 3000 * MS, false);
    let next = s.poll_timeout().unwrap();
    assert!(next >= at(2250) && next <= at(3000), "{next:?}");
    assert_eq!(s.advertised_min_tx(), 3000 * MS);
    // Passive and unheard: silent; active again: sends at once (its last packet is old).
    s.set_idle(at(200), 3000 * MS, true);
    assert_eq!(s.poll_timeout(), None);
    s.set_idle(at(4000), 1000 * MS, false);
    assert_eq!(s.poll_timeout(), Some(at(4000)));
    // Up: neither changes what is sent nor the state; both apply once Up is left.
    up(&mut s, at(4100));
    let before = s.poll_timeout();
    s.set_idle(at(4110), 2000 * MS, true);
    assert!(drain(&mut s).0.is_empty());
    assert_eq!((s.state(), s.poll_timeout()), (State::Up, before));
    assert_eq!(s.advertised_min_tx(), 50 * MS);
    s.handle_timeout(at(20_000));
    drain(&mut s);
    assert_eq!(s.state(), State::Down);
    // The peer is gone (its discriminator zeroed): a passive session stops sending.
    assert_eq!(s.poll_timeout(), None);
    s.set_idle(at(20_001), 2000 * MS, false);
    assert_eq!(s.advertised_min_tx(), 2000 * MS);
    assert!(s.poll_timeout().is_some());
}

#[test]
fn remote_min_rx_zero_stops_periodic_packets() {
    let mut s = Session::new(params(), at(0), Rng::new(13));
    let mut p = peer(State::Down, 0);
    p.required_min_rx = 0;
    s.handle_input(at(1), &p);
    drain(&mut s);
    assert_eq!(s.tx_interval(), None);
    assert_eq!(s.poll_timeout(), Some(at(1) + s.detection_time()));
}

#[test]
fn jitter_with_mult_one_stays_under_90_percent() {
    let mut s = Session::new(
        Params {
            detect_mult: 1,
            ..params()
        },
        at(0),
        Rng::new(14),
    );
    let mut last = at(0);
    for _ in 0..1000 {
        let now = s.poll_timeout().unwrap();
        s.handle_timeout(now);
        drain(&mut s);
        let next = s.poll_timeout().unwrap();
        let gap = next - now;
        assert!(gap >= 750 * MS && gap <= 900 * MS, "{gap:?}");
        last = now;
    }
    assert!(last > at(0));
}
