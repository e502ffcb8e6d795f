//! `vrrp_instance NAME { ... }`.

use std::net::IpAddr;
use std::time::Duration;

use super::super::dump::Writer;
use super::super::source::Diagnostics;
use super::super::tree::{Node, Word};
use super::super::value::{self, Prefix};
use super::addr::{self, AddrUse, IpAddress, Route, Rule};
use super::track::{self, Notifies, Tracking};
use super::{
    At, Vrrp, bare, block_name, bool_line, ifname_ok, int_arg, note_at, opt_bool, quote, secs_arg,
    secs_line, str_arg, sub_block, timer_arg, value_block, warn_at,
};

/// An address family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    Inet,
    Inet6,
}

impl Family {
    pub fn of(a: IpAddr) -> Family {
        if a.is_ipv4() {
            Family::Inet
        } else {
            Family::Inet6
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Family::Inet => "IPv4",
            Family::Inet6 => "IPv6",
        }
    }
}

/// `state MASTER|BACKUP`: the state an instance starts in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Master,
    Backup,
}

/// `use_vmac [[name] IF] [MAC] [netlink_notify_msg] [group G]`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Vmac {
    /// Interface name (default `vrrp.VRID`, IPv6 second choice `vrrp6.VRID`).
    pub name: Option<String>,
    /// 6 octets, or 5 (the VRID is appended). Default 00:00:5e:00:01|02:VRID.
    pub mac: Option<Vec<u8>>,
    pub netlink_notify_msg: bool,
    /// Link group (number or name from /etc/iproute2/group); default the parent's.
    pub group: Option<String>,
}

/// `use_ipvlan` mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IpvlanMode {
    Bridge,
    Private,
    Vepa,
}

/// `use_ipvlan [[name] IF] [IP[/LEN]] [bridge|private|vepa] [group G]`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Ipvlan {
    pub name: Option<String>,
    /// Required for IPv4 instances; also the source address if none is configured.
    pub addr: Option<Prefix>,
    /// Default bridge.
    pub mode: Option<IpvlanMode>,
    pub group: Option<String>,
}

/// One line of `unicast_peer { IP [min_ttl N] [max_ttl N] }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnicastPeer {
    pub addr: IpAddr,
    /// 0..255; giving either turns on `check_unicast_src`.
    pub min_ttl: Option<u8>,
    pub max_ttl: Option<u8>,
    pub at: At,
}

/// `old_unicast_checksum [never]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OldChecksum {
    /// Bare: use the pre-1.3.6 VRRPv3 unicast checksum.
    Use,
    /// `never`: do not even detect it.
    Never,
}

/// `garp_extra_if [all] SECS` (deprecated `vmac_garp_intvl`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GarpExtraIf {
    pub all: bool,
    /// 0..86400 s; 0 disables.
    pub interval: Duration,
}

/// Per-instance GARP/NA settings; `None` takes the global `vrrp_garp_*` value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct GarpSettings {
    /// `garp_master_delay SECS` (whole seconds; global default 5).
    pub master_delay: Option<Duration>,
    /// `garp_master_repeat N` (≥ 1; global default 5).
    pub master_repeat: Option<u32>,
    /// `garp_lower_prio_delay SECS` (default: the master delay).
    pub lower_prio_delay: Option<Duration>,
    /// `garp_lower_prio_repeat N` (default: the master repeat).
    pub lower_prio_repeat: Option<u32>,
    /// `garp_master_refresh SECS` (0: off).
    pub master_refresh: Option<Duration>,
    /// `garp_master_refresh_repeat N` (≥ 1; default 1).
    pub master_refresh_repeat: Option<u32>,
    /// `garp_interval SECS` (keepalived 2.3+ per instance).
    pub interval: Option<Duration>,
    /// `gna_interval SECS` (keepalived 2.3+ per instance).
    pub gna_interval: Option<Duration>,
    pub extra_if: Option<GarpExtraIf>,
}

/// `auth_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthType {
    /// Simple password (VRRPv2 only).
    Pass,
    /// IPsec AH with HMAC-MD5-96 (VRRPv2, IPv4 only).
    Ah,
}

/// `authentication { auth_type PASS|AH; auth_pass SECRET }`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Authentication {
    pub auth_type: Option<AuthType>,
    /// At most 8 bytes (longer ones are truncated with a warning, as keepalived).
    pub auth_pass: Option<String>,
    pub at: At,
}

/// `anti_replay` of `auth_hmac`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AntiReplay {
    Time,
    Monotonic,
}

/// `mode` of `auth_hmac`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HmacMode {
    Enforce,
    Permissive,
    ReceiveOnly,
}

