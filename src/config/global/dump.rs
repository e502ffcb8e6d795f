//! Canonical text of the global settings: the top-level keywords, then one `global_defs` block
//! with every setting that differs from keepalived's default (the router id always, when set).
//! Read back, the text gives an equal [`Global`].

use std::time::Duration;

use super::*;
use crate::config::dump::{Writer, quote};
use crate::config::value::fmt_secs;

impl Global {
    pub fn dump(&self, w: &mut Writer) {
        let def = Global::default();
        w.flag("linkbeat_use_polling", self.linkbeat_use_polling);
        w.opt("net_namespace", &self.net_namespace);
        if let Some(n) = &self.net_namespace_ipvs {
            w.line("net_namespace_ipvs", n.as_slice());
        }
        w.flag("namespace_with_ipsets", self.namespace_with_ipsets);
        w.opt("instance", &self.instance);
        w.flag("use_pid_dir", self.use_pid_dir);
        if self.child_wait_time != def.child_wait_time {
            w.line("child_wait_time", &[secs(self.child_wait_time)]);
        }
        let mut body = Writer::new();
        self.dump_defs(&mut body, &def);
        let body = body.finish();
        if !body.is_empty() {
            w.open::<&str>("global_defs", &[]);
            for line in body.lines() {
                w.raw(line);
            }
            w.close();
        }
    }

    fn dump_defs(&self, w: &mut Writer, def: &Global) {
        w.opt("router_id", &self.router_id);
        let p = &self.process_names;
        w.flag("process_names", p.defaults);
        w.opt("process_name", &p.parent);
        w.opt("vrrp_process_name", &p.vrrp);
        w.opt("checker_process_name", &p.checker);
        w.opt("bfd_process_name", &p.bfd);

        let e = &self.email;
        if !e.to.is_empty() {
            w.open::<&str>("notification_email", &[]);
            for a in &e.to {
                w.raw(&quote(a));
            }
            w.close();
        }
        w.opt("notification_email_from", &e.from);
        if let Some(s) = &e.smtp_server {
            let host = match &s.host {
                SmtpHost::Ip(a) => a.to_string(),
                SmtpHost::Name(n) => n.clone(),
            };
            w.line("smtp_server", &[host, s.port.to_string()]);
        }
        w.opt("smtp_helo_name", &e.helo_name);
        if e.connect_timeout != def.email.connect_timeout {
            w.line("smtp_connect_timeout", &[secs(e.connect_timeout)]);
        }
        opt_bool(w, "smtp_alert", e.alert);
        opt_bool(w, "smtp_alert_vrrp", e.alert_vrrp);
        opt_bool(w, "smtp_alert_checker", e.alert_checker);
        w.flag("no_email_faults", e.no_email_faults);
        w.flag("no_checker_emails", e.no_checker_emails);

        let s = &self.scripts;
        if let Some(u) = &s.user {
            let mut v = vec![u.user.clone()];
            v.extend(u.group.clone());
            w.line("script_user", &v);
        }
        w.flag("enable_script_security", s.security);
        w.flag("set_supplementary_groups", s.set_supplementary_groups);
        w.flag("use_symlink_paths", s.use_symlink_paths);
        script(w, "startup_script", &s.startup);
        if s.startup_timeout != def.scripts.startup_timeout {
            w.line("startup_script_timeout", &[secs(s.startup_timeout)]);
        }
        script(w, "shutdown_script", &s.shutdown);
        if s.shutdown_timeout != def.scripts.shutdown_timeout {
            w.line("shutdown_script_timeout", &[secs(s.shutdown_timeout)]);
        }

        let i = &self.interfaces;
        match i.dynamic {
            DynamicInterfaces::Off => {}
            DynamicInterfaces::On => w.line::<&str>("dynamic_interfaces", &[]),
            DynamicInterfaces::AllowIfChanges => {
                w.line("dynamic_interfaces", &["allow_if_changes"]);
            }
        }
        w.opt("default_interface", &i.default_interface);
        w.opt("vmac_prefix", &i.vmac_prefix);
        w.opt("vmac_addr_prefix", &i.vmac_addr_prefix);
        w.flag("disable_local_igmp", i.disable_local_igmp);

        self.dump_vrrp(w, &def.vrrp);
        self.dump_firewall_lvs(w, def);
        self.dump_process(w, def);
        self.dump_misc(w);
    }

