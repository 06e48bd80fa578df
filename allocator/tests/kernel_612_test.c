/* kernel_612_test.c - the Linux 6.12 profile against the 6.1 one, one
 * check per difference of SPEC section 10: every field of struct
 * kh_kernel_traits shows in behaviour, on 6.12 and not on 6.1 (or the
 * reverse), and the calls of the other kernel's API are refused.
 */
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "fixture.h"
#include "gfp.h"
#include "introspect.h"
#include "kmalloc.h"
#include "page_alloc.h"
#include "slab.h"
#include "vmalloc.h"

#define P61 "linux-6.1-x86_64"
#define P612 "linux-6.12-x86_64"

static unsigned cache_align(struct kh *kh, size_t size)
{
    struct kh_cache_info ci;
    struct kmem_cache *s = kh_kmalloc_cache(kh, size, GFP_KERNEL);
    CHECK(s && kh_slab_cache_info(kh, s, &ci) == 0);
    return s ? ci.align : 0;
}

static void test_profile(void)
{
    struct kh_config cfg = kh_test_config(P612);
    CHECK_EQ_U(cfg.kernel, KH_KERNEL_6_12);
    CHECK_EQ_U(cfg.slab, KH_SLAB_SLUB);
    CHECK(strcmp(kh_kernel_traits_of(KH_KERNEL_6_12)->release, "6.12") == 0);
    CHECK(kh_kernel_traits_of(KH_KERNEL_COUNT) == NULL);
    /* SLUB only: the other designs are refused with this kernel */
    cfg.slab = KH_SLAB_SLAB;
    CHECK(kh_config_check(&cfg) != NULL);
    cfg.slab = KH_SLAB_SLUB;
    cfg.kernel = KH_KERNEL_COUNT;
    CHECK(kh_config_check(&cfg) != NULL);
    /* MAX_PAGE_ORDER 10 inclusive is the old exclusive 11: order 10 is the last */
    struct kh *kh = kh_test_instance(P612);
    CHECK(kh_kernel_traits(kh)->max_page_order_inclusive);
    struct page *pg = kh_alloc_pages(kh, GFP_KERNEL, 10);
    CHECK(pg != NULL);
    CHECK(kh_alloc_pages(kh, GFP_KERNEL | __GFP_NOWARN, 11) == NULL);
    if (pg)
        kh___free_pages(kh, pg, 10);
    kh_destroy(kh);
}

static void test_kmalloc_classes(void)
{
    struct kh *a = kh_test_instance(P61), *b = kh_test_instance(P612);
    CHECK_EQ_U(cache_align(a, 96), 8);
    CHECK_EQ_U(cache_align(a, 192), 8);
    CHECK_EQ_U(cache_align(b, 96), 32);
    CHECK_EQ_U(cache_align(b, 192), 64);
    CHECK_EQ_U(cache_align(b, 128), 128);
    struct kmem_cache *dma = kh_kmalloc_cache(b, 96, GFP_DMA);
    struct kh_cache_info ci;
    CHECK(dma && kh_slab_cache_info(b, dma, &ci) == 0 && ci.align == 32);
    /* every object of kmalloc-96 on 6.12 is 32-aligned */
    for (int i = 0; i < 50; i++) {
        void *p = kh_kmalloc(b, 90, GFP_KERNEL);
        CHECK(p && ((uintptr_t)p & 31) == 0);
    }
    /* the classes themselves are the same */
    for (size_t n = 1; n <= 8192; n += 37)
        CHECK_EQ_U(kh_kmalloc_size_roundup(a, n), kh_kmalloc_size_roundup(b, n));
    /* past KMALLOC_MAX_SIZE: 6.1 rounds up (wrapping to 0), 6.12 keeps n */
    size_t max = kh_kmalloc_max_size(b);
    CHECK_EQ_U(kh_kmalloc_size_roundup(a, max + 1), 2 * max);
    CHECK_EQ_U(kh_kmalloc_size_roundup(b, max + 1), max + 1);
    CHECK_EQ_U(kh_kmalloc_size_roundup(a, SIZE_MAX - 1), 0);
    CHECK_EQ_U(kh_kmalloc_size_roundup(b, SIZE_MAX - 1), SIZE_MAX - 1);
    CHECK_EQ_U(kh_kmalloc_size_roundup(b, max), max);
    kh_destroy(a);
    kh_destroy(b);
}

