//! The IPVS test guest itself (`conformance/ipvs-vm/`, see `common::ipvs_vm`): the host kernel has
//! no IPVS, the guest's Debian kernel has. Each test boots the guest once under QEMU and proves one
//! piece the IPVS tests build on, reading the result back from the guest's kernel:
//! ipvsadm programs IPVS; Debian's keepalived 2.2.7 (the reference peer) programs a
//! `virtual_server`; our static musl binary (and the host-built debug binary) runs there.
//! Without qemu or the guest image each test prints one `SKIP` line (a failure with
//! `KEEPALIVED_RS_FULL_TESTS=1`).

mod common;

use std::path::Path;

use common::TempDir;
use common::ipvs_vm::{self, IpvsVm};

/// `ipvsadm -Ln` lines with runs of blanks collapsed, between the given marker lines.
fn section(out: &str, from: &str, to: &str) -> Vec<String> {
    out.lines()
        .skip_while(|l| l.trim() != from)
        .skip(1)
        .take_while(|l| l.trim() != to)
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect()
}

const VS_CONF: &str = "\
global_defs {
    router_id ipvsvm
}
virtual_server 10.0.0.1 80 {
    delay_loop 5
    lb_algo wrr
    lb_kind NAT
    protocol TCP
    real_server 10.0.0.2 80 {
        weight 3
    }
    real_server 10.0.0.3 80 {
        weight 1
    }
}
";

#[test]
fn ipvsadm_programs_the_guest_kernel() {
    let Some(vm) = IpvsVm::require() else { return };
    let dir = TempDir::new("ipvs-guest-adm");
    let out = vm.run_ok(
        dir.path(),
        "set -e
         ipvsadm -A -t 10.0.0.1:80 -s wrr
         ipvsadm -a -t 10.0.0.1:80 -r 10.0.0.2:80 -m -w 3
         ipvsadm -A -u [2001:db8::1]:53 -s sh
         echo @table; ipvsadm -Ln; echo @proc; cat /proc/net/ip_vs; echo @end
         ipvsadm -Ln > written-in-guest.txt",
    );
    println!("{out}");
    let table = section(&out, "@table", "@proc");
    for want in [
        "IP Virtual Server version 1.2.1 (size=4096)",
        "TCP 10.0.0.1:80 wrr",
        "-> 10.0.0.2:80 Masq 3 0 0",
        "UDP [2001:db8::1]:53 sh",
    ] {
        assert!(table.iter().any(|l| l == want), "no `{want}` in {table:#?}");
    }
    let proc = section(&out, "@proc", "@end");
    assert!(
        proc.iter().any(|l| l == "TCP 0A000001:0050 wrr"),
        "{proc:#?}"
    );
    // The shared directory is writable from the guest.
    let written = std::fs::read_to_string(dir.path().join("written-in-guest.txt")).unwrap();
    assert!(written.contains("10.0.0.2:80"), "{written}");
    // The host kernel has none of this.
    println!(
        "host has /proc/net/ip_vs: {}",
        Path::new("/proc/net/ip_vs").exists()
    );
}

#[test]
fn debian_keepalived_programs_a_virtual_server_in_the_guest() {
    let Some(vm) = IpvsVm::require() else { return };
    let dir = TempDir::new("ipvs-guest-ka");
    std::fs::write(dir.path().join("vs.conf"), VS_CONF).unwrap();
    // Polls the table with a 20 s deadline; keepalived logs to a file (not the console) in DIR.
    let out = vm.run_ok(
        dir.path(),
        "keepalived --version 2>&1 | head -1
         keepalived -n -D -C -f \"$PWD/vs.conf\" -p /run/ka.pid -c /run/ka-c.pid >ka.log 2>&1 &
         pid=$!
         end=$((SECONDS + 20))
         until ipvsadm -Ln | grep -q '10.0.0.3:80' || [ $SECONDS -ge $end ]; do sleep 0.05; done
         echo @table; ipvsadm -Ln
         kill -TERM $pid; wait $pid; echo @stopped rc=$?
         ipvsadm -Ln; echo @end",
    );
    println!("{out}");
    let log = std::fs::read_to_string(dir.path().join("ka.log")).unwrap_or_default();
    assert!(out.starts_with("Keepalived v2.2.7"), "{out}");
    let table = section(&out, "@table", "@stopped rc=0");
    for want in [
        "TCP 10.0.0.1:80 wrr",
        "-> 10.0.0.2:80 Masq 3 0 0",
        "-> 10.0.0.3:80 Masq 1 0 0",
    ] {
        assert!(
            table.iter().any(|l| l == want),
            "no `{want}` in {table:#?}\n{log}"
        );
    }
    // keepalived removes its services when it stops.
    let after = section(&out, "@stopped rc=0", "@end");
    assert!(
        !after.iter().any(|l| l.contains("10.0.0.1:80")),
        "{after:#?}"
    );
}

