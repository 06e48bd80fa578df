"""The scenarios of the misuse catalogue (see misuse.py for the machinery).

Names follow the kernel tests they restate: KASAN's KUnit suite
(mm/kasan/kasan_test.c, SPEC 7) and slub_kunit (lib/slub_kunit.c, SPEC 6);
the SPEC 2/4/5/9 misuse keeps descriptive names. Each scenario runs in its
own child process on a fresh instance; `x.kh` is the allocator, x.region()
asks the allocator to describe memory right before the bad access.
"""
from .misuse import alloc, asan, case, clean
from .spec import (GFP_KERNEL, SLAB_ACCOUNT, SLAB_POISON, SLAB_RED_ZONE, __GFP_ACCOUNT,
                   __GFP_NOWARN, __GFP_ZERO)

UAF, OOB = "use-after-free", "out-of-bounds"
K7, K6 = "KASAN", "slub_kunit"


def max_cache(x):
    return x.kh.kmalloc_limits().max_cache_size


# ==== KASAN (SPEC 7): ASan must report the access =============================

# kmalloc_oob_right: 115 = 128 - granule - 5, so byte 115 shares a granule
# with valid bytes, 120 starts the first fully bad granule and 128 lies past
# the kmalloc-128 object.
for off, what in [(115, "unaligned"), (120, "next granule"), (128, "past the object")]:
    @case(f"kmalloc_oob_right_{off}", K7, f"kmalloc OOB right, {what}",
          asan(OOB, "p", off, ("WRITE", 1)))
    def _(x, off=off):
        p = x.kh.kmalloc(115)
        x.store(p + 114)            # the last requested byte is fine
        x.region("p", p, 115)
        x.store(p + off)


@case("kmalloc_oob_left", K7, "kmalloc OOB left", asan(OOB, "p", -1, ("READ", 1)))
def _(x):
    p = x.kh.kmalloc(15)
    x.region("p", p, 15)
    x.load(p - 1)


@case("kmalloc_node_oob_right", K7, "kmalloc_node OOB right", asan(OOB, "p", 4096, ("READ", 1)))
def _(x):
    p = x.kh.kmalloc_node(4096, GFP_KERNEL, 0)
    x.region("p", p, 4096)
    x.load(p + 4096)


@case("kmalloc_big_oob_right", K7, "largest slab size OOB",
      asan(OOB, "p", 8192 - 256, ("WRITE", 1)))
def _(x):
    n = max_cache(x) - 256
    p = x.kh.kmalloc(n)
    x.region("p", p, n)
    x.store(p + n)


@case("kmalloc_oob_16_write", K7, "16-byte copy into a 13-byte object",
      asan(OOB, "p1", 13, ("WRITE", 16)))
def _(x):
    p1, p2 = x.kh.kmalloc(13), x.kh.kzalloc(16)
    x.region("p1", p1, 13)
    x.libc.memmove(p1, p2, 16)


@case("kmalloc_oob_16_read", K7, "16-byte copy out of a 13-byte object",
      asan(OOB, "p1", 13, ("READ", 16)))
def _(x):
    p1, p2 = x.kh.kzalloc(13), x.kh.kmalloc(16)
    x.region("p1", p1, 13)
    x.libc.memmove(p2, p1, 16)


@case("kmalloc_large_oob_right", K7, "large kmalloc OOB", asan(OOB, "p", 8192 + 10, ("WRITE", 1)))
def _(x):
    n = max_cache(x) + 10
    p = x.kh.kmalloc(n)
    x.region("p", p, n)
    x.store(p + n)


@case("kmalloc_large_uaf", K7, "large kmalloc use-after-free", asan(UAF, "p", 0, ("READ", 1)))
def _(x):
    p = x.kh.kmalloc(max_cache(x) + 10)
    x.kh.kfree(p)
    x.region("p", p, max_cache(x) + 10)
    x.load(p)


@case("kmalloc_large_invalid_free", K7, "large kmalloc invalid free kfree(p + 1)",
      alloc("invalid-free", "invalid free", "p", 1))
