/* oracle_reuse.h - the object freed last is the next one handed out.
 *
 * SLUB's per-CPU freelist is a stack (SPEC 5): an object freed on the CPU
 * that holds its slab goes on top, and that CPU's next allocation from the
 * cache pops it. So when a caller frees an object and the very next
 * operation allocates, on the same CPU, from the same cache, it gets that
 * object back.
 *
 * Not judged where the stack is not the path: caches with debug flags
 * (SLUB sends them through the node's lists), a quarantine (it holds the
 * object back; oracle_quarantine.h judges that), a SLUB object whose slab
 * another CPU, or none, holds (a remote free), and SLOB. Nor classic SLAB:
 * its per-CPU arrays are stacks too in the kernel, but the reference
 * serves it from the slabs' own free lists, without the arrays.
 */
#ifndef KH_FUZZ_ORACLE_REUSE_H
#define KH_FUZZ_ORACLE_REUSE_H

#include <stdbool.h>
#include <stddef.h>

#include "kmem.h"
#include "slab.h"

struct oracle_reuse {
    const struct kmem_cache *cache;   /* NULL: nothing expected */
    const void *obj;
    unsigned cpu;
    size_t op;                        /* the free's operation index */
};

/* Which list, and which CPU (-1 for none), hold the slab of s that
 * contains p; false when no slab of s does. */
struct oracle_slab_holder {
    enum kh_slab_list_id list;
    int cpu;
};
bool oracle_slab_holder(struct kh *kh, struct kmem_cache *s, const void *p, struct oracle_slab_holder *out);

/* Just before a caller's legal free of p on CPU cpu in operation op. */
void oracle_reuse_before_free(struct oracle_reuse *r, struct kh *kh, const void *p, unsigned cpu,
                              size_t op);

/* After operation op on CPU cpu handed out p, a fresh allocation. Returns
 * false, with why, when it should have been the object freed just before. */
bool oracle_reuse_handed_out(struct oracle_reuse *r, struct kh *kh, const void *p, unsigned cpu, size_t op,
                             char *why, size_t cap);

#endif
