/* mempool_test.c - the mempool rules of SPEC section 8 (Linux 6.1):
 * preallocation, the allocator-first policy and its flags, LIFO reserve
 * use, refill on free, resize, destroy, the non-sleeping NULL, a real
 * two-thread wait, the single-threaded deadlock report, poisoning of
 * reserve elements, misuse reports, introspection, validation and reset.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "fixture.h"
#include "internal.h"
#include "introspect.h"
#include "kmalloc.h"
#include "mempool.h"
#include "page_alloc.h"
#include "slab.h"

static struct kh *new_instance(void)
{
    struct kh_config cfg = kh_test_config(KH_DEFAULT_PROFILE);
    return kh_test_create(&cfg);
}

static const struct kh_report *last_report(const struct kh *kh)
{
    const struct kh_report *r, *last = NULL;
    for (unsigned i = 0; (r = kh_report_get(kh, i)) != NULL; i++)
        last = r;
    return last;
}

static unsigned validate(struct kh *kh)
{
    struct kh_violations v = { 0 };
    unsigned n = kh_validate(kh, &v);
    if (n)
        kh_violations_print(&v, stderr);
    kh_violations_free(&v);
    return n;
}

static unsigned violations(struct kh *kh, const char *invariant)
{
    struct kh_violations v = { 0 };
    kh_mempool_validate(kh, &v);
    unsigned n = kh_violations_count(&v, "mempool", invariant);
    kh_violations_free(&v);
    return n;
}

static int curr_nr(struct kh *kh, const mempool_t *pool)
{
    struct kh_mempool_info info;
    return kh_mempool_get_info(kh, pool, &info) == 0 ? info.curr_nr : -1;
}

static void fail_slab_from(struct kh *kh, uint64_t nth)
{
    struct kh_fault_config fc = { .mode = KH_FAULT_FROM, .domains = KH_FAULT_SLAB, .nth = nth };
    kh_fault_set(kh, &fc);
}

/* ---- a custom allocator the tests steer ---- */

#define NR_BUFS 16
struct steer {
    bool fail;
    unsigned next, allocs, frees, calls;
    gfp_t gfps[8];
    char bufs[NR_BUFS][32];
};

static void *steer_alloc(gfp_t gfp, void *data)
{
    struct steer *s = data;
    if (s->calls < 8)
        s->gfps[s->calls] = gfp;
    s->calls++;
    if (s->fail || s->next == NR_BUFS)
        return NULL;
    s->allocs++;
    return s->bufs[s->next++];
}

static void steer_free(void *element, void *data)
{
    (void)element;
    ((struct steer *)data)->frees++;
}

/* ---- creation ---- */

static void test_create_preallocates(void)
{
    struct kh *kh = new_instance();
    struct kmem_cache *k64 = kh_kmalloc_cache(kh, 64, GFP_KERNEL);
    struct kh_cache_info ci;
    kh_slab_cache_info(kh, k64, &ci);
    unsigned long before = ci.nr_inuse;
    mempool_t *pool = kh_mempool_create_kmalloc_pool(kh, 5, 64);
    CHECK(pool != NULL);
    kh_slab_cache_info(kh, k64, &ci);
    CHECK_EQ_U(ci.nr_inuse - before, 5);
    struct kh_mempool_info info;
    CHECK_EQ_U(kh_mempool_get_info(kh, pool, &info), 0);
    CHECK_EQ_U(info.min_nr, 5);
    CHECK_EQ_U(info.curr_nr, 5);
    CHECK_EQ_U(info.kind, KH_MEMPOOL_KMALLOC);
    CHECK_EQ_U(info.element_size, 64);
    CHECK_EQ_STR(kh_mempool_kind_name(info.kind), "kmalloc");
    CHECK_EQ_U(kh_mempool_count(kh), 1);
    CHECK_EQ_U(validate(kh), 0);
    kh_mempool_destroy(kh, pool);
    kh_slab_cache_info(kh, k64, &ci);
    CHECK_EQ_U(ci.nr_inuse, before);
    CHECK_EQ_U(kh_mempool_count(kh), 0);
    CHECK_EQ_U(kh_report_count(kh, KH_SEV_WARN) + kh_report_count(kh, KH_SEV_BUG), 0);
    kh_destroy(kh);
}

