//! Notifications of VRRP state changes: the notify FIFOs (ordered, keepalived's line formats) and
//! the notify scripts (keepalived's arguments).
//!
//! FIFO lines, one per event, in the order the machines produced them:
//! `INSTANCE "VI_1" MASTER 150`, `INSTANCE "VI_1" MASTER_RX_LOWER_PRI 150`,
//! `INSTANCE "VI_1" MASTER_PRIORITY 140` (with `notify_priority_changes`). A FIFO is opened
//! read-write and non-blocking, so the daemon never waits for a reader and the first lines are
//! kept in the pipe until one comes; when the pipe is full, lines wait in a queue (in order) and
//! go out with the next line.
//!
//! Scripts: `notify_master` / `notify_backup` / `notify_fault` / `notify_stop` run with no added
//! arguments; `notify` gets `INSTANCE NAME STATE PRIORITY` appended (keepalived's `vrrp_notify.c`).
//! They run as their `user [group]`, else `script_user`, else root; through the reactor, never
//! waited for. Scripts may finish out of order, as in keepalived; the FIFOs are the ordered
//! channel (reference section 2.11).

use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, Write};
use std::path::PathBuf;
use std::process::Command;

use log::{debug, error, warn};

use crate::config::Config;
use crate::config::vrrp::{Notifies, Notify};
use crate::vrrp::State;

/// keepalived's word for a state in notifications.
pub fn state_word(s: State) -> &'static str {
    match s {
        State::Init => "STOP",
        State::Backup => "BACKUP",
        State::Master => "MASTER",
        State::Fault => "FAULT",
    }
}

struct FifoOut {
    path: PathBuf,
    file: Option<File>,
    queue: VecDeque<Vec<u8>>,
}

impl FifoOut {
    fn open(path: PathBuf) -> FifoOut {
        let mut f = FifoOut {
            path,
            file: None,
            queue: VecDeque::new(),
        };
        f.reopen();
        f
    }

    /// Creates the FIFO if missing and opens it: never through a symlink, never anything but a
    /// FIFO (a user's link to a root file in `/tmp` must not receive the lines).
    fn reopen(&mut self) {
        use crate::sys::files;
        if let Err(e) = crate::sys::mkfifo(&self.path) {
            error!("Cannot create notify FIFO {}: {e}", self.path.display());
            return;
        }
        match files::open_checked(
            &self.path,
            std::fs::OpenOptions::new().read(true).write(true),
            0,
            files::MODE,
            files::Kind::Fifo,
        ) {
            Ok(f) => self.file = Some(f),
            Err(e) => error!("Cannot open notify FIFO {}: {e}", self.path.display()),
        }
    }

    fn write(&mut self, line: &str) {
        let mut l = line.as_bytes().to_vec();
        l.push(b'\n');
        self.queue.push_back(l);
        self.flush();
    }

    fn flush(&mut self) {
        let Some(f) = &mut self.file else { return };
        while let Some(l) = self.queue.front_mut() {
            match f.write(l) {
                Ok(n) if n == l.len() => {
                    self.queue.pop_front();
                }
                Ok(n) => {
                    l.drain(..n);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    debug!(
                        "notify FIFO {} full: {} line(s) wait",
                        self.path.display(),
                        self.queue.len()
                    );
                    return;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    warn!("notify FIFO {}: {e}", self.path.display());
                    return;
                }
            }
        }
    }
}

/// A command to start: program, arguments, credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spawn {
    pub argv: Vec<String>,
    pub uid: Option<u32>,
    pub gid: Option<u32>,
}

impl Spawn {
    pub fn command(&self) -> Option<Command> {
        use std::os::unix::process::CommandExt;
        let (prog, args) = self.argv.split_first()?;
        let mut c = Command::new(prog);
        c.args(args)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        if let Some(g) = self.gid {
            c.gid(g);
        }
        if let Some(u) = self.uid {
            c.uid(u);
        }
        Some(c)
    }
}

/// Whom scripts run as by default: `script_user [group]`, else `keepalived_script` if that user
/// exists, else `None` (the daemon's own user, root).
pub fn default_script_user(cfg: &Config) -> Option<(u32, u32)> {
    // No script at all: no lookup (on glibc it loads NSS modules, ~0.9 MB of RSS).
    if cfg.global.scripts().is_empty() && cfg.vrrp.scripts().is_empty() {
        return None;
    }
    match cfg.global.script_user() {
        Some(u) => crate::sys::user_ids(&u.user).map(|(uid, gid)| {
            let gid = u
                .group
                .as_deref()
                .and_then(crate::sys::group_gid)
                .unwrap_or(gid);
            (uid, gid)
        }),
        // keepalived: `keepalived_script` if that user exists, else root.
        None => crate::sys::user_ids("keepalived_script"),
    }
}

/// The credentials of a script with its own `user [group]`, else the default ones (as notify
/// scripts get theirs).
pub fn script_ids(
    user: Option<&str>,
    group: Option<&str>,
    default: Option<(u32, u32)>,
) -> (Option<u32>, Option<u32>) {
    let ids = user.and_then(crate::sys::user_ids);
    let gid = group
        .and_then(crate::sys::group_gid)
        .or(ids.map(|(_, g)| g));
    (
        ids.map(|(u, _)| u).or(default.map(|(u, _)| u)),
        gid.or(default.map(|(_, g)| g)),
    )
}

