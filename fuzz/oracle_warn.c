/* oracle_warn.c - the failure report follows __GFP_NOWARN (see oracle_warn.h). */
#include "oracle_warn.h"

#include <stdio.h>
#include <string.h>

#include "gfp.h"
#include "memblock.h"
#include "page_alloc.h"

/* A report that says an allocation failed, whatever the subsystem (the
 * kernel's warn_alloc() and pcpu_alloc()'s "allocation failed"). */
static bool failure_report(const struct kh_report *r)
{
    if (r->cls == KH_R_PAGE_ALLOC_FAILURE)
        return true;
    if (r->cls == KH_R_PERCPU && r->reason && strstr(r->reason, "allocation failed"))
        return true;
    return r->cls == KH_R_VMALLOC && r->reason && strncmp(r->reason, "vmalloc", 7) == 0 &&
           strstr(r->reason, "fail") != NULL;
}

static bool gfp_arg(const struct kh_op *op, gfp_t *gfp)
{
    const struct kh_op_desc *d = kh_op_desc((enum kh_opcode)op->code);
    if (!d)
        return false;
    for (unsigned i = 0; i < kh_op_nargs(d); i++)
        if (d->args[i].kind == KH_ARG_GFP) {
            *gfp = (gfp_t)op->args[i].u;
            return true;
        }
    return false;
}

bool oracle_warn_op(struct kh *kh, const struct kh_op *op, int ok, unsigned first_report, char *why,
                    size_t cap)
{
    gfp_t gfp;
    if (!gfp_arg(op, &gfp))
        return true;
    unsigned failures = 0;
    const struct kh_report *first = NULL, *r;
    for (unsigned i = first_report; (r = kh_report_get(kh, i)) != NULL; i++)
        if (failure_report(r) && !failures++)
            first = r;
    if ((gfp & __GFP_NOWARN) && failures) {
        snprintf(why, cap, "__GFP_NOWARN is set, yet the allocator reported \"%s\" (%s)", first->reason,
                 first->subsystem);
        return false;
    }
    /* before the hand-over the page allocator refuses with its own warning */
    if (ok != 0 || (gfp & (__GFP_NOWARN | __GFP_NOFAIL)) || failures || kh_boot_in_progress(kh))
        return true;
    uint64_t order;
    switch (op->code) {
    case KH_OP_ALLOC_PAGES:
    case KH_OP_GET_FREE_PAGES:
        order = op->args[0].u;
        break;
    case KH_OP_GET_ZEROED_PAGE:
        order = 0;
        break;
    case KH_OP_ALLOC_PAGES_EXACT: {
        uint64_t size = op->args[0].u, pages = (size - 1) / kh_page_size(kh) + 1;
        if (!size)
            return true;
        for (order = 0; order < 64 && (1ull << order) < pages; order++)
            ;
        break;
    }
    default:
        return true;
    }
    if (order >= kh_max_order(kh))
        return true;   /* "order above max" warns instead (SPEC 4) */
    snprintf(why, cap, "an order-%llu page allocation without __GFP_NOWARN failed silently "
             "(no \"page allocation failure\" report)", (unsigned long long)order);
    return false;
}
