//! Tracked processes (`vrrp_track_process`): how a process is recognised (`comm` or command
//! line, keepalived's parameter matching), the quorum, and what `/proc` says. Following them
//! (the process connector, rescans) is the runtime's (`run.rs`).

use std::time::Duration;

use log::{info, warn};

use crate::config::vrrp::ParamMatch;
use crate::reactor::TimerId;
use crate::time::Instant;

/// The process name the kernel keeps (`comm`) is at most this long.
const COMM_LEN: usize = 15;

/// How a `vrrp_track_process` recognises its processes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcMatch {
    /// The process name (`comm`, at most 15 bytes) or, with `full_command`, the command's first
    /// word.
    pub name: Vec<u8>,
    /// The parameters, each followed by a NUL, as in `/proc/PID/cmdline`.
    pub params: Vec<u8>,
    pub param_match: Option<ParamMatch>,
    pub full_command: bool,
}

impl ProcMatch {
    pub fn new(
        process: &str,
        params: &[String],
        param_match: Option<ParamMatch>,
        full: bool,
    ) -> ProcMatch {
        let mut name = process.as_bytes().to_vec();
        if !full {
            name.truncate(COMM_LEN);
        }
        let mut p = Vec::new();
        for w in params {
            p.extend_from_slice(w.as_bytes());
            p.push(0);
        }
        ProcMatch {
            name,
            params: p,
            param_match,
            full_command: full,
        }
    }

    /// Does a process with this `comm` and `cmdline` (NUL-separated, as read) match?
    pub fn matches(&self, comm: Option<&[u8]>, cmdline: Option<&[u8]>) -> bool {
        if !self.full_command {
            return comm == Some(&self.name[..]);
        }
        let Some(cmd) = cmdline else { return false };
        let end = cmd.iter().position(|&b| b == 0).unwrap_or(cmd.len());
        if cmd[..end] != self.name[..] {
            return false;
        }
        match self.param_match {
            None => true,
            Some(pm) => check_params(pm, &self.params, cmd.get(end + 1..).unwrap_or(&[])),
        }
    }
}

/// keepalived's `check_params`: `want` and `have` are NUL-terminated parameters.
fn check_params(pm: ParamMatch, want: &[u8], have: &[u8]) -> bool {
    if pm == ParamMatch::Exact && want.is_empty() && have.is_empty() {
        return true;
    }
    if have.len() < want.len() {
        return false;
    }
    match pm {
        ParamMatch::Exact => have == want,
        _ if want.is_empty() => true,
        ParamMatch::Partial => have.starts_with(want),
        // The last parameter may be longer than configured.
        ParamMatch::Initial => want.len() == 1 || have.starts_with(&want[..want.len() - 1]),
    }
}

/// What changed a process count (it decides the delay).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Cause {
    Exec,
    Fork,
    Exit,
    Scan,
}

pub(super) struct Process {
    pub(super) name: String,
    pub(super) m: ProcMatch,
    pub(super) quorum: u32,
    pub(super) quorum_max: u32,
    pub(super) fork_delay: Option<Duration>,
    pub(super) terminate_delay: Option<Duration>,
    /// Matching processes counted now.
    pub(super) count: u32,
    /// Quorum as last reported to the instances.
    pub(super) up: bool,
    /// A pending `fork_delay` or `terminate_delay`: its deadline and timer.
    pub(super) delay: Option<(Instant, TimerId)>,
}

impl Process {
    pub(super) fn new(p: &crate::config::vrrp::TrackProcess) -> Process {
        let m = ProcMatch::new(&p.process, &p.params, p.param_match, p.full_command);
        if !p.full_command && p.process.len() > COMM_LEN {
            warn!(
                "vrrp_track_process {}: process names are at most {COMM_LEN} bytes; matching `{}`",
                p.name,
                String::from_utf8_lossy(&m.name)
            );
        }
        Process {
            name: p.name.clone(),
            m,
            quorum: u32::from(p.quorum),
            quorum_max: p.quorum_max.map_or(u32::MAX, u32::from),
            fork_delay: p.fork_delay,
            terminate_delay: p.terminate_delay,
            count: 0,
            up: false,
            delay: None,
        }
    }

    pub(super) fn want(&self) -> bool {
        self.count >= self.quorum && self.count <= self.quorum_max
    }

    /// What a change of the count through `cause` means, keepalived's quorum rules: a change of
    /// quorum through a fork waits `fork_delay`, through an exit `terminate_delay`, through an
    /// exec not at all; going back meanwhile cancels the wait. A `/proc` scan cannot tell forks
    /// from execs: its losses wait `terminate_delay`, its gains do not wait.
    pub(super) fn step(&self, cause: Cause) -> Step {
        let want = self.want();
        if want == self.up {
            return Step::Settled;
        }
        if self.delay.is_some() {
            return Step::Waiting;
        }
        let delay = match cause {
            Cause::Fork => self.fork_delay,
            Cause::Exit => self.terminate_delay,
            Cause::Scan if !want => self.terminate_delay,
            Cause::Exec | Cause::Scan => None,
        };
        match delay {
            Some(d) => Step::Wait(d),
            None => Step::Report(want),
        }
    }
}

