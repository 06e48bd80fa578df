/* page_alloc_test.c - the buddy allocator's rules, one test per rule.
 *
 * Most tests use small custom instances whose watermarks are easy to
 * compute by hand (values derived from the Linux 6.1 formulas in SPEC
 * section 4 and the issue), so each expected number is an independent
 * statement of the rule rather than a replay of the implementation.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "fixture.h"
#include "internal.h"
#include "introspect.h"
#include "page_alloc.h"

#define NOPFN (~0ul)

/* ---- helpers ---- */

static struct kh *make_kh(unsigned long dma, unsigned long dma32, unsigned long normal,
                          unsigned long high, unsigned max_order, unsigned min_free_kbytes)
{
    struct kh_config cfg = kh_test_config(KH_DEFAULT_PROFILE);
    cfg.profile = "page-alloc-test";
    cfg.max_order = max_order;
    cfg.zone_bytes[ZONE_DMA] = (uint64_t)dma << 12;
    cfg.zone_bytes[ZONE_DMA32] = (uint64_t)dma32 << 12;
    cfg.zone_bytes[ZONE_NORMAL] = (uint64_t)normal << 12;
    cfg.zone_bytes[ZONE_HIGHMEM] = (uint64_t)high << 12;
    cfg.min_free_kbytes = min_free_kbytes;
    return kh_test_create(&cfg);
}

/* 64 pages of NORMAL, watermarks all zero. */
static struct kh *tiny(unsigned max_order) { return make_kh(0, 0, 64, 0, max_order, 1); }

static unsigned long pfn_of(struct kh *kh, struct page *p)
{
    return p ? kh_page_to_pfn(kh, p) : NOPFN;
}

#define CHECK_VALID(kh) check_valid_at((kh), __FILE__, __LINE__)
static void check_valid_at(struct kh *kh, const char *file, int line)
{
    struct kh_violations v = { 0 };
    unsigned n = kh_validate(kh, &v);
    if (!check_record(n == 0)) {
        fprintf(stderr, "%s:%d: validation found %u violations:\n", file, line, n);
        kh_violations_print(&v, stderr);
    }
    kh_violations_free(&v);
}

static unsigned long zone_nr_free(struct kh *kh, enum zone_type z, unsigned order)
{
    struct kh_zone_info zi;
    kh_zone_info(kh, z, &zi);
    return zi.nr_free[order];
}

/* Allocates until failure; returns the count. Pages are kept. */
static unsigned long fill(struct kh *kh, gfp_t gfp, unsigned order)
{
    unsigned long n = 0;
    while (kh_alloc_pages(kh, gfp, order))
        n++;
    return n;
}

static const struct kh_report *last_report(struct kh *kh)
{
    unsigned n = kh_report_count(kh, KH_SEV_WARN) + kh_report_count(kh, KH_SEV_BUG);
    return n ? kh_report_get(kh, n - 1) : NULL;
}

/* ---- geometry, watermarks, reserves ---- */

static void test_default_profile_geometry(void)
{
    struct kh_config cfg = kh_test_config(KH_DEFAULT_PROFILE);
    struct kh *kh = kh_create(&cfg, NULL);
    CHECK(kh != NULL);
    if (!kh)
        return;
    CHECK_EQ_U(kh_total_pages(kh), 262144);
    CHECK_EQ_U(kh_nr_free_pages(kh), 262144);
    CHECK_EQ_U(kh_page_size(kh), 4096);
    CHECK_EQ_U(kh_max_order(kh), 11);
    /* int_sqrt(1 GiB in kB * 16) = 4096 */
    CHECK_EQ_U(kh_min_free_kbytes(kh), 4096);

    struct kh_zone_info dma, dma32, normal, high;
    kh_zone_info(kh, ZONE_DMA, &dma);
    kh_zone_info(kh, ZONE_DMA32, &dma32);
    kh_zone_info(kh, ZONE_NORMAL, &normal);
    kh_zone_info(kh, ZONE_HIGHMEM, &high);
    CHECK_EQ_STR(dma.name, "DMA");
    CHECK_EQ_STR(dma32.name, "DMA32");
    CHECK_EQ_STR(normal.name, "Normal");
    CHECK(!high.present);
    CHECK_EQ_U(dma.start_pfn, 0);
    CHECK_EQ_U(dma.end_pfn, 4096);
    CHECK_EQ_U(dma32.start_pfn, 4096);
    CHECK_EQ_U(dma32.end_pfn, 131072);
    CHECK_EQ_U(normal.end_pfn, 262144);
    /* min = 1024 pages * managed / 262144; low/high add max(min/4, managed/1000) */
    CHECK_EQ_U(dma.wmark_min, 16);
    CHECK_EQ_U(dma.wmark_low, 20);
    CHECK_EQ_U(dma.wmark_high, 24);
    CHECK_EQ_U(dma32.wmark_min, 496);
    CHECK_EQ_U(dma32.wmark_low, 622);
    CHECK_EQ_U(dma32.wmark_high, 748);
    CHECK_EQ_U(normal.wmark_min, 512);
    CHECK_EQ_U(normal.wmark_low, 643);
    CHECK_EQ_U(normal.wmark_high, 774);
    /* ratios 256 / 256 / 32 over the managed pages of the zones above */
    CHECK_EQ_U(dma.lowmem_reserve[ZONE_DMA32], 496);
    CHECK_EQ_U(dma.lowmem_reserve[ZONE_NORMAL], 1008);
    CHECK_EQ_U(dma32.lowmem_reserve[ZONE_NORMAL], 512);
    CHECK_EQ_U(normal.lowmem_reserve[ZONE_HIGHMEM], 0);
    CHECK_EQ_U(dma.nr_free[10], 4);
    CHECK_EQ_U(dma32.nr_free[10], 124);
    CHECK_EQ_U(normal.nr_free[10], 128);

    char buf[512];
    kh_buddyinfo(kh, buf, sizeof(buf));
    CHECK_EQ_STR(buf,
                 "Node 0, zone      DMA      0      0      0      0      0      0      0      0      0      0      4 \n"
                 "Node 0, zone    DMA32      0      0      0      0      0      0      0      0      0      0    124 \n"
                 "Node 0, zone   Normal      0      0      0      0      0      0      0      0      0      0    128 \n");
    CHECK_VALID(kh);
    kh_destroy(kh);
}

static void test_highmem_and_min_clamp(void)
{
    /* 128 kB floor for min_free_kbytes; HIGHMEM min clamped to [32, 128] */
    struct kh *kh = make_kh(0, 0, 64, 1024, 11, 0);
    CHECK_EQ_U(kh_min_free_kbytes(kh), 128);   /* sqrt(256 kB * 16) = 64, raised to 128 */
    struct kh_zone_info n, h;
    kh_zone_info(kh, ZONE_NORMAL, &n);
    kh_zone_info(kh, ZONE_HIGHMEM, &h);
    CHECK_EQ_U(n.wmark_min, 32);                 /* all of the 32-page minimum */
    CHECK_EQ_U(h.wmark_min, 32);                 /* 1024 / 1024 = 1, raised to 32 */
    CHECK_EQ_U(n.lowmem_reserve[ZONE_HIGHMEM], 1024 / 32);
    kh_destroy(kh);
    kh = make_kh(0, 0, 64, 262144, 11, 0);       /* 1 GiB of highmem: 256, capped at 128 */
    kh_zone_info(kh, ZONE_HIGHMEM, &h);
    CHECK_EQ_U(h.wmark_min, 128);
    kh_destroy(kh);
    kh = make_kh(0, 0, 64, 65536, 11, 0);        /* 256 MiB: 64 */
    kh_zone_info(kh, ZONE_HIGHMEM, &h);
    CHECK_EQ_U(h.wmark_min, 64);
    kh_destroy(kh);
}

