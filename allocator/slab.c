/* slab.c - the classic SLAB design (Linux 4.x mm/slab.c), chosen by the
 * linux-4.x-slab profile.
 *
 * Lists. Each cache has one node (the harness models one NUMA node) with
 * three lists: slabs_full, slabs_partial and slabs_free. A slab is on
 * exactly the list its in-use count implies (objects, between, 0), and it
 * moves at the allocation or free that makes the count cross a boundary:
 * an allocation keeps or puts the slab at the head of slabs_partial (or
 * slabs_full when it was the last free object); a free puts it at the tail
 * of slabs_partial, or at the head of slabs_free when it became empty
 * (free_block() of 4.x). Allocation takes the first partial slab, then the
 * first free slab, and grows the cache only when both lists are empty.
 *
 * Free objects. Each slab keeps an array of free slot indices, the
 * kernel's freelist_idx_t array and page->active: slots
 * free_idx[active..objects) are free, allocation hands out
 * free_idx[active++], a free stores its index at free_idx[--active]. The
 * result is LIFO reuse, as in the kernel. The geometry reserves the array's
 * bytes where 4.x would put them (the end of the slab for on-slab
 * management, a free object for OBJFREELIST caches, a kmalloc object for
 * off-slab caches), but the array itself lives in host memory next to the
 * struct slab, so a caller's overflow cannot corrupt it: an array that is
 * damaged anyway is found by kh_slab_validate.
 *
 * Geometry. Without debug flags the slot is 4.x's: the object rounded up
 * to a word, then to the alignment, at least SLAB_OBJ_MIN_SIZE (16) bytes;
 * no free pointer is added for constructors or RCU. With debug flags the
 * slot keeps the SLUB-style layout of slab_common.c (red zones, free
 * pointer, tracks), because every design shares slab_debug.c's checks and
 * reports; only the order and object count then follow SLAB. The order is
 * calculate_slab_order(): the smallest order with at least one object and
 * left_over * 8 <= slab size, stopping at slab_max_order (1 with more than
 * 32 MiB of memory, else 0) or at the first fitting order for
 * SLAB_RECLAIM_ACCOUNT caches, and never above KMALLOC_MAX_ORDER; objects
 * per slab are cache_estimate()'s for the management mode that
 * __kmem_cache_create picks (OBJFREELIST, then OFF_SLAB, then ON_SLAB).
 *
 * Colouring. colour_off is the cache line size (at least the alignment),
 * colour = left_over / colour_off. A new slab advances colour_next (modulo
 * colour) and starts its first slot colour_next * colour_off bytes into the
 * pages; the increment comes first, as in 4.7 and later cache_grow_begin(),
 * so the first slab of a cache with colour > 1 has colour 1.
 *
 * Per-CPU array caches are not modelled: every allocation and free goes
 * straight to the node lists (as if batchcount were 1), which keeps the
 * list transitions exact and deterministic. The tunables are still
 * computed as 4.x's enable_cpucache() would (limit by object size,
 * batchcount = (limit + 1) / 2, sharedfactor 8 on SMP for objects up to a
 * page) and printed in /proc/slabinfo; they set the node's free_limit =
 * (1 + nr_cpus) * batchcount + objects per slab: after a free, while more
 * free objects than that sit on the lists, the last empty slab is given
 * back to the page allocator. kmem_cache_shrink and the shrinker release
 * every empty slab.
 */
#include <stdlib.h>
#include <string.h>

#include "introspect.h"
#include "slab_internal.h"

#define SLAB_OBJ_MIN_SIZE 16u        /* KMALLOC_MIN_SIZE (32) capped at 16 */
#define SLAB_MAX_ORDER_LO 0u
#define SLAB_MAX_ORDER_HI 1u
#define SLAB_MAX_ORDER_HI_RAM (32ull << 20)   /* more RAM than this: HI */

enum slab_mgmt { MGMT_OBJFREELIST, MGMT_OFF_SLAB, MGMT_ON_SLAB };

/* Per-cache state of the design (s->design). */
struct classic {
    enum slab_mgmt mgmt;
    unsigned idx_size;           /* sizeof(freelist_idx_t): 1 or 2 */
    unsigned long free_limit;
    unsigned limit, batchcount, shared;
};

