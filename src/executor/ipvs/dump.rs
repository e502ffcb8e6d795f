//! The IPVS part of the data (SIGUSR1) and statistics (SIGUSR2) dumps, and of the JSON state
//! (the JSON file and `--status`).
//!
//! keepalived 2.2.7 writes its virtual servers from its checker process into
//! `/tmp/keepalived_check.data` (section `LVS Topology`; observed in the IPVS guest, sample in
//! `dump/keepalived-2.2.7-check.data` for `dump/keepalived-2.2.7-check.conf`). Ours is one
//! process, so the section comes before the VRRP and BFD ones in `/tmp/keepalived.data`, with
//! keepalived's lines where it has them. Where it has none we add ours: the real server's
//! `state` and why, and what the kernel held at the last pass. With only virtual servers,
//! keepalived wrote no statistics file on SIGUSR2 and no JSON file on its JSON signal (its
//! VRRP process writes those); the `IPVS statistics` section and the `virtual_server` JSON
//! objects are ours. Neither layout is a stable interface (keepalived's is not either).
//!
//! Pure: built from the configuration, the table we want and the kernel's table as last read.

use crate::ipvs::desired::down_at_start;
use std::fmt::Write as _;
use std::net::IpAddr;
use std::time::Duration;

use crate::config::lvs::{
    Forwarding, Lvs, RealServer, SorryServer, TunnelKind, VirtualServer, VsTarget,
};
use crate::executor::vrrp::dump::js;
use crate::ipvs::model::{Dest, ServiceKey};
use crate::ipvs::reconcile::Table;

use super::{Counters, key_text};

/// What the dumps read: the configuration's virtual servers, the table we want, the kernel's.
pub struct View<'a> {
    pub lvs: &'a Lvs,
    pub desired: &'a Table,
    pub kernel: &'a Table,
    /// IPVS answered (its version, when read).
    pub available: bool,
    pub version: Option<&'a str>,
}

/// A real server's state now, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RsState {
    /// In at its weight.
    Up,
    /// Out until a check succeeds (`alpha`): no checker runs yet, so it stays out.
    Alpha,
    /// Down but kept at weight 0 (`inhibit_on_failure`).
    Inhibited,
    /// Out (or at 0) because the quorum is lost and the sorry server serves.
    SorryServer,
}

impl RsState {
    pub fn alive(self) -> bool {
        self == RsState::Up
    }
    pub fn name(self) -> &'static str {
        if self.alive() { "up" } else { "down" }
    }
    pub fn why(self) -> &'static str {
        match self {
            RsState::Up => "",
            RsState::Alpha => "alpha",
            RsState::Inhibited => "inhibited",
            RsState::SorryServer => "sorry server",
        }
    }
}

