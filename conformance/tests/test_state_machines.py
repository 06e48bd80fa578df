"""Hypothesis state machines for kmalloc, slab caches, pages and mempools.

Each machine keeps a Python model of what must hold (live allocations with
their requested sizes and fill patterns, expected ksize, free page count)
and checks after every step: kh_validate(), the suite's own checks
(kmem.checks: slab lists, buddies, accounting, overlap) and the contents of
every live allocation. Every step is also recorded as a line of the fuzz
trace language; a failure message ends with that trace, so it can be saved
to a file and run with bazel-bin/fuzz/replay. Each machine runs in a forked
child, so a crash in C fails the test instead of killing the run.
"""
import pytest
from hypothesis import note, settings
from hypothesis import strategies as st
from hypothesis.stateful import (RuleBasedStateMachine, initialize, invariant, precondition, rule,
                                 run_state_machine_as_test)

from conftest import require

from kmem import Kh, checks, load, spec
from kmem.instance import FAULT_ALL, FAULT_FROM, FAULT_NTH
from kmem.isolate import run_isolated
from kmem.spec import (GFP_ATOMIC, GFP_DMA, GFP_DMA32, GFP_KERNEL, GFP_NOWAIT, __GFP_NOWARN,
                       __GFP_ZERO, gfp_text)
from kmem.trace import TraceRecorder, find_tool, run_tool

Z = spec.ZERO_SIZE_PTR
GFP_ZERO_BIT, NOWARN_BIT = __GFP_ZERO, __GFP_NOWARN  # no name mangling in classes
PICK = st.integers(min_value=0, max_value=1 << 30)


class Machine(RuleBasedStateMachine):
    profile_name = None   # set by the per-profile subclass
    overrides = {}

    def __init__(self):
        super().__init__()
        self.kh = Kh(self.profile_name, **self.overrides)
        self.p = self.kh.profile
        self.trace = TraceRecorder(self.profile_name)
        self.live = {}   # addr -> dict(len=, pat=, label=, name=)
        self.pattern = 0

    # ---- helpers ----
    def fail(self, msg):
        raise AssertionError(f"{msg}\n--- trace (fuzz trace language) ---\n{self.trace.text()}")

    def check(self, cond, msg):
        if not cond:
            self.fail(msg)

    def fill(self, addr, length, label, name):
        self.pattern = self.pattern % 254 + 1
        if length:
            self.kh.fill(addr, self.pattern, length)
            self.trace.op(f"write {name} 0 {length} {self.pattern:#04x}")
        self.live[addr] = dict(len=length, pat=self.pattern, label=label, name=name)

    def check_contents(self, addr):
        o = self.live[addr]
        data = self.kh.read(addr, o["len"])
        if data != bytes([o["pat"]]) * o["len"]:
            bad = next(i for i, b in enumerate(data) if b != o["pat"])
            self.fail(f"{o['label']} {o['name']} corrupted at offset {bad}: "
                      f"{data[bad]:#04x}, wrote {o['pat']:#04x}")

    def pick(self, pool, i):
        keys = sorted(pool)
        return keys[i % len(keys)]

    # ---- invariants shared by every machine ----
    @invariant()
    def validates(self):
        v = self.kh.validate()
        self.check(not v, "kh_validate: " + "; ".join(map(str, v[:5])))

    @invariant()
    def contents_intact(self):
        for addr in self.live:
            self.check_contents(addr)

    @invariant()
    def no_unexpected_bug_reports(self):
        bugs = [r for r in self.kh.reports() if r.severity == "BUG"]
        self.check(not bugs, f"BUG reports during correct use: {bugs[:2]}")

    @invariant()
    def suite_checks(self):
        problems = checks.all_problems(
            self.kh, [(a, max(o["len"], 1), f"{o['label']} {o['name']}") for a, o in self.live.items()])
        self.check(not problems, "\n".join(problems[:8]))

    def teardown(self):
        note(self.trace.text())
        self.kh.close()


GFPS = [GFP_KERNEL, GFP_KERNEL | NOWARN_BIT, GFP_ATOMIC, GFP_KERNEL | GFP_ZERO_BIT, GFP_DMA]


