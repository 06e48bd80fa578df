/* mempool.h - memory pools with a guaranteed reserve (kernel names and kh_
 * twins), and their introspection and validation.
 *
 * A pool keeps min_nr preallocated elements so that an allocation which
 * must make progress (writeback, block I/O) can always be served, sooner or
 * later. Elements come from a pair of callbacks; the stock pairs wrap
 * kmalloc, a slab cache and the page allocator.
 *
 * Threads. An instance is single-threaded, and so is a pool by default: a
 * mempool_alloc that would have to sleep for a free that nobody can make is
 * reported as the deadlock it is (a KH_R_MEMPOOL BUG) and returns NULL. A
 * pool marked with kh_mempool_set_threaded() lets mempool_alloc really
 * block until another thread frees an element into the reserve. The rule
 * for such a pool: while one thread waits, other threads may use the
 * instance as usual; mempool_free into a waiting pool only touches the
 * reserve (it is empty, so the element is kept), under the pool's mutex.
 */
#ifndef KH_MEMPOOL_H
#define KH_MEMPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kmem.h"

struct kmem_cache;
struct kh_violations;

#ifndef NUMA_NO_NODE
#define NUMA_NO_NODE (-1)
#endif

typedef void *(mempool_alloc_t)(gfp_t gfp_mask, void *pool_data);
typedef void(mempool_free_t)(void *element, void *pool_data);

typedef struct mempool_s mempool_t;

/* ---- Instance-taking API ---- */
/* Preallocates min_nr elements with GFP_KERNEL; NULL when any of them (or
 * the pool itself) cannot be allocated, with everything torn down. */
mempool_t *kh_mempool_create(struct kh *kh, int min_nr, mempool_alloc_t *alloc_fn,
                             mempool_free_t *free_fn, void *pool_data);
/* As above with the preallocation's gfp; node must be 0 or NUMA_NO_NODE. */
mempool_t *kh_mempool_create_node(struct kh *kh, int min_nr, mempool_alloc_t *alloc_fn,
                                  mempool_free_t *free_fn, void *pool_data, gfp_t gfp_mask,
                                  int node_id);
mempool_t *kh_mempool_create_kmalloc_pool(struct kh *kh, int min_nr, size_t size);
mempool_t *kh_mempool_create_slab_pool(struct kh *kh, int min_nr, struct kmem_cache *cache);
mempool_t *kh_mempool_create_page_pool(struct kh *kh, int min_nr, int order);
/* A pool that is not a live pool of kh is reported (KH_R_MEMPOOL BUG,
 * "not a mempool of this instance") and nothing happens. */
void *kh_mempool_alloc(struct kh *kh, mempool_t *pool, gfp_t gfp_mask);
void kh_mempool_free(struct kh *kh, void *element, mempool_t *pool);
/* 0, -ENOMEM (host memory), or -EINVAL with a BUG report for new_min_nr <= 0.
 * Growing stops quietly (returning 0) when the allocator fails, as in 6.1. */
int kh_mempool_resize(struct kh *kh, mempool_t *pool, int new_min_nr);
/* Frees the reserve; elements still held by callers stay theirs (6.1). */
void kh_mempool_destroy(struct kh *kh, mempool_t *pool);
/* Other threads may free into this pool: a may-sleep mempool_alloc with an
 * empty reserve then blocks instead of reporting a deadlock. */
void kh_mempool_set_threaded(struct kh *kh, mempool_t *pool, bool threaded);

/* ---- Introspection ---- */
enum kh_mempool_kind {
    KH_MEMPOOL_CUSTOM,   /* caller's callbacks: elements are opaque, not poisoned */
    KH_MEMPOOL_KMALLOC,  /* mempool_kmalloc / mempool_kfree, pool_data = size */
    KH_MEMPOOL_SLAB,     /* mempool_alloc_slab / mempool_free_slab, pool_data = cache */
    KH_MEMPOOL_PAGE,     /* mempool_alloc_pages / mempool_free_pages, pool_data = order;
                          * elements are struct page pointers */
};
const char *kh_mempool_kind_name(enum kh_mempool_kind k);

struct kh_mempool_info {
    const mempool_t *pool;
    unsigned index;              /* creation order among live pools */
    int min_nr, curr_nr;
    enum kh_mempool_kind kind;
    size_t element_size;         /* bytes poisoned per element (0: custom pool) */
    void *pool_data;
    bool threaded;
    unsigned waiters;            /* threads blocked in mempool_alloc */
};

/* Return non-zero to stop; the walk returns that value. Reserve elements
 * are visited bottom first (index curr_nr - 1 is handed out next). */
typedef int (*kh_mempool_fn)(void *ctx, const struct kh_mempool_info *pool);
typedef int (*kh_mempool_element_fn)(void *ctx, const struct kh_mempool_info *pool, int index,
                                     void *element);
int kh_mempool_walk(struct kh *kh, kh_mempool_fn pool_fn, kh_mempool_element_fn element_fn,
                    void *ctx);
unsigned kh_mempool_count(const struct kh *kh);
/* Returns 0, or -1 when pool is not a live pool of kh. */
int kh_mempool_get_info(struct kh *kh, const mempool_t *pool, struct kh_mempool_info *out);

/* Checks every pool; returns the number of violations added to *out (out
 * may be NULL). Reports nothing. Invariant names (subsystem "mempool"):
 *   "mempool-counts"      curr_nr outside 0..min_nr, or min_nr negative
 *   "mempool-duplicate"   one element twice in a reserve (or in two pools)
 *   "mempool-poison"      a reserve element's poison pattern was modified
 *   "mempool-element"     a stock pool's reserve element is not a live
 *                         allocation of its backing allocator
 *   "mempool-asan"        (ASan builds) a reserve element is not poisoned */
unsigned kh_mempool_validate(struct kh *kh, struct kh_violations *out);

/* ---- Kernel names on the default instance ---- */
mempool_t *mempool_create(int min_nr, mempool_alloc_t *alloc_fn, mempool_free_t *free_fn,
                          void *pool_data);
mempool_t *mempool_create_node(int min_nr, mempool_alloc_t *alloc_fn, mempool_free_t *free_fn,
                               void *pool_data, gfp_t gfp_mask, int node_id);
mempool_t *mempool_create_kmalloc_pool(int min_nr, size_t size);
mempool_t *mempool_create_slab_pool(int min_nr, struct kmem_cache *cache);
mempool_t *mempool_create_page_pool(int min_nr, int order);
void *mempool_alloc(mempool_t *pool, gfp_t gfp_mask);
void mempool_free(void *element, mempool_t *pool);
int mempool_resize(mempool_t *pool, int new_min_nr);
void mempool_destroy(mempool_t *pool);

/* Stock callbacks. Called directly they act on kh_default(); a pool using
 * them calls its own instance instead, whichever kh_ creator made it. */
void *mempool_alloc_slab(gfp_t gfp_mask, void *pool_data);
void mempool_free_slab(void *element, void *pool_data);
void *mempool_kmalloc(gfp_t gfp_mask, void *pool_data);
void mempool_kfree(void *element, void *pool_data);
void *mempool_alloc_pages(gfp_t gfp_mask, void *pool_data);
void mempool_free_pages(void *element, void *pool_data);

#endif
