/* alloc_bench.c - allocator throughput, one source for every allocator.
 *
 * Built once against the reference (-DBENCH_REFERENCE: kh_kmalloc/kh_kfree,
 * kh_kmem_cache_alloc/free, kh_alloc_pages) and once per peer, where the
 * same workloads call malloc/free and the peer is whichever malloc the
 * binary is linked with (glibc, or -ljemalloc, -lmimalloc,
 * -ltcmalloc_minimal, which interpose malloc for the whole process). The
 * workloads, iteration counts and random sequences are identical, so the
 * figures of one run compare side by side.
 *
 *   alloc_bench [--scale F] [--only SECTION[/WORKLOAD][,...]]
 *
 * Prints a header line "# allocator NAME VERSION" and one line per figure:
 *   R <TAB> section <TAB> workload <TAB> allocator <TAB> value <TAB> unit
 * Time figures are the best of three trials in this process (noise only
 * ever adds time); bench/run repeats whole processes and reports medians.
 */
#include <dlfcn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "peer_version.h"

#ifdef BENCH_REFERENCE
#include "kmalloc.h"
#include "kmem.h"
#include "page_alloc.h"
#include "slab.h"
#define ALLOCATOR "reference"
#else
#ifndef BENCH_ALLOCATOR
#define BENCH_ALLOCATOR "glibc"
#endif
#define ALLOCATOR BENCH_ALLOCATOR
#endif

#define PAGE 4096u

static double scale = 1.0;
static const char *only;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Keeps the compiler from proving an allocation unused (clang deletes
 * malloc/free pairs whose memory is never looked at). */
static inline void escape(void *p) { __asm__ volatile("" : : "r"(p) : "memory"); }

static uint64_t iters(uint64_t n)
{
    double v = (double)n * scale;
    return v < 1 ? 1 : (uint64_t)v;
}

static void emit(const char *section, const char *workload, double value, const char *unit)
{
    printf("R\t%s\t%s\t%s\t%.3f\t%s\n", section, workload, ALLOCATOR, value, unit);
    fflush(stdout);
}

/* A workload runs when --only names it ("section/workload") or its section. */
static bool selected(const char *section, const char *workload)
{
    if (!only)
        return true;
    char full[128];
    snprintf(full, sizeof(full), "%s/%s", section, workload);
    const char *p = only;
    while (*p) {
        size_t len = strcspn(p, ",");
        if (len && strncmp(full, p, len) == 0 && (full[len] == '\0' || full[len] == '/'))
            return true;
        p += len + (p[len] == ',');
    }
    return false;
}

/* xorshift64*: the same sequence in every binary. */
struct rng { uint64_t s; };
static inline uint64_t rnd(struct rng *r)
{
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return r->s * 0x2545F4914F6CDD1Dull;
}

/* Sizes 8..8191, log-uniform: every power-of-two octave equally likely,
 * uniform inside it. Kernel allocations are mostly small, so a uniform
 * 8..8192 mix (mostly above 4 KiB) would be unrepresentative. */
static inline size_t mix_size(struct rng *r)
{
    uint64_t v = rnd(r);
    unsigned e = 3 + (unsigned)(v % 10);
    return ((size_t)1 << e) + (size_t)((v >> 8) & ((1u << e) - 1));
}

/* ---- the allocator under test ---------------------------------------- */

/* --profile: the reference's profile (linux-6.12-x86_64, ...); the peers,
 * built without the reference's headers, take and ignore it. */
#ifdef BENCH_REFERENCE
static const char *profile_name = KH_DEFAULT_PROFILE;
#else
static const char *profile_name;
#endif

#ifdef BENCH_REFERENCE
static struct kh *kh;
static struct kmem_cache *cache;

/* The default profile (linux-6.1-x86_64: SLUB, 1 CPU) with ZONE_NORMAL
 * grown so the arena holds 4 GiB: the 1M-object mix needs ~1.7 GiB. The
 * arena is reserved lazily, so its size costs nothing until touched. */
