/* kmalloc_test.c - the kmalloc family: size classes at every boundary for
 * every profile (SPEC 1), the observed Linux 6.1 values (SPEC 0), and the
 * rules of SPEC 2 (zero size, kfree, ksize, krealloc, array helpers,
 * large allocations, misuse reports).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "fixture.h"
#include "introspect.h"
#include "kmalloc.h"
#include "page_alloc.h"
#include "slab.h"

static struct kh *make(const char *profile)
{
    struct kh_config cfg = kh_test_config(profile);
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

static bool no_violations(struct kh *kh)
{
    struct kh_violations v = { 0 };
    unsigned n = kh_slab_validate(kh, &v) + kh_page_validate(kh, &v);
    if (n)
        kh_violations_print(&v, stderr);
    kh_violations_free(&v);
    return n == 0;
}

/* ---- SPEC 1, restated per profile ---- */

struct limits { unsigned low, high, max; size_t min; };

static struct limits limits_of(const struct kh_config *c)
{
    struct limits l;
    unsigned ps = c->page_shift, mo = c->max_order;
    if (c->slab == KH_SLAB_SLAB) {
        l.high = mo + ps - 1 < 25 ? mo + ps - 1 : 25;
        l.max = l.high;
        l.low = 5;
    } else if (c->slab == KH_SLAB_SLOB) {
        l.high = ps;
        l.max = mo + ps - 1;
        l.low = 3;
    } else {
        l.high = ps + 1;
        l.max = mo + ps - 1;
        l.low = 3;
    }
    l.min = (size_t)1 << l.low;
    if (c->arch_kmalloc_minalign > 8)
        l.min = c->arch_kmalloc_minalign;
    return l;
}

static size_t expected_class(const struct limits *l, unsigned page_shift, size_t n)
{
    if (n > ((size_t)1 << l->high)) {
        size_t bytes = (size_t)1 << page_shift;
        while (bytes < n)
            bytes <<= 1;
        return bytes;
    }
    if (n <= l->min)
        return l->min;
    if (l->min <= 32 && n > 64 && n <= 96)
        return 96;
    if (l->min <= 64 && n > 128 && n <= 192)
        return 192;
    size_t p = 1;
    while (p < n)
        p <<= 1;
    return p;
}

static void check_size(struct kh *kh, const struct kh_config *c, const struct limits *l, size_t n)
{
    size_t want = expected_class(l, c->page_shift, n);
    void *p = kh_kmalloc(kh, n, GFP_KERNEL);
    if (!check_record(p != NULL)) {
        fprintf(stderr, "%s: kmalloc(%zu) failed\n", c->profile, n);
        return;
    }
    size_t ks = kh_ksize(kh, p);
    size_t want_ks = want;
    if (c->slab == KH_SLAB_SLOB && n < ((size_t)1 << c->page_shift) - c->arch_kmalloc_minalign)
        want_ks = (n + 1) & ~(size_t)1;
    if (!check_record(ks == want_ks))
        fprintf(stderr, "%s: ksize(kmalloc(%zu)) = %zu, want %zu\n", c->profile, n, ks, want_ks);
    if (!check_record(kh_kmalloc_size_roundup(kh, n) == want))
        fprintf(stderr, "%s: kmalloc_size_roundup(%zu) = %zu, want %zu\n", c->profile, n,
                kh_kmalloc_size_roundup(kh, n), want);
    size_t align = want <= ((size_t)1 << l->high) ? ((want & (want - 1)) ? 8 : want)
                                                  : ((size_t)1 << c->page_shift);
    if (align < c->arch_kmalloc_minalign)
        align = c->arch_kmalloc_minalign;
    if (!check_record(((uintptr_t)p & (align - 1)) == 0))
        fprintf(stderr, "%s: kmalloc(%zu) = %p not %zu-aligned\n", c->profile, n, p, align);
    memset(p, 0xab, n);
    kh_kfree(kh, p);
}

