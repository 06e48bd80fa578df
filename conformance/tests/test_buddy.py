"""Buddy page allocator (SPEC 3, 4): coalescing completeness, no unmerged
buddies, zone fallback order, watermark and reserve rules per GFP flag,
failure reports, get_order."""
import random

import pytest

from kmem import Kh, checks, spec
from kmem.spec import (GFP_ATOMIC, GFP_DMA, GFP_DMA32, GFP_KERNEL, __GFP_MEMALLOC,
                       __GFP_NOMEMALLOC, __GFP_NOWARN)


def free_lists(kh):
    return [(z.name, z.nr_free[:kh.profile.max_order]) for z in kh.zones() if z.present]


def assert_same_free_lists(kh, initial, when):
    now = free_lists(kh)
    diff = [f"{z}: nr_free per order {tuple(a)}, initially {tuple(b)}"
            for (z, a), (_, b) in zip(now, initial) if a != b]
    assert not diff, f"coalescing (SPEC 4): free lists {when} differ from the initial ones: " + \
        "; ".join(diff)


def assert_blocks(kh, step):
    problems = checks.block_problems(kh) + checks.buddyinfo_problems(kh)
    assert not problems, f"after {step}: " + "\n".join(problems)


def test_get_order(kh):
    p = kh.profile
    sizes = list(range(1, 4 * p.page_size + 2)) + [(1 << k) + d for k in range(12, 40) for d in (-1, 0, 1)]
    bad = [(n, kh.get_order(n), spec.get_order(p, n)) for n in sizes if kh.get_order(n) != spec.get_order(p, n)]
    assert not bad, bad[:5]


def random_page_ops(kh, rng, steps, check_each=False):
    live = []
    gfps = [GFP_KERNEL, GFP_DMA32, GFP_DMA, GFP_ATOMIC]
    for step in range(steps):
        if live and rng.random() < 0.45:
            a, o = live.pop(rng.randrange(len(live)))
            kh.free_pages(a, o)
            what = f"free_pages order {o}"
        else:
            o = min(int(rng.expovariate(0.5)), kh.profile.max_order - 1)
            a = kh.alloc_pages(o, rng.choice(gfps) | __GFP_NOWARN)
            if a:
                live.append((a, o))
            what = f"alloc_pages order {o}"
        if check_each:
            assert_blocks(kh, f"step {step}: {what}")
    return live


def test_coalescing_completeness(kh):
    """Free everything and the free lists are exactly the initial ones."""
    initial = free_lists(kh)
    rng = random.Random(1)
    live = random_page_ops(kh, rng, 400)
    rng.shuffle(live)
    for a, o in live:
        kh.free_pages(a, o)
    assert_same_free_lists(kh, initial, "after freeing everything")
    assert_blocks(kh, "freeing everything")
    assert kh.reports() == []
    kh.assert_valid()


def test_no_unmerged_buddies_after_each_operation(kh):
    rng = random.Random(2)
    live = random_page_ops(kh, rng, 150, check_each=True)
    for a, o in live:
        kh.free_pages(a, o)
        assert_blocks(kh, f"free order {o}")
    kh.assert_valid()


def alloc_checked(kh, order, gfp, held):
    """One allocation, checked against the zone the fallback rules pick."""
    zones = kh.zones()
    want = spec.expected_zone(zones, gfp, order, kh.profile.kernel)
    a = kh.alloc_pages(order, gfp)
    if a:
        z = kh.zone_of_pfn(kh.pfn(a))
        allowed = spec.zonelist(gfp, [x.present for x in zones])
        assert z in allowed, f"order {order} gfp {spec.gfp_text(gfp)} served from zone {z}, allowed {allowed}"
        if want is not None:
            assert z == want, (f"order {order} gfp {spec.gfp_text(gfp)}: zone {spec.ZONE_NAMES[z]}, "
                               f"the watermark rules pick {spec.ZONE_NAMES[want]}")
        held.append((a, order))
    elif want is not None:
        raise AssertionError(f"order {order} gfp {spec.gfp_text(gfp)} failed although zone "
                             f"{spec.ZONE_NAMES[want]} passes its watermark")
    return a


