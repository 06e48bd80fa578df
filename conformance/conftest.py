"""Shared fixtures: the library, one fresh allocator instance per test for
every profile, and the Hypothesis settings profiles.

Hypothesis profiles: "quick" (the default; what `bazel test` runs) and "ci"
(`--hypothesis-profile=ci`, or `bazel test --test_arg=--hypothesis-profile=ci`)
with many more examples and longer state machine runs.
"""
import os
import sys

import pytest
from hypothesis import HealthCheck, settings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import kmem  # noqa: E402
from kmem import asan, spec  # noqa: E402


settings.register_profile(
    "quick", max_examples=20, stateful_step_count=25, deadline=None, database=None,
    derandomize=True,  # bazel test results must not depend on the run
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=False)
settings.register_profile(
    "ci", max_examples=400, stateful_step_count=80, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True)
settings.load_profile(os.environ.get("KMEM_HYPOTHESIS_PROFILE", "quick"))

def pytest_configure(config):
    """An ASan-built library under test needs the ASan runtime preloaded:
    run again with it. run_pytest.py (bazel test) does this before pytest
    starts; this covers `python3 -m pytest conformance/`. Output capturing
    is stopped first, or the new process would write into its files."""
    lib = kmem.find_library()
    if asan.needs_runtime(lib) and not asan.preloaded():
        capman = config.pluginmanager.getplugin("capturemanager")
        if capman:
            capman.stop_global_capturing()
        asan.reexec_if_needed(lib)


def pytest_report_header(config):
    PROFILES = kmem.profile_names()
    lib = kmem.load()
    caps = ", ".join(sorted(lib.capabilities))
    return [f"allocator library: {lib.path}", f"capabilities: {caps}",
            f"profiles: {', '.join(PROFILES)}",
            f"hypothesis settings profile: {getattr(settings, '_current_profile', '?')}"]


def pytest_generate_tests(metafunc):
    if "profile" in metafunc.fixturenames:
        metafunc.parametrize("profile", kmem.profile_names())


def require(lib_or_kh, *caps):
    """Skips the test when the library under test lacks a capability group."""
    lib = getattr(lib_or_kh, "lib", lib_or_kh)
    for cap in caps:
        if not lib.has(cap):
            pytest.skip(lib.why_missing(cap))


def skip_unless_slab_layer(kh):
    """SLOB has no per-cache slabs; the reference models only its kmalloc size
    classes, so rules about slabs and lists do not apply to it."""
    if kh.profile.slab == spec.SLOB:
        pytest.skip("SLOB has no per-cache slabs or slab lists (only its kmalloc size "
                    "classes are modelled)")


@pytest.fixture
def kh(profile):
    with kmem.Kh(profile) as k:
        yield k


@pytest.fixture
def lib():
    return kmem.load()


def pytest_terminal_summary(terminalreporter):
    from kmem import misuse
    if not misuse.RESULTS:
        return
    tr = terminalreporter
    tr.section("misuse catalogue: bug class -> detected by")
    for line in misuse.format_table(misuse.RESULTS).splitlines():
        tr.write_line(line)
    failed = sum(1 for r in misuse.RESULTS if r[3] != "pass")
    tr.write_line(f"{len(misuse.RESULTS)} cases, {failed} failed")
    out = os.environ.get("TEST_UNDECLARED_OUTPUTS_DIR")
    if out:
        with open(os.path.join(out, "misuse_table.txt"), "w") as f:
            f.write(misuse.format_table(misuse.RESULTS) + "\n")
