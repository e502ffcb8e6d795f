//! The VRRP settings of `global_defs`.

use super::*;

impl Global {
    pub(super) fn vrrp_keyword(&mut self, k: &str, node: &Node, d: &mut Diagnostics) -> bool {
        let v = &mut self.vrrp;
        match k {
            "vrrp_mcast_group4" => {
                if let Some(w) = value::first(d, node) {
                    match mcast(d, k, w) {
                        Some(IpAddr::V4(a)) => v.mcast_group4 = a,
                        Some(IpAddr::V6(_)) => {
                            d.warn(
                                w.loc,
                                format!("`{k}`: `{}` is not an IPv4 address - ignoring", w.text),
                            );
                        }
                        None => {}
                    }
                }
            }
            "vrrp_mcast_group6" => {
                if let Some(w) = value::first(d, node) {
                    match mcast(d, k, w) {
                        Some(IpAddr::V6(a)) => v.mcast_group6 = a,
                        Some(IpAddr::V4(_)) => {
                            d.warn(
                                w.loc,
                                format!("`{k}`: `{}` is not an IPv6 address - ignoring", w.text),
                            );
                        }
                        None => {}
                    }
                }
            }
            "vrrp_garp_master_delay" => {
                if let Some(s) = value::dec_arg(d, node, 0, TIMER_MAX_SECS) {
                    v.garp_master_delay = Duration::from_secs(s as u64);
                }
            }
            "vrrp_garp_lower_prio_delay" => {
                if let Some(s) = value::dec_arg(d, node, 0, TIMER_MAX_SECS) {
                    v.garp_lower_prio_delay = Some(Duration::from_secs(s as u64));
                }
            }
            "vrrp_garp_master_repeat" => {
                if let Some(n) = at_least_one(d, node) {
                    v.garp_master_repeat = n;
                }
            }
            "vrrp_garp_master_refresh_repeat" => {
                if let Some(n) = at_least_one(d, node) {
                    v.garp_master_refresh_repeat = n;
                }
            }
            "vrrp_garp_lower_prio_repeat" => {
                if let Some(n) = value::dec_arg(d, node, 0, U32_MAX) {
                    v.garp_lower_prio_repeat = Some(n as u32);
                }
            }
            "vrrp_garp_master_refresh" => {
                if let Some(s) = value::dec_arg(d, node, 0, U32_MAX) {
                    v.garp_master_refresh = Duration::from_secs(s as u64);
                }
            }
            "vrrp_garp_interval" | "vrrp_gna_interval" => {
                if let Some(w) = value::first(d, node) {
                    if value::decimals(&w.text) <= 6 && value::parse_micros(&w.text) == Some(0) {
                        // keepalived's own sample configuration says `vrrp_garp_interval 0`,
                        // which 2.2.7 rejects ("number '0' outside range [0.000001, ...]").
                        d.warn(
                            w.loc,
                            format!(
                                "`{k}`: `{}` is outside the range [0.000001, 4294.967295] seconds - ignoring",
                                w.text
                            ),
                        )
                        .hint("0 is the default: remove the line (keepalived 2.2.7 rejects 0 too)");
                    } else if let Some(t) =
                        value::timer_in(d, k, w, Duration::from_micros(1), TIMER_MAX)
                    {
                        if k == "vrrp_garp_interval" {
                            v.garp_interval = t;
                        } else {
                            v.gna_interval = t;
                        }
                    }
                }
            }
            "vrrp_min_garp" => set_bool(d, node, &mut v.min_garp),
            "vrrp_garp_extra_if" | "vrrp_vmac_garp_intvl" => {
                if k == "vrrp_vmac_garp_intvl" {
                    d.warn(
                        node.loc,
                        "`vrrp_vmac_garp_intvl` is deprecated - use `vrrp_garp_extra_if`",
                    );
                }
                // keepalived reads every word: `all`, or the interval (the last one counts).
                let mut all = false;
                let mut interval = None;
                for w in node.args() {
                    if w.text == "all" {
                        all = true;
                        continue;
                    }
                    let Some(s) = value::dec_in(d, k, w, 1, 86400) else {
                        return true;
                    };
                    if interval.is_some() {
                        d.note(
                            w.loc,
                            format!("`{k}`: a second interval; `{}` counts", w.text),
                        );
                    }
                    interval = Some(Duration::from_secs(s as u64));
                }
                match interval {
                    Some(interval) => v.garp_extra_if = Some(GarpExtraIf { all, interval }),
                    None => {
                        d.warn(
                            node.loc,
                            format!("`{k}` needs a time in seconds - ignoring"),
                        );
                    }
                }
            }
            "vrrp_down_timer_adverts" => {
                if let Some(n) = value::dec_arg(d, node, 1, 100) {
                    v.down_timer_adverts = n as u8;
                }
            }
            "vrrp_version" => {
                if let Some(n) = value::dec_arg(d, node, 2, 3) {
                    v.version = n as u8;
                }
            }
            "vrrp_strict" => v.strict = value::flag(d, node),
            "vrrp_check_unicast_src" => v.check_unicast_src = value::flag(d, node),
            "vrrp_skip_check_adv_addr" => v.skip_check_adv_addr = value::flag(d, node),
            "vrrp_lower_prio_no_advert" => set_opt_bool(d, node, &mut v.lower_prio_no_advert),
            "vrrp_higher_prio_send_advert" => set_bool(d, node, &mut v.higher_prio_send_advert),
            "vrrp_startup_delay" => {
                if let Some(t) = value::timer_arg(d, node, Duration::from_millis(1), TIMER_MAX) {
                    v.startup_delay = Some(t);
                }
            }
            "vrrp_delay_after_boot" => {
                if let Some(t) = value::timer_arg(d, node, Duration::ZERO, TIMER_MAX) {
                    v.delay_after_boot = Some(t);
                }
            }
            "log_unknown_vrids" => v.log_unknown_vrids = value::flag(d, node),
            "v3_checksum_as_v2" => set_bool(d, node, &mut v.v3_checksum_as_v2),
            "vrrp_notify_priority_changes" => set_bool(d, node, &mut v.notify_priority_changes),
            "vrrp_owner_ignore_adverts" => set_bool(d, node, &mut v.owner_ignore_adverts),
            "vrrp_rx_bufs_policy" => {
                if let Some(p) = rx_bufs_policy(d, node) {
                    v.rx_bufs_policy = Some(p);
                }
            }
            "vrrp_rx_bufs_multiplier" => {
                // keepalived refuses anything but exactly one value here.
                if let Some(extra) = node.args().get(1) {
                    d.warn(
                        extra.loc,
                        format!(
                            "`{k}` takes one value; `{}` is one too many - ignoring",
                            extra.text
                        ),
                    );
                } else if let Some(n) = value::dec_arg(d, node, 1, U32_MAX) {
                    v.rx_bufs_multiplier = n as u32;
                }
            }
            _ => return false,
        }
        true
    }
}
