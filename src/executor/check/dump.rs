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

/// How late probes started against their schedule: a histogram of powers of two of
/// microseconds (bucket `i` holds lateness below 2^i us), for the statistics dump.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Lateness {
    buckets: [u64; 32],
    pub count: u64,
    pub max: Duration,
}

impl Lateness {
    pub fn record(&mut self, late: Duration) {
        let us = u64::try_from(late.as_micros()).unwrap_or(u64::MAX);
        let i = (64 - us.leading_zeros()) as usize;
        if let Some(b) = self.buckets.get_mut(i.min(31)) {
            *b += 1;
        }
        self.count += 1;
        self.max = self.max.max(late);
    }

    /// The upper bound of the bucket holding quantile `q` (0..=1), in microseconds.
    pub fn quantile_us(&self, q: f64) -> u64 {
        if self.count == 0 {
            return 0;
        }
        let want = ((self.count as f64) * q).ceil().max(1.0) as u64;
        let mut seen = 0;
        for (i, b) in self.buckets.iter().enumerate() {
            seen += b;
            if seen >= want {
                return 1u64 << i;
            }
        }
        u64::MAX
    }
}

/// The statistics dump's checker lines.
pub fn stats(views: &[CheckView], late: &Lateness) -> String {
    let probes: u64 = views.iter().map(|v| v.probes).sum();
    let failures: u64 = views.iter().map(|v| v.failures).sum();
    let up = views.iter().filter(|v| v.up).count();
    format!(
        "Health checkers\n  Checks: {} ({} up)\n  Probes: {probes}, failed: {failures}\n  \
         Probe start lateness: p50 < {} us, p99 < {} us, max {} us ({} starts)\n",
        views.len(),
        up,
        late.quantile_us(0.5),
        late.quantile_us(0.99),
        late.max.as_micros(),
        late.count,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lateness_quantiles_are_bucket_bounds() {
        let mut l = Lateness::default();
        assert_eq!(l.quantile_us(0.99), 0);
        for _ in 0..99 {
            l.record(Duration::from_micros(3));
        }
        l.record(Duration::from_millis(5));
        assert_eq!(l.quantile_us(0.5), 4);
        assert_eq!(l.quantile_us(0.99), 4);
        assert_eq!(l.quantile_us(1.0), 8192);
        assert_eq!(l.max, Duration::from_millis(5));
    }
}