static void test_size_classes(const char *profile)
{
    struct kh *kh = make(profile);
    const struct kh_config *c = kh_get_config(kh);
    struct limits l = limits_of(c);
    CHECK_EQ_U(kh_kmalloc_max_size(kh), (size_t)1 << l.max);
    CHECK_EQ_U(kh_kmalloc_max_cache_size(kh), (size_t)1 << l.high);
    CHECK_EQ_U(kh_kmalloc_min_size(kh), l.min);
    CHECK_EQ_U(kh_kmalloc_index(kh, 0), 0);
    for (size_t b = 1; b <= ((size_t)1 << l.max); b <<= 1) {
        size_t cand[] = { b - 1, b, b + 1, b + b / 2 };
        for (unsigned i = 0; i < 4; i++)
            if (cand[i] >= 1 && cand[i] <= ((size_t)1 << l.max))
                check_size(kh, c, &l, cand[i]);
    }
    size_t odd[] = { 64, 65, 95, 96, 97, 128, 129, 191, 192, 193, 13, 31, 33 };
    for (unsigned i = 0; i < sizeof(odd) / sizeof(odd[0]); i++)
        check_size(kh, c, &l, odd[i]);
    /* kmalloc_index per SPEC 1 */
    CHECK_EQ_U(kh_kmalloc_index(kh, 1), l.min == 8 ? 3 : (l.min == 32 ? 5 : 7));
    CHECK_EQ_U(kh_kmalloc_index(kh, 96), l.min <= 32 ? 1 : 7);
    CHECK_EQ_U(kh_kmalloc_index(kh, 192), l.min <= 64 ? 2 : 8);
    CHECK_EQ_U(kh_kmalloc_index(kh, 1000), 10);
    CHECK_EQ_U(reports(kh), 0);
    /* Above KMALLOC_MAX_SIZE: NULL, a warning unless __GFP_NOWARN. */
    CHECK(kh_kmalloc(kh, ((size_t)1 << l.max) + 1, GFP_KERNEL) == NULL);
    CHECK_EQ_U(kh_report_count(kh, KH_SEV_WARN), 1);
    CHECK(kh_kmalloc(kh, ((size_t)1 << l.max) + 1, GFP_KERNEL | __GFP_NOWARN) == NULL);
    CHECK_EQ_U(kh_report_count(kh, KH_SEV_WARN), 1);
    CHECK(no_violations(kh));
    kh_destroy(kh);
}

/* ---- SPEC 0 observed values ---- */

static void test_observed(void)
{
    struct kh *kh = make("linux-6.1-x86_64");
    CHECK_EQ_U(kh_kmalloc_max_size(kh), 4194304);
    CHECK_EQ_U(kh_kmalloc_max_cache_size(kh), 8192);
    CHECK_EQ_U(kh_kmalloc_shift_low(kh), 3);
    CHECK((uintptr_t)kh_kmalloc(kh, 0, GFP_KERNEL) == 0x10);
    kh_kfree(kh, NULL);
    kh_kfree(kh, ZERO_SIZE_PTR);
    struct { size_t lo, hi, ks; } t[] = {
        { 1, 8, 8 }, { 9, 16, 16 }, { 17, 32, 32 }, { 33, 64, 64 }, { 65, 96, 96 },
        { 97, 128, 128 }, { 129, 192, 192 }, { 193, 256, 256 }, { 257, 512, 512 },
        { 513, 1024, 1024 }, { 1025, 2048, 2048 }, { 2049, 4096, 4096 }, { 4097, 8192, 8192 },
        { 8193, 16384, 16384 },
    };
    for (unsigned i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        size_t ends[] = { t[i].lo, t[i].hi };
        for (int e = 0; e < 2; e++) {
            void *p = kh_kmalloc(kh, ends[e], GFP_KERNEL);
            if (!check_record(kh_ksize(kh, p) == t[i].ks))
                fprintf(stderr, "ksize(kmalloc(%zu)) = %zu, want %zu\n", ends[e], kh_ksize(kh, p), t[i].ks);
            kh_kfree(kh, p);
        }
    }
    void *big = kh_kmalloc(kh, 4194304, GFP_KERNEL);
    CHECK(big != NULL);
    CHECK_EQ_U(kh_ksize(kh, big), 4194304);
    kh_kfree(kh, big);
    CHECK(kh_kmalloc(kh, 4194305, GFP_KERNEL) == NULL);
    /* 8193..16384 is a page-order allocation, compound and page aligned */
    void *p = kh_kmalloc(kh, 8193, GFP_KERNEL);
    CHECK(((uintptr_t)p & 4095) == 0);
    CHECK(kh_virt_to_page(kh, p) != NULL);
    kh_kfree(kh, p);
    CHECK_EQ_U(kh_report_count(kh, KH_SEV_BUG), 0);
    CHECK_EQ_U(kh_report_count(kh, KH_SEV_WARN), 1);
    CHECK(no_violations(kh));
    kh_destroy(kh);
}

/* ---- SPEC 2 ---- */

