//! What an instance tells the world besides packets and kernel actions: state changes and the
//! lines keepalived would log, as typed values.
//!
//! The machine never formats a string while running; [`Event::line`] renders the log line, in
//! keepalived's words, only when the daemon decides to log it. Lines keepalived prints only with
//! `-D` (`LOG_DETAIL_BIT`) report [`Event::detail`] `true`.

use std::net::IpAddr;
use std::time::Duration;

use super::validate::DropReason;

/// The protocol state of an instance (RFC 5798 section 6.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    /// Not started yet, or stopped (after [`super::Input::Shutdown`]).
    Init,
    /// Monitoring the master, ready to take over (RFC 5798 6.4.2).
    Backup,
    /// Forwarding for the VIPs and advertising (RFC 5798 6.4.3).
    Master,
    /// Interface down or a weight-0 tracked object failed (keepalived's FAULT).
    Fault,
}

impl State {
    /// keepalived's name, as in notify scripts and the FIFO.
    pub fn name(self) -> &'static str {
        match self {
            State::Init => "INIT",
            State::Backup => "BACKUP",
            State::Master => "MASTER",
            State::Fault => "FAULT",
        }
    }
}

/// Why the state changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// Initialisation (keepalived's "(init)").
    Startup,
    /// The address owner (priority 255) takes over at once (RFC 5798 6.4.1).
    Owner,
    /// The Master_Down_Timer fired (RFC 5798 6.4.2).
    MasterDown,
    /// A higher-priority advertisement, or equal priority from a higher address (RFC 5798 6.4.3).
    Preempted,
    /// The interface went down.
    LinkDown,
    /// A tracked object with weight 0 failed.
    TrackFault,
    /// The interface is up and no tracked object is in fault any more.
    FaultCleared,
    /// A VIP was removed from the interface behind our back (keepalived `set_vrrp_backup`).
    VipRemoved,
    /// [`super::Input::Shutdown`].
    Shutdown,
    /// An order of the instance's sync group ([`super::Input::Sync`]).
    Sync,
}

/// A line keepalived logs, without a state change of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Note {
    /// BACKUP: Master_Down_Timer fired.
    AdvertTimeout,
    /// MASTER: a higher-priority advertisement; we give way.
    HigherPriority { src: IpAddr, priority: u8, ours: u8 },
    /// MASTER: same priority, higher primary address; we give way.
    SamePriorityHigherAddr { src: IpAddr, priority: u8 },
    /// MASTER: a lower-priority advertisement (keepalived's `MASTER_RX_LOWER_PRI` notify event).
    /// `forcing` is true when we answered with an advertisement (not `lower_prio_no_advert`).
    LowerPriority {
        src: IpAddr,
        priority: u8,
        ours: u8,
        forcing: bool,
    },
    /// BACKUP with preemption: a lower-priority advertisement is discarded.
    DiscardLowerPriority { src: IpAddr, priority: u8 },
    /// BACKUP: the master is stopping.
    BackupPriorityZero,
    /// MASTER: another router sent priority 0; we answered.
    MasterPriorityZero,
    /// MASTER: equal priority from our own address (a loop or a duplicate address).
    EqualPriorityOurAddress,
    /// Two address owners: ours drops to 254 (keepalived's rogue-owner handling).
    RogueOwner,
    /// VRRPv3 BACKUP adopted the master's advertisement interval.
    IntervalAdopted { from: Duration, to: Duration },
    /// VRRPv3: back to our own interval on becoming master.
    IntervalRestored { from: Duration, to: Duration },
    /// `preempt_delay` started holding preemption back.
    PreemptDelayStart(Duration),
    /// `preempt_delay` stopped: an advertisement of higher or equal priority arrived.
    PreemptDelayStop,
    /// We sent a priority-0 advertisement.
    PriorityZeroSent,
    /// The effective priority changed (tracking weights); keepalived's `notify_priority_changes`.
    EffectivePriority { from: u8, to: u8 },
    /// A VIP disappeared from the interface while we were master.
    VipRemoved(IpAddr),
}

/// An event for the daemon: log it, notify scripts and FIFOs, update the sync group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// The instance changed state (notify scripts, FIFO, sync group, SNMP).
    StateChange {
        from: State,
        to: State,
        reason: Reason,
    },
    /// Something to log (and, for some notes, to notify).
    Note(Note),
    /// A received packet was dropped (and counted).
    Dropped { src: IpAddr, reason: DropReason },
    /// Sync-group members only ([`super::Params::sync_member`]): the state this member would
    /// take without its group changed (keepalived's `wantstate`): `Fault` while its own
    /// interface or a weight-0 tracker is down, `Master` while it is MASTER or its
    /// Master_Down_Timer has fired (or it is the address owner), `Backup` otherwise. Give it to
    /// the [`super::SyncGroup`].
    Want(State),
}

