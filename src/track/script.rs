//! Tracked scripts (`vrrp_script`): keepalived's rise/fall counting, pure, and what a run's end
//! means for the script's state.

use std::time::Duration;

use log::{error, info};

use crate::config::scripts::{self, Ids, NoUser, Refusal, SystemEnv};
use crate::reactor::ChildId;
use crate::script::{Spawn, refusal_line, script_ids, split_command};
use crate::time::Instant;

/// How one run of a script ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Exited(i32),
    Signaled(i32),
    TimedOut,
    /// It could not be started.
    NotStarted,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Init {
    /// No result yet: counts for nothing.
    Pending,
    /// `init_fail` and no result yet: counts as failed.
    Failed,
    Done,
}

/// keepalived's rise/fall counter (`vrrp_script_child_thread`): `result` runs from 0 to
/// `rise + fall - 1` and the script is OK while `result >= rise`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RiseFall {
    rise: u32,
    fall: u32,
    result: u32,
    init: Init,
}

impl RiseFall {
    pub fn new(rise: u32, fall: u32, init_fail: bool) -> RiseFall {
        let (rise, fall) = (rise.max(1), fall.max(1));
        RiseFall {
            rise,
            fall,
            // keepalived: "one success is enough" at start; `init_fail`: assume failed.
            result: if init_fail { 0 } else { rise - 1 },
            init: if init_fail {
                Init::Failed
            } else {
                Init::Pending
            },
        }
    }

    /// OK, failed, or `None` before the first result.
    pub fn ok(&self) -> Option<bool> {
        (self.init != Init::Pending).then_some(self.result >= self.rise)
    }

    /// Records one run; returns `Some(ok)` when the state changed (keepalived's "succeeded" /
    /// "failed" lines), including the first result.
    pub fn record(&mut self, success: bool) -> Option<bool> {
        let first = self.init == Init::Pending;
        let top = self.rise + self.fall - 1;
        let mut changed = None;
        if success {
            if self.result + 1 < self.rise {
                self.result += 1;
            } else if self.result != top {
                if self.result < self.rise {
                    changed = Some(true);
                }
                self.result = top;
            }
        } else if self.result > self.rise {
            self.result -= 1;
        } else {
            if self.result == self.rise || first {
                changed = Some(false);
            }
            self.result = 0;
        }
        self.init = Init::Done;
        changed
    }
}

pub(super) struct Script {
    pub(super) name: String,
    /// Its words, user and the file it resolved to when loaded.
    pub(super) spawn: Spawn,
    pub(super) interval: Duration,
    pub(super) timeout: Duration,
    pub(super) state: RiseFall,
    pub(super) rise: u32,
    pub(super) fall: u32,
    pub(super) running: Option<ChildId>,
    /// The last exit status (keepalived logs a change).
    pub(super) last_status: i32,
    /// Refused (unsafe or missing): not run, counts for nothing.
    pub(super) refused: bool,
    /// The deadline of its armed tick: a tick armed by trackers a reload replaced is not this
    /// one's (dropped, not re-armed).
    pub(super) due: Option<Instant>,
}

impl Script {
    pub(super) fn new(
        s: &crate::config::vrrp::VrrpScript,
        default_user: &Result<Ids, NoUser>,
        security: bool,
    ) -> Script {
        let ids = script_ids(s.user.as_deref(), s.group.as_deref(), default_user);
        let argv = split_command(&s.script);
        let pinned = match (&ids, argv.first()) {
            (Ok(ids), Some(prog)) => scripts::resolve(prog, *ids, &SystemEnv).ok(),
            _ => None,
        };
        Script {
            name: s.name.clone(),
            spawn: Spawn {
                argv,
                ids,
                security,
                pinned,
            },
            interval: s.interval,
            timeout: s.effective_timeout(),
            state: RiseFall::new(s.rise, s.fall, s.init_fail),
            rise: s.rise,
            fall: s.fall,
            running: None,
            last_status: 0,
            refused: false,
            due: None,
        }
    }

    /// OK, failed, or not counted.
    pub(super) fn ok(&self) -> Option<bool> {
        if self.refused { None } else { self.state.ok() }
    }

    /// The security check refused a run: logged once, with what to change; `true` when the
    /// script stops counting (it had a result).
    pub(super) fn refuse(&mut self, r: &Refusal) -> bool {
        if self.refused {
            return false;
        }
        let prog = self.spawn.argv.first().map(String::as_str).unwrap_or("");
        error!("VRRP_Script({}): {}", self.name, refusal_line(r, prog));
        self.refused = true;
        self.state.ok().is_some()
    }