/// `key ID VALUE` of `auth_hmac`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HmacKey {
    /// 1..255.
    pub id: u8,
    /// `hex:...`, `file:PATH` or an ASCII key (32 to 64 bytes), as written.
    pub value: String,
}

/// `auth_hmac { ... }` (keepalived 2.4+): HMAC-SHA256/128 trailer on adverts.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AuthHmac {
    pub keys: Vec<HmacKey>,
    /// The key id used to sign (must be one of `keys`).
    pub active_key: Option<u8>,
    /// Default time.
    pub anti_replay: Option<AntiReplay>,
    /// 1..300 s; default max(3 × advert_int, 5).
    pub time_window: Option<u16>,
    /// Default enforce.
    pub mode: Option<HmacMode>,
    pub at: At,
}

/// One `vrrp_instance`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Instance {
    pub name: String,
    pub at: At,
    /// `state MASTER|BACKUP` (default BACKUP).
    pub state: Option<State>,
    pub state_at: At,
    /// `interface IF`; may be omitted with unicast peers.
    pub interface: Option<String>,
    pub interface_at: At,
    /// `vrf IF`: only without `interface`.
    pub vrf: Option<String>,
    pub use_vmac: Option<Vmac>,
    pub use_vmac_at: At,
    pub use_vmac_addr: bool,
    pub vmac_xmit_base: bool,
    pub use_ipvlan: Option<Ipvlan>,
    /// `native_ipv6` (deprecated: the addresses decide the family).
    pub native_ipv6: bool,
    pub dont_track_primary: bool,
    /// `track_interface`, `track_script`, `track_file`, `track_process`, `track_bfd`.
    pub tracking: Tracking,
    /// `mcast_src_ip IP` / `unicast_src_ip IP`: the advert source address.
    pub src_ip: Option<IpAddr>,
    /// It was given as `unicast_src_ip`.
    pub src_ip_unicast: bool,
    pub src_ip_at: At,
    /// `mcast_dst_ip IP` (default 224.0.0.18 / ff02::12, or the global groups).
    pub mcast_dst_ip: Option<IpAddr>,
    pub mcast_dst_at: At,
    pub track_src_ip: bool,
    /// `version 2|3` (default: global `vrrp_version`, 2; IPv6 forces 3).
    pub version: Option<u8>,
    pub version_at: At,
    pub check_unicast_src: bool,
    /// `unicast_peer { ... }`: `None` when there is no block (an empty block still asks for
    /// unicast).
    pub unicast_peers: Option<Vec<UnicastPeer>>,
    pub unicast_peer_at: At,
    pub unicast_fault_no_peer: bool,
    /// `unicast_ttl 0..255` (default 255).
    pub unicast_ttl: Option<u8>,
    pub unicast_ttl_at: At,
    pub old_unicast_checksum: Option<OldChecksum>,
    /// `v3_checksum_as_v2 [BOOL]` (keepalived 2.3+).
    pub v3_checksum_as_v2: Option<bool>,
    pub garp: GarpSettings,
    /// `down_timer_adverts 1..100` (default 3).
    pub down_timer_adverts: Option<u8>,
    pub down_timer_adverts_at: At,
    /// `timer_expired_backup [PRIO]` (keepalived 2.3+): the highest priority of the others,
    /// 1..254 (254 when bare).
    pub timer_expired_backup: Option<u8>,
    pub lower_prio_no_advert: Option<bool>,
    pub lower_prio_no_advert_at: At,
    pub higher_prio_send_advert: Option<bool>,
    pub higher_prio_send_advert_at: At,
    /// `virtual_router_id 1..255`: required.
    pub virtual_router_id: Option<u8>,
    pub vrid_at: At,
    /// `priority 1..255` (255: address owner). Default 100, or 255 when `state MASTER`.
    pub priority: Option<u8>,
    pub priority_at: At,
    /// `advert_int SECS`: [0.01, 255] s, default 1 s (v2: whole seconds; v3: centiseconds).
    pub advert_int: Option<Duration>,
    pub advert_int_at: At,
    pub authentication: Option<Authentication>,
    pub auth_hmac: Option<AuthHmac>,
    pub virtual_ipaddresses: Vec<IpAddress>,
    pub virtual_ipaddress_at: At,
    pub virtual_ipaddresses_excluded: Vec<IpAddress>,
    /// `no_virtual_ipaddress` (keepalived 2.3+): no VIPs, and no warning about it.
    pub no_virtual_ipaddress: bool,
    pub promote_secondaries: bool,
    /// `linkbeat_use_polling` (deprecated: use `linkbeat_interfaces`).
    pub linkbeat_use_polling: bool,
    pub virtual_routes: Vec<Route>,
    pub virtual_rules: Vec<Rule>,
    /// `accept` (true) / `no_accept` (false); default true unless strict.
    pub accept: Option<bool>,
    pub accept_at: At,
    pub skip_check_adv_addr: Option<bool>,
    /// `strict_mode [BOOL]` (default: global `vrrp_strict`).
    pub strict_mode: Option<bool>,
    /// `nopreempt` (`preempt` clears it).
    pub nopreempt: bool,
    pub nopreempt_at: At,
    /// `preempt_delay SECS`: [0, 1000] s (µs resolution).
    pub preempt_delay: Option<Duration>,
    pub preempt_delay_at: At,
    /// `debug 0..4` (not implemented by keepalived either).
    pub debug: Option<u8>,
    pub notify: Notifies,
    pub smtp_alert: Option<bool>,
    pub notify_priority_changes: Option<bool>,
    /// `kernel_rx_buf_size N`.
    pub kernel_rx_buf_size: Option<u32>,
    /// `lvs_sync_daemon_interface IF` (deprecated: global `lvs_sync_daemon`).
    pub lvs_sync_daemon_interface: Option<String>,
    /// `owner_ignore_adverts [BOOL]` (keepalived 2.3+; default: global
    /// `vrrp_owner_ignore_adverts`).
    pub owner_ignore_adverts: Option<bool>,
}

