/* exec.c - the trace executor and its checks (see exec.h).
 *
 * Bindings mirror the trace's variables: what each holds (pointer, cache,
 * pool, bulk array), which API produced it (so the matching free is known),
 * the size the caller asked for and the shadow id it was given. A pointer is
 * live exactly while the shadow model holds a block at its address with its
 * id; that one rule answers "is this free a double free?" for every API.
 *
 * Content patterns cover at most PATTERN_CAP bytes of a block (plus nothing
 * beyond): enough to catch overlap and corruption, cheap for large blocks.
 */
#include "exec.h"
#include "exec_limits.h"

#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "introspect.h"
#include "kmalloc.h"
#include "legality.h"
#include "memblock.h"
#include "mempool.h"
#include "oracle.h"
#include "oracle_slab.h"
#include "oracle_slabinfo.h"
#include "oracle_null.h"
#include "oracle_boot.h"
#include "oracle_buddy.h"
#include "oracle_warn.h"
#include "oracle_mempool.h"
#include "oracle_count.h"
#include "oracle_proc.h"
#include "oracle_quarantine.h"
#include "oracle_reuse.h"
#include "oracle_reclaim.h"
#include "page_alloc.h"
#include "percpu.h"
#include "shadow.h"
#include "slab.h"
#include "vmalloc.h"

struct xbind {
    uint8_t type;          /* enum kh_val_type */
    uint8_t api;           /* enum api, for pointers */
    void *p;               /* pointer, cache or pool */
    size_t req;            /* bytes the caller may use */
    size_t usable;         /* kmalloc-backed blocks: ksize as the spec fixes it (0: unknown) */
    uint32_t id;           /* shadow id (pointers) */
    unsigned order;        /* API_PAGES */
    int32_t owner;         /* cache or pool binding the object came from, -1 */
    /* caches and pools */
    bool alive;
    bool leaked;           /* a cache destroyed with objects out: those may still be freed */
    unsigned live;         /* objects / elements outstanding */
    unsigned users;        /* pools built on this cache */
    /* arrays */
    struct xbind *elems;
    uint32_t count;
    uint8_t pool_kind;     /* API_MEMPOOL: enum kh_mempool_kind of the pool it came from */
    bool tainted;          /* touched by a misuse: state unknown, ops on it skipped */
    bool held;             /* a ZERO_SIZE_PTR mempool element not yet freed (no shadow block) */
    uint32_t kclass;       /* API_KMALLOC: the size class it was allocated in (0: pages) */
    bool ctor_lost;        /* a ctor cache that took back mempool reserve elements (poisoned) */
    uint32_t cache_size;   /* caches: what kmem_cache_size must say (an alias grows it) */
    struct oracle_slab_geom geom;  /* caches: the spec's geometry (oracle_slab.h) */
};

struct exec {
    struct kh *kh;
    struct exec_options opt;
    struct oracle_limits lim;
    struct shadow shadow;
    struct xbind *b;
    size_t nb, b_cap;      /* b is kept from run to run */
    struct exec_outcome *out;
    size_t nout, out_cap;
    size_t skipped;
    struct kh_violations viol;
    /* per-operation scratch */
    const struct kh_trace *t;
    size_t op_i;
    bool misuse;           /* the current op is a caller misuse being run */
    bool tainted_operand;  /* the current op names a binding a misuse touched */
    bool reused_operand;   /* it names a stale pointer into memory in use again */
    uint8_t reused_rule;   /* the legality row that says why (legality.h) */
    bool finding;
    uint64_t injected_before;  /* kh_fault_injected() when the op started */
    struct nullo nullo;        /* which NULLs and which injected faults are right */
    struct exec_finding *f;
    bool kmalloc_caches_checked;   /* their geometry, once per executor */
    bool misuse_ran;       /* some misuse ran: what it touched, and so the end-of-run accounting, is unknown */
    bool kept_unbound;     /* an unbound result holds memory no name can free */
    uint64_t touched;      /* bytes the input's operations are charged with (TOUCH_BUDGET_BYTES) */
    size_t over_budget;    /* operations skipped for the memory budget */
    struct xbind scratch;  /* the current op's result when the trace does not bind it */
    struct xbind *unbound; /* unbound pointer results, kept so the end of a run can free them */
    size_t nunbound, unbound_cap;
    unsigned long free_at_start;   /* free pages when the run began */
    unsigned long chunks_at_start; /* per-CPU chunks then (their pages are held, not lost) */
    /* the boot phase the trace has reached, and memblock as it must be */
    uint8_t boot_phase;        /* enum kh_boot_phase */
    struct boot_model boot;
    unsigned long boot_stranded;   /* PG_reserved pages memblock_free_late left behind */
    struct oracle_mempool mempool; /* every pool's reserve before the current op */
    /* direct reclaim passes, counted by the executor's own shrinker
     * (oracle_reclaim.h), and what the current op passed */
    unsigned long reclaims, reclaims_before;   /* and the count when the op began */
    struct oracle_reclaim_env reclaim_env;
    unsigned percpu_reported;   /* per-CPU failure reports this run (the kernel's limit is 10) */
    gfp_t passed_gfp;
    int reserve_before;    /* mempool_alloc: the reserve when it started, else -1 */
    struct oracle_quarantine quarantine;   /* objects seen entering it, oldest first */
    struct oracle_reuse reuse;             /* the object freed by the last operation */
    unsigned cpu;                          /* the CPU the trace runs on, by the executor's count */
};

const char *exec_misuse_name(enum exec_misuse m)
{
    return m == EXEC_MISUSE_SKIP ? "skip" : m == EXEC_MISUSE_EXPECT ? "expect" : "run";
}

int exec_misuse_parse(const char *s, enum exec_misuse *out)
{
    if (!strcmp(s, "skip")) *out = EXEC_MISUSE_SKIP;
    else if (!strcmp(s, "expect")) *out = EXEC_MISUSE_EXPECT;
    else if (!strcmp(s, "run")) *out = EXEC_MISUSE_RUN;
    else return -1;
    return 0;
}

struct exec *exec_new(struct kh *kh, const struct exec_options *opt)
{
    struct exec *x = calloc(1, sizeof(*x));
    if (!x)
        return NULL;
    x->kh = kh;
    x->opt = *opt;
    oracle_limits(kh_get_config(kh), &x->lim);
    nullo_init(&x->nullo, kh_get_config(kh), x->lim.max_cache_size, x->lim.max_size);
    x->reclaim_env = (struct oracle_reclaim_env){
        .slab_one_call = kh_get_config(kh)->slab != KH_SLAB_SLAB,
        .max_cache_size = x->lim.max_cache_size,
        .max_size = x->lim.max_size,
        .page_shift = x->lim.page_shift,
    };
    shadow_init(&x->shadow);
    return x;
}

/* Drops the bindings of the last run (the array keeps its capacity). */
static void clear_bindings(struct exec *x)
{
    for (size_t i = 0; i < x->nb; i++)
        free(x->b[i].elems);
    x->nb = 0;
}

void exec_free(struct exec *x)
{
    if (!x)
        return;
    clear_bindings(x);
    free(x->b);
    shadow_free(&x->shadow);
    boot_model_free(&x->boot);
    free(x->out);
    free(x->unbound);
    free(x->scratch.elems);
    kh_violations_free(&x->viol);
    free(x);
}

const struct exec_outcome *exec_outcomes(const struct exec *x, size_t *n)
{
    *n = x->nout;
    return x->out;
}

size_t exec_skipped(const struct exec *x) { return x->skipped; }
size_t exec_over_budget(const struct exec *x) { return x->over_budget; }

const char *exec_outcome_rule(const struct exec_outcome *o)
{
    return o->rule ? legality_rule_name(o->rule - 1u) : NULL;
}

const char *exec_outcome_misuse_rule(const struct exec_outcome *o)
{
    return o->misuse_rule ? legality_rule_name(o->misuse_rule - 1u) : NULL;
}

/* ---- findings ---- */

/* A finding before the first operation (the kmalloc caches' geometry,
 * checked when a run starts) may come with an empty trace. */
static const char *op_name(const struct exec *x)
{
    if (x->op_i >= x->t->n)
        return "the run's start";
    return kh_op_desc((enum kh_opcode)x->t->ops[x->op_i].code)->name;
}

static void finding(struct exec *x, const char *kind, const char *where, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void finding(struct exec *x, const char *kind, const char *where, const char *fmt, ...)
{
    if (x->finding)
        return;  /* the first finding is the one that counts */
    x->finding = true;
    struct exec_finding *f = x->f;
    f->found = true;
    f->op_index = x->op_i;
    f->line = x->op_i < x->t->n ? x->t->ops[x->op_i].line : 0;
    snprintf(f->kind, sizeof(f->kind), "%s", kind);
    snprintf(f->title, sizeof(f->title), "%s in %s (%s)", kind, op_name(x), where);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f->detail, sizeof(f->detail), fmt, ap);
    va_end(ap);
}

/* A finding at an operation a legality rule decided names the rule. */
static void name_rule(struct exec_finding *f, const struct exec_outcome *o)
{
    size_t n = strlen(f->detail);
    const struct legality_rule *r = &legality_rules[o->rule - 1u];
    snprintf(f->detail + n, sizeof(f->detail) - n, " [legality rule %s: %s]", r->name,
             legality_verdict_name(r->verdict));
    if (o->misuse_rule) {
        n = strlen(f->detail);
        snprintf(f->detail + n, sizeof(f->detail) - n, " [a misuse by rule %s]", exec_outcome_misuse_rule(o));
    }
}

/* ---- shadow bookkeeping ---- */

static bool block_live(struct exec *x, const struct xbind *b)
{
    if (b->type != KH_VAL_PTR || !b->p || ZERO_OR_NULL_PTR(b->p))
        return false;
    const struct shadow_block *s = shadow_find(&x->shadow, (uintptr_t)b->p);
    return s && s->id == b->id;
}

/* Records a fresh block and fills its pattern. Returns false on a finding. */
static bool track(struct exec *x, struct xbind *b, void *p, size_t req, enum shadow_kind kind)
{
    b->p = p;
    b->req = req;
    const struct shadow_block *hit = shadow_insert(&x->shadow, (uintptr_t)p, req, kind, &b->id);
    if (hit) {
        finding(x, "overlap", "shadow",
                "new %s block %p+%zu overlaps live %s block %#" PRIxPTR "+%zu",
                shadow_kind_name(kind), p, req, shadow_kind_name(hit->kind), hit->start, hit->size);
        return false;
    }
    char why[256];
    if (x->opt.checks && !x->misuse_ran &&
        !oracle_quarantine_handed_out(&x->quarantine, x->kh, p, why, sizeof(why))) {
        finding(x, "quarantine order", "oracle", "%s", why);
        return false;
    }
    if (x->opt.checks) {
        struct shadow_block *s = shadow_find(&x->shadow, (uintptr_t)p);
        size_t keep = s->size;
        if (s->size > PATTERN_CAP)
            s->size = PATTERN_CAP;  /* pattern only the head of big blocks */
        shadow_fill(s, 0);
        s->size = keep;
    }
    return true;
}

static bool verify_block(struct exec *x, const struct shadow_block *s, const char *when)
{
    size_t bad;
    if (!x->opt.checks || shadow_verify(s, PATTERN_CAP, &bad))
        return true;
    const uint8_t *p = (const uint8_t *)s->start;
    finding(x, "content corrupted", "shadow",
            "%s: live %s block %#" PRIxPTR "+%zu: byte %zu is %#x, expected %#x (written at allocation)",
            when, shadow_kind_name(s->kind), s->start, s->size, bad, p[bad],
            shadow_pattern_byte(s->id, bad));
    return false;
}

/* ---- slab oracle: geometry, constructor state, debug bytes ----
 * (oracle_slab.h: every expected value is the spec's, not the cache's) */

static struct xbind *binding(struct exec *x, int32_t var);

/* The cache a cache object or a slab-pool element came from. */
static struct xbind *object_cache(struct exec *x, const struct xbind *b)
{
    if (b->api != API_CACHE && b->api != API_MEMPOOL)
        return NULL;
    struct xbind *o = binding(x, b->owner);
    if (b->api == API_MEMPOOL)
        o = o && o->type == KH_VAL_POOL ? binding(x, o->owner) : NULL;
    return o && o->type == KH_VAL_CACHE ? o : NULL;
}

/* The layout of the slab object b names, when the spec fixes its bytes. */
static bool debug_geom(struct exec *x, const struct xbind *b, struct oracle_slab_geom *g)
{
    const struct kh_config *cfg = kh_get_config(x->kh);
    if (b->api == API_KMALLOC) {
        if (!b->kclass || !cfg->slub_debug[0] || !oracle_kmalloc_cache_geometry(cfg, b->kclass, g))
            return false;
    } else {
        const struct xbind *c = object_cache(x, b);
        if (!c)
            return false;
        *g = c->geom;
    }
    return oracle_slab_debug_applies(cfg, g);
}

/* A live object's red zones and padding, req bytes of it in use. */
static bool check_live_bytes(struct exec *x, const struct oracle_slab_geom *g, const void *p, size_t req,
                             const char *when)
{
    char why[192];
    if (!x->opt.checks || x->finding || oracle_slab_check_live(g, p, req, why, sizeof(why)))
        return true;
    finding(x, "debug bytes wrong", "oracle", "%s: object %p (%u-byte object, %zu in use, slot %u): %s",
            when, p, g->object_size, req, g->size, why);
    return false;
}

/* Right after a legal free, while the slot is still a free (or held back)
 * object of a slab: inactive red zones, poison, padding. */
static void check_freed_bytes(struct exec *x, const struct oracle_slab_geom *g, const void *p)
{
    struct kh_object_info info;
    char why[192];
    if (!x->opt.checks || x->finding || kh_slab_object_lookup(x->kh, p, &info, NULL) != 0 ||
        info.addr != (uintptr_t)p || info.state == KH_OBJ_ALLOCATED)
        return;
    if (!oracle_slab_check_freed(g, p, why, sizeof(why)))
        finding(x, "debug bytes wrong", "oracle", "freed object %p (%u-byte object, slot %u): %s", p,
                g->object_size, g->size, why);
}

/* A fresh slab object p: the one the operation before freed, when that
 * free went onto this CPU's stack of the same cache (oracle_reuse.h). */
static void check_reuse(struct exec *x, const void *p)
{
    char why[256];
    if (x->opt.checks && !x->finding && !x->misuse_ran &&
        !oracle_reuse_handed_out(&x->reuse, x->kh, p, x->cpu, x->op_i, why, sizeof(why)))
        finding(x, "freed object not reused", "oracle", "%s", why);
}

/* Right after a caller's legal free of p: held back, when the quarantine
 * is on (oracle_quarantine.h). */
static void check_held_back(struct exec *x, const void *p)
{
    char why[256];
    if (x->opt.checks && !x->finding && !x->misuse_ran &&
        !oracle_quarantine_freed(&x->quarantine, x->kh, p, why, sizeof(why)))
        finding(x, "not held back", "oracle", "%s", why);
}

/* Before a legal free: the red zones intact, and an object of a ctor cache
 * put back in its constructed state, as a kernel caller must. */
static void before_free(struct exec *x, const struct xbind *b, const struct shadow_block *s)
{
    struct oracle_slab_geom g;
    if (debug_geom(x, b, &g))
        check_live_bytes(x, &g, b->p, b->api == API_KMALLOC ? s->size : g.object_size, "before free");
    const struct xbind *c = object_cache(x, b);
    if (c && c->geom.ctor)
        oracle_slab_reconstruct(b->p);
}

static void untrack(struct exec *x, struct xbind *b)
{
    struct shadow_block *s = shadow_find(&x->shadow, (uintptr_t)b->p);
    if (s) {
        verify_block(x, s, "before free");
        before_free(x, b, s);
        shadow_remove(&x->shadow, (uintptr_t)b->p);
    }
}

/* A legal free of b: a cache object freed through kfree/kvfree leaves its
 * cache with one object fewer. */
static struct xbind *binding(struct exec *x, int32_t var);
static void release(struct exec *x, struct xbind *b)
{
    if (b->api == API_CACHE && block_live(x, b)) {
        struct xbind *c = binding(x, b->owner);
        if (c && c->live)
            c->live--;
    }
    untrack(x, b);
}

/* After a misuse ran (EXPECT/RUN), whatever it touched is in an unknown
 * state: drop it from the model so no later operation counts as legal use. */
static void forget(struct exec *x, struct xbind *b)
{
    if (!b)
        return;
    if (block_live(x, b))
        shadow_remove(&x->shadow, (uintptr_t)b->p);
    b->tainted = true;
    /* a cache object's fate is unknown, so is its cache's object count */
    struct xbind *c = b->api == API_CACHE ? binding(x, b->owner) : NULL;
    if (c && c->type == KH_VAL_CACHE)
        c->tainted = true;
}

/* A misuse about to hand b back to the allocator (a wrong cache, a bad
 * size, a bulk with a duplicate): the caller still holds a constructed
 * object, as a kernel caller would, so the allocator's later hand-outs can
 * be judged by the ctor rule. Only a block the model knows is live is
 * written. */
static void forget_before_free(struct exec *x, struct xbind *b)
{
    if (b && block_live(x, b)) {
        const struct xbind *c = object_cache(x, b);
        if (c && c->geom.ctor)
            oracle_slab_reconstruct(b->p);
    }
    forget(x, b);
}

static void verify_all(struct exec *x)
{
    for (size_t i = 0; i < x->shadow.n && !x->finding; i++)
        verify_block(x, &x->shadow.v[i], "periodic check");
}

/* ---- operand resolution ---- */

static struct xbind *binding(struct exec *x, int32_t var)
{
    return var >= 0 && (size_t)var < x->nb ? &x->b[var] : NULL;
}

/* The binding a pointer operand names (NULL for NULL/ZERO_SIZE_PTR) and the
 * address it evaluates to. A stale pointer into memory handed out again
 * (legality_in_use_again), or an offset landing on another live block's
 * start, names that memory: the operand is marked as reused. */
static void mark_reused(struct exec *x, uint8_t rule)
{
    x->reused_operand = true;
    if (x->reused_rule == LR_NONE)
        x->reused_rule = rule;
}

/* Is p the start of a slab object the allocator has handed out? */
static bool starts_allocated_object(struct exec *x, const void *p)
{
    struct kh_object_info info;
    return kh_slab_object_lookup(x->kh, p, &info, NULL) == 0 && info.addr == (uintptr_t)p &&
           info.state == KH_OBJ_ALLOCATED;
}

static struct xbind *resolve_ptr(struct exec *x, const struct kh_operand *a, void **addr)
{
    struct xbind *b = NULL;
    switch (a->ptr_kind) {
    case KH_PTR_NULL:
        *addr = NULL;
        return NULL;
    case KH_PTR_ZERO_SIZE:
        *addr = ZERO_SIZE_PTR;
        return NULL;
    case KH_PTR_VAR:
        b = binding(x, a->var);
        break;
    case KH_PTR_ELEM: {
        struct xbind *arr = binding(x, a->var);
        if (arr && arr->elems && a->elem < arr->count)
            b = &arr->elems[a->elem];
        if (arr && arr->tainted)
            x->tainted_operand = true;   /* whatever a misuse left in it */
        break;
    }
    }
    /* Integer arithmetic: an offset may point anywhere (that is the misuse
     * being tested), which C pointer arithmetic does not allow. */
    *addr = b && b->p ? (void *)((uintptr_t)b->p + (uintptr_t)(intptr_t)a->offset) : NULL;
    if (b && b->tainted)
        x->tainted_operand = true;
    if (b && b->type == KH_VAL_PTR && !ZERO_OR_NULL_PTR(*addr) && !block_live(x, b) &&
        legality_in_use_again(x->kh, &x->shadow, *addr))
        mark_reused(x, LR_STALE_REUSED);
    /* An offset that lands exactly on another live block's start names that
     * block as far as any check can tell (p1+4096 may be the next slab's
     * first object), whether the model tracks it or the allocator handed it
     * out for itself (a mempool's reserve element). */
    if (b && b->type == KH_VAL_PTR && a->offset != 0 && !ZERO_OR_NULL_PTR(*addr) &&
        (shadow_find(&x->shadow, (uintptr_t)*addr) || starts_allocated_object(x, *addr)))
        mark_reused(x, LR_OFFSET_ONTO_LIVE_BLOCK);
    return b;
}

/* ---- legality: the executor's side of the table (legality.h) ---- */

/* A fresh verdict for the current operation: legal until a row says
 * otherwise. */
static void legal_init(struct exec *x, struct legality_ctx *c)
{
    memset(c, 0, sizeof(*c));
    c->kh = x->kh;
    c->lim = &x->lim;
    c->shadow = &x->shadow;
    c->op = &x->t->ops[x->op_i];
    c->legal = true;
    c->legal_rule = c->silent_rule = LR_NONE;
}

/* The rules' view of pointer operand a: as the callee sees it (a name
 * holding NULL or ZERO_SIZE_PTR is that value; the kernel takes every
 * address up to ZERO_SIZE_PTR as ZERO_SIZE_PTR, ZERO_OR_NULL_PTR), and
 * what the model knows of the binding it names. */
