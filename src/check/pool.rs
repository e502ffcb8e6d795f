//! A virtual server's pool: which real servers are alive and at what weight, and whether the
//! virtual server has its quorum (keepalived's `ipwrapper.c` rules), pure.
//!
//! - A real server is alive when every one of its checks is up (a per-server count of checks
//!   down, as keepalived's `num_failed_checkers`). One without checks is always alive.
//! - Its weight is the configured one, replaced by a `misc_dynamic` exit status (2..255 sets
//!   status - 2; 0 goes back to the configured weight), plus the FILE_CHECK adjustments (file
//!   value x weight, negated with `reverse`). A weight below 0 counts as 0 (keepalived: an
//!   overflow check only); the dynamic weight is set, never added, so a killed script cannot
//!   make it grow (keepalived #2720).
//! - Quorum: the sum of the alive servers' weights. Held, it is lost when the sum is 0 or
//!   below `quorum - hysteresis`; lost, it comes back when the sum reaches
//!   `quorum + hysteresis`. At start it is held when the sum reaches `quorum` (as keepalived
//!   2.2.7 makes the table before any check; a quorum of 0 is held at a sum of 0, as there).
//!
//! Every change says what happened ([`Change`]): a server's `notify_up` / `notify_down`, the
//! virtual server's `quorum_up` / `quorum_down`, each once per transition.

use crate::config::lvs::VirtualServer;

/// A real server's standing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Server {
    /// Its checks, and how many of them are down.
    pub checks: u32,
    pub down: u32,
    /// The configured weight.
    pub weight: u32,
    /// The `misc_dynamic` weight, when a script set one.
    pub dynamic: Option<u32>,
    /// The FILE_CHECK adjustments, summed.
    pub file: i64,
    pub alive: bool,
}

impl Server {
    /// The weight it has in the table while alive.
    pub fn effective(&self) -> u32 {
        let base = i64::from(self.dynamic.unwrap_or(self.weight));
        u32::try_from(base.saturating_add(self.file).clamp(0, i64::from(i32::MAX))).unwrap_or(0)
    }
}

/// A change the executor acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Real server `rs` became alive (`notify_up`) or not (`notify_down`).
    Server { rs: usize, up: bool },
    /// A server's weight changed while it stayed alive.
    Weight { rs: usize },
    /// The quorum was gained (`quorum_up`) or lost (`quorum_down`).
    Quorum { up: bool },
}

/// See the module doc.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pool {
    pub servers: Vec<Server>,
    quorum: u64,
    hysteresis: u64,
    quorum_up: bool,
}