static void test_zero_and_arrays(void)
{
    struct kh *kh = make("linux-6.1-x86_64");
    CHECK(ZERO_OR_NULL_PTR(NULL));
    CHECK(ZERO_OR_NULL_PTR(ZERO_SIZE_PTR));
    CHECK(!ZERO_OR_NULL_PTR((void *)17));
    CHECK_EQ_U(kh_ksize(kh, NULL), 0);
    CHECK_EQ_U(kh_ksize(kh, ZERO_SIZE_PTR), 0);
    CHECK_EQ_U(kh_kmalloc_size_roundup(kh, 0), 0);
    /* past KMALLOC_MAX_SIZE still whole pages of get_order (6.1, kernel oracle) */
    CHECK_EQ_U(kh_kmalloc_size_roundup(kh, 5000000), 8u << 20);
    CHECK_EQ_U(kh_kmalloc_size_roundup(kh, ((size_t)1 << 63) + 1), 0);
    CHECK_EQ_U(kh_kmalloc_size_roundup(kh, SIZE_MAX), SIZE_MAX);
    CHECK_EQ_U(kh_kmalloc_index(kh, 16384), 14);
    CHECK_EQ_U(kh_kmalloc_index(kh, 2u << 20), 21);
    CHECK_EQ_U(kh_kmalloc_index(kh, (2u << 20) + 1), (size_t)-1);
    CHECK_EQ_U(kh_kmalloc_size_roundup(kh, 10000), 16384);
    CHECK(kh_kmalloc_array(kh, SIZE_MAX / 2, 3, GFP_KERNEL) == NULL);
    CHECK(kh_kcalloc(kh, SIZE_MAX / 8, 16, GFP_KERNEL) == NULL);
    unsigned char *z = kh_kcalloc(kh, 10, 10, GFP_KERNEL);
    CHECK(z != NULL);
    unsigned zeros = 0;
    for (int i = 0; i < 100; i++)
        zeros += z[i] == 0;
    CHECK_EQ_U(zeros, 100);
    CHECK(kh_krealloc_array(kh, z, SIZE_MAX / 2, 4, GFP_KERNEL) == NULL);
    CHECK_EQ_U(z[0], 0);   /* still valid */
    /* kfree_sensitive zeroes ksize bytes */
    unsigned char *s = kh_kmalloc(kh, 50, GFP_KERNEL);
    memset(s, 0x77, 50);
    kh_kfree_sensitive(kh, s);
    struct kh_object_info oi;
    CHECK_EQ_U(kh_slab_object_lookup(kh, s, &oi, NULL), 0);
    CHECK_EQ_U(oi.state, KH_OBJ_FREE);
    kh_kfree(kh, z);
    CHECK_EQ_U(reports(kh), 0);
    char *dup = kh_kstrdup(kh, "hello", GFP_KERNEL);
    CHECK_EQ_STR(dup, "hello");
    kh_kfree(kh, dup);
    CHECK(no_violations(kh));
    kh_destroy(kh);
}

static void test_krealloc(void)
{
    struct kh *kh = make("linux-6.1-x86_64");
    char *p = kh_krealloc(kh, NULL, 20, GFP_KERNEL);
    CHECK(p != NULL);
    CHECK_EQ_U(kh_ksize(kh, p), 32);
    memcpy(p, "0123456789abcdefghi", 20);
    CHECK(kh_krealloc(kh, p, 30, GFP_KERNEL) == p);       /* fits in ksize */
    char *q = kh_krealloc(kh, p, 100, GFP_KERNEL);
    CHECK(q != p);
    CHECK_EQ_STR(q, "0123456789abcdefghi");
    CHECK_EQ_U(kh_ksize(kh, q), 128);
    /* old object freed on success */
    struct kh_object_info oi;
    kh_slab_object_lookup(kh, p, &oi, NULL);
    CHECK_EQ_U(oi.state, KH_OBJ_FREE);
    /* failure keeps the old object */
    struct kh_fault_config fc = { .mode = KH_FAULT_NTH, .domains = KH_FAULT_SLAB, .nth = 1 };
    kh_fault_set(kh, &fc);
    CHECK(kh_krealloc(kh, q, 1000, GFP_KERNEL) == NULL);
    kh_fault_clear(kh);
    CHECK_EQ_STR(q, "0123456789abcdefghi");
    kh_slab_object_lookup(kh, q, &oi, NULL);
    CHECK_EQ_U(oi.state, KH_OBJ_ALLOCATED);
    /* to the large path and back */
    char *l = kh_krealloc(kh, q, 20000, GFP_KERNEL);
    CHECK(l != NULL && ((uintptr_t)l & 4095) == 0);
    CHECK_EQ_STR(l, "0123456789abcdefghi");
    CHECK_EQ_U(kh_ksize(kh, l), 32768);
    CHECK(kh_krealloc(kh, l, 30000, GFP_KERNEL) == l);
    char *s = kh_krealloc(kh, l, 50000, GFP_KERNEL);
    CHECK_EQ_STR(s, "0123456789abcdefghi");
    /* size 0 frees */
    CHECK(kh_krealloc(kh, s, 0, GFP_KERNEL) == ZERO_SIZE_PTR);
    CHECK_EQ_U(reports(kh), 0);
    /* krealloc of a freed pointer: reported, NULL */
    CHECK(kh_krealloc(kh, q, 10, GFP_KERNEL) == NULL);
    CHECK_EQ_U(reports(kh), 1);
    CHECK(no_violations(kh));
    kh_destroy(kh);
}

