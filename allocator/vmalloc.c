/* vmalloc.c - virtually contiguous, physically scattered allocations, and
 * kvmalloc on top of kmalloc and vmalloc.
 *
 * The kernel builds a vmalloc area by allocating order-0 pages one at a time
 * and writing page-table entries for them at consecutive addresses in the
 * VMALLOC_START..VMALLOC_END window; the page after each area is left
 * unmapped so that running off the end faults. This file does the same with
 * host virtual memory:
 *
 *  - At init a large PROT_NONE window is reserved (MAP_NORESERVE, never
 *    touched): four times the arena, at least 1 GiB. It plays the role of the
 *    vmalloc window; is_vmalloc_addr() is a range check on it.
 *  - The arena is a memfd, so "writing a page-table entry" is an mmap of the
 *    memfd at offset pfn << page_shift, MAP_FIXED|MAP_SHARED, at the area's
 *    next virtual page. Writes through the vmalloc address land in the same
 *    physical page that page_address(vmalloc_to_page(addr)) shows.
 *  - Virtual ranges are handed out first fit from a sorted array of areas,
 *    each occupying nr_pages + 1 virtual pages (the last one the guard, which
 *    stays PROT_NONE). Page index 0 of the window is never used, so the first
 *    area also has an unmapped page before it.
 *  - vfree maps PROT_NONE back over the area and returns its pages.
 *  - Under ASan exactly the requested bytes are unpoisoned and the rest of
 *    the last page plus the guard page are poisoned, so an off-by-one is an
 *    ASan report at the exact byte rather than a later SEGV.
 *  - Reset re-protects only up to the high-water mark of used virtual pages,
 *    so its cost follows what was used, not the window size. The pages
 *    themselves are returned wholesale by the page allocator's own reset.
 *
 * Every page of an area is marked PG_vmalloc with page->private pointing at
 * the area, which is what validation cross-checks.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include "internal.h"
#include "introspect.h"
#include "kmalloc.h"
#include "slab_internal.h"
#include "vmalloc.h"

#define VA_MIN_BYTES (1ull << 30)

struct vm_area {
    unsigned long first;     /* page index of the area's first page in the window */
    unsigned long nr_pages;  /* mapped pages; the guard page is first + nr_pages */
    unsigned long size;      /* bytes requested when the area was made (fits nr_pages) */
    unsigned long req;       /* bytes requested now: vrealloc resizes in place (6.12) */
    gfp_t gfp;
    uint32_t *pfns;          /* nr_pages entries, in virtual order */
    bool probed_clean;       /* a periodic validation probed its mappings and guard clean */
};

struct kh_vmalloc_state {
    unsigned char *raw;        /* what mmap returned (for munmap) */
    size_t raw_bytes;
    unsigned char *base;       /* raw rounded up to the simulated page size */
    unsigned long va_pages;    /* usable window length in pages */
    unsigned long hwm;         /* one past the highest page index ever mapped or guarded */
    struct vm_area **areas;    /* sorted by first */
    unsigned long nr_areas, cap;
    unsigned long nr_pages;    /* sum of the live areas' nr_pages */
};

/* ---- window helpers ---- */

static unsigned char *page_va(const struct kh *kh, unsigned long index)
{
    return kh->vm->base + (index << kh->page_shift);
}

static void *area_va(const struct kh *kh, const struct vm_area *a)
{
    return page_va(kh, a->first);
}

/* Page index in the window of an address known to lie inside it. */
static unsigned long va_index(const struct kh *kh, const void *addr)
{
    return (unsigned long)((const unsigned char *)addr - kh->vm->base) >> kh->page_shift;
}

/* Puts a PROT_NONE anonymous mapping over [index, index + n). Failing here
 * would leave pages mapped behind a freed area; there is no sane recovery. */
