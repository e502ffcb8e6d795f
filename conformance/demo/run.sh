#!/usr/bin/env bash
# The README's run command: two keepalived-rs routers elect a master for one virtual address;
# the master is frozen (SIGSTOP) and the backup takes over, then it is thawed and preempts back,
# then both stop (SIGTERM) and leave nothing behind. Times are measured and compared with RFC 3768.
#
# Lab (see ../shared/reference/lab.md): a bridge namespace and two router namespaces, each with a
# veth named eth0 on the bridge; IPv4 only (IPv6 is turned off in the routers). Both daemons read
# conformance/demo/keepalived.conf; `-i r1` / `-i r2` select its @r1 / @r2 lines (priority 150 and
# 100). VRRPv2, advert_int 1, so the numbers compare with keepalived's (about 3.6 s).
#
# Needs root, iproute2 and the repository (it builds the binary; KEEPALIVED_RS_BIN=path skips the
# build). Every wait polls something observable against a deadline. Everything it creates is
# removed on exit, also when a step fails; then the daemons' logs are printed and it exits 1.
set -euo pipefail
export LC_ALL=C # $EPOCHREALTIME with a decimal point
cd "$(dirname "$0")/../.."
repo=$PWD
conf=conformance/demo/keepalived.conf

fail() {
    echo "demo: FAILED: $*" >&2
    exit 1
}

[ "$(id -u)" = 0 ] || { echo "demo: needs root (network namespaces): sudo $0" >&2; exit 1; }
command -v ip >/dev/null || { echo "demo: needs iproute2 (ip)" >&2; exit 1; }

# --- the binary ------------------------------------------------------------------------------
bin=${KEEPALIVED_RS_BIN:-}
if [ -z "$bin" ]; then
    bin=$repo/target/release/keepalived-rs
    if [ -n "${SUDO_USER:-}" ] && [ "$SUDO_USER" != root ] && command -v sudo >/dev/null; then
        # Under sudo, build as the user who ran it so that target/ stays theirs.
        sudo -u "$SUDO_USER" -H bash -lc 'cd "$1" && cargo build --release --quiet' _ "$repo" ||
            fail "cargo build as $SUDO_USER (set KEEPALIVED_RS_BIN=path to use a built binary)"
    elif command -v cargo >/dev/null; then
        cargo build --release --quiet || fail "cargo build"
    elif [ -x "$bin" ]; then
        echo "demo: no cargo here; using the existing $bin"
    else
        fail "no cargo to build $bin (set KEEPALIVED_RS_BIN=path)"
    fi
fi
[ -x "$bin" ] || fail "$bin is not an executable"
for id in r1 r2; do
    "$bin" -t -f "$conf" -i "$id" 2>/dev/null || fail "keepalived-rs -t -f $conf -i $id"
done
# The numbers the RFC predicts, from the configuration itself.
cfg() { sed -n "/^ *$1 /{s/^ *$1 *\([0-9.]*\).*/\1/p;q}" "$conf"; }
prio1=$(cfg '@r1 priority') prio2=$(cfg '@r2 priority') adv=$(cfg advert_int)
vip=$(sed -n '/virtual_ipaddress/{n;s/^ *\([0-9.]*\).*/\1/p}' "$conf")
[ -n "$prio1" ] && [ -n "$prio2" ] && [ "$adv" = 1 ] && [ -n "$vip" ] || fail "unexpected $conf"
skew_ms=$(((256 - prio2) * 1000 / 256)) # VRRPv2 Skew_Time of r2
down_ms=$((3 * 1000 + skew_ms))         # Master_Down_Interval of r2
down1_ms=$((3 * 1000 + (256 - prio1) * 1000 / 256))

# --- the lab ---------------------------------------------------------------------------------
tag=krs-demo-$$
br=$tag-br
ns=([1]=$tag-r1 [2]=$tag-r2)
work=$(mktemp -d /tmp/krs-demo.XXXXXX)
pid=() created=()

cleanup() {
    local rc=$? n p
    [ "$BASHPID" = "$$" ] || return 0 # the main shell only, not a $(...) it runs
    set +e
    trap - INT TERM
    for n in "${created[@]}"; do
        for p in $(ip netns pids "$n" 2>/dev/null); do kill -CONT "$p"; kill -TERM "$p"; done
    done 2>/dev/null
    # Give the daemons a moment to stop cleanly, then no more.
    for _ in $(seq 100); do
        p=""
        for n in "${created[@]}"; do p+=$(ip netns pids "$n" 2>/dev/null); done
        [ -z "$p" ] && break
        sleep 0.02
    done
    for n in "${created[@]}"; do
        for p in $(ip netns pids "$n" 2>/dev/null); do kill -KILL "$p"; done
        ip netns del "$n"
    done 2>/dev/null
    wait 2>/dev/null
    if [ "$rc" != 0 ] && [ "$rc" != 130 ] && [ "$rc" != 143 ]; then
        for i in 1 2; do
            [ -s "$work/r$i.log" ] || continue
            echo "--- r$i log (last 40 lines)" >&2
            tail -n 40 "$work/r$i.log" >&2
        done
    fi
    rm -rf "$work"
    exit "$rc"
}
trap cleanup EXIT
trap 'echo "demo: interrupted" >&2; exit 130' INT
trap 'echo "demo: terminated" >&2; exit 143' TERM