static struct classic *cl(const struct kmem_cache *s) { return s->design; }
static unsigned align_up(unsigned v, unsigned a) { return (v + a - 1) / a * a; }

/* ---- geometry ---- */

/* FREELIST_BYTE_INDEX: a one-byte index when a page cannot hold more than
 * 255 objects of the minimum size. */
static unsigned freelist_idx_size(const struct kh *kh)
{
    return (kh->page_size >> 8) <= SLAB_OBJ_MIN_SIZE ? 1u : 2u;
}

static unsigned slab_max_order(const struct kh *kh)
{
    unsigned long long ram = 0;
    for (int z = 0; z < MAX_NR_ZONES; z++)
        ram += kh->cfg.zone_bytes[z];
    return ram > SLAB_MAX_ORDER_HI_RAM ? SLAB_MAX_ORDER_HI : SLAB_MAX_ORDER_LO;
}

/* kmalloc_slab(n)->size for the SLAB size classes (n >= 1). */
static unsigned long kmalloc_bucket(const struct kh *kh, unsigned long n)
{
    const struct kh_slab_state *st = kh->slab;
    if (n <= st->min_size)
        return st->min_size;
    if (st->min_size <= 32 && n > 64 && n <= 96)
        return 96;
    if (st->min_size <= 64 && n > 128 && n <= 192)
        return 192;
    unsigned long b = 1;
    while (b < n)
        b <<= 1;
    return b;
}

/* cache_estimate(): objects of `size` in a slab of `order` and the bytes
 * left over, with or without the index array inside the slab. */
static unsigned cache_estimate(const struct kh *kh, unsigned order, unsigned size,
                               unsigned idx_in_slab, unsigned long *left_over)
{
    unsigned long slab_size = kh->page_size << order;
#ifdef KH_PLANT_SLAB_ONSLAB_INDEX
    unsigned long per = size;  /* planted bug: the on-slab index entries take no room */
    (void)idx_in_slab;
#else
    unsigned long per = size + idx_in_slab;
#endif
    unsigned long num = slab_size / per;
    *left_over = slab_size - num * per;
    return (unsigned)num;
}

struct geometry { unsigned order, num; unsigned long left; };

/* calculate_slab_order() for one management mode; g->num == 0 if none. */
static void calculate_slab_order(const struct kh *kh, const struct kmem_cache *s,
                                 enum slab_mgmt mgmt, unsigned idx_size, struct geometry *g)
{
    unsigned max_num = idx_size == 1 ? 255u : 65535u;   /* SLAB_OBJ_MAX_NUM */
    unsigned max_order = kh->slab->shift_max - kh->page_shift;   /* KMALLOC_MAX_ORDER */
    unsigned stop_order = slab_max_order(kh);
    g->num = 0;
    g->left = 0;
    for (unsigned order = 0; order <= max_order && order < kh->max_order; order++) {
        unsigned long left;
        unsigned num = cache_estimate(kh, order, s->size, mgmt == MGMT_ON_SLAB ? idx_size : 0, &left);
        if (!num)
            continue;
        if (num > max_num)
            break;
        if (mgmt == MGMT_OFF_SLAB) {
            /* The array would be a kmalloc object: only worth it when that
             * object is at most half a slot. */
            if (kmalloc_bucket(kh, (unsigned long)num * idx_size) > s->size / 2)
                continue;
        }
        g->order = order;
        g->num = num;
        g->left = left;
        if (s->flags & SLAB_RECLAIM_ACCOUNT)
            break;
        if (order >= stop_order)
            break;
#ifdef KH_PLANT_SLAB_WASTE
        if (left * 7 <= (kh->page_size << order))  /* planted bug: a seventh of the slab wasted is accepted */
#else
        if (left * 8 <= (kh->page_size << order))
#endif
            break;
    }
}

