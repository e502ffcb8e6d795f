//! Global section tests. Expected diagnostics were calibrated against keepalived 2.2.7
//! (`keepalived -t -f FILE -l -n`); its message is quoted beside each case.

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use super::check::Accounts;
use super::*;
use crate::config::bfd::Bfd;
use crate::config::dump::Writer;
use crate::config::source::{Diagnostic, FileId, Loc, Severity};
use crate::config::testutil::{self, of};
use crate::config::tree;

fn parse(text: &str) -> (Global, Vec<Diagnostic>) {
    let (cfg, d) = testutil::load(text);
    (cfg.global, d)
}

/// Parses the lines inside one `global_defs` block (which starts on line 1, so the first given
/// line is line 2).
fn defs(lines: &str) -> (Global, Vec<Diagnostic>) {
    parse(&format!("global_defs {{\n{lines}\n}}\n"))
}

fn warnings(list: &[Diagnostic]) -> Vec<(u32, u32, String)> {
    of(list, Severity::Warning)
}

fn notes(list: &[Diagnostic]) -> Vec<(u32, u32, String)> {
    of(list, Severity::Note)
}

fn w(line: u32, col: u32, msg: &str) -> (u32, u32, String) {
    (line, col, msg.to_string())
}

fn hint_of<'a>(list: &'a [Diagnostic], needle: &str) -> Option<&'a str> {
    list.iter()
        .find(|x| x.message.contains(needle))
        .and_then(|x| x.hint.as_deref())
}

fn round_trip(g: &Global) -> String {
    let mut wr = Writer::new();
    g.dump(&mut wr);
    let text = wr.finish();
    let (again, _) = parse(&text);
    assert_eq!(&again, g, "dump:\n{text}");
    text
}

/// Every keyword with a value keepalived accepts, plus the newer ones.
const RICH: &str = r#"linkbeat_use_polling
net_namespace blue
net_namespace_ipvs red
namespace_with_ipsets
use_pid_dir
instance inst1
child_wait_time 7
global_defs {
  tmp_config_directory /tmp
  config_save_dir /var/lib/keepalived/save
  process_names
  process_name kk
  vrrp_process_name kv
  checker_process_name kc
  bfd_process_name kb
  startup_script "/bin/true a" root
  startup_script_timeout 20
  shutdown_script /bin/true root root
  shutdown_script_timeout 1000
  notification_email {
    a@b.c
    d@e.f g@h.i
  }
  notification_email_from x@y.z
  smtp_server 127.0.0.1 2525
  smtp_helo_name foo
  smtp_connect_timeout 31
  smtp_alert yes
  smtp_alert_vrrp off
  smtp_alert_checker true
  checker_log_all_failures on
  no_email_faults
  router_id R1
  vrrp_mcast_group4 224.0.0.19
  vrrp_mcast_group6 ff02::13
  default_interface eth0
  lvs_sync_daemon eth0 VI_1 id 5 maxlen 1400 port 8849 ttl 2 group ff02::81
  lvs_timeouts tcp 900 tcpfin 120 udp 0
  lvs_flush
  lvs_flush_on_stop VS
  vrrp_garp_master_delay 10
  vrrp_garp_master_repeat 2
  vrrp_garp_lower_prio_delay 0
  vrrp_down_timer_adverts 4
  vrrp_garp_lower_prio_repeat 0
  vrrp_garp_master_refresh 60
  vrrp_garp_master_refresh_repeat 2
  vrrp_garp_interval 0.001
  vrrp_gna_interval 0.000001
  vrrp_min_garp true
  vrrp_garp_extra_if all 100
  vrrp_lower_prio_no_advert false
  vrrp_higher_prio_send_advert true
  vrrp_version 3
  nftables kt
  nftables_priority -5
  nftables_counters
  nftables_ifindex
  nftables_ipvs
  nftables_ipvs_priority -2
  nftables_ipvs_start_fwmark 2000
  disable_local_igmp
  vrrp_check_unicast_src
  vrrp_skip_check_adv_addr
  vrrp_strict
  vrrp_notify_priority_changes true
  max_auto_priority -1
  min_auto_priority_delay 500000
  vrrp_priority -5
  checker_priority 5
  bfd_priority 19
  vrrp_no_swap
  checker_no_swap
  bfd_no_swap
  vrrp_cpu_affinity 0 1
  checker_cpu_affinity 0
  bfd_cpu_affinity 1
  vrrp_rt_priority 1
  checker_rt_priority 99
  bfd_rt_priority 50
  vrrp_rlimit_rttime 20000
  checker_rlimit_rttime 2
  bfd_rlimit_rttime 30000
  script_user root root
  enable_script_security
  notify_fifo /run/k/f1 root
  notify_fifo_script /bin/true root
  vrrp_notify_fifo /run/k/f2
  vrrp_notify_fifo_script "/usr/bin/logger -t k"
  lvs_notify_fifo /run/k/f3 root root
  lvs_notify_fifo_script /bin/true
  fifo_write_vrrp_states_on_reload
  dynamic_interfaces allow_if_changes
  vrrp_netlink_cmd_rcv_bufs 1000000
  vrrp_netlink_cmd_rcv_bufs_force true
  vrrp_netlink_monitor_rcv_bufs 0
  vrrp_netlink_monitor_rcv_bufs_force
  lvs_netlink_cmd_rcv_bufs 1000000
  lvs_netlink_cmd_rcv_bufs_force no
  lvs_netlink_monitor_rcv_bufs 1000000
  lvs_netlink_monitor_rcv_bufs_force
  process_monitor_rcv_bufs 500000
  process_monitor_rcv_bufs_force
  vrrp_rx_bufs_policy advert
  vrrp_rx_bufs_multiplier 4
  rs_init_notifies
  no_checker_emails
  umask IWGRP | IWOTH|IXOTH
  vrrp_startup_delay 5.5
  log_unknown_vrids
  vmac_prefix vr
  vmac_addr_prefix vra
  random_seed 1234
  reload_check_config /var/log/k.log
  include_check +match -wildcard_match
  reload_time_file /run/k/rt
  reload_repeat
  reload_file
  data_use_instance true
  set_supplementary_groups
  use_symlink_paths true
  vrrp_delay_after_boot 30
  v3_checksum_as_v2
  vrrp_owner_ignore_adverts yes
  state_dump_file /tmp/k.data
  stats_file_location /tmp/k.stats
  json_dump_file /tmp/k.json
  json_version 2
  iproute_usr_dir /usr/share/iproute2
  iproute_etc_dir /etc/iproute2
  snmp_socket udp:1.2.3.4:705
  enable_snmp_keepalived
  enable_snmp_checker
  enable_snmp_rfc
  enable_traps
  enable_dbus
  dbus_service_name org.k
}
"#;