impl Instance {
    /// The address family: the first VIP's, else the source address's, else the first peer's,
    /// else IPv6 with `native_ipv6`, else IPv4.
    pub fn family(&self) -> Family {
        if let Some(a) = self.virtual_ipaddresses.first() {
            return a.family();
        }
        if let Some(a) = self.src_ip {
            return Family::of(a);
        }
        if let Some(p) = self.unicast_peers.as_ref().and_then(|p| p.first()) {
            return Family::of(p.addr);
        }
        if let Some(a) = self.mcast_dst_ip {
            return Family::of(a);
        }
        if let Some(a) = self.use_ipvlan.as_ref().and_then(|i| i.addr) {
            return Family::of(a.addr);
        }
        if self.native_ipv6 {
            return Family::Inet6;
        }
        Family::Inet
    }

    /// The VRRP version in force, given the global default (`vrrp_version`, 2 when unset).
    pub fn effective_version(&self, global_default: u8) -> u8 {
        if self.family() == Family::Inet6 {
            return 3;
        }
        self.version.unwrap_or(global_default)
    }

    /// The priority in force: as configured, else 255 for `state MASTER`, else 100.
    pub fn effective_priority(&self) -> u8 {
        match (self.priority, self.state) {
            (Some(p), _) => p,
            (None, Some(State::Master)) => 255,
            (None, _) => 100,
        }
    }

    /// The advert interval in force (keepalived rounds v2 to whole seconds, v3 to centiseconds,
    /// and caps v3 at 40.95 s).
    pub fn effective_advert_int(&self, version: u8) -> Duration {
        let a = self.advert_int.unwrap_or(Duration::from_secs(1));
        if version == 2 {
            let s = (a.as_micros() + 500_000) / 1_000_000;
            Duration::from_secs(s.max(1) as u64)
        } else {
            let cs = ((a.as_micros() + 5_000) / 10_000).clamp(1, 4095);
            Duration::from_millis(cs as u64 * 10)
        }
    }

    /// Whether unicast is asked for (peers, or a keyword that only makes sense with them).
    pub fn unicast_configured(&self) -> bool {
        self.unicast_peers.is_some()
            || self.src_ip_unicast
            || self.check_unicast_src
            || self.old_unicast_checksum.is_some()
            || self.unicast_fault_no_peer
    }

    /// The unicast peers (empty when none).
    pub fn peers(&self) -> &[UnicastPeer] {
        self.unicast_peers.as_deref().unwrap_or(&[])
    }

