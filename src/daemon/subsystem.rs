//! The shape every subsystem of the daemon has, the queue of events between them, and the pure
//! parts of the dispatcher that ask all of them (settling the queue, placing a reload, knowing
//! when an orderly stop is over).
//!
//! # Invariants
//! - The dispatcher keeps its subsystems in one list, consumers before providers (IPVS, VRRP, then
//!   BFD; the e-mail alerts, which only listen, last). Stops, dumps and event deliveries walk the list in
//!   order; starts and reloads walk it backwards, so that a provider exists before its consumer.
//! - Events between subsystems go through one [`Events`] queue. After every wake (and after a
//!   reload) the dispatcher moves each subsystem's new events into the queue and delivers them
//!   until it is empty ([`settle`]), so that a consumer acts in the same wake as the change it
//!   hears of (`track_bfd` reacts in the wake where the session changed). Events a delivery
//!   raises join the end of the queue.
//! - A subsystem that is not running still answers: nothing pending, no deadline, and the dump
//!   text keepalived writes for it when it has nothing (the VRRP topology header, an empty JSON
//!   array).

use std::collections::VecDeque;
use std::time::Duration;

use log::warn;

use crate::config::Config;
use crate::reactor::{ChildEnd, ChildId, Core};
use crate::time::Instant;

/// An event from one subsystem to the others.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// BFD session `name` went Up (`up`) or left Up. `vrrp` and `checker`: whom its
    /// `bfd_instance` sends events to (`vrrp`, `checker`, or both when it names neither). The
    /// start state of a session, given to whoever tracks it, has both set.
    BfdChanged {
        name: String,
        up: bool,
        vrrp: bool,
        checker: bool,
    },
    /// VRRP instance `instance` entered `state` (raised on every change of state, and for
    /// every instance after a reload; the IPVS sync daemon follows the instance
    /// `lvs_sync_daemon` names).
    VrrpState {
        instance: String,
        state: crate::vrrp::State,
    },
    /// VRRP sync group `group` moved its members to `state` (the e-mail alerts follow it).
    SyncGroupState {
        group: String,
        state: crate::vrrp::State,
    },
    /// A check of a real server went up or down, or a virtual server's quorum changed (the
    /// e-mail alerts follow them).
    Check(crate::executor::check::CheckAlert),
}

/// The queue of events between subsystems.
pub type Events = VecDeque<Event>;

/// The dumps a subsystem writes its part of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dump {
    /// The data file (SIGUSR1).
    Data,
    /// The statistics file (SIGUSR2, SIGRTMIN+2).
    Stats,
}

/// What the dispatcher asks of every subsystem (VRRP and BFD today; the checkers and IPVS
/// next). The wakes of a subsystem's own keys reach it through [`Routed`].
pub trait Subsystem<K> {
    /// Starts the subsystem (when it is not running, is enabled and `cfg` has work for it), or
    /// hands it the new configuration. An error means the subsystem could not start.
    fn apply(&mut self, cfg: &Config, core: &mut Core<K>, now: Instant) -> Result<(), String>;

    /// Begins an orderly stop (goodbyes to peers, kernel state removed).
    fn stop(&mut self, core: &mut Core<K>, now: Instant);

    /// Moves the events raised since the last call into `queue`.
    fn take_events(&mut self, _queue: &mut Events) {}

    /// An event of another subsystem (every subsystem sees every event and keeps what it
    /// needs).
    fn on_event(&mut self, _core: &mut Core<K>, _now: Instant, _ev: &Event) {}

    /// The BFD sessions this subsystem tracks by name (told their state after a start or
    /// reload).
    fn tracked_bfds(&self) -> Vec<String> {
        Vec::new()
    }

    /// Whether BFD session `name` is Up, when this subsystem runs it.
    fn bfd_up(&self, _name: &str) -> Option<bool> {
        None
    }

    /// The earliest deadline that must not be delayed (an advert to send).
    fn next_deadline(&self) -> Option<Instant> {
        None
    }

    /// Requests to the kernel not yet answered (an orderly stop waits for them).
    fn pending(&self) -> usize {
        0
    }

    /// Zeroes the statistics.
    fn clear_counters(&mut self) {}

    /// This subsystem's part of a dump file.
    fn dump(&self, what: Dump) -> String;

    /// This subsystem's objects in the JSON state (the JSON file and `--status`): a JSON
    /// array, or `None` when it has no part in it.
    fn json(&self) -> Option<String> {
        None
    }

    /// This subsystem's metric families (`metrics_listen`), from the views of its dumps.
    #[cfg(feature = "metrics")]
    fn metrics(&self, _e: &mut crate::metrics::expo::Expo) {}
}

/// The wakes of a subsystem's own fds, timers and children: the dispatcher's key `K` wraps the
/// subsystem's [`Routed::Key`] and hands it the inner key.
pub trait Routed<K>: Subsystem<K> {
    type Key: Copy;

    /// One of its fds is readable (drained until `WouldBlock`).
    fn on_io(&mut self, core: &mut Core<K>, now: Instant, key: Self::Key);

