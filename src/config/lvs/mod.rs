//! LVS: `virtual_server_group`, `virtual_server` (with `real_server` and health checkers) and
//! `SSL`, read into a typed model with keepalived 2.2.7's defaults, ranges and checks.
//!
//! Call order (see [`super`]): `parse_top` for each top-level statement this section owns, then
//! `check` once with the whole configuration, then `dump` for `-d`.
//!
//! What the model holds is what keepalived would run, resolved: a virtual server's defaults are
//! applied to its real servers, a real server's to its checkers (`delay_loop`, `connect_timeout`,
//! `retry`, `delay_before_retry`, `warmup`, `alpha`, `inhibit_on_failure`, `weight`,
//! `virtualhost`, `lvs_method`), the checker-type defaults are filled in, and the corrections
//! keepalived makes at the end of its parse (default scheduler, UDP when no protocol, ports of
//! non-NAT real servers, quorum and hysteresis limits...) are made here with the same warning.
//! Items keepalived drops (a virtual server without real servers, a duplicated real server, a
//! checker without its mandatory option) are reported and left out.
//!
//! A virtual server that uses `group NAME` is finished when both it and its group are known (the
//! group may be defined later in the file, as keepalived allows); `check` notes groups that never
//! appear, and [`Lvs::runnable`] leaves those virtual servers out.
//!
//! Names defined in other sections (`BFD_CHECK name` -> `bfd_instance`, `FILE_CHECK track_file`
//! -> `track_file`) are checked by [`Lvs::check_names`], which the integrator calls with those
//! sections' names.
//!
//! Where keepalived 2.2.7 and later versions differ, both are accepted: `sni_name`,
//! `tls_compliant` (SSL_GET) and `dynamic` (FILE_CHECK) are read, with a note that 2.2.7 does not
//! know them.
//!
//! Source locations are kept in [`At`] fields, which compare equal whatever they hold, so a model
//! read back from its own dump compares equal to the original.

pub mod checker;
mod read;
mod server;
#[cfg(test)]
mod tests;

use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

use super::Config;
use super::dump::Writer;
use super::scripts::ScriptRef;
use super::source::{At, Diagnostics, Loc};
use super::tree::Node;
use super::value::{note_at, warn_at};

pub use checker::{
    Checker, CheckerKind, ConnOpts, DnsCheck, DnsType, FileCheck, HttpCheck, HttpProtocol,
    MiscCheck, Regex, SmtpCheck, StatusCodes, UdpCheck, UdpReply, Url,
};

/// The top-level keywords this section owns.
pub const TOP: &[&str] = &["virtual_server_group", "virtual_server", "SSL"];

/// Everything this section configures.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Lvs {
    /// The `SSL { }` block for SSL_GET checkers; `None`: not given (keepalived then builds a
    /// context of its own when an SSL_GET needs one). A later block replaces an earlier one.
    pub ssl: Option<Ssl>,
    /// `virtual_server_group` blocks, in order; groups keepalived removes (no entries, or IPv4,
    /// IPv6 and fwmarks without a family) are left out.
    pub groups: Vec<VirtualServerGroup>,
    /// `virtual_server` blocks, in order, finished (see the module documentation).
    pub virtual_servers: Vec<VirtualServer>,
    /// Indexes into `virtual_servers` of `group` virtual servers whose group has not been
    /// defined (yet): finished when it is, reported by `check` otherwise.
    pending: Vec<usize>,
}

/// `SSL { password; ca; certificate; key }`: files for the SSL_GET client context.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Ssl {
    /// `password STRING`: the private key's pass phrase.
    pub password: Option<String>,
    /// `ca FILE`: CA certificates to verify servers with.
    pub ca: Option<String>,
    /// `certificate FILE`: client certificate.
    pub certificate: Option<String>,
    /// `key FILE`: client private key.
    pub key: Option<String>,
    pub loc: At,
}

/// `virtual_server_group NAME { ... }`.
#[derive(Debug, Clone, PartialEq)]
pub struct VirtualServerGroup {
    pub name: String,
    /// Address ranges and fwmarks, in order (keepalived keeps them in two lists; the order within
    /// each kind is kept).
    pub entries: Vec<GroupEntry>,
    pub loc: At,
}

