/* memblock_test.c - the boot phase and the boot-time allocator: the page
 * allocator closed before mem_init, top-down aligned zeroed allocations,
 * freeing back during boot, the hand-over (reserved pages out of the zones,
 * the rest to the buddy allocator, validation clean), memblock after
 * mem_init, memblock_free_late, the legacy bootmem names, reset.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "fixture.h"
#include "internal.h"
#include "introspect.h"
#include "kmalloc.h"
#include "memblock.h"
#include "page_alloc.h"

#define MiB (1024ul * 1024ul)

static struct kh *new_instance(const char *profile)
{
    struct kh_config cfg = kh_test_config(profile);
    return kh_test_create(&cfg);
}

static unsigned nr_reports(const struct kh *kh)
{
    return kh_report_count(kh, KH_SEV_WARN) + kh_report_count(kh, KH_SEV_BUG);
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

static unsigned violations(struct kh *kh, const char *subsystem, const char *invariant)
{
    struct kh_violations v = { 0 };
    kh_validate(kh, &v);
    unsigned n = kh_violations_count(&v, subsystem, invariant);
    kh_violations_free(&v);
    return n;
}

static bool all_bytes(const unsigned char *p, size_t n, unsigned char v)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != v)
            return false;
    return true;
}

static struct kh_memblock_info info_of(struct kh *kh)
{
    struct kh_memblock_info mi;
    kh_memblock_get_info(kh, &mi);
    return mi;
}

/* ---- early boot ---- */

static void test_page_allocator_closed_during_boot(void)
{
    struct kh *kh = new_instance(KH_DEFAULT_PROFILE);
    CHECK_EQ_U(kh_boot_phase(kh), KH_BOOT_NONE);
    CHECK(!kh_boot_in_progress(kh));
    CHECK_EQ_U(kh_boot_begin(kh), 0);
    CHECK_EQ_U(kh_boot_phase(kh), KH_BOOT_EARLY);
    CHECK(kh_alloc_pages(kh, GFP_KERNEL, 0) == NULL);
    CHECK_EQ_U(reports_with(kh, "page allocator used before mem_init"), 1);
    CHECK(kh_kmalloc(kh, 4096 * 4, GFP_KERNEL) == NULL);   /* everything above it too */
    CHECK_EQ_U(reports_with(kh, "page allocator used before mem_init"), 2);
    CHECK_EQ_U(kh_nr_free_pages(kh), kh_total_pages(kh));
    CHECK(kh_boot_begin(kh) == -1);          /* already booting */
    CHECK_EQ_U(reports_with(kh, "kh_boot_begin on a used instance"), 1);
    CHECK_EQ_U(validate(kh), 0);
    kh_destroy(kh);

    kh = new_instance(KH_DEFAULT_PROFILE);
    struct page *pg = kh_alloc_pages(kh, GFP_KERNEL, 0);
    kh___free_pages(kh, pg, 0);
    CHECK(kh_boot_begin(kh) == -1);   /* the buddy allocator was used: too late */
    CHECK_EQ_U(kh_boot_phase(kh), KH_BOOT_NONE);
    CHECK(kh_boot_end(kh) == -1);
    CHECK_EQ_U(reports_with(kh, "kh_boot_end outside early boot"), 1);
    kh_reset(kh);
    CHECK_EQ_U(kh_boot_begin(kh), 0);   /* a reset instance is fresh again */
    kh_destroy(kh);
}

