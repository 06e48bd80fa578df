/* slab_common.c - the design-independent part of the slab layer.
 *
 * Like mm/slab_common.c this holds the cache chain, kmem_cache_create and
 * kmem_cache_destroy and the alignment rule. It also holds what both
 * designs share here: slab creation and release, the object allocation
 * bitmap (one bit per slot, so a double free or a free of a never-allocated
 * slot is caught before any list is touched), pointer validation, ASan
 * poisoning and the quarantine. Around it: the invariant checker
 * (slab_validate.c), introspection (slab_introspect.c) and /proc/slabinfo
 * (slabinfo.c).
 *
 * The design (SLUB or classic SLAB) is an ops table chosen from
 * kh->cfg.slab; it decides where free objects wait between allocations,
 * and this layer asks it (never which design it is) whatever differs
 * between them: the inline fast path, slabinfo's counts, free chains.
 *
 * Caches that kmem_cache_destroy frees are kept on a "dead" list until
 * reset, so a second destroy, or a use after destroy, is detected by a
 * state field instead of touching freed host memory.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "introspect.h"
#include "slab_internal.h"

#define SUBSYS "slab"

/* ---- unchecked metadata access ---- */

#ifdef KH_ASAN
/* Outside ASan's checks, a machine word at a time once aligned; the stores
 * and loads are volatile so that the compiler cannot turn a loop back into
 * a (checked) libc call. */
#define KH_UNCHECKED KH_NO_COVERAGE __attribute__((no_sanitize("address")))

KH_UNCHECKED void kh_meta_fill(void *dst, int c, size_t n)
{
    unsigned char *d = dst;
    uint64_t word = 0x0101010101010101ull * (unsigned char)c;
    for (; n && ((uintptr_t)d & 7); n--)
        *(volatile unsigned char *)d++ = (unsigned char)c;
    for (; n >= 8; n -= 8, d += 8)
        *(volatile uint64_t *)d = word;
    for (; n; n--)
        *(volatile unsigned char *)d++ = (unsigned char)c;
}
KH_UNCHECKED void kh_meta_copy(void *dst, const void *src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;
    if ((((uintptr_t)d ^ (uintptr_t)s) & 7) == 0) {
        for (; n && ((uintptr_t)d & 7); n--)
            *(volatile unsigned char *)d++ = *(const volatile unsigned char *)s++;
        for (; n >= 8; n -= 8, d += 8, s += 8)
            *(volatile uint64_t *)d = *(const volatile uint64_t *)s;
    }
    for (; n; n--)
        *(volatile unsigned char *)d++ = *(const volatile unsigned char *)s++;
}
KH_UNCHECKED const unsigned char *kh_meta_find_not(const void *p, int c, size_t n)
{
    const unsigned char *s = p;
    uint64_t word = 0x0101010101010101ull * (unsigned char)c;
    for (; n && ((uintptr_t)s & 7); n--, s++)
        if (*(const volatile unsigned char *)s != (unsigned char)c)
            return s;
    for (; n >= 8 && *(const volatile uint64_t *)s == word; n -= 8)
        s += 8;
    for (; n; n--, s++)   /* the tail, or the word that differs */
        if (*(const volatile unsigned char *)s != (unsigned char)c)
            return s;
    return NULL;
}
#undef KH_UNCHECKED
__attribute__((no_sanitize("address"))) void *kh_get_fp(const struct kmem_cache *s, const void *obj)
{
    return *(void *const volatile *)((const unsigned char *)obj + s->offset);
}
__attribute__((no_sanitize("address"))) void kh_set_fp(const struct kmem_cache *s, void *obj, void *fp)
{
    *(void *volatile *)((unsigned char *)obj + s->offset) = fp;
}
#else
void kh_meta_fill(void *dst, int c, size_t n) { memset(dst, c, n); }
void kh_meta_copy(void *dst, const void *src, size_t n) { memcpy(dst, src, n); }
KH_NO_COVERAGE const unsigned char *kh_meta_find_not(const void *p, int c, size_t n)
{
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++)
        if (s[i] != (unsigned char)c)
            return s + i;
    return NULL;
}
#endif

/* ---- lists ---- */

/* A list move is several stores, as the kernel's list_add and list_del
 * are: the preemption point half-way lets another task in, which only the
 * list's lock keeps out (preempt.h). */
void kh_slab_list_add(struct kh_slab_list *l, struct slab *slab, enum kh_slab_list_id id, bool tail)
{
    slab->list = id;
    if (tail) {
        struct slab *last = l->tail;
        slab->next = NULL;
        slab->prev = last;
        kh_preempt_point(slab->cache->kh, KH_PP_LIST_MOVE);
        if (last)
            last->next = slab;
        else
            l->head = slab;
        l->tail = slab;
    } else {
        struct slab *first = l->head;
        slab->prev = NULL;
        slab->next = first;
        kh_preempt_point(slab->cache->kh, KH_PP_LIST_MOVE);
        if (first)
            first->prev = slab;
        else
            l->tail = slab;
        l->head = slab;
    }
    l->nr++;
}

void kh_slab_list_del(struct kh_slab_list *l, struct slab *slab)
{
    if (slab->prev)
        slab->prev->next = slab->next;
    else
        l->head = slab->next;
    kh_preempt_point(slab->cache->kh, KH_PP_LIST_MOVE);
    if (slab->next)
        slab->next->prev = slab->prev;
    else
        l->tail = slab->prev;
    slab->next = slab->prev = NULL;
    slab->list = KH_SLAB_LIST_NONE;
    l->nr--;
}

/* ---- geometry ---- */

static unsigned align_up(unsigned v, unsigned a) { return (v + a - 1) / a * a; }

