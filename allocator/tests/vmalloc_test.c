/* vmalloc_test.c - the vmalloc and kvmalloc rules of SPEC section 9: real
 * virtually contiguous mappings of scattered pages, guard pages, the
 * kernel's warnings, misuse reports with no state change, kvmalloc's
 * kmalloc-first policy, reset and validation.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "fixture.h"
#include "internal.h"
#include "introspect.h"
#include "kmalloc.h"
#include "page_alloc.h"
#include "vmalloc.h"

static struct kh *new_instance(const char *profile)
{
    struct kh_config cfg = kh_test_config(profile);
    return kh_test_create(&cfg);
}

/* Recorded reports whose reason is `reason`. */
static const struct kh_report *last_report(const struct kh *kh)
{
    const struct kh_report *r, *last = NULL;
    for (unsigned i = 0; (r = kh_report_get(kh, i)) != NULL; i++)
        last = r;
    return last;
}

static const char *last_text(const struct kh *kh)
{
    const struct kh_report *r = last_report(kh);
    return r ? r->text : NULL;
}

static unsigned validate(struct kh *kh)
{
    struct kh_violations v = { 0 };
    unsigned n = kh_vmalloc_validate(kh, &v);
    if (n)
        kh_violations_print(&v, stderr);
    kh_violations_free(&v);
    return n;
}
/* Violations of one invariant, for checks that expect them. */
static unsigned violations(struct kh *kh, const char *invariant)
{
    struct kh_violations v = { 0 };
    kh_vmalloc_validate(kh, &v);
    unsigned n = kh_violations_count(&v, "vmalloc", invariant);
    kh_violations_free(&v);
    return n;
}

static void fault_on(struct kh *kh, unsigned domains, enum kh_fault_mode mode, uint64_t nth)
{
    struct kh_fault_config fc = { .mode = mode, .domains = domains, .nth = nth };
    kh_fault_set(kh, &fc);
}

/* Runs fn(kh, p) in a child; true when the child was killed by a fault or
 * an ASan report rather than returning normally. */
static bool access_dies(void (*fn)(volatile unsigned char *), volatile unsigned char *p)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        /* silence the expected ASan report / core dump noise */
        if (!freopen("/dev/null", "w", stderr))
            _exit(3);
        fn(p);
        _exit(0);
    }
    int status;
    if (waitpid(pid, &status, 0) != pid)
        return false;
    if (WIFSIGNALED(status))
        return WTERMSIG(status) == SIGSEGV || WTERMSIG(status) == SIGBUS ||
               WTERMSIG(status) == SIGABRT;
    return WIFEXITED(status) && WEXITSTATUS(status) != 0 && WEXITSTATUS(status) != 3;
}

static void read_byte(volatile unsigned char *p) { (void)*p; }
static void write_byte(volatile unsigned char *p) { *p = 1; }

/* ---- tests ---- */

static void test_mapping_is_real(void)
{
    struct kh *kh = new_instance(KH_DEFAULT_PROFILE);
    unsigned long ps = kh_page_size(kh);
    unsigned long size = 5 * ps + 100;
    unsigned char *p = kh_vmalloc(kh, size);
    CHECK(p != NULL);
    CHECK(kh_is_vmalloc_addr(kh, p));
    CHECK(kh_is_vmalloc_addr(kh, p + size - 1));
    CHECK(!kh_addr_in_arena(kh, p));
    CHECK_EQ_U((uintptr_t)p % ps, 0);
    for (unsigned long i = 0; i < size; i++)
        p[i] = (unsigned char)(i * 7 + 3);
    /* every byte written through the vmalloc address is in the page that
     * vmalloc_to_page names, at the same offset */
    unsigned bad = 0;
    for (unsigned long i = 0; i < size; i++) {
        struct page *page = kh_vmalloc_to_page(kh, p + i);
        const unsigned char *phys = kh_page_address(kh, page);
        if (!page || phys[i % ps] != (unsigned char)(i * 7 + 3))
            bad++;
        if (page && !(page->flags & PG_vmalloc))
            bad++;
    }
    CHECK_EQ_U(bad, 0);
    CHECK(kh_vmalloc_to_page(kh, p + 6 * ps) == NULL);   /* the guard page */
    CHECK(kh_vmalloc_to_page(kh, p - 1) == NULL);
    CHECK_EQ_U(kh_vmalloc_to_pfn(kh, p + ps), kh_page_to_pfn(kh, kh_vmalloc_to_page(kh, p + ps)));
    CHECK_EQ_U(kh_vmalloc_size(kh, p + 3), 6 * ps);
    struct kh_vm_area_info info;
    CHECK(kh_vmalloc_find(kh, p + 2 * ps, &info));
    CHECK(info.addr == p);
    CHECK_EQ_U(info.size, size);
    CHECK_EQ_U(info.nr_pages, 6);
    CHECK_EQ_U(info.gfp, GFP_KERNEL);
    CHECK_EQ_U(validate(kh), 0);
    CHECK(!kh_is_vmalloc_addr(kh, kh_page_address(kh, kh_vmalloc_to_page(kh, p))));
    kh_vfree(kh, p);
    CHECK_EQ_U(kh_report_count(kh, KH_SEV_WARN) + kh_report_count(kh, KH_SEV_BUG), 0);
    kh_destroy(kh);
}

