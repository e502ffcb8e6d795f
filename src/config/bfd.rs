//! BFD: `bfd_instance NAME { ... }` (RFC 5880 sessions, RFC 5881 single hop, RFC 5883 multihop).
//!
//! keepalived checks an instance when its block ends (`bfd_end_handler`) and drops it, with a
//! warning, when it is unusable: no or malformed neighbor, source and neighbor of different
//! families, a name already used, or the same session (neighbor, source, multihop) as an earlier
//! instance. We do the same while parsing, so [`Bfd::instances`] holds only the instances that would
//! run and [`Bfd::has_instance`] answers as keepalived would for `track_bfd` and `BFD_CHECK`.
//!
//! Calibrated against keepalived 2.2.7: intervals are milliseconds with 3 decimals; values above
//! the "sensible" maxima are only logged by keepalived (Notes here); `multihop` is newer than 2.2.7
//! (which reports it as unknown), accepted with a Note.

use std::net::IpAddr;
use std::time::Duration;

use super::Config;
use super::dump::Writer;
use super::source::{At, Diagnostics};
use super::tree::{Node, Word};
use super::value;

/// The top-level keywords this section owns.
pub const TOP: &[&str] = &["bfd_instance"];

/// Keywords of a `bfd_instance` block.
const KNOWN: &[&str] = &[
    "neighbor_ip",
    "neighbour_ip",
    "source_ip",
    "min_rx",
    "min_tx",
    "idle_tx",
    "multiplier",
    "passive",
    "ttl",
    "hoplimit",
    "max_hops",
    "multihop",
    "weight",
    "vrrp",
    "checker",
];

/// Longest instance name (keepalived's `BFD_INAME_MAX` - 1: the name travels in a 32-byte field).
pub const NAME_MAX: usize = 31;
/// Interval limits in milliseconds (`BFD_MINRX_MIN` .. `BFD_MINRX_MAX`).
const INTERVAL_MIN_MS: u64 = 1;
const INTERVAL_MAX_MS: u64 = 4_294_967;
/// keepalived logs intervals above this as "larger than max sensible".
const INTERVAL_SENSIBLE_MS: u64 = 10_000;
const IDLE_TX_MIN_MS: u64 = 1000;
/// keepalived's BFD_MULTIPLIER_MAX_SENSIBLE is not enforced; above it detection gets slow.
const MULTIPLIER_SENSIBLE: u8 = 10;
/// Default TTL (IPv4) and hop limit (IPv6) of sent packets.
pub const TTL_V4: u8 = 255;
pub const HOPLIMIT_V6: u8 = 64;

/// All `bfd_instance` blocks that keepalived would run, in file order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Bfd {
    pub instances: Vec<BfdInstance>,
}

/// One BFD session.
#[derive(Debug, Clone, PartialEq)]
pub struct BfdInstance {
    /// `bfd_instance NAME`: at most 31 characters, unique.
    pub name: String,
    /// `neighbor_ip` (or `neighbour_ip`): the peer. Required.
    pub neighbor: IpAddr,
    /// `source_ip`: local address (same family as the neighbor). Default: chosen by the kernel.
    pub source: Option<IpAddr>,
    /// `min_rx` ms: Required Min RX Interval we advertise. Default 10 ms; range 1..4294967 ms,
    /// 1 µs resolution.
    pub min_rx: Duration,
    /// `min_tx` ms: Desired Min TX Interval while Up. Default 10 ms; same range.
    pub min_tx: Duration,
    /// `idle_tx` ms: Desired Min TX Interval while not Up. Default 1000 ms; range 1000..4294967.
    pub idle_tx: Duration,
    /// `multiplier`: Detect Mult. Default 5; range 1..255.
    pub multiplier: u8,
    /// `passive`: send nothing until the peer is heard. Default off.
    pub passive: bool,
    /// `ttl` / `hoplimit`: TTL or hop limit of sent packets, and the reference of the
    /// `max_hops` check. Default 255 (IPv4) / 64 (IPv6, keepalived's); range 1..255. See
    /// [`BfdInstance::send_ttl`] for what is sent without the keyword.
    pub ttl: u8,
    /// `ttl` / `hoplimit` was written.
    pub ttl_given: bool,
    /// `max_hops`: accept packets whose TTL is at least `ttl - max_hops`. Default 0; range
    /// -1..255, where 255 (and -1) disable the check. Never above `ttl` (keepalived lowers it).
    pub max_hops: i16,
    /// `multihop [BOOL]` (keepalived 2.4+): RFC 5883 multihop session on port 4784 instead of
    /// 3784. Default off.
    pub multihop: bool,
    /// `weight N [reverse]`: default weight of `track_bfd` entries naming this instance. Default 0;
    /// range -253..253.
    pub weight: i32,
    /// `weight N reverse`: the weight applies when up instead of when down.
    pub weight_reverse: bool,
    /// Events go to VRRP. `vrrp` / `checker` restrict events to the named consumers; with neither,
    /// both get them.
    pub vrrp: bool,
    /// Events go to the checkers (see `vrrp`).
    pub checker: bool,
    /// Where `bfd_instance` was written.
    pub origin: At,
}

