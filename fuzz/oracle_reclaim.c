/* oracle_reclaim.c - no direct reclaim without __GFP_DIRECT_RECLAIM (see
 * oracle_reclaim.h). */
#include "oracle_reclaim.h"

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

bool oracle_reclaim_op(const struct kh_op *op, gfp_t passed_gfp, int reserve_before,
                       unsigned long passes, char *why, size_t cap)
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
    return true;
}
