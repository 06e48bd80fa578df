/* ---- reproducer runtime -----------------------------------------------------
 * Copied into every program `reproduce` writes (from fuzz/repro_runtime.c).
 * It repeats, in a few hundred lines, the checks the fuzz executor
 * (fuzz/exec.c) makes after each operation, so the program prints the same
 * finding title the fuzzer did: a model of the live blocks (no overlap,
 * contents intact), the spec's expected values (passed in by the generated
 * code), the allocator's own reports and kh_validate(). The executor's
 * checks that need nothing but the allocator's API are not repeated: their
 * files come with this one (REPRO_SHARED_CHECKS in fuzz/BUILD).
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exec_limits.h"
#include "introspect.h"
#include "kmalloc.h"
#include "kmem.h"
#include "memblock.h"
#include "mempool.h"
#include "page_alloc.h"
#include "percpu.h"
#include "slab.h"
#include "vmalloc.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#include <sanitizer/asan_interface.h>
#define REPRO_ASAN 1
#endif
#endif

/* Each program uses only the helpers its operations need. */
#pragma GCC diagnostic ignored "-Wunused-function"


enum misuse_policy { MISUSE_SKIP, MISUSE_EXPECT, MISUSE_RUN };
enum { KM_PLAIN = 0, KM_ZERO = 1, KM_OVERFLOW = 2 };

static struct kh *kh;
static enum misuse_policy policy;
/* the profile's limits (set by start) */
static unsigned kh_config_page_shift;
static size_t kmalloc_max_size, kmalloc_max_cache_size;
static bool slub_debug_on;
static const char *op_name = "";  /* the trace operation running */
static const char *op_text = "";
static int op_line;
static uint64_t injected_before;

static void finding(const char *kind, const char *where, const char *fmt, ...)
    __attribute__((format(printf, 3, 4), noreturn));
static void finding(const char *kind, const char *where, const char *fmt, ...)
{
    printf("finding: %s in %s (%s)\n  line %d: %s\n  ", kind, op_name, where, op_line, op_text);
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    exit(1);
}

/* ---- live blocks ---- */

struct block {
    uintptr_t start;
    size_t size;
    unsigned id;
    bool patterned;
    size_t usable;      /* kmalloc objects: ksize as the spec fixes it (0: unknown) */
};

static struct block *blocks;
static size_t nblocks, blocks_cap;
static unsigned next_id;

static uint8_t pattern_byte(unsigned id, size_t i)
{
    uint32_t x = id * 0x9e3779b1u + (uint32_t)i * 0x85ebca77u;
    return (uint8_t)(x >> 24 ^ x >> 11 ^ 0x5c);
}

static size_t extent(size_t size) { return size ? size : 1; }

static struct block *find_block(const void *p)
{
    for (size_t i = 0; i < nblocks; i++)
        if (blocks[i].start == (uintptr_t)p)
            return &blocks[i];
    return NULL;
}

static const struct block *overlapping(uintptr_t start, size_t size, const struct block *self)
{
    for (size_t i = 0; i < nblocks; i++) {
        const struct block *b = &blocks[i];
        if (b != self && start < b->start + extent(b->size) && b->start < start + extent(size))
            return b;
    }
    return NULL;
}

static void fill(struct block *b, size_t from)
{
    size_t lim = b->size < PATTERN_CAP ? b->size : PATTERN_CAP;
    for (size_t i = from; i < lim; i++)
        ((uint8_t *)b->start)[i] = pattern_byte(b->id, i);
    b->patterned = true;
}

/* A new block: it must not overlap a live one; it gets a fresh pattern. */
static void track(void *p, size_t size)
{
    const struct block *hit = overlapping((uintptr_t)p, size, NULL);
    if (hit)
        finding("overlap", "shadow", "new block %p+%zu overlaps live block %#lx+%zu", p, size,
                (unsigned long)hit->start, hit->size);
    if (nblocks == blocks_cap) {
        blocks_cap = blocks_cap ? 2 * blocks_cap : 64;
        blocks = realloc(blocks, blocks_cap * sizeof(*blocks));
        if (!blocks)
            abort();
    }
    struct block *b = &blocks[nblocks++];
    *b = (struct block){ (uintptr_t)p, size, ++next_id, false, 0 };
    fill(b, 0);
}

static void verify(const struct block *b, const char *when)
{
    if (!b->patterned)
        return;
    size_t lim = b->size < PATTERN_CAP ? b->size : PATTERN_CAP;
    for (size_t i = 0; i < lim; i++) {
        uint8_t got = ((const uint8_t *)b->start)[i];
        if (got != pattern_byte(b->id, i))
            finding("content corrupted", "shadow",
                    "%s: live block %#lx+%zu: byte %zu is %#x, expected %#x (written at allocation)",
                    when, (unsigned long)b->start, b->size, i, got, pattern_byte(b->id, i));
    }
}

