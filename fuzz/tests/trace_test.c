/* trace_test.c - tests of the operation language (fuzz/trace.h): parsing the
 * issue's examples, exact error messages, canonical printing, the binary
 * codec's round trips, totality of the decoder on random and truncated
 * input, and robustness of the parser on truncated text.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "gfp.h"
#include "slab.h"
#include "trace.h"

static int parse_str(const char *text, struct kh_trace *t, struct kh_trace_error *err)
{
    kh_trace_init(t);
    return kh_trace_parse(text, strlen(text), "t.trace", t, err);
}

/* ---- the examples from the issue ---- */

static void test_issue_examples(void)
{
    static const char text[] =
        "p1 = kmalloc 123 GFP_KERNEL\n"
        "p2 = kzalloc 64 GFP_KERNEL|__GFP_NOWARN\n"
        "p3 = kcalloc 10 10 GFP_KERNEL\n"
        "p4 = kmalloc_array 4 32 GFP_KERNEL\n"
        "p5 = krealloc p1 200 GFP_KERNEL        # p1 may be NULL\n"
        "p6 = krealloc NULL 0x20 GFP_KERNEL\n"
        "ksize p5\n"
        "kfree p5\n"
        "kfree NULL\n"
        "kfree ZERO_SIZE_PTR\n"
        "c1 = kmem_cache_create my_cache 200 0 SLAB_HWCACHE_ALIGN\n"
        "o1 = kmem_cache_alloc c1 GFP_KERNEL\n"
        "kmem_cache_free c1 o1\n"
        "kmem_cache_destroy c1\n"
        "g1 = alloc_pages 3 GFP_KERNEL\n"
        "free_pages g1 3\n"
        "get_order 5000\n"
        "fail_nth 3\n";
    struct kh_trace t;
    struct kh_trace_error err;
    int rc = parse_str(text, &t, &err);
    CHECK_EQ_U(rc, 0);
    if (rc) {
        fprintf(stderr, "%s\n", err.text);
        kh_trace_free(&t);
        return;
    }
    CHECK_EQ_U(t.n, 18);
    CHECK_EQ_U(t.nvars, 9);
    CHECK_EQ_U(t.ops[0].code, KH_OP_KMALLOC);
    CHECK_EQ_U(t.ops[0].args[0].u, 123);
    CHECK_EQ_U(t.ops[0].args[1].u, GFP_KERNEL);
    CHECK_EQ_STR(kh_trace_var_name(&t, t.ops[0].result_var), "p1");
    CHECK_EQ_U(t.ops[1].args[1].u, GFP_KERNEL | __GFP_NOWARN);
    CHECK_EQ_U(t.ops[2].args[0].u, 10);
    CHECK_EQ_U(t.ops[3].code, KH_OP_KMALLOC_ARRAY);
    CHECK_EQ_U(t.ops[4].code, KH_OP_KREALLOC);
    CHECK_EQ_U(t.ops[4].args[0].ptr_kind, KH_PTR_VAR);
    CHECK_EQ_U(t.ops[4].args[0].var, 0);
    CHECK_EQ_U(t.ops[4].line, 5);
    CHECK_EQ_U(t.ops[5].args[0].ptr_kind, KH_PTR_NULL);
    CHECK_EQ_U(t.ops[5].args[1].u, 32);
    CHECK_EQ_U(t.ops[6].code, KH_OP_KSIZE);
    CHECK_EQ_U(t.ops[6].result_var, -1);
    CHECK_EQ_U(t.ops[6].args[0].var, 4);
    CHECK_EQ_U(t.ops[9].args[0].ptr_kind, KH_PTR_ZERO_SIZE);
    CHECK_EQ_STR(kh_trace_str(&t, t.ops[10].args[0].u), "my_cache");
    CHECK_EQ_U(t.ops[10].args[1].u, 200);
    CHECK_EQ_U(t.ops[10].args[3].u, SLAB_HWCACHE_ALIGN);
    CHECK_EQ_U(t.ops[10].args[4].u, 0);
    CHECK_EQ_U(t.vars[t.ops[10].result_var].type, KH_VAL_CACHE);
    CHECK_EQ_U(t.ops[11].args[0].var, t.ops[10].result_var);
    CHECK_EQ_U(t.ops[13].code, KH_OP_KMEM_CACHE_DESTROY);
    CHECK_EQ_U(t.ops[14].args[0].u, 3);
    CHECK_EQ_U(t.ops[15].args[1].u, 3);
    CHECK_EQ_U(t.ops[16].args[0].u, 5000);
    CHECK_EQ_U(t.ops[17].code, KH_OP_FAIL_NTH);
    CHECK_EQ_U(t.ops[17].args[1].u, KH_DOMAIN_ALL);
    kh_trace_free(&t);
}

