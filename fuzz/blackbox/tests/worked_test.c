/* worked_test.c - the worked examples (worked.h): each defect of the buddy
 * allocator is found by the black-box tier on a short trace, with the
 * finding's kind checked, and the fixed allocator runs the same trace
 * clean. The 60-second fuzz runs of the same variants are
 * fuzz/blackbox/tests/worked_fuzz.sh. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "blackbox.h"
#include "check.h"
#include "worked.h"

struct worked_case {
    const char *name;
    enum wb_defect defect;
    enum bb_misuse misuse;
    const char *trace;
    const char *kind;         /* expected finding kind (prefix) */
    const char *detail_has;
};

static const struct worked_case cases[] = {
    /* b is a's upper buddy: both freed, they merge; freeing b again must be
     * ignored, but the broken guard frees it into the merged parent. */
    { "double_free_parent", WB_DOUBLE_FREE_PARENT, BB_MISUSE_PROBE,
      "a = kmalloc 64 GFP_KERNEL\nb = kmalloc 64 GFP_KERNEL\nc = kmalloc 100 GFP_KERNEL\n"
      "kfree a\nkfree b\nkfree b\nkfree c\n",
      "overlap after a double free", "KH_CAP_MISUSE_IGNORED" },
    { "ub_invalid_free", WB_UB_INVALID_FREE, BB_MISUSE_PROBE,
      "a = kmalloc 256 GFP_KERNEL\nkfree a+64\nkfree a\n",
      "UB in the allocator during interior-pointer free", "shift exponent" },
    { "no_coalesce", WB_NO_COALESCE, BB_MISUSE_SKIP,
      "a = kmalloc 100 GFP_KERNEL\nkfree a\n",
      "no coalescing", "coalesce_size" },
    { "sized_free", WB_SIZED_FREE, BB_MISUSE_SKIP,
      "a = kmalloc 64 GFP_KERNEL\nb = kmalloc 64 GFP_KERNEL\nkfree a\nc = kmalloc 128 GFP_KERNEL\n"
      "kfree b\nkfree c\n",
      "overlap", "overlaps live object" },
    { "no_align", WB_NO_ALIGN, BB_MISUSE_SKIP,
      "c = kmem_cache_create x 40 64 0\np = kmem_cache_alloc c GFP_KERNEL\n"
      "kmem_cache_free c p\nkmem_cache_destroy c\n",
      "misaligned", "requested alignment" },
    /* 1 MiB shrunk to 40 KiB while a 4 KiB block at 0 is live: the free
     * 32 KiB block at 32 KiB straddles the new end and must be split. */
    { "resize_straddle", WB_RESIZE_STRADDLE, BB_MISUSE_SKIP,
      "a = kmalloc 4096 GFP_KERNEL\npool = mempool_create_kmalloc_pool 10 4096\n"
      "mempool_resize pool 10\nb = kmalloc 32768 GFP_KERNEL\nkfree b\nkfree a\n",
      "outside the arena", "declared arena" },
};

/* ---- a pool-only bump allocator, for pool.add / pool.remove / pool.resize ----
 * Objects come from the pools the harness adds, bump-allocated; free only
 * counts. A pool may be removed when nothing in it is live, and shrunk down
 * to its bump pointer. The defect: remove ignores the live count. */
#define BP_POOLS 32

static struct bp_pool { uint8_t *mem; size_t size, bump; unsigned live; int used; } bp[BP_POOLS];
static int bp_defect;

static void *bp_add(void *ctx, void *mem, size_t bytes)
{
    (void)ctx;
    for (int i = 0; i < BP_POOLS; i++)
        if (!bp[i].used) {
            bp[i] = (struct bp_pool){ mem, bytes, 0, 0, 1 };
            return &bp[i];
        }
    return NULL;
}

static int bp_remove(void *ctx, void *pool)
{
    struct bp_pool *q = pool;
    (void)ctx;
    if (q->live && !bp_defect)
        return -1;
    q->used = 0;
    return 0;
}

static int bp_resize(void *ctx, void *pool, size_t bytes)
{
    struct bp_pool *q = pool;
    (void)ctx;
    if (!q || bytes < q->bump)
        return -1;
    q->size = bytes;
    return 0;
}

static void *bp_alloc(void *ctx, size_t size, size_t align, unsigned flags)
{
    (void)ctx, (void)align, (void)flags;
    size = (size + 15) & ~(size_t)15;
    for (int i = 0; i < BP_POOLS; i++)
        if (bp[i].used && bp[i].size - bp[i].bump >= size && size) {
            void *p = bp[i].mem + bp[i].bump;
            bp[i].bump += size;
            bp[i].live++;
            return p;
        }
    return NULL;
}

