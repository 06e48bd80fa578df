"""NULL safety, ZERO_SIZE_PTR, alignment, zeroing, kfree_sensitive, krealloc
and the array helpers (SPEC sections 1, 2, 4, 5, 9)."""
import pytest
from conftest import require, skip_unless_slab_layer

from kmem import Kh, spec
from kmem.isolate import run_isolated
from kmem.spec import GFP_KERNEL, __GFP_NOWARN, __GFP_ZERO

Z = spec.ZERO_SIZE_PTR
SIZE_MAX = (1 << 64) - 1


def test_null_and_zero_size_ptr_frees_are_noops(kh):
    pool = kh.mempool_create_kmalloc_pool(2, 64) if kh.has("mempool") else 0
    before = kh.footprint()
    kh.kfree(0)
    kh.kfree(Z)
    kh.kfree_sensitive(0)
    kh.kfree_sensitive(Z)
    kh.cache_destroy(0)
    kh.free_pages(0, 0)
    if kh.has("vmalloc"):
        kh.vfree(0)
        kh.kvfree(0)
    if kh.has("percpu"):
        kh.free_percpu(0)
    if pool:
        kh.mempool_free(0, pool)
        kh.mempool_destroy(0)
        assert kh.mempool_info(pool).curr_nr == 2, "mempool_free(NULL) changed the reserve"
    assert kh.reports() == [], kh.reports()
    assert kh.footprint() == before
    kh.assert_valid()
    if pool:
        kh.mempool_destroy(pool)


def test_kmalloc_zero_is_zero_size_ptr(kh):
    for what, got in [("kmalloc(0)", kh.kmalloc(0)), ("kzalloc(0)", kh.kzalloc(0)),
                      ("kcalloc(0, 8)", kh.kcalloc(0, 8)), ("kcalloc(8, 0)", kh.kcalloc(8, 0)),
                      ("kmalloc_array(0, 0)", kh.kmalloc_array(0, 0))]:
        assert got == Z, f"zero size (SPEC 2): {what} = {got:#x}, not ZERO_SIZE_PTR"
    assert kh.ksize(Z) == 0 and kh.ksize(0) == 0, "ksize of ZERO_SIZE_PTR/NULL is not 0"
    p = kh.krealloc(Z, 40)
    assert p and p != Z and kh.ksize(p) >= 40
    kh.kfree(p)
    assert kh.reports() == []
    kh.assert_valid()


