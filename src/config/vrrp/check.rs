//! Checks that need the whole configuration: what keepalived reports when it completes each
//! instance (`vrrp_complete_instance`), resolves sync groups, and looks for VRID clashes.
//!
//! Severities follow keepalived 2.2.7's `-t` (Warning where it reports, Note where it is silent
//! but newer versions or the runtime complain).

use std::collections::HashMap;
use std::time::Duration;

use super::super::Config;
use super::super::source::{Diagnostics, Severity};
use super::super::value;
use super::{At, AuthType, Family, Instance, State, Vrrp, note_at, warn_at};

/// The global settings the checks depend on.
struct Globals {
    /// `vrrp_strict`.
    strict: bool,
    /// `vrrp_version` (2 when unset).
    version: u8,
}

impl Globals {
    fn of(_cfg: &Config) -> Globals {
        // TODO(global): read `vrrp_strict` and `vrrp_version` from cfg.global once global_defs is
        // modelled; until then keepalived's defaults.
        Globals {
            strict: false,
            version: 2,
        }
    }
}

pub(super) fn run(v: &Vrrp, cfg: &Config, d: &mut Diagnostics) {
    let g = Globals::of(cfg);
    // Which sync group each instance ends up in (the first that names it).
    let mut group_of: HashMap<&str, usize> = HashMap::new();
    for (gi, sg) in v.sync_groups.iter().enumerate() {
        let mut members = 0;
        let mut seen: Vec<&str> = Vec::new();
        for m in &sg.group {
            if seen.contains(&m.name.as_str()) {
                warn_at(
                    d,
                    m.at,
                    format!(
                        "vrrp_sync_group `{}`: `{}` is listed twice - ignoring",
                        sg.name, m.name
                    ),
                );
                continue;
            }
            seen.push(&m.name);
            if v.instance(&m.name).is_none() {
                let names: Vec<&str> = v.instances.iter().map(|i| i.name.as_str()).collect();
                let diag = warn_at(
                    d,
                    m.at,
                    format!(
                        "vrrp_sync_group `{}`: no vrrp_instance `{}` - ignoring",
                        sg.name, m.name
                    ),
                );
                value::did_you_mean(diag, &m.name, &names);
                continue;
            }
            if let Some(&other) = group_of.get(m.name.as_str()) {
                warn_at(
                    d,
                    m.at,
                    format!(
                        "vrrp_instance `{}` is already in vrrp_sync_group `{}`; an instance can be in one sync group only - ignoring it here",
                        m.name, v.sync_groups[other].name
                    ),
                );
                continue;
            }
            group_of.insert(&m.name, gi);
            members += 1;
        }
        match members {
            0 => {
                warn_at(
                    d,
                    sg.at,
                    format!(
                        "vrrp_sync_group `{}` has no existing member instance - removing it",
                        sg.name
                    ),
                );
            }
            1 => {
                warn_at(
                    d,
                    sg.at,
                    format!(
                        "vrrp_sync_group `{}` has only 1 member instance - this is probably not what you want",
                        sg.name
                    ),
                );
            }
            _ => {}
        }
    }

    for tg in &v.track_groups {
        for m in &tg.group {
            if v.instance(&m.name).is_none() {
                // keepalived 2.2.7 says nothing at -t; it logs it when it starts.
                note_at(
                    d,
                    m.at,
                    format!(
                        "track_group `{}`: no vrrp_instance `{}` - ignored",
                        tg.name, m.name
                    ),
                );
            }
        }
    }

    for i in &v.instances {
        let sync = group_of.get(i.name.as_str()).map(|&gi| &v.sync_groups[gi]);
        instance(v, i, sync, &g, d);
    }
    vrid_clashes(v, &g, d);
}

