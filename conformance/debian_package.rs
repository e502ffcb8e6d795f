//! The Debian package (packaging/debian): built by packaging/debian/build.sh from this test's
//! binary, or the `.deb` that `KEEPALIVED_RS_DEB` names (.ci/run builds it from the static musl
//! binary). Its control data and contents are checked with `dpkg-deb`, then it is installed for
//! real with `dpkg -i` beside Debian's keepalived, the installed daemon runs from the installed
//! files in a network namespace (the default configuration, then a VRRP instance that becomes
//! master), the unit passes `systemd-analyze verify`, and `dpkg --purge` leaves nothing behind
//! and keepalived intact. A keepalived.conf written before the package survives its purge.
//!
//! Needs root, dpkg and `ip netns`; without them one `SKIP` line (a failure under
//! `KEEPALIVED_RS_FULL_TESTS=1`). A machine where keepalived-rs is already installed as a
//! package is refused: the test would remove it. Cleanup (purge, the original keepalived.conf
//! put back) runs also when the test fails.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use common::json;
use common::lab::{Lab, ns_exec};
use common::{Daemon, TempDir, have, is_root, poll_until, require};

const PKG: &str = "keepalived-rs";
const CONF: &str = "/etc/keepalived/keepalived.conf";
const SAVED: &str = "/etc/keepalived/keepalived.conf.keepalived-rs-saved";
const BIN: &str = "/usr/sbin/keepalived-rs";
const UNIT: &str = "/usr/lib/systemd/system/keepalived-rs.service";
const WANTS: &str = "/etc/systemd/system/multi-user.target.wants/keepalived-rs.service";

/// The regular files of the package and their modes.
const FILES: [(&str, &str); 9] = [
    ("etc/keepalived/keepalived.conf", "-rw-r--r--"),
    ("usr/lib/systemd/system/keepalived-rs.service", "-rw-r--r--"),
    ("usr/sbin/keepalived-rs", "-rwxr-xr-x"),
    ("usr/share/doc/keepalived-rs/README.Debian.gz", "-rw-r--r--"),
    ("usr/share/doc/keepalived-rs/changelog.gz", "-rw-r--r--"),
    ("usr/share/doc/keepalived-rs/copyright", "-rw-r--r--"),
    ("usr/share/lintian/overrides/keepalived-rs", "-rw-r--r--"),
    ("usr/share/man/man5/keepalived-rs.conf.5.gz", "-rw-r--r--"),
    ("usr/share/man/man8/keepalived-rs.8.gz", "-rw-r--r--"),
];

