//! What /proc says about a daemon's processes: memory (VmRSS, PSS) and CPU time, for the
//! benchmarks.

/// Sum over `pids` of VmRSS and PSS, in kB.
pub fn memory(pids: &[i32]) -> (u64, Option<u64>) {
    let field = |text: &str, key: &str| -> Option<u64> {
        text.lines()
            .find(|l| l.starts_with(key))?
            .split_whitespace()
            .nth(1)?
            .parse()
            .ok()
    };
    let mut rss = 0;
    let mut pss = Some(0);
    for p in pids {
        let st = std::fs::read_to_string(format!("/proc/{p}/status")).unwrap_or_default();
        rss += field(&st, "VmRSS:").unwrap_or(0);
        let sm = std::fs::read_to_string(format!("/proc/{p}/smaps_rollup")).unwrap_or_default();
        pss = pss.zip(field(&sm, "Pss:")).map(|(a, b)| a + b);
    }
    (rss, pss)
}

/// How many file descriptors process `pid` holds.
pub fn fds(pid: i32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, |d| d.count())
}

/// CPU used so far by `pids`: utime+stime in clock ticks, and the scheduler's run time in ns.
pub fn cpu(pids: &[i32]) -> (u64, u64) {
    let mut ticks = 0;
    let mut run_ns = 0;
    for p in pids {
        let stat = std::fs::read_to_string(format!("/proc/{p}/stat")).unwrap_or_default();
        // Fields after the command name (which may hold spaces): state is field 3, utime 14.
        if let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) {
            let f: Vec<&str> = rest.split_whitespace().collect();
            let num = |i: usize| f.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
            ticks += num(11) + num(12);
        }
        if let Ok(rd) = std::fs::read_dir(format!("/proc/{p}/task")) {
            for t in rd.flatten() {
                let s = std::fs::read_to_string(t.path().join("schedstat")).unwrap_or_default();
                run_ns += s
                    .split_whitespace()
                    .next()
                    .and_then(|v| v.parse::<u64>().ok())
                    .unwrap_or(0);
            }
        }
    }
    (ticks, run_ns)
}
