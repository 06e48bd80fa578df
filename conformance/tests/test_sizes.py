"""kmalloc limits and size classes per profile (SPEC sections 0, 1, 2).

Every expected value comes from kmem.spec, computed from the SPEC rules in
Python; the library is only asked what it does.
"""
import pytest

from kmem import Kh, spec
from kmem.spec import GFP_KERNEL, __GFP_NOWARN


def mismatches(pairs, limit=4):
    bad = [(x, got, want) for x, got, want in pairs if got != want]
    return "" if not bad else (f"{len(bad)} mismatches, first: " +
                               "; ".join(f"{x}: got {g}, expected {w}" for x, g, w in bad[:limit]))


def sizes_around_powers(p):
    lim = spec.kmalloc_limits(p)
    out = set()
    for k in range(lim.shift_max + 1):
        for d in (-1, 0, 1):
            if 0 <= (1 << k) + d <= lim.max_size + 1:
                out.add((1 << k) + d)
    return sorted(out)


def test_limits(kh):
    got, want = kh.kmalloc_limits(), spec.kmalloc_limits(kh.profile)
    assert got == want, f"kmalloc limits (SPEC 1): got {got}, expected {want}"


def test_max_size_succeeds_and_one_more_fails(kh):
    lim = spec.kmalloc_limits(kh.profile)
    p = kh.kmalloc(lim.max_size)
    assert p, f"kmalloc(KMALLOC_MAX_SIZE={lim.max_size}) returned NULL"
    assert kh.ksize(p) == spec.kmalloc_ksize(kh.profile, lim.max_size)
    kh.kfree(p)
    assert kh.kmalloc(lim.max_size + 1, GFP_KERNEL | __GFP_NOWARN) == 0
    assert kh.reports() == [], "__GFP_NOWARN must suppress the over-limit warning"
    assert kh.kmalloc(lim.max_size + 1) == 0
    reps = kh.reports()
    assert len(reps) == 1 and reps[0].severity == "WARN", reps
    kh.assert_valid()


def check_sizes(kh, sizes):
    p = kh.profile
    ksz, align, names = [], [], []
    for n in sizes:
        want = spec.kmalloc_ksize(p, n)
        ptr = kh.kmalloc(n, GFP_KERNEL | __GFP_NOWARN)
        if want is None:
            ksz.append((n, ptr, 0))
            continue
        if n == 0:
            ksz.append((n, ptr, spec.ZERO_SIZE_PTR))
            continue
        if not ptr:
            ksz.append((n, "NULL", want))
            continue
        ksz.append((n, kh.ksize(ptr), want))
        a = spec.kmalloc_min_align(p, n)
        align.append((n, ptr % a, 0))
        kh.kfree(ptr)
    assert not mismatches(ksz), "size class (SPEC 0/1): ksize(kmalloc(n)): " + mismatches(ksz)
    assert not mismatches(align), "kmalloc alignment (ptr % required): " + mismatches(align)
    assert kh.reports() == []
    kh.assert_valid()


def test_size_class_of_every_small_size(kh):
    """ksize and alignment of kmalloc(n) for every n in 0 .. 2 * PAGE_SIZE."""
    check_sizes(kh, range(0, 2 * kh.profile.page_size + 1))


def test_size_class_around_powers_of_two(kh):
    check_sizes(kh, sizes_around_powers(kh.profile))


def test_cache_names(kh):
    """The kmalloc-N cache serving n (SLUB/SLAB: ksize comes from it)."""
    p = kh.profile
    lim = spec.kmalloc_limits(p)
    got = []
    for n in list(range(1, 2 * p.page_size + 1, 7)) + sizes_around_powers(p):
        if n == 0 or n > lim.max_cache_size:
            assert kh.kmalloc_cache(n) == 0, f"kmalloc_cache({n}) should be NULL"
            continue
        got.append((n, kh.cache_info(kh.kmalloc_cache(n)).name, spec.kmalloc_cache_name(p, n)))
        if n % 1000 == 1:
            dma = kh.cache_info(kh.kmalloc_cache(n, spec.GFP_DMA)).name
            got.append((f"{n} GFP_DMA", dma, spec.kmalloc_cache_name(p, n, "dma-kmalloc-")))
    assert not mismatches(got), "kmalloc cache serving n (SPEC 1 names): " + mismatches(got)


