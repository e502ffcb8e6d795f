//! Script security, one rule for every kind of script: keepalived 2.2.7's verdicts
//! (`notify.c`: `get_default_script_user`, `check_script_secure`, `check_security`), with messages
//! that say what to change.
//!
//! Every script the configuration names (vrrp_script, notify*, sync group notifies, FIFO reader
//! scripts, MISC_CHECK, quorum_up/down, notify_up/down, startup/shutdown) is judged here: by the
//! configuration check when it is loaded ([`check`]), and by the executors again before every run
//! ([`check_script`], through `script::Spawn`), so that nothing a non-root user changed
//! after the load runs as root.
//!
//! # Whom a script runs as ([`default_ids`], [`script_ids`])
//! - its own `USER [GROUP]` (a user or group that does not exist: the script is disabled);
//! - else `script_user USER [GROUP]` (one that does not exist: every script without its own user
//!   is disabled, keepalived's "Error setting global script uid/gid");
//! - else the user `keepalived_script` if it exists;
//! - else, with `enable_script_security`, no one: those scripts are disabled (keepalived's
//!   "Unable to set default user keepalived_script for script"); without it, root.
//!
//! # When a script may run ([`check_script`])
//! 1. A command without `/` is searched in `PATH` (an executable regular file for its user).
//! 2. Every symbolic link is resolved, in every component (`realpath`). The file run is that
//!    target, so a link changed after the check cannot redirect the run (keepalived, too, runs the
//!    resolved path).
//! 3. It must be a regular file its user may execute.
//! 4. If it runs as uid 0 or gid 0, or is set-uid/set-gid root, every component of the TARGET's
//!    path, from `/` down to the file, must be owned by root and not writable by others or by a
//!    non-root group; a directory with the sticky bit (as `/tmp`) may be writable. A group-writable
//!    part whose group is root (gid 0) is accepted, as keepalived does.
//! 5. An unsafe script is disabled with `enable_script_security`; without it, it runs and the
//!    load reports "SECURITY VIOLATION" (`-t` exits 5), as keepalived does.
//!
//! The checks between the last one and `execve` leave a window only to root: every directory of the
//! target's path is root's and closed to others.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use super::Config;
use super::global::Global;
use super::source::{Diagnostics, Loc, Severity};

/// keepalived's default script user, used when it exists and no `script_user` is given.
pub const DEFAULT_SCRIPT_USER: &str = "keepalived_script";

/// What the checks need to know about the machine's accounts (the files are always the real
/// ones).
pub trait ScriptEnv {
    /// The uid and primary gid of a user name.
    fn user_ids(&self, user: &str) -> Option<(u32, u32)>;
    /// The gid of a group name.
    fn group_gid(&self, group: &str) -> Option<u32>;
    /// The daemon's own effective uid and gid (whom a script runs as when no user is chosen).
    fn own_ids(&self) -> Ids;
    /// Directories searched for a command without a `/`.
    fn path_dirs(&self) -> Vec<PathBuf>;
}

/// The real machine.
pub struct SystemEnv;

impl ScriptEnv for SystemEnv {
    fn user_ids(&self, user: &str) -> Option<(u32, u32)> {
        crate::sys::user_ids(user)
    }
    fn group_gid(&self, group: &str) -> Option<u32> {
        crate::sys::group_gid(group)
    }
    fn own_ids(&self) -> Ids {
        let (uid, gid) = crate::sys::own_ids();
        Ids { uid, gid }
    }
    fn path_dirs(&self) -> Vec<PathBuf> {
        let path = std::env::var("PATH").unwrap_or_else(|_| {
            "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".into()
        });
        std::env::split_paths(&path).collect()
    }
}

/// The uid and gid a script runs as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ids {
    pub uid: u32,
    pub gid: u32,
}

/// Why a script has no one to run as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoUser {
    /// `script_user NAME [GROUP]` names a user or group this machine does not have.
    ScriptUser(String),
    /// No `script_user`, no user `keepalived_script`, and `enable_script_security`.
    NoDefault,
    /// The script's own `USER [GROUP]` does not exist.
    Own(String),
}

impl std::fmt::Display for NoUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NoUser::ScriptUser(what) => write!(f, "no script user (`script_user`: {what})"),
            NoUser::NoDefault => write!(
                f,
                "no script user (no `script_user`, and no user `{DEFAULT_SCRIPT_USER}` on this machine)"
            ),
            NoUser::Own(what) => write!(f, "{what}"),
        }
    }
}