static void test_top_down_aligned_zeroed(void)
{
    struct kh *kh = new_instance(KH_DEFAULT_PROFILE);
    kh_boot_begin(kh);
    phys_addr_t limit = info_of(kh).limit;
    CHECK_EQ_U(limit, kh_total_pages(kh) * kh_page_size(kh));   /* no highmem */

    unsigned char *a = kh_memblock_alloc(kh, 100, 64);
    CHECK(a != NULL && kh_addr_in_arena(kh, a));
    CHECK_EQ_U(kh_virt_to_phys(kh, a), (limit - 100) & ~63ull);   /* the very top */
    CHECK(all_bytes(a, 100, 0));
    unsigned char *b = kh_memblock_alloc(kh, 5000, 4096);
    CHECK_EQ_U(kh_virt_to_phys(kh, b) % 4096, 0);
    CHECK(b + 5000 <= a);                                          /* below the first */
    unsigned char *c = kh_memblock_alloc(kh, 24, 8);   /* the highest gap that fits: */
    CHECK(c == a + 128 - 24);                          /* above a, at the very top */
    CHECK_EQ_U((uintptr_t)c % 8, 0);
    CHECK(kh_phys_to_virt(kh, kh_virt_to_phys(kh, c)) == c);
    CHECK_EQ_U(info_of(kh).nr_allocs, 3);
    CHECK_EQ_U(info_of(kh).reserved_bytes, 100 + 5000 + 24);

    /* zeroing: memblock_alloc zeroes a reused spot, memblock_alloc_raw does not */
    memset(a, 0xff, 100);
    kh_memblock_free(kh, a, 100);
    unsigned char *a2 = kh_memblock_alloc(kh, 100, 64);
    CHECK(a2 == a);
    CHECK(all_bytes(a2, 100, 0));
    memset(a2, 0xee, 100);
    kh_memblock_free(kh, a2, 100);
    unsigned char *a3 = kh_memblock_alloc_raw(kh, 100, 64);
    CHECK(a3 == a);
    CHECK(all_bytes(a3, 100, 0xee));

    /* align 0 means SMP_CACHE_BYTES, with the kernel's complaint */
    unsigned char *d = kh_memblock_alloc(kh, 10, 0);
    CHECK(d != NULL && (uintptr_t)d % kh_get_config(kh)->cache_line == 0);
    CHECK_EQ_U(reports_with(kh, "memblock_alloc with align 0"), 1);
    CHECK(kh_memblock_alloc(kh, 10, 24) == NULL);
    CHECK_EQ_U(reports_with(kh, "memblock_alloc with a bad align"), 1);
    CHECK(kh_memblock_alloc(kh, 0, 8) == NULL);
    CHECK_EQ_U(reports_with(kh, "memblock_alloc of 0 bytes"), 1);
    unsigned before = nr_reports(kh);
    CHECK(kh_memblock_alloc(kh, limit, 8) == NULL);   /* does not fit: NULL, silently */
    CHECK(kh_memblock_alloc(kh, ~0ull, 8) == NULL);
    CHECK_EQ_U(nr_reports(kh), before);
    CHECK_EQ_U(validate(kh), 0);
    kh_destroy(kh);
}

static void test_free_during_boot_and_regions(void)
{
    struct kh *kh = new_instance(KH_DEFAULT_PROFILE);
    kh_boot_begin(kh);
    void *a = kh_memblock_alloc(kh, 4096, 4096);
    void *b = kh_memblock_alloc(kh, 4096, 4096);   /* adjacent: regions merge */
    CHECK((unsigned char *)b + 4096 == a);
    CHECK_EQ_U(info_of(kh).nr_regions, 1);
    kh_memblock_free(kh, (unsigned char *)b + 1024, 1024);   /* a hole splits it */
    CHECK_EQ_U(info_of(kh).nr_regions, 2);
    kh_memblock_free(kh, (unsigned char *)b + 1024, 1024);   /* twice */
    CHECK_EQ_U(reports_with(kh, "memblock_free of memory that is not reserved"), 1);
    kh_memblock_free(kh, (unsigned char *)a + 4000, 200);     /* runs past the region */
    CHECK_EQ_U(reports_with(kh, "memblock_free of memory that is not reserved"), 2);
    kh_memblock_free(kh, NULL, 10);                           /* no-op */
    CHECK_EQ_U(info_of(kh).reserved_bytes, 8192 - 1024);

    phys_addr_t ph = kh_memblock_phys_alloc(kh, 64, 64);
    CHECK(ph != 0 && ph % 64 == 0);
    kh_memblock_phys_free(kh, ph, 64);
    kh_free_bootmem(kh, (unsigned long)kh_virt_to_phys(kh, b), 1024);
    CHECK_EQ_U(info_of(kh).nr_regions, 1);
    kh_memblock_free(kh, a, 4096);
    kh_memblock_free(kh, (unsigned char *)b + 2048, 2048);
    CHECK_EQ_U(info_of(kh).nr_regions, 0);
    CHECK_EQ_U(validate(kh), 0);
    kh_destroy(kh);
}