static void test_create_failure_tears_down(void)
{
    struct kh *kh = new_instance();
    struct kmem_cache *k64 = kh_kmalloc_cache(kh, 64, GFP_KERNEL);
    struct kh_cache_info ci;
    kh_slab_cache_info(kh, k64, &ci);
    unsigned long before = ci.nr_inuse;
    fail_slab_from(kh, 4);   /* the 4th element cannot be allocated */
    CHECK(kh_mempool_create_kmalloc_pool(kh, 8, 64) == NULL);
    kh_fault_clear(kh);
    kh_slab_cache_info(kh, k64, &ci);
    CHECK_EQ_U(ci.nr_inuse, before);   /* the 3 made were freed */
    CHECK_EQ_U(kh_mempool_count(kh), 0);

    struct steer s = { .fail = true };
    CHECK(kh_mempool_create(kh, 2, steer_alloc, steer_free, &s) == NULL);
    CHECK_EQ_U(s.gfps[0], GFP_KERNEL);   /* the reserve is filled with GFP_KERNEL */
    /* create_node passes its own gfp through */
    struct steer t = { 0 };
    mempool_t *pool = kh_mempool_create_node(kh, 1, steer_alloc, steer_free, &t, GFP_NOIO, 0);
    CHECK(pool != NULL);
    CHECK_EQ_U(t.gfps[0], GFP_NOIO);
    kh_mempool_destroy(kh, pool);
    CHECK_EQ_U(t.frees, 1);
    CHECK(kh_mempool_create_node(kh, 1, steer_alloc, steer_free, &t, GFP_KERNEL, NUMA_NO_NODE));
    CHECK(kh_mempool_create_node(kh, 1, steer_alloc, steer_free, &t, GFP_KERNEL, 1) == NULL);
    CHECK_EQ_U(reports_with(kh, "mempool on a node that does not exist"), 1);
    CHECK(kh_mempool_create(kh, -1, steer_alloc, steer_free, &t) == NULL);
    CHECK(kh_mempool_create(kh, 1, NULL, steer_free, &t) == NULL);
    CHECK_EQ_U(kh_report_count_class(kh, KH_R_MEMPOOL), 3);
    /* the reserve's pointer array is a kmalloc_array: past KMALLOC_MAX_SIZE
     * the create fails (and asks the host for nothing) */
    size_t most = kh_kmalloc_max_size(kh) / sizeof(void *);
    unsigned pools = kh_mempool_count(kh);
    CHECK(kh_mempool_create(kh, (int)most + 1, steer_alloc, steer_free, &t) == NULL);
    CHECK(kh_mempool_create(kh, 0x7fffffff, steer_alloc, steer_free, &t) == NULL);
    CHECK_EQ_U(kh_mempool_count(kh), pools);
    kh_destroy(kh);
}

/* ---- allocation policy ---- */