static void protect_range(struct kh *kh, unsigned long index, unsigned long n)
{
    void *at = page_va(kh, index);
    size_t len = n << kh->page_shift;
    void *r = mmap(at, len, PROT_NONE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
    if (r == MAP_FAILED) {
        perror("kmem-harness: vmalloc: cannot re-protect the vmalloc window");
        abort();
    }
}

/* Maps pfns[0..n) at consecutive pages from index, one mmap per run of
 * physically consecutive pages. Returns false when the host refuses. */
static bool map_pages(struct kh *kh, unsigned long index, const uint32_t *pfns,
                      unsigned long n)
{
    unsigned long i = 0;
    while (i < n) {
        unsigned long run = 1;
        while (i + run < n && pfns[i + run] == pfns[i] + run)
            run++;
        void *at = page_va(kh, index + i);
        off_t off = (off_t)pfns[i] << kh->page_shift;
        void *r = mmap(at, run << kh->page_shift, PROT_READ | PROT_WRITE,
                       MAP_SHARED | MAP_FIXED, kh->memfd, off);
        if (r == MAP_FAILED)
            return false;
        i += run;
    }
    return true;
}

/* ---- area bookkeeping ---- */

/* Index in vm->areas of the last area whose first page is <= index, or -1. */
static long area_floor(const struct kh_vmalloc_state *vm, unsigned long index)
{
    long lo = 0, hi = (long)vm->nr_areas - 1, found = -1;
    while (lo <= hi) {
        long mid = lo + (hi - lo) / 2;
        if (vm->areas[mid]->first <= index) {
            found = mid;
            lo = mid + 1;
        } else {
            hi = mid - 1;
        }
    }
    return found;
}

/* The live area whose mapped pages contain addr, or NULL. */
static struct vm_area *area_containing(const struct kh *kh, const void *addr)
{
    if (!kh_is_vmalloc_addr(kh, addr))
        return NULL;
    const struct kh_vmalloc_state *vm = kh->vm;
    unsigned long index = va_index(kh, addr);
    long i = area_floor(vm, index);
    if (i < 0)
        return NULL;
    struct vm_area *a = vm->areas[i];
    return index < a->first + a->nr_pages ? a : NULL;
}

/* First fit: the lowest window position with need free pages. Sets *slot to
 * the position in vm->areas the new area takes. Returns false when full. */
static bool find_va(const struct kh_vmalloc_state *vm, unsigned long need,
                    unsigned long *first, unsigned long *slot)
{
    unsigned long candidate = 1;   /* page 0 stays unmapped: a guard before area 1 */
    unsigned long i;
    for (i = 0; i < vm->nr_areas; i++) {
        const struct vm_area *a = vm->areas[i];
        if (a->first >= candidate && a->first - candidate >= need)
            break;
#ifdef KH_PLANT_VMALLOC_GUARD
        candidate = a->first + a->nr_pages;  /* planted bug: no guard page after an area */
#else
        candidate = a->first + a->nr_pages + 1;
#endif
    }
    if (candidate > vm->va_pages || vm->va_pages - candidate < need)
        return false;
    *first = candidate;
    *slot = i;
    return true;
}

static bool insert_area(struct kh_vmalloc_state *vm, struct vm_area *a, unsigned long slot)
{
    if (vm->nr_areas == vm->cap) {
        unsigned long cap = vm->cap ? vm->cap * 2 : 16;
        struct vm_area **arr = realloc(vm->areas, cap * sizeof(*arr));
        if (!arr)
            return false;
        vm->areas = arr;
        vm->cap = cap;
    }
    memmove(&vm->areas[slot + 1], &vm->areas[slot],
            (vm->nr_areas - slot) * sizeof(vm->areas[0]));
    vm->areas[slot] = a;
    vm->nr_areas++;
    return true;
}

static void remove_area(struct kh_vmalloc_state *vm, unsigned long slot)
{
    memmove(&vm->areas[slot], &vm->areas[slot + 1],
            (vm->nr_areas - slot - 1) * sizeof(vm->areas[0]));
    vm->nr_areas--;
}

static void free_area_struct(struct vm_area *a)
{
    free(a->pfns);
    free(a);
}

/* ---- reports ---- */

/* The kernel's warn_alloc(): "<comm>: <message>, mode:0x..(<flags>),
 * nodemask=(null)", silent with __GFP_NOWARN. */
static void warn_alloc(struct kh *kh, gfp_t gfp, const char *reason, const char *fmt,
                       unsigned long size)
{
    if (gfp & __GFP_NOWARN)
        return;
    char msg[160], flags[256];
    snprintf(msg, sizeof(msg), fmt, size);
    gfp_format(gfp, flags, sizeof(flags));
    kh_report(kh, KH_SEV_WARN, KH_R_VMALLOC, "vmalloc", reason, 0,
              "kmem-harness: %s, mode:%#x(%s), nodemask=(null)\n", msg, gfp, flags);
}

/* ---- allocation ---- */

static void release_pages(struct kh *kh, const uint32_t *pfns, unsigned long n)
{
    for (unsigned long i = 0; i < n; i++) {
        struct page *page = &kh->pages[pfns[i]];
        page->flags &= ~PG_vmalloc;
        page->private = NULL;
        kh___free_pages(kh, page, 0);
    }
}

/* Takes nr order-0 pages into a->pfns. Returns how many it got. */
static unsigned long take_pages(struct kh *kh, struct vm_area *a, gfp_t gfp)
{
    /* As the kernel: no per-page failure warning (vmalloc warns once for
     * the area), HIGHMEM allowed unless a DMA zone was asked for, and no
     * zeroing here since the whole area is cleared through its mapping. */
    gfp_t page_gfp = (gfp | __GFP_NOWARN) & ~__GFP_ZERO;
    if (!(gfp & (__GFP_DMA | __GFP_DMA32)))
        page_gfp |= __GFP_HIGHMEM;
    unsigned long i;
    for (i = 0; i < a->nr_pages; i++) {
        struct page *page = kh_alloc_pages(kh, page_gfp, 0);
        if (!page)
            break;
        page->flags |= PG_vmalloc;
        page->private = a;
        a->pfns[i] = (uint32_t)kh_pfn(kh, page);
    }
    return i;
}

/* Zeroes the area's pages run by run of consecutive pfns, through the
 * direct map (kh_arena_zero drops large runs from the memfd: a zeroed area
 * of hundreds of megabytes must not become resident just to be cleared). */
static void zero_pages(struct kh *kh, const struct vm_area *a)
{
    for (unsigned long i = 0; i < a->nr_pages;) {
        unsigned long run = 1;
        while (i + run < a->nr_pages && a->pfns[i + run] == a->pfns[i] + run)
            run++;
        kh_arena_zero(kh, kh_pfn_to_virt(kh, a->pfns[i]), run << kh->page_shift);
        i += run;
    }
}

/* Shadow and contents of a freshly mapped area: requested bytes usable,
 * the rest of the last page and the guard page poisoned. */
static void prepare_contents(struct kh *kh, struct vm_area *a)
{
    unsigned char *va = area_va(kh, a);
    size_t mapped = a->nr_pages << kh->page_shift;
    kh_unpoison(va, mapped);
    if (a->gfp & __GFP_ZERO)
        zero_pages(kh, a);
    kh_poison(va + a->size, mapped - a->size + kh->page_size);
}

/* The argument checks of __vmalloc_node_range. Returns the page count, or
 * 0 after the kernel's warning. */
static unsigned long checked_nr_pages(struct kh *kh, unsigned long size, gfp_t gfp)
{
    if (size == 0) {
        kh_report(kh, KH_SEV_WARN, KH_R_VMALLOC, "vmalloc", "vmalloc size 0", 0,
                  "WARNING: CPU: %u at mm/vmalloc.c __vmalloc_node_range: WARN_ON_ONCE(!size)\n",
                  kh->current_cpu);
        return 0;
    }
    unsigned long nr = (size >> kh->page_shift) + ((size & (kh->page_size - 1)) != 0);
    if (nr > kh_total_pages(kh)) {
        warn_alloc(kh, gfp, "vmalloc exceeds total pages",
                   "vmalloc error: size %lu, exceeds total pages", size);
        return 0;
    }
    return nr;
}

/* Reserves the virtual range (the kernel's vm_struct): NULL when the
 * window is full or fault injection says so. */
static struct vm_area *new_area(struct kh *kh, unsigned long size, unsigned long nr, gfp_t gfp,
                                unsigned long *slot)
{
    unsigned long first = 0;
    struct vm_area *a = NULL;
    uint32_t *pfns = NULL;
    if (!kh_should_fail(kh, KH_FAULT_VMALLOC, gfp, 0) && find_va(kh->vm, nr + 1, &first, slot)) {
        a = calloc(1, sizeof(*a));
        pfns = malloc(nr * sizeof(*pfns));
    }
    if (!a || !pfns) {
        free(a);
        free(pfns);
        warn_alloc(kh, gfp, "vmalloc vm_struct allocation failed",
                   "vmalloc error: size %lu, vm_struct allocation failed", size);
        return NULL;
    }
    *a = (struct vm_area){ .first = first, .nr_pages = nr, .size = size, .req = size, .gfp = gfp,
                           .pfns = pfns };
    return a;
}

static void *vmalloc_area(struct kh *kh, unsigned long size, gfp_t gfp)
{
    struct kh_vmalloc_state *vm = kh->vm;
    unsigned long slot, nr = checked_nr_pages(kh, size, gfp);
    struct vm_area *a = nr ? new_area(kh, size, nr, gfp, &slot) : NULL;
    if (!a)
        return NULL;
    unsigned long got = take_pages(kh, a, gfp);
    if (got < nr) {
        release_pages(kh, a->pfns, got);
        free_area_struct(a);
        warn_alloc(kh, gfp, "vmalloc page allocation failed",
                   "vmalloc error: size %lu, page order 0, failed to allocate pages",
                   got << kh->page_shift);
        return NULL;
    }
    if (a->first + nr + 1 > vm->hwm)
        vm->hwm = a->first + nr + 1;
    if (!map_pages(kh, a->first, a->pfns, nr) || !insert_area(vm, a, slot)) {
        protect_range(kh, a->first, nr);
        release_pages(kh, a->pfns, nr);
        free_area_struct(a);
        warn_alloc(kh, gfp, "vmalloc map failed",
                   "vmalloc error: size %lu, failed to map pages", nr << kh->page_shift);
        return NULL;
    }
    vm->nr_pages += nr;
    prepare_contents(kh, a);
    return area_va(kh, a);
}

void *kh___vmalloc(struct kh *kh, unsigned long size, gfp_t gfp)
{
    return vmalloc_area(kh, size, gfp);
}

void *kh_vmalloc(struct kh *kh, unsigned long size)
{
    return vmalloc_area(kh, size, GFP_KERNEL);
}

void *kh_vzalloc(struct kh *kh, unsigned long size)
{
    return vmalloc_area(kh, size, GFP_KERNEL | __GFP_ZERO);
}

void kh_vfree(struct kh *kh, const void *addr)
{
    if (!addr)
        return;
    struct kh_vmalloc_state *vm = kh->vm;
    if ((uintptr_t)addr & (kh->page_size - 1)) {
        kh_report(kh, KH_SEV_BUG, KH_R_VMALLOC, "vmalloc", "vfree bad address",
                  (uintptr_t)addr, "Trying to vfree() bad address (%p)\n", addr);
        return;
    }
    struct vm_area *a = area_containing(kh, addr);
    if (!a || area_va(kh, a) != addr) {
        kh_report(kh, KH_SEV_BUG, KH_R_VMALLOC, "vmalloc", "vfree nonexistent vm area",
                  (uintptr_t)addr, "Trying to vfree() nonexistent vm area (%p)\n", addr);
        return;
    }
    unsigned long slot = (unsigned long)area_floor(vm, a->first);
    remove_area(vm, slot);
    protect_range(kh, a->first, a->nr_pages);
    /* Stale pointers now hit an ASan report (or a SEGV without ASan). */
    kh_poison(area_va(kh, a), (a->nr_pages + 1) << kh->page_shift);
    release_pages(kh, a->pfns, a->nr_pages);
    vm->nr_pages -= a->nr_pages;
    free_area_struct(a);
}

/* ---- lookups ---- */

bool kh_is_vmalloc_addr(const struct kh *kh, const void *addr)
{
    const struct kh_vmalloc_state *vm = kh->vm;
    const unsigned char *p = addr;
    return p >= vm->base && (uintptr_t)(p - vm->base) < (vm->va_pages << kh->page_shift);
}

struct page *kh_vmalloc_to_page(const struct kh *kh, const void *addr)
{
    const struct vm_area *a = area_containing(kh, addr);
    if (!a)
        return NULL;
    return &kh->pages[a->pfns[va_index(kh, addr) - a->first]];
}

unsigned long kh_vmalloc_to_pfn(const struct kh *kh, const void *addr)
{
    struct page *page = kh_vmalloc_to_page(kh, addr);
    return page ? kh_pfn(kh, page) : 0;
}

size_t kh_vmalloc_size(const struct kh *kh, const void *addr)
{
    const struct vm_area *a = area_containing(kh, addr);
    return a ? a->nr_pages << kh->page_shift : 0;
}

/* ---- kvmalloc family ---- */

static bool missing_api(struct kh *kh, bool present, const char *what);

void *kh_kvmalloc(struct kh *kh, size_t size, gfp_t flags)
{
    gfp_t kmalloc_flags = flags;
    /* A large physically contiguous block is tried first, but quietly and
     * without heroic effort: vmalloc is the fallback (and implements
     * __GFP_NOFAIL for it). */
    if (size > kh->page_size) {
#ifndef KH_PLANT_KVMALLOC_LOUD   /* planted bug: the kmalloc attempt keeps the caller's warnings */
        kmalloc_flags |= __GFP_NOWARN;
#endif
        if (!(kmalloc_flags & __GFP_RETRY_MAYFAIL))
            kmalloc_flags |= __GFP_NORETRY;
        kmalloc_flags &= ~__GFP_NOFAIL;
    }
    void *p = kh_kmalloc(kh, size, kmalloc_flags);
#ifdef KH_PLANT_KVMALLOC_AT_PAGE
    if (p || size < kh->page_size)   /* planted bug: a request of exactly a page falls back */
#else
    if (p || size <= kh->page_size)
#endif
        return p;
    /* vmalloc may sleep: 6.1 gives a non-blocking caller NULL here (mm: fix
     * BUG splat with kvmalloc + GFP_ATOMIC, 6.1-rc) */
    if (!gfpflags_allow_blocking(flags))
        return NULL;
    if (size > INT_MAX) {
        if (!(flags & __GFP_NOWARN))
            kh_report(kh, KH_SEV_WARN, KH_R_VMALLOC, "vmalloc", "kvmalloc size above INT_MAX",
                      0, "WARNING: CPU: %u at mm/util.c kvmalloc_node: size %zu > INT_MAX\n",
                      kh->current_cpu, size);
        return NULL;
    }
#ifdef KH_PLANT_KVMALLOC_FLAGS
    return vmalloc_area(kh, size, kmalloc_flags);   /* planted bug: the fallback gets the kmalloc attempt's flags */
#else
    return vmalloc_area(kh, size, flags);
#endif
}

void *kh_kvzalloc(struct kh *kh, size_t size, gfp_t gfp)
{
    return kh_kvmalloc(kh, size, gfp | __GFP_ZERO);
}

void *kh_kvmalloc_array(struct kh *kh, size_t n, size_t size, gfp_t gfp)
{
    size_t bytes;
    if (__builtin_mul_overflow(n, size, &bytes))
        return NULL;
    return kh_kvmalloc(kh, bytes, gfp);
}

void *kh_kvcalloc(struct kh *kh, size_t n, size_t size, gfp_t gfp)
{
    return kh_kvmalloc_array(kh, n, size, gfp | __GFP_ZERO);
}

void kh_kvfree(struct kh *kh, const void *addr)
{
    if (kh_is_vmalloc_addr(kh, addr))
        kh_vfree(kh, addr);
    else
        kh_kfree(kh, addr);
}

void kh_kvfree_sensitive(struct kh *kh, const void *addr, size_t len)
{
    if ((uintptr_t)addr <= 16)   /* ZERO_OR_NULL_PTR */
        return;
    /* volatile: the clearing must not be elided as a dead store */
    volatile unsigned char *p = (volatile unsigned char *)(uintptr_t)addr;
    for (size_t i = 0; i < len; i++)
        p[i] = 0;
    kh_kvfree(kh, addr);
}

void *kh_kvrealloc(struct kh *kh, const void *p, size_t oldsize, size_t newsize, gfp_t gfp)
{
    if (missing_api(kh, kh_kernel_traits(kh)->kvrealloc_has_old_size,
                    "kvrealloc(p, oldsize, newsize, gfp)"))
        return NULL;
    if (oldsize >= newsize)
        return (void *)(uintptr_t)p;
    if (oldsize && ZERO_OR_NULL_PTR(p)) {
        /* The kernel's memcpy from p would oops; say so instead. */
        kh_report(kh, KH_SEV_BUG, KH_R_VMALLOC, "vmalloc", "kvrealloc from NULL", (uintptr_t)p,
                  "BUG: kernel NULL pointer dereference, address: %016lx "
                  "(kvrealloc copying %zu bytes from %p)\n",
                  (unsigned long)(uintptr_t)p, oldsize, p);
        return NULL;
    }
    void *n = kh_kvmalloc(kh, newsize, gfp);
    if (!n)
        return NULL;
    if (oldsize) {
        kh_note_copy(kh, n, p, oldsize);
        memcpy(n, p, oldsize);
    }
    kh_kvfree(kh, p);
    return n;
}

/* A kernel form the profile's release does not have: warn, fail. */
static bool missing_api(struct kh *kh, bool present, const char *what)
{
    if (present)
        return false;
    kh_report(kh, KH_SEV_WARN, KH_R_WARN, "vmalloc", "API not in this kernel", 0,
              "WARNING: %s does not exist in Linux %s (profile %s)\n", what,
              kh_kernel_traits(kh)->release, kh->cfg.profile ? kh->cfg.profile : "?");
    return true;
}

/* 6.12 (mm/vmalloc.c vrealloc()): size 0 frees; a size within the area's
 * pages keeps p (the spare bytes zeroed with __GFP_ZERO); a larger one
 * is a new area with the old requested bytes copied (SPEC 10). */
void *kh_vrealloc(struct kh *kh, const void *p, size_t size, gfp_t gfp)
{
    if (missing_api(kh, kh_kernel_traits(kh)->has_vrealloc, "vrealloc(p, size, gfp)"))
        return NULL;
    if (!size) {
        kh_vfree(kh, p);
        return NULL;
    }
    struct vm_area *a = NULL;
    if (p) {
        a = area_containing(kh, p);
        if (!a || area_va(kh, a) != p) {
            kh_report(kh, KH_SEV_WARN, KH_R_VMALLOC, "vmalloc", "vrealloc nonexistent vm area",
                      (uintptr_t)p, "WARNING: Trying to vrealloc() nonexistent vm area (%p)\n", p);
            return NULL;
        }
        if (size <= a->nr_pages << kh->page_shift) {
            if ((gfp & __GFP_ZERO) && size < a->req)
                memset((char *)(uintptr_t)p + size, 0, a->req - size);
            kh_poison((void *)(uintptr_t)p, a->nr_pages << kh->page_shift);
            kh_unpoison((void *)(uintptr_t)p, size);
            a->req = size;
            return (void *)(uintptr_t)p;
        }
    }
    void *n = vmalloc_area(kh, size, gfp);
    if (!n || !a)
        return n;
    kh_note_copy(kh, n, p, a->req);
    memcpy(n, p, a->req);
    kh_vfree(kh, p);
    return n;
}

/* 6.12 (mm/slub.c kvrealloc_noprof()): vmalloc memory goes to vrealloc;
 * otherwise krealloc with kvmalloc's quiet flags, and when that fails a
 * kvmalloc with ksize(p) bytes copied and p freed (SPEC 10). */
void *kh_kvrealloc_v612(struct kh *kh, const void *p, size_t size, gfp_t gfp)
{
    if (missing_api(kh, !kh_kernel_traits(kh)->kvrealloc_has_old_size,
                    "kvrealloc(p, size, gfp)"))
        return NULL;
    if (kh_is_vmalloc_addr(kh, p))
        return kh_vrealloc(kh, p, size, gfp);
    gfp_t kflags = gfp;
    if (size > kh->page_size)
        kflags = (kflags | __GFP_NOWARN | __GFP_NORETRY) & ~__GFP_NOFAIL;
    void *n = kh_krealloc(kh, p, size, kflags);
    if (n)
        return n;
    n = kh_kvmalloc(kh, size, gfp);
    if (!n || ZERO_OR_NULL_PTR(p))
        return n;
    size_t ks = kh_ksize(kh, p);
    kh_note_copy(kh, n, p, ks);
    kh_meta_copy(n, p, ks);   /* the whole of ksize, past what ASan lets the caller see */
    kh_kfree(kh, p);
    return n;
}

/* ---- introspection ---- */

static void fill_info(const struct kh *kh, const struct vm_area *a, struct kh_vm_area_info *out)
{
    *out = (struct kh_vm_area_info){
        .addr = area_va(kh, a), .size = a->req, .nr_pages = a->nr_pages,
        .pfns = a->pfns, .gfp = a->gfp,
    };
}

bool kh_vmalloc_find(const struct kh *kh, const void *addr, struct kh_vm_area_info *out)
{
    const struct vm_area *a = area_containing(kh, addr);
    if (a && out)
        fill_info(kh, a, out);
    return a != NULL;
}

unsigned long kh_vmalloc_walk(const struct kh *kh, kh_vm_walk_fn fn, void *ctx)
{
    const struct kh_vmalloc_state *vm = kh->vm;
    unsigned long i;
    for (i = 0; i < vm->nr_areas; i++) {
        struct kh_vm_area_info info;
        fill_info(kh, vm->areas[i], &info);
        if (fn(ctx, &info))
            return i + 1;
    }
    return i;
}

void kh_vmalloc_get_stats(const struct kh *kh, struct kh_vmalloc_stats *out)
{
    const struct kh_vmalloc_state *vm = kh->vm;
    *out = (struct kh_vmalloc_stats){
        .va_start = vm->base, .va_pages = vm->va_pages, .va_hwm_pages = vm->hwm,
        .nr_areas = vm->nr_areas, .nr_pages = vm->nr_pages,
    };
}

/* ---- validation ---- */

/* Invariant names are documented next to kh_vmalloc_validate in vmalloc.h. */
#define violation(out, name, addr, ...) \
    kh_violations_add_named((out), "vmalloc", (name), (addr), __VA_ARGS__)

/* Reads or writes one byte of our own address space through the kernel, so
 * that probing an unmapped page yields an error instead of a SIGSEGV. */
static bool probe_read(const void *addr, unsigned char *out)
{
    struct iovec local = { out, 1 }, remote = { (void *)(uintptr_t)addr, 1 };
    return process_vm_readv(getpid(), &local, 1, &remote, 1, 0) == 1;
}

static bool probe_write(void *addr, unsigned char v)
{
    struct iovec local = { &v, 1 }, remote = { addr, 1 };
    return process_vm_writev(getpid(), &local, 1, &remote, 1, 0) == 1;
}

/* The probes need process_vm_readv on ourselves; a sandbox may forbid it,
 * and then the mapping checks are skipped rather than all failing. */
static bool probes_work(void)
{
    unsigned char here = 1, seen = 0;
    return probe_read(&here, &seen) && seen == 1;
}

/* True when the byte at va is the byte at pa: flip it through va, look
 * through pa, restore. */
static bool same_backing(void *va, const void *pa)
{
    unsigned char old, seen = 0;
    if (!probe_read(va, &old) || !probe_write(va, (unsigned char)(old ^ 0x5a)))
        return false;
    bool same = probe_read(pa, &seen) && seen == (unsigned char)(old ^ 0x5a);
    probe_write(va, old);
    return same;
}

/* same_backing for n pages at once, in four system calls instead of 4n:
 * true when every va[i] shows pa[i]'s byte. False on any short transfer
 * (an unmapped page) or mismatch; the caller then checks page by page to
 * name the culprit. Every byte flipped is restored. */
#define PROBE_BATCH 512
static bool batch_same_backing(pid_t pid, void *const *va, void *const *pa, size_t n)
{
    unsigned char old[PROBE_BATCH], flipped[PROBE_BATCH], seen[PROBE_BATCH];
    struct iovec rv[PROBE_BATCH], rp[PROBE_BATCH];
    for (size_t i = 0; i < n; i++) {
        rv[i] = (struct iovec){ va[i], 1 };
        rp[i] = (struct iovec){ pa[i], 1 };
    }
    struct iovec l = { old, n };
    if (process_vm_readv(pid, &l, 1, rv, n, 0) != (ssize_t)n)
        return false;
    for (size_t i = 0; i < n; i++)
        flipped[i] = old[i] ^ 0x5a;
    l = (struct iovec){ flipped, n };
    ssize_t w = process_vm_writev(pid, &l, 1, rv, n, 0);
    if (w != (ssize_t)n) {
        if (w > 0) {
            l = (struct iovec){ old, (size_t)w };
            process_vm_writev(pid, &l, 1, rv, (unsigned long)w, 0);
        }
        return false;
    }
    l = (struct iovec){ seen, n };
    bool same = process_vm_readv(pid, &l, 1, rp, n, 0) == (ssize_t)n && memcmp(seen, flipped, n) == 0;
    l = (struct iovec){ old, n };
    process_vm_writev(pid, &l, 1, rv, n, 0);
    return same;
}

/* probe: check the mapping of this page with same_backing (the batch it
 * belongs to failed, or there is no batch). */
KH_NO_COVERAGE
static unsigned check_page(struct kh *kh, const struct vm_area *a, unsigned long i,
                           bool probe, struct kh_violations *out)
{
    unsigned long pfn = a->pfns[i];
    void *area = area_va(kh, a), *va = page_va(kh, a->first + i);
    if (pfn >= kh->nr_pages)
        return violation(out, "vmalloc-page-pfn", va, "area %p page %lu: pfn %lu outside the arena",
                         area, i, pfn);
    const struct page *page = &kh->pages[pfn];
    unsigned n = 0;
    if (!(page->flags & PG_vmalloc))
        n += violation(out, "vmalloc-page-flag", va, "area %p page %lu (pfn %lu) lacks PG_vmalloc",
                       area, i, pfn);
    if (page->private != a)
        n += violation(out, "vmalloc-page-owner", va, "area %p page %lu (pfn %lu) is owned by %p",
                       area, i, pfn, page->private);
    if (kh_block_head(kh, pfn) != pfn || (page->flags & PG_buddy) || page->order != 0)
        n += violation(out, "vmalloc-page-block", va,
                       "area %p page %lu (pfn %lu) is not an allocated order-0 block",
                       area, i, pfn);
    if (probe && !same_backing(va, kh_pfn_to_virt(kh, pfn)))
        n += violation(out, "vmalloc-mapping", va, "area %p page %lu: %p does not map pfn %lu",
                       area, i, va, pfn);
    return n;
}

/* Sampled validation: the first VM_SAMPLE_HEAD and last VM_SAMPLE_TAIL
 * pages and VM_SAMPLE_SPREAD pages evenly between. */
#define VM_SAMPLE_HEAD 128ul
#define VM_SAMPLE_TAIL 64ul
#define VM_SAMPLE_SPREAD 64ul
#define VM_SAMPLE_PAGES (VM_SAMPLE_HEAD + VM_SAMPLE_TAIL + VM_SAMPLE_SPREAD)

/* The page after i to check in an area of n pages. */
static unsigned long next_page(unsigned long i, unsigned long n, bool sampled)
{
    if (!sampled || n <= VM_SAMPLE_PAGES || i + 1 < VM_SAMPLE_HEAD || i + 1 >= n - VM_SAMPLE_TAIL)
        return i + 1;
    unsigned long stride = (n - VM_SAMPLE_HEAD - VM_SAMPLE_TAIL) / VM_SAMPLE_SPREAD + 1;
    unsigned long j = i + 1 == VM_SAMPLE_HEAD ? VM_SAMPLE_HEAD : i + stride;
    return j < n - VM_SAMPLE_TAIL ? j : n - VM_SAMPLE_TAIL;
}

/* periodic: kh_validate_changed's check. It samples the pages of a big
 * area, and probes an area's mappings and guard page only until they have
 * once probed clean: they are set when the area is made and nothing but
 * vfree changes them, so re-probing them every few operations (several
 * system calls per area) bought nothing the complete end-of-run check does
 * not. */
KH_NO_COVERAGE
static unsigned check_area(struct kh *kh, struct vm_area *a, unsigned long min_first,
                           bool probe, bool periodic, struct kh_violations *out)
{
    bool sampled = periodic;
    if (periodic && a->probed_clean)
        probe = false;
    const struct kh_vmalloc_state *vm = kh->vm;
    unsigned char *va = area_va(kh, a);
    unsigned n = 0;
    if (a->first < min_first)
        n += violation(out, "vmalloc-area-overlap", va,
                       "area %p overlaps the previous area or its guard page", va);
    if (a->nr_pages == 0 || a->size == 0 || a->size > a->nr_pages << kh->page_shift ||
        a->size <= (a->nr_pages - 1) << kh->page_shift || a->req == 0 ||
        a->req > a->nr_pages << kh->page_shift)
        n += violation(out, "vmalloc-area-size", va, "area %p: size %lu does not fit %lu pages",
                       va, a->size, a->nr_pages);
    if (a->first + a->nr_pages + 1 > vm->hwm || vm->hwm > vm->va_pages)
        n += violation(out, "vmalloc-hwm", va, "area %p ends past the high-water mark", va);
    /* Mappings, probed in batches; a batch that fails is rechecked page by
     * page. Only pages that hold data through va are probed: one that was
     * never read or written through va (mincore: not resident) cannot have
     * shown anyone wrong memory yet, and probing it would make the host
     * allocate it (a 1 GiB area costs 1 GiB). Its first access makes it
     * resident, and the next validation probes it. */
    const size_t hp = (size_t)sysconf(_SC_PAGESIZE);
    size_t host_per_page = kh->page_size > hp ? kh->page_size / hp : 1;
    bool whole_host_pages = kh->page_size >= hp;
    /* (a sample probes its few pages whether resident or not) */
    sampled = sampled && a->nr_pages > VM_SAMPLE_PAGES;
    unsigned char *in_core = probe && whole_host_pages && !sampled ?
                             malloc(a->nr_pages * host_per_page) : NULL;
    if (in_core && mincore(va, a->nr_pages * host_per_page * hp, in_core) != 0) {
        free(in_core);
        in_core = NULL;   /* probe every page */
    }
    pid_t pid = getpid();
    unsigned long pages[PROBE_BATCH];
    for (unsigned long i = 0; i < a->nr_pages;) {
        void *vas[PROBE_BATCH], *pas[PROBE_BATCH];
        size_t nb = 0;
        bool batch_ok = probe;
        for (; i < a->nr_pages && nb < PROBE_BATCH; i = next_page(i, a->nr_pages, sampled)) {
            bool resident = !in_core;
            for (size_t h = 0; h < host_per_page && !resident; h++)
                resident = in_core[i * host_per_page + h] & 1;
            if (!resident) {
                n += check_page(kh, a, i, false, out);
                continue;
            }
            if (a->pfns[i] >= kh->nr_pages)
                batch_ok = false;   /* check_page names it */
            pages[nb] = i;
            vas[nb] = page_va(kh, a->first + i);
            pas[nb] = a->pfns[i] < kh->nr_pages ? kh_pfn_to_virt(kh, a->pfns[i]) : NULL;
            nb++;
        }
        batch_ok = batch_ok && nb && batch_same_backing(pid, vas, pas, nb);
        for (size_t j = 0; j < nb; j++)
            n += check_page(kh, a, pages[j], probe && !batch_ok, out);
    }
    free(in_core);
    unsigned char byte;
    if (probe && probe_read(va + (a->nr_pages << kh->page_shift), &byte))
        n += violation(out, "vmalloc-guard", va, "area %p: guard page is readable", va);
#ifdef KH_ASAN
    /* (sampled: the first and last pages' worth of shadow, not a scan of
     * an eighth of the area; up to the requested size, which vrealloc
     * moves within the area) */
    size_t edge = VM_SAMPLE_TAIL << kh->page_shift;
    bool poisoned = sampled && a->req > 2 * edge ?
                    __asan_region_is_poisoned(va, edge) || __asan_region_is_poisoned(va + a->req - edge, edge) :
                    __asan_region_is_poisoned(va, a->req) != NULL;
    if (poisoned)
        n += violation(out, "vmalloc-asan", va, "area %p: requested bytes are poisoned", va);
    if (!__asan_address_is_poisoned(va + a->req))
        n += violation(out, "vmalloc-asan", va, "area %p: byte past the end is not poisoned", va);
#endif
    if (periodic && probe && n == 0)
        a->probed_clean = true;
    return n;
}

/* Pages marked PG_vmalloc anywhere the page allocator has touched. Free
 * blocks are stepped over whole: a mark on a free page is the page
 * validator's "free-page-flags" violation already. */
KH_NO_COVERAGE
static unsigned long count_marked_pages(const struct kh *kh)
{
    unsigned long marked = 0;
    for (int z = 0; z < MAX_NR_ZONES; z++) {
        const struct zone *zone = &kh->zones[z];
        unsigned long pfn = zone->start_pfn;
        while (pfn < zone->end_pfn) {
            if (pfn == zone->lazy_pfn && zone->lazy_end > pfn) {
                pfn = zone->lazy_end;   /* never handed out: nothing to see */
                continue;
            }
            const struct page *p = &kh->pages[pfn];
            unsigned long step = 1;
            if ((p->flags & PG_buddy) && p->order < kh->max_order &&
                !(pfn & ((1ul << p->order) - 1)) && pfn + (1ul << p->order) <= zone->end_pfn)
                step = 1ul << p->order;
            else if (p->flags & PG_vmalloc)
                marked++;
            pfn += step;
        }
    }
    return marked;
}

KH_NO_COVERAGE
static unsigned validate(struct kh *kh, bool sampled, struct kh_violations *out)
{
    const struct kh_vmalloc_state *vm = kh->vm;
    unsigned n = 0;
    unsigned long min_first = 1, pages = 0;
    bool probe = vm->nr_areas && probes_work();
    for (unsigned long i = 0; i < vm->nr_areas; i++) {
        struct vm_area *a = vm->areas[i];
        n += check_area(kh, a, min_first, probe, sampled, out);
        min_first = a->first + a->nr_pages + 1;
        pages += a->nr_pages;
    }
    if (pages != vm->nr_pages)
        n += violation(out, "vmalloc-page-counter", NULL, "areas hold %lu pages, counter says %lu",
                       pages, vm->nr_pages);
    unsigned long marked = count_marked_pages(kh);
    if (marked != pages)
        n += violation(out, "vmalloc-stray-page", NULL,
                       "%lu pages are marked PG_vmalloc but areas hold %lu", marked, pages);
    return n;
}

unsigned kh_vmalloc_validate(struct kh *kh, struct kh_violations *out)
{
    return validate(kh, false, out);
}

unsigned kh_vmalloc_validate_sampled(struct kh *kh, struct kh_violations *out)
{
    return validate(kh, true, out);
}

#undef violation

/* ---- lifecycle ---- */

const char *kh_vmalloc_init(struct kh *kh)
{
    struct kh_vmalloc_state *vm = calloc(1, sizeof(*vm));
    if (!vm)
        return "out of host memory for the vmalloc state";
    uint64_t bytes = ((uint64_t)kh->nr_pages << kh->page_shift) * 4;
    if (bytes < VA_MIN_BYTES)
        bytes = VA_MIN_BYTES;
    /* one extra page so the window can start on a simulated-page boundary */
    vm->raw_bytes = bytes + kh->page_size;
    void *raw = mmap(NULL, vm->raw_bytes, PROT_NONE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (raw == MAP_FAILED) {
        free(vm);
        return "cannot reserve the vmalloc address range";
    }
    vm->raw = raw;
    uintptr_t mask = kh->page_size - 1;
    vm->base = (unsigned char *)(((uintptr_t)raw + mask) & ~mask);
    vm->va_pages = bytes >> kh->page_shift;
    kh->vm = vm;
    return NULL;
}

static void drop_areas(struct kh_vmalloc_state *vm)
{
    for (unsigned long i = 0; i < vm->nr_areas; i++)
        free_area_struct(vm->areas[i]);
    vm->nr_areas = 0;
    vm->nr_pages = 0;
}

/* The page allocator's reset takes the pages back; only the window and the
 * bookkeeping are ours to clean. */
void kh_vmalloc_reset(struct kh *kh)
{
    struct kh_vmalloc_state *vm = kh->vm;
    if (!vm)
        return;
    drop_areas(vm);
    if (vm->hwm) {
        protect_range(kh, 0, vm->hwm);
        kh_unpoison(vm->base, vm->hwm << kh->page_shift);
        vm->hwm = 0;
    }
}

void kh_vmalloc_destroy(struct kh *kh)
{
    struct kh_vmalloc_state *vm = kh->vm;
    if (!vm)
        return;
    drop_areas(vm);
    kh_unpoison(vm->base, vm->hwm << kh->page_shift);
    munmap(vm->raw, vm->raw_bytes);
    free(vm->areas);
    free(vm);
    kh->vm = NULL;
}
