/* kmalloc.c - the kmalloc family on top of the kmalloc-N caches and the
 * page allocator.
 *
 * Size classes follow SPEC section 1 per design: SLUB (6.1) has caches up to
 * 2 * PAGE_SIZE and sends larger requests to the page allocator, SLOB's
 * classes stop at PAGE_SIZE, classic SLAB has caches up to 4 MiB (32 MiB
 * cap) and no page passthrough. The 96 and 192 caches exist only while
 * KMALLOC_MIN_SIZE allows them; an architecture with a larger
 * ARCH_KMALLOC_MINALIGN raises KMALLOC_MIN_SIZE.
 *
 * Cache types (6.1 creation order): kmalloc-N, kmalloc-cg-N (__GFP_ACCOUNT),
 * kmalloc-rcl-N (__GFP_RECLAIMABLE), dma-kmalloc-N (__GFP_DMA). The
 * SLAB/SLOB (4.x) profiles have only kmalloc-N and dma-kmalloc-N.
 *
 * Fast path: a table maps sizes up to 192 to the cache (kmalloc-96 and
 * kmalloc-192 make these irregular), fls() does the rest; then the
 * cache's per-CPU freelist, inline (kh_slab_alloc_fast / kh_slab_free_fast
 * in slab_internal.h). Pointers given to kfree/ksize/krealloc are
 * resolved through struct page (PG_slab -> struct slab, PG_large_kmalloc
 * on a block head) and checked against the slab geometry before anything
 * is touched.
 *
 * Report reasons (class KH_R_KFREE unless noted): "Not a kmalloc
 * allocation" (warning), "invalid free" (interior pointer), "double free"
 * (freed large allocation), "Object already free" (KH_R_SLAB, slab object),
 * "kmalloc size above KMALLOC_MAX_SIZE" (KH_R_WARN).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "slab_internal.h"

enum { KM_NORMAL, KM_CGROUP, KM_RECLAIM, KM_DMA };

static unsigned fls_l(unsigned long v) { return v ? 64u - (unsigned)__builtin_clzl(v) : 0; }

/* fls of a non-zero value for the hot path. x86's BSR leaves its
 * destination unchanged for a zero input, so the CPU treats the old value
 * of that register as an input: in a kmalloc/kfree loop that chained each
 * kmalloc to the end of the previous kfree (+3 ns per pair on Zen 3).
 * Starting from a zeroed register breaks the chain. */
static inline unsigned fls_nonzero(unsigned long v)
{
#if defined(__x86_64__) && !defined(__LZCNT__)
    unsigned long r = 0;
    __asm__("bsr %1, %0" : "+r"(r) : "rm"(v));
    return (unsigned)r + 1;
#else
    return 64u - (unsigned)__builtin_clzl(v);
#endif
}

/* ---- limits ---- */

static void set_limits(struct kh *kh, struct kh_slab_state *st)
{
    unsigned ps = kh->page_shift, mo = kh->max_order;
    switch (kh->cfg.slab) {
    case KH_SLAB_SLAB:
        st->shift_high = mo + ps - 1 < 25 ? mo + ps - 1 : 25;
        st->shift_max = st->shift_high;
        st->shift_low = 5;
        break;
    case KH_SLAB_SLOB:
        st->shift_high = ps;
        st->shift_max = mo + ps - 1;
        st->shift_low = 3;
        break;
    default:
        st->shift_high = ps + 1;
        st->shift_max = mo + ps - 1;
        st->shift_low = 3;
        break;
    }
    /* An arch whose DMA alignment is above 8 sets KMALLOC_MIN_SIZE to it and
     * derives KMALLOC_SHIFT_LOW from it, for every allocator: SLAB's 32-byte
     * minimum then drops to 16 with a 16-byte alignment (SPEC 1). */
    if (kh->cfg.arch_kmalloc_minalign > 8)
        st->shift_low = fls_l(kh->cfg.arch_kmalloc_minalign) - 1;
    st->min_size = (size_t)1 << st->shift_low;
    st->max_cache_size = (size_t)1 << st->shift_high;
    st->max_size = (size_t)1 << st->shift_max;
}

