//! At start, before any instance sends an advert or a gratuitous ARP/NA: what this configuration's
//! instances install as master is removed, in case a previous run left it behind (`kill -9`, a
//! crash, the OOM killer). Without this a restarted master sits in BACKUP with the
//! old VIP on its interface, and the VIP is on two routers as soon as a peer takes over.
//! keepalived does the same (`vrrp_restore_interfaces_startup()`, logged with `-D` as
//! "(VI_1) removing VIPs.").
//!
//! # What is removed
//! For every instance that runs: its virtual rules, virtual routes, virtual addresses and
//! excluded addresses (keepalived's order), each address on its `dev` or else the instance's
//! interface. A VMAC instance's addresses without `dev` live on the VMAC: they are removed when
//! an existing VMAC is reused (`vmacs.rs`), with the same exceptions.
//!
//! # What is never removed
//! - An address owner's (priority 255) virtual and excluded addresses: RFC 5798 defines them as
//!   the owner's real interface addresses. keepalived 2.2.7 removes them, and an owner whose VIP is
//!   the interface's own address is left without it, in FAULT ("no IPv4 address for interface").
//! - An address any instance sends its adverts from (the interface's first IPv4 address, its
//!   link-local address, or `unicast_src_ip`/`mcast_src_ip`) even when it is also listed as a
//!   virtual address. keepalived removes it.
//!
//! The owner's routes and rules are removed like any other: it adds them again at once.
//! keepalived 2.2.7 logs "removing Virtual Routes" but removes only routes it added in this run,
//! so a previous run's routes stay; here they go.
//!
//! # Ordering
//! The removals are sent before the first drain of any machine, on the rtnetlink socket that
//! every later add uses. The kernel handles the requests of one socket in order (inside
//! `send(2)`), so a removal followed by an add (an owner's route: it is master at once) ends
//! with the route present. Nothing waits for the ACKs; those already queued are read, without
//! blocking, every [`ACK_BATCH`] requests, as the socket holds about 2,500 of them. The deletes
//! are blind (no dump first): "not there" comes back as an ACK
//! ([`crate::netlink::Outcome::AlreadyDone`]).
//!
//! `-V` does not change this (keepalived removes at start with `-V` too). A reload removes
//! nothing here: its removed or changed instances remove their own addresses as they stop.

use std::net::IpAddr;

use log::{debug, error, log};

use super::{RequestTag, VirtualRouter, VrrpExecutor, VrrpKey};
use crate::config::vrrp::{IpAddress, Route, Rule};
use crate::executor::vrrp::kernel_terms::{send_address, send_route, send_rule};
use crate::netlink::request::Op as Change;
use crate::reactor::Core;
use crate::sys::raw::if_index;
use crate::time::Instant;

/// One instance as the sweep sees it.
#[derive(Debug, Clone, Copy)]
pub(super) struct Owned<'a> {
    pub name: &'a str,
    /// Base priority 255.
    pub owner: bool,
    /// Where its addresses without `dev` go; `None` for a VMAC instance (see the module doc).
    pub ifindex: Option<u32>,
    pub vips: &'a [IpAddress],
    pub evips: &'a [IpAddress],
    pub routes: &'a [Route],
    pub rules: &'a [Rule],
}

/// One removal, in the order to send them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Op<'a> {
    Rule {
        inst: usize,
        rule: &'a Rule,
    },
    Route {
        inst: usize,
        route: &'a Route,
    },
    Addr {
        inst: usize,
        ifindex: u32,
        addr: &'a IpAddress,
        /// From `virtual_ipaddress_excluded`.
        excluded: bool,
    },
}

