/* oracle_null.h - which allocation must succeed, which may fail, and which
 * call the fault injector must fail: decided from the spec, not from the
 * allocator's word.
 *
 * Two models, both restated from SPEC 3-4, SPEC 9 and Linux 6.1:
 *
 *  - Fault injection. The oracle keeps its own configuration (fail_nth N,
 *    fail_from N, the domain mask) and its own count of fault points. Each
 *    judged operation has a shape: how many points it makes (a band where
 *    allocator state decides, e.g. the page points of a slab refill) and
 *    whether its first point is certain. A certain point N that is not
 *    failed, a point passed without an injection, an injection on another
 *    call, or a point count outside the band is a finding.
 *
 *  - Watermarks per gfp. Per zone MIN/LOW/HIGH and lowmem_reserve come from
 *    the profile and the zone sizes (min_free_kbytes = sqrt(16 * lowmem KiB)
 *    clamped to 128..262144, split by managed pages; LOW/HIGH add
 *    max(min/4, managed * scale / 10000); reserve ratios 256/256/32). The
 *    alloc flags come from the gfp: __GFP_HIGH halves MIN, __GFP_ATOMIC
 *    (without __GFP_NOMEMALLOC) takes a further quarter, __GFP_MEMALLOC
 *    uses every reserve, __GFP_NOFAIL with direct reclaim gets every
 *    reserve as a last resort. Only the free page counts and free-list
 *    lengths (state) are read from the allocator.
 *
 * A NULL is then "must succeed" (a finding), "must fail" / "memory bound"
 * (decided), or "may fail" (the narrow band where the oracle cannot tell);
 * nullo_stats counts each so a campaign can report the band's share.
 */
#ifndef KH_ORACLE_NULL_H
#define KH_ORACLE_NULL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "gfp.h"
#include "kmem.h"

struct kh;

struct nullo_zone {
    bool present;
    unsigned long managed, free;
    unsigned long nr_free[KH_MAX_ORDER_LIMIT];
};

struct nullo_state {
    struct nullo_zone z[MAX_NR_ZONES];
};

struct nullo_marks {
    unsigned long managed[MAX_NR_ZONES];   /* what they were computed from */
    unsigned long min[MAX_NR_ZONES], low[MAX_NR_ZONES], high[MAX_NR_ZONES];
    unsigned long reserve[MAX_NR_ZONES][MAX_NR_ZONES];   /* [zone][classzone] */
};

/* What one allocation operation asks for. */
enum nullo_kind {
    NK_PAGES,       /* one page-allocator call: alloc_pages, __get_free_pages, alloc_pages_exact */
    NK_KMALLOC,     /* kmalloc family (size decides slab or page path) */
    NK_CACHE,       /* kmem_cache_alloc */
    NK_BULK,        /* kmem_cache_alloc_bulk */
    NK_VMALLOC,     /* vmalloc, vzalloc */
    NK_KVMALLOC,    /* kvmalloc family */
    NK_KREALLOC,    /* krealloc of a live object: may stay in place */
    NK_PERCPU,      /* __alloc_percpu */
    NK_REALLOC_612, /* 6.12 kvrealloc / vrealloc: a krealloc that may stay in place, then a
                       kvmalloc (or a new vmalloc area) when it could not; NULL is not judged */
};

struct nullo_call {
    enum nullo_kind kind;
    gfp_t gfp;               /* as the caller passed it */
    unsigned order;          /* NK_PAGES: the block's order */
    size_t size;             /* bytes (kmalloc, vmalloc, kvmalloc) */
    unsigned slab_order;     /* slab paths: the order of a minimal new slab */
    gfp_t cache_zone;        /* NK_CACHE/NK_BULK: __GFP_DMA / __GFP_DMA32 of the cache */
    unsigned long count;     /* NK_BULK: objects */
    bool over_limit;         /* the spec fixes NULL whatever the state */
};