def kmalloc_sizes(p):
    lim = spec.kmalloc_limits(p)
    return st.one_of(st.integers(0, 2 * p.page_size),
                     st.sampled_from([8, 96, 192, lim.max_cache_size, lim.max_cache_size + 1,
                                      3 * p.page_size + 5]))


class KmallocMachine(Machine):
    def new_object(self, addr, size, gfp, text, zeroed=False, want_ksize=None):
        name = self.trace.result("p", addr, text)
        if size == 0:
            self.check(addr == Z, f"{text}: size 0 gave {addr:#x}, not ZERO_SIZE_PTR")
            return
        want = want_ksize or spec.kmalloc_ksize(self.p, size)
        if want is None:
            self.check(addr == 0, f"{text}: above KMALLOC_MAX_SIZE but not NULL")
            return
        self.check(addr != 0, f"{text} returned NULL")
        got = self.kh.ksize(addr)
        self.check(got == want, f"{text}: ksize {got}, expected {want}")
        self.check(addr % spec.kmalloc_min_align(self.p, size) == 0, f"{text}: misaligned {addr:#x}")
        if zeroed or gfp & GFP_ZERO_BIT:
            self.check(self.kh.read(addr, size) == bytes(size), f"{text}: not zeroed")
        self.fill(addr, size, "kmalloc", name)
        self.live[addr]["ksize"] = want

    @rule(size=st.data(), gfp=st.sampled_from(GFPS))
    def kmalloc(self, size, gfp):
        n = size.draw(kmalloc_sizes(self.p))
        self.new_object(self.kh.kmalloc(n, gfp), n, gfp, f"kmalloc {n} {gfp_text(gfp)}")

    @rule(size=st.integers(0, 3000))
    def kzalloc(self, size):
        self.new_object(self.kh.kzalloc(size), size, GFP_KERNEL, f"kzalloc {size} GFP_KERNEL", True)

    @rule(n=st.integers(0, 40), size=st.integers(0, 200))
    def kcalloc(self, n, size):
        self.new_object(self.kh.kcalloc(n, size), n * size, GFP_KERNEL,
                        f"kcalloc {n} {size} GFP_KERNEL", True)

    @precondition(lambda self: self.live)
    @rule(i=PICK, size=st.data())
    def krealloc(self, i, size):
        addr = self.pick(self.live, i)
        old = self.live[addr]
        n = size.draw(kmalloc_sizes(self.p))
        ks = self.kh.ksize(addr)
        new = self.kh.krealloc(addr, n)
        text = f"krealloc {old['name']} {n} GFP_KERNEL"
        if spec.kmalloc_ksize(self.p, n) is None:   # above KMALLOC_MAX_SIZE: NULL, old kept
            self.trace.result("p", 0, text)
            self.check(new == 0, f"{text}: above KMALLOC_MAX_SIZE but not NULL")
            self.check_contents(addr)
            return
        self.trace.forget(addr)
        del self.live[addr]
        if n == 0:
            self.trace.result("p", 0, text)
            self.check(new == Z, f"{text}: size 0 gave {new:#x}")
            return
        if n <= ks:
            self.check(new == addr, f"{text}: moved although {n} <= ksize {ks}")
        keep = min(n, old["len"])
        self.check(new != 0, f"{text} returned NULL")
        data = self.kh.read(new, keep)
        self.check(data == bytes([old["pat"]]) * keep, f"{text}: prefix of {keep} bytes not preserved")
        self.new_object(new, n, GFP_KERNEL, text, want_ksize=ks if new == addr else None)

    @rule()
    def krealloc_null(self):
        self.new_object(self.kh.krealloc(0, 77), 77, GFP_KERNEL, "krealloc NULL 77 GFP_KERNEL")

    @precondition(lambda self: self.live)
    @rule(i=PICK, sensitive=st.booleans())
    def kfree(self, i, sensitive):
        addr = self.pick(self.live, i)
        o = self.live.pop(addr)
        self.check_contents_of(addr, o)
        (self.kh.kfree_sensitive if sensitive else self.kh.kfree)(addr)
        self.trace.op(f"{'kfree_sensitive' if sensitive else 'kfree'} {o['name']}")
        self.trace.forget(addr)

    def check_contents_of(self, addr, o):
        self.live[addr] = o
        self.check_contents(addr)
        del self.live[addr]

    @rule(which=st.sampled_from([0, Z]))
    def kfree_null(self, which):
        before = len(self.kh.reports())
        self.kh.kfree(which)
        self.trace.op(f"kfree {self.trace.ref(which)}")
        self.check(len(self.kh.reports()) == before, "kfree(NULL/ZERO_SIZE_PTR) reported something")

    @precondition(lambda self: self.live)
    @rule(i=PICK)
    def ksize(self, i):
        addr = self.pick(self.live, i)
        self.trace.op(f"ksize {self.live[addr]['name']}")
        want = self.live[addr]["ksize"]
        self.check(self.kh.ksize(addr) == want, f"ksize {self.live[addr]['name']} != {want}")

    @rule(size=st.integers(1, 5000))
    def kmalloc_with_injected_failure(self, size):
        self.kh.fault_set(FAULT_NTH, nth=1, domains=FAULT_ALL)
        self.trace.op("fail_nth 1")
        addr = self.kh.kmalloc(size, GFP_KERNEL | NOWARN_BIT)
        self.trace.result("p", addr, f"kmalloc {size} {gfp_text(GFP_KERNEL | NOWARN_BIT)}")
        self.kh.fault_clear()
        self.trace.op("fail_off")
        self.check(addr == 0, "kmalloc succeeded although its allocation attempt was failed")

    def teardown(self):
        for addr, o in list(self.live.items()):
            self.kh.kfree(addr)
        super().teardown()


