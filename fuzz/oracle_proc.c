/* oracle_proc.c - the /proc texts against the spec's format (see
 * oracle_proc.h). */
#include "oracle_proc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "introspect.h"
#include "page_alloc.h"
#include "slab.h"

static char *render(int (*fn)(struct kh *, char *, size_t), struct kh *kh)
{
    int n = fn(kh, NULL, 0);
    if (n < 0)
        return NULL;
    char *buf = malloc((size_t)n + 1);
    if (buf && fn(kh, buf, (size_t)n + 1) != n) {
        free(buf);
        return NULL;
    }
    return buf;
}

static int buddyinfo_fn(struct kh *kh, char *buf, size_t cap) { return kh_buddyinfo(kh, buf, cap); }

static bool check_buddyinfo(struct kh *kh, char *why, size_t cap)
{
    char *got = render(buddyinfo_fn, kh);
    if (!got)
        return true;   /* host out of memory */
    size_t wcap = 4096, len = 0;
    char *want = malloc(wcap);
    bool ok = want != NULL;
    for (int z = 0; ok && z < MAX_NR_ZONES; z++) {
        struct kh_zone_info zi;
        if (kh_zone_info(kh, (enum zone_type)z, &zi) != 0 || !zi.present)
            continue;
        len += (size_t)snprintf(want + len, wcap - len, "Node 0, zone %8s ", zi.name);
        for (unsigned o = 0; o < kh_max_order(kh) && len < wcap; o++)
            len += (size_t)snprintf(want + len, wcap - len, "%6lu ", zi.nr_free[o]);
        if (len < wcap)
            len += (size_t)snprintf(want + len, wcap - len, "\n");
        ok = len < wcap;
    }
    bool same = !ok || strcmp(got, want) == 0;
    if (!same) {
        size_t i = 0;
        while (got[i] && got[i] == want[i])
            i++;
        snprintf(why, cap, "/proc/buddyinfo differs at byte %zu: \"%.60s\", the zones give \"%.60s\"", i,
                 got + i, want + i);
    }
    free(want);
    free(got);
    return same;
}

struct rows {
    const char *text;     /* the rows of slabinfo */
    unsigned caches;
    bool slub;
    char *why;
    size_t cap;
    bool bad;
};

/* The row of the cache named like ci, or NULL; *count gets how many rows
 * carry that name. */
static const char *find_row(const char *text, const char *name, unsigned *count)
{
    const char *row = NULL;
    size_t n = strlen(name);
    *count = 0;
    for (const char *p = text; *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : p + strlen(p))
        if (strncmp(p, name, n) == 0 && p[n] == ' ' && (*count)++ == 0)
            row = p;
    return row;
}

static int check_row(void *ctx, const struct kh_cache_info *ci)
{
    struct rows *r = ctx;
    r->caches++;
    unsigned count;
    const char *row = find_row(r->text, ci->name, &count);
    if (count == 0) {
        snprintf(r->why, r->cap, "/proc/slabinfo has no row for cache %s", ci->name);
        r->bad = true;
        return 1;
    }
    if (count > 1)
        return 0;   /* caches may share a name: the row count below still holds */
    unsigned long active, active_slabs;
    char name[128];
    if (sscanf(row, "%127s %lu", name, &active) != 2) {
        snprintf(r->why, r->cap, "/proc/slabinfo row of %s does not parse", ci->name);
        r->bad = true;
        return 1;
    }
    const char *sd = strstr(row, ": slabdata ");
    if (!sd || sscanf(sd, ": slabdata %lu", &active_slabs) != 1) {
        snprintf(r->why, r->cap, "/proc/slabinfo row of %s has no slabdata", ci->name);
        r->bad = true;
        return 1;
    }
    const char *tun = strstr(row, ": tunables ");
    unsigned t[3] = { 0, 0, 0 };
    if (!tun || sscanf(tun, ": tunables %u %u %u", &t[0], &t[1], &t[2]) != 3 ||
        (r->slub && (t[0] || t[1] || t[2]))) {
        snprintf(r->why, r->cap, "/proc/slabinfo row of %s: tunables wrong", ci->name);
        r->bad = true;
        return 1;
    }
    char want[256];
    snprintf(want, sizeof(want), "%-17s %6lu %6lu %6u %4u %4d : tunables %4u %4u %4u : slabdata %6lu %6lu %6lu\n",
             ci->name, active, ci->nr_objects, ci->size, ci->objects_per_slab, 1 << ci->order, t[0], t[1],
             t[2], active_slabs, ci->nr_slabs, 0ul);
    size_t len = strcspn(row, "\n") + 1;
    const char *why = NULL;
    if (strlen(want) != len || strncmp(row, want, len) != 0)
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
    char *text = render(slabinfo_fn, kh);
    if (!text)
        return true;
    static const char head[] =
        "slabinfo - version: 2.1\n"
        "# name            <active_objs> <num_objs> <objsize> <objperslab> <pagesperslab> : tunables "
        "<limit> <batchcount> <sharedfactor> : slabdata <active_slabs> <num_slabs> <sharedavail>\n";
    bool ok = strncmp(text, head, sizeof(head) - 1) == 0;
    if (!ok)
        snprintf(why, cap, "/proc/slabinfo does not start with the version and column lines");
    struct rows r = { text + (ok ? sizeof(head) - 1 : 0), 0, cfg->slab == KH_SLAB_SLUB, why, cap, false };
    if (ok)
        kh_for_each_cache(kh, check_row, &r);
    if (ok && !r.bad) {
        unsigned rows = 0;
        for (const char *p = r.text; (p = strchr(p, '\n')) != NULL; p++)
            rows++;
        if (rows != r.caches) {
            snprintf(why, cap, "/proc/slabinfo has %u rows for %u caches", rows, r.caches);
            r.bad = true;
        }
    }
    free(text);
    return ok && !r.bad;
}

bool oracle_proc_check(struct kh *kh, char *why, size_t cap)
{
    return check_buddyinfo(kh, why, cap) && check_slabinfo(kh, why, cap);
}
