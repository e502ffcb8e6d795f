use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use super::*;
use crate::wire;

fn out(version: u8, interval: Duration) -> AdvertOut {
    AdvertOut {
        version,
        vrid: 51,
        priority: 100,
        interval,
        addrs: Vec::new().into(),
    }
}

const VIPS: [Ipv4Addr; 2] = [Ipv4Addr::new(10, 0, 0, 1), Ipv4Addr::new(10, 0, 0, 2)];
const SRC: Ipv4Addr = Ipv4Addr::new(192, 168, 1, 1);
const GROUP: Ipv4Addr = Ipv4Addr::new(224, 0, 0, 18);

fn pair(dst: Ipv4Addr) -> IpPair {
    IpPair::V4 { src: SRC, dst }
}

/// `repr` emitted for `pair` under `variant`.
fn emit(repr: &wv::Repr<'_>, pair: &IpPair, variant: ChecksumVariant) -> Vec<u8> {
    let mut buf = vec![0; repr.buffer_len()];
    let mut pkt = wv::Packet::new_unchecked(&mut buf[..], wire::Family::V4);
    repr.emit(&mut pkt, pair, variant).unwrap();
    buf
}

fn meta() -> RxMeta {
    RxMeta {
        src: IpAddr::V4(SRC),
        multicast: true,
        ttl: Some(255),
    }
}

#[test]
fn sent_fields_follow_the_version() {
    let pw = *b"secret\0\0";
    let v = |a: &AdvertOut, auth: &Auth| to_wire(a, auth, Addresses::V4(&VIPS)).version;
    // (version, interval, auth) -> wire version fields.
    let cases = [
        (
            2,
            Duration::from_secs(1),
            Auth::None,
            wv::AuthType::None,
            1,
            [0; 8],
        ),
        (
            2,
            Duration::from_secs(3),
            Auth::Pass(pw),
            wv::AuthType::Pass,
            3,
            pw,
        ),
        (
            2,
            Duration::from_millis(500),
            Auth::Ah([0; 8]),
            wv::AuthType::Ah,
            1,
            [0; 8],
        ),
        (
            2,
            Duration::from_secs(300),
            Auth::None,
            wv::AuthType::None,
            255,
            [0; 8],
        ),
    ];
    for (ver, int, auth, t, secs, data) in cases {
        assert_eq!(
            v(&out(ver, int), &auth),
            wv::Version::V2 {
                auth_type: t,
                advert_int: secs,
                auth_data: data
            },
            "{ver} {int:?} {auth:?}"
        );
    }
    // v3: centiseconds, at most 12 bits, no authentication whatever the instance has.
    for (int, centis) in [(50, 5), (1000, 100), (1_000_000, 4095), (5, 0)] {
        assert_eq!(
            v(&out(3, Duration::from_millis(int)), &Auth::Pass(pw)),
            wv::Version::V3 {
                max_advert_int: centis,
                reserved: 0
            },
            "{int} ms"
        );
    }
    let r = to_wire(
        &out(3, Duration::from_secs(1)),
        &Auth::None,
        Addresses::V4(&VIPS),
    );
    assert_eq!(
        (r.msg_type, r.vrid, r.priority),
        (wv::Type::Advertisement, 51, 100)
    );
    assert_eq!(r.addresses, Addresses::V4(&VIPS));
}

#[test]
fn received_fields_follow_the_version() {
    let addrs = [IpAddr::V4(VIPS[0])];
    let mut repr = to_wire(
        &out(2, Duration::from_secs(7)),
        &Auth::Pass(*b"pw\0\0\0\0\0\0"),
        Addresses::V4(&VIPS),
    );
    let a = from_wire(&repr, &addrs);
    assert_eq!(
        (a.version, a.kind, a.vrid, a.priority, a.interval),
        (2, 1, 51, 100, Duration::from_secs(7))
    );
    assert_eq!((a.auth_type, a.auth_data), (1, *b"pw\0\0\0\0\0\0"));
    assert_eq!((a.addrs, a.ah), (&addrs[..], None));
    // v3: the reserved bits are not part of the interval; no authentication.
    repr.version = wv::Version::V3 {
        max_advert_int: 0xf000 | 150,
        reserved: 0xf,
    };
    let a = from_wire(&repr, &addrs);
    assert_eq!((a.version, a.interval), (3, Duration::from_millis(1500)));
    assert_eq!((a.auth_type, a.auth_data), (0, [0; 8]));
}