static void test_allocator_first_and_flags(void)
{
    struct kh *kh = new_instance();
    struct steer s = { 0 };
    mempool_t *pool = kh_mempool_create(kh, 2, steer_alloc, steer_free, &s);
    s.calls = 0;
    void *e = kh_mempool_alloc(kh, pool, GFP_KERNEL);
    CHECK(e == s.bufs[2]);            /* fresh from the allocator, reserve untouched */
    CHECK_EQ_U(curr_nr(kh, pool), 2);
    gfp_t first = (GFP_KERNEL | __GFP_NOMEMALLOC | __GFP_NORETRY | __GFP_NOWARN) &
                  ~(__GFP_DIRECT_RECLAIM | __GFP_IO);
    CHECK_EQ_U(s.gfps[0], first);

    /* allocator failing: the reserve serves, the allocator asked once */
    s.fail = true;
    s.calls = 0;
    CHECK(kh_mempool_alloc(kh, pool, GFP_KERNEL) == s.bufs[1]);
    CHECK_EQ_U(s.calls, 1);
    CHECK(kh_mempool_alloc(kh, pool, GFP_KERNEL) == s.bufs[0]);
    CHECK_EQ_U(curr_nr(kh, pool), 0);

    /* reserve empty: a second try with the caller's full flags */
    s.calls = 0;
    CHECK(kh_mempool_alloc(kh, pool, GFP_ATOMIC) == NULL);   /* may not sleep: NULL */
    CHECK_EQ_U(s.calls, 1);   /* nothing to strip from GFP_ATOMIC: no second try */
    s.calls = 0;
    CHECK(kh_mempool_alloc(kh, pool, GFP_NOWAIT | __GFP_IO) == NULL);
    CHECK_EQ_U(s.calls, 2);
    CHECK_EQ_U(s.gfps[0], GFP_NOWAIT | __GFP_NOMEMALLOC | __GFP_NORETRY | __GFP_NOWARN);
    CHECK_EQ_U(s.gfps[1], GFP_NOWAIT | __GFP_IO | __GFP_NOMEMALLOC | __GFP_NORETRY |
                          __GFP_NOWARN);
    CHECK_EQ_U(kh_report_count(kh, KH_SEV_BUG) + kh_report_count(kh, KH_SEV_WARN), 0);
    s.fail = false;
    CHECK(kh_mempool_alloc(kh, pool, GFP_NOWAIT) == s.bufs[3]);   /* allocator works again */
    kh_mempool_destroy(kh, pool);
    kh_destroy(kh);
}

static void test_reserve_is_lifo_and_refilled(void)
{
    struct kh *kh = new_instance();
    struct steer s = { 0 };
    mempool_t *pool = kh_mempool_create(kh, 3, steer_alloc, steer_free, &s);
    s.fail = true;
    void *a = kh_mempool_alloc(kh, pool, GFP_NOIO);
    void *b = kh_mempool_alloc(kh, pool, GFP_NOIO);
    CHECK(a == s.bufs[2]);   /* most recently added first */
    CHECK(b == s.bufs[1]);
    kh_mempool_free(kh, a, pool);   /* below min_nr: back into the reserve */
    CHECK_EQ_U(s.frees, 0);
    CHECK_EQ_U(curr_nr(kh, pool), 2);
    CHECK(kh_mempool_alloc(kh, pool, GFP_NOIO) == a);   /* the freed one comes out first */
    kh_mempool_free(kh, b, pool);
    kh_mempool_free(kh, a, pool);
    CHECK_EQ_U(curr_nr(kh, pool), 3);
    s.fail = false;
    void *c = kh_mempool_alloc(kh, pool, GFP_KERNEL);   /* from the allocator */
    kh_mempool_free(kh, c, pool);                       /* reserve full: to free_fn */
    CHECK_EQ_U(s.frees, 1);
    CHECK_EQ_U(curr_nr(kh, pool), 3);
    kh_mempool_free(kh, NULL, pool);                    /* no-op */
    CHECK_EQ_U(s.frees, 1);
    CHECK_EQ_U(kh_report_count(kh, KH_SEV_BUG) + kh_report_count(kh, KH_SEV_WARN), 0);
    kh_mempool_destroy(kh, pool);
    CHECK_EQ_U(s.frees, 4);
    kh_destroy(kh);
}

static void test_zero_flag_warns(void)
{
    struct kh *kh = new_instance();
    mempool_t *pool = kh_mempool_create_kmalloc_pool(kh, 1, 32);
    void *e = kh_mempool_alloc(kh, pool, GFP_KERNEL | __GFP_ZERO);
    CHECK(e != NULL);
    CHECK_EQ_U(reports_with(kh, "mempool_alloc with __GFP_ZERO"), 1);
    CHECK_CONTAINS(last_report(kh)->text, "__GFP_ZERO");
    kh_mempool_free(kh, e, pool);
    kh_mempool_destroy(kh, pool);
    kh_destroy(kh);
}

/* ---- sleeping ---- */

