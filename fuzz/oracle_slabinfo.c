/* oracle_slabinfo.c - /proc/slabinfo against the spec and the trace's own
 * object count (see oracle_slabinfo.h). */
#include "oracle_slabinfo.h"

#include <stdio.h>
#include <string.h>

int oracle_slabinfo_find(const char *text, const char *name, struct oracle_slabinfo_row *row)
{
    int found = -1;
    size_t n = strlen(name);
    /* The rows start after the version line and the "# name" column line:
     * a cache may be named "slabinfo" or "#" too. */
    const char *rows = text;
    for (int header = 0; header < 2 && rows; header++)
        rows = (rows = strchr(rows, '\n')) ? rows + 1 : NULL;
    for (const char *line = rows; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
        if (strncmp(line, name, n) != 0 || line[n] != ' ')
            continue;
        if (found == 0)
            return -3;
        struct oracle_slabinfo_row r;
        memset(&r, 0, sizeof(r));
        unsigned long shared;
        unsigned t0, t1, t2;
        int got = sscanf(line + n, " %lu %lu %u %u %u : tunables %u %u %u : slabdata %lu %lu %lu",
                         &r.active_objs, &r.num_objs, &r.objsize, &r.objperslab, &r.pagesperslab, &t0,
                         &t1, &t2, &r.active_slabs, &r.num_slabs, &shared);
        if (got != 11)
            return -2;
        snprintf(r.name, sizeof(r.name), "%s", name);
        *row = r;
        found = 0;
    }
    return found;
}

bool oracle_slabinfo_check(enum kh_slab_design design, const struct oracle_slab_geom *g,
                           const struct oracle_slabinfo_row *row, unsigned long live, char *why,
                           size_t cap)
{
    if (g->layout_known && (row->objsize != g->size || row->objperslab != g->objects ||
                            row->pagesperslab != 1u << g->order)) {
        snprintf(why, cap, "objsize %u, %u objects and %u pages per slab; the spec's geometry gives %u, %u "
                 "and %u", row->objsize, row->objperslab, row->pagesperslab, g->size, g->objects,
                 1u << g->order);
        return false;
    }
    /* SLAB slabs all have the cache's order; SLUB falls back to a smaller
     * one when memory is short, so its slabs hold at most objperslab. */
    bool fixed = design == KH_SLAB_SLAB;
    if (fixed ? row->num_objs != row->num_slabs * row->objperslab
              : row->num_objs > row->num_slabs * row->objperslab || row->num_objs < row->num_slabs) {
        snprintf(why, cap, "%lu objects in %lu slabs of %s%u", row->num_objs, row->num_slabs,
                 fixed ? "" : "at most ", row->objperslab);
        return false;
    }
    if (row->active_objs > row->num_objs || row->active_slabs > row->num_slabs || row->active_objs < live) {
        snprintf(why, cap, "%lu active of %lu objects, %lu active of %lu slabs, with %lu objects in use",
                 row->active_objs, row->num_objs, row->active_slabs, row->num_slabs, live);
        return false;
    }
    return true;
}
