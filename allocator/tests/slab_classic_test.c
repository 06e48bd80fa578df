/* slab_classic_test.c - the classic SLAB design (slab.c, profile
 * linux-4.x-slab): list transitions at the exact boundaries, colouring,
 * 4.x geometry and tunables, free_limit, shrink and the shrinker, the free
 * index list, validation of corrupted state, and the common slab rules
 * (ctor, bulk, destroy, debug, kmalloc) on this design.
 *
 * Also two fuzzing regressions that hold for every design:
 * kmem_cache_create refusing flags outside SLAB_FLAGS_PERMITTED, and a
 * cache with every debug flag, RCU and a constructor staying clean after
 * kmem_cache_zalloc.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "fixture.h"
#include "introspect.h"
#include "kmalloc.h"
#include "page_alloc.h"
#include "slab.h"
#include "slab_internal.h"

#define SLAB_PROFILE "linux-4.x-slab"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NOASAN __attribute__((no_sanitize("address")))
#endif
#endif
#ifndef NOASAN
#define NOASAN
#endif
static NOASAN void poke(void *p, size_t off, unsigned v) { ((volatile unsigned char *)p)[off] = (unsigned char)v; }

static struct kh *make_cfg(struct kh_config *cfg)
{
    return kh_test_create(cfg);
}

static struct kh *make(const char *profile, unsigned cpus, const char *debug)
{
    struct kh_config cfg = kh_test_config(profile);
    if (cpus)
        cfg.nr_cpus = cpus;
    snprintf(cfg.slub_debug, sizeof(cfg.slub_debug), "%s", debug ? debug : "");
    return make_cfg(&cfg);
}

static unsigned reports(struct kh *kh)
{
    return kh_report_count(kh, KH_SEV_WARN) + kh_report_count(kh, KH_SEV_BUG);
}

static const struct kh_report *last_report(struct kh *kh)
{
    unsigned n = reports(kh);
    return n ? kh_report_get(kh, n - 1) : NULL;
}

static unsigned violations(struct kh *kh)
{
    struct kh_violations v = { 0 };
    unsigned n = kh_slab_validate(kh, &v) + kh_page_validate(kh, &v);
    if (n)
        kh_violations_print(&v, stderr);
    kh_violations_free(&v);
    return n;
}

/* Violations of one invariant, printing nothing. */
static unsigned violations_of(struct kh *kh, const char *inv)
{
    struct kh_violations v = { 0 };
    kh_slab_validate(kh, &v);
    unsigned n = kh_violations_count(&v, "slab", inv);
    kh_violations_free(&v);
    return n;
}

static struct kh_cache_info info(struct kh *kh, struct kmem_cache *s)
{
    struct kh_cache_info ci;
    kh_slab_cache_info(kh, s, &ci);
    return ci;
}

/* Slabs of a cache in allocation order. */
struct slabs {
    unsigned n;
    struct kh_slab_info s[64];
};
static int collect(void *ctx, const struct kh_slab_info *si)
{
    struct slabs *w = ctx;
    if (w->n < 64)
        w->s[w->n] = *si;
    w->n++;
    return 0;
}
static struct slabs walk(struct kh *kh, struct kmem_cache *s)
{
    struct slabs w;
    memset(&w, 0, sizeof(w));
    kh_for_each_slab(kh, s, collect, &w);
    return w;
}

/* ---- regression: flags outside SLAB_FLAGS_PERMITTED (both designs) ---- */

static void test_unknown_flags(const char *profile)
{
    struct kh *kh = make(profile, 1, "");
    static const slab_flags_t bad[] = {
        0x00000001u, 0x00000200u, 0x00400000u /* SLAB_DEBUG_OBJECTS, off */,
        0x01000000u, 0x02000000u /* SLAB_FAILSLAB */, 0x08000000u /* SLAB_KASAN */,
        0x20000000u, 0x80000000u /* the slab layer's private __OBJECT_POISON */,
        0x40000000u,
    };
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        unsigned before = reports(kh);
        CHECK(kh_kmem_cache_create(kh, "badflags", 64, 0, SLAB_HWCACHE_ALIGN | bad[i], NULL) == NULL);
        CHECK_EQ_U(reports(kh), before + 1);
        const struct kh_report *r = last_report(kh);
        CHECK(r && r->severity == KH_SEV_WARN && r->cls == KH_R_SLAB);
        CHECK_CONTAINS(r ? r->text : NULL, "kmem_cache_create(badflags) failed with error -22\n");
    }
    CHECK(kh_slab_find_cache(kh, "badflags") == NULL);
    /* every permitted bit is accepted; unmodelled ones are dropped */
    static const slab_flags_t good[] = {
        SLAB_CONSISTENCY_CHECKS, SLAB_RED_ZONE, SLAB_POISON, SLAB_KMALLOC, SLAB_HWCACHE_ALIGN,
        SLAB_CACHE_DMA, SLAB_CACHE_DMA32, SLAB_STORE_USER, SLAB_RECLAIM_ACCOUNT,
        SLAB_TYPESAFE_BY_RCU, SLAB_ACCOUNT, 0x00100000u /* MEM_SPREAD */, 0x00200000u /* TRACE */,
        0x00800000u /* NOLEAKTRACE */, 0x10000000u /* NO_USER_FLAGS */,
    };
    unsigned before = reports(kh);
    for (unsigned i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        struct kmem_cache *s = kh_kmem_cache_create(kh, "goodflags", 64, 0, good[i], NULL);
        CHECK(s != NULL);
        if (!s)
            continue;
        CHECK_EQ_U(info(kh, s).flags & (0x00100000u | 0x00200000u | 0x00800000u | 0x10000000u |
                                        SLAB_KMALLOC), 0);
        void *p = kh_kmem_cache_alloc(kh, s, GFP_KERNEL);
        CHECK(p != NULL);
        kh_kmem_cache_free(kh, s, p);
        kh_kmem_cache_destroy(kh, s);
    }
    CHECK_EQ_U(reports(kh), before);
    CHECK_EQ_U(violations(kh), 0);
    kh_destroy(kh);
}