static void test_rebinding_and_arrays(void)
{
    static const char text[] =
        "p = kmalloc 8 GFP_KERNEL\n"
        "p = krealloc p 16 GFP_KERNEL\n"
        "kfree p\n"
        "c = kmem_cache_create obj 64 8 SLAB_POISON|SLAB_RED_ZONE|0x80000000 ctor\n"
        "objs = kmem_cache_alloc_bulk c 3 GFP_ATOMIC\n"
        "kmem_cache_free c objs[2]-0x10\n"
        "kmem_cache_free_bulk c objs\n"
        "kmalloc 7 none\n";
    struct kh_trace t;
    struct kh_trace_error err;
    CHECK_EQ_U(parse_str(text, &t, &err), 0);
    CHECK_EQ_U(t.nvars, 4);
    CHECK_EQ_U(t.ops[1].args[0].var, 0);   /* the old p */
    CHECK_EQ_U(t.ops[1].result_var, 1);
    CHECK_EQ_U(t.ops[2].args[0].var, 1);   /* the new p */
    CHECK_EQ_U(t.ops[3].args[3].u, SLAB_POISON | SLAB_RED_ZONE | 0x80000000u);
    CHECK_EQ_U(t.ops[3].args[4].u, 1);
    CHECK_EQ_U(t.vars[3].count, 3);
    CHECK_EQ_U(t.ops[5].args[1].ptr_kind, KH_PTR_ELEM);
    CHECK_EQ_U(t.ops[5].args[1].elem, 2);
    CHECK(t.ops[5].args[1].offset == -16);
    CHECK_EQ_U(t.ops[7].result_var, -1);
    CHECK_EQ_U(t.ops[7].args[1].u, 0);
    char *s = kh_trace_to_text(&t, NULL);
    CHECK_EQ_STR(s,
                 "p = kmalloc 8 GFP_KERNEL\n"
                 "p = krealloc p 16 GFP_KERNEL\n"
                 "kfree p\n"
                 "c = kmem_cache_create obj 64 8 SLAB_RED_ZONE|SLAB_POISON|0x80000000 ctor\n"
                 "objs = kmem_cache_alloc_bulk c 3 GFP_ATOMIC\n"
                 "kmem_cache_free c objs[2]-16\n"
                 "kmem_cache_free_bulk c objs\n"
                 "kmalloc 7 none\n");
    free(s);
    kh_trace_free(&t);
}

/* ---- error messages ---- */

struct bad_case {
    const char *text;
    const char *error;
};

static const struct bad_case bad_cases[] = {
    { "p1 = kmallco 12 GFP_KERNEL", "t.trace:1:6: error: unknown operation 'kmallco'" },
    { "p1 = kmalloc abc GFP_KERNEL", "t.trace:1:14: error: expected size, got 'abc'" },
    { "p1 = kmalloc 12", "t.trace:1:16: error: expected gfp flags, got end of line" },
    { "# header\n\nkfree p9", "t.trace:3:7: error: undefined variable 'p9'" },
    { "p1 = kmalloc 8 GFP_KERNEL|__GFP_BOGUS",
      "t.trace:1:27: error: unknown gfp flag '__GFP_BOGUS'" },
    { "p1 = kmalloc 8 GFP_KERNEL|", "t.trace:1:16: error: expected gfp flags, got 'GFP_KERNEL|'" },
    { "p1 = kmalloc 8 GFP_KERNEL\nkfree p1 p1", "t.trace:2:10: error: expected end of line, got 'p1'" },
    { "1x = kmalloc 8 GFP_KERNEL", "t.trace:1:1: error: expected variable name, got '1x'" },
    { "NULL = kmalloc 8 GFP_KERNEL", "t.trace:1:1: error: expected variable name, got 'NULL'" },
    { "x = kfree NULL", "t.trace:1:5: error: 'kfree' has no result to bind" },
    { "= kmalloc 8 GFP_KERNEL", "t.trace:1:1: error: expected operation name, got '='" },
    { "p = 42", "t.trace:1:5: error: expected operation name, got '42'" },
    { "p =", "t.trace:1:4: error: expected operation name, got end of line" },
    { "p = kmalloc 99999999999999999999 GFP_KERNEL",
      "t.trace:1:13: error: expected size below 2^64, got '99999999999999999999'" },
    { "p = kmalloc 0x GFP_KERNEL", "t.trace:1:13: error: expected size, got '0x'" },
    { "c = kmem_cache_create c 8 0 SLAB_FOO", "t.trace:1:29: error: unknown slab flag 'SLAB_FOO'" },
    { "c = kmem_cache_create c 8 0 0 ctr",
      "t.trace:1:31: error: expected 'ctor' or end of line, got 'ctr'" },
    { "c = kmem_cache_create 9c 8 0 0", "t.trace:1:23: error: expected cache name, got '9c'" },
    { "p = kmalloc 8 GFP_KERNEL\nkmem_cache_free p p",
      "t.trace:2:17: error: expected cache, got pointer variable 'p'" },
    { "c = kmem_cache_create c 8 0 0\nkfree c",
      "t.trace:2:7: error: expected pointer, got cache variable 'c'" },
    { "c = kmem_cache_create c 8 0 0\na = kmem_cache_alloc_bulk c 2 GFP_KERNEL\nkfree a[2]",
      "t.trace:3:9: error: index 2 out of range for 'a' (2 elements)" },
    { "c = kmem_cache_create c 8 0 0\na = kmem_cache_alloc_bulk c 2 GFP_KERNEL\nkfree a",
      "t.trace:3:7: error: expected pointer, got array variable 'a'" },
    { "p = kmalloc 8 GFP_KERNEL\nkfree p[0]",
      "t.trace:2:7: error: expected array variable before '[', got pointer variable 'p'" },
    { "c = kmem_cache_create c 8 0 0\na = kmem_cache_alloc_bulk c 2 GFP_KERNEL\nkfree a[x]",
      "t.trace:3:9: error: expected array index followed by ']', got 'x'" },
    { "c = kmem_cache_create c 8 0 0\na = kmem_cache_alloc_bulk c 513 GFP_KERNEL",
      "t.trace:2:29: error: expected count at most 512, got '513'" },
    { "fail_nth 3 disk", "t.trace:1:12: error: unknown fault domain 'disk'" },
    { "fail_nth 3 slab|", "t.trace:1:12: error: expected fault domains (page|slab|vmalloc|percpu) or end of line, got 'slab|'" },
    { "p = kmalloc 8 GFP_KERNEL\nwrite p 0 1 256",
      "t.trace:2:13: error: expected byte value at most 255, got '256'" },
    { "kfree NULL+4",
      "t.trace:1:11: error: expected end of operand (NULL and ZERO_SIZE_PTR take no index or offset), got '+4'" },
    { "p = kmalloc 8 GFP_KERNEL\nkfree p+x", "t.trace:2:8: error: expected +OFFSET or -OFFSET, got '+x'" },
    { "p = kmalloc 8 GFP_KERNEL\nkfree p*2",
      "t.trace:2:8: error: expected +OFFSET, -OFFSET or end of operand, got '*2'" },
    { "p = kmalloc 8 GFP_KERNEL\nkfree p+9223372036854775808",
      "t.trace:2:8: error: expected offset within 64-bit signed range, got '+9223372036854775808'" },
    { "kfree", "t.trace:1:6: error: expected pointer, got end of line" },
    { "kfree \x01", "t.trace:1:7: error: expected pointer, got '\\x01'" },
    { "kmem_cache_shrink NULL", "t.trace:1:19: error: expected cache, got 'NULL'" },
    { "mempool_alloc m GFP_KERNEL", "t.trace:1:15: error: undefined variable 'm'" },
    { "p = kmalloc 8 GFP_KERNEL|0x100000000",
      "t.trace:1:26: error: expected 32-bit flag value, got '0x100000000'" },
    { "shrink_all now", "t.trace:1:12: error: expected end of line, got 'now'" },
};

