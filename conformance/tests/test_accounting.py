"""Accounting (SPEC 4, 5): /proc/slabinfo and /proc/buddyinfo parsed back
equal a walk of the structures, at every point of a mixed workload."""
import random

import pytest
from conftest import skip_unless_slab_layer

from kmem import checks, procfs, spec


def test_slabinfo_format(kh):
    skip_unless_slab_layer(kh)
    text = kh.slabinfo()
    rows = procfs.parse_slabinfo(text)   # raises on any malformed line
    names = {r.name for r in rows}
    lim = spec.kmalloc_limits(kh.profile)
    for k in range(lim.shift_low, lim.shift_high + 1):
        assert spec.kmalloc_cache_name(kh.profile, 1 << k) in names
    assert all(r.sharedavail == 0 for r in rows)


def test_buddyinfo_format(kh):
    rows = procfs.parse_buddyinfo(kh.buddyinfo())
    assert [r.zone for r in rows] == [z.name for z in kh.zones() if z.present]
    assert all(len(r.nr_free) == kh.profile.max_order for r in rows)


def test_accounting_matches_walks(kh):
    rng = random.Random(7)
    c = kh.cache_create("acct", 330, 0, spec.SLAB_HWCACHE_ALIGN)
    live = []
    for step in range(300):
        r = rng.random()
        if live and r < 0.4:
            free, h = live.pop(rng.randrange(len(live)))
            free(h)
        elif r < 0.65:
            live.append((kh.kfree, kh.kmalloc(rng.choice([8, 100, 700, 3000, 9000]))))
        elif r < 0.9:
            live.append((lambda o: kh.cache_free(c, o), kh.cache_alloc(c)))
        else:
            o = rng.randrange(4)
            live.append((lambda a, o=o: kh.free_pages(a, o), kh.alloc_pages(o)))
        if step % 25 == 0:
            problems = checks.buddyinfo_problems(kh)
            if kh.profile.slab != spec.SLOB:
                problems += checks.slabinfo_problems(kh)
            assert not problems, f"step {step}:\n" + "\n".join(problems)
    for free, h in live:
        free(h)
    kh.cache_destroy(c)
    assert not checks.buddyinfo_problems(kh)
    kh.assert_valid()


def test_slabinfo_lists_new_caches_first(kh):
    skip_unless_slab_layer(kh)
    a = kh.cache_create("first_cache", 64)
    b = kh.cache_create("second_cache", 64)
    names = [r.name for r in procfs.parse_slabinfo(kh.slabinfo())]
    assert names[:2] == ["second_cache", "first_cache"]
    kh.cache_destroy(b)
    names = [r.name for r in procfs.parse_slabinfo(kh.slabinfo())]
    assert "second_cache" not in names and names[0] == "first_cache"
    kh.cache_destroy(a)


def test_parsers_reject_malformed_text():
    with pytest.raises(ValueError):
        procfs.parse_slabinfo("slabinfo - version: 2.0\n")
    with pytest.raises(ValueError):
        procfs.parse_buddyinfo("Node 0, zone Normal 1 2 3\n")