/* __kmem_cache_create's choice: OBJFREELIST, OFF_SLAB, then ON_SLAB. */
static int choose_geometry(const struct kh *kh, const struct kmem_cache *s, unsigned idx_size,
                           enum slab_mgmt *mgmt, struct geometry *g)
{
    if (!s->ctor && !(s->flags & SLAB_TYPESAFE_BY_RCU)) {
        calculate_slab_order(kh, s, MGMT_OBJFREELIST, idx_size, g);
        if (g->num && (unsigned long)g->num * idx_size <= s->object_size) {
            *mgmt = MGMT_OBJFREELIST;
            return 0;
        }
    }
    calculate_slab_order(kh, s, MGMT_OFF_SLAB, idx_size, g);
    if (g->num && g->left < (unsigned long)g->num * idx_size) {
        *mgmt = MGMT_OFF_SLAB;
        return 0;
    }
    calculate_slab_order(kh, s, MGMT_ON_SLAB, idx_size, g);
    if (g->num) {
        *mgmt = MGMT_ON_SLAB;
        return 0;
    }
    return -1;   /* -E2BIG */
}

/* The 4.x slot of a cache without debug flags. */
static void classic_slot(struct kmem_cache *s)
{
    unsigned size = align_up(s->object_size, KH_PTR_SIZE);
    size = align_up(size, s->align);
    if (size < SLAB_OBJ_MIN_SIZE)
        size = align_up(SLAB_OBJ_MIN_SIZE, s->align);
    s->size = size;
    s->inuse = size;
    s->offset = 0;            /* no free pointer: never written or read */
    s->red_left_pad = 0;
    s->flags &= ~(slab_flags_t)__OBJECT_POISON;
    s->recip = ((1ull << 32) + s->size - 1) / s->size;
}

/* enable_cpucache(): the array-cache tunables 4.x would choose. */
static void choose_tunables(const struct kh *kh, const struct kmem_cache *s, struct classic *c)
{
    unsigned limit;
    if (s->size > 131072)
        limit = 1;
    else if (s->size > kh->page_size)
        limit = 8;
    else if (s->size > 1024)
        limit = 24;
    else if (s->size > 256)
        limit = 54;
    else
        limit = 120;
    c->limit = limit;
    c->batchcount = (limit + 1) / 2;
    c->shared = (s->size <= kh->page_size && kh->cfg.nr_cpus > 1) ? 8 : 0;
    c->free_limit = (unsigned long)(1 + kh->cfg.nr_cpus) * c->batchcount + s->objects;
}

static int classic_open(struct kh *kh, struct kmem_cache *s)
{
    struct classic *c = calloc(1, sizeof(*c));
    if (!c)
        return -1;
    if (!(s->flags & SLAB_DEBUG_FLAGS))
        classic_slot(s);
    c->idx_size = freelist_idx_size(kh);
    struct geometry g;
    int rc = choose_geometry(kh, s, c->idx_size, &c->mgmt, &g);
    if (rc != 0 && (s->flags & SLAB_DEBUG_FLAGS)) {
        /* Debug metadata pushed the slot past the largest slab (the
         * kmalloc-4M cache under slub_debug): 4.x leaves red zones and
         * tracking off for such objects; here every debug flag goes. */
        s->flags &= ~(slab_flags_t)(SLAB_DEBUG_FLAGS | KH_CACHE_KMALLOC_RZ);
        kh_slab_calculate_sizes(s);
        classic_slot(s);
        rc = choose_geometry(kh, s, c->idx_size, &c->mgmt, &g);
    }
    if (rc != 0) {
        free(c);
        return -1;
    }
    s->order = g.order;
    s->min_order = g.order;   /* SLAB has no fallback order */
    s->objects = g.num;
    s->min_partial = 0;
    s->colour_off = kh->cfg.cache_line;
    if (s->colour_off < s->align)
        s->colour_off = s->align;
    s->colour = (unsigned)(g.left / s->colour_off);
    s->colour_next = 0;
    choose_tunables(kh, s, c);
    s->design = c;
    return 0;
}

static void classic_close(struct kh *kh, struct kmem_cache *s)
{
    (void)kh;
    free(s->design);
    s->design = NULL;
}

/* ---- lists ---- */

static struct kh_slab_list *list_of(struct kmem_cache *s, enum kh_slab_list_id id)
{
    switch (id) {
    case KH_SLAB_LIST_PARTIAL: return &s->partial;
    case KH_SLAB_LIST_FULL: return &s->full;
    case KH_SLAB_LIST_FREE: return &s->free;
    default: return NULL;
    }
}

