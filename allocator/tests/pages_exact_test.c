/* pages_exact_test.c - alloc_pages_exact / free_pages_exact (SPEC section
 * 4, Linux 6.1): the block is split into order-0 pages, the unused tail goes
 * back to the buddy lists (at the tail), free_pages_exact frees page by
 * page, __GFP_COMP is warned and stripped, size 0 fails as the kernel's
 * get_order(0) makes it fail.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "fixture.h"
#include "internal.h"
#include "introspect.h"
#include "page_alloc.h"

static struct kh *new_instance(void)
{
    struct kh_config cfg = kh_test_config(KH_DEFAULT_PROFILE);
    return kh_test_create(&cfg);
}

static unsigned validate(struct kh *kh)
{
    struct kh_violations v = { 0 };
    unsigned n = kh_validate(kh, &v);
    if (n)
        kh_violations_print(&v, stderr);
    kh_violations_free(&v);
    return n;
}

static unsigned long pfn_of(struct kh *kh, const void *p)
{
    return kh_page_to_pfn(kh, kh_virt_to_page(kh, p));
}

static void test_tail_pages_returned(void)
{
    struct kh *kh = new_instance();
    unsigned long ps = kh_page_size(kh), free0 = kh_nr_free_pages(kh);
    char before[1024], after[1024];
    kh_buddyinfo(kh, before, sizeof(before));

    unsigned char *p = kh_alloc_pages_exact(kh, 5 * ps - 100, GFP_KERNEL);   /* order 3 */
    CHECK(p != NULL);
    CHECK_EQ_U(free0 - kh_nr_free_pages(kh), 5);   /* 8 taken, 3 given back */
    unsigned long pfn = pfn_of(kh, p), head;
    unsigned order;
    for (unsigned long i = 0; i < 5; i++) {   /* split_page: independent order-0 pages */
        CHECK_EQ_U(kh_page_state(kh, pfn + i, &head, &order), KH_PAGE_ALLOC_HEAD);
        CHECK_EQ_U(order, 0);
    }
    CHECK_EQ_U(kh_page_state(kh, pfn + 5, &head, &order), KH_PAGE_FREE_HEAD);
    CHECK_EQ_U(order, 0);
    CHECK_EQ_U(kh_page_state(kh, pfn + 6, &head, &order), KH_PAGE_FREE_HEAD);
    CHECK_EQ_U(order, 1);   /* pages 6 and 7 merged */
    memset(p, 0xab, 5 * ps);   /* every used page is writable */
    CHECK_EQ_U(validate(kh), 0);

    kh_free_pages_exact(kh, p, 5 * ps - 100);
    CHECK_EQ_U(kh_nr_free_pages(kh), free0);
    kh_buddyinfo(kh, after, sizeof(after));
    CHECK_EQ_STR(after, before);   /* everything merged back */
    CHECK_EQ_U(validate(kh), 0);
    CHECK_EQ_U(kh_report_count(kh, KH_SEV_BUG) + kh_report_count(kh, KH_SEV_WARN), 0);

    kh_free_pages(kh, (unsigned long)(p + 6 * ps), 0);   /* a tail page, long gone */
    CHECK_EQ_U(kh_report_count_class(kh, KH_R_BAD_PAGE), 1);
    kh_destroy(kh);
}

static void test_tail_goes_to_list_tail(void)
{
    struct kh *kh = new_instance();
    struct page *x = kh_alloc_pages(kh, GFP_KERNEL, 0);   /* leaves its buddy on order 0 */
    unsigned long buddy = kh_page_to_pfn(kh, x) ^ 1;
    unsigned long ps = kh_page_size(kh);
    unsigned char *p = kh_alloc_pages_exact(kh, 3 * ps, GFP_KERNEL);   /* order 2, 1 back */
    unsigned long tail = pfn_of(kh, p) + 3;
    CHECK_EQ_U(kh_page_state(kh, tail, NULL, NULL), KH_PAGE_FREE_HEAD);
    struct page *next = kh_alloc_pages(kh, GFP_KERNEL, 0);
    CHECK_EQ_U(kh_page_to_pfn(kh, next), buddy);   /* FPI_TO_TAIL: reused last */
    struct page *then = kh_alloc_pages(kh, GFP_KERNEL, 0);
    CHECK_EQ_U(kh_page_to_pfn(kh, then), tail);
    kh___free_pages(kh, then, 0);
    kh___free_pages(kh, next, 0);
    kh___free_pages(kh, x, 0);
    kh_free_pages_exact(kh, p, 3 * ps);
    CHECK_EQ_U(kh_nr_free_pages(kh), kh_total_pages(kh));
    CHECK_EQ_U(validate(kh), 0);
    kh_destroy(kh);
}

