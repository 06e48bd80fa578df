/* trace.c - the operation language: descriptor table, text parser, canonical
 * printer and the binary codec (format specified in trace.h).
 *
 * Design: everything is driven by the KH_TRACE_OPS descriptor table; the
 * parser, printer, decoder and encoder each have one function per argument
 * kind and none per operation. Variables are bindings numbered in order of
 * definition; a name -> newest binding hash map resolves text references
 * and checks that a decoded names section prints back unambiguously.
 *
 * The decoder is total: every byte string is a valid trace, because every
 * choice it reads is reduced modulo the number of valid choices and a
 * reference with no candidate degrades to NULL or drops the operation.
 * The encoder inverts the decoder exactly (decode(encode(t)) == t), which is
 * what makes text -> binary -> text the identity.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gfp.h"
#include "slab.h"
#include "trace.h"

_Static_assert(KH_OP_COUNT <= 127, "opcodes must fit in 7 bits below the 0xFF end marker");

/* ---- descriptor table ---- */

#define A(k, w) { KH_ARG_##k, w }
#define KH_TRACE_DESC_(id, nm, res, ...)                                                    \
    [KH_OP_##id] = { nm, KH_VAL_##res,                                                      \
                     sizeof((struct kh_arg_desc[]){ { 0 }, __VA_ARGS__ }) / sizeof(struct kh_arg_desc) - 1, \
                     { __VA_ARGS__ } },
static const struct kh_op_desc op_descs[KH_OP_COUNT] = { KH_TRACE_OPS(KH_TRACE_DESC_) };
#undef KH_TRACE_DESC_
#undef A

const struct kh_op_desc *kh_op_desc(enum kh_opcode code)
{
    return code < KH_OP_COUNT ? &op_descs[code] : NULL;
}

enum kh_opcode kh_op_lookup(const char *name, size_t len)
{
    for (unsigned i = 0; i < KH_OP_COUNT; i++)
        if (strlen(op_descs[i].name) == len && memcmp(op_descs[i].name, name, len) == 0)
            return (enum kh_opcode)i;
    return KH_OP_COUNT;
}

enum kh_op_kernel kh_op_kernel(enum kh_opcode code)
{
    switch (code) {
    case KH_OP_KVREALLOC: return KH_OPK_KVREALLOC_OLD_SIZE;
    case KH_OP_KVREALLOC_612: return KH_OPK_KVREALLOC_NEW;
    case KH_OP_VREALLOC: return KH_OPK_VREALLOC;
    case KH_OP_KMEM_CACHE_CREATE_ARGS: return KH_OPK_CACHE_ARGS;
    default: return KH_OPK_ANY;
    }
}

/* Argument index holding an array result's element count, or -1. */
static int count_arg(const struct kh_op_desc *d)
{
    for (unsigned i = 0; i < kh_op_nargs(d); i++)
        if (d->args[i].kind == KH_ARG_BULK_N)
            return (int)i;
    return -1;
}

static uint8_t var_type_of(uint8_t kind)
{
    switch (kind) {
    case KH_ARG_CACHE: case KH_ARG_CACHE_OR_NULL: return KH_VAL_CACHE;
    case KH_ARG_POOL: case KH_ARG_POOL_OR_NULL: return KH_VAL_POOL;
    case KH_ARG_ARRAY: return KH_VAL_ARRAY;
    case KH_ARG_PTR: return KH_VAL_PTR;
    default: return KH_VAL_NONE;
    }
}

static const char *type_word(uint8_t type)
{
    static const char *const words[] = { "?", "pointer", "cache", "pool", "array" };
    return type < 5 ? words[type] : "?";
}

/* ---- flag vocabularies ---- */

struct flag_name { uint32_t mask; const char *name; };

static const struct flag_name slab_names[] = {
    { SLAB_CONSISTENCY_CHECKS, "SLAB_CONSISTENCY_CHECKS" },
    { SLAB_RED_ZONE, "SLAB_RED_ZONE" },
    { SLAB_POISON, "SLAB_POISON" },
    { SLAB_KMALLOC, "SLAB_KMALLOC" },
    { SLAB_HWCACHE_ALIGN, "SLAB_HWCACHE_ALIGN" },
    { SLAB_CACHE_DMA, "SLAB_CACHE_DMA" },
    { SLAB_CACHE_DMA32, "SLAB_CACHE_DMA32" },
    { SLAB_STORE_USER, "SLAB_STORE_USER" },
    { SLAB_RECLAIM_ACCOUNT, "SLAB_RECLAIM_ACCOUNT" },
    { SLAB_PANIC, "SLAB_PANIC" },
    { SLAB_TYPESAFE_BY_RCU, "SLAB_TYPESAFE_BY_RCU" },
    { SLAB_ACCOUNT, "SLAB_ACCOUNT" },
};
#define NR_SLAB_NAMES (sizeof(slab_names) / sizeof(slab_names[0]))

static const struct flag_name domain_names[] = {
    { KH_DOMAIN_PAGE, "page" },
    { KH_DOMAIN_SLAB, "slab" },
    { KH_DOMAIN_VMALLOC, "vmalloc" },
    { KH_DOMAIN_PERCPU, "percpu" },
};
#define NR_DOMAIN_NAMES (sizeof(domain_names) / sizeof(domain_names[0]))

/* The slab flags a fuzzer reaches with one byte (binary form). */
static const uint32_t slab_compact[7] = {
    SLAB_HWCACHE_ALIGN, SLAB_CACHE_DMA, SLAB_POISON, SLAB_RED_ZONE,
    SLAB_STORE_USER, SLAB_CONSISTENCY_CHECKS, SLAB_TYPESAFE_BY_RCU,
};

/* Masks a fuzzer reaches with one byte (binary form): exactly 32 entries. */
static const uint32_t gfp_common[] = {
    GFP_KERNEL, GFP_ATOMIC, GFP_NOWAIT, GFP_KERNEL | __GFP_ZERO,
    GFP_KERNEL | __GFP_NOWARN, GFP_ATOMIC | __GFP_NOWARN, GFP_KERNEL | __GFP_NOFAIL,
    GFP_KERNEL | __GFP_NORETRY, GFP_KERNEL | __GFP_RETRY_MAYFAIL, GFP_KERNEL | GFP_DMA,
    GFP_KERNEL | GFP_DMA32, GFP_KERNEL | __GFP_HIGHMEM, GFP_NOIO, GFP_NOFS, GFP_USER,
    GFP_HIGHUSER_MOVABLE, GFP_KERNEL_ACCOUNT, GFP_KERNEL | __GFP_COMP, GFP_ATOMIC | __GFP_ZERO,
    GFP_NOWAIT | __GFP_NOWARN, GFP_KERNEL | __GFP_MEMALLOC, GFP_ATOMIC | __GFP_NOMEMALLOC, 0,
    GFP_KERNEL | __GFP_ZERO | __GFP_NOWARN, __GFP_HIGH, GFP_KERNEL | __GFP_NOFAIL | __GFP_ZERO,
    GFP_ATOMIC | __GFP_NOFAIL, GFP_KERNEL | __GFP_MOVABLE, GFP_KERNEL | __GFP_RECLAIMABLE,
    GFP_KERNEL | __GFP_THISNODE, GFP_KERNEL_ACCOUNT | __GFP_ZERO, GFP_NOWAIT | __GFP_ZERO,
};
_Static_assert(sizeof(gfp_common) == 32 * sizeof(gfp_common[0]), "the binary format fixes 32 entries");

/* ---- output buffer with snprintf semantics ---- */

struct out {
    char *buf;
    size_t cap, len;   /* len: full length wanted, may exceed cap */
};