static void drop(struct block *b) { *b = blocks[--nblocks]; }

/* A legal free: the block must be intact, then it is gone. */
static void untrack(const void *p)
{
    struct block *b = p ? find_block(p) : NULL;
    if (b) {
        verify(b, "before free");
        drop(b);
    }
}

/* After a misuse the block's state is unknown: forget it unchecked. */
static void forget(const void *p)
{
    struct block *b = p ? find_block(p) : NULL;
    if (b)
        drop(b);
}

static void verify_all(void)
{
    for (size_t i = 0; i < nblocks; i++)
        verify(&blocks[i], "periodic check");
}

/* p + off, or NULL when p is (as the fuzzer evaluates pointer operands). */
static void *at(void *p, long long off) { return p ? (void *)((uintptr_t)p + (uintptr_t)off) : NULL; }

/* ---- the spec's expectations ---- */

/* Could an allocation of `pages` (largest piece of `order`) honestly fail
 * now? Pieces of order > 0 come from one zone, which must keep its
 * watermarks and lowmem reserve; single pages from all of them (exec.c). */
static bool memory_tight(gfp_t gfp, unsigned long pages, unsigned order)
{
    unsigned long free = 0, reserve = 0;
    bool block = false, zone_can = false;
    int top = (gfp & __GFP_DMA) ? ZONE_DMA : (gfp & __GFP_DMA32) ? ZONE_DMA32 : MAX_NR_ZONES - 1;
    for (int z = 0; z <= top; z++) {
        struct kh_zone_info zi;
        if (kh_zone_info(kh, (enum zone_type)z, &zi) != 0 || !zi.present)
            continue;
        free += zi.free;
        reserve += 2 * zi.wmark_high;
        bool here = false;
        for (unsigned o = order; o < KH_MAX_ORDER_LIMIT && !here; o++)
            here = zi.nr_free[o] > 0;
        block |= here;
        unsigned long need = pages > (1ul << order) ? pages : 1ul << order;
        zone_can |= here && zi.free >= need + 2 * zi.wmark_high + zi.lowmem_reserve[top] + 64;
    }
    if (order > 0)
        return !zone_can;
    return free < pages + reserve + 64 || !block;
}

/* NULL is right for impossible requests, injected faults and tight memory. */
static void check_null(bool impossible, gfp_t gfp, unsigned long pages, unsigned order)
{
    if (impossible || kh_fault_injected(kh) > injected_before || memory_tight(gfp, pages, order))
        return;
    finding("unexpected NULL", "oracle",
            "allocation failed with memory available (%lu pages needed, order %u, gfp %#x)", pages,
            order, gfp);
}

static void check_zeroed(const void *p, size_t n)
{
    size_t lim = n < ZERO_CHECK_CAP ? n : ZERO_CHECK_CAP;
    for (size_t i = 0; i < lim; i++)
        if (((const uint8_t *)p)[i])
            finding("not zeroed", "oracle", "byte %zu of %p is %#x after a zeroing allocation", i, p,
                    ((const uint8_t *)p)[i]);
}

/* zone_end: the physical address past the highest zone the gfp allows */
static void check_zone(const void *p, size_t bytes, uint64_t zone_end, const char *what)
{
    if (!p || p == ZERO_SIZE_PTR)
        return;
    uint64_t phys = kh_virt_to_phys(kh, p);
    if (phys + bytes > zone_end)
        finding("wrong zone", "oracle", "%s %p (physical %#llx+%zu) lies past the end of the zone its gfp "
                "allows (%#llx)", what, p, (unsigned long long)phys, bytes, (unsigned long long)zone_end);
}

static void check_align(const void *p, size_t align, const char *what)
{
    if (align > 1 && ((uintptr_t)p & (align - 1)))
        finding("misaligned", "oracle", "%s %p is not aligned to %zu", what, p, align);
}

static int order_of(unsigned long size)
{
    unsigned long pages = (size - 1) >> kh_config_page_shift;
    int order = 0;
    while (pages) {
        order++;
        pages >>= 1;
    }
    return order;
}

/* kmalloc family: ZERO_SIZE_PTR for 0, NULL above KMALLOC_MAX_SIZE, else
 * the size class's ksize and alignment. */
