//! BFD section tests: values, keepalived's diagnostics (message and location), end-of-block
//! checks, and dump round trips.

use std::time::Duration;

use super::*;
use crate::config::source::{Diagnostic, FileId, Loc, Severity};
use crate::config::testutil::{self, ip, of};

fn parse(text: &str) -> (Bfd, Vec<Diagnostic>) {
    let (cfg, d) = testutil::load(text);
    (cfg.bfd, d)
}

fn at(line: u32, col: u32) -> Option<Loc> {
    Some(Loc {
        file: FileId(0),
        line,
        col,
    })
}

fn warnings(list: &[Diagnostic]) -> Vec<(u32, u32, String)> {
    of(list, Severity::Warning)
}

fn round_trip(b: &Bfd) {
    let mut w = Writer::new();
    b.dump(&mut w);
    let text = w.finish();
    let (again, diags) = parse(&text);
    assert_eq!(&again, b, "dump:\n{text}");
    assert!(warnings(&diags).is_empty(), "{diags:?}\n{text}");
}

#[test]
fn defaults_and_every_keyword() {
    let (b, diags) = parse(
        "bfd_instance B1 {\n\
         \x20   neighbour_ip 192.168.77.2\n\
         \x20   source_ip 192.168.77.1\n\
         \x20   min_rx 3.312\n\
         \x20   min_tx 50\n\
         \x20   idle_tx 2000.5\n\
         \x20   multiplier 3\n\
         \x20   passive\n\
         \x20   ttl 64\n\
         \x20   max_hops 2\n\
         \x20   weight -10 reverse\n\
         \x20   vrrp\n\
         }\n\
         bfd_instance B6 {\n\
         \x20   neighbor_ip fd00::2\n\
         }\n",
    );
    assert!(diags.is_empty(), "{diags:?}");
    let i = &b.instances[0];
    assert_eq!(i.name, "B1");
    assert_eq!(i.neighbor, ip("192.168.77.2"));
    assert_eq!(i.source, Some(ip("192.168.77.1")));
    assert_eq!(i.min_rx, Duration::from_micros(3312));
    assert_eq!(i.min_tx, Duration::from_millis(50));
    assert_eq!(i.idle_tx, Duration::from_micros(2_000_500));
    assert_eq!(i.multiplier, 3);
    assert!(i.passive);
    assert_eq!((i.ttl, i.max_hops), (64, 2));
    assert_eq!((i.weight, i.weight_reverse), (-10, true));
    assert_eq!((i.vrrp, i.checker), (true, false));
    assert_eq!(i.port(), 3784);
    let v6 = &b.instances[1];
    assert_eq!(v6.ttl, HOPLIMIT_V6);
    assert_eq!(v6.min_rx, Duration::from_millis(10));
    assert_eq!(v6.min_tx, Duration::from_millis(10));
    assert_eq!(v6.idle_tx, Duration::from_millis(1000));
    assert_eq!(v6.multiplier, 5);
    assert_eq!((v6.max_hops, v6.weight), (0, 0));
    assert_eq!((v6.vrrp, v6.checker), (true, true));
    assert!(b.has_instance("B1") && b.has_instance("B6") && !b.has_instance("b1"));
    assert_eq!(b.instance("B6").unwrap().neighbor, ip("fd00::2"));
    round_trip(&b);
}

#[test]
fn the_captured_configuration() {
    // reference/captures/bfd.conf, the instance keepalived ran in the capture.
    let (b, diags) = parse(
        "global_defs { router_id BFDT }\nbfd_instance BFD1 {\n    neighbor_ip 192.168.77.2\n    source_ip 192.168.77.1\n    min_rx 50\n    min_tx 50\n    idle_tx 1000\n    multiplier 3\n}\n",
    );
    assert!(warnings(&diags).is_empty(), "{diags:?}");
    let i = &b.instances[0];
    assert_eq!(i.min_rx, Duration::from_millis(50));
    assert_eq!(i.ttl, TTL_V4);
    round_trip(&b);
}