/* Pages freed between pinned spacers cannot merge, so a later area made of
 * them is physically scattered while still virtually contiguous. */
static void test_scattered_pages_contiguous_va(void)
{
    struct kh *kh = new_instance(KH_DEFAULT_PROFILE);
    unsigned long ps = kh_page_size(kh);
    struct page *holes[16], *spacers[16];
    for (int i = 0; i < 16; i++) {
        holes[i] = kh_alloc_pages(kh, GFP_KERNEL, 0);
        spacers[i] = kh_alloc_pages(kh, GFP_KERNEL, 0);
    }
    for (int i = 0; i < 16; i++)
        kh___free_pages(kh, holes[i], 0);
    unsigned char *p = kh_vmalloc(kh, 8 * ps);
    CHECK(p != NULL);
    struct kh_vm_area_info info;
    CHECK(kh_vmalloc_find(kh, p, &info));
    unsigned jumps = 0;
    for (unsigned long i = 0; i + 1 < info.nr_pages; i++)
        jumps += info.pfns[i + 1] != info.pfns[i] + 1;
    CHECK(jumps > 0);
    memset(p, 0x5c, 8 * ps);
    unsigned bad = 0;
    for (unsigned long i = 0; i < 8; i++) {
        const unsigned char *phys = kh_page_address(kh, kh_pfn_to_page(kh, info.pfns[i]));
        for (unsigned long j = 0; j < ps; j++)
            bad += phys[j] != 0x5c;
    }
    CHECK_EQ_U(bad, 0);
    CHECK_EQ_U(validate(kh), 0);
    kh_vfree(kh, p);
    for (int i = 0; i < 16; i++)
        kh___free_pages(kh, spacers[i], 0);
    kh_destroy(kh);
}

static void test_vzalloc_zeroes(void)
{
    struct kh *kh = new_instance(KH_DEFAULT_PROFILE);
    unsigned long ps = kh_page_size(kh);
    unsigned char *p = kh_vmalloc(kh, 4 * ps);
    memset(p, 0xaa, 4 * ps);
    kh_vfree(kh, p);
    unsigned char *z = kh_vzalloc(kh, 4 * ps - 10);
    CHECK(z != NULL);
    unsigned nonzero = 0;
    for (unsigned long i = 0; i < 4 * ps - 10; i++)
        nonzero += z[i] != 0;
    CHECK_EQ_U(nonzero, 0);
    struct kh_vm_area_info info;
    CHECK(kh_vmalloc_find(kh, z, &info));
    CHECK(info.gfp & __GFP_ZERO);
    kh_vfree(kh, z);
    kh_destroy(kh);
}