size_t kh_kmalloc_max_size(const struct kh *kh) { return kh->slab->max_size; }
size_t kh_kmalloc_max_cache_size(const struct kh *kh) { return kh->slab->max_cache_size; }
size_t kh_kmalloc_min_size(const struct kh *kh) { return kh->slab->min_size; }
unsigned kh_kmalloc_shift_low(const struct kh *kh) { return fls_l(kh->slab->min_size) - 1; }
unsigned kh_kmalloc_shift_high(const struct kh *kh) { return kh->slab->shift_high; }
unsigned kh_kmalloc_shift_max(const struct kh *kh) { return kh->slab->shift_max; }

/* Last size of the kernel's __kmalloc_index() table, which kmalloc_index()
 * BUG()s beyond: 2 MiB (index 21) in 6.1, 64 MiB (26) in the 4.x era. The
 * table outruns the caches: kmalloc_index(16384) is 14 with no cache 14. */
static size_t index_table_end(const struct kh *kh)
{
    return kh->cfg.slab == KH_SLAB_SLUB ? (size_t)2 << 20 : (size_t)64 << 20;
}

int kh_kmalloc_index(const struct kh *kh, size_t size)
{
    const struct kh_slab_state *st = kh->slab;
    if (size == 0)
        return 0;
    if (size > st->max_cache_size)
        return size <= index_table_end(kh) ? (int)fls_l(size - 1) : -1;
    if (size <= st->min_size)
        return (int)fls_l(st->min_size) - 1;
    if (st->min_size <= 32 && size > 64 && size <= 96)
        return 1;
#ifdef KH_PLANT_CLASS_192
    if (st->min_size <= 64 && size > 128 && size < 192)  /* planted bug: 192 misses its class */
#else
    if (st->min_size <= 64 && size > 128 && size <= 192)
#endif
        return 2;
    return (int)fls_l(size - 1);
}

size_t kh_kmalloc_index_size(const struct kh *kh, int index)
{
    const struct kh_slab_state *st = kh->slab;
    if (index == 1)
        return st->min_size <= 32 ? 96 : 0;
    if (index == 2)
        return st->min_size <= 64 ? 192 : 0;
    if (index < (int)kh_kmalloc_shift_low(kh) || index > (int)st->shift_high)
        return 0;
    return (size_t)1 << index;
}

/* ---- cache creation ---- */

static void size_name(char *buf, size_t cap, size_t size)
{
    if (size >= (1u << 20) && !(size & ((1u << 20) - 1)))
        snprintf(buf, cap, "%zuM", size >> 20);
    else if (size >= 1024 && !(size & 1023))
        snprintf(buf, cap, "%zuk", size >> 10);
    else
        snprintf(buf, cap, "%zu", size);
}

static const char *create_one(struct kh *kh, int type, int index)
{
    static const char *const prefix[] = { "kmalloc-", "kmalloc-cg-", "kmalloc-rcl-", "dma-kmalloc-" };
    static const slab_flags_t tflags[] = { 0, SLAB_ACCOUNT, SLAB_RECLAIM_ACCOUNT, SLAB_CACHE_DMA };
    size_t size = kh_kmalloc_index_size(kh, index);
    char num[32], name[64];
    size_name(num, sizeof(num), size);
    snprintf(name, sizeof(name), "%s%s", prefix[type], num);
    unsigned align = kh->cfg.arch_kmalloc_minalign;
    /* A power-of-two class is aligned to its size; 6.12 also aligns 96 and
     * 192 to the largest power of two dividing them (SPEC 0b, 10). */
    size_t natural = kh_kernel_traits(kh)->kmalloc_align_pow2_divisor ? size & -size
                     : !(size & (size - 1)) ? size : 0;
    if (natural > align)
        align = (unsigned)natural;
    struct kmem_cache *s = kh_cache_create_internal(kh, name, (unsigned)size, align, tflags[type],
                                                    NULL, true, -1);
    if (!s)
        return "cannot create the kmalloc caches";
    kh->slab->kmalloc[type][index] = s;
    return NULL;
}