/* In place with __GFP_ZERO: zeroed from the new size to ksize, growing
 * too (observed on both Debian kernels). */
static void test_krealloc_spare(void)
{
    const char *profiles[] = { P61, P612 };
    for (int i = 0; i < 2; i++) {
        struct kh *kh = kh_test_instance(profiles[i]);
        unsigned char *p = kh_kmalloc(kh, 128, GFP_KERNEL);
        memset(p, 0xab, 128);
        CHECK(kh_krealloc(kh, p, 32, GFP_KERNEL) == p);
        CHECK(kh_krealloc(kh, p, 64, GFP_KERNEL | __GFP_ZERO) == p);
        struct kh_copy_info c;
        kh_last_clear(kh, &c);
        CHECK(c.dst == p + 64 && c.n == 64);   /* [64, 128): not [32, 64) */
        CHECK(p[40] == 0xab);
        kh_kfree(kh, p);
        kh_destroy(kh);
    }
}

static void test_realloc_forms(void)
{
    struct kh *a = kh_test_instance(P61), *b = kh_test_instance(P612);
    /* each kernel refuses the other's form: a warning and NULL */
    void *p = kh_kmalloc(a, 100, GFP_KERNEL);
    CHECK(kh_kvrealloc_v612(a, p, 200, GFP_KERNEL) == NULL);
    CHECK(kh_vrealloc(a, NULL, 200, GFP_KERNEL) == NULL);
    CHECK_EQ_U(reports_with(a, "API not in this kernel"), 2);
    void *q = kh_kmalloc(b, 100, GFP_KERNEL);
    CHECK(kh_kvrealloc(b, q, 100, 200, GFP_KERNEL) == NULL);
    CHECK_EQ_U(reports_with(b, "API not in this kernel"), 1);
    kh_kfree(a, p);
    kh_reports_clear(b);

    /* 6.12 kvrealloc: krealloc first (in place within ksize), vmalloc past
     * KMALLOC_MAX_SIZE, back in place as vrealloc; 0 frees */
    memset(q, 0x5a, 100);
    CHECK(kh_kvrealloc_v612(b, q, 128, GFP_KERNEL) == q);
    unsigned char *r = kh_kvrealloc_v612(b, q, 129, GFP_KERNEL);
    CHECK(r && r != q && r[99] == 0x5a);
    unsigned char *v = kh_kvrealloc_v612(b, r, kh_kmalloc_max_size(b) + 1, GFP_KERNEL);
    CHECK(v && kh_is_vmalloc_addr(b, v) && v[0] == 0x5a && v[99] == 0x5a);
    CHECK(kh_kvrealloc_v612(b, v, 4096, GFP_KERNEL) == v);
    CHECK(kh_kvrealloc_v612(b, v, 0, GFP_KERNEL) == NULL);
    void *k = kh_kvrealloc_v612(b, NULL, 50, GFP_KERNEL);
    CHECK(k && !kh_is_vmalloc_addr(b, k));
    CHECK(kh_kvrealloc_v612(b, k, 0, GFP_KERNEL) == ZERO_SIZE_PTR);

    /* vrealloc: in place within the area's pages, a new area beyond */
    unsigned char *w = kh_vmalloc(b, 10000);
    memset(w, 7, 10000);
    CHECK(kh_vrealloc(b, w, 5000, GFP_KERNEL) == w);
    CHECK(kh_vrealloc(b, w, 3 * 4096, GFP_KERNEL) == w);
    unsigned char *x = kh_vrealloc(b, w, 3 * 4096 + 1, GFP_KERNEL);
    CHECK(x && x != w && x[4999] == 7);
    CHECK(kh_vrealloc(b, x, 0, GFP_KERNEL) == NULL);
    CHECK(kh_vrealloc(b, (char *)kh_vmalloc(b, 100) + 8, 10, GFP_KERNEL) == NULL);
    CHECK_EQ_U(reports_with(b, "vrealloc nonexistent vm area"), 1);
    struct kh_violations viol = { 0 };
    CHECK_EQ_U(kh_validate(b, &viol), 0);
    kh_violations_free(&viol);
    kh_destroy(a);
    kh_destroy(b);
}

/* kmem_cache_create with struct kmem_cache_args: freeptr_offset keeps an
 * RCU cache's free pointer inside the object, so the slot does not grow. */
