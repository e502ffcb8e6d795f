//! Global configuration: the `global_defs { ... }` block and the few global keywords that
//! keepalived only accepts at the top level (`net_namespace`, `net_namespace_ipvs`,
//! `namespace_with_ipsets`, `instance`, `use_pid_dir`, `linkbeat_use_polling`, `child_wait_time`:
//! keepalived 2.2.7 reports them as unknown inside `global_defs`, and so do we, with a hint).
//!
//! Behaviour follows keepalived 2.2.7 as calibrated with `keepalived -t` (see the tests): what
//! keepalived reports is a Warning, what it accepts silently is at most a Note. In particular
//! keepalived ignores words after most values (`router_id a b` is `a`) and after pure flags
//! (`vrrp_strict off` enables strict mode); we do the same and say so in a Note. Keywords newer
//! than 2.2.7 (`json_version`, `vrrp_owner_ignore_adverts`, ...) are accepted with a Note.
//!
//! Parsing is in [`parse`], the canonical text in [`dump`]. [`Global::check`] holds what depends on
//! the machine (users and groups named for scripts), in [`check`].

mod check;
mod dump;
mod parse;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use crate::config::Config;
use crate::config::scripts::ScriptRef;
use crate::config::source::{At, Diagnostics};

/// The top-level keywords this section owns.
pub const TOP: &[&str] = &[
    "global_defs",
    "linkbeat_use_polling",
    "net_namespace",
    "net_namespace_ipvs",
    "namespace_with_ipsets",
    "use_pid_dir",
    "instance",
    "child_wait_time",
];

/// Everything global.
#[derive(Debug, Clone, PartialEq)]
pub struct Global {
    /// `linkbeat_use_polling` (top level): poll links with ETHTOOL/MII/ioctl instead of netlink.
    pub linkbeat_use_polling: bool,
    /// `net_namespace NAME` (top level): run in that network namespace. The first one counts.
    pub net_namespace: Option<String>,
    /// `net_namespace_ipvs [NAME]` (top level): the namespace for IPVS; `Some(None)` is the
    /// default namespace.
    pub net_namespace_ipvs: Option<Option<String>>,
    /// `namespace_with_ipsets` (top level): allow ipsets in a namespace on kernels before 3.13.
    pub namespace_with_ipsets: bool,
    /// `instance NAME` (top level): instance name in pid file names. The first one counts.
    pub instance: Option<String>,
    /// `use_pid_dir` (top level): pid files in /run/keepalived.
    pub use_pid_dir: bool,
    /// `child_wait_time SECS` (top level): how long to wait for children at exit. Default 5 s.
    pub child_wait_time: Duration,

    /// `router_id NAME`. Default: the host name.
    pub router_id: Option<String>,
    /// `process_names`, `process_name`, `vrrp_process_name`, ...
    pub process_names: ProcessNames,
    /// E-mail alerts.
    pub email: Email,
    /// Script user, script security, startup and shutdown scripts.
    pub scripts: Scripts,
    /// `dynamic_interfaces`, `default_interface`, VMAC prefixes, `disable_local_igmp`.
    pub interfaces: Interfaces,
    /// Defaults for VRRP instances and VRRP-wide settings.
    pub vrrp: VrrpDefaults,
    /// nftables / iptables settings.
    pub firewall: Firewall,
    /// IPVS-wide settings.
    pub lvs: LvsGlobals,
    /// Notify FIFOs.
    pub fifos: Fifos,
    /// Process scheduling.
    pub sched: Scheduling,
    /// Netlink receive buffers.
    pub netlink: NetlinkBufs,
    /// Reload and configuration handling.
    pub reload: Reload,
    /// `random_seed N`: seed of `${_RANDOM}`. Default: time based.
    pub random_seed: Option<u32>,
    /// `umask NUMBER|BITS`: umask for created files. Default IWGRP|IWOTH (022).
    pub umask: Option<u32>,
    /// Data, stats and JSON dumps.
    pub dumps: Dumps,
    /// SNMP: the AgentX subagent (VRRP-MIB served; see `crate::executor::snmp`).
    pub snmp: Snmp,
    /// DBus (accepted, not supported by keepalived-rs).
    pub dbus: Dbus,
    /// `iproute_usr_dir DIR` (keepalived 2.4+): where rt_tables, rt_protos etc. are read.
    pub iproute_usr_dir: Option<String>,
    /// `iproute_etc_dir DIR` (keepalived 2.4+).
    pub iproute_etc_dir: Option<String>,
    /// `metrics_listen ADDR PORT` (keepalived-rs only): where the Prometheus metrics are
    /// served over HTTP (`GET /metrics`). Default: not served.
    pub metrics_listen: Option<std::net::SocketAddr>,
}