static void test_zero_and_oversized(void)
{
    struct kh *kh = new_instance(KH_DEFAULT_PROFILE);
    unsigned long free_before = kh_nr_free_pages(kh);
    CHECK(kh_vmalloc(kh, 0) == NULL);
    CHECK_EQ_U(reports_with(kh, "vmalloc size 0"), 1);
    CHECK_EQ_U(kh_report_count(kh, KH_SEV_WARN), 1);
    CHECK_EQ_U(kh_report_count_class(kh, KH_R_VMALLOC), 1);

    unsigned long too_big = (kh_total_pages(kh) + 1) * kh_page_size(kh);
    CHECK(kh_vmalloc(kh, too_big) == NULL);
    CHECK_EQ_U(reports_with(kh, "vmalloc exceeds total pages"), 1);
    char want[96];
    snprintf(want, sizeof(want), "vmalloc error: size %lu, exceeds total pages", too_big);
    CHECK_CONTAINS(last_text(kh), want);
    CHECK_CONTAINS(last_text(kh), "mode:0xcc0(GFP_KERNEL)");
    CHECK(kh___vmalloc(kh, too_big, GFP_KERNEL | __GFP_NOWARN) == NULL);
    CHECK_EQ_U(reports_with(kh, "vmalloc exceeds total pages"), 1);
    CHECK(kh___vmalloc(kh, ULONG_MAX, GFP_KERNEL | __GFP_NOWARN) == NULL);
    CHECK_EQ_U(kh_nr_free_pages(kh), free_before);
    kh_destroy(kh);
}

static void test_failures_leave_no_trace(void)
{
    struct kh *kh = new_instance(KH_DEFAULT_PROFILE);
    unsigned long ps = kh_page_size(kh);
    unsigned long free_before = kh_nr_free_pages(kh);

    fault_on(kh, KH_FAULT_VMALLOC, KH_FAULT_NTH, 1);
    CHECK(kh_vmalloc(kh, 3 * ps) == NULL);
    CHECK_EQ_U(reports_with(kh, "vmalloc vm_struct allocation failed"), 1);
    CHECK_EQ_U(kh_nr_free_pages(kh), free_before);

    /* the third page fails: two were taken and must come back */
    fault_on(kh, KH_FAULT_PAGE, KH_FAULT_NTH, 3);
    CHECK(kh_vmalloc(kh, 5 * ps) == NULL);
    CHECK_EQ_U(reports_with(kh, "vmalloc page allocation failed"), 1);
    char want[96];
    snprintf(want, sizeof(want), "vmalloc error: size %lu, page order 0, failed to allocate pages",
             2 * ps);
    CHECK_CONTAINS(last_text(kh), want);
    CHECK_EQ_U(kh_nr_free_pages(kh), free_before);
    struct kh_vmalloc_stats st;
    kh_vmalloc_get_stats(kh, &st);
    CHECK_EQ_U(st.nr_areas, 0);
    CHECK_EQ_U(st.nr_pages, 0);
    CHECK_EQ_U(validate(kh), 0);

    kh_fault_clear(kh);
    void *p = kh_vmalloc(kh, 5 * ps);
    CHECK(p != NULL);
    kh_vfree(kh, p);
    CHECK_EQ_U(kh_nr_free_pages(kh), free_before);
    kh_destroy(kh);
}

static void test_bad_vfree(void)
{
    struct kh *kh = new_instance(KH_DEFAULT_PROFILE);
    unsigned long ps = kh_page_size(kh);
    unsigned char *p = kh_vmalloc(kh, 2 * ps);
    unsigned char *q = kh_vmalloc(kh, ps);
    struct kh_vmalloc_stats before, after;
    kh_vmalloc_get_stats(kh, &before);
    unsigned long free_before = kh_nr_free_pages(kh);

    kh_vfree(kh, NULL);
    CHECK_EQ_U(kh_report_count(kh, KH_SEV_BUG) + kh_report_count(kh, KH_SEV_WARN), 0);

    kh_vfree(kh, p + ps);            /* inside an area, page aligned */
    CHECK_EQ_U(reports_with(kh, "vfree nonexistent vm area"), 1);
    const struct kh_report *r = last_report(kh);
    char want[64];
    snprintf(want, sizeof(want), "Trying to vfree() nonexistent vm area (%p)", (void *)(p + ps));
    CHECK_CONTAINS(last_text(kh), want);
    CHECK(r && r->severity == KH_SEV_BUG && r->cls == KH_R_VMALLOC);
    CHECK(r && r->addr == (uintptr_t)(p + ps));

    kh_vfree(kh, p + 2 * ps);        /* the guard page */
    kh_vfree(kh, p + 1);             /* not page aligned */
    CHECK_EQ_U(reports_with(kh, "vfree nonexistent vm area"), 2);
    CHECK_EQ_U(reports_with(kh, "vfree bad address"), 1);
    struct page *arena_page = kh_alloc_pages(kh, GFP_KERNEL, 0);
    kh_vfree(kh, kh_page_address(kh, arena_page));   /* not vmalloc memory at all */
    CHECK_EQ_U(reports_with(kh, "vfree nonexistent vm area"), 3);
    kh___free_pages(kh, arena_page, 0);

    kh_vmalloc_get_stats(kh, &after);
    CHECK_EQ_U(after.nr_areas, before.nr_areas);
    CHECK_EQ_U(after.nr_pages, before.nr_pages);
    CHECK_EQ_U(kh_nr_free_pages(kh), free_before);
    p[2 * ps - 1] = 1;               /* still mapped and usable */
    CHECK_EQ_U(validate(kh), 0);

    kh_vfree(kh, p);
    kh_vfree(kh, p);                 /* double vfree */
    CHECK_EQ_U(reports_with(kh, "vfree nonexistent vm area"), 4);
    CHECK_EQ_U(kh_report_count(kh, KH_SEV_BUG), 5);
    kh_vfree(kh, q);
    CHECK_EQ_U(kh_nr_free_pages(kh), free_before + 3);
    CHECK_EQ_U(validate(kh), 0);
    kh_destroy(kh);
}