#[test]
fn interval_ranges_and_resolution() {
    let (b, diags) = parse(
        "bfd_instance B {\n neighbor_ip 10.0.0.1\n min_rx 0\n min_rx 0.5\n min_tx 4294968\n idle_tx 999\n min_rx 3.3125\n min_tx x\n}\n",
    );
    assert_eq!(
        warnings(&diags),
        vec![
            (
                3,
                9,
                "`min_rx`: `0` is outside the range [1, 4294967] ms - ignoring".to_string()
            ),
            (
                4,
                9,
                "`min_rx`: `0.5` is outside the range [1, 4294967] ms - ignoring".to_string()
            ),
            (
                5,
                9,
                "`min_tx`: `4294968` is outside the range [1, 4294967] ms - ignoring".to_string()
            ),
            (
                6,
                10,
                "`idle_tx`: `999` is outside the range [1000, 4294967] ms - ignoring".to_string()
            ),
            (
                7,
                9,
                "`min_rx`: `3.3125` has more than 3 decimal places (milliseconds, resolution 1 µs) - ignoring".to_string()
            ),
            (
                8,
                9,
                "`min_tx`: `x` is not a number of milliseconds (range [1, 4294967] ms) - ignoring"
                    .to_string()
            ),
        ]
    );
    // Everything ignored: the defaults stay.
    assert_eq!(b.instances[0].min_rx, Duration::from_millis(10));
    assert_eq!(b.instances[0].idle_tx, Duration::from_millis(1000));
    // The limits themselves are fine; above 10 s is only a note (keepalived logs it).
    let (b, diags) = parse(
        "bfd_instance B {\n neighbor_ip 10.0.0.1\n min_rx 1\n min_tx 4294967\n idle_tx 10001\n}\n",
    );
    assert!(warnings(&diags).is_empty());
    assert_eq!(
        of(&diags, Severity::Note),
        vec![
            (
                4,
                9,
                "`min_tx` 4294967 ms is larger than the sensible maximum 10000 ms".to_string()
            ),
            (
                5,
                10,
                "`idle_tx` 10001 ms is larger than the sensible maximum 10000 ms".to_string()
            ),
        ]
    );
    assert_eq!(b.instances[0].min_tx, Duration::from_millis(4_294_967));
    round_trip(&b);
}

#[test]
fn multiplier_ttl_max_hops_weight() {
    let (b, diags) = parse(
        "bfd_instance B {\n neighbor_ip 10.0.0.1\n multiplier 0\n multiplier 256\n ttl 0\n hoplimit 256\n max_hops -2\n weight 254\n weight 10 foo\n multiplier 11\n}\n",
    );
    assert_eq!(
        warnings(&diags),
        vec![
            (
                3,
                13,
                "`multiplier`: `0` is outside the range [1, 255] - ignoring".to_string()
            ),
            (
                4,
                13,
                "`multiplier`: `256` is outside the range [1, 255] - ignoring".to_string()
            ),
            (
                5,
                6,
                "`ttl`: `0` is outside the range [1, 255] - ignoring".to_string()
            ),
            (
                6,
                11,
                "`hoplimit`: `256` is outside the range [1, 255] - ignoring".to_string()
            ),
            (
                7,
                11,
                "`max_hops`: `-2` is outside the range [-1, 255] - ignoring".to_string()
            ),
            (
                8,
                9,
                "`weight`: `254` is outside the range [-253, 253] - ignoring".to_string()
            ),
            (
                9,
                12,
                "`weight`: unknown option `foo` (only `reverse`) - ignoring it".to_string()
            ),
        ]
    );
    let i = &b.instances[0];
    assert_eq!(
        (i.multiplier, i.ttl, i.max_hops, i.weight),
        (11, 255, 0, 10)
    );
    assert!(!i.weight_reverse);
    assert_eq!(
        of(&diags, Severity::Note),
        vec![(
            10,
            13,
            "`multiplier` 11: the session is declared down only after 11 missed packets (more than 10 is unusual)"
                .to_string()
        )]
    );
}

#[test]
fn max_hops_above_ttl_is_lowered() {
    let (b, diags) = parse("bfd_instance B {\n neighbor_ip 10.0.0.1\n ttl 10\n max_hops 20\n}\n");
    assert_eq!(
        warnings(&diags),
        vec![(
            4,
            11,
            "`max_hops` 20 exceeds the ttl/hoplimit 10 of `bfd_instance` `B` - using 10"
                .to_string()
        )]
    );
    assert_eq!(b.instances[0].max_hops, 10);
    // -1 and 255 both disable the check; 255 is allowed with the default IPv4 TTL.
    let (b, diags) = parse(
        "bfd_instance A {\n neighbor_ip 10.0.0.1\n max_hops -1\n}\nbfd_instance C {\n neighbor_ip 10.0.0.2\n max_hops 255\n}\n",
    );
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(b.instances[0].max_hops, -1);
    assert_eq!(b.instances[1].max_hops, 255);
    round_trip(&b);
}