static void instance_up(unsigned nr_cpus)
{
    struct kh_config cfg;
    if (kh_profile_config(profile_name, &cfg) != 0) {
        fprintf(stderr, "alloc_bench: unknown profile '%s'\n", profile_name);
        exit(2);
    }
    cfg.zone_bytes[ZONE_NORMAL] = (4ull << 30) - cfg.zone_bytes[ZONE_DMA] - cfg.zone_bytes[ZONE_DMA32];
    cfg.nr_cpus = nr_cpus;
    const char *err = NULL;
    kh = kh_create(&cfg, &err);
    if (!kh) {
        fprintf(stderr, "alloc_bench: kh_create: %s\n", err);
        exit(1);
    }
}
static void instance_down(void)
{
    if (cache)
        kh_kmem_cache_destroy(kh, cache);
    cache = NULL;
    kh_destroy(kh);
    kh = NULL;
}
static inline void *A(size_t n) { return kh_kmalloc(kh, n, GFP_KERNEL); }
static inline void F(void *p) { kh_kfree(kh, p); }
static void cache_up(size_t size)
{
    cache = kh_kmem_cache_create(kh, "bench_cache", (unsigned)size, 0, 0, NULL);
    if (!cache)
        abort();
}
static inline void *CA(size_t n) { (void)n; return kh_kmem_cache_alloc(kh, cache, GFP_KERNEL); }
static inline void CF(void *p) { kh_kmem_cache_free(kh, cache, p); }
static inline void *PA(unsigned order)
{
    struct page *pg = kh_alloc_pages(kh, GFP_KERNEL, order);
    return pg;
}
static inline void PF(void *pg, unsigned order) { kh___free_pages(kh, pg, order); }
static void remote_cpu(unsigned cpu) { kh_set_cpu(kh, cpu); }
#else
static void instance_up(unsigned nr_cpus) { (void)nr_cpus; }
static void instance_down(void) {}
static inline void *A(size_t n) { return malloc(n); }
static inline void F(void *p) { free(p); }
static void cache_up(size_t size) { (void)size; }
static inline void *CA(size_t n) { return malloc(n); }
static inline void CF(void *p) { free(p); }
/* Kernel pages are naturally aligned blocks; aligned_alloc is the
 * nearest thing a malloc offers. */
static inline void *PA(unsigned order) { return aligned_alloc(PAGE, (size_t)PAGE << order); }
static inline void PF(void *p, unsigned order) { (void)order; free(p); }
#endif

static void *xalloc(size_t n)
{
    void *p = A(n);
    if (!p) {
        fprintf(stderr, "alloc_bench: %s failed to allocate %zu bytes\n", ALLOCATOR, n);
        exit(1);
    }
    return p;
}

/* ---- workloads ------------------------------------------------------- */

#define BEST_OF(trials, expr)                        \
    ({                                               \
        double best_ = 1e300;                        \
        for (int t_ = 0; t_ < (trials); t_++) {      \
            double v_ = (expr);                      \
            if (v_ < best_)                          \
                best_ = v_;                          \
        }                                            \
        best_;                                       \
    })

static double pair_once(size_t size, uint64_t n)
{
    uint64_t t0 = now_ns();
    for (uint64_t i = 0; i < n; i++) {
        void *p = A(size);
        escape(p);
        F(p);
    }
    return (double)(now_ns() - t0) / (double)n;
}

static const size_t pair_sizes[] = { 8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048, 4096, 8192 };

static void bench_pairs(void)
{
    for (size_t i = 0; i < sizeof(pair_sizes) / sizeof(pair_sizes[0]); i++) {
        char name[32];
        snprintf(name, sizeof(name), "%zu", pair_sizes[i]);
        if (!selected("pair", name))
            continue;
        instance_up(1);
        uint64_t n = iters(3000000);
        pair_once(pair_sizes[i], n / 10 + 1);   /* warm: first slab, first faults */
        emit("pair", name, BEST_OF(3, pair_once(pair_sizes[i], n)), "ns/pair");
        instance_down();
    }
#ifdef BENCH_REFERENCE
    /* The kernel names go through kh_default() on every call. */
    if (selected("pair", "64-kernel-names")) {
        instance_up(1);
        kh_set_default(kh);
        uint64_t n = iters(3000000);
        double best = 1e300;
        for (int t = 0; t < 3; t++) {
            uint64_t t0 = now_ns();
            for (uint64_t i = 0; i < n; i++) {
                void *p = kmalloc(64, GFP_KERNEL);
                escape(p);
                kfree(p);
            }
            double v = (double)(now_ns() - t0) / (double)n;
            best = v < best ? v : best;
        }
        emit("pair", "64-kernel-names", best, "ns/pair");
        kh_set_default(NULL);   /* destroys it */
        kh = NULL;
    }
#endif
}

/* Random sizes with a steady live set: free a random live object, allocate
 * a new one in its place and write its first word. ns per free+alloc. */