    fn dump_vrrp(&self, w: &mut Writer, def: &VrrpDefaults) {
        let v = &self.vrrp;
        if v.mcast_group4 != def.mcast_group4 {
            w.line("vrrp_mcast_group4", &[v.mcast_group4.to_string()]);
        }
        if v.mcast_group6 != def.mcast_group6 {
            w.line("vrrp_mcast_group6", &[v.mcast_group6.to_string()]);
        }
        if v.garp_master_delay != def.garp_master_delay {
            w.line("vrrp_garp_master_delay", &[secs(v.garp_master_delay)]);
        }
        if v.garp_master_repeat != def.garp_master_repeat {
            w.line(
                "vrrp_garp_master_repeat",
                &[v.garp_master_repeat.to_string()],
            );
        }
        w.opt(
            "vrrp_garp_lower_prio_delay",
            &v.garp_lower_prio_delay.map(secs),
        );
        w.opt("vrrp_garp_lower_prio_repeat", &v.garp_lower_prio_repeat);
        if v.garp_master_refresh != def.garp_master_refresh {
            w.line("vrrp_garp_master_refresh", &[secs(v.garp_master_refresh)]);
        }
        if v.garp_master_refresh_repeat != def.garp_master_refresh_repeat {
            w.line(
                "vrrp_garp_master_refresh_repeat",
                &[v.garp_master_refresh_repeat.to_string()],
            );
        }
        if v.garp_interval != def.garp_interval {
            w.line("vrrp_garp_interval", &[fmt_secs(v.garp_interval)]);
        }
        if v.gna_interval != def.gna_interval {
            w.line("vrrp_gna_interval", &[fmt_secs(v.gna_interval)]);
        }
        bool_line(w, "vrrp_min_garp", v.min_garp);
        if let Some(g) = v.garp_extra_if {
            let mut a = Vec::new();
            if g.all {
                a.push("all".to_string());
            }
            a.push(secs(g.interval));
            w.line("vrrp_garp_extra_if", &a);
        }
        if v.down_timer_adverts != def.down_timer_adverts {
            w.line(
                "vrrp_down_timer_adverts",
                &[v.down_timer_adverts.to_string()],
            );
        }
        if v.version != def.version {
            w.line("vrrp_version", &[v.version.to_string()]);
        }
        w.flag("vrrp_strict", v.strict);
        w.flag("vrrp_check_unicast_src", v.check_unicast_src);
        w.flag("vrrp_skip_check_adv_addr", v.skip_check_adv_addr);
        opt_bool(w, "vrrp_lower_prio_no_advert", v.lower_prio_no_advert);
        bool_line(w, "vrrp_higher_prio_send_advert", v.higher_prio_send_advert);
        w.opt("vrrp_startup_delay", &v.startup_delay.map(fmt_secs));
        w.opt("vrrp_delay_after_boot", &v.delay_after_boot.map(fmt_secs));
        w.flag("log_unknown_vrids", v.log_unknown_vrids);
        bool_line(w, "v3_checksum_as_v2", v.v3_checksum_as_v2);
        bool_line(w, "vrrp_notify_priority_changes", v.notify_priority_changes);
        bool_line(w, "vrrp_owner_ignore_adverts", v.owner_ignore_adverts);
        match v.rx_bufs_policy {
            None => {}
            Some(RxBufsPolicy::Mtu) => w.line("vrrp_rx_bufs_policy", &["MTU"]),
            Some(RxBufsPolicy::Advert) => w.line("vrrp_rx_bufs_policy", &["ADVERT"]),
            Some(RxBufsPolicy::Size(n)) => w.line("vrrp_rx_bufs_policy", &[n.to_string()]),
        }
        if v.rx_bufs_multiplier != def.rx_bufs_multiplier {
            w.line(
                "vrrp_rx_bufs_multiplier",
                &[v.rx_bufs_multiplier.to_string()],
            );
        }
    }

