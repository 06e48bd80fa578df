/* instance_bench.c - what an allocator instance costs: kh_create,
 * kh_destroy and kh_reset (what every fuzz input pays), how per-operation
 * cost moves with the arena size, and the metadata the reference keeps per
 * page and per object.
 *
 *   instance_bench [--scale F] [--only SECTION[,SECTION...]]
 *   sections: lifecycle arena metadata
 *
 * Output lines as alloc_bench: R <TAB> section <TAB> name <TAB> build
 * <TAB> value <TAB> unit, where build is "reference" or "reference-asan".
 * Times are CPU time of this thread (system time included: mmap, page
 * faults, fallocate); each is the median of many repetitions.
 */
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"
#include "kmalloc.h"
#include "kmem.h"
#include "page_alloc.h"
#include "slab.h"
#include "slab_internal.h"

#ifdef KH_ASAN
#define BUILD "reference-asan"
#else
#define BUILD "reference"
#endif

#define MiB (1ull << 20)
#define GiB (1ull << 30)

static double scale = 1.0;
static const char *only;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline void escape(void *p) { __asm__ volatile("" : : "r"(p) : "memory"); }

static unsigned reps(unsigned n)
{
    double v = n * scale;
    return v < 1 ? 1 : (unsigned)v;
}

static bool selected(const char *section)
{
    if (!only)
        return true;
    for (const char *p = only; *p;) {
        size_t len = strcspn(p, ",");
        if (len == strlen(section) && strncmp(p, section, len) == 0)
            return true;
        p += len + (p[len] == ',');
    }
    return false;
}

