#!/usr/bin/env bash
# Runs the ClusterFuzzLite build script (.clusterfuzzlite/build.sh, which
# runs ci/build_fuzzers.sh) in the environment OSS-Fuzz / ClusterFuzzLite set
# for a libFuzzer + AddressSanitizer build (simulated: clang from Debian,
# $SRC/kmem-harness pointing at this tree), then checks what they rely on:
# the $OUT layout (binary without extension, <target>_seed_corpus.zip holding
# the committed corpus, .dict, .options and nothing else) and that every
# binary runs every seed from its zip, with its dictionary loaded. Also checks
# that a missing $OUT is a clear error.
set -euo pipefail

root=$(pwd)   # runfiles root: the script, sources and corpora are here
script="$root/ci/build_fuzzers.sh"
tmp=${TEST_TMPDIR:-$(mktemp -d)}
fail() { echo "FAIL: $*" >&2; exit 1; }

# OSS-Fuzz's project build.sh is the ClusterFuzzLite one.
cmp "$root/.clusterfuzzlite/build.sh" "$root/ci/oss-fuzz/build.sh" \
  || fail "ci/oss-fuzz/build.sh and .clusterfuzzlite/build.sh differ"

# 1. Without $OUT the script refuses, naming the variable.
if msg=$(env -u OUT "$script" 2>&1); then
  fail "build_fuzzers.sh succeeded without OUT"
fi
grep -q "OUT must name the output directory" <<<"$msg" || fail "unclear error without OUT: $msg"

# 2. The build, with the variables the infrastructure exports.
out="$tmp/out"
mkdir -p "$tmp/src"
ln -sfn "$root" "$tmp/src/kmem-harness"
export CC=clang CXX=clang++ SANITIZER=address OUT="$out" SRC="$tmp/src" WORK="$tmp/work"
export CFLAGS="-O1 -fno-omit-frame-pointer -gline-tables-only -fsanitize=address \
-fsanitize-address-use-after-scope -fsanitize=fuzzer-no-link"
export CXXFLAGS="$CFLAGS"
export LIB_FUZZING_ENGINE="-fsanitize=fuzzer"
(cd "$SRC/kmem-harness" && bash "$SRC/kmem-harness/.clusterfuzzlite/build.sh") >"$tmp/build.log" 2>&1 \
  || { cat "$tmp/build.log"; fail "the build failed"; }

targets=()
for f in "$root"/fuzz/*_fuzzer.c; do targets+=("$(basename "$f" _fuzzer.c)"); done
(( ${#targets[@]} >= 10 )) || fail "expected at least 10 targets, found ${#targets[@]}"

# 3. $OUT holds exactly the four files per target.
expected=()
for t in "${targets[@]}"; do
  expected+=("$t" "${t}_seed_corpus.zip" "$t.dict" "$t.options")
done
diff <(printf '%s\n' "${expected[@]}" | sort) <(ls -A "$out" | sort) \
  || fail "unexpected \$OUT layout (< expected, > found)"

# 4. Per target: executable, seed zip = committed corpus, options parse,
#    every seed runs, the dictionary loads.
for t in "${targets[@]}"; do
  [[ -x $out/$t ]] || fail "$t is not executable"
  grep -q '^\[libfuzzer\]' "$out/$t.options" || fail "$t.options has no [libfuzzer] section"
  seeds="$tmp/seeds/$t"
  mkdir -p "$seeds"
  python3 -m zipfile -e "$out/${t}_seed_corpus.zip" "$seeds" || fail "$t: bad seed zip"
  diff <(ls "$root/fuzz/corpus/$t" | sort) <(ls "$seeds" | sort) \
    || fail "$t: seed zip differs from fuzz/corpus/$t"
  n=$(ls "$seeds" | wc -l)
  (( n > 0 )) || fail "$t: empty seed corpus"
  log="$tmp/$t.run.log"
  "$out/$t" "$seeds"/* >"$log" 2>&1 || { cat "$log"; fail "$t failed on its seeds"; }
  ran=$(grep -c '^Executed ' "$log" || true)
  (( ran == n )) || { cat "$log"; fail "$t ran $ran of $n seeds"; }
  "$out/$t" -dict="$out/$t.dict" -runs=0 "$seeds" >"$log" 2>&1 \
    || { cat "$log"; fail "$t failed with its dictionary"; }
  grep -q 'Dictionary: [1-9][0-9]* entries' "$log" || { cat "$log"; fail "$t: dictionary not loaded"; }
  echo "ok: $t ($n seeds)"
done
echo "PASS: ${#targets[@]} targets built the OSS-Fuzz way; every seed ran"
