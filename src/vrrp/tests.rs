//! Unit tests of the state machine: one test per branch, with exact timings.
//!
//! Times are milliseconds (or nanoseconds where the skew needs them) from `Instant::ZERO`; the
//! instance under test is 10.0.0.5, "VI_1", VRID 51, one VIP 10.0.0.100.

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use super::instance::testing::advert_from;
use super::*;
use crate::time::Instant;

fn ms(n: u64) -> Instant {
    Instant::ZERO + Duration::from_millis(n)
}

fn ip(last: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(10, 0, 0, last))
}

const ME: u8 = 5;

fn params(prio: u8) -> Params {
    let mut p = Params::new("VI_1", 51, ip(ME));
    p.priority = prio;
    p.vips = vec![ip(100)];
    p
}

fn drain(vi: &mut Instance) -> Vec<Output> {
    std::iter::from_fn(|| vi.poll_output()).collect()
}

/// One input, then its outputs.
fn feed(vi: &mut Instance, now: Instant, input: Input<'_>) -> Vec<Output> {
    vi.handle_input(now, input);
    drain(vi)
}

/// The timers due at `now`, then the outputs.
fn tick(vi: &mut Instance, now: Instant) -> Vec<Output> {
    vi.handle_timeout(now);
    drain(vi)
}

/// Jumps to the next deadline and fires it.
fn tick_next(vi: &mut Instance) -> Vec<Output> {
    let due = vi.poll_timeout().expect("a timer is armed");
    tick(vi, due)
}

/// The only armed timer is the Master_Down_Timer, due one Master_Down_Interval after `from`.
#[track_caller]
fn assert_down_after(vi: &Instance, from: Instant) {
    assert_eq!(vi.poll_timeout(), Some(from + vi.master_down_interval()));
}

fn track(weight: i32, fault: bool) -> Input<'static> {
    Input::Tracking { weight, fault }
}

/// Created and started at `at`.
fn started(p: Params, at: Instant) -> (Instance, Vec<Output>) {
    let mut vi = Instance::new(p, at);
    let out = tick(&mut vi, at);
    (vi, out)
}

/// A backup started at 0 that became master when its Master_Down_Timer fired (3.609375 s for
/// priority 100, so before the 3.610 s the tests start from).
fn master(p: Params) -> Instance {
    let (mut vi, _) = started(p, Instant::ZERO);
    let due = vi.poll_timeout().unwrap();
    vi.handle_timeout(due);
    drain(&mut vi);
    assert_eq!(vi.state(), State::Master);
    vi
}

/// What a peer at 10.0.0.`from` with `prio` sends, as `vi` receives it (multicast, TTL 255).
fn rx(vi: &mut Instance, now: Instant, from: u8, prio: u8) -> Vec<Output> {
    let interval = vi.params().advert_int;
    rx_every(vi, now, from, prio, interval)
}

/// The same, from a peer advertising every `interval`.
fn rx_every(
    vi: &mut Instance,
    now: Instant,
    from: u8,
    prio: u8,
    interval: Duration,
) -> Vec<Output> {
    let out = advert_out(vi, prio, interval);
    let advert = advert_from(&out, &vi.params().auth);
    let meta = RxMeta {
        src: ip(from),
        multicast: true,
        ttl: Some(255),
    };
    vi.handle_input(now, Input::Advert { advert, meta });
    drain(vi)
}

/// What a peer with `prio` advertising every `interval` sends for `vi`'s VRID and VIPs.
fn advert_out(vi: &Instance, prio: u8, interval: Duration) -> AdvertOut {
    let p = vi.params();
    AdvertOut {
        version: p.version,
        vrid: p.vrid,
        priority: prio,
        interval,
        addrs: p.vips.iter().copied().collect(),
    }
}

fn transmits(outs: &[Output]) -> Vec<u8> {
    outs.iter()
        .filter_map(|o| match o {
            Output::Transmit(a) => Some(a.priority),
            _ => None,
        })
        .collect()
}

fn changes(outs: &[Output]) -> Vec<(State, State, Reason)> {
    outs.iter()
        .filter_map(|o| match o {
            Output::Event(Event::StateChange { from, to, reason }) => Some((*from, *to, *reason)),
            _ => None,
        })
        .collect()
}

fn actions(outs: &[Output]) -> Vec<Action> {
    outs.iter()
        .filter_map(|o| match o {
            Output::Action(a) => Some(*a),
            _ => None,
        })
        .collect()
}

fn lines(outs: &[Output]) -> Vec<String> {
    outs.iter()
        .filter_map(|o| match o {
            Output::Event(e) => Some(e.line("VI_1")),
            _ => None,
        })
        .collect()
}

/// Outputs reduced to a compact script: "tx100", "BACKUP->MASTER", "add", "del", "garp5".
fn script(outs: &[Output]) -> Vec<String> {
    outs.iter()
        .filter_map(|o| match o {
            Output::Transmit(a) => Some(format!("tx{}", a.priority)),
            Output::Event(Event::StateChange { from, to, .. }) => {
                Some(format!("{}->{}", from.name(), to.name()))
            }
            Output::Action(Action::AddVips { .. }) => Some("add".into()),
            Output::Action(Action::DelVips) => Some("del".into()),
            Output::Action(Action::Garp { repeat, .. }) => Some(format!("garp{repeat}")),
            Output::Action(Action::AdoptChecksum { .. }) => Some("adopt".into()),
            Output::Event(_) => None,
        })
        .collect()
}

// ---- Timing formulas -------------------------------------------------------------------------

#[test]
fn v2_skew_and_master_down_interval() {
    // RFC 3768 6.1 with priority 100: skew = 156/256 s = 609.375 ms; 3 s + skew.
    let (vi, _) = started(params(100), ms(0));
    assert_eq!(vi.skew(), Duration::from_nanos(609_375_000));
    assert_eq!(
        vi.master_down_interval(),
        Duration::from_nanos(3_609_375_000)
    );
    let mut p = params(100);
    p.down_timer_adverts = 5;
    let (vi, _) = started(p, ms(0));
    assert_eq!(
        vi.master_down_interval(),
        Duration::from_nanos(5_609_375_000)
    );
}

#[test]
fn v3_skew_and_master_down_interval() {
    // Reference 2.5: v3, 250 ms, priority 200 -> 0.75 + 0.0547 = 0.805 s.
    let mut p = params(200);
    p.version = 3;
    p.advert_int = Duration::from_millis(250);
    let (vi, _) = started(p, ms(0));
    assert_eq!(vi.skew(), Duration::from_nanos(54_687_500));
    assert_eq!(vi.master_down_interval(), Duration::from_nanos(804_687_500));
}

