/* cgen.c - a trace as a standalone C program (cgen.h).
 *
 * Each operation becomes the kh_* call it stands for, followed by the
 * runtime's check for its kind of result, bracketed by begin_op/end_op
 * (reports, validation). The mapping follows fuzz/exec.c operation by
 * operation, including its quirks (clamped counts, what a misuse leaves
 * bound), because the program must see what the executor saw.
 */
#include "cgen.h"
#include "exec_limits.h"

#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "oracle.h"
#include "oracle_slab.h"
#include "slab.h"

/* fuzz/repro_runtime.c as a string (made by the repro_runtime_inc genrule) */
static const char runtime_text[] =
#include "repro_runtime.inc"
    ;


struct gen {
    FILE *f;
    const struct cgen_input *in;
    const struct kh_trace *t;
    struct kh_config cfg;
    struct oracle_limits lim;
    char **names;          /* C identifier per binding */
    bool booting;          /* between early_boot and memblock_free_all */
};

static const char *const reserved[] = {
    /* C */
    "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else", "enum",
    "extern", "float", "for", "goto", "if", "inline", "int", "long", "register", "restrict", "return",
    "short", "signed", "sizeof", "static", "struct", "switch", "typedef", "union", "unsigned", "void",
    "volatile", "while", "bool", "true", "false", "main", "errno", "assert", "free", "malloc",
    /* the runtime and main */
    "kh", "policy", "op_name", "op_text", "op_line", "blocks", "nblocks", "caches", "ncaches", "cfg",
    "tmp", "ob", "objs", "fc", "at", "track", "untrack", "forget", "fill", "verify", "drop", "finding",
    "start", "finish", "shrink_all", "object_size", "page_of",
};

static bool is_reserved(const char *s)
{
    for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
        if (!strcmp(reserved[i], s))
            return true;
    return !strncmp(s, "kh_", 3) || !strncmp(s, "check_", 6) || !strncmp(s, "__", 2);
}

/* Trace names are C identifiers already; rebound or reserved ones get the
 * binding number. */
static int make_names(struct gen *g)
{
    const struct kh_trace *t = g->t;
    g->names = calloc(t->nvars + 1, sizeof(char *));
    if (!g->names)
        return -1;
    for (size_t v = 0; v < t->nvars; v++) {
        const char *n = kh_trace_var_name(t, (int32_t)v);
        bool clash = is_reserved(n);
        for (size_t w = 0; w < t->nvars && !clash; w++)
            clash = w != v && !strcmp(n, kh_trace_var_name(t, (int32_t)w));
        size_t len = strlen(n) + 16;
        g->names[v] = malloc(len);
        if (!g->names[v])
            return -1;
        if (clash)
            snprintf(g->names[v], len, "%s_%zu", n, v + 1);
        else
            snprintf(g->names[v], len, "%s", n);
    }
    return 0;
}

static void free_names(struct gen *g)
{
    for (size_t v = 0; g->names && v < g->t->nvars; v++)
        free(g->names[v]);
    free(g->names);
}

/* ---- operand text ---- */

static void num(char *buf, size_t cap, uint64_t v)
{
    if (v <= INT32_MAX)
        snprintf(buf, cap, "%" PRIu64, v);
    else
        snprintf(buf, cap, "%" PRIu64 "ull", v);
}

static void gfp_text(gfp_t gfp, char *buf, size_t cap)
{
    if (gfp == 0)
        snprintf(buf, cap, "0");
    else
        gfp_format(gfp, buf, cap);
}

/* The binding's value (exec's b->p) for a pointer operand, or "NULL". */
static void ptr_base(const struct gen *g, const struct kh_operand *a, char *buf, size_t cap)
{
    switch (a->ptr_kind) {
    case KH_PTR_VAR:
        snprintf(buf, cap, "%s", g->names[a->var]);
        break;
    case KH_PTR_ELEM:
        snprintf(buf, cap, "%s[%u]", g->names[a->var], a->elem);
        break;
    default:
        snprintf(buf, cap, "NULL");
    }
}

/* The address the operand evaluates to. */
static void ptr_expr(const struct gen *g, const struct kh_operand *a, char *buf, size_t cap)
{
    if (a->ptr_kind == KH_PTR_ZERO_SIZE) {
        snprintf(buf, cap, "ZERO_SIZE_PTR");
        return;
    }
    char base[160];
    ptr_base(g, a, base, sizeof(base));
    if (a->ptr_kind == KH_PTR_NULL || a->offset == 0)
        snprintf(buf, cap, "%s", base);
    else
        snprintf(buf, cap, "at(%s, %" PRId64 ")", base, a->offset);
}

static const char *ref(const struct gen *g, const struct kh_operand *a)
{
    return a->var >= 0 ? g->names[a->var] : "NULL";
}

/* Where a result goes: its binding, or a scratch variable. */
static const char *res(const struct gen *g, const struct kh_op *op)
{
    return op->result_var >= 0 ? g->names[op->result_var] : "tmp";
}

