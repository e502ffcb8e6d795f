//! Health checkers driving a real IPVS table (issue 14), in the IPVS guest (`common::ipvs_vm`):
//! Debian's keepalived 2.2.7 (`-C`, the checkers alone) runs first, then keepalived-rs (the
//! static musl build) on the same file against the same servers, in one boot. The servers are
//! busybox `httpd`s on addresses of a dummy interface in the guest; one virtual server
//! (10.0.0.1:80 TCP rr NAT, `delay_loop 1`, `quorum 2`, a sorry server) has three real servers:
//! rs1 (10.0.0.2, weight 1) TCP_CHECK, rs2 (10.0.0.3, weight 1) HTTP_GET of `/check.html`,
//! rs3 (10.0.0.4, weight 2) TCP_CHECK with `inhibit_on_failure`; every check with
//! `connect_timeout 1` and `retry 0`. The steps, each read with `ipvsadm -Ln` once the table
//! has changed and then stayed unchanged for 1.5 s (15 s at most):
//! - `up`: all up, the three in at their weights;
//! - `rs1-down`: rs1's listener killed, rs1 leaves;
//! - `rs3-down`: rs3's listener killed, rs3 at weight 0; the weight left alive (rs2's 1) is
//!   under the quorum: rs2 leaves, the sorry server enters at weight 1, rs3 stays at 0;
//! - `back`: both listeners restarted, the table as at `up` (polled until it is);
//! - `rs2-404`: rs2's page removed (busybox httpd answers 404), rs2 leaves (quorum holds: 3).
//!
//! Each implementation's tables are compared row for row (connection counters dropped), and the
//! time from killing a listener to the first change of the table is bounded by keepalived's
//! rule: the next check (`delay_loop`) plus `connect_timeout`, plus 1 s for the emulated guest.
//! Without qemu or the guest image the test prints one `SKIP` line (a failure under
//! `KEEPALIVED_RS_FULL_TESTS=1`).

mod common;

use common::TempDir;
use common::ipvs_vm::{self, IpvsVm};

const CONF: &str = "\
virtual_server 10.0.0.1 80 {
    delay_loop 1
    lb_algo rr
    lb_kind NAT
    protocol TCP
    quorum 2
    sorry_server 10.0.9.9 80
    real_server 10.0.0.2 80 {
        weight 1
        TCP_CHECK {
            connect_timeout 1
            retry 0
        }
    }
    real_server 10.0.0.3 80 {
        weight 1
        HTTP_GET {
            url {
                path /check.html
                status_code 200
            }
            connect_timeout 1
            retry 0
        }
    }
    real_server 10.0.0.4 80 {
        weight 2
        inhibit_on_failure
        TCP_CHECK {
            connect_timeout 1
            retry 0
        }
    }
}
";

/// The steps, in order, as the script names them.
const STEPS: &[&str] = &["up", "rs1-down", "rs3-down", "back", "rs2-404"];

/// The steps whose time from the action to the first table change is bounded.
const TIMED: &[&str] = &["rs1-down", "rs3-down", "rs2-404"];