struct nullo_stats {
    unsigned long judged;          /* allocations judged */
    unsigned long nulls;           /* of which returned NULL */
    unsigned long null_spec;       /* NULL fixed by the spec (size, order, ...) */
    unsigned long null_injected;   /* NULL with an injection the model placed */
    unsigned long null_memory;     /* NULL decided by the watermark model */
    unsigned long null_may;        /* NULL in the may-fail band */
    unsigned long must_succeed;    /* allocations the model said must succeed */
    unsigned long must_fail;       /* allocations the model said must fail */
};

struct nullo {
    unsigned page_shift, max_order;
    size_t max_cache_size, max_size, page_size;
    bool slub;
    bool linux_6_12;                 /* the profile follows 6.12's reserve rules (SPEC 10) */
    unsigned min_free_kbytes, watermark_scale_factor;
    struct nullo_marks m;
    bool marks_set;                  /* m holds this setup's marks (see nullo_mem_init) */
    struct nullo_state pre;          /* free pages when the operation started */
    /* fault injection as the trace configured it */
    enum kh_fault_mode mode;
    uint64_t nth;
    unsigned domains;
    uint64_t count;                  /* fault points so far, by the model */
    uint64_t attempts0, injected0;   /* the allocator's counters at op start */
    bool judged;                     /* a call site judged this op: its shape follows */
    uint64_t sh_lo, sh_hi, sh_slack; /* fault points it makes; may follow an injection */
    bool sh_first;                   /* its first fault point is certain */
    bool injected;                   /* this op had an injection the model accepted */
};

void nullo_init(struct nullo *n, const struct kh_config *cfg, size_t max_cache_size, size_t max_size);

/* At the start of a run (the allocator was reset: injection off). */
void nullo_run_begin(struct nullo *n, struct kh *kh);
/* The boot hand-over (memblock_free_all): the kernel computes the
 * watermarks from the managed pages once memory is initialised
 * (init_per_zone_wmark_min), and not again when memblock_free_late later
 * adds pages; the next operation's marks are computed afresh. */
void nullo_mem_init(struct nullo *n);
/* fail_nth / fail_from / fail_random / fail_off as the trace gave them. */
void nullo_fault_set(struct nullo *n, const struct kh_fault_config *fc);

/* Around every operation. nullo_op_end returns false with a reason in why
 * when the operation's fault injection contradicts the model. */
void nullo_op_begin(struct nullo *n, struct kh *kh, bool snapshot);
bool nullo_op_end(struct nullo *n, struct kh *kh, char *why, size_t cap);

/* Judges one allocation operation whose result was p (vm: p is a vmalloc
 * address). Returns NULL when consistent, else the finding's kind, with
 * the detail in why. */
const char *nullo_judge(struct nullo *n, struct kh *kh, const struct nullo_call *c, const void *p,
                        bool vm, char *why, size_t cap);

/* Whether one order-`order` page allocation with gfp must fail on the
 * zones as the current operation found them (its snapshot; no reclaim, no
 * fault injection): a success is then a finding. */
/* SPEC 4: the zone the fast path serves an order-`order` page allocation
 * with this gfp from, on the state when the operation started: the first
 * zone, from the highest the gfp allows down, whose free pages less the
 * block stay above its LOW mark plus the lowmem reserve against that
 * highest zone and that holds a free block big enough. -1 when no zone
 * passes (the slow path decides) or the gfp names no zone. */
int nullo_fast_path_zone(const struct nullo *n, gfp_t gfp, unsigned order);
bool nullo_pages_must_fail(const struct nullo *n, gfp_t gfp, unsigned order);

/* Watermarks the oracle computed (for tests and reports). */
const struct nullo_marks *nullo_marks(struct nullo *n, struct kh *kh);

/* Process-wide counts since start; printed at exit when KMEM_NULL_STATS is set. */
const struct nullo_stats *nullo_stats_get(void);
void nullo_stats_print(FILE *out);

#endif