fn instance(
    v: &Vrrp,
    i: &Instance,
    sync: Option<&super::SyncGroup>,
    g: &Globals,
    d: &mut Diagnostics,
) {
    let who = format!("vrrp_instance `{}`", i.name);
    let strict = i.strict_mode.unwrap_or(g.strict);
    let version = i.effective_version(g.version);
    let family = i.family();
    let prio = i.effective_priority();
    let owner = prio == 255;
    let master = i.state == Some(State::Master);

    if i.virtual_router_id.is_none() {
        warn_at(
            d,
            i.at,
            format!("{who} has no `virtual_router_id` (1..255) - keepalived will not run it"),
        );
    }

    // Interface: needed unless the instance is unicast. keepalived's man page derives it from
    // the route to the peer; 2.2.7 refuses it ("Unknown interface!", `-t` exits 5). We do
    // what the man page says (the executor asks the kernel for the route), so a note only.
    if i.interface.is_none() {
        if !i.peers().is_empty() {
            note_at(
                d,
                i.at,
                format!(
                    "{who} has no `interface`: it is taken from the route to the first unicast peer (keepalived 2.2.7 refuses this: \"Unknown interface!\")"
                ),
            );
        } else {
            warn_at(
                d,
                i.at,
                format!("{who} has no `interface` (required unless it uses unicast peers)"),
            );
        }
    }

    // Addresses.
    if i.virtual_ipaddresses.is_empty() && !i.no_virtual_ipaddress {
        let msg = if version == 3 {
            format!("{who} has no `virtual_ipaddress`; VRRPv3 requires at least one")
        } else {
            format!("{who} has no `virtual_ipaddress`; at least one is sensible")
        };
        warn_at(d, i.at, msg)
            .hint("add a virtual_ipaddress block, or `no_virtual_ipaddress` if none is wanted");
    }
    if family == Family::Inet6 {
        if let Some(first) = i.virtual_ipaddresses.first() {
            let ll = match first.addr.addr {
                std::net::IpAddr::V6(a) => a.segments()[0] & 0xffc0 == 0xfe80,
                std::net::IpAddr::V4(_) => true,
            };
            if !ll && i.peers().is_empty() {
                if strict {
                    warn_at(
                        d,
                        first.at,
                        format!(
                            "{who}: the first IPv6 virtual address must be link-local in strict mode"
                        ),
                    );
                } else {
                    note_at(
                        d,
                        first.at,
                        format!(
                            "{who}: the first IPv6 virtual address should be link-local (RFC 5798 5.2.9)"
                        ),
                    );
                }
            }
        }
        if i.version == Some(2) {
            note_at(
                d,
                i.version_at,
                format!("{who}: IPv6 needs VRRP version 3 - using 3"),
            );
        }
    }
    if let Some(vm) = &i.use_vmac {
        for a in i
            .virtual_ipaddresses
            .iter()
            .chain(&i.virtual_ipaddresses_excluded)
        {
            if a.use_vmac && a.dev.is_none() {
                note_at(
                    d,
                    a.at,
                    format!(
                        "{who}: `use_vmac` on `{}` without `dev` is the instance's own VMAC",
                        a.addr
                    ),
                );
            }
        }
        if i.promote_secondaries {
            warn_at(
                d,
                i.at,
                format!("{who}: `promote_secondaries` is set automatically on VMACs - ignoring"),
            );
        }
        if strict && vm.mac.is_some() {
            warn_at(
                d,
                i.use_vmac_at,
                format!("{who}: a VMAC MAC address cannot be given in strict mode - ignoring it"),
            );
        }
        if strict && i.vmac_xmit_base {
            warn_at(
                d,
                i.use_vmac_at,
                format!("{who}: `vmac_xmit_base` is incompatible with strict mode - ignoring it"),
            );
        }
    } else if i.vmac_xmit_base && i.use_ipvlan.is_none() {
        warn_at(
            d,
            i.at,
            format!("{who}: `vmac_xmit_base` is only valid with `use_vmac` - ignoring it"),
        );
    }
    if let Some(iv) = &i.use_ipvlan
        && family == Family::Inet
        && iv.addr.is_none()
    {
        warn_at(
            d,
            i.at,
            format!(
                "{who}: an IPv4 `use_ipvlan` needs an address - the instance will stay in FAULT"
            ),
        );
    }

    // Advert interval.
    if let Some(a) = i.advert_int {
        let eff = i.effective_advert_int(version);
        if version == 2 && a.subsec_micros() != 0 {
            warn_at(
                d,
                i.advert_int_at,
                format!(
                    "{who}: VRRPv2 `advert_int` {} is not a whole number of seconds - using {}",
                    value::fmt_secs(a),
                    value::fmt_secs(eff)
                ),
            );
        } else if version == 3 && a > Duration::from_millis(40950) {
            warn_at(
                d,
                i.advert_int_at,
                format!(
                    "{who}: VRRPv3 `advert_int` {} is above 40.95 s - using 40.95",
                    value::fmt_secs(a)
                ),
            );
        } else if version == 3 && a.as_micros() % 10_000 != 0 {
            warn_at(
                d,
                i.advert_int_at,
                format!(
                    "{who}: VRRPv3 `advert_int` {} is not in units of 10 ms - using {}",
                    value::fmt_secs(a),
                    value::fmt_secs(eff)
                ),
            );
        }
    }

    // Unicast.
    if i.unicast_configured() && i.peers().is_empty() && !i.unicast_fault_no_peer {
        warn_at(
            d,
            i.unicast_peer_at.0.map_or(i.at, At::loc),
            format!("{who}: a unicast keyword is given but there are no unicast peers - using multicast (deprecated)"),
        )
        .hint("add a `unicast_peer` block, or `unicast_fault_no_peer` to stay in FAULT without peers");
    }
    if !i.peers().is_empty() {
        if i.mcast_dst_ip.is_some() {
            warn_at(
                d,
                i.mcast_dst_at,
                format!("{who}: `mcast_dst_ip` is meaningless with unicast peers - ignoring it"),
            );
        }
        if i.use_vmac.is_some() && !i.vmac_xmit_base {
            warn_at(
                d,
                i.unicast_peer_at,
                format!("{who}: unicast with `use_vmac` needs `vmac_xmit_base` - setting it"),
            );
        }
        if strict {
            // keepalived 2.2.7 accepts this at -t; 2.3+ drops the instance when its interface
            // can multicast.
            note_at(
                d,
                i.unicast_peer_at,
                format!(
                    "{who}: unicast peers are not supported in strict mode by keepalived 2.3+ on a multicast-capable interface"
                ),
            );
        }
    }

    // Preemption.
    if i.nopreempt {
        if owner {
            warn_at(
                d,
                i.nopreempt_at,
                format!("{who}: `nopreempt` is incompatible with priority 255 - ignoring it"),
            );
        } else if master {
            warn_at(
                d,
                i.nopreempt_at,
                format!("{who}: `nopreempt` does not work with `state MASTER` - ignoring it"),
            )
            .hint("use `state BACKUP` on every node with `nopreempt`");
        }
    }
    let nopreempt = i.nopreempt && !owner && !master;
    if i.preempt_delay.is_some_and(|p| !p.is_zero()) {
        let why = if strict {
            Some("is incompatible with strict mode")
        } else if nopreempt {
            Some("is incompatible with `nopreempt`")
        } else if master {
            Some("does not work with `state MASTER`")
        } else {
            None
        };
        if let Some(why) = why {
            warn_at(
                d,
                i.preempt_delay_at,
                format!("{who}: `preempt_delay` {why} - ignoring it"),
            );
        }
    }

    // Authentication.
    if let Some(a) = &i.authentication {
        if a.auth_type.is_some() {
            if version == 3 {
                warn_at(
                    d,
                    a.at,
                    format!(
                        "{who}: VRRP version 3 does not support `authentication` - ignoring it"
                    ),
                );
            } else if strict {
                warn_at(
                    d,
                    a.at,
                    format!("{who}: strict mode does not support `authentication` - ignoring it"),
                );
            } else if a.auth_pass.is_none() {
                warn_at(
                    d,
                    a.at,
                    format!("{who}: `authentication` without `auth_pass` - ignoring it"),
                );
            } else if a.auth_type == Some(AuthType::Ah) {
                if family == Family::Inet6 {
                    warn_at(
                        d,
                        a.at,
                        format!("{who}: AH authentication cannot be used with IPv6 - ignoring it"),
                    );
                } else if master && !owner {
                    warn_at(
                        d,
                        i.state_at,
                        format!(
                            "{who}: initial `state MASTER` is incompatible with AH authentication - starting as BACKUP"
                        ),
                    );
                }
            }
        }
        if i.auth_hmac.is_some() {
            warn_at(
                d,
                a.at,
                format!(
                    "{who}: `auth_hmac` and `authentication` are exclusive - ignoring `authentication`"
                ),
            );
        }
    }
    // keepalived 2.4's HMAC-SHA256 trailer: peers that expect it drop unsigned adverts (and
    // 2.2.7 peers drop signed ones), so running without it would give two masters. Refused.
    if let Some(h) = &i.auth_hmac {
        d.push(
            Severity::Fatal,
            h.at.0,
            format!(
                "{who}: `auth_hmac` (keepalived 2.4) is not implemented by keepalived-rs - remove it, or use `authentication` (PASS or AH)"
            ),
        );
    }

    // Strict mode.
    if strict {
        if master != owner {
            warn_at(
                d,
                i.state_at.0.map_or(i.priority_at, At::loc),
                format!(
                    "{who}: in strict mode `state MASTER` must go with priority 255 (address owner) and only with it"
                ),
            );
        }
        if i.down_timer_adverts.is_some_and(|n| n != 3) {
            warn_at(
                d,
                i.down_timer_adverts_at,
                format!("{who}: `down_timer_adverts` is incompatible with strict mode - using 3"),
            );
        }
        if i.accept == Some(true) && version == 2 {
            warn_at(
                d,
                i.accept_at,
                format!(
                    "{who}: `accept` with VRRP version 2 does not comply with RFC 3768 - ignoring it in strict mode"
                ),
            );
        }
        if i.lower_prio_no_advert == Some(false) {
            warn_at(
                d,
                i.lower_prio_no_advert_at,
                format!("{who}: strict mode requires `lower_prio_no_advert` - setting it"),
            );
        }
        if i.higher_prio_send_advert == Some(true) {
            warn_at(
                d,
                i.higher_prio_send_advert_at,
                format!("{who}: strict mode requires `higher_prio_send_advert` off - clearing it"),
            );
        }
    }

    // Tracking.
    if let Some(own) = &i.interface {
        for t in &i.tracking.interfaces {
            if &t.name == own && i.use_vmac.is_none() {
                warn_at(
                    d,
                    t.at,
                    format!(
                        "{who}: `track_interface` `{own}` is the instance's own interface - ignoring it"
                    ),
                );
            }
        }
    }
    let grouped = sync.is_some_and(|s| !s.sync_group_tracking_weight);
    if owner || grouped {
        let why = if owner {
            "it is the address owner (priority 255)"
        } else {
            "it is in a sync group (set `sync_group_tracking_weight` on the group to allow it)"
        };
        for t in &i.tracking.interfaces {
            if t.weight.is_some_and(|w| w != 0) {
                warn_at(
                    d,
                    t.at,
                    format!(
                        "{who}: ignoring the weight of tracked interface `{}` because {why}",
                        t.name
                    ),
                );
            }
        }
        for t in &i.tracking.scripts {
            let w = t
                .weight
                .or_else(|| v.script(&t.name).map(|s| s.weight))
                .unwrap_or(0);
            if w != 0 {
                warn_at(
                    d,
                    t.at,
                    format!(
                        "{who}: ignoring tracked script `{}` with a weight because {why}",
                        t.name
                    ),
                );
            }
        }
        for t in &i.tracking.files {
            let w = t
                .weight
                .or_else(|| {
                    v.track_files
                        .iter()
                        .find(|f| f.name == t.name)
                        .map(|f| f.weight)
                })
                .unwrap_or(0);
            if w != 0 {
                warn_at(
                    d,
                    t.at,
                    format!(
                        "{who}: ignoring the weight of tracked file `{}` because {why} - specify weight 0",
                        t.name
                    ),
                );
            }
        }
        for t in &i.tracking.processes {
            let w = t
                .weight
                .or_else(|| {
                    v.track_processes
                        .iter()
                        .find(|p| p.name == t.name)
                        .map(|p| p.weight)
                })
                .unwrap_or(0);
            if w != 0 {
                warn_at(
                    d,
                    t.at,
                    format!(
                        "{who}: ignoring tracked process `{}` with a weight because {why}",
                        t.name
                    ),
                );
            }
        }
        for t in &i.tracking.bfds {
            if t.weight.is_some_and(|w| w != 0) {
                warn_at(
                    d,
                    t.at,
                    format!(
                        "{who}: ignoring tracked bfd `{}` with a weight because {why}",
                        t.name
                    ),
                );
            }
        }
    }
    // TODO(bfd): "track bfd X not found" once the BFD section exposes its instances.
}