    fn dump_firewall_lvs(&self, w: &mut Writer, def: &Global) {
        let f = &self.firewall;
        if let Some(ipt) = &f.iptables {
            let a: Vec<&String> = ipt.in_chain.iter().chain(ipt.out_chain.iter()).collect();
            w.line("vrrp_iptables", &a);
        }
        if let Some(sets) = &f.ipsets {
            w.line("vrrp_ipsets", sets);
        }
        w.opt("nftables", &f.nftables);
        if f.nftables_priority != def.firewall.nftables_priority {
            w.line("nftables_priority", &[f.nftables_priority.to_string()]);
        }
        w.flag("nftables_counters", f.nftables_counters);
        w.flag("nftables_ifindex", f.nftables_ifindex);
        w.opt("nftables_ipvs", &f.nftables_ipvs);
        w.opt("nftables_ipvs_priority", &f.nftables_ipvs_priority);
        if f.nftables_ipvs_start_fwmark != def.firewall.nftables_ipvs_start_fwmark {
            w.line(
                "nftables_ipvs_start_fwmark",
                &[f.nftables_ipvs_start_fwmark.to_string()],
            );
        }

        let l = &self.lvs;
        let mut t = Vec::new();
        for (name, v) in [
            ("tcp", l.timeouts.tcp),
            ("tcpfin", l.timeouts.tcpfin),
            ("udp", l.timeouts.udp),
        ] {
            if let Some(v) = v {
                t.push(name.to_string());
                t.push(v.to_string());
            }
        }
        if !t.is_empty() {
            w.line("lvs_timeouts", &t);
        }
        w.flag("lvs_flush", l.flush);
        if l.reconcile_interval != super::RECONCILE_DEFAULT {
            w.line(
                "lvs_reconcile_interval",
                &[l.reconcile_interval.to_string()],
            );
        }
        if let Some(s) = l.drain_on_remove {
            w.line("lvs_drain_on_remove", &[s.to_string()]);
        }
        match l.flush_on_stop {
            FlushOnStop::No => {}
            FlushOnStop::All => w.line::<&str>("lvs_flush_on_stop", &[]),
            FlushOnStop::Vs => w.line("lvs_flush_on_stop", &["VS"]),
        }
        if let Some(s) = &l.sync_daemon {
            let mut a = vec![s.interface.clone()];
            if let Some(i) = &s.instance {
                a.push("inst".into());
                a.push(i.clone());
            }
            let opts = [
                ("id", s.syncid.map(|v| v.to_string())),
                ("maxlen", s.maxlen.map(|v| v.to_string())),
                ("port", s.port.map(|v| v.to_string())),
                ("ttl", s.ttl.map(|v| v.to_string())),
                ("group", s.group.map(|v| v.to_string())),
            ];
            for (k, v) in opts {
                if let Some(v) = v {
                    a.push(k.into());
                    a.push(v);
                }
            }
            w.line("lvs_sync_daemon", &a);
        }
        bool_line(w, "checker_log_all_failures", l.checker_log_all_failures);
        bool_line(w, "rs_init_notifies", l.rs_init_notifies);

        for (name, fifo) in [
            ("notify_fifo", &self.fifos.notify),
            ("vrrp_notify_fifo", &self.fifos.vrrp),
            ("lvs_notify_fifo", &self.fifos.lvs),
        ] {
            if let Some(p) = &fifo.path {
                let mut a = vec![p.path.clone()];
                a.extend(p.user.clone());
                a.extend(p.group.clone());
                w.line(name, &a);
            }
            script(w, &format!("{name}_script"), &fifo.script);
        }
        w.flag(
            "fifo_write_vrrp_states_on_reload",
            self.fifos.write_vrrp_states_on_reload,
        );
    }