#[test]
fn params_are_normalised() {
    let mut p = params(0);
    p.version = 7;
    p.advert_int = Duration::from_millis(1400);
    p.down_timer_adverts = 0;
    let vi = Instance::new(p, ms(0));
    assert_eq!(vi.params().version, 2);
    assert_eq!(vi.params().priority, 1);
    assert_eq!(vi.params().advert_int, Duration::from_secs(1));
    assert_eq!(vi.params().down_timer_adverts, 1);
    let mut p = params(100);
    p.version = 3;
    p.advert_int = Duration::from_millis(4);
    assert_eq!(
        Instance::new(p.clone(), ms(0)).params().advert_int,
        Duration::from_millis(10)
    );
    p.advert_int = Duration::from_secs(100);
    assert_eq!(
        Instance::new(p, ms(0)).params().advert_int,
        Duration::from_millis(40_950)
    );
}

// ---- Initialize (RFC 5798 6.4.1) -------------------------------------------------------------

#[test]
fn start_is_a_timer_and_spurious_timeouts_are_harmless() {
    let mut p = params(100);
    p.startup_delay = Duration::from_secs(2);
    let mut vi = Instance::new(p, ms(1000));
    assert_eq!(vi.state(), State::Init);
    assert_eq!(vi.poll_timeout(), Some(ms(3000)));
    for t in [0, 1000, 2999] {
        assert!(tick(&mut vi, ms(t)).is_empty());
    }
    let out = tick(&mut vi, ms(3000));
    assert_eq!(lines(&out), ["(VI_1) Entering BACKUP STATE (init)"]);
    assert_down_after(&vi, ms(3000));
}

#[test]
fn backup_times_out_to_master_after_master_down_interval() {
    let (mut vi, out) = started(params(100), ms(0));
    assert_eq!(
        changes(&out),
        [(State::Init, State::Backup, Reason::Startup)]
    );
    let due = ms(3609) + Duration::from_nanos(375_000);
    assert_eq!(vi.poll_timeout(), Some(due));
    assert!(tick(&mut vi, Instant::from_nanos(due.as_nanos() - 1)).is_empty());
    let out = tick(&mut vi, due);
    // Advert first, then the state, then the VIPs and the first GARP burst (keepalived order).
    assert_eq!(script(&out), ["tx100", "BACKUP->MASTER", "add", "garp5"]);
    assert_eq!(
        lines(&out),
        [
            "(VI_1) Receive advertisement timeout",
            "(VI_1) Entering MASTER STATE"
        ]
    );
    assert_eq!(actions(&out)[0], Action::AddVips { block: false });
    // Next: the advert timer, one interval later.
    assert_eq!(vi.poll_timeout(), Some(due + Duration::from_secs(1)));
    assert_eq!(vi.counters().became_master, 1);
    assert_eq!(vi.counters().adverts_sent, 1);
}

#[test]
fn owner_starts_master_at_once() {
    let (vi, out) = started(params(255), ms(0));
    assert_eq!(vi.state(), State::Master);
    assert_eq!(script(&out), ["tx255", "INIT->MASTER", "add", "garp5"]);
    assert_eq!(changes(&out)[0].2, Reason::Owner);
}

#[test]
fn state_master_waits_one_interval_and_minimal_skew() {
    let mut p = params(100);
    p.initial = StartState::Master;
    let (vi, _) = started(p, ms(0));
    assert_eq!(vi.state(), State::Backup);
    assert_eq!(
        vi.poll_timeout(),
        Some(ms(1000) + Duration::from_nanos(3_906_250))
    );
}

#[test]
fn no_accept_blocks_unless_owner() {
    let mut p = params(255);
    p.accept = false;
    let (_, out) = started(p, ms(0));
    assert_eq!(actions(&out)[0], Action::AddVips { block: false });
    let mut p = params(100);
    p.accept = false;
    let mut vi = master(p);
    // Re-enter master through a fault cycle to see the action again.
    feed(&mut vi, ms(4000), Input::Link { up: false });
    feed(&mut vi, ms(4000), Input::Link { up: true });
    let out = tick_next(&mut vi);
    assert_eq!(actions(&out)[0], Action::AddVips { block: true });
}

#[test]
fn start_in_fault_when_link_down() {
    let mut vi = Instance::new(params(100), ms(0));
    assert!(
        feed(&mut vi, ms(0), Input::Link { up: false }).is_empty(),
        "no state before the start timer"
    );
    let out = tick(&mut vi, ms(0));
    assert_eq!(lines(&out), ["(VI_1) Entering FAULT STATE (init)"]);
    assert_eq!(vi.poll_timeout(), None);
    let out = feed(&mut vi, ms(500), Input::Link { up: true });
    assert_eq!(lines(&out), ["(VI_1) Entering BACKUP STATE"]);
    assert_eq!(changes(&out)[0].2, Reason::FaultCleared);
    assert_down_after(&vi, ms(500));
}

// ---- Backup (RFC 5798 6.4.2) -----------------------------------------------------------------

/// What the executor does on a busy machine: an advert read late (the loop was not scheduled),
/// before the timer wake that is due by then, is applied at its arrival (the kernel's receive
/// stamp). One that arrived before the deadline restarts the Master_Down_Timer from its
/// arrival, and so does one that arrived after it but is read first: the master is alive, the
/// late timer wake then finds nothing due. No takeover either way.
#[test]
fn adverts_read_late_are_dated_by_arrival() {
    let (mut vi, _) = started(params(100), ms(0));
    rx(&mut vi, ms(1000), 9, 200);
    for late in [-1i64, 1] {
        let due = vi.poll_timeout().unwrap();
        let arrived = Instant::from_nanos((due.as_nanos() as i64 + late * 1_000_000) as u64);
        assert!(rx(&mut vi, arrived, 9, 200).is_empty());
        assert_down_after(&vi, arrived);
        assert!(tick(&mut vi, arrived + Duration::from_millis(30)).is_empty());
        assert_eq!(vi.state(), State::Backup);
    }
    assert_eq!(vi.counters().became_master, 0);
}

#[test]
fn backup_higher_or_equal_priority_resets_master_down_timer() {
    let (mut vi, _) = started(params(100), ms(0));
    for (t, prio) in [(1000, 200), (2000, 100)] {
        let out = rx(&mut vi, ms(t), 9, prio);
        assert!(script(&out).is_empty());
        assert_down_after(&vi, ms(t));
        assert_eq!(vi.master_addr(), Some(ip(9)));
        assert_eq!(vi.master_priority(), prio);
    }
    assert_eq!(vi.counters().adverts_received, 2);
}