static void test_get_order(void)
{
    struct kh *kh = tiny(7);
    CHECK_EQ_U(kh_get_order(kh, 1), 0);
    CHECK_EQ_U(kh_get_order(kh, 4096), 0);
    CHECK_EQ_U(kh_get_order(kh, 4097), 1);
    CHECK_EQ_U(kh_get_order(kh, 8192), 1);
    CHECK_EQ_U(kh_get_order(kh, 8193), 2);
    CHECK_EQ_U(kh_get_order(kh, 4ul << 20), 10);
    kh_destroy(kh);
}

/* ---- split, merge, alignment, LIFO ---- */

static void test_split_and_merge(void)
{
    struct kh *kh = tiny(7);
    struct page *a = kh_alloc_pages(kh, GFP_KERNEL, 0);
    CHECK_EQ_U(pfn_of(kh, a), 0);
    /* the order-6 block split into upper halves 32, 16, 8, 4, 2, 1 */
    for (unsigned o = 0; o < 6; o++)
        CHECK_EQ_U(zone_nr_free(kh, ZONE_NORMAL, o), 1);
    CHECK_EQ_U(zone_nr_free(kh, ZONE_NORMAL, 6), 0);
    unsigned long head;
    unsigned order;
    CHECK_EQ_U(kh_page_state(kh, 32, &head, &order), KH_PAGE_FREE_HEAD);
    CHECK_EQ_U(order, 5);
    CHECK_EQ_U(kh_page_state(kh, 40, &head, &order), KH_PAGE_FREE_INTERIOR);
    CHECK_EQ_U(head, 32);

    struct page *b = kh_alloc_pages(kh, GFP_KERNEL, 0);
    struct page *c = kh_alloc_pages(kh, GFP_KERNEL, 1);
    CHECK_EQ_U(pfn_of(kh, b), 1);
    CHECK_EQ_U(pfn_of(kh, c), 2);
    CHECK_VALID(kh);

    kh___free_pages(kh, b, 0);      /* buddy 0 is allocated: no merge */
    CHECK_EQ_U(zone_nr_free(kh, ZONE_NORMAL, 0), 1);
    kh___free_pages(kh, a, 0);      /* 0 + 1 -> order 1 at 0; buddy 2 allocated */
    CHECK_EQ_U(zone_nr_free(kh, ZONE_NORMAL, 0), 0);
    CHECK_EQ_U(zone_nr_free(kh, ZONE_NORMAL, 1), 1);
    CHECK_EQ_U(kh_page_state(kh, 0, NULL, &order), KH_PAGE_FREE_HEAD);
    CHECK_EQ_U(order, 1);
    kh___free_pages(kh, c, 1);      /* cascades to the whole order-6 block */
    for (unsigned o = 0; o < 6; o++)
        CHECK_EQ_U(zone_nr_free(kh, ZONE_NORMAL, o), 0);
    CHECK_EQ_U(zone_nr_free(kh, ZONE_NORMAL, 6), 1);
    CHECK_EQ_U(kh_nr_free_pages(kh), 64);
    CHECK_VALID(kh);
    kh_destroy(kh);
}

static void test_alignment_and_smallest_order(void)
{
    struct kh *kh = tiny(7);
    CHECK_EQ_U(pfn_of(kh, kh_alloc_pages(kh, GFP_KERNEL, 3)), 0);
    /* smallest free order is 3 (pfn 8): split it rather than the order-4 */
    CHECK_EQ_U(pfn_of(kh, kh_alloc_pages(kh, GFP_KERNEL, 0)), 8);
    CHECK_EQ_U(pfn_of(kh, kh_alloc_pages(kh, GFP_KERNEL, 3)), 16);
    CHECK_EQ_U(pfn_of(kh, kh_alloc_pages(kh, GFP_KERNEL, 2)), 12);
    CHECK_EQ_U(pfn_of(kh, kh_alloc_pages(kh, GFP_KERNEL, 4)), 32);
    CHECK_EQ_U(pfn_of(kh, kh_alloc_pages(kh, GFP_KERNEL, 1)), 10);
    CHECK_VALID(kh);
    kh_destroy(kh);

    /* every block of every order is aligned to its order */
    kh = tiny(7);
    struct page *p;
    unsigned misaligned = 0, got = 0;
    for (unsigned i = 0; (p = kh_alloc_pages(kh, GFP_KERNEL | __GFP_NOWARN, i % 4)); i++) {
        if (pfn_of(kh, p) & ((1ul << (i % 4)) - 1))
            misaligned++;
        if ((uintptr_t)kh_page_address(kh, p) % (4096ul << (i % 4)))
            misaligned++;   /* addresses too, as in the kernel's direct map */
        got += 1u << (i % 4);
    }
    CHECK_EQ_U(misaligned, 0);
    CHECK(got >= 56);
    CHECK_VALID(kh);
    kh_destroy(kh);
}

static void test_lifo_and_buddy_pfn(void)
{
    struct kh *kh = tiny(7);
    struct page *p[8];
    for (int i = 0; i < 8; i++)
        p[i] = kh_alloc_pages(kh, GFP_KERNEL, 0);
    kh___free_pages(kh, p[2], 0);   /* buddy of 2 is 3 (allocated) */
    kh___free_pages(kh, p[5], 0);   /* buddy of 5 is 4 (allocated) */
    CHECK_EQ_U(zone_nr_free(kh, ZONE_NORMAL, 0), 2);
    /* last freed first out */
    CHECK_EQ_U(pfn_of(kh, kh_alloc_pages(kh, GFP_KERNEL, 0)), 5);
    CHECK_EQ_U(pfn_of(kh, kh_alloc_pages(kh, GFP_KERNEL, 0)), 2);
    /* buddy of order-1 block 4 is 6 = 4 ^ 2: free 4, 5 then 6, 7 merges to order 2 */
    kh___free_pages(kh, p[4], 0);
    kh___free_pages(kh, p[5], 0);
    CHECK_EQ_U(zone_nr_free(kh, ZONE_NORMAL, 1), 1);
    kh___free_pages(kh, p[7], 0);
    kh___free_pages(kh, p[6], 0);
    CHECK_EQ_U(zone_nr_free(kh, ZONE_NORMAL, 1), 0);
    CHECK_EQ_U(kh_page_state(kh, 4, NULL, NULL), KH_PAGE_FREE_HEAD);
    unsigned order;
    kh_page_state(kh, 6, NULL, &order);
    CHECK_EQ_U(order, 2);
    CHECK_VALID(kh);
    kh_destroy(kh);
}

