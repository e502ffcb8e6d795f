//! Accept mode (RFC 5798 6.1 `Accept_Mode`) through nftables, as keepalived's `vrrp_nftables.c`
//! builds it: a master that does not own its addresses (priority below 255) and runs with
//! `no_accept` (explicit, or strict mode's default) drops the packets addressed to its virtual
//! and excluded addresses, and the packets it would send from them.
//!
//! # What is built (keepalived 2.2.7's ruleset, read back with `nft list ruleset`)
//! One table per address family, named by `nftables [TABLE]` (default `keepalived`), made when
//! the first master needs it:
//! ```text
//! table ip keepalived {
//!     set vips { type ipv4_addr }
//!     chain out { type filter hook output priority PRIO; policy accept; ip saddr @vips drop }
//!     chain in  { type filter hook input priority PRIO; policy accept; ip daddr @vips drop }
//! }
//! table ip6 keepalived {
//!     set vips { type ipv6_addr }
//!     set neighbor-discovery { type icmpv6_type; flags constant; elements = { 135, 136 } }
//!     set vips_link_local { type ipv6_addr . iface_index }        (with a link-local VIP)
//!     chain out { icmpv6 type @neighbor-discovery accept
//!                 ip6 saddr fe80::/10 goto out_link_local; ip6 saddr @vips drop }
//!     chain in  { icmpv6 type @neighbor-discovery accept
//!                 ip6 daddr fe80::/10 goto in_link_local;  ip6 daddr @vips drop }
//!     chain in_link_local  { ip6 daddr . iif @vips_link_local drop }   (with a link-local VIP)
//!     chain out_link_local { ip6 saddr . oif @vips_link_local drop }   (with a link-local VIP)
//! }
//! ```
//! `PRIO` is `nftables_priority` (-1); `nftables_counters` puts a counter in every rule. The
//! sets hold the addresses of the instances that are master with `no_accept`: elements are
//! added on entering MASTER (before the addresses) and removed on leaving it (after them). A
//! table, once made, stays until the daemon stops (keepalived's behaviour): a demoted master
//! leaves it with an empty set.
//!
//! # Differences from keepalived
//! - At start the tables of the configured name are deleted (when some instance runs with
//!   `no_accept` or `nftables` is configured): what a crashed run left is gone before any
//!   instance is master. keepalived 2.2.7 removes only its own elements at start and the
//!   table on its first MASTER, so a backup keeps a crashed run's table.
//! - A link-local VIP is always keyed by interface index (`nftables_ifindex`'s behaviour);
//!   keepalived keys it by interface name for an instance with `dont_track_primary`.
//! - No IGMP/MLD rules for VMACs (keepalived's `vmac_map`).
//!
//! # Kernel state is reconciled
//! [`plan`] (pure) turns (the addresses wanted, what is believed installed) into one batch:
//! the elements to add and delete, or for a family whose state is unknown (at start, after a
//! refused batch) "add table; delete table" (which cannot fail whether or not it exists) and,
//! when the family is wanted, the whole table again. A refused incremental batch is retried
//! once at once as a full rebuild. The kernel applies a batch inside `send(2)`: the rules are
//! in place when [`Firewall::sync`] returns (nothing is waited for: the answers are already
//! queued, see [`crate::netlink::nft`]).

use std::net::IpAddr;

use log::{debug, error};

use crate::config::Config;
use crate::config::global::NFT_TABLE;
use crate::netlink::nft::{
    Batch, Expr, HOOK_INPUT, HOOK_OUTPUT, META_IIF, META_OIF, NETWORK_HEADER, NFPROTO_IPV4,
    NFPROTO_IPV6, Nft, REG_1, REG_2, SET_CONSTANT, Set, TRANSPORT_HEADER, TYPE_BITS,
    TYPE_ICMPV6_TYPE, TYPE_IFINDEX, TYPE_IP6ADDR, TYPE_IPADDR, Table, Verdict,
};
use crate::time::Instant;