/// One virtual server as the dumps show it.
struct Vs<'a> {
    vs: &'a VirtualServer,
    /// Its services (a group has several), and those of them in the kernel.
    keys: Vec<ServiceKey>,
    in_kernel: usize,
    /// Per real server: state, weight we want (None: out), weight in the kernel (None: absent).
    rs: Vec<(&'a RealServer, RsState, Option<i32>, Option<i32>)>,
    /// The sorry server: serving, and its weight in the kernel.
    sorry: Option<(&'a SorryServer, bool, Option<i32>)>,
    quorum_up: bool,
}

/// The desired service keys of `vs`, as [`crate::ipvs::desired`] derives them.
fn keys_of(lvs: &Lvs, vs: &VirtualServer, desired: &Table) -> Vec<ServiceKey> {
    let groups = match &vs.target {
        VsTarget::Group(n) => lvs
            .groups
            .iter()
            .filter(|g| &g.name == n)
            .cloned()
            .collect(),
        VsTarget::Addr { .. } | VsTarget::Fwmark(_) => Vec::new(),
    };
    let mut one = Lvs::default();
    one.groups = groups;
    one.virtual_servers = vec![vs.clone()];
    let (t, _) = crate::ipvs::desired::table(&one);
    t.keys()
        .copied()
        .filter(|k| desired.contains_key(k))
        .collect()
}

/// The destination of `ip`:`port` in `t` under `k` (a fwmark service's non-NAT ones have port 0).
fn dest_in(t: &Table, k: Option<&ServiceKey>, ip: IpAddr, port: u16) -> Option<Dest> {
    let e = t.get(k?)?;
    e.dests
        .get(&(ip, port))
        .or_else(|| e.dests.get(&(ip, 0)))
        .copied()
}

fn sorry_port(vs: &VirtualServer, s: &SorryServer) -> u16 {
    match (s.port, &vs.target) {
        (0, VsTarget::Addr { port, .. }) => *port,
        (p, _) => p,
    }
}

fn gather<'a>(v: &View<'a>, vs: &'a VirtualServer) -> Vs<'a> {
    let keys = keys_of(v.lvs, vs, v.desired);
    let in_kernel = keys.iter().filter(|k| v.kernel.contains_key(k)).count();
    let first = keys.first();
    let sorry_in = vs
        .sorry_server
        .as_ref()
        .and_then(|s| dest_in(v.desired, first, s.ip, sorry_port(vs, s)).filter(|d| d.weight > 0));
    let rs = vs
        .real_servers
        .iter()
        .map(|r| {
            let want = dest_in(v.desired, first, r.ip, r.port).map(|d| d.weight);
            // No checker runs yet: an alpha server is down for good, every other one up
            // unless the sorry server serves.
            let state = match want {
                Some(0) if down_at_start(r) => RsState::Inhibited,
                _ if down_at_start(r) => RsState::Alpha,
                _ if sorry_in.is_some() => RsState::SorryServer,
                _ => RsState::Up,
            };
            let kernel = dest_in(v.kernel, first, r.ip, r.port).map(|d| d.weight);
            (r, state, want, kernel)
        })
        .collect();
    let sorry = vs.sorry_server.as_ref().map(|s| {
        let k = dest_in(v.kernel, first, s.ip, sorry_port(vs, s)).map(|d| d.weight);
        (s, sorry_in.is_some(), k)
    });
    Vs {
        vs,
        keys,
        in_kernel,
        rs,
        sorry,
        quorum_up: sorry_in.is_none() && quorum_met(vs),
    }
}

/// keepalived's `quorum_state_up`: the weights of the servers in reach the quorum.
fn quorum_met(vs: &VirtualServer) -> bool {
    let up: u64 = vs
        .real_servers
        .iter()
        .filter(|r| !down_at_start(r))
        .map(|r| u64::from(r.weight))
        .sum();
    up >= u64::from(vs.quorum)
}

fn secs(d: Duration) -> String {
    format!("{:.6}", d.as_secs_f64())
}

fn on_off(b: bool) -> &'static str {
    if b { "ON" } else { "OFF" }
}

/// keepalived's `NAT`, `DR`, `TUN, type = IPIP`.
fn method(f: Forwarding) -> String {
    match f {
        Forwarding::Nat => "NAT".into(),
        Forwarding::Dr => "DR".into(),
        Forwarding::Tun(t) => match t.kind {
            TunnelKind::Ipip => "TUN, type = IPIP".into(),
            TunnelKind::Gue(p) => format!("TUN, type = GUE, port = {p}"),
            TunnelKind::Gre => "TUN, type = GRE".into(),
        },
    }
}

fn proto_name(vs: &VirtualServer) -> &'static str {
    vs.protocol.map_or("none", |p| p.name())
}

/// `[10.0.0.9]:tcp:80`, as keepalived names a server.
fn server_name(vs: &VirtualServer, ip: IpAddr, port: u16) -> String {
    let p = vs
        .protocol
        .map_or("none".to_string(), |p| p.name().to_lowercase());
    format!("[{ip}]:{p}:{port}")
}

fn weight_text(w: Option<i32>) -> String {
    w.map_or("absent".into(), |w| format!("weight {w}"))
}

/// The `LVS Topology` section; nothing without virtual servers.
pub fn topology(v: &View<'_>) -> String {
    let mut o = String::new();
    if v.lvs.virtual_servers.is_empty() {
        return o;
    }
    let _ = writeln!(o, "------< LVS Topology >------");
    match (v.available, v.version) {
        (true, Some(ver)) => {
            let _ = writeln!(o, " System is compiled with LVS v{ver}");
        }
        (true, None) => {
            let _ = writeln!(o, " IPVS = available");
        }
        (false, _) => {
            let _ = writeln!(o, " IPVS = not available (looked for again)");
        }
    }
    for vs in &v.lvs.virtual_servers {
        vs_text(&mut o, &gather(v, vs));
    }
    o
}