#[test]
fn missing_or_malformed_neighbor_drops_the_instance() {
    let (b, diags) = parse(
        "bfd_instance A {\n source_ip 10.0.0.2\n}\nbfd_instance B {\n neighbor_ip x\n min_rx 0\n}\nbfd_instance C {\n neighbor_ip\n}\nbfd_instance D\n",
    );
    assert!(b.instances.is_empty());
    assert_eq!(
        warnings(&diags),
        vec![
            (
                1,
                14,
                "`bfd_instance` `A` has no `neighbor_ip` - ignoring the instance".to_string()
            ),
            // The rest of the block is skipped, as keepalived does: no warning for `min_rx 0`.
            (
                5,
                14,
                "`neighbor_ip`: `x` is not an IP address - ignoring bfd_instance B".to_string()
            ),
            (9, 2, "`neighbor_ip` needs a value - ignoring".to_string()),
            (
                11,
                1,
                "`bfd_instance` needs a block `{ ... }` - ignoring".to_string()
            ),
        ]
    );
    assert!(!b.has_instance("A"));
}

#[test]
fn source_problems() {
    let (b, diags) = parse(
        "bfd_instance A {\n neighbor_ip 10.0.0.1\n source_ip fe80::1\n}\nbfd_instance B {\n neighbor_ip 10.0.0.1\n source_ip x\n}\n",
    );
    assert_eq!(
        warnings(&diags),
        vec![
            (
                3,
                12,
                "`source_ip` `fe80::1` and `neighbor_ip` `10.0.0.1` of `bfd_instance` `A` are not of the same address family - ignoring the instance"
                    .to_string()
            ),
            (
                7,
                12,
                "`source_ip`: `x` is not an IP address - ignoring".to_string()
            ),
        ]
    );
    // A malformed source is ignored, the instance kept.
    assert_eq!(b.instances.len(), 1);
    assert_eq!(b.instances[0].name, "B");
    assert_eq!(b.instances[0].source, None);
}

#[test]
fn names_too_long_missing_or_duplicate() {
    let long31 = "a".repeat(31);
    let long32 = "b".repeat(32);
    let text = format!(
        "bfd_instance {long31} {{\n neighbor_ip 10.0.0.1\n}}\nbfd_instance {long32} {{\n neighbor_ip 10.0.0.2\n}}\nbfd_instance {long31} {{\n neighbor_ip 10.0.0.3\n}}\nbfd_instance {{\n neighbor_ip 10.0.0.4\n}}\n"
    );
    let (b, diags) = parse(&text);
    assert_eq!(b.instances.len(), 1);
    assert_eq!(
        warnings(&diags),
        vec![
            (
                4,
                14,
                format!(
                    "`bfd_instance`: name `{long32}` is longer than 31 characters - ignoring the instance"
                )
            ),
            (
                7,
                14,
                format!("`bfd_instance`: `{long31}` is already defined - ignoring this one")
            ),
            (
                10,
                1,
                "`bfd_instance` needs a name - ignoring the instance".to_string()
            ),
        ]
    );
}