/* ---- the hand-over ---- */

struct region_list { unsigned n; phys_addr_t base[8], size[8]; };
static int collect(void *ctx, phys_addr_t base, phys_addr_t size)
{
    struct region_list *l = ctx;
    if (l->n < 8) {
        l->base[l->n] = base;
        l->size[l->n] = size;
    }
    l->n++;
    return 0;
}

static void test_hand_over_accounting(void)
{
    struct kh *kh = new_instance("linux-6.1-x86_64-16m");
    unsigned long total = kh_total_pages(kh), ps = kh_page_size(kh);
    kh_boot_begin(kh);
    /* 9 MiB from the top: all of Normal and the top of DMA32 */
    unsigned char *big = kh_memblock_alloc(kh, 9 * MiB, ps);
    CHECK(big != NULL);
    unsigned char *small = kh_memblock_alloc(kh, 100, 8);   /* shares no page with big */
    unsigned char *gone = kh_memblock_alloc(kh, 3 * ps, ps);
    kh_memblock_free(kh, gone, 3 * ps);                     /* returned before mem_init */
    struct region_list rl = { 0 };
    kh_memblock_for_each_reserved(kh, collect, &rl);
    CHECK_EQ_U(rl.n, 2);
    CHECK(rl.base[0] < rl.base[1]);
    CHECK_EQ_U(rl.base[1], kh_virt_to_phys(kh, big));

    CHECK_EQ_U(kh_boot_end(kh), 0);
    unsigned long reserved = 9 * MiB / ps + 1;
    struct kh_memblock_info mi = info_of(kh);
    CHECK_EQ_U(mi.phase, KH_BOOT_DONE);
    CHECK_EQ_U(mi.reserved_pages, reserved);
    CHECK_EQ_U(mi.handed_over_pages, total - reserved);
    CHECK_EQ_U(kh_nr_free_pages(kh), total - reserved);
    struct kh_zone_info zn, zd;
    kh_zone_info(kh, ZONE_NORMAL, &zn);
    kh_zone_info(kh, ZONE_DMA32, &zd);
    CHECK_EQ_U(zn.managed, 0);
    CHECK_EQ_U(zn.free, 0);
    CHECK_EQ_U(zd.managed, (zd.end_pfn - zd.start_pfn) - (1 * MiB / ps) - 1);
    CHECK_EQ_U(zd.free, zd.managed);
    unsigned long pfn = kh_page_to_pfn(kh, kh_virt_to_page(kh, big));
    CHECK_EQ_U(kh_page_state(kh, pfn, NULL, NULL), KH_PAGE_RESERVED);
    unsigned long gone_pfn = kh_page_to_pfn(kh, kh_virt_to_page(kh, gone));
    for (unsigned long i = 0; i < 3; i++) {   /* freed during boot: handed over */
        enum kh_page_state st = kh_page_state(kh, gone_pfn + i, NULL, NULL);
        CHECK(st == KH_PAGE_FREE_HEAD || st == KH_PAGE_FREE_INTERIOR);
    }
    CHECK_EQ_U(kh_page_state(kh, gone_pfn + 3, NULL, NULL), KH_PAGE_RESERVED);   /* small */
    CHECK_EQ_U(validate(kh), 0);
    CHECK_EQ_U(nr_reports(kh), 0);

    /* the buddy allocator works now, and never hands out reserved pages */
    for (int i = 0; i < 100; i++) {
        struct page *pg = kh_alloc_pages(kh, GFP_KERNEL, (unsigned)(i % 2));
        CHECK(pg != NULL);
        unsigned long p = kh_page_to_pfn(kh, pg);
        CHECK(p < pfn - 1);
    }
    CHECK_EQ_U(validate(kh), 0);
    memset(big, 1, 9 * MiB);   /* boot memory stays the caller's */
    memset(small, 1, 100);

    /* free_reserved_area: the whole pages go to the buddy allocator */
    unsigned long free_before = kh_nr_free_pages(kh);
    kh_memblock_free_late(kh, kh_virt_to_phys(kh, big), 2 * ps + 10);
    CHECK_EQ_U(kh_nr_free_pages(kh) - free_before, 2);
    CHECK_EQ_U(info_of(kh).reserved_pages, reserved - 2);
    CHECK_EQ_U(kh_page_state(kh, pfn, NULL, NULL), KH_PAGE_FREE_HEAD);
    CHECK_EQ_U(validate(kh), 0);
    kh_destroy(kh);
}

