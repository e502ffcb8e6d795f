//! `enable_dbus` against a real dbus-daemon (a private system bus whose policy lets root own any
//! name), side by side with Debian's keepalived 2.2.7 on the same bus. Two routers on a bridge
//! (../shared/reference/lab.md), two instances each (VI_4: IPv4, VRID 51; VI_6: IPv6, VRID 52):
//! router 0 runs keepalived 2.2.7 at priority 150 as `org.keepalived.Peer1`
//! (`dbus_service_name`), router 1 keepalived-rs at priority 100 as `org.keepalived.Vrrp1`.
//! Checked with busctl:
//! - the object tree and the introspection XML of every node, identical to keepalived's (its
//!   `<!-- GDBus ... -->` comment aside);
//! - `Name` and `State` of each instance object (`Get` and `GetAll`), the same types and values as
//!   keepalived's (backup here, master there);
//! - `PrintData` and `PrintStats` write the dump files, `ReloadConfig` reloads and says
//!   `VrrpReloaded`, unknown methods and properties get keepalived's error names;
//! - a failover (keepalived stopped): keepalived says `VrrpStatusChange` 98 and `VrrpStopped`,
//!   keepalived-rs `VrrpStatusChange` 2 on each object that became master; `SendGarp` on the
//!   new master puts a gratuitous ARP on the wire;
//! - the bus goes away and comes back: keepalived-rs owns its name again;
//! - keepalived-rs stopping says `VrrpStatusChange` 98 and `VrrpStopped` like keepalived.
//!
//! Needs root, `ip netns`, dbus-daemon, busctl and keepalived (a `SKIP` line without, a failure
//! under `KEEPALIVED_RS_FULL_TESTS=1`).

mod common;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::lab::{Lab, daemon_cmd, prerequisites};
use common::{Daemon, TempDir, have, poll_until, require};
use keepalived_rs::wire;

const LIMIT: Duration = Duration::from_secs(10);
const RS: &str = "org.keepalived.Vrrp1";
const KA: &str = "org.keepalived.Peer1";
const I4: &str = "/org/keepalived/Vrrp1/Instance/eth0/51/IPv4";
const I6: &str = "/org/keepalived/Vrrp1/Instance/eth0/52/IPv6";

fn can_run() -> bool {
    prerequisites(Some("keepalived (Debian's, built with DBus) not installed"))
        && require(
            have("dbus-daemon", "--version"),
            "dbus-daemon not installed (package dbus)",
        )
        && require(have("busctl", "--version"), "busctl not installed")
}

/// A private bus: its policy lets anyone own and call anything; it includes our policy file for
/// the system bus (packaging/dbus), which dbus-daemon must accept.
struct Bus {
    child: Child,
    conf: std::path::PathBuf,
    addr: String,
}

impl Bus {
    fn start(dir: &Path) -> Bus {
        let sock = dir.join("bus");
        let conf = dir.join("bus.conf");
        std::fs::write(
            &conf,
            format!(
                "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN\" \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n<busconfig><type>system</type><listen>unix:path={}</listen><auth>EXTERNAL</auth>\n<policy context=\"default\"><allow user=\"*\"/><allow own=\"*\"/><allow send_destination=\"*\"/><allow receive_sender=\"*\"/><allow eavesdrop=\"true\"/></policy>\n<include>{}/packaging/dbus/org.keepalived.Vrrp1.conf</include></busconfig>\n",
                sock.display(),
                env!("CARGO_MANIFEST_DIR")
            ),
        )
        .unwrap();
        Bus::spawn(conf, format!("unix:path={}", sock.display()))
    }

    fn spawn(conf: std::path::PathBuf, addr: String) -> Bus {
        let child = Command::new("dbus-daemon")
            .arg(format!("--config-file={}", conf.display()))
            .arg("--nofork")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let bus = Bus { child, conf, addr };
        assert!(
            poll_until(LIMIT, || bus.try_busctl(&["list"]).is_some()),
            "dbus-daemon did not come up"
        );
        bus
    }

    fn restart(mut self) -> Bus {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let (conf, addr) = (self.conf.clone(), self.addr.clone());
        drop(self);
        Bus::spawn(conf, addr)
    }

