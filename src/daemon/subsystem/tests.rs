//! The dispatcher's pure parts over fake subsystems that record what they are told (a reactor
//! is made for its `Core`, but no socket is opened and no wake is driven).

use std::cell::RefCell;
use std::rc::Rc;

use super::*;
use crate::reactor::{Reactor, ReactorConfig};

/// What every fake heard, in order: (fake's name, event).
type Log = Rc<RefCell<Vec<(&'static str, Event)>>>;

struct Fake {
    name: &'static str,
    log: Log,
    /// Raised at the next `take_events`.
    raise: Vec<Event>,
    /// What this fake raises when it hears an event: a chain of subsystems.
    answer: fn(&Event) -> Option<Event>,
    /// The BFD sessions it tracks, and those it runs (with their state).
    tracks: Vec<&'static str>,
    runs: Vec<(&'static str, bool)>,
    deadline: Option<Instant>,
    pending: usize,
    json: Option<&'static str>,
}

impl Fake {
    fn new(name: &'static str, log: &Log) -> Fake {
        Fake {
            name,
            log: log.clone(),
            raise: Vec::new(),
            answer: |_| None,
            tracks: Vec::new(),
            runs: Vec::new(),
            deadline: None,
            pending: 0,
            json: None,
        }
    }
}

impl Subsystem<u32> for Fake {
    fn apply(&mut self, _: &Config, _: &mut Core<u32>, _: Instant) -> Result<(), String> {
        Ok(())
    }
    fn stop(&mut self, _: &mut Core<u32>, _: Instant) {}
    fn take_events(&mut self, queue: &mut Events) {
        queue.extend(self.raise.drain(..));
    }
    fn on_event(&mut self, _: &mut Core<u32>, _: Instant, ev: &Event) {
        self.log.borrow_mut().push((self.name, ev.clone()));
        if let Some(next) = (self.answer)(ev) {
            self.raise.push(next);
        }
    }
    fn tracked_bfds(&self) -> Vec<String> {
        self.tracks.iter().map(|s| s.to_string()).collect()
    }
    fn bfd_up(&self, name: &str) -> Option<bool> {
        self.runs
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, up)| *up)
    }
    fn next_deadline(&self) -> Option<Instant> {
        self.deadline
    }
    fn pending(&self) -> usize {
        self.pending
    }
    fn dump(&self, _: Dump) -> String {
        String::new()
    }
    fn json(&self) -> Option<String> {
        self.json.map(str::to_string)
    }
}

fn bfd(name: &str, up: bool) -> Event {
    Event::BfdChanged {
        name: name.to_string(),
        up,
        vrrp: true,
        checker: false,
    }
}

fn reactor() -> Reactor<u32> {
    Reactor::new(&ReactorConfig {
        ignore_sigint: false,
    })
    .expect("reactor")
}

fn at(ms: u64) -> Instant {
    Instant::from_nanos(1_000_000_000 + ms * 1_000_000)
}

#[test]
fn events_reach_every_subsystem_in_list_order_within_one_settle() {
    let log = Log::default();
    let mut vrrp = Fake::new("vrrp", &log);
    let mut bfd_side = Fake::new("bfd", &log);
    bfd_side.raise = vec![bfd("a", true), bfd("b", false)];
    let mut r = reactor();
    let mut queue = Events::new();
    settle(&mut queue, &mut [&mut vrrp, &mut bfd_side], r.core(), at(0));
    assert!(queue.is_empty());
    assert_eq!(
        *log.borrow(),
        vec![
            ("vrrp", bfd("a", true)),
            ("bfd", bfd("a", true)),
            ("vrrp", bfd("b", false)),
            ("bfd", bfd("b", false)),
        ]
    );
    // Nothing raised: nothing delivered.
    log.borrow_mut().clear();
    settle(&mut queue, &mut [&mut vrrp, &mut bfd_side], r.core(), at(1));
    assert!(log.borrow().is_empty());
}

