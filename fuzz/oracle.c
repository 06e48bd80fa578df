/* oracle.c - spec restated independently of the allocator (see oracle.h). */
#include "oracle.h"

#include <stdio.h>

static unsigned min_u(unsigned a, unsigned b) { return a < b ? a : b; }

void oracle_limits(const struct kh_config *cfg, struct oracle_limits *l)
{
    unsigned ps = cfg->page_shift, mo = cfg->max_order;
    l->page_shift = ps;
    l->design = cfg->slab;
    l->minalign = cfg->arch_kmalloc_minalign;
    l->linux_6_12 = cfg->kernel == KH_KERNEL_6_12;
    switch (cfg->slab) {
    case KH_SLAB_SLAB:
        l->shift_high = min_u(mo + ps - 1, 25);
        l->shift_max = l->shift_high;
        l->shift_low = 5;
        break;
    case KH_SLAB_SLOB:
        l->shift_high = ps;
        l->shift_max = mo + ps - 1;
        l->shift_low = 3;
        break;
    case KH_SLAB_SLUB:
    default:
        l->shift_high = ps + 1;
        l->shift_max = mo + ps - 1;
        l->shift_low = 3;
        break;
    }
    /* An architecture whose kmalloc alignment exceeds 8 raises the minimum. */
    size_t min = (size_t)1 << l->shift_low;
    if (cfg->arch_kmalloc_minalign > 8)
        min = cfg->arch_kmalloc_minalign;
    l->min_size = min;
    l->max_cache_size = (size_t)1 << l->shift_high;
    l->max_size = (size_t)1 << l->shift_max;
}

int oracle_get_order(unsigned page_shift, unsigned long size)
{
    unsigned long pages = (size - 1) >> page_shift;
    int order = 0;
    while (pages) {
        order++;
        pages >>= 1;
    }
    return order;
}

static size_t next_pow2(size_t n)
{
    size_t p = 1;
    while (p < n)
        p <<= 1;
    return p;
}

size_t oracle_kmalloc_class(const struct oracle_limits *l, size_t size)
{
    if (size == 0 || size > l->max_size)
        return 0;
    if (size > l->max_cache_size)
        return ((size_t)1 << l->page_shift) << oracle_get_order(l->page_shift, size);
    if (size <= l->min_size)
        return l->min_size;
    if (l->min_size <= 32 && size > 64 && size <= 96)
        return 96;
    if (l->min_size <= 64 && size > 128 && size <= 192)
        return 192;
    return next_pow2(size);
}

size_t oracle_ksize(const struct oracle_limits *l, size_t size)
{
    if (l->design == KH_SLAB_SLOB && size != 0 &&
        size < ((size_t)1 << l->page_shift) - l->minalign)
        return (size + 1) & ~(size_t)1;
    return oracle_kmalloc_class(l, size);
}

bool oracle_kmalloc_cache_name(const struct oracle_limits *l, size_t size, gfp_t gfp, char *buf,
                               size_t cap)
{
    size_t cls = oracle_kmalloc_class(l, size);
    if (l->design == KH_SLAB_SLOB || cls == 0 || size > l->max_cache_size)
        return false;
    /* DMA first, then RECLAIMABLE, then ACCOUNT; only SLUB (6.1 on) has
     * the -rcl and -cg twins, classic SLAB serves both from the plain ones */
    const char *prefix = "kmalloc-";
    if (gfp & __GFP_DMA)
        prefix = "dma-kmalloc-";
    else if (l->design == KH_SLAB_SLUB && (gfp & __GFP_RECLAIMABLE))
        prefix = "kmalloc-rcl-";
    else if (l->design == KH_SLAB_SLUB && (gfp & __GFP_ACCOUNT))
        prefix = "kmalloc-cg-";
    if (cls >= ((size_t)1 << 20) && !(cls & (((size_t)1 << 20) - 1)))
        snprintf(buf, cap, "%s%zuM", prefix, cls >> 20);
    else if (cls >= 1024 && !(cls & 1023))
        snprintf(buf, cap, "%s%zuk", prefix, cls >> 10);
    else
        snprintf(buf, cap, "%s%zu", prefix, cls);
    return true;
}

size_t oracle_kmalloc_align(const struct oracle_limits *l, const struct kh_config *cfg, size_t size)
{
    size_t cls = oracle_kmalloc_class(l, size);
    if (cls == 0)
        return 1;
    if (size > l->max_cache_size)
        return (size_t)1 << l->page_shift;
    if (l->design == KH_SLAB_SLOB)
        return cfg->arch_kmalloc_minalign;
    /* Power-of-two classes are naturally aligned; 96 and 192 get the
     * minimum in 6.1, 32 and 64 in 6.12 (SPEC 10). */
    if ((cls & (cls - 1)) == 0)
        return cls;
    if (l->linux_6_12)
        return cls % 64 == 0 ? 64 : 32;
    return cfg->arch_kmalloc_minalign;
}

int oracle_kmalloc_index(const struct oracle_limits *l, size_t size)
{
    /* the table ends at 2 MiB in 6.1 and at 64 MiB in the 4.x era */
    size_t table_end = l->design == KH_SLAB_SLUB ? (size_t)1 << 21 : (size_t)1 << 26;
    if (size == 0)
        return 0;
    if (size > table_end)
        return -1;
    int n = 0;   /* KMALLOC_SHIFT_LOW is ilog2(KMALLOC_MIN_SIZE) */
    while (((size_t)1 << n) < l->min_size)
        n++;
    if (size <= l->min_size && size <= l->max_cache_size)
        return n;
    if (size <= l->max_cache_size && l->min_size <= 32 && size > 64 && size <= 96)
        return 1;
    if (size <= l->max_cache_size && l->min_size <= 64 && size > 128 && size <= 192)
        return 2;
    n = 0;
    while (((size_t)1 << n) < size)
        n++;
    return n;
}

int oracle_gfp_zone(gfp_t gfp)
{
    bool dma = gfp & __GFP_DMA, dma32 = gfp & __GFP_DMA32;
    if (dma && dma32)
        return -1;
    if (dma)
        return ZONE_DMA;
    if (dma32)
        return ZONE_DMA32;
    return (gfp & __GFP_HIGHMEM) ? ZONE_HIGHMEM : ZONE_NORMAL;
}

uint64_t oracle_zone_end(const struct kh_config *cfg, enum zone_type z)
{
    uint64_t end = 0;
    for (int i = 0; i <= (int)z && i < MAX_NR_ZONES; i++)
        end += cfg->zone_bytes[i];
    return end;
}

size_t oracle_kmalloc_size_roundup(const struct oracle_limits *l, size_t size)
{
    if (size == 0)
        return 0;
    if (size == SIZE_MAX)
        return SIZE_MAX;
    if (size <= l->max_cache_size)
        return oracle_kmalloc_class(l, size);
    if (l->linux_6_12 && size > l->max_size)
        return size;   /* 6.12: past KMALLOC_MAX_SIZE, the size itself (SPEC 10) */
    /* whole pages past KMALLOC_MAX_SIZE too; the shift wraps above 2^63 */
    return ((size_t)1 << l->page_shift) << oracle_get_order(l->page_shift, size);
}