impl BfdInstance {
    fn new(name: &str, origin: At) -> BfdInstance {
        BfdInstance {
            name: name.to_string(),
            neighbor: IpAddr::from([0, 0, 0, 0]),
            source: None,
            min_rx: Duration::from_millis(10),
            min_tx: Duration::from_millis(10),
            idle_tx: Duration::from_millis(1000),
            multiplier: 5,
            passive: false,
            ttl: TTL_V4,
            ttl_given: false,
            max_hops: 0,
            multihop: false,
            weight: 0,
            weight_reverse: false,
            vrrp: true,
            checker: true,
            origin,
        }
    }

    /// The TTL or hop limit sent: `ttl`/`hoplimit` when given, else 255 for both families.
    /// keepalived sends 64 over IPv6 without `hoplimit`, which RFC 5881 section 5 peers (FRR)
    /// drop; the receive check still uses keepalived's 64, so keepalived peers work either way.
    pub fn send_ttl(&self) -> u8 {
        if self.ttl_given { self.ttl } else { 255 }
    }

    /// The UDP destination port: 3784 (RFC 5881), 4784 multihop (RFC 5883).
    pub fn port(&self) -> u16 {
        if self.multihop { 4784 } else { 3784 }
    }
}

/// What the block said, before the end-of-block checks.
struct Draft {
    inst: BfdInstance,
    neighbor: Option<(IpAddr, &'static str, Word)>,
    source_word: Option<Word>,
    ttl: Option<u8>,
    max_hops_word: Option<Word>,
    only_vrrp: bool,
    only_checker: bool,
    /// A malformed neighbor: keepalived drops the instance and skips the rest of the block.
    dropped: bool,
}

impl Bfd {
    /// Is there a (valid) BFD instance with this name? For `track_bfd` and `BFD_CHECK`.
    pub fn has_instance(&self, name: &str) -> bool {
        self.instance(name).is_some()
    }

    pub fn instance(&self, name: &str) -> Option<&BfdInstance> {
        self.instances.iter().find(|i| i.name == name)
    }

    pub fn parse_top(&mut self, node: &Node, d: &mut Diagnostics) {
        let Some(name) = node.args().first() else {
            // keepalived 2.2.7 crashes (SIGSEGV) on this.
            d.warn(
                node.loc,
                "`bfd_instance` needs a name - ignoring the instance",
            );
            return;
        };
        value::extra(d, node, 1);
        let Some(block) = value::expect_block(d, node) else {
            return;
        };
        if name.text.len() > NAME_MAX {
            d.warn(
                name.loc,
                format!(
                    "`bfd_instance`: name `{}` is longer than {NAME_MAX} characters - ignoring the instance",
                    name.text
                ),
            );
            return;
        }
        if self.has_instance(&name.text) {
            d.warn(
                name.loc,
                format!(
                    "`bfd_instance`: `{}` is already defined - ignoring this one",
                    name.text
                ),
            );
            return;
        }
        let mut dr = Draft {
            inst: BfdInstance::new(&name.text, At::word(name)),
            neighbor: None,
            source_word: None,
            ttl: None,
            max_hops_word: None,
            only_vrrp: false,
            only_checker: false,
            dropped: false,
        };
        let context = format!("bfd_instance {}", name.text);
        for child in &block.nodes {
            Self::keyword(&mut dr, child, &context, d);
            if dr.dropped {
                return;
            }
        }
        if let Some(inst) = self.finish(dr, name, d) {
            self.instances.push(inst);
        }
    }