def _(x):
    p = x.kh.kmalloc(max_cache(x) + 10)
    x.region("p", p, max_cache(x) + 10)
    x.kh.kfree(p + 1)


@case("page_alloc_uaf", K7, "page allocation use-after-free (order 4)",
      asan(UAF, "page", 0, ("READ", 1)))
def _(x):
    a = x.kh.alloc_pages(4)
    x.kh.free_pages(a, 4)
    x.region("page", a, x.kh.page_size << 4)
    x.load(a)


def _krealloc_oob(x, size1, size2):
    p = x.kh.kmalloc(size1)
    x.store(p, size1, 0x41)
    q = x.kh.krealloc(p, size2)
    x.check(x.peek(q, min(size1, size2)) == b"\x41" * min(size1, size2),
            "krealloc lost the prefix")
    x.store(q + size2 - 1)          # the last requested byte is fine
    x.region("q", q, size2)
    x.store(q + size2)


for size1, size2, big in [(201, 235, False), (235, 201, False), (201, 235, True), (235, 201, True)]:
    how = "more" if size2 > size1 else "less"
    name = f"krealloc{'_large' if big else ''}_{how}_oob"

    @case(name, K7, f"krealloc {how} OOB ({size1} -> {size2}{', large' if big else ''})",
          asan(OOB, "q", 8192 + size2 if big else size2, ("WRITE", 1)))
    def _(x, size1=size1, size2=size2, big=big):
        base = max_cache(x) if big else 0
        _krealloc_oob(x, base + size1, base + size2)


@case("krealloc_uaf", K7, "krealloc of a freed pointer (reported, returns NULL)",
      alloc(UAF, "Object already free", "p", 0, krealloc=0))
def _(x):
    p = x.kh.kmalloc(201)
    x.kh.kfree(p)
    x.region("p", p, 201)
    x.value("krealloc", x.kh.krealloc(p, 235))


@case("kmalloc_uaf", K7, "kmalloc use-after-free read", asan(UAF, "p", 8, ("READ", 1)))
def _(x):
    p = x.kh.kmalloc(10)
    x.kh.kfree(p)
    x.region("p", p, 10)
    x.load(p + 8)


@case("kmalloc_uaf_memset", K7, "kmalloc use-after-free memset", asan(UAF, "p", 0, ("WRITE", 33)))
def _(x):
    p = x.kh.kmalloc(33)
    x.kh.kfree(p)
    x.region("p", p, 33)
    x.libc.memset(p, 0, 33)


@case("kmalloc_uaf_16", K7, "kmalloc use-after-free 16-byte copy",
      asan(UAF, "p2", 0, ("READ", 16)))
def _(x):
    p1, p2 = x.kh.kmalloc(16), x.kh.kmalloc(16)
    x.kh.kfree(p2)
    x.region("p2", p2, 16)
    x.libc.memmove(p1, p2, 16)


@case("kmalloc_uaf2", K7, "stale pointer after same-size reallocation (quarantine 16)",
      asan(UAF, "p1", 40, ("READ", 1)), quarantine_objects=16)
def _(x):
    p1 = x.kh.kmalloc(43)
    x.kh.kfree(p1)
    p2 = x.kh.kmalloc(43)
    x.check(p2 != p1, "the quarantine did not keep the freed object from reuse")
    x.region("p1", p1, 43)
    x.load(p1 + 40)


@case("kmalloc_double_kzfree", K7, "double kfree_sensitive",
      alloc("double-free", "Object already free", "p", 0))
def _(x):
    p = x.kh.kmalloc(16)
    x.region("p", p, 16)
    x.kh.kfree_sensitive(p)
    x.kh.kfree_sensitive(p)


# kmalloc_oob_memset_N: memset of N bytes ending one byte past a 120-byte
# object; ASan names the first bad byte.
for n in (2, 4, 8, 16):
    @case(f"kmalloc_oob_memset_{n}", K7, f"memset of {n} bytes crossing the end",
          asan(OOB, "p", 120, ("WRITE", n)))
    def _(x, n=n):
        p = x.kh.kmalloc(120)
        x.region("p", p, 120)
        x.libc.memset(p + 121 - n, 0, n)