/// Shell helpers: `snap` prints the table's rows (no headers, no connection counters, blanks
/// squeezed) sorted;
/// `settle STEP T0` waits for the table to differ from `$prev` (or to equal `$want` when set),
/// then for 1.5 s without change, 15 s at most, and prints the step's table and its times
/// (microseconds of `$EPOCHREALTIME` from T0).
const HELPERS: &str = r#"
snap() { ipvsadm -Ln | awk '$1 == "->" && $2 != "RemoteAddress:Port" {print $1, $2, $3, $4; next}
                            $1 == "TCP" || $1 == "UDP" {$1 = $1; print}' | sort; }
us() { echo ${EPOCHREALTIME/./}; }
settle() {
    local step=$1 t0=$2 end=$((SECONDS + 15)) now last since first
    if [ -n "$want" ]; then
        until [ "$(snap)" = "$want" ] || [ $SECONDS -ge $end ]; do sleep 0.05; done
    else
        while [ "$(snap)" = "$prev" ] && [ $SECONDS -lt $end ]; do sleep 0.05; done
    fi
    first=$(us); last=$(snap); since=$first
    while [ $SECONDS -lt $end ]; do
        sleep 0.1; now=$(snap)
        if [ "$now" != "$last" ]; then last=$now; since=$(us)
        elif [ $(( $(us) - since )) -ge 1500000 ]; then break; fi
    done
    echo "@$tag-$step-ms $(( (first - t0) / 1000 )) $(( (since - t0) / 1000 ))"
    echo "@$tag-$step"; echo "$last"; echo "@$tag-$step-end"
    prev=$last
}
serve() { busybox httpd -f -p $1:80 -h "$PWD/www$2" & eval "srv$2=\$!"; }
up() { local end=$((SECONDS + 10)); until timeout 1 bash -c "echo >/dev/tcp/$1/80" 2>/dev/null ||
    [ $SECONDS -ge $end ]; do sleep 0.05; done; }
busybox syslogd -n -O "$PWD/syslog.log" & syslogd=$!
ip link add d0 type dummy; ip link set d0 up
for a in 10.0.0.2 10.0.0.3 10.0.0.4 10.0.0.100; do ip addr add $a/24 dev d0; done
"#;

/// One implementation's run: servers up, the daemon started with `start`, the steps, the daemon
/// stopped, the table and the servers cleaned up.
fn run(tag: &str, start: &str) -> String {
    format!(
        r#"
tag={tag}
mkdir -p www1 www2 www3; echo ok > www2/check.html
serve 10.0.0.2 1; serve 10.0.0.3 2; serve 10.0.0.4 3
up 10.0.0.2; up 10.0.0.3; up 10.0.0.4
prev=$(snap); want=
{start} >{tag}.log 2>&1 &
pid=$!
settle up $(us); a=$prev
t0=$(us); kill $srv1; wait $srv1 2>/dev/null; settle rs1-down $t0
t0=$(us); kill $srv3; wait $srv3 2>/dev/null; settle rs3-down $t0
t0=$(us); serve 10.0.0.2 1; serve 10.0.0.4 3; want=$a; settle back $t0; want=
t0=$(us); rm www2/check.html; settle rs2-404 $t0
kill -TERM $pid; wait $pid
kill $srv1 $srv2 $srv3; wait $srv1 $srv2 $srv3 2>/dev/null
ipvsadm -C
"#
    )
}

/// The time of a step from its action to the table's first change, in milliseconds (the
/// output's line also has the time it settled).
fn first_change(out: &str, tag: &str) -> Option<u64> {
    let line = out
        .lines()
        .find_map(|l| l.strip_prefix(&format!("@{tag}-ms ")))?;
    line.split_whitespace().next()?.parse().ok()
}

/// What the guest's run left: its output and the daemons' logs.
struct Run {
    /// The guest command's exit status (`run-in-vm.sh`'s).
    status: i32,
    out: String,
    /// keepalived's syslog lines (busybox syslogd in the guest).
    ka_log: String,
    rs_log: String,
}

/// The one boot both tests read (`None`: skipped); the first test to ask makes it (the other
/// waits for it).
fn guest_run() -> Option<&'static Run> {
    static RUN: std::sync::OnceLock<Option<Run>> = std::sync::OnceLock::new();
    RUN.get_or_init(|| {
        let vm = IpvsVm::require()?;
        let musl = match ipvs_vm::musl_binary() {
            Ok(p) => p,
            Err(e) => {
                common::require(false, &e);
                return None;
            }
        };
        let dir = TempDir::new("checkers-guest");
        std::fs::copy(&musl, dir.path().join("keepalived-rs")).unwrap();
        std::fs::write(dir.path().join("k.conf"), CONF).unwrap();
        let script = String::from(HELPERS)
            + &run(
                "ka",
                "keepalived -n -D -C -f \"$PWD/k.conf\" -p /run/ka.pid -c /run/ka-c.pid",
            )
            + &run(
                "rs",
                "./keepalived-rs -n -l -D -f \"$PWD/k.conf\" -p /run/rs.pid",
            )
            + "kill $syslogd\n";
        // Two daemons, five steps each: about 45 s under emulation on a quiet host.
        let (status, out) = vm.run_within(dir.path(), &script, 170);
        let log = |f: &str| std::fs::read_to_string(dir.path().join(f)).unwrap_or_default();
        let run = Run {
            status,
            out,
            ka_log: log("syslog.log")
                .lines()
                .filter(|l| !l.contains("keepalived-rs["))
                .collect::<Vec<_>>()
                .join("\n"),
            rs_log: log("rs.log"),
        };
        println!(
            "{}\n--- keepalived:\n{}\n--- keepalived-rs:\n{}",
            run.out, run.ka_log, run.rs_log
        );
        Some(run)
    })
    .as_ref()
}