static void check_kmalloc(void *p, size_t size, gfp_t gfp, unsigned how, size_t want_ksize,
                          size_t want_align)
{
    bool overflow = how & KM_OVERFLOW;
    bool over = overflow || size > kmalloc_max_size;
    if (p == ZERO_SIZE_PTR) {
        if (size != 0 || overflow)
            finding("wrong result", "oracle", "ZERO_SIZE_PTR for a %zu-byte request", size);
        return;
    }
    if (!p) {
        if (size == 0 && !overflow)
            finding("wrong result", "oracle", "NULL for kmalloc(0); expected ZERO_SIZE_PTR");
        bool large = size > kmalloc_max_cache_size;
        check_null(over, gfp, large ? (size >> kh_config_page_shift) + 1 : 8,
                   large ? (unsigned)order_of(size) : 3);
        return;
    }
    if (over)
        finding("wrong result", "oracle", "%zu bytes (or overflow) must give NULL, got %p", size, p);
    if (size == 0)
        finding("wrong result", "oracle", "kmalloc(0) returned %p; expected ZERO_SIZE_PTR", p);
    size_t ks = kh_ksize(kh, p);
    if (ks != want_ksize && !(slub_debug_on && ks >= size))
        finding("ksize mismatch", "oracle", "ksize(kmalloc(%zu)) = %zu, the profile's class is %zu", size,
                ks, want_ksize);
    check_align(p, want_align, "kmalloc result");
    if (how & KM_ZERO)
        check_zeroed(p, size);
    track(p, size);
    find_block(p)->usable = want_ksize;
}

static void check_equal(const char *what, unsigned long long got, unsigned long long want)
{
    if (got != want)
        finding("wrong result", "oracle", "%s = %llu, expected %llu", what, got, want);
}

static void check_ksize(const void *p, size_t ks)
{
    const struct block *b = p ? find_block(p) : NULL;
    if (b && b->size && ks < b->size)
        finding("ksize mismatch", "oracle", "ksize %zu below the %zu bytes requested", ks, b->size);
}

/* What krealloc must keep: the old block's head, copied before the call. */
struct old_block {
    const void *p;
    size_t keep;
    size_t usable;              /* the old object's ksize per the spec (0: unknown) */
    unsigned long copies;       /* kh_last_copy's count before the call */
    bool patterned;
    uint8_t bytes[PATTERN_CAP];
};

/* when: the check to make first (NULL: none) */
static struct old_block *before_realloc(const void *old, size_t new_size, const char *when)
{
    static struct old_block ob;
    struct block *b = old ? find_block(old) : NULL;
    struct kh_copy_info c;
    kh_last_copy(kh, &c);
    ob.p = old;
    ob.keep = 0;
    ob.usable = b ? b->usable : 0;
    ob.copies = c.count;
    ob.patterned = false;
    if (b) {
        if (when)
            verify(b, when);
        ob.keep = b->size < new_size ? b->size : new_size;
        if (ob.keep > PATTERN_CAP)
            ob.keep = PATTERN_CAP;
        ob.patterned = b->patterned;
        memcpy(ob.bytes, old, ob.keep);
    }
    return &ob;
}

static void check_prefix(const void *p, const struct old_block *ob, const char *kind, size_t size)
{
    for (size_t i = 0; i < ob->keep; i++)
        if (((const uint8_t *)p)[i] != ob->bytes[i])
            finding(kind, "oracle", "byte %zu of the %zu-byte prefix differs after %s(%p, %zu) -> %p", i,
                    ob->keep, op_name, ob->p, size, p);
}

/* The allocator's copy of caller data (exec.c's check_copy): from the old
 * object, at most `limit` bytes (exactly, when exact); none when limit is 0
 * and exact. */
static void check_copy(const struct old_block *ob, size_t limit, bool exact)
{
    struct kh_copy_info c;
    kh_last_copy(kh, &c);
    if (c.count == ob->copies || (!exact && !limit))
        return;
    if (exact && !limit)
        finding("copy out of bounds", "oracle", "%s copied %zu bytes from %p where it must copy "
                "nothing", op_name, c.n, c.src);
    if (c.src != ob->p || c.n > limit || (exact && c.n != limit))
        finding("copy out of bounds", "oracle", "%s copied %zu bytes from %p; the old object %p "
                "allows %s%zu", op_name, c.n, c.src, ob->p, exact ? "exactly " : "at most ", limit);
}

