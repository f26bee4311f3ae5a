#!/usr/bin/env bash
# Runs every fuzz target in turn for a share of SECONDS (default 600):
# load 30 %, diagnostics 25 %, select, refs_names and history 15 % each. Needs cargo-fuzz
# (`cargo install cargo-fuzz`); on a stable toolchain RUSTC_BOOTSTRAP=1
# unlocks the nightly flags it passes. New inputs go to corpus/<target>,
# crashes to artifacts/<target>/, logs to logs/. See docs/fuzzing.md.
set -uo pipefail
cd "$(dirname "$0")"
total=${1:-600}
export RUSTC_BOOTSTRAP=1
# The load target writes each input's files to a scratch folder: tmpfs if any.
[ -z "${TMPDIR:-}" ] && [ -w /dev/shm ] && export TMPDIR=/dev/shm
[ -d seeds ] || ./seed-corpus.sh
mkdir -p logs
nice -n 10 cargo fuzz build >/dev/null || exit 1
status=0
for spec in load:30 diagnostics:25 select:15 refs_names:15 history:15; do
    target=${spec%%:*}
    secs=$(( total * ${spec#*:} / 100 ))
    dict=()
    [ -f "dicts/$target.dict" ] && dict=(-dict="dicts/$target.dict")
    mkdir -p "corpus/$target"
    nice -n 10 cargo fuzz run "$target" "corpus/$target" "seeds/$target" -- \
        -max_total_time="$secs" -max_len=16384 -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 "${dict[@]}" >"logs/$target.log" 2>&1 || status=1
    execs=$(grep -oP 'stat::number_of_executed_units: \K\d+' "logs/$target.log" || echo "?")
    crash=$(grep -cE '^==[0-9]+== ?ERROR|panicked at|SUMMARY: libFuzzer' "logs/$target.log")
    printf '%-11s %4ss  executions: %-10s crash lines: %s\n' "$target" "$secs" "$execs" "$crash"
done
exit $status