#[test]
fn sent_then_parsed_is_what_the_machine_sent() {
    for (ver, int) in [(2, Duration::from_secs(2)), (3, Duration::from_millis(250))] {
        let repr = to_wire(&out(ver, int), &Auth::None, Addresses::V4(&VIPS));
        let bytes = emit(&repr, &pair(GROUP), ChecksumVariant::Plain);
        let pkt = wv::Packet::new_checked(&bytes[..], wire::Family::V4).unwrap();
        let parsed = wv::Repr::parse(&pkt).unwrap();
        let addrs: Vec<IpAddr> = parsed.addresses.iter().collect();
        let a = from_wire(&parsed, &addrs);
        assert_eq!(
            (a.version, a.interval, a.vrid, a.priority),
            (ver, int, 51, 100)
        );
        assert_eq!(a.addrs, [IpAddr::V4(VIPS[0]), IpAddr::V4(VIPS[1])]);
    }
}

#[test]
fn checksum_variants_are_followed_only_where_there_are_several() {
    use ChecksumVariant::{Ipv4Pseudo, Ipv4PseudoLegacy, Plain};
    let peer = Ipv4Addr::new(192, 168, 1, 2);
    let legacy = Ipv4PseudoLegacy { group: GROUP };
    let addrs = [IpAddr::V4(VIPS[0])];
    // (sent as, to, we check, we follow) -> Some(variant to adopt) / Advert / drop
    #[derive(Debug, PartialEq)]
    enum Got {
        Ok,
        Other(ChecksumVariant),
        Drop,
    }
    let cases = [
        (Ipv4Pseudo, GROUP, Ipv4Pseudo, true, Got::Ok),
        (Plain, GROUP, Plain, false, Got::Ok),
        (Ipv4Pseudo, GROUP, Plain, true, Got::Other(Ipv4Pseudo)),
        (Plain, GROUP, Ipv4Pseudo, true, Got::Other(Plain)),
        (Ipv4Pseudo, GROUP, Plain, false, Got::Drop),
        // Unicast: the pre-1.3.6 form puts the group in the pseudo-header.
        (legacy, peer, Ipv4Pseudo, true, Got::Other(legacy)),
        (legacy, peer, legacy, true, Got::Ok),
        // To the group, the legacy form is the default form: already verified.
        (Ipv4Pseudo, GROUP, legacy, true, Got::Ok),
    ];
    for (sent, dst, ours, follows, want) in cases {
        let repr = to_wire(
            &out(3, Duration::from_secs(1)),
            &Auth::None,
            Addresses::V4(&VIPS),
        );
        let bytes = emit(&repr, &pair(dst), sent);
        let pkt = wv::Packet::new_checked(&bytes[..], wire::Family::V4).unwrap();
        let advert = from_wire(&repr, &addrs);
        let got = match classify(&pkt, &pair(dst), ours, follows, GROUP, advert, meta()) {
            Input::Advert { advert: a, meta: m } => {
                assert_eq!((a, m), (advert, meta()));
                Got::Ok
            }
            Input::AdvertOtherChecksum { variant, .. } => Got::Other(variant),
            Input::Malformed { src, reason } => {
                assert_eq!((src, reason), (meta().src, DropReason::Checksum));
                Got::Drop
            }
            other => panic!("{other:?}"),
        };
        assert_eq!(
            got, want,
            "sent {sent:?} to {dst}, checked {ours:?}, follows {follows}"
        );
    }
    // A corrupt checksum verifies under no variant.
    let repr = to_wire(
        &out(3, Duration::from_secs(1)),
        &Auth::None,
        Addresses::V4(&VIPS),
    );
    let mut bytes = emit(&repr, &pair(GROUP), Ipv4Pseudo);
    bytes[6] ^= 0xff;
    let pkt = wv::Packet::new_checked(&bytes[..], wire::Family::V4).unwrap();
    let advert = from_wire(&repr, &addrs);
    let got = classify(&pkt, &pair(GROUP), Plain, true, GROUP, advert, meta());
    assert!(matches!(got, Input::Malformed { .. }), "{got:?}");
}

#[test]
fn only_v3_over_ipv4_follows() {
    assert!(follows_checksum(3, Family::Inet));
    assert!(!follows_checksum(2, Family::Inet));
    assert!(!follows_checksum(3, Family::Inet6));
    assert!(!follows_checksum(2, Family::Inet6));
}