def test_kmalloc_index(kh):
    p = kh.profile
    sizes = list(range(0, 2 * p.page_size + 1)) + sizes_around_powers(p)
    got = [(n, kh.kmalloc_index(n), spec.kmalloc_index(p, n)) for n in sizes]
    assert not mismatches(got), "kmalloc_index (SPEC 1): " + mismatches(got)


def test_kmalloc_size_roundup(kh):
    p = kh.profile
    lim = spec.kmalloc_limits(p)
    sizes = list(range(0, 2 * p.page_size + 1)) + sizes_around_powers(p) + \
        [lim.max_size * 2, lim.max_size * 3 + 5]
    got = [(n, kh.kmalloc_size_roundup(n), spec.kmalloc_size_roundup(p, n)) for n in sizes]
    assert not mismatches(got), "kmalloc_size_roundup (SPEC 1): " + mismatches(got)
    if p.slab != spec.SLOB:
        # kmalloc_size_roundup(n) is what ksize(kmalloc(n)) reports
        for n in sizes_around_powers(p)[:40]:
            ptr = kh.kmalloc(n)
            if n and ptr:
                assert kh.ksize(ptr) == kh.kmalloc_size_roundup(n), \
                    f"ksize(kmalloc({n})) differs from kmalloc_size_roundup({n})"
                kh.kfree(ptr)


def test_default_profile_matches_observed_kernel(profile):
    """SPEC 0: numbers observed on a real 6.1 SLUB kernel (default profile only)."""
    if profile != "linux-6.1-x86_64":
        pytest.skip("SPEC 0 observations are for the default profile")
    with Kh(profile) as kh:
        lim = kh.kmalloc_limits()
        assert (lim.max_size, lim.max_cache_size, lim.shift_low) == (4194304, 8192, 3), \
            f"SPEC 0 limits: {lim}"
        assert kh.kmalloc(0) == 16, "SPEC 0: kmalloc(0) is ZERO_SIZE_PTR (0x10)"
        table = {1: 8, 8: 8, 9: 16, 16: 16, 17: 32, 33: 64, 65: 96, 96: 96, 97: 128, 129: 192,
                 192: 192, 193: 256, 257: 512, 4097: 8192, 8192: 8192, 8193: 16384, 16384: 16384}
        for n, want in table.items():
            ptr = kh.kmalloc(n)
            got = kh.ksize(ptr)
            assert got == want, f"SPEC 0 observed size class: ksize(kmalloc({n})) = {got}, " \
                f"the 6.1 kernel gives {want}"
            kh.kfree(ptr)


# Configurations outside the shipped profiles, where SPEC 1's rule about a
# larger ARCH_KMALLOC_MINALIGN decides KMALLOC_MIN_SIZE and which of the 96
# and 192 caches exist (for SLAB too: minalign 16 lowers its 32-byte minimum
# to 16, as the kernel derives KMALLOC_SHIFT_LOW from the arch alignment).
CUSTOM = [("linux-6.1-x86_64", 16), ("linux-6.1-x86_64", 32), ("linux-6.1-x86_64", 64),
          ("linux-6.1-x86_64", 256), ("linux-4.x-slab", 16), ("linux-4.x-slab", 64)]


@pytest.mark.parametrize("base,minalign", CUSTOM, ids=[f"{b}-minalign{m}" for b, m in CUSTOM])
def test_custom_minalign(base, minalign):
    with Kh(base, arch_kmalloc_minalign=minalign) as kh:
        p = kh.profile
        got, want = kh.kmalloc_limits(), spec.kmalloc_limits(p)
        assert got == want, f"kmalloc limits (SPEC 1) with minalign {minalign}: got {got}, " \
            f"expected {want}"
        got = [(n, kh.kmalloc_index(n), spec.kmalloc_index(p, n)) for n in range(0, 1025)]
        assert not mismatches(got), "kmalloc_index (SPEC 1): " + mismatches(got)
        check_sizes(kh, range(0, 1025, 3))
