/* blackbox.h - runs traces against any allocator through its adapter
 * (adapters/kh_adapter.h) and checks what a caller can see.
 *
 * The same trace language as the reference's executor (fuzz/trace.h); the
 * operations map onto the adapter's tiers:
 *   object (a)  kmalloc, kzalloc, kcalloc, kmalloc_array, krealloc,
 *               krealloc_array, ksize, kfree, kfree_sensitive, the vmalloc /
 *               kvmalloc family (kvrealloc too), memblock_alloc (aligned)
 *   page (b)    alloc_pages, __get_free_pages, get_zeroed_page, free_pages,
 *               alloc_pages_exact, free_pages_exact
 *   cache (c)   kmem_cache_create (size and align only: flags and ctor are
 *               the kernel's), _alloc, _zalloc, _free, _alloc_bulk (all or
 *               nothing, as in the kernel), _free_bulk, _shrink, _destroy,
 *               kmem_cache_size
 *   any tier    write, read, shrink_all, fail_nth / fail_from / fail_random /
 *               fail_off (the adapter's fault hook; domains are ignored)
 * Everything else (mempool, per-CPU, set_cpu, kernel-internal queries) and
 * every operation a tier or hook is missing for is skipped and counted by
 * reason; bb_print_summary lists them.
 *
 * Checks, each counted when it ran and listed with its reason when the
 * adapter's declarations rule it out (enum bb_check). After every operation:
 * no overlap among live blocks of any tier; alignment (declared minimum,
 * requested, natural, page and order); usable size >= requested; zeroing;
 * realloc keeps the prefix (and a failed realloc keeps the old block);
 * blocks inside the declared arena; NULL only when allowed (declared
 * maximum size, injected fault, outside the declared no-fail range); no
 * misuse report for a legal operation. Every 64 operations and at the end:
 * every live block's content pattern. At the end the harness frees
 * everything and checks the allocator's own validation and its in-use bytes
 * against the start (leak).
 *
 * Misuse policy: a trace may free what is not live. SKIP leaves such
 * operations out. PROBE runs double frees and interior-pointer frees in a
 * forked child: an adapter declaring detection must report them (its
 * misuse counter) or die trying (abort); a silent child is a finding. One
 * declaring KH_CAP_MISUSE_IGNORED must return and change nothing. Either
 * way a child that returns goes on with a short deterministic workload over
 * the same live blocks (allocate around the misused block's size, write,
 * verify everything, free), so an overlap, a corrupted neighbour or a lost
 * block caused by the misuse is a finding. A sanitizer error in the child is
 * the finding "UB in the allocator", never a detection. The parent's
 * allocator never sees the misuse, so the run goes on. free(NULL) is also
 * probed in a child the first time a trace does it.
 *
 * Coalescing: with coalesce_size declared, after the teardown one request of
 * that size must succeed (freed neighbours were merged back).
 */
#ifndef KH_FUZZ_BLACKBOX_H
#define KH_FUZZ_BLACKBOX_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "kh_adapter.h"
#include "trace.h"

enum bb_misuse { BB_MISUSE_SKIP, BB_MISUSE_PROBE };

struct bb_options {
    enum bb_misuse misuse;
    unsigned validate_every;  /* adapter->validate every N operations (0: at the end only) */
    /* Requests above this many bytes that the adapter must serve (at most
     * max_size) are skipped: the harness's own resource limit. 0: 64 MiB. */
    size_t size_cap;
    FILE *log;                /* one line per operation, or NULL */
};

