//! Script security, across sections: keepalived's rules, with messages that say what to change.
//!
//! Every script the configuration names (vrrp_script, notify*, MISC_CHECK, quorum_up/down,
//! startup/shutdown, FIFO readers) runs as `script_user`, or `keepalived_script` when that user
//! exists, or root. keepalived (reference 2.11):
//! - scripts that would run as root without `enable_script_security`: "SECURITY VIOLATION"
//!   (`-t` exit 5); they still run;
//! - with `enable_script_security`, a script that runs as root and that a non-root user could
//!   change (the file or any directory above it writable by group/other or owned by non-root) is
//!   disabled;
//! - a script that cannot be found or executed is disabled.
//!
//! The machine is behind [`ScriptEnv`] so the rules are tested without touching real users and files.

use std::path::{Path, PathBuf};

use super::Config;
use super::source::{Diagnostics, Loc, Severity};

/// keepalived's default script user, used when it exists and no `script_user` is given.
pub const DEFAULT_SCRIPT_USER: &str = "keepalived_script";

/// What the checks need to know about the machine.
pub trait ScriptEnv {
    /// The uid of a user name.
    fn uid(&self, user: &str) -> Option<u32>;
    /// Owner uid, permission bits and whether it is a directory (following symlinks).
    fn stat(&self, path: &Path) -> Option<(u32, u32, bool)>;
    /// Directories searched for a command without a `/`.
    fn path_dirs(&self) -> Vec<PathBuf>;
}

/// The real machine.
pub struct SystemEnv;