#[test]
fn our_static_binary_runs_in_the_guest() {
    let Some(vm) = IpvsVm::require() else { return };
    let musl = match ipvs_vm::musl_binary() {
        Ok(p) => p,
        Err(e) => {
            common::require(false, &e);
            return;
        }
    };
    assert!(
        ipvs_vm::is_static_elf(&musl),
        "{} is not static",
        musl.display()
    );
    let dir = TempDir::new("ipvs-guest-bin");
    std::fs::copy(&musl, dir.path().join("keepalived-rs")).unwrap();
    // The debug build of this test run (glibc, dynamic) runs on the guest's Debian glibc too.
    std::fs::copy(common::bin(), dir.path().join("keepalived-rs-debug")).unwrap();
    std::fs::write(dir.path().join("vs.conf"), VS_CONF).unwrap();
    let out = vm.run_ok(
        dir.path(),
        "set -e
         ./keepalived-rs --version
         echo @check; ./keepalived-rs -t -f vs.conf; echo @rc $?
         ./keepalived-rs-debug --version | head -1",
    );
    println!("{out}");
    assert!(out.starts_with("keepalived-rs v"), "{out}");
    // --version names the running kernel: the guest's, not the host's.
    assert!(out.contains("Running on Linux 6.1.0-"), "{out}");
    let check = section(&out, "@check", "@rc 0");
    assert!(
        check
            .iter()
            .any(|l| l.starts_with("configuration OK: 0 error(s)")),
        "{check:#?}\n{out}"
    );
    assert_eq!(out.matches("keepalived-rs v").count(), 2, "{out}");
}

/// `ipvsadm -Ln` rows of a run's section, without the header lines, sorted (the kernel lists
/// services in hash order).
fn rows(out: &str, from: &str, to: &str) -> Vec<String> {
    let mut v: Vec<String> = section(out, from, to)
        .into_iter()
        .filter(|l| {
            !l.starts_with("IP Virtual Server") && !l.starts_with("Prot ") && !l.starts_with("->")
                || l.starts_with("-> ") && !l.starts_with("-> RemoteAddress")
        })
        .collect();
    v.sort();
    v
}