const char *kh_kmalloc_init(struct kh *kh)
{
    struct kh_slab_state *st = kh->slab;
    set_limits(kh, st);
    bool v61 = kh->cfg.slab == KH_SLAB_SLUB;
    int types[] = { KM_NORMAL, KM_CGROUP, KM_RECLAIM, KM_DMA };
    int low = (int)kh_kmalloc_shift_low(kh);
    for (unsigned t = 0; t < 4; t++) {
        int type = types[t];
        if (!v61 && (type == KM_CGROUP || type == KM_RECLAIM))
            continue;
        for (int i = low; i <= (int)st->shift_high; i++) {
            const char *why = st->kmalloc[type][i] ? NULL : create_one(kh, type, i);
            if (!why && st->min_size <= 32 && i == 6 && !st->kmalloc[type][1])
                why = create_one(kh, type, 1);
            if (!why && st->min_size <= 64 && i == 7 && !st->kmalloc[type][2])
                why = create_one(kh, type, 2);
            if (why)
                return why;
        }
    }
    for (size_t i = 0; i < sizeof(st->size_index); i++) {
        st->size_index[i] = (uint8_t)kh_kmalloc_index(kh, i * 8 + 8);
        st->size_cache[i] = st->kmalloc[KM_NORMAL][st->size_index[i]];
    }
    return NULL;
}

static inline int kmalloc_type(const struct kh_slab_state *st, gfp_t gfp)
{
    if (__builtin_expect(!(gfp & (__GFP_DMA | __GFP_RECLAIMABLE | __GFP_ACCOUNT)), 1))
        return KM_NORMAL;
    if (gfp & __GFP_DMA)
        return KM_DMA;
#ifdef KH_PLANT_KMALLOC_TYPE
    int t = (gfp & __GFP_ACCOUNT) ? KM_RECLAIM : KM_CGROUP;  /* planted bug: the -rcl and -cg twins swapped */
#else
    int t = (gfp & __GFP_RECLAIMABLE) ? KM_RECLAIM : KM_CGROUP;
#endif
    return st->kmalloc[t][st->shift_high] ? t : KM_NORMAL;
}

static inline struct kmem_cache *cache_for(const struct kh_slab_state *st, size_t size, gfp_t gfp)
{
    if (__builtin_expect(!(gfp & (__GFP_DMA | __GFP_RECLAIMABLE | __GFP_ACCOUNT)), 1))
        return size <= 192 ? st->size_cache[(size - 1) >> 3] : st->kmalloc[KM_NORMAL][fls_nonzero(size - 1)];
    unsigned idx = size <= 192 ? st->size_index[(size - 1) >> 3] : fls_nonzero(size - 1);
    return st->kmalloc[kmalloc_type(st, gfp)][idx];
}

struct kmem_cache *kh_kmalloc_cache(struct kh *kh, size_t size, gfp_t gfp)
{
    if (size == 0 || size > kh->slab->max_cache_size)
        return NULL;
    return cache_for(kh->slab, size, gfp);
}

/* ---- allocation ---- */

static __attribute__((noinline)) void *kmalloc_large(struct kh *kh, size_t size, gfp_t gfp)
{
    struct kh_slab_state *st = kh->slab;
    if (size > st->max_size) {
        if (!(gfp & __GFP_NOWARN))
            kh_report(kh, KH_SEV_WARN, KH_R_WARN, "kmalloc", "kmalloc size above KMALLOC_MAX_SIZE",
                      0, "WARNING: CPU: %u PID: 1 at mm/slab_common.c: kmalloc: size %zu > "
                      "KMALLOC_MAX_SIZE %zu\n", kh->current_cpu, size, st->max_size);
        return NULL;
    }
    /* failslab covers kmalloc at every size here (kmem.h: KH_FAULT_SLAB is
     * "kmem_cache_alloc and kmalloc"), so fault loops at the kmalloc level
     * reach large requests too; the kernel only fails the slab path. */
    if (__builtin_expect(kh->fault.cfg.mode != KH_FAULT_OFF, 0) &&
        kh_should_fail(kh, KH_FAULT_SLAB, gfp, 0))
        return NULL;
    gfp = kh_slab_fix_gfp(kh, gfp);
    unsigned order = (unsigned)kh_get_order(kh, size);
    struct page *page = kh_alloc_pages(kh, gfp | __GFP_COMP, order);
    if (!page)
        return NULL;
    page->flags |= PG_large_kmalloc;
    void *p = kh_page_address(kh, page);
    kh_poison(p, kh->page_size << order);
    kh_unpoison(p, size);
    return p;
}

