//! Prometheus metrics (`metrics_listen`, issue 16 item 4): two keepalived-rs routers on a
//! bridge, one VRRP instance and one BFD session between them and a TCP_CHECK of the peer's
//! closed port 1 (checkers run without IPVS), each serving its metrics on
//! loopback in its namespace (one on 127.0.0.1, one on ::1). Scraped with a real HTTP client (Python's urllib) and checked with a real Prometheus
//! tool (`promtool check metrics`, Debian's prometheus package: no problem, no lint); values
//! asserted after an induced failover; then hostile clients: a connection that sends nothing
//! is dropped at the deadline while other scrapes are served, an oversized head gets 431,
//! wrong paths and methods 404 and 405, connections over the cap 503, each counted.
//!
//! Needs root, `ip netns`, python3 and promtool; without them the test prints one `SKIP` line
//! (a failure under `KEEPALIVED_RS_FULL_TESTS=1`).

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::lab::{Lab, daemon_cmd, enter_ns, prerequisites};
use common::{Daemon, TempDir, have, poll_until, require};

const PORT: u16 = 9650;
/// The daemon's per-connection deadline (`metrics::DEADLINE`).
const DEADLINE: Duration = Duration::from_secs(5);

/// A router's configuration; `listen` is `ADDR PORT`, or empty for no listener.
fn conf(prio: u8, listen: &str, vip: &str, local: &str, peer: &str) -> String {
    let listen = if listen.is_empty() {
        String::new()
    } else {
        format!("    metrics_listen {listen}\n")
    };
    format!(
        "global_defs {{\n{listen}}}\n\
         bfd_instance B1 {{\n    neighbor_ip {peer}\n    source_ip {local}\n    min_rx 100\n\
         \x20   min_tx 100\n}}\n\
         virtual_server {vip} 80 {{\n    delay_loop 1\n    protocol TCP\n\
         \x20   real_server {peer} 1 {{\n        TCP_CHECK {{\n            connect_timeout 1\n\
         \x20       }}\n    }}\n}}\n\
         vrrp_instance VI_1 {{\n    state BACKUP\n    interface eth0\n    virtual_router_id 61\n\
         \x20   priority {prio}\n    advert_int 1\n    virtual_ipaddress {{\n        {vip}/24\n    }}\n}}\n"
    )
}

/// `GET url` with Python's urllib in namespace `ns`: (status, Content-Type, body), or the error.
fn scrape(ns: &str, url: &str) -> Result<(u16, String, String), String> {
    let py = "import sys, urllib.request, urllib.error\n\
              try:\n    r = urllib.request.urlopen(sys.argv[1], timeout=10)\n\
              except urllib.error.HTTPError as e:\n    r = e\n\
              sys.stdout.write('%d\\n%s\\n' % (r.status, r.headers.get('Content-Type')))\n\
              sys.stdout.write(r.read().decode())\n";
    let out = Command::new("ip")
        .args(["netns", "exec", ns, "python3", "-c", py, url])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut parts = text.splitn(3, '\n');
    let code = parts.next().and_then(|c| c.parse().ok()).unwrap_or(0);
    let ctype = parts.next().unwrap_or_default().to_string();
    Ok((code, ctype, parts.next().unwrap_or_default().to_string()))
}

/// `promtool check metrics` over `text`: its output when it finds anything.
fn promtool(text: &str) -> Result<(), String> {
    let mut child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| e.to_string())?;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if out.status.success() && said.trim().is_empty() {
        Ok(())
    } else {
        Err(format!("{:?}: {said}", out.status))
    }
}

