//! VRRP: `vrrp_instance`, `vrrp_sync_group`, the trackers (`vrrp_script`, `vrrp_track_process`,
//! `track_file`), `garp_group`, `linkbeat_interfaces`, `interface_up_down_delays`, and the static
//! addresses, routes, rules and their `track_group`s.
//!
//! Shape (see [`super`]): [`Vrrp::parse_top`] reads one top-level statement, [`Vrrp::check`] runs
//! the checks that need the whole file, [`Vrrp::dump`] writes canonical text that parses back to an
//! equal model, [`Vrrp::scripts`] lists every command this section may run.
//!
//! What the model holds: what the configuration says, after keepalived's parse-time repairs (an
//! out-of-range value is dropped or replaced as keepalived does, an item keepalived removes is not
//! in the model). Repairs keepalived makes when it completes an instance (rounding `advert_int`,
//! clearing `nopreempt` on an address owner, ...) are reported by [`Vrrp::check`] and applied by
//! the `effective_*` accessors of [`Instance`], so the model itself still dumps as written.
//!
//! Order matters as in keepalived: a `track_script`, `track_file` or `track_process` entry must
//! name a tracker defined earlier in the file, and a static item's `track_group` a group defined
//! earlier; otherwise keepalived ignores the reference ("not found"), and so do we.
//!
//! Locations: values that checks point at carry an [`At`], whose equality ignores the location, so
//! that a model read from its own dump compares equal to the original.

mod addr;
mod check;
mod instance;
mod misc;
mod track;

#[cfg(test)]
mod tests;

use std::time::Duration;

pub use addr::{
    Broadcast, IpAddress, Lifetime, Nexthop, Route, RouteDest, RouteOp, RouteOpt, RouteType, Rule,
    RuleAction, RuleAddr, Scope,
};
pub use instance::{
    AntiReplay, AuthHmac, AuthType, Authentication, Family, GarpExtraIf, GarpSettings, HmacKey,
    HmacMode, Instance, Ipvlan, IpvlanMode, OldChecksum, State, UnicastPeer, Vmac,
};
pub use misc::{GarpGroup, LinkbeatInterface, LinkbeatKind, UpDownDelay};
pub use track::{
    InitFile, Notifies, Notify, ParamMatch, SyncGroup, TrackFile, TrackGroup, TrackIf,
    TrackProcess, TrackRef, Tracking, VrrpScript,
};

use super::Config;
use super::dump::{Writer, quote};
use super::scripts::ScriptRef;
use super::source::{At, Diagnostics};
use super::tree::{Node, Word};
use super::value::{self, note_at, warn_at};

/// The top-level keywords this section owns.
pub const TOP: &[&str] = &[
    "vrrp_script",
    "vrrp_track_process",
    "track_file",
    "vrrp_track_file",
    "vrrp_sync_group",
    "vrrp_instance",
    "garp_group",
    "linkbeat_interfaces",
    "static_ipaddress",
    "static_routes",
    "static_rules",
    "track_group",
    "interface_up_down_delays",
];

/// The whole VRRP section.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Vrrp {
    /// `vrrp_script NAME { ... }`, in file order.
    pub scripts: Vec<VrrpScript>,
    /// `vrrp_track_process NAME { ... }`.
    pub track_processes: Vec<TrackProcess>,
    /// `track_file NAME { ... }` (legacy spelling `vrrp_track_file`).
    pub track_files: Vec<TrackFile>,
    /// `vrrp_sync_group NAME { ... }`.
    pub sync_groups: Vec<SyncGroup>,
    /// `vrrp_instance NAME { ... }`.
    pub instances: Vec<Instance>,
    /// `garp_group { ... }` (unnamed; several allowed).
    pub garp_groups: Vec<GarpGroup>,
    /// `linkbeat_interfaces { IF [MII|ETHTOOL|IOCTL] ... }` (all blocks together).
    pub linkbeat_interfaces: Vec<LinkbeatInterface>,
    /// `static_ipaddress { ... }` (all blocks together).
    pub static_addresses: Vec<IpAddress>,
    /// `static_routes { ... }`.
    pub static_routes: Vec<Route>,
    /// `static_rules { ... }`.
    pub static_rules: Vec<Rule>,
    /// `track_group NAME { group { VI ... } }`.
    pub track_groups: Vec<TrackGroup>,
    /// `interface_up_down_delays { IF DOWN [UP] ... }`.
    pub up_down_delays: Vec<UpDownDelay>,
    /// The names of `instances`, for the duplicate check (linear scans made 20,000 instances
    /// quadratic).
    pub(super) instance_names: std::collections::HashSet<String>,
}