    fn keyword(dr: &mut Draft, node: &Node, context: &str, d: &mut Diagnostics) {
        let Some(kw) = node.words.first() else {
            return;
        };
        value::no_block(d, node);
        let inst = &mut dr.inst;
        match kw.text.as_str() {
            k @ ("neighbor_ip" | "neighbour_ip") => {
                let Some(w) = value::first(d, node) else {
                    // keepalived 2.2.7 crashes (SIGSEGV) on a bare `neighbor_ip`.
                    dr.dropped = true;
                    return;
                };
                match w.text.parse::<IpAddr>() {
                    Ok(a) => {
                        let k = if k == "neighbor_ip" {
                            "neighbor_ip"
                        } else {
                            "neighbour_ip"
                        };
                        dr.neighbor = Some((a, k, w.clone()));
                    }
                    Err(_) => {
                        d.warn(
                            w.loc,
                            format!(
                                "`{k}`: `{}` is not an IP address - ignoring {context}",
                                w.text
                            ),
                        );
                        dr.dropped = true;
                    }
                }
            }
            "source_ip" => {
                if let Some(w) = value::first(d, node)
                    && let Some(a) = value::ip(d, "source_ip", w)
                {
                    inst.source = Some(a);
                    dr.source_word = Some(w.clone());
                }
            }
            k @ ("min_rx" | "min_tx") => {
                if let Some(w) = value::first(d, node)
                    && let Some(v) = value::millis_in(d, k, w, INTERVAL_MIN_MS, INTERVAL_MAX_MS)
                {
                    sensible(d, k, w, v, INTERVAL_SENSIBLE_MS);
                    if k == "min_rx" {
                        inst.min_rx = v;
                    } else {
                        inst.min_tx = v;
                    }
                }
            }
            "idle_tx" => {
                if let Some(w) = value::first(d, node)
                    && let Some(v) =
                        value::millis_in(d, "idle_tx", w, IDLE_TX_MIN_MS, INTERVAL_MAX_MS)
                {
                    sensible(d, "idle_tx", w, v, INTERVAL_SENSIBLE_MS);
                    inst.idle_tx = v;
                }
            }
            "multiplier" => {
                if let Some(v) = value::dec_arg(d, node, 1, 255) {
                    inst.multiplier = v as u8;
                    if inst.multiplier > MULTIPLIER_SENSIBLE {
                        d.note(
                            node.args()[0].loc,
                            format!(
                                "`multiplier` {v}: the session is declared down only after {v} missed packets (more than {MULTIPLIER_SENSIBLE} is unusual)"
                            ),
                        );
                    }
                }
            }
            "passive" => inst.passive = value::flag(d, node),
            "ttl" | "hoplimit" => {
                if let Some(v) = value::dec_arg(d, node, 1, 255) {
                    dr.ttl = Some(v as u8);
                }
            }
            "max_hops" => {
                if let Some(v) = value::dec_arg(d, node, -1, 255) {
                    inst.max_hops = v as i16;
                    dr.max_hops_word = node.args().first().cloned();
                }
            }
            "multihop" => {
                d.note(
                    kw.loc,
                    "`multihop` is not known to keepalived 2.2.7 (added in a later release)",
                );
                if let Some(b) = value::opt_bool(d, node) {
                    inst.multihop = b;
                }
            }
            "weight" => {
                let Some(w) = node.args().first() else {
                    d.warn(node.loc, "`weight` needs a value - ignoring");
                    return;
                };
                if let Some(v) = value::dec_in(d, "weight", w, -253, 253) {
                    inst.weight = v as i32;
                }
                if let Some(opt) = node.args().get(1) {
                    if opt.text == "reverse" {
                        inst.weight_reverse = true;
                    } else {
                        d.warn(
                            opt.loc,
                            format!(
                                "`weight`: unknown option `{}` (only `reverse`) - ignoring it",
                                opt.text
                            ),
                        );
                    }
                }
                value::extra(d, node, 2);
            }
            "vrrp" => dr.only_vrrp = value::flag(d, node),
            "checker" => dr.only_checker = value::flag(d, node),
            _ => value::unknown(d, kw, KNOWN, context),
        }
    }

