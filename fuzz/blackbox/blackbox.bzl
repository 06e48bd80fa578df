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

load("//adapters:adapter.bzl", "FUZZ_COPTS")

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
