/* oracle_slabinfo.h - what /proc/slabinfo must say about a cache (SPEC 5).
 *
 * The row of a cache the trace created is judged against the spec's
 * geometry for it (oracle_slab.h) and against the executor's own count of
 * the objects the trace holds: under SLUB the slot size, objects and pages
 * per slab are the geometry's; the total objects are the slabs times the
 * objects per slab (SLAB), or at most that (SLUB, whose slabs may fall back
 * to a smaller order); the active objects are at least the objects in use
 * (both designs count objects a CPU holds as active) and at most the total.
 */
#ifndef KH_ORACLE_SLABINFO_H
#define KH_ORACLE_SLABINFO_H

#include <stdbool.h>
#include <stddef.h>

#include "kmem.h"
#include "oracle_slab.h"

struct oracle_slabinfo_row {
    char name[64];
    unsigned long active_objs, num_objs;
    unsigned objsize, objperslab, pagesperslab;
    unsigned long active_slabs, num_slabs;
};

/* The row for name in slabinfo text; 0 found, -1 absent, -2 malformed,
 * -3 more than one row has that name. */
int oracle_slabinfo_find(const char *text, const char *name, struct oracle_slabinfo_row *row);

/* Judges a cache's row: g is its spec geometry, live the objects the trace
 * holds from it. On a disagreement writes what differs to why and returns
 * false. */
bool oracle_slabinfo_check(enum kh_slab_design design, const struct oracle_slab_geom *g,
                           const struct oracle_slabinfo_row *row, unsigned long live, char *why,
                           size_t cap);

#endif