#[test]
fn defaults_are_keepalived_defaults() {
    let g = Global::default();
    assert_eq!(g.child_wait_time, Duration::from_secs(5));
    assert_eq!(g.email.connect_timeout, Duration::from_secs(30));
    assert_eq!(g.scripts.startup_timeout, Duration::from_secs(10));
    assert_eq!(g.scripts.shutdown_timeout, Duration::from_secs(10));
    let v = &g.vrrp;
    assert_eq!(v.mcast_group4, Ipv4Addr::new(224, 0, 0, 18));
    assert_eq!(v.mcast_group6.to_string(), "ff02::12");
    assert_eq!(v.garp_master_delay, Duration::from_secs(5));
    assert_eq!((v.garp_master_repeat, v.garp_master_refresh_repeat), (5, 1));
    assert_eq!(v.garp_master_refresh, Duration::ZERO);
    assert_eq!(
        (v.garp_interval, v.gna_interval),
        (Duration::ZERO, Duration::ZERO)
    );
    assert_eq!(
        (v.version, v.down_timer_adverts, v.rx_bufs_multiplier),
        (2, 3, 3)
    );
    assert_eq!(g.firewall.nftables_priority, -1);
    assert_eq!(g.firewall.nftables_ipvs_start_fwmark, 1000);
    assert_eq!(g.sched.min_auto_priority_delay, Duration::from_secs(1));
    assert!(!g.enable_script_security());
    assert!(g.script_user().is_none());
    // An empty file, and an empty global_defs, change nothing and dump to nothing.
    assert_eq!(parse("").0, g);
    let (e, diags) = parse("global_defs {\n}\n");
    assert_eq!(e, g);
    assert!(diags.is_empty());
    assert_eq!(round_trip(&g), "");
}

#[test]
fn every_keyword_is_read() {
    let (g, diags) = parse(RICH);
    assert!(warnings(&diags).is_empty(), "{:#?}", warnings(&diags));
    assert_eq!(g.net_namespace.as_deref(), Some("blue"));
    assert_eq!(g.net_namespace_ipvs, Some(Some("red".to_string())));
    assert!(g.linkbeat_use_polling && g.namespace_with_ipsets && g.use_pid_dir);
    assert_eq!(g.instance.as_deref(), Some("inst1"));
    assert_eq!(g.child_wait_time, Duration::from_secs(7));
    assert_eq!(g.router_id.as_deref(), Some("R1"));
    assert!(g.process_names.defaults);
    assert_eq!(g.process_names.checker.as_deref(), Some("kc"));
    let e = &g.email;
    assert_eq!(e.to, ["a@b.c", "d@e.f", "g@h.i"]);
    assert_eq!(
        e.smtp_server,
        Some(SmtpServer {
            host: SmtpHost::Ip("127.0.0.1".parse().unwrap()),
            port: 2525
        })
    );
    assert_eq!(e.connect_timeout, Duration::from_secs(31));
    assert_eq!(
        (e.alert, e.alert_vrrp, e.alert_checker),
        (Some(true), Some(false), Some(true))
    );
    assert!(e.no_email_faults && e.no_checker_emails);
    let s = &g.scripts;
    let startup = s.startup.as_ref().unwrap();
    assert_eq!(startup.cmd, "/bin/true a");
    assert_eq!(startup.user.as_deref(), Some("root"));
    assert_eq!(s.startup_timeout, Duration::from_secs(20));
    assert_eq!(s.shutdown.as_ref().unwrap().group.as_deref(), Some("root"));
    assert!(s.security && s.set_supplementary_groups && s.use_symlink_paths);
    assert!(g.enable_script_security());
    assert_eq!(g.script_user().unwrap().group.as_deref(), Some("root"));
    assert_eq!(g.interfaces.dynamic, DynamicInterfaces::AllowIfChanges);
    let v = &g.vrrp;
    assert_eq!(v.mcast_group4, Ipv4Addr::new(224, 0, 0, 19));
    assert_eq!(v.garp_lower_prio_delay, Some(Duration::ZERO));
    assert_eq!(v.garp_lower_prio_repeat, Some(0));
    assert_eq!(v.garp_interval, Duration::from_millis(1));
    assert_eq!(v.gna_interval, Duration::from_micros(1));
    assert_eq!(
        v.garp_extra_if,
        Some(GarpExtraIf {
            all: true,
            interval: Duration::from_secs(100)
        })
    );
    assert_eq!(v.lower_prio_no_advert, Some(false));
    assert!(v.higher_prio_send_advert && v.strict && v.v3_checksum_as_v2);
    assert!(v.owner_ignore_adverts && v.notify_priority_changes && v.log_unknown_vrids);
    assert_eq!(v.startup_delay, Some(Duration::from_millis(5500)));
    assert_eq!(v.delay_after_boot, Some(Duration::from_secs(30)));
    assert_eq!(v.rx_bufs_policy, Some(RxBufsPolicy::Advert));
    let f = &g.firewall;
    assert_eq!(f.nftables.as_deref(), Some("kt"));
    assert_eq!(f.nftables_ipvs.as_deref(), Some(NFT_IPVS_TABLE));
    assert_eq!(
        (f.nftables_priority, f.nftables_ipvs_priority),
        (-5, Some(-2))
    );
    let l = &g.lvs;
    assert_eq!(
        l.timeouts,
        LvsTimeouts {
            tcp: Some(900),
            tcpfin: Some(120),
            udp: Some(0)
        }
    );
    assert_eq!(l.flush_on_stop, FlushOnStop::Vs);
    assert_eq!(
        l.sync_daemon,
        Some(SyncDaemon {
            interface: "eth0".into(),
            instance: Some("VI_1".into()),
            syncid: Some(5),
            maxlen: Some(1400),
            port: Some(8849),
            ttl: Some(2),
            group: Some("ff02::81".parse().unwrap()),
        })
    );
    assert_eq!(
        g.fifos.lvs.path.as_ref().unwrap().group.as_deref(),
        Some("root")
    );
    assert_eq!(g.sched.vrrp.cpu_affinity, [0, 1]);
    assert_eq!(g.sched.checker.rlimit_rttime, Some(2));
    assert_eq!(g.sched.max_auto_priority, Some(-1));
    assert_eq!(
        g.sched.min_auto_priority_delay,
        Duration::from_micros(500_000)
    );
    assert_eq!(
        g.netlink.vrrp_monitor,
        RcvBufs {
            size: Some(0),
            force: true
        }
    );
    assert!(!g.netlink.lvs_cmd.force);
    assert_eq!(g.umask, Some(0o023));
    assert_eq!(g.reload.file, Some(None));
    assert_eq!(
        g.reload.include_check,
        Some(IncludeCheck {
            add: IncludeChecks {
                matches: true,
                ..IncludeChecks::default()
            },
            remove: IncludeChecks {
                wildcard_match: true,
                ..IncludeChecks::default()
            },
        })
    );
    assert_eq!(g.dumps.stats_file.as_deref(), Some("/tmp/k.stats"));
    assert_eq!(g.dumps.json_version, Some(2));
    assert_eq!(
        g.snmp,
        Snmp {
            socket: Some("udp:1.2.3.4:705".into()),
            vrrp: true,
            checker: true,
            rfcv2: true,
            rfcv3: true,
            traps: true
        }
    );
    assert!(g.dbus.enabled);
    round_trip(&g);
}

#[test]
fn newer_and_unsupported_keywords_are_notes() {
    let (_, diags) = defs("json_version 1\nstate_file_location /x\nenable_traps\nenable_dbus");
    assert_eq!(
        notes(&diags),
        vec![
            w(
                2,
                1,
                "`json_version` is not known to keepalived 2.2.7 (added in a later release)"
            ),
            w(
                3,
                1,
                "`state_file_location` is not known to keepalived 2.2.7 (added in a later release)"
            ),
        ]
    );
    assert!(warnings(&diags).is_empty());
}

