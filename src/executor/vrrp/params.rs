//! From the configuration model to what the VRRP machines and the executor need: the machine's
//! [`Params`] (global defaults resolved), and the per-instance facts only the executor uses
//! (interface, multicast group, unicast TTL, checksum variant, the addresses to install).

use std::net::IpAddr;
use std::time::Duration;

use crate::config::Config;
use crate::config::vrrp::{
    AuthType, Family, Instance as Conf, IpAddress, IpvlanMode, Route, Rule, State,
};
use crate::vrrp::{Auth, Garp, Params, Peer};

/// How this instance computes and accepts the VRRPv3 IPv4 checksum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum V3Checksum {
    /// With the IPv4 pseudo-header (RFC 5798, keepalived's default).
    PseudoHeader,
    /// Without it, as VRRPv2 (RFC 9568 errata / `v3_checksum_as_v2`).
    AsV2,
}

/// What the executor needs besides the machine's parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct Io {
    pub interface: String,
    pub family: Family,
    /// Where adverts go: the multicast group, or (unicast) nothing here: see `peers`.
    pub group: IpAddr,
    pub peers: Vec<IpAddr>,
    /// TTL / hop limit of unicast adverts (`unicast_ttl`, 255).
    pub unicast_ttl: u8,
    /// `unicast_src_ip` / `mcast_src_ip`, if given.
    pub src: Option<IpAddr>,
    pub v3_checksum: V3Checksum,
    /// `virtual_ipaddress` then `virtual_ipaddress_excluded`.
    pub vips: Vec<IpAddress>,
    pub evips: Vec<IpAddress>,
    /// `notify*` scripts.
    pub notifies: crate::config::vrrp::Notifies,
    /// `notify_priority_changes` (instance, else global `vrrp_notify_priority_changes`).
    pub notify_priority_changes: bool,
    /// `garp_interval`, `gna_interval` of the instance (keepalived 2.3+): its frames' pacing on
    /// an interface outside every `garp_group`, instead of the global intervals.
    pub garp_pacing: (Option<std::time::Duration>, Option<std::time::Duration>),
    /// `track_interface`: interface name, weight (0: down means FAULT), reverse.
    pub track_ifs: Vec<(String, i32, bool)>,
    /// `dont_track_primary`: the instance's own interface going down is not a FAULT.
    pub dont_track_primary: bool,
    /// `virtual_routes`, `virtual_rules`: installed and removed with the VIPs.
    pub routes: Vec<Route>,
    pub rules: Vec<Rule>,
    /// `use_vmac` and its companions: the instance runs on a VMAC (see [`super::vmac`]).
    pub vmac: Option<VmacConf>,
    /// `use_ipvlan` (when there is no `use_vmac`): the adverts leave from an ipvlan of the
    /// interface (see [`super::vmac`]).
    pub ipvlan: Option<IpvlanConf>,
    /// No `interface` but unicast peers: the interface (and, without `unicast_src_ip`, the
    /// source) is the kernel's route to this first peer, looked up at start and at reload;
    /// `interface` is empty until then.
    pub route_to: Option<IpAddr>,
    /// `no_accept` (explicit, or strict mode's default) on a non-owner: keepalived would
    /// install a drop rule for the VIPs, which keepalived-rs does not.
    pub no_accept: bool,
    /// `auth_type AH`: adverts go out and come in on a raw socket of IP protocol 51.
    pub ah: bool,
}

/// `use_vmac [[name] IF] [MAC] [group G]`, `vmac_xmit_base`, `use_vmac_addr`, as the daemon
/// applies them (strict mode has already removed the MAC and `vmac_xmit_base`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VmacConf {
    pub name: Option<String>,
    /// 6 octets, or 5 (the VRID is appended); `None`: 00:00:5e:00:01|02:VRID.
    pub mac: Option<Vec<u8>>,
    pub group: Option<String>,
    pub xmit_base: bool,
    /// `use_vmac_addr`.
    pub addr_on_others: bool,
}

