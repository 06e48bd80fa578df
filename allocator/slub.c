/* slub.c - the SLUB design: where free objects wait between allocations.
 *
 * Each simulated CPU owns a current slab and a freelist of that slab's free
 * objects (the kernel's lockless c->freelist); allocation pops it, a free
 * of an object of the current slab on the same CPU pushes it. Frees from
 * elsewhere go to the slab's own freelist (the kernel's "remote" free),
 * which the CPU takes over when its list runs dry. A slab that is nobody's
 * current slab is on the node partial list when it has free objects, and
 * on no list when full (on the full list only with SLAB_STORE_USER).
 * Empty slabs are freed as soon as the partial list holds min_partial
 * slabs. Per-CPU partial lists are not modelled.
 *
 * Debug caches (any of F/Z/P/U) bypass the CPU slab, as 6.1 does: every
 * allocation takes one object from a node-partial slab, so that each
 * operation goes through the debug checks.
 *
 * The slab order follows calculate_order() of 6.1 (SPEC 0b).
 */
#include <stdlib.h>
#include <string.h>

#include "introspect.h"
#include "slab_internal.h"

static unsigned fls_u(unsigned v) { return v ? 32u - (unsigned)__builtin_clz(v) : 0; }
static unsigned ilog2_u(unsigned v) { return fls_u(v) - 1; }

/* Smallest order from get_order(min_objects * size) up to max_order whose
 * leftover is at most 1/fract of the slab; max_order + 1 if none. */
static unsigned calc_slab_order(const struct kh *kh, unsigned size, unsigned min_objects,
                                unsigned max_order, unsigned fract)
{
    unsigned order = (unsigned)kh_get_order(kh, (unsigned long)min_objects * size);
    for (; order <= max_order; order++) {
        unsigned long slab_size = kh->page_size << order;
        if (slab_size % size <= slab_size / fract)
            break;
    }
    return order;
}

int kh_slub_calculate_order(const struct kh *kh, unsigned size)
{
    unsigned min_objects = 4 * (fls_u(kh->cfg.nr_cpus) + 1);
    unsigned max_objects = (unsigned)((kh->page_size << SLUB_MAX_ORDER) / size);
    if (min_objects > max_objects)
        min_objects = max_objects;
    for (; min_objects > 1; min_objects--) {
        for (unsigned fract = 16; fract >= 4; fract /= 2) {
            unsigned order = calc_slab_order(kh, size, min_objects, SLUB_MAX_ORDER, fract);
            if (order <= SLUB_MAX_ORDER)
                return (int)order;
        }
    }
    unsigned order = calc_slab_order(kh, size, 1, SLUB_MAX_ORDER, 1);
    if (order <= SLUB_MAX_ORDER)
        return (int)order;
    order = calc_slab_order(kh, size, 1, kh->max_order - 1, 1);
    if (order < kh->max_order)
        return (int)order;
    return -1;
}

static int slub_open(struct kh *kh, struct kmem_cache *s)
{
    int order = kh_slub_calculate_order(kh, s->size);
    if (order < 0)
        return -1;
    s->order = (unsigned)order;
    s->objects = (unsigned)((kh->page_size << order) / s->size);
    if (s->min_order > s->order)
        s->min_order = s->order;
#ifdef KH_PLANT_MIN_PARTIAL
    unsigned mp = ilog2_u(s->size);  /* planted bug: min_partial without the halving */
#else
    unsigned mp = ilog2_u(s->size) / 2;
#endif
    s->min_partial = mp < MIN_PARTIAL ? MIN_PARTIAL : mp > MAX_PARTIAL ? MAX_PARTIAL : mp;
    return 0;
}

static void slub_close(struct kh *kh, struct kmem_cache *s)
{
    (void)kh;
    (void)s;
}