static void check_krealloc(void *p, const struct old_block *ob, size_t size, gfp_t gfp, unsigned how)
{
    bool overflow = how & KM_OVERFLOW;
    const void *old = ob->p;
    if (!ZERO_OR_NULL_PTR(old))
        check_copy(ob, ob->usable, false);
    if (ZERO_OR_NULL_PTR(old)) {
        /* krealloc(NULL, n) is kmalloc(n) */
        bool large = size > kmalloc_max_cache_size;
        if (p && p != ZERO_SIZE_PTR)
            track(p, size);
        else if (!p)
            check_null(overflow || size > kmalloc_max_size, gfp,
                       large ? (size >> kh_config_page_shift) + 1 : 8, large ? (unsigned)order_of(size) : 3);
        return;
    }
    if (size == 0 && !overflow) {
        /* krealloc(p, 0) frees p */
        if (p != ZERO_SIZE_PTR)
            finding("wrong result", "oracle", "krealloc(p, 0) returned %p; expected ZERO_SIZE_PTR", p);
        forget(old);
        return;
    }
    if (!p) {
        struct block *b = find_block(old);
        if (b)
            verify(b, "old object after a failed krealloc");
        check_null(overflow || size > kmalloc_max_size, gfp, (size >> kh_config_page_shift) + 8,
                   size > kmalloc_max_cache_size ? (unsigned)order_of(size) : 3);
        return;
    }
    check_prefix(p, ob, "krealloc lost data", size);
    struct block *b = find_block(old);
    if (p == old)
        check_copy(ob, 0, true);   /* in place: nothing to copy */
    if (p == old && b) {
        const struct block *hit = overlapping(b->start, size, b);
        if (hit)
            finding("overlap", "shadow", "krealloc grew %p to %zu bytes over a live block at %#lx", p,
                    size, (unsigned long)hit->start);
        b->size = size;
        if (ob->patterned)
            fill(b, ob->keep);  /* the new tail; caller-written contents stay */
        return;
    }
    if (p != old) {
        forget(old);
        track(p, size);
    }
}

/* kvrealloc: returns p itself when it does not grow. */
static void check_vm(void *p, size_t size, gfp_t gfp, bool zeroing, bool kv);

static void check_kvrealloc(void *p, const struct old_block *ob, size_t old_size, size_t new_size,
                            gfp_t gfp)
{
    check_copy(ob, old_size < new_size ? old_size : 0, true);
    if (old_size >= new_size) {
        if (p != ob->p)
            finding("wrong result", "oracle", "kvrealloc(%p, %zu, %zu) returned %p, not p", ob->p,
                    old_size, new_size, p);
        return;
    }
    if (p && p != ZERO_SIZE_PTR && ob->keep)
        for (size_t i = 0; i < ob->keep; i++)
            if (((const uint8_t *)p)[i] != ob->bytes[i])
                finding("kvrealloc lost data", "oracle", "byte %zu of the prefix differs", i);
    if (p && ob->p && p != ob->p)
        forget(ob->p);
    if (p && p == ob->p)
        return;
    check_vm(p, new_size, gfp, false, true);
}

/* 6.12's kvrealloc(p, size, gfp) and vrealloc: the prefix up to the new
 * size arrives; size 0 frees p; the result is tracked afresh. */
static void check_realloc_612(void *p, const struct old_block *ob, size_t size, gfp_t gfp, bool kv)
{
    if (!p) {
        if (size == 0 && ob->p)
            forget(ob->p);
        return;
    }
    if (p != ZERO_SIZE_PTR)
        for (size_t i = 0; i < ob->keep; i++)
            if (((const uint8_t *)p)[i] != ob->bytes[i])
                finding("kvrealloc lost data", "oracle", "byte %zu of the prefix differs", i);
    if (ob->p)
        forget(ob->p);
    if (size == 0) {
        if (p != ZERO_SIZE_PTR)
            finding("wrong result", "oracle", "a realloc to 0 bytes returned %p", p);
        return;
    }
    check_vm(p, size, gfp, false, kv);
}

/* vmalloc/kvmalloc: never ZERO_SIZE_PTR except kvmalloc(0); NULL for 0 or
 * sizes beyond INT_MAX. */
static void check_vm(void *p, size_t size, gfp_t gfp, bool zeroing, bool kv)
{
    if (p == ZERO_SIZE_PTR) {
        if (!(kv && size == 0))
            finding("wrong result", "oracle", "ZERO_SIZE_PTR for a %zu-byte request", size);
        return;
    }
    if (!p) {
        check_null(size == 0 || size > (size_t)INT32_MAX, gfp, (size >> kh_config_page_shift) + 1, 0);
        return;
    }
    if (size == 0)
        finding("wrong result", "oracle", "a zero-sized %s returned %p", kv ? "kvmalloc" : "vmalloc", p);
    if (zeroing)
        check_zeroed(p, size);
    track(p, size);
}

/* ---- slab caches ---- */

static struct kmem_cache *caches[4096];
static size_t ncaches;

static void cache_created(struct kmem_cache *c)
{
    if (c && ncaches < sizeof(caches) / sizeof(caches[0]))
        caches[ncaches++] = c;
}

static void cache_destroyed(struct kmem_cache *c)
{
    for (size_t i = 0; i < ncaches; i++)
        if (caches[i] == c) {
            memmove(&caches[i], &caches[i + 1], (--ncaches - i) * sizeof(caches[0]));
            return;
        }
}

static void shrink_all(void)
{
    for (size_t i = 0; i < ncaches; i++)
        kh_kmem_cache_shrink(kh, caches[i]);
}

