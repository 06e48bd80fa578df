/* oracle_quarantine.c - the quarantine's two rules (see oracle_quarantine.h). */
#include "oracle_quarantine.h"

#include <stdio.h>
#include <string.h>

#include "slab.h"

void oracle_quarantine_init(struct oracle_quarantine *q, unsigned cap)
{
    memset(q, 0, sizeof(*q));
    q->cap = cap;
}

static void drop(struct oracle_quarantine *q, unsigned i)
{
    memmove(&q->e[i], &q->e[i + 1], (q->n - i - 1) * sizeof(q->e[0]));
    q->n--;
}

static long find(const struct oracle_quarantine *q, uintptr_t obj)
{
    for (unsigned i = 0; i < q->n; i++)
        if (q->e[i].obj == obj)
            return i;
    return -1;
}

/* The state of the object starting at obj, or -1 when obj starts none. */
static int state_of(struct kh *kh, uintptr_t obj, struct kmem_cache **cache)
{
    struct kh_object_info info;
    if (kh_slab_object_lookup(kh, (const void *)obj, &info, cache) != 0 || info.addr != obj)
        return -1;
    return (int)info.state;
}

bool oracle_quarantine_freed(struct oracle_quarantine *q, struct kh *kh, const void *p, char *why,
                             size_t cap)
{
    if (!q->cap || !p)
        return true;
    struct kmem_cache *cache = NULL;
    int st = state_of(kh, (uintptr_t)p, &cache);
    if (st < 0)
        return true;   /* not a slab object: a large kmalloc went back to the pages */
    if (st != KH_OBJ_QUARANTINED) {
        snprintf(why, cap, "freed object %p is %s at once, not held back in the %u-object quarantine",
                 p, kh_object_state_name((enum kh_object_state)st), q->cap);
        return false;
    }
    long old = find(q, (uintptr_t)p);
    if (old >= 0)
        drop(q, (unsigned)old);   /* it left unseen and came back */
    if (q->n == ORACLE_QUARANTINE_TRACK)
        drop(q, 0);
    q->e[q->n].obj = (uintptr_t)p;
    q->e[q->n].cache = cache;
    q->n++;
    return true;
}

bool oracle_quarantine_handed_out(struct oracle_quarantine *q, struct kh *kh, const void *p,
                                  char *why, size_t cap)
{
    long i = q->n ? find(q, (uintptr_t)p) : -1;
    if (i < 0)
        return true;
    const void *cache = q->e[i].cache;
    bool ok = true;
    for (long j = 0; j < i && ok && !q->fifo_off; j++)
        if (q->e[j].cache == cache && state_of(kh, q->e[j].obj, NULL) == KH_OBJ_QUARANTINED) {
            snprintf(why, cap, "%p left the quarantine and was handed out again while %#lx, freed "
                     "to the same cache before it, is still held back (first in, first out)",
                     p, (unsigned long)q->e[j].obj);
            ok = false;
        }
    /* p and every older object of its cache have left */
    for (long j = i; j >= 0; j--)
        if (q->e[j].cache == cache)
            drop(q, (unsigned)j);
    return ok;
}
