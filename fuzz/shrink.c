/* shrink.c - the minimizer behind `minimize` and `reproduce --minimize`.
 *
 * A candidate is accepted only when a run gives exactly the original title.
 * Passes, in order, repeated while any of them makes progress:
 *   1. cut everything after the operation that reveals the finding;
 *   2. drop chunks of operations, halving the chunk size down to one
 *      operation (ddmin-style, sweeping from the end); dropping an operation
 *      also drops every later operation that uses what it bound, so each
 *      candidate is a valid trace;
 *   3. unbind results nothing refers to;
 *   4. simplify arguments: an integer that appears several times (an order
 *      given to alloc_pages and to free_pages, a size to alloc_pages_exact
 *      and free_pages_exact) shrinks as one; then each integer alone, by
 *      trying 0 and then a binary search between the last failing and the
 *      smallest reproducing value; gfp flags move towards GFP_KERNEL one
 *      flag at a time; slab flags towards 0; pointer offsets towards 0;
 *      constructors and fault domains towards their defaults.
 * Candidates are rebuilt through the canonical text and parsed again, so a
 * change that the language would reject (an element index beyond a smaller
 * bulk count) is never run. Every step is deterministic.
 */
#include "crash.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DEFAULT_MAX_RUNS 20000ul
#define DEFAULT_MAX_SECONDS 300.0
#define MAX_ROUNDS 4

struct shrinker {
    struct crash_runner *r;
    const char *title;
    unsigned long max_runs, runs;
    double max_seconds;
    struct timespec t0;
    bool verbose;
    bool budget_hit;
    struct kh_trace cur;
};

static double elapsed(const struct shrinker *s)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - s->t0.tv_sec) + (double)(now.tv_nsec - s->t0.tv_nsec) / 1e9;
}

static bool out_of_budget(struct shrinker *s)
{
    if (!s->budget_hit && (s->runs >= s->max_runs || elapsed(s) >= s->max_seconds))
        s->budget_hit = true;
    return s->budget_hit;
}

/* The binding an operand refers to, or -1. */
static int32_t operand_var(uint8_t kind, const struct kh_operand *a)
{
    switch (kind) {
    case KH_ARG_PTR:
        return a->ptr_kind == KH_PTR_VAR || a->ptr_kind == KH_PTR_ELEM ? a->var : -1;
    case KH_ARG_CACHE:
    case KH_ARG_CACHE_OR_NULL:
    case KH_ARG_POOL:
    case KH_ARG_POOL_OR_NULL:
    case KH_ARG_ARRAY:
        return a->var;
    default:
        return -1;
    }
}

/* Text of the kept operations (unbinding the marked ones), parsed again.
 * keep/unbind may be NULL (all kept, none unbound). Returns 0, or -1 when
 * the text does not parse (the candidate is not a valid trace) or on OOM. */
static int rebuild(const struct kh_trace *src, const bool *keep, const bool *unbind, struct kh_trace *out)
{
    size_t cap = 4096, len = 0;
    char *text = malloc(cap);
    if (!text)
        return -1;
    for (size_t i = 0; i < src->n; i++) {
        if (keep && !keep[i])
            continue;
        char line[1024];
        kh_trace_format_op(src, i, line, sizeof(line));
        const char *body = line;
        if (unbind && unbind[i] && src->ops[i].result_var >= 0) {
            const char *eq = strstr(line, " = ");
            if (eq)
                body = eq + 3;
        }
        size_t n = strlen(body);
        if (len + n + 2 > cap) {
            while (len + n + 2 > cap)
                cap *= 2;
            char *nt = realloc(text, cap);
            if (!nt) {
                free(text);
                return -1;
            }
            text = nt;
        }
        memcpy(text + len, body, n);
        len += n;
        text[len++] = '\n';
    }
    kh_trace_init(out);
    struct kh_trace_error err;
    int rc = kh_trace_parse(text, len, "candidate", out, &err);
    free(text);
    if (rc)
        kh_trace_free(out);
    return rc;
}

/* Drops the operations after `last`. */
static void truncate_after(struct shrinker *s, long last)
{
    if (last < 0 || (size_t)last + 1 >= s->cur.n)
        return;
    bool *keep = calloc(s->cur.n, sizeof(bool));
    if (!keep)
        return;
    for (long i = 0; i <= last; i++)
        keep[i] = true;
    struct kh_trace t;
    if (rebuild(&s->cur, keep, NULL, &t) == 0) {
        kh_trace_free(&s->cur);
        s->cur = t;
    }
    free(keep);
}

