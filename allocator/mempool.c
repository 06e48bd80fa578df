/* mempool.c - memory pools with a preallocated reserve (Linux 6.1 rules).
 *
 * A pool is a stack of min_nr preallocated elements (the reserve) in front
 * of an allocator given as alloc/free callbacks. mempool_alloc asks the
 * allocator first, with flags that make it fail fast (no emergency
 * reserves, no retries, no warning, no direct reclaim or I/O); only when
 * that fails does it pop the reserve, most recently added element first.
 * With the reserve empty, a caller that may not sleep gets NULL, and one
 * that may retries the allocator with its own flags and then sleeps until
 * mempool_free puts an element back. mempool_free refills the reserve while
 * it is below min_nr and gives everything else to the allocator.
 *
 * Sleeping is modelled honestly. Each pool has a pthread mutex, which
 * guards the reserve, and a condition variable. In the default
 * single-threaded model nobody else could ever free, so a sleep would last
 * forever: that is reported as a KH_R_MEMPOOL BUG and NULL is returned. A
 * pool marked threaded (kh_mempool_set_threaded) really blocks on its
 * condition variable, holding nothing else, until another thread's
 * mempool_free refills the reserve; that free only pushes the element under
 * the mutex (the reserve is empty, so it is kept), which is what makes the
 * cross-thread free safe although the instance itself is not thread-safe.
 * After waking, the waiter takes the reserve element directly; the kernel
 * retries the allocator first, but here that would touch the instance from
 * a second thread.
 *
 * Stock pools (kmalloc, slab cache, pages) are recognised by their callback
 * pair and call the pool's own instance, whichever creator made them. As
 * with the kernel's mempool debugging, their reserve elements are filled
 * with POISON_FREE (last byte POISON_END) and, under ASan, poisoned; the
 * pattern is checked when an element leaves the reserve, so a write after
 * mempool_free is reported. Custom pools' elements are opaque and left
 * alone, as in the kernel. The poisoned size is the requested element size
 * (the kernel uses ksize(), which under ASan would cover bytes the caller
 * never owned). Elements above POISON_SPAN bytes carry the pattern in their
 * first and last POISON_SPAN / 2 bytes only: a reserve of 4 MiB page-pool
 * elements would otherwise be written and read whole, hundreds of
 * megabytes for one mempool_create. ASan still poisons all of it, so a
 * write into the unpatterned middle is caught there (under ASan builds).
 *
 * Bookkeeping (the pool and its element array) lives on the host heap, so
 * pools do not change the arena's accounting; only elements come from the
 * instance. Reset drops every pool: the elements' memory goes back with the
 * slab and page allocators' own resets.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "introspect.h"
#include "kmalloc.h"
#include "mempool.h"
#include "slab.h"

struct mempool_s {
    pthread_mutex_t lock;   /* guards elements, curr_nr, waiters */
    pthread_cond_t wait;    /* signalled when an element enters the reserve */
    int min_nr, curr_nr;
    void **elements;        /* the reserve; elements[curr_nr - 1] goes out next */
    void *pool_data;
    mempool_alloc_t *alloc;
    mempool_free_t *free;
    struct kh *kh;
    enum kh_mempool_kind kind;
    size_t element_size;    /* bytes poisoned per element, 0 for none */
    bool threaded;
    unsigned waiters;
};

struct kh_mempool_state {
    mempool_t **pools;      /* live pools in creation order */
    unsigned nr, cap;
};

#define SUBSYS "mempool"

/* ---- registry ---- */

static int pool_index(const struct kh *kh, const mempool_t *pool)
{
    const struct kh_mempool_state *st = kh->mempool;
    for (unsigned i = 0; pool && i < st->nr; i++)
        if (st->pools[i] == pool)
            return (int)i;
    return -1;
}

static bool known_pool(struct kh *kh, const mempool_t *pool, const char *op)
{
    if (pool_index(kh, pool) >= 0)
        return true;
    kh_report(kh, KH_SEV_BUG, KH_R_MEMPOOL, SUBSYS, "not a mempool of this instance",
              (uintptr_t)pool, "BUG: %s: %p is not a live mempool of this instance\n", op,
              (void *)pool);
    return false;
}

static int register_pool(struct kh *kh, mempool_t *pool)
{
    struct kh_mempool_state *st = kh->mempool;
    if (st->nr == st->cap) {
        unsigned cap = st->cap ? st->cap * 2 : 8;
        mempool_t **p = realloc(st->pools, cap * sizeof(*p));
        if (!p)
            return -1;
        st->pools = p;
        st->cap = cap;
    }
    st->pools[st->nr++] = pool;
    return 0;
}