static inline __attribute__((always_inline)) void *do_kmalloc(struct kh *kh, size_t size, gfp_t gfp,
                                                              uintptr_t caller)
{
    struct kh_slab_state *st = kh->slab;
#ifdef KH_PLANT_IGNORE_GFP_ZERO
    gfp &= ~__GFP_ZERO;  /* planted bug: kzalloc/kcalloc/__GFP_ZERO not zeroed */
#endif
    if (__builtin_expect(size - 1 < st->max_cache_size, 1))
        return kh_slab_alloc_fast(kh, cache_for(st, size, gfp), gfp, size, caller);
    if (size == 0)
#ifdef KH_PLANT_ZERO_SIZE_NULL
        return NULL;  /* planted bug: kmalloc(0) is NULL, not ZERO_SIZE_PTR */
#else
        return ZERO_SIZE_PTR;
#endif
    return kmalloc_large(kh, size, gfp);
}

void *kh_kmalloc(struct kh *kh, size_t size, gfp_t gfp)
{
    return do_kmalloc(kh, size, gfp, (uintptr_t)__builtin_return_address(0));
}
void *kh_kzalloc(struct kh *kh, size_t size, gfp_t gfp)
{
    return do_kmalloc(kh, size, gfp | __GFP_ZERO, (uintptr_t)__builtin_return_address(0));
}
void *kh_kmalloc_node(struct kh *kh, size_t size, gfp_t gfp, int node)
{
    (void)node;
    return do_kmalloc(kh, size, gfp, (uintptr_t)__builtin_return_address(0));
}
void *kh_kzalloc_node(struct kh *kh, size_t size, gfp_t gfp, int node)
{
    (void)node;
    return do_kmalloc(kh, size, gfp | __GFP_ZERO, (uintptr_t)__builtin_return_address(0));
}
void *kh_kmalloc_array(struct kh *kh, size_t n, size_t size, gfp_t gfp)
{
    size_t bytes;
    if (__builtin_mul_overflow(n, size, &bytes))
        return NULL;
    return do_kmalloc(kh, bytes, gfp, (uintptr_t)__builtin_return_address(0));
}
void *kh_kcalloc(struct kh *kh, size_t n, size_t size, gfp_t gfp)
{
    size_t bytes;
    if (__builtin_mul_overflow(n, size, &bytes))
        return NULL;
    return do_kmalloc(kh, bytes, gfp | __GFP_ZERO, (uintptr_t)__builtin_return_address(0));
}

/* ---- pointer resolution ---- */

struct kptr {
    struct slab *slab;       /* slab object */
    struct kmem_cache *s;
    unsigned idx;
    struct page *head;       /* large allocation */
    unsigned order;
};

static void report_not_kmalloc(struct kh *kh, const void *p, const char *who)
{
    kh_report(kh, KH_SEV_WARN, KH_R_KFREE, "kmalloc", "Not a kmalloc allocation", (uintptr_t)p,
              "WARNING: CPU: %u PID: 1 at mm/slab_common.c: %s\n"
              "%s: %p: Not a kmalloc allocation\n", kh->current_cpu, who, who, p);
}

/* Resolves p for kfree/ksize/krealloc. Returns false after reporting when
 * p is not the start of a live kmalloc allocation. */