#[test]
fn backup_discards_lower_priority_when_preempting() {
    let (mut vi, _) = started(params(100), ms(0));
    let first = vi.poll_timeout();
    let out = rx(&mut vi, ms(1000), 9, 50);
    assert_eq!(
        lines(&out),
        ["(VI_1) received lower priority (50) advert from 10.0.0.9 - discarding"]
    );
    assert_eq!(vi.poll_timeout(), first, "timer not reset");
    // So the higher-priority backup takes over at the first deadline.
    vi.handle_timeout(first.unwrap());
    assert_eq!(vi.state(), State::Master);
}

#[test]
fn backup_with_nopreempt_resets_on_lower_priority() {
    let mut p = params(100);
    p.nopreempt = true;
    let (mut vi, _) = started(p, ms(0));
    let out = rx(&mut vi, ms(1000), 9, 50);
    assert!(lines(&out).is_empty());
    assert_down_after(&vi, ms(1000));
}

#[test]
fn backup_priority_zero_sets_timer_to_skew() {
    let (mut vi, _) = started(params(100), ms(0));
    rx(&mut vi, ms(1000), 9, 200);
    let out = rx(&mut vi, ms(1500), 9, 0);
    assert_eq!(
        lines(&out),
        ["(VI_1) Backup received priority 0 advertisement"]
    );
    assert_eq!(
        vi.poll_timeout(),
        Some(ms(1500) + Duration::from_nanos(609_375_000))
    );
    assert_eq!(vi.counters().priority_zero_received, 1);
}

#[test]
fn v3_backup_adopts_master_interval_and_master_restores_its_own() {
    let mut p = params(100);
    p.version = 3;
    let (mut vi, _) = started(p, ms(0));
    let got = rx_every(&mut vi, ms(100), 9, 200, Duration::from_millis(500));
    assert_eq!(
        lines(&got),
        ["(VI_1) advertisement interval updated from 1000ms to 500ms by master"]
    );
    assert_eq!(vi.master_adver_int(), Duration::from_millis(500));
    // 3 x 500 ms + 156 x 500 / 256 ms = 1804.6875 ms.
    assert_eq!(
        vi.poll_timeout(),
        Some(ms(100) + Duration::from_nanos(1_804_687_500))
    );
    let got = tick_next(&mut vi);
    assert!(lines(&got).contains(
        &"(VI_1) changing advert interval from 500ms to locally configured 1000ms".to_string()
    ));
    match &got[2] {
        Output::Transmit(a) => assert_eq!(a.interval, Duration::from_secs(1)),
        o => panic!("{o:?}"),
    }
}

#[test]
fn v2_backup_keeps_its_interval() {
    // A v2 advert with another interval is dropped (RFC 3768 7.1), so nothing is adopted.
    let (mut vi, _) = started(params(100), ms(0));
    let got = rx_every(&mut vi, ms(100), 9, 200, Duration::from_secs(2));
    assert_eq!(
        lines(&got),
        ["(VI_1) advertisement interval mismatch mine=1000 ms rcv'd=2000 ms"]
    );
    assert_eq!(vi.counters().interval_errors, 1);
    assert_eq!(vi.master_adver_int(), Duration::from_secs(1));
}

#[test]
fn preempt_delay_holds_after_startup_then_timer_takes_over() {
    let mut p = params(100);
    p.preempt_delay = Duration::from_secs(10);
    let (mut vi, _) = started(p, ms(0));
    // Lower-priority master advertising every second: held (timer reset) before 10 s.
    for s in 1..=9 {
        let out = rx(&mut vi, ms(s * 1000), 9, 50);
        assert!(lines(&out).is_empty(), "{s}: {:?}", lines(&out));
        assert_down_after(&vi, ms(s * 1000));
    }
    // From the end of the delay on: discarded, the timer armed at 9 s runs out.
    let out = rx(&mut vi, ms(10_000), 9, 50);
    assert_eq!(
        lines(&out),
        ["(VI_1) received lower priority (50) advert from 10.0.0.9 - discarding"]
    );
    let due = ms(9_000) + vi.master_down_interval();
    assert_eq!(vi.poll_timeout(), Some(due));
    vi.handle_timeout(due);
    assert_eq!(vi.state(), State::Master);
}

#[test]
fn preempt_delay_stops_on_higher_priority_and_restarts_on_lower() {
    let mut p = params(100);
    p.preempt_delay = Duration::from_secs(10);
    let (mut vi, _) = started(p, ms(0));
    let out = rx(&mut vi, ms(1000), 9, 200);
    assert_eq!(lines(&out), ["(VI_1) stop preempt delay"]);
    // The master's priority drops (tracking): the delay starts now.
    let out = rx(&mut vi, ms(2000), 9, 50);
    assert_eq!(lines(&out), ["(VI_1) start preempt delay (10.000000)"]);
    for s in 3..=11 {
        rx(&mut vi, ms(s * 1000), 9, 50);
    }
    assert_down_after(&vi, ms(11_000));
    let out = rx(&mut vi, ms(12_000), 9, 50);
    assert_eq!(lines(&out).len(), 1, "discarding");
    vi.handle_timeout(ms(11_000) + vi.master_down_interval());
    assert_eq!(vi.state(), State::Master);
}

#[test]
fn adverts_are_ignored_in_init_and_fault() {
    let mut vi = Instance::new(params(100), ms(0));
    assert!(rx(&mut vi, ms(0), 9, 200).is_empty());
    vi.handle_timeout(ms(0));
    feed(&mut vi, ms(1), Input::Link { up: false });
    assert!(rx(&mut vi, ms(2), 9, 200).is_empty());
    assert_eq!(*vi.counters(), Counters::default());
}

// ---- Master (RFC 5798 6.4.3) -----------------------------------------------------------------

#[test]
fn master_advertises_every_interval() {
    let mut vi = master(params(100));
    let mut t = vi.poll_timeout().unwrap();
    for _ in 0..5 {
        vi.handle_timeout(t);
        assert_eq!(transmits(&drain(&mut vi)), [100]);
        let next = vi.poll_timeout().unwrap();
        assert_eq!(next, t + Duration::from_secs(1));
        t = next;
    }
}

