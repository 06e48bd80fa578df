/* blackbox.c - the black-box executor (see blackbox.h).
 *
 * Model: the shadow interval set (fuzz/shadow.c) holds every live block of
 * every tier; a side table indexed by shadow id says how to free a block
 * (tier, order, cache) and what its content should be: the id's pattern
 * over the first PATTERN_CAP bytes, overridden by the caller's last few
 * writes. A trace variable is live exactly while the shadow holds a block
 * at its address with its id, so a free of anything else is misuse.
 * Unbound results are tracked too, and the end-of-run teardown walks the
 * shadow, not the bindings, so nothing leaks from one input to the next.
 */
#include "blackbox.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gfp.h"
#include "shadow.h"

#define PATTERN_CAP 4096u
#define ZERO_CHECK_CAP 65536u
#define VERIFY_ALL_EVERY 64u
#define MAX_WRITES 4u
#define DEFAULT_SIZE_CAP (64u << 20)
#define PROBE_TIMEOUT_S 10u

enum tier { TIER_NONE, TIER_OBJECT, TIER_PAGE, TIER_EXACT, TIER_CACHE, NR_TIERS };

static const char *const tier_names[NR_TIERS] = { "-", "object", "page block", "exact pages",
                                                  "cache object" };

struct bwrite {
    uint32_t off, len;
    uint8_t byte;
};

/* Per shadow id; kept after the block is freed (double-free probes need
 * to know how it was allocated). */
struct bmeta {
    uint8_t tier;
    uint8_t nw;
    unsigned order;          /* TIER_PAGE */
    size_t req;
    int32_t cache;           /* TIER_CACHE: index in x->caches */
    struct bwrite w[MAX_WRITES];
};

struct bcache {
    void *h;
    bool alive;
    unsigned live;
    size_t size, align;
};

struct bbind {
    uint8_t type;            /* enum kh_val_type */
    void *p;                 /* PTR: the block; NULL when the op returned NULL */
    uint32_t id;
    bool token;              /* the adapter's zero_size_ptr */
    int32_t cache;           /* CACHE: index in x->caches, -1 when create failed */
    struct bbind *elems;     /* ARRAY */
    uint32_t count;
    int32_t owner;           /* ARRAY: cache index */
    int32_t pool;            /* POOL: index in x->pools, -1 when refused */
};

struct bpool {
    void *h;                 /* the adapter's handle */
    uint8_t *mem;            /* harness mapping (NULL: the allocator's own arena) */
    size_t bytes, reserve;   /* given to the allocator / mapped */
    uint64_t unit;           /* mempool_resize N means N * unit bytes */
    bool alive, main;
};

struct bb {
    const struct kh_adapter *a;
    void *ctx;
    struct bb_options opt;
    bool obj, page, exact, cache, fault;
    size_t page_size;
    struct shadow shadow;
    struct bmeta *meta;
    size_t meta_cap;
    struct bcache *caches;
    size_t ncaches, caches_cap;
    struct bpool *pools;
    size_t npools, pools_cap;
    bool resized_main;         /* this input resized the allocator's own arena */
    struct bbind *b;
    size_t nb;
    size_t live_bytes;
    int free_null[NR_TIERS];   /* probe result: 0 not yet, 1 safe, -1 crashed */
    int errfd;                 /* probe children's stderr (memfd), -1 */
    struct bb_stats st;
    /* per run / per operation */
    const struct kh_trace *t;
    size_t op_i;
    bool finding;
    struct bb_finding *f;
    uint64_t injected_before;
    uint64_t reports_before;
};

/* ---- names ---- */

static const char *const check_names[BB_NR_CHECKS] = {
    [BB_CHECK_OVERLAP] = "no overlap among live blocks",
    [BB_CHECK_CONTENT] = "content of live blocks intact",
    [BB_CHECK_MIN_ALIGN] = "declared minimum alignment",
    [BB_CHECK_REQ_ALIGN] = "requested alignment",
    [BB_CHECK_NATURAL_ALIGN] = "natural alignment of power-of-two sizes",
    [BB_CHECK_PAGE_ALIGN] = "page blocks page-aligned",
    [BB_CHECK_ORDER_ALIGN] = "page blocks aligned to their order",
    [BB_CHECK_USABLE_SIZE] = "usable size >= requested",
    [BB_CHECK_CACHE_SIZE] = "cache object size >= requested",
    [BB_CHECK_ZEROED] = "zeroing allocations read as zero",
    [BB_CHECK_ZERO_SIZE] = "zero-byte requests (token or unique pointer)",
    [BB_CHECK_REALLOC_PREFIX] = "realloc keeps the prefix",
    [BB_CHECK_REALLOC_FAIL_KEEPS] = "failed realloc keeps the old block",
    [BB_CHECK_FREE_NULL] = "free(NULL) is safe",
    [BB_CHECK_MAX_SIZE] = "requests above the declared limit fail",
    [BB_CHECK_NOFAIL] = "no NULL inside the declared no-fail range",
    [BB_CHECK_FAULT_NULL] = "injected faults give NULL and nothing else",
    [BB_CHECK_ARENA] = "blocks inside the declared arena",
    [BB_CHECK_NO_FALSE_REPORT] = "no misuse report for legal operations",
    [BB_CHECK_DOUBLE_FREE] = "double free detected",
    [BB_CHECK_INVALID_FREE] = "interior-pointer free detected",
    [BB_CHECK_VALIDATE] = "allocator's own validation",
    [BB_CHECK_LEAK] = "in-use bytes back to the start after freeing everything",
    [BB_CHECK_MISUSE_IGNORED] = "misuse ignored harmlessly (no crash, nothing changes)",
    [BB_CHECK_AFTER_MISUSE] = "live blocks intact and no overlap after a misuse",
    [BB_CHECK_NO_UB_IN_PROBE] = "no sanitizer error in the allocator's misuse path",
    [BB_CHECK_COALESCE] = "the declared coalesce_size allocatable once all is freed",
    [BB_CHECK_ARENA_OPS] = "live blocks intact across pool add / resize / remove",
    [BB_CHECK_HARNESS_MEMORY] = "no block in memory the harness owns or took back",
};

static const char *const skip_names[BB_NR_SKIPS] = {
    [BB_SKIP_NO_OBJECT_TIER] = "no object tier (a)",
    [BB_SKIP_NO_PAGE_TIER] = "no page tier (b)",
    [BB_SKIP_NO_CACHE_TIER] = "no cache tier (c)",
    [BB_SKIP_NO_REALLOC] = "no object.realloc",
    [BB_SKIP_NO_ALIGNED] = "alignment above min_align without KH_CAP_ALIGNED (or above max_align)",
    [BB_SKIP_NO_EXACT] = "no page.alloc_size/free_size",
    [BB_SKIP_NO_SHRINK] = "no cache.shrink",
    [BB_SKIP_NO_USABLE_SIZE] = "no object.usable_size",
    [BB_SKIP_NO_OBJECT_SIZE] = "no cache.object_size",
    [BB_SKIP_NO_FAULT] = "no fault hook",
    [BB_SKIP_FREE_NULL] = "free(NULL) not declared safe (KH_CAP_FREE_NULL)",
    [BB_SKIP_KERNEL_ONLY] = "kernel-only operation (mempool, per-CPU, CPU choice, size-class queries, ZERO_SIZE_PTR)",
    [BB_SKIP_OVERFLOW] = "count * size overflows (the kernel helper's job, not the allocator's)",
    [BB_SKIP_REALLOC_ZERO] = "realloc to 0 bytes (implementation-defined)",
    [BB_SKIP_SIZE_CAP] = "request above the harness size cap",
    [BB_SKIP_BAD_ARGUMENT] = "argument outside what the interface passes (order > 63, align not a power of two, size 0)",
    [BB_SKIP_MISUSE] = "caller misuse (misuse policy skip, or a kind not probed)",
    [BB_SKIP_UNDECLARED_MISUSE] = "misuse whose detection the adapter does not declare (probed for information only)",
    [BB_SKIP_DEAD_OPERAND] = "operand is NULL, failed or destroyed",
    [BB_SKIP_MISUSE_UNDEFINED] = "misuse the adapter declares undefined (KH_CAP_MISUSE_UNDEFINED)",
    [BB_SKIP_NO_ALIGN] = "alignment above min_align, and the adapter declares KH_CAP_NO_ALIGN",
    [BB_SKIP_NO_POOLS] = "no arena operations (pool.add / pool.resize)",
    [BB_SKIP_NO_RESIZE] = "no pool.resize",
    [BB_SKIP_NO_REMOVE] = "no pool.remove (or the pool is the allocator's own arena)",
    [BB_SKIP_COALESCE_RESIZED] = "coalescing not checked: the input resized the allocator's own arena",
};

const char *bb_check_name(enum bb_check c) { return c < BB_NR_CHECKS ? check_names[c] : "?"; }
const char *bb_skip_name(enum bb_skip s) { return s < BB_NR_SKIPS ? skip_names[s] : "?"; }

static bool has_obj(const struct kh_adapter *a)
{
    return a->object.alloc && (a->object.free || a->free_sized);
}
static bool has_page(const struct kh_adapter *a) { return a->page.alloc && a->page.free; }
static bool has_cache(const struct kh_adapter *a) { return a->cache.create && a->cache.alloc; }

const char *bb_check_unavailable(const struct kh_adapter *a, enum bb_check c)
{
    switch (c) {
    case BB_CHECK_OVERLAP:
    case BB_CHECK_CONTENT:
        return NULL;
    case BB_CHECK_MIN_ALIGN:
        return a->min_align > 1 ? NULL : "no min_align declared";
    case BB_CHECK_REQ_ALIGN:
        if (a->caps & KH_CAP_NO_ALIGN)
            return "KH_CAP_NO_ALIGN declared (aligned requests are not made)";
        return (has_obj(a) && (a->caps & KH_CAP_ALIGNED)) || has_cache(a)
                   ? NULL : "neither KH_CAP_ALIGNED nor a cache tier";
    case BB_CHECK_NATURAL_ALIGN:
        return a->caps & KH_CAP_NATURAL_ALIGN ? NULL : "KH_CAP_NATURAL_ALIGN not declared";
    case BB_CHECK_PAGE_ALIGN:
        return has_page(a) ? NULL : "no page tier";
    case BB_CHECK_ORDER_ALIGN:
        return !has_page(a) ? "no page tier"
               : a->caps & KH_CAP_PAGE_ORDER_ALIGNED ? NULL : "KH_CAP_PAGE_ORDER_ALIGNED not declared";
    case BB_CHECK_USABLE_SIZE:
        return !has_obj(a) ? "no object tier" : a->object.usable_size ? NULL : "no object.usable_size hook";
    case BB_CHECK_CACHE_SIZE:
        return !has_cache(a) ? "no cache tier" : a->cache.object_size ? NULL : "no cache.object_size hook";
    case BB_CHECK_ZEROED:
        return a->caps & KH_CAP_ZERO ? NULL : "KH_CAP_ZERO not declared (the harness zeroes itself)";
    case BB_CHECK_ZERO_SIZE:
        return has_obj(a) ? NULL : "no object tier";
    case BB_CHECK_REALLOC_PREFIX:
    case BB_CHECK_REALLOC_FAIL_KEEPS:
        return !has_obj(a) ? "no object tier" : a->object.realloc ? NULL : "no object.realloc hook";
    case BB_CHECK_FREE_NULL:
        return a->caps & KH_CAP_FREE_NULL ? NULL : "KH_CAP_FREE_NULL not declared";
    case BB_CHECK_MAX_SIZE:
        return a->max_size || has_page(a) ? NULL : "no max_size declared";
    case BB_CHECK_NOFAIL:
        return a->nofail_size && a->nofail_live ? NULL : "no no-fail range declared";
    case BB_CHECK_FAULT_NULL:
        return a->fault_set ? NULL : "no fault hook";
    case BB_CHECK_ARENA:
        return a->arena ? NULL : "no arena hook";
    case BB_CHECK_NO_FALSE_REPORT:
        return a->misuse_reports ? NULL : "no misuse_reports hook";
    case BB_CHECK_DOUBLE_FREE:
        return a->caps & KH_CAP_DETECTS_DOUBLE_FREE ? NULL : "KH_CAP_DETECTS_DOUBLE_FREE not declared";
    case BB_CHECK_INVALID_FREE:
        return a->caps & KH_CAP_DETECTS_INVALID_FREE ? NULL : "KH_CAP_DETECTS_INVALID_FREE not declared";
    case BB_CHECK_MISUSE_IGNORED:
        return a->caps & KH_CAP_MISUSE_IGNORED ? NULL : "KH_CAP_MISUSE_IGNORED not declared";
    case BB_CHECK_AFTER_MISUSE:
    case BB_CHECK_NO_UB_IN_PROBE:
        return a->caps & (KH_CAP_MISUSE_IGNORED | KH_CAP_DETECTS_DOUBLE_FREE | KH_CAP_DETECTS_INVALID_FREE)
                   ? NULL : "no misuse policy declared (KH_CAP_DETECTS_* or KH_CAP_MISUSE_IGNORED)";
    case BB_CHECK_COALESCE:
        return a->coalesce_size ? NULL : "no coalesce_size declared";
    case BB_CHECK_ARENA_OPS:
        return a->pool.add || a->pool.resize ? NULL : "no pool.add or pool.resize hook";
    case BB_CHECK_HARNESS_MEMORY:
        return NULL;
    case BB_CHECK_VALIDATE:
        return a->validate ? NULL : "no validate hook";
    case BB_CHECK_LEAK:
        return a->bytes_in_use ? NULL : "no bytes_in_use hook";
    case BB_NR_CHECKS:
        break;
    }
    return "unknown check";
}