static void test_single_thread_deadlock_reported(void)
{
    struct kh *kh = new_instance();
    struct steer s = { 0 };
    mempool_t *pool = kh_mempool_create(kh, 1, steer_alloc, steer_free, &s);
    s.fail = true;
    void *e = kh_mempool_alloc(kh, pool, GFP_KERNEL);
    CHECK(e == s.bufs[0]);
    CHECK(kh_mempool_alloc(kh, pool, GFP_KERNEL) == NULL);
    CHECK_EQ_U(kh_report_count(kh, KH_SEV_BUG), 1);
    const struct kh_report *r = last_report(kh);
    CHECK(r && r->cls == KH_R_MEMPOOL);
    CHECK_EQ_STR(r ? r->reason : NULL, "mempool_alloc: would sleep forever");
    CHECK_CONTAINS(r ? r->text : NULL, "mempool_alloc: would sleep forever: reserve empty, "
                                       "allocator failing, no other thread can free");
    /* a threaded pool with min_nr 0 has nothing to wait for either */
    mempool_t *empty = kh_mempool_create(kh, 0, steer_alloc, steer_free, &s);
    kh_mempool_set_threaded(kh, empty, true);
    CHECK(kh_mempool_alloc(kh, empty, GFP_KERNEL) == NULL);
    CHECK_EQ_U(reports_with(kh, "mempool_alloc: would sleep forever"), 2);
    kh_mempool_free(kh, e, pool);
    kh_mempool_destroy(kh, pool);
    kh_mempool_destroy(kh, empty);
    kh_destroy(kh);
}

struct waiter {
    struct kh *kh;
    mempool_t *pool;
    void *got;
};

static void *waiter_main(void *arg)
{
    struct waiter *w = arg;
    w->got = kh_mempool_alloc(w->kh, w->pool, GFP_KERNEL);
    return NULL;
}

static void test_two_threads_wait_and_free(void)
{
    struct kh *kh = new_instance();
    struct steer s = { 0 };
    mempool_t *pool = kh_mempool_create(kh, 1, steer_alloc, steer_free, &s);
    kh_mempool_set_threaded(kh, pool, true);
    s.fail = true;
    void *held = kh_mempool_alloc(kh, pool, GFP_KERNEL);
    CHECK(held == s.bufs[0]);

    struct waiter w = { kh, pool, (void *)1 };
    pthread_t t;
    CHECK_EQ_U(pthread_create(&t, NULL, waiter_main, &w), 0);
    struct kh_mempool_info info = { 0 };
    for (int i = 0; i < 5000; i++) {   /* until it really sleeps (up to 5 s) */
        kh_mempool_get_info(kh, pool, &info);
        if (info.waiters == 1)
            break;
        usleep(1000);
    }
    CHECK_EQ_U(info.waiters, 1);
    usleep(20000);
    CHECK(w.got == (void *)1);   /* still blocked */
    kh_mempool_free(kh, held, pool);
    pthread_join(t, NULL);
    CHECK(w.got == held);        /* the waiter got exactly the freed element */
    CHECK_EQ_U(curr_nr(kh, pool), 0);
    kh_mempool_get_info(kh, pool, &info);
    CHECK_EQ_U(info.waiters, 0);
    CHECK_EQ_U(kh_report_count(kh, KH_SEV_BUG), 0);
    kh_mempool_free(kh, w.got, pool);
    kh_mempool_destroy(kh, pool);
    kh_destroy(kh);
}

/* ---- resize and destroy ---- */

