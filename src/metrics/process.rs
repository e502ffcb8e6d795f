//! The process figures every Prometheus client library exports (`process_*`), read from
//! `/proc/self` when a scrape comes; the parsing is pure and tested.

use super::expo::{Expo, Kind};

/// What `/proc/self/stat` says, in its units (clock ticks, pages).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stat {
    pub utime: u64,
    pub stime: u64,
    /// Clock ticks after boot.
    pub start: u64,
    pub vsize: u64,
    pub rss: u64,
}

/// Parses `/proc/self/stat` (proc(5)): the fields after the command's last `)`, since the
/// command may hold spaces and parentheses.
pub fn parse_stat(text: &str) -> Option<Stat> {
    let (_, rest) = text.rsplit_once(')')?;
    // Field 3 (state) is index 0.
    let f: Vec<&str> = rest.split_ascii_whitespace().collect();
    let n = |field: usize| f.get(field - 3)?.parse::<u64>().ok();
    Some(Stat {
        utime: n(14)?,
        stime: n(15)?,
        start: n(22)?,
        vsize: n(23)?,
        rss: n(24)?,
    })
}

/// The boot time (`btime` of `/proc/stat`), in seconds since the epoch.
pub fn parse_btime(text: &str) -> Option<u64> {
    text.lines()
        .find_map(|l| l.strip_prefix("btime "))
        .and_then(|v| v.trim().parse().ok())
}

/// Writes the families from `stat` and the rest (pure).
pub fn write_with(
    e: &mut Expo,
    stat: Option<Stat>,
    btime: Option<u64>,
    (tck, page): (u64, u64),
    open_fds: Option<u64>,
    max_fds: Option<u64>,
) {
    if let Some(s) = stat {
        let tck = tck.max(1) as f64;
        e.family(
            "process_cpu_seconds_total",
            Kind::Counter,
            "Total user and system CPU time spent in seconds.",
        );
        e.float(&[], (s.utime + s.stime) as f64 / tck);
        e.family(
            "process_resident_memory_bytes",
            Kind::Gauge,
            "Resident memory size in bytes.",
        );
        e.int(&[], s.rss.saturating_mul(page));
        e.family(
            "process_virtual_memory_bytes",
            Kind::Gauge,
            "Virtual memory size in bytes.",
        );
        e.int(&[], s.vsize);
        if let Some(b) = btime {
            e.family(
                "process_start_time_seconds",
                Kind::Gauge,
                "Start time of the process since unix epoch in seconds.",
            );
            e.float(&[], b as f64 + s.start as f64 / tck);
        }
    }
    if let Some(n) = open_fds {
        e.family(
            "process_open_fds",
            Kind::Gauge,
            "Number of open file descriptors.",
        );
        e.int(&[], n);
    }
    if let Some(n) = max_fds {
        e.family(
            "process_max_fds",
            Kind::Gauge,
            "Maximum number of open file descriptors.",
        );
        e.int(&[], n);
    }
}

/// Reads `/proc` and writes the process families (what cannot be read is left out).
pub fn write(e: &mut Expo) {
    let stat = std::fs::read_to_string("/proc/self/stat")
        .ok()
        .as_deref()
        .and_then(parse_stat);
    let btime = std::fs::read_to_string("/proc/stat")
        .ok()
        .as_deref()
        .and_then(parse_btime);
    let fds = std::fs::read_dir("/proc/self/fd")
        .ok()
        // The directory's own fd is one of them.
        .map(|d| (d.count() as u64).saturating_sub(1));
    write_with(
        e,
        stat,
        btime,
        crate::sys::proc_units(),
        fds,
        crate::sys::max_fds(),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_fields_after_the_command() {
        let text = "4242 (a) b (c)) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 1 0 \
                    12345 10485760 300 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0";
        assert_eq!(
            parse_stat(text),
            Some(Stat {
                utime: 250,
                stime: 50,
                start: 12345,
                vsize: 10_485_760,
                rss: 300
            })
        );
        assert_eq!(parse_stat("1 (x) S 1 2"), None);
        assert_eq!(parse_stat(""), None);
        assert_eq!(
            parse_btime("cpu 1 2\nbtime 1700000000\nprocesses 5\n"),
            Some(1_700_000_000)
        );
        assert_eq!(parse_btime("cpu 1"), None);
    }

    #[test]
    fn families() {
        let mut e = Expo::new();
        let s = Stat {
            utime: 250,
            stime: 50,
            start: 1000,
            vsize: 8192,
            rss: 3,
        };
        write_with(&mut e, Some(s), Some(100), (100, 4096), Some(7), None);
        let t = e.finish();
        for line in [
            "process_cpu_seconds_total 3\n",
            "process_resident_memory_bytes 12288\n",
            "process_virtual_memory_bytes 8192\n",
            "process_start_time_seconds 110\n",
            "process_open_fds 7\n",
        ] {
            assert!(t.contains(line), "{line}: {t}");
        }
        assert!(!t.contains("process_max_fds"), "{t}");
    }
}