static void test_guard_page_and_stale_pointer_fault(void)
{
    struct kh *kh = new_instance(KH_DEFAULT_PROFILE);
    unsigned long ps = kh_page_size(kh);
    unsigned char *p = kh_vmalloc(kh, 2 * ps);
    unsigned char *after = kh_vmalloc(kh, ps);   /* a neighbour must not absorb the overflow */
    CHECK(after == p + 3 * ps);
    CHECK(!access_dies(read_byte, p + 2 * ps - 1));  /* the control: last byte is fine */
    CHECK(access_dies(read_byte, p + 2 * ps));
    CHECK(access_dies(write_byte, p + 2 * ps));
    CHECK(access_dies(read_byte, p - 1));            /* page 0 of the window is never mapped */
    kh_vfree(kh, p);
    CHECK(access_dies(read_byte, p));                /* use after vfree */
#ifdef KH_ASAN
    /* exact-byte detection inside the last page */
    unsigned char *q = kh_vmalloc(kh, 100);
    CHECK(!access_dies(read_byte, q + 99));
    CHECK(access_dies(read_byte, q + 100));
    kh_vfree(kh, q);
#endif
    kh_vfree(kh, after);
    kh_destroy(kh);
}

static void test_first_fit_reuses_va(void)
{
    struct kh *kh = new_instance(KH_DEFAULT_PROFILE);
    unsigned long ps = kh_page_size(kh);
    unsigned char *a = kh_vmalloc(kh, 3 * ps);
    unsigned char *b = kh_vmalloc(kh, ps);
    unsigned char *c = kh_vmalloc(kh, ps);
    CHECK(b == a + 4 * ps);          /* 3 pages + guard */
    CHECK(c == b + 2 * ps);
    kh_vfree(kh, a);
    unsigned char *d = kh_vmalloc(kh, ps);       /* fits in a's hole */
    unsigned char *e = kh_vmalloc(kh, 2 * ps);   /* hole has 2 pages left: d + guard used 2 */
    CHECK(d == a);
    CHECK(e == c + 2 * ps);
    unsigned char *f = kh_vmalloc(kh, ps);       /* fits after d: a + 2 .. a + 3 plus guard */
    CHECK(f == a + 2 * ps);
    struct kh_vmalloc_stats st;
    kh_vmalloc_get_stats(kh, &st);
    CHECK_EQ_U(st.nr_areas, 5);
    CHECK_EQ_U(st.nr_pages, 6);
    CHECK_EQ_U(validate(kh), 0);
    kh_vfree(kh, b);
    kh_vfree(kh, c);
    kh_vfree(kh, d);
    kh_vfree(kh, e);
    kh_vfree(kh, f);
    kh_destroy(kh);
}

struct walk_ctx { unsigned n; void *addr[4]; unsigned long pages[4]; };