/* ---- zones ---- */

static void test_zone_fallback(void)
{
    struct kh *kh = make_kh(64, 64, 64, 0, 7, 1);
    /* NORMAL first, then DMA32, then DMA */
    CHECK_EQ_U(pfn_of(kh, kh_alloc_pages(kh, GFP_KERNEL, 0)), 128);
    CHECK_EQ_U(pfn_of(kh, kh_alloc_pages(kh, GFP_DMA32, 0)), 64);
    CHECK_EQ_U(pfn_of(kh, kh_alloc_pages(kh, GFP_KERNEL | GFP_DMA, 0)), 0);
    CHECK_EQ_U(fill(kh, GFP_KERNEL | __GFP_NOWARN, 0), 63 + 63 + 63);
    CHECK_EQ_U(kh_nr_free_pages(kh), 0);
    kh_reset(kh);

    /* DMA requests never leave DMA */
    CHECK_EQ_U(fill(kh, GFP_KERNEL | GFP_DMA | __GFP_NOWARN, 0), 64);
    CHECK_EQ_U(kh_zone_free_pages(kh, ZONE_DMA32), 64);
    CHECK_EQ_U(kh_zone_free_pages(kh, ZONE_NORMAL), 64);
    /* DMA32 requests fall to DMA but never go up to NORMAL */
    kh_reset(kh);
    CHECK_EQ_U(fill(kh, GFP_DMA32 | __GFP_NOWARN, 0), 128);
    CHECK_EQ_U(kh_zone_free_pages(kh, ZONE_NORMAL), 64);
    CHECK_VALID(kh);
    kh_destroy(kh);

    /* no DMA zone: GFP_DMA fails, a NORMAL request uses what exists */
    kh = make_kh(0, 64, 0, 0, 7, 1);
    CHECK(kh_alloc_pages(kh, GFP_DMA | __GFP_NOWARN, 0) == NULL);
    CHECK_EQ_U(pfn_of(kh, kh_alloc_pages(kh, GFP_KERNEL, 0)), 0);
    kh_destroy(kh);

    /* HIGHMEM first for highmem-capable requests, down to its fixed min (32) */
    kh = make_kh(0, 0, 64, 64, 7, 1);
    CHECK_EQ_U(pfn_of(kh, kh_alloc_pages(kh, GFP_HIGHUSER, 0)), 64);
    CHECK_EQ_U(pfn_of(kh, kh_alloc_pages(kh, GFP_KERNEL, 0)), 0);
    /* NORMAL keeps lowmem_reserve[HIGHMEM] = 64 / 32 = 2 pages from them */
    CHECK_EQ_U(fill(kh, GFP_HIGHUSER | __GFP_NOWARN, 0), 31 + 61);
    CHECK_EQ_U(kh_zone_free_pages(kh, ZONE_HIGHMEM), 32);
    CHECK_EQ_U(kh_zone_free_pages(kh, ZONE_NORMAL), 2);
    CHECK_EQ_U(fill(kh, GFP_KERNEL | __GFP_NOWARN, 0), 2);
    /* __get_free_pages strips __GFP_HIGHMEM: it needs an address */
    kh_reset(kh);
    unsigned long addr = kh___get_free_pages(kh, GFP_HIGHUSER, 0);
    CHECK(addr != 0);
    CHECK_EQ_U(pfn_of(kh, kh_virt_to_page(kh, (void *)addr)), 0);
    kh_destroy(kh);
}

/* ---- watermarks per gfp ---- */

/* NORMAL 1024 pages, min_free_kbytes 400: min 100, low 125, high 150. */
static struct kh *wmark_kh(void) { return make_kh(0, 0, 1024, 0, 11, 400); }

static void test_watermarks_per_gfp(void)
{
    struct kh *kh = wmark_kh();
    struct kh_zone_info zi;
    kh_zone_info(kh, ZONE_NORMAL, &zi);
    CHECK_EQ_U(zi.wmark_min, 100);
    CHECK_EQ_U(zi.wmark_low, 125);
    CHECK_EQ_U(zi.wmark_high, 150);

    struct { gfp_t gfp; unsigned long floor; } cases[] = {
        { GFP_KERNEL, 100 },                              /* MIN */
        { GFP_NOWAIT, 100 },                              /* cannot block, still MIN */
        { __GFP_HIGH, 50 },                               /* half of MIN */
        { GFP_ATOMIC, 38 },                               /* 100 - 50, minus a quarter */
        { GFP_ATOMIC | __GFP_NOMEMALLOC, 50 },            /* no "harder" */
        { __GFP_MEMALLOC, 0 },                            /* every reserve */
        { __GFP_MEMALLOC | __GFP_NOMEMALLOC, 100 },
        { GFP_KERNEL | __GFP_MEMALLOC | __GFP_NOMEMALLOC, 100 },
    };
    for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        kh_reset(kh);
        unsigned long n = fill(kh, cases[i].gfp | __GFP_NOWARN, 0);
        if (!check_record(kh_nr_free_pages(kh) == cases[i].floor && n == 1024 - cases[i].floor))
            fprintf(stderr, "%s:%d: gfp %#x: %lu allocations, %lu free, expected floor %lu\n",
                    __FILE__, __LINE__, cases[i].gfp, n, kh_nr_free_pages(kh), cases[i].floor);
    }
    /* order > 0: free - (2^order - 1) must stay above MIN */
    kh_reset(kh);
    CHECK_EQ_U(fill(kh, GFP_KERNEL | __GFP_NOWARN, 2), 231);
    CHECK_EQ_U(kh_nr_free_pages(kh), 100);
    /* GFP_ATOMIC may still dig below where GFP_NOWAIT stopped */
    CHECK(kh_alloc_pages(kh, GFP_NOWAIT | __GFP_NOWARN, 0) == NULL);
    CHECK(kh_alloc_pages(kh, GFP_ATOMIC, 0) != NULL);
    CHECK_VALID(kh);
    kh_destroy(kh);
}

static void test_lowmem_reserve(void)
{
    /* DMA32 512 + NORMAL 2048 pages, min_free_kbytes 256 (64 pages):
     * DMA32 min 12, NORMAL min 51, DMA32 keeps 2048/256 = 8 from NORMAL requests */
    struct kh *kh = make_kh(0, 512, 2048, 0, 11, 256);
    struct kh_zone_info zi;
    kh_zone_info(kh, ZONE_DMA32, &zi);
    CHECK_EQ_U(zi.wmark_min, 12);
    CHECK_EQ_U(zi.lowmem_reserve[ZONE_NORMAL], 8);
    fill(kh, GFP_KERNEL | __GFP_NOWARN, 0);
    CHECK_EQ_U(kh_zone_free_pages(kh, ZONE_NORMAL), 51);
    CHECK_EQ_U(kh_zone_free_pages(kh, ZONE_DMA32), 20);
    /* a DMA32 request is not subject to the reserve kept against NORMAL */
    CHECK_EQ_U(fill(kh, GFP_DMA32 | __GFP_NOWARN, 0), 8);
    CHECK_EQ_U(kh_zone_free_pages(kh, ZONE_DMA32), 12);
    CHECK_VALID(kh);
    kh_destroy(kh);
}

