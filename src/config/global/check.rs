//! Checks on `global_defs` against the system: script security and the accounts it names.

use super::*;

impl Global {
    /// `enable_script_security`.
    pub fn enable_script_security(&self) -> bool {
        self.scripts.security
    }

    /// `script_user USER [GROUP]`, if given.
    pub fn script_user(&self) -> Option<&ScriptUser> {
        self.scripts.user.as_ref()
    }

    /// Every script this section configures, with where it was written: the startup and shutdown
    /// scripts and the FIFO reader scripts.
    pub fn scripts(&self) -> Vec<ScriptRef> {
        [
            &self.scripts.startup,
            &self.scripts.shutdown,
            &self.fifos.notify.script,
            &self.fifos.vrrp.script,
            &self.fifos.lvs.script,
        ]
        .into_iter()
        .flatten()
        .filter_map(|s| {
            let loc = s.origin.0?;
            Some(ScriptRef::new(
                &s.cmd,
                s.user.as_deref(),
                s.group.as_deref(),
                loc,
            ))
        })
        .collect()
    }

    /// Checks that depend on this machine: users and groups named for scripts and FIFOs
    /// (keepalived: "Error setting global script uid/gid", "Invalid startup script").
    pub fn check(&self, _cfg: &Config, d: &mut Diagnostics) {
        self.check_with(&Accounts::system(), d);
    }

    pub(super) fn check_with(&self, acc: &Accounts, d: &mut Diagnostics) {
        if let Some(u) = &self.scripts.user
            && let Some(loc) = u.origin.0
        {
            if !acc.has_user(&u.user) {
                d.warn(
                    loc,
                    format!(
                        "`script_user`: no user `{}` on this machine: scripts without their own user will not run",
                        u.user
                    ),
                );
            } else if let Some(g) = &u.group
                && !acc.has_group(g)
            {
                d.warn(
                    loc,
                    format!("`script_user`: no group `{g}` on this machine: scripts without their own user will not run"),
                );
            }
        }
        for (kw, s) in [
            ("startup_script", &self.scripts.startup),
            ("shutdown_script", &self.scripts.shutdown),
        ] {
            let Some(s) = s else { continue };
            let Some(loc) = s.origin.0 else { continue };
            if let Some(u) = &s.user
                && !acc.has_user(u)
            {
                d.warn(
                    loc,
                    format!("`{kw}`: no user `{u}` on this machine - ignoring the script"),
                );
            } else if let Some(g) = &s.group
                && !acc.has_group(g)
            {
                d.warn(
                    loc,
                    format!("`{kw}`: no group `{g}` on this machine - ignoring the script"),
                );
            }
        }
        // The man page: "the FIFO names must all be different". keepalived does not check.
        let paths = [
            ("notify_fifo", &self.fifos.notify.path),
            ("vrrp_notify_fifo", &self.fifos.vrrp.path),
            ("lvs_notify_fifo", &self.fifos.lvs.path),
        ];
        for (i, (kw, p)) in paths.iter().enumerate() {
            let Some(p) = p else { continue };
            if let Some((other, _)) = paths[..i]
                .iter()
                .find(|(_, q)| q.as_ref().is_some_and(|q| q.path == p.path))
                && let Some(loc) = p.origin.0
            {
                d.note(
                    loc,
                    format!("`{kw}` `{}` is the same FIFO as `{other}`", p.path),
                )
                .hint("keepalived's manual asks for different FIFO names");
            }
        }
        for (kw, f) in [
            ("notify_fifo", &self.fifos.notify),
            ("vrrp_notify_fifo", &self.fifos.vrrp),
            ("lvs_notify_fifo", &self.fifos.lvs),
        ] {
            if f.path.is_none()
                && let Some(s) = &f.script
                && let Some(loc) = s.origin.0
            {
                d.note(
                    loc,
                    format!("`{kw}_script` without `{kw}`: the script has no FIFO to read"),
                );
            }
        }
    }
}

/// Users and groups of this machine, from /etc/passwd and /etc/group (no NSS: a user known only
/// to LDAP or similar looks missing; the messages say "on this machine").
#[derive(Debug, Default)]
pub(super) struct Accounts {
    pub(super) users: Vec<String>,
    pub(super) groups: Vec<String>,
}

impl Accounts {
    pub(super) fn system() -> Accounts {
        let names = |path: &str| -> Vec<String> {
            std::fs::read_to_string(path)
                .map(|t| {
                    t.lines()
                        .filter_map(|l| l.split(':').next())
                        .filter(|n| !n.is_empty() && !n.starts_with('#'))
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default()
        };
        Accounts {
            users: names("/etc/passwd"),
            groups: names("/etc/group"),
        }
    }

    /// Unknown when the files could not be read: then every name is taken to exist.
    pub(super) fn has_user(&self, name: &str) -> bool {
        self.users.is_empty() || self.users.iter().any(|u| u == name)
    }

    pub(super) fn has_group(&self, name: &str) -> bool {
        self.groups.is_empty() || self.groups.iter().any(|g| g == name)
    }
}