static struct kh_cache_info cache_info(struct kmem_cache *c)
{
    struct kh_cache_info ci;
    memset(&ci, 0, sizeof(ci));
    kh_slab_cache_info(kh, c, &ci);
    return ci;
}

/* The spec's geometry of a created cache (computed by the generator with
 * fuzz/oracle_slab.c), as the executor checks it; the objects' alignment
 * is checked against it, not against the cache's own word. */
struct geom_expect {
    unsigned align, object_size, size, inuse, red_left_pad, offset, order, objects;
    int layout, colour, ctor;
};
static struct { struct kmem_cache *c; unsigned align; } expected_align[4096];
static size_t nexpected;

static void geom_field(const char *what, unsigned long want, unsigned long got)
{
    if (want != got)
        finding("cache geometry", "oracle", "%s %lu, the spec's geometry gives %lu", what, got, want);
}

static void cache_expect(struct kmem_cache *c, struct geom_expect e)
{
    if (!c)
        return;
    if (nexpected < sizeof(expected_align) / sizeof(expected_align[0])) {
        expected_align[nexpected].c = c;
        expected_align[nexpected++].align = e.align;
    }
    struct kh_cache_info ci = cache_info(c);
    if (ci.refcount > 1) {   /* an alias: what the spec fixes about a merge */
        if (e.ctor || ci.has_ctor)
            finding("cache geometry", "oracle", "merged with cache %s despite a constructor", ci.name);
        if (ci.size % e.align)
            finding("cache geometry", "oracle", "merged into slot %u, not a multiple of %u", ci.size, e.align);
        return;
    }
    geom_field("object_size", e.object_size, ci.object_size);
    geom_field("align", e.align, ci.align);
    if (ci.size < e.object_size || ci.size % e.align || !ci.objects_per_slab ||
        (unsigned long)ci.objects_per_slab * ci.size > (kh_page_size(kh) << ci.order))
        finding("cache geometry", "oracle", "slot %u with %u objects cannot hold %u-byte objects aligned %u",
                ci.size, ci.objects_per_slab, e.object_size, e.align);
    if (e.colour && ci.colour_off % e.align)
        finding("cache geometry", "oracle", "colour offset %u breaks the %u-byte alignment", ci.colour_off,
                e.align);
    if (!e.layout)
        return;
    geom_field("slot size", e.size, ci.size);
    geom_field("inuse", e.inuse, ci.inuse);
    geom_field("red_left_pad", e.red_left_pad, ci.red_left_pad);
    geom_field("free pointer offset", e.offset, ci.offset);
    geom_field("order", e.order, ci.order);
    geom_field("objects per slab", e.objects, ci.objects_per_slab);
}

static unsigned spec_align(struct kmem_cache *c, unsigned fallback)
{
    for (size_t i = nexpected; i-- > 0;)
        if (expected_align[i].c == c)
            return expected_align[i].align;
    return fallback;
}

/* A cache's slabs come from the zone its flags choose. */
static gfp_t cache_gfp(const struct kh_cache_info *ci, gfp_t gfp)
{
    if (ci->flags & SLAB_CACHE_DMA)
        return gfp | __GFP_DMA;
    if (ci->flags & SLAB_CACHE_DMA32)
        return gfp | __GFP_DMA32;
    return gfp;
}

static void check_cache_obj(struct kmem_cache *c, void *p, gfp_t gfp, bool zeroing)
{
    struct kh_cache_info ci = cache_info(c);
    if (!p) {
        check_null(false, cache_gfp(&ci, gfp), 1ul << ci.order, ci.order);
        return;
    }
    check_align(p, spec_align(c, ci.align), "cache object");
    if (zeroing)
        check_zeroed(p, ci.object_size);
    track(p, ci.object_size);
}

/* Returns the number of objects the caller owns (0 after a failure). */
static int check_bulk(struct kmem_cache *c, void **objs, int got, size_t n, gfp_t gfp)
{
    struct kh_cache_info ci = cache_info(c);
    if (got != 0 && (size_t)got != n)
        finding("bulk not all-or-nothing", "oracle", "kmem_cache_alloc_bulk(%zu) returned %d", n, got);
    if (got == 0 && n > 0) {
        check_null(false, cache_gfp(&ci, gfp), n << ci.order, ci.order);
        memset(objs, 0, n * sizeof(*objs));
        return 0;
    }
    for (int i = 0; i < got; i++)
        track(objs[i], ci.object_size);
    return got;
}

/* kmem_cache_free_bulk may rewrite the array it is given: pass a copy, so
 * the names keep the pointers (as the fuzzer's bindings do). */
