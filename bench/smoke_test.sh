#!/usr/bin/env bash
# Runs every kind of benchmark program once with tiny iteration counts and
# checks that each printed figures. Timing is bench/run's job, not a test's.
set -euo pipefail
alloc=$1 instance=$2 gen=$3 fuzz_kmalloc=$4 fuzz_parse=$5
tmp=${TEST_TMPDIR:-$(mktemp -d)}

expect_figures() {   # name, output, minimum number of figure lines
  local n
  n=$(grep -c $'^R\t' <<<"$2" || true)
  if (( n < $3 )); then
    echo "FAIL: $1 printed $n figures, expected at least $3" >&2
    echo "$2" >&2
    exit 1
  fi
  echo "ok: $1 ($n figures)"
}

expect_figures alloc_bench "$("$alloc" --scale 0.0005 --only clock,pair/64,mix/live-1000,batch/64-x64-remote,cache/pair-64,pages/order-0,live/64-live-1000)" 7
expect_figures footprint "$("$alloc" --scale 0.01 --only footprint/64)" 1
expect_figures instance_bench "$("$instance" --scale 0.001 --only metadata,lifecycle)" 20
# every profile benchmarks, the Linux 6.12 one included
expect_figures alloc_bench_612 "$("$alloc" --profile linux-6.12-x86_64 --scale 0.0005 --only pair/64,cache/pair-64)" 2
expect_figures instance_bench_612 "$("$instance" --profile linux-6.12-x86_64 --scale 0.001 --only metadata)" 5
"$gen" "$tmp/inputs" --inputs 2 --ops 100 >/dev/null
expect_figures fuzz_exec_kmalloc "$("$fuzz_kmalloc" kmalloc "$tmp/inputs/kmalloc" --seconds 0.01)" 1
expect_figures fuzz_exec_trace_parse "$("$fuzz_parse" trace_parse "$tmp/inputs/trace_parse" --seconds 0.01)" 1
# Bad arguments are refused with a message, not a crash.
if "$alloc" --scale nope 2>/dev/null; then echo "FAIL: bad --scale accepted" >&2; exit 1; fi
if "$instance" --profile nope 2>/dev/null; then echo "FAIL: unknown --profile accepted" >&2; exit 1; fi
echo "ok: bad arguments refused"
