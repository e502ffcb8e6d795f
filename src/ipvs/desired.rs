//! The IPVS table the configuration asks for, in kernel terms (issue 13 item 2), as keepalived
//! 2.2.7 makes it at start, before any check has run:
//! - a `virtual_server IP PORT` is one service (no `protocol`: UDP, as keepalived); `fwmark N`
//!   one fwmark service of the virtual server's family (IPv4 when none); a `group` one service
//!   per address of each range and one per fwmark entry;
//! - no `lb_algo`: wlc; `persistence_timeout` (or a granularity alone, which implies 360 s) sets
//!   the persistent flag; `ops` one-packet; `flag-1..3` (`sh-`/`mh-fallback` = 1, `-port` = 2);
//!   the netmask is the granularity, else /32 or /128;
//! - every real server at its configured weight (0 included), except `alpha` ones with a
//!   checker, which are absent, or in at weight 0 with `inhibit_on_failure` (an `alpha` server
//!   without a checker is in, as keepalived puts it); non-NAT real servers of a fwmark service
//!   get port 0;
//! - with `sorry_server_inhibit` the sorry server is in from the start at weight 0; when the
//!   servers in do not reach `quorum` and there is a sorry server, the real servers leave (or go
//!   to weight 0 with `inhibit_on_failure`) and the sorry server enters at weight 1.
//!
//! Pure: after start the checkers hand in each virtual server's pool ([`table_with`],
//! [`entries`]).

use std::net::IpAddr;

use crate::config::lvs::{
    Family, Forwarding, Granularity, GroupEntry, Lvs, Protocol, RealServer, TunnelCsum, TunnelKind,
    VirtualServer, VsTarget,
};

use crate::check::pool::Pool;

use super::model::{
    AF_INET, AF_INET6, Dest, Forward, Netmask, SCTP, Service, ServiceKey, TCP, Tunnel, UDP, flags,
};
use super::reconcile::{Entry, Table};

/// The most services one group range may expand to; a larger range is cut, with a note.
pub const MAX_RANGE: u128 = 65_536;

/// The desired table at start (before any check), and what could not be expressed (one line
/// each).
pub fn table(lvs: &Lvs) -> (Table, Vec<String>) {
    let pools: Vec<Pool> = lvs.virtual_servers.iter().map(start_pool).collect();
    table_with(lvs, &pools)
}

/// The pool of `vs` before any check: every checker up but `alpha` ones.
pub fn start_pool(vs: &VirtualServer) -> Pool {
    Pool::new(vs, |i| {
        let r = &vs.real_servers[i];
        let n = u32::try_from(r.checkers.len()).unwrap_or(u32::MAX);
        (n, if down_at_start(r) { n } else { 0 })
    })
}

/// The desired table for the pools' states (`pools[i]` is virtual server `i`'s).
pub fn table_with(lvs: &Lvs, pools: &[Pool]) -> (Table, Vec<String>) {
    let mut t = Table::new();
    let mut notes = Vec::new();
    for (vs, pool) in lvs.virtual_servers.iter().zip(pools) {
        for (k, entry) in entries(lvs, vs, pool, &mut notes) {
            if t.insert(k, entry).is_some() {
                notes.push(format!("{k:?}: configured twice, the last one is used"));
            }
        }
    }
    (t, notes)
}

/// The services of one virtual server with their destinations for `pool`'s state.
pub fn entries(
    lvs: &Lvs,
    vs: &VirtualServer,
    pool: &Pool,
    notes: &mut Vec<String>,
) -> Vec<(ServiceKey, Entry)> {
    let keys = service_keys(lvs, vs, notes);
    let dests = dests_of(vs, pool);
    keys.into_iter()
        .map(|k| {
            let fwmark = matches!(k, ServiceKey::Fwmark { .. });
            let entry = Entry {
                service: service_of(vs, k),
                dests: dests
                    .iter()
                    .map(|d| {
                        let mut d = *d;
                        if fwmark && d.forward != Forward::Masq {
                            d.port = 0;
                        }
                        d
                    })
                    .collect(),
            };
            (k, entry)
        })
        .collect()
}

fn af(f: Option<Family>) -> u16 {
    match f {
        Some(Family::Inet6) => AF_INET6,
        _ => AF_INET,
    }
}