impl Default for Global {
    fn default() -> Global {
        Global {
            linkbeat_use_polling: false,
            net_namespace: None,
            net_namespace_ipvs: None,
            namespace_with_ipsets: false,
            instance: None,
            use_pid_dir: false,
            child_wait_time: Duration::from_secs(5),
            router_id: None,
            process_names: ProcessNames::default(),
            email: Email::default(),
            scripts: Scripts::default(),
            interfaces: Interfaces::default(),
            vrrp: VrrpDefaults::default(),
            firewall: Firewall::default(),
            lvs: LvsGlobals::default(),
            fifos: Fifos::default(),
            sched: Scheduling::default(),
            netlink: NetlinkBufs::default(),
            reload: Reload::default(),
            random_seed: None,
            umask: None,
            dumps: Dumps::default(),
            snmp: Snmp::default(),
            dbus: Dbus::default(),
            iproute_usr_dir: None,
            iproute_etc_dir: None,
            metrics_listen: None,
        }
    }
}

/// Process names (`prctl` / `comm`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProcessNames {
    /// `process_names`: use the default names (keepalived, keepalived_vrrp, keepalived_ipvs,
    /// keepalived_bfd) for the ones not given below.
    pub defaults: bool,
    /// `process_name NAME`: the main process.
    pub parent: Option<String>,
    /// `vrrp_process_name NAME`.
    pub vrrp: Option<String>,
    /// `checker_process_name NAME` (alias `lvs_process_name`, deprecated).
    pub checker: Option<String>,
    /// `bfd_process_name NAME`.
    pub bfd: Option<String>,
}

/// E-mail alerts.
#[derive(Debug, Clone, PartialEq)]
pub struct Email {
    /// `notification_email { ADDR ... }`: recipients (several blocks add up).
    pub to: Vec<String>,
    /// `notification_email_from ADDR`. Default keepalived@HOSTNAME.
    pub from: Option<String>,
    /// `smtp_server HOST [PORT]`.
    pub smtp_server: Option<SmtpServer>,
    /// `smtp_helo_name NAME`. Default: the host name.
    pub helo_name: Option<String>,
    /// `smtp_connect_timeout SECS`: default 30 s; range 1..4294 s.
    pub connect_timeout: Duration,
    /// `smtp_alert [BOOL]`: default for every alert; unset means on when e-mail is configured.
    pub alert: Option<bool>,
    /// `smtp_alert_vrrp [BOOL]`.
    pub alert_vrrp: Option<bool>,
    /// `smtp_alert_checker [BOOL]`.
    pub alert_checker: Option<bool>,
    /// `no_email_faults`: no e-mail for FAULT transitions.
    pub no_email_faults: bool,
    /// `no_checker_emails`: e-mail only when a real server is added or removed.
    pub no_checker_emails: bool,
}

impl Default for Email {
    fn default() -> Email {
        Email {
            to: Vec::new(),
            from: None,
            smtp_server: None,
            helo_name: None,
            connect_timeout: Duration::from_secs(30),
            alert: None,
            alert_vrrp: None,
            alert_checker: None,
            no_email_faults: false,
            no_checker_emails: false,
        }
    }
}

/// Default SMTP port.
pub const SMTP_PORT: u16 = 25;

/// `smtp_server HOST [PORT]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpServer {
    pub host: SmtpHost,
    /// Default 25.
    pub port: u16,
}

/// An SMTP server address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SmtpHost {
    Ip(IpAddr),
    /// A host name: keepalived resolves it while reading the configuration (and reports a name it
    /// cannot resolve as "Invalid smtp server"); keepalived-rs resolves it when it starts.
    Name(String),
}