static void test_resize(void)
{
    struct kh *kh = new_instance();
    struct steer s = { 0 };
    mempool_t *pool = kh_mempool_create(kh, 2, steer_alloc, steer_free, &s);
    CHECK_EQ_U(kh_mempool_resize(kh, pool, 5), 0);
    struct kh_mempool_info info;
    kh_mempool_get_info(kh, pool, &info);
    CHECK_EQ_U(info.min_nr, 5);
    CHECK_EQ_U(info.curr_nr, 5);
    CHECK_EQ_U(kh_mempool_resize(kh, pool, 3), 0);
    kh_mempool_get_info(kh, pool, &info);
    CHECK_EQ_U(info.min_nr, 3);
    CHECK_EQ_U(info.curr_nr, 3);
    CHECK_EQ_U(s.frees, 2);
    /* the top of the reserve went: the oldest three remain, LIFO order kept */
    s.fail = true;
    CHECK(kh_mempool_alloc(kh, pool, GFP_NOIO) == s.bufs[2]);
    s.fail = false;
    kh_mempool_free(kh, s.bufs[2], pool);
    /* growing with a failing allocator: 0, reserve partly filled (6.1) */
    s.next = NR_BUFS - 2;
    CHECK_EQ_U(kh_mempool_resize(kh, pool, 8), 0);
    kh_mempool_get_info(kh, pool, &info);
    CHECK_EQ_U(info.min_nr, 8);
    CHECK_EQ_U(info.curr_nr, 5);
    CHECK(kh_mempool_resize(kh, pool, 0) == -EINVAL);
    CHECK_EQ_U(reports_with(kh, "mempool_resize to min_nr <= 0"), 1);
    kh_mempool_get_info(kh, pool, &info);
    CHECK_EQ_U(info.min_nr, 8);
    CHECK_EQ_U(validate(kh), 0);
    kh_mempool_destroy(kh, pool);
    kh_destroy(kh);
}

static void test_destroy_with_outstanding_elements(void)
{
    struct kh *kh = new_instance();
    struct kmem_cache *k128 = kh_kmalloc_cache(kh, 128, GFP_KERNEL);
    struct kh_cache_info ci;
    kh_slab_cache_info(kh, k128, &ci);
    unsigned long before = ci.nr_inuse;
    mempool_t *pool = kh_mempool_create_kmalloc_pool(kh, 2, 128);
    fail_slab_from(kh, 1);
    void *e = kh_mempool_alloc(kh, pool, GFP_KERNEL);   /* from the reserve */
    kh_fault_clear(kh);
    CHECK(e != NULL);
    kh_mempool_destroy(kh, pool);                      /* allowed in 6.1 */
    CHECK_EQ_U(kh_report_count(kh, KH_SEV_BUG), 0);
    kh_slab_cache_info(kh, k128, &ci);
    CHECK_EQ_U(ci.nr_inuse, before + 1);               /* only the reserve was freed */
    memset(e, 1, 128);                                 /* still the caller's */
    kh_kfree(kh, e);
    kh_mempool_destroy(kh, NULL);
    CHECK_EQ_U(validate(kh), 0);
    kh_destroy(kh);
}

/* ---- misuse ---- */

static void test_double_free_into_reserve(void)
{
    struct kh *kh = new_instance();
    mempool_t *pool = kh_mempool_create_kmalloc_pool(kh, 2, 48);
    fail_slab_from(kh, 1);
    void *e = kh_mempool_alloc(kh, pool, GFP_KERNEL);
    kh_fault_clear(kh);
    kh_mempool_free(kh, e, pool);
    CHECK_EQ_U(curr_nr(kh, pool), 2);
    kh_mempool_free(kh, e, pool);   /* already in the reserve */
    CHECK_EQ_U(reports_with(kh, "element already in reserve"), 1);
    CHECK(last_report(kh)->severity == KH_SEV_BUG && last_report(kh)->cls == KH_R_MEMPOOL);
    CHECK_EQ_U(curr_nr(kh, pool), 2);
    CHECK_EQ_U(validate(kh), 0);   /* nothing changed: no duplicate, nothing freed */

    int not_a_pool;
    CHECK(kh_mempool_alloc(kh, (mempool_t *)&not_a_pool, GFP_KERNEL) == NULL);
    CHECK_EQ_U(reports_with(kh, "not a mempool of this instance"), 1);
    kh_mempool_destroy(kh, pool);
    kh_mempool_free(kh, e, pool);   /* destroyed pool */
    CHECK_EQ_U(reports_with(kh, "not a mempool of this instance"), 2);
    kh_destroy(kh);
}

