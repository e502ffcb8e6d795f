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

mod blocks;
mod keyword;

use blocks::*;
use keyword::*;

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
