#!/usr/bin/env bash
# The README's run command: keepalived-rs in the foreground, in a throw-away network namespace,
# on the demo configuration; a data dump on SIGUSR1, a reload on SIGHUP, then a clean stop on SIGTERM.
# Needs root (ip netns). Everything it creates is removed on exit, also on failure.
set -euo pipefail
cd "$(dirname "$0")/../.."

[ "$(id -u)" = 0 ] || { echo "demo: needs root (network namespaces)" >&2; exit 1; }
command -v ip >/dev/null || { echo "demo: needs iproute2 (ip)" >&2; exit 1; }

cargo build --release --quiet
bin=target/release/keepalived-rs
ns="krs-demo-$$"
work=$(mktemp -d /tmp/krs-demo.XXXXXX)
pid=""

cleanup() {
    [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null || true
    ip netns del "$ns" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

ip netns add "$ns"
ip -n "$ns" link add veth0 type veth peer name veth1
ip -n "$ns" link set lo up
ip -n "$ns" link set veth0 up
ip -n "$ns" link set veth1 up
ip -n "$ns" addr add 192.0.2.1/24 dev veth0

# Poll a log file for a line, with a deadline (no fixed sleeps).
wait_line() { # pattern seconds
    local end=$((SECONDS + $2))
    until grep -q -- "$1" "$work/log"; do
        [ $SECONDS -lt $end ] || { echo "demo: timed out waiting for '$1'" >&2; cat "$work/log" >&2; exit 1; }
        sleep 0.01
    done
}

echo "== starting keepalived-rs in namespace $ns"
"$bin" -n -l -G -s "$ns" -f conformance/demo/keepalived.conf -p "$work/keepalived-rs.pid" 2>"$work/log" &
pid=$!
wait_line "Startup complete" 5
echo "== daemon pid $pid, pid file says $(cat "$work/keepalived-rs.pid"), namespace $(ip netns identify "$pid")"

kill -USR1 "$pid"; wait_line "Wrote /tmp/keepalived.data" 2
kill -HUP "$pid";  wait_line "Reload finished" 2
kill -TERM "$pid"
status=0; wait "$pid" || status=$?
pid=""
cat "$work/log"
[ "$status" = 0 ] || { echo "demo: daemon exited with $status" >&2; exit 1; }
[ ! -e "$work/keepalived-rs.pid" ] || { echo "demo: pid file left behind" >&2; exit 1; }
echo "== clean stop (exit 0, pid file removed)"