    pub(super) fn dump(&self, w: &mut Writer) {
        w.open("vrrp_instance", &[&self.name]);
        match self.state {
            Some(State::Master) => w.raw("state MASTER"),
            Some(State::Backup) => w.raw("state BACKUP"),
            None => {}
        }
        w.opt("interface", &self.interface);
        w.opt("vrf", &self.vrf);
        w.opt("virtual_router_id", &self.virtual_router_id);
        w.opt("priority", &self.priority);
        secs_line(w, "advert_int", self.advert_int);
        w.opt("version", &self.version);
        w.flag("native_ipv6", self.native_ipv6);
        if let Some(v) = &self.use_vmac {
            let mut s = String::from("use_vmac");
            if let Some(n) = &v.name {
                s.push_str(&format!(" name {}", quote(n)));
            }
            if let Some(m) = &v.mac {
                let hex: Vec<String> = m.iter().map(|b| format!("{b:02x}")).collect();
                s.push(' ');
                s.push_str(&hex.join(":"));
            }
            if v.netlink_notify_msg {
                s.push_str(" netlink_notify_msg");
            }
            if let Some(g) = &v.group {
                s.push_str(&format!(" group {}", quote(g)));
            }
            w.raw(&s);
        }
        w.flag("use_vmac_addr", self.use_vmac_addr);
        w.flag("vmac_xmit_base", self.vmac_xmit_base);
        if let Some(v) = &self.use_ipvlan {
            let mut s = String::from("use_ipvlan");
            if let Some(n) = &v.name {
                s.push_str(&format!(" name {}", quote(n)));
            }
            if let Some(a) = v.addr {
                s.push_str(&format!(" {a}"));
            }
            match v.mode {
                Some(IpvlanMode::Bridge) => s.push_str(" bridge"),
                Some(IpvlanMode::Private) => s.push_str(" private"),
                Some(IpvlanMode::Vepa) => s.push_str(" vepa"),
                None => {}
            }
            if let Some(g) = &v.group {
                s.push_str(&format!(" group {}", quote(g)));
            }
            w.raw(&s);
        }
        w.flag("dont_track_primary", self.dont_track_primary);
        if let Some(a) = self.src_ip {
            let kw = if self.src_ip_unicast {
                "unicast_src_ip"
            } else {
                "mcast_src_ip"
            };
            w.line(kw, &[a.to_string()]);
        }
        w.opt("mcast_dst_ip", &self.mcast_dst_ip);
        w.flag("track_src_ip", self.track_src_ip);
        w.flag("check_unicast_src", self.check_unicast_src);
        if let Some(peers) = &self.unicast_peers {
            w.open("unicast_peer", super::NO_WORDS);
            for p in peers {
                let mut s = p.addr.to_string();
                if let Some(t) = p.min_ttl {
                    s.push_str(&format!(" min_ttl {t}"));
                }
                if let Some(t) = p.max_ttl {
                    s.push_str(&format!(" max_ttl {t}"));
                }
                w.raw(&s);
            }
            w.close();
        }
        w.flag("unicast_fault_no_peer", self.unicast_fault_no_peer);
        w.opt("unicast_ttl", &self.unicast_ttl);
        match self.old_unicast_checksum {
            Some(OldChecksum::Use) => w.raw("old_unicast_checksum"),
            Some(OldChecksum::Never) => w.raw("old_unicast_checksum never"),
            None => {}
        }
        bool_line(w, "v3_checksum_as_v2", self.v3_checksum_as_v2);
        self.tracking.dump(w);
        let g = &self.garp;
        secs_line(w, "garp_master_delay", g.master_delay);
        w.opt("garp_master_repeat", &g.master_repeat);
        secs_line(w, "garp_lower_prio_delay", g.lower_prio_delay);
        w.opt("garp_lower_prio_repeat", &g.lower_prio_repeat);
        secs_line(w, "garp_master_refresh", g.master_refresh);
        w.opt("garp_master_refresh_repeat", &g.master_refresh_repeat);
        secs_line(w, "garp_interval", g.interval);
        secs_line(w, "gna_interval", g.gna_interval);
        if let Some(x) = g.extra_if {
            let all = if x.all { "all " } else { "" };
            w.raw(&format!("garp_extra_if {all}{}", x.interval.as_secs()));
        }
        w.opt("down_timer_adverts", &self.down_timer_adverts);
        w.opt("timer_expired_backup", &self.timer_expired_backup);
        bool_line(w, "lower_prio_no_advert", self.lower_prio_no_advert);
        bool_line(w, "higher_prio_send_advert", self.higher_prio_send_advert);
        if let Some(a) = &self.authentication {
            w.open("authentication", super::NO_WORDS);
            match a.auth_type {
                Some(AuthType::Pass) => w.raw("auth_type PASS"),
                Some(AuthType::Ah) => w.raw("auth_type AH"),
                None => {}
            }
            if let Some(p) = &a.auth_pass {
                w.line("auth_pass", std::slice::from_ref(p));
            }
            w.close();
        }
        if let Some(h) = &self.auth_hmac {
            w.open("auth_hmac", super::NO_WORDS);
            for k in &h.keys {
                w.raw(&format!("key {} {}", k.id, quote(&k.value)));
            }
            w.opt("active_key", &h.active_key);
            match h.anti_replay {
                Some(AntiReplay::Time) => w.raw("anti_replay time"),
                Some(AntiReplay::Monotonic) => w.raw("anti_replay monotonic"),
                None => {}
            }
            w.opt("time_window", &h.time_window);
            match h.mode {
                Some(HmacMode::Enforce) => w.raw("mode enforce"),
                Some(HmacMode::Permissive) => w.raw("mode permissive"),
                Some(HmacMode::ReceiveOnly) => w.raw("mode receive-only"),
                None => {}
            }
            w.close();
        }
        dump_addrs(w, "virtual_ipaddress", &self.virtual_ipaddresses);
        dump_addrs(
            w,
            "virtual_ipaddress_excluded",
            &self.virtual_ipaddresses_excluded,
        );
        w.flag("no_virtual_ipaddress", self.no_virtual_ipaddress);
        w.flag("promote_secondaries", self.promote_secondaries);
        w.flag("linkbeat_use_polling", self.linkbeat_use_polling);
        if !self.virtual_routes.is_empty() {
            w.open("virtual_routes", super::NO_WORDS);
            for r in &self.virtual_routes {
                w.raw(&r.words().join(" "));
            }
            w.close();
        }
        if !self.virtual_rules.is_empty() {
            w.open("virtual_rules", super::NO_WORDS);
            for r in &self.virtual_rules {
                w.raw(&r.words().join(" "));
            }
            w.close();
        }
        match self.accept {
            Some(true) => w.raw("accept"),
            Some(false) => w.raw("no_accept"),
            None => {}
        }
        bool_line(w, "skip_check_adv_addr", self.skip_check_adv_addr);
        bool_line(w, "strict_mode", self.strict_mode);
        w.flag("nopreempt", self.nopreempt);
        secs_line(w, "preempt_delay", self.preempt_delay);
        w.opt("debug", &self.debug);
        self.notify.dump(w);
        bool_line(w, "smtp_alert", self.smtp_alert);
        bool_line(w, "notify_priority_changes", self.notify_priority_changes);
        w.opt("kernel_rx_buf_size", &self.kernel_rx_buf_size);
        w.opt("lvs_sync_daemon_interface", &self.lvs_sync_daemon_interface);
        bool_line(w, "owner_ignore_adverts", self.owner_ignore_adverts);
        w.close();
    }
}