impl NoUser {
    /// What to change.
    pub fn fix(&self) -> String {
        match self {
            NoUser::ScriptUser(_) => {
                "create that user or group, or name one that exists in `script_user`".into()
            }
            NoUser::NoDefault => format!(
                "with `enable_script_security`, scripts run as root only when told to (keepalived 2.2.7): set `script_user` to an unprivileged user, create the user `{DEFAULT_SCRIPT_USER}`, or give the script its own user (`COMMAND USER [GROUP]`)"
            ),
            NoUser::Own(_) => "create that user or group, or name one that exists".into(),
        }
    }
}

/// A user name and an optional group name as `Ids`; `None` names what does not exist.
fn lookup(user: &str, group: Option<&str>, env: &dyn ScriptEnv) -> Result<Ids, String> {
    let (uid, gid) = env
        .user_ids(user)
        .ok_or_else(|| format!("no user `{user}` on this machine"))?;
    let gid = match group {
        Some(g) => env
            .group_gid(g)
            .ok_or_else(|| format!("no group `{g}` on this machine"))?,
        None => gid,
    };
    Ok(Ids { uid, gid })
}

/// Whom scripts without their own user run as: keepalived's `get_default_script_user` (see the
/// module doc).
pub fn default_ids(g: &Global, env: &dyn ScriptEnv) -> Result<Ids, NoUser> {
    match g.script_user() {
        Some(u) => lookup(&u.user, u.group.as_deref(), env).map_err(NoUser::ScriptUser),
        None => match env.user_ids(DEFAULT_SCRIPT_USER) {
            Some((uid, gid)) => Ok(Ids { uid, gid }),
            None if g.enable_script_security() => Err(NoUser::NoDefault),
            None => Ok(env.own_ids()),
        },
    }
}

/// Whom a script with its own `user [group]` (or none) runs as.
pub fn script_ids(
    user: Option<&str>,
    group: Option<&str>,
    default: &Result<Ids, NoUser>,
    env: &dyn ScriptEnv,
) -> Result<Ids, NoUser> {
    match user {
        Some(u) => lookup(u, group, env).map_err(NoUser::Own),
        None => default.clone(),
    }
}

/// The program a command line runs: its first word, double quotes grouping.
pub fn program(command: &str) -> &str {
    let t = command.trim_start();
    if let Some(rest) = t.strip_prefix('"') {
        return rest.split('"').next().unwrap_or_default();
    }
    t.split_whitespace().next().unwrap_or_default()
}

/// keepalived's `is_executable`: whether `ids` may execute a file with this owner and mode.
fn is_executable(m: &std::fs::Metadata, ids: Ids) -> bool {
    let mode = m.mode();
    (ids.uid == 0 && mode & 0o111 != 0)
        || (ids.uid == m.uid() && mode & 0o100 != 0)
        || (ids.uid != m.uid()
            && ((ids.gid == m.gid() && mode & 0o010 != 0)
                || (ids.gid != m.gid() && mode & 0o001 != 0)))
}

/// Why a script may not run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// No one to run it as.
    NoUser(NoUser),
    /// No such executable: "`PROG` not found: WHY".
    NotFound(String),
    /// Its user may not execute it.
    NotExecutable { path: PathBuf, ids: Ids },
    /// It would run as root and a non-root user could change it (`enable_script_security`).
    Unsafe(Unsafe),
}

impl Refusal {
    /// One line: what is wrong.
    pub fn message(&self, prog: &str) -> String {
        match self {
            Refusal::NoUser(e) => format!("script `{prog}`: {e}"),
            Refusal::NotFound(why) => format!("script `{prog}` not found or not executable: {why}"),
            Refusal::NotExecutable { path, ids } => format!(
                "script `{prog}` is not executable for uid:gid {}:{} ({})",
                ids.uid,
                ids.gid,
                path.display()
            ),
            Refusal::Unsafe(u) => u.message.clone(),
        }
    }

    /// What to change.
    pub fn fix(&self) -> String {
        match self {
            Refusal::NoUser(e) => e.fix(),
            Refusal::NotFound(_) => {
                "give the full path of an executable file, or install it".into()
            }
            Refusal::NotExecutable { path, .. } => format!("`chmod +x {}`", path.display()),
            Refusal::Unsafe(u) => u.fix.clone(),
        }
    }
}

/// Why a script that runs as root is unsafe, and what to change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsafe {
    /// "unsafe permissions for script `P` (resolves to T): PART is WHY".
    pub message: String,
    /// The commands that make it safe.
    pub fix: String,
}