/// The global settings the ruleset depends on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// `nftables [TABLE]`.
    pub table: String,
    /// `nftables_priority`.
    pub priority: i32,
    /// `nftables_counters`.
    pub counters: bool,
    /// `nftables` was given: the tables are swept at start even without a `no_accept`
    /// instance.
    pub configured: bool,
}

impl Settings {
    pub fn of(cfg: &Config) -> Settings {
        let f = &cfg.global.firewall;
        Settings {
            table: f.nftables.clone().unwrap_or_else(|| NFT_TABLE.to_string()),
            priority: f.nftables_priority,
            counters: f.nftables_counters,
            configured: f.nftables.is_some(),
        }
    }
}

/// One address to drop: a link-local IPv6 address with its interface (0 for the others).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    pub addr: IpAddr,
    pub ifindex: u32,
}

impl Key {
    /// The key of `addr` on interface `ifindex` (kept for a link-local IPv6 address only).
    pub fn new(addr: IpAddr, ifindex: u32) -> Key {
        let ll = matches!(addr, IpAddr::V6(a) if a.is_unicast_link_local());
        Key {
            addr,
            ifindex: if ll { ifindex } else { 0 },
        }
    }

    fn link_local(&self) -> bool {
        self.ifindex != 0
    }

    fn v4(&self) -> bool {
        self.addr.is_ipv4()
    }

    /// The set element's bytes and their length: the address in network order, then the
    /// interface index in host order (`meta iif`) for a link-local address.
    fn bytes(&self) -> ([u8; 20], usize) {
        let mut v = [0u8; 20];
        let n = match self.addr {
            IpAddr::V4(a) => {
                v[..4].copy_from_slice(&a.octets());
                4
            }
            IpAddr::V6(a) => {
                v[..16].copy_from_slice(&a.octets());
                16
            }
        };
        if self.link_local() {
            v[16..].copy_from_slice(&self.ifindex.to_ne_bytes());
            return (v, 20);
        }
        (v, n)
    }
}

/// What is believed installed for one family.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Installed {
    /// Not known (at start, after a refused batch): the next plan rebuilds or deletes it.
    #[default]
    Unknown,
    /// No table.
    Absent,
    /// The table, with (`ll`) or without the link-local set and rules, and these elements.
    Up { ll: bool, elems: Vec<Key> },
}

/// The two families: `ip` then `ip6`.
pub type State = [Installed; 2];

fn table(s: &Settings, v4: bool) -> Table<'_> {
    Table {
        family: if v4 { NFPROTO_IPV4 } else { NFPROTO_IPV6 },
        name: &s.table,
    }
}

/// The batch that takes the kernel from `state` to `want` (pure, in any order, repeats
/// allowed), and the state after it (each element once).
/// `state`s of an unknown family become a delete (and a rebuild when wanted).
pub fn plan(s: &Settings, state: &State, want: &[Key], b: &mut Batch) -> State {
    let mut next = state.clone();
    for (f, v4) in [(0, true), (1, false)] {
        let t = table(s, v4);
        let mut mine: Vec<Key> = Vec::new();
        for k in want.iter().filter(|k| k.v4() == v4) {
            if !mine.contains(k) {
                mine.push(*k);
            }
        }
        let need_ll = mine.iter().any(Key::link_local);
        let rebuild = match &state[f] {
            Installed::Unknown => {
                b.new_table(t);
                b.del_table(t);
                !mine.is_empty()
            }
            Installed::Absent => !mine.is_empty(),
            Installed::Up { ll, .. } if need_ll && !ll => {
                b.new_table(t);
                b.del_table(t);
                true
            }
            Installed::Up { ll, elems } => {
                let not_in = |a: &[Key], b: &[Key]| -> Vec<Key> {
                    a.iter().filter(|k| !b.contains(k)).copied().collect()
                };
                let (add, del) = (not_in(&mine, elems), not_in(elems, &mine));
                elements(b, t, &add, true);
                elements(b, t, &del, false);
                next[f] = Installed::Up {
                    ll: *ll,
                    elems: mine.clone(),
                };
                false
            }
        };
        if rebuild {
            build(b, s, v4, need_ll);
            elements(b, t, &mine, true);
            next[f] = Installed::Up {
                ll: need_ll,
                elems: mine,
            };
        } else if state[f] == Installed::Unknown {
            next[f] = Installed::Absent;
        }
    }
    next
}

