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

#[test]
fn fetch_chunked_large_with_vhost_and_1_1() {
    // 100000 bytes: (i*7 + i/251) mod 256; `md5sum` of them gives this.
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
    let resp: Vec<u8> =
        std::iter::once(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec())
            .chain(framed)
            .chain([b"0\r\n\r\n".to_vec()])
            .flatten()
            .collect();
    let (port, h) = serve(resp, true);
    let o = opts(port, "-P 1.1 -V www.example.com -v");
    let f = fetch(&o).unwrap();
    assert_eq!(md5::hex(&f.digest), "d4daff469aac4cf8a8f2c0e812ced852");
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
