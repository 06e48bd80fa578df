/* gen_inputs.c - fixed, reproducible fuzz inputs for the harness
 * throughput benchmark: for every fuzz target, traces of about N operations
 * that use only the operations that target drives, and use them sensibly
 * (frees of live objects, writes inside them, caches destroyed when empty),
 * so an input runs to its end like a good corpus entry rather than stopping
 * at its first nonsense operation.
 *
 *   gen_inputs OUTDIR [--inputs K] [--ops N] [--seed S]
 *
 * Writes OUTDIR/<target>/<i>.kht (binary traces with the "KHT" header,
 * which every target decodes with the full operation table) and, for
 * trace_parse, OUTDIR/trace_parse/<i>.txt (the text form). Each trace is
 * generated as text and parsed back, so a generator bug is an error here.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz_target.h"
#include "trace.h"

struct rng { uint64_t s; };
static uint64_t rnd(struct rng *r)
{
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return r->s * 0x2545F4914F6CDD1Dull;
}
static unsigned below(struct rng *r, unsigned n) { return (unsigned)(rnd(r) % n); }
/* Log-uniform in [lo, hi]. */
static uint64_t logsize(struct rng *r, unsigned lo_shift, unsigned hi_shift)
{
    unsigned e = lo_shift + below(r, hi_shift - lo_shift);
    return ((uint64_t)1 << e) + (rnd(r) & (((uint64_t)1 << e) - 1));
}

/* What a pointer variable holds, so it is freed the right way. */
enum kind { K_KMALLOC, K_CACHE, K_PAGES, K_EXACT, K_VMALLOC, K_KVMALLOC, K_PERCPU, K_POOL };

struct obj { unsigned var; enum kind kind; uint64_t size; unsigned owner; };

/* A cache or a pool: its variable, object size and live objects. */
struct holder { unsigned var, size, live; };

#define MAX_OBJS 128
#define MAX_CACHES 4
#define MAX_POOLS 3

struct gen {
    struct rng r;
    char *buf;
    size_t len, cap;
    unsigned ops, next_var;
    const uint8_t *allowed;     /* NULL: every operation */
    unsigned nallowed;
    unsigned nr_cpus;
    bool misuse;                /* the misuse target: some double frees */
    bool small;                 /* 16 MiB profiles: keep blocks small */
    struct obj obj[MAX_OBJS];
    unsigned nobj;
    struct holder cache[MAX_CACHES];
    unsigned ncache;
    struct holder pool[MAX_POOLS];
    unsigned npool;
    int freed_var;              /* last kfree'd variable, for double frees */
    bool fault;
};

