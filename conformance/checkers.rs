//! Health checkers against real servers (issue 14 item 7), on the host (no IPVS: the checkers
//! run on and the pool follows them; keepalived exits FATAL here).
//!
//! Each test makes two network namespaces joined by a veth pair: `lb` runs the daemon, `srv`
//! runs the servers (nginx for HTTP, Python's smtpd for SMTP, dnsmasq for DNS, socat for UDP,
//! the namespace's own ICMP, scripts and files). Each checker type sees its server go down the
//! way that type detects it and come back; the real servers' `notify_down` / `notify_up`
//! scripts (split as keepalived splits them, nothing appended) write one line per transition.
//! Misbehaving servers (accept and never answer, trickle bytes, garbage, reset) are judged down
//! at `connect_timeout` and never delay the other checks. Quorum and a reload that keeps state.
//! Needs root, `ip`, nginx, socat, dnsmasq, python3 and nft; without them each test prints one
//! `SKIP` line (a failure under `KEEPALIVED_RS_FULL_TESTS=1`).

mod common;

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::lab::{daemon_cmd, ns_exec};
use common::{Daemon, Netns, TempDir, have, poll_until, require};

/// Two namespaces: `lb` at 10.88.0.1, `srv` at 10.88.0.2 .. 10.88.0.9.
struct Pair {
    lb: Netns,
    srv: Netns,
    dir: TempDir,
    /// Servers started in `srv` (killed on drop).
    kids: std::cell::RefCell<Vec<std::process::Child>>,
}

const LB: &str = "10.88.0.1";

fn srv_ip(n: u8) -> String {
    format!("10.88.0.{n}")
}

fn can_run(needs: &[(&str, &str)]) -> bool {
    if !require(
        common::is_root(),
        "not root: network namespace tests need root",
    ) || !require(have("ip", "-V"), "iproute2 (`ip`) not installed")
    {
        return false;
    }
    needs
        .iter()
        .all(|(cmd, arg)| require(have(cmd, arg), &format!("{cmd} not installed")))
}