@case("kmalloc_memmove_invalid_size", K7, "memmove reading past the end",
      asan(OOB, "p", 64, ("READ", 64)))
def _(x):
    p = x.kh.kzalloc(64)
    x.region("p", p, 64)
    x.libc.memmove(p, p + 4, 64)


@case("kasan_memchr", K7, "memchr crossing the end", asan(OOB, "p", 24, ("READ", 25)))
def _(x):
    p = x.kh.kzalloc(24)
    x.region("p", p, 24)
    x.libc.memchr(p, ord("1"), 25)


@case("kasan_memcmp", K7, "memcmp crossing the end", asan(OOB, "p", 24, ("READ", 25)))
def _(x):
    import ctypes
    p = x.kh.kzalloc(24)
    other = ctypes.create_string_buffer(25)
    x.region("p", p, 24)
    x.libc.memcmp(p, ctypes.addressof(other), 25)


@case("kasan_strlen_oob", K7, "strlen crossing the end", asan(OOB, "p", 8, ("READ", None)))
def _(x):
    p = x.kh.kmalloc(8)
    x.store(p, 8, ord("A"))         # no terminator inside the object
    x.region("p", p, 8)
    x.libc.strlen(p)


# kasan_strings: string functions on a freed one-byte string.
for fn in ("strchr", "strrchr", "strcmp", "strncmp", "strlen", "strnlen"):
    @case(f"kasan_strings_{fn}", K7, f"{fn} on a freed string", asan(UAF, "p", 0))
    def _(x, fn=fn):
        p = x.kh.kzalloc(1)
        x.kh.kfree(p)
        x.region("p", p, 1)
        f = getattr(x.libc, fn)
        args = {"strchr": (ord("1"),), "strrchr": (ord("1"),), "strcmp": (b"2",),
                "strncmp": (b"2", 1), "strlen": (), "strnlen": (1,)}[fn]
        f(p, *args)


@case("ksize_unpoisons_memory", K7, "access beyond the request within ksize",
      asan(OOB, "p", 123, ("READ", 1)))
def _(x):
    p = x.kh.kmalloc(123)
    x.check(x.kh.ksize(p) == 128, f"ksize(kmalloc(123)) = {x.kh.ksize(p)}, expected 128")
    x.region("p", p, 123)
    x.load(p + 123)


@case("ksize_beyond", K7, "access at ksize after ksize()", asan(OOB, "p", 128, ("READ", 1)))
def _(x):
    p = x.kh.kmalloc(123)
    n = x.kh.ksize(p)
    x.region("p", p, 123)
    x.load(p + n)


@case("ksize_uaf", K7, "ksize after free", alloc(UAF, "Object already free", "p", 0, ksize=0))
def _(x):
    p = x.kh.kmalloc(120)
    x.kh.kfree(p)
    x.region("p", p, 120)
    x.value("ksize", x.kh.ksize(p))


@case("kmem_cache_oob", K7, "kmem_cache OOB (p[200] of a 200-byte cache)",
      asan(OOB, "p", 200, ("READ", 1)))
def _(x):
    c = x.kh.cache_create("test_cache", 200)
    p = x.kh.cache_alloc(c)
    x.region("p", p, 200)
    x.load(p + 200)


for q in (0, 16):   # as kfree_double_free: straight back, or quarantined
    @case("kmem_cache_double_free" + ("_quarantined" if q else ""), K7,
          "kmem_cache double free" + (" while the object sits in the quarantine" if q else ""),
          alloc("double-free", "Object already free", "p", 0), quarantine_objects=q)
    def _(x):
        c = x.kh.cache_create("test_cache", 200)
        p = x.kh.cache_alloc(c)
        x.region("p", p, 200)
        x.kh.cache_free(c, p)
        x.kh.cache_free(c, p)


@case("kmem_cache_invalid_free", K7, "kmem_cache invalid free (p + 1)",
      alloc("invalid-free", "invalid free", "p", 1))
def _(x):
    c = x.kh.cache_create("test_cache", 200)
    p = x.kh.cache_alloc(c)
    x.region("p", p, 200)
    x.kh.cache_free(c, p + 1)


