/* slab_geometry_test.c - SLUB cache geometry against SPEC 0b: alignment,
 * slot size, free pointer placement, slab order and objects per slab, for
 * the kmalloc caches (observed Linux 6.1 values) and a grid of
 * kmem_cache_create sizes checked against the rule restated here.
 */
#include <stdlib.h>

#include "check.h"
#include "fixture.h"
#include "kmalloc.h"
#include "page_alloc.h"
#include "slab.h"

static struct kh *make(const char *profile, unsigned cpus)
{
    struct kh_config cfg = kh_test_config(profile);
    if (cpus)
        cfg.nr_cpus = cpus;
    return kh_test_create(&cfg);
}

static struct kh_cache_info info_of(struct kh *kh, const char *name)
{
    struct kh_cache_info ci = { 0 };
    struct kmem_cache *s = kh_slab_find_cache(kh, name);
    CHECK(s != NULL);
    if (s)
        kh_slab_cache_info(kh, s, &ci);
    return ci;
}

static void expect_cache(struct kh *kh, const char *name, unsigned size, unsigned align,
                         unsigned order, unsigned objects)
{
    struct kh_cache_info ci = info_of(kh, name);
    if (!check_record(ci.size == size && ci.align == align && ci.order == order &&
                      ci.objects_per_slab == objects))
        fprintf(stderr, "%s: size %u align %u order %u objects %u, want %u %u %u %u\n", name,
                ci.size, ci.align, ci.order, ci.objects_per_slab, size, align, order, objects);
}

/* SPEC 0 / 0b observed values. */
static void test_observed_kmalloc(void)
{
    struct kh *kh = make("linux-6.1-x86_64", 1);
    expect_cache(kh, "kmalloc-1k", 1024, 1024, 1, 8);
    expect_cache(kh, "kmalloc-8k", 8192, 8192, 3, 4);
    expect_cache(kh, "kmalloc-192", 192, 8, 0, 21);
    expect_cache(kh, "kmalloc-8", 8, 8, 0, 512);
    expect_cache(kh, "kmalloc-96", 96, 8, 0, 42);
    expect_cache(kh, "kmalloc-512", 512, 512, 0, 8);
    expect_cache(kh, "kmalloc-2k", 2048, 2048, 2, 8);
    expect_cache(kh, "kmalloc-4k", 4096, 4096, 3, 8);
    expect_cache(kh, "dma-kmalloc-192", 192, 8, 0, 21);
    expect_cache(kh, "kmalloc-rcl-64", 64, 64, 0, 64);
    expect_cache(kh, "kmalloc-cg-1k", 1024, 1024, 1, 8);
    CHECK(kh_slab_find_cache(kh, "kmalloc-16k") == NULL);
    CHECK(kh_slab_find_cache(kh, "kmalloc-4") == NULL);
    kh_destroy(kh);

    kh = make("linux-6.1-x86_64", 4);
    expect_cache(kh, "kmalloc-1k", 1024, 1024, 2, 16);
    expect_cache(kh, "kmalloc-8k", 8192, 8192, 3, 4);
    expect_cache(kh, "kmalloc-192", 192, 8, 0, 21);
    expect_cache(kh, "kmalloc-512", 512, 512, 1, 16);
    expect_cache(kh, "kmalloc-4k", 4096, 4096, 3, 8);
    kh_destroy(kh);
}

/* ---- the rule, restated independently ---- */

static unsigned ref_fls(unsigned v)
{
    unsigned n = 0;
    while (v) {
        n++;
        v >>= 1;
    }
    return n;
}

static unsigned ref_get_order(unsigned long size)
{
    unsigned order = 0;
    while ((4096ul << order) < size)
        order++;
    return order;
}

static unsigned ref_align(unsigned size, unsigned align, int hwcache)
{
    unsigned a = align;
    if (hwcache) {
        unsigned r = 64;
        while (size <= r / 2)
            r /= 2;
        if (r > a)
            a = r;
    }
    if (a < 8)
        a = 8;
    return (a + 7) / 8 * 8;
}

static unsigned ref_order(unsigned slot, unsigned cpus)
{
    unsigned min_objects = 4 * (ref_fls(cpus) + 1);
    unsigned cap = (4096u << 3) / slot;
    if (min_objects > cap)
        min_objects = cap;
    for (unsigned mo = min_objects; mo > 1; mo--) {
        for (unsigned fract = 16; fract >= 4; fract /= 2) {
            for (unsigned order = ref_get_order((unsigned long)mo * slot); order <= 3; order++) {
                unsigned long bytes = 4096ul << order;
                if (bytes % slot <= bytes / fract)
                    return order;
            }
        }
    }
    for (unsigned order = ref_get_order(slot); order <= 10; order++)
        if ((4096ul << order) >= slot)
            return order;
    return 99;
}