static void out_mem(struct out *o, const char *s, size_t n)
{
    if (o->len < o->cap) {
        size_t room = o->cap - o->len - 1;
        size_t copy = n < room ? n : room;
        memcpy(o->buf + o->len, s, copy);
        o->buf[o->len + copy] = '\0';
    }
    o->len += n;
}

static void out_str(struct out *o, const char *s)
{
    out_mem(o, s, strlen(s));
}

static void out_fmt(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void out_fmt(struct out *o, const char *fmt, ...)
{
    char tmp[64];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n > 0)
        out_mem(o, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

static void out_flags(struct out *o, uint32_t v, const struct flag_name *tab, size_t n,
                      const char *zero)
{
    int first = 1;
    if (v == 0) {
        out_str(o, zero);
        return;
    }
    for (size_t i = 0; i < n && v; i++) {
        if ((v & tab[i].mask) != tab[i].mask)
            continue;
        if (!first)
            out_str(o, "|");
        out_str(o, tab[i].name);
        v &= ~tab[i].mask;
        first = 0;
    }
    if (v) {
        if (!first)
            out_str(o, "|");
        out_fmt(o, "%#x", v);
    }
}

/* ---- trace storage ---- */

void kh_trace_init(struct kh_trace *t)
{
    memset(t, 0, sizeof(*t));
}

static void scratch_free(struct kh_trace_scratch *sc);   /* decoder section */

void kh_trace_free(struct kh_trace *t)
{
    free(t->ops);
    free(t->vars);
    free(t->pool);
    scratch_free(t->scratch);
    kh_trace_init(t);
}

void kh_trace_clear(struct kh_trace *t)
{
    t->n = t->nvars = t->pool_len = 0;
}

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    size_t nc = *cap ? *cap * 2 : 16;
    while (nc < need)
        nc *= 2;
    void *np = realloc(*p, nc * elem);
    if (!np)
        return -1;
    *p = np;
    *cap = nc;
    return 0;
}

/* Stores a string; returns its offset or -1. */
static int64_t pool_add(struct kh_trace *t, const char *s, size_t n)
{
    if (grow((void **)&t->pool, &t->pool_cap, t->pool_len + n + 1, 1))
        return -1;
    int64_t off = (int64_t)t->pool_len;
    memcpy(t->pool + t->pool_len, s, n);
    t->pool[t->pool_len + n] = '\0';
    t->pool_len += n + 1;
    return off;
}

const char *kh_trace_str(const struct kh_trace *t, uint64_t off)
{
    return off < t->pool_len ? t->pool + off : "";
}

const char *kh_trace_var_name(const struct kh_trace *t, int32_t var)
{
    if (var < 0 || (size_t)var >= t->nvars)
        return "NULL";
    return kh_trace_str(t, t->vars[var].name);
}

int kh_trace_rename_var(struct kh_trace *t, int32_t var, const char *name)
{
    if (var < 0 || (size_t)var >= t->nvars)
        return -1;
    int64_t off = pool_add(t, name, strlen(name));
    if (off < 0)
        return -1;
    t->vars[var].name = (uint32_t)off;
    return 0;
}

static struct kh_op *push_op(struct kh_trace *t)
{
    if (grow((void **)&t->ops, &t->cap, t->n + 1, sizeof(*t->ops)))
        return NULL;
    struct kh_op *op = &t->ops[t->n++];
    memset(op, 0, sizeof(*op));
    op->result_var = -1;
    return op;
}

static int32_t push_var(struct kh_trace *t, uint8_t type, uint32_t count, size_t op)
{
    if (grow((void **)&t->vars, &t->vars_cap, t->nvars + 1, sizeof(*t->vars)))
        return -1;
    struct kh_binding *b = &t->vars[t->nvars];
    b->name = 0;
    b->type = type;
    b->count = count;
    b->op = (uint32_t)op;
    return (int32_t)t->nvars++;
}

/* The binding an op defines, if any, with its type and element count. */
static uint32_t result_count(const struct kh_op *op)
{
    int ci = count_arg(&op_descs[op->code]);
    return ci >= 0 ? (uint32_t)op->args[ci].u : 0;
}

/* ---- name -> newest binding map (open addressing, binding indices) ---- */

struct name_map {
    int32_t *slot;     /* -1 empty */
    size_t cap, used;
};

static uint64_t hash_str(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h;
}

static void map_free(struct name_map *m)
{
    free(m->slot);
    memset(m, 0, sizeof(*m));
}

/* Slot index for name: holding it, or the empty slot where it belongs. */
static size_t map_find(const struct name_map *m, const struct kh_trace *t, const char *s,
                       size_t n)
{
    size_t i = (size_t)hash_str(s, n) & (m->cap - 1);
    for (;;) {
        int32_t v = m->slot[i];
        if (v < 0)
            return i;
        const char *name = kh_trace_var_name(t, v);
        if (strlen(name) == n && memcmp(name, s, n) == 0)
            return i;
        i = (i + 1) & (m->cap - 1);
    }
}

static int32_t map_get(const struct name_map *m, const struct kh_trace *t, const char *s,
                       size_t n)
{
    if (m->cap == 0)
        return -1;
    return m->slot[map_find(m, t, s, n)];
}

static int map_put(struct name_map *m, const struct kh_trace *t, int32_t var)
{
    if ((m->used + 1) * 2 > m->cap) {
        struct name_map big = { NULL, m->cap ? m->cap * 2 : 64, 0 };
        big.slot = malloc(big.cap * sizeof(*big.slot));
        if (!big.slot)
            return -1;
        memset(big.slot, 0xff, big.cap * sizeof(*big.slot));
        for (size_t i = 0; i < m->cap; i++) {
            if (m->slot[i] < 0)
                continue;
            const char *nm = kh_trace_var_name(t, m->slot[i]);
            big.slot[map_find(&big, t, nm, strlen(nm))] = m->slot[i];
            big.used++;
        }
        free(m->slot);
        *m = big;
    }
    const char *name = kh_trace_var_name(t, var);
    size_t i = map_find(m, t, name, strlen(name));
    if (m->slot[i] < 0)
        m->used++;
    m->slot[i] = var;
    return 0;
}

/* ---- lexical helpers shared by text and binary ---- */

static int is_ident_start(int c)
{
    return isalpha(c) || c == '_';
}

static int is_ident_char(int c)
{
    return isalnum(c) || c == '_';
}

static int is_cache_name_char(int c)
{
    return is_ident_char(c) || c == '-' || c == '.';
}

static int is_reserved(const char *s, size_t n)
{
    return (n == 4 && memcmp(s, "NULL", 4) == 0) || (n == 13 && memcmp(s, "ZERO_SIZE_PTR", 13) == 0);
}

static int valid_var_name(const char *s, size_t n)
{
    if (n == 0 || n > KH_TRACE_MAX_NAME || !is_ident_start((unsigned char)s[0]))
        return 0;
    for (size_t i = 1; i < n; i++)
        if (!is_ident_char((unsigned char)s[i]))
            return 0;
    return !is_reserved(s, n);
}

static int valid_cache_name(const char *s, size_t n)
{
    if (n == 0 || n > KH_TRACE_MAX_NAME || !is_ident_start((unsigned char)s[0]))
        return 0;
    for (size_t i = 1; i < n; i++)
        if (!is_cache_name_char((unsigned char)s[i]))
            return 0;
    return 1;
}

/* Decimal or 0x hex. Returns 0, -1 (syntax) or -2 (above 2^64 - 1). */
static int parse_u64(const char *s, size_t n, uint64_t *out)
{
    uint64_t v = 0;
    int base = 10;
    size_t i = 0;
    if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        i = 2;
    }
    if (i >= n)
        return -1;
    int overflow = 0;
    for (; i < n; i++) {
        int c = (unsigned char)s[i], d;
        if (isdigit(c))
            d = c - '0';
        else if (base == 16 && isxdigit(c))
            d = tolower(c) - 'a' + 10;
        else
            return -1;
        if (v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base)
            overflow = 1;
        v = v * (uint64_t)base + (uint64_t)d;
    }
    if (overflow)
        return -2;
    *out = v;
    return 0;
}