static void unlink_slab(struct kmem_cache *s, struct slab *slab)
{
    struct kh_slab_list *l = list_of(s, slab->list);
    if (l)
        kh_slab_list_del(l, slab);
}

/* After an allocation: fixup_slab_list(). */
static void file_after_alloc(struct kmem_cache *s, struct slab *slab)
{
    unlink_slab(s, slab);
    if (slab->active == slab->objects)
        kh_slab_list_add(&s->full, slab, KH_SLAB_LIST_FULL, false);
    else
        kh_slab_list_add(&s->partial, slab, KH_SLAB_LIST_PARTIAL, false);
}

/* After a free: free_block()'s list fixup. */
static void file_after_free(struct kmem_cache *s, struct slab *slab)
{
    unlink_slab(s, slab);
    if (slab->active == 0)
        kh_slab_list_add(&s->free, slab, KH_SLAB_LIST_FREE, false);
    else
        kh_slab_list_add(&s->partial, slab, KH_SLAB_LIST_PARTIAL, true);
}

static unsigned long release_free_slab(struct kh *kh, struct kmem_cache *s, struct slab *slab)
{
    unsigned long pages = 1ul << slab->order;
    kh_slab_list_del(&s->free, slab);
    s->free_objects -= slab->objects;
    kh_slab_discard(kh, s, slab);
    return pages;
}

/* ---- allocation and free ---- */

/* cache_grow(): a new slab, coloured, on slabs_free. */
static struct slab *grow(struct kh *kh, struct kmem_cache *s, gfp_t gfp)
{
    unsigned next = s->colour_next + 1;
    if (next >= s->colour)
        next = 0;
    struct slab *slab = kh_slab_new(kh, s, gfp, next * s->colour_off);
    if (!slab)
        return NULL;
    s->colour_next = next;   /* advanced only when the pages came */
    kh_slab_list_add(&s->free, slab, KH_SLAB_LIST_FREE, true);
    s->free_objects += slab->objects;
    return slab;
}

static void *classic_get_object(struct kh *kh, struct kmem_cache *s, gfp_t gfp)
{
    struct slab *slab = s->partial.head;
    if (!slab)
        slab = s->free.head;
    if (!slab) {
        if (!grow(kh, s, gfp))
            return NULL;
        /* Reclaim inside the page allocator may have run our shrinker:
         * take the first free slab again rather than trusting a pointer. */
        slab = s->free.head;
        if (!slab)
            return NULL;
    }
    unsigned idx = slab->free_idx[slab->active++];
    s->free_objects--;
    file_after_alloc(s, slab);
    return kh_obj_at(s, slab, idx);
}

static void classic_put_object(struct kh *kh, struct kmem_cache *s, struct slab *slab, void *obj)
{
    unsigned idx = kh_obj_index(s, slab, obj);
    if (s->flags & SLAB_DEBUG_FLAGS)
        kh_set_fp(s, obj, NULL);   /* the debug checks read it on free objects */
    slab->free_idx[--slab->active] = (uint16_t)idx;
    s->free_objects++;
    file_after_free(s, slab);
    struct classic *c = cl(s);
    while (s->free_objects > c->free_limit && s->free.tail)
        release_free_slab(kh, s, s->free.tail);
}

static void classic_flush(struct kh *kh, struct kmem_cache *s)
{
    (void)kh;   /* no per-CPU array caches to drain */
    (void)s;
}

static unsigned long classic_shrink(struct kh *kh, struct kmem_cache *s)
{
    unsigned long pages = 0;
    while (s->free.tail)
        pages += release_free_slab(kh, s, s->free.tail);
    return pages;
}

static void classic_tunables(const struct kmem_cache *s, unsigned out[3])
{
    const struct classic *c = cl(s);
    out[0] = c->limit;
    out[1] = c->batchcount;
    out[2] = c->shared;
}

static unsigned classic_ksize(const struct kmem_cache *s) { return s->object_size; }

static unsigned classic_free_count(struct kh *kh, struct kmem_cache *s, struct slab *slab)
{
    (void)kh;
    (void)s;
    return slab->active <= slab->objects ? slab->objects - slab->active : 0;
}

/* ---- validation ---- */