fn dump_addrs(w: &mut Writer, kw: &str, list: &[IpAddress]) {
    if list.is_empty() {
        return;
    }
    w.open(kw, super::NO_WORDS);
    for a in list {
        w.raw(&a.words().join(" "));
    }
    w.close();
}

pub(super) const INSTANCE_KEYWORDS: &[&str] = &[
    "state",
    "interface",
    "vrf",
    "use_vmac",
    "use_vmac_addr",
    "vmac_xmit_base",
    "use_ipvlan",
    "native_ipv6",
    "dont_track_primary",
    "track_interface",
    "track_script",
    "track_file",
    "track_process",
    "track_bfd",
    "mcast_src_ip",
    "unicast_src_ip",
    "mcast_dst_ip",
    "track_src_ip",
    "version",
    "check_unicast_src",
    "unicast_peer",
    "unicast_fault_no_peer",
    "unicast_ttl",
    "old_unicast_checksum",
    "v3_checksum_as_v2",
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
    "auth_hmac",
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
    "smtp_alert",
    "notify_priority_changes",
    "kernel_rx_buf_size",
    "lvs_sync_daemon_interface",
    "owner_ignore_adverts",
];

/// A keyword keepalived 2.2.7 does not know (it reports it as unknown); newer versions do.
fn newer(d: &mut Diagnostics, n: &Node, version: &str) {
    note_at(
        d,
        At::node(n),
        format!(
            "`{}` needs keepalived {version} or later (2.2.7 reports it as an unknown keyword)",
            n.keyword()
        ),
    );
}

/// Parse-time state of one instance: the address family decided so far (keepalived decides it
/// from the first address it reads and rejects later ones of the other family).
struct Fam(Option<Family>);

impl Fam {
    /// Accepts `a` if it matches (or decides) the family; else warns and refuses.
    fn take(&mut self, d: &mut Diagnostics, kw: &str, w: &Word, a: IpAddr) -> bool {
        let f = Family::of(a);
        match self.0 {
            None => {
                self.0 = Some(f);
                true
            }
            Some(g) if g == f => true,
            Some(g) => {
                warn_at(
                    d,
                    At::word(w),
                    format!(
                        "`{kw}`: `{}` is {} but the instance is {} - ignoring",
                        w.text,
                        f.name(),
                        g.name()
                    ),
                );
                false
            }
        }
    }
}

