//! Reading the global keywords. Each keyword's diagnostics follow what keepalived 2.2.7 reports
//! (Warning) or accepts silently (nothing, or a Note); the tests quote keepalived's messages.

use std::net::IpAddr;
use std::time::Duration;

use super::*;
use crate::config::source::Diagnostics;
use crate::config::tree::{Node, Word};
use crate::config::value;

mod sections;
mod values;
mod vrrp_defs;

use values::*;

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
    "lvs_reconcile_interval",
    "lvs_drain_on_remove",
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
    "vrrp_sched_slice",
    "checker_sched_slice",
    "bfd_sched_slice",
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
    "metrics_listen",
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
