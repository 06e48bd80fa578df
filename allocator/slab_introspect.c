/* slab_introspect.c - the slab layer seen from outside: caches, slabs and
 * objects as data.
 *
 * The introspection API (introspect.h) describes every cache on the chain
 * (kh_slab_cache_info, kh_for_each_cache), every slab of a cache with its
 * list and counters (kh_for_each_slab), every slot of a slab with its state
 * (free, allocated, quarantined: kh_for_each_object) and the object any
 * address falls in (kh_slab_object_lookup). Tests, the conformance suite and
 * the fuzzers' oracles read the allocator's state through it instead of
 * through struct kmem_cache.
 *
 * It only reads: nothing here changes a cache, a slab or the quarantine.
 * The cache core is slab_common.c; /proc/slabinfo is slabinfo.c.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "introspect.h"
#include "slab_internal.h"

const char *kh_slab_list_name(enum kh_slab_list_id l)
{
    static const char *const names[] = { "none", "cpu", "partial", "full", "free" };
    return (unsigned)l < sizeof(names) / sizeof(names[0]) ? names[l] : "?";
}

const char *kh_object_state_name(enum kh_object_state st)
{
    static const char *const names[] = { "free", "allocated", "quarantined" };
    return (unsigned)st < 3 ? names[st] : "?";
}

unsigned long kh_slab_cache_inuse(const struct kmem_cache *s)
{
    unsigned long n = 0;
    for (const struct slab *slab = s->all_head; slab; slab = slab->all_next)
        n += slab->inuse;
    return n;
}

int kh_slab_cache_info(struct kh *kh, const struct kmem_cache *s, struct kh_cache_info *o)
{
    (void)kh;
    memset(o, 0, sizeof(*o));
    o->cache = s;
    o->name = s->name;
    o->design = s->ops->name;
    o->object_size = s->object_size;
    o->size = s->size;
    o->align = s->align;
    o->offset = s->offset;
    o->inuse = s->inuse;
    o->red_left_pad = s->red_left_pad;
    o->order = s->order;
    o->objects_per_slab = s->objects;
    o->min_partial = s->min_partial;
    o->ksize = kh_slab_ksize(s);
    o->flags = s->flags & ~(slab_flags_t)(__OBJECT_POISON | KH_CACHE_KMALLOC_RZ);
    o->has_ctor = s->ctor != NULL;
    o->is_kmalloc = s->is_kmalloc;
    o->dead = s->state != KH_CACHE_LIVE;
    o->refcount = s->refcount;
    o->nr_slabs = s->nr_slabs;
    o->nr_objects = s->nr_objects;
    o->nr_inuse = kh_slab_cache_inuse(s);
    o->nr_partial = s->partial.nr;
    o->nr_full = s->full.nr;
    o->nr_free = s->free.nr;
    o->errors = s->errors;
    o->colour_off = s->colour_off;
    o->colour = s->colour;
    return 0;
}

int kh_for_each_cache(struct kh *kh, kh_cache_fn fn, void *ctx)
{
    struct kh_cache_info info;
    for (struct kmem_cache *s = kh->slab->chain_head; s; s = s->next) {
        kh_slab_cache_info(kh, s, &info);
        int r = fn(ctx, &info);
        if (r)
            return r;
    }
    return 0;
}

unsigned kh_slab_cache_count(struct kh *kh) { return kh->slab->nr_caches; }

struct kmem_cache *kh_slab_cache_at(struct kh *kh, unsigned i)
{
    struct kmem_cache *s = kh->slab->chain_head;
    while (s && i--)
        s = s->next;
    return s;
}

struct kmem_cache *kh_slab_find_cache(struct kh *kh, const char *name)
{
    for (struct kmem_cache *s = kh->slab->chain_head; s; s = s->next)
        if (strcmp(s->name, name) == 0)
            return s;
    return NULL;
}

static void slab_info(struct kh *kh, struct kmem_cache *s, struct slab *slab, struct kh_slab_info *o)
{
    o->base = (uintptr_t)slab->base;
    o->order = slab->order;
    o->objects = slab->objects;
    o->inuse = slab->inuse;
    o->quarantined = slab->quarantined;
    o->free = slab->objects - slab->inuse;
    o->list = slab->list;
    o->cpu = slab->cpu;
    o->colour_off = slab->colour_off;
    (void)kh;
    (void)s;
}

int kh_for_each_slab(struct kh *kh, struct kmem_cache *s, kh_slab_fn fn, void *ctx)
{
    struct kh_slab_info info;
    for (struct slab *slab = s->all_head; slab; slab = slab->all_next) {
        slab_info(kh, s, slab, &info);
        int r = fn(ctx, &info);
        if (r)
            return r;
    }
    return 0;
}

static void object_info(const struct kmem_cache *s, const struct slab *slab, unsigned i,
                        struct kh_object_info *o)
{
    memset(o, 0, sizeof(*o));
    o->addr = (uintptr_t)kh_obj_at(s, slab, i);
    o->index = i;
    o->state = !kh_map_test(slab, i) ? KH_OBJ_FREE
               : kh_slab_quarantined(slab, i) ? KH_OBJ_QUARANTINED : KH_OBJ_ALLOCATED;
    o->requested = kh_slab_req_size(s, slab, i);
    if (s->flags & SLAB_STORE_USER) {
        kh_debug_get_track(s, (void *)o->addr, false, &o->alloc_caller, &o->alloc_cpu);
        kh_debug_get_track(s, (void *)o->addr, true, &o->free_caller, &o->free_cpu);
    }
}

int kh_for_each_object(struct kh *kh, struct kmem_cache *s, uintptr_t slab_base, kh_object_fn fn,
                       void *ctx)
{
    struct slab *slab = kh_slab_of(kh, (const void *)slab_base);
    if (!slab || slab->cache != s || (uintptr_t)slab->base != slab_base)
        return -1;
    struct kh_object_info info;
    for (unsigned i = 0; i < slab->objects; i++) {
        object_info(s, slab, i, &info);
        int r = fn(ctx, &info);
        if (r)
            return r;
    }
    return 0;
}

int kh_slab_object_lookup(struct kh *kh, const void *p, struct kh_object_info *out,
                          struct kmem_cache **cache)
{
    struct slab *slab = kh_slab_of(kh, p);
    if (!slab)
        return -1;
    struct kmem_cache *s = slab->cache;
    const unsigned char *slot0 = slab->first - s->red_left_pad;
    if ((const unsigned char *)p < slot0)
        return -1;
    unsigned long i = (unsigned long)((const unsigned char *)p - slot0) / s->size;
    if (i >= slab->objects)
        return -1;
    object_info(s, slab, (unsigned)i, out);
    if (cache)
        *cache = s;
    return 0;
}
