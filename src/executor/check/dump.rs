//! The checkers' part of the dumps, the JSON state and `--status`: per check its state, the
//! last error and the latency of its last probe (not in keepalived).

use std::fmt::Write;
use std::net::SocketAddr;
use std::time::Duration;

/// What the dumps show of one check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckView<'a> {
    pub kind: &'static str,
    pub target: SocketAddr,
    pub up: bool,
    pub probes: u64,
    pub failures: u64,
    pub last_error: Option<&'a str>,
    pub latency: Option<Duration>,
    /// The real servers it decides (more than one: a shared probe).
    pub members: usize,
}

/// The data dump's checker section.
pub fn data(views: &[CheckView]) -> String {
    if views.is_empty() {
        return String::new();
    }
    let mut o = String::from("------< Health checkers >------\n");
    for v in views {
        let _ = writeln!(o, " {} [{}]:{}", v.kind, v.target.ip(), v.target.port());
        let _ = writeln!(o, "   State = {}", if v.up { "UP" } else { "DOWN" });
        let _ = writeln!(o, "   Real servers = {}", v.members);
        let _ = writeln!(o, "   Probes = {}, failed = {}", v.probes, v.failures);
        if let Some(l) = v.latency {
            let _ = writeln!(o, "   Last probe took = {:.3} ms", l.as_secs_f64() * 1000.0);
        }
        if let Some(e) = v.last_error {
            let _ = writeln!(o, "   Last error = {e}");
        }
    }
    o
}

/// The checks as a JSON array.
pub fn json(views: &[CheckView]) -> String {
    let mut o = String::from("[");
    for (i, v) in views.iter().enumerate() {
        if i > 0 {
            o.push(',');
        }
        let _ = write!(
            o,
            "{{\"checker\":\"{}\",\"address\":\"{}\",\"port\":{},\"state\":\"{}\",\"real_servers\":{},\"probes\":{},\"failures\":{},\"latency_ms\":{},\"last_error\":{}}}",
            v.kind,
            v.target.ip(),
            v.target.port(),
            if v.up { "up" } else { "down" },
            v.members,
            v.probes,
            v.failures,
            v.latency.map_or("null".to_string(), |l| format!(
                "{:.3}",
                l.as_secs_f64() * 1000.0
            )),
            v.last_error
                .map_or("null".to_string(), crate::executor::vrrp::dump::js),
        );
    }
    o.push(']');
    o
}