#[test]
fn top_level_keywords() {
    // keepalived: "Duplicate net_namespace definition c - ignoring" (not counted as an error),
    // "Duplicate instance definition y - ignoring", "invalid number '1.5'", "Duplicate
    // net_namespace_ipvs definition b - ignoring".
    let (g, diags) = parse(
        "net_namespace a b\nnet_namespace c\nnet_namespace_ipvs\ninstance x\ninstance y\nchild_wait_time 1.5\nlinkbeat_use_polling off\nglobal_defs extra {\n}\nnet_namespace\nchild_wait_time 0\nnet_namespace_ipvs b\n",
    );
    assert_eq!(
        warnings(&diags),
        vec![
            w(5, 10, "`instance` is already `x` - ignoring `y`"),
            w(
                6,
                17,
                "`child_wait_time`: `1.5` is not an integer (range [0, 4294967295]) - ignoring"
            ),
            w(10, 1, "`net_namespace` needs a value - ignoring"),
            w(12, 20, "`net_namespace_ipvs` is already set - ignoring `b`"),
        ]
    );
    assert_eq!(
        notes(&diags),
        vec![
            w(1, 17, "`net_namespace`: extra `b` ignored"),
            w(2, 15, "`net_namespace` is already `a` - ignoring `c`"),
            w(
                7,
                22,
                "`linkbeat_use_polling` takes no value; `off` ignored and `linkbeat_use_polling` enabled"
            ),
            w(8, 13, "`global_defs`: extra `extra` ignored"),
        ]
    );
    assert_eq!(g.net_namespace.as_deref(), Some("a"));
    assert_eq!(g.net_namespace_ipvs, Some(None));
    assert_eq!(g.instance.as_deref(), Some("x"));
    assert_eq!(g.child_wait_time, Duration::ZERO);
    assert!(g.linkbeat_use_polling);
    round_trip(&g);
}

#[test]
fn top_level_keywords_inside_global_defs_are_unknown() {
    // keepalived 2.2.7: "Unknown keyword 'net_namespace'" etc. inside global_defs.
    let (g, diags) =
        defs("  net_namespace x\n  use_pid_dir\n  lvs_id foo\n  garp_master_delay 5\n  routr_id x");
    assert_eq!(
        warnings(&diags),
        vec![
            w(
                2,
                3,
                "unknown keyword `net_namespace` in global_defs - ignoring"
            ),
            w(
                3,
                3,
                "unknown keyword `use_pid_dir` in global_defs - ignoring"
            ),
            w(4, 3, "unknown keyword `lvs_id` in global_defs - ignoring"),
            w(
                5,
                3,
                "unknown keyword `garp_master_delay` in global_defs - ignoring"
            ),
            w(6, 3, "unknown keyword `routr_id` in global_defs - ignoring"),
        ]
    );
    assert_eq!(
        hint_of(&diags, "`net_namespace`"),
        Some("`net_namespace` is a top-level keyword: move it out of `global_defs`")
    );
    assert_eq!(
        hint_of(&diags, "`lvs_id`"),
        Some("`lvs_id` is the old name of `router_id`")
    );
    assert_eq!(
        hint_of(&diags, "`garp_master_delay`"),
        Some("did you mean `vrrp_garp_master_delay`?")
    );
    assert_eq!(
        hint_of(&diags, "`routr_id`"),
        Some("did you mean `router_id`?")
    );
    assert_eq!(g, Global::default());
}

#[test]
fn pure_flags_ignore_their_words() {
    // keepalived 2.2.7 -d: `vrrp_strict off` gives "VRRP strict mode = true".
    let (g, diags) = defs("vrrp_strict off\nno_email_faults x\nenable_traps no");
    assert!(g.vrrp.strict && g.email.no_email_faults && g.snmp.traps);
    assert!(warnings(&diags).is_empty());
    assert_eq!(
        notes(&diags)[0],
        w(
            2,
            13,
            "`vrrp_strict` takes no value; `off` ignored and `vrrp_strict` enabled"
        )
    );
    assert_eq!(
        hint_of(&diags, "`vrrp_strict` takes"),
        Some(
            "keepalived enables `vrrp_strict` whatever follows it; remove the line to leave it off"
        )
    );
    // No hint when the word does not read as "off".
    assert_eq!(hint_of(&diags, "`no_email_faults` takes"), None);
}

#[test]
fn booleans() {
    // keepalived: "Invalid value 'foo' for global smtp_alert specified",
    // "Invalid value for vrrp_min_garp specified".
    let (g, diags) = defs(
        "smtp_alert foo\nvrrp_min_garp x\nsmtp_alert_vrrp\nvrrp_lower_prio_no_advert off\nrs_init_notifies x\nvrrp_netlink_cmd_rcv_bufs_force maybe",
    );
    assert_eq!(
        warnings(&diags),
        vec![
            w(
                2,
                12,
                "`smtp_alert`: invalid boolean `foo` (use on|off|true|false|yes|no) - ignoring"
            ),
            w(
                3,
                15,
                "`vrrp_min_garp`: invalid boolean `x` (use on|off|true|false|yes|no) - ignoring"
            ),
            w(
                6,
                18,
                "`rs_init_notifies`: invalid boolean `x` (use on|off|true|false|yes|no) - ignoring"
            ),
            w(
                7,
                33,
                "`vrrp_netlink_cmd_rcv_bufs_force`: invalid boolean `maybe` (use on|off|true|false|yes|no) - ignoring"
            ),
        ]
    );
    assert_eq!(g.email.alert, None);
    assert_eq!(g.email.alert_vrrp, Some(true));
    assert_eq!(g.vrrp.lower_prio_no_advert, Some(false));
    assert!(!g.vrrp.min_garp && !g.lvs.rs_init_notifies);
}

#[test]
fn strings_missing_or_with_extra_words() {
    // keepalived: "routerid name missing - ignoring", "emailfrom missing - ignoring",
    // "default_interface requires interface name"; `router_id a b` and `smtp_helo_name` alone
    // are silent.
    let (g, diags) = defs(
        "router_id\nrouter_id a b\nnotification_email_from\ndefault_interface\nsmtp_helo_name\nvmac_prefix",
    );
    assert_eq!(
        warnings(&diags),
        vec![
            w(2, 1, "`router_id` needs a value - ignoring"),
            w(4, 1, "`notification_email_from` needs a value - ignoring"),
            w(5, 1, "`default_interface` needs a value - ignoring"),
            w(7, 1, "`vmac_prefix` needs a value - ignoring"),
        ]
    );
    assert_eq!(
        notes(&diags),
        vec![
            w(3, 13, "`router_id`: extra `b` ignored"),
            w(6, 1, "`smtp_helo_name` without a name - ignoring"),
        ]
    );
    assert_eq!(g.router_id.as_deref(), Some("a"));
    // A quoted router id keeps its spaces (keepalived -d: "Router ID = a b").
    let (g, _) = defs("router_id \"a b\" c");
    assert_eq!(g.router_id.as_deref(), Some("a b"));
    round_trip(&g);
}

#[test]
fn notification_email_blocks() {
    // keepalived: "Block notification_email has extra parameters a@b ...",
    // "Warning - empty notification_email block".
    let (g, diags) =
        defs("notification_email a@b\nnotification_email {\n}\nnotification_email {\n x@y\n}");
    assert_eq!(
        warnings(&diags),
        vec![
            w(
                2,
                20,
                "`notification_email` takes its addresses in a block; `a@b` ignored"
            ),
            w(2, 1, "`notification_email`: empty block - no address added"),
            w(
                3,
                20,
                "`notification_email`: empty block - no address added"
            ),
        ]
    );
    assert_eq!(g.email.to, ["x@y"]);
}

