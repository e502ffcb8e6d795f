//! Rules (`virtual_rules`, `static_rules`): one line each, in the words of `ip rule add`.

use super::*;

/// The `from`/`to` of a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleAddr {
    All,
    Prefix(Prefix),
}

impl std::fmt::Display for RuleAddr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RuleAddr::All => f.write_str("all"),
            RuleAddr::Prefix(p) => write!(f, "{p}"),
        }
    }
}

/// What a rule does (exactly one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuleAction {
    /// `table T` / `lookup T`.
    Table(String),
    /// `goto N`: jump to the rule with that preference.
    Goto(u32),
    Nop,
    Blackhole,
    Prohibit,
    Unreachable,
    /// `l3mdev`: look up the table of the VRF device.
    L3mdev,
}

/// One rule line: `[inet|inet6] [not] [from PFX|all] [to PFX|all] [preference N] ACTION
/// [fwmark M[/MASK]] [iif IF] [oif IF] [OPTIONS...] [no_track] [track_group G]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub family: Option<Family>,
    pub not: bool,
    pub from: Option<RuleAddr>,
    pub to: Option<RuleAddr>,
    /// `preference N` (aliases `priority`, `order`). Unset: keepalived assigns one (from 16384
    /// down) with a warning.
    pub preference: Option<u32>,
    pub action: RuleAction,
    /// `iif IF` (alias `dev`).
    pub iif: Option<String>,
    pub oif: Option<String>,
    /// Every other option, in order (`fwmark`, `tos`, `realms`, `uidrange`, `sport`, ...).
    pub options: Vec<RouteOpt>,
    pub no_track: bool,
    /// `track_group G` (static rules only; needs `iif` or `oif`).
    pub track_group: Option<String>,
    pub at: At,
}

impl Rule {
    pub fn words(&self) -> Vec<String> {
        let mut v: Vec<String> = Vec::new();
        match self.family {
            Some(Family::Inet) => v.push("inet".into()),
            Some(Family::Inet6) => v.push("inet6".into()),
            None => {}
        }
        if self.not {
            v.push("not".into());
        }
        if let Some(f) = self.from {
            v.extend(["from".into(), f.to_string()]);
        }
        if let Some(t) = self.to {
            v.extend(["to".into(), t.to_string()]);
        }
        if let Some(p) = self.preference {
            v.extend(["preference".into(), p.to_string()]);
        }
        match &self.action {
            RuleAction::Table(t) => v.extend(["table".into(), quote(t)]),
            RuleAction::Goto(n) => v.extend(["goto".into(), n.to_string()]),
            RuleAction::Nop => v.push("nop".into()),
            RuleAction::Blackhole => v.push("blackhole".into()),
            RuleAction::Prohibit => v.push("prohibit".into()),
            RuleAction::Unreachable => v.push("unreachable".into()),
            RuleAction::L3mdev => v.push("l3mdev".into()),
        }
        if let Some(i) = &self.iif {
            v.extend(["iif".into(), quote(i)]);
        }
        if let Some(o) = &self.oif {
            v.extend(["oif".into(), quote(o)]);
        }
        push_opts(&mut v, &self.options);
        if self.no_track {
            v.push("no_track".into());
        }
        if let Some(g) = &self.track_group {
            v.extend(["track_group".into(), quote(g)]);
        }
        v
    }
}

const RULE_OPTS: &[&str] = &[
    "fwmark",
    "tos",
    "dsfield",
    "realms",
    "suppress_prefixlength",
    "sup_pl",
    "suppress_ifgroup",
    "sup_group",
    "uidrange",
    "protocol",
    "ipproto",
    "ip_proto",
    "sport",
    "dport",
    "tunnel-id",
];

const RULE_KEYWORDS: &[&str] = &[
    "inet",
    "inet6",
    "not",
    "from",
    "to",
    "preference",
    "priority",
    "order",
    "table",
    "lookup",
    "goto",
    "nop",
    "blackhole",
    "prohibit",
    "unreachable",
    "l3mdev",
    "iif",
    "dev",
    "oif",
    "no_track",
    "track_group",
    "fwmark",
    "tos",
    "dsfield",
    "realms",
    "suppress_prefixlength",
    "suppress_ifgroup",
    "uidrange",
    "protocol",
    "ipproto",
    "sport",
    "dport",
    "tunnel-id",
];