static void test_errors(void)
{
    for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
        struct kh_trace t;
        struct kh_trace_error err;
        int rc = parse_str(bad_cases[i].text, &t, &err);
        CHECK_EQ_U(rc, (unsigned long long)-1);
        CHECK_EQ_STR(err.text, bad_cases[i].error);
        kh_trace_free(&t);
    }
}

/* ---- corpus: round trips ---- */

static const char *const corpus[] = {
    /* kmalloc family */
    "p = kmalloc 0 GFP_KERNEL\n"
    "q = kzalloc 4194305 GFP_KERNEL|__GFP_NOWARN\n"
    "r = kcalloc 18446744073709551615 2 GFP_KERNEL\n"
    "s = kmalloc_array 4 32 GFP_ATOMIC\n"
    "s = krealloc_array s 8 32 GFP_KERNEL\n"
    "t = krealloc s 0 GFP_KERNEL\n"
    "ksize s\n"
    "kfree_sensitive s\n"
    "kfree s+1\n"
    "kmalloc_size_roundup 8193\n"
    "kmalloc_index 96\n"
    "get_order 4097\n"
    "kmalloc 64 GFP_KERNEL_ACCOUNT|__GFP_ZERO\n"
    "kmalloc 64 0x800000\n",
    /* slab caches */
    "c = kmem_cache_create test_cache 200 0 SLAB_HWCACHE_ALIGN\n"
    "d = kmem_cache_create dbg.cache-2 18 8 SLAB_CONSISTENCY_CHECKS|SLAB_RED_ZONE|SLAB_POISON|SLAB_STORE_USER ctor\n"
    "e = kmem_cache_create e 4194305 4096 SLAB_PANIC|SLAB_ACCOUNT|SLAB_RECLAIM_ACCOUNT|SLAB_TYPESAFE_BY_RCU|SLAB_CACHE_DMA\n"
    "o = kmem_cache_alloc c GFP_KERNEL\n"
    "z = kmem_cache_zalloc d GFP_KERNEL\n"
    "write o 200 1 0xcc\n"
    "read z 0 18\n"
    "kmem_cache_free d o\n"
    "v = kmem_cache_alloc_bulk c 16 GFP_KERNEL\n"
    "w = kmem_cache_alloc_bulk c 0 GFP_KERNEL\n"
    "kmem_cache_free c v[15]+1\n"
    "kmem_cache_free_bulk c v\n"
    "kmem_cache_free_bulk c w\n"
    "kmem_cache_shrink c\n"
    "kmem_cache_size d\n"
    "kmem_cache_destroy c\n"
    "kmem_cache_destroy c\n"
    "kmem_cache_destroy NULL\n",
    /* pages */
    "g = alloc_pages 3 GFP_KERNEL\n"
    "free_pages g 3\n"
    "h = __get_free_pages 11 GFP_KERNEL|__GFP_COMP\n"
    "i = get_zeroed_page GFP_ATOMIC\n"
    "j = alloc_pages_exact 12289 GFP_KERNEL|GFP_DMA\n"
    "free_pages_exact j 12289\n"
    "free_pages i+4096 0\n"
    "write g 4096 4096 0x00\n",
    /* mempool */
    "m = mempool_create_kmalloc_pool 4 256\n"
    "c = kmem_cache_create pool_objs 96 0 0\n"
    "n = mempool_create_slab_pool 2 c\n"
    "o = mempool_create_page_pool 1 2\n"
    "e = mempool_alloc m GFP_KERNEL\n"
    "f = mempool_alloc n GFP_NOWAIT\n"
    "mempool_free e m\n"
    "mempool_free NULL n\n"
    "mempool_resize m 8\n"
    "mempool_destroy m\n"
    "mempool_destroy NULL\n"
    "mempool_destroy o\n",
    /* vmalloc, kvmalloc, percpu, memblock */
    "v = vmalloc 0\n"
    "w = vzalloc 8192\n"
    "vfree w\n"
    "x = kvmalloc 65536 GFP_KERNEL\n"
    "y = kvzalloc 100 GFP_NOFS\n"
    "z = kvmalloc_array 1000 1000 GFP_KERNEL\n"
    "kvfree x\n"
    "kvfree_sensitive y 100\n"
    "z = kvrealloc z 1000000 2000000 GFP_KERNEL\n"
    "pc = alloc_percpu 24 8\n"
    "per_cpu_ptr pc 3\n"
    "free_percpu pc\n"
    "b = memblock_alloc 4096 4096\n"
    "read b 4096 1\n",
    /* cpu, pressure, fault injection */
    "set_cpu 1\n"
    "shrink_all\n"
    "fail_nth 3\n"
    "fail_nth 1 slab\n"
    "fail_from 10 page|vmalloc|percpu\n"
    "fail_random 50 12345 slab|percpu\n"
    "fail_random 100 18446744073709551615\n"
    "fail_off\n"
    "p = kmalloc 16 GFP_KERNEL\n"
    "kfree p-9223372036854775808\n"
    "kfree p+9223372036854775807\n"
    "kfree p-1\n",
    /* the boot phase (version 2 operations) */
    "early_boot\n"
    "a = memblock_alloc 4096 4096\n"
    "p = memblock_phys_alloc 100 0\n"
    "memblock_reserve 1048576 8192\n"
    "memblock_free a+8 16\n"
    "memblock_free NULL 0\n"
    "memblock_free_all\n"
    "memblock_free_late p 100\n",
    /* the Linux 6.12 forms (version 3): kvrealloc's two forms by operand count */
    "p = kvmalloc 100 GFP_KERNEL\n"
    "q = kvrealloc p 200 GFP_KERNEL\n"
    "r = kvrealloc q 200 300 GFP_KERNEL  # the 6.1 form\n"
    "v = vrealloc NULL 5000 GFP_KERNEL|__GFP_ZERO\n"
    "v = vrealloc v 0 GFP_KERNEL\n"
    "c = kmem_cache_create_args rcu.cache 100 0 SLAB_TYPESAFE_BY_RCU 48\n"
    "kmem_cache_destroy c\n",
    /* the API's variants (version 4 operations) */
    "p = kmalloc_node 100 NUMA_NO_NODE GFP_KERNEL\n"
    "q = kzalloc_node 8 0 GFP_ATOMIC\n"
    "r = kmalloc_node 8 63 GFP_KERNEL\n"
    "c = kmem_cache_create c 64 0 0\n"
    "o = kmem_cache_alloc_node c 0 GFP_KERNEL\n"
    "d = kmemdup p+4 96 GFP_KERNEL|__GFP_ZERO\n"
    "v = kvcalloc 4 1000 GFP_KERNEL\n"
    "w = __vmalloc 8192 GFP_KERNEL|__GFP_ZERO\n"
    "u = __alloc_percpu_gfp 64 8 GFP_ATOMIC\n",
    /* comments and spacing get canonicalized */
    "# leading comment\n"
    "\n"
    "   p1   =   kmalloc\t0x7b   GFP_KERNEL   # trailing\r\n"
    "p2=kzalloc 64 GFP_KERNEL|__GFP_NOWARN|__GFP_ZERO\n"
    "kfree p1#no space\n"
    "kfree p2",
};
#define NR_CORPUS (sizeof(corpus) / sizeof(corpus[0]))