# until_ok SECS CMD...: runs CMD every 10 ms until it succeeds; false after SECS.
until_ok() {
    local end=$((${EPOCHREALTIME/./} + $1 * 1000000))
    shift
    until "$@"; do
        [ "${EPOCHREALTIME/./}" -lt "$end" ] || return 1
        sleep 0.01
    done
}
addrs() { # router -> its IPv4 addresses on eth0, on one line
    local a
    a=$(ip -n "${ns[$1]}" -4 -o addr show dev eth0 | sed -n 's/.* inet \([^ ]*\) .*/\1/p')
    echo $a
}
has_vip() { [[ " $(addrs "$1")" == *" $vip/"* ]]; }
no_vip() { ! has_vip "$1"; }
# The last state router $1 logged ("Entering MASTER STATE" -> MASTER).
state() { sed -n 's/.*(VI_1) Entering \([A-Z]*\) STATE.*/\1/p' "$work/r$1.log" | tail -1; }
is_state() { [ "$(state "$1")" = "$2" ]; }
# Monitor lines of router $1 after line $2 that match $3: their time in us since the epoch.
lines() { wc -l <"$work/r$1.mon"; }
seen() { grep -m1 -e "$3" <(tail -n +"$(($2 + 1))" "$work/r$1.mon") >"$work/hit"; }
seen_at() { # router from-line pattern deadline: sets $at to the time of the line in us
    until_ok "$4" seen "$1" "$2" "$3" || return 1
    at=$(date -d "$(sed -n 's/^\[\([^]]*\)\].*/\1/p' "$work/hit")" +%s%6N)
}
vip_added="^\[[^]]*\] [0-9]*: eth0 *inet $vip/"
vip_deleted="^\[[^]]*\] Deleted [0-9]*: eth0 *inet $vip/"
tx_packets() { # router -> packets sent on eth0
    local out
    out=$(ip -n "${ns[$1]}" -s -o link show dev eth0)
    [[ $out =~ TX:[^0-9]*[0-9]+\ +([0-9]+) ]] && echo "${BASH_REMATCH[1]}"
}
# Gone (bash reaps its children as they end) or a zombie: the process has exited.
exited() { local st=Z; read -r _ _ st _ 2>/dev/null <"/proc/$1/stat"; [ "$st" = Z ]; }
stop_status() { # router deadline: waits for the daemon to exit, returns its status
    until_ok "$2" exited "${pid[$1]}" || fail "r$1 did not exit within $2 s"
    local st=0
    wait "${pid[$1]}" || st=$?
    return "$st"
}
ms() { echo $((($1 + 500) / 1000)); }

ip netns add "$br"
created+=("$br")
ip -n "$br" link add br0 type bridge stp_state 0 forward_delay 0 mcast_snooping 0
ip -n "$br" link set br0 up
for i in 1 2; do
    ip netns add "${ns[$i]}"
    created+=("${ns[$i]}")
    ip -n "$br" link add "p$i" type veth peer name eth0 netns "${ns[$i]}"
    ip -n "$br" link set "p$i" master br0 up
    # IPv4 only: no router solicitations, MLD reports or DAD on the wire.
    ip netns exec "${ns[$i]}" sh -c 'for f in all default eth0; do
        [ -w /proc/sys/net/ipv6/conf/$f/disable_ipv6 ] && echo 1 >/proc/sys/net/ipv6/conf/$f/disable_ipv6
        done; true'
    ip -n "${ns[$i]}" link set lo up
    ip -n "${ns[$i]}" link set eth0 up
    ip -n "${ns[$i]}" -ts monitor address >"$work/r$i.mon" 2>&1 &
done
# The monitors are listening once they report the routers' own addresses.
for i in 1 2; do
    ip -n "${ns[$i]}" addr add "192.0.2.$i/24" dev eth0
    until_ok 5 seen "$i" 0 "inet 192.0.2.$i/" || fail "ip monitor in ${ns[$i]} does not report"
done

echo "== keepalived-rs VRRP demo: VRRPv2, advert_int $adv s, VIP $vip, namespaces $tag-{br,r1,r2}"

