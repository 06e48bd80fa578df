"""Memory pressure and fault injection, SQLite style: for an operation
sequence, fail allocation attempt N for N = 1, 2, ... until the sequence
completes without reaching attempt N, once failing only attempt N (NTH) and
once failing every attempt from N on (FROM). After every run: the state
validates, nothing leaked once everything is freed, and every failure was
reported as SPEC 3/4 say (a "page allocation failure" warning for a failed
request without __GFP_NOWARN, none with it and none for a request that
succeeded)."""
import pytest

from kmem import Kh, checks, spec
from kmem.instance import FAULT_ALL, FAULT_FROM, FAULT_NTH, FAULT_PAGE, FAULT_SLAB
from kmem.spec import GFP_KERNEL, __GFP_NOWARN

MAX_RUNS = 400


def is_failure_report(r):
    """The kernel's warn_alloc family: "page allocation failure", "vmalloc
    error: ...", and the per-CPU allocator's "allocation failed"."""
    return (r.cls == "PAGE_ALLOC_FAILURE" or (r.cls == "VMALLOC" and "vmalloc error" in r.text)
            or (r.cls == "PERCPU" and "allocation failed" in r.text))


class Sequence:
    """A fixed mix of every allocating API; each step may fail (NULL) and the
    sequence carries on, like kernel code handling -ENOMEM."""

    def __init__(self, kh, gfp):
        self.kh, self.gfp = kh, gfp
        self.held = []          # (free function, handle)
        self.outcomes = []      # (step name, ok, page alloc failure reports during it)

    def step(self, name, alloc, free):
        before = len(self.kh.reports())
        h = alloc()
        new = self.kh.reports()[before:]
        paf = [r for r in new if is_failure_report(r)]
        self.outcomes.append((name, bool(h), len(paf)))
        if h:
            self.held.append((free, h))
        return h

    def run(self):
        kh, g = self.kh, self.gfp
        ps = kh.page_size
        for n in (24, 200, 1000, 3 * ps, 5 * ps):
            self.step(f"kmalloc {n}", lambda n=n: kh.kmalloc(n, g), kh.kfree)
        self.step("kzalloc 96", lambda: kh.kzalloc(96, g), kh.kfree)
        p = kh.kmalloc(100, g)
        if p:
            self.outcomes.append(("kmalloc 100", True, 0))
            q = self.step("krealloc 100 -> 3000", lambda: kh.krealloc(p, 3000, g), kh.kfree)
            if not q:
                assert kh.ksize(p) >= 100, "old object lost after a failed krealloc"
                self.held.append((kh.kfree, p))
        c = kh.cache_create("fault_loop", 200)   # cache creation itself is not failed here
        assert c
        for i in range(3):
            self.step("kmem_cache_alloc", lambda: kh.cache_alloc(c, g), lambda o, c=c: kh.cache_free(c, o))
        bulk = kh.cache_alloc_bulk(c, 40, g)
        self.outcomes.append(("kmem_cache_alloc_bulk 40", bool(bulk), 0))
        assert len(bulk) in (0, 40), "kmem_cache_alloc_bulk is all or nothing"
        for order in (0, 3):
            self.step(f"alloc_pages {order}", lambda o=order: kh.alloc_pages(o, g),
                      lambda a, o=order: kh.free_pages(a, o))
        if kh.has("vmalloc"):
            self.step("vmalloc", lambda: kh.lib.kh___vmalloc(kh.kh, 3 * ps, g) or 0, kh.vfree)
            self.step("kvmalloc", lambda: kh.kvmalloc(2 * ps, g), kh.kvfree)
        if kh.has("percpu"):
            self.step("alloc_percpu", lambda: kh.alloc_percpu(64, 8, g), kh.free_percpu)
        if kh.has("mempool"):
            # mempool_create preallocates with GFP_KERNEL whatever the caller
            # uses elsewhere, and tears everything down when that fails.
            pool = self.step("mempool_create_kmalloc_pool 2 300",
                             lambda: kh.mempool_create_kmalloc_pool(2, 300), kh.mempool_destroy)
            if pool:
                # The reserve serves whatever the allocator refuses: with at
                # most min_nr elements out, mempool_alloc never fails (and
                # never has to wait, which would be a deadlock here).
                for _ in range(2):
                    e = self.step("mempool_alloc", lambda: kh.mempool_alloc(pool, g),
                                  lambda e, pool=pool: kh.mempool_free(e, pool))
                    assert e, "mempool_alloc failed with elements in the reserve"
        for free, h in reversed(self.held):
            free(h)
        if bulk:
            kh.cache_free_bulk(c, bulk)
        kh.cache_destroy(c)


def run_sequence(kh, gfp):
    s = Sequence(kh, gfp)
    s.run()
    return s.outcomes


@pytest.mark.parametrize("mode", [FAULT_NTH, FAULT_FROM], ids=["nth", "from"])
@pytest.mark.parametrize("domains", [FAULT_ALL, FAULT_PAGE, FAULT_SLAB], ids=["all", "page", "slab"])
@pytest.mark.parametrize("nowarn", [False, True], ids=["warn", "nowarn"])
def test_fault_loop(profile, mode, domains, nowarn):
    gfp = GFP_KERNEL | (__GFP_NOWARN if nowarn else 0)
    with Kh(profile) as kh:
        run_sequence(kh, gfp)                       # warm up: first per-CPU chunk etc.
        baseline = kh.footprint()
        kh.assert_valid()
        for n in range(1, MAX_RUNS + 1):
            kh.clear_reports()
            kh.fault_set(mode, nth=n, domains=domains)
            outcomes = run_sequence(kh, gfp)
            injected, attempts = kh.fault_injected(), kh.fault_attempts()
            kh.fault_clear()
            where = f"fault {['', 'nth', 'from'][mode]}={n} ({injected} injected of {attempts})"
            kh.assert_valid(where)
            problems = checks.all_problems(kh)
            assert not problems, where + ":\n" + "\n".join(problems)
            assert kh.footprint() == baseline, f"{where}: memory leaked after freeing everything"
            for name, ok, paf in outcomes:
                if ok or (nowarn and not name.startswith("mempool_create")):
                    assert paf == 0, f"{where}: '{name}' {'succeeded' if ok else 'failed'} " \
                                     f"but printed {paf} allocation failure reports"
            if domains == FAULT_PAGE and not nowarn:
                failed = [name for name, ok, _ in outcomes if not ok]
                for name, ok, paf in outcomes:
                    if not ok and paf == 0 and not name.startswith("kmem_cache_alloc_bulk") \
                            and name != "kmalloc 100":
                        raise AssertionError(f"{where}: '{name}' failed on an injected page "
                                             f"allocation failure without a report (failed: {failed})")
            bugs = [r for r in kh.reports() if r.severity == "BUG"]
            assert not bugs, f"{where}: {bugs}"
            if injected == 0:
                assert all(ok for _, ok, _ in outcomes), f"{where}: a step failed with no fault injected"
                return
        raise AssertionError(f"the sequence did not complete within {MAX_RUNS} fault points")