static void test_exact_sizes_and_partial_free(void)
{
    struct kh *kh = new_instance();
    unsigned long ps = kh_page_size(kh), free0 = kh_nr_free_pages(kh);
    unsigned char *p = kh_alloc_pages_exact(kh, 4 * ps, GFP_KERNEL | __GFP_ZERO);
    CHECK_EQ_U(free0 - kh_nr_free_pages(kh), 4);   /* a power of two: no tail */
    bool zero = true;
    for (unsigned long i = 0; i < 4 * ps; i++)
        zero &= p[i] == 0;
    CHECK(zero);
    /* the pages are independent: freeing a prefix leaves the rest allocated */
    kh_free_pages_exact(kh, p, 2 * ps);
    CHECK_EQ_U(free0 - kh_nr_free_pages(kh), 2);
    CHECK_EQ_U(kh_page_state(kh, pfn_of(kh, p) + 3, NULL, NULL), KH_PAGE_ALLOC_HEAD);
    CHECK_EQ_U(validate(kh), 0);
    kh_free_pages(kh, (unsigned long)(p + 2 * ps), 0);
    kh_free_pages(kh, (unsigned long)(p + 3 * ps), 0);
    CHECK_EQ_U(kh_nr_free_pages(kh), free0);

    unsigned char *one = kh_alloc_pages_exact(kh, 1, GFP_KERNEL);
    CHECK_EQ_U(free0 - kh_nr_free_pages(kh), 1);
    kh_free_pages_exact(kh, one, 1);
    CHECK_EQ_U(kh_nr_free_pages(kh), free0);
    CHECK_EQ_U(kh_report_count(kh, KH_SEV_BUG) + kh_report_count(kh, KH_SEV_WARN), 0);
    CHECK_EQ_U(validate(kh), 0);
    kh_destroy(kh);
}

static void test_warnings(void)
{
    struct kh *kh = new_instance();
    unsigned long ps = kh_page_size(kh), free0 = kh_nr_free_pages(kh);
    void *p = kh_alloc_pages_exact(kh, 3 * ps, GFP_KERNEL | __GFP_COMP);
    CHECK(p != NULL);   /* stripped, not refused */
    CHECK_EQ_U(reports_with(kh, "alloc_pages_exact with __GFP_COMP or __GFP_HIGHMEM"), 1);
    CHECK_EQ_U(kh_page_state(kh, pfn_of(kh, p) + 1, NULL, NULL), KH_PAGE_ALLOC_HEAD);
    kh_free_pages_exact(kh, p, 3 * ps);
    p = kh_alloc_pages_exact(kh, ps, GFP_KERNEL | __GFP_HIGHMEM);
    CHECK(p != NULL && kh_addr_in_arena(kh, p));
    CHECK_EQ_U(reports_with(kh, "alloc_pages_exact with __GFP_COMP or __GFP_HIGHMEM"), 2);
    kh_free_pages_exact(kh, p, ps);

    /* size 0: get_order(0) is far above MAX_ORDER, as in the kernel */
    CHECK(kh_alloc_pages_exact(kh, 0, GFP_KERNEL) == NULL);
    CHECK_EQ_U(reports_with(kh, "order above max"), 1);
    CHECK(kh_alloc_pages_exact(kh, 0, GFP_KERNEL | __GFP_NOWARN) == NULL);
    CHECK_EQ_U(reports_with(kh, "order above max"), 1);
    /* too large for one block */
    CHECK(kh_alloc_pages_exact(kh, (ps << kh_max_order(kh)) + 1, GFP_KERNEL) == NULL);
    CHECK_EQ_U(reports_with(kh, "order above max"), 2);
    kh_free_pages_exact(kh, p, 0);   /* size 0 frees nothing */
    CHECK_EQ_U(kh_nr_free_pages(kh), free0);
    CHECK_EQ_U(validate(kh), 0);
    kh_destroy(kh);
}

static void test_kernel_names(void)
{
    struct kh *kh = new_instance();
    kh_set_default(kh);
    unsigned long free0 = kh_nr_free_pages(kh);
    void *p = alloc_pages_exact(3 * PAGE_SIZE, GFP_KERNEL);
    CHECK_EQ_U(free0 - kh_nr_free_pages(kh), 3);
    free_pages_exact(p, 3 * PAGE_SIZE);
    CHECK_EQ_U(kh_nr_free_pages(kh), free0);
    kh_set_default(NULL);   /* destroys the instance */
}

int main(void)
{
    test_tail_pages_returned();
    test_tail_goes_to_list_tail();
    test_exact_sizes_and_partial_free();
    test_warnings();
    test_kernel_names();
    return check_summary();
}
