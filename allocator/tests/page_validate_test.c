/* page_validate_test.c - kh_page_validate catches deliberately corrupted
 * state, under the right invariant name.
 *
 * Every case starts from the same small, known layout (64 pages of NORMAL,
 * max_order 7): allocated order-0 blocks at pfns 0, 1, 2 and an order-2
 * block at 4; free blocks 3 (order 0), 8 (3), 16 (4), 32 (5). It then
 * breaks one thing through internal.h and checks the violation list. Where
 * the corruption has a single consequence the list must contain nothing
 * else, so the validator is shown to be precise as well as sensitive.
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

static struct kh *make(unsigned dma_pages, unsigned normal_pages, unsigned max_order)
{
    struct kh_config cfg = kh_test_config(KH_DEFAULT_PROFILE);
    cfg.max_order = max_order;
    memset(cfg.zone_bytes, 0, sizeof(cfg.zone_bytes));
    cfg.zone_bytes[ZONE_DMA] = (uint64_t)dma_pages * 4096;
    cfg.zone_bytes[ZONE_NORMAL] = (uint64_t)normal_pages * 4096;
    cfg.min_free_kbytes = 1;
    return kh_test_create(&cfg);
}

static struct zone *normal(struct kh *kh) { return &kh->zones[ZONE_NORMAL]; }

/* The layout described at the top. */
static struct kh *layout(void)
{
    struct kh *kh = make(0, 64, 7);
    unsigned long want[] = { 0, 1, 4, 2 };
    unsigned order[] = { 0, 0, 2, 0 };
    for (int i = 0; i < 4; i++) {
        struct page *p = kh_alloc_pages(kh, GFP_KERNEL, order[i]);
        if (!p || kh_page_to_pfn(kh, p) != want[i]) {
            fprintf(stderr, "layout: unexpected allocation %d\n", i);
            abort();
        }
    }
    return kh;
}

/* Checks the violations include `inv`; with only, that nothing else is
 * there. Prints the whole list on a mismatch. */
#define EXPECT(kh, inv, only) expect_at((kh), (inv), (only), __FILE__, __LINE__)
static void expect_at(struct kh *kh, const char *inv, bool only, const char *file, int line)
{
    struct kh_violations v = { 0 };
    unsigned n = kh_page_validate(kh, &v);
    unsigned hits = inv ? kh_violations_count(&v, "page_alloc", inv) : 0;
    bool ok = inv ? hits > 0 && (!only || hits == n) : n == 0;
    ok = ok && n == v.n;
    if (!check_record(ok)) {
        fprintf(stderr, "%s:%d: expected %s\"%s\", got %u violations:\n", file, line,
                only ? "only " : "", inv ? inv : "(none)", n);
        kh_violations_print(&v, stderr);
    }
    kh_violations_free(&v);
}

/* Puts pfn on a free list by hand, without merging (what a buggy free
 * would do). */
static void raw_list_add(struct kh *kh, unsigned long pfn, unsigned order)
{
    struct zone *z = normal(kh);
    struct page *p = &kh->pages[pfn];
    p->flags = PG_buddy | PG_touched;
    p->order = (uint8_t)order;
    p->zone = ZONE_NORMAL;
    p->prev = KH_NO_PFN;
    p->next = z->free_area[order].head;
    if (p->next != KH_NO_PFN)
        kh->pages[p->next].prev = (uint32_t)pfn;
    z->free_area[order].head = (uint32_t)pfn;
    z->free_area[order].nr_free++;
    z->free_pages += 1ul << order;
    kh->total_free += 1ul << order;
    kh_poison(kh_pfn_to_virt(kh, pfn), kh->page_size << order);
}