fn protocol(p: Option<Protocol>) -> u16 {
    match p {
        Some(Protocol::Tcp) => TCP,
        Some(Protocol::Sctp) => SCTP,
        Some(Protocol::Udp) | None => UDP,
    }
}

fn service_keys(lvs: &Lvs, vs: &VirtualServer, notes: &mut Vec<String>) -> Vec<ServiceKey> {
    let proto = protocol(vs.protocol);
    match &vs.target {
        VsTarget::Addr { ip, port } => vec![ServiceKey::Addr {
            protocol: proto,
            addr: *ip,
            port: *port,
        }],
        VsTarget::Fwmark(mark) => vec![ServiceKey::Fwmark {
            af: af(vs.family),
            mark: *mark,
        }],
        VsTarget::Group(name) => {
            let Some(g) = lvs.groups.iter().find(|g| &g.name == name) else {
                notes.push(format!("virtual_server group {name}: no such group"));
                return Vec::new();
            };
            let mut keys = Vec::new();
            for e in &g.entries {
                match *e {
                    GroupEntry::Addresses { start, end, port } => {
                        for addr in range(start, end, name, notes) {
                            keys.push(ServiceKey::Addr {
                                protocol: proto,
                                addr,
                                port,
                            });
                        }
                    }
                    GroupEntry::Fwmark { mark, family } => keys.push(ServiceKey::Fwmark {
                        af: af(family.or(vs.family)),
                        mark,
                    }),
                }
            }
            keys
        }
    }
}

/// `start..=end` of one family, at most [`MAX_RANGE`] addresses.
fn range(start: IpAddr, end: IpAddr, group: &str, notes: &mut Vec<String>) -> Vec<IpAddr> {
    let n = |a: IpAddr| match a {
        IpAddr::V4(a) => u128::from(u32::from(a)),
        IpAddr::V6(a) => u128::from(a),
    };
    let (s, e) = (n(start), n(end));
    if start.is_ipv4() != end.is_ipv4() || e < s {
        notes.push(format!("group {group}: range {start}-{end} is empty"));
        return Vec::new();
    }
    let last = if e - s >= MAX_RANGE {
        notes.push(format!(
            "group {group}: range {start}-{end} cut to its first {MAX_RANGE} addresses"
        ));
        s + MAX_RANGE - 1
    } else {
        e
    };
    (s..=last)
        .map(|v| match start {
            IpAddr::V4(_) => IpAddr::from(std::net::Ipv4Addr::from(v as u32)),
            IpAddr::V6(_) => IpAddr::from(std::net::Ipv6Addr::from(v)),
        })
        .collect()
}

fn service_of(vs: &VirtualServer, key: ServiceKey) -> Service {
    let persistent = vs.persistence_timeout.is_some() || vs.persistence_granularity.is_some();
    let mut f = 0;
    if persistent {
        f |= flags::PERSISTENT;
    }
    if vs.ops {
        f |= flags::ONEPACKET;
    }
    for (on, bit) in [
        (vs.sched_flags.flag1, flags::SCHED1),
        (vs.sched_flags.flag2, flags::SCHED2),
        (vs.sched_flags.flag3, flags::SCHED3),
    ] {
        if on {
            f |= bit;
        }
    }
    Service {
        key,
        scheduler: vs.sched.name().to_string(),
        flags: f,
        timeout: if persistent {
            vs.persistence_timeout.unwrap_or(360)
        } else {
            0
        },
        netmask: match vs.persistence_granularity {
            Some(Granularity::Mask(m)) => Netmask::v4(m),
            Some(Granularity::Prefix(p)) => Netmask::v6(p),
            None => Netmask::host(key.af()),
        },
        pe_name: vs.persistence_engine.clone(),
    }
}

/// Kernel `major.minor` from a `uname` line (`Linux 6.1.0-57-amd64 #1 ...`).
pub fn kernel_version(uname: &str) -> Option<(u32, u32)> {
    let release = uname.split_whitespace().nth(1)?;
    let mut parts = release.split(|c: char| !c.is_ascii_digit());
    Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
}

