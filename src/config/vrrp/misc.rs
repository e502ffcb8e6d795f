//! `garp_group`, `linkbeat_interfaces` and `interface_up_down_delays`.

use std::time::Duration;

use super::super::dump::Writer;
use super::super::source::Diagnostics;
use super::super::tree::Node;
use super::super::value;
use super::{
    At, Vrrp, block_words, ifname_ok, note_at, quote, secs_line, timer_arg, value_block, warn_at,
};

/// `garp_group { ... }`: pacing of gratuitous ARPs / unsolicited NAs on some interfaces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GarpGroup {
    /// `garp_interval SECS`: between two GARPs (µs resolution). At least one of the intervals is
    /// required: keepalived removes a group without either.
    pub garp_interval: Option<Duration>,
    /// `gna_interval SECS`: between two unsolicited NAs.
    pub gna_interval: Option<Duration>,
    /// `interface IF`: the intervals apply to this interface alone.
    pub interface: Option<String>,
    /// `interfaces { IF ... }`: the intervals apply to these interfaces together.
    pub interfaces: Vec<String>,
    pub at: At,
}

const GARP_KEYWORDS: &[&str] = &["garp_interval", "gna_interval", "interface", "interfaces"];

pub(super) fn parse_garp_group(v: &mut Vrrp, node: &Node, d: &mut Diagnostics) {
    if let Some(extra) = node.args().first() {
        warn_at(
            d,
            At::word(extra),
            format!("`garp_group` takes no name; `{}` ignored", extra.text),
        );
    }
    let Some(b) = value::expect_block(d, node) else {
        return;
    };
    let mut g = GarpGroup {
        garp_interval: None,
        gna_interval: None,
        interface: None,
        interfaces: Vec::new(),
        at: At::node(node),
    };
    // keepalived's limit: INT_MAX microseconds.
    let max = Duration::from_micros(i32::MAX as u64);
    for n in &b.nodes {
        let Some(kw) = n.words.first() else { continue };
        match kw.text.as_str() {
            "garp_interval" => {
                if let Some(t) = timer_arg(d, n, Duration::ZERO, max) {
                    g.garp_interval = Some(t);
                }
            }
            "gna_interval" => {
                if let Some(t) = timer_arg(d, n, Duration::ZERO, max) {
                    g.gna_interval = Some(t);
                }
            }
            "interface" => {
                let Some(w) = value::one_arg(d, n) else {
                    continue;
                };
                value::no_block(d, n);
                if ifname_ok(d, "interface", w) {
                    if g.interface.is_some() || !g.interfaces.is_empty() {
                        note_at(
                            d,
                            At::word(w),
                            "`garp_group`: use one of `interface` or `interfaces` per block",
                        );
                    }
                    g.interface = Some(w.text.clone());
                }
            }
            "interfaces" => {
                let Some(words) = block_words(d, n) else {
                    continue;
                };
                if words.is_empty() {
                    warn_at(d, At::node(n), "`garp_group`: empty `interfaces` block");
                }
                if g.interface.is_some() {
                    note_at(
                        d,
                        At::node(n),
                        "`garp_group`: use one of `interface` or `interfaces` per block",
                    );
                }
                for w in words {
                    if ifname_ok(d, "interfaces", w) {
                        g.interfaces.push(w.text.clone());
                    }
                }
            }
            _ => value::unknown(d, kw, GARP_KEYWORDS, "garp_group"),
        }
    }
    if g.garp_interval.is_none() && g.gna_interval.is_none() {
        warn_at(
            d,
            g.at,
            "`garp_group` sets neither `garp_interval` nor `gna_interval` - removing it",
        );
        return;
    }
    v.garp_groups.push(g);
}

impl GarpGroup {
    pub(super) fn dump(&self, w: &mut Writer) {
        w.open("garp_group", super::NO_WORDS);
        secs_line(w, "garp_interval", self.garp_interval);
        secs_line(w, "gna_interval", self.gna_interval);
        if let Some(i) = &self.interface {
            w.line("interface", std::slice::from_ref(i));
        }
        if !self.interfaces.is_empty() {
            w.open("interfaces", super::NO_WORDS);
            for i in &self.interfaces {
                w.raw(&quote(i));
            }
            w.close();
        }
        w.close();
    }
}