/// What the runtime does after a count changed ([`Process::step`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Step {
    /// The quorum is as last reported: a pending delay is cancelled.
    Settled,
    /// A delay is pending already: its end decides.
    Waiting,
    /// Report after this delay.
    Wait(Duration),
    /// Report this quorum now.
    Report(bool),
}

/// What `/proc` says of a process: its `comm` (unless a zombie), its command line.
pub(super) fn read_proc(pid: i32, comm: bool, cmdline: bool) -> (Option<Vec<u8>>, Option<Vec<u8>>) {
    let c = if comm {
        std::fs::read(format!("/proc/{pid}/stat"))
            .ok()
            .and_then(|s| stat_comm(&s))
    } else {
        None
    };
    let l = if cmdline {
        std::fs::read(format!("/proc/{pid}/cmdline")).ok()
    } else {
        None
    };
    (c, l)
}

/// The `comm` field of `/proc/PID/stat`, `None` for a zombie.
pub(super) fn stat_comm(stat: &[u8]) -> Option<Vec<u8>> {
    let open = stat.iter().position(|&b| b == b'(')?;
    let close = stat.iter().rposition(|&b| b == b')')?;
    if close < open || stat.get(close + 2) == Some(&b'Z') {
        return None;
    }
    Some(stat[open + 1..close].to_vec())
}

pub(super) fn proc_pids() -> Vec<i32> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .collect()
}

pub(super) fn set_quorum(p: &mut Process, up: bool) -> bool {
    if p.up == up {
        return false;
    }
    p.up = up;
    info!(
        "Quorum {} for tracked process {}",
        if up { "gained" } else { "lost" },
        p.name
    );
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    /// keepalived's delays, without a reactor: which change waits which delay.
    #[test]
    fn quorum_steps_follow_keepalived() {
        let five = Duration::from_secs(5);
        let two = Duration::from_secs(2);
        let mut p = Process {
            name: "p".into(),
            m: ProcMatch::new("x", &[], None, false),
            quorum: 1,
            quorum_max: 2,
            fork_delay: Some(five),
            terminate_delay: Some(two),
            count: 0,
            up: false,
            delay: None,
        };
        assert_eq!(
            p.step(Cause::Exec),
            Step::Settled,
            "0 processes, quorum down"
        );
        p.count = 1;
        assert_eq!(p.step(Cause::Exec), Step::Report(true), "an exec: at once");
        assert_eq!(p.step(Cause::Fork), Step::Wait(five));
        assert_eq!(
            p.step(Cause::Scan),
            Step::Report(true),
            "a scan's gain: at once"
        );
        p.up = true;
        p.count = 0;
        assert_eq!(p.step(Cause::Exit), Step::Wait(two));
        assert_eq!(
            p.step(Cause::Exec),
            Step::Report(false),
            "an exec away: at once"
        );
        assert_eq!(p.step(Cause::Scan), Step::Wait(two), "a scan's loss waits");
        p.count = 3;
        assert_eq!(p.step(Cause::Fork), Step::Wait(five), "over quorum_max");
        // A pending delay (Step::Waiting) needs a reactor's timer: see `run.rs`'s test.
        p.count = 2;
        assert_eq!(
            p.step(Cause::Exec),
            Step::Settled,
            "back: the wait is cancelled"
        );
    }

    #[test]
    fn processes_match_by_name_or_command_line() {
        let comm = ProcMatch::new("a-very-long-process-name", &[], None, false);
        assert!(comm.matches(Some(b"a-very-long-pro"), None));
        assert!(!comm.matches(Some(b"a-very-long"), None));
        let cmd = |params: &[&str], pm| {
            let p: Vec<String> = params.iter().map(|s| s.to_string()).collect();
            ProcMatch::new("/usr/sbin/nginx", &p, pm, true)
        };
        let line = b"/usr/sbin/nginx\0-c\0/etc/nginx/nginx.conf\0";
        assert!(cmd(&[], None).matches(None, Some(line)), "name only");
        assert!(!cmd(&[], None).matches(None, Some(b"nginx\0-c\0")));
        assert!(!cmd(&[], Some(ParamMatch::Exact)).matches(None, Some(line)));
        assert!(cmd(&[], Some(ParamMatch::Exact)).matches(None, Some(b"/usr/sbin/nginx\0")));
        assert!(
            cmd(&["-c", "/etc/nginx/nginx.conf"], Some(ParamMatch::Exact))
                .matches(None, Some(line))
        );
        assert!(!cmd(&["-c"], Some(ParamMatch::Exact)).matches(None, Some(line)));
        assert!(cmd(&["-c"], Some(ParamMatch::Partial)).matches(None, Some(line)));
        assert!(!cmd(&["-c", "/etc/ng"], Some(ParamMatch::Partial)).matches(None, Some(line)));
        assert!(cmd(&["-c", "/etc/ng"], Some(ParamMatch::Initial)).matches(None, Some(line)));
        assert!(!cmd(&["-x", "/etc/ng"], Some(ParamMatch::Initial)).matches(None, Some(line)));
        assert!(!cmd(&[], None).matches(None, None));
    }

    #[test]
    fn stat_comm_skips_zombies_and_keeps_parentheses() {
        assert_eq!(stat_comm(b"12 (a (b) c) S 1 2"), Some(b"a (b) c".to_vec()));
        assert_eq!(stat_comm(b"12 (sleep) Z 1 2"), None);
        assert_eq!(stat_comm(b"garbage"), None);
    }
}