    fn try_busctl(&self, args: &[&str]) -> Option<String> {
        let out = Command::new("busctl")
            .arg(format!("--address={}", self.addr))
            .args(args)
            .output()
            .ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// busctl's output, or its error text prefixed with `ERR `.
    fn busctl(&self, args: &[&str]) -> String {
        let out = Command::new("busctl")
            .arg(format!("--address={}", self.addr))
            .args(args)
            .output()
            .unwrap();
        if out.status.success() {
            String::from_utf8_lossy(&out.stdout).into_owned()
        } else {
            format!("ERR {}", String::from_utf8_lossy(&out.stderr))
        }
    }

    /// The unique name owning `name`.
    fn owner(&self, name: &str) -> Option<String> {
        let o = self.try_busctl(&[
            "call",
            "org.freedesktop.DBus",
            "/org/freedesktop/DBus",
            "org.freedesktop.DBus",
            "GetNameOwner",
            "s",
            name,
        ])?;
        Some(
            o.trim()
                .trim_start_matches("s ")
                .trim_matches('"')
                .to_string(),
        )
    }

    fn prop(&self, svc: &str, path: &str, prop: &str) -> String {
        self.busctl(&[
            "get-property",
            svc,
            path,
            "org.keepalived.Vrrp1.Instance",
            prop,
        ])
        .trim()
        .to_string()
    }

    /// `Introspect` of `path`, the GDBus comment line removed.
    fn introspect(&self, svc: &str, path: &str) -> String {
        self.busctl(&[
            "call",
            svc,
            path,
            "org.freedesktop.DBus.Introspectable",
            "Introspect",
        ])
        .replace("\\n", "\n")
        .lines()
        .filter(|l| !l.starts_with("<!-- GDBus"))
        .collect::<Vec<_>>()
        .join("\n")
    }

    fn call(&self, svc: &str, path: &str, iface: &str, method: &str) -> String {
        self.busctl(&["call", svc, path, iface, method])
    }
}

impl Drop for Bus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `busctl monitor` of the whole bus, its output in a file.
struct Monitor {
    child: Child,
    out: std::path::PathBuf,
}

impl Monitor {
    fn start(bus: &Bus, out: std::path::PathBuf) -> Monitor {
        let file = std::fs::File::create(&out).unwrap();
        let child = Command::new("busctl")
            .arg(format!("--address={}", bus.addr))
            .arg("monitor")
            .stdin(Stdio::null())
            .stdout(file.try_clone().unwrap())
            .stderr(file)
            .spawn()
            .unwrap();
        let m = Monitor { child, out };
        assert!(
            poll_until(LIMIT, || m.text().contains("Monitoring")),
            "busctl monitor did not start"
        );
        m
    }

    fn text(&self) -> String {
        std::fs::read_to_string(&self.out).unwrap_or_default()
    }

    /// Waits until `sender` sent every signal of `want`.
    fn wait(&self, sender: &str, want: &[String]) {
        let ok = poll_until(LIMIT, || {
            let s = self.signals(sender);
            want.iter().all(|w| s.contains(w))
        });
        assert!(ok, "{want:?} not all in {:?}", self.signals(sender));
    }

