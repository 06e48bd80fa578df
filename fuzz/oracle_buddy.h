/* oracle_buddy.h - which free block an allocation splits (SPEC 4).
 *
 * An allocation takes the lowest order with a free block and splits it
 * down, one upper half to each order in between. So, from the free lists
 * before the call, the zone that served an order-k block has one block
 * fewer at the first order j >= k that had one, one more at each order
 * k..j-1, and every other list of every zone is as it was. The lists are
 * read through the zone introspection; the rule is the oracle's own.
 *
 * The caller leaves out calls where reclaim ran (shrinkers give pages
 * back) and the boot phase (memblock owns the memory). The reference has
 * no per-CPU page lists; with them, blocks of order 3 and below would
 * leave the buddy lists in batches and the rule would hold per batch.
 */
#ifndef KH_FUZZ_ORACLE_BUDDY_H
#define KH_FUZZ_ORACLE_BUDDY_H

#include <stdbool.h>
#include <stddef.h>

#include "oracle_null.h"

/* After an order-`order` block was handed out by zone `served`, with the
 * free lists `before` the call. Returns false, with why, when the lists
 * now are not those lists with the smallest free block split. */
bool oracle_buddy_split(struct kh *kh, const struct nullo_state *before, int served, unsigned order,
                        char *why, size_t cap);

#endif