static void bench_mix(void)
{
    static const unsigned lives[] = { 1000, 100000, 1000000 };
    for (size_t k = 0; k < sizeof(lives) / sizeof(lives[0]); k++) {
        unsigned live = lives[k];
        char name[32];
        snprintf(name, sizeof(name), "live-%u", live);
        if (!selected("mix", name))
            continue;
        instance_up(1);
        void **slot = calloc(live, sizeof(*slot));
        if (!slot)
            abort();
        struct rng r = { 0x9E3779B97F4A7C15ull + live };
        for (unsigned i = 0; i < live; i++) {
            slot[i] = xalloc(mix_size(&r));
            *(uint64_t *)slot[i] = i;
        }
        uint64_t n = iters(live >= 1000000 ? 3000000 : 2000000);
        uint64_t t0 = now_ns();
        for (uint64_t i = 0; i < n; i++) {
            uint64_t v = rnd(&r);
            unsigned j = (unsigned)((v >> 32) % live);
            F(slot[j]);
            slot[j] = xalloc(mix_size(&r));
            *(uint64_t *)slot[j] = i;
        }
        emit("mix", name, (double)(now_ns() - t0) / (double)n, "ns/free+alloc");
        for (unsigned i = 0; i < live; i++)
            F(slot[i]);
        free(slot);
        instance_down();
    }
}

/* Scaling with the live set: 64-byte objects replaced at random in a live
 * set of 1k .. 10M objects (640 MB at 10M). The cost grows with the cache
 * misses of touching random objects and their metadata. */
static void bench_live(void)
{
    static const unsigned lives[] = { 1000, 10000, 100000, 1000000, 10000000 };
    for (size_t k = 0; k < sizeof(lives) / sizeof(lives[0]); k++) {
        unsigned live = lives[k];
        char name[32];
        snprintf(name, sizeof(name), "64-live-%u", live);
        if (!selected("live", name))
            continue;
        instance_up(1);
        void **slot = calloc(live, sizeof(*slot));
        if (!slot)
            abort();
        for (unsigned i = 0; i < live; i++) {
            slot[i] = xalloc(64);
            *(uint64_t *)slot[i] = i;
        }
        struct rng r = { 0xD1B54A32D192ED03ull + live };
        uint64_t n = iters(2000000);
        uint64_t t0 = now_ns();
        for (uint64_t i = 0; i < n; i++) {
            unsigned j = (unsigned)((rnd(&r) >> 32) % live);
            F(slot[j]);
            slot[j] = xalloc(64);
            *(uint64_t *)slot[j] = i;
        }
        emit("live", name, (double)(now_ns() - t0) / (double)n, "ns/free+alloc");
        for (unsigned i = 0; i < live; i++)
            F(slot[i]);
        free(slot);
        instance_down();
    }
}

/* Producer/consumer batches on one thread: allocate B objects, then free
 * them oldest first (FIFO, unlike the LIFO tight pair). */
/* Always inlined with constant alloc/release, so the calls are direct. */
static inline __attribute__((always_inline)) double
batch_once(void *(*alloc)(size_t), void (*release)(void *), size_t size, unsigned b,
           uint64_t rounds, void **arr, int remote)
{
    uint64_t t0 = now_ns();
    for (uint64_t r = 0; r < rounds; r++) {
        for (unsigned i = 0; i < b; i++) {
            arr[i] = alloc(size);
            escape(arr[i]);
        }
#ifdef BENCH_REFERENCE
        if (remote)
            remote_cpu(1);
#endif
        for (unsigned i = 0; i < b; i++)
            release(arr[i]);
#ifdef BENCH_REFERENCE
        if (remote)
            remote_cpu(0);
#endif
    }
    (void)remote;
    return (double)(now_ns() - t0) / (double)(rounds * b);
}

static inline void *a_kmalloc(size_t n) { return A(n); }
static inline void f_kmalloc(void *p) { F(p); }
static inline void *a_cache(size_t n) { return CA(n); }
static inline void f_cache(void *p) { CF(p); }

static void bench_batch(void)
{
    static const struct { size_t size; unsigned b; } cases[] = {
        { 64, 64 }, { 64, 4096 }, { 1024, 64 }, { 1024, 4096 },
    };
    void **arr = malloc(4096 * sizeof(*arr));
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        char name[48];
        snprintf(name, sizeof(name), "%zu-x%u", cases[k].size, cases[k].b);
        if (!selected("batch", name))
            continue;
        instance_up(1);
        uint64_t rounds = iters(4000000 / cases[k].b);
        batch_once(a_kmalloc, f_kmalloc, cases[k].size, cases[k].b, rounds / 10 + 1, arr, 0);
        emit("batch", name,
             BEST_OF(3, batch_once(a_kmalloc, f_kmalloc, cases[k].size, cases[k].b, rounds, arr, 0)),
             "ns/object");
        instance_down();
    }