static void view_ptr(struct exec *x, struct legality_ctx *c, const struct kh_operand *a)
{
    struct legality_ptr *v = &c->ptr;
    void *addr;
    struct xbind *b = resolve_ptr(x, a, &addr);
    memset(v, 0, sizeof(*v));
    v->kind = (enum kh_ptr_kind)a->ptr_kind;
    if (a->ptr_kind == KH_PTR_VAR || a->ptr_kind == KH_PTR_ELEM) {
        if (!addr)
            v->kind = KH_PTR_NULL;   /* a name holding NULL, or an element past the array's end */
        else if ((uintptr_t)addr <= (uintptr_t)ZERO_SIZE_PTR)
            v->kind = KH_PTR_ZERO_SIZE;
    }
    v->addr = addr;
    if (!c->p)
        c->p = addr;   /* the address as written, unless the op set it */
    v->offset = a->offset;
    v->owner = -1;
    if (!b)
        return;
    v->bound = true;
    v->live = block_live(x, b);
    v->tainted = b->tainted;
    v->held = b->held;
    v->api = b->api;
    v->pool_kind = b->pool_kind;
    v->order = b->order;
    v->req = b->req;
    v->owner = b->owner;
    v->base = b->p;
    const struct xbind *cache = object_cache(x, b);
    v->ctor = cache && cache->geom.ctor;
}

/* The rules' view of a cache, pool or array operand. */
static void view_obj(struct exec *x, struct legality_obj *v, int32_t var)
{
    struct xbind *b = binding(x, var);
    memset(v, 0, sizeof(*v));
    v->var = var;
    v->owner = -1;
    v->elems_live = true;
    if (!b)
        return;
    v->bound = true;
    v->type = b->type;
    v->alive = b->alive;
    v->leaked = b->leaked;
    v->tainted = b->tainted;
    v->owner = b->owner;
    v->order = b->order;
    v->live = b->live;
    v->users = b->users;
    v->req = b->req;
    v->p = b->p;
    v->count = b->count;
    v->elems = b->elems != NULL;
    for (uint32_t i = 0; b->elems && i < b->count && v->elems_live; i++)
        v->elems_live = block_live(x, &b->elems[i]);
}

/* Applies the misuse policy to the verdict. Returns true when the op
 * should run. The outcome records the row that decided. */
static bool admit(struct exec *x, const struct legality_ctx *c)
{
    struct exec_outcome *o = &x->out[x->nout - 1];
    bool legal = c->legal;
    uint8_t rule = c->legal_rule;
    if (!legal && c->silent)
        rule = c->silent_rule;
    else if (!legal && x->reused_operand)
        rule = x->reused_rule;
    if (x->tainted_operand && x->opt.misuse != EXEC_MISUSE_RUN) {
        o->rule = LR_TAINTED_OPERAND + 1;
        x->skipped++;
        o->skipped = true;
        return false;
    }
    o->rule = rule == LR_NONE ? 0 : rule + 1;
    if (!legal && rule != c->legal_rule && c->legal_rule != LR_NONE)
        o->misuse_rule = c->legal_rule + 1;
    /* Misuse nobody could detect is not run under EXPECT. */
    if (!legal && (x->reused_operand || c->silent) && x->opt.misuse == EXEC_MISUSE_EXPECT) {
        x->skipped++;
        o->skipped = true;
        return false;
    }
    x->misuse = !legal;
    if (legal || x->opt.misuse == EXEC_MISUSE_RUN || x->opt.misuse == EXEC_MISUSE_EXPECT) {
        o->misuse = !legal;   /* the C reproducer marks it */
        x->misuse_ran |= !legal;
        return true;
    }
    x->skipped++;
    o->skipped = true;
    return false;
}

/* A verdict from the PRE rows alone (operations with no free check). */
static bool admit_pre(struct exec *x, struct legality_ctx *c)
{
    legality_judge(c, LS_PRE);
    return admit(x, c);
}

/* ---- NULL legitimacy ---- */

/* Per-CPU chunk growth is not modelled by the NULL oracle: could an
 * allocation of `pages` pages have failed legitimately? Only if the zones
 * cannot supply them while staying well above their watermarks and the
 * lowmem reserve against the requested zone (64 pages of slack). */
static bool memory_tight(struct exec *x, gfp_t gfp, unsigned long pages, unsigned order)
{
    int top = (gfp & __GFP_DMA) ? ZONE_DMA : (gfp & __GFP_DMA32) ? ZONE_DMA32 : MAX_NR_ZONES - 1;
    while (top > 0) {   /* the highest zone that exists is the request's zone */
        struct kh_zone_info zi;
        if (kh_zone_info(x->kh, (enum zone_type)top, &zi) == 0 && zi.present)
            break;
        top--;
    }
    if (order >= KH_MAX_ORDER_LIMIT)
        return true;
    unsigned long block = 1ul << order, needed = (pages + block - 1) / block, usable = 0;
    for (int z = 0; z <= top; z++) {
        struct kh_zone_info zi;
        if (kh_zone_info(x->kh, (enum zone_type)z, &zi) != 0 || !zi.present)
            continue;
        unsigned long blocks = 0, keep = 2 * zi.wmark_high + zi.lowmem_reserve[top] + 64;
        for (unsigned o = order; o < KH_MAX_ORDER_LIMIT; o++)
            blocks += zi.nr_free[o] << (o - order);
        unsigned long spare = zi.free > keep ? (zi.free - keep) / block : 0;
        usable += blocks < spare ? blocks : spare;
    }
    return usable < needed;
}

/* The order of a minimal new slab of a cache: SLUB's s->min, one object
 * (SPEC 5). For kmalloc without debugging the slot is the size class. */
static unsigned slab_min_order(struct exec *x, struct kmem_cache *c)
{
    struct kh_cache_info ci;
    if (c && kh_slab_cache_info(x->kh, c, &ci) == 0)
        return (unsigned)oracle_get_order(x->lim.page_shift, ci.size);
    return 0;
}

static unsigned kmalloc_slab_order(struct exec *x, size_t size, gfp_t gfp)
{
    if (size == 0 || size > x->lim.max_cache_size)
        return 0;
    if (!kh_get_config(x->kh)->slub_debug[0])
        return (unsigned)oracle_get_order(x->lim.page_shift, oracle_kmalloc_class(&x->lim, size));
    return slab_min_order(x, kh_kmalloc_cache(x->kh, size, gfp));
}

/* A cache's own zone modifiers (SLAB_CACHE_DMA, ...) decide its slabs' zone. */
static gfp_t cache_zone(struct exec *x, const struct xbind *c)
{
    struct kh_cache_info ci;
    gfp_t zone = 0;
    if (kh_slab_cache_info(x->kh, c->p, &ci) == 0) {
        if (ci.flags & SLAB_CACHE_DMA)
            zone |= __GFP_DMA;
        if (ci.flags & SLAB_CACHE_DMA32)
            zone |= __GFP_DMA32;
    }
    return zone;
}

/* Called after every judged allocation, NULL or not: the NULL oracle
 * (oracle_null.h) says whether this result was allowed. */
static void judge_alloc(struct exec *x, const struct nullo_call *c, const void *p, bool vm)
{
    struct exec_outcome *o = &x->out[x->nout - 1];
    o->fault_injected = kh_fault_injected(x->kh) > x->injected_before;
    if (!x->opt.checks)
        return;
    char why[512];
    const char *kind = nullo_judge(&x->nullo, x->kh, c, p, vm, why, sizeof(why));
    if (kind)
        finding(x, kind, "oracle", "%s", why);
    else if (!p && !o->fault_injected && !c->over_limit)
        o->memory_bound = true;
}

/* A zeroing allocation's bytes. The crash tools read the first
 * ZERO_CHECK_CAP bytes; a fuzz run reads a sample keyed by the block and
 * the operation (shadow_first_nonzero_sampled): the first and last bytes
 * and a few windows between, so that its cost is a few cache lines rather
 * than the block's pages. */
__attribute__((no_sanitize("coverage"))) static void check_zeroed(struct exec *x, const void *p, size_t n)
{
    if (!x->opt.checks)
        return;
    const uint8_t *b = p;
    size_t lim = n < ZERO_CHECK_CAP ? n : ZERO_CHECK_CAP;
    size_t i = x->opt.thorough ? shadow_first_difference(b, NULL, lim)
                               : shadow_first_nonzero_sampled(b, n, (uintptr_t)p ^ x->op_i);
    if (i < (x->opt.thorough ? lim : n))
        finding(x, "not zeroed", "oracle", "byte %zu of %p is %#x after a zeroing allocation", i,
                p, b[i]);
}

static void check_align(struct exec *x, const void *p, size_t align, const char *what)
{
    if (x->opt.checks && align > 1 && ((uintptr_t)p & (align - 1)))
        finding(x, "misaligned", "oracle", "%s %p is not aligned to %zu", what, p, align);
}

/* Every byte of a block below the end of the highest zone its gfp allows
 * (SPEC 3): the allocator falls back to lower zones only. */
static void check_zone(struct exec *x, const void *p, size_t bytes, gfp_t gfp, const char *what)
{
    int z = oracle_gfp_zone(gfp);
    if (!x->opt.checks || z < 0 || !p || ZERO_OR_NULL_PTR(p))
        return;
    uint64_t end = oracle_zone_end(kh_get_config(x->kh), (enum zone_type)z);
    uint64_t phys = kh_virt_to_phys(x->kh, p);
    if (phys + bytes > end)
        finding(x, "wrong zone", "oracle", "%s %p (physical %#" PRIx64 "+%zu) lies past the end of the "
                "zone its gfp %#x allows (%#" PRIx64 ")", what, p, phys, bytes, (unsigned)gfp, end);
}

/* The zone of physical address phys on this profile (they lie in order). */
static int zone_of_phys(const struct kh_config *cfg, uint64_t phys)
{
    for (int z = 0; z < MAX_NR_ZONES; z++)
        if (phys < oracle_zone_end(cfg, (enum zone_type)z))
            return z;
    return -1;
}

/* The executor counts CPUs itself (kmem.h: a CPU out of range is taken
 * modulo nr_cpus), so the rules that depend on the CPU never take the
 * allocator's word for it, and an allocator that ignores the switch is
 * seen at once. */
static void op_set_cpu(struct exec *x, unsigned cpu)
{
    unsigned cpus = kh_get_config(x->kh)->nr_cpus;
    kh_set_cpu(x->kh, cpu);
    x->cpu = cpu % cpus;
    if (x->opt.checks && kh_current_cpu(x->kh) != x->cpu)
        finding(x, "wrong CPU", "oracle", "set_cpu %u with %u CPUs left the allocator on CPU %u, not %u",
                cpu, cpus, kh_current_cpu(x->kh), x->cpu);
}

/* The block is the smallest free one split down (oracle_buddy.h). */
static void check_buddy_split(struct exec *x, const void *p, unsigned order)
{
    if (!x->opt.checks || x->finding || x->reclaims != x->reclaims_before || kh_boot_in_progress(x->kh))
        return;
    int served = zone_of_phys(kh_get_config(x->kh), kh_virt_to_phys(x->kh, p));
    char why[256];
    if (!oracle_buddy_split(x->kh, &x->nullo.pre, served, order, why, sizeof(why)))
        finding(x, "buddy lists wrong", "oracle", "%s", why);
}

/* A page block the fast path could serve comes from the zone it tries
 * first that passes (highest allowed first, SPEC 4), not a lower one. */
static void check_fast_path_zone(struct exec *x, const void *p, gfp_t gfp, unsigned order)
{
    if (!x->opt.checks || kh_boot_in_progress(x->kh) || x->out[x->nout - 1].fault_injected)
        return;
    int want = nullo_fast_path_zone(&x->nullo, gfp, order);
    int got = zone_of_phys(kh_get_config(x->kh), kh_virt_to_phys(x->kh, p));
    if (want >= 0 && got != want)
        finding(x, "wrong zone", "oracle", "an order-%u block for gfp %#x came from zone %d; zone %d "
                "passed its LOW mark with a free block, and the fast path takes the first that does",
                order, (unsigned)gfp, got, want);
}

/* ---- JSON ---- */

static void json_begin(struct exec *x)
{
    if (!x->opt.json)
        return;
    const struct kh_op *op = &x->t->ops[x->op_i];
    fprintf(x->opt.json, "{\"line\": %d, \"op\": \"%s\"", op->line, op_name(x));
}

static void json_ptr(struct exec *x, const void *p)
{
    if (!x->opt.json)
        return;
    const struct kh_op *op = &x->t->ops[x->op_i];
    fprintf(x->opt.json, ", \"ok\": %s", p ? "true" : "false");
    if (!p)
        fputs(", \"ptr\": \"NULL\"", x->opt.json);
    else if (p == ZERO_SIZE_PTR)
        fputs(", \"ptr\": \"ZERO_SIZE_PTR\"", x->opt.json);
    else if (op->result_var >= 0)
        fprintf(x->opt.json, ", \"ptr\": \"%s\"", kh_trace_var_name(x->t, op->result_var));
    else
        fputs(", \"ptr\": \"(unbound)\"", x->opt.json);
}

static void json_num(struct exec *x, const char *key, unsigned long long v)
{
    if (x->opt.json)
        fprintf(x->opt.json, ", \"%s\": %llu", key, v);
}

static void json_bool(struct exec *x, const char *key, bool v)
{
    if (x->opt.json)
        fprintf(x->opt.json, ", \"%s\": %s", key, v ? "true" : "false");
}

static void json_end(struct exec *x)
{
    if (!x->opt.json)
        return;
    struct exec_outcome *o = &x->out[x->nout - 1];
    if (o->rule)
        fprintf(x->opt.json, ", \"rule\": \"%s\"", exec_outcome_rule(o));
    if (o->misuse_rule)
        fprintf(x->opt.json, ", \"misuse_rule\": \"%s\"", exec_outcome_misuse_rule(o));
    if (o->skipped)
        fputs(", \"skipped\": true", x->opt.json);
    if (o->over_budget)
        fputs(", \"over_budget\": true", x->opt.json);
    fputs("}\n", x->opt.json);
}

/* ---- operations ---- */

static struct xbind *result(struct exec *x)
{
    int32_t v = x->t->ops[x->op_i].result_var;
    if (v < 0) {
        free(x->scratch.elems);
        memset(&x->scratch, 0, sizeof(x->scratch));
        x->scratch.owner = -1;
        return &x->scratch;
    }
    struct xbind *b = &x->b[v];
    free(b->elems);
    memset(b, 0, sizeof(*b));
    b->owner = -1;
    b->type = x->t->vars[v].type;
    return b;
}

static void note_alloc(struct exec *x, void *p)
{
    x->out[x->nout - 1].ok = p != NULL;
    x->out[x->nout - 1].zero_size_ptr = p == ZERO_SIZE_PTR;
    json_ptr(x, p);
}

/* The kmalloc-N cache a request of size lands in (0: the page allocator
 * or SLOB, whose objects have no slab geometry here). */
static uint32_t kmalloc_slab_class(const struct exec *x, size_t size)
{
    if (size == 0 || size > x->lim.max_cache_size || x->lim.design == KH_SLAB_SLOB)
        return 0;
    return (uint32_t)oracle_kmalloc_class(&x->lim, size);
}

/* Under slub_debug, a kmalloc object's red zones (the kmalloc one from
 * req on) and padding as the spec lays them out for its size class. */
static void check_kmalloc_bytes(struct exec *x, const struct xbind *b, const void *p, size_t req,
                                const char *when)
{
    struct oracle_slab_geom g;
    if (x->opt.checks && !x->finding && debug_geom(x, b, &g))
        check_live_bytes(x, &g, p, req, when);
}

/* kmalloc-family result: class, alignment, ZERO_SIZE_PTR and NULL rules. */
/* A slab-backed kmalloc object comes from the cache its size and gfp
 * name (SPEC 1), e.g. kmalloc-rcl-96 for __GFP_RECLAIMABLE. */
static void check_kmalloc_origin(struct exec *x, const void *p, size_t size, gfp_t gfp)
{
    char want[64];
    struct kh_object_info info;
    struct kmem_cache *cache = NULL;
    struct kh_cache_info ci;
    if (!oracle_kmalloc_cache_name(&x->lim, size, gfp, want, sizeof(want)) ||
        kh_slab_object_lookup(x->kh, p, &info, &cache) != 0 || !cache ||
        kh_slab_cache_info(x->kh, cache, &ci) != 0)
        return;
    if (strcmp(ci.name, want) != 0)
        finding(x, "wrong cache", "oracle", "kmalloc(%zu, %#x) came from %s; the spec names %s", size,
                (unsigned)gfp, ci.name, want);
}

static void after_kmalloc(struct exec *x, void *p, size_t size, gfp_t gfp, bool zeroing, bool overflow)
{
    note_alloc(x, p);
    struct xbind *b = result(x);
    b->api = API_KMALLOC;
    bool over = overflow || size > x->lim.max_size;
    struct nullo_call nc = { .kind = NK_KMALLOC, .gfp = gfp, .size = size, .over_limit = over,
                             .slab_order = kmalloc_slab_order(x, size, gfp) };
    judge_alloc(x, &nc, p, false);
    if (p == ZERO_SIZE_PTR) {
        if (x->opt.checks && (size != 0 || overflow))
            finding(x, "wrong result", "oracle", "ZERO_SIZE_PTR for a %zu-byte request", size);
        b->p = p;
        return;
    }
    if (!p) {
        if (x->opt.checks && size == 0 && !overflow)
            finding(x, "wrong result", "oracle", "NULL for kmalloc(0); expected ZERO_SIZE_PTR");
        return;
    }
    if (x->opt.checks && over) {
        finding(x, "wrong result", "oracle", "%zu bytes (or overflow) must give NULL, got %p", size, p);
        return;
    }
    if (size == 0) {
        finding(x, "wrong result", "oracle", "kmalloc(0) returned %p; expected ZERO_SIZE_PTR", p);
        return;
    }
    size_t ks = kh_ksize(x->kh, p);
    json_num(x, "ksize", ks);
    if (x->opt.checks) {
        size_t want = oracle_ksize(&x->lim, size);
        if (ks != want && !(kh_get_config(x->kh)->slub_debug[0] && ks >= size))
            finding(x, "ksize mismatch", "oracle", "ksize(kmalloc(%zu)) = %zu, the profile's class is %zu",
                    size, ks, want);
        check_align(x, p, oracle_kmalloc_align(&x->lim, kh_get_config(x->kh), size), "kmalloc result");
        check_zone(x, p, size, gfp & __GFP_DMA, "kmalloc result");   /* DMA32, HIGHMEM dropped */
        check_kmalloc_origin(x, p, size, gfp);
        if (zeroing)
            check_zeroed(x, p, size);
    }
    b->kclass = kmalloc_slab_class(x, size);
    check_reuse(x, p);
    check_kmalloc_bytes(x, b, p, size, "allocated");
    track(x, b, p, size, SHADOW_KMALLOC);
    b->usable = oracle_ksize(&x->lim, size);
}

/* The allocator's copy of caller data in the last call (kh_last_copy) must
 * read from the old object and stay within what the spec lets it read: for
 * krealloc the old object's ksize (SPEC 2; 6.1 copies ksize bytes), for
 * kvrealloc exactly oldsize. The copy itself runs outside ASan's view. */
/* The allocator's clearing of a caller's object (kh_last_clear): inside
 * [obj, obj + usable), or (exact) all of it from obj, as kfree_sensitive
 * must (SPEC 2: it zeroes ksize(p) bytes). */
static void check_clear(struct exec *x, unsigned long count_before, const void *obj, size_t usable,
                        bool exact)
{
    struct kh_copy_info c;
    kh_last_clear(x->kh, &c);
    if (!x->opt.checks || c.count == count_before || !usable)
        return;
    uintptr_t at = (uintptr_t)c.dst, start = (uintptr_t)obj;
    if (at < start || at - start > usable || c.n > usable - (at - start) ||
        (exact && (at != start || c.n != usable)))
        finding(x, "clear out of bounds", "oracle", "%s cleared %zu bytes at %p; the object %p "
                "allows %s%zu bytes from its start", op_name(x), c.n, c.dst, obj,
                exact ? "exactly " : "at most ", usable);
}

enum copy_rule { COPY_AT_MOST, COPY_EXACTLY, COPY_NONE };

static void check_copy(struct exec *x, unsigned long count_before, const void *src, size_t limit,
                       enum copy_rule rule)
{
    struct kh_copy_info c;
    kh_last_copy(x->kh, &c);
    if (!x->opt.checks || c.count == count_before || (rule == COPY_AT_MOST && !limit))
        return;   /* no copy, or a bound the model does not know (a cache object) */
    if (rule == COPY_NONE)
        finding(x, "copy out of bounds", "oracle", "%s copied %zu bytes from %p where it must "
                "copy nothing", op_name(x), c.n, c.src);
    else if (c.src != src || c.n > limit || (rule == COPY_EXACTLY && c.n != limit))
        finding(x, "copy out of bounds", "oracle",
                "%s copied %zu bytes from %p; the old object %p allows %s%zu", op_name(x), c.n,
                c.src, src, rule == COPY_EXACTLY ? "exactly " : "at most ", limit);
}

/* An operation that moved the caller's data must have noted the copy, or
 * check_copy, which judges the noted one, would have nothing to judge. */
static void require_copy(struct exec *x, unsigned long count_before)
{
    struct kh_copy_info c;
    kh_last_copy(x->kh, &c);
    if (x->opt.checks && !x->finding && c.count == count_before)
        finding(x, "copy unseen", "oracle", "%s moved the caller's data without noting the copy "
                "(kh_note_copy), so its bounds went unchecked", op_name(x));
}

/* A block resized in place may have several names (p2 = krealloc p1 ...
 * in place leaves p1 naming it too): every one of them now covers the new
 * size, or a later access through a stale name would overrun it. */