/* ---- reclaim ---- */

struct hoard {
    unsigned long pfns[2048];
    unsigned n;
    unsigned calls;
    unsigned per_call;      /* pages released per call, 0 = as many as wanted */
    bool fake_progress;     /* claim progress without releasing anything */
    bool alloc_inside;      /* allocate from inside the shrinker */
    unsigned inner_ok, inner_failed;
    bool paused;            /* while filling: release nothing, count nothing */
};

static unsigned long hoard_shrink(struct kh *kh, void *ctx, unsigned long wanted)
{
    struct hoard *h = ctx;
    if (h->paused)
        return 0;
    h->calls++;
    if (h->alloc_inside) {
        if (kh_alloc_pages(kh, GFP_KERNEL | __GFP_NOWARN, 0))
            h->inner_ok++;
        else
            h->inner_failed++;
    }
    if (h->fake_progress)
        return 1;
    unsigned long n = h->per_call ? h->per_call : wanted;
    unsigned long released = 0;
    while (released < n && h->n) {
        kh___free_pages(kh, kh_pfn_to_page(kh, h->pfns[--h->n]), 0);
        released++;
    }
    return released;
}

/* Takes pages into the hoard with gfp until it fails. */
static void hoard_fill(struct kh *kh, struct hoard *h, gfp_t gfp)
{
    struct page *p;
    h->paused = true;
    while (h->n < 2048 && (p = kh_alloc_pages(kh, gfp | __GFP_NOWARN, 0)))
        h->pfns[h->n++] = kh_page_to_pfn(kh, p);
    h->paused = false;
}

static void test_shrinker_retry(void)
{
    struct kh *kh = wmark_kh();
    struct hoard *h = calloc(1, sizeof(*h));
    CHECK_EQ_U(kh_register_shrinker(kh, hoard_shrink, h), 0);
    hoard_fill(kh, h, __GFP_MEMALLOC);
    CHECK_EQ_U(kh_nr_free_pages(kh), 0);

    /* cannot block: no reclaim */
    CHECK(kh_alloc_pages(kh, GFP_NOWAIT | __GFP_NOWARN, 0) == NULL);
    CHECK(kh_alloc_pages(kh, GFP_ATOMIC | __GFP_NOWARN, 0) == NULL);
    CHECK_EQ_U(h->calls, 0);
    /* may block: the shrinker releases 32 pages... still below MIN, so
     * reclaim repeats while it makes progress */
    CHECK(kh_alloc_pages(kh, GFP_KERNEL, 0) != NULL);
    CHECK_EQ_U(h->calls, 4);   /* 4 x 32 = 128 released: free 128 > 100 */
    CHECK_EQ_U(kh_report_count(kh, KH_SEV_WARN), 0);
    CHECK_VALID(kh);

    /* NORETRY: one reclaim round only */
    kh_reset(kh);
    memset(h, 0, sizeof(*h));
    hoard_fill(kh, h, __GFP_MEMALLOC);
    h->per_call = 1;
    CHECK(kh_alloc_pages(kh, GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN, 0) == NULL);
    CHECK_EQ_U(h->calls, 1);
    /* without NORETRY it keeps going while progress is made, up to 16 rounds */
    h->calls = 0;
    CHECK(kh_alloc_pages(kh, GFP_KERNEL | __GFP_NOWARN, 0) == NULL);
    CHECK_EQ_U(h->calls, 16);
    CHECK_EQ_U(kh_nr_free_pages(kh), 17);

    /* progress claimed but nothing freed: bounded at 16 rounds */
    h->calls = 0;
    h->fake_progress = true;
    CHECK(kh_alloc_pages(kh, GFP_KERNEL | __GFP_NOWARN, 0) == NULL);
    CHECK_EQ_U(h->calls, 16);
    /* a costly order (> 3) gives up after one round unless RETRY_MAYFAIL */
    h->calls = 0;
    CHECK(kh_alloc_pages(kh, GFP_KERNEL | __GFP_NOWARN, 4) == NULL);
    CHECK_EQ_U(h->calls, 1);
    h->calls = 0;
    CHECK(kh_alloc_pages(kh, GFP_KERNEL | __GFP_RETRY_MAYFAIL | __GFP_NOWARN, 4) == NULL);
    CHECK_EQ_U(h->calls, 16);
    /* no progress at all: one round */
    h->calls = 0;
    h->fake_progress = false;
    h->n = 0;
    CHECK(kh_alloc_pages(kh, GFP_KERNEL | __GFP_NOWARN, 0) == NULL);
    CHECK_EQ_U(h->calls, 1);

    /* allocations from inside a shrinker do not recurse into reclaim and
     * may use the reserves (the kernel's PF_MEMALLOC) */
    kh_reset(kh);
    memset(h, 0, sizeof(*h));
    hoard_fill(kh, h, GFP_KERNEL);
    CHECK_EQ_U(kh_nr_free_pages(kh), 100);
    h->alloc_inside = true;
    h->per_call = 8;
    CHECK(kh_alloc_pages(kh, GFP_KERNEL, 0) != NULL);
    CHECK_EQ_U(h->calls, 1);
    CHECK_EQ_U(h->inner_ok, 1);
    CHECK_EQ_U(h->inner_failed, 0);

    kh_unregister_shrinker(kh, hoard_shrink, h);
    h->calls = 0;
    kh_alloc_pages(kh, GFP_KERNEL | __GFP_NOWARN, 0);
    CHECK_EQ_U(h->calls, 0);
    CHECK_VALID(kh);
    free(h);
    kh_destroy(kh);
}

/* ---- NOFAIL, NOWARN, order limits ---- */

static void test_nofail(void)
{
    struct kh *kh = wmark_kh();
    fill(kh, GFP_KERNEL | __GFP_NOWARN, 0);
    CHECK_EQ_U(kh_nr_free_pages(kh), 100);
    /* below MIN, NOFAIL still gets a page (reserves before looping) */
    CHECK(kh_alloc_pages(kh, GFP_KERNEL | __GFP_NOFAIL, 0) != NULL);
    CHECK_EQ_U(kh_report_count(kh, KH_SEV_WARN) + kh_report_count(kh, KH_SEV_BUG), 0);

    /* order > 1 is warned about but served */
    CHECK(kh_alloc_pages(kh, GFP_KERNEL | __GFP_NOFAIL, 2) != NULL);
    CHECK_EQ_U(kh_report_count_class(kh, KH_R_WARN), 1);
    const struct kh_report *r = last_report(kh);
    CHECK(r && strcmp(r->reason, "__GFP_NOFAIL with order > 1") == 0);

    /* without direct reclaim NOFAIL is a normal (failing) allocation plus a warning */
    kh_reports_clear(kh);
    fill(kh, __GFP_MEMALLOC | __GFP_NOWARN, 0);
    CHECK(kh_alloc_pages(kh, GFP_NOWAIT | __GFP_NOFAIL, 0) == NULL);
    CHECK_EQ_U(kh_report_count_class(kh, KH_R_WARN), 1);
    CHECK_EQ_U(kh_report_count_class(kh, KH_R_PAGE_ALLOC_FAILURE), 1);

    /* nothing left at all: a BUG instead of looping forever */
    kh_reports_clear(kh);
    CHECK(kh_alloc_pages(kh, GFP_KERNEL | __GFP_NOFAIL, 0) == NULL);
    CHECK_EQ_U(kh_report_count_class(kh, KH_R_OOM), 1);
    r = last_report(kh);
    CHECK(r && r->severity == KH_SEV_BUG);
    if (r)
        CHECK_CONTAINS(r->text, "__GFP_NOFAIL allocation cannot make progress: would loop forever");
    CHECK_VALID(kh);
    kh_destroy(kh);
}