def exhaust(kh, gfp, held):
    for order in range(kh.profile.max_order - 1, -1, -1):
        while alloc_checked(kh, order, gfp | __GFP_NOWARN, held):
            pass


@pytest.mark.parametrize("gfp", [GFP_KERNEL, GFP_DMA32, GFP_DMA], ids=["KERNEL", "DMA32", "DMA"])
def test_zone_fallback_order(profile, gfp):
    with Kh(profile) as kh:
        if kh.total_pages() > (1 << 20) // (kh.page_size >> 12):
            pytest.skip("arena too large to exhaust quickly")
        held = []
        exhaust(kh, gfp, held)
        zones = kh.zones()
        allowed = spec.zonelist(gfp, [z.present for z in zones])
        for z in allowed:
            assert not spec.watermark_ok(zones[z], 0, zones[z].wmark_min, spec.gfp_zone(gfp), gfp,
                                         kernel=kh.profile.kernel), \
                f"gave up while zone {zones[z].name} still passes MIN"
        used = {kh.zone_of_pfn(kh.pfn(a)) for a, _ in held}
        assert used <= set(allowed)
        for a, o in held:
            kh.free_pages(a, o)
        kh.assert_valid()


def test_watermarks_and_reserves_per_gfp(profile):
    """GFP_KERNEL stops at MIN; GFP_ATOMIC goes 62.5% below MIN (__GFP_HIGH
    halves it, __GFP_ATOMIC takes a further quarter); __GFP_MEMALLOC takes
    every page unless __GFP_NOMEMALLOC; failures are reported unless NOWARN."""
    with Kh(profile) as kh:
        if kh.total_pages() > (1 << 20) // (kh.page_size >> 12):
            pytest.skip("arena too large to exhaust quickly")
        initial = free_lists(kh)
        held = []
        exhaust(kh, GFP_KERNEL, held)
        kh.clear_reports()
        assert kh.alloc_pages(0, GFP_KERNEL) == 0
        reps = kh.reports()
        assert len(reps) == 1 and reps[0].cls == "PAGE_ALLOC_FAILURE", reps
        assert "page allocation failure: order:0, mode:0xcc0(GFP_KERNEL)" in reps[0].text
        kh.clear_reports()
        assert kh.alloc_pages(0, GFP_KERNEL | __GFP_NOWARN) == 0
        assert kh.reports() == [], "NOWARN must suppress the failure report"
        before = kh.nr_free_pages()
        exhaust(kh, GFP_ATOMIC, held)
        assert kh.nr_free_pages() < before, "GFP_ATOMIC may dip below MIN"
        assert kh.alloc_pages(0, GFP_KERNEL | __GFP_MEMALLOC | __GFP_NOMEMALLOC | __GFP_NOWARN) == 0
        while True:
            a = kh.alloc_pages(0, GFP_KERNEL | __GFP_MEMALLOC | __GFP_NOWARN)
            if not a:
                break
            held.append((a, 0))
        assert kh.nr_free_pages() == 0, f"__GFP_MEMALLOC left {kh.nr_free_pages()} pages"
        kh.assert_valid()
        for a, o in held:
            kh.free_pages(a, o)
        assert_same_free_lists(kh, initial, "after freeing every reserve page")
        kh.assert_valid()


def test_order_above_max(kh):
    mo = kh.profile.max_order
    assert kh.alloc_pages(mo, GFP_KERNEL | __GFP_NOWARN) == 0
    assert kh.reports() == []
    assert kh.alloc_pages(mo) == 0
    reps = kh.reports()
    assert len(reps) == 1 and reps[0].severity == "WARN", reps
    kh.assert_valid()
