//! Configuration leniency (issue 15 item 9): a word after a keyword that takes none, or that
//! takes an optional boolean. For every such keyword keepalived 2.2.7 knows, in every section, a
//! minimal valid configuration is made with the keyword alone and followed by `1`, `0`, `true`,
//! `false` and `foo`; `keepalived -t` (Debian's 2.2.7, run in a throw-away namespace holding the
//! `eth0` the VRRP instances name) and `keepalived-rs -t` must exit alike, and our `-d` dump must
//! show the value keepalived ends up with (read from its handlers: a plain flag's handler never
//! looks at its arguments, an optional boolean goes through `check_true_false` and an invalid
//! word leaves the value unchanged).
//!
//! Keywords newer than 2.2.7 (keepalived 2.2.7 reports them as unknown, we accept them with a
//! note) and keywords whose optional word is not a boolean (a script, a name, a number) are not
//! in the table.

mod common;

use std::path::Path;
use std::process::Command;

use common::{TempDir, bin, have, is_root, require};

/// How keepalived reads the word after the keyword.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Never read: the keyword applies whatever follows it; `-t` exits 0.
    Flag,
    /// `on|off|true|false|yes|no` read, anything else a configuration error (exit 5) and the
    /// value unchanged.
    OptBool,
}
use Kind::*;

/// Where the keyword is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ctx {
    Global,
    Instance,
    SyncGroup,
    Script,
    Process,
    VirtualServer,
    RealServer,
    TcpCheck,
    HttpGet,
    HttpUrl,
    SorryServer,
    MiscCheck,
    Bfd,
}
use Ctx::*;

const TABLE: &[(Ctx, &str, Kind)] = &[
    (Global, "process_names", Flag),
    (Global, "smtp_alert", OptBool),
    (Global, "smtp_alert_vrrp", OptBool),
    (Global, "smtp_alert_checker", OptBool),
    (Global, "no_email_faults", Flag),
    (Global, "no_checker_emails", OptBool),
    (Global, "checker_log_all_failures", OptBool),
    (Global, "rs_init_notifies", OptBool),
    (Global, "enable_script_security", Flag),
    (Global, "disable_local_igmp", Flag),
    (Global, "vrrp_min_garp", OptBool),
    (Global, "vrrp_strict", Flag),
    (Global, "vrrp_check_unicast_src", Flag),
    (Global, "vrrp_skip_check_adv_addr", Flag),
    (Global, "vrrp_lower_prio_no_advert", OptBool),
    (Global, "vrrp_higher_prio_send_advert", OptBool),
    (Global, "log_unknown_vrids", Flag),
    (Global, "vrrp_notify_priority_changes", OptBool),
    (Global, "nftables_counters", Flag),
    (Global, "nftables_ifindex", Flag),
    (Global, "lvs_flush", Flag),
    (Global, "fifo_write_vrrp_states_on_reload", Flag),
    (Global, "vrrp_no_swap", Flag),
    (Global, "checker_no_swap", Flag),
    (Global, "bfd_no_swap", Flag),
    (Global, "vrrp_netlink_cmd_rcv_bufs_force", OptBool),
    (Global, "vrrp_netlink_monitor_rcv_bufs_force", OptBool),
    (Global, "lvs_netlink_cmd_rcv_bufs_force", OptBool),
    (Global, "lvs_netlink_monitor_rcv_bufs_force", OptBool),
    (Global, "process_monitor_rcv_bufs_force", OptBool),
    (Global, "reload_repeat", Flag),
    (Global, "data_use_instance", OptBool),
    (Global, "enable_traps", Flag),
    (Global, "enable_snmp_vrrp", Flag),
    (Global, "enable_snmp_keepalived", Flag),
    (Global, "enable_snmp_checker", Flag),
    (Global, "enable_snmp_rfc", Flag),
    (Global, "enable_snmp_rfcv2", Flag),
    (Global, "enable_snmp_rfcv3", Flag),
    (Global, "enable_dbus", Flag),
    (Instance, "use_vmac_addr", Flag),
    (Instance, "dont_track_primary", Flag),
    (Instance, "track_src_ip", Flag),
    (Instance, "unicast_fault_no_peer", Flag),
    (Instance, "lower_prio_no_advert", OptBool),
    (Instance, "higher_prio_send_advert", OptBool),
    (Instance, "promote_secondaries", Flag),
    (Instance, "accept", Flag),
    (Instance, "no_accept", Flag),
    (Instance, "skip_check_adv_addr", OptBool),
    (Instance, "strict_mode", OptBool),
    (Instance, "preempt", Flag),
    (Instance, "nopreempt", Flag),
    (Instance, "smtp_alert", OptBool),
    (Instance, "notify_priority_changes", OptBool),
    (SyncGroup, "smtp_alert", OptBool),
    (SyncGroup, "sync_group_tracking_weight", Flag),
    (SyncGroup, "notify_priority_changes", OptBool),
    (Script, "init_fail", Flag),
    (Process, "full_command", Flag),
    (VirtualServer, "inhibit_on_failure", Flag),
    (VirtualServer, "ha_suspend", Flag),
    (VirtualServer, "smtp_alert", OptBool),
    (VirtualServer, "alpha", Flag),
    (VirtualServer, "omega", Flag),
    (RealServer, "inhibit_on_failure", OptBool),
    (RealServer, "alpha", OptBool),
    (RealServer, "smtp_alert", OptBool),
    (TcpCheck, "alpha", OptBool),
    (TcpCheck, "log_all_failures", OptBool),
    (HttpGet, "enable_sni", OptBool),
    (HttpGet, "fast_recovery", OptBool),
    (HttpUrl, "regex_no_match", Flag),
    (SorryServer, "sorry_server_inhibit", Flag),
    (MiscCheck, "misc_dynamic", Flag),
    (Bfd, "passive", Flag),
    (Bfd, "vrrp", Flag),
    (Bfd, "checker", Flag),
];

