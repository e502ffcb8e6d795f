//! Reading the global keywords. Each keyword's diagnostics follow what keepalived 2.2.7 reports
//! (Warning) or accepts silently (nothing, or a Note); the tests quote keepalived's messages.

use std::net::IpAddr;
use std::time::Duration;

use super::*;
use crate::config::source::Diagnostics;
use crate::config::tree::{Node, Word};
use crate::config::value;

/// Every keyword of `global_defs`, aliases included (for "did you mean").
pub(super) const KNOWN: &[&str] = &[
    "router_id",
    "process_names",
    "process_name",
    "vrrp_process_name",
    "checker_process_name",
    "lvs_process_name",
    "bfd_process_name",
    "notification_email",
    "notification_email_from",
    "smtp_server",
    "smtp_helo_name",
    "smtp_connect_timeout",
    "smtp_alert",
    "smtp_alert_vrrp",
    "smtp_alert_checker",
    "no_email_faults",
    "no_checker_emails",
    "checker_log_all_failures",
    "rs_init_notifies",
    "script_user",
    "enable_script_security",
    "set_supplementary_groups",
    "use_symlink_paths",
    "startup_script",
    "startup_script_timeout",
    "shutdown_script",
    "shutdown_script_timeout",
    "dynamic_interfaces",
    "default_interface",
    "vmac_prefix",
    "vmac_addr_prefix",
    "disable_local_igmp",
    "vrrp_mcast_group4",
    "vrrp_mcast_group6",
    "vrrp_garp_master_delay",
    "vrrp_garp_master_repeat",
    "vrrp_garp_lower_prio_delay",
    "vrrp_garp_lower_prio_repeat",
    "vrrp_garp_master_refresh",
    "vrrp_garp_master_refresh_repeat",
    "vrrp_garp_interval",
    "vrrp_gna_interval",
    "vrrp_min_garp",
    "vrrp_garp_extra_if",
    "vrrp_vmac_garp_intvl",
    "vrrp_down_timer_adverts",
    "vrrp_version",
    "vrrp_strict",
    "vrrp_check_unicast_src",
    "vrrp_skip_check_adv_addr",
    "vrrp_lower_prio_no_advert",
    "vrrp_higher_prio_send_advert",
    "vrrp_startup_delay",
    "vrrp_delay_after_boot",
    "log_unknown_vrids",
    "v3_checksum_as_v2",
    "vrrp_notify_priority_changes",
    "vrrp_owner_ignore_adverts",
    "vrrp_rx_bufs_policy",
    "vrrp_rx_bufs_multiplier",
    "vrrp_iptables",
    "vrrp_ipsets",
    "nftables",
    "nftables_priority",
    "nftables_counters",
    "nftables_ifindex",
    "nftables_ipvs",
    "nftables_ipvs_priority",
    "nftables_ipvs_start_fwmark",
    "lvs_timeouts",
    "lvs_flush",
    "lvs_flush_on_stop",
    "lvs_flush_onstop",
    "lvs_sync_daemon",
    "notify_fifo",
    "notify_fifo_script",
    "vrrp_notify_fifo",
    "vrrp_notify_fifo_script",
    "lvs_notify_fifo",
    "lvs_notify_fifo_script",
    "fifo_write_vrrp_states_on_reload",
    "vrrp_priority",
    "checker_priority",
    "bfd_priority",
    "vrrp_no_swap",
    "checker_no_swap",
    "bfd_no_swap",
    "vrrp_cpu_affinity",
    "checker_cpu_affinity",
    "bfd_cpu_affinity",
    "vrrp_rt_priority",
    "checker_rt_priority",
    "bfd_rt_priority",
    "vrrp_rlimit_rttime",
    "checker_rlimit_rttime",
    "bfd_rlimit_rttime",
    "vrrp_rlimit_rtime",
    "checker_rlimit_rtime",
    "bfd_rlimit_rtime",
    "max_auto_priority",
    "min_auto_priority_delay",
    "vrrp_netlink_cmd_rcv_bufs",
    "vrrp_netlink_cmd_rcv_bufs_force",
    "vrrp_netlink_monitor_rcv_bufs",
    "vrrp_netlink_monitor_rcv_bufs_force",
    "lvs_netlink_cmd_rcv_bufs",
    "lvs_netlink_cmd_rcv_bufs_force",
    "lvs_netlink_monitor_rcv_bufs",
    "lvs_netlink_monitor_rcv_bufs_force",
    "process_monitor_rcv_bufs",
    "process_monitor_rcv_bufs_force",
    "reload_check_config",
    "reload_time_file",
    "reload_repeat",
    "reload_file",
    "include_check",
    "tmp_config_directory",
    "config_save_dir",
    "random_seed",
    "umask",
    "data_use_instance",
    "state_dump_file",
    "stats_dump_file",
    "json_dump_file",
    "state_file_location",
    "stats_file_location",
    "json_file_location",
    "json_version",
    "snmp_socket",
    "enable_traps",
    "enable_snmp_vrrp",
    "enable_snmp_keepalived",
    "enable_snmp_checker",
    "enable_snmp_rfc",
    "enable_snmp_rfcv2",
    "enable_snmp_rfcv3",
    "enable_dbus",
    "dbus_service_name",
    "iproute_usr_dir",
    "iproute_etc_dir",
];