static void test_grid(unsigned cpus)
{
    struct kh *kh = make("linux-6.1-x86_64", cpus);
    unsigned bad = 0, total = 0;
    for (unsigned size = 1; size <= 8192; size += (size < 300 ? 1 : size < 2048 ? 7 : 61)) {
        for (int variant = 0; variant < 4; variant++) {
            unsigned align = (variant & 1) ? 64 : 0;
            int hw = (variant & 2) != 0;
            struct kmem_cache *s = kh_kmem_cache_create(kh, "grid", size, align,
                                                        hw ? SLAB_HWCACHE_ALIGN : 0, NULL);
            struct kh_cache_info ci;
            kh_slab_cache_info(kh, s, &ci);
            unsigned a = ref_align(size, align, hw);
            unsigned slot = ((size + 7) / 8 * 8 + a - 1) / a * a;
            unsigned order = ref_order(slot, cpus);
            unsigned objects = (unsigned)((4096ul << order) / slot);
            total++;
            if (ci.align != a || ci.size != slot || ci.order != order ||
                ci.objects_per_slab != objects || ci.ksize != slot) {
                if (bad++ < 10)
                    fprintf(stderr, "grid cpus=%u size=%u align=%u hw=%d: got a%u s%u o%u n%u, "
                                    "want a%u s%u o%u n%u\n", cpus, size, align, hw, ci.align,
                            ci.size, ci.order, ci.objects_per_slab, a, slot, order, objects);
            }
            kh_kmem_cache_destroy(kh, s);
        }
    }
    CHECK_EQ_U(bad, 0);
    CHECK(total > 1000);
    CHECK_EQ_U(kh_report_count(kh, KH_SEV_WARN) + kh_report_count(kh, KH_SEV_BUG), 0);
    kh_destroy(kh);
}

/* Free pointer placement and debug layouts (6.1 calculate_sizes). */
static void test_fp_placement(void)
{
    struct kh *kh = make("linux-6.1-x86_64", 1);
    struct kmem_cache *s = kh_kmem_cache_create(kh, "plain", 100, 0, 0, NULL);
    struct kh_cache_info ci;
    kh_slab_cache_info(kh, s, &ci);
    CHECK_EQ_U(ci.offset, 48);          /* ALIGN_DOWN(100 / 2, 8): inside, mid-object */
    CHECK_EQ_U(ci.size, 104);

    void ctor(void *p);
    struct kmem_cache *c = kh_kmem_cache_create(kh, "ctor", 100, 0, 0, ctor);
    kh_slab_cache_info(kh, c, &ci);
    CHECK_EQ_U(ci.offset, 104);         /* outside: after the aligned object */
    CHECK_EQ_U(ci.size, 112);

    struct kmem_cache *p = kh_kmem_cache_create(kh, "poison", 64, 0, SLAB_POISON, NULL);
    kh_slab_cache_info(kh, p, &ci);
    CHECK_EQ_U(ci.offset, 64);
    CHECK_EQ_U(ci.size, 72);
    CHECK_EQ_U(ci.ksize, 64);

    /* Z on a 64-byte object: inuse 72, pointer in the middle, right red
     * zone word plus an 8-byte left pad: 64 + 8 + 8 + 8 = 88. */
    struct kmem_cache *z = kh_kmem_cache_create(kh, "rz", 64, 0, SLAB_RED_ZONE, NULL);
    kh_slab_cache_info(kh, z, &ci);
    CHECK_EQ_U(ci.inuse, 72);
    CHECK_EQ_U(ci.offset, 32);
    CHECK_EQ_U(ci.red_left_pad, 8);
    CHECK_EQ_U(ci.size, 88);

    /* Z+U on a 4-byte object: pointer outside (object below pointer size),
     * two 32-byte tracks. 8 + 8 + 64 + 8 + 8 = 96. */
    struct kmem_cache *zu = kh_kmem_cache_create(kh, "rzu", 4, 0, SLAB_RED_ZONE | SLAB_STORE_USER, NULL);
    kh_slab_cache_info(kh, zu, &ci);
    CHECK_EQ_U(ci.inuse, 8);
    CHECK_EQ_U(ci.offset, 8);
    CHECK_EQ_U(ci.size, 96);

    struct kmem_cache *rcu = kh_kmem_cache_create(kh, "rcu", 24, 0, SLAB_TYPESAFE_BY_RCU, NULL);
    kh_slab_cache_info(kh, rcu, &ci);
    CHECK_EQ_U(ci.offset, 24);
    CHECK_EQ_U(ci.size, 32);
    kh_destroy(kh);
}

void ctor(void *p) { *(int *)p = 7; }

static void test_min_partial(void)
{
    struct kh *kh = make("linux-6.1-x86_64", 1);
    CHECK_EQ_U(info_of(kh, "kmalloc-8").min_partial, 5);      /* ilog2(8)/2 = 1 -> 5 */
    CHECK_EQ_U(info_of(kh, "kmalloc-8k").min_partial, 6);     /* 13/2 */
    kh_destroy(kh);
    kh = make("linux-6.1-arm64-64k", 1);
    CHECK_EQ_U(info_of(kh, "kmalloc-128k").min_partial, 8);   /* 17/2 */
    CHECK_EQ_U(info_of(kh, "kmalloc-128").align, 128);
    CHECK(kh_slab_find_cache(kh, "kmalloc-96") == NULL);
    CHECK(kh_slab_find_cache(kh, "kmalloc-192") == NULL);
    CHECK(kh_slab_find_cache(kh, "kmalloc-64") == NULL);
    kh_destroy(kh);
}

int main(void)
{
    test_observed_kmalloc();
    test_grid(1);
    test_grid(4);
    test_fp_placement();
    test_min_partial();
    return check_summary();
}
