/* memblock.c - the boot-time allocator and the instance's boot phase.
 *
 * Before mem_init the kernel has no buddy allocator; early code allocates
 * with memblock, which only keeps a sorted list of reserved physical
 * ranges. An allocation searches the gaps between reserved ranges from the
 * top of memory down (memblock's default direction), takes the highest
 * aligned spot that fits, and records it (adjacent ranges merge, as in
 * memblock). memblock_free removes a range again. At mem_init,
 * memblock_free_all gives every page that no reserved range touches to the
 * buddy allocator; the rest stay PG_reserved for good (unless released with
 * memblock_free_late).
 *
 * Here the boot phase is something an instance enters on request:
 * kh_boot_begin on a never-used instance closes the page allocator (it
 * refuses with a warning, see page_alloc.c), and kh_boot_end hands over: for
 * each run of pages touched by reserved ranges it calls
 * kh_page_alloc_reserve_range, which takes those pages out of the zones,
 * then opens the page allocator (mem_init). Whether early boot is on is the
 * page allocator's state (the lower layer, which never calls up here);
 * memblock only remembers whether the hand-over happened. So
 * the page allocator's bookkeeping is only ever changed once, at the
 * hand-over, while it is still in its creation state.
 *
 * Memory covered is low memory (every zone below HIGHMEM), as memblock's
 * default limit is, starting one page up: physical address 0 stays unused so
 * that 0 can mean failure. Under ASan, exactly the allocated bytes are
 * unpoisoned and freed ranges poisoned again.
 *
 * A reset during early boot scrubs the arena pages memblock handed out
 * (the page allocator's own reset does not look inside its never-used lazy
 * region); after the hand-over the page allocator's reset covers them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "introspect.h"
#include "kmalloc.h"
#include "memblock.h"

#define SUBSYS "memblock"

struct mb_region {
    phys_addr_t base, size;
};

struct kh_memblock_state {
    bool handed_over;            /* kh_boot_end ran (the phase is KH_BOOT_DONE) */
    struct mb_region *regions;   /* sorted, disjoint, adjacent ones merged */
    unsigned long nr, cap;
    phys_addr_t floor;           /* lowest address handed out this boot (for reset) */
    unsigned long nr_allocs;
    unsigned long reserved_pages, handed_over_pages;
};

/* ---- addresses ---- */

static phys_addr_t mem_limit(const struct kh *kh)
{
    return (phys_addr_t)kh->zones[ZONE_HIGHMEM].start_pfn << kh->page_shift;
}

static phys_addr_t mem_base(const struct kh *kh) { return kh->page_size; }

phys_addr_t kh_virt_to_phys(const struct kh *kh, const void *addr)
{
    return (phys_addr_t)((uintptr_t)addr - (uintptr_t)kh->arena);
}

void *kh_phys_to_virt(const struct kh *kh, phys_addr_t phys)
{
    return kh->arena + phys;
}

static bool is_pow2(phys_addr_t v) { return v && !(v & (v - 1)); }

/* ---- the reserved list ---- */

static int insert_region(struct kh_memblock_state *mb, unsigned long at, phys_addr_t base,
                         phys_addr_t size)
{
    if (mb->nr == mb->cap) {
        unsigned long cap = mb->cap ? mb->cap * 2 : 16;
        struct mb_region *r = realloc(mb->regions, cap * sizeof(*r));
        if (!r)
            return -1;
        mb->regions = r;
        mb->cap = cap;
    }
    memmove(&mb->regions[at + 1], &mb->regions[at], (mb->nr - at) * sizeof(mb->regions[0]));
    mb->regions[at] = (struct mb_region){ base, size };
    mb->nr++;
    return 0;
}

static void delete_region(struct kh_memblock_state *mb, unsigned long at)
{
    memmove(&mb->regions[at], &mb->regions[at + 1], (mb->nr - at - 1) * sizeof(mb->regions[0]));
    mb->nr--;
}

