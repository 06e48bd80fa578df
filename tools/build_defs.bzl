"""Build helpers shared by the packages."""

ASAN_COPTS = [
    "-fsanitize=address,undefined",
    "-fno-sanitize-recover=undefined",
    "-fno-omit-frame-pointer",
    "-O1",
]

def kh_cc_test(name, srcs, deps = [], asan = False, **kwargs):
    """A C test program against the reference allocator.

    asan = True builds the test and the allocator with ASan + UBSan
    (//allocator:kmem_asan), for checks that only exist under ASan.
    """
    native.cc_test(
        name = name,
        srcs = srcs + native.glob(["*.h", "tests/*.h"]),
        copts = ASAN_COPTS if asan else [],
        linkopts = ["-fsanitize=address,undefined"] if asan else [],
        deps = ["//allocator:kmem_asan" if asan else "//allocator:kmem"] + deps,
        **kwargs
    )
