/* introspect.c - invariant checking and walks over allocator state.
 *
 * Validation returns violations as data (subsystem, invariant name, detail)
 * instead of asserting, so tests can check that a deliberately corrupted
 * state is caught under the right name, and fuzzers can print everything
 * wrong at once. Each subsystem has its own section and its own
 * kh_<subsystem>_validate; kh_validate runs them all.
 *
 * The page allocator's checks cost what was used, not the arena size: they
 * walk each zone's touched ranges (below the lazy frontier, and the
 * unaligned remainder after it) block by block, and its free lists. One
 * byte of scratch per touched page records which list a block was found
 * on, which is how "on exactly one list" is decided.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "introspect.h"
#include "memblock.h"
#include "mempool.h"
#include "percpu.h"
#include "slab.h"
#include "vmalloc.h"

/* ==== Violations ========================================================= */

static unsigned violations_vadd(struct kh_violations *out, const char *subsystem,
                                const char *invariant, const void *addr, const char *fmt,
                                va_list ap)
{
    if (!out)
        return 1;
    if (out->n == out->cap) {
        unsigned cap = out->cap ? out->cap * 2 : 16;
        struct kh_violation *v = realloc(out->v, cap * sizeof(*v));
        if (!v)
            return 1;   /* host out of memory: the count stays right */
        out->v = v;
        out->cap = cap;
    }
    struct kh_violation *v = &out->v[out->n++];
    v->subsystem = subsystem;
    v->invariant = invariant;
    v->addr = (uintptr_t)addr;
    vsnprintf(v->detail, sizeof(v->detail), fmt, ap);
    return 1;
}

unsigned kh_violations_add_named(struct kh_violations *out, const char *subsystem,
                                 const char *invariant, const void *addr, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    unsigned n = violations_vadd(out, subsystem, invariant, addr, fmt, ap);
    va_end(ap);
    return n;
}

unsigned kh_violations_add(struct kh_violations *out, const char *subsystem, const void *addr,
                           const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    unsigned n = violations_vadd(out, subsystem, fmt, addr, fmt, ap);
    va_end(ap);
    return n;
}

void kh_violations_free(struct kh_violations *out)
{
    free(out->v);
    out->v = NULL;
    out->n = out->cap = 0;
}

unsigned kh_violations_count(const struct kh_violations *out, const char *subsystem,
                             const char *invariant)
{
    unsigned n = 0;
    for (unsigned i = 0; i < out->n; i++)
        if ((!subsystem || strcmp(out->v[i].subsystem, subsystem) == 0) &&
            strcmp(out->v[i].invariant, invariant) == 0)
            n++;
    return n;
}

void kh_violations_print(const struct kh_violations *out, FILE *f)
{
    for (unsigned i = 0; i < out->n; i++)
        fprintf(f, "%s: %s: %s\n", out->v[i].subsystem, out->v[i].invariant, out->v[i].detail);
}

static unsigned validate_all(struct kh *kh, struct kh_violations *out, bool changed_only)
{
    unsigned n = kh_page_validate(kh, out);
    /* Higher subsystems, each only when its state exists. */
    if (kh->slab)
        n += changed_only ? kh_slab_validate_changed(kh, out) : kh_slab_validate(kh, out);
    if (kh->vm)
        n += changed_only ? kh_vmalloc_validate_sampled(kh, out) : kh_vmalloc_validate(kh, out);
    if (kh->percpu)
        n += kh_percpu_validate(kh, out);
    if (kh->mempool)
        n += kh_mempool_validate(kh, out);
    if (kh->memblock)
        n += kh_memblock_validate(kh, out);
    return n;
}

unsigned kh_validate(struct kh *kh, struct kh_violations *out)
{
    return validate_all(kh, out, false);
}

unsigned kh_validate_changed(struct kh *kh, struct kh_violations *out)
{
    return validate_all(kh, out, true);
}

/* ==== Page allocator ===================================================== */

#define PA "page_alloc"

static unsigned top_order(const struct kh *kh) { return kh->max_order - 1; }
static unsigned long max_block(const struct kh *kh) { return 1ul << top_order(kh); }

/* The touched ranges of a zone: [start, lazy_pfn) and [lazy_end, end),
 * after sanitising a corrupted frontier so the walk stays in bounds. */