static int collect(void *ctx, const struct kh_vm_area_info *a)
{
    struct walk_ctx *w = ctx;
    if (w->n < 4) {
        w->addr[w->n] = a->addr;
        w->pages[w->n] = a->nr_pages;
    }
    w->n++;
    return 0;
}

static int stop_at_first(void *ctx, const struct kh_vm_area_info *a)
{
    (void)a;
    (*(unsigned *)ctx)++;
    return 1;
}

static void test_walk(void)
{
    struct kh *kh = new_instance(KH_DEFAULT_PROFILE);
    unsigned long ps = kh_page_size(kh);
    void *a = kh_vmalloc(kh, 2 * ps);
    void *b = kh_vmalloc(kh, 1);
    struct walk_ctx w = { 0 };
    CHECK_EQ_U(kh_vmalloc_walk(kh, collect, &w), 2);
    CHECK_EQ_U(w.n, 2);
    CHECK(w.addr[0] == a && w.addr[1] == b);
    CHECK_EQ_U(w.pages[0], 2);
    CHECK_EQ_U(w.pages[1], 1);
    unsigned calls = 0;
    CHECK_EQ_U(kh_vmalloc_walk(kh, stop_at_first, &calls), 1);
    CHECK_EQ_U(calls, 1);
    kh_vfree(kh, a);
    kh_vfree(kh, b);
    kh_destroy(kh);
}

static void test_validate_catches_corruption(void)
{
    struct kh *kh = new_instance(KH_DEFAULT_PROFILE);
    unsigned long ps = kh_page_size(kh);
    unsigned char *p = kh_vmalloc(kh, 3 * ps);
    struct page *page = kh_vmalloc_to_page(kh, p + ps);
    CHECK_EQ_U(validate(kh), 0);
    page->flags &= ~PG_vmalloc;
    CHECK_EQ_U(violations(kh, "vmalloc-page-flag"), 1);
    CHECK_EQ_U(violations(kh, "vmalloc-stray-page"), 1);
    page->flags |= PG_vmalloc;
    void *owner = page->private;
    page->private = NULL;
    CHECK_EQ_U(violations(kh, "vmalloc-page-owner"), 1);
    page->private = owner;
    CHECK_EQ_U(validate(kh), 0);

    /* Map another physical page behind the area's back, then fill its guard
     * page: both are visible only through the real mappings. */
    struct page *other = kh_alloc_pages(kh, GFP_KERNEL, 0);
    off_t off = (off_t)kh_page_to_pfn(kh, other) << kh->page_shift;
    CHECK(mmap(p + 2 * ps, ps, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, kh->memfd, off) !=
          MAP_FAILED);
    /* Probed only once something went through it (probing untouched pages
     * would make the host allocate every page of a big area). */
    CHECK_EQ_U(violations(kh, "vmalloc-mapping"), 0);
    p[2 * ps + 5] = 0x42;
    CHECK_EQ_U(violations(kh, "vmalloc-mapping"), 1);
    CHECK(mmap(p + 3 * ps, ps, PROT_READ, MAP_SHARED | MAP_FIXED, kh->memfd, off) != MAP_FAILED);
    CHECK_EQ_U(violations(kh, "vmalloc-guard"), 1);
    kh_vfree(kh, p);   /* re-protects the whole range, guard included */
    CHECK_EQ_U(validate(kh), 0);
    kh___free_pages(kh, other, 0);
    kh_destroy(kh);
}

static void test_reset(void)
{
    struct kh *kh = new_instance(KH_DEFAULT_PROFILE);
    unsigned long ps = kh_page_size(kh);
    unsigned long free_fresh = kh_nr_free_pages(kh);
    unsigned char *first = kh_vmalloc(kh, 2 * ps);
    for (int i = 0; i < 10; i++)
        CHECK(kh_vmalloc(kh, (unsigned long)(i + 1) * ps) != NULL);
    kh_vmalloc(kh, 0);
    kh_reset(kh);
    kh_set_report_mode(kh, KH_REPORT_RECORD);
    struct kh_vmalloc_stats st;
    kh_vmalloc_get_stats(kh, &st);
    CHECK_EQ_U(st.nr_areas, 0);
    CHECK_EQ_U(st.nr_pages, 0);
    CHECK_EQ_U(st.va_hwm_pages, 0);
    CHECK_EQ_U(kh_nr_free_pages(kh), free_fresh);
    CHECK(!kh_vmalloc_find(kh, first, NULL));
    CHECK(access_dies(read_byte, first));        /* the old mapping is gone */
    unsigned char *again = kh_vmalloc(kh, 2 * ps);
    CHECK(again == first);                       /* same sequence, same addresses */
    again[0] = 1;
    CHECK_EQ_U(validate(kh), 0);
    kh_vfree(kh, again);
    kh_destroy(kh);
}