static void emit(struct gen *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void emit(struct gen *g, const char *fmt, ...)
{
    va_list ap;
    for (;;) {
        va_start(ap, fmt);
        int n = vsnprintf(g->buf + g->len, g->cap - g->len, fmt, ap);
        va_end(ap);
        if (n >= 0 && (size_t)n < g->cap - g->len) {
            g->len += (size_t)n;
            break;
        }
        g->cap = g->cap * 2 + 4096;
        g->buf = realloc(g->buf, g->cap);
        if (!g->buf)
            abort();
    }
    g->ops++;
}

static bool allowed(const struct gen *g, enum kh_opcode op)
{
    if (!g->allowed)
        return true;
    for (unsigned i = 0; i < g->nallowed; i++)
        if (g->allowed[i] == op)
            return true;
    return false;
}

static unsigned new_obj(struct gen *g, enum kind kind, uint64_t size, unsigned owner)
{
    unsigned v = ++g->next_var;
    if (g->nobj < MAX_OBJS)
        g->obj[g->nobj++] = (struct obj){ v, kind, size, owner };
    return v;
}

/* A random live object of one of the kinds in mask, removed when take. */
static struct obj *pick(struct gen *g, unsigned mask)
{
    unsigned cand[MAX_OBJS], n = 0;
    for (unsigned i = 0; i < g->nobj; i++)
        if (mask & (1u << g->obj[i].kind))
            cand[n++] = i;
    return n ? &g->obj[cand[below(&g->r, n)]] : NULL;
}
static void drop(struct gen *g, struct obj *o) { *o = g->obj[--g->nobj]; }

static const char *gfp(struct gen *g)
{
    static const char *const flags[] = { "GFP_KERNEL", "GFP_KERNEL", "GFP_KERNEL", "GFP_ATOMIC",
                                         "GFP_KERNEL|__GFP_ZERO", "GFP_NOWAIT|__GFP_NOWARN" };
    return flags[below(&g->r, 6)];
}

/* One operation (or none when the pick does not apply); returns whether it
 * emitted something. */
static bool step(struct gen *g)
{
    unsigned w = below(&g->r, 100);
    struct obj *o;
    if (w < 14 && allowed(g, KH_OP_KMALLOC)) {
        uint64_t size = logsize(&g->r, 3, g->small ? 12 : 14);
        emit(g, "p%u = kmalloc %llu %s\n", new_obj(g, K_KMALLOC, size, 0), (unsigned long long)size,
             gfp(g));
    } else if (w < 18 && allowed(g, KH_OP_KZALLOC)) {
        uint64_t size = logsize(&g->r, 3, 11);
        emit(g, "p%u = kzalloc %llu GFP_KERNEL\n", new_obj(g, K_KMALLOC, size, 0),
             (unsigned long long)size);
    } else if (w < 20 && allowed(g, KH_OP_KCALLOC)) {
        unsigned n = 1 + below(&g->r, 16), size = 8 + below(&g->r, 120);
        emit(g, "p%u = kcalloc %u %u GFP_KERNEL\n", new_obj(g, K_KMALLOC, (uint64_t)n * size, 0), n, size);
    } else if (w < 23 && allowed(g, KH_OP_KREALLOC) && (o = pick(g, 1u << K_KMALLOC))) {
        uint64_t size = logsize(&g->r, 3, 12);
        unsigned old = o->var;
        drop(g, o);
        emit(g, "p%u = krealloc p%u %llu GFP_KERNEL\n", new_obj(g, K_KMALLOC, size, 0), old,
             (unsigned long long)size);
    } else if (w < 25 && allowed(g, KH_OP_KSIZE) && (o = pick(g, 1u << K_KMALLOC))) {
        emit(g, "ksize p%u\n", o->var);
    } else if (w < 36 && allowed(g, KH_OP_KFREE) && (o = pick(g, 1u << K_KMALLOC))) {
        g->freed_var = (int)o->var;
        emit(g, "kfree p%u\n", o->var);
        drop(g, o);
    } else if (w < 38 && allowed(g, KH_OP_KMEM_CACHE_CREATE) && g->ncache < MAX_CACHES) {
        unsigned v = ++g->next_var, size = 8 + below(&g->r, 500);
        g->cache[g->ncache++] = (struct holder){ v, size, 0 };
        emit(g, "c%u = kmem_cache_create bench_c%u %u 0 %s\n", v, v, size,
             below(&g->r, 3) ? "0" : "SLAB_HWCACHE_ALIGN");
    } else if (w < 48 && allowed(g, KH_OP_KMEM_CACHE_ALLOC) && g->ncache) {
        unsigned c = below(&g->r, g->ncache);
        g->cache[c].live++;
        emit(g, "p%u = kmem_cache_alloc c%u GFP_KERNEL\n",
             new_obj(g, K_CACHE, g->cache[c].size, c), g->cache[c].var);
    } else if (w < 56 && allowed(g, KH_OP_KMEM_CACHE_FREE) && (o = pick(g, 1u << K_CACHE))) {
        g->cache[o->owner].live--;
        emit(g, "kmem_cache_free c%u p%u\n", g->cache[o->owner].var, o->var);
        drop(g, o);
    } else if (w < 57 && allowed(g, KH_OP_KMEM_CACHE_DESTROY) && g->ncache &&
               g->cache[g->ncache - 1].live == 0) {
        emit(g, "kmem_cache_destroy c%u\n", g->cache[--g->ncache].var);
    } else if (w < 58 && allowed(g, KH_OP_KMEM_CACHE_ALLOC_BULK) && allowed(g, KH_OP_KMEM_CACHE_FREE_BULK) &&
               g->ncache) {
        unsigned c = below(&g->r, g->ncache), v = ++g->next_var;
        emit(g, "a%u = kmem_cache_alloc_bulk c%u %u GFP_KERNEL\n", v, g->cache[c].var, 1 + below(&g->r, 16));
        emit(g, "kmem_cache_free_bulk c%u a%u\n", g->cache[c].var, v);
    } else if (w < 59 && allowed(g, KH_OP_KMEM_CACHE_SHRINK) && g->ncache) {
        emit(g, "kmem_cache_shrink c%u\n", g->cache[below(&g->r, g->ncache)].var);
    } else if (w < 65 && allowed(g, KH_OP_ALLOC_PAGES)) {
        unsigned order = below(&g->r, g->small ? 4 : 6);
        emit(g, "p%u = alloc_pages %u %s\n", new_obj(g, K_PAGES, 4096ull << order, order), order, gfp(g));
    } else if (w < 70 && allowed(g, KH_OP_FREE_PAGES) && (o = pick(g, 1u << K_PAGES))) {
        emit(g, "free_pages p%u %u\n", o->var, o->owner);
        drop(g, o);
    } else if (w < 72 && allowed(g, KH_OP_ALLOC_PAGES_EXACT) && allowed(g, KH_OP_FREE_PAGES_EXACT)) {
        uint64_t size = 1 + below(&g->r, 5 * 4096);
        emit(g, "p%u = alloc_pages_exact %llu GFP_KERNEL\n", new_obj(g, K_EXACT, size, 0),
             (unsigned long long)size);
    } else if (w < 73 && (o = pick(g, 1u << K_EXACT))) {
        emit(g, "free_pages_exact p%u %llu\n", o->var, (unsigned long long)o->size);
        drop(g, o);
    } else if (w < 76 && allowed(g, KH_OP_VMALLOC)) {
        uint64_t size = logsize(&g->r, 4, g->small ? 15 : 17);
        emit(g, "p%u = vmalloc %llu\n", new_obj(g, K_VMALLOC, size, 0), (unsigned long long)size);
    } else if (w < 78 && allowed(g, KH_OP_VFREE) && (o = pick(g, 1u << K_VMALLOC))) {
        emit(g, "vfree p%u\n", o->var);
        drop(g, o);
    } else if (w < 80 && allowed(g, KH_OP_KVMALLOC)) {
        uint64_t size = logsize(&g->r, 4, g->small ? 15 : 17);
        emit(g, "p%u = kvmalloc %llu GFP_KERNEL\n", new_obj(g, K_KVMALLOC, size, 0), (unsigned long long)size);
    } else if (w < 82 && allowed(g, KH_OP_KVFREE) && (o = pick(g, 1u << K_KVMALLOC))) {
        emit(g, "kvfree p%u\n", o->var);
        drop(g, o);
    } else if (w < 85 && allowed(g, KH_OP_ALLOC_PERCPU)) {
        unsigned size = 4 + below(&g->r, 200);
        emit(g, "p%u = alloc_percpu %u 8\n", new_obj(g, K_PERCPU, size, 0), size);
    } else if (w < 86 && allowed(g, KH_OP_PER_CPU_PTR) && (o = pick(g, 1u << K_PERCPU))) {
        emit(g, "per_cpu_ptr p%u %u\n", o->var, below(&g->r, g->nr_cpus));
    } else if (w < 87 && allowed(g, KH_OP_FREE_PERCPU) && (o = pick(g, 1u << K_PERCPU))) {
        emit(g, "free_percpu p%u\n", o->var);
        drop(g, o);
    } else if (w < 88 && allowed(g, KH_OP_MEMPOOL_CREATE_KMALLOC_POOL) && g->npool < MAX_POOLS) {
        unsigned v = ++g->next_var, size = 16 + below(&g->r, 1000);
        g->pool[g->npool++] = (struct holder){ v, size, 0 };
        emit(g, "m%u = mempool_create_kmalloc_pool %u %u\n", v, 1 + below(&g->r, 8), size);
    } else if (w < 90 && allowed(g, KH_OP_MEMPOOL_ALLOC) && g->npool) {
        unsigned m = below(&g->r, g->npool);
        g->pool[m].live++;
        emit(g, "p%u = mempool_alloc m%u GFP_KERNEL\n", new_obj(g, K_POOL, g->pool[m].size, m),
             g->pool[m].var);
    } else if (w < 91 && allowed(g, KH_OP_MEMPOOL_FREE) && (o = pick(g, 1u << K_POOL))) {
        g->pool[o->owner].live--;
        emit(g, "mempool_free p%u m%u\n", o->var, g->pool[o->owner].var);
        drop(g, o);
    } else if (w < 92 && allowed(g, KH_OP_MEMPOOL_DESTROY) && g->npool && g->pool[g->npool - 1].live == 0) {
        emit(g, "mempool_destroy m%u\n", g->pool[--g->npool].var);
    } else if (w < 97 && allowed(g, KH_OP_WRITE) &&
               (o = pick(g, ~((1u << K_PERCPU) | (1u << K_CACHE))))) {
        uint64_t off = rnd(&g->r) % o->size, len = 1 + rnd(&g->r) % (o->size - off);
        if (len > 256)
            len = 256;
        emit(g, "write p%u %llu %llu 0x%02x\n", o->var, (unsigned long long)off,
             (unsigned long long)len, below(&g->r, 256));
    } else if (w < 98 && allowed(g, KH_OP_READ) && (o = pick(g, 1u << K_KMALLOC))) {
        emit(g, "read p%u 0 %llu\n", o->var, (unsigned long long)(o->size < 64 ? o->size : 64));
    } else if (w < 99 && allowed(g, KH_OP_SET_CPU) && g->nr_cpus > 1) {
        emit(g, "set_cpu %u\n", below(&g->r, g->nr_cpus));
    } else if (allowed(g, KH_OP_FAIL_NTH) && allowed(g, KH_OP_FAIL_OFF) && !g->misuse) {
        /* Not in the misuse target: there, kmem_cache_free of a variable
         * whose allocation failed (NULL) counts as misuse the reference
         * does not report. */
        if (g->fault)
            emit(g, "fail_off\n");
        else
            emit(g, "fail_nth %u\n", 1 + below(&g->r, 6));
        g->fault = !g->fault;
    } else {
        return false;
    }
    if (g->misuse && g->freed_var > 0 && below(&g->r, 25) == 0) {
        emit(g, "kfree p%d\n", g->freed_var);   /* double free: must be reported */
        g->freed_var = 0;
    }
    return true;
}

static char *generate(struct gen *g, unsigned nops)
{
    g->len = 0;
    g->ops = 0;
    g->nobj = g->ncache = g->npool = 0;
    g->next_var = 0;
    g->freed_var = 0;
    g->fault = false;
    unsigned misses = 0;
    while (g->ops < nops) {
        if (!step(g) && ++misses > 100000) {
            fprintf(stderr, "gen_inputs: no operation applies\n");
            exit(1);
        }
    }
    return g->buf;
}

static void mkdir_p(const char *path)
{
    if (mkdir(path, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "gen_inputs: cannot create %s: %s\n", path, strerror(errno));
        exit(1);
    }
}

static void write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
        fprintf(stderr, "gen_inputs: cannot write %s: %s\n", path, strerror(errno));
        exit(1);
    }
}

