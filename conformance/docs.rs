//! The documentation agrees with the binary and with keepalived(8):
//! - `--help` lists every flag of keepalived(8) as the reference's section 1.8 gives them;
//! - man/keepalived-rs.8 renders without a groff warning and documents every flag we parse.
//! - the source keeps its layers: no module of `src/` imports one above it (the crate map in
//!   `src/lib.rs`).

mod common;

use std::process::Command;

use common::{bin, require, shared_dir};

/// The flags named in the first column of the reference's section 1.8 table: `-f`, `--use-file`...
fn reference_flags(md: &str) -> Vec<String> {
    let start = md.find("### 1.8").expect("section 1.8 in the reference");
    let section = &md[start..];
    let end = section[4..].find("\n## ").map_or(section.len(), |e| e + 4);
    let mut flags = Vec::new();
    for line in section[..end].lines() {
        let Some(row) = line.strip_prefix('|') else {
            continue;
        };
        let first = row.split('|').next().unwrap_or_default();
        // Only the back-quoted parts name flags.
        for (i, part) in first.split('`').enumerate() {
            if i % 2 == 0 {
                continue;
            }
            for word in part.split([' ', ',', '=', '[']) {
                let word = word.trim();
                if word.starts_with('-') && word.len() > 1 && !word.starts_with("---") {
                    flags.push(word.to_string());
                }
            }
        }
    }
    flags
}

#[test]
fn help_lists_every_keepalived_flag() {
    let path = shared_dir().join("reference").join("keepalived.md");
    if !require(
        path.exists(),
        &format!("reference {} not found", path.display()),
    ) {
        return;
    }
    let md = std::fs::read_to_string(&path).unwrap();
    let flags = reference_flags(&md);
    assert!(flags.len() >= 50, "the table parses: {flags:?}");
    let out = Command::new(bin()).arg("--help").output().unwrap();
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    let missing: Vec<&String> = flags
        .iter()
        .filter(|f| {
            // A whole word in the help: `-f,` `--use-file=` `--all ` but not `--all` inside `--all-config`.
            !help
                .split(|c: char| c.is_whitespace() || c == ',' || c == '=' || c == '[')
                .any(|w| w == f.as_str())
        })
        .collect();
    assert!(
        missing.is_empty(),
        "flags of keepalived(8) missing from --help: {missing:?}\n{help}"
    );
}

/// groff's ASCII output with overstriking (bold, underline) removed.
fn render(page: &str) -> Option<(String, String)> {
    let out = Command::new("groff")
        .args(["-man", "-Tascii", "-ww", page])
        .output()
        .ok()?;
    let raw = String::from_utf8_lossy(&out.stdout);
    let mut text = String::new();
    for c in raw.chars() {
        if c == '\u{8}' {
            text.pop();
        } else {
            text.push(c);
        }
    }
    Some((text, String::from_utf8_lossy(&out.stderr).into_owned()))
}

