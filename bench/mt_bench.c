/* mt_bench.c - multi-threaded allocator throughput: producer/consumer and
 * cross-thread free, on 1 and 2 threads (issue 20).
 *
 * Built once per peer (glibc, or -ljemalloc, -lmimalloc,
 * -ltcmalloc_minimal, which interpose malloc for the whole process), like
 * alloc_bench.c; the reference has no figures here (an instance is
 * single-threaded). Workloads:
 *
 *   prodcons/1   one thread allocates 64-byte objects into a ring of 1024
 *                and frees them from its other end (same thread)
 *   prodcons/2   a producer thread allocates into a lock-free ring, a
 *                consumer thread frees: every free is a remote free
 *   xfree/1      one thread allocates a batch of 1024 objects of 16..1024
 *                bytes and frees it
 *   xfree/2      two threads each allocate a batch, swap batches at a
 *                barrier and free the other's: half of all frees remote
 *
 *   mt_bench [--scale F]
 *
 * Prints "# allocator NAME VERSION" and lines
 *   R <TAB> mt <TAB> workload <TAB> allocator <TAB> ns per object <TAB> ns
 * Wall-clock time (two threads share the work, so thread CPU time would
 * hide the waiting that remote frees cause), best of three trials; ns per
 * object is elapsed time over all objects of all threads, so the 2-thread
 * figure falls below the 1-thread one when the allocator scales. This
 * machine has two cores, shared: read the medians of several runs.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "peer_version.h"

#ifndef BENCH_ALLOCATOR
#define BENCH_ALLOCATOR "glibc"
#endif

#define RING 1024u
#define BATCH 1024u

static double scale = 1.0;

static uint64_t wall_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t iters(uint64_t n)
{
    double v = (double)n * scale;
    return v < 1 ? 1 : (uint64_t)v;
}

/* The same pseudo-random sizes for every allocator. */
static size_t size_at(uint64_t i)
{
    uint64_t z = (i + 1) * 0x9E3779B97F4A7C15ull;
    z ^= z >> 31;
    return 16 + (size_t)(z % 1009);
}

static void touch(void *p) { *(volatile uint8_t *)p = 1; }

/* ---- producer/consumer --------------------------------------------------- */

struct ring {
    _Alignas(64) atomic_size_t head;   /* next slot the consumer reads */
    _Alignas(64) atomic_size_t tail;   /* next slot the producer writes */
    _Alignas(64) void *slot[RING];
    uint64_t n;
};

static void backoff(unsigned *spins)
{
    if (++*spins > 64) {
        sched_yield();
        *spins = 0;
    }
}

static void *producer(void *arg)
{
    struct ring *r = arg;
    for (uint64_t i = 0; i < r->n; i++) {
        void *p = malloc(64);
        touch(p);
        size_t t = atomic_load_explicit(&r->tail, memory_order_relaxed);
        unsigned spins = 0;
        while (t - atomic_load_explicit(&r->head, memory_order_acquire) == RING)
            backoff(&spins);
        r->slot[t % RING] = p;
        atomic_store_explicit(&r->tail, t + 1, memory_order_release);
    }
    return NULL;
}

static void *consumer(void *arg)
{
    struct ring *r = arg;
    for (uint64_t i = 0; i < r->n; i++) {
        size_t h = atomic_load_explicit(&r->head, memory_order_relaxed);
        unsigned spins = 0;
        while (atomic_load_explicit(&r->tail, memory_order_acquire) == h)
            backoff(&spins);
        void *p = r->slot[h % RING];
        atomic_store_explicit(&r->head, h + 1, memory_order_release);
        touch(p);
        free(p);
    }
    return NULL;
}

