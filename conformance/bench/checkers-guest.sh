# Runs inside the IPVS guest for conformance/bench/checkers.rs (which embeds it):
#   bash checkers-guest.sh SETTLE WINDOW
# Both daemons in one boot, one after the other, against the same servers (the benchmark binary
# itself, `./checkers-bench --serve`: a TCP listener on port 9000 that accepts and closes, an HTTP
# responder on port 80), with their configurations in the guest's RAM: ours (`rs.conf`, the static
# musl build copied to /tmp) then Debian's keepalived -C (`ka.conf`, the same checks). Targets are
# distinct addresses on `lo` (local routes of 10.77.0.0/16 and 10.78.0.0/16: any of them is this host). For each: the
# daemon starts, SETTLE seconds pass, then over WINDOW seconds the CPU of every process of the
# daemon (utime+stime from /proc/PID/stat, clock ticks; keepalived's parent and checker child),
# the connections the servers accepted (probes per second) and the whole guest's busy share of the
# vCPU (/proc/stat), then VmRSS summed and each, and how many destinations IPVS has (a failed
# check removes its own).
# Prints `@key value` lines for the host.
set -u
settle=$1 window=$2
ip link set lo up
ip route add local 10.77.0.0/16 dev lo
ip route add local 10.78.0.0/16 dev lo
cp ./keepalived-rs /tmp/keepalived-rs
cp rs.conf ka.conf /tmp/
./checkers-bench --serve >/tmp/serve.log 2>&1 &
srv=$!
for _ in $(seq 100); do
    grep -q ready /tmp/serve.log && break
    sleep 0.1
done
grep -q ready /tmp/serve.log || { echo "@fail servers"; cat /tmp/serve.log; exit 1; }
hz=$(getconf CLK_TCK 2>/dev/null || echo 100)
echo "@hz $hz"
daemon_pids() {
    local p
    for p in /proc/[0-9]*; do
        case $(cat "$p/comm" 2>/dev/null) in keepalived | keepalived-rs) echo "${p#/proc/}" ;; esac
    done
}
# ticks: utime and stime of every process of the daemon, summed.
ticks() {
    local p u=0 s=0 f
    for p in $(daemon_pids); do
        f=$(sed 's/.*) //' "/proc/$p/stat") || continue
        set -- $f
        u=$((u + ${12})) s=$((s + ${13}))
    done
    echo $u $s
}
now() { echo "${EPOCHREALTIME/./}"; }
# served: the servers' accepted connections, "TCP HTTP".
served() { cat /tmp/serve.count; }
# cpustat: busy and total ticks of the whole guest.
cpustat() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8 + $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9}' /proc/stat; }
for impl in rs ka; do
    if [ $impl = rs ]; then
        /tmp/keepalived-rs -n -l -f /tmp/rs.conf -p /run/d.pid >/tmp/$impl.log 2>&1 &
    else
        keepalived -n -l -C -f /tmp/ka.conf -p /run/d.pid -c /run/d-c.pid >/tmp/$impl.log 2>&1 &
    fi
    bg=$!
    sleep "$settle"
    t0=$(now)
    read -r u0 s0 <<<"$(ticks)"
    read -r tcp0 http0 <<<"$(served)"
    read -r busy0 all0 <<<"$(cpustat)"
    sleep "$window"
    t1=$(now)
    read -r u1 s1 <<<"$(ticks)"
    read -r tcp1 http1 <<<"$(served)"
    read -r busy1 all1 <<<"$(cpustat)"
    echo "@${impl}_tcp $((tcp1 - tcp0))"
    echo "@${impl}_http $((http1 - http0))"
    echo "@${impl}_busy $(((busy1 - busy0) * 100 / (all1 - all0)))"
    echo "@${impl}_ticks $((u1 - u0 + s1 - s0))"
    echo "@${impl}_uticks $((u1 - u0))"
    echo "@${impl}_us $((t1 - t0))"
    total=0 each=""
    for p in $(daemon_pids); do
        kb=$(awk '/^VmRSS/ {print $2}' "/proc/$p/status")
        total=$((total + kb)) each="$each $p:${kb}kB"
    done
    echo "@${impl}_rss $total"
    echo "@${impl}_each$each"
    echo "@${impl}_fds $(for p in $(daemon_pids); do ls /proc/$p/fd | wc -l; done | tr '\n' ' ')"
    echo "@${impl}_dests $(ipvsadm -Ln | grep -c -- '->.*Masq')"
    if [ $impl = rs ]; then
        pid=$(cat /run/d.pid)
        rm -f /tmp/keepalived.stats
        kill -USR2 "$pid"
        for _ in $(seq 50); do
            [ -f /tmp/keepalived.stats ] && break
            sleep 0.1
        done
        grep -E 'Checks:|Probes:|lateness' /tmp/keepalived.stats | sed 's/^ */@rs_stats /'
    fi
    kill -TERM $(daemon_pids)
    wait "$bg"
    ipvsadm -C
    grep -i 'error\|warn' /tmp/$impl.log | head -3 | sed "s/^/@${impl}_log /"
done
kill "$srv"
exit 0