static void test_clean_states(void)
{
    struct kh *kh = layout();
    EXPECT(kh, NULL, false);
    CHECK_EQ_U(normal(kh)->free_area[0].head, 3);
    CHECK_EQ_U(normal(kh)->free_area[3].head, 8);
    kh_reset(kh);
    EXPECT(kh, NULL, false);
    kh_destroy(kh);
    /* a lazy zone and several zones are clean too */
    kh = make(64, 128, 4);
    kh_alloc_pages(kh, GFP_KERNEL, 1);
    kh_alloc_pages(kh, GFP_DMA, 3);
    EXPECT(kh, NULL, false);
    kh_destroy(kh);
}

static void test_counters(void)
{
    struct kh *kh = layout();
    normal(kh)->free_area[3].nr_free++;
    EXPECT(kh, "nr-free-counter", true);
    kh_destroy(kh);

    kh = layout();
    normal(kh)->free_pages--;
    kh->total_free--;
    EXPECT(kh, "zone-free-counter", true);
    kh_destroy(kh);

    kh = layout();
    kh->total_free += 3;
    EXPECT(kh, "total-free-counter", true);
    kh_destroy(kh);

    kh = layout();
    normal(kh)->free_area[9].nr_free = 1;   /* beyond max_order */
    EXPECT(kh, "nr-free-counter", true);
    kh_destroy(kh);
}

static void test_unmerged_buddies(void)
{
    struct kh *kh = layout();
    kh___free_pages(kh, kh_pfn_to_page(kh, 1), 0);   /* buddy 0 still allocated */
    EXPECT(kh, NULL, false);
    raw_list_add(kh, 0, 0);                           /* free 0 without merging */
    EXPECT(kh, "buddies-unmerged", true);
    kh_destroy(kh);
}

static void test_list_links(void)
{
    struct kh *kh = layout();
    kh->pages[3].prev = 5;
    EXPECT(kh, "free-list-link", true);
    kh_destroy(kh);

    kh = layout();
    kh___free_pages(kh, kh_pfn_to_page(kh, 1), 0);   /* order-0 list: 1 -> 3 */
    kh->pages[3].next = 1;                            /* cycle */
    EXPECT(kh, "free-list-link", true);
    kh_destroy(kh);

    kh = layout();
    normal(kh)->free_area[4].head = 0xfffffff0u;     /* points nowhere */
    EXPECT(kh, "free-list-link", false);
    kh_destroy(kh);
}

static void test_listing(void)
{
    /* free block on no list */
    struct kh *kh = layout();
    normal(kh)->free_area[4].head = KH_NO_PFN;
    normal(kh)->free_area[4].nr_free = 0;
    EXPECT(kh, "free-block-listed-once", true);
    kh_destroy(kh);

    /* one block on two lists: 8 (order 3) also heads the order-2 list */
    kh = layout();
    struct zone *z = normal(kh);
    z->free_area[2].head = 8;
    z->free_area[2].nr_free = 1;
    EXPECT(kh, "free-block-listed-once", false);
    kh_destroy(kh);

    /* a listed block that is not marked free */
    kh = layout();
    kh->pages[8].flags &= ~(uint32_t)PG_buddy;
    EXPECT(kh, "free-block-flag", false);
    EXPECT(kh, "page-accounting", false);   /* and its pages are in no block */
    kh_destroy(kh);

    /* impossible order on a free head */
    kh = layout();
    kh->pages[32].order = 9;
    EXPECT(kh, "free-block-flag", false);
    kh_destroy(kh);
}

static void test_block_shape(void)
{
    /* a free block claiming a larger order than its alignment allows */
    struct kh *kh = layout();
    kh->pages[3].order = 1;
    EXPECT(kh, "free-block-aligned", false);
    kh_destroy(kh);

    /* a block head inside an allocated block */
    kh = layout();
    kh->pages[5].flags = PG_head;
    EXPECT(kh, "block-overlap", true);
    kh_destroy(kh);

    /* a free block whose head sits inside another free block */
    kh = layout();
    raw_list_add(kh, 40, 0);   /* 40 lies inside free block 32 (order 5) */
    EXPECT(kh, "block-overlap", false);
    kh_destroy(kh);

    /* an owner's flag left on a free page */
    kh = layout();
    kh->pages[9].flags |= PG_slab;
    EXPECT(kh, "free-page-flags", true);
    kh_destroy(kh);

    /* a lost allocated block: pages in no block */
    kh = layout();
    kh->pages[4].flags = 0;
    EXPECT(kh, "page-accounting", true);
    CHECK_EQ_U(kh_page_state(kh, 5, NULL, NULL), KH_PAGE_INVALID);
    kh_destroy(kh);
}