static void test_failure_report_text(void)
{
    struct kh *kh = wmark_kh();
    fill(kh, GFP_KERNEL | __GFP_NOWARN, 0);
    CHECK_EQ_U(kh_report_count(kh, KH_SEV_WARN), 0);   /* NOWARN: silent */
    CHECK(kh_alloc_pages(kh, GFP_KERNEL, 0) == NULL);
    CHECK_EQ_U(kh_report_count_class(kh, KH_R_PAGE_ALLOC_FAILURE), 1);
    const struct kh_report *r = last_report(kh);
    CHECK(r != NULL);
    if (r) {
        CHECK_EQ_U(r->severity, KH_SEV_WARN);
        CHECK_EQ_STR(r->reason, "page allocation failure");
        const char *first = "kmem-harness: page allocation failure: order:0, "
                            "mode:0xcc0(GFP_KERNEL), nodemask=(null)\n";
        CHECK(strncmp(r->text, first, strlen(first)) == 0);
        CHECK_CONTAINS(r->text, first);
        CHECK_CONTAINS(r->text, "Node 0 Normal free:400kB min:400kB low:500kB high:600kB");
    }
    kh_reports_clear(kh);
    CHECK(kh_alloc_pages(kh, GFP_KERNEL | __GFP_ZERO, 3) == NULL);
    r = last_report(kh);
    if (check_record(r != NULL))
        CHECK_CONTAINS(r->text, "order:3, mode:0xdc0(GFP_KERNEL|__GFP_ZERO)");
    kh_destroy(kh);
}

static void test_order_above_max(void)
{
    struct kh *kh = tiny(7);
    CHECK(kh_alloc_pages(kh, GFP_KERNEL, 7) == NULL);
    CHECK_EQ_U(kh_report_count_class(kh, KH_R_WARN), 1);
    const struct kh_report *r = last_report(kh);
    CHECK(r && strcmp(r->reason, "order above max") == 0);
    CHECK(kh_alloc_pages(kh, GFP_KERNEL | __GFP_NOWARN, 9) == NULL);
    CHECK_EQ_U(kh_report_count_class(kh, KH_R_WARN), 1);
    CHECK(kh_alloc_pages(kh, GFP_KERNEL, 6) != NULL);   /* the largest order works */
    CHECK_EQ_U(kh_nr_free_pages(kh), 0);
    kh_destroy(kh);
}

static void test_gfp_zero(void)
{
    struct kh *kh = tiny(7);
    struct page *p = kh_alloc_pages(kh, GFP_KERNEL, 1);
    unsigned char *va = kh_page_address(kh, p);
    memset(va, 0xaa, 8192);
    kh___free_pages(kh, p, 1);
    p = kh_alloc_pages(kh, GFP_KERNEL, 1);   /* same block back (LIFO) */
    CHECK(kh_page_address(kh, p) == va);
    CHECK_EQ_U(va[100], 0xaa);               /* not zeroed without __GFP_ZERO */
    kh___free_pages(kh, p, 1);
    p = kh_alloc_pages(kh, GFP_KERNEL | __GFP_ZERO, 1);
    CHECK(kh_page_address(kh, p) == va);
    unsigned nonzero = 0;
    for (unsigned i = 0; i < 8192; i++)
        nonzero += va[i] != 0;
    CHECK_EQ_U(nonzero, 0);
    memset(va, 0x55, 8192);
    kh___free_pages(kh, p, 1);
    unsigned long z = kh_get_zeroed_page(kh, GFP_KERNEL);
    CHECK(z != 0);
    nonzero = 0;
    for (unsigned i = 0; i < 4096; i++)
        nonzero += ((unsigned char *)z)[i] != 0;
    CHECK_EQ_U(nonzero, 0);
    kh_destroy(kh);
}

/* ---- fault injection ---- */

static uint64_t fault_pattern(struct kh *kh, const struct kh_fault_config *fc, unsigned n)
{
    kh_reset(kh);
    kh_fault_set(kh, fc);
    uint64_t bits = 0;
    for (unsigned i = 0; i < n; i++)
        if (!kh_alloc_pages(kh, GFP_KERNEL | __GFP_NOWARN, 0))
            bits |= 1ull << i;
    return bits;
}

static void test_fault_injection(void)
{
    struct kh *kh = make_kh(0, 0, 1024, 0, 11, 1);
    struct kh_fault_config fc = { .mode = KH_FAULT_NTH, .domains = KH_FAULT_PAGE, .nth = 3 };
    CHECK_EQ_U(fault_pattern(kh, &fc, 8), 1u << 2);
    CHECK_EQ_U(kh_fault_attempts(kh), 8);
    CHECK_EQ_U(kh_fault_injected(kh), 1);

    fc.mode = KH_FAULT_FROM;
    fc.nth = 2;
    CHECK_EQ_U(fault_pattern(kh, &fc, 8), 0xfe);
    /* NOFAIL is neither failed nor counted */
    CHECK(kh_alloc_pages(kh, GFP_KERNEL | __GFP_NOFAIL, 0) != NULL);
    CHECK_EQ_U(kh_fault_attempts(kh), 8);
    /* an injected failure is reported like a real one unless NOWARN */
    kh_reports_clear(kh);
    CHECK(kh_alloc_pages(kh, GFP_KERNEL, 0) == NULL);
    CHECK_EQ_U(kh_report_count_class(kh, KH_R_PAGE_ALLOC_FAILURE), 1);

    /* min_order: smaller orders are not counted */
    struct kh_fault_config fo = { .mode = KH_FAULT_FROM, .nth = 1, .min_order = 2 };
    kh_reset(kh);
    kh_fault_set(kh, &fo);
    CHECK(kh_alloc_pages(kh, GFP_KERNEL, 1) != NULL);
    CHECK(kh_alloc_pages(kh, GFP_KERNEL | __GFP_NOWARN, 2) == NULL);
    CHECK_EQ_U(kh_fault_attempts(kh), 1);
    /* other domains only: pages never fail */
    struct kh_fault_config fs = { .mode = KH_FAULT_FROM, .nth = 1, .domains = KH_FAULT_SLAB };
    CHECK_EQ_U(fault_pattern(kh, &fs, 16), 0);

    struct kh_fault_config fr = { .mode = KH_FAULT_RANDOM, .domains = KH_FAULT_PAGE,
                                  .percent = 50, .seed = 42 };
    uint64_t a = fault_pattern(kh, &fr, 64);
    uint64_t b = fault_pattern(kh, &fr, 64);
    CHECK_EQ_U(a, b);                        /* same seed, same failures */
    unsigned failed = (unsigned)__builtin_popcountll(a);
    CHECK(failed > 8 && failed < 56);
    CHECK_EQ_U(kh_fault_injected(kh), failed);
    fr.seed = 43;
    CHECK(fault_pattern(kh, &fr, 64) != a);
    fr.percent = 0;
    CHECK_EQ_U(fault_pattern(kh, &fr, 64), 0);
    fr.percent = 100;
    CHECK_EQ_U(fault_pattern(kh, &fr, 64), ~0ull);
    kh_fault_clear(kh);
    CHECK_VALID(kh);
    kh_destroy(kh);
}