    /// The signals `sender` sent, as `path member args`.
    fn signals(&self, sender: &str) -> Vec<String> {
        let t = self.text();
        t.split('‣')
            .filter(|b| b.contains("Type=signal") && b.contains(&format!("Sender={sender} ")))
            .map(|b| {
                let field = |k: &str| {
                    b.split_whitespace()
                        .find_map(|w| w.strip_prefix(k))
                        .unwrap_or("")
                        .to_string()
                };
                let args: Vec<&str> = b
                    .lines()
                    .filter_map(|l| l.trim().strip_prefix("UINT32 "))
                    .map(|v| v.trim_end_matches(';'))
                    .collect();
                format!("{} {} {}", field("Path="), field("Member="), args.join(" "))
                    .trim()
                    .to_string()
            })
            .collect()
    }
}

impl Drop for Monitor {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn config(lab: &Lab, prio: u8, name: &str, extra: &str) -> String {
    let n = lab.net;
    let inst = |iname: &str, vrid: u8, vip: &str| {
        format!(
            "vrrp_instance {iname} {{\n    state BACKUP\n    interface eth0\n    virtual_router_id {vrid}\n    priority {prio}\n    advert_int 0.5\n    garp_master_delay 0\n    virtual_ipaddress {{\n        {vip}\n    }}\n}}\n"
        )
    };
    [
        format!("global_defs {{\n    router_id dbus\n    enable_dbus\n    dbus_service_name {name}\n{extra}}}\n"),
        inst("VI_4", 51, &format!("10.99.{n}.100/24")),
        inst("VI_6", 52, &format!("fd00:99:{n:x}::100/64")),
    ]
    .concat()
}

fn start(lab: &Lab, dir: &Path, i: usize, conf: &str, keepalived: bool, bus: &Bus) -> Daemon {
    let run = dir.join(format!("r{i}"));
    std::fs::create_dir_all(&run).unwrap();
    let file = run.join("keepalived.conf");
    std::fs::write(&file, conf).unwrap();
    let mut cmd = daemon_cmd(&lab.routers[i].ns, keepalived, &file, &run);
    cmd.env("DBUS_SYSTEM_BUS_ADDRESS", &bus.addr);
    Daemon::start_cmd(&mut cmd)
}

#[test]
fn dbus_service_beside_keepalived() {
    if !can_run() {
        return;
    }
    let dir = TempDir::new("dbus");
    let mut bus = Bus::start(dir.path());
    let mut lab = Lab::new("db", 2);
    lab.capture();
    let data = dir.path().join("rs.data");
    let stats = dir.path().join("rs.stats");
    let mut ka = start(&lab, dir.path(), 0, &config(&lab, 150, KA, ""), true, &bus);
    let rs_conf = config(
        &lab,
        100,
        RS,
        &format!(
            "    state_file_location {}\n    stats_file_location {}\n",
            data.display(),
            stats.display()
        ),
    );
    let mut rs = start(&lab, dir.path(), 1, &rs_conf, false, &bus);

    // Both own their names; keepalived is master of both instances, keepalived-rs backup.
    assert!(
        poll_until(LIMIT, || bus.owner(RS).is_some() && bus.owner(KA).is_some()),
        "names not owned: {}\n{}",
        bus.busctl(&["list"]),
        rs.log()
    );
    let master = |svc: &str, want: &str| {
        poll_until(LIMIT, || {
            [I4, I6].iter().all(|p| bus.prop(svc, p, "State") == want)
        })
    };
    assert!(master(KA, "(us) 2 \"Master\""), "keepalived not master");
    assert!(master(RS, "(us) 1 \"Backup\""), "keepalived-rs not backup");

    // The tree and every node's introspection, as keepalived's.
    let tree = bus.busctl(&["tree", RS]);
    assert_eq!(tree, bus.busctl(&["tree", KA]));
    for p in [I4, I6, "/org/keepalived/Vrrp1/Vrrp"] {
        assert!(tree.contains(p), "{p} not in\n{tree}");
    }
    let nodes: Vec<&str> = tree
        .lines()
        .filter_map(|l| l.find('/').map(|i| &l[i..]))
        .collect();
    assert!(nodes.len() >= 9, "{tree}");
    for p in std::iter::once("/").chain(nodes.iter().copied()) {
        let ours = bus.introspect(RS, p);
        assert!(!ours.starts_with("ERR"), "{p}: {ours}");
        assert_eq!(ours, bus.introspect(KA, p), "introspection of {p}");
    }
    println!(
        "introspection of {} nodes identical to keepalived's",
        nodes.len() + 1
    );

    // Properties: the same types, the same names.
    for p in [I4, I6] {
        assert_eq!(bus.prop(RS, p, "Name"), bus.prop(KA, p, "Name"));
        let all = |svc| {
            bus.busctl(&[
                "call",
                svc,
                p,
                "org.freedesktop.DBus.Properties",
                "GetAll",
                "s",
                "org.keepalived.Vrrp1.Instance",
            ])
        };
        assert_eq!(
            all(RS).replace("1 \"Backup\"", "2 \"Master\""),
            all(KA),
            "GetAll of {p}"
        );
    }
    assert_eq!(bus.prop(RS, I4, "Name"), "(s) \"VI_4\"");
    // Errors: keepalived's names (GDBus's texts).
    for svc in [RS, KA] {
        let e = bus.prop(svc, I4, "Bad");
        assert!(e.contains("No such property"), "{svc}: {e}");
        let e = bus.call(
            svc,
            "/org/keepalived/Vrrp1/Vrrp",
            "org.keepalived.Vrrp1.Vrrp",
            "Nope",
        );
        assert!(e.contains("No such method"), "{svc}: {e}");
    }

    let mon = Monitor::start(&bus, dir.path().join("monitor"));
    let rs_id = bus.owner(RS).unwrap();
    let ka_id = bus.owner(KA).unwrap();

    // Methods.
    let vrrp = "/org/keepalived/Vrrp1/Vrrp";
    let iface = "org.keepalived.Vrrp1.Vrrp";
    assert_eq!(bus.call(RS, vrrp, iface, "PrintData"), "");
    assert!(poll_until(LIMIT, || std::fs::read_to_string(&data)
        .is_ok_and(|t| t.contains("VI_4"))));
    assert_eq!(bus.call(RS, vrrp, iface, "PrintStats"), "");
    assert!(poll_until(LIMIT, || stats.exists()));
    assert_eq!(bus.call(RS, vrrp, iface, "ReloadConfig"), "");
    assert!(
        rs.wait_for("Reloading (reload 1)", LIMIT).is_some(),
        "{}",
        rs.log()
    );
    assert!(poll_until(LIMIT, || mon
        .signals(&rs_id)
        .contains(&format!("{vrrp} VrrpReloaded"))));
    assert_eq!(
        bus.call(RS, I4, "org.keepalived.Vrrp1.Instance", "SendGarp"),
        ""
    );

    // Failover: keepalived stops, keepalived-rs takes both instances.
    ka.term("keepalived");
    assert!(master(RS, "(us) 2 \"Master\""), "keepalived-rs not master");
    let want_rs = [
        format!("{I4} VrrpStatusChange 2"),
        format!("{I6} VrrpStatusChange 2"),
    ];
    mon.wait(&rs_id, &want_rs);
    let ka_sigs = mon.signals(&ka_id);
    for w in [
        format!("{I4} VrrpStatusChange 98"),
        format!("{I6} VrrpStatusChange 98"),
        format!("{vrrp} VrrpStopped"),
    ] {
        assert!(ka_sigs.contains(&w), "keepalived: {w} not in {ka_sigs:?}");
    }
    drop(mon);

    // SendGarp on the new master: a gratuitous ARP for its VIP (none is due otherwise:
    // `garp_master_delay 0`, the transition's burst is over once the signals came).
    let vip: std::net::Ipv4Addr = format!("10.99.{}.100", lab.net).parse().unwrap();
    let garps = |t| {
        lab.frames_since(t)
            .iter()
            .filter(|f| {
                wire::arp::parse_frame(&f.bytes).is_ok_and(|(_, a)| {
                    a.source_protocol_addr == vip && a.target_protocol_addr == vip
                })
            })
            .count()
    };
    let t0 = std::time::Instant::now();
    assert_eq!(
        bus.call(RS, I4, "org.keepalived.Vrrp1.Instance", "SendGarp"),
        ""
    );
    assert!(
        poll_until(LIMIT, || garps(t0) >= 1),
        "no GARP after SendGarp"
    );
    println!("SendGarp: {} GARP(s) on the wire", garps(t0));

    // The bus goes away and comes back: keepalived-rs owns its name again.
    bus = bus.restart();
    assert!(
        poll_until(Duration::from_secs(20), || bus.prop(RS, I4, "State")
            == "(us) 2 \"Master\""),
        "no reconnection: {}",
        rs.log()
    );
    assert!(rs.wait_for("reconnecting in", LIMIT).is_some());

    // Stopping: VrrpStatusChange 98 for each object, then VrrpStopped.
    let mon = Monitor::start(&bus, dir.path().join("monitor2"));
    let rs_id = bus.owner(RS).unwrap();
    rs.term("keepalived-rs");
    let want = [
        format!("{I4} VrrpStatusChange 98"),
        format!("{I6} VrrpStatusChange 98"),
        format!("{vrrp} VrrpStopped"),
    ];
    mon.wait(&rs_id, &want);
}
