/* differential.c - one operation sequence on two profiles (see
 * differential.h). Both pairs have KMALLOC_MAX_SIZE = 4 MiB and ample
 * memory (128 MiB each, set below), and no fault injection is driven, so
 * the spec defines the same outcome for every operation on both. (A binary
 * trace with the KHT header decodes with every operation, fault injection
 * included; outcomes are compared up to the first injected failure.)
 *
 * 6.1 against 6.12: the operation subset (the kmalloc family and slab
 * caches) is one where both kernels fix the same outcomes; what differs
 * between them (kmalloc-96/192 alignment, kmalloc_size_roundup past the
 * maximum, the kvrealloc forms) is not an outcome compared here or is
 * outside the subset (SPEC 10). */
#include "differential.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_target.h"
#include "kmalloc.h"
#include "kmem.h"

static const uint8_t target_ops[] = {
    KH_OP_KMALLOC, KH_OP_KZALLOC, KH_OP_KCALLOC, KH_OP_KMALLOC_ARRAY, KH_OP_KREALLOC,
    KH_OP_KREALLOC_ARRAY, KH_OP_KSIZE, KH_OP_KFREE, KH_OP_KFREE_SENSITIVE,
    KH_OP_KMEM_CACHE_CREATE, KH_OP_KMEM_CACHE_ALLOC, KH_OP_KMEM_CACHE_ZALLOC, KH_OP_KMEM_CACHE_FREE,
    KH_OP_KMEM_CACHE_ALLOC_BULK, KH_OP_KMEM_CACHE_FREE_BULK, KH_OP_KMEM_CACHE_SHRINK,
    KH_OP_KMEM_CACHE_DESTROY, KH_OP_WRITE, KH_OP_READ};

static struct kh *kh[2];
static struct exec *ex[2];

static void setup(const char *const profiles[2])
{
    for (int i = 0; i < 2; i++) {
        struct kh_config cfg;
        const char *err = NULL;
        if (kh_profile_config(profiles[i], &cfg) != 0) {
            fprintf(stderr, "differential: unknown profile %s\n", profiles[i]);
            abort();
        }
        /* 128 MiB each instead of 1 GiB: still ample next to the 4 MiB
         * kmalloc limit, and an input that fills both arenas (a zeroed
         * gigabyte kvmalloc) stays well inside the RSS limit and the
         * timeout. Same memory on both, so outcomes stay comparable. */
        const uint64_t zones[MAX_NR_ZONES] = { 16ull << 20, 112ull << 20, 0, 0 };
        memcpy(cfg.zone_bytes, zones, sizeof(zones));
        if (!(kh[i] = kh_create(&cfg, &err))) {
            fprintf(stderr, "differential: cannot create %s: %s\n", profiles[i], err ? err : "?");
            abort();
        }
        struct exec_options opt = { .misuse = EXEC_MISUSE_SKIP, .checks = true, .full_every = 32 };
        ex[i] = exec_new(kh[i], &opt);
    }
}

/* Prints the finding and aborts, unless $KMEM_FUZZ_TITLE asks for another
 * one: then the input passes. */
static void fail(const char *target, const struct kh_trace *t, size_t op, const char *title,
                 const char *detail)
{
    if (!kh_fuzz_title_wanted(title))
        return;
    char *text = kh_trace_to_text(t, NULL);
    fprintf(stderr, "\nkmem-harness finding: %s\ntarget: %s\noperation %zu\n%s\n"
            "---- trace (text form) ----\n%s----\n", title, target, op + 1, detail, text ? text : "");
    free(text);
    abort();
}

int kh_differential_one(const struct kh_diff_pair *pair, const uint8_t *data, size_t size)
{
    const char *const *profiles = pair->profile;
    if (!kh[0])
        setup(profiles);
    struct kh_trace t;
    kh_trace_init(&t);
    if (kh_trace_decode_subset(data, size, target_ops, sizeof(target_ops), &t) != 0)
        abort();
    /* An input with the "KHT" header decodes with every operation; injected
     * faults count allocation attempts, which the designs make differently,
     * so such inputs compare nothing the spec fixes: keep them out. */
    for (size_t i = 0; i < t.n; i++) {
        uint8_t c = t.ops[i].code;
        if (c == KH_OP_FAIL_NTH || c == KH_OP_FAIL_FROM || c == KH_OP_FAIL_RANDOM) {
            kh_trace_free(&t);
            return -1;
        }
    }
    const struct exec_outcome *out[2];
    size_t n[2];
    for (int i = 0; i < 2; i++) {
        kh_reset(kh[i]);
        struct exec_finding f;
        if (exec_run(ex[i], &t, &f)) {
            char title[256];
            snprintf(title, sizeof(title), "%s [%s]", f.title, profiles[i]);
            fail(pair->target, &t, f.op_index, title, f.detail);
            kh_trace_free(&t);
            return 0;
        }
        out[i] = exec_outcomes(ex[i], &n[i]);
    }
    for (size_t k = 0; k < n[0] && k < n[1]; k++) {
        const struct exec_outcome *a = &out[0][k], *b = &out[1][k];
        /* Inputs with the full-trace header reach fault injection too. The
         * designs make different numbers of allocation attempts, so from the
         * first injected failure on either side the outcomes may differ. */
        if (a->fault_injected || b->fault_injected)
            break;
        /* krealloc may move on one design and stay in place on the other (the
         * size classes differ), so the old pointer can be dead on one side
         * only: where the misuse policy skipped an operation on one side, the
         * two models part and nothing after it is comparable. */
        if (a->skipped != b->skipped)
            break;
        /* A cache near the size limit fits on one design and not the other:
         * SLUB keeps debug metadata (free pointer, red zones) in the slot,
         * SLAB mostly beside it, so the slab order needed differs. The
         * models part there. */
        const struct kh_op *op = &t.ops[k];
        if (op->code == KH_OP_KMEM_CACHE_CREATE && a->ok != b->ok &&
            op->args[1].u > kh_kmalloc_max_size(kh[0]) / 2)
            break;
        /* Near exhaustion (a small zone such as DMA's 16 MiB, a huge
         * mempool reserve) what still fits depends on the design's slab
         * sizes: a failure for want of memory, which that side's own NULL
         * oracle accepted, parts the models too. */
        if (a->ok != b->ok && ((a->ok == 0 && a->memory_bound) || (b->ok == 0 && b->memory_bound)))
            break;
        if (a->ok != b->ok || a->zero_size_ptr != b->zero_size_ptr) {
            char detail[256];
            snprintf(detail, sizeof(detail), "%s: ok %d/%d, ZERO_SIZE_PTR %d/%d",
                     kh_op_desc((enum kh_opcode)a->code)->name, a->ok, b->ok, a->zero_size_ptr,
                     b->zero_size_ptr);
            char title[160];
            snprintf(title, sizeof(title), "%s/%s disagree in %s (%s)", pair->label[0],
                     pair->label[1], kh_op_desc((enum kh_opcode)a->code)->name, pair->target);
            fail(pair->target, &t, k, title, detail);
            break;
        }
    }
    kh_trace_free(&t);
    return 0;
}
