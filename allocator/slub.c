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
 * Concurrency (preempt.h). The CPU's freelist is popped and pushed by a
 * compare-and-swap on (freelist, tid), as the kernel's fast path does; a
 * slab's own freelist by one on (freelist, freelist_seq). The slow path
 * runs under the CPU's local lock, and the partial list only moves under
 * the cache's list lock (the kernel's per-node list_lock). A slab that is
 * a CPU's is "frozen": remote frees push onto it without a list move. In
 * single-task mode the locks do nothing and every swap succeeds at once.
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

/* ---- compare-and-swap on freelists ----------------------------------------
 * The kernel pops and pushes a CPU's freelist with this_cpu_cmpxchg_double
 * on (freelist, tid). The tid, bumped by every change, makes a task that
 * was preempted between reading the head and swapping it retry even when
 * the head is the same object again (ABA). A slab's own freelist, which
 * other CPUs push to, is swapped with cmpxchg_double on (freelist,
 * counters). Tasks switch only at preemption points (preempt.h), so a
 * compare-and-store with no point inside is atomic here in the same way. */
static bool cpu_cas(struct kh_cpu_slab *c, void *old, unsigned long tid, void *new)
{
#ifdef KH_PLANT_SLUB_ABA
    (void)tid;
    if (c->freelist != old)   /* planted bug: the transaction id is not compared (ABA) */
#else
    if (c->freelist != old || c->tid != tid)
#endif
        return false;
    c->freelist = new;
    c->tid++;
    return true;
}

static bool slab_cas(struct slab *slab, void *old, unsigned long seq, void *new)
{
    if (slab->freelist != old || slab->freelist_seq != seq)
        return false;
    slab->freelist = new;
    slab->freelist_seq++;
    return true;
}

/* The fast path's pop; NULL when the CPU's freelist is empty. */
static void *cpu_pop(struct kh *kh, const struct kmem_cache *s, struct kh_cpu_slab *c)
{
    for (;;) {
        unsigned long tid = c->tid;
        void *obj = c->freelist;
        if (!obj)
            return NULL;
        void *next = kh_get_fp(s, obj);
        kh_preempt_point(kh, KH_PP_CPU_FREELIST_POP);
        if (cpu_cas(c, obj, tid, next))
            return obj;
    }
}

/* The fast path's free; false when slab is not (or no longer) the CPU's. */
static bool cpu_push(struct kh *kh, const struct kmem_cache *s, struct kh_cpu_slab *c,
                     const struct slab *slab, void *obj)
{
    for (;;) {
        unsigned long tid = c->tid;
        void *head = c->freelist;
        if (c->slab != slab)
            return false;
        kh_set_fp(s, obj, head);
        kh_preempt_point(kh, KH_PP_CPU_FREELIST_PUSH);
#ifdef KH_PLANT_SLUB_PUSH_STORE
        (void)tid;
        c->freelist = obj;   /* planted bug: a plain store where the kernel swaps */
        return true;
#else
        if (cpu_cas(c, head, tid, obj))
            return true;
#endif
    }
}

/* Pushes obj onto its slab's own freelist, against concurrent pushes. */
static void slab_push(struct kh *kh, const struct kmem_cache *s, struct slab *slab, void *obj)
{
    for (;;) {
        void *prior = slab->freelist;
        unsigned long seq = slab->freelist_seq;
        kh_set_fp(s, obj, prior);
        kh_preempt_point(kh, KH_PP_SLAB_FREELIST);
        if (slab_cas(slab, prior, seq, obj))
            return;
    }
}

/* Takes a slab's whole freelist (remote frees, or a slab becoming a CPU's). */
static void *slab_take_freelist(struct kh *kh, struct slab *slab)
{
    for (;;) {
        void *head = slab->freelist;
        unsigned long seq = slab->freelist_seq;
        kh_preempt_point(kh, KH_PP_SLAB_FREELIST);
        if (slab_cas(slab, head, seq, NULL))
            return head;
    }
}

/* ---- slabs on lists (under s->list_lock) ---------------------------------- */

/* The kernel's add_partial and remove_partial begin with
 * lockdep_assert_held(&n->list_lock); so do these, when tasks interleave. */