struct zone_walk {
    const struct zone *zone;
    unsigned long lazy_pfn, lazy_end;
    unsigned long head_len;   /* pages in [start, lazy_pfn) */
    unsigned long len;        /* all touched pages */
    uint8_t *listed;          /* per touched page: 1 + order of the list holding it */
};

static bool touched(const struct zone_walk *w, unsigned long pfn)
{
    return pfn >= w->zone->start_pfn && pfn < w->zone->end_pfn &&
           (pfn < w->lazy_pfn || pfn >= w->lazy_end);
}

static unsigned long touched_index(const struct zone_walk *w, unsigned long pfn)
{
    return pfn < w->lazy_pfn ? pfn - w->zone->start_pfn : w->head_len + (pfn - w->lazy_end);
}

static const void *pfn_addr(const struct kh *kh, unsigned long pfn)
{
    return pfn < kh->nr_pages ? kh_pfn_to_virt(kh, pfn) : NULL;
}

static unsigned check_frontier(const struct kh *kh, struct zone_walk *w,
                               struct kh_violations *out)
{
    const struct zone *z = w->zone;
    unsigned long blk = max_block(kh);
    unsigned n = 0;
    w->lazy_pfn = z->lazy_pfn;
    w->lazy_end = z->lazy_end;
    bool empty = w->lazy_pfn == w->lazy_end;
    if (w->lazy_pfn > w->lazy_end || w->lazy_pfn < z->start_pfn || w->lazy_end > z->end_pfn ||
        (!empty && ((w->lazy_pfn | w->lazy_end) & (blk - 1)))) {
        n += kh_violations_add_named(out, PA, "lazy-region", pfn_addr(kh, z->lazy_pfn),
                                     "zone %s: lazy region [%#lx, %#lx) is not an aligned "
                                     "range of order-%u blocks inside [%#lx, %#lx)",
                                     z->name, z->lazy_pfn, z->lazy_end, top_order(kh),
                                     z->start_pfn, z->end_pfn);
        w->lazy_pfn = w->lazy_end = z->end_pfn;   /* walk the whole zone instead */
    }
    w->head_len = w->lazy_pfn - z->start_pfn;
    w->len = w->head_len + (z->end_pfn - w->lazy_end);
    return n;
}

/* Walks one free list, recording which blocks it holds. */
KH_NO_COVERAGE
static unsigned check_list(const struct kh *kh, struct zone_walk *w, unsigned order,
                           unsigned long *listed, struct kh_violations *out)
{
    const struct zone *z = w->zone;
    unsigned n = 0;
    unsigned long prev = KH_NO_PFN, cur = z->free_area[order].head, steps = 0;
    *listed = 0;
    while (cur != KH_NO_PFN) {
        if (!touched(w, cur)) {
            bool lazy = cur >= w->lazy_pfn && cur < w->lazy_end;
            n += kh_violations_add_named(out, PA, lazy ? "lazy-region" : "free-list-link",
                                         pfn_addr(kh, cur),
                                         "zone %s order %u: list entry pfn %#lx %s", z->name,
                                         order, cur, lazy ? "lies in the lazy region"
                                                          : "is outside the zone");
            break;
        }
        const struct page *p = &kh->pages[cur];
        uint8_t *mark = &w->listed[touched_index(w, cur)];
        if (*mark || ++steps > w->len) {
            if (*mark && *mark != order + 1)
                n += kh_violations_add_named(out, PA, "free-block-listed-once",
                                             pfn_addr(kh, cur),
                                             "zone %s: pfn %#lx is on the order-%u and the "
                                             "order-%u lists", z->name, cur, *mark - 1u, order);
            else
                n += kh_violations_add_named(out, PA, "free-list-link", pfn_addr(kh, cur),
                                             "zone %s order %u: list revisits pfn %#lx (cycle "
                                             "or duplicate)", z->name, order, cur);
            break;
        }
        *mark = (uint8_t)(order + 1);
        if (p->prev != prev)
            n += kh_violations_add_named(out, PA, "free-list-link", pfn_addr(kh, cur),
                                         "zone %s order %u: pfn %#lx has prev %#x, expected %#lx",
                                         z->name, order, cur, p->prev, prev);
        if (!(p->flags & PG_buddy) || p->order != order)
            n += kh_violations_add_named(out, PA, "free-block-flag", pfn_addr(kh, cur),
                                         "zone %s: pfn %#lx on the order-%u list has flags %#x "
                                         "order %u", z->name, cur, order, p->flags, p->order);
        if (cur + (1ul << order) > z->end_pfn || p->zone != z->type)
            n += kh_violations_add_named(out, PA, "free-block-zone", pfn_addr(kh, cur),
                                         "zone %s: order-%u block at pfn %#lx (zone field %u) "
                                         "is not inside the zone", z->name, order, cur, p->zone);
        (*listed)++;
        prev = cur;
        cur = p->next;
    }
    return n;
}