/// The value of the sample `name{labels}` (exactly that line's series), if present.
fn value(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

/// A raw TCP connection made from inside namespace `ns` (the socket keeps its namespace).
fn connect(ns: &str, addr: SocketAddr) -> TcpStream {
    let ns = ns.to_string();
    std::thread::spawn(move || {
        enter_ns(&ns).unwrap();
        TcpStream::connect(addr).unwrap()
    })
    .join()
    .unwrap()
}

/// Reads until EOF (or error) or `limit`: what came, and whether the peer closed.
fn read_all(s: &mut TcpStream, limit: Duration) -> (Vec<u8>, bool) {
    let end = Instant::now() + limit;
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let left = end.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return (out, false);
        }
        s.set_read_timeout(Some(left)).unwrap();
        match s.read(&mut buf) {
            Ok(0) => return (out, true),
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e)
                if e.kind() == std::io::ErrorKind::WouldBlock
                    || e.kind() == std::io::ErrorKind::TimedOut =>
            {
                return (out, false);
            }
            Err(_) => return (out, true),
        }
    }
}

#[test]
fn metrics_scraped_checked_and_hostile_clients_refused() {
    if !prerequisites(None)
        || !require(
            have("python3", "--version"),
            "python3 not installed: the HTTP client of the metrics test",
        )
        || !require(
            have("promtool", "--version"),
            "promtool not installed (Debian package prometheus): checks the metrics",
        )
    {
        return;
    }
    let lab = Lab::new("met", 2);
    let dir = TempDir::new("metrics");
    let vip = format!("10.99.{}.100", lab.net);
    let (ns0, ns1) = (lab.routers[0].ns.clone(), lab.routers[1].ns.clone());
    let addr = |i: usize| lab.routers[i].v4.to_string();
    let write_conf = |i: usize, prio: u8, listen: &str| {
        let run = dir.path().join(format!("r{i}"));
        std::fs::create_dir_all(&run).unwrap();
        let path = run.join("keepalived.conf");
        std::fs::write(&path, conf(prio, listen, &vip, &addr(i), &addr(1 - i))).unwrap();
        (run, path)
    };
    let start = |i: usize, prio: u8, listen: &str| {
        let (run, path) = write_conf(i, prio, listen);
        Daemon::start_cmd(&mut daemon_cmd(&lab.routers[i].ns, false, &path, &run))
    };
    let mut master = start(0, 150, &format!("::1 {PORT}"));
    let backup = start(1, 100, &format!("127.0.0.1 {PORT}"));
    let url0 = format!("http://[::1]:{PORT}/metrics");
    let url1 = format!("http://127.0.0.1:{PORT}/metrics");
    assert!(
        lab.wait_sole_holder(0, &vip, Duration::from_secs(15))
            .is_ok(),
        "r0 never the sole master: {}{}",
        master.log(),
        backup.log()
    );
    let id = "iname=\"VI_1\",intf=\"eth0\",vrid=\"61\"";
    let state = format!("keepalived_vrrp_state{{{id},ip_address=\"{vip}/24\"}}");
    let bfd = "keepalived_bfd_state{name=\"B1\"}";
    let check = format!(
        "{{checker=\"TCP_CHECK\",address=\"{}\",port=\"1\"}}",
        addr(0)
    );
    let became = format!("keepalived_become_master_total{{{id}}}");

    // Both listeners answer; the text passes promtool; the values are the routers' states.
    let (code, ctype, t0) = scrape(&ns0, &url0).expect("scrape r0 over ::1");
    assert_eq!(code, 200);
    assert_eq!(ctype, "text/plain; version=0.0.4; charset=utf-8");
    promtool(&t0).unwrap_or_else(|e| panic!("promtool on r0's metrics: {e}\n{t0}"));
    assert_eq!(value(&t0, &state), Some(2.0), "{t0}");
    assert_eq!(value(&t0, &became), Some(1.0), "{t0}");
    assert_eq!(
        value(&t0, &format!("keepalived_vrrp_priority{{{id}}}")),
        Some(150.0)
    );
    let mut t1 = String::new();
    assert!(
        poll_until(Duration::from_secs(5), || {
            t1 = scrape(&ns1, &url1).map(|r| r.2).unwrap_or_default();
            value(
                &t1,
                &format!("keepalived_advertisements_received_total{{{id}}}"),
            )
            .is_some_and(|n| n >= 1.0)
                && value(&t1, bfd) == Some(3.0)
                && value(&t1, &format!("keepalived_checker_failures_total{check}"))
                    .is_some_and(|n| n >= 1.0)
        }),
        "r1 heard no advert, BFD not Up, or no failed probe (a closed port): {t1}"
    );
    assert_eq!(
        value(&t1, &format!("keepalived_checker_up{check}")),
        Some(0.0),
        "{t1}"
    );
    promtool(&t1).unwrap_or_else(|e| panic!("promtool on r1's metrics: {e}\n{t1}"));
    assert_eq!(value(&t1, &state), Some(1.0), "{t1}");
    assert_eq!(value(&t1, &became), Some(0.0), "{t1}");
    assert!(value(&t1, "process_cpu_seconds_total").is_some(), "{t1}");
    for fam in [
        "process_resident_memory_bytes",
        "process_start_time_seconds",
        "process_open_fds",
        "keepalived_up",
    ] {
        assert!(value(&t1, fam).is_some_and(|v| v > 0.0), "{fam}: {t1}");
    }
    let start_time = value(&t1, "process_start_time_seconds").unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    assert!(
        (now - 120.0..=now + 1.0).contains(&start_time),
        "{start_time} vs {now}"
    );

    // The master stops: r1 becomes master, and its metrics say so.
    master.signal(libc::SIGTERM);
    assert!(master.wait_exit(Duration::from_secs(10)).is_some());
    assert!(
        poll_until(Duration::from_secs(10), || {
            t1 = scrape(&ns1, &url1).map(|r| r.2).unwrap_or_default();
            value(&t1, &state) == Some(2.0)
        }),
        "r1's state metric never went to MASTER: {t1}\n{}",
        backup.log()
    );
    promtool(&t1).unwrap_or_else(|e| panic!("promtool after the failover: {e}\n{t1}"));
    assert_eq!(value(&t1, &became), Some(1.0), "{t1}");
    assert!(
        value(
            &t1,
            &format!("keepalived_priority_zero_received_total{{{id}}}")
        )
        .is_some_and(|n| n >= 1.0),
        "{t1}"
    );
    assert!(lab.has_addr(1, &vip));
    // The BFD peer is gone: the session leaves Up (Down at the detection time).
    assert!(
        poll_until(Duration::from_secs(5), || {
            t1 = scrape(&ns1, &url1).map(|r| r.2).unwrap_or_default();
            value(&t1, bfd) == Some(1.0)
        }),
        "BFD still Up: {t1}"
    );
    assert!(
        value(&t1, "keepalived_bfd_packets_received_total{name=\"B1\"}").is_some_and(|n| n > 0.0),
        "{t1}"
    );

    // A connection that sends nothing is dropped at the deadline; scrapes go on meanwhile.
    let addr1: SocketAddr = format!("127.0.0.1:{PORT}").parse().unwrap();
    let mut silent = connect(&ns1, addr1);
    let opened = Instant::now();
    for _ in 0..3 {
        let (code, _, _) = scrape(&ns1, &url1).expect("scrape beside a silent connection");
        assert_eq!(code, 200);
    }
    assert!(opened.elapsed() < DEADLINE, "scrapes were slow");
    let (got, closed) = read_all(&mut silent, DEADLINE + Duration::from_secs(3));
    let held = opened.elapsed();
    assert!(closed && got.is_empty(), "silent connection: {got:?}");
    assert!(
        held >= DEADLINE - Duration::from_millis(100) && held < DEADLINE + Duration::from_secs(2),
        "silent connection dropped after {held:?}"
    );

    // An oversized head gets 431 (the daemon stops reading at 4 KB).
    let mut big = connect(&ns1, addr1);
    let mut req = b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: ".to_vec();
    req.resize(16 << 10, b'a');
    req.extend_from_slice(b"\r\n\r\n");
    big.write_all(&req).unwrap();
    let (got, closed) = read_all(&mut big, Duration::from_secs(3));
    let head = String::from_utf8_lossy(&got);
    assert!(
        closed && head.starts_with("HTTP/1.1 431 "),
        "oversized head: {head:?}"
    );
    drop(big);
    // Wrong path, wrong method, garbage.
    for (req, want) in [
        ("GET /nope HTTP/1.1\r\n\r\n", "HTTP/1.1 404 "),
        (
            "POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n",
            "HTTP/1.1 405 ",
        ),
        ("\u{1}\u{2} garbage\r\n\r\n", "HTTP/1.1 400 "),
    ] {
        let mut s = connect(&ns1, addr1);
        s.write_all(req.as_bytes()).unwrap();
        let (got, _) = read_all(&mut s, Duration::from_secs(3));
        let head = String::from_utf8_lossy(&got);
        assert!(head.starts_with(want), "{req:?}: {head:?}");
    }

    // Connections over the cap (8) are answered 503 and closed at once.
    let hold: Vec<TcpStream> = (0..8).map(|_| connect(&ns1, addr1)).collect();
    let mut extra = connect(&ns1, addr1);
    let (got, closed) = read_all(&mut extra, Duration::from_secs(2));
    let head = String::from_utf8_lossy(&got);
    assert!(
        closed && head.starts_with("HTTP/1.1 503 "),
        "over the cap: {head:?}"
    );
    drop(hold);
    let mut t = String::new();
    assert!(
        poll_until(Duration::from_secs(5), || {
            t = scrape(&ns1, &url1)
                .ok()
                .filter(|r| r.0 == 200)
                .map(|r| r.2)
                .unwrap_or_default();
            !t.is_empty()
        }),
        "no scrape after the cap was freed"
    );
    promtool(&t).unwrap_or_else(|e| panic!("promtool at the end: {e}\n{t}"));
    let dropped = |r: &str| {
        value(
            &t,
            &format!("keepalived_metrics_connections_dropped_total{{reason=\"{r}\"}}"),
        )
    };
    let answers = |c: &str| {
        value(
            &t,
            &format!("keepalived_metrics_responses_total{{code=\"{c}\"}}"),
        )
    };
    assert_eq!(dropped("deadline"), Some(1.0), "{t}");
    assert_eq!(dropped("busy"), Some(1.0), "{t}");
    assert!(dropped("aborted").is_some_and(|n| n >= 8.0), "{t}");
    for (c, n) in [("431", 1.0), ("404", 1.0), ("405", 1.0), ("400", 1.0)] {
        assert_eq!(answers(c), Some(n), "{c}: {t}");
    }
    assert!(answers("200").is_some_and(|n| n >= 6.0), "{t}");

    // A reload moves the listener to another port (the old one refuses), then closes it.
    write_conf(1, 100, &format!("127.0.0.1 {}", PORT + 1));
    backup.signal(libc::SIGHUP);
    let moved = format!("http://127.0.0.1:{}/metrics", PORT + 1);
    assert!(
        poll_until(Duration::from_secs(5), || scrape(&ns1, &moved)
            .is_ok_and(|r| r.0 == 200)),
        "no listener on the new port after a reload: {}",
        backup.log()
    );
    assert!(scrape(&ns1, &url1).is_err(), "the old port still answers");
    write_conf(1, 100, "");
    backup.signal(libc::SIGHUP);
    assert!(
        poll_until(Duration::from_secs(5), || scrape(&ns1, &moved).is_err()),
        "the listener stays after a reload without metrics_listen"
    );
    println!(
        "metrics: {} bytes, {} families, silent connection dropped after {held:?}",
        t.len(),
        t.lines().filter(|l| l.starts_with("# TYPE")).count()
    );
}
