//! The state dumps in keepalived's layouts: SIGUSR1's data file (the "VRRP Topology" part),
//! SIGUSR2's statistics file, SIGRTMIN+2's JSON (keepalived's `json_version 1`: an array of
//! `{"data": {...}, "stats": {...}}`, the keys and value types of keepalived 2.2.7, which
//! exporters and OpenWrt's LuCI status page read).
//!
//! Beyond keepalived: the statistics file ends each instance with the drop reasons keepalived
//! does not count (checksum, VRID, version, unicast source, peer TTL, owner-ignored,
//! destination), after keepalived's own lines so that parsers of its layout still work; after
//! the instances comes one section of daemon-wide counters ([`GlobalCounters`]: datagrams that
//! reached no instance, those the kernel dropped before we read them, IO errors). The JSON keeps keepalived's array of instances; each
//! element's `stats` adds the drop reasons keepalived's keys do not already include
//! (`checksum_err`, `vrid_err`, `version_err`, `unicast_src_err`, `owner_ignored`), so that the
//! error keys of `stats` sum to every drop of that instance, and a `daemon` object beside `data`
//! and `stats` carries the daemon-wide counters (the same in every element: `json_version 1`
//! has no place outside the array). Invariant: every drop of a received datagram is in exactly
//! one counter that these dumps print.

use std::fmt::Write as _;
use std::time::{Duration, SystemTime};

use crate::config::vrrp::IpAddress;
use crate::vrrp::{Auth, Counters, Params, State};

use super::run::GlobalCounters;

/// One instance as the dumps see it.
pub struct View<'a> {
    pub params: &'a Params,
    pub counters: &'a Counters,
    pub state: State,
    pub want: State,
    pub priority: u8,
    pub master_priority: u8,
    /// The master last heard, while BACKUP.
    pub master_addr: Option<std::net::IpAddr>,
    pub master_adver_int: Duration,
    pub master_down: Duration,
    pub interface: &'a str,
    pub src: std::net::IpAddr,
    pub group: Option<std::net::IpAddr>,
    pub vips: &'a [IpAddress],
    pub evips: &'a [IpAddress],
    pub vips_on: bool,
    pub last_transition: SystemTime,
    /// The daemon-wide counters (the same for every view).
    pub daemon: GlobalCounters,
}

/// keepalived's numbers for states (`VRRP_STATE_*`).
pub fn state_number(s: State) -> u8 {
    match s {
        State::Init => 0,
        State::Backup => 1,
        State::Master => 2,
        State::Fault => 3,
    }
}

fn state_name(s: State) -> &'static str {
    match s {
        State::Init => "INIT",
        State::Backup => "BACKUP",
        State::Master => "MASTER",
        State::Fault => "FAULT",
    }
}

fn secs_f(t: SystemTime) -> f64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// `10.0.0.1/24 dev eth0 scope global set`, as keepalived prints an address.
fn addr_line(a: &IpAddress, dev: &str, set: bool) -> String {
    let len = a
        .addr
        .len
        .unwrap_or(if a.addr.addr.is_ipv4() { 32 } else { 128 });
    let mut s = format!(
        "{}/{len} dev {} scope {}",
        a.addr.addr,
        a.dev.as_deref().unwrap_or(dev),
        a.scope.map_or("global".to_string(), |s| s.to_string())
    );
    if let Some(l) = &a.label {
        let _ = write!(s, " label {l}");
    }
    if set {
        s.push_str(" set");
    }
    s
}

/// JSON string escaping (RFC 8259): quotes, backslash, control characters; `/` as keepalived
/// writes it (`\/`).
pub(crate) fn js(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 2);
    o.push('"');
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            '/' => o.push_str("\\/"),
            '\n' => o.push_str("\\n"),
            '\r' => o.push_str("\\r"),
            '\t' => o.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(o, "\\u{:04x}", c as u32);
            }
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

fn auth_type(a: &Auth) -> u8 {
    a.type_code()
}