static char *fmt_text(const char *text)
{
    struct kh_trace t;
    struct kh_trace_error err;
    if (parse_str(text, &t, &err)) {
        fprintf(stderr, "corpus parse failed: %s\n", err.text);
        kh_trace_free(&t);
        return NULL;
    }
    char *s = kh_trace_to_text(&t, NULL);
    kh_trace_free(&t);
    return s;
}

static void test_corpus_round_trips(void)
{
    int seen[KH_OP_COUNT] = { 0 };
    for (size_t i = 0; i < NR_CORPUS; i++) {
        char *canon = fmt_text(corpus[i]);
        CHECK(canon != NULL);
        if (!canon)
            continue;
        /* canonical text is a fixed point of fmt */
        char *again = fmt_text(canon);
        CHECK_EQ_STR(again, canon);
        free(again);
        /* text -> binary -> text is the identity on canonical text */
        struct kh_trace t, u;
        struct kh_trace_error err;
        CHECK_EQ_U(parse_str(canon, &t, &err), 0);
        for (size_t k = 0; k < t.n; k++)
            seen[t.ops[k].code] = 1;
        uint8_t *bin = NULL;
        size_t len = 0;
        CHECK_EQ_U(kh_trace_encode(&t, &bin, &len), 0);
        CHECK(kh_trace_is_binary(bin, len));
        kh_trace_init(&u);
        CHECK_EQ_U(kh_trace_decode(bin, len, &u), 0);
        CHECK(kh_trace_equal(&t, &u));
        char *back = kh_trace_to_text(&u, NULL);
        CHECK_EQ_STR(back, canon);
        /* kh_trace_load picks the right decoder for both forms */
        struct kh_trace l1, l2;
        kh_trace_init(&l1);
        kh_trace_init(&l2);
        CHECK_EQ_U(kh_trace_load(bin, len, "x", &l1, &err), 0);
        CHECK_EQ_U(kh_trace_load((const uint8_t *)canon, strlen(canon), "x", &l2, &err), 0);
        CHECK(kh_trace_equal(&l1, &t) && kh_trace_equal(&l2, &t));
        kh_trace_free(&l1);
        kh_trace_free(&l2);
        free(back);
        free(bin);
        kh_trace_free(&t);
        kh_trace_free(&u);
        free(canon);
    }
    for (int c = 0; c < KH_OP_COUNT; c++)
        if (!check_record(seen[c]))
            fprintf(stderr, "corpus lacks operation %s\n", kh_op_desc((enum kh_opcode)c)->name);
}