def test_array_helpers_overflow(kh):
    before = kh.footprint()
    assert kh.kmalloc_array(SIZE_MAX // 2 + 1, 2) == 0
    assert kh.kcalloc(1 << 33, 1 << 31) == 0
    p = kh.kmalloc(64)
    kh.fill(p, 0x3C, 64)
    assert kh.krealloc_array(p, 1 << 40, 1 << 30) == 0
    assert kh.read(p, 64) == b"\x3c" * 64, "krealloc_array overflow touched the object"
    kh.kfree(p)
    assert kh.footprint() == before, "a failed array allocation leaked memory"
    assert kh.reports() == []
    kh.assert_valid()


def test_kmalloc_array_sizes(kh):
    for n, size in [(1, 1), (3, 5), (10, 10), (4, 32), (7, 1000)]:
        p = kh.kmalloc_array(n, size)
        assert kh.ksize(p) == spec.kmalloc_ksize(kh.profile, n * size)
        kh.kfree(p)
        p = kh.kcalloc(n, size)
        assert kh.read(p, n * size) == bytes(n * size), \
            f"zeroing (SPEC 2): kcalloc({n}, {size}) not zeroed"
        kh.kfree(p)
    kh.assert_valid()


def dirty_then(kh, alloc, free, size, check_len):
    """Allocates, dirties and frees, then allocates again with zeroing and
    checks check_len bytes (the same memory is reused in LIFO order)."""
    p = alloc()
    assert p
    kh.fill(p, 0xA5, check_len)
    free(p)
    q = alloc(zero=True)
    assert q, "zeroing allocation failed"
    data = kh.read(q, check_len)
    assert data == bytes(check_len), \
        f"zeroing (SPEC 2/4): a zeroing allocation of {size} bytes on reused memory has " \
        f"{sum(1 for b in data if b)} non-zero bytes, first at {next(i for i, b in enumerate(data) if b)}"
    free(q)
    return p == q


@pytest.mark.parametrize("size", [1, 8, 60, 96, 200, 1000, 4096, 5000, 20000])
def test_kmalloc_zeroing(kh, size):
    reused = []
    for how in ("kzalloc", "kcalloc", "gfp_zero"):
        def alloc(zero=False, how=how):
            if not zero:
                return kh.kmalloc(size)
            if how == "kzalloc":
                return kh.kzalloc(size)
            if how == "kcalloc":
                return kh.kcalloc(1, size)
            return kh.kmalloc(size, GFP_KERNEL | __GFP_ZERO)
        reused.append(dirty_then(kh, alloc, kh.kfree, size, size))
    assert any(reused), "the zeroing check never saw reused (dirty) memory"
    kh.assert_valid()


def test_cache_and_page_zeroing(kh):
    c = kh.cache_create("zero_test", 300)
    assert c
    dirty_then(kh, lambda zero=False: kh.cache_zalloc(c) if zero else kh.cache_alloc(c),
               lambda p: kh.cache_free(c, p), 300, 300)
    ps = kh.page_size
    dirty_then(kh, lambda zero=False: kh.get_zeroed_page() if zero else kh.get_free_pages(0),
               lambda p: kh.free_pages(p, 0), ps, ps)
    dirty_then(kh, lambda zero=False: kh.alloc_pages(2, GFP_KERNEL | (__GFP_ZERO if zero else 0)),
               lambda p: kh.free_pages(p, 2), 4 * ps, 4 * ps)
    kh.cache_destroy(c)
    assert kh.reports() == []
    kh.assert_valid()


def test_vzalloc_and_percpu_zeroing(profile):
    with Kh(profile, nr_cpus=4) as kh:   # several CPUs: every copy must be zeroed
        check_vzalloc_and_percpu_zeroing(kh)


def check_vzalloc_and_percpu_zeroing(kh):
    require(kh, "vmalloc", "percpu")
    n = 3 * kh.page_size + 17
    dirty_then(kh, lambda zero=False: kh.vzalloc(n) if zero else kh.vmalloc(n), kh.vfree, n, n)
    p = kh.alloc_percpu(48)
    for cpu in range(kh.nr_cpus()):
        kh.fill(kh.per_cpu_ptr(p, cpu), 0x77, 48)
    kh.free_percpu(p)
    q = kh.alloc_percpu(48)
    for cpu in range(kh.nr_cpus()):
        assert kh.read(kh.per_cpu_ptr(q, cpu), 48) == bytes(48), \
            f"per-CPU zeroing (SPEC 9): CPU {cpu}'s copy of alloc_percpu(48) not zeroed"
    kh.free_percpu(q)
    kh.assert_valid()


def _metadata_words(kh, size, ks):
    """Aligned 8-byte words of a freed kmalloc(size) object that the allocator
    itself writes on free (the free pointer), found by freeing two objects
    filled with different bytes: a word it writes differs from the fill in at
    least one of them, whatever value it stores."""
    words = set()
    for fill in (0xAB, 0x54):
        q = kh.kmalloc(size)
        kh.fill_unchecked(q, fill, ks)
        kh.kfree(q)
        data = kh.read_unchecked(q, ks)
        words |= {(q + i) // 8 for i, b in enumerate(data) if b != fill}
    return words


def _kfree_sensitive_child(profile, size):
    with Kh(profile) as kh:
        p = kh.kmalloc(size)
        ks = kh.ksize(p)
        kh.kfree(p)
        meta = _metadata_words(kh, size, ks)
        # Slab free pointers are one word: anything more is not metadata.
        assert len(meta) <= 2, f"a plain kfree changed {len(meta)} words of a {ks}-byte object"
        p = kh.kmalloc(size)
        assert kh.ksize(p) == ks
        kh.fill_unchecked(p, 0xAB, ks)     # all of ksize, past the requested size
        kh.kfree_sensitive(p)
        data = kh.read_unchecked(p, ks)    # after the free
        # kfree_sensitive zeroes ksize(p) bytes, then frees: every byte is 0
        # except where the free itself stores its metadata.
        left = [i for i, b in enumerate(data) if b != 0 and (p + i) // 8 not in meta]
        assert not left, f"kfree_sensitive left {len(left)} of {ks} bytes non-zero (first {left[:4]})"
        assert kh.reports() == []
        kh.assert_valid()
        return ks


@pytest.mark.parametrize("size", [10, 100, 3000, 9000])
def test_kfree_sensitive_clears_ksize_bytes(profile, size):
    run_isolated(_kfree_sensitive_child, profile, size)


def test_krealloc_semantics(kh):
    p = kh.krealloc(0, 50)                       # NULL -> kmalloc
    assert p and kh.ksize(p) == spec.kmalloc_ksize(kh.profile, 50)
    kh.fill(p, 0x11, 50)
    ks = kh.ksize(p)
    q = kh.krealloc(p, ks)                       # within ksize: same pointer
    assert q == p, "krealloc (SPEC 2): krealloc within ksize moved the object"
    assert kh.read(q, 50) == b"\x11" * 50, "krealloc (SPEC 2): prefix lost within ksize"
    q = kh.krealloc(p, 20)                       # shrink: same pointer, prefix kept
    assert q == p, "krealloc (SPEC 2): shrinking moved the object"
    assert kh.read(q, 20) == b"\x11" * 20, "krealloc (SPEC 2): shrinking lost the prefix"
    r = kh.krealloc(q, 5000)                     # grow: moves, prefix kept
    assert r and r != q
    assert kh.read(r, 20) == b"\x11" * 20, "krealloc (SPEC 2): growing lost the prefix"
    assert kh.ksize(r) == spec.kmalloc_ksize(kh.profile, 5000)
    assert kh.krealloc(r, 0) == Z                # n == 0 frees
    assert kh.reports() == []
    kh.assert_valid()
    assert all(c.nr_inuse == 0 for c in kh.caches()), "krealloc(p, 0) did not free p"


@pytest.mark.parametrize("old,new", [(64, 1000), (3000, 9000), (9000, 70000)])
def test_krealloc_failure_keeps_old_object(kh, old, new):
    from kmem.instance import FAULT_NTH
    p = kh.kmalloc(old)
    kh.fill(p, 0x5E, old)
    kh.fault_set(FAULT_NTH, nth=1)
    assert kh.krealloc(p, new, GFP_KERNEL | __GFP_NOWARN) == 0
    assert kh.fault_injected() == 1
    kh.fault_clear()
    assert kh.read(p, old) == b"\x5e" * old, "old object changed by a failed krealloc"
    assert kh.ksize(p) == spec.kmalloc_ksize(kh.profile, old)
    assert kh.reports() == []
    kh.kfree(p)
    assert kh.reports() == [], "old object was freed by the failed krealloc"
    kh.assert_valid()


def test_kmalloc_natural_alignment(kh):
    lim = spec.kmalloc_limits(kh.profile)
    held = []
    for k in range(0, lim.shift_max + 1):
        n = 1 << k
        for _ in range(3):   # several, so they are not all at a slab's start
            p = kh.kmalloc(n, GFP_KERNEL | __GFP_NOWARN)
            assert p, n
            assert p % spec.kmalloc_min_align(kh.profile, n) == 0, f"kmalloc({n}) at {p:#x}"
            held.append(p)
            if n > 1 << 20:
                break
        if n > 1 << 20:
            for p in held:
                kh.kfree(p)
            held = []
    for p in held:
        kh.kfree(p)
    kh.assert_valid()


CACHE_CASES = [(1, 0, 0), (7, 0, 0), (24, 0, spec.SLAB_HWCACHE_ALIGN), (33, 0, spec.SLAB_HWCACHE_ALIGN),
               (100, 0, 0), (100, 64, 0), (200, 0, spec.SLAB_HWCACHE_ALIGN), (200, 128, 0),
               (500, 256, spec.SLAB_HWCACHE_ALIGN), (1000, 0, 0), (3000, 8, 0), (5000, 0, 0),
               (8192, 0, spec.SLAB_HWCACHE_ALIGN), (20000, 0, 0)]


@pytest.mark.parametrize("size,align,flags", CACHE_CASES)
def test_cache_alignment_and_geometry(kh, size, align, flags):
    c = kh.cache_create(f"geo_{size}_{align}", size, align, flags)
    assert c, kh.reports()
    info = kh.cache_info(c)
    want_align = spec.cache_align(kh.profile, size, align, flags)
    objs = [kh.cache_alloc(c) for _ in range(5)]
    assert all(o % want_align == 0 for o in objs), [hex(o) for o in objs]
    if kh.profile.slab != spec.SLOB:
        assert info.align == want_align
        slot = spec.classic_slot_size if info.design == "slab" else spec.slot_size
        assert info.size == slot(kh.profile, size, want_align)
        assert kh.cache_size(c) == size
    if info.design == "slub" and kh.profile.slab == spec.SLUB:
        g = spec.slub_geometry(kh.profile, size, align, flags)
        assert (info.order, info.objects_per_slab) == (g.order, g.objects), \
            f"SPEC 0b: order/objects {info.order}/{info.objects_per_slab}, expected {g.order}/{g.objects}"
        assert info.min_partial == spec.slub_min_partial(info.size)
    for o in objs:
        kh.cache_free(c, o)
    kh.cache_destroy(c)
    assert kh.reports() == []
    kh.assert_valid()


@pytest.mark.parametrize("cpus", [1, 2, 4, 8])
def test_kmalloc_cache_geometry(profile, cpus):
    """SPEC 0b for every kmalloc-N cache of the SLUB profiles, at several CPU counts."""
    with Kh(profile, nr_cpus=cpus) as kh:
        if kh.profile.slab != spec.SLUB:
            pytest.skip("SPEC 0b describes SLUB")
        bad = []
        for c in kh.caches():
            if not c.is_kmalloc:
                continue
            n = c.object_size
            g = spec.slub_geometry(kh.profile, n, spec.kmalloc_cache_align(kh.profile, n))
            got = (c.align, c.size, c.order, c.objects_per_slab)
            if got != (g.align, g.size, g.order, g.objects):
                bad.append(f"{c.name}: {got} expected {(g.align, g.size, g.order, g.objects)}")
        assert not bad, "\n".join(bad)
        if profile == "linux-6.1-x86_64":
            k1 = kh.cache_info(kh.find_cache("kmalloc-1k"))
            assert (k1.order, k1.objects_per_slab) == {1: (1, 8), 4: (2, 16)}.get(
                cpus, (k1.order, k1.objects_per_slab))


def test_page_blocks_aligned_to_order(kh):
    held = []
    for order in range(kh.profile.max_order):
        for i in range(2):
            a = kh.alloc_pages(order, GFP_KERNEL | __GFP_NOWARN)
            if not a and i == 1:
                break   # the 16 MiB profile has room for one top-order block only
            assert a, order
            assert a % (kh.page_size << order) == 0
            assert kh.pfn(a) % (1 << order) == 0
            held.append((a, order))
        for a, o in held:
            kh.free_pages(a, o)
        held = []
    kh.assert_valid()


def test_kstrdup_and_kmemdup(kh):
    s = kh.lib.kh_kstrdup(kh.kh, b"hello, slab", GFP_KERNEL)
    assert kh.read(s, 12) == b"hello, slab\0"
    assert kh.ksize(s) == spec.kmalloc_ksize(kh.profile, 12)
    kh.kfree(s)
    assert kh.lib.kh_kstrdup(kh.kh, None, GFP_KERNEL) is None
    kh.assert_valid()


def test_slob_krealloc_in_place_keeps_ksize():
    """Linux 4.x SLOB keeps the size header of an object krealloc returns in
    place (ksize(p) >= new size), so ksize stays the old value."""
    with Kh("linux-4.x-slob") as kh:
        p = kh.kmalloc(77)
        assert kh.ksize(p) == 78
        assert kh.krealloc(p, 8) == p
        assert kh.ksize(p) == 78
