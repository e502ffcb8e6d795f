//! Virtual MAC interfaces (`use_vmac`), as keepalived makes them (`vrrp_vmac.c`,
//! `vrrp_if_config.c`): a macvlan in private mode on the instance's interface, with the virtual
//! router MAC (RFC 5798 7.3), that carries the VIPs and, unless `vmac_xmit_base`, the adverts.
//!
//! # Life of a VMAC (the executor, [`super::run`], drives it)
//! 1. [`Phase::Wait`]: the instance exists but its machine is held (no timer runs) until the link
//!    monitor's first dump says which interfaces exist.
//! 2. [`choose`]: reuse a private macvlan of the right MAC on the right parent (keepalived does
//!    on restart), else create one under the configured name or keepalived's (`vrrp.VRID`, ...);
//!    an incompatible macvlan holding the configured name is deleted first
//!    ([`Phase::Deleting`]). Creation is an `RTM_NEWLINK` through the asynchronous rtnetlink
//!    client; its ACK moves on ([`Phase::Creating`]).
//! 3. [`Phase::Configured`]: the sysctls written ([`Sysctls`]), an IPv6 instance's link-local
//!    address added, the link set up, the VRRP socket opened on it. The machine is still held.
//! 4. [`Phase::Running`]: the monitor saw the link up; the machine takes its first state.
//! 5. At stop (not with `-V`): deleted, and the sysctls keepalived changed are put back.
//!
//! [`Phase::Failed`]: it could not be made; the machine runs with its interface down (FAULT).
//!
//! # `use_ipvlan`
//! The same life for an ipvlan (a [`Vmac`] with [`Vmac::ipvlan`] set), as keepalived 2.2.7
//! makes it (read back from Debian's build): kind `ipvlan`, mode L2, flags bridge (default),
//! private or vepa, the parent's MAC, named by [`choose_ipvlan`] (`vrrp.VRID` by default). It
//! gets its configured address (the advert source unless one is configured) and, on an IPv4
//! instance without IPv6 eVIPs, `disable_ipv6=1`; no other sysctl. An IPv6 instance without a
//! configured source sends from the ipvlan's own link-local address (not the parent's: the
//! kernel gives an ipvlan another one), so its machine waits for that address too. The adverts leave from it
//! (unless `vmac_xmit_base`); the VIPs and GARPs stay on the instance's interface, as
//! keepalived 2.2.7 puts them. An IPv4 instance without the address cannot run (FAULT).
//!
//! The sysctls go through `/proc/sys` (keepalived's fallback when it is built without libnl):
//! a write there is a short synchronous call, not a request the loop would wait for.

use std::collections::HashMap;
use std::io;
use std::path::PathBuf;

use log::{info, warn};

use crate::config::vrrp::Family;

/// Where a VMAC is in its life (see the module doc).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Wait,
    Deleting,
    Creating,
    Configured,
    Running,
    Failed,
}

/// One instance's VMAC.
#[derive(Debug, Clone)]
pub struct Vmac {
    /// The interface name (the configured one, then the one [`choose`] settled on).
    pub name: String,
    pub configured_name: Option<String>,
    pub mac: [u8; 6],
    /// The parent (the instance's `interface`).
    pub parent: u32,
    pub parent_name: String,
    /// `use_vmac group G`, resolved; `None`: the parent's group.
    pub group: Option<u32>,
    /// Known once found or created.
    pub ifindex: Option<u32>,
    pub phase: Phase,
    /// `vmac_xmit_base`: adverts go out (and come in) on the parent.
    pub xmit_base: bool,
    /// `use_vmac_addr`: GARP/NA for VIPs on other interfaces are sent from the virtual MAC too.
    pub addr_on_others: bool,
    /// IPv4 instance with IPv6 excluded addresses: IPv6 stays enabled on the VMAC.
    pub keep_ipv6: bool,
    /// The parent's ARP sysctls are held for this VMAC (released at stop).
    pub holds_parent: bool,
    /// `use_ipvlan`: an ipvlan, not a macvlan (`mac` is then unused).
    pub ipvlan: Option<IpvlanLink>,
}

/// What an ipvlan has that a VMAC has not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IpvlanLink {
    /// `IPVLAN_F_*`.
    pub flags: u16,
    /// Added to the ipvlan once it exists.
    pub addr: Option<crate::config::value::Prefix>,
}