/* SLAB_PANIC with a refused flag: a BUG report, then the panic (abort). */
static void test_unknown_flags_panic(void)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        int devnull = open("/dev/null", O_WRONLY);
        if (devnull >= 0)
            dup2(devnull, 2);
        struct kh *kh = make(SLAB_PROFILE, 1, "");
        kh_kmem_cache_create(kh, "panics", 64, 0, SLAB_PANIC | 0x01000000u, NULL);
        _exit(kh_report_count(kh, KH_SEV_BUG) == 1 ? 3 : 4);   /* not reached */
    }
    int st = 0;
    waitpid(pid, &st, 0);
    CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT);
}

/* ---- regression: every debug flag + RCU + ctor, then kmem_cache_zalloc ---- */

static int ctor_calls;
static void ctor16(void *p)
{
    ctor_calls++;
    memset(p, 0x3c, 16);
}
static void ctor1(void *p) { memset(p, 0x3c, 1); }

#define FUZZ_FLAGS (SLAB_CONSISTENCY_CHECKS | SLAB_RED_ZONE | SLAB_POISON | SLAB_HWCACHE_ALIGN | \
                    SLAB_CACHE_DMA | SLAB_CACHE_DMA32 | SLAB_STORE_USER | SLAB_RECLAIM_ACCOUNT | \
                    SLAB_TYPESAFE_BY_RCU | SLAB_ACCOUNT)

static void zalloc_cycle(struct kh *kh, struct kmem_cache *s, unsigned size)
{
    unsigned char *p[40];
    for (unsigned i = 0; i < 40; i++) {
        p[i] = kh_kmem_cache_zalloc(kh, s, GFP_KERNEL_ACCOUNT);
        CHECK(p[i] != NULL);
        if (!p[i])
            return;
        unsigned nz = 0;
        for (unsigned j = 0; j < size; j++)
            nz += p[i][j] != 0;
        CHECK_EQ_U(nz, 0);
        memset(p[i], 0xa0 + (int)i, size);   /* the executor's pattern fill */
    }
    CHECK_EQ_U(violations(kh), 0);
    for (unsigned i = 0; i < 40; i += 2)
        kh_kmem_cache_free(kh, s, p[i]);
    CHECK_EQ_U(violations(kh), 0);
    CHECK_EQ_U(kh_kmem_cache_validate(kh, s), 0);
    for (unsigned i = 0; i < 40; i += 2)
        p[i] = kh_kmem_cache_zalloc(kh, s, GFP_KERNEL_ACCOUNT);
    CHECK_EQ_U(violations(kh), 0);
    for (unsigned i = 0; i < 40; i++)
        kh_kmem_cache_free(kh, s, p[i]);
    CHECK_EQ_U(violations(kh), 0);
}

