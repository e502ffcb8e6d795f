//! The IPVS state for people and programs (issue 13 item 7), in the IPVS test guest (see
//! `common::ipvs_vm`; the host kernel has no IPVS): our daemon runs virtual servers there, and
//! the SIGUSR1 data dump, the SIGUSR2 statistics, the JSON file and `--status` show them as the
//! kernel holds them. Without qemu or the guest image the test prints one `SKIP` line (a failure
//! with `KEEPALIVED_RS_FULL_TESTS=1`).

mod common;

use common::TempDir;
use common::ipvs_vm::IpvsVm;

/// Two virtual servers the guest's kernel takes, and one it refuses: its 6.1 kernel has no
/// `twos` scheduler (6.2+), so adding that service fails with ENOENT, again at each recheck.
const CONF: &str = "\
global_defs {
    router_id ipvsvm
}
virtual_server 10.0.0.1 80 {
    delay_loop 5
    lb_algo wrr
    lb_kind NAT
    protocol TCP
    persistence_timeout 300
    sorry_server 10.0.0.9 80
    real_server 10.0.0.2 80 {
        weight 3
    }
    real_server 10.0.0.3 80 {
        weight 1
        alpha
        inhibit_on_failure
        TCP_CHECK {
        }
    }
}
virtual_server fwmark 7 {
    lb_algo rr
    lb_kind DR
    real_server 10.0.0.4 0 {
        weight 2
        alpha
        TCP_CHECK {
            connect_port 80
        }
    }
}
virtual_server 10.0.0.5 443 {
    lb_algo twos
    protocol TCP
    real_server 10.0.0.6 443 {
    }
}
";

/// The lines of `text` between `@from` and the next `@` marker, as they are.
fn part<'a>(text: &'a str, from: &str) -> Vec<&'a str> {
    text.lines()
        .skip_while(|l| *l != from)
        .skip(1)
        .take_while(|l| !l.starts_with('@'))
        .collect()
}

/// The `Real server` block of `rip` in the data dump (its lines up to the next block).
fn real_server<'a>(data: &[&'a str], rip: &str) -> Vec<&'a str> {
    data.iter()
        .skip_while(|l| !l.trim_start().starts_with(&format!("RIP = {rip},")))
        .take_while(|l| !l.contains("------<") || l.contains("RIP"))
        .map(|l| l.trim())
        .collect()
}

