"""No overlap among live memory handed out by any API: kmalloc (small and
large), slab caches, pages, mempool elements (handed out and held in the
reserves), vmalloc and per-CPU, both as virtual ranges and as the physical
pages behind them; live contents stay intact."""
import random

from conftest import require

from kmem import checks
from kmem.instance import FAULT_FROM, FAULT_PAGE, FAULT_SLAB
from kmem.spec import GFP_ATOMIC, GFP_DMA, GFP_KERNEL, __GFP_NOWARN


def physical_intervals(kh, held_pages):
    """pfn ranges each owner claims; none may overlap."""
    iv = [(kh.pfn(a), 1 << o, f"pages {a:#x}") for a, o in held_pages]
    for c in kh.caches():
        for s in kh.slabs(c.ptr):
            iv.append((kh.pfn(s.base), 1 << s.order, f"slab of {c.name}"))
    if kh.has("vmalloc"):
        for area in kh.vm_areas():
            iv += [(pfn, 1, f"vmalloc {area.addr:#x}") for pfn in area.pfns]
    return iv


def reserve_intervals(kh):
    """Elements sitting in mempool reserves: memory the pools own."""
    iv = []
    for pool in kh.mempools():
        for e in pool.reserve:
            a = kh.page_address(e) if pool.kind == "page" else e
            iv.append((a, pool.element_size, f"reserve of {pool.kind} pool {pool.index}"))
    return iv


def test_no_overlap_across_allocators(kh):
    require(kh, "vmalloc", "percpu", "mempool")
    rng = random.Random(11)
    ps = kh.page_size
    c = kh.cache_create("overlap", 72)
    live = {}   # addr -> (length, label, free, pattern byte)
    pages = {}
    cpus = kh.nr_cpus()
    unit = kh.lib.kh_percpu_unit_size(kh.kh)
    pools = [(kh.mempool_create_kmalloc_pool(3, 100), 100, "kmalloc"),
             (kh.mempool_create_slab_pool(3, c), 72, "slab"),
             (kh.mempool_create_page_pool(3, 1), 2 * ps, "page")]
    assert all(p for p, _, _ in pools), "mempool creation failed"

    def add(addr, length, label, free):
        assert addr, label
        pat = rng.randrange(1, 256)
        kh.fill(addr, pat, length)
        live[addr] = (length, label, free, pat)

    for step in range(250):
        if live and rng.random() < 0.35:
            addr = rng.choice(list(live))
            length, label, free, pat = live.pop(addr)
            assert kh.read(addr, length) == bytes([pat]) * length, f"{label} corrupted before free"
            free(addr)
            pages.pop(addr, None)
            continue
        kind = rng.randrange(7)
        if kind == 0:
            n = rng.choice([1, 13, 96, 500, 2048, 3 * ps])
            add(kh.kmalloc(n, rng.choice([GFP_KERNEL, GFP_DMA])), n, f"kmalloc {n}", kh.kfree)
        elif kind == 1:
            add(kh.cache_alloc(c), 72, "cache object", lambda o: kh.cache_free(c, o))
        elif kind == 2:
            o = rng.randrange(3)
            a = kh.alloc_pages(o)
            add(a, ps << o, f"pages order {o}", lambda a, o=o: kh.free_pages(a, o))
            pages[a] = o
        elif kind == 3:
            n = rng.choice([100, ps + 1, 5 * ps])
            add(kh.vmalloc(n), n, f"vmalloc {n}", kh.vfree)
        elif kind == 4:
            n = rng.choice([4, 40, 400])
            p = kh.alloc_percpu(n, 8)
            add(p, n, f"percpu {n}", kh.free_percpu)
            for cpu in range(1, cpus):   # the other CPUs' copies are live memory too
                live[p + cpu * unit] = (n, f"percpu {n} cpu {cpu}", lambda _: None, 0)
                kh.fill(p + cpu * unit, 0, n)
        elif kind == 5:
            n = rng.choice([10, 3 * ps])
            add(kh.kvmalloc(n), n, f"kvmalloc {n}", kh.kvfree)
        else:
            pool, n, what = rng.choice(pools)
            dry = rng.random() < 0.4   # the allocator fails: the reserve serves
            if dry:
                kh.fault_set(FAULT_FROM, nth=1, domains=FAULT_SLAB | FAULT_PAGE)
            e = kh.mempool_alloc(pool, GFP_ATOMIC | __GFP_NOWARN)
            kh.fault_clear()
            if not e:
                assert dry and kh.mempool_info(pool).curr_nr == 0, "mempool_alloc failed"
                continue
            a = kh.page_address(e) if what == "page" else e
            add(a, n, f"mempool {what} element", lambda _, e=e, pool=pool: kh.mempool_free(e, pool))
            if what == "page":
                pages[a] = 1
        problems = checks.overlap_problems([(a, v[0], v[1]) for a, v in live.items()]
                                           + reserve_intervals(kh))
        held = list(pages.items()) + [(kh.page_address(e), 1) for e in
                                      next(p for p in kh.mempools() if p.kind == "page").reserve]
        problems += checks.overlap_problems(physical_intervals(kh, held))
        problems += checks.mempool_problems(kh)
        assert not problems, f"step {step}:\n" + "\n".join(problems)
    for addr, (length, label, free, pat) in list(live.items()):
        assert kh.read(addr, length) == bytes([pat]) * length, f"{label} corrupted"
    for addr, (length, label, free, pat) in live.items():
        free(addr)
    for pool, _, _ in pools:
        kh.mempool_destroy(pool)
    kh.cache_destroy(c)
    assert kh.reports() == []
    kh.assert_valid()


def test_vmalloc_guard_pages(kh):
    """Every vmalloc area is followed by an unmapped guard page that no
    other area takes (SPEC 9), also when a freed area's hole is reused:
    areas never touch, and kh_validate's vmalloc checks hold at each step."""
    require(kh, "vmalloc")
    rng = random.Random(8)
    ps = kh.page_size
    live = []
    for step in range(120):
        if live and rng.random() < 0.4:
            kh.vfree(live.pop(rng.randrange(len(live))))
        else:
            n = rng.choice([1, ps, ps + 1, 2 * ps, 5 * ps])
            a = kh.vmalloc(n)
            assert a, f"step {step}: vmalloc({n}) failed"
            live.append(a)
        areas = sorted(kh.vm_areas(), key=lambda a: a.addr)
        for prev, nxt in zip(areas, areas[1:]):
            guard = prev.addr + prev.nr_pages * ps
            assert nxt.addr > guard, (
                f"vmalloc guard page (SPEC 9), step {step}: area {nxt.addr:#x} starts at "
                f"{'the guard page' if nxt.addr == guard else 'inside'} of area {prev.addr:#x} "
                f"({prev.nr_pages} pages)")
        kh.assert_valid(f"step {step}")
    for a in live:
        kh.vfree(a)
    assert kh.reports() == []
    kh.assert_valid()
