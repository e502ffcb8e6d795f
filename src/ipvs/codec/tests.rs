//! Byte tests of the IPVS codec: requests against bytes written out by hand from the kernel's
//! UAPI (../shared/reference/ipvs-and-checkers.md 1.1-1.2), replies built the same way, and
//! hostile replies that must give `Malformed`, never a panic.

use super::*;
use crate::ipvs::model::{TCP, UDP};

/// One attribute as the kernel lays it out: length, type, payload, padding to 4.
fn a(ty: u16, payload: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&((4 + payload.len()) as u16).to_ne_bytes());
    v.extend_from_slice(&ty.to_ne_bytes());
    v.extend_from_slice(payload);
    while v.len() % 4 != 0 {
        v.push(0);
    }
    v
}

fn nest(ty: u16, parts: &[Vec<u8>]) -> Vec<u8> {
    a(ty, &parts.concat())
}

/// A whole message: netlink header, genl header, attributes.
fn msg(ty: u16, flags: u16, seq: u32, cmd: u8, attrs: &[Vec<u8>]) -> Vec<u8> {
    let body: Vec<u8> = [vec![cmd, 1, 0, 0], attrs.concat()].concat();
    let mut v = Vec::new();
    v.extend_from_slice(&((16 + body.len()) as u32).to_ne_bytes());
    v.extend_from_slice(&ty.to_ne_bytes());
    v.extend_from_slice(&flags.to_ne_bytes());
    v.extend_from_slice(&seq.to_ne_bytes());
    v.extend_from_slice(&0u32.to_ne_bytes());
    v.extend_from_slice(&body);
    v
}

const FAMILY: u16 = 0x20;
const ACKED: u16 = 0x01 | 0x04;
const DUMP: u16 = 0x01 | 0x300;

fn web() -> Service {
    Service {
        key: ServiceKey::Addr {
            protocol: TCP,
            addr: "10.0.0.1".parse().unwrap(),
            port: 80,
        },
        scheduler: "wlc".into(),
        flags: 0,
        timeout: 0,
        netmask: Netmask::host(AF_INET),
        pe_name: None,
    }
}

fn encoded(req: &Request<'_>) -> Vec<u8> {
    let mut buf = Vec::new();
    encode(&mut buf, FAMILY, 7, req).unwrap();
    buf
}

#[test]
fn new_service_has_every_mandatory_attribute_in_the_kernels_byte_order() {
    let want = msg(
        FAMILY,
        ACKED,
        7,
        1,
        &[nest(
            1,
            &[
                a(1, &2u16.to_ne_bytes()),
                a(2, &6u16.to_ne_bytes()),
                a(3, &[10, 0, 0, 1]),
                a(4, &[0x00, 0x50]), // port 80, network order
                a(6, b"wlc\0"),
                a(7, &[0u32.to_ne_bytes(), u32::MAX.to_ne_bytes()].concat()),
                a(8, &0u32.to_ne_bytes()),
                a(9, &[0xff, 0xff, 0xff, 0xff]),
            ],
        )],
    );
    assert_eq!(encoded(&Request::NewService(&web())), want);
    // Round trip through a dump entry (the kernel answers GET_SERVICE with cmd NEW_SERVICE).
    let Reply::Service(s) = parse_reply(&want[16..]).unwrap() else {
        panic!("not a service");
    };
    assert_eq!(s, web());
}

#[test]
fn persistence_netmask_is_a_mask_over_ipv4_and_a_prefix_over_ipv6() {
    let mut s = web();
    s.flags = flags::PERSISTENT;
    s.timeout = 300;
    s.netmask = Netmask::v4("255.255.255.0".parse().unwrap());
    let b = encoded(&Request::SetService(&s));
    assert!(
        b.windows(8)
            .any(|w| w == [8, 0, 9, 0, 0xff, 0xff, 0xff, 0x00])
    );
    let mut s6 = web();
    s6.key = ServiceKey::Addr {
        protocol: UDP,
        addr: "fd00::1".parse().unwrap(),
        port: 53,
    };
    s6.netmask = Netmask::v6(64);
    let b = encoded(&Request::SetService(&s6));
    let mut want = a(9, &64u32.to_ne_bytes());
    assert!(b.windows(8).any(|w| w == want.as_slice()));
    want = a(3, &"fd00::1".parse::<Ipv6Addr>().unwrap().octets());
    assert!(b.windows(20).any(|w| w == want.as_slice()));
    assert_eq!(b[16], 2, "SET_SERVICE");
}

