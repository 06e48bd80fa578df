"""Expected values computed in Python from SPEC.md, never asked of the library.

Every function here takes a profile description (a `Profile`, built from
kh_profile_config's fields) and derives what the kernel would do: the
kmalloc limits and size classes (SPEC sections 0 and 1), ksize and
kmalloc_size_roundup (section 2), get_order (section 4) and the SLUB cache
geometry (section 0b). Tests compare the library's behaviour with these.
"""
from dataclasses import dataclass

# ---- GFP flags (Linux 6.1 numbering, gfp.h) --------------------------------
__GFP_DMA = 0x01
__GFP_HIGHMEM = 0x02
__GFP_DMA32 = 0x04
__GFP_MOVABLE = 0x08
__GFP_RECLAIMABLE = 0x10
__GFP_HIGH = 0x20
__GFP_IO = 0x40
__GFP_FS = 0x80
__GFP_ZERO = 0x100
__GFP_ATOMIC = 0x200
__GFP_DIRECT_RECLAIM = 0x400
__GFP_KSWAPD_RECLAIM = 0x800
__GFP_WRITE = 0x1000
__GFP_NOWARN = 0x2000
__GFP_RETRY_MAYFAIL = 0x4000
__GFP_NOFAIL = 0x8000
__GFP_NORETRY = 0x10000
__GFP_MEMALLOC = 0x20000
__GFP_COMP = 0x40000
__GFP_NOMEMALLOC = 0x80000
__GFP_HARDWALL = 0x100000
__GFP_ACCOUNT = 0x400000
__GFP_RECLAIM = __GFP_DIRECT_RECLAIM | __GFP_KSWAPD_RECLAIM

GFP_ATOMIC = __GFP_HIGH | __GFP_ATOMIC | __GFP_KSWAPD_RECLAIM
GFP_KERNEL = __GFP_RECLAIM | __GFP_IO | __GFP_FS
GFP_NOWAIT = __GFP_KSWAPD_RECLAIM
GFP_NOIO = __GFP_RECLAIM
GFP_NOFS = __GFP_RECLAIM | __GFP_IO
GFP_USER = GFP_KERNEL | __GFP_HARDWALL
GFP_DMA = __GFP_DMA
GFP_DMA32 = __GFP_DMA32

GFP_NAMES = {  # for trace lines; composite names first, as gfp_format does
    "GFP_ATOMIC": GFP_ATOMIC, "GFP_KERNEL": GFP_KERNEL, "GFP_NOWAIT": GFP_NOWAIT,
    "GFP_NOIO": GFP_NOIO, "GFP_NOFS": GFP_NOFS,
}
GFP_BITS = {
    "__GFP_DMA": __GFP_DMA, "__GFP_HIGHMEM": __GFP_HIGHMEM, "__GFP_DMA32": __GFP_DMA32,
    "__GFP_MOVABLE": __GFP_MOVABLE, "__GFP_RECLAIMABLE": __GFP_RECLAIMABLE,
    "__GFP_HIGH": __GFP_HIGH, "__GFP_IO": __GFP_IO, "__GFP_FS": __GFP_FS,
    "__GFP_ZERO": __GFP_ZERO, "__GFP_ATOMIC": __GFP_ATOMIC,
    "__GFP_DIRECT_RECLAIM": __GFP_DIRECT_RECLAIM, "__GFP_KSWAPD_RECLAIM": __GFP_KSWAPD_RECLAIM,
    "__GFP_WRITE": __GFP_WRITE, "__GFP_NOWARN": __GFP_NOWARN,
    "__GFP_RETRY_MAYFAIL": __GFP_RETRY_MAYFAIL, "__GFP_NOFAIL": __GFP_NOFAIL,
    "__GFP_NORETRY": __GFP_NORETRY, "__GFP_MEMALLOC": __GFP_MEMALLOC, "__GFP_COMP": __GFP_COMP,
    "__GFP_NOMEMALLOC": __GFP_NOMEMALLOC, "__GFP_HARDWALL": __GFP_HARDWALL,
    "__GFP_ACCOUNT": __GFP_ACCOUNT,
}


def gfp_text(gfp):
    """Flags in the trace language ("GFP_KERNEL|__GFP_NOWARN")."""
    parts = []
    rest = gfp
    for name, value in GFP_NAMES.items():
        if value and rest & value == value:
            parts.append(name)
            rest &= ~value
            break
    for name, value in GFP_BITS.items():
        if rest & value:
            parts.append(name)
            rest &= ~value
    if rest:
        parts.append(hex(rest))
    return "|".join(parts) if parts else "none"