/// Script execution settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Scripts {
    /// `script_user USER [GROUP]`: default user for scripts. Default: `keepalived_script` if it
    /// exists, else root.
    pub user: Option<ScriptUser>,
    /// `enable_script_security`: refuse root scripts that non-root users could change.
    pub security: bool,
    /// `set_supplementary_groups [BOOL]` (newer than 2.2.7): give scripts the user's
    /// supplementary groups.
    pub set_supplementary_groups: bool,
    /// `use_symlink_paths [BOOL]` (keepalived 2.3+): check script paths without resolving
    /// symbolic links.
    pub use_symlink_paths: bool,
    /// `startup_script SCRIPT [USER [GROUP]]`: run once before anything starts.
    pub startup: Option<Script>,
    /// `startup_script_timeout SECS`: default 10 s; range 1..1000 s.
    pub startup_timeout: Duration,
    /// `shutdown_script SCRIPT [USER [GROUP]]`: run once after everything stopped.
    pub shutdown: Option<Script>,
    /// `shutdown_script_timeout SECS`: default 10 s; range 1..1000 s.
    pub shutdown_timeout: Duration,
}

impl Default for Scripts {
    fn default() -> Scripts {
        Scripts {
            user: None,
            security: false,
            set_supplementary_groups: false,
            use_symlink_paths: false,
            startup: None,
            startup_timeout: Duration::from_secs(10),
            shutdown: None,
            shutdown_timeout: Duration::from_secs(10),
        }
    }
}

/// `script_user USER [GROUP]`.
#[derive(Debug, Clone, PartialEq)]
pub struct ScriptUser {
    pub user: String,
    /// Default: the user's primary group.
    pub group: Option<String>,
    /// Where the user name was written.
    pub origin: At,
}

/// A script or command line, with the user and group to run it as.
#[derive(Debug, Clone, PartialEq)]
pub struct Script {
    /// The command as written (one word; quotes keep spaces: `"/bin/x arg"`).
    pub cmd: String,
    /// Default: `script_user`.
    pub user: Option<String>,
    pub group: Option<String>,
    /// Where the command was written.
    pub origin: At,
}

/// `dynamic_interfaces [allow_if_changes]`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum DynamicInterfaces {
    /// Interfaces must exist at startup (default).
    #[default]
    Off,
    /// Interfaces may come and go.
    On,
    /// ... and may be recreated with a different type or parent.
    AllowIfChanges,
}

/// Interface-related settings.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Interfaces {
    pub dynamic: DynamicInterfaces,
    /// `default_interface IF`: for static addresses without `dev`. Default eth0.
    pub default_interface: Option<String>,
    /// `vmac_prefix STR`: prefix of generated VMAC names. Default "vrrp".
    pub vmac_prefix: Option<String>,
    /// `vmac_addr_prefix STR`: prefix for VMACs of VIPs off the instance's interface. Default
    /// `vmac_prefix`.
    pub vmac_addr_prefix: Option<String>,
    /// `disable_local_igmp`: set igmp_link_local_mcast_reports off.
    pub disable_local_igmp: bool,
}

/// The IPv4 VRRP multicast group (RFC 5798 5.1.1.2).
pub const VRRP_MCAST4: Ipv4Addr = Ipv4Addr::new(224, 0, 0, 18);
/// The IPv6 VRRP multicast group (RFC 5798 5.1.2.2).
pub const VRRP_MCAST6: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 0x12);