static void test_kvmalloc_small_never_falls_back(void)
{
    struct kh *kh = new_instance(KH_DEFAULT_PROFILE);
    unsigned long ps = kh_page_size(kh);
    void *p = kh_kvmalloc(kh, 100, GFP_KERNEL);
    CHECK(p != NULL && !kh_is_vmalloc_addr(kh, p));
    kh_kvfree(kh, p);
    p = kh_kvmalloc(kh, ps, GFP_KERNEL);
    CHECK(p != NULL && !kh_is_vmalloc_addr(kh, p));
    kh_kvfree(kh, p);
    fault_on(kh, KH_FAULT_SLAB, KH_FAULT_FROM, 1);
    CHECK(kh_kvmalloc(kh, ps, GFP_KERNEL) == NULL);
    CHECK(kh_kvmalloc(kh, 1, GFP_KERNEL) == NULL);
    struct kh_vmalloc_stats st;
    kh_vmalloc_get_stats(kh, &st);
    CHECK_EQ_U(st.nr_areas, 0);
    CHECK(kh_kvmalloc(kh, 0, GFP_KERNEL) == (void *)16 || kh_kvmalloc(kh, 0, GFP_KERNEL) == NULL);
    kh_destroy(kh);
}

static void test_kvmalloc_falls_back_to_vmalloc(void)
{
    struct kh *kh = new_instance(KH_DEFAULT_PROFILE);
    unsigned long ps = kh_page_size(kh);
    unsigned char *p = kh_kvmalloc(kh, 3 * ps, GFP_KERNEL);
    CHECK(p != NULL && !kh_is_vmalloc_addr(kh, p));   /* kmalloc can serve it */
    kh_kvfree(kh, p);

    fault_on(kh, KH_FAULT_SLAB, KH_FAULT_FROM, 1);
    p = kh_kvzalloc(kh, 3 * ps, GFP_KERNEL);
    CHECK(p != NULL && kh_is_vmalloc_addr(kh, p));
    CHECK(kh_fault_injected(kh) >= 1);
    unsigned nonzero = 0;
    for (unsigned long i = 0; i < 3 * ps; i++)
        nonzero += p[i] != 0;
    CHECK_EQ_U(nonzero, 0);
    struct kh_vm_area_info info;
    CHECK(kh_vmalloc_find(kh, p, &info));
    CHECK_EQ_U(info.gfp, GFP_KERNEL | __GFP_ZERO);   /* vmalloc gets the caller's flags */
    kh_kvfree(kh, p);
    struct kh_vmalloc_stats st;
    kh_vmalloc_get_stats(kh, &st);
    CHECK_EQ_U(st.nr_areas, 0);
    kh_fault_clear(kh);

    /* above KMALLOC_MAX_SIZE kmalloc refuses quietly and vmalloc serves */
    p = kh_kvmalloc(kh, 8ul << 20, GFP_KERNEL);
    CHECK(p != NULL && kh_is_vmalloc_addr(kh, p));
    p[(8ul << 20) - 1] = 1;
    kh_kvfree(kh, p);
    CHECK_EQ_U(kh_report_count(kh, KH_SEV_WARN) + kh_report_count(kh, KH_SEV_BUG), 0);

    CHECK(kh_kvmalloc(kh, (size_t)INT_MAX + 1, GFP_KERNEL) == NULL);
    CHECK_EQ_U(reports_with(kh, "kvmalloc size above INT_MAX"), 1);
    CHECK(kh_kvmalloc(kh, (size_t)INT_MAX + 1, GFP_KERNEL | __GFP_NOWARN) == NULL);
    CHECK_EQ_U(reports_with(kh, "kvmalloc size above INT_MAX"), 1);
    CHECK_EQ_U(kh_report_count(kh, KH_SEV_WARN), 1);
    kh_destroy(kh);
}