#[test]
fn hashed_is_never_sent_and_stripped_from_dumps() {
    let mut s = web();
    s.flags = flags::HASHED | flags::ONEPACKET;
    let b = encoded(&Request::NewService(&s));
    assert!(
        b.windows(12)
            .any(|w| w[..4] == [12, 0, 7, 0] && w[4..8] == flags::ONEPACKET.to_ne_bytes())
    );
    let Reply::Service(back) = parse_reply(&b[16..]).unwrap() else {
        panic!()
    };
    assert_eq!(back.flags, flags::ONEPACKET);
}

#[test]
fn fwmark_service_sends_no_protocol_address_or_port() {
    let k = ServiceKey::Fwmark {
        af: AF_INET6,
        mark: 7,
    };
    let want = msg(
        FAMILY,
        ACKED,
        7,
        3,
        &[nest(
            1,
            &[a(1, &10u16.to_ne_bytes()), a(5, &7u32.to_ne_bytes())],
        )],
    );
    assert_eq!(encoded(&Request::DelService(k)), want);
}

#[test]
fn destinations_carry_the_service_key_and_their_own() {
    let d = Dest {
        addr: "10.0.0.2".parse().unwrap(),
        port: 8080,
        forward: Forward::Route,
        weight: 5,
        upper: 100,
        lower: 10,
        tunnel: None,
    };
    let k = web().key;
    let svc = nest(
        1,
        &[
            a(1, &2u16.to_ne_bytes()),
            a(2, &6u16.to_ne_bytes()),
            a(3, &[10, 0, 0, 1]),
            a(4, &[0x00, 0x50]),
        ],
    );
    let want = msg(
        FAMILY,
        ACKED,
        7,
        5,
        &[
            svc.clone(),
            nest(
                2,
                &[
                    a(1, &[10, 0, 0, 2]),
                    a(2, &[0x1f, 0x90]), // 8080, network order
                    a(3, &3u32.to_ne_bytes()),
                    a(4, &5u32.to_ne_bytes()),
                    a(5, &100u32.to_ne_bytes()),
                    a(6, &10u32.to_ne_bytes()),
                ],
            ),
        ],
    );
    assert_eq!(encoded(&Request::NewDest(k, &d)), want);
    let del = msg(
        FAMILY,
        ACKED,
        7,
        7,
        &[svc, nest(2, &[a(1, &[10, 0, 0, 2]), a(2, &[0x1f, 0x90])])],
    );
    assert_eq!(encoded(&Request::DelDest(k, d.addr, d.port)), del);
}

#[test]
fn tunnel_attributes_only_for_tunnels_and_a_mixed_family_is_said() {
    let mut d = Dest {
        addr: "fd00::2".parse().unwrap(),
        port: 80,
        forward: Forward::Tunnel,
        weight: 1,
        upper: 0,
        lower: 0,
        tunnel: Some(Tunnel {
            kind: 1,
            port: 6080,
            flags: 1,
        }),
    };
    let b = encoded(&Request::SetDest(web().key, &d));
    let fam = a(11, &10u16.to_ne_bytes());
    assert!(b.windows(8).any(|w| w == fam.as_slice()), "ADDR_FAMILY");
    let port = a(14, &6080u16.to_be_bytes());
    assert!(b.windows(8).any(|w| w == port.as_slice()), "TUN_PORT");
    let Reply::Dest(back, _) =
        parse_reply(&msg(FAMILY, 0, 1, 5, &[a(2, &dest_attrs(&b))])[16..]).unwrap()
    else {
        panic!()
    };
    assert_eq!(back, d);
    d.forward = Forward::Masq;
    let b = encoded(&Request::SetDest(web().key, &d));
    assert!(!b.windows(4).any(|w| w[2..] == [13, 0]), "no TUN_TYPE");
}

/// The inner attributes of the DEST nest of an encoded request.
fn dest_attrs(req: &[u8]) -> Vec<u8> {
    let attrs = &req[20..];
    for x in Attrs::new(attrs) {
        let (ty, p) = x.unwrap();
        if ty == 2 {
            return p.to_vec();
        }
    }
    panic!("no dest");
}