/// The FIFOs and the default credentials of scripts.
pub struct Notifier {
    fifos: Vec<FifoOut>,
    default_user: Option<(u32, u32)>,
    /// Reader scripts of the FIFOs, started once.
    pub readers: Vec<Spawn>,
}

impl Notifier {
    pub fn new(cfg: &Config) -> Notifier {
        let g = &cfg.global;
        let default_user = default_script_user(cfg);
        let mut fifos = Vec::new();
        let mut readers = Vec::new();
        for f in [&g.fifos.notify, &g.fifos.vrrp] {
            let Some(p) = &f.path else { continue };
            fifos.push(FifoOut::open(PathBuf::from(&p.path)));
            if let Some(s) = &f.script {
                let mut argv = split_command(&s.cmd);
                argv.push(p.path.clone());
                readers.push(Spawn {
                    argv,
                    uid: s
                        .user
                        .as_deref()
                        .and_then(crate::sys::user_ids)
                        .map(|(u, _)| u)
                        .or(default_user.map(|(u, _)| u)),
                    gid: s
                        .user
                        .as_deref()
                        .and_then(crate::sys::user_ids)
                        .map(|(_, g)| g)
                        .or(default_user.map(|(_, g)| g)),
                });
            }
        }
        Notifier {
            fifos,
            default_user,
            readers,
        }
    }

    /// Writes one line to every FIFO.
    pub fn fifo_line(&mut self, line: &str) {
        for f in &mut self.fifos {
            f.write(line);
        }
    }

    /// The scripts to run for instance `name` entering `to` at priority `prio`.
    pub fn scripts(&self, n: &Notifies, name: &str, to: State, prio: u8) -> Vec<Spawn> {
        self.both(n, specific(n, to), "INSTANCE", name, state_word(to), prio)
    }

    /// The scripts of sync group `name` entering `to`: the state's own script, and `notify` with
    /// `GROUP NAME STATE 0` appended (keepalived's arguments: priority 0 for groups).
    pub fn group_scripts(&self, n: &Notifies, name: &str, to: State) -> Vec<Spawn> {
        self.both(n, specific(n, to), "GROUP", name, state_word(to), 0)
    }

    /// The scripts of an instance a reload removes, with `notify_deleted`: its `notify_deleted`
    /// command, and `notify` with `INSTANCE NAME DELETED PRIORITY`.
    pub fn deleted_scripts(&self, n: &Notifies, name: &str, prio: u8) -> Vec<Spawn> {
        self.both(
            n,
            n.deleted_script.as_ref(),
            "INSTANCE",
            name,
            "DELETED",
            prio,
        )
    }

    /// The state's own script (no arguments added), then `notify` with keepalived's four words.
    fn both(
        &self,
        n: &Notifies,
        own: Option<&Notify>,
        kind: &str,
        name: &str,
        word: &str,
        prio: u8,
    ) -> Vec<Spawn> {
        let mut out: Vec<Spawn> = own.map(|s| self.spawn(s, &[])).into_iter().collect();
        if let Some(s) = &n.notify {
            let extra = [kind, name, word].map(str::to_string);
            let mut extra = extra.to_vec();
            extra.push(prio.to_string());
            out.push(self.spawn(s, &extra));
        }
        out
    }

    /// `notify_master_rx_lower_pri`, if configured.
    pub fn rx_lower_pri(&self, n: &Notifies) -> Option<Spawn> {
        n.master_rx_lower_pri.as_ref().map(|s| self.spawn(s, &[]))
    }

    fn spawn(&self, s: &Notify, extra: &[String]) -> Spawn {
        let mut argv = split_command(&s.command);
        argv.extend_from_slice(extra);
        let (uid, gid) = script_ids(s.user.as_deref(), s.group.as_deref(), self.default_user);
        Spawn { argv, uid, gid }
    }
}

/// The script of `notify_master`, `notify_backup`, `notify_fault` or `notify_stop` for `to`.
fn specific(n: &Notifies, to: State) -> Option<&Notify> {
    match to {
        State::Master => n.master.as_ref(),
        State::Backup => n.backup.as_ref(),
        State::Fault => n.fault.as_ref(),
        State::Init => n.stop.as_ref(),
    }
}

/// Splits a command line as keepalived does: blanks separate words, single and double quotes
/// group, a backslash outside single quotes escapes the next character.
pub fn split_command(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some('\''), c) => cur.push(c),
            (_, '\\') => {
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
                in_word = true;
            }
            (Some(_), c) => cur.push(c),
            (None, '"' | '\'') => {
                quote = Some(c);
                in_word = true;
            }
            (None, ' ' | '\t') => {
                if in_word {
                    out.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            (None, c) => {
                cur.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        out.push(cur);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_split_like_keepalived() {
        assert_eq!(split_command("/bin/x a  b"), ["/bin/x", "a", "b"]);
        assert_eq!(
            split_command("/bin/x 'a b' \"c d\""),
            ["/bin/x", "a b", "c d"]
        );
        assert_eq!(split_command("/bin/x a\\ b ''"), ["/bin/x", "a b", ""]);
        assert!(split_command("  ").is_empty());
    }

    #[test]
    fn state_words() {
        assert_eq!(state_word(State::Init), "STOP");
        assert_eq!(state_word(State::Master), "MASTER");
    }
}