static void resize_aliases(struct exec *x, uint32_t id, size_t req)
{
    for (size_t i = 0; i < x->nb; i++) {
        struct xbind *b = &x->b[i];
        /* block_live too: a binding with no block (NULL, ZERO_SIZE_PTR)
         * keeps id 0, which is also the first block's */
        if (b->type == KH_VAL_PTR && b->id == id && block_live(x, b))
            b->req = req;
        for (uint32_t j = 0; b->elems && j < b->count; j++)
            if (b->elems[j].type == KH_VAL_PTR && b->elems[j].id == id && block_live(x, &b->elems[j]))
                b->elems[j].req = req;
    }
}

/* Are krealloc's spare bytes (past the new size, within ksize) zero? The
 * observer reads what ASan keeps from the caller (SPEC 10). */
__attribute__((no_sanitize("address"))) static bool spare_zero(const uint8_t *p, size_t n)
{
    size_t i = 0;
    for (; i < n && ((uintptr_t)(p + i) & 7); i++)
        if (p[i])
            return false;
    for (; i + 8 <= n; i += 8)   /* a word at a time: the spare may be megabytes */
        if (*(const uint64_t *)(p + i))
            return false;
    for (; i < n; i++)
        if (p[i])
            return false;
    return true;
}

static void op_krealloc(struct exec *x, const struct kh_op *op, size_t n, size_t size, gfp_t gfp,
                        bool overflow)
{
    void *old;
    struct xbind *ob = resolve_ptr(x, &op->args[0], &old);
    struct legality_ctx lc;
    legal_init(x, &lc);
    view_ptr(x, &lc, &op->args[0]);
    legality_free(&lc, API_KMALLOC);
    legality_judge(&lc, LS_POST);
    bool legal = lc.legal;
    if (!admit(x, &lc)) {
        json_ptr(x, NULL);
        return;
    }
    size_t total = overflow ? 0 : n * size;
    /* What must survive: the old object's patterned prefix (none when the
     * caller wrote its own bytes into it). */
    size_t keep = 0;
    uintptr_t old_addr = (uintptr_t)old;
    /* The prefix as it is now (the fill pattern, or what `write` put
     * there), so a difference after the call is krealloc's. */
    static uint8_t before[PATTERN_CAP];
    bool patterned = false;
    if (legal && ob && block_live(x, ob)) {
        const struct shadow_block *s = shadow_find(&x->shadow, old_addr);
        patterned = s && s->patterned;
        /* the shadow block's size, not this binding's: a stale alias of a
         * block that krealloc shrank in place still names the old size */
        keep = !s ? 0 : s->size < total ? s->size : total;
        if (keep > PATTERN_CAP)
            keep = PATTERN_CAP;
        /* Intact before the call, so a difference after it is krealloc's. */
        if (s)
            verify_block(x, s, "before krealloc");
        memcpy(before, old, keep);
    }
    struct kh_copy_info copy_before, clear_before;
    kh_last_copy(x->kh, &copy_before);
    kh_last_clear(x->kh, &clear_before);
    void *p = op->code == KH_OP_KREALLOC ? kh_krealloc(x->kh, old, total, gfp)
                                         : kh_krealloc_array(x->kh, old, n, size, gfp);
    if (!legal) {
        forget(x, ob);
        return;  /* what it returned is unknown territory too: not bound */
    }  /* misuse run under EXPECT/RUN: reports are judged by the caller */
    if (ob && !ZERO_OR_NULL_PTR(old) && lc.ptr.kind != KH_PTR_NULL)
        check_copy(x, copy_before.count, old, ob->usable, COPY_AT_MOST);
    note_alloc(x, p);
    struct xbind *rb = result(x);
    rb->api = API_KMALLOC;
    struct nullo_call nc = { .kind = !ob || ZERO_OR_NULL_PTR(old) ? NK_KMALLOC : NK_KREALLOC, .gfp = gfp,
                             .size = total, .over_limit = overflow || total > x->lim.max_size,
                             .slab_order = kmalloc_slab_order(x, total, gfp) };
    judge_alloc(x, &nc, p, false);
    if (!ob || ZERO_OR_NULL_PTR(old)) {
        /* krealloc(NULL, n) is kmalloc(n) */
        x->out[x->nout - 1].ok = p != NULL;
        if (p && p != ZERO_SIZE_PTR) {
            json_num(x, "ksize", kh_ksize(x->kh, p));
            rb->kclass = kmalloc_slab_class(x, total);
            check_kmalloc_bytes(x, rb, p, total, "krealloc(NULL) result");
            track(x, rb, p, total, SHADOW_KMALLOC);
            rb->usable = oracle_ksize(&x->lim, total);
        } else {
            rb->p = p;
        }
        return;
    }
    if (total == 0 && !overflow) {
        /* krealloc(p, 0) frees p and returns ZERO_SIZE_PTR */
        if (x->opt.checks && p != ZERO_SIZE_PTR)
            finding(x, "wrong result", "oracle", "krealloc(p, 0) returned %p; expected ZERO_SIZE_PTR", p);
        shadow_remove(&x->shadow, old_addr);  /* already freed by krealloc */
        rb->p = p;
        return;
    }
    if (!p) {
        /* The old object must be intact and still live. */
        struct shadow_block *s = shadow_find(&x->shadow, old_addr);
        bool intact = !s || verify_block(x, s, "old object after a failed krealloc");
        if (patterned)
            json_bool(x, "preserved", intact);
        return;
    }
    json_num(x, "ksize", kh_ksize(x->kh, p));
    json_bool(x, "same", p == old);
    if (p != old && keep)
        require_copy(x, copy_before.count);
    if (x->opt.checks) {
        const uint8_t *np = p;
        size_t i = 0;
        while (i < keep && np[i] == before[i])
            i++;
        if (patterned)
            json_bool(x, "preserved", i == keep);
        if (i < keep) {
            finding(x, "krealloc lost data", "oracle",
                    "byte %zu of the %zu-byte prefix differs after krealloc(%#" PRIxPTR ", %zu) -> %p",
                    i, keep, old_addr, total, p);
            return;
        }
    }
    if (p == old && (gfp & __GFP_ZERO)) {
        size_t ks = kh_ksize(x->kh, p);
        json_bool(x, "spare_zero", ks <= total || spare_zero((const uint8_t *)p + total, ks - total));
        /* SPEC 10: in place, __GFP_ZERO zeroes from the new size up to
         * ksize (the spec's, the old object's); under slub_debug the
         * kmalloc red zone takes those bytes instead */
        if (x->opt.checks && !kh_get_config(x->kh)->slub_debug[0] && ob->usable > total &&
            !spare_zero((const uint8_t *)p + total, ob->usable - total))
            finding(x, "not zeroed", "oracle",
                    "krealloc(%#" PRIxPTR ", %zu, __GFP_ZERO) stayed in place, but bytes %zu..%zu "
                    "(up to ksize) are not all zero", old_addr, total, total, ob->usable);
    }
    if (p == old) {
        /* Same object, new size: keep the id so the pattern stays valid. */
        check_copy(x, copy_before.count, old, 0, COPY_NONE);   /* nothing to copy in place */
        check_clear(x, clear_before.count, old, ob->usable, false);
        struct shadow_block *s = shadow_find(&x->shadow, old_addr);
        const struct shadow_block *hit = s ? shadow_resize(&x->shadow, s, total) : NULL;
        if (hit)
            finding(x, "overlap", "shadow", "krealloc grew %p to %zu bytes over a live block at %#" PRIxPTR,
                    p, total, hit->start);
        if (s && x->opt.checks) {
            size_t lim = total < PATTERN_CAP ? total : PATTERN_CAP;
            size_t keep_size = s->size;
            s->size = lim;
            /* A written block is patterned afresh from its start. */
            shadow_fill(s, patterned ? keep : 0);
            s->size = keep_size;
        }
        *rb = *ob;
        resize_aliases(x, ob->id, total);
        /* in place: the kmalloc red zone now starts at the new size */
        check_kmalloc_bytes(x, rb, p, total, "krealloc in place");
        return;
    }
    shadow_remove(&x->shadow, old_addr);
    rb->kclass = kmalloc_slab_class(x, total);
    check_kmalloc_bytes(x, rb, p, total, "krealloc result");
    track(x, rb, p, total, SHADOW_KMALLOC);
    rb->usable = oracle_ksize(&x->lim, total);
}

static void op_kfree(struct exec *x, const struct kh_op *op, bool sensitive)
{
    void *p;
    struct xbind *b = resolve_ptr(x, &op->args[0], &p);
    struct legality_ctx lc;
    legal_init(x, &lc);
    view_ptr(x, &lc, &op->args[0]);
    legality_free(&lc, API_KMALLOC);
    legality_judge(&lc, LS_POST);
    if (!admit(x, &lc))
        return;
    struct oracle_slab_geom g;
    bool freed_bytes = false;
    size_t usable = b && !x->misuse && block_live(x, b) && op->args[0].offset == 0 ? b->usable : 0;
    struct kh_copy_info clear_before;
    kh_last_clear(x->kh, &clear_before);
    bool legal_free = b && !x->misuse && block_live(x, b);
    if (legal_free) {
        freed_bytes = debug_geom(x, b, &g);
        if (op->args[0].offset == 0)
            oracle_reuse_before_free(&x->reuse, x->kh, p, x->cpu, x->op_i);
        release(x, b);
    } else if (x->misuse) {
        forget_before_free(x, b);   /* a variable holding NULL stays as it is */
    }
    if (sensitive) {
        kh_kfree_sensitive(x->kh, p);
        check_clear(x, clear_before.count, p, usable, true);
    } else {
        kh_kfree(x->kh, p);
    }
    if (freed_bytes)
        check_freed_bytes(x, &g, p);
    if (legal_free)
        check_held_back(x, p);
}

static void op_ksize(struct exec *x, const struct kh_op *op)
{
    void *p;
    struct xbind *b = resolve_ptr(x, &op->args[0], &p);
    struct legality_ctx lc;
    legal_init(x, &lc);
    view_ptr(x, &lc, &op->args[0]);
    legality_free(&lc, API_KMALLOC);
    legality_judge(&lc, LS_POST);
    bool legal = lc.legal;
    if (!admit(x, &lc))
        return;
    size_t ks = kh_ksize(x->kh, p);
    json_num(x, "ksize", ks);
    if (x->opt.checks && legal && b && b->req && ks < b->req)
        finding(x, "ksize mismatch", "oracle", "ksize %zu below the %zu bytes requested", ks, b->req);
}

/* Is c the cache another live binding already names (an alias)? */
static bool names_other_cache(struct exec *x, const struct kmem_cache *c, const struct xbind *self)
{
    for (size_t i = 0; i < x->nb; i++)
        if (&x->b[i] != self && x->b[i].type == KH_VAL_CACHE && x->b[i].alive && x->b[i].p == c)
            return true;
    return false;
}

/* The created cache against the spec's geometry for these arguments
 * (oracle_slab.h), never against what the cache says about itself. */
static void check_cache_geometry(struct exec *x, struct xbind *b, const struct kh_cache_info *ci,
                                 size_t size, size_t align, slab_flags_t flags, bool ctor,
                                 int64_t freeptr)
{
    const struct kh_config *cfg = kh_get_config(x->kh);
    char why[256];
    if (!oracle_slab_geometry_args(cfg, size, align, flags, ctor, freeptr, &b->geom)) {
        finding(x, "cache geometry", "oracle",
                "kmem_cache_create(%zu, align %zu, flags %#x%s) succeeded; no slab order fits its slot",
                size, align, flags, ctor ? ", ctor" : "");
        return;
    }
    bool merged = ci->refcount > 1 || names_other_cache(x, b->p, b);
    if (!oracle_slab_check_cache(cfg, &b->geom, ci, merged, why, sizeof(why)))
        finding(x, "cache geometry", "oracle", "kmem_cache_create(%zu, align %zu, flags %#x%s): %s", size,
                align, flags, ctor ? ", ctor" : "", why);
}

/* The caches that exist, oldest first: what the merge rule looks at. */
struct merge_snap {
    struct oracle_merge_cand *c;
    unsigned n, cap;
    bool oom;
};

static int note_cand(void *ctx, const struct kh_cache_info *ci)
{
    struct merge_snap *m = ctx;
    if (m->n == m->cap) {
        unsigned cap = m->cap ? 2 * m->cap : 64;
        struct oracle_merge_cand *c = realloc(m->c, cap * sizeof(*c));
        if (!c) {
            m->oom = true;
            return 1;
        }
        m->c = c;
        m->cap = cap;
    }
    m->c[m->n++] = (struct oracle_merge_cand){ ci->cache, (uint32_t)ci->flags, ci->size, ci->has_ctor,
                                               ci->is_kmalloc, ci->dead };
    return 0;
}

/* kmem_cache_create must alias exactly the cache SPEC 5's rule picks, or
 * none (oracle_slab_merge_target), whatever the allocator thinks. */
static void check_merge(struct exec *x, const struct merge_snap *m, const struct kmem_cache *c,
                        size_t size, size_t align, slab_flags_t flags, bool ctor)
{
    struct oracle_slab_geom g;
    const struct kh_config *cfg = kh_get_config(x->kh);
    long t;
    if (m->oom || !c || !oracle_slab_geometry(cfg, size, align, flags, ctor, &g) ||
        !oracle_slab_merge_target(cfg, &g, m->c, m->n, &t))
        return;
    const void *want = t >= 0 ? m->c[t].cache : NULL;
    bool existed = false;
    for (unsigned i = 0; i < m->n; i++)
        existed = existed || m->c[i].cache == c;
    if (want && c != want) {
        struct kh_cache_info wi;
        finding(x, "cache merge", "oracle",
                "kmem_cache_create(%zu, align %zu, flags %#x) got %s, but cache %s (slot %u, flags %#x) "
                "is the newest it must merge with", size, align, flags,
                existed ? "another existing cache" : "a cache of its own",
                kh_slab_cache_info(x->kh, (struct kmem_cache *)want, &wi) == 0 ? wi.name : "?",
                m->c[t].size, m->c[t].flags);
    } else if (!want && existed) {
        finding(x, "cache merge", "oracle",
                "kmem_cache_create(%zu, align %zu, flags %#x%s) aliased an existing cache; the spec "
                "gives it no merge target", size, align, flags, ctor ? ", ctor" : "");
    }
}

/* SPEC 5: an alias raises the cache's object size to the largest size
 * merged into it, and it never shrinks while the cache lives. Every
 * binding that names the cache carries that running maximum. */
static void note_cache_size(struct exec *x, struct xbind *b, uint32_t size)
{
    uint32_t max = size;
    for (size_t i = 0; i < x->nb; i++) {
        const struct xbind *o = &x->b[i];
        if (o != b && o->type == KH_VAL_CACHE && (o->alive || o->leaked) && o->p == b->p &&
            o->cache_size > max)
            max = o->cache_size;
    }
    for (size_t i = 0; i < x->nb; i++) {
        struct xbind *o = &x->b[i];
        if (o->type == KH_VAL_CACHE && (o->alive || o->leaked) && o->p == b->p)
            o->cache_size = max;
    }
    b->cache_size = max;
}

static void op_cache_create(struct exec *x, const struct kh_op *op)
{
    const char *name = kh_trace_str(x->t, op->args[0].u);
    uint64_t size = op->args[1].u, align = op->args[2].u;
    slab_flags_t flags = (slab_flags_t)op->args[3].u & ~(slab_flags_t)SLAB_PANIC;
    /* kmem_cache_create_args (6.12): a freeptr_offset instead of a ctor */
    bool args = op->code == KH_OP_KMEM_CACHE_CREATE_ARGS;
    bool ctor = !args && op->args[4].u != 0;
    int64_t freeptr = args ? (op->args[4].u <= UINT32_MAX ? (int64_t)op->args[4].u : INT64_MAX) : -1;
    struct kmem_cache *c = NULL;
    if (size <= UINT32_MAX && align <= UINT32_MAX && args && freeptr <= UINT32_MAX)
        c = kh_kmem_cache_create_args(x->kh, name, (unsigned)size, (unsigned)align, flags,
                                      (unsigned)freeptr);
    else if (size <= UINT32_MAX && align <= UINT32_MAX && !args) {
        struct merge_snap m = { 0 };
        if (x->opt.checks)
            kh_for_each_cache(x->kh, note_cand, &m);
        c = kh_kmem_cache_create(x->kh, name, (unsigned)size, (unsigned)align, flags,
                                 ctor ? oracle_slab_ctor : NULL);
        if (x->opt.checks)
            check_merge(x, &m, c, (size_t)size, (size_t)align, flags, ctor);
        free(m.c);
    }
    note_alloc(x, c);
    struct xbind *b = result(x);
    b->p = c;
    b->alive = c != NULL;
    if (!c)
        return;
    struct kh_cache_info ci;
    if (kh_slab_cache_info(x->kh, c, &ci) == 0) {
        b->req = (size_t)size;   /* what the caller may use, alias or not */
        note_cache_size(x, b, (uint32_t)size);
        b->order = ci.order;
        json_num(x, "object_size", ci.object_size);
        json_num(x, "size", ci.size);
        json_num(x, "align", ci.align);
        json_num(x, "order", ci.order);
        json_num(x, "objects", ci.objects_per_slab);
        if (x->opt.checks)
            check_cache_geometry(x, b, &ci, (size_t)size, (size_t)align, flags, ctor, freeptr);
        else
            oracle_slab_geometry_args(kh_get_config(x->kh), (size_t)size, (size_t)align, flags, ctor,
                                      freeptr, &b->geom);
        /* An alias hands out its target's objects, which are served as the
         * target is: SLAB_CONSISTENCY_CHECKS alone does not keep a cache
         * from merging in 6.1 (it is not in SLAB_NEVER_MERGE), and the
         * cache it joins has no debug flag, so its objects come off CPU
         * slabs (the geometry check above held the alias to the rule). */
        if (ci.refcount > 1 || names_other_cache(x, b->p, b))
            b->geom.flags = (b->geom.flags & ~(uint32_t)SLAB_DEBUG_FLAGS) |
                            ((uint32_t)ci.flags & SLAB_DEBUG_FLAGS);
    }
}

static struct xbind *live_cache(struct exec *x, const struct kh_operand *a)
{
    struct xbind *c = binding(x, a->var);
    return c && c->type == KH_VAL_CACHE && c->alive ? c : NULL;
}

/* A live cache, or one destroyed with objects out: 6.1 leaves that one on
 * the cache list, so shrinking it or asking its size is still fine. */
static struct xbind *existing_cache(struct exec *x, const struct kh_operand *a)
{
    struct xbind *c = binding(x, a->var);
    return c && c->type == KH_VAL_CACHE && (c->alive || c->leaked) ? c : NULL;
}

static int count_empty(void *ctx, const struct kh_slab_info *si)
{
    *(unsigned *)ctx += si->inuse == 0;
    return 0;
}

/* The cache's slabs that hold no object, on any list. */
static unsigned empty_slabs(struct exec *x, struct kmem_cache *c)
{
    unsigned n = 0;
    kh_for_each_slab(x->kh, c, count_empty, &n);
    return n;
}

/* SPEC 5: kmem_cache_shrink gives back every slab of the cache that holds
 * no object (SLUB flushes the CPU slabs first; classic SLAB drains its
 * arrays and its free list), the quarantine's included. */
static void check_shrunk(struct exec *x, const struct xbind *c)
{
    if (!x->opt.checks || x->finding || x->lim.design == KH_SLAB_SLOB)
        return;
    unsigned n = empty_slabs(x, c->p);
    if (n)
        finding(x, "shrink kept empty slabs", "oracle",
                "kmem_cache_shrink left %u slab%s without a live object in the cache", n,
                n == 1 ? "" : "s");
}

/* SPEC 5, 6: SLUB serves a cache with any debug flag from its node's lists
 * only, so no CPU ever holds one of its slabs and every allocation and
 * free goes through the checks. Any other cache serves an allocation from
 * the current CPU's slab: a partial or new slab becomes that CPU's slab
 * before the object leaves it. A bulk allocation may move on to another
 * slab after an object, so only single allocations are held to that. */
static void check_slub_cpu_slab(struct exec *x, const struct xbind *c, const void *p, bool single)
{
    if (x->lim.design != KH_SLAB_SLUB)
        return;
    bool debug = (c->geom.flags & SLAB_DEBUG_FLAGS) != 0;
    if (!debug && !single)
        return;
    struct oracle_slab_holder f;
    if (!oracle_slab_holder(x->kh, c->p, p, &f))
        return;   /* not in this cache: the shadow's checks say so */
    unsigned cpu = x->cpu;
    if (debug && f.list == KH_SLAB_LIST_CPU)
        finding(x, "debug cache on a CPU slab", "oracle",
                "object %p of a cache with debug flags %#x comes from a CPU's slab; SLUB keeps such "
                "caches off the per-CPU fast path", p, (unsigned)(c->geom.flags & SLAB_DEBUG_FLAGS));
    else if (!debug && (f.list != KH_SLAB_LIST_CPU || f.cpu != (int)cpu))
        finding(x, "object not from the CPU slab", "oracle",
                "object %p came from a slab on the %s list (CPU %d) while CPU %u allocated; SLUB "
                "serves a cache without debug flags from the current CPU's slab", p,
                kh_slab_list_name(f.list), f.cpu, cpu);
}

/* A cache object leaving the allocator: the spec's alignment (not the
 * cache's), zeroed or constructed bytes, and its debug bytes. */