static void free_bulk(struct kmem_cache *c, void **objs, int n)
{
    void **copy = calloc(n > 0 ? (size_t)n : 1, sizeof(void *));
    if (!copy)
        abort();
    memcpy(copy, objs, (size_t)(n > 0 ? n : 0) * sizeof(void *));
    kh_kmem_cache_free_bulk(kh, c, (size_t)(n > 0 ? n : 0), copy);
    free(copy);
}

/* ---- pages ---- */

static void *check_pages(void *p, unsigned long order, gfp_t gfp)
{
    bool over = order >= kh_max_order(kh);
    if (!p) {
        check_null(over, gfp, 1ul << (over ? 0 : order), over ? 0 : (unsigned)order);
        return p;
    }
    if (over)
        finding("wrong result", "oracle", "order %lu is above the maximum but got %p", order, p);
    size_t bytes = kh_page_size(kh) << order;
    check_align(p, bytes, "page block");
    if (gfp & __GFP_ZERO)
        check_zeroed(p, bytes);
    track(p, bytes);
    return p;
}

static void check_pages_exact(void *p, size_t size, gfp_t gfp)
{
    if (!p) {
        bool over = size == 0 || (unsigned)order_of(size) >= kh_max_order(kh);
        check_null(over, gfp, (size >> kh_config_page_shift) + 1, over ? 0 : (unsigned)order_of(size));
        return;
    }
    check_align(p, kh_page_size(kh), "alloc_pages_exact result");
    if (gfp & __GFP_ZERO)
        check_zeroed(p, size);
    track(p, size);
}

/* ---- per-CPU ---- */

/* Every CPU's copy is zeroed and its own block; returns CPU 0's copy,
 * which is what the fuzzer keeps for the allocation. */
static void *check_percpu(void *p, size_t size, size_t align, gfp_t gfp)
{
    if (!p) {
        bool illegal = size == 0 || size > kh_percpu_max_size(kh) || align > kh_page_size(kh) ||
                       (align & (align - 1));
        if ((gfp & GFP_KERNEL) != GFP_KERNEL)
            return NULL;   /* atomic: never grows a chunk, may fail (exec.c) */
        check_null(illegal, GFP_KERNEL,
                   (kh_percpu_unit_size(kh) >> kh_config_page_shift) * kh_nr_cpus(kh) + 1, 0);
        return NULL;
    }
    check_align(p, align < 4 ? 4 : align, "per-CPU pointer");
    for (unsigned cpu = 0; cpu < kh_nr_cpus(kh); cpu++) {
        void *c = kh_per_cpu_ptr(kh, p, cpu);
        check_zeroed(c, size);
        track(c, size);
    }
    return kh_per_cpu_ptr(kh, p, 0);
}

static void untrack_percpu(void *p)
{
    if (!p)
        return;
    for (unsigned cpu = 0; cpu < kh_nr_cpus(kh); cpu++)
        untrack(kh_per_cpu_ptr(kh, p, cpu));
}

static void check_per_cpu_ptr(void *p, unsigned cpu)
{
    void *c = kh_per_cpu_ptr(kh, p, cpu);
    if (!find_block(c))
        finding("wrong result", "oracle", "per_cpu_ptr(%p, %u) = %p is not that CPU's copy", p, cpu, c);
}

/* ---- mempool ---- */

/* Page pools hand out struct page pointers; the model holds the memory. */
static void *check_pool_alloc(void *p, size_t elem_size, bool page_pool)
{
    if (!p || p == ZERO_SIZE_PTR)
        return p;  /* none, or a size-0 kmalloc pool's element */
    if (page_pool)
        p = kh_page_address(kh, p);
    track(p, elem_size > PATTERN_CAP ? PATTERN_CAP : elem_size);
    return p;
}

/* The fuzzer keeps reserves to 256 elements and 1 MiB (exec.c). */
static int pool_min_nr(unsigned long long n, size_t elem)
{
    unsigned long long cap = 256, bytes = 1ull << 20;
    if (elem && bytes / elem < cap)
        cap = bytes / elem ? bytes / elem : 1;
    return (int)(n > cap ? cap : n);
}

static size_t object_size(struct kmem_cache *c) { return c ? cache_info(c).object_size : 0; }

/* A page pool's elements go back as struct page pointers. */
static void *page_of(void *p) { return p && p != ZERO_SIZE_PTR ? (void *)kh_virt_to_page(kh, p) : p; }

/* ---- memory access by the caller ---- */

static void write_mem(void *p, size_t off, size_t len, int byte, void *owner)
{
    if (!p)
        return;
    memset((char *)p + off, byte, len);
    struct block *b = owner ? find_block(owner) : NULL;
    if (b)
        b->patterned = false;  /* the caller's bytes now */
}