# ---- slab flags (slab.h, Linux 6.1 values) ----------------------------------
SLAB_CONSISTENCY_CHECKS = 0x100
SLAB_RED_ZONE = 0x400
SLAB_POISON = 0x800
SLAB_KMALLOC = 0x1000
SLAB_HWCACHE_ALIGN = 0x2000
SLAB_CACHE_DMA = 0x4000
SLAB_CACHE_DMA32 = 0x8000
SLAB_STORE_USER = 0x10000
SLAB_RECLAIM_ACCOUNT = 0x20000
SLAB_PANIC = 0x40000
SLAB_TYPESAFE_BY_RCU = 0x80000
SLAB_ACCOUNT = 0x4000000
SLAB_FLAG_NAMES = {"SLAB_HWCACHE_ALIGN": SLAB_HWCACHE_ALIGN, "SLAB_CACHE_DMA": SLAB_CACHE_DMA,
                   "SLAB_RECLAIM_ACCOUNT": SLAB_RECLAIM_ACCOUNT, "SLAB_ACCOUNT": SLAB_ACCOUNT}


def slab_flags_text(flags):
    parts = [n for n, v in SLAB_FLAG_NAMES.items() if flags & v]
    rest = flags & ~sum(SLAB_FLAG_NAMES.values())
    if rest:
        parts.append(hex(rest))
    return "|".join(parts) if parts else "0"


ZERO_SIZE_PTR = 16
POINTER_SIZE = 8
ARCH_SLAB_MINALIGN = 8

SLUB, SLAB, SLOB = 0, 1, 2
KERNEL_6_1, KERNEL_6_12 = 0, 1    # enum kh_kernel
SIZE_MAX = (1 << 64) - 1
DESIGN_NAMES = {SLUB: "SLUB", SLAB: "SLAB", SLOB: "SLOB"}


@dataclass(frozen=True)
class Profile:
    name: str
    page_shift: int
    max_order: int          # exclusive, the pre-6.4 meaning
    slab: int               # SLUB / SLAB / SLOB
    nr_cpus: int
    cache_line: int
    arch_kmalloc_minalign: int
    zone_bytes: tuple
    kernel: int = 0         # KERNEL_6_1 / KERNEL_6_12 (SPEC 10)

    @property
    def page_size(self):
        return 1 << self.page_shift


def ilog2(v):
    return v.bit_length() - 1


def fls(v):
    return v.bit_length()


def align_up(v, a):
    return (v + a - 1) // a * a


def get_order(profile, size):
    """SPEC 4: fls((size - 1) >> PAGE_SHIFT); get_order(0) is the kernel's
    all-ones result truncated, which no caller here uses."""
    return fls((size - 1) >> profile.page_shift)


# ---- kmalloc limits and classes (SPEC 1) ------------------------------------

@dataclass(frozen=True)
class KmallocLimits:
    shift_low: int
    shift_high: int
    shift_max: int
    min_size: int
    max_cache_size: int
    max_size: int


def kmalloc_limits(p):
    ps, mo = p.page_shift, p.max_order
    if p.slab == SLAB:
        high = min(mo + ps - 1, 25)
        top = high
        low = 5
    elif p.slab == SLOB:
        high, top, low = ps, mo + ps - 1, 3
    else:
        high, top, low = ps + 1, mo + ps - 1, 3
    min_size = 1 << low
    if p.arch_kmalloc_minalign > 8:
        # SPEC 1: the arch's minimum kmalloc alignment becomes KMALLOC_MIN_SIZE
        # (and the kernel derives KMALLOC_SHIFT_LOW from it).
        min_size = p.arch_kmalloc_minalign
        low = ilog2(min_size)
    return KmallocLimits(low, high, top, min_size, 1 << high, 1 << top)


def kmalloc_index(p, size):
    """SPEC 1; above KMALLOC_MAX_CACHE_SIZE the kernel's table goes on to
    2 MiB in 6.1 (SLUB profiles), 64 MiB in 4.x; -1 beyond it, where
    the kernel BUG()s (kmalloc.h's contract)."""
    lim = kmalloc_limits(p)
    if size == 0:
        return 0
    if size > lim.max_cache_size:
        table_end = (2 if p.slab == SLUB else 64) << 20
        return fls(size - 1) if size <= table_end else -1
    if size <= lim.min_size:
        return lim.shift_low
    if lim.min_size <= 32 and 64 < size <= 96:
        return 1
    if lim.min_size <= 64 and 128 < size <= 192:
        return 2
    return fls(size - 1)