class CacheMachine(Machine):
    overrides = {"nr_cpus": 2}

    def __init__(self):
        super().__init__()
        self.caches = {}   # ptr -> dict(name, size, objs=set(), bulks=list)
        self.ncache = 0

    @precondition(lambda self: len(self.caches) < 3)
    @rule(size=st.integers(1, 3000), align=st.sampled_from([0, 8, 64, 256]),
          hw=st.booleans())
    def create(self, size, align, hw):
        flags = spec.SLAB_HWCACHE_ALIGN if hw else 0
        self.ncache += 1
        name = f"cache{self.ncache}"
        c = self.kh.cache_create(name, size, align, flags)
        var = self.trace.result("c", c, f"kmem_cache_create {name} {size} {align} {spec.slab_flags_text(flags)}")
        self.check(c != 0, f"kmem_cache_create {name} {size} failed")
        self.check(self.kh.cache_size(c) == size, "kmem_cache_size")
        self.caches[c] = dict(name=var, size=size, objs=set(), bulks=[],
                              align=spec.cache_align(self.p, size, align, flags))

    def alloc_one(self, c, zero):
        info = self.caches[c]
        gfp = GFP_KERNEL
        o = (self.kh.cache_zalloc if zero else self.kh.cache_alloc)(c, gfp)
        op = "kmem_cache_zalloc" if zero else "kmem_cache_alloc"
        var = self.trace.result("o", o, f"{op} {info['name']} GFP_KERNEL")
        self.check(o != 0, f"{op} returned NULL")
        self.check(o % info["align"] == 0, f"object {o:#x} not aligned to {info['align']}")
        if zero:
            self.check(self.kh.read(o, info["size"]) == bytes(info["size"]), "kmem_cache_zalloc not zeroed")
        info["objs"].add(o)
        self.fill(o, info["size"], info["name"], var)

    @precondition(lambda self: self.caches)
    @rule(i=PICK, zero=st.booleans())
    def alloc(self, i, zero):
        self.alloc_one(self.pick(self.caches, i), zero)

    @precondition(lambda self: any(c["objs"] for c in self.caches.values()))
    @rule(i=PICK, j=PICK)
    def free(self, i, j):
        c = self.pick({k for k, v in self.caches.items() if v["objs"]}, i)
        info = self.caches[c]
        o = self.pick(info["objs"], j)
        self.check_contents(o)
        self.kh.cache_free(c, o)
        self.trace.op(f"kmem_cache_free {info['name']} {self.live[o]['name']}")
        info["objs"].discard(o)
        del self.live[o]
        self.trace.forget(o)

    @precondition(lambda self: self.caches)
    @rule(i=PICK, n=st.integers(1, 40))
    def alloc_bulk(self, i, n):
        c = self.pick(self.caches, i)
        info = self.caches[c]
        objs = self.kh.cache_alloc_bulk(c, n)
        var = self.trace.bind("b", 0)
        self.trace.op(f"{var} = kmem_cache_alloc_bulk {info['name']} {n} GFP_KERNEL")
        self.check(len(objs) == n, f"kmem_cache_alloc_bulk {n} gave {len(objs)}")
        self.check(len(set(objs)) == n, "kmem_cache_alloc_bulk returned duplicates")
        for k, o in enumerate(objs):
            self.trace.names[o] = f"{var}[{k}]"
            self.fill(o, info["size"], info["name"], f"{var}[{k}]")
        info["bulks"].append((var, objs))

    @precondition(lambda self: any(c["bulks"] for c in self.caches.values()))
    @rule(i=PICK)
    def free_bulk(self, i):
        c = self.pick({k for k, v in self.caches.items() if v["bulks"]}, i)
        info = self.caches[c]
        var, objs = info["bulks"].pop()
        for o in objs:
            self.check_contents(o)
        self.kh.cache_free_bulk(c, objs)
        self.trace.op(f"kmem_cache_free_bulk {info['name']} {var}")
        for o in objs:
            del self.live[o]
            self.trace.forget(o)

    @precondition(lambda self: self.caches)
    @rule(i=PICK)
    def shrink(self, i):
        c = self.pick(self.caches, i)
        self.kh.cache_shrink(c)
        self.trace.op(f"kmem_cache_shrink {self.caches[c]['name']}")
        info = self.kh.cache_info(c)
        if self.p.slab != spec.SLOB and info.design == "slub":
            empty = [s for s in self.kh.slabs(c) if s.inuse == 0 and s.list != "cpu"]
            self.check(not empty, f"{len(empty)} empty slabs left after kmem_cache_shrink")

    @precondition(lambda self: any(not v["objs"] and not v["bulks"] for v in self.caches.values()))
    @rule(i=PICK)
    def destroy(self, i):
        c = self.pick({k for k, v in self.caches.items() if not v["objs"] and not v["bulks"]}, i)
        info = self.caches.pop(c)
        self.kh.cache_destroy(c)
        self.trace.op(f"kmem_cache_destroy {info['name']}")
        self.check(not [r for r in self.kh.reports() if r.cls == "SLAB"],
                   "destroying an empty cache reported a problem")

    @rule(cpu=st.integers(0, 1))
    def set_cpu(self, cpu):
        self.kh.set_cpu(cpu)
        self.trace.op(f"set_cpu {cpu}")

    @invariant()
    def model_counts(self):
        for c, info in self.caches.items():
            ci = self.kh.cache_info(c)
            want = len(info["objs"]) + sum(len(b) for _, b in info["bulks"])
            self.check(ci.nr_inuse == want, f"{info['name']}: nr_inuse {ci.nr_inuse}, model {want}")

    def teardown(self):
        for c, info in self.caches.items():
            for o in info["objs"]:
                self.kh.cache_free(c, o)
            for _, objs in info["bulks"]:
                self.kh.cache_free_bulk(c, objs)
            self.kh.cache_destroy(c)
        super().teardown()