#[test]
fn master_answers_lower_priority_at_once_and_garps() {
    let mut vi = master(params(100));
    let now = ms(4000);
    let out = rx(&mut vi, now, 9, 50);
    assert_eq!(script(&out), ["tx100", "garp5"]);
    assert_eq!(
        lines(&out),
        [
            "(VI_1) Received advert from 10.0.0.9 with lower priority 50, ours 100, forcing new election"
        ]
    );
    assert_eq!(
        actions(&out),
        [Action::Garp {
            repeat: 5,
            reason: GarpReason::LowerPriority
        }]
    );
    // Adver_Timer reset; the delayed lower-priority burst 5 s later.
    assert_eq!(vi.poll_timeout(), Some(now + Duration::from_secs(1)));
    let out = tick(&mut vi, now + Duration::from_secs(5));
    assert!(actions(&out).contains(&Action::Garp {
        repeat: 5,
        reason: GarpReason::LowerPriorityDelay
    }));
}

#[test]
fn master_with_lower_prio_no_advert_stays_silent() {
    let mut p = params(100);
    p.lower_prio_no_advert = true;
    p.garp.lower_prio_repeat = 0;
    let mut vi = master(p);
    let before = vi.poll_timeout();
    let out = rx(&mut vi, ms(4000), 9, 50);
    assert!(script(&out).is_empty());
    assert_eq!(
        lines(&out),
        ["(VI_1) Received advert from 10.0.0.9 with lower priority 50, ours 100"]
    );
    assert_eq!(vi.poll_timeout(), before);
}

#[test]
fn master_yields_to_higher_priority_without_priority_zero() {
    let mut vi = master(params(100));
    let out = rx(&mut vi, ms(4000), 9, 200);
    assert_eq!(script(&out), ["MASTER->BACKUP", "del"]);
    assert_eq!(
        lines(&out),
        [
            "(VI_1) Master received advert from 10.0.0.9 with higher priority 200, ours 100",
            "(VI_1) Entering BACKUP STATE"
        ]
    );
    assert_eq!(changes(&out)[0].2, Reason::Preempted);
    assert_down_after(&vi, ms(4000));
    assert_eq!(vi.master_addr(), Some(ip(9)));
    assert_eq!(vi.counters().released_master, 1);
}

#[test]
fn master_tie_break_by_primary_address() {
    // Equal priority from a higher address: yield.
    let mut vi = master(params(100));
    let out = rx(&mut vi, ms(4000), 9, 100);
    assert_eq!(script(&out), ["MASTER->BACKUP", "del"]);
    assert_eq!(
        lines(&out)[0],
        "(VI_1) Master received advert from 10.0.0.9 with same priority 100 but higher IP address than ours"
    );
    // Equal priority from a lower address: we win and say so at once.
    let mut vi = master(params(100));
    let out = rx(&mut vi, ms(4000), 2, 100);
    assert_eq!(script(&out), ["tx100", "garp5"]);
    assert_eq!(vi.state(), State::Master);
}

#[test]
fn master_with_higher_prio_send_advert_sends_before_yielding() {
    let mut p = params(100);
    p.higher_prio_send_advert = true;
    let mut vi = master(p);
    let out = rx(&mut vi, ms(4000), 9, 200);
    assert_eq!(script(&out), ["tx100", "MASTER->BACKUP", "del"]);
}

#[test]
fn master_answers_priority_zero() {
    let mut vi = master(params(100));
    let out = rx(&mut vi, ms(4000), 9, 0);
    assert_eq!(script(&out), ["tx100"]);
    assert_eq!(lines(&out), ["(VI_1) Master received priority 0 message"]);
    assert_eq!(vi.poll_timeout(), Some(ms(5000)));
    assert_eq!(vi.state(), State::Master);
}

#[test]
fn master_warns_on_equal_priority_from_own_address() {
    let mut vi = master(params(100));
    let out = rx(&mut vi, ms(4000), ME, 100);
    assert!(script(&out).is_empty());
    assert_eq!(
        lines(&out),
        ["(VI_1) WARNING - equal priority advert received from remote host with our IP address."]
    );
}

#[test]
fn two_owners_ours_drops_to_254_and_yields() {
    let (mut vi, _) = started(params(255), ms(0));
    let out = rx(&mut vi, ms(500), 2, 255);
    assert_eq!(vi.base_priority(), 254);
    assert_eq!(vi.priority(), 254);
    assert_eq!(vi.state(), State::Backup);
    let l = lines(&out);
    assert!(l[0].starts_with("(VI_1) CONFIGURATION ERROR: local instance and a remote"));
    assert_eq!(l[1], "(VI_1) Changing effective priority from 255 to 254");
}

// ---- Tracking, faults, VIP removal, shutdown --------------------------------------------------

#[test]
fn tracking_weights_change_the_advertised_priority() {
    let mut vi = master(params(100));
    let out = feed(&mut vi, ms(4000), track(-60, false));
    assert_eq!(
        lines(&out),
        ["(VI_1) Changing effective priority from 100 to 40"]
    );
    vi.handle_timeout(vi.poll_timeout().unwrap());
    assert_eq!(transmits(&drain(&mut vi)), [40]);
    for (w, want) in [(-500, 1), (500, 254), (0, 100)] {
        feed(&mut vi, ms(5000), track(w, false));
        assert_eq!(vi.priority(), want);
    }
    // An owner keeps 255.
    let (mut vi, _) = started(params(255), ms(0));
    assert!(feed(&mut vi, ms(1), track(-100, false)).is_empty());
    assert_eq!(vi.priority(), 255);
}

#[test]
fn tracking_fault_in_master_sends_priority_zero() {
    let mut vi = master(params(100));
    let out = feed(&mut vi, ms(4000), track(0, true));
    assert_eq!(script(&out), ["MASTER->FAULT", "tx0", "del"]);
    assert_eq!(
        lines(&out),
        ["(VI_1) Entering FAULT STATE", "(VI_1) sent 0 priority"]
    );
    assert_eq!(changes(&out)[0].2, Reason::TrackFault);
    assert_eq!(vi.poll_timeout(), None);
    assert_eq!(vi.counters().priority_zero_sent, 1);
    let out = feed(&mut vi, ms(5000), track(0, false));
    assert_eq!(script(&out), ["FAULT->BACKUP"]);
    assert_down_after(&vi, ms(5000));
}

#[test]
fn link_down_in_backup_is_fault_without_advert() {
    let (mut vi, _) = started(params(100), ms(0));
    let out = feed(&mut vi, ms(10), Input::Link { up: false });
    assert_eq!(script(&out), ["BACKUP->FAULT"]);
    assert_eq!(changes(&out)[0].2, Reason::LinkDown);
    // A second down, or tracking while down, changes nothing.
    assert!(feed(&mut vi, ms(11), Input::Link { up: false }).is_empty());
}