/* The canonical text of the comment/spacing corpus entry, exactly. */
static void test_canonical_form(void)
{
    char *s = fmt_text(corpus[NR_CORPUS - 1]);
    CHECK_EQ_STR(s,
                 "p1 = kmalloc 123 GFP_KERNEL\n"
                 "p2 = kzalloc 64 GFP_KERNEL|__GFP_NOWARN|__GFP_ZERO\n"
                 "kfree p1\n"
                 "kfree p2\n");
    free(s);
    s = fmt_text("fail_nth 1 page|slab|vmalloc|percpu\nfail_from 2 percpu|page\n");
    CHECK_EQ_STR(s, "fail_nth 1\nfail_from 2 page|percpu\n");
    free(s);
}

/* ---- binary: every byte string decodes to a valid trace ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* Every reference points to an earlier binding of the right type. */
static int trace_valid(const struct kh_trace *t)
{
    size_t bound = 0;
    for (size_t i = 0; i < t->n; i++) {
        const struct kh_op *op = &t->ops[i];
        if (op->code >= KH_OP_COUNT)
            return 0;
        const struct kh_op_desc *d = kh_op_desc((enum kh_opcode)op->code);
        for (unsigned k = 0; k < kh_op_nargs(d); k++) {
            const struct kh_operand *a = &op->args[k];
            uint8_t kind = d->args[k].kind;
            int32_t v = a->var;
            if (kind == KH_ARG_PTR && (a->ptr_kind == KH_PTR_VAR || a->ptr_kind == KH_PTR_ELEM)) {
                if (v < 0 || (size_t)v >= bound)
                    return 0;
                uint8_t want = a->ptr_kind == KH_PTR_VAR ? KH_VAL_PTR : KH_VAL_ARRAY;
                if (t->vars[v].type != want)
                    return 0;
                if (a->ptr_kind == KH_PTR_ELEM && a->elem >= t->vars[v].count)
                    return 0;
            } else if (kind == KH_ARG_CACHE || kind == KH_ARG_POOL || kind == KH_ARG_ARRAY) {
                if (v < 0 || (size_t)v >= bound)
                    return 0;
            } else if (kind == KH_ARG_BULK_N && a->u > KH_TRACE_MAX_BULK) {
                return 0;
            }
        }
        if (op->result_var >= 0) {
            if ((size_t)op->result_var != bound || t->vars[bound].op != i)
                return 0;
            bound++;
        }
    }
    return bound == t->nvars;
}

