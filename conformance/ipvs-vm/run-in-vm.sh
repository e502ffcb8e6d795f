#!/usr/bin/env bash
# run-in-vm.sh DIR 'CMD': boots the IPVS test guest (built by build.sh beside this file), runs CMD
# with bash in DIR, which the guest shares over 9p (writable, mounted at DIR's host path, also the
# working directory), prints CMD's output and exits with CMD's exit status.
# 124: the guest did not finish within VM_TIMEOUT (the console's last lines are printed).
# 125: infrastructure failure (no image, no qemu, bad DIR, kernel panic, no status from the guest).
#
# Knobs: IPVS_VM_CACHE (build.sh's cache; images are $IPVS_VM_CACHE/current/*), VM_KERNEL,
# VM_INITRD (other images), VM_TIMEOUT (seconds, 120), VM_MEM (512M), VM_SMP (1),
# VM_ACCEL (auto|kvm|tcg; auto uses KVM only on a hardware VT-x/AMD-V /dev/kvm, else TCG),
# VM_APPEND (more kernel parameters; `ipvsvm.debug` keeps kernel messages), VM_VERBOSE=1 (whole
# console and the wall time).
# The guest has no network device: only `lo`, plus whatever CMD creates (veth, dummy, netns).
set -uo pipefail

infra() {
    printf 'run-in-vm: %s\n' "$*" >&2
    exit 125
}

[ $# -eq 2 ] || infra "usage: run-in-vm.sh DIR 'CMD'"
dir=$(cd "$1" 2>/dev/null && pwd -P) || infra "no such directory: $1"
[[ $dir != *,* ]] || infra "DIR must not contain a comma (QEMU option syntax): $dir"
cmd=$2
cache=${IPVS_VM_CACHE:-/var/cache/keepalived-rs/ipvs-vm}
kernel=${VM_KERNEL:-$cache/current/vmlinux}
initrd=${VM_INITRD:-$cache/current/initramfs.cpio}
[ -r "$kernel" ] && [ -r "$initrd" ] ||
    infra "no guest image at $kernel / $initrd (run conformance/ipvs-vm/build.sh)"
command -v qemu-system-x86_64 >/dev/null || infra "qemu-system-x86_64 is not installed"

# /dev/kvm can be a paravirtual (PVM) KVM on which a stock Debian kernel does not boot: only the
# hardware modules count.
hw_kvm() { [ -w /dev/kvm ] && { [ -d /sys/module/kvm_intel ] || [ -d /sys/module/kvm_amd ]; }; }
case ${VM_ACCEL:-auto} in
kvm) hw_kvm || infra "VM_ACCEL=kvm but /dev/kvm is missing or not hardware KVM (kvm_intel/kvm_amd)" ;;
tcg) ;;
auto) ;;
*) infra "VM_ACCEL must be auto, kvm or tcg" ;;
esac
if [ "${VM_ACCEL:-auto}" != tcg ] && hw_kvm; then
    accel=(-enable-kvm -cpu host)
else
    [ "${VM_ACCEL:-auto}" = auto ] && [ -e /dev/kvm ] && [ -n "${VM_VERBOSE:-}" ] &&
        echo "run-in-vm: /dev/kvm is not hardware KVM; using TCG" >&2
    accel=(-accel tcg,thread=multi -cpu max)
fi

ctl=$(mktemp -d "${TMPDIR:-/tmp}/ipvsvm-ctl.XXXXXX") || infra "mktemp failed"
trap 'rm -rf "$ctl"' EXIT
printf '%s\n' "$dir" >"$ctl/dir"
printf '%s\n' "$cmd" >"$ctl/cmd"

# The crypto self-tests cost about 0.85 s of the boot under TCG (initcall_debug: crypto_algapi_init
# 0.3 s, crypto_kdf108_init 0.55 s, which runs its test unconditionally); a test guest skips them.
append="console=ttyS0 quiet loglevel=1 panic=-1 oops=panic reboot=t mitigations=off"
append+=" i8042.noaux i8042.nokbd random.trust_cpu=on"
append+=" cryptomgr.notests initcall_blacklist=crypto_kdf108_init ${VM_APPEND:-}"
start=$EPOCHREALTIME
timeout -k 5 "${VM_TIMEOUT:-120}" qemu-system-x86_64 "${accel[@]}" \
    -machine q35 -m "${VM_MEM:-512M}" -smp "${VM_SMP:-1}" \
    -nodefaults -no-user-config -nographic -serial stdio -no-reboot -nic none \
    -kernel "$kernel" -initrd "$initrd" -append "$append" \
    -virtfs "local,path=$ctl,mount_tag=ipvsvm_ctl,security_model=none" \
    -virtfs "local,path=$dir,mount_tag=host,security_model=none" \
    </dev/null 2>&1 | tee "$ctl/console" | {
    # The console carries SeaBIOS escapes and CRs; CMD's output lies between the markers.
    if [ -n "${VM_VERBOSE:-}" ]; then
        tr -d '\r'
    else
        tr -d '\r' | awk '/@@IPVSVM-END rc=/ {exit} on {print; fflush()} /@@IPVSVM-BEGIN@@/ {on = 1}'
        cat >/dev/null
    fi
}
qemu_rc=${PIPESTATUS[0]}
[ -n "${VM_VERBOSE:-}" ] &&
    awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN {printf "run-in-vm: %.2f s wall\n", b - a}' >&2

tail_console() {
    echo "--- last console lines:" >&2
    tr -d '\r' <"$ctl/console" | tail -n 20 >&2
}
if [ "$qemu_rc" = 124 ] || [ "$qemu_rc" = 137 ]; then
    echo "run-in-vm: timeout after ${VM_TIMEOUT:-120} s" >&2
    tail_console
    exit 124
fi
rc=$(cat "$ctl/rc" 2>/dev/null)
if [[ ! $rc =~ ^[0-9]+$ ]]; then
    echo "run-in-vm: the guest gave no exit status (qemu exit $qemu_rc)" >&2
    tail_console
    exit 125
fi
exit "$rc"