static void unregister_pool(struct kh *kh, const mempool_t *pool)
{
    struct kh_mempool_state *st = kh->mempool;
    int i = pool_index(kh, pool);
    if (i < 0)
        return;
    memmove(&st->pools[i], &st->pools[i + 1], (st->nr - (unsigned)i - 1) * sizeof(st->pools[0]));
    st->nr--;
}

/* ---- elements: allocation through the pool's instance ---- */

static void *element_alloc(mempool_t *pool, gfp_t gfp)
{
    struct kh *kh = pool->kh;
    switch (pool->kind) {
    case KH_MEMPOOL_KMALLOC: return kh_kmalloc(kh, (size_t)pool->pool_data, gfp);
    case KH_MEMPOOL_SLAB: return kh_kmem_cache_alloc(kh, pool->pool_data, gfp);
    case KH_MEMPOOL_PAGE:
        return kh_alloc_pages(kh, gfp, (unsigned)(uintptr_t)pool->pool_data);
    case KH_MEMPOOL_CUSTOM: break;
    }
    return pool->alloc(gfp, pool->pool_data);
}

static void element_free(mempool_t *pool, void *element)
{
    struct kh *kh = pool->kh;
    switch (pool->kind) {
    case KH_MEMPOOL_KMALLOC: kh_kfree(kh, element); return;
    case KH_MEMPOOL_SLAB: kh_kmem_cache_free(kh, pool->pool_data, element); return;
    case KH_MEMPOOL_PAGE:
        kh___free_pages(kh, element, (unsigned)(uintptr_t)pool->pool_data);
        return;
    case KH_MEMPOOL_CUSTOM: break;
    }
    pool->free(element, pool->pool_data);
}

/* Memory an element stands for: page pools hold struct page pointers. */
static unsigned char *element_mem(const mempool_t *pool, void *element)
{
    if (pool->kind == KH_MEMPOOL_PAGE)
        return kh_page_address(pool->kh, element);
    return element;
}

/* ---- poisoning ---- */

static unsigned char expected_byte(size_t i, size_t size)
{
    return i + 1 < size ? POISON_FREE : POISON_END;
}

#define POISON_SPAN (64ul << 10)

/* The patterned ranges of an element of size bytes: [0, *head) and
 * [*tail, size). */
static void poison_ranges(size_t size, size_t *head, size_t *tail)
{
    *head = size <= POISON_SPAN ? size : POISON_SPAN / 2;
    *tail = size <= POISON_SPAN ? size : size - POISON_SPAN / 2;
}

static void poison_element(mempool_t *pool, void *element)
{
    if (!pool->element_size || ZERO_OR_NULL_PTR(element))
        return;
    unsigned char *mem = element_mem(pool, element);
    size_t size = pool->element_size, head, tail;
    poison_ranges(size, &head, &tail);
    memset(mem, POISON_FREE, head < size ? head : size - 1);
    if (tail < size)
        memset(mem + tail, POISON_FREE, size - 1 - tail);
    mem[size - 1] = POISON_END;
    kh_poison(mem, size);
    if (pool->kind == KH_MEMPOOL_PAGE)
        ((struct page *)element)->flags |= PG_pool;
}

/* Offset of the first byte of [from, to) that differs from the poison
 * pattern of a size-byte element, or size. */
static size_t mismatch_in(const unsigned char *mem, size_t from, size_t to, size_t size)
{
    /* compare a block at a time and only look at single bytes in a block
     * that differs */
    static const unsigned char free_block[512] = { [0 ... 511] = POISON_FREE };
    size_t i = from, last = to < size ? to : size - 1;   /* the last byte is POISON_END */
    while (i < last) {
        size_t n = last - i < sizeof(free_block) ? last - i : sizeof(free_block);
        if (memcmp(mem + i, free_block, n) != 0)
            break;
        i += n;
    }
    for (; i < to; i++)
        if (mem[i] != expected_byte(i, size))
            return i;
    return size;
}

/* Offset of the first patterned byte that differs, or size. The caller has
 * unpoisoned the element. */
static size_t first_mismatch(const unsigned char *mem, size_t size)
{
    size_t head, tail;
    poison_ranges(size, &head, &tail);
    size_t at = mismatch_in(mem, 0, head, size);
    return at < size || tail >= size ? at : mismatch_in(mem, tail, size, size);
}