/// One line of a `virtual_server_group`.
#[derive(Debug, Clone, PartialEq)]
pub enum GroupEntry {
    /// `IP [PORT]`, `A.B.C.D-E [PORT]`, `A.B.C.D-E.F.G.H [PORT]` or `PREFIX/LEN [PORT]`: the
    /// addresses `start..=end` (equal for a single address), both of one family. `port` 0: none
    /// (only valid for persistent services).
    Addresses {
        start: IpAddr,
        end: IpAddr,
        port: u16,
    },
    /// `fwmark N [inet|inet6]`: N in [0, 4294967295]; the family is only needed when all real
    /// servers are tunnelled.
    Fwmark { mark: u32, family: Option<Family> },
}

/// What a `virtual_server` line names.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum VsTarget {
    /// `virtual_server IP [PORT]`; `port` 0 means none (persistent services only).
    Addr { ip: IpAddr, port: u16 },
    /// `virtual_server fwmark N`, N in [1, 4294967295].
    Fwmark(u32),
    /// `virtual_server group NAME`.
    Group(String),
}

/// IP address family (`ip_family`, group fwmarks).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    Inet,
    Inet6,
}

impl Family {
    pub fn of(ip: &IpAddr) -> Family {
        if ip.is_ipv4() {
            Family::Inet
        } else {
            Family::Inet6
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Family::Inet => "inet",
            Family::Inet6 => "inet6",
        }
    }
}

/// IPVS schedulers keepalived accepts (`lvs_sched` / `lb_algo`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheduler {
    Rr,
    Wrr,
    Lc,
    Wlc,
    Lblc,
    Sh,
    Mh,
    Dh,
    Fo,
    Ovf,
    Lblcr,
    Sed,
    Nq,
    Twos,
}

impl Scheduler {
    pub const ALL: [Scheduler; 14] = [
        Scheduler::Rr,
        Scheduler::Wrr,
        Scheduler::Lc,
        Scheduler::Wlc,
        Scheduler::Lblc,
        Scheduler::Sh,
        Scheduler::Mh,
        Scheduler::Dh,
        Scheduler::Fo,
        Scheduler::Ovf,
        Scheduler::Lblcr,
        Scheduler::Sed,
        Scheduler::Nq,
        Scheduler::Twos,
    ];

    /// The IPVS scheduler name.
    pub fn name(self) -> &'static str {
        match self {
            Scheduler::Rr => "rr",
            Scheduler::Wrr => "wrr",
            Scheduler::Lc => "lc",
            Scheduler::Wlc => "wlc",
            Scheduler::Lblc => "lblc",
            Scheduler::Sh => "sh",
            Scheduler::Mh => "mh",
            Scheduler::Dh => "dh",
            Scheduler::Fo => "fo",
            Scheduler::Ovf => "ovf",
            Scheduler::Lblcr => "lblcr",
            Scheduler::Sed => "sed",
            Scheduler::Nq => "nq",
            Scheduler::Twos => "twos",
        }
    }

    /// Exact (case-sensitive) name, as keepalived compares.
    pub fn parse(s: &str) -> Option<Scheduler> {
        Scheduler::ALL.into_iter().find(|x| x.name() == s)
    }
}

/// IPVS scheduler flags. The kernel has three bits; `sh-fallback`/`mh-fallback` are `flag-1` and
/// `sh-port`/`mh-port` are `flag-2` under other names.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SchedFlags {
    /// `flag-1` (= `sh-fallback`, `mh-fallback`).
    pub flag1: bool,
    /// `flag-2` (= `sh-port`, `mh-port`).
    pub flag2: bool,
    /// `flag-3`.
    pub flag3: bool,
}

/// L4 protocol of an address-based virtual service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Protocol {
    Tcp,
    Udp,
    Sctp,
}

impl Protocol {
    pub fn name(self) -> &'static str {
        match self {
            Protocol::Tcp => "TCP",
            Protocol::Udp => "UDP",
            Protocol::Sctp => "SCTP",
        }
    }
}

/// Forwarding method (`lvs_method` / `lb_kind`, `sorry_server_lvs_method`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Forwarding {
    /// Masquerading (the default).
    Nat,
    /// Direct routing.
    Dr,
    /// Tunnelling.
    Tun(Tunnel),
}

