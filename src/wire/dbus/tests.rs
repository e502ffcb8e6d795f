use super::*;

fn hex(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap())
        .collect()
}

/// busctl's Hello as dbus-daemon 1.14 delivered it to a monitor (`busctl capture`; the daemon
/// added the sender field).
const HELLO: &str = "6c01000100000000010000007e00000001016f00150000002f6f72672f667265656465736b746f702f44427573000000030173000500000048656c6c6f00000002017300140000006f72672e667265656465736b746f702e444275730000000006017300140000006f72672e667265656465736b746f702e444275730000000007017300050000003a312e3136000000";
/// dbus-daemon's reply to GetNameOwner("org.freedesktop.DBus"): body `s`.
const REPLY: &str = "6c02010119000000030000003d00000006017300050000003a312e31360000000501750002000000080167000173000007017300140000006f72672e667265656465736b746f702e4442757300000000140000006f72672e667265656465736b746f702e4442757300";
/// dbus-daemon's NameOwnerChanged signal: body `sss`, the last two one empty.
const SIGNAL_SSS: &str = "6c0401011e000000050000008900000001016f00150000002f6f72672f667265656465736b746f702f4442757300000002017300140000006f72672e667265656465736b746f702e444275730000000003017300100000004e616d654f776e65724368616e676564000000000000000007017300140000006f72672e667265656465736b746f702e444275730000000008016700037373730000000000000000050000003a312e31360000000000000000000000050000003a312e313600";

#[test]
fn decodes_what_dbus_daemon_sends() {
    let b = hex(HELLO);
    assert_eq!(frame_len(&b), Ok(Some(b.len())));
    let m = decode(&b).unwrap();
    assert_eq!(m.header.kind, METHOD_CALL);
    assert_eq!(m.header.serial, 1);
    assert_eq!(m.header.path.as_deref(), Some("/org/freedesktop/DBus"));
    assert_eq!(m.header.member.as_deref(), Some("Hello"));
    assert_eq!(m.header.interface.as_deref(), Some("org.freedesktop.DBus"));
    assert_eq!(m.header.sender.as_deref(), Some(":1.16"));
    assert!(m.body.is_empty());

    let b = hex(REPLY);
    let m = decode(&b).unwrap();
    assert_eq!(m.header.kind, METHOD_RETURN);
    assert_eq!(m.header.reply_serial, Some(2));
    assert_eq!(m.header.signature, "s");
    assert_eq!(m.header.destination.as_deref(), Some(":1.16"));
    assert_eq!(Reader::body(&m).str(), Ok("org.freedesktop.DBus"));

    let m = decode(&hex(SIGNAL_SSS)).unwrap();
    assert_eq!(m.header.member.as_deref(), Some("NameOwnerChanged"));
    let mut r = Reader::body(&m);
    assert_eq!(r.str(), Ok(":1.16"));
    assert_eq!(r.str(), Ok(""));
    assert_eq!(r.str(), Ok(":1.16"));
}

#[test]
fn encodes_hello_as_dbus_daemon_reads_it() {
    // The captured Hello without the sender the daemon added, with the fields in our order.
    let h = Header {
        kind: METHOD_CALL,
        serial: 1,
        path: Some("/org/freedesktop/DBus".into()),
        interface: Some("org.freedesktop.DBus".into()),
        member: Some("Hello".into()),
        destination: Some("org.freedesktop.DBus".into()),
        ..Header::default()
    };
    let b = encode(&h, &[]);
    let want = "6c01000100000000010000006d00000001016f00150000002f6f72672f667265656465736b746f702f4442757300000002017300140000006f72672e667265656465736b746f702e444275730000000003017300050000004865";
    assert_eq!(b[..want.len() / 2], hex(want)[..]);
    assert_eq!(decode(&b).unwrap().header, h);
}

#[test]
fn round_trips_a_property_reply() {
    // GetAll's a{sv} as keepalived answers: Name (s), State (us).
    let mut w = Writer::new();
    w.array(8, |w| {
        w.open_struct();
        w.str("Name");
        w.variant("(s)", |w| {
            w.open_struct();
            w.str("VI_1")
        });
        w.open_struct();
        w.str("State");
        w.variant("(us)", |w| {
            w.open_struct();
            w.u32(2);
            w.str("Master")
        });
    });
    let h = Header {
        kind: METHOD_RETURN,
        flags: NO_REPLY_EXPECTED,
        serial: 7,
        reply_serial: Some(3),
        destination: Some(":1.5".into()),
        signature: "a{sv}".into(),
        ..Header::default()
    };
    let b = encode(&h, &w.buf);
    let m = decode(&b).unwrap();
    assert_eq!(m.header, h);
    assert_eq!(m.body, w.buf);
    let mut r = Reader::body(&m);
    r.skip(b"a{sv}", 0).unwrap();
    assert_eq!(r.pos, m.body.len());
}