static void report_poison_mismatch(mempool_t *pool, const unsigned char *mem, size_t at)
{
    size_t size = pool->element_size, end = at + 16 < size ? at + 16 : size;
    char bytes[16 * 3 + 1];
    size_t len = 0;
    for (size_t i = at; i < end; i++)
        len += (size_t)snprintf(bytes + len, sizeof(bytes) - len, "%02x", mem[i]);
    kh_report(pool->kh, KH_SEV_BUG, KH_R_MEMPOOL, SUBSYS,
              "mempool element modified while in reserve", (uintptr_t)(mem + at),
              "BUG: mempool element poison mismatch\n"
              "Mempool %p size %zu\n"
              " nr=%zu @ %p: %s0x%s\n"
              "use-after-free: the element was written after mempool_free() put it in the "
              "reserve\n",
              (void *)pool, size, at, (const void *)mem, at > 0 ? "... " : "", bytes);
}

/* Unpoisons an element leaving the reserve and checks it was untouched. */
static void unpoison_element(mempool_t *pool, void *element)
{
    if (!pool->element_size || ZERO_OR_NULL_PTR(element))
        return;
    unsigned char *mem = element_mem(pool, element);
    kh_unpoison(mem, pool->element_size);
    size_t at = first_mismatch(mem, pool->element_size);
    if (at < pool->element_size)
        report_poison_mismatch(pool, mem, at);
    if (pool->kind == KH_MEMPOOL_PAGE)
        ((struct page *)element)->flags &= ~(uint32_t)PG_pool;
}

/* ---- the reserve (callers hold pool->lock) ---- */

static void add_element(mempool_t *pool, void *element)
{
    poison_element(pool, element);
    pool->elements[pool->curr_nr++] = element;
}

static void *remove_element(mempool_t *pool)
{
    void *element = pool->elements[--pool->curr_nr];
    unpoison_element(pool, element);
    return element;
}

static bool in_reserve(const mempool_t *pool, const void *element)
{
    for (int i = 0; i < pool->curr_nr; i++)
        if (pool->elements[i] == element)
            return true;
    return false;
}

/* ---- creation and destruction ---- */

static enum kh_mempool_kind stock_kind(mempool_alloc_t *alloc_fn, mempool_free_t *free_fn)
{
    if (alloc_fn == mempool_kmalloc && free_fn == mempool_kfree)
        return KH_MEMPOOL_KMALLOC;
    if (alloc_fn == mempool_alloc_slab && free_fn == mempool_free_slab)
        return KH_MEMPOOL_SLAB;
    if (alloc_fn == mempool_alloc_pages && free_fn == mempool_free_pages)
        return KH_MEMPOOL_PAGE;
    return KH_MEMPOOL_CUSTOM;
}

static size_t stock_element_size(struct kh *kh, enum kh_mempool_kind kind, void *pool_data)
{
    switch (kind) {
    case KH_MEMPOOL_KMALLOC: return (size_t)pool_data;
    case KH_MEMPOOL_SLAB: return pool_data ? kh_kmem_cache_size(kh, pool_data) : 0;
    case KH_MEMPOOL_PAGE: {
        unsigned order = (unsigned)(uintptr_t)pool_data;
        return order < kh->max_order ? kh->page_size << order : 0;
    }
    case KH_MEMPOOL_CUSTOM: break;
    }
    return 0;
}

/* Frees the reserve through the allocator and the pool itself. */
static void free_pool(mempool_t *pool)
{
    while (pool->curr_nr)
        element_free(pool, remove_element(pool));
    pthread_cond_destroy(&pool->wait);
    pthread_mutex_destroy(&pool->lock);
    free(pool->elements);
    free(pool);
}

static void warn_create(struct kh *kh, const char *reason, const char *fmt, int value)
{
    kh_report(kh, KH_SEV_WARN, KH_R_MEMPOOL, SUBSYS, reason, 0, fmt, kh->current_cpu, value);
}

static bool create_args_ok(struct kh *kh, int min_nr, mempool_alloc_t *alloc_fn,
                           mempool_free_t *free_fn, int node_id)
{
    if (node_id != 0 && node_id != NUMA_NO_NODE) {
        warn_create(kh, "mempool on a node that does not exist",
                    "WARNING: CPU: %u PID: 1 at mm/mempool.c: mempool_create_node: node %d "
                    "does not exist (only node 0)\n", node_id);
        return false;
    }
    if (min_nr < 0) {
        warn_create(kh, "mempool with negative min_nr",
                    "WARNING: CPU: %u PID: 1 at mm/mempool.c: mempool_create_node: "
                    "min_nr %d < 0\n", min_nr);
        return false;
    }
    if (!alloc_fn || !free_fn) {
        warn_create(kh, "mempool without callbacks",
                    "WARNING: CPU: %u PID: 1 at mm/mempool.c: mempool_create_node: NULL "
                    "alloc or free function (min_nr %d)\n", min_nr);
        return false;
    }
    return true;
}