/// `use_ipvlan [[name] IF] [IP[/LEN]] [bridge|private|vepa] [group G]` as the daemon applies it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IpvlanConf {
    pub name: Option<String>,
    /// The ipvlan's own address (also the advert source unless one is configured).
    pub addr: Option<crate::config::value::Prefix>,
    /// `IPVLAN_F_*` (bridge 0, the default).
    pub flags: u16,
    pub group: Option<String>,
    /// `vmac_xmit_base`: adverts on the interface itself.
    pub xmit_base: bool,
}

/// A configured instance the daemon can run: its machine's parameters (without the primary
/// address, which needs the interface) and its executor facts.
#[derive(Debug, Clone)]
pub struct Planned {
    pub params: Params,
    pub io: Io,
}

/// Why an instance cannot run (logged; the others run).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unrunnable {
    pub name: String,
    pub why: String,
}

/// The tracking an instance runs with: its own, or for a `vrrp_sync_group` member, its own (at
/// weight 0 unless `sync_group_tracking_weight`) with the group's trackers added
/// ([`crate::vrrp::sync::member_tracking`]).
pub fn effective_tracking(cfg: &Config, i: &Conf) -> crate::config::vrrp::Tracking {
    let v = &cfg.vrrp;
    let Some(g) = v
        .sync_groups
        .iter()
        .find(|g| g.group.iter().any(|m| m.name == i.name))
    else {
        return i.tracking.clone();
    };
    crate::vrrp::sync::member_tracking(&i.tracking, g, |kind, name| match kind {
        "script" => v.script(name).map_or(0, |s| s.weight),
        "file" => v
            .track_files
            .iter()
            .find(|f| f.name == name)
            .map_or(0, |f| f.weight),
        "process" => v
            .track_processes
            .iter()
            .find(|p| p.name == name)
            .map_or(0, |p| p.weight),
        _ => 0,
    })
}

/// The sync group instance `name` belongs to, if any.
pub fn sync_group_of<'c>(
    cfg: &'c Config,
    name: &str,
) -> Option<&'c crate::config::vrrp::SyncGroup> {
    cfg.vrrp
        .sync_groups
        .iter()
        .find(|g| g.group.iter().any(|m| m.name == name))
}

/// The instances of `cfg` as the daemon runs them, and those it cannot.
pub fn plan(cfg: &Config) -> (Vec<Planned>, Vec<Unrunnable>) {
    let mut ok = Vec::new();
    let mut bad = Vec::new();
    for i in &cfg.vrrp.instances {
        match plan_one(cfg, i) {
            Ok(p) => ok.push(p),
            Err(why) => bad.push(Unrunnable {
                name: i.name.clone(),
                why,
            }),
        }
    }
    (ok, bad)
}