@case("kmem_cache_double_destroy", K7, "kmem_cache double destroy",
      alloc("double-free", "double destroy"))
def _(x):
    c = x.kh.cache_create("test_cache", 200)
    x.kh.cache_destroy(c)
    x.kh.cache_destroy(c)


# ---- mempool: kmalloc, large kmalloc, slab and page pools ----

def _pool(x, kind):
    """(pool, element size, element -> address) for a two-element pool."""
    k = x.kh
    if kind == "kmalloc":
        return k.mempool_create_kmalloc_pool(2, 123), 123, lambda e: e
    if kind == "large":
        n = max_cache(x) + 1
        return k.mempool_create_kmalloc_pool(2, n), n, lambda e: e
    if kind == "slab":
        return k.mempool_create_slab_pool(2, k.cache_create("test_cache", 123)), 123, lambda e: e
    return k.mempool_create_page_pool(2, 0), k.page_size, k.page_address


POOLS = ["kmalloc", "large", "slab", "page"]

for kind in ["kmalloc", "large", "slab"]:
    @case(f"mempool_{kind}_oob_right", K7, f"mempool ({kind}) OOB",
          asan(OOB, "e", (8192 + 1) if kind == "large" else 123, ("WRITE", 1)))
    def _(x, kind=kind):
        pool, size, addr = _pool(x, kind)
        e = addr(x.kh.mempool_alloc(pool))
        x.region("e", e, size)
        x.store(e + size)

for kind in POOLS:
    @case(f"mempool_{kind}_uaf", K7, f"mempool ({kind}) use-after-free",
          asan(UAF, "e", 0, ("READ", 1)))
    def _(x, kind=kind):
        pool, size, addr = _pool(x, kind)
        el = x.kh.mempool_alloc(pool)
        x.kh.mempool_free(el, pool)
        x.region("e", addr(el), size)
        x.load(addr(el))

    reason = {"kmalloc": "Object already free", "large": "double free",
              "slab": "Object already free", "page": "double free"}[kind]

    @case(f"mempool_{kind}_double_free", K7, f"mempool ({kind}) double free",
          alloc("double-free", reason))
    def _(x, kind=kind):
        pool, size, addr = _pool(x, kind)
        el = x.kh.mempool_alloc(pool)
        x.kh.mempool_free(el, pool)
        x.kh.mempool_free(el, pool)

for kind in ["kmalloc", "large", "slab"]:
    @case(f"mempool_{kind}_invalid_free", K7, f"mempool ({kind}) invalid free (p + 1)",
          alloc("invalid-free", "invalid free", "e", 1))
    def _(x, kind=kind):
        pool, size, addr = _pool(x, kind)
        el = x.kh.mempool_alloc(pool)
        x.region("e", el, size)
        x.kh.mempool_free(el + 1, pool)


def _reserve_element(x):
    """A kmalloc pool element handed out from the reserve: the allocator
    fails, so mempool_alloc falls back to its preallocated elements."""
    from .instance import FAULT_FROM, FAULT_SLAB
    pool = x.kh.mempool_create_kmalloc_pool(2, 123)
    x.kh.fault_set(FAULT_FROM, nth=1, domains=FAULT_SLAB)
    el = x.kh.mempool_alloc(pool, GFP_KERNEL | __GFP_NOWARN)
    x.kh.fault_clear()
    x.check(x.kh.mempool_info(pool).curr_nr == 1, "the element did not come from the reserve")
    return pool, el


@case("mempool_reserve_uaf", K7, "mempool use of an element back in the reserve",
      asan(UAF, "e", 0, ("READ", 1)))
def _(x):
    pool, el = _reserve_element(x)
    x.kh.mempool_free(el, pool)         # curr_nr < min_nr: back into the reserve
    x.region("e", el, 123)
    x.load(el)


@case("mempool_reserve_double_free", K7, "mempool double free into the reserve",
      alloc("double-free", "element already in reserve"))
def _(x):
    pool, el = _reserve_element(x)
    x.kh.mempool_free(el, pool)
    x.kh.mempool_free(el, pool)