mempool_t *kh_mempool_create_node(struct kh *kh, int min_nr, mempool_alloc_t *alloc_fn,
                                  mempool_free_t *free_fn, void *pool_data, gfp_t gfp_mask,
                                  int node_id)
{
    if (!create_args_ok(kh, min_nr, alloc_fn, free_fn, node_id))
        return NULL;
    /* 6.1 kmalloc_array()s the reserve's pointer array: past
     * KMALLOC_MAX_SIZE that fails, and so does the create (here it would
     * otherwise be a host allocation of gigabytes). */
    if (kh->slab && (size_t)min_nr > kh_kmalloc_max_size(kh) / sizeof(void *))
        return NULL;
    mempool_t *pool = calloc(1, sizeof(*pool));
    void **elements = calloc(min_nr ? (size_t)min_nr : 1, sizeof(void *));
    if (!pool || !elements || register_pool(kh, pool) != 0) {
        free(pool);
        free(elements);
        return NULL;
    }
    pthread_mutex_init(&pool->lock, NULL);
    pthread_cond_init(&pool->wait, NULL);
    pool->elements = elements;
    pool->min_nr = min_nr;
    pool->pool_data = pool_data;
    pool->alloc = alloc_fn;
    pool->free = free_fn;
    pool->kh = kh;
    pool->kind = stock_kind(alloc_fn, free_fn);
    pool->element_size = stock_element_size(kh, pool->kind, pool_data);
    while (pool->curr_nr < pool->min_nr) {
        void *element = element_alloc(pool, gfp_mask);
        if (!element) {   /* all or nothing */
            unregister_pool(kh, pool);
            free_pool(pool);
            return NULL;
        }
        add_element(pool, element);
    }
    return pool;
}

mempool_t *kh_mempool_create(struct kh *kh, int min_nr, mempool_alloc_t *alloc_fn,
                             mempool_free_t *free_fn, void *pool_data)
{
    return kh_mempool_create_node(kh, min_nr, alloc_fn, free_fn, pool_data, GFP_KERNEL,
                                  NUMA_NO_NODE);
}

mempool_t *kh_mempool_create_kmalloc_pool(struct kh *kh, int min_nr, size_t size)
{
    return kh_mempool_create(kh, min_nr, mempool_kmalloc, mempool_kfree, (void *)size);
}

mempool_t *kh_mempool_create_slab_pool(struct kh *kh, int min_nr, struct kmem_cache *cache)
{
    if (!cache) {
        /* 6.1 oopses at the first kmem_cache_alloc(NULL): at once when
         * min_nr > 0, else at the first mempool_alloc. Say so now. */
        kh_report(kh, KH_SEV_BUG, KH_R_MEMPOOL, SUBSYS, "mempool on a NULL cache", 0,
                  "BUG: kernel NULL pointer dereference, address: 0000000000000000 "
                  "(mempool_create_slab_pool(%d, NULL))\n", min_nr);
        return NULL;
    }
    return kh_mempool_create(kh, min_nr, mempool_alloc_slab, mempool_free_slab, cache);
}

mempool_t *kh_mempool_create_page_pool(struct kh *kh, int min_nr, int order)
{
    return kh_mempool_create(kh, min_nr, mempool_alloc_pages, mempool_free_pages,
                             (void *)(intptr_t)order);
}

void kh_mempool_destroy(struct kh *kh, mempool_t *pool)
{
    if (!pool || !known_pool(kh, pool, "mempool_destroy"))
        return;
    pthread_mutex_lock(&pool->lock);
    unsigned waiters = pool->waiters;
    pthread_mutex_unlock(&pool->lock);
    if (waiters) {
        kh_report(kh, KH_SEV_BUG, KH_R_MEMPOOL, SUBSYS, "mempool destroyed with waiters",
                  (uintptr_t)pool, "BUG: mempool_destroy(%p) while %u thread(s) wait in "
                  "mempool_alloc; pool kept\n", (void *)pool, waiters);
        return;
    }
    unregister_pool(kh, pool);
    free_pool(pool);
}