static void check_bytes(const uint8_t *data, size_t len)
{
    struct kh_trace a, b, c;
    struct kh_trace_error err;
    kh_trace_init(&a);
    kh_trace_init(&b);
    kh_trace_init(&c);
    CHECK_EQ_U(kh_trace_decode(data, len, &a), 0);
    CHECK(a.n <= KH_TRACE_MAX_OPS);
    CHECK(trace_valid(&a));
    uint8_t *bin = NULL, *bin2 = NULL;
    size_t blen = 0, blen2 = 0;
    CHECK_EQ_U(kh_trace_encode(&a, &bin, &blen), 0);
    CHECK_EQ_U(kh_trace_decode(bin, blen, &b), 0);
    if (!check_record(kh_trace_equal(&a, &b)))
        fprintf(stderr, "decode-encode-decode differs for a %zu-byte input\n", len);
    CHECK_EQ_U(kh_trace_encode(&b, &bin2, &blen2), 0);
    CHECK(blen == blen2 && memcmp(bin, bin2, blen) == 0);
    char *text = kh_trace_to_text(&a, NULL);
    int rc = kh_trace_parse(text, strlen(text), "decoded", &c, &err);
    if (!check_record(rc == 0 && kh_trace_equal(&a, &c)))
        fprintf(stderr, "decoded trace does not re-parse: %s\n%s", err.text, text);
    free(text);
    free(bin);
    free(bin2);
    kh_trace_free(&a);
    kh_trace_free(&b);
    kh_trace_free(&c);
}

/* Version 1 keeps its meaning: a version-1 file and headerless full-space
 * input map opcode bytes onto the version-1 operations alone, and the
 * encoder writes version 1 for a trace without newer operations. */
static void test_versions(void)
{
    uint8_t v1[] = { 'K', 'H', 'T', 1, KH_OP_COUNT_V1 + KH_OP_KMALLOC, 8, 0, 0xFF };
    struct kh_trace t;
    kh_trace_init(&t);
    CHECK_EQ_U(kh_trace_decode(v1, sizeof(v1), &t), 0);
    CHECK(t.n == 1 && t.ops[0].code == KH_OP_KMALLOC);
    kh_trace_free(&t);
    kh_trace_init(&t);
    CHECK_EQ_U(kh_trace_decode(v1 + 4, sizeof(v1) - 4, &t), 0);   /* headerless */
    CHECK(t.n == 1 && t.ops[0].code == KH_OP_KMALLOC);
    kh_trace_free(&t);
    uint8_t v2[] = { 'K', 'H', 'T', 2, KH_OP_EARLY_BOOT, 0xFF };
    kh_trace_init(&t);
    CHECK_EQ_U(kh_trace_decode(v2, sizeof(v2), &t), 0);
    CHECK(t.n == 1 && t.ops[0].code == KH_OP_EARLY_BOOT);
    kh_trace_free(&t);
    struct kh_trace_error err;
    uint8_t *bin = NULL;
    size_t len = 0;
    CHECK_EQ_U(parse_str("p = kmalloc 8 GFP_KERNEL\n", &t, &err), 0);
    CHECK_EQ_U(kh_trace_encode(&t, &bin, &len), 0);
    CHECK(len > 4 && bin[3] == 1);
    free(bin);
    kh_trace_free(&t);
    CHECK_EQ_U(parse_str("early_boot\n", &t, &err), 0);
    CHECK_EQ_U(kh_trace_encode(&t, &bin, &len), 0);
    CHECK(len > 4 && bin[3] == 2);
    free(bin);
    kh_trace_free(&t);
    /* version 3 (the 6.12 forms); a version-2 file keeps its opcode space,
     * so the byte after its last operation wraps to the first */
    CHECK_EQ_U(parse_str("early_boot\nv = vrealloc NULL 8 GFP_KERNEL\n", &t, &err), 0);
    CHECK_EQ_U(kh_trace_encode(&t, &bin, &len), 0);
    CHECK(len > 4 && bin[3] == 3);
    free(bin);
    kh_trace_free(&t);
    uint8_t v2wrap[] = { 'K', 'H', 'T', 2, KH_OP_COUNT_V2 + KH_OP_KMALLOC, 8, 0, 0xFF };
    kh_trace_init(&t);
    CHECK_EQ_U(kh_trace_decode(v2wrap, sizeof(v2wrap), &t), 0);
    CHECK(t.n == 1 && t.ops[0].code == KH_OP_KMALLOC);
    kh_trace_free(&t);
    uint8_t v3[] = { 'K', 'H', 'T', 3, KH_OP_KVREALLOC_612, 0, 8, 0, 0xFF };
    kh_trace_init(&t);
    CHECK_EQ_U(kh_trace_decode(v3, sizeof(v3), &t), 0);
    CHECK(t.n == 1 && t.ops[0].code == KH_OP_KVREALLOC_612);
    kh_trace_free(&t);
    /* version 4 (the API's variants); version 3 keeps its opcode space */
    uint8_t v3wrap[] = { 'K', 'H', 'T', 3, KH_OP_COUNT_V3 + KH_OP_KMALLOC, 8, 0, 0xFF };
    kh_trace_init(&t);
    CHECK_EQ_U(kh_trace_decode(v3wrap, sizeof(v3wrap), &t), 0);
    CHECK(t.n == 1 && t.ops[0].code == KH_OP_KMALLOC);
    kh_trace_free(&t);
    uint8_t v4[] = { 'K', 'H', 'T', 4, KH_OP_KMALLOC_NODE, 8, 0, 0, 0xFF };
    kh_trace_init(&t);
    CHECK_EQ_U(kh_trace_decode(v4, sizeof(v4), &t), 0);
    CHECK(t.n == 1 && t.ops[0].code == KH_OP_KMALLOC_NODE && t.ops[0].args[1].u == UINT64_MAX);
    kh_trace_free(&t);
    CHECK_EQ_U(parse_str("p = kmalloc_node 8 0 GFP_KERNEL\nq = kmemdup p 8 GFP_KERNEL\n", &t, &err), 0);
    CHECK_EQ_U(kh_trace_encode(&t, &bin, &len), 0);
    CHECK(len > 4 && bin[3] == 4);
    free(bin);
    kh_trace_free(&t);
    /* a node the language cannot name is an input error */
    CHECK(parse_str("p = kmalloc_node 8 64 GFP_KERNEL\n", &t, &err) != 0);
    CHECK(strstr(err.text, "node") != NULL);
    kh_trace_free(&t);
}

