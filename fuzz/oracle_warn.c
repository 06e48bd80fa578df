/* oracle_warn.c - the failure report follows __GFP_NOWARN (see oracle_warn.h). */
#include "oracle_warn.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "gfp.h"
#include "memblock.h"
#include "oracle.h"
#include "page_alloc.h"

/* A report that says an allocation failed, whatever the subsystem (the
 * kernel's warn_alloc() and pcpu_alloc()'s "allocation failed"). */
static bool failure_report(const struct kh_report *r)
{
    if (r->cls == KH_R_PAGE_ALLOC_FAILURE)
        return true;
    /* pcpu_alloc's own report, and its illegal size or align warning:
     * both are made only without __GFP_NOWARN (SPEC 9) */
    if (r->cls == KH_R_PERCPU && r->reason &&
        (strstr(r->reason, "allocation failed") || strstr(r->reason, "illegal size or align")))
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

/* The bytes an operation asks for, where its size decides which path the
 * request takes (kvmalloc's kmalloc attempt is quiet only above a page). */
static uint64_t request_bytes(const struct kh_op *op)
{
    switch (op->code) {
    case KH_OP_KVMALLOC:
    case KH_OP_KVZALLOC:
        return op->args[0].u;
    case KH_OP_KVMALLOC_ARRAY:
    case KH_OP_KVCALLOC: {
        uint64_t n = op->args[0].u, size = op->args[1].u;
        return size && n > UINT64_MAX / size ? UINT64_MAX : n * size;
    }
    case KH_OP_KVREALLOC:
        return op->args[2].u;   /* the new size */
    case KH_OP_KVREALLOC_612:
        return op->args[1].u;
    default:
        return 0;
    }
}

/* Page allocations the subsystem itself makes quiet, whatever the caller
 * passed: SPEC 8 (mempool_alloc adds __GFP_NOWARN to every attempt, so
 * nothing it does reports a failure) and SPEC 9 (vmalloc takes its pages
 * with __GFP_NOWARN and reports the area's failure itself; kvmalloc's
 * kmalloc attempt above a page is quiet, and so is the per-CPU allocator's
 * chunk allocation, which reports "allocation failed" itself). Returns
 * 2 when no failure report may appear, 1 when no page allocation failure
 * report and no refusal of a size past the limits may, 0 when the
 * caller's gfp decides. */
static int quiet_inside(struct kh *kh, const struct kh_op *op)
{
    switch (op->code) {
    case KH_OP_MEMPOOL_ALLOC:
        return 2;
    case KH_OP_VMALLOC:
    case KH_OP_VZALLOC:
    case KH_OP_VMALLOC_GFP:
    case KH_OP_VREALLOC:
    case KH_OP_ALLOC_PERCPU:
    case KH_OP_ALLOC_PERCPU_GFP:
        return 1;
    case KH_OP_KVMALLOC:
    case KH_OP_KVZALLOC:
    case KH_OP_KVMALLOC_ARRAY:
    case KH_OP_KVCALLOC:
    case KH_OP_KVREALLOC:
    case KH_OP_KVREALLOC_612:
        return request_bytes(op) > kh_page_size(kh) ? 1 : 0;
    default:
        return 0;
    }
}

static bool titled(const struct kh_report *r, const char *reason)
{
    return r->cls == KH_R_WARN && r->reason && strcmp(r->reason, reason) == 0;
}

/* The order of a page operation's single allocation, or -1. */
static int64_t page_op_order(struct kh *kh, const struct kh_op *op)
{
    switch (op->code) {
    case KH_OP_ALLOC_PAGES:
    case KH_OP_GET_FREE_PAGES:
        return op->args[0].u > 64 ? -1 : (int64_t)op->args[0].u;   /* not run above 64 */
    case KH_OP_GET_ZEROED_PAGE:
        return 0;
    case KH_OP_ALLOC_PAGES_EXACT:
        return op->args[0].u ? oracle_get_order((unsigned)__builtin_ctzl(kh_page_size(kh)), op->args[0].u)
                             : -1;
    default:
        return -1;
    }
}

/* SPEC 4: an order at or above MAX_ORDER is refused before any attempt,
 * with the "order above max" warning (quiet under __GFP_NOWARN) and never
 * a page allocation failure report. The warning about __GFP_NOFAIL with
 * an order above 1 needs __GFP_NOFAIL in the caller's flags: nothing
 * inside the allocator adds that bit. */
static bool order_warnings(struct kh *kh, const struct kh_op *op, gfp_t gfp, bool has_gfp,
                           unsigned first_report, char *why, size_t cap)
{
    const char *name = kh_op_desc((enum kh_opcode)op->code)->name;
    unsigned above_max = 0, page_failures = 0;
    const struct kh_report *r;
    for (unsigned i = first_report; (r = kh_report_get(kh, i)) != NULL; i++) {
        above_max += titled(r, "order above max");
        page_failures += r->cls == KH_R_PAGE_ALLOC_FAILURE;
        if (titled(r, "__GFP_NOFAIL with order > 1") && !(has_gfp && (gfp & __GFP_NOFAIL))) {
            snprintf(why, cap, "%s without __GFP_NOFAIL (gfp %#x) drew the warning \"%s\"", name,
                     has_gfp ? (unsigned)gfp : 0u, r->reason);
            return false;
        }
    }
    int64_t order = page_op_order(kh, op);
    if (order < (int64_t)kh_max_order(kh) || !has_gfp || kh_boot_in_progress(kh))
        return true;
    if (page_failures) {
        snprintf(why, cap, "%s of order %lld (MAX_ORDER %u) was refused with a page allocation failure "
                 "report; 6.1 refuses it before any attempt", name, (long long)order, kh_max_order(kh));
        return false;
    }
    if (!(gfp & __GFP_NOWARN) && !above_max) {
        snprintf(why, cap, "%s of order %lld (MAX_ORDER %u) without __GFP_NOWARN drew no \"order above "
                 "max\" warning", name, (long long)order, kh_max_order(kh));
        return false;
    }
    return true;
}

/* SPEC 3: kmalloc and the slab layer warn "Unexpected gfp" when the caller
 * passed __GFP_DMA32, __GFP_HIGHMEM or a bit past the gfp bits, and drop
 * them; nothing inside the allocator adds such a bit to a slab request. So
 * the warning needs one of them in the caller's flags. */
static bool fixed_gfp_warning(struct kh *kh, const struct kh_op *op, gfp_t gfp, bool has_gfp,
                              unsigned first_report, char *why, size_t cap)
{
    const gfp_t slab_bug = __GFP_DMA32 | __GFP_HIGHMEM | ~(gfp_t)___GFP_BITS_MASK;
    if (has_gfp && (gfp & slab_bug))
        return true;
    const struct kh_report *r;
    for (unsigned i = first_report; (r = kh_report_get(kh, i)) != NULL; i++)
        if (titled(r, "Unexpected gfp")) {
            snprintf(why, cap, "%s (gfp %#x) drew \"Unexpected gfp\", which only __GFP_DMA32, "
                     "__GFP_HIGHMEM or a bit past the gfp bits in the caller's flags may draw",
                     kh_op_desc((enum kh_opcode)op->code)->name, has_gfp ? (unsigned)gfp : 0u);
            return false;
        }
    return true;
}

#define PCPU_WARN_LIMIT 10   /* pcpu_alloc's failure reports per boot (SPEC 9) */

static bool percpu_failure(const struct kh_report *r)
{
    return r->cls == KH_R_PERCPU && r->reason && strstr(r->reason, "allocation failed");
}

/* SPEC 9: a per-CPU allocation that fails without __GFP_NOWARN says so
 * (its own "allocation failed", or the illegal size or align warning),
 * until ten failures have been reported since boot. */
unsigned oracle_warn_percpu_failures(struct kh *kh, unsigned first_report)
{
    unsigned n = 0;
    const struct kh_report *r;
    for (unsigned i = first_report; (r = kh_report_get(kh, i)) != NULL; i++)
        n += percpu_failure(r);
    return n;
}

static bool percpu_failure_reported(struct kh *kh, const struct kh_op *op, int ok, gfp_t gfp,
                                    unsigned first_report, unsigned before, char *why, size_t cap)
{
    unsigned now = 0;
    const struct kh_report *r;
    for (unsigned i = first_report; (r = kh_report_get(kh, i)) != NULL; i++)
        now += r->cls == KH_R_PERCPU;
    if ((op->code != KH_OP_ALLOC_PERCPU && op->code != KH_OP_ALLOC_PERCPU_GFP) || ok != 0 ||
        (gfp & __GFP_NOWARN) || kh_boot_in_progress(kh) || now || before >= PCPU_WARN_LIMIT)
        return true;
    snprintf(why, cap, "%s without __GFP_NOWARN (gfp %#x) failed silently, after %u of the %u "
             "failure reports", kh_op_desc((enum kh_opcode)op->code)->name, (unsigned)gfp, before,
             PCPU_WARN_LIMIT);
    return false;
}

/* SPEC 8: mempool_alloc warns when given __GFP_ZERO (a reserve element
 * comes back as it was freed, not zeroed), and only then. */
static bool mempool_zero_warning(struct kh *kh, const struct kh_op *op, gfp_t gfp, unsigned first_report,
                                 char *why, size_t cap)
{
    if (op->code != KH_OP_MEMPOOL_ALLOC)
        return true;
    unsigned warned = 0;
    const struct kh_report *r;
    for (unsigned i = first_report; (r = kh_report_get(kh, i)) != NULL; i++)
        warned += r->cls == KH_R_MEMPOOL && r->severity == KH_SEV_WARN && r->reason &&
                  strcmp(r->reason, "mempool_alloc with __GFP_ZERO") == 0;
    bool zero = (gfp & __GFP_ZERO) != 0;
    if (warned == (zero ? 1u : 0u))
        return true;
    snprintf(why, cap, "mempool_alloc with gfp %#x (%s__GFP_ZERO) made %u \"mempool_alloc with "
             "__GFP_ZERO\" warnings; the spec says %u", (unsigned)gfp, zero ? "" : "no ", warned,
             zero ? 1u : 0u);
    return false;
}

bool oracle_warn_op(struct kh *kh, const struct kh_op *op, int ok, unsigned first_report,
                    unsigned percpu_reported, char *why, size_t cap)
{
    int quiet = quiet_inside(kh, op);
    unsigned failures = 0, page_reports = 0;
    const struct kh_report *first = NULL, *first_page = NULL, *r;
    for (unsigned i = first_report; (r = kh_report_get(kh, i)) != NULL; i++) {
        if (failure_report(r) && !failures++)
            first = r;
        /* so are the refusals of a size past what kmalloc or the page
         * allocator can give (SPEC 1, 4): a quiet attempt makes neither */
        if ((r->cls == KH_R_PAGE_ALLOC_FAILURE || titled(r, "order above max") ||
             titled(r, "kmalloc size above KMALLOC_MAX_SIZE")) && !page_reports++)
            first_page = r;
    }
    if (quiet == 2 && failures) {
        snprintf(why, cap, "%s adds __GFP_NOWARN to every allocation it makes, yet the allocator "
                 "reported \"%s\" (%s)", kh_op_desc((enum kh_opcode)op->code)->name, first->reason,
                 first->subsystem);
        return false;
    }
    if (quiet == 1 && page_reports) {
        snprintf(why, cap, "%s makes its attempts with __GFP_NOWARN, yet the allocator reported "
                 "\"%s\" (%s)", kh_op_desc((enum kh_opcode)op->code)->name, first_page->reason,
                 first_page->subsystem);
        return false;
    }
    gfp_t gfp = 0;
    bool has_gfp = gfp_arg(op, &gfp);
    if (!order_warnings(kh, op, gfp, has_gfp, first_report, why, cap))
        return false;
    if (!fixed_gfp_warning(kh, op, gfp, has_gfp, first_report, why, cap))
        return false;
    if (has_gfp && !mempool_zero_warning(kh, op, gfp, first_report, why, cap))
        return false;
    if (!percpu_failure_reported(kh, op, ok, has_gfp ? gfp : GFP_KERNEL, first_report, percpu_reported,
                                 why, cap))
        return false;
    if (!has_gfp)
        return true;
    if ((gfp & __GFP_NOWARN) && failures) {
        snprintf(why, cap, "__GFP_NOWARN is set, yet the allocator reported \"%s\" (%s)", first->reason,
                 first->subsystem);
        return false;
    }
    /* before the hand-over the page allocator refuses with its own warning */
    if (ok != 0 || (gfp & (__GFP_NOWARN | __GFP_NOFAIL)) || failures || kh_boot_in_progress(kh))
        return true;
    int64_t order = page_op_order(kh, op);
    if (order < 0)
        return true;
    if (order >= (int64_t)kh_max_order(kh))
        return true;   /* "order above max" warns instead (SPEC 4) */
    snprintf(why, cap, "an order-%llu page allocation without __GFP_NOWARN failed silently "
             "(no \"page allocation failure\" report)", (unsigned long long)order);
    return false;
}