/// Our daemon in the guest (the debug build of this run, on the guest's glibc): it adopts a
/// table left behind (a stale weight corrected, a real server it does not want removed, a
/// service of somebody else left alone, nothing flushed), makes the same table as Debian's
/// keepalived 2.2.7 for the same file, puts back a real server deleted behind its back, follows
/// a reload, and at stop removes only what it made.
#[test]
fn our_daemon_reconciles_the_guest_kernels_table() {
    let Some(vm) = IpvsVm::require() else { return };
    let dir = TempDir::new("ipvs-guest-rs");
    std::fs::copy(common::bin(), dir.path().join("keepalived-rs")).unwrap();
    std::fs::write(dir.path().join("vs.conf"), VS_CONF).unwrap();
    let reloaded = VS_CONF.replace("weight 1\n", "weight 4\n")
        + "virtual_server 10.0.0.5 443 {\n    lb_algo rr\n    protocol TCP\n    real_server 10.0.0.6 443 {\n    }\n}\n";
    std::fs::write(dir.path().join("vs2.conf"), reloaded).unwrap();
    let out = vm.run_ok(
        dir.path(),
        "wait_for() { end=$((SECONDS + 15)); until ipvsadm -Ln | grep -q -- \"$1\"; do
             [ $SECONDS -ge $end ] && { echo \"@timeout $1\"; tail -5 rs.log 2>/dev/null; return 1; }; sleep 0.05; done; }
         wait_gone() { end=$((SECONDS + 15)); while ipvsadm -Ln | grep -q -- \"$1\"; do
             [ $SECONDS -ge $end ] && { echo \"@timeout gone $1\"; return 1; }; sleep 0.05; done; }
         # keepalived's table for the file, alone in the kernel.
         keepalived -n -D -C -f \"$PWD/vs.conf\" -p /run/ka.pid -c /run/ka-c.pid >ka.log 2>&1 &
         ka=$!
         wait_for '10.0.0.3:80'
         echo @keepalived; ipvsadm -Ln; echo @keepalived-end
         kill -TERM $ka; wait $ka
         # What a killed daemon and somebody else left behind.
         ipvsadm -A -t 10.0.0.1:80 -s wrr
         ipvsadm -a -t 10.0.0.1:80 -r 10.0.0.2:80 -m -w 9
         ipvsadm -a -t 10.0.0.1:80 -r 10.0.0.7:80 -m -w 1
         ipvsadm -A -u 10.9.9.9:53 -s rr
         ipvsadm -a -u 10.9.9.9:53 -r 10.9.9.10:53 -m -w 1
         ./keepalived-rs -n -l -D -f \"$PWD/vs.conf\" -p /run/rs.pid >rs.log 2>&1 &
         rs=$!
         wait_for '10.0.0.3:80'
         wait_gone '10.0.0.7:80'
         echo @adopted; ipvsadm -Ln; echo @adopted-end
         ipvsadm -d -t 10.0.0.1:80 -r 10.0.0.3:80
         t0=$SECONDS
         wait_for '10.0.0.3:80'
         echo @back after $((SECONDS - t0)) s
         cp vs2.conf vs.conf; kill -HUP $rs
         wait_for '10.0.0.6:443'
         wait_for '10.0.0.3:80 *Masq *4'
         echo @reloaded; ipvsadm -Ln; echo @reloaded-end
         kill -TERM $rs; wait $rs; echo @stopped rc=$?
         ipvsadm -Ln; echo @end",
    );
    let log = std::fs::read_to_string(dir.path().join("rs.log")).unwrap_or_default();
    println!("{out}\n--- our log:\n{log}");
    assert!(!out.contains("@timeout"), "{out}\n{log}");
    // The same table as keepalived's (somebody else's service aside).
    let theirs = rows(&out, "@keepalived", "@keepalived-end");
    let ours: Vec<String> = rows(&out, "@adopted", "@adopted-end")
        .into_iter()
        .filter(|l| !l.contains("10.9.9."))
        .collect();
    assert_eq!(ours, theirs, "{out}");
    assert!(
        ours.iter().any(|l| l == "-> 10.0.0.2:80 Masq 3 0 0"),
        "{ours:#?}"
    );
    let adopted = rows(&out, "@adopted", "@adopted-end");
    assert!(
        adopted.iter().any(|l| l == "UDP 10.9.9.9:53 rr"),
        "{adopted:#?}"
    );
    // Adopted, not re-created: the stale weight was changed, nothing was flushed.
    assert!(log.contains("changing real server 10.0.0.2:80"), "{log}");
    assert!(!log.contains("adding service TCP 10.0.0.1:80"), "{log}");
    // Deleted behind our back: back within one period, with a warning.
    assert!(
        log.contains("the kernel's table differed from ours"),
        "{log}"
    );
    let reloaded = rows(&out, "@reloaded", "@reloaded-end");
    for want in ["TCP 10.0.0.5:443 rr", "-> 10.0.0.3:80 Masq 4 0 0"] {
        assert!(
            reloaded.iter().any(|l| l == want),
            "no {want}: {reloaded:#?}"
        );
    }
    // At stop: ours gone, theirs left.
    let after = rows(&out, "@stopped rc=0", "@end");
    assert!(
        after.iter().all(|l| l.contains("10.9.9.")),
        "left behind: {after:#?}\n{log}"
    );
    assert!(
        after.iter().any(|l| l == "UDP 10.9.9.9:53 rr"),
        "{after:#?}"
    );
}

/// A VRRP instance alone on a veth in the guest (it becomes MASTER after its master-down
/// interval, about 3.6 s) and `lvs_sync_daemon` following it.
const SYNC_CONF: &str = "\
global_defs {
    router_id ipvssync
    lvs_sync_daemon sv0 VI_1 maxlen 1400
}
vrrp_instance VI_1 {
    state BACKUP
    interface sv0
    virtual_router_id 51
    priority 150
    advert_int 1
    virtual_ipaddress {
        10.77.0.100/24
    }
}
";

/// The guest script's first lines: the veth VI_1 runs on.
const SYNC_LINK: &str = "ip link add sv0 type veth peer name sv1
ip addr add 10.77.0.1/24 dev sv0
ip link set sv1 up; ip link set sv0 up";

/// A directory for the guest with our binary and `sync.conf`.
fn sync_dir(name: &str, conf: &str) -> TempDir {
    let dir = TempDir::new(name);
    std::fs::copy(common::bin(), dir.path().join("keepalived-rs")).unwrap();
    std::fs::write(dir.path().join("sync.conf"), conf).unwrap();
    dir
}

/// The `ipvsadm -L --daemon` lines a daemon showed, in the order they first appeared, then
/// what was left after it stopped: `@seen LINE` and `@after LINE` lines of the guest script.
fn daemon_lines(out: &str, who: &str, tag: &str) -> Vec<String> {
    let prefix = format!("@{who}-{tag} ");
    out.lines()
        .filter_map(|l| l.strip_prefix(&prefix))
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect()
}

#[test]
fn the_sync_daemon_follows_the_vrrp_instance_like_keepalived() {
    let Some(vm) = IpvsVm::require() else { return };
    let dir = sync_dir("ipvs-guest-sync", SYNC_CONF);
    // Each daemon in turn: watch `ipvsadm -L --daemon` (every 50 ms) until the master daemon
    // shows, noting every new set of lines; stop the daemon; what is left.
    let out = vm.run_ok(
        dir.path(),
        &(SYNC_LINK.to_string()
            + "
         watch_daemons() { who=$1; last=; end=$((SECONDS + 20))
             while [ $SECONDS -lt $end ]; do
                 now=$(ipvsadm -L --daemon 2>&1 | tr '\\n' '|')
                 if [ \"$now\" != \"$last\" ]; then echo \"@$who-seen $now\"; last=$now; fi
                 case \"$now\" in *master*) return 0;; esac
                 sleep 0.05
             done; echo \"@timeout $who\"; return 1; }
         run() { who=$1; shift
             \"$@\" >$who.log 2>&1 &
             pid=$!
             watch_daemons $who
             kill -TERM $pid; wait $pid; echo \"@$who-stopped rc=$?\"
             echo \"@$who-after $(ipvsadm -L --daemon 2>&1 | tr '\\n' '|')\"; }
         run keepalived keepalived -n -D -l -P -f \"$PWD/sync.conf\" -p /run/ka.pid -r /run/ka-v.pid
         run ours ./keepalived-rs -n -D -l -f \"$PWD/sync.conf\" -p /run/rs.pid
         echo @end"),
    );
    let log = std::fs::read_to_string(dir.path().join("ours.log")).unwrap_or_default();
    println!("{out}\n--- our log:\n{log}");
    assert!(!out.contains("@timeout"), "{out}\n{log}");
    let backup = "backup sync daemon (mcast=sv0, syncid=51, maxlen=1400, group=224.0.0.81, port=8848, ttl=1)|";
    let master = "master sync daemon (mcast=sv0, syncid=51, maxlen=1400, group=224.0.0.81, port=8848, ttl=1)|";
    // A poll between the stop of the backup daemon and the start of the master one sees
    // none: not a state either daemon means.
    let seen = |who| -> Vec<String> {
        daemon_lines(&out, who, "seen")
            .into_iter()
            .filter(|l| !l.is_empty())
            .collect()
    };
    let theirs = seen("keepalived");
    let ours = seen("ours");
    // Backup while the instance is BACKUP, then the master daemon alone once it is MASTER.
    assert_eq!(
        ours.last().map(String::as_str),
        Some(master),
        "{ours:#?}\n{log}"
    );
    assert!(ours.iter().any(|l| l == backup), "{ours:#?}\n{log}");
    assert_eq!(ours, theirs, "ours vs keepalived's\n{out}");
    // Nothing left after a stop.
    for who in ["keepalived", "ours"] {
        assert_eq!(daemon_lines(&out, who, "after"), [""], "{who}\n{out}");
    }
    assert!(
        log.contains("starting the master sync daemon on sv0"),
        "{log}"
    );
}

#[test]
fn the_sync_daemon_comes_back_and_a_reload_starts_it_at_the_instances_state() {
    let Some(vm) = IpvsVm::require() else { return };
    let without = SYNC_CONF.replace("    lvs_sync_daemon sv0 VI_1 maxlen 1400\n", "");
    let dir = sync_dir("ipvs-guest-sync2", &without);
    std::fs::write(dir.path().join("with.conf"), SYNC_CONF).unwrap();
    // Our daemon without lvs_sync_daemon until the instance is MASTER (its VIP is on sv0),
    // then a reload adds it: the master daemon starts, never the backup one. Then the master
    // daemon is stopped by hand and comes back at the next periodic check.
    let out = vm.run_ok(
        dir.path(),
        &(SYNC_LINK.to_string()
            + "
         poll() { end=$((SECONDS + 15)); until eval \"$1\"; do
             [ $SECONDS -ge $end ] && { echo \"@timeout $1\"; return 1; }; sleep 0.05; done; }
         ./keepalived-rs -n -D -l -f \"$PWD/sync.conf\" -p /run/rs.pid >ours.log 2>&1 &
         pid=$!
         poll 'ip -4 addr show dev sv0 | grep -q 10.77.0.100'
         echo \"@before $(ipvsadm -L --daemon | tr '\\n' '|')\"
         cp with.conf sync.conf; kill -HUP $pid
         poll 'ipvsadm -L --daemon | grep -q master'
         echo \"@reloaded $(ipvsadm -L --daemon | tr '\\n' '|')\"
         ipvsadm --stop-daemon master
         echo \"@stopped-by-hand $(ipvsadm -L --daemon | tr '\\n' '|')\"
         poll 'ipvsadm -L --daemon | grep -q master'
         echo \"@back $(ipvsadm -L --daemon | tr '\\n' '|')\"
         kill -TERM $pid; wait $pid; echo \"@stopped rc=$?\"
         echo \"@after $(ipvsadm -L --daemon | tr '\\n' '|')\"
         echo @end"),
    );
    let log = std::fs::read_to_string(dir.path().join("ours.log")).unwrap_or_default();
    println!("{out}\n--- our log:\n{log}");
    assert!(!out.contains("@timeout"), "{out}\n{log}");
    let line = |tag: &str| {
        out.lines()
            .find_map(|l| l.strip_prefix(&format!("@{tag} ")).map(str::trim))
            .unwrap_or("?")
            .to_string()
    };
    let master = "master sync daemon (mcast=sv0, syncid=51, maxlen=1400, group=224.0.0.81, port=8848, ttl=1)|";
    assert_eq!(line("before"), "");
    assert_eq!(line("reloaded"), master, "{log}");
    assert!(!log.contains("starting the backup sync daemon"), "{log}");
    assert_eq!(line("stopped-by-hand"), "");
    assert_eq!(line("back"), master, "{log}");
    assert_eq!(line("after"), "", "{log}");
}