static void test_after_mem_init(void)
{
    struct kh *kh = new_instance(KH_DEFAULT_PROFILE);
    /* an instance that never booted is a running kernel: slab fallback */
    unsigned char *p = kh_memblock_alloc(kh, 200, 8);
    CHECK(p != NULL && all_bytes(p, 200, 0));
    CHECK_EQ_U(reports_with(kh, "memblock_alloc after mem_init"), 1);
    CHECK(kh_ksize(kh, p) >= 200);
    kh_kfree(kh, p);
    CHECK(kh_memblock_phys_alloc(kh, 64, 8) == 0);
    CHECK_EQ_U(reports_with(kh, "memblock used after mem_init"), 1);
    kh_memblock_phys_free(kh, 4096, 64);
    CHECK_EQ_U(reports_with(kh, "memblock used after mem_init"), 2);
    kh_memblock_free_late(kh, 4096, 4096);
    CHECK_EQ_U(reports_with(kh, "memblock_free_late before mem_init"), 1);

    kh_reset(kh);
    kh_boot_begin(kh);
    void *q = kh_memblock_alloc(kh, 64, 64);
    kh_boot_end(kh);
    kh_memblock_free(kh, q, 64);   /* too late: memblock_free_late is the way now */
    CHECK_EQ_U(reports_with(kh, "memblock used after mem_init"), 1);
    CHECK_EQ_U(info_of(kh).nr_regions, 1);
    void *r = kh_memblock_alloc(kh, 64, 64);
    CHECK(r != NULL && !kh_boot_in_progress(kh));
    CHECK_EQ_U(reports_with(kh, "memblock_alloc after mem_init"), 1);
    kh_kfree(kh, r);
    kh_memblock_free_late(kh, kh_virt_to_phys(kh, q), 32);   /* part of it */
    CHECK_EQ_U(info_of(kh).nr_regions, 1);
    kh_memblock_free_late(kh, kh_virt_to_phys(kh, q), 32);   /* not reserved any more */
    CHECK_EQ_U(reports_with(kh, "memblock_free of memory that is not reserved"), 1);
    CHECK_EQ_U(validate(kh), 0);
    kh_destroy(kh);
}