/* Records [base, base + size), which lies in a gap, merging neighbours. */
static int reserve(struct kh_memblock_state *mb, phys_addr_t base, phys_addr_t size)
{
    unsigned long at = 0;
    while (at < mb->nr && mb->regions[at].base < base)
        at++;
    bool join_prev = at > 0 && mb->regions[at - 1].base + mb->regions[at - 1].size == base;
    bool join_next = at < mb->nr && base + size == mb->regions[at].base;
    if (join_prev && join_next) {
#ifdef KH_PLANT_MEMBLOCK_MERGE
        mb->regions[at - 1].size += size;   /* planted bug: the next region's size is dropped */
#else
        mb->regions[at - 1].size += size + mb->regions[at].size;
#endif
        delete_region(mb, at);
    } else if (join_prev) {
        mb->regions[at - 1].size += size;
    } else if (join_next) {
        mb->regions[at].base = base;
        mb->regions[at].size += size;
    } else if (insert_region(mb, at, base, size) != 0) {
        return -1;
    }
    return 0;
}

/* Adds [base, end) anywhere: every region it overlaps or touches merges
 * into one with it (reserving reserved memory again is fine, as in
 * memblock_add_range). */
static int reserve_any(struct kh_memblock_state *mb, phys_addr_t base, phys_addr_t end)
{
    unsigned long i = 0, j;
    while (i < mb->nr && mb->regions[i].base + mb->regions[i].size < base)
        i++;
    for (j = i; j < mb->nr && mb->regions[j].base <= end; j++) {
        phys_addr_t rend = mb->regions[j].base + mb->regions[j].size;
        if (mb->regions[j].base < base)
            base = mb->regions[j].base;
        if (rend > end)
            end = rend;
    }
    if (i == j)
        return insert_region(mb, i, base, end - base);
    mb->regions[i] = (struct mb_region){ base, end - base };
    while (j-- > i + 1)
        delete_region(mb, i + 1);
    return 0;
}

/* Index of the region holding all of [base, base + size), or -1. */
static long find_covering(const struct kh_memblock_state *mb, phys_addr_t base, phys_addr_t size)
{
    for (unsigned long i = 0; i < mb->nr; i++) {
        const struct mb_region *r = &mb->regions[i];
        if (base >= r->base && base - r->base <= r->size && size <= r->size - (base - r->base))
            return (long)i;
    }
    return -1;
}

/* Removes [base, base + size) from the region at index i (which covers it). */
static int unreserve(struct kh_memblock_state *mb, long i, phys_addr_t base, phys_addr_t size)
{
    struct mb_region r = mb->regions[i];
    phys_addr_t end = base + size, rend = r.base + r.size;
    if (base > r.base && end < rend) {   /* a hole in the middle: split */
        mb->regions[i].size = base - r.base;
        return insert_region(mb, (unsigned long)i + 1, end, rend - end);
    }
    if (base > r.base)
        mb->regions[i].size = base - r.base;
    else if (end < rend)
        mb->regions[i] = (struct mb_region){ end, rend - end };
    else
        delete_region(mb, (unsigned long)i);
    return 0;
}

/* Top-down search: the highest aligned base in a gap that fits size. */
static bool find_top_down(const struct kh *kh, phys_addr_t size, phys_addr_t align,
                          phys_addr_t *out)
{
    const struct kh_memblock_state *mb = kh->memblock;
    phys_addr_t gap_end = mem_limit(kh);
    for (long i = (long)mb->nr - 1; i >= -1; i--) {
        phys_addr_t gap_start = i >= 0 ? mb->regions[i].base + mb->regions[i].size : mem_base(kh);
        if (gap_end >= size) {
            phys_addr_t cand = (gap_end - size) & ~(align - 1);
            if (cand >= gap_start && gap_end > gap_start) {
                *out = cand;
                return true;
            }
        }
        if (i >= 0)
            gap_end = mb->regions[i].base;
    }
    return false;
}

/* ---- reports ---- */

