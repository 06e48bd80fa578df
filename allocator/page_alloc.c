/* page_alloc.c - the buddy page allocator over a simulated physical arena.
 *
 * Memory model. The arena is a memfd mapped MAP_SHARED (vmalloc maps the
 * same pages again elsewhere); the struct page array is an anonymous
 * mapping. Both are reserved, not populated: untouched pages cost nothing.
 * Zones are laid out consecutively (DMA, DMA32, NORMAL, HIGHMEM); an empty
 * zone is absent.
 *
 * Free blocks. As in the kernel, each zone keeps free_area[order] lists of
 * naturally aligned blocks whose head page carries PG_buddy and the order.
 * Lists are LIFO and doubly linked through page.next/prev (pfns). Interior
 * pages never carry PG_buddy/PG_head, so the block holding any pfn is found
 * by probing the aligned-down pfns (kh_block_head).
 *
 * Lazy frontier. The maximal aligned max-order blocks of a zone form the
 * range [lazy_pfn, lazy_end): free, counted in free_area[top].nr_free and the
 * free page counters, but on no list and with pristine (zero) metadata. When
 * a max-order block is needed and the list is empty, the next one is carved
 * at lazy_pfn. Freed max-order blocks go on the list, never back. So
 * everything ever touched lies below the frontier or in the zone's unaligned
 * remainders, and reset only cleans that: its cost follows use, not size.
 * Contents are cleaner still: a bitmap of the pages handed out since the
 * last reset says which to zero, and reset zeroes them in place (a fuzzer's
 * next input touches them again without page faults) up to a budget.
 *
 * Allocation follows Linux 6.1: zone fallback from the gfp's preferred zone
 * downwards, a fast path at the LOW watermark, a slow path at MIN with the
 * __GFP_HIGH / __GFP_ATOMIC reductions, reserves for __GFP_MEMALLOC (and for
 * allocations made from inside reclaim), direct reclaim through registered
 * shrinkers, and __GFP_NOFAIL's last resort. lowmem_reserve keeps lower zones
 * for the callers that can only use them.
 *
 * __GFP_NOFAIL's last resort is the one the kernel's OOM path gives it:
 * every reserve (no watermarks). When even that finds no block the kernel
 * would loop forever; here that is a KH_R_OOM BUG and NULL.
 *
 * Misuse on free is checked before anything changes and reported as the
 * kernel's "BUG: Bad page state"; the call then returns with the allocator
 * untouched. PG_touched marks pages that were ever handed out as a block
 * head, which tells a double free (even after the block merged away) from a
 * free of memory that was never allocated.
 *
 * The arena is mapped at an address aligned to the largest block, so a
 * block's address is aligned to its size, as in the kernel's direct map.
 *
 * ASan. Every free page is poisoned. An arena above POISON_EAGER_BYTES
 * (the 16 KiB and 64 KiB page profiles: 2 and 4 GiB) has its lazy regions
 * poisoned only as they are first carved (or opened up by a boot):
 * poisoning 4 GiB at creation would write 512 MB of shadow memory, which
 * every fuzz input's resident set would carry. The price is that a stray
 * access to memory never carved is left to the validators, not ASan.
 * zone->poisoned_end is how far a zone's lazy region has been poisoned;
 * nothing lowers it, because whatever a run unpoisons below it is dirty
 * (or memblock's) and poisoned again by reset.
 */
#define POISON_EAGER_BYTES (1ull << 30)
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"

#define MAX_RECLAIM_RETRIES 16
#define PAGE_ALLOC_COSTLY_ORDER 3
#define SWAP_CLUSTER_MAX 32ul

static const char *const zone_names[MAX_NR_ZONES] = { "DMA", "DMA32", "Normal", "HighMem" };
/* sysctl_lowmem_reserve_ratio in 6.1; HIGHMEM protects nothing above it. */
static const unsigned lowmem_reserve_ratio[MAX_NR_ZONES] = { 256, 256, 32, 0 };

/* ---- small helpers ---- */

static unsigned top_order(const struct kh *kh) { return kh->max_order - 1; }
static unsigned long max_block(const struct kh *kh) { return 1ul << top_order(kh); }
static bool zone_present(const struct zone *z) { return z->end_pfn > z->start_pfn; }
static unsigned long kib(const struct kh *kh, unsigned long pages)
{
    return pages << (kh->page_shift - 10);
}

const struct zone *kh_pfn_zone(const struct kh *kh, unsigned long pfn)
{
    for (int z = 0; z < MAX_NR_ZONES; z++) {
        const struct zone *zone = &kh->zones[z];
        if (pfn >= zone->start_pfn && pfn < zone->end_pfn)
            return zone;
    }
    return NULL;
}

static struct zone *zone_of(struct kh *kh, unsigned long pfn)
{
    return (struct zone *)kh_pfn_zone(kh, pfn);
}

static bool in_lazy(const struct zone *zone, unsigned long pfn)
{
    return pfn >= zone->lazy_pfn && pfn < zone->lazy_end;
}

static void poison_block(struct kh *kh, unsigned long pfn, unsigned order)
{
    kh_poison(kh_pfn_to_virt(kh, pfn), kh->page_size << order);
}

static void unpoison_block(struct kh *kh, unsigned long pfn, unsigned order)
{
    kh_unpoison(kh_pfn_to_virt(kh, pfn), kh->page_size << order);
}

/* Poisons the zone's lazy region up to pfn, the first time it gets there. */
static void poison_lazy_upto(struct kh *kh, struct zone *zone, unsigned long pfn)
{
    if (pfn <= zone->poisoned_end)
        return;
    kh_poison(kh_pfn_to_virt(kh, zone->poisoned_end), (pfn - zone->poisoned_end) << kh->page_shift);
    zone->poisoned_end = pfn;
}

static void mark(void *addr, size_t bytes, bool poison)
{
    if (poison)
        kh_poison(addr, bytes);
    else
        kh_unpoison(addr, bytes);
}

/* At creation (poison): everything, or everything but the lazy regions of
 * a large arena. At destruction (unpoison): the same, plus each lazy
 * region as far as it was poisoned since (poisoned_end), so that the host
 * may reuse the range; unpoisoning all of a 4 GiB arena would write 512 MB
 * of shadow memory. */
static void mark_arena(struct kh *kh, bool poison)
{
    if (((uint64_t)kh->nr_pages << kh->page_shift) <= POISON_EAGER_BYTES) {
        mark(kh->arena, (size_t)kh->nr_pages << kh->page_shift, poison);
        for (int z = 0; poison && z < MAX_NR_ZONES; z++)
            kh->zones[z].poisoned_end = kh->zones[z].lazy_end;
        return;
    }
    unsigned long from = 0;
    for (int z = 0; z < MAX_NR_ZONES; z++) {
        struct zone *zone = &kh->zones[z];
        if (!zone_present(zone))
            continue;
        unsigned long upto = poison ? zone->lazy_pfn : zone->poisoned_end;
        if (upto > from)
            mark(kh_pfn_to_virt(kh, from), (upto - from) << kh->page_shift, poison);
        if (poison)
            zone->poisoned_end = zone->lazy_pfn;
        from = zone->lazy_end > from ? zone->lazy_end : from;
    }
    if (kh->nr_pages > from)
        mark(kh_pfn_to_virt(kh, from), (kh->nr_pages - from) << kh->page_shift, poison);
}