static void check_cache_obj(struct exec *x, const struct xbind *c, const void *p, bool zeroing,
                            bool single)
{
    if (!x->opt.checks)
        return;
    check_align(x, p, c->geom.align, "cache object");
    if (zeroing)
        check_zeroed(x, p, c->req);
    else if (c->geom.ctor && !c->ctor_lost && !x->finding && !oracle_slab_constructed(p))
        finding(x, "object not constructed", "oracle",
                "object %p of a cache with a constructor holds %#x at byte 0, not what the constructor wrote",
                p, *(const uint8_t *)p);
    if (oracle_slab_debug_applies(kh_get_config(x->kh), &c->geom))
        check_live_bytes(x, &c->geom, p, c->geom.object_size, "allocated");
    check_slub_cpu_slab(x, c, p, single);
}

static void after_cache_obj(struct exec *x, struct xbind *c, int32_t cvar, void *p, gfp_t gfp, bool zeroing)
{
    note_alloc(x, p);
    struct xbind *b = result(x);
    b->api = API_CACHE;
    b->owner = cvar;
    struct nullo_call nc = { .kind = NK_CACHE, .gfp = gfp, .cache_zone = cache_zone(x, c),
                             .slab_order = slab_min_order(x, c->p) };
    judge_alloc(x, &nc, p, false);
    if (!p)
        return;
    c->live++;
    check_reuse(x, p);
    check_cache_obj(x, c, p, zeroing, true);
    if (c->geom.flags & SLAB_CACHE_DMA)
        check_zone(x, p, c->req, __GFP_DMA, "object of a SLAB_CACHE_DMA cache");
    track(x, b, p, c->req, SHADOW_CACHE_OBJ);
}

/* The cache a cache operand names even when it is destroyed, or the NULL a
 * failed create returned: what a misuse run passes to the allocator, which
 * must report it. */
static struct kmem_cache *any_cache(struct exec *x, const struct kh_operand *a)
{
    struct xbind *cb = binding(x, a->var);
    return cb && cb->type == KH_VAL_CACHE ? cb->p : NULL;
}

/* The gfp argument is always an operation's last (trace.h). */
static gfp_t op_gfp(const struct kh_op *op)
{
    return (gfp_t)op->args[kh_op_nargs(kh_op_desc((enum kh_opcode)op->code)) - 1].u;
}

static int node_arg(const struct kh_operand *a) { return a->u == UINT64_MAX ? NUMA_NO_NODE : (int)a->u; }

static void *call_cache_alloc(struct exec *x, const struct kh_op *op, void *cache, bool zero)
{
    gfp_t gfp = op_gfp(op);
    if (op->code == KH_OP_KMEM_CACHE_ALLOC_NODE)
        return kh_kmem_cache_alloc_node(x->kh, cache, gfp, node_arg(&op->args[1]));
    return zero ? kh_kmem_cache_zalloc(x->kh, cache, gfp) : kh_kmem_cache_alloc(x->kh, cache, gfp);
}

static void op_cache_alloc(struct exec *x, const struct kh_op *op, bool zero)
{
    struct xbind *c = live_cache(x, &op->args[0]);
    struct legality_ctx lc;
    legal_init(x, &lc);
    view_obj(x, &lc.obj, op->args[0].var);
    if (!admit_pre(x, &lc))
        return;
    gfp_t gfp = op_gfp(op);
    if (!c || !lc.legal) {
        /* Misuse being run: a destroyed cache, or the NULL a failed create
         * returned (the allocator must report it), or a node the model does
         * not have. Nothing is tracked. */
        struct xbind *cb = binding(x, op->args[0].var);
        void *cache = cb && cb->type == KH_VAL_CACHE ? cb->p : NULL;
        note_alloc(x, call_cache_alloc(x, op, cache, zero));
        forget(x, result(x));
        return;
    }
    void *p = call_cache_alloc(x, op, c->p, zero);
    after_cache_obj(x, c, op->args[0].var, p, gfp, zero || (gfp & __GFP_ZERO));
}

static void op_cache_free(struct exec *x, const struct kh_op *op)
{
    struct xbind *c = binding(x, op->args[0].var);
    void *p;
    struct xbind *b = resolve_ptr(x, &op->args[1], &p);
    struct legality_ctx lc;
    legal_init(x, &lc);
    lc.p = p;
    view_obj(x, &lc.obj, op->args[0].var);
    view_ptr(x, &lc, &op->args[1]);
    legality_judge(&lc, LS_PRE);
    if (lc.legal)
        legality_free(&lc, API_CACHE);
    legality_judge(&lc, LS_POST);
    bool legal = lc.legal;
    if (!admit(x, &lc) || !c)
        return;
    struct oracle_slab_geom g;
    bool freed_bytes = false;
    if (legal) {
        freed_bytes = debug_geom(x, b, &g);
        oracle_reuse_before_free(&x->reuse, x->kh, p, x->cpu, x->op_i);
        untrack(x, b);
        c->live--;
    } else {
        forget_before_free(x, b);
    }
    kh_kmem_cache_free(x->kh, c->p, p);
    if (freed_bytes)
        check_freed_bytes(x, &g, p);
    if (legal)
        check_held_back(x, p);
}

static void op_cache_bulk(struct exec *x, const struct kh_op *op)
{
    struct xbind *c = live_cache(x, &op->args[0]);
    struct legality_ctx lc;
    legal_init(x, &lc);
    view_obj(x, &lc.obj, op->args[0].var);
    if (!admit_pre(x, &lc))
        return;
    size_t n = op->args[1].u;
    gfp_t gfp = (gfp_t)op->args[2].u;
    if (!c) {
        /* misuse being run on a dead or NULL cache: nothing to track */
        void *one[1];
        note_alloc(x, kh_kmem_cache_alloc_bulk(x->kh, any_cache(x, &op->args[0]), gfp, n ? 1 : 0, one) > 0
                          ? (void *)one : NULL);
        forget(x, result(x));
        return;
    }
    void **objs = calloc(n ? n : 1, sizeof(void *));
    if (!objs)
        abort();
    int got = kh_kmem_cache_alloc_bulk(x->kh, c->p, gfp, n, objs);
    note_alloc(x, got > 0 || n == 0 ? (void *)objs : NULL);
    json_num(x, "count", (unsigned long long)(got < 0 ? 0 : got));
    struct xbind *b = result(x);
    if (got != 0 && (size_t)got != n) {
        finding(x, "bulk not all-or-nothing", "oracle", "kmem_cache_alloc_bulk(%zu) returned %d", n, got);
        free(objs);
        return;
    }
    /* a bulk call may need a new slab per object; each takes at most one
     * block of the cache's preferred order */
    struct nullo_call nc = { .kind = NK_BULK, .gfp = gfp, .cache_zone = cache_zone(x, c), .count = n,
                             .slab_order = c->order };
    judge_alloc(x, &nc, got > 0 || n == 0 ? (void *)objs : NULL, false);
    b->elems = calloc(n ? n : 1, sizeof(*b->elems));
    if (!b->elems)
        abort();
    b->count = got > 0 ? (uint32_t)n : 0;
    b->owner = op->args[0].var;
    for (uint32_t i = 0; i < b->count && !x->finding; i++) {
        struct xbind *e = &b->elems[i];
        e->type = KH_VAL_PTR;
        e->api = API_CACHE;
        e->owner = op->args[0].var;
        c->live++;
        check_cache_obj(x, c, objs[i], (gfp & __GFP_ZERO) != 0, false);
        track(x, e, objs[i], c->req, SHADOW_CACHE_OBJ);
    }
    free(objs);
}

/* A stale element whose memory is handed out again (to a bulk allocation
 * since, say) would be freed from under its new owner, unnoticed: the
 * array is a reused operand, as a single stale pointer would be. */
static void mark_reused_elements(struct exec *x, const struct xbind *a)
{
    for (uint32_t i = 0; a && a->elems && i < a->count; i++)
        if (a->elems[i].p && !block_live(x, &a->elems[i]) &&
            legality_in_use_again(x->kh, &x->shadow, a->elems[i].p))
            mark_reused(x, LR_BULK_STALE_REUSED);
}

/* Frees array a's objects with kmem_cache_free_bulk(s) (s NULL: each to
 * its own cache). A legal run releases them from the model (and their
 * caches' counts); a misuse run leaves them, and the array, unknown. */
static void run_bulk_free(struct exec *x, struct xbind *a, struct kmem_cache *s, bool legal)
{
    void **objs = calloc(a->count ? a->count : 1, sizeof(void *));
    if (!objs)
        abort();
    for (uint32_t i = 0; i < a->count; i++) {
        objs[i] = a->elems[i].p;
        if (legal && block_live(x, &a->elems[i]))
            release(x, &a->elems[i]);
        else if (!legal)
            forget_before_free(x, &a->elems[i]);
    }
    if (!legal)
        a->tainted = true;
    kh_kmem_cache_free_bulk(x->kh, s, a->count, objs);
    free(objs);
}

static void free_bulk_to_own_caches(struct exec *x, const struct kh_op *op, struct xbind *a,
                                    struct legality_ctx *lc)
{
    /* kfree of each element, while each is legal */
    lc->legal = !a->tainted;
    lc->legal_rule = a->tainted ? LR_TAINTED_OPERAND : LR_KFREE_BULK;
    for (uint32_t i = 0; i < a->count; i++) {
        if (a->elems[i].tainted)
            x->tainted_operand = true;
        struct kh_operand e = { .ptr_kind = KH_PTR_ELEM, .var = op->args[1].var, .elem = i };
        if (!lc->legal)
            continue;
        view_ptr(x, lc, &e);
        legality_free(lc, API_KMALLOC);
    }
    if (lc->legal)
        lc->legal_rule = LR_KFREE_BULK;
    if (a->tainted)
        x->tainted_operand = true;
    mark_reused_elements(x, a);
    if (admit(x, lc))
        run_bulk_free(x, a, NULL, lc->legal);
}

static void op_cache_free_bulk(struct exec *x, const struct kh_op *op)
{
    struct xbind *c = binding(x, op->args[0].var);
    struct xbind *a = binding(x, op->args[1].var);
    struct legality_ctx lc;
    legal_init(x, &lc);
    view_obj(x, &lc.obj, op->args[0].var);
    view_obj(x, &lc.arr, op->args[1].var);
    /* A NULL cache is kfree_bulk (6.1 defines it so): each object goes
     * back to its own cache, as kfree would send it. */
    if (legality_holds(LR_KFREE_BULK, &lc)) {
        free_bulk_to_own_caches(x, op, a, &lc);
        return;
    }
    if (a && a->tainted)
        x->tainted_operand = true;   /* what a misuse produced: unknown state */
    /* so is an element a misuse touched (free_pages a1[0] on a slab object
     * is refused as a bad page: the object may well still be allocated) */
    for (uint32_t i = 0; a && a->elems && i < a->count; i++)
        if (a->elems[i].tainted)
            x->tainted_operand = true;
    legality_judge(&lc, LS_PRE);
    mark_reused_elements(x, a);
    if (admit(x, &lc) && c && a)
        run_bulk_free(x, a, c->p, lc.legal);
}

static void op_cache_destroy(struct exec *x, const struct kh_op *op)
{
    if (op->args[0].var < 0) {
        kh_kmem_cache_destroy(x->kh, NULL);
        return;
    }
    struct xbind *c = binding(x, op->args[0].var);
    if (c && c->p && c->tainted)
        x->tainted_operand = true;   /* objects a misuse touched: whether any are left is unknown */
    struct legality_ctx lc;
    legal_init(x, &lc);
    view_obj(x, &lc.obj, op->args[0].var);
    bool run = admit_pre(x, &lc), legal = lc.legal;
    if (!run || !c)
        return;
    kh_kmem_cache_destroy(x->kh, c->p);
    /* Destroyed with objects out, the cache is leaked, not freed (as the
     * kernel does): allocating from it again is use of a destroyed cache,
     * freeing the objects still out is not. */
    if (c->p) {
        c->leaked = c->leaked || (c->alive && !legal);   /* a second destroy leaves it on the list too */
        c->alive = false;
    }
}

static void op_alloc_pages(struct exec *x, const struct kh_op *op, bool zeroed_page)
{
    uint64_t order = zeroed_page ? 0 : op->args[0].u;
    gfp_t gfp = (gfp_t)op->args[zeroed_page ? 0 : 1].u;
    if (zeroed_page)
        gfp |= __GFP_ZERO;
    void *p = NULL;
    if (order <= 64) {
        unsigned long addr = kh___get_free_pages(x->kh, gfp, (unsigned)order);
        p = (void *)addr;
    }
    note_alloc(x, p);
    json_num(x, "order", order);
    struct xbind *b = result(x);
    b->api = API_PAGES;
    b->order = (unsigned)order;
    bool over = order >= kh_max_order(x->kh);
    struct nullo_call nc = { .kind = NK_PAGES, .gfp = gfp, .order = over ? 0 : (unsigned)order, .over_limit = over };
    judge_alloc(x, &nc, p, false);
    if (!p)
        return;
    if (x->opt.checks && over)
        finding(x, "wrong result", "oracle", "order %" PRIu64 " is above the maximum but got %p", order, p);
    size_t bytes = kh_page_size(x->kh) << order;
    check_align(x, p, bytes, "page block");
    check_zone(x, p, bytes, gfp, "page block");
    check_fast_path_zone(x, p, gfp & ~__GFP_HIGHMEM, (unsigned)order);
    check_buddy_split(x, p, (unsigned)order);
    if (gfp & __GFP_ZERO)
        check_zeroed(x, p, bytes);
    track(x, b, p, bytes, SHADOW_PAGES);
}

static void op_free_pages(struct exec *x, const struct kh_op *op)
{
    void *p;
    struct xbind *b = resolve_ptr(x, &op->args[0], &p);
    struct legality_ctx lc;
    legal_init(x, &lc);
    lc.p = p;
    view_ptr(x, &lc, &op->args[0]);
    legality_free(&lc, API_PAGES);
    legality_judge(&lc, LS_POST);
    bool legal = lc.legal;
    if (!admit(x, &lc))
        return;
    if (legal && b)
        untrack(x, b);
    else
        forget(x, b);
    kh_free_pages(x->kh, (unsigned long)p, (unsigned)(op->args[1].u > 64 ? 64 : op->args[1].u));
}

static void op_pages_exact(struct exec *x, const struct kh_op *op)
{
    size_t size = op->args[0].u;
    gfp_t gfp = (gfp_t)op->args[1].u;
    void *p = kh_alloc_pages_exact(x->kh, size, gfp);
    note_alloc(x, p);
    struct xbind *b = result(x);
    b->api = API_EXACT;
    bool over = size == 0 || (unsigned)oracle_get_order(x->lim.page_shift, size) >= kh_max_order(x->kh);
    /* one block of get_order(size) pages, before the tail is returned */
    struct nullo_call nc = { .kind = NK_PAGES, .gfp = gfp, .over_limit = over,
                             .order = over ? 0 : (unsigned)oracle_get_order(x->lim.page_shift, size) };
    judge_alloc(x, &nc, p, false);
    if (!p)
        return;
    check_align(x, p, kh_page_size(x->kh), "alloc_pages_exact result");
    check_zone(x, p, size, gfp, "alloc_pages_exact result");
    if (gfp & __GFP_ZERO)
        check_zeroed(x, p, size);
    track(x, b, p, size, SHADOW_PAGES);
}

static void op_free_pages_exact(struct exec *x, const struct kh_op *op)
{
    void *p;
    struct xbind *b = resolve_ptr(x, &op->args[0], &p);
    struct legality_ctx lc;
    legal_init(x, &lc);
    lc.p = p;
    view_ptr(x, &lc, &op->args[0]);
    /* a range that covers no page frees nothing, whatever p is */
    lc.legal = false;
    legality_judge(&lc, LS_PRE);
    if (lc.legal) {
        if (admit(x, &lc))
            kh_free_pages_exact(x->kh, p, 0);
        return;
    }
    legality_free(&lc, API_EXACT);
    legality_judge(&lc, LS_POST);
    bool legal = lc.legal;
    if (!admit(x, &lc))
        return;
    if (legal && b)
        untrack(x, b);
    else
        forget(x, b);
    kh_free_pages_exact(x->kh, p, op->args[1].u);
}

static void after_vm_as(struct exec *x, void *p, size_t size, gfp_t gfp, bool zeroing, enum api api,
                        enum nullo_kind kind);

static void after_vm(struct exec *x, void *p, size_t size, gfp_t gfp, bool zeroing, enum api api)
{
    after_vm_as(x, p, size, gfp, zeroing, api, api == API_VMALLOC ? NK_VMALLOC : NK_KVMALLOC);
}

/* SPEC 9: a vmalloc area starts on a page, and the page after its last
 * one is a guard that belongs to no other area (6.1 adds it to every
 * area's size unless VM_NO_GUARD, which no caller here passes). So no
 * live block lies within a page of the area's pages. */
static void check_vmalloc_area(struct exec *x, const void *p, size_t size)
{
    size_t page = kh_page_size(x->kh);
    check_align(x, p, page, "vmalloc area");
    const struct shadow_block *self = shadow_find(&x->shadow, (uintptr_t)p);
    if (!x->opt.checks || x->finding || !self)
        return;
    size_t pages = (size + page - 1) / page;
    const struct shadow_block *near =
        shadow_overlapping(&x->shadow, (uintptr_t)p - page, (pages + 2) * page, self);
    if (near)
        finding(x, "no guard page", "oracle", "vmalloc area %p (%zu pages) and block %p+%zu lie "
                "within a page of each other; each area is followed by a guard page no other "
                "area uses", p, pages, (void *)near->start, near->size);
}

/* SPEC 9: kvmalloc falls back to vmalloc only above a page; a smaller
 * request is kmalloc's, or fails. */
static void check_kvmalloc_small(struct exec *x, const void *p, size_t size)
{
    if (x->opt.checks && !x->finding && p && !ZERO_OR_NULL_PTR(p) && size <= kh_page_size(x->kh) &&
        kh_is_vmalloc_addr(x->kh, p))
        finding(x, "wrong allocator", "oracle", "kvmalloc of %zu bytes (a page or less) returned "
                "vmalloc memory %p; only kmalloc serves it", size, p);
}

/* after_vm for a call judged as `kind` by the NULL oracle. */
static void after_vm_as(struct exec *x, void *p, size_t size, gfp_t gfp, bool zeroing, enum api api,
                        enum nullo_kind kind)
{
    note_alloc(x, p);
    struct xbind *b = result(x);
    b->api = api;
    if (p == ZERO_SIZE_PTR) {
        /* kvmalloc(0) is kmalloc(0); vmalloc never returns it. */
        if (x->opt.checks && !(api == API_KVMALLOC && size == 0))
            finding(x, "wrong result", "oracle", "ZERO_SIZE_PTR for a %zu-byte request", size);
        b->p = p;
        return;
    }
    bool vm = p && p != ZERO_SIZE_PTR && kh_is_vmalloc_addr(x->kh, p);
    struct nullo_call nc = { .kind = kind, .gfp = gfp, .size = size,
                             .over_limit = kind == NK_VMALLOC && size == 0,
                             .slab_order = kmalloc_slab_order(x, size, gfp) };
    judge_alloc(x, &nc, p, vm);
    if (!p)
        return;
    if (x->opt.checks && size == 0)
        finding(x, "wrong result", "oracle", "a zero-sized %s returned %p",
                api == API_VMALLOC ? "vmalloc" : "kvmalloc", p);
    if (zeroing)
        check_zeroed(x, p, size);
    track(x, b, p, size, vm ? SHADOW_VMALLOC : SHADOW_KMALLOC);
    if (!vm)
        b->usable = oracle_ksize(&x->lim, size);   /* kvmalloc served by kmalloc */
    else
        check_vmalloc_area(x, p, size);
}

static void op_vfree(struct exec *x, const struct kh_op *op, enum api api)
{
    void *p;
    struct xbind *b = resolve_ptr(x, &op->args[0], &p);
    struct legality_ctx lc;
    legal_init(x, &lc);
    lc.p = p;
    view_ptr(x, &lc, &op->args[0]);
    /* kvfree takes kvmalloc, kmalloc and vmalloc memory */
    (void)(legality_free(&lc, api) || (api == API_KVMALLOC && legality_free(&lc, API_KMALLOC)) ||
           (api == API_KVMALLOC && legality_free(&lc, API_VMALLOC)));
    legality_judge(&lc, LS_POST);
    bool legal = lc.legal;
    if (!admit(x, &lc))
        return;
    if (legal && b && p)
        release(x, b);
    else if (!legal)
        forget_before_free(x, b);
    if (op->code == KH_OP_VFREE)
        kh_vfree(x->kh, p);
    else if (op->code == KH_OP_KVFREE)
        kh_kvfree(x->kh, p);
    else
        kh_kvfree_sensitive(x->kh, p, op->args[1].u);
}