PAGE_GFPS = [GFP_KERNEL, GFP_KERNEL | GFP_ZERO_BIT, GFP_DMA, GFP_DMA32, GFP_ATOMIC,
             GFP_KERNEL | NOWARN_BIT]


class PagesMachine(Machine):
    @initialize()
    def baseline(self):
        self.initial_free = self.kh.nr_free_pages()
        self.initial_lists = [z.nr_free for z in self.kh.zones()]
        self.orders = {}

    @rule(order=st.integers(0, 6), gfp=st.sampled_from(PAGE_GFPS))
    def alloc_pages(self, order, gfp):
        order = min(order, self.p.max_order - 1)
        zones = self.kh.zones()
        a = self.kh.alloc_pages(order, gfp)
        var = self.trace.result("g", a, f"alloc_pages {order} {gfp_text(gfp)}")
        if not a:
            self.check(spec.expected_zone(zones, gfp, order, self.p.kernel) is None,
                       f"alloc_pages {order} failed although a zone passes its watermark")
            return
        z = self.kh.zone_of_pfn(self.kh.pfn(a))
        self.check(z in spec.zonelist(gfp, [x.present for x in zones]),
                   f"{var} from zone {z}, not allowed for {gfp_text(gfp)}")
        want = spec.expected_zone(zones, gfp, order, self.p.kernel)
        self.check(want is None or z == want, f"{var} from zone {z}, fallback rules pick {want}")
        n = self.kh.page_size << order
        self.check(a % n == 0, f"{var} not aligned to its order")
        if gfp & GFP_ZERO_BIT:
            self.check(self.kh.read(a, n) == bytes(n), f"{var} not zeroed")
        self.orders[a] = order
        self.fill(a, min(n, 4 * self.kh.page_size), "pages", var)

    @rule()
    def get_zeroed_page(self):
        a = self.kh.get_zeroed_page()
        var = self.trace.result("g", a, "get_zeroed_page GFP_KERNEL")
        self.check(a != 0 and self.kh.read(a, self.kh.page_size) == bytes(self.kh.page_size),
                   f"{var} not a zeroed page")
        self.orders[a] = 0
        self.fill(a, self.kh.page_size, "pages", var)

    @precondition(lambda self: self.orders)
    @rule(i=PICK)
    def free_pages(self, i):
        a = self.pick(self.orders, i)
        self.check_contents(a)
        order = self.orders.pop(a)
        self.kh.free_pages(a, order)
        self.trace.op(f"free_pages {self.live[a]['name']} {order}")
        del self.live[a]
        self.trace.forget(a)

    @invariant()
    def free_page_count(self):
        if not hasattr(self, "orders"):
            return
        want = self.initial_free - sum(1 << o for o in self.orders.values())
        self.check(self.kh.nr_free_pages() == want,
                   f"nr_free_pages {self.kh.nr_free_pages()}, model {want}")

    def teardown(self):
        for a, o in getattr(self, "orders", {}).items():
            self.kh.free_pages(a, o)
        if hasattr(self, "orders"):
            lists = [z.nr_free for z in self.kh.zones()]
            if lists != self.initial_lists:
                note(self.trace.text())
                self.kh.close()
                raise AssertionError("free lists differ from the initial ones after freeing "
                                     "everything (coalescing incomplete)")
        super().teardown()