/// The add or delete messages for `keys` (one per set).
fn elements(b: &mut Batch, t: Table<'_>, keys: &[Key], add: bool) {
    for (set, ll) in [("vips", false), ("vips_link_local", true)] {
        let bytes: Vec<([u8; 20], usize)> = keys
            .iter()
            .filter(|k| k.link_local() == ll)
            .map(Key::bytes)
            .collect();
        let slices: Vec<&[u8]> = bytes.iter().map(|(k, n)| &k[..*n]).collect();
        if !slices.is_empty() {
            b.elements(t, set, add, &slices);
        }
    }
}

/// One family's table as keepalived 2.2.7 makes it, in its order (see the module doc).
fn build(b: &mut Batch, s: &Settings, v4: bool, ll: bool) {
    let t = table(s, v4);
    let c = s.counters;
    b.new_table(t);
    b.new_chain(t, "out", Some((HOOK_OUTPUT, s.priority)));
    b.new_chain(t, "in", Some((HOOK_INPUT, s.priority)));
    // The offsets of the source and destination addresses in the IP header.
    let (saddr, daddr, len) = if v4 { (12, 16, 4) } else { (8, 24, 16) };
    let load = |offset| Expr::Payload {
        base: NETWORK_HEADER,
        offset,
        len,
        dreg: REG_1,
    };
    let lookup = |set| Expr::Lookup { set, sreg: REG_1 };
    let vips = Set {
        name: "vips",
        key_type: if v4 { TYPE_IPADDR } else { TYPE_IP6ADDR },
        key_len: len,
        flags: 0,
        id: 1,
    };
    let nd = "neighbor-discovery";
    if !v4 {
        b.new_chain(t, "in_link_local", None);
        b.new_chain(t, "out_link_local", None);
    }
    b.new_set(t, vips);
    if !v4 {
        b.new_set(
            t,
            Set {
                name: nd,
                key_type: TYPE_ICMPV6_TYPE,
                key_len: 1,
                flags: SET_CONSTANT,
                id: 2,
            },
        );
        // ND_NEIGHBOR_SOLICIT, ND_NEIGHBOR_ADVERT.
        b.elements(t, nd, true, &[&[135], &[136]]);
        // `icmpv6 type @neighbor-discovery accept` (next header 58, then the ICMPv6 type) and
        // `ip6 daddr fe80::/10 goto CHAIN`, in each base chain.
        let mut fe80 = [0u8; 16];
        fe80[..2].copy_from_slice(&[0xfe, 0x80]);
        let mut mask = [0u8; 16];
        mask[..2].copy_from_slice(&[0xff, 0xc0]);
        for (chain, offset, ll_chain) in [
            ("in", daddr, "in_link_local"),
            ("out", saddr, "out_link_local"),
        ] {
            let nd_accept = [
                Expr::Payload {
                    base: NETWORK_HEADER,
                    offset: 6,
                    len: 1,
                    dreg: REG_1,
                },
                Expr::CmpEq {
                    sreg: REG_1,
                    data: &[58],
                },
                Expr::Payload {
                    base: TRANSPORT_HEADER,
                    offset: 0,
                    len: 1,
                    dreg: REG_1,
                },
                lookup(nd),
            ];
            b.new_rule(t, chain, &nd_accept, c, Verdict::Accept);
            let ll_goto = [
                load(offset),
                Expr::Bitwise {
                    reg: REG_1,
                    mask: &mask,
                    xor: &[0; 16],
                },
                Expr::CmpEq {
                    sreg: REG_1,
                    data: &fe80,
                },
            ];
            b.new_rule(t, chain, &ll_goto, c, Verdict::Goto(ll_chain));
        }
    }
    b.new_rule(t, "in", &[load(daddr), lookup("vips")], c, Verdict::Drop);
    b.new_rule(t, "out", &[load(saddr), lookup("vips")], c, Verdict::Drop);
    if ll {
        let set = "vips_link_local";
        b.new_set(
            t,
            Set {
                name: set,
                key_type: (TYPE_IP6ADDR << TYPE_BITS) | TYPE_IFINDEX,
                key_len: 20,
                flags: 0,
                id: 3,
            },
        );
        for (chain, offset, key) in [
            ("in_link_local", daddr, META_IIF),
            ("out_link_local", saddr, META_OIF),
        ] {
            let x = [load(offset), Expr::Meta { key, dreg: REG_2 }, lookup(set)];
            b.new_rule(t, chain, &x, c, Verdict::Drop);
        }
    }
}