struct walk_totals {
    unsigned long free_pages, alloc_pages, lost_pages;
    unsigned long reserved_pages;   /* PG_reserved: not managed by the buddy allocator */
    unsigned long free_heads[KH_MAX_ORDER_LIMIT];
};

/* Interior pages: no block heads inside a block; free pages keep no
 * owner flags. Reports each kind once per block. */
KH_NO_COVERAGE __attribute__((no_sanitize("address")))   /* pfn..end lie in pages[] */
static unsigned check_interior(const struct kh *kh, const struct zone_walk *w,
                               unsigned long pfn, unsigned long end, bool free,
                               struct kh_violations *out)
{
    unsigned n = 0;
    bool overlap = false, dirty = false;
    for (unsigned long i = pfn; i < end; i++) {
        uint32_t f = kh->pages[i].flags;
        if (i != pfn && (f & (PG_buddy | PG_head)) && !overlap) {
            overlap = true;
            n += kh_violations_add_named(out, PA, "block-overlap", pfn_addr(kh, i),
                                         "zone %s: pfn %#lx inside the %s block at %#lx is "
                                         "itself a block head (flags %#x)", w->zone->name, i,
                                         free ? "free" : "allocated", pfn, f);
        }
        if (free && (f & ~(uint32_t)(PG_buddy | PG_head | PG_touched)) && !dirty) {
            dirty = true;
            n += kh_violations_add_named(out, PA, "free-page-flags", pfn_addr(kh, i),
                                         "zone %s: free pfn %#lx carries flags %#x",
                                         w->zone->name, i, f);
        }
    }
    return n;
}

KH_NO_COVERAGE
static unsigned check_free_block(const struct kh *kh, const struct zone_walk *w,
                                 unsigned long pfn, unsigned order, struct kh_violations *out)
{
    const struct zone *z = w->zone;
    unsigned n = 0;
    if (!w->listed[touched_index(w, pfn)])
        n += kh_violations_add_named(out, PA, "free-block-listed-once", pfn_addr(kh, pfn),
                                     "zone %s: free order-%u block at pfn %#lx is on no list",
                                     z->name, order, pfn);
    if (order < top_order(kh)) {
        unsigned long buddy = pfn ^ (1ul << order);
        if (buddy > pfn && touched(w, buddy) && buddy + (1ul << order) <= z->end_pfn) {
            const struct page *bp = &kh->pages[buddy];
            if ((bp->flags & PG_buddy) && bp->order == order)
                n += kh_violations_add_named(out, PA, "buddies-unmerged", pfn_addr(kh, pfn),
                                             "zone %s: free order-%u buddies at pfn %#lx and "
                                             "%#lx were not merged", z->name, order, pfn, buddy);
        }
    }
#ifdef KH_ASAN
    const char *first = kh_pfn_to_virt(kh, pfn);
    const char *last = first + (kh->page_size << order) - 1;
    if (!__asan_address_is_poisoned(first) || !__asan_address_is_poisoned(last))
        n += kh_violations_add_named(out, PA, "free-page-poisoned", first,
                                     "zone %s: free order-%u block at pfn %#lx is not poisoned",
                                     z->name, order, pfn);
#endif
    return n;
}