static void warn(struct kh *kh, const char *reason, phys_addr_t addr, const char *what)
{
    kh_report(kh, KH_SEV_WARN, KH_R_WARN, SUBSYS, reason, (uintptr_t)addr,
              "WARNING: CPU: %u PID: 0 at mm/memblock.c: %s\n", kh->current_cpu, what);
}

static void warn_late(struct kh *kh, const char *fn)
{
    char what[160];
    snprintf(what, sizeof(what), "%s: called %s", fn,
             kh_boot_phase(kh) == KH_BOOT_DONE ? "after memblock_free_all (mem_init)"
                                                 : "on a booted instance (no boot phase)");
    warn(kh, "memblock used after mem_init", 0, what);
}

/* ---- allocation ---- */

static bool alloc_args_ok(struct kh *kh, phys_addr_t size, phys_addr_t *align)
{
    char what[160];
    if (*align == 0) {   /* 6.1 dumps a stack and uses SMP_CACHE_BYTES */
        warn(kh, "memblock_alloc with align 0", 0,
             "memblock_alloc_range_nid: align 0, using SMP_CACHE_BYTES");
        *align = kh->cfg.cache_line;
    }
    if (!is_pow2(*align)) {
        snprintf(what, sizeof(what), "memblock_alloc_range_nid: align %#llx is not a power "
                 "of two", (unsigned long long)*align);
        warn(kh, "memblock_alloc with a bad align", 0, what);
        return false;
    }
    if (size == 0) {
        warn(kh, "memblock_alloc of 0 bytes", 0, "memblock_alloc_range_nid: size 0");
        return false;
    }
    return true;
}

/* Early-boot allocation; 0 on failure (silent, as memblock is). */
static phys_addr_t boot_alloc(struct kh *kh, phys_addr_t size, phys_addr_t align)
{
    struct kh_memblock_state *mb = kh->memblock;
    phys_addr_t base;
    if (!alloc_args_ok(kh, size, &align) || !find_top_down(kh, size, align, &base))
        return 0;
    if (reserve(mb, base, size) != 0)
        return 0;
    if (base < mb->floor)
        mb->floor = base;
    mb->nr_allocs++;
    kh_unpoison(kh_phys_to_virt(kh, base), size);
    return base;
}

static void *alloc_virt(struct kh *kh, phys_addr_t size, phys_addr_t align, bool zero)
{
    if (!kh_boot_in_progress(kh)) {
        warn(kh, "memblock_alloc after mem_init", 0,
             "memblock_alloc_internal: WARN_ON_ONCE(slab_is_available()): falling back to "
             "kzalloc(GFP_NOWAIT)");
        return kh_kzalloc(kh, (size_t)size, GFP_NOWAIT);
    }
    phys_addr_t base = boot_alloc(kh, size, align);
    if (!base)
        return NULL;
    void *p = kh_phys_to_virt(kh, base);
    if (zero)
        memset(p, 0, size);
    return p;
}

void *kh_memblock_alloc(struct kh *kh, phys_addr_t size, phys_addr_t align)
{
    return alloc_virt(kh, size, align, true);
}

void *kh_memblock_alloc_raw(struct kh *kh, phys_addr_t size, phys_addr_t align)
{
    return alloc_virt(kh, size, align, false);
}

phys_addr_t kh_memblock_phys_alloc(struct kh *kh, phys_addr_t size, phys_addr_t align)
{
    if (!kh_boot_in_progress(kh)) {
        warn_late(kh, "memblock_phys_alloc");
        return 0;
    }
    return boot_alloc(kh, size, align);
}

int kh_memblock_reserve(struct kh *kh, phys_addr_t base, phys_addr_t size)
{
    if (!kh_boot_in_progress(kh)) {
        warn_late(kh, "memblock_reserve");
        return -1;
    }
    if (size == 0)
        return 0;
    /* the model's memory is low memory from one page up */
    if (base < mem_base(kh) || base > mem_limit(kh) || size > mem_limit(kh) - base)
        return -1;
    return reserve_any(kh->memblock, base, base + size);
}

