/* bb_target.c - the black-box target table and the body every black-box
 * fuzz target shares (see bb_target.h). */
#include "bb_target.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FAULTS KH_OP_FAIL_NTH, KH_OP_FAIL_FROM, KH_OP_FAIL_RANDOM, KH_OP_FAIL_OFF
#define ACCESS KH_OP_WRITE, KH_OP_READ

static const uint8_t object_ops[] = {
    KH_OP_KMALLOC, KH_OP_KZALLOC, KH_OP_KCALLOC, KH_OP_KMALLOC_ARRAY, KH_OP_KREALLOC,
    KH_OP_KREALLOC_ARRAY, KH_OP_KSIZE, KH_OP_KFREE, KH_OP_KVMALLOC, KH_OP_KVREALLOC,
    KH_OP_KVFREE, KH_OP_MEMBLOCK_ALLOC, ACCESS, FAULTS,
};

static const uint8_t page_ops[] = {
    KH_OP_ALLOC_PAGES, KH_OP_GET_ZEROED_PAGE, KH_OP_FREE_PAGES, KH_OP_ALLOC_PAGES_EXACT,
    KH_OP_FREE_PAGES_EXACT, ACCESS, FAULTS,
};

static const uint8_t cache_ops[] = {
    KH_OP_KMEM_CACHE_CREATE, KH_OP_KMEM_CACHE_ALLOC, KH_OP_KMEM_CACHE_ZALLOC,
    KH_OP_KMEM_CACHE_FREE, KH_OP_KMEM_CACHE_ALLOC_BULK, KH_OP_KMEM_CACHE_FREE_BULK,
    KH_OP_KMEM_CACHE_SHRINK, KH_OP_KMEM_CACHE_DESTROY, KH_OP_KMEM_CACHE_SIZE, ACCESS, FAULTS,
};

static const uint8_t mixed_ops[] = {
    KH_OP_KMALLOC, KH_OP_KZALLOC, KH_OP_KREALLOC, KH_OP_KSIZE, KH_OP_KFREE,
    KH_OP_ALLOC_PAGES, KH_OP_FREE_PAGES, KH_OP_ALLOC_PAGES_EXACT, KH_OP_FREE_PAGES_EXACT,
    KH_OP_KMEM_CACHE_CREATE, KH_OP_KMEM_CACHE_ALLOC, KH_OP_KMEM_CACHE_FREE,
    KH_OP_KMEM_CACHE_ALLOC_BULK, KH_OP_KMEM_CACHE_FREE_BULK, KH_OP_KMEM_CACHE_DESTROY,
    KH_OP_SHRINK_ALL, ACCESS, FAULTS,
};

/* Objects and pages while pools are added, resized and removed (the
 * mempool lines name pools of memory in the black-box tier, see
 * blackbox.c), with the pool operations over-represented. */
static const uint8_t arena_ops[] = {
    KH_OP_KMALLOC, KH_OP_KZALLOC, KH_OP_KFREE, KH_OP_KREALLOC, KH_OP_ALLOC_PAGES, KH_OP_FREE_PAGES,
    KH_OP_MEMPOOL_CREATE_KMALLOC_POOL, KH_OP_MEMPOOL_CREATE_PAGE_POOL, KH_OP_MEMPOOL_RESIZE,
    KH_OP_MEMPOOL_RESIZE, KH_OP_MEMPOOL_DESTROY, ACCESS,
};

/* Frees are over-represented so that double and interior frees come up. */
static const uint8_t misuse_ops[] = {
    KH_OP_KMALLOC, KH_OP_KFREE, KH_OP_KFREE, KH_OP_KREALLOC, KH_OP_ALLOC_PAGES,
    KH_OP_FREE_PAGES, KH_OP_FREE_PAGES, KH_OP_KMEM_CACHE_CREATE, KH_OP_KMEM_CACHE_ALLOC,
    KH_OP_KMEM_CACHE_FREE, KH_OP_KMEM_CACHE_FREE, KH_OP_WRITE,
};

#define OPS(a) a, sizeof(a)

static const struct bb_target targets[] = {
    { "object", "tier (a): alloc/zeroing/array/aligned alloc, realloc, usable size, free, faults",
      OPS(object_ops), BB_MISUSE_SKIP, 32 },
    { "page", "tier (b): page blocks of every order, exact sizes, zeroing, faults",
      OPS(page_ops), BB_MISUSE_SKIP, 32 },
    { "cache", "tier (c): caches of any size and alignment, bulk, shrink, destroy, faults",
      OPS(cache_ops), BB_MISUSE_SKIP, 32 },
    { "mixed", "every tier at once: blocks of all tiers must never overlap",
      OPS(mixed_ops), BB_MISUSE_SKIP, 32 },
    { "misuse", "double and interior-pointer frees, probed in a child: declared detection must happen",
      OPS(misuse_ops), BB_MISUSE_PROBE, 0 },
    { "arena", "objects and pages while pools are added, resized and removed: live blocks survive",
      OPS(arena_ops), BB_MISUSE_SKIP, 32 },
};

const struct bb_target *bb_target_find(const char *name)
{
    for (size_t i = 0; i < sizeof(targets) / sizeof(targets[0]); i++)
        if (strcmp(targets[i].name, name) == 0)
            return &targets[i];
    return NULL;
}

const struct bb_target *bb_target_at(size_t i)
{
    return i < sizeof(targets) / sizeof(targets[0]) ? &targets[i] : NULL;
}