fn groff_present() -> bool {
    Command::new("groff")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn man_pages_render_without_warnings() {
    if !require(groff_present(), "groff not installed") {
        return;
    }
    let page = concat!(env!("CARGO_MANIFEST_DIR"), "/man/keepalived-rs.8");
    for device in ["-Tutf8", "-Tascii"] {
        let out = Command::new("groff")
            .args(["-man", device, "-ww", page])
            .output()
            .unwrap();
        assert!(out.status.success());
        let warnings = String::from_utf8_lossy(&out.stderr);
        assert!(warnings.is_empty(), "groff {device} warnings:\n{warnings}");
    }
}

#[test]
fn man_page_documents_every_flag_and_signal() {
    if !require(groff_present(), "groff not installed") {
        return;
    }
    let (text, _) = render(concat!(env!("CARGO_MANIFEST_DIR"), "/man/keepalived-rs.8")).unwrap();
    // Rendered text hyphenates long words at line ends; join them back.
    let text = text.replace("-\n", "-");
    for long in keepalived_rs::cli::long_flags() {
        assert!(
            text.contains(&format!("--{long}")),
            "man page lacks --{long}"
        );
    }
    for sig in [
        "SIGHUP",
        "SIGTERM",
        "SIGINT",
        "SIGUSR1",
        "SIGUSR2",
        "SIGRTMIN+2",
        "SIGRTMAX-1",
        "SIGCHLD",
    ] {
        assert!(text.contains(sig), "man page lacks {sig}");
    }
    for section in [
        "SIGNALS",
        "FILES",
        "EXIT STATUS",
        "DIFFERENCES FROM KEEPALIVED",
    ] {
        assert!(text.contains(section), "man page lacks section {section}");
    }
}

/// Every keyword the configuration reader accepts below the top level, copied from the code (the
/// per-block lists are private to their modules): the keyword lists of `global_defs`
/// (`config/global/parse.rs` `KNOWN`), of `vrrp_instance` and its blocks (`config/vrrp/`:
/// `INSTANCE_KEYWORDS`, `SCRIPT_KEYWORDS`, `PROCESS_KEYWORDS`, `FILE_KEYWORDS`,
/// `SYNC_GROUP_KEYWORDS`, `HMAC_KEYWORDS`, `GARP_KEYWORDS`), the options of address, route and
/// rule lines (`ADDR_OPTIONS`, `ROUTE_KEYWORDS`, `ROUTE_OPTS`, `RULE_KEYWORDS`, `RULE_OPTS`), of
/// the LVS section (`config/lvs/`: `VS_KNOWN`, `RS_KNOWN`, `CHECKERS`, `CONN_KEYWORDS`,
/// `BASE_KEYWORDS`, the checker-specific lists, `URL_KNOWN`, `REGEX_OPTIONS`, `SSL`) and of
/// `bfd_instance` (`config/bfd.rs` `KNOWN`). Keep in sync when a keyword is added; the top-level
/// keywords come from `keepalived_rs::config::top_keywords()`.
const CONF_KEYWORDS: &[&str] = &[
    // global_defs
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
    "allow_if_changes",
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
    "readable",
    "match",
    "wildcard_match",
    "brace_match",
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
    // lvs_sync_daemon options
    "inst",
    "id",
    "maxlen",
    "port",
    "ttl",
    "group",
    // vrrp_instance
    "state",
    "MASTER",
    "BACKUP",
    "interface",
    "vrf",
    "use_vmac",
    "name",
    "netlink_notify_msg",
    "use_vmac_addr",
    "vmac_xmit_base",
    "use_ipvlan",
    "bridge",
    "private",
    "vepa",
    "native_ipv6",
    "dont_track_primary",
    "track_interface",
    "track_script",
    "track_file",
    "track_process",
    "track_bfd",
    "weight",
    "reverse",
    "noreverse",
    "mcast_src_ip",
    "unicast_src_ip",
    "mcast_dst_ip",
    "track_src_ip",
    "version",
    "check_unicast_src",
    "unicast_peer",
    "min_ttl",
    "max_ttl",
    "unicast_fault_no_peer",
    "unicast_ttl",
    "old_unicast_checksum",
    "never",
    "garp_master_delay",
    "garp_master_repeat",
    "garp_lower_prio_delay",
    "garp_lower_prio_repeat",
    "garp_master_refresh",
    "garp_master_refresh_repeat",
    "garp_interval",
    "gna_interval",
    "garp_extra_if",
    "vmac_garp_intvl",
    "down_timer_adverts",
    "timer_expired_backup",
    "lower_prio_no_advert",
    "higher_prio_send_advert",
    "virtual_router_id",
    "priority",
    "advert_int",
    "authentication",
    "auth_type",
    "auth_pass",
    "PASS",
    "AH",
    "auth_hmac",
    "key",
    "active_key",
    "anti_replay",
    "time_window",
    "mode",
    "enforce",
    "permissive",
    "receive-only",
    "virtual_ipaddress",
    "virtual_ipaddress_excluded",
    "no_virtual_ipaddress",
    "promote_secondaries",
    "linkbeat_use_polling",
    "virtual_routes",
    "virtual_rules",
    "accept",
    "no_accept",
    "skip_check_adv_addr",
    "strict_mode",
    "preempt",
    "nopreempt",
    "preempt_delay",
    "debug",
    "notify_master",
    "notify_backup",
    "notify_fault",
    "notify_stop",
    "notify_deleted",
    "notify",
    "notify_master_rx_lower_pri",
    "notify_priority_changes",
    "kernel_rx_buf_size",
    "lvs_sync_daemon_interface",
    "owner_ignore_adverts",
    // vrrp_script
    "script",
    "interval",
    "timeout",
    "rise",
    "fall",
    "user",
    "init_fail",
    // vrrp_track_process
    "process",
    "param_match",
    "initial",
    "partial",
    "quorum",
    "quorum_max",
    "delay",
    "terminate_delay",
    "fork_delay",
    "full_command",
    // track_file
    "file",
    "init_file",
    "overwrite",
    // vrrp_sync_group
    "global_tracking",
    "sync_group_tracking_weight",
    // garp_group
    "interfaces",
    // linkbeat_interfaces
    "MII",
    "ETHTOOL",
    "IOCTL",
    // address lines
    "dev",
    "scope",
    "brd",
    "broadcast",
    "label",
    "peer",
    "home",
    "-nodad",
    "mngtmpaddr",
    "noprefixroute",
    "autojoin",
    "no_track",
    "preferred_lft",
    "forever",
    "track_group",
    // route lines
    "inet",
    "inet6",
    "unicast",
    "local",
    "anycast",
    "multicast",
    "blackhole",
    "unreachable",
    "prohibit",
    "throw",
    "nat",
    "to",
    "default",
    "any",
    "all",
    "default6",
    "src",
    "from",
    "via",
    "gw",
    "or",
    "oif",
    "table",
    "metric",
    "preference",
    "protocol",
    "add",
    "prepend",
    "append",
    "nexthop",
    "encap",
    "mpls",
    "ip",
    "ip6",
    "ila",
    "tos",
    "dsfield",
    "realms",
    "realm",
    "expires",
    "mtu",
    "advmss",
    "rtt",
    "rttvar",
    "rto_min",
    "reordering",
    "window",
    "cwnd",
    "ssthresh",
    "hoplimit",
    "initcwnd",
    "initrwnd",
    "lock",
    "features",
    "quickack",
    "congctl",
    "pref",
    "fastopen_no_cookie",
    "ttl-propagate",
    "onlink",
    // rule lines
    "not",
    "order",
    "lookup",
    "goto",
    "nop",
    "l3mdev",
    "iif",
    "fwmark",
    "suppress_prefixlength",
    "sup_pl",
    "suppress_ifgroup",
    "sup_group",
    "uidrange",
    "ipproto",
    "ip_proto",
    "sport",
    "dport",
    "tunnel-id",
    // virtual_server
    "ip_family",
    "retry",
    "delay_before_retry",
    "warmup",
    "connect_timeout",
    "delay_loop",
    "inhibit_on_failure",
    "lb_algo",
    "lvs_sched",
    "rr",
    "wrr",
    "lc",
    "wlc",
    "lblc",
    "sh",
    "mh",
    "dh",
    "fo",
    "ovf",
    "lblcr",
    "sed",
    "nq",
    "twos",
    "hashed",
    "ops",
    "flag-1",
    "flag-2",
    "flag-3",
    "sh-port",
    "sh-fallback",
    "mh-port",
    "mh-fallback",
    "lb_kind",
    "lvs_method",
    "NAT",
    "DR",
    "TUN",
    "type",
    "ipip",
    "gue",
    "gre",
    "nocsum",
    "csum",
    "remcsum",
    "persistence_engine",
    "persistence_timeout",
    "persistence_granularity",
    "TCP",
    "UDP",
    "SCTP",
    "ha_suspend",
    "virtualhost",
    "snmp_name",
    "alpha",
    "omega",
    "quorum_up",
    "quorum_down",
    "hysteresis",
    "sorry_server",
    "sorry_server_inhibit",
    "sorry_server_lvs_method",
    "real_server",
    // real_server
    "uthreshold",
    "lthreshold",
    "notify_up",
    "notify_down",
    "HTTP_GET",
    "SSL_GET",
    "TCP_CHECK",
    "SMTP_CHECK",
    "DNS_CHECK",
    "MISC_CHECK",
    "BFD_CHECK",
    "UDP_CHECK",
    "PING_CHECK",
    "FILE_CHECK",
    // checkers
    "connect_ip",
    "connect_port",
    "bindto",
    "bind_port",
    "bind_if",
    "log_all_failures",
    "nb_get_retry",
    "http_protocol",
    "enable_sni",
    "sni_name",
    "tls_compliant",
    "fast_recovery",
    "url",
    "helo_name",
    "host",
    "misc_path",
    "misc_timeout",
    "misc_dynamic",
    "payload",
    "require_reply",
    "min_reply_length",
    "max_reply_length",
    "dynamic",
    // DNS_CHECK types
    "A",
    "NS",
    "CNAME",
    "SOA",
    "MX",
    "TXT",
    "AAAA",
    "RRSIG",
    "DNSKEY",
    // url
    "path",
    "digest",
    "status_code",
    "regex",
    "regex_no_match",
    "regex_options",
    "regex_min_offset",
    "regex_max_offset",
    "regex_stack",
    "allow_empty_class",
    "alt_bsux",
    "auto_callout",
    "caseless",
    "dollar_endonly",
    "dotall",
    "dupnames",
    "extended",
    "firstline",
    "match_unset_backref",
    "multiline",
    "never_ucp",
    "never_utf",
    "no_auto_capture",
    "no_auto_possess",
    "no_dotstar_anchor",
    "no_start_optimize",
    "ucp",
    "ungreedy",
    "utf",
    "never_backslash_c",
    "alt_circumflex",
    "alt_verbnames",
    "use_offset_limit",
    // SSL
    "password",
    "ca",
    "certificate",
    // bfd_instance
    "neighbor_ip",
    "neighbour_ip",
    "source_ip",
    "min_rx",
    "min_tx",
    "idle_tx",
    "multiplier",
    "passive",
    "max_hops",
    "multihop",
    "vrrp",
    "checker",
];

#[test]
fn conf_page_documents_every_keyword() {
    if !require(groff_present(), "groff not installed") {
        return;
    }
    let page = concat!(env!("CARGO_MANIFEST_DIR"), "/man/keepalived-rs.conf.5");
    let (text, warnings) = render(page).unwrap();
    assert!(warnings.is_empty(), "groff warnings:\n{warnings}");
    // The page is not hyphenated (`.nh`); a keyword is a whole word of the rendered text.
    let words: std::collections::HashSet<&str> = text
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
        .collect();
    let top = keepalived_rs::config::top_keywords();
    let missing: Vec<&str> = top
        .iter()
        .chain(CONF_KEYWORDS)
        .copied()
        .filter(|k| !words.contains(k))
        .collect();
    assert!(
        missing.is_empty(),
        "keywords missing from man/keepalived-rs.conf.5: {missing:?}"
    );
    for section in [
        "PREPROCESSING",
        "VALUES",
        "GLOBAL_DEFS",
        "VRRP",
        "LVS",
        "BFD",
        "What the daemon acts on",
        "Differences in reading the configuration",
        "DIAGNOSTICS",
    ] {
        assert!(text.contains(section), "conf page lacks {section}");
    }
    for variant in ["includer", "includem", "includew", "includeb", "includea"] {
        assert!(words.contains(variant), "conf page lacks {variant}");
    }
    for builtin in [
        "${_PWD}",
        "${_INSTANCE}",
        "${_RANDOM",
        "${_ENV",
        "${_HASH}",
        "${_BANG}",
        "~SEQ(",
        "~SEQx(",
        "~LST(",
    ] {
        assert!(text.contains(builtin), "conf page lacks {builtin}");
    }
}

/// The layers of `src/`, bottom up, as the crate map in `src/lib.rs` and the README's Layout
/// give them: a module imports only modules of a lower layer. So a pure machine (`vrrp`, `bfd`)
/// never imports the reactor, `script`, `track` or an executor, and nothing below
/// the daemon imports it. The netlink client speaks kernel terms: it is below `config`.
const LAYERS: &[&[&str]] = &[
    &["sys", "rng"],
    &["time", "logging"],
    &["wire", "netlink"],
    &["config"],
    &["vrrp", "bfd", "check", "snmp"],
    &["mail"],
    &["reactor"],
    &["script", "ipvs"],
    &["track"],
    &["executor"],
    &["status", "pidfile", "cli", "metrics"],
    &["genhash"],
    &["daemon"],
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
}

/// The non-test lines of a source file: stops at a `#[cfg(test)]` module, skips comments.
fn code_lines(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let t = line.trim_start();
        if t.starts_with("#[cfg(test)]")
            && lines
                .peek()
                .is_some_and(|n| n.trim_start().starts_with("mod ") || n.contains(" mod "))
        {
            break;
        }
        if !t.starts_with("//") {
            out.push(line);
        }
    }
    out
}