void kh_mempool_set_threaded(struct kh *kh, mempool_t *pool, bool threaded)
{
    if (!known_pool(kh, pool, "kh_mempool_set_threaded"))
        return;
    pthread_mutex_lock(&pool->lock);
    pool->threaded = threaded;
    pthread_mutex_unlock(&pool->lock);
}

/* ---- allocation and freeing ---- */

/* Called with pool->lock held, the reserve empty, and a caller that may
 * sleep. Returns an element (lock released) or NULL after reporting. */
static void *wait_for_element(mempool_t *pool)
{
    if (!pool->threaded || pool->min_nr == 0) {
        pthread_mutex_unlock(&pool->lock);
        kh_report(pool->kh, KH_SEV_BUG, KH_R_MEMPOOL, SUBSYS,
                  "mempool_alloc: would sleep forever", (uintptr_t)pool,
                  "BUG: mempool_alloc: would sleep forever: reserve empty, allocator failing, "
                  "no other thread can free (pool %p, min_nr %d%s)\n", (void *)pool,
                  pool->min_nr, pool->threaded ? ": the reserve holds nothing to wait for" : "");
        return NULL;
    }
    pool->waiters++;
    while (pool->curr_nr == 0)
        pthread_cond_wait(&pool->wait, &pool->lock);
    pool->waiters--;
    void *element = remove_element(pool);
    pthread_mutex_unlock(&pool->lock);
    return element;
}

static void warn_zero(struct kh *kh, gfp_t gfp)
{
    char flags[256];
    gfp_format(gfp, flags, sizeof(flags));
    kh_report(kh, KH_SEV_WARN, KH_R_MEMPOOL, SUBSYS, "mempool_alloc with __GFP_ZERO", 0,
              "WARNING: CPU: %u PID: 1 at mm/mempool.c: mempool_alloc: "
              "VM_WARN_ON_ONCE(gfp_mask & __GFP_ZERO), mode:%#x(%s)\n",
              kh->current_cpu, gfp, flags);
}