static void test_cache_args(void)
{
    struct kh *a = kh_test_instance(P61), *b = kh_test_instance(P612);
    CHECK(kh_kmem_cache_create_args(a, "args61", 64, 0, SLAB_TYPESAFE_BY_RCU, 0) == NULL);
    CHECK_EQ_U(reports_with(a, "API not in this kernel"), 1);
    struct kmem_cache *plain = kh_kmem_cache_create(b, "rcu_plain", 64, 0, SLAB_TYPESAFE_BY_RCU, NULL);
    struct kmem_cache *in = kh_kmem_cache_create_args(b, "rcu_in", 64, 0, SLAB_TYPESAFE_BY_RCU, 32);
    struct kh_cache_info pi, ii;
    CHECK(plain && in && kh_slab_cache_info(b, plain, &pi) == 0 && kh_slab_cache_info(b, in, &ii) == 0);
    CHECK_EQ_U(pi.size, 72);   /* the pointer after the object */
    CHECK_EQ_U(ii.size, 64);   /* inside it */
    /* poisoning moves it out again */
    struct kmem_cache *poi = kh_kmem_cache_create_args(b, "rcu_poison", 64, 0,
                                                       SLAB_TYPESAFE_BY_RCU | SLAB_POISON, 32);
    CHECK(poi && kh_slab_cache_info(b, poi, &ii) == 0 && ii.size > 64);
    /* refused: not below the size, unaligned, without RCU */
    CHECK(kh_kmem_cache_create_args(b, "bad1", 64, 0, SLAB_TYPESAFE_BY_RCU, 64) == NULL);
    CHECK(kh_kmem_cache_create_args(b, "bad2", 64, 0, SLAB_TYPESAFE_BY_RCU, 4) == NULL);
    CHECK(kh_kmem_cache_create_args(b, "bad3", 64, 0, 0, 8) == NULL);
    CHECK_EQ_U(reports_with(b, "kmem_cache_create failed"), 3);
    void *o = in ? kh_kmem_cache_alloc(b, in, GFP_KERNEL) : NULL;
    CHECK(o != NULL);
    if (o)
        kh_kmem_cache_free(b, in, o);
    struct kh_violations viol = { 0 };
    CHECK_EQ_U(kh_validate(b, &viol), 0);
    kh_violations_free(&viol);
    kh_destroy(a);
    kh_destroy(b);
}

/* Pages left when order-0 requests stop succeeding on a small arena. */
static unsigned long left_after_exhausting(const char *profile, gfp_t gfp)
{
    struct kh_config cfg = kh_test_config(profile);
    const uint64_t zones[MAX_NR_ZONES] = { 0, 0, 16ull << 20, 0 };
    memcpy(cfg.zone_bytes, zones, sizeof(zones));
    struct kh *kh = kh_test_create(&cfg);
    while (kh_alloc_pages(kh, gfp | __GFP_NOWARN, 0))
        ;
    unsigned long left = kh_nr_free_pages(kh);
    kh_destroy(kh);
    return left;
}

/* The further quarter below MIN: 6.1 gives it to __GFP_ATOMIC, 6.12 to
 * __GFP_HIGH requests that may not block (SPEC 10). */
static void test_reserve_rules(void)
{
    gfp_t high_nowait = __GFP_HIGH | __GFP_KSWAPD_RECLAIM;   /* GFP_ATOMIC without __GFP_ATOMIC */
    gfp_t atomic_only = __GFP_ATOMIC | __GFP_KSWAPD_RECLAIM;
    CHECK(left_after_exhausting(P612, high_nowait) < left_after_exhausting(P61, high_nowait));
    CHECK(left_after_exhausting(P61, atomic_only) < left_after_exhausting(P612, atomic_only));
    /* GFP_ATOMIC itself digs as deep on both */
    CHECK_EQ_U(left_after_exhausting(P61, GFP_ATOMIC), left_after_exhausting(P612, GFP_ATOMIC));
    /* __GFP_NOMEMALLOC takes the quarter away on both */
    CHECK_EQ_U(left_after_exhausting(P612, high_nowait | __GFP_NOMEMALLOC),
               left_after_exhausting(P61, high_nowait | __GFP_NOMEMALLOC));
}

int main(void)
{
    test_profile();
    test_kmalloc_classes();
    test_krealloc_spare();
    test_realloc_forms();
    test_cache_args();
    test_reserve_rules();
    return check_summary();
}