/* ---- free lists ---- */

static void list_add(struct kh *kh, struct zone *zone, unsigned long pfn, unsigned order)
{
    struct free_area *area = &zone->free_area[order];
    struct page *page = &kh->pages[pfn];
    page->flags = (page->flags & PG_touched) | PG_buddy;
    page->order = (uint8_t)order;
    page->zone = (uint8_t)zone->type;
    page->private = NULL;
    page->prev = KH_NO_PFN;
    page->next = area->head;
    if (area->head != KH_NO_PFN)
        kh->pages[area->head].prev = (uint32_t)pfn;
    area->head = (uint32_t)pfn;
    area->nr_free++;
}

static void list_del(struct kh *kh, struct zone *zone, unsigned long pfn, unsigned order)
{
    struct free_area *area = &zone->free_area[order];
    struct page *page = &kh->pages[pfn];
    if (page->prev != KH_NO_PFN)
        kh->pages[page->prev].next = page->next;
    else
        area->head = page->next;
    if (page->next != KH_NO_PFN)
        kh->pages[page->next].prev = page->prev;
    page->next = page->prev = 0;
    page->flags &= ~(uint32_t)PG_buddy;
    page->order = 0;
    area->nr_free--;
}

/* Puts [from, to) on the lists as maximal naturally aligned blocks. */
static void add_range(struct kh *kh, struct zone *zone, unsigned long from, unsigned long to)
{
    while (from < to) {
        unsigned order = top_order(kh);
        while (order > 0 && ((from & ((1ul << order) - 1)) || from + (1ul << order) > to))
            order--;
        list_add(kh, zone, from, order);
        from += 1ul << order;
    }
}

/* The free state a zone has right after creation: remainders listed, the
 * aligned middle lazy. Touches only remainder metadata. */
static void zone_init_free(struct kh *kh, struct zone *zone)
{
    for (unsigned o = 0; o < KH_MAX_ORDER_LIMIT; o++)
        zone->free_area[o] = (struct free_area){ .head = KH_NO_PFN, .nr_free = 0 };
    zone->free_pages = 0;
    if (!zone_present(zone)) {
        zone->lazy_pfn = zone->lazy_end = zone->start_pfn;
        return;
    }
    unsigned long blk = max_block(kh);
    unsigned long ls = (zone->start_pfn + blk - 1) & ~(blk - 1);
    unsigned long le = zone->end_pfn & ~(blk - 1);
    if (ls >= le)
        ls = le = zone->end_pfn;   /* no whole max-order block: all remainder */
    zone->lazy_pfn = ls;
    zone->lazy_end = le;
    zone->free_area[top_order(kh)].nr_free = (le - ls) / blk;
    add_range(kh, zone, zone->start_pfn, ls);
    add_range(kh, zone, le, zone->end_pfn);
    zone->free_pages = zone->managed_pages;
}

/* ---- watermarks and lowmem_reserve (6.1 rules) ---- */

static unsigned long int_sqrt(unsigned long long x)
{
    unsigned long long r = 0, bit = 1ull << 62;
    while (bit > x)
        bit >>= 2;
    while (bit) {
        if (x >= r + bit) {
            x -= r + bit;
            r = (r >> 1) + bit;
        } else {
            r >>= 1;
        }
        bit >>= 2;
    }
    return (unsigned long)r;
}

static void setup_watermarks(struct kh *kh)
{
    unsigned long lowmem = 0;
    for (int z = 0; z < ZONE_HIGHMEM; z++)
        lowmem += kh->zones[z].managed_pages;

    unsigned long min_kb = kh->cfg.min_free_kbytes;
    if (!min_kb) {
        min_kb = int_sqrt((unsigned long long)kib(kh, lowmem) * 16);
        if (min_kb < 128)
            min_kb = 128;
        if (min_kb > 262144)
            min_kb = 262144;
    }
    kh->min_free_pages = min_kb >> (kh->page_shift - 10);

    for (int z = 0; z < MAX_NR_ZONES; z++) {
        struct zone *zone = &kh->zones[z];
        unsigned long managed = zone->managed_pages;
        unsigned long share = lowmem ? (unsigned long)((unsigned long long)kh->min_free_pages *
                                                       managed / lowmem) : 0;
        unsigned long min = share;
        if (z == ZONE_HIGHMEM) {
            /* highmem is not used for kernel reserves: a small fixed pool */
            min = managed / 1024;
            min = min < SWAP_CLUSTER_MAX ? SWAP_CLUSTER_MAX : min > 128 ? 128 : min;
        }
        unsigned long scaled = (unsigned long)((unsigned long long)managed *
                                               kh->cfg.watermark_scale_factor / 10000);
        unsigned long delta = share / 4 > scaled ? share / 4 : scaled;
        if (!zone_present(zone))
            min = delta = 0;
        zone->wmark[WMARK_MIN] = min;
        zone->wmark[WMARK_LOW] = min + delta;
        zone->wmark[WMARK_HIGH] = min + 2 * delta;
    }
}

static void setup_lowmem_reserve(struct kh *kh)
{
    for (int i = 0; i < MAX_NR_ZONES; i++) {
        struct zone *zone = &kh->zones[i];
        unsigned long above = 0;
        memset(zone->lowmem_reserve, 0, sizeof(zone->lowmem_reserve));
        for (int j = i + 1; j < MAX_NR_ZONES; j++) {
            above += kh->zones[j].managed_pages;
            if (lowmem_reserve_ratio[i] && zone->managed_pages)
                zone->lowmem_reserve[j] = above / lowmem_reserve_ratio[i];
        }
    }
}

/* ---- lifecycle ---- */

static void zones_layout(struct kh *kh)
{
    unsigned long pfn = 0;
    for (int z = 0; z < MAX_NR_ZONES; z++) {
        struct zone *zone = &kh->zones[z];
        unsigned long n = (unsigned long)(kh->cfg.zone_bytes[z] >> kh->page_shift);
        memset(zone, 0, sizeof(*zone));
        zone->name = zone_names[z];
        zone->type = (enum zone_type)z;
        zone->start_pfn = pfn;
        zone->end_pfn = pfn + n;
        zone->managed_pages = n;
        pfn += n;
    }
    kh->nr_pages = pfn;
    kh->arena_bytes = (uintptr_t)pfn << kh->page_shift;
}

static void reset_free_state(struct kh *kh)
{
    kh->total_free = 0;
    for (int z = 0; z < MAX_NR_ZONES; z++) {
        zone_init_free(kh, &kh->zones[z]);
        kh->total_free += kh->zones[z].free_pages;
    }
}

/* Maps the memfd at an address aligned to the largest block, so every
 * block's address is aligned to its size as in the kernel's direct map. */
