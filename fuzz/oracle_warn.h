/* oracle_warn.h - the allocation-failure report, as the gfp flags fix it.
 *
 * SPEC 3 and SPEC 4: __GFP_NOWARN silences the failure report, and a failed
 * page allocation prints "page allocation failure: order:N, mode:..." unless
 * it is set. The flag travels with the request into every allocation made
 * for it (a slab's pages, kvmalloc's attempts, vmalloc's pages), so:
 *   - an operation whose gfp has __GFP_NOWARN draws no failure report of any
 *     subsystem (page allocation failure, vmalloc failure, per-CPU failure);
 *   - a page-allocator operation (alloc_pages, __get_free_pages,
 *     get_zeroed_page, alloc_pages_exact) that returns NULL for an order
 *     within the maximum, without __GFP_NOWARN, draws one;
 *   - where the subsystem adds __GFP_NOWARN itself, the caller's gfp does
 *     not decide: mempool_alloc draws no failure report at all (SPEC 8);
 *     vmalloc, the per-CPU allocator and kvmalloc above a page draw no page
 *     allocation failure report, only their own (SPEC 9).
 * The executor calls oracle_warn_op after each operation, before the
 * operation's reports are cleared.
 */
#ifndef KH_FUZZ_ORACLE_WARN_H
#define KH_FUZZ_ORACLE_WARN_H

#include <stdbool.h>
#include <stddef.h>

#include "kmem.h"
#include "trace.h"

/* first_report: the index of the operation's first report. ok: the
 * operation's outcome (exec_outcome.ok: -1 no allocation, 0 NULL, 1 memory).
 * percpu_reported: the per-CPU "allocation failed" reports of the run so
 * far (oracle_warn_percpu_failures summed over every operation before).
 * Returns false with the reason in why when the reports break the rule. */
bool oracle_warn_op(struct kh *kh, const struct kh_op *op, int ok, unsigned first_report,
                    unsigned percpu_reported, char *why, size_t cap);
/* The per-CPU "allocation failed" reports among an operation's reports
 * (the kernel stops after ten per boot). */
unsigned oracle_warn_percpu_failures(struct kh *kh, unsigned first_report);

#endif
