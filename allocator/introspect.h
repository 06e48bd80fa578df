/* introspect.h - looking inside an instance: invariant checking that
 * returns violations as data, walks over the page allocator's blocks, zone
 * information and /proc-style text.
 *
 * Sections: violations (shared by every subsystem), the page allocator,
 * then one section per higher subsystem (slab, vmalloc, ...) as they add
 * their checks. kh_validate() runs every subsystem's checks.
 */
#ifndef KH_INTROSPECT_H
#define KH_INTROSPECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "kmem.h"

/* ==== Violations ========================================================= */

struct kh_violation {
    const char *subsystem;   /* "page_alloc", "vmalloc", ... */
    const char *invariant;   /* stable name tests match on ("buddies-unmerged") */
    char detail[200];        /* human-readable specifics */
    uintptr_t addr;          /* address concerned, 0 if none */
};

struct kh_violations {
    struct kh_violation *v;
    unsigned n, cap;
};

/* Appends a violation named `invariant`. out may be NULL (the caller only
 * counts). Returns 1, so checks can write `n += kh_violations_add_named(...)`. */
unsigned kh_violations_add_named(struct kh_violations *out, const char *subsystem,
                                 const char *invariant, const void *addr, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* As above with the format string itself as the invariant name (format
 * strings are literals, so the name is stable). */
unsigned kh_violations_add(struct kh_violations *out, const char *subsystem, const void *addr,
                           const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void kh_violations_free(struct kh_violations *out);
/* Number of violations of one invariant (subsystem NULL matches any). */
unsigned kh_violations_count(const struct kh_violations *out, const char *subsystem,
                             const char *invariant);
/* One line per violation: "subsystem: invariant: detail". */
void kh_violations_print(const struct kh_violations *out, FILE *f);

/* Runs every subsystem's validation; returns the number of violations. */
unsigned kh_validate(struct kh *kh, struct kh_violations *out);
/* kh_validate, but slabs unchanged since they last validated clean are
 * skipped (kh_slab_validate_changed): for checks every few operations,
 * with a full kh_validate at the end. */
unsigned kh_validate_changed(struct kh *kh, struct kh_violations *out);

/* ==== Page allocator ===================================================== */

/* Checks every buddy invariant, walking only memory ever touched (below
 * each zone's lazy frontier, plus its unaligned remainders). Invariant
 * names:
 *   "free-list-link"      list links broken, cyclic, or pointing outside the zone
 *   "free-block-listed-once" a block on two lists / twice on one, or a free
 *                         head on no list
 *   "free-block-flag"     a listed block whose head is not PG_buddy of that order,
 *                         or a block head with an order >= max_order
 *   "free-block-aligned"  a block (free or allocated) not aligned to its order
 *   "free-block-zone"     a block not inside the zone whose list holds it
 *   "free-page-flags"     a page of a free block carrying an owner's flag
 *   "block-overlap"       a block head inside another block
 *   "block-head-flags"    a block head both free and allocated, or PG_reserved
 *   "buddies-unmerged"    two free buddies of the same order left apart
 *   "lazy-region"         frontier misaligned or outside its zone, or a block
 *                         listed inside the lazy region
 *   "nr-free-counter"     free_area[order].nr_free differs from the walk
 *   "zone-free-counter"   zone free_pages differs from the walk
 *   "total-free-counter"  the instance's free total differs from the zones
 *   "page-accounting"     free + allocated pages != managed pages, or managed +
 *                         PG_reserved pages != zone size (lost pages)
 *   "free-page-poisoned"  (ASan builds) a free block is not poisoned
 */
unsigned kh_page_validate(struct kh *kh, struct kh_violations *out);

struct kh_block_info {
    enum zone_type zone;
    unsigned order;
    unsigned long pfn;
    bool lazy;          /* free block in the untouched lazy region (on no list) */
};
/* Return non-zero to stop the walk; the walk then returns that value. */
typedef int (*kh_block_fn)(void *ctx, const struct kh_block_info *b);

/* Free blocks per zone (DMA first), per order ascending, in list order
 * (most recently freed first); lazy blocks of a zone follow its listed
 * max-order blocks, in address order. */
int kh_for_each_free_block(const struct kh *kh, kh_block_fn fn, void *ctx);
/* Allocated blocks in address order. */
int kh_for_each_allocated_block(const struct kh *kh, kh_block_fn fn, void *ctx);

struct kh_zone_info {
    const char *name;               /* "DMA", "DMA32", "Normal", "HighMem" */
    enum zone_type type;
    bool present;
    unsigned long start_pfn, end_pfn;
    unsigned long managed, free;
    unsigned long wmark_min, wmark_low, wmark_high;
    unsigned long lowmem_reserve[MAX_NR_ZONES];
    unsigned long nr_free[KH_MAX_ORDER_LIMIT];   /* orders >= max_order are 0 */
    unsigned long lazy_pfn, lazy_end;
};
/* Returns 0, or -1 for an invalid zone type. */
int kh_zone_info(const struct kh *kh, enum zone_type z, struct kh_zone_info *out);
/* min_free_kbytes as computed (or configured) at creation. */
unsigned long kh_min_free_kbytes(const struct kh *kh);

enum kh_page_state {
    KH_PAGE_FREE_HEAD,
    KH_PAGE_FREE_INTERIOR,
    KH_PAGE_ALLOC_HEAD,
    KH_PAGE_ALLOC_INTERIOR,
    KH_PAGE_LAZY,       /* untouched, free, on no list */
    KH_PAGE_INVALID,    /* outside the arena, or in no block (corrupt state) */
    KH_PAGE_RESERVED,   /* PG_reserved boot memory (memblock): in no block, not managed */
};
/* State of pfn; *head and *order (either may be NULL) describe its block. */
enum kh_page_state kh_page_state(const struct kh *kh, unsigned long pfn, unsigned long *head,
                                 unsigned *order);
const char *kh_page_state_name(enum kh_page_state s);

/* /proc/buddyinfo text, exactly as the kernel prints it: per present zone
 * "Node 0, zone %8s " then "%6lu " per order, then a newline. Returns the
 * full length (like snprintf); buf gets at most cap - 1 chars plus NUL. */
int kh_buddyinfo(const struct kh *kh, char *buf, size_t cap);

/* ==== Copies of caller data ============================================== */

/* The allocator copies a caller's bytes from one object into another in
 * krealloc and kvrealloc (the old object's contents into the new one). The
 * krealloc copy runs unchecked by ASan (6.1 copies ksize bytes with KASAN
 * off, past the bytes the caller may use), so each copy is recorded here
 * for a checker to hold against the source object's size as the spec
 * defines it: an over-read is then seen whatever ASan could see. */
struct kh_copy_info {
    const void *src;
    void *dst;
    size_t n;
    unsigned long count;     /* copies since creation or the last reset */
};
void kh_last_copy(const struct kh *kh, struct kh_copy_info *out);
/* Likewise the last clearing of a caller's object by the allocator, also
 * outside ASan's view (kfree_sensitive, krealloc's __GFP_ZERO in place):
 * dst and n (src is NULL). */
void kh_last_clear(const struct kh *kh, struct kh_copy_info *out);

#endif