static void test_debug_rcu_ctor_zalloc(const char *profile, unsigned quarantine)
{
    struct kh_config cfg = kh_test_config(profile);
    cfg.nr_cpus = 2;
    cfg.quarantine_objects = quarantine;
    struct kh *kh = make_cfg(&cfg);
    /* the fuzzer's trace, exactly */
    struct kmem_cache *s = kh_kmem_cache_create(kh, "q", 16, 16, FUZZ_FLAGS, ctor1);
    CHECK(s != NULL);
    void *p1 = kh_kmem_cache_zalloc(kh, s, GFP_KERNEL_ACCOUNT);
    CHECK(p1 != NULL);
    CHECK_EQ_U(violations(kh), 0);
    CHECK_EQ_U(kh_slab_errors(kh), 0);
    kh_kmem_cache_free(kh, s, p1);
    zalloc_cycle(kh, s, 16);
    kh_kmem_cache_destroy(kh, s);
    /* every sub-combination of the flags, with and without a ctor */
    static const slab_flags_t bits[] = { SLAB_CONSISTENCY_CHECKS, SLAB_RED_ZONE, SLAB_POISON,
                                         SLAB_HWCACHE_ALIGN, SLAB_STORE_USER, SLAB_TYPESAFE_BY_RCU };
    unsigned bad = 0;
    for (unsigned m = 0; m < 64; m++) {
        slab_flags_t f = SLAB_CACHE_DMA | SLAB_ACCOUNT;
        for (unsigned i = 0; i < 6; i++)
            if (m >> i & 1)
                f |= bits[i];
        for (int c = 0; c < 2; c++) {
            struct kmem_cache *t = kh_kmem_cache_create(kh, "q", 16, 16, f, c ? ctor16 : NULL);
            unsigned char *p = t ? kh_kmem_cache_zalloc(kh, t, GFP_KERNEL_ACCOUNT) : NULL;
            if (!p) {
                bad++;
                continue;
            }
            memset(p, 0x77, 16);
            struct kh_violations v = { 0 };
            unsigned n = kh_slab_validate(kh, &v);
            if (n) {
                fprintf(stderr, "%s flags %#x ctor %d:\n", profile, f, c);
                kh_violations_print(&v, stderr);
            }
            kh_violations_free(&v);
            bad += n != 0;
            kh_kmem_cache_free(kh, t, p);
            kh_kmem_cache_destroy(kh, t);
        }
    }
    CHECK_EQ_U(bad, 0);
    CHECK_EQ_U(kh_slab_errors(kh), 0);
    kh_destroy(kh);
}

/* ---- classic SLAB: geometry ---- */

struct geo { unsigned size, align; slab_flags_t flags; int ctor; unsigned slot, order, objects, colour; };

static void test_geometry(void)
{
    struct kh *kh = make(SLAB_PROFILE, 1, "");
    /* Derived by hand from 4.x calculate_slab_order()/cache_estimate()
     * (slab_max_order 1 with 1 GiB of memory, byte-sized free indices). */
    static const struct geo cases[] = {
        { 104, 0, 0, 0, 104, 0, 39, 0 },        /* OBJFREELIST, left 40 */
        { 32, 0, 0, 0, 32, 0, 124, 0 },         /* 128 indices do not fit a 32-byte object: on-slab */
        { 16, 0, 0, 0, 16, 0, 240, 0 },         /* 256 > 255 objects: on-slab, 4096 / 17 */
        { 8, 0, 0, 0, 16, 0, 240, 0 },          /* SLAB_OBJ_MIN_SIZE */
        { 200, 0, 0, 0, 200, 0, 20, 1 },        /* left 96 */
        { 1100, 0, 0, 0, 1104, 1, 7, 7 },       /* order 0 wastes 784 > 512: order 1, left 464 */
        { 1100, 0, 0, 1, 1104, 1, 7, 7 },       /* ctor: on-slab, left 457 */
        { 1100, 0, SLAB_RECLAIM_ACCOUNT, 0, 1104, 0, 3, 12 }, /* first fit, left 784 */
        { 5000, 0, 0, 0, 5000, 1, 1, 49 },      /* stops at slab_max_order */
        { 60, 0, SLAB_HWCACHE_ALIGN, 0, 64, 0, 63, 0 }, /* 64 indices > 60 bytes: on-slab, 4096 / 65 */
        { 20, 32, 0, 0, 32, 0, 124, 0 },
        { 4096, 0, 0, 0, 4096, 0, 1, 0 },
        { 8192, 0, 0, 0, 8192, 1, 1, 0 },
    };
    for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct geo *g = &cases[i];
        struct kmem_cache *s = kh_kmem_cache_create(kh, "geo", g->size, g->align, g->flags,
                                                    g->ctor ? ctor16 : NULL);
        CHECK(s != NULL);
        if (!s)
            continue;
        struct kh_cache_info ci = info(kh, s);
        if (!check_record(ci.size == g->slot && ci.order == g->order &&
                          ci.objects_per_slab == g->objects && ci.colour == g->colour &&
                          ci.colour_off == 64 && ci.ksize == g->size && !strcmp(ci.design, "slab")))
            fprintf(stderr, "geometry %u/%u/%#x/ctor %d: slot %u order %u objects %u colour %u "
                            "colour_off %u ksize %u %s; want %u %u %u %u\n",
                    g->size, g->align, g->flags, g->ctor, ci.size, ci.order, ci.objects_per_slab,
                    ci.colour, ci.colour_off, ci.ksize, ci.design, g->slot, g->order, g->objects,
                    g->colour);
        kh_kmem_cache_destroy(kh, s);
    }
    /* colour_off is at least the alignment */
    struct kmem_cache *s = kh_kmem_cache_create(kh, "big-align", 300, 256, 0, NULL);
    CHECK_EQ_U(info(kh, s).colour_off, 256);
    CHECK_EQ_U(info(kh, s).size, 512);
    kh_kmem_cache_destroy(kh, s);
    /* the kmalloc caches as 4.x SLAB /proc/slabinfo shows them */
    static const struct { const char *name; unsigned objs, pages; } km[] = {
        { "kmalloc-32", 124, 1 }, { "kmalloc-64", 64, 1 }, { "kmalloc-96", 42, 1 },
        { "kmalloc-128", 32, 1 }, { "kmalloc-192", 21, 1 }, { "kmalloc-256", 16, 1 },
        { "kmalloc-1k", 4, 1 }, { "kmalloc-4k", 1, 1 }, { "kmalloc-8k", 1, 2 },
    };
    for (unsigned i = 0; i < sizeof(km) / sizeof(km[0]); i++) {
        struct kmem_cache *k = kh_slab_find_cache(kh, km[i].name);
        CHECK(k != NULL);
        if (k) {
            CHECK_EQ_U(info(kh, k).objects_per_slab, km[i].objs);
            CHECK_EQ_U(1u << info(kh, k).order, km[i].pages);
        }
    }
    kh_destroy(kh);
}