/* Runs cand; when it gives the title, it becomes the current trace (cut
 * after its finding) and true is returned. cand is consumed either way. */
static bool attempt(struct shrinker *s, struct kh_trace *cand)
{
    if (out_of_budget(s)) {
        kh_trace_free(cand);
        return false;
    }
    struct crash_result res;
    s->runs++;
    if (crash_run(s->r, cand, &res) != 0 || !res.found || strcmp(res.title, s->title) != 0) {
        kh_trace_free(cand);
        return false;
    }
    kh_trace_free(&s->cur);
    s->cur = *cand;
    truncate_after(s, res.op_index);
    return true;
}

/* ---- pass 2: drop operations ---- */

static bool drop_ops(struct shrinker *s)
{
    bool any = false;
    size_t chunk = s->cur.n / 2 ? s->cur.n / 2 : 1;
    for (;;) {
        bool progress = false;
        size_t end = s->cur.n;
        while (end > 0 && !out_of_budget(s)) {
            size_t begin = end > chunk ? end - chunk : 0;
            size_t n = s->cur.n;
            bool *keep = malloc(n ? n : 1);
            if (!keep)
                return any;
            for (size_t i = 0; i < n; i++)
                keep[i] = i < begin || i >= end;
            /* whatever uses a dropped binding goes too (uses follow definitions) */
            size_t kept = 0;
            for (size_t i = 0; i < n; i++) {
                const struct kh_op_desc *d = kh_op_desc((enum kh_opcode)s->cur.ops[i].code);
                for (unsigned a = 0; keep[i] && a < kh_op_nargs(d); a++) {
                    int32_t v = operand_var(d->args[a].kind, &s->cur.ops[i].args[a]);
                    if (v >= 0 && !keep[s->cur.vars[v].op])
                        keep[i] = false;
                }
                kept += keep[i];
            }
            struct kh_trace cand;
            bool ok = kept > 0 && rebuild(&s->cur, keep, NULL, &cand) == 0 && attempt(s, &cand);
            free(keep);
            if (ok) {
                progress = any = true;
                if (s->verbose)
                    fprintf(stderr, "minimize: %zu operations (chunk %zu, %lu runs)\n", s->cur.n, chunk,
                            s->runs);
            }
            end = begin < s->cur.n ? begin : s->cur.n;
        }
        if (out_of_budget(s) || (chunk == 1 && !progress))
            return any;
        if (chunk > 1)
            chunk /= 2;
    }
}

/* ---- pass 3: unbind unused results ---- */

static bool unbind_unused(struct shrinker *s)
{
    size_t n = s->cur.n;
    bool *used = calloc(s->cur.nvars + 1, sizeof(bool));
    bool *unbind = calloc(n + 1, sizeof(bool));
    bool any = false, changed = false;
    if (!used || !unbind)
        goto out;
    for (size_t i = 0; i < n; i++) {
        const struct kh_op_desc *d = kh_op_desc((enum kh_opcode)s->cur.ops[i].code);
        for (unsigned a = 0; a < kh_op_nargs(d); a++) {
            int32_t v = operand_var(d->args[a].kind, &s->cur.ops[i].args[a]);
            if (v >= 0)
                used[v] = true;
        }
    }
    for (size_t i = 0; i < n; i++) {
        int32_t v = s->cur.ops[i].result_var;
        if (v >= 0 && !used[v])
            unbind[i] = any = true;
    }
    if (!any)
        goto out;
    /* All at once; if that changes the finding, one at a time. */
    struct kh_trace cand;
    if (rebuild(&s->cur, NULL, unbind, &cand) == 0 && attempt(s, &cand)) {
        changed = true;
        goto out;
    }
    for (size_t i = n; i-- > 0;) {
        if (!unbind[i] || i >= s->cur.n || out_of_budget(s))
            continue;
        bool *one = calloc(s->cur.n, sizeof(bool));
        if (!one)
            break;
        one[i] = true;
        if (rebuild(&s->cur, NULL, one, &cand) == 0 && attempt(s, &cand))
            changed = true;
        free(one);
    }
out:
    free(used);
    free(unbind);
    return changed;
}

/* ---- pass 4: simplify arguments ---- */

struct pos {
    size_t op;
    unsigned arg;
};

