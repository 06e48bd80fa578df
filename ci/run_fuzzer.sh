#!/usr/bin/env bash
# `bazel run //fuzz:<target>_run [-- libFuzzer flags]`: fuzzes one target with
# a persistent working corpus in .fuzz-work/<target>/corpus of the workspace,
# seeded from the committed fuzz/corpus/<target>/. Crash files land in
# .fuzz-work/<target>/crashes/.
set -euo pipefail
fuzzer=$(realpath "$1"); target=$2; shift 2
here=$(pwd)   # runfiles root of this target
ws=${BUILD_WORKSPACE_DIRECTORY:-$here}
work="$ws/.fuzz-work/$target"
mkdir -p "$work/corpus" "$work/crashes"
opts=()
if [[ -f "$here/fuzz/options/$target.options" ]]; then
  while IFS=' =' read -r key value; do
    [[ -z "$key" || "$key" == \[* || "$key" == \#* ]] && continue
    opts+=("-$key=$value")
  done < "$here/fuzz/options/$target.options"
fi
dict=()
[[ -f "$here/fuzz/dicts/$target.dict" ]] && dict=("-dict=$here/fuzz/dicts/$target.dict")
echo "fuzzing $target: corpus $work/corpus, crashes $work/crashes"
exec "$fuzzer" "${opts[@]}" "${dict[@]}" -artifact_prefix="$work/crashes/" "$@" \
  "$work/corpus" "$here/fuzz/corpus/$target"
