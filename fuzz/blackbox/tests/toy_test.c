/* toy_test.c - the black-box tier must catch each defect of the toy
 * allocator with a clear finding, and find nothing without the defect.
 *
 * Usage: toy_test CASE (one Bazel test per case, see BUILD). Each case runs
 * its trace twice: with the defect (the finding's kind and words are
 * checked, and the finding is printed so the log shows the message a user
 * would see) and without it (no finding: the trace itself is legal).
 */
#include <stdlib.h>
#include <string.h>

#include "blackbox.h"
#include "check.h"
#include "toy_adapter.h"

struct toy_case {
    const char *name;
    enum toy_defect defect;
    enum bb_misuse misuse;
    const char *trace;
    const char *kind;         /* expected finding kind */
    const char *detail_has;   /* words the detail must contain */
};

static const struct toy_case cases[] = {
    { "overlap", TOY_OVERLAP, BB_MISUSE_SKIP,
      "a = kmalloc 64 GFP_KERNEL\nb = kmalloc 64 GFP_KERNEL\nkfree a\nkfree b\n",
      "overlap", "overlaps live object" },
    { "realloc_loses", TOY_REALLOC_LOSES, BB_MISUSE_SKIP,
      "p = kmalloc 100 GFP_KERNEL\nq = krealloc p 200 GFP_KERNEL\nkfree q\n",
      "realloc lost data", "100-byte prefix" },
    { "free_null_crash", TOY_FREE_NULL_CRASH, BB_MISUSE_SKIP,
      "p = kmalloc 8 GFP_KERNEL\nkfree NULL\nkfree p\n",
      "free(NULL) crashed", "killed by signal 11" },
    { "misaligned", TOY_MISALIGNED, BB_MISUSE_SKIP,
      "p = kmalloc 24 GFP_KERNEL\nq = kmalloc 24 GFP_KERNEL\nkfree p\nkfree q\n",
      "misaligned", "not aligned to 16 (the declared min_align)" },
    { "past_arena", TOY_PAST_ARENA, BB_MISUSE_SKIP,
      "p = kmalloc 64 GFP_KERNEL\nq = kmalloc 64 GFP_KERNEL\nkfree p\nkfree q\n",
      "outside the arena", "but the declared arena is" },
    { "double_free_silent", TOY_DOUBLE_FREE_SILENT, BB_MISUSE_PROBE,
      "p = kmalloc 32 GFP_KERNEL\nkfree p\nkfree p\n",
      "double free accepted silently", "KH_CAP_DETECTS_DOUBLE_FREE" },
    { "invalid_free_silent", TOY_INVALID_FREE_SILENT, BB_MISUSE_PROBE,
      "p = kmalloc 64 GFP_KERNEL\nkfree p+16\nkfree p\n",
      "invalid free accepted silently", "interior-pointer free" },
    { "usable_small", TOY_USABLE_SMALL, BB_MISUSE_SKIP,
      "p = kmalloc 40 GFP_KERNEL\nkfree p\n",
      "usable size too small", "= 39, below the 40 bytes requested" },
    { "not_zeroed", TOY_NOT_ZEROED, BB_MISUSE_SKIP,
      "p = kzalloc 64 GFP_KERNEL\nkfree p\n",
      "not zeroed", "after a zeroing allocation" },
    { "oversize", TOY_OVERSIZE, BB_MISUSE_SKIP,
      "p = kmalloc 100000 GFP_KERNEL\nkfree p\n",
      "oversize request accepted", "declares max_size 65536" },
    { "unexpected_null", TOY_UNEXPECTED_NULL, BB_MISUSE_SKIP,
      "a = kmalloc 16 GFP_KERNEL\nb = kmalloc 16 GFP_KERNEL\nc = kmalloc 16 GFP_KERNEL\n"
      "kfree a\nkfree b\nkfree c\n",
      "unexpected NULL", "no fault injected" },
    { "leak", TOY_LEAK, BB_MISUSE_SKIP,
      "a = kmalloc 100 GFP_KERNEL\nkfree a\nb = kmalloc 50 GFP_KERNEL\n",
      "leak", "before the trace and 150 after" },
    { "false_report", TOY_FALSE_REPORT, BB_MISUSE_SKIP,
      "a = kmalloc 100 GFP_KERNEL\nkfree a\n",
      "false misuse report", "during a legal operation" },
    { "corrupt", TOY_CORRUPT, BB_MISUSE_SKIP,
      "a = kmalloc 64 GFP_KERNEL\nb = kmalloc 64 GFP_KERNEL\nkfree b\nread a 0 64\nkfree a\n",
      "content corrupted", "byte 63" },
    { "invalid_state", TOY_INVALID_STATE, BB_MISUSE_SKIP,
      "a = kmalloc 8 GFP_KERNEL\nkfree a\n",
      "validation failed", "has state 7" },
};