/* Walks [from, to) block by block. */
KH_NO_COVERAGE
static unsigned walk_range(const struct kh *kh, const struct zone_walk *w, unsigned long from,
                           unsigned long to, struct walk_totals *t, struct kh_violations *out)
{
    const struct zone *z = w->zone;
    unsigned n = 0;
    unsigned long pfn = from;
    while (pfn < to) {
        const struct page *p = &kh->pages[pfn];
        if (p->flags == PG_reserved) {   /* boot memory: neither free nor allocated */
            t->reserved_pages++;
            pfn++;
            continue;
        }
        if (!(p->flags & (PG_buddy | PG_head))) {
            unsigned long run = pfn;
            while (pfn < to && !(kh->pages[pfn].flags & (PG_buddy | PG_head)))
                pfn++;
            t->lost_pages += pfn - run;
            n += kh_violations_add_named(out, PA, "page-accounting", pfn_addr(kh, run),
                                         "zone %s: pfns [%#lx, %#lx) belong to no block",
                                         z->name, run, pfn);
            continue;
        }
        bool free = p->flags & PG_buddy;
        unsigned order = p->order;
        /* a head is free or allocated, never both, and never boot memory */
        if ((p->flags & PG_reserved) || (p->flags & (PG_buddy | PG_head)) == (PG_buddy | PG_head))
            n += kh_violations_add_named(out, PA, "block-head-flags", pfn_addr(kh, pfn),
                                         "zone %s: block head at pfn %#lx has flags %#x (free and "
                                         "allocated, or reserved)", z->name, pfn, p->flags);
        if (order >= kh->max_order) {
            n += kh_violations_add_named(out, PA, "free-block-flag", pfn_addr(kh, pfn),
                                         "zone %s: block at pfn %#lx has order %u (max %u)",
                                         z->name, pfn, order, kh->max_order - 1);
            order = 0;
        }
        unsigned long end = pfn + (1ul << order);
        if (pfn & ((1ul << order) - 1))
            n += kh_violations_add_named(out, PA, "free-block-aligned", pfn_addr(kh, pfn),
                                         "zone %s: %s order-%u block at pfn %#lx is misaligned",
                                         z->name, free ? "free" : "allocated", order, pfn);
        if (end > to) {
            n += kh_violations_add_named(out, PA, "free-block-zone", pfn_addr(kh, pfn),
                                         "zone %s: %s order-%u block at pfn %#lx runs past "
                                         "%#lx", z->name, free ? "free" : "allocated", order,
                                         pfn, to);
            end = to;
        }
        n += check_interior(kh, w, pfn, end, free, out);
        if (free) {
            n += check_free_block(kh, w, pfn, order, out);
            t->free_pages += end - pfn;
            t->free_heads[order]++;
        } else {
            t->alloc_pages += end - pfn;
        }
        pfn = end;
    }
    return n;
}

KH_NO_COVERAGE
static unsigned check_counters(const struct kh *kh, const struct zone_walk *w,
                               const unsigned long *listed, const struct walk_totals *t,
                               struct kh_violations *out)
{
    const struct zone *z = w->zone;
    unsigned n = 0;
    unsigned long lazy_blocks = (w->lazy_end - w->lazy_pfn) / max_block(kh);
    unsigned long lazy_pages = w->lazy_end - w->lazy_pfn;
    for (unsigned o = 0; o < kh->max_order; o++) {
        unsigned long expect = listed[o] + (o == top_order(kh) ? lazy_blocks : 0);
        if (z->free_area[o].nr_free != expect)
            n += kh_violations_add_named(out, PA, "nr-free-counter", NULL,
                                         "zone %s order %u: nr_free %lu, walk counts %lu",
                                         z->name, o, z->free_area[o].nr_free, expect);
    }
    if (z->free_pages != t->free_pages + lazy_pages)
        n += kh_violations_add_named(out, PA, "zone-free-counter", NULL,
                                     "zone %s: free_pages %lu, walk counts %lu", z->name,
                                     z->free_pages, t->free_pages + lazy_pages);
    unsigned long seen = t->free_pages + t->alloc_pages + t->lost_pages + lazy_pages;
    if (t->lost_pages == 0 &&
        (seen != z->managed_pages ||
         z->managed_pages + t->reserved_pages != z->end_pfn - z->start_pfn))
        n += kh_violations_add_named(out, PA, "page-accounting", NULL,
                                     "zone %s: free %lu + allocated %lu pages != %lu managed "
                                     "(%lu reserved, %lu spanned)",
                                     z->name, t->free_pages + lazy_pages, t->alloc_pages,
                                     z->managed_pages, t->reserved_pages,
                                     z->end_pfn - z->start_pfn);
    return n;
}