/// A script that may run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Runnable {
    /// The file to execute: the command's file with every symbolic link resolved.
    pub path: PathBuf,
    /// Without `enable_script_security`: why it would be refused with it (it runs anyway).
    pub insecure: Option<Unsafe>,
}

/// The file a program name runs, links not resolved yet: itself when it has a `/`, else the
/// first regular file in the `PATH` directories that `ids` may execute (keepalived's
/// `find_path`).
fn locate(prog: &str, ids: Ids, env: &dyn ScriptEnv) -> Result<PathBuf, Refusal> {
    if prog.is_empty() {
        return Err(Refusal::NotFound("no command".into()));
    }
    if prog.contains('/') {
        return Ok(PathBuf::from(prog));
    }
    env.path_dirs()
        .into_iter()
        .map(|d| d.join(prog))
        .find(|p| std::fs::metadata(p).is_ok_and(|m| m.is_file() && is_executable(&m, ids)))
        .ok_or_else(|| Refusal::NotFound("not in the PATH directories".into()))
}

/// The file `prog` runs as `ids`, every symbolic link resolved: what a caller pins when the
/// configuration is loaded (keepalived resolves once, at load) and passes to [`check_script`]
/// before each run.
pub fn resolve(prog: &str, ids: Ids, env: &dyn ScriptEnv) -> Result<PathBuf, Refusal> {
    let found = locate(prog, ids, env)?;
    std::fs::canonicalize(&found).map_err(|e| Refusal::NotFound(e.to_string()))
}

/// Whether script `prog` (a command's first word) may run as `ids` now, and which file to
/// execute: the verdict of the module doc, used for every kind of script. `pinned`: the file
/// resolved when the configuration was loaded, if any (then links changed since do not count).
pub fn check_script(
    prog: &str,
    pinned: Option<&Path>,
    ids: Ids,
    security: bool,
    env: &dyn ScriptEnv,
) -> Result<Runnable, Refusal> {
    let real = match pinned {
        // Resolved again: only root can have changed what the pinned path leads to.
        Some(p) => std::fs::canonicalize(p).map_err(|e| Refusal::NotFound(e.to_string()))?,
        None => resolve(prog, ids, env)?,
    };
    let meta = std::fs::metadata(&real).map_err(|e| Refusal::NotFound(e.to_string()))?;
    if !meta.is_file() {
        return Err(Refusal::NotFound(format!(
            "{} is not a regular file",
            real.display()
        )));
    }
    if !is_executable(&meta, ids) {
        return Err(Refusal::NotExecutable { path: real, ids });
    }
    let mode = meta.mode();
    let set_root = (meta.uid() == 0 && mode & 0o4100 == 0o4100)
        || (meta.gid() == 0 && mode & 0o2010 == 0o2010);
    let insecure = if ids.uid == 0 || ids.gid == 0 || set_root {
        unsafe_part(&real)?.map(|(part, why)| unsafe_verdict(prog, &real, &part, &why))
    } else {
        None
    };
    match insecure {
        Some(u) if security => Err(Refusal::Unsafe(u)),
        insecure => Ok(Runnable {
            path: real,
            insecure,
        }),
    }
}

/// The first component of the resolved path `real` (from `/` down) that a non-root user could
/// change, and why: keepalived's `check_security`, on a path without links.
fn unsafe_part(real: &Path) -> Result<Option<(PathBuf, String)>, Refusal> {
    let mut parts: Vec<&Path> = real.ancestors().collect();
    parts.reverse();
    let last = parts.len() - 1;
    for (i, p) in parts.into_iter().enumerate() {
        let m = std::fs::symlink_metadata(p)
            .map_err(|e| Refusal::NotFound(format!("{}: {e}", p.display())))?;
        let dir = m.is_dir();
        if (i < last && !dir) || (i == last && !m.is_file()) {
            // Only root can have made a path without links into this since it was resolved.
            return Ok(Some((p.to_path_buf(), "of the wrong file type".into())));
        }
        let mode = m.mode();
        if m.uid() != 0 {
            return Ok(Some((p.to_path_buf(), format!("owned by uid {}", m.uid()))));
        }
        let sticky = dir && mode & 0o1000 != 0;
        if sticky {
            continue;
        }
        if mode & 0o002 != 0 {
            return Ok(Some((
                p.to_path_buf(),
                format!("writable by everyone (mode {:o})", mode & 0o7777),
            )));
        }
        if m.gid() != 0 && mode & 0o020 != 0 {
            return Ok(Some((
                p.to_path_buf(),
                format!(
                    "writable by its group {} (mode {:o})",
                    m.gid(),
                    mode & 0o7777
                ),
            )));
        }
    }
    Ok(None)
}