/* ---- freeing ---- */

void kh_memblock_phys_free(struct kh *kh, phys_addr_t base, phys_addr_t size)
{
    struct kh_memblock_state *mb = kh->memblock;
    if (!kh_boot_in_progress(kh)) {
        warn_late(kh, "memblock_phys_free");
        return;
    }
    if (size == 0)
        return;
    long i = find_covering(mb, base, size);
    if (i < 0) {
        char what[160];
        snprintf(what, sizeof(what), "memblock_phys_free: [%#llx-%#llx] is not reserved "
                 "(double free or never allocated)", (unsigned long long)base,
                 (unsigned long long)(base + size - 1));
        warn(kh, "memblock_free of memory that is not reserved", base, what);
        return;
    }
    if (unreserve(mb, i, base, size) == 0)
        kh_poison(kh_phys_to_virt(kh, base), size);
}

void kh_memblock_free(struct kh *kh, void *ptr, size_t size)
{
    if (!ptr)
        return;
    if (!kh_addr_in_arena(kh, ptr)) {
        warn(kh, "memblock_free of memory that is not reserved", (uintptr_t)ptr,
             "memblock_free: address outside memory");
        return;
    }
    kh_memblock_phys_free(kh, kh_virt_to_phys(kh, ptr), size);
}

void kh_memblock_free_late(struct kh *kh, phys_addr_t base, phys_addr_t size)
{
    struct kh_memblock_state *mb = kh->memblock;
    if (kh_boot_phase(kh) != KH_BOOT_DONE) {
        warn(kh, "memblock_free_late before mem_init", base,
             "memblock_free_late: no memblock_free_all yet: use memblock_free");
        return;
    }
    long i = size ? find_covering(mb, base, size) : -1;
    if (i < 0) {
        warn(kh, "memblock_free of memory that is not reserved", base,
             "memblock_free_late: range is not reserved");
        return;
    }
    if (unreserve(mb, i, base, size) != 0)
        return;
    unsigned long first = (unsigned long)((base + kh->page_size - 1) >> kh->page_shift);
    unsigned long end = (unsigned long)((base + size) >> kh->page_shift);
    for (unsigned long pfn = first; pfn < end; pfn++)
        if (kh_page_alloc_release_reserved(kh, pfn) == 0)
            mb->reserved_pages--;
}

/* ---- the boot phase ---- */

/* Early boot is the page allocator's state (it refuses requests then);
 * memblock remembers only whether the hand-over happened. */
enum kh_boot_phase kh_boot_phase(const struct kh *kh)
{
    if (kh_page_alloc_before_mem_init(kh))
        return KH_BOOT_EARLY;
    return kh->memblock->handed_over ? KH_BOOT_DONE : KH_BOOT_NONE;
}

bool kh_boot_in_progress(const struct kh *kh) { return kh_page_alloc_before_mem_init(kh); }

int kh_boot_begin(struct kh *kh)
{
    struct kh_memblock_state *mb = kh->memblock;
    if (mb->handed_over || kh_page_alloc_boot_begin(kh) != 0) {
        warn(kh, "kh_boot_begin on a used instance", 0,
             "kh_boot_begin: the page allocator was already used (or the instance already "
             "booted): boot needs a fresh or reset instance");
        return -1;
    }
    mb->floor = mem_limit(kh);
    return 0;
}

/* Pages [first, end) touched by reserved region i and those after it that
 * share pages with it. Returns the index after the last region used. */
static unsigned long page_run(const struct kh *kh, unsigned long i, unsigned long *first,
                              unsigned long *end)
{
    const struct kh_memblock_state *mb = kh->memblock;
    phys_addr_t mask = kh->page_size - 1;
    *first = (unsigned long)(mb->regions[i].base >> kh->page_shift);
    *end = (unsigned long)((mb->regions[i].base + mb->regions[i].size + mask) >> kh->page_shift);
    for (i++; i < mb->nr && (mb->regions[i].base >> kh->page_shift) < *end; i++)
        *end = (unsigned long)((mb->regions[i].base + mb->regions[i].size + mask) >>
                               kh->page_shift);
    return i;
}