#[test]
fn dumps_ask_with_the_dump_flags_and_no_ack() {
    let b = encoded(&Request::GetServices);
    assert_eq!(b, msg(FAMILY, DUMP, 7, 4, &[]));
    let b = encoded(&Request::GetDests(web().key));
    assert_eq!(u16::from_ne_bytes([b[6], b[7]]), DUMP);
    assert_eq!(b[16], 8);
    assert_eq!(encoded(&Request::GetDaemons), msg(FAMILY, DUMP, 7, 11, &[]));
    assert_eq!(encoded(&Request::Flush), msg(FAMILY, ACKED, 7, 17, &[]));
    assert_eq!(
        encoded(&Request::Zero(None)),
        msg(FAMILY, ACKED, 7, 16, &[])
    );
}

#[test]
fn daemons_and_timeouts() {
    let d = Daemon {
        state: SyncState::Backup,
        ifname: "eth0".into(),
        sync_id: 9,
        maxlen: None,
        group: Some("224.0.0.81".parse().unwrap()),
        port: Some(8848),
        ttl: Some(2),
    };
    let want = msg(
        FAMILY,
        ACKED,
        7,
        9,
        &[nest(
            3,
            &[
                a(1, &2u32.to_ne_bytes()),
                a(2, b"eth0\0"),
                a(3, &9u32.to_ne_bytes()),
                a(5, &[224, 0, 0, 81]),
                a(7, &8848u16.to_ne_bytes()), // host order, unlike the other ports
                a(8, &[2]),
            ],
        )],
    );
    assert_eq!(encoded(&Request::NewDaemon(&d)), want);
    let Reply::Daemon(back) = parse_reply(&want[16..]).unwrap() else {
        panic!()
    };
    assert_eq!(back, d);
    assert_eq!(
        encoded(&Request::DelDaemon(SyncState::Master)),
        msg(
            FAMILY,
            ACKED,
            7,
            10,
            &[nest(3, &[a(1, &1u32.to_ne_bytes())])]
        )
    );
    let t = Timeouts {
        tcp: 900,
        tcp_fin: 0,
        udp: 300,
    };
    let want = msg(
        FAMILY,
        ACKED,
        7,
        12,
        &[a(4, &900u32.to_ne_bytes()), a(6, &300u32.to_ne_bytes())],
    );
    assert_eq!(encoded(&Request::SetTimeouts(t)), want);
    let reply = msg(
        FAMILY,
        0,
        7,
        12,
        &[
            a(4, &900u32.to_ne_bytes()),
            a(5, &120u32.to_ne_bytes()),
            a(6, &300u32.to_ne_bytes()),
        ],
    );
    assert_eq!(
        parse_reply(&reply[16..]).unwrap(),
        Reply::Timeouts(Timeouts {
            tcp: 900,
            tcp_fin: 120,
            udp: 300
        })
    );
}

#[test]
fn a_kernel_dump_entry_with_16_byte_addresses_stats_and_counts() {
    // What 6.1 sends for `-a -t 10.0.0.1:80 -r 10.0.0.2:80 -m`: 16-byte address, the family,
    // connection counts, a stats nest we skip.
    let mut addr16 = [0u8; 16];
    addr16[..4].copy_from_slice(&[10, 0, 0, 2]);
    let entry = msg(
        FAMILY,
        0x2,
        3,
        5,
        &[nest(
            2,
            &[
                a(1, &addr16),
                a(2, &[0, 80]),
                a(3, &0u32.to_ne_bytes()),
                a(4, &1u32.to_ne_bytes()),
                a(5, &0u32.to_ne_bytes()),
                a(6, &0u32.to_ne_bytes()),
                a(7, &3u32.to_ne_bytes()),
                a(8, &4u32.to_ne_bytes()),
                a(9, &0u32.to_ne_bytes()),
                nest(10, &[a(1, &5u32.to_ne_bytes())]),
                a(11, &2u16.to_ne_bytes()),
                a(13, &[0]),
                a(14, &[0, 0]),
                a(15, &0u16.to_ne_bytes()),
            ],
        )],
    );
    let got: Vec<_> = replies(&entry).collect();
    assert_eq!(got.len(), 1);
    let (seq, Ok(Reply::Dest(d, c))) = &got[0] else {
        panic!("{got:?}")
    };
    assert_eq!(*seq, 3);
    assert_eq!(d.addr, "10.0.0.2".parse::<IpAddr>().unwrap());
    assert_eq!(
        (d.port, d.forward, d.weight, d.tunnel),
        (80, Forward::Masq, 1, None)
    );
    assert_eq!((c.active, c.inactive), (3, 4));
}