/// VRRP defaults and VRRP-wide settings.
#[derive(Debug, Clone, PartialEq)]
pub struct VrrpDefaults {
    /// `vrrp_mcast_group4 ADDR`: IPv4 multicast. Default 224.0.0.18.
    pub mcast_group4: Ipv4Addr,
    /// `vrrp_mcast_group6 ADDR`: IPv6 multicast. Default ff02::12.
    pub mcast_group6: Ipv6Addr,
    /// `vrrp_garp_master_delay SECS`: second GARP burst after becoming master; 0: none.
    /// Default 5 s; range 0..4294 s (whole seconds).
    pub garp_master_delay: Duration,
    /// `vrrp_garp_master_repeat N`: GARPs per burst. Default 5; at least 1.
    pub garp_master_repeat: u32,
    /// `vrrp_garp_lower_prio_delay SECS`: after a lower priority advert while master. Default
    /// `garp_master_delay`; range 0..4294 s.
    pub garp_lower_prio_delay: Option<Duration>,
    /// `vrrp_garp_lower_prio_repeat N`: default `garp_master_repeat`; 0 allowed.
    pub garp_lower_prio_repeat: Option<u32>,
    /// `vrrp_garp_master_refresh SECS`: periodic GARPs while master; 0: none (default).
    pub garp_master_refresh: Duration,
    /// `vrrp_garp_master_refresh_repeat N`: GARPs per refresh. Default 1; at least 1.
    pub garp_master_refresh_repeat: u32,
    /// `vrrp_garp_interval SECS`: delay between GARPs on an interface. Default 0; range
    /// 0.000001..4294.967295 s.
    pub garp_interval: Duration,
    /// `vrrp_gna_interval SECS`: delay between unsolicited NAs. Default 0; same range.
    pub gna_interval: Duration,
    /// `vrrp_min_garp [BOOL]`: one GARP/NA, no second burst.
    pub min_garp: bool,
    /// `vrrp_garp_extra_if [all] SECS` (old name `vrrp_vmac_garp_intvl`).
    pub garp_extra_if: Option<GarpExtraIf>,
    /// `vrrp_down_timer_adverts N`: adverts missed before master down. Default 3; range 1..100.
    pub down_timer_adverts: u8,
    /// `vrrp_version 2|3`: default 2 (IPv6 instances use 3).
    pub version: u8,
    /// `vrrp_strict`: strict RFC compliance.
    pub strict: bool,
    /// `vrrp_check_unicast_src`: unicast adverts must come from a configured peer.
    pub check_unicast_src: bool,
    /// `vrrp_skip_check_adv_addr`: don't recheck addresses of adverts from the same master.
    pub skip_check_adv_addr: bool,
    /// `vrrp_lower_prio_no_advert [BOOL]`: unset: off unless strict.
    pub lower_prio_no_advert: Option<bool>,
    /// `vrrp_higher_prio_send_advert [BOOL]`.
    pub higher_prio_send_advert: bool,
    /// `vrrp_startup_delay SECS`: delay before instances start. Range 0.001..4294.967295 s.
    pub startup_delay: Option<Duration>,
    /// `vrrp_delay_after_boot SECS` (keepalived 2.4+).
    pub delay_after_boot: Option<Duration>,
    /// `log_unknown_vrids`.
    pub log_unknown_vrids: bool,
    /// `v3_checksum_as_v2 [BOOL]` (newer than 2.2.7): VRRPv3 IPv4 checksum without the pseudo
    /// header (RFC 9568).
    pub v3_checksum_as_v2: bool,
    /// `vrrp_notify_priority_changes [BOOL]`: priority changes on the notify FIFOs.
    pub notify_priority_changes: bool,
    /// `vrrp_owner_ignore_adverts [BOOL]` (newer than 2.2.7): address owners ignore adverts.
    pub owner_ignore_adverts: bool,
    /// `vrrp_rx_bufs_policy MTU|ADVERT|SIZE`. Default: the system's.
    pub rx_bufs_policy: Option<RxBufsPolicy>,
    /// `vrrp_rx_bufs_multiplier N`: default 3; at least 1.
    pub rx_bufs_multiplier: u32,
}

impl Default for VrrpDefaults {
    fn default() -> VrrpDefaults {
        VrrpDefaults {
            mcast_group4: VRRP_MCAST4,
            mcast_group6: VRRP_MCAST6,
            garp_master_delay: Duration::from_secs(5),
            garp_master_repeat: 5,
            garp_lower_prio_delay: None,
            garp_lower_prio_repeat: None,
            garp_master_refresh: Duration::ZERO,
            garp_master_refresh_repeat: 1,
            garp_interval: Duration::ZERO,
            gna_interval: Duration::ZERO,
            min_garp: false,
            garp_extra_if: None,
            down_timer_adverts: 3,
            version: 2,
            strict: false,
            check_unicast_src: false,
            skip_check_adv_addr: false,
            lower_prio_no_advert: None,
            higher_prio_send_advert: false,
            startup_delay: None,
            delay_after_boot: None,
            log_unknown_vrids: false,
            v3_checksum_as_v2: false,
            notify_priority_changes: false,
            owner_ignore_adverts: false,
            rx_bufs_policy: None,
            rx_bufs_multiplier: 3,
        }
    }
}