/// Keywords keepalived 2.2.7 reports as unknown but later releases (or the man page) know.
const NEWER: &[&str] = &[
    "set_supplementary_groups",
    "use_symlink_paths",
    "vrrp_delay_after_boot",
    "v3_checksum_as_v2",
    "vrrp_owner_ignore_adverts",
    "state_dump_file",
    "stats_dump_file",
    "json_dump_file",
    "state_file_location",
    "stats_file_location",
    "json_file_location",
    "json_version",
    "iproute_usr_dir",
    "iproute_etc_dir",
];

/// The largest value of keepalived's `TIMER_MAXIMUM` (seconds, whole): 4294 s.
const TIMER_MAX_SECS: i64 = 4294;
/// keepalived's decimal timers: up to `UINT_MAX` µs.
const TIMER_MAX: Duration = Duration::from_micros(4_294_967_295);
const U32_MAX: i64 = u32::MAX as i64;

/// `umask` bit names.
const UMASK_BITS: &[(&str, u32)] = &[
    ("IRUSR", 0o400),
    ("IWUSR", 0o200),
    ("IXUSR", 0o100),
    ("IRGRP", 0o040),
    ("IWGRP", 0o020),
    ("IXGRP", 0o010),
    ("IROTH", 0o004),
    ("IWOTH", 0o002),
    ("IXOTH", 0o001),
];

impl Global {
    /// One top-level statement of this section.
    pub fn parse_top(&mut self, node: &Node, d: &mut Diagnostics) {
        let kw = node.keyword();
        if kw == "global_defs" {
            value::extra(d, node, 0);
            match &node.block {
                Some(b) => {
                    for child in &b.nodes {
                        self.defs_keyword(child, d);
                    }
                }
                None => {
                    d.note(node.loc, "`global_defs` without a block sets nothing");
                }
            }
            return;
        }
        value::no_block(d, node);
        match kw {
            "linkbeat_use_polling" => self.linkbeat_use_polling = value::flag(d, node),
            "namespace_with_ipsets" => self.namespace_with_ipsets = value::flag(d, node),
            "use_pid_dir" => self.use_pid_dir = value::flag(d, node),
            "net_namespace" => {
                if let Some(w) = value::first(d, node) {
                    match &self.net_namespace {
                        // keepalived logs this without counting it as an error.
                        Some(old) => {
                            d.note(
                                w.loc,
                                format!(
                                    "`net_namespace` is already `{old}` - ignoring `{}`",
                                    w.text
                                ),
                            );
                        }
                        None => self.net_namespace = Some(w.text.clone()),
                    }
                }
            }
            "net_namespace_ipvs" => {
                let name = node.args().first();
                value::extra(d, node, 1);
                // keepalived: "Duplicate net_namespace_ipvs definition b - ignoring" (an error,
                // unlike the duplicate `net_namespace`).
                match (&self.net_namespace_ipvs, name) {
                    (Some(_), Some(w)) => {
                        d.warn(
                            w.loc,
                            format!(
                                "`net_namespace_ipvs` is already set - ignoring `{}`",
                                w.text
                            ),
                        );
                    }
                    (Some(_), None) => {
                        d.warn(node.loc, "`net_namespace_ipvs` is already set - ignoring");
                    }
                    (None, w) => self.net_namespace_ipvs = Some(w.map(|w| w.text.clone())),
                }
            }
            "instance" => {
                if let Some(w) = value::first(d, node) {
                    match &self.instance {
                        Some(old) => {
                            d.warn(
                                w.loc,
                                format!("`instance` is already `{old}` - ignoring `{}`", w.text),
                            );
                        }
                        None => self.instance = Some(w.text.clone()),
                    }
                }
            }
            "child_wait_time" => {
                if let Some(v) = value::dec_arg(d, node, 0, U32_MAX) {
                    self.child_wait_time = Duration::from_secs(v as u64);
                }
            }
            _ => {}
        }
    }

    fn defs_keyword(&mut self, node: &Node, d: &mut Diagnostics) {
        let Some(kw) = node.words.first() else {
            return;
        };
        let k = kw.text.as_str();
        if k != "notification_email" {
            value::no_block(d, node);
        }
        if NEWER.contains(&k) {
            d.note(
                kw.loc,
                format!("`{k}` is not known to keepalived 2.2.7 (added in a later release)"),
            );
        }
        if self.identity_or_email(k, node, d)
            || self.scripts_or_interfaces(k, node, d)
            || self.vrrp_keyword(k, node, d)
            || self.firewall_or_lvs(k, node, d)
            || self.process_keyword(k, node, d)
            || self.misc_keyword(k, node, d)
        {
            return;
        }
        unknown_in_defs(d, kw);
    }

