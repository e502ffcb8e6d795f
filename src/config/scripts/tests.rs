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
    assert_eq!(d.exit_status(), 6);
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
        &format!("global_defs {{\n    enable_script_security\n    script_user root\n}}\n{text}"),
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