static void c_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            fputc('\\', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

/* The operation that defined binding v. */
static const struct kh_op *def_op(const struct gen *g, int32_t v)
{
    return v >= 0 && (size_t)v < g->t->nvars ? &g->t->ops[g->t->vars[v].op] : NULL;
}

/* ---- declarations ---- */

static void declare(struct gen *g)
{
    FILE *f = g->f;
    const struct kh_trace *t = g->t;
    for (size_t v = 0; v < t->nvars; v++) {
        const char *n = g->names[v];
        switch (t->vars[v].type) {
        case KH_VAL_PTR:
            fprintf(f, "    void *%s = NULL;\n", n);
            break;
        case KH_VAL_CACHE:
            fprintf(f, "    struct kmem_cache *%s = NULL;\n", n);
            break;
        case KH_VAL_POOL:
            fprintf(f, "    mempool_t *%s = NULL;\n    size_t %s_elem = 0;\n", n, n);
            break;
        case KH_VAL_ARRAY:
            fprintf(f, "    void *%s[%u] = { 0 };\n    int %s_n = 0;\n", n,
                    t->vars[v].count ? t->vars[v].count : 1, n);
            break;
        default:
            break;
        }
    }
    fprintf(f, "    void *tmp = NULL;  /* results the trace does not bind */\n");
    /* Every name is marked used: the operation that reads a name may be
     * left out of the program (the misuse policy skips it, or the trace
     * never reads it), and the program must build with -Wall -Werror. */
    fprintf(f, "    (void)tmp;");
    for (size_t v = 0; v < t->nvars; v++) {
        switch (t->vars[v].type) {
        case KH_VAL_PTR:
        case KH_VAL_CACHE:
            fprintf(f, " (void)%s;", g->names[v]);
            break;
        case KH_VAL_POOL:
            fprintf(f, " (void)%s; (void)%s_elem;", g->names[v], g->names[v]);
            break;
        case KH_VAL_ARRAY:
            fprintf(f, " (void)%s; (void)%s_n;", g->names[v], g->names[v]);
            break;
        default:
            break;
        }
    }
    fprintf(f, "\n");
}

/* ---- operations ---- */

static bool mul_overflow(uint64_t a, uint64_t b, uint64_t *out)
{
    return __builtin_mul_overflow(a, b, out);
}

static const char *node_text(const struct kh_operand *a, char *buf, size_t n)
{
    if (a->u == UINT64_MAX)
        snprintf(buf, n, "NUMA_NO_NODE");
    else
        snprintf(buf, n, "%llu", (unsigned long long)a->u);
    return buf;
}

/* The zone check the executor makes (exec.c check_zone), with the zone's
 * end computed here from the profile. */
static void emit_zone(struct gen *g, const char *r, uint64_t bytes, gfp_t gfp, const char *what)
{
    int z = oracle_gfp_zone(gfp);
    if (z >= 0 && bytes <= SIZE_MAX)
        fprintf(g->f, "    check_zone(%s, %llu, %#llx, \"%s\");\n", r, (unsigned long long)bytes,
                (unsigned long long)oracle_zone_end(&g->cfg, (enum zone_type)z), what);
}

static void emit_kmalloc(struct gen *g, const struct kh_op *op, const char *call, uint64_t size,
                         gfp_t gfp, bool zeroing, bool overflow)
{
    char s[32], gt[512];
    num(s, sizeof(s), size);
    gfp_text(gfp, gt, sizeof(gt));
    size_t ks = oracle_ksize(&g->lim, size);
    size_t al = oracle_kmalloc_align(&g->lim, &g->cfg, size);
    if (call)   /* NULL: the caller has assigned the result */
        fprintf(g->f, "    %s = %s;\n", res(g, op), call);
    fprintf(g->f, "    check_kmalloc(%s, %s, %s, %s, /* ksize */ %zu, /* align */ %zu);\n", res(g, op), s, gt,
            overflow ? (zeroing ? "KM_ZERO | KM_OVERFLOW" : "KM_OVERFLOW") : zeroing ? "KM_ZERO" : "KM_PLAIN",
            ks, al);
    if ((gfp & __GFP_DMA) && !overflow && size && size <= g->lim.max_size)
        emit_zone(g, res(g, op), size, __GFP_DMA, "kmalloc result");   /* DMA32, HIGHMEM dropped */
}

static void emit_free(struct gen *g, const struct kh_operand *p, bool misuse, const char *fmt_call)
{
    char base[160], expr[200];
    ptr_base(g, p, base, sizeof(base));
    ptr_expr(g, p, expr, sizeof(expr));
    if (strcmp(base, "NULL"))
        fprintf(g->f, "    %s(%s);\n", misuse ? "forget" : "untrack", base);
    fprintf(g->f, "    ");
    fprintf(g->f, fmt_call, expr);
    fprintf(g->f, ";\n");
}

static void emit_op(struct gen *g, size_t i, bool misuse)
{
    FILE *f = g->f;
    const struct kh_op *op = &g->t->ops[i];
    const struct kh_operand *a = op->args;
    char s0[32], s1[32], s2[32], gt[512], pe[200], base[160];
    uint64_t prod = 0;
    bool ovf;
    const char *r = res(g, op);
    switch ((enum kh_opcode)op->code) {
    case KH_OP_KMALLOC:
    case KH_OP_KZALLOC: {
        char call[600];
        num(s0, sizeof(s0), a[0].u);
        gfp_text((gfp_t)a[1].u, gt, sizeof(gt));
        bool z = op->code == KH_OP_KZALLOC;
        snprintf(call, sizeof(call), "kh_%s(kh, %s, %s)", z ? "kzalloc" : "kmalloc", s0, gt);
        emit_kmalloc(g, op, call, a[0].u, (gfp_t)a[1].u, z || (a[1].u & __GFP_ZERO), false);
        break;
    }
    case KH_OP_KCALLOC:
    case KH_OP_KMALLOC_ARRAY: {
        char call[600];
        ovf = mul_overflow(a[0].u, a[1].u, &prod);
        num(s0, sizeof(s0), a[0].u);
        num(s1, sizeof(s1), a[1].u);
        gfp_text((gfp_t)a[2].u, gt, sizeof(gt));
        bool z = op->code == KH_OP_KCALLOC;
        snprintf(call, sizeof(call), "kh_%s(kh, %s, %s, %s)", z ? "kcalloc" : "kmalloc_array", s0, s1, gt);
        emit_kmalloc(g, op, call, ovf ? 0 : prod, (gfp_t)a[2].u, z || (a[2].u & __GFP_ZERO), ovf);
        break;
    }
    case KH_OP_KMALLOC_NODE:
    case KH_OP_KZALLOC_NODE: {
        char call[600];
        bool z = op->code == KH_OP_KZALLOC_NODE;
        num(s0, sizeof(s0), a[0].u);
        gfp_text((gfp_t)a[2].u, gt, sizeof(gt));
        snprintf(call, sizeof(call), "kh_%s(kh, %s, %s, %s)", z ? "kzalloc_node" : "kmalloc_node", s0, gt,
                 node_text(&a[1], s1, sizeof(s1)));
        if (misuse)
            fprintf(f, "    (void)%s;  /* a node the model does not have */\n", call);
        else
            emit_kmalloc(g, op, call, a[0].u, (gfp_t)a[2].u, z || (a[2].u & __GFP_ZERO), false);
        break;
    }
    case KH_OP_KMEMDUP: {
        char call[600];
        ptr_expr(g, &a[0], pe, sizeof(pe));
        num(s0, sizeof(s0), a[1].u);
        gfp_text((gfp_t)a[2].u, gt, sizeof(gt));
        snprintf(call, sizeof(call), "kh_kmemdup(kh, %s, %s, %s)", pe, s0, gt);
        if (misuse) {
            fprintf(f, "    (void)%s;  /* reads outside its source */\n", call);
            break;
        }
        fprintf(f, "    %s = %s;\n    check_kmemdup(%s, %s, %s);\n", r, call, r, pe, s0);
        emit_kmalloc(g, op, NULL, a[1].u, (gfp_t)a[2].u, false, false);
        break;
    }
    case KH_OP_KREALLOC:
    case KH_OP_KREALLOC_ARRAY: {
        bool arr = op->code == KH_OP_KREALLOC_ARRAY;
        uint64_t n = arr ? a[1].u : 1, size = arr ? a[2].u : a[1].u;
        gfp_t gfp = (gfp_t)a[arr ? 3 : 2].u;
        ovf = mul_overflow(n, size, &prod);
        uint64_t total = ovf ? 0 : prod;
        char call[700], tt[32];
        ptr_expr(g, &a[0], pe, sizeof(pe));
        ptr_base(g, &a[0], base, sizeof(base));
        gfp_text(gfp, gt, sizeof(gt));
        num(s0, sizeof(s0), n);
        num(s1, sizeof(s1), size);
        num(tt, sizeof(tt), total);
        if (arr)
            snprintf(call, sizeof(call), "kh_krealloc_array(kh, %s, %s, %s, %s)", pe, s0, s1, gt);
        else
            snprintf(call, sizeof(call), "kh_krealloc(kh, %s, %s, %s)", pe, s1, gt);
        if (misuse) {
            /* a misuse binds nothing; what it touched is forgotten */
            fprintf(f, "    (void)%s;\n", call);
            if (strcmp(base, "NULL"))
                fprintf(f, "    forget(%s);\n", base);
            break;
        }
        fprintf(f, "    {\n        struct old_block *ob = before_realloc(%s, %s, \"before krealloc\");\n", pe, tt);
        fprintf(f, "        %s = %s;\n", r, call);
        fprintf(f, "        check_krealloc(%s, ob, %s, %s, %s);\n    }\n", r, tt, gt,
                ovf ? "KM_OVERFLOW" : "KM_PLAIN");
        break;
    }
    case KH_OP_KSIZE:
        ptr_expr(g, &a[0], pe, sizeof(pe));
        if (misuse || a[0].ptr_kind == KH_PTR_NULL || a[0].ptr_kind == KH_PTR_ZERO_SIZE)  /* no block */
            fprintf(f, "    (void)kh_ksize(kh, %s);\n", pe);
        else
            fprintf(f, "    check_ksize(%s, kh_ksize(kh, %s));\n", pe, pe);
        break;
    case KH_OP_KFREE:
        emit_free(g, &a[0], misuse, "kh_kfree(kh, %s)");
        break;
    case KH_OP_KFREE_SENSITIVE:
        emit_free(g, &a[0], misuse, "kh_kfree_sensitive(kh, %s)");
        break;
    case KH_OP_KMALLOC_SIZE_ROUNDUP:
        num(s0, sizeof(s0), a[0].u);
        fprintf(f, "    check_equal(\"kmalloc_size_roundup(%s)\", kh_kmalloc_size_roundup(kh, %s), %zu);\n", s0,
                s0, oracle_kmalloc_size_roundup(&g->lim, a[0].u));
        break;
    case KH_OP_KMALLOC_INDEX:
        num(s0, sizeof(s0), a[0].u);
        fprintf(f, "    check_equal(\"kmalloc_index(%s)\", (unsigned long long)(long long)kh_kmalloc_index(kh, %s), "
                "(unsigned long long)(long long)%d);\n", s0, s0, oracle_kmalloc_index(&g->lim, a[0].u));
        break;
    case KH_OP_GET_ORDER:
        num(s0, sizeof(s0), a[0].u);
        if (a[0].u)
            fprintf(f, "    check_equal(\"get_order(%s)\", (unsigned long long)kh_get_order(kh, %s), %d);\n", s0,
                    s0, oracle_get_order(g->lim.page_shift, a[0].u));
        break;
    case KH_OP_KMEM_CACHE_CREATE:
    case KH_OP_KMEM_CACHE_CREATE_ARGS: {
        /* the args form (6.12) has a freeptr_offset where the plain one has a ctor */
        bool args = op->code == KH_OP_KMEM_CACHE_CREATE_ARGS;
        char fl[512];
        kh_trace_format_slab_flags((uint32_t)a[3].u & ~(uint32_t)SLAB_PANIC, fl, sizeof(fl));
        if (a[1].u > UINT32_MAX || a[2].u > UINT32_MAX || (args && a[4].u > UINT32_MAX)) {
            fprintf(f, "    %s = NULL;  /* an operand beyond unsigned int: not called */\n", r);
            break;
        }
        fprintf(f, "    %s = kh_kmem_cache_create%s(kh, ", r, args ? "_args" : "");
        c_string(f, kh_trace_str(g->t, a[0].u));
        if (args)
            fprintf(f, ", %" PRIu64 ", %" PRIu64 ", %s, %" PRIu64 ");\n", a[1].u, a[2].u, fl, a[4].u);
        else
            fprintf(f, ", %" PRIu64 ", %" PRIu64 ", %s, %s);\n", a[1].u, a[2].u, fl,
                    a[4].u ? "repro_ctor" : "NULL");
        fprintf(f, "    cache_created(%s);\n", r);
        /* the spec's geometry for these arguments (fuzz/oracle_slab.c) */
        struct oracle_slab_geom og;
        if (oracle_slab_geometry_args(&g->cfg, a[1].u, a[2].u, (uint32_t)a[3].u & ~(uint32_t)SLAB_PANIC,
                                      !args && a[4].u != 0, args ? (int64_t)a[4].u : -1, &og))
            fprintf(f, "    cache_expect(%s, (struct geom_expect){ .align = %u, .object_size = %u, .size = %u, "
                       ".inuse = %u, .red_left_pad = %u, .offset = %u, .order = %u, .objects = %u, "
                       ".layout = %d, .colour = %d, .ctor = %d });\n",
                    r, og.align, og.object_size, og.size, og.inuse, og.red_left_pad, og.offset, og.order,
                    og.objects, og.layout_known, og.colour_checked, og.ctor);
        break;
    }
    case KH_OP_KMEM_CACHE_ALLOC:
    case KH_OP_KMEM_CACHE_ZALLOC:
    case KH_OP_KMEM_CACHE_ALLOC_NODE: {
        bool z = op->code == KH_OP_KMEM_CACHE_ZALLOC;
        gfp_t gfp = (gfp_t)a[op->code == KH_OP_KMEM_CACHE_ALLOC_NODE ? 2 : 1].u;
        gfp_text(gfp, gt, sizeof(gt));
        if (op->code == KH_OP_KMEM_CACHE_ALLOC_NODE)
            fprintf(f, "    %s = kh_kmem_cache_alloc_node(kh, %s, %s, %s);\n", r, ref(g, &a[0]), gt,
                    node_text(&a[1], s1, sizeof(s1)));
        else
            fprintf(f, "    %s = kh_kmem_cache_%s(kh, %s, %s);\n", r, z ? "zalloc" : "alloc", ref(g, &a[0]), gt);
        if (misuse) {
            fprintf(f, "    /* a destroyed cache: the allocator must report it */\n");
            break;
        }
        fprintf(f, "    check_cache_obj(%s, %s, %s, %s);\n", ref(g, &a[0]), r, gt,
                z || (gfp & __GFP_ZERO) ? "true" : "false");
        const struct kh_op *cop = def_op(g, a[0].var);
        if (cop && cop->code == KH_OP_KMEM_CACHE_CREATE && (cop->args[3].u & SLAB_CACHE_DMA))
            emit_zone(g, r, cop->args[1].u, __GFP_DMA, "object of a SLAB_CACHE_DMA cache");
        break;
    }
    case KH_OP_KMEM_CACHE_FREE: {
        char call[300];
        snprintf(call, sizeof(call), "kh_kmem_cache_free(kh, %s, %%s)", ref(g, &a[0]));
        emit_free(g, &a[1], misuse, call);
        break;
    }
    case KH_OP_KMEM_CACHE_ALLOC_BULK: {
        gfp_text((gfp_t)a[2].u, gt, sizeof(gt));
        const char *c = ref(g, &a[0]);
        if (misuse) {  /* a destroyed cache: reported; the objects are nobody's */
            fprintf(f, "    {\n        void *objs[%" PRIu64 "] = { 0 };\n", a[1].u ? a[1].u : 1);
            fprintf(f, "        (void)kh_kmem_cache_alloc_bulk(kh, %s, %s, %" PRIu64 ", objs);\n    }\n", c, gt,
                    a[1].u);
            break;
        }
        if (op->result_var >= 0) {
            fprintf(f, "    %s_n = kh_kmem_cache_alloc_bulk(kh, %s, %s, %" PRIu64 ", %s);\n", r, c, gt, a[1].u, r);
            fprintf(f, "    %s_n = check_bulk(%s, %s, %s_n, %" PRIu64 ", %s);\n", r, c, r, r, a[1].u, gt);
        } else {
            fprintf(f, "    {\n        void *objs[%" PRIu64 "] = { 0 };\n", a[1].u ? a[1].u : 1);
            fprintf(f, "        int n = kh_kmem_cache_alloc_bulk(kh, %s, %s, %" PRIu64 ", objs);\n", c, gt, a[1].u);
            fprintf(f, "        check_bulk(%s, objs, n, %" PRIu64 ", %s);\n    }\n", c, a[1].u, gt);
        }
        break;
    }
    case KH_OP_KMEM_CACHE_FREE_BULK: {
        const char *arr = ref(g, &a[1]);
        if (!misuse)
            fprintf(f, "    for (int k = 0; k < %s_n; k++)\n        untrack(%s[k]);\n", arr, arr);
        fprintf(f, "    free_bulk(%s, %s, %s_n);\n", ref(g, &a[0]), arr, arr);
        break;
    }
    case KH_OP_KMEM_CACHE_SHRINK:
        fprintf(f, "    kh_kmem_cache_shrink(kh, %s);\n", ref(g, &a[0]));
        break;
    case KH_OP_KMEM_CACHE_SIZE:
        fprintf(f, "    (void)kh_kmem_cache_size(kh, %s);\n", ref(g, &a[0]));
        break;
    case KH_OP_KMEM_CACHE_DESTROY:
        fprintf(f, "    kh_kmem_cache_destroy(kh, %s);\n", ref(g, &a[0]));
        if (a[0].var >= 0 && !misuse)
            fprintf(f, "    cache_destroyed(%s);\n", ref(g, &a[0]));
        break;
    case KH_OP_ALLOC_PAGES:
    case KH_OP_GET_FREE_PAGES:
    case KH_OP_GET_ZEROED_PAGE: {
        bool zp = op->code == KH_OP_GET_ZEROED_PAGE;
        uint64_t order = zp ? 0 : a[0].u;
        gfp_t gfp = (gfp_t)a[zp ? 0 : 1].u | (zp ? __GFP_ZERO : 0);
        gfp_text(gfp, gt, sizeof(gt));
        num(s0, sizeof(s0), order);
        if (order > 64)
            fprintf(f, "    %s = NULL;  /* an order this large is never passed on */\n", r);
        else
            fprintf(f, "    %s = (void *)kh___get_free_pages(kh, %s, %s);\n", r, gt, s0);
        fprintf(f, "    check_pages(%s, %s, %s);\n", r, s0, gt);
        if (order < g->cfg.max_order)
            emit_zone(g, r, (uint64_t)1 << (g->lim.page_shift + order), gfp, "page block");
        break;
    }
    case KH_OP_FREE_PAGES: {
        char call[200];
        snprintf(call, sizeof(call), "kh_free_pages(kh, (unsigned long)%%s, %u)",
                 (unsigned)(a[1].u > 64 ? 64 : a[1].u));
        emit_free(g, &a[0], misuse, call);
        break;
    }
    case KH_OP_ALLOC_PAGES_EXACT:
        num(s0, sizeof(s0), a[0].u);
        gfp_text((gfp_t)a[1].u, gt, sizeof(gt));
        fprintf(f, "    %s = kh_alloc_pages_exact(kh, %s, %s);\n    check_pages_exact(%s, %s, %s);\n", r, s0, gt, r,
                s0, gt);
        emit_zone(g, r, a[0].u, (gfp_t)a[1].u, "alloc_pages_exact result");
        break;
    case KH_OP_FREE_PAGES_EXACT: {
        char call[200];
        num(s0, sizeof(s0), a[1].u);
        if (a[1].u == 0) {  /* frees nothing */
            ptr_expr(g, &a[0], pe, sizeof(pe));
            fprintf(f, "    kh_free_pages_exact(kh, %s, 0);\n", pe);
            break;
        }
        snprintf(call, sizeof(call), "kh_free_pages_exact(kh, %%s, %s)", s0);
        emit_free(g, &a[0], misuse, call);
        break;
    }
    case KH_OP_MEMPOOL_CREATE_KMALLOC_POOL:
    case KH_OP_MEMPOOL_CREATE_SLAB_POOL:
    case KH_OP_MEMPOOL_CREATE_PAGE_POOL: {
        /* the element size first: the reserve is clamped by it (an
         * unbound pool gets a scope of its own for it) */
        bool scoped = op->result_var < 0;
        const char *in = scoped ? "        " : "    ";
        char e[200];
        snprintf(e, sizeof(e), scoped ? "elem" : "%s_elem", r);
        num(s0, sizeof(s0), a[0].u);
        if (scoped)
            fprintf(f, "    {\n        size_t elem = 0;\n        (void)elem;\n");
        if (op->code == KH_OP_MEMPOOL_CREATE_KMALLOC_POOL) {
            num(s1, sizeof(s1), a[1].u);
            fprintf(f, "%s%s = %s;\n", in, e, s1);
            if (a[1].u <= g->lim.max_size)
                fprintf(f, "%s%s = kh_mempool_create_kmalloc_pool(kh, pool_min_nr(%s, %s), %s);\n", in, r, s0,
                        e, e);
            else
                fprintf(f, "%s%s = NULL;  /* above KMALLOC_MAX_SIZE: not called */\n", in, r);
        } else if (op->code == KH_OP_MEMPOOL_CREATE_SLAB_POOL) {
            fprintf(f, "%s%s = object_size(%s);\n", in, e, ref(g, &a[1]));
            fprintf(f, "%s%s = kh_mempool_create_slab_pool(kh, pool_min_nr(%s, %s), %s);\n", in, r, s0, e,
                    ref(g, &a[1]));
        } else if (a[1].u < g->cfg.max_order) {
            fprintf(f, "%s%s = (size_t)%lu << %" PRIu64 ";\n", in, e, 1ul << g->cfg.page_shift, a[1].u);
            fprintf(f, "%s%s = kh_mempool_create_page_pool(kh, pool_min_nr(%s, %s), %" PRIu64 ");\n", in, r,
                    s0, e, a[1].u);
        } else {
            fprintf(f, "%s%s = 0;\n%s%s = NULL;  /* order beyond the maximum: not called */\n", in, e, in, r);
        }
        if (scoped)
            fprintf(f, "    }\n");
        break;
    }
    case KH_OP_MEMPOOL_ALLOC: {
        gfp_t gfp = (gfp_t)a[1].u;
        if (g->in->settings->misuse == EXEC_MISUSE_SKIP)
            gfp &= ~__GFP_DIRECT_RECLAIM;  /* an empty reserve would wait forever */
        gfp_text(gfp, gt, sizeof(gt));
        const struct kh_op *pd = def_op(g, a[0].var);
        bool page_pool = pd && pd->code == KH_OP_MEMPOOL_CREATE_PAGE_POOL;
        fprintf(f, "    %s = check_pool_alloc(kh_mempool_alloc(kh, %s, %s), %s_elem, %s);\n", r, ref(g, &a[0]), gt,
                ref(g, &a[0]), page_pool ? "true" : "false");
        break;
    }
    case KH_OP_MEMPOOL_FREE: {
        const struct kh_op *pd = def_op(g, a[1].var);
        bool page_pool = pd && pd->code == KH_OP_MEMPOOL_CREATE_PAGE_POOL;
        char call[300];
        snprintf(call, sizeof(call), page_pool ? "kh_mempool_free(kh, page_of(%%s), %s)" : "kh_mempool_free(kh, %%s, %s)",
                 ref(g, &a[1]));
        emit_free(g, &a[0], misuse, call);
        break;
    }
    case KH_OP_MEMPOOL_RESIZE: {
        num(s1, sizeof(s1), a[1].u);
        if (a[1].u)
            fprintf(f, "    kh_mempool_resize(kh, %s, pool_min_nr(%s, %s_elem));\n", ref(g, &a[0]), s1, ref(g, &a[0]));
        else
            fprintf(f, "    kh_mempool_resize(kh, %s, 1);\n", ref(g, &a[0]));
        break;
    }
    case KH_OP_MEMPOOL_DESTROY:
        fprintf(f, "    kh_mempool_destroy(kh, %s);\n", ref(g, &a[0]));
        break;
    case KH_OP_VMALLOC:
    case KH_OP_VZALLOC: {
        bool z = op->code == KH_OP_VZALLOC;
        num(s0, sizeof(s0), a[0].u);
        fprintf(f, "    %s = kh_%s(kh, %s);\n    check_vm(%s, %s, GFP_KERNEL, %s, false);\n", r,
                z ? "vzalloc" : "vmalloc", s0, r, s0, z ? "true" : "false");
        break;
    }
    case KH_OP_KVMALLOC:
    case KH_OP_KVZALLOC: {
        bool z = op->code == KH_OP_KVZALLOC;
        num(s0, sizeof(s0), a[0].u);
        gfp_text((gfp_t)a[1].u, gt, sizeof(gt));
        fprintf(f, "    %s = kh_%s(kh, %s, %s);\n    check_vm(%s, %s, %s, %s, true);\n", r, z ? "kvzalloc" : "kvmalloc",
                s0, gt, r, s0, gt, z || (a[1].u & __GFP_ZERO) ? "true" : "false");
        break;
    }
    case KH_OP_KVMALLOC_ARRAY:
    case KH_OP_KVCALLOC: {
        bool z = op->code == KH_OP_KVCALLOC;
        ovf = mul_overflow(a[0].u, a[1].u, &prod);
        num(s0, sizeof(s0), a[0].u);
        num(s1, sizeof(s1), a[1].u);
        num(s2, sizeof(s2), ovf ? 0 : prod);
        gfp_text((gfp_t)a[2].u, gt, sizeof(gt));
        fprintf(f, "    %s = kh_%s(kh, %s, %s, %s);\n    check_vm(%s, %s, %s, %s, true);\n", r,
                z ? "kvcalloc" : "kvmalloc_array", s0, s1, gt, r, s2, gt,
                z || (a[2].u & __GFP_ZERO) ? "true" : "false");
        break;
    }
    case KH_OP_VMALLOC_GFP:
        num(s0, sizeof(s0), a[0].u);
        gfp_text((gfp_t)a[1].u, gt, sizeof(gt));
        fprintf(f, "    %s = kh___vmalloc(kh, %s, %s);\n    check_vm(%s, %s, %s, %s, false);\n", r, s0, gt, r, s0,
                gt, (a[1].u & __GFP_ZERO) ? "true" : "false");
        break;
    case KH_OP_VFREE:
        emit_free(g, &a[0], misuse, "kh_vfree(kh, %s)");
        break;
    case KH_OP_KVFREE:
        emit_free(g, &a[0], misuse, "kh_kvfree(kh, %s)");
        break;
    case KH_OP_KVFREE_SENSITIVE: {
        char call[200];
        num(s0, sizeof(s0), a[1].u);
        snprintf(call, sizeof(call), "kh_kvfree_sensitive(kh, %%s, %s)", s0);
        emit_free(g, &a[0], misuse, call);
        break;
    }
    case KH_OP_KVREALLOC: {
        ptr_expr(g, &a[0], pe, sizeof(pe));
        ptr_base(g, &a[0], base, sizeof(base));
        num(s0, sizeof(s0), a[1].u);
        num(s1, sizeof(s1), a[2].u);
        gfp_text((gfp_t)a[3].u, gt, sizeof(gt));
        if (misuse) {
            fprintf(f, "    (void)kh_kvrealloc(kh, %s, %s, %s, %s);\n", pe, s0, s1, gt);
            if (strcmp(base, "NULL"))
                fprintf(f, "    forget(%s);\n", base);
            break;
        }
        /* what must survive: the oldsize bytes it copies */
        num(s2, sizeof(s2), a[1].u < a[2].u ? a[1].u : a[2].u);
        fprintf(f, "    {\n        struct old_block *ob = before_realloc(%s, %s, NULL);\n", pe, s2);
        fprintf(f, "        %s = kh_kvrealloc(kh, %s, %s, %s, %s);\n", r, pe, s0, s1, gt);
        fprintf(f, "        check_kvrealloc(%s, ob, %s, %s, %s);\n    }\n", r, s0, s1, gt);
        break;
    }
    case KH_OP_KVREALLOC_612:
    case KH_OP_VREALLOC: {
        const char *fn = op->code == KH_OP_VREALLOC ? "kh_vrealloc" : "kh_kvrealloc_v612";
        ptr_expr(g, &a[0], pe, sizeof(pe));
        ptr_base(g, &a[0], base, sizeof(base));
        num(s0, sizeof(s0), a[1].u);
        gfp_text((gfp_t)a[2].u, gt, sizeof(gt));
        if (misuse) {
            fprintf(f, "    (void)%s(kh, %s, %s, %s);\n", fn, pe, s0, gt);
            if (strcmp(base, "NULL"))
                fprintf(f, "    forget(%s);\n", base);
            break;
        }
        fprintf(f, "    {\n        struct old_block *ob = before_realloc(%s, %s, NULL);\n", pe, s0);
        fprintf(f, "        %s = %s(kh, %s, %s, %s);\n", r, fn, pe, s0, gt);
        fprintf(f, "        check_realloc_612(%s, ob, %s, %s, %s);\n    }\n", r, s0, gt,
                op->code == KH_OP_VREALLOC ? "false" : "true");
        break;
    }
    case KH_OP_ALLOC_PERCPU:
        num(s0, sizeof(s0), a[0].u);
        num(s1, sizeof(s1), a[1].u);
        fprintf(f, "    %s = check_percpu(kh___alloc_percpu(kh, %s, %s), %s, %s, GFP_KERNEL);\n", r, s0, s1,
                s0, s1);
        break;
    case KH_OP_ALLOC_PERCPU_GFP:
        num(s0, sizeof(s0), a[0].u);
        num(s1, sizeof(s1), a[1].u);
        gfp_text((gfp_t)a[2].u, gt, sizeof(gt));
        fprintf(f, "    %s = check_percpu(kh___alloc_percpu_gfp(kh, %s, %s, %s), %s, %s, %s);\n", r, s0, s1, gt,
                s0, s1, gt);
        break;
    case KH_OP_FREE_PERCPU:
        ptr_expr(g, &a[0], pe, sizeof(pe));
        if (!misuse)
            fprintf(f, "    untrack_percpu(%s);\n", pe);
        fprintf(f, "    kh_free_percpu(kh, %s);\n", pe);
        break;
    case KH_OP_PER_CPU_PTR:
        ptr_expr(g, &a[0], pe, sizeof(pe));
        num(s1, sizeof(s1), a[1].u);
        /* the CPU as written, as the executor passes it (saturated) */
        if (a[1].u > UINT_MAX)
            num(s1, sizeof(s1), UINT_MAX);
        if (misuse)
            fprintf(f, "    (void)kh_per_cpu_ptr(kh, %s, (unsigned)%s);\n", pe, s1);
        else
            fprintf(f, "    check_per_cpu_ptr(%s, (unsigned)%s);\n", pe, s1);
        break;
    case KH_OP_MEMBLOCK_ALLOC:
        num(s0, sizeof(s0), a[0].u);
        num(s1, sizeof(s1), a[1].u);
        if (g->booting) {
            fprintf(f, "    %s = kh_memblock_alloc(kh, %s, %s);\n    boot_allocated(%s, %s);\n", r, s0,
                    s1, r, s0);
            break;
        }
        fprintf(f, "    %s = kh_memblock_alloc(kh, %s, %s);\n    if (%s && %s != ZERO_SIZE_PTR)\n        track(%s, %s);\n",
                r, s0, s1, r, r, r, s0);
        break;
    case KH_OP_WRITE:
        ptr_expr(g, &a[0], pe, sizeof(pe));
        ptr_base(g, &a[0], base, sizeof(base));
        num(s0, sizeof(s0), a[1].u);
        num(s1, sizeof(s1), a[2].u);
        fprintf(f, "    write_mem(%s, %s, %s, 0x%02x, %s);\n", pe, s0, s1, (unsigned)a[3].u, misuse ? "NULL" : base);
        break;
    case KH_OP_READ:
        ptr_expr(g, &a[0], pe, sizeof(pe));
        num(s0, sizeof(s0), a[1].u);
        num(s1, sizeof(s1), a[2].u);
        fprintf(f, "    read_mem(%s, %s, %s);\n", pe, s0, s1);
        break;
    case KH_OP_SET_CPU:
        num(s0, sizeof(s0), a[0].u);
        fprintf(f, "    kh_set_cpu(kh, (unsigned)(%s %% kh_nr_cpus(kh)));\n", s0);
        break;
    case KH_OP_SHRINK_ALL:
        fprintf(f, "    shrink_all();\n");
        break;
    case KH_OP_FAIL_NTH:
    case KH_OP_FAIL_FROM:
    case KH_OP_FAIL_RANDOM: {
        unsigned dom_arg = op->code == KH_OP_FAIL_RANDOM ? 2 : 1;
        unsigned dom = (unsigned)a[dom_arg].u & KH_FAULT_ALL;
        char dt[128] = "";
        static const char *const dn[] = { "KH_FAULT_PAGE", "KH_FAULT_SLAB", "KH_FAULT_VMALLOC", "KH_FAULT_PERCPU" };
        if (dom == 0 || dom == KH_FAULT_ALL)
            snprintf(dt, sizeof(dt), "KH_FAULT_ALL");
        for (unsigned b = 0; b < 4 && dom != KH_FAULT_ALL && dom; b++)
            if (dom & (1u << b))
                snprintf(dt + strlen(dt), sizeof(dt) - strlen(dt), "%s%s", dt[0] ? " | " : "", dn[b]);
        if (op->code == KH_OP_FAIL_RANDOM)
            fprintf(f, "    kh_fault_set(kh, &(struct kh_fault_config){ .mode = KH_FAULT_RANDOM, .percent = %u, "
                       ".seed = %" PRIu64 "ull, .domains = %s });\n",
                    (unsigned)(a[0].u > 100 ? 100 : a[0].u), a[1].u, dt);
        else
            fprintf(f, "    kh_fault_set(kh, &(struct kh_fault_config){ .mode = %s, .nth = %" PRIu64 "ull, "
                       ".domains = %s });\n",
                    op->code == KH_OP_FAIL_NTH ? "KH_FAULT_NTH" : "KH_FAULT_FROM", a[0].u, dt);
        break;
    }
    case KH_OP_FAIL_OFF:
        fprintf(f, "    kh_fault_clear(kh);\n");
        break;
    case KH_OP_EARLY_BOOT:
        if (misuse) {
            fprintf(f, "    (void)kh_boot_begin(kh);\n");
        } else {
            fprintf(f, "    boot_begin();\n");
            g->booting = true;
        }
        break;
    case KH_OP_MEMBLOCK_RESERVE:
        num(s0, sizeof(s0), a[0].u);
        num(s1, sizeof(s1), a[1].u);
        fprintf(f, "    (void)kh_memblock_reserve(kh, %s, %s);\n", s0, s1);
        if (!misuse)
            fprintf(f, "    boot_reserved(%s, %s);\n", s0, s1);
        break;
    case KH_OP_MEMBLOCK_PHYS_ALLOC:
        num(s0, sizeof(s0), a[0].u);
        num(s1, sizeof(s1), a[1].u);
        if (misuse) {
            fprintf(f, "    (void)kh_memblock_phys_alloc(kh, %s, %s);\n", s0, s1);
            break;
        }
        fprintf(f, "    {\n        phys_addr_t pa = kh_memblock_phys_alloc(kh, %s, %s);\n"
                   "        %s = pa ? kh_phys_to_virt(kh, pa) : NULL;\n        boot_allocated(%s, %s);\n    }\n",
                s0, s1, r, r, s0);
        break;
    case KH_OP_MEMBLOCK_FREE:
    case KH_OP_MEMBLOCK_FREE_LATE:
        ptr_expr(g, &a[0], pe, sizeof(pe));
        num(s1, sizeof(s1), a[1].u);
        if (!misuse)
            fprintf(f, "    boot_freeing(%s, %s);\n", pe, s1);
        if (op->code == KH_OP_MEMBLOCK_FREE)
            fprintf(f, "    kh_memblock_free(kh, %s, %s);\n", pe, s1);
        else
            fprintf(f, "    kh_memblock_free_late(kh, kh_virt_to_phys(kh, %s), %s);\n", pe, s1);
        if (!misuse)
            fprintf(f, "    boot_freed(%s, %s);\n", pe, s1);
        break;
    case KH_OP_MEMBLOCK_FREE_ALL:
        fprintf(f, "    kh_boot_end(kh);\n");
        if (!misuse)
            g->booting = false;
        break;
    case KH_OP_COUNT:
        break;
    }
}

static const char *policy_name(enum exec_misuse m)
{
    return m == EXEC_MISUSE_SKIP ? "MISUSE_SKIP" : m == EXEC_MISUSE_EXPECT ? "MISUSE_EXPECT" : "MISUSE_RUN";
}

/* Whether the runtime makes the check behind a finding title ("KIND in OP
 * (WHERE)"). Allocator reports, invariants and sanitizer findings reach it
 * through end_op and ASan; an oracle finding only if the runtime has a
 * finding("KIND" of its own, which its text tells. */
static bool runtime_checks(const char *title)
{
    size_t tl = strlen(title), sl = strlen(" (oracle)");
    if (tl < sl || strcmp(title + tl - sl, " (oracle)") != 0)
        return true;
    const char *in = strstr(title, " in ");
    size_t kind = in ? (size_t)(in - title) : tl - sl;
    char call[160];
    snprintf(call, sizeof(call), "finding(\"%.*s\"", (int)kind, title);
    return strstr(runtime_text, call) != NULL;
}

int cgen_write(FILE *f, const struct cgen_input *in)
{
    struct gen g = { .f = f, .in = in, .t = in->trace };
    if (crash_settings_config(in->settings, &g.cfg, NULL, 0))
        return -1;
    oracle_limits(&g.cfg, &g.lim);
    if (make_names(&g)) {
        free_names(&g);
        return -1;
    }
    const struct crash_settings *s = in->settings;
    char settings[512];
    crash_settings_format(s, settings, sizeof(settings));
    const char *text_base = strrchr(in->text_name, '/') ? strrchr(in->text_name, '/') + 1 : in->text_name;
    fprintf(f,
            "// %s.c - reproducer for: %s\n"
            "//\n"
            "// Generated by fuzz/reproduce from %s.\n"
            "// The same operations as a text trace: %s (bazel-bin/fuzz/replay runs it).\n"
            "// Settings: %s\n"
            "//\n"
            "// Build and run from the repository root:\n"
            "//   clang -std=c11 -D_GNU_SOURCE -g -fsanitize=address,undefined -fno-sanitize-recover=undefined -Iallocator %s allocator/*.c -lpthread -o %s && ./%s\n"
            "// %s \"finding: %s\"\n"
            "// and exits 1; once it is fixed it prints \"no finding\" and exits 0.\n",
            in->name, in->title ? in->title : "(no finding on the build that wrote it)", in->source,
            text_base, settings + 3, in->c_path ? in->c_path : in->name, in->name, in->name,
            in->title && !runtime_checks(in->title) ? "The fuzz executor, replaying the text trace, prints"
                                                    : "While the bug is there it prints",
            in->title ? in->title : "...");
    if (in->title && !runtime_checks(in->title))
        fprintf(f, "// This program makes the executor's per-operation checks but not this one (an\n"
                   "// end-of-run or model check the C runtime does not restate yet): it runs the\n"
                   "// trace's calls, and prints \"no finding\" even while the bug is there.\n");
    fputs("\n", f);
    fputs(runtime_text, f);

    fprintf(f, "\nint main(void)\n{\n    struct kh_config cfg;\n");
    fprintf(f, "    if (kh_profile_config(\"%s\", &cfg) != 0) {\n", s->profile);
    fprintf(f, "        fprintf(stderr, \"unknown profile %s\\n\");\n        return 2;\n    }\n", s->profile);
    if (s->cpus)
        fprintf(f, "    cfg.nr_cpus = %u;\n", s->cpus);
    if (s->quarantine >= 0)
        fprintf(f, "    cfg.quarantine_objects = %d;\n", s->quarantine);
    if (s->slub_debug_set)
        fprintf(f, "    snprintf(cfg.slub_debug, sizeof(cfg.slub_debug), \"%%s\", \"%s\");\n", s->slub_debug);
    if (s->merge)
        fprintf(f, "    cfg.slab_nomerge = false;\n");
    fprintf(f, "    start(&cfg, %s, /* KMALLOC_MAX_SIZE */ %zu, /* KMALLOC_MAX_CACHE_SIZE */ %zu);\n\n",
            policy_name(s->misuse), g.lim.max_size, g.lim.max_cache_size);
    declare(&g);

    size_t last = in->last_op >= 0 && (size_t)in->last_op < g.t->n ? (size_t)in->last_op : g.t->n - 1;
    for (size_t i = 0; g.t->n && i <= last; i++) {
        char text[1024];
        kh_trace_format_op(g.t, i, text, sizeof(text));
        const struct exec_outcome *o = i < in->nout ? &in->outcomes[i] : NULL;
        bool periodic = (i + 1) % VERIFY_ALL_EVERY == 0;
        fprintf(f, "\n    /* line %d: %s */\n", g.t->ops[i].line, text);
        /* the legality rule that decided it, and the one that made it a
         * misuse when that is another */
        char rule[160] = "";
        if (o && exec_outcome_rule(o))
            snprintf(rule, sizeof(rule), "legality rule %s%s%s%s", exec_outcome_rule(o),
                     o->misuse_rule ? " (a misuse by rule " : "",
                     o->misuse_rule ? exec_outcome_misuse_rule(o) : "", o->misuse_rule ? ")" : "");
        if (o && o->over_budget) {
            fprintf(f, "    /* left out: past the input's memory budget (fuzz/exec.c) */\n");
            if (periodic)
                fprintf(f, "    verify_all();\n");
            continue;
        }
        if (o && o->skipped) {
            if (rule[0])
                fprintf(f, "    /* left out: the misuse policy skips it; %s */\n", rule);
            else
                fprintf(f, "    /* left out: the misuse policy skips it */\n");
            if (periodic)
                fprintf(f, "    verify_all();\n");
            continue;
        }
        bool misuse = o && o->misuse;
        fprintf(f, "    begin_op(%d, \"%s\", ", g.t->ops[i].line,
                kh_op_desc((enum kh_opcode)g.t->ops[i].code)->name);
        c_string(f, text);
        if (rule[0])
            fprintf(f, ");   /* %s */\n", rule);
        else
            fprintf(f, ");\n");
        emit_op(&g, i, misuse);
        fprintf(f, "    end_op(%s, %s);\n", misuse ? "true" : "false", periodic ? "true" : "false");
    }
    fprintf(f, "\n    return finish();\n}\n");
    free_names(&g);
    return ferror(f) ? -1 : 0;
}