static void test_tunables_and_slabinfo(void)
{
    struct kh *kh = make(SLAB_PROFILE, 2, "");
    struct kmem_cache *a = kh_kmem_cache_create(kh, "tun_small", 104, 0, 0, NULL);
    struct kmem_cache *b = kh_kmem_cache_create(kh, "tun_1100", 1100, 0, 0, NULL);
    struct kmem_cache *c = kh_kmem_cache_create(kh, "tun_5000", 5000, 0, 0, NULL);
    void *p[3];
    for (int i = 0; i < 3; i++)
        p[i] = kh_kmem_cache_alloc(kh, a, GFP_KERNEL);
    char buf[1 << 16];
    kh_slabinfo(kh, buf, sizeof(buf));
    CHECK_CONTAINS(buf, "\ntun_5000               0      0   5000    1    2 : tunables    8    4    0 : slabdata      0      0      0\n");
    CHECK_CONTAINS(buf, "\ntun_1100               0      0   1104    7    2 : tunables   24   12    8 : slabdata      0      0      0\n");
    CHECK_CONTAINS(buf, "\ntun_small              3     39    104   39    1 : tunables  120   60    8 : slabdata      1      1      0\n");
    CHECK_CONTAINS(buf, "\nkmalloc-32             0      0     32  124    1 : tunables  120   60    8 : slabdata      0      0      0\n");
    for (int i = 0; i < 3; i++)
        kh_kmem_cache_free(kh, a, p[i]);
    kh_slabinfo(kh, buf, sizeof(buf));
    /* an empty slab on slabs_free is not active */
    CHECK_CONTAINS(buf, "\ntun_small              0     39    104   39    1 : tunables  120   60    8 : slabdata      0      1      0\n");
    kh_kmem_cache_destroy(kh, a);
    kh_kmem_cache_destroy(kh, b);
    kh_kmem_cache_destroy(kh, c);
    kh_destroy(kh);
}

/* ---- classic SLAB: lists ---- */

static void expect_lists(struct kh *kh, struct kmem_cache *s, unsigned long partial,
                         unsigned long full, unsigned long free_, int line)
{
    struct kh_cache_info ci = info(kh, s);
    if (!check_record(ci.nr_partial == partial && ci.nr_full == full && ci.nr_free == free_))
        fprintf(stderr, "line %d: partial/full/free %lu/%lu/%lu, want %lu/%lu/%lu\n", line,
                ci.nr_partial, ci.nr_full, ci.nr_free, partial, full, free_);
}
#define LISTS(p, f, e) expect_lists(kh, s, p, f, e, __LINE__)

static void test_list_transitions(void)
{
    struct kh *kh = make(SLAB_PROFILE, 1, "");
    struct kmem_cache *s = kh_kmem_cache_create(kh, "lists", 1100, 0, 0, NULL);
    unsigned per = info(kh, s).objects_per_slab;
    CHECK_EQ_U(per, 7);
    void *o[14];
    LISTS(0, 0, 0);
    for (unsigned i = 0; i < per; i++) {
        o[i] = kh_kmem_cache_alloc(kh, s, GFP_KERNEL);
        struct slabs w = walk(kh, s);
        CHECK_EQ_U(w.n, 1);
        CHECK_EQ_U(w.s[0].inuse, i + 1);
        /* partial while 0 < inuse < objects, full exactly at objects */
        CHECK_EQ_U(w.s[0].list, i + 1 < per ? KH_SLAB_LIST_PARTIAL : KH_SLAB_LIST_FULL);
        CHECK_EQ_U(w.s[0].free, per - i - 1);
        CHECK_EQ_U(w.s[0].cpu, -1);
    }
    LISTS(0, 1, 0);
    CHECK_EQ_U(violations(kh), 0);
    /* the next allocation grows a second slab; the full one stays full */
    o[per] = kh_kmem_cache_alloc(kh, s, GFP_KERNEL);
    LISTS(1, 1, 0);
    /* one free from the full slab: it becomes partial */
    kh_kmem_cache_free(kh, s, o[0]);
    LISTS(2, 0, 0);
    CHECK_EQ_U(walk(kh, s).s[0].list, KH_SLAB_LIST_PARTIAL);
    /* LIFO: the freed slot comes back first (first partial slab at the
     * list head is the one just refilled? no: free puts it at the tail,
     * so the second slab, at the head, serves first) */
    void *x = kh_kmem_cache_alloc(kh, s, GFP_KERNEL);
    CHECK(x != o[0]);
    kh_kmem_cache_free(kh, s, x);
    /* empty the second slab: exactly at inuse 0 it moves to slabs_free */
    kh_kmem_cache_free(kh, s, o[per]);
    LISTS(1, 0, 1);
    CHECK_EQ_U(walk(kh, s).s[1].list, KH_SLAB_LIST_FREE);
    CHECK_EQ_U(violations(kh), 0);
    /* the partial slab serves before the free one, LIFO within a slab */
    x = kh_kmem_cache_alloc(kh, s, GFP_KERNEL);
    CHECK(x == o[0]);
    LISTS(0, 1, 1);
    /* with no partial slab, the free slab is used before growing */
    unsigned long slabs = info(kh, s).nr_slabs;
    o[per] = kh_kmem_cache_alloc(kh, s, GFP_KERNEL);
    CHECK_EQ_U(info(kh, s).nr_slabs, slabs);
    LISTS(1, 1, 0);
    o[0] = x;
    for (unsigned i = 0; i < per; i++)
        kh_kmem_cache_free(kh, s, o[i]);
    kh_kmem_cache_free(kh, s, o[per]);
    LISTS(0, 0, 2);
    CHECK_EQ_U(violations(kh), 0);
    kh_kmem_cache_destroy(kh, s);
    CHECK(kh_slab_find_cache(kh, "lists") == NULL);
    kh_destroy(kh);
}