impl Drop for Pair {
    fn drop(&mut self) {
        for c in self.kids.get_mut().iter_mut() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Pair {
    fn new(tag: &str) -> Pair {
        let lb = Netns::new(&format!("{tag}l"));
        let srv = Netns::new(&format!("{tag}s"));
        let dir = TempDir::new(tag);
        std::fs::set_permissions(
            dir.path(),
            std::os::unix::fs::PermissionsExt::from_mode(0o755),
        )
        .unwrap();
        let a = format!("k{}a", std::process::id() % 100_000);
        let b = format!("k{}b", std::process::id() % 100_000);
        let ip = |args: &[&str]| {
            let ok = Command::new("ip").args(args).status().unwrap().success();
            assert!(ok, "ip {args:?}");
        };
        // A unique veth name per pair: the name lives in the root namespace briefly.
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let (a, b) = (format!("{a}{n}"), format!("{b}{n}"));
        ip(&[
            "link", "add", &a, "netns", &lb.0, "type", "veth", "peer", "name", &b, "netns", &srv.0,
        ]);
        for (ns, dev, addr) in [
            (&lb.0, &a, format!("{LB}/24")),
            (&srv.0, &b, srv_ip(2) + "/24"),
        ] {
            ns_exec(ns, &["ip", "addr", "add", &addr, "dev", dev]);
            ns_exec(ns, &["ip", "link", "set", dev, "up"]);
            ns_exec(ns, &["ip", "link", "set", "lo", "up"]);
        }
        for k in 3..=9u8 {
            ns_exec(
                &srv.0,
                &["ip", "addr", "add", &(srv_ip(k) + "/24"), "dev", &b],
            );
        }
        // IPv6: fd88::1 in `lb`, fd88::2 .. fd88::9 in `srv` (no duplicate detection).
        ns_exec(
            &lb.0,
            &["ip", "addr", "add", "fd88::1/64", "dev", &a, "nodad"],
        );
        for k in 2..=9u8 {
            let addr = format!("fd88::{k}/64");
            ns_exec(&srv.0, &["ip", "addr", "add", &addr, "dev", &b, "nodad"]);
        }
        let p = Pair {
            lb,
            srv,
            dir,
            kids: Default::default(),
        };
        assert!(
            poll_until(Duration::from_secs(10), || {
                String::from_utf8_lossy(&ns_exec(&p.lb.0, &["ip", "link", "show", &a]).stdout)
                    .contains("LOWER_UP")
            }),
            "the veth pair does not come up"
        );
        p
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn write(&self, rel: &str, text: &str) -> PathBuf {
        let p = self.path(rel);
        std::fs::write(&p, text).unwrap();
        p
    }

    /// Starts `cmd` in `srv`, killed when the pair goes.
    fn serve(&self, cmd: &[&str]) -> i32 {
        let child = Command::new("ip")
            .args(["netns", "exec", &self.srv.0])
            .args(cmd)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let pid = child.id() as i32;
        self.kids.borrow_mut().push(child);
        pid
    }

    /// Waits until `srv` listens on TCP (or UDP) `port` at `ip`.
    fn listening(&self, proto: &str, ip: &str, port: u16) -> bool {
        let flag = if proto == "tcp" { "-ltn" } else { "-lun" };
        poll_until(Duration::from_secs(10), || {
            let o = ns_exec(&self.srv.0, &["ss", flag]);
            String::from_utf8_lossy(&o.stdout).contains(&format!("{ip}:{port} "))
        })
    }

    fn nft(&self, rules: &str) {
        let f = self.write("rules.nft", rules);
        let o = ns_exec(&self.srv.0, &["nft", "-f", &f.to_string_lossy()]);
        assert!(
            o.status.success(),
            "nft: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }

    /// The daemon in `lb`.
    fn daemon(&self, conf: &str) -> Daemon {
        let c = self.write("keepalived.conf", conf);
        let run = self.path("run");
        let _ = std::fs::create_dir(&run);
        Daemon::start_cmd(&mut daemon_cmd(&self.lb.0, false, &c, &run))
    }

    /// The daemon, once it runs `n` checks.
    fn start(&self, conf: &str, n: usize) -> Daemon {
        let d = self.daemon(conf);
        let line = format!("Checkers: {n} check(s) running");
        assert!(
            d.wait_for(&line, Duration::from_secs(10)).is_some(),
            "{}",
            d.log()
        );
        d
    }

    /// The lines the notify scripts wrote.
    fn events(&self) -> Vec<String> {
        std::fs::read_to_string(self.path("events"))
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect()
    }

    /// Waits until `line` was written `n` times in all; returns when (from the test's clock).
    fn wait_event(&self, line: &str, n: usize, limit: Duration) -> Option<Instant> {
        let mut at = None;
        poll_until(limit, || {
            let c = self.events().iter().filter(|l| *l == line).count();
            if c >= n {
                at = Some(Instant::now());
            }
            c >= n
        });
        at
    }

    fn count(&self, line: &str) -> usize {
        self.events().iter().filter(|l| *l == line).count()
    }
}

/// `notify_up` / `notify_down` lines for real server `name`, appended to `events`.
fn notifies(p: &Pair, name: &str) -> String {
    let ev = p.path("events");
    let ev = ev.display();
    format!(
        "        notify_up \"/bin/sh -c 'echo up {name} >> {ev}'\"\n        notify_down \"/bin/sh -c 'echo down {name} >> {ev}'\"\n"
    )
}

const GLOBAL: &str = "global_defs {\n    script_user root\n    enable_script_security\n}\n";

/// A virtual server of one real server with checker `check` (text inside the real server).
fn one(p: &Pair, vip_port: u16, rs_ip: &str, rs_port: u16, name: &str, check: &str) -> String {
    format!(
        "virtual_server {LB} {vip_port} {{\n    delay_loop 1\n    lb_algo rr\n    lb_kind NAT\n    protocol TCP\n    real_server {rs_ip} {rs_port} {{\n{}{check}\n    }}\n}}\n",
        notifies(p, name)
    )
}

/// Down and back: waits for `down NAME` then, after `restore`, `up NAME`; each exactly once.
/// Each exactly once more than before (a server may have gone down and back before, through
/// another of its checks' causes).
fn down_and_back(p: &Pair, name: &str, limit: Duration, restore: impl FnOnce()) {
    let (down, up) = (format!("down {name}"), format!("up {name}"));
    let (d0, u0) = (p.count(&down), p.count(&up));
    assert!(
        p.wait_event(&down, d0 + 1, limit).is_some(),
        "{name}: no notify_down; events {:?}",
        p.events()
    );
    restore();
    assert!(
        p.wait_event(&up, u0 + 1, limit).is_some(),
        "{name}: no notify_up after the server came back; events {:?}",
        p.events()
    );
    assert_eq!(p.count(&down), d0 + 1, "{:?}", p.events());
    assert_eq!(p.count(&up), u0 + 1, "{:?}", p.events());
}

const NGINX: &str = r#"
daemon off;
master_process off;
pid PIDFILE;
error_log stderr;
events { worker_connections 64; }
http {
    access_log off;
    server {
        listen ADDR:80;
        root ROOT;
        location = /health {
            if (-f ROOT/fail) { return 500; }
            default_type text/plain;
            try_files /health.txt =404;
        }
    }
}
"#;

fn nginx(p: &Pair, ip: &str) -> i32 {
    let root = p.path("www");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::write(root.join("health.txt"), "ok\n").unwrap();
    let conf = NGINX
        .replace("PIDFILE", &p.path("nginx.pid").to_string_lossy())
        .replace("ROOT", &root.to_string_lossy())
        .replace("ADDR", ip);
    let c = p.write("nginx.conf", &conf);
    let pid = p.serve(&[
        "nginx",
        "-c",
        &c.to_string_lossy(),
        "-p",
        &p.path("").to_string_lossy(),
    ]);
    assert!(p.listening("tcp", ip, 80), "nginx does not listen");
    pid
}

/// TCP_CHECK: the listener goes and comes back; HTTP_GET: 500, a changed body (digest), the
/// listener gone, each detected and recovered from.
#[test]
fn tcp_and_http_servers_go_down_and_come_back() {
    if !can_run(&[("nginx", "-v"), ("socat", "-V")]) {
        return;
    }
    let p = Pair::new("ckh");
    nginx(&p, &srv_ip(3));
    let ok_digest = format!("{:x}", md5_of(b"ok\n"));
    let tcp = p.serve(&[
        "socat",
        "TCP-LISTEN:8001,bind=10.88.0.2,fork,reuseaddr",
        "SYSTEM:true",
    ]);
    assert!(p.listening("tcp", &srv_ip(2), 8001));
    let conf = format!(
        "{GLOBAL}{}{}{}",
        one(
            &p,
            80,
            &srv_ip(2),
            8001,
            "tcp",
            "        TCP_CHECK {\n            connect_timeout 1\n            retry 0\n        }"
        ),
        one(
            &p,
            81,
            &srv_ip(3),
            80,
            "http",
            "        HTTP_GET {\n            url {\n                path /health\n                status_code 200\n            }\n            connect_timeout 1\n            retry 0\n            delay_before_retry 1\n        }"
        ),
        one(
            &p,
            82,
            &srv_ip(3),
            80,
            "digest",
            &format!(
                "        HTTP_GET {{\n            url {{\n                path /health\n                digest {ok_digest}\n            }}\n            connect_timeout 1\n            retry 0\n            delay_before_retry 1\n        }}"
            )
        ),
    );
    let d = p.start(&conf, 3);
    let limit = Duration::from_secs(15);
    // TCP: the listener goes.
    common::send(tcp, libc::SIGKILL);
    down_and_back(&p, "tcp", limit, || {
        p.serve(&[
            "socat",
            "TCP-LISTEN:8001,bind=10.88.0.2,fork,reuseaddr",
            "SYSTEM:true",
        ]);
    });
    // HTTP: 500 (HTTP_GET comes back after two good probes).
    std::fs::write(p.path("www/fail"), "").unwrap();
    down_and_back(&p, "http", limit, || {
        std::fs::remove_file(p.path("www/fail")).unwrap();
    });
    // The body changes: the digest check fails, the status check does not.
    std::fs::write(p.path("www/health.txt"), "changed\n").unwrap();
    down_and_back(&p, "digest", limit, || {
        std::fs::write(p.path("www/health.txt"), "ok\n").unwrap();
    });
    assert_eq!(
        p.count("down http"),
        1,
        "a changed body is still 200: {:?}",
        p.events()
    );
    assert!(
        d.count("HTTP_GET on service [10.88.0.3]:80 failed: digest mismatch") >= 1,
        "{}",
        d.log()
    );
}

const NGINX_TLS: &str = r#"
daemon off;
master_process off;
pid PIDFILE;
error_log stderr;
events { worker_connections 64; }
http {
    access_log off;
    server {
        listen ADDR:443 ssl;
        ssl_certificate CERT;
        ssl_certificate_key KEY;
        root ROOT;
        location = /health {
            default_type text/plain;
            return 200 "secure $ssl_server_name\n";
        }
    }
}
"#;

/// SSL_GET against nginx with a certificate made by openssl: up (any certificate accepted, as
/// keepalived; SNI sent as `sni_name`, which nginx echoes in the body and a `regex` checks),
/// the TLS server gone, back. With `ssl_verify` and the right CA it stays up; with a CA that did
/// not sign the certificate it goes down.
#[test]
fn ssl_get_with_sni_down_and_back() {
    if !can_run(&[("nginx", "-v"), ("openssl", "version")]) {
        return;
    }
    if !cfg!(feature = "tls") {
        require(false, "built without the `tls` feature: no SSL_GET");
        return;
    }
    let p = Pair::new("cks");
    let openssl = |args: &[&str]| {
        let o = Command::new("openssl").args(args).output().unwrap();
        assert!(
            o.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    };
    let f = |n: &str| p.path(n).to_string_lossy().into_owned();
    for ca in ["ca", "other"] {
        openssl(&[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "2",
            "-subj",
            &format!("/CN={ca}"),
            "-keyout",
            &f(&format!("{ca}.key")),
            "-out",
            &f(&format!("{ca}.pem")),
        ]);
    }
    openssl(&[
        "req",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-subj",
        "/CN=www.check.test",
        "-keyout",
        &f("srv.key"),
        "-out",
        &f("srv.csr"),
    ]);
    p.write("ext.cnf", "subjectAltName=DNS:www.check.test\n");
    openssl(&[
        "x509",
        "-req",
        "-in",
        &f("srv.csr"),
        "-CA",
        &f("ca.pem"),
        "-CAkey",
        &f("ca.key"),
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        &f("ext.cnf"),
        "-out",
        &f("srv.pem"),
    ]);
    let conf = NGINX_TLS
        .replace("PIDFILE", &f("nginx.pid"))
        .replace("ROOT", &f(""))
        .replace("CERT", &f("srv.pem"))
        .replace("KEY", &f("srv.key"))
        .replace("ADDR", &srv_ip(3));
    let c = p.write("nginx-tls.conf", &conf);
    let start_nginx = || {
        let pid = p.serve(&["nginx", "-c", &c.to_string_lossy(), "-p", &f("")]);
        assert!(p.listening("tcp", &srv_ip(3), 443), "nginx (TLS)");
        pid
    };
    let nginx = start_nginx();
    let ssl = |verify: bool| {
        format!(
            "        SSL_GET {{\n            url {{\n                path /health\n                regex \"^secure www[.]check[.]test$\"\n                regex_options multiline\n            }}\n            enable_sni\n            sni_name www.check.test\n            ssl_verify {}\n            connect_timeout 2\n            retry 0\n            delay_before_retry 1\n        }}",
            if verify { "on" } else { "off" }
        )
    };
    let conf = |ca: &str| {
        format!(
            "{GLOBAL}SSL {{\n    ca {}\n}}\n{}{}",
            f(ca),
            one(&p, 443, &srv_ip(3), 443, "ssl", &ssl(false)),
            one(&p, 444, &srv_ip(3), 443, "verified", &ssl(true)),
        )
    };
    let d = p.start(&conf("ca.pem"), 2);
    let limit = Duration::from_secs(15);
    std::thread::sleep(Duration::from_millis(3000));
    assert!(
        p.events().is_empty(),
        "TLS servers up: {:?}\n{}",
        p.events(),
        d.log()
    );
    common::send(nginx, libc::SIGKILL);
    for n in ["ssl", "verified"] {
        assert!(
            p.wait_event(&format!("down {n}"), 1, limit).is_some(),
            "{:?}\n{}",
            p.events(),
            d.log()
        );
    }
    start_nginx();
    assert!(
        p.wait_event("up ssl", 1, limit).is_some(),
        "{:?}\n{}",
        p.events(),
        d.log()
    );
    assert!(
        p.wait_event("up verified", 1, limit).is_some(),
        "{:?}\n{}",
        p.events(),
        d.log()
    );
    // A CA that did not sign the server's certificate: the verified check fails, the other
    // (keepalived's way: no verification) stays up.
    std::fs::write(p.path("keepalived.conf"), conf("other.pem")).unwrap();
    d.signal(libc::SIGHUP);
    assert!(
        p.wait_event("down verified", 2, limit).is_some(),
        "{:?}\n{}",
        p.events(),
        d.log()
    );
    assert_eq!(p.count("down ssl"), 1, "{:?}", p.events());
}

/// IPv6 throughout: TCP_CHECK (listener gone and back), PING_CHECK (ICMPv6 echo dropped by
/// nftables and let through again), HTTP_GET from `bindto fd88::1` to nginx on [fd88::4]:80
/// (and from `bindto fd88::99`, which `lb` does not have: down), UDP_CHECK to a closed port
/// (ICMPv6 port unreachable).
#[test]
fn ipv6_tcp_ping_http_udp() {
    if !can_run(&[("socat", "-V"), ("nginx", "-v"), ("nft", "--version")]) {
        return;
    }
    let p = Pair::new("ck6");
    let listen = "TCP6-LISTEN:8001,bind=[fd88::2],fork,reuseaddr";
    let tcp = p.serve(&["socat", listen, "SYSTEM:true"]);
    assert!(p.listening("tcp", "[fd88::2]", 8001), "socat over IPv6");
    nginx(&p, "[fd88::4]");
    let conf = format!(
        "{GLOBAL}{}{}{}{}{}",
        one(&p, 80, "fd88::2", 8001, "tcp6", "        TCP_CHECK {\n            connect_timeout 1\n            retry 0\n        }"),
        one(&p, 81, "fd88::3", 81, "ping6", "        PING_CHECK {\n            connect_timeout 1\n            retry 0\n        }"),
        one(&p, 82, "fd88::4", 80, "http6", "        HTTP_GET {\n            url {\n                path /health\n            }\n            bindto fd88::1\n            connect_timeout 1\n            retry 0\n        }"),
        one(&p, 83, "fd88::5", 9999, "udp6", "        UDP_CHECK {\n            connect_timeout 1\n            retry 0\n        }"),
        one(&p, 84, "fd88::4", 80, "bind6", "        HTTP_GET {\n            url {\n                path /health\n            }\n            bindto fd88::99\n            connect_timeout 1\n            retry 0\n        }"),
    )
    .replace(&format!("virtual_server {LB} "), "virtual_server fd88::1 ");
    let d = p.start(&conf, 5);
    let limit = Duration::from_secs(15);
    // `bindto` is applied: an address `lb` does not have cannot be the source.
    for n in ["udp6", "bind6"] {
        let line = format!("down {n}");
        assert!(
            p.wait_event(&line, 1, limit).is_some(),
            "{:?}\n{}",
            p.events(),
            d.log()
        );
    }
    std::thread::sleep(Duration::from_millis(2500));
    for n in ["tcp6", "ping6", "http6"] {
        assert_eq!(
            p.count(&format!("down {n}")),
            0,
            "{n} is up: {:?}\n{}",
            p.events(),
            d.log()
        );
    }
    common::send(tcp, libc::SIGKILL);
    down_and_back(&p, "tcp6", limit, || {
        p.serve(&["socat", listen, "SYSTEM:true"]);
    });
    p.nft("table inet krs6 {\n chain input {\n  type filter hook input priority 0;\n  icmpv6 type echo-request drop\n }\n}\n");
    down_and_back(&p, "ping6", limit, || {
        ns_exec(&p.srv.0, &["nft", "delete", "table", "inet", "krs6"]);
    });
    assert_eq!(p.count("down http6"), 0, "{:?}\n{}", p.events(), d.log());
}

/// RFC 1321 MD5 of `data`, by the system's md5sum (an independent implementation).
fn md5_of(data: &[u8]) -> u128 {
    let mut c = Command::new("md5sum")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    c.stdin.take().unwrap().write_all(data).unwrap();
    let o = c.wait_with_output().unwrap();
    let hex = String::from_utf8_lossy(&o.stdout);
    u128::from_str_radix(hex.split_whitespace().next().unwrap(), 16).unwrap()
}

/// SMTP_CHECK (a 554 banner), DNS_CHECK (the server silenced by nftables), UDP_CHECK (port
/// closed: ICMP port unreachable), PING_CHECK (echo dropped by nftables), MISC_CHECK (exit 1),
/// FILE_CHECK (a value).
#[test]
fn smtp_dns_udp_ping_misc_file_go_down_and_come_back() {
    if !can_run(&[
        ("socat", "-V"),
        ("dnsmasq", "--version"),
        ("python3", "--version"),
        ("nft", "--version"),
    ]) {
        return;
    }
    let p = Pair::new("cko");
    let smtp = p_serve_smtpd(&p);
    assert!(p.listening("tcp", &srv_ip(4), 25), "smtpd");
    p.serve(&[
        "dnsmasq",
        "-d",
        "-q",
        "-C",
        "/dev/null",
        "-p",
        "53",
        "--listen-address=10.88.0.5",
        "--bind-interfaces",
        "--address=/check.test/10.88.0.5",
        "--pid-file=",
    ]);
    assert!(p.listening("udp", &srv_ip(5), 53), "dnsmasq");
    let echo = p.write("udp.py", UDP_ECHO);
    let udp = p.serve(&["python3", &echo.to_string_lossy()]);
    assert!(p.listening("udp", &srv_ip(6), 9000), "socat udp");
    let misc = p.write("misc-status", "0");
    let script = p.write(
        "misc.sh",
        &format!("#!/bin/sh\nexit $(cat {})\n", misc.display()),
    );
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let value = p.write("file-value", "0\n");
    let conf = format!(
        "{GLOBAL}track_file tf {{\n    file {}\n}}\n{}{}{}{}{}{}",
        value.display(),
        one(
            &p,
            25,
            &srv_ip(4),
            25,
            "smtp",
            "        SMTP_CHECK {\n            connect_timeout 1\n            retry 0\n        }"
        ),
        one(
            &p,
            53,
            &srv_ip(5),
            53,
            "dns",
            "        DNS_CHECK {\n            type A\n            name check.test\n            connect_timeout 1\n            retry 0\n            delay_before_retry 1\n        }"
        ),
        one(
            &p,
            90,
            &srv_ip(6),
            9000,
            "udp",
            "        UDP_CHECK {\n            connect_timeout 1\n            retry 0\n            require_reply\n        }"
        ),
        one(
            &p,
            91,
            &srv_ip(7),
            91,
            "ping",
            "        PING_CHECK {\n            connect_timeout 1\n            retry 0\n        }"
        ),
        one(
            &p,
            92,
            &srv_ip(8),
            92,
            "misc",
            &format!(
                "        MISC_CHECK {{\n            misc_path {}\n            misc_timeout 2\n        }}",
                script.display()
            )
        ),
        one(
            &p,
            93,
            &srv_ip(9),
            93,
            "file",
            "        FILE_CHECK {\n            track_file tf\n            weight 0\n        }"
        ),
    );
    let d = p.start(&conf, 6);
    let limit = Duration::from_secs(15);
    // Every server is up: no down line for a few probes.
    assert!(
        d.wait_for("Startup complete", Duration::from_secs(10))
            .is_some()
    );
    std::thread::sleep(Duration::from_millis(2500));
    assert!(
        p.events().is_empty(),
        "all servers are up: {:?}\n{}",
        p.events(),
        d.log()
    );

    // SMTP: the server answers 554.
    common::send(smtp, libc::SIGKILL);
    p.serve(&[
        "socat",
        "TCP-LISTEN:25,bind=10.88.0.4,fork,reuseaddr",
        "SYSTEM:echo 554 go away",
    ]);
    down_and_back(&p, "smtp", limit, || {
        ns_exec(&p.srv.0, &["pkill", "-f", "TCP-LISTEN:25,bind=10.88.0.4"]);
        assert!(poll_until(Duration::from_secs(5), || !ns_exec(
            &p.srv.0,
            &["ss", "-ltn"]
        )
        .stdout
        .windows(13)
        .any(|w| w == b"10.88.0.4:25 ")));
        p_serve_smtpd(&p);
    });
    // DNS silent, UDP closed, ICMP dropped.
    p.nft("table inet krs {\n chain input {\n  type filter hook input priority 0;\n  udp dport 53 drop\n  icmp type echo-request drop\n }\n}\n");
    common::send(udp, libc::SIGKILL);
    for n in ["dns", "ping", "udp"] {
        assert!(
            p.wait_event(&format!("down {n}"), 1, limit).is_some(),
            "{n}: {:?}\n{}",
            p.events(),
            d.log()
        );
    }
    ns_exec(&p.srv.0, &["nft", "delete", "table", "inet", "krs"]);
    p.serve(&["python3", &echo.to_string_lossy()]);
    for n in ["dns", "ping", "udp"] {
        assert!(
            p.wait_event(&format!("up {n}"), 1, limit).is_some(),
            "{n}: {:?}\n{}",
            p.events(),
            d.log()
        );
    }
    // MISC: exit 1; FILE: a non-zero value with weight 0.
    std::fs::write(&misc, "1").unwrap();
    down_and_back(&p, "misc", limit, || std::fs::write(&misc, "0").unwrap());
    std::fs::write(&value, "5\n").unwrap();
    let t = Instant::now();
    down_and_back(&p, "file", limit, || std::fs::write(&value, "0\n").unwrap());
    assert!(
        t.elapsed() < Duration::from_secs(5),
        "FILE_CHECK follows the file at once"
    );
    for n in ["smtp", "dns", "ping", "udp", "misc", "file"] {
        assert_eq!(p.count(&format!("down {n}")), 1, "{n}: {:?}", p.events());
        assert_eq!(p.count(&format!("up {n}")), 1, "{n}: {:?}", p.events());
    }
}

/// A UDP echo server on 10.88.0.6:9000 (socat's forking UDP listener leaves the port closed
/// between two datagrams: an ICMP port unreachable now and then).
const UDP_ECHO: &str = "import socket\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\ns.bind(('10.88.0.6', 9000))\nwhile True:\n    d, a = s.recvfrom(2048)\n    s.sendto(b'pong', a)\n";

fn p_serve_smtpd(p: &Pair) -> i32 {
    p.serve(&[
        "python3",
        "-W",
        "ignore",
        "-m",
        "smtpd",
        "-n",
        "-c",
        "DebuggingServer",
        "10.88.0.4:25",
    ])
}

/// A Python server in `srv` that misbehaves on `port` in one of four ways.
const BAD: &str = r#"
import socket, sys, threading, time
mode, addr, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((addr, port)); s.listen(64)
held = []
def serve(c):
    if mode == "silent":
        held.append(c)
    elif mode == "trickle":
        try:
            c.sendall(b"HTTP/1.0 200 OK\r\n")
            while True:
                c.sendall(b"X"); time.sleep(0.2)
        except OSError:
            pass
    elif mode == "garbage":
        c.recv(4096); c.sendall(b"\x00\xffgarbage\r\n\r\n" * 10); c.close()
    elif mode == "reset":
        c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"); c.close()
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
"#;

/// Servers that accept and never answer, trickle bytes, send garbage or reset are judged down
/// at `connect_timeout`, and a good server's check is never delayed by them.
#[test]
fn misbehaving_servers_fail_at_connect_timeout_and_stall_nothing() {
    if !can_run(&[("python3", "--version"), ("nginx", "-v")]) {
        return;
    }
    let p = Pair::new("ckb");
    let bad = p.write("bad.py", BAD);
    for (i, mode) in ["silent", "trickle", "garbage", "reset"].iter().enumerate() {
        let port = 7000 + i as u16;
        p.serve(&[
            "python3",
            &bad.to_string_lossy(),
            mode,
            &srv_ip(2),
            &port.to_string(),
        ]);
        assert!(p.listening("tcp", &srv_ip(2), port), "{mode}");
    }
    nginx(&p, &srv_ip(3));
    let check = |port: u16| {
        format!(
            "        HTTP_GET {{\n            url {{\n                path /health\n            }}\n            connect_port {port}\n            connect_timeout 2\n            retry 0\n        }}"
        )
    };
    let mut conf = String::from(GLOBAL);
    for (i, mode) in ["silent", "trickle", "garbage", "reset"].iter().enumerate() {
        conf += &one(
            &p,
            80 + i as u16,
            &srv_ip(2),
            80,
            mode,
            &check(7000 + i as u16),
        );
    }
    conf += &one(&p, 90, &srv_ip(3), 80, "good", &check(80));
    let d = p.daemon(&conf);
    let t0 = d
        .wait_for("Startup complete", Duration::from_secs(10))
        .expect("started");
    for mode in ["silent", "trickle", "garbage", "reset"] {
        let at = p
            .wait_event(&format!("down {mode}"), 1, Duration::from_secs(10))
            .unwrap_or_else(|| panic!("{mode} never judged down: {:?}\n{}", p.events(), d.log()));
        // warmup (up to delay_loop 1 s) + connect_timeout 2 s, with slack for the loaded host.
        assert!(
            at - t0 < Duration::from_millis(5500),
            "{mode}: down after {:?}",
            at - t0
        );
    }
    // The good server was probed all along (every second) and never went down.
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(p.count("down good"), 0, "{:?}", p.events());
    // The state shows per check its state and last error (not in keepalived).
    let js = status_json(&p);
    assert!(js.contains("\"checker\":\"HTTP_GET\""), "{js}");
    assert!(js.contains("timed out after 2 s"), "{js}");
}

/// The daemon's JSON state (`--status`).
fn status_json(p: &Pair) -> String {
    let o = Command::new(common::bin())
        .args(["--status", "-p", &p.path("run/rs.pid").to_string_lossy()])
        .output()
        .unwrap();
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Quorum over a pool of four (quorum 3, hysteresis 1): lost at two up, back at four; each
/// script once per transition. Then a reload that changes nothing keeps every state: no
/// notify, no quorum script, no re-probe from scratch. With `omega`, the stop runs the
/// scripts of the servers in and of the quorum, once.
#[test]
fn quorum_and_a_reload_that_keeps_states() {
    if !can_run(&[("socat", "-V")]) {
        return;
    }
    let p = Pair::new("ckq");
    let mut pids = Vec::new();
    for k in 2..=5u8 {
        let addr = format!("TCP-LISTEN:8000,bind={},fork,reuseaddr", srv_ip(k));
        pids.push(p.serve(&["socat", &addr, "SYSTEM:true"]));
        assert!(p.listening("tcp", &srv_ip(k), 8000));
    }
    let ev = p.path("events");
    let mut servers = String::new();
    for k in 2..=5u8 {
        servers += &format!(
            "    real_server {} 8000 {{\n{}        TCP_CHECK {{\n            connect_timeout 1\n            retry 0\n        }}\n    }}\n",
            srv_ip(k),
            notifies(&p, &format!("rs{k}"))
        );
    }
    let conf = format!(
        "{GLOBAL}virtual_server {LB} 80 {{\n    delay_loop 1\n    lb_algo rr\n    lb_kind NAT\n    protocol TCP\n    quorum 3\n    hysteresis 1\n    omega\n    quorum_up \"/bin/sh -c 'echo quorum_up >> {ev}'\"\n    quorum_down \"/bin/sh -c 'echo quorum_down >> {ev}'\"\n{servers}}}\n",
        ev = ev.display()
    );
    let mut d = p.daemon(&conf);
    let limit = Duration::from_secs(15);
    assert!(
        p.wait_event("quorum_up", 1, limit).is_some(),
        "quorum_up at start: {:?}\n{}",
        p.events(),
        d.log()
    );
    common::send(pids[0], libc::SIGKILL);
    assert!(p.wait_event("down rs2", 1, limit).is_some());
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(
        p.count("quorum_down"),
        0,
        "3 of 4 is not below 3 - 1: {:?}",
        p.events()
    );
    common::send(pids[1], libc::SIGKILL);
    assert!(p.wait_event("down rs3", 1, limit).is_some());
    // 2 is not below 2 either: quorum 3 - hysteresis 1 = 2.
    common::send(pids[2], libc::SIGKILL);
    assert!(
        p.wait_event("quorum_down", 1, limit).is_some(),
        "{:?}",
        p.events()
    );
    // Back: at 3 up (below 3 + 1) no quorum_up yet, at 4 it comes.
    for k in 2..=4u8 {
        let addr = format!("TCP-LISTEN:8000,bind={},fork,reuseaddr", srv_ip(k));
        p.serve(&["socat", &addr, "SYSTEM:true"]);
    }
    for k in 2..=4u8 {
        assert!(
            p.wait_event(&format!("up rs{k}"), 1, limit).is_some(),
            "{:?}",
            p.events()
        );
    }
    assert!(
        p.wait_event("quorum_up", 2, limit).is_some(),
        "{:?}",
        p.events()
    );
    assert_eq!(p.count("quorum_down"), 1);
    // A reload that changes nothing: no script, no state lost; a server down stays down.
    common::send(pids[3], libc::SIGKILL);
    assert!(p.wait_event("down rs5", 1, limit).is_some());
    let before = p.events();
    d.signal(libc::SIGHUP);
    assert!(
        d.wait_for("Reload finished", limit).is_some(),
        "{}",
        d.log()
    );
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(
        p.events(),
        before,
        "a reload changed nothing: no script ran\n{}",
        d.log()
    );
    // `omega`: at stop the servers in run notify_down and the held quorum quorum_down, once
    // (keepalived #1774: not always).
    d.signal(libc::SIGTERM);
    assert!(
        d.wait_exit(limit).is_some_and(|s| s.success()),
        "{}",
        d.log()
    );
    for (line, n) in [
        ("down rs2", 2),
        ("down rs3", 2),
        ("down rs4", 2),
        ("quorum_down", 2),
    ] {
        assert!(
            p.wait_event(line, n, limit).is_some(),
            "{line}: {:?}",
            p.events()
        );
    }
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        p.count("down rs5"),
        1,
        "rs5 was down already: {:?}",
        p.events()
    );
    assert_eq!(p.count("quorum_down"), 2, "{:?}", p.events());
}