#define V(out, inv, addr, ...) kh_violations_add_named(out, "slab", inv, (const void *)(addr), __VA_ARGS__)

static int cmp_ptr(const void *a, const void *b)
{
    uintptr_t x = (uintptr_t)*(void *const *)a, y = (uintptr_t)*(void *const *)b;
    return x < y ? -1 : x > y;
}

/* The list a slab with `active` objects in use belongs on. */
static enum kh_slab_list_id list_for(const struct slab *slab)
{
    if (slab->active == 0)
        return KH_SLAB_LIST_FREE;
    return slab->active == slab->objects ? KH_SLAB_LIST_FULL : KH_SLAB_LIST_PARTIAL;
}

/* Walks one list: links, counter, each slab's state. seen[] (sorted slab
 * pointers of the cache) gets a mark per slab found, so a slab on two
 * lists or on none is caught. */
KH_NO_COVERAGE
static unsigned check_list(struct kmem_cache *s, enum kh_slab_list_id id, struct slab **all,
                           uint8_t *seen, unsigned long nall, struct kh_violations *out)
{
    struct kh_slab_list *l = list_of(s, id);
    const char *name = kh_slab_list_name(id);
    unsigned n = 0;
    unsigned long count = 0;
    struct slab *prev = NULL;
    for (struct slab *slab = l->head; slab; prev = slab, slab = slab->next) {
        if (++count > nall)
            return n + V(out, "slab-list", s, "%s: slabs_%s longer than the slab count (cycle?)",
                         s->name, name);
        struct slab **hit = bsearch(&slab, all, nall, sizeof(*all), cmp_ptr);
        if (!hit) {
            n += V(out, "slab-list", slab, "%s: slabs_%s holds %p, not a slab of the cache",
                   s->name, name, (void *)slab);
            return n;
        }
        if (seen[hit - all]++)
            n += V(out, "slab-list", slab->base, "%s: slab %p is on more than one list", s->name,
                   (void *)slab->base);
        if (slab->list != id || slab->prev != prev)
            n += V(out, "slab-list", slab->base, "%s: slab %p on slabs_%s says %s", s->name,
                   (void *)slab->base, name, kh_slab_list_name(slab->list));
        if (slab->active <= slab->objects && list_for(slab) != id)
            n += V(out, "slab-list", slab->base,
                   "%s: slab %p with %u of %u objects in use is on slabs_%s, not slabs_%s",
                   s->name, (void *)slab->base, slab->active, slab->objects, name,
                   kh_slab_list_name(list_for(slab)));
    }
    if (count != l->nr || l->tail != prev)
        n += V(out, "slab-list", s, "%s: slabs_%s counter %lu, walk %lu", s->name, name, l->nr,
               count);
    return n;
}

/* The free index list: only valid slots, no duplicates, exactly the slots
 * the allocation map calls free. Returns violations; adds free slots. */
KH_NO_COVERAGE
static unsigned check_free_index(const struct kmem_cache *s, const struct slab *slab,
                                 uint8_t *free_seen, unsigned long *nfree,
                                 struct kh_violations *out)
{
    unsigned n = 0;
    if (slab->active > slab->objects)
        return V(out, "object-count", slab->base, "%s: slab %p has %u active of %u objects",
                 s->name, (void *)slab->base, slab->active, slab->objects);
    memset(free_seen, 0, slab->objects);
    for (unsigned i = slab->active; i < slab->objects; i++) {
        unsigned idx = slab->free_idx[i];
        if (idx >= slab->objects) {
            n += V(out, "freelist", slab->base, "%s: slab %p free index [%u] = %u, past %u objects",
                   s->name, (void *)slab->base, i, idx, slab->objects);
            continue;
        }
        if (free_seen[idx]++) {
            n += V(out, "freelist", kh_obj_at(s, slab, idx),
                   "%s: slab %p lists slot %u twice in its free index list", s->name,
                   (void *)slab->base, idx);
            continue;
        }
        if (kh_map_test(slab, idx))
            n += V(out, "freelist", kh_obj_at(s, slab, idx),
                   "%s: allocated object %p is on the free index list", s->name,
                   kh_obj_at(s, slab, idx));
    }
    *nfree += slab->objects - slab->active;
    if (slab->inuse != slab->active)
        n += V(out, "object-count", slab->base,
               "%s: slab %p: %u in use + %u free != %u objects", s->name, (void *)slab->base,
               slab->inuse, slab->objects - slab->active, slab->objects);
    return n;
}