static void assert_list_locked(struct kh *kh, struct kmem_cache *s)
{
    if (__builtin_expect(kh->preempt == NULL, 1) || s->list_lock.holder == kh->current_task + 1)
        return;
    kh_report(kh, KH_SEV_WARN, KH_R_WARN, "slub", "list_lock not held", (uintptr_t)s,
              "WARNING: CPU: %u PID: %u at mm/slub.c: lockdep_assert_held(&n->list_lock): "
              "a slab of %s moves between lists without the list lock\n",
              kh->current_cpu, kh->current_task + 1, s->name);
}

static void list_add(struct kh *kh, struct kmem_cache *s, struct kh_slab_list *l, struct slab *slab,
                     enum kh_slab_list_id id, bool tail)
{
    assert_list_locked(kh, s);
    kh_slab_list_add(l, slab, id, tail);
}

static void list_del(struct kh *kh, struct kmem_cache *s, struct kh_slab_list *l, struct slab *slab)
{
    assert_list_locked(kh, s);
    kh_slab_list_del(l, slab);
}

/* No object of the slab is held or on its way back. A task preempted
 * inside a free has uncounted its object (kh_slab_free) but not yet pushed
 * it, so with tasks interleaving the freelist must hold every object. */
static bool slab_all_free(const struct kh *kh, const struct kmem_cache *s, const struct slab *slab)
{
    if (slab->inuse)
        return false;
    if (!kh->preempt)
        return true;
    unsigned n = 0;
    for (void *p = slab->freelist; p && n <= slab->objects; p = kh_get_fp(s, p))
        n++;
    return n == slab->objects;
}

/* A slab left with `inuse` objects after a free or a deactivation: freed
 * when empty and the partial list is long enough, else put where its
 * state belongs. */
static void settle(struct kh *kh, struct kmem_cache *s, struct slab *slab)
{
    if (slab_all_free(kh, s, slab) && s->partial.nr >= s->min_partial) {
        if (slab->list == KH_SLAB_LIST_PARTIAL)
            list_del(kh, s, &s->partial, slab);
        else if (slab->list == KH_SLAB_LIST_FULL)
            list_del(kh, s, &s->full, slab);
        kh_slab_discard(kh, s, slab);
        return;
    }
    if (slab->freelist) {
#ifdef KH_PLANT_SLAB_WRONG_LIST
        if (slab->list == KH_SLAB_LIST_NONE)
            return;  /* planted bug: a full slab that gains a free object stays on no list */
#endif
        if (slab->list == KH_SLAB_LIST_FULL)
            list_del(kh, s, &s->full, slab);
        if (slab->list != KH_SLAB_LIST_PARTIAL)
            list_add(kh, s, &s->partial, slab, KH_SLAB_LIST_PARTIAL, true);
    } else if (slab->list == KH_SLAB_LIST_NONE && (s->flags & SLAB_STORE_USER)) {
        list_add(kh, s, &s->full, slab, KH_SLAB_LIST_FULL, true);
    }
}

/* A slab becomes a CPU's ("frozen" in the kernel): frees from elsewhere
 * then go to its freelist without any list move. */
static void freeze(struct slab *slab, unsigned cpu)
{
    slab->list = KH_SLAB_LIST_CPU;
    slab->cpu = (int)cpu;
    slab->freelist_seq++;
}

/* Gives a CPU's slab back: its objects join the slab freelist. Runs under
 * the CPU's local lock, or with every task quiescent (flush). */
static void deactivate(struct kh *kh, struct kmem_cache *s, struct kh_cpu_slab *c)
{
    struct slab *slab = c->slab;
    if (!slab)
        return;
    void *list = c->freelist;
    c->freelist = NULL;
    c->slab = NULL;
    c->tid++;
    while (list) {
        void *obj = list;
        list = kh_get_fp(s, obj);
        slab_push(kh, s, slab, obj);
    }
    kh_lock(kh, &s->list_lock);
    slab->cpu = -1;
    slab->list = KH_SLAB_LIST_NONE;
    slab->freelist_seq++;
    settle(kh, s, slab);
    kh_unlock(kh, &s->list_lock);
}