impl ScriptEnv for SystemEnv {
    fn uid(&self, user: &str) -> Option<u32> {
        crate::sys::user_uid(user)
    }
    fn stat(&self, path: &Path) -> Option<(u32, u32, bool)> {
        use std::os::unix::fs::MetadataExt;
        let m = std::fs::metadata(path).ok()?;
        Some((m.uid(), m.mode(), m.is_dir()))
    }
    fn path_dirs(&self) -> Vec<PathBuf> {
        let path = std::env::var("PATH").unwrap_or_else(|_| {
            "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".into()
        });
        std::env::split_paths(&path).collect()
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

/// Whom scripts run as: the uid, and how that was decided (for messages).
fn script_uid(cfg: &Config, env: &dyn ScriptEnv) -> (Option<u32>, String) {
    match cfg.global.script_user() {
        Some(u) => (env.uid(&u.user), format!("script_user `{}`", u.user)),
        None => match env.uid(DEFAULT_SCRIPT_USER) {
            Some(uid) => (
                Some(uid),
                format!("the default script user `{DEFAULT_SCRIPT_USER}`"),
            ),
            None => (
                Some(0),
                format!("root (no script_user, and no user `{DEFAULT_SCRIPT_USER}`)"),
            ),
        },
    }
}

/// The file a program name runs: itself when it has a `/`, else the first executable match in
/// the `PATH` directories; `None` when there is no such executable file.
pub fn resolve(prog: &str, env: &dyn ScriptEnv) -> Option<PathBuf> {
    let is_exec = |p: &Path| {
        env.stat(p)
            .is_some_and(|(_, mode, dir)| !dir && mode & 0o111 != 0)
    };
    if prog.contains('/') {
        let p = PathBuf::from(prog);
        return is_exec(&p).then_some(p);
    }
    env.path_dirs()
        .into_iter()
        .map(|d| d.join(prog))
        .find(|p| is_exec(p))
}

/// The first part of `path` (the file or a directory above it) that a non-root user could change.
fn unsafe_part(path: &Path, env: &dyn ScriptEnv) -> Option<(PathBuf, String)> {
    let mut p = Some(path);
    while let Some(cur) = p {
        if cur.as_os_str().is_empty() {
            break;
        }
        if let Some((uid, mode, dir)) = env.stat(cur) {
            let sticky = dir && mode & 0o1000 != 0;
            if uid != 0 {
                return Some((cur.to_path_buf(), format!("owned by uid {uid}")));
            }
            if mode & 0o022 != 0 && !sticky {
                let who = if mode & 0o002 != 0 {
                    "everyone"
                } else {
                    "its group"
                };
                return Some((
                    cur.to_path_buf(),
                    format!("writable by {who} (mode {:o})", mode & 0o7777),
                ));
            }
        }
        p = cur.parent();
    }
    None
}

/// Why a script that runs as root is unsafe under `enable_script_security`, and what to change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsafe {
    /// "unsafe permissions for script `P`: PART is WHY".
    pub message: String,
    /// The commands that make it safe.
    pub fix: String,
}

/// keepalived's rule for a script that would run as root: the file, or a directory above it, that a
/// non-root user could change makes it unsafe. `None` when it is safe.
pub fn unsafe_script(path: &Path, env: &dyn ScriptEnv) -> Option<Unsafe> {
    let (part, why) = unsafe_part(path, env)?;
    Some(Unsafe {
        message: format!(
            "unsafe permissions for script `{}`: {} is {why}",
            path.display(),
            part.display()
        ),
        fix: format!(
            "`chown root:root {0}` and `chmod go-w {0}`, or run scripts as an unprivileged `script_user`",
            part.display()
        ),
    })
}

/// Runs the checks and reports them.
pub fn check(cfg: &Config, env: &dyn ScriptEnv, d: &mut Diagnostics) {
    // (command, where, a tracked vrrp_script?)
    let tracked = cfg.vrrp.tracked_scripts();
    let is_tracked = |loc: Loc| tracked.iter().any(|s| s.script_at.0 == Some(loc));
    let scripts: Vec<(String, Loc, bool)> = cfg
        .global
        .scripts()
        .into_iter()
        .chain(cfg.vrrp.scripts())
        .chain(cfg.lvs.scripts())
        .map(|(c, l)| {
            let t = is_tracked(l);
            (c, l, t)
        })
        .collect();
    let found: Vec<Option<PathBuf>> = scripts
        .iter()
        .map(|(c, _, _)| resolve(program(c), env))
        .collect();
    // No scripts: nothing to check, and no user lookup (on glibc it loads NSS modules: ~0.9 MB
    // of a daemon's RSS).
    if scripts.is_empty() {
        return;
    }
    let security = cfg.global.enable_script_security();
    let (uid, as_whom) = script_uid(cfg, env);
    let as_root = uid.is_none_or(|u| u == 0);
    let existing = found.iter().filter(|f| f.is_some()).count();
    if as_root && !security && existing > 0 {
        let first = found.iter().position(|f| f.is_some()).unwrap_or(0);
        let loc = scripts[first].1;
        d.push(
            Severity::Security,
            Some(loc),
            format!("SECURITY VIOLATION - scripts are being executed but script_security not enabled: {existing} script(s) would run as {as_whom}"),
        )
        .hint("add `enable_script_security` to global_defs (and keep the scripts and their directories writable by root only), or set `script_user` to an unprivileged user");
    }
    for ((command, loc, is_tracked), found) in scripts.iter().zip(found) {
        let prog = program(command);
        if prog.is_empty() {
            continue;
        }
        match found {
            None if *is_tracked => {
                d.warn(
                    *loc,
                    format!("track script `{prog}` not found or not executable - disabling it"),
                )
                .hint("give the full path of an executable file, or install it");
            }
            None => {
                d.note(
                    *loc,
                    format!("script `{prog}` not found or not executable: it will fail when run"),
                );
            }
            Some(path) if security && as_root => {
                if let Some(u) = unsafe_script(&path, env) {
                    d.warn(*loc, format!("{} - disabling it", u.message))
                        .hint(u.fix);
                }
            }
            Some(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[derive(Default)]
    struct FakeEnv {
        users: HashMap<&'static str, u32>,
        files: HashMap<PathBuf, (u32, u32, bool)>,
    }

    impl FakeEnv {
        fn with_tree() -> FakeEnv {
            let mut e = FakeEnv::default();
            e.users.insert("root", 0);
            e.users.insert("nobody", 65534);
            for (p, v) in [
                ("/", (0, 0o40755, true)),
                ("/usr", (0, 0o40755, true)),
                ("/usr/bin", (0, 0o40755, true)),
                ("/usr/bin/check", (0, 0o100755, false)),
                ("/tmp", (0, 0o41777, true)),
                ("/tmp/evil.sh", (1000, 0o100755, false)),
                ("/opt", (0, 0o40777, true)),
                ("/opt/check.sh", (0, 0o100755, false)),
                ("/usr/bin/data", (0, 0o100644, false)),
            ] {
                e.files.insert(PathBuf::from(p), v);
            }
            e
        }
    }

    impl ScriptEnv for FakeEnv {
        fn uid(&self, user: &str) -> Option<u32> {
            self.users.get(user).copied()
        }
        fn stat(&self, path: &Path) -> Option<(u32, u32, bool)> {
            self.files.get(path).copied()
        }
        fn path_dirs(&self) -> Vec<PathBuf> {
            vec![PathBuf::from("/usr/bin")]
        }
    }

    fn run(text: &str, env: &FakeEnv) -> Diagnostics {
        let mut parse = Diagnostics::default();
        let cfg = Config::from_text(text, &mut parse);
        let mut d = Diagnostics::default();
        check(&cfg, env, &mut d);
        d
    }

    const SCRIPT: &str = "vrrp_script chk {\n    script \"/usr/bin/check --fast\"\n}\nvrrp_instance VI_1 {\n    interface eth0\n    virtual_router_id 1\n    track_script {\n        chk\n    }\n}\n";

    #[test]
    fn root_without_security_is_a_violation_with_the_fix() {
        let d = run(SCRIPT, &FakeEnv::with_tree());
        assert_eq!(d.list.len(), 1, "{:?}", d.list);
        assert_eq!(d.list[0].severity, Severity::Security);
        assert!(d.list[0].message.starts_with("SECURITY VIOLATION - scripts are being executed but script_security not enabled: 1 script(s) would run as root"));
        assert_eq!(d.list[0].loc.map(|l| (l.line, l.col)), Some((2, 12)));
        assert!(
            d.list[0]
                .hint
                .as_deref()
                .unwrap()
                .contains("enable_script_security")
        );
        assert_eq!(d.exit_status(), 5);
    }

    #[test]
    fn unprivileged_user_or_security_clears_the_violation() {
        let env = FakeEnv::with_tree();
        let d = run(
            &format!("global_defs {{\n    script_user nobody\n}}\n{SCRIPT}"),
            &env,
        );
        assert!(d.list.is_empty(), "{:?}", d.list);
        let d = run(
            &format!("global_defs {{\n    enable_script_security\n}}\n{SCRIPT}"),
            &env,
        );
        assert!(d.list.is_empty(), "{:?}", d.list);
        let mut env = FakeEnv::with_tree();
        env.users.insert(DEFAULT_SCRIPT_USER, 999);
        assert!(run(SCRIPT, &env).list.is_empty());
    }

    #[test]
    fn unsafe_and_missing_scripts_are_disabled() {
        let env = FakeEnv::with_tree();
        let text = "global_defs {\n    enable_script_security\n}\nvrrp_script a {\n    script /tmp/evil.sh\n}\nvrrp_script b {\n    script /opt/check.sh\n}\nvrrp_script c {\n    script \"missing arg\"\n}\nvrrp_script d {\n    script /usr/bin/data\n}\nvrrp_script e {\n    script check\n}\nvrrp_instance VI_1 {\n    interface eth0\n    virtual_router_id 1\n    track_script {\n        a\n        b\n        c\n        d\n        e\n    }\n    notify_master /nonexistent/notify\n}\n";
        let d = run(text, &env);
        let msgs: Vec<&str> = d.list.iter().map(|x| x.message.as_str()).collect();
        assert_eq!(
            msgs,
            vec![
                "unsafe permissions for script `/tmp/evil.sh`: /tmp/evil.sh is owned by uid 1000 - disabling it",
                "unsafe permissions for script `/opt/check.sh`: /opt is writable by everyone (mode 777) - disabling it",
                "track script `missing` not found or not executable - disabling it",
                "track script `/usr/bin/data` not found or not executable - disabling it",
                "script `/nonexistent/notify` not found or not executable: it will fail when run",
            ]
        );
        assert_eq!(d.list[0].loc.map(|l| (l.line, l.col)), Some((5, 12)));
    }

    #[test]
    fn program_is_the_first_word() {
        assert_eq!(program("/bin/a b c"), "/bin/a");
        assert_eq!(program("  \"/opt/my dir/x\" y"), "/opt/my dir/x");
        assert_eq!(program(""), "");
    }
}
