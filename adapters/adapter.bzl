"""kh_adapter: declares an allocator under test for the black-box tier.

    load("//adapters:adapter.bzl", "kh_adapter")
    kh_adapter(
        name = "myalloc",
        srcs = ["myalloc_adapter.c"],     # defines `const struct kh_adapter kh_adapter`
        deps = ["//third_party/myalloc"],  # the allocator itself
    )

and select it with `bazel test //... --//fuzz:allocator=//path:myalloc`.

One adapter is built three ways, because its consumers need different builds:
  NAME_plain                cc_library, default flags (tools, tests without ASan)
  NAME_fuzz                 cc_library with ASan + UBSan + libFuzzer coverage
                            (the black-box fuzz targets and their regression tests)
  NAME_san                  cc_library with ASan + UBSan (no coverage)
  NAME_tsan                 cc_library with ThreadSanitizer, for an adapter
                            declaring KH_CAP_THREAD_SAFE (tsan = True): the
                            concurrent tier's TSan tests
  libkh_adapter_NAME.so     shared library for the Python conformance suite,
                            from NAME_san (sanitize_shared = False: NAME_plain)
  NAME                      the label to select: carries all three (KhAdapterInfo)
Put the allocator's sources in srcs. A cc_library in deps is rebuilt for the
fuzz and conformance builds with the same sanitizer (and coverage) flags
through a configuration transition, so it is instrumented either way;
fuzz_deps replaces deps in the fuzz build outright (the reference uses
//allocator:kmem_fuzz).
"""

# Every adapter in //adapters, for tests that cover them all whatever the
# --//fuzz:allocator flag says.
SHIPPED_ADAPTERS = ["reference", "glibc", "jemalloc", "mimalloc", "tcmalloc", "template"]

# The shipped adapters that declare KH_CAP_THREAD_SAFE (kh_adapter(tsan =
# True)): the concurrent black-box target runs on each of them.
THREAD_SAFE_ADAPTERS = ["glibc", "jemalloc", "mimalloc", "tcmalloc"]

FUZZ_COPTS = [
    "-fsanitize=address,undefined",
    "-fno-sanitize-recover=undefined",
    "-fsanitize=fuzzer-no-link",
    "-fno-omit-frame-pointer",
    "-g",
    "-O1",
]

# The conformance suite's build of an adapter: ASan + UBSan without libFuzzer
# coverage, so it loads into Python (run_pytest.py preloads the ASan runtime).
SAN_COPTS = [
    "-fsanitize=address,undefined",
    "-fno-sanitize-recover=undefined",
    "-fno-omit-frame-pointer",
    "-g",
    "-O1",
]

# ThreadSanitizer builds (the concurrent tier's TSan tests). TSan and ASan
# exclude each other, so targets built this way are skipped (incompatible)
# under --config=asan: see TSAN_COMPATIBLE.
TSAN_COPTS = [
    "-fsanitize=thread",
    "-fno-omit-frame-pointer",
    "-g",
    "-O1",
]

TSAN_COMPATIBLE = select({
    "//adapters:asan_build": ["@platforms//:incompatible"],
    "//conditions:default": [],
})

KhAdapterInfo = provider(
    doc = "An allocator under test: its builds and its shared library.",
    fields = {
        "adapter": "adapter name (the target name)",
        "plain": "CcInfo of the default build",
        "fuzz": "CcInfo of the ASan + libFuzzer build",
        "shared": "File: the shared library exporting kh_adapter",
    },
)

def _adapter_impl(ctx):
    return [
        KhAdapterInfo(
            adapter = ctx.label.name,
            plain = ctx.attr.plain[CcInfo],
            fuzz = ctx.attr.fuzz[CcInfo],
            shared = ctx.file.shared,
        ),
        DefaultInfo(files = depset([ctx.file.shared])),
    ]

_kh_adapter_rule = rule(
    implementation = _adapter_impl,
    attrs = {
        "plain": attr.label(providers = [CcInfo], mandatory = True),
        "fuzz": attr.label(providers = [CcInfo], mandatory = True),
        "shared": attr.label(allow_single_file = [".so"], mandatory = True),
    },
    doc = "Bundles the builds of one adapter (see kh_adapter).",
)

# ---- deps rebuilt with the harness's flags ----
# A cc_library given in deps would be built with default flags: no sanitizer
# inside the allocator, and no coverage for the fuzzer. The fuzz and
# conformance builds take deps through this transition instead, which adds
# the sanitizer (and, for the fuzz build, coverage) flags to every C/C++
# compile below it.

def _flags_transition_impl(settings, attr):
    return {"//command_line_option:copt": settings["//command_line_option:copt"] + attr.extra_copts}

_flags_transition = transition(
    implementation = _flags_transition_impl,
    inputs = ["//command_line_option:copt"],
    outputs = ["//command_line_option:copt"],
)

def _rebuilt_deps_impl(ctx):
    return [cc_common.merge_cc_infos(cc_infos = [d[CcInfo] for d in ctx.attr.deps])]

_rebuilt_deps = rule(
    implementation = _rebuilt_deps_impl,
    attrs = {
        "deps": attr.label_list(providers = [CcInfo], cfg = _flags_transition),
        "extra_copts": attr.string_list(),
        "_allowlist_function_transition": attr.label(
            default = "@bazel_tools//tools/allowlists/function_transition_allowlist",
        ),
    },
    doc = "deps rebuilt with extra copts (sanitizers, coverage) on every compile below them.",
)

