/* oracle_quarantine.h - what the quarantine must do with a freed object.
 *
 * With quarantine_objects set (kmem.h), the slab layer holds freed objects
 * back from reuse, as KASAN's quarantine does, in one queue of that many
 * objects, first in, first out. Shrinking or destroying a cache releases
 * that cache's objects, and the slab shrinker releases all of them. So:
 *   - held back: an object a caller has just freed is in the quarantine,
 *     not free for the next allocation;
 *   - first in, first out: of two objects of one cache that entered the
 *     quarantine, the older leaves first, so an object handed out again
 *     finds none of its cache that was freed before it still held back.
 * Objects the allocator frees for itself (a mempool's reserve going back)
 * enter the queue unseen; they can push older ones out early, which these
 * rules allow, but they can also come back in after a seen object, so the
 * second rule is not judged in a run that created a mempool.
 * The object's state is read through the slab introspection
 * (kh_slab_object_lookup); the order and the rule are the oracle's own.
 */
#ifndef KH_FUZZ_ORACLE_QUARANTINE_H
#define KH_FUZZ_ORACLE_QUARANTINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kmem.h"

/* The newest objects the oracle follows; older ones are let go. */
#define ORACLE_QUARANTINE_TRACK 64u

struct oracle_quarantine {
    unsigned cap;           /* the configuration's quarantine_objects */
    bool fifo_off;          /* a mempool ran: objects came and went unseen */
    unsigned n;
    struct {
        uintptr_t obj;
        const void *cache;
    } e[ORACLE_QUARANTINE_TRACK];   /* oldest first */
};

void oracle_quarantine_init(struct oracle_quarantine *q, unsigned cap);

/* After a caller's legal free of p. Returns false, with why, when p was a
 * slab object and is not held back. */
bool oracle_quarantine_freed(struct oracle_quarantine *q, struct kh *kh, const void *p, char *why,
                             size_t cap);

/* After p was handed out. Returns false, with why, when an object of p's
 * cache that entered the quarantine before p is still in it. */
bool oracle_quarantine_handed_out(struct oracle_quarantine *q, struct kh *kh, const void *p,
                                  char *why, size_t cap);

#endif
