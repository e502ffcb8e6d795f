use std::io::{Read, Write};
use std::net::TcpListener;
use std::thread::JoinHandle;

use super::*;

fn words(s: &str) -> Vec<String> {
    s.split_whitespace().map(str::to_string).collect()
}

fn run_opts(s: &str) -> Options {
    match parse(&words(s)) {
        Ok(Parsed::Run(o)) => o,
        other => panic!("{s}: {other:?}"),
    }
}

fn parse_err(s: &str) -> String {
    match parse(&words(s)) {
        Err(e) => e,
        other => panic!("{s} should fail, gave {other:?}"),
    }
}

#[test]
fn parse_minimal_and_defaults() {
    let o = run_opts("-s 10.0.0.1 -p 80 -u /index.html");
    assert_eq!(o.server, IpAddr::from([10, 0, 0, 1]));
    assert_eq!(o.port, 80);
    assert_eq!(o.url, "/index.html");
    assert_eq!(o.proto, HttpProtocol::V1_0);
    assert_eq!(o.timeout, DEFAULT_TIMEOUT);
    assert!(!o.verbose && !o.ssl && !o.sni);
    assert_eq!((o.vhost, o.fwmark), (None, None));
}

#[test]
fn parse_long_attached_clustered_and_prefixes() {
    let o = run_opts(
        "--server=::1 --port 8080 --url=/a -vI --use-virtualhost www.example.com \
         --fwm=7 --protocol 1.1 --time 3 -T -Hmd5",
    );
    assert_eq!(o.server, "::1".parse::<IpAddr>().unwrap());
    assert_eq!(o.port, 8080);
    assert_eq!(o.url, "/a");
    assert!(o.verbose && o.sni && !o.ssl);
    assert_eq!(o.vhost.as_deref(), Some("www.example.com"));
    assert_eq!(o.fwmark, Some(7));
    assert_eq!(o.proto, HttpProtocol::V1_1);
    assert_eq!(o.timeout, Duration::from_secs(3));

    let o = run_opts("-s[fe80::1] -p1 -u/ -P1.0C -S -u /last");
    assert_eq!(o.server, "fe80::1".parse::<IpAddr>().unwrap());
    assert_eq!(o.proto, HttpProtocol::V1_0C);
    assert!(o.ssl);
    assert_eq!(o.url, "/last", "the last -u wins");
    assert_eq!(
        run_opts("-vs 1.2.3.4 -p 1 -u /").server,
        IpAddr::from([1, 2, 3, 4])
    );
    assert_eq!(
        run_opts("-s 1.2.3.4 -p 1 -u / -P 1.0c").proto,
        HttpProtocol::V1_0C
    );
    let mut w = words("-s 1.2.3.4 -p 1 -u / -m");
    w.push(" 12".to_string());
    assert_eq!(
        parse(&w).map(|p| matches!(p, Parsed::Run(o) if o.fwmark == Some(12))),
        Ok(true)
    );
}

#[test]
fn parse_help() {
    assert_eq!(parse(&words("-h")), Ok(Parsed::Help));
    assert_eq!(parse(&words("-s 1.2.3.4 --help")), Ok(Parsed::Help));
    assert_eq!(parse(&words("--he")), Ok(Parsed::Help));
    assert!(usage("x").starts_with("Usage: x --genhash COMMAND [OPTIONS]\n"));
}

#[test]
fn parse_errors() {
    for (line, msg) in [
        ("", "the server (-s), port (-p) and url (-u) are required"),
        (
            "-s 1.2.3.4 -p 80",
            "the server (-s), port (-p) and url (-u) are required",
        ),
        (
            "-s localhost -p 80 -u /",
            "server should be an IP, not localhost",
        ),
        ("-s 1.2.3.4 -p 0 -u /", "invalid port number '0'"),
        ("-s 1.2.3.4 -p 65536 -u /", "invalid port number '65536'"),
        ("-s 1.2.3.4 -p 8x -u /", "invalid port number '8x'"),
        (
            "-s 1.2.3.4 -p 80 -u / -P 2",
            "invalid HTTP protocol version '2'",
        ),
        ("-s 1.2.3.4 -p 80 -u / -t 0", "invalid timeout '0'"),
        ("-s 1.2.3.4 -p 80 -u / -t -1", "invalid timeout '-1'"),
        ("-s 1.2.3.4 -p 80 -u / -m x", "invalid fwmark 'x'"),
        (
            "-s 1.2.3.4 -p 80 -u / -H sha1",
            "unsupported hash algorithm 'sha1' (md5 only)",
        ),
        (
            "-s 1.2.3.4 -p 80 -u / extra",
            "Unexpected argument(s): extra",
        ),
        ("-s 1.2.3.4 -p 80 -u / -- -v", "Unexpected argument(s): -v"),
        ("-z", "invalid option -- 'z'"),
        ("-vz", "invalid option -- 'z'"),
        ("-s", "option requires an argument -- 's'"),
        ("--server", "option '--server' requires an argument"),
        ("--bogus", "unrecognized option '--bogus'"),
        ("--use", "option '--use' is ambiguous"),
        (
            "--verbose=1",
            "option '--verbose' doesn't allow an argument",
        ),
    ] {
        assert_eq!(parse_err(line), msg, "{line:?}");
    }
}