fn plan_one(cfg: &Config, i: &Conf) -> Result<Planned, String> {
    let g = &cfg.global.vrrp;
    let vrid = i
        .virtual_router_id
        .ok_or_else(|| "no virtual_router_id".to_string())?;
    let first_peer = i
        .unicast_peers
        .as_ref()
        .and_then(|p| p.first())
        .map(|p| p.addr);
    let (interface, route_to) = match (&i.interface, first_peer) {
        (Some(n), _) => (n.clone(), None),
        (None, Some(peer)) => (String::new(), Some(peer)),
        (None, None) => return Err("no interface and no unicast peer".to_string()),
    };
    let family = i.family();
    let version = i.effective_version(g.version);
    let unicast = i.unicast_peers.is_some();
    let group = match (i.mcast_dst_ip, family) {
        (Some(a), _) => a,
        (None, Family::Inet) => IpAddr::V4(g.mcast_group4),
        (None, Family::Inet6) => IpAddr::V6(g.mcast_group6),
    };
    let placeholder = match family {
        Family::Inet => IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED),
        Family::Inet6 => IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED),
    };
    let mut p = Params::new(&i.name, vrid, i.src_ip.unwrap_or(placeholder));
    p.version = version;
    p.family = family;
    p.priority = i.effective_priority();
    let strict = i.strict_mode.unwrap_or(g.strict);
    p.advert_int = i.effective_advert_int(version);
    p.nopreempt = i.nopreempt;
    p.preempt_delay = i.preempt_delay.unwrap_or(Duration::ZERO);
    p.initial = i.state.unwrap_or(State::Backup);
    if strict {
        // keepalived strict mode: no preempt_delay; `state MASTER` if and only if the owner.
        p.preempt_delay = Duration::ZERO;
        p.initial = if p.priority == 255 {
            State::Master
        } else {
            State::Backup
        };
        if i.virtual_ipaddresses.is_empty() {
            return Err(
                "strict mode needs at least one virtual_ipaddress (keepalived refuses the instance)"
                    .to_string(),
            );
        }
    }
    p.vips = i.virtual_ipaddresses.iter().map(|a| a.addr.addr).collect();
    // keepalived `vrrp_complete_instance`: strict mode's rules override the configuration (the
    // config reader has warned about each line it overrides).
    p.down_timer_adverts = if strict {
        3
    } else {
        i.down_timer_adverts.unwrap_or(g.down_timer_adverts)
    };
    p.lower_prio_no_advert = strict
        || i.lower_prio_no_advert
            .or(g.lower_prio_no_advert)
            .unwrap_or(false);
    p.higher_prio_send_advert = !strict
        && i.higher_prio_send_advert
            .unwrap_or(g.higher_prio_send_advert);
    p.check_unicast_src = i.check_unicast_src || g.check_unicast_src;
    if let Some(peers) = &i.unicast_peers {
        p.unicast_peers = peers
            .iter()
            .map(|u| {
                if u.min_ttl.is_some() || u.max_ttl.is_some() {
                    p.check_unicast_src = true;
                }
                Peer {
                    addr: u.addr,
                    min_ttl: u.min_ttl.unwrap_or(0),
                    max_ttl: u.max_ttl.unwrap_or(255),
                }
            })
            .collect();
    }
    p.skip_check_adv_addr = i.skip_check_adv_addr.unwrap_or(g.skip_check_adv_addr);
    // Strict mode: the owner ignores adverts (reference section 1.1).
    p.owner_ignore_adverts = strict || i.owner_ignore_adverts.unwrap_or(g.owner_ignore_adverts);
    if i.auth_hmac.is_some() {
        // The config check refuses it too (a fatal diagnostic); kept here so that no path runs
        // an instance whose peers expect signed adverts.
        return Err(
            "auth_hmac (keepalived 2.4) is not implemented by keepalived-rs; use `authentication`"
                .to_string(),
        );
    }
    p.auth = match &i.authentication {
        // keepalived: "Strict mode does not support authentication. Ignoring."
        Some(_) if strict => Auth::None,
        // keepalived ignores `authentication` without `auth_pass` (the config check says so).
        Some(a) if version == 2 && a.auth_pass.is_some() => match a.auth_type {
            Some(AuthType::Pass) => Auth::pass(a.auth_pass.as_deref().unwrap_or("")),
            // IPv4 only (the config check warns and ignores it for IPv6, as keepalived does).
            Some(AuthType::Ah) if family == Family::Inet => Auth::Ah(crate::wire::ah::key(
                a.auth_pass.as_deref().unwrap_or("").as_bytes(),
            )),
            _ => Auth::None,
        },
        _ => Auth::None,
    };
    // keepalived: "Initial state master is incompatible with AH authentication - clearing" (a
    // restarted master would send sequence numbers its peers already saw).
    if matches!(p.auth, Auth::Ah(_)) && p.priority != 255 {
        p.initial = State::Backup;
    }
    // keepalived: accept defaults to on unless strict; strict VRRPv2 refuses accept for a
    // non-owner (RFC 3768 has no Accept_Mode).
    p.accept = i.accept.unwrap_or(!strict);
    if strict && version == 2 && p.priority != 255 {
        p.accept = false;
    }
    let gs = &i.garp;
    let master_delay = gs.master_delay.unwrap_or(g.garp_master_delay);
    let master_repeat = gs.master_repeat.unwrap_or(g.garp_master_repeat);
    p.garp = Garp {
        master_delay: if g.min_garp {
            Duration::ZERO
        } else {
            master_delay
        },
        master_repeat: if g.min_garp { 1 } else { master_repeat },
        master_refresh: gs.master_refresh.unwrap_or(g.garp_master_refresh),
        master_refresh_repeat: gs
            .master_refresh_repeat
            .unwrap_or(g.garp_master_refresh_repeat),
        lower_prio_delay: gs
            .lower_prio_delay
            .or(g.garp_lower_prio_delay)
            .unwrap_or(master_delay),
        lower_prio_repeat: gs
            .lower_prio_repeat
            .or(g.garp_lower_prio_repeat)
            .unwrap_or(master_repeat),
    };
    if strict {
        // keepalived: "Strict mode requires no repeat garps".
        p.garp.lower_prio_repeat = 0;
        p.garp.lower_prio_delay = Duration::ZERO;
    }
    p.startup_delay = g.startup_delay.unwrap_or(Duration::ZERO);
    p.sync_member = sync_group_of(cfg, &i.name).is_some();
    let v3_checksum = if i.v3_checksum_as_v2.unwrap_or(g.v3_checksum_as_v2) {
        V3Checksum::AsV2
    } else {
        V3Checksum::PseudoHeader
    };
    let io = Io {
        interface,
        family,
        group,
        peers: if unicast {
            p.unicast_peers.iter().map(|p| p.addr).collect()
        } else {
            Vec::new()
        },
        unicast_ttl: i.unicast_ttl.unwrap_or(255),
        // keepalived: the ipvlan's address is the source unless one is configured.
        src: i.src_ip.or_else(|| {
            i.use_ipvlan
                .as_ref()
                .filter(|_| i.use_vmac.is_none())
                .and_then(|v| v.addr)
                .map(|p| p.addr)
        }),
        v3_checksum,
        vips: i.virtual_ipaddresses.clone(),
        evips: i.virtual_ipaddresses_excluded.clone(),
        notifies: i.notify.clone(),
        notify_priority_changes: i
            .notify_priority_changes
            .unwrap_or(g.notify_priority_changes),
        garp_pacing: (i.garp.interval, i.garp.gna_interval),
        track_ifs: effective_tracking(cfg, i)
            .interfaces
            .iter()
            .map(|t| (t.name.clone(), t.weight.unwrap_or(0), t.reverse))
            .collect(),
        dont_track_primary: i.dont_track_primary,
        routes: i.virtual_routes.clone(),
        rules: i.virtual_rules.clone(),
        vmac: i.use_vmac.as_ref().map(|v| VmacConf {
            name: v.name.clone(),
            // keepalived: no configured MAC and no vmac_xmit_base in strict mode; unicast
            // adverts need vmac_xmit_base (the config reader says so for each).
            mac: v.mac.clone().filter(|_| !strict),
            group: v.group.clone(),
            xmit_base: unicast || (i.vmac_xmit_base && !strict),
            addr_on_others: i.use_vmac_addr,
        }),
        ipvlan: i
            .use_ipvlan
            .as_ref()
            .filter(|_| i.use_vmac.is_none())
            .map(|v| IpvlanConf {
                name: v.name.clone(),
                addr: v.addr,
                flags: match v.mode {
                    Some(IpvlanMode::Private) => crate::netlink::request::IPVLAN_F_PRIVATE,
                    Some(IpvlanMode::Vepa) => crate::netlink::request::IPVLAN_F_VEPA,
                    Some(IpvlanMode::Bridge) | None => 0,
                },
                group: v.group.clone(),
                xmit_base: i.vmac_xmit_base,
            }),
        route_to,
        no_accept: !p.accept && p.priority != 255,
        ah: matches!(p.auth, Auth::Ah(_)),
    };
    Ok(Planned { params: p, io })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Diagnostics;

    fn planned(text: &str) -> Vec<Planned> {
        let mut d = Diagnostics::default();
        let cfg = Config::from_text(text, &mut d);
        let (ok, bad) = plan(&cfg);
        assert!(bad.is_empty(), "{bad:?}");
        ok
    }

    #[test]
    fn defaults_and_global_overrides() {
        let p = planned(
            "global_defs { vrrp_version 3\n vrrp_garp_master_repeat 2\n vrrp_mcast_group4 224.0.0.99 }\n\
             vrrp_instance A { interface eth0\n virtual_router_id 7\n advert_int 0.1\n virtual_ipaddress { 10.0.0.1/24 }\n}\n\
             vrrp_instance B { interface eth0\n state MASTER\n virtual_router_id 8\n nopreempt\n unicast_peer { 10.0.0.3 min_ttl 2 }\n virtual_ipaddress { 10.0.0.2 }\n}\n",
        );
        let (a, b) = (&p[0], &p[1]);
        assert_eq!(a.params.version, 3);
        assert_eq!(a.params.priority, 100);
        assert_eq!(a.params.advert_int, Duration::from_millis(100));
        assert_eq!(a.params.garp.master_repeat, 2);
        assert_eq!(a.params.garp.lower_prio_repeat, 2);
        assert_eq!(a.io.group, "224.0.0.99".parse::<IpAddr>().unwrap());
        assert_eq!(a.params.vips, ["10.0.0.1".parse::<IpAddr>().unwrap()]);
        assert_eq!(b.params.priority, 255, "state MASTER without priority");
        assert!(b.params.nopreempt);
        assert!(b.params.check_unicast_src, "min_ttl turns the check on");
        assert_eq!(b.io.peers, ["10.0.0.3".parse::<IpAddr>().unwrap()]);
    }

    #[test]
    fn ipv6_is_version_3_and_pass_auth_is_v2_only() {
        let p = planned(
            "vrrp_instance A { interface eth0\n virtual_router_id 7\n authentication { auth_type PASS\n auth_pass secret12345 }\n virtual_ipaddress { 10.0.0.1 }\n}\n\
             vrrp_instance B { interface eth0\n virtual_router_id 9\n virtual_ipaddress { fd00::1 }\n}\n",
        );
        assert_eq!(p[0].params.auth, Auth::pass("secret12"));
        assert_eq!(p[1].params.version, 3);
        assert_eq!(p[1].io.group, "ff02::12".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn ah_keys_socket_and_initial_state() {
        let p = planned(
            "vrrp_instance A { interface eth0\n state MASTER\n priority 150\n virtual_router_id 7\n authentication { auth_type AH\n auth_pass abc }\n virtual_ipaddress { 10.0.0.1 }\n}\n\
             vrrp_instance B { interface eth0\n state MASTER\n virtual_router_id 8\n authentication { auth_type AH\n auth_pass secret123 }\n virtual_ipaddress { 10.0.0.2 }\n}\n\
             vrrp_instance C { interface eth0\n virtual_router_id 9\n authentication { auth_type AH\n auth_pass x }\n virtual_ipaddress { fd00::1 }\n}\n",
        );
        assert_eq!(p[0].params.auth, Auth::Ah(*b"abc\0\0\0\0\0"));
        assert!(p[0].io.ah);
        // keepalived: "Initial state master is incompatible with AH authentication - clearing",
        // except for the address owner.
        assert_eq!(p[0].params.initial, State::Backup);
        assert_eq!(p[1].params.auth, Auth::Ah(*b"secret12"));
        assert_eq!(p[1].params.initial, State::Master);
        // IPv6: ignored (VRRPv3 has no authentication).
        assert_eq!(p[2].params.auth, Auth::None);
        assert!(!p[2].io.ah);
        // auth_hmac is refused.
        let mut d = Diagnostics::default();
        let cfg = Config::from_text(
            "vrrp_instance A { interface eth0\n virtual_router_id 7\n auth_hmac { key 1 hex:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n active_key 1 }\n virtual_ipaddress { 10.0.0.1 }\n}\n",
            &mut d,
        );
        let (ok, bad) = plan(&cfg);
        assert!(ok.is_empty());
        assert!(format!("{bad:?}").contains("auth_hmac"), "{bad:?}");
    }

    #[test]
    fn strict_mode_overrides_as_keepalived() {
        let p = planned(
            "global_defs { vrrp_strict }\n\
             vrrp_instance A { interface eth0\n state MASTER\n priority 100\n virtual_router_id 7\n accept\n preempt_delay 5\n down_timer_adverts 5\n lower_prio_no_advert false\n higher_prio_send_advert\n garp_lower_prio_repeat 3\n authentication { auth_type PASS\n auth_pass x }\n use_vmac vm7 02:01:02:03:04:05\n vmac_xmit_base\n virtual_ipaddress { 10.0.0.1 }\n}\n\
             vrrp_instance B { interface eth0\n virtual_router_id 8\n virtual_ipaddress { 10.0.0.2 }\n}\n",
        );
        let (a, b) = (&p[0], &p[1]);
        assert_eq!(a.params.initial, State::Backup, "MASTER only for the owner");
        assert_eq!(a.params.preempt_delay, Duration::ZERO);
        assert_eq!(a.params.down_timer_adverts, 3);
        assert!(a.params.lower_prio_no_advert);
        assert!(!a.params.higher_prio_send_advert);
        assert_eq!(a.params.garp.lower_prio_repeat, 0);
        assert_eq!(a.params.auth, Auth::None);
        assert!(!a.params.accept, "VRRPv2 accept is refused in strict mode");
        assert!(a.params.owner_ignore_adverts);
        assert!(a.io.no_accept);
        let vm = a.io.vmac.as_ref().unwrap();
        assert_eq!(vm.name.as_deref(), Some("vm7"));
        assert_eq!((vm.mac.as_ref(), vm.xmit_base), (None, false));
        assert!(b.io.no_accept, "no_accept is strict mode's default");
        assert!(b.io.vmac.is_none());
    }

    #[test]
    fn strict_instance_without_vips_cannot_run() {
        let mut d = Diagnostics::default();
        let cfg = Config::from_text(
            "vrrp_instance A { interface eth0\n strict_mode\n virtual_router_id 7\n}\n",
            &mut d,
        );
        let (ok, bad) = plan(&cfg);
        assert!(ok.is_empty());
        assert!(bad[0].why.contains("strict"), "{bad:?}");
    }

    #[test]
    fn ipvlan_and_interface_from_the_route() {
        let p = planned(
            "vrrp_instance A { interface eth0\n virtual_router_id 7\n use_ipvlan iv7 10.0.0.7/24 vepa\n virtual_ipaddress { 10.0.0.1 }\n}\n\
             vrrp_instance B { virtual_router_id 8\n unicast_peer { 10.0.0.9\n 10.0.0.10 }\n virtual_ipaddress { 10.0.0.2 }\n}\n",
        );
        let iv = p[0].io.ipvlan.as_ref().unwrap();
        assert_eq!(iv.name.as_deref(), Some("iv7"));
        assert_eq!(iv.flags, crate::netlink::request::IPVLAN_F_VEPA);
        assert_eq!(p[0].io.src, Some("10.0.0.7".parse().unwrap()), "the source");
        assert_eq!(p[1].io.interface, "");
        assert_eq!(p[1].io.route_to, Some("10.0.0.9".parse().unwrap()));
        let mut d = Diagnostics::default();
        let cfg = Config::from_text(
            "vrrp_instance C { virtual_router_id 9\n virtual_ipaddress { 10.0.0.3 }\n}\n",
            &mut d,
        );
        assert_eq!(plan(&cfg).1.len(), 1, "no interface and no peer");
    }

    #[test]
    fn vmac_defaults() {
        let p = planned(
            "vrrp_instance A { interface eth0\n virtual_router_id 7\n use_vmac\n use_vmac_addr\n unicast_peer { 10.0.0.9 }\n virtual_ipaddress { 10.0.0.1 }\n}\n",
        );
        let vm = p[0].io.vmac.as_ref().unwrap();
        assert_eq!((vm.name.as_ref(), vm.mac.as_ref()), (None, None));
        assert!(vm.xmit_base, "unicast needs vmac_xmit_base");
        assert!(vm.addr_on_others);
        assert!(!p[0].io.no_accept);
    }
}