pub(super) fn parse(v: &mut Vrrp, node: &Node, d: &mut Diagnostics) {
    let Some(name) = block_name(d, node) else {
        return;
    };
    if v.instance_names.contains(&name.text) {
        warn_at(
            d,
            At::word(name),
            format!(
                "vrrp_instance `{}` is already defined - skipping",
                name.text
            ),
        );
        return;
    }
    let Some(b) = value::expect_block(d, node) else {
        return;
    };
    let mut i = Instance {
        name: name.text.clone(),
        at: At::word(name),
        ..Instance::default()
    };
    let mut fam = Fam(None);
    for n in &b.nodes {
        let Some(kw) = n.words.first() else { continue };
        if i.notify.parse(d, n, true) || track::parse_tracking(v, d, n, &mut i.tracking) {
            continue;
        }
        keyword(&mut i, &mut fam, d, n, kw);
    }
    if i.unicast_ttl.is_some() && i.peers().is_empty() {
        warn_at(
            d,
            i.unicast_ttl_at,
            "`unicast_ttl` without unicast peers - ignoring",
        );
        i.unicast_ttl = None;
    }
    if i.vrf.is_some() && i.interface.is_some() {
        warn_at(
            d,
            i.interface_at,
            "`vrf` cannot be used with `interface` - ignoring the vrf",
        );
        i.vrf = None;
    }
    v.instance_names.insert(i.name.clone());
    v.instances.push(i);
}