    /// One of its timers, armed for `deadline`, is due.
    fn on_timer(&mut self, core: &mut Core<K>, now: Instant, key: Self::Key, deadline: Instant);

    /// One of its children ended. `false`: not one it waits for (the dispatcher logs it).
    fn on_child(
        &mut self,
        _core: &mut Core<K>,
        _now: Instant,
        _key: Self::Key,
        _id: ChildId,
        _end: ChildEnd,
    ) -> bool {
        false
    }
}

/// Moves every subsystem's new events into `queue` and delivers them, in order, to every
/// subsystem, until the queue is empty. A subsystem that keeps answering events with events
/// is cut off after [`MAX_EVENTS_PER_WAKE`] deliveries (logged; the rest is dropped). Returns
/// how many events were delivered.
pub fn settle<K>(
    queue: &mut Events,
    subs: &mut [&mut dyn Subsystem<K>],
    core: &mut Core<K>,
    now: Instant,
) -> usize {
    collect(queue, subs);
    let mut delivered = 0usize;
    while let Some(ev) = queue.pop_front() {
        if delivered == MAX_EVENTS_PER_WAKE {
            warn!(
                "{} event(s) between subsystems dropped: more than {MAX_EVENTS_PER_WAKE} in one wake",
                queue.len() + 1
            );
            queue.clear();
            return delivered;
        }
        delivered += 1;
        for s in subs.iter_mut() {
            s.on_event(core, now, &ev);
        }
        collect(queue, subs);
    }
    delivered
}

/// The most events [`settle`] delivers in one wake (a loop between subsystems is a bug; this
/// keeps it from stalling the daemon).
pub const MAX_EVENTS_PER_WAKE: usize = 100_000;

fn collect<K>(queue: &mut Events, subs: &mut [&mut dyn Subsystem<K>]) {
    for s in subs.iter_mut() {
        s.take_events(queue);
    }
}

/// Tells each subsystem the state of every BFD session it tracks: the state of the subsystem
/// that runs the session, or up when none does (no BFD subsystem, `-B`, or no such session).
pub fn seed_bfd_states<K>(subs: &mut [&mut dyn Subsystem<K>], core: &mut Core<K>, now: Instant) {
    for i in 0..subs.len() {
        let states: Vec<Event> = subs[i]
            .tracked_bfds()
            .into_iter()
            .map(|name| {
                let up = subs.iter().find_map(|s| s.bfd_up(&name)).unwrap_or(true);
                Event::BfdChanged {
                    name,
                    up,
                    vrrp: true,
                    checker: true,
                }
            })
            .collect();
        for ev in &states {
            subs[i].on_event(core, now, ev);
        }
    }
}

/// The earliest deadline of any subsystem.
pub fn next_deadline<K>(subs: &[&dyn Subsystem<K>]) -> Option<Instant> {
    subs.iter().filter_map(|s| s.next_deadline()).min()
}

/// When a reload that holds the loop for `cost` should run: `None` for now, or just after
/// `next` (the earliest deadline of any subsystem) when that falls within twice the cost (plus
/// a millisecond, plus `wait`) of `now`, so that a reload never delays an advert. `wait` is how
/// long the reload may wait for a CPU before it starts: zero when the loop keeps its
/// scheduling; a reload that leaves SCHED_RR queues behind the host's runnable processes first.
pub fn reload_at(
    now: Instant,
    cost: Duration,
    wait: Duration,
    next: Option<Instant>,
) -> Option<Instant> {
    let margin = cost * 2 + Duration::from_millis(1) + wait;
    match next {
        Some(next) if next < now + margin => Some(next + Duration::from_micros(50)),
        _ => None,
    }
}

/// Kernel requests of every subsystem not yet answered.
pub fn pending<K>(subs: &[&dyn Subsystem<K>]) -> usize {
    subs.iter().map(|s| s.pending()).sum()
}

/// An orderly stop is over once no child runs and no subsystem waits for the kernel.
pub fn stop_done<K>(children: usize, subs: &[&dyn Subsystem<K>]) -> bool {
    children == 0 && pending(subs) == 0
}

/// The JSON state: the arrays of the subsystems that have a part in it, as one array.
pub fn json<K>(subs: &[&dyn Subsystem<K>]) -> String {
    join_parts(subs.iter().filter_map(|s| s.json()))
}

/// Two JSON arrays as one.
pub fn join_arrays(a: &str, b: &str) -> String {
    join_parts([a.to_string(), b.to_string()].into_iter())
}

fn join_parts(parts: impl Iterator<Item = String>) -> String {
    let mut o = String::from("[");
    for part in parts {
        let items = part
            .strip_prefix('[')
            .and_then(|p| p.strip_suffix(']'))
            .unwrap_or(&part);
        if items.is_empty() {
            continue;
        }
        if o.len() > 1 {
            o.push(',');
        }
        o.push_str(items);
    }
    o.push(']');
    o
}

#[cfg(test)]
mod tests;
