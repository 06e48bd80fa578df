"""Slab list membership and transitions (SPEC 5): after every operation each
slab is on the list its counts imply, and moves happen exactly when a count
crosses a boundary."""
import random

import pytest
from conftest import skip_unless_slab_layer

from kmem import Kh, checks, spec


def assert_lists(kh, c, step):
    problems = checks.slab_list_problems(kh, c)
    assert not problems, f"after {step}:\n" + "\n".join(problems)


def slab_of(kh, c, addr):
    for s in kh.slabs(c):
        if s.base <= addr < s.base + (kh.page_size << s.order):
            return s
    raise AssertionError(f"{addr:#x} is in no slab of the cache")


@pytest.mark.parametrize("size,flags", [(256, 0), (40, 0), (1500, spec.SLAB_HWCACHE_ALIGN),
                                        (256, spec.SLAB_STORE_USER)])
def test_membership_after_every_operation(kh, size, flags):
    skip_unless_slab_layer(kh)
    c = kh.cache_create("lists", size, 0, flags)
    per_slab = kh.cache_info(c).objects_per_slab
    rng = random.Random(size)
    live = []
    for step in range(6 * per_slab):
        if live and (rng.random() < 0.45 or len(live) > 4 * per_slab):
            o = live.pop(rng.randrange(len(live)))
            kh.cache_free(c, o)
            assert_lists(kh, c, f"step {step}: free {o:#x}")
        else:
            o = kh.cache_alloc(c)
            assert o
            live.append(o)
            assert_lists(kh, c, f"step {step}: alloc")
    for o in live:
        kh.cache_free(c, o)
        assert_lists(kh, c, f"free {o:#x} while draining")
    kh.cache_shrink(c)
    assert_lists(kh, c, "shrink")
    assert kh.reports() == []
    kh.assert_valid()


def test_slub_transitions_at_exact_boundaries(profile):
    """One CPU, SLUB: a slab stays the CPU slab while it fills, leaves every
    list on the allocation that needs a new slab, joins the partial list on
    its first free, stays there empty while the partial list is shorter than
    min_partial, and is the next CPU slab when the current one runs out."""
    with Kh(profile, nr_cpus=1) as kh:
        skip_unless_slab_layer(kh)
        c = kh.cache_create("boundaries", 256)
        info = kh.cache_info(c)
        if info.design != "slub":
            pytest.skip(f"design {info.design}: covered by test_slab_classic_transitions")
        n = info.objects_per_slab
        a_objs = []
        for i in range(n):
            a_objs.append(kh.cache_alloc(c))
            sa = slab_of(kh, c, a_objs[0])
            assert (sa.list, sa.inuse) == ("cpu", i + 1), f"after alloc {i + 1}: {sa}"
        b_first = kh.cache_alloc(c)          # needs a new slab: A leaves the CPU
        sa, sb = slab_of(kh, c, a_objs[0]), slab_of(kh, c, b_first)
        assert sa.base != sb.base
        assert (sa.list, sa.inuse) == ("none", n), sa
        assert (sb.list, sb.inuse) == ("cpu", 1), sb
        for i, o in enumerate(a_objs):       # first free: partial; stays until empty
            kh.cache_free(c, o)
            sa = slab_of(kh, c, a_objs[0])
            assert (sa.list, sa.inuse) == ("partial", n - i - 1), f"after free {i + 1}: {sa}"
        assert info.min_partial > 1, "an empty slab is kept while partial < min_partial"
        b_objs = [b_first] + [kh.cache_alloc(c) for _ in range(n - 1)]
        assert all(slab_of(kh, c, o).base == sb.base for o in b_objs), "B filled first"
        nxt = kh.cache_alloc(c)               # B exhausted: A (partial head) becomes the CPU slab
        assert slab_of(kh, c, nxt).base == sa.base
        assert slab_of(kh, c, sa.base).list == "cpu"
        assert slab_of(kh, c, b_first).list == "none"
        kh.cache_free(c, nxt)
        for o in b_objs:
            kh.cache_free(c, o)
        kh.cache_shrink(c)
        assert kh.cache_info(c).nr_slabs == 0, "shrink releases every empty slab (and CPU slabs)"
        assert kh.reports() == []
        kh.assert_valid()


def test_slub_empty_slabs_beyond_min_partial_are_freed(profile):
    with Kh(profile, nr_cpus=1) as kh:
        skip_unless_slab_layer(kh)
        c = kh.cache_create("min_partial", 512)
        info = kh.cache_info(c)
        if info.design != "slub":
            pytest.skip("min_partial is a SLUB rule")
        n, mp = info.objects_per_slab, info.min_partial
        objs = [kh.cache_alloc(c) for _ in range((mp + 4) * n)]
        free_before, slabs_before = kh.nr_free_pages(), kh.cache_info(c).nr_slabs
        for o in objs:
            kh.cache_free(c, o)
            assert_lists(kh, c, f"free {o:#x}")
        info = kh.cache_info(c)
        assert info.nr_inuse == 0
        assert info.nr_partial <= mp, f"{info.nr_partial} partial slabs kept, min_partial {mp}"
        assert info.nr_slabs <= mp + 1
        released = kh.nr_free_pages() - free_before
        assert released == (slabs_before - info.nr_slabs) << info.order, \
            "discarded slabs went back to the page allocator"
        kh.assert_valid()


def test_slab_classic_transitions(profile):
    """Classic SLAB: full / partial / free lists follow the in-use count."""
    with Kh(profile, nr_cpus=1) as kh:
        skip_unless_slab_layer(kh)
        c = kh.cache_create("classic", 256)
        if kh.cache_info(c).design != "slab":
            pytest.skip(f"the {kh.profile.name} profile runs design "
                        f"'{kh.cache_info(c).design}', not classic SLAB")
        n = kh.cache_info(c).objects_per_slab
        objs = []
        for i in range(2 * n):
            objs.append(kh.cache_alloc(c))
            assert_lists(kh, c, f"alloc {i + 1}")
        for i, o in enumerate(objs):
            kh.cache_free(c, o)
            assert_lists(kh, c, f"free {i + 1}")
        kh.assert_valid()


def test_multi_cpu_frees(profile):
    """Frees from another CPU go to the slab, which the owner picks up later;
    lists stay consistent throughout."""
    with Kh(profile, nr_cpus=4) as kh:
        skip_unless_slab_layer(kh)
        c = kh.cache_create("cpus", 128)
        rng = random.Random(4)
        live = []
        for step in range(600):
            kh.set_cpu(rng.randrange(4))
            if live and rng.random() < 0.5:
                kh.cache_free(c, live.pop(rng.randrange(len(live))))
            else:
                live.append(kh.cache_alloc(c))
            assert_lists(kh, c, f"step {step}")
        for o in live:
            kh.cache_free(c, o)
        assert kh.reports() == []
        kh.assert_valid()
