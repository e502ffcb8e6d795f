# Runs inside the IPVS guest for conformance/bench/ipvs.rs (which embeds it):
#   bash ipvs-guest.sh IMPL START.conf RELOAD.conf DESTS CHANGED STRACE LAST_VS LAST_RS CHANGED_VS CHANGED_RS FIRST_VS FIRST_RS
# IMPL: rs (keepalived-rs) or ka (Debian's keepalived -C). Both binaries and configurations run from
# the guest's RAM (ours is copied out of the 9p share first: paging it in over 9p cost ~130 ms).
# The daemons share the guest's one vCPU with whatever watches them, so the watch is one process
# (`./ipvs-bench --poll`, the benchmark binary itself) asking the kernel for one service's real
# servers every 5 ms, not `ipvsadm` (about 150 ms of emulated CPU a run). Both daemons send in
# the configuration's order:
# - start: the first service's first real server (FIRST_VS FIRST_RS) is in: the kernel part
#   begins; the last one (LAST_VS LAST_RS): the table is complete (checked once by counting
#   /proc/net/ip_vs for DESTS destinations);
# - reload (every tenth destination goes to weight 7): the first changed one (FIRST_*) has weight
#   7: the new configuration was read; the last (CHANGED_VS CHANGED_RS): the kernel converged
#   (checked by counting CHANGED destinations of weight 7, `ipvs-bench --count`).
# Times: CLOCK_REALTIME in microseconds (bash's $EPOCHREALTIME, the poller's clock). Prints
# `@key value` lines for the host. STRACE=1 adds a second start and reload under `strace -f` (the
# host's strace, copied to ./strace with its libraries), counting the netlink system calls
# before and after the SIGHUP.
set -u
impl=$1 start_conf=$2 reload_conf=$3 dests=$4 changed=$5 use_strace=$6
last_vs=$7 last_rs=$8 changed_vs=$9 changed_rs=${10} first_vs=${11} first_rs=${12}
now() { echo "${EPOCHREALTIME/./}"; }
ms() { echo $((($2 - $1) / 1000)); }
# The table's destinations (of weight 7): over netlink (/proc/net/ip_vs costs minutes at 40,000).
ndests() { LD_LIBRARY_PATH=$libs ./ipvs-bench --count -; }
nchanged() { LD_LIBRARY_PATH=$libs ./ipvs-bench --count 7; }
cp ./keepalived-rs /tmp/keepalived-rs
libs=$PWD/libs
# poll VS RS WEIGHT: the time the kernel showed it (empty after the 100 s deadline).
poll() { LD_LIBRARY_PATH=$libs ./ipvs-bench --poll "$@"; }
tkey=timeout
# wait_until FN WANT: polls until FN prints at least WANT (a check after the poller said so;
# 100 s deadline, then `@$tkey`).
wait_until() {
    local end=$((SECONDS + 100)) n
    while :; do
        n=$($1)
        [ "$n" -ge "$2" ] && return 0
        [ $SECONDS -ge $end ] && { echo "@$tkey $1 $n of $2"; tail -5 /tmp/d.log; return 1; }
        sleep 0.05
    done
}
start() {
    cp "$start_conf" /tmp/cur.conf
    if [ "$impl" = rs ]; then
        $1 /tmp/keepalived-rs -n -G -l -f /tmp/cur.conf -p /run/d.pid >/tmp/d.log 2>&1 &
    else
        $1 keepalived -n -G -l -C -f /tmp/cur.conf -p /run/d.pid -c /run/d-c.pid >/tmp/d.log 2>&1 &
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
t1=$(poll "$first_vs" "$first_rs" -)
t2=$(poll "$last_vs" "$last_rs" -)
[ -n "$t1" ] && [ -n "$t2" ] || { echo "@$tkey start"; tail -5 /tmp/d.log; exit 1; }
wait_until ndests "$dests" || exit 1
echo "@start_ms $(ms "$t0" "$t2")"
echo "@start_kernel_ms $(ms "$t1" "$t2")"
sleep 1
rss ""
pid=$(cat /run/d.pid)
mark=$(wc -l </tmp/d.log)
cp "$reload_conf" /tmp/cur.conf
t0=$(now)
kill -HUP "$pid"
t1=$(poll "$first_vs" "$first_rs" 7)
t2=$(poll "$changed_vs" "$changed_rs" 7)
[ -n "$t1" ] && [ -n "$t2" ] || { echo "@$tkey reload"; tail -5 /tmp/d.log; exit 1; }
wait_until nchanged "$changed" || exit 1
echo "@reload_ms $(ms "$t0" "$t2")"
echo "@reload_first_ms $(ms "$t0" "$t1")"
echo "@reload_kernel_ms $(ms "$t1" "$t2")"
sleep 0.5
tail -n +$((mark + 1)) /tmp/d.log >/tmp/reload.log
adds=$(grep -c 'IPVS: adding real server\|Adding service \[' /tmp/reload.log)
dels=$(grep -c 'IPVS: removing real server\|Removing service \[' /tmp/reload.log)
# Ours sums up a large pass in one line: "S service(s) and R real server(s) to add, C to change, D to remove".
sum=$(sed -n 's/.* \([0-9]*\) service(s) and \([0-9]*\) real server(s) to add, [0-9]* to change, \([0-9]*\) to remove.*/\1 \2 \3/p' /tmp/reload.log | head -1)
if [ -n "$sum" ]; then
    read -r s_add r_add r_del <<<"$sum"
    adds=$((adds + s_add + r_add)) dels=$((dels + r_del))
fi
echo "@reload_adds $adds"
echo "@reload_dels $dels"
echo "@reload_read $(sed -n 's/.*Reload finished in \(.*\)/\1/p' /tmp/reload.log | tail -1)"
# Ours says how long the kernel took the changes (first sent -> last acknowledged).
took() { sed -n 's/.*the kernel took [0-9]* change(s) in \([0-9.]*\) ms/\1/p' | head -1; }
echo "@start_took $(head -n "$mark" /tmp/d.log | took)"
echo "@reload_took $(took </tmp/reload.log)"
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
[ -n "$(poll "$last_vs" "$last_rs" -)" ] || stalled
sleep 0.5
pid=$(cat /run/d.pid)
hup=$EPOCHREALTIME
cp "$reload_conf" /tmp/cur.conf
kill -HUP "$pid"
[ -n "$(poll "$changed_vs" "$changed_rs" 7)" ] || stalled
sleep 0.5
kill -KILL $(daemon_pids)
wait "$bg"
awk -v hup="$hup" '$2 + 0 > 0 && $3 ~ /^(send|recv)/ { if ($2 < hup) a++; else b++ } END { printf "@sys_start %d\n@sys_reload %d\n", a, b }' "$tr"
exit 0