static void *map_arena_aligned(int fd, size_t bytes, size_t align)
{
    size_t span = bytes + align;
    void *res = mmap(NULL, span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (res == MAP_FAILED)
        return MAP_FAILED;
    uintptr_t lo = (uintptr_t)res, start = (lo + align - 1) & ~(uintptr_t)(align - 1);
    void *arena = mmap((void *)start, bytes, PROT_READ | PROT_WRITE,
                       MAP_SHARED | MAP_FIXED | MAP_NORESERVE, fd, 0);
    if (arena == MAP_FAILED) {
        munmap(res, span);
        return MAP_FAILED;
    }
    if (start > lo)
        munmap(res, start - lo);
    if (lo + span > start + bytes)
        munmap((void *)(start + bytes), lo + span - (start + bytes));
    return arena;
}

const char *kh_page_alloc_init(struct kh *kh)
{
    zones_layout(kh);
    size_t arena_bytes = (size_t)kh->nr_pages << kh->page_shift;
    long host_page = sysconf(_SC_PAGESIZE);
    kh->pages_bytes = (kh->nr_pages * sizeof(struct page) + (size_t)host_page - 1) &
                      ~((size_t)host_page - 1);

    kh->memfd = memfd_create("kh-arena", MFD_CLOEXEC);
    if (kh->memfd < 0)
        return "memfd_create failed for the arena";
    if (ftruncate(kh->memfd, (off_t)arena_bytes) != 0) {
        kh_page_alloc_destroy(kh);
        return "cannot size the arena memfd";
    }
    void *arena = map_arena_aligned(kh->memfd, arena_bytes, kh->page_size << top_order(kh));
    if (arena == MAP_FAILED) {
        kh_page_alloc_destroy(kh);
        return "cannot map the arena";
    }
    kh->arena = arena;
    void *pages = mmap(NULL, kh->pages_bytes, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (pages == MAP_FAILED) {
        kh_page_alloc_destroy(kh);
        return "cannot map the struct page array";
    }
    kh->pages = pages;
    kh->dirty = calloc((kh->nr_pages + 63) / 64, sizeof(*kh->dirty));
    if (!kh->dirty) {
        kh_page_alloc_destroy(kh);
        return "out of memory for the dirty-page map";
    }
    kh->dirty_lo = 1;   /* empty */
    kh->dirty_hi = 0;

    setup_watermarks(kh);
    setup_lowmem_reserve(kh);
    reset_free_state(kh);
    mark_arena(kh, true);   /* all free: any access is a bug */
    kh->in_reclaim = false;
    return NULL;
}

void kh_page_alloc_destroy(struct kh *kh)
{
    size_t arena_bytes = (size_t)kh->nr_pages << kh->page_shift;
    if (kh->arena) {
        mark_arena(kh, false);   /* the range may be reused by the host */
        munmap(kh->arena, arena_bytes);
    }
    if (kh->pages)
        munmap(kh->pages, kh->pages_bytes);
    if (kh->memfd >= 0)
        close(kh->memfd);
    free(kh->dirty);
    kh->dirty = NULL;
    kh->arena = NULL;
    kh->pages = NULL;
    kh->memfd = -1;
}

/* Zeroes the metadata of [from, to); large spans are dropped back to the
 * kernel's zero page rather than written. */
static void zero_meta(struct kh *kh, unsigned long from, unsigned long to)
{
    if (from >= to)
        return;
    uintptr_t lo = (uintptr_t)&kh->pages[from], hi = (uintptr_t)&kh->pages[to];
    uintptr_t hp = (uintptr_t)sysconf(_SC_PAGESIZE);
    uintptr_t alo = (lo + hp - 1) & ~(hp - 1), ahi = hi & ~(hp - 1);
    if (ahi > alo && ahi - alo >= 16 * hp &&
        madvise((void *)alo, ahi - alo, MADV_DONTNEED) == 0) {
        memset((void *)lo, 0, alo - lo);
        memset((void *)ahi, 0, hi - ahi);
        return;
    }
    memset((void *)lo, 0, hi - lo);
}

/* ---- dirty pages ----
 * A page is dirty from the moment it is handed out (as part of a block, or
 * reserved at the boot hand-over) until the next reset: only dirty pages
 * can hold data or be unpoisoned, so only they need cleaning. Reset zeroes
 * them in place, up to SCRUB_KEEP_BYTES, rather than dropping them from the
 * memfd: the next input most likely touches the same pages again, and a
 * page kept mapped costs it no page fault (nor the host's clearing of the
 * page). Runs past that budget are dropped, so a long fuzzing run does not
 * keep the largest input's footprint. */
#define SCRUB_KEEP_BYTES (8ul << 20)

/* Below this a memset is cheaper than the system call and the page faults
 * that follow it. */
#define ZERO_BY_PUNCH_BYTES (256ul << 10)

void kh_arena_zero(struct kh *kh, void *va, size_t len)
{
    uintptr_t lo = (uintptr_t)va, hi = lo + len;
    uintptr_t hp = (uintptr_t)sysconf(_SC_PAGESIZE);
    uintptr_t alo = (lo + hp - 1) & ~(hp - 1), ahi = hi & ~(hp - 1);
    if (len >= ZERO_BY_PUNCH_BYTES && ahi > alo &&
        fallocate(kh->memfd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                  (off_t)(alo - (uintptr_t)kh->arena), (off_t)(ahi - alo)) == 0) {
        memset(va, 0, alo - lo);
        memset((void *)ahi, 0, hi - ahi);
        return;
    }
    memset(va, 0, len);
}

static void mark_dirty(struct kh *kh, unsigned long start, unsigned long n)
{
    unsigned long end = start + n;
    for (unsigned long pfn = start; pfn < end;) {
        unsigned bit = pfn & 63;
        unsigned long take = 64 - bit < end - pfn ? 64 - bit : end - pfn;
        kh->dirty[pfn >> 6] |= (take == 64 ? ~0ull : ((1ull << take) - 1)) << bit;
        pfn += take;
    }
    unsigned long lo = start >> 6, hi = (end - 1) >> 6;
    if (kh->dirty_lo > kh->dirty_hi) {   /* nothing dirty yet */
        kh->dirty_lo = lo;
        kh->dirty_hi = hi;
    } else {
        kh->dirty_lo = lo < kh->dirty_lo ? lo : kh->dirty_lo;
        kh->dirty_hi = hi > kh->dirty_hi ? hi : kh->dirty_hi;
    }
}

static void scrub_run(struct kh *kh, unsigned long from, unsigned long to, size_t *keep)
{
    unsigned char *va = kh_pfn_to_virt(kh, from);
    size_t len = (size_t)(to - from) << kh->page_shift;
    if (len <= *keep) {
        kh_unpoison(va, len);
        memset(va, 0, len);
        *keep -= len;
    } else if (fallocate(kh->memfd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                         (off_t)(va - kh->arena), (off_t)len) != 0) {
        kh_unpoison(va, len);
        memset(va, 0, len);
    }
    kh_poison(va, len);
}

/* Drops the contents of [from, to) so they read back as zeros, and poisons
 * them again: the state of a fresh arena (nothing kept mapped). */
static void scrub_arena(struct kh *kh, unsigned long from, unsigned long to)
{
    size_t keep = 0;
    if (from < to)
        scrub_run(kh, from, to, &keep);
}

/* Cleans every dirty run of pages and forgets them. */
static void scrub_dirty(struct kh *kh)
{
    size_t keep = SCRUB_KEEP_BYTES;
    unsigned long run = KH_NO_PFN;
    for (unsigned long w = kh->dirty_lo; w <= kh->dirty_hi && kh->dirty_lo <= kh->dirty_hi; w++) {
        uint64_t bits = kh->dirty[w];
        kh->dirty[w] = 0;
        for (unsigned b = 0; b < 64;) {
            bool set = (bits >> b) & 1;
            unsigned long pfn = (w << 6) + b;
            if (set && run == KH_NO_PFN)
                run = pfn;
            if (!set && run != KH_NO_PFN) {
                scrub_run(kh, run, pfn, &keep);
                run = KH_NO_PFN;
            }
            /* skip the rest of a word that is all set or all clear */
            uint64_t rest = set ? ~bits >> b : bits >> b;
            b = rest ? b + (unsigned)__builtin_ctzll(rest) : 64;
        }
    }
    if (run != KH_NO_PFN)
        scrub_run(kh, run, (kh->dirty_hi + 1) << 6, &keep);
    kh->dirty_lo = 1;
    kh->dirty_hi = 0;
}

static void undo_reservations(struct kh *kh);   /* boot hand-over section */

void kh_page_alloc_reset(struct kh *kh)
{
    for (int z = 0; z < MAX_NR_ZONES; z++) {
        struct zone *zone = &kh->zones[z];
        if (!zone_present(zone))
            continue;
        zero_meta(kh, zone->start_pfn, zone->lazy_pfn);
        zero_meta(kh, zone->lazy_end, zone->end_pfn);
    }
    scrub_dirty(kh);
    undo_reservations(kh);   /* boot-time reservations end with the boot */
    reset_free_state(kh);
    kh->in_reclaim = false;
    kh->before_mem_init = false;   /* a reset instance is booted again */
}

/* ---- block lookup ---- */

unsigned long kh_block_head(const struct kh *kh, unsigned long pfn)
{
    const struct zone *zone = kh_pfn_zone(kh, pfn);
    if (!zone || in_lazy(zone, pfn))
        return KH_NO_PFN;
    for (unsigned o = 0; o < kh->max_order; o++) {
        unsigned long head = pfn & ~((1ul << o) - 1);
        if (head < zone->start_pfn)
            break;
        const struct page *p = &kh->pages[head];
        if ((p->flags & (PG_buddy | PG_head)) && p->order < kh->max_order &&
            head + (1ul << p->order) > pfn)
            return head;
    }
    return KH_NO_PFN;
}

/* ---- allocation core ---- */

/* Takes a block of `order` from zone's lists (or the lazy frontier),
 * splitting larger blocks. Returns its pfn or KH_NO_PFN. */
static unsigned long rmqueue_smallest(struct kh *kh, struct zone *zone, unsigned order)
{
    unsigned top = top_order(kh);
#ifdef KH_PLANT_SPLIT_LARGER
    /* planted bug: a larger block is split while one of the order is free */
    for (unsigned o = order + (order < top && zone->free_area[order + 1].head != KH_NO_PFN); o <= top; o++) {
#else
    for (unsigned o = order; o <= top; o++) {
#endif
        struct free_area *area = &zone->free_area[o];
        unsigned long pfn;
        if (area->head != KH_NO_PFN) {
            pfn = area->head;
            list_del(kh, zone, pfn, o);
        } else if (o == top && zone->lazy_pfn < zone->lazy_end) {
            pfn = zone->lazy_pfn;
            zone->lazy_pfn += max_block(kh);
            poison_lazy_upto(kh, zone, zone->lazy_pfn);
            area->nr_free--;
        } else {
            continue;
        }
        while (o > order) {   /* upper halves back to the lower lists */
#ifdef KH_PLANT_SPLIT_ORDER
            list_add(kh, zone, pfn + (1ul << (o - 1)), o);  /* planted bug: the half keeps its parent's order */
            o--;
#else
            o--;
            list_add(kh, zone, pfn + (1ul << o), o);
#endif
        }
        struct page *page = &kh->pages[pfn];
        page->flags = PG_head | PG_touched;
        page->order = (uint8_t)order;
        page->zone = (uint8_t)zone->type;
        page->private = NULL;
        zone->free_pages -= 1ul << order;
        kh->total_free -= 1ul << order;
        return pfn;
    }
    return KH_NO_PFN;
}

static bool has_block_of_order(const struct kh *kh, const struct zone *zone, unsigned order)
{
    for (unsigned o = order; o < kh->max_order; o++)
        if (zone->free_area[o].nr_free)
            return true;
    return false;
}

/* alloc_flags, as in the kernel's gfp_to_alloc_flags */
enum {
    ALLOC_HIGH = 1u << 0,          /* __GFP_HIGH: half of MIN */
    ALLOC_HARDER = 1u << 1,        /* __GFP_ATOMIC: a further quarter */
    ALLOC_NO_WATERMARKS = 1u << 2, /* reserves: any free block */
};

static bool zone_watermark_ok(const struct kh *kh, const struct zone *zone, unsigned order,
                              unsigned long mark, enum zone_type classzone, unsigned aflags)
{
    long free = (long)zone->free_pages - ((1l << order) - 1);
    long min = (long)mark;
    if (aflags & ALLOC_HIGH)
        min -= min / 2;
    if (aflags & ALLOC_HARDER)
        min -= min / 4;
    if (free <= min + (long)zone->lowmem_reserve[classzone])
        return false;
    return order == 0 || has_block_of_order(kh, zone, order);
}

struct alloc_context {
    gfp_t gfp;
    unsigned order;
    enum zone_type classzone;       /* highest zone the gfp allows */
    enum zone_type zonelist[MAX_NR_ZONES];
    unsigned nr_zones;
};

static enum zone_type gfp_zone(gfp_t gfp)
{
    if (gfp & __GFP_DMA)
        return ZONE_DMA;
    if (gfp & __GFP_DMA32)
        return ZONE_DMA32;
    if (gfp & __GFP_HIGHMEM)
        return ZONE_HIGHMEM;
    return ZONE_NORMAL;
}

static void prepare_context(const struct kh *kh, gfp_t gfp, unsigned order,
                            struct alloc_context *ac)
{
    ac->gfp = gfp;
    ac->order = order;
    ac->classzone = gfp_zone(gfp);
    ac->nr_zones = 0;
#ifdef KH_PLANT_ZONE_ORDER
    for (int z = 0; z <= (int)ac->classzone; z++)  /* planted bug: the zones are tried lowest first */
#else
    for (int z = (int)ac->classzone; z >= 0; z--)
#endif
        if (zone_present(&kh->zones[z]))
            ac->zonelist[ac->nr_zones++] = (enum zone_type)z;
}

static struct page *finish_alloc(struct kh *kh, unsigned long pfn, gfp_t gfp, unsigned order)
{
    mark_dirty(kh, pfn, 1ul << order);
    unpoison_block(kh, pfn, order);
    if (gfp & __GFP_ZERO)
        kh_arena_zero(kh, kh_pfn_to_virt(kh, pfn), kh->page_size << order);
    return &kh->pages[pfn];
}

/* Tries the zones in fallback order; wmark is ignored with NO_WATERMARKS. */
static struct page *get_page_from_freelist(struct kh *kh, const struct alloc_context *ac,
                                           int wmark, unsigned aflags)
{
    for (unsigned i = 0; i < ac->nr_zones; i++) {
        struct zone *zone = &kh->zones[ac->zonelist[i]];
        if (!(aflags & ALLOC_NO_WATERMARKS) &&
            !zone_watermark_ok(kh, zone, ac->order, zone->wmark[wmark], ac->classzone, aflags))
            continue;
        unsigned long pfn = rmqueue_smallest(kh, zone, ac->order);
        if (pfn != KH_NO_PFN)
            return finish_alloc(kh, pfn, ac->gfp, ac->order);
    }
    return NULL;
}

static unsigned gfp_to_alloc_flags(const struct kh *kh, gfp_t gfp)
{
    unsigned aflags = 0;
#ifdef KH_PLANT_GFP_HIGH_WMARK
    if (gfp & __GFP_ATOMIC)   /* planted bug: tests the wrong bit, so __GFP_HIGH alone never lowers MIN */
#else
    if (gfp & __GFP_HIGH)
#endif
        aflags |= ALLOC_HIGH;
    /* 6.1: __GFP_ATOMIC; 6.12: a __GFP_HIGH request that may not block
     * (SPEC 10); never with __GFP_NOMEMALLOC */
    bool harder = kh_kernel_traits(kh)->harder_from_gfp_atomic
                      ? (gfp & __GFP_ATOMIC) != 0
                      : (gfp & __GFP_HIGH) && !(gfp & __GFP_DIRECT_RECLAIM);
    if (harder && !(gfp & __GFP_NOMEMALLOC))
        aflags |= ALLOC_HARDER;
    return aflags;
}

/* __GFP_MEMALLOC, or an allocation made from inside reclaim (the kernel's
 * PF_MEMALLOC), may use every reserve unless __GFP_NOMEMALLOC forbids it. */
static bool may_use_reserves(const struct kh *kh, gfp_t gfp)
{
    if (gfp & __GFP_NOMEMALLOC)
        return false;
    return (gfp & __GFP_MEMALLOC) || kh->in_reclaim;
}

static unsigned long run_shrinkers(struct kh *kh, unsigned order)
{
    unsigned long wanted = 1ul << order, released = 0;
    if (wanted < SWAP_CLUSTER_MAX)
        wanted = SWAP_CLUSTER_MAX;
    kh->in_reclaim = true;
    for (unsigned i = 0; i < kh->nr_shrinkers; i++) {
        struct kh_shrinker s = kh->shrinkers[i];
        released += s.fn(kh, s.ctx, wanted);
    }
    kh->in_reclaim = false;
    return released;
}

unsigned long kh_drop_caches(struct kh *kh) { return run_shrinkers(kh, 0); }

/* ---- reports ---- */

static void warn_alloc(struct kh *kh, gfp_t gfp, unsigned order)
{
#ifdef KH_PLANT_WARN_NORETRY
    if (gfp & __GFP_NORETRY)  /* planted bug: the wrong gfp bit silences the failure report */
#else
    if (gfp & __GFP_NOWARN)
#endif
        return;
    char flags[256], text[1536];
    gfp_format(gfp, flags, sizeof(flags));
    int len = snprintf(text, sizeof(text),
                       "kmem-harness: page allocation failure: order:%u, mode:%#x(%s), "
                       "nodemask=(null)\nMem-Info:\n", order, gfp, flags);
    for (int z = 0; z < MAX_NR_ZONES && len > 0 && (size_t)len < sizeof(text); z++) {
        const struct zone *zone = &kh->zones[z];
        if (!zone_present(zone))
            continue;
        len += snprintf(text + len, sizeof(text) - (size_t)len,
                        "Node 0 %s free:%lukB min:%lukB low:%lukB high:%lukB managed:%lukB\n",
                        zone->name, kib(kh, zone->free_pages), kib(kh, zone->wmark[WMARK_MIN]),
                        kib(kh, zone->wmark[WMARK_LOW]), kib(kh, zone->wmark[WMARK_HIGH]),
                        kib(kh, zone->managed_pages));
    }
    kh_report(kh, KH_SEV_WARN, KH_R_PAGE_ALLOC_FAILURE, "page_alloc", "page allocation failure",
              0, "%s", text);
}

static void warn_gfp(struct kh *kh, gfp_t gfp, const char *reason, const char *what)
{
    if (gfp & __GFP_NOWARN)
        return;
    char flags[256];
    gfp_format(gfp, flags, sizeof(flags));
    kh_report(kh, KH_SEV_WARN, KH_R_WARN, "page_alloc", reason, 0,
              "WARNING: CPU: %u PID: 1 at mm/page_alloc.c: %s, mode:%#x(%s)\n",
              kh->current_cpu, what, gfp, flags);
}

/* ---- the allocation paths ---- */

static struct page *nofail_last_resort(struct kh *kh, const struct alloc_context *ac)
{
    if (!(ac->gfp & __GFP_DIRECT_RECLAIM)) {
        /* every __GFP_NOFAIL user is supposed to be able to block */
        warn_gfp(kh, ac->gfp, "__GFP_NOFAIL without __GFP_DIRECT_RECLAIM",
                 "__GFP_NOFAIL allocation that cannot reclaim");
        warn_alloc(kh, ac->gfp, ac->order);
        return NULL;
    }
    /* the kernel's OOM path gives NOFAIL every reserve before looping */
    struct page *page = get_page_from_freelist(kh, ac, WMARK_MIN, ALLOC_NO_WATERMARKS);
    if (page)
        return page;
    char flags[256];
    gfp_format(ac->gfp, flags, sizeof(flags));
    kh_report(kh, KH_SEV_BUG, KH_R_OOM, "page_alloc",
              "__GFP_NOFAIL allocation cannot make progress", 0,
              "BUG: __GFP_NOFAIL allocation cannot make progress: would loop forever "
              "(order:%u, mode:%#x(%s), free:%lukB)\n",
              ac->order, ac->gfp, flags, kib(kh, kh->total_free));
    return NULL;
}

static struct page *alloc_slowpath(struct kh *kh, const struct alloc_context *ac)
{
    gfp_t gfp = ac->gfp;
    unsigned aflags = gfp_to_alloc_flags(kh, gfp);
    struct page *page = get_page_from_freelist(kh, ac, WMARK_MIN, aflags);
    if (page)
        return page;
    if (may_use_reserves(kh, gfp)) {
        /* from here on, reclaim's retries too ignore the watermarks
         * (6.1 folds the reserve flags into alloc_flags for good) */
        aflags = ALLOC_NO_WATERMARKS;
        page = get_page_from_freelist(kh, ac, WMARK_MIN, aflags);
        if (page)
            return page;
    }
    /* in_reclaim: a shrinker allocating must not recurse into reclaim */
#ifdef KH_PLANT_RECLAIM_ANY_BIT
    if ((gfp & __GFP_RECLAIM) && !kh->in_reclaim) {  /* planted bug: kswapd's bit lets GFP_ATOMIC reclaim */
#else
    if ((gfp & __GFP_DIRECT_RECLAIM) && !kh->in_reclaim) {
#endif
        bool costly = ac->order > PAGE_ALLOC_COSTLY_ORDER;
        for (unsigned round = 0; round < MAX_RECLAIM_RETRIES; round++) {
            unsigned long progress = run_shrinkers(kh, ac->order);
            page = get_page_from_freelist(kh, ac, WMARK_MIN, aflags);
            if (page)
                return page;
#ifdef KH_PLANT_NORETRY_RECLAIM
            if ((gfp & __GFP_ATOMIC) || (costly && !(gfp & __GFP_RETRY_MAYFAIL)))  /* planted bug: NORETRY retries */
#else
            if ((gfp & __GFP_NORETRY) || (costly && !(gfp & __GFP_RETRY_MAYFAIL)))
#endif
                break;
            if (!progress)
                break;
        }
    }
    if (gfp & __GFP_NOFAIL)
        return nofail_last_resort(kh, ac);
    warn_alloc(kh, gfp, ac->order);
    return NULL;
}

static struct page *refuse_before_mem_init(struct kh *kh, gfp_t gfp, unsigned order);

struct page *kh_alloc_pages(struct kh *kh, gfp_t gfp, unsigned order)
{
    if (kh->before_mem_init)
        return refuse_before_mem_init(kh, gfp, order);
#ifdef KH_PLANT_ORDER_LIMIT
    if (order > kh->max_order) {  /* planted bug: an order of exactly MAX_ORDER is let through */
#else
    if (order >= kh->max_order) {
#endif
        if (!(gfp & __GFP_NOWARN))
            kh_report(kh, KH_SEV_WARN, KH_R_WARN, "page_alloc", "order above max", 0,
                      "WARNING: CPU: %u PID: 1 at mm/page_alloc.c: __alloc_pages: "
                      "order:%u >= MAX_ORDER:%u\n", kh->current_cpu, order, kh->max_order);
        return NULL;
    }
    if (kh_should_fail(kh, KH_FAULT_PAGE, gfp, order)) {
        warn_alloc(kh, gfp, order);
        return NULL;
    }
    if ((gfp & __GFP_NOFAIL) && order > 1)
        warn_gfp(kh, gfp, "__GFP_NOFAIL with order > 1", "__GFP_NOFAIL with order > 1");

    struct alloc_context ac;
    prepare_context(kh, gfp, order, &ac);
    struct page *page = get_page_from_freelist(kh, &ac, WMARK_LOW, 0);
    if (page)
        return page;
    return alloc_slowpath(kh, &ac);
}

unsigned long kh___get_free_pages(struct kh *kh, gfp_t gfp, unsigned order)
{
    struct page *page = kh_alloc_pages(kh, gfp & ~__GFP_HIGHMEM, order);
    return page ? (unsigned long)kh_page_address(kh, page) : 0;
}

unsigned long kh_get_zeroed_page(struct kh *kh, gfp_t gfp)
{
    return kh___get_free_pages(kh, gfp | __GFP_ZERO, 0);
}

/* ---- freeing ---- */

static void merge_and_add(struct kh *kh, struct zone *zone, unsigned long pfn, unsigned order)
{
    while (order < top_order(kh)) {
        unsigned long buddy = pfn ^ (1ul << order);
        if (buddy < zone->start_pfn || buddy + (1ul << order) > zone->end_pfn ||
            in_lazy(zone, buddy))
            break;
        const struct page *bp = &kh->pages[buddy];
        if (!(bp->flags & PG_buddy) || bp->order != order || bp->zone != zone->type)
            break;
#ifdef KH_PLANT_SKIP_MERGE
        if (order == 2)
            break;  /* planted bug: order-2 buddies are never merged */
#endif
        list_del(kh, zone, buddy, order);
        pfn &= buddy;
        order++;
    }
    list_add(kh, zone, pfn, order);
}

/* Misuse report in the kernel's bad_page() words. pfn is KH_NO_PFN when the
 * address is not in the arena at all. */
static void bad_page(struct kh *kh, unsigned long pfn, uintptr_t addr, const char *reason,
                     const char *extra)
{
    const struct page *page = pfn == KH_NO_PFN ? NULL : &kh->pages[pfn];
    unsigned long shown = pfn == KH_NO_PFN ? (unsigned long)(addr >> kh->page_shift) : pfn;
    int refcount = page && (page->flags & PG_head) ? 1 : 0;
    /* where x86_64's vmemmap would put this struct page (64 bytes each):
     * kernel-looking and, unlike a host pointer, the same on every run */
    unsigned long vmemmap = page ? 0xffffea0000000000ul + pfn * 64 : 0;
    kh_report(kh, KH_SEV_BUG, KH_R_BAD_PAGE, "page_alloc", reason, addr,
              "BUG: Bad page state in process kmem-harness  pfn:%05lx\n"
              "page:%016lx refcount:%d mapcount:0 mapping:0000000000000000 index:0x0 pfn:%#lx\n"
              "page dumped because: %s%s\n",
              shown, vmemmap, refcount, shown, reason, extra ? extra : "");
}

/* Checks a free request against the block structure. Returns true when the
 * free may proceed; otherwise it has reported why. */
static bool free_is_valid(struct kh *kh, unsigned long pfn, unsigned order)
{
    uintptr_t addr = (uintptr_t)kh_pfn_to_virt(kh, pfn);
    unsigned long head = kh_block_head(kh, pfn);
    if (head == KH_NO_PFN) {
        bad_page(kh, pfn, addr, "free of a page that was never allocated", NULL);
        return false;
    }
    const struct page *hp = &kh->pages[head];
    if (hp->flags & PG_buddy) {
        /* PG_touched on the pfn: it was handed out as a block before */
        if (kh->pages[pfn].flags & PG_touched)
            bad_page(kh, pfn, addr, "double free", NULL);
        else
            bad_page(kh, pfn, addr, "free of a page that was never allocated", NULL);
        return false;
    }
    if (head != pfn) {
        char extra[96];
        snprintf(extra, sizeof(extra), " (block head pfn:%#lx order:%u)", head, hp->order);
        bad_page(kh, pfn, addr, "free of a tail page", extra);
        return false;
    }
    if (hp->flags & PG_slab) {
        bad_page(kh, pfn, addr, "free of a slab page", NULL);
        return false;
    }
    if (hp->order != order) {
        char extra[96];
        snprintf(extra, sizeof(extra), " (allocated as order %u, freed as order %u)",
                 hp->order, order);
        bad_page(kh, pfn, addr, "wrong order on free", extra);
        return false;
    }
    return true;
}

static void free_block(struct kh *kh, unsigned long pfn, unsigned order)
{
    struct zone *zone = zone_of(kh, pfn);
    /* owners' marks go with the block; only the history bit stays */
    for (unsigned long i = 0; i < (1ul << order); i++) {
        struct page *p = &kh->pages[pfn + i];
        p->flags &= PG_touched;
        p->private = NULL;
        p->order = 0;
    }
    poison_block(kh, pfn, order);
    zone->free_pages += 1ul << order;
    kh->total_free += 1ul << order;
    merge_and_add(kh, zone, pfn, order);
}

void kh___free_pages(struct kh *kh, struct page *page, unsigned order)
{
    uintptr_t p = (uintptr_t)page, base = (uintptr_t)kh->pages;
    if (!page || p < base || p >= base + kh->nr_pages * sizeof(struct page) ||
        (p - base) % sizeof(struct page)) {
        bad_page(kh, KH_NO_PFN, p, "address outside the arena", " (not a struct page)");
        return;
    }
    unsigned long pfn = kh_pfn(kh, page);
    if (free_is_valid(kh, pfn, order))
        free_block(kh, pfn, order);
}

void kh_free_pages(struct kh *kh, unsigned long addr, unsigned order)
{
    if (addr == 0)
        return;
    if (!kh_addr_in_arena(kh, (const void *)addr)) {
        bad_page(kh, KH_NO_PFN, addr, "address outside the arena", NULL);
        return;
    }
    unsigned long off = addr - (uintptr_t)kh->arena;
    unsigned long pfn = off >> kh->page_shift;
    if (off & (kh->page_size - 1)) {
        bad_page(kh, pfn, addr, "address not page aligned", NULL);
        return;
    }
    if (free_is_valid(kh, pfn, order))
        free_block(kh, pfn, order);
}

/* ---- conversions and accessors ---- */

unsigned long kh_page_size(const struct kh *kh) { return kh->page_size; }
unsigned kh_page_shift(const struct kh *kh) { return kh->page_shift; }
unsigned kh_max_order(const struct kh *kh) { return kh->max_order; }

int kh_get_order(const struct kh *kh, unsigned long size)
{
    unsigned long n = (size - 1) >> kh->page_shift;
    int order = 0;
    while (n) {
        order++;
        n >>= 1;
    }
    return order;
}

void *kh_page_address(const struct kh *kh, const struct page *page)
{
    return page ? kh_pfn_to_virt(kh, kh_pfn(kh, page)) : NULL;
}

bool kh_addr_in_arena(const struct kh *kh, const void *addr)
{
    return (uintptr_t)addr - (uintptr_t)kh->arena < kh->arena_bytes;   /* wraps below the arena */
}

struct page *kh_virt_to_page(const struct kh *kh, const void *addr)
{
    if (!kh_addr_in_arena(kh, addr))
        return NULL;
    return &kh->pages[((uintptr_t)addr - (uintptr_t)kh->arena) >> kh->page_shift];
}

unsigned long kh_page_to_pfn(const struct kh *kh, const struct page *page)
{
    return kh_pfn(kh, page);
}

struct page *kh_pfn_to_page(const struct kh *kh, unsigned long pfn)
{
    return pfn < kh->nr_pages ? &kh->pages[pfn] : NULL;
}

unsigned long kh_total_pages(const struct kh *kh) { return kh->nr_pages; }
unsigned long kh_nr_free_pages(const struct kh *kh) { return kh->total_free; }

unsigned long kh_zone_free_pages(const struct kh *kh, enum zone_type z)
{
    return (unsigned)z < MAX_NR_ZONES ? kh->zones[z].free_pages : 0;
}

/* ---- shrinkers ---- */

int kh_register_shrinker(struct kh *kh, kh_shrink_fn fn, void *ctx)
{
    unsigned cap = sizeof(kh->shrinkers) / sizeof(kh->shrinkers[0]);
    if (!fn || kh->nr_shrinkers >= cap)
        return -1;
    kh->shrinkers[kh->nr_shrinkers++] = (struct kh_shrinker){ fn, ctx };
    return 0;
}

void kh_unregister_shrinker(struct kh *kh, kh_shrink_fn fn, void *ctx)
{
    for (unsigned i = 0; i < kh->nr_shrinkers; i++) {
        if (kh->shrinkers[i].fn == fn && kh->shrinkers[i].ctx == ctx) {
            memmove(&kh->shrinkers[i], &kh->shrinkers[i + 1],
                    (kh->nr_shrinkers - i - 1) * sizeof(kh->shrinkers[0]));
            kh->nr_shrinkers--;
            return;
        }
    }
}

/* ==== Boot hand-over and exact-size allocations ==========================
 *
 * Boot. Before mem_init the buddy allocator owns nothing and refuses every
 * request: kh->before_mem_init, this file's state, which memblock.c sets
 * through kh_page_alloc_boot_begin and clears through kh_page_alloc_mem_init
 * (this layer never asks memblock). memblock hands out memory meanwhile and,
 * at the hand-over, what it still holds is
 * taken out of the zones here as PG_reserved pages: on no list, in no block,
 * and not counted in managed_pages (nor, therefore, in the watermarks, which
 * are recomputed as the kernel computes them after mem_init). Reservations
 * are made on a zone the buddy allocator never allocated from, so the zone
 * is still in its creation state: the top of its lazy region moves down
 * below the reserved range, the max-order blocks it gives up are listed, and
 * the reserved pages are cut out of the listed blocks (the pieces that stay
 * free are relisted as maximal aligned blocks, as the remainders are). All
 * touched pages stay outside the lazy region, so reset still cleans them.
 *
 * alloc_pages_exact. As in the kernel, a block of get_order(size) is split
 * into independent order-0 pages (split_page); the pages past the size go
 * back to the buddy lists at the tail (FPI_TO_TAIL), and free_pages_exact
 * frees the rest one page at a time.
 */

int kh_page_alloc_boot_begin(struct kh *kh)
{
    if (kh->before_mem_init || !kh_page_alloc_pristine(kh))
        return -1;
    kh->before_mem_init = true;
    /* memblock hands out lazy memory, and poisons only what it frees */
    for (int z = 0; z < MAX_NR_ZONES; z++)
        if (zone_present(&kh->zones[z]))
            poison_lazy_upto(kh, &kh->zones[z], kh->zones[z].lazy_end);
    return 0;
}

void kh_page_alloc_mem_init(struct kh *kh) { kh->before_mem_init = false; }

bool kh_page_alloc_before_mem_init(const struct kh *kh) { return kh->before_mem_init; }

static struct page *refuse_before_mem_init(struct kh *kh, gfp_t gfp, unsigned order)
{
    char flags[256];
    gfp_format(gfp, flags, sizeof(flags));
    kh_report(kh, KH_SEV_WARN, KH_R_WARN, "page_alloc", "page allocator used before mem_init", 0,
              "WARNING: CPU: %u PID: 0 at mm/page_alloc.c: __alloc_pages: page allocator used "
              "before mem_init (order:%u, mode:%#x(%s)): early boot code must use "
              "memblock_alloc\n", kh->current_cpu, order, gfp, flags);
    return NULL;
}

static unsigned long initial_lazy_start(const struct kh *kh, const struct zone *zone)
{
    unsigned long blk = max_block(kh);
    unsigned long ls = (zone->start_pfn + blk - 1) & ~(blk - 1);
    unsigned long le = zone->end_pfn & ~(blk - 1);
    return ls >= le ? zone->end_pfn : ls;
}

/* Nothing was ever allocated from this zone's buddy lists. */
static bool zone_in_creation_state(const struct kh *kh, const struct zone *zone)
{
    return zone->free_pages == zone->managed_pages &&
           zone->lazy_pfn == initial_lazy_start(kh, zone);
}

/* Moves the end of the lazy region down to at most pfn (block-aligned),
 * listing the max-order blocks it gives up. */
bool kh_page_alloc_pristine(const struct kh *kh)
{
    for (int z = 0; z < MAX_NR_ZONES; z++) {
        const struct zone *zone = &kh->zones[z];
        if (zone_present(zone) && (!zone_in_creation_state(kh, zone) ||
                                   zone->managed_pages != zone->end_pfn - zone->start_pfn))
            return false;
    }
    return true;
}

static void lower_lazy_end(struct kh *kh, struct zone *zone, unsigned long pfn)
{
    if (pfn >= zone->lazy_end)
        return;
    unsigned long blk = max_block(kh);
    unsigned long new_end = pfn & ~(blk - 1);
    if (new_end < zone->lazy_pfn)
        new_end = zone->lazy_pfn;
    unsigned long old_end = zone->lazy_end;
    poison_lazy_upto(kh, zone, old_end);   /* done at boot_begin already, as a rule */
    zone->free_area[top_order(kh)].nr_free -= (old_end - new_end) / blk;
    zone->lazy_end = new_end;
    add_range(kh, zone, new_end, old_end);
}

/* Cuts the pages [pfn, min(end, block end)) out of the free block holding
 * pfn and marks them reserved. Returns the pfn after the cut, or KH_NO_PFN
 * when pfn is in no free block. */
static unsigned long cut_reserved(struct kh *kh, struct zone *zone, unsigned long pfn,
                                  unsigned long end)
{
    unsigned long head = kh_block_head(kh, pfn);
    if (head == KH_NO_PFN || !(kh->pages[head].flags & PG_buddy))
        return KH_NO_PFN;
    unsigned order = kh->pages[head].order;
    unsigned long block_end = head + (1ul << order);
    unsigned long cut_end = block_end < end ? block_end : end;
    list_del(kh, zone, head, order);
    add_range(kh, zone, head, pfn);
    add_range(kh, zone, cut_end, block_end);
    for (unsigned long i = pfn; i < cut_end; i++) {
        struct page *p = &kh->pages[i];
        p->flags = PG_reserved;
        p->order = 0;
        p->zone = (uint8_t)zone->type;
        p->private = NULL;
    }
    unsigned long n = cut_end - pfn;
    mark_dirty(kh, pfn, n);   /* memblock's users wrote them */
    zone->free_pages -= n;
    zone->managed_pages -= n;
    kh->total_free -= n;
    return cut_end;
}

static int reserve_in_zone(struct kh *kh, struct zone *zone, unsigned long start,
                           unsigned long end)
{
    lower_lazy_end(kh, zone, start);
    unsigned long pfn = start;
    while (pfn < end) {
        if (kh->pages[pfn].flags & PG_reserved) {
            pfn++;
            continue;
        }
        pfn = cut_reserved(kh, zone, pfn, end);
        if (pfn == KH_NO_PFN)
            return -1;
    }
    return 0;
}

int kh_page_alloc_reserve_range(struct kh *kh, unsigned long start, unsigned long end)
{
    if (start >= end || end > kh->nr_pages)
        return -1;
    for (int z = 0; z < MAX_NR_ZONES; z++) {
        const struct zone *zone = &kh->zones[z];
        if (zone_present(zone) && start < zone->end_pfn && end > zone->start_pfn &&
            !zone_in_creation_state(kh, zone))
            return -1;
    }
    for (int z = 0; z < MAX_NR_ZONES; z++) {
        struct zone *zone = &kh->zones[z];
        unsigned long s = start > zone->start_pfn ? start : zone->start_pfn;
        unsigned long e = end < zone->end_pfn ? end : zone->end_pfn;
        if (s < e && reserve_in_zone(kh, zone, s, e) != 0)
            return -1;
    }
    setup_watermarks(kh);
    setup_lowmem_reserve(kh);
    return 0;
}

int kh_page_alloc_release_reserved(struct kh *kh, unsigned long pfn)
{
    if (pfn >= kh->nr_pages || !(kh->pages[pfn].flags & PG_reserved))
        return -1;
    zone_of(kh, pfn)->managed_pages++;
    free_block(kh, pfn, 0);   /* clears PG_reserved with the other owner marks */
    return 0;
}

void kh_page_alloc_scrub(struct kh *kh, unsigned long start, unsigned long end)
{
    scrub_arena(kh, start, end < kh->nr_pages ? end : kh->nr_pages);
}

/* Reset: every zone manages all its pages again. Metadata and contents of
 * the reserved pages were cleaned with the rest of the touched ranges. */
static void undo_reservations(struct kh *kh)
{
    for (int z = 0; z < MAX_NR_ZONES; z++) {
        struct zone *zone = &kh->zones[z];
        zone->managed_pages = zone->end_pfn - zone->start_pfn;
    }
    /* Always: the watermarks follow managed_pages as it was at the
     * hand-over, and memblock_free_late may since have given every
     * reserved page back, so managed_pages alone cannot tell whether they
     * are the fresh instance's (found by fuzz/oracle_reset.c). */
    setup_watermarks(kh);
    setup_lowmem_reserve(kh);
}

/* FPI_TO_TAIL: moves the free block now holding pfn to the tail of its
 * list, so the pages just given back are the last to be reused. */
static void move_block_to_tail(struct kh *kh, unsigned long pfn)
{
    unsigned long head = kh_block_head(kh, pfn);
    if (head == KH_NO_PFN)
        return;
    struct zone *zone = zone_of(kh, head);
    unsigned order = kh->pages[head].order;
    struct free_area *area = &zone->free_area[order];
    if (area->head != head || kh->pages[head].next == KH_NO_PFN)
        return;   /* the only block on the list, or not where list_add put it */
    unsigned long tail = head;
    while (kh->pages[tail].next != KH_NO_PFN)
        tail = kh->pages[tail].next;
    area->head = kh->pages[head].next;
    kh->pages[area->head].prev = KH_NO_PFN;
    kh->pages[tail].next = (uint32_t)head;
    kh->pages[head].prev = (uint32_t)tail;
    kh->pages[head].next = KH_NO_PFN;
}

void *kh_alloc_pages_exact(struct kh *kh, size_t size, gfp_t gfp)
{
    if (gfp & (__GFP_COMP | __GFP_HIGHMEM)) {
        warn_gfp(kh, gfp & ~__GFP_NOWARN, "alloc_pages_exact with __GFP_COMP or __GFP_HIGHMEM",
                 "alloc_pages_exact: WARN_ON_ONCE(gfp_mask & (__GFP_COMP | __GFP_HIGHMEM))");
        gfp &= ~(__GFP_COMP | __GFP_HIGHMEM);
    }
    unsigned order = (unsigned)kh_get_order(kh, size);
    unsigned long addr = kh___get_free_pages(kh, gfp, order);
    if (!addr)
        return NULL;
    unsigned long pfn = (addr - (uintptr_t)kh->arena) >> kh->page_shift;
    unsigned long used = (size + kh->page_size - 1) >> kh->page_shift;
    for (unsigned long i = 0; i < (1ul << order); i++) {   /* split_page */
        struct page *p = &kh->pages[pfn + i];
        p->flags = PG_head | PG_touched;
        p->order = 0;
        p->zone = kh->pages[pfn].zone;
        p->private = NULL;
    }
    for (unsigned long i = used; i < (1ul << order); i++) {
        free_block(kh, pfn + i, 0);
        move_block_to_tail(kh, pfn + i);
    }
    return (void *)addr;
}

void kh_free_pages_exact(struct kh *kh, void *virt, size_t size)
{
    unsigned long addr = (unsigned long)virt;
    unsigned long end = addr + ((size + kh->page_size - 1) & ~(kh->page_size - 1));
    for (; addr < end; addr += kh->page_size) {
        kh_free_pages(kh, addr, 0);
        /* Past the arena the kernel's virt_to_page runs off the memory map
         * and the next free oopses: one report, then stop (a wild size
         * would otherwise loop for hours). */
        if (addr && !kh_addr_in_arena(kh, (const void *)addr))
            return;
    }
}
