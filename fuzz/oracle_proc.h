/* oracle_proc.h - /proc/slabinfo and /proc/buddyinfo as SPEC 4 and SPEC 5
 * print them, from the numbers the introspection API gives.
 *
 * The fuzz side never read the /proc texts, so a slip in their printing (a
 * column, a row left out, an off-by-one in the walk) went unseen. At the end
 * of each run the executor renders both and holds them to the spec's format:
 * buddyinfo byte for byte (a line per present zone, nr_free per order); for
 * slabinfo the two header lines, exactly one row per cache, and each row
 * printed with the spec's format from that cache's geometry and counts
 * (total objects, slot size, objects and pages per slab, total slabs; SLUB's
 * tunables 0 0 0), its active columns between what is in use and the totals.
 */
#ifndef KH_FUZZ_ORACLE_PROC_H
#define KH_FUZZ_ORACLE_PROC_H

#include <stdbool.h>
#include <stddef.h>

#include "kmem.h"

bool oracle_proc_check(struct kh *kh, char *why, size_t cap);

#endif