POOL_KINDS = ["kmalloc", "large", "slab", "page"]
NOWAIT_GFPS = [GFP_ATOMIC, GFP_NOWAIT]


class MempoolMachine(Machine):
    """Pools of every stock kind (SPEC 8). The model knows each pool's
    min_nr and reserve size: create preallocates min_nr; mempool_alloc takes
    from the allocator while it succeeds and from the reserve (newest first)
    when it fails; mempool_free refills the reserve below min_nr and
    otherwise frees; resize shrinks or refills the reserve to the new
    min_nr. Allocator failure is injected (failing every attempt), with
    callers that may not sleep, so an empty reserve means NULL."""

    def __init__(self):
        super().__init__()
        self.pools = {}    # pool -> dict(name, kind, min, curr, size, held={element: addr})
        self.ncache = 0

    def element_addr(self, info, e):
        return self.kh.page_address(e) if info["kind"] == "page" else e

    @precondition(lambda self: len(self.pools) < 3)
    @rule(kind=st.sampled_from(POOL_KINDS), min_nr=st.integers(1, 4),
          size=st.integers(1, 600), order=st.integers(0, 2))
    def create(self, kind, min_nr, size, order):
        kh = self.kh
        if kind == "kmalloc":
            pool, text = kh.mempool_create_kmalloc_pool(min_nr, size), f"{min_nr} {size}"
            op, nbytes = "mempool_create_kmalloc_pool", size
        elif kind == "large":
            # past the kmalloc caches where there is a page passthrough
            # (classic SLAB has none: a big slab object then)
            lim = spec.kmalloc_limits(self.p)
            size += lim.max_cache_size if lim.max_size > lim.max_cache_size else 2 * self.p.page_size
            pool, text = kh.mempool_create_kmalloc_pool(min_nr, size), f"{min_nr} {size}"
            op, nbytes = "mempool_create_kmalloc_pool", size
        elif kind == "slab":
            self.ncache += 1
            name = f"pool_cache{self.ncache}"
            c = kh.cache_create(name, size)
            cvar = self.trace.result("c", c, f"kmem_cache_create {name} {size} 0 0")
            self.check(c != 0, f"kmem_cache_create {name} failed")
            pool, text = kh.mempool_create_slab_pool(min_nr, c), f"{min_nr} {cvar}"
            op, nbytes = "mempool_create_slab_pool", size
        else:
            pool, text = kh.mempool_create_page_pool(min_nr, order), f"{min_nr} {order}"
            op, nbytes = "mempool_create_page_pool", self.p.page_size << order
        var = self.trace.result("m", pool, f"{op} {text}")
        self.check(pool != 0, f"{op} {text} failed with plenty of memory")
        self.pools[pool] = dict(name=var, kind=kind, min=min_nr, curr=min_nr,
                                size=min(nbytes, 2 * self.p.page_size), held={},
                                cache=c if kind == "slab" else None)

    def alloc_from(self, pool, gfp, failing):
        info = self.pools[pool]
        text = f"mempool_alloc {info['name']} {gfp_text(gfp)}"
        if failing:
            self.kh.fault_set(FAULT_FROM, nth=1, domains=FAULT_ALL)
            self.trace.op("fail_from 1")
        e = self.kh.mempool_alloc(pool, gfp)
        if failing:
            self.kh.fault_clear()
            self.trace.op("fail_off")
        var = self.trace.result("e", e, text)
        if failing and info["curr"] == 0:
            self.check(e == 0, f"{text}: allocator failing and reserve empty, but got memory")
            return
        self.check(e != 0, f"{text} returned NULL " +
                   ("with elements in the reserve" if failing else "with plenty of memory"))
        if failing:
            info["curr"] -= 1   # the reserve's newest element
        a = self.element_addr(info, e)
        self.check(all(self.element_addr(info, x) != a for x in info["held"]),
                   f"{text}: handed out an element the caller still holds")
        info["held"][e] = a
        self.fill(a, info["size"], f"mempool {info['kind']}", var)

    @precondition(lambda self: self.pools)
    @rule(i=PICK, gfp=st.sampled_from([GFP_KERNEL] + NOWAIT_GFPS))
    def alloc(self, i, gfp):
        self.alloc_from(self.pick(self.pools, i), gfp, failing=False)

    @precondition(lambda self: self.pools)
    @rule(i=PICK, gfp=st.sampled_from(NOWAIT_GFPS))
    def alloc_allocator_failing(self, i, gfp):
        self.alloc_from(self.pick(self.pools, i), gfp | NOWARN_BIT, failing=True)

    @precondition(lambda self: any(v["held"] for v in self.pools.values()))
    @rule(i=PICK, j=PICK)
    def free(self, i, j):
        pool = self.pick({k for k, v in self.pools.items() if v["held"]}, i)
        info = self.pools[pool]
        e = self.pick(info["held"], j)
        a = info["held"].pop(e)
        self.check_contents(a)
        self.kh.mempool_free(e, pool)
        self.trace.op(f"mempool_free {self.live[a]['name']} {info['name']}")
        del self.live[a]
        self.trace.forget(e)
        if info["curr"] < info["min"]:
            info["curr"] += 1

    @precondition(lambda self: self.pools)
    @rule(i=PICK)
    def free_null(self, i):
        pool = self.pick(self.pools, i)
        before = len(self.kh.reports())
        self.kh.mempool_free(0, pool)
        self.trace.op(f"mempool_free NULL {self.pools[pool]['name']}")
        self.check(len(self.kh.reports()) == before, "mempool_free(NULL) reported something")

    @precondition(lambda self: self.pools)
    @rule(i=PICK, new_min=st.integers(1, 5))
    def resize(self, i, new_min):
        pool = self.pick(self.pools, i)
        info = self.pools[pool]
        rc = self.kh.mempool_resize(pool, new_min)
        self.trace.op(f"mempool_resize {info['name']} {new_min}")
        self.check(rc == 0, f"mempool_resize {info['name']} {new_min} returned {rc}")
        info["curr"] = new_min if new_min > info["min"] else min(info["curr"], new_min)
        info["min"] = new_min

    @precondition(lambda self: any(not v["held"] for v in self.pools.values()))
    @rule(i=PICK)
    def destroy(self, i):
        pool = self.pick({k for k, v in self.pools.items() if not v["held"]}, i)
        info = self.pools.pop(pool)
        self.kh.mempool_destroy(pool)
        self.trace.op(f"mempool_destroy {info['name']}")
        if info["cache"]:
            self.kh.cache_destroy(info["cache"])
            self.trace.op(f"kmem_cache_destroy {self.trace.ref(info['cache'])}")
        self.check(not self.kh.reports(), f"destroying an idle pool reported {self.kh.reports()[:1]}")

    @invariant()
    def model_counts(self):
        got = {m.ptr: m for m in self.kh.mempools()}
        self.check(set(got) == set(self.pools), f"live pools {len(got)}, model {len(self.pools)}")
        for pool, info in self.pools.items():
            m = got[pool]
            self.check((m.min_nr, m.curr_nr) == (info["min"], info["curr"]),
                       f"{info['name']}: (min_nr, curr_nr) = {(m.min_nr, m.curr_nr)}, model "
                       f"{(info['min'], info['curr'])}")

    @invariant()
    def reserves(self):
        held = [e for v in self.pools.values() for e in v["held"]]
        problems = checks.mempool_problems(self.kh, held)
        self.check(not problems, "\n".join(problems[:5]))

    def teardown(self):
        for pool, info in self.pools.items():
            for e in info["held"]:
                self.kh.mempool_free(e, pool)
            self.kh.mempool_destroy(pool)
            if info["cache"]:
                self.kh.cache_destroy(info["cache"])
        self.live.clear()
        super().teardown()


