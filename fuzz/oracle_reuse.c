/* oracle_reuse.c - the object freed last is the next one handed out (see
 * oracle_reuse.h). */
#include "oracle_reuse.h"

#include <stdint.h>
#include <stdio.h>

#include "page_alloc.h"
#include "slab.h"

struct slab_holder {
    uintptr_t p;
    size_t page_size;
    struct oracle_slab_holder *out;
};

static int find_holder(void *ctx, const struct kh_slab_info *si)
{
    struct slab_holder *h = ctx;
    if (h->p < si->base || h->p - si->base >= h->page_size << si->order)
        return 0;
    *h->out = (struct oracle_slab_holder){ si->list, si->cpu };
    return 1;
}

bool oracle_slab_holder(struct kh *kh, struct kmem_cache *s, const void *p, struct oracle_slab_holder *out)
{
    struct slab_holder h = { (uintptr_t)p, kh_page_size(kh), out };
    return kh_for_each_slab(kh, s, find_holder, &h) == 1;
}

/* Does a free of p on cpu go onto that CPU's stack? */
static bool stacked(struct kh *kh, struct kmem_cache *s, const void *p, unsigned cpu)
{
    struct kh_cache_info ci;
    if (kh_slab_cache_info(kh, s, &ci) != 0 || (ci.flags & SLAB_DEBUG_FLAGS))
        return false;
    struct oracle_slab_holder h;
    return oracle_slab_holder(kh, s, p, &h) && h.list == KH_SLAB_LIST_CPU && h.cpu == (int)cpu;
}

void oracle_reuse_before_free(struct oracle_reuse *r, struct kh *kh, const void *p, unsigned cpu,
                              size_t op)
{
    r->cache = NULL;
    const struct kh_config *cfg = kh_get_config(kh);
    struct kh_object_info oi;
    struct kmem_cache *s;
    if (cfg->quarantine_objects || cfg->slab != KH_SLAB_SLUB ||
        kh_slab_object_lookup(kh, p, &oi, &s) != 0 || oi.addr != (uintptr_t)p ||
        oi.state != KH_OBJ_ALLOCATED || !stacked(kh, s, p, cpu))
        return;
    *r = (struct oracle_reuse){ s, p, cpu, op };
}

bool oracle_reuse_handed_out(struct oracle_reuse *r, struct kh *kh, const void *p, unsigned cpu, size_t op,
                             char *why, size_t cap)
{
    const struct kmem_cache *want = r->cache;
    r->cache = NULL;
    struct kh_object_info oi;
    struct kmem_cache *s;
    if (!want || op != r->op + 1 || cpu != r->cpu || p == r->obj ||
        kh_slab_object_lookup(kh, p, &oi, &s) != 0 || s != want)
        return true;
    snprintf(why, cap, "%p was handed out right after %p was freed to the same cache on CPU %u; the "
             "CPU's freelist is a stack, so the freed object comes back first", p, r->obj, r->cpu);
    return false;
}
