/* oracle_reclaim.h - direct reclaim runs only for a caller that may sleep.
 *
 * SPEC 3: only __GFP_DIRECT_RECLAIM allows sleeping, and direct reclaim (the
 * shrinkers) is sleeping; the slow path runs it after the MIN-watermark
 * attempt failed, for a caller with that bit and for no other. SPEC 8:
 * mempool_alloc's first attempt has direct reclaim taken away, so while its
 * reserve holds an element (which it hands out when that attempt fails) it
 * never reclaims. The kernel's drop_caches (shrink_all) runs the shrinkers
 * by definition. An operation without a gfp argument allocates with
 * GFP_KERNEL inside (mempool_create, alloc_percpu, vmalloc): it may.
 *
 * SPEC 3: the slow path gives up after one round of direct reclaim for
 * __GFP_NORETRY, and for a costly order (above 3) without
 * __GFP_RETRY_MAYFAIL; SLUB's first, higher-order slab attempt may not
 * reclaim at all. So an operation that makes a single page-allocator call
 * (a page allocation, kmalloc_large, one slab object) reclaims at most once
 * under those flags.
 *
 * The executor counts reclaim passes with a shrinker of its own (it
 * releases nothing, so it changes no decision) and calls oracle_reclaim_op
 * after each operation with the passes it made.
 */
#ifndef KH_FUZZ_ORACLE_RECLAIM_H
#define KH_FUZZ_ORACLE_RECLAIM_H

#include <stdbool.h>
#include <stddef.h>

#include "gfp.h"
#include "trace.h"

/* passed_gfp: the gfp the executor passed (it may take bits away from the
 * trace's, see op_pool_alloc); reserve_before: a mempool_alloc's reserve
 * count when it started (-1 otherwise). Returns false with the reason in
 * why when reclaim ran where the spec forbids it. */
struct oracle_reclaim_env {
    bool slab_one_call;      /* a slab object takes at most one page call that may
                                reclaim (SLUB, SLOB; not classic SLAB's off-slab index) */
    size_t max_cache_size;   /* KMALLOC_MAX_CACHE_SIZE: above it, kmalloc_large */
    size_t max_size;         /* KMALLOC_MAX_SIZE */
    unsigned page_shift;
};

bool oracle_reclaim_op(const struct oracle_reclaim_env *env, const struct kh_op *op, gfp_t passed_gfp,
                       int reserve_before, unsigned long passes, char *why, size_t cap);

#endif
