/* vmalloc.h - virtually contiguous allocations (vmalloc family) and the
 * kvmalloc family that prefers kmalloc and falls back to vmalloc.
 *
 * A vmalloc area is made of order-0 pages taken one by one from the buddy
 * allocator and mapped at consecutive addresses in a separate virtual range,
 * with one unmapped guard page after it. is_vmalloc_addr() is true exactly
 * for addresses inside that range. Kernel names act on kh_default(); every
 * function has a kh_ twin taking the instance first.
 */
#ifndef KH_VMALLOC_H
#define KH_VMALLOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kmem.h"

struct page;
struct kh_violations;

/* ---- Instance-taking API ---- */
void *kh_vmalloc(struct kh *kh, unsigned long size);          /* GFP_KERNEL */
void *kh_vzalloc(struct kh *kh, unsigned long size);          /* GFP_KERNEL | __GFP_ZERO */
void *kh___vmalloc(struct kh *kh, unsigned long size, gfp_t gfp);
void kh_vfree(struct kh *kh, const void *addr);
/* The page backing addr (any byte of a live area's pages), else NULL. */
struct page *kh_vmalloc_to_page(const struct kh *kh, const void *addr);
unsigned long kh_vmalloc_to_pfn(const struct kh *kh, const void *addr);
bool kh_is_vmalloc_addr(const struct kh *kh, const void *addr);

void *kh_kvmalloc(struct kh *kh, size_t size, gfp_t gfp);
void *kh_kvzalloc(struct kh *kh, size_t size, gfp_t gfp);
void *kh_kvmalloc_array(struct kh *kh, size_t n, size_t size, gfp_t gfp);
void *kh_kvcalloc(struct kh *kh, size_t n, size_t size, gfp_t gfp);
void kh_kvfree(struct kh *kh, const void *addr);
void kh_kvfree_sensitive(struct kh *kh, const void *addr, size_t len);
/* Linux 6.1 semantics: oldsize >= newsize returns p unchanged; otherwise a
 * new kvmalloc, oldsize bytes copied, p freed. On failure NULL and p stays. */
void *kh_kvrealloc(struct kh *kh, const void *p, size_t oldsize, size_t newsize, gfp_t gfp);
/* Linux 6.12 forms (SPEC 10): kvrealloc(p, size, gfp) without the old size,
 * and vrealloc. Each exists only on a profile whose kernel has it
 * (kh_kernel_traits); on another the call warns and returns NULL, as does
 * kh_kvrealloc on a 6.12 profile. */
void *kh_kvrealloc_v612(struct kh *kh, const void *p, size_t size, gfp_t gfp);
void *kh_vrealloc(struct kh *kh, const void *p, size_t size, gfp_t gfp);

/* ---- Introspection (tests, fuzzers, conformance suite) ---- */

/* Mapped bytes (whole pages) of the area addr points into, 0 if none. */
size_t kh_vmalloc_size(const struct kh *kh, const void *addr);

struct kh_vm_area_info {
    void *addr;                /* first byte of the area */
    unsigned long size;        /* bytes requested */
    unsigned long nr_pages;    /* pages mapped; a guard page follows them */
    const uint32_t *pfns;      /* nr_pages pfns in virtual order; valid until the next vfree */
    gfp_t gfp;                 /* flags the area was allocated with */
};

/* Fills *out for the live area containing addr (guard page excluded). */
bool kh_vmalloc_find(const struct kh *kh, const void *addr, struct kh_vm_area_info *out);

/* Calls fn for every live area in address order; stops early when fn
 * returns non-zero. Returns the number of areas visited. */
typedef int (*kh_vm_walk_fn)(void *ctx, const struct kh_vm_area_info *area);
unsigned long kh_vmalloc_walk(const struct kh *kh, kh_vm_walk_fn fn, void *ctx);

struct kh_vmalloc_stats {
    void *va_start;              /* the reserved virtual range */
    unsigned long va_pages;      /* its length in pages */
    unsigned long va_hwm_pages;  /* highest page index ever used since create/reset */
    unsigned long nr_areas;
    unsigned long nr_pages;      /* pages mapped by live areas */
};
void kh_vmalloc_get_stats(const struct kh *kh, struct kh_vmalloc_stats *out);

/* Checks every area and returns the number of violations added to *out
 * (out may be NULL). Invariant names (subsystem "vmalloc"):
 *   "vmalloc-page-pfn"     an area page's pfn lies outside the arena
 *   "vmalloc-page-flag"    an area page lacks PG_vmalloc
 *   "vmalloc-page-owner"   an area page's private is not its area
 *   "vmalloc-page-block"   an area page is not an allocated order-0 block
 *   "vmalloc-mapping"      the virtual page does not show the physical page
 *                          (a byte flipped through one is not seen in the other);
 *                          checked for pages accessed through the area so far
 *   "vmalloc-area-overlap" areas unsorted, overlapping, or one sits on another's guard
 *   "vmalloc-area-size"    requested size inconsistent with the page count
 *   "vmalloc-hwm"          an area beyond the high-water mark or the window
 *   "vmalloc-guard"        the page after an area is readable
 *   "vmalloc-asan"         (ASan builds) requested bytes poisoned, or the byte
 *                          after them not poisoned
 *   "vmalloc-page-counter" the page counter differs from the areas' sum
 *   "vmalloc-stray-page"   pages marked PG_vmalloc that no area holds */
unsigned kh_vmalloc_validate(struct kh *kh, struct kh_violations *out);
/* The same, for the periodic checks of a run (kh_validate_changed): an area
 * of more than VM_SAMPLE_PAGES pages has its head, its tail and an even
 * spread of pages between checked, not every page, so that a 1 GiB area
 * costs a few hundred page checks per validation; the counters, the stray
 * census and the guard are complete. */
unsigned kh_vmalloc_validate_sampled(struct kh *kh, struct kh_violations *out);

/* ---- Kernel names on the default instance ---- */
void *vmalloc(unsigned long size);
void *vzalloc(unsigned long size);
void *__vmalloc(unsigned long size, gfp_t gfp);
void vfree(const void *addr);
struct page *vmalloc_to_page(const void *addr);
unsigned long vmalloc_to_pfn(const void *addr);
bool is_vmalloc_addr(const void *addr);

void *kvmalloc(size_t size, gfp_t gfp);
void *kvzalloc(size_t size, gfp_t gfp);
void *kvmalloc_array(size_t n, size_t size, gfp_t gfp);
void *kvcalloc(size_t n, size_t size, gfp_t gfp);
void kvfree(const void *addr);
void kvfree_sensitive(const void *addr, size_t len);
void *kvrealloc(const void *p, size_t oldsize, size_t newsize, gfp_t gfp);
void *vrealloc(const void *p, size_t size, gfp_t gfp);

#endif
