/* slab_test.c - slab cache semantics (SPEC 5): creation rules, ctor, bulk,
 * shrink, min_partial, the shrinker under memory pressure, per-CPU slabs,
 * destroy, /proc/slabinfo, the walk API, validation and reset.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "fixture.h"
#include "introspect.h"
#include "kmalloc.h"
#include "page_alloc.h"
#include "slab.h"

/* Unchecked byte access: the tests scribble on red zones and freed objects
 * on purpose (the kernel tests use kasan_disable_current() for this). */
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NOASAN __attribute__((no_sanitize("address")))
#endif
#endif
#ifndef NOASAN
#define NOASAN
#endif
static NOASAN void poke(void *p, size_t off, unsigned v) { ((volatile unsigned char *)p)[off] = (unsigned char)v; }

static struct kh *make(const char *profile, unsigned cpus)
{
    struct kh_config cfg = kh_test_config(profile);
    if (cpus)
        cfg.nr_cpus = cpus;
    return kh_test_create(&cfg);
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

static struct kh_cache_info info(struct kh *kh, struct kmem_cache *s)
{
    struct kh_cache_info ci;
    kh_slab_cache_info(kh, s, &ci);
    return ci;
}

static int ctor_calls;
static void ctor(void *p)
{
    ctor_calls++;
    memset(p, 0x3c, 40);
}

static void test_create_rules(void)
{
    struct kh *kh = make("linux-6.1-x86_64", 1);
    CHECK(kh_kmem_cache_create(kh, NULL, 10, 0, 0, NULL) == NULL);
    CHECK(kh_kmem_cache_create(kh, "big", (unsigned)kh_kmalloc_max_size(kh) + 1, 0, 0, NULL) == NULL);
    CHECK(kh_kmem_cache_create(kh, "zero", 0, 0, 0, NULL) == NULL);
    CHECK_EQ_U(kh_report_count_class(kh, KH_R_SLAB), 3);
    kh_kmem_cache_destroy(kh, NULL);   /* no-op */
    CHECK_EQ_U(reports(kh), 3);
    struct kmem_cache *s = kh_kmem_cache_create(kh, "align", 40, 256, 0, NULL);
    CHECK_EQ_U(info(kh, s).align, 256);
    CHECK_EQ_U(kh_kmem_cache_size(kh, s), 40);
    void *p = kh_kmem_cache_alloc(kh, s, GFP_KERNEL);
    CHECK(((uintptr_t)p & 255) == 0);
    kh_kmem_cache_free(kh, s, p);
    kh_kmem_cache_destroy(kh, s);
    /* use after destroy and double destroy are reported, not UB */
    CHECK(kh_kmem_cache_alloc(kh, s, GFP_KERNEL) == NULL);
    CHECK_EQ_STR(last_report(kh)->reason, "use of a destroyed cache");
    kh_kmem_cache_destroy(kh, s);
    CHECK_EQ_STR(last_report(kh)->reason, "double destroy");
    CHECK_EQ_U(violations(kh), 0);
    kh_destroy(kh);
}

static struct kh *make_merging(const char *profile, const char *slub_debug)
{
    struct kh_config cfg = kh_test_config(profile);
    cfg.slab_nomerge = false;
    snprintf(cfg.slub_debug, sizeof(cfg.slub_debug), "%s", slub_debug);
    return kh_test_create(&cfg);
}

/* SPEC 5 merging: without slab_nomerge a compatible cache is an alias. */
static void test_merging(void)
{
    static const char *const profiles[] = { "linux-6.1-x86_64", "linux-4.x-slab" };
    for (unsigned i = 0; i < 2; i++) {
        struct kh *kh = make_merging(profiles[i], "");
        struct kmem_cache *a = kh_kmem_cache_create(kh, "a", 100, 0, 0, NULL);
        /* slot 104: 97..104 bytes waste less than a pointer */
        struct kmem_cache *b = kh_kmem_cache_create(kh, "b", 97, 0, 0, NULL);
        CHECK(a == b);
        CHECK_EQ_U(info(kh, a).refcount, 2);
        CHECK_EQ_U(kh_kmem_cache_size(kh, a), 100);
        CHECK(kh_kmem_cache_create(kh, "c", 96, 0, 0, NULL) != a);        /* wastes 8 */
        CHECK(kh_kmem_cache_create(kh, "d", 100, 0, SLAB_CACHE_DMA, NULL) != a);
        CHECK(kh_kmem_cache_create(kh, "e", 100, 0, 0, ctor) != a);       /* ctor */
        CHECK(kh_kmem_cache_create(kh, "f", 100, 0, SLAB_POISON, NULL) != a);
        CHECK(kh_kmem_cache_create(kh, "g", 100, 64, 0, NULL) != a);      /* 104 % 64 */
        /* a larger request never merges down, and kmalloc caches are never targets */
        CHECK(kh_kmem_cache_create(kh, "h", 105, 0, 0, NULL) != a);
        struct kmem_cache *k = kh_kmem_cache_create(kh, "k", 64, 0, 0, NULL);
        CHECK(k != NULL && !info(kh, k).is_kmalloc);
        /* the alias can free the other's objects; destroy drops a reference */
        void *p = kh_kmem_cache_alloc(kh, b, GFP_KERNEL);
        kh_kmem_cache_free(kh, a, p);
        kh_kmem_cache_destroy(kh, b);
        CHECK_EQ_U(info(kh, a).refcount, 1);
        p = kh_kmem_cache_alloc(kh, a, GFP_KERNEL);
        CHECK(p != NULL);
        kh_kmem_cache_free(kh, a, p);
        kh_kmem_cache_destroy(kh, a);
        CHECK_EQ_U(reports(kh), 0);
        CHECK_EQ_U(violations(kh), 0);
        kh_destroy(kh);
    }
    /* slub_debug poisoning makes every cache unmergeable; SLOB never merges */
    struct kh *kh = make_merging("linux-6.1-x86_64", "P");
    CHECK(kh_kmem_cache_create(kh, "a", 100, 0, 0, NULL) !=
          kh_kmem_cache_create(kh, "b", 100, 0, 0, NULL));
    kh_destroy(kh);
    kh = make_merging("linux-4.x-slob", "");
    CHECK(kh_kmem_cache_create(kh, "a", 100, 0, 0, NULL) !=
          kh_kmem_cache_create(kh, "b", 100, 0, 0, NULL));
    kh_destroy(kh);
    /* the default profiles boot as with slab_nomerge */
    kh = make("linux-6.1-x86_64", 1);
    CHECK(kh_kmem_cache_create(kh, "a", 100, 0, 0, NULL) !=
          kh_kmem_cache_create(kh, "b", 100, 0, 0, NULL));
    kh_destroy(kh);
}

static void test_ctor(void)
{
    struct kh *kh = make("linux-6.1-x86_64", 1);
    ctor_calls = 0;
    struct kmem_cache *s = kh_kmem_cache_create(kh, "ctor", 40, 0, 0, ctor);
    unsigned char *p = kh_kmem_cache_alloc(kh, s, GFP_KERNEL);
    unsigned per_slab = info(kh, s).objects_per_slab;
    CHECK_EQ_U(ctor_calls, per_slab);   /* whole slab constructed at once */
    CHECK_EQ_U(p[0], 0x3c);
    p[0] = 0x3c;                          /* freed in constructed state */
    kh_kmem_cache_free(kh, s, p);
    void *q = kh_kmem_cache_alloc(kh, s, GFP_KERNEL);
    CHECK_EQ_U(ctor_calls, per_slab);   /* not again on reuse */
    kh_kmem_cache_free(kh, s, q);
    CHECK_EQ_U(reports(kh), 0);
    q = kh_kmem_cache_zalloc(kh, s, GFP_KERNEL);
    CHECK_EQ_STR(last_report(kh)->reason, "ctor with __GFP_ZERO");
    kh_kmem_cache_free(kh, s, q);
    kh_kmem_cache_destroy(kh, s);
    kh_destroy(kh);
}

static void test_bulk(void)
{
    struct kh *kh = make("linux-6.1-x86_64", 1);
    struct kmem_cache *s = kh_kmem_cache_create(kh, "bulk", 128, 0, 0, NULL);
    void *objs[100];
    CHECK_EQ_U(kh_kmem_cache_alloc_bulk(kh, s, GFP_KERNEL, 100, objs), 100);
    kh_kmem_cache_free_bulk(kh, s, 100, objs);
    CHECK_EQ_U(info(kh, s).nr_inuse, 0);
    /* 6.1 asks failslab once per bulk call (slab_pre_alloc_hook): the
     * first point fails the whole call, the second is the next call's */
    struct kh_fault_config fc = { .mode = KH_FAULT_NTH, .domains = KH_FAULT_SLAB, .nth = 1 };
    kh_fault_set(kh, &fc);
    memset(objs, 0, sizeof(objs));
    CHECK_EQ_U(kh_kmem_cache_alloc_bulk(kh, s, GFP_KERNEL, 100, objs), 0);
    CHECK_EQ_U(kh_fault_attempts(kh), 1);
    fc.nth = 2;
    kh_fault_set(kh, &fc);
    CHECK_EQ_U(kh_kmem_cache_alloc_bulk(kh, s, GFP_KERNEL, 100, objs), 100);
    CHECK_EQ_U(kh_fault_attempts(kh), 1);
    kh_kmem_cache_free_bulk(kh, s, 100, objs);
    /* all or nothing: a slab refill failing halfway gives every object back */
    struct kmem_cache *t = kh_kmem_cache_create(kh, "bulk2", 128, 0, 0, NULL);
    struct kh_fault_config pf = { .mode = KH_FAULT_FROM, .domains = KH_FAULT_PAGE, .nth = 2 };
    kh_fault_set(kh, &pf);
    CHECK_EQ_U(kh_kmem_cache_alloc_bulk(kh, t, GFP_KERNEL | __GFP_NOWARN, 100, objs), 0);
    kh_fault_clear(kh);
    CHECK_EQ_U(info(kh, s).nr_inuse, 0);
    CHECK_EQ_U(info(kh, t).nr_inuse, 0);
    CHECK_EQ_U(violations(kh), 0);
    kh_kmem_cache_destroy(kh, t);
    kh_kmem_cache_destroy(kh, s);
    CHECK_EQ_U(reports(kh), 0);
    kh_destroy(kh);
}

static void test_partial_and_shrink(void)
{
    struct kh *kh = make("linux-6.1-x86_64", 1);
    unsigned long free0 = kh_nr_free_pages(kh);
    struct kmem_cache *s = kh_kmem_cache_create(kh, "part", 512, 0, 0, NULL);
    struct kh_cache_info ci = info(kh, s);
    CHECK_EQ_U(ci.min_partial, 5);
    unsigned n = ci.objects_per_slab * 20;
    void **v = calloc(n, sizeof(*v));
    for (unsigned i = 0; i < n; i++)
        v[i] = kh_kmem_cache_alloc(kh, s, GFP_KERNEL);
    CHECK_EQ_U(info(kh, s).nr_slabs, 20);
    for (unsigned i = 0; i < n; i++)
        kh_kmem_cache_free(kh, s, v[i]);
    ci = info(kh, s);
    CHECK(ci.nr_slabs <= ci.min_partial + 1);   /* empties beyond min_partial freed */
    CHECK(ci.nr_slabs >= ci.min_partial);
    CHECK_EQ_U(violations(kh), 0);
    CHECK_EQ_U(kh_kmem_cache_shrink(kh, s), 0);
    CHECK_EQ_U(info(kh, s).nr_slabs, 0);
    CHECK_EQ_U(kh_nr_free_pages(kh), free0);
    free(v);
    kh_kmem_cache_destroy(kh, s);
    kh_destroy(kh);
}

static void test_shrinker(void)
{
    struct kh *kh = make("linux-6.1-x86_64-16m", 1);
    struct kmem_cache *s = kh_kmem_cache_create(kh, "cached", 2048, 0, 0, NULL);
    void *v[200];
    for (int i = 0; i < 200; i++)
        v[i] = kh_kmem_cache_alloc(kh, s, GFP_KERNEL);
    for (int i = 0; i < 200; i++)
        kh_kmem_cache_free(kh, s, v[i]);
    CHECK(info(kh, s).nr_slabs > 0);
    /* exhaust memory with pages: reclaim must take the cached slabs */
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

static void test_per_cpu(void)
{
    struct kh *kh = make("linux-6.1-x86_64", 4);
    struct kmem_cache *s = kh_kmem_cache_create(kh, "percpu", 64, 0, 0, NULL);
    kh_set_cpu(kh, 0);
    void *a = kh_kmem_cache_alloc(kh, s, GFP_KERNEL);
    kh_set_cpu(kh, 1);
    void *b = kh_kmem_cache_alloc(kh, s, GFP_KERNEL);
    struct kh_object_info oa, ob;
    kh_slab_object_lookup(kh, a, &oa, NULL);
    kh_slab_object_lookup(kh, b, &ob, NULL);
    /* each CPU has its own current slab */
    CHECK((oa.addr ^ ob.addr) >= 4096);
    kh_kmem_cache_free(kh, s, a);   /* remote free from CPU 1 */
    CHECK_EQ_U(violations(kh), 0);
    kh_slab_object_lookup(kh, a, &oa, NULL);
    CHECK_EQ_U(oa.state, KH_OBJ_FREE);
    /* CPU 0 uses its own freelist first, then takes the remote frees */
    kh_set_cpu(kh, 0);
    unsigned per_slab = info(kh, s).objects_per_slab, seen_a = 0;
    void *held[64];
    for (unsigned i = 0; i < per_slab; i++) {
        held[i] = kh_kmem_cache_alloc(kh, s, GFP_KERNEL);
        seen_a += held[i] == a;
    }
    CHECK_EQ_U(seen_a, 1);
    CHECK(held[per_slab - 1] == a);
    for (unsigned i = 0; i < per_slab; i++)
        kh_kmem_cache_free(kh, s, held[i]);
    kh_kmem_cache_free(kh, s, b);
    CHECK_EQ_U(violations(kh), 0);
    kh_kmem_cache_destroy(kh, s);
    CHECK_EQ_U(reports(kh), 0);
    kh_destroy(kh);
}

static void test_slabinfo(void)
{
    struct kh *kh = make("linux-6.1-x86_64", 1);
    struct kmem_cache *s = kh_kmem_cache_create(kh, "test_cache", 100, 0, 0, NULL);
    void *p[3];
    for (int i = 0; i < 3; i++)
        p[i] = kh_kmem_cache_alloc(kh, s, GFP_KERNEL);
    char buf[16384];
    int len = kh_slabinfo(kh, buf, sizeof(buf));
    CHECK(len > 0 && (size_t)len < sizeof(buf));
    const char *head = "slabinfo - version: 2.1\n# name            <active_objs> <num_objs> "
                       "<objsize> <objperslab> <pagesperslab> : tunables <limit> <batchcount> "
                       "<sharedfactor> : slabdata <active_slabs> <num_slabs> <sharedavail>\n"
                       "test_cache            39     39    104   39    1 : tunables    0    0    0"
                       " : slabdata      1      1      0\n";
    CHECK(strncmp(buf, head, strlen(head)) == 0);
    CHECK_CONTAINS(buf, "\nkmalloc-8              0      0      8  512    1 : tunables    0    0    0 : slabdata      0      0      0\n");
    CHECK_CONTAINS(buf, "\nkmalloc-8k             0      0   8192    4    8 :");
    char small[10];
    CHECK_EQ_U(kh_slabinfo(kh, small, sizeof(small)), len);
    CHECK_EQ_U(strlen(small), 9);
    for (int i = 0; i < 3; i++)
        kh_kmem_cache_free(kh, s, p[i]);
    kh_kmem_cache_destroy(kh, s);
    kh_destroy(kh);
}

struct walk { unsigned caches, slabs, objects, allocated; };
static int on_cache(void *ctx, const struct kh_cache_info *c) { (void)c; ((struct walk *)ctx)->caches++; return 0; }
static int on_object(void *ctx, const struct kh_object_info *o)
{
    struct walk *w = ctx;
    w->objects++;
    w->allocated += o->state == KH_OBJ_ALLOCATED;
    return 0;
}
static struct kh *walk_kh;
static struct kmem_cache *walk_cache;
static int on_slab(void *ctx, const struct kh_slab_info *s)
{
    struct walk *w = ctx;
    w->slabs++;
    CHECK_EQ_U(kh_for_each_object(walk_kh, walk_cache, s->base, on_object, ctx), 0);
    return 0;
}

static void test_walk_validate_reset(void)
{
    struct kh *kh = make("linux-6.1-x86_64", 1);
    unsigned base_caches = kh_slab_cache_count(kh);
    struct kmem_cache *s = kh_kmem_cache_create(kh, "walk", 256, 0, 0, NULL);
    void *p[20];
    for (int i = 0; i < 20; i++)
        p[i] = kh_kmem_cache_alloc(kh, s, GFP_KERNEL);
    struct walk w = { 0 };
    kh_for_each_cache(kh, on_cache, &w);
    CHECK_EQ_U(w.caches, base_caches + 1);
    CHECK(kh_slab_cache_at(kh, base_caches) == s);
    walk_kh = kh;
    walk_cache = s;
    kh_for_each_slab(kh, s, on_slab, &w);
    CHECK_EQ_U(w.slabs, 2);
    CHECK_EQ_U(w.objects, 32);
    CHECK_EQ_U(w.allocated, 20);
    CHECK_EQ_U(violations(kh), 0);
    /* corrupt a free object's free pointer: the checker finds it */
    kh_kmem_cache_free(kh, s, p[5]);
    unsigned off = info(kh, s).offset;
    void *bogus = (char *)p[5] + 3;
    for (unsigned i = 0; i < sizeof(bogus); i++)
        poke(p[5], off + i, ((unsigned char *)&bogus)[i]);
    struct kh_violations v = { 0 };
    CHECK(kh_slab_validate(kh, &v) > 0);
    CHECK(kh_violations_count(&v, "slab", "freelist") >= 1);
    kh_violations_free(&v);
    /* reset drops user caches and empties the kmalloc caches */
    void *k = kh_kmalloc(kh, 100, GFP_KERNEL);
    (void)k;
    kh_reset(kh);
    CHECK_EQ_U(kh_slab_cache_count(kh), base_caches);
    CHECK(kh_slab_find_cache(kh, "walk") == NULL);
    CHECK_EQ_U(info(kh, kh_kmalloc_cache(kh, 100, GFP_KERNEL)).nr_slabs, 0);
    void *after = kh_kmalloc(kh, 100, GFP_KERNEL);
    CHECK(after != NULL);
    kh_kfree(kh, after);
    CHECK_EQ_U(violations(kh), 0);
    CHECK_EQ_U(reports(kh), 0);
    kh_destroy(kh);
}

/* kh_slab_validate_changed walks a slab again only when its state moved:
 * damage behind an unchanged slab waits for the full check, and is found
 * as soon as that slab allocates or frees again. */
static void test_validate_changed(void)
{
    struct kh *kh = make("linux-6.1-x86_64", 1);
    struct kmem_cache *s = kh_kmem_cache_create(kh, "changed", 256, 0, 0, NULL);
    void *p[20];
    for (int i = 0; i < 20; i++)
        p[i] = kh_kmem_cache_alloc(kh, s, GFP_KERNEL);
    /* p16..p19 are on the CPU slab: freed, they head its CPU free list,
     * p18 -> p17 -> ... */
    kh_kmem_cache_free(kh, s, p[17]);
    kh_kmem_cache_free(kh, s, p[18]);
    struct kh_violations v = { 0 };
    CHECK_EQ_U(kh_validate_changed(kh, &v), 0);
    /* a stray write into p17's free pointer, inside the chain */
    unsigned off = info(kh, s).offset;
    void *bogus = (char *)p[17] + 3;
    for (unsigned i = 0; i < sizeof(bogus); i++)
        poke(p[17], off + i, ((unsigned char *)&bogus)[i]);
    CHECK_EQ_U(kh_validate_changed(kh, &v), 0);   /* nothing moved: not walked */
    CHECK(kh_slab_validate(kh, &v) > 0);           /* the full check sees it */
    CHECK(kh_violations_count(&v, "slab", "freelist") >= 1);
    v.n = 0;
    /* an allocation from that slab changes its state: walked, found again */
    void *q = kh_kmem_cache_alloc(kh, s, GFP_KERNEL);
    CHECK(q == p[18]);
    CHECK(kh_validate_changed(kh, &v) > 0);
    CHECK(kh_violations_count(&v, "slab", "freelist") >= 1);
    kh_violations_free(&v);
    kh_destroy(kh);
}

static void test_default_instance_names(void)
{
    struct kmem_cache *s = kmem_cache_create("dflt", 32, 0, SLAB_HWCACHE_ALIGN, NULL);
    CHECK(s != NULL);
    void *p = kmem_cache_zalloc(s, GFP_KERNEL);
    CHECK(p != NULL && ((char *)p)[31] == 0);
    kmem_cache_free(s, p);
    CHECK_EQ_U(kmem_cache_shrink(s), 0);
    kmem_cache_destroy(s);
    void *k = kmalloc(10, GFP_KERNEL);
    CHECK_EQ_U(ksize(k), 16);
    kfree(k);
    kh_set_default(NULL);
}


/* Random kmalloc/kfree/krealloc/cache traffic across CPUs under several
 * configurations; every invariant must hold throughout, with no report. */
static void stress(const char *profile, const char *debug, unsigned quarantine, unsigned cpus)
{
    struct kh_config cfg = kh_test_config(profile);
    snprintf(cfg.slub_debug, sizeof(cfg.slub_debug), "%s", debug);
    cfg.quarantine_objects = quarantine;
    cfg.nr_cpus = cpus;
    struct kh *kh = kh_test_create(&cfg);
    struct kmem_cache *c = kh_kmem_cache_create(kh, "stress", 72, 0, 0, NULL);
    enum { N = 512 };
    void *slot[N] = { 0 };
    size_t len[N] = { 0 };
    uint64_t x = 88172645463325252ull;
    unsigned bad = 0;
    for (unsigned op = 0; op < 20000; op++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        unsigned i = (unsigned)(x % N), kind = (unsigned)(x >> 20) % 8;
        kh_set_cpu(kh, (unsigned)(x >> 40) % cpus);
        if (!slot[i]) {
            size_t n = (x >> 24) % (kind == 0 ? 20000 : 600) + 1;
            slot[i] = kind == 1 ? kh_kmem_cache_alloc(kh, c, GFP_KERNEL) : kh_kmalloc(kh, n, GFP_KERNEL);
            len[i] = kind == 1 ? 0 : n;
            if (slot[i] && len[i])
                memset(slot[i], (int)i, len[i]);
        } else if (kind < 2 && len[i]) {
            size_t n = (x >> 24) % 3000 + 1;
            unsigned char *q = kh_krealloc(kh, slot[i], n, GFP_KERNEL);
            if (q) {
                size_t keep = n < len[i] ? n : len[i];
                for (size_t k = 0; k < keep; k++)
                    bad += q[k] != (unsigned char)i;
                memset(q, (int)i, n);
                slot[i] = q;
                len[i] = n;
            }
        } else {
            if (len[i])
                kh_kfree(kh, slot[i]);
            else
                kh_kmem_cache_free(kh, c, slot[i]);
            slot[i] = NULL;
        }
        if (op % 2000 == 0)
            bad += violations(kh);
        if (op == 10000)
            kh_kmem_cache_shrink(kh, c);
    }
    bad += violations(kh);
    for (unsigned i = 0; i < N; i++) {
        if (slot[i] && len[i])
            kh_kfree(kh, slot[i]);
        else if (slot[i])
            kh_kmem_cache_free(kh, c, slot[i]);
    }
    kh_kmem_cache_destroy(kh, c);
    bad += violations(kh);
    if (!check_record(bad == 0 && reports(kh) == 0))
        fprintf(stderr, "stress %s debug '%s' q%u cpus%u: %u bad, %u reports\n", profile, debug,
                quarantine, cpus, bad, reports(kh));
    kh_destroy(kh);
}

int main(void)
{
    test_create_rules();
    test_merging();
    test_ctor();
    test_bulk();
    test_partial_and_shrink();
    test_shrinker();
    test_per_cpu();
    test_slabinfo();
    test_walk_validate_reset();
    test_validate_changed();
    test_default_instance_names();
    stress("linux-6.1-x86_64", "", 0, 1);
    stress("linux-6.1-x86_64", "", 0, 4);
    stress("linux-6.1-x86_64", "FZPU", 0, 2);
    stress("linux-6.1-x86_64", "", 64, 3);
    stress("linux-6.1-x86_64", "ZU", 16, 1);
    stress("linux-4.x-slab", "", 0, 2);
    stress("linux-4.x-slob", "P", 0, 1);
    stress("linux-6.1-arm64-64k", "", 8, 2);
    return check_summary();
}