#ifdef KH_PLANT_DEBUG_FASTPATH
/* planted bug: only user tracking keeps a debug cache off the per-CPU fast path */
static bool is_debug(const struct kmem_cache *s) { return (s->flags & SLAB_STORE_USER) != 0; }
#elif defined(KH_PLANT_ALL_DEBUG_PATH)
static bool is_debug(const struct kmem_cache *s) { (void)s; return true; }   /* planted bug: every cache takes the debug path */
#else
static bool is_debug(const struct kmem_cache *s) { return (s->flags & SLAB_DEBUG_FLAGS) != 0; }
#endif

static void *pop(const struct kmem_cache *s, void **list)
{
    void *obj = *list;
    *list = kh_get_fp(s, obj);
    return obj;
}

/* A slab left with `inuse` objects after a free or a deactivation: freed
 * when empty and the partial list is long enough, else put where its
 * state belongs. */
static void settle(struct kh *kh, struct kmem_cache *s, struct slab *slab)
{
    if (slab->inuse == 0 && s->partial.nr >= s->min_partial) {
        if (slab->list == KH_SLAB_LIST_PARTIAL)
            kh_slab_list_del(&s->partial, slab);
        else if (slab->list == KH_SLAB_LIST_FULL)
            kh_slab_list_del(&s->full, slab);
        kh_slab_discard(kh, s, slab);
        return;
    }
    if (slab->freelist) {
#ifdef KH_PLANT_SLAB_WRONG_LIST
        if (slab->list == KH_SLAB_LIST_NONE)
            return;  /* planted bug: a full slab that gains a free object stays on no list */
#endif
        if (slab->list == KH_SLAB_LIST_FULL)
            kh_slab_list_del(&s->full, slab);
        if (slab->list != KH_SLAB_LIST_PARTIAL)
            kh_slab_list_add(&s->partial, slab, KH_SLAB_LIST_PARTIAL, true);
    } else if (slab->list == KH_SLAB_LIST_NONE && (s->flags & SLAB_STORE_USER)) {
        kh_slab_list_add(&s->full, slab, KH_SLAB_LIST_FULL, true);
    }
}

/* Gives a CPU's slab back: its objects join the slab freelist. */
static void deactivate(struct kh *kh, struct kmem_cache *s, struct kh_cpu_slab *c)
{
    struct slab *slab = c->slab;
    if (!slab)
        return;
    while (c->freelist) {
        void *obj = pop(s, &c->freelist);
        kh_set_fp(s, obj, slab->freelist);
        slab->freelist = obj;
    }
    c->slab = NULL;
    slab->cpu = -1;
    slab->list = KH_SLAB_LIST_NONE;
    settle(kh, s, slab);
}

static void *debug_get_object(struct kh *kh, struct kmem_cache *s, gfp_t gfp)
{
    struct slab *slab = s->partial.head;
    if (!slab) {
        slab = kh_slab_new(kh, s, gfp, 0);
        if (!slab)
            return NULL;
        kh_slab_list_add(&s->partial, slab, KH_SLAB_LIST_PARTIAL, false);
    }
    void *obj = pop(s, &slab->freelist);
    if (!slab->freelist) {
        kh_slab_list_del(&s->partial, slab);
        if (s->flags & SLAB_STORE_USER)
            kh_slab_list_add(&s->full, slab, KH_SLAB_LIST_FULL, true);
    }
    return obj;
}

static void make_cpu_slab(struct kmem_cache *s, struct kh_cpu_slab *c, struct slab *slab, unsigned cpu)
{
    (void)s;
    c->slab = slab;
    slab->list = KH_SLAB_LIST_CPU;
    slab->cpu = (int)cpu;
    c->freelist = slab->freelist;
    slab->freelist = NULL;
}