/// The addresses no instance may remove at start: every instance's advert source, and every
/// virtual or excluded address of an address owner.
pub(super) fn kept(insts: &[Owned<'_>], sources: &[IpAddr]) -> Vec<IpAddr> {
    let mut keep: Vec<IpAddr> = sources.to_vec();
    for o in insts.iter().filter(|o| o.owner) {
        keep.extend(o.vips.iter().chain(o.evips).map(|a| a.addr.addr));
    }
    keep.sort_unstable();
    keep.dedup();
    keep
}

/// The removals for `insts` (pure): per instance its rules, routes, virtual then excluded
/// addresses, each once (the first instance that names it does it), without the addresses in
/// `keep` (see [`kept`]). `ifindex_of` resolves a `dev`; an address on an interface that does not
/// exist is skipped.
pub(super) fn plan<'a>(
    insts: &[Owned<'a>],
    keep: &[IpAddr],
    ifindex_of: impl Fn(&str) -> Option<u32>,
) -> Vec<Op<'a>> {
    let mut ops: Vec<Op<'a>> = Vec::new();
    for (i, o) in insts.iter().enumerate() {
        for rule in o.rules {
            if !ops
                .iter()
                .any(|x| matches!(x, Op::Rule { rule: r, .. } if *r == rule))
            {
                ops.push(Op::Rule { inst: i, rule });
            }
        }
        for route in o.routes {
            if !ops
                .iter()
                .any(|x| matches!(x, Op::Route { route: r, .. } if *r == route))
            {
                ops.push(Op::Route { inst: i, route });
            }
        }
        let addrs = o
            .vips
            .iter()
            .map(|a| (a, false))
            .chain(o.evips.iter().map(|a| (a, true)));
        for (addr, excluded) in addrs {
            if keep.contains(&addr.addr.addr) {
                continue;
            }
            let ifindex = match &addr.dev {
                Some(d) => ifindex_of(d),
                None => o.ifindex,
            };
            let Some(ifindex) = ifindex else { continue };
            let dup = ops.iter().any(|x| {
                matches!(x, Op::Addr { ifindex: f, addr: a, .. }
                    if *f == ifindex && a.addr == addr.addr)
            });
            if !dup {
                ops.push(Op::Addr {
                    inst: i,
                    ifindex,
                    addr,
                    excluded,
                });
            }
        }
    }
    ops
}

fn owned(inst: &VirtualRouter) -> Owned<'_> {
    Owned {
        name: &inst.machine.params().name,
        owner: inst.machine.params().priority == 255,
        // An ipvlan's instance has its VIPs on its interface.
        ifindex: (inst.vmac.as_ref().is_none_or(|v| v.ipvlan.is_some())).then_some(inst.ifindex),
        vips: &inst.io.vips,
        evips: &inst.io.evips,
        routes: &inst.io.routes,
        rules: &inst.io.rules,
    }
}

impl VrrpExecutor {
    /// The addresses that must stay at start (see the module doc).
    pub(super) fn kept_at_start(&self) -> Vec<IpAddr> {
        let live: Vec<&VirtualRouter> = self.insts.live_values().collect();
        let views: Vec<Owned<'_>> = live.iter().map(|x| owned(x)).collect();
        let sources: Vec<IpAddr> = live.iter().map(|x| x.src).collect();
        kept(&views, &sources)
    }