/* ---- text parser ---- */

struct tok {
    size_t off, len;   /* len 0: end of line */
};

struct parser {
    const char *src;
    size_t len;
    const char *file;
    struct kh_trace *t;
    struct kh_trace_error *err;
    int line;
    size_t line_start, line_end, pos;
    struct name_map names;
};

static int is_blank(int c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static struct tok next_tok(struct parser *p)
{
    struct tok tk;
    while (p->pos < p->line_end && is_blank((unsigned char)p->src[p->pos]))
        p->pos++;
    tk.off = p->pos;
    if (p->pos >= p->line_end || p->src[p->pos] == '#') {
        tk.len = 0;
        return tk;
    }
    if (p->src[p->pos] == '=') {
        p->pos++;
        tk.len = 1;
        return tk;
    }
    while (p->pos < p->line_end) {
        int c = (unsigned char)p->src[p->pos];
        if (is_blank(c) || c == '#' || c == '=')
            break;
        p->pos++;
    }
    tk.len = p->pos - tk.off;
    return tk;
}

/* Quotes a token for a message: at most 40 bytes, non-printables escaped. */
static void quote(const char *s, size_t n, char *buf, size_t cap)
{
    struct out o = { buf, cap, 0 };
    buf[0] = '\0';
    out_str(&o, "'");
    for (size_t i = 0; i < n && i < 40; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7f && c != '\'' && c != '\\')
            out_mem(&o, (const char *)&s[i], 1);
        else
            out_fmt(&o, "\\x%02x", c);
    }
    out_str(&o, n > 40 ? "...'" : "'");
}

