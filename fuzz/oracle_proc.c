/* oracle_proc.c - the /proc texts against the spec's format (see
 * oracle_proc.h). */
#include "oracle_proc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "introspect.h"
#include "page_alloc.h"
#include "slab.h"
#include "text.h"

/* The check runs after every fuzz input: the texts are rendered into a
 * buffer kept across runs, once when it is big enough. */
struct text {
    char *p;
    size_t cap;
};

static const char *render(int (*fn)(struct kh *, char *, size_t), struct kh *kh, struct text *t)
{
    int n = t->p ? fn(kh, t->p, t->cap) : -1;
    if (t->p && n >= 0 && (size_t)n < t->cap)
        return t->p;
    if (n < 0 && (n = fn(kh, NULL, 0)) < 0)
        return NULL;
    char *p = realloc(t->p, (size_t)n + 4096);
    if (!p)
        return NULL;
    t->p = p;
    t->cap = (size_t)n + 4096;
    return fn(kh, t->p, t->cap) == n ? t->p : NULL;
}

/* An unsigned decimal after optional blanks; NULL when there is none. */
static const char *number(const char *p, unsigned long *v)
{
    while (*p == ' ')
        p++;
    if (*p < '0' || *p > '9')
        return NULL;
    for (*v = 0; *p >= '0' && *p <= '9'; p++)
        *v = *v * 10 + (unsigned long)(*p - '0');
    return p;
}

/* SPEC 4: the kernel's zone names (mm/page_alloc.c zone_names[]). This
 * file is pasted into C reproducers, so it names them itself. */
static const char *zone_name(int z)
{
    static const char *const names[MAX_NR_ZONES] = { "DMA", "DMA32", "Normal", "HighMem" };
    return names[z];
}

static int buddyinfo_fn(struct kh *kh, char *buf, size_t cap) { return kh_buddyinfo(kh, buf, cap); }

static bool check_buddyinfo(struct kh *kh, char *why, size_t cap)
{
    static struct text got_text;
    const char *got = render(buddyinfo_fn, kh, &got_text);
    if (!got)
        return true;   /* host out of memory */
    /* "Node 0, zone %8s " and "%6lu " per order, for each present zone */
    char want[MAX_NR_ZONES * (32 + KH_MAX_ORDER_LIMIT * (TEXT_NUMBER_MAX + 1)) + 1], *p = want;
    for (int z = 0; z < MAX_NR_ZONES; z++) {
        struct kh_zone_info zi;
        if (kh_zone_info(kh, (enum zone_type)z, &zi) != 0 || !zi.present)
            continue;
        p = text_str(text_str_right(text_str(p, "Node 0, zone "), zone_name(z), 8), " ");
        for (unsigned o = 0; o < kh_max_order(kh); o++)
            p = text_str(text_ulong_right(p, zi.nr_free[o], 6), " ");
        *p++ = '\n';
    }
    *p = '\0';
    bool same = strcmp(got, want) == 0;
    if (!same) {
        size_t i = 0;
        while (got[i] && got[i] == want[i])
            i++;
        snprintf(why, cap, "/proc/buddyinfo differs at byte %zu: \"%.60s\", the zones give \"%.60s\"", i,
                 got + i, want + i);
    }
    return same;
}

struct row {
    const char *p;        /* the row, up to its newline */
    size_t name_len;      /* the cache name at its start */
    unsigned count;       /* rows with this name (on the first of them) */
    long next;            /* next row in its hash bucket, -1 at the end */
};

#define ROW_BUCKETS 1024   /* a power of two */

static unsigned name_hash(const char *p, size_t n)
{
    unsigned h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)p[i]) * 16777619u;
    return h & (ROW_BUCKETS - 1);
}

struct rows {
    const char *text;     /* the rows of slabinfo */
    struct row *row;      /* each row, in text order */
    size_t nrows;
    long *bucket;         /* first row of each name hash, -1 for none */
    unsigned caches;
    bool slub;
    char *why;
    size_t cap;
    bool bad;
};