static void test_colouring(void)
{
    struct kh *kh = make(SLAB_PROFILE, 1, "");
    struct kmem_cache *s = kh_kmem_cache_create(kh, "colours", 1100, 0, 0, NULL);
    struct kh_cache_info ci = info(kh, s);
    CHECK_EQ_U(ci.colour, 7);
    CHECK_EQ_U(ci.colour_off, 64);
    void *o[9 * 7];
    for (unsigned i = 0; i < 9 * 7; i++)
        o[i] = kh_kmem_cache_alloc(kh, s, GFP_KERNEL);
    struct slabs w = walk(kh, s);
    CHECK_EQ_U(w.n, 9);
    /* colour_next is advanced before use: 1, 2, ..., 6, 0, 1, 2 */
    static const unsigned want[9] = { 1, 2, 3, 4, 5, 6, 0, 1, 2 };
    for (unsigned i = 0; i < 9 && i < w.n; i++) {
        CHECK_EQ_U(w.s[i].colour_off, want[i] * 64);
        CHECK_EQ_U(w.s[i].objects, 7);
        CHECK_EQ_U(w.s[i].list, KH_SLAB_LIST_FULL);
    }
    /* the first object of each slab starts at its colour offset */
    for (unsigned i = 0; i < 9 * 7; i += 7) {
        struct kh_object_info oi;
        CHECK_EQ_U(kh_slab_object_lookup(kh, o[i], &oi, NULL), 0);
        CHECK_EQ_U(oi.index, 0);
        CHECK_EQ_U((uintptr_t)o[i] - w.s[i / 7].base, w.s[i / 7].colour_off);
        CHECK_EQ_U((uintptr_t)o[i] % 8, 0);
    }
    CHECK_EQ_U(violations(kh), 0);
    for (unsigned i = 0; i < 9 * 7; i++)
        kh_kmem_cache_free(kh, s, o[i]);
    kh_kmem_cache_destroy(kh, s);
    /* a single colour (leftover below one line) never shifts a slab */
    s = kh_kmem_cache_create(kh, "one-colour", 200, 0, 0, NULL);
    void *p[60];
    for (unsigned i = 0; i < 60; i++)
        p[i] = kh_kmem_cache_alloc(kh, s, GFP_KERNEL);
    w = walk(kh, s);
    CHECK_EQ_U(w.n, 3);
    for (unsigned i = 0; i < w.n; i++)
        CHECK_EQ_U(w.s[i].colour_off, 0);
    for (unsigned i = 0; i < 60; i++)
        kh_kmem_cache_free(kh, s, p[i]);
    kh_kmem_cache_destroy(kh, s);
    /* aligned caches keep alignment across colours */
    s = kh_kmem_cache_create(kh, "aligned", 1000, 128, 0, NULL);
    void *q[20];
    for (unsigned i = 0; i < 20; i++) {
        q[i] = kh_kmem_cache_alloc(kh, s, GFP_KERNEL);
        CHECK_EQ_U((uintptr_t)q[i] % 128, 0);
    }
    for (unsigned i = 0; i < 20; i++)
        kh_kmem_cache_free(kh, s, q[i]);
    CHECK_EQ_U(violations(kh), 0);
    kh_kmem_cache_destroy(kh, s);
    kh_destroy(kh);
}