static void test_zones_and_lazy(void)
{
    /* the zone recorded in a free head disagrees with its list's zone */
    struct kh *kh = layout();
    kh->pages[3].zone = ZONE_DMA;
    EXPECT(kh, "free-block-zone", true);
    kh_destroy(kh);

    /* a NORMAL list holding a DMA block */
    kh = make(64, 64, 7);
    kh_alloc_pages(kh, GFP_DMA, 0);   /* DMA: pfn 0, free 1, 2, 4, ... */
    kh_alloc_pages(kh, GFP_KERNEL, 6); /* NORMAL: fully allocated */
    struct zone *dma = &kh->zones[ZONE_DMA], *nz = &kh->zones[ZONE_NORMAL];
    dma->free_area[0].head = KH_NO_PFN;
    dma->free_area[0].nr_free = 0;
    dma->free_pages--;
    nz->free_area[0].head = 1;
    nz->free_area[0].nr_free = 1;
    nz->free_pages++;
    EXPECT(kh, "free-list-link", false);
    kh_destroy(kh);

    /* misaligned frontier */
    kh = make(0, 64, 4);
    kh_alloc_pages(kh, GFP_KERNEL, 0);
    EXPECT(kh, NULL, false);
    normal(kh)->lazy_pfn += 1;
    EXPECT(kh, "lazy-region", false);
    kh_destroy(kh);

    /* a list entry inside the untouched region */
    kh = make(0, 64, 4);
    kh_alloc_pages(kh, GFP_KERNEL, 0);
    normal(kh)->free_area[2].head = 40;
    EXPECT(kh, "lazy-region", false);
    kh_destroy(kh);
}

static void test_poisoning(void)
{
#ifdef KH_ASAN
    struct kh *kh = layout();
    kh_unpoison(kh_pfn_to_virt(kh, 16), 4096);   /* a free block made accessible */
    EXPECT(kh, "free-page-poisoned", true);
    kh_destroy(kh);
#endif
}

static void test_violation_api(void)
{
    struct kh_violations v = { 0 };
    CHECK_EQ_U(kh_violations_add_named(NULL, "x", "y", NULL, "counted %d", 1), 1);
    CHECK_EQ_U(kh_violations_add_named(&v, "slab", "freelist", (void *)0x10, "obj %d", 7), 1);
    CHECK_EQ_U(kh_violations_add(&v, "vmalloc", NULL, "area %p broken", (void *)0x20), 1);
    for (int i = 0; i < 40; i++)
        kh_violations_add_named(&v, "slab", "freelist", NULL, "more %d", i);
    CHECK_EQ_U(v.n, 42);
    CHECK_EQ_STR(v.v[0].detail, "obj 7");
    CHECK_EQ_U(v.v[0].addr, 0x10);
    CHECK_EQ_STR(v.v[1].invariant, "area %p broken");   /* the format names it */
    CHECK_EQ_U(kh_violations_count(&v, "slab", "freelist"), 41);
    CHECK_EQ_U(kh_violations_count(&v, NULL, "area %p broken"), 1);
    kh_violations_free(&v);
    CHECK_EQ_U(v.n, 0);
    CHECK(v.v == NULL);
}

int main(void)
{
    test_clean_states();
    test_counters();
    test_unmerged_buddies();
    test_list_links();
    test_listing();
    test_block_shape();
    test_zones_and_lazy();
    test_poisoning();
    test_violation_api();
    return check_summary();
}