KH_NO_COVERAGE
static unsigned check_geometry(const struct kh *kh, const struct kmem_cache *s,
                               const struct slab *slab, struct kh_violations *out)
{
    unsigned n = 0;
    unsigned colours = s->colour ? s->colour : 1;
    if (slab->colour_off % s->colour_off || slab->colour_off / s->colour_off >= colours)
        n += V(out, "slab-list", slab->base, "%s: slab %p colour offset %u outside 0..%u x %u",
               s->name, (void *)slab->base, slab->colour_off, colours - 1, s->colour_off);
    if (slab->order != s->order ||
        slab->objects != kh_slab_capacity(kh, s, slab->order, slab->colour_off))
        n += V(out, "object-count", slab->base, "%s: slab %p order %u with %u objects, cache says %u / %u",
               s->name, (void *)slab->base, slab->order, slab->objects, s->order, s->objects);
    return n;
}

KH_NO_COVERAGE
static unsigned classic_validate(struct kh *kh, struct kmem_cache *s, struct kh_violations *out)
{
    unsigned n = 0;
    unsigned long nall = 0;
    for (struct slab *slab = s->all_head; slab && nall <= s->nr_slabs; slab = slab->all_next)
        nall++;
    struct slab **all = calloc(nall ? nall : 1, sizeof(*all));
    uint8_t *seen = calloc(nall ? nall : 1, 1);
    uint8_t *free_seen = calloc(s->objects ? s->objects : 1, 1);
    if (!all || !seen || !free_seen)
        goto out;
    unsigned long i = 0, nfree = 0;
    for (struct slab *slab = s->all_head; slab && i < nall; slab = slab->all_next) {
        all[i++] = slab;
        n += check_geometry(kh, s, slab, out);
        if (slab->cpu != -1)   /* CPUs hold objects in their arrays, never a slab */
            n += V(out, "cpu-slab", slab->base, "%s: slab %p names CPU %d", s->name,
                   (void *)slab->base, slab->cpu);
        if (slab->objects <= s->objects)
            n += check_free_index(s, slab, free_seen, &nfree, out);
    }
    qsort(all, nall, sizeof(*all), cmp_ptr);
    n += check_list(s, KH_SLAB_LIST_PARTIAL, all, seen, nall, out);
    n += check_list(s, KH_SLAB_LIST_FULL, all, seen, nall, out);
    n += check_list(s, KH_SLAB_LIST_FREE, all, seen, nall, out);
    for (i = 0; i < nall; i++)
        if (!seen[i])
            n += V(out, "slab-list", all[i]->base, "%s: slab %p is on no list (says %s)", s->name,
                   (void *)all[i]->base, kh_slab_list_name(all[i]->list));
    if (nfree != s->free_objects)
        n += V(out, "cache-counters", s, "%s: free_objects %lu, the slabs hold %lu free", s->name,
               s->free_objects, nfree);
    if (s->colour_next >= (s->colour ? s->colour : 1))
        n += V(out, "cache-counters", s, "%s: colour_next %u not below colour %u", s->name,
               s->colour_next, s->colour);
out:
    free(all);
    free(seen);
    free(free_seen);
    return n;
}

/* Objects in use, and the slabs not on slabs_free. */
static void classic_slabinfo_active(const struct kmem_cache *s, unsigned long *objs,
                                    unsigned long *slabs)
{
    *objs = kh_slab_cache_inuse(s);
    *slabs = s->nr_slabs - s->free.nr;
}

const struct kh_slab_ops kh_slab_classic_ops = {
    .name = "slab",
    .index_freelist = true,
    .ksize = classic_ksize,
    .open = classic_open,
    .close = classic_close,
    .get_object = classic_get_object,
    .put_object = classic_put_object,
    .flush = classic_flush,
    .shrink = classic_shrink,
    .tunables = classic_tunables,
    .slabinfo_active = classic_slabinfo_active,
    .validate = classic_validate,
    .free_count = classic_free_count,
};