#[test]
fn hexdump_matches_keepalived() {
    // From keepalived 2.2.7 `genhash -v` (its header dump's last line and a short body).
    assert_eq!(
        hexdump(b"7 GMT\r\n\r\n"),
        "0000  37 20 47 4d 54 0d 0a 0d - 0a                        7 GMT....       \n"
    );
    assert_eq!(
        hexdump(b"HTTP/1.0 200 OK\r\nhello world\n"),
        "0000  48 54 54 50 2f 31 2e 30 - 20 32 30 30 20 4f 4b 0d   HTTP/1.0 200 OK.\n\
         0016  0a 68 65 6c 6c 6f 20 77 - 6f 72 6c 64 0a            .hello world.   \n"
    );
    assert_eq!(hexdump(b""), "");
}

#[test]
fn head_len_finds_the_empty_line() {
    assert_eq!(head_len(b"HTTP/1.0 200 OK\r\nA: b\r\n\r\nbody"), 25);
    assert_eq!(head_len(b"HTTP/1.0 200 OK\n\nbody"), 17);
    assert_eq!(head_len(b"HTTP/1.0 200"), 12);
}

/// "hello world\n": `md5sum` gives this.
const HELLO_MD5: &str = "6f5902ac237024bdd0c176cb93063dc4";

/// A server for one connection: reads the request head, writes `response` in pieces, closes
/// (or, with `hold`, waits for the client to go). Gives the port and the request it read.
fn serve(response: Vec<u8>, hold: bool) -> (u16, JoinHandle<Vec<u8>>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let h = std::thread::spawn(move || {
        let (mut s, _) = l.accept().unwrap();
        let mut req = Vec::new();
        let mut b = [0u8; 512];
        while !req.ends_with(b"\r\n\r\n") {
            let n = s.read(&mut b).unwrap();
            if n == 0 {
                break;
            }
            req.extend_from_slice(&b[..n]);
        }
        for piece in response.chunks(1000) {
            if s.write_all(piece).is_err() {
                break;
            }
        }
        if hold {
            let _ = s.read(&mut b);
        }
        req
    });
    (port, h)
}

fn opts(port: u16, extra: &str) -> Options {
    run_opts(&format!("-s 127.0.0.1 -p {port} -u /index.html {extra}"))
}

#[test]
fn fetch_content_length() {
    let (port, h) = serve(
        b"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\nContent-Length: 12\r\n\r\nhello world\n"
            .to_vec(),
        true,
    );
    let o = opts(port, "");
    let f = fetch(&o).unwrap();
    assert_eq!(md5::hex(&f.digest), HELLO_MD5);
    assert_eq!(report(&o, &f), format!("{HELLO_MD5}\n"));
    let req = h.join().unwrap();
    assert_eq!(
        req,
        format!(
            "GET /index.html HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nHost: 127.0.0.1:{port}\r\n\r\n"
        )
        .as_bytes()
    );
}

/// `md5sum` of [`big_chunked`]'s body.
const BIG_MD5: &str = "d4daff469aac4cf8a8f2c0e812ced852";

/// A body of 100000 bytes, (i*7 + i/251) mod 256, and an HTTP/1.1 response sending it chunked.
fn big_chunked() -> (Vec<u8>, Vec<u8>) {
    let body: Vec<u8> = (0..100_000u32)
        .map(|i| ((i * 7 + i / 251) % 256) as u8)
        .collect();
    let framed = body.chunks(4096).flat_map(|c| {
        [
            format!("{:x}\r\n", c.len()).into_bytes(),
            c.to_vec(),
            b"\r\n".to_vec(),
        ]
    });
    let resp = std::iter::once(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec())
        .chain(framed)
        .chain([b"0\r\n\r\n".to_vec()])
        .flatten()
        .collect();
    (body, resp)
}