/* ---- misuse ---- */

struct snapshot {
    char buddy[2048];
    char allocated[4096];
    size_t alen;
    unsigned long free;
};

static int snap_alloc(void *ctx, const struct kh_block_info *b)
{
    struct snapshot *s = ctx;
    if (s->alen < sizeof(s->allocated) - 32)
        s->alen += (size_t)snprintf(s->allocated + s->alen, sizeof(s->allocated) - s->alen,
                                    "%d:%lu:%u ", b->zone, b->pfn, b->order);
    return 0;
}

static void take_snapshot(struct kh *kh, struct snapshot *s)
{
    memset(s, 0, sizeof(*s));
    kh_buddyinfo(kh, s->buddy, sizeof(s->buddy));
    kh_for_each_allocated_block(kh, snap_alloc, s);
    s->free = kh_nr_free_pages(kh);
}

/* Runs a bad free; checks exactly one BAD_PAGE BUG with the reason and that
 * nothing changed. */
#define CHECK_BAD_FREE(kh, call, want_reason)            \
    do {                                                 \
        call;                                            \
        check_bad_free((kh), __LINE__, want_reason);     \
    } while (0)

static struct snapshot before_bad;
static const char bad_page_prefix[] = "BUG: Bad page state in process kmem-harness  pfn:";

static void check_bad_free(struct kh *kh, int line, const char *want)
{
    struct snapshot after;
    take_snapshot(kh, &after);
    unsigned n = kh_report_count_class(kh, KH_R_BAD_PAGE);
    const struct kh_report *r = last_report(kh);
    bool ok = n == 1 && r && r->severity == KH_SEV_BUG && strcmp(r->reason, want) == 0 &&
              strncmp(r->text, bad_page_prefix, strlen(bad_page_prefix)) == 0 &&
              strstr(r->text, "page dumped because: ") != NULL &&
              strstr(r->text, want) != NULL;
    if (!check_record(ok))
        fprintf(stderr, "%s:%d: expected one bad-page report \"%s\", got %u (last: %s)\n",
                __FILE__, line, want, n, r ? r->text : "none");
    ok = strcmp(before_bad.buddy, after.buddy) == 0 &&
         strcmp(before_bad.allocated, after.allocated) == 0 && before_bad.free == after.free;
    if (!check_record(ok))
        fprintf(stderr, "%s:%d: state changed by a rejected free\n", __FILE__, line);
    CHECK_VALID(kh);
    kh_reports_clear(kh);
}

static void test_misuse(void)
{
    struct kh *kh = tiny(7);
    struct page *a = kh_alloc_pages(kh, GFP_KERNEL, 0);   /* pfn 0 */
    struct page *b = kh_alloc_pages(kh, GFP_KERNEL, 0);   /* pfn 1 */
    struct page *c = kh_alloc_pages(kh, GFP_KERNEL, 2);   /* pfn 4 */
    struct page *d = kh_alloc_pages(kh, GFP_KERNEL, 0);   /* pfn 2 */
    CHECK_EQ_U(pfn_of(kh, c), 4);
    CHECK_EQ_U(pfn_of(kh, d), 2);
    unsigned char *cva = kh_page_address(kh, c);

    kh___free_pages(kh, b, 0);
    take_snapshot(kh, &before_bad);
    CHECK_BAD_FREE(kh, kh___free_pages(kh, b, 0), "double free");
    /* first line names the pfn as the kernel does (%05lx) */
    kh___free_pages(kh, b, 0);
    const struct kh_report *r = last_report(kh);
    if (check_record(r != NULL)) {
        char line[128];
        snprintf(line, sizeof(line), "%.*s", (int)strcspn(r->text, "\n"), r->text);
        CHECK_EQ_STR(line, "BUG: Bad page state in process kmem-harness  pfn:00001");
        CHECK_CONTAINS(r->text, "\npage:ffffea0000000040 refcount:0 mapcount:0 "
                                "mapping:0000000000000000 index:0x0 pfn:0x1\n"
                                "page dumped because: double free\n");
    }
    kh_reports_clear(kh);

    /* pfn 1 merged into a free block after its buddy goes: still a double free */
    kh___free_pages(kh, a, 0);
    take_snapshot(kh, &before_bad);
    CHECK_EQ_U(kh_page_state(kh, 1, NULL, NULL), KH_PAGE_FREE_INTERIOR);
    CHECK_BAD_FREE(kh, kh___free_pages(kh, b, 0), "double free");

    /* pfn 40 lies inside free block 32 (order 5) and was never handed out */
    CHECK_BAD_FREE(kh, kh_free_pages(kh, (unsigned long)kh_pfn_to_virt(kh, 40), 0),
                   "free of a page that was never allocated");
    CHECK_BAD_FREE(kh, kh___free_pages(kh, c, 1), "wrong order on free");
    kh___free_pages(kh, c, 3);
    r = last_report(kh);
    if (check_record(r != NULL))
        CHECK_CONTAINS(r->text, "allocated as order 2, freed as order 3");
    kh_reports_clear(kh);
    CHECK_BAD_FREE(kh, kh_free_pages(kh, (unsigned long)(cva + 4096), 0), "free of a tail page");
    CHECK_BAD_FREE(kh, kh_free_pages(kh, (unsigned long)(cva + 8), 2), "address not page aligned");
    int on_stack;
    CHECK_BAD_FREE(kh, kh_free_pages(kh, (unsigned long)&on_stack, 0), "address outside the arena");
    CHECK_BAD_FREE(kh, kh___free_pages(kh, (struct page *)&on_stack, 0),
                   "address outside the arena");
    CHECK_BAD_FREE(kh, kh___free_pages(kh, NULL, 0), "address outside the arena");
    d->flags |= PG_slab;
    CHECK_BAD_FREE(kh, kh___free_pages(kh, d, 0), "free of a slab page");
    d->flags &= ~(uint32_t)PG_slab;

    /* free_pages(0) is a no-op */
    kh_free_pages(kh, 0, 3);
    CHECK_EQ_U(kh_report_count(kh, KH_SEV_BUG) + kh_report_count(kh, KH_SEV_WARN), 0);
    kh___free_pages(kh, d, 0);
    kh___free_pages(kh, c, 2);
    CHECK_EQ_U(kh_nr_free_pages(kh), 64);
    CHECK_EQ_U(kh_report_count(kh, KH_SEV_BUG), 0);
    CHECK_VALID(kh);
    kh_destroy(kh);

    /* the untouched lazy region: never allocated */
    kh = tiny(4);
    take_snapshot(kh, &before_bad);
    CHECK_EQ_U(kh_page_state(kh, 40, NULL, NULL), KH_PAGE_LAZY);
    CHECK_BAD_FREE(kh, kh_free_pages(kh, (unsigned long)kh_pfn_to_virt(kh, 40), 0),
                   "free of a page that was never allocated");
    kh_destroy(kh);
}