#[test]
fn events_raised_while_delivering_are_delivered_in_the_same_settle() {
    // A chain as the checkers will make: BFD -> checker -> virtual server, all in one wake.
    let log = Log::default();
    let mut vs = Fake::new("vs", &log);
    let mut checker = Fake::new("checker", &log);
    checker.answer = |ev| match ev {
        Event::BfdChanged { name, up, .. } if name == "a" => Some(bfd("checker-of-a", *up)),
        _ => None,
    };
    let mut bfd_side = Fake::new("bfd", &log);
    bfd_side.raise = vec![bfd("a", false), bfd("z", true)];
    let mut r = reactor();
    let mut queue = Events::new();
    settle(
        &mut queue,
        &mut [&mut vs, &mut checker, &mut bfd_side],
        r.core(),
        at(0),
    );
    let heard: Vec<(&str, String)> = log
        .borrow()
        .iter()
        .filter_map(|(who, ev)| match ev {
            Event::BfdChanged { name, .. } if *who == "vs" => Some((*who, name.clone())),
            _ => None,
        })
        .collect();
    // The answer joins the end of the queue: after what was already queued.
    assert_eq!(
        heard,
        vec![
            ("vs", "a".to_string()),
            ("vs", "z".to_string()),
            ("vs", "checker-of-a".to_string())
        ]
    );
    assert!(queue.is_empty());
}

#[test]
fn a_loop_between_subsystems_is_cut_off() {
    let log = Log::default();
    let mut ping = Fake::new("ping", &log);
    ping.answer = |ev| Some(ev.clone());
    ping.raise = vec![bfd("a", true)];
    let mut r = reactor();
    let mut queue = Events::new();
    settle(&mut queue, &mut [&mut ping], r.core(), at(0));
    assert!(queue.is_empty());
    assert_eq!(log.borrow().len(), MAX_EVENTS_PER_WAKE);
}

#[test]
fn trackers_learn_the_state_of_their_sessions_and_unknown_ones_count_as_up() {
    let log = Log::default();
    let mut vrrp = Fake::new("vrrp", &log);
    vrrp.tracks = vec!["up", "down", "unknown"];
    let mut bfd_side = Fake::new("bfd", &log);
    bfd_side.runs = vec![("up", true), ("down", false)];
    let mut r = reactor();
    seed_bfd_states(&mut [&mut vrrp, &mut bfd_side], r.core(), at(0));
    let told: Vec<(&str, String, bool)> = log
        .borrow()
        .iter()
        .filter_map(|(who, ev)| match ev {
            Event::BfdChanged { name, up, .. } => Some((*who, name.clone(), *up)),
            _ => None,
        })
        .collect();
    assert_eq!(
        told,
        vec![
            ("vrrp", "up".to_string(), true),
            ("vrrp", "down".to_string(), false),
            ("vrrp", "unknown".to_string(), true),
        ]
    );
    // Without a BFD subsystem (`-B`) every tracked session counts as up.
    log.borrow_mut().clear();
    seed_bfd_states(&mut [&mut vrrp], r.core(), at(0));
    assert!(
        log.borrow()
            .iter()
            .all(|(_, e)| matches!(e, Event::BfdChanged { up: true, .. }))
    );
}

#[test]
fn a_reload_waits_for_the_earliest_deadline_of_any_subsystem() {
    let log = Log::default();
    let mut vrrp = Fake::new("vrrp", &log);
    let mut bfd_side = Fake::new("bfd", &log);
    let now = at(0);
    let cost = Duration::from_millis(5);
    // Margin: 2 x 5 ms + 1 ms = 11 ms.
    vrrp.deadline = Some(at(8));
    bfd_side.deadline = Some(at(3));
    let next = next_deadline(&[&vrrp, &bfd_side]);
    assert_eq!(next, Some(at(3)));
    assert_eq!(
        reload_at(now, cost, Duration::ZERO, next),
        Some(at(3) + Duration::from_micros(50))
    );
    // Only the subsystem with a deadline counts.
    bfd_side.deadline = None;
    assert_eq!(
        reload_at(
            now,
            cost,
            Duration::ZERO,
            next_deadline(&[&vrrp, &bfd_side])
        ),
        Some(at(8) + Duration::from_micros(50))
    );
    // Deadlines beyond the margin, or none: at once.
    vrrp.deadline = Some(at(11));
    assert_eq!(
        reload_at(
            now,
            cost,
            Duration::ZERO,
            next_deadline(&[&vrrp, &bfd_side])
        ),
        None
    );
    vrrp.deadline = None;
    assert_eq!(
        reload_at(
            now,
            cost,
            Duration::ZERO,
            next_deadline(&[&vrrp, &bfd_side])
        ),
        None
    );
}