    /// keepalived's end-of-block checks. `None`: the instance is dropped.
    fn finish(&self, dr: Draft, name: &Word, d: &mut Diagnostics) -> Option<BfdInstance> {
        let mut inst = dr.inst;
        let Some((neighbor, nkw, nword)) = dr.neighbor else {
            d.warn(
                name.loc,
                format!(
                    "`bfd_instance` `{}` has no `neighbor_ip` - ignoring the instance",
                    inst.name
                ),
            );
            return None;
        };
        inst.neighbor = neighbor;
        if let (Some(src), Some(sw)) = (inst.source, &dr.source_word)
            && src.is_ipv4() != neighbor.is_ipv4()
        {
            d.warn(
                sw.loc,
                format!(
                    "`source_ip` `{src}` and `{nkw}` `{neighbor}` of `bfd_instance` `{}` are not of the same address family - ignoring the instance",
                    inst.name
                ),
            );
            return None;
        }
        if is_link_local(neighbor) && !inst.source.is_some_and(is_link_local) {
            d.note(
                nword.loc,
                format!(
                    "`{nkw}` `{neighbor}` of `bfd_instance` `{}` is link-local: its interface is the one holding `source_ip`, which must be a link-local address of it - without one the session cannot send",
                    inst.name
                ),
            );
        }
        // keepalived's find_bfd_by_addr: the same neighbor, and the same source or either unset.
        // (keepalived 2.4 also tells multihop and single-hop sessions apart.)
        if let Some(other) = self.instances.iter().find(|o| {
            o.neighbor == neighbor
                && o.multihop == inst.multihop
                && (o.source.is_none() || inst.source.is_none() || o.source == inst.source)
        }) {
            let what = match inst.source {
                Some(s) => format!("source/{nkw} `{s}`/`{neighbor}`"),
                None => format!("`{nkw}` `{neighbor}`"),
            };
            d.warn(
                nword.loc,
                format!(
                    "`bfd_instance` `{}` has the same {what} as `{}` - ignoring the instance",
                    inst.name, other.name
                ),
            )
            .hint("give each session a distinct `source_ip`");
            return None;
        }
        inst.ttl_given = dr.ttl.is_some();
        inst.ttl = dr.ttl.unwrap_or(if neighbor.is_ipv4() {
            TTL_V4
        } else {
            HOPLIMIT_V6
        });
        if inst.max_hops > i16::from(inst.ttl) {
            let loc = dr.max_hops_word.map_or(name.loc, |w| w.loc);
            d.warn(
                loc,
                format!(
                    "`max_hops` {} exceeds the ttl/hoplimit {} of `bfd_instance` `{}` - using {}",
                    inst.max_hops, inst.ttl, inst.name, inst.ttl
                ),
            );
            inst.max_hops = i16::from(inst.ttl);
        }
        if dr.only_vrrp || dr.only_checker {
            inst.vrrp = dr.only_vrrp;
            inst.checker = dr.only_checker;
        }
        Some(inst)
    }

    pub fn check(&self, _cfg: &Config, _d: &mut Diagnostics) {}

    pub fn dump(&self, w: &mut Writer) {
        for i in &self.instances {
            w.open("bfd_instance", &[&i.name]);
            w.line("neighbor_ip", &[i.neighbor.to_string()]);
            w.opt("source_ip", &i.source);
            w.line("min_rx", &[value::fmt_millis(i.min_rx)]);
            w.line("min_tx", &[value::fmt_millis(i.min_tx)]);
            w.line("idle_tx", &[value::fmt_millis(i.idle_tx)]);
            w.line("multiplier", &[i.multiplier.to_string()]);
            if i.passive {
                w.line::<&str>("passive", &[]);
            }
            let ttl_kw = if i.neighbor.is_ipv4() {
                "ttl"
            } else {
                "hoplimit"
            };
            if i.ttl_given {
                w.line(ttl_kw, &[i.ttl.to_string()]);
            }
            w.line("max_hops", &[i.max_hops.to_string()]);
            if i.multihop {
                w.line::<&str>("multihop", &[]);
            }
            if i.weight != 0 || i.weight_reverse {
                let mut v = vec![i.weight.to_string()];
                if i.weight_reverse {
                    v.push("reverse".into());
                }
                w.line("weight", &v);
            }
            if !(i.vrrp && i.checker) {
                if i.vrrp {
                    w.line::<&str>("vrrp", &[]);
                }
                if i.checker {
                    w.line::<&str>("checker", &[]);
                }
            }
            w.close();
        }
    }
}

/// An IPv6 unicast link-local address (fe80::/10): it needs an interface (a scope).
pub fn is_link_local(a: IpAddr) -> bool {
    matches!(a, IpAddr::V6(v) if v.segments()[0] & 0xffc0 == 0xfe80)
}

/// keepalived logs (but accepts) intervals above the sensible maximum.
fn sensible(d: &mut Diagnostics, keyword: &str, w: &Word, v: Duration, max_ms: u64) {
    if v > Duration::from_millis(max_ms) {
        d.note(
            w.loc,
            format!(
                "`{keyword}` {} ms is larger than the sensible maximum {max_ms} ms",
                w.text
            ),
        );
    }
}

#[cfg(test)]
mod tests;