impl Vrrp {
    /// Reads one top-level statement whose keyword is in [`TOP`].
    pub fn parse_top(&mut self, node: &Node, d: &mut Diagnostics) {
        match node.keyword() {
            "vrrp_instance" => instance::parse(self, node, d),
            "vrrp_sync_group" => track::parse_sync_group(self, node, d),
            "vrrp_script" => track::parse_script(self, node, d),
            "vrrp_track_process" => track::parse_track_process(self, node, d),
            "track_file" | "vrrp_track_file" => track::parse_track_file(self, node, d),
            "track_group" => track::parse_track_group(self, node, d),
            "garp_group" => misc::parse_garp_group(self, node, d),
            "linkbeat_interfaces" => misc::parse_linkbeat(self, node, d),
            "interface_up_down_delays" => misc::parse_up_down_delays(self, node, d),
            "static_ipaddress" => {
                if let Some(lines) = value_block(d, node) {
                    let tgs = self.track_group_names();
                    for l in lines {
                        if let Some(a) = addr::parse_address(d, l, addr::AddrUse::Static(&tgs)) {
                            self.static_addresses.push(a);
                        }
                    }
                }
            }
            "static_routes" => {
                if let Some(lines) = value_block(d, node) {
                    let tgs = self.track_group_names();
                    for l in lines {
                        if let Some(r) = addr::parse_route(d, l, Some(&tgs)) {
                            self.static_routes.push(r);
                        }
                    }
                }
            }
            "static_rules" => {
                if let Some(lines) = value_block(d, node) {
                    let tgs = self.track_group_names();
                    for l in lines {
                        if let Some(r) = addr::parse_rule(d, l, Some(&tgs)) {
                            self.static_rules.push(r);
                        }
                    }
                }
            }
            other => {
                // Only reachable if TOP and this match disagree: say so rather than drop it.
                d.warn(
                    node.loc,
                    format!("`{other}` is not handled by the VRRP section - ignoring"),
                );
            }
        }
    }

    /// The checks that need the whole configuration (cross references, instance completion).
    pub fn check(&self, cfg: &Config, d: &mut Diagnostics) {
        check::run(self, cfg, d);
    }

    /// Canonical text: trackers first (instances refer to them), then sync groups, instances, the
    /// rest.
    pub fn dump(&self, w: &mut Writer) {
        for s in &self.scripts {
            s.dump(w);
        }
        for p in &self.track_processes {
            p.dump(w);
        }
        for f in &self.track_files {
            f.dump(w);
        }
        for g in &self.track_groups {
            g.dump(w);
        }
        if !self.linkbeat_interfaces.is_empty() {
            w.open("linkbeat_interfaces", NO_WORDS);
            for l in &self.linkbeat_interfaces {
                l.dump(w);
            }
            w.close();
        }
        if !self.up_down_delays.is_empty() {
            w.open("interface_up_down_delays", NO_WORDS);
            for u in &self.up_down_delays {
                u.dump(w);
            }
            w.close();
        }
        for g in &self.garp_groups {
            g.dump(w);
        }
        if !self.static_addresses.is_empty() {
            w.open("static_ipaddress", NO_WORDS);
            for a in &self.static_addresses {
                w.raw(&a.words().join(" "));
            }
            w.close();
        }
        if !self.static_routes.is_empty() {
            w.open("static_routes", NO_WORDS);
            for r in &self.static_routes {
                w.raw(&r.words().join(" "));
            }
            w.close();
        }
        if !self.static_rules.is_empty() {
            w.open("static_rules", NO_WORDS);
            for r in &self.static_rules {
                w.raw(&r.words().join(" "));
            }
            w.close();
        }
        for i in &self.instances {
            i.dump(w);
        }
        for g in &self.sync_groups {
            g.dump(w);
        }
    }