/* kmemdup's result holds exactly the source's bytes. */
static void check_kmemdup(const void *p, const void *src, size_t len)
{
    if (!p || p == ZERO_SIZE_PTR)
        return;
    for (size_t i = 0; i < len; i++)
        if (((const uint8_t *)p)[i] != ((const uint8_t *)src)[i]) {
            finding("wrong result", "oracle", "kmemdup's copy of %p differs from it at byte %zu of %zu",
                    src, i, len);
            return;
        }
}

static void read_mem(const void *p, size_t off, size_t len)
{
    volatile uint8_t sink = 0;
    for (size_t i = 0; p && i < len; i++)
        sink ^= ((const uint8_t *)p)[off + i];
    (void)sink;
}

/* ---- the boot phase (exec.c with oracle_boot.c, in brief) ----
 * The trace's reservations, merged as memblock merges them; memblock's own
 * list must match them after every memblock call. */

struct boot_range { uint64_t base, end; };
static struct boot_range *boot_v;
static size_t boot_n, boot_cap;
static uint64_t boot_lo, boot_hi;

static void boot_begin(void)
{
    struct kh_memblock_info mi;
    kh_boot_begin(kh);
    kh_memblock_get_info(kh, &mi);
    boot_lo = 1ull << kh_config_page_shift;
    boot_hi = mi.limit;
    boot_n = 0;
}

static void boot_add(uint64_t base, uint64_t end)
{
    size_t first = 0, last;
    while (first < boot_n && boot_v[first].end < base)
        first++;
    for (last = first; last < boot_n && boot_v[last].base <= end; last++) {
        base = boot_v[last].base < base ? boot_v[last].base : base;
        end = boot_v[last].end > end ? boot_v[last].end : end;
    }
    if (first == last) {
        if (boot_n == boot_cap && !(boot_v = realloc(boot_v, (boot_cap = 2 * boot_cap + 16) * sizeof(*boot_v))))
            abort();
        memmove(&boot_v[first + 1], &boot_v[first], (boot_n - first) * sizeof(*boot_v));
        boot_n++;
    } else {
        memmove(&boot_v[first + 1], &boot_v[last], (boot_n - last) * sizeof(*boot_v));
        boot_n -= last - first - 1;
    }
    boot_v[first] = (struct boot_range){ base, end };
}

/* [base, end) lies inside one range (the executor ran it as legal) */
static void boot_remove(uint64_t base, uint64_t end)
{
    for (size_t i = 0; i < boot_n; i++) {
        struct boot_range r = boot_v[i];
        if (!(r.base <= base && end <= r.end))
            continue;
        memmove(&boot_v[i], &boot_v[i + 1], (boot_n - i - 1) * sizeof(*boot_v));
        boot_n--;
        if (r.base < base)
            boot_add(r.base, base);
        if (end < r.end)
            boot_add(end, r.end);
        return;
    }
}

struct boot_cmp { size_t i; bool differs; };

static int boot_compare(void *ctx, phys_addr_t base, phys_addr_t size)
{
    struct boot_cmp *c = ctx;
    if (c->i >= boot_n || boot_v[c->i].base != base || boot_v[c->i].end - base != size) {
        c->differs = true;
        return 1;
    }
    c->i++;
    return 0;
}

static void check_boot(void)
{
    struct boot_cmp c = { 0, false };
    kh_memblock_for_each_reserved(kh, boot_compare, &c);
    struct kh_memblock_info mi;
    kh_memblock_get_info(kh, &mi);
    uint64_t total = 0;
    for (size_t i = 0; i < boot_n; i++)
        total += boot_v[i].end - boot_v[i].base;
    if (c.differs || c.i != boot_n || mi.reserved_bytes != total)
        finding("boot reservations wrong", "oracle", "memblock's reserved region %zu (of %lu, %#llx "
                "bytes) is not the trace's (%zu regions, %#llx bytes)", c.i, mi.nr_regions,
                (unsigned long long)mi.reserved_bytes, boot_n, (unsigned long long)total);
}

/* A memblock_alloc / memblock_phys_alloc result in early boot. */
static void boot_allocated(void *p, uint64_t size)
{
    if (!p)
        return;
    uint64_t at = kh_virt_to_phys(kh, p);
    boot_add(at, at + size);
    track(p, (size_t)size);
    check_boot();
}

static void boot_reserved(uint64_t base, uint64_t size)
{
    if (size && base >= boot_lo && base <= boot_hi && size <= boot_hi - base)
        boot_add(base, base + size);
    check_boot();
}

/* Before a legal memblock_free / memblock_free_late: the boot blocks it
 * covers go (checked intact while they still may be read). */
