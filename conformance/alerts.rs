//! E-mail alerts (`smtp_alert`) on a real kernel: a small SMTP server (python3,
//! `conformance/alerts/sink.py`) in a namespace of a lab stores every message it is given;
//! keepalived-rs and Debian's keepalived 2.2.7 mail their VRRP transitions to it, and
//! keepalived-rs a real server that its TCP_CHECK finds down. The messages are compared with
//! keepalived's, envelope, headers and body. A dead mail server (its packets dropped by
//! nftables) holds nothing up: a failover of 70 instances happens on time while their alerts
//! fill the queue and are dropped, counted in the statistics dump; a refused or silent server
//! fails each mail, counted.
//! Needs root, `ip netns`, python3, nft and keepalived; without them each test prints one
//! `SKIP` line (a failure under `KEEPALIVED_RS_FULL_TESTS=1`).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::lab::{Lab, daemon_cmd, ns_exec, prerequisites};
use common::{Daemon, TempDir, have, poll_until, require};

const PORT: u16 = 2525;

/// The SMTP sink of a test, in a namespace; killed on drop.
struct Sink {
    child: Child,
    dir: TempDir,
}

impl Sink {
    fn start(ns: &str, addr: &str) -> Sink {
        let dir = TempDir::new("sink");
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("conformance/alerts/sink.py");
        let child = Command::new("ip")
            .args(["netns", "exec", ns, "python3"])
            .arg(&script)
            .args([addr, &PORT.to_string()])
            .arg(dir.path())
            .stdin(Stdio::null())
            .spawn()
            .expect("start the SMTP sink");
        let ready = dir.path().join("ready");
        assert!(
            poll_until(Duration::from_secs(10), || ready.exists()),
            "SMTP sink did not start"
        );
        Sink { child, dir }
    }

    /// The messages received so far, in order.
    fn mails(&self) -> Vec<String> {
        let mut names: Vec<PathBuf> = std::fs::read_dir(self.dir.path())
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "eml"))
            .collect();
        names.sort();
        names
            .iter()
            .map(|p| String::from_utf8_lossy(&std::fs::read(p).unwrap()).into_owned())
            .collect()
    }

    /// Waits for a message whose subject contains `subject`.
    fn wait(&self, subject: &str, limit: Duration) -> Option<String> {
        let mut found = None;
        poll_until(limit, || {
            found = self
                .mails()
                .into_iter()
                .find(|m| header(m, "Subject").is_some_and(|s| s.contains(subject)));
            found.is_some()
        });
        found
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The value of header `name` of a stored message.
fn header<'a>(mail: &'a str, name: &str) -> Option<&'a str> {
    let prefix = format!("{name}: ");
    mail.split("\r\n")
        .find_map(|l| l.strip_prefix(prefix.as_str()))
}

/// A message with its date and router id replaced, to compare two daemons' mails.
fn normalized(mail: &str, router_id: &str) -> String {
    mail.split("\r\n")
        .map(|l| {
            if l.starts_with("Date: ") {
                "Date: <date>".to_string()
            } else {
                l.replace(&format!("[{router_id}]"), "[<id>]")
            }
        })
        .collect::<Vec<_>>()
        .join("\r\n")
}

/// RFC 5322 3.3 as keepalived writes it: `Mon, 07 Dec 2026 17:26:38 +0000`.
fn date_ok(d: &str) -> bool {
    let w: Vec<&str> = d.split(' ').collect();
    w.len() == 6
        && w[0].len() == 4
        && w[0].ends_with(',')
        && w[1].len() == 2
        && w[2].len() == 3
        && w[3].len() == 4
        && w[4].len() == 8
        && w[5].len() == 5
        && (w[5].starts_with('+') || w[5].starts_with('-'))
}

fn mail_globals(router_id: &str, server: &str, extra: &str) -> String {
    format!(
        "global_defs {{\n  router_id {router_id}\n  notification_email {{\n    ops@example.org\n    admin@example.org\n  }}\n  notification_email_from alerts@example.org\n  smtp_server {server} {PORT}\n  smtp_helo_name lab-helo\n  smtp_alert\n{extra}}}\n"
    )
}

