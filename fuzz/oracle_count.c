/* oracle_count.c - per-CPU and vmalloc counts against the shadow model (see
 * oracle_count.h). */
#include "oracle_count.h"

#include <stdio.h>

#include "page_alloc.h"
#include "percpu.h"
#include "vmalloc.h"

bool oracle_count_check(struct kh *kh, const struct shadow *sh, char *why, size_t cap)
{
    unsigned long percpu_blocks = 0, vm_blocks = 0, vm_pages = 0;
    unsigned long page = kh_page_size(kh);
    for (size_t i = 0; i < sh->n; i++) {
        const struct shadow_block *b = &sh->v[i];
        if (b->kind == SHADOW_PERCPU)
            percpu_blocks++;
        else if (b->kind == SHADOW_VMALLOC) {
            vm_blocks++;
            vm_pages += (b->size + page - 1) / page;
        }
    }
    struct kh_percpu_stats ps;
    kh_percpu_get_stats(kh, &ps);
    unsigned cpus = kh_nr_cpus(kh);
    if (ps.nr_allocs * cpus != percpu_blocks) {
        snprintf(why, cap, "the per-CPU allocator counts %lu live allocations; the trace holds %lu "
                 "(%lu copies on %u CPUs)", ps.nr_allocs, percpu_blocks / (cpus ? cpus : 1),
                 percpu_blocks, cpus);
        return false;
    }
    struct kh_vmalloc_stats vs;
    kh_vmalloc_get_stats(kh, &vs);
    /* 6.12's vrealloc hands p back while the size fits the area's pages
     * (SPEC 10), so a shrunk area keeps pages its bytes no longer need. */
    bool shrinks_in_place = kh_kernel_traits(kh)->has_vrealloc;
    if (vs.nr_areas != vm_blocks || (shrinks_in_place ? vs.nr_pages < vm_pages : vs.nr_pages != vm_pages)) {
        snprintf(why, cap, "vmalloc counts %lu live areas mapping %lu pages; the trace holds %lu areas "
                 "of %lu pages", vs.nr_areas, vs.nr_pages, vm_blocks, vm_pages);
        return false;
    }
    return true;
}