static void boot_freeing(const void *p, uint64_t size)
{
    if (!p || !size)
        return;
    uint64_t base = kh_virt_to_phys(kh, p), end = base + size;
    for (size_t i = 0; i < nblocks;) {
        uint64_t sb = kh_virt_to_phys(kh, (const void *)blocks[i].start);
        uint64_t se = sb + extent(blocks[i].size);
        if (se <= base || end <= sb || sb >= boot_hi) {
            i++;
            continue;
        }
        if (base <= sb && se <= end)
            verify(&blocks[i], "before memblock_free");
        drop(&blocks[i]);
    }
}

/* After it: the range is no longer reserved. */
static void boot_freed(const void *p, uint64_t size)
{
    if (!p || !size)
        return;
    uint64_t base = kh_virt_to_phys(kh, p);
    boot_remove(base, base + size);
    check_boot();
}

/* ---- around each operation ---- */

static void begin_op(int line, const char *name, const char *text)
{
    op_line = line;
    op_name = name;
    op_text = text;
    injected_before = kh_fault_injected(kh);
}

/* The allocator's reports, judged as the fuzzer does; then its own
 * validation of every subsystem. */
static void end_op(bool misuse, bool periodic)
{
    const struct kh_report *r;
    bool detected = false;
    for (unsigned i = 0; (r = kh_report_get(kh, i)) != NULL; i++) {
        if (kh_report_is_detection(r))
            detected = true;
        if (r->severity != KH_SEV_BUG || kh_report_is_caller_livelock(r))
            continue;
        if (!misuse || policy == MISUSE_RUN)
            finding(r->reason, r->subsystem, "the allocator reported:\n%s", r->text);
    }
    if (misuse && policy == MISUSE_EXPECT && !detected)
        finding("misuse not detected", "allocator", "the allocator accepted `%s` silently", op_text);
    if (periodic)
        verify_all();
    static struct kh_violations viol;
    viol.n = 0;
    if (kh_validate(kh, &viol)) {
        char kind[96];
        snprintf(kind, sizeof(kind), "invariant %s", viol.v[0].invariant);
        finding(kind, viol.v[0].subsystem, "%s: %s (%u violation%s in all)", viol.v[0].invariant,
                viol.v[0].detail, viol.n, viol.n == 1 ? "" : "s");
    }
    kh_reports_clear(kh);
}

#ifdef REPRO_ASAN
/* An AddressSanitizer error ends the program inside an operation: name it
 * as the fuzz tools do, "<error> in <operation> (<first allocator frame>)"
 * (or AddressSanitizer when no allocator code is on the stack), before
 * ASan's report. No allocation here: ASan is reporting. */
static void on_asan_report(const char *report)
{
    char kind[64] = "?", where[128] = "AddressSanitizer";
    const char *e = strstr(report, "ERROR: AddressSanitizer: ");
    if (e)
        sscanf(e + strlen("ERROR: AddressSanitizer: "), "%63s", kind);
    for (const char *l = e ? e : report; l && *l;) {
        const char *eol = strchr(l, '\n'), *in = strstr(l, " in ");
        const char *p = l + strspn(l, " ");
        char fn[128], file[512];
        if (*p == '#' && in && (!eol || in < eol) && sscanf(in, " in %127s %511s", fn, file) == 2 &&
            (!strncmp(file, "allocator/", 10) || strstr(file, "/allocator/"))) {
            snprintf(where, sizeof(where), "%s", fn);
            break;
        }
        l = eol ? eol + 1 : NULL;
    }
    printf("finding: %s in %s (%s)\n  line %d: %s\n", kind, op_name, where, op_line, op_text);
    fflush(stdout);
}
#endif

static void repro_ctor(void *obj) { memset(obj, 0x3c, 1); }

static void start(struct kh_config *cfg, enum misuse_policy p, size_t max_size, size_t max_cache_size)
{
    kh_config_page_shift = cfg->page_shift;
    kmalloc_max_size = max_size;
    kmalloc_max_cache_size = max_cache_size;
    slub_debug_on = cfg->slub_debug[0] != '\0';
    const char *err = NULL;
    kh = kh_create(cfg, &err);
    if (!kh) {
        fprintf(stderr, "cannot create the allocator: %s\n", err ? err : "?");
        exit(2);
    }
    policy = p;
#ifdef REPRO_ASAN
    __asan_set_error_report_callback(on_asan_report);
#endif
    kh_set_report_mode(kh, KH_REPORT_RECORD);
    kh_set_report_quiet(kh, true);
}

static int finish(void)
{
    verify_all();
    /* the executor's end-of-run check, its own code (fuzz/oracle_proc.c,
     * appended to this runtime) */
    char why[512];
    if (!oracle_proc_check(kh, why, sizeof(why)))
        finding("/proc text wrong", "oracle", "%s", why);
    printf("no finding: %s\n", "the trace ran without a finding on this build");
    kh_destroy(kh);
    free(blocks);
    return 0;
}
/* ---- end of the reproducer runtime ---- */
