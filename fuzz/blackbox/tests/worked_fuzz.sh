#!/usr/bin/env bash
# Fuzzes each worked example (tests/worked.h) with libFuzzer for up to
# SECONDS (default 60): every defect must be found, the fixed allocator must
# run clean on every target. Prints one line per run with the time taken.
#   fuzz/blackbox/tests/worked_fuzz.sh [SECONDS [VARIANT:TARGET...]]
# Run from the workspace root; builds the binaries first. Exit status 1 when
# a defect was missed or the fixed allocator gave a finding.
set -uo pipefail
secs=${1:-60}
runs=(fixed:object fixed:misuse fixed:cache fixed:arena double_free_parent:misuse
      ub_invalid_free:misuse no_coalesce:object sized_free:object no_align:cache
      resize_straddle:arena)
if [ $# -gt 1 ]; then shift; runs=("$@"); fi
targets=()
for r in "${runs[@]}"; do targets+=("//fuzz/blackbox:worked_${r%%:*}_${r##*:}"); done
bazel build "${targets[@]}" >/dev/null 2>&1 || { echo "build failed"; exit 2; }
bin=$(bazel info bazel-bin 2>/dev/null)/fuzz/blackbox
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
bad=0
for r in "${runs[@]}"; do
    v=${r%%:*} t=${r##*:}
    mkdir -p "$work/$v-$t"
    start=$(date +%s.%N)
    KMEM_BB_QUIET=1 nice "$bin/worked_${v}_${t}" -max_total_time="$secs" -max_len=4096 -timeout=10 \
        -artifact_prefix="$work/$v-$t/" "$work/$v-$t" fuzz/blackbox/seeds/"$t" \
        >"$work/$v-$t.log" 2>&1
    rc=$?
    took=$(echo "$(date +%s.%N) - $start" | bc)
    title=$(sed -n 's/^kmem-harness finding: //p' "$work/$v-$t.log" | head -n 1)
    [ -z "$title" ] && title=$(grep -m1 -oE "(ERROR|runtime error).*" "$work/$v-$t.log")
    if [ "$v" = fixed ]; then
        if [ $rc -eq 0 ]; then verdict="clean"; else verdict="FINDING ON THE FIXED ALLOCATOR: $title"; bad=1; fi
    else
        if [ $rc -ne 0 ] && [ -n "$title" ]; then verdict="found: $title"; else verdict="MISSED"; bad=1; fi
    fi
    printf '%-20s %-7s %6.1f s  %s\n' "$v" "$t" "$took" "$verdict"
done
exit $bad