/* Sets argument values (u, or the pointer offset) at every position and
 * tries the result. */
static bool try_values(struct shrinker *s, const struct pos *p, size_t np, uint64_t u, bool offset)
{
    struct kh_trace clone, cand;
    for (size_t k = 0; k < np; k++)
        if (p[k].op >= s->cur.n)
            return false;  /* cut off by an earlier success */
    if (rebuild(&s->cur, NULL, NULL, &clone))
        return false;
    for (size_t k = 0; k < np; k++) {
        struct kh_operand *a = &clone.ops[p[k].op].args[p[k].arg];
        if (offset)
            a->offset = a->offset < 0 ? -(int64_t)u : (int64_t)u;
        else
            a->u = u;
    }
    int rc = rebuild(&clone, NULL, NULL, &cand);
    kh_trace_free(&clone);
    return rc == 0 && attempt(s, &cand);
}

/* Smallest value in [0, v] that still reproduces, assuming (as a heuristic)
 * that reproducing is monotone above some threshold. */
static bool shrink_value(struct shrinker *s, const struct pos *p, size_t np, uint64_t v, bool offset)
{
    if (v == 0)
        return false;
    if (try_values(s, p, np, 0, offset))
        return true;
    uint64_t lo = 0, hi = v;
    bool changed = false;
    while (hi - lo > 1 && !out_of_budget(s)) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (try_values(s, p, np, mid, offset)) {
            hi = mid;
            changed = true;
        } else {
            lo = mid;
        }
        for (size_t k = 0; k < np; k++)
            if (p[k].op >= s->cur.n)
                return changed;
    }
    return changed;
}

static bool shrink_equal_values(struct shrinker *s)
{
    bool changed = false;
    size_t n = s->cur.n;
    struct pos *all = malloc((n * KH_OP_MAX_ARGS + 1) * sizeof(*all));
    struct pos *same = malloc((n * KH_OP_MAX_ARGS + 1) * sizeof(*same));
    if (!all || !same)
        goto out;
    size_t na = 0;
    for (size_t i = 0; i < n; i++) {
        const struct kh_op_desc *d = kh_op_desc((enum kh_opcode)s->cur.ops[i].code);
        for (unsigned a = 0; a < kh_op_nargs(d); a++)
            if (d->args[a].kind == KH_ARG_U64 && s->cur.ops[i].args[a].u > 1)
                all[na++] = (struct pos){ i, a };
    }
    for (size_t k = 0; k < na && !out_of_budget(s); k++) {
        if (all[k].op >= s->cur.n)
            break;
        uint64_t v = s->cur.ops[all[k].op].args[all[k].arg].u;
        /* first occurrence of v only; it gathers the others */
        bool first = true;
        for (size_t e = 0; e < k && first; e++)
            first = s->cur.ops[all[e].op].args[all[e].arg].u != v;
        if (!first || v <= 1)
            continue;
        size_t ns = 0;
        for (size_t e = k; e < na; e++)
            if (all[e].op < s->cur.n && s->cur.ops[all[e].op].args[all[e].arg].u == v)
                same[ns++] = all[e];
        if (ns >= 2)
            changed |= shrink_value(s, same, ns, v, false);
    }
out:
    free(all);
    free(same);
    return changed;
}

static int popcount32(uint32_t x) { return __builtin_popcount(x); }

/* Moves flags towards `goal` one bit at a time (highest first), then tries
 * the goal itself. */
static bool shrink_flags(struct shrinker *s, struct pos p, uint32_t goal)
{
    bool changed = false;
    uint32_t v = (uint32_t)s->cur.ops[p.op].args[p.arg].u;
    if (v == goal)
        return false;
    if (try_values(s, &p, 1, goal, false))
        return true;
    for (int bit = 31; bit >= 0 && !out_of_budget(s); bit--) {
        if (p.op >= s->cur.n)
            break;
        v = (uint32_t)s->cur.ops[p.op].args[p.arg].u;
        uint32_t m = 1u << bit;
        if (!((v ^ goal) & m))
            continue;
        uint32_t nv = v ^ m;
        if (popcount32(nv ^ goal) < popcount32(v ^ goal) && try_values(s, &p, 1, nv, false))
            changed = true;
    }
    return changed;
}