#[test]
fn dumps_and_status_show_the_virtual_servers() {
    let Some(vm) = IpvsVm::require() else { return };
    let dir = TempDir::new("ipvs-status");
    std::fs::copy(common::bin(), dir.path().join("keepalived-rs")).unwrap();
    std::fs::write(dir.path().join("vs.conf"), CONF).unwrap();
    // Each wait polls with a 20 s deadline.
    let out = vm.run_ok(
        dir.path(),
        "wait_for() { end=$((SECONDS + 20)); until eval \"$1\" >/dev/null 2>&1; do
             [ $SECONDS -ge $end ] && { echo \"@timeout $1\"; return 1; }; sleep 0.05; done; }
         ./keepalived-rs -n -l -D -f \"$PWD/vs.conf\" -p /run/rs.pid >rs.log 2>&1 &
         rs=$!
         wait_for \"ipvsadm -Ln | grep -q 10.0.0.2:80\"
         # Until the refused add has been answered (then the data dump shows its outcome).
         wait_for \"kill -USR2 $rs; sleep 0.1; grep -q 'ENOENT' /tmp/keepalived.stats\"
         kill -USR1 $rs; wait_for \"grep -q 'LVS Topology' /tmp/keepalived.data\"
         kill -s $(./keepalived-rs --signum=JSON) $rs
         wait_for \"grep -q virtual_server /tmp/keepalived.json\"
         echo @ipvsadm; ipvsadm -Ln
         echo @data; cat /tmp/keepalived.data
         echo @stats; cat /tmp/keepalived.stats
         echo @json; cat /tmp/keepalived.json; echo
         echo @status; ./keepalived-rs --status -p /run/rs.pid; echo @status-rc $?
         # SIGRTMAX-1 writes the statistics and clears the counters: once a few passes have
         # retried the refused service, the next SIGUSR2 counts from zero again.
         passes() { sed -n 's/^ *Passes = //p' /tmp/keepalived.stats; }
         wait_for \"kill -USR2 $rs; sleep 0.1; [ \\\"\\$(passes)\\\" -ge 2 ]\"
         wrote() { grep -c 'keepalived.stats on signal' rs.log; }
         n=$(wrote); kill -s $(./keepalived-rs --signum=STATS_CLEAR) $rs
         wait_for \"[ \\$(wrote) -gt $n ]\"
         echo @cleared-passes $(passes)
         n=$(wrote); kill -USR2 $rs; wait_for \"[ \\$(wrote) -gt $n ]\"
         echo @after-clear-passes $(passes)
         kill -TERM $rs; wait $rs; echo @stopped rc=$?",
    );
    let log = std::fs::read_to_string(dir.path().join("rs.log")).unwrap_or_default();
    println!("{out}\n--- our log:\n{log}");
    assert!(!out.contains("@timeout"), "{out}\n{log}");
    assert!(
        out.contains("@status-rc 0") && out.contains("@stopped rc=0"),
        "{out}"
    );

    let data = part(&out, "@data");
    for want in [
        "------< LVS Topology >------",
        " System is compiled with LVS v1.2.1",
        " VS VIP = 10.0.0.1, VPORT = 80",
        "   lvs_sched = wrr",
        "   persistence timeout = 300",
        "   sorry server = [10.0.0.9]:tcp:80",
        "   quorum_state_up = 1",
        " VS FWMARK = 7",
        " VS VIP = 10.0.0.5, VPORT = 443",
        "   services = 1, in kernel = 0",
    ] {
        assert!(data.contains(&want), "no {want:?} in the data dump:\n{out}");
    }
    // What the kernel holds, read back by the pass: the weight the configuration gives, the
    // alpha server inhibited (in at 0), the fwmark's alpha server out.
    let rs2 = real_server(&data, "10.0.0.2");
    for want in ["alive = 1", "state = up", "in kernel = weight 3"] {
        assert!(rs2.contains(&want), "{rs2:#?}");
    }
    let rs3 = real_server(&data, "10.0.0.3");
    for want in [
        "alive = 0",
        "state = down (inhibited)",
        "in kernel = weight 0",
    ] {
        assert!(rs3.contains(&want), "{rs3:#?}");
    }
    let rs4 = real_server(&data, "10.0.0.4");
    for want in ["alive = 0", "state = down (alpha)", "in kernel = absent"] {
        assert!(rs4.contains(&want), "{rs4:#?}");
    }
    // The refused service's real server: wanted, but not in the kernel (before the refused
    // add was taken out of our copy of the table, the dump said `in kernel = weight 1`).
    let rs6 = real_server(&data, "10.0.0.6");
    for want in ["state = up", "in kernel = absent"] {
        assert!(rs6.contains(&want), "{rs6:#?}");
    }
    let ipvsadm = part(&out, "@ipvsadm").join("\n");
    assert!(ipvsadm.contains("10.0.0.3:80"), "{ipvsadm}");
    assert!(!ipvsadm.contains("10.0.0.5:443"), "{ipvsadm}");

    // The refused service, by errno name.
    let stats = part(&out, "@stats");
    assert!(
        stats.contains(&"------< IPVS statistics (keepalived-rs) >------"),
        "{out}"
    );
    let enoent = stats
        .iter()
        .find_map(|l| l.trim().strip_prefix("ENOENT = "))
        .and_then(|n| n.parse::<u64>().ok());
    assert!(enoent.is_some_and(|n| n >= 1), "{stats:#?}");
    let passes = stats
        .iter()
        .find_map(|l| l.trim().strip_prefix("Passes = "))
        .and_then(|n| n.parse::<u64>().ok());
    assert!(passes.is_some_and(|n| n >= 1), "{stats:#?}");
    // SIGRTMAX-1: the statistics it wrote had the passes so far, the next ones start again.
    let marker = |m: &str| {
        out.lines()
            .find_map(|l| l.strip_prefix(m))
            .and_then(|n| n.trim().parse::<u64>().ok())
    };
    let (cleared, after) = (marker("@cleared-passes"), marker("@after-clear-passes"));
    assert!(cleared.is_some_and(|n| n >= 2), "{out}");
    assert!(after.is_some_and(|n| n <= 1), "{out}");

    // The JSON file and --status: the same virtual servers.
    for which in ["@json", "@status"] {
        let j = part(&out, which).join("\n");
        assert_eq!(j.matches("{\"virtual_server\":").count(), 3, "{which}: {j}");
        for want in [
            "\"name\":\"10.0.0.1 80\"",
            "\"services\":[\"TCP 10.0.0.1:80\"],\"services_in_kernel\":1",
            "\"address\":\"10.0.0.2\",\"port\":80,\"weight\":3,\"desired_weight\":3,\"kernel_weight\":3,\"alive\":true,\"state\":\"up\"",
            "\"address\":\"10.0.0.3\",\"port\":80,\"weight\":1,\"desired_weight\":0,\"kernel_weight\":0,\"alive\":false,\"state\":\"down\",\"why\":\"inhibited\"",
            "\"name\":\"fwmark 7\"",
            "\"why\":\"alpha\"",
            "\"services_in_kernel\":0",
        ] {
            assert!(j.contains(want), "{which}: no {want} in {j}");
        }
    }
}