#[test]
fn fetch_chunked_large_with_vhost_and_1_1() {
    let (port, h) = serve(big_chunked().1, true);
    let o = opts(port, "-P 1.1 -V www.example.com -v");
    let f = fetch(&o).unwrap();
    assert_eq!(md5::hex(&f.digest), BIG_MD5);
    assert_eq!(f.body_len, 100_000);
    assert_eq!(f.body.len(), VERBOSE_BODY);
    assert_eq!(
        f.head,
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
    );
    let text = report(&o, &f);
    assert!(text.starts_with(
        "-----------------------[    HTTP Header Buffer    ]-----------------------\n0000  48 54"
    ));
    assert!(text.contains("(the first 65536 of 100000 bytes shown)\n"));
    assert!(text.contains(
        "-----------------------[ HTML hash final resulting ]-----------------------\n\
         d4daff469aac4cf8a8f2c0e812ced852\n\nGlobal response time for [/index.html] = "
    ));
    assert_eq!(
        h.join().unwrap(),
        b"GET /index.html HTTP/1.1\r\nUser-Agent: KeepAliveClient\r\nConnection: close\r\n\
          Host: www.example.com\r\n\r\n"
    );
}

#[test]
fn fetch_until_close_and_any_status() {
    let (port, h) = serve(
        b"HTTP/1.0 404 Not Found\r\n\r\nhello world\n".to_vec(),
        false,
    );
    let f = fetch(&opts(port, "-P 1.0c")).unwrap();
    assert_eq!(md5::hex(&f.digest), HELLO_MD5);
    assert!(
        h.join()
            .unwrap()
            .starts_with(b"GET /index.html HTTP/1.0\r\n")
    );

    let (port, h) = serve(b"HTTP/1.0 204 No Content\r\n\r\n".to_vec(), true);
    let f = fetch(&opts(port, "")).unwrap();
    assert_eq!(md5::hex(&f.digest), "d41d8cd98f00b204e9800998ecf8427e");
    h.join().unwrap();
}

#[test]
fn fetch_failures() {
    // Cut short of Content-Length.
    let (port, h) = serve(
        b"HTTP/1.0 200 OK\r\nContent-Length: 20\r\n\r\nhello".to_vec(),
        false,
    );
    let e = fetch(&opts(port, "")).unwrap_err();
    assert!(e.contains("15 bytes short"), "{e}");
    h.join().unwrap();

    // Not HTTP.
    let (port, h) = serve(b"SSH-2.0-OpenSSH\r\n".to_vec(), false);
    assert_eq!(fetch(&opts(port, "")).unwrap_err(), "no HTTP status line");
    h.join().unwrap();

    // Nobody listening.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let e = fetch(&opts(port, "")).unwrap_err();
    assert!(
        e.starts_with(&format!("cannot connect to 127.0.0.1:{port}")),
        "{e}"
    );

    // A server that never answers.
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let e = fetch(&opts(port, "-t 1")).unwrap_err();
    assert_eq!(e, "timed out after 1s");
    drop(l);
}

#[test]
fn run_exit_statuses() {
    assert_eq!(run(&words("-s 1.2.3.4")), EXIT_USAGE);
    assert_eq!(run(&words("-S -s 127.0.0.1 -p 1 -u /")), EXIT_FAILED);
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    assert_eq!(
        run(&words(&format!("-s 127.0.0.1 -p {port} -u /"))),
        EXIT_FAILED
    );
}

#[cfg(not(feature = "tls"))]
#[test]
fn no_ssl_in_this_build() {
    assert_eq!(fetch(&opts(1, "-S")).unwrap_err(), NO_SSL);
    assert!(usage("x").contains("remote server (not in this build).\n"));
}

#[cfg(feature = "tls")]
mod tls {
    use std::sync::Arc;

    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    use rustls::{ServerConfig, ServerConnection, StreamOwned, SupportedProtocolVersion, version};

    use super::*;

    const CERT: &[u8] = include_bytes!("../check/testdata/server.pem");
    const KEY: &[u8] = include_bytes!("../check/testdata/server.key");

    /// What the TLS server saw: the request and the SNI name.
    type Seen = (Vec<u8>, Option<String>);

