//! The keywords of a `vrrp_instance` block, one statement at a time.

use super::*;

pub(super) fn keyword(i: &mut Instance, fam: &mut Fam, d: &mut Diagnostics, n: &Node, kw: &Word) {
    match kw.text.as_str() {
        "state" => {
            value::no_block(d, n);
            let Some(w) = value::one_arg(d, n) else {
                return;
            };
            match w.text.as_str() {
                "MASTER" => i.state = Some(State::Master),
                "BACKUP" if i.state == Some(State::Master) => {
                    warn_at(
                        d,
                        At::word(w),
                        "`state` was already set to MASTER - ignoring BACKUP",
                    );
                    return;
                }
                "BACKUP" => i.state = Some(State::Backup),
                other => {
                    let diag = warn_at(
                        d,
                        At::word(w),
                        format!(
                            "`state`: unknown state `{other}` (use MASTER|BACKUP) - using BACKUP"
                        ),
                    );
                    if matches!(other.to_ascii_uppercase().as_str(), "MASTER" | "BACKUP") {
                        diag.hint(format!(
                            "states are upper case: `{}`",
                            other.to_ascii_uppercase()
                        ));
                    }
                    if i.state != Some(State::Master) {
                        i.state = Some(State::Backup);
                    }
                }
            }
            i.state_at = At::word(w);
        }
        "interface" => {
            value::no_block(d, n);
            let Some(w) = value::one_arg(d, n) else {
                return;
            };
            if ifname_ok(d, "interface", w) {
                i.interface = Some(w.text.clone());
                i.interface_at = At::word(w);
            }
        }
        "vrf" => {
            value::no_block(d, n);
            let Some(w) = value::one_arg(d, n) else {
                return;
            };
            if i.interface.is_some() {
                warn_at(
                    d,
                    At::word(w),
                    "`vrf` cannot be used with `interface` - ignoring",
                );
            } else if i.vrf.is_some() {
                warn_at(d, At::word(w), "`vrf` already specified - ignoring");
            } else if ifname_ok(d, "vrf", w) {
                i.vrf = Some(w.text.clone());
            }
        }
        "use_vmac" => {
            value::no_block(d, n);
            i.use_vmac_at = At::node(n);
            let vm = i.use_vmac.get_or_insert_with(Vmac::default);
            parse_vmac(d, n, vm);
        }
        "use_vmac_addr" => {
            bare(d, n);
            i.use_vmac_addr = true;
        }
        "vmac_xmit_base" => {
            bare(d, n);
            i.vmac_xmit_base = true;
        }
        "use_ipvlan" => {
            value::no_block(d, n);
            if i.use_ipvlan.is_some() {
                warn_at(d, At::node(n), "`use_ipvlan` already specified - ignoring");
                return;
            }
            i.use_ipvlan = Some(parse_ipvlan(d, n, fam));
        }
        "native_ipv6" => {
            bare(d, n);
            if fam.0 == Some(Family::Inet) {
                warn_at(
                    d,
                    At::node(n),
                    "`native_ipv6` cannot be used with IPv4 addresses - ignoring",
                );
                return;
            }
            fam.0 = Some(Family::Inet6);
            i.native_ipv6 = true;
            note_at(
                d,
                At::node(n),
                "`native_ipv6` is deprecated: IPv6 addresses make an instance IPv6",
            );
        }
        "dont_track_primary" => {
            bare(d, n);
            i.dont_track_primary = true;
        }
        "mcast_src_ip" | "unicast_src_ip" => {
            value::no_block(d, n);
            let Some(w) = value::one_arg(d, n) else {
                return;
            };
            let Some(a) = sock_addr(d, kw.text.as_str(), w) else {
                return;
            };
            if fam.take(d, &kw.text, w, a) {
                i.src_ip = Some(a);
                i.src_ip_at = At::word(w);
                if kw.text == "unicast_src_ip" {
                    i.src_ip_unicast = true;
                }
            }
        }
        "mcast_dst_ip" => {
            value::no_block(d, n);
            let Some(w) = value::one_arg(d, n) else {
                return;
            };
            let Some(a) = sock_addr(d, "mcast_dst_ip", w) else {
                return;
            };
            if !fam.take(d, "mcast_dst_ip", w, a) {
                return;
            }
            let ok = match a {
                IpAddr::V4(x) => x.is_multicast(),
                // ffX2::/16: link-local scope multicast.
                IpAddr::V6(x) => x.segments()[0] & 0xff0f == 0xff02,
            };
            if !ok {
                let what = if a.is_ipv6() {
                    "a link-local multicast address (ffX2::)"
                } else {
                    "a multicast address"
                };
                warn_at(
                    d,
                    At::word(w),
                    format!("`mcast_dst_ip`: `{}` is not {what} - ignoring", w.text),
                );
                return;
            }
            i.mcast_dst_ip = Some(a);
            i.mcast_dst_at = At::word(w);
        }
        "track_src_ip" => {
            bare(d, n);
            i.track_src_ip = true;
        }
        "virtual_router_id" => {
            if let Some(x) = int_arg(d, n, 1, 255) {
                i.virtual_router_id = Some(x as u8);
                i.vrid_at = At::word(&n.args()[0]);
            }
        }
        "unicast_ttl" => {
            if let Some(x) = int_arg(d, n, 0, 255) {
                i.unicast_ttl = Some(x as u8);
                i.unicast_ttl_at = At::word(&n.args()[0]);
            }
        }
        "version" => {
            let Some(x) = int_arg(d, n, 2, 3) else { return };
            let w = &n.args()[0];
            if i.version.is_some_and(|v| v as i64 != x) || (x == 2 && fam.0 == Some(Family::Inet6))
            {
                warn_at(
                    d,
                    At::word(w),
                    format!(
                        "`version` {x} conflicts with the version set or implied before ({}) - ignoring",
                        if fam.0 == Some(Family::Inet6) {
                            "IPv6 needs 3".to_string()
                        } else {
                            i.version.unwrap_or(3).to_string()
                        }
                    ),
                );
                return;
            }
            i.version = Some(x as u8);
            i.version_at = At::word(w);
        }
        "priority" => {
            value::no_block(d, n);
            let Some(w) = value::one_arg(d, n) else {
                return;
            };
            i.priority_at = At::word(w);
            match value::parse_uint(&w.text).filter(|p| (1..=255).contains(p)) {
                Some(p) => i.priority = Some(p as u8),
                None => {
                    warn_at(
                        d,
                        At::word(w),
                        format!(
                            "`priority`: `{}` is not in the range [1, 255] - using 100",
                            w.text
                        ),
                    );
                    i.priority = Some(100);
                }
            }
        }
        "advert_int" => {
            if let Some(t) = timer_arg(d, n, Duration::from_millis(10), Duration::from_secs(255)) {
                i.advert_int = Some(t);
                i.advert_int_at = At::word(&n.args()[0]);
            }
        }
        "check_unicast_src" => {
            bare(d, n);
            i.check_unicast_src = true;
        }
        "unicast_peer" => {
            i.unicast_peer_at = At::node(n);
            let peers = i.unicast_peers.get_or_insert_with(Vec::new);
            let Some(lines) = value_block(d, n) else {
                return;
            };
            for l in lines {
                if let Some(p) = parse_peer(d, l, fam) {
                    if peers.iter().any(|o| o.addr == p.addr) {
                        warn_at(
                            d,
                            p.at,
                            format!("`unicast_peer`: `{}` is listed twice - ignoring", p.addr),
                        );
                        continue;
                    }
                    if p.min_ttl.is_some() || p.max_ttl.is_some() {
                        i.check_unicast_src = true;
                    }
                    peers.push(p);
                }
            }
        }
        "unicast_fault_no_peer" => {
            bare(d, n);
            i.unicast_fault_no_peer = true;
        }
        "old_unicast_checksum" => {
            value::no_block(d, n);
            match n.args().first() {
                None => i.old_unicast_checksum = Some(OldChecksum::Use),
                Some(w) if w.text == "never" => i.old_unicast_checksum = Some(OldChecksum::Never),
                Some(w) => {
                    warn_at(
                        d,
                        At::word(w),
                        format!(
                            "`old_unicast_checksum`: unknown mode `{}` (use `never` or nothing) - ignoring",
                            w.text
                        ),
                    );
                }
            }
        }
        "v3_checksum_as_v2" => {
            newer(d, n, "2.3");
            if let Some(b) = opt_bool(d, n) {
                i.v3_checksum_as_v2 = Some(b);
            }
        }
        "garp_master_delay" => {
            if let Some(t) = secs_arg(d, n, 0, 4294) {
                i.garp.master_delay = Some(t);
            }
        }
        "garp_lower_prio_delay" => {
            if let Some(t) = secs_arg(d, n, 0, 4294) {
                i.garp.lower_prio_delay = Some(t);
            }
        }
        "garp_master_refresh" => {
            if let Some(t) = secs_arg(d, n, 0, u32::MAX as u64) {
                i.garp.master_refresh = Some(t);
            }
        }
        "garp_master_repeat" | "garp_master_refresh_repeat" => {
            let Some(x) = int_arg(d, n, 0, u32::MAX as i64) else {
                return;
            };
            let x = if x == 0 {
                warn_at(
                    d,
                    At::word(&n.args()[0]),
                    format!("`{}` must be greater than 0 - using 1", kw.text),
                );
                1
            } else {
                x as u32
            };
            if kw.text == "garp_master_repeat" {
                i.garp.master_repeat = Some(x);
            } else {
                i.garp.master_refresh_repeat = Some(x);
            }
        }
        "garp_lower_prio_repeat" => {
            if let Some(x) = int_arg(d, n, 0, i32::MAX as i64) {
                i.garp.lower_prio_repeat = Some(x as u32);
            }
        }
        "garp_interval" | "gna_interval" => {
            newer(d, n, "2.3");
            if let Some(t) = timer_arg(d, n, Duration::ZERO, Duration::from_micros(i32::MAX as u64))
            {
                if kw.text == "garp_interval" {
                    i.garp.interval = Some(t);
                } else {
                    i.garp.gna_interval = Some(t);
                }
            }
        }
        "garp_extra_if" | "vmac_garp_intvl" => {
            value::no_block(d, n);
            if kw.text == "vmac_garp_intvl" {
                warn_at(
                    d,
                    At::node(n),
                    "`vmac_garp_intvl` is deprecated - use `garp_extra_if`",
                );
            }
            let mut all = false;
            let mut secs = None;
            for w in n.args() {
                if w.text == "all" {
                    all = true;
                } else {
                    match value::int_in(d, &kw.text, w, 0, 86400) {
                        Some(x) => secs = Some(x),
                        None => return,
                    }
                }
            }
            match secs {
                Some(s) => {
                    i.garp.extra_if = Some(GarpExtraIf {
                        all,
                        interval: Duration::from_secs(s as u64),
                    });
                }
                None => {
                    warn_at(
                        d,
                        At::node(n),
                        format!("`{}` without an interval - ignoring", kw.text),
                    );
                }
            }
        }
        "down_timer_adverts" => {
            if let Some(x) = int_arg(d, n, 1, 100) {
                i.down_timer_adverts = Some(x as u8);
                i.down_timer_adverts_at = At::word(&n.args()[0]);
            }
        }
        "timer_expired_backup" => {
            newer(d, n, "2.3");
            value::no_block(d, n);
            match n.args().first() {
                None => i.timer_expired_backup = Some(254),
                Some(w) => {
                    if let Some(x) = value::int_in(d, "timer_expired_backup", w, 1, 254) {
                        i.timer_expired_backup = Some(x as u8);
                    }
                }
            }
        }
        "lower_prio_no_advert" => {
            if let Some(b) = opt_bool(d, n) {
                i.lower_prio_no_advert = Some(b);
                i.lower_prio_no_advert_at = At::node(n);
            }
        }
        "higher_prio_send_advert" => {
            if let Some(b) = opt_bool(d, n) {
                i.higher_prio_send_advert = Some(b);
                i.higher_prio_send_advert_at = At::node(n);
            }
        }
        "authentication" => {
            let Some(lines) = sub_block(d, n) else { return };
            let a = i.authentication.get_or_insert_with(Authentication::default);
            a.at = At::node(n);
            parse_auth(d, lines, a);
        }
        "auth_hmac" => {
            newer(d, n, "2.4");
            let Some(lines) = sub_block(d, n) else { return };
            let mut h = AuthHmac {
                at: At::node(n),
                ..AuthHmac::default()
            };
            parse_hmac(d, lines, &mut h);
            i.auth_hmac = Some(h);
        }
        "virtual_ipaddress" => {
            i.virtual_ipaddress_at = At::node(n);
            let Some(lines) = value_block(d, n) else {
                return;
            };
            for l in lines {
                let Some(a) = addr::parse_address(d, l, AddrUse::Virtual) else {
                    continue;
                };
                if fam.take(d, "virtual_ipaddress", &l.words[0], a.addr.addr) {
                    i.virtual_ipaddresses.push(a);
                }
            }
        }
        "virtual_ipaddress_excluded" => {
            let Some(lines) = value_block(d, n) else {
                return;
            };
            for l in lines {
                if let Some(a) = addr::parse_address(d, l, AddrUse::Virtual) {
                    i.virtual_ipaddresses_excluded.push(a);
                }
            }
        }
        "no_virtual_ipaddress" => {
            newer(d, n, "2.3");
            bare(d, n);
            i.no_virtual_ipaddress = true;
        }
        "promote_secondaries" => {
            bare(d, n);
            i.promote_secondaries = true;
        }
        "linkbeat_use_polling" => {
            bare(d, n);
            warn_at(
                d,
                At::node(n),
                "`linkbeat_use_polling` in a vrrp_instance is deprecated - use a `linkbeat_interfaces` block",
            );
            i.linkbeat_use_polling = true;
        }
        "virtual_routes" => {
            let Some(lines) = value_block(d, n) else {
                return;
            };
            for l in lines {
                if let Some(r) = addr::parse_route(d, l, None) {
                    i.virtual_routes.push(r);
                }
            }
        }
        "virtual_rules" => {
            let Some(lines) = value_block(d, n) else {
                return;
            };
            for l in lines {
                if let Some(r) = addr::parse_rule(d, l, None) {
                    i.virtual_rules.push(r);
                }
            }
        }
        "accept" | "no_accept" => {
            bare(d, n);
            i.accept = Some(kw.text == "accept");
            i.accept_at = At::node(n);
        }
        "skip_check_adv_addr" => {
            if let Some(b) = opt_bool(d, n) {
                i.skip_check_adv_addr = Some(b);
            }
        }
        "strict_mode" => {
            if let Some(b) = opt_bool(d, n) {
                i.strict_mode = Some(b);
            }
        }
        "nopreempt" => {
            bare(d, n);
            i.nopreempt = true;
            i.nopreempt_at = At::node(n);
        }
        "preempt" => {
            bare(d, n);
            i.nopreempt = false;
        }
        "preempt_delay" => {
            value::no_block(d, n);
            let Some(w) = value::one_arg(d, n) else {
                return;
            };
            match value::parse_micros(&w.text) {
                Some(us) if us <= 1_000_000_000 => {
                    i.preempt_delay = Some(Duration::from_micros(us));
                    i.preempt_delay_at = At::word(w);
                }
                _ => {
                    // keepalived resets it to 0.
                    warn_at(
                        d,
                        At::word(w),
                        format!(
                            "`preempt_delay`: `{}` is not in the range [0, 1000] seconds - using 0",
                            w.text
                        ),
                    );
                    i.preempt_delay = None;
                }
            }
        }
        "debug" => {
            if let Some(x) = int_arg(d, n, 0, 4) {
                i.debug = Some(x as u8);
            }
        }
        "smtp_alert" => {
            if let Some(b) = opt_bool(d, n) {
                i.smtp_alert = Some(b);
            }
        }
        "notify_priority_changes" => {
            if let Some(b) = opt_bool(d, n) {
                i.notify_priority_changes = Some(b);
            }
        }
        "kernel_rx_buf_size" => {
            if let Some(x) = int_arg(d, n, 0, u32::MAX as i64) {
                i.kernel_rx_buf_size = Some(x as u32);
            }
        }
        "lvs_sync_daemon_interface" => {
            let Some(s) = str_arg(d, n) else { return };
            warn_at(
                d,
                At::node(n),
                "`lvs_sync_daemon_interface` in a vrrp_instance is deprecated - use the global `lvs_sync_daemon`",
            );
            if i.lvs_sync_daemon_interface.is_some() {
                warn_at(
                    d,
                    At::node(n),
                    "`lvs_sync_daemon_interface` already specified - ignoring",
                );
                return;
            }
            i.lvs_sync_daemon_interface = Some(s);
        }
        "owner_ignore_adverts" => {
            newer(d, n, "2.3");
            if let Some(b) = opt_bool(d, n) {
                i.owner_ignore_adverts = Some(b);
            }
        }
        _ => value::unknown(
            d,
            kw,
            INSTANCE_KEYWORDS,
            &format!("vrrp_instance {}", i.name),
        ),
    }
}