fn src(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

fn run(prog: &str, args: &[&str]) -> Output {
    Command::new(prog)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{prog}: {e}"))
}

/// Runs a command that must succeed; its standard output.
fn ok(prog: &str, args: &[&str]) -> String {
    succeeded(prog, args, run(prog, args))
}

/// The standard output of a command that must have succeeded.
fn succeeded(prog: &str, args: &[&str], out: Output) -> String {
    assert!(
        out.status.success(),
        "{prog} {}: {}\n{}",
        args.join(" "),
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `dpkg ARGS`, which must succeed; waits up to a minute for dpkg's lock (apt's timers may hold
/// it on a CI machine).
fn dpkg(args: &[&str]) {
    let mut out = None;
    common::poll_every(Duration::from_secs(60), Duration::from_millis(500), || {
        let o = run("dpkg", args);
        let locked = !o.status.success() && String::from_utf8_lossy(&o.stderr).contains("lock");
        out = Some(o);
        !locked
    });
    succeeded("dpkg", args, out.unwrap());
}

/// dpkg's status of a package ("install ok installed"), empty when unknown.
fn status(pkg: &str) -> String {
    let out = run("dpkg-query", &["-W", "-f=${Status}", pkg]);
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn gunzip(path: &str) -> Vec<u8> {
    let out = run("gzip", &["-dc", path]);
    assert!(out.status.success(), "gzip -dc {path}");
    out.stdout
}

/// Whether the ELF file at `path` names a program interpreter (is dynamically linked).
fn has_interp(path: &str) -> bool {
    let b = std::fs::read(path).unwrap();
    let u16_at = |o: usize| u16::from_le_bytes([b[o], b[o + 1]]) as usize;
    let phoff = u64::from_le_bytes(b[0x20..0x28].try_into().unwrap()) as usize;
    let (size, n) = (u16_at(0x36), u16_at(0x38));
    (0..n).any(|i| {
        let o = phoff + i * size;
        u32::from_le_bytes(b[o..o + 4].try_into().unwrap()) == 3 // PT_INTERP
    })
}

/// Cleanup whatever happens: purges the package, then puts back the keepalived.conf that was
/// there before the test (moved aside to `backup`), or removes one the test left.
struct Machine {
    backup: PathBuf,
    had_conf: bool,
}

impl Machine {
    fn take() -> Machine {
        let backup = PathBuf::from(format!("{CONF}.krs-test-{}", std::process::id()));
        let had_conf = Path::new(CONF).exists();
        if had_conf {
            std::fs::rename(CONF, &backup).unwrap();
        }
        Machine { backup, had_conf }
    }
}

impl Drop for Machine {
    fn drop(&mut self) {
        if !status(PKG).is_empty() {
            let out = run("dpkg", &["--purge", PKG]);
            if !out.status.success() {
                eprintln!("cleanup: dpkg --purge {PKG}: {out:?}");
            }
        }
        let _ = std::fs::remove_file(SAVED);
        let _ = std::fs::remove_file(format!("{CONF}.dpkg-dist"));
        if self.had_conf {
            let _ = std::fs::rename(&self.backup, CONF);
        } else {
            let _ = std::fs::remove_file(CONF);
        }
    }
}

fn can_run() -> bool {
    require(
        is_root(),
        "not root: dpkg -i and network namespaces need root",
    ) && require(
        have("dpkg-deb", "--version") && have("dpkg", "--version"),
        "dpkg-deb/dpkg not found: the package is built and installed with them",
    ) && require(
        have("ip", "-V"),
        "iproute2 (`ip`) not installed: needed for the namespace lab",
    ) && require(
        status(PKG).is_empty(),
        "keepalived-rs is installed as a package here: the test would remove it",
    )
}

/// The .deb to test: `KEEPALIVED_RS_DEB`, or one built now from the test's binary.
fn package(dir: &TempDir) -> String {
    if let Ok(deb) = std::env::var("KEEPALIVED_RS_DEB") {
        assert!(
            Path::new(&deb).is_file(),
            "KEEPALIVED_RS_DEB={deb}: no file"
        );
        return deb;
    }
    let out = dir.path().join("out");
    let built = ok(
        "bash",
        &[
            &src("packaging/debian/build.sh").to_string_lossy(),
            common::bin(),
            &out.to_string_lossy(),
        ],
    );
    built.lines().last().unwrap_or_default().to_string()
}

fn deb_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    }
}

/// `dpkg-deb --info` and `--contents`: the fields, the files with their modes and owners, the
/// conffile.
fn check_archive(deb: &str) {
    let control = ok("dpkg-deb", &["--field", deb]);
    let field = |name: &str| {
        control
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{name}: ")))
            .map(str::to_string)
    };
    assert_eq!(field("Package").as_deref(), Some(PKG));
    assert_eq!(field("Version").as_deref(), Some(env!("CARGO_PKG_VERSION")));
    assert_eq!(field("Architecture").as_deref(), Some(deb_arch()));
    // Beside Debian's keepalived by design: no package relation with it.
    for f in ["Conflicts", "Breaks", "Replaces", "Provides"] {
        assert_eq!(field(f), None, "{f}: {control}");
    }
    let info = ok("dpkg-deb", &["--info", deb]);
    for script in ["preinst", "postinst", "prerm", "postrm"] {
        assert!(info.contains(&format!(" {script} ")), "{script}: {info}");
    }
    let conffiles = ok("dpkg-deb", &["--info", deb, "conffiles"]);
    assert_eq!(conffiles, format!("{CONF}\n"));

    let contents = ok("dpkg-deb", &["--contents", deb]);
    let mut files = Vec::new();
    for line in contents.lines() {
        let cols: Vec<&str> = line.split_whitespace().collect();
        assert!(cols.len() >= 6, "{line}");
        assert_eq!(cols[1], "root/root", "{line}");
        let path = cols[5].trim_start_matches("./");
        match cols[0].chars().next() {
            Some('d') => assert_eq!(cols[0], "drwxr-xr-x", "{line}"),
            Some('-') => files.push((path.to_string(), cols[0].to_string())),
            _ => panic!("neither file nor directory: {line}"),
        }
    }
    let want: Vec<(String, String)> = FILES
        .iter()
        .map(|(p, m)| (p.to_string(), m.to_string()))
        .collect();
    files.sort();
    assert_eq!(files, want, "{contents}");
    println!(
        "package: {deb}, {} bytes, Depends: {}",
        std::fs::metadata(deb).unwrap().len(),
        field("Depends").unwrap_or_else(|| "none".into())
    );
}

/// The installed files are the tree's, the binary runs and accepts the default configuration
/// (so does keepalived), the unit is not enabled and passes `systemd-analyze verify`.
fn check_installed(control: &str) {
    assert_eq!(status(PKG), "install ok installed");
    ok("dpkg", &["--verify", PKG]);
    let read = |p: &str| std::fs::read(p).unwrap_or_else(|e| panic!("{p}: {e}"));
    assert_eq!(
        read(CONF),
        read(&src("packaging/debian/keepalived.conf").to_string_lossy())
    );
    assert_eq!(
        read(UNIT),
        read(&src("packaging/systemd/keepalived-rs.service").to_string_lossy())
    );
    assert_eq!(
        gunzip("/usr/share/man/man8/keepalived-rs.8.gz"),
        read(&src("man/keepalived-rs.8").to_string_lossy())
    );
    assert_eq!(
        gunzip("/usr/share/man/man5/keepalived-rs.conf.5.gz"),
        read(&src("man/keepalived-rs.conf.5").to_string_lossy())
    );
    // Static binary: no Depends; dynamic: what it links against.
    let depends = control.lines().find(|l| l.starts_with("Depends: "));
    assert_eq!(has_interp(BIN), depends.is_some(), "{control}");
    if let Some(d) = depends {
        assert!(d.contains("libc6"), "{d}");
    }
    assert!(ok(BIN, &["--version"]).contains(env!("CARGO_PKG_VERSION")));
    ok(BIN, &["-t", "-f", CONF]);
    if have("keepalived", "-v") {
        ok("keepalived", &["-t", "-f", CONF]);
    }
    assert!(
        std::fs::symlink_metadata(WANTS).is_err(),
        "the package must not enable the unit"
    );
    if have("systemd-analyze", "--version") {
        let out = run("systemd-analyze", &["verify", UNIT]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "systemd-analyze verify {UNIT}: {err}");
        println!("systemd-analyze verify {UNIT}: OK {}", err.trim());
    } else {
        println!("no systemd-analyze: unit not verified");
    }
}

/// The installed binary in a namespace: with the installed default configuration (starts,
/// answers `--status` with nothing configured, stops on SIGTERM with status 0), then with a VRRP
/// instance that becomes master and adds its address.
fn run_installed(dir: &TempDir) {
    let lab = Lab::new("deb", 1);
    let ns = lab.routers[0].ns.clone();
    let pid = dir.path().join("rs.pid").to_string_lossy().into_owned();
    let start = |conf: &str| {
        Daemon::start_cmd(Command::new("ip").args([
            "netns", "exec", &ns, BIN, "-n", "-l", "-D", "-f", conf, "-p", &pid,
        ]))
    };
    let status = || {
        let out = ns_exec(&ns, &[BIN, "--status", "-p", &pid]);
        assert!(out.status.success(), "--status: {out:?}");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        json::parse(text.trim()).unwrap_or_else(|e| panic!("{e}: {text}"))
    };

    let mut d = start(CONF);
    d.wait_for("Startup complete", Duration::from_secs(10))
        .unwrap_or_else(|| panic!("default configuration: no start\n{}", d.log()));
    assert!(status().arr().is_empty(), "nothing configured");
    d.signal(libc::SIGTERM);
    let code = d.wait_exit(Duration::from_secs(5)).map(|s| s.code());
    assert_eq!(code, Some(Some(0)), "{}", d.log());

    let vip = format!("10.99.{}.200", lab.net);
    let conf = dir.path().join("vrrp.conf");
    std::fs::write(
        &conf,
        format!(
            "vrrp_instance VI_1 {{\n    state MASTER\n    interface eth0\n    virtual_router_id 51\n    priority 100\n    advert_int 1\n    virtual_ipaddress {{\n        {vip}/24 dev eth0\n    }}\n}}\n"
        ),
    )
    .unwrap();
    let mut d = start(&conf.to_string_lossy());
    d.wait_for("Entering MASTER STATE", Duration::from_secs(10))
        .unwrap_or_else(|| panic!("no MASTER\n{}", d.log()));
    assert!(
        poll_until(Duration::from_secs(5), || lab.has_addr(0, &vip)),
        "{vip} not on eth0: {}",
        lab.addrs(0)
    );
    let all = status();
    let data = all.arr().first().and_then(|e| e.get("data"));
    assert_eq!(
        data.and_then(|d| d.get("iname")),
        Some(&json::Json::Str("VI_1".into()))
    );
    assert_eq!(
        data.and_then(|d| d.get("state")).and_then(|s| s.num()),
        Some(2.0)
    );
    d.signal(libc::SIGTERM);
    let code = d.wait_exit(Duration::from_secs(5)).map(|s| s.code());
    assert_eq!(code, Some(Some(0)), "{}", d.log());
    assert!(!lab.has_addr(0, &vip), "address left after stop");
    println!("installed daemon: default configuration ran, VI_1 master with {vip}");
}

/// After a purge: no file (the configuration is checked by the caller), no state, keepalived
/// untouched.
fn check_purged(ka_before: &Option<String>) {
    assert_eq!(status(PKG), "");
    for (p, _) in FILES.iter().filter(|(p, _)| !CONF.ends_with(p)) {
        assert!(
            !Path::new(&format!("/{p}")).exists(),
            "/{p} left after purge"
        );
    }
    assert!(!Path::new("/usr/share/doc/keepalived-rs").exists());
    let state = "/var/lib/systemd/deb-systemd-helper-enabled/keepalived-rs.service.dsh-also";
    assert!(!Path::new(state).exists(), "{state} left after purge");
    assert_eq!(&keepalived_state(), ka_before, "keepalived changed");
}

/// Debian's keepalived: its status, and `dpkg --verify` passing (None when not installed).
fn keepalived_state() -> Option<String> {
    let s = status("keepalived");
    if s.is_empty() {
        return None;
    }
    ok("dpkg", &["--verify", "keepalived"]);
    Some(s)
}

#[test]
fn package_installs_runs_and_purges() {
    if !can_run() {
        return;
    }
    let dir = TempDir::new("deb");
    let deb = package(&dir);
    check_archive(&deb);
    let ka_before = keepalived_state();
    let control = ok("dpkg-deb", &["--field", &deb]);

    let machine = Machine::take();
    dpkg(&["-i", &deb]);
    check_installed(&control);
    run_installed(&dir);
    if have("systemctl", "--version") {
        // The administrator's choice survives an upgrade (a reinstallation runs the same
        // postinst path); the purge removes the link.
        ok("systemctl", &["enable", "keepalived-rs.service"]);
        dpkg(&["-i", &deb]);
        assert!(std::fs::symlink_metadata(WANTS).is_ok(), "enablement lost");
    }
    dpkg(&["--purge", PKG]);
    check_purged(&ka_before);
    assert!(std::fs::symlink_metadata(WANTS).is_err(), "{WANTS} left");
    assert!(
        !Path::new(CONF).exists(),
        "the package's configuration left"
    );

    // A keepalived.conf from before the package: kept on installation (dpkg's default answer,
    // forced here: no terminal), the package's own beside it, the old one back after a purge.
    let mine = "# written before keepalived-rs was installed\n";
    std::fs::write(CONF, mine).unwrap();
    dpkg(&["-i", "--force-confold", &deb]);
    assert_eq!(std::fs::read_to_string(CONF).unwrap(), mine);
    assert!(Path::new(&format!("{CONF}.dpkg-dist")).exists());
    assert_eq!(std::fs::read_to_string(SAVED).unwrap(), mine);
    dpkg(&["--purge", PKG]);
    check_purged(&ka_before);
    assert_eq!(std::fs::read_to_string(CONF).unwrap(), mine, "not put back");
    assert!(!Path::new(SAVED).exists());
    assert!(!Path::new(&format!("{CONF}.dpkg-dist")).exists());
    drop(machine);
}