/* ---- setup ---- */

static void pools_unmap(struct bb *x);

static bool pow2(size_t v) { return v && !(v & (v - 1)); }

static const char *declaration_error(const struct kh_adapter *a)
{
    if ((a->object.alloc != NULL) != (a->object.free != NULL || a->free_sized != NULL))
        return "tier (a) needs object.alloc and object.free (or free_sized)";
    if ((a->object.realloc || a->object.usable_size) && !has_obj(a))
        return "object.realloc/usable_size without object.alloc and object.free";
    unsigned policies = !!(a->caps & (KH_CAP_DETECTS_DOUBLE_FREE | KH_CAP_DETECTS_INVALID_FREE)) +
                        !!(a->caps & KH_CAP_MISUSE_IGNORED) + !!(a->caps & KH_CAP_MISUSE_UNDEFINED);
    if (policies > 1)
        return "declare one misuse policy: KH_CAP_DETECTS_*, KH_CAP_MISUSE_IGNORED or "
               "KH_CAP_MISUSE_UNDEFINED";
    if ((a->caps & KH_CAP_NO_ALIGN) && (a->caps & KH_CAP_ALIGNED))
        return "KH_CAP_NO_ALIGN contradicts KH_CAP_ALIGNED";
    if (a->coalesce_size && !has_obj(a) &&
        !(has_page(a) && a->page.page_shift <= 30 && a->page.max_order <= 63 - a->page.page_shift &&
          a->coalesce_size <= (size_t)1 << (a->page.page_shift + a->page.max_order)))
        return "coalesce_size needs an object tier, or a page tier whose max_order block holds it";
    if (a->coalesce_size && has_obj(a) && a->max_size && a->coalesce_size > a->max_size)
        return "coalesce_size is above max_size (a request the adapter says must fail)";
    if ((a->page.alloc != NULL) != (a->page.free != NULL))
        return "tier (b) needs both page.alloc and page.free";
    if ((a->page.alloc_size != NULL) != (a->page.free_size != NULL))
        return "page.alloc_size and page.free_size come as a pair";
    if ((has_page(a) || a->page.alloc_size) && (a->page.page_shift < 4 || a->page.page_shift > 30))
        return "page.page_shift must be 4..30 when a page tier is offered";
    if (has_page(a) && a->page.max_order > 63 - a->page.page_shift)
        return "page.max_order too large for the address space";
    bool c = a->cache.create || a->cache.destroy || a->cache.alloc || a->cache.free;
    if (c && !(a->cache.create && a->cache.destroy && a->cache.alloc && a->cache.free))
        return "tier (c) needs cache.create, destroy, alloc and free";
    if ((a->fault_set != NULL) != (a->faults_injected != NULL))
        return "fault_set and faults_injected come as a pair";
    if (!has_obj(a) && !has_page(a) && !a->page.alloc_size && !has_cache(a))
        return "no tier offered: set object, page or cache functions";
    if (a->min_align && !pow2(a->min_align))
        return "min_align is not a power of two";
    if ((a->caps & KH_CAP_ALIGNED) && !pow2(a->max_align))
        return "KH_CAP_ALIGNED needs max_align, a power of two";
    if ((a->caps & KH_CAP_NATURAL_ALIGN) && !a->natural_align_max)
        return "KH_CAP_NATURAL_ALIGN needs natural_align_max";
    if ((a->nofail_size != 0) != (a->nofail_live != 0))
        return "nofail_size and nofail_live come as a pair";
    return NULL;
}

struct bb *bb_new(const struct kh_adapter *a, const struct bb_options *opt, char *err, size_t cap)
{
    if (a->abi != KH_ADAPTER_ABI) {
        snprintf(err, cap, "adapter '%s' was built against kh_adapter ABI %u; this harness speaks %u",
                 a->name ? a->name : "?", a->abi, KH_ADAPTER_ABI);
        return NULL;
    }
    const char *why = declaration_error(a);
    if (why) {
        snprintf(err, cap, "adapter '%s': %s", a->name ? a->name : "?", why);
        return NULL;
    }
    struct bb *x = calloc(1, sizeof(*x));
    if (!x) {
        snprintf(err, cap, "out of memory");
        return NULL;
    }
    x->a = a;
    x->opt = *opt;
    if (!x->opt.size_cap)
        x->opt.size_cap = DEFAULT_SIZE_CAP;
    x->obj = has_obj(a);
    x->page = has_page(a);
    x->exact = a->page.alloc_size != NULL;
    x->cache = has_cache(a);
    x->fault = a->fault_set != NULL;
    x->page_size = (x->page || x->exact) ? (size_t)1 << a->page.page_shift : 0;
    shadow_init(&x->shadow);
    x->errfd = memfd_create("kh-probe-stderr", MFD_CLOEXEC);
    if (a->open) {
        const char *oerr = NULL;
        x->ctx = a->open(&oerr);
        if (!x->ctx) {
            snprintf(err, cap, "adapter '%s': open failed: %s", a->name, oerr ? oerr : "(no reason given)");
            if (x->errfd >= 0)
                close(x->errfd);
            free(x);
            return NULL;
        }
    }
    return x;
}

static void free_bindings(struct bb *x)
{
    for (size_t i = 0; i < x->nb; i++)
        free(x->b[i].elems);
    free(x->b);
    x->b = NULL;
    x->nb = 0;
}

void bb_free(struct bb *x)
{
    if (!x)
        return;
    if (x->a->close)
        x->a->close(x->ctx);
    free_bindings(x);
    shadow_free(&x->shadow);
    if (x->errfd >= 0)
        close(x->errfd);
    pools_unmap(x);
    free(x->meta);
    free(x->caches);
    free(x->pools);
    free(x);
}

const struct bb_stats *bb_stats(const struct bb *x) { return &x->st; }
size_t bb_current_op(const struct bb *x) { return x->op_i; }

static bool probe_child;
bool bb_in_probe_child(void) { return probe_child; }
const struct kh_adapter *bb_adapter(const struct bb *x) { return x->a; }

/* ---- findings ---- */

static const char *op_name(const struct bb *x)
{
    if (x->op_i >= x->t->n)
        return "teardown";
    return kh_op_desc((enum kh_opcode)x->t->ops[x->op_i].code)->name;
}

static void finding(struct bb *x, const char *kind, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void finding(struct bb *x, const char *kind, const char *fmt, ...)
{
    if (x->finding)
        return;  /* the first finding is the one that counts */
    x->finding = true;
    struct bb_finding *f = x->f;
    f->found = true;
    f->op_index = x->op_i;
    f->line = x->op_i < x->t->n ? x->t->ops[x->op_i].line : 0;
    snprintf(f->kind, sizeof(f->kind), "%s", kind);
    snprintf(f->title, sizeof(f->title), "%s in %s (%s)", kind, op_name(x), x->a->name);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f->detail, sizeof(f->detail), fmt, ap);
    va_end(ap);
}

static void skip(struct bb *x, enum bb_skip why)
{
    x->st.skipped[why]++;
    if (x->opt.log)
        fprintf(x->opt.log, " -> skipped (%s)", skip_names[why]);
}

static void checked(struct bb *x, enum bb_check c) { x->st.checked[c]++; }

/* ---- model ---- */

static struct bmeta *meta_of(struct bb *x, uint32_t id)
{
    if (id >= x->meta_cap) {
        size_t cap = x->meta_cap ? x->meta_cap : 256;
        while (cap <= id)
            cap *= 2;
        struct bmeta *m = realloc(x->meta, cap * sizeof(*m));
        if (!m)
            abort();  /* host OOM in the harness itself */
        memset(m + x->meta_cap, 0, (cap - x->meta_cap) * sizeof(*m));
        x->meta = m;
        x->meta_cap = cap;
    }
    return &x->meta[id];
}

/* Byte loops over block contents carry no information for the fuzzer, and
 * tracing each of their comparisons took most of the run time: uninstrumented. */
#define NO_COVERAGE __attribute__((no_sanitize("coverage")))

NO_COVERAGE static uint8_t expected_byte(const struct bmeta *m, uint32_t id, size_t i)
{
    for (unsigned k = m->nw; k-- > 0;)
        if (i >= m->w[k].off && i - m->w[k].off < m->w[k].len)
            return m->w[k].byte;
    return shadow_pattern_byte(id, i);
}

static size_t pattern_len(size_t req) { return req < PATTERN_CAP ? req : PATTERN_CAP; }

NO_COVERAGE static void fill(struct bb *x, const struct shadow_block *s)
{
    struct bmeta *m = meta_of(x, s->id);
    m->nw = 0;
    uint8_t *p = (uint8_t *)s->start;
    for (size_t i = 0; i < pattern_len(s->size); i++)
        p[i] = shadow_pattern_byte(s->id, i);
}

/* First byte in [from, to) of block s that differs from its model, or -1. */
NO_COVERAGE static long first_bad(struct bb *x, const struct shadow_block *s, size_t from, size_t to)
{
    const struct bmeta *m = meta_of(x, s->id);
    const uint8_t *p = (const uint8_t *)s->start;
    if (to > pattern_len(s->size))
        to = pattern_len(s->size);
    if (!m->nw) {
        for (size_t i = from; i < to; i++)
            if (p[i] != shadow_pattern_byte(s->id, i))
                return (long)i;
        return -1;
    }
    for (size_t i = from; i < to; i++)
        if (p[i] != expected_byte(m, s->id, i))
            return (long)i;
    return -1;
}

/* Checks a block's modelled bytes: all of them, or (the periodic sweep) only
 * the first and last EDGE, where a neighbour's overrun or an overlapping
 * block shows first; every block gets the full check when it is freed or
 * reallocated and at the end of the trace. */
#define EDGE 64u

static bool verify_part(struct bb *x, const struct shadow_block *s, const char *when, bool full)
{
    checked(x, BB_CHECK_CONTENT);
    size_t len = pattern_len(s->size);
    long bad = full || len <= 2 * EDGE ? first_bad(x, s, 0, len) : first_bad(x, s, 0, EDGE);
    if (bad < 0 && !full && len > 2 * EDGE)
        bad = first_bad(x, s, len - EDGE, len);
    if (bad < 0)
        return true;
    const struct bmeta *m = meta_of(x, s->id);
    finding(x, "content corrupted",
            "%s: live %s %#" PRIxPTR "+%zu: byte %ld is %#x, expected %#x (what the harness "
            "wrote); the allocator handed these bytes to someone else or wrote into them",
            when, tier_names[m->tier], s->start, s->size, bad, ((const uint8_t *)s->start)[bad],
            expected_byte(m, s->id, (size_t)bad));
    return false;
}

static bool verify(struct bb *x, const struct shadow_block *s, const char *when)
{
    return verify_part(x, s, when, true);
}

static void verify_all(struct bb *x, bool full)
{
    for (size_t i = 0; i < x->shadow.n && !x->finding; i++)
        verify_part(x, &x->shadow.v[i], full ? "end of trace" : "periodic check", full);
}

static bool block_live(struct bb *x, const struct bbind *b)
{
    if (!b || b->type != KH_VAL_PTR || !b->p || b->token)
        return false;
    const struct shadow_block *s = shadow_find(&x->shadow, (uintptr_t)b->p);
    return s && s->id == b->id;
}

/* A variable operand whose allocation failed, was skipped or never ran:
 * there is no pointer to use. */
static bool dead(const struct kh_operand *o, const struct bbind *b)
{
    return (o->ptr_kind == KH_PTR_VAR || o->ptr_kind == KH_PTR_ELEM) &&
           (!b || b->type != KH_VAL_PTR || (!b->p && !b->token));
}

static struct bbind *binding(struct bb *x, int32_t var)
{
    return var >= 0 && (size_t)var < x->nb ? &x->b[var] : NULL;
}

/* The binding a pointer operand names (NULL for the NULL and ZERO_SIZE_PTR
 * literals) and the address it evaluates to. */
static struct bbind *resolve_ptr(struct bb *x, const struct kh_operand *o, void **addr)
{
    struct bbind *b = NULL;
    *addr = NULL;
    if (o->ptr_kind == KH_PTR_ZERO_SIZE) {
        *addr = (void *)x->a->zero_size_ptr;
        return NULL;
    }
    if (o->ptr_kind == KH_PTR_VAR) {
        b = binding(x, o->var);
    } else if (o->ptr_kind == KH_PTR_ELEM) {
        struct bbind *arr = binding(x, o->var);
        if (arr && arr->elems && o->elem < arr->count)
            b = &arr->elems[o->elem];
    }
    /* In integers: an offset may take a pointer anywhere (p-64, ZERO_SIZE_PTR+8),
     * which is the caller's misuse, not undefined behaviour of the harness. */
    if (b && b->type == KH_VAL_PTR && b->p)
        *addr = (void *)((uintptr_t)b->p + (uintptr_t)o->offset);
    return b;
}

static struct bbind *result(struct bb *x)
{
    static struct bbind scratch;  /* unbound results: tracked in the shadow only */
    int32_t v = x->t->ops[x->op_i].result_var;
    struct bbind *b = v >= 0 ? &x->b[v] : &scratch;
    free(b->elems);
    memset(b, 0, sizeof(*b));
    b->type = v >= 0 ? x->t->vars[v].type : KH_VAL_PTR;
    b->cache = -1;
    b->owner = -1;
    b->pool = -1;
    return b;
}

/* ---- allocation results ---- */

static bool injected_now(struct bb *x)
{
    return x->fault && x->a->faults_injected(x->ctx) > x->injected_before;
}