static void op_kvrealloc(struct exec *x, const struct kh_op *op)
{
    void *old;
    struct xbind *ob = resolve_ptr(x, &op->args[0], &old);
    /* kvrealloc copies oldsize bytes from p, but only when it grows: with
     * oldsize >= newsize it returns p untouched, whatever p and oldsize are. */
    bool no_copy = op->args[1].u >= op->args[2].u;
    struct legality_ctx lc;
    legal_init(x, &lc);
    lc.p = old;
    view_ptr(x, &lc, &op->args[0]);
    lc.legal = false;
    legality_judge(&lc, LS_PRE);
    if (!lc.legal)
        (void)(legality_free(&lc, API_KVMALLOC) || legality_free(&lc, API_KMALLOC) || legality_free(&lc, API_VMALLOC));
    legality_judge(&lc, LS_POST);
    bool legal = lc.legal;
    if (!admit(x, &lc))
        return;
    size_t newsize = op->args[2].u;
    gfp_t gfp = (gfp_t)op->args[3].u;
    /* what kvrealloc copies: oldsize bytes (it may be below the block's size) */
    size_t keep = legal && !no_copy && ob && op->args[0].offset == 0 && block_live(x, ob)
                      ? (ob->req < newsize ? ob->req : newsize) : 0;
    if (keep > op->args[1].u)
        keep = op->args[1].u;
    if (keep > PATTERN_CAP)
        keep = PATTERN_CAP;
    static uint8_t before[PATTERN_CAP];   /* the prefix as it is (pattern or `write`s) */
    if (keep)
        memcpy(before, old, keep);
    struct kh_copy_info copy_before;
    kh_last_copy(x->kh, &copy_before);
    void *p = kh_kvrealloc(x->kh, old, op->args[1].u, newsize, gfp);
    if (!legal) {
        forget(x, ob);
        return;
    }
    /* growing, it copies exactly oldsize bytes from p; otherwise nothing */
    check_copy(x, copy_before.count, old, op->args[1].u,
               no_copy || !op->args[1].u ? COPY_NONE : COPY_EXACTLY);
    if (op->args[1].u >= newsize) {
        /* 6.1 kvrealloc returns p itself when it does not grow (even NULL). */
        note_alloc(x, p);
        struct xbind *rb = result(x);
        if (x->opt.checks && p != old)
            finding(x, "wrong result", "oracle", "kvrealloc(%p, %" PRIu64 ", %zu) returned %p, not p",
                    old, op->args[1].u, newsize, p);
        else if (ob && op->args[0].offset == 0 && (block_live(x, ob) || ZERO_OR_NULL_PTR(ob->p)))
            *rb = *ob;
        else {
            rb->p = p;
            rb->api = API_KVMALLOC;
            rb->tainted = !ZERO_OR_NULL_PTR(p);  /* handed back as it was: a wild or stale pointer */
        }
        return;
    }
    if (x->opt.checks && p && p != ZERO_SIZE_PTR && keep) {
        const uint8_t *np = p;
        for (size_t i = 0; i < keep; i++)
            if (np[i] != before[i]) {
                finding(x, "kvrealloc lost data", "oracle", "byte %zu of the prefix differs", i);
                return;
            }
        if (p != old)
            require_copy(x, copy_before.count);
    }
    if (p && ob && old && p != old)
        shadow_remove(&x->shadow, (uintptr_t)old);
    if (p && p == old) {
        note_alloc(x, p);
        struct xbind *rb = result(x);
        *rb = *ob;
        return;
    }
    after_vm(x, p, newsize, gfp, false, API_KVMALLOC);
}

/* kmemdup: kmalloc(length) holding a copy of `length` bytes of a live
 * block (SPEC 2). The copy must be exact and read nothing else. */
static void op_kmemdup(struct exec *x, const struct kh_op *op)
{
    void *src;
    resolve_ptr(x, &op->args[0], &src);
    size_t len = op->args[1].u;
    gfp_t gfp = op_gfp(op);
    struct legality_ctx lc;
    legal_init(x, &lc);
    lc.p = src;
    view_ptr(x, &lc, &op->args[0]);
    if (!admit_pre(x, &lc))
        return;
    struct kh_copy_info copy_before;
    kh_last_copy(x->kh, &copy_before);
    void *p = kh_kmemdup(x->kh, src, len, gfp);
    if (!lc.legal) {
        note_alloc(x, p);
        forget(x, result(x));
        return;
    }
    if (p && !ZERO_OR_NULL_PTR(p) && x->opt.checks) {
        check_copy(x, copy_before.count, src, len, COPY_EXACTLY);
        if (len)
            require_copy(x, copy_before.count);
        const uint8_t *got = p, *want = src;
        for (size_t i = 0; i < len && !x->finding; i++)
            if (got[i] != want[i])
                finding(x, "wrong result", "oracle", "kmemdup's copy of %p differs from it at byte %zu of "
                        "%zu: %#x, expected %#x", src, i, len, got[i], want[i]);
    }
    /* not "zeroing": with __GFP_ZERO the copy still covers the bytes */
    after_kmalloc(x, p, len, gfp, false, false);
}

const char *exec_op_unavailable(const struct kh *kh, enum kh_opcode code)
{
    const struct kh_kernel_traits *k = kh_kernel_traits(kh);
    switch (kh_op_kernel(code)) {
    case KH_OPK_KVREALLOC_OLD_SIZE:
        return k->kvrealloc_has_old_size ? NULL : "kvrealloc(p, oldsize, newsize, gfp) is the Linux 6.1 "
               "form; this profile's kernel has kvrealloc(p, size, gfp)";
    case KH_OPK_KVREALLOC_NEW:
        return !k->kvrealloc_has_old_size ? NULL : "kvrealloc(p, size, gfp) is the Linux 6.12 form; "
               "this profile's kernel has kvrealloc(p, oldsize, newsize, gfp)";
    case KH_OPK_VREALLOC:
        return k->has_vrealloc ? NULL : "vrealloc is new in Linux 6.12; this profile's kernel lacks it";
    case KH_OPK_CACHE_ARGS:
        return k->has_cache_args ? NULL : "kmem_cache_create_args (struct kmem_cache_args) is new in "
               "Linux 6.12; this profile's kernel lacks it";
    default:
        return NULL;
    }
}

/* 6.12's kvrealloc(p, size, gfp) and vrealloc(p, size, gfp) (SPEC 10). p is
 * NULL or a live block (vrealloc: vmalloc only). The old prefix, up to the
 * new size, must arrive; size 0 frees p. In place or moved, the result is
 * tracked afresh (a stale alias of an in-place block counts as freed). */
static void op_realloc_612(struct exec *x, const struct kh_op *op)
{
    bool vre = op->code == KH_OP_VREALLOC;
    void *old;
    struct xbind *ob = resolve_ptr(x, &op->args[0], &old);
    /* kvrealloc of vmalloc memory is vrealloc: a vmalloc result */
    enum api api = vre || (old && kh_is_vmalloc_addr(x->kh, old)) ? API_VMALLOC : API_KVMALLOC;
    struct legality_ctx lc;
    legal_init(x, &lc);
    lc.p = old;
    view_ptr(x, &lc, &op->args[0]);
    if (vre)
        legality_free(&lc, API_VMALLOC);
    else
        (void)(legality_free(&lc, API_KVMALLOC) || legality_free(&lc, API_KMALLOC) ||
               legality_free(&lc, API_VMALLOC));
    legality_judge(&lc, LS_POST);
    bool legal = lc.legal;
    if (!admit(x, &lc))
        return;
    size_t size = op->args[1].u;
    gfp_t gfp = (gfp_t)op->args[2].u;
    bool had = legal && ob && op->args[0].offset == 0 && block_live(x, ob) && !ZERO_OR_NULL_PTR(old);
    size_t keep = had ? (ob->req < size ? ob->req : size) : 0, usable = had ? ob->usable : 0;
    if (keep > PATTERN_CAP)
        keep = PATTERN_CAP;
    static uint8_t before[PATTERN_CAP];
    if (keep)
        memcpy(before, old, keep);
    if (had && size == 0) {
        release(x, ob);   /* size 0 frees p (and cannot fail) */
        had = false;
    }
    struct kh_copy_info copy_before;
    kh_last_copy(x->kh, &copy_before);
    void *p = vre ? kh_vrealloc(x->kh, old, size, gfp) : kh_kvrealloc_v612(x->kh, old, size, gfp);
    if (!legal) {
        forget(x, ob);
        return;
    }
    if (!p) {
        /* a failure leaves p live; size 0 gives NULL by the spec */
        after_vm_as(x, p, size, gfp, false, api, size ? NK_REALLOC_612 : NK_VMALLOC);
        return;
    }
    if (had)
        json_bool(x, "same", p == old);
    if (x->opt.checks && p != ZERO_SIZE_PTR)
        for (size_t i = 0; i < keep; i++)
            if (((const uint8_t *)p)[i] != before[i]) {
                finding(x, "kvrealloc lost data", "oracle", "byte %zu of the %zu-byte prefix differs "
                        "after %s", i, keep, op_name(x));
                return;
            }
    if (p != old && p != ZERO_SIZE_PTR && keep)
        require_copy(x, copy_before.count);
    if (had)
        shadow_remove(&x->shadow, (uintptr_t)old);
    if (x->opt.checks && size == 0 && p != ZERO_SIZE_PTR)
        finding(x, "wrong result", "oracle", "%s(p, 0) returned %p, not NULL or ZERO_SIZE_PTR",
                op_name(x), p);
    if (p == old && had) {
        bool vm = kh_is_vmalloc_addr(x->kh, p);
        /* SPEC 10: vrealloc in place with __GFP_ZERO zeroes from the new
         * size up to the old request, so that growing back in place
         * later shows zeros (the bytes are poisoned now: read around ASan) */
        size_t zero_to = ob->req < size + ZERO_CHECK_CAP ? ob->req : size + ZERO_CHECK_CAP;
        if (x->opt.checks && vm && (gfp & __GFP_ZERO) && size < zero_to &&
            !spare_zero((const uint8_t *)p + size, zero_to - size)) {
            finding(x, "not zeroed", "oracle", "%s(%p, %zu, __GFP_ZERO) stayed in place, but bytes "
                    "%zu..%zu (up to the old size %zu) are not all zero", op_name(x), old, size, size,
                    zero_to, ob->req);
            return;
        }
        note_alloc(x, p);
        struct xbind *rb = result(x);
        rb->api = api;
        track(x, rb, p, size, vm ? SHADOW_VMALLOC : SHADOW_KMALLOC);
        if (!vm)
            rb->usable = usable;   /* the same object: ksize does not move */
        return;
    }
    after_vm_as(x, p, size, gfp, false, api, NK_REALLOC_612);
}

static void op_percpu_alloc(struct exec *x, const struct kh_op *op)
{
    size_t size = op->args[0].u, align = op->args[1].u;
    gfp_t gfp = op->code == KH_OP_ALLOC_PERCPU_GFP ? op_gfp(op) : GFP_KERNEL;
    void *p = kh___alloc_percpu_gfp(x->kh, size, align, gfp);
    note_alloc(x, p);
    struct xbind *b = result(x);
    b->api = API_PERCPU;
    if (!p) {
        /* 6.1 pcpu_alloc raises align to 4 and rounds size to 4 first */
        size_t a = align < 4 ? 4 : align, max = kh_percpu_max_size(x->kh);
        bool illegal = size == 0 || size > max || ((size + 3) & ~(size_t)3) > max || a > kh_page_size(x->kh) ||
                       (a & (a - 1));
        struct nullo_call nc = { .kind = NK_PERCPU, .gfp = gfp, .size = size, .over_limit = illegal };
        judge_alloc(x, &nc, p, false);
        /* chunk growth is not modelled: the old slack rule stays for it. An
         * atomic request never grows or populates a chunk (6.1
         * pcpu_alloc()), so it may fail whenever the populated space is
         * short, which the model does not follow. */
        bool atomic = (gfp & GFP_KERNEL) != GFP_KERNEL;
        unsigned long pages = (kh_percpu_unit_size(x->kh) >> x->lim.page_shift) * kh_nr_cpus(x->kh) + 1;
        if (x->opt.checks && !illegal && !atomic && !x->out[x->nout - 1].fault_injected &&
            !memory_tight(x, GFP_KERNEL, pages, 0))
            finding(x, "unexpected NULL", "oracle",
                    "allocation failed with memory available (%lu pages needed, order 0, gfp %#x)", pages,
                    GFP_KERNEL);
        return;
    }
    size_t want_align = align < 4 ? 4 : align;
    check_align(x, p, want_align, "per-CPU pointer");
    /* Every CPU's copy is zeroed; track each copy as its own block. */
    unsigned cpus = kh_nr_cpus(x->kh);
    for (unsigned cpu = 0; cpu < cpus && !x->finding; cpu++) {
        void *c = kh_per_cpu_ptr(x->kh, p, cpu);
        check_zeroed(x, c, size);
        struct xbind tmp = { .owner = -1 };
        if (!track(x, cpu == 0 ? b : &tmp, c, size, SHADOW_PERCPU))
            return;
    }
}

/* Every CPU's copy is a shadow block of its own. */
static void untrack_percpu(struct exec *x, void *p)
{
    unsigned cpus = kh_nr_cpus(x->kh);
    for (unsigned cpu = 0; cpu < cpus; cpu++) {
        uintptr_t c = (uintptr_t)kh_per_cpu_ptr(x->kh, p, cpu);
        struct shadow_block *s = shadow_find(&x->shadow, c);
        if (s) {
            verify_block(x, s, "before free_percpu");
            shadow_remove(&x->shadow, c);
        }
    }
}

static void op_free_percpu(struct exec *x, const struct kh_op *op)
{
    void *p;
    struct xbind *b = resolve_ptr(x, &op->args[0], &p);
    struct legality_ctx lc;
    legal_init(x, &lc);
    view_ptr(x, &lc, &op->args[0]);
    legality_free(&lc, API_PERCPU);
    if (!admit(x, &lc))
        return;
    if (b && p && block_live(x, b))
        untrack_percpu(x, p);
    kh_free_percpu(x->kh, p);
}

static void op_per_cpu_ptr(struct exec *x, const struct kh_op *op)
{
    void *p;
    resolve_ptr(x, &op->args[0], &p);
    struct legality_ctx lc;
    legal_init(x, &lc);
    lc.p = p;
    view_ptr(x, &lc, &op->args[0]);
    if (!admit_pre(x, &lc))
        return;
    bool legal = lc.legal;
    /* the CPU as written (a misuse run passes an impossible one on) */
    unsigned cpu = op->args[1].u > UINT_MAX ? UINT_MAX : (unsigned)op->args[1].u;
    void *c = kh_per_cpu_ptr(x->kh, p, cpu);
    if (x->opt.checks && legal && !shadow_find(&x->shadow, (uintptr_t)c))
        finding(x, "wrong result", "oracle", "per_cpu_ptr(%p, %" PRIu64 ") = %p is not that CPU's copy",
                p, op->args[1].u, c);
}

/* The reserve is preallocated and poisoned element by element: bound it to
 * 4096 elements and 32 MiB so that one input stays cheap (a trace asking
 * for more runs with this many; replay prints the same). */
static int reserve_cap(uint64_t min_nr, size_t elem)
{
    uint64_t cap = (32u << 20) / (elem ? elem : 1);
    if (cap > 4096)
        cap = 4096;
    if (cap < 1)
        cap = 1;
    return (int)(min_nr < cap ? min_nr : cap);
}

/* A slab pool's reserve elements carry the mempool debug poison (as 6.1
 * under slub_debug), not the constructor's bytes: once the reserve goes
 * back to the cache (a failed create, a resize, destroy), that cache may
 * hand out unconstructed objects, so its constructor state is no longer
 * checked. */
static void reserve_back_to(struct xbind *cache)
{
    if (cache && cache->type == KH_VAL_CACHE)
        cache->ctor_lost = true;
}

static void op_pool_create(struct exec *x, const struct kh_op *op)
{
    x->quarantine.fifo_off = true;   /* its reserve comes and goes unseen */
    uint64_t min_nr = op->args[0].u;
    mempool_t *pool = NULL;
    struct xbind *cache = NULL;
    size_t elem = 0;
    bool tried = false;
    switch (op->code) {
    case KH_OP_MEMPOOL_CREATE_KMALLOC_POOL:
        elem = op->args[1].u;
        if ((tried = elem <= x->lim.max_size))
            pool = kh_mempool_create_kmalloc_pool(x->kh, reserve_cap(min_nr, elem), elem);
        break;
    case KH_OP_MEMPOOL_CREATE_SLAB_POOL:
        cache = live_cache(x, &op->args[1]);
        struct legality_ctx lc;
        legal_init(x, &lc);
        view_obj(x, &lc.obj, op->args[1].var);
        if (!admit_pre(x, &lc))
            return;
        if (!cache) {
            /* Misuse being run: a destroyed cache or a failed create's NULL. */
            struct xbind *cb = binding(x, op->args[1].var);
            note_alloc(x, kh_mempool_create_slab_pool(x->kh, reserve_cap(min_nr, 1),
                                                      cb && cb->type == KH_VAL_CACHE ? cb->p : NULL));
            forget(x, result(x));
            return;
        }
        elem = cache->req;
        tried = true;
        pool = kh_mempool_create_slab_pool(x->kh, reserve_cap(min_nr, elem), cache->p);
        break;
    default:
        if ((tried = op->args[1].u < kh_max_order(x->kh))) {
            elem = kh_page_size(x->kh) << op->args[1].u;
            pool = kh_mempool_create_page_pool(x->kh, reserve_cap(min_nr, elem), (int)op->args[1].u);
        }
        break;
    }
    note_alloc(x, pool);
    if (!pool && tried)
        reserve_back_to(cache);
    /* a create that was made fails only when its reserve cannot be filled */
    x->out[x->nout - 1].memory_bound = !pool && tried;
    struct xbind *b = result(x);
    b->p = pool;
    b->alive = pool != NULL;
    b->req = elem;
    b->order = op->code == KH_OP_MEMPOOL_CREATE_PAGE_POOL ? (unsigned)op->args[1].u : 0;
    if (pool && cache) {
        cache->users++;
        b->owner = op->args[1].var;
    }
}

/* The pool binding var names; a pool that came out of a misuse (created
 * from a NULL or destroyed cache) is in an unknown state, and so is every
 * operation on it. */
static struct xbind *pool_operand(struct exec *x, int32_t var)
{
    struct xbind *pb = binding(x, var);
    if (pb && pb->tainted)
        x->tainted_operand = true;
    /* so is a slab pool whose cache a misuse destroyed under it (the
     * pool's own allocations then use a destroyed cache) */
    struct xbind *c = pb ? binding(x, pb->owner) : NULL;
    if (c && c->type == KH_VAL_CACHE && !c->alive)
        x->tainted_operand = true;
    return pb;
}

static bool is_page_pool(struct exec *x, int32_t var)
{
    struct kh_mempool_info info;
    struct xbind *pb = binding(x, var);
    return pb && pb->p && kh_mempool_get_info(x->kh, pb->p, &info) == 0 &&
           info.kind == KH_MEMPOOL_PAGE;
}

static void op_pool_alloc(struct exec *x, const struct kh_op *op)
{
    struct xbind *pb = pool_operand(x, op->args[0].var);
    gfp_t gfp = (gfp_t)op->args[1].u;
    /* A may-sleep allocation from an empty reserve would block forever in a
     * single-threaded run; the allocator reports that as a deadlock, which
     * is the caller's bug, so fuzzing keeps such calls non-blocking. */
    struct legality_ctx lc;
    legal_init(x, &lc);
    view_obj(x, &lc.obj, op->args[0].var);
    if (!admit_pre(x, &lc) || !pb)
        return;
    struct kh_mempool_info before;
    int reserve_before = kh_mempool_get_info(x->kh, pb->p, &before) == 0 ? (int)before.curr_nr : -1;
    /* While the reserve holds an element the call cannot block (it takes
     * one when the first, non-reclaiming attempt fails), so the caller's
     * direct reclaim stays: SPEC 8 says that attempt must not use it. */
    if (x->opt.misuse == EXEC_MISUSE_SKIP && reserve_before <= 0)
        gfp &= ~__GFP_DIRECT_RECLAIM;
    x->passed_gfp = gfp;
    x->reserve_before = reserve_before;
    void *p = kh_mempool_alloc(x->kh, pb->p, gfp);
    note_alloc(x, p);
    struct xbind *b = result(x);
    b->api = API_MEMPOOL;
    b->owner = op->args[0].var;
    struct kh_mempool_info info;
    bool have_info = kh_mempool_get_info(x->kh, pb->p, &info) == 0;
    if (have_info)
        b->pool_kind = (uint8_t)info.kind;
    if (!p)
        return;  /* the reserve was empty and the allocator dry */
    pb->live++;
    if (p == ZERO_SIZE_PTR) {
        /* A kmalloc pool of 0-byte elements: every element is ZERO_SIZE_PTR,
         * no memory to model. */
        b->held = true;
        if (x->opt.checks && pb->req)
            finding(x, "wrong result", "oracle", "mempool_alloc returned ZERO_SIZE_PTR for %zu-byte elements",
                    pb->req);
        return;
    }
    /* Page pools hand out struct page pointers: the model tracks (and
     * patterns) the memory, and op_pool_free converts back. */
    bool page_pool = is_page_pool(x, op->args[0].var);
    if (page_pool)
        p = kh_page_address(x->kh, p);
    /* An element fresh from the page allocator came from mempool_alloc's
     * first attempt, whose flags SPEC 8 fixes: the caller's with
     * NOMEMALLOC, NORETRY and NOWARN added, direct reclaim and IO taken
     * away. That attempt must have passed its watermark. */
    bool first_try = have_info && reserve_before >= 0 && (int)info.curr_nr == reserve_before;
    gfp_t first_gfp = (gfp | __GFP_NOMEMALLOC | __GFP_NORETRY | __GFP_NOWARN) &
                      ~(__GFP_DIRECT_RECLAIM | __GFP_IO);
    if (x->opt.checks && page_pool && first_try &&
        nullo_pages_must_fail(&x->nullo, first_gfp, pb->order))
        finding(x, "must fail", "oracle",
                "mempool_alloc took an order-%u element from the page allocator, but its first attempt "
                "(gfp %#x) could not pass any zone's watermark", pb->order, first_gfp);
    /* a slab pool's element fresh from its cache is constructed too (one
     * from the reserve carries the mempool poison instead) */
    const struct xbind *pc = object_cache(x, b);
    bool from_cache = have_info && reserve_before >= 0 && (int)info.curr_nr == reserve_before;
    if (x->opt.checks && pc && pc->geom.ctor && !pc->ctor_lost && from_cache && !(gfp & __GFP_ZERO) &&
        !oracle_slab_constructed(p))
        finding(x, "object not constructed", "oracle",
                "mempool element %p of a cache with a constructor holds %#x at byte 0", p,
                *(const uint8_t *)p);
    track(x, b, p, pb->req > PATTERN_CAP ? PATTERN_CAP : pb->req, SHADOW_MEMPOOL);
    b->req = pb->req;
}