    fn dump_process(&self, w: &mut Writer, def: &Global) {
        for (name, p) in [
            ("vrrp", &self.sched.vrrp),
            ("checker", &self.sched.checker),
            ("bfd", &self.sched.bfd),
        ] {
            if let Some(n) = p.priority {
                w.line(&format!("{name}_priority"), &[n.to_string()]);
            }
            w.flag(&format!("{name}_no_swap"), p.no_swap);
            if !p.cpu_affinity.is_empty() {
                let c: Vec<String> = p.cpu_affinity.iter().map(|c| c.to_string()).collect();
                w.line(&format!("{name}_cpu_affinity"), &c);
            }
            if let Some(n) = p.rt_priority {
                w.line(&format!("{name}_rt_priority"), &[n.to_string()]);
            }
            if let Some(n) = p.rlimit_rttime {
                w.line(&format!("{name}_rlimit_rttime"), &[n.to_string()]);
            }
            if let Some(n) = p.sched_slice {
                w.line(&format!("{name}_sched_slice"), &[n.to_string()]);
            }
        }
        w.opt("max_auto_priority", &self.sched.max_auto_priority);
        if self.sched.min_auto_priority_delay != def.sched.min_auto_priority_delay {
            w.line(
                "min_auto_priority_delay",
                &[self.sched.min_auto_priority_delay.as_micros().to_string()],
            );
        }
        let n = &self.netlink;
        for (name, b) in [
            ("vrrp_netlink_cmd", n.vrrp_cmd),
            ("vrrp_netlink_monitor", n.vrrp_monitor),
            ("lvs_netlink_cmd", n.lvs_cmd),
            ("lvs_netlink_monitor", n.lvs_monitor),
            ("process_monitor", n.process_monitor),
        ] {
            if let Some(s) = b.size {
                w.line(&format!("{name}_rcv_bufs"), &[s.to_string()]);
            }
            bool_line(w, &format!("{name}_rcv_bufs_force"), b.force);
        }
    }

    fn dump_misc(&self, w: &mut Writer) {
        let r = &self.reload;
        if let Some(c) = &r.check_config {
            w.line("reload_check_config", c.as_slice());
        }
        w.opt("reload_time_file", &r.time_file);
        w.flag("reload_repeat", r.repeat);
        if let Some(f) = &r.file {
            w.line("reload_file", f.as_slice());
        }
        if let Some(ic) = r.include_check {
            let mut a = Vec::new();
            for (sign, set) in [("+", ic.add), ("-", ic.remove)] {
                for (name, on) in [
                    ("readable", set.readable),
                    ("match", set.matches),
                    ("wildcard_match", set.wildcard_match),
                    ("brace_match", set.brace_match),
                ] {
                    if on {
                        a.push(format!("{sign}{name}"));
                    }
                }
            }
            w.line("include_check", &a);
        }
        w.opt("tmp_config_directory", &r.tmp_config_directory);
        w.opt("config_save_dir", &r.config_save_dir);
        w.opt("random_seed", &self.random_seed);
        if let Some(m) = self.umask {
            w.line("umask", &[format!("0{m:o}")]);
        }
        let dm = &self.dumps;
        bool_line(w, "data_use_instance", dm.data_use_instance);
        w.opt("state_dump_file", &dm.state_file);
        w.opt("stats_dump_file", &dm.stats_file);
        w.opt("json_dump_file", &dm.json_file);
        w.opt("json_version", &dm.json_version);
        if let Some(a) = self.metrics_listen {
            w.line(
                "metrics_listen",
                &[a.ip().to_string(), a.port().to_string()],
            );
        }
        let s = &self.snmp;
        w.opt("snmp_socket", &s.socket);
        w.flag("enable_snmp_vrrp", s.vrrp);
        w.flag("enable_snmp_checker", s.checker);
        w.flag("enable_snmp_rfcv2", s.rfcv2);
        w.flag("enable_snmp_rfcv3", s.rfcv3);
        w.flag("enable_traps", s.traps);
        w.flag("enable_dbus", self.dbus.enabled);
        w.opt("dbus_service_name", &self.dbus.service_name);
        w.opt("iproute_usr_dir", &self.iproute_usr_dir);
        w.opt("iproute_etc_dir", &self.iproute_etc_dir);
    }
}

/// A flag with an optional boolean, written when set.
fn bool_line(w: &mut Writer, k: &str, on: bool) {
    if on {
        w.line(k, &["true"]);
    }
}

fn opt_bool(w: &mut Writer, k: &str, v: Option<bool>) {
    if let Some(b) = v {
        w.line(k, &[if b { "true" } else { "false" }]);
    }
}

fn script(w: &mut Writer, k: &str, s: &Option<Script>) {
    if let Some(s) = s {
        let mut a = vec![s.cmd.clone()];
        a.extend(s.user.clone());
        a.extend(s.group.clone());
        w.line(k, &a);
    }
}

/// Whole seconds.
fn secs(d: Duration) -> String {
    d.as_secs().to_string()
}
