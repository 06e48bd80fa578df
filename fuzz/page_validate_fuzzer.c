/* page_validate_fuzzer.c - the page allocator's validator sees every
 * corruption of the state it checks.
 *
 * Every fuzz target ends its runs with kh_page_validate, and a bug that
 * breaks a free list or a counter is found only if the validator reports
 * it. Legal inputs never corrupt anything, so nothing else runs the
 * validator's reporting paths: a validator made weaker (a check dropped,
 * a walk that stops early) would pass every other target unseen.
 *
 * The input builds a state on a small instance of two zones, each with an
 * unaligned head, a lazy region and an unaligned tail (see make): up to
 * 32 allocations and frees of blocks of any order. That state must
 * validate clean. Then one field of the metadata is changed, chosen by
 * the input, and the validator must not crash and must report something
 * whenever the change breaks one of the invariants it documents
 * (introspect.h), restated here field by field:
 *   - a free block's head: on its order's list, with the list's links,
 *     PG_buddy (and not PG_head), its order and its zone; no flags but
 *     PG_touched besides;
 *   - a free block's other pages: no block head, no flags but PG_touched;
 *   - an allocated block's head: PG_head with its order, which covers
 *     exactly the pages up to the next block;
 *   - counters: nr_free per order, the zone's free and managed pages, the
 *     instance's free total; the lazy region's bounds; the list heads.
 * A change that breaks none of them (PG_touched, the same value written
 * back) must not be reported either, and validation must be clean again
 * once the field is restored.
 *
 * Input: up to 32 operation bytes ended by 0xFF (bit 0 set: allocate, order
 * (b >> 1) % ORDERS, from ZONE_DMA when bit 6 is set; clear: free the
 * live block (b >> 1) % live), then a corruption: kind, a 16-bit selector
 * and a 32-bit value, little endian. Any disagreement aborts with
 * "page_validate_fuzzer: <what>".
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "corrupt.h"
#include "gfp.h"
#include "internal.h"
#include "introspect.h"
#include "kmem.h"
#include "page_alloc.h"

#define TARGET "page_validate"
#define ORDERS 6             /* max_order: blocks of up to 32 pages */
#define MAX_OPS 32

/* DMA: pfns [0, 100): lazy [0, 96), tail [96, 100). NORMAL: [100, 250):
 * head [100, 128), lazy [128, 224), tail [224, 250). */
static struct kh *make(void)
{
    struct kh_config cfg = corrupt_config(TARGET, KH_DEFAULT_PROFILE);
    cfg.max_order = ORDERS;
    cfg.zone_bytes[ZONE_DMA] = 100ull << 12;
    cfg.zone_bytes[ZONE_NORMAL] = 150ull << 12;
    cfg.min_free_kbytes = 1;
    return corrupt_instance(TARGET, &cfg);
}

struct block { struct page *page; unsigned order; };

static void build(struct kh *kh, struct corrupt_input *in)
{
    struct block live[MAX_OPS];
    unsigned nlive = 0;
    for (unsigned i = 0; i < MAX_OPS && in->n; i++) {
        unsigned b = corrupt_byte(in);
        if (b == 0xFF)
            break;
        if (b & 1) {
            unsigned order = (b >> 1) % ORDERS;
            gfp_t gfp = GFP_KERNEL | __GFP_NOWARN | ((b & 0x40) ? GFP_DMA : 0);
            struct page *p = kh_alloc_pages(kh, gfp, order);
            if (p)
                live[nlive++] = (struct block){ p, order };
        } else if (nlive) {
            unsigned k = (b >> 1) % nlive;
            kh___free_pages(kh, live[k].page, live[k].order);
            live[k] = live[--nlive];
        }
    }
}

/* ---- choosing what to break ---- */

enum target { T_FREE_HEAD, T_FREE_INTERIOR, T_ALLOC_HEAD, T_NR };

static bool in_lazy(const struct zone *z, unsigned long pfn)
{
    return pfn >= z->lazy_pfn && pfn < z->lazy_end;
}

/* The zone holding pfn (NULL: none). */
static struct zone *zone_of(struct kh *kh, unsigned long pfn)
{
    for (int z = 0; z < MAX_NR_ZONES; z++)
        if (pfn >= kh->zones[z].start_pfn && pfn < kh->zones[z].end_pfn)
            return &kh->zones[z];
    return NULL;
}

/* The sel-th (mod count) page of the kind asked for, outside the lazy
 * regions, whose metadata is pristine by design; -1 when there is none. */