#[test]
fn smtp_server_forms() {
    // keepalived 2.2.7 resolves host names while reading (`localhost` -> 127.0.0.1) and reports
    // a name it cannot resolve: "Invalid smtp server relay.to.tam 25" (corpus 084, machine
    // dependent). We accept a well-formed name with a note and resolve it at startup.
    let (g, diags) = defs(
        "smtp_server relay.to.tam\nsmtp_server 1.2.3.4 70000\nsmtp_server bad/name\nsmtp_server ::1 25 x\nsmtp_server",
    );
    assert_eq!(
        warnings(&diags),
        vec![
            w(
                3,
                21,
                "`smtp_server`: `70000` is outside the range [1, 65535] - ignoring"
            ),
            w(
                4,
                13,
                "`smtp_server`: `bad/name` is neither an IP address nor a host name - ignoring"
            ),
            w(6, 1, "`smtp_server` needs a value - ignoring"),
        ]
    );
    assert_eq!(
        notes(&diags),
        vec![
            w(
                2,
                13,
                "`smtp_server`: `relay.to.tam` is a host name, not an IP address; it is resolved at startup"
            ),
            w(5, 20, "`smtp_server`: extra `x` ignored"),
        ]
    );
    assert_eq!(
        g.email.smtp_server,
        Some(SmtpServer {
            host: SmtpHost::Ip("::1".parse().unwrap()),
            port: 25
        })
    );
    let (g, _) = defs("smtp_server mail.example.com 587");
    assert_eq!(
        g.email.smtp_server,
        Some(SmtpServer {
            host: SmtpHost::Name("mail.example.com".into()),
            port: 587
        })
    );
    round_trip(&g);
}

#[test]
fn smtp_connect_timeout_range() {
    // keepalived: "smtp_conect_timeout must be greater than 0, setting to 1",
    // "smtp_connect_timeout '-1' must be in [0, 4294] - ignoring".
    let (g, diags) =
        defs("smtp_connect_timeout -1\nsmtp_connect_timeout 1.5\nsmtp_connect_timeout 0");
    assert_eq!(
        warnings(&diags),
        vec![
            w(
                2,
                22,
                "`smtp_connect_timeout`: `-1` is outside the range [0, 4294] - ignoring"
            ),
            w(
                3,
                22,
                "`smtp_connect_timeout`: `1.5` is not an integer (range [0, 4294]) - ignoring"
            ),
            w(
                4,
                22,
                "`smtp_connect_timeout` must be greater than 0 - using 1"
            ),
        ]
    );
    assert_eq!(g.email.connect_timeout, Duration::from_secs(1));
}

#[test]
fn scripts_and_script_user() {
    // keepalived: "startup script missing", "startup script already specified",
    // "startup_script_timeout '0' must be in [1, 1000] - ignoring", "No script username specified".
    let (g, diags) = defs(
        "startup_script\nstartup_script /bin/a\nstartup_script /bin/b\nstartup_script_timeout 0\nshutdown_script_timeout 1001\nscript_user\nscript_user nobody nogroup extra\nnotify_fifo_script /bin/n",
    );
    assert_eq!(
        warnings(&diags),
        vec![
            w(2, 1, "`startup_script` needs a script - ignoring"),
            w(
                4,
                16,
                "`startup_script` is already `/bin/a` - ignoring `/bin/b`"
            ),
            w(
                5,
                24,
                "`startup_script_timeout`: `0` is outside the range [1, 1000] - ignoring"
            ),
            w(
                6,
                25,
                "`shutdown_script_timeout`: `1001` is outside the range [1, 1000] - ignoring"
            ),
            w(7, 1, "`script_user` needs a user name - ignoring"),
        ]
    );
    let u = g.script_user().unwrap();
    assert_eq!(
        (u.user.as_str(), u.group.as_deref()),
        ("nobody", Some("nogroup"))
    );
    let at = |line, col| Loc {
        file: FileId(0),
        line,
        col,
    };
    assert_eq!(u.origin.0, Some(at(8, 13)));
    assert_eq!(
        g.scripts()
            .into_iter()
            .map(|s| (s.command, s.loc))
            .collect::<Vec<_>>(),
        vec![
            ("/bin/a".to_string(), at(3, 16)),
            ("/bin/n".to_string(), at(9, 20))
        ]
    );
}

#[test]
fn script_users_are_checked_on_this_machine() {
    // keepalived: "Error setting global script uid/gid" (machine dependent), "Invalid startup
    // script" for an unknown user.
    let acc = Accounts {
        users: vec!["root".into(), "ka".into()],
        groups: vec!["root".into()],
    };
    let (g, _) = defs(
        "script_user ghost\nstartup_script /bin/a ka nogroup\nshutdown_script /bin/b ghost\nnotify_fifo /run/f\nvrrp_notify_fifo /run/f\nlvs_notify_fifo_script /bin/l",
    );
    let mut d = Diagnostics::default();
    g.check_with(&acc, &mut d);
    assert_eq!(
        warnings(&d.list),
        vec![
            w(
                2,
                13,
                "`script_user`: no user `ghost` on this machine: scripts without their own user will not run"
            ),
            w(
                3,
                16,
                "`startup_script`: no group `nogroup` on this machine - ignoring the script"
            ),
            w(
                4,
                17,
                "`shutdown_script`: no user `ghost` on this machine - ignoring the script"
            ),
        ]
    );
    assert_eq!(
        notes(&d.list),
        vec![
            w(
                6,
                18,
                "`vrrp_notify_fifo` `/run/f` is the same FIFO as `notify_fifo`"
            ),
            w(
                7,
                24,
                "`lvs_notify_fifo_script` without `lvs_notify_fifo`: the script has no FIFO to read"
            ),
        ]
    );
    let (g, _) = defs("script_user root nogroup");
    let mut d = Diagnostics::default();
    g.check_with(&acc, &mut d);
    assert_eq!(
        warnings(&d.list),
        vec![w(
            2,
            13,
            "`script_user`: no group `nogroup` on this machine: scripts without their own user will not run"
        )]
    );
    // Unreadable account files: nothing is reported.
    let mut d = Diagnostics::default();
    g.check_with(&Accounts::default(), &mut d);
    assert!(d.list.is_empty());
}

#[test]
fn fifos() {
    // keepalived: "No notify_fifo name specified", "notify_fifo already specified - ignoring /b",
    // "vrrp_notify_fifo_script already specified - ignoring /bin/false".
    let (g, diags) = defs(
        "notify_fifo\nnotify_fifo /a root root x\nnotify_fifo /b\nvrrp_notify_fifo_script /bin/true\nvrrp_notify_fifo_script /bin/false",
    );
    assert_eq!(
        warnings(&diags),
        vec![
            w(2, 1, "`notify_fifo` needs a FIFO name - ignoring"),
            w(4, 13, "`notify_fifo` is already `/a` - ignoring `/b`"),
            w(
                6,
                25,
                "`vrrp_notify_fifo_script` is already `/bin/true` - ignoring `/bin/false`"
            ),
        ]
    );
    assert_eq!(
        notes(&diags),
        vec![
            w(3, 26, "`notify_fifo`: extra `x` ignored"),
            w(
                5,
                25,
                "`vrrp_notify_fifo_script` without `vrrp_notify_fifo`: the script has no FIFO to read"
            ),
        ]
    );
    let f = g.fifos.notify.path.as_ref().unwrap();
    assert_eq!((f.path.as_str(), f.user.as_deref()), ("/a", Some("root")));
    round_trip(&g);
}