int bb_decode(const struct bb_target *t, const uint8_t *data, size_t size, struct kh_trace *out)
{
    kh_trace_init(out);
    if (!kh_trace_is_binary(data, size)) {
        struct kh_trace_error err;
        if (kh_trace_parse((const char *)data, size, "<input>", out, &err) == 0)
            return 0;
        kh_trace_free(out);
        kh_trace_init(out);
    }
    return kh_trace_decode_subset(data, size, t->ops, t->nops, out);
}

static struct bb *executor;

/* Set and non-empty: run.sh's `KMEM_BB_QUIET= binary` means "not quiet". */
static bool quiet(void)
{
    const char *q = getenv("KMEM_BB_QUIET");
    return q && *q;
}

static void summary_at_exit(void)
{
    if (executor && !quiet())
        bb_print_summary(executor, stderr);
}

static const char *relaxed(void)
{
    const char *r = kh_adapter_sanitizer_relaxed;  /* NULL when no one defines it */
    return r && *r ? r : NULL;
}

static void setup(const struct bb_target *t)
{
    struct bb_options opt = {
        .misuse = t->misuse,
        .validate_every = t->validate_every,
        .log = getenv("KMEM_BB_LOG") ? stderr : NULL,
    };
    const char *cap = getenv("KMEM_BB_SIZE_CAP");
    if (cap && *cap)
        opt.size_cap = strtoull(cap, NULL, 0);
    char err[256];
    executor = bb_new(&kh_adapter, &opt, err, sizeof(err));
    if (!executor) {
        fprintf(stderr, "black-box target %s: %s\n", t->name, err);
        exit(2);
    }
    /* Said once up front too: a sanitizer report in this process (UB in the
     * allocator during a legal operation) is printed by the sanitizer. */
    if (relaxed() && !quiet())
        fprintf(stderr, "black-box target %s against '%s': sanitizer checks relaxed: %s\n", t->name,
                kh_adapter.name, relaxed());
    atexit(summary_at_exit);
}

/* The input being run, for a sanitizer report in the middle of it. */
static const struct bb_target *running_target;
static const struct kh_trace *running_trace;

/* The sanitizers call this with their one-line summary just before the
 * process dies (a weak hook of the sanitizer runtime; libFuzzer's death
 * callback still saves the input). UB during a legal operation is a finding
 * of its own: it is said here in the harness's words, with the operation
 * and the trace, after the sanitizer's report and stack. */
void __sanitizer_report_error_summary(const char *summary);
void __sanitizer_report_error_summary(const char *summary)
{
    fprintf(stderr, "%s\n", summary);
    if (!executor || !running_trace || bb_in_probe_child())
        return;
    const struct kh_trace *tr = running_trace;
    size_t i = bb_current_op(executor);
    char op[300] = "the end-of-trace checks or teardown";
    if (i < tr->n)
        kh_trace_format_op(tr, i, op, sizeof(op));
    const char *name = i < tr->n ? kh_op_desc((enum kh_opcode)tr->ops[i].code)->name : "teardown";
    char *text = kh_trace_to_text(tr, NULL);
    fprintf(stderr,
            "\nkmem-harness finding: UB in the allocator during %s (%s)\n"
            "allocator: %s  target: blackbox/%s\n%s%s%s"
            "a sanitizer stopped the process during operation %zu (line %d): %s. See its report "
            "above: UB inside the allocator (or its adapter) during a legal operation.\n"
            "---- trace (text form) ----\n#! target=blackbox/%s allocator=%s\n%s----\n",
            name, kh_adapter.name, kh_adapter.name, running_target->name,
            relaxed() ? "sanitizer checks relaxed for this allocator: " : "",
            relaxed() ? relaxed() : "", relaxed() ? "\n" : "", i + 1,
            i < tr->n ? tr->ops[i].line : 0, op, running_target->name, kh_adapter.name,
            text ? text : "(out of memory)\n");
    free(text);
}

int bb_fuzz_one(const struct bb_target *t, const uint8_t *data, size_t size)
{
    if (!executor)
        setup(t);
    struct kh_trace trace;
    if (bb_decode(t, data, size, &trace) != 0)
        abort();  /* host out of memory */
    struct bb_finding f;
    running_target = t;
    running_trace = &trace;
    bool found = bb_run(executor, &trace, &f);
    running_trace = NULL;
    if (found) {
        char *text = kh_trace_to_text(&trace, NULL);
        char op[300] = "after the last operation (end-of-trace checks and teardown)";
        if (f.op_index < trace.n) {
            int n = snprintf(op, sizeof(op), "operation %zu (line %d): ", f.op_index + 1, f.line);
            kh_trace_format_op(&trace, f.op_index, op + n, sizeof(op) - (size_t)n);
        }
        fprintf(stderr,
                "\nkmem-harness finding: %s\n"
                "allocator: %s (%s)  target: blackbox/%s  misuse policy: %s\n"
                "%s%s%s"
                "%s\n%s\n"
                "---- trace (text form) ----\n"
                "#! target=blackbox/%s allocator=%s\n%s----\n",
                f.title, kh_adapter.name, kh_adapter.description ? kh_adapter.description : "",
                t->name, t->misuse == BB_MISUSE_PROBE ? "probe" : "skip",
                relaxed() ? "sanitizer checks relaxed for this allocator: " : "",
                relaxed() ? relaxed() : "", relaxed() ? "\n" : "", op,
                f.detail, t->name, kh_adapter.name, text ? text : "(out of memory)\n");
        free(text);
        fflush(stderr);
        abort();
    }
    kh_trace_free(&trace);
    return 0;
}