const WORDS: &[&str] = &["1", "0", "true", "false", "foo"];

const SECURITY: &str = "global_defs {\n    script_user root\n    enable_script_security\n}\n";

fn instance(name: &str, vrid: u8, extra: &str) -> String {
    format!(
        "vrrp_instance {name} {{\n    interface eth0\n    virtual_router_id {vrid}\n    priority 100\n    virtual_ipaddress {{\n        10.1.1.{vrid}\n    }}\n{extra}}}\n"
    )
}

fn lvs(rs_line: &str, vs_line: &str, checker: &str) -> String {
    format!(
        "virtual_server 10.0.0.1 80 {{\n    protocol TCP\n    lvs_sched rr\n    lvs_method NAT\n{vs_line}    real_server 10.0.0.2 80 {{\n{rs_line}{checker}    }}\n}}\n"
    )
}

/// A minimal valid configuration with `line` (empty: without it) in its place.
fn config(ctx: Ctx, line: &str) -> String {
    let l = |indent: usize| {
        if line.is_empty() {
            String::new()
        } else {
            format!("{}{line}\n", " ".repeat(indent))
        }
    };
    match ctx {
        Global => format!("global_defs {{\n{}}}\n{}", l(4), instance("VI_1", 51, "")),
        Instance => instance("VI_1", 51, &l(4)),
        SyncGroup => format!(
            "vrrp_sync_group G1 {{\n    group {{\n        VI_1\n        VI_2\n    }}\n{}}}\n{}{}",
            l(4),
            instance("VI_1", 51, ""),
            instance("VI_2", 52, "")
        ),
        Script => format!(
            "{SECURITY}vrrp_script S1 {{\n    script \"/bin/true\"\n{}}}\n{}",
            l(4),
            instance("VI_1", 51, "    track_script {\n        S1\n    }\n")
        ),
        Process => format!(
            "vrrp_track_process P1 {{\n    process sshd\n{}}}\n{}",
            l(4),
            instance("VI_1", 51, "    track_process {\n        P1\n    }\n")
        ),
        VirtualServer => lvs("", &l(4), "        TCP_CHECK {\n        }\n"),
        RealServer => lvs(&l(8), "", "        TCP_CHECK {\n        }\n"),
        TcpCheck => lvs(
            "",
            "",
            &format!("        TCP_CHECK {{\n{}        }}\n", l(12)),
        ),
        HttpGet => lvs(
            "",
            "",
            &format!(
                "        HTTP_GET {{\n            url {{\n                path /\n                status_code 200\n            }}\n{}        }}\n",
                l(12)
            ),
        ),
        HttpUrl => lvs(
            "",
            "",
            &format!(
                "        HTTP_GET {{\n            url {{\n                path /\n                regex \"abc\"\n{}            }}\n        }}\n",
                l(16)
            ),
        ),
        SorryServer => lvs(
            "",
            &format!("    sorry_server 10.0.0.3 80\n{}", l(4)),
            "        TCP_CHECK {\n        }\n",
        ),
        MiscCheck => format!(
            "{SECURITY}{}",
            lvs(
                "",
                "",
                &format!(
                    "        MISC_CHECK {{\n            misc_path /bin/true\n{}        }}\n",
                    l(12)
                )
            )
        ),
        Bfd => format!("bfd_instance B1 {{\n    neighbor_ip 10.0.0.2\n{}}}\n", l(4)),
    }
}