/// The firewall of the VRRP executor: the socket (opened when first needed), the settings and
/// what is believed installed.
#[derive(Debug)]
pub struct Firewall {
    nft: Option<Nft>,
    settings: Settings,
    state: State,
    /// The socket could not be opened: said once.
    failed_open: bool,
}

impl Firewall {
    pub fn new(settings: Settings) -> Firewall {
        Firewall {
            nft: None,
            settings,
            state: State::default(),
            failed_open: false,
        }
    }

    /// Whether anything was ever sent (the socket is open).
    pub fn active(&self) -> bool {
        self.nft.is_some()
    }

    /// New settings (a reload): with another table name, priority or counters the old tables
    /// are deleted and the next [`Firewall::sync`] builds the new ones.
    pub fn configure(&mut self, settings: Settings) -> u64 {
        if settings == self.settings {
            return 0;
        }
        let same_shape = settings.table == self.settings.table
            && settings.priority == self.settings.priority
            && settings.counters == self.settings.counters;
        let mut errors = 0;
        if !same_shape && self.active() {
            errors = self.delete_tables();
        }
        self.settings = settings;
        errors
    }

    /// The tables should be swept at start even if no instance asks for them.
    pub fn configured(&self) -> bool {
        self.settings.configured
    }

    /// Makes the kernel drop exactly the addresses `want` (see the module doc); the errors
    /// (logged) to count.
    pub fn sync(&mut self, want: &[Key]) -> u64 {
        if self.nft.is_none() {
            if self.failed_open {
                return 0;
            }
            match Nft::new() {
                Ok(n) => self.nft = Some(n),
                Err(e) => {
                    self.failed_open = true;
                    error!(
                        "nftables: cannot open a netfilter netlink socket ({e}): traffic to the VIPs of no_accept masters is NOT dropped"
                    );
                    return 1;
                }
            }
        }
        let mut errors = 0;
        for attempt in 0..2 {
            let Some(nft) = self.nft.as_mut() else {
                return errors;
            };
            let mut b = Batch::new(nft.seq);
            let next = plan(&self.settings, &self.state, want, &mut b);
            if b.is_empty() {
                return errors;
            }
            let n = b.len();
            let start = Instant::now();
            match nft.apply(b) {
                Ok(()) => {
                    debug!(
                        "nftables: {n} message(s) applied in {} us, {} address(es) dropped",
                        Instant::now().saturating_duration_since(start).as_micros(),
                        want.len()
                    );
                    self.state = next;
                    return errors;
                }
                Err(e) => {
                    errors += 1;
                    let rebuild =
                        attempt == 0 && self.state.iter().any(|s| *s != Installed::Unknown);
                    error!(
                        "nftables: the kernel refused the update of table {} ({e}){}",
                        self.settings.table,
                        if rebuild {
                            "; rebuilding the tables"
                        } else {
                            "; traffic to the VIPs of no_accept masters may not be dropped until the next change"
                        }
                    );
                    self.state = State::default();
                    if !rebuild {
                        return errors;
                    }
                }
            }
        }
        errors
    }

