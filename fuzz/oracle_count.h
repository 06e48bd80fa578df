/* oracle_count.h - the allocator's own counts against the caller's view.
 *
 * The per-CPU allocator's count of live allocations and vmalloc's counts of
 * live areas and mapped pages are what /proc shows; kh_validate only checks
 * them against the allocator's own structures, so an allocation or a free
 * that forgot its bookkeeping on both sides at once stays consistent. The
 * executor's shadow model holds exactly the blocks the trace has live (one
 * block per CPU copy of a per-CPU allocation), so after a run in which no
 * misuse ran (a misuse leaves blocks in an unknown state):
 *   percpu   live allocations x CPUs = per-CPU blocks in the shadow;
 *   vmalloc  live areas = vmalloc blocks in the shadow, and mapped pages =
 *            the sum of their sizes in whole pages (SPEC 9: vmalloc hands out
 *            whole pages; the guard page is not mapped).
 */
#ifndef KH_FUZZ_ORACLE_COUNT_H
#define KH_FUZZ_ORACLE_COUNT_H

#include <stdbool.h>
#include <stddef.h>

#include "kmem.h"
#include "shadow.h"

bool oracle_count_check(struct kh *kh, const struct shadow *sh, char *why, size_t cap);

#endif