/// `vrrp_garp_extra_if [all] SECS`: periodic GARP/NA on interfaces other than the instance's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GarpExtraIf {
    /// `all`: every interface of the instance, not only VMACs.
    pub all: bool,
    /// Range 1..86400 s.
    pub interval: Duration,
}

/// `vrrp_rx_bufs_policy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RxBufsPolicy {
    /// Interface MTU × multiplier per instance.
    Mtu,
    /// Advert size × multiplier per instance.
    Advert,
    /// A fixed size in bytes.
    Size(u32),
}

/// Firewall settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Firewall {
    /// `vrrp_iptables [IN [OUT]]`: not supported (like Debian's keepalived, which is built
    /// without iptables): nftables is used instead.
    pub iptables: Option<Iptables>,
    /// `vrrp_ipsets [NAMES...]`: not supported (see `iptables`).
    pub ipsets: Option<Vec<String>>,
    /// `nftables [TABLE]`: use nftables, table default "keepalived".
    pub nftables: Option<String>,
    /// `nftables_priority N`: base chain priority. Default -1.
    pub nftables_priority: i32,
    /// `nftables_counters`.
    pub nftables_counters: bool,
    /// `nftables_ifindex`.
    pub nftables_ifindex: bool,
    /// `nftables_ipvs [TABLE]`: table default "keepalived_ipvs".
    pub nftables_ipvs: Option<String>,
    /// `nftables_ipvs_priority N`.
    pub nftables_ipvs_priority: Option<i32>,
    /// `nftables_ipvs_start_fwmark N`: default 1000; at least 1.
    pub nftables_ipvs_start_fwmark: u32,
}

/// Default nftables table names.
pub const NFT_TABLE: &str = "keepalived";
pub const NFT_IPVS_TABLE: &str = "keepalived_ipvs";

impl Default for Firewall {
    fn default() -> Firewall {
        Firewall {
            iptables: None,
            ipsets: None,
            nftables: None,
            nftables_priority: -1,
            nftables_counters: false,
            nftables_ifindex: false,
            nftables_ipvs: None,
            nftables_ipvs_priority: None,
            nftables_ipvs_start_fwmark: 1000,
        }
    }
}

/// `vrrp_iptables [IN [OUT]]`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Iptables {
    /// Default INPUT.
    pub in_chain: Option<String>,
    pub out_chain: Option<String>,
}

/// IPVS-wide settings.
#[derive(Debug, Clone, PartialEq)]
pub struct LvsGlobals {
    /// `lvs_timeouts [tcp S] [tcpfin S] [udp S]`: connection timeouts, 0..2678400 s.
    pub timeouts: LvsTimeouts,
    /// `lvs_flush`: flush IPVS at startup.
    pub flush: bool,
    /// `lvs_flush_on_stop [VS]` (alias `lvs_flush_onstop`).
    pub flush_on_stop: FlushOnStop,
    /// `lvs_sync_daemon IF [[inst] VI] [id N] [maxlen N] [port N] [ttl N] [group IP]`.
    pub sync_daemon: Option<SyncDaemon>,
    /// `lvs_reconcile_interval SECS` (keepalived-rs only, 1..=3600, default 5): how often the
    /// kernel's IPVS table is read and compared with the configured one.
    pub reconcile_interval: u32,
    /// `lvs_drain_on_remove [SECS]` (keepalived-rs only, 1..=86400, default 300 when given
    /// without a value): a real server a reload removes first goes to weight 0 and is deleted
    /// when its connections are gone or after SECS; `None`: deleted at once (keepalived).
    pub drain_on_remove: Option<u32>,
    /// `checker_log_all_failures [BOOL]`: log every failed check.
    pub checker_log_all_failures: bool,
    /// `rs_init_notifies [BOOL]`: notify for real servers at startup.
    pub rs_init_notifies: bool,
}

