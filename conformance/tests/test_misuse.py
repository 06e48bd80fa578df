"""The misuse catalogue (SPEC 6 and 7): each case performs one misuse in a
child process and must get the expected detection (mechanism, kind and
offset), or none for the must-not-report cases. The cases are in
kmem/misuse_cases.py; the table "bug class -> detected by -> pass/fail" is
printed at the end of the run.

The children run in parallel (one per core), started when the first case
asks for its result; each test then judges its own child.
"""
import os
from concurrent.futures import ThreadPoolExecutor

import pytest

from kmem import misuse as M

CASES = {c.name: c for c in M.CATALOGUE}

# SPEC 7's list, phrase by phrase, and the cases that perform it: a class
# dropped from the catalogue fails test_catalogue_covers_the_spec.
SPEC7 = {
    "kmalloc OOB right (unaligned and next granule)": ["kmalloc_oob_right_115",
                                                       "kmalloc_oob_right_120"],
    "kmalloc OOB left": ["kmalloc_oob_left"],
    "kmalloc_node OOB": ["kmalloc_node_oob_right"],
    "the largest slab size OOB": ["kmalloc_big_oob_right"],
    "16-byte copy out of a 13-byte object": ["kmalloc_oob_16_read", "kmalloc_oob_16_write"],
    "large kmalloc OOB / UAF / invalid free": ["kmalloc_large_oob_right", "kmalloc_large_uaf",
                                               "kmalloc_large_invalid_free"],
    "page allocation UAF (order 4)": ["page_alloc_uaf"],
    "krealloc more/less OOB, and the large variants": [
        "krealloc_more_oob", "krealloc_less_oob", "krealloc_large_more_oob",
        "krealloc_large_less_oob"],
    "krealloc of a freed pointer": ["krealloc_uaf"],
    "kmalloc UAF (read, memset, 16-byte copy)": ["kmalloc_uaf", "kmalloc_uaf_memset",
                                                 "kmalloc_uaf_16"],
    "stale pointer after same-size reallocation": ["kmalloc_uaf2"],
    "double kfree_sensitive": ["kmalloc_double_kzfree"],
    "memset/memmove/memchr/memcmp/str* crossing the end": [
        "kmalloc_oob_memset_2", "kmalloc_oob_memset_4", "kmalloc_oob_memset_8",
        "kmalloc_oob_memset_16", "kmalloc_memmove_invalid_size", "kasan_memchr",
        "kasan_memcmp", "kasan_strlen_oob", "kasan_strings_strchr", "kasan_strings_strrchr",
        "kasan_strings_strcmp", "kasan_strings_strncmp", "kasan_strings_strlen",
        "kasan_strings_strnlen"],
    "ksize larger than requested, access beyond the request reported": [
        "ksize_unpoisons_memory", "ksize_beyond"],
    "ksize after free": ["ksize_uaf"],
    "kmem_cache OOB": ["kmem_cache_oob"],
    "kmem_cache double free": ["kmem_cache_double_free"],
    "kmem_cache invalid free": ["kmem_cache_invalid_free"],
    "kmem_cache double destroy": ["kmem_cache_double_destroy"],
    "mempool OOB / UAF / double free / invalid free": [
        f"mempool_{k}_{w}" for k in ("kmalloc", "large", "slab")
        for w in ("oob_right", "uaf", "double_free", "invalid_free")] + [
        "mempool_page_uaf", "mempool_page_double_free"],
    "vmalloc OOB": ["vmalloc_oob", "vmalloc_oob_aligned"],
    "must not report: kfree via a recomputed pointer": ["kfree_via_page", "kfree_via_phys"],
    "must not report: accounted and bulk use": ["kmalloc_accounted_and_bulk"],
}
SPEC6 = ["test_clobber_zone", "test_next_pointer", "test_first_word", "test_clobber_50th_byte",
         "test_clobber_redzone_free", "test_kmalloc_redzone_access", "test_leak_destroy",
         "test_krealloc_redzone_zeroing"]


class Runner:
    """Runs the selected cases' children on a thread pool, lazily."""

    def __init__(self, names):
        self.names = names
        self.lib, self.asan_lib, self.why = M.libraries()
        self.pool = None
        self.futures = {}

    def outcome(self, c):
        if c.needs_asan and self.asan_lib is None:
            pytest.skip(f"ASan case without an ASan library: {self.why}")
        if self.pool is None:
            self.pool = ThreadPoolExecutor(max_workers=os.cpu_count() or 2)
            for name in self.names:
                cc = CASES[name]
                lib = self.asan_lib if cc.needs_asan else self.lib
                if lib is not None:
                    self.futures[name] = self.pool.submit(M.run_case, cc, lib)
        return self.futures[c.name].result()

    def close(self):
        if self.pool:
            self.pool.shutdown(cancel_futures=True)


@pytest.fixture(scope="module")
def runner(request):
    selected = [item.callspec.params["name"] for item in request.session.items
                if getattr(item, "originalname", None) == "test_misuse"]
    r = Runner(selected)
    yield r
    r.close()


@pytest.mark.parametrize("name", list(CASES))
def test_misuse(runner, name):
    c = CASES[name]
    outcome = runner.outcome(c)
    detection, problems = M.verdict(outcome)
    M.RESULTS.append((c, M.expected_text(c.expect), detection.summary(),
                      "pass" if not problems else "FAIL"))
    assert not problems, M.explain(outcome, problems)


def test_catalogue_covers_the_spec():
    named = [n for names in SPEC7.values() for n in names] + SPEC6
    missing = [n for n in named if n not in CASES]
    assert not missing, f"catalogue cases named for SPEC 6/7 do not exist: {missing}"
    kinds = {c.expect.kind for c in M.CATALOGUE if c.expect.kind}
    assert kinds == set(M.KINDS), f"kinds without a case: {set(M.KINDS) - kinds}"
    assert {c.expect.by for c in M.CATALOGUE} == {"asan", "allocator", "none"}


def test_verdict_catches_wrong_expectations(runner):
    """The judging itself can fail: a real outcome held against a wrong
    offset, kind, mechanism or reason is rejected."""
    import dataclasses
    c = CASES["kmalloc_uaf"]
    if runner.asan_lib is None:
        pytest.skip(runner.why)
    out = M.run_case(c, runner.asan_lib)
    assert not M.verdict(out)[1]
    for wrong in [dict(offset=9), dict(kind="out-of-bounds"), dict(by="allocator"),
                  dict(access=("WRITE", 1)), dict(by="none")]:
        bad = dataclasses.replace(c, expect=dataclasses.replace(c.expect, **wrong))
        out.case = bad
        assert M.verdict(out)[1], f"a wrong expectation {wrong} was accepted"
    a = CASES["kfree_double_free"]
    out = M.run_case(a, runner.lib)
    assert not M.verdict(out)[1]
    out.case = dataclasses.replace(a, expect=dataclasses.replace(a.expect, reason="invalid free"))
    assert M.verdict(out)[1]