/* ---- reset ---- */

struct walk_log { char text[16384]; size_t len; };

static int log_block(void *ctx, const struct kh_block_info *b)
{
    struct walk_log *w = ctx;
    if (w->len < sizeof(w->text) - 40)
        w->len += (size_t)snprintf(w->text + w->len, sizeof(w->text) - w->len, "%d/%u/%lu/%d ",
                                   b->zone, b->order, b->pfn, b->lazy);
    return 0;
}

static void describe(struct kh *kh, struct walk_log *w)
{
    memset(w, 0, sizeof(*w));
    kh_for_each_free_block(kh, log_block, w);
    w->len += (size_t)snprintf(w->text + w->len, sizeof(w->text) - w->len, "| ");
    kh_for_each_allocated_block(kh, log_block, w);
    for (int z = 0; z < MAX_NR_ZONES; z++) {
        struct kh_zone_info zi;
        kh_zone_info(kh, (enum zone_type)z, &zi);
        w->len += (size_t)snprintf(w->text + w->len, sizeof(w->text) - w->len,
                                   "| %s %lu %lu %lu %lu %lu ", zi.name, zi.free, zi.managed,
                                   zi.wmark_min, zi.lazy_pfn, zi.lazy_end);
        for (unsigned o = 0; o < KH_MAX_ORDER_LIMIT; o++)
            w->len += (size_t)snprintf(w->text + w->len, sizeof(w->text) - w->len, "%lu,",
                                       zi.nr_free[o]);
    }
}

static void test_reset(void)
{
    struct kh_config cfg = kh_test_config(KH_DEFAULT_PROFILE);
    struct kh *fresh = kh_create(&cfg, NULL);
    struct kh *kh = kh_test_create(&cfg);
    static struct walk_log want, got;
    describe(fresh, &want);

    struct page *first = kh_alloc_pages(kh, GFP_KERNEL, 0);
    unsigned char *first_va = kh_page_address(kh, first);
    for (unsigned i = 0; i < 300; i++) {
        gfp_t gfp = i % 3 == 0 ? GFP_DMA : i % 3 == 1 ? GFP_DMA32 : GFP_KERNEL;
        struct page *p = kh_alloc_pages(kh, gfp, i % 11);
        if (p && i % 2)
            memset(kh_page_address(kh, p), 0x5a, kh_page_size(kh));
        if (p && i % 5 == 0)
            kh___free_pages(kh, p, i % 11);
    }
    memset(first_va, 0x77, 4096);
    kh___free_pages(kh, first, 1);   /* a bad free: a report to forget */
    CHECK(kh_report_count(kh, KH_SEV_BUG) == 1);
    CHECK_VALID(kh);

    kh_reset(kh);
    describe(kh, &got);
    CHECK_EQ_STR(got.text, want.text);
    CHECK_EQ_U(kh_nr_free_pages(kh), kh_nr_free_pages(fresh));
    CHECK_EQ_U(kh_report_count(kh, KH_SEV_BUG), 0);
    char b1[1024], b2[1024];
    kh_buddyinfo(kh, b1, sizeof(b1));
    kh_buddyinfo(fresh, b2, sizeof(b2));
    CHECK_EQ_STR(b1, b2);
    CHECK_VALID(kh);
    /* same operations, same pages, and their old contents are gone */
    struct page *again = kh_alloc_pages(kh, GFP_KERNEL, 0);
    CHECK(kh_page_address(kh, again) == first_va);
    CHECK_EQ_U(first_va[0], 0);
    CHECK_EQ_U(first_va[4095], 0);
    kh_destroy(kh);
    kh_destroy(fresh);
}

/* Reset keeps up to 8 MiB of written pages mapped (zeroed in place) and
 * drops the rest: either way, every byte written before a reset reads 0
 * after it, and the same operations get the same pages back. */
static bool all_zero(const unsigned char *p, size_t n)
{
    const uint64_t *w = (const uint64_t *)p;
    for (size_t i = 0; i < n / sizeof(*w); i++)
        if (w[i])
            return false;
    return true;
}

static void test_reset_scrubs_all_written(void)
{
    struct kh_config cfg = kh_test_config(KH_DEFAULT_PROFILE);
    struct kh *kh = kh_create(&cfg, NULL);
    enum { BIG = 6, SMALL = 200 };   /* 6 x 4 MiB: three times what reset keeps */
    unsigned char *va[2][BIG + SMALL];
    size_t len[BIG + SMALL];
    for (int round = 0; round < 2; round++) {
        for (unsigned i = 0; i < BIG + SMALL; i++) {
            unsigned order = i < BIG ? 10 : i % 4;
            gfp_t gfp = i % 3 == 0 ? GFP_DMA32 : GFP_KERNEL;
            struct page *p = kh_alloc_pages(kh, gfp, order);
            CHECK(p != NULL);
            if (!p)
                return;
            va[round][i] = kh_page_address(kh, p);
            len[i] = kh_page_size(kh) << order;
            if (round == 0) {
                memset(va[0][i], 0xa5, len[i]);
            } else {
                CHECK(va[1][i] == va[0][i]);
                if (!check_record(all_zero(va[1][i], len[i])))
                    fprintf(stderr, "%s:%d: block %u (%zu bytes) kept data across reset\n",
                            __FILE__, __LINE__, i, len[i]);
            }
            if (i % 7 == 0)   /* some are freed (and merge) before the reset */
                kh___free_pages(kh, p, order);
        }
        CHECK_VALID(kh);
        kh_reset(kh);
    }
    kh_destroy(kh);
}

/* ---- introspection ---- */

static int count_cb(void *ctx, const struct kh_block_info *b)
{
    (void)b;
    (*(unsigned *)ctx)++;
    return 0;
}

static int stop_cb(void *ctx, const struct kh_block_info *b)
{
    (void)b;
    (*(unsigned *)ctx)++;
    return 7;
}

