/* oracle.h - what the spec says a result must be, computed independently
 * of the allocator.
 *
 * These functions restate SPEC sections 1-2 from the profile's raw numbers
 * (page size, max order, slab design, ARCH_KMALLOC_MINALIGN). They share no
 * code with allocator/kmalloc.c on purpose: a bug in the size-class code
 * (say, the 96/192 boundary off by one) shows up as a disagreement.
 */
#ifndef KH_ORACLE_H
#define KH_ORACLE_H

#include <stddef.h>
#include <stdint.h>

#include "kmem.h"

struct oracle_limits {
    unsigned page_shift;
    unsigned shift_low, shift_high, shift_max;
    size_t min_size;         /* KMALLOC_MIN_SIZE */
    size_t max_cache_size;   /* KMALLOC_MAX_CACHE_SIZE */
    size_t max_size;         /* KMALLOC_MAX_SIZE */
    enum kh_slab_design design;
    size_t minalign;         /* ARCH_KMALLOC_MINALIGN */
    bool linux_6_12;         /* the profile follows 6.12 (SPEC 10): 96/192 aligned to
                                32/64, kmalloc_size_roundup keeps sizes past the maximum */
};

void oracle_limits(const struct kh_config *cfg, struct oracle_limits *out);

/* Size class a kmalloc(size) must land in: 0 for size 0 (ZERO_SIZE_PTR) and
 * for sizes above KMALLOC_MAX_SIZE (NULL). For SLUB/SLAB this is also what
 * ksize() must return; SLOB's ksize is the request rounded to its 2-byte unit
 * for requests below PAGE_SIZE - minalign (its small-object path). */
size_t oracle_kmalloc_class(const struct oracle_limits *l, size_t size);
size_t oracle_ksize(const struct oracle_limits *l, size_t size);
/* The kmalloc cache a slab-backed kmalloc(size, gfp) must come from, by
 * name (SPEC 1): false when none (SLOB, size 0 or above
 * KMALLOC_MAX_CACHE_SIZE). */
bool oracle_kmalloc_cache_name(const struct oracle_limits *l, size_t size, gfp_t gfp, char *buf,
                               size_t cap);
/* Minimum alignment a kmalloc(size) result must have. */
size_t oracle_kmalloc_align(const struct oracle_limits *l, const struct kh_config *cfg, size_t size);
/* kmalloc_size_roundup(size) per SPEC 1. */
size_t oracle_kmalloc_size_roundup(const struct oracle_limits *l, size_t size);
/* kmalloc_index(size) per SPEC 1: -1 past the end of the kernel's table
 * (where the kernel BUG()s). */
int oracle_kmalloc_index(const struct oracle_limits *l, size_t size);
/* The highest zone gfp allows (SPEC 3); -1 when it names none (DMA with
 * DMA32). */
int oracle_gfp_zone(gfp_t gfp);
/* The physical address past zone z: the profile lays the zones out in
 * order from address 0. */
uint64_t oracle_zone_end(const struct kh_config *cfg, enum zone_type z);
/* get_order(size) per SPEC 4. */
int oracle_get_order(unsigned page_shift, unsigned long size);

#endif
