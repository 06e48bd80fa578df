/* memblock.h - the boot-time allocator (memblock, and the legacy
 * alloc_bootmem names) and the boot phase of an instance.
 *
 * A new instance models a booted kernel: the buddy allocator owns all
 * memory. kh_boot_begin() on a fresh instance rewinds to early boot: the
 * page allocator (and everything built on it) refuses to allocate, and
 * memblock_alloc carves memory top-down from the end of low memory.
 * kh_boot_end() is mem_init (memblock_free_all): every page memblock does
 * not still hold goes to the buddy allocator; the pages it holds become
 * PG_reserved and stay out of the zones' managed memory. Reset returns to
 * the booted, never-used state.
 *
 * Addresses: a "physical address" is the offset into the arena (pfn <<
 * PAGE_SHIFT plus the offset in the page). Physical address 0 is never
 * handed out, so memblock_phys_alloc can return 0 for failure.
 */
#ifndef KH_MEMBLOCK_H
#define KH_MEMBLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kmem.h"

struct kh_violations;

typedef uint64_t phys_addr_t;

/* ---- The boot phase ---- */
enum kh_boot_phase {
    KH_BOOT_NONE,    /* booted instance, never rewound (the default) */
    KH_BOOT_EARLY,   /* between kh_boot_begin and kh_boot_end */
    KH_BOOT_DONE,    /* after kh_boot_end: memblock's leftovers are PG_reserved */
};
/* 0, or -1 with a warning when the instance is not fresh (the page
 * allocator was ever used) or was already rewound since the last reset. */
int kh_boot_begin(struct kh *kh);
/* mem_init / memblock_free_all. 0, or -1 with a warning outside early boot. */
int kh_boot_end(struct kh *kh);
enum kh_boot_phase kh_boot_phase(const struct kh *kh);
bool kh_boot_in_progress(const struct kh *kh);

/* ---- Instance-taking API ---- */
/* Zeroed, aligned (align 0 is warned and means SMP_CACHE_BYTES; a
 * non-power-of-two align or size 0 is warned and gets NULL). NULL when
 * memory is exhausted. After the boot phase (and on an instance that never
 * entered one) the kernel's fallback applies: a WARN, then
 * kzalloc(size, GFP_NOWAIT). */
void *kh_memblock_alloc(struct kh *kh, phys_addr_t size, phys_addr_t align);
void *kh_memblock_alloc_raw(struct kh *kh, phys_addr_t size, phys_addr_t align); /* not zeroed */
/* Not zeroed; 0 on failure. Only during early boot (warned and 0 after). */
phys_addr_t kh_memblock_phys_alloc(struct kh *kh, phys_addr_t size, phys_addr_t align);
/* Early boot only: marks [base, base + size) reserved, merging it with
 * every reserved range it overlaps or touches (already reserved memory may
 * be reserved again). 0; -1 outside early boot (warned) or for a range
 * outside the model's memory [page_size, limit) (silently, -EINVAL). */
int kh_memblock_reserve(struct kh *kh, phys_addr_t base, phys_addr_t size);
/* Early boot only: gives [ptr, ptr + size) back to memblock. NULL is a
 * no-op; a range that is not (entirely) reserved is warned, nothing changes. */
void kh_memblock_free(struct kh *kh, void *ptr, size_t size);
void kh_memblock_phys_free(struct kh *kh, phys_addr_t base, phys_addr_t size);
/* After kh_boot_end: the whole pages inside [base, base + size) leave the
 * reserved memory and go to the buddy allocator (free_reserved_page). */
void kh_memblock_free_late(struct kh *kh, phys_addr_t base, phys_addr_t size);

/* Legacy bootmem names (Linux 4.x, memblock-backed): zeroed memory;
 * the plain forms panic (a BUG report, "Out of memory") on failure. */
void *kh_alloc_bootmem(struct kh *kh, unsigned long size);          /* SMP_CACHE_BYTES aligned */
void *kh_alloc_bootmem_align(struct kh *kh, unsigned long size, unsigned long align);
void *kh_alloc_bootmem_pages(struct kh *kh, unsigned long size);    /* page aligned */
void *kh_alloc_bootmem_nopanic(struct kh *kh, unsigned long size);  /* NULL on failure */
void kh_free_bootmem(struct kh *kh, unsigned long physaddr, unsigned long size);

/* Arena physical addresses (__pa / __va). */
phys_addr_t kh_virt_to_phys(const struct kh *kh, const void *addr);
void *kh_phys_to_virt(const struct kh *kh, phys_addr_t phys);

/* ---- Introspection ---- */
struct kh_memblock_info {
    enum kh_boot_phase phase;
    phys_addr_t limit;               /* allocations lie in [page_size, limit) (low memory) */
    phys_addr_t reserved_bytes;      /* sum of the reserved regions */
    unsigned long nr_regions;        /* reserved regions (adjacent ones merged) */
    unsigned long nr_allocs;         /* successful boot allocations since the last reset */
    unsigned long reserved_pages;    /* PG_reserved pages left by kh_boot_end, less those
                                      * released since */
    unsigned long handed_over_pages; /* pages the buddy allocator got at kh_boot_end */
};
void kh_memblock_get_info(const struct kh *kh, struct kh_memblock_info *out);

/* Reserved regions in address order. Return non-zero to stop; the walk
 * returns that value. */
typedef int (*kh_memblock_region_fn)(void *ctx, phys_addr_t base, phys_addr_t size);
int kh_memblock_for_each_reserved(const struct kh *kh, kh_memblock_region_fn fn, void *ctx);

/* Invariant names (subsystem "memblock"):
 *   "memblock-regions"   regions unsorted, overlapping, unmerged, empty, or
 *                        outside [page_size, limit)
 *   "memblock-phase"     reserved regions outside the boot phases, or
 *                        regions touching more pages than are counted reserved
 *   "memblock-reserved"  after kh_boot_end: a page of a reserved region that
 *                        is not PG_reserved */
unsigned kh_memblock_validate(struct kh *kh, struct kh_violations *out);

/* ---- Kernel names on the default instance ---- */
void *memblock_alloc(phys_addr_t size, phys_addr_t align);
int memblock_reserve(phys_addr_t base, phys_addr_t size);
void *memblock_alloc_raw(phys_addr_t size, phys_addr_t align);
phys_addr_t memblock_phys_alloc(phys_addr_t size, phys_addr_t align);
void memblock_free(void *ptr, size_t size);
void memblock_phys_free(phys_addr_t base, phys_addr_t size);
void memblock_free_late(phys_addr_t base, phys_addr_t size);
void memblock_free_all(void);
void *alloc_bootmem(unsigned long size);
void *alloc_bootmem_align(unsigned long size, unsigned long align);
void *alloc_bootmem_pages(unsigned long size);
void *alloc_bootmem_nopanic(unsigned long size);
void free_bootmem(unsigned long physaddr, unsigned long size);

#endif