int kh_boot_end(struct kh *kh)
{
    struct kh_memblock_state *mb = kh->memblock;
    if (kh_boot_phase(kh) != KH_BOOT_EARLY) {
        warn(kh, "kh_boot_end outside early boot", 0,
             "memblock_free_all: not in early boot (kh_boot_begin first)");
        return -1;
    }
    unsigned long free_before = kh_nr_free_pages(kh), reserved = 0;
    for (unsigned long i = 0; i < mb->nr;) {
        unsigned long first, end;
        i = page_run(kh, i, &first, &end);
        if (kh_page_alloc_reserve_range(kh, first, end) != 0)
            return -1;   /* cannot happen: the page allocator was closed */
        reserved += end - first;
    }
    kh_page_alloc_mem_init(kh);
    mb->handed_over = true;
    mb->reserved_pages = reserved;
    mb->handed_over_pages = free_before - reserved;
    return 0;
}

/* ---- introspection ---- */

void kh_memblock_get_info(const struct kh *kh, struct kh_memblock_info *out)
{
    const struct kh_memblock_state *mb = kh->memblock;
    phys_addr_t bytes = 0;
    for (unsigned long i = 0; i < mb->nr; i++)
        bytes += mb->regions[i].size;
    *out = (struct kh_memblock_info){
        .phase = kh_boot_phase(kh), .limit = mem_limit(kh), .reserved_bytes = bytes,
        .nr_regions = mb->nr, .nr_allocs = mb->nr_allocs, .reserved_pages = mb->reserved_pages,
        .handed_over_pages = mb->handed_over_pages,
    };
}

int kh_memblock_for_each_reserved(const struct kh *kh, kh_memblock_region_fn fn, void *ctx)
{
    const struct kh_memblock_state *mb = kh->memblock;
    for (unsigned long i = 0; i < mb->nr; i++) {
        int r = fn(ctx, mb->regions[i].base, mb->regions[i].size);
        if (r)
            return r;
    }
    return 0;
}

#define violation(out, name, addr, ...) \
    kh_violations_add_named((out), SUBSYS, (name), (addr), __VA_ARGS__)

KH_NO_COVERAGE
static unsigned check_regions(struct kh *kh, struct kh_violations *out)
{
    const struct kh_memblock_state *mb = kh->memblock;
    unsigned n = 0;
    phys_addr_t prev_end = 0;
    for (unsigned long i = 0; i < mb->nr; i++) {
        const struct mb_region *r = &mb->regions[i];
        if (r->size == 0 || r->base < mem_base(kh) || r->base + r->size > mem_limit(kh) ||
            r->base + r->size < r->base)
            n += violation(out, "memblock-regions", NULL, "region %lu [%#llx, +%#llx) is empty "
                           "or outside memory", i, (unsigned long long)r->base,
                           (unsigned long long)r->size);
        else if (i > 0 && r->base <= prev_end)
            n += violation(out, "memblock-regions", NULL, "region %lu at %#llx %s region %lu",
                           i, (unsigned long long)r->base,
                           r->base < prev_end ? "overlaps or precedes" : "was not merged with",
                           i - 1);
        prev_end = r->base + r->size;
    }
    return n;
}