KH_NO_COVERAGE
static unsigned validate_zone(const struct kh *kh, const struct zone *z,
                              struct kh_violations *out)
{
    struct zone_walk w = { .zone = z };
    unsigned n = check_frontier(kh, &w, out);
    w.listed = calloc(w.len ? w.len : 1, 1);
    if (!w.listed)
        return n + kh_violations_add_named(out, PA, "validation", NULL,
                                           "out of host memory for the walk");
    unsigned long listed[KH_MAX_ORDER_LIMIT] = { 0 };
    for (unsigned o = 0; o < kh->max_order; o++)
        n += check_list(kh, &w, o, &listed[o], out);
    for (unsigned o = kh->max_order; o < KH_MAX_ORDER_LIMIT; o++)
        if (z->free_area[o].head != KH_NO_PFN || z->free_area[o].nr_free)
            n += kh_violations_add_named(out, PA, "nr-free-counter", NULL,
                                         "zone %s: order %u above the maximum is not empty",
                                         z->name, o);
    struct walk_totals t = { 0 };
    n += walk_range(kh, &w, z->start_pfn, w.lazy_pfn, &t, out);
    n += walk_range(kh, &w, w.lazy_end, z->end_pfn, &t, out);
    n += check_counters(kh, &w, listed, &t, out);
    free(w.listed);
    return n;
}

KH_NO_COVERAGE
unsigned kh_page_validate(struct kh *kh, struct kh_violations *out)
{
    unsigned n = 0;
    unsigned long sum = 0, pages = 0;
    for (int zt = 0; zt < MAX_NR_ZONES; zt++) {
        const struct zone *z = &kh->zones[zt];
        pages += z->end_pfn - z->start_pfn;
        sum += z->free_pages;
        if (z->end_pfn > z->start_pfn)
            n += validate_zone(kh, z, out);
    }
    if (sum != kh->total_free)
        n += kh_violations_add_named(out, PA, "total-free-counter", NULL,
                                     "instance free total %lu, zones hold %lu", kh->total_free,
                                     sum);
    if (pages != kh->nr_pages)
        n += kh_violations_add_named(out, PA, "page-accounting", NULL,
                                     "zones span %lu pages, arena has %lu", pages, kh->nr_pages);
    return n;
}

/* ---- walks ---- */

int kh_for_each_free_block(const struct kh *kh, kh_block_fn fn, void *ctx)
{
    for (int zt = 0; zt < MAX_NR_ZONES; zt++) {
        const struct zone *z = &kh->zones[zt];
        for (unsigned o = 0; o < kh->max_order; o++) {
            unsigned long steps = 0;
            for (unsigned long pfn = z->free_area[o].head;
                 pfn != KH_NO_PFN && pfn < kh->nr_pages && steps++ <= kh->nr_pages;
                 pfn = kh->pages[pfn].next) {
                struct kh_block_info b = { (enum zone_type)zt, o, pfn, false };
                int r = fn(ctx, &b);
                if (r)
                    return r;
            }
        }
        for (unsigned long pfn = z->lazy_pfn; pfn < z->lazy_end; pfn += max_block(kh)) {
            struct kh_block_info b = { (enum zone_type)zt, top_order(kh), pfn, true };
            int r = fn(ctx, &b);
            if (r)
                return r;
        }
    }
    return 0;
}

static int walk_allocated(const struct kh *kh, const struct zone *z, unsigned long from,
                          unsigned long to, kh_block_fn fn, void *ctx)
{
    unsigned long pfn = from;
    while (pfn < to) {
        const struct page *p = &kh->pages[pfn];
        unsigned long size = 1;
        if ((p->flags & (PG_buddy | PG_head)) && p->order < kh->max_order)
            size = 1ul << p->order;
        if (p->flags & PG_head) {
            struct kh_block_info b = { z->type, p->order, pfn, false };
            int r = fn(ctx, &b);
            if (r)
                return r;
        }
        pfn += size;
    }
    return 0;
}