#[test]
fn owner_leaves_fault_as_master() {
    let (mut vi, _) = started(params(255), ms(0));
    feed(&mut vi, ms(10), Input::Link { up: false });
    let out = feed(&mut vi, ms(20), Input::Link { up: true });
    assert_eq!(script(&out), ["tx255", "FAULT->MASTER", "add", "garp5"]);
}

#[test]
fn vip_removed_in_master_gives_way_then_returns_after_skew() {
    let mut vi = master(params(100));
    let out = feed(&mut vi, ms(4000), Input::VipRemoved(ip(100)));
    assert_eq!(script(&out), ["MASTER->BACKUP", "tx0", "del"]);
    assert_eq!(changes(&out)[0].2, Reason::VipRemoved);
    let due = ms(4000) + vi.skew();
    assert_eq!(vi.poll_timeout(), Some(due));
    vi.handle_timeout(due);
    assert_eq!(
        script(&drain(&mut vi)),
        ["tx100", "BACKUP->MASTER", "add", "garp5"]
    );
    // In BACKUP a removal is not ours to fix.
    let (mut vi, _) = started(params(100), ms(0));
    assert!(feed(&mut vi, ms(1), Input::VipRemoved(ip(100))).is_empty());
}

#[test]
fn shutdown_master_sends_priority_zero_and_stops() {
    let mut vi = master(params(100));
    let out = feed(&mut vi, ms(4000), Input::Shutdown);
    assert_eq!(script(&out), ["MASTER->INIT", "tx0", "del"]);
    assert_eq!(lines(&out), ["(VI_1) Stopped", "(VI_1) sent 0 priority"]);
    assert_eq!(vi.poll_timeout(), None);
    // Nothing happens any more.
    vi.handle_input(ms(4001), Input::Link { up: false });
    vi.handle_timeout(ms(10_000));
    assert!(rx(&mut vi, ms(10_001), 9, 200).is_empty());
}

#[test]
fn shutdown_backup_sends_nothing() {
    let (mut vi, _) = started(params(100), ms(0));
    vi.handle_input(ms(1), Input::Shutdown);
    assert_eq!(script(&drain(&mut vi)), ["BACKUP->INIT"]);
    assert_eq!(vi.poll_timeout(), None);
}

// ---- GARP timers ------------------------------------------------------------------------------

#[test]
fn garp_second_burst_and_refresh_while_master_only() {
    let mut p = params(100);
    p.garp.master_refresh = Duration::from_secs(60);
    p.garp.master_refresh_repeat = 2;
    let mut vi = Instance::new(p, ms(0));
    vi.handle_timeout(ms(0));
    let up = vi.poll_timeout().unwrap();
    vi.handle_timeout(up);
    drain(&mut vi);
    let mut garps = Vec::new();
    let end = up + Duration::from_secs(130);
    while let Some(t) = vi.poll_timeout().filter(|&t| t <= end) {
        vi.handle_timeout(t);
        for a in actions(&drain(&mut vi)) {
            if let Action::Garp { repeat, reason } = a {
                garps.push((t - up, repeat, reason));
            }
        }
    }
    assert_eq!(
        garps,
        [
            (Duration::from_secs(5), 5, GarpReason::MasterDelay),
            (Duration::from_secs(60), 2, GarpReason::Refresh),
            (Duration::from_secs(120), 2, GarpReason::Refresh),
        ]
    );
    // Leaving master disarms them: only the master-down timer remains.
    rx(&mut vi, end, 9, 200);
    assert_down_after(&vi, end);
}

#[test]
fn malformed_packets_are_counted() {
    let (mut vi, _) = started(params(100), ms(0));
    let out = feed(
        &mut vi,
        ms(1),
        Input::Malformed {
            src: ip(9),
            reason: DropReason::Checksum,
        },
    );
    assert_eq!(lines(&out), ["(VI_1) Invalid VRRP checksum from 10.0.0.9"]);
    assert_eq!(vi.counters().checksum_errors, 1);
    assert!(out.iter().all(|o| match o {
        Output::Event(e) => e.level() == log::Level::Debug,
        _ => false,
    }));
}

// ---- Any input -------------------------------------------------------------------------------