def _run(machine, profile):
    cls = type(f"{machine.__name__}_{profile.replace('-', '_').replace('.', '_')}", (machine,),
               {"profile_name": profile})
    run_state_machine_as_test(cls, settings=settings())
    return True


@pytest.mark.parametrize("machine", [KmallocMachine, CacheMachine, PagesMachine, MempoolMachine],
                         ids=["kmalloc", "caches", "pages", "mempool"])
def test_state_machine(machine, profile):
    if machine is MempoolMachine:
        require(load(), "mempool")
    run_isolated(_run, machine, profile)


# ---- the traces the machines print are real traces ------------------------------

def _collect_traces(machine, profile):
    """Runs a machine briefly and returns the trace of every run."""
    traces = []

    class Recording(machine):
        profile_name = profile

        def teardown(self):
            traces.append(self.trace.text())
            super().teardown()
    Recording.__name__ = f"{machine.__name__}_recording"
    run_state_machine_as_test(Recording, settings=settings(max_examples=4, stateful_step_count=20,
                                                           derandomize=True, database=None))
    return traces


@pytest.mark.parametrize("machine", [KmallocMachine, CacheMachine, PagesMachine, MempoolMachine],
                         ids=["kmalloc", "caches", "pages", "mempool"])
def test_printed_traces_replay(machine):
    """What a failing machine prints (its steps in the fuzz trace language)
    parses with bazel-bin/fuzz/trace and replays with bazel-bin/fuzz/replay:
    for passing runs the replay, which checks every step against its own
    shadow model and oracles, must find nothing either."""
    replay, tool = find_tool("replay"), find_tool("trace")
    if not (replay and tool):
        pytest.skip("bazel-bin/fuzz/replay and bazel-bin/fuzz/trace are not built")
    profile = "linux-6.1-x86_64-16m"
    traces = run_isolated(_collect_traces, machine, profile)
    assert traces
    for text in traces:
        rc, out = run_tool(tool, ["check"], text)
        assert rc == 0, f"`trace check` rejected a printed trace:\n{out}\n--- trace ---\n{text}"
        rc, out = run_tool(replay, [], text)
        assert rc == 0, f"`replay` found something in a passing run:\n{out}\n--- trace ---\n{text}"
