//! Byte vectors captured between Debian's snmpd 5.9.3 (master agent) and keepalived 2.2.7
//! (net-snmp's subagent, which writes little-endian: no NETWORK_BYTE_ORDER flag), through
//! `socat -x`, with `enable_snmp_rfcv2` and `enable_traps`.

use super::*;

fn hex(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap())
        .collect()
}

const VRRP: [u32; 7] = [1, 3, 6, 1, 2, 1, 68];

fn o(tail: &[u32]) -> Oid {
    VRRP.iter().chain(tail).copied().collect()
}

/// keepalived's Open: little-endian, 1.3.6.1.4.1.8072.3.2.10 and net-snmp's description.
const OPEN: &str = "010100000000000000000000ca3175433c000000010000000504000001000000881f000003000000020000000a000000190000004e65742d534e4d50204167656e7458207375622d6167656e74000000";
/// snmpd's answer: session 5.
const OPEN_RESPONSE: &str = "011200000500000000000000ca317543440000004107000000000000040000000504000001000000881f000003000000020000000a000000190000004e65742d534e4d50204167656e7458207375622d6167656e74000000";
/// Register 1.3.6.1.2.1.68.1.1 in the (empty) non-default context, priority 127.
const REGISTER: &str = "010308000500000000000000cb3175431c00000000000000ff7f00000402000001000000440000000100000001000000";
/// snmpd's GetNext: [68.1.3.1.2.3.51, 68.1.3.1.3.3.51).
const GETNEXT: &str = "01060800050000000b0000000c000000440000000000000008020000010000004400000001000000030000000100000002000000030000003300000006020000010000004400000001000000030000000100000003000000";
/// A GetNext with an included start: [68.1.1, 68.1.2].
const GETNEXT_INCLUDE: &str = "010608000500000003000000040000002c0000000000000004020100010000004400000001000000010000000402000001000000440000000100000002000000";
/// keepalived's answers: endOfMibView; the virtual MAC column (an octet string).
const RESPONSE_END: &str = "01120800050000000b0000000c0000003400000000000000000000000000000082000000080200000100000044000000010000000300000001000000020000000300000033000000";
const RESPONSE_MAC: &str = "0112080005000000080000000a0000004000000000000000000000000000000004000000080200000100000044000000010000000300000001000000020000000300000033000000060000000a2c3bb8f3e80000";
/// keepalived's vrrpTrapNewMaster: sysUpTime.0, snmpTrapOID.0, vrrpOperMasterIpAddr.
const NOTIFY: &str = "010c00000500000000000000ed317543800000004300000004020000010000000100000003000000000000009b0800000600000006060000030000000100000001000000040000000100000000000000040201000100000044000000000000000100000040000000080200000100000044000000010000000300000001000000070000000300000033000000040000000a090001";
/// keepalived's Ping.
const PING: &str = "010d00000500000000000000ee31754300000000";