fn vs_text(o: &mut String, g: &Vs<'_>) {
    let vs = g.vs;
    let _ = writeln!(o, " ------< Virtual server >------");
    let _ = match &vs.target {
        VsTarget::Addr { ip, port } => writeln!(o, " VS VIP = {ip}, VPORT = {port}"),
        VsTarget::Fwmark(m) => writeln!(o, " VS FWMARK = {m}"),
        VsTarget::Group(n) => writeln!(o, " VS GROUP = {n}"),
    };
    match (vs.family, &vs.target) {
        (Some(f), _) => {
            let _ = writeln!(o, "   Address family = {}", f.name());
        }
        (None, VsTarget::Group(_)) => {}
        (None, _) => {
            let _ = writeln!(o, "   Address family = inet");
        }
    }
    let _ = writeln!(o, "   connection timeout = {}", secs(vs.connect_timeout));
    let _ = writeln!(o, "   delay_loop = {}", secs(vs.delay_loop));
    let _ = writeln!(o, "   lvs_sched = {}", vs.sched.name());
    let persistent = vs.persistence_timeout.is_some() || vs.persistence_granularity.is_some();
    if persistent {
        let _ = writeln!(
            o,
            "   persistence timeout = {}",
            vs.persistence_timeout.unwrap_or(360)
        );
    }
    let _ = writeln!(o, "   protocol = {}", proto_name(vs));
    let _ = writeln!(o, "   alpha is {}", on_off(vs.alpha));
    let _ = writeln!(o, "   omega is {}", on_off(vs.omega));
    let _ = writeln!(
        o,
        "   Inhibit on failure is {}",
        on_off(vs.inhibit_on_failure)
    );
    let _ = writeln!(
        o,
        "   quorum = {}, hysteresis = {}",
        vs.quorum, vs.hysteresis
    );
    let _ = writeln!(
        o,
        "   default forwarding method = {}",
        method(vs.lvs_method)
    );
    if let Some((s, serving, kernel)) = g.sorry {
        let _ = writeln!(
            o,
            "   sorry server = {}",
            server_name(vs, s.ip, sorry_port(vs, s))
        );
        let _ = writeln!(o, "     forwarding method = {}", method(s.lvs_method));
        let _ = writeln!(o, "     Inhibit on failure is {}", on_off(s.inhibit));
        let _ = writeln!(o, "     serving = {}", if serving { "yes" } else { "no" });
        let _ = writeln!(o, "     in kernel = {}", weight_text(kernel));
    }
    let _ = writeln!(o, "   quorum_state_up = {}", u8::from(g.quorum_up));
    let _ = writeln!(
        o,
        "   services = {}, in kernel = {}",
        g.keys.len(),
        g.in_kernel
    );
    for (r, state, _, kernel) in &g.rs {
        let _ = writeln!(o, "   ------< Real server >------");
        // keepalived's effective weight is the configured one moved by checkers' dynamic
        // weights (none yet); what the kernel holds is on the `in kernel` line.
        let _ = writeln!(
            o,
            "   RIP = {}, RPORT = {}, WEIGHT = {} EFF WEIGHT = {}",
            r.ip, r.port, r.weight, r.weight
        );
        let _ = writeln!(o, "   forwarding method = {}", method(r.lvs_method));
        let _ = writeln!(o, "   Alpha is {}", on_off(r.alpha));
        let _ = writeln!(
            o,
            "   Inhibit on failure is {}",
            on_off(r.inhibit_on_failure)
        );
        let _ = writeln!(o, "   alive = {}", u8::from(state.alive()));
        match state.why() {
            "" => {
                let _ = writeln!(o, "   state = {}", state.name());
            }
            why => {
                let _ = writeln!(o, "   state = {} ({why})", state.name());
            }
        }
        let _ = writeln!(o, "   in kernel = {}", weight_text(*kernel));
    }
}

/// The name of an errno IPVS answers with (`E...`), else its number.
pub fn errno_name(e: i32) -> String {
    let name = match e {
        libc::EPERM => "EPERM",
        libc::ENOENT => "ENOENT",
        libc::ESRCH => "ESRCH",
        libc::EIO => "EIO",
        libc::ENOMEM => "ENOMEM",
        libc::EBUSY => "EBUSY",
        libc::EEXIST => "EEXIST",
        libc::ENODEV => "ENODEV",
        libc::EINVAL => "EINVAL",
        libc::ERANGE => "ERANGE",
        libc::ENOSPC => "ENOSPC",
        libc::EOPNOTSUPP => "EOPNOTSUPP",
        libc::EAFNOSUPPORT => "EAFNOSUPPORT",
        libc::EADDRNOTAVAIL => "EADDRNOTAVAIL",
        libc::ENOBUFS => "ENOBUFS",
        libc::EMSGSIZE => "EMSGSIZE",
        _ => return format!("errno {e}"),
    };
    name.into()
}

/// The `IPVS statistics` section (ours: keepalived's checker writes none); nothing without
/// virtual servers.
pub fn stats(v: &View<'_>, c: &Counters) -> String {
    let mut o = String::new();
    if v.lvs.virtual_servers.is_empty() {
        return o;
    }
    let _ = writeln!(o, "------< IPVS statistics (keepalived-rs) >------");
    let _ = writeln!(
        o,
        " IPVS = {}",
        if v.available {
            "available"
        } else {
            "not available"
        }
    );
    let _ = writeln!(o, " Passes = {}", c.passes);
    let _ = writeln!(o, " Changes = {}", c.changes);
    let _ = writeln!(o, " Repairs = {}", c.repairs);
    let total: u64 = c.errors.values().sum();
    let _ = writeln!(o, " Errors = {total}");
    for (e, n) in &c.errors {
        let _ = writeln!(o, "   {} = {n}", errno_name(*e));
    }
    o
}