#[test]
fn garp_timers_and_counts() {
    // keepalived 2.2.7: "number '0' outside range [0.000001, 4294.967295]" for
    // vrrp_garp_interval 0 -- although 0 is the documented default and keepalived's own
    // keepalived.conf.sample uses it (corpus: keepalived.conf.etc.conf line 15). We report it
    // too, so that `-t` agrees, with a hint.
    let (g, diags) = defs(
        "vrrp_garp_interval 0\nvrrp_gna_interval 0.0000001\nvrrp_garp_interval 5000\nvrrp_garp_master_delay 1.5\nvrrp_garp_master_delay 99999\nvrrp_garp_master_repeat 0\nvrrp_garp_master_refresh_repeat 0\nvrrp_garp_lower_prio_repeat -1\nvrrp_garp_master_refresh 99999\nvrrp_garp_master_delay 0",
    );
    assert_eq!(
        warnings(&diags),
        vec![
            w(
                2,
                20,
                "`vrrp_garp_interval`: `0` is outside the range [0.000001, 4294.967295] seconds - ignoring"
            ),
            w(
                3,
                19,
                "`vrrp_gna_interval`: `0.0000001` has more than 6 decimal places (resolution is 1 µs) - ignoring"
            ),
            w(
                4,
                20,
                "`vrrp_garp_interval`: `5000` is outside the range [0.000001, 4294.967295] seconds - ignoring"
            ),
            w(
                5,
                24,
                "`vrrp_garp_master_delay`: `1.5` is not an integer (range [0, 4294]) - ignoring"
            ),
            w(
                6,
                24,
                "`vrrp_garp_master_delay`: `99999` is outside the range [0, 4294] - ignoring"
            ),
            w(
                7,
                25,
                "`vrrp_garp_master_repeat` must be greater than 0 - using 1"
            ),
            w(
                8,
                33,
                "`vrrp_garp_master_refresh_repeat` must be greater than 0 - using 1"
            ),
            w(
                9,
                29,
                "`vrrp_garp_lower_prio_repeat`: `-1` is outside the range [0, 4294967295] - ignoring"
            ),
        ]
    );
    assert_eq!(
        hint_of(&diags, "`vrrp_garp_interval`: `0`"),
        Some("0 is the default: remove the line (keepalived 2.2.7 rejects 0 too)")
    );
    let v = &g.vrrp;
    assert_eq!(v.garp_interval, Duration::ZERO);
    assert_eq!((v.garp_master_repeat, v.garp_master_refresh_repeat), (1, 1));
    assert_eq!(v.garp_master_refresh, Duration::from_secs(99999));
    assert_eq!(v.garp_master_delay, Duration::ZERO);
    round_trip(&g);
}

#[test]
fn garp_extra_if_and_its_old_name() {
    // keepalived: "vrrp_garp_extra_if specified without time - ignoring", "number '86401'
    // outside range [1, 86400]", "vrrp_garp_extra_if 'x' invalid - ignoring", 'Keyword
    // "vrrp_vmac_garp_intvl" is deprecated'; `vrrp_garp_extra_if 10 20` is silent.
    let (g, diags) = defs(
        "vrrp_garp_extra_if all\nvrrp_garp_extra_if 86401\nvrrp_garp_extra_if all 5 x\nvrrp_vmac_garp_intvl 10\nvrrp_garp_extra_if 10 20",
    );
    assert_eq!(
        warnings(&diags),
        vec![
            w(
                2,
                1,
                "`vrrp_garp_extra_if` needs a time in seconds - ignoring"
            ),
            w(
                3,
                20,
                "`vrrp_garp_extra_if`: `86401` is outside the range [1, 86400] - ignoring"
            ),
            w(
                4,
                26,
                "`vrrp_garp_extra_if`: `x` is not an integer (range [1, 86400]) - ignoring"
            ),
            w(
                5,
                1,
                "`vrrp_vmac_garp_intvl` is deprecated - use `vrrp_garp_extra_if`"
            ),
        ]
    );
    assert_eq!(
        notes(&diags),
        vec![w(
            6,
            23,
            "`vrrp_garp_extra_if`: a second interval; `20` counts"
        )]
    );
    assert_eq!(
        g.vrrp.garp_extra_if,
        Some(GarpExtraIf {
            all: false,
            interval: Duration::from_secs(20)
        })
    );
}

#[test]
fn vrrp_values() {
    // keepalived: "vrrp_mcast_group4 [1.2.3.4] is not multicast. Skipping", "... is not IPv4",
    // "Can't parse vrrp_mcast_group4 [foo]", "number '1' outside range [2, 3]",
    // "number '0' outside range [0.001000, 4294.967295]", "Invalid vrrp_down_timer_adverts".
    let (g, diags) = defs(
        "vrrp_mcast_group4 1.2.3.4\nvrrp_mcast_group4 ff02::12\nvrrp_mcast_group4 foo\nvrrp_mcast_group6 224.0.0.18\nvrrp_mcast_group6 fe80::1\nvrrp_version 1\nvrrp_startup_delay 0\nvrrp_down_timer_adverts 101\nvrrp_rx_bufs_multiplier 0\nvrrp_mcast_group6 ff02::1",
    );
    assert_eq!(
        warnings(&diags),
        vec![
            w(
                2,
                19,
                "`vrrp_mcast_group4`: `1.2.3.4` is not a multicast address - ignoring"
            ),
            w(
                3,
                19,
                "`vrrp_mcast_group4`: `ff02::12` is not an IPv4 address - ignoring"
            ),
            w(
                3 + 1,
                19,
                "`vrrp_mcast_group4`: `foo` is not an IP address - ignoring"
            ),
            w(
                5,
                19,
                "`vrrp_mcast_group6`: `224.0.0.18` is not an IPv6 address - ignoring"
            ),
            w(
                6,
                19,
                "`vrrp_mcast_group6`: `fe80::1` is not a multicast address - ignoring"
            ),
            w(
                7,
                14,
                "`vrrp_version`: `1` is outside the range [2, 3] - ignoring"
            ),
            w(
                8,
                20,
                "`vrrp_startup_delay`: `0` is outside the range [0.001, 4294.967295] seconds - ignoring"
            ),
            w(
                9,
                25,
                "`vrrp_down_timer_adverts`: `101` is outside the range [1, 100] - ignoring"
            ),
            w(
                10,
                25,
                "`vrrp_rx_bufs_multiplier`: `0` is outside the range [1, 4294967295] - ignoring"
            ),
        ]
    );
    assert_eq!(g.vrrp.mcast_group4, VRRP_MCAST4);
    assert_eq!(g.vrrp.mcast_group6.to_string(), "ff02::1");
    round_trip(&g);
}

#[test]
fn rx_bufs_policy() {
    // keepalived: "Cannot set vrrp_rx_bufs_policy size and policy, ignoring policy", "Cannot set
    // both vrrp_rx_bufs_policy MTU and ADVERT, ignoring ADVERT", "Invalid vrrp_rx_bufs_policy x".
    let cases = [
        (
            "vrrp_rx_bufs_policy 5000 MTU",
            Some(RxBufsPolicy::Size(5000)),
        ),
        ("vrrp_rx_bufs_policy MTU ADVERT", Some(RxBufsPolicy::Mtu)),
        ("vrrp_rx_bufs_policy mtu", Some(RxBufsPolicy::Mtu)),
        ("vrrp_rx_bufs_policy x", None),
        ("vrrp_rx_bufs_policy", None),
    ];
    for (line, want) in cases {
        let (g, _) = defs(line);
        assert_eq!(g.vrrp.rx_bufs_policy, want, "{line}");
    }
    let (_, diags) =
        defs("vrrp_rx_bufs_policy 5000 MTU\nvrrp_rx_bufs_policy MTU ADVERT\nvrrp_rx_bufs_policy");
    assert_eq!(
        warnings(&diags),
        vec![
            w(
                2,
                26,
                "`vrrp_rx_bufs_policy`: both a size and a policy - ignoring `MTU`"
            ),
            w(
                3,
                25,
                "`vrrp_rx_bufs_policy`: both MTU and ADVERT - ignoring `ADVERT`"
            ),
            w(
                4,
                1,
                "`vrrp_rx_bufs_policy` needs MTU, ADVERT or a size - ignoring"
            ),
        ]
    );
}