/// Reads one rule line; `None` when keepalived would skip it.
pub(in crate::config::vrrp) fn parse_rule(
    d: &mut Diagnostics,
    line: &Node,
    track_groups: Option<&[String]>,
) -> Option<Rule> {
    let kw = if track_groups.is_some() {
        "static_rules"
    } else {
        "virtual_rules"
    };
    let words = &line.words;
    let at = At::word(&words[0]);
    let mut family: Option<Family> = None;
    let mut fam: Option<Family> = None;
    let mut not = false;
    let mut from = None;
    let mut to = None;
    let mut preference = None;
    let mut action: Option<RuleAction> = None;
    let mut iif = None;
    let mut oif = None;
    let mut options = Vec::new();
    let mut no_track = false;
    let mut track_group = None;
    let mut i = 0;
    while i < words.len() {
        let w = &words[i];
        let t = w.text.as_str();
        let takes = matches!(
            t,
            "from"
                | "to"
                | "preference"
                | "priority"
                | "order"
                | "table"
                | "lookup"
                | "goto"
                | "iif"
                | "dev"
                | "oif"
                | "track_group"
        ) || RULE_OPTS.contains(&t);
        let Some(v) = words
            .get(i + 1)
            .filter(|_| takes)
            .or(if takes { None } else { Some(w) })
        else {
            warn_at(
                d,
                At::word(w),
                format!("`{kw}`: `{t}` needs a value - skipping the rule"),
            );
            return None;
        };
        let mut set_action = |d: &mut Diagnostics, a: RuleAction| {
            if action.is_some() {
                warn_at(
                    d,
                    At::word(w),
                    format!(
                        "`{kw}`: more than one of table/goto/nop/blackhole/prohibit/unreachable/l3mdev - ignoring `{t}`"
                    ),
                );
            } else {
                action = Some(a);
            }
        };
        match t {
            "inet" | "inet6" => {
                let f = if t == "inet" {
                    Family::Inet
                } else {
                    Family::Inet6
                };
                if fam.is_some_and(|x| x != f) {
                    warn_at(
                        d,
                        At::word(w),
                        format!("`{kw}`: `{t}` given for a rule of the other family - ignoring"),
                    );
                } else {
                    family = Some(f);
                    fam = Some(f);
                }
            }
            "not" => not = true,
            "from" | "to" => {
                let a = if v.text == "all" {
                    RuleAddr::All
                } else {
                    match value::parse_prefix(&v.text) {
                        Some(p) => {
                            if family_clash(fam, p.addr) {
                                warn_at(
                                    d,
                                    At::word(v),
                                    format!(
                                        "`{kw}`: the rule mixes IPv4 and IPv6 (`{}`) - skipping the rule",
                                        v.text
                                    ),
                                );
                                return None;
                            }
                            fam = Some(Family::of(p.addr));
                            RuleAddr::Prefix(p)
                        }
                        None => {
                            warn_at(
                                d,
                                At::word(v),
                                format!(
                                    "`{kw}`: invalid `{t}` address `{}` - skipping the rule",
                                    v.text
                                ),
                            );
                            return None;
                        }
                    }
                };
                if t == "from" {
                    from = Some(a);
                } else {
                    to = Some(a);
                }
            }
            "preference" | "priority" | "order" => {
                if let Some(p) = value::int_in(d, "preference", v, 0, u32::MAX as i64) {
                    preference = Some(p as u32);
                }
            }
            "table" | "lookup" => {
                if value::parse_uint(&v.text).is_some_and(|n| n == 0) {
                    warn_at(
                        d,
                        At::word(v),
                        format!("`{kw}`: table 0 is not valid - ignoring"),
                    );
                } else {
                    set_action(d, RuleAction::Table(v.text.clone()));
                }
            }
            "goto" => match value::parse_uint(&v.text) {
                Some(n) if n <= u32::MAX as u64 => set_action(d, RuleAction::Goto(n as u32)),
                _ => {
                    warn_at(
                        d,
                        At::word(v),
                        format!("`{kw}`: invalid goto target `{}` - ignoring", v.text),
                    );
                }
            },
            "nop" => set_action(d, RuleAction::Nop),
            "blackhole" => set_action(d, RuleAction::Blackhole),
            "prohibit" => set_action(d, RuleAction::Prohibit),
            "unreachable" => set_action(d, RuleAction::Unreachable),
            "l3mdev" => set_action(d, RuleAction::L3mdev),
            "iif" | "dev" => {
                if super::super::ifname_ok(d, kw, v) {
                    iif = Some(v.text.clone());
                }
            }
            "oif" => {
                if super::super::ifname_ok(d, kw, v) {
                    oif = Some(v.text.clone());
                }
            }
            "no_track" => no_track = true,
            "track_group" => match track_groups {
                None => {
                    warn_at(
                        d,
                        At::word(w),
                        format!("`{kw}`: `track_group` is only for static rules - ignoring"),
                    );
                }
                Some(groups) if !groups.contains(&v.text) => {
                    warn_at(
                        d,
                        At::word(v),
                        format!(
                            "`{kw}`: no track_group `{}` is defined before this point - ignoring",
                            v.text
                        ),
                    );
                }
                Some(_) => track_group = Some(v.text.clone()),
            },
            _ if RULE_OPTS.contains(&t) => {
                let key = match t {
                    "ip_proto" => {
                        super::super::note_at(
                            d,
                            At::word(w),
                            format!("`{kw}`: keepalived 2.2.7 knows `ip_proto` as `ipproto`"),
                        );
                        "ipproto"
                    }
                    "sup_pl" => "suppress_prefixlength",
                    "sup_group" => "suppress_ifgroup",
                    "dsfield" => "tos",
                    k => k,
                };
                options.push(RouteOpt {
                    key: key.to_string(),
                    args: vec![v.text.clone()],
                });
            }
            _ => {
                let diag = warn_at(
                    d,
                    At::word(w),
                    format!("`{kw}`: unknown rule option `{t}` - ignoring"),
                );
                if let Some(best) = keyword_hint(t, RULE_KEYWORDS) {
                    diag.hint(format!("did you mean `{best}`?"));
                }
            }
        }
        i += if takes { 2 } else { 1 };
    }
    let Some(action) = action else {
        warn_at(
            d,
            at,
            format!(
                "`{kw}`: the rule has no action (table, goto, nop, blackhole, prohibit, unreachable or l3mdev) - skipping it"
            ),
        );
        return None;
    };
    match (&action, preference) {
        (RuleAction::Goto(_), None) => {
            warn_at(
                d,
                at,
                format!("`{kw}`: a `goto` rule needs a `preference` - skipping it"),
            );
            return None;
        }
        (RuleAction::Goto(g), Some(p)) if p >= *g => {
            warn_at(
                d,
                at,
                format!(
                    "`{kw}`: preference {p} is not below the goto target {g} - skipping the rule"
                ),
            );
            return None;
        }
        _ => {}
    }
    if preference.is_none() {
        warn_at(
            d,
            at,
            format!("`{kw}`: the rule has no `preference` - keepalived assigns one (from 16384 down), probably not what you want"),
        )
        .hint("add `preference N`");
    }
    if !no_track
        && let Some(p) = options
            .iter()
            .find(|o| o.key == "protocol")
            .and_then(|o| o.args.first())
            .filter(|p| !is_keepalived_proto(p))
    {
        // keepalived: "Rule cannot be tracked if protocol is not RTPROT_KEEPALIVED(18),
        // resetting protocol".
        warn_at(
                d,
                at,
                format!("`{kw}`: a tracked rule must use protocol keepalived (18), not `{p}` - using keepalived"),
            )
            .hint("add `no_track` to keep the protocol");
    }
    if track_group.is_some() && iif.is_none() && oif.is_none() {
        warn_at(
            d,
            at,
            format!("`{kw}`: `track_group` needs `iif` or `oif` - not tracking"),
        );
        track_group = None;
    }
    Some(Rule {
        family,
        not,
        from,
        to,
        preference,
        action,
        iif,
        oif,
        options,
        no_track,
        track_group,
        at,
    })
}
