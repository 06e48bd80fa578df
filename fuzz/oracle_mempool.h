/* oracle_mempool.h - a mempool's reserve count, operation by operation, as
 * SPEC 8 fixes it.
 *
 * The executor used to take mempool_alloc's NULL as "reserve and allocator
 * both dry" and never looked at the reserve count. The spec fixes how each
 * operation moves it:
 *   create      a pool that is created holds a full reserve (curr = min);
 *   alloc       a non-NULL result comes from the allocator (reserve
 *               unchanged) or from the reserve (one less); NULL only when the
 *               reserve was empty, and it stays empty;
 *   free        the element refills the reserve while it is below min_nr,
 *               otherwise goes back to the allocator (reserve unchanged);
 *               freeing NULL changes nothing;
 *   resize      shrinking to n leaves min(curr, n); growing fills towards the
 *               new min_nr (as far as memory allows), never below the old count;
 *   anything else leaves every pool's reserve and min_nr alone.
 * The executor snapshots every pool before an operation and judges after it.
 */
#ifndef KH_FUZZ_ORACLE_MEMPOOL_H
#define KH_FUZZ_ORACLE_MEMPOOL_H

#include <stdbool.h>
#include <stddef.h>

#include "kmem.h"
#include "trace.h"

#define ORACLE_MEMPOOL_MAX 64

struct oracle_mempool {
    struct { const void *pool; int min, curr; } before[ORACLE_MEMPOOL_MAX];
    unsigned n;
    bool overflow;       /* more pools than the snapshot holds: judge nothing */
};

void oracle_mempool_before(struct oracle_mempool *m, struct kh *kh);
/* pool: the pool the operation names (its result for a create), or NULL;
 * ok: the outcome (-1 not an allocation, 0 NULL, 1 memory); element_null:
 * a mempool_free of NULL. False with the reason in why when the reserve
 * moved other than the spec says. */
bool oracle_mempool_after(struct oracle_mempool *m, struct kh *kh, const struct kh_op *op,
                          const void *pool, int ok, bool element_null, char *why, size_t cap);

#endif