static void *debug_get_object(struct kh *kh, struct kmem_cache *s, gfp_t gfp)
{
    kh_lock(kh, &s->list_lock);
    struct slab *slab = s->partial.head;
    if (!slab) {
        slab = kh_slab_new(kh, s, gfp, 0);
        if (!slab) {
            kh_unlock(kh, &s->list_lock);
            return NULL;
        }
        list_add(kh, s, &s->partial, slab, KH_SLAB_LIST_PARTIAL, false);
    }
    void *obj = slab->freelist;
    slab->freelist = kh_get_fp(s, obj);
    if (!slab->freelist) {
        list_del(kh, s, &s->partial, slab);
        if (s->flags & SLAB_STORE_USER)
            list_add(kh, s, &s->full, slab, KH_SLAB_LIST_FULL, true);
    }
    kh_unlock(kh, &s->list_lock);
    return obj;
}

/* The head of the partial list, taken off it and frozen for cpu. */
static struct slab *partial_take(struct kh *kh, struct kmem_cache *s, unsigned cpu)
{
    kh_lock(kh, &s->list_lock);
    struct slab *slab = s->partial.head;
    if (slab) {
        list_del(kh, s, &s->partial, slab);
        freeze(slab, cpu);
    }
    kh_unlock(kh, &s->list_lock);
    return slab;
}

/* slab (frozen for this CPU) becomes the CPU's slab; returns the first of
 * its free objects and leaves the rest on the CPU's freelist. */
static void *cpu_install(struct kh *kh, const struct kmem_cache *s, struct kh_cpu_slab *c,
                         struct slab *slab)
{
    void *obj = slab_take_freelist(kh, slab);
    c->slab = slab;
    c->freelist = kh_get_fp(s, obj);
    c->tid++;
    return obj;
}

/* The kernel's ___slab_alloc, under the CPU's local lock. */
static void *slow_get_object(struct kh *kh, struct kmem_cache *s, struct kh_cpu_slab *c,
                             unsigned cpu, gfp_t gfp)
{
    void *obj = cpu_pop(kh, s, c);   /* another task of this CPU refilled it */
    if (obj)
        return obj;
    if (c->slab) {
        if (c->slab->freelist)   /* remote frees came in */
            return cpu_install(kh, s, c, c->slab);
        deactivate(kh, s, c);
    }
    struct slab *slab = partial_take(kh, s, cpu);
    if (!slab) {
        slab = kh_slab_new(kh, s, gfp, 0);
        if (!slab)
            return NULL;
        if (c->slab)   /* reclaim may have flushed it */
            deactivate(kh, s, c);
        freeze(slab, cpu);
    }
    return cpu_install(kh, s, c, slab);
}

static void *slub_get_object(struct kh *kh, struct kmem_cache *s, gfp_t gfp)
{
    unsigned cpu = kh->current_cpu;
    struct kh_cpu_slab *c = &s->cpu[cpu];
    void *obj = cpu_pop(kh, s, c);
    if (__builtin_expect(obj != NULL, 1))
        return obj;
    if (is_debug(s))
        return debug_get_object(kh, s, gfp);
    kh_lock(kh, &c->lock);
    obj = slow_get_object(kh, s, c, cpu, gfp);
    kh_unlock(kh, &c->lock);
    return obj;
}

/* The kernel's __slab_free: an object of a slab that is not this CPU's.
 * A slab some CPU owns takes it without a list move; any other slab may
 * have to move or go, so the list lock is taken first. (The kernel skips
 * the lock when the counters show no move will follow.) */