#ifdef BENCH_REFERENCE
    /* The kernel's producer/consumer: objects freed on another CPU go to
     * their slab's freelist (a "remote" free), not the CPU freelist. */
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        char name[48];
        snprintf(name, sizeof(name), "%zu-x%u-remote", cases[k].size, cases[k].b);
        if (!selected("batch", name))
            continue;
        instance_up(2);
        uint64_t rounds = iters(4000000 / cases[k].b);
        batch_once(a_kmalloc, f_kmalloc, cases[k].size, cases[k].b, rounds / 10 + 1, arr, 1);
        emit("batch", name,
             BEST_OF(3, batch_once(a_kmalloc, f_kmalloc, cases[k].size, cases[k].b, rounds, arr, 1)),
             "ns/object");
        instance_down();
    }
#endif
    free(arr);
}

/* A fixed-size cache: kmem_cache_alloc/free against malloc/free of that
 * size. */
static double cache_pair_once(size_t size, uint64_t n)
{
    uint64_t t0 = now_ns();
    for (uint64_t i = 0; i < n; i++) {
        void *p = CA(size);
        escape(p);
        CF(p);
    }
    return (double)(now_ns() - t0) / (double)n;
}

static void bench_cache(void)
{
    static const size_t sizes[] = { 32, 64, 256, 1024 };
    void **arr = malloc(4096 * sizeof(*arr));
    for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
        char name[48];
        snprintf(name, sizeof(name), "pair-%zu", sizes[k]);
        if (selected("cache", name)) {
            instance_up(1);
            cache_up(sizes[k]);
            uint64_t n = iters(3000000);
            cache_pair_once(sizes[k], n / 10 + 1);
            emit("cache", name, BEST_OF(3, cache_pair_once(sizes[k], n)), "ns/pair");
            instance_down();
        }
        snprintf(name, sizeof(name), "batch-%zu-x4096", sizes[k]);
        if (selected("cache", name)) {
            instance_up(1);
            cache_up(sizes[k]);
            uint64_t rounds = iters(1000);
            batch_once(a_cache, f_cache, sizes[k], 4096, rounds / 10 + 1, arr, 0);
            emit("cache", name, BEST_OF(3, batch_once(a_cache, f_cache, sizes[k], 4096, rounds, arr, 0)),
                 "ns/object");
            instance_down();
        }
    }
    free(arr);
}

/* Page blocks by order: a tight alloc/free pair per order, and a batch of
 * 1024 order-0 pages freed oldest first (buddy merging on the way back). */
static double page_pair_once(unsigned order, uint64_t n)
{
    uint64_t t0 = now_ns();
    for (uint64_t i = 0; i < n; i++) {
        void *p = PA(order);
        if (!p)
            abort();
        escape(p);
        PF(p, order);
    }
    return (double)(now_ns() - t0) / (double)n;
}

static double page_batch_once(unsigned b, uint64_t rounds, void **arr)
{
    uint64_t t0 = now_ns();
    for (uint64_t r = 0; r < rounds; r++) {
        for (unsigned i = 0; i < b; i++) {
            arr[i] = PA(0);
            if (!arr[i])
                abort();
        }
        for (unsigned i = 0; i < b; i++)
            PF(arr[i], 0);
    }
    return (double)(now_ns() - t0) / (double)(rounds * b);
}

static void bench_pages(void)
{
    for (unsigned order = 0; order <= 10; order++) {
        char name[32];
        snprintf(name, sizeof(name), "order-%u", order);
        if (!selected("pages", name))
            continue;
        instance_up(1);
        /* Peers map and unmap big blocks (microseconds): fewer rounds there. */
        uint64_t n = iters(order <= 3 ? 1000000 : 1000000 >> (order - 3));
        page_pair_once(order, n / 10 + 1);
        emit("pages", name, BEST_OF(3, page_pair_once(order, n)), "ns/pair");
        instance_down();
    }
    if (selected("pages", "batch-order-0-x1024")) {
        void **arr = malloc(1024 * sizeof(*arr));
        instance_up(1);
        uint64_t rounds = iters(2000);
        page_batch_once(1024, rounds / 10 + 1, arr);
        emit("pages", "batch-order-0-x1024", BEST_OF(3, page_batch_once(1024, rounds, arr)), "ns/page");
        instance_down();
        free(arr);
    }
}