/* The first row named like p[0, n) in the buckets, or -1. */
static long lookup(const struct rows *r, const char *p, size_t n)
{
    long i = r->bucket[name_hash(p, n)];
    while (i >= 0 && (r->row[i].name_len != n || memcmp(r->row[i].p, p, n) != 0))
        i = r->row[i].next;
    return i;
}

/* Splits the rows once and files them by name, so that each cache finds
 * its row, and how many rows carry its name, without a walk of the text;
 * false when the host is out of memory. */
static bool index_rows(struct rows *r)
{
    static struct row *rows;
    static size_t cap;
    static long bucket[ROW_BUCKETS];
    for (size_t i = 0; i < ROW_BUCKETS; i++)
        bucket[i] = -1;
    r->bucket = bucket;
    r->nrows = 0;
    for (const char *p = r->text; *p;) {
        if (r->nrows == cap) {
            size_t ncap = cap ? cap * 2 : 256;
            struct row *n = realloc(rows, ncap * sizeof(*n));
            if (!n)
                return false;
            rows = n;
            cap = ncap;
        }
        struct row *w = &rows[r->nrows];
        w->p = p;
        w->name_len = strcspn(p, " \n");
        w->count = 1;
        w->next = -1;
        r->row = rows;
        long first = lookup(r, p, w->name_len);
        if (first >= 0) {
            rows[first].count++;
        } else {
            unsigned h = name_hash(p, w->name_len);
            w->next = bucket[h];
            bucket[h] = (long)r->nrows;
        }
        r->nrows++;
        const char *nl = strchr(p, '\n');
        p = nl ? nl + 1 : p + strlen(p);
    }
    r->row = rows;
    return true;
}

/* The row of the cache named name, or NULL; *count gets how many rows
 * carry that name. */
static const char *find_row(const struct rows *r, const char *name, unsigned *count)
{
    long i = lookup(r, name, strlen(name));
    *count = i >= 0 ? r->row[i].count : 0;
    return i >= 0 ? r->row[i].p : NULL;
}

/* SPEC 5: "%-17s %6lu %6lu %6u %4u %4d : tunables %4lu %4lu %4lu : slabdata
 * %6lu %6lu %6lu\n" of the cache's numbers, written without printf (this
 * runs for every cache after every input). Is the row of len bytes it? */
static bool row_as_spec(const char *row, size_t len, const struct kh_cache_info *ci,
                        unsigned long active, const unsigned long t[3], unsigned long active_slabs)
{
    char stack[512], *want = stack;
    size_t need = strlen(ci->name) + 17 + 12 * TEXT_NUMBER_MAX + 32;
    if (need > sizeof(stack) && !(want = malloc(need)))
        return true;   /* host out of memory: nothing to compare */
    char *p = text_str_left(want, ci->name, 17);
    const unsigned long counts[] = { active, ci->nr_objects, ci->size };
    for (int i = 0; i < 3; i++)
        p = text_ulong_right(text_str(p, " "), counts[i], 6);
    p = text_ulong_right(text_str(p, " "), ci->objects_per_slab, 4);
    p = text_ulong_right(text_str(p, " "), 1ul << ci->order, 4);
    p = text_str(p, " : tunables");
    for (int i = 0; i < 3; i++)
        p = text_ulong_right(text_str(p, " "), t[i], 4);
    p = text_str(p, " : slabdata");
    const unsigned long slabs[] = { active_slabs, ci->nr_slabs, 0 };
    for (int i = 0; i < 3; i++)
        p = text_ulong_right(text_str(p, " "), slabs[i], 6);
    *p++ = '\n';
    bool same = (size_t)(p - want) == len && memcmp(row, want, len) == 0;
    if (want != stack)
        free(want);
    return same;
}