def index_size(index):
    return {1: 96, 2: 192}.get(index, 1 << index)


def kmalloc_bucket(p, size):
    """Object size of the kmalloc-N cache serving `size` (None if no cache)."""
    i = kmalloc_index(p, size)
    if i <= 0 or size > kmalloc_limits(p).max_cache_size:
        return None
    return index_size(i)


def kmalloc_cache_name(p, size, prefix="kmalloc-"):
    n = kmalloc_bucket(p, size)
    if n is None:
        return None
    if n >= 1 << 20 and n % (1 << 20) == 0:
        return f"{prefix}{n >> 20}M"
    if n >= 1024 and n % 1024 == 0:
        return f"{prefix}{n >> 10}k"
    return f"{prefix}{n}"


def kmalloc_ksize(p, size):
    """ksize(kmalloc(size)) (SPEC 0, 2), or None when kmalloc must fail.

    SLOB (Linux 4.x) keeps a size header in front of small objects and
    reports the request rounded up to its 2-byte unit; requests of at least
    PAGE_SIZE - ARCH_KMALLOC_MINALIGN go to the page allocator."""
    lim = kmalloc_limits(p)
    if size == 0:
        return 0
    if size > lim.max_size:
        return None
    if p.slab == SLOB:
        if size < p.page_size - p.arch_kmalloc_minalign:
            return align_up(size, 2)
        return p.page_size << get_order(p, size)
    if size <= lim.max_cache_size:
        return kmalloc_bucket(p, size)
    return p.page_size << get_order(p, size)


def kmalloc_size_roundup(p, size):
    """6.1 (checked by the kernel oracle): whole pages of get_order above the
    caches, past KMALLOC_MAX_SIZE too (wrapping to 0 above 2^63); SIZE_MAX
    saturates."""
    lim = kmalloc_limits(p)
    if size == 0:
        return 0
    if size == SIZE_MAX:
        return SIZE_MAX
    if size <= lim.max_cache_size:
        return kmalloc_bucket(p, size)
    if p.kernel == KERNEL_6_12 and size > lim.max_size:
        return size     # 6.12: past KMALLOC_MAX_SIZE the size itself (SPEC 10)
    return (p.page_size << get_order(p, size)) & SIZE_MAX


def kmalloc_min_align(p, size):
    """Alignment every kmalloc(size) result must have: ARCH_KMALLOC_MINALIGN,
    natural alignment for powers of two (SPEC 1), pages above the caches."""
    lim = kmalloc_limits(p)
    a = p.arch_kmalloc_minalign
    if size & (size - 1) == 0:
        a = max(a, size)
    if p.kernel == KERNEL_6_12 and 64 < size <= 192:
        bucket = kmalloc_bucket(p, size)
        if bucket in (96, 192):
            a = max(a, bucket & -bucket)   # 6.12: 96 and 192 aligned to 32 and 64 (SPEC 10)
    if size > lim.max_cache_size:
        a = max(a, p.page_size)
    return a


# ---- cache geometry (SPEC 0b, 5) --------------------------------------------

def cache_align(p, size, align, flags):
    ralign = 0
    if flags & SLAB_HWCACHE_ALIGN:
        ralign = p.cache_line
        while size <= ralign // 2:
            ralign //= 2
    a = max(ralign, align, ARCH_SLAB_MINALIGN)
    return align_up(a, POINTER_SIZE)


def kmalloc_cache_align(p, n):
    a = p.arch_kmalloc_minalign
    if n & (n - 1) == 0:
        a = max(a, n)
    if p.kernel == KERNEL_6_12:
        a = max(a, n & -n)   # 96 -> 32, 192 -> 64 (SPEC 10)
    return cache_align(p, n, a, 0)


def slot_size(p, size, align):
    return align_up(align_up(size, POINTER_SIZE), align)


SLAB_OBJ_MIN_SIZE = 16   # classic SLAB: byte-sized free-list index needs 16-byte objects