static void op_pool_free(struct exec *x, const struct kh_op *op)
{
    void *p;
    struct xbind *b = resolve_ptr(x, &op->args[0], &p);
    struct xbind *pb = pool_operand(x, op->args[1].var);
    struct legality_ctx lc;
    legal_init(x, &lc);
    lc.p = p;
    view_obj(x, &lc.obj, op->args[1].var);
    /* A page pool's element is its struct page: an address inside the
     * first page names the element. */
    struct kh_operand elem = op->args[0];
    bool inner = legality_holds(LR_PAGE_POOL_INSIDE_PAGE, &lc);
    if (inner)
        elem.offset = 0;
    view_ptr(x, &lc, &elem);
    legality_judge(&lc, LS_PRE);
    if (lc.legal)
        legality_free(&lc, API_MEMPOOL);
    legality_judge(&lc, LS_POST);
    if (inner && lc.legal && lc.legal_rule == LR_FREE_OWN_API)
        lc.legal_rule = LR_PAGE_POOL_INSIDE_PAGE;
    bool legal = lc.legal;
    if (!admit(x, &lc) || !pb)
        return;
    if (legal && b && p && b->owner == op->args[1].var) {
        untrack(x, b);
        b->held = false;
        pb->live--;
    } else if (!legal) {
        forget_before_free(x, b);
    }
    if (p && is_page_pool(x, op->args[1].var) && kh_addr_in_arena(x->kh, p))
        p = kh_virt_to_page(x->kh, p);
    kh_mempool_free(x->kh, p, pb->p);
}

static void op_pool_resize(struct exec *x, const struct kh_op *op)
{
    struct xbind *pb = pool_operand(x, op->args[0].var);
    struct legality_ctx lc;
    legal_init(x, &lc);
    view_obj(x, &lc.obj, op->args[0].var);
    if (!admit_pre(x, &lc) || !pb)
        return;
    uint64_t n = op->args[1].u;
    reserve_back_to(binding(x, pb->owner));
    int rc = kh_mempool_resize(x->kh, pb->p, reserve_cap(n ? n : 1, pb->req));
    json_num(x, "rc", (unsigned long long)(rc < 0 ? 1 : 0));
}

static void op_pool_destroy(struct exec *x, const struct kh_op *op)
{
    if (op->args[0].var < 0) {
        kh_mempool_destroy(x->kh, NULL);
        return;
    }
    struct xbind *pb = pool_operand(x, op->args[0].var);
    /* Elements still out are the caller's leak, which the kernel cannot
     * see either (a pool does not track what it handed out). */
    struct legality_ctx lc;
    legal_init(x, &lc);
    view_obj(x, &lc.obj, op->args[0].var);
    bool run = admit_pre(x, &lc), legal = lc.legal;
    if (!run || !pb)
        return;
    if (pb->p)
        reserve_back_to(binding(x, pb->owner));
    kh_mempool_destroy(x->kh, pb->p);
    if (legal) {
        pb->alive = false;
        struct xbind *cache = binding(x, pb->owner);
        /* elements still out are objects of the cache: it stays in use */
        if (cache && cache->users && pb->live == 0)
            cache->users--;
    }
}

static void op_access(struct exec *x, const struct kh_op *op, bool write)
{
    void *p;
    struct xbind *b = resolve_ptr(x, &op->args[0], &p);
    uint64_t off = op->args[1].u, len = op->args[2].u;
    /* In bounds of a live block's requested size; a bad access only ASan
     * could judge, and it would end the run. */
    struct legality_ctx lc;
    legal_init(x, &lc);
    lc.p = p;
    view_ptr(x, &lc, &op->args[0]);
    if (!admit_pre(x, &lc) || !p)
        return;
    bool legal = lc.legal;
    uint8_t *at = (uint8_t *)((uintptr_t)p + (uintptr_t)off);   /* integer sum: off may be wild under RUN */
    if (write) {
        memset(at, (int)op->args[3].u, len);
        /* The caller owns those bytes now: patterns no longer apply. */
        struct shadow_block *s = legal ? shadow_find(&x->shadow, (uintptr_t)b->p) : NULL;
        if (s)
            s->patterned = false;
    } else {
        volatile uint8_t sink = 0;
        for (uint64_t i = 0; i < len; i++)
            sink ^= at[i];
        (void)sink;
    }
}

static void op_fault(struct exec *x, const struct kh_op *op)
{
    struct kh_fault_config fc = { 0 };
    unsigned dom_arg;
    switch (op->code) {
    case KH_OP_FAIL_NTH:
        fc.mode = KH_FAULT_NTH;
        fc.nth = op->args[0].u;
        dom_arg = 1;
        break;
    case KH_OP_FAIL_FROM:
        fc.mode = KH_FAULT_FROM;
        fc.nth = op->args[0].u;
        dom_arg = 1;
        break;
    case KH_OP_FAIL_RANDOM:
        fc.mode = KH_FAULT_RANDOM;
        fc.percent = (unsigned)(op->args[0].u > 100 ? 100 : op->args[0].u);
        fc.seed = op->args[1].u;
        dom_arg = 2;
        break;
    default:
        kh_fault_clear(x->kh);
        nullo_fault_set(&x->nullo, NULL);
        return;
    }
    /* Trace domain bits are the kernel-side enum's bits. */
    fc.domains = (unsigned)op->args[dom_arg].u & KH_FAULT_ALL;
    kh_fault_set(x->kh, &fc);
    nullo_fault_set(&x->nullo, &fc);
}

/* ---- the boot phase (oracle_boot.c restates memblock) ---- */

static uint64_t phys_of(struct exec *x, const void *p) { return kh_virt_to_phys(x->kh, p); }

/* Between early_boot and memblock_free_all only memblock and operations
 * that need no allocator can run: the buddy allocator does not own memory
 * yet, so the rest are left out (whatever the misuse policy). */
static bool early_boot_op(uint8_t code)
{
    switch (code) {
    case KH_OP_EARLY_BOOT: case KH_OP_MEMBLOCK_ALLOC: case KH_OP_MEMBLOCK_PHYS_ALLOC:
    case KH_OP_MEMBLOCK_RESERVE: case KH_OP_MEMBLOCK_FREE: case KH_OP_MEMBLOCK_FREE_ALL:
    case KH_OP_MEMBLOCK_FREE_LATE: case KH_OP_WRITE: case KH_OP_READ: case KH_OP_SET_CPU:
    case KH_OP_GET_ORDER: case KH_OP_KMALLOC_INDEX: case KH_OP_KMALLOC_SIZE_ROUNDUP:
    case KH_OP_FAIL_NTH: case KH_OP_FAIL_FROM: case KH_OP_FAIL_RANDOM: case KH_OP_FAIL_OFF:
        return true;
    default:
        return false;
    }
}

/* Operations that leave the page allocator untouched (early_boot may follow them). */
static bool leaves_pages_alone(uint8_t code)
{
    return code == KH_OP_SET_CPU || code == KH_OP_GET_ORDER || code == KH_OP_KMALLOC_INDEX ||
           code == KH_OP_FAIL_NTH || code == KH_OP_FAIL_FROM || code == KH_OP_FAIL_RANDOM ||
           code == KH_OP_FAIL_OFF;
}

struct boot_cmp {
    const struct boot_model *m;
    size_t i;
    bool differs;
    uint64_t base, size;
};

static int compare_region(void *ctx, phys_addr_t base, phys_addr_t size)
{
    struct boot_cmp *c = ctx;
    if (c->i >= c->m->n || c->m->v[c->i].base != base || c->m->v[c->i].end - base != size) {
        c->differs = true;
        c->base = base;
        c->size = size;
        return 1;
    }
    c->i++;
    return 0;
}

/* memblock's reserved list must be the trace's reservations, merged. */
static void check_reservations(struct exec *x)
{
    if (!x->opt.checks || x->finding)
        return;
    struct boot_cmp c = { &x->boot, 0, false, 0, 0 };
    kh_memblock_for_each_reserved(x->kh, compare_region, &c);
    struct kh_memblock_info mi;
    kh_memblock_get_info(x->kh, &mi);
    uint64_t total = boot_model_total(&x->boot);
    if (c.differs || c.i != x->boot.n) {
        char want[96] = "nothing";
        if (c.i < x->boot.n)
            snprintf(want, sizeof(want), "[%#" PRIx64 ", %#" PRIx64 ")", x->boot.v[c.i].base,
                     x->boot.v[c.i].end);
        finding(x, "boot reservations wrong", "oracle",
                "reserved region %zu is %s%#" PRIx64 "+%#" PRIx64 "%s; the live reservations "
                "make it %s (%zu regions, %#" PRIx64 " bytes; memblock has %lu, %#llx)", c.i,
                c.differs ? "[" : "", c.base, c.size, c.differs ? ")" : " (missing)", want,
                x->boot.n, total, mi.nr_regions, (unsigned long long)mi.reserved_bytes);
    } else if (mi.reserved_bytes != total) {
        finding(x, "boot reservations wrong", "oracle", "memblock counts %#llx reserved bytes; "
                "the live reservations sum to %#" PRIx64, (unsigned long long)mi.reserved_bytes,
                total);
    }
}

/* After the hand-over: every page a live reservation touches is
 * PG_reserved, and (full: a scan of all low memory, done at the hand-over)
 * the only other PG_reserved pages are those that memblock_free_late left
 * stranded (partly released). */
static void check_handed_over(struct exec *x, bool full)
{
    if (!x->opt.checks || x->finding)
        return;
    unsigned shift = x->lim.page_shift;
    unsigned long reserved = 0, touched = boot_model_pages(&x->boot, shift);
    size_t r = 0;   /* the first range that does not end before this page */
    for (uint64_t pfn = 0; pfn < x->boot.hi >> shift; pfn++) {
        if (!full) {   /* jump to the next touched page */
            while (r < x->boot.n && x->boot.v[r].end <= pfn << shift)
                r++;
            if (r == x->boot.n)
                break;
            if (x->boot.v[r].base >> shift > pfn)
                pfn = x->boot.v[r].base >> shift;
        }
        bool is_reserved = kh_page_state(x->kh, (unsigned long)pfn, NULL, NULL) == KH_PAGE_RESERVED;
        reserved += is_reserved;
        while (r < x->boot.n && x->boot.v[r].end <= pfn << shift)
            r++;
        bool touches = r < x->boot.n && x->boot.v[r].base < (pfn + 1) << shift;
        if (!is_reserved && touches) {
            finding(x, "boot memory handed out", "oracle", "pfn %#" PRIx64 " holds reserved boot "
                    "memory but is %s", pfn,
                    kh_page_state_name(kh_page_state(x->kh, (unsigned long)pfn, NULL, NULL)));
            return;
        }
    }
    if (full && reserved != touched + x->boot_stranded)
        finding(x, "boot memory handed out", "oracle", "%lu pages are PG_reserved; the live "
                "reservations touch %lu (and %lu were left partly released)", reserved, touched,
                x->boot_stranded);
}

/* Boot blocks inside [base, end) are gone (checked intact first); one
 * that the range cuts is dropped unchecked. */
static void release_boot_range(struct exec *x, uint64_t base, uint64_t end)
{
    for (size_t i = 0; i < x->shadow.n;) {
        struct shadow_block *s = &x->shadow.v[i];
        uint64_t sb = phys_of(x, (const void *)s->start), se = sb + (s->size ? s->size : 1);
        if (s->kind != SHADOW_BOOTMEM || se <= base || end <= sb) {
            i++;
            continue;
        }
        if (base <= sb && se <= end)
            verify_block(x, s, "before memblock_free");
        shadow_remove(&x->shadow, s->start);
    }
}

/* The boot operations' verdict, from the legality table's boot rows. */
static bool admit_boot(struct exec *x, void *p, bool pages_used, bool range_ok, bool *legal)
{
    struct legality_ctx lc;
    legal_init(x, &lc);
    lc.p = p;
    lc.boot_phase = x->boot_phase;
    lc.pages_used = pages_used;
    lc.boot_range_ok = range_ok;
    legality_judge(&lc, LS_PRE);
    if (legal)
        *legal = lc.legal;
    return admit(x, &lc);
}

static void op_early_boot(struct exec *x)
{
    bool pages_used = false, legal;
    for (size_t i = 0; !pages_used && i + 1 < x->nout; i++)
        pages_used = !x->out[i].skipped && !leaves_pages_alone(x->out[i].code);
    if (!admit_boot(x, NULL, pages_used, true, &legal))
        return;
    int rc = kh_boot_begin(x->kh);
    if (legal && rc != 0) {
        finding(x, "wrong result", "oracle", "kh_boot_begin refused a fresh instance");
        return;
    }
    if (rc == 0) {
        struct kh_memblock_info mi;
        kh_memblock_get_info(x->kh, &mi);
        x->boot_phase = KH_BOOT_EARLY;
        x->boot_stranded = 0;
        boot_model_start(&x->boot, 1ull << x->lim.page_shift, mi.limit);
    }
}

/* memblock_alloc (zeroed) and memblock_phys_alloc in early boot. */
static void op_boot_alloc(struct exec *x, const struct kh_op *op, bool phys)
{
    uint64_t size = op->args[0].u, align = op->args[1].u;
    uint64_t a = align ? align : kh_get_config(x->kh)->cache_line;   /* 0: SMP_CACHE_BYTES, warned */
    uint64_t want = 0;
    bool fits = size && !(a & (a - 1)) && boot_model_place(&x->boot, size, a, &want);
    void *p;
    if (phys) {
        phys_addr_t r = kh_memblock_phys_alloc(x->kh, size, align);
        p = r ? kh_phys_to_virt(x->kh, r) : NULL;
    } else {
        p = kh_memblock_alloc(x->kh, size, align);
    }
    note_alloc(x, p);
    struct xbind *b = result(x);
    b->api = API_MEMBLOCK;
    if (x->opt.checks) {
        uint64_t at = p ? phys_of(x, p) : 0;
        if (!p && fits)
            finding(x, "unexpected NULL", "oracle", "no room for %" PRIu64 " bytes at align %" PRIu64
                    " although [%#" PRIx64 ", +%#" PRIx64 ") is free", size, a, want, size);
        else if (p && !fits)
            finding(x, "wrong result", "oracle", "%" PRIu64 " bytes at align %" PRIu64 " must fail "
                    "(bad arguments or no gap fits), got phys %#" PRIx64, size, align, at);
        else if (p && (at & (a - 1)))
            check_align(x, p, (size_t)a, "memblock result");
        else if (p && (at < x->boot.lo || at + size > x->boot.hi))
            finding(x, "wrong result", "oracle", "phys %#" PRIx64 "+%" PRIu64 " lies outside "
                    "[%#" PRIx64 ", %#" PRIx64 ")", at, size, x->boot.lo, x->boot.hi);
        else if (p && boot_model_overlaps(&x->boot, at, at + size))
            finding(x, "overlap", "oracle", "boot allocation [%#" PRIx64 ", +%#" PRIx64 ") "
                    "overlaps a live reservation", at, size);
        else if (p && at != want)
            finding(x, "misplaced", "oracle", "phys %#" PRIx64 " for %" PRIu64 " bytes; top-down, "
                    "the highest aligned free spot is %#" PRIx64, at, size, want);
    }
    if (!p || x->finding)
        return;
    if (boot_model_add(&x->boot, want, want + size))
        abort();   /* host out of memory */
    if (!phys)
        check_zeroed(x, p, (size_t)size);
    if (track(x, b, p, (size_t)size, SHADOW_BOOTMEM))
        check_reservations(x);
}

static void op_memblock_reserve(struct exec *x, const struct kh_op *op)
{
    uint64_t base = op->args[0].u, size = op->args[1].u;
    bool early;
    if (!admit_boot(x, NULL, false, true, &early))
        return;
    int rc = kh_memblock_reserve(x->kh, base, size);
    if (!early)
        return;
    /* the model's memory is [page_size, limit): memblock takes anything,
     * this one refuses the rest (-EINVAL) */
    bool inside = size == 0 || (base >= x->boot.lo && base <= x->boot.hi && size <= x->boot.hi - base);
    if (x->opt.checks && rc != (inside ? 0 : -1)) {
        finding(x, "wrong result", "oracle", "memblock_reserve(%#" PRIx64 ", %#" PRIx64 ") returned "
                "%d", base, size, rc);
        return;
    }
    if (inside && size && boot_model_add(&x->boot, base, base + size))
        abort();
    check_reservations(x);
}

/* memblock_free (early boot) and memblock_free_late (after the hand-over):
 * the range must lie inside one reserved range. */
static void op_boot_free(struct exec *x, const struct kh_op *op, bool late)
{
    void *p;
    resolve_ptr(x, &op->args[0], &p);
    uint64_t size = op->args[1].u, base = p ? phys_of(x, p) : 0;
    bool covered = p && size && base + size > base && boot_model_covered(&x->boot, base, base + size);
    /* memblock_free ignores NULL, and 0 bytes anywhere in memory */
    bool legal;
    if (!admit_boot(x, p, false, covered || (!late && (!p || (!size && kh_virt_to_page(x->kh, p)))), &legal))
        return;
    unsigned shift = x->lim.page_shift;
    uint64_t first = (base + (1ull << shift) - 1) >> shift, end = (base + size) >> shift;
    unsigned long free_before = kh_nr_free_pages(x->kh);
    if (covered && legal)
        release_boot_range(x, base, base + size);   /* before the free poisons it */
    if (late)
        kh_memblock_free_late(x->kh, base, size);
    else
        kh_memblock_free(x->kh, p, (size_t)size);
    if (!legal || !covered)
        return;
    if (boot_model_remove(&x->boot, base, base + size))
        abort();
    check_reservations(x);
    if (!late)
        return;
    /* whole pages inside go to the buddy allocator; a page at an edge that
     * no reservation touches any more stays PG_reserved for good */
    unsigned long released = end > first ? (unsigned long)(end - first) : 0;
    uint64_t edges[2] = { base >> shift, (base + size - 1) >> shift };
    for (int k = 0; k < 2; k++)
        if ((k == 0 || edges[1] != edges[0]) && !(edges[k] >= first && edges[k] < end) &&
            !boot_model_touches_page(&x->boot, edges[k], shift))
            x->boot_stranded++;
    if (x->opt.checks && !x->finding && kh_nr_free_pages(x->kh) != free_before + released)
        finding(x, "boot memory handed out", "oracle", "memblock_free_late of %lu whole pages "
                "took free pages from %lu to %lu", released, free_before, kh_nr_free_pages(x->kh));
    check_handed_over(x, false);
}

static void op_memblock_free_all(struct exec *x)
{
    bool legal;
    if (!admit_boot(x, NULL, false, true, &legal))
        return;
    unsigned long free_before = kh_nr_free_pages(x->kh);
    int rc = kh_boot_end(x->kh);
    if (rc == 0)
        nullo_mem_init(&x->nullo);   /* the watermarks are set from here on */
    if (!legal)
        return;
    x->boot_phase = KH_BOOT_DONE;
    unsigned long touched = boot_model_pages(&x->boot, x->lim.page_shift);
    if (x->opt.checks && (rc != 0 || kh_nr_free_pages(x->kh) + touched != free_before))
        finding(x, "boot memory handed out", "oracle", "memblock_free_all returned %d and left %lu "
                "free pages of %lu; the reservations touch %lu", rc, kh_nr_free_pages(x->kh),
                free_before, touched);
    check_handed_over(x, true);
}

static unsigned long shrink_everything(struct exec *x)
{
    unsigned long n = 0;
    for (size_t i = 0; i < x->nb; i++)
        if (x->b[i].type == KH_VAL_CACHE && x->b[i].alive)
            n += (unsigned long)kh_kmem_cache_shrink(x->kh, x->b[i].p);
    return n;
}

/* The memory one input may make resident, and the time it may take.
 * Some operations write or read bytes in proportion to a size they name,
 * and untouched arena memory costs nothing until they do: `write` and
 * `read` of a large block, the copy of a krealloc or kmemdup, the zeroing
 * of kfree_sensitive, and above all a cache whose every byte the allocator
 * writes and checks (poison and red zones under slub_debug, a constructor,
 * zeroing), whose new slabs a poisoned cache fills whole. A few bulk calls
 * on a cache of 4 MiB objects (512 MiB slabs on 64 KiB pages) made
 * gigabytes resident and ran the 16 and 64 KiB page targets out of memory.
 * So each such operation is charged what it may touch, and one that would
 * take the input past the budget is skipped: the cost of an input follows
 * its operations, not the sizes they name. A cache allocation is charged
 * what it did (the objects handed out and the pages its new slabs took)
 * and skipped when its bound (every object on a new slab) does not fit.
 * Allocations write nothing else in bulk: large kmalloc, vmalloc and
 * __GFP_ZERO pages are not written, the harness patterns a sample of each
 * block (PATTERN_CAP), and reserve_cap caps a mempool's reserve. */