static bool resolve(struct kh *kh, const void *p, const char *who, uintptr_t caller, struct kptr *k)
{
    memset(k, 0, sizeof(*k));
    struct slab *slab = kh_slab_of(kh, p);
    if (slab) {
        if (!kh_slab_check_free_ptr(kh, p, who, caller))
            return false;
        k->slab = slab;
        k->s = slab->cache;
        k->idx = kh_obj_index(k->s, slab, p);
        return true;
    }
    if (!kh_addr_in_arena(kh, p)) {
        report_not_kmalloc(kh, p, who);
        return false;
    }
    unsigned long pfn = ((uintptr_t)p - (uintptr_t)kh->arena) >> kh->page_shift;
    unsigned long head = kh_block_head(kh, pfn);
    struct page *hp = head == KH_NO_PFN ? NULL : &kh->pages[head];
    if (hp && (hp->flags & PG_large_kmalloc) && (hp->flags & PG_head)) {
        if (p != kh_pfn_to_virt(kh, head)) {
            kh_report(kh, KH_SEV_BUG, KH_R_KFREE, "kmalloc", "invalid free", (uintptr_t)p,
                      "BUG: invalid-free in %s\nAddress %p is inside the large kmalloc "
                      "allocation at %p (order %u)\n", who, p, kh_pfn_to_virt(kh, head), hp->order);
            return false;
        }
        k->head = hp;
        k->order = hp->order;
        return true;
    }
    if (hp && (hp->flags & PG_buddy) && (kh->pages[pfn].flags & PG_touched)) {
        kh_report(kh, KH_SEV_BUG, KH_R_KFREE, "kmalloc", "double free", (uintptr_t)p,
                  "BUG: double-free in %s\nAddress %p lies in free pages: a freed large "
                  "kmalloc allocation (or pages never from kmalloc)\n", who, p);
        return false;
    }
    report_not_kmalloc(kh, p, who);
    return false;
}

static size_t usable_size(const struct kh *kh, const struct kptr *k)
{
    if (k->head)
#ifdef KH_PLANT_LARGE_KSIZE_4K
        return (size_t)4096 << k->order;   /* planted bug: PAGE_SIZE hard-coded as 4 KiB */
#else
        return kh->page_size << k->order;
#endif
    if (kh->cfg.slab == KH_SLAB_SLOB) {
        unsigned req = kh_slab_req_size(k->s, k->slab, k->idx);
        if (req < kh->page_size - kh->cfg.arch_kmalloc_minalign)
            return (req + 1u) & ~1u;   /* SLOB_UNIT is 2 bytes */
    }
    return kh_slab_ksize(k->s);
}

static void free_resolved(struct kh *kh, const void *p, struct kptr *k, uintptr_t caller)
{
    if (k->slab) {
        kh_slab_free(kh, k->s, k->slab, (void *)p, caller);
        return;
    }
    k->head->flags &= ~(uint32_t)PG_large_kmalloc;
    kh___free_pages(kh, k->head, k->order);
}

static __attribute__((noinline)) void kfree_slow(struct kh *kh, const void *p, uintptr_t caller)
{
    struct slab *slab = kh_slab_of(kh, p);
    if (slab) {
        if (kh_slab_check_free_ptr(kh, p, "kfree", caller))
            kh_slab_free(kh, slab->cache, slab, (void *)p, caller);
        return;
    }
    struct kptr k;
    if (resolve(kh, p, "kfree", caller, &k))
        free_resolved(kh, p, &k, caller);
}

static inline __attribute__((always_inline)) void do_kfree(struct kh *kh, const void *p, uintptr_t caller)
{
    if (ZERO_OR_NULL_PTR(p))
        return;
    if (__builtin_expect(kh_slab_free_fast(kh, p, NULL), 1))
        return;
    kfree_slow(kh, p, caller);
}

void kh_kfree(struct kh *kh, const void *p) { do_kfree(kh, p, (uintptr_t)__builtin_return_address(0)); }

/* ksize() hands the caller the whole object (6.1 skip_orig_size_check):
 * under slub_debug's kmalloc red zone the remembered request becomes the
 * object size, so every byte ksize returned may be used, and cleared by
 * kfree_sensitive, without tripping the red-zone check at free. */
static void give_whole_object(struct kh *kh, const struct kptr *k, const void *p)
{
    if (!k->slab || !k->slab->req || kh->cfg.slab == KH_SLAB_SLOB ||
        !(k->s->flags & KH_CACHE_KMALLOC_RZ))
        return;
    unsigned prev = k->slab->req[k->idx];
    k->slab->req[k->idx] = k->s->object_size;
    kh_debug_set_req(kh, k->s, k->slab, (void *)p, prev, k->s->object_size);
}