static void slab_free_remote(struct kh *kh, struct kmem_cache *s, struct slab *slab, void *obj)
{
    bool locked = false;
    for (;;) {
        void *prior = slab->freelist;
        unsigned long seq = slab->freelist_seq;
        if (slab->list != KH_SLAB_LIST_CPU && !locked) {
#ifdef KH_PLANT_SLUB_REMOTE_NO_LOCK
            (void)0;   /* planted bug: the slab's lists move without the list lock */
#else
            kh_lock(kh, &s->list_lock);
#endif
            locked = true;
            continue;   /* look again: the slab may have changed meanwhile */
        }
        kh_set_fp(s, obj, prior);
        kh_preempt_point(kh, KH_PP_SLAB_FREELIST);
#ifdef KH_PLANT_SLUB_REMOTE_STORE
        (void)seq;
        slab->freelist = obj;   /* planted bug: a plain store where the kernel swaps */
        slab->freelist_seq++;
        break;
#else
        if (slab_cas(slab, prior, seq, obj))
            break;
#endif
    }
    if (!locked)
        return;
    if (slab->list != KH_SLAB_LIST_CPU)
        settle(kh, s, slab);
#ifndef KH_PLANT_SLUB_REMOTE_NO_LOCK
    kh_unlock(kh, &s->list_lock);
#endif
}

static void slub_put_object(struct kh *kh, struct kmem_cache *s, struct slab *slab, void *obj)
{
    struct kh_cpu_slab *c = &s->cpu[kh->current_cpu];
#ifdef KH_PLANT_FREE_TO_SLAB
    if (0) {   /* planted bug: the object goes to its slab's list, not the CPU's freelist */
#else
    if (__builtin_expect(slab == c->slab, 1)) {
#endif
        if (cpu_push(kh, s, c, slab, obj))
            return;
    }
    slab_free_remote(kh, s, slab, obj);
}

static void slub_flush(struct kh *kh, struct kmem_cache *s)
{
    for (unsigned cpu = 0; cpu < kh->cfg.nr_cpus; cpu++)
        deactivate(kh, s, &s->cpu[cpu]);
}

static unsigned long slub_shrink(struct kh *kh, struct kmem_cache *s)
{
    unsigned long pages = 0;
    kh_lock(kh, &s->list_lock);
    for (struct slab *slab = s->partial.head, *next; slab; slab = next) {
        next = slab->next;
#ifdef KH_PLANT_SHRINK_KEEPS_EMPTY
        if (!slab_all_free(kh, s, slab) || s->partial.nr <= s->min_partial)  /* planted bug: shrink stops at min_partial */
#else
        if (!slab_all_free(kh, s, slab))
#endif
            continue;
        pages += 1ul << slab->order;
        list_del(kh, s, &s->partial, slab);
        kh_slab_discard(kh, s, slab);
    }
    kh_unlock(kh, &s->list_lock);
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
    unsigned long claims[KH_SLAB_LIST_FREE + 1] = { 0 };
    for (struct slab *slab = s->all_head; slab; slab = slab->all_next) {
        if ((unsigned)slab->list <= KH_SLAB_LIST_FREE)
            claims[slab->list]++;
        if (slab->list == KH_SLAB_LIST_CPU &&
            (slab->cpu < 0 || (unsigned)slab->cpu >= kh->cfg.nr_cpus || s->cpu[slab->cpu].slab != slab))
            n += V(out, "cpu-slab", slab->base, "%s: slab %p claims CPU %d which does not own it",
                   s->name, (void *)slab->base, slab->cpu);
        if (slab->list != KH_SLAB_LIST_CPU && slab->cpu != -1)
            n += V(out, "cpu-slab", slab->base, "%s: slab %p on the %s list names CPU %d", s->name,
                   (void *)slab->base, kh_slab_list_name(slab->list), slab->cpu);
        if (slab->list == KH_SLAB_LIST_NONE && slab->freelist)
            n += V(out, "slab-list", slab->base, "%s: slab %p with free objects is on no list",
                   s->name, (void *)slab->base);
        if (slab->list == KH_SLAB_LIST_FREE)
            n += V(out, "slab-list", slab->base, "%s: SLUB slab %p on a free list", s->name,
                   (void *)slab->base);
    }
    /* a slab that names a list it is not on (the walks above see members only) */
    if (claims[KH_SLAB_LIST_PARTIAL] != s->partial.nr || claims[KH_SLAB_LIST_FULL] != s->full.nr)
        n += V(out, "slab-list", s, "%s: %lu slabs say partial and %lu full, the lists hold %lu and %lu",
               s->name, claims[KH_SLAB_LIST_PARTIAL], claims[KH_SLAB_LIST_FULL], s->partial.nr,
               s->full.nr);
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