    /// Sends the removals of the module doc. Called once, by [`VrrpExecutor::start`], after every
    /// instance is made and before any machine is drained.
    pub(super) fn sweep_leftovers<K: From<VrrpKey> + Copy>(
        &mut self,
        core: &mut Core<K>,
        now: Instant,
    ) {
        let keep = self.kept_at_start();
        // keepalived's lines, at info only with -D as there.
        let level = if self.log_detail {
            log::Level::Info
        } else {
            log::Level::Debug
        };
        // Owned copies: the ACKs are read between the requests (below), which needs `self`.
        let removals: Vec<(String, Removal)> = {
            let live: Vec<&VirtualRouter> = self.insts.live_values().collect();
            let views: Vec<Owned<'_>> = live.iter().map(|x| owned(x)).collect();
            let mut said: Vec<(usize, &'static str)> = Vec::new();
            plan(&views, &keep, if_index)
                .into_iter()
                .map(|op| {
                    let (inst, words, r) = match op {
                        Op::Rule { inst, rule } => {
                            (inst, "removing Virtual Rules", Removal::Rule(rule.clone()))
                        }
                        Op::Route { inst, route } => (
                            inst,
                            "removing Virtual Routes",
                            Removal::Route(route.clone()),
                        ),
                        Op::Addr {
                            inst,
                            ifindex,
                            addr,
                            excluded,
                        } => (
                            inst,
                            if excluded {
                                "removing E-VIPs."
                            } else {
                                "removing VIPs."
                            },
                            Removal::Addr(ifindex, addr.clone()),
                        ),
                    };
                    let name = views[inst].name;
                    if !said.contains(&(inst, words)) {
                        said.push((inst, words));
                        log!(level, "({name}) {words}");
                    }
                    (name.to_string(), r)
                })
                .collect()
        };
        for (n, (name, r)) in removals.iter().enumerate() {
            // The kernel queues an ACK per request on the socket, which holds about 2,500 of
            // them: read what came back now and then (a start with thousands of removals).
            if n > 0 && n % ACK_BATCH == 0 {
                self.on_rtnl(core, now);
            }
            let (rtnl, names) = (&mut self.rtnl, &self.names);
            let what = match r {
                Removal::Rule(_) => format!("({name}) removing a left-over virtual rule"),
                Removal::Route(route) => format!(
                    "({name}) removing a left-over virtual route {}",
                    super::route_dest(route)
                ),
                Removal::Addr(_, addr) => format!("({name}) removing a left-over {}", addr.addr),
            };
            let tag = RequestTag::Log(what.clone());
            let res = match r {
                Removal::Rule(rule) => send_rule(rtnl, Change::Del, rule, names, tag),
                Removal::Route(route) => send_route(rtnl, Change::Del, route, names, tag),
                Removal::Addr(ifindex, addr) => {
                    send_address(rtnl, Change::Del, *ifindex, addr, tag)
                }
            };
            if let Err(e) = res {
                error!("{what}: {e}");
            }
        }
        if !keep.is_empty() {
            debug!("kept at start (advert sources, address owners' addresses): {keep:?}");
        }
    }
}

/// How many removals are sent between two reads of their ACKs.
const ACK_BATCH: usize = 512;

/// An [`Op`] with its own copy of what to remove.
enum Removal {
    Rule(Rule),
    Route(Route),
    Addr(u32, IpAddress),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::config::testutil::load;
    use crate::executor::vrrp::params::{Planned, plan as plan_config};

    fn planned(text: &str) -> Vec<Planned> {
        let (cfg, diags): (Config, _) = load(text);
        let (p, bad) = plan_config(&cfg);
        assert!(bad.is_empty(), "{bad:?} {diags:?}");
        p
    }

    fn views(p: &[Planned], ifindex: impl Fn(usize) -> Option<u32>) -> Vec<Owned<'_>> {
        p.iter()
            .enumerate()
            .map(|(i, x)| Owned {
                name: &x.params.name,
                owner: x.params.priority == 255,
                ifindex: ifindex(i),
                vips: &x.io.vips,
                evips: &x.io.evips,
                routes: &x.io.routes,
                rules: &x.io.rules,
            })
            .collect()
    }

    fn devs(name: &str) -> Option<u32> {
        match name {
            "eth0" => Some(2),
            "eth1" => Some(3),
            _ => None,
        }
    }