/// A reload that leaves SCHED_RR may wait for a CPU before it starts (measured 16 ms on a
/// loaded 2-core host): that wait widens the margin, so an advert 20 ms ahead is not overrun.
#[test]
fn a_reload_at_normal_priority_also_leaves_room_for_the_wait_for_a_cpu() {
    let now = at(0);
    let cost = Duration::from_millis(1);
    let next = Some(at(20));
    // Margin 2 x 1 ms + 1 ms: at once (the measured case: the advert went 13.8 ms late).
    assert_eq!(reload_at(now, cost, Duration::ZERO, next), None);
    // With 50 ms for the wait: just after the advert.
    let wait = Duration::from_millis(50);
    assert_eq!(
        reload_at(now, cost, wait, next),
        Some(at(20) + Duration::from_micros(50))
    );
    // A deadline beyond 2 x 1 + 1 + 50 ms: at once.
    assert_eq!(reload_at(now, cost, wait, Some(at(54))), None);
}

#[test]
fn a_stop_waits_for_children_and_the_kernel_requests_of_every_subsystem() {
    let log = Log::default();
    let mut vrrp = Fake::new("vrrp", &log);
    let mut bfd_side = Fake::new("bfd", &log);
    assert!(stop_done(0, &[&vrrp, &bfd_side]));
    assert!(!stop_done(1, &[&vrrp, &bfd_side]));
    bfd_side.pending = 2;
    vrrp.pending = 1;
    assert_eq!(pending(&[&vrrp, &bfd_side]), 3);
    assert!(!stop_done(0, &[&vrrp, &bfd_side]));
    vrrp.pending = 0;
    assert!(!stop_done(0, &[&vrrp, &bfd_side]));
    bfd_side.pending = 0;
    assert!(stop_done(0, &[&vrrp, &bfd_side]));
}

#[test]
fn the_json_state_joins_the_arrays_of_the_subsystems_that_have_one() {
    let log = Log::default();
    let mut vrrp = Fake::new("vrrp", &log);
    let mut other = Fake::new("other", &log);
    let bfd_side = Fake::new("bfd", &log);
    // Nobody has a part, or only empty ones: an empty array (VRRP's answer with no instance).
    assert_eq!(json(&[&vrrp, &bfd_side]), "[]");
    vrrp.json = Some("[]");
    assert_eq!(json(&[&vrrp, &bfd_side]), "[]");
    // One part: unchanged.
    vrrp.json = Some(r#"[{"a":1},{"b":2}]"#);
    assert_eq!(json(&[&vrrp, &bfd_side]), r#"[{"a":1},{"b":2}]"#);
    other.json = Some(r#"[{"c":3}]"#);
    assert_eq!(
        json(&[&vrrp, &bfd_side, &other]),
        r#"[{"a":1},{"b":2},{"c":3}]"#
    );
}

#[test]
fn a_vrrp_state_change_reaches_ipvs_in_the_same_settle() {
    // IPVS sits before VRRP in the list (consumer before provider): the sync daemon hears the
    // instance's MASTER in the wake where it changed.
    let log = Log::default();
    let mut ipvs = Fake::new("ipvs", &log);
    let mut vrrp = Fake::new("vrrp", &log);
    let master = Event::VrrpState {
        instance: "VI_1".to_string(),
        state: crate::vrrp::State::Master,
    };
    vrrp.raise = vec![master.clone()];
    let mut r = reactor();
    let mut queue = Events::new();
    settle(&mut queue, &mut [&mut ipvs, &mut vrrp], r.core(), at(0));
    assert_eq!(
        *log.borrow(),
        vec![("ipvs", master.clone()), ("vrrp", master)]
    );
}