/* An allocation of `size` bytes returned NULL. `refusable`: the request
 * exceeds a declared limit, so NULL is the right answer. */
static void judge_null(struct bb *x, const char *what, size_t size, bool refusable)
{
    if (x->opt.log)
        fputs(" -> NULL", x->opt.log);
    if (refusable) {
        checked(x, BB_CHECK_MAX_SIZE);
        return;
    }
    if (injected_now(x)) {
        checked(x, BB_CHECK_FAULT_NULL);
        return;
    }
    const struct kh_adapter *a = x->a;
    if (!a->nofail_size || size > a->nofail_size || x->live_bytes + size > a->nofail_live)
        return;
    checked(x, BB_CHECK_NOFAIL);
    finding(x, "unexpected NULL",
            "%s of %zu bytes returned NULL with %zu bytes live and no fault injected; the adapter "
            "declares that requests up to %zu bytes do not fail below %zu live bytes",
            what, size, x->live_bytes, a->nofail_size, a->nofail_live);
}

static void check_align(struct bb *x, enum bb_check c, const void *p, size_t align, const char *what,
                        const char *why)
{
    if (align <= 1)
        return;
    checked(x, c);
    if ((uintptr_t)p & (align - 1))
        finding(x, "misaligned", "%s %p is not aligned to %zu (%s)", what, p, align, why);
}

NO_COVERAGE static long first_nonzero(const void *p, size_t n)
{
    const uint8_t *c = p;
    for (size_t i = 0; i < n; i++)
        if (c[i])
            return (long)i;
    return -1;
}

/* A live pool the harness gave the allocator holds [p, p + size). */
static bool pool_of(struct bb *x, uintptr_t p, size_t size)
{
    for (size_t i = 0; i < x->npools; i++) {
        const struct bpool *pl = &x->pools[i];
        if (pl->alive && !pl->main && p >= (uintptr_t)pl->mem &&
            p + (size ? size : 1) <= (uintptr_t)pl->mem + pl->bytes)
            return true;
    }
    return false;
}

static bool overlaps(uintptr_t p, size_t size, const void *start, size_t len)
{
    uintptr_t s = (uintptr_t)start;
    return start && len && p < s + len && s < p + (size ? size : 1);
}

extern int __sanitizer_get_ownership(const volatile void *p) __attribute__((weak));

/* Bounds without a single arena: no block may overlap memory the harness
 * owns (its executor state, its shadow and tables) or memory a pool
 * operation took back from the allocator. */
static bool memory_allowed(struct bb *x, const void *ptr, size_t size, const char *what)
{
    uintptr_t p = (uintptr_t)ptr;
    const struct { const char *name; const void *start; size_t len; } own[] = {
        { "the harness's executor state", x, sizeof(*x) },
        { "the harness's shadow model", x->shadow.v, x->shadow.cap * sizeof(*x->shadow.v) },
        { "the harness's block table", x->meta, x->meta_cap * sizeof(*x->meta) },
        { "the harness's bindings", x->b, x->nb * sizeof(*x->b) },
        { "the harness's cache table", x->caches, x->caches_cap * sizeof(*x->caches) },
        { "the harness's pool table", x->pools, x->pools_cap * sizeof(*x->pools) },
        { "the adapter's context", x->ctx, 1 },
    };
    checked(x, BB_CHECK_HARNESS_MEMORY);
    /* Under ASan the harness's own mallocs are ASan's: a block that starts
     * at one of them was never the allocator's to give. */
    if (__sanitizer_get_ownership && __sanitizer_get_ownership(ptr)) {
        finding(x, "block in harness memory", "%s %p+%zu is a block of the harness's own heap "
                "(AddressSanitizer's malloc owns it): the allocator handed out memory it does not "
                "own", what, ptr, size);
        return false;
    }
    for (size_t i = 0; i < sizeof(own) / sizeof(own[0]); i++) {
        if (overlaps(p, size, own[i].start, own[i].len)) {
            finding(x, "block in harness memory", "%s %p+%zu overlaps %s at %p+%zu: the allocator "
                    "handed out memory it does not own", what, ptr, size, own[i].name,
                    own[i].start, own[i].len);
            return false;
        }
    }
    for (size_t i = 0; i < x->npools; i++) {
        const struct bpool *pl = &x->pools[i];
        if (pl->main || !pl->mem)
            continue;
        size_t from = pl->alive ? pl->bytes : 0;
        if (overlaps(p, size, pl->mem + from, pl->reserve - from)) {
            finding(x, "block outside its pool", "%s %p+%zu lies in %s pool %p (given %zu bytes): "
                    "memory the allocator %s", what, ptr, size, pl->alive ? "the tail of" : "removed",
                    (void *)pl->mem, pl->bytes, pl->alive ? "was not given (or gave back in a resize)"
                    : "gave back when the pool was removed");
            return false;
        }
    }
    return true;
}

/* Records a fresh non-NULL block and runs every check that applies to it.
 * Returns false on a finding. */
static bool track(struct bb *x, struct bbind *b, void *p, size_t req, enum tier tier, size_t align,
                  bool zeroed, unsigned order, int32_t cache)
{
    const struct kh_adapter *a = x->a;
    if (x->opt.log)
        fprintf(x->opt.log, " -> %p", p);
    const char *what = tier_names[tier];
    if (tier == TIER_OBJECT || tier == TIER_CACHE)
        check_align(x, BB_CHECK_MIN_ALIGN, p, a->min_align, what, "the declared min_align");
    check_align(x, BB_CHECK_REQ_ALIGN, p, align, what, "the requested alignment");
    if (tier == TIER_OBJECT && (a->caps & KH_CAP_NATURAL_ALIGN) && pow2(req) && req <= a->natural_align_max)
        check_align(x, BB_CHECK_NATURAL_ALIGN, p, req, what, "natural alignment of a power-of-two size");
    if (tier == TIER_PAGE || tier == TIER_EXACT)
        check_align(x, BB_CHECK_PAGE_ALIGN, p, x->page_size, what, "the page size");
    if (tier == TIER_PAGE && (a->caps & KH_CAP_PAGE_ORDER_ALIGNED))
        check_align(x, BB_CHECK_ORDER_ALIGN, p, x->page_size << order, what, "its order");
    if (x->finding)
        return false;
    if (!memory_allowed(x, p, req, what))
        return false;
    if (a->arena && !pool_of(x, (uintptr_t)p, req)) {
        uintptr_t lo = 0, hi = 0;
        a->arena(x->ctx, &lo, &hi);
        checked(x, BB_CHECK_ARENA);
        uintptr_t s = (uintptr_t)p, e = s + (req ? req : 1);
        if (s < lo || e > hi || e < s) {
            finding(x, "outside the arena",
                    "%s %p+%zu reaches %#" PRIxPTR " but the declared arena is [%#" PRIxPTR ", %#" PRIxPTR ")",
                    what, p, req, e, lo, hi);
            return false;
        }
    }
    uint32_t id;
    checked(x, BB_CHECK_OVERLAP);
    const struct shadow_block *hit = shadow_insert(&x->shadow, (uintptr_t)p, req, SHADOW_KMALLOC, &id);
    if (hit) {
        const struct bmeta *hm = meta_of(x, hit->id);
        finding(x, "overlap", "new %s %p+%zu overlaps live %s %#" PRIxPTR "+%zu", what, p, req,
                tier_names[hm->tier], hit->start, hit->size);
        return false;
    }
    if (a->nofail_size && req <= a->nofail_size && x->live_bytes + req <= a->nofail_live)
        checked(x, BB_CHECK_NOFAIL);  /* a request the no-fail promise covered, served */
    struct bmeta *m = meta_of(x, id);
    *m = (struct bmeta){ .tier = (uint8_t)tier, .order = order, .req = req, .cache = cache };
    b->p = p;
    b->id = id;
    x->live_bytes += req;
    if (tier == TIER_OBJECT && a->object.usable_size) {
        size_t us = a->object.usable_size(x->ctx, p);
        checked(x, BB_CHECK_USABLE_SIZE);
        if (us < req) {
            finding(x, "usable size too small", "usable_size(%p) = %zu, below the %zu bytes requested",
                    p, us, req);
            return false;
        }
    }
    if (zeroed) {
        checked(x, BB_CHECK_ZEROED);
        long nz = first_nonzero(p, req < ZERO_CHECK_CAP ? req : ZERO_CHECK_CAP);
        if (nz >= 0) {
            finding(x, "not zeroed", "byte %ld of %s %p+%zu is %#x after a zeroing allocation",
                    nz, what, p, req, ((const uint8_t *)p)[nz]);
            return false;
        }
    }
    fill(x, shadow_find(&x->shadow, (uintptr_t)p));
    return true;
}

/* Tier (a)'s free: the sized one when offered (it is what a kernel-style
 * caller uses, and it takes the size the harness requested). */
static void obj_free_call(struct bb *x, void *p, size_t size)
{
    if (x->a->free_sized)
        x->a->free_sized(x->ctx, p, size);
    else
        x->a->object.free(x->ctx, p);
}

/* Removes a live block from the model (after checking its content) and
 * frees it through its tier. */
static void release(struct bb *x, uintptr_t start)
{
    struct shadow_block *s = shadow_find(&x->shadow, start);
    if (!s)
        return;
    verify(x, s, "before free");
    struct bmeta m = *meta_of(x, s->id);
    x->live_bytes -= m.req;
    shadow_remove(&x->shadow, start);
    void *p = (void *)start;
    switch (m.tier) {
    case TIER_OBJECT:
        obj_free_call(x, p, m.req);
        break;
    case TIER_PAGE:
        x->a->page.free(x->ctx, p, m.order);
        break;
    case TIER_EXACT:
        x->a->page.free_size(x->ctx, p, m.req);
        break;
    case TIER_CACHE:
        x->a->cache.free(x->ctx, x->caches[m.cache].h, p);
        x->caches[m.cache].live--;
        break;
    }
}

/* ---- probes: misuse and free(NULL) run in a forked child ---- */

enum probe_result {
    PROBE_SILENT,     /* returned, no report */
    PROBE_REPORTED,   /* returned with a misuse report */
    PROBE_SIGNAL,     /* died of a signal (abort(), a fault) */
    PROBE_EXITED,     /* exit() with another status */
    PROBE_HUNG,
    PROBE_FAILED,     /* the harness could not probe */
    PROBE_UB,         /* a sanitizer error: undefined behaviour, never a detection */
    PROBE_AFTERMATH,  /* returned, then the workload after it found damage */
};

/* Child exit statuses (the sanitizers exit with 1 unless told otherwise,
 * and a death callback turns theirs into CHILD_SANITIZER). */
#define CHILD_REPORTED 3
#define CHILD_AFTERMATH 5      /* +1: it was reported first */
#define CHILD_SANITIZER 86
#define AFTERMATH_MARK "\nkh-aftermath: "

struct probe {
    enum tier tier;
    void *p;
    unsigned order;
    size_t size;              /* exact pages: the size freed; objects: the block's size */
    void *cache;
    int32_t ci;               /* cache index, -1 */
    size_t req;               /* size of the block the misuse is about */
    bool aftermath;           /* go on with the consequence workload */
};

struct probe_out {
    char how[192];
    char kind[64];            /* PROBE_AFTERMATH: the child's finding */
    char detail[1600];        /* PROBE_AFTERMATH: its detail; PROBE_UB: the sanitizer's words */
    bool reported;
};

extern void __sanitizer_set_death_callback(void (*cb)(void)) __attribute__((weak));

static void child_sanitizer_death(void) { _exit(CHILD_SANITIZER); }

static void validate(struct bb *x, const char *when);

static void probe_call(struct bb *x, const struct probe *pr)
{
    switch (pr->tier) {
    case TIER_OBJECT:
        obj_free_call(x, pr->p, pr->size);
        break;
    case TIER_PAGE:
        x->a->page.free(x->ctx, pr->p, pr->order);
        break;
    case TIER_EXACT:
        x->a->page.free_size(x->ctx, pr->p, pr->size);
        break;
    case TIER_CACHE:
        x->a->cache.free(x->ctx, pr->cache, pr->p);
        break;
    default:
        break;
    }
}

/* One fresh block like the misused one (`scale`: its size times 2^scale,
 * or orders above it), checked and tracked; 0 when the allocator refused. */
static uintptr_t aftermath_alloc(struct bb *x, const struct probe *pr, unsigned scale)
{
    const struct kh_adapter *a = x->a;
    struct bbind b = { .type = KH_VAL_PTR, .cache = -1, .owner = -1 };
    void *p = NULL;
    size_t size = pr->req;
    switch (pr->tier) {
    case TIER_OBJECT:
        if (size == 0 || scale > 20 || size > (x->opt.size_cap >> scale) ||
            (a->max_size && (size << scale) > a->max_size))
            return 0;
        size <<= scale;
        p = a->object.alloc(x->ctx, size, 0, 0);
        if (p && !track(x, &b, p, size, TIER_OBJECT, 0, false, 0, -1))
            return 0;
        break;
    case TIER_PAGE:
        if (pr->order + scale > a->page.max_order ||
            (x->page_size << (pr->order + scale)) > x->opt.size_cap)
            return 0;
        size = x->page_size << (pr->order + scale);
        p = a->page.alloc(x->ctx, pr->order + scale, 0);
        if (p && !track(x, &b, p, size, TIER_PAGE, 0, false, pr->order + scale, -1))
            return 0;
        break;
    case TIER_EXACT:
        if (scale)
            return 0;
        size = pr->size;
        p = a->page.alloc_size(x->ctx, size, 0);
        if (p && !track(x, &b, p, size, TIER_EXACT, 0, false, 0, -1))
            return 0;
        break;
    case TIER_CACHE: {
        if (scale || pr->ci < 0 || !x->caches[pr->ci].alive)
            return 0;
        struct bcache *c = &x->caches[pr->ci];
        p = a->cache.alloc(x->ctx, c->h, 0);
        if (p) {
            c->live++;
            if (!track(x, &b, p, c->size, TIER_CACHE, c->align, false, 0, pr->ci))
                return 0;
        }
        break;
    }
    default:
        break;
    }
    return (uintptr_t)p;
}