/// `TUN [type ipip|gue port N|gre] [nocsum|csum|remcsum]`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tunnel {
    /// Tunnel type; default ipip.
    pub kind: TunnelKind,
    /// Checksum option; default nocsum (ipip supports only nocsum, gre not remcsum).
    pub csum: TunnelCsum,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum TunnelKind {
    #[default]
    Ipip,
    /// GUE with its UDP port (1..=65535, required).
    Gue(u16),
    Gre,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum TunnelCsum {
    #[default]
    NoCsum,
    Csum,
    RemCsum,
}

impl fmt::Display for Forwarding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Forwarding::Nat => f.write_str("NAT"),
            Forwarding::Dr => f.write_str("DR"),
            Forwarding::Tun(t) => {
                f.write_str("TUN")?;
                match t.kind {
                    TunnelKind::Ipip => {}
                    TunnelKind::Gue(p) => write!(f, " type gue port {p}")?,
                    TunnelKind::Gre => f.write_str(" type gre")?,
                }
                match t.csum {
                    TunnelCsum::NoCsum => Ok(()),
                    TunnelCsum::Csum => f.write_str(" csum"),
                    TunnelCsum::RemCsum => f.write_str(" remcsum"),
                }
            }
        }
    }
}

/// `persistence_granularity`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Granularity {
    /// IPv4 netmask (keepalived does not require it to be contiguous).
    Mask(std::net::Ipv4Addr),
    /// IPv6 prefix length, 1..=128.
    Prefix(u8),
}

/// A notify script: `KEYWORD COMMAND [USER [GROUP]]` (`notify_up`, `notify_down`, `quorum_up`,
/// `quorum_down`). The command is one word, quoted if it has arguments.
#[derive(Debug, Clone, PartialEq)]
pub struct Script {
    pub command: String,
    /// Run as this user (default: global `script_user`).
    pub user: Option<String>,
    pub group: Option<String>,
    pub loc: At,
}

/// A `virtual_server` block, resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct VirtualServer {
    pub target: VsTarget,
    /// Address family: from the address, else `ip_family`, `persistence_granularity` or the
    /// (non-tunnelled) real servers; `None` for a group virtual server whose family comes from
    /// its group.
    pub family: Option<Family>,
    /// `lvs_sched`/`lb_algo`; keepalived warns when it is missing and uses wlc.
    pub sched: Scheduler,
    /// `flag-1`..`flag-3`, `sh-port`, `sh-fallback`, `mh-port`, `mh-fallback`.
    pub sched_flags: SchedFlags,
    /// `ops`: one-packet scheduling (UDP only; cleared with a warning otherwise).
    pub ops: bool,
    /// `lvs_method`/`lb_kind`: the default for real and sorry servers; NAT when missing (with a
    /// warning when a server needed it).
    pub lvs_method: Forwarding,
    /// `protocol TCP|UDP|SCTP`: `None` for fwmark services (a protocol there is ignored with a
    /// warning); address services without one get UDP with a warning.
    pub protocol: Option<Protocol>,
    /// `persistence_timeout [N]` in seconds, 1..=2678400 (31 days); no value: 360. `None`: not
    /// persistent.
    pub persistence_timeout: Option<u32>,
    /// `persistence_granularity MASK|PREFIXLEN` (implies persistence 360 if unset).
    pub persistence_granularity: Option<Granularity>,
    /// `persistence_engine NAME` (`sip`).
    pub persistence_engine: Option<String>,
    /// `ha_suspend`: suspend checkers while the VIP is absent (not with fwmarks).
    pub ha_suspend: bool,
    /// `alpha`: real servers start down (the default for `alpha` of real servers).
    pub alpha: bool,
    /// `omega`: run quorum_down/notify_down at shutdown.
    pub omega: bool,
    /// `inhibit_on_failure`: the default of the real servers'.
    pub inhibit_on_failure: bool,
    /// `smtp_alert [BOOL]`; `None`: global `smtp_alert_checker`/`smtp_alert`, else no.
    pub smtp_alert: Option<bool>,
    /// `virtualhost NAME`: default Host for HTTP_GET/SSL_GET.
    pub virtualhost: Option<String>,
    /// `snmp_name NAME`.
    pub snmp_name: Option<String>,
    /// `quorum N`, 1..=4294967295, default 1; lowered to the total real server weight if above.
    pub quorum: u32,
    /// `hysteresis N`, default 0; lowered below `quorum`.
    pub hysteresis: u32,
    pub quorum_up: Option<Script>,
    pub quorum_down: Option<Script>,
    /// `weight N`, 1..=2147483647, default 1: the default weight of real servers.
    pub weight: u32,
    /// `delay_loop`, default 60 s.
    pub delay_loop: Duration,
    /// `connect_timeout`, default 5 s, at most 4294.967295 s.
    pub connect_timeout: Duration,
    /// `retry N` (1..): the default of real servers; `None`: the checker type's default.
    pub retry: Option<u32>,
    /// `delay_before_retry`; `None`: the checker type's default.
    pub delay_before_retry: Option<Duration>,
    /// `warmup`; `None`: the checker's delay_loop.
    pub warmup: Option<Duration>,
    /// `sorry_server IP [PORT]` and its options.
    pub sorry_server: Option<SorryServer>,
    pub real_servers: Vec<RealServer>,
    pub loc: At,
}