#[test]
fn duplicate_sessions() {
    // keepalived 2.2.7: same neighbor and (same source, or either without a source).
    let (b, diags) = parse(
        "bfd_instance A {\n neighbor_ip 10.0.0.1\n source_ip 10.0.0.5\n}\n\
         bfd_instance B {\n neighbor_ip 10.0.0.1\n source_ip 10.0.0.6\n}\n\
         bfd_instance C {\n neighbor_ip 10.0.0.1\n}\n\
         bfd_instance D {\n neighbor_ip 10.0.0.1\n source_ip 10.0.0.6\n}\n\
         bfd_instance E {\n neighbor_ip 10.0.0.1\n source_ip 10.0.0.6\n multihop\n}\n",
    );
    let names: Vec<&str> = b.instances.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(names, ["A", "B", "E"]);
    assert_eq!(
        warnings(&diags),
        vec![
            (
                10,
                14,
                "`bfd_instance` `C` has the same `neighbor_ip` `10.0.0.1` as `A` - ignoring the instance"
                    .to_string()
            ),
            (
                13,
                14,
                "`bfd_instance` `D` has the same source/neighbor_ip `10.0.0.6`/`10.0.0.1` as `B` - ignoring the instance"
                    .to_string()
            ),
        ]
    );
    assert_eq!(
        diags
            .iter()
            .find(|x| x.message.contains("`D`"))
            .unwrap()
            .hint
            .as_deref(),
        Some("give each session a distinct `source_ip`")
    );
    // multihop: a newer keyword, accepted with a note; port 4784.
    assert_eq!(
        of(&diags, Severity::Note),
        vec![(
            19,
            2,
            "`multihop` is not known to keepalived 2.2.7 (added in a later release)".to_string()
        )]
    );
    assert_eq!(b.instance("E").unwrap().port(), 4784);
    round_trip(&b);
}

#[test]
fn flags_ignore_words_and_unknown_keywords_hint() {
    let (b, diags) = parse(
        "bfd_instance A {\n neighbor_ip 10.0.0.1 x\n passive off\n checker\n multiplir 3\n}\n",
    );
    let i = &b.instances[0];
    // keepalived sets `passive` whatever follows it.
    assert!(i.passive);
    assert_eq!((i.vrrp, i.checker), (false, true));
    assert_eq!(
        warnings(&diags),
        vec![(
            5,
            2,
            "unknown keyword `multiplir` in bfd_instance A - ignoring".to_string()
        )]
    );
    assert_eq!(
        diags
            .iter()
            .find(|x| x.severity == Severity::Warning)
            .unwrap()
            .hint
            .as_deref(),
        Some("did you mean `multiplier`?")
    );
    assert_eq!(
        of(&diags, Severity::Note),
        vec![
            (2, 23, "`neighbor_ip`: extra `x` ignored".to_string()),
            (
                3,
                10,
                "`passive` takes no value; `off` ignored and `passive` enabled".to_string()
            ),
        ]
    );
    round_trip(&b);
}

#[test]
fn locations_point_at_the_words() {
    let (_, diags) = parse("bfd_instance A {\n    neighbor_ip 10.0.0.1\n    ttl abc\n}\n");
    assert_eq!(diags[0].loc, at(3, 9));
    assert_eq!(
        diags[0].message,
        "`ttl`: `abc` is not an integer (range [1, 255]) - ignoring"
    );
}

#[test]
fn arbitrary_blocks_never_panic() {
    let mut rng = crate::rng::Rng::new(7);
    let words = [
        "neighbor_ip",
        "source_ip",
        "10.0.0.1",
        "fe80::1",
        "min_rx",
        "0.001",
        "ttl",
        "max_hops",
        "-1",
        "weight",
        "reverse",
        "multihop",
        "{",
        "}",
        "\n",
        "vrrp",
        "x",
    ];
    for _ in 0..2000 {
        let mut text = String::from("bfd_instance N {\n");
        for _ in 0..rng.below(20) {
            text.push_str(words[rng.below(words.len() as u64) as usize]);
            text.push(' ');
        }
        let (b, _) = parse(&text);
        round_trip(&b);
    }
}

#[test]
fn link_local_neighbor_names_its_interface_by_source_ip() {
    let (b, diags) = parse("bfd_instance L {\n    neighbor_ip fe80::2\n}\n");
    assert_eq!(b.instances.len(), 1);
    let notes = of(&diags, Severity::Note);
    assert_eq!(notes.len(), 1, "{diags:?}");
    assert_eq!((notes[0].0, notes[0].1), (2, 17));
    assert!(notes[0].2.contains("link-local"), "{notes:?}");
    let (b, diags) = parse("bfd_instance L {\n    neighbor_ip fe80::2\n    source_ip fe80::1\n}\n");
    assert!(diags.is_empty(), "{diags:?}");
    round_trip(&b);
    assert!(is_link_local(ip("fe80::1")) && is_link_local(ip("febf::1")));
    assert!(!is_link_local(ip("fec0::1")) && !is_link_local(ip("10.0.0.1")));
}