enum bb_check {
    BB_CHECK_OVERLAP,
    BB_CHECK_CONTENT,
    BB_CHECK_MIN_ALIGN,
    BB_CHECK_REQ_ALIGN,
    BB_CHECK_NATURAL_ALIGN,
    BB_CHECK_PAGE_ALIGN,
    BB_CHECK_ORDER_ALIGN,
    BB_CHECK_USABLE_SIZE,
    BB_CHECK_CACHE_SIZE,
    BB_CHECK_ZEROED,
    BB_CHECK_ZERO_SIZE,
    BB_CHECK_REALLOC_PREFIX,
    BB_CHECK_REALLOC_FAIL_KEEPS,
    BB_CHECK_FREE_NULL,
    BB_CHECK_MAX_SIZE,
    BB_CHECK_NOFAIL,
    BB_CHECK_FAULT_NULL,
    BB_CHECK_ARENA,
    BB_CHECK_NO_FALSE_REPORT,
    BB_CHECK_DOUBLE_FREE,
    BB_CHECK_INVALID_FREE,
    BB_CHECK_VALIDATE,
    BB_CHECK_LEAK,
    BB_CHECK_MISUSE_IGNORED,
    BB_CHECK_AFTER_MISUSE,
    BB_CHECK_NO_UB_IN_PROBE,
    BB_CHECK_COALESCE,
    BB_CHECK_ARENA_OPS,
    BB_CHECK_HARNESS_MEMORY,
    BB_NR_CHECKS
};

enum bb_skip {
    BB_SKIP_NO_OBJECT_TIER,
    BB_SKIP_NO_PAGE_TIER,
    BB_SKIP_NO_CACHE_TIER,
    BB_SKIP_NO_REALLOC,
    BB_SKIP_NO_ALIGNED,
    BB_SKIP_NO_EXACT,
    BB_SKIP_NO_SHRINK,
    BB_SKIP_NO_USABLE_SIZE,
    BB_SKIP_NO_OBJECT_SIZE,
    BB_SKIP_NO_FAULT,
    BB_SKIP_FREE_NULL,
    BB_SKIP_KERNEL_ONLY,
    BB_SKIP_OVERFLOW,
    BB_SKIP_REALLOC_ZERO,
    BB_SKIP_SIZE_CAP,
    BB_SKIP_BAD_ARGUMENT,
    BB_SKIP_MISUSE,
    BB_SKIP_UNDECLARED_MISUSE,
    BB_SKIP_DEAD_OPERAND,
    BB_SKIP_MISUSE_UNDEFINED,
    BB_SKIP_NO_ALIGN,
    BB_SKIP_NO_POOLS,
    BB_SKIP_NO_RESIZE,
    BB_SKIP_NO_REMOVE,
    BB_SKIP_COALESCE_RESIZED,
    BB_NR_SKIPS
};

struct bb_stats {
    uint64_t inputs, ops, ops_run;
    uint64_t skipped[BB_NR_SKIPS];
    uint64_t checked[BB_NR_CHECKS];
    uint64_t probes, probes_detected;
    /* Misuse probes of kinds the adapter does not declare it detects: run
     * for information only ([0] double free, [1] interior free). */
    uint64_t undeclared_probes[2], undeclared_detected[2], undeclared_ub[2];
};

struct bb_finding {
    bool found;
    char kind[64];            /* "overlap", "misaligned", ... */
    char title[192];          /* dedup key: "<kind> in <op> (<adapter>)" */
    size_t op_index;          /* operation that revealed it (n: after the last) */
    int line;
    char detail[2048];
};

struct bb;

/* Opens the adapter (its open hook) and checks its declarations. Returns
 * NULL with a message in err (e.g. ABI mismatch, a tier half-offered). */
struct bb *bb_new(const struct kh_adapter *a, const struct bb_options *opt, char *err, size_t cap);
void bb_free(struct bb *x);
/* Runs t from the adapter's current state, frees whatever is still live at
 * the end, and returns true when a finding was made (described in *f). */
bool bb_run(struct bb *x, const struct kh_trace *t, struct bb_finding *f);
const struct bb_stats *bb_stats(const struct bb *x);
const struct kh_adapter *bb_adapter(const struct bb *x);

/* The operation being run (index into the trace; the trace's length during
 * the end-of-trace checks and teardown), for a sanitizer report that ends
 * the process in the middle of it. */
size_t bb_current_op(const struct bb *x);
/* True in a misuse probe's child process. */
bool bb_in_probe_child(void);

const char *bb_check_name(enum bb_check c);
/* Why the adapter's declarations rule a check out, or NULL when it applies. */
const char *bb_check_unavailable(const struct kh_adapter *a, enum bb_check c);
const char *bb_skip_name(enum bb_skip s);
/* The adapter, its tiers and every check: how often it ran, or why it was
 * skipped; then the operations skipped by reason. */
void bb_print_summary(const struct bb *x, FILE *out);

#endif
