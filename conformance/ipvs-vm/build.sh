#!/usr/bin/env bash
# Builds the IPVS test guest: Debian's kernel (IPVS as modules) and an initramfs with busybox, bash,
# ipvsadm, iproute2, glibc, libgcc_s and Debian's keepalived, all taken from Debian packages with
# `apt-get download` + `dpkg-deb -x` (nothing is installed on the host). Facts behind it:
# ../shared/reference/ipvs-vm.md. run-in-vm.sh beside this file boots the result.
#
# Output: $IPVS_VM_CACHE/<key>/{vmlinux,initramfs.cpio,manifest} and the symlink
# $IPVS_VM_CACHE/current -> <key>. The key hashes this script, the guest's /init and the exact .deb
# files apt would fetch (name, version, size, checksum), so a changed script or a new package version
# builds a new image; otherwise the run ends after the apt-cache lookups (a few seconds), or at once
# when the apt package lists did not change since (see fastkey).
# Older images and unused .debs are removed after a successful build. A lock serialises builds.
#
# Needs: apt-get/apt-cache/dpkg-deb, xz (kernel payload), flock, sha256sum. Run as root (the
# initramfs gets a /dev/console node).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=${IPVS_VM_CACHE:-/var/cache/keepalived-rs/ipvs-vm}
arch=x86_64-linux-gnu
# Userspace packages; their dependency closure is filtered to these plus the lib* packages.
tools=(busybox-static bash ipvsadm iproute2 keepalived netbase)
# Modules insmod-ed at boot (with dependencies).
boot_modules=(virtio_pci 9pnet_virtio 9p crc32c_generic ip_vs ip_vs_rr ip_vs_wrr)
# Modules shipped for request_module autoloading (busybox modprobe + modules.dep), with dependencies.
# Every IPVS module is shipped too.
ship_modules=(veth dummy bridge 8021q macvlan ipvlan nf_nat nf_conntrack_netlink)

log() { printf 'ipvs-vm build: %s\n' "$*" >&2; }
die() {
    log "error: $*"
    exit 1
}

mkdir -p "$cache/debs"
exec 9>"$cache/.lock"
flock 9