impl Default for LvsGlobals {
    fn default() -> LvsGlobals {
        LvsGlobals {
            timeouts: LvsTimeouts::default(),
            flush: false,
            flush_on_stop: FlushOnStop::default(),
            sync_daemon: None,
            reconcile_interval: RECONCILE_DEFAULT,
            drain_on_remove: None,
            checker_log_all_failures: false,
            rs_init_notifies: false,
        }
    }
}

/// `lvs_reconcile_interval`'s default, in seconds.
pub const RECONCILE_DEFAULT: u32 = 5;

/// `lvs_drain_on_remove`'s timeout without a value, in seconds.
pub const DRAIN_DEFAULT: u32 = 300;

/// `lvs_timeouts`, in whole seconds; `None` leaves the kernel's value.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LvsTimeouts {
    pub tcp: Option<u32>,
    pub tcpfin: Option<u32>,
    pub udp: Option<u32>,
}

/// `lvs_flush_on_stop`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum FlushOnStop {
    /// Remove each real and virtual server (default).
    #[default]
    No,
    /// Flush all of IPVS.
    All,
    /// `VS`: remove each virtual server, leaving its real servers to the kernel.
    Vs,
}

/// The IPVS connection sync daemon.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncDaemon {
    pub interface: String,
    /// The VRRP instance whose state the daemon follows; none: master and backup both run.
    pub instance: Option<String>,
    /// `id N` (0..255): default the instance's VRID, or 0.
    pub syncid: Option<u8>,
    /// `maxlen N` (1..65507).
    pub maxlen: Option<u16>,
    /// `port N` (1..65535): default 8848.
    pub port: Option<u16>,
    /// `ttl N` (1..255).
    pub ttl: Option<u8>,
    /// `group IP` (multicast): default 224.0.0.81.
    pub group: Option<IpAddr>,
}

/// The notify FIFOs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Fifos {
    /// `notify_fifo` / `notify_fifo_script`: every event.
    pub notify: Fifo,
    /// `vrrp_notify_fifo` / `vrrp_notify_fifo_script`.
    pub vrrp: Fifo,
    /// `lvs_notify_fifo` / `lvs_notify_fifo_script`.
    pub lvs: Fifo,
    /// `fifo_write_vrrp_states_on_reload`.
    pub write_vrrp_states_on_reload: bool,
}

/// One notify FIFO and the script that reads it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Fifo {
    /// `..._fifo PATH [USER [GROUP]]`: the FIFO (created if missing) and its owner.
    pub path: Option<FifoFile>,
    /// `..._fifo_script SCRIPT [USER [GROUP]]`: run with the FIFO name as last argument.
    pub script: Option<Script>,
}

/// A notify FIFO: `PATH [USER [GROUP]]`.
#[derive(Debug, Clone, PartialEq)]
pub struct FifoFile {
    pub path: String,
    /// Owner; default root.
    pub user: Option<String>,
    pub group: Option<String>,
    /// Where the path was written.
    pub origin: At,
}

/// Scheduling of the VRRP, checker and BFD work (one process in keepalived-rs).
#[derive(Debug, Clone, PartialEq)]
pub struct Scheduling {
    pub vrrp: ProcessSched,
    pub checker: ProcessSched,
    pub bfd: ProcessSched,
    /// `max_auto_priority [N]`: -1..99; without a value 99. Unset: no automatic increase.
    pub max_auto_priority: Option<i8>,
    /// `min_auto_priority_delay USECS`: default 1 s; range 1..10000000 µs.
    pub min_auto_priority_delay: Duration,
}

impl Default for Scheduling {
    fn default() -> Scheduling {
        Scheduling {
            vrrp: ProcessSched::default(),
            checker: ProcessSched::default(),
            bfd: ProcessSched::default(),
            max_auto_priority: None,
            min_auto_priority_delay: Duration::from_secs(1),
        }
    }
}