/// The JSON dump (keepalived's `json_version 1` layout).
pub fn json(views: &[View<'_>]) -> String {
    let mut o = String::from("[");
    for (k, v) in views.iter().enumerate() {
        if k > 0 {
            o.push(',');
        }
        let p = v.params;
        let c = v.counters;
        let vips: Vec<String> = v
            .vips
            .iter()
            .map(|a| js(&addr_line(a, v.interface, v.vips_on)))
            .collect();
        let evips: Vec<String> = v
            .evips
            .iter()
            .map(|a| js(&addr_line(a, v.interface, v.vips_on)))
            .collect();
        let _ = write!(
            o,
            concat!(
                "{{\"data\":{{\"iname\":{},\"dont_track_primary\":0,\"skip_check_adv_addr\":{},",
                "\"strict_mode\":0,\"vmac_ifname\":\"\",\"ifp_ifname\":{},\"master_priority\":{},",
                "\"last_transition\":{:.6},\"garp_delay\":{},\"garp_refresh\":{},\"garp_rep\":{},",
                "\"garp_refresh_rep\":{},\"garp_lower_prio_delay\":{},\"garp_lower_prio_rep\":{},",
                "\"lower_prio_no_advert\":{},\"higher_prio_send_advert\":{},\"vrid\":{},",
                "\"base_priority\":{},\"effective_priority\":{},\"vipset\":{},",
                "\"promote_secondaries\":false,\"adver_int\":{},\"master_adver_int\":{},",
                "\"accept\":{},\"nopreempt\":{},\"preempt_delay\":{},\"state\":{},\"wantstate\":{},",
                "\"version\":{},\"smtp_alert\":false,\"notify_deleted\":false,\"vips\":[{}],"
            ),
            js(&p.name),
            u8::from(p.skip_check_adv_addr),
            js(v.interface),
            v.master_priority,
            secs_f(v.last_transition),
            p.garp.master_delay.as_secs(),
            p.garp.master_refresh.as_secs(),
            p.garp.master_repeat,
            p.garp.master_refresh_repeat,
            p.garp.lower_prio_delay.as_secs(),
            p.garp.lower_prio_repeat,
            u8::from(p.lower_prio_no_advert),
            u8::from(p.higher_prio_send_advert),
            p.vrid,
            p.priority,
            v.priority,
            v.vips_on,
            interval_json(p.advert_int),
            interval_json(v.master_adver_int),
            u8::from(p.accept),
            p.nopreempt,
            p.preempt_delay.as_secs(),
            state_number(v.state),
            state_number(v.want),
            p.version,
            vips.join(",")
        );
        if !evips.is_empty() {
            let _ = write!(o, "\"evips\":[{}],", evips.join(","));
        }
        let _ = write!(
            o,
            concat!(
                "\"auth_type\":{}}},\"stats\":{{\"advert_rcvd\":{},\"advert_sent\":{},",
                "\"become_master\":{},\"release_master\":{},\"packet_len_err\":{},",
                "\"advert_interval_err\":{},\"ip_ttl_err\":{},\"invalid_type_rcvd\":{},",
                "\"addr_list_err\":{},\"invalid_authtype\":{},\"authtype_mismatch\":{},",
                "\"auth_failure\":{},\"pri_zero_rcvd\":{},\"pri_zero_sent\":{},",
                "\"checksum_err\":{},\"vrid_err\":{},\"version_err\":{},",
                "\"unicast_src_err\":{},\"owner_ignored\":{},\"ah_header_err\":{},",
                "\"ah_icv_err\":{},\"ah_spi_err\":{},\"ah_replay_err\":{}}},",
                "\"daemon\":{{\"malformed\":{},\"unknown_vrid\":{},\"kernel_drops\":{},",
                "\"receive_errors\":{},\"send_errors\":{},\"netlink_errors\":{}}}}}"
            ),
            auth_type(&p.auth),
            c.adverts_received,
            c.adverts_sent,
            c.became_master,
            c.released_master,
            c.length_errors,
            c.interval_errors,
            c.ttl_errors + c.peer_ttl_errors,
            c.invalid_type,
            c.address_list_errors + c.destination_errors,
            c.invalid_auth_type,
            c.auth_type_mismatch,
            c.auth_failures_total(),
            c.priority_zero_received,
            c.priority_zero_sent,
            c.checksum_errors,
            c.vrid_errors,
            c.version_errors,
            c.unicast_src_errors,
            c.owner_ignored,
            c.ah_header_errors,
            c.ah_icv_errors,
            c.ah_spi_errors,
            c.ah_replay_errors,
            v.daemon.malformed,
            v.daemon.unknown_vrid,
            v.daemon.kernel_drops,
            v.daemon.receive_errors,
            v.daemon.send_errors,
            v.daemon.netlink_errors
        );
    }
    o.push(']');
    o
}

/// keepalived writes whole seconds as an integer and fractions as a number.
fn interval_json(d: Duration) -> String {
    if d.subsec_nanos() == 0 {
        d.as_secs().to_string()
    } else {
        format!("{}", d.as_secs_f64())
    }
}

/// The statistics file (SIGUSR2).
pub fn stats(views: &[View<'_>]) -> String {
    let mut o = String::new();
    for v in views {
        let c = v.counters;
        let _ = write!(
            o,
            concat!(
                "VRRP Instance: {}\n",
                "  Advertisements:\n    Received: {}\n    Sent: {}\n",
                "  Became master: {}\n  Released master: {}\n",
                "  Packet Errors:\n    Length: {}\n    TTL: {}\n    Invalid Type: {}\n",
                "    Advertisement Interval: {}\n    Address List: {}\n",
                "  Authentication Errors:\n    Invalid Type: {}\n    Type Mismatch: {}\n",
                "    Failure: {}\n",
                "  Priority Zero:\n    Received: {}\n    Sent: {}\n",
                "  Other drops (keepalived-rs):\n    Checksum: {}\n    VRID: {}\n",
                "    Version: {}\n    Destination: {}\n    Unicast source: {}\n",
                "    Unicast peer TTL: {}\n    Owner ignored: {}\n",
                "    AH header: {}\n    AH ICV: {}\n    AH SPI: {}\n    AH sequence number: {}\n"
            ),
            v.params.name,
            c.adverts_received,
            c.adverts_sent,
            c.became_master,
            c.released_master,
            c.length_errors,
            c.ttl_errors,
            c.invalid_type,
            c.interval_errors,
            c.address_list_errors,
            c.invalid_auth_type,
            c.auth_type_mismatch,
            c.auth_failures_total(),
            c.priority_zero_received,
            c.priority_zero_sent,
            c.checksum_errors,
            c.vrid_errors,
            c.version_errors,
            c.destination_errors,
            c.unicast_src_errors,
            c.peer_ttl_errors,
            c.owner_ignored,
            c.ah_header_errors,
            c.ah_icv_errors,
            c.ah_spi_errors,
            c.ah_replay_errors
        );
    }
    if let Some(d) = views.first().map(|v| v.daemon) {
        let _ = write!(
            o,
            concat!(
                "VRRP datagrams (keepalived-rs):\n  Malformed: {}\n  Unknown VRID: {}\n",
                "  Dropped by the kernel: {}\n",
                "  Receive errors: {}\n  Send errors: {}\n  Netlink errors: {}\n",
                "  GARPs and NAs paced: {}\n"
            ),
            d.malformed,
            d.unknown_vrid,
            d.kernel_drops,
            d.receive_errors,
            d.send_errors,
            d.netlink_errors,
            d.garps_paced
        );
    }
    o
}

/// The "VRRP Topology" part of the data file (SIGUSR1).
pub fn topology(views: &[View<'_>]) -> String {
    let mut o = String::from("------< VRRP Topology >------\n");
    for v in views {
        let p = v.params;
        let _ = write!(
            o,
            concat!(
                " VRRP Instance = {}\n   VRRP Version = {}\n   State = {}\n",
                "   Wantstate = {}\n   Last transition = {:.6}\n",
                "   Master down timer = {} usecs\n   Interface = {}\n   Using src_ip = {}\n"
            ),
            p.name,
            p.version,
            state_name(v.state),
            state_name(v.want),
            secs_f(v.last_transition),
            v.master_down.as_micros(),
            v.interface,
            v.src
        );
        match v.group {
            Some(g) => {
                let _ = writeln!(o, "   Multicast address {g}");
            }
            None => {
                o.push_str("   Unicast peer(s):\n");
                for peer in &p.unicast_peers {
                    let _ = writeln!(o, "     {}", peer.addr);
                }
            }
        }
        let _ = write!(
            o,
            concat!(
                "   Gratuitous ARP delay = {}\n   Gratuitous ARP repeat = {}\n",
                "   Gratuitous ARP refresh = {}\n   Gratuitous ARP refresh repeat = {}\n",
                "   Gratuitous ARP lower priority delay = {}\n",
                "   Gratuitous ARP lower priority repeat = {}\n",
                "   Down timer adverts = {}\n",
                "   Send advert after receive lower priority advert = {}\n",
                "   Send advert after receive higher priority advert = {}\n",
                "   Virtual Router ID = {}\n   Priority = {}\n   Effective priority = {}\n",
                "   Advert interval = {}\n   Master advert interval = {}\n",
                "   Accept = {}\n   Preempt = {}\n   Preempt delay = {} secs\n",
                "   Authentication type = {}\n   Virtual IP ({}):\n"
            ),
            p.garp.master_delay.as_secs(),
            p.garp.master_repeat,
            p.garp.master_refresh.as_secs(),
            p.garp.master_refresh_repeat,
            p.garp.lower_prio_delay.as_secs(),
            p.garp.lower_prio_repeat,
            p.down_timer_adverts,
            !p.lower_prio_no_advert,
            p.higher_prio_send_advert,
            p.vrid,
            p.priority,
            v.priority,
            interval_text(p.advert_int),
            interval_text(v.master_adver_int),
            if p.accept { "enabled" } else { "disabled" },
            if p.nopreempt { "disabled" } else { "enabled" },
            p.preempt_delay.as_secs_f64(),
            match p.auth {
                Auth::None => "none",
                Auth::Pass(_) => "SIMPLE_PASSWORD",
                Auth::Ah(_) => "IPSEC_AH",
            },
            v.vips.len()
        );
        for a in v.vips {
            let _ = writeln!(o, "     {}", addr_line(a, v.interface, v.vips_on));
        }
        if !v.evips.is_empty() {
            let _ = writeln!(o, "   Virtual IP Excluded ({}):", v.evips.len());
            for a in v.evips {
                let _ = writeln!(o, "     {}", addr_line(a, v.interface, v.vips_on));
            }
        }
    }
    o
}

fn interval_text(d: Duration) -> String {
    if d.subsec_nanos() == 0 {
        format!("{} sec", d.as_secs())
    } else {
        format!("{} milli-sec", d.as_millis())
    }
}

#[cfg(test)]
impl<'a> View<'a> {
    /// A view for tests: MASTER at priority 100 on eth0 from 10.0.0.5, unicast, no addresses.
    pub(crate) fn for_test(
        params: &'a Params,
        counters: &'a Counters,
        daemon: GlobalCounters,
    ) -> View<'a> {
        View {
            params,
            counters,
            state: State::Master,
            want: State::Master,
            priority: 100,
            master_priority: 0,
            master_addr: None,
            master_adver_int: Duration::from_secs(1),
            master_down: Duration::from_secs(3),
            interface: "eth0",
            src: "10.0.0.5".parse().unwrap(),
            group: None,
            vips: &[],
            evips: &[],
            vips_on: true,
            last_transition: SystemTime::UNIX_EPOCH,
            daemon,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn daemon_wide_drops_are_in_the_stats_and_the_json() {
        let params = Params::new("VI_1", 51, "10.0.0.5".parse().unwrap());
        let counters = Counters {
            checksum_errors: 3,
            vrid_errors: 4,
            ..Counters::default()
        };
        let daemon = GlobalCounters {
            unknown_vrid: 12_000,
            malformed: 7,
            receive_errors: 1,
            send_errors: 2,
            netlink_errors: 5,
            kernel_drops: 9,
            garps_paced: 0,
        };
        let view = View::for_test(&params, &counters, daemon);
        let text = stats(std::slice::from_ref(&view));
        assert!(
            text.ends_with(concat!(
                "VRRP datagrams (keepalived-rs):\n  Malformed: 7\n  Unknown VRID: 12000\n",
                "  Dropped by the kernel: 9\n",
                "  Receive errors: 1\n  Send errors: 2\n  Netlink errors: 5\n",
                "  GARPs and NAs paced: 0\n"
            )),
            "{text}"
        );
        assert!(text.contains("    Checksum: 3\n    VRID: 4\n"), "{text}");
        let j = json(std::slice::from_ref(&view));
        assert!(
            j.contains("\"pri_zero_sent\":0,\"checksum_err\":3,\"vrid_err\":4,"),
            "{j}"
        );
        assert!(
            j.ends_with(concat!(
                "\"daemon\":{\"malformed\":7,\"unknown_vrid\":12000,\"kernel_drops\":9,",
                "\"receive_errors\":1,\"send_errors\":2,\"netlink_errors\":5}}]"
            )),
            "{j}"
        );
        // No instance, no section (and keepalived's empty array).
        assert_eq!((stats(&[]), json(&[])), (String::new(), "[]".to_string()));
    }

    #[test]
    fn json_escapes_like_keepalived() {
        assert_eq!(js("a/b\"c\\\n"), "\"a\\/b\\\"c\\\\\\n\"");
        assert_eq!(interval_json(Duration::from_secs(1)), "1");
        assert_eq!(interval_json(Duration::from_millis(10)), "0.01");
    }
}