static bool shrink_args(struct shrinker *s)
{
    bool changed = shrink_equal_values(s);
    for (size_t i = 0; i < s->cur.n && !out_of_budget(s); i++) {
        const struct kh_op_desc *d = kh_op_desc((enum kh_opcode)s->cur.ops[i].code);
        for (unsigned a = 0; a < kh_op_nargs(d) && i < s->cur.n && !out_of_budget(s); a++) {
            const struct kh_operand *arg = &s->cur.ops[i].args[a];
            struct pos p = { i, a };
            switch (d->args[a].kind) {
            case KH_ARG_U64:
            case KH_ARG_BULK_N:
                changed |= shrink_value(s, &p, 1, arg->u, false);
                break;
            case KH_ARG_BYTE:
            case KH_ARG_CTOR:
                if (arg->u)
                    changed |= try_values(s, &p, 1, 0, false);
                break;
            case KH_ARG_GFP:
                changed |= shrink_flags(s, p, GFP_KERNEL);
                break;
            case KH_ARG_SLAB_FLAGS:
                changed |= shrink_flags(s, p, 0);
                break;
            case KH_ARG_NODE:
                /* NUMA_NO_NODE is what a caller without a preference passes */
                if (arg->u != UINT64_MAX)
                    changed |= try_values(s, &p, 1, UINT64_MAX, false);
                break;
            case KH_ARG_DOMAINS:
                /* all domains is the default (printed as nothing) */
                if (arg->u != KH_DOMAIN_ALL)
                    changed |= try_values(s, &p, 1, KH_DOMAIN_ALL, false);
                break;
            case KH_ARG_PTR:
                if (arg->offset)
                    changed |= shrink_value(s, &p, 1,
                                            arg->offset < 0 ? (uint64_t)0 - (uint64_t)arg->offset
                                                            : (uint64_t)arg->offset,
                                            true);
                break;
            default:
                break;
            }
        }
    }
    return changed;
}

/* ---- names ---- */

static bool generated_name(const char *n)
{
    if (!strchr("pcma", n[0]) || !n[1])
        return false;
    for (const char *c = n + 1; *c; c++)
        if (*c < '0' || *c > '9')
            return false;
    return true;
}

/* Generated-looking names (p17, c3, ...) become p1, p2, ... c1, ... in
 * binding order; names a person chose are kept. */
static void renumber(struct kh_trace *t)
{
    unsigned next[5] = { 0 };
    static const char prefix[5] = { '?', 'p', 'c', 'm', 'a' };
    for (size_t v = 0; v < t->nvars; v++) {
        if (!generated_name(kh_trace_var_name(t, (int32_t)v)) || t->vars[v].type >= 5)
            continue;
        char name[24];
        snprintf(name, sizeof(name), "%c%u", prefix[t->vars[v].type], ++next[t->vars[v].type]);
        kh_trace_rename_var(t, (int32_t)v, name);
    }
}

int crash_shrink(struct crash_runner *r, const struct kh_trace *t, const char *title,
                 const struct crash_shrink_options *o, struct kh_trace *out,
                 struct crash_shrink_stats *st)
{
    static const struct crash_shrink_options defaults;
    if (!o)
        o = &defaults;
    struct shrinker s = {
        .r = r,
        .title = title,
        .max_runs = o->max_runs ? o->max_runs : DEFAULT_MAX_RUNS,
        .max_seconds = o->max_seconds > 0 ? o->max_seconds : DEFAULT_MAX_SECONDS,
        .verbose = o->verbose,
    };
    clock_gettime(CLOCK_MONOTONIC, &s.t0);
    if (rebuild(t, NULL, NULL, &s.cur))
        return -1;
    size_t before = t->n;

    /* The original, once, to learn where the finding is revealed. */
    struct kh_trace first;
    if (rebuild(t, NULL, NULL, &first) == 0)
        attempt(&s, &first);
    for (int round = 0; round < MAX_ROUNDS && !out_of_budget(&s); round++) {
        bool changed = drop_ops(&s);
        changed |= unbind_unused(&s);
        changed |= shrink_args(&s);
        if (s.verbose)
            fprintf(stderr, "minimize: round %d: %zu operations, %lu runs, %.1f s\n", round + 1, s.cur.n,
                    s.runs, elapsed(&s));
        if (!changed)
            break;
    }
    renumber(&s.cur);
    if (st) {
        st->ops_before = before;
        st->ops_after = s.cur.n;
        st->runs = s.runs;
        st->seconds = elapsed(&s);
        st->budget_hit = s.budget_hit;
    }
    *out = s.cur;
    return 0;
}