    /// A TLS server for one connection: reads the request head, writes `response` in pieces,
    /// sends close_notify and (unless `hold`) closes, else waits for the client to go.
    fn serve_tls(
        v: &'static SupportedProtocolVersion,
        response: Vec<u8>,
        hold: bool,
    ) -> (u16, JoinHandle<Seen>) {
        let provider = Arc::new(rustls_rustcrypto::provider());
        let cfg = ServerConfig::builder_with_provider(provider)
            .with_protocol_versions(&[v])
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(
                vec![CertificateDer::from_pem_slice(CERT).unwrap()],
                PrivateKeyDer::from_pem_slice(KEY).unwrap(),
            )
            .unwrap();
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let h = std::thread::spawn(move || {
            let (sock, _) = l.accept().unwrap();
            let conn = ServerConnection::new(Arc::new(cfg)).unwrap();
            let mut s = StreamOwned::new(conn, sock);
            let mut req = Vec::new();
            let mut b = [0u8; 512];
            while !req.ends_with(b"\r\n\r\n") {
                match s.read(&mut b) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => req.extend_from_slice(&b[..n]),
                }
            }
            let sni = s.conn.server_name().map(str::to_string);
            for piece in response.chunks(1000) {
                if s.write_all(piece).is_err() {
                    break;
                }
            }
            s.conn.send_close_notify();
            let _ = s.flush();
            if hold {
                let _ = s.sock.read(&mut b);
            }
            (req, sni)
        });
        (port, h)
    }

    #[test]
    fn fetch_over_tls13() {
        let (port, h) = serve_tls(
            &version::TLS13,
            b"HTTP/1.0 200 OK\r\nContent-Length: 12\r\n\r\nhello world\n".to_vec(),
            true,
        );
        // -I without -V: no SNI (keepalived's genhash).
        let o = opts(port, "-S -I");
        let f = fetch(&o).unwrap();
        assert_eq!(md5::hex(&f.digest), HELLO_MD5);
        assert_eq!(report(&o, &f), format!("{HELLO_MD5}\n"));
        let (req, sni) = h.join().unwrap();
        assert_eq!(
            req,
            format!(
                "GET /index.html HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\n\
                 Host: 127.0.0.1:{port}\r\n\r\n"
            )
            .as_bytes()
        );
        assert_eq!(sni, None);
    }

    #[test]
    fn fetch_over_tls12_with_sni_chunked_verbose() {
        let (body, resp) = big_chunked();
        let (port, h) = serve_tls(&version::TLS12, resp, true);
        let o = opts(port, "--use-ssl --use-sni -V www.example.com -P 1.1 -v");
        let f = fetch(&o).unwrap();
        let mut m = md5::Md5::new();
        m.update(&body);
        let want = md5::hex(&m.finish());
        assert_eq!(md5::hex(&f.digest), want);
        assert_eq!(want, BIG_MD5);
        assert_eq!(
            f.head,
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        );
        assert_eq!((f.body_len, f.body.len()), (100_000, VERBOSE_BODY));
        assert!(report(&o, &f).contains(&format!(
            "[ HTML hash final resulting ]-----------------------\n{want}\n\n"
        )));
        let (req, sni) = h.join().unwrap();
        assert_eq!(sni.as_deref(), Some("www.example.com"));
        assert!(req.ends_with(b"Host: www.example.com\r\n\r\n"));
    }

    #[test]
    fn close_notify_ends_a_body_without_length() {
        // The server's close_notify ends the body though the TCP connection stays open.
        let (port, h) = serve_tls(
            &version::TLS13,
            b"HTTP/1.0 404 Not Found\r\n\r\nhello world\n".to_vec(),
            true,
        );
        // -V alone sends no SNI.
        let f = fetch(&opts(port, "-S -V www.example.com -t 5")).unwrap();
        assert_eq!(md5::hex(&f.digest), HELLO_MD5);
        assert_eq!(h.join().unwrap().1, None);
    }

    #[test]
    fn tls_failures() {
        // A plain HTTP server answers the ClientHello.
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let h = std::thread::spawn(move || {
            let (mut s, _) = l.accept().unwrap();
            let mut b = [0u8; 512];
            let _ = s.read(&mut b);
            let _ = s.write_all(b"HTTP/1.0 200 OK\r\n\r\nhello world\n");
        });
        let e = fetch(&opts(port, "-S -t 5")).unwrap_err();
        assert!(e.starts_with("TLS: "), "{e}");
        h.join().unwrap();

        // An SNI name rustls refuses.
        let e = fetch(&opts(1, "-S -I -V www.example.com:80")).unwrap_err();
        assert!(e.starts_with("TLS: SNI \"www.example.com:80\""), "{e}");
    }

    #[test]
    fn run_with_ssl() {
        let (port, h) = serve_tls(
            &version::TLS13,
            b"HTTP/1.0 200 OK\r\nContent-Length: 12\r\n\r\nhello world\n".to_vec(),
            false,
        );
        assert_eq!(run(&words(&format!("-S -s 127.0.0.1 -p {port} -u /"))), 0);
        h.join().unwrap();
        assert!(usage("x").contains("remote server.\n"));
    }
}