/// A virtual server as the metrics show it (named as in the JSON state).
pub struct VsRow {
    pub name: String,
    pub quorum_up: bool,
    pub real_servers: Vec<RsRow>,
}

/// A real server as the metrics show it.
pub struct RsRow {
    pub ip: IpAddr,
    pub port: u16,
    pub weight: u32,
    pub alive: bool,
    pub kernel_weight: Option<i32>,
}

fn vs_name(vs: &VirtualServer) -> String {
    match &vs.target {
        VsTarget::Addr { ip, port } => format!("{ip} {port}"),
        VsTarget::Fwmark(m) => format!("fwmark {m}"),
        VsTarget::Group(n) => format!("group {n}"),
    }
}

/// The virtual servers for the metrics.
pub fn rows(v: &View<'_>) -> Vec<VsRow> {
    v.lvs
        .virtual_servers
        .iter()
        .map(|vs| {
            let g = gather(v, vs);
            VsRow {
                name: vs_name(vs),
                quorum_up: g.quorum_up,
                real_servers: g
                    .rs
                    .iter()
                    .map(|(r, state, _, kernel)| RsRow {
                        ip: r.ip,
                        port: r.port,
                        weight: r.weight,
                        alive: state.alive(),
                        kernel_weight: *kernel,
                    })
                    .collect(),
            }
        })
        .collect()
}

fn json_weight(w: Option<i32>) -> String {
    w.map_or("null".into(), |w| w.to_string())
}

/// The virtual servers as a JSON array of `{"virtual_server":{...}}` objects (ours: keepalived
/// writes none; VRRP instances are the objects with `data`).
pub fn json(v: &View<'_>) -> String {
    let mut o = String::from("[");
    for (i, vs) in v.lvs.virtual_servers.iter().enumerate() {
        let g = gather(v, vs);
        if i > 0 {
            o.push(',');
        }
        let name = vs_name(vs);
        let (addr, port, mark) = match &vs.target {
            VsTarget::Addr { ip, port } => (js(&ip.to_string()), *port, 0),
            VsTarget::Fwmark(m) => ("null".into(), 0, *m),
            VsTarget::Group(_) => ("null".into(), 0, 0),
        };
        let persistence =
            if vs.persistence_timeout.is_some() || vs.persistence_granularity.is_some() {
                vs.persistence_timeout.unwrap_or(360)
            } else {
                0
            };
        let services: Vec<String> = g.keys.iter().map(|k| js(&key_text(k))).collect();
        let _ = write!(
            o,
            concat!(
                "{{\"virtual_server\":{{\"name\":{},\"address\":{},\"port\":{},\"fwmark\":{},",
                "\"protocol\":{},\"lvs_sched\":{},\"lvs_method\":{},\"persistence_timeout\":{},",
                "\"quorum\":{},\"hysteresis\":{},\"quorum_up\":{},\"alpha\":{},",
                "\"inhibit_on_failure\":{},\"services\":[{}],\"services_in_kernel\":{},",
                "\"sorry_server\":"
            ),
            js(&name),
            addr,
            port,
            mark,
            js(proto_name(vs)),
            js(vs.sched.name()),
            js(&method(vs.lvs_method)),
            persistence,
            vs.quorum,
            vs.hysteresis,
            g.quorum_up,
            vs.alpha,
            vs.inhibit_on_failure,
            services.join(","),
            g.in_kernel,
        );
        match g.sorry {
            Some((s, serving, kernel)) => {
                let _ = write!(
                    o,
                    "{{\"address\":{},\"port\":{},\"serving\":{serving},\"kernel_weight\":{}}}",
                    js(&s.ip.to_string()),
                    sorry_port(vs, s),
                    json_weight(kernel)
                );
            }
            None => o.push_str("null"),
        }
        o.push_str(",\"real_servers\":[");
        for (k, (r, state, want, kernel)) in g.rs.iter().enumerate() {
            if k > 0 {
                o.push(',');
            }
            let _ = write!(
                o,
                concat!(
                    "{{\"address\":{},\"port\":{},\"weight\":{},\"desired_weight\":{},",
                    "\"kernel_weight\":{},\"alive\":{},\"state\":{},\"why\":{}}}"
                ),
                js(&r.ip.to_string()),
                r.port,
                r.weight,
                json_weight(*want),
                json_weight(*kernel),
                state.alive(),
                js(state.name()),
                js(state.why()),
            );
        }
        o.push_str("]}}");
    }
    o.push(']');
    o
}

#[cfg(test)]
mod tests;