static bool run_case(const struct toy_case *c, enum toy_defect defect, struct bb_finding *f)
{
    toy_defect = defect;
    struct kh_trace t;
    struct kh_trace_error err;
    kh_trace_init(&t);
    if (kh_trace_parse(c->trace, strlen(c->trace), c->name, &t, &err) != 0) {
        fprintf(stderr, "%s\n", err.text);
        exit(1);
    }
    struct bb_options opt = { .misuse = c->misuse };
    char why[256];
    struct bb *x = bb_new(&kh_adapter, &opt, why, sizeof(why));
    if (!x) {
        fprintf(stderr, "bb_new: %s\n", why);
        exit(1);
    }
    bool found = bb_run(x, &t, f);
    bb_free(x);
    kh_trace_free(&t);
    return found;
}

static void *no_pages(void *ctx, unsigned order, unsigned flags)
{
    (void)ctx, (void)order, (void)flags;
    return NULL;
}

static void no_free(void *ctx, void *p, unsigned order) { (void)ctx, (void)p, (void)order; }

/* bb_new refuses adapters whose declarations do not hold together, naming
 * what is wrong. */
static void declarations(void)
{
    struct { const char *want; struct kh_adapter a; } bad[] = {
        { "ABI", kh_adapter },
        { "needs object.alloc and object.free", kh_adapter },
        { "min_align is not a power of two", kh_adapter },
        { "KH_CAP_ALIGNED needs max_align", kh_adapter },
        { "no tier offered", { .abi = KH_ADAPTER_ABI, .name = "empty" } },
        { "page.page_shift", kh_adapter },
        { "declare one misuse policy", kh_adapter },
        { "KH_CAP_NO_ALIGN contradicts KH_CAP_ALIGNED", kh_adapter },
        { "coalesce_size is above max_size", kh_adapter },
    };
    bad[0].a.abi = KH_ADAPTER_ABI + 1;
    bad[1].a.object.free = NULL;
    bad[2].a.min_align = 24;
    bad[3].a.max_align = 0;
    bad[5].a.page.alloc = no_pages;  /* a page tier without page_shift */
    bad[5].a.page.free = no_free;
    bad[6].a.caps |= KH_CAP_MISUSE_IGNORED;  /* the toy declares detection already */
    bad[7].a.caps |= KH_CAP_NO_ALIGN | KH_CAP_ALIGNED;
    bad[7].a.max_align = 4096;
    bad[8].a.max_size = 65536;
    bad[8].a.coalesce_size = 1 << 20;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char why[256] = "";
        struct bb_options opt = { 0 };
        struct bb *x = bb_new(&bad[i].a, &opt, why, sizeof(why));
        CHECK(x == NULL);
        CHECK_CONTAINS(why, bad[i].want);
        printf("refused as expected: %s\n", why);
        bb_free(x);
    }
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s CASE\n", argv[0]);
        return 2;
    }
    if (strcmp(argv[1], "declarations") == 0) {
        declarations();
        return check_summary();
    }
    const struct toy_case *c = NULL;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        if (strcmp(cases[i].name, argv[1]) == 0)
            c = &cases[i];
    if (!c) {
        fprintf(stderr, "unknown case '%s'\n", argv[1]);
        return 2;
    }
    struct bb_finding f;
    bool found = run_case(c, c->defect, &f);
    CHECK(found);
    if (found) {
        printf("caught: %s\n  %s\n", f.title, f.detail);
        CHECK_EQ_STR(f.kind, c->kind);
        CHECK_CONTAINS(f.detail, c->detail_has);
    }
    found = run_case(c, TOY_NONE, &f);
    if (found)
        fprintf(stderr, "without the defect the trace still gave: %s\n  %s\n", f.title, f.detail);
    CHECK(!found);
    return check_summary();
}