#define TOUCH_BUDGET_BYTES (64ull << 20)

static uint64_t min_u64(uint64_t a, uint64_t b) { return a < b ? a : b; }

static uint64_t sat_mul(uint64_t a, uint64_t b)
{
    uint64_t r;
    return __builtin_mul_overflow(a, b, &r) ? UINT64_MAX : r;
}

/* The bytes of the block a pointer operand names (0: none known), with
 * none of resolve_ptr's bookkeeping. */
static uint64_t operand_bytes(struct exec *x, const struct kh_operand *a)
{
    const struct xbind *b = NULL;
    if (a->ptr_kind == KH_PTR_VAR) {
        b = binding(x, a->var);
    } else if (a->ptr_kind == KH_PTR_ELEM) {
        const struct xbind *arr = binding(x, a->var);
        b = arr && arr->elems && a->elem < arr->count ? &arr->elems[a->elem] : NULL;
    }
    return b && b->type == KH_VAL_PTR ? (b->usable > b->req ? b->usable : b->req) : 0;
}

/* A realloc copies what both sizes hold (read and written); with
 * __GFP_ZERO, shrinking in place zeroes the old object's spare, which the
 * executor then reads back. */
static uint64_t realloc_bound(uint64_t old, uint64_t want, gfp_t gfp)
{
    uint64_t copy = sat_mul(2, min_u64(old, want));
    uint64_t spare = (gfp & __GFP_ZERO) ? sat_mul(2, old) : 0;
    return copy + spare < copy ? UINT64_MAX : copy + spare;
}

/* What an operation other than a cache allocation may touch. */
static uint64_t touch_bound(struct exec *x, const struct kh_op *op)
{
    const struct kh_operand *a = op->args;
    /* A legal access stays inside its block; a longer one is a misuse,
     * which only the RUN policy runs. */
    bool run_misuse = x->opt.misuse == EXEC_MISUSE_RUN;
    switch (op->code) {
    case KH_OP_WRITE:
    case KH_OP_READ:
        return run_misuse ? a[2].u : min_u64(a[2].u, operand_bytes(x, &a[0]));
    case KH_OP_KMEMDUP:                 /* read the source, write the copy */
        return sat_mul(2, run_misuse ? a[1].u : min_u64(a[1].u, operand_bytes(x, &a[0])));
    case KH_OP_KREALLOC:
    case KH_OP_KVREALLOC_612:
    case KH_OP_VREALLOC:
        return realloc_bound(operand_bytes(x, &a[0]), a[1].u, op_gfp(op));
    case KH_OP_KREALLOC_ARRAY:
        return realloc_bound(operand_bytes(x, &a[0]), sat_mul(a[1].u, a[2].u), op_gfp(op));
    case KH_OP_KVREALLOC:               /* 6.1: the caller gives the old size */
        return realloc_bound(run_misuse ? a[1].u : min_u64(a[1].u, operand_bytes(x, &a[0])), a[2].u,
                             op_gfp(op));
    case KH_OP_KFREE_SENSITIVE:
        return operand_bytes(x, &a[0]);
    case KH_OP_KVFREE_SENSITIVE:
        return run_misuse ? a[1].u : min_u64(a[1].u, operand_bytes(x, &a[0]));
    default:
        return 0;
    }
}

/* The cache a filling allocation draws from, and how many objects; NULL
 * for any other operation. */
static struct xbind *filling_cache(struct exec *x, const struct kh_op *op, uint64_t *objects)
{
    const struct kh_op_desc *d = kh_op_desc((enum kh_opcode)op->code);
    if (d->result != KH_VAL_PTR && d->result != KH_VAL_ARRAY)
        return NULL;
    struct xbind *c = NULL;
    *objects = 1;
    for (unsigned i = 0; i < kh_op_nargs(d); i++) {
        if (d->args[i].kind == KH_ARG_CACHE)
            c = live_cache(x, &op->args[i]);
        else if (d->args[i].kind == KH_ARG_BULK_N)
            *objects = op->args[i].u;
    }
    if (!c)
        return NULL;
    bool zeroing = op->code == KH_OP_KMEM_CACHE_ZALLOC || (op_gfp(op) & __GFP_ZERO);
    return (c->geom.flags & SLAB_DEBUG_FLAGS) || c->geom.ctor || zeroing ? c : NULL;
}

static uint64_t slab_bytes(const struct exec *x, const struct oracle_slab_geom *g)
{
    unsigned order = g->layout_known ? g->order : (unsigned)oracle_get_order(x->lim.page_shift, g->size);
    return (uint64_t)kh_page_size(x->kh) << order;
}

static uint64_t fill_bound(const struct exec *x, const struct oracle_slab_geom *g, uint64_t objects)
{
    uint64_t per_slab = g->layout_known && g->objects ? g->objects : 1;
    uint64_t slabs = (objects + per_slab - 1) / per_slab + 1;
    return objects * g->size + min_u64(slabs, objects) * slab_bytes(x, g);
}

static void charge(struct exec *x, uint64_t bytes)
{
    x->touched += min_u64(bytes, TOUCH_BUDGET_BYTES - x->touched);
}

static void dispatch_op(struct exec *x, const struct kh_op *op)
{
    const struct kh_operand *a = op->args;
    size_t prod;
    bool ovf;
    struct legality_ctx lc;
    if (exec_op_unavailable(x->kh, op->code)) {
        x->skipped++;   /* another kernel's form: replay refuses it up front */
        x->out[x->nout - 1].skipped = true;
        return;
    }
    if (x->boot_phase == KH_BOOT_EARLY && !early_boot_op(op->code)) {
        x->skipped++;   /* no buddy allocator yet (see early_boot_op) */
        x->out[x->nout - 1].skipped = true;
        return;
    }
    switch ((enum kh_opcode)op->code) {
    case KH_OP_KMALLOC:
        after_kmalloc(x, kh_kmalloc(x->kh, a[0].u, (gfp_t)a[1].u), a[0].u, (gfp_t)a[1].u,
                      (a[1].u & __GFP_ZERO) != 0, false);
        break;
    case KH_OP_KZALLOC:
        after_kmalloc(x, kh_kzalloc(x->kh, a[0].u, (gfp_t)a[1].u), a[0].u, (gfp_t)a[1].u, true, false);
        break;
    case KH_OP_KCALLOC:
    case KH_OP_KMALLOC_ARRAY: {
        ovf = __builtin_mul_overflow(a[0].u, a[1].u, &prod);
        void *p = op->code == KH_OP_KCALLOC ? kh_kcalloc(x->kh, a[0].u, a[1].u, (gfp_t)a[2].u)
                                            : kh_kmalloc_array(x->kh, a[0].u, a[1].u, (gfp_t)a[2].u);
        after_kmalloc(x, p, ovf ? 0 : prod, (gfp_t)a[2].u,
                      op->code == KH_OP_KCALLOC || (a[2].u & __GFP_ZERO), ovf);
        break;
    }
    case KH_OP_KMALLOC_NODE:
    case KH_OP_KZALLOC_NODE: {
        legal_init(x, &lc);
        if (!admit_pre(x, &lc))
            break;
        bool z = op->code == KH_OP_KZALLOC_NODE;
        gfp_t gfp = op_gfp(op);
        void *p = z ? kh_kzalloc_node(x->kh, a[0].u, gfp, node_arg(&a[1]))
                    : kh_kmalloc_node(x->kh, a[0].u, gfp, node_arg(&a[1]));
        if (lc.legal) {
            after_kmalloc(x, p, a[0].u, gfp, z || (gfp & __GFP_ZERO), false);
        } else {
            note_alloc(x, p);
            forget(x, result(x));
        }
        break;
    }
    case KH_OP_KMEMDUP: op_kmemdup(x, op); break;
    case KH_OP_KREALLOC:
        op_krealloc(x, op, 1, a[1].u, (gfp_t)a[2].u, false);
        break;
    case KH_OP_KREALLOC_ARRAY:
        ovf = __builtin_mul_overflow(a[1].u, a[2].u, &prod);
        op_krealloc(x, op, a[1].u, a[2].u, (gfp_t)a[3].u, ovf);
        break;
    case KH_OP_KSIZE: op_ksize(x, op); break;
    case KH_OP_KFREE: op_kfree(x, op, false); break;
    case KH_OP_KFREE_SENSITIVE: op_kfree(x, op, true); break;
    case KH_OP_KMALLOC_SIZE_ROUNDUP: {
        size_t got = kh_kmalloc_size_roundup(x->kh, a[0].u);
        json_num(x, "size", got);
        if (x->opt.checks && got != oracle_kmalloc_size_roundup(&x->lim, a[0].u))
            finding(x, "wrong result", "oracle", "kmalloc_size_roundup(%" PRIu64 ") = %zu, expected %zu",
                    a[0].u, got, oracle_kmalloc_size_roundup(&x->lim, a[0].u));
        break;
    }
    case KH_OP_KMALLOC_INDEX: {
        int got = kh_kmalloc_index(x->kh, a[0].u), want = oracle_kmalloc_index(&x->lim, a[0].u);
        json_num(x, "index", (unsigned long long)(long long)got);
        if (x->opt.checks && got != want)
            finding(x, "wrong result", "oracle", "kmalloc_index(%" PRIu64 ") = %d, expected %d", a[0].u, got,
                    want);
        break;
    }
    case KH_OP_GET_ORDER: {
        /* get_order(0) is "undefined" in the kernel's words, and 52 on
         * x86_64 (fls64 of (0 - 1) >> PAGE_SHIFT): report what it gives. */
        int o = kh_get_order(x->kh, a[0].u);
        json_num(x, "order", (unsigned long long)o);
        if (x->opt.checks && o != oracle_get_order(x->lim.page_shift, a[0].u))
            finding(x, "wrong result", "oracle", "get_order(%" PRIu64 ") = %d, expected %d", a[0].u, o,
                    oracle_get_order(x->lim.page_shift, a[0].u));
        break;
    }
    case KH_OP_KMEM_CACHE_CREATE:
    case KH_OP_KMEM_CACHE_CREATE_ARGS: op_cache_create(x, op); break;
    case KH_OP_KMEM_CACHE_ALLOC: op_cache_alloc(x, op, false); break;
    case KH_OP_KMEM_CACHE_ZALLOC: op_cache_alloc(x, op, true); break;
    case KH_OP_KMEM_CACHE_ALLOC_NODE: op_cache_alloc(x, op, false); break;
    case KH_OP_KMEM_CACHE_FREE: op_cache_free(x, op); break;
    case KH_OP_KMEM_CACHE_ALLOC_BULK: op_cache_bulk(x, op); break;
    case KH_OP_KMEM_CACHE_FREE_BULK: op_cache_free_bulk(x, op); break;
    case KH_OP_KMEM_CACHE_SHRINK: {
        struct xbind *c = existing_cache(x, &a[0]);
        legal_init(x, &lc);
        view_obj(x, &lc.obj, a[0].var);
        if (!admit_pre(x, &lc))
            break;
        kh_kmem_cache_shrink(x->kh, c ? c->p : any_cache(x, &a[0]));
        if (lc.legal && c && c->alive)
            check_shrunk(x, c);
        break;
    }
    case KH_OP_KMEM_CACHE_DESTROY: op_cache_destroy(x, op); break;
    case KH_OP_KMEM_CACHE_SIZE: {
        struct xbind *c = existing_cache(x, &a[0]);
        legal_init(x, &lc);
        view_obj(x, &lc.obj, a[0].var);
        if (!admit_pre(x, &lc))
            break;
        unsigned got = kh_kmem_cache_size(x->kh, c ? c->p : any_cache(x, &a[0]));
        json_num(x, "size", got);
        /* the largest object size created into this cache (SPEC 5) */
        if (x->opt.checks && lc.legal && c && c->alive && c->p && c->cache_size &&
            got != c->cache_size)
            finding(x, "wrong result", "oracle", "kmem_cache_size = %u; the largest object size created "
                    "into this cache is %u", got, c->cache_size);
        break;
    }
    case KH_OP_ALLOC_PAGES:
    case KH_OP_GET_FREE_PAGES: op_alloc_pages(x, op, false); break;
    case KH_OP_GET_ZEROED_PAGE: op_alloc_pages(x, op, true); break;
    case KH_OP_FREE_PAGES: op_free_pages(x, op); break;
    case KH_OP_ALLOC_PAGES_EXACT: op_pages_exact(x, op); break;
    case KH_OP_FREE_PAGES_EXACT: op_free_pages_exact(x, op); break;
    case KH_OP_MEMPOOL_CREATE_KMALLOC_POOL:
    case KH_OP_MEMPOOL_CREATE_SLAB_POOL:
    case KH_OP_MEMPOOL_CREATE_PAGE_POOL: op_pool_create(x, op); break;
    case KH_OP_MEMPOOL_ALLOC: op_pool_alloc(x, op); break;
    case KH_OP_MEMPOOL_FREE: op_pool_free(x, op); break;
    case KH_OP_MEMPOOL_RESIZE: op_pool_resize(x, op); break;
    case KH_OP_MEMPOOL_DESTROY: op_pool_destroy(x, op); break;
    case KH_OP_VMALLOC:
        after_vm(x, kh_vmalloc(x->kh, a[0].u), a[0].u, GFP_KERNEL, false, API_VMALLOC);
        break;
    case KH_OP_VZALLOC:
        after_vm(x, kh_vzalloc(x->kh, a[0].u), a[0].u, GFP_KERNEL, true, API_VMALLOC);
        break;
    case KH_OP_KVMALLOC:
    case KH_OP_KVZALLOC: {
        bool z = op->code == KH_OP_KVZALLOC || (a[1].u & __GFP_ZERO);
        void *p = op->code == KH_OP_KVZALLOC ? kh_kvzalloc(x->kh, a[0].u, (gfp_t)a[1].u)
                                             : kh_kvmalloc(x->kh, a[0].u, (gfp_t)a[1].u);
        after_vm(x, p, a[0].u, (gfp_t)a[1].u, z, API_KVMALLOC);
        check_kvmalloc_small(x, p, a[0].u);
        break;
    }
    case KH_OP_KVMALLOC_ARRAY:
    case KH_OP_KVCALLOC: {
        bool z = op->code == KH_OP_KVCALLOC;
        ovf = __builtin_mul_overflow(a[0].u, a[1].u, &prod);
        void *p = z ? kh_kvcalloc(x->kh, a[0].u, a[1].u, (gfp_t)a[2].u)
                    : kh_kvmalloc_array(x->kh, a[0].u, a[1].u, (gfp_t)a[2].u);
        after_vm(x, p, ovf ? 0 : prod, (gfp_t)a[2].u, z || (a[2].u & __GFP_ZERO), API_KVMALLOC);
        if (!ovf)
            check_kvmalloc_small(x, p, prod);
        break;
    }
    case KH_OP_VMALLOC_GFP:
        after_vm(x, kh___vmalloc(x->kh, a[0].u, (gfp_t)a[1].u), a[0].u, (gfp_t)a[1].u,
                 (a[1].u & __GFP_ZERO) != 0, API_VMALLOC);
        break;
    case KH_OP_VFREE: op_vfree(x, op, API_VMALLOC); break;
    case KH_OP_KVFREE:
    case KH_OP_KVFREE_SENSITIVE: op_vfree(x, op, API_KVMALLOC); break;
    case KH_OP_KVREALLOC: op_kvrealloc(x, op); break;
    case KH_OP_KVREALLOC_612:
    case KH_OP_VREALLOC: op_realloc_612(x, op); break;
    case KH_OP_ALLOC_PERCPU:
    case KH_OP_ALLOC_PERCPU_GFP: op_percpu_alloc(x, op); break;
    case KH_OP_FREE_PERCPU: op_free_percpu(x, op); break;
    case KH_OP_PER_CPU_PTR: op_per_cpu_ptr(x, op); break;
    case KH_OP_MEMBLOCK_ALLOC: {
        if (x->boot_phase == KH_BOOT_EARLY) {
            op_boot_alloc(x, op, false);
            break;
        }
        bool late = !kh_boot_in_progress(x->kh);
        void *p = kh_memblock_alloc(x->kh, a[0].u, a[1].u);
        if (late) {
            /* After boot the kernel falls back to kzalloc(size, GFP_NOWAIT):
             * the result is a kmalloc object in every respect. */
            after_kmalloc(x, p, a[0].u > SIZE_MAX ? SIZE_MAX : (size_t)a[0].u, GFP_NOWAIT, true, false);
            break;
        }
        note_alloc(x, p);
        struct xbind *b = result(x);
        b->api = API_MEMBLOCK;
        if (p == ZERO_SIZE_PTR)
            b->p = p;   /* after boot: kzalloc(0), nothing to track */
        else if (p)
            track(x, b, p, a[0].u, SHADOW_BOOTMEM);
        break;
    }
    case KH_OP_WRITE: op_access(x, op, true); break;
    case KH_OP_READ: op_access(x, op, false); break;
    case KH_OP_SET_CPU:
        /* An out-of-range CPU is misuse the allocator must report (it
         * clamps), so it gets the value as written. */
        legal_init(x, &lc);
        if (admit_pre(x, &lc))
            op_set_cpu(x, a[0].u > UINT_MAX ? UINT_MAX : (unsigned)a[0].u);
        break;
    case KH_OP_SHRINK_ALL: json_num(x, "released", shrink_everything(x)); break;
    case KH_OP_FAIL_NTH:
    case KH_OP_FAIL_FROM:
    case KH_OP_FAIL_RANDOM:
    case KH_OP_FAIL_OFF: op_fault(x, op); break;
    case KH_OP_EARLY_BOOT: op_early_boot(x); break;
    case KH_OP_MEMBLOCK_RESERVE: op_memblock_reserve(x, op); break;
    case KH_OP_MEMBLOCK_PHYS_ALLOC:
        if (x->boot_phase == KH_BOOT_EARLY)
            op_boot_alloc(x, op, true);
        else if (admit_boot(x, NULL, false, true, NULL))   /* after mem_init: warned, 0 */
            (void)kh_memblock_phys_alloc(x->kh, a[0].u, a[1].u);
        break;
    case KH_OP_MEMBLOCK_FREE: op_boot_free(x, op, false); break;
    case KH_OP_MEMBLOCK_FREE_LATE: op_boot_free(x, op, true); break;
    case KH_OP_MEMBLOCK_FREE_ALL: op_memblock_free_all(x); break;
    case KH_OP_COUNT: break;
    }
}

/* Runs one operation within the input's memory budget (TOUCH_BUDGET_BYTES). */
static void dispatch(struct exec *x, const struct kh_op *op)
{
    struct exec_outcome *o = &x->out[x->nout - 1];
    uint64_t objects;
    struct xbind *c = filling_cache(x, op, &objects);
    uint64_t bound = c ? fill_bound(x, &c->geom, objects) : touch_bound(x, op);
    if (bound > TOUCH_BUDGET_BYTES - x->touched) {
        x->skipped++;
        x->over_budget++;
        o->skipped = o->over_budget = true;
        /* its result was never made: operations on it are skipped too */
        if (x->t->ops[x->op_i].result_var >= 0)
            result(x)->tainted = true;
        return;
    }
    if (!c) {
        dispatch_op(x, op);
        if (!o->skipped)   /* a misuse the policy skipped touched nothing */
            charge(x, bound);
        return;
    }
    uint64_t size = c->geom.size;   /* read before results are bound */
    unsigned long free_before = kh_nr_free_pages(x->kh);
    dispatch_op(x, op);
    unsigned long free_after = kh_nr_free_pages(x->kh);
    uint64_t slabs = free_after < free_before ? (uint64_t)(free_before - free_after) * kh_page_size(x->kh) : 0;
    charge(x, (o->ok == 1 ? objects * size : 0) + slabs);
}

/* Reports raised during one operation, judged by the misuse policy. */
static void judge_reports(struct exec *x, unsigned first)
{
    const struct kh_report *r;
    bool detected = false;
    for (unsigned i = first; (r = kh_report_get(x->kh, i)) != NULL; i++) {
        if (kh_report_is_detection(r))
            detected = true;
        if (r->severity != KH_SEV_BUG || kh_report_is_caller_livelock(r))
            continue;
        if (!x->misuse || x->opt.misuse == EXEC_MISUSE_RUN) {
            const char *kind = x->misuse ? "misuse reported" : "allocator report";
            finding(x, kind, r->subsystem, "%s", r->text);
            x->f->title[0] = '\0';
            snprintf(x->f->title, sizeof(x->f->title), "%s in %s (%s)", r->reason, op_name(x),
                     r->subsystem);
            return;
        }
    }
    if (x->misuse && x->opt.misuse == EXEC_MISUSE_EXPECT && !detected) {
        char text[256];
        kh_trace_format_op(x->t, x->op_i, text, sizeof(text));
        finding(x, "misuse not detected", "allocator", "the allocator accepted `%s` silently", text);
    }
}

/* periodic: the check every few operations (not every one), which skips
 * slabs unchanged since they last validated clean; checks after every
 * operation (the crash tools) and at the end of a run are complete. */
