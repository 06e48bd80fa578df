#!/usr/bin/env bash
# concurrent_fuzz.sh FUZZER expect-race|clean SEEDS: runs the concurrent
# libFuzzer target against a toy (BUILD: concurrent_toy_mt*_fuzz_test).
#   expect-race  fuzz from the seeds for at most 60 s: it must stop on a
#                finding of the race's kinds (double hand-out, overlapping
#                blocks, corrupted contents)
#   clean        2000 runs from the seeds: no finding
set -uo pipefail
fuzzer=$1 mode=$2 seeds=$3
work=$(mktemp -d "${TEST_TMPDIR:-/tmp}/cfuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/corpus"
if [[ $mode == expect-race ]]; then
  limits=(-max_total_time=60 -runs=1000000)
else
  limits=(-runs=2000)
fi
start=$(date +%s%N)
"$fuzzer" -seed=1 -max_len=4096 -timeout=20 -artifact_prefix="$work/" "${limits[@]}" \
  "$work/corpus" "$seeds" >"$work/log" 2>&1
status=$?
took=$(( ($(date +%s%N) - start) / 1000000 ))
grep -E "kmem-harness finding|^thread T|ERROR:|^#[0-9]+ +DONE|concurrent summary|black-box summary" "$work/log" | head -n 20
echo "exit $status after ${took} ms"
if [[ $mode == expect-race ]]; then
  if (( status != 0 )) && grep -qE "kmem-harness finding: (double hand-out|overlapping blocks|contents corrupted)" "$work/log"; then
    echo "PASSED: the race was found"
    exit 0
  fi
  echo "FAILED: no finding of the race's kinds"; tail -n 40 "$work/log"; exit 1
fi
if (( status == 0 )) && ! grep -q "kmem-harness finding" "$work/log"; then
  echo "PASSED: clean"
  exit 0
fi
echo "FAILED: a finding on the fixed toy"; tail -n 60 "$work/log"; exit 1