impl Vmac {
    /// While true the instance's machine is not started (its timer is not armed).
    pub fn holds_machine(&self) -> bool {
        matches!(
            self.phase,
            Phase::Wait | Phase::Deleting | Phase::Creating | Phase::Configured
        )
    }

    /// "VMAC" or "ipvlan", for the log.
    pub fn what(&self) -> &'static str {
        if self.ipvlan.is_some() {
            "ipvlan"
        } else {
            "VMAC"
        }
    }

    /// Whether an interface of ours may exist in the kernel (to delete at stop).
    pub fn may_exist(&self) -> bool {
        matches!(
            self.phase,
            Phase::Creating | Phase::Configured | Phase::Running
        )
    }
}

/// The virtual router MAC: `00:00:5e:00:01:VRID` for IPv4, `00:00:5e:00:02:VRID` for IPv6
/// (RFC 3768 7.3, RFC 5798 7.3), or the configured 6 octets, or 5 octets followed by the VRID
/// (keepalived).
pub fn virtual_mac(family: Family, vrid: u8, configured: Option<&[u8]>) -> [u8; 6] {
    match configured {
        Some(m) if m.len() == 6 => [m[0], m[1], m[2], m[3], m[4], m[5]],
        Some(m) if m.len() == 5 => [m[0], m[1], m[2], m[3], m[4], vrid],
        _ => {
            let f = if family == Family::Inet6 { 2 } else { 1 };
            [0, 0, 0x5e, 0, f, vrid]
        }
    }
}

/// What [`choose`] needs to know of one existing interface.
#[derive(Debug, Clone, Copy)]
pub struct LinkView<'a> {
    pub ifindex: u32,
    pub name: &'a str,
    pub mac: Option<&'a [u8]>,
    pub parent: Option<u32>,
    pub kind: Option<&'a str>,
    pub macvlan_mode: Option<u32>,
}

/// [`choose`]'s decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Choice {
    /// A matching VMAC exists: use it as it is.
    Reuse { ifindex: u32, name: String },
    /// Create it under this name.
    Create { name: String },
    /// The configured name is an incompatible macvlan: delete it, then create.
    Replace { old: u32, name: String },
}