/* With memory exhausted, the kmalloc attempt is quiet (NOWARN) and only
 * vmalloc's own failure is reported. */
static void test_kvmalloc_quiet_kmalloc_attempt(void)
{
    struct kh *kh = new_instance("linux-6.1-x86_64-16m");
    unsigned long ps = kh_page_size(kh);
    struct page **held = malloc(kh_total_pages(kh) * sizeof(*held));
    unsigned long n = 0;
    struct page *pg;
    while ((pg = kh_alloc_pages(kh, GFP_ATOMIC | __GFP_NOWARN | __GFP_MEMALLOC, 0)) != NULL)
        held[n++] = pg;
    kh_reports_clear(kh);
    CHECK(kh_kvmalloc(kh, 4 * ps, GFP_KERNEL) == NULL);
    CHECK_EQ_U(kh_report_count_class(kh, KH_R_PAGE_ALLOC_FAILURE), 0);
    CHECK_EQ_U(reports_with(kh, "vmalloc page allocation failed"), 1);
    while (n)
        kh___free_pages(kh, held[--n], 0);
    free(held);
    CHECK_EQ_U(validate(kh), 0);
    kh_destroy(kh);
}

static void test_kvmalloc_array_and_calloc(void)
{
    struct kh *kh = new_instance(KH_DEFAULT_PROFILE);
    CHECK(kh_kvmalloc_array(kh, SIZE_MAX / 2, 3, GFP_KERNEL) == NULL);
    CHECK(kh_kvcalloc(kh, (SIZE_MAX >> 8) + 1, 256, GFP_KERNEL) == NULL);
    CHECK_EQ_U(kh_report_count(kh, KH_SEV_WARN) + kh_report_count(kh, KH_SEV_BUG), 0);
    unsigned *v = kh_kvcalloc(kh, 2000000, sizeof(unsigned), GFP_KERNEL);   /* > KMALLOC_MAX */
    CHECK(v != NULL && kh_is_vmalloc_addr(kh, v));
    unsigned nonzero = 0;
    for (unsigned i = 0; i < 2000000; i++)
        nonzero += v[i] != 0;
    CHECK_EQ_U(nonzero, 0);
    kh_kvfree(kh, v);
    kh_destroy(kh);
}

static void test_kvfree_sensitive(void)
{
    struct kh *kh = new_instance(KH_DEFAULT_PROFILE);
    unsigned long ps = kh_page_size(kh);
    fault_on(kh, KH_FAULT_SLAB, KH_FAULT_FROM, 1);
    unsigned char *p = kh_kvmalloc(kh, 2 * ps, GFP_KERNEL);
    kh_fault_clear(kh);
    CHECK(p != NULL && kh_is_vmalloc_addr(kh, p));
    memset(p, 0x77, 2 * ps);
    /* Zeroing happens before the free: freeing an interior address is
     * refused (reported, area kept), so the cleared bytes stay visible. */
    kh_kvfree_sensitive(kh, p + ps, 100);
    CHECK_EQ_U(reports_with(kh, "vfree nonexistent vm area"), 1);
    unsigned wrong = 0;
    for (unsigned long i = 0; i < 2 * ps; i++)
        wrong += p[i] != ((i >= ps && i < ps + 100) ? 0 : 0x77);
    CHECK_EQ_U(wrong, 0);
    kh_kvfree_sensitive(kh, p, 2 * ps);
    struct kh_vmalloc_stats st;
    kh_vmalloc_get_stats(kh, &st);
    CHECK_EQ_U(st.nr_areas, 0);
    kh_reports_clear(kh);
    kh_kvfree_sensitive(kh, NULL, 100);
    kh_kvfree_sensitive(kh, (void *)16, 100);
    void *small = kh_kvmalloc(kh, 32, GFP_KERNEL);
    kh_kvfree_sensitive(kh, small, 32);
    CHECK_EQ_U(kh_report_count(kh, KH_SEV_WARN) + kh_report_count(kh, KH_SEV_BUG), 0);
    kh_destroy(kh);
}