int kh_for_each_allocated_block(const struct kh *kh, kh_block_fn fn, void *ctx)
{
    for (int zt = 0; zt < MAX_NR_ZONES; zt++) {
        const struct zone *z = &kh->zones[zt];
        int r = walk_allocated(kh, z, z->start_pfn, z->lazy_pfn, fn, ctx);
        if (!r)
            r = walk_allocated(kh, z, z->lazy_end, z->end_pfn, fn, ctx);
        if (r)
            return r;
    }
    return 0;
}

/* ---- zone and page state ---- */

int kh_zone_info(const struct kh *kh, enum zone_type zt, struct kh_zone_info *out)
{
    if ((unsigned)zt >= MAX_NR_ZONES)
        return -1;
    const struct zone *z = &kh->zones[zt];
    memset(out, 0, sizeof(*out));
    out->name = z->name;
    out->type = zt;
    out->present = z->end_pfn > z->start_pfn;
    out->start_pfn = z->start_pfn;
    out->end_pfn = z->end_pfn;
    out->managed = z->managed_pages;
    out->free = z->free_pages;
    out->wmark_min = z->wmark[WMARK_MIN];
    out->wmark_low = z->wmark[WMARK_LOW];
    out->wmark_high = z->wmark[WMARK_HIGH];
    memcpy(out->lowmem_reserve, z->lowmem_reserve, sizeof(out->lowmem_reserve));
    for (unsigned o = 0; o < kh->max_order; o++)
        out->nr_free[o] = z->free_area[o].nr_free;
    out->lazy_pfn = z->lazy_pfn;
    out->lazy_end = z->lazy_end;
    return 0;
}

unsigned long kh_min_free_kbytes(const struct kh *kh)
{
    return kh->min_free_pages << (kh->page_shift - 10);
}

enum kh_page_state kh_page_state(const struct kh *kh, unsigned long pfn, unsigned long *head,
                                 unsigned *order)
{
    const struct zone *z = kh_pfn_zone(kh, pfn);
    unsigned long h = KH_NO_PFN;
    unsigned o = 0;
    enum kh_page_state s = KH_PAGE_INVALID;
    if (z && pfn >= z->lazy_pfn && pfn < z->lazy_end) {
        h = pfn & ~(max_block(kh) - 1);
        o = top_order(kh);
        s = KH_PAGE_LAZY;
    } else if (z && kh->pages[pfn].flags == PG_reserved) {
        h = pfn;
        s = KH_PAGE_RESERVED;
    } else if (z && (h = kh_block_head(kh, pfn)) != KH_NO_PFN) {
        const struct page *p = &kh->pages[h];
        o = p->order;
        if (p->flags & PG_buddy)
            s = h == pfn ? KH_PAGE_FREE_HEAD : KH_PAGE_FREE_INTERIOR;
        else
            s = h == pfn ? KH_PAGE_ALLOC_HEAD : KH_PAGE_ALLOC_INTERIOR;
    }
    if (head)
        *head = h;
    if (order)
        *order = o;
    return s;
}

const char *kh_page_state_name(enum kh_page_state s)
{
    switch (s) {
    case KH_PAGE_FREE_HEAD: return "free-head";
    case KH_PAGE_FREE_INTERIOR: return "free-interior";
    case KH_PAGE_ALLOC_HEAD: return "allocated-head";
    case KH_PAGE_ALLOC_INTERIOR: return "allocated-interior";
    case KH_PAGE_LAZY: return "lazy";
    case KH_PAGE_RESERVED: return "reserved";
    case KH_PAGE_INVALID: break;
    }
    return "invalid";
}

int kh_buddyinfo(const struct kh *kh, char *buf, size_t cap)
{
    size_t len = 0;
    for (int zt = 0; zt < MAX_NR_ZONES; zt++) {
        const struct zone *z = &kh->zones[zt];
        if (z->end_pfn == z->start_pfn)
            continue;
        len += (size_t)snprintf(len < cap ? buf + len : NULL, len < cap ? cap - len : 0,
                                "Node 0, zone %8s ", z->name);
        for (unsigned o = 0; o < kh->max_order; o++)
            len += (size_t)snprintf(len < cap ? buf + len : NULL, len < cap ? cap - len : 0,
                                    "%6lu ", z->free_area[o].nr_free);
        len += (size_t)snprintf(len < cap ? buf + len : NULL, len < cap ? cap - len : 0, "\n");
    }
    if (cap && len == 0)
        buf[0] = '\0';
    return (int)len;
}
