/* fault.c - deterministic fault injection, after the kernel's
 * fail_page_alloc and failslab.
 *
 * Every allocation attempt in an enabled domain counts once, in program
 * order, so "fail attempt N" names the same call on every replay. That is
 * what makes the SQLite-style loop (fail 1, 2, 3, ... until the sequence
 * completes) meaningful. __GFP_NOFAIL attempts are neither counted nor
 * failed, as in the kernel. A slab allocation call is one failslab point
 * (6.1 slab_pre_alloc_hook), a bulk call too: its objects are not asked
 * again (slab_muted), though its slab refills still ask the page allocator.
 */
#include <string.h>

#include "internal.h"

void kh_fault_set(struct kh *kh, const struct kh_fault_config *fc)
{
    kh->fault.cfg = *fc;
    if (kh->fault.cfg.domains == 0)
        kh->fault.cfg.domains = KH_FAULT_ALL;
    kh->fault.attempts = 0;
    kh->fault.injected = 0;
    /* splitmix64 state; never zero so the sequence is not degenerate */
    kh->fault.rng = fc->seed ^ 0x9e3779b97f4a7c15ull;
}

void kh_fault_clear(struct kh *kh)
{
    memset(&kh->fault, 0, sizeof(kh->fault));
}

uint64_t kh_fault_attempts(const struct kh *kh) { return kh->fault.attempts; }
uint64_t kh_fault_injected(const struct kh *kh) { return kh->fault.injected; }

static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

bool kh_should_fail(struct kh *kh, enum kh_fault_domain dom, gfp_t gfp, unsigned order)
{
    struct kh_fault_state *fs = &kh->fault;
    if (fs->cfg.mode == KH_FAULT_OFF || (gfp & __GFP_NOFAIL))
        return false;
    if (!(fs->cfg.domains & dom) || (dom == KH_FAULT_SLAB && fs->slab_muted))
        return false;
    if (dom == KH_FAULT_PAGE && order < fs->cfg.min_order)
        return false;

#ifdef KH_PLANT_FAIL_NTH_OFF_BY_ONE
    uint64_t n = fs->attempts++;   /* planted bug: counts from 0, so fail_nth N fails call N+1 */
#else
    uint64_t n = ++fs->attempts;
#endif
    bool fail = false;
    switch (fs->cfg.mode) {
    case KH_FAULT_NTH:
        fail = n == fs->cfg.nth;
        break;
    case KH_FAULT_FROM:
        fail = n >= fs->cfg.nth;
        break;
    case KH_FAULT_RANDOM:
        fail = splitmix64(&fs->rng) % 100 < fs->cfg.percent;
        break;
    case KH_FAULT_OFF:
        break;
    }
    if (fail)
        fs->injected++;
    return fail;
}