static void test_free_limit_and_shrink(void)
{
    struct kh *kh = make(SLAB_PROFILE, 1, "");
    unsigned long free0 = kh_nr_free_pages(kh);
    struct kmem_cache *s = kh_kmem_cache_create(kh, "limit", 1100, 0, 0, NULL);
    /* limit 24, batchcount 12, 1 CPU: free_limit = 2 * 12 + 7 = 31 */
    void *o[70];
    for (unsigned i = 0; i < 70; i++)
        o[i] = kh_kmem_cache_alloc(kh, s, GFP_KERNEL);
    CHECK_EQ_U(info(kh, s).nr_slabs, 10);
    for (unsigned i = 0; i < 70; i++)
        kh_kmem_cache_free(kh, s, o[i]);
    /* at most 31 free objects stay cached: 4 empty slabs of 7 */
    LISTS(0, 0, 4);
    CHECK_EQ_U(info(kh, s).nr_slabs, 4);
    CHECK_EQ_U(violations(kh), 0);
    CHECK_EQ_U(kh_kmem_cache_shrink(kh, s), 0);
    CHECK_EQ_U(info(kh, s).nr_slabs, 0);
    CHECK_EQ_U(kh_nr_free_pages(kh), free0);
    CHECK_EQ_U(violations(kh), 0);
    kh_kmem_cache_destroy(kh, s);
    kh_destroy(kh);
}

static void test_shrinker(void)
{
    struct kh_config cfg = kh_test_config(SLAB_PROFILE);
    cfg.zone_bytes[ZONE_DMA] = 4u << 20;
    cfg.zone_bytes[ZONE_DMA32] = 4u << 20;
    cfg.zone_bytes[ZONE_NORMAL] = 8u << 20;
    struct kh *kh = make_cfg(&cfg);
    struct kmem_cache *s = kh_kmem_cache_create(kh, "cached", 2048, 0, 0, NULL);
    /* 16 MiB of memory: slab_max_order 0 */
    CHECK_EQ_U(info(kh, s).order, 0);
    CHECK_EQ_U(info(kh, s).objects_per_slab, 2);
    void *v[200];
    for (int i = 0; i < 200; i++)
        v[i] = kh_kmem_cache_alloc(kh, s, GFP_KERNEL);
    for (int i = 0; i < 200; i++)
        kh_kmem_cache_free(kh, s, v[i]);
    /* free_limit 2 * 12 + 2 = 26 objects: 13 empty slabs */
    CHECK_EQ_U(info(kh, s).nr_free, 13);
    struct page *pages[8192];
    unsigned got = 0;
    while (got < 8192 && (pages[got] = kh_alloc_pages(kh, GFP_KERNEL | __GFP_NOWARN, 0)))
        got++;
    CHECK_EQ_U(info(kh, s).nr_slabs, 0);
    for (unsigned i = 0; i < got; i++)
        kh___free_pages(kh, pages[i], 0);
    CHECK_EQ_U(violations(kh), 0);
    kh_destroy(kh);
}

/* ---- classic SLAB: validation of corrupted state ---- */

static void test_validation(void)
{
    struct kh *kh = make(SLAB_PROFILE, 1, "");
    struct kmem_cache *s = kh_kmem_cache_create(kh, "corrupt", 1100, 0, 0, NULL);
    void *o[10];
    for (unsigned i = 0; i < 10; i++)
        o[i] = kh_kmem_cache_alloc(kh, s, GFP_KERNEL);
    CHECK_EQ_U(violations(kh), 0);
    struct slab *full = kh_slab_of(kh, o[0]);      /* 7 of 7 */
    struct slab *part = kh_slab_of(kh, o[9]);      /* 3 of 7 */
    CHECK(full && part && full != part);
    CHECK_EQ_U(part->active, 3);

    /* a duplicate in the free index list */
    uint16_t saved = part->free_idx[4];
    part->free_idx[4] = part->free_idx[5];
    CHECK(violations_of(kh, "freelist") >= 1);
    /* an index past the last slot */
    part->free_idx[4] = 200;
    CHECK(violations_of(kh, "freelist") >= 1);
    /* an allocated slot listed as free */
    part->free_idx[4] = part->free_idx[0];
    CHECK(violations_of(kh, "freelist") >= 1);
    part->free_idx[4] = saved;
    CHECK_EQ_U(violations(kh), 0);

    /* the in-use count disagrees with the index list */
    part->active++;
    CHECK(violations_of(kh, "object-count") >= 1);
    CHECK(violations_of(kh, "slab-list") == 0);
    part->active--;

    /* a full slab on slabs_partial */
    kh_slab_list_del(&s->full, full);
    kh_slab_list_add(&s->partial, full, KH_SLAB_LIST_PARTIAL, true);
    CHECK(violations_of(kh, "slab-list") >= 1);
    kh_slab_list_del(&s->partial, full);
    kh_slab_list_add(&s->full, full, KH_SLAB_LIST_FULL, false);
    CHECK_EQ_U(violations(kh), 0);

    /* a slab on no list, then on a list whose field says otherwise */
    kh_slab_list_del(&s->partial, part);
    CHECK(violations_of(kh, "slab-list") >= 1);
    kh_slab_list_add(&s->partial, part, KH_SLAB_LIST_PARTIAL, false);
    part->list = KH_SLAB_LIST_FULL;
    CHECK(violations_of(kh, "slab-list") >= 1);
    part->list = KH_SLAB_LIST_PARTIAL;
    /* list counter */
    s->partial.nr++;
    CHECK(violations_of(kh, "slab-list") >= 1);
    s->partial.nr--;
    CHECK_EQ_U(violations(kh), 0);

    /* node free-object counter and colour state */
    s->free_objects += 3;
    CHECK(violations_of(kh, "cache-counters") >= 1);
    s->free_objects -= 3;
    unsigned co = part->colour_off;
    part->colour_off = co + 8;
    CHECK(violations_of(kh, "slab-list") >= 1);
    part->colour_off = 7 * 64;
    CHECK(violations_of(kh, "slab-list") >= 1);
    part->colour_off = co;
    unsigned cn = s->colour_next;
    s->colour_next = s->colour;
    CHECK(violations_of(kh, "cache-counters") >= 1);
    s->colour_next = cn;
    CHECK_EQ_U(violations(kh), 0);

    for (unsigned i = 0; i < 10; i++)
        kh_kmem_cache_free(kh, s, o[i]);
    CHECK_EQ_U(violations(kh), 0);
    kh_kmem_cache_destroy(kh, s);
    kh_destroy(kh);
}