static int check_row(void *ctx, const struct kh_cache_info *ci)
{
    struct rows *r = ctx;
    r->caches++;
    unsigned count;
    const char *row = find_row(r, ci->name, &count);
    if (count == 0) {
        snprintf(r->why, r->cap, "/proc/slabinfo has no row for cache %s", ci->name);
        r->bad = true;
        return 1;
    }
    if (count > 1)
        return 0;   /* caches may share a name: the row count below still holds */
    unsigned long active, active_slabs;
    if (!number(row + strlen(ci->name), &active)) {
        snprintf(r->why, r->cap, "/proc/slabinfo row of %s does not parse", ci->name);
        r->bad = true;
        return 1;
    }
    /* Searches stay inside the row: ASan's strstr measures the whole
     * haystack, which made this loop quadratic in the text. */
    size_t len = strcspn(row, "\n") + 1;
    const char *sd = memmem(row, len, ": slabdata ", strlen(": slabdata "));
    if (!sd || !number(sd + strlen(": slabdata "), &active_slabs)) {
        snprintf(r->why, r->cap, "/proc/slabinfo row of %s has no slabdata", ci->name);
        r->bad = true;
        return 1;
    }
    const char *tun = memmem(row, len, ": tunables ", strlen(": tunables "));
    unsigned long t[3] = { 0, 0, 0 };
    const char *q = tun ? tun + strlen(": tunables ") : NULL;
    for (int i = 0; i < 3 && q; i++)
        q = number(q, &t[i]);
    if (!q || (r->slub && (t[0] || t[1] || t[2]))) {
        snprintf(r->why, r->cap, "/proc/slabinfo row of %s: tunables wrong", ci->name);
        r->bad = true;
        return 1;
    }
    const char *why = NULL;
    if (!row_as_spec(row, len, ci, active, t, active_slabs))
        why = "the row is not the spec's format of the cache's numbers";
    else if (active < ci->nr_inuse || active > ci->nr_objects)
        why = "active objects outside [in use, total]";
    else if (active_slabs > ci->nr_slabs || (ci->nr_inuse && !active_slabs))
        why = "active slabs outside the slabs that hold objects";
    if (!why)
        return 0;
    snprintf(r->why, r->cap, "/proc/slabinfo, cache %s: %s: \"%.*s\" (in use %lu, slabs %lu, order %u)",
             ci->name, why, (int)(len > 120 ? 120 : len - 1), row, ci->nr_inuse, ci->nr_slabs, ci->order);
    r->bad = true;
    return 1;
}

static int slabinfo_fn(struct kh *kh, char *buf, size_t cap) { return kh_slabinfo(kh, buf, cap); }

static bool check_slabinfo(struct kh *kh, char *why, size_t cap)
{
    const struct kh_config *cfg = kh_get_config(kh);
    if (cfg->slab == KH_SLAB_SLOB)
        return true;   /* SLOB keeps no per-cache slabs to show */
    static struct text slabinfo;
    const char *text = render(slabinfo_fn, kh, &slabinfo);
    if (!text)
        return true;
    static const char head[] =
        "slabinfo - version: 2.1\n"
        "# name            <active_objs> <num_objs> <objsize> <objperslab> <pagesperslab> : tunables "
        "<limit> <batchcount> <sharedfactor> : slabdata <active_slabs> <num_slabs> <sharedavail>\n";
    bool ok = strncmp(text, head, sizeof(head) - 1) == 0;
    if (!ok)
        snprintf(why, cap, "/proc/slabinfo does not start with the version and column lines");
    struct rows r = { .text = text + (ok ? sizeof(head) - 1 : 0), .slub = cfg->slab == KH_SLAB_SLUB,
                      .why = why, .cap = cap };
    if (ok && !index_rows(&r))
        return true;   /* host out of memory */
    if (ok)
        kh_for_each_cache(kh, check_row, &r);
    if (ok && !r.bad) {
        if (r.nrows != r.caches) {
            snprintf(why, cap, "/proc/slabinfo has %zu rows for %u caches", r.nrows, r.caches);
            r.bad = true;
        }
    }
    return ok && !r.bad;
}

bool oracle_proc_check(struct kh *kh, char *why, size_t cap)
{
    return check_buddyinfo(kh, why, cap) && check_slabinfo(kh, why, cap);
}