static void test_large_and_flags(void)
{
    struct kh *kh = make("linux-6.1-x86_64");
    unsigned long free0 = kh_nr_free_pages(kh);
    void *p = kh_kmalloc(kh, 100000, GFP_KERNEL);
    CHECK(p != NULL);
    CHECK_EQ_U(free0 - kh_nr_free_pages(kh), 32);
    CHECK_EQ_U(kh_ksize(kh, p), 131072);
    kh_kfree(kh, (char *)p + 4096);   /* interior */
    CHECK_EQ_STR(last_report(kh)->reason, "invalid free");
    kh_kfree(kh, p);
    CHECK_EQ_U(free0, kh_nr_free_pages(kh));
    kh_kfree(kh, p);                  /* freed large allocation */
    CHECK_EQ_STR(last_report(kh)->reason, "double free");
    /* not a kmalloc allocation: a page from alloc_pages, a host pointer */
    struct page *pg = kh_alloc_pages(kh, GFP_KERNEL, 0);
    kh_kfree(kh, kh_page_address(kh, pg));
    CHECK_EQ_STR(last_report(kh)->reason, "Not a kmalloc allocation");
    int local;
    kh_kfree(kh, &local);
    CHECK_EQ_STR(last_report(kh)->reason, "Not a kmalloc allocation");
    CHECK_EQ_U(kh_ksize(kh, &local), 0);
    kh___free_pages(kh, pg, 0);
    /* slab interior pointer and double free */
    char *o = kh_kmalloc(kh, 64, GFP_KERNEL);
    unsigned before = reports(kh);
    kh_kfree(kh, o + 8);
    CHECK_EQ_U(reports(kh), before + 1);
    CHECK_EQ_STR(last_report(kh)->reason, "invalid free");
    kh_kfree(kh, o);
    kh_kfree(kh, o);
    CHECK_EQ_STR(last_report(kh)->reason, "Object already free");
    CHECK_EQ_U(last_report(kh)->cls, KH_R_SLAB);
    /* GFP_DMA uses dma-kmalloc; DMA32 on a new slab: "Unexpected gfp" */
    struct kh_cache_info ci;
    kh_slab_cache_info(kh, kh_kmalloc_cache(kh, 100, GFP_KERNEL | GFP_DMA), &ci);
    CHECK_EQ_STR(ci.name, "dma-kmalloc-128");
    void *d = kh_kmalloc(kh, 100, GFP_KERNEL | GFP_DMA);
    CHECK(d != NULL);
    struct kh_zone_info zi;
    kh_zone_info(kh, ZONE_DMA, &zi);
    unsigned long pfn = kh_page_to_pfn(kh, kh_virt_to_page(kh, d));
    CHECK(pfn >= zi.start_pfn && pfn < zi.end_pfn);
    kh_kfree(kh, d);
    before = kh_report_count(kh, KH_SEV_WARN);
    void *h = kh_kmalloc(kh, 3000, GFP_KERNEL | __GFP_DMA32);
    CHECK(h != NULL);
    CHECK_EQ_U(kh_report_count(kh, KH_SEV_WARN), before + 1);
    CHECK_EQ_STR(last_report(kh)->reason, "Unexpected gfp");
    kh_kfree(kh, h);
    kh_slab_cache_info(kh, kh_kmalloc_cache(kh, 10, GFP_KERNEL | __GFP_RECLAIMABLE), &ci);
    CHECK_EQ_STR(ci.name, "kmalloc-rcl-16");
    kh_slab_cache_info(kh, kh_kmalloc_cache(kh, 10, GFP_KERNEL_ACCOUNT), &ci);
    CHECK_EQ_STR(ci.name, "kmalloc-cg-16");
    CHECK(no_violations(kh));
    kh_destroy(kh);
}

int main(void)
{
    const char *const *names = kh_profile_names();
    for (unsigned i = 0; names[i]; i++)
        test_size_classes(names[i]);
    test_observed();
    test_zero_and_arrays();
    test_krealloc();
    test_large_and_flags();
    return check_summary();
}
