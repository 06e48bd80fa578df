/* toy_mt_adapter.c - a small thread-safe allocator for the concurrent
 * target's own tests (toy_mt_test.c), with one planted race.
 *
 * Size classes of 16..4096 bytes carved from a static 8 MiB arena by a bump
 * pointer; freed blocks go on a per-class free list whose link lives in the
 * block's 16-byte header (so a block's contents never feed the list). One
 * mutex guards the lists and the bump pointer; a block may be freed on any
 * thread. Declares KH_CAP_THREAD_SAFE.
 *
 * Built with -DTOY_MT_RACE, alloc pops the free list before it takes the
 * lock: the one-line mistake of a fast path that "only reads" the list
 * head. Two threads that read the same head both hand the block out. A
 * sched_yield() sits in the window between reading the head and storing
 * its successor, in both builds (under the lock in the fixed one): it is
 * where a kernel could preempt the thread, and it makes the window open
 * reliably on a machine with two cores.
 */
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <string.h>

#include "kh_adapter.h"

#define ARENA_SIZE (8u << 20)
#define HDR 16u
#define MIN_SHIFT 4u
#define NCLASSES 9u            /* 16 .. 4096 bytes */
#define MAX_SIZE (1u << (MIN_SHIFT + NCLASSES - 1))
#define MAGIC 0x6d74u

struct hdr {
    struct hdr *next;          /* free list link, while free */
    uint16_t magic, cls;
    uint32_t pad;
};

static _Alignas(4096) uint8_t arena[ARENA_SIZE];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct hdr *free_list[NCLASSES];
static size_t bump;

static unsigned class_of(size_t size)
{
    unsigned c = 0;
    while ((size_t)1 << (MIN_SHIFT + c) < size)
        c++;
    return c;
}

static size_t class_size(unsigned c) { return (size_t)1 << (MIN_SHIFT + c); }

static struct hdr *hdr_of(void *p) { return (struct hdr *)((uint8_t *)p - HDR); }

/* Called with the lock held. */
static struct hdr *carve(unsigned c)
{
    size_t at = bump;
    if (at + HDR + class_size(c) > ARENA_SIZE)
        return NULL;
    bump = at + HDR + class_size(c);
    return (struct hdr *)(arena + at);
}

static void *toy_mt_alloc(void *ctx, size_t size, size_t align, unsigned flags)
{
    (void)ctx;
    (void)align;  /* every block is 16-aligned; KH_CAP_ALIGNED is not declared */
    if (size > MAX_SIZE)
        return NULL;
    unsigned c = class_of(size ? size : 1);
    struct hdr *h;
#ifdef TOY_MT_RACE
    h = free_list[c];               /* read before the lock: the planted race */
    sched_yield();
    if (h)
        free_list[c] = h->next;
    pthread_mutex_lock(&lock);
#else
    pthread_mutex_lock(&lock);
    h = free_list[c];
    sched_yield();
    if (h)
        free_list[c] = h->next;
#endif
    if (!h)
        h = carve(c);
    pthread_mutex_unlock(&lock);
    if (!h)
        return NULL;
    h->next = NULL;
    h->magic = MAGIC;
    h->cls = (uint16_t)c;
    void *p = (uint8_t *)h + HDR;
    if (flags & KH_AF_ZERO)
        memset(p, 0, class_size(c));
    return p;
}

static void toy_mt_free(void *ctx, void *p)
{
    (void)ctx;
    if (!p)
        return;
    struct hdr *h = hdr_of(p);
    pthread_mutex_lock(&lock);
    h->next = free_list[h->cls];
    free_list[h->cls] = h;
    pthread_mutex_unlock(&lock);
}

static size_t toy_mt_usable_size(void *ctx, const void *p)
{
    (void)ctx;
    return class_size(hdr_of((void *)p)->cls);
}

static void *toy_mt_realloc(void *ctx, void *p, size_t size, unsigned flags)
{
    if (!p)
        return toy_mt_alloc(ctx, size, 0, flags);
    size_t have = toy_mt_usable_size(ctx, p);
    if (size <= have)
        return p;
    void *q = toy_mt_alloc(ctx, size, 0, flags);
    if (!q)
        return NULL;
    memcpy(q, p, have);
    toy_mt_free(ctx, p);
    return q;
}

/* Between inputs, with every block freed: back to an empty arena. */
static void toy_mt_reset(void *ctx)
{
    (void)ctx;
    pthread_mutex_lock(&lock);
    memset(free_list, 0, sizeof(free_list));
    bump = 0;
    pthread_mutex_unlock(&lock);
}

const struct kh_adapter kh_adapter = {
    .abi = KH_ADAPTER_ABI,
#ifdef TOY_MT_RACE
    .name = "toy-mt-racy",
    .description = "size-class free lists under one lock, popped before the lock (tests only)",
#else
    .name = "toy-mt",
    .description = "size-class free lists under one lock (tests only)",
#endif
    .caps = KH_CAP_THREAD_SAFE | KH_CAP_FREE_NULL | KH_CAP_ZERO | KH_CAP_REALLOC_NULL,
    .min_align = 16,
    .max_size = MAX_SIZE,
    .nofail_size = MAX_SIZE,
    .nofail_live = 4u << 20,
    .reset = toy_mt_reset,
    .object = { toy_mt_alloc, toy_mt_free, toy_mt_realloc, toy_mt_usable_size },
};