#[test]
fn no_module_imports_one_above_it() {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut stack = vec![src.clone()];
    let mut bad = Vec::new();
    let mut seen = 0;
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let rel = path
                .strip_prefix(&src)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            let name = path.file_name().unwrap().to_string_lossy();
            // Test-only files: unit tests, simulations, fixtures.
            if [
                "tests.rs",
                "sim.rs",
                "sim_sync.rs",
                "testutil.rs",
                "testdata.rs",
            ]
            .contains(&name.as_ref())
                || rel == "lib.rs"
                || rel == "main.rs"
            {
                continue;
            }
            let module = rel.split(['/', '.']).next().unwrap().to_string();
            let Some(own) = layer_of(&module) else {
                bad.push(format!(
                    "src/{rel}: module {module} is in no layer of LAYERS"
                ));
                continue;
            };
            seen += 1;
            let text = std::fs::read_to_string(&path).unwrap();
            for (n, line) in code_lines(&text).iter().enumerate() {
                for part in line.split("crate::").skip(1) {
                    let dep: String = part
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect();
                    if dep == module || dep.is_empty() {
                        continue;
                    }
                    match layer_of(&dep) {
                        Some(l) if l < own => {}
                        _ => bad.push(format!(
                            "src/{rel}: {module} uses crate::{dep} (code line {})",
                            n + 1
                        )),
                    }
                }
            }
        }
    }
    assert!(seen > 50, "only {seen} source files read");
    assert!(
        bad.is_empty(),
        "imports against the layers:\n{}",
        bad.join("\n")
    );
}