    /// Every command this section configures, with where it was written: `vrrp_script` scripts and
    /// the `notify*` commands of instances and sync groups (for the script-security check).
    pub fn scripts(&self) -> Vec<ScriptRef> {
        let mut out = Vec::new();
        for s in &self.scripts {
            if let Some(loc) = s.script_at.0 {
                out.push(ScriptRef::new(
                    &s.script,
                    s.user.as_deref(),
                    s.group.as_deref(),
                    loc,
                ));
            }
        }
        for i in &self.instances {
            i.notify.collect(&mut out);
        }
        for g in &self.sync_groups {
            g.notify.collect(&mut out);
        }
        out
    }

    /// The `vrrp_script`s that an instance or sync group tracks (keepalived ignores the others:
    /// an unused script is neither run nor checked).
    pub fn tracked_scripts(&self) -> Vec<&VrrpScript> {
        let used = |name: &str| {
            self.instances
                .iter()
                .any(|i| i.tracking.scripts.iter().any(|r| r.name == name))
                || self
                    .sync_groups
                    .iter()
                    .any(|g| g.tracking.scripts.iter().any(|r| r.name == name))
        };
        self.scripts.iter().filter(|s| used(&s.name)).collect()
    }

    /// The instance called `name`.
    pub fn instance(&self, name: &str) -> Option<&Instance> {
        self.instances.iter().find(|i| i.name == name)
    }

    /// The `vrrp_script` called `name`.
    pub fn script(&self, name: &str) -> Option<&VrrpScript> {
        self.scripts.iter().find(|s| s.name == name)
    }

    fn track_group_names(&self) -> Vec<String> {
        self.track_groups.iter().map(|g| g.name.clone()).collect()
    }
}

const NO_WORDS: &[&str] = &[];

// ---------------------------------------------------------------------------------------------
// Shared parsing helpers.

/// The name of a named top-level block (`vrrp_instance NAME {`). keepalived skips the block when
/// the name is missing or followed by more words.
fn block_name<'n>(d: &mut Diagnostics, node: &'n Node) -> Option<&'n Word> {
    match node.args() {
        [name] => Some(name),
        [] => {
            warn_at(
                d,
                At::node(node),
                format!("`{}` must have a name - skipping the block", node.keyword()),
            );
            None
        }
        [_, extra, ..] => {
            warn_at(
                d,
                At::word(extra),
                format!(
                    "`{}` takes one name; `{}` is extra - skipping the block",
                    node.keyword(),
                    extra.text
                ),
            );
            None
        }
    }
}

/// The statements of a block keyword (`track_interface { ... }`). Words after the keyword are
/// reported (keepalived: "Block track_interface has extra parameters") and ignored.
fn sub_block<'n>(d: &mut Diagnostics, node: &'n Node) -> Option<&'n [Node]> {
    if let Some(extra) = node.args().first() {
        warn_at(
            d,
            At::word(extra),
            format!(
                "`{}` takes a block `{{ ... }}`, not values; `{}` ignored",
                node.keyword(),
                extra.text
            ),
        );
    }
    value::expect_block(d, node).map(|b| b.nodes.as_slice())
}

/// Like [`sub_block`] for blocks of value lines (addresses, peers, names): a line that carries a
/// block of its own is reported and the block ignored.
fn value_block<'n>(d: &mut Diagnostics, node: &'n Node) -> Option<Vec<&'n Node>> {
    let nodes = sub_block(d, node)?;
    let mut out = Vec::new();
    for n in nodes {
        if let Some(b) = &n.block {
            warn_at(
                d,
                At::loc(b.open),
                format!("unexpected block inside `{}` - ignored", node.keyword()),
            );
        }
        if !n.words.is_empty() {
            out.push(n);
        }
    }
    Some(out)
}

