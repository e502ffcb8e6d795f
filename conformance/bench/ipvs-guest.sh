# Runs inside the IPVS guest for conformance/bench/ipvs.rs (which embeds it):
#   bash ipvs-guest.sh IMPL START.conf RELOAD.conf DESTS CHANGED STRACE LAST_VS LAST_RS CHANGED_VS CHANGED_RS
# IMPL: rs (./keepalived-rs) or ka (Debian's keepalived -C). The table is complete when
# /proc/net/ip_vs holds DESTS destinations; the reload converged when CHANGED destinations show
# weight 7 (the reload configuration's changed weight). Reading /proc/net/ip_vs whole costs the
# one vCPU tens of ms under emulation, so the poll watches the last service (LAST_VS, its last
# real server LAST_RS; CHANGED_RS of CHANGED_VS the last changed one) with ipvsadm, and counts the whole table
# only once that is there (both daemons send in the configuration's order). Times: bash's
# $EPOCHREALTIME around polls every 10 ms. Prints `@key value` lines for the host. STRACE=1 adds a second start and reload
# under `strace -f` (the host's strace, copied to ./strace with its libraries), counting the
# netlink system calls before and after the SIGHUP.
set -u
impl=$1 start_conf=$2 reload_conf=$3 dests=$4 changed=$5 use_strace=$6
last_vs=$7 last_rs=$8 changed_vs=$9 changed_rs=${10}
now() { echo "${EPOCHREALTIME/./}"; }
ms() { echo $((($2 - $1) / 1000)); }
ndests() { grep -c -- '->' /proc/net/ip_vs; }
nchanged() { grep -c 'Masq    7 ' /proc/net/ip_vs; }
# weight_of VS RS: the weight of VS's real server RS (empty when absent).
weight_of() { ipvsadm -Ln -t "$1" 2>/dev/null | awk -v r="$2" '$2 == r {print $4}'; }
complete() { [ -n "$(weight_of "$last_vs" "$last_rs")" ] && ndests || echo 0; }
converged() { [ "$(weight_of "$changed_vs" "$changed_rs")" = 7 ] && nchanged || echo 0; }
# wait_until FN WANT: polls until FN prints at least WANT. 100 s deadline, then `@$tkey`.
tkey=timeout
wait_until() {
    local end=$((SECONDS + 100)) n
    while :; do
        n=$($1)
        [ "$n" -ge "$2" ] && return 0
        [ $SECONDS -ge $end ] && { echo "@$tkey $1 $n of $2"; tail -5 /tmp/d.log; return 1; }
        sleep 0.01
    done
}
start() {
    cp "$start_conf" /tmp/cur.conf
    if [ "$impl" = rs ]; then
        $1 ./keepalived-rs -n -G -l -D -f /tmp/cur.conf -p /run/d.pid >/tmp/d.log 2>&1 &
    else
        $1 keepalived -n -G -l -D -C -f /tmp/cur.conf -p /run/d.pid -c /run/d-c.pid >/tmp/d.log 2>&1 &
    fi
    bg=$!
}
daemon_pids() {
    local p
    for p in /proc/[0-9]*; do
        case $(cat "$p/comm" 2>/dev/null) in keepalived | keepalived-rs) echo "${p#/proc/}" ;; esac
    done
}
# rss SUFFIX: VmRSS of every process of the daemon, summed and each.
rss() {
    local p kb total=0 each=""
    for p in $(daemon_pids); do
        kb=$(awk '/^VmRSS/ {print $2}' "/proc/$p/status")
        total=$((total + kb))
        each="$each $p:${kb}kB"
    done
    echo "@rss_kb$1 $total"
    echo "@rss_each$1$each"
}

# --- timed start and reload
t0=$(now)
start ""
wait_until complete "$dests" || exit 1
t1=$(now)
echo "@start_ms $(ms "$t0" "$t1")"
sleep 1
rss ""
[ "$impl" = rs ] && pid=$(cat /run/d.pid) || pid=$(cat /run/d.pid)
mark=$(wc -l </tmp/d.log)
cp "$reload_conf" /tmp/cur.conf
t0=$(now)
kill -HUP "$pid"
wait_until converged "$changed" || exit 1
t1=$(now)
echo "@reload_ms $(ms "$t0" "$t1")"
sleep 0.5
tail -n +$((mark + 1)) /tmp/d.log >/tmp/reload.log
echo "@reload_adds $(grep -c 'IPVS: adding real server\|Adding service \[' /tmp/reload.log)"
echo "@reload_dels $(grep -c 'IPVS: removing real server\|Removing service \[' /tmp/reload.log)"
echo "@reload_read $(sed -n 's/.*Reload finished in \(.*\)/\1/p' /tmp/reload.log | tail -1)"
rss 2
grep -i 'error\|warn' /tmp/d.log | head -3 | sed 's/^/@log /'
# Without strace the run ends here: the guest powers off (a stop of 40,000 destinations under
# emulation costs tens of seconds).
[ "$use_strace" = 1 ] || exit 0
kill -TERM "$pid"
wait "$bg"
ipvsadm -C

# --- the same under strace: netlink system calls before and after the SIGHUP
export LD_LIBRARY_PATH=$PWD/strace
tr=/tmp/trace
# Under strace a daemon may stall (seen: ours, its replies lost while strace slowed it): reported,
# not fatal.
tkey=strace_stalled
stalled() {
    kill -KILL $(daemon_pids)
    wait "$bg"
    echo "@sys_start $(grep -c -E '^[0-9]+ +[0-9.]+ (send|recv)' "$tr")"
    echo "@strace_errors $(grep -c -E 'ENOBUFS|EAGAIN' "$tr")"
    exit 0
}
start "./strace/strace -f -ttt -s 0 -o $tr -e trace=sendmsg,sendto,recvmsg,recvfrom,sendmmsg,recvmmsg"
wait_until complete "$dests" || stalled
sleep 0.5
pid=$(cat /run/d.pid)
hup=$EPOCHREALTIME
cp "$reload_conf" /tmp/cur.conf
kill -HUP "$pid"
wait_until converged "$changed" || stalled
sleep 0.5
kill -KILL $(daemon_pids)
wait "$bg"
awk -v hup="$hup" '$2 + 0 > 0 && $3 ~ /^(send|recv)/ { if ($2 < hup) a++; else b++ } END { printf "@sys_start %d\n@sys_reload %d\n", a, b }' "$tr"
exit 0