fn instance(name: &str, vrid: u8, prio: u8, vip: &str, extra: &str) -> String {
    format!(
        "vrrp_instance {name} {{\n  state BACKUP\n  interface eth0\n  virtual_router_id {vrid}\n  priority {prio}\n  advert_int 1\n{extra}  virtual_ipaddress {{\n    {vip}/24\n  }}\n}}\n"
    )
}

/// A sync group of one member, VI_2.
const GROUP: &str = "vrrp_sync_group G1 {\n  group {\n    VI_2\n  }\n  smtp_alert\n}\n";

fn can_run() -> bool {
    prerequisites(Some(
        "keepalived not installed: the alerts are compared with its mails",
    )) && require(
        have("python3", "--version"),
        "python3 not installed: it runs the SMTP server",
    )
}

fn can_run_nft() -> bool {
    can_run()
        && require(
            have("nft", "--version"),
            "nft not installed: it blackholes the mail server",
        )
}

/// Drops what namespace `ns` sends to the mail port: its connects hang until their deadline.
fn blackhole_mail(ns: &str) {
    for cmd in [
        "add table inet krsmail",
        "add chain inet krsmail out { type filter hook output priority 0 ; }",
        &format!("add rule inet krsmail out tcp dport {PORT} drop"),
    ] {
        let args: Vec<&str> = std::iter::once("nft").chain(cmd.split(' ')).collect();
        let out = ns_exec(ns, &args);
        assert!(
            out.status.success(),
            "nft {cmd}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn transitions_and_checks_are_mailed_as_keepalived_mails_them() {
    if !can_run() {
        return;
    }
    let lab = Lab::new("ml", 3);
    let net = lab.net;
    let mail_ns = &lab.routers[0].ns;
    let sink = Sink::start(mail_ns, &lab.routers[0].v4.to_string());
    let server = lab.routers[0].v4.to_string();
    let vip = format!("10.99.{net}.100");
    let vip2 = format!("10.99.{net}.101");
    let dir = TempDir::new("alerts");

    // keepalived 2.2.7 on r2 (priority 100): alone, it becomes master.
    let ka_conf = dir.path().join("ka.conf");
    std::fs::write(
        &ka_conf,
        mail_globals("ka2", &server, "")
            + &instance("VI_1", 51, 100, &vip, "")
            + &instance("VI_2", 52, 100, &vip2, "")
            + GROUP,
    )
    .unwrap();
    let ka_run = dir.path().join("ka");
    std::fs::create_dir_all(&ka_run).unwrap();
    let ka = Daemon::start_cmd(&mut daemon_cmd(&lab.routers[2].ns, true, &ka_conf, &ka_run));
    let ka_master = sink
        .wait(
            "[ka2] VRRP Instance VI_1 - Entering MASTER state",
            Duration::from_secs(15),
        )
        .unwrap_or_else(|| panic!("no MASTER mail from keepalived:\n{}", ka.log()));

    // keepalived-rs on r1 (priority 150) takes over; its TCP_CHECK of a closed port of r0
    // fails.
    let rs_conf = dir.path().join("rs.conf");
    let vs = format!(
        "virtual_server 10.99.{net}.200 80 {{\n  delay_loop 1\n  lb_algo rr\n  lb_kind NAT\n  protocol TCP\n  real_server {server} 9 {{\n    weight 1\n    TCP_CHECK {{\n      connect_timeout 1\n      retry 0\n    }}\n  }}\n}}\n"
    );
    std::fs::write(
        &rs_conf,
        mail_globals("rs1", &server, "")
            + &instance("VI_1", 51, 150, &vip, "")
            + &instance("VI_2", 52, 150, &vip2, "")
            + GROUP
            + &vs,
    )
    .unwrap();
    let rs_run = dir.path().join("rs");
    std::fs::create_dir_all(&rs_run).unwrap();
    let mut rs = Daemon::start_cmd(&mut daemon_cmd(
        &lab.routers[1].ns,
        false,
        &rs_conf,
        &rs_run,
    ));
    let limit = Duration::from_secs(15);
    let rs_master = sink
        .wait("[rs1] VRRP Instance VI_1 - Entering MASTER state", limit)
        .unwrap_or_else(|| panic!("no MASTER mail from keepalived-rs:\n{}", rs.log()));
    let rs_backup = sink
        .wait("[rs1] VRRP Instance VI_1 - Entering BACKUP state", limit)
        .expect("BACKUP mail from keepalived-rs (its start)");
    let ka_backup = sink
        .wait("[ka2] VRRP Instance VI_1 - Entering BACKUP state", limit)
        .unwrap_or_else(|| panic!("no BACKUP mail from keepalived:\n{}", ka.log()));
    let rs_group = sink
        .wait("[rs1] VRRP Group G1 - Entering MASTER state", limit)
        .unwrap_or_else(|| panic!("no group MASTER mail:\n{}", rs.log()));
    let ka_group = sink
        .wait("[ka2] VRRP Group G1 - Entering MASTER state", limit)
        .expect("keepalived's group MASTER mail");
    let rs_down = sink
        .wait(
            &format!("[rs1] Realserver [{server}]:tcp:9 of virtual server [10.99.{net}.200]:tcp:80 - DOWN"),
            limit,
        )
        .unwrap_or_else(|| panic!("no real server DOWN mail:\n{}", rs.log()));

    let quorum = sink
        .wait(
            &format!("[rs1] Virtualserver [10.99.{net}.200]:tcp:80 - DOWN"),
            limit,
        )
        .unwrap_or_else(|| panic!("no quorum DOWN mail:\n{}", rs.log()));
    assert!(
        quorum.ends_with("\r\n\r\n=> Lost quorum 1+0=1 <= 0 <=\r\n\r\n"),
        "{quorum}"
    );

    // The envelope and headers, as keepalived writes them.
    for m in [&rs_master, &rs_backup, &rs_down, &quorum] {
        let lines: Vec<&str> = m.split("\r\n").collect();
        assert_eq!(
            lines[..4],
            [
                "HELO lab-helo",
                "MAIL FROM:<alerts@example.org>",
                "RCPT TO:<ops@example.org>",
                "RCPT TO:<admin@example.org>"
            ],
            "{m}"
        );
        let names: Vec<&str> = lines[5..10]
            .iter()
            .map(|l| l.split(':').next().unwrap())
            .collect();
        assert_eq!(names, ["Date", "From", "Subject", "X-Mailer", "To"], "{m}");
        assert!(date_ok(header(m, "Date").unwrap()), "{m}");
        assert_eq!(header(m, "From"), Some("alerts@example.org"));
        assert_eq!(header(m, "X-Mailer"), Some("Keepalived"));
        assert_eq!(header(m, "To"), Some("ops@example.org, admin@example.org"));
    }
    assert!(rs_master.ends_with("\r\n\r\n=> VRRP Instance is now owning VRRP VIPs <=\r\n\r\n"));
    assert!(
        rs_down.ends_with("\r\n\r\n=> TCP CHECK failed on service <=\r\n\r\n"),
        "{rs_down}"
    );
    // The same transition, the same mail (but the date and the router id).
    assert_eq!(normalized(&rs_master, "rs1"), normalized(&ka_master, "ka2"));
    assert_eq!(normalized(&rs_backup, "rs1"), normalized(&ka_backup, "ka2"));
    assert_eq!(normalized(&rs_group, "rs1"), normalized(&ka_group, "ka2"));
    // At start both instances and the group enter BACKUP, as keepalived's do (keepalived
    // opens a connection per mail at once: they arrive in any order).
    let start = |id: &str| -> Vec<String> {
        let mut v: Vec<String> = sink
            .mails()
            .iter()
            .filter_map(|m| header(m, "Subject"))
            .filter(|s| s.starts_with(&format!("[{id}] VRRP")))
            .map(|s| s.replace(&format!("[{id}]"), "[<id>]"))
            .take(3)
            .collect();
        v.sort();
        v
    };
    assert_eq!(start("rs1"), start("ka2"));

    // A reload mails no state again (the Stopping mail after it is the next one sent).
    rs.signal(libc::SIGHUP);
    assert!(
        rs.wait_for("Reload finished", Duration::from_secs(10))
            .is_some(),
        "{}",
        rs.log()
    );
    // A stop mails "Stopping", within the stop.
    rs.signal(libc::SIGTERM);
    assert!(
        rs.wait_exit(Duration::from_secs(10)).is_some(),
        "keepalived-rs did not stop"
    );
    let stopping = sink.wait(
        "[rs1] VRRP Instance VI_1 - Stopping",
        Duration::from_secs(5),
    );
    assert!(
        stopping.is_some_and(|m| m.contains("=> VRRP Instance stopping <=")),
        "no Stopping mail:\n{}",
        rs.log()
    );
    let stopping = sink.wait("[rs1] VRRP Group G1 - Stopping", Duration::from_secs(5));
    assert!(
        stopping.is_some_and(|m| m.contains("=> All VRRP group instances are now stopping <=")),
        "no group Stopping mail:\n{}",
        rs.log()
    );
    let masters = sink
        .mails()
        .iter()
        .filter(|m| m.contains("[rs1] VRRP Instance VI_1 - Entering MASTER"))
        .count();
    assert_eq!(masters, 1, "the reload mailed MASTER again");
    // keepalived 2.2.7 opens the connection of its Stopping mail and exits (the server sees
    // a reset): reported, not required.
    let mut ka = ka;
    ka.signal(libc::SIGTERM);
    let _ = ka.wait_exit(Duration::from_secs(10));
    let ka_stopping = sink.wait(
        "[ka2] VRRP Instance VI_1 - Stopping",
        Duration::from_secs(2),
    );
    eprintln!(
        "keepalived's Stopping mail received: {}",
        ka_stopping.is_some()
    );
    let ours = sink.mails().iter().filter(|m| m.contains("[rs1]")).count();
    eprintln!(
        "{} mails received, {ours} from keepalived-rs",
        sink.mails().len()
    );
    for m in sink.mails() {
        eprintln!("{}", header(&m, "Subject").unwrap_or_default());
    }
}

#[test]
fn a_dead_mail_server_delays_no_failover_and_the_queue_drops() {
    if !can_run_nft() {
        return;
    }
    const N: u8 = 70;
    let lab = Lab::new("md", 2);
    let net = lab.net;
    let dir = TempDir::new("alerts-dead");
    // r1's packets to the mail port go nowhere: its connects hang until their deadline.
    let r1 = &lab.routers[1].ns;
    blackhole_mail(r1);
    let vip = |k: u8| format!("10.99.{net}.{}", 100 + u32::from(k));
    let instances = |prio: u8| -> String {
        (1..=N)
            .map(|k| instance(&format!("VI_{k}"), k, prio, &vip(k), ""))
            .collect()
    };
    let stats = dir.path().join("stats");
    let master_conf = dir.path().join("m.conf");
    std::fs::write(
        &master_conf,
        "global_defs {\n  router_id m\n}\n".to_string() + &instances(200),
    )
    .unwrap();
    let backup_conf = dir.path().join("b.conf");
    std::fs::write(
        &backup_conf,
        mail_globals(
            "b",
            &lab.routers[0].v4.to_string(),
            &format!(
                "  smtp_connect_timeout 30\n  stats_file_location {}\n",
                stats.display()
            ),
        ) + &instances(100),
    )
    .unwrap();
    let (mrun, brun) = (dir.path().join("m"), dir.path().join("b"));
    std::fs::create_dir_all(&mrun).unwrap();
    std::fs::create_dir_all(&brun).unwrap();
    let mut master = Daemon::start_cmd(&mut daemon_cmd(
        &lab.routers[0].ns,
        false,
        &master_conf,
        &mrun,
    ));
    assert!(
        lab.wait_sole_holder(0, &vip(N), Duration::from_secs(15))
            .is_ok(),
        "master did not take the VIPs:\n{}",
        master.log()
    );
    let backup = Daemon::start_cmd(&mut daemon_cmd(r1, false, &backup_conf, &brun));
    // Every instance's BACKUP alert: one in its session, the queue full, the rest dropped.
    assert!(
        backup
            .wait_nth(
                "SMTP alert dropped",
                usize::from(N) - 65,
                Duration::from_secs(15)
            )
            .is_some(),
        "the queue did not fill:\n{}",
        backup.log()
    );
    // Every backup instance is in BACKUP (its alert was queued or dropped above): its
    // Master_Down_Timer runs from its start or the master's last advert, so the takeover is
    // bounded from the kill either way; nothing to wait for.
    let t0 = Instant::now();
    // SIGKILL: the master's VIPs stay on its interface; the backup adds them.
    master.kill9();
    let mut took = None;
    poll_until(Duration::from_secs(8), || {
        took = (lab.has_addr(1, &vip(1)) && lab.has_addr(1, &vip(N))).then(|| t0.elapsed());
        took.is_some()
    });
    let took = took.unwrap_or_else(|| panic!("no takeover:\n{}", backup.log()));
    eprintln!("takeover of {N} instances {took:?} after the master was killed");
    assert!(
        took < Duration::from_millis(4500),
        "takeover took {took:?} with a dead mail server"
    );
    // The MASTER alerts were dropped too, and counted.
    assert!(
        backup
            .wait_nth(
                "SMTP alert dropped",
                usize::from(N) - 65 + usize::from(N),
                Duration::from_secs(5)
            )
            .is_some(),
        "{}",
        backup.log()
    );
    let _ = std::fs::remove_file(&stats);
    backup.signal(libc::SIGUSR2);
    assert!(poll_until(Duration::from_secs(5), || stats.exists()));
    let text = std::fs::read_to_string(&stats).unwrap();
    let field = |name: &str| -> u64 {
        text.lines()
            .find_map(|l| l.trim().strip_prefix(&format!("{name} = ")))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no `{name}` in the stats:\n{text}"))
    };
    eprintln!(
        "{}",
        text.lines()
            .skip_while(|l| !l.contains("SMTP alerts"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    // One in its session, 64 waiting.
    assert_eq!(field("Queued"), 65);
    assert_eq!(field("Dropped (queue full)"), u64::from(N) * 2 - 65);
    assert_eq!(field("Sent"), 0);
    assert_eq!(field("Failed"), 0);
}

#[test]
fn refused_and_silent_servers_fail_each_mail_and_count_it() {
    if !can_run_nft() {
        return;
    }
    let lab = Lab::new("mf", 2);
    let net = lab.net;
    let dir = TempDir::new("alerts-fail");
    // r0 mails to a port of r1 where nothing listens (refused at once); r1 to r0, its packets
    // dropped (each session ends at its 1 s deadline).
    let r1 = &lab.routers[1].ns;
    blackhole_mail(r1);
    let mut daemons = Vec::new();
    for (i, server, vrid) in [(0, &lab.routers[1], 61u8), (1, &lab.routers[0], 62)] {
        let stats = dir.path().join(format!("stats{i}"));
        let conf = dir.path().join(format!("{i}.conf"));
        std::fs::write(
            &conf,
            mail_globals(
                &format!("f{i}"),
                &server.v4.to_string(),
                &format!(
                    "  smtp_connect_timeout 1\n  stats_file_location {}\n",
                    stats.display()
                ),
            ) + &instance(
                "VI_1",
                vrid,
                100,
                &format!("10.99.{net}.{}", 100 + vrid),
                "",
            ),
        )
        .unwrap();
        let run = dir.path().join(format!("run{i}"));
        std::fs::create_dir_all(&run).unwrap();
        let d = Daemon::start_cmd(&mut daemon_cmd(&lab.routers[i].ns, false, &conf, &run));
        daemons.push((d, stats));
    }
    for (d, stats) in &daemons {
        // BACKUP at start, then MASTER (alone on its VRID): two sessions, both failed.
        assert!(
            d.wait_nth("SMTP alert to", 2, Duration::from_secs(15))
                .is_some(),
            "{}",
            d.log()
        );
        d.signal(libc::SIGUSR2);
        assert!(poll_until(Duration::from_secs(5), || stats.exists()));
        let text = std::fs::read_to_string(stats).unwrap();
        for want in [
            "Queued = 2",
            "Sent = 0",
            "Failed = 2",
            "Dropped (queue full) = 0",
        ] {
            assert!(text.contains(want), "{want} not in\n{text}");
        }
    }
    let refused = daemons[0].0.last("SMTP alert to").unwrap();
    assert!(refused.contains("connect: Connection refused"), "{refused}");
    let silent = daemons[1].0.last("SMTP alert to").unwrap();
    assert!(
        silent.contains("timed out waiting for the reply to the greeting"),
        "{silent}"
    );
}
