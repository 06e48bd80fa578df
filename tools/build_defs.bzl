"""Build helpers shared by the packages."""

def kh_cc_test(name, srcs, deps = [], **kwargs):
    """A C test program against the reference allocator (//allocator:kmem)."""
    native.cc_test(
        name = name,
        srcs = srcs + native.glob(["*.h"]),
        deps = ["//allocator:kmem"] + deps,
        **kwargs
    )