    /// The check passed: a script refused until now counts again from scratch (as at start,
    /// without `init_fail`).
    pub(super) fn admit(&mut self) {
        if self.refused {
            info!("VRRP_Script({}): the script can run now", self.name);
            self.refused = false;
            self.state = RiseFall::new(self.rise, self.fall, false);
        }
    }
}

/// Records a run and logs as keepalived does; `true` when the script's state changed.
pub(super) fn record(s: &mut Script, outcome: Outcome) -> bool {
    if let Outcome::Exited(c) = outcome
        && c != s.last_status
    {
        info!("Script `{}` now returning {c}", s.name);
        s.last_status = c;
    }
    let before = s.ok();
    match s.state.record(outcome == Outcome::Exited(0)) {
        Some(true) => info!("VRRP_Script({}) succeeded", s.name),
        Some(false) => match outcome {
            Outcome::Exited(c) => info!("VRRP_Script({}) failed (exited with status {c})", s.name),
            Outcome::Signaled(sig) => info!("VRRP_Script({}) failed (due to signal {sig})", s.name),
            Outcome::TimedOut => info!("VRRP_Script({}) timed_out", s.name),
            Outcome::NotStarted => info!("VRRP_Script({}) failed (not started)", s.name),
        },
        None => {}
    }
    s.ok() != before
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A refused script stops counting (reported once) and, once it passes, starts again from
    /// scratch: its first result decides.
    #[test]
    fn refused_scripts_count_for_nothing_until_they_pass() {
        let mut s = Script {
            name: "chk".into(),
            spawn: Spawn {
                argv: vec!["/no/such/script-krs".into()],
                ids: Err(NoUser::NoDefault),
                security: true,
                pinned: None,
            },
            interval: Duration::from_secs(1),
            timeout: Duration::from_secs(1),
            state: RiseFall::new(2, 2, false),
            rise: 2,
            fall: 2,
            running: None,
            last_status: 0,
            refused: false,
            due: None,
        };
        assert!(
            !s.refuse(&Refusal::NoUser(NoUser::NoDefault)),
            "no result yet"
        );
        assert_eq!(s.ok(), None);
        s.admit();
        assert!(record(&mut s, Outcome::Exited(0)));
        assert_eq!(s.ok(), Some(true));
        assert!(
            s.refuse(&Refusal::NoUser(NoUser::NoDefault)),
            "it stops counting"
        );
        assert_eq!(s.ok(), None);
        assert!(!s.refuse(&Refusal::NoUser(NoUser::NoDefault)), "once");
        s.admit();
        assert_eq!(s.ok(), None, "from scratch");
        assert!(
            record(&mut s, Outcome::Exited(1)),
            "the first result decides"
        );
        assert_eq!(s.ok(), Some(false));
        assert!(!record(&mut s, Outcome::TimedOut));
    }

    #[test]
    fn rise_and_fall_count_as_keepalived() {
        // rise 2, fall 3: the first result decides at once; then 3 failures, 2 successes.
        let mut r = RiseFall::new(2, 3, false);
        assert_eq!(r.ok(), None);
        assert_eq!(r.record(true), Some(true));
        assert_eq!(r.ok(), Some(true));
        assert_eq!(r.record(false), None);
        assert_eq!(r.record(false), None);
        assert_eq!(r.record(true), None, "a success in between resets the fall");
        assert_eq!(r.record(false), None);
        assert_eq!(r.record(false), None);
        assert_eq!(r.record(false), Some(false));
        assert_eq!(r.ok(), Some(false));
        assert_eq!(r.record(true), None);
        assert_eq!(r.record(false), None, "a failure restarts the rise");
        assert_eq!(r.record(true), None);
        assert_eq!(r.record(true), Some(true));
        // A first failure is reported at once too.
        let mut r = RiseFall::new(3, 3, false);
        assert_eq!(r.record(false), Some(false));
        // init_fail: failed from the start, `rise` successes to be OK.
        let mut r = RiseFall::new(2, 1, true);
        assert_eq!(r.ok(), Some(false));
        assert_eq!(r.record(false), None);
        assert_eq!(r.record(true), None);
        assert_eq!(r.record(true), Some(true));
        // rise 1, fall 1: every change reported.
        let mut r = RiseFall::new(1, 1, false);
        assert_eq!(r.record(true), Some(true));
        assert_eq!(r.record(true), None);
        assert_eq!(r.record(false), Some(false));
        assert_eq!(r.record(false), None);
        assert_eq!(r.record(true), Some(true));
    }
}