    /// At stop: both tables deleted (nothing is left behind); the errors to count.
    pub fn delete_tables(&mut self) -> u64 {
        let Some(nft) = self.nft.as_mut() else {
            return 0;
        };
        let mut b = Batch::new(nft.seq);
        for v4 in [true, false] {
            let t = table(&self.settings, v4);
            b.new_table(t);
            b.del_table(t);
        }
        let start = Instant::now();
        match nft.apply(b) {
            Ok(()) => {
                debug!(
                    "nftables: tables deleted, applied in {} us",
                    Instant::now().saturating_duration_since(start).as_micros()
                );
                self.state = [Installed::Absent, Installed::Absent];
                0
            }
            Err(e) => {
                error!("nftables: cannot delete table {}: {e}", self.settings.table);
                self.state = State::default();
                1
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> Settings {
        Settings {
            table: "keepalived".to_string(),
            priority: -1,
            counters: false,
            configured: false,
        }
    }

    fn keys(list: &[(&str, u32)]) -> Vec<Key> {
        list.iter()
            .map(|(a, i)| Key::new(a.parse().unwrap(), *i))
            .collect()
    }

    /// The messages of a plan, by what they do.
    fn run(state: &State, want: &[Key]) -> (Vec<String>, State) {
        let mut b = Batch::new(1);
        let next = plan(&settings(), state, want, &mut b);
        let seqs: Vec<u32> = b.seqs().collect();
        let what = seqs
            .iter()
            .map(|s| b.what(*s).unwrap().to_string())
            .collect();
        (what, next)
    }

    #[test]
    fn start_sweeps_both_families() {
        let (what, next) = run(&State::default(), &[]);
        assert_eq!(
            what,
            ["add table", "delete table", "add table", "delete table"]
        );
        assert_eq!(next, [Installed::Absent, Installed::Absent]);
        // Nothing to do once known absent.
        assert!(run(&next, &[]).0.is_empty());
    }

    #[test]
    fn first_master_builds_ip_table_as_keepalived() {
        let absent = [Installed::Absent, Installed::Absent];
        let want = keys(&[("10.0.0.1", 3), ("10.0.0.2", 3)]);
        let (what, next) = run(&absent, &want);
        assert_eq!(
            what,
            [
                "add table",
                "add chain",
                "add chain",
                "add set",
                "add rule",
                "add rule",
                "add elements"
            ]
        );
        let Installed::Up { ll, elems } = &next[0] else {
            panic!("{next:?}")
        };
        assert!(!ll);
        assert_eq!(elems, &want);
        assert_eq!(next[1], Installed::Absent);
        // Leaving MASTER: one delete, the table stays.
        let (what, after) = run(&next, &[]);
        assert_eq!(what, ["delete elements"]);
        assert!(matches!(&after[0], Installed::Up { elems, .. } if elems.is_empty()));
        // Again MASTER: one add.
        assert_eq!(run(&after, &want).0, ["add elements"]);
    }

    #[test]
    fn ipv6_with_link_local() {
        let absent = [Installed::Absent, Installed::Absent];
        let want = keys(&[("fd00::1", 3)]);
        let (what, next) = run(&absent, &want);
        // Table, 4 chains, 2 sets and the ND types, 6 rules, the address.
        assert_eq!(what.len(), 15, "{what:?}");
        let sets = |w: &[String]| w.iter().filter(|x| *x == "add set").count();
        assert_eq!(sets(&what), 2);
        // A link-local address later: the table is made again with the link-local set.
        let want2 = keys(&[("fd00::1", 3), ("fe80::1", 3)]);
        let (what, next2) = run(&next, &want2);
        assert_eq!(&what[..2], ["add table", "delete table"]);
        // The same with the link-local set and its 2 rules, and 2 sets' elements.
        assert_eq!(what.len(), 2 + 15 + 3 + 1, "{what:?}");
        assert_eq!(sets(&what), 3);
        assert!(matches!(&next2[1], Installed::Up { ll: true, .. }));
        // Its key: address then the interface index.
        let k = Key::new("fe80::1".parse().unwrap(), 3);
        assert_eq!(k.bytes().1, 20);
        assert_eq!(Key::new("fd00::1".parse().unwrap(), 3).ifindex, 0);
    }
}