static void test_random_bytes(void)
{
    uint8_t buf[600];
    for (int iter = 0; iter < 3000; iter++) {
        size_t len = (size_t)(rng() % sizeof(buf));
        for (size_t i = 0; i < len; i++)
            buf[i] = (uint8_t)rng();
        if (iter % 3 == 0 && len >= 4)
            memcpy(buf, (const char *[]){ "KHT\x01", "KHT\x02", "KHT\x03", "KHT\x04" }[(iter / 3) % 4], 4);
        if (iter % 5 == 0)   /* favour small values and pointer kinds */
            for (size_t i = 0; i < len; i++)
                buf[i] &= 0x47;
        check_bytes(buf, len);
    }
}

static void test_limits(void)
{
    /* op count: decoding stops at the limit; text rejects one more */
    size_t n = KH_TRACE_MAX_OPS + 10;
    uint8_t *bytes = malloc(n);
    memset(bytes, KH_OP_SHRINK_ALL, n);
    struct kh_trace t;
    kh_trace_init(&t);
    CHECK_EQ_U(kh_trace_decode(bytes, n, &t), 0);
    CHECK_EQ_U(t.n, KH_TRACE_MAX_OPS);
    kh_trace_free(&t);
    free(bytes);
    size_t tl = (KH_TRACE_MAX_OPS + 1) * 11;
    char *text = malloc(tl + 1);
    for (size_t i = 0; i <= KH_TRACE_MAX_OPS; i++)
        memcpy(text + i * 11, "shrink_all\n", 11);
    text[tl] = '\0';
    struct kh_trace_error err;
    CHECK_EQ_U(parse_str(text, &t, &err), (unsigned long long)-1);
    CHECK_EQ_STR(err.text, "t.trace:4097:1: error: too many operations (at most 4096)");
    kh_trace_free(&t);
    free(text);

    /* integer encoding is exact at every power-of-two boundary */
    for (unsigned k = 0; k < 64; k++) {
        for (int d = -130; d <= 130; d += 1) {
            uint64_t v = ((uint64_t)1 << k) + (uint64_t)(int64_t)d;
            struct kh_trace a;
            char line[96];
            snprintf(line, sizeof(line), "get_order %llu\nfail_random %llu 0\n",
                     (unsigned long long)v, (unsigned long long)~v);
            CHECK_EQ_U(parse_str(line, &a, &err), 0);
            uint8_t *bin;
            size_t len;
            CHECK_EQ_U(kh_trace_encode(&a, &bin, &len), 0);
            struct kh_trace b;
            kh_trace_init(&b);
            kh_trace_decode(bin, len, &b);
            CHECK(b.n == 2 && b.ops[0].args[0].u == v && b.ops[1].args[0].u == ~v);
            free(bin);
            kh_trace_free(&a);
            kh_trace_free(&b);
        }
    }
}