/* ---- the common rules on the classic design ---- */

static void test_common_rules(void)
{
    struct kh *kh = make(SLAB_PROFILE, 2, "");
    /* ctor once per object when a slab is populated */
    ctor_calls = 0;
    struct kmem_cache *s = kh_kmem_cache_create(kh, "ctor", 64, 0, 0, ctor16);
    unsigned per = info(kh, s).objects_per_slab;
    void *p = kh_kmem_cache_alloc(kh, s, GFP_KERNEL);
    CHECK_EQ_U(ctor_calls, per);
    CHECK_EQ_U(((unsigned char *)p)[15], 0x3c);
    kh_kmem_cache_free(kh, s, p);
    void *q = kh_kmem_cache_alloc(kh, s, GFP_KERNEL);
    CHECK(q == p);
    CHECK_EQ_U(ctor_calls, per);
    kh_kmem_cache_free(kh, s, q);
    kh_kmem_cache_destroy(kh, s);

    /* bulk: all or nothing, and a double free is caught before the lists */
    s = kh_kmem_cache_create(kh, "bulk", 128, 0, 0, NULL);
    void *v[100];
    CHECK_EQ_U(kh_kmem_cache_alloc_bulk(kh, s, GFP_KERNEL, 100, v), 100);
    CHECK_EQ_U(violations(kh), 0);
    kh_kmem_cache_free_bulk(kh, s, 100, v);
    unsigned before = reports(kh);
    kh_kmem_cache_free(kh, s, v[0]);
    CHECK_EQ_U(reports(kh), before + 1);
    CHECK_EQ_STR(last_report(kh)->reason, "Object already free");
    CHECK_EQ_U(violations(kh), 0);

    /* destroy with a live object: reported and leaked */
    void *live = kh_kmem_cache_alloc(kh, s, GFP_KERNEL);
    (void)live;
    kh_reports_clear(kh);
    kh_kmem_cache_destroy(kh, s);
    CHECK(kh_report_count(kh, KH_SEV_BUG) == 1);
    CHECK(kh_slab_find_cache(kh, "bulk") != NULL);
    CHECK_EQ_U(violations(kh), 0);

    /* kmalloc on SLAB classes */
    void *k = kh_kmalloc(kh, 100, GFP_KERNEL);
    CHECK_EQ_U(kh_ksize(kh, k), 128);
    void *k2 = kh_kmalloc(kh, 20, GFP_KERNEL);
    CHECK_EQ_U(kh_ksize(kh, k2), 32);
    void *k3 = kh_kmalloc(kh, 3u << 20, GFP_KERNEL);   /* kmalloc-4M: a slab cache here */
    CHECK(k3 != NULL);
    CHECK_EQ_U(kh_ksize(kh, k3), 4u << 20);
    CHECK_EQ_U(violations(kh), 0);
    kh_kfree(kh, k);
    kh_kfree(kh, k2);
    kh_kfree(kh, k3);
    CHECK_EQ_U(violations(kh), 0);
    kh_destroy(kh);
}

