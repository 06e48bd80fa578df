/* oracle_reclaim.c - no direct reclaim without __GFP_DIRECT_RECLAIM (see
 * oracle_reclaim.h). */
#include "oracle_reclaim.h"

#include "oracle.h"

#include <stdint.h>
#include <stdio.h>

static bool has_gfp_arg(const struct kh_op *op)
{
    const struct kh_op_desc *d = kh_op_desc((enum kh_opcode)op->code);
    if (!d)
        return false;
    for (unsigned i = 0; i < kh_op_nargs(d); i++)
        if (d->args[i].kind == KH_ARG_GFP)
            return true;
    return false;
}

#define COSTLY_ORDER 3   /* PAGE_ALLOC_COSTLY_ORDER */

/* A kmalloc of size bytes: one page call (a slab object's, or
 * kmalloc_large's, whose order it gives); false when it makes none or the
 * slab design may make more. */
static bool kmalloc_call(const struct oracle_reclaim_env *env, uint64_t size, int *order)
{
    if (size == 0 || size > env->max_size)
        return false;
    if (size > env->max_cache_size) {
        *order = (int)oracle_get_order(env->page_shift, size);
        return true;
    }
    *order = -1;   /* the cache's minimum order: not judged as costly */
    return env->slab_one_call;
}

/* Does op make a single page-allocator call that may reclaim? *order is
 * its order when the arguments fix it, else -1. */
static bool single_page_call(const struct oracle_reclaim_env *env, const struct kh_op *op, int *order)
{
    const struct kh_operand *a = op->args;
    switch (op->code) {
    case KH_OP_ALLOC_PAGES:
    case KH_OP_GET_FREE_PAGES:
        *order = a[0].u < 64 ? (int)a[0].u : 64;
        return true;
    case KH_OP_GET_ZEROED_PAGE:
        *order = 0;
        return true;
    case KH_OP_ALLOC_PAGES_EXACT:
        *order = a[0].u ? (int)oracle_get_order(env->page_shift, a[0].u) : -1;
        return a[0].u != 0;
    case KH_OP_KMALLOC:
    case KH_OP_KZALLOC:
    case KH_OP_KMALLOC_NODE:
    case KH_OP_KZALLOC_NODE:
        return kmalloc_call(env, a[0].u, order);
    case KH_OP_KCALLOC:
    case KH_OP_KMALLOC_ARRAY:
        return a[1].u && a[0].u <= UINT64_MAX / a[1].u && kmalloc_call(env, a[0].u * a[1].u, order);
    case KH_OP_KMEM_CACHE_ALLOC:
    case KH_OP_KMEM_CACHE_ZALLOC:
    case KH_OP_KMEM_CACHE_ALLOC_NODE:
        *order = -1;
        return env->slab_one_call;
    default:
        return false;
    }
}

bool oracle_reclaim_op(const struct oracle_reclaim_env *env, const struct kh_op *op, gfp_t passed_gfp,
                       int reserve_before, unsigned long passes, char *why, size_t cap)
{
    if (!passes || op->code == KH_OP_SHRINK_ALL || !has_gfp_arg(op))
        return true;
    const char *name = kh_op_desc((enum kh_opcode)op->code)->name;
    if (!(passed_gfp & __GFP_DIRECT_RECLAIM)) {
        snprintf(why, cap, "%s without __GFP_DIRECT_RECLAIM (gfp %#x) ran direct reclaim "
                 "(%lu shrinker pass%s)", name, (unsigned)passed_gfp, passes, passes == 1 ? "" : "es");
        return false;
    }
    if (op->code == KH_OP_MEMPOOL_ALLOC && reserve_before > 0) {
        snprintf(why, cap, "mempool_alloc ran direct reclaim (%lu shrinker pass%s) with %d element%s "
                 "in the reserve: its first attempt must not reclaim", passes, passes == 1 ? "" : "es",
                 reserve_before, reserve_before == 1 ? "" : "s");
        return false;
    }
    int order;
    if (passes > 1 && single_page_call(env, op, &order)) {
        bool noretry = passed_gfp & __GFP_NORETRY;
        bool costly = order > COSTLY_ORDER && !(passed_gfp & __GFP_RETRY_MAYFAIL);
        if (noretry || costly) {
            snprintf(why, cap, "%s (gfp %#x%s) ran %lu rounds of direct reclaim; one page allocation %s "
                     "gives up after the first", name, (unsigned)passed_gfp,
                     costly ? ", a costly order" : "", passes,
                     noretry ? "with __GFP_NORETRY" : "of a costly order without __GFP_RETRY_MAYFAIL");
            return false;
        }
    }
    return true;
}
