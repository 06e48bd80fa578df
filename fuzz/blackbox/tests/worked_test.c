/* worked_test.c - the worked examples (worked.h): each defect of the buddy
 * allocator is found by the black-box tier on a short trace, with the
 * finding's kind checked, and the fixed allocator runs the same trace
 * clean. The 60-second fuzz runs of the same variants are
 * fuzz/blackbox/tests/worked_fuzz.sh. */
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
