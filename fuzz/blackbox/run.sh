#!/usr/bin/env bash
# `bazel run //fuzz/blackbox:<target>_run [--//fuzz:allocator=...] [-- libFuzzer flags]`:
# fuzzes one black-box target against the selected allocator with a persistent
# corpus in .fuzz-work/blackbox/<adapter>/<target>/ of the workspace, seeded
# from fuzz/blackbox/seeds/<target>/. Crash files land in .../crashes/.
set -euo pipefail
fuzzer=$(realpath "$1"); target=$2; shift 2
here=$(pwd)   # runfiles root of this target
ws=${BUILD_WORKSPACE_DIRECTORY:-$here}
# The adapter's name, from the binary itself (the summary's first line).
adapter=$(KMEM_BB_QUIET= "$fuzzer" -runs=0 2>&1 </dev/null |
          sed -nE "s/^black-box summary for adapter '([^']+)'.*/\1/p" | head -n 1)
work="$ws/.fuzz-work/blackbox/${adapter:-unknown}/$target"
mkdir -p "$work/corpus" "$work/crashes"
echo "fuzzing blackbox/$target against ${adapter:-?}: corpus $work/corpus, crashes $work/crashes"
exec "$fuzzer" -max_len=4096 -timeout=20 -rss_limit_mb=4096 \
  -artifact_prefix="$work/crashes/" "$@" "$work/corpus" "$here/fuzz/blackbox/seeds/$target"
