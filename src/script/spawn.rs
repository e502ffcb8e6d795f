//! What a script runs as and the command that starts it, checked right before every run.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Command;

use log::{debug, error};

use crate::config::Config;
use crate::config::scripts::{self, Ids, NoUser, Refusal, ScriptEnv, SystemEnv};
use crate::reactor::{ChildId, Core};
use crate::time::Instant;

use super::split_command;

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
    /// scripts; tracked scripts log a refusal once, see `track`).
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

    /// Starts it through the reactor (its own process group, never waited for), if it passes
    /// the check: a refusal or a failure to start is logged. No timeout: the script runs to its
    /// end (notify scripts, FIFO readers).
    pub fn start<K: Copy>(&self, core: &mut Core<K>, key: K) -> Option<ChildId> {
        let mut cmd = self.command()?;
        match core.spawn(Instant::now(), &mut cmd, None, key) {
            Ok(id) => {
                debug!("started {:?} (pid {})", self.argv, id.0);
                Some(id)
            }
            Err(e) => {
                error!("Cannot run {:?}: {e}", self.argv);
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

/// The script settings of a loaded configuration: whom scripts without their own user run as,
/// `enable_script_security`, and the files the configured scripts resolve to at load.
pub struct Settings {
    default_user: Result<Ids, NoUser>,
    security: bool,
    /// The files of the scripts, resolved at load, by program and user.
    pinned: HashMap<(String, Ids), PathBuf>,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            default_user: Ok(SystemEnv.own_ids()),
            security: false,
            pinned: HashMap::new(),
        }
    }
}

impl Settings {
    /// Takes the script settings of a (re)loaded configuration: the default user, script
    /// security, and the files the configured scripts resolve to now.
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

    /// The script of `command` (split as keepalived does) with `extra` words appended, run as
    /// `user [group]` or the default user, pinned to the file it resolved to at load.
    pub fn spawn(
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spawns_carry_words_user_and_security() {
        let s = Settings::default().spawn("/bin/echo 'a b'", None, None, &["X", "1"]);
        assert_eq!(s.argv, ["/bin/echo", "a b", "X", "1"]);
        assert_eq!(s.ids, Ok(SystemEnv.own_ids()), "no user: the default");
        assert!(!s.security);
        assert_eq!(s.pinned, None, "nothing was loaded");
        let s = Settings::default().spawn("/bin/true", Some("no-such-user-krs"), None, &[]);
        assert!(s.ids.is_err(), "an unknown user runs nothing: {:?}", s.ids);
    }

    #[test]
    fn refused_scripts_get_no_command() {
        let s = Spawn {
            argv: Vec::new(),
            ids: Ok(SystemEnv.own_ids()),
            security: false,
            pinned: None,
        };
        assert!(matches!(s.checked_command(), Err(Refusal::NotFound(_))));
        let s = Spawn {
            argv: vec!["/bin/true".into()],
            ids: Err(NoUser::NoDefault),
            security: true,
            pinned: None,
        };
        assert!(matches!(
            s.checked_command(),
            Err(Refusal::NoUser(NoUser::NoDefault))
        ));
        assert!(s.command().is_none());
        let s = Spawn {
            argv: vec!["/no/such/script-krs".into()],
            ids: Ok(SystemEnv.own_ids()),
            security: false,
            pinned: None,
        };
        assert!(matches!(s.checked_command(), Err(Refusal::NotFound(_))));
    }
}