/* Decoding a prefix gives a prefix of the operations; nothing crashes. */
static void test_truncation(void)
{
    for (size_t i = 0; i < NR_CORPUS; i++) {
        struct kh_trace full;
        struct kh_trace_error err;
        CHECK_EQ_U(parse_str(corpus[i], &full, &err), 0);
        uint8_t *bin;
        size_t len;
        CHECK_EQ_U(kh_trace_encode(&full, &bin, &len), 0);
        for (size_t cut = 0; cut <= len; cut++) {
            uint8_t *copy = malloc(cut + 1);   /* exact-size copy: ASan sees overreads */
            memcpy(copy, bin, cut);
            struct kh_trace part;
            kh_trace_init(&part);
            CHECK_EQ_U(kh_trace_decode(copy, cut, &part), 0);
            int prefix = part.n <= full.n && trace_valid(&part);
            for (size_t k = 0; prefix && k < part.n; k++) {
                char x[512], y[512];
                kh_trace_format_op(&part, k, x, sizeof(x));
                kh_trace_format_op(&full, k, y, sizeof(y));
                /* names differ without the names section: compare shapes */
                prefix = part.ops[k].code == full.ops[k].code &&
                         part.ops[k].result_var == full.ops[k].result_var &&
                         (cut == len ? strcmp(x, y) == 0 : 1);
            }
            if (!check_record(prefix))
                fprintf(stderr, "corpus %zu cut at %zu: not a prefix\n", i, cut);
            kh_trace_free(&part);
            free(copy);
        }
        /* the same for text: every prefix parses or fails cleanly */
        size_t tl = strlen(corpus[i]);
        for (size_t cut = 0; cut <= tl; cut++) {
            char *copy = malloc(cut + 1);
            memcpy(copy, corpus[i], cut);
            struct kh_trace part;
            kh_trace_init(&part);
            if (kh_trace_parse(copy, cut, "cut", &part, &err) != 0)
                CHECK(err.line >= 1 && err.col >= 1 && strstr(err.text, "cut:") == err.text);
            kh_trace_free(&part);
            free(copy);
        }
        free(bin);
        kh_trace_free(&full);
    }
}

static void test_names_section(void)
{
    /* a names section that would print ambiguously falls back to generated names */
    static const char text[] = "a = kmalloc 1 GFP_KERNEL\nb = kmalloc 2 GFP_KERNEL\nkfree a\n";
    struct kh_trace t, u;
    struct kh_trace_error err;
    CHECK_EQ_U(parse_str(text, &t, &err), 0);
    uint8_t *bin;
    size_t len;
    CHECK_EQ_U(kh_trace_encode(&t, &bin, &len), 0);
    CHECK(len >= 4 && bin[len - 1] == 'b' && bin[len - 3] == 'a');
    bin[len - 1] = 'a';   /* both bindings named a: "kfree a" would mean the second */
    kh_trace_init(&u);
    kh_trace_decode(bin, len, &u);
    char *s = kh_trace_to_text(&u, NULL);
    CHECK_EQ_STR(s, "p0 = kmalloc 1 GFP_KERNEL\np1 = kmalloc 2 GFP_KERNEL\nkfree p0\n");
    free(s);
    kh_trace_free(&u);
    /* headerless input is a version-1 payload */
    kh_trace_init(&u);
    kh_trace_decode(bin + 4, len - 4, &u);
    CHECK(u.n == 3 && u.ops[2].args[0].var == 0);
    kh_trace_free(&u);
    free(bin);
    kh_trace_free(&t);
}

/* ---- descriptor table and trace reuse ---- */

/* kh_op_nargs reads a table the compiler counted: it must agree with the
 * argument list itself (no gap, nothing past the end). */
static void test_nargs_table(void)
{
    for (unsigned c = 0; c < KH_OP_COUNT; c++) {
        const struct kh_op_desc *d = kh_op_desc((enum kh_opcode)c);
        unsigned n = 0;
        while (n < KH_OP_MAX_ARGS && d->args[n].kind != KH_ARG_NONE)
            n++;
        if (!check_record(kh_op_nargs(d) == n))
            fprintf(stderr, "%s:%d: %s: table says %u arguments, the list has %u\n", __FILE__,
                    __LINE__, d->name, kh_op_nargs(d), n);
        for (unsigned k = n; k < KH_OP_MAX_ARGS; k++)
            CHECK(d->args[k].kind == KH_ARG_NONE);
    }
}

/* Decoding into a cleared trace (what the fuzz targets do, input after
 * input) gives exactly what decoding into a fresh one gives. */
static void test_clear_and_reuse(void)
{
    struct kh_trace reused;
    kh_trace_init(&reused);
    uint64_t seed = 0x1234567;
    for (int round = 0; round < 200; round++) {
        uint8_t buf[512];
        size_t len = (size_t)(round * 37 % 500) + 1;
        for (size_t i = 0; i < len; i++) {
            seed = seed * 6364136223846793005ull + 1442695040888963407ull;
            buf[i] = (uint8_t)(seed >> 56);
        }
        struct kh_trace fresh;
        kh_trace_init(&fresh);
        kh_trace_clear(&reused);
        CHECK(kh_trace_decode(buf, len, &fresh) == 0);
        CHECK(kh_trace_decode(buf, len, &reused) == 0);
        char *a = kh_trace_to_text(&fresh, NULL), *b = kh_trace_to_text(&reused, NULL);
        CHECK(a && b && strcmp(a, b) == 0);
        CHECK(fresh.n == reused.n && fresh.nvars == reused.nvars);
        free(a);
        free(b);
        kh_trace_free(&fresh);
    }
    kh_trace_free(&reused);
}

int main(void)
{
    test_nargs_table();
    test_clear_and_reuse();
    test_issue_examples();
    test_rebinding_and_arrays();
    test_errors();
    test_canonical_form();
    test_corpus_round_trips();
    test_names_section();
    test_limits();
    test_truncation();
    test_random_bytes();
    test_versions();
    return check_summary();
}