impl Pool {
    /// The pool at start: real server `i` has `checks(i)` checks, `down(i)` of them down (alpha
    /// ones).
    pub fn new(vs: &VirtualServer, checks: impl Fn(usize) -> (u32, u32)) -> Pool {
        let servers: Vec<Server> = vs
            .real_servers
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let (n, down) = checks(i);
                Server {
                    checks: n,
                    down,
                    weight: r.weight,
                    dynamic: None,
                    file: 0,
                    alive: down == 0,
                }
            })
            .collect();
        let mut p = Pool {
            servers,
            quorum: u64::from(vs.quorum),
            hysteresis: u64::from(vs.hysteresis),
            quorum_up: false,
        };
        p.quorum_up = p.sum() >= p.quorum;
        p
    }

    pub fn quorum_up(&self) -> bool {
        self.quorum_up
    }

    /// The sum of the alive servers' weights.
    pub fn sum(&self) -> u64 {
        self.servers
            .iter()
            .filter(|s| s.alive)
            .map(|s| u64::from(s.effective()))
            .sum()
    }

    /// Real server `rs`'s weight in the table when alive, `None` when not.
    pub fn weight_of(&self, rs: usize) -> Option<u32> {
        self.servers
            .get(rs)
            .filter(|s| s.alive)
            .map(Server::effective)
    }

    /// One check of `rs` went up or down.
    pub fn check_changed(&mut self, rs: usize, up: bool, out: &mut Vec<Change>) {
        let Some(s) = self.servers.get_mut(rs) else {
            return;
        };
        s.down = if up {
            s.down.saturating_sub(1)
        } else {
            (s.down + 1).min(s.checks)
        };
        self.settle(rs, out);
    }

    /// `misc_dynamic`: the weight a script's exit status set (`None`: the configured one).
    pub fn set_dynamic(&mut self, rs: usize, w: Option<u32>, out: &mut Vec<Change>) {
        if let Some(s) = self.servers.get_mut(rs) {
            s.dynamic = w;
            self.settle(rs, out);
        }
    }

    /// A FILE_CHECK's adjustment moved by `delta`.
    pub fn add_file(&mut self, rs: usize, delta: i64, out: &mut Vec<Change>) {
        if let Some(s) = self.servers.get_mut(rs) {
            s.file = s.file.saturating_add(delta);
            self.settle(rs, out);
        }
    }

    /// Recomputes server `rs` and the quorum after a change to `rs`.
    fn settle(&mut self, rs: usize, out: &mut Vec<Change>) {
        let Some(s) = self.servers.get_mut(rs) else {
            return;
        };
        let alive = s.down == 0;
        if alive != s.alive {
            s.alive = alive;
            out.push(Change::Server { rs, up: alive });
        } else if alive {
            out.push(Change::Weight { rs });
        }
        out.extend(self.quorum_rule());
    }

    /// Takes over the state of `old` for the servers `map` pairs (new index, old index): a
    /// reload that kept their identity (the dynamic weight; FILE_CHECK files are read again).
    /// The quorum state is kept when `keep_quorum`.
    /// The quorum rule is applied to the kept state at once: a reload that changed which
    /// servers are alive (a new `alpha` check) may gain or lose it (returned).
    pub fn adopt(
        &mut self,
        old: &Pool,
        map: &[(usize, usize)],
        keep_quorum: bool,
    ) -> Option<Change> {
        for &(n, o) in map {
            if let (Some(s), Some(os)) = (self.servers.get_mut(n), old.servers.get(o)) {
                s.dynamic = os.dynamic;
            }
        }
        if keep_quorum {
            self.quorum_up = old.quorum_up;
        }
        self.quorum_rule()
    }

    /// Applies the quorum rule to the current sum.
    fn quorum_rule(&mut self) -> Option<Change> {
        let sum = self.sum();
        if self.quorum_up && (sum == 0 || sum < self.quorum.saturating_sub(self.hysteresis)) {
            self.quorum_up = false;
            Some(Change::Quorum { up: false })
        } else if !self.quorum_up && sum >= self.quorum + self.hysteresis {
            self.quorum_up = true;
            Some(Change::Quorum { up: true })
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::lvs::VirtualServer;

    fn vs(weights: &[u32], quorum: u32, hysteresis: u32) -> VirtualServer {
        let text = format!(
            "virtual_server 10.0.0.1 80 {{\n quorum {quorum}\n hysteresis {hysteresis}\n{}}}\n",
            weights
                .iter()
                .enumerate()
                .map(|(i, w)| format!(" real_server 10.0.1.{} 80 {{\n weight {w}\n }}\n", i + 1))
                .collect::<String>()
        );
        let (cfg, _) = crate::config::testutil::load(&text);
        cfg.lvs.virtual_servers[0].clone()
    }

    #[test]
    fn a_server_is_alive_when_all_its_checks_are_up() {
        let v = vs(&[1, 1], 1, 0);
        let mut p = Pool::new(&v, |_| (2, 0));
        let mut out = Vec::new();
        p.check_changed(0, false, &mut out);
        assert_eq!(out, vec![Change::Server { rs: 0, up: false }]);
        out.clear();
        p.check_changed(0, false, &mut out);
        assert!(out.is_empty());
        p.check_changed(0, true, &mut out);
        assert!(out.is_empty(), "one check still down");
        p.check_changed(0, true, &mut out);
        assert_eq!(out, vec![Change::Server { rs: 0, up: true }]);
    }

    #[test]
    fn quorum_with_hysteresis() {
        let v = vs(&[1, 1, 1, 1], 3, 1);
        let mut p = Pool::new(&v, |_| (1, 0));
        assert!(p.quorum_up());
        let mut out = Vec::new();
        p.check_changed(0, false, &mut out);
        p.check_changed(1, false, &mut out);
        assert!(p.quorum_up(), "2 is not below 3 - 1");
        p.check_changed(2, false, &mut out);
        assert!(!p.quorum_up());
        assert_eq!(out.last(), Some(&Change::Quorum { up: false }));
        out.clear();
        p.check_changed(0, true, &mut out);
        p.check_changed(1, true, &mut out);
        assert!(!p.quorum_up(), "3 is below 3 + 1");
        p.check_changed(2, true, &mut out);
        assert!(p.quorum_up());
        assert_eq!(
            out.iter()
                .filter(|c| matches!(c, Change::Quorum { .. }))
                .count(),
            1
        );
    }

    #[test]
    fn alpha_servers_start_out_and_dynamic_weights_set_not_add() {
        let v = vs(&[5, 5], 1, 0);
        let mut p = Pool::new(&v, |i| (1, u32::from(i == 1)));
        assert_eq!(p.weight_of(0), Some(5));
        assert_eq!(p.weight_of(1), None);
        let mut out = Vec::new();
        for _ in 0..3 {
            p.set_dynamic(0, Some(7), &mut out);
        }
        assert_eq!(p.weight_of(0), Some(7));
        p.add_file(0, -20, &mut out);
        assert_eq!(p.weight_of(0), Some(0));
        p.set_dynamic(0, None, &mut out);
        p.add_file(0, 20, &mut out);
        assert_eq!(p.weight_of(0), Some(5));
        // The weight sum at 0 loses the quorum even with quorum 0's hysteresis arithmetic.
        let v = vs(&[1], 1, 5);
        let mut p = Pool::new(&v, |_| (1, 0));
        out.clear();
        p.check_changed(0, false, &mut out);
        assert_eq!(out.last(), Some(&Change::Quorum { up: false }));
    }
}