def _relaxed_source(name, relax_sanitizers):
    """A generated C file defining kh_adapter_sanitizer_relaxed, so every
    finding says which checks were relaxed and why."""
    text = "; ".join(["%s: %s" % (k, relax_sanitizers[k]) for k in sorted(relax_sanitizers)])
    text = text.replace("\\", "\\\\").replace("\"", "\\\"").replace("'", "")
    native.genrule(
        name = name + "_relaxed_src",
        outs = [name + "_relaxed.c"],
        cmd = "printf '%s\\n' '/* generated by kh_adapter (relax_sanitizers) */' " +
              "'const char kh_adapter_sanitizer_relaxed[] = \"" + text + "\";' > $@",
    )
    return [":" + name + "_relaxed_src"]

def kh_adapter(name, srcs, deps = [], fuzz_deps = None, copts = [], linkopts = [],
               includes = [], relax_sanitizers = {}, sanitize_shared = True, tsan = False,
               visibility = ["//visibility:public"]):
    """An allocator adapter; see the module docstring.

    srcs: the adapter and, preferably, the allocator's own sources and
      headers: then the fuzz build compiles them with ASan, UBSan and
      coverage too (a cc_library in deps is built with default flags).
    includes: include directories for those sources (relative to the package).
    relax_sanitizers: {"check": "why"}: UBSan/ASan checks turned off for the
      whole fuzz build (-fno-sanitize=check), e.g. {"alignment": "v1 packs
      its header; harmless on x86"}; the reason is printed with every finding.
    sanitize_shared: the shared library for the conformance suite is built
      with ASan + UBSan too (the suite then runs with the ASan runtime
      preloaded). False keeps it plain (the reference: its own ASan runs
      are --config=asan).
    tsan: also build NAME_tsan (ThreadSanitizer; deps rebuilt with it too),
      for an adapter that declares KH_CAP_THREAD_SAFE.
    """
    interface = ["//adapters:interface"]
    if relax_sanitizers:
        srcs = srcs + _relaxed_source(name, relax_sanitizers)
    relax = ["-fno-sanitize=" + k for k in sorted(relax_sanitizers)]
    fuzz_rebuilt, san_rebuilt = [], []
    if deps and fuzz_deps == None:
        _rebuilt_deps(name = name + "_deps_fuzz", deps = deps, extra_copts = FUZZ_COPTS + relax,
                      visibility = ["//visibility:private"])
        fuzz_rebuilt = [":" + name + "_deps_fuzz"]
    if deps and sanitize_shared:
        _rebuilt_deps(name = name + "_deps_san", deps = deps, extra_copts = SAN_COPTS + relax,
                      visibility = ["//visibility:private"])
        san_rebuilt = [":" + name + "_deps_san"]
    native.cc_library(
        name = name + "_plain",
        srcs = srcs,
        includes = includes,
        copts = copts,
        linkopts = linkopts,
        deps = deps + interface,
        alwayslink = True,
        visibility = visibility,
    )
    native.cc_library(
        name = name + "_fuzz",
        srcs = srcs,
        includes = includes,
        copts = FUZZ_COPTS + relax + copts,
        linkopts = linkopts,
        deps = (fuzz_rebuilt if fuzz_deps == None else fuzz_deps) + interface,
        alwayslink = True,
        visibility = visibility,
    )
    if sanitize_shared:
        native.cc_library(
            name = name + "_san",
            srcs = srcs,
            includes = includes,
            copts = SAN_COPTS + relax + copts,
            linkopts = linkopts,
            deps = san_rebuilt + interface,
            alwayslink = True,
            visibility = visibility,
        )
    if tsan:
        tsan_rebuilt = []
        if deps:
            _rebuilt_deps(name = name + "_deps_tsan", deps = deps, extra_copts = TSAN_COPTS,
                          visibility = ["//visibility:private"])
            tsan_rebuilt = [":" + name + "_deps_tsan"]
        native.cc_library(
            name = name + "_tsan",
            srcs = srcs,
            includes = includes,
            copts = TSAN_COPTS + copts,
            linkopts = linkopts,
            deps = tsan_rebuilt + interface,
            alwayslink = True,
            target_compatible_with = TSAN_COMPATIBLE,
            visibility = visibility,
        )
    native.cc_binary(
        name = "libkh_adapter_" + name + ".so",
        linkshared = True,
        deps = [":" + name + ("_san" if sanitize_shared else "_plain")],
        visibility = visibility,
    )
    _kh_adapter_rule(
        name = name,
        plain = ":" + name + "_plain",
        fuzz = ":" + name + "_fuzz",
        shared = ":libkh_adapter_" + name + ".so",
        visibility = visibility,
    )

def _selected_impl(ctx):
    info = ctx.attr.adapter[KhAdapterInfo]
    if ctx.attr.variant == "shared":
        return [DefaultInfo(
            files = depset([info.shared]),
            runfiles = ctx.runfiles(files = [info.shared]),
        )]
    return [getattr(info, ctx.attr.variant)]

kh_selected_adapter = rule(
    implementation = _selected_impl,
    attrs = {
        "adapter": attr.label(providers = [KhAdapterInfo], mandatory = True),
        "variant": attr.string(values = ["plain", "fuzz", "shared"], mandatory = True),
    },
    doc = """One build of an adapter: "plain" or "fuzz" act as a cc_library
    (use in deps), "shared" is the .so (use in data). With adapter =
    "//fuzz:allocator" this follows the --//fuzz:allocator flag.""",
)