def classic_slot_size(p, size, align):
    """Classic SLAB (Linux 4.x mm/slab.c): as SLUB, but at least
    SLAB_OBJ_MIN_SIZE rounded to the alignment."""
    return max(slot_size(p, size, align), align_up(SLAB_OBJ_MIN_SIZE, align))


def _calc_slab_order(p, slot, min_objects, max_order, fract):
    order = get_order(p, min_objects * slot)
    while order <= max_order:
        slab_bytes = p.page_size << order
        if slab_bytes % slot <= slab_bytes // fract:
            break
        order += 1
    return order


SLUB_MAX_ORDER = 3


def slub_order(p, slot):
    min_objects = 4 * (fls(p.nr_cpus) + 1)
    min_objects = min(min_objects, (p.page_size << SLUB_MAX_ORDER) // slot)
    while min_objects > 1:
        for fract in (16, 8, 4):
            order = _calc_slab_order(p, slot, min_objects, SLUB_MAX_ORDER, fract)
            if order <= SLUB_MAX_ORDER:
                return order
        min_objects -= 1
    order = _calc_slab_order(p, slot, 1, SLUB_MAX_ORDER, 1)
    if order <= SLUB_MAX_ORDER:
        return order
    order = _calc_slab_order(p, slot, 1, p.max_order - 1, 1)
    return order if order < p.max_order else None


@dataclass(frozen=True)
class Geometry:
    align: int
    size: int       # slot
    order: int
    objects: int


def slub_geometry(p, size, align=0, flags=0):
    a = cache_align(p, size, align, flags)
    slot = slot_size(p, size, a)
    order = slub_order(p, slot)
    return Geometry(a, slot, order, (p.page_size << order) // slot)


def slub_min_partial(slot):
    return max(5, min(10, ilog2(slot) // 2))


# ---- zones (SPEC 4) ----------------------------------------------------------
ZONE_DMA, ZONE_DMA32, ZONE_NORMAL, ZONE_HIGHMEM = range(4)
ZONE_NAMES = ["DMA", "DMA32", "Normal", "HighMem"]


def gfp_zone(gfp):
    if gfp & __GFP_DMA:
        return ZONE_DMA
    if gfp & __GFP_DMA32:
        return ZONE_DMA32
    if gfp & __GFP_HIGHMEM:
        return ZONE_HIGHMEM
    return ZONE_NORMAL


def zonelist(gfp, present):
    """Fallback order: the gfp's zone, then every lower present zone."""
    return [z for z in range(gfp_zone(gfp), -1, -1) if present[z]]


def watermark_ok(zone, order, mark, classzone, gfp, slowpath=True, kernel=KERNEL_6_1):
    """6.1 __zone_watermark_ok for a request without reserves. On the slow
    path __GFP_HIGH takes half off the mark and __GFP_ATOMIC (without
    NOMEMALLOC) a further quarter; the fast path (LOW) has no reductions.
    In 6.12 (SPEC 10) __GFP_ATOMIC is gone and the further quarter is for
    __GFP_HIGH requests that may not block (no __GFP_DIRECT_RECLAIM).
    lowmem_reserve protects the zone from higher classzones."""
    free = zone.free - ((1 << order) - 1)
    m = mark
    if slowpath and gfp & __GFP_HIGH:
        m -= m // 2
    if kernel == KERNEL_6_12:
        harder = gfp & __GFP_HIGH and not gfp & __GFP_DIRECT_RECLAIM
    else:
        harder = gfp & __GFP_ATOMIC
    if slowpath and harder and not gfp & __GFP_NOMEMALLOC:
        m -= m // 4
    if free <= m + zone.lowmem_reserve[classzone]:
        return False
    return order == 0 or any(zone.nr_free[o] for o in range(order, len(zone.nr_free)))


def expected_zone(zones, gfp, order, kernel=KERNEL_6_1):
    """Zone a request must be served from, given the zones before it (SPEC 3, 4):
    the first zone of the fallback list passing LOW (fast path), else the
    first passing MIN with the gfp's reductions; None when neither does
    (then only reserves or reclaim can help)."""
    present = [z.present for z in zones]
    classzone = gfp_zone(gfp)
    zl = zonelist(gfp, present)
    for z in zl:
        if watermark_ok(zones[z], order, zones[z].wmark_low, classzone, gfp, slowpath=False):
            return z
    for z in zl:
        if watermark_ok(zones[z], order, zones[z].wmark_min, classzone, gfp, kernel=kernel):
            return z
    return None
