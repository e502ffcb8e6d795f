#!/usr/bin/env bash
# Runs the cargo-fuzz targets of conformance/fuzz from their seeds, for SECONDS each:
#
#     conformance/fuzz/run.sh SECONDS [TARGET...]        (default: every target)
#
# Seeds: conformance/fuzz/corpus/<target> (the three configuration targets share corpus/config,
# conformance/configs and, when it exists, ../shared/corpus). They are copied into a work
# directory, so the repository is never modified: libFuzzer writes its corpus and any crashing
# input there. The work directory is a temporary one, removed at the end, unless FUZZ_WORK names
# one to keep (to run for hours and resume later with the corpus grown so far).
#
# Targets run side by side, FUZZ_PARALLEL at a time (default: the number of CPUs, at most 3).
# A crash, a timeout (10 s on one input) or an out-of-memory fails the run, printing the input in
# hex and the command that reproduces it. The build (cargo fuzz build) comes first.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$PWD

[ $# -ge 1 ] || { echo "usage: $0 SECONDS [TARGET...]" >&2; exit 2; }
secs=$1
shift
all=(config_preprocess config_grammar config_model vrrp ah bfd netlink ipvs checkers regex)
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${all[@]}")

export RUSTC_BOOTSTRAP=1 # lets the stable toolchain take the sanitizer flags cargo-fuzz passes
if [ ${#targets[@]} -eq 1 ]; then
    cargo fuzz build --fuzz-dir conformance/fuzz "${targets[0]}"
else
    cargo fuzz build --fuzz-dir conformance/fuzz
fi
host=$(rustc -vV | sed -n 's/^host: //p')
bin=$repo/conformance/fuzz/target/$host/release

if [ -n "${FUZZ_WORK:-}" ]; then
    work=$FUZZ_WORK
    mkdir -p "$work"
else
    work=$(mktemp -d /tmp/keepalived-rs-fuzz.XXXXXX)
    trap 'rm -rf "$work"' EXIT
fi

seeds() {
    case $1 in
        config_*)
            echo conformance/fuzz/corpus/config conformance/configs
            for d in ../shared/corpus/keepalived-samples ../shared/corpus/real-world; do
                [ -d "$d" ] && echo "$d"
            done
            ;;
        *) echo "conformance/fuzz/corpus/$1" ;;
    esac
}

# Inputs past 4 KiB explore nothing more in the configuration targets (they reject them).
max_len() {
    case $1 in
        config_*) echo "-max_len=4096" ;;
        *) echo "-max_len=65536" ;;
    esac
}

run_one() {
    local t=$1 dir=$work/$1
    mkdir -p "$dir/corpus" "$dir/artifacts"
    local n=0 s
    for s in $(seeds "$t"); do
        n=$((n + 1))
        [ -d "$dir/corpus/seeds-$n" ] || cp -r "$s" "$dir/corpus/seeds-$n"
    done
    # shellcheck disable=SC2046
    "$bin/$t" "$dir/corpus" -artifact_prefix="$dir/artifacts/" $(max_len "$t") \
        -max_total_time="$secs" -timeout=10 -print_final_stats=1 >"$dir/log" 2>&1
}

parallel=${FUZZ_PARALLEL:-$(nproc)}
[ "$parallel" -le 3 ] || parallel=3
pids=()
for t in "${targets[@]}"; do
    [ -x "$bin/$t" ] || { echo "no fuzz target '$t' (targets: ${all[*]})" >&2; exit 2; }
    run_one "$t" &
    pids+=("$!")
    while [ "$(jobs -rp | wc -l)" -ge "$parallel" ]; do wait -n || true; done
done
failed=0
for i in "${!targets[@]}"; do
    t=${targets[$i]}
    rc=0
    wait "${pids[$i]}" || rc=$?
    log=$work/$t/log
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
    corp=$(find "$work/$t/corpus" -type f | wc -l)
    printf '%-18s %10s runs %8s exec/s  %5d inputs in corpus  exit %d\n' \
        "$t" "${runs:-?}" "${rate:-?}" "$corp" "$rc"
    if [ "$rc" -ne 0 ] || [ -n "$(ls -A "$work/$t/artifacts")" ]; then
        failed=1
        echo "---- $t failed; what libFuzzer said:"
        grep -E -A3 'panicked at|==ERROR|ERROR: libFuzzer|SUMMARY: |ALARM' "$log" | head -n 40
        for f in "$work/$t/artifacts"/*; do
            [ -f "$f" ] || continue
            echo "---- $(basename "$f") ($(stat -c %s "$f") bytes), in hex:"
            od -An -v -tx1 "$f" | head -n 256
            echo "---- reproduce: save those bytes to a file, then"
            echo "     RUSTC_BOOTSTRAP=1 cargo fuzz run --fuzz-dir conformance/fuzz $t FILE"
        done
    fi
done
exit "$failed"
