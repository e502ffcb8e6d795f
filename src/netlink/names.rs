//! Names the config uses where the kernel wants numbers: interfaces, routing tables, route
//! protocols.
//!
//! The requests take a [`Resolve`]. Two implementations:
//! - [`crate::netlink::Monitor`] answers interface names from its link table (filled by its
//!   dump and kept current by link notifications): the daemon's choice once the monitor has
//!   synced, with no system call per lookup;
//! - [`SysNames`] asks the kernel with `if_nametoindex(3)` (an ioctl that returns at once, no
//!   netlink round trip): for start-up before the monitor's dump is in, and for tests.
//!
//! Tables and protocols resolve the same way in both: a number, iproute2's built-in names, then
//! the names read from `rt_tables` / `rt_protos` ([`RtNames::load`], read once, never from the
//! loop).

use std::path::Path;

/// Maps config names to kernel numbers.
pub trait Resolve {
    /// The index of interface `name`.
    fn ifindex(&self, name: &str) -> Option<u32>;
    /// Where table and protocol names come from.
    fn rt_names(&self) -> &RtNames;
    /// A routing table: a number or a name.
    fn table(&self, name: &str) -> Option<u32> {
        self.rt_names().table(name)
    }
    /// A route protocol: a number or a name.
    fn protocol(&self, name: &str) -> Option<u8> {
        self.rt_names().protocol(name)
    }
}

/// Table and protocol names from iproute2's files, on top of the built-in ones.
#[derive(Debug, Clone, Default)]
pub struct RtNames {
    tables: Vec<(String, u32)>,
    protocols: Vec<(String, u8)>,
}

const BUILTIN_TABLES: &[(&str, u32)] = &[("default", 253), ("main", 254), ("local", 255)];

const BUILTIN_PROTOCOLS: &[(&str, u8)] = &[
    ("unspec", 0),
    ("redirect", 1),
    ("kernel", 2),
    ("boot", 3),
    ("static", 4),
    ("gated", 8),
    ("ra", 9),
    ("mrt", 10),
    ("zebra", 11),
    ("bird", 12),
    ("dnrouted", 13),
    ("xorp", 14),
    ("ntk", 15),
    ("dhcp", 16),
    ("keepalived", 18),
    ("babel", 42),
    ("bgp", 186),
    ("isis", 187),
    ("ospf", 188),
    ("rip", 189),
    ("eigrp", 192),
];

/// A decimal or `0x` hexadecimal number, as iproute2 reads them.
pub(crate) fn number(s: &str) -> Option<u64> {
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(h) => u64::from_str_radix(h, 16).ok(),
        None => s.parse().ok(),
    }
}

/// Reads `NUMBER NAME` lines (`#` comments) as iproute2 does.
fn read_pairs(text: &str) -> impl Iterator<Item = (String, u64)> + '_ {
    text.lines().filter_map(|line| {
        let line = line.split('#').next().unwrap_or_default();
        let mut w = line.split_whitespace();
        let n = number(w.next()?)?;
        let name = w.next()?;
        Some((name.to_string(), n))
    })
}

impl RtNames {
    /// Reads `rt_tables` (and `rt_tables.d/*.conf`) and `rt_protos` from `/etc/iproute2`, falling
    /// back to `/usr/share/iproute2` (newer iproute2 ships its defaults there). Missing files are
    /// not an error. Call at start-up or reload, not from the loop.
    pub fn load() -> RtNames {
        let mut n = RtNames::default();
        for dir in ["/usr/share/iproute2", "/etc/iproute2"] {
            n.read_dir(Path::new(dir));
        }
        n
    }

    fn read_dir(&mut self, dir: &Path) {
        let mut table_files = vec![dir.join("rt_tables")];
        if let Ok(rd) = std::fs::read_dir(dir.join("rt_tables.d")) {
            let mut extra: Vec<_> = rd
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "conf"))
                .collect();
            extra.sort();
            table_files.extend(extra);
        }
        for f in table_files {
            if let Ok(text) = std::fs::read_to_string(&f) {
                self.add_tables(&text);
            }
        }
        if let Ok(text) = std::fs::read_to_string(dir.join("rt_protos")) {
            self.add_protocols(&text);
        }
    }

    /// Adds `NUMBER NAME` table lines (later lines win).
    pub fn add_tables(&mut self, text: &str) {
        for (name, n) in read_pairs(text) {
            if let Ok(n) = u32::try_from(n) {
                self.tables.insert(0, (name, n));
            }
        }
    }

    /// Adds `NUMBER NAME` protocol lines (later lines win).
    pub fn add_protocols(&mut self, text: &str) {
        for (name, n) in read_pairs(text) {
            if let Ok(n) = u8::try_from(n) {
                self.protocols.insert(0, (name, n));
            }
        }
    }

    pub fn table(&self, name: &str) -> Option<u32> {
        lookup(name, &self.tables, BUILTIN_TABLES)
    }

    pub fn protocol(&self, name: &str) -> Option<u8> {
        lookup(name, &self.protocols, BUILTIN_PROTOCOLS)
    }
}

/// A number, else the first match in the files' names, else in the built-in ones.
fn lookup<T: Copy + TryFrom<u64>>(
    name: &str,
    read: &[(String, T)],
    builtin: &[(&str, T)],
) -> Option<T> {
    if let Some(n) = number(name) {
        return T::try_from(n).ok();
    }
    read.iter()
        .map(|(k, v)| (k.as_str(), *v))
        .chain(builtin.iter().copied())
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Resolves interfaces with `if_nametoindex(3)` in the calling thread's network namespace.
#[derive(Debug, Clone, Default)]
pub struct SysNames {
    pub names: RtNames,
}

impl Resolve for SysNames {
    fn ifindex(&self, name: &str) -> Option<u32> {
        crate::sys::if_nametoindex(name)
    }

    fn rt_names(&self) -> &RtNames {
        &self.names
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_builtins_and_files() {
        let mut n = RtNames::default();
        assert_eq!(n.table("main"), Some(254));
        assert_eq!(n.table("100"), Some(100));
        assert_eq!(n.table("0x10"), Some(16));
        assert_eq!(n.table("vip"), None);
        assert_eq!(n.table("99999999999"), None);
        assert_eq!(n.protocol("keepalived"), Some(18));
        assert_eq!(n.protocol("300"), None);
        n.add_tables("# comment\n100 vip # trailing\n  bad line\n0x20 hex\n");
        assert_eq!(n.table("vip"), Some(100));
        assert_eq!(n.table("hex"), Some(32));
        n.add_tables("101 vip\n");
        assert_eq!(n.table("vip"), Some(101), "later lines win");
        n.add_protocols("99 mine\n");
        assert_eq!(n.protocol("mine"), Some(99));
    }
}
