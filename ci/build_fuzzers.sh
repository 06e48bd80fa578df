#!/usr/bin/env bash
# Builds every fuzz target with plain $CC (no Bazel) the way OSS-Fuzz and
# ClusterFuzzLite expect; their build.sh (ci/oss-fuzz/build.sh,
# .clusterfuzzlite/build.sh) runs this. It also works by hand:
#
#   CC=clang CXX=clang++ CFLAGS="-fsanitize=address,fuzzer-no-link" \
#   LIB_FUZZING_ENGINE=-fsanitize=fuzzer OUT=/tmp/out ci/build_fuzzers.sh
#
# Environment (the infrastructure's names):
#   OUT                 output directory (required)
#   CC, CXX             compilers (default clang, clang++); links use $CXX,
#                       since $LIB_FUZZING_ENGINE may be a C++ library
#   CFLAGS, CXXFLAGS    sanitizer and coverage flags chosen by the
#                       infrastructure, used as given (CXXFLAGS defaults to
#                       CFLAGS)
#   LIB_FUZZING_ENGINE  the fuzzing engine to link (default -fsanitize=fuzzer)
#   SANITIZER           only reported: the flags already say everything
#   WORK                scratch directory for objects (default: a temp dir)
#
# For every fuzz/<target>_fuzzer.c it writes to $OUT:
#   <target>                  the fuzzer (no extension)
#   <target>_seed_corpus.zip  fuzz/corpus/<target>/, flat
#   <target>.dict             fuzz/dicts/<target>.dict
#   <target>.options          fuzz/options/<target>.options ([libfuzzer] flags)
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
: "${OUT:?OUT must name the output directory (OSS-Fuzz and ClusterFuzzLite set it)}"
CC=${CC:-clang}
CXX=${CXX:-clang++}
CFLAGS=${CFLAGS:-}
CXXFLAGS=${CXXFLAGS:-$CFLAGS}
LIB_FUZZING_ENGINE=${LIB_FUZZING_ENGINE:--fsanitize=fuzzer}
if [[ -n ${WORK:-} ]]; then
  obj="$WORK/kmem-harness-build"
else
  obj=$(mktemp -d)
  trap 'rm -rf "$obj"' EXIT
fi
rm -rf "$obj"
mkdir -p "$obj" "$OUT"

for tool in "$CC" "$CXX" python3; do
  command -v "${tool%% *}" >/dev/null || { echo "build_fuzzers: $tool not found" >&2; exit 1; }
done

# The project's own flags; the infrastructure's come after them and win.
project_cflags=(-std=c11 -D_GNU_SOURCE -g -I"$src/allocator" -I"$src/fuzz")
read -r -a cflags <<<"$CFLAGS"
read -r -a cxxflags <<<"$CXXFLAGS"
read -r -a engine <<<"$LIB_FUZZING_ENGINE"

targets=()
for f in "$src"/fuzz/*_fuzzer.c; do
  t=$(basename "$f" _fuzzer.c)
  targets+=("$t")
done
(( ${#targets[@]} > 0 )) || { echo "build_fuzzers: no fuzz/*_fuzzer.c under $src" >&2; exit 1; }
echo "build_fuzzers: ${#targets[@]} targets (${SANITIZER:-unspecified sanitizer}) with $CC into $OUT"

# The allocator and the harness (HARNESS_SRCS of fuzz/BUILD, read from there
# so that a new harness file needs no edit here), compiled in parallel, one
# job per core.
library=("$src"/allocator/*.c)
harness=$(sed -n '/^HARNESS_SRCS = \[/,/^\]/p' "$src/fuzz/BUILD" | grep -o '"[a-z_0-9]*\.c"' | tr -d '"')
[[ -n $harness ]] || { echo "build_fuzzers: no HARNESS_SRCS in $src/fuzz/BUILD" >&2; exit 1; }
for f in $harness; do
  library+=("$src/fuzz/$f")
done
compile() {  # source object
  "$CC" "${project_cflags[@]}" "${cflags[@]}" -c "$1" -o "$2"
}
jobs=$(nproc 2>/dev/null || echo 1)
objects=()
for f in "${library[@]}"; do
  o="$obj/$(basename "$(dirname "$f")")_$(basename "$f" .c).o"
  objects+=("$o")
  compile "$f" "$o" &
  while (( $(jobs -rp | wc -l) >= jobs )); do wait -n; done
done
# `wait` alone would not report a failed job; wait for each.
for pid in $(jobs -rp); do wait "$pid"; done
for o in "${objects[@]}"; do
  [[ -f $o ]] || { echo "build_fuzzers: compiling ${o##*/} failed (see above)" >&2; exit 1; }
done
ar rcs "$obj/libkmem_harness.a" "${objects[@]}"

for t in "${targets[@]}"; do
  compile "$src/fuzz/${t}_fuzzer.c" "$obj/${t}_fuzzer.o"
  "$CXX" "${cxxflags[@]}" "$obj/${t}_fuzzer.o" "$obj/libkmem_harness.a" "${engine[@]}" -lpthread \
    -o "$OUT/$t"
  [[ -f $src/fuzz/dicts/$t.dict ]] && cp "$src/fuzz/dicts/$t.dict" "$OUT/$t.dict"
  [[ -f $src/fuzz/options/$t.options ]] && cp "$src/fuzz/options/$t.options" "$OUT/$t.options"
  # zip(1) is not in every image; Python's zipfile is.
  python3 - "$src/fuzz/corpus/$t" "$OUT/${t}_seed_corpus.zip" <<'EOF'
import os, sys, zipfile
corpus, dest = sys.argv[1], sys.argv[2]
files = sorted(f for f in os.listdir(corpus) if not f.startswith(".")) if os.path.isdir(corpus) else []
with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as z:
    for f in files:
        z.write(os.path.join(corpus, f), f)
EOF
  echo "build_fuzzers: $OUT/$t"
done