static void test_debug_on_classic(void)
{
    /* slub_debug on every cache, quarantine on: the instance still comes
     * up (kmalloc-4M drops its debug flags to fit a slab) */
    struct kh_config cfg = kh_test_config(SLAB_PROFILE);
    snprintf(cfg.slub_debug, sizeof(cfg.slub_debug), "FZPU");
    cfg.quarantine_objects = 8;
    struct kh *kh = make_cfg(&cfg);
    struct kmem_cache *s = kh_kmem_cache_create(kh, "TestSlab_RZ", 64, 0, SLAB_RED_ZONE, NULL);
    unsigned char *p = kh_kmem_cache_alloc(kh, s, GFP_KERNEL);
    poke(p, 64, 0x12);
    CHECK_EQ_U(kh_kmem_cache_validate(kh, s), 2);   /* report + FIX */
    CHECK_EQ_STR(last_report(kh)->reason, "Right Redzone overwritten");
    CHECK_EQ_U(kh_kmem_cache_validate(kh, s), 0);
    kh_kmem_cache_free(kh, s, p);
    /* poisoned free objects stay intact through the quarantine */
    void *o[30];
    for (int i = 0; i < 30; i++)
        o[i] = kh_kmem_cache_alloc(kh, s, GFP_KERNEL);
    for (int i = 0; i < 30; i++)
        kh_kmem_cache_free(kh, s, o[i]);
    CHECK_EQ_U(kh_kmem_cache_validate(kh, s), 0);
    CHECK_EQ_U(violations(kh), 0);
    kh_kmem_cache_shrink(kh, s);
    CHECK_EQ_U(info(kh, s).nr_slabs, 0);
    kh_kmem_cache_destroy(kh, s);
    void *k = kh_kmalloc(kh, 3u << 20, GFP_KERNEL);
    CHECK(k != NULL);
    kh_kfree(kh, k);
    CHECK_EQ_U(violations(kh), 0);
    kh_destroy(kh);
}

/* Random operations with validation after each: the invariants hold. */
static void test_stress(unsigned cpus, unsigned quarantine, const char *debug)
{
    struct kh_config cfg = kh_test_config(SLAB_PROFILE);
    cfg.nr_cpus = cpus;
    cfg.quarantine_objects = quarantine;
    snprintf(cfg.slub_debug, sizeof(cfg.slub_debug), "%s", debug);
    struct kh *kh = make_cfg(&cfg);
    struct kmem_cache *c[3] = {
        kh_kmem_cache_create(kh, "st_a", 24, 0, 0, NULL),
        kh_kmem_cache_create(kh, "st_b", 700, 0, SLAB_HWCACHE_ALIGN, NULL),
        kh_kmem_cache_create(kh, "st_c", 3000, 0, 0, ctor16),
    };
    void *held[3][128];
    memset(held, 0, sizeof(held));
    uint64_t x = 88172645463325252ull;
    unsigned bad = 0;
    for (unsigned step = 0; step < 4000; step++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        unsigned ci = (unsigned)(x % 3), slot = (unsigned)((x >> 8) % 128);
        if ((x >> 20) % 97 == 0)
            kh_kmem_cache_shrink(kh, c[ci]);
        if (held[ci][slot]) {
            kh_kmem_cache_free(kh, c[ci], held[ci][slot]);
            held[ci][slot] = NULL;
        } else {
            held[ci][slot] = kh_kmem_cache_alloc(kh, c[ci], GFP_KERNEL);
        }
        if (step % 50 == 0)
            bad += violations(kh) != 0;
    }
    for (unsigned ci = 0; ci < 3; ci++)
        for (unsigned i = 0; i < 128; i++)
            if (held[ci][i])
                kh_kmem_cache_free(kh, c[ci], held[ci][i]);
    bad += violations(kh) != 0;
    CHECK_EQ_U(bad, 0);
    CHECK_EQ_U(reports(kh), 0);
    for (unsigned ci = 0; ci < 3; ci++)
        kh_kmem_cache_destroy(kh, c[ci]);
    CHECK_EQ_U(reports(kh), 0);
    kh_destroy(kh);
}

static void test_reset(void)
{
    struct kh *kh = make(SLAB_PROFILE, 1, "");
    void *a = kh_kmalloc(kh, 64, GFP_KERNEL);
    CHECK(a != NULL);
    struct kmem_cache *s = kh_kmem_cache_create(kh, "gone", 100, 0, 0, NULL);
    kh_kmem_cache_alloc(kh, s, GFP_KERNEL);
    kh_reset(kh);
    CHECK(kh_slab_find_cache(kh, "gone") == NULL);
    CHECK_EQ_U(violations(kh), 0);
    void *b = kh_kmalloc(kh, 64, GFP_KERNEL);
    CHECK(b != NULL);
    CHECK_EQ_U(violations(kh), 0);
    kh_kfree(kh, b);
    CHECK_EQ_U(violations(kh), 0);
    kh_destroy(kh);
}

int main(void)
{
    test_unknown_flags("linux-6.1-x86_64");
    test_unknown_flags(SLAB_PROFILE);
    test_unknown_flags_panic();
    test_debug_rcu_ctor_zalloc("linux-6.1-x86_64", 0);
    test_debug_rcu_ctor_zalloc("linux-6.1-x86_64-16m", 16);
    test_debug_rcu_ctor_zalloc(SLAB_PROFILE, 0);
    test_debug_rcu_ctor_zalloc(SLAB_PROFILE, 16);
    test_geometry();
    test_tunables_and_slabinfo();
    test_list_transitions();
    test_colouring();
    test_free_limit_and_shrink();
    test_shrinker();
    test_validation();
    test_common_rules();
    test_debug_on_classic();
    test_stress(1, 0, "");
    test_stress(2, 16, "");
    test_stress(1, 0, "FZPU");
    test_reset();
    return check_summary();
}
