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
//! They run as their `user [group]`, else `script_user`, else `keepalived_script`, else root (with
//! `enable_script_security`: no one); through the reactor, never waited for. Every script, FIFO
//! readers included, passes the one check of `config::scripts` right before it starts; a script
//! that fails it does not run, and the log says why and what to change. Scripts may finish out of order, as in keepalived; the FIFOs are the ordered
//! channel (reference section 2.11).

use std::collections::{HashMap, VecDeque};
use std::fs::File;
use std::io::{self, Write};
use std::path::PathBuf;
use std::process::Command;

use log::{debug, error, warn};

use crate::config::Config;
use crate::config::scripts::{self, Ids, NoUser, Refusal, ScriptEnv, SystemEnv};
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

/// A script to start: its words, whom it runs as, and what its script-security check needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spawn {
    pub argv: Vec<String>,
    /// Whom it runs as, or why no one may run it.
    pub ids: Result<Ids, NoUser>,
    /// `enable_script_security` of the configuration it came from.
    pub security: bool,
    /// Its file, every link resolved, when the configuration was loaded (keepalived resolves
    /// once, at load: a link changed later does not redirect the run).
    pub pinned: Option<PathBuf>,
}

impl Spawn {
    /// The command to start, if the script may run now: the one check of `config::scripts`,
    /// made again right before every run. The file executed is the checked one (every link
    /// resolved), with `argv[0]` as configured, as its user and group.
    pub fn checked_command(&self) -> Result<Command, Refusal> {
        use std::os::unix::process::CommandExt;
        let Some((prog, args)) = self.argv.split_first() else {
            return Err(Refusal::NotFound("no command".into()));
        };
        let ids = self.ids.clone().map_err(Refusal::NoUser)?;
        let run =
            scripts::check_script(prog, self.pinned.as_deref(), ids, self.security, &SystemEnv)?;
        let mut c = Command::new(&run.path);
        c.arg0(prog)
            .args(args)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .gid(ids.gid)
            .uid(ids.uid);
        Ok(c)
    }

    /// [`Spawn::checked_command`], a refusal logged with what to change (notify and FIFO reader
    /// scripts; `vrrp_script`s log a refusal once, see `track`).
    pub fn command(&self) -> Option<Command> {
        match self.checked_command() {
            Ok(c) => Some(c),
            Err(r) => {
                let prog = self.argv.first().map(String::as_str).unwrap_or("");
                error!("{}", refusal_line(&r, prog));
                None
            }
        }
    }
}

/// The log line of a refused run: what is wrong, and what to change.
pub fn refusal_line(r: &Refusal, prog: &str) -> String {
    match r {
        Refusal::Unsafe(u) => format!(
            "{} - not running it as root with enable_script_security; {}",
            u.message, u.fix
        ),
        r => format!("{} - not running it ({})", r.message(prog), r.fix()),
    }
}

/// Whom scripts without their own user run as (`config::scripts::default_ids`: `script_user`,
/// else `keepalived_script`, else root, or no one with `enable_script_security`).
pub fn default_script_user(cfg: &Config) -> Result<Ids, NoUser> {
    // No script at all: no lookup (on glibc it loads NSS modules, ~0.9 MB of RSS).
    if cfg.global.scripts().is_empty() && cfg.vrrp.scripts().is_empty() {
        return Ok(SystemEnv.own_ids());
    }
    scripts::default_ids(&cfg.global, &SystemEnv)
}

/// Whom a script with its own `user [group]` (or none) runs as.
pub fn script_ids(
    user: Option<&str>,
    group: Option<&str>,
    default: &Result<Ids, NoUser>,
) -> Result<Ids, NoUser> {
    scripts::script_ids(user, group, default, &SystemEnv)
}

/// The FIFOs and what the scripts run as.
pub struct Notifier {
    fifos: Vec<FifoOut>,
    default_user: Result<Ids, NoUser>,
    security: bool,
    /// The files of the notify scripts, resolved at load, by program and user.
    pinned: HashMap<(String, Ids), PathBuf>,
    /// Reader scripts of the FIFOs, started once.
    pub readers: Vec<Spawn>,
}

impl Notifier {
    pub fn new(cfg: &Config) -> Notifier {
        let g = &cfg.global;
        let mut n = Notifier {
            fifos: Vec::new(),
            default_user: Ok(SystemEnv.own_ids()),
            security: false,
            pinned: HashMap::new(),
            readers: Vec::new(),
        };
        n.load(cfg);
        for f in [&g.fifos.notify, &g.fifos.vrrp] {
            let Some(p) = &f.path else { continue };
            n.fifos.push(FifoOut::open(PathBuf::from(&p.path)));
            if let Some(s) = &f.script {
                let r = n.spawn_of(&s.cmd, s.user.as_deref(), s.group.as_deref(), &[&p.path]);
                n.readers.push(r);
            }
        }
        n
    }

    /// Takes the script settings of a (re)loaded configuration: the default user, script
    /// security, and the files the notify scripts resolve to now.
    pub fn load(&mut self, cfg: &Config) {
        self.default_user = default_script_user(cfg);
        self.security = cfg.global.enable_script_security();
        self.pinned.clear();
        for s in cfg.global.scripts().into_iter().chain(cfg.vrrp.scripts()) {
            let Some(prog) = split_command(&s.command).into_iter().next() else {
                continue;
            };
            let ids = script_ids(s.user.as_deref(), s.group.as_deref(), &self.default_user);
            if let Ok(ids) = ids
                && let Ok(path) = scripts::resolve(&prog, ids, &SystemEnv)
            {
                self.pinned.entry((prog, ids)).or_insert(path);
            }
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
        let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
        self.spawn_of(&s.command, s.user.as_deref(), s.group.as_deref(), &extra)
    }

    fn spawn_of(
        &self,
        command: &str,
        user: Option<&str>,
        group: Option<&str>,
        extra: &[&str],
    ) -> Spawn {
        let mut argv = split_command(command);
        argv.extend(extra.iter().map(|e| e.to_string()));
        let ids = script_ids(user, group, &self.default_user);
        let pinned = match (&ids, argv.first()) {
            (Ok(ids), Some(prog)) => self.pinned.get(&(prog.clone(), *ids)).cloned(),
            _ => None,
        };
        Spawn {
            argv,
            ids,
            security: self.security,
            pinned,
        }
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