/// An address as keepalived's `inet_stosockaddr` reads it: a `/LEN` suffix is accepted and
/// ignored (silently by keepalived; we note it).
pub(super) fn sock_addr(d: &mut Diagnostics, kw: &str, w: &Word) -> Option<IpAddr> {
    if let Ok(a) = w.text.parse::<IpAddr>() {
        return Some(a);
    }
    if let Some(p) = value::parse_prefix(&w.text) {
        note_at(
            d,
            At::word(w),
            format!("`{kw}`: the prefix length in `{}` is ignored", w.text),
        );
        return Some(p.addr);
    }
    value::ip(d, kw, w)
}

/// Interface names as the kernel allows them (`dev_name_valid`).
pub(super) fn dev_name_valid(s: &str) -> bool {
    !s.is_empty()
        && s.len() < 16
        && s != "."
        && s != ".."
        && !s.chars().any(|c| c == '/' || c == ':' || c.is_whitespace())
}

/// Five or six hex octets separated by `:`.
pub(super) fn parse_mac(s: &str) -> Option<Vec<u8>> {
    let parts: Vec<&str> = s.trim_end_matches(':').split(':').collect();
    if !(5..=6).contains(&parts.len()) {
        return None;
    }
    parts
        .iter()
        .map(|p| {
            if p.is_empty() || p.len() > 2 {
                None
            } else {
                u8::from_str_radix(p, 16).ok()
            }
        })
        .collect()
}