unsigned kh_calculate_alignment(const struct kh *kh, slab_flags_t flags, unsigned align,
                                unsigned size)
{
#ifdef KH_PLANT_HWCACHE_ALIGN
    if ((flags & SLAB_HWCACHE_ALIGN) && size <= kh->cfg.cache_line) {  /* planted bug: objects above a cache line lose SLAB_HWCACHE_ALIGN */
#else
    if (flags & SLAB_HWCACHE_ALIGN) {
#endif
        unsigned ralign = kh->cfg.cache_line;
        while (size <= ralign / 2)
            ralign /= 2;
        if (ralign > align)
            align = ralign;
    }
    if (align < ARCH_SLAB_MINALIGN)
        align = ARCH_SLAB_MINALIGN;
    return align_up(align, KH_PTR_SIZE);
}

bool kh_fp_outside(const struct kmem_cache *s) { return s->offset >= s->inuse; }

unsigned kh_debug_info_end(const struct kmem_cache *s)
{
    return kh_fp_outside(s) ? s->offset + KH_PTR_SIZE : s->inuse;
}

/* The slot layout of Linux 6.1's calculate_sizes(); 6.12 adds
 * kmem_cache_args' freeptr_offset, which keeps an RCU cache's free pointer
 * inside the object where nothing else moves it out (SPEC 10). */
void kh_slab_calculate_sizes(struct kmem_cache *s)
{
    slab_flags_t flags = s->flags;
    unsigned size = align_up(s->object_size, KH_PTR_SIZE);

    if ((flags & SLAB_POISON) && !(flags & SLAB_TYPESAFE_BY_RCU) && !s->ctor)
        s->flags |= __OBJECT_POISON;
    else
        s->flags &= ~__OBJECT_POISON;
    if ((flags & SLAB_RED_ZONE) && size == s->object_size)
        size += KH_PTR_SIZE;   /* room for the right red zone */
    s->inuse = size;
    bool rcu_inside = (flags & SLAB_TYPESAFE_BY_RCU) && s->freeptr_offset >= 0;
    if (((flags & SLAB_TYPESAFE_BY_RCU) && !rcu_inside) || (flags & SLAB_POISON) || s->ctor ||
        ((flags & SLAB_RED_ZONE) && s->object_size < KH_PTR_SIZE)) {
        /* the object's bytes must survive while free: pointer goes after */
        s->offset = size;
        size += KH_PTR_SIZE;
    } else if (rcu_inside) {
        s->offset = (unsigned)s->freeptr_offset;   /* the caller's spare word */
    } else {
        /* middle of the object, away from small overflows at either end */
        s->offset = (s->object_size / 2) / KH_PTR_SIZE * KH_PTR_SIZE;
    }
    if (flags & SLAB_STORE_USER) {
        size += 2 * KH_TRACK_SIZE;
        if (flags & SLAB_KMALLOC)
            size += sizeof(unsigned int);   /* original kmalloc size */
    }
    s->red_left_pad = 0;
    if (flags & SLAB_RED_ZONE) {
        size += KH_PTR_SIZE;
        s->red_left_pad = align_up(KH_PTR_SIZE, s->align);
        size += s->red_left_pad;
    }
    s->size = align_up(size, s->align);
    s->recip = ((1ull << 32) + s->size - 1) / s->size;
}

unsigned kh_slab_ksize(const struct kmem_cache *s)
{
    if (s->ops && s->ops->ksize)
        return s->ops->ksize(s);
    if (s->flags & (SLAB_RED_ZONE | SLAB_POISON))
        return s->object_size;
    if (s->flags & (SLAB_TYPESAFE_BY_RCU | SLAB_STORE_USER))
        return s->inuse;
    if (s->ctor)
        return s->inuse;   /* the free pointer follows the object */
    return s->size;
}

/* ---- slab creation and release ---- */

static slab_flags_t debug_flags_of(const struct kh *kh)
{
    slab_flags_t f = 0;
    for (const char *p = kh->cfg.slub_debug; *p; p++) {
        switch (*p) {
        case 'F': f |= SLAB_CONSISTENCY_CHECKS; break;
        case 'Z': f |= SLAB_RED_ZONE; break;
        case 'P': f |= SLAB_POISON; break;
        case 'U': f |= SLAB_STORE_USER; break;
        default: break;
        }
    }
    return f;
}

#define GFP_SLAB_BUG_MASK (__GFP_DMA32 | __GFP_HIGHMEM | ~___GFP_BITS_MASK)

/* kmalloc_fix_flags(): callers must not ask slab pages from HIGHMEM/DMA32. */
gfp_t kh_slab_fix_gfp(struct kh *kh, gfp_t gfp)
{
    if (!(gfp & GFP_SLAB_BUG_MASK))
        return gfp;
    gfp_t fixed = gfp & ~GFP_SLAB_BUG_MASK;
    char a[128], b[128];
    gfp_format(gfp, a, sizeof(a));
    gfp_format(fixed, b, sizeof(b));
    kh_report(kh, KH_SEV_WARN, KH_R_WARN, SUBSYS, "Unexpected gfp", 0,
              "Unexpected gfp: %#x (%s). Fixing up to gfp: %#x (%s). Fix your code!\n", gfp, a,
              fixed, b);
    return fixed;
}

static struct slab *slab_struct_new(const struct kmem_cache *s, unsigned objects)
{
    size_t words = (objects + 63) / 64;
    size_t idx_bytes = s->ops->index_freelist ? objects * sizeof(uint16_t) : 0;
    struct slab *slab = calloc(1, sizeof(*slab) + 2 * words * sizeof(uint64_t) + idx_bytes);
    if (!slab)
        return NULL;
    if (idx_bytes)
        slab->free_idx = (uint16_t *)(slab->map + 2 * words);
    if (s->track_req) {
        slab->req = calloc(objects, sizeof(uint32_t));
        if (!slab->req) {
            free(slab);
            return NULL;
        }
    }
    return slab;
}

static inline uint64_t *qmap(const struct slab *slab)
{
    return (uint64_t *)slab->map + (slab->objects + 63) / 64;
}
bool kh_slab_quarantined(const struct slab *slab, unsigned i)
{
    return (qmap(slab)[i >> 6] >> (i & 63)) & 1;
}

static void mark_pages(struct kh *kh, struct page *page, unsigned order, struct slab *slab)
{
    for (unsigned long i = 0; i < (1ul << order); i++) {
        if (slab)
            page[i].flags |= PG_slab;
        else
            page[i].flags &= ~(uint32_t)PG_slab;
        page[i].private = slab;
    }
    (void)kh;
}

/* Outside ASan's checks: the free pointers go into a slab that is poisoned
 * whole, one per slot, at offsets inside the slot (kh_set_fp, inlined). */
KH_NO_COVERAGE __attribute__((no_sanitize("address")))
static void build_freelist(struct kmem_cache *s, struct slab *slab)
{
    bool chain = !s->ops->index_freelist;
    /* An index-list design never reads the free pointer, but the debug
     * checks do: keep it NULL there. Without debug flags its slot may lie
     * inside a constructed object, so it is left alone. */
    bool clear_fp = !chain && (s->flags & SLAB_DEBUG_FLAGS);
    for (unsigned i = 0; i < slab->objects; i++) {
        void *obj = kh_obj_at(s, slab, i);
        if (s->ctor) {
            kh_unpoison(obj, s->object_size);
            s->ctor(obj);
            kh_poison(obj, s->object_size);
        }
        void **fp = (void **)((unsigned char *)obj + s->offset);
        if (chain)
            *fp = i + 1 < slab->objects ? kh_obj_at(s, slab, i + 1) : NULL;
        else if (clear_fp)
            *fp = NULL;
        if (slab->free_idx)
            slab->free_idx[i] = (uint16_t)i;
    }
    slab->active = 0;
    slab->freelist = chain && slab->objects ? kh_obj_at(s, slab, 0) : NULL;
}

unsigned kh_slab_capacity(const struct kh *kh, const struct kmem_cache *s, unsigned order,
                          unsigned colour_off)
{
    unsigned long bytes = kh->page_size << order;
    unsigned objects = colour_off < bytes ? (unsigned)((bytes - colour_off) / s->size) : 0;
    if (order == s->order && objects > s->objects)
        objects = s->objects;
    return objects;
}

struct slab *kh_slab_new(struct kh *kh, struct kmem_cache *s, gfp_t gfp, unsigned colour_off)
{
    gfp = kh_slab_fix_gfp(kh, gfp);
    gfp = (gfp & ~(__GFP_ZERO | GFP_ZONEMASK)) | s->alloc_gfp;
    unsigned order = s->order;
    struct page *page = NULL;
    if (order > s->min_order) {
        /* 6.1 allocate_slab: the preferred order may fail quietly and,
         * for a caller that may reclaim, neither reclaims nor touches
         * the reserves; the minimum order then gets the caller's flags */
        gfp_t first = (gfp | __GFP_NOWARN | __GFP_NORETRY) & ~__GFP_NOFAIL;
        if (first & __GFP_DIRECT_RECLAIM)
            first = (first | __GFP_NOMEMALLOC) & ~__GFP_RECLAIM;
        page = kh_alloc_pages(kh, first, order);
    }
    if (!page) {
        order = s->min_order;
        page = kh_alloc_pages(kh, gfp, order);
    }
    if (!page)
        return NULL;
    unsigned long bytes = kh->page_size << order;
    unsigned objects = kh_slab_capacity(kh, s, order, colour_off);
    struct slab *slab = slab_struct_new(s, objects);
    if (!slab) {
        kh___free_pages(kh, page, order);
        return NULL;
    }
    slab->cache = s;
    slab->page = page;
    slab->order = order;
    slab->objects = objects;
    slab->colour_off = colour_off;
    slab->cpu = -1;
    slab->base = kh_page_address(kh, page);
    slab->first = slab->base + colour_off + s->red_left_pad;
    mark_pages(kh, page, order, slab);
    kh_poison(slab->base, bytes);   /* nothing in a new slab is addressable */
    if (s->flags & SLAB_DEBUG_FLAGS)
        kh_debug_init_slab(kh, s, slab);
    build_freelist(s, slab);

    slab->all_prev = s->all_tail;
    if (s->all_tail)
        s->all_tail->all_next = slab;
    else
        s->all_head = slab;
    s->all_tail = slab;
    s->nr_slabs++;
    s->nr_objects += objects;
    return slab;
}

static void slab_struct_free(struct slab *slab)
{
    free(slab->req);
    free(slab);
}

void kh_slab_discard(struct kh *kh, struct kmem_cache *s, struct slab *slab)
{
    if (s->flags & SLAB_POISON)
        kh_debug_check_slab_padding(kh, s, slab);
    if (slab->all_prev)
        slab->all_prev->all_next = slab->all_next;
    else
        s->all_head = slab->all_next;
    if (slab->all_next)
        slab->all_next->all_prev = slab->all_prev;
    else
        s->all_tail = slab->all_prev;
    s->nr_slabs--;
    s->nr_objects -= slab->objects;
    mark_pages(kh, slab->page, slab->order, NULL);
    kh___free_pages(kh, slab->page, slab->order);
    slab_struct_free(slab);
}

/* ---- requested sizes and ASan ---- */

unsigned kh_slab_req_size(const struct kmem_cache *s, const struct slab *slab, unsigned idx)
{
    if (slab->req && slab->req[idx])
        return slab->req[idx];
    return s->object_size;
}

void kh_slab_set_req_size(struct kmem_cache *s, struct slab *slab, unsigned idx, unsigned req)
{
    (void)s;
    if (slab->req)
        slab->req[idx] = req;
}

void kh_slab_asan_alloc(const struct kmem_cache *s, void *obj, size_t req)
{
    kh_poison((unsigned char *)obj - s->red_left_pad, s->size);
    kh_unpoison(obj, req);
    (void)s;
    (void)obj;
    (void)req;
}

/* ---- pointer checks ---- */

struct slab *kh_slab_of(const struct kh *kh, const void *p)
{
    if (!kh_in_arena(kh, p))
        return NULL;
    const struct page *page = &kh->pages[((uintptr_t)p - (uintptr_t)kh->arena) >> kh->page_shift];
    if (!(page->flags & PG_slab))
        return NULL;
    return page->private;
}

static void report_invalid(struct kh *kh, struct kmem_cache *s, struct slab *slab, const void *p,
                           const char *who, uintptr_t caller)
{
    if (s->flags & SLAB_CONSISTENCY_CHECKS) {
        kh_slab_bug(kh, s, "Invalid object pointer", (uintptr_t)p, NULL,
                    "Invalid object pointer %p\nINFO: Slab %p objects=%u used=%u\n", p,
                    (void *)slab->base, slab->objects, slab->inuse);
        return;
    }
    kh_report(kh, KH_SEV_BUG, KH_R_KFREE, s->ops->name, "invalid free", (uintptr_t)p,
              "BUG: invalid-free in %s\nAddress %p is not the start of an object in cache %s "
              "(slab %p, object size %u)\nCaller: 0x%lx\n",
              who, p, s->name, (void *)slab->base, s->object_size, (unsigned long)caller);
}

static void report_double_free(struct kh *kh, struct kmem_cache *s, struct slab *slab, void *obj,
                               uintptr_t caller)
{
    (void)caller;
    kh_slab_bug(kh, s, "Object already free", (uintptr_t)obj, NULL,
                "INFO: Slab %p objects=%u used=%u fp=%p\nINFO: Object %p @offset=%lu\n",
                (void *)slab->base, slab->objects, slab->inuse, slab->freelist, obj,
                (unsigned long)((unsigned char *)obj - slab->base));
}

/* ---- quarantine ---- */

static void quarantine_release_one(struct kh *kh, struct kh_slab_state *st)
{
#ifdef KH_PLANT_QUARANTINE_LIFO
    /* planted bug: the newest object leaves first, the oldest stays held back */
    struct kh_quarantine_entry e = st->q[(st->q_head + st->q_len - 1) % st->q_cap];
#else
    struct kh_quarantine_entry e = st->q[st->q_head];
    st->q_head = (st->q_head + 1) % st->q_cap;
#endif
    st->q_len--;
    if (!e.slab)
        return;   /* dropped by a cache flush */
    struct kmem_cache *s = e.slab->cache;
    unsigned idx = kh_obj_index(s, e.slab, e.obj);
    qmap(e.slab)[idx >> 6] &= ~(1ull << (idx & 63));
    kh_map_clear(e.slab, idx);
    e.slab->quarantined--;
    e.slab->inuse--;
    e.slab->gen++;
    s->ops->put_object(kh, s, e.slab, e.obj);
}

/* Releases every quarantined object of s (all caches when s is NULL). */
static void quarantine_flush(struct kh *kh, struct kmem_cache *s)
{
    struct kh_slab_state *st = kh->slab;
    if (!st->q_len)
        return;
    unsigned n = st->q_len;
    /* Entries of other caches are rotated to the back in FIFO order. */
    for (unsigned i = 0; i < n; i++) {
        struct kh_quarantine_entry e = st->q[st->q_head];
        if (!s || (e.slab && e.slab->cache == s)) {
            quarantine_release_one(kh, st);
        } else {
            st->q_head = (st->q_head + 1) % st->q_cap;
            st->q[(st->q_head + st->q_len - 1) % st->q_cap] = e;
        }
    }
}

static void quarantine_put(struct kh *kh, struct kmem_cache *s, struct slab *slab, void *obj,
                           unsigned idx)
{
    struct kh_slab_state *st = kh->slab;
    if (st->q_len == st->q_cap)
        quarantine_release_one(kh, st);
    qmap(slab)[idx >> 6] |= 1ull << (idx & 63);
    slab->quarantined++;
    slab->gen++;
    st->q[(st->q_head + st->q_len) % st->q_cap] = (struct kh_quarantine_entry){ obj, slab };
    st->q_len++;
    (void)s;
}

/* ---- allocation and free ---- */

static void report_dead_cache(struct kh *kh, struct kmem_cache *s, const char *what)
{
    if (!s) {
        /* e.g. the NULL a failed kmem_cache_create returned: the kernel
         * reads the cache and oopses. */
        kh_report(kh, KH_SEV_BUG, KH_R_SLAB, SUBSYS, "NULL cache", 0,
                  "BUG: kernel NULL pointer dereference, address: 0000000000000000 (%s(NULL))\n",
                  what);
        return;
    }
    kh_report(kh, KH_SEV_BUG, KH_R_SLAB, SUBSYS, "use of a destroyed cache", (uintptr_t)s,
              "BUG: %s on cache %s after kmem_cache_destroy\n", what, s->name);
}

void *kh_slab_alloc(struct kh *kh, struct kmem_cache *s, gfp_t gfp, size_t req, uintptr_t caller)
{
    if (__builtin_expect(!s || s->state != KH_CACHE_LIVE, 0)) {
        report_dead_cache(kh, s, "kmem_cache_alloc");
        return NULL;
    }
    if (__builtin_expect((gfp & __GFP_ZERO) != 0, 0) && s->ctor)
        kh_report(kh, KH_SEV_WARN, KH_R_WARN, SUBSYS, "ctor with __GFP_ZERO", (uintptr_t)s,
                  "WARNING: CPU: %u PID: 1 at mm/slab.h: slab_alloc: __GFP_ZERO on cache %s "
                  "with a constructor\n", kh->current_cpu, s->name);
    if (__builtin_expect(kh->fault.cfg.mode != KH_FAULT_OFF, 0) &&
        kh_should_fail(kh, KH_FAULT_SLAB, gfp, 0))
        return NULL;
    void *obj = s->ops->get_object(kh, s, gfp);
    if (__builtin_expect(!obj, 0))
        return NULL;
    struct slab *slab = kh->pages[((uintptr_t)obj - (uintptr_t)kh->arena) >> kh->page_shift].private;
    unsigned idx = kh_obj_index(s, slab, obj);
    kh_map_set(slab, idx);
    slab->inuse++;
    slab->gen++;
    if (__builtin_expect(!s->slow, 1)) {
        if (gfp & __GFP_ZERO)
            kh_arena_zero(kh, obj, s->object_size);
        return obj;
    }
    if (slab->req)
        slab->req[idx] = (unsigned)req;
    if (s->flags & SLAB_DEBUG_FLAGS)
        kh_debug_alloc(kh, s, slab, obj, (unsigned)req, caller);
    kh_slab_asan_alloc(s, obj, req);
    if (gfp & __GFP_ZERO) {
        unsigned zero = (s->flags & KH_CACHE_KMALLOC_RZ) ? (unsigned)req : s->object_size;
        /* the requested bytes are addressable; past them is the kmalloc
         * red zone, which ASan would refuse a memset */
        kh_arena_zero(kh, obj, zero < req ? zero : req);
        if (zero > req)
            kh_meta_fill((unsigned char *)obj + req, 0, zero - req);
    }
    return obj;
}

struct slab *kh_slab_check_free_ptr(struct kh *kh, const void *p, const char *who, uintptr_t caller)
{
    struct slab *slab = kh_slab_of(kh, p);
    if (!slab)
        return NULL;
    struct kmem_cache *s = slab->cache;
    long idx = kh_slab_object_index(s, slab, p);
    if (idx < 0) {
        report_invalid(kh, s, slab, p, who, caller);
        return NULL;
    }
#ifdef KH_PLANT_DOUBLE_FREE_UNDETECTED
    if (!kh_map_test(slab, (unsigned)idx)) {  /* planted bug: a double free inside the quarantine passes */
#else
    if (!kh_map_test(slab, (unsigned)idx) || kh_slab_quarantined(slab, (unsigned)idx)) {
#endif
        report_double_free(kh, s, slab, (void *)p, caller);
        return NULL;
    }
    return slab;
}

void kh_slab_free(struct kh *kh, struct kmem_cache *s, struct slab *slab, void *obj, uintptr_t caller)
{
    unsigned idx = kh_obj_index(s, slab, obj);
    if (__builtin_expect(s->slow, 0)) {
        if ((s->flags & SLAB_DEBUG_FLAGS) && !kh_debug_free(kh, s, slab, obj, caller))
            return;
        kh_poison((unsigned char *)obj - s->red_left_pad, s->size);
        if (kh->slab->q_cap) {
            quarantine_put(kh, s, slab, obj, idx);
            return;
        }
    }
    kh_map_clear(slab, idx);
    slab->inuse--;
    slab->gen++;
    s->ops->put_object(kh, s, slab, obj);
}

/* ---- cache creation ---- */

static struct kh_slab_state *state(struct kh *kh) { return kh->slab; }

/* The inline fast paths have no preemption points: with a scheduler
 * installed every object goes through the design's own code. */
static bool fast_path_allowed(const struct kh *kh, const struct kmem_cache *s)
{
    return !s->slow && s->ops->fast_path && !kh->preempt;
}

void kh_slab_preempt_changed(struct kh *kh)
{
    if (!kh->slab)
        return;
    for (struct kmem_cache *s = kh->slab->chain_head; s; s = s->next)
        if (s->state == KH_CACHE_LIVE)
            s->fast = fast_path_allowed(kh, s);
}

static void chain_add(struct kh_slab_state *st, struct kmem_cache *s)
{
    s->prev = st->chain_tail;
    s->next = NULL;
    if (st->chain_tail)
        st->chain_tail->next = s;
    else
        st->chain_head = s;
    st->chain_tail = s;
    st->nr_caches++;
}

static void chain_del(struct kh_slab_state *st, struct kmem_cache *s)
{
    if (s->prev)
        s->prev->next = s->next;
    else
        st->chain_head = s->next;
    if (s->next)
        s->next->prev = s->prev;
    else
        st->chain_tail = s->prev;
    s->next = s->prev = NULL;
    st->nr_caches--;
}

static void cache_free(struct kh *kh, struct kmem_cache *s)
{
    if (s->ops && s->ops->close)
        s->ops->close(kh, s);
    free(s->name);
    free(s);
}

struct kmem_cache *kh_cache_create_internal(struct kh *kh, const char *name, unsigned size,
                                            unsigned align, slab_flags_t flags,
                                            void (*ctor)(void *), bool is_kmalloc,
                                            int freeptr_offset)
{
    struct kh_slab_state *st = state(kh);
    struct kmem_cache *s = calloc(1, sizeof(*s) + kh->cfg.nr_cpus * sizeof(s->cpu[0]));
    if (!s)
        return NULL;
    s->name = strdup(name);
    if (!s->name) {
        cache_free(kh, s);
        return NULL;
    }
    s->kh = kh;
    s->ops = st->ops;
    s->object_size = size;
    s->ctor = ctor;
    s->is_kmalloc = is_kmalloc;
    s->freeptr_offset = freeptr_offset;
    s->flags = (flags | st->debug_flags) & ~(slab_flags_t)__OBJECT_POISON;
    if (is_kmalloc)
        s->flags |= SLAB_KMALLOC;
    s->align = kh_calculate_alignment(kh, s->flags, align, size);
    kh_slab_calculate_sizes(s);
    if ((s->flags & SLAB_KMALLOC) && (s->flags & SLAB_RED_ZONE) && (s->flags & SLAB_STORE_USER))
        s->flags |= KH_CACHE_KMALLOC_RZ;
    s->alloc_gfp = (s->flags & SLAB_CACHE_DMA) ? __GFP_DMA
                   : (s->flags & SLAB_CACHE_DMA32) ? __GFP_DMA32 : 0;
    if (s->flags & SLAB_RECLAIM_ACCOUNT)
        s->alloc_gfp |= __GFP_RECLAIMABLE;
    s->min_order = (unsigned)kh_get_order(kh, s->size);
    s->refcount = 1;
#ifdef KH_ASAN
    bool asan = true;
#else
    bool asan = false;
#endif
    s->track_req = (is_kmalloc && (asan || (s->flags & KH_CACHE_KMALLOC_RZ))) ||
                   (is_kmalloc && kh->cfg.slab == KH_SLAB_SLOB);
    s->slow = asan || (s->flags & SLAB_DEBUG_FLAGS) || s->track_req || st->q_cap;
    s->fast = fast_path_allowed(kh, s);
    if (s->ops->open(kh, s) != 0) {
        cache_free(kh, s);
        return NULL;
    }
    s->state = KH_CACHE_LIVE;
    chain_add(st, s);
    return s;
}

/* ---- merging (SLUB and SLAB; off with slab_nomerge) ---- */

/* Flags that keep a cache to itself: debugging needs the cache's own slabs,
 * RCU freeing and leak/fault tracing are per cache. */
#define SLAB_NEVER_MERGE (SLAB_RED_ZONE | SLAB_POISON | SLAB_STORE_USER | KH_SLAB_TRACE | \
                          SLAB_TYPESAFE_BY_RCU | KH_SLAB_NOLEAKTRACE)
/* Flags whose memory or accounting differs: both sides must agree. */
#define SLAB_MERGE_SAME (SLAB_RECLAIM_ACCOUNT | SLAB_CACHE_DMA | SLAB_CACHE_DMA32 | SLAB_ACCOUNT)

static bool merging_enabled(const struct kh *kh)
{
#ifdef KH_ASAN
    /* KASAN marks every cache SLAB_KASAN, which never merges: keep the
     * ASan build's per-cache poisoning and quarantine exact the same way. */
    (void)kh;
    return false;
#else
    return !kh->cfg.slab_nomerge && kh->cfg.slab != KH_SLAB_SLOB;
#endif
}

/* kmalloc caches are usercopy-whitelisted (usersize = size), which makes
 * them unmergeable; a leaked cache is on its way out. */
static bool cache_unmergeable(const struct kmem_cache *s)
{
    return (s->flags & SLAB_NEVER_MERGE) || s->ctor || s->is_kmalloc ||
           s->state != KH_CACHE_LIVE;
}

/* The newest live cache a new (size, align, flags) cache can share: slot
 * big enough, wasting less than a pointer, aligned compatibly. */
static struct kmem_cache *find_mergeable(struct kh *kh, unsigned size, unsigned align,
                                         slab_flags_t flags, void (*ctor)(void *))
{
    struct kh_slab_state *st = state(kh);
#ifdef KH_PLANT_CTOR_MERGE
    if (!merging_enabled(kh))  /* planted bug: a cache with a constructor may alias one without */
#else
    if (!merging_enabled(kh) || ctor)
#endif
        return NULL;
    flags |= st->debug_flags;   /* slub_debug= applies before the check */
    if (flags & SLAB_NEVER_MERGE)
        return NULL;
    size = align_up(size, KH_PTR_SIZE);
    align = kh_calculate_alignment(kh, flags, align, size);
    size = align_up(size, align);
    for (struct kmem_cache *s = st->chain_tail; s; s = s->prev) {
        if (cache_unmergeable(s) || size > s->size)
            continue;
        if ((flags & SLAB_MERGE_SAME) != (s->flags & SLAB_MERGE_SAME))
            continue;
        if (s->size % align || s->size - size >= KH_PTR_SIZE)
            continue;
        /* classic SLAB also wants the alias's alignment to divide its own */
#ifdef KH_PLANT_MERGE_ALIGN
        if (align > s->align || s->align % align)  /* planted bug: SLAB's extra rule applied to SLUB */
#else
        if (kh->cfg.slab == KH_SLAB_SLAB && (align > s->align || s->align % align))
#endif
            continue;
        return s;
    }
    return NULL;
}

static const char *create_error(struct kh *kh, const char *name, unsigned size, unsigned align,
                                slab_flags_t flags)
{
    if (!name)
        return "NULL name";
    if (size < 1 || size > kh_kmalloc_max_size(kh))
        return "size out of range";
    if (flags & ~(slab_flags_t)KH_SLAB_FLAGS_PERMITTED)
        return "flags outside SLAB_FLAGS_PERMITTED";
    if (align & (align - 1))
        return "alignment not a power of two";
    if (align > kh->page_size)
        return "alignment larger than a page";
    return NULL;
}

struct kmem_cache *kh_kmem_cache_create(struct kh *kh, const char *name, unsigned int size,
                                        unsigned int align, slab_flags_t flags,
                                        void (*ctor)(void *))
{
    const char *why = create_error(kh, name, size, align, flags);
    struct kmem_cache *s = NULL;
    if (!why) {
        /* Permitted bits the harness does not model are dropped, as the
         * kernel masks with CACHE_CREATE_MASK; SLAB_KMALLOC is the slab
         * layer's own. */
        slab_flags_t keep = flags & (slab_flags_t)KH_CACHE_CREATE_MASK &
                            ~(slab_flags_t)(SLAB_KMALLOC | KH_SLAB_TRACE | KH_SLAB_NOLEAKTRACE |
                                            KH_SLAB_NO_USER_FLAGS);
        s = find_mergeable(kh, size, align, keep, ctor);
        if (s) {
            /* An alias: the caller gets the existing cache, grown so that
             * zeroing and kmem_cache_size cover the new object size. */
            s->refcount++;
            if (s->object_size < size)
                s->object_size = size;
            if (s->inuse < align_up(size, KH_PTR_SIZE))
                s->inuse = align_up(size, KH_PTR_SIZE);
            return s;
        }
        s = kh_cache_create_internal(kh, name, size, align, keep, ctor, false, -1);
    }
    if (!s) {
        int err = why ? -22 : -12;   /* -EINVAL for bad arguments, else -ENOMEM */
        if (!why)
            why = "out of memory";
        kh_report(kh, (flags & SLAB_PANIC) ? KH_SEV_BUG : KH_SEV_WARN, KH_R_SLAB, SUBSYS,
                  "kmem_cache_create failed", 0,
                  "kmem_cache_create(%s) failed with error %d\n(harness: %s, flags %#x)\n",
                  name ? name : "(null)", err, why, flags);
        if (flags & SLAB_PANIC) {
            fprintf(stderr, "Kernel panic - not syncing: kmem_cache_create: Failed to create "
                            "slab '%s'. Error %d\n", name ? name : "(null)", err);
            abort();
        }
    }
    return s;
}

/* 6.12 __kmem_cache_create_args() with use_freeptr_offset (SPEC 10): the
 * checks of 6.1's create, then the args'; such a cache never merges (it is
 * an RCU cache). */
struct kmem_cache *kh_kmem_cache_create_args(struct kh *kh, const char *name, unsigned int size,
                                             unsigned int align, slab_flags_t flags,
                                             unsigned int freeptr_offset)
{
    if (!kh_kernel_traits(kh)->has_cache_args) {
        kh_report(kh, KH_SEV_WARN, KH_R_WARN, SUBSYS, "API not in this kernel", 0,
                  "WARNING: kmem_cache_create(name, size, struct kmem_cache_args *, flags) does "
                  "not exist in Linux %s\n", kh_kernel_traits(kh)->release);
        return NULL;
    }
    const char *why = create_error(kh, name, size, align, flags);
    if (!why && (freeptr_offset >= size || !(flags & SLAB_TYPESAFE_BY_RCU) ||
                 freeptr_offset % KH_PTR_SIZE))
        why = "freeptr_offset outside the object, unaligned, or without SLAB_TYPESAFE_BY_RCU";
    struct kmem_cache *s = NULL;
    if (!why) {
        slab_flags_t keep = flags & (slab_flags_t)KH_CACHE_CREATE_MASK &
                            ~(slab_flags_t)(SLAB_KMALLOC | KH_SLAB_TRACE | KH_SLAB_NOLEAKTRACE |
                                            KH_SLAB_NO_USER_FLAGS);
        s = kh_cache_create_internal(kh, name, size, align, keep, NULL, false, (int)freeptr_offset);
    }
    if (!s)
        kh_report(kh, (flags & SLAB_PANIC) ? KH_SEV_BUG : KH_SEV_WARN, KH_R_SLAB, SUBSYS,
                  "kmem_cache_create failed", 0,
                  "kmem_cache_create(%s) failed with error %d\n(harness: %s, flags %#x)\n",
                  name ? name : "(null)", why ? -22 : -12, why ? why : "out of memory", flags);
    return s;
}

/* ---- destroy ---- */

static void free_all_slabs_host(struct kmem_cache *s)
{
    for (struct slab *slab = s->all_head, *next; slab; slab = next) {
        next = slab->all_next;
        slab_struct_free(slab);
    }
    s->all_head = s->all_tail = NULL;
}

/* Reports each object still in use: the kernel's list_slab_objects(). */
static unsigned report_remaining(struct kh *kh, struct kmem_cache *s)
{
    unsigned n = 0;
    for (struct slab *slab = s->all_head; slab; slab = slab->all_next) {
        for (unsigned i = 0; i < slab->objects && slab->inuse; i++) {
            if (!kh_map_test(slab, i))
                continue;
            unsigned char *obj = kh_obj_at(s, slab, i);
            kh_report(kh, KH_SEV_BUG, KH_R_SLAB, s->ops->name,
                      "Objects remaining on __kmem_cache_shutdown()", (uintptr_t)obj,
                      "=============================================================================\n"
                      "BUG %s (Not tainted): Objects remaining in %s on __kmem_cache_shutdown()\n"
                      "-----------------------------------------------------------------------------\n\n"
                      "Slab %p objects=%u used=%u fp=%p\n"
                      "Object %p @offset=%lu\n",
                      s->name, s->name, (void *)slab->base, slab->objects, slab->inuse,
                      slab->freelist, (void *)obj, (unsigned long)(obj - slab->base));
            n++;
        }
    }
    return n;
}

static bool cache_is_known(struct kh_slab_state *st, const struct kmem_cache *s, bool *dead)
{
    for (struct kmem_cache *c = st->chain_head; c; c = c->next)
        if (c == s) {
            *dead = false;
            return true;
        }
    for (struct kmem_cache *c = st->dead_head; c; c = c->next)
        if (c == s) {
            *dead = true;
            return true;
        }
    return false;
}

void kh_kmem_cache_destroy(struct kh *kh, struct kmem_cache *s)
{
    if (!s)
        return;
    struct kh_slab_state *st = state(kh);
    bool dead;
    if (!cache_is_known(st, s, &dead)) {
        kh_report(kh, KH_SEV_BUG, KH_R_SLAB, SUBSYS, "kmem_cache_destroy of an unknown cache",
                  (uintptr_t)s, "BUG: kmem_cache_destroy(%p): not a cache of this instance\n",
                  (void *)s);
        return;
    }
    if (dead || s->state == KH_CACHE_LEAKED) {
        kh_report(kh, KH_SEV_BUG, KH_R_SLAB, SUBSYS, "double destroy", (uintptr_t)s,
                  "BUG: kmem_cache_destroy(%s): cache already destroyed\n", s->name);
        return;
    }
    if (s->is_kmalloc) {
        kh_report(kh, KH_SEV_WARN, KH_R_WARN, SUBSYS, "kmem_cache_destroy of a kmalloc cache",
                  (uintptr_t)s, "WARNING: kmem_cache_destroy(%s): kmalloc caches are permanent\n",
                  s->name);
        return;
    }
    if (--s->refcount)
        return;
    quarantine_flush(kh, s);
    s->ops->flush(kh, s);
    s->ops->shrink(kh, s);
    if (s->nr_slabs) {
        report_remaining(kh, s);
        kh_report(kh, KH_SEV_WARN, KH_R_WARN, SUBSYS, "Slab cache still has objects",
                  (uintptr_t)s,
                  "------------[ cut here ]------------\n"
                  "kmem_cache_destroy %s: Slab cache still has objects when called from 0x%lx\n"
                  "WARNING: CPU: %u PID: 1 at mm/slab_common.c: kmem_cache_destroy\n",
                  s->name, (unsigned long)(uintptr_t)__builtin_return_address(0), kh->current_cpu);
        s->state = KH_CACHE_LEAKED;   /* stays on the chain, as in the kernel */
        s->fast = false;
        return;
    }
    chain_del(st, s);
    s->state = KH_CACHE_DESTROYED;
    s->fast = false;
    s->next = st->dead_head;
    st->dead_head = s;
}

/* ---- other cache operations ---- */

void *kh_kmem_cache_alloc(struct kh *kh, struct kmem_cache *s, gfp_t gfp)
{
    return s ? kh_slab_alloc_fast(kh, s, gfp, s->object_size, (uintptr_t)__builtin_return_address(0))
             : kh_slab_alloc(kh, s, gfp, 0, (uintptr_t)__builtin_return_address(0));
}

void *kh_kmem_cache_zalloc(struct kh *kh, struct kmem_cache *s, gfp_t gfp)
{
    return kh_slab_alloc(kh, s, gfp | __GFP_ZERO, s ? s->object_size : 0,
                         (uintptr_t)__builtin_return_address(0));
}

void *kh_kmem_cache_alloc_node(struct kh *kh, struct kmem_cache *s, gfp_t gfp, int node)
{
    (void)node;   /* one node */
    return s ? kh_slab_alloc_fast(kh, s, gfp, s->object_size, (uintptr_t)__builtin_return_address(0))
             : kh_slab_alloc(kh, s, gfp, 0, (uintptr_t)__builtin_return_address(0));
}

static __attribute__((noinline)) void cache_free_slow(struct kh *kh, struct kmem_cache *s, void *obj,
                                                     uintptr_t caller)
{
    if (!obj || !s) {
        /* Unlike kfree, 6.1's kmem_cache_free has no NULL checks: it looks
         * up the slab of address 0, or reads the NULL cache, and oopses.
         * Report it the kernel's way. */
        kh_report(kh, KH_SEV_BUG, KH_R_SLAB, SUBSYS,
                  obj ? "kmem_cache_free to a NULL cache" : "kmem_cache_free of NULL", (uintptr_t)obj,
                  "BUG: kernel NULL pointer dereference, address: 0000000000000000 "
                  "(kmem_cache_free(%s, %p))\n", s ? s->name : "NULL", obj);
        return;
    }
    if (s->state == KH_CACHE_DESTROYED) {
        report_dead_cache(kh, s, "kmem_cache_free");
        return;
    }
    struct slab *slab = kh_slab_of(kh, obj);
    if (!slab) {
        kh_report(kh, KH_SEV_WARN, KH_R_SLAB, SUBSYS, "Object is not a Slab page", (uintptr_t)obj,
                  "WARNING: kmem_cache_free: Object is not a Slab page!\n"
                  "cache %s, object %p\n", s->name, obj);
        return;
    }
    if (slab->cache != s) {
        kh_report(kh, KH_SEV_WARN, KH_R_SLAB, SUBSYS, "Wrong slab cache", (uintptr_t)obj,
                  "WARNING: kmem_cache_free: Wrong slab cache. %s but object is from %s\n",
                  s->name, slab->cache->name);
        s = slab->cache;   /* the kernel frees to the object's real cache */
    }
    if (!kh_slab_check_free_ptr(kh, obj, "kmem_cache_free", caller))
        return;
    kh_slab_free(kh, s, slab, obj, caller);
}

static inline __attribute__((always_inline)) void cache_free_obj(struct kh *kh, struct kmem_cache *s,
                                                                 void *obj, uintptr_t caller)
{
    if (__builtin_expect(obj && s, 1) && __builtin_expect(kh_slab_free_fast(kh, obj, s), 1))
        return;
    cache_free_slow(kh, s, obj, caller);   /* NULLs are reported there */
}

void kh_kmem_cache_free(struct kh *kh, struct kmem_cache *s, void *obj)
{
    cache_free_obj(kh, s, obj, (uintptr_t)__builtin_return_address(0));
}

int kh_kmem_cache_alloc_bulk(struct kh *kh, struct kmem_cache *s, gfp_t gfp, size_t nr, void **p)
{
    if (!s || s->state != KH_CACHE_LIVE) {
        report_dead_cache(kh, s, "kmem_cache_alloc_bulk");
        return 0;
    }
    uintptr_t caller = (uintptr_t)__builtin_return_address(0);
    /* 6.1 asks failslab once for the whole call (slab_pre_alloc_hook),
     * whatever nr is, and not again per object */
    if (__builtin_expect(kh->fault.cfg.mode != KH_FAULT_OFF, 0) && kh_should_fail(kh, KH_FAULT_SLAB, gfp, 0))
        return 0;
    kh->fault.slab_muted = true;
    size_t i;
    for (i = 0; i < nr; i++) {
        p[i] = kh_slab_alloc_fast(kh, s, gfp, s->object_size, caller);
        if (!p[i])
            break;
    }
    kh->fault.slab_muted = false;
    if (i < nr) {
        /* 6.1 zeroes a bulk allocation only once all of it is in
         * (slab_post_alloc_hook; init is false on the error path): a
         * ctor cache's objects must go back constructed */
        for (size_t j = 0; j < i; j++) {
            if ((gfp & __GFP_ZERO) && s->ctor)
                s->ctor(p[j]);
            cache_free_obj(kh, s, p[j], caller);
        }
        return 0;
    }
    return (int)nr;
}

void kh_kmem_cache_free_bulk(struct kh *kh, struct kmem_cache *s, size_t nr, void **p)
{
    uintptr_t caller = (uintptr_t)__builtin_return_address(0);
    for (size_t i = 0; i < nr; i++) {
        if (!p[i])
            continue;  /* the bulk path skips NULL entries (build_detached_freelist) */
        if (s)
            cache_free_obj(kh, s, p[i], caller);
        else
            kh_kfree(kh, p[i]);
    }
}

int kh_kmem_cache_shrink(struct kh *kh, struct kmem_cache *s)
{
    if (!s || s->state == KH_CACHE_DESTROYED) {
        report_dead_cache(kh, s, "kmem_cache_shrink");
        return 0;
    }
    quarantine_flush(kh, s);
    s->ops->flush(kh, s);
    s->ops->shrink(kh, s);
    return 0;
}

unsigned int kh_kmem_cache_size(struct kh *kh, struct kmem_cache *s)
{
    if (!s || s->state == KH_CACHE_DESTROYED) {
        report_dead_cache(kh, s, "kmem_cache_size");
        return 0;
    }
    return s->object_size;
}

unsigned kh_kmem_cache_validate(struct kh *kh, struct kmem_cache *s)
{
    unsigned long before = kh->slab->errors;
    s->ops->flush(kh, s);
    for (struct slab *slab = s->all_head; slab; slab = slab->all_next)
        kh_debug_validate_slab(kh, s, slab);
    return (unsigned)(kh->slab->errors - before);
}

unsigned long kh_slab_errors(const struct kh *kh) { return kh->slab ? kh->slab->errors : 0; }
void kh_slab_errors_clear(struct kh *kh) { kh->slab->errors = 0; }

/* ---- shrinker ---- */

static unsigned long slab_shrinker(struct kh *kh, void *ctx, unsigned long nr_wanted)
{
    (void)ctx;
    (void)nr_wanted;
    unsigned long released = 0;
    quarantine_flush(kh, NULL);
    for (struct kmem_cache *s = kh->slab->chain_head; s; s = s->next) {
        s->ops->flush(kh, s);
        released += s->ops->shrink(kh, s);
    }
    return released;
}

/* ---- lifecycle ---- */

const char *kh_slab_init(struct kh *kh)
{
    struct kh_slab_state *st = calloc(1, sizeof(*st));
    if (!st)
        return "out of host memory for the slab state";
    kh->slab = st;
    st->ops = kh->cfg.slab == KH_SLAB_SLAB ? &kh_slab_classic_ops : &kh_slub_ops;
    st->debug_flags = debug_flags_of(kh);
    if (kh->cfg.quarantine_objects) {
        st->q_cap = kh->cfg.quarantine_objects;
        st->q = calloc(st->q_cap, sizeof(*st->q));
        if (!st->q) {
            kh_slab_destroy(kh);
            return "out of host memory for the quarantine";
        }
    }
    const char *why = kh_kmalloc_init(kh);
    if (why) {
        kh_slab_destroy(kh);
        return why;
    }
    if (kh_register_shrinker(kh, slab_shrinker, NULL) == 0)
        st->shrinker_registered = true;
    return NULL;
}

/* Re-initialises a kmalloc cache in place: its slabs' pages are reclaimed
 * wholesale by the page allocator's own reset. */
static void cache_clear(struct kh *kh, struct kmem_cache *s)
{
    free_all_slabs_host(s);
    memset(s->cpu, 0, kh->cfg.nr_cpus * sizeof(s->cpu[0]));
    memset(&s->partial, 0, sizeof(s->partial));
    memset(&s->full, 0, sizeof(s->full));
    memset(&s->free, 0, sizeof(s->free));
    s->nr_slabs = s->nr_objects = s->nr_inuse = 0;
    s->errors = 0;
    s->colour_next = 0;
    s->free_objects = 0;
    s->state = KH_CACHE_LIVE;
    s->fast = fast_path_allowed(kh, s);
    s->refcount = 1;
}

void kh_slab_reset(struct kh *kh)
{
    struct kh_slab_state *st = kh->slab;
    if (!st)
        return;
    st->q_len = st->q_head = 0;
    for (struct kmem_cache *s = st->chain_head, *next; s; s = next) {
        next = s->next;
        if (s->is_kmalloc) {
            cache_clear(kh, s);
        } else {
            free_all_slabs_host(s);
            chain_del(st, s);
            cache_free(kh, s);
        }
    }
    for (struct kmem_cache *s = st->dead_head, *next; s; s = next) {
        next = s->next;
        cache_free(kh, s);
    }
    st->dead_head = NULL;
    st->errors = 0;
    st->clock = 0;
}

void kh_slab_destroy(struct kh *kh)
{
    struct kh_slab_state *st = kh->slab;
    if (!st)
        return;
    if (st->shrinker_registered)
        kh_unregister_shrinker(kh, slab_shrinker, NULL);
    for (struct kmem_cache *s = st->chain_head, *next; s; s = next) {
        next = s->next;
        free_all_slabs_host(s);
        cache_free(kh, s);
    }
    for (struct kmem_cache *s = st->dead_head, *next; s; s = next) {
        next = s->next;
        cache_free(kh, s);
    }
    free(st->q);
    free(st);
    kh->slab = NULL;
}

/* ---- with the caller's address (kernel_names.c) ---- */

void kh_kmem_cache_free_caller(struct kh *kh, struct kmem_cache *s, void *obj, uintptr_t caller)
{
    cache_free_obj(kh, s, obj, caller);
}