/* In the child, after the misuse returned: every live block must have
 * survived it, and a short fixed workload around the misused block's size
 * (allocate, write, verify everything, free) must find no overlap and no
 * damage. Returns true with the finding in *f. */
static bool aftermath(struct bb *x, const struct probe *pr, struct bb_finding *f)
{
    static const unsigned scales[] = { 0, 0, 0, 1, 0, 2, 1, 0 };
    uintptr_t fresh[sizeof(scales) / sizeof(scales[0])];
    size_t n = 0;
    memset(f, 0, sizeof(*f));
    x->f = f;
    x->finding = false;
    x->opt.log = NULL;
    verify_all(x, true);
    for (size_t i = 0; i < sizeof(scales) / sizeof(scales[0]) && !x->finding; i++) {
        uintptr_t p = aftermath_alloc(x, pr, scales[i]);
        if (p)
            fresh[n++] = p;
    }
    if (!x->finding)
        verify_all(x, true);
    while (n && !x->finding)
        release(x, fresh[--n]);
    if (!x->finding)
        verify_all(x, true);
    validate(x, "after the misuse and a short workload");
    return x->finding;
}

/* The sanitizer's one-line verdict in a child's stderr, into out. */
static void sanitizer_words(const char *text, char *out, size_t cap)
{
    static const char *const marks[] = { "runtime error:", "ERROR: AddressSanitizer", "ERROR: ",
                                         "SUMMARY: " };
    for (size_t k = 0; k < sizeof(marks) / sizeof(marks[0]); k++) {
        const char *m = strstr(text, marks[k]);
        if (!m)
            continue;
        const char *line = m;
        while (line > text && line[-1] != '\n')
            line--;
        size_t len = strcspn(line, "\n");
        snprintf(out, cap, "%.*s", (int)(len < 600 ? len : 600), line);
        return;
    }
    snprintf(out, cap, "(no sanitizer message captured)");
}

/* Runs the call in a forked child and describes what happened there. */
static enum probe_result probe(struct bb *x, const struct probe *pr, struct probe_out *o)
{
    memset(o, 0, sizeof(*o));
    x->st.probes++;
    uint64_t before = x->a->misuse_reports ? x->a->misuse_reports(x->ctx) : 0;
    if (x->errfd >= 0) {
        (void)!ftruncate(x->errfd, 0);
        lseek(x->errfd, 0, SEEK_SET);
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(o->how, sizeof(o->how), "could not fork: %s", strerror(errno));
        return PROBE_FAILED;
    }
    if (pid == 0) {
        /* The child must die of what the allocator does, not of the
         * parent's crash handlers (libFuzzer's would save a crash input);
         * its stderr is kept for the sanitizer's words. */
        probe_child = true;
        static const int sigs[] = { SIGABRT, SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP, SIGALRM };
        for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
            signal(sigs[i], SIG_DFL);
        int fd = x->errfd >= 0 ? x->errfd : open("/dev/null", O_WRONLY);
        if (fd >= 0)
            dup2(fd, STDERR_FILENO);
        if (__sanitizer_set_death_callback)
            __sanitizer_set_death_callback(child_sanitizer_death);
        alarm(PROBE_TIMEOUT_S);
        probe_call(x, pr);
        uint64_t after = x->a->misuse_reports ? x->a->misuse_reports(x->ctx) : 0;
        bool reported = after > before;
        struct bb_finding f;
        if (pr->aftermath && aftermath(x, pr, &f)) {
            fprintf(stderr, AFTERMATH_MARK "%s\t%s\n", f.kind, f.detail);
            fflush(stderr);
            _exit(CHILD_AFTERMATH + reported);
        }
        _exit(reported ? CHILD_REPORTED : 0);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            snprintf(o->how, sizeof(o->how), "lost the child: %s", strerror(errno));
            return PROBE_FAILED;
        }
    }
    char text[8192] = "";
    if (x->errfd >= 0) {
        ssize_t got = pread(x->errfd, text, sizeof(text) - 1, 0);
        text[got > 0 ? got : 0] = 0;
    }
    if (WIFSIGNALED(status)) {
        int sig = WTERMSIG(status);
        if (sig == SIGALRM) {
            snprintf(o->how, sizeof(o->how), "hung (no return within %u s)", PROBE_TIMEOUT_S);
            return PROBE_HUNG;
        }
        snprintf(o->how, sizeof(o->how), "was killed by signal %d (%s)", sig, strsignal(sig));
        return PROBE_SIGNAL;
    }
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    if (code == CHILD_SANITIZER) {
        sanitizer_words(text, o->detail, sizeof(o->detail));
        snprintf(o->how, sizeof(o->how), "hit a sanitizer error");
        return PROBE_UB;
    }
    if (code == CHILD_AFTERMATH || code == CHILD_AFTERMATH + 1) {
        o->reported = code == CHILD_AFTERMATH + 1;
        const char *m = strstr(text, AFTERMATH_MARK);
        m = m ? m + strlen(AFTERMATH_MARK) : "?\t(the child's words were lost)";
        size_t k = strcspn(m, "\t");
        snprintf(o->kind, sizeof(o->kind), "%.*s", (int)k, m);
        snprintf(o->detail, sizeof(o->detail), "%s", m[k] ? m + k + 1 : "");
        o->detail[strcspn(o->detail, "\n")] = 0;
        snprintf(o->how, sizeof(o->how), "%s, then the workload after it found: %s",
                 o->reported ? "raised a misuse report" : "returned without a report", o->kind);
        return PROBE_AFTERMATH;
    }
    if (code == CHILD_REPORTED) {
        o->reported = true;
        snprintf(o->how, sizeof(o->how), "raised a misuse report");
        return PROBE_REPORTED;
    }
    if (code == 0) {
        snprintf(o->how, sizeof(o->how), "returned without a report");
        return PROBE_SILENT;
    }
    /* The allocator's exit(). */
    snprintf(o->how, sizeof(o->how), "exited with status %d", code);
    return PROBE_EXITED;
}

static const char *relaxed_note(void)
{
    const char *r = kh_adapter_sanitizer_relaxed;  /* NULL when no one defines it */
    return r && *r ? r : NULL;
}

static void ub_finding(struct bb *x, const char *during, const struct probe *pr,
                       const struct probe_out *o)
{
    const char *rel = relaxed_note();
    char kind[64];
    snprintf(kind, sizeof(kind), "UB in the allocator during %s", during);
    finding(x, kind, "the %s of %s %p, run in a child process, hit a sanitizer error inside the "
            "allocator (undefined behaviour, not a detection of the misuse): %s%s%s", during,
            tier_names[pr->tier], pr->p, o->detail, rel ? "; sanitizer checks relaxed for this "
            "adapter: " : "", rel ? rel : "");
}

/* A free of NULL through `tier`: allowed only when declared, and proved
 * harmless in a child the first time before the parent does it. */
static void free_null(struct bb *x, enum tier tier, unsigned order)
{
    if (!(x->a->caps & KH_CAP_FREE_NULL)) {
        skip(x, BB_SKIP_FREE_NULL);
        return;
    }
    checked(x, BB_CHECK_FREE_NULL);
    struct probe pr = { .tier = tier, .order = order, .ci = -1 };
    if (!x->free_null[tier]) {
        struct probe_out o;
        enum probe_result r = probe(x, &pr, &o);
        x->free_null[tier] = r == PROBE_SILENT || r == PROBE_REPORTED ? 1 : -1;
        if (r == PROBE_UB) {
            ub_finding(x, "free(NULL)", &pr, &o);
            return;
        }
        if (x->free_null[tier] < 0) {
            finding(x, "free(NULL) crashed",
                    "the %s free of NULL, run in a child process, %s, but the adapter declares "
                    "KH_CAP_FREE_NULL (free(NULL) does nothing)", tier_names[tier], o.how);
            return;
        }
        if (r == PROBE_REPORTED) {
            finding(x, "false misuse report", "the %s free of NULL was reported as misuse, but the "
                    "adapter declares KH_CAP_FREE_NULL", tier_names[tier]);
            return;
        }
    }
    if (x->free_null[tier] > 0)
        probe_call(x, &pr);
}

/* A misuse free the trace asks for: double free (the block at `b` was freed
 * and nothing live covers its address now) or interior-pointer free (`addr`
 * inside the live block of `b`). Probed when the policy and the adapter's
 * declarations allow, else skipped. */
static void misuse_free(struct bb *x, struct bbind *b, void *addr, enum tier tier, unsigned order,
                        size_t size, void *cache)
{
    const struct kh_adapter *a = x->a;
    const struct shadow_block *cont = shadow_containing(&x->shadow, (uintptr_t)addr);
    bool dbl = b && b->type == KH_VAL_PTR && b->p && !b->token && addr == b->p && !block_live(x, b) &&
               !cont;
    /* Inside a live block but not at its start: an interior pointer of that
     * block, whether the trace derived it from that block or it is a stale
     * pointer into memory handed out again (a freed block's address inside
     * the parent it merged into, reallocated). */
    bool interior = cont && cont->start != (uintptr_t)addr && (tier == TIER_OBJECT || tier == TIER_CACHE);
    const struct bmeta *m = dbl ? meta_of(x, b->id) : interior ? meta_of(x, cont->id) : NULL;
    if (dbl) {
        /* Only through the function that allocated it, with the same order / cache. */
        dbl = m->tier == tier && (tier != TIER_PAGE || m->order == order) &&
              (tier != TIER_EXACT || m->req == size) &&
              (tier != TIER_CACHE || (m->cache >= 0 && x->caches[m->cache].h == cache &&
                                      x->caches[m->cache].alive));
    }
    if (interior)
        interior = m->tier == tier &&
                   (tier != TIER_CACHE || (m->cache >= 0 && x->caches[m->cache].h == cache));
    if (x->opt.misuse != BB_MISUSE_PROBE || (!dbl && !interior)) {
        skip(x, BB_SKIP_MISUSE);
        return;
    }
    if (a->caps & KH_CAP_MISUSE_UNDEFINED) {
        skip(x, BB_SKIP_MISUSE_UNDEFINED);
        return;
    }
    enum bb_check c = dbl ? BB_CHECK_DOUBLE_FREE : BB_CHECK_INVALID_FREE;
    bool ignored = (a->caps & KH_CAP_MISUSE_IGNORED) != 0;
    bool declared = ignored || !bb_check_unavailable(a, c);
    struct probe pr = { .tier = tier, .p = addr, .order = order,
                        .size = tier == TIER_OBJECT ? m->req : size, .cache = cache,
                        .ci = m->cache, .req = m->req, .aftermath = declared };
    struct probe_out o;
    const char *what = dbl ? "double free" : "interior-pointer free";
    if (!declared) {
        /* Not promised, so not judged; what happens is still worth knowing. */
        enum probe_result r = probe(x, &pr, &o);
        x->st.undeclared_probes[!dbl]++;
        x->st.undeclared_detected[!dbl] += r == PROBE_REPORTED || r == PROBE_SIGNAL || r == PROBE_EXITED;
        x->st.undeclared_ub[!dbl] += r == PROBE_UB;
        if (x->opt.log)
            fprintf(x->opt.log, " -> probed (not declared): the child %s", o.how);
        skip(x, BB_SKIP_UNDECLARED_MISUSE);
        return;
    }
    checked(x, ignored ? BB_CHECK_MISUSE_IGNORED : c);
    checked(x, BB_CHECK_NO_UB_IN_PROBE);
    enum probe_result r = probe(x, &pr, &o);
    if (x->opt.log)
        fprintf(x->opt.log, " -> probed: the child %s", o.how);
    if (r == PROBE_UB) {
        ub_finding(x, what, &pr, &o);
        return;
    }
    if (r == PROBE_AFTERMATH) {
        checked(x, BB_CHECK_AFTER_MISUSE);
        char kind[64];
        snprintf(kind, sizeof(kind), "%s after a %s", o.kind, what);
        finding(x, kind, "the %s of %s %p+%zu, run in a child process, %s; the child then went "
                "on with a short workload over the same live blocks (allocate, write, verify, "
                "free), which found: %s. The adapter declares %s", what, tier_names[tier], addr,
                m->req, o.reported ? "was reported" : "returned silently", o.detail,
                ignored ? "KH_CAP_MISUSE_IGNORED (nothing may change)"
                        : "that such misuse is detected");
        return;
    }
    if (r == PROBE_SILENT || r == PROBE_REPORTED)
        checked(x, BB_CHECK_AFTER_MISUSE);
    if (ignored) {
        if (r == PROBE_SILENT || r == PROBE_REPORTED) {
            x->st.probes_detected += r == PROBE_REPORTED;
            return;
        }
        finding(x, r == PROBE_HUNG ? "misuse hangs" : "misuse crashed",
                "%s of %s %p: the child %s, but the adapter declares KH_CAP_MISUSE_IGNORED "
                "(such frees are ignored harmlessly)", what, tier_names[tier], addr, o.how);
        return;
    }
    /* Dying of it counts as detection (glibc aborts on what it notices). */
    if (r == PROBE_REPORTED || r == PROBE_SIGNAL || r == PROBE_EXITED) {
        x->st.probes_detected++;
        return;
    }
    if (r == PROBE_SILENT)
        finding(x, dbl ? "double free accepted silently" : "invalid free accepted silently",
                "%s of %s %p: the child %s (no misuse report, no abort), but "
                "the adapter declares %s", what, tier_names[tier], addr, o.how,
                dbl ? "KH_CAP_DETECTS_DOUBLE_FREE" : "KH_CAP_DETECTS_INVALID_FREE");
    else
        finding(x, r == PROBE_HUNG ? "misuse hangs" : "probe failed", "%s of %s %p: the child %s",
                what, tier_names[tier], addr, o.how);
}