size_t kh_ksize(struct kh *kh, const void *p)
{
    if (ZERO_OR_NULL_PTR(p))
        return 0;
    struct kptr k;
    if (!resolve(kh, p, "ksize", (uintptr_t)__builtin_return_address(0), &k))
        return 0;
    give_whole_object(kh, &k, p);
    return usable_size(kh, &k);
}

static void do_kfree_sensitive(struct kh *kh, const void *p, uintptr_t caller)
{
    if (ZERO_OR_NULL_PTR(p))
        return;
    struct kptr k;
    if (!resolve(kh, p, "kfree_sensitive", caller, &k))
        return;
    give_whole_object(kh, &k, p);   /* it clears what ksize() returns */
    kh_note_clear(kh, (void *)p, usable_size(kh, &k));
    kh_meta_fill((void *)p, 0, usable_size(kh, &k));
    free_resolved(kh, p, &k, caller);
}

void kh_kfree_sensitive(struct kh *kh, const void *p)
{
    do_kfree_sensitive(kh, p, (uintptr_t)__builtin_return_address(0));
}

/* As 6.1 (observed in the kernel oracle): above the caches, whole pages of
 * get_order() even past KMALLOC_MAX_SIZE, where the shift wraps to 0 for
 * sizes above 2^63; SIZE_MAX alone saturates. 6.12 returns a size above
 * KMALLOC_MAX_SIZE unchanged (SPEC 1, 10). */
size_t kh_kmalloc_size_roundup(struct kh *kh, size_t size)
{
    struct kh_slab_state *st = kh->slab;
    if (size == 0)
        return 0;
    if (size == SIZE_MAX)
        return SIZE_MAX;
    if (size <= st->max_cache_size)
        return kh_kmalloc_index_size(kh, kh_kmalloc_index(kh, size));
    if (size > st->max_size && kh_kernel_traits(kh)->roundup_keeps_oversize)
        return size;
    return kh->page_size << kh_get_order(kh, size);
}

/* ---- krealloc ---- */

/* Resizes in place within ks: zeroing and red zone per 6.12's
 * __do_krealloc, ASan view moved to the new size. */
static void resize_in_place(struct kh *kh, void *p, struct kptr *k, size_t ks, size_t new_size,
                            gfp_t gfp)
{
    /* The kernel knows the old request only where it keeps orig_size (the
     * kmalloc red zone of slub_debug); without it, it zeroes from new_size
     * to ksize, growing or not (observed on 6.1 and 6.12, SPEC 10). The
     * request this file tracks for ASan's view does not count. */
    size_t old = k->slab && k->slab->req && (k->s->flags & KH_CACHE_KMALLOC_RZ)
                     ? kh_slab_req_size(k->s, k->slab, k->idx) : 0;
    if ((gfp & __GFP_ZERO) && kh_kernel_traits(kh)->krealloc_zeroes_spare) {
        size_t from = old && old < new_size ? old : new_size;
        size_t to = old && old < new_size ? new_size : ks;
#ifdef KH_PLANT_KREALLOC_SPARE
        from = (from + 7) & ~(size_t)7;  /* planted bug: zeroing starts at the next word, not the new size */
        if (from > to)
            from = to;
#endif
        kh_note_clear(kh, (char *)p + from, to - from);
        kh_meta_fill((char *)p + from, 0, to - from);
    }
    if (k->slab) {
        /* SLOB's size header is what ksize reads, and krealloc in place
         * leaves it alone (4.x __do_krealloc): only the ASan view moves. */
        if (k->slab->req && kh->cfg.slab != KH_SLAB_SLOB) {
            unsigned prev = k->slab->req[k->idx];
            k->slab->req[k->idx] = (unsigned)new_size;
#ifndef KH_PLANT_KREALLOC_REDZONE  /* planted bug: krealloc in place leaves the kmalloc red zone and orig_size as they were */
            if (k->s->flags & KH_CACHE_KMALLOC_RZ)
                kh_debug_set_req(kh, k->s, k->slab, p, prev, (unsigned)new_size);
#else
            (void)prev;
#endif
        }
        kh_slab_asan_alloc(k->s, p, new_size);
    } else {
        kh_poison(p, kh->page_size << k->order);
        kh_unpoison(p, new_size);
    }
}

