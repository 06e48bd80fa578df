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
  libkh_adapter_NAME.so     shared library for the Python conformance suite
  NAME                      the label to select: carries all three (KhAdapterInfo)
fuzz_deps replaces deps in the fuzz build, so an allocator built from source
can be instrumented too (the reference uses //allocator:kmem_fuzz).
"""

# Every adapter in //adapters, for tests that cover them all whatever the
# --//fuzz:allocator flag says.
SHIPPED_ADAPTERS = ["reference", "glibc", "jemalloc", "mimalloc", "tcmalloc", "template"]

FUZZ_COPTS = [
    "-fsanitize=address,undefined",
    "-fno-sanitize-recover=undefined",
    "-fsanitize=fuzzer-no-link",
    "-fno-omit-frame-pointer",
    "-g",
    "-O1",
]

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

def kh_adapter(name, srcs, deps = [], fuzz_deps = None, copts = [], linkopts = [],
               visibility = ["//visibility:public"]):
    """An allocator adapter; see the module docstring."""
    interface = ["//adapters:interface"]
    native.cc_library(
        name = name + "_plain",
        srcs = srcs,
        copts = copts,
        linkopts = linkopts,
        deps = deps + interface,
        alwayslink = True,
        visibility = visibility,
    )
    native.cc_library(
        name = name + "_fuzz",
        srcs = srcs,
        copts = FUZZ_COPTS + copts,
        linkopts = linkopts,
        deps = (deps if fuzz_deps == None else fuzz_deps) + interface,
        alwayslink = True,
        visibility = visibility,
    )
    native.cc_binary(
        name = "libkh_adapter_" + name + ".so",
        linkshared = True,
        deps = [":" + name + "_plain"],
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
