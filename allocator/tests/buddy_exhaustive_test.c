/* buddy_exhaustive_test.c - every allocation order sequence, every free
 * order, on a 64-page arena.
 *
 * For each sequence of orders up to a small length and each permutation of
 * the frees, after every step: the validator finds nothing, live blocks are
 * aligned and disjoint, an allocation fails exactly when no free block is
 * large enough, a success splits the smallest sufficient block (nr_free
 * moves as the rule says), and once everything is freed the set of free
 * blocks is exactly the initial one. Runs with max_order 7 (the whole arena
 * is one block) and max_order 4 (eight lazy blocks, so carving and the
 * no-merge-across-max-order rule are exercised).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "internal.h"
#include "introspect.h"
#include "page_alloc.h"

#define ARENA_PAGES 64
#define MAX_LEN 5
#define NOPFN (~0ul)

struct block_set {
    unsigned n;
    uint32_t key[ARENA_PAGES];   /* pfn << 8 | order, sorted */
};

static int collect(void *ctx, const struct kh_block_info *b)
{
    struct block_set *s = ctx;
    if (s->n < ARENA_PAGES)
        s->key[s->n++] = (uint32_t)(b->pfn << 8 | b->order);
    return 0;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static void free_set(struct kh *kh, struct block_set *s)
{
    s->n = 0;
    kh_for_each_free_block(kh, collect, s);
    qsort(s->key, s->n, sizeof(s->key[0]), cmp_u32);
}

static bool same_set(const struct block_set *a, const struct block_set *b)
{
    return a->n == b->n && memcmp(a->key, b->key, a->n * sizeof(a->key[0])) == 0;
}

struct run {
    struct kh *kh;
    unsigned max_order;
    struct block_set initial;
    unsigned long runs, failures;
    char why[256];
};

static bool fail(struct run *r, const char *fmt, unsigned long a, unsigned long b)
{
    snprintf(r->why, sizeof(r->why), fmt, a, b);
    return false;
}

static bool valid(struct run *r)
{
    struct kh_violations v = { 0 };
    unsigned n = kh_page_validate(r->kh, &v);
    if (n)
        snprintf(r->why, sizeof(r->why), "validation: %s: %s", v.v[0].invariant, v.v[0].detail);
    kh_violations_free(&v);
    return n == 0;
}

static unsigned long nr_free(struct kh *kh, unsigned order)
{
    return kh->zones[ZONE_NORMAL].free_area[order].nr_free;
}

/* One allocation, checked against the buddy rules. */
static bool alloc_step(struct run *r, unsigned order, unsigned long *pfn, uint64_t *live)
{
    struct kh *kh = r->kh;
    unsigned long before[KH_MAX_ORDER_LIMIT];
    int smallest = -1;
    for (unsigned o = 0; o < r->max_order; o++) {
        before[o] = nr_free(kh, o);
        if (smallest < 0 && o >= order && before[o])
            smallest = (int)o;
    }
    unsigned long free_before = kh_nr_free_pages(kh);
    struct page *p = kh_alloc_pages(kh, GFP_KERNEL | __GFP_NOWARN, order);
    if (!p) {
        *pfn = NOPFN;
        if (smallest >= 0)
            return fail(r, "order %lu failed with a free order-%lu block", order,
                        (unsigned long)smallest);
        return valid(r);
    }
    *pfn = kh_page_to_pfn(kh, p);
    uint64_t mask = (1ul << order) == 64 ? ~0ull : ((1ull << (1u << order)) - 1) << *pfn;
    if (smallest < 0)
        return fail(r, "order %lu succeeded with no free block (pfn %lu)", order, *pfn);
    if (*pfn & ((1ul << order) - 1))
        return fail(r, "pfn %lu not aligned to order %lu", *pfn, order);
    if (*pfn + (1ul << order) > ARENA_PAGES || (*live & mask))
        return fail(r, "block at pfn %lu (order %lu) overlaps a live one", *pfn, order);
    *live |= mask;
    if (kh_nr_free_pages(kh) != free_before - (1ul << order))
        return fail(r, "free pages %lu, expected %lu", kh_nr_free_pages(kh),
                    free_before - (1ul << order));
    /* split: one block of the smallest sufficient order went, one upper
     * half appeared on each order from `order` to smallest - 1 */
    for (unsigned o = 0; o < r->max_order; o++) {
        unsigned long want = before[o];
        if ((int)o == smallest)
            want--;
        else if (o >= order && (int)o < smallest)
            want++;
        if (nr_free(kh, o) != want)
            return fail(r, "after a split nr_free[%lu] = %lu", o, nr_free(kh, o));
    }
    return valid(r);
}

static bool free_step(struct run *r, unsigned long pfn, unsigned order, uint64_t *live)
{
    uint64_t mask = (1ul << order) == 64 ? ~0ull : ((1ull << (1u << order)) - 1) << pfn;
    unsigned long free_before = kh_nr_free_pages(r->kh);
    kh___free_pages(r->kh, kh_pfn_to_page(r->kh, pfn), order);
    *live &= ~mask;
    if (kh_nr_free_pages(r->kh) != free_before + (1ul << order))
        return fail(r, "free of pfn %lu left %lu free pages", pfn, kh_nr_free_pages(r->kh));
    return valid(r);
}

static bool one_run(struct run *r, const unsigned *orders, const unsigned *perm, unsigned len)
{
    unsigned long pfns[MAX_LEN];
    uint64_t live = 0;
    for (unsigned i = 0; i < len; i++)
        if (!alloc_step(r, orders[i], &pfns[i], &live))
            return false;
    for (unsigned i = 0; i < len; i++) {
        unsigned k = perm[i];
        if (pfns[k] != NOPFN && !free_step(r, pfns[k], orders[k], &live))
            return false;
    }
    struct block_set now;
    free_set(r->kh, &now);
    if (!same_set(&now, &r->initial))
        return fail(r, "free blocks after freeing everything: %lu (initially %lu)", now.n,
                    r->initial.n);
    if (kh_nr_free_pages(r->kh) != ARENA_PAGES || kh_report_count(r->kh, KH_SEV_BUG))
        return fail(r, "%lu free pages, %lu bug reports", kh_nr_free_pages(r->kh),
                    kh_report_count(r->kh, KH_SEV_BUG));
    return true;
}

static bool next_permutation(unsigned *a, unsigned n)
{
    if (n < 2)
        return false;
    unsigned i = n - 1;
    while (i > 0 && a[i - 1] >= a[i])
        i--;
    if (i == 0)
        return false;
    unsigned j = n - 1;
    while (a[j] <= a[i - 1])
        j--;
    unsigned t = a[i - 1];
    a[i - 1] = a[j];
    a[j] = t;
    for (unsigned l = i, h = n - 1; l < h; l++, h--) {
        t = a[l];
        a[l] = a[h];
        a[h] = t;
    }
    return true;
}

static void report_failure(struct run *r, const unsigned *orders, const unsigned *perm,
                           unsigned len)
{
    if (r->failures++ >= 5)
        return;
    fprintf(stderr, "%s:%d: max_order %u, orders", __FILE__, __LINE__, r->max_order);
    for (unsigned i = 0; i < len; i++)
        fprintf(stderr, " %u", orders[i]);
    fprintf(stderr, ", free order");
    for (unsigned i = 0; i < len; i++)
        fprintf(stderr, " %u", perm[i]);
    fprintf(stderr, ": %s\n", r->why);
}

static void exhaust(unsigned max_order, unsigned max_len)
{
    struct kh_config cfg;
    kh_profile_config(KH_DEFAULT_PROFILE, &cfg);
    cfg.max_order = max_order;
    memset(cfg.zone_bytes, 0, sizeof(cfg.zone_bytes));
    cfg.zone_bytes[ZONE_NORMAL] = ARENA_PAGES * 4096;
    cfg.min_free_kbytes = 1;   /* watermarks 0: only the buddy rules decide */
    struct run r = { .kh = kh_create(&cfg, NULL), .max_order = max_order };
    CHECK(r.kh != NULL);
    if (!r.kh)
        return;
    kh_set_report_mode(r.kh, KH_REPORT_RECORD);
    free_set(r.kh, &r.initial);
    CHECK_EQ_U(r.initial.n, ARENA_PAGES >> (max_order - 1));

    for (unsigned len = 1; len <= max_len; len++) {
        unsigned orders[MAX_LEN] = { 0 };
        for (;;) {
            unsigned perm[MAX_LEN];
            for (unsigned i = 0; i < len; i++)
                perm[i] = i;
            do {
                r.runs++;
                if (!check_record(one_run(&r, orders, perm, len))) {
                    report_failure(&r, orders, perm, len);
                    kh_reset(r.kh);   /* contain the damage to this run */
                }
            } while (next_permutation(perm, len));
            unsigned i = 0;   /* next order sequence (base max_order counter) */
            while (i < len && ++orders[i] == max_order)
                orders[i++] = 0;
            if (i == len)
                break;
        }
    }
    printf("max_order %u: %lu runs up to length %u, %lu failed\n", max_order, r.runs, max_len,
           r.failures);
    /* the arena is back to its initial free blocks and still consistent */
    struct kh_violations v = { 0 };
    CHECK_EQ_U(kh_validate(r.kh, &v), 0);
    kh_violations_free(&v);
    kh_destroy(r.kh);
}

int main(void)
{
    exhaust(7, 4);   /* whole arena one block: 7^4 sequences x 24 free orders at length 4 */
    exhaust(4, 5);   /* eight max-order blocks: 4^5 x 120 at length 5 */
    return check_summary();
}