static void test_introspection(void)
{
    struct kh *kh = tiny(7);
    char buf[256];
    kh_buddyinfo(kh, buf, sizeof(buf));
    CHECK_EQ_STR(buf, "Node 0, zone   Normal      0      0      0      0      0      0      1 \n");
    struct page *p = kh_alloc_pages(kh, GFP_KERNEL, 0);
    struct page *q = kh_alloc_pages(kh, GFP_KERNEL, 3);
    int len = kh_buddyinfo(kh, buf, sizeof(buf));
    CHECK_EQ_STR(buf, "Node 0, zone   Normal      1      1      1      0      1      1      0 \n");
    CHECK_EQ_U(len, strlen(buf));
    CHECK_EQ_U(kh_buddyinfo(kh, buf, 10), len);   /* truncated, full length returned */
    CHECK_EQ_U(strlen(buf), 9);

    unsigned n = 0;
    kh_for_each_allocated_block(kh, count_cb, &n);
    CHECK_EQ_U(n, 2);
    n = 0;
    kh_for_each_free_block(kh, count_cb, &n);
    CHECK_EQ_U(n, 5);
    n = 0;
    CHECK_EQ_U(kh_for_each_free_block(kh, stop_cb, &n), 7);
    CHECK_EQ_U(n, 1);

    unsigned long head;
    unsigned order;
    CHECK_EQ_U(kh_page_state(kh, 0, &head, &order), KH_PAGE_ALLOC_HEAD);
    CHECK_EQ_U(kh_page_state(kh, 8, &head, &order), KH_PAGE_ALLOC_HEAD);
    CHECK_EQ_U(order, 3);
    CHECK_EQ_U(kh_page_state(kh, 13, &head, &order), KH_PAGE_ALLOC_INTERIOR);
    CHECK_EQ_U(head, 8);
    CHECK_EQ_U(kh_page_state(kh, 1, &head, &order), KH_PAGE_FREE_HEAD);
    CHECK_EQ_U(kh_page_state(kh, 50, &head, &order), KH_PAGE_FREE_INTERIOR);
    CHECK_EQ_U(head, 32);
    CHECK_EQ_U(kh_page_state(kh, 64, &head, &order), KH_PAGE_INVALID);
    CHECK_EQ_STR(kh_page_state_name(KH_PAGE_ALLOC_INTERIOR), "allocated-interior");
    CHECK_EQ_U(kh_block_head(kh, 15), 8);

    /* conversions */
    void *va = kh_page_address(kh, q);
    CHECK(kh_virt_to_page(kh, va) == q);
    CHECK(kh_virt_to_page(kh, (char *)va + 4095 + 4096) == kh_pfn_to_page(kh, 9));
    CHECK(kh_virt_to_page(kh, buf) == NULL);
    CHECK(kh_pfn_to_page(kh, 64) == NULL);
    CHECK(kh_addr_in_arena(kh, va));
    CHECK(!kh_addr_in_arena(kh, (char *)kh_page_address(kh, p) + 64 * 4096));
    kh_destroy(kh);
}

static void test_asan_poisoning(void)
{
#ifdef KH_ASAN
    struct kh *kh = tiny(4);
    unsigned char *lazy = kh_pfn_to_virt(kh, 40);
    CHECK(__asan_address_is_poisoned(lazy));
    struct page *p = kh_alloc_pages(kh, GFP_KERNEL, 1);
    unsigned char *va = kh_page_address(kh, p);
    CHECK(!__asan_address_is_poisoned(va));
    CHECK(!__asan_address_is_poisoned(va + 8191));
    CHECK(__asan_address_is_poisoned(va + 8192));   /* the split-off neighbour */
    kh___free_pages(kh, p, 1);
    CHECK(__asan_address_is_poisoned(va));
    CHECK(__asan_address_is_poisoned(va + 8191));
    p = kh_alloc_pages(kh, GFP_KERNEL, 0);
    kh_reset(kh);
    CHECK(__asan_address_is_poisoned(va));   /* reset poisons what was handed out */
    kh_destroy(kh);
#endif
}

/* ---- kernel names on the default instance ---- */

static void test_kernel_names(void)
{
    struct kh *kh = tiny(7);
    kh_set_default(kh);
    CHECK_EQ_U(PAGE_SIZE, 4096);
    CHECK_EQ_U(PAGE_SHIFT, 12);
    CHECK_EQ_U(MAX_ORDER, 7);
    CHECK_EQ_U(get_order(8192), 1);
    struct page *p = alloc_pages(GFP_KERNEL, 2);
    CHECK(p != NULL);
    CHECK(virt_to_page(page_address(p)) == p);
    struct page *one = alloc_page(GFP_KERNEL);
    unsigned long a = __get_free_pages(GFP_KERNEL, 1);
    unsigned long b = __get_free_page(GFP_KERNEL);
    unsigned long z = get_zeroed_page(GFP_KERNEL);
    CHECK(one && a && b && z);
    CHECK_EQ_U(((unsigned char *)z)[17], 0);
    CHECK_EQ_U(kh_nr_free_pages(kh), 64 - 4 - 1 - 2 - 1 - 1);
    free_page(z);
    free_page(b);
    free_pages(a, 1);
    __free_page(one);
    __free_pages(p, 2);
    free_pages(0, 0);
    CHECK_EQ_U(kh_nr_free_pages(kh), 64);
    CHECK_EQ_U(kh_report_count(kh, KH_SEV_BUG), 0);
    CHECK_VALID(kh);
    kh_set_default(NULL);
}

static void test_page_sizes(void)
{
    /* 16 KiB and 64 KiB pages: same rules, different geometry */
    struct kh_config cfg = kh_test_config(KH_DEFAULT_PROFILE);
    cfg.page_shift = 16;
    cfg.max_order = 14;
    cfg.zone_bytes[ZONE_DMA] = 0;
    cfg.zone_bytes[ZONE_DMA32] = 0;
    cfg.zone_bytes[ZONE_NORMAL] = 64ull << 20;   /* 1024 pages */
    struct kh *kh = kh_create(&cfg, NULL);
    CHECK(kh != NULL);
    if (!kh)
        return;
    CHECK_EQ_U(kh_get_order(kh, 65536), 0);
    CHECK_EQ_U(kh_get_order(kh, 65537), 1);
    /* 64 MiB is smaller than one order-13 block: all remainder, no lazy region */
    struct kh_zone_info zi;
    kh_zone_info(kh, ZONE_NORMAL, &zi);
    CHECK_EQ_U(zi.nr_free[10], 1);
    CHECK_EQ_U(zi.nr_free[13], 0);
    struct page *p = kh_alloc_pages(kh, GFP_KERNEL, 3);
    CHECK(p != NULL);
    CHECK((uintptr_t)kh_page_address(kh, p) % 65536 == 0);
    CHECK_VALID(kh);
    kh_reset(kh);
    CHECK_VALID(kh);
    kh_destroy(kh);
}

int main(void)
{
    test_default_profile_geometry();
    test_highmem_and_min_clamp();
    test_get_order();
    test_split_and_merge();
    test_alignment_and_smallest_order();
    test_lifo_and_buddy_pfn();
    test_zone_fallback();
    test_watermarks_per_gfp();
    test_lowmem_reserve();
    test_shrinker_retry();
    test_nofail();
    test_failure_report_text();
    test_order_above_max();
    test_gfp_zero();
    test_fault_injection();
    test_misuse();
    test_reset();
    test_reset_scrubs_all_written();
    test_introspection();
    test_asan_poisoning();
    test_kernel_names();
    test_page_sizes();
    return check_summary();
}