/// Two instances on one interface with the same VRID and family, both multicast to the same group
/// or both unicast with a common peer (keepalived: "X and Y both use VRID N with IPv4 on
/// interface Z").
fn vrid_clashes(v: &Vrrp, g: &Globals, d: &mut Diagnostics) {
    let _ = g;
    for (k, b) in v.instances.iter().enumerate() {
        let (Some(vrid), Some(ifb)) = (b.virtual_router_id, b.interface.as_ref()) else {
            continue;
        };
        for a in &v.instances[..k] {
            if a.virtual_router_id != Some(vrid)
                || a.interface.as_ref() != Some(ifb)
                || a.family() != b.family()
            {
                continue;
            }
            let clash = match (a.peers().is_empty(), b.peers().is_empty()) {
                (true, true) => a.mcast_dst_ip == b.mcast_dst_ip,
                (false, false) => a
                    .peers()
                    .iter()
                    .any(|p| b.peers().iter().any(|q| q.addr == p.addr)),
                _ => false,
            };
            if clash {
                warn_at(
                    d,
                    b.vrid_at,
                    format!(
                        "vrrp_instance `{}` and `{}` both use virtual_router_id {vrid} with {} on interface `{ifb}`",
                        b.name,
                        a.name,
                        b.family().name()
                    ),
                )
                .hint("use a different virtual_router_id (or a different mcast_dst_ip)");
                break;
            }
        }
    }
}