/// `sorry_server IP [PORT]`, `sorry_server_inhibit`, `sorry_server_lvs_method`.
#[derive(Debug, Clone, PartialEq)]
pub struct SorryServer {
    pub ip: IpAddr,
    /// 0: none (the virtual server's, for non-NAT methods).
    pub port: u16,
    /// Default: the virtual server's method.
    pub lvs_method: Forwarding,
    /// `sorry_server_inhibit`.
    pub inhibit: bool,
    pub loc: At,
}

/// A `real_server` block, resolved against its virtual server.
#[derive(Debug, Clone, PartialEq)]
pub struct RealServer {
    pub ip: IpAddr,
    /// 0: none; non-NAT servers take the virtual server's port (a different one is reset with a
    /// warning), NAT servers of address services too.
    pub port: u16,
    /// `weight N`, 0..=2147483647; default the virtual server's `weight`.
    pub weight: u32,
    /// `lvs_method`; default the virtual server's.
    pub lvs_method: Forwarding,
    /// `uthreshold N`: connection upper limit; 0: none.
    pub uthreshold: u32,
    /// `lthreshold N`: connection lower limit; 0: none.
    pub lthreshold: u32,
    /// `inhibit_on_failure [BOOL]`: set weight 0 instead of removing; default the virtual
    /// server's.
    pub inhibit_on_failure: bool,
    /// `alpha [BOOL]`; default the virtual server's.
    pub alpha: bool,
    /// (Boxed: rare, and 88 bytes each in every one of 40,000 real servers.)
    pub notify_up: Option<Box<Script>>,
    pub notify_down: Option<Box<Script>>,
    /// `smtp_alert [BOOL]`; `None`: global `smtp_alert_checker`/`smtp_alert`, else yes.
    pub smtp_alert: Option<bool>,
    /// `virtualhost NAME`; default the virtual server's.
    pub virtualhost: Option<String>,
    /// `snmp_name NAME`.
    pub snmp_name: Option<String>,
    /// `retry N` (1..); default the virtual server's; `None`: the checker type's default.
    pub retry: Option<u32>,
    /// `delay_before_retry`; default the virtual server's.
    pub delay_before_retry: Option<Duration>,
    /// `warmup`; default the virtual server's.
    pub warmup: Option<Duration>,
    /// `delay_loop`; default the virtual server's.
    pub delay_loop: Duration,
    /// `connect_timeout`; default the virtual server's.
    pub connect_timeout: Duration,
    /// Health checkers, in order.
    pub checkers: Vec<Checker>,
    pub loc: At,
}

impl Lvs {
    pub fn parse_top(&mut self, node: &Node, d: &mut Diagnostics) {
        match node.keyword() {
            "SSL" => self.parse_ssl(node, d),
            "virtual_server_group" => {
                if let Some(g) = server::parse_group(node, d) {
                    self.add_group(g, d);
                }
            }
            "virtual_server" => {
                let Some(vs) = server::parse_vs(node, d) else {
                    return;
                };
                let group = match &vs.target {
                    VsTarget::Group(name) => Some(name.clone()),
                    _ => None,
                };
                let mut vs = vs;
                match group {
                    None => self.virtual_servers.push(vs),
                    Some(name) => match self.groups.iter().find(|g| g.name == name) {
                        Some(g) => {
                            server::apply_group(&mut vs, g, d);
                            self.virtual_servers.push(vs);
                        }
                        None => {
                            self.pending.push(self.virtual_servers.len());
                            self.virtual_servers.push(vs);
                        }
                    },
                }
            }
            _ => {}
        }
    }