static void test_bootmem_names(void)
{
    struct kh *kh = new_instance("linux-6.1-x86_64-16m");
    kh_boot_begin(kh);
    unsigned char *a = kh_alloc_bootmem(kh, 30);
    CHECK(a && (uintptr_t)a % kh_get_config(kh)->cache_line == 0 && all_bytes(a, 30, 0));
    unsigned char *b = kh_alloc_bootmem_pages(kh, 100);
    CHECK(b && kh_virt_to_phys(kh, b) % kh_page_size(kh) == 0);
    unsigned char *c = kh_alloc_bootmem_align(kh, 100, 256);
    CHECK(c && (uintptr_t)c % 256 == 0);
    CHECK(kh_alloc_bootmem_nopanic(kh, 64 * MiB) == NULL);
    CHECK_EQ_U(nr_reports(kh), 0);
    CHECK(kh_alloc_bootmem(kh, 64 * MiB) == NULL);
    CHECK_EQ_U(reports_with(kh, "bootmem allocation failed"), 1);
    CHECK_EQ_U(kh_report_count_class(kh, KH_R_OOM), 1);
    kh_boot_end(kh);
    CHECK_EQ_U(validate(kh), 0);
    kh_destroy(kh);

    kh = new_instance(KH_DEFAULT_PROFILE);
    kh_set_default(kh);
    CHECK_EQ_U(kh_boot_begin(kh), 0);
    void *m = memblock_alloc(128, 16);
    void *n = alloc_bootmem(16);
    CHECK(m && n);
    memblock_free(n, 16);
    memblock_free_all();
    CHECK_EQ_U(kh_boot_phase(kh), KH_BOOT_DONE);
    CHECK_EQ_U(kh_nr_free_pages(kh), kh_total_pages(kh) - 1);
    CHECK_EQ_U(validate(kh), 0);
    kh_set_default(NULL);   /* destroys the instance */
}

/* ---- reset and validation ---- */

static void test_reset(void)
{
    struct kh *kh = new_instance("linux-6.1-x86_64-16m");
    kh_boot_begin(kh);
    unsigned char *p = kh_memblock_alloc(kh, 3 * MiB, 4096);
    memset(p, 0x5a, 3 * MiB);
    kh_reset(kh);   /* during boot */
    CHECK_EQ_U(kh_boot_phase(kh), KH_BOOT_NONE);
    CHECK_EQ_U(info_of(kh).nr_regions, 0);
    kh_unpoison(p, 3 * MiB);
    CHECK(all_bytes(p, 3 * MiB, 0));   /* the arena is fresh again */
    kh_poison(p, 3 * MiB);
    CHECK_EQ_U(validate(kh), 0);

    struct kh_zone_info before, after;
    kh_zone_info(kh, ZONE_DMA32, &before);
    kh_boot_begin(kh);
    kh_memblock_alloc(kh, 10 * MiB, 4096);
    kh_boot_end(kh);
    struct page *pg = kh_alloc_pages(kh, GFP_KERNEL, 2);
    CHECK(pg != NULL);
    kh_reset(kh);   /* after the hand-over */
    kh_zone_info(kh, ZONE_DMA32, &after);
    CHECK_EQ_U(after.managed, before.managed);
    CHECK_EQ_U(after.wmark_min, before.wmark_min);
    CHECK_EQ_U(after.lazy_end, before.lazy_end);
    CHECK_EQ_U(kh_nr_free_pages(kh), kh_total_pages(kh));
    CHECK_EQ_U(kh_page_state(kh, kh_total_pages(kh) - 1, NULL, NULL), KH_PAGE_LAZY);
    CHECK_EQ_U(validate(kh), 0);
    CHECK_EQ_U(kh_boot_begin(kh), 0);
    kh_destroy(kh);
}

static void test_validation_catches_corruption(void)
{
    struct kh *kh = new_instance("linux-6.1-x86_64-16m");
    kh_boot_begin(kh);
    void *p = kh_memblock_alloc(kh, 2 * kh_page_size(kh), kh_page_size(kh));
    kh_boot_end(kh);
    CHECK_EQ_U(validate(kh), 0);
    struct page *pg = kh_virt_to_page(kh, p);
    pg->flags = 0;   /* a reserved page forgotten */
    CHECK_EQ_U(violations(kh, "memblock", "memblock-reserved"), 1);
    CHECK(violations(kh, "page_alloc", "page-accounting") >= 1);
    pg->flags = PG_reserved;
    CHECK_EQ_U(validate(kh), 0);
    kh_destroy(kh);
}

#ifdef KH_ASAN
static bool access_dies(volatile unsigned char *p)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        if (!freopen("/dev/null", "w", stderr))
            _exit(3);
        (void)*p;
        _exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
    return !(WIFEXITED(status) && (WEXITSTATUS(status) == 0 || WEXITSTATUS(status) == 3));
}