fn ms(d: Duration) -> u128 {
    d.as_millis()
}

impl Event {
    /// The log line for instance `name`: "(VI_1) Entering MASTER STATE".
    pub fn line(&self, name: &str) -> String {
        match *self {
            Event::StateChange { to, reason, .. } => match (to, reason) {
                (State::Init, _) => format!("({name}) Stopped"),
                (_, Reason::Startup) => format!("({name}) Entering {} STATE (init)", to.name()),
                _ => format!("({name}) Entering {} STATE", to.name()),
            },
            Event::Note(n) => note_line(name, n),
            Event::Dropped { src, reason } => reason.line(name, src),
            // Not in keepalived's log: its wantstate is silent.
            Event::Want(s) => format!("({name}) sync group member wants {} STATE", s.name()),
        }
    }

    /// keepalived prints this line only with `-D` (detailed logging).
    pub fn detail(&self) -> bool {
        match self {
            Event::StateChange { .. } | Event::Dropped { .. } => false,
            Event::Want(_) => true,
            Event::Note(n) => matches!(
                n,
                Note::AdvertTimeout
                    | Note::BackupPriorityZero
                    | Note::MasterPriorityZero
                    | Note::IntervalAdopted { .. }
                    | Note::IntervalRestored { .. }
                    | Note::PreemptDelayStart(_)
                    | Note::PreemptDelayStop
                    | Note::PriorityZeroSent
            ),
        }
    }

    /// The level to log at: drops are debug (one line each, STYLE section 4), and so is a sync
    /// member's wish (keepalived does not log it); the rest info.
    pub fn level(&self) -> log::Level {
        match self {
            Event::Dropped { .. } | Event::Want(_) => log::Level::Debug,
            Event::Note(Note::RogueOwner | Note::EqualPriorityOurAddress) => log::Level::Warn,
            _ => log::Level::Info,
        }
    }
}

fn note_line(name: &str, n: Note) -> String {
    match n {
        Note::AdvertTimeout => format!("({name}) Receive advertisement timeout"),
        Note::HigherPriority {
            src,
            priority,
            ours,
        } => format!(
            "({name}) Master received advert from {src} with higher priority {priority}, ours {ours}"
        ),
        Note::SamePriorityHigherAddr { src, priority } => format!(
            "({name}) Master received advert from {src} with same priority {priority} but higher IP address than ours"
        ),
        Note::LowerPriority {
            src,
            priority,
            ours,
            forcing,
        } => format!(
            "({name}) Received advert from {src} with lower priority {priority}, ours {ours}{}",
            if forcing {
                ", forcing new election"
            } else {
                ""
            }
        ),
        Note::DiscardLowerPriority { src, priority } => {
            format!("({name}) received lower priority ({priority}) advert from {src} - discarding")
        }
        Note::BackupPriorityZero => format!("({name}) Backup received priority 0 advertisement"),
        Note::MasterPriorityZero => format!("({name}) Master received priority 0 message"),
        Note::EqualPriorityOurAddress => format!(
            "({name}) WARNING - equal priority advert received from remote host with our IP address."
        ),
        Note::RogueOwner => format!(
            "({name}) CONFIGURATION ERROR: local instance and a remote instance are both configured as address owner, please fix - reducing local priority"
        ),
        Note::IntervalAdopted { from, to } => format!(
            "({name}) advertisement interval updated from {}ms to {}ms by master",
            ms(from),
            ms(to)
        ),
        Note::IntervalRestored { from, to } => format!(
            "({name}) changing advert interval from {}ms to locally configured {}ms",
            ms(from),
            ms(to)
        ),
        Note::PreemptDelayStart(d) => format!(
            "({name}) start preempt delay ({}.{:06})",
            d.as_secs(),
            d.subsec_micros()
        ),
        Note::PreemptDelayStop => format!("({name}) stop preempt delay"),
        Note::PriorityZeroSent => format!("({name}) sent 0 priority"),
        Note::EffectivePriority { from, to } => {
            format!("({name}) Changing effective priority from {from} to {to}")
        }
        // Not keepalived's words: its netlink reflector logs the deletion elsewhere.
        Note::VipRemoved(vip) => {
            format!("({name}) VIP {vip} removed while MASTER, giving way to reinstate it")
        }
    }
}
