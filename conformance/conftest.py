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

def profiles():
    """Profiles every white-box test runs on. Without the reference's kh_ API
    (another allocator under test, selected with --//fuzz:allocator) only
    the black-box tests run; see pytest_collection_modifyitems."""
    return kmem.profile_names() if kmem.load().has("core") else ["no-kh-api"]


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
    config.addinivalue_line("markers", "blackbox: uses only the adapter interface (kh_adapter.h)")


def pytest_report_header(config):
    lib = kmem.load()
    caps = ", ".join(sorted(lib.capabilities)) or "none (adapter only)"
    lines = [f"allocator library: {lib.path}", f"capabilities: {caps}",
             f"profiles: {', '.join(profiles())}",
             f"hypothesis settings profile: {getattr(settings, '_current_profile', '?')}"]
    if lib.is_adapter:
        a = kmem.load_adapter()
        lines.append(f"adapter: {a.name} ({a.description}); tiers: {', '.join(a.tiers)}")
    return lines


def pytest_collection_modifyitems(config, items):
    """White-box tests need the reference's kh_ API; on another allocator
    they are skipped with the reason, and only `blackbox` tests run."""
    lib = kmem.load()
    if lib.has("core"):
        return
    name = kmem.load_adapter().name
    skip = pytest.mark.skip(reason=f"the allocator under test is adapter '{name}', which offers "
                                   f"no kh_ API: this test is a white-box test of the reference "
                                   f"(black-box subset: test_blackbox.py)")
    for item in items:
        if "blackbox" not in item.keywords:
            item.add_marker(skip)


def pytest_generate_tests(metafunc):
    if "profile" in metafunc.fixturenames:
        metafunc.parametrize("profile", profiles())


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
    from kmem import adapter as adapter_mod
    if adapter_mod.DECLARATION_LOG:
        tr = terminalreporter
        tr.section("black-box: per declaration, tier or hook -> tests that checked it / skipped")
        for what, e in sorted(adapter_mod.DECLARATION_LOG.items()):
            skipped = "; ".join(f"{n} skipped: {why}" for why, n in sorted(e["skipped"].items()))
            tr.write_line(f"  {what:<30} {e['checked']} checked" + (f"; {skipped}" if skipped else ""))
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