/// Every word of every line of a value block (`group { VI_1 VI_2 }`), as keepalived's
/// `read_value_block` reads them.
fn block_words<'n>(d: &mut Diagnostics, node: &'n Node) -> Option<Vec<&'n Word>> {
    let lines = value_block(d, node)?;
    Some(lines.into_iter().flat_map(|n| n.words.iter()).collect())
}

/// An optional boolean (`strict_mode`, `strict_mode off`): true when bare, `None` (and a warning)
/// when the word is not a boolean, as keepalived leaves the setting unchanged then.
fn opt_bool(d: &mut Diagnostics, node: &Node) -> Option<bool> {
    value::no_block(d, node);
    let args = node.args();
    let Some(w) = args.first() else {
        return Some(true);
    };
    if let Some(extra) = args.get(1) {
        warn_at(
            d,
            At::word(extra),
            format!(
                "`{}` takes at most one value; `{}` ignored",
                node.keyword(),
                extra.text
            ),
        );
    }
    let b = value::parse_bool(&w.text);
    if b.is_none() {
        warn_at(
            d,
            At::word(w),
            format!(
                "`{}`: `{}` is not a boolean (use on|off|true|false|yes|no) - ignoring",
                node.keyword(),
                w.text
            ),
        );
    }
    b
}

/// A keyword that takes no value and no block. Words after it are a Note and the keyword still
/// applies: keepalived 2.2.7's handlers of these keywords never read their arguments, so
/// `nopreempt 0` is `nopreempt` and `-t` exits 0 (measured: conformance/config_leniency.rs).
fn bare(d: &mut Diagnostics, node: &Node) {
    value::no_block(d, node);
    value::flag(d, node);
}

/// A whole number of seconds in `min..=max` (keepalived reads these with `read_unsigned`).
fn secs_arg(d: &mut Diagnostics, node: &Node, min: u64, max: u64) -> Option<Duration> {
    value::no_block(d, node);
    value::int_arg(d, node, min as i64, max as i64).map(|v| Duration::from_secs(v as u64))
}

/// Decimal seconds with microsecond resolution in `min..=max`.
fn timer_arg(d: &mut Diagnostics, node: &Node, min: Duration, max: Duration) -> Option<Duration> {
    value::no_block(d, node);
    value::seconds_arg(d, node, min, max)
}

/// An integer in `min..=max`.
fn int_arg(d: &mut Diagnostics, node: &Node, min: i64, max: i64) -> Option<i64> {
    value::no_block(d, node);
    value::int_arg(d, node, min, max)
}

/// The single word of a statement, as text.
fn str_arg(d: &mut Diagnostics, node: &Node) -> Option<String> {
    value::no_block(d, node);
    value::one_arg(d, node).map(|w| w.text.clone())
}

/// An interface name: at most 15 characters (IFNAMSIZ - 1).
fn ifname_ok(d: &mut Diagnostics, keyword: &str, w: &Word) -> bool {
    if w.text.is_empty() || w.text.len() >= 16 {
        warn_at(
            d,
            At::word(w),
            format!(
                "`{keyword}`: interface name `{}` is empty or longer than 15 characters - ignoring",
                w.text
            ),
        );
        return false;
    }
    true
}

// ---------------------------------------------------------------------------------------------
// Shared dump helpers.

fn bool_line(w: &mut Writer, keyword: &str, v: Option<bool>) {
    if let Some(b) = v {
        w.raw(&format!("{keyword} {}", if b { "on" } else { "off" }));
    }
}

fn secs_line(w: &mut Writer, keyword: &str, v: Option<Duration>) {
    if let Some(v) = v {
        w.raw(&format!("{keyword} {}", value::fmt_secs(v)));
    }
}