static long pick(struct kh *kh, enum target what, unsigned sel)
{
    unsigned long found[256];
    unsigned n = 0;
    for (unsigned long pfn = 0; pfn < kh->nr_pages && n < 256;) {
        struct zone *z = zone_of(kh, pfn);
        if (!z || in_lazy(z, pfn)) {
            pfn++;
            continue;
        }
        const struct page *p = &kh->pages[pfn];
        unsigned long size = 1ul << p->order;
        bool free = p->flags & PG_buddy;
        if ((what == T_FREE_HEAD && free) || (what == T_ALLOC_HEAD && !free))
            found[n++] = pfn;
        else if (what == T_FREE_INTERIOR && free && size > 1)
            found[n++] = pfn + 1 + sel % (size - 1);
        pfn += size;
    }
    return n ? (long)found[sel % n] : -1;
}

/* ---- the corruption ---- */

#define FIELD(c, name, f) corrupt_field((c), (name), &(f), sizeof(f))

/* Fills *c for the corruption the input names and applies it. Returns
 * false when the input names nothing that exists. */
static bool corrupt(struct kh *kh, struct corrupt_input *in, struct corrupt_change *c)
{
    unsigned kind = corrupt_byte(in) % 12;
    unsigned sel = corrupt_bytes(in, 2);
    uint32_t value = corrupt_bytes(in, 4);
    struct zone *z = &kh->zones[sel & 1 ? ZONE_NORMAL : ZONE_DMA];
    uint64_t now, mask = UINT64_MAX;   /* the bits an invariant covers */
    long pfn;
    memset(c, 0, sizeof(*c));
    switch (kind) {
    case 0: case 1: case 2: case 3: {   /* a free block head: flags, order, zone, links */
        if ((pfn = pick(kh, T_FREE_HEAD, sel)) < 0)
            return false;
        struct page *p = &kh->pages[pfn];
        if (kind == 0) {
            FIELD(c, "free head flags", p->flags);
            now = value;
            mask = ~(uint64_t)PG_touched;   /* PG_touched is history, not state */
        } else if (kind == 1) {
            if (value & 1) {
                FIELD(c, "free head order", p->order);
            } else {
                FIELD(c, "free head zone", p->zone);
            }
            now = value >> 1 & 0xFF;
        } else {
            if (kind == 2) {
                FIELD(c, "free head prev", p->prev);
            } else {
                FIELD(c, "free head next", p->next);
            }
            now = value;
        }
        break;
    }
    case 4: {                             /* a page inside a free block */
        if ((pfn = pick(kh, T_FREE_INTERIOR, sel)) < 0)
            return false;
        FIELD(c, "free interior flags", kh->pages[pfn].flags);
        now = value;
        mask = ~(uint64_t)PG_touched;
        break;
    }
    case 5: case 6: {                     /* an allocated block head: flags, order */
        if ((pfn = pick(kh, T_ALLOC_HEAD, sel)) < 0)
            return false;
        struct page *p = &kh->pages[pfn];
        if (kind == 5) {
            FIELD(c, "allocated head flags", p->flags);
            now = value;
            /* the owner's flags (slab, vmalloc, pool) are the owner's to check */
            mask = PG_buddy | PG_head | PG_reserved;
        } else {
            FIELD(c, "allocated head order", p->order);
            now = value & 0xFF;
        }
        break;
    }
    case 7: {
        unsigned o = (value >> 24) % ORDERS;
        FIELD(c, "nr_free", z->free_area[o].nr_free);
        now = c->old + (int8_t)value;
        break;
    }
    case 8:
        if (value & 1) {
            FIELD(c, "zone free_pages", z->free_pages);
        } else {
            FIELD(c, "zone managed_pages", z->managed_pages);
        }
        now = c->old + (int8_t)(value >> 8);
        break;
    case 9:
        FIELD(c, "total_free", kh->total_free);
        now = c->old + (int8_t)value;
        break;
    case 10:
        if (value & 1) {
            FIELD(c, "lazy_pfn", z->lazy_pfn);
        } else {
            FIELD(c, "lazy_end", z->lazy_end);
        }
        now = c->old + (int16_t)(value >> 8);
        break;
    default: {
        unsigned o = (value >> 24) % (ORDERS + 2);   /* and two orders above the maximum */
        FIELD(c, "free list head", z->free_area[o].head);
        now = value & 0xFFFFFF;
        if (value & 0x800000)
            now = KH_NO_PFN;
        break;
    }
    }
    corrupt_apply(c, now);
    c->must_report = ((c->now ^ c->old) & mask) != 0;
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct corrupt_input in = { data, size };
    struct kh *kh = make();
    build(kh, &in);
    corrupt_check_clean(TARGET, kh, kh_page_validate);
    struct corrupt_change c;
    if (corrupt(kh, &in, &c))
        corrupt_judge(TARGET, kh, kh_page_validate, &c, "");
    kh_destroy(kh);
    return 0;
}