static void test_asan_exact_bytes(void)
{
    struct kh *kh = new_instance(KH_DEFAULT_PROFILE);
    kh_boot_begin(kh);
    kh_memblock_alloc(kh, 64, 64);
    unsigned char *p = kh_memblock_alloc(kh, 40, 64);
    CHECK(!access_dies(p + 39));
    CHECK(access_dies(p + 40));   /* just past the allocation */
    kh_memblock_free(kh, p, 40);
    CHECK(access_dies(p));        /* freed back to memblock */
    kh_destroy(kh);
}
#endif

/* memblock_reserve merges with every range it overlaps or touches. */
static void test_reserve_merges(void)
{
    struct kh *kh = new_instance("linux-6.1-x86_64-16m");
    CHECK_EQ_U(kh_boot_begin(kh), 0);
    CHECK_EQ_U(kh_memblock_reserve(kh, 0x100000, 0x1000), 0);
    CHECK_EQ_U(kh_memblock_reserve(kh, 0x103000, 0x1000), 0);
    CHECK_EQ_U(kh_memblock_reserve(kh, 0x105000, 0x1000), 0);
    struct region_list l = { .n = 0 };
    kh_memblock_for_each_reserved(kh, collect, &l);
    CHECK_EQ_U(l.n, 3);
    /* overlaps the second, touches the third: the two become one */
    CHECK_EQ_U(kh_memblock_reserve(kh, 0x103800, 0x1800), 0);
    l.n = 0;
    kh_memblock_for_each_reserved(kh, collect, &l);
    CHECK_EQ_U(l.n, 2);
    CHECK_EQ_U(l.base[1], 0x103000);
    CHECK_EQ_U(l.size[1], 0x3000);
    /* covers everything, already reserved memory included */
    CHECK_EQ_U(kh_memblock_reserve(kh, 0xff000, 0x10000), 0);
    l.n = 0;
    kh_memblock_for_each_reserved(kh, collect, &l);
    CHECK_EQ_U(l.n, 1);
    CHECK_EQ_U(l.base[0], 0xff000);
    CHECK_EQ_U(l.size[0], 0x10000);
    CHECK_EQ_U(info_of(kh).reserved_bytes, 0x10000);
    CHECK_EQ_U(kh_memblock_reserve(kh, 0x101000, 0), 0);    /* nothing */
    CHECK(kh_memblock_reserve(kh, 0, 0x1000) == -1);           /* page 0 is not memory here */
    CHECK(kh_memblock_reserve(kh, info_of(kh).limit - 0x1000, 0x2000) == -1);
    CHECK_EQ_U(info_of(kh).nr_regions, 1);
    CHECK_EQ_U(nr_reports(kh), 0);
    /* an allocation goes around it; freeing part of it splits it */
    void *p = kh_memblock_alloc(kh, 0x1000, 0x1000);
    CHECK(p != NULL);
    kh_memblock_phys_free(kh, 0x100000, 0x1000);
    CHECK_EQ_U(info_of(kh).nr_regions, 3);
    CHECK_EQ_U(validate(kh), 0);
    CHECK_EQ_U(kh_boot_end(kh), 0);
    CHECK_EQ_U(validate(kh), 0);
    CHECK(kh_memblock_reserve(kh, 0x200000, 0x1000) == -1);   /* after mem_init */
    CHECK_EQ_U(reports_with(kh, "memblock used after mem_init"), 1);
    kh_destroy(kh);
}

int main(void)
{
    test_page_allocator_closed_during_boot();
    test_top_down_aligned_zeroed();
    test_free_during_boot_and_regions();
    test_hand_over_accounting();
    test_after_mem_init();
    test_bootmem_names();
    test_reset();
    test_validation_catches_corruption();
    test_reserve_merges();
#ifdef KH_ASAN
    test_asan_exact_bytes();
#endif
    return check_summary();
}