static void *slub_get_object(struct kh *kh, struct kmem_cache *s, gfp_t gfp)
{
    struct kh_cpu_slab *c = &s->cpu[kh->current_cpu];
    if (__builtin_expect(c->freelist != NULL, 1))
        return pop(s, &c->freelist);
    if (is_debug(s))
        return debug_get_object(kh, s, gfp);
    if (c->slab) {
        if (c->slab->freelist) {   /* remote frees came in */
            c->freelist = c->slab->freelist;
            c->slab->freelist = NULL;
            return pop(s, &c->freelist);
        }
        deactivate(kh, s, c);
    }
    struct slab *slab = s->partial.head;
    if (slab) {
        kh_slab_list_del(&s->partial, slab);
    } else {
        slab = kh_slab_new(kh, s, gfp, 0);
        if (!slab)
            return NULL;
        c = &s->cpu[kh->current_cpu];   /* reclaim may have flushed it */
        if (c->slab)
            deactivate(kh, s, c);
    }
    make_cpu_slab(s, c, slab, kh->current_cpu);
    return pop(s, &c->freelist);
}

static void slub_put_object(struct kh *kh, struct kmem_cache *s, struct slab *slab, void *obj)
{
    struct kh_cpu_slab *c = &s->cpu[kh->current_cpu];
#ifdef KH_PLANT_FREE_TO_SLAB
    if (0) {   /* planted bug: the object goes to its slab's list, not the CPU's freelist */
#else
    if (__builtin_expect(slab == c->slab, 1)) {
#endif
        kh_set_fp(s, obj, c->freelist);
        c->freelist = obj;
        return;
    }
    kh_set_fp(s, obj, slab->freelist);
    slab->freelist = obj;
    if (slab->list == KH_SLAB_LIST_CPU)
        return;   /* another CPU's slab: it collects the object later */
    settle(kh, s, slab);
}

static void slub_flush(struct kh *kh, struct kmem_cache *s)
{
    for (unsigned cpu = 0; cpu < kh->cfg.nr_cpus; cpu++)
        deactivate(kh, s, &s->cpu[cpu]);
}

static unsigned long slub_shrink(struct kh *kh, struct kmem_cache *s)
{
    unsigned long pages = 0;
    for (struct slab *slab = s->partial.head, *next; slab; slab = next) {
        next = slab->next;
#ifdef KH_PLANT_SHRINK_KEEPS_EMPTY
        if (slab->inuse || s->partial.nr <= s->min_partial)  /* planted bug: shrink stops at min_partial */
#else
        if (slab->inuse)
#endif
            continue;
        pages += 1ul << slab->order;
        kh_slab_list_del(&s->partial, slab);
        kh_slab_discard(kh, s, slab);
    }
    return pages;
}

static void slub_tunables(const struct kmem_cache *s, unsigned out[3])
{
    (void)s;
    out[0] = out[1] = out[2] = 0;
}

#define V(out, inv, addr, ...) kh_violations_add_named(out, "slab", inv, (const void *)(addr), __VA_ARGS__)

KH_NO_COVERAGE
static unsigned check_list(struct kmem_cache *s, struct kh_slab_list *l, enum kh_slab_list_id id,
                           struct kh_violations *out)
{
    unsigned n = 0;
    unsigned long count = 0;
    struct slab *prev = NULL;
    for (struct slab *slab = l->head; slab; prev = slab, slab = slab->next) {
        if (++count > s->nr_slabs)
            return n + V(out, "slab-list", s, "%s: %s list longer than the slab count (cycle?)",
                         s->name, kh_slab_list_name(id));
        if (slab->list != id || slab->prev != prev)
            n += V(out, "slab-list", slab->base, "%s: slab %p on the %s list says %s", s->name,
                   (void *)slab->base, kh_slab_list_name(id), kh_slab_list_name(slab->list));
        if (id == KH_SLAB_LIST_PARTIAL && (!slab->freelist || slab->inuse >= slab->objects))
            n += V(out, "slab-list", slab->base, "%s: partial slab %p has no free object",
                   s->name, (void *)slab->base);
        if (id == KH_SLAB_LIST_FULL && slab->freelist)
            n += V(out, "slab-list", slab->base, "%s: full slab %p has free objects", s->name,
                   (void *)slab->base);
    }
    if (count != l->nr || l->tail != prev)
        n += V(out, "slab-list", s, "%s: %s list counter %lu, walk %lu", s->name,
               kh_slab_list_name(id), l->nr, count);
    return n;
}

KH_NO_COVERAGE
static unsigned slub_validate(struct kh *kh, struct kmem_cache *s, struct kh_violations *out)
{
    unsigned n = check_list(s, &s->partial, KH_SLAB_LIST_PARTIAL, out);
    n += check_list(s, &s->full, KH_SLAB_LIST_FULL, out);
    for (unsigned cpu = 0; cpu < kh->cfg.nr_cpus; cpu++) {
        struct kh_cpu_slab *c = &s->cpu[cpu];
        if (!c->slab) {
            if (c->freelist)
                n += V(out, "cpu-slab", c->freelist, "%s: CPU %u has a freelist but no slab",
                       s->name, cpu);
            continue;
        }
        if (c->slab->list != KH_SLAB_LIST_CPU || c->slab->cpu != (int)cpu || is_debug(s))
            n += V(out, "cpu-slab", c->slab->base, "%s: CPU %u slab %p marked %s/cpu %d", s->name,
                   cpu, (void *)c->slab->base, kh_slab_list_name(c->slab->list), c->slab->cpu);
    }
    for (struct slab *slab = s->all_head; slab; slab = slab->all_next) {
        if (slab->list == KH_SLAB_LIST_CPU &&
            (slab->cpu < 0 || (unsigned)slab->cpu >= kh->cfg.nr_cpus || s->cpu[slab->cpu].slab != slab))
            n += V(out, "cpu-slab", slab->base, "%s: slab %p claims CPU %d which does not own it",
                   s->name, (void *)slab->base, slab->cpu);
        if (slab->list == KH_SLAB_LIST_NONE && slab->freelist)
            n += V(out, "slab-list", slab->base, "%s: slab %p with free objects is on no list",
                   s->name, (void *)slab->base);
        if (slab->list == KH_SLAB_LIST_FREE)
            n += V(out, "slab-list", slab->base, "%s: SLUB slab %p on a free list", s->name,
                   (void *)slab->base);
    }
    return n;
}

static unsigned slub_free_count(struct kh *kh, struct kmem_cache *s, struct slab *slab)
{
    unsigned n = 0;
    for (void *p = slab->freelist; p && n <= slab->objects; p = kh_get_fp(s, p))
        n++;
    if (slab->list == KH_SLAB_LIST_CPU && slab->cpu >= 0 && (unsigned)slab->cpu < kh->cfg.nr_cpus)
        for (void *p = s->cpu[slab->cpu].freelist; p && n <= 2 * slab->objects; p = kh_get_fp(s, p))
            n++;
    return n;
}

/* SLUB counts only the free objects of node-partial slabs as free: CPU
 * slabs are reported fully in use, and every slab as active. */
static void slub_slabinfo_active(const struct kmem_cache *s, unsigned long *objs,
                                 unsigned long *slabs)
{
    unsigned long nfree = 0;
    for (const struct slab *slab = s->partial.head; slab; slab = slab->next)
        nfree += slab->objects - slab->inuse;
    *objs = s->nr_objects - nfree;
    *slabs = s->nr_slabs;
}

const struct kh_slab_ops kh_slub_ops = {
    .name = "slub",
    .fast_path = true,
    .open = slub_open,
    .close = slub_close,
    .get_object = slub_get_object,
    .put_object = slub_put_object,
    .flush = slub_flush,
    .shrink = slub_shrink,
    .tunables = slub_tunables,
    .slabinfo_active = slub_slabinfo_active,
    .validate = slub_validate,
    .free_count = slub_free_count,
};