static int fail(struct parser *p, size_t off, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(struct parser *p, size_t off, const char *fmt, ...)
{
    struct kh_trace_error *e = p->err;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
    va_end(ap);
    e->line = p->line;
    e->col = (int)(off - p->line_start) + 1;
    snprintf(e->text, sizeof(e->text), "%s:%d:%d: error: %s", p->file, e->line, e->col, e->msg);
    return -1;
}

/* "expected WHAT, got 'TOKEN'" (or "got end of line"). */
static int expected(struct parser *p, struct tok tk, const char *what)
{
    char q[200];
    if (tk.len == 0)
        return fail(p, tk.off, "expected %s, got end of line", what);
    quote(p->src + tk.off, tk.len, q, sizeof(q));
    return fail(p, tk.off, "expected %s, got %s", what, q);
}

static int expected_sub(struct parser *p, size_t off, size_t n, const char *what)
{
    struct tok tk = { off, n };
    return expected(p, tk, what);
}

static int parse_int_arg(struct parser *p, struct tok tk, const char *what, uint64_t max,
                         uint64_t *out)
{
    char msg[96];
    if (tk.len == 0)
        return expected(p, tk, what);
    int rc = parse_u64(p->src + tk.off, tk.len, out);
    if (rc == -1)
        return expected(p, tk, what);
    if (rc == -2 || *out > max) {
        if (max == UINT64_MAX)
            snprintf(msg, sizeof(msg), "%s below 2^64", what);
        else
            snprintf(msg, sizeof(msg), "%s at most %llu", what, (unsigned long long)max);
        return expected(p, tk, msg);
    }
    return 0;
}

/* One '|'-separated piece of a flags operand. */
typedef int (*piece_fn)(const char *s, size_t n, uint32_t *out);

static int gfp_piece(const char *s, size_t n, uint32_t *out)
{
    char name[KH_TRACE_MAX_NAME + 1];
    gfp_t g;
    if (n == 0 || n > KH_TRACE_MAX_NAME)
        return -1;
    memcpy(name, s, n);
    name[n] = '\0';
    if (gfp_parse(name, &g, NULL) != 0)
        return -1;
    *out = g;
    return 0;
}

static int table_piece(const struct flag_name *tab, size_t nt, const char *s, size_t n,
                       uint32_t *out)
{
    for (size_t i = 0; i < nt; i++)
        if (strlen(tab[i].name) == n && memcmp(tab[i].name, s, n) == 0) {
            *out = tab[i].mask;
            return 0;
        }
    return -1;
}

static int slab_piece(const char *s, size_t n, uint32_t *out)
{
    return table_piece(slab_names, NR_SLAB_NAMES, s, n, out);
}

static int domain_piece(const char *s, size_t n, uint32_t *out)
{
    return table_piece(domain_names, NR_DOMAIN_NAMES, s, n, out);
}

/* Names (looked up by fn) or integers, when numbers_ok, joined by '|'. */
static int parse_flags(struct parser *p, struct tok tk, const char *what, const char *unknown,
                       piece_fn fn, int numbers_ok, uint32_t *out)
{
    uint32_t acc = 0;
    size_t i = tk.off, end = tk.off + tk.len;
    if (tk.len == 0)
        return expected(p, tk, what);
    for (;;) {
        size_t s = i;
        while (i < end && p->src[i] != '|')
            i++;
        const char *piece = p->src + s;
        size_t n = i - s;
        uint32_t v = 0;
        if (n > 0 && isdigit((unsigned char)piece[0]) && numbers_ok) {
            uint64_t big;
            if (parse_u64(piece, n, &big) != 0 || big > UINT32_MAX)
                return expected_sub(p, s, n, "32-bit flag value");
            v = (uint32_t)big;
        } else if (n > 0 && is_ident_start((unsigned char)piece[0]) && valid_var_name(piece, n) &&
                   fn(piece, n, &v) == 0) {
            /* v set by fn */
        } else if (n > 0 && is_ident_start((unsigned char)piece[0])) {
            char q[200];
            quote(piece, n, q, sizeof(q));
            return fail(p, s, "unknown %s %s", unknown, q);
        } else {
            return expected_sub(p, n ? s : tk.off, n ? n : tk.len, what);
        }
        acc |= v;
        if (i >= end)
            break;
        i++;   /* skip '|' */
    }
    *out = acc;
    return 0;
}

/* Resolves a variable name to its newest binding of the wanted type. */
static int resolve_var(struct parser *p, size_t off, size_t n, uint8_t want, const char *what,
                       int32_t *out)
{
    char q[200];
    quote(p->src + off, n, q, sizeof(q));
    int32_t v = map_get(&p->names, p->t, p->src + off, n);
    if (v < 0)
        return fail(p, off, "undefined variable %s", q);
    uint8_t type = p->t->vars[v].type;
    if (type != want)
        return fail(p, off, "expected %s, got %s variable %s", what, type_word(type), q);
    *out = v;
    return 0;
}

static int parse_offset(struct parser *p, size_t off, size_t n, int64_t *out)
{
    uint64_t mag;
    int neg = p->src[off] == '-';
    if (n < 2 || parse_u64(p->src + off + 1, n - 1, &mag) != 0)
        return expected_sub(p, off, n, "+OFFSET or -OFFSET");
    if (mag > (neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX))
        return expected_sub(p, off, n, "offset within 64-bit signed range");
    *out = neg ? (int64_t)(0 - mag) : (int64_t)mag;
    return 0;
}

static int parse_ptr(struct parser *p, struct tok tk, const char *what, struct kh_operand *a)
{
    const char *s = p->src + tk.off;
    size_t n = tk.len, i = 0;
    if (n == 0 || !is_ident_start((unsigned char)s[0]))
        return expected(p, tk, what);
    while (i < n && is_ident_char((unsigned char)s[i]))
        i++;
    if (is_reserved(s, i)) {
        if (i != n)
            return expected_sub(p, tk.off + i, n - i, "end of operand (NULL and ZERO_SIZE_PTR take no index or offset)");
        a->ptr_kind = s[0] == 'N' ? KH_PTR_NULL : KH_PTR_ZERO_SIZE;
        a->var = -1;
        return 0;
    }
    if (i < n && s[i] == '[') {
        size_t is = i + 1, ie = is;
        while (ie < n && s[ie] != ']')
            ie++;
        uint64_t idx;
        if (ie >= n || parse_u64(s + is, ie - is, &idx) != 0)
            return expected_sub(p, tk.off + is, (ie < n ? ie : n) - is, "array index followed by ']'");
        if (resolve_var(p, tk.off, i, KH_VAL_ARRAY, "array variable before '['", &a->var))
            return -1;
        uint32_t count = p->t->vars[a->var].count;
        if (idx >= count) {
            char q[200];
            quote(s, i, q, sizeof(q));
            return fail(p, tk.off + is, "index %llu out of range for %s (%u elements)",
                        (unsigned long long)idx, q, count);
        }
        a->ptr_kind = KH_PTR_ELEM;
        a->elem = (uint32_t)idx;
        i = ie + 1;
    } else {
        if (resolve_var(p, tk.off, i, KH_VAL_PTR, what, &a->var))
            return -1;
        a->ptr_kind = KH_PTR_VAR;
    }
    if (i < n) {
        if (s[i] != '+' && s[i] != '-')
            return expected_sub(p, tk.off + i, n - i, "+OFFSET, -OFFSET or end of operand");
        return parse_offset(p, tk.off + i, n - i, &a->offset);
    }
    return 0;
}

static int parse_ref(struct parser *p, struct tok tk, uint8_t kind, const char *what,
                     struct kh_operand *a)
{
    const char *s = p->src + tk.off;
    int null_ok = kind == KH_ARG_CACHE_OR_NULL || kind == KH_ARG_POOL_OR_NULL;
    if (null_ok && tk.len == 4 && memcmp(s, "NULL", 4) == 0) {
        a->var = -1;
        return 0;
    }
    if (!valid_var_name(s, tk.len))
        return expected(p, tk, what);
    return resolve_var(p, tk.off, tk.len, var_type_of(kind), what, &a->var);
}

static int parse_name_arg(struct parser *p, struct tok tk, const char *what, struct kh_operand *a)
{
    if (!valid_cache_name(p->src + tk.off, tk.len))
        return expected(p, tk, what);
    int64_t off = pool_add(p->t, p->src + tk.off, tk.len);
    if (off < 0)
        return fail(p, tk.off, "out of memory");
    a->u = (uint64_t)off;
    return 0;
}

static int parse_arg(struct parser *p, const struct kh_arg_desc *d, struct kh_operand *a)
{
    struct tok tk = next_tok(p);
    uint32_t f;
    a->var = -1;
    if (tk.len == 0 && d->kind == KH_ARG_CTOR)
        return 0;
    if (tk.len == 0 && d->kind == KH_ARG_DOMAINS) {
        a->u = KH_DOMAIN_ALL;
        return 0;
    }
    switch (d->kind) {
    case KH_ARG_U64:
        return parse_int_arg(p, tk, d->what, UINT64_MAX, &a->u);
    case KH_ARG_BULK_N:
        return parse_int_arg(p, tk, d->what, KH_TRACE_MAX_BULK, &a->u);
    case KH_ARG_BYTE:
        return parse_int_arg(p, tk, d->what, 255, &a->u);
    case KH_ARG_NODE:
        if (tk.len == 12 && memcmp(p->src + tk.off, "NUMA_NO_NODE", 12) == 0) {
            a->u = UINT64_MAX;
            return 0;
        }
        return parse_int_arg(p, tk, "node (NUMA_NO_NODE or a node number)", KH_TRACE_MAX_NODE, &a->u);
    case KH_ARG_GFP:
        if (parse_flags(p, tk, d->what, "gfp flag", gfp_piece, 1, &f))
            return -1;
        a->u = f;
        return 0;
    case KH_ARG_SLAB_FLAGS:
        if (parse_flags(p, tk, d->what, "slab flag", slab_piece, 1, &f))
            return -1;
        a->u = f;
        return 0;
    case KH_ARG_DOMAINS:
        if (parse_flags(p, tk, "fault domains (page|slab|vmalloc|percpu) or end of line",
                        "fault domain", domain_piece, 0, &f))
            return -1;
        a->u = f;
        return 0;
    case KH_ARG_CTOR:
        if (tk.len != 4 || memcmp(p->src + tk.off, "ctor", 4) != 0)
            return expected(p, tk, "'ctor' or end of line");
        a->u = 1;
        return 0;
    case KH_ARG_NAME:
        return parse_name_arg(p, tk, d->what, a);
    case KH_ARG_PTR:
        return parse_ptr(p, tk, d->what, a);
    default:
        return parse_ref(p, tk, d->kind, d->what, a);
    }
}

/* Binds op's result to the name [off, off + n). */
static int bind_result(struct parser *p, struct kh_op *op, size_t off, size_t n)
{
    struct kh_trace *t = p->t;
    const struct kh_op_desc *d = &op_descs[op->code];
    int32_t v = push_var(t, d->result, result_count(op), t->n - 1);
    int64_t name = v < 0 ? -1 : pool_add(t, p->src + off, n);
    if (name < 0)
        return fail(p, off, "out of memory");
    t->vars[v].name = (uint32_t)name;
    op->result_var = v;
    if (map_put(&p->names, t, v))
        return fail(p, off, "out of memory");
    return 0;
}

static int parse_line(struct parser *p)
{
    struct tok first = next_tok(p), optk = first, name = { 0, 0 };
    if (first.len == 0)
        return 0;
    size_t save = p->pos;
    struct tok second = next_tok(p);
    if (second.len == 1 && p->src[second.off] == '=') {
        name = first;
        if (!valid_var_name(p->src + first.off, first.len))
            return expected(p, first, "variable name");
        optk = next_tok(p);
    } else {
        p->pos = save;
    }
    enum kh_opcode code = optk.len ? kh_op_lookup(p->src + optk.off, optk.len) : KH_OP_COUNT;
    if (code == KH_OP_COUNT) {
        if (optk.len && valid_var_name(p->src + optk.off, optk.len)) {
            char q[200];
            quote(p->src + optk.off, optk.len, q, sizeof(q));
            return fail(p, optk.off, "unknown operation %s", q);
        }
        return expected(p, optk, "operation name");
    }
    if (code == KH_OP_KVREALLOC) {
        /* kvrealloc's two forms share the name: 6.12's has three operands
         * (p, size, gfp), 6.1's four (p, oldsize, newsize, gfp) */
        size_t at = p->pos;
        unsigned n = 0;
        while (n < 5 && next_tok(p).len)
            n++;
        p->pos = at;
        if (n == 3)
            code = KH_OP_KVREALLOC_612;
    }
    const struct kh_op_desc *d = &op_descs[code];
    if (name.len && d->result == KH_VAL_NONE)
        return fail(p, optk.off, "'%s' has no result to bind", d->name);
    if (p->t->n >= KH_TRACE_MAX_OPS)
        return fail(p, optk.off, "too many operations (at most %d)", KH_TRACE_MAX_OPS);
    struct kh_op op;
    memset(&op, 0, sizeof(op));
    op.code = (uint8_t)code;
    op.line = p->line;
    op.result_var = -1;
    for (unsigned i = 0; i < kh_op_nargs(d); i++)
        if (parse_arg(p, &d->args[i], &op.args[i]))
            return -1;
    struct tok extra = next_tok(p);
    if (extra.len)
        return expected(p, extra, "end of line");
    struct kh_op *slot = push_op(p->t);
    if (!slot)
        return fail(p, optk.off, "out of memory");
    *slot = op;
    return name.len ? bind_result(p, slot, name.off, name.len) : 0;
}

int kh_trace_parse(const char *text, size_t len, const char *filename, struct kh_trace *t,
                   struct kh_trace_error *err)
{
    struct parser p;
    memset(&p, 0, sizeof(p));
    memset(err, 0, sizeof(*err));
    p.src = text;
    p.len = len;
    p.file = filename ? filename : "<input>";
    p.t = t;
    p.err = err;
    int rc = 0;
    size_t at = 0;
    while (at < len && rc == 0) {
        const char *nl = memchr(text + at, '\n', len - at);
        p.line++;
        p.line_start = p.pos = at;
        p.line_end = nl ? (size_t)(nl - text) : len;
        rc = parse_line(&p);
        at = p.line_end + 1;
    }
    map_free(&p.names);
    return rc;
}

/* ---- printer ---- */

static void print_ptr(struct out *o, const struct kh_trace *t, const struct kh_operand *a)
{
    switch (a->ptr_kind) {
    case KH_PTR_NULL: out_str(o, "NULL"); return;
    case KH_PTR_ZERO_SIZE: out_str(o, "ZERO_SIZE_PTR"); return;
    default: break;
    }
    out_str(o, kh_trace_var_name(t, a->var));
    if (a->ptr_kind == KH_PTR_ELEM)
        out_fmt(o, "[%u]", a->elem);
    if (a->offset > 0)
        out_fmt(o, "+%llu", (unsigned long long)a->offset);
    else if (a->offset < 0)
        out_fmt(o, "-%llu", (unsigned long long)(0 - (uint64_t)a->offset));
}

static void print_arg(struct out *o, const struct kh_trace *t, uint8_t kind,
                      const struct kh_operand *a)
{
    char gfp[1024];
    switch (kind) {
    case KH_ARG_U64: case KH_ARG_BULK_N:
        out_fmt(o, " %llu", (unsigned long long)a->u);
        break;
    case KH_ARG_BYTE:
        out_fmt(o, " 0x%02x", (unsigned)a->u);
        break;
    case KH_ARG_NODE:
        if (a->u == UINT64_MAX)
            out_str(o, " NUMA_NO_NODE");
        else
            out_fmt(o, " %llu", (unsigned long long)a->u);
        break;
    case KH_ARG_GFP:
        gfp_format((gfp_t)a->u, gfp, sizeof(gfp));
        out_str(o, " ");
        out_str(o, gfp);
        break;
    case KH_ARG_SLAB_FLAGS:
        out_str(o, " ");
        out_flags(o, (uint32_t)a->u, slab_names, NR_SLAB_NAMES, "0");
        break;
    case KH_ARG_DOMAINS:
        if ((a->u & KH_DOMAIN_ALL) != KH_DOMAIN_ALL && (a->u & KH_DOMAIN_ALL) != 0) {
            out_str(o, " ");
            out_flags(o, (uint32_t)(a->u & KH_DOMAIN_ALL), domain_names, NR_DOMAIN_NAMES, "");
        }
        break;
    case KH_ARG_CTOR:
        if (a->u)
            out_str(o, " ctor");
        break;
    case KH_ARG_NAME:
        out_str(o, " ");
        out_str(o, kh_trace_str(t, a->u));
        break;
    case KH_ARG_PTR:
        out_str(o, " ");
        print_ptr(o, t, a);
        break;
    default:
        out_str(o, " ");
        out_str(o, kh_trace_var_name(t, a->var));
        break;
    }
}

int kh_trace_format_slab_flags(uint32_t flags, char *buf, size_t cap)
{
    struct out o = { buf, cap, 0 };
    if (cap)
        buf[0] = '\0';
    out_flags(&o, flags, slab_names, NR_SLAB_NAMES, "0");
    return (int)o.len;
}

int kh_trace_format_op(const struct kh_trace *t, size_t i, char *buf, size_t cap)
{
    struct out o = { buf, cap, 0 };
    if (cap)
        buf[0] = '\0';
    if (i >= t->n)
        return 0;
    const struct kh_op *op = &t->ops[i];
    const struct kh_op_desc *d = &op_descs[op->code];
    if (op->result_var >= 0) {
        out_str(&o, kh_trace_var_name(t, op->result_var));
        out_str(&o, " = ");
    }
    out_str(&o, d->name);
    for (unsigned k = 0; k < kh_op_nargs(d); k++)
        print_arg(&o, t, d->args[k].kind, &op->args[k]);
    return (int)o.len;
}

char *kh_trace_to_text(const struct kh_trace *t, size_t *len_out)
{
    size_t len = 0, cap = 256;
    char *s = malloc(cap);
    if (!s)
        return NULL;
    s[0] = '\0';
    for (size_t i = 0; i < t->n; i++) {
        size_t need = (size_t)kh_trace_format_op(t, i, NULL, 0) + 2;
        if (len + need > cap) {
            while (len + need > cap)
                cap *= 2;
            char *ns = realloc(s, cap);
            if (!ns) {
                free(s);
                return NULL;
            }
            s = ns;
        }
        len += (size_t)kh_trace_format_op(t, i, s + len, cap - len);
        s[len++] = '\n';
        s[len] = '\0';
    }
    if (len_out)
        *len_out = len;
    return s;
}

/* ---- binary: reader and writer ---- */

struct reader {
    const uint8_t *p, *end;
};

/* The byte readers run for every byte of every input and carry no control
 * flow worth rewarding: left out of coverage, like the validators. */
#if defined(__clang__)
#define NO_COVERAGE __attribute__((no_sanitize("coverage")))
#else
#define NO_COVERAGE
#endif

NO_COVERAGE
static inline int rd_byte(struct reader *r, uint8_t *b)
{
    if (r->p >= r->end)
        return -1;
    *b = *r->p++;
    return 0;
}

NO_COVERAGE
static int rd_int(struct reader *r, uint64_t *v)
{
    uint8_t t, c;
    if (rd_byte(r, &t))
        return -1;
    if (t < 0x80) {
        *v = t;
        return 0;
    }
    if (t < 0xC0) {
        if (rd_byte(r, &c))
            return -1;
        *v = ((uint64_t)1 << (t & 63)) + (uint64_t)(int64_t)(int8_t)c;
        return 0;
    }
    uint64_t rest = 0;
    for (unsigned i = 0; i < 10; i++) {
        if (rd_byte(r, &c))
            return -1;
        if (7 * i < 64)
            rest |= (uint64_t)(c & 0x7f) << (7 * i);
        if (!(c & 0x80))
            break;
    }
    *v = (uint64_t)(t & 63) | (rest << 6);
    return 0;
}

struct writer {
    uint8_t *buf;
    size_t len, cap;
    int oom;
};

static void wr_byte(struct writer *w, uint8_t b)
{
    if (w->oom || grow((void **)&w->buf, &w->cap, w->len + 1, 1)) {
        w->oom = 1;
        return;
    }
    w->buf[w->len++] = b;
}

static void wr_int(struct writer *w, uint64_t v)
{
    if (v < 0x80) {
        wr_byte(w, (uint8_t)v);
        return;
    }
    unsigned k = 63 - (unsigned)__builtin_clzll(v);
    uint64_t below = v - ((uint64_t)1 << k);
    if (below <= 127) {
        wr_byte(w, (uint8_t)(0x80 | k));
        wr_byte(w, (uint8_t)below);
        return;
    }
    if (k < 63 && ((uint64_t)1 << (k + 1)) - v <= 128) {
        wr_byte(w, (uint8_t)(0x80 | (k + 1)));
        wr_byte(w, (uint8_t)(0 - (((uint64_t)1 << (k + 1)) - v)));
        return;
    }
    wr_byte(w, (uint8_t)(0xC0 | (v & 63)));
    uint64_t rest = v >> 6;
    do {
        uint8_t c = rest & 0x7f;
        rest >>= 7;
        wr_byte(w, rest ? (uint8_t)(c | 0x80) : c);
    } while (rest);
}

static uint64_t zigzag(int64_t x)
{
    return x < 0 ? ~((uint64_t)x << 1) : (uint64_t)x << 1;
}

static int64_t unzigzag(uint64_t z)
{
    uint64_t mag = z >> 1;
    return (z & 1) ? -(int64_t)mag - 1 : (int64_t)mag;
}

/* ---- binary decoder ---- */

struct ivec {
    int32_t *v;
    size_t n, cap;
};

static int ivec_push(struct ivec *iv, int32_t x)
{
    if (grow((void **)&iv->v, &iv->cap, iv->n + 1, sizeof(*iv->v)))
        return -1;
    iv->v[iv->n++] = x;
    return 0;
}

/* Bindings so far, by type; nonempty lists arrays with at least one element. */
/* Bindings by type and the non-empty arrays, for picking operands. They
 * live with the trace so that decoding into a cleared trace allocates
 * nothing. */
struct kh_trace_scratch {
    struct ivec by_type[5];
    struct ivec nonempty;
};

static void scratch_free(struct kh_trace_scratch *sc)
{
    if (!sc)
        return;
    for (int i = 0; i < 5; i++)
        free(sc->by_type[i].v);
    free(sc->nonempty.v);
    free(sc);
}

struct decoder {
    struct reader r;
    struct kh_trace *t;
    struct ivec *by_type;      /* [5], in t->scratch */
    struct ivec *nonempty;
    const uint8_t *subset;   /* opcode map for headerless input, or NULL */
    unsigned nsubset;
    unsigned nops;           /* without a subset: the version's operation count */
};

enum { DEC_OK, DEC_EOF, DEC_SKIP };

static int pick(const struct ivec *iv, uint64_t i, int32_t *out)
{
    if (iv->n == 0)
        return -1;
    *out = iv->v[i % iv->n];
    return 0;
}

static const char name_chars[] =
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789-.";

static int dec_name(struct decoder *dc, struct kh_operand *a)
{
    uint64_t n;
    char s[KH_TRACE_MAX_NAME];
    if (rd_int(&dc->r, &n))
        return DEC_EOF;
    size_t len = 1 + (size_t)(n % KH_TRACE_MAX_NAME);
    for (size_t i = 0; i < len; i++) {
        uint8_t c;
        if (rd_byte(&dc->r, &c))
            return DEC_EOF;
        int ok = i == 0 ? is_ident_start(c) : is_cache_name_char(c);
        s[i] = ok ? (char)c : name_chars[c % (i == 0 ? 53 : 65)];
    }
    int64_t off = pool_add(dc->t, s, len);
    if (off < 0)
        return DEC_EOF;
    a->u = (uint64_t)off;
    return DEC_OK;
}

static int dec_ptr(struct decoder *dc, struct kh_operand *a)
{
    uint8_t k;
    uint64_t i, e, z = 0;
    if (rd_byte(&dc->r, &k))
        return DEC_EOF;
    a->ptr_kind = k & 3;
    a->var = -1;
    if (a->ptr_kind == KH_PTR_VAR) {
        if (rd_int(&dc->r, &i))
            return DEC_EOF;
        if (pick(&dc->by_type[KH_VAL_PTR], i, &a->var))
            a->ptr_kind = KH_PTR_NULL;
    } else if (a->ptr_kind == KH_PTR_ELEM) {
        if (rd_int(&dc->r, &i) || rd_int(&dc->r, &e))
            return DEC_EOF;
        if (pick(dc->nonempty, i, &a->var))
            a->ptr_kind = KH_PTR_NULL;
        else
            a->elem = (uint32_t)(e % dc->t->vars[a->var].count);
    }
    /* The offset is read whenever announced, even if the reference
     * degraded to NULL, so that the bytes consumed depend on k alone. */
    if ((k & 4) && (k & 3) >= KH_PTR_VAR && rd_int(&dc->r, &z))
        return DEC_EOF;
    if (a->ptr_kind == KH_PTR_VAR || a->ptr_kind == KH_PTR_ELEM)
        a->offset = unzigzag(z);
    return DEC_OK;
}

static int dec_ref(struct decoder *dc, uint8_t kind, struct kh_operand *a)
{
    uint64_t i;
    const struct ivec *iv = &dc->by_type[var_type_of(kind)];
    a->var = -1;
    if (rd_int(&dc->r, &i))
        return DEC_EOF;
    if (kind == KH_ARG_CACHE_OR_NULL || kind == KH_ARG_POOL_OR_NULL) {
        if (i > 0)
            pick(iv, i - 1, &a->var);
        return DEC_OK;
    }
    return pick(iv, i, &a->var) ? DEC_SKIP : DEC_OK;
}

static int dec_masked(struct decoder *dc, const uint32_t *tab, unsigned ntab, int bits,
                      uint64_t *out)
{
    uint8_t b;
    uint64_t v = 0;
    if (rd_byte(&dc->r, &b))
        return DEC_EOF;
    if (b >= 0x80) {
        if (rd_int(&dc->r, &v))
            return DEC_EOF;
        *out = v & UINT32_MAX;
    } else if (bits) {
        for (unsigned i = 0; i < ntab; i++)
            if (b & (1u << i))
                v |= tab[i];
        *out = v;
    } else {
        *out = tab[b % ntab];
    }
    return DEC_OK;
}

static int dec_arg(struct decoder *dc, uint8_t kind, struct kh_operand *a)
{
    uint8_t b;
    switch (kind) {
    case KH_ARG_U64:
        return rd_int(&dc->r, &a->u) ? DEC_EOF : DEC_OK;
    case KH_ARG_BULK_N:
        if (rd_int(&dc->r, &a->u))
            return DEC_EOF;
        a->u %= KH_TRACE_MAX_BULK + 1;
        return DEC_OK;
    case KH_ARG_BYTE: case KH_ARG_CTOR: case KH_ARG_DOMAINS:
        if (rd_byte(&dc->r, &b))
            return DEC_EOF;
        a->u = kind == KH_ARG_BYTE ? b : kind == KH_ARG_CTOR ? (b & 1u) : (b & 15u);
        if (kind == KH_ARG_DOMAINS && a->u == 0)
            a->u = KH_DOMAIN_ALL;
        return DEC_OK;
    case KH_ARG_NODE:
        /* mostly the two nodes that exist (see trace.h) */
        if (rd_byte(&dc->r, &b))
            return DEC_EOF;
        a->u = b >= 0xC0 ? (uint64_t)(b - 0xC0) : (b & 1) ? 0 : UINT64_MAX;
        return DEC_OK;
    case KH_ARG_GFP:
        return dec_masked(dc, gfp_common, 32, 0, &a->u);
    case KH_ARG_SLAB_FLAGS:
        return dec_masked(dc, slab_compact, 7, 1, &a->u);
    case KH_ARG_NAME:
        return dec_name(dc, a);
    case KH_ARG_PTR:
        return dec_ptr(dc, a);
    default:
        return dec_ref(dc, kind, a);
    }
}

/* Records op's binding, if it binds one. */
static int dec_bind(struct decoder *dc, struct kh_op *op)
{
    const struct kh_op_desc *d = &op_descs[op->code];
    struct kh_trace *t = dc->t;
    int32_t v = push_var(t, d->result, result_count(op), t->n - 1);
    if (v < 0 || ivec_push(&dc->by_type[d->result], v))
        return -1;
    if (d->result == KH_VAL_ARRAY && t->vars[v].count > 0 && ivec_push(dc->nonempty, v))
        return -1;
    op->result_var = v;
    return 0;
}

/* Decodes one op; DEC_EOF ends the sequence. */
static int dec_op(struct decoder *dc, uint8_t b)
{
    /* Decoded in place; an operation that does not make it is popped. */
    struct kh_op *op = push_op(dc->t);
    if (!op)
        return DEC_EOF;
    op->code = dc->subset ? dc->subset[(b & 0x7f) % dc->nsubset]
                          : (uint8_t)((b & 0x7f) % dc->nops);
    op->line = (int)dc->t->n;
    const struct kh_op_desc *d = &op_descs[op->code];
    int rc = DEC_OK;
    for (unsigned i = 0; i < kh_op_nargs(d) && rc != DEC_EOF; i++) {
        int r = dec_arg(dc, d->args[i].kind, &op->args[i]);
        if (r != DEC_OK)
            rc = r;
    }
    if (rc != DEC_OK) {
        dc->t->n--;
        return rc;
    }
    if (d->result != KH_VAL_NONE && !(b & 0x80) && dec_bind(dc, op))
        return DEC_EOF;
    return DEC_OK;
}

/* Each reference must name the binding it points to when printed as text. */
static int names_unambiguous(const struct kh_trace *t)
{
    struct name_map m = { NULL, 0, 0 };
    int ok = 1;
    /* Distinct names cannot be ambiguous: the common case is one insert
     * per binding, not a lookup per reference. */
    for (size_t v = 0; v < t->nvars && ok; v++) {
        size_t before = m.used;
        ok = map_put(&m, t, (int32_t)v) == 0 && m.used == before + 1;
    }
    map_free(&m);
    if (ok)
        return 1;
    ok = 1;
    for (size_t i = 0; i < t->n && ok; i++) {
        const struct kh_op *op = &t->ops[i];
        const struct kh_op_desc *d = &op_descs[op->code];
        for (unsigned k = 0; k < kh_op_nargs(d) && ok; k++) {
            const struct kh_operand *a = &op->args[k];
            if (var_type_of(d->args[k].kind) == KH_VAL_NONE || a->var < 0)
                continue;
            const char *nm = kh_trace_var_name(t, a->var);
            ok = map_get(&m, t, nm, strlen(nm)) == a->var;
        }
        if (ok && op->result_var >= 0 && map_put(&m, t, op->result_var))
            ok = 0;
    }
    map_free(&m);
    return ok;
}

/* Reads the names section; on any defect generates names instead. */
static int dec_names(struct decoder *dc, int present)
{
    struct kh_trace *t = dc->t;
    size_t mark = t->pool_len;
    int ok = present;
    for (size_t v = 0; v < t->nvars && ok; v++) {
        uint64_t n;
        ok = rd_int(&dc->r, &n) == 0 && n <= KH_TRACE_MAX_NAME &&
             (size_t)(dc->r.end - dc->r.p) >= n && valid_var_name((const char *)dc->r.p, n);
        if (!ok)
            break;
        int64_t off = pool_add(t, (const char *)dc->r.p, n);
        if (off < 0)
            return -1;
        t->vars[v].name = (uint32_t)off;
        dc->r.p += n;
    }
    if (ok && names_unambiguous(t))
        return 0;
    t->pool_len = mark;
    static const char prefix[] = "?pcma";
    for (size_t v = 0; v < t->nvars; v++) {
        char s[32], *e = s + sizeof(s), *b = e;   /* "<type letter><index>" */
        size_t i = v;
        do
            *--b = (char)('0' + i % 10);
        while ((i /= 10) != 0);
        *--b = prefix[t->vars[v].type];
        int64_t off = pool_add(t, b, (size_t)(e - b));
        if (off < 0)
            return -1;
        t->vars[v].name = (uint32_t)off;
    }
    return 0;
}

int kh_trace_decode(const uint8_t *data, size_t len, struct kh_trace *t)
{
    return kh_trace_decode_subset(data, len, NULL, 0, t);
}

int kh_trace_decode_subset(const uint8_t *data, size_t len, const uint8_t *ops, unsigned nops,
                           struct kh_trace *t)
{
    struct decoder dc;
    memset(&dc, 0, sizeof(dc));
    if (!t->scratch && !(t->scratch = calloc(1, sizeof(*t->scratch))))
        return -1;
    for (int i = 0; i < 5; i++)
        t->scratch->by_type[i].n = 0;
    t->scratch->nonempty.n = 0;
    dc.by_type = t->scratch->by_type;
    dc.nonempty = &t->scratch->nonempty;
    dc.t = t;
    dc.r.p = data;
    dc.r.end = data + len;
    dc.nops = KH_OP_COUNT_V1;
    if (len >= 4 && memcmp(data, KH_TRACE_MAGIC, 3) == 0 && data[3] >= 1 &&
        data[3] <= KH_TRACE_VERSION_MAX) {
        dc.r.p += 4;
        dc.nops = data[3] >= 4   ? KH_OP_COUNT
                  : data[3] == 3 ? KH_OP_COUNT_V3
                  : data[3] == 2 ? KH_OP_COUNT_V2
                                 : KH_OP_COUNT_V1;
    } else if (ops && nops) {
        dc.subset = ops;
        dc.nsubset = nops;
    }
    int names = 0;
    uint8_t b;
    while (rd_byte(&dc.r, &b) == 0) {
        if (b == 0xFF) {
            names = 1;
            break;
        }
        if (t->n >= KH_TRACE_MAX_OPS)
            break;
        if (dec_op(&dc, b) == DEC_EOF)
            break;
    }
    return dec_names(&dc, names);
}

/* ---- binary encoder ---- */

/* Per-type ordinals of every binding, the inverse of the decoder's pick(). */
struct ordinals {
    uint32_t *of;        /* ordinal among bindings of the same type */
    uint32_t *nonempty;  /* ordinal among non-empty arrays */
};

static int ordinals_build(const struct kh_trace *t, struct ordinals *o)
{
    uint32_t count[5] = { 0 }, ne = 0;
    o->of = malloc((t->nvars + 1) * sizeof(uint32_t));
    o->nonempty = malloc((t->nvars + 1) * sizeof(uint32_t));
    if (!o->of || !o->nonempty)
        return -1;
    for (size_t v = 0; v < t->nvars; v++) {
        uint8_t ty = t->vars[v].type < 5 ? t->vars[v].type : 0;
        o->of[v] = count[ty]++;
        o->nonempty[v] = ne;
        if (ty == KH_VAL_ARRAY && t->vars[v].count > 0)
            ne++;
    }
    return 0;
}

static void enc_masked(struct writer *w, uint32_t v, const uint32_t *tab, unsigned ntab, int bits)
{
    if (bits) {
        uint32_t all = 0, b = 0;
        for (unsigned i = 0; i < ntab; i++) {
            all |= tab[i];
            if (v & tab[i])
                b |= 1u << i;
        }
        if ((v & ~all) == 0) {
            wr_byte(w, (uint8_t)b);
            return;
        }
    } else {
        for (unsigned i = 0; i < ntab; i++)
            if (tab[i] == v) {
                wr_byte(w, (uint8_t)i);
                return;
            }
    }
    wr_byte(w, 0x80);
    wr_int(w, v);
}

static void enc_ptr(struct writer *w, const struct ordinals *o, const struct kh_operand *a)
{
    int var = a->ptr_kind == KH_PTR_VAR || a->ptr_kind == KH_PTR_ELEM;
    int off = var && a->offset != 0;
    wr_byte(w, (uint8_t)(a->ptr_kind | (off ? 4 : 0)));
    if (a->ptr_kind == KH_PTR_VAR) {
        wr_int(w, o->of[a->var]);
    } else if (a->ptr_kind == KH_PTR_ELEM) {
        wr_int(w, o->nonempty[a->var]);
        wr_int(w, a->elem);
    }
    if (off)
        wr_int(w, zigzag(a->offset));
}

static void enc_arg(struct writer *w, const struct kh_trace *t, const struct ordinals *o,
                    uint8_t kind, const struct kh_operand *a)
{
    const char *s;
    switch (kind) {
    case KH_ARG_U64: case KH_ARG_BULK_N:
        wr_int(w, a->u);
        break;
    case KH_ARG_BYTE: case KH_ARG_CTOR: case KH_ARG_DOMAINS:
        wr_byte(w, (uint8_t)a->u);
        break;
    case KH_ARG_NODE:
        wr_byte(w, a->u == UINT64_MAX ? 0x00 : a->u == 0 ? 0x01 : (uint8_t)(0xC0 + a->u));
        break;
    case KH_ARG_GFP:
        enc_masked(w, (uint32_t)a->u, gfp_common, 32, 0);
        break;
    case KH_ARG_SLAB_FLAGS:
        enc_masked(w, (uint32_t)a->u, slab_compact, 7, 1);
        break;
    case KH_ARG_NAME:
        s = kh_trace_str(t, a->u);
        wr_int(w, strlen(s) - 1);
        for (; *s; s++)
            wr_byte(w, (uint8_t)*s);
        break;
    case KH_ARG_PTR:
        enc_ptr(w, o, a);
        break;
    case KH_ARG_CACHE_OR_NULL: case KH_ARG_POOL_OR_NULL:
        wr_int(w, a->var < 0 ? 0 : (uint64_t)o->of[a->var] + 1);
        break;
    default:
        wr_int(w, o->of[a->var]);
        break;
    }
}

/* With a subset: headerless, opcode bytes are positions in ops[]. */
static int encode(const struct kh_trace *t, const uint8_t *ops, unsigned nops, uint8_t **out,
                  size_t *len)
{
    uint8_t pos[KH_OP_COUNT];
    if (ops) {
        memset(pos, 0xFF, sizeof(pos));
        for (unsigned k = nops; k-- > 0;)
            if (ops[k] < KH_OP_COUNT)
                pos[ops[k]] = (uint8_t)k;
        for (size_t i = 0; i < t->n; i++)
            if (pos[t->ops[i].code] == 0xFF)
                return 1;
    }
    struct writer w = { NULL, 0, 0, 0 };
    struct ordinals o = { NULL, NULL };
    if (ordinals_build(t, &o)) {
        free(o.of);
        free(o.nonempty);
        return -1;
    }
    if (!ops) {
        unsigned version = KH_TRACE_VERSION;
        for (size_t i = 0; i < t->n; i++) {
            unsigned code = t->ops[i].code;
            unsigned need = code >= KH_OP_COUNT_V3 ? 4 : code >= KH_OP_COUNT_V2 ? 3 : code >= KH_OP_COUNT_V1 ? 2 : 1;
            if (need > version)
                version = need;
        }
        for (const char *m = KH_TRACE_MAGIC; *m; m++)
            wr_byte(&w, (uint8_t)*m);
        wr_byte(&w, (uint8_t)version);
    }
    for (size_t i = 0; i < t->n; i++) {
        const struct kh_op *op = &t->ops[i];
        const struct kh_op_desc *d = &op_descs[op->code];
        int unbound = d->result != KH_VAL_NONE && op->result_var < 0;
        wr_byte(&w, (uint8_t)((ops ? pos[op->code] : op->code) | (unbound ? 0x80 : 0)));
        for (unsigned k = 0; k < kh_op_nargs(d); k++)
            enc_arg(&w, t, &o, d->args[k].kind, &op->args[k]);
    }
    wr_byte(&w, 0xFF);
    for (size_t v = 0; v < t->nvars; v++) {
        const char *s = kh_trace_var_name(t, (int32_t)v);
        wr_int(&w, strlen(s));
        for (; *s; s++)
            wr_byte(&w, (uint8_t)*s);
    }
    free(o.of);
    free(o.nonempty);
    if (w.oom) {
        free(w.buf);
        return -1;
    }
    *out = w.buf;
    *len = w.len;
    return 0;
}

int kh_trace_encode(const struct kh_trace *t, uint8_t **out, size_t *len)
{
    return encode(t, NULL, 0, out, len);
}

int kh_trace_encode_subset(const struct kh_trace *t, const uint8_t *ops, unsigned nops, uint8_t **out,
                           size_t *len)
{
    if (!ops || !nops || nops > 0x7F)
        return 1;
    return encode(t, ops, nops, out, len);
}

/* ---- loading and comparing ---- */

int kh_trace_is_binary(const uint8_t *data, size_t len)
{
    if (len >= 4 && memcmp(data, KH_TRACE_MAGIC, 3) == 0 && data[3] >= 1 &&
        data[3] <= KH_TRACE_VERSION_MAX)
        return 1;
    /* Control bytes never occur in text; bytes >= 0x80 may (UTF-8 comments). */
    for (size_t i = 0; i < len; i++) {
        uint8_t c = data[i];
        if ((c < 0x20 && !(c >= '\t' && c <= '\r')) || c == 0x7f)
            return 1;
    }
    return 0;
}

int kh_trace_load(const uint8_t *data, size_t len, const char *filename, struct kh_trace *t,
                  struct kh_trace_error *err)
{
    memset(err, 0, sizeof(*err));
    if (!kh_trace_is_binary(data, len))
        return kh_trace_parse((const char *)data, len, filename, t, err);
    if (kh_trace_decode(data, len, t) == 0)
        return 0;
    snprintf(err->msg, sizeof(err->msg), "out of memory");
    snprintf(err->text, sizeof(err->text), "%s: error: out of memory", filename ? filename : "<input>");
    return -1;
}

static int operand_equal(const struct kh_trace *ta, const struct kh_trace *tb, uint8_t kind,
                         const struct kh_operand *a, const struct kh_operand *b)
{
    switch (kind) {
    case KH_ARG_NAME:
        return strcmp(kh_trace_str(ta, a->u), kh_trace_str(tb, b->u)) == 0;
    case KH_ARG_PTR:
        if (a->ptr_kind != b->ptr_kind)
            return 0;
        if (a->ptr_kind == KH_PTR_NULL || a->ptr_kind == KH_PTR_ZERO_SIZE)
            return 1;
        return a->var == b->var && a->offset == b->offset &&
               (a->ptr_kind != KH_PTR_ELEM || a->elem == b->elem);
    case KH_ARG_CACHE: case KH_ARG_CACHE_OR_NULL: case KH_ARG_POOL:
    case KH_ARG_POOL_OR_NULL: case KH_ARG_ARRAY:
        return a->var == b->var;
    default:
        return a->u == b->u;
    }
}

int kh_trace_equal(const struct kh_trace *a, const struct kh_trace *b)
{
    if (a->n != b->n || a->nvars != b->nvars)
        return 0;
    for (size_t i = 0; i < a->n; i++) {
        const struct kh_op *x = &a->ops[i], *y = &b->ops[i];
        if (x->code != y->code || x->result_var != y->result_var)
            return 0;
        const struct kh_op_desc *d = &op_descs[x->code];
        for (unsigned k = 0; k < kh_op_nargs(d); k++)
            if (!operand_equal(a, b, d->args[k].kind, &x->args[k], &y->args[k]))
                return 0;
    }
    for (size_t v = 0; v < a->nvars; v++) {
        const struct kh_binding *x = &a->vars[v], *y = &b->vars[v];
        if (x->type != y->type || x->count != y->count || x->op != y->op ||
            strcmp(kh_trace_var_name(a, (int32_t)v), kh_trace_var_name(b, (int32_t)v)) != 0)
            return 0;
    }
    return 1;
}
