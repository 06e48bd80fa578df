"""The boot phase and memblock, the boot-time allocator (SPEC 9's
alloc_bootmem family), checked with the suite's own walks: boot allocations
are aligned, zeroed, inside low memory and disjoint, and the reserved
regions cover them; after the hand-over (mem_init) every page is in a buddy
block or PG_reserved, the reserved pages are exactly the pages memblock's
regions touch, and the page allocator never hands them out."""
from conftest import require

from kmem import checks
from kmem.spec import GFP_KERNEL, __GFP_NOWARN

ALLOCS = [(1, 8), (100, 64), (1, 4096), (3 * 4096 + 5, 16), (40, 0), (16384, 16384), (777, 128)]


def reserved_pfns(kh):
    ps = kh.page_size
    return {pfn for base, size in kh.memblock_reserved()
            for pfn in range(base // ps, (base + size + ps - 1) // ps)}


def test_boot_allocations_and_hand_over(kh):
    require(kh, "memblock")
    ps = kh.page_size
    assert kh.boot_begin() == 0 and kh.boot_phase() == "early"
    assert kh.alloc_pages(0, GFP_KERNEL | __GFP_NOWARN) == 0, \
        "boot phase: the page allocator served memory before mem_init"
    limit = kh.memblock_info()["limit"]
    held = {}
    for i, (size, align) in enumerate(ALLOCS):
        a = kh.memblock_alloc(size, align)
        assert a, f"memblock_alloc({size}, {align}) failed during boot"
        want = align or kh.profile.cache_line   # align 0 means SMP_CACHE_BYTES
        assert a % want == 0, f"memblock_alloc({size}, {align}) = {a:#x}, not {want}-aligned"
        phys = kh.virt_to_phys(a)
        assert ps <= phys and phys + size <= limit, \
            f"memblock_alloc({size}) at phys {phys:#x} outside [page size, {limit:#x})"
        assert kh.read(a, size) == bytes(size), f"memblock_alloc({size}, {align}) not zeroed"
        kh.fill(a, 0x40 + i, size)
        held[a] = (size, 0x40 + i)
    problems = checks.overlap_problems([(a, n, f"memblock {n}") for a, (n, _) in held.items()])
    assert not problems, "\n".join(problems)
    regions = kh.memblock_reserved()
    for a, (n, _) in held.items():
        phys = kh.virt_to_phys(a)
        assert any(b <= phys and phys + n <= b + s for b, s in regions), \
            f"memblock-regions: allocation at phys {phys:#x} (+{n}) is in no reserved region"
    # give one back during boot: it leaves the reserved regions
    gone = next(a for a, (n, _) in held.items() if n == 3 * 4096 + 5)
    kh.memblock_free(gone, held.pop(gone)[0])
    phys = kh.virt_to_phys(gone)
    assert not any(b <= phys < b + s for b, s in kh.memblock_reserved()), \
        "memblock_free left the range reserved"

    assert kh.boot_end() == 0 and kh.boot_phase() == "done"
    pfns = reserved_pfns(kh)
    assert kh.memblock_info()["reserved_pages"] == len(pfns), \
        f"reserved pages: memblock counts {kh.memblock_info()['reserved_pages']}, its regions " \
        f"touch {len(pfns)}"
    states = {kh.page_state(pfn)[0] for pfn in pfns}
    assert states == {"reserved"}, f"pages of reserved regions in states {states}, not PG_reserved"
    problems = checks.block_problems(kh) + checks.buddyinfo_problems(kh)
    assert not problems, "after mem_init: " + "\n".join(problems)
    kh.assert_valid("after mem_init")

    # The buddy allocator now owns everything else and never hands out a
    # reserved page; the boot allocations keep their contents.
    got = []
    for order in [0, 1, 2, 3] * 8:
        a = kh.alloc_pages(order)
        assert a, f"alloc_pages({order}) failed after mem_init"
        first = kh.pfn(a)
        assert not pfns & set(range(first, first + (1 << order))), \
            f"alloc_pages({order}) returned reserved boot memory at pfn {first}"
        got.append((a, order))
    for a, (n, pat) in held.items():
        assert kh.read(a, n) == bytes([pat]) * n, f"boot allocation at {a:#x} was overwritten"
    for a, order in got:
        kh.free_pages(a, order)
    problems = checks.block_problems(kh)
    assert not problems, "after freeing: " + "\n".join(problems)
    kh.assert_valid()


def test_memblock_after_boot_falls_back_to_kzalloc(kh):
    """After mem_init memblock_alloc warns and serves from kzalloc (6.1)."""
    require(kh, "memblock", "kmalloc")
    p = kh.memblock_alloc(100, 8)
    assert p, "memblock_alloc after boot returned NULL"
    assert kh.read(p, 100) == bytes(100), "zeroing: memblock_alloc's kzalloc fallback not zeroed"
    assert kh.ksize(p) >= 100, "the fallback is not a kmalloc allocation"
    assert [r.severity for r in kh.reports()] == ["WARN"], kh.reports()
    kh.kfree(p)
    kh.assert_valid()