fn pdu(s: &str) -> (Header, Pdu) {
    let b = hex(s);
    match decode(&b) {
        Decoded::Pdu(h, p, n) => {
            assert_eq!(n, b.len());
            (h, p)
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn decodes_little_endian_open_and_its_response() {
    let (h, p) = pdu(OPEN);
    assert_eq!((h.ty, h.session, h.packet), (ty::OPEN, 0, 0x437531ca));
    assert_eq!(
        p,
        Pdu::Open {
            timeout: 1,
            id: vec![1, 3, 6, 1, 4, 1, 8072, 3, 2, 10],
            descr: b"Net-SNMP AgentX sub-agent".to_vec(),
        }
    );
    let (h, p) = pdu(OPEN_RESPONSE);
    assert_eq!((h.ty, h.session), (ty::RESPONSE, 5));
    let Pdu::Response {
        sys_uptime,
        error,
        index,
        varbinds,
    } = p
    else {
        panic!()
    };
    assert_eq!((sys_uptime, error, index), (0x741, 0, 0));
    // net-snmp echoes the Open's id as an OID varbind.
    assert_eq!(varbinds.len(), 1);
}

#[test]
fn decodes_register_with_context() {
    let (h, p) = pdu(REGISTER);
    assert_eq!(h.flags, flags::NON_DEFAULT_CONTEXT);
    assert_eq!(
        p,
        Pdu::Register {
            context: Some(Vec::new()),
            timeout: 255,
            priority: 127,
            subtree: o(&[1, 1]),
        }
    );
}

#[test]
fn decodes_getnext_ranges_with_include_bit() {
    let (h, p) = pdu(GETNEXT);
    assert_eq!((h.session, h.transaction, h.packet), (5, 11, 12));
    assert_eq!(
        p,
        Pdu::GetNext {
            context: Some(Vec::new()),
            ranges: vec![SearchRange {
                start: o(&[1, 3, 1, 2, 3, 51]),
                include: false,
                end: o(&[1, 3, 1, 3]),
            }],
        }
    );
    let (_, p) = pdu(GETNEXT_INCLUDE);
    let Pdu::GetNext { ranges, .. } = p else {
        panic!()
    };
    assert!(ranges[0].include);
    assert_eq!(ranges[0].start, o(&[1, 1]));
}

#[test]
fn decodes_notify_varbinds() {
    let (_, p) = pdu(NOTIFY);
    let Pdu::Notify { varbinds, .. } = p else {
        panic!()
    };
    assert_eq!(
        varbinds,
        vec![
            VarBind {
                name: vec![1, 3, 6, 1, 2, 1, 1, 3, 0],
                value: Value::TimeTicks(2203),
            },
            VarBind {
                name: vec![1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0],
                value: Value::Oid(o(&[0, 1])),
            },
            VarBind {
                name: o(&[1, 3, 1, 7, 3, 51]),
                value: Value::IpAddress([10, 9, 0, 1]),
            },
        ]
    );
    assert_eq!(pdu(PING).1, Pdu::Ping { context: None });
}

/// Our encoding is network byte order: the same PDU as keepalived's little-endian one, each
/// multi-byte field swapped, and the flag set.
#[test]
fn encodes_big_endian_equivalents_of_the_captures() {
    // keepalived's responses carry an empty context (4 bytes) that ours leave out.
    for (s, context) in [(RESPONSE_END, 4), (RESPONSE_MAC, 4), (NOTIFY, 0)] {
        let (h, p) = pdu(s);
        let mut out = Vec::new();
        encode(&h, &p, &mut out);
        assert_eq!(
            out[2] & flags::NETWORK_BYTE_ORDER,
            flags::NETWORK_BYTE_ORDER
        );
        assert_eq!(out.len() + context, hex(s).len(), "{s}");
        let (h2, p2) = match decode(&out) {
            Decoded::Pdu(h, p, _) => (h, p),
            other => panic!("{other:?}"),
        };
        assert_eq!(p2, p);
        assert_eq!(
            (h2.session, h2.transaction, h2.packet),
            (h.session, h.transaction, h.packet)
        );
    }
    // Register: our bytes, flag for flag.
    let (h, p) = pdu(REGISTER);
    let mut out = Vec::new();
    encode(&h, &p, &mut out);
    assert_eq!(
        out,
        hex(
            "010318000000000500000000437531cb0000001c00000000ff7f00000402000000000001000000440000000100000001"
        )
    );
}

#[test]
fn responses_round_trip_every_value_type() {
    let values = [
        Value::Integer(-7),
        Value::OctetString(b"abcde".to_vec()),
        Value::Null,
        Value::Oid(vec![1, 3, 6, 1, 4, 1, 9586, 100, 5]),
        Value::Oid(vec![2, 5]),
        Value::IpAddress([192, 0, 2, 1]),
        Value::Counter32(u32::MAX),
        Value::Gauge32(3),
        Value::TimeTicks(100),
        Value::Opaque(vec![1]),
        Value::Counter64(u64::MAX - 1),
        Value::NoSuchObject,
        Value::NoSuchInstance,
        Value::EndOfMibView,
    ];
    let varbinds: Vec<VarBind> = values
        .iter()
        .map(|v| VarBind {
            name: o(&[1, 3, 1, 3, 2, 51]),
            value: v.clone(),
        })
        .collect();
    let p = Pdu::Response {
        sys_uptime: 1,
        error: 0,
        index: 0,
        varbinds,
    };
    let h = Header {
        ty: ty::RESPONSE,
        session: 9,
        ..Header::default()
    };
    let mut out = Vec::new();
    encode(&h, &p, &mut out);
    assert_eq!(out.len() % 4, 0);
    assert_eq!(
        decode(&out),
        Decoded::Pdu(
            Header {
                flags: flags::NETWORK_BYTE_ORDER,
                ..h
            },
            p,
            out.len()
        )
    );
    // Every open, get and bulk round-trips too.
    for p in [
        Pdu::Open {
            timeout: 5,
            id: vec![1, 3, 6, 1, 4, 1, 9586],
            descr: b"keepalived-rs".to_vec(),
        },
        Pdu::Close {
            reason: reason::SHUTDOWN,
        },
        Pdu::Unregister {
            context: None,
            priority: 127,
            subtree: VRRP.to_vec(),
        },
        Pdu::Get {
            context: Some(b"ctx".to_vec()),
            ranges: vec![SearchRange {
                start: o(&[1, 1, 0]),
                include: false,
                end: Vec::new(),
            }],
        },
        Pdu::GetBulk {
            context: None,
            non_repeaters: 1,
            max_repetitions: 10,
            ranges: vec![],
        },
    ] {
        let mut out = Vec::new();
        encode(&Header::default(), &p, &mut out);
        let Decoded::Pdu(_, q, _) = decode(&out) else {
            panic!()
        };
        assert_eq!(q, p);
    }
}

#[test]
fn framing_and_hostile_input() {
    let b = hex(GETNEXT);
    for n in 0..b.len() {
        assert!(
            matches!(decode(&b[..n]), Decoded::Incomplete(m) if m > n),
            "{n}"
        );
    }
    // Two PDUs back to back: the first is taken.
    let mut two = b.clone();
    two.extend_from_slice(&b);
    assert!(matches!(decode(&two), Decoded::Pdu(_, _, n) if n == b.len()));
    // Bad version, huge or odd length.
    let mut v = b.clone();
    v[0] = 2;
    assert!(matches!(
        decode(&v),
        Decoded::Bad(None, Error::Version(2), _)
    ));
    let mut v = b.clone();
    v[16..20].copy_from_slice(&[0xff, 0xff, 0xff, 0x7f]);
    assert!(matches!(
        decode(&v),
        Decoded::Bad(None, Error::PayloadLength(_), _)
    ));
    // An OID over 128 sub-identifiers; a truncated octet string; an unknown varbind type.
    let mut v = b.clone();
    v[24] = 200;
    assert!(matches!(
        decode(&v),
        Decoded::Bad(Some(_), Error::OidTooLong, _)
    ));
    let mut v = b.clone();
    v[24] = 128;
    assert!(matches!(
        decode(&v),
        Decoded::Bad(Some(_), Error::Truncated, _)
    ));
    let mut r = hex(RESPONSE_MAC);
    r[32] = 0x99;
    assert!(matches!(
        decode(&r),
        Decoded::Bad(Some(_), Error::VarBindType(0x99), _)
    ));
    let mut r = hex(RESPONSE_MAC);
    let n = r.len();
    r[n - 12..n - 8].copy_from_slice(&[0xff; 4]);
    assert!(matches!(
        decode(&r),
        Decoded::Bad(Some(_), Error::Truncated, _)
    ));
    // Every byte flipped and every length cut: never a panic.
    for s in [
        OPEN,
        OPEN_RESPONSE,
        REGISTER,
        GETNEXT,
        RESPONSE_MAC,
        NOTIFY,
        PING,
    ] {
        let b = hex(s);
        for i in 0..b.len() {
            for x in [0x01, 0x80, 0xff] {
                let mut v = b.clone();
                v[i] ^= x;
                let _ = decode(&v);
            }
        }
    }
}