# Fast path: the same scripts and the same apt package lists (and sources, pins) as the current
# image's build resolve to the same packages, so the apt-cache lookups (about 1 s each) are skipped.
fastkey() {
    (cat "$here/build.sh" "$here/init" &&
        stat -c '%n %s %Y' /var/lib/apt/lists/* /etc/apt/sources.list* /etc/apt/sources.list.d/* \
            /etc/apt/preferences* /etc/apt/preferences.d/* 2>/dev/null) | sha256sum | cut -c1-16
}
fast=$(fastkey)
if [ -f "$cache/current/done" ] && [ "$(cat "$cache/current/fastkey" 2>/dev/null)" = "$fast" ]; then
    log "cached: $(readlink -f "$cache/current") (package lists unchanged)"
    exit 0
fi

start=$SECONDS

# --- what apt would download: the key -----------------------------------------------------------
# resolve: sets kernel_pkg, pkgs (package names), list (`apt-get download --print-uris` lines:
# 'URI' FILE SIZE SHA256:HASH), key and out.
resolve() {
    local p closure
    kernel_pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
        awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
    [ -n "$kernel_pkg" ] || die "apt-cache finds no linux-image-amd64 (apt-get update?)"
    mapfile -t closure < <(
        apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
            --no-replaces --no-enhances "${tools[@]}" libc6 libgcc-s1 | grep -v '^[ <]' | sort -u
    )
    pkgs=("$kernel_pkg")
    for p in "${closure[@]}"; do
        case " ${tools[*]} " in *" $p "*) pkgs+=("$p") && continue ;; esac
        # libelogind0 would clash with libsystemd0 (both provide libsystemd.so.0).
        [[ $p == lib* && $p != libelogind0 ]] && pkgs+=("$p")
    done
    list=$(apt-get download --print-uris "${pkgs[@]}" 2>/dev/null | sort) || true
    [ "$(printf '%s\n' "$list" | grep -c .)" -eq "${#pkgs[@]}" ] || return 1
    key=$( (cat "$here/build.sh" "$here/init" && printf '%s\n' "$list" | awk '{print $2, $3, $4}') |
        sha256sum | cut -c1-16)
    out=$cache/$key
}
use_cached() {
    [ -f "$out/done" ] || return 0
    fastkey >"$out/fastkey"
    ln -sfn "$key" "$cache/current"
    log "cached: $out"
    exit 0
}
# download: fetches the .debs of `list` not in $cache/debs yet.
download() {
    local file need=()
    while read -r _ file _; do
        [ -s "$cache/debs/$file" ] || need+=("${file%%_*}")
    done <<<"$list"
    [ ${#need[@]} -eq 0 ] && return 0
    log "downloading ${#need[@]} packages"
    (cd "$cache/debs" && apt-get download -q -o APT::Sandbox::User=root "${need[@]}" >/dev/null)
}
# Stale package lists name files the mirror no longer has: update them once and resolve again.
updated=
if ! resolve; then
    log "apt-get update (the package lists lack some of ${#pkgs[@]} packages)"
    apt-get update -q >/dev/null && updated=1
    resolve || die "apt-get download --print-uris lacks packages after apt-get update"
fi
use_cached
if ! download; then
    [ -z "$updated" ] || die "apt-get download failed"
    log "apt-get update (download failed)"
    apt-get update -q >/dev/null
    resolve || die "apt-get download --print-uris lacks packages after apt-get update"
    use_cached
    download || die "apt-get download failed"
fi

# --- unpack ---------------------------------------------------------------------------------------
work=$cache/work.$$
rm -rf "$cache"/work.* "$out"
mkdir -p "$work/sysroot" "$work/kernel" "$work/rootfs" "$out"
trap 'rm -rf "$work"' EXIT
while read -r _ file _; do
    deb=$cache/debs/$file
    if [[ $file == "${kernel_pkg}_"* ]]; then
        dpkg-deb -x "$deb" "$work/kernel"
    else
        dpkg-deb -x "$deb" "$work/sysroot"
    fi
done <<<"$list"
log "unpacked ${#pkgs[@]} packages ($((SECONDS - start)) s)"

sr=$work/sysroot
rf=$work/rootfs
bb=$sr/bin/busybox
[ -x "$bb" ] || die "busybox-static did not unpack to /bin/busybox"

# Follows symlinks inside the sysroot (absolute targets are sysroot-relative).
sr_resolve() {
    local p=$1 t n=0
    while [ -L "$p" ] && [ $n -lt 20 ]; do
        t=$(readlink "$p")
        if [[ $t == /* ]]; then p=$sr$t; else p=$(dirname "$p")/$t; fi
        n=$((n + 1))
    done
    printf '%s\n' "$p"
}
# /bin, /sbin, /lib and /lib64 are symlinks into /usr in the guest (merged /usr).
merged() {
    case $1 in
    bin/* | sbin/* | lib/* | lib64/*) printf 'usr/%s\n' "$1" ;;
    *) printf '%s\n' "$1" ;;
    esac
}
# put REL [DEST_REL]: copies the sysroot file REL (dereferenced) to the rootfs.
put() {
    local src dst
    src=$(sr_resolve "$sr/$1")
    [ -f "$src" ] || die "missing in the sysroot: $1"
    dst=$rf/$(merged "${2:-$1}")
    mkdir -p "$(dirname "$dst")"
    rm -f "$dst" # never write through a symlink (an applet link) to the host's file
    cp "$src" "$dst"
}
ldso=$sr/lib/$arch/ld-linux-x86-64.so.2
libpath=$sr/lib/$arch:$sr/usr/lib/$arch
# put_elf REL: the binary plus every shared library it needs, found with the sysroot's own loader.
put_elf() {
    local bin=$1 line name path d
    put "$bin"
    # A busybox applet of the same name in the other bin directory would shadow it in PATH.
    for d in usr/bin usr/sbin; do
        [[ $(readlink "$rf/$d/${bin##*/}") == *busybox ]] &&
            ln -sfr "$rf/$(merged "$bin")" "$rf/$d/${bin##*/}"
    done
    while read -r line; do
        case $line in
        *"=> not found"*) die "$bin: ${line%% *} not found in the sysroot" ;;
        *"=> /"*)
            name=${line%% =>*}
            [[ $name == /* ]] && continue # the interpreter, put below
            path=${line#*=> }
            path=${path% (*}
            rm -f "$rf/usr/lib/$arch/$name"
            cp "$(sr_resolve "$path")" "$rf/usr/lib/$arch/$name"
            ;;
        esac
    done < <("$ldso" --library-path "$libpath" --list "$(sr_resolve "$sr/$bin")" 2>&1 || true)
}

# --- rootfs ---------------------------------------------------------------------------------------
mkdir -p "$rf"/usr/{bin,sbin,lib/"$arch",lib64} "$rf"/{dev,proc,sys,run,tmp,root,etc,mnt,ctl,var}
for d in bin sbin lib lib64; do ln -s "usr/$d" "$rf/$d"; done
ln -s ../run "$rf/var/run"
ln -s ../tmp "$rf/var/tmp"
chmod 1777 "$rf/tmp"
put bin/busybox
while read -r applet; do
    dst=$rf/$(merged "$applet")
    # Relative links: an absolute one would point at the host's file while the rootfs is built.
    [ -e "$dst" ] || [ -L "$dst" ] || ln -sr "$rf/usr/bin/busybox" "$dst"
done < <("$bb" --list-full)
# Real tools over the applets: busybox ash would run its own `ip` applet before PATH, so /bin/sh is bash.
put_elf bin/bash
ln -sfn bash "$rf/usr/bin/sh"
put_elf sbin/ipvsadm
for t in bin/ip bin/ss sbin/bridge sbin/tc usr/bin/nstat usr/sbin/genl; do put_elf "$t"; done
put_elf usr/sbin/keepalived
# Rust binaries built on the host need libgcc_s; the rest of glibc for anything dlopen-ed or
# built elsewhere.
for l in libc.so.6 libm.so.6 libpthread.so.0 libdl.so.2 librt.so.1 libresolv.so.2 \
    libnss_files.so.2 libnss_dns.so.2 libutil.so.1 libgcc_s.so.1; do
    [ -e "$sr/lib/$arch/$l" ] && put "lib/$arch/$l"
done
put "lib/$arch/ld-linux-x86-64.so.2"
ln -sfn "../lib/$arch/ld-linux-x86-64.so.2" "$rf/usr/lib64/ld-linux-x86-64.so.2"
for f in etc/protocols etc/services; do put "$f"; done
for d in usr/share/iproute2 etc/iproute2; do
    [ -d "$sr/$d" ] && mkdir -p "$rf/${d%/*}" && cp -r "$sr/$d" "$rf/${d%/*}/"
done
cat >"$rf/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/bash
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
keepalived_script:x:999:999:keepalived scripts:/nonexistent:/usr/sbin/nologin
EOF
cat >"$rf/etc/group" <<'EOF'
root:x:0:
nogroup:x:65534:
keepalived_script:x:999:
EOF
printf 'passwd: files\ngroup: files\nshadow: files\nhosts: files\n' >"$rf/etc/nsswitch.conf"
printf '127.0.0.1 localhost\n::1 localhost\n' >"$rf/etc/hosts"
echo ipvsvm >"$rf/etc/hostname"
install -m 755 "$here/init" "$rf/init"
if ! mknod -m 600 "$rf/dev/console" c 5 1 2>/dev/null; then
    log "warning: no mknod; the guest's init reopens /dev/console after mounting devtmpfs"
fi

# --- kernel and modules ---------------------------------------------------------------------------
kver=$(ls "$work/kernel/lib/modules")
[ "$(printf '%s\n' "$kver" | wc -l)" = 1 ] || die "expected one kernel in $kernel_pkg: $kver"
kmod=$work/kernel/lib/modules/$kver
declare -A ko # module name (with _) -> path relative to $kmod
while read -r rel; do
    n=${rel##*/}
    n=${n%%.ko*}
    ko[${n//-/_}]=$rel
done < <(cd "$kmod" && find kernel -name '*.ko*')
# The module file uncompressed on stdout (Debian 12 ships them uncompressed).
ko_cat() {
    case $1 in
    *.ko.xz) xz -dc "$1" ;;
    *.ko.zst) zstd -dcq "$1" ;;
    *.ko.gz) gzip -dc "$1" ;;
    *) cat "$1" ;;
    esac
}
# Depth-first over the `depends=` entry of each module's .modinfo (NUL-separated key=value
# strings): appends to `order` after the dependencies, so `order` is a valid insmod order.
declare -A seen
order=()
visit() {
    local m=${1//-/_} d deps
    [ -n "${seen[$m]:-}" ] && return
    seen[$m]=1
    [ -n "${ko[$m]:-}" ] || die "module $m is not in $kernel_pkg"
    deps=$(ko_cat "$kmod/${ko[$m]}" | tr '\0' '\n' | sed -n 's/^depends=//p' | head -1)
    for d in ${deps//,/ }; do visit "$d"; done
    order+=("$m")
}
for m in "${boot_modules[@]}"; do visit "$m"; done
boot=("${order[@]}")
for m in "${ship_modules[@]}"; do visit "$m"; done
for m in "${!ko[@]}"; do [[ ${ko[$m]} == kernel/net/netfilter/ipvs/* ]] && visit "$m"; done
gmod=$rf/lib/modules/$kver
for m in "${order[@]}"; do
    mkdir -p "$gmod/$(dirname "${ko[$m]%%.ko*}.ko")"
    ko_cat "$kmod/${ko[$m]}" >"$gmod/${ko[$m]%%.ko*}.ko"
done
: >"$rf/etc/modules.load"
for m in "${boot[@]}"; do
    echo "${ko[$m]%%.ko*}.ko" >>"$rf/etc/modules.load"
done
cp "$kmod"/modules.{builtin,builtin.modinfo,order} "$gmod/" 2>/dev/null || true
"$bb" depmod -b "$rf" "$kver"
# An autoloaded `dummy` would create a dummy0 nobody asked for.
mkdir -p "$rf/etc/modprobe.d"
echo 'options dummy numdummies=0' >"$rf/etc/modprobe.d/dummy.conf"
[ -s "$gmod/modules.dep" ] || die "depmod wrote no modules.dep"

# The kernel: the ELF inside the bzImage's XZ payload boots directly (PVH), which skips the
# decompressor, about 2 s under TCG (as scripts/extract-vmlinux finds it: the first XZ magic).
bz=$work/kernel/boot/vmlinuz-$kver
off=$(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$bz" | head -1 | cut -d: -f1)
[ -n "$off" ] || die "no XZ payload in $bz"
tail -c +$((off + 1)) "$bz" | xz -dcq >"$out/vmlinux" 2>/dev/null || true
[ "$(head -c 4 "$out/vmlinux" | od -An -tx1 | tr -d ' ')" = 7f454c46 ] || die "vmlinux is not ELF"
cp "$bz" "$out/vmlinuz"

# --- initramfs ------------------------------------------------------------------------------------
(cd "$rf" && find . -mindepth 1 | LC_ALL=C sort | "$bb" cpio -o -H newc -R 0:0 2>/dev/null) \
    >"$out/initramfs.cpio"
{
    echo "key $key"
    echo "kernel $kver ($kernel_pkg)"
    echo "boot modules: ${boot[*]}"
    echo "shipped modules: ${#order[@]}"
    printf '%s\n' "$list" | awk '{print $2}'
} >"$out/manifest"
fastkey >"$out/fastkey"
touch "$out/done"
ln -sfn "$key" "$cache/current"

# Only the current image and its .debs stay.
for d in "$cache"/*/; do
    d=${d%/}
    case ${d##*/} in "$key" | debs | current) ;; *) rm -rf "$d" ;; esac
done
for f in "$cache"/debs/*.deb; do
    grep -qF " ${f##*/} " <<<"$list" || rm -f "$f"
done
log "built $out in $((SECONDS - start)) s: $(du -h "$out/vmlinux" | cut -f1) vmlinux," \
    "$(du -h "$out/initramfs.cpio" | cut -f1) initramfs, ${#order[@]} modules (${#boot[@]} at boot)"
