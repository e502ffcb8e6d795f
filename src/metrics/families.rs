//! The metric families, from the views the dumps and `--status` read (pure: no IO, no clock).
//!
//! Names follow Prometheus conventions (`_total` counters, base units, `_timestamp_seconds`)
//! and, where they overlap, those of the most used keepalived exporter (mehdy/keepalived-exporter:
//! `keepalived_vrrp_state{iname,intf,vrid,ip_address}`, `keepalived_advertisements_sent_total`,
//! `keepalived_become_master_total`...), so its dashboards and alerts keep working. Every family
//! is listed, with its type and labels, in keepalived-rs.conf(5).

use std::time::SystemTime;

use super::expo::{Expo, Kind};
use super::{CODES, Counters as ServerCounters};
use crate::executor::bfd::{Counters as BfdCounters, View as BfdView};
use crate::executor::check::dump::CheckView;
use crate::executor::ipvs::dump::VsRow;
use crate::executor::vrrp::dump::{View as VrrpView, state_number};
use crate::vrrp::Counters;
use crate::wire::bfd::{DropReason as BfdDrop, State as BfdState};

/// A family of one value per object: name, help, the value.
type Family<T, V> = (&'static str, &'static str, fn(&T) -> V);
/// A reason label and its count.
type Reason<T> = (&'static str, fn(&T) -> u64);

/// Seconds since the epoch.
fn epoch(t: SystemTime) -> f64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// keepalived's counters, under the exporter's names (TTL and address-list errors summed as
/// keepalived's JSON does).
const VRRP_COUNTERS: &[Family<Counters, u64>] = &[
    (
        "keepalived_advertisements_received_total",
        "VRRP advertisements received.",
        |c| c.adverts_received,
    ),
    (
        "keepalived_advertisements_sent_total",
        "VRRP advertisements sent.",
        |c| c.adverts_sent,
    ),
    (
        "keepalived_become_master_total",
        "Transitions to MASTER.",
        |c| c.became_master,
    ),
    (
        "keepalived_release_master_total",
        "Transitions out of MASTER.",
        |c| c.released_master,
    ),
    (
        "keepalived_packet_length_errors_total",
        "Adverts dropped: bad length.",
        |c| c.length_errors,
    ),
    (
        "keepalived_advertisements_interval_errors_total",
        "Adverts dropped: advert interval mismatch.",
        |c| c.interval_errors,
    ),
    (
        "keepalived_ip_ttl_errors_total",
        "Adverts dropped: TTL or hop limit.",
        |c| c.ttl_errors + c.peer_ttl_errors,
    ),
    (
        "keepalived_invalid_type_received_total",
        "Adverts dropped: invalid type.",
        |c| c.invalid_type,
    ),
    (
        "keepalived_address_list_errors_total",
        "Adverts dropped: address list mismatch.",
        |c| c.address_list_errors + c.destination_errors,
    ),
    (
        "keepalived_authentication_invalid_total",
        "Adverts dropped: invalid authentication type.",
        |c| c.invalid_auth_type,
    ),
    (
        "keepalived_authentication_mismatch_total",
        "Adverts dropped: authentication type mismatch.",
        |c| c.auth_type_mismatch,
    ),
    (
        "keepalived_authentication_failure_total",
        "Adverts dropped: authentication failure.",
        |c| c.auth_failures,
    ),
    (
        "keepalived_priority_zero_received_total",
        "Priority-0 adverts received.",
        |c| c.priority_zero_received,
    ),
    (
        "keepalived_priority_zero_sent_total",
        "Priority-0 adverts sent.",
        |c| c.priority_zero_sent,
    ),
];

/// Every drop reason of an instance, each once (their sum is every drop).
const VRRP_DROPS: &[Reason<Counters>] = &[
    ("length", |c| c.length_errors),
    ("checksum", |c| c.checksum_errors),
    ("vrid", |c| c.vrid_errors),
    ("ttl", |c| c.ttl_errors),
    ("version", |c| c.version_errors),
    ("invalid_authtype", |c| c.invalid_auth_type),
    ("authtype_mismatch", |c| c.auth_type_mismatch),
    ("auth_failure", |c| c.auth_failures),
    ("interval", |c| c.interval_errors),
    ("invalid_type", |c| c.invalid_type),
    ("destination", |c| c.destination_errors),
    ("owner_ignored", |c| c.owner_ignored),
    ("address_list", |c| c.address_list_errors),
    ("unicast_src", |c| c.unicast_src_errors),
    ("peer_ttl", |c| c.peer_ttl_errors),
];

/// `keepalived_up` and the VRRP instances.
pub fn vrrp(e: &mut Expo, views: &[VrrpView<'_>]) {
    e.family(
        "keepalived_up",
        Kind::Gauge,
        "Whether keepalived-rs runs (always 1).",
    );
    e.int(&[], 1);
    let ids: Vec<(String, String)> = views
        .iter()
        .map(|v| (v.params.vrid.to_string(), v.interface.to_string()))
        .collect();
    let labels = |k: usize| -> [(&str, &str); 3] {
        let v = &views[k];
        [
            ("iname", v.params.name.as_str()),
            ("intf", ids[k].1.as_str()),
            ("vrid", ids[k].0.as_str()),
        ]
    };
    for (name, help, excluded) in [
        (
            "keepalived_vrrp_state",
            "VRRP state per virtual address: 0 INIT, 1 BACKUP, 2 MASTER, 3 FAULT.",
            false,
        ),
        (
            "keepalived_vrrp_excluded_state",
            "VRRP state per excluded virtual address: 0 INIT, 1 BACKUP, 2 MASTER, 3 FAULT.",
            true,
        ),
    ] {
        e.family(name, Kind::Gauge, help);
        for (k, v) in views.iter().enumerate() {
            let state = u64::from(state_number(v.state));
            let addrs = if excluded { v.evips } else { v.vips };
            if addrs.is_empty() && !excluded {
                let [a, _, c] = labels(k);
                e.int(&[a, ("intf", v.interface), c, ("ip_address", "")], state);
            }
            for a in addrs {
                let len = a
                    .addr
                    .len
                    .unwrap_or(if a.addr.addr.is_ipv4() { 32 } else { 128 });
                let ip = format!("{}/{len}", a.addr.addr);
                let [n, _, c] = labels(k);
                let dev = a.dev.as_deref().unwrap_or(v.interface);
                e.int(&[n, ("intf", dev), c, ("ip_address", &ip)], state);
            }
        }
    }
    let gauges: [Family<VrrpView<'_>, f64>; 4] = [
        (
            "keepalived_vrrp_priority",
            "Configured (base) priority.",
            |v| f64::from(v.params.priority),
        ),
        (
            "keepalived_vrrp_effective_priority",
            "Priority after tracking weights.",
            |v| f64::from(v.priority),
        ),
        (
            "keepalived_vrrp_master_priority",
            "Priority of the master last heard (0: none).",
            |v| f64::from(v.master_priority),
        ),
        (
            "keepalived_vrrp_last_transition_timestamp_seconds",
            "When the instance entered its state.",
            |v| epoch(v.last_transition),
        ),
    ];
    for (name, help, f) in gauges {
        e.family(name, Kind::Gauge, help);
        for (k, v) in views.iter().enumerate() {
            e.float(&labels(k), f(v));
        }
    }
    for (name, help, f) in VRRP_COUNTERS {
        e.family(name, Kind::Counter, help);
        for (k, v) in views.iter().enumerate() {
            e.int(&labels(k), f(v.counters));
        }
    }
    e.family(
        "keepalived_vrrp_dropped_total",
        Kind::Counter,
        "Adverts an instance dropped, by reason (each drop under one reason).",
    );
    for (k, v) in views.iter().enumerate() {
        let [a, b, c] = labels(k);
        for (reason, f) in VRRP_DROPS {
            e.int(&[a, b, c, ("reason", reason)], f(v.counters));
        }
    }
    let Some(d) = views.first().map(|v| v.daemon) else {
        return;
    };
    e.family(
        "keepalived_vrrp_datagrams_dropped_total",
        Kind::Counter,
        "VRRP datagrams no instance took, by reason.",
    );
    e.int(&[("reason", "malformed")], d.malformed);
    e.int(&[("reason", "unknown_vrid")], d.unknown_vrid);
    e.int(&[("reason", "kernel")], d.kernel_drops);
    e.family(
        "keepalived_vrrp_errors_total",
        Kind::Counter,
        "VRRP IO errors, by operation.",
    );
    e.int(&[("op", "receive")], d.receive_errors);
    e.int(&[("op", "send")], d.send_errors);
    e.int(&[("op", "netlink")], d.netlink_errors);
    e.family(
        "keepalived_vrrp_garps_paced_total",
        Kind::Counter,
        "Gratuitous ARPs and NAs sent by the pacer.",
    );
    e.int(&[], d.garps_paced);
}

/// RFC 5880's numbers for a session state.
fn bfd_state(s: BfdState) -> u64 {
    match s {
        BfdState::AdminDown => 0,
        BfdState::Down => 1,
        BfdState::Init => 2,
        BfdState::Up => 3,
    }
}

/// The BFD sessions and the datagrams no session took.
pub fn bfd(e: &mut Expo, views: &[BfdView<'_>], c: &BfdCounters) {
    e.family(
        "keepalived_bfd_state",
        Kind::Gauge,
        "BFD session state: 0 AdminDown, 1 Down, 2 Init, 3 Up.",
    );
    for v in views {
        e.int(&[("name", &v.cfg.name)], bfd_state(v.session.state()));
    }
    e.family(
        "keepalived_bfd_detection_time_seconds",
        Kind::Gauge,
        "BFD detection time in force.",
    );
    for v in views {
        let t = v.session.detection_time().as_secs_f64();
        e.float(&[("name", &v.cfg.name)], t);
    }
    e.family(
        "keepalived_bfd_state_timestamp_seconds",
        Kind::Gauge,
        "When the BFD session entered its state.",
    );
    for v in views {
        e.float(&[("name", &v.cfg.name)], epoch(v.since));
    }
    let counters: [Family<crate::bfd::Counters, u64>; 8] = [
        (
            "keepalived_bfd_packets_received_total",
            "BFD packets the session took.",
            |k| k.rx,
        ),
        (
            "keepalived_bfd_packets_sent_total",
            "BFD packets sent.",
            |k| k.tx,
        ),
        (
            "keepalived_bfd_wrong_discriminator_total",
            "Packets with another Your Discriminator.",
            |k| k.rx_wrong_discr,
        ),
        (
            "keepalived_bfd_admin_down_received_total",
            "Packets received while AdminDown.",
            |k| k.rx_admin_down,
        ),
        (
            "keepalived_bfd_poll_sequences_started_total",
            "Poll sequences started.",
            |k| k.polls_started,
        ),
        (
            "keepalived_bfd_poll_sequences_completed_total",
            "Poll sequences completed.",
            |k| k.polls_completed,
        ),
        ("keepalived_bfd_finals_sent_total", "Finals sent.", |k| {
            k.finals_sent
        }),
        (
            "keepalived_bfd_detection_expired_total",
            "Detection times that expired.",
            |k| k.detect_expired,
        ),
    ];
    for (name, help, f) in counters {
        e.family(name, Kind::Counter, help);
        for v in views {
            e.int(&[("name", &v.cfg.name)], f(v.session.counters()));
        }
    }
    e.family(
        "keepalived_bfd_datagrams_received_total",
        Kind::Counter,
        "BFD datagrams read.",
    );
    e.int(&[], c.rx);
    e.family(
        "keepalived_bfd_datagrams_dropped_total",
        Kind::Counter,
        "BFD datagrams dropped, by reason.",
    );
    for (r, n) in BfdDrop::ALL.iter().zip(c.dropped) {
        e.int(&[("reason", bfd_drop_name(*r))], n);
    }
    e.int(&[("reason", "no_session")], c.no_session);
    e.int(&[("reason", "ttl")], c.ttl);
    e.int(&[("reason", "too_long")], c.truncated);
    e.int(&[("reason", "kernel")], c.kernel_drops);
    e.family(
        "keepalived_bfd_send_errors_total",
        Kind::Counter,
        "BFD sends that failed.",
    );
    e.int(&[], c.tx_errors);
}

fn bfd_drop_name(r: BfdDrop) -> &'static str {
    match r {
        BfdDrop::Version => "version",
        BfdDrop::Length => "length",
        BfdDrop::DetectMult => "detect_mult",
        BfdDrop::Multipoint => "multipoint",
        BfdDrop::PollAndFinal => "poll_and_final",
        BfdDrop::MyDiscriminator => "my_discriminator",
        BfdDrop::YourDiscriminator => "your_discriminator",
        BfdDrop::Auth => "auth",
    }
}

/// The health checkers.
pub fn checks(e: &mut Expo, views: &[CheckView<'_>]) {
    // Two checks of one kind on one target (two MISC_CHECKs with other scripts) would be one
    // series twice: the second and later get an `n` label (2, 3 ...).
    let mut seen = std::collections::HashMap::new();
    let ids: Vec<(String, String, String)> = views
        .iter()
        .map(|v| {
            let n = seen.entry((v.kind, v.target)).or_insert(0u32);
            *n += 1;
            let nth = if *n > 1 { n.to_string() } else { String::new() };
            (v.target.ip().to_string(), v.target.port().to_string(), nth)
        })
        .collect();
    let labels = |k: usize| -> Vec<(&str, &str)> {
        let mut l = vec![
            ("checker", views[k].kind),
            ("address", ids[k].0.as_str()),
            ("port", ids[k].1.as_str()),
        ];
        if !ids[k].2.is_empty() {
            l.push(("n", ids[k].2.as_str()));
        }
        l
    };
    let all: [(Kind, Family<CheckView<'_>, Option<f64>>); 5] = [
        (
            Kind::Gauge,
            (
                "keepalived_checker_up",
                "Whether the check passes (1) or fails (0).",
                |v| Some(f64::from(u8::from(v.up))),
            ),
        ),
        (
            Kind::Counter,
            ("keepalived_checker_probes_total", "Probes run.", |v| {
                Some(v.probes as f64)
            }),
        ),
        (
            Kind::Counter,
            (
                "keepalived_checker_failures_total",
                "Probes that failed.",
                |v| Some(v.failures as f64),
            ),
        ),
        (
            Kind::Gauge,
            (
                "keepalived_checker_latency_seconds",
                "How long the last probe took.",
                |v| v.latency.map(|l| l.as_secs_f64()),
            ),
        ),
        (
            Kind::Gauge,
            (
                "keepalived_checker_real_servers",
                "Real servers the check decides (more than one: a shared probe).",
                |v| Some(v.members as f64),
            ),
        ),
    ];
    for (kind, (name, help, f)) in all {
        e.family(name, kind, help);
        for (k, v) in views.iter().enumerate() {
            if let Some(x) = f(v) {
                e.float(&labels(k), x);
            }
        }
    }
}

/// The virtual servers and their real servers.
pub fn ipvs(e: &mut Expo, rows: &[VsRow]) {
    e.family(
        "keepalived_virtual_server_quorum_up",
        Kind::Gauge,
        "Whether the virtual server's quorum is met (1) or its sorry server serves (0).",
    );
    for r in rows {
        e.int(&[("vs", &r.name)], u64::from(r.quorum_up));
    }
    let rs: Vec<(String, String)> = rows
        .iter()
        .flat_map(|r| r.real_servers.iter())
        .map(|s| (s.ip.to_string(), s.port.to_string()))
        .collect();
    let all: [(&'static str, &'static str, u8); 3] = [
        (
            "keepalived_real_server_up",
            "Whether the real server is in at its weight (1) or out (0).",
            0,
        ),
        (
            "keepalived_real_server_weight",
            "The real server's configured weight.",
            1,
        ),
        (
            "keepalived_real_server_kernel_weight",
            "The real server's weight in the kernel's table (absent: not in it).",
            2,
        ),
    ];
    for (name, help, which) in all {
        e.family(name, Kind::Gauge, help);
        let mut k = 0;
        for r in rows {
            for s in &r.real_servers {
                let (ip, port) = (&rs[k].0, &rs[k].1);
                k += 1;
                let value = match which {
                    0 => Some(i64::from(s.alive)),
                    1 => Some(i64::from(s.weight)),
                    _ => s.kernel_weight.map(i64::from),
                };
                if let Some(x) = value {
                    e.float(
                        &[("vs", &r.name), ("address", ip), ("port", port)],
                        x as f64,
                    );
                }
            }
        }
    }
}

/// The listener's own counters.
pub fn server(e: &mut Expo, c: &ServerCounters) {
    e.family(
        "keepalived_metrics_responses_total",
        Kind::Counter,
        "HTTP answers of the metrics listener, by status code.",
    );
    for (a, n) in CODES.iter().zip(c.answers) {
        e.int(&[("code", &a.status().0.to_string())], n);
    }
    e.family(
        "keepalived_metrics_connections_dropped_total",
        Kind::Counter,
        "Connections refused or dropped, by reason (busy: over the cap; deadline: too slow; aborted: closed early or failed).",
    );
    e.int(&[("reason", "busy")], c.busy);
    e.int(&[("reason", "deadline")], c.deadline);
    e.int(&[("reason", "aborted")], c.aborted);
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::executor::ipvs::dump::RsRow;
    use crate::executor::vrrp::run::GlobalCounters;
    use crate::vrrp::Params;

    /// Every family once, valid names, counters ending in `_total`, and the exporter's names.
    fn check_text(t: &str) {
        let mut seen = std::collections::HashSet::new();
        for l in t.lines() {
            if let Some(rest) = l.strip_prefix("# TYPE ") {
                let (name, kind) = rest.split_once(' ').unwrap();
                assert!(super::super::expo::valid_name(name), "{name}");
                assert!(seen.insert(name.to_string()), "twice: {name}");
                assert!(kind == "gauge" || name.ends_with("_total"), "{l}");
            }
        }
    }

    #[test]
    fn vrrp_checkers_ipvs_and_the_listener() {
        let params = Params::new("VI_1", 51, "10.0.0.5".parse().unwrap());
        let counters = Counters {
            became_master: 2,
            adverts_sent: 40,
            ttl_errors: 1,
            peer_ttl_errors: 2,
            ..Counters::default()
        };
        let daemon = GlobalCounters {
            unknown_vrid: 3,
            ..GlobalCounters::default()
        };
        let mut view = VrrpView::for_test(&params, &counters, daemon);
        view.priority = 90;
        view.last_transition = SystemTime::UNIX_EPOCH + Duration::from_millis(1500);
        let mut e = Expo::new();
        vrrp(&mut e, std::slice::from_ref(&view));
        checks(
            &mut e,
            &vec![
                CheckView {
                    kind: "TCP_CHECK",
                    target: "10.0.0.9:80".parse().unwrap(),
                    up: true,
                    probes: 5,
                    failures: 1,
                    last_error: None,
                    latency: Some(Duration::from_micros(1500)),
                    members: 1,
                };
                2
            ],
        );
        ipvs(
            &mut e,
            &[VsRow {
                name: "10.0.0.1 80".into(),
                quorum_up: true,
                real_servers: vec![RsRow {
                    ip: "10.0.0.9".parse().unwrap(),
                    port: 80,
                    weight: 3,
                    alive: true,
                    kernel_weight: None,
                }],
            }],
        );
        server(&mut e, &ServerCounters::default());
        let t = e.finish();
        check_text(&t);
        let id = "iname=\"VI_1\",intf=\"eth0\",vrid=\"51\"";
        for line in [
            "keepalived_up 1".to_string(),
            format!("keepalived_vrrp_state{{{id},ip_address=\"\"}} 2"),
            format!("keepalived_become_master_total{{{id}}} 2"),
            format!("keepalived_advertisements_sent_total{{{id}}} 40"),
            format!("keepalived_ip_ttl_errors_total{{{id}}} 3"),
            format!("keepalived_vrrp_dropped_total{{{id},reason=\"peer_ttl\"}} 2"),
            format!("keepalived_vrrp_priority{{{id}}} 100"),
            format!("keepalived_vrrp_effective_priority{{{id}}} 90"),
            format!("keepalived_vrrp_last_transition_timestamp_seconds{{{id}}} 1.5"),
            "keepalived_vrrp_datagrams_dropped_total{reason=\"unknown_vrid\"} 3".into(),
            "keepalived_checker_latency_seconds{checker=\"TCP_CHECK\",address=\"10.0.0.9\",port=\"80\"} 0.0015".into(),
            "keepalived_checker_up{checker=\"TCP_CHECK\",address=\"10.0.0.9\",port=\"80\",n=\"2\"} 1".into(),
            "keepalived_real_server_weight{vs=\"10.0.0.1 80\",address=\"10.0.0.9\",port=\"80\"} 3".into(),
            "keepalived_metrics_responses_total{code=\"431\"} 0".into(),
        ] {
            assert!(t.lines().any(|l| l == line), "{line}\n{t}");
        }
        // Absent values are absent, and empty families write nothing.
        assert!(!t.contains("keepalived_real_server_kernel_weight"), "{t}");
        assert!(!t.contains("keepalived_vrrp_excluded_state"), "{t}");
    }
}