void *kh_mempool_alloc(struct kh *kh, mempool_t *pool, gfp_t gfp_mask)
{
    if (!known_pool(kh, pool, "mempool_alloc"))
        return NULL;
    if (gfp_mask & __GFP_ZERO)
        warn_zero(kh, gfp_mask);
    /* the reserve is the fallback: the allocator must not dig into the
     * emergency reserves, loop or complain before it is used */
#ifdef KH_PLANT_MEMPOOL_NOWARN
    gfp_mask |= __GFP_NOMEMALLOC | __GFP_NORETRY;  /* planted bug: the attempts are not made quiet */
#else
    gfp_mask |= __GFP_NOMEMALLOC | __GFP_NORETRY | __GFP_NOWARN;
#endif
#ifdef KH_PLANT_MEMPOOL_RECLAIM
    gfp_t gfp_temp = gfp_mask & ~__GFP_IO;  /* planted bug: the first attempt may reclaim */
#else
    gfp_t gfp_temp = gfp_mask & ~(__GFP_DIRECT_RECLAIM | __GFP_IO);
#endif
    for (;;) {
        void *element = element_alloc(pool, gfp_temp);
        if (element)
            return element;
        pthread_mutex_lock(&pool->lock);
#ifdef KH_PLANT_MEMPOOL_LAST
        if (pool->curr_nr > 1) {  /* planted bug: the last reserve element is never handed out */
#else
        if (pool->curr_nr) {
#endif
#ifdef KH_PLANT_MEMPOOL_RESERVE
            element = pool->elements[pool->curr_nr - 1];  /* planted bug: peeks, the reserve keeps it */
#else
            element = remove_element(pool);
#endif
            pthread_mutex_unlock(&pool->lock);
            return element;
        }
        if (gfp_temp != gfp_mask) {   /* reserve empty: now try as hard as the caller allows */
            pthread_mutex_unlock(&pool->lock);
            gfp_temp = gfp_mask;
            continue;
        }
        if (!gfpflags_allow_blocking(gfp_mask)) {
            pthread_mutex_unlock(&pool->lock);
            return NULL;
        }
        return wait_for_element(pool);
    }
}

void kh_mempool_free(struct kh *kh, void *element, mempool_t *pool)
{
    if (!element || !known_pool(kh, pool, "mempool_free"))
        return;
    pthread_mutex_lock(&pool->lock);
    if (!ZERO_OR_NULL_PTR(element) && in_reserve(pool, element)) {
        pthread_mutex_unlock(&pool->lock);
        kh_report(kh, KH_SEV_BUG, KH_R_MEMPOOL, SUBSYS, "element already in reserve",
                  (uintptr_t)element, "BUG: mempool_free: double free of %p: the element is "
                  "already in the reserve of mempool %p\n", element, (void *)pool);
        return;
    }
    if (pool->curr_nr < pool->min_nr) {
        add_element(pool, element);
        pthread_cond_signal(&pool->wait);
        pthread_mutex_unlock(&pool->lock);
        return;
    }
    pthread_mutex_unlock(&pool->lock);
    element_free(pool, element);
}

static int grow_reserve(mempool_t *pool, int new_min_nr)
{
    void **grown = realloc(pool->elements, (size_t)new_min_nr * sizeof(void *));
    if (!grown)
        return -ENOMEM;
    pool->elements = grown;
    pool->min_nr = new_min_nr;
    while (pool->curr_nr < pool->min_nr) {
        pthread_mutex_unlock(&pool->lock);
        void *element = element_alloc(pool, GFP_KERNEL);
        pthread_mutex_lock(&pool->lock);
        if (!element)
            break;   /* 6.1 returns 0 with the reserve partly filled */
        add_element(pool, element);
        pthread_cond_signal(&pool->wait);
    }
    return 0;
}

int kh_mempool_resize(struct kh *kh, mempool_t *pool, int new_min_nr)
{
    if (!known_pool(kh, pool, "mempool_resize"))
        return -EINVAL;
    if (new_min_nr <= 0) {
        kh_report(kh, KH_SEV_BUG, KH_R_MEMPOOL, SUBSYS, "mempool_resize to min_nr <= 0",
                  (uintptr_t)pool, "kernel BUG at mm/mempool.c: mempool_resize: "
                  "BUG_ON(new_min_nr <= 0): new_min_nr %d\n", new_min_nr);
        return -EINVAL;
    }
    pthread_mutex_lock(&pool->lock);
    int ret = 0;
    if (new_min_nr <= pool->min_nr) {
        while (pool->curr_nr > new_min_nr) {
            void *element = remove_element(pool);
            pthread_mutex_unlock(&pool->lock);
            element_free(pool, element);
            pthread_mutex_lock(&pool->lock);
        }
        pool->min_nr = new_min_nr;
    } else {
        ret = grow_reserve(pool, new_min_nr);
    }
    pthread_mutex_unlock(&pool->lock);
    return ret;
}

/* ---- stock callbacks (on kh_default() when called directly) ---- */

void *mempool_alloc_slab(gfp_t gfp_mask, void *pool_data)
{
    return kh_kmem_cache_alloc(kh_default(), pool_data, gfp_mask);
}
void mempool_free_slab(void *element, void *pool_data)
{
    kh_kmem_cache_free(kh_default(), pool_data, element);
}
void *mempool_kmalloc(gfp_t gfp_mask, void *pool_data)
{
    return kh_kmalloc(kh_default(), (size_t)pool_data, gfp_mask);
}
void mempool_kfree(void *element, void *pool_data)
{
    (void)pool_data;
    kh_kfree(kh_default(), element);
}
void *mempool_alloc_pages(gfp_t gfp_mask, void *pool_data)
{
    return kh_alloc_pages(kh_default(), gfp_mask, (unsigned)(uintptr_t)pool_data);
}
void mempool_free_pages(void *element, void *pool_data)
{
    kh___free_pages(kh_default(), element, (unsigned)(uintptr_t)pool_data);
}

/* ---- introspection ---- */

const char *kh_mempool_kind_name(enum kh_mempool_kind k)
{
    switch (k) {
    case KH_MEMPOOL_CUSTOM: return "custom";
    case KH_MEMPOOL_KMALLOC: return "kmalloc";
    case KH_MEMPOOL_SLAB: return "slab";
    case KH_MEMPOOL_PAGE: return "page";
    }
    return "?";
}

static void fill_info(const mempool_t *pool, unsigned index, struct kh_mempool_info *out)
{
    *out = (struct kh_mempool_info){
        .pool = pool, .index = index, .min_nr = pool->min_nr, .curr_nr = pool->curr_nr,
        .kind = pool->kind, .element_size = pool->element_size, .pool_data = pool->pool_data,
        .threaded = pool->threaded, .waiters = pool->waiters,
    };
}

unsigned kh_mempool_count(const struct kh *kh) { return kh->mempool ? kh->mempool->nr : 0; }

int kh_mempool_get_info(struct kh *kh, const mempool_t *pool, struct kh_mempool_info *out)
{
    int i = pool_index(kh, pool);
    if (i < 0)
        return -1;
    mempool_t *p = kh->mempool->pools[i];   /* the registry's non-const pointer */
    pthread_mutex_lock(&p->lock);
    fill_info(p, (unsigned)i, out);
    pthread_mutex_unlock(&p->lock);
    return 0;
}

int kh_mempool_walk(struct kh *kh, kh_mempool_fn pool_fn, kh_mempool_element_fn element_fn,
                    void *ctx)
{
    struct kh_mempool_state *st = kh->mempool;
    for (unsigned i = 0; i < st->nr; i++) {
        mempool_t *pool = st->pools[i];
        struct kh_mempool_info info;
        fill_info(pool, i, &info);
        int r = pool_fn ? pool_fn(ctx, &info) : 0;
        for (int e = 0; !r && element_fn && e < pool->curr_nr; e++)
            r = element_fn(ctx, &info, e, pool->elements[e]);
        if (r)
            return r;
    }
    return 0;
}

#define violation(out, name, addr, ...) \
    kh_violations_add_named((out), SUBSYS, (name), (addr), __VA_ARGS__)

/* Is element a live allocation of the pool's backing allocator? */
static bool element_live(struct kh *kh, const mempool_t *pool, void *element)
{
    if (pool->kind == KH_MEMPOOL_PAGE) {
        uintptr_t p = (uintptr_t)element, base = (uintptr_t)kh->pages;
        if (p < base || p >= base + kh->nr_pages * sizeof(struct page) ||
            (p - base) % sizeof(struct page))
            return false;
        const struct page *page = element;
        unsigned long pfn = kh_pfn(kh, page);
        return kh_block_head(kh, pfn) == pfn && (page->flags & PG_head) &&
               (page->flags & PG_pool) && page->order == (uintptr_t)pool->pool_data;
    }
    if (ZERO_OR_NULL_PTR(element))
        return pool->kind == KH_MEMPOOL_KMALLOC && pool->element_size == 0;
    struct kh_object_info obj;
    struct kmem_cache *cache = NULL;
    if (kh_slab_object_lookup(kh, element, &obj, &cache) == 0)
        return obj.state == KH_OBJ_ALLOCATED && obj.addr == (uintptr_t)element &&
               (pool->kind != KH_MEMPOOL_SLAB || cache == pool->pool_data);
    if (pool->kind != KH_MEMPOOL_KMALLOC || !kh_addr_in_arena(kh, element))
        return false;
    /* a large kmalloc: the head page of an allocated block */
    const struct page *page = kh_virt_to_page(kh, element);
    unsigned long pfn = kh_pfn(kh, page);
    return kh_block_head(kh, pfn) == pfn && (page->flags & PG_head) &&
           element == kh_pfn_to_virt(kh, pfn);
}

KH_NO_COVERAGE
static unsigned check_element(struct kh *kh, const mempool_t *pool, int i,
                              struct kh_violations *out)
{
    void *element = pool->elements[i];
    unsigned n = 0;
    if (pool->kind == KH_MEMPOOL_CUSTOM)
        return n;
    if (!element_live(kh, pool, element))
        return n + violation(out, "mempool-element", element,
                             "pool %p (%s): reserve element %p is not a live allocation",
                             (void *)pool, kh_mempool_kind_name(pool->kind), element);
    if (!pool->element_size || ZERO_OR_NULL_PTR(element))
        return n;
    unsigned char *mem = element_mem(pool, element);
#ifdef KH_ASAN
    if (!__asan_address_is_poisoned(mem) ||
        !__asan_address_is_poisoned(mem + pool->element_size - 1))
        n += violation(out, "mempool-asan", mem, "pool %p: reserve element %p is not poisoned",
                       (void *)pool, element);
#endif
    kh_unpoison(mem, pool->element_size);
    size_t at = first_mismatch(mem, pool->element_size);
    kh_poison(mem, pool->element_size);
    if (at < pool->element_size)
        n += violation(out, "mempool-poison", mem + at,
                       "pool %p: reserve element %p modified at offset %zu", (void *)pool,
                       element, at);
    return n;
}

static bool counts_ok(const mempool_t *pool)
{
    return pool->min_nr >= 0 && pool->curr_nr >= 0 && pool->curr_nr <= pool->min_nr;
}

KH_NO_COVERAGE
static unsigned check_pool(struct kh *kh, mempool_t *pool, struct kh_violations *out)
{
    unsigned n = 0;
    pthread_mutex_lock(&pool->lock);
    if (!counts_ok(pool))
        n += violation(out, "mempool-counts", pool, "pool %p: curr_nr %d, min_nr %d",
                       (void *)pool, pool->curr_nr, pool->min_nr);
    else
        for (int i = 0; i < pool->curr_nr; i++)
            n += check_element(kh, pool, i, out);
    pthread_mutex_unlock(&pool->lock);
    return n;
}

/* An element twice in the reserves, of one pool (handed out twice) or of two
 * pools. Sorting every reserve slot by address keeps this O(n log n): pools
 * with thousands of elements are routine under fuzzing. */
struct reserve_slot {
    uintptr_t element;
    const mempool_t *pool;
    int slot;
};

static int cmp_slot(const void *a, const void *b)
{
    const struct reserve_slot *x = a, *y = b;
    if (x->element != y->element)
        return x->element < y->element ? -1 : 1;
    return (x->pool != y->pool) ? ((uintptr_t)x->pool < (uintptr_t)y->pool ? -1 : 1)
                                : (x->slot > y->slot) - (x->slot < y->slot);
}

KH_NO_COVERAGE
static unsigned check_duplicates(struct kh *kh, struct kh_violations *out)
{
    struct kh_mempool_state *st = kh->mempool;
    size_t total = 0;
    for (unsigned a = 0; a < st->nr; a++)
        if (counts_ok(st->pools[a]))
            total += (size_t)st->pools[a]->curr_nr;
    if (total < 2)
        return 0;
    struct reserve_slot *v = malloc(total * sizeof(*v));
    if (!v)
        return violation(out, "mempool-validate", NULL,
                         "out of host memory checking %zu reserve elements", total);
    size_t k = 0;
    for (unsigned a = 0; a < st->nr; a++) {
        const mempool_t *pool = st->pools[a];
        for (int i = 0; counts_ok(pool) && i < pool->curr_nr; i++)
            if (!ZERO_OR_NULL_PTR(pool->elements[i]))
                v[k++] = (struct reserve_slot){ (uintptr_t)pool->elements[i], pool, i };
    }
    qsort(v, k, sizeof(*v), cmp_slot);
    unsigned n = 0;
    for (size_t i = 1; i < k; i++) {
        const struct reserve_slot *p = &v[i - 1], *q = &v[i];
        if (p->element != q->element)
            continue;
        void *e = (void *)p->element;
        if (p->pool == q->pool)
            n += violation(out, "mempool-duplicate", e,
                           "pool %p: element %p at reserve slots %d and %d", (const void *)p->pool,
                           e, p->slot, q->slot);
        else
            n += violation(out, "mempool-duplicate", e,
                           "element %p is in the reserves of pools %p and %p", e,
                           (const void *)p->pool, (const void *)q->pool);
    }
    free(v);
    return n;
}

KH_NO_COVERAGE
unsigned kh_mempool_validate(struct kh *kh, struct kh_violations *out)
{
    struct kh_mempool_state *st = kh->mempool;
    unsigned n = 0;
    for (unsigned i = 0; i < st->nr; i++)
        n += check_pool(kh, st->pools[i], out);
    return n + check_duplicates(kh, out);
}

#undef violation

/* ---- lifecycle ---- */

const char *kh_mempool_state_init(struct kh *kh)
{
    kh->mempool = calloc(1, sizeof(*kh->mempool));
    return kh->mempool ? NULL : "out of host memory for the mempool state";
}

/* Drops every pool without touching its elements: the slab and page
 * allocators' resets, which run after this one, take the memory back. */
static void drop_pools(struct kh *kh)
{
    struct kh_mempool_state *st = kh->mempool;
    for (unsigned i = 0; i < st->nr; i++) {
        mempool_t *pool = st->pools[i];
        pthread_cond_destroy(&pool->wait);
        pthread_mutex_destroy(&pool->lock);
        free(pool->elements);
        free(pool);
    }
    st->nr = 0;
}

void kh_mempool_state_reset(struct kh *kh)
{
    if (kh->mempool)
        drop_pools(kh);
}

void kh_mempool_state_destroy(struct kh *kh)
{
    if (!kh->mempool)
        return;
    drop_pools(kh);
    free(kh->mempool->pools);
    free(kh->mempool);
    kh->mempool = NULL;
}