static int find_first_element(void *ctx, const struct kh_mempool_info *p, int index, void *el)
{
    (void)p;
    (void)index;
    *(void **)ctx = el;
    return 1;
}

static void test_poison_pattern_and_detection(void)
{
    struct kh *kh = new_instance();
    mempool_t *pool = kh_mempool_create_kmalloc_pool(kh, 2, 40);
    unsigned char *el = NULL;
    CHECK_EQ_U(kh_mempool_walk(kh, NULL, find_first_element, &el), 1);
    CHECK(el != NULL);
    kh_unpoison(el, 40);   /* look without tripping ASan */
    bool pattern = el[39] == POISON_END;
    for (int i = 0; i < 39; i++)
        pattern &= el[i] == POISON_FREE;
    CHECK(pattern);
    kh_poison(el, 40);
    CHECK_EQ_U(violations(kh, "mempool-poison"), 0);

    /* a stray write after mempool_free: caught by validation and on hand-out */
    fail_slab_from(kh, 1);
    unsigned char *e = kh_mempool_alloc(kh, pool, GFP_KERNEL);
    memset(e, 0x11, 40);
    kh_mempool_free(kh, e, pool);
    kh_unpoison(e + 8, 8);
    e[10] = 0;             /* use after free */
    kh_poison(e + 8, 8);
    CHECK_EQ_U(violations(kh, "mempool-poison"), 1);
    unsigned char *again = kh_mempool_alloc(kh, pool, GFP_KERNEL);
    CHECK(again == e);
    CHECK_EQ_U(reports_with(kh, "mempool element modified while in reserve"), 1);
    CHECK_CONTAINS(last_report(kh)->text, "BUG: mempool element poison mismatch");
    CHECK_CONTAINS(last_report(kh)->text, "nr=10");
    CHECK(last_report(kh)->addr == (uintptr_t)(e + 10));
    kh_fault_clear(kh);
    again[0] = 1;          /* handed out: fully usable again */
    kh_mempool_free(kh, again, pool);
    CHECK_EQ_U(violations(kh, "mempool-poison"), 0);
    CHECK_EQ_U(validate(kh), 0);
    kh_mempool_destroy(kh, pool);
    kh_destroy(kh);
}

static void test_slab_and_page_pools(void)
{
    struct kh *kh = new_instance();
    struct kmem_cache *c = kh_kmem_cache_create(kh, "pool_obj", 100, 0, 0, NULL);
    mempool_t *sp = kh_mempool_create_slab_pool(kh, 3, c);
    mempool_t *pp = kh_mempool_create_page_pool(kh, 2, 1);
    struct kh_mempool_info info;
    kh_mempool_get_info(kh, sp, &info);
    CHECK_EQ_U(info.kind, KH_MEMPOOL_SLAB);
    CHECK_EQ_U(info.element_size, 100);
    kh_mempool_get_info(kh, pp, &info);
    CHECK_EQ_U(info.kind, KH_MEMPOOL_PAGE);
    CHECK_EQ_U(info.element_size, 2 * kh_page_size(kh));
    CHECK_EQ_U(info.index, 1);
    CHECK_EQ_U(validate(kh), 0);

    struct page *pg = NULL;
    struct kh_fault_config fc = { .mode = KH_FAULT_FROM, .domains = KH_FAULT_PAGE, .nth = 1 };
    kh_fault_set(kh, &fc);
    pg = kh_mempool_alloc(kh, pp, GFP_KERNEL);
    kh_fault_clear(kh);
    CHECK(pg != NULL && !(pg->flags & PG_pool));
    memset(kh_page_address(kh, pg), 7, 2 * kh_page_size(kh));
    kh_mempool_free(kh, pg, pp);
    CHECK(pg->flags & PG_pool);
    CHECK_EQ_U(validate(kh), 0);
    /* a reserve element freed behind the pool's back is no longer live */
    kh_unpoison(kh_page_address(kh, pg), 2 * kh_page_size(kh));
    pg->flags &= ~(uint32_t)PG_pool;
    CHECK_EQ_U(violations(kh, "mempool-element"), 1);
    pg->flags |= PG_pool;
    kh_poison(kh_page_address(kh, pg), 2 * kh_page_size(kh));

    void *o = kh_mempool_alloc(kh, sp, GFP_KERNEL);
    CHECK(o != NULL);
    kh_mempool_free(kh, o, sp);   /* reserve full: back to the cache */
    kh_mempool_destroy(kh, sp);
    kh_mempool_destroy(kh, pp);
    struct kh_cache_info ci;
    kh_slab_cache_info(kh, c, &ci);
    CHECK_EQ_U(ci.nr_inuse, 0);
    CHECK_EQ_U(kh_report_count(kh, KH_SEV_BUG), 0);
    CHECK_EQ_U(validate(kh), 0);
    kh_kmem_cache_destroy(kh, c);
    kh_destroy(kh);
}