static void test_kvrealloc(void)
{
    struct kh *kh = new_instance(KH_DEFAULT_PROFILE);
    unsigned long ps = kh_page_size(kh);
    unsigned char *p = kh_kvmalloc(kh, 100, GFP_KERNEL);
    for (int i = 0; i < 100; i++)
        p[i] = (unsigned char)i;
    CHECK(kh_kvrealloc(kh, p, 100, 50, GFP_KERNEL) == p);    /* 6.1: shrinking keeps p */
    CHECK(kh_kvrealloc(kh, p, 100, 100, GFP_KERNEL) == p);

    fault_on(kh, KH_FAULT_SLAB | KH_FAULT_VMALLOC, KH_FAULT_FROM, 1);
    CHECK(kh_kvrealloc(kh, p, 100, 3 * ps, GFP_KERNEL | __GFP_NOWARN) == NULL);
    kh_fault_clear(kh);
    unsigned bad = 0;
    for (int i = 0; i < 100; i++)
        bad += p[i] != (unsigned char)i;   /* the old object is intact */
    CHECK_EQ_U(bad, 0);

    fault_on(kh, KH_FAULT_SLAB, KH_FAULT_FROM, 1);
    unsigned char *q = kh_kvrealloc(kh, p, 100, 3 * ps, GFP_KERNEL);
    kh_fault_clear(kh);
    CHECK(q != NULL && kh_is_vmalloc_addr(kh, q));
    bad = 0;
    for (int i = 0; i < 100; i++)
        bad += q[i] != (unsigned char)i;
    CHECK_EQ_U(bad, 0);
    q[3 * ps - 1] = 1;
    unsigned char *r = kh_kvrealloc(kh, q, 3 * ps, 5 * ps, GFP_KERNEL);
    CHECK(r != NULL && r != q);
    CHECK(r[99] == 99 && r[3 * ps - 1] == 1);
    kh_kvfree(kh, r);
    struct kh_vmalloc_stats st;
    kh_vmalloc_get_stats(kh, &st);
    CHECK_EQ_U(st.nr_areas, 0);
    CHECK_EQ_U(kh_report_count(kh, KH_SEV_WARN) + kh_report_count(kh, KH_SEV_BUG), 0);
    kh_destroy(kh);
}

static void test_large_pages(void)
{
    struct kh *kh = new_instance("linux-6.1-arm64-64k");
    unsigned long ps = kh_page_size(kh);
    CHECK_EQ_U(ps, 65536);
    unsigned char *p = kh_vmalloc(kh, ps + 1);
    CHECK(p != NULL);
    CHECK_EQ_U((uintptr_t)p % ps, 0);
    p[ps] = 42;
    CHECK_EQ_U(((unsigned char *)kh_page_address(kh, kh_vmalloc_to_page(kh, p + ps)))[0], 42);
    CHECK(access_dies(read_byte, p + 2 * ps));
    CHECK_EQ_U(validate(kh), 0);
    kh_vfree(kh, p);
    kh_destroy(kh);
}

static void test_default_instance_names(void)
{
    struct kh *kh = new_instance(KH_DEFAULT_PROFILE);
    kh_set_default(kh);
    char *p = vmalloc(10000);
    CHECK(p != NULL && is_vmalloc_addr(p));
    CHECK(vmalloc_to_page(p) != NULL);
    vfree(p);
    p = vzalloc(10);
    CHECK(p && p[9] == 0);
    vfree(p);
    p = kvmalloc(64, GFP_KERNEL);
    CHECK(p && !is_vmalloc_addr(p));
    kvfree(p);
    kh_set_default(NULL);   /* destroys kh */
}

int main(void)
{
    test_mapping_is_real();
    test_scattered_pages_contiguous_va();
    test_vzalloc_zeroes();
    test_zero_and_oversized();
    test_failures_leave_no_trace();
    test_bad_vfree();
    test_guard_page_and_stale_pointer_fault();
    test_first_fit_reuses_va();
    test_walk();
    test_validate_catches_corruption();
    test_reset();
    test_kvmalloc_small_never_falls_back();
    test_kvmalloc_falls_back_to_vmalloc();
    test_kvmalloc_quiet_kmalloc_attempt();
    test_kvmalloc_array_and_calloc();
    test_kvfree_sensitive();
    test_kvrealloc();
    test_large_pages();
    test_default_instance_names();
    return check_summary();
}
