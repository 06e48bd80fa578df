#!/bin/bash -eu
# ClusterFuzzLite / OSS-Fuzz build: everything happens in the repository's
# ci/build_fuzzers.sh (plain $CC, no Bazel), which honours $CC, $CFLAGS,
# $CXX, $CXXFLAGS, $LIB_FUZZING_ENGINE and $OUT as the base-builder sets them.
# ci/oss-fuzz/build.sh is the same file (ci:build_fuzzers_test checks it).
exec "$SRC/kmem-harness/ci/build_fuzzers.sh"