#[test]
fn sasl_external() {
    assert_eq!(auth_request(0), b"\0AUTH EXTERNAL 30\r\n");
    assert_eq!(auth_request(1000), b"\0AUTH EXTERNAL 31303030\r\n");
    assert_eq!(auth_reply(b"OK 0123\r"), Ok(None));
    assert_eq!(auth_reply(b"OK 0123\r\nxx"), Ok(Some(9)));
    assert_eq!(auth_reply(b"REJECTED EXTERNAL\r\n"), Err(Error::Rejected));
    assert_eq!(auth_reply(&[b'O'; 600]), Err(Error::Rejected));
}

#[test]
fn signatures() {
    for (s, n) in [
        ("a{sv}", 5),
        ("(us)", 4),
        ("aai", 3),
        ("v", 1),
        ("a(yv)", 5),
    ] {
        assert_eq!(complete_len(s.as_bytes(), 0), Ok(n), "{s}");
    }
    for s in ["", "a", "(", "()", "{s}", "{sss}", "(s", "z", "a{sv"] {
        assert!(complete_len(s.as_bytes(), 0).is_err(), "{s}");
    }
    let deep = "a".repeat(100) + "y";
    assert_eq!(complete_len(deep.as_bytes(), 0), Err(Error::BadSignature));
}

#[test]
fn hostile_input_never_panics() {
    // Every prefix and every single-byte corruption of real messages: an error or a message.
    let mut rng = 0x1234_5678u32;
    for v in [HELLO, REPLY, SIGNAL_SSS, STATUS_CHANGE] {
        let b = hex(v);
        for n in 0..b.len() {
            let _ = frame_len(&b[..n]);
            let _ = decode(&b[..n]);
        }
        for _ in 0..4000 {
            rng ^= rng << 13;
            rng ^= rng >> 17;
            rng ^= rng << 5;
            let mut c = b.clone();
            let i = rng as usize % c.len();
            c[i] = (rng >> 8) as u8;
            if let Ok(m) = decode(&c) {
                let _ = Reader::body(&m).skip(m.header.signature.as_bytes(), 0);
            }
        }
    }
    // A huge length is refused before anything is read.
    let mut b = hex(REPLY);
    b[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
    assert_eq!(frame_len(&b), Err(Error::TooLarge));
    // A variant nesting variants forever ends at the depth limit.
    let mut body = Vec::new();
    for _ in 0..200 {
        body.extend_from_slice(&[1, b'v', 0]);
    }
    assert!(Reader::new(&body, true).skip(b"v", 0).is_err());
}

/// `busctl emit /org/keepalived/Vrrp1/Instance/eth0/51/IPv4 org.keepalived.Vrrp1.Instance
/// VrrpStatusChange u 2` as dbus-daemon 1.14 delivered it (sd-bus wrote it; the daemon added
/// the sender field, the last one).
const STATUS_CHANGE: &str = "6c04010104000000020000009500000001016f002b0000002f6f72672f6b656570616c697665642f56727270312f496e7374616e63652f657468302f35312f495076340000000000020173001d0000006f72672e6b656570616c697665642e56727270312e496e7374616e63650000000301730010000000567272705374617475734368616e67650000000000000000080167000175000007017300040000003a312e310000000002000000";

#[test]
fn encodes_a_signal_as_sd_bus_does() {
    let captured = hex(STATUS_CHANGE);
    let m = decode(&captured).unwrap();
    assert_eq!(m.header.sender.as_deref(), Some(":1.1"));
    assert_eq!(Reader::body(&m).u32(), Ok(2));
    let h = Header {
        kind: SIGNAL,
        flags: 1,
        serial: 2,
        path: Some("/org/keepalived/Vrrp1/Instance/eth0/51/IPv4".into()),
        interface: Some("org.keepalived.Vrrp1.Instance".into()),
        member: Some("VrrpStatusChange".into()),
        signature: "u".into(),
        ..Header::default()
    };
    let mut w = Writer::new();
    w.u32(2);
    // The captured bytes without the sender field (fields 149 -> 135 bytes long).
    let mut want = captured[..151].to_vec();
    want[12..16].copy_from_slice(&135u32.to_le_bytes());
    want.push(0);
    want.extend_from_slice(&[2, 0, 0, 0]);
    assert_eq!(encode(&h, &w.buf), want);
    let mut ours = decode(&want).unwrap();
    ours.header.sender = m.header.sender.clone();
    assert_eq!(ours, m);
}