    /// Each op as `inst kind text@ifindex`.
    fn show(ops: &[Op<'_>]) -> Vec<String> {
        ops.iter()
            .map(|o| match o {
                Op::Rule { inst, rule } => format!("{inst} rule {}", rule.words().join(" ")),
                Op::Route { inst, route } => {
                    format!("{inst} route {}", route.words().join(" "))
                }
                Op::Addr {
                    inst,
                    ifindex,
                    addr,
                    excluded,
                } => format!(
                    "{inst} {} {}@{ifindex}",
                    if *excluded { "evip" } else { "vip" },
                    addr.addr
                ),
            })
            .collect()
    }

    const BASE: &str = "
vrrp_instance A {
    interface eth0
    virtual_router_id 1
    priority 100
    virtual_ipaddress {
        10.0.0.100/24
        10.1.0.100/24 dev eth1
        10.2.0.100/24 dev nosuch
    }
    virtual_ipaddress_excluded {
        10.0.0.101/32
        fd00::101/64
    }
    virtual_routes {
        10.9.0.0/24 via 10.0.0.254
    }
    virtual_rules {
        from 10.0.0.100 table 100 priority 100
    }
}
";

    /// The sweep of a one-instance configuration on eth0 that sends from 10.0.0.1.
    fn sweep_of(text: &str) -> Vec<String> {
        let p = planned(text);
        let v = views(&p, |_| Some(2));
        let keep = kept(&v, &["10.0.0.1".parse().unwrap()]);
        show(&plan(&v, &keep, devs))
    }

    #[test]
    fn rules_routes_then_addresses_on_their_devices() {
        assert_eq!(
            sweep_of(BASE),
            [
                "0 rule from 10.0.0.100 preference 100 table 100",
                "0 route 10.9.0.0/24 via 10.0.0.254",
                "0 vip 10.0.0.100/24@2",
                "0 vip 10.1.0.100/24@3",
                "0 evip 10.0.0.101/32@2",
                "0 evip fd00::101/64@2",
            ]
        );
    }

    #[test]
    fn an_owner_keeps_its_addresses_but_not_its_routes() {
        let text = BASE.replacen("priority 100\n", "priority 255\n", 1);
        assert_eq!(
            sweep_of(&text),
            [
                "0 rule from 10.0.0.100 preference 100 table 100",
                "0 route 10.9.0.0/24 via 10.0.0.254",
            ]
        );
    }

    #[test]
    fn advert_sources_and_other_owners_addresses_stay() {
        // B's VIP is the interface's own address (A sends from it); C, an owner, has 10.0.0.7,
        // which A also lists.
        let text = "
vrrp_instance A {
    interface eth0
    virtual_router_id 1
    virtual_ipaddress {
        10.0.0.7/24
        10.0.0.8/24
    }
}
vrrp_instance B {
    interface eth0
    virtual_router_id 2
    virtual_ipaddress {
        10.0.0.1/24
        10.0.0.8/24
    }
    virtual_ipaddress_excluded {
        fe80::1:2/64
    }
}
vrrp_instance C {
    interface eth1
    virtual_router_id 3
    priority 255
    virtual_ipaddress {
        10.0.0.7/24
    }
}
";
        let p = planned(text);
        let v = views(&p, |i| Some([2, 2, 3][i]));
        let sources: Vec<IpAddr> = ["10.0.0.1", "fe80::1:2", "10.1.0.1"]
            .iter()
            .map(|s| s.parse().unwrap())
            .collect();
        let keep = kept(&v, &sources);
        // 10.0.0.8 once (A names it first); nothing of C.
        assert_eq!(show(&plan(&v, &keep, devs)), ["0 vip 10.0.0.8/24@2"]);
    }

    #[test]
    fn a_vmac_instance_leaves_its_own_addresses_to_the_vmac() {
        let p = planned(BASE);
        let v = views(&p, |_| None);
        let ops = plan(&v, &[], devs);
        assert_eq!(
            show(&ops),
            [
                "0 rule from 10.0.0.100 preference 100 table 100",
                "0 route 10.9.0.0/24 via 10.0.0.254",
                "0 vip 10.1.0.100/24@3",
            ]
        );
    }

    #[test]
    fn shared_routes_and_rules_are_removed_once() {
        let text = format!(
            "{BASE}{}",
            BASE.replace("vrrp_instance A", "vrrp_instance B")
        );
        let text = text.replacen("virtual_router_id 1\n", "virtual_router_id 2\n", 2);
        let text = text.replacen("virtual_router_id 2\n", "virtual_router_id 1\n", 1);
        let p = planned(&text);
        assert_eq!(p.len(), 2);
        let v = views(&p, |_| Some(2));
        let ops = plan(&v, &[], devs);
        assert!(ops.iter().all(|o| match o {
            Op::Rule { inst, .. } | Op::Route { inst, .. } | Op::Addr { inst, .. } => *inst == 0,
        }));
        assert_eq!(ops.len(), 6);
    }
}