    fn add_group(&mut self, g: VirtualServerGroup, d: &mut Diagnostics) {
        if self.groups.iter().any(|o| o.name == g.name) {
            note_at(
                d,
                g.loc,
                format!(
                    "virtual_server_group `{}` is defined again; keepalived uses the first one",
                    g.name
                ),
            );
            self.groups.push(g);
            return;
        }
        let pending = std::mem::take(&mut self.pending);
        for i in pending {
            let vs = &mut self.virtual_servers[i];
            if matches!(&vs.target, VsTarget::Group(n) if *n == g.name) {
                server::apply_group(vs, &g, d);
            } else {
                self.pending.push(i);
            }
        }
        self.groups.push(g);
    }

    fn parse_ssl(&mut self, node: &Node, d: &mut Diagnostics) {
        read::extra_words(d, node, 0);
        if self.ssl.is_some() {
            d.warn(
                node.loc,
                "`SSL` block given again - it replaces the earlier one",
            );
        }
        let mut ssl = Ssl {
            loc: At::node(node),
            ..Ssl::default()
        };
        const KNOWN: &[&str] = &["password", "ca", "certificate", "key"];
        for n in node.children() {
            let Some(kw) = n.words.first() else { continue };
            let slot = match kw.text.as_str() {
                "password" => &mut ssl.password,
                "ca" => &mut ssl.ca,
                "certificate" => &mut ssl.certificate,
                "key" => &mut ssl.key,
                _ => {
                    super::value::unknown(d, kw, KNOWN, "SSL");
                    continue;
                }
            };
            super::value::no_block(d, n);
            let Some(v) = read::text(d, n, "a value") else {
                continue;
            };
            if slot.is_some() {
                d.warn(
                    n.loc,
                    format!("SSL `{}` given again - replacing the earlier one", kw.text),
                );
            }
            *slot = Some(v);
        }
        self.ssl = Some(ssl);
    }

    /// The virtual servers keepalived would run: all but those naming a group that is never
    /// defined (keepalived ignores them when it starts).
    pub fn runnable(&self) -> impl Iterator<Item = &VirtualServer> {
        self.virtual_servers
            .iter()
            .enumerate()
            .filter(|(i, _)| !self.pending.contains(i))
            .map(|(_, vs)| vs)
    }

    /// Checks that need the whole configuration: virtual servers naming a group that is never
    /// defined, and virtual servers defined twice (both notes: `keepalived -t` accepts them, the
    /// daemon then ignores the first kind and fails to add the second).
    pub fn check(&self, _cfg: &Config, d: &mut Diagnostics) {
        for &i in &self.pending {
            let vs = &self.virtual_servers[i];
            if let VsTarget::Group(name) = &vs.target {
                // keepalived -t says nothing; the checker process logs "Virtual server group
                // NAME specified but not configured - ignoring virtual server" at start-up. A
                // note, so that -t agrees (the group may be in a file included elsewhere).
                let diag = note_at(
                    d,
                    vs.loc,
                    format!(
                        "`virtual_server group {name}`: no virtual_server_group `{name}` is defined - keepalived ignores this virtual server when it starts"
                    ),
                );
                let names: Vec<&str> = self.groups.iter().map(|g| g.name.as_str()).collect();
                super::value::did_you_mean(diag, name, &names);
            }
        }
        // IPVS refuses a service that exists, so the second definition fails when keepalived
        // starts; keepalived -t says nothing, hence a note.
        let mut first_of = std::collections::HashMap::new();
        for (i, vs) in self.virtual_servers.iter().enumerate() {
            if self.pending.contains(&i) {
                continue;
            }
            let first = *first_of.entry(vs.service_key()).or_insert(i);
            if first != i {
                note_at(
                    d,
                    vs.loc,
                    format!(
                        "virtual server {} is defined twice (first at line {}); IPVS cannot add it again",
                        vs.describe(),
                        self.virtual_servers[first].loc.0.map_or(0, |l| l.line)
                    ),
                );
            }
        }
    }