/// keepalived's table at each step, as the rules say: sorted rows, no counters.
fn expected(step: &str) -> Vec<&'static str> {
    let mut v = vec!["TCP 10.0.0.1:80 rr"];
    v.extend(match step {
        "up" | "back" => &[
            "-> 10.0.0.2:80 Masq 1",
            "-> 10.0.0.3:80 Masq 1",
            "-> 10.0.0.4:80 Masq 2",
        ][..],
        "rs1-down" => &["-> 10.0.0.3:80 Masq 1", "-> 10.0.0.4:80 Masq 2"][..],
        "rs3-down" => &["-> 10.0.0.4:80 Masq 0", "-> 10.0.9.9:80 Masq 1"][..],
        _ => &["-> 10.0.0.2:80 Masq 1", "-> 10.0.0.4:80 Masq 2"][..],
    });
    v.sort();
    v
}

/// A step's table: the lines between its marker lines.
fn table<'a>(out: &'a str, tag: &str) -> Vec<&'a str> {
    let body = out.split(&format!("\n@{tag}\n")).nth(1).unwrap_or_default();
    let body = body
        .split(&format!("\n@{tag}-end"))
        .next()
        .unwrap_or_default();
    body.lines().collect()
}

/// Runs `check` on each of `steps` of the guest's run; fails with what it returns, and our log.
fn each_step(steps: &[&str], check: impl Fn(&Run, &str) -> Option<String>) {
    let Some(r) = guest_run() else { return };
    assert_eq!(r.status, 0, "{}", r.out);
    let faults: Vec<String> = steps.iter().filter_map(|step| check(r, step)).collect();
    assert!(
        faults.is_empty(),
        "{}\n--- our log:\n{}",
        faults.join("\n"),
        r.rs_log
    );
}

#[test]
fn our_checkers_make_the_same_tables_as_keepalived_s() {
    each_step(STEPS, |r, step| {
        let theirs = table(&r.out, &format!("ka-{step}"));
        let ours = table(&r.out, &format!("rs-{step}"));
        assert_eq!(theirs, expected(step), "keepalived at {step}\n{}", r.ka_log);
        (ours != theirs).then(|| format!("{step}: keepalived {theirs:#?}\nours {ours:#?}"))
    });
}

/// A killed listener (refused at once) or a 404 is seen at the next check: the table changes
/// within delay_loop (1 s) plus connect_timeout (1 s), plus 1 s of slack for the emulated guest.
/// keepalived 2.2.7 takes 0.5 to 1.0 s here.
///
/// (A first version of ours failed it: `IpvsExecutor::update` queued the requests without
/// sending them, so they waited for the periodic pass, 5 s; found here, fixed.)
#[test]
fn our_checkers_change_the_table_as_soon_as_keepalived_does() {
    each_step(TIMED, |r, step| {
        let times = (
            first_change(&r.out, &format!("ka-{step}")),
            first_change(&r.out, &format!("rs-{step}")),
        );
        let (Some(ka), Some(rs)) = times else {
            return Some(format!("{step}: no time in the output: {times:?}"));
        };
        println!("{step}: keepalived {ka} ms, keepalived-rs {rs} ms");
        (rs > 3000).then(|| format!("{step}: {rs} ms (keepalived {ka} ms)"))
    });
}