#[test]
fn firewall() {
    // Debian's keepalived 2.2.7 (built without iptables): "iptables not supported, using
    // nftables instead. Please replace 'vrrp_iptables and 'vrrp_ipsets' with 'nftables' config
    // option"; vrrp_ipsets: "Unknown keyword". "nftables already specified - ignoring",
    // "invalid ipvs nftables start_fwmark priority '0'".
    let (g, diags) = defs(
        "vrrp_iptables kin kout\nvrrp_ipsets a b\nnftables\nnftables other\nnftables_ipvs_start_fwmark 0\nnftables_priority x",
    );
    assert_eq!(
        warnings(&diags),
        vec![
            w(
                2,
                1,
                "`vrrp_iptables`: iptables is not supported, nftables is used instead"
            ),
            w(
                3,
                1,
                "`vrrp_ipsets`: ipsets are not supported (they go with iptables); nftables is used instead"
            ),
            w(5, 1, "`nftables` is already set - ignoring"),
            w(
                6,
                28,
                "`nftables_ipvs_start_fwmark`: `0` is outside the range [1, 4294967295] - ignoring"
            ),
            w(
                7,
                19,
                "`nftables_priority`: `x` is not an integer (range [-2147483648, 2147483647]) - ignoring"
            ),
        ]
    );
    assert_eq!(
        hint_of(&diags, "`vrrp_iptables`"),
        Some("replace `vrrp_iptables` and `vrrp_ipsets` with `nftables`")
    );
    let f = &g.firewall;
    assert_eq!(f.nftables.as_deref(), Some(NFT_TABLE));
    assert_eq!(
        f.iptables,
        Some(Iptables {
            in_chain: Some("kin".into()),
            out_chain: Some("kout".into())
        })
    );
    assert_eq!(
        f.ipsets.as_deref(),
        Some(&["a".to_string(), "b".to_string()][..])
    );
    round_trip(&g);
}

#[test]
fn lvs_settings() {
    // keepalived: "lvs_timeouts requires at least one option", "Unknown option foo specified for
    // lvs_timeouts", "Invalid lvs_timeout tcp (86400000) - ignoring", "Unknown lvs_flush_on_stop
    // type vs"; `lvs_flush_onstop` is accepted silently.
    let (g, diags) = defs(
        "lvs_timeouts tcp\nlvs_timeouts foo 1 udp 30\nlvs_timeouts tcp 86400000 tcpfin\nlvs_flush_on_stop vs\nlvs_flush_onstop",
    );
    assert_eq!(
        warnings(&diags),
        vec![
            w(
                2,
                1,
                "`lvs_timeouts` needs at least one of `tcp SECS`, `tcpfin SECS`, `udp SECS` - ignoring"
            ),
            w(
                3,
                14,
                "`lvs_timeouts`: unknown option `foo` (tcp, tcpfin, udp) - ignoring it"
            ),
            w(
                3,
                18,
                "`lvs_timeouts`: unknown option `1` (tcp, tcpfin, udp) - ignoring it"
            ),
            w(
                4,
                18,
                "`lvs_timeouts tcp`: `86400000` is outside the range [0, 2678400] - ignoring"
            ),
            w(4, 27, "`lvs_timeouts`: `tcpfin` needs a value - ignoring"),
            w(
                5,
                19,
                "`lvs_flush_on_stop`: unknown type `vs` (only `VS`) - ignoring"
            ),
        ]
    );
    assert_eq!(
        notes(&diags),
        vec![w(
            6,
            1,
            "`lvs_flush_onstop` is an old spelling of `lvs_flush_on_stop`"
        )]
    );
    assert_eq!(g.lvs.timeouts.udp, Some(30));
    assert_eq!(g.lvs.flush_on_stop, FlushOnStop::All);
    round_trip(&g);
}

#[test]
fn lvs_sync_daemon_forms() {
    let sd = |line: &str| defs(line).0.lvs.sync_daemon;
    let base = SyncDaemon {
        interface: "eth0".into(),
        instance: None,
        syncid: None,
        maxlen: None,
        port: None,
        ttl: None,
        group: None,
    };
    assert_eq!(sd("lvs_sync_daemon eth0"), Some(base.clone()));
    assert_eq!(
        sd("lvs_sync_daemon eth0 inst VI_1 id 7"),
        Some(SyncDaemon {
            instance: Some("VI_1".into()),
            syncid: Some(7),
            ..base.clone()
        })
    );
    assert_eq!(
        sd("lvs_sync_daemon eth0 port 9000"),
        Some(SyncDaemon {
            port: Some(9000),
            ..base.clone()
        })
    );
    // The old positional sync id (keepalived: 'Please use keyword "id" before lvs_sync_daemon
    // SYNCID'), still used.
    let (g, diags) = defs("lvs_sync_daemon eth0 VI_1 5\nlvs_sync_daemon eth1");
    assert_eq!(g.lvs.sync_daemon.as_ref().unwrap().syncid, Some(5));
    assert_eq!(
        warnings(&diags),
        vec![
            w(2, 27, "`lvs_sync_daemon`: write `id 5` for the sync id"),
            w(
                3,
                1,
                "`lvs_sync_daemon` is already set (interface `eth0`) - ignoring"
            ),
        ]
    );
    // keepalived: "Invalid syncid (256) - defaulting to vrid", "Invalid lvs_sync_daemon maxlen
    // (70000) - ignoring", "lvs_sync_daemon group address 1.2.3.4 is not multicast - ignoring",
    // "No value specified for lvs_sync_daemon id, defaulting to vrid", "invalid number 'foo'".
    for (line, col, msg) in [
        (
            "lvs_sync_daemon eth0 inst VI_1 id 256",
            35,
            "`lvs_sync_daemon id`: `256` is outside the range [0, 255] - ignoring",
        ),
        (
            "lvs_sync_daemon eth0 VI_1 maxlen 70000",
            34,
            "`lvs_sync_daemon maxlen`: `70000` is outside the range [1, 65507] - ignoring",
        ),
        (
            "lvs_sync_daemon eth0 VI_1 ttl 0",
            31,
            "`lvs_sync_daemon ttl`: `0` is outside the range [1, 255] - ignoring",
        ),
        (
            "lvs_sync_daemon eth0 VI_1 group 1.2.3.4",
            33,
            "`lvs_sync_daemon group`: `1.2.3.4` is not a multicast address - ignoring",
        ),
        (
            "lvs_sync_daemon eth0 VI_1 id",
            27,
            "`lvs_sync_daemon`: `id` needs a value - ignoring",
        ),
        (
            "lvs_sync_daemon eth0 VI_1 foo",
            27,
            "`lvs_sync_daemon`: `foo` is not an integer (range [0, 255]) - ignoring",
        ),
        (
            "lvs_sync_daemon",
            1,
            "`lvs_sync_daemon` needs an interface - ignoring",
        ),
    ] {
        let (_, diags) = defs(line);
        assert_eq!(warnings(&diags), vec![w(2, col, msg)], "{line}");
    }
    let (g, _) = defs("lvs_sync_daemon eth0 VI_1 id 1 maxlen 100 port 1 ttl 255 group 224.0.0.81");
    round_trip(&g);
}

