"""kh_fuzz_target: one macro per fuzz target, in the style of rules_fuzzing.

For a target `foo` (source foo_fuzzer.c) it defines:
  foo                    the libFuzzer binary (clang, ASan + UBSan, coverage)
  foo_run                fuzzes with a persistent working corpus under
                         .fuzz-work/foo/ in the workspace, seeded from
                         fuzz/corpus/foo/, with fuzz/dicts/foo.dict and the
                         flags in fuzz/options/foo.options
  foo_fast               the throughput build: libFuzzer instrumentation and
                         the harness's own checks, without ASan (UBSan
                         stays); for long campaigns, whose findings are
                         confirmed and minimized under foo (fuzz_campaign.py
                         --throughput)
  foo_regression_test    part of `bazel test //...`: replays every seed in
                         fuzz/corpus/foo/ and every committed reproducer in
                         fuzz/crashes/foo/ through the same entry point,
                         without libFuzzer, failing on any finding
  foo_cov                the same entry point over files (no libFuzzer, no
                         sanitizers) with the allocator built for clang
                         source-based coverage: tools/corpus_coverage.py runs the
                         corpora through it
"""

SAN_COPTS = [
    "-fsanitize=address,undefined",
    "-fno-sanitize-recover=undefined",
    "-fno-omit-frame-pointer",
    "-g",
    "-O1",
]

FUZZ_COPTS = SAN_COPTS + ["-fsanitize=fuzzer-no-link"]

# Without AddressSanitizer (UBSan and coverage only): for the target that
# needs what the allocator's ASan build turns off (cache merging), and for
# every target's throughput build (foo_fast).
NOASAN_FUZZ_COPTS = [
    "-fsanitize=undefined",
    "-fno-sanitize-recover=undefined",
    "-fno-omit-frame-pointer",
    "-g",
    "-O1",
    "-fsanitize=fuzzer-no-link",
]

def kh_fuzz_target(name, srcs, deps = [], asan = True):
    """asan = False builds the target and its regression test without
    AddressSanitizer, against //fuzz:harness_fuzz_noasan."""
    harness = "//fuzz:harness_fuzz" if asan else "//fuzz:harness_fuzz_noasan"
    sans = "address,undefined" if asan else "undefined"
    native.cc_binary(
        name = name,
        srcs = srcs,
        copts = FUZZ_COPTS if asan else NOASAN_FUZZ_COPTS,
        linkopts = ["-fsanitize=fuzzer," + sans],
        deps = [harness] + deps,
        tags = ["fuzzer"],
    )
    if asan:
        native.cc_binary(
            name = name + "_fast",
            srcs = srcs,
            copts = NOASAN_FUZZ_COPTS,
            linkopts = ["-fsanitize=fuzzer,undefined"],
            deps = ["//fuzz:harness_fuzz_noasan"] + deps,
            tags = ["fuzzer"],
        )
    else:
        native.alias(name = name + "_fast", actual = ":" + name, tags = ["fuzzer"])
    native.cc_test(
        name = name + "_regression_test",
        srcs = srcs,
        copts = FUZZ_COPTS if asan else NOASAN_FUZZ_COPTS,
        linkopts = ["-fsanitize=" + sans],
        deps = [harness, "//fuzz:standalone_main"] + deps,
        data = native.glob(["corpus/" + name + "/**", "crashes/" + name + "/**"]),
        args = ["fuzz/corpus/" + name, "fuzz/crashes/" + name],
        size = "medium",
    )
    native.cc_binary(
        name = name + "_cov",
        srcs = srcs,
        deps = [
            "//fuzz:harness_cov",
            "//fuzz:standalone_main",
            "//fuzz:coverage_dump",
        ] + deps,
    )
    native.sh_binary(
        name = name + "_run",
        srcs = ["//ci:run_fuzzer.sh"],
        args = ["$(location :" + name + ")", name],
        data = [
            ":" + name,
            "dicts/" + name + ".dict",
            "options/" + name + ".options",
        ] + native.glob(["corpus/" + name + "/**"]),
        tags = ["manual"],
    )

# Every libFuzzer target, once: fuzz/BUILD defines //fuzz:T, T_run, T_cov
# and T_regression_test for each, bench/BUILD its fuzz_exec runner.
FUZZ_TARGETS = [
    "page_alloc",
    "slab",
    "kmalloc",
    "mempool",
    "vmalloc",
    "percpu",
    "whole_system",
    "misuse",
    "misuse_debug",
    "differential",
    "trace_parse",
    "slab_debug",
    "kmalloc_debug",
    "kmalloc_debug_zu",
    "slab_merge",
    "boot",
    "variants",
    "kmalloc_slab",
    "kmalloc_slob",
    "kmalloc_16k",
    "kmalloc_64k",
    "slab_slab",
    "slab_slob",
    "slab_16k",
    "slab_64k",
    "kmalloc_612",
    "slab_612",
    "vmalloc_612",
    "differential_612",
    "config",
    "kernel_names",
    "sched",
    "page_validate",
    "slab_validate",
]

# Built without ASan: slab_merge (under ASan caches never merge, as under
# KASAN, so merging is only reachable in a build without it).
NOASAN_FUZZ_TARGETS = ["slab_merge"]