/* ---- introspection and reset ---- */

struct walk_count { unsigned pools, elements; };
static int count_pool(void *ctx, const struct kh_mempool_info *p)
{
    (void)p;
    ((struct walk_count *)ctx)->pools++;
    return 0;
}
static int count_element(void *ctx, const struct kh_mempool_info *p, int i, void *e)
{
    (void)p;
    (void)i;
    (void)e;
    ((struct walk_count *)ctx)->elements++;
    return 0;
}

static void test_walk_and_reset(void)
{
    struct kh *kh = new_instance();
    kh_mempool_create_kmalloc_pool(kh, 4, 16);
    kh_mempool_create_page_pool(kh, 3, 0);
    struct walk_count wc = { 0 };
    CHECK_EQ_U(kh_mempool_walk(kh, count_pool, count_element, &wc), 0);
    CHECK_EQ_U(wc.pools, 2);
    CHECK_EQ_U(wc.elements, 7);
    kh_reset(kh);
    CHECK_EQ_U(kh_mempool_count(kh), 0);
    CHECK_EQ_U(kh_nr_free_pages(kh), kh_total_pages(kh));
    CHECK_EQ_U(validate(kh), 0);
    mempool_t *pool = kh_mempool_create_kmalloc_pool(kh, 1, 16);
    CHECK(pool != NULL);
    kh_destroy(kh);   /* with a live pool: no leak, no report */
}

#ifdef KH_ASAN
static bool access_dies(volatile unsigned char *p)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        if (!freopen("/dev/null", "w", stderr))
            _exit(3);
        (void)*p;
        _exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
    return !(WIFEXITED(status) && (WEXITSTATUS(status) == 0 || WEXITSTATUS(status) == 3));
}

static void test_asan_reserve_elements_poisoned(void)
{
    struct kh *kh = new_instance();
    mempool_t *pool = kh_mempool_create_kmalloc_pool(kh, 1, 64);
    fail_slab_from(kh, 1);
    unsigned char *e = kh_mempool_alloc(kh, pool, GFP_KERNEL);
    kh_fault_clear(kh);
    CHECK(!access_dies(e + 63));   /* handed out: usable */
    kh_mempool_free(kh, e, pool);
    CHECK(access_dies(e));         /* in the reserve: use after free */
    CHECK(access_dies(e + 63));
    CHECK_EQ_U(violations(kh, "mempool-asan"), 0);
    kh_unpoison(e, 64);
    CHECK_EQ_U(violations(kh, "mempool-asan"), 1);
    kh_poison(e, 64);
    kh_mempool_destroy(kh, pool);
    kh_destroy(kh);
}
#endif

int main(void)
{
    test_create_preallocates();
    test_create_failure_tears_down();
    test_allocator_first_and_flags();
    test_reserve_is_lifo_and_refilled();
    test_zero_flag_warns();
    test_single_thread_deadlock_reported();
    test_two_threads_wait_and_free();
    test_resize();
    test_destroy_with_outstanding_elements();
    test_double_free_into_reserve();
    test_poison_pattern_and_detection();
    test_slab_and_page_pools();
    test_walk_and_reset();
#ifdef KH_ASAN
    test_asan_reserve_elements_poisoned();
#endif
    return check_summary();
}