# --- start -----------------------------------------------------------------------------------
t0=${EPOCHREALTIME/./}
for i in 1 2; do
    ip netns exec "${ns[$i]}" "$bin" -n -l -D -f "$repo/$conf" -i "r$i" -p "$work/r$i.pid" \
        >"$work/r$i.log" 2>&1 &
    pid[$i]=$!
done
until_ok 10 has_vip 1 || fail "r1 did not take the VIP"
t=${EPOCHREALTIME/./}
until_ok 5 is_state 1 MASTER || fail "r1 did not log MASTER"
until_ok 5 is_state 2 BACKUP || fail "r2 did not log BACKUP"
no_vip 2 || fail "r2 holds the VIP too"
echo "-- started r1 (-i r1, priority $prio1) and r2 (-i r2, priority $prio2)"
echo "   r1 $(state 1) after $(ms $((t - t0))) ms (its Master_Down_Interval: $down1_ms ms): eth0 $(addrs 1)"
echo "   r2 $(state 2): eth0 $(addrs 2)"

# --- freeze the master, right after one of its adverts ---------------------------------------
# Poll its packet counter; the advert went out after the last poll that saw no change began.
t_last=${EPOCHREALTIME/./}
before=$(tx_packets 1)
end=$((t_last + 3000000))
while :; do
    t_poll=${EPOCHREALTIME/./}
    [ "$t_poll" -lt "$end" ] || fail "r1 sent nothing for 3 s"
    if [ "$(tx_packets 1)" != "$before" ]; then
        t_stop=${EPOCHREALTIME/./}
        kill -STOP "${pid[1]}"
        break
    fi
    t_last=$t_poll
done
n=$(lines 2)
seen_at 2 "$n" "$vip_added" 10 || fail "r2 did not take the VIP after r1 froze"
t_vip=$at
until_ok 5 is_state 2 MASTER || fail "r2 did not log MASTER"
echo "-- SIGSTOP r1 (at most $(ms $((t_stop - t_last))) ms after its last advert)"
echo "   r2 $(state 2) with $vip $(ms $((t_vip - t_stop))) ms after the freeze;" \
    "Master_Down_Interval = 3 x $adv s + (256-$prio2)/256 s = $down_ms ms"

# --- thaw it: it preempts back ---------------------------------------------------------------
n=$(lines 2)
t=${EPOCHREALTIME/./}
kill -CONT "${pid[1]}"
seen_at 2 "$n" "$vip_deleted" 5 || fail "r2 kept the VIP after r1 came back"
t_del=$at
until_ok 5 is_state 2 BACKUP || fail "r2 did not log BACKUP"
has_vip 1 || fail "r1 lost the VIP"
echo "-- SIGCONT r1: priority $prio1 > $prio2, it preempts"
echo "   r2 $(state 2) and without $vip $(ms $((t_del - t))) ms later; r1 $(state 1): eth0 $(addrs 1)"

# --- stop the master: priority 0 hands over at once ------------------------------------------
n=$(lines 2)
t=${EPOCHREALTIME/./}
kill -TERM "${pid[1]}"
seen_at 2 "$n" "$vip_added" 5 || fail "r2 did not take over after r1's priority 0"
t_vip=$at
st=0
stop_status 1 5 || st=$?
[ "$st" = 0 ] || fail "r1 exited with status $st"
no_vip 1 || fail "r1 left $vip behind"
grep -q "sent 0 priority" "$work/r1.log" || fail "r1 did not log its priority-0 advert"
echo "-- SIGTERM r1: exit 0, priority-0 advert sent, $vip removed"
echo "   r2 $(state 2) with $vip $(ms $((t_vip - t))) ms later;" \
    "Skew_Time = (256-$prio2)/256 s = $skew_ms ms"

# --- stop the other --------------------------------------------------------------------------
kill -TERM "${pid[2]}"
st=0
stop_status 2 5 || st=$?
[ "$st" = 0 ] || fail "r2 exited with status $st"
for i in 1 2; do
    no_vip "$i" || fail "r$i left $vip behind"
    [ ! -e "$work/r$i.pid" ] || fail "r$i left its pid file behind"
done
echo "-- SIGTERM r2: exit 0; no $vip left: r1 eth0 $(addrs 1), r2 eth0 $(addrs 2)"
echo "== OK. What the daemons logged (-D) about their states:"
for i in 1 2; do
    grep -h -e Entering -e "priority 0" -e "sent 0 priority" -e "er priority" -e ") Stopped" \
        "$work/r$i.log" | sed -E "s/^[A-Za-z]+ [A-Za-z]+ +[0-9]+ ([0-9:]+) [0-9]+: /   r$i \1 /"
done
