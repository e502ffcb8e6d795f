//! The firewall, LVS, process and remaining settings of `global_defs`.

use super::*;

impl Global {
    pub(super) fn firewall_or_lvs(&mut self, k: &str, node: &Node, d: &mut Diagnostics) -> bool {
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
            // keepalived-rs only: how often the kernel's table is compared with ours.
            "lvs_reconcile_interval" => {
                value::extra(d, node, 1);
                if let Some(n) = value::dec_arg(d, node, 1, 3600) {
                    l.reconcile_interval = n as u32;
                }
            }
            // keepalived-rs only: drain a removed real server instead of deleting it at once.
            "lvs_drain_on_remove" => {
                value::extra(d, node, 1);
                if node.args().is_empty() {
                    l.drain_on_remove = Some(DRAIN_DEFAULT);
                } else if let Some(n) = value::dec_arg(d, node, 1, 86_400) {
                    l.drain_on_remove = Some(n as u32);
                }
            }
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

    pub(super) fn process_keyword(&mut self, k: &str, node: &Node, d: &mut Diagnostics) -> bool {
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
                "sched_slice" => {
                    if let Some(n) = value::dec_arg(d, node, 100, 100_000) {
                        p.sched_slice = Some(n as u32);
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

    pub(super) fn misc_keyword(&mut self, k: &str, node: &Node, d: &mut Diagnostics) -> bool {
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
            // keepalived-rs only: the Prometheus metrics listener.
            "metrics_listen" => {
                value::extra(d, node, 2);
                match node.args() {
                    [a, p, ..] => {
                        let ip = value::ip(d, k, a);
                        let port = value::dec_in(d, k, p, 1, 65535);
                        if let (Some(ip), Some(port)) = (ip, port) {
                            self.metrics_listen = Some((ip, port as u16).into());
                        }
                    }
                    _ => {
                        d.warn(
                            node.loc,
                            "`metrics_listen` needs an address and a port - ignoring",
                        );
                    }
                }
            }
            "snmp_socket"
            | "enable_traps"
            | "enable_snmp_vrrp"
            | "enable_snmp_keepalived"
            | "enable_snmp_checker"
            | "enable_snmp_rfc"
            | "enable_snmp_rfcv2"
            | "enable_snmp_rfcv3" => {
                if matches!(
                    k,
                    "enable_snmp_vrrp"
                        | "enable_snmp_keepalived"
                        | "enable_snmp_checker"
                        | "enable_snmp_rfcv3"
                ) {
                    d.note(
                        node.loc,
                        format!("`{k}`: this MIB is not served by keepalived-rs yet - no effect"),
                    );
                }
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