#[test]
fn scheduling() {
    // keepalived: "Invalid vrrp process priority specified", "vrrp process real-time priority 0
    // less than minimum 1 - setting to minimum", "... 100 greater than maximum 99 - setting to
    // maximum", "Invalid cpu_id:0 specified for vrrp process", "Invalid vrrp real-time limit - 0",
    // "max_auto_priority '-2' must be in [0, 99] (or -1 to disable) - ignoring",
    // "min_auto_priority_delay '0' must be in [1, 10000000] - ignoring"; `vrrp_rlimit_rtime` is
    // accepted silently.
    let (g, diags) = defs(
        "vrrp_priority -21\nvrrp_rt_priority 0\nchecker_rt_priority 100\nbfd_rt_priority x\nvrrp_cpu_affinity 0-1\nvrrp_cpu_affinity\nvrrp_rlimit_rttime 0\nmax_auto_priority -2\nmin_auto_priority_delay 0\nbfd_rlimit_rtime 5000\nchecker_priority",
    );
    assert_eq!(
        warnings(&diags),
        vec![
            w(
                2,
                15,
                "`vrrp_priority`: `-21` is outside the range [-20, 19] - ignoring"
            ),
            w(
                3,
                18,
                "`vrrp_rt_priority`: `0` is outside the range [1, 99] - using 1"
            ),
            w(
                4,
                21,
                "`checker_rt_priority`: `100` is outside the range [1, 99] - using 99"
            ),
            w(
                5,
                17,
                "`bfd_rt_priority`: `x` is not an integer (range [1, 99]) - ignoring"
            ),
            w(
                6,
                19,
                "`vrrp_cpu_affinity`: `0-1` is not an integer (range [0, 1023]) - ignoring"
            ),
            w(7, 1, "`vrrp_cpu_affinity` needs CPU numbers - ignoring"),
            w(
                8,
                20,
                "`vrrp_rlimit_rttime`: `0` is outside the range [1, 4294967295] - ignoring"
            ),
            w(
                9,
                19,
                "`max_auto_priority`: `-2` is outside the range [-1, 99] - ignoring"
            ),
            w(
                10,
                25,
                "`min_auto_priority_delay`: `0` is outside the range [1, 10000000] - ignoring"
            ),
            w(12, 1, "`checker_priority` needs a value - ignoring"),
        ]
    );
    assert_eq!(
        notes(&diags),
        vec![w(
            11,
            1,
            "`bfd_rlimit_rtime` is deprecated - use `bfd_rlimit_rttime`"
        )]
    );
    assert_eq!(g.sched.vrrp.rt_priority, Some(1));
    assert_eq!(g.sched.checker.rt_priority, Some(99));
    assert_eq!(g.sched.bfd.rlimit_rttime, Some(5000));
    // Without a value, max_auto_priority is the maximum (keepalived -d: "Max auto priority = 99").
    assert_eq!(
        defs("max_auto_priority").0.sched.max_auto_priority,
        Some(99)
    );
    round_trip(&g);
}

#[test]
fn umask_forms() {
    // keepalived accepts 022, 0x12, 18, `IWGRP | IWOTH`; rejects "Unknown umask bit IWXX",
    // "invalid umask value 0999", "invalid umask value 077777", "Unknown umask bit -1".
    for (line, want) in [
        ("umask 022", Some(0o22)),
        ("umask 0x12", Some(0o22)),
        ("umask 18", Some(0o22)),
        ("umask 0", Some(0)),
        ("umask IWGRP | IWOTH", Some(0o22)),
        ("umask IRWXX", None),
        ("umask 0999", None),
        ("umask 077777", None),
        ("umask -1", None),
    ] {
        let (g, diags) = defs(line);
        assert_eq!(g.umask, want, "{line}");
        assert_eq!(warnings(&diags).is_empty(), want.is_some(), "{line}");
        round_trip(&g);
    }
    let (_, diags) = defs("umask IWGRP|IWXX\numask 0999");
    assert_eq!(
        warnings(&diags),
        vec![
            w(
                2,
                7,
                "`umask`: unknown bit `IWXX` (I{R|W|X}{USR|GRP|OTH}, e.g. IWGRP|IWOTH) - ignoring"
            ),
            w(
                3,
                7,
                "`umask`: `0999` is not a mode between 0 and 0777 - ignoring"
            ),
        ]
    );
}

#[test]
fn include_check_options() {
    // keepalived 2.2.7 reports 'Unknown include_check type 'readable'' for the documented
    // `readable` (and then "Duplicate include_check" for the others): a bug; we accept the four
    // documented names and report unknown and repeated ones.
    let (g, diags) = defs("include_check readable foo -readable +brace_match");
    assert_eq!(
        warnings(&diags),
        vec![
            w(
                2,
                24,
                "`include_check`: unknown check `foo` (readable, match, wildcard_match, brace_match) - ignoring it"
            ),
            w(
                2,
                28,
                "`include_check`: `readable` given twice - ignoring `-readable`"
            ),
        ]
    );
    assert_eq!(
        g.reload.include_check,
        Some(IncludeCheck {
            add: IncludeChecks {
                readable: true,
                brace_match: true,
                ..IncludeChecks::default()
            },
            remove: IncludeChecks::default(),
        })
    );
    let all = defs("include_check").0.reload.include_check.unwrap();
    assert!(all.add.readable && all.add.matches && all.add.wildcard_match && all.add.brace_match);
    assert_eq!(defs("include_check bogus").0.reload.include_check, None);
    round_trip(&g);
}

#[test]
fn other_values() {
    // keepalived: "random_seed -1 invalid", "reload_time_file invalid", "tmp_config_directory
    // missing directory name", "Invalid value 'x' for global date_use_instance specified",
    // "Unknown dynamic_interfaces option 'x'", "SNMP error : snmp socket name missing", "Too many
    // parameters specified for snmp_socket - ignoring", "SNMP socket already set to a - ignoring",
    // "dbus_service_name missing - ignoring".
    let (g, diags) = defs(
        "random_seed -1\nreload_time_file\ntmp_config_directory\ndata_use_instance x\ndynamic_interfaces x\nsnmp_socket\nsnmp_socket a b\nsnmp_socket a\nsnmp_socket b\ndbus_service_name\njson_version 3",
    );
    assert_eq!(
        warnings(&diags),
        vec![
            w(
                2,
                13,
                "`random_seed`: `-1` is outside the range [0, 4294967295] - ignoring"
            ),
            w(3, 1, "`reload_time_file` needs a value - ignoring"),
            w(4, 1, "`tmp_config_directory` needs a value - ignoring"),
            w(
                5,
                19,
                "`data_use_instance`: invalid boolean `x` (use on|off|true|false|yes|no) - ignoring"
            ),
            w(
                6,
                20,
                "`dynamic_interfaces`: unknown option `x` (only `allow_if_changes`) - ignoring it"
            ),
            w(7, 1, "`snmp_socket` needs a socket name - ignoring"),
            w(
                8,
                15,
                "`snmp_socket` takes one socket name - ignoring the line"
            ),
            w(10, 13, "`snmp_socket` is already `a` - ignoring `b`"),
            w(11, 1, "`dbus_service_name` needs a value - ignoring"),
            w(
                12,
                14,
                "`json_version`: `3` is outside the range [1, 2] - ignoring"
            ),
        ]
    );
    assert_eq!(g.interfaces.dynamic, DynamicInterfaces::On);
    assert_eq!(g.snmp.socket.as_deref(), Some("a"));
}