    fn identity_or_email(&mut self, k: &str, node: &Node, d: &mut Diagnostics) -> bool {
        let pn = &mut self.process_names;
        let e = &mut self.email;
        match k {
            "router_id" => {
                if let Some(s) = value::string(d, node) {
                    self.router_id = Some(s);
                }
            }
            "process_names" => pn.defaults = value::flag(d, node),
            "process_name" => set_string(d, node, &mut pn.parent),
            "vrrp_process_name" => set_string(d, node, &mut pn.vrrp),
            "checker_process_name" => set_string(d, node, &mut pn.checker),
            "lvs_process_name" => {
                d.note(
                    node.loc,
                    "`lvs_process_name` is deprecated - use `checker_process_name`",
                );
                set_string(d, node, &mut pn.checker);
            }
            "bfd_process_name" => set_string(d, node, &mut pn.bfd),
            "notification_email" => {
                if let Some(w) = node.args().first() {
                    d.warn(
                        w.loc,
                        format!(
                            "`notification_email` takes its addresses in a block; `{}` ignored",
                            w.text
                        ),
                    )
                    .hint("notification_email { admin@example.com }");
                }
                let before = e.to.len();
                for n in node.children() {
                    value::no_block(d, n);
                    e.to.extend(n.words.iter().map(|w| w.text.clone()));
                }
                if e.to.len() == before {
                    let loc = node.block.as_ref().map_or(node.loc, |b| b.open);
                    d.warn(loc, "`notification_email`: empty block - no address added");
                }
            }
            "notification_email_from" => set_string(d, node, &mut e.from),
            "smtp_server" => {
                if let Some(s) = smtp_server(d, node) {
                    e.smtp_server = Some(s);
                }
            }
            "smtp_helo_name" => {
                // keepalived says nothing about a missing name.
                match node.args().first() {
                    Some(w) => {
                        value::extra(d, node, 1);
                        e.helo_name = Some(w.text.clone());
                    }
                    None => {
                        d.note(node.loc, "`smtp_helo_name` without a name - ignoring");
                    }
                }
            }
            "smtp_connect_timeout" => {
                if let Some(v) = value::dec_arg(d, node, 0, TIMER_MAX_SECS) {
                    let v = if v == 0 {
                        d.warn(
                            node.args()[0].loc,
                            "`smtp_connect_timeout` must be greater than 0 - using 1",
                        );
                        1
                    } else {
                        v
                    };
                    e.connect_timeout = Duration::from_secs(v as u64);
                }
            }
            "smtp_alert" => set_opt_bool(d, node, &mut e.alert),
            "smtp_alert_vrrp" => set_opt_bool(d, node, &mut e.alert_vrrp),
            "smtp_alert_checker" => set_opt_bool(d, node, &mut e.alert_checker),
            "no_email_faults" => e.no_email_faults = value::flag(d, node),
            "no_checker_emails" => set_bool(d, node, &mut e.no_checker_emails),
            _ => return false,
        }
        true
    }

    fn scripts_or_interfaces(&mut self, k: &str, node: &Node, d: &mut Diagnostics) -> bool {
        let s = &mut self.scripts;
        let i = &mut self.interfaces;
        match k {
            "script_user" => {
                if let Some(w) = node.args().first() {
                    value::extra(d, node, 2);
                    s.user = Some(ScriptUser {
                        user: w.text.clone(),
                        group: node.args().get(1).map(|g| g.text.clone()),
                        origin: At::word(w),
                    });
                } else {
                    d.warn(node.loc, "`script_user` needs a user name - ignoring");
                }
            }
            "enable_script_security" => s.security = value::flag(d, node),
            "set_supplementary_groups" => set_bool(d, node, &mut s.set_supplementary_groups),
            "use_symlink_paths" => set_bool(d, node, &mut s.use_symlink_paths),
            "startup_script" => set_script(d, node, &mut s.startup),
            "shutdown_script" => set_script(d, node, &mut s.shutdown),
            "startup_script_timeout" | "shutdown_script_timeout" => {
                if let Some(v) = value::dec_arg(d, node, 1, 1000) {
                    let v = Duration::from_secs(v as u64);
                    if k == "startup_script_timeout" {
                        s.startup_timeout = v;
                    } else {
                        s.shutdown_timeout = v;
                    }
                }
            }
            "dynamic_interfaces" => {
                i.dynamic = DynamicInterfaces::On;
                if let Some(w) = node.args().first() {
                    value::extra(d, node, 1);
                    if w.text == "allow_if_changes" {
                        i.dynamic = DynamicInterfaces::AllowIfChanges;
                    } else {
                        d.warn(
                            w.loc,
                            format!(
                                "`dynamic_interfaces`: unknown option `{}` (only `allow_if_changes`) - ignoring it",
                                w.text
                            ),
                        );
                    }
                }
            }
            "default_interface" => set_string(d, node, &mut i.default_interface),
            "vmac_prefix" => set_string(d, node, &mut i.vmac_prefix),
            "vmac_addr_prefix" => set_string(d, node, &mut i.vmac_addr_prefix),
            "disable_local_igmp" => i.disable_local_igmp = value::flag(d, node),
            _ => return false,
        }
        true
    }