static void emit(const char *section, const char *name, double value, const char *unit)
{
    printf("R\t%s\t%s\t%s\t%.3f\t%s\n", section, name, BUILD, value, unit);
    fflush(stdout);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, unsigned n)
{
    qsort(v, n, sizeof(*v), cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

struct rng { uint64_t s; };
static inline uint64_t rnd(struct rng *r)
{
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return r->s * 0x2545F4914F6CDD1Dull;
}

/* The default profile's layout scaled to `bytes`: half ZONE_NORMAL, at
 * most 16 MiB of ZONE_DMA, the rest ZONE_DMA32. 1 GiB gives exactly
 * linux-6.1-x86_64 (16 + 496 + 512 MiB), 16 MiB exactly
 * linux-6.1-x86_64-16m (4 + 4 + 8 MiB). */
/* --profile: the profile measured (its layout scaled as above). */
static const char *profile_name = KH_DEFAULT_PROFILE;

static struct kh_config arena_config(uint64_t bytes)
{
    struct kh_config cfg;
    if (kh_profile_config(profile_name, &cfg) != 0)
        abort();
    uint64_t dma = bytes / 4 < 16 * MiB ? bytes / 4 : 16 * MiB;
    cfg.zone_bytes[ZONE_NORMAL] = bytes / 2;
    cfg.zone_bytes[ZONE_DMA] = dma;
    cfg.zone_bytes[ZONE_DMA32] = bytes - bytes / 2 - dma;
    return cfg;
}

static struct kh *create(const struct kh_config *cfg)
{
    const char *err = NULL;
    struct kh *kh = kh_create(cfg, &err);
    if (!kh) {
        fprintf(stderr, "instance_bench: kh_create: %s\n", err);
        exit(1);
    }
    /* Benchmarks that push an arena to its limit must not abort on the
     * allocation-failure warning. */
    kh_set_report_mode(kh, KH_REPORT_COUNT);
    return kh;
}

static const struct { const char *name; uint64_t bytes; } arenas[] = {
    { "1MiB", 1 * MiB }, { "16MiB", 16 * MiB }, { "256MiB", 256 * MiB },
    { "1GiB", 1 * GiB }, { "4GiB", 4 * GiB },
};
#define NR_ARENAS (sizeof(arenas) / sizeof(arenas[0]))

/* Allocates up to n order-0 pages and writes every byte of them; returns
 * how many it got. */
static unsigned touch_pages(struct kh *kh, unsigned n)
{
    unsigned got = 0;
    for (; got < n; got++) {
        struct page *pg = kh_alloc_pages(kh, GFP_KERNEL | __GFP_NOWARN, 0);
        if (!pg)
            break;
        memset(kh_page_address(kh, pg), 0x5a, kh_page_size(kh));
    }
    return got;
}

/* About what one fuzz input of ~100 operations does: kmalloc of mixed
 * sizes, a third freed again, some written. */
static void fuzz_like_input(struct kh *kh, struct rng *r)
{
    void *live[64];
    unsigned n = 0;
    for (unsigned i = 0; i < 100; i++) {
        uint64_t v = rnd(r);
        if (n && v % 3 == 0) {
            unsigned j = (unsigned)(v >> 8) % n;
            kh_kfree(kh, live[j]);
            live[j] = live[--n];
        } else if (n < 64) {
            size_t size = 8 + (v >> 16) % 4096;
            void *p = kh_kmalloc(kh, size, GFP_KERNEL);
            if (p) {
                memset(p, 0x11, size < 64 ? size : 64);
                live[n++] = p;
            }
        }
    }
}

/* ---- lifecycle: create, destroy, reset ---- */

static void bench_lifecycle(void)
{
    for (size_t a = 0; a < NR_ARENAS; a++) {
        struct kh_config cfg = arena_config(arenas[a].bytes);
        char name[64];
        unsigned n = reps(40);
        double *t = calloc(n, sizeof(*t)), *u = calloc(n, sizeof(*u));
        for (unsigned i = 0; i < n; i++) {
            uint64_t t0 = now_ns();
            struct kh *kh = create(&cfg);
            uint64_t t1 = now_ns();
            kh_destroy(kh);
            t[i] = (double)(t1 - t0) / 1e3;
            u[i] = (double)(now_ns() - t1) / 1e3;
        }
        snprintf(name, sizeof(name), "create/%s", arenas[a].name);
        emit("lifecycle", name, median(t, n), "us");
        snprintf(name, sizeof(name), "destroy/%s", arenas[a].name);
        emit("lifecycle", name, median(u, n), "us");

        struct kh *kh = create(&cfg);
        /* Nothing touched since the last reset. */
        unsigned m = reps(200);
        double *r = calloc(m, sizeof(*r));
        kh_reset(kh);
        for (unsigned i = 0; i < m; i++) {
            uint64_t t0 = now_ns();
            kh_reset(kh);
            r[i] = (double)(now_ns() - t0) / 1e3;
        }
        snprintf(name, sizeof(name), "reset-untouched/%s", arenas[a].name);
        emit("lifecycle", name, median(r, m), "us");

        /* 1000 order-0 pages allocated and written (fewer where the arena
         * cannot give 1000). */
        unsigned want = arenas[a].bytes >= 64 * MiB ? 1000 : 100;
        for (unsigned i = 0; i < n; i++) {
            unsigned got = touch_pages(kh, want);
            if (got != want) {
                fprintf(stderr, "instance_bench: %s arena gave %u of %u pages\n", arenas[a].name,
                        got, want);
                exit(1);
            }
            uint64_t t0 = now_ns();
            kh_reset(kh);
            t[i] = (double)(now_ns() - t0) / 1e3;
        }
        snprintf(name, sizeof(name), "reset-%u-pages/%s", want, arenas[a].name);
        emit("lifecycle", name, median(t, n), "us");

        /* After a fuzz-input-like sequence of 100 kmalloc/kfree. */
        struct rng g = { 42 };
        for (unsigned i = 0; i < m; i++) {
            fuzz_like_input(kh, &g);
            uint64_t t0 = now_ns();
            kh_reset(kh);
            r[i] = (double)(now_ns() - t0) / 1e3;
        }
        snprintf(name, sizeof(name), "reset-after-100-kmalloc-ops/%s", arenas[a].name);
        emit("lifecycle", name, median(r, m), "us");
        kh_destroy(kh);
        free(t);
        free(u);
        free(r);
    }
}

/* ---- per-operation cost against arena size ---- */

static double kmalloc_pair(struct kh *kh, size_t size, uint64_t n)
{
    uint64_t t0 = now_ns();
    for (uint64_t i = 0; i < n; i++) {
        void *p = kh_kmalloc(kh, size, GFP_KERNEL);
        escape(p);
        kh_kfree(kh, p);
    }
    return (double)(now_ns() - t0) / (double)n;
}

static double page_pair(struct kh *kh, unsigned order, uint64_t n)
{
    uint64_t t0 = now_ns();
    for (uint64_t i = 0; i < n; i++) {
        struct page *pg = kh_alloc_pages(kh, GFP_KERNEL, order);
        if (!pg)
            return -1;
        kh___free_pages(kh, pg, order);
    }
    return (double)(now_ns() - t0) / (double)n;
}

/* Live set of `live` objects of 8..512 bytes (log-uniform), replaced at
 * random: ns per kfree+kmalloc; -1 when the arena cannot hold it. */
static double small_mix(struct kh *kh, unsigned live, uint64_t n)
{
    void **slot = calloc(live, sizeof(*slot));
    struct rng r = { 7 };
    double res = -1;
    unsigned filled = 0;
    for (; filled < live; filled++) {
        uint64_t v = rnd(&r);
        unsigned e = 3 + (unsigned)(v % 6);
        slot[filled] = kh_kmalloc(kh, ((size_t)1 << e) + ((v >> 8) & ((1u << e) - 1)),
                                  GFP_KERNEL | __GFP_NOWARN);
        if (!slot[filled])
            goto out;
    }
    uint64_t t0 = now_ns();
    for (uint64_t i = 0; i < n; i++) {
        uint64_t v = rnd(&r);
        unsigned j = (unsigned)((v >> 32) % live), e = 3 + (unsigned)(v % 6);
        kh_kfree(kh, slot[j]);
        slot[j] = kh_kmalloc(kh, ((size_t)1 << e) + ((v >> 8) & ((1u << e) - 1)),
                             GFP_KERNEL | __GFP_NOWARN);
        if (!slot[j])
            goto out;
    }
    res = (double)(now_ns() - t0) / (double)n;
out:
    for (unsigned i = 0; i < filled && i < live; i++)
        kh_kfree(kh, slot[i]);
    free(slot);
    return res;
}

static void bench_arena(void)
{
    for (size_t a = 0; a < NR_ARENAS; a++) {
        struct kh_config cfg = arena_config(arenas[a].bytes);
        struct kh *kh = create(&cfg);
        char name[64];
        uint64_t n = reps(2000000);
        kmalloc_pair(kh, 64, n / 10 + 1);
        double best = 1e300;
        for (int t = 0; t < 3; t++) {
            double v = kmalloc_pair(kh, 64, n);
            best = v < best ? v : best;
        }
        snprintf(name, sizeof(name), "kmalloc-64-pair/%s", arenas[a].name);
        emit("arena", name, best, "ns/pair");
        for (unsigned order = 0; order <= 3; order += 3) {
            double v = page_pair(kh, order, reps(1000000));
            snprintf(name, sizeof(name), "pages-order-%u-pair/%s", order, arenas[a].name);
            emit("arena", name, v, "ns/pair");
        }
        /* A live set sized to the arena: about an eighth of it in use. */
        unsigned live = (unsigned)(arenas[a].bytes / 8 / 200);
        double v = small_mix(kh, live, reps(2000000));
        snprintf(name, sizeof(name), "small-mix-live-%u/%s", live, arenas[a].name);
        emit("arena", name, v, "ns/free+alloc");
        kh_destroy(kh);
    }
}

/* ---- metadata ---- */

static void bench_metadata(void)
{
    struct kh_config cfg;
    kh_profile_config(profile_name, &cfg);
    struct mallinfo2 m0 = mallinfo2();
    struct kh *kh = create(&cfg);
    struct mallinfo2 m1 = mallinfo2();
    emit("metadata", "host-heap-per-instance", (double)(m1.uordblks - m0.uordblks), "bytes");
    emit("metadata", "struct-page-per-page", (double)sizeof(struct page), "bytes");
    emit("metadata", "struct-page-share-of-page", 100.0 * sizeof(struct page) / kh_page_size(kh), "%");
    emit("metadata", "struct-kmem_cache-per-cache",
         (double)(sizeof(struct kmem_cache) + cfg.nr_cpus * sizeof(struct kh_cpu_slab)), "bytes");

    /* Per kmalloc-N cache: what a full slab costs beyond its objects. The
     * host side is struct slab plus two bitmaps (allocated, quarantined)
     * of one bit per object, rounded to 64-bit words. */
    struct kh_slab_state *st = kh->slab;
    for (int i = 0; i < KH_KMALLOC_SHIFT_LIMIT; i++) {
        struct kmem_cache *s = st->kmalloc[0][i];
        if (!s)
            continue;
        size_t slab_bytes = kh_page_size(kh) << s->order;
        size_t words = (s->objects + 63) / 64;
        size_t host = sizeof(struct slab) + 2 * words * sizeof(uint64_t);
        double tail = (double)(slab_bytes - (size_t)s->objects * s->size) / s->objects;
        double per_obj = (double)host / s->objects + tail +
                         (double)(1u << s->order) * sizeof(struct page) / s->objects;
        char name[64];
        snprintf(name, sizeof(name), "%s/objects-per-slab", s->name);
        emit("metadata", name, s->objects, "objects");
        snprintf(name, sizeof(name), "%s/slab-order", s->name);
        emit("metadata", name, s->order, "order");
        snprintf(name, sizeof(name), "%s/per-object", s->name);
        emit("metadata", name, per_obj, "bytes");
    }
    kh_destroy(kh);
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--scale") == 0 && i + 1 < argc) {
            scale = atof(argv[++i]);
            if (!(scale > 0)) {
                fprintf(stderr, "instance_bench: --scale needs a positive number, got '%s'\n", argv[i]);
                return 2;
            }
        } else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc) {
            only = argv[++i];
        } else if (strcmp(argv[i], "--profile") == 0 && i + 1 < argc) {
            profile_name = argv[++i];
            struct kh_config probe;
            if (kh_profile_config(profile_name, &probe) != 0) {
                fprintf(stderr, "instance_bench: unknown profile '%s'\n", profile_name);
                return 2;
            }
        } else {
            fprintf(stderr, "usage: %s [--scale F] [--only lifecycle,arena,metadata] [--profile NAME]\n",
                    argv[0]);
            return 2;
        }
    }
    printf("# build %s\n", BUILD);
    if (selected("metadata"))
        bench_metadata();
    if (selected("lifecycle"))
        bench_lifecycle();
    if (selected("arena"))
        bench_arena();
    return 0;
}
