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
#include <string.h>

#include "introspect.h"
#include "slab_internal.h"

/* Each row is formatted into a local buffer and copied once, rather than
 * with snprintf: the fuzz targets render this text after every input, and
 * under ASan (and the fuzzer's comparison tracing) vsnprintf, or a copy
 * byte by byte into the caller's buffer, cost more than the walk over the
 * caches. */
struct textbuf { char *buf; size_t cap, len; };

/* Counts all n bytes and keeps what fits, as snprintf does. */
static void tb_put(struct textbuf *tb, const char *s, size_t n)
{
    if (tb->len < tb->cap)
        memcpy(tb->buf + tb->len, s, n < tb->cap - tb->len ? n : tb->cap - tb->len);
    tb->len += n;
}

static void tb_str(struct textbuf *tb, const char *s) { tb_put(tb, s, strlen(s)); }

/* " %*lu" at p: a blank, then v right-aligned in width columns. */
static char *put_number(char *p, unsigned long v, unsigned width)
{
    char digits[24], *d = digits + sizeof(digits);
    do
        *--d = (char)('0' + v % 10);
    while (v /= 10);
    size_t n = (size_t)(digits + sizeof(digits) - d);
    *p++ = ' ';
    if (n < width) {
        memset(p, ' ', width - n);
        p += width - n;
    }
    memcpy(p, d, n);
    return p + n;
}

/* One cache: "%-17s %6lu %6lu %6u %4u %4d : tunables %4u %4u %4u : slabdata
 * %6lu %6lu %6lu\n" in the kernel's terms. */
static void tb_row(struct textbuf *tb, const char *name, const unsigned long col[11])
{
    static const unsigned width[11] = { 6, 6, 6, 4, 4, 4, 4, 4, 6, 6, 6 };
    char row[17 + 11 * 24 + 32], *p = row;
    size_t n = strlen(name);
    tb_put(tb, name, n);
    if (n < 17) {
        memset(p, ' ', 17 - n);
        p += 17 - n;
    }
    for (int i = 0; i < 11; i++) {
        if (i == 5 || i == 8) {
            const char *label = i == 5 ? " : tunables" : " : slabdata";
            memcpy(p, label, 11);
            p += 11;
        }
        p = put_number(p, col[i], width[i]);
    }
    *p++ = '\n';
    tb_put(tb, row, (size_t)(p - row));
}

int kh_slabinfo(struct kh *kh, char *buf, size_t cap)
{
    struct textbuf tb = { buf, cap, 0 };
    tb_str(&tb, "slabinfo - version: 2.1\n");
    tb_str(&tb, "# name            <active_objs> <num_objs> <objsize> <objperslab> "
                   "<pagesperslab> : tunables <limit> <batchcount> <sharedfactor> : slabdata "
                   "<active_slabs> <num_slabs> <sharedavail>\n");
    /* The kernel's slab_caches list is walked from the newest cache. */
    for (struct kmem_cache *s = kh->slab->chain_tail; s; s = s->prev) {
        unsigned t[3] = { 0, 0, 0 };
        s->ops->tunables(s, t);
        unsigned long active, active_slabs;
        s->ops->slabinfo_active(s, &active, &active_slabs);
        const unsigned long col[11] = { active, s->nr_objects, s->size, s->objects, 1ul << s->order,
                                        t[0], t[1], t[2], active_slabs, s->nr_slabs, 0 };
        tb_row(&tb, s->name, col);
    }
    if (cap)
        buf[tb.len < cap ? tb.len : cap - 1] = '\0';
    return (int)tb.len;
}