static void *do_krealloc(struct kh *kh, const void *p, size_t new_size, gfp_t gfp, uintptr_t caller)
{
    if (ZERO_OR_NULL_PTR(p))   /* krealloc takes every address up to ZERO_SIZE_PTR as it */
        return do_kmalloc(kh, new_size, gfp, caller);
    struct kptr k;
    if (!resolve(kh, p, "krealloc", caller, &k))
        return NULL;
    if (new_size == 0) {
        free_resolved(kh, p, &k, caller);
        return ZERO_SIZE_PTR;
    }
    size_t ks = usable_size(kh, &k);
    if (new_size <= ks) {
#ifdef KH_PLANT_KREALLOC_SHRINK
        if (new_size > 1)  /* planted bug: shrinking loses the upper half of the data */
            memset((char *)p + new_size / 2, 0, new_size - new_size / 2);
#endif
        resize_in_place(kh, (void *)p, &k, ks, new_size, gfp);
        return (void *)p;
    }
    void *n = do_kmalloc(kh, new_size, gfp, caller);
    if (!n)
        return NULL;   /* the old object stays valid */
    /* The request size where it is kept up to date; SLOB's size header is
     * not moved by an in-place resize (see resize_in_place), so 4.x's copy
     * of ksize bytes is the one that keeps what the caller may have used. */
    size_t copy = (k.slab && k.slab->req && kh->cfg.slab != KH_SLAB_SLOB)
                      ? kh_slab_req_size(k.s, k.slab, k.idx) : ks;
#ifdef KH_PLANT_KREALLOC_OVERREAD
    copy = new_size;   /* planted bug: copies the new size, reading past the old object */
#endif
    kh_note_copy(kh, n, p, copy);
    kh_meta_copy(n, p, copy);
    free_resolved(kh, p, &k, caller);
    return n;
}

void *kh_krealloc(struct kh *kh, const void *p, size_t new_size, gfp_t gfp)
{
    return do_krealloc(kh, p, new_size, gfp, (uintptr_t)__builtin_return_address(0));
}

void *kh_krealloc_array(struct kh *kh, void *p, size_t n, size_t size, gfp_t gfp)
{
    size_t bytes;
    if (__builtin_mul_overflow(n, size, &bytes))
        return NULL;
    return do_krealloc(kh, p, bytes, gfp, (uintptr_t)__builtin_return_address(0));
}

void *kh_kmemdup(struct kh *kh, const void *src, size_t len, gfp_t gfp)
{
    void *p = do_kmalloc(kh, len, gfp, (uintptr_t)__builtin_return_address(0));
    if (p && !ZERO_OR_NULL_PTR(p)) {
        kh_note_copy(kh, p, src, len);   /* the caller's data: the executor bounds it */
        memcpy(p, src, len);
    }
    return p;
}

char *kh_kstrdup(struct kh *kh, const char *s, gfp_t gfp)
{
    if (!s)
        return NULL;
    size_t len = strlen(s) + 1;
    char *p = do_kmalloc(kh, len, gfp, (uintptr_t)__builtin_return_address(0));
    if (p)
        memcpy(p, s, len);
    return p;
}

/* ---- with the caller's address (kernel_names.c) ---- */

void *kh_kmalloc_caller(struct kh *kh, size_t size, gfp_t gfp, uintptr_t caller)
{
    return do_kmalloc(kh, size, gfp, caller);
}
void *kh_krealloc_caller(struct kh *kh, const void *p, size_t new_size, gfp_t gfp, uintptr_t caller)
{
    return do_krealloc(kh, p, new_size, gfp, caller);
}
void kh_kfree_caller(struct kh *kh, const void *p, uintptr_t caller) { do_kfree(kh, p, caller); }
void kh_kfree_sensitive_caller(struct kh *kh, const void *p, uintptr_t caller)
{
    do_kfree_sensitive(kh, p, caller);
}