# ---- vmalloc ----

@case("vmalloc_oob", K7, "vmalloc OOB (unaligned)", asan(OOB, "v", 2035, ("READ", 1)))
def _(x):
    v = x.kh.vmalloc(2035)              # PAGE_SIZE / 2 - granule - 5
    x.region("v", v, 2035)
    x.load(v + 2035)


@case("vmalloc_oob_aligned", K7, "vmalloc OOB (first bad granule)",
      asan(OOB, "v", 2040, ("READ", 1)))
def _(x):
    v = x.kh.vmalloc(2035)
    x.region("v", v, 2035)
    x.load(v + 2040)


@case("vmalloc_guard_page", K7, "vmalloc access into the guard page",
      asan(OOB, "v", 4096, ("WRITE", 1)))
def _(x):
    v = x.kh.vmalloc(4096)
    x.region("v", v, 4096)
    x.store(v + 4096)


@case("vmalloc_uaf", K7, "vmalloc use after vfree", asan(UAF, "v", 0, ("READ", 1)))
def _(x):
    v = x.kh.vmalloc(5000)
    x.kh.vfree(v)
    x.region("v", v, 5000)
    x.load(v)


# ---- must not report (KASAN's positive cases) ----

@case("kfree_via_page", K7, "kfree via a pointer recomputed from the page", clean())
def _(x):
    k = x.kh
    p = k.kmalloc(8)
    off = p % k.page_size
    k.kfree(k.page_address(k.virt_to_page(p)) + off)
    big = k.kmalloc(max_cache(x) + 10)
    k.kfree(k.page_address(k.virt_to_page(big)))


@case("kfree_via_phys", K7, "kfree via a pointer recomputed from its physical address",
      clean())
def _(x):
    k = x.kh
    p = k.kmalloc(8)
    k.kfree(k.lib.kh_phys_to_virt(k.kh, k.virt_to_phys(p)))


@case("kmalloc_accounted_and_bulk", K7, "accounted kmalloc, SLAB_ACCOUNT cache, bulk use",
      clean(bulk=10))
def _(x):
    k = x.kh
    p = k.kmalloc(100, GFP_KERNEL | __GFP_ACCOUNT)
    x.store(p, 100)
    k.kfree(p)
    c = k.cache_create("test_cache", 200, 0, SLAB_ACCOUNT)
    for _ in range(10):
        o = k.cache_alloc(c)
        x.store(o, 200)
        k.cache_free(c, o)
    b = k.cache_create("test_bulk", 200)
    objs = k.cache_alloc_bulk(b, 10)
    x.value("bulk", len(objs))
    for o in objs:
        x.store(o)
        x.store(o + 199)
    k.cache_free_bulk(b, objs)
    k.cache_destroy(c)
    k.cache_destroy(b)


