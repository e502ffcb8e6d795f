//! Script security, one rule for every kind of script: keepalived 2.2.7's verdicts
//! (`notify.c`: `get_default_script_user`, `check_script_secure`, `check_security`), with messages
//! that say what to change.
//!
//! Every script the configuration names (vrrp_script, notify*, sync group notifies, FIFO reader
//! scripts, MISC_CHECK, quorum_up/down, notify_up/down, startup/shutdown) is judged here: by the
//! configuration check when it is loaded ([`check`]), and by the executors again before every run
//! ([`check_script`], through `vrrpd::notify::Spawn`), so that nothing a non-root user changed
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
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::os::unix::fs::{PermissionsExt, symlink};

    const NOBODY: u32 = 65534;
    const ROOT: Ids = Ids { uid: 0, gid: 0 };
    const AS_NOBODY: Ids = Ids {
        uid: NOBODY,
        gid: NOBODY,
    };

    /// Accounts without touching the machine's; files are real.
    #[derive(Default)]
    struct FakeEnv {
        users: HashMap<&'static str, (u32, u32)>,
        groups: HashMap<&'static str, u32>,
        path: Vec<PathBuf>,
    }

    impl FakeEnv {
        fn new() -> FakeEnv {
            let mut e = FakeEnv::default();
            e.users.insert("root", (0, 0));
            e.users.insert("nobody", (NOBODY, NOBODY));
            e.groups.insert("root", 0);
            e.groups.insert("nogroup", NOBODY);
            e
        }
    }

    impl ScriptEnv for FakeEnv {
        fn user_ids(&self, user: &str) -> Option<(u32, u32)> {
            self.users.get(user).copied()
        }
        fn group_gid(&self, group: &str) -> Option<u32> {
            self.groups.get(group).copied()
        }
        fn own_ids(&self) -> Ids {
            ROOT
        }
        fn path_dirs(&self) -> Vec<PathBuf> {
            self.path.clone()
        }
    }

    /// A root-owned 0755 directory under `/tmp` (root's, sticky: safe), removed on drop. The
    /// verdicts need files owned by root and by another uid: without root, `None` (SKIP).
    struct Tree(PathBuf);

    impl Tree {
        fn new(tag: &str) -> Option<Tree> {
            if crate::sys::geteuid() != 0 {
                assert!(
                    std::env::var("KEEPALIVED_RS_FULL_TESTS").as_deref() != Ok("1"),
                    "script security tests need root with KEEPALIVED_RS_FULL_TESTS=1"
                );
                println!("SKIP not root: script security tests chown files");
                return None;
            }
            static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
            let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let p = PathBuf::from("/tmp").join(format!("krs-sec-{tag}-{}-{n}", std::process::id()));
            let _ = std::fs::remove_dir_all(&p);
            std::fs::create_dir(&p).unwrap();
            let t = Tree(p);
            t.mode("", 0o755);
            Some(t)
        }
        fn p(&self, rel: &str) -> PathBuf {
            if rel.is_empty() {
                self.0.clone()
            } else {
                self.0.join(rel)
            }
        }
        fn s(&self, rel: &str) -> String {
            self.p(rel).display().to_string()
        }
        fn mode(&self, rel: &str, mode: u32) {
            std::fs::set_permissions(self.p(rel), std::fs::Permissions::from_mode(mode)).unwrap();
        }
        fn own(&self, rel: &str, uid: u32, gid: u32) {
            std::os::unix::fs::lchown(self.p(rel), Some(uid), Some(gid)).unwrap();
        }
        fn dir(&self, rel: &str, mode: u32) {
            std::fs::create_dir_all(self.p(rel)).unwrap();
            self.mode(rel, mode);
        }
        fn file(&self, rel: &str, mode: u32) {
            std::fs::write(self.p(rel), "#!/bin/sh\nexit 0\n").unwrap();
            self.mode(rel, mode);
        }
        fn link(&self, rel: &str, to: &str) {
            symlink(to, self.p(rel)).unwrap();
        }
    }

    impl Drop for Tree {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    /// The verdict for `rel` run as `ids`: Ok(the file run) or Err(the message).
    fn verdict(t: &Tree, rel: &str, ids: Ids, security: bool) -> Result<PathBuf, String> {
        let prog = t.s(rel);
        check_script(&prog, None, ids, security, &FakeEnv::new())
            .map(|r| r.path)
            .map_err(|e| e.message(&prog))
    }

    fn unsafe_msg(t: &Tree, rel: &str, target: Option<&str>, part: &str, why: &str) -> String {
        let to = target.map_or(String::new(), |x| format!(" (resolves to {})", t.s(x)));
        format!(
            "unsafe permissions for script `{}`{to}: {} is {why}",
            t.s(rel),
            t.s(part)
        )
    }

    #[test]
    fn world_writable_file_or_directory_is_unsafe_for_root() {
        let Some(t) = Tree::new("ww") else { return };
        t.file("ok.sh", 0o755);
        t.file("ww.sh", 0o777);
        t.dir("wwdir", 0o777);
        t.file("wwdir/x.sh", 0o755);
        assert_eq!(verdict(&t, "ok.sh", ROOT, true), Ok(t.p("ok.sh")));
        assert_eq!(
            verdict(&t, "ww.sh", ROOT, true),
            Err(unsafe_msg(
                &t,
                "ww.sh",
                None,
                "ww.sh",
                "writable by everyone (mode 777)"
            ))
        );
        assert_eq!(
            verdict(&t, "wwdir/x.sh", ROOT, true),
            Err(unsafe_msg(
                &t,
                "wwdir/x.sh",
                None,
                "wwdir",
                "writable by everyone (mode 777)"
            ))
        );
        // keepalived: an unprivileged user's script is not checked.
        assert_eq!(verdict(&t, "ww.sh", AS_NOBODY, true), Ok(t.p("ww.sh")));
        // Run as a non-root user but with gid 0: checked (keepalived: uid 0 or gid 0).
        let gid0 = Ids {
            uid: NOBODY,
            gid: 0,
        };
        assert!(verdict(&t, "wwdir/x.sh", gid0, true).is_err());
        // Without enable_script_security it runs, and says why it is insecure.
        let r = check_script(&t.s("ww.sh"), None, ROOT, false, &FakeEnv::new()).unwrap();
        assert_eq!(r.path, t.p("ww.sh"));
        assert!(r.insecure.unwrap().fix.contains("chmod go-w"));
    }

    #[test]
    fn links_are_judged_by_their_target_directories() {
        let Some(t) = Tree::new("ln") else { return };
        t.dir("s", 0o755);
        t.file("s/safe.sh", 0o755);
        t.dir("other", 0o755);
        t.own("other", NOBODY, NOBODY);
        t.file("other/y.sh", 0o755);
        // Root-owned links in a safe directory: relative, absolute, a chain of two.
        t.link("s/rel.sh", "../other/y.sh");
        t.link("s/abs.sh", &t.s("other/y.sh"));
        t.link("s/chain.sh", "rel.sh");
        t.link("s/chain2.sh", "chain.sh");
        let why = "owned by uid 65534";
        for l in ["s/rel.sh", "s/abs.sh", "s/chain.sh", "s/chain2.sh"] {
            assert_eq!(
                verdict(&t, l, ROOT, true),
                Err(unsafe_msg(&t, l, Some("other/y.sh"), "other", why)),
                "{l}"
            );
        }
        // A relative link to a safe file is safe, and the file run is the target.
        t.link("s/good.sh", "safe.sh");
        assert_eq!(verdict(&t, "s/good.sh", ROOT, true), Ok(t.p("s/safe.sh")));
        // A link through a directory link.
        t.link("s/via", "../other");
        assert_eq!(
            verdict(&t, "s/via/y.sh", ROOT, true),
            Err(unsafe_msg(
                &t,
                "s/via/y.sh",
                Some("other/y.sh"),
                "other",
                why
            ))
        );
        // A link that leads nowhere, and a loop.
        t.link("s/dangling.sh", "missing.sh");
        t.link("s/loop.sh", "loop.sh");
        assert!(
            verdict(&t, "s/dangling.sh", ROOT, true)
                .unwrap_err()
                .contains("not found")
        );
        assert!(
            verdict(&t, "s/loop.sh", ROOT, true)
                .unwrap_err()
                .contains("not found")
        );
    }

    #[test]
    fn a_directory_of_another_user_is_unsafe_even_when_sticky() {
        let Some(t) = Tree::new("own") else { return };
        t.dir("nb", 0o755);
        t.own("nb", NOBODY, NOBODY);
        t.file("nb/x.sh", 0o755);
        t.file("mine.sh", 0o755);
        t.own("mine.sh", NOBODY, NOBODY);
        assert_eq!(
            verdict(&t, "nb/x.sh", ROOT, true),
            Err(unsafe_msg(&t, "nb/x.sh", None, "nb", "owned by uid 65534"))
        );
        assert_eq!(
            verdict(&t, "mine.sh", ROOT, true),
            Err(unsafe_msg(
                &t,
                "mine.sh",
                None,
                "mine.sh",
                "owned by uid 65534"
            ))
        );
        // A /tmp-like directory: root's, world-writable with the sticky bit: safe (nobody can
        // replace root's file in it); the same owned by another user is not.
        t.dir("sticky", 0o1777);
        t.file("sticky/z.sh", 0o755);
        assert_eq!(
            verdict(&t, "sticky/z.sh", ROOT, true),
            Ok(t.p("sticky/z.sh"))
        );
        t.dir("nbsticky", 0o1777);
        t.own("nbsticky", NOBODY, NOBODY);
        t.file("nbsticky/z.sh", 0o755);
        assert_eq!(
            verdict(&t, "nbsticky/z.sh", ROOT, true),
            Err(unsafe_msg(
                &t,
                "nbsticky/z.sh",
                None,
                "nbsticky",
                "owned by uid 65534"
            ))
        );
        // A sticky world-writable file is still writable.
        t.file("stickyfile.sh", 0o1777);
        assert!(verdict(&t, "stickyfile.sh", ROOT, true).is_err());
    }

    #[test]
    fn group_write_counts_unless_the_group_is_root() {
        let Some(t) = Tree::new("grp") else { return };
        t.file("g0.sh", 0o775);
        t.file("gn.sh", 0o775);
        t.own("gn.sh", 0, NOBODY);
        t.dir("gdir", 0o775);
        t.own("gdir", 0, NOBODY);
        t.file("gdir/x.sh", 0o755);
        // keepalived 2.2.7: `(st_gid && S_IWGRP) || S_IWOTH`.
        assert_eq!(verdict(&t, "g0.sh", ROOT, true), Ok(t.p("g0.sh")));
        assert_eq!(
            verdict(&t, "gn.sh", ROOT, true),
            Err(unsafe_msg(
                &t,
                "gn.sh",
                None,
                "gn.sh",
                "writable by its group 65534 (mode 775)"
            ))
        );
        assert_eq!(
            verdict(&t, "gdir/x.sh", ROOT, true),
            Err(unsafe_msg(
                &t,
                "gdir/x.sh",
                None,
                "gdir",
                "writable by its group 65534 (mode 775)"
            ))
        );
    }

    #[test]
    fn executable_and_set_uid_rules() {
        let Some(t) = Tree::new("x") else { return };
        t.file("data", 0o644);
        t.file("owner-only.sh", 0o700);
        t.dir("ww", 0o777);
        t.file("ww/suid", 0o4755);
        let prog = t.s("data");
        assert_eq!(
            check_script(&prog, None, ROOT, true, &FakeEnv::new()),
            Err(Refusal::NotExecutable {
                path: t.p("data"),
                ids: ROOT
            })
        );
        assert_eq!(
            verdict(&t, "owner-only.sh", ROOT, true),
            Ok(t.p("owner-only.sh"))
        );
        assert!(
            verdict(&t, "owner-only.sh", AS_NOBODY, true)
                .unwrap_err()
                .contains("is not executable for uid:gid 65534:65534")
        );
        // A set-uid root file runs as root whoever starts it: checked for nobody too.
        assert_eq!(
            verdict(&t, "ww/suid", AS_NOBODY, true),
            Err(unsafe_msg(
                &t,
                "ww/suid",
                None,
                "ww",
                "writable by everyone (mode 777)"
            ))
        );
        t.dir("d", 0o755);
        assert!(
            verdict(&t, "d", ROOT, true)
                .unwrap_err()
                .contains("not a regular file")
        );
    }

    #[test]
    fn bare_names_are_searched_in_path_and_links_pinned_at_load_stay_pinned() {
        let Some(t) = Tree::new("path") else { return };
        t.dir("bin", 0o755);
        t.file("bin/tool", 0o755);
        t.dir("other", 0o755);
        t.own("other", NOBODY, NOBODY);
        t.file("other/evil", 0o755);
        let mut env = FakeEnv::new();
        env.path = vec![t.p("nonexistent"), t.p("bin")];
        let r = check_script("tool", None, ROOT, true, &env).unwrap();
        assert_eq!(r.path, t.p("bin/tool"));
        assert!(matches!(
            check_script("nope", None, ROOT, true, &env),
            Err(Refusal::NotFound(_))
        ));
        // Pinned at load; the link is then pointed elsewhere: the run stays on the pinned file.
        t.link("bin/cur", "tool");
        let pinned = resolve(&t.s("bin/cur"), ROOT, &env).unwrap();
        assert_eq!(pinned, t.p("bin/tool"));
        std::fs::remove_file(t.p("bin/cur")).unwrap();
        t.link("bin/cur", &t.s("other/evil"));
        let r = check_script(&t.s("bin/cur"), Some(&pinned), ROOT, true, &env).unwrap();
        assert_eq!(r.path, t.p("bin/tool"));
        assert!(check_script(&t.s("bin/cur"), None, ROOT, true, &env).is_err());
    }

    #[test]
    fn the_default_script_user_follows_keepalived() {
        let g = |text: &str| Config::from_text(text, &mut Diagnostics::default()).global;
        let env = FakeEnv::new();
        let none = g("");
        let secure = g("global_defs {\n    enable_script_security\n}\n");
        let nobody = g("global_defs {\n    script_user nobody\n}\n");
        let ghost = g("global_defs {\n    script_user ghost\n}\n");
        let bad_group = g("global_defs {\n    script_user nobody ghosts\n}\n");
        let with_group = g("global_defs {\n    script_user nobody root\n}\n");
        // No script_user, no keepalived_script: root without security, no one with it.
        assert_eq!(default_ids(&none, &env), Ok(ROOT));
        assert_eq!(default_ids(&secure, &env), Err(NoUser::NoDefault));
        assert_eq!(default_ids(&nobody, &env), Ok(AS_NOBODY));
        assert_eq!(
            default_ids(&with_group, &env),
            Ok(Ids {
                uid: NOBODY,
                gid: 0
            })
        );
        assert_eq!(
            default_ids(&ghost, &env),
            Err(NoUser::ScriptUser("no user `ghost` on this machine".into()))
        );
        assert!(default_ids(&bad_group, &env).is_err());
        let mut ks = FakeEnv::new();
        ks.users.insert(DEFAULT_SCRIPT_USER, (999, 998));
        let want = Ok(Ids { uid: 999, gid: 998 });
        assert_eq!(default_ids(&none, &ks), want);
        assert_eq!(default_ids(&secure, &ks), want);
        // A script's own user wins; one that does not exist disables it, never falls back.
        let d = default_ids(&secure, &env);
        assert_eq!(script_ids(Some("root"), None, &d, &env), Ok(ROOT));
        assert_eq!(
            script_ids(Some("ghost"), None, &Ok(ROOT), &env),
            Err(NoUser::Own("no user `ghost` on this machine".into()))
        );
        assert_eq!(
            script_ids(Some("nobody"), Some("root"), &d, &env),
            Ok(Ids {
                uid: NOBODY,
                gid: 0
            })
        );
        assert_eq!(script_ids(None, None, &d, &env), Err(NoUser::NoDefault));
    }

    fn run(text: &str, env: &FakeEnv) -> Diagnostics {
        let mut parse = Diagnostics::default();
        let cfg = Config::from_text(text, &mut parse);
        let mut d = Diagnostics::default();
        check(&cfg, env, &mut d);
        d
    }

    fn tracked(t: &Tree, script: &str) -> String {
        format!(
            "vrrp_script chk {{\n    script \"{script} --fast\"\n}}\nvrrp_instance VI_1 {{\n    interface eth0\n    virtual_router_id 1\n    track_script {{\n        chk\n    }}\n    notify_master {}\n}}\n",
            t.s("ok.sh")
        )
    }

    #[test]
    fn root_without_security_is_a_violation_with_the_fix() {
        let Some(t) = Tree::new("cfg1") else { return };
        t.file("ok.sh", 0o755);
        t.file("ww.sh", 0o777);
        let d = run(&tracked(&t, &t.s("ww.sh")), &FakeEnv::new());
        let msgs: Vec<(&Severity, &str)> = d
            .list
            .iter()
            .map(|x| (&x.severity, x.message.as_str()))
            .collect();
        assert_eq!(msgs.len(), 2, "{msgs:?}");
        assert_eq!(
            (msgs[0].0, msgs[0].1),
            (
                &Severity::Note,
                unsafe_msg(
                    &t,
                    "ww.sh",
                    None,
                    "ww.sh",
                    "writable by everyone (mode 777)"
                )
                .as_str()
            )
        );
        assert_eq!(d.list[1].severity, Severity::Security);
        assert_eq!(
            d.list[1].message,
            "SECURITY VIOLATION - scripts are being executed but script_security not enabled: 2 script(s) would run as root, 1 of them insecure"
        );
        assert_eq!(d.list[1].loc.map(|l| (l.line, l.col)), Some((2, 12)));
        assert!(
            d.list[1]
                .hint
                .as_deref()
                .unwrap()
                .contains("enable_script_security")
        );
        assert_eq!(d.exit_status(), 5);
    }

    #[test]
    fn unprivileged_user_or_security_clears_the_violation() {
        let Some(t) = Tree::new("cfg2") else { return };
        t.file("ok.sh", 0o755);
        let env = FakeEnv::new();
        let text = tracked(&t, &t.s("ok.sh"));
        let d = run(
            &format!("global_defs {{\n    script_user nobody\n}}\n{text}"),
            &env,
        );
        assert!(d.list.is_empty(), "{:?}", d.list);
        let d = run(
            &format!(
                "global_defs {{\n    enable_script_security\n    script_user root\n}}\n{text}"
            ),
            &env,
        );
        assert!(d.list.is_empty(), "{:?}", d.list);
        let mut env = FakeEnv::new();
        env.users.insert(DEFAULT_SCRIPT_USER, (999, 999));
        assert!(run(&text, &env).list.is_empty());
    }

    #[test]
    fn unsafe_missing_and_userless_scripts_are_disabled() {
        let Some(t) = Tree::new("cfg3") else { return };
        t.dir("bin", 0o755);
        t.file("bin/check", 0o755);
        t.file("bin/data", 0o644);
        t.file("evil.sh", 0o755);
        t.own("evil.sh", 1000, 1000);
        t.dir("opt", 0o777);
        t.file("opt/check.sh", 0o755);
        t.dir("other", 0o755);
        t.own("other", NOBODY, NOBODY);
        t.file("other/y.sh", 0o755);
        t.link("bin/link.sh", "../other/y.sh");
        let mut env = FakeEnv::new();
        env.path = vec![t.p("bin")];
        // script_user nobody; the unsafe ones run as root by their own user, so are checked.
        let text = format!(
            "global_defs {{\n    enable_script_security\n    script_user nobody\n}}\n\
             vrrp_script a {{\n    script {}\n    user root\n}}\n\
             vrrp_script b {{\n    script {}\n    user root\n}}\n\
             vrrp_script c {{\n    script \"missing arg\"\n}}\n\
             vrrp_script d {{\n    script {}\n}}\n\
             vrrp_script e {{\n    script check\n}}\n\
             vrrp_instance VI_1 {{\n    interface eth0\n    virtual_router_id 1\n\
             \x20   track_script {{\n        a\n        b\n        c\n        d\n        e\n    }}\n\
             \x20   notify_master /nonexistent/notify\n    notify_backup {} root\n\
             \x20   notify_fault {} ghost\n    notify {}\n}}\n",
            t.s("evil.sh"),
            t.s("opt/check.sh"),
            t.s("bin/data"),
            t.s("bin/link.sh"),
            t.s("bin/check"),
            t.s("evil.sh"),
        );
        let d = run(&text, &env);
        let msgs: Vec<&str> = d.list.iter().map(|x| x.message.as_str()).collect();
        let evil = unsafe_msg(&t, "evil.sh", None, "evil.sh", "owned by uid 1000");
        let opt = unsafe_msg(
            &t,
            "opt/check.sh",
            None,
            "opt",
            "writable by everyone (mode 777)",
        );
        let link = unsafe_msg(
            &t,
            "bin/link.sh",
            Some("other/y.sh"),
            "other",
            "owned by uid 65534",
        );
        assert_eq!(
            msgs,
            vec![
                format!("{evil} - disabling it").as_str(),
                &format!("{opt} - disabling it"),
                "track script `missing` not found or not executable - disabling it",
                &format!(
                    "track script `{}` not found or not executable - disabling it",
                    t.s("bin/data")
                ),
                "script `/nonexistent/notify` not found or not executable: No such file or directory (os error 2): it will not run until it exists",
                &format!("{link} - disabling it"),
                &format!(
                    "script `{}`: no user `ghost` on this machine - disabling it",
                    t.s("bin/check")
                ),
            ]
        );
        assert_eq!(d.list[0].loc.map(|l| (l.line, l.col)), Some((6, 12)));
        assert!(
            d.list[0]
                .hint
                .as_deref()
                .unwrap()
                .contains("chown root:root")
        );
        // The evil script as nobody's notify (not root): keepalived does not check it.
        assert!(
            !msgs
                .iter()
                .any(|m| m.contains("evil.sh") && m.contains("notify"))
        );

        // No script_user and no keepalived_script, with security: one line saying why, and each
        // script without its own user disabled; one with its own user is judged as usual.
        let text = format!(
            "global_defs {{\n    enable_script_security\n}}\nvrrp_instance VI_1 {{\n    interface eth0\n    virtual_router_id 1\n    notify_master {}\n    notify_backup {} root\n}}\n",
            t.s("bin/check"),
            t.s("bin/check"),
        );
        let d = run(&text, &env);
        let msgs: Vec<&str> = d.list.iter().map(|x| x.message.as_str()).collect();
        assert_eq!(
            msgs,
            vec![
                "no `script_user`, and no user `keepalived_script` on this machine: with `enable_script_security`, scripts without their own user are disabled",
                &format!(
                    "script `{}`: no script user (no `script_user`, and no user `keepalived_script` on this machine) - disabling it",
                    t.s("bin/check")
                ),
            ]
        );
        assert!(d.list[0].hint.as_deref().unwrap().contains("script_user"));
    }

    #[test]
    fn program_is_the_first_word() {
        assert_eq!(program("/bin/a b c"), "/bin/a");
        assert_eq!(program("  \"/opt/my dir/x\" y"), "/opt/my dir/x");
        assert_eq!(program(""), "");
    }
}