/* differential_fuzzer.c drives the kmalloc family and slab caches with
 * reads and writes (its own list; it is not in the target table). */
static const uint8_t differential_ops[] = {
    KH_OP_KMALLOC, KH_OP_KZALLOC, KH_OP_KCALLOC, KH_OP_KREALLOC, KH_OP_KSIZE, KH_OP_KFREE,
    KH_OP_KMEM_CACHE_CREATE, KH_OP_KMEM_CACHE_ALLOC, KH_OP_KMEM_CACHE_FREE,
    KH_OP_KMEM_CACHE_ALLOC_BULK, KH_OP_KMEM_CACHE_FREE_BULK, KH_OP_KMEM_CACHE_SHRINK,
    KH_OP_KMEM_CACHE_DESTROY, KH_OP_WRITE, KH_OP_READ,
};

int main(int argc, char **argv)
{
    const char *outdir = NULL;
    unsigned inputs = 32, nops = 100;
    uint64_t seed = 1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--inputs") == 0 && i + 1 < argc)
            inputs = (unsigned)atoi(argv[++i]);
        else if (strcmp(argv[i], "--ops") == 0 && i + 1 < argc)
            nops = (unsigned)atoi(argv[++i]);
        else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc)
            seed = strtoull(argv[++i], NULL, 0);
        else if (argv[i][0] != '-' && !outdir)
            outdir = argv[i];
        else
            outdir = NULL, argc = 0;
    }
    if (!outdir || inputs == 0 || nops == 0 || nops > KH_TRACE_MAX_OPS) {
        fprintf(stderr, "usage: gen_inputs OUTDIR [--inputs K] [--ops N (1..%d)] [--seed S]\n",
                KH_TRACE_MAX_OPS);
        return 2;
    }
    mkdir_p(outdir);

    /* The table's targets, then differential and trace_parse. */
    const char *names[32];
    size_t nt = 0;
    for (const struct kh_fuzz_target *t; (t = kh_fuzz_target_at(nt)) != NULL && nt < 30;)
        names[nt++] = t->name;
    names[nt++] = "differential";
    names[nt++] = "trace_parse";

    for (size_t k = 0; k < nt; k++) {
        const struct kh_fuzz_target *t = kh_fuzz_target_find(names[k]);
        struct gen g = { .r = { seed * 0x9E3779B97F4A7C15ull + k + 1 } };
        g.nr_cpus = 1;
        if (t) {
            g.allowed = t->ops;
            g.nallowed = t->nops;
            g.nr_cpus = t->nr_cpus ? t->nr_cpus : 1;
            g.misuse = t->misuse == EXEC_MISUSE_EXPECT;
            g.small = strstr(t->profile, "16m") != NULL;
        } else if (strcmp(names[k], "differential") == 0) {
            g.allowed = differential_ops;
            g.nallowed = sizeof(differential_ops);
        }
        char dir[4096];
        snprintf(dir, sizeof(dir), "%s/%s", outdir, names[k]);
        mkdir_p(dir);
        for (unsigned i = 0; i < inputs; i++) {
            char *text = generate(&g, nops);
            struct kh_trace tr;
            struct kh_trace_error err;
            kh_trace_init(&tr);
            if (kh_trace_parse(text, g.len, names[k], &tr, &err) != 0) {
                fprintf(stderr, "gen_inputs: generated an invalid trace: %s\n%s", err.text, text);
                return 1;
            }
            char path[4200];
            if (strcmp(names[k], "trace_parse") == 0) {
                snprintf(path, sizeof(path), "%s/%03u.txt", dir, i);
                write_file(path, text, g.len);
            } else {
                uint8_t *bin;
                size_t len;
                if (kh_trace_encode(&tr, &bin, &len) != 0)
                    abort();
                snprintf(path, sizeof(path), "%s/%03u.kht", dir, i);
                write_file(path, bin, len);
                free(bin);
            }
            kh_trace_free(&tr);
        }
        printf("%s\t%u inputs of %u operations\n", names[k], inputs, nops);
        free(g.buf);
    }
    return 0;
}