static void full_validate(struct exec *x, bool periodic)
{
    x->viol.n = 0;
    if ((periodic ? kh_validate_changed(x->kh, &x->viol) : kh_validate(x->kh, &x->viol)) == 0)
        return;
    const struct kh_violation *v = &x->viol.v[0];
    char kind[64];
    snprintf(kind, sizeof(kind), "invariant %s", v->invariant);
    finding(x, kind, v->subsystem, "%s: %s (%u violation%s in all)", v->invariant, v->detail,
            x->viol.n, x->viol.n == 1 ? "" : "s");
}

/* The kmalloc-N caches against the spec's geometry for N (SLUB: all of it;
 * SLAB: alignment and slot; SLOB has no such caches to speak of). */
static int check_kmalloc_cache(void *ctx, const struct kh_cache_info *ci)
{
    struct exec *x = ctx;
    const struct kh_config *cfg = kh_get_config(x->kh);
    struct oracle_slab_geom g;
    char why[256];
    if (!ci->is_kmalloc || ci->dead)
        return 0;
    if (!oracle_kmalloc_cache_geometry(cfg, ci->object_size, &g)) {
        finding(x, "kmalloc cache geometry", "oracle", "%s exists; no slab order fits its slot", ci->name);
        return 1;
    }
    if (!oracle_slab_check_cache(cfg, &g, ci, false, why, sizeof(why))) {
        finding(x, "kmalloc cache geometry", "oracle", "%s: %s", ci->name, why);
        return 1;
    }
    return 0;
}

static void check_kmalloc_caches(struct exec *x)
{
    if (x->kmalloc_caches_checked || !x->opt.checks || x->lim.design == KH_SLAB_SLOB)
        return;
    x->kmalloc_caches_checked = true;
    kh_for_each_cache(x->kh, check_kmalloc_cache, x);
}

/* ---- a cache's lists, walked slab by slab ----
 * What a cache reports about itself (slabinfo's columns, /sys/kernel/slab's
 * partial and full counts) adds up from its slabs, walked one by one. And
 * an emptied SLUB slab is freed when the partial list already holds
 * min_partial slabs (SPEC 5), so the empty ones on it never outnumber that
 * value, computed from the spec's slot size. */

struct slab_tally {
    unsigned long slabs, objects, inuse, on[KH_SLAB_LIST_FREE + 1];
    unsigned empty_partial;
};

static int tally_slab(void *ctx, const struct kh_slab_info *si)
{
    struct slab_tally *t = ctx;
    t->slabs++;
    t->objects += si->objects;
    t->inuse += si->inuse;
    if ((unsigned)si->list <= KH_SLAB_LIST_FREE)
        t->on[si->list]++;
    t->empty_partial += si->inuse == 0 && si->list == KH_SLAB_LIST_PARTIAL;
    return 0;
}

static int check_slab_lists(void *ctx, const struct kh_cache_info *ci)
{
    struct exec *x = ctx;
    struct slab_tally t = { 0 };
    kh_for_each_slab(x->kh, (struct kmem_cache *)ci->cache, tally_slab, &t);
    const struct { const char *what; unsigned long reported, counted; } count[] = {
        { "slabs", ci->nr_slabs, t.slabs },
        { "object slots", ci->nr_objects, t.objects },
        { "objects in use", ci->nr_inuse, t.inuse },
        { "partial slabs", ci->nr_partial, t.on[KH_SLAB_LIST_PARTIAL] },
        { "full slabs", ci->nr_full, t.on[KH_SLAB_LIST_FULL] },
        { "free slabs", ci->nr_free, t.on[KH_SLAB_LIST_FREE] },
    };
    for (size_t i = 0; i < sizeof(count) / sizeof(count[0]); i++)
        if (count[i].reported != count[i].counted) {
            finding(x, "cache counts", "oracle", "%s reports %lu %s; its slabs, walked one by one, "
                    "make %lu", ci->name, count[i].reported, count[i].what, count[i].counted);
            return 1;
        }
    unsigned mp = oracle_slab_min_partial(ci->size);
    if (x->lim.design == KH_SLAB_SLUB && !ci->dead && t.empty_partial > mp) {
        finding(x, "partial list", "oracle", "%s keeps %u empty slabs on its partial list; min_partial "
                "for a %u-byte slot is %u", ci->name, t.empty_partial, ci->size, mp);
        return 1;
    }
    return 0;
}

static void check_slab_lists_all(struct exec *x)
{
    if (x->opt.checks && !x->finding && x->lim.design != KH_SLAB_SLOB)
        kh_for_each_cache(x->kh, check_slab_lists, x);
}

/* ---- everything back: the page accounting at the end of a run ----
 * A freed block returns to the free lists (SPEC 4), so once a run's blocks
 * are freed through their own APIs, its pools and caches destroyed and
 * what the slab layer keeps for speed dropped (kh_drop_caches), every page
 * the run took is free again. A page that is not was lost on some path: a
 * leak no single structure's invariant shows. Not judged where the model
 * cannot free everything: after a misuse ran, with boot memory, with a
 * mempool element out or a cache destroyed while objects were in it. */

static bool drain_block(struct exec *x, struct xbind *b)
{
    if (b->type != KH_VAL_PTR || !block_live(x, b))
        return true;
    void *p = b->p;
    size_t req = b->req;
    struct xbind *owner = binding(x, b->owner);
    if (b->api == API_CACHE && !(owner && owner->type == KH_VAL_CACHE && owner->p))
        return false;
    if (b->api == API_PERCPU) {
        untrack_percpu(x, p);
        kh_free_percpu(x->kh, p);
        return true;
    }
    switch (b->api) {
    case API_KMALLOC: case API_CACHE: case API_PAGES: case API_EXACT: case API_VMALLOC: case API_KVMALLOC:
        release(x, b);
        break;
    default:
        return false;   /* mempool elements, boot memory */
    }
    switch (b->api) {
    case API_KMALLOC: kh_kfree(x->kh, p); break;
    case API_CACHE: kh_kmem_cache_free(x->kh, owner->p, p); break;
    case API_PAGES: kh_free_pages(x->kh, (unsigned long)p, b->order); break;
    case API_EXACT: kh_free_pages_exact(x->kh, p, req); break;
    case API_VMALLOC: kh_vfree(x->kh, p); break;
    default: kh_kvfree(x->kh, p); break;
    }
    return true;
}

/* An unbound pointer result is remembered so the end of the run can free
 * it; an unbound cache, pool or array holds memory no name can free. */
static void keep_unbound(struct exec *x, uint8_t type)
{
    if (type == KH_VAL_NONE)
        return;
    if (type != KH_VAL_PTR) {
        x->kept_unbound = true;
        return;
    }
    if (!block_live(x, &x->scratch))
        return;
    if (x->nunbound == x->unbound_cap) {
        x->unbound_cap = x->unbound_cap ? 2 * x->unbound_cap : 16;
        if (!(x->unbound = realloc(x->unbound, x->unbound_cap * sizeof(*x->unbound))))
            abort();
    }
    x->unbound[x->nunbound] = x->scratch;
    x->unbound[x->nunbound++].elems = NULL;
}

/* Frees what the run left; false when something cannot be freed. */
static bool drain(struct exec *x)
{
    bool ok = true;
    for (size_t i = x->nunbound; i-- > 0 && !x->finding;)
        ok &= drain_block(x, &x->unbound[i]);
    for (size_t i = x->nb; i-- > 0 && !x->finding;) {
        struct xbind *b = &x->b[i];
        ok &= !b->tainted && !b->held && drain_block(x, b);
        for (uint32_t j = 0; b->type == KH_VAL_ARRAY && b->elems && j < b->count; j++)
            ok &= drain_block(x, &b->elems[j]);
    }
    /* a block left in the shadow has no name to free it by (an unbound
     * result, boot memory): the run keeps memory the model cannot return */
    ok &= x->shadow.n == 0;
    for (size_t i = x->nb; ok && i-- > 0;) {
        struct xbind *b = &x->b[i];
        if (b->type == KH_VAL_POOL && b->alive && b->p) {
            kh_mempool_destroy(x->kh, b->p);
            b->alive = false;
        }
    }
    for (size_t i = x->nb; ok && i-- > 0;) {
        struct xbind *b = &x->b[i];
        ok &= !(b->type == KH_VAL_CACHE && (b->leaked || b->tainted));
        if (ok && b->type == KH_VAL_CACHE && b->alive && b->p) {
            kh_kmem_cache_destroy(x->kh, b->p);
            b->alive = false;
        }
    }
    return ok;
}

static unsigned long percpu_chunks(struct exec *x)
{
    struct kh_percpu_stats st;
    kh_percpu_get_stats(x->kh, &st);
    return st.nr_chunks;
}

/* The caches the trace made, against the trace's own object count: the
 * allocator's in-use count (exact without a quarantine) and the cache's
 * /proc/slabinfo row (oracle_slabinfo.c). A cache is judged when the
 * model knows its count: live, not touched by a misuse, no pool built on
 * it, and no other name for the same cache (a merge). */
static bool counts_known(struct exec *x, size_t i)
{
    const struct xbind *c = &x->b[i];
    if (c->type != KH_VAL_CACHE || !c->alive || !c->p || c->leaked || c->tainted || c->users ||
        c->ctor_lost)
        return false;
    for (size_t j = 0; j < x->nb; j++)
        if (j != i && x->b[j].type == KH_VAL_CACHE && x->b[j].alive && x->b[j].p == c->p)
            return false;
    return true;
}

static void check_cache_counts(struct exec *x)
{
    const struct kh_config *cfg = kh_get_config(x->kh);
    if (!x->opt.checks || x->finding || x->misuse_ran || x->lim.design == KH_SLAB_SLOB)
        return;
    static char text[1 << 16];
    bool have_text = false;
    for (size_t i = 0; i < x->nb && !x->finding; i++) {
        if (!counts_known(x, i))
            continue;
        const struct xbind *c = &x->b[i];
        struct kh_cache_info ci;
        if (kh_slab_cache_info(x->kh, c->p, &ci) != 0)
            continue;
        if (!cfg->quarantine_objects && ci.nr_inuse != c->live) {
            finding(x, "object count wrong", "oracle", "cache %s counts %lu objects in use; the trace holds %u",
                    ci.name, ci.nr_inuse, c->live);
            return;
        }
        if (!have_text) {
            int len = kh_slabinfo(x->kh, text, sizeof(text));
            if (len < 0 || (size_t)len >= sizeof(text))
                return;   /* too many caches for the buffer: not judged */
            have_text = true;
        }
        struct oracle_slabinfo_row row;
        char why[256];
        int rc = oracle_slabinfo_find(text, ci.name, &row);
        if (rc == -3)
            continue;   /* two caches of one name */
        if (rc != 0)
            finding(x, "slabinfo wrong", "oracle", "cache %s: %s in /proc/slabinfo", ci.name,
                    rc == -1 ? "no row" : "a malformed row");
        else if (!oracle_slabinfo_check(x->lim.design, &c->geom, &row, c->live, why, sizeof(why)))
            finding(x, "slabinfo wrong", "oracle", "cache %s: %s", ci.name, why);
    }
}

static void check_everything_back(struct exec *x)
{
    if (!x->opt.checks || x->finding || x->misuse_ran || x->kept_unbound || x->boot_phase != KH_BOOT_NONE)
        return;
    kh_fault_clear(x->kh);
    if (!drain(x) || x->finding)
        return;
    kh_drop_caches(x->kh);
    const struct kh_report *r = kh_report_get(x->kh, 0);
    if (r) {
        finding(x, "report while freeing", "allocator", "freeing what the trace left (each block "
                "through its own API) made the allocator report: %s", r->reason);
        return;
    }
    /* Like the kernel, the per-CPU allocator keeps chunks it has grown
     * (6.1 frees empty ones later, from a worker): each holds the pages of
     * nr_cpus units. */
    unsigned long chunk_pages = 1ul << oracle_get_order(x->lim.page_shift,
                                                        kh_percpu_unit_size(x->kh) * kh_nr_cpus(x->kh));
    unsigned long now = kh_nr_free_pages(x->kh), chunks = percpu_chunks(x);
    if (now + chunks * chunk_pages != x->free_at_start + x->chunks_at_start * chunk_pages)
        finding(x, "pages not returned", "oracle", "with every block freed, every pool and cache "
                "destroyed and the caches dropped, %lu pages are free and %lu per-CPU chunks of %lu pages "
                "held; at the start %lu and %lu", now, chunks, chunk_pages, x->free_at_start,
                x->chunks_at_start);
}

/* Whether a pointer operand evaluates to NULL (as resolve_ptr has it), with
 * none of resolve_ptr's side effects: mempool_free(NULL) changes nothing. */
static bool operand_null(struct exec *x, const struct kh_operand *a)
{
    if (a->ptr_kind == KH_PTR_NULL || a->ptr_kind == KH_PTR_ZERO_SIZE)
        return a->ptr_kind == KH_PTR_NULL;
    struct xbind *b = binding(x, a->var);
    if (b && a->ptr_kind == KH_PTR_ELEM)
        b = b->elems && a->elem < b->count ? &b->elems[a->elem] : NULL;
    /* the address resolve_ptr computes: ZERO_SIZE_PTR - 16 is NULL too */
    return !b || !b->p || (uintptr_t)b->p + (uintptr_t)(intptr_t)a->offset == 0;
}

/* The pool an operation names, for oracle_mempool. */
static const void *named_pool(struct exec *x, const struct kh_op *op)
{
    int32_t var;
    switch (op->code) {
    case KH_OP_MEMPOOL_ALLOC:
    case KH_OP_MEMPOOL_RESIZE:
    case KH_OP_MEMPOOL_DESTROY: var = op->args[0].var; break;
    case KH_OP_MEMPOOL_FREE: var = op->args[1].var; break;
    default: return NULL;
    }
    struct xbind *b = binding(x, var);
    return b && b->type == KH_VAL_POOL ? b->p : NULL;
}

/* Whether an operation may allocate or change the managed pages, so that
 * the NULL oracle needs its snapshot of the zones before it (a quarter of a
 * kmalloc input's time when taken before every operation). The others only
 * free, look or configure. */
static bool may_allocate(uint8_t code)
{
    switch (code) {
    case KH_OP_WRITE: case KH_OP_READ: case KH_OP_KSIZE: case KH_OP_KFREE:
    case KH_OP_KFREE_SENSITIVE: case KH_OP_KMALLOC_SIZE_ROUNDUP: case KH_OP_KMALLOC_INDEX:
    case KH_OP_GET_ORDER: case KH_OP_SET_CPU: case KH_OP_FAIL_NTH: case KH_OP_FAIL_FROM:
    case KH_OP_FAIL_OFF: case KH_OP_KMEM_CACHE_FREE: case KH_OP_KMEM_CACHE_SIZE:
    case KH_OP_FREE_PAGES: case KH_OP_PER_CPU_PTR:
        return false;
    default:
        return true;
    }
}

/* The executor's shrinker: counts reclaim passes, releases nothing (so
 * the slow path's progress, and every decision, stays the allocator's). */
static unsigned long count_reclaim(struct kh *kh, void *ctx, unsigned long nr_wanted)
{
    (void)kh;
    (void)nr_wanted;
    ((struct exec *)ctx)->reclaims++;
    return 0;
}

static gfp_t trace_gfp(const struct kh_op *op)
{
    const struct kh_op_desc *d = kh_op_desc((enum kh_opcode)op->code);
    for (unsigned i = 0; d && i < kh_op_nargs(d); i++)
        if (d->args[i].kind == KH_ARG_GFP)
            return (gfp_t)op->args[i].u;
    return 0;
}

static bool run_ops(struct exec *x, const struct kh_trace *t, struct exec_finding *f);

bool exec_run(struct exec *x, const struct kh_trace *t, struct exec_finding *f)
{
    /* registered for the run only, so no instance keeps a pointer to x */
    bool counting = x->opt.checks && kh_register_shrinker(x->kh, count_reclaim, x) == 0;
    bool found = run_ops(x, t, f);
    if (counting)
        kh_unregister_shrinker(x->kh, count_reclaim, x);
    return found;
}

static bool run_ops(struct exec *x, const struct kh_trace *t, struct exec_finding *f)
{
    memset(f, 0, sizeof(*f));
    clear_bindings(x);
    shadow_clear(&x->shadow);
    x->t = t;
    x->f = f;
    x->finding = false;
    x->nout = 0;
    x->skipped = 0;
    x->boot_phase = KH_BOOT_NONE;
    if (t->nvars > x->b_cap) {
        free(x->b);
        x->b_cap = t->nvars;
        if (!(x->b = malloc(x->b_cap * sizeof(*x->b))))
            abort();
    }
    x->nb = t->nvars;
    if (x->nb)
        memset(x->b, 0, x->nb * sizeof(*x->b));
    if (t->n > x->out_cap && !(x->out = realloc(x->out, t->n * sizeof(*x->out))))
        abort();
    if (t->n > x->out_cap)
        x->out_cap = t->n;
    for (size_t i = 0; i < x->nb; i++)
        x->b[i].owner = -1;
    kh_set_report_mode(x->kh, KH_REPORT_RECORD);
    kh_set_report_quiet(x->kh, true);
    x->op_i = 0;
    check_kmalloc_caches(x);
    nullo_run_begin(&x->nullo, x->kh);
    x->misuse_ran = false;
    oracle_quarantine_init(&x->quarantine, kh_get_config(x->kh)->quarantine_objects);
    x->reuse.cache = NULL;
    x->cpu = kh_current_cpu(x->kh);
    x->kept_unbound = false;
    x->touched = 0;
    x->over_budget = 0;
    x->nunbound = 0;
    x->free_at_start = kh_nr_free_pages(x->kh);
    x->chunks_at_start = percpu_chunks(x);
    x->percpu_reported = 0;

    for (size_t i = 0; i < t->n && !x->finding; i++) {
        x->op_i = i;
        x->misuse = false;
        x->tainted_operand = false;
        x->reused_operand = false;
        x->reused_rule = LR_NONE;
        struct exec_outcome *o = &x->out[x->nout++];
        memset(o, 0, sizeof(*o));
        o->code = t->ops[i].code;
        o->ok = -1;
        unsigned first_report = 0;
        while (kh_report_get(x->kh, first_report))
            first_report++;
        x->injected_before = kh_fault_injected(x->kh);
        nullo_op_begin(&x->nullo, x->kh,
                       x->opt.checks && (x->opt.thorough || may_allocate(t->ops[i].code)));
        bool null_elem = t->ops[i].code == KH_OP_MEMPOOL_FREE && operand_null(x, &t->ops[i].args[0]);
        x->reclaims_before = x->reclaims;
        x->passed_gfp = trace_gfp(&t->ops[i]);
        x->reserve_before = -1;
        if (x->opt.checks)
            oracle_mempool_before(&x->mempool, x->kh);
        json_begin(x);
        dispatch(x, &t->ops[i]);
        json_end(x);
        if (t->ops[i].result_var < 0 && o->ok != 0 && !o->skipped)
            keep_unbound(x, kh_op_desc((enum kh_opcode)o->code)->result);
        char why[256];
        if (!nullo_op_end(&x->nullo, x->kh, why, sizeof(why)) && x->opt.checks)
            finding(x, "fault injection", "oracle", "%s", why);
        if (x->opt.checks && !x->finding && !o->skipped && !o->misuse &&
            !oracle_warn_op(x->kh, &t->ops[i], o->ok, first_report, x->percpu_reported, why, sizeof(why)))
            finding(x, "failure report", "oracle", "%s", why);
        x->percpu_reported += oracle_warn_percpu_failures(x->kh, first_report);
        if (x->opt.checks && !x->finding && !o->skipped && !o->misuse &&
            !oracle_reclaim_op(&x->reclaim_env, &t->ops[i], x->passed_gfp, x->reserve_before,
                               x->reclaims - x->reclaims_before, why, sizeof(why)))
            finding(x, "reclaim", "oracle", "%s", why);
        if (x->opt.checks && !x->finding && !o->skipped && !o->misuse && !x->tainted_operand &&
            !oracle_mempool_after(&x->mempool, x->kh, &t->ops[i], named_pool(x, &t->ops[i]), o->ok,
                                  null_elem, why, sizeof(why)))
            finding(x, "mempool reserve", "oracle", "%s", why);
        judge_reports(x, first_report);
        if (x->opt.checks && !x->finding && (i + 1) % VERIFY_ALL_EVERY == 0)
            verify_all(x);
        if (!x->finding && x->opt.full_every && (i + 1) % x->opt.full_every == 0)
            full_validate(x, x->opt.full_every > 1);
        if (x->finding && o->rule)
            name_rule(f, o);
        /* The report log is only needed per op: keep memory flat. */
        kh_reports_clear(x->kh);
    }
    if (!x->finding) {
        x->op_i = t->n ? t->n - 1 : 0;
        if (t->n) {
            if (x->opt.checks)
                verify_all(x);
            char why[256];
            if (x->opt.checks && !x->finding && !x->misuse_ran &&
                !oracle_count_check(x->kh, &x->shadow, why, sizeof(why)))
                finding(x, "count mismatch", "oracle", "%s", why);
            if (x->opt.checks && !x->finding && !oracle_proc_check(x->kh, why, sizeof(why)))
                finding(x, "/proc text wrong", "oracle", "%s", why);
            if (x->boot_phase == KH_BOOT_DONE)
                check_handed_over(x, false);
            full_validate(x, false);
            check_cache_counts(x);
            check_slab_lists_all(x);
            check_everything_back(x);
        }
    }
    return x->finding;
}