static double prodcons(unsigned threads, uint64_t n)
{
    static struct ring r;
    atomic_store(&r.head, 0);
    atomic_store(&r.tail, 0);
    r.n = n;
    uint64_t t0 = wall_ns();
    if (threads == 1) {
        /* Fill the ring, then free its older half while refilling it. */
        for (uint64_t i = 0; i < n; i++) {
            if (i >= RING) {
                void *old = r.slot[i % RING];
                touch(old);
                free(old);
            }
            void *p = malloc(64);
            touch(p);
            r.slot[i % RING] = p;
        }
        for (uint64_t i = n > RING ? n - RING : 0; i < n; i++)
            free(r.slot[i % RING]);
    } else {
        pthread_t pt, ct;
        pthread_create(&ct, NULL, consumer, &r);
        pthread_create(&pt, NULL, producer, &r);
        pthread_join(pt, NULL);
        pthread_join(ct, NULL);
    }
    return (double)(wall_ns() - t0) / (double)n;
}

/* ---- cross-thread free ------------------------------------------------------ */

struct xfree {
    pthread_barrier_t bar;
    void *batch[2][BATCH];
    uint64_t rounds;
};

struct xarg {
    struct xfree *x;
    int me;
};

static void *xfree_thread(void *arg)
{
    struct xarg *a = arg;
    struct xfree *x = a->x;
    for (uint64_t r = 0; r < x->rounds; r++) {
        for (unsigned i = 0; i < BATCH; i++) {
            void *p = malloc(size_at(r * BATCH + i));
            touch(p);
            x->batch[a->me][i] = p;
        }
        pthread_barrier_wait(&x->bar);
        for (unsigned i = 0; i < BATCH; i++)
            free(x->batch[!a->me][i]);   /* the other thread's */
        pthread_barrier_wait(&x->bar);
    }
    return NULL;
}

static double xfree(unsigned threads, uint64_t rounds)
{
    static struct xfree x;
    x.rounds = rounds;
    uint64_t t0 = wall_ns();
    if (threads == 1) {
        for (uint64_t r = 0; r < rounds; r++) {
            for (unsigned i = 0; i < BATCH; i++) {
                void *p = malloc(size_at(r * BATCH + i));
                touch(p);
                x.batch[0][i] = p;
            }
            for (unsigned i = 0; i < BATCH; i++)
                free(x.batch[0][i]);
        }
    } else {
        pthread_barrier_init(&x.bar, NULL, 2);
        pthread_t t[2];
        struct xarg a[2] = { { &x, 0 }, { &x, 1 } };
        for (int i = 0; i < 2; i++)
            pthread_create(&t[i], NULL, xfree_thread, &a[i]);
        for (int i = 0; i < 2; i++)
            pthread_join(t[i], NULL);
        pthread_barrier_destroy(&x.bar);
    }
    return (double)(wall_ns() - t0) / (double)(rounds * BATCH * threads);
}

static void report(const char *name, double (*run)(unsigned, uint64_t), unsigned threads, uint64_t n)
{
    double best = 0;
    for (int trial = 0; trial < 3; trial++) {
        double v = run(threads, n);
        if (trial == 0 || v < best)
            best = v;
    }
    printf("R\tmt\t%s/%u\t%s\t%.3f\tns\n", name, threads, BENCH_ALLOCATOR, best);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--scale") == 0 && i + 1 < argc && atof(argv[i + 1]) > 0) {
            scale = atof(argv[++i]);
        } else {
            fprintf(stderr, "usage: %s [--scale F]\n", argv[0]);
            return 2;
        }
    }
    char ver[128];
    peer_version(ver, sizeof(ver));
    printf("# allocator %s %s\n", BENCH_ALLOCATOR, ver);
    if (!peer_is(ver, BENCH_ALLOCATOR)) {
        fprintf(stderr, "mt_bench: built as %s but malloc is %s\n", BENCH_ALLOCATOR, ver);
        return 1;
    }
    for (unsigned threads = 1; threads <= 2; threads++) {
        report("prodcons", prodcons, threads, iters(2000000));
        report("xfree", xfree, threads, iters(1000));
    }
    return 0;
}