/// Takes out of `t` the tunnel attributes kernel `v` would ignore silently (it parses IPVS
/// attributes the lax way): the tunnel type and port before 5.2, GRE and the checksum flags
/// before 5.3. Sent anyway, the dump would never show them and every pass would "repair" the
/// destination. One note per kind of loss.
pub fn gate_for_kernel(t: &mut Table, v: (u32, u32)) -> Vec<String> {
    let mut notes = std::collections::BTreeSet::new();
    for e in t.values_mut() {
        for d in e.dests.values_mut() {
            let Some(tun) = d.tunnel else { continue };
            if v < (5, 2) {
                notes.insert(format!(
                    "Linux {}.{} knows no tunnel type (5.2): real servers tunnelled with IPIP",
                    v.0, v.1
                ));
                d.tunnel = None;
            } else if v < (5, 3) && (tun.kind == 2 || tun.flags != 0) {
                notes.insert(format!(
                    "Linux {}.{} knows no GRE tunnel or tunnel checksum option (5.3): left out",
                    v.0, v.1
                ));
                d.tunnel = Some(Tunnel {
                    kind: if tun.kind == 2 { 0 } else { tun.kind },
                    flags: 0,
                    ..tun
                })
                .filter(|t| !t.is_default());
            }
        }
    }
    notes.into_iter().collect()
}

/// A forwarding method in kernel terms. IPIP without checksum options is the kernel's default
/// tunnel and is left implicit (older kernels know no tunnel attributes; see the codec).
pub fn forward(f: Forwarding) -> (Forward, Option<Tunnel>) {
    match f {
        Forwarding::Nat => (Forward::Masq, None),
        Forwarding::Dr => (Forward::Route, None),
        Forwarding::Tun(t) => {
            let (kind, port) = match t.kind {
                TunnelKind::Ipip => (0, 0),
                TunnelKind::Gue(p) => (1, p),
                TunnelKind::Gre => (2, 0),
            };
            let flags = match t.csum {
                TunnelCsum::NoCsum => 0,
                TunnelCsum::Csum => 1,
                TunnelCsum::RemCsum => 2,
            };
            let tunnel = Tunnel { kind, port, flags };
            (Forward::Tunnel, Some(tunnel).filter(|t| !t.is_default()))
        }
    }
}

fn dest(rs: &RealServer, weight: i32) -> Dest {
    let (fwd, tunnel) = forward(rs.lvs_method);
    Dest {
        addr: rs.ip,
        port: rs.port,
        forward: fwd,
        weight,
        upper: rs.uthreshold,
        lower: rs.lthreshold,
        tunnel,
    }
}

/// Whether a real server is out before its first check: `alpha`, and only with a checker
/// (keepalived 2.2.7 puts an `alpha` server without one in at once).
pub fn down_at_start(r: &RealServer) -> bool {
    r.alpha && !r.checkers.is_empty()
}

/// The destinations for `pool`'s state: see the module doc.
fn dests_of(vs: &VirtualServer, pool: &Pool) -> Vec<Dest> {
    let weight = |w: u32| i32::try_from(w).unwrap_or(i32::MAX);
    let mut out = Vec::new();
    match (&vs.sorry_server, pool.quorum_up()) {
        (Some(s), false) => {
            // The real servers leave (inhibited ones stay at 0); the sorry server enters on
            // the virtual server's port unless it has its own.
            for r in &vs.real_servers {
                if r.inhibit_on_failure {
                    out.push(dest(r, 0));
                }
            }
            out.push(sorry(vs, s, 1));
        }
        (sorry_server, _) => {
            for (i, r) in vs.real_servers.iter().enumerate() {
                match pool.weight_of(i) {
                    Some(w) => out.push(dest(r, weight(w))),
                    None if r.inhibit_on_failure => out.push(dest(r, 0)),
                    None => {}
                }
            }
            if let Some(s) = sorry_server.as_ref().filter(|s| s.inhibit) {
                out.push(sorry(vs, s, 0));
            }
        }
    }
    out
}

fn sorry(vs: &VirtualServer, s: &crate::config::lvs::SorryServer, weight: i32) -> Dest {
    let (fwd, tunnel) = forward(s.lvs_method);
    let port = match (s.port, &vs.target) {
        (0, VsTarget::Addr { port, .. }) => *port,
        (p, _) => p,
    };
    Dest {
        addr: s.ip,
        port,
        forward: fwd,
        weight,
        upper: 0,
        lower: 0,
        tunnel,
    }
}

#[cfg(test)]
mod tests;