/* Every page a reserved region touches must be PG_reserved after mem_init. */
KH_NO_COVERAGE
static unsigned check_reserved_pages(struct kh *kh, struct kh_violations *out)
{
    const struct kh_memblock_state *mb = kh->memblock;
    unsigned n = 0;
    unsigned long counted = 0, last = KH_NO_PFN;
    for (unsigned long i = 0; i < mb->nr; i++) {
        const struct mb_region *r = &mb->regions[i];
        unsigned long first = (unsigned long)(r->base >> kh->page_shift);
        unsigned long end = (unsigned long)((r->base + r->size + kh->page_size - 1) >>
                                            kh->page_shift);
        for (unsigned long pfn = first; pfn < end && pfn < kh->nr_pages; pfn++) {
            if (pfn == last)
                continue;   /* a page shared with the previous region */
            last = pfn;
            counted++;
            if (kh->pages[pfn].flags != PG_reserved)
                n += violation(out, "memblock-reserved", kh_pfn_to_virt(kh, pfn),
                               "pfn %#lx of reserved region %lu has flags %#x", pfn, i,
                               kh->pages[pfn].flags);
        }
    }
    /* pages of partly released ranges may stay reserved without a region */
    if (counted > mb->reserved_pages)
        n += violation(out, "memblock-phase", NULL, "regions touch %lu pages, only %lu counted "
                       "reserved", counted, mb->reserved_pages);
    return n;
}

unsigned kh_memblock_validate(struct kh *kh, struct kh_violations *out)
{
    const struct kh_memblock_state *mb = kh->memblock;
    unsigned n = check_regions(kh, out);
    if (kh_boot_phase(kh) == KH_BOOT_NONE && mb->nr)
        n += violation(out, "memblock-phase", NULL, "%lu reserved regions without a boot phase",
                       mb->nr);
    if (kh_boot_phase(kh) == KH_BOOT_DONE && n == 0)
        n += check_reserved_pages(kh, out);
    return n;
}

#undef violation

/* ---- legacy bootmem names ---- */

static void *bootmem_or_panic(struct kh *kh, unsigned long size, unsigned long align, bool panic)
{
    void *p = kh_memblock_alloc(kh, size, align);
    if (!p && panic && kh_boot_in_progress(kh))
        kh_report(kh, KH_SEV_BUG, KH_R_OOM, SUBSYS, "bootmem allocation failed", 0,
                  "bootmem alloc of %lu bytes failed!\nKernel panic - not syncing: Out of "
                  "memory\n", size);
    return p;
}

void *kh_alloc_bootmem(struct kh *kh, unsigned long size)
{
    return bootmem_or_panic(kh, size, kh->cfg.cache_line, true);
}
void *kh_alloc_bootmem_align(struct kh *kh, unsigned long size, unsigned long align)
{
    return bootmem_or_panic(kh, size, align, true);
}
void *kh_alloc_bootmem_pages(struct kh *kh, unsigned long size)
{
    return bootmem_or_panic(kh, size, kh->page_size, true);
}
void *kh_alloc_bootmem_nopanic(struct kh *kh, unsigned long size)
{
    return bootmem_or_panic(kh, size, kh->cfg.cache_line, false);
}
void kh_free_bootmem(struct kh *kh, unsigned long physaddr, unsigned long size)
{
    kh_memblock_phys_free(kh, physaddr, size);
}

/* ---- lifecycle ---- */

const char *kh_memblock_init(struct kh *kh)
{
    kh->memblock = calloc(1, sizeof(*kh->memblock));
    return kh->memblock ? NULL : "out of host memory for the memblock state";
}

void kh_memblock_reset(struct kh *kh)
{
    struct kh_memblock_state *mb = kh->memblock;
    if (!mb)
        return;
    if (kh_boot_phase(kh) == KH_BOOT_EARLY && mb->floor < mem_limit(kh))
        kh_page_alloc_scrub(kh, (unsigned long)(mb->floor >> kh->page_shift),
                            (unsigned long)(mem_limit(kh) >> kh->page_shift));
    mb->handed_over = false;
    kh_page_alloc_mem_init(kh);   /* a reset ends early boot, as before any other reset */
    mb->nr = 0;
    mb->floor = 0;
    mb->nr_allocs = mb->reserved_pages = mb->handed_over_pages = 0;
}

void kh_memblock_destroy(struct kh *kh)
{
    if (!kh->memblock)
        return;
    free(kh->memblock->regions);
    free(kh->memblock);
    kh->memblock = NULL;
}
