//! `-t` side by side with keepalived's `-t`, in the same run: generated configurations (1000
//! virtual_server x 4 real_server TCP_CHECK, about 38,000 lines; 200 vrrp_instance) and the corpus.
//! Reports the median wall time of each, the ratio, and the peak RSS of each process.
//!
//! Run: `cargo bench --bench config`. Needs Debian's keepalived for the comparison (without it, only
//! our numbers are printed, or it fails under KEEPALIVED_RS_FULL_TESTS=1).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

const RUNS: usize = 30;

fn gen_virtual_servers(n: usize, rs: usize) -> String {
    let mut s = String::from("global_defs {\n    router_id bench\n}\n\n");
    for i in 0..n {
        let (a, b) = (10 + i / 250, i % 250 + 1);
        let _ = writeln!(s, "virtual_server 192.168.{a}.{b} 80 {{");
        s.push_str("    delay_loop 6\n    lvs_sched wrr\n    lvs_method NAT\n    protocol TCP\n");
        for r in 0..rs {
            let _ = writeln!(s, "\n    real_server 10.{a}.{b}.{} 8080 {{", r + 1);
            s.push_str("        weight 1\n        TCP_CHECK {\n            connect_timeout 3\n            retry 3\n            delay_before_retry 3\n        }\n    }\n");
        }
        s.push_str("}\n\n");
    }
    s
}

fn gen_vrrp_instances(n: usize) -> String {
    let mut s = String::from("global_defs {\n    router_id bench\n}\n\n");
    for i in 0..n {
        let _ = writeln!(
            s,
            "vrrp_instance VI_{i} {{\n    state BACKUP\n    interface eth0\n    virtual_router_id {}\n    priority 100\n    advert_int 1\n    virtual_ipaddress {{\n        10.{}.{}.1/24\n    }}\n}}\n",
            i % 255 + 1,
            i / 250,
            i % 250
        );
    }
    s
}

struct Sample {
    median_ms: f64,
    max_rss_kb: i64,
    exit: i32,
}

/// Runs `cmd` RUNS times; median wall time and the largest peak RSS (from wait4's rusage).
fn measure(bin: &str, args: &[&str], dir: &Path) -> Sample {
    let mut times = Vec::with_capacity(RUNS);
    let mut max_rss = 0;
    let mut exit = 0;
    for _ in 0..RUNS {
        let t0 = Instant::now();
        let child = Command::new(bin)
            .args(args)
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn");
        let pid = child.id() as i32;
        let mut status = 0;
        // SAFETY: rusage is plain data; wait4 fills it for our own child.
        let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
        unsafe { libc::wait4(pid, &mut status, 0, &mut ru) };
        times.push(t0.elapsed().as_secs_f64() * 1000.0);
        max_rss = max_rss.max(ru.ru_maxrss);
        exit = if libc::WIFEXITED(status) {
            libc::WEXITSTATUS(status)
        } else {
            128 + libc::WTERMSIG(status)
        };
        std::mem::forget(child);
    }
    times.sort_by(f64::total_cmp);
    Sample {
        median_ms: times[RUNS / 2],
        max_rss_kb: max_rss,
        exit,
    }
}

fn keepalived() -> Option<&'static str> {
    ["/usr/sbin/keepalived", "/usr/local/sbin/keepalived"]
        .into_iter()
        .find(|p| Path::new(p).exists())
}

fn main() {
    let ours = env!("CARGO_BIN_EXE_keepalived-rs");
    let theirs = keepalived();
    if theirs.is_none() && std::env::var("KEEPALIVED_RS_FULL_TESTS").is_ok_and(|v| v == "1") {
        panic!("keepalived not installed, needed for the side-by-side benchmark");
    }
    let dir = std::env::temp_dir().join(format!("krs-config-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut cases: Vec<(String, PathBuf)> = Vec::new();
    let vs = dir.join("vs1000x4.conf");
    std::fs::write(&vs, gen_virtual_servers(1000, 4)).unwrap();
    cases.push(("1000 virtual_server x 4 real_server".into(), vs));
    let vi = dir.join("vrrp200.conf");
    std::fs::write(&vi, gen_vrrp_instances(200)).unwrap();
    cases.push(("200 vrrp_instance".into(), vi));
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/keepalived-samples");
    if let Ok(rd) = std::fs::read_dir(&corpus) {
        let mut files: Vec<PathBuf> = rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "conf"))
            .collect();
        files.sort();
        if let Some(f) = files.first() {
            cases.push((
                format!("corpus {}", f.file_name().unwrap().to_string_lossy()),
                f.clone(),
            ));
        }
    }
    println!("config test benchmark: median of {RUNS} runs each, peak RSS (max over runs)");
    println!(
        "{:<44} {:>12} {:>12} {:>8} {:>10} {:>10}",
        "config", "ours ms", "keepalived", "ratio", "ours RSS", "ka RSS"
    );
    for (name, path) in &cases {
        let lines = std::fs::read_to_string(path)
            .map(|s| s.lines().count())
            .unwrap_or(0);
        let p = path.to_string_lossy().into_owned();
        let cwd = path.parent().unwrap();
        let o = measure(ours, &["-t", "-f", &p], cwd);
        let label = format!("{name} ({lines} lines)");
        match theirs {
            Some(k) => {
                let t = measure(k, &["-t", "-f", &p, "-l", "-n"], cwd);
                println!(
                    "{label:<44} {:>12.2} {:>12.2} {:>8.2} {:>8} kB {:>7} kB   (exit {} / {})",
                    o.median_ms,
                    t.median_ms,
                    t.median_ms / o.median_ms,
                    o.max_rss_kb,
                    t.max_rss_kb,
                    o.exit,
                    t.exit
                );
            }
            None => println!(
                "{label:<44} {:>12.2} {:>12} {:>8} {:>8} kB",
                o.median_ms, "-", "-", o.max_rss_kb
            ),
        }
    }
    println!("(ratio = keepalived median / ours: above 1 means keepalived-rs is faster)");
    let _ = std::fs::remove_dir_all(&dir);
}
