"""kh_bb_target: one black-box fuzz target against the selected allocator.

For a target `foo` (source foo_fuzzer.c, an entry of bb_target.c):
  foo                    libFuzzer binary (ASan + UBSan) linking the adapter
                         that --//fuzz:allocator selects
  foo_regression_test    part of `bazel test //...`: replays seeds/foo/ and
                         crashes/foo/ without libFuzzer and prints which
                         checks ran and which were skipped, and why
  foo_run                `bazel run` fuzzes with a persistent corpus in
                         .fuzz-work/blackbox/<adapter>/foo/
"""

load("//adapters:adapter.bzl", "FUZZ_COPTS", "TSAN_COMPATIBLE", "TSAN_COPTS")

def kh_bb_target(name):
    srcs = [name + "_fuzzer.c"]
    deps = [":bb_target_fuzz", ":allocator_fuzz"]
    native.cc_binary(
        name = name,
        srcs = srcs,
        copts = FUZZ_COPTS,
        linkopts = ["-fsanitize=fuzzer,address,undefined"],
        deps = deps,
        tags = ["fuzzer"],
    )
    native.cc_test(
        name = name + "_regression_test",
        srcs = srcs,
        copts = FUZZ_COPTS,
        linkopts = ["-fsanitize=address,undefined"],
        deps = deps + ["//fuzz:standalone_main"],
        data = native.glob(["seeds/" + name + "/**", "crashes/" + name + "/**"]),
        args = ["fuzz/blackbox/seeds/" + name, "fuzz/blackbox/crashes/" + name],
        size = "medium",
    )
    native.sh_binary(
        name = name + "_run",
        srcs = ["run.sh"],
        args = ["$(location :" + name + ")", name],
        data = [":" + name] + native.glob(["seeds/" + name + "/**"]),
        tags = ["manual"],
    )

def kh_bb_concurrent(adapter, adapter_fuzz, adapter_tsan = None, testonly = False):
    """The concurrent target (concurrent.h) against one thread-safe adapter.

    For adapter `a`:
      concurrent_a                   libFuzzer binary (ASan + UBSan)
      concurrent_a_regression_test   replays seeds/concurrent/ and
                                     crashes/concurrent/ without libFuzzer
      concurrent_a_tsan_test         the same under ThreadSanitizer (tag
                                     "tsan"; skipped under --config=asan)
      concurrent_a_tsan              libFuzzer binary under ThreadSanitizer
                                     (TSan's race reports on top of the
                                     shadow's checks; no ASan)
      concurrent_a_run               `bazel run` fuzzes with a persistent
                                     corpus, like the other targets' _run
    """
    srcs = ["concurrent_fuzzer.c"]
    name = "concurrent_" + adapter
    data = native.glob(["seeds/concurrent/**", "crashes/concurrent/**"])
    args = ["fuzz/blackbox/seeds/concurrent", "fuzz/blackbox/crashes/concurrent"]
    native.cc_binary(
        name = name,
        srcs = srcs,
        copts = FUZZ_COPTS,
        linkopts = ["-fsanitize=fuzzer,address,undefined"],
        deps = [":concurrent_fuzz", adapter_fuzz],
        tags = ["fuzzer"],
        testonly = testonly,
    )
    native.cc_test(
        name = name + "_regression_test",
        srcs = srcs,
        copts = FUZZ_COPTS,
        linkopts = ["-fsanitize=address,undefined"],
        deps = [":concurrent_fuzz", adapter_fuzz, "//fuzz:standalone_main"],
        data = data,
        args = args,
        size = "medium",
    )
    if adapter_tsan:
        native.cc_binary(
            name = name + "_tsan",
            srcs = srcs,
            copts = TSAN_COPTS + ["-fsanitize=fuzzer-no-link"],
            linkopts = ["-fsanitize=fuzzer,thread"],
            deps = [":concurrent_tsan_fuzz", adapter_tsan],
            tags = ["fuzzer"],
            target_compatible_with = TSAN_COMPATIBLE,
        )
        native.cc_test(
            name = name + "_tsan_test",
            srcs = srcs,
            copts = TSAN_COPTS,
            linkopts = ["-fsanitize=thread"],
            deps = [":concurrent_tsan", adapter_tsan, "//fuzz:standalone_main"],
            data = data,
            args = args,
            size = "medium",
            tags = ["tsan"],
            target_compatible_with = TSAN_COMPATIBLE,
        )
    native.sh_binary(
        name = name + "_run",
        srcs = ["run.sh"],
        args = ["$(location :" + name + ")", "concurrent"],
        data = [":" + name] + native.glob(["seeds/concurrent/**"]),
        tags = ["manual"],
        testonly = testonly,
    )