#[test]
fn process_names_and_deprecated_alias() {
    let (g, diags) = defs("lvs_process_name ka_ipvs\nprocess_name\nbfd_process_name kb");
    assert_eq!(g.process_names.checker.as_deref(), Some("ka_ipvs"));
    assert_eq!(g.process_names.bfd.as_deref(), Some("kb"));
    assert_eq!(
        notes(&diags),
        vec![w(
            2,
            1,
            "`lvs_process_name` is deprecated - use `checker_process_name`"
        )]
    );
    assert_eq!(
        warnings(&diags),
        vec![w(3, 1, "`process_name` needs a value - ignoring")]
    );
}

#[test]
fn blocks_where_none_belong() {
    let (_, diags) = parse("global_defs {\n router_id x {\n }\n}\nuse_pid_dir {\n}\nglobal_defs\n");
    assert_eq!(
        warnings(&diags),
        vec![
            w(2, 14, "`router_id` takes no block - block ignored"),
            w(5, 13, "`use_pid_dir` takes no block - block ignored"),
        ]
    );
    assert_eq!(
        notes(&diags),
        vec![w(7, 1, "`global_defs` without a block sets nothing")]
    );
}

#[test]
fn arbitrary_global_defs_never_panic_and_round_trip() {
    let mut rng = crate::rng::Rng::new(11);
    let words: Vec<&str> = super::parse::KNOWN
        .iter()
        .copied()
        .chain(TOP.iter().copied())
        .chain([
            "0",
            "1",
            "-1",
            "255",
            "99999",
            "0.5",
            "x",
            "all",
            "VS",
            "inst",
            "id",
            "tcp",
            "MTU",
            "224.0.0.1",
            "ff02::1",
            "10.0.0.1",
            "IWGRP|IWOTH",
            "+match",
            "root",
            "{",
            "}",
            "\n",
            "\n",
            "\n",
            "\"a b\"",
        ])
        .collect();
    for _ in 0..3000 {
        let mut text = String::from("global_defs {\n");
        for _ in 0..rng.below(24) {
            text.push_str(words[rng.below(words.len() as u64) as usize]);
            text.push(' ');
        }
        let (g, _) = parse(&text);
        round_trip(&g);
    }
}

/// The diagnostics of this section and of BFD alone (parse and check), and the lines they cover.
fn section_only(text: &str) -> (Vec<Diagnostic>, Vec<(u32, u32)>) {
    let mut tree_d = Diagnostics::default();
    let nodes = tree::parse(&testutil::preprocessed(text), &mut tree_d);
    let mut d = Diagnostics::default();
    let mut cfg = Config::default();
    for n in &nodes {
        let k = n.keyword();
        if TOP.contains(&k) {
            cfg.global.parse_top(n, &mut d);
        } else if crate::config::bfd::TOP.contains(&k) {
            cfg.bfd.parse_top(n, &mut d);
        }
    }
    cfg.global.check(&cfg, &mut d);
    cfg.bfd.check(&cfg, &mut d);
    let ranges = testutil::spans(text, &[TOP, crate::config::bfd::TOP].concat());
    (d.list, ranges)
}

#[test]
fn corpus_agreement() {
    let mut table = Vec::new();
    let (mut yes_ok, mut no_ok, mut no_mine, mut env) = (0, 0, 0, 0);
    let mut failures = Vec::new();
    for e in testutil::corpus() {
        let (file, first) = (&e.file, &e.first);
        let (diags, ranges) = section_only(&e.text);
        let bad: Vec<String> = diags
            .iter()
            .filter(|x| x.severity >= Severity::Warning)
            .map(|x| format!("{}: {}", x.loc.map_or(0, |l| l.line), x.message))
            .collect();
        match e.accept.as_str() {
            "yes" => {
                if bad.is_empty() {
                    yes_ok += 1;
                } else {
                    failures.push(format!("{file}: accepted by keepalived, we say {bad:?}"));
                }
            }
            "no" => {
                let ours =
                    testutil::diag_line(first).is_some_and(|l| testutil::in_spans(&ranges, l));
                if ours {
                    no_mine += 1;
                    if bad.is_empty() {
                        failures.push(format!(
                            "{file}: keepalived says `{first}` (our section), we say nothing"
                        ));
                    } else {
                        no_ok += 1;
                    }
                }
                if !bad.is_empty() && !ours {
                    table.push(format!("{file}: no (not ours: {first}); we add {bad:?}"));
                }
            }
            _ => {
                env += 1;
                if !bad.is_empty() {
                    table.push(format!(
                        "{file}: machine dependent ({first}); we say {bad:?}"
                    ));
                }
            }
        }
    }
    println!(
        "global/bfd corpus: accept=yes clean {yes_ok}; accept=no in our section {no_ok}/{no_mine}; machine-dependent {env}"
    );
    for t in &table {
        println!("  {t}");
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn corpus_round_trips() {
    for e in testutil::corpus() {
        let (cfg, _) = testutil::load(&e.text);
        let mut wr = Writer::new();
        cfg.global.dump(&mut wr);
        cfg.bfd.dump(&mut wr);
        let out = wr.finish();
        let (again, _) = testutil::load(&out);
        assert_eq!(again.global, cfg.global, "{}:\n{out}", e.file);
        assert_eq!(again.bfd, cfg.bfd, "{}:\n{out}", e.file);
    }
}

#[test]
fn bfd_and_global_together() {
    let (g, _) = parse(RICH);
    let mut d = Diagnostics::default();
    let cfg = Config::from_text(
        &format!("{RICH}bfd_instance B {{\n neighbor_ip 10.0.0.1\n}}\n"),
        &mut d,
    );
    assert_eq!(cfg.global, g);
    assert!(cfg.bfd.has_instance("B"));
    assert_eq!(cfg.bfd, Bfd { ..cfg.bfd.clone() });
    let _: IpAddr = cfg.bfd.instances[0].neighbor;
}

#[test]
#[ignore]
fn probe_lines() {
    // Calibration helper: one global_defs line per line of $PROBE; prints our worst severity.
    let Ok(path) = std::env::var("PROBE") else {
        return;
    };
    for line in std::fs::read_to_string(path).unwrap().lines() {
        let (_, diags) = defs(line);
        let worst = diags.iter().map(|x| x.severity).max();
        let msgs: Vec<String> = diags
            .iter()
            .map(|x| format!("{:?}: {}", x.severity, x.message))
            .collect();
        println!(
            "OURS\t{line}\t{}\t{}",
            u8::from(worst >= Some(Severity::Warning)),
            msgs.join(" | ")
        );
    }
}

#[test]
fn metrics_listen_takes_an_address_and_a_port() {
    let (g, diags) = defs("metrics_listen 127.0.0.1 9650");
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(g.metrics_listen, Some("127.0.0.1:9650".parse().unwrap()));
    round_trip(&g);
    let (g, _) = defs("metrics_listen ::1 9650");
    assert_eq!(g.metrics_listen, Some("[::1]:9650".parse().unwrap()));
    round_trip(&g);
    let (g, diags) =
        defs("metrics_listen 127.0.0.1\nmetrics_listen localhost 1\nmetrics_listen ::1 0");
    assert_eq!(g.metrics_listen, None);
    assert_eq!(
        warnings(&diags),
        vec![
            w(
                2,
                1,
                "`metrics_listen` needs an address and a port - ignoring"
            ),
            w(
                3,
                16,
                "`metrics_listen`: `localhost` is not an IP address - ignoring"
            ),
            w(
                4,
                20,
                "`metrics_listen`: `0` is outside the range [1, 65535] - ignoring"
            ),
        ]
    );
}