static void bp_free(void *ctx, void *p)
{
    (void)ctx;
    for (int i = 0; i < BP_POOLS; i++)
        if (bp[i].used && (uint8_t *)p >= bp[i].mem && (uint8_t *)p < bp[i].mem + bp[i].size)
            bp[i].live--;
}

static void bp_reset(void *ctx)
{
    (void)ctx;
    memset(bp, 0, sizeof(bp));
}

static const struct kh_adapter bp_adapter = {
    .abi = KH_ADAPTER_ABI, .name = "pool-bump", .description = "pools only, bump allocation",
    .min_align = 16, .reset = bp_reset,
    .object = { .alloc = bp_alloc, .free = bp_free },
    .pool = { .add = bp_add, .remove = bp_remove, .resize = bp_resize },
};

/* The pool lines: blocks in two pools, a refused shrink and removal while
 * blocks are live, then both go once empty. */
static const char pool_trace[] =
    "p = mempool_create_kmalloc_pool 4 4096\n"
    "a = kmalloc 1000 GFP_KERNEL\n"
    "b = kmalloc 3000 GFP_KERNEL\n"
    "q = mempool_create_kmalloc_pool 2 4096\n"
    "mempool_resize p 8\n"
    "c = kmalloc 20000 GFP_KERNEL\n"
    "mempool_resize p 1\n"
    "mempool_destroy p\n"
    "read a 0 1000\n"
    "kfree a\nkfree b\nkfree c\n"
    "mempool_destroy p\n";

static bool run_pool(int defect, struct bb_finding *f)
{
    struct kh_trace t;
    struct kh_trace_error err;
    kh_trace_init(&t);
    if (kh_trace_parse(pool_trace, strlen(pool_trace), "pool", &t, &err) != 0) {
        fprintf(stderr, "%s\n", err.text);
        exit(1);
    }
    bp_defect = defect;
    struct bb_options opt = { .misuse = BB_MISUSE_SKIP };
    char why[256];
    struct bb *x = bb_new(&bp_adapter, &opt, why, sizeof(why));
    if (!x) {
        fprintf(stderr, "bb_new: %s\n", why);
        exit(1);
    }
    bool found = bb_run(x, &t, f);
    bb_print_summary(x, stdout);
    bb_free(x);
    kh_trace_free(&t);
    return found;
}

static int pool_case(void)
{
    struct bb_finding f;
    bool found = run_pool(1, &f);
    CHECK(found);
    if (found) {
        printf("caught: %s\n  %s\n", f.title, f.detail);
        CHECK_EQ_STR(f.kind, "arena operation cut a live block");
        CHECK_CONTAINS(f.detail, "removing pool");
    }
    found = run_pool(0, &f);
    if (found)
        fprintf(stderr, "the fixed allocator still gave: %s\n  %s\n", f.title, f.detail);
    CHECK(!found);
    return check_summary();
}

static bool run(const struct worked_case *c, enum wb_defect d, struct bb_finding *f, char *summary,
                size_t cap)
{
    struct kh_trace t;
    struct kh_trace_error err;
    kh_trace_init(&t);
    if (kh_trace_parse(c->trace, strlen(c->trace), c->name, &t, &err) != 0) {
        fprintf(stderr, "%s\n", err.text);
        exit(1);
    }
    struct kh_adapter a = wb_adapter(d);
    struct bb_options opt = { .misuse = c->misuse, .validate_every = 1 };
    char why[256];
    struct bb *x = bb_new(&a, &opt, why, sizeof(why));
    if (!x) {
        fprintf(stderr, "bb_new: %s\n", why);
        exit(1);
    }
    bool found = bb_run(x, &t, f);
    FILE *m = fmemopen(summary, cap, "w");
    if (m) {
        bb_print_summary(x, m);
        fclose(m);
    }
    bb_free(x);
    kh_trace_free(&t);
    return found;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s CASE\n", argv[0]);
        return 2;
    }
    if (strcmp(argv[1], "pool_remove_live") == 0)
        return pool_case();
    const struct worked_case *c = NULL;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        if (strcmp(cases[i].name, argv[1]) == 0)
            c = &cases[i];
    if (!c) {
        fprintf(stderr, "unknown case '%s'\n", argv[1]);
        return 2;
    }
    static char summary[16384];
    struct bb_finding f;
    bool found = run(c, c->defect, &f, summary, sizeof(summary));
    CHECK(found);
    if (found) {
        printf("caught: %s\n  %s\n", f.title, f.detail);
        CHECK(strncmp(f.kind, c->kind, strlen(c->kind)) == 0);
        CHECK_CONTAINS(f.detail, c->detail_has);
    }
    found = run(c, WB_NONE, &f, summary, sizeof(summary));
    if (found)
        fprintf(stderr, "the fixed allocator still gave: %s\n  %s\n", f.title, f.detail);
    CHECK(!found);
    printf("fixed allocator, same trace:\n%s", summary);
    return check_summary();
}