fn keyword(i: &mut Instance, fam: &mut Fam, d: &mut Diagnostics, n: &Node, kw: &Word) {
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
fn sock_addr(d: &mut Diagnostics, kw: &str, w: &Word) -> Option<IpAddr> {
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
fn dev_name_valid(s: &str) -> bool {
    !s.is_empty()
        && s.len() < 16
        && s != "."
        && s != ".."
        && !s.chars().any(|c| c == '/' || c == ':' || c.is_whitespace())
}

/// Five or six hex octets separated by `:`.
fn parse_mac(s: &str) -> Option<Vec<u8>> {
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

fn parse_vmac(d: &mut Diagnostics, n: &Node, vm: &mut Vmac) {
    let args = n.args();
    let mut k = 0;
    while k < args.len() {
        let w = &args[k];
        let t = w.text.as_str();
        if t.contains(':') {
            if vm.mac.is_some() {
                warn_at(
                    d,
                    At::word(w),
                    "`use_vmac`: MAC address already specified - ignoring",
                );
            } else {
                match parse_mac(t) {
                    None => {
                        warn_at(
                            d,
                            At::word(w),
                            format!(
                                "`use_vmac`: invalid MAC address `{t}` (5 or 6 hex octets) - ignoring"
                            ),
                        );
                    }
                    Some(m) if m[0] & 1 == 1 => {
                        warn_at(
                            d,
                            At::word(w),
                            format!("`use_vmac`: MAC address `{t}` is multicast - ignoring"),
                        );
                    }
                    Some(m) if m[..4] == [0, 0, 0x5e, 0] && matches!(m[4], 1 | 2) => {
                        warn_at(
                            d,
                            At::word(w),
                            format!(
                                "`use_vmac`: MAC address `{t}` is an RFC 5798 virtual router MAC - ignoring"
                            ),
                        );
                    }
                    Some(m) => vm.mac = Some(m),
                }
            }
            k += 1;
            continue;
        }
        if t == "netlink_notify_msg" {
            vm.netlink_notify_msg = true;
            k += 1;
            continue;
        }
        if t == "group" {
            match args.get(k + 1) {
                Some(g) => vm.group = Some(g.text.clone()),
                None => {
                    warn_at(
                        d,
                        At::word(w),
                        "`use_vmac`: `group` needs a value - ignoring",
                    );
                }
            }
            k += 2;
            continue;
        }
        let nw = if t == "name" {
            k += 1;
            match args.get(k) {
                Some(x) => x,
                None => {
                    warn_at(
                        d,
                        At::word(w),
                        "`use_vmac`: `name` needs a value - ignoring",
                    );
                    break;
                }
            }
        } else {
            w
        };
        if vm.name.is_some() {
            warn_at(
                d,
                At::word(nw),
                "`use_vmac`: interface name already specified - ignoring",
            );
        } else if !dev_name_valid(&nw.text) {
            warn_at(
                d,
                At::word(nw),
                format!(
                    "`use_vmac`: interface name `{}` is too long or has invalid characters - ignoring",
                    nw.text
                ),
            );
        } else {
            vm.name = Some(nw.text.clone());
        }
        k += 1;
    }
}

fn parse_ipvlan(d: &mut Diagnostics, n: &Node, fam: &mut Fam) -> Ipvlan {
    let mut iv = Ipvlan::default();
    let args = n.args();
    let mut k = 0;
    while k < args.len() {
        let w = &args[k];
        let t = w.text.as_str();
        let mode = match t {
            "bridge" => Some(IpvlanMode::Bridge),
            "private" => Some(IpvlanMode::Private),
            "vepa" => Some(IpvlanMode::Vepa),
            _ => None,
        };
        if let Some(m) = mode {
            if iv.mode.is_some() {
                warn_at(
                    d,
                    At::word(w),
                    format!("`use_ipvlan`: mode already specified - ignoring `{t}`"),
                );
            } else {
                iv.mode = Some(m);
            }
            k += 1;
            continue;
        }
        if t == "group" {
            match args.get(k + 1) {
                Some(g) => iv.group = Some(g.text.clone()),
                None => {
                    warn_at(
                        d,
                        At::word(w),
                        "`use_ipvlan`: `group` needs a value - ignoring",
                    );
                }
            }
            k += 2;
            continue;
        }
        let nw = if t == "name" {
            k += 1;
            match args.get(k) {
                Some(x) => x,
                None => {
                    warn_at(
                        d,
                        At::word(w),
                        "`use_ipvlan`: `name` needs a value - ignoring",
                    );
                    break;
                }
            }
        } else {
            if let Some(p) = value::parse_prefix(t) {
                if iv.addr.is_some() {
                    warn_at(
                        d,
                        At::word(w),
                        format!("`use_ipvlan`: address already specified - ignoring `{t}`"),
                    );
                } else if fam.take(d, "use_ipvlan", w, p.addr) {
                    iv.addr = Some(p);
                }
                k += 1;
                continue;
            }
            w
        };
        if iv.name.is_some() {
            warn_at(
                d,
                At::word(nw),
                format!(
                    "`use_ipvlan`: interface already specified - ignoring `{}`",
                    nw.text
                ),
            );
        } else if !dev_name_valid(&nw.text) {
            warn_at(
                d,
                At::word(nw),
                format!(
                    "`use_ipvlan`: interface name `{}` is too long or invalid - ignoring",
                    nw.text
                ),
            );
        } else {
            iv.name = Some(nw.text.clone());
        }
        k += 1;
    }
    iv
}

fn parse_peer(d: &mut Diagnostics, l: &Node, fam: &mut Fam) -> Option<UnicastPeer> {
    let w = &l.words[0];
    let a = sock_addr(d, "unicast_peer", w)?;
    if !fam.take(d, "unicast_peer", w, a) {
        return None;
    }
    let mut p = UnicastPeer {
        addr: a,
        min_ttl: None,
        max_ttl: None,
        at: At::word(w),
    };
    let rest = &l.words[1..];
    let mut k = 0;
    while k < rest.len() {
        let o = &rest[k];
        match (o.text.as_str(), rest.get(k + 1)) {
            ("min_ttl" | "max_ttl", Some(v)) => {
                if let Some(x) = value::int_in(d, &o.text, v, 0, 255) {
                    if o.text == "min_ttl" {
                        p.min_ttl = Some(x as u8);
                    } else {
                        p.max_ttl = Some(x as u8);
                    }
                }
                k += 2;
            }
            (t, _) => {
                warn_at(
                    d,
                    At::word(o),
                    format!(
                        "`unicast_peer`: `{t}` after `{}` is not `min_ttl N` or `max_ttl N` - ignoring (one peer per line)",
                        w.text
                    ),
                );
                k += if matches!(t, "min_ttl" | "max_ttl") {
                    1
                } else {
                    2
                };
            }
        }
    }
    if let (Some(lo), Some(hi)) = (p.min_ttl, p.max_ttl)
        && lo > hi
    {
        warn_at(
            d,
            p.at,
            format!(
                "`unicast_peer`: min_ttl {lo} > max_ttl {hi} for `{}` - every advert from it will be dropped",
                w.text
            ),
        );
    }
    Some(p)
}

fn parse_auth(d: &mut Diagnostics, lines: &[Node], a: &mut Authentication) {
    for n in lines {
        let Some(kw) = n.words.first() else { continue };
        match kw.text.as_str() {
            "auth_type" => {
                value::no_block(d, n);
                let Some(w) = value::one_arg(d, n) else {
                    continue;
                };
                match w.text.as_str() {
                    "PASS" => a.auth_type = Some(AuthType::Pass),
                    "AH" => a.auth_type = Some(AuthType::Ah),
                    other => {
                        warn_at(
                            d,
                            At::word(w),
                            format!(
                                "`auth_type`: unknown authentication type `{other}` (use PASS|AH) - ignoring"
                            ),
                        );
                    }
                }
            }
            "auth_pass" => {
                value::no_block(d, n);
                let Some(w) = value::one_arg(d, n) else {
                    continue;
                };
                let mut p = w.text.clone();
                if p.len() > 8 {
                    let mut cut = 8;
                    while !p.is_char_boundary(cut) {
                        cut -= 1;
                    }
                    p.truncate(cut);
                    warn_at(
                        d,
                        At::word(w),
                        format!("`auth_pass` is longer than 8 characters - truncated to `{p}`"),
                    );
                }
                a.auth_pass = Some(p);
            }
            _ => value::unknown(d, kw, &["auth_type", "auth_pass"], "authentication"),
        }
    }
}

const HMAC_KEYWORDS: &[&str] = &["key", "active_key", "anti_replay", "time_window", "mode"];

fn parse_hmac(d: &mut Diagnostics, lines: &[Node], h: &mut AuthHmac) {
    for n in lines {
        let Some(kw) = n.words.first() else { continue };
        match kw.text.as_str() {
            "key" => {
                value::no_block(d, n);
                let args = n.args();
                let (Some(idw), Some(vw)) = (args.first(), args.get(1)) else {
                    warn_at(d, At::node(n), "`key` needs an id and a value - ignoring");
                    continue;
                };
                let Some(id) = value::int_in(d, "key", idw, 1, 255) else {
                    continue;
                };
                if h.keys.iter().any(|k| k.id as i64 == id) {
                    warn_at(
                        d,
                        At::word(idw),
                        format!("`key` {id} is defined twice - ignoring"),
                    );
                    continue;
                }
                let v = vw.text.as_str();
                let len = if let Some(hex) = v.strip_prefix("hex:") {
                    if hex.len() % 2 != 0 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
                        warn_at(
                            d,
                            At::word(vw),
                            format!(
                                "`key` {id}: `{v}` is not an even number of hex digits - ignoring"
                            ),
                        );
                        continue;
                    }
                    Some(hex.len() / 2)
                } else if v.starts_with("file:") {
                    None
                } else {
                    Some(v.len())
                };
                if let Some(l) = len
                    && !(32..=64).contains(&l)
                {
                    warn_at(
                        d,
                        At::word(vw),
                        format!("`key` {id}: a key of {l} bytes (must be 32 to 64) - ignoring"),
                    );
                    continue;
                }
                h.keys.push(HmacKey {
                    id: id as u8,
                    value: v.to_string(),
                });
            }
            "active_key" => {
                if let Some(x) = int_arg(d, n, 1, 255) {
                    h.active_key = Some(x as u8);
                }
            }
            "anti_replay" => {
                let Some(s) = str_arg(d, n) else { continue };
                match s.as_str() {
                    "time" => h.anti_replay = Some(AntiReplay::Time),
                    "monotonic" => h.anti_replay = Some(AntiReplay::Monotonic),
                    _ => {
                        warn_at(
                            d,
                            At::word(&n.args()[0]),
                            format!("`anti_replay`: `{s}` is not time|monotonic - ignoring"),
                        );
                    }
                }
            }
            "time_window" => {
                if let Some(x) = int_arg(d, n, 1, 300) {
                    h.time_window = Some(x as u16);
                }
            }
            "mode" => {
                let Some(s) = str_arg(d, n) else { continue };
                match s.as_str() {
                    "enforce" => h.mode = Some(HmacMode::Enforce),
                    "permissive" => h.mode = Some(HmacMode::Permissive),
                    "receive-only" => h.mode = Some(HmacMode::ReceiveOnly),
                    _ => {
                        warn_at(
                            d,
                            At::word(&n.args()[0]),
                            format!(
                                "`mode`: `{s}` is not enforce|permissive|receive-only - ignoring"
                            ),
                        );
                    }
                }
            }
            _ => value::unknown(d, kw, HMAC_KEYWORDS, "auth_hmac"),
        }
    }
    if h.keys.is_empty() {
        warn_at(
            d,
            h.at,
            "`auth_hmac` has no `key` - adverts cannot be signed",
        );
    }
    match h.active_key {
        None if !h.keys.is_empty() => {
            warn_at(d, h.at, "`auth_hmac` has no `active_key`");
        }
        Some(k) if !h.keys.iter().any(|x| x.id == k) => {
            warn_at(
                d,
                h.at,
                format!("`auth_hmac`: `active_key` {k} names no `key`"),
            );
        }
        _ => {}
    }
}