/// `{vrrp,checker,bfd}_{priority,no_swap,cpu_affinity,rt_priority,rlimit_rttime}`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProcessSched {
    /// `_priority N`: nice value, -20..19.
    pub priority: Option<i8>,
    /// `_no_swap`: lock memory.
    pub no_swap: bool,
    /// `_cpu_affinity CPU...`.
    pub cpu_affinity: Vec<u16>,
    /// `_rt_priority N`: SCHED_RR priority 1..99.
    pub rt_priority: Option<u8>,
    /// `_rlimit_rttime USECS` (alias `_rlimit_rtime`): RLIMIT_RTTIME. Default 10000 µs.
    pub rlimit_rttime: Option<u32>,
    /// `_sched_slice USECS` (keepalived-rs): the EEVDF scheduler's slice for the process
    /// (Linux 6.12+), 100..100000 µs; a short one wakes the daemon ahead of busy tasks without
    /// real-time priority.
    pub sched_slice: Option<u32>,
}

/// Netlink socket receive buffers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NetlinkBufs {
    pub vrrp_cmd: RcvBufs,
    pub vrrp_monitor: RcvBufs,
    pub lvs_cmd: RcvBufs,
    pub lvs_monitor: RcvBufs,
    pub process_monitor: RcvBufs,
}

/// `X_rcv_bufs BYTES` and `X_rcv_bufs_force [BOOL]`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RcvBufs {
    pub size: Option<u32>,
    /// Use SO_RCVBUFFORCE (beyond rmem_max).
    pub force: bool,
}

/// Reload and configuration handling.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Reload {
    /// `reload_check_config [LOG_FILE]`: check a new configuration before reloading.
    pub check_config: Option<Option<String>>,
    /// `reload_time_file PATH`: schedule reloads from a file.
    pub time_file: Option<String>,
    /// `reload_repeat`: keep the time file, reload daily.
    pub repeat: bool,
    /// `reload_file [PATH]`: present while the configuration is read. Default
    /// keepalived.reload in the pid directory.
    pub file: Option<Option<String>>,
    /// `include_check [[+|-]readable|match|wildcard_match|brace_match ...]`.
    pub include_check: Option<IncludeCheck>,
    /// `tmp_config_directory DIR`.
    pub tmp_config_directory: Option<String>,
    /// `config_save_dir DIR`.
    pub config_save_dir: Option<String>,
}

/// `include_check` options: what it adds and what it removes. No option adds all four.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IncludeCheck {
    pub add: IncludeChecks,
    pub remove: IncludeChecks,
}

/// A set of include checks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IncludeChecks {
    /// Every match must be a readable file.
    pub readable: bool,
    /// A name without wildcards must match.
    pub matches: bool,
    /// A name with wildcards must match.
    pub wildcard_match: bool,
    /// Each brace alternative must match.
    pub brace_match: bool,
}

/// Dump files.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Dumps {
    /// `data_use_instance [BOOL]`: instance and namespace in .data file names.
    pub data_use_instance: bool,
    /// `state_dump_file PATH` (also `state_file_location`; keepalived 2.4+).
    pub state_file: Option<String>,
    /// `stats_dump_file PATH` (also `stats_file_location`; keepalived 2.4+).
    pub stats_file: Option<String>,
    /// `json_dump_file PATH` (also `json_file_location`; keepalived 2.4+). Default
    /// /tmp/keepalived.json.
    pub json_file: Option<String>,
    /// `json_version 1|2` (keepalived 2.4+).
    pub json_version: Option<u8>,
}

/// SNMP settings: `snmp_socket`, `enable_snmp_rfcv2` and `enable_traps` act (the VRRP-MIB);
/// the KEEPALIVED-MIB and VRRPv3-MIB keywords are accepted with a note.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snmp {
    /// `snmp_socket SOCKET`. Default unix:/var/agentx/master.
    pub socket: Option<String>,
    /// `enable_snmp_vrrp` (alias `enable_snmp_keepalived`).
    pub vrrp: bool,
    /// `enable_snmp_checker`.
    pub checker: bool,
    /// `enable_snmp_rfcv2` (or `enable_snmp_rfc`).
    pub rfcv2: bool,
    /// `enable_snmp_rfcv3` (or `enable_snmp_rfc`).
    pub rfcv3: bool,
    /// `enable_traps`.
    pub traps: bool,
}

/// DBus settings: accepted, not supported by keepalived-rs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dbus {
    /// `enable_dbus`.
    pub enabled: bool,
    /// `dbus_service_name NAME`. Default org.keepalived.Vrrp1.
    pub service_name: Option<String>,
}

#[cfg(test)]
mod tests;