/* ---- arena operations: pools added, removed, resized ----
 *
 * The trace language has no arena operations, and the black-box tier no
 * mempools, so the mempool lines name pools of memory here:
 *   P = mempool_create_kmalloc_pool N SIZE   add a pool of N * SIZE bytes
 *   P = mempool_create_page_pool N ORDER     add a pool of N pages << ORDER
 *   mempool_resize P N                       resize it to N of its units
 *   mempool_destroy P                        remove it
 * Sizes are clamped to [4 KiB, 4 MiB] in whole 4 KiB pages. An adapter
 * without pool.add but with pool.resize has one arena: P names it, and the
 * resize applies to it. The harness maps each added pool with room to grow
 * four times; what the allocator was not given (the tail, a removed pool)
 * is PROT_NONE, and no block may lie there. */

#define POOL_PAGE 4096u
#define POOL_MAX ((size_t)4 << 20)
#define POOL_RESERVE 4u

static size_t pool_bytes(uint64_t n, uint64_t unit, size_t cap)
{
    uint64_t b;
    if (__builtin_mul_overflow(n, unit, &b) || b > cap)
        b = cap;
    if (b < POOL_PAGE)
        b = POOL_PAGE;
    return (size_t)((b + POOL_PAGE - 1) & ~(uint64_t)(POOL_PAGE - 1));
}

static bool has_pools(const struct kh_adapter *a) { return a->pool.add || a->pool.resize; }

