#!/usr/bin/env bash
# Builds the Debian binary package of keepalived-rs from an already built binary, with dpkg-deb
# only (no debhelper, no cargo-deb): packaging/README.md says why.
#
#   packaging/debian/build.sh [BINARY [OUTDIR]]
#
# BINARY defaults to the static x86_64 build (.ci/run builds it):
#   CARGO_TARGET_X86_64_UNKNOWN_LINUX_MUSL_LINKER=rust-lld \
#       cargo build --release --target x86_64-unknown-linux-musl
# OUTDIR defaults to target/debian. Prints the path of OUTDIR/keepalived-rs_VERSION_ARCH.deb.
#
# The architecture comes from the binary (x86-64: amd64, AArch64: arm64). A static binary gets
# no Depends; a dynamically linked one (a plain `cargo build`) gets what dpkg-shlibdeps finds
# (libc6, libgcc-s1; dpkg-dev needed). The packaged binary is stripped.
# SOURCE_DATE_EPOCH (default: the last commit's time) sets every timestamp: the same inputs
# give the same .deb.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
bin=${1:-$top/target/x86_64-unknown-linux-musl/release/keepalived-rs}
out=${2:-$top/target/debian}

die() { echo "build.sh: $*" >&2; exit 1; }
[ -x "$bin" ] || die "no binary at $bin (build it first, see the head of this script)"
command -v dpkg-deb >/dev/null || die "dpkg-deb not found (package dpkg)"
command -v readelf >/dev/null || die "readelf not found (package binutils)"

version=$(sed -n 's/^version = "\(.*\)"$/\1/p' "$top/Cargo.toml" | head -n1)
[ -n "$version" ] || die "no version in Cargo.toml"
case "$(readelf -h "$bin" | sed -n 's/^ *Machine: *//p')" in
    *X86-64*) arch=amd64 ;;
    AArch64) arch=arm64 ;;
    *) die "$bin: unknown machine" ;;
esac
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git -C "$top" log -1 --format=%ct 2>/dev/null || date +%s)}

stage=$(mktemp -d "${TMPDIR:-/tmp}/keepalived-rs-deb.XXXXXX")
trap 'rm -rf "$stage"' EXIT
root=$stage/root
doc=$root/usr/share/doc/keepalived-rs
install -d -m 755 "$root/DEBIAN" "$root/usr/sbin" "$root/usr/share/man/man5" \
    "$root/usr/share/man/man8" "$root/usr/lib/systemd/system" "$root/etc/keepalived" "$doc"

install -m 755 "$bin" "$root/usr/sbin/keepalived-rs"
# No symbols, no .comment (Debian policy 10.1, lintian). The host's strip may not read a foreign
# architecture: that binary stays as cargo's release profile stripped it.
strip --strip-unneeded --remove-section=.comment --remove-section=.note \
    "$root/usr/sbin/keepalived-rs" 2>/dev/null ||
    echo "build.sh: the host's strip cannot read $bin: packaged as it is" >&2
gzip -9n <"$top/man/keepalived-rs.8" >"$root/usr/share/man/man8/keepalived-rs.8.gz"
gzip -9n <"$top/man/keepalived-rs.conf.5" >"$root/usr/share/man/man5/keepalived-rs.conf.5.gz"
install -m 644 "$top/packaging/systemd/keepalived-rs.service" "$root/usr/lib/systemd/system/"
install -m 644 "$here/keepalived.conf" "$root/etc/keepalived/keepalived.conf"
install -m 644 "$here/copyright" "$doc/copyright"
install -d -m 755 "$root/usr/share/lintian/overrides"
install -m 644 "$here/lintian-overrides" "$root/usr/share/lintian/overrides/keepalived-rs"
gzip -9n <"$here/README.Debian" >"$doc/README.Debian.gz"
maintainer=$(sed -n 's/^Maintainer: //p' "$here/control")
commit=$(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo unknown)
{
    printf 'keepalived-rs (%s) unstable; urgency=medium\n\n' "$version"
    printf '  * Built from the keepalived-rs source tree at commit %s.\n\n' "$commit"
    printf ' -- %s  %s\n' "$maintainer" "$(date -u -R -d "@$SOURCE_DATE_EPOCH")"
} | gzip -9n >"$doc/changelog.gz"
chmod 644 "$doc"/*.gz "$root"/usr/share/man/man*/*.gz

depends=
if readelf -l "$bin" | grep -q 'program interpreter'; then
    command -v dpkg-shlibdeps >/dev/null || die "dynamically linked binary: dpkg-shlibdeps (dpkg-dev) needed"
    mkdir -p "$stage/src/debian"
    printf 'Source: keepalived-rs\n\nPackage: keepalived-rs\nArchitecture: any\n' >"$stage/src/debian/control"
    depends=$(cd "$stage/src" && dpkg-shlibdeps -O -e "$root/usr/sbin/keepalived-rs" 2>/dev/null |
        sed -n 's/^shlibs:Depends=//p')
    [ -n "$depends" ] || die "dpkg-shlibdeps found no dependencies for a dynamic binary"
fi

for f in preinst postinst prerm postrm; do
    install -m 755 "$here/$f" "$root/DEBIAN/$f"
done
install -m 644 "$here/conffiles" "$root/DEBIAN/conffiles"
size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" -e "s/@SIZE@/$size/" "$here/control" \
    >"$root/DEBIAN/control"
if [ -n "$depends" ]; then
    # After Installed-Size, where dpkg-gencontrol puts it.
    sed -i "/^Installed-Size:/a Depends: $depends" "$root/DEBIAN/control"
fi
(cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | LC_ALL=C sort -z |
    xargs -0 md5sum) >"$root/DEBIAN/md5sums"
chmod 644 "$root/DEBIAN/md5sums" "$root/DEBIAN/control"
find "$root" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +

mkdir -p "$out"
deb=$out/keepalived-rs_${version}_$arch.deb
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
echo "$deb"