/// keepalived's `vrrp_complete_instance` choice of VMAC for instance `inst`: an existing
/// private macvlan with our MAC on our parent (whatever its name; "Found matching interface"),
/// else the configured name (an incompatible macvlan of that name is replaced; another kind of
/// interface makes the name ignored), else the first free of `vrrp.VRID`, then (IPv6)
/// `vrrp6.VRID`, then `vrrp1.VRID`, `vrrp2.VRID`, ... skipping `vrrp6` for IPv4 only once used.
/// `taken`: names other instances of this run settled on.
#[allow(clippy::too_many_arguments)]
pub fn choose(
    inst: &str,
    vrid: u8,
    family: Family,
    configured: Option<&str>,
    mac: [u8; 6],
    parent: u32,
    links: &[LinkView<'_>],
    taken: &[&str],
) -> Choice {
    let free = |n: &str| !taken.contains(&n);
    if let Some(l) = links.iter().find(|l| {
        l.kind == Some("macvlan")
            && l.macvlan_mode == Some(crate::netlink::wire::MACVLAN_MODE_PRIVATE)
            && l.mac == Some(&mac[..])
            && l.parent == Some(parent)
            && free(l.name)
    }) {
        info!("({inst}) Found matching interface {}", l.name);
        if let Some(c) = configured.filter(|c| *c != l.name) {
            info!(
                "({inst}) vmac name mismatch {c} <=> {}; changing to {}",
                l.name, l.name
            );
        }
        return Choice::Reuse {
            ifindex: l.ifindex,
            name: l.name.to_string(),
        };
    }
    if let Some(c) = configured {
        match links.iter().find(|l| l.name == c) {
            _ if !free(c) => info!(
                "({inst}) VMAC interface name {c} is used by another instance - ignoring configured name"
            ),
            Some(l) if l.kind == Some("macvlan") => {
                info!("({inst}) VMAC {c} already exists but is incompatible. It will be deleted");
                return Choice::Replace {
                    old: l.ifindex,
                    name: c.to_string(),
                };
            }
            Some(_) => info!(
                "({inst}) VMAC interface name {c} already exists as a non VMAC interface - ignoring configured name"
            ),
            None => {
                return Choice::Create {
                    name: c.to_string(),
                };
            }
        }
    }
    let mut num = 0u16;
    let mut name = format!("vrrp.{vrid}");
    loop {
        if free(&name) && !links.iter().any(|l| l.name == name) {
            return Choice::Create { name };
        }
        // keepalived: "For IPv6 try vrrp6 as second attempt".
        num = match (family, num) {
            (Family::Inet6, 0) => 6,
            (Family::Inet6, 6) => 1,
            (Family::Inet6, 5) => 7,
            (_, n) => n + 1,
        };
        if num > 999 {
            // Cannot happen with fewer than 1000 interfaces; the create will say why.
            return Choice::Create { name };
        }
        name = format!("vrrp{num}.{vrid}");
    }
}

/// The ipvlan of instance `inst` on `parent`: the first of the configured name, `vrrp.VRID`,
/// `vrrp1.VRID`, ... that is free. A name held by an ipvlan of our parent is ours from a
/// previous run: reused ("Found matching interface", as keepalived says); by an ipvlan of
/// another parent: replaced; by another kind of interface, or taken by another instance of
/// this run (`taken`): skipped.
pub fn choose_ipvlan(
    inst: &str,
    vrid: u8,
    configured: Option<&str>,
    parent: u32,
    links: &[LinkView<'_>],
    taken: &[&str],
) -> Choice {
    let defaults = (0u16..1000).map(|n| match n {
        0 => format!("vrrp.{vrid}"),
        n => format!("vrrp{n}.{vrid}"),
    });
    let mut last = format!("vrrp.{vrid}");
    for name in configured.map(str::to_string).into_iter().chain(defaults) {
        if taken.contains(&name.as_str()) {
            continue;
        }
        match links.iter().find(|l| l.name == name) {
            None => return Choice::Create { name },
            Some(l) if l.kind == Some("ipvlan") && l.parent == Some(parent) => {
                info!("({inst}) Found matching interface {name}");
                return Choice::Reuse {
                    ifindex: l.ifindex,
                    name,
                };
            }
            Some(l) if l.kind == Some("ipvlan") => {
                info!("({inst}) ipvlan {name} is on another interface. It will be deleted");
                return Choice::Replace {
                    old: l.ifindex,
                    name,
                };
            }
            Some(_) if Some(name.as_str()) == configured => info!(
                "({inst}) interface {name} already exists and is not an ipvlan - ignoring configured name"
            ),
            Some(_) => {}
        }
        last = name;
    }
    // Cannot happen with fewer than 1000 interfaces; the create will say why.
    Choice::Create { name: last }
}

/// An interface group given by number or by name (`/etc/iproute2/group`, `default` is 0).
pub fn group_number(g: &str) -> Option<u32> {
    if let Ok(n) = g.parse() {
        return Some(n);
    }
    if g == "default" {
        return Some(0);
    }
    let text = std::fs::read_to_string("/etc/iproute2/group").ok()?;
    text.lines()
        .map(|l| l.split('#').next().unwrap_or(""))
        .filter_map(|l| {
            let mut w = l.split_whitespace();
            Some((w.next()?.parse::<u32>().ok()?, w.next()?))
        })
        .find(|(_, name)| *name == g)
        .map(|(n, _)| n)
}

/// The parent's ARP settings keepalived changes, with what they were.
#[derive(Debug, Clone, Copy)]
struct ParentSaved {
    users: u32,
    /// `Some(old)`: we changed it from `old`.
    arp_ignore: Option<u32>,
    arp_filter: Option<u32>,
}

/// `net.ipv4.conf.all.rp_filter` lowered to 0 (keepalived's `clear_rp_filter`), and what was
/// raised to keep every other interface filtering as before.
#[derive(Debug, Clone)]
struct RpSaved {
    all: u32,
    default: Option<u32>,
    ifs: Vec<(String, u32)>,
}

/// The sysctls keepalived sets for VMACs, and how to put them back.
///
/// - On an IPv4 VMAC: `arp_ignore=1` (answer ARP only for its own addresses), `accept_local=1`
///   (hear the other VMACs' adverts), `rp_filter=0` (receive with no address of the sender's
///   subnet), `promote_secondaries=1`; `disable_ipv6=1` unless IPv6 eVIPs need it.
/// - On its parent: `arp_ignore=1`, `arp_filter=1` (the parent must not answer for the VIPs),
///   put back when its last VMAC goes.
/// - `all.rp_filter`: the kernel uses max(all, interface), so a VMAC's 0 needs all=0. As
///   keepalived: first `default` and every interface are raised to the old `all` value where
///   lower (so nothing else changes), then all=0; at stop each is put back if still ours.
/// - On an IPv6 VMAC: `addr_gen_mode=1` (none: no link-local from the virtual MAC, RFC 5798
///   7.4); the instance adds its own link-local address instead.
#[derive(Debug)]
pub struct Sysctls {
    root: PathBuf,
    parents: HashMap<String, ParentSaved>,
    rp: Option<RpSaved>,
}

impl Default for Sysctls {
    fn default() -> Self {
        Sysctls::new("/proc/sys")
    }
}

impl Sysctls {
    /// Sysctls under `root` (`/proc/sys`; a directory of files in tests).
    pub fn new(root: impl Into<PathBuf>) -> Sysctls {
        Sysctls {
            root: root.into(),
            parents: HashMap::new(),
            rp: None,
        }
    }

    fn get(&self, key: &str) -> Option<u32> {
        std::fs::read_to_string(self.root.join(key))
            .ok()?
            .trim()
            .parse()
            .ok()
    }

    fn set(&self, key: &str, v: u32) -> io::Result<()> {
        std::fs::write(self.root.join(key), format!("{v}\n"))
    }

    fn set_logged(&self, key: &str, v: u32) {
        if let Err(e) = self.set(key, v) {
            warn!("cannot set sysctl {}: {e}", key.replace('/', "."));
        }
    }

    /// An IPv4 instance's VMAC `vmac` on `parent`: the VMAC's and the parent's settings, and
    /// `all.rp_filter` once.
    pub fn configure_v4(&mut self, vmac: &str, parent: &str, keep_ipv6: bool) {
        self.clear_rp_filter();
        for (k, v) in [
            ("arp_ignore", 1),
            ("accept_local", 1),
            ("rp_filter", 0),
            ("promote_secondaries", 1),
        ] {
            self.set_logged(&format!("net/ipv4/conf/{vmac}/{k}"), v);
        }
        if !keep_ipv6 {
            self.set_logged(&format!("net/ipv6/conf/{vmac}/disable_ipv6"), 1);
        }
        if let Some(p) = self.parents.get_mut(parent) {
            p.users += 1;
            return;
        }
        let mut saved = ParentSaved {
            users: 1,
            arp_ignore: None,
            arp_filter: None,
        };
        for (k, slot) in [
            ("arp_ignore", &mut saved.arp_ignore),
            ("arp_filter", &mut saved.arp_filter),
        ] {
            let key = format!("net/ipv4/conf/{parent}/{k}");
            if let Some(old) = self.get(&key).filter(|&v| v != 1) {
                self.set_logged(&key, 1);
                *slot = Some(old);
            }
        }
        self.parents.insert(parent.to_string(), saved);
    }

    /// An ipvlan: IPv6 off (`disable_ipv6=1`) unless the instance needs it, as keepalived.
    pub fn configure_ipvlan(&mut self, name: &str, ipv6: bool) {
        let key = format!("net/ipv6/conf/{name}/disable_ipv6");
        self.set_logged(&key, u32::from(!ipv6));
    }

    /// An IPv6 instance's VMAC (and an IPv4 one with IPv6 eVIPs): no automatic link-local.
    pub fn configure_v6(&mut self, vmac: &str) {
        self.set_logged(&format!("net/ipv6/conf/{vmac}/addr_gen_mode"), 1);
    }

    /// One VMAC of `parent` is gone: the last one puts the parent's ARP settings back.
    pub fn release_parent(&mut self, parent: &str) {
        let Some(p) = self.parents.get_mut(parent) else {
            return;
        };
        p.users -= 1;
        if p.users > 0 {
            return;
        }
        let Some(p) = self.parents.remove(parent) else {
            return;
        };
        for (k, old) in [("arp_ignore", p.arp_ignore), ("arp_filter", p.arp_filter)] {
            if let Some(old) = old {
                self.set_logged(&format!("net/ipv4/conf/{parent}/{k}"), old);
            }
        }
    }

    fn clear_rp_filter(&mut self) {
        if self.rp.is_some() {
            return;
        }
        let Some(all) = self.get("net/ipv4/conf/all/rp_filter") else {
            info!("Unable to read sysctl net.ipv4.conf.all.rp_filter");
            return;
        };
        if all == 0 {
            return;
        }
        let mut saved = RpSaved {
            all,
            default: None,
            ifs: Vec::new(),
        };
        if let Some(d) = self.get("net/ipv4/conf/default/rp_filter")
            && d < all
        {
            info!("NOTICE: setting sysctl net.ipv4.conf.default.rp_filter from {d} to {all}");
            self.set_logged("net/ipv4/conf/default/rp_filter", all);
            saved.default = Some(d);
        }
        let dirs = std::fs::read_dir(self.root.join("net/ipv4/conf"));
        let mut names: Vec<String> = dirs
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|n| n != "all" && n != "default")
            .collect();
        names.sort();
        for n in names {
            let key = format!("net/ipv4/conf/{n}/rp_filter");
            if let Some(v) = self.get(&key)
                && v < all
            {
                self.set_logged(&key, all);
                saved.ifs.push((n, v));
            }
        }
        info!("NOTICE: setting sysctl net.ipv4.conf.all.rp_filter from {all} to 0");
        self.set_logged("net/ipv4/conf/all/rp_filter", 0);
        self.rp = Some(saved);
    }

    /// keepalived's `restore_rp_filter`: each value back, where it is still the one we set.
    pub fn restore_rp_filter(&mut self) {
        let Some(s) = self.rp.take() else { return };
        if self.get("net/ipv4/conf/all/rp_filter") == Some(0) {
            info!(
                "NOTICE: resetting sysctl net.ipv4.conf.all.rp_filter to {}",
                s.all
            );
            self.set_logged("net/ipv4/conf/all/rp_filter", s.all);
        }
        if let Some(d) = s.default
            && self.get("net/ipv4/conf/default/rp_filter") == Some(s.all)
        {
            info!("NOTICE: resetting sysctl net.ipv4.conf.default.rp_filter to {d}");
            self.set_logged("net/ipv4/conf/default/rp_filter", d);
        }
        for (n, v) in s.ifs {
            let key = format!("net/ipv4/conf/{n}/rp_filter");
            if self.get(&key) == Some(s.all) {
                self.set_logged(&key, v);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link<'a>(
        ifindex: u32,
        name: &'a str,
        mac: &'a [u8],
        parent: u32,
        kind: &'a str,
    ) -> LinkView<'a> {
        LinkView {
            ifindex,
            name,
            mac: Some(mac),
            parent: Some(parent),
            kind: Some(kind),
            macvlan_mode: (kind == "macvlan").then_some(1),
        }
    }

    #[test]
    fn virtual_macs() {
        assert_eq!(virtual_mac(Family::Inet, 51, None), [0, 0, 0x5e, 0, 1, 51]);
        assert_eq!(virtual_mac(Family::Inet6, 7, None), [0, 0, 0x5e, 0, 2, 7]);
        assert_eq!(
            virtual_mac(Family::Inet, 9, Some(&[2, 1, 2, 3, 4])),
            [2, 1, 2, 3, 4, 9]
        );
        assert_eq!(
            virtual_mac(Family::Inet, 9, Some(&[2, 1, 2, 3, 4, 5])),
            [2, 1, 2, 3, 4, 5]
        );
    }

    #[test]
    fn names_reuse_and_replacement() {
        let mac = virtual_mac(Family::Inet, 51, None);
        let eth = [2u8, 0, 0, 0, 0, 1];
        let other = [0u8, 0, 0x5e, 0, 1, 52];
        let none: [LinkView<'_>; 0] = [];
        let create = |n: &str| Choice::Create { name: n.into() };
        // Nothing there: keepalived's default name, or the configured one.
        assert_eq!(
            choose("A", 51, Family::Inet, None, mac, 2, &none, &[]),
            create("vrrp.51")
        );
        assert_eq!(
            choose("A", 51, Family::Inet, Some("vm0"), mac, 2, &none, &[]),
            create("vm0")
        );
        // A VMAC of ours from a previous run, whatever its name: reused.
        let links = [
            link(2, "eth0", &eth, 0, "veth"),
            link(9, "old.51", &mac, 2, "macvlan"),
        ];
        assert_eq!(
            choose("A", 51, Family::Inet, Some("vm0"), mac, 2, &links, &[]),
            Choice::Reuse {
                ifindex: 9,
                name: "old.51".into()
            }
        );
        // Same MAC on another parent: not ours; the default name is free.
        assert_eq!(
            choose("A", 51, Family::Inet, None, mac, 3, &links, &[]),
            create("vrrp.51")
        );
        // The configured name is a macvlan with another MAC: replaced; a veth: name ignored.
        let links = [
            link(2, "eth0", &eth, 0, "veth"),
            link(9, "vm0", &other, 2, "macvlan"),
            link(10, "vrrp.51", &eth, 0, "veth"),
        ];
        assert_eq!(
            choose("A", 51, Family::Inet, Some("vm0"), mac, 2, &links, &[]),
            Choice::Replace {
                old: 9,
                name: "vm0".into()
            }
        );
        assert_eq!(
            choose("A", 51, Family::Inet, Some("eth0"), mac, 2, &links, &[]),
            create("vrrp1.51")
        );
        // IPv6 tries vrrp6 second; names other instances took are not used.
        let mac6 = virtual_mac(Family::Inet6, 51, None);
        assert_eq!(
            choose("B", 51, Family::Inet6, None, mac6, 2, &links, &[]),
            create("vrrp6.51")
        );
        assert_eq!(
            choose("B", 51, Family::Inet6, None, mac6, 2, &links, &["vrrp6.51"]),
            create("vrrp1.51")
        );
        assert_eq!(
            choose("C", 51, Family::Inet, None, mac, 2, &none, &["vrrp.51"]),
            create("vrrp1.51")
        );
    }

    #[test]
    fn ipvlan_names() {
        let eth = [2u8, 0, 0, 0, 0, 1];
        let none: [LinkView<'_>; 0] = [];
        let create = |n: &str| Choice::Create { name: n.into() };
        let ipvlan = |ifindex, name, parent| LinkView {
            kind: Some("ipvlan"),
            macvlan_mode: None,
            ..link(ifindex, name, &eth, parent, "veth")
        };
        assert_eq!(
            choose_ipvlan("A", 51, None, 2, &none, &[]),
            create("vrrp.51")
        );
        assert_eq!(
            choose_ipvlan("A", 51, Some("iv0"), 2, &none, &[]),
            create("iv0")
        );
        // Ours from a previous run: reused; on another parent: replaced.
        let links = [ipvlan(9, "vrrp.51", 2), ipvlan(10, "iv0", 3)];
        assert_eq!(
            choose_ipvlan("A", 51, None, 2, &links, &[]),
            Choice::Reuse {
                ifindex: 9,
                name: "vrrp.51".into()
            }
        );
        assert_eq!(
            choose_ipvlan("A", 51, Some("iv0"), 2, &links, &[]),
            Choice::Replace {
                old: 10,
                name: "iv0".into()
            }
        );
        // Another kind of interface, or another instance's name: the next default name.
        let links = [link(2, "eth0", &eth, 0, "veth"), ipvlan(9, "vrrp.51", 2)];
        assert_eq!(
            choose_ipvlan("A", 51, Some("eth0"), 2, &links, &["vrrp.51"]),
            create("vrrp1.51")
        );
    }

    /// A directory of sysctl files, removed on drop.
    fn tree(files: &[(&str, u32)]) -> Dir {
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let d = Dir(std::env::temp_dir().join(format!("krs-sysctl-{}-{n}", std::process::id())));
        let _ = std::fs::remove_dir_all(&d.0);
        for (k, v) in files {
            let p = d.0.join(k);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, format!("{v}\n")).unwrap();
        }
        d
    }

    struct Dir(PathBuf);

    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn val(d: &Dir, k: &str) -> u32 {
        std::fs::read_to_string(d.0.join(k))
            .unwrap()
            .trim()
            .parse()
            .unwrap()
    }

    #[test]
    fn sysctls_are_set_and_put_back() {
        let d = tree(&[
            ("net/ipv4/conf/all/rp_filter", 2),
            ("net/ipv4/conf/default/rp_filter", 1),
            ("net/ipv4/conf/eth0/rp_filter", 0),
            ("net/ipv4/conf/eth0/arp_ignore", 0),
            ("net/ipv4/conf/eth0/arp_filter", 1),
            ("net/ipv4/conf/lo/rp_filter", 2),
            ("net/ipv4/conf/vrrp.1/rp_filter", 1),
            ("net/ipv4/conf/vrrp.1/arp_ignore", 0),
            ("net/ipv4/conf/vrrp.1/accept_local", 0),
            ("net/ipv4/conf/vrrp.1/promote_secondaries", 0),
            ("net/ipv4/conf/vrrp.2/rp_filter", 1),
            ("net/ipv6/conf/vrrp.1/disable_ipv6", 0),
            ("net/ipv6/conf/vrrp.2/disable_ipv6", 0),
            ("net/ipv6/conf/vrrp.6/addr_gen_mode", 0),
        ]);
        let mut s = Sysctls::new(&d.0);
        s.configure_v4("vrrp.1", "eth0", false);
        s.configure_v4("vrrp.2", "eth0", true);
        s.configure_v6("vrrp.6");
        assert_eq!(val(&d, "net/ipv4/conf/all/rp_filter"), 0);
        assert_eq!(val(&d, "net/ipv4/conf/default/rp_filter"), 2);
        assert_eq!(val(&d, "net/ipv4/conf/eth0/rp_filter"), 2, "raised to all");
        assert_eq!(val(&d, "net/ipv4/conf/lo/rp_filter"), 2);
        for (k, v) in [
            ("rp_filter", 0),
            ("arp_ignore", 1),
            ("accept_local", 1),
            ("promote_secondaries", 1),
        ] {
            assert_eq!(val(&d, &format!("net/ipv4/conf/vrrp.1/{k}")), v, "{k}");
        }
        assert_eq!(val(&d, "net/ipv6/conf/vrrp.1/disable_ipv6"), 1);
        assert_eq!(
            val(&d, "net/ipv6/conf/vrrp.2/disable_ipv6"),
            0,
            "IPv6 eVIPs"
        );
        assert_eq!(val(&d, "net/ipv6/conf/vrrp.6/addr_gen_mode"), 1);
        assert_eq!(val(&d, "net/ipv4/conf/eth0/arp_ignore"), 1);
        assert_eq!(val(&d, "net/ipv4/conf/eth0/arp_filter"), 1);
        // The parent keeps its settings while a VMAC of it remains.
        s.release_parent("eth0");
        assert_eq!(val(&d, "net/ipv4/conf/eth0/arp_ignore"), 1);
        s.release_parent("eth0");
        assert_eq!(val(&d, "net/ipv4/conf/eth0/arp_ignore"), 0);
        assert_eq!(val(&d, "net/ipv4/conf/eth0/arp_filter"), 1, "was 1 already");
        // Someone changed lo meanwhile: left alone.
        std::fs::write(d.0.join("net/ipv4/conf/lo/rp_filter"), "1").unwrap();
        s.restore_rp_filter();
        assert_eq!(val(&d, "net/ipv4/conf/all/rp_filter"), 2);
        assert_eq!(val(&d, "net/ipv4/conf/default/rp_filter"), 1);
        assert_eq!(val(&d, "net/ipv4/conf/eth0/rp_filter"), 0);
        assert_eq!(val(&d, "net/ipv4/conf/lo/rp_filter"), 1);
    }

    #[test]
    fn rp_filter_zero_is_left_alone() {
        let d = tree(&[
            ("net/ipv4/conf/all/rp_filter", 0),
            ("net/ipv4/conf/default/rp_filter", 1),
            ("net/ipv4/conf/eth0/rp_filter", 1),
        ]);
        let mut s = Sysctls::new(&d.0);
        s.configure_v4("vrrp.1", "eth0", false);
        s.restore_rp_filter();
        assert_eq!(val(&d, "net/ipv4/conf/default/rp_filter"), 1);
        assert_eq!(val(&d, "net/ipv4/conf/eth0/rp_filter"), 1);
    }
}