/// keepalived's exit status and whether the keyword is then on, for `word` (None: alone).
fn expected(kind: Kind, word: Option<&str>) -> (i32, Option<bool>) {
    match (kind, word) {
        (Flag, _) | (OptBool, None | Some("true")) => (0, Some(true)),
        (OptBool, Some("false")) => (0, Some(false)),
        // Invalid: reported, the value stays as it was (the default).
        (OptBool, Some(_)) => (5, None),
    }
}

/// `-t -d`: the exit status and the dump.
fn ours(path: &Path) -> (i32, String) {
    let out = Command::new(bin())
        .args(["-t", "-d", "-f"])
        .arg(path)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn a_word_after_a_flag_is_read_as_keepalived_reads_it() {
    let dir = TempDir::new("leniency");
    let keepalived = Path::new("/usr/sbin/keepalived").exists();
    let peer = require(
        is_root() && have("ip", "-V") && keepalived,
        "the keepalived cross-check needs root, iproute2 and Debian's keepalived",
    );
    let ns = peer.then(|| {
        let ns = common::Netns::new("lenient");
        let ok = Command::new("ip")
            .args(["-n", &ns.0, "link", "add", "eth0", "type", "veth"])
            .args(["peer", "name", "p0"])
            .status()
            .unwrap()
            .success();
        assert!(ok, "veth eth0 in {}", ns.0);
        ns
    });
    let mut failures = Vec::new();
    let mut runs = 0;
    for (n, &(ctx, kw, kind)) in TABLE.iter().enumerate() {
        let write = |tag: &str, line: &str| {
            let p = dir.path().join(format!("{n}-{kw}-{tag}.conf"));
            std::fs::write(&p, config(ctx, line)).unwrap();
            p
        };
        let (code_off, off) = ours(&write("off", ""));
        let (code_on, on) = ours(&write("on", kw));
        assert_eq!((code_off, code_on), (0, 0), "{ctx:?} {kw}: base configs");
        // `preempt` alone is the default: there only the exit statuses tell.
        assert!(
            on != off || kw == "preempt",
            "{ctx:?} {kw}: the dump does not show the keyword"
        );
        for word in std::iter::once(None).chain(WORDS.iter().copied().map(Some)) {
            let line = word.map_or(kw.to_string(), |w| format!("{kw} {w}"));
            let path = write(word.unwrap_or("alone"), &line);
            let (want_code, want_on) = expected(kind, word);
            let (code, dump) = ours(&path);
            runs += 1;
            let mut why = Vec::new();
            if code != want_code {
                why.push(format!("we exit {code}, keepalived's rule {want_code}"));
            }
            let shown = match want_on {
                Some(true) => dump == on,
                Some(false) => dump != on,
                None => dump == off,
            };
            if !shown {
                why.push(format!("the dump does not show {want_on:?}"));
            }
            if let Some(ns) = &ns {
                let out = Command::new("ip")
                    .args(["netns", "exec", &ns.0, "keepalived", "-t", "-l", "-n", "-f"])
                    .arg(&path)
                    .output()
                    .unwrap();
                let theirs = out.status.code().unwrap_or(-1);
                if theirs != code {
                    why.push(format!(
                        "keepalived exits {theirs}: {}",
                        String::from_utf8_lossy(&out.stderr).trim()
                    ));
                }
            }
            if !why.is_empty() {
                failures.push(format!("{ctx:?} `{line}`: {}", why.join("; ")));
            }
        }
    }
    println!(
        "{} keywords, {runs} configurations, keepalived compared: {}",
        TABLE.len(),
        ns.is_some()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