    /// Checks of names defined in other sections: `BFD_CHECK name` must be a `bfd_instance`, and
    /// `FILE_CHECK track_file` a `track_file` defined before it (keepalived looks the name up
    /// while reading). For the integrator, once those sections are modelled: each list is
    /// `(name, where it is defined)`.
    pub fn check_names(
        &self,
        bfd_instances: &[(String, Loc)],
        track_files: &[(String, Loc)],
        d: &mut Diagnostics,
    ) {
        for vs in &self.virtual_servers {
            for rs in &vs.real_servers {
                for c in &rs.checkers {
                    match &c.kind {
                        CheckerKind::Bfd(name) if !bfd_instances.iter().any(|(n, _)| n == name) => {
                            warn_at(
                                d,
                                c.loc,
                                format!(
                                    "`BFD_CHECK`: no bfd_instance `{name}` is configured - checker ignored"
                                ),
                            );
                        }
                        CheckerKind::File(f) => {
                            match track_files.iter().find(|(n, _)| *n == f.track_file) {
                                Some((_, at)) if c.loc.0.is_some_and(|l| *at < l) => {}
                                Some(_) => {
                                    warn_at(
                                        d,
                                        c.loc,
                                        format!(
                                            "`FILE_CHECK`: track_file `{}` is defined after this checker; keepalived needs it defined first - checker ignored",
                                            f.track_file
                                        ),
                                    );
                                }
                                None => {
                                    warn_at(
                                        d,
                                        c.loc,
                                        format!(
                                            "`FILE_CHECK`: no track_file `{}` is defined - checker ignored",
                                            f.track_file
                                        ),
                                    );
                                }
                            }
                        }
                        _ => {}
                    }
                }
            }
        }
    }

    /// Every script this section configures, with where: `quorum_up`, `quorum_down`,
    /// `notify_up`, `notify_down` and `misc_path`.
    pub fn scripts(&self) -> Vec<ScriptRef> {
        let mut out = Vec::new();
        let of = |s: &Script, loc| {
            ScriptRef::new(&s.command, s.user.as_deref(), s.group.as_deref(), loc)
        };
        for vs in &self.virtual_servers {
            for s in [&vs.quorum_up, &vs.quorum_down].into_iter().flatten() {
                out.extend(s.loc.0.map(|loc| of(s, loc)));
            }
            for rs in &vs.real_servers {
                for s in [&rs.notify_up, &rs.notify_down].into_iter().flatten() {
                    out.extend(s.loc.0.map(|loc| of(s, loc)));
                }
                for c in &rs.checkers {
                    if let CheckerKind::Misc(m) = &c.kind {
                        out.extend(m.path_loc.0.map(|loc| {
                            ScriptRef::new(&m.path, m.user.as_deref(), m.group.as_deref(), loc)
                        }));
                    }
                }
            }
        }
        out
    }

    /// Canonical text: groups, then the SSL block, then virtual servers, every value resolved.
    pub fn dump(&self, w: &mut Writer) {
        for g in &self.groups {
            server::dump_group(g, w);
        }
        if let Some(ssl) = &self.ssl {
            w.open::<&str>("SSL", &[]);
            for (k, v) in [
                ("password", &ssl.password),
                ("ca", &ssl.ca),
                ("certificate", &ssl.certificate),
                ("key", &ssl.key),
            ] {
                if let Some(v) = v {
                    w.line(k, &[v]);
                }
            }
            w.close();
        }
        for vs in &self.virtual_servers {
            server::dump_vs(vs, w);
        }
    }
}

impl VirtualServer {
    /// What identifies the IPVS service: target and protocol.
    fn service_key(&self) -> (VsTarget, Option<Protocol>, Option<Family>) {
        match &self.target {
            VsTarget::Addr { .. } => (self.target.clone(), self.protocol, None),
            VsTarget::Fwmark(_) => (self.target.clone(), None, self.family),
            VsTarget::Group(_) => (self.target.clone(), self.protocol, self.family),
        }
    }

    /// `[10.0.0.1]:tcp:80`, `FWM 5`, `group G`: for messages (keepalived's notation).
    pub fn describe(&self) -> String {
        describe(&self.target, self.protocol)
    }
}

fn describe(target: &VsTarget, protocol: Option<Protocol>) -> String {
    Described(target, protocol).to_string()
}

/// [`VirtualServer::describe`] written only when a message is: most never are.
struct Described<'a>(&'a VsTarget, Option<Protocol>);

impl fmt::Display for Described<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            VsTarget::Addr { ip, port } => {
                let proto = self.1.map_or("none", |p| match p {
                    Protocol::Tcp => "tcp",
                    Protocol::Udp => "udp",
                    Protocol::Sctp => "sctp",
                });
                write!(f, "[{ip}]:{proto}:{port}")
            }
            VsTarget::Fwmark(m) => write!(f, "FWM {m}"),
            VsTarget::Group(g) => write!(f, "group {g}"),
        }
    }
}
