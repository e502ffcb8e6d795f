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