#[test]
fn info_and_family() {
    let reply = msg(
        FAMILY,
        0,
        1,
        14,
        &[
            a(1, &0x010201u32.to_ne_bytes()),
            a(2, &4096u32.to_ne_bytes()),
        ],
    );
    let Reply::Info(i) = parse_reply(&reply[16..]).unwrap() else {
        panic!()
    };
    assert_eq!(
        (i.version_string().as_str(), i.conn_tab_size),
        ("1.2.1", 4096)
    );

    let mut buf = Vec::new();
    get_family(&mut buf, 1, FAMILY_NAME).unwrap();
    assert_eq!(buf, msg(GENL_ID_CTRL, ACKED, 1, 3, &[a(2, b"IPVS\0")]));
    let ops: Vec<Vec<u8>> = (1..=16u16)
        .map(|n| nest(n, &[a(1, &u32::from(n).to_ne_bytes())]))
        .collect();
    let reply = msg(
        GENL_ID_CTRL,
        0,
        1,
        1,
        &[
            a(2, b"IPVS\0"),
            a(1, &0x20u16.to_ne_bytes()),
            a(3, &1u32.to_ne_bytes()),
            a(4, &0u32.to_ne_bytes()),
            a(5, &6u32.to_ne_bytes()),
            nest(6, &ops),
        ],
    );
    let f = parse_family(&reply[16..]).unwrap();
    assert_eq!(
        (f.id, f.name.as_str(), f.version, f.maxattr, f.ops),
        (0x20, "IPVS", 1, 6, 16)
    );
}

#[test]
fn hostile_replies_are_malformed_not_panics() {
    // Missing identity.
    let no_af = msg(FAMILY, 0, 1, 1, &[nest(1, &[a(5, &1u32.to_ne_bytes())])]);
    assert_eq!(
        parse_reply(&no_af[16..]),
        Err(Malformed::Missing("service family"))
    );
    let no_port = msg(
        FAMILY,
        0,
        1,
        1,
        &[nest(
            1,
            &[
                a(1, &2u16.to_ne_bytes()),
                a(2, &6u16.to_ne_bytes()),
                a(3, &[1, 2, 3, 4]),
            ],
        )],
    );
    assert_eq!(
        parse_reply(&no_port[16..]),
        Err(Malformed::Missing("service port"))
    );
    // Wrong sizes.
    let bad_port = msg(
        FAMILY,
        0,
        1,
        5,
        &[nest(2, &[a(1, &[1, 2, 3, 4]), a(2, &[1])])],
    );
    assert_eq!(
        parse_reply(&bad_port[16..]),
        Err(Malformed::BadValue("dest port"))
    );
    let v6_in_4 = msg(
        FAMILY,
        0,
        1,
        1,
        &[nest(
            1,
            &[
                a(1, &10u16.to_ne_bytes()),
                a(2, &6u16.to_ne_bytes()),
                a(3, &[1, 2, 3, 4]),
                a(4, &[0, 1]),
            ],
        )],
    );
    assert_eq!(
        parse_reply(&v6_in_4[16..]),
        Err(Malformed::BadValue("address"))
    );
    let bad_method = msg(
        FAMILY,
        0,
        1,
        5,
        &[nest(
            2,
            &[
                a(1, &[1, 2, 3, 4]),
                a(2, &[0, 1]),
                a(3, &6u32.to_ne_bytes()),
            ],
        )],
    );
    assert_eq!(
        parse_reply(&bad_method[16..]),
        Err(Malformed::BadValue("forwarding method"))
    );
    // Truncated: every prefix of a good message is an error or a value, never a panic.
    let good = encoded(&Request::NewService(&web()));
    for n in 0..good.len() {
        let _ = parse_reply(good.get(16..n).unwrap_or(&[]));
        let _ = replies(&good[..n]).count();
    }
    assert_eq!(parse_reply(&[1, 1]), Err(Malformed::ShortHeader));
    assert_eq!(parse_reply(&[99, 1, 0, 0]), Ok(Reply::Other(99)));
}