/// How link state is polled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkbeatKind {
    Mii,
    Ethtool,
    Ioctl,
}

/// One line of `linkbeat_interfaces`: `IF [MII|ETHTOOL|IOCTL]` (default MII, falling back to
/// ETHTOOL then IOCTL).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkbeatInterface {
    pub name: String,
    pub kind: Option<LinkbeatKind>,
    pub at: At,
}

pub(super) fn parse_linkbeat(v: &mut Vrrp, node: &Node, d: &mut Diagnostics) {
    let Some(lines) = value_block(d, node) else {
        return;
    };
    for l in lines {
        let name = &l.words[0];
        if !ifname_ok(d, "linkbeat_interfaces", name) {
            continue;
        }
        let mut kind = None;
        if let Some(k) = l.words.get(1) {
            kind = match k.text.as_str() {
                "MII" => Some(LinkbeatKind::Mii),
                "ETHTOOL" => Some(LinkbeatKind::Ethtool),
                "IOCTL" => Some(LinkbeatKind::Ioctl),
                _ => None,
            };
            if kind.is_none() || l.words.len() > 2 {
                let bad = if kind.is_none() { k } else { &l.words[2] };
                warn_at(
                    d,
                    At::word(bad),
                    format!(
                        "`linkbeat_interfaces`: unexpected `{}` after `{}` (use MII|ETHTOOL|IOCTL) - ignoring",
                        bad.text, name.text
                    ),
                );
            }
        }
        v.linkbeat_interfaces.push(LinkbeatInterface {
            name: name.text.clone(),
            kind,
            at: At::word(name),
        });
    }
}

impl LinkbeatInterface {
    pub(super) fn dump(&self, w: &mut Writer) {
        let k = match self.kind {
            Some(LinkbeatKind::Mii) => " MII",
            Some(LinkbeatKind::Ethtool) => " ETHTOOL",
            Some(LinkbeatKind::Ioctl) => " IOCTL",
            None => "",
        };
        w.raw(&format!("{}{k}", quote(&self.name)));
    }
}

/// One line of `interface_up_down_delays`: `IF DOWN [UP]`, delays in [0, 255] s (µs resolution).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpDownDelay {
    pub interface: String,
    /// Before an instance goes to FAULT when the interface goes down.
    pub down: Duration,
    /// Before it leaves FAULT when the interface comes up. `None`: not given (the man page says
    /// the down delay is used; keepalived's parser sets 0).
    pub up: Option<Duration>,
    pub at: At,
}

pub(super) fn parse_up_down_delays(v: &mut Vrrp, node: &Node, d: &mut Diagnostics) {
    let Some(lines) = value_block(d, node) else {
        return;
    };
    let max = Duration::from_secs(255);
    for l in lines {
        let name = &l.words[0];
        if !ifname_ok(d, "interface_up_down_delays", name) {
            continue;
        }
        let Some(dw) = l.words.get(1) else {
            // keepalived only logs this.
            note_at(
                d,
                At::word(name),
                format!(
                    "`interface_up_down_delays`: no delays for `{}` - ignoring",
                    name.text
                ),
            );
            continue;
        };
        if let Some(x) = l.words.get(3) {
            note_at(
                d,
                At::word(x),
                format!(
                    "`interface_up_down_delays`: too many values for `{}`; `{}` ignored",
                    name.text, x.text
                ),
            );
        }
        let Some(down) = value::seconds_in(d, "interface_up_down_delays", dw, Duration::ZERO, max)
        else {
            continue;
        };
        let up = match l.words.get(2) {
            None => None,
            Some(uw) => {
                match value::seconds_in(d, "interface_up_down_delays", uw, Duration::ZERO, max) {
                    Some(u) => Some(u),
                    None => continue,
                }
            }
        };
        v.up_down_delays.retain(|o| o.interface != name.text);
        v.up_down_delays.push(UpDownDelay {
            interface: name.text.clone(),
            down,
            up,
            at: At::word(name),
        });
    }
}

impl UpDownDelay {
    pub(super) fn dump(&self, w: &mut Writer) {
        let mut s = format!("{} {}", quote(&self.interface), value::fmt_secs(self.down));
        if let Some(u) = self.up {
            s.push(' ');
            s.push_str(&value::fmt_secs(u));
        }
        w.raw(&s);
    }
}