/* ---- memory footprint --------------------------------------------------
 * Resident memory per object after allocating N objects of one size and
 * writing all of them: anonymous plus shared memory from /proc/self/status
 * (RssAnon + RssShmem, so the reference's memfd arena counts; file pages
 * are left out, as the kernel may drop them under memory pressure). Run
 * in a fresh process, before any other workload, so freed memory from
 * earlier workloads cannot hide it. */
static long resident_bytes(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb, total = 0;
    int found = 0;
    if (!f)
        abort();
    while (fgets(line, sizeof(line), f)) {
        if (sscanf(line, "RssAnon: %ld kB", &kb) == 1 || sscanf(line, "RssShmem: %ld kB", &kb) == 1) {
            total += kb;
            found++;
        }
    }
    fclose(f);
    if (found != 2) {
        fprintf(stderr, "alloc_bench: no RssAnon/RssShmem in /proc/self/status\n");
        exit(1);
    }
    return total * 1024;
}

static void bench_footprint(void)
{
    static const size_t sizes[] = { 32, 64, 100, 256, 1000 };
    for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
        char name[32];
        snprintf(name, sizeof(name), "%zu", sizes[k]);
        if (!only || !selected("footprint", name))
            continue;   /* only on request: needs a fresh process */
        instance_up(1);
        unsigned n = (unsigned)iters(200000);
        void **arr = calloc(n, sizeof(*arr));
        if (!arr)
            abort();
        memset(arr, 1, n * sizeof(*arr));   /* resident before the baseline */
        long before = resident_bytes();
        for (unsigned i = 0; i < n; i++) {
            arr[i] = xalloc(sizes[k]);
            memset(arr[i], 0x5a, sizes[k]);
        }
        long after = resident_bytes();
        emit("footprint", name, (double)(after - before) / n, "bytes/object");
        for (unsigned i = 0; i < n; i++)
            F(arr[i]);
        free(arr);
        instance_down();
    }
}

/* ---- the clock ----------------------------------------------------------
 * Cycles per nanosecond from a chain of dependent adds (one cycle each on
 * any x86-64 core), so ns figures can be read as cycles on a machine
 * without performance counters (VMs) and compared with published cycle
 * counts. */
static void bench_clock(void)
{
#if defined(__x86_64__)
    if (!selected("clock", "ghz"))
        return;
    double best = 1e300;
    uint64_t n = iters(50000000);
    for (int t = 0; t < 5; t++) {
        uint64_t x = 0, cnt = n, t0 = now_ns();
        __asm__ volatile("1:\n\t"
                         "add $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\t"
                         "add $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\t"
                         "sub $1, %1\n\tjnz 1b"
                         : "+r"(x), "+r"(cnt));
        double ns = (double)(now_ns() - t0);
        best = ns < best ? ns : best;
    }
    emit("clock", "ghz", 8.0 * (double)n / best, "cycles/ns");
#endif
}

/* ---- identification ---------------------------------------------------- */

/* The peer's own version call, looked up at run time: proves which malloc
 * the binary really got. */
static void print_version(void)
{
#ifdef BENCH_REFERENCE
    printf("# allocator reference kh_kmalloc/kh_kfree (release build)\n");
#else
    char ver[128] = "";
    peer_version(ver, sizeof(ver));
    printf("# allocator %s %s\n", ALLOCATOR, ver);
    if (!peer_is(ver, ALLOCATOR)) {
        fprintf(stderr, "alloc_bench: built as %s but malloc is %s\n", ALLOCATOR, ver);
        exit(1);
    }
#endif
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--scale") == 0 && i + 1 < argc) {
            scale = atof(argv[++i]);
            if (!(scale > 0)) {
                fprintf(stderr, "alloc_bench: --scale needs a positive number, got '%s'\n", argv[i]);
                return 2;
            }
        } else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc) {
            only = argv[++i];
        } else if (strcmp(argv[i], "--profile") == 0 && i + 1 < argc) {
            profile_name = argv[++i];
        } else {
            fprintf(stderr, "usage: %s [--scale F] [--only SECTION[/WORKLOAD][,...]] [--profile NAME]\n"
                            "  sections: clock pair cache batch pages mix live footprint (footprint only on request)\n",
                    argv[0]);
            return 2;
        }
    }
    print_version();
    bench_footprint();
    bench_clock();
    bench_pairs();
    bench_cache();
    bench_batch();
    bench_pages();
    bench_mix();
    bench_live();
    return 0;
}
