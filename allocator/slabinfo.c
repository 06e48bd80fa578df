/* slabinfo.c - /proc/slabinfo, version 2.1 (SPEC 5).
 *
 * One header line, one line naming the columns, then one row per cache,
 * newest first as the kernel walks its slab_caches list. The columns are
 * the kernel's: active and total objects, the slot size as objsize,
 * objects per slab, pages per slab, the design's tunables and active and
 * total slabs. What counts as active is the design's own rule, asked of
 * its ops table (slabinfo_active): SLUB reports CPU slabs fully in use,
 * classic SLAB counts objects in use and slabs not on slabs_free.
 *
 * The text is written into the caller's buffer, truncated to it, and the
 * full length returned, as snprintf does.
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

struct textbuf { char *buf; size_t cap, len; };

static void tb_printf(struct textbuf *tb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void tb_printf(struct textbuf *tb, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t room = tb->len < tb->cap ? tb->cap - tb->len : 0;
    int n = vsnprintf(room ? tb->buf + tb->len : NULL, room, fmt, ap);
    va_end(ap);
    if (n > 0)
        tb->len += (size_t)n;
}

int kh_slabinfo(struct kh *kh, char *buf, size_t cap)
{
    struct textbuf tb = { buf, cap, 0 };
    if (cap)
        buf[0] = '\0';
    tb_printf(&tb, "slabinfo - version: 2.1\n");
    tb_printf(&tb, "# name            <active_objs> <num_objs> <objsize> <objperslab> "
                   "<pagesperslab> : tunables <limit> <batchcount> <sharedfactor> : slabdata "
                   "<active_slabs> <num_slabs> <sharedavail>\n");
    /* The kernel's slab_caches list is walked from the newest cache. */
    for (struct kmem_cache *s = kh->slab->chain_tail; s; s = s->prev) {
        unsigned t[3] = { 0, 0, 0 };
        s->ops->tunables(s, t);
        unsigned long active, active_slabs;
        s->ops->slabinfo_active(s, &active, &active_slabs);
        tb_printf(&tb, "%-17s %6lu %6lu %6u %4u %4d : tunables %4u %4u %4u : slabdata %6lu %6lu %6lu\n",
                  s->name, active, s->nr_objects, s->size, s->objects, 1 << s->order, t[0], t[1],
                  t[2], active_slabs, s->nr_slabs, 0ul);
    }
    if (cap && tb.len >= cap)
        buf[cap - 1] = '\0';
    return (int)tb.len;
}