/// Random parameters and a random stream of inputs and timeouts: nothing panics, and the
/// invariants of the module docs hold after every drain.
#[test]
fn random_inputs_keep_the_invariants() {
    use crate::rng::Rng;
    let pool = [ip(100), ip(101), ip(102)];
    for seed in 0..2000 {
        let mut rng = Rng::new(seed);
        let mut p = params(1 + rng.below(255) as u8);
        p.version = 2 + rng.below(2) as u8;
        p.advert_int = Duration::from_millis(rng.below(3000));
        p.nopreempt = rng.below(2) == 0;
        p.preempt_delay = Duration::from_millis(rng.below(3) * 1500);
        p.lower_prio_no_advert = rng.below(2) == 0;
        p.higher_prio_send_advert = rng.below(2) == 0;
        p.skip_check_adv_addr = rng.below(2) == 0;
        p.initial = if rng.below(2) == 0 {
            StartState::Master
        } else {
            StartState::Backup
        };
        p.down_timer_adverts = rng.below(5) as u8;
        p.garp.master_refresh = Duration::from_millis(rng.below(2) * 2500);
        let mut vi = Instance::new(p, ms(0));
        let mut now = ms(0);
        let (mut holds, mut sent) = (false, 0u64);
        for _ in 0..400 {
            now += Duration::from_millis(rng.below(700));
            let out = match rng.below(12) {
                0 => feed(
                    &mut vi,
                    now,
                    Input::Link {
                        up: rng.below(3) > 0,
                    },
                ),
                1 => feed(
                    &mut vi,
                    now,
                    track(rng.below(200) as i32 - 100, rng.below(4) == 0),
                ),
                2 => feed(&mut vi, now, Input::VipRemoved(ip(100))),
                3 if rng.below(20) == 0 => feed(&mut vi, now, Input::Shutdown),
                4..=7 => {
                    let n = rng.below(4) as usize;
                    let addrs: Vec<IpAddr> = pool.iter().copied().take(n).collect();
                    let advert = Advert {
                        version: 2 + rng.below(2) as u8,
                        kind: if rng.below(10) == 0 { 2 } else { 1 },
                        vrid: if rng.below(10) == 0 { 7 } else { 51 },
                        priority: rng.below(256) as u8,
                        interval: Duration::from_millis(rng.below(3) * 500),
                        addrs: &addrs,
                        auth_type: 0,
                        auth_data: [0; 8],
                        ah: None,
                    };
                    let meta = RxMeta {
                        src: ip(rng.below(10) as u8),
                        multicast: rng.below(10) > 0,
                        ttl: Some(if rng.below(10) > 0 { 255 } else { 1 }),
                    };
                    feed(&mut vi, now, Input::Advert { advert, meta })
                }
                _ => match vi.poll_timeout() {
                    Some(t) if rng.below(2) == 0 => {
                        now = now.max(t);
                        tick(&mut vi, now)
                    }
                    _ => tick(&mut vi, now),
                },
            };
            for o in &out {
                match o {
                    Output::Transmit(a) => {
                        sent += 1;
                        assert!(a.priority == vi.priority() || a.priority == 0);
                    }
                    Output::Action(Action::AddVips { .. }) => holds = true,
                    Output::Action(Action::DelVips) => holds = false,
                    // Only sync-group members report what they want.
                    Output::Event(Event::Want(_)) => panic!("seed {seed}: Want outside a group"),
                    _ => {}
                }
            }
            let st = vi.state();
            assert_eq!(holds, st == State::Master, "seed {seed}");
            assert_eq!(vi.counters().adverts_sent, sent, "seed {seed}");
            match st {
                State::Master | State::Backup => assert!(vi.poll_timeout().is_some()),
                State::Fault => assert_eq!(vi.poll_timeout(), None, "seed {seed}"),
                State::Init => {}
            }
            assert!((1..=255).contains(&vi.priority()));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Sync-group members (Params::sync_member): what the instance does alone; the group's rules are
// tested in sync.rs.

fn member(prio: u8) -> Params {
    let mut p = params(prio);
    p.sync_member = true;
    p
}

fn wants(outs: &[Output]) -> Vec<State> {
    outs.iter()
        .filter_map(|o| match o {
            Output::Event(Event::Want(s)) => Some(*s),
            _ => None,
        })
        .collect()
}

fn sync(vi: &mut Instance, now: Instant, order: SyncOrder) -> Vec<Output> {
    feed(vi, now, Input::Sync(order))
}

/// A sync member started at 0 and made MASTER by its group when its timer fired.
fn synced_master(prio: u8) -> (Instance, Instant) {
    let (mut vi, _) = started(member(prio), ms(0));
    let out = tick_next(&mut vi);
    let t = ms(0) + vi.master_down_interval();
    assert_eq!(wants(&out), [State::Master]);
    sync(&mut vi, t, SyncOrder::Master);
    assert_eq!(vi.state(), State::Master);
    (vi, t)
}

#[test]
fn sync_member_waits_for_its_group_when_the_timer_fires() {
    // keepalived vrrp_sync_can_goto_master(): held in BACKUP, timer re-armed to
    // Master_Down_Interval, wantstate MASTER.
    let (mut vi, out) = started(member(100), ms(0));
    assert_eq!(wants(&out), []);
    let out = tick_next(&mut vi);
    let t = ms(0) + vi.master_down_interval();
    assert_eq!(vi.state(), State::Backup);
    assert_eq!(wants(&out), [State::Master]);
    assert_eq!(transmits(&out), []);
    assert_down_after(&vi, t);
    let e = Event::Want(State::Master);
    assert_eq!(
        lines(&[Output::Event(e)]),
        ["(VI_1) sync group member wants MASTER STATE"]
    );
    assert!(e.detail());
    assert_eq!(e.level(), log::Level::Debug);
    // Firing again while held reports nothing new.
    let out = tick_next(&mut vi);
    assert_eq!(wants(&out), []);
    // An advert that resets the timer: it wants BACKUP again (keepalived vrrp_state_backup()).
    let t2 = t + vi.master_down_interval() + Duration::from_millis(1);
    let out = rx(&mut vi, t2, 9, 150);
    assert_eq!(wants(&out), [State::Backup]);
    assert_down_after(&vi, t2);
    // A lower-priority advert (discarded, preempting) leaves the wish alone.
    let out = tick_next(&mut vi);
    assert_eq!(wants(&out), [State::Master]);
    let out = rx(&mut vi, t2 + Duration::from_secs(5), 9, 50);
    assert_eq!(wants(&out), []);
}

#[test]
fn sync_order_master_makes_a_backup_master() {
    let (mut vi, _) = started(member(100), ms(0));
    let out = sync(&mut vi, ms(10), SyncOrder::Master);
    assert_eq!(
        changes(&out),
        [(State::Backup, State::Master, Reason::Sync)]
    );
    // As on the Master_Down_Timer: the advert first, then the VIPs.
    assert!(matches!(out[0], Output::Transmit(ref a) if a.priority == 100));
    assert_eq!(actions(&out)[0], Action::AddVips { block: false });
    assert_eq!(wants(&out), [State::Master]);
    assert_eq!(
        lines(&out),
        [
            "(VI_1) Entering MASTER STATE",
            "(VI_1) sync group member wants MASTER STATE"
        ]
    );
    // Already MASTER: nothing.
    assert_eq!(sync(&mut vi, ms(20), SyncOrder::Master), []);
}

#[test]
fn sync_order_backup_steps_a_master_down_without_priority_zero() {
    // keepalived vrrp_sync_backup() -> vrrp_state_leave_master(isync, false).
    let (mut vi, t) = synced_master(100);
    let out = sync(&mut vi, t, SyncOrder::Backup);
    assert_eq!(
        changes(&out),
        [(State::Master, State::Backup, Reason::Sync)]
    );
    assert_eq!(transmits(&out), []);
    assert_eq!(actions(&out), [Action::DelVips]);
    assert_eq!(wants(&out), [State::Backup]);
    assert_down_after(&vi, t);
    // Already BACKUP: nothing.
    assert_eq!(sync(&mut vi, t, SyncOrder::Backup), []);
}

#[test]
fn sync_order_fault_from_master_backup_and_init() {
    // keepalived vrrp_sync_fault(): a master leaves with priority 0.
    let (mut vi, t) = synced_master(100);
    let out = sync(&mut vi, t, SyncOrder::Fault);
    assert_eq!(changes(&out), [(State::Master, State::Fault, Reason::Sync)]);
    assert_eq!(transmits(&out), [0]);
    assert_eq!(actions(&out), [Action::DelVips]);
    // Not a fault of its own: it wants BACKUP, and stays FAULT until its group says.
    assert_eq!(wants(&out), [State::Backup]);
    assert_eq!(vi.poll_timeout(), None);
    assert_eq!(sync(&mut vi, t, SyncOrder::Master), []);
    let out = sync(&mut vi, t, SyncOrder::Backup);
    assert_eq!(
        changes(&out),
        [(State::Fault, State::Backup, Reason::FaultCleared)]
    );
    assert_down_after(&vi, t);

    let (mut vi, _) = started(member(100), ms(0));
    let out = sync(&mut vi, ms(5), SyncOrder::Fault);
    assert_eq!(changes(&out), [(State::Backup, State::Fault, Reason::Sync)]);
    assert_eq!(transmits(&out), []);

    // INIT: in FAULT now, and the Start timer never fires.
    let mut p = member(100);
    p.startup_delay = Duration::from_secs(5);
    let mut vi = Instance::new(p, ms(0));
    let out = sync(&mut vi, ms(1), SyncOrder::Fault);
    assert_eq!(changes(&out), [(State::Init, State::Fault, Reason::Sync)]);
    assert_eq!(vi.poll_timeout(), None);
    let out = sync(&mut vi, ms(2), SyncOrder::Backup);
    assert_eq!(
        changes(&out),
        [(State::Fault, State::Backup, Reason::FaultCleared)]
    );
    assert_down_after(&vi, ms(2));
}

#[test]
fn sync_member_in_fault_of_its_own_leaves_it_only_with_its_group() {
    // keepalived try_up_instance(): not while another member is in FAULT of its own.
    let (mut vi, t) = synced_master(100);
    let out = feed(&mut vi, t, Input::Link { up: false });
    assert_eq!(
        changes(&out),
        [(State::Master, State::Fault, Reason::LinkDown)]
    );
    assert_eq!(transmits(&out), [0]);
    assert_eq!(wants(&out), [State::Fault]);
    // Its group cannot take it out while its own fault lasts.
    assert_eq!(sync(&mut vi, t, SyncOrder::Backup), []);
    let out = feed(&mut vi, t, Input::Link { up: true });
    assert_eq!(changes(&out), []);
    assert_eq!(vi.state(), State::Fault);
    assert_eq!(wants(&out), [State::Backup]);
    let out = sync(&mut vi, t, SyncOrder::Backup);
    assert_eq!(
        changes(&out),
        [(State::Fault, State::Backup, Reason::FaultCleared)]
    );
    assert_eq!(wants(&out), []);
    // A weight-0 tracker likewise.
    let out = feed(&mut vi, t, track(0, true));
    assert_eq!(wants(&out), [State::Fault]);
    assert_eq!(vi.state(), State::Fault);
}

#[test]
fn sync_owner_starts_backup_wanting_master_and_leaves_fault_the_same_way() {
    // keepalived vrrp_complete_init(): a group goes MASTER at start only if every member does.
    let (mut vi, out) = started(member(255), ms(0));
    assert_eq!(
        changes(&out),
        [(State::Init, State::Backup, Reason::Startup)]
    );
    assert_eq!(wants(&out), [State::Master]);
    assert_eq!(transmits(&out), []);
    // Like `state MASTER`: one interval and the minimal skew.
    assert_eq!(
        vi.poll_timeout(),
        Some(ms(1000) + Duration::from_nanos(3_906_250))
    );
    sync(&mut vi, ms(10), SyncOrder::Master);
    let out = feed(&mut vi, ms(20), Input::Link { up: false });
    assert_eq!(wants(&out), [State::Fault]);
    let out = feed(&mut vi, ms(30), Input::Link { up: true });
    assert_eq!(wants(&out), [State::Backup]);
    let out = sync(&mut vi, ms(30), SyncOrder::Backup);
    assert_eq!(
        changes(&out),
        [(State::Fault, State::Backup, Reason::FaultCleared)]
    );
    assert_eq!(wants(&out), [State::Master]);
}

#[test]
fn sync_member_starting_with_its_link_down_reports_fault_before_it_starts() {
    let mut p = member(100);
    p.startup_delay = Duration::from_secs(1);
    let mut vi = Instance::new(p, ms(0));
    let out = feed(&mut vi, ms(0), Input::Link { up: false });
    assert_eq!(wants(&out), [State::Fault]);
    let out = tick(&mut vi, ms(1000));
    assert_eq!(
        changes(&out),
        [(State::Init, State::Fault, Reason::Startup)]
    );
}

#[test]
fn random_inputs_keep_the_sync_member_invariants() {
    // A sync member goes MASTER only on SyncOrder::Master and leaves FAULT only on
    // SyncOrder::Backup; every Want differs from the previous one; VIPs iff MASTER.
    use crate::rng::Rng;
    for seed in 0..2000 {
        let mut rng = Rng::new(seed);
        let mut p = member(if rng.below(8) == 0 {
            255
        } else {
            1 + rng.below(254) as u8
        });
        p.version = 2 + rng.below(2) as u8;
        p.preempt_delay = Duration::from_millis(rng.below(3) * 1500);
        p.nopreempt = rng.below(3) == 0;
        let mut vi = Instance::new(p, ms(0));
        let mut now = ms(0);
        let (mut holds, mut last_want) = (false, State::Backup);
        for _ in 0..300 {
            now += Duration::from_millis(rng.below(1500));
            let before = vi.state();
            let (out, order) = match rng.below(10) {
                0 => (
                    feed(
                        &mut vi,
                        now,
                        Input::Link {
                            up: rng.below(3) > 0,
                        },
                    ),
                    None,
                ),
                1 => (
                    feed(
                        &mut vi,
                        now,
                        track(rng.below(100) as i32 - 50, rng.below(4) == 0),
                    ),
                    None,
                ),
                2..=4 => {
                    let o = [SyncOrder::Master, SyncOrder::Backup, SyncOrder::Fault]
                        [rng.below(3) as usize];
                    (sync(&mut vi, now, o), Some(o))
                }
                5 | 6 => (
                    rx(&mut vi, now, 1 + rng.below(9) as u8, rng.below(256) as u8),
                    None,
                ),
                7 if rng.below(30) == 0 => (feed(&mut vi, now, Input::VipRemoved(ip(100))), None),
                _ => {
                    if let Some(t) = vi.poll_timeout() {
                        now = now.max(t);
                    }
                    (tick(&mut vi, now), None)
                }
            };
            for (from, to, _) in changes(&out) {
                if to == State::Master {
                    assert_eq!(order, Some(SyncOrder::Master), "seed {seed}: {from:?}");
                }
                if from == State::Fault {
                    assert_eq!(order, Some(SyncOrder::Backup), "seed {seed}");
                }
            }
            for w in wants(&out) {
                assert_ne!(w, last_want, "seed {seed}");
                last_want = w;
            }
            for a in actions(&out) {
                match a {
                    Action::AddVips { .. } => holds = true,
                    Action::DelVips => holds = false,
                    _ => {}
                }
            }
            assert_eq!(
                holds,
                vi.state() == State::Master,
                "seed {seed} from {before:?}"
            );
        }
    }
}

// ---- Issue 11: checksum variants learned only from a valid master or peer; the reply cap -------

/// An advert from 10.0.0.`from` whose checksum verified only under `variant`.
fn rx_other(
    vi: &mut Instance,
    now: Instant,
    from: u8,
    prio: u8,
    ttl: u8,
    variant: crate::wire::vrrp::ChecksumVariant,
) -> Vec<Output> {
    let out = advert_out(vi, prio, vi.params().advert_int);
    let p = vi.params();
    let advert = advert_from(&out, &p.auth);
    let meta = RxMeta {
        src: ip(from),
        multicast: p.unicast_peers.is_empty(),
        ttl: Some(ttl),
    };
    vi.handle_input(
        now,
        Input::AdvertOtherChecksum {
            advert,
            meta,
            variant,
        },
    );
    drain(vi)
}

fn v3(prio: u8) -> Params {
    let mut p = params(prio);
    p.version = 3;
    p
}

fn adopted(outs: &[Output]) -> bool {
    actions(outs)
        .iter()
        .any(|a| matches!(a, Action::AdoptChecksum { .. }))
}

#[test]
fn master_learns_a_variant_only_from_whom_it_yields_to() {
    use crate::wire::vrrp::ChecksumVariant::Plain;
    let mut vi = master(v3(100));
    let t = ms(4000);
    // The attack of issue 11: TTL 1, priority 1. Dropped for its TTL; nothing adopted.
    let out = rx_other(&mut vi, t, 9, 1, 1, Plain);
    assert!(!adopted(&out), "{out:?}");
    assert_eq!(vi.counters().ttl_errors, 1);
    // The same with TTL 255: every other check passes, but a stranger is not our master.
    let out = rx_other(&mut vi, t, 9, 1, 255, Plain);
    assert!(!adopted(&out), "{out:?}");
    assert!(transmits(&out).is_empty(), "not answered: {out:?}");
    assert_eq!(vi.counters().checksum_errors, 1);
    // Lower priority but a valid advert in every other respect: still not our master.
    let out = rx_other(&mut vi, t, 9, 99, 255, Plain);
    assert!(!adopted(&out));
    assert_eq!(vi.state(), State::Master);
    assert_eq!(vi.counters().checksum_errors, 2);
    // A higher priority takes over (as it would with our variant): its variant comes with it.
    let out = rx_other(&mut vi, t, 9, 200, 255, Plain);
    assert!(adopted(&out), "{out:?}");
    assert_eq!(vi.state(), State::Backup);
}

#[test]
fn backup_adopts_the_variant_of_the_master_it_follows_first() {
    use crate::wire::vrrp::ChecksumVariant::Plain;
    let (mut vi, _) = started(v3(100), Instant::ZERO);
    // A lower priority (we preempt it): not our master, not learned.
    let out = rx_other(&mut vi, ms(100), 9, 50, 255, Plain);
    assert!(!adopted(&out));
    assert_eq!(vi.counters().checksum_errors, 1);
    // Wrong TTL from a higher priority: dropped for the TTL, not learned.
    let out = rx_other(&mut vi, ms(150), 9, 200, 64, Plain);
    assert!(!adopted(&out));
    assert_eq!(vi.counters().ttl_errors, 1);
    // A valid higher-priority master: adopted first, then followed.
    let out = rx_other(&mut vi, ms(200), 9, 200, 255, Plain);
    assert_eq!(
        actions(&out),
        [Action::AdoptChecksum {
            variant: Plain,
            from: ip(9)
        }]
    );
    assert_eq!(vi.master_addr(), Some(ip(9)));
    assert_down_after(&vi, ms(200));
    // Priority 0 from it: not a reason to learn anything.
    let out = rx_other(&mut vi, ms(300), 9, 0, 255, Plain);
    assert!(!adopted(&out));
}

#[test]
fn a_unicast_peer_teaches_its_variant_a_stranger_does_not() {
    use crate::wire::vrrp::ChecksumVariant::Plain;
    let mut p = v3(100);
    p.unicast_peers = vec![Peer::new(ip(7))];
    let mut vi = master(p);
    let out = rx_other(&mut vi, ms(4000), 9, 50, 255, Plain);
    assert!(!adopted(&out));
    let out = rx_other(&mut vi, ms(4000), 7, 50, 255, Plain);
    assert!(adopted(&out), "{out:?}");
    // Adopted before the answer goes out, so that the answer carries it.
    let first_tx = out
        .iter()
        .position(|o| matches!(o, Output::Transmit(_)))
        .unwrap();
    let adopt = out
        .iter()
        .position(|o| matches!(o, Output::Action(Action::AdoptChecksum { .. })))
        .unwrap();
    assert!(adopt < first_tx, "{out:?}");
}

#[test]
fn a_vrrpv2_instance_never_adopts_a_variant() {
    use crate::wire::vrrp::ChecksumVariant::Ipv4Pseudo;
    let mut p = params(100);
    p.auth = Auth::pass("secret");
    p.unicast_peers = vec![Peer::new(ip(7))];
    let (mut vi, _) = started(p, Instant::ZERO);
    // Even a valid advert from a configured peer with a higher priority.
    let out = rx_other(&mut vi, ms(100), 7, 200, 255, Ipv4Pseudo);
    assert!(!adopted(&out), "{out:?}");
    assert_eq!(vi.counters().checksum_errors, 1);
}

#[test]
fn master_answers_lower_priority_at_most_once_per_interval() {
    let mut vi = master(params(100));
    let t0 = ms(4000);
    let mut sent = 0;
    let mut garps = 0;
    let mut notes = 0;
    // 50 lower-priority adverts in 2.5 s: answered at 4.0, 5.0 and 6.0 s.
    for k in 0..50 {
        let out = rx(&mut vi, t0 + Duration::from_millis(50 * k), 9, 50);
        sent += transmits(&out).len();
        garps += actions(&out)
            .iter()
            .filter(|a| matches!(a, Action::Garp { .. }))
            .count();
        notes += lines(&out)
            .iter()
            .filter(|l| l.contains("lower priority"))
            .count();
    }
    assert_eq!((sent, garps, notes), (3, 3, 3));
    assert_eq!(vi.counters().adverts_received, 50);
}