static void pool_create(struct bb *x, uint64_t n, uint64_t unit)
{
    const struct kh_adapter *a = x->a;
    if (!has_pools(a)) {
        skip(x, BB_SKIP_NO_POOLS);
        return;
    }
    if (x->npools == x->pools_cap) {
        size_t cap = x->pools_cap ? x->pools_cap * 2 : 8;
        struct bpool *v = realloc(x->pools, cap * sizeof(*v));
        if (!v)
            abort();
        x->pools = v;
        x->pools_cap = cap;
    }
    struct bpool pl = { .unit = unit ? unit : 1, .alive = true };
    x->st.ops_run++;
    if (a->pool.add) {
        pl.bytes = pool_bytes(n, unit, POOL_MAX);
        pl.reserve = pl.bytes * POOL_RESERVE;
        void *m = mmap(NULL, pl.reserve, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (m == MAP_FAILED || mprotect(m, pl.bytes, PROT_READ | PROT_WRITE) != 0)
            abort();  /* the harness's own resources */
        pl.mem = m;
        pl.h = a->pool.add(x->ctx, m, pl.bytes);
        if (x->opt.log)
            fprintf(x->opt.log, pl.h ? " -> pool %p+%zu" : " -> refused", m, pl.bytes);
        if (!pl.h) {
            munmap(m, pl.reserve);
            result(x);
            return;  /* refusing memory is the allocator's right */
        }
        checked(x, BB_CHECK_ARENA_OPS);
    } else {
        pl.main = true;  /* the allocator's own arena, resized by mempool_resize */
    }
    x->pools[x->npools] = pl;
    result(x)->pool = (int32_t)x->npools++;
}

static struct bpool *live_pool(struct bb *x, int32_t var)
{
    struct bbind *b = binding(x, var);
    if (!b || b->type != KH_VAL_POOL || b->pool < 0)
        return NULL;
    struct bpool *pl = &x->pools[b->pool];
    return pl->alive ? pl : NULL;
}

/* A live block in [lo, hi), or NULL. */
static const struct shadow_block *live_in(struct bb *x, uintptr_t lo, uintptr_t hi)
{
    for (size_t i = 0; i < x->shadow.n; i++) {
        const struct shadow_block *s = &x->shadow.v[i];
        if (s->start < hi && s->start + (s->size ? s->size : 1) > lo)
            return s;
    }
    return NULL;
}

/* After an arena operation: every live block intact and inside the arena. */
static void after_arena_op(struct bb *x, const char *what)
{
    checked(x, BB_CHECK_ARENA_OPS);
    if (x->a->arena) {
        uintptr_t lo = 0, hi = 0;
        x->a->arena(x->ctx, &lo, &hi);
        for (size_t i = 0; i < x->shadow.n && !x->finding; i++) {
            const struct shadow_block *s = &x->shadow.v[i];
            if ((s->start < lo || s->start + s->size > hi) && !pool_of(x, s->start, s->size))
                finding(x, "arena operation cut a live block", "after %s, live %s %#" PRIxPTR
                        "+%zu lies outside the declared arena [%#" PRIxPTR ", %#" PRIxPTR ")", what,
                        tier_names[meta_of(x, s->id)->tier], s->start, s->size, lo, hi);
        }
    }
    for (size_t i = 0; i < x->shadow.n && !x->finding; i++)
        verify_part(x, &x->shadow.v[i], what, true);
    validate(x, what);
}

static void pool_resize(struct bb *x, const struct kh_op *op)
{
    const struct kh_adapter *a = x->a;
    if (!a->pool.resize) {
        skip(x, has_pools(a) ? BB_SKIP_NO_RESIZE : BB_SKIP_NO_POOLS);
        return;
    }
    struct bpool *pl = live_pool(x, op->args[0].var);
    if (!pl) {
        skip(x, BB_SKIP_DEAD_OPERAND);
        return;
    }
    size_t bytes = pool_bytes(op->args[1].u, pl->unit, pl->main ? (size_t)64 << 20 : pl->reserve);
    x->st.ops_run++;
    if (!pl->main && bytes > pl->bytes &&
        mprotect(pl->mem + pl->bytes, bytes - pl->bytes, PROT_READ | PROT_WRITE) != 0)
        abort();
    int r = a->pool.resize(x->ctx, pl->main ? NULL : pl->h, bytes);
    if (x->opt.log)
        fprintf(x->opt.log, r ? " -> refused" : " -> %zu bytes", bytes);
    if (r) {
        if (!pl->main && bytes > pl->bytes)
            mprotect(pl->mem + pl->bytes, bytes - pl->bytes, PROT_NONE);
        return;  /* refused: nothing changed */
    }
    char what[96];
    snprintf(what, sizeof(what), "resizing %s to %zu bytes", pl->main ? "the arena" : "a pool", bytes);
    if (pl->main) {
        x->resized_main = true;
    } else if (bytes < pl->bytes) {
        const struct shadow_block *s = live_in(x, (uintptr_t)pl->mem + bytes, (uintptr_t)pl->mem + pl->bytes);
        if (s) {
            finding(x, "arena operation cut a live block", "%s %p+%zu down to %zu bytes succeeded, "
                    "but live %s %#" PRIxPTR "+%zu lies in the part given back", "shrinking pool",
                    (void *)pl->mem, pl->bytes, bytes, tier_names[meta_of(x, s->id)->tier], s->start,
                    s->size);
            return;
        }
        mprotect(pl->mem + bytes, pl->bytes - bytes, PROT_NONE);
    }
    if (!pl->main)
        pl->bytes = bytes;
    after_arena_op(x, what);
}

/* Takes an added pool back; false when the allocator refused. */
static bool pool_take_back(struct bb *x, struct bpool *pl, const char *when)
{
    int r = x->a->pool.remove(x->ctx, pl->h);
    if (r)
        return false;
    pl->alive = false;
    const struct shadow_block *s = live_in(x, (uintptr_t)pl->mem, (uintptr_t)pl->mem + pl->reserve);
    if (s) {
        finding(x, "arena operation cut a live block", "%s: removing pool %p+%zu succeeded, but "
                "live %s %#" PRIxPTR "+%zu lies in it", when, (void *)pl->mem, pl->bytes,
                tier_names[meta_of(x, s->id)->tier], s->start, s->size);
        return true;
    }
    mprotect(pl->mem, pl->reserve, PROT_NONE);
    return true;
}

static void pool_remove(struct bb *x, const struct kh_op *op)
{
    const struct kh_adapter *a = x->a;
    if (op->args[0].var < 0) {
        skip(x, BB_SKIP_KERNEL_ONLY);  /* mempool_destroy(NULL) */
        return;
    }
    if (!a->pool.remove) {
        skip(x, has_pools(a) ? BB_SKIP_NO_REMOVE : BB_SKIP_NO_POOLS);
        return;
    }
    struct bpool *pl = live_pool(x, op->args[0].var);
    if (!pl || pl->main) {
        skip(x, pl ? BB_SKIP_NO_REMOVE : BB_SKIP_DEAD_OPERAND);  /* the arena itself stays */
        return;
    }
    x->st.ops_run++;
    bool done = pool_take_back(x, pl, "mempool_destroy");
    if (x->opt.log)
        fprintf(x->opt.log, done ? " -> removed" : " -> refused");
    if (done && !x->finding)
        after_arena_op(x, "removing a pool");
}

/* Teardown: every pool still added goes back (they are empty now), and the
 * harness's mappings go. */
static void pools_teardown(struct bb *x)
{
    for (size_t i = 0; i < x->npools; i++) {
        struct bpool *pl = &x->pools[i];
        if (pl->alive && !pl->main && !x->finding && x->a->pool.remove &&
            !pool_take_back(x, pl, "teardown"))
            finding(x, "empty pool not removable", "after the harness freed everything, removing "
                    "pool %p+%zu was refused", (void *)pl->mem, pl->bytes);
    }
}

static void pools_unmap(struct bb *x)
{
    for (size_t i = 0; i < x->npools; i++)
        if (x->pools[i].mem)
            munmap(x->pools[i].mem, x->pools[i].reserve);
    x->npools = 0;
}

/* ---- tier (a): objects ---- */

static unsigned flags_of(gfp_t gfp, bool zero)
{
    unsigned f = 0;
    if (zero || (gfp & __GFP_ZERO))
        f |= KH_AF_ZERO;
    if (!(gfp & __GFP_DIRECT_RECLAIM))
        f |= KH_AF_ATOMIC;
    return f;
}

/* Allocates `size` bytes with `align` (0: default) through tier (a). */
static void obj_alloc(struct bb *x, size_t size, size_t align, unsigned flags, const char *what)
{
    const struct kh_adapter *a = x->a;
    if (!x->obj) {
        skip(x, BB_SKIP_NO_OBJECT_TIER);
        return;
    }
    if (align > 1 && !pow2(align)) {
        skip(x, BB_SKIP_BAD_ARGUMENT);
        return;
    }
    /* What min_align already guarantees needs no aligned allocation. */
    size_t pass_align = align > 1 && align > a->min_align ? align : 0;
    if (pass_align && (a->caps & KH_CAP_NO_ALIGN)) {
        skip(x, BB_SKIP_NO_ALIGN);
        return;
    }
    if (pass_align && (!(a->caps & KH_CAP_ALIGNED) || align > a->max_align)) {
        skip(x, BB_SKIP_NO_ALIGNED);
        return;
    }
    bool over = a->max_size && size > a->max_size;
    if (size > x->opt.size_cap && !over) {
        skip(x, BB_SKIP_SIZE_CAP);
        return;
    }
    bool zero = (flags & KH_AF_ZERO) != 0;
    unsigned pass = zero && !(a->caps & KH_CAP_ZERO) ? flags & ~KH_AF_ZERO : flags;
    x->st.ops_run++;
    void *p = a->object.alloc(x->ctx, size, pass_align, pass);
    struct bbind *b = result(x);
    if (!p && size == 0) {
        /* malloc(0) may return NULL; an adapter with a zero-size token may not. */
        checked(x, BB_CHECK_ZERO_SIZE);
        if (a->zero_size_ptr)
            finding(x, "wrong zero-size result", "%s of 0 bytes returned NULL; the adapter declares "
                    "zero_size_ptr %p", what, a->zero_size_ptr);
        return;
    }
    if (!p) {
        judge_null(x, what, size, over);
        return;
    }
    if (over) {
        checked(x, BB_CHECK_MAX_SIZE);
        finding(x, "oversize request accepted", "%s of %zu bytes returned %p; the adapter declares "
                "max_size %zu, so it must return NULL", what, size, p, a->max_size);
        return;
    }
    if (size == 0) {
        checked(x, BB_CHECK_ZERO_SIZE);
        if (a->zero_size_ptr) {
            if (p != a->zero_size_ptr)
                finding(x, "wrong zero-size result", "%s of 0 bytes returned %p; the adapter declares "
                        "zero_size_ptr %p", what, p, a->zero_size_ptr);
            b->p = p;
            b->token = true;
            if (x->opt.log)
                fprintf(x->opt.log, " -> zero_size_ptr");
            return;
        }
    }
    if (zero && pass != flags)
        memset(p, 0, size);  /* the adapter cannot zero: the harness does, unchecked */
    track(x, b, p, size, TIER_OBJECT, align > 1 ? align : 0, zero && pass == flags, 0, -1);
}

static void obj_free(struct bb *x, const struct kh_operand *o)
{
    if (!x->obj) {
        skip(x, BB_SKIP_NO_OBJECT_TIER);
        return;
    }
    void *p;
    struct bbind *b = resolve_ptr(x, o, &p);
    if (o->ptr_kind == KH_PTR_NULL) {
        free_null(x, TIER_OBJECT, 0);
        return;
    }
    if (o->ptr_kind == KH_PTR_ZERO_SIZE || (b && b->token && o->offset == 0)) {
        if (!x->a->zero_size_ptr) {
            skip(x, BB_SKIP_KERNEL_ONLY);
            return;
        }
        x->st.ops_run++;
        obj_free_call(x, (void *)x->a->zero_size_ptr, 0);
        return;
    }
    if (dead(o, b)) {
        skip(x, BB_SKIP_DEAD_OPERAND);  /* the allocation had failed: the pointer is NULL */
        return;
    }
    if (!block_live(x, b) || o->offset != 0 || meta_of(x, b->id)->tier != TIER_OBJECT) {
        misuse_free(x, b, p, TIER_OBJECT, 0, 0, NULL);
        return;
    }
    x->st.ops_run++;
    release(x, (uintptr_t)p);
}

static void obj_realloc(struct bb *x, const struct kh_operand *o, size_t size, unsigned flags)
{
    const struct kh_adapter *a = x->a;
    if (!x->obj) {
        skip(x, BB_SKIP_NO_OBJECT_TIER);
        return;
    }
    void *old;
    struct bbind *ob = resolve_ptr(x, o, &old);
    /* krealloc(NULL or ZERO_SIZE_PTR, n) is an allocation; so is realloc
     * of a variable whose allocation failed (it holds NULL). */
    bool from_nothing = o->ptr_kind == KH_PTR_NULL || o->ptr_kind == KH_PTR_ZERO_SIZE ||
                        (ob && ob->type == KH_VAL_PTR && (ob->token || !ob->p) && o->offset == 0);
    if (from_nothing && !(a->object.realloc && (a->caps & KH_CAP_REALLOC_NULL) &&
                          o->ptr_kind == KH_PTR_NULL)) {
        obj_alloc(x, size, 0, flags & ~KH_AF_ZERO, "realloc of nothing");
        return;
    }
    if (!a->object.realloc) {
        skip(x, BB_SKIP_NO_REALLOC);
        return;
    }
    if (!from_nothing) {
        if (dead(o, ob)) {
            skip(x, BB_SKIP_DEAD_OPERAND);
            return;
        }
        if (!block_live(x, ob) || o->offset != 0 || meta_of(x, ob->id)->tier != TIER_OBJECT) {
            skip(x, BB_SKIP_MISUSE);
            return;
        }
    }
    if (size == 0) {
        skip(x, BB_SKIP_REALLOC_ZERO);
        return;
    }
    bool over = a->max_size && size > a->max_size;
    if (size > x->opt.size_cap && !over) {
        skip(x, BB_SKIP_SIZE_CAP);
        return;
    }
    struct shadow_block *os = from_nothing ? NULL : shadow_find(&x->shadow, (uintptr_t)old);
    uint32_t old_id = os ? os->id : 0;
    size_t old_req = os ? os->size : 0;
    /* Intact before the call, so a difference after it is realloc's doing. */
    if (os && !verify(x, os, "before realloc"))
        return;
    x->st.ops_run++;
    void *p = a->object.realloc(x->ctx, from_nothing ? NULL : old, size, flags & KH_AF_ATOMIC);
    struct bbind *rb = result(x);
    if (!p) {
        judge_null(x, "realloc", size, over);
        if (os) {
            /* The old block must still be there, unchanged. */
            checked(x, BB_CHECK_REALLOC_FAIL_KEEPS);
            verify(x, shadow_find(&x->shadow, (uintptr_t)old), "old block after a failed realloc");
        }
        return;
    }
    if (over) {
        checked(x, BB_CHECK_MAX_SIZE);
        finding(x, "oversize request accepted", "realloc to %zu bytes returned %p; the adapter "
                "declares max_size %zu", size, p, a->max_size);
        return;
    }
    if (os) {
        checked(x, BB_CHECK_REALLOC_PREFIX);
        const struct bmeta om = *meta_of(x, old_id);
        size_t keep = pattern_len(old_req < size ? old_req : size);
        const uint8_t *np = p;
        for (size_t i = 0; i < keep; i++) {
            uint8_t want = expected_byte(&om, old_id, i);
            if (np[i] != want) {
                finding(x, "realloc lost data",
                        "byte %zu of the %zu-byte prefix is %#x, expected %#x, after realloc(%p, %zu) "
                        "-> %p (old block %zu bytes)", i, keep, np[i], want, old, size, p, old_req);
                return;
            }
        }
        x->live_bytes -= old_req;
        shadow_remove(&x->shadow, (uintptr_t)old);
    }
    track(x, rb, p, size, TIER_OBJECT, 0, false, 0, -1);
}

static void obj_usable_size(struct bb *x, const struct kh_operand *o)
{
    if (!x->obj || !x->a->object.usable_size) {
        skip(x, x->obj ? BB_SKIP_NO_USABLE_SIZE : BB_SKIP_NO_OBJECT_TIER);
        return;
    }
    void *p;
    struct bbind *b = resolve_ptr(x, o, &p);
    if (!block_live(x, b) || o->offset != 0 || meta_of(x, b->id)->tier != TIER_OBJECT) {
        skip(x, o->ptr_kind == KH_PTR_NULL || o->ptr_kind == KH_PTR_ZERO_SIZE || (b && b->token)
                    ? BB_SKIP_KERNEL_ONLY : dead(o, b) ? BB_SKIP_DEAD_OPERAND : BB_SKIP_MISUSE);
        return;
    }
    x->st.ops_run++;
    size_t us = x->a->object.usable_size(x->ctx, p);
    checked(x, BB_CHECK_USABLE_SIZE);
    size_t req = meta_of(x, b->id)->req;
    if (x->opt.log)
        fprintf(x->opt.log, " -> %zu", us);
    if (us < req)
        finding(x, "usable size too small", "usable_size(%p) = %zu, below the %zu bytes requested",
                p, us, req);
}

/* ---- tier (b): page blocks ---- */

static void page_alloc(struct bb *x, uint64_t order, unsigned flags)
{
    const struct kh_adapter *a = x->a;
    if (!x->page) {
        skip(x, BB_SKIP_NO_PAGE_TIER);
        return;
    }
    if (order > 63 - a->page.page_shift) {
        skip(x, BB_SKIP_BAD_ARGUMENT);
        return;
    }
    bool over = order > a->page.max_order;
    size_t bytes = x->page_size << order;
    if (bytes > x->opt.size_cap && !over) {
        skip(x, BB_SKIP_SIZE_CAP);
        return;
    }
    x->st.ops_run++;
    void *p = a->page.alloc(x->ctx, (unsigned)order, flags & ((a->caps & KH_CAP_ZERO) ? ~0u : ~KH_AF_ZERO));
    struct bbind *b = result(x);
    if (!p) {
        judge_null(x, "page alloc", bytes, over);
        return;
    }
    if (over) {
        checked(x, BB_CHECK_MAX_SIZE);
        finding(x, "oversize request accepted", "page alloc of order %" PRIu64 " returned %p; the "
                "adapter declares page.max_order %u", order, p, a->page.max_order);
        return;
    }
    bool zero = (flags & KH_AF_ZERO) != 0;
    if (zero && !(a->caps & KH_CAP_ZERO))
        memset(p, 0, bytes);
    track(x, b, p, bytes, TIER_PAGE, 0, zero && (a->caps & KH_CAP_ZERO), (unsigned)order, -1);
}

static void page_free(struct bb *x, const struct kh_operand *o, uint64_t order)
{
    if (!x->page) {
        skip(x, BB_SKIP_NO_PAGE_TIER);
        return;
    }
    void *p;
    struct bbind *b = resolve_ptr(x, o, &p);
    if (o->ptr_kind == KH_PTR_NULL) {
        if (order > x->a->page.max_order)
            skip(x, BB_SKIP_BAD_ARGUMENT);
        else
            free_null(x, TIER_PAGE, (unsigned)order);
        return;
    }
    if (dead(o, b)) {
        skip(x, BB_SKIP_DEAD_OPERAND);
        return;
    }
    if (!block_live(x, b) || o->offset != 0 || meta_of(x, b->id)->tier != TIER_PAGE ||
        meta_of(x, b->id)->order != order) {
        if (o->ptr_kind == KH_PTR_ZERO_SIZE || order > 63)
            skip(x, BB_SKIP_MISUSE);
        else
            misuse_free(x, b, p, TIER_PAGE, (unsigned)order, 0, NULL);
        return;
    }
    x->st.ops_run++;
    release(x, (uintptr_t)p);
}

static void exact_alloc(struct bb *x, size_t size, unsigned flags)
{
    const struct kh_adapter *a = x->a;
    if (!x->exact) {
        skip(x, BB_SKIP_NO_EXACT);
        return;
    }
    if (size == 0) {
        skip(x, BB_SKIP_BAD_ARGUMENT);
        return;
    }
    /* The largest exact request served is a max_order block's worth. */
    bool over = size > (x->page_size << a->page.max_order);
    if (size > x->opt.size_cap && !over) {
        skip(x, BB_SKIP_SIZE_CAP);
        return;
    }
    x->st.ops_run++;
    void *p = a->page.alloc_size(x->ctx, size, flags & ((a->caps & KH_CAP_ZERO) ? ~0u : ~KH_AF_ZERO));
    struct bbind *b = result(x);
    if (!p) {
        judge_null(x, "exact pages alloc", size, over);
        return;
    }
    if (over) {
        checked(x, BB_CHECK_MAX_SIZE);
        finding(x, "oversize request accepted", "exact page alloc of %zu bytes returned %p; above "
                "page.max_order %u", size, p, a->page.max_order);
        return;
    }
    bool zero = (flags & KH_AF_ZERO) != 0;
    if (zero && !(a->caps & KH_CAP_ZERO))
        memset(p, 0, size);
    track(x, b, p, size, TIER_EXACT, 0, zero && (a->caps & KH_CAP_ZERO), 0, -1);
}

static void exact_free(struct bb *x, const struct kh_operand *o, uint64_t size)
{
    if (!x->exact) {
        skip(x, BB_SKIP_NO_EXACT);
        return;
    }
    void *p;
    struct bbind *b = resolve_ptr(x, o, &p);
    if (dead(o, b)) {
        skip(x, BB_SKIP_DEAD_OPERAND);
        return;
    }
    if (!block_live(x, b) || o->offset != 0 || meta_of(x, b->id)->tier != TIER_EXACT ||
        meta_of(x, b->id)->req != size) {
        if (o->ptr_kind == KH_PTR_NULL || o->ptr_kind == KH_PTR_ZERO_SIZE)
            skip(x, BB_SKIP_MISUSE);  /* free_pages_exact(NULL) is not a kernel no-op */
        else
            misuse_free(x, b, p, TIER_EXACT, 0, size, NULL);
        return;
    }
    x->st.ops_run++;
    release(x, (uintptr_t)p);
}

/* ---- tier (c): caches ---- */

static struct bcache *live_cache(struct bb *x, int32_t var)
{
    struct bbind *c = binding(x, var);
    if (!c || c->type != KH_VAL_CACHE || c->cache < 0)
        return NULL;
    struct bcache *bc = &x->caches[c->cache];
    return bc->alive ? bc : NULL;
}

static void cache_create(struct bb *x, const struct kh_op *op)
{
    if (!x->cache) {
        skip(x, BB_SKIP_NO_CACHE_TIER);
        return;
    }
    uint64_t size = op->args[1].u, align = op->args[2].u;
    if (size == 0 || (align && !pow2(align))) {
        skip(x, BB_SKIP_BAD_ARGUMENT);
        return;
    }
    if (size > x->opt.size_cap) {
        skip(x, BB_SKIP_SIZE_CAP);
        return;
    }
    if ((x->a->caps & KH_CAP_NO_ALIGN) && align > 1 && align > x->a->min_align) {
        skip(x, BB_SKIP_NO_ALIGN);
        return;
    }
    x->st.ops_run++;
    void *h = x->a->cache.create(x->ctx, kh_trace_str(x->t, op->args[0].u), size, align);
    struct bbind *b = result(x);
    if (x->opt.log)
        fprintf(x->opt.log, h ? " -> %p" : " -> NULL", h);
    if (!h)
        return;  /* refusing a cache is the allocator's right: nothing to judge */
    if (x->ncaches == x->caches_cap) {
        size_t cap = x->caches_cap ? x->caches_cap * 2 : 16;
        struct bcache *v = realloc(x->caches, cap * sizeof(*v));
        if (!v)
            abort();
        x->caches = v;
        x->caches_cap = cap;
    }
    x->caches[x->ncaches] = (struct bcache){ .h = h, .alive = true, .size = size, .align = align };
    b->cache = (int32_t)x->ncaches++;
    if (x->a->cache.object_size) {
        size_t os = x->a->cache.object_size(x->ctx, h);
        checked(x, BB_CHECK_CACHE_SIZE);
        if (os < size)
            finding(x, "cache object too small", "object_size of a %" PRIu64 "-byte cache is %zu",
                    size, os);
    }
}

/* One object from cache index ci into binding b; false when it failed. */
static bool cache_obj(struct bb *x, int32_t ci, struct bbind *b, unsigned flags)
{
    struct bcache *c = &x->caches[ci];
    bool zero = (flags & KH_AF_ZERO) != 0;
    unsigned pass = zero && !(x->a->caps & KH_CAP_ZERO) ? flags & ~KH_AF_ZERO : flags;
    void *p = x->a->cache.alloc(x->ctx, c->h, pass);
    if (!p) {
        judge_null(x, "cache alloc", c->size, false);
        return false;
    }
    if (zero && pass != flags)
        memset(p, 0, c->size);
    c->live++;
    if (!track(x, b, p, c->size, TIER_CACHE, c->align, zero && pass == flags, 0, ci))
        return false;
    return true;
}

static void cache_alloc(struct bb *x, const struct kh_op *op, bool zero)
{
    if (!x->cache) {
        skip(x, BB_SKIP_NO_CACHE_TIER);
        return;
    }
    struct bcache *c = live_cache(x, op->args[0].var);
    if (!c) {
        skip(x, BB_SKIP_DEAD_OPERAND);
        return;
    }
    int32_t ci = binding(x, op->args[0].var)->cache;
    x->st.ops_run++;
    /* the gfp argument is always the last (trace.h) */
    gfp_t gfp = (gfp_t)op->args[kh_op_nargs(kh_op_desc((enum kh_opcode)op->code)) - 1].u;
    cache_obj(x, ci, result(x), flags_of(gfp, zero));
}

static void cache_free(struct bb *x, const struct kh_op *op)
{
    if (!x->cache) {
        skip(x, BB_SKIP_NO_CACHE_TIER);
        return;
    }
    struct bcache *c = live_cache(x, op->args[0].var);
    void *p;
    struct bbind *b = resolve_ptr(x, &op->args[1], &p);
    if (!c || dead(&op->args[1], b)) {
        skip(x, BB_SKIP_DEAD_OPERAND);
        return;
    }
    if (op->args[1].ptr_kind == KH_PTR_NULL || op->args[1].ptr_kind == KH_PTR_ZERO_SIZE || b->token) {
        skip(x, BB_SKIP_KERNEL_ONLY);  /* kmem_cache_free(c, NULL) is no promise of the interface */
        return;
    }
    const struct bmeta *m = meta_of(x, b->id);
    if (!block_live(x, b) || op->args[1].offset != 0 || !m || m->tier != TIER_CACHE ||
        x->caches[m->cache].h != c->h) {
        misuse_free(x, b, p, TIER_CACHE, 0, 0, c->h);
        return;
    }
    x->st.ops_run++;
    release(x, (uintptr_t)p);
}

static void cache_bulk(struct bb *x, const struct kh_op *op)
{
    if (!x->cache) {
        skip(x, BB_SKIP_NO_CACHE_TIER);
        return;
    }
    struct bcache *c = live_cache(x, op->args[0].var);
    if (!c) {
        skip(x, BB_SKIP_DEAD_OPERAND);
        return;
    }
    int32_t ci = binding(x, op->args[0].var)->cache;
    uint32_t n = (uint32_t)op->args[1].u;
    unsigned flags = flags_of((gfp_t)op->args[2].u, false);
    x->st.ops_run++;
    struct bbind *arr = result(x);
    arr->owner = ci;
    arr->elems = calloc(n ? n : 1, sizeof(*arr->elems));
    if (!arr->elems)
        abort();
    /* All or nothing, as kmem_cache_alloc_bulk: on a failure the objects
     * already obtained go back. */
    uint32_t got = 0;
    for (; got < n; got++) {
        arr->elems[got] = (struct bbind){ .type = KH_VAL_PTR, .cache = -1, .owner = -1 };
        if (!cache_obj(x, ci, &arr->elems[got], flags))
            break;
    }
    if (got < n) {
        for (uint32_t i = 0; i < got && !x->finding; i++)
            release(x, (uintptr_t)arr->elems[i].p);
        got = 0;
    }
    arr->count = got;
}

static void cache_free_bulk(struct bb *x, const struct kh_op *op)
{
    if (!x->cache) {
        skip(x, BB_SKIP_NO_CACHE_TIER);
        return;
    }
    struct bcache *c = live_cache(x, op->args[0].var);
    struct bbind *arr = binding(x, op->args[1].var);
    bool legal = c && arr && arr->elems && arr->owner >= 0 && x->caches[arr->owner].h == c->h;
    for (uint32_t i = 0; legal && i < arr->count; i++)
        legal = block_live(x, &arr->elems[i]);
    if (!legal) {
        skip(x, c ? BB_SKIP_MISUSE : BB_SKIP_DEAD_OPERAND);
        return;
    }
    x->st.ops_run++;
    for (uint32_t i = 0; i < arr->count && !x->finding; i++)
        release(x, (uintptr_t)arr->elems[i].p);
}

static void cache_destroy(struct bb *x, const struct kh_op *op)
{
    if (!x->cache) {
        skip(x, BB_SKIP_NO_CACHE_TIER);
        return;
    }
    if (op->args[0].var < 0) {
        skip(x, BB_SKIP_KERNEL_ONLY);  /* kmem_cache_destroy(NULL) */
        return;
    }
    struct bcache *c = live_cache(x, op->args[0].var);
    if (!c) {
        skip(x, BB_SKIP_DEAD_OPERAND);
        return;
    }
    if (c->live) {
        skip(x, BB_SKIP_MISUSE);  /* destroying a cache with live objects */
        return;
    }
    x->st.ops_run++;
    x->a->cache.destroy(x->ctx, c->h);
    c->alive = false;
}

static void cache_shrink(struct bb *x, const struct kh_op *op)
{
    if (!x->cache || !x->a->cache.shrink) {
        skip(x, x->cache ? BB_SKIP_NO_SHRINK : BB_SKIP_NO_CACHE_TIER);
        return;
    }
    struct bcache *c = live_cache(x, op->args[0].var);
    if (!c) {
        skip(x, BB_SKIP_DEAD_OPERAND);
        return;
    }
    x->st.ops_run++;
    x->a->cache.shrink(x->ctx, c->h);
}

static void cache_size(struct bb *x, const struct kh_op *op)
{
    if (!x->cache || !x->a->cache.object_size) {
        skip(x, x->cache ? BB_SKIP_NO_OBJECT_SIZE : BB_SKIP_NO_CACHE_TIER);
        return;
    }
    struct bcache *c = live_cache(x, op->args[0].var);
    if (!c) {
        skip(x, BB_SKIP_DEAD_OPERAND);
        return;
    }
    x->st.ops_run++;
    size_t os = x->a->cache.object_size(x->ctx, c->h);
    checked(x, BB_CHECK_CACHE_SIZE);
    if (x->opt.log)
        fprintf(x->opt.log, " -> %zu", os);
    if (os < c->size)
        finding(x, "cache object too small", "object_size of a %zu-byte cache is %zu", c->size, os);
}

static void shrink_all(struct bb *x)
{
    if (!x->cache || !x->a->cache.shrink) {
        skip(x, x->cache ? BB_SKIP_NO_SHRINK : BB_SKIP_NO_CACHE_TIER);
        return;
    }
    x->st.ops_run++;
    for (size_t i = 0; i < x->ncaches; i++)
        if (x->caches[i].alive)
            x->a->cache.shrink(x->ctx, x->caches[i].h);
}

/* ---- any tier ---- */

static void access_op(struct bb *x, const struct kh_op *op, bool write)
{
    void *p;
    struct bbind *b = resolve_ptr(x, &op->args[0], &p);
    uint64_t off = op->args[1].u, len = op->args[2].u;
    struct shadow_block *s = block_live(x, b) ? shadow_find(&x->shadow, (uintptr_t)b->p) : NULL;
    int64_t base = op->args[0].offset;
    if (!s || base < 0 || (uint64_t)base > s->size || off > s->size - (uint64_t)base ||
        len > s->size - (uint64_t)base - off) {
        /* Out of bounds or after free: only ASan could judge. */
        skip(x, dead(&op->args[0], b) ? BB_SKIP_DEAD_OPERAND : BB_SKIP_MISUSE);
        return;
    }
    x->st.ops_run++;
    size_t from = (size_t)base + off;
    if (!write) {
        /* A read is the caller looking: it must see what it left there. */
        checked(x, BB_CHECK_CONTENT);
        long bad = first_bad(x, s, from, from + len);
        if (bad >= 0) {
            const struct bmeta *m = meta_of(x, s->id);
            finding(x, "content corrupted", "read of %s %#" PRIxPTR "+%zu: byte %ld is %#x, expected %#x",
                    tier_names[m->tier], s->start, s->size, bad, ((uint8_t *)s->start)[bad],
                    expected_byte(m, s->id, (size_t)bad));
        }
        return;
    }
    struct bmeta *m = meta_of(x, s->id);
    if (m->nw == MAX_WRITES) {
        /* Out of room in the write log: check, then start a fresh pattern
         * (the harness owns the bytes, so rewriting them is fair). */
        if (!verify(x, s, "before a write"))
            return;
        fill(x, s);
    }
    memset((uint8_t *)s->start + from, (int)op->args[3].u, len);
    if (from < PATTERN_CAP) {
        uint64_t n = len < PATTERN_CAP - from ? len : PATTERN_CAP - from;
        m->w[m->nw++] = (struct bwrite){ (uint32_t)from, (uint32_t)n, (uint8_t)op->args[3].u };
    }
}

static void fault_op(struct bb *x, const struct kh_op *op)
{
    if (!x->fault) {
        skip(x, BB_SKIP_NO_FAULT);
        return;
    }
    struct kh_adapter_fault f = { .mode = KH_ADAPTER_FAULT_OFF };
    switch (op->code) {
    case KH_OP_FAIL_NTH:
        f.mode = KH_ADAPTER_FAULT_NTH;
        f.nth = op->args[0].u;
        break;
    case KH_OP_FAIL_FROM:
        f.mode = KH_ADAPTER_FAULT_FROM;
        f.nth = op->args[0].u;
        break;
    case KH_OP_FAIL_RANDOM:
        f.mode = KH_ADAPTER_FAULT_RANDOM;
        f.percent = (unsigned)(op->args[0].u > 100 ? 100 : op->args[0].u);
        f.seed = op->args[1].u;
        break;
    default:
        break;
    }
    x->st.ops_run++;
    x->a->fault_set(x->ctx, &f);
}

static void dispatch(struct bb *x, const struct kh_op *op)
{
    const struct kh_operand *a = op->args;
    size_t prod;
    switch ((enum kh_opcode)op->code) {
    case KH_OP_KMALLOC:
    case KH_OP_KVMALLOC:
        obj_alloc(x, a[0].u, 0, flags_of((gfp_t)a[1].u, false), "alloc");
        break;
    case KH_OP_KZALLOC:
    case KH_OP_KVZALLOC:
        obj_alloc(x, a[0].u, 0, flags_of((gfp_t)a[1].u, true), "zeroing alloc");
        break;
    case KH_OP_KMALLOC_NODE:   /* one node: the plain call */
    case KH_OP_KZALLOC_NODE: {
        bool z = op->code == KH_OP_KZALLOC_NODE;
        obj_alloc(x, a[0].u, 0, flags_of((gfp_t)a[2].u, z), z ? "zeroing alloc" : "alloc");
        break;
    }
    case KH_OP_KMEMDUP:   /* an allocation; the copy is the caller's */
        obj_alloc(x, a[1].u, 0, flags_of((gfp_t)a[2].u, false), "alloc");
        break;
    case KH_OP_VMALLOC_GFP:
        obj_alloc(x, a[0].u, 0, flags_of((gfp_t)a[1].u, false), "alloc");
        break;
    case KH_OP_VMALLOC:
    case KH_OP_VZALLOC:
        obj_alloc(x, a[0].u, 0, flags_of(GFP_KERNEL, op->code == KH_OP_VZALLOC), "alloc");
        break;
    case KH_OP_KCALLOC:
    case KH_OP_KMALLOC_ARRAY:
    case KH_OP_KVMALLOC_ARRAY:
    case KH_OP_KVCALLOC:
        if (__builtin_mul_overflow(a[0].u, a[1].u, &prod))
            skip(x, BB_SKIP_OVERFLOW);
        else
            obj_alloc(x, prod, 0, flags_of((gfp_t)a[2].u, op->code == KH_OP_KCALLOC || op->code == KH_OP_KVCALLOC),
                      "alloc");
        break;
    case KH_OP_MEMBLOCK_ALLOC:
        obj_alloc(x, a[0].u, a[1].u, KH_AF_ZERO, "aligned zeroing alloc");
        break;
    case KH_OP_KREALLOC:
        obj_realloc(x, &a[0], a[1].u, flags_of((gfp_t)a[2].u, false));
        break;
    case KH_OP_KREALLOC_ARRAY:
        if (__builtin_mul_overflow(a[1].u, a[2].u, &prod))
            skip(x, BB_SKIP_OVERFLOW);
        else
            obj_realloc(x, &a[0], prod, flags_of((gfp_t)a[3].u, false));
        break;
    case KH_OP_KVREALLOC:
        obj_realloc(x, &a[0], a[2].u, flags_of((gfp_t)a[3].u, false));
        break;
    case KH_OP_KVREALLOC_612:   /* 6.12's forms: a plain realloc to the new size */
    case KH_OP_VREALLOC:
        obj_realloc(x, &a[0], a[1].u, flags_of((gfp_t)a[2].u, false));
        break;
    case KH_OP_KSIZE: obj_usable_size(x, &a[0]); break;
    case KH_OP_KFREE:
    case KH_OP_KFREE_SENSITIVE:
    case KH_OP_VFREE:
    case KH_OP_KVFREE:
    case KH_OP_KVFREE_SENSITIVE:
        obj_free(x, &a[0]);
        break;
    case KH_OP_KMEM_CACHE_CREATE: cache_create(x, op); break;
    case KH_OP_KMEM_CACHE_ALLOC: cache_alloc(x, op, false); break;
    case KH_OP_KMEM_CACHE_ZALLOC: cache_alloc(x, op, true); break;
    case KH_OP_KMEM_CACHE_ALLOC_NODE: cache_alloc(x, op, false); break;
    case KH_OP_KMEM_CACHE_FREE: cache_free(x, op); break;
    case KH_OP_KMEM_CACHE_ALLOC_BULK: cache_bulk(x, op); break;
    case KH_OP_KMEM_CACHE_FREE_BULK: cache_free_bulk(x, op); break;
    case KH_OP_KMEM_CACHE_SHRINK: cache_shrink(x, op); break;
    case KH_OP_KMEM_CACHE_DESTROY: cache_destroy(x, op); break;
    case KH_OP_KMEM_CACHE_SIZE: cache_size(x, op); break;
    case KH_OP_ALLOC_PAGES:
    case KH_OP_GET_FREE_PAGES:
        page_alloc(x, a[0].u, flags_of((gfp_t)a[1].u, false));
        break;
    case KH_OP_GET_ZEROED_PAGE:
        page_alloc(x, 0, flags_of((gfp_t)a[0].u, true));
        break;
    case KH_OP_FREE_PAGES: page_free(x, &a[0], a[1].u); break;
    case KH_OP_ALLOC_PAGES_EXACT: exact_alloc(x, a[0].u, flags_of((gfp_t)a[1].u, false)); break;
    case KH_OP_FREE_PAGES_EXACT: exact_free(x, &a[0], a[1].u); break;
    case KH_OP_WRITE: access_op(x, op, true); break;
    case KH_OP_READ: access_op(x, op, false); break;
    case KH_OP_SHRINK_ALL: shrink_all(x); break;
    case KH_OP_FAIL_NTH:
    case KH_OP_FAIL_FROM:
    case KH_OP_FAIL_RANDOM:
    case KH_OP_FAIL_OFF:
        fault_op(x, op);
        break;
    case KH_OP_MEMPOOL_CREATE_KMALLOC_POOL: pool_create(x, a[0].u, a[1].u); break;
    case KH_OP_MEMPOOL_CREATE_PAGE_POOL:
        if (a[1].u > 20)
            skip(x, BB_SKIP_BAD_ARGUMENT);
        else
            pool_create(x, a[0].u, (uint64_t)POOL_PAGE << a[1].u);
        break;
    case KH_OP_MEMPOOL_RESIZE: pool_resize(x, op); break;
    case KH_OP_MEMPOOL_DESTROY: pool_remove(x, op); break;
    case KH_OP_KMALLOC_SIZE_ROUNDUP:   /* the kernel's size classes, not an adapter's */
    case KH_OP_KMALLOC_INDEX:
    case KH_OP_GET_ORDER:
    case KH_OP_ALLOC_PERCPU_GFP:
    case KH_OP_EARLY_BOOT:   /* the boot phase is the kernel's */
    case KH_OP_MEMBLOCK_RESERVE:
    case KH_OP_MEMBLOCK_PHYS_ALLOC:
    case KH_OP_MEMBLOCK_FREE:
    case KH_OP_MEMBLOCK_FREE_ALL:
    case KH_OP_MEMBLOCK_FREE_LATE:
    case KH_OP_KMEM_CACHE_CREATE_ARGS:   /* 6.12's args form: no plain-allocator counterpart */
    case KH_OP_MEMPOOL_CREATE_SLAB_POOL:
    case KH_OP_MEMPOOL_ALLOC:
    case KH_OP_MEMPOOL_FREE:
    case KH_OP_ALLOC_PERCPU:
    case KH_OP_FREE_PERCPU:
    case KH_OP_PER_CPU_PTR:
    case KH_OP_SET_CPU:
    case KH_OP_COUNT:
        skip(x, BB_SKIP_KERNEL_ONLY);
        break;
    }
}

/* ---- whole runs ---- */

static void validate(struct bb *x, const char *when)
{
    if (!x->a->validate || x->finding)
        return;
    char msg[512] = "";
    checked(x, BB_CHECK_VALIDATE);
    if (x->a->validate(x->ctx, msg, sizeof(msg)))
        finding(x, "validation failed", "%s: the allocator's own check says: %s", when, msg);
}

/* The coalescing promise, once everything is freed: one request of
 * coalesce_size bytes succeeds (then it is freed again). */
static void check_coalesce(struct bb *x)
{
    const struct kh_adapter *a = x->a;
    size_t want = a->coalesce_size;
    if (!want || x->finding)
        return;
    if (x->resized_main) {
        skip(x, BB_SKIP_COALESCE_RESIZED);
        return;
    }
    checked(x, BB_CHECK_COALESCE);
    void *p;
    const char *how;
    unsigned order = 0;
    if (x->obj) {
        p = a->object.alloc(x->ctx, want, 0, 0);
        how = "an object";
    } else {
        while ((x->page_size << order) < want)
            order++;
        p = a->page.alloc(x->ctx, order, 0);
        how = "a page block";
    }
    if (!p) {
        finding(x, "no coalescing", "after the harness freed everything, %s of %zu bytes (the "
                "declared coalesce_size) could not be allocated: freed neighbours were not merged "
                "back, or memory was lost", how, want);
        return;
    }
    memset(p, 0xc5, want < PATTERN_CAP ? want : PATTERN_CAP);  /* it must be usable memory */
    if (x->obj)
        obj_free_call(x, p, want);
    else
        a->page.free(x->ctx, p, order);
}

/* Frees everything still live, destroys every cache, turns faults off. */
static void teardown(struct bb *x)
{
    if (x->fault) {
        struct kh_adapter_fault off = { .mode = KH_ADAPTER_FAULT_OFF };
        x->a->fault_set(x->ctx, &off);
    }
    while (x->shadow.n && !x->finding)
        release(x, x->shadow.v[x->shadow.n - 1].start);
    for (size_t i = 0; i < x->ncaches && !x->finding; i++) {
        if (x->caches[i].alive) {
            x->a->cache.destroy(x->ctx, x->caches[i].h);
            x->caches[i].alive = false;
        }
    }
    pools_teardown(x);
}

bool bb_run(struct bb *x, const struct kh_trace *t, struct bb_finding *f)
{
    memset(f, 0, sizeof(*f));
    free_bindings(x);
    shadow_clear(&x->shadow);
    pools_unmap(x);
    x->resized_main = false;
    x->ncaches = 0;
    x->live_bytes = 0;
    x->t = t;
    x->f = f;
    x->finding = false;
    x->nb = t->nvars;
    x->b = calloc(x->nb ? x->nb : 1, sizeof(*x->b));
    if (!x->b)
        abort();
    for (size_t i = 0; i < x->nb; i++)
        x->b[i].cache = x->b[i].owner = x->b[i].pool = -1;
    x->st.inputs++;
    size_t baseline = x->a->bytes_in_use ? x->a->bytes_in_use(x->ctx) : 0;

    for (size_t i = 0; i < t->n && !x->finding; i++) {
        x->op_i = i;
        x->st.ops++;
        x->injected_before = x->fault ? x->a->faults_injected(x->ctx) : 0;
        x->reports_before = x->a->misuse_reports ? x->a->misuse_reports(x->ctx) : 0;
        if (x->opt.log) {
            char text[256];
            kh_trace_format_op(t, i, text, sizeof(text));
            fprintf(x->opt.log, "%d: %s", t->ops[i].line, text);
        }
        dispatch(x, &t->ops[i]);
        if (x->opt.log)
            fputc('\n', x->opt.log);
        if (x->a->misuse_reports && !x->finding) {
            uint64_t now = x->a->misuse_reports(x->ctx);
            checked(x, BB_CHECK_NO_FALSE_REPORT);
            if (now != x->reports_before)
                finding(x, "false misuse report", "the allocator reported %" PRIu64 " misuse(s) "
                        "during a legal operation (a false alarm, or it found its own state corrupted)",
                        now - x->reports_before);
        }
        if (!x->finding && (i + 1) % VERIFY_ALL_EVERY == 0)
            verify_all(x, false);
        if (!x->finding && x->opt.validate_every && (i + 1) % x->opt.validate_every == 0)
            validate(x, "periodic validation");
    }
    x->op_i = t->n;  /* what follows belongs to no single operation */
    if (!x->finding) {
        verify_all(x, true);
        validate(x, "end of trace");
        uint64_t reports = x->a->misuse_reports ? x->a->misuse_reports(x->ctx) : 0;
        teardown(x);
        if (x->a->misuse_reports && !x->finding && x->a->misuse_reports(x->ctx) != reports)
            finding(x, "false misuse report", "freeing the live blocks at the end of the trace "
                    "raised a misuse report");
        validate(x, "after freeing everything");
        check_coalesce(x);
        if (x->a->bytes_in_use && !x->finding) {
            size_t now = x->a->bytes_in_use(x->ctx);
            checked(x, BB_CHECK_LEAK);
            if (now != baseline)
                finding(x, "leak", "bytes in use were %zu before the trace and %zu after the "
                        "harness freed everything it allocated (%+lld)", baseline, now,
                        (long long)now - (long long)baseline);
        }
    }
    if (x->a->reset)
        x->a->reset(x->ctx);
    pools_unmap(x);  /* after reset: the allocator has forgotten them */
    return x->finding;
}

void bb_print_summary(const struct bb *x, FILE *out)
{
    const struct kh_adapter *a = x->a;
    fprintf(out, "black-box summary for adapter '%s': %s\n", a->name,
            a->description ? a->description : "");
    fprintf(out, "  tiers: object %s%s%s%s, page %s%s, cache %s%s; hooks:%s%s%s%s%s%s%s%s\n",
            x->obj ? "yes" : "no", a->free_sized ? " +free_sized" : "", a->object.realloc ? " +realloc" : "",
            a->object.usable_size ? " +usable_size" : "", x->page ? "yes" : "no",
            x->exact ? " +by size" : "", x->cache ? "yes" : "no",
            a->cache.shrink ? " +shrink" : "", a->fault_set ? " fault" : "",
            a->validate ? " validate" : "", a->arena ? " arena" : "",
            a->misuse_reports ? " misuse_reports" : "", a->bytes_in_use ? " bytes_in_use" : "",
            a->pool.add ? " pool.add" : "", a->pool.remove ? " pool.remove" : "",
            a->pool.resize ? " pool.resize" : "");
    unsigned c = a->caps;
    fprintf(out, "  misuse policy: %s%s%s\n",
            c & KH_CAP_MISUSE_IGNORED ? "ignored harmlessly (KH_CAP_MISUSE_IGNORED)"
            : c & KH_CAP_MISUSE_UNDEFINED ? "undefined, never probed (KH_CAP_MISUSE_UNDEFINED)"
            : c & (KH_CAP_DETECTS_DOUBLE_FREE | KH_CAP_DETECTS_INVALID_FREE) ? "reported (KH_CAP_DETECTS_*)"
            : "not declared (probed for information only)",
            relaxed_note() ? "; sanitizer checks relaxed: " : "", relaxed_note() ? relaxed_note() : "");
    const struct bb_stats *s = &x->st;
    uint64_t skipped = 0;
    for (int i = 0; i < BB_NR_SKIPS; i++)
        skipped += s->skipped[i];
    fprintf(out, "  inputs %" PRIu64 ", operations %" PRIu64 ": %" PRIu64 " run, %" PRIu64 " skipped; "
            "child-process probes %" PRIu64 " (misuse detected in %" PRIu64 ")\n",
            s->inputs, s->ops, s->ops_run, skipped, s->probes, s->probes_detected);
    fprintf(out, "  checks:\n");
    for (int c = 0; c < BB_NR_CHECKS; c++) {
        const char *why = bb_check_unavailable(a, (enum bb_check)c);
        int u = c == BB_CHECK_DOUBLE_FREE ? 0 : c == BB_CHECK_INVALID_FREE ? 1 : -1;
        if (why && u >= 0 && s->undeclared_probes[u])
            fprintf(out, "    %-58s SKIPPED: %s (observed: %" PRIu64 " of %" PRIu64 " detected, %"
                    PRIu64 " hit UB in the allocator)\n", check_names[c], why,
                    s->undeclared_detected[u], s->undeclared_probes[u], s->undeclared_ub[u]);
        else if (why)
            fprintf(out, "    %-58s SKIPPED: %s\n", check_names[c], why);
        else if ((c == BB_CHECK_DOUBLE_FREE || c == BB_CHECK_INVALID_FREE ||
                  c == BB_CHECK_MISUSE_IGNORED || c == BB_CHECK_AFTER_MISUSE ||
                  c == BB_CHECK_NO_UB_IN_PROBE) && x->opt.misuse != BB_MISUSE_PROBE)
            fprintf(out, "    %-58s SKIPPED: misuse policy 'skip' (the misuse target probes)\n",
                    check_names[c]);
        else if (s->checked[c])
            fprintf(out, "    %-58s checked %" PRIu64 " times\n", check_names[c], s->checked[c]);
        else
            fprintf(out, "    %-58s not reached by these inputs\n", check_names[c]);
    }
    if (skipped) {
        fprintf(out, "  operations skipped:\n");
        for (int i = 0; i < BB_NR_SKIPS; i++)
            if (s->skipped[i])
                fprintf(out, "    %8" PRIu64 "  %s\n", s->skipped[i], skip_names[i]);
    }
}