fn unsafe_verdict(prog: &str, real: &Path, part: &Path, why: &str) -> Unsafe {
    let target = if Path::new(prog) == real {
        String::new()
    } else {
        format!(" (resolves to {})", real.display())
    };
    Unsafe {
        message: format!(
            "unsafe permissions for script `{prog}`{target}: {} is {why}",
            part.display()
        ),
        fix: format!(
            "`chown root:root {0}` and `chmod go-w {0}`, or run scripts as an unprivileged `script_user`",
            part.display()
        ),
    }
}

/// A script the configuration names: its command line, its own user and group, where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptRef {
    pub command: String,
    pub user: Option<String>,
    pub group: Option<String>,
    pub loc: Loc,
}

impl ScriptRef {
    pub fn new(command: &str, user: Option<&str>, group: Option<&str>, loc: Loc) -> ScriptRef {
        ScriptRef {
            command: command.to_string(),
            user: user.map(str::to_string),
            group: group.map(str::to_string),
            loc,
        }
    }
}

/// Runs the checks on every script of `cfg` and reports them.
pub fn check(cfg: &Config, env: &dyn ScriptEnv, d: &mut Diagnostics) {
    let tracked = cfg.vrrp.tracked_scripts();
    let is_tracked = |loc: Loc| tracked.iter().any(|s| s.script_at.0 == Some(loc));
    let scripts: Vec<ScriptRef> = cfg
        .global
        .scripts()
        .into_iter()
        .chain(cfg.vrrp.scripts())
        .chain(cfg.lvs.scripts())
        .collect();
    // No scripts: nothing to check, and no user lookup (on glibc it loads NSS modules: ~0.9 MB
    // of a daemon's RSS).
    if scripts.is_empty() {
        return;
    }
    let security = cfg.global.enable_script_security();
    let default = default_ids(&cfg.global, env);
    if default == Err(NoUser::NoDefault)
        && let Some(first) = scripts.iter().find(|s| s.user.is_none())
    {
        d.warn(
            first.loc,
            format!(
                "no `script_user`, and no user `{DEFAULT_SCRIPT_USER}` on this machine: with `enable_script_security`, scripts without their own user are disabled"
            ),
        )
        .hint(NoUser::NoDefault.fix());
    }
    // Scripts that run as root (or set-uid root) without script security, and how many of them
    // are insecure: keepalived's SECURITY VIOLATION.
    let (mut as_root, mut insecure) = (Vec::new(), 0);
    for s in &scripts {
        let prog = program(&s.command);
        if prog.is_empty() {
            continue;
        }
        let verdict = script_ids(s.user.as_deref(), s.group.as_deref(), &default, env)
            .map_err(Refusal::NoUser)
            .and_then(|ids| check_script(prog, None, ids, security, env).map(|r| (ids, r)));
        match verdict {
            Ok((ids, r)) => {
                if ids.uid == 0 {
                    as_root.push(s.loc);
                }
                if let Some(u) = r.insecure {
                    insecure += 1;
                    d.note(s.loc, u.message).hint(u.fix);
                }
            }
            Err(Refusal::NotFound(_) | Refusal::NotExecutable { .. }) if is_tracked(s.loc) => {
                d.warn(
                    s.loc,
                    format!("track script `{prog}` not found or not executable - disabling it"),
                )
                .hint("give the full path of an executable file, or install it");
            }
            Err(r @ Refusal::NotFound(_)) => {
                d.note(
                    s.loc,
                    format!("{}: it will not run until it exists", r.message(prog)),
                );
            }
            Err(r) => {
                d.warn(s.loc, format!("{} - disabling it", r.message(prog)))
                    .hint(r.fix());
            }
        }
    }
    if !security && !as_root.is_empty() {
        let n = as_root.len();
        let bad = if insecure > 0 {
            format!(", {insecure} of them insecure")
        } else {
            String::new()
        };
        d.push(
            Severity::Security,
            Some(as_root[0]),
            format!("SECURITY VIOLATION - scripts are being executed but script_security not enabled: {n} script(s) would run as root{bad}"),
        )
        .hint("add `enable_script_security` to global_defs (and keep the scripts and their directories writable by root only), or set `script_user` to an unprivileged user");
    }
}

#[cfg(test)]
mod tests;