@case("in_bounds_everywhere", K7, "every requested byte of every API is usable", clean())
def _(x):
    """Touches exactly the requested bytes of each kind of allocation (and
    of krealloc'd, ksize-queried and pool objects): ASan must stay quiet,
    so the poisoning is not wider than the objects."""
    k = x.kh
    for n in (1, 7, 13, 96, 123, 192, 1000, max_cache(x), max_cache(x) + 1, 3 * k.page_size + 5):
        p = k.kmalloc(n)
        x.store(p, n)
        x.load(p, n)
        q = k.krealloc(p, n + 50)
        x.store(q, n + 50)
        r = k.krealloc(q, max(n // 2, 1))
        x.load(r, max(n // 2, 1))
        k.kfree(r)
    c = k.cache_create("test_cache", 200)
    o = k.cache_alloc(c)
    x.store(o, 200)
    k.cache_free(c, o)
    k.cache_destroy(c)
    a = k.alloc_pages(3)
    x.store(a, k.page_size << 3)
    k.free_pages(a, 3)
    v = k.vmalloc(2035)
    x.store(v, 2035)
    k.vfree(v)
    pool = k.mempool_create_kmalloc_pool(2, 123)
    e = k.mempool_alloc(pool)
    x.store(e, 123)
    k.mempool_free(e, pool)
    k.mempool_destroy(pool)


# ==== slub_kunit (SPEC 6): the allocator's debug checks must report ============

@case("test_clobber_zone", K6, "clobber the red zone (p[64] of a 64-byte object)",
      alloc("redzone", "Right Redzone overwritten", "p", 64,
            text="First byte 0x12 instead of 0xcc", errors=2))
def _(x):
    c = x.kh.cache_create("TestSlub_RZ_alloc", 64, 0, SLAB_RED_ZONE)
    p = x.kh.cache_alloc(c)
    x.region("p", p, 64)
    x.poke(p + 64, 0x12)
    x.value("errors", x.kh.cache_validate(c))
    x.check(x.peek(p + 64) == b"\xcc", "the red zone was not restored")


@case("test_next_pointer", K6, "corrupt a freed object's free pointer",
      alloc("freelist", "Freechain corrupt", errors=3))
def _(x):
    c = x.kh.cache_create("TestSlub_next_ptr_free", 64, 0, SLAB_POISON)
    p = x.kh.cache_alloc(c)
    x.kh.cache_free(c, p)
    off = x.kh.cache_info(c).offset
    x.poke(p + off, x.peek(p + off)[0] ^ 0xFF)
    x.value("errors", x.kh.cache_validate(c))


@case("test_first_word", K6, "scribble the first byte of a freed poisoned object",
      alloc("poison", "Poison overwritten", "p", 0, errors=2))
def _(x):
    c = x.kh.cache_create("TestSlub_1th_word_free", 64, 0, SLAB_POISON)
    p = x.kh.cache_alloc(c)
    x.kh.cache_free(c, p)
    x.check(x.peek(p, 64) == b"\x6b" * 63 + b"\xa5", "freed object not poisoned 0x6b...0xa5")
    x.region("p", p, 64)
    x.poke(p, 0x78)
    x.value("errors", x.kh.cache_validate(c))


@case("test_clobber_50th_byte", K6, "scribble byte 50 of a freed poisoned object",
      alloc("poison", "Poison overwritten", "p", 50, text="@offset=50", errors=2))
def _(x):
    c = x.kh.cache_create("TestSlub_50th_word_free", 64, 0, SLAB_POISON)
    p = x.kh.cache_alloc(c)
    x.kh.cache_free(c, p)
    x.region("p", p, 64)
    x.poke(p + 50, 0x9A)
    x.value("errors", x.kh.cache_validate(c))


@case("test_clobber_redzone_free", K6, "write the red zone after free",
      alloc("redzone", "Right Redzone overwritten", "p", 64,
            text="First byte 0xab instead of 0xbb", errors=2))
def _(x):
    c = x.kh.cache_create("TestSlub_RZ_free", 64, 0, SLAB_RED_ZONE)
    p = x.kh.cache_alloc(c)
    x.kh.cache_free(c, p)
    x.region("p", p, 64)
    x.poke(p + 64, 0xAB)
    x.value("errors", x.kh.cache_validate(c))


@case("test_kmalloc_redzone_access", K6, "write bytes 18-19 of an 18-byte kmalloc (kmalloc-32)",
      alloc("redzone", "kmalloc Redzone overwritten", "p", 18, errors=2), slub_debug="ZU")
def _(x):
    p = x.kh.kmalloc(18)
    x.check(x.peek(p + 18, 14) == b"\xcc" * 14, "bytes 18..31 are not the 0xcc kmalloc red zone")
    x.region("p", p, 18)
    x.poke(p + 18, b"\xab\xab")
    x.value("errors", x.kh.cache_validate(x.kh.kmalloc_cache(18)))


@case("test_leak_destroy", K6, "destroy a cache with a live object",
      alloc("leak", "Objects remaining on __kmem_cache_shutdown()", "p", 0,
            text="Slab cache still has objects"))
def _(x):
    c = x.kh.cache_create("TestSlub_leak", 64)
    p = x.kh.cache_alloc(c)
    x.region("p", p, 64)
    x.kh.cache_destroy(c)


@case("test_krealloc_redzone_zeroing", K6, "krealloc red zone zeroing (48 -> 40 -> 56 -> 112)",
      clean(errors=0), slub_debug="ZU")
def _(x):
    k = x.kh
    p = k.kmalloc(48)
    x.poke(p, b"\xff" * 48)
    x.check(x.peek(p + 48, 16) == b"\xcc" * 16, "48..63 not red zone after kmalloc(48)")
    p = k.krealloc(p, 40, GFP_KERNEL | __GFP_ZERO)
    x.check(x.peek(p + 40, 24) == b"\xcc" * 24, "shrink to 40: 40..63 not red zone")
    p = k.krealloc(p, 56, GFP_KERNEL | __GFP_ZERO)
    x.check(x.peek(p, 40) == b"\xff" * 40, "grow to 56: 0..39 not kept")
    x.check(x.peek(p + 40, 16) == bytes(16), "grow to 56: 40..55 not zeroed")
    x.check(x.peek(p + 56, 8) == b"\xcc" * 8, "grow to 56: 56..63 not red zone")
    q = k.krealloc(p, 112, GFP_KERNEL | __GFP_ZERO)
    x.check(q != p, "grow to 112 did not move to kmalloc-128")
    x.check(x.peek(q, 40) == b"\xff" * 40, "grow to 112: 0..39 not copied")
    x.check(x.peek(q + 40, 72) == bytes(72), "grow to 112: 40..111 not zeroed")
    x.check(x.peek(q + 112, 16) == b"\xcc" * 16, "grow to 112: 112..127 not red zone")
    x.value("errors", k.cache_validate(k.kmalloc_cache(64)) + k.cache_validate(k.kmalloc_cache(128)))
    k.kfree(q)


# ==== other misuse the spec names (SPEC 2, 4, 5, 9) ============================

# The second free is seen whether the first put the object straight back
# on its slab or into the quarantine (held from reuse, not on the slab's
# free list yet).
for q in (0, 16):
    @case("kfree_double_free" + ("_quarantined" if q else ""), "SPEC 2",
          "kfree double free" + (" while the object sits in the quarantine" if q else ""),
          alloc("double-free", "Object already free", "p", 0), quarantine_objects=q)
    def _(x):
        p = x.kh.kmalloc(100)
        x.region("p", p, 100)
        x.kh.kfree(p)
        x.kh.kfree(p)


@case("kfree_interior", "SPEC 2", "kfree of an interior pointer (p + 1)",
      alloc("invalid-free", "invalid free", "p", 1))
def _(x):
    p = x.kh.kmalloc(100)
    x.region("p", p, 100)
    x.kh.kfree(p + 1)


@case("kfree_not_kmalloc", "SPEC 2", "kfree of page-allocator memory",
      alloc("invalid-free", "Not a kmalloc allocation", "a", 0))
def _(x):
    a = x.kh.alloc_pages(0)
    x.region("a", a, x.kh.page_size)
    x.kh.kfree(a)


@case("free_pages_double", "SPEC 4", "free_pages twice", alloc("double-free", "double free"))
def _(x):
    a = x.kh.alloc_pages(2)
    x.kh.free_pages(a, 2)
    x.kh.free_pages(a, 2)


@case("kmem_cache_free_wrong_cache", "SPEC 5", "free to the wrong cache",
      alloc("wrong-cache", "Wrong slab cache", "p", 0,
            text="Wrong slab cache. other but object is from kmalloc-256"))
def _(x):
    c = x.kh.cache_create("other", 200)
    p = x.kh.kmalloc(200)
    x.region("p", p, 200)
    x.kh.cache_free(c, p)


@case("vfree_not_vmalloc", "SPEC 9", "vfree of a kmalloc pointer",
      alloc("invalid-free", "vfree nonexistent vm area", "p", 0))
def _(x):
    p = x.kh.kmalloc(10)
    x.region("p", p, 10)
    x.kh.vfree(p)


@case("free_percpu_invalid", "SPEC 9", "free_percpu of a non-percpu pointer",
      alloc("invalid-free", "free_percpu invalid pointer"))
def _(x):
    x.kh.free_percpu(x.kh.kmalloc(10))