    fn vrrp_keyword(&mut self, k: &str, node: &Node, d: &mut Diagnostics) -> bool {
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

    fn firewall_or_lvs(&mut self, k: &str, node: &Node, d: &mut Diagnostics) -> bool {
        let f = &mut self.firewall;
        let l = &mut self.lvs;
        match k {
            "vrrp_iptables" => {
                // As Debian's keepalived 2.2.7, built without iptables support.
                d.warn(
                    node.loc,
                    "`vrrp_iptables`: iptables is not supported, nftables is used instead",
                )
                .hint("replace `vrrp_iptables` and `vrrp_ipsets` with `nftables`");
                value::extra(d, node, 2);
                let a = node.args();
                f.iptables = Some(Iptables {
                    in_chain: a.first().map(|w| w.text.clone()),
                    out_chain: a.get(1).map(|w| w.text.clone()),
                });
            }
            "vrrp_ipsets" => {
                d.warn(
                    node.loc,
                    "`vrrp_ipsets`: ipsets are not supported (they go with iptables); nftables is used instead",
                )
                .hint("replace `vrrp_iptables` and `vrrp_ipsets` with `nftables`");
                f.ipsets = Some(node.args().iter().map(|w| w.text.clone()).collect());
            }
            "nftables" | "nftables_ipvs" => {
                let (slot, default) = if k == "nftables" {
                    (&mut f.nftables, NFT_TABLE)
                } else {
                    (&mut f.nftables_ipvs, NFT_IPVS_TABLE)
                };
                value::extra(d, node, 1);
                if slot.is_some() {
                    d.warn(node.loc, format!("`{k}` is already set - ignoring"));
                } else {
                    *slot = Some(
                        node.args()
                            .first()
                            .map_or(default.to_string(), |w| w.text.clone()),
                    );
                }
            }
            "nftables_priority" => {
                if let Some(n) = value::dec_arg(d, node, i32::MIN.into(), i32::MAX.into()) {
                    f.nftables_priority = n as i32;
                }
            }
            "nftables_ipvs_priority" => {
                if let Some(n) = value::dec_arg(d, node, i32::MIN.into(), i32::MAX.into()) {
                    f.nftables_ipvs_priority = Some(n as i32);
                }
            }
            "nftables_counters" => f.nftables_counters = value::flag(d, node),
            "nftables_ifindex" => f.nftables_ifindex = value::flag(d, node),
            "nftables_ipvs_start_fwmark" => {
                if let Some(n) = value::dec_arg(d, node, 1, U32_MAX) {
                    f.nftables_ipvs_start_fwmark = n as u32;
                }
            }
            "lvs_timeouts" => lvs_timeouts(d, node, &mut l.timeouts),
            "lvs_flush" => l.flush = value::flag(d, node),
            "lvs_flush_on_stop" | "lvs_flush_onstop" => {
                if k == "lvs_flush_onstop" {
                    d.note(
                        node.loc,
                        "`lvs_flush_onstop` is an old spelling of `lvs_flush_on_stop`",
                    );
                }
                value::extra(d, node, 1);
                match node.args().first() {
                    None => l.flush_on_stop = FlushOnStop::All,
                    Some(w) if w.text == "VS" => l.flush_on_stop = FlushOnStop::Vs,
                    Some(w) => {
                        d.warn(
                            w.loc,
                            format!("`{k}`: unknown type `{}` (only `VS`) - ignoring", w.text),
                        );
                    }
                }
            }
            "lvs_sync_daemon" => {
                if let Some(old) = &l.sync_daemon {
                    d.warn(
                        node.loc,
                        format!(
                            "`lvs_sync_daemon` is already set (interface `{}`) - ignoring",
                            old.interface
                        ),
                    );
                } else if let Some(s) = sync_daemon(d, node) {
                    l.sync_daemon = Some(s);
                }
            }
            "checker_log_all_failures" => set_bool(d, node, &mut l.checker_log_all_failures),
            "rs_init_notifies" => set_bool(d, node, &mut l.rs_init_notifies),
            _ => return false,
        }
        true
    }

    fn process_keyword(&mut self, k: &str, node: &Node, d: &mut Diagnostics) -> bool {
        if let Some((proc_name, what)) = ["vrrp", "checker", "bfd"].iter().find_map(|p| {
            k.strip_prefix(p)
                .and_then(|r| r.strip_prefix('_'))
                .map(|r| (*p, r))
        }) {
            let p = match proc_name {
                "vrrp" => &mut self.sched.vrrp,
                "checker" => &mut self.sched.checker,
                _ => &mut self.sched.bfd,
            };
            match what {
                "priority" => {
                    if let Some(n) = value::dec_arg(d, node, -20, 19) {
                        p.priority = Some(n as i8);
                    }
                    return true;
                }
                "no_swap" => {
                    p.no_swap = value::flag(d, node);
                    return true;
                }
                "cpu_affinity" => {
                    if node.args().is_empty() {
                        d.warn(node.loc, format!("`{k}` needs CPU numbers - ignoring"));
                    } else {
                        let cpus: Option<Vec<u16>> = node
                            .args()
                            .iter()
                            .map(|w| value::dec_in(d, k, w, 0, 1023).map(|n| n as u16))
                            .collect();
                        if let Some(c) = cpus {
                            p.cpu_affinity = c;
                        }
                    }
                    return true;
                }
                "rt_priority" => {
                    if let Some(w) = value::first(d, node) {
                        match w.text.parse::<i64>() {
                            Ok(n) if (1..=99).contains(&n) => p.rt_priority = Some(n as u8),
                            Ok(n) => {
                                let c = n.clamp(1, 99);
                                d.warn(
                                    w.loc,
                                    format!(
                                        "`{k}`: `{n}` is outside the range [1, 99] - using {c}"
                                    ),
                                );
                                p.rt_priority = Some(c as u8);
                            }
                            Err(_) => {
                                value::dec_in(d, k, w, 1, 99);
                            }
                        }
                    }
                    return true;
                }
                "rlimit_rttime" | "rlimit_rtime" => {
                    if what == "rlimit_rtime" {
                        d.note(
                            node.loc,
                            format!("`{k}` is deprecated - use `{proc_name}_rlimit_rttime`"),
                        );
                    }
                    if let Some(n) = value::dec_arg(d, node, 1, U32_MAX) {
                        p.rlimit_rttime = Some(n as u32);
                    }
                    return true;
                }
                _ => {}
            }
        }
        if let Some(buf) = k
            .strip_suffix("_rcv_bufs")
            .or_else(|| k.strip_suffix("_rcv_bufs_force"))
        {
            let n = &mut self.netlink;
            let b = match buf {
                "vrrp_netlink_cmd" => &mut n.vrrp_cmd,
                "vrrp_netlink_monitor" => &mut n.vrrp_monitor,
                "lvs_netlink_cmd" => &mut n.lvs_cmd,
                "lvs_netlink_monitor" => &mut n.lvs_monitor,
                "process_monitor" => &mut n.process_monitor,
                _ => return false,
            };
            if k.ends_with("_force") {
                set_bool(d, node, &mut b.force);
            } else if let Some(v) = value::dec_arg(d, node, 0, U32_MAX) {
                b.size = Some(v as u32);
            }
            return true;
        }
        let s = &mut self.sched;
        match k {
            "max_auto_priority" => match node.args().first() {
                None => s.max_auto_priority = Some(99),
                Some(_) => {
                    if let Some(n) = value::dec_arg(d, node, -1, 99) {
                        s.max_auto_priority = Some(n as i8);
                    }
                }
            },
            "min_auto_priority_delay" => {
                if let Some(n) = value::dec_arg(d, node, 1, 10_000_000) {
                    s.min_auto_priority_delay = Duration::from_micros(n as u64);
                }
            }
            _ => return false,
        }
        true
    }

    fn misc_keyword(&mut self, k: &str, node: &Node, d: &mut Diagnostics) -> bool {
        if let Some(name) = k.strip_suffix("_fifo_script") {
            let Some(f) = self.fifo(name) else {
                return false;
            };
            set_script(d, node, &mut f.script);
            return true;
        }
        if let Some(name) = k.strip_suffix("_fifo") {
            let Some(f) = self.fifo(name) else {
                return false;
            };
            set_fifo(d, node, &mut f.path);
            return true;
        }
        let r = &mut self.reload;
        match k {
            "fifo_write_vrrp_states_on_reload" => {
                self.fifos.write_vrrp_states_on_reload = value::flag(d, node);
            }
            "reload_check_config" => {
                value::extra(d, node, 1);
                r.check_config = Some(node.args().first().map(|w| w.text.clone()));
            }
            "reload_time_file" => set_string(d, node, &mut r.time_file),
            "reload_repeat" => r.repeat = value::flag(d, node),
            "reload_file" => {
                value::extra(d, node, 1);
                r.file = Some(node.args().first().map(|w| w.text.clone()));
            }
            "include_check" => {
                let ic = include_check(d, node);
                if ic != IncludeCheck::default() {
                    r.include_check = Some(ic);
                }
            }
            "tmp_config_directory" => set_string(d, node, &mut r.tmp_config_directory),
            "config_save_dir" => set_string(d, node, &mut r.config_save_dir),
            "random_seed" => {
                if let Some(n) = value::dec_arg(d, node, 0, U32_MAX) {
                    self.random_seed = Some(n as u32);
                }
            }
            "umask" => {
                if let Some(m) = umask(d, node) {
                    self.umask = Some(m);
                }
            }
            "data_use_instance" => set_bool(d, node, &mut self.dumps.data_use_instance),
            "state_dump_file" | "state_file_location" => {
                set_string(d, node, &mut self.dumps.state_file);
            }
            "stats_dump_file" | "stats_file_location" => {
                set_string(d, node, &mut self.dumps.stats_file);
            }
            "json_dump_file" | "json_file_location" => {
                set_string(d, node, &mut self.dumps.json_file);
            }
            "json_version" => {
                if let Some(n) = value::dec_arg(d, node, 1, 2) {
                    self.dumps.json_version = Some(n as u8);
                }
            }
            "iproute_usr_dir" => set_string(d, node, &mut self.iproute_usr_dir),
            "iproute_etc_dir" => set_string(d, node, &mut self.iproute_etc_dir),
            "snmp_socket"
            | "enable_traps"
            | "enable_snmp_vrrp"
            | "enable_snmp_keepalived"
            | "enable_snmp_checker"
            | "enable_snmp_rfc"
            | "enable_snmp_rfcv2"
            | "enable_snmp_rfcv3" => {
                d.note(
                    node.loc,
                    format!("`{k}`: keepalived-rs has no SNMP support - no effect"),
                );
                let s = &mut self.snmp;
                match k {
                    "snmp_socket" => snmp_socket(d, node, &mut s.socket),
                    "enable_traps" => s.traps = value::flag(d, node),
                    "enable_snmp_vrrp" | "enable_snmp_keepalived" => s.vrrp = value::flag(d, node),
                    "enable_snmp_checker" => s.checker = value::flag(d, node),
                    "enable_snmp_rfc" => {
                        s.rfcv2 = value::flag(d, node);
                        s.rfcv3 = true;
                    }
                    "enable_snmp_rfcv2" => s.rfcv2 = value::flag(d, node),
                    _ => s.rfcv3 = value::flag(d, node),
                }
            }
            "enable_dbus" | "dbus_service_name" => {
                d.note(
                    node.loc,
                    format!("`{k}`: keepalived-rs has no DBus support - no effect"),
                );
                if k == "enable_dbus" {
                    self.dbus.enabled = value::flag(d, node);
                } else {
                    set_string(d, node, &mut self.dbus.service_name);
                }
            }
            _ => return false,
        }
        true
    }
}

impl Global {
    fn fifo(&mut self, name: &str) -> Option<&mut Fifo> {
        match name {
            "notify" => Some(&mut self.fifos.notify),
            "vrrp_notify" => Some(&mut self.fifos.vrrp),
            "lvs_notify" => Some(&mut self.fifos.lvs),
            _ => None,
        }
    }
}

/// An unknown keyword in `global_defs`, with a hint for the usual mistakes.
fn unknown_in_defs(d: &mut Diagnostics, kw: &Word) {
    let k = kw.text.as_str();
    let hint = if TOP.contains(&k) {
        Some(format!(
            "`{k}` is a top-level keyword: move it out of `global_defs`"
        ))
    } else if k == "lvs_id" {
        Some("`lvs_id` is the old name of `router_id`".to_string())
    } else {
        // An instance keyword (`garp_master_delay`) whose global default has a `vrrp_` prefix.
        KNOWN
            .iter()
            .find(|g| g.strip_prefix("vrrp_") == Some(k))
            .map(|g| format!("did you mean `{g}`?"))
    };
    match hint {
        Some(h) => {
            d.warn(
                kw.loc,
                format!("unknown keyword `{k}` in global_defs - ignoring"),
            )
            .hint(h);
        }
        None => value::unknown(d, kw, KNOWN, "global_defs"),
    }
}

fn set_string(d: &mut Diagnostics, node: &Node, slot: &mut Option<String>) {
    if let Some(s) = value::string(d, node) {
        *slot = Some(s);
    }
}

fn set_opt_bool(d: &mut Diagnostics, node: &Node, slot: &mut Option<bool>) {
    if let Some(b) = value::opt_bool(d, node) {
        *slot = Some(b);
    }
}

fn set_bool(d: &mut Diagnostics, node: &Node, slot: &mut bool) {
    if let Some(b) = value::opt_bool(d, node) {
        *slot = b;
    }
}

/// A count of at least 1: 0 is raised to 1 with a warning (keepalived: "must be greater than 0,
/// setting to 1").
fn at_least_one(d: &mut Diagnostics, node: &Node) -> Option<u32> {
    let n = value::dec_arg(d, node, 0, U32_MAX)?;
    if n == 0 {
        d.warn(
            node.args()[0].loc,
            format!("`{}` must be greater than 0 - using 1", node.keyword()),
        );
        return Some(1);
    }
    Some(n as u32)
}

/// `KEYWORD SCRIPT [USER [GROUP]]`; a second one is ignored (keepalived: "already specified").
fn set_script(d: &mut Diagnostics, node: &Node, slot: &mut Option<Script>) {
    let k = node.keyword();
    let Some(w) = node.args().first() else {
        d.warn(node.loc, format!("`{k}` needs a script - ignoring"));
        return;
    };
    if let Some(old) = slot {
        d.warn(
            w.loc,
            format!("`{k}` is already `{}` - ignoring `{}`", old.cmd, w.text),
        );
        return;
    }
    value::extra(d, node, 3);
    *slot = Some(Script {
        cmd: w.text.clone(),
        user: node.args().get(1).map(|u| u.text.clone()),
        group: node.args().get(2).map(|g| g.text.clone()),
        origin: At::word(w),
    });
}

/// `KEYWORD PATH [USER [GROUP]]` for a FIFO.
fn set_fifo(d: &mut Diagnostics, node: &Node, slot: &mut Option<FifoFile>) {
    let k = node.keyword();
    let Some(w) = node.args().first() else {
        d.warn(node.loc, format!("`{k}` needs a FIFO name - ignoring"));
        return;
    };
    if let Some(old) = slot {
        d.warn(
            w.loc,
            format!("`{k}` is already `{}` - ignoring `{}`", old.path, w.text),
        );
        return;
    }
    value::extra(d, node, 3);
    *slot = Some(FifoFile {
        path: w.text.clone(),
        user: node.args().get(1).map(|u| u.text.clone()),
        group: node.args().get(2).map(|g| g.text.clone()),
        origin: At::word(w),
    });
}

/// A multicast address (`vrrp_mcast_group4/6`).
fn mcast(d: &mut Diagnostics, k: &str, w: &Word) -> Option<IpAddr> {
    let a = value::ip(d, k, w)?;
    if !a.is_multicast() {
        d.warn(
            w.loc,
            format!("`{k}`: `{}` is not a multicast address - ignoring", w.text),
        );
        return None;
    }
    Some(a)
}

/// `smtp_server HOST [PORT]`: an address, or a host name resolved later.
fn smtp_server(d: &mut Diagnostics, node: &Node) -> Option<SmtpServer> {
    let w = value::first_of(d, node, 2)?;
    let port = match node.args().get(1) {
        Some(p) => value::dec_in(d, "smtp_server", p, 1, 65535)? as u16,
        None => SMTP_PORT,
    };
    let host = match w.text.parse::<IpAddr>() {
        Ok(a) => SmtpHost::Ip(a),
        Err(_) if is_host_name(&w.text) => {
            d.note(
                w.loc,
                format!(
                    "`smtp_server`: `{}` is a host name, not an IP address; it is resolved at startup",
                    w.text
                ),
            )
            .hint("keepalived reports a name it cannot resolve as \"Invalid smtp server\"");
            SmtpHost::Name(w.text.clone())
        }
        Err(_) => {
            d.warn(
                w.loc,
                format!(
                    "`smtp_server`: `{}` is neither an IP address nor a host name - ignoring",
                    w.text
                ),
            );
            return None;
        }
    };
    Some(SmtpServer { host, port })
}

/// RFC 1123 host name syntax (letters, digits, hyphens; dot-separated labels of 1..63).
fn is_host_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && !s.chars().all(|c| c.is_ascii_digit() || c == '.')
        && s.trim_end_matches('.').split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

/// `vrrp_rx_bufs_policy MTU|ADVERT|SIZE`.
fn rx_bufs_policy(d: &mut Diagnostics, node: &Node) -> Option<RxBufsPolicy> {
    let k = "vrrp_rx_bufs_policy";
    if node.args().is_empty() {
        d.warn(
            node.loc,
            format!("`{k}` needs MTU, ADVERT or a size - ignoring"),
        );
        return None;
    }
    let (mut mtu, mut advert, mut size): (Option<&Word>, Option<&Word>, Option<u32>) =
        (None, None, None);
    for w in node.args() {
        match w.text.to_ascii_uppercase().as_str() {
            "MTU" => mtu = Some(w),
            "ADVERT" => advert = Some(w),
            _ => {
                size = Some(value::dec_in(d, k, w, 0, U32_MAX)? as u32);
            }
        }
    }
    if let Some(s) = size {
        if let Some(p) = mtu.or(advert) {
            d.warn(
                p.loc,
                format!("`{k}`: both a size and a policy - ignoring `{}`", p.text),
            );
        }
        return Some(RxBufsPolicy::Size(s));
    }
    if let (Some(_), Some(a)) = (mtu, advert) {
        d.warn(
            a.loc,
            format!("`{k}`: both MTU and ADVERT - ignoring `{}`", a.text),
        );
    }
    Some(if mtu.is_some() {
        RxBufsPolicy::Mtu
    } else {
        RxBufsPolicy::Advert
    })
}

/// `lvs_timeouts [tcp S] [tcpfin S] [udp S]`.
fn lvs_timeouts(d: &mut Diagnostics, node: &Node, t: &mut LvsTimeouts) {
    let args = node.args();
    if args.len() < 2 {
        d.warn(
            node.loc,
            "`lvs_timeouts` needs at least one of `tcp SECS`, `tcpfin SECS`, `udp SECS` - ignoring",
        );
        return;
    }
    let mut i = 0;
    while i < args.len() {
        let w = &args[i];
        let slot = match w.text.as_str() {
            "tcp" => &mut t.tcp,
            "tcpfin" => &mut t.tcpfin,
            "udp" => &mut t.udp,
            _ => {
                d.warn(
                    w.loc,
                    format!(
                        "`lvs_timeouts`: unknown option `{}` (tcp, tcpfin, udp) - ignoring it",
                        w.text
                    ),
                );
                i += 1;
                continue;
            }
        };
        match args.get(i + 1) {
            None => {
                d.warn(
                    w.loc,
                    format!("`lvs_timeouts`: `{}` needs a value - ignoring", w.text),
                );
            }
            Some(v) => {
                let kw = format!("lvs_timeouts {}", w.text);
                if let Some(n) = value::dec_in(d, &kw, v, 0, 2_678_400) {
                    *slot = Some(n as u32);
                }
            }
        }
        i += 2;
    }
}

/// `lvs_sync_daemon IF [[inst] VI] [id N] [maxlen N] [port N] [ttl N] [group IP]`, with the old
/// form `IF VI SYNCID` (keepalived: "Please use keyword "id" before lvs_sync_daemon SYNCID").
fn sync_daemon(d: &mut Diagnostics, node: &Node) -> Option<SyncDaemon> {
    const OPTS: &[&str] = &["id", "maxlen", "port", "ttl", "group", "inst"];
    let k = "lvs_sync_daemon";
    let args = node.args();
    let Some(ifname) = args.first() else {
        d.warn(node.loc, "`lvs_sync_daemon` needs an interface - ignoring");
        return None;
    };
    let mut s = SyncDaemon {
        interface: ifname.text.clone(),
        instance: None,
        syncid: None,
        maxlen: None,
        port: None,
        ttl: None,
        group: None,
    };
    let mut i = 1;
    if let Some(w) = args.get(1)
        && !OPTS[..5].contains(&w.text.as_str())
    {
        if w.text == "inst" {
            match args.get(2) {
                Some(v) => s.instance = Some(v.text.clone()),
                None => {
                    d.warn(
                        w.loc,
                        "`lvs_sync_daemon`: `inst` needs a VRRP instance - ignoring",
                    );
                }
            }
            i = 3;
        } else {
            s.instance = Some(w.text.clone());
            i = 2;
        }
    }
    while i < args.len() {
        let w = &args[i];
        let opt = w.text.as_str();
        if !OPTS[..5].contains(&opt) {
            // The old positional SYNCID.
            if w.text.parse::<i64>().is_ok() {
                d.warn(
                    w.loc,
                    format!("`lvs_sync_daemon`: write `id {}` for the sync id", w.text),
                );
            }
            if let Some(n) = value::dec_in(d, k, w, 0, 255) {
                s.syncid = Some(n as u8);
            }
            i += 1;
            continue;
        }
        let Some(v) = args.get(i + 1) else {
            d.warn(
                w.loc,
                format!("`lvs_sync_daemon`: `{opt}` needs a value - ignoring"),
            );
            break;
        };
        let kw = format!("lvs_sync_daemon {opt}");
        match opt {
            "id" => {
                s.syncid = value::dec_in(d, &kw, v, 0, 255)
                    .map(|n| n as u8)
                    .or(s.syncid)
            }
            "maxlen" => {
                s.maxlen = value::dec_in(d, &kw, v, 1, 65507)
                    .map(|n| n as u16)
                    .or(s.maxlen);
            }
            "port" => {
                s.port = value::dec_in(d, &kw, v, 1, 65535)
                    .map(|n| n as u16)
                    .or(s.port)
            }
            "ttl" => s.ttl = value::dec_in(d, &kw, v, 1, 255).map(|n| n as u8).or(s.ttl),
            _ => {
                if let Some(a) = value::ip(d, &kw, v) {
                    if a.is_multicast() {
                        s.group = Some(a);
                    } else {
                        d.warn(
                            v.loc,
                            format!("`{kw}`: `{}` is not a multicast address - ignoring", v.text),
                        );
                    }
                }
            }
        }
        i += 2;
    }
    Some(s)
}

/// `include_check [[+|-]OPTION ...]`; no option adds all four checks.
fn include_check(d: &mut Diagnostics, node: &Node) -> IncludeCheck {
    let mut ic = IncludeCheck::default();
    if node.args().is_empty() {
        ic.add = IncludeChecks {
            readable: true,
            matches: true,
            wildcard_match: true,
            brace_match: true,
        };
        return ic;
    }
    let mut seen: Vec<&str> = Vec::new();
    for w in node.args() {
        let (remove, name) = match w.text.strip_prefix('-') {
            Some(n) => (true, n),
            None => (false, w.text.strip_prefix('+').unwrap_or(&w.text)),
        };
        let set = if remove { &mut ic.remove } else { &mut ic.add };
        let flag = match name {
            "readable" => &mut set.readable,
            "match" => &mut set.matches,
            "wildcard_match" => &mut set.wildcard_match,
            "brace_match" => &mut set.brace_match,
            _ => {
                d.warn(
                    w.loc,
                    format!(
                        "`include_check`: unknown check `{}` (readable, match, wildcard_match, brace_match) - ignoring it",
                        w.text
                    ),
                );
                continue;
            }
        };
        if seen.contains(&name) {
            d.warn(
                w.loc,
                format!(
                    "`include_check`: `{name}` given twice - ignoring `{}`",
                    w.text
                ),
            );
            continue;
        }
        seen.push(name);
        *flag = true;
    }
    ic
}

/// `umask NUMBER` (hex `0x..`, octal `0..`, decimal) or `umask BITS` (`IWGRP|IWOTH`, spaces
/// around `|` allowed).
fn umask(d: &mut Diagnostics, node: &Node) -> Option<u32> {
    let Some(first) = node.args().first() else {
        d.warn(node.loc, "`umask` needs a value - ignoring");
        return None;
    };
    if first.text.starts_with(|c: char| c.is_ascii_digit()) {
        if let Some(extra) = node.args().get(1) {
            d.warn(
                extra.loc,
                format!(
                    "`umask`: extra `{}` after the number - ignoring",
                    extra.text
                ),
            );
            return None;
        }
        let t = first.text.as_str();
        let v = if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
            u32::from_str_radix(h, 16).ok()
        } else if t.len() > 1 && t.starts_with('0') {
            u32::from_str_radix(&t[1..], 8).ok()
        } else {
            t.parse::<u32>().ok()
        };
        return match v {
            Some(v) if v <= 0o777 => Some(v),
            _ => {
                d.warn(
                    first.loc,
                    format!("`umask`: `{t}` is not a mode between 0 and 0777 - ignoring"),
                );
                None
            }
        };
    }
    // Bits joined by `|`: a `|` must stand between every two names.
    let mut mask = 0;
    let mut want_bit = true;
    for w in node.args() {
        let mut rest = w.text.as_str();
        while !rest.is_empty() {
            if let Some(r) = rest.strip_prefix('|') {
                if want_bit {
                    d.warn(w.loc, "`umask`: `|` without a bit before it - ignoring");
                    return None;
                }
                want_bit = true;
                rest = r;
                continue;
            }
            let end = rest.find('|').unwrap_or(rest.len());
            let bit = &rest[..end];
            if !want_bit {
                d.warn(
                    w.loc,
                    format!("`umask`: `{bit}` needs a `|` before it - ignoring"),
                );
                return None;
            }
            match UMASK_BITS.iter().find(|(n, _)| *n == bit) {
                Some((_, v)) => mask |= v,
                None => {
                    d.warn(
                        w.loc,
                        format!(
                            "`umask`: unknown bit `{bit}` (I{{R|W|X}}{{USR|GRP|OTH}}, e.g. IWGRP|IWOTH) - ignoring"
                        ),
                    );
                    return None;
                }
            }
            want_bit = false;
            rest = &rest[end..];
        }
    }
    if want_bit {
        let last = node.args().last().map_or(node.loc, |w| w.loc);
        d.warn(
            last,
            "`umask`: a bit is missing after the last `|` - ignoring",
        );
        return None;
    }
    Some(mask)
}

/// `snmp_socket SOCKET`: one word; the first one counts.
fn snmp_socket(d: &mut Diagnostics, node: &Node, slot: &mut Option<String>) {
    match node.args() {
        [] => {
            d.warn(node.loc, "`snmp_socket` needs a socket name - ignoring");
        }
        [w] => match slot {
            Some(old) => {
                d.warn(
                    w.loc,
                    format!("`snmp_socket` is already `{old}` - ignoring `{}`", w.text),
                );
            }
            None => *slot = Some(w.text.clone()),
        },
        [_, extra, ..] => {
            d.warn(
                extra.loc,
                "`snmp_socket` takes one socket name - ignoring the line",
            );
        }
    }
}
