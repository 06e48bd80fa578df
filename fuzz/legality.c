/* legality.c - the legality table (see legality.h).
 *
 * One row per rule. A predicate states only its own case; the order of the
 * rows and their verdicts do the rest (legality.h says how). A gap the
 * misuse target finds (a misuse 6.1 lets pass, a legal call the model
 * took for a misuse) becomes a new row here: its predicate, its verdict,
 * the 6.1 function that justifies it and the reproducer that needed it.
 * docs/FUZZING.md's list is printed from this table; //fuzz:legality_test
 * runs every row's reproducer and checks that the row decides in it.
 */
#include "legality.h"

#include <string.h>

#include "introspect.h"
#include "kmalloc.h"
#include "memblock.h"
#include "mempool.h"
#include "page_alloc.h"
#include "percpu.h"
#include "slab.h"
#include "vmalloc.h"

#define CRASHES "fuzz/crashes/"
#define EXAMPLES "fuzz/tests/legality/"

/* ---- helpers over the allocator's state ---- */

static size_t page_size(const struct legality_ctx *c) { return (size_t)1 << c->lim->page_shift; }

static bool page_aligned(const struct legality_ctx *c, const void *p)
{
    return !((uintptr_t)p & (page_size(c) - 1));
}

static bool kmalloc_api(enum api api) { return api == API_KMALLOC || api == API_KVMALLOC; }

static bool slob(const struct legality_ctx *c) { return kh_get_config(c->kh)->slab == KH_SLAB_SLOB; }

/* Is a mempool element of this kind one that the free or size function of
 * `api` takes: kmalloc-pool elements for kfree/kvfree/ksize, slab-pool
 * elements for those (not on SLOB) and kmem_cache_free, page-pool
 * elements for free_pages? */
static bool element_of_kind(const struct legality_ctx *c, uint8_t pool_kind, enum api api)
{
    switch (pool_kind) {
    case KH_MEMPOOL_KMALLOC: return kmalloc_api(api);
    case KH_MEMPOOL_SLAB: return api == API_CACHE || (kmalloc_api(api) && !slob(c));
    case KH_MEMPOOL_PAGE: return api == API_PAGES;
    default: return false;
    }
}

/* The pointer operand names a live block of its binding, with no offset. */
static bool live_exact(const struct legality_ctx *c)
{
    return c->ptr.bound && c->ptr.offset == 0 && c->ptr.live;
}

static bool cache_object(const struct legality_ctx *c) { return live_exact(c) && c->ptr.api == API_CACHE; }

/* Is p in the first page of a live page-allocator block of this order that
 * is not a slab's? __free_pages of it passes every check 6.1 makes. */
static bool live_block_head(const struct legality_ctx *c, const void *p, unsigned want_order)
{
    if (!kh_addr_in_arena(c->kh, p))
        return false;
    unsigned long head;
    unsigned order;
    struct page *pg = kh_virt_to_page(c->kh, p);
    enum kh_page_state st = kh_page_state(c->kh, kh_page_to_pfn(c->kh, pg), &head, &order);
    struct kh_object_info info;
    return st == KH_PAGE_ALLOC_HEAD && order == want_order &&
           kh_slab_object_lookup(c->kh, kh_page_address(c->kh, pg), &info, NULL) != 0;
}

bool legality_in_use_again(struct kh *kh, struct shadow *shadow, const void *p)
{
    if (shadow_containing(shadow, (uintptr_t)p))
        return true;
    /* an area the model dropped after a misuse may still be live */
    struct kh_vm_area_info area;
    if (kh_is_vmalloc_addr(kh, p))
        return kh_vmalloc_find(kh, p, &area);
    struct kh_object_info info;
    if (kh_slab_object_lookup(kh, p, &info, NULL) == 0)
        return info.state == KH_OBJ_ALLOCATED;
    struct page *pg = kh_virt_to_page(kh, p);
    if (!pg)
        return false;
    enum kh_page_state st = kh_page_state(kh, kh_page_to_pfn(kh, pg), NULL, NULL);
    return st == KH_PAGE_ALLOC_HEAD || st == KH_PAGE_ALLOC_INTERIOR;
}

static int count_held(void *ctx, const struct kh_slab_info *slab)
{
    *(unsigned long *)ctx += slab->inuse - slab->quarantined;
    return 0;
}

static bool pool_kind(const struct legality_ctx *c, enum kh_mempool_kind *kind)
{
    struct kh_mempool_info info;
    if (!c->obj.p || kh_mempool_get_info(c->kh, c->obj.p, &info) != 0)
        return false;
    *kind = info.kind;
    return true;
}

static bool page_pool(const struct legality_ctx *c)
{
    enum kh_mempool_kind kind;
    return pool_kind(c, &kind) && kind == KH_MEMPOOL_PAGE;
}

struct reserve_probe { const mempool_t *pool; const void *element; bool found; };

static int find_in_reserve(void *ctx, const struct kh_mempool_info *pool, int index, void *element)
{
    struct reserve_probe *r = ctx;
    (void)index;
    if (pool->pool == r->pool && element == r->element)
        r->found = true;
    return r->found;
}

struct chunk_probe { const unsigned char *p; bool inside; };

static int probe_chunk(void *ctx, const struct kh_percpu_chunk_info *ch)
{
    struct chunk_probe *probe = ctx;
    const unsigned char *base = ch->base;
    if (probe->p >= base && (size_t)(probe->p - base) < ch->unit_size)
        probe->inside = true;
    return probe->inside;
}

static size_t pages_of(const struct legality_ctx *c, uint64_t bytes)
{
    return (size_t)((bytes + page_size(c) - 1) / page_size(c));
}

/* ---- predicates: the free check ---- */

static bool free_null(const struct legality_ctx *c) { return c->ptr.kind == KH_PTR_NULL; }

static bool kfree_zero_size_ptr(const struct legality_ctx *c)
{
    return c->ptr.kind == KH_PTR_ZERO_SIZE && kmalloc_api(c->api);
}

static bool free_zero_size_ptr(const struct legality_ctx *c) { return c->ptr.kind == KH_PTR_ZERO_SIZE; }

static bool free_not_live(const struct legality_ctx *c) { return !live_exact(c); }

static bool free_own_api(const struct legality_ctx *c) { return c->ptr.api == c->api; }

static bool element_behind_pool(const struct legality_ctx *c)
{
    return c->ptr.api == API_MEMPOOL && element_of_kind(c, c->ptr.pool_kind, c->api);
}

static bool kfree_cache_object(const struct legality_ctx *c)
{
    return c->ptr.api == API_CACHE && kmalloc_api(c->api) && !slob(c);
}

static bool kfree_cache_object_slob(const struct legality_ctx *c)
{
    return c->ptr.api == API_CACHE && kmalloc_api(c->api);
}

static bool kvmalloc_as_what_it_is(const struct legality_ctx *c)
{
    bool vm = kh_is_vmalloc_addr(c->kh, c->ptr.base);
    return c->ptr.api == API_KVMALLOC &&
           ((c->api == API_KMALLOC && !vm) || (c->api == API_VMALLOC && vm));
}

static bool kvfree_kmalloc_or_vmalloc(const struct legality_ctx *c)
{
    return c->api == API_KVMALLOC && (c->ptr.api == API_KMALLOC || c->ptr.api == API_VMALLOC);
}

static bool always(const struct legality_ctx *c) { (void)c; return true; }

/* ---- predicates: before an operation's free check ---- */

static bool free_pages_exact_no_page(const struct legality_ctx *c)
{
    uint64_t pg = page_size(c), size = c->op->args[1].u;
    uint64_t end = (uint64_t)(uintptr_t)c->p + ((size + pg - 1) & ~(pg - 1));
    return size == 0 || end <= (uint64_t)(uintptr_t)c->p;
}

/* The 6.1 form (p, oldsize, newsize); 6.12's kvrealloc shares the name,
 * and these rows, but not the old size: it always may copy (SPEC 10). */
static bool kvrealloc_61(const struct legality_ctx *c) { return c->op->code == KH_OP_KVREALLOC; }
static bool kvrealloc_no_grow(const struct legality_ctx *c)
{
    return kvrealloc_61(c) && c->op->args[1].u >= c->op->args[2].u;
}

static bool cache_gone(const struct legality_ctx *c) { return !(c->obj.type == KH_VAL_CACHE && c->obj.alive); }

static bool leaked_cache(const struct legality_ctx *c) { return c->obj.type == KH_VAL_CACHE && c->obj.leaked; }

static bool slab_pool_no_reserve(const struct legality_ctx *c) { return c->op->args[0].u == 0; }

static bool pool_gone(const struct legality_ctx *c) { return !(c->obj.bound && c->obj.alive); }

static bool cache_destroy_in_use(const struct legality_ctx *c)
{
    return !(c->obj.alive && c->obj.live == 0 && c->obj.users == 0);
}

static bool destroy_failed_create(const struct legality_ctx *c)
{
    return c->obj.bound && !c->obj.p && !c->obj.tainted;
}

/* 6.1 only drops a reference of a merged cache, and destroys one holding no
 * objects (the quarantine is flushed first): a pool still using such a
 * cache (one with an empty reserve) is not noticed. */
static bool cache_destroy_silent(const struct legality_ctx *c)
{
    if (!(c->obj.alive && c->obj.live == 0))
        return false;
    struct kh_cache_info info;
    if (kh_slab_cache_info(c->kh, c->obj.p, &info) != 0)
        return false;
    unsigned long held = 0;
    kh_for_each_slab(c->kh, c->obj.p, count_held, &held);
    return info.refcount > 1 || held == 0;
}

static bool bulk_wrong_array(const struct legality_ctx *c)
{
    return !(c->arr.bound && c->arr.elems && c->arr.owner == c->obj.var);
}

static bool bulk_empty(const struct legality_ctx *c)
{
    return c->arr.type == KH_VAL_ARRAY && c->arr.count == 0 && !c->arr.tainted;
}

static bool bulk_not_live(const struct legality_ctx *c) { return !c->arr.elems_live; }

static bool per_cpu_ptr_not_live(const struct legality_ctx *c)
{
    return !(c->ptr.bound && c->ptr.live && c->ptr.api == API_PERCPU && c->ptr.offset == 0);
}

static bool per_cpu_ptr_bad_cpu(const struct legality_ctx *c) { return c->op->args[1].u >= kh_nr_cpus(c->kh); }

/* per_cpu_ptr is arithmetic: any address inside a chunk passes. */
static bool per_cpu_ptr_in_chunk(const struct legality_ctx *c)
{
    if (per_cpu_ptr_bad_cpu(c) || !c->p)
        return false;
    struct chunk_probe probe = { c->p, false };
    kh_percpu_walk(c->kh, probe_chunk, NULL, &probe);
    return probe.inside;
}

/* In bounds of a live block's requested size, counting the operand's own
 * offset (p1+8); in this order, so that no sum can wrap. */
static bool access_out_of_bounds(const struct legality_ctx *c)
{
    if (!(c->ptr.bound && c->ptr.live && c->p))
        return true;
    uint64_t off = c->op->args[1].u, len = c->op->args[2].u, req = c->ptr.req;
    int64_t base = c->ptr.offset;
    return !(base >= 0 && (uint64_t)base <= req && off <= req - (uint64_t)base &&
             len <= req - (uint64_t)base - off);
}

/* kmemdup reads `length` bytes from its source: the caller's read. */
static bool dup_source_out_of_bounds(const struct legality_ctx *c)
{
    uint64_t len = c->op->args[1].u;
    if (len == 0)
        return false;   /* nothing is read */
    if (!(c->ptr.bound && c->ptr.live && c->p))
        return true;
    int64_t base = c->ptr.offset;
    return !(base >= 0 && (uint64_t)base <= c->ptr.req && len <= c->ptr.req - (uint64_t)base);
}

/* The model has one node, node 0; NUMA_NO_NODE means "no preference". */
static bool node_not_online(const struct legality_ctx *c)
{
    const struct kh_op_desc *d = kh_op_desc((enum kh_opcode)c->op->code);
    for (unsigned i = 0; i < kh_op_nargs(d); i++)
        if (d->args[i].kind == KH_ARG_NODE)
            return c->op->args[i].u != UINT64_MAX && c->op->args[i].u != 0;
    return false;
}

static bool set_cpu_out_of_range(const struct legality_ctx *c)
{
    return c->op->args[0].u >= kh_get_config(c->kh)->nr_cpus;
}

/* A NULL cache (no binding, or a failed create's NULL) with an array. */
static bool kfree_bulk(const struct legality_ctx *c)
{
    return (!c->obj.bound || (c->obj.type == KH_VAL_CACHE && !c->obj.p && !c->obj.tainted)) &&
           c->arr.bound && c->arr.type == KH_VAL_ARRAY;
}

static bool page_pool_inside_page(const struct legality_ctx *c)
{
    int64_t off = c->op->args[0].offset;
    return off > 0 && (uint64_t)off < page_size(c) && c->obj.bound && c->obj.alive && page_pool(c);
}

/* kfree_sensitive / kvfree_sensitive of a live object of a ctor cache
 * (through kfree, or a slab pool's element): it goes back zeroed. */
static bool sensitive_free_of_ctor_object(const struct legality_ctx *c)
{
    return c->ptr.live && c->ptr.ctor && c->ptr.offset == 0;
}

/* ---- predicates: the boot phase ---- */

static bool early_boot_late(const struct legality_ctx *c)
{
    return c->boot_phase != KH_BOOT_NONE || c->pages_used;
}

static bool memblock_outside_boot(const struct legality_ctx *c) { return c->boot_phase != KH_BOOT_EARLY; }
static bool memblock_free_late_early(const struct legality_ctx *c) { return c->boot_phase != KH_BOOT_DONE; }
static bool memblock_free_unreserved(const struct legality_ctx *c) { return !c->boot_range_ok; }
static bool memblock_free_null(const struct legality_ctx *c) { return !c->p; }

/* ---- predicates: after it ---- */

static bool cache_free_null(const struct legality_ctx *c) { return !c->p || c->p == ZERO_SIZE_PTR; }

static bool cache_free_wrong_cache(const struct legality_ctx *c) { return c->ptr.owner != c->obj.var; }

static bool pool_free_wrong_pool(const struct legality_ctx *c)
{
    return c->ptr.kind != KH_PTR_NULL && !(c->ptr.bound && c->ptr.owner == c->obj.var);
}

static bool pool_free_null(const struct legality_ctx *c) { return c->ptr.kind == KH_PTR_NULL; }

/* ZERO_SIZE_PTR, or any address up to it (ZERO_OR_NULL_PTR) */
static bool zero_size_ptr_to_pool(const struct legality_ctx *c) { return c->p && ZERO_OR_NULL_PTR(c->p); }

static bool zero_size_ptr_to_0_byte_pool(const struct legality_ctx *c)
{
    return zero_size_ptr_to_pool(c) && c->obj.bound && c->obj.alive && c->obj.req == 0;
}

/* Would the pool's own free function take the pointer's block as one of
 * its elements? */
static bool foreign_block_to_pool(const struct legality_ctx *c)
{
    enum kh_mempool_kind kind;
    if (!(c->obj.bound && c->obj.alive && live_exact(c) && c->ptr.api != API_MEMPOOL) || !pool_kind(c, &kind))
        return false;
    switch (kind) {
    case KH_MEMPOOL_KMALLOC:   /* kfree */
        return c->ptr.api == API_KMALLOC ||
               (c->ptr.api == API_KVMALLOC && !kh_is_vmalloc_addr(c->kh, c->ptr.base)) ||
               (c->ptr.api == API_CACHE && !slob(c));
    case KH_MEMPOOL_SLAB:      /* kmem_cache_free with the pool's cache */
        return c->ptr.api == API_CACHE && c->ptr.owner == c->obj.owner;
    case KH_MEMPOOL_PAGE:      /* __free_pages with the pool's order */
        /* alloc_pages_exact's pages are plain order-0 pages after the split:
         * __free_pages takes the first with any order without a word */
        return (c->ptr.api == API_PAGES && c->ptr.order == c->obj.order) || c->ptr.api == API_EXACT;
    default:
        return false;
    }
}

/* Another pool's element given to a kmalloc pool whose reserve is full
 * goes to kfree, which takes a kmalloc-pool element (and a slab-pool one,
 * but on SLOB) as any kmalloc or cache object. */
static bool element_to_kmalloc_pool(const struct legality_ctx *c)
{
    enum kh_mempool_kind kind;
    return c->obj.bound && c->obj.alive && live_exact(c) && c->ptr.api == API_MEMPOOL &&
           pool_kind(c, &kind) && kind == KH_MEMPOOL_KMALLOC &&
           element_of_kind(c, c->ptr.pool_kind, API_KMALLOC);
}

static bool page_pool_takes_block_head(const struct legality_ctx *c)
{
    return c->obj.bound && c->obj.alive && c->p && page_pool(c) && live_block_head(c, c->p, c->obj.order);
}

/* Would mempool_free put it in the reserve without a look: the reserve has
 * room and does not hold it already? */
static bool reserve_takes_anything(const struct legality_ctx *c)
{
    if (!(c->obj.bound && c->obj.alive && c->p))
        return false;
    struct kh_mempool_info info;
    if (kh_mempool_get_info(c->kh, c->obj.p, &info) != 0 || info.curr_nr >= info.min_nr)
        return false;
    const void *element = c->p;
    if (info.kind == KH_MEMPOOL_PAGE && kh_addr_in_arena(c->kh, c->p))
        element = kh_virt_to_page(c->kh, c->p);
    struct reserve_probe r = { c->obj.p, element, false };
    kh_mempool_walk(c->kh, NULL, find_in_reserve, &r);
    return !r.found;
}

static bool krealloc_array_overflow(const struct legality_ctx *c)
{
    uint64_t prod;
    return c->op->code == KH_OP_KREALLOC_ARRAY &&
           __builtin_mul_overflow(c->op->args[1].u, c->op->args[2].u, &prod);
}

static bool ksize_pool_element(const struct legality_ctx *c)
{
    return live_exact(c) && c->ptr.api == API_MEMPOOL && element_of_kind(c, c->ptr.pool_kind, API_KMALLOC);
}

static bool free_pages_wrong_order(const struct legality_ctx *c)
{
    return c->ptr.kind != KH_PTR_NULL && !(c->ptr.bound && c->ptr.order == c->op->args[1].u);
}

/* A large kmalloc is a compound page block: free_pages with its order
 * frees it as the kernel would. Its own size counts, not the request (an
 * in-place krealloc may have shrunk that). A kvmalloc that kmalloc served
 * is a kmalloc block. */
static bool free_pages_large_kmalloc(const struct legality_ctx *c)
{
    if (!live_exact(c) ||
        !(c->ptr.api == API_KMALLOC || (c->ptr.api == API_KVMALLOC && !kh_is_vmalloc_addr(c->kh, c->ptr.base))))
        return false;
    size_t block = kh_ksize(c->kh, c->ptr.base);
    return block > c->lim->max_cache_size &&
           c->op->args[1].u == (uint64_t)oracle_get_order(c->lim->page_shift, block);
}

static bool exact_block(const struct legality_ctx *c) { return live_exact(c) && c->ptr.api == API_EXACT; }

static bool free_page_of_exact(const struct legality_ctx *c)
{
    return exact_block(c) && c->op->args[1].u == 0 && c->ptr.req <= page_size(c);
}

static bool free_pages_block_head(const struct legality_ctx *c)
{
    uint64_t order = c->op->args[1].u;
    return c->p && order < 64 && page_aligned(c, c->p) && live_block_head(c, c->p, (unsigned)order);
}

static bool free_pages_exact_null_sweep(const struct legality_ctx *c)
{
    return c->ptr.kind == KH_PTR_NULL && c->op->args[1].u > page_size(c);
}

static bool free_pages_exact_page_count(const struct legality_ctx *c)
{
    return c->p && pages_of(c, c->ptr.req) != pages_of(c, c->op->args[1].u);
}

static bool page_block(const struct legality_ctx *c) { return live_exact(c) && c->ptr.api == API_PAGES; }

static bool free_pages_exact_order0_block(const struct legality_ctx *c)
{
    return page_block(c) && c->ptr.order == 0 && c->op->args[1].u <= page_size(c);
}

static bool free_pages_exact_sweep(const struct legality_ctx *c) { return c->op->args[1].u > page_size(c); }

static bool free_pages_exact_one_page(const struct legality_ctx *c)
{
    return c->p && page_aligned(c, c->p) && live_block_head(c, c->p, 0);
}

static bool kvfree_sensitive_past_block(const struct legality_ctx *c)
{
    return !(ZERO_OR_NULL_PTR(c->p) || (c->ptr.bound && c->op->args[1].u <= c->ptr.req));
}

static bool kvfree_sensitive_clears_foreign(const struct legality_ctx *c)
{
    return !ZERO_OR_NULL_PTR(c->p) && c->op->args[1].u > 0;
}

static bool kvrealloc_old_size(const struct legality_ctx *c)
{
    return kvrealloc_61(c) && !kvrealloc_no_grow(c) &&
           c->op->args[1].u > (c->ptr.bound && c->ptr.live ? c->ptr.req : 0);
}

static bool kvrealloc_cache_object(const struct legality_ctx *c) { return !kvrealloc_no_grow(c) && cache_object(c); }

static bool kvrealloc_grow_copies(const struct legality_ctx *c) { return kvrealloc_61(c) && !kvrealloc_no_grow(c); }

/* ---- the table ---- */

#define FREE_OPS "krealloc krealloc_array ksize kfree kfree_sensitive kmem_cache_free kmem_cache_free_bulk " \
                 "free_pages free_pages_exact mempool_free vfree kvfree kvfree_sensitive kvrealloc free_percpu"
#define POOL_FREE_KERNEL "mm/mempool.c mempool_free()"

const struct legality_rule legality_rules[LR_COUNT] = {
    /* ---- the free check: a pointer handed to a free function of one API ---- */
    [LR_FREE_NULL] = {
        "free-of-null", FREE_OPS, LS_FREE, LV_LEGAL, free_null,
        "Every free function ignores NULL, written literally or held by a name whose allocation "
        "returned it (an element past an array's end is NULL too).",
        "mm/slab_common.c kfree(), mm/vmalloc.c vfree(), mm/page_alloc.c free_pages(), mm/mempool.c mempool_free()",
        CRASHES "misuse/harness-null-and-zero-size-frees.kht", NULL },
    [LR_KFREE_ZERO_SIZE_PTR] = {
        "kfree-of-zero-size-ptr", FREE_OPS, LS_FREE, LV_LEGAL, kfree_zero_size_ptr,
        "kfree, kvfree and ksize take ZERO_SIZE_PTR, and any address up to it (p1-1 of a kmalloc(0) "
        "result), as ZERO_OR_NULL_PTR lets them through.",
        "mm/slab_common.c kfree(), __ksize(); include/linux/slab.h ZERO_OR_NULL_PTR",
        CRASHES "misuse/kfree-below-zero-size-ptr.kht", NULL },
    [LR_FREE_ZERO_SIZE_PTR] = {
        "zero-size-ptr-to-another-free", FREE_OPS, LS_FREE, LV_MISUSE, free_zero_size_ptr,
        "Any other free function given ZERO_SIZE_PTR (free_pages, vfree, kmem_cache_free, ...) is a misuse.",
        "mm/page_alloc.c free_pages(), mm/vmalloc.c vfree()",
        EXAMPLES "zero-size-ptr-to-another-free.kht", NULL },
    [LR_FREE_NOT_LIVE] = {
        "free-of-what-is-not-live", FREE_OPS, LS_FREE, LV_MISUSE, free_not_live,
        "Freeing what is not a live block of the model (a double free, an interior or wild pointer) "
        "is a misuse the allocator reports.",
        "mm/slub.c free_debug_processing(), mm/page_alloc.c free_pages_prepare(), mm/vmalloc.c vfree()",
        CRASHES "misuse/planted-double-free-undetected.kht", NULL },
    [LR_FREE_OWN_API] = {
        "free-by-its-own-api", FREE_OPS, LS_FREE, LV_LEGAL, free_own_api,
        "A live block freed by the free function of the API that allocated it.",
        "mm/slab_common.c kfree(), mm/slub.c kmem_cache_free(), mm/page_alloc.c free_pages(), mm/vmalloc.c vfree()",
        EXAMPLES "free-by-its-own-api.kht", NULL },
    [LR_ELEMENT_BEHIND_POOL] = {
        "mempool-element-freed-behind-the-pool", FREE_OPS, LS_FREE, LV_SILENT, element_behind_pool,
        "A mempool element freed behind its pool's back with the free function of what the pool's "
        "allocator made (kfree, kmem_cache_free, free_pages, free_pages_exact): an ordinary free, since "
        "a pool keeps no record of what it handed out.",
        "mm/mempool.c mempool_alloc()",
        CRASHES "misuse/mempool-elements-freed-behind-the-pool.kht", NULL },
    [LR_KFREE_CACHE_OBJECT] = {
        "kfree-of-a-cache-object", FREE_OPS, LS_FREE, LV_LEGAL, kfree_cache_object,
        "kfree, kvfree and ksize of a kmem_cache object: SLUB and SLAB find the cache from the slab.",
        "mm/slab_common.c kfree(), __ksize()",
        CRASHES "misuse/kvfree-of-cache-object.kht", NULL },
    [LR_KFREE_CACHE_OBJECT_SLOB] = {
        "kfree-of-a-cache-object-on-slob", FREE_OPS, LS_FREE, LV_SILENT, kfree_cache_object_slob,
        "On SLOB, kfree of a kmem_cache object misreads a size header the object does not have, silently.",
        "mm/slob.c kfree()",
        EXAMPLES "kfree-of-a-cache-object-on-slob.kht", NULL },
    [LR_KVMALLOC_AS_WHAT_IT_IS] = {
        "kvmalloc-memory-freed-as-what-it-is", FREE_OPS, LS_FREE, LV_LEGAL, kvmalloc_as_what_it_is,
        "kvmalloc hands out a kmalloc object or a vmalloc area: kfree, ksize and krealloc take the "
        "kmalloc-backed ones, vfree the vmalloc-backed ones.",
        "mm/util.c kvmalloc_node()",
        CRASHES "misuse/harness-kvmalloc-is-kmalloc-or-vmalloc.kht", NULL },
    [LR_KVFREE_KMALLOC_OR_VMALLOC] = {
        "kvfree-of-kmalloc-or-vmalloc-memory", FREE_OPS, LS_FREE, LV_LEGAL, kvfree_kmalloc_or_vmalloc,
        "kvfree (and kvrealloc) take kmalloc and vmalloc memory alike.",
        "mm/util.c kvfree()",
        EXAMPLES "kvfree-of-kmalloc-or-vmalloc-memory.kht", NULL },
    [LR_FREE_WRONG_API] = {
        "free-through-the-wrong-api", FREE_OPS, LS_FREE, LV_MISUSE, always,
        "A live block freed by another API's free function (vfree of a kmalloc object, free_pages of a "
        "cache object, ...) is a misuse the allocator reports.",
        "mm/vmalloc.c vfree(), mm/page_alloc.c free_pages(), mm/slab.h cache_from_obj()",
        EXAMPLES "free-through-the-wrong-api.kht", NULL },

    /* ---- before an operation's free check ---- */
    [LR_FREE_PAGES_EXACT_NO_PAGE] = {
        "free-pages-exact-of-no-page", "free_pages_exact", LS_PRE, LV_LEGAL, free_pages_exact_no_page,
        "free_pages_exact with size 0, or a size whose end wraps past the top of the address space, "
        "frees nothing whatever the pointer (6.1 loops while addr < end).",
        "mm/page_alloc.c free_pages_exact()",
        CRASHES "misuse/free-pages-exact-size-wraps.kht", NULL },
    [LR_KVREALLOC_NO_GROW] = {
        "kvrealloc-that-does-not-grow", "kvrealloc", LS_PRE, LV_LEGAL, kvrealloc_no_grow,
        "kvrealloc with oldsize >= newsize returns p untouched, whatever p and the sizes are.",
        "mm/util.c kvrealloc()",
        CRASHES "misuse/kvrealloc-null-no-copy.kht", NULL },
    [LR_CACHE_GONE] = {
        "cache-use-after-destroy",
        "kmem_cache_alloc kmem_cache_zalloc kmem_cache_alloc_node kmem_cache_alloc_bulk kmem_cache_free "
        "kmem_cache_free_bulk "
        "kmem_cache_shrink kmem_cache_size mempool_create_slab_pool",
        LS_PRE, LV_MISUSE, cache_gone,
        "Using a destroyed cache, or the NULL a failed kmem_cache_create returned, is a misuse the "
        "allocator reports.",
        "mm/slab_common.c kmem_cache_destroy(), mm/slub.c slab_alloc_node()",
        CRASHES "misuse/harness-destroyed-cache-use.kht", NULL },
    [LR_LEAKED_CACHE] = {
        "leaked-cache-stays-on-the-list",
        "kmem_cache_free kmem_cache_free_bulk kmem_cache_shrink kmem_cache_size", LS_PRE, LV_LEGAL,
        leaked_cache,
        "A cache destroyed with objects out stays on the cache list: freeing those objects, shrinking "
        "it and asking its size are still fine.",
        "mm/slab_common.c kmem_cache_destroy(), shutdown_cache()",
        CRASHES "misuse/shrink-and-size-of-a-leaked-cache.kht", NULL },
    [LR_SLAB_POOL_NO_RESERVE] = {
        "slab-pool-with-no-reserve", "mempool_create_slab_pool", LS_PRE, LV_SILENT, slab_pool_no_reserve,
        "mempool_create_slab_pool with no reserve (min_nr 0) never touches its cache, so a NULL, "
        "destroyed or leaked cache passes silently.",
        "mm/mempool.c mempool_init_node()",
        CRASHES "misuse/slab-pool-with-no-reserve-from-a-leaked-cache.kht", NULL },
    [LR_POOL_GONE] = {
        "pool-use-after-destroy", "mempool_alloc mempool_free mempool_resize mempool_destroy", LS_PRE,
        LV_MISUSE, pool_gone,
        "Using a destroyed mempool, or the NULL a failed create returned, is a misuse the allocator reports.",
        "mm/mempool.c mempool_destroy()",
        EXAMPLES "pool-use-after-destroy.kht", NULL },
    [LR_CACHE_DESTROY_IN_USE] = {
        "cache-destroy-while-in-use", "kmem_cache_destroy", LS_PRE, LV_MISUSE, cache_destroy_in_use,
        "kmem_cache_destroy of a cache with objects out, one a mempool uses, or one already destroyed "
        "is a misuse the allocator reports.",
        "mm/slab_common.c kmem_cache_destroy(), shutdown_cache()",
        EXAMPLES "cache-destroy-while-in-use.kht", NULL },
    [LR_DESTROY_FAILED_CREATE] = {
        "destroy-of-a-failed-create", "kmem_cache_destroy mempool_destroy", LS_PRE, LV_LEGAL,
        destroy_failed_create,
        "Destroying the NULL a failed create returned (or a name whose create did not run) is legal: "
        "both destroy functions ignore NULL.",
        "mm/slab_common.c kmem_cache_destroy(), mm/mempool.c mempool_destroy()",
        "fuzz/corpus/misuse/null_variables.kht", NULL },
    [LR_CACHE_DESTROY_SILENT] = {
        "cache-destroy-of-a-pool-cache-holding-nothing", "kmem_cache_destroy", LS_PRE, LV_SILENT,
        cache_destroy_silent,
        "kmem_cache_destroy of a cache a mempool still uses passes silently when the cache holds no "
        "object (an empty reserve) or is a merged alias (6.1 only drops a reference).",
        "mm/slab_common.c kmem_cache_destroy()",
        CRASHES "misuse/destroy-of-a-cache-whose-pool-holds-nothing.kht", NULL },
    [LR_BULK_WRONG_ARRAY] = {
        "free-bulk-of-another-cache's-array", "kmem_cache_free_bulk", LS_PRE, LV_MISUSE, bulk_wrong_array,
        "kmem_cache_free_bulk of an array another cache (or nothing) allocated is a misuse the allocator "
        "reports.",
        "mm/slab.h cache_from_obj(), mm/slub.c kmem_cache_free_bulk()",
        CRASHES "misuse/cache-free-bulk-wrong-cache.kht", NULL },
    [LR_BULK_EMPTY] = {
        "free-bulk-of-an-empty-array", "kmem_cache_free_bulk", LS_PRE, LV_LEGAL, bulk_empty,
        "kmem_cache_free_bulk of no objects never looks at the cache.",
        "mm/slub.c kmem_cache_free_bulk()",
        CRASHES "misuse/free-bulk-empty-null-cache.kht", EXAMPLES "free-bulk-of-an-empty-array.kht" },
    [LR_BULK_NOT_LIVE] = {
        "free-bulk-of-an-object-not-live", "kmem_cache_free_bulk", LS_PRE, LV_MISUSE, bulk_not_live,
        "kmem_cache_free_bulk of an array with an object already freed is a misuse the allocator reports.",
        "mm/slub.c kmem_cache_free_bulk(), free_debug_processing()",
        EXAMPLES "free-bulk-of-an-object-not-live.kht", NULL },
    [LR_PER_CPU_PTR_NOT_LIVE] = {
        "per-cpu-ptr-of-what-is-not-live", "per_cpu_ptr", LS_PRE, LV_MISUSE, per_cpu_ptr_not_live,
        "per_cpu_ptr of anything but a live per-CPU allocation is a misuse.",
        "include/linux/percpu-defs.h per_cpu_ptr()",
        EXAMPLES "per-cpu-ptr-of-what-is-not-live.kht", NULL },
    [LR_PER_CPU_PTR_BAD_CPU] = {
        "per-cpu-ptr-of-an-impossible-cpu", "per_cpu_ptr", LS_PRE, LV_MISUSE, per_cpu_ptr_bad_cpu,
        "per_cpu_ptr with a CPU that is not possible is a misuse the allocator reports.",
        "include/linux/percpu-defs.h per_cpu_ptr(), include/linux/cpumask.h nr_cpu_ids",
        CRASHES "misuse/per-cpu-ptr-of-an-impossible-cpu.kht", NULL },
    [LR_PER_CPU_PTR_IN_CHUNK] = {
        "per-cpu-ptr-inside-a-chunk", "per_cpu_ptr", LS_PRE, LV_SILENT, per_cpu_ptr_in_chunk,
        "per_cpu_ptr of any address inside a per-CPU chunk with a possible CPU passes: it is arithmetic, "
        "and the allocator warns only outside every chunk.",
        "include/linux/percpu-defs.h per_cpu_ptr(), SHIFT_PERCPU_PTR()",
        CRASHES "misuse/per-cpu-ptr-into-the-allocation-before.kht", NULL },
    [LR_ACCESS_OUT_OF_BOUNDS] = {
        "access-outside-a-live-block", "read write", LS_PRE, LV_ASAN, access_out_of_bounds,
        "read/write outside the requested bytes of a live block (the operand's own offset counted): "
        "only ASan could see it, and it would end the run.",
        "(the caller's access: KASAN reports it, not the allocator)",
        CRASHES "vmalloc/write-offset-wraps.kht", NULL },
    [LR_DUP_SOURCE_OUT_OF_BOUNDS] = {
        "kmemdup-source-outside-a-live-block", "kmemdup", LS_PRE, LV_ASAN, dup_source_out_of_bounds,
        "kmemdup reads `length` bytes of its source: a source that is not a live block, or a length "
        "past its requested bytes, is the caller's bad read, which only ASan could see.",
        "mm/util.c kmemdup() (memcpy from the caller's buffer; KASAN reports it)",
        EXAMPLES "kmemdup-source-outside-a-live-block.txt", NULL },
    [LR_NODE_NOT_ONLINE] = {
        "node-without-memory", "kmalloc_node kzalloc_node kmem_cache_alloc_node", LS_PRE, LV_UNMODELLED,
        node_not_online,
        "A node argument other than NUMA_NO_NODE and node 0 names a node the model does not have; 6.1 "
        "falls back for slab objects but hands a large kmalloc to alloc_pages_node, which does not "
        "expect it. Not modelled.",
        "mm/slub.c ___slab_alloc() (node_isset(node, slab_nodes)), include/linux/gfp.h "
        "__alloc_pages_node() (VM_BUG_ON on a bad nid)",
        EXAMPLES "node-without-memory.txt", NULL },
    [LR_SET_CPU_OUT_OF_RANGE] = {
        "set-cpu-out-of-range", "set_cpu", LS_PRE, LV_MISUSE, set_cpu_out_of_range,
        "Running on a CPU at or above nr_cpu_ids is a misuse the allocator reports (it clamps).",
        "include/linux/cpumask.h nr_cpu_ids",
        CRASHES "misuse/set-cpu-out-of-range.kht", NULL },
    [LR_KFREE_BULK] = {
        "free-bulk-with-a-null-cache-is-kfree-bulk", "kmem_cache_free_bulk", LS_MODE, LV_LEGAL, kfree_bulk,
        "kmem_cache_free_bulk with a NULL cache is kfree_bulk: each object goes back to its own cache, "
        "judged as kfree of each element.",
        "include/linux/slab.h kfree_bulk(), mm/slub.c build_detached_freelist()",
        CRASHES "misuse/free-bulk-with-a-null-cache-is-kfree-bulk.kht", NULL },
    [LR_PAGE_POOL_INSIDE_PAGE] = {
        "page-pool-element-by-an-inner-address", "mempool_free", LS_MODE, LV_LEGAL, page_pool_inside_page,
        "A page pool's element is its struct page: any address inside the element's first page (p1+43) "
        "converts to the same page, so it names the element.",
        "mm/mempool.c mempool_free_pages(), include/linux/mm.h virt_to_page()",
        CRASHES "misuse/page-pool-element-by-an-address-inside-its-page.kht", NULL },

    /* ---- after an operation's free check ---- */
    [LR_CACHE_FREE_NULL] = {
        "kmem-cache-free-of-null", "kmem_cache_free", LS_POST, LV_MISUSE, cache_free_null,
        "kmem_cache_free of NULL or ZERO_SIZE_PTR is reported: 6.1 has no NULL check there.",
        "mm/slub.c kmem_cache_free(), mm/slab.h cache_from_obj()",
        CRASHES "misuse/kmem-cache-free-null.kht", NULL },
    [LR_CACHE_FREE_WRONG_CACHE] = {
        "kmem-cache-free-to-another-cache", "kmem_cache_free", LS_POST, LV_MISUSE, cache_free_wrong_cache,
        "kmem_cache_free of an object of another cache is a misuse the allocator reports.",
        "mm/slab.h cache_from_obj()",
        EXAMPLES "kmem-cache-free-to-another-cache.kht", NULL },
    [LR_POOL_FREE_WRONG_POOL] = {
        "mempool-free-to-another-pool", "mempool_free", LS_POST, LV_MISUSE, pool_free_wrong_pool,
        "mempool_free of what is not an element of that pool is a misuse the allocator reports (unless "
        "a row below says 6.1 takes it silently).",
        POOL_FREE_KERNEL,
        CRASHES "misuse/mempool-free-page-pool-bogus.kht", EXAMPLES "mempool-free-to-another-pool.kht" },
    [LR_POOL_FREE_NULL] = {
        "mempool-free-of-null", "mempool_free", LS_POST, LV_LEGAL, pool_free_null,
        "mempool_free of NULL returns before it looks at the pool.",
        POOL_FREE_KERNEL,
        EXAMPLES "mempool-free-of-null.kht", NULL },
    [LR_ZERO_SIZE_PTR_TO_0_BYTE_POOL] = {
        "zero-size-ptr-back-to-a-0-byte-pool", "mempool_free", LS_POST, LV_LEGAL, zero_size_ptr_to_0_byte_pool,
        "ZERO_SIZE_PTR (any address up to it) is what a 0-byte kmalloc pool hands out, so any copy of "
        "it may go back to one.",
        "mm/mempool.c mempool_kmalloc(), mempool_free()",
        CRASHES "misuse/harness-mempool-free-zero-size-ptr-to-pool.kht", NULL },
    [LR_ZERO_SIZE_PTR_TO_POOL] = {
        "zero-size-ptr-to-another-pool", "mempool_free", LS_POST, LV_SILENT, zero_size_ptr_to_pool,
        "ZERO_SIZE_PTR given to any other pool joins the reserve while there is room, which nothing "
        "can notice.",
        POOL_FREE_KERNEL,
        CRASHES "misuse/harness-mempool-free-zero-size-ptr-to-pool.kht",
        EXAMPLES "zero-size-ptr-to-another-pool.kht" },
    [LR_FOREIGN_BLOCK_TO_POOL] = {
        "mempool-free-of-a-block-its-free-takes", "mempool_free", LS_POST, LV_SILENT, foreign_block_to_pool,
        "mempool_free of a live block the pool's own free function would take (a kmalloc object to a "
        "kmalloc pool, an object of the pool's cache, pages of its order, alloc_pages_exact pages to a "
        "page pool) is freed or kept in the reserve like an element.",
        "mm/mempool.c mempool_free(), mempool_kfree(), mempool_free_slab(), mempool_free_pages()",
        CRASHES "misuse/mempool-free-of-a-kmalloc-object-to-a-kmalloc-pool.kht", NULL },
    [LR_ELEMENT_TO_KMALLOC_POOL] = {
        "mempool-element-to-another-kmalloc-pool", "mempool_free", LS_POST, LV_SILENT,
        element_to_kmalloc_pool,
        "An element of another kmalloc pool (or of a slab pool, but on SLOB) given to a kmalloc pool "
        "is kept in its reserve or freed with kfree like its own element, unnoticed.",
        "mm/mempool.c mempool_free(), mempool_kfree()",
        EXAMPLES "mempool-element-to-another-kmalloc-pool.kht", NULL },
    [LR_PAGE_POOL_TAKES_BLOCK_HEAD] = {
        "page-pool-frees-any-head-of-its-order", "mempool_free", LS_POST, LV_SILENT,
        page_pool_takes_block_head,
        "A page pool frees with __free_pages(virt_to_page(p), order): any address in the first page of "
        "a live non-slab block of the pool's order goes without a word, whoever owns it (a vmalloc "
        "backing page).",
        "mm/mempool.c mempool_free_pages(), mm/page_alloc.c __free_pages()",
        CRASHES "misuse/mempool-free-page-pool-other-owners-page.kht", NULL },
    [LR_RESERVE_TAKES_ANYTHING] = {
        "reserve-with-room-keeps-anything", "mempool_free", LS_POST, LV_SILENT, reserve_takes_anything,
        "Whatever it is given, a pool whose reserve has room keeps it there unchecked (only an element "
        "already in the reserve is noticed).",
        "mm/mempool.c mempool_free(), add_element()",
        CRASHES "misuse/foreign-block-into-a-reserve-with-room.kht", NULL },
    [LR_KREALLOC_ARRAY_OVERFLOW] = {
        "krealloc-array-overflow-ignores-the-pointer", "krealloc_array", LS_POST, LV_LEGAL,
        krealloc_array_overflow,
        "krealloc_array checks n * size first: on overflow it returns NULL without looking at p.",
        "include/linux/slab.h krealloc_array()",
        CRASHES "misuse/krealloc-array-overflow-interior.kht", NULL },
    [LR_KREALLOC_CACHE_OBJECT] = {
        "krealloc-of-a-cache-object", "krealloc krealloc_array", LS_POST, LV_UNMODELLED, cache_object,
        "krealloc of a kmem_cache object is legal in 6.1, but its cache's bookkeeping is not modelled.",
        "mm/slab_common.c krealloc(), __do_krealloc()",
        EXAMPLES "krealloc-of-a-cache-object.kht", NULL },
    [LR_KSIZE_POOL_ELEMENT] = {
        "ksize-of-a-mempool-element", "ksize", LS_POST, LV_LEGAL, ksize_pool_element,
        "ksize only reads: an element of a kmalloc or slab mempool is a kmalloc or cache object to it.",
        "mm/slab_common.c ksize(), __ksize()",
        CRASHES "misuse/ksize-of-kmalloc-pool-element.kht", NULL },
    [LR_FREE_PAGES_WRONG_ORDER] = {
        "free-pages-with-another-order", "free_pages", LS_POST, LV_MISUSE, free_pages_wrong_order,
        "free_pages of a page block with another order than its own is a misuse the allocator reports.",
        "mm/page_alloc.c __free_pages(), free_pages_prepare()",
        EXAMPLES "free-pages-with-another-order.kht", NULL },
    [LR_FREE_PAGES_LARGE_KMALLOC] = {
        "free-pages-of-a-large-kmalloc", "free_pages", LS_POST, LV_LEGAL, free_pages_large_kmalloc,
        "A large kmalloc (or a kvmalloc kmalloc served) is a compound page block: free_pages with its "
        "order frees it as the kernel would, even when an in-place krealloc shrank the request.",
        "mm/slab_common.c kmalloc_large(), mm/page_alloc.c __free_pages()",
        CRASHES "misuse/free-pages-large-kmalloc.kht", NULL },
    [LR_FREE_PAGE_OF_EXACT] = {
        "free-page-of-a-one-page-exact-block", "free_pages", LS_POST, LV_LEGAL, free_page_of_exact,
        "alloc_pages_exact's pages are split to order 0, each with its own reference: free_pages(p, 0) "
        "of a one-page block is free_page.",
        "mm/page_alloc.c make_alloc_exact(), split_page()",
        CRASHES "misuse/free-pages-of-exact-pages.kht", NULL },
    [LR_FREE_PAGES_OF_EXACT] = {
        "free-pages-of-an-exact-block", "free_pages", LS_POST, LV_SILENT, exact_block,
        "free_pages of an alloc_pages_exact block otherwise frees its first page only, which nothing "
        "notices.",
        "mm/page_alloc.c make_alloc_exact(), __free_pages()",
        CRASHES "misuse/free-pages-of-exact-pages.kht", NULL },
    [LR_FREE_PAGES_BLOCK_HEAD] = {
        "free-pages-head-of-a-foreign-block", "free_pages", LS_POST, LV_SILENT, free_pages_block_head,
        "free_pages of a page-aligned address that heads a live non-slab block of that order frees it "
        "silently, whoever owns it (another binding's pages, a vmalloc backing page): 6.1 checks only "
        "flags, refcount and order.",
        "mm/page_alloc.c free_pages(), __free_pages(), free_pages_prepare()",
        CRASHES "misuse/free-pages-exact-of-the-first-page-of-two.kht",
        EXAMPLES "free-pages-head-of-a-foreign-block.kht" },
    [LR_FREE_PAGES_EXACT_NULL_SWEEP] = {
        "free-pages-exact-of-null-past-one-page", "free_pages_exact", LS_POST, LV_MISUSE,
        free_pages_exact_null_sweep,
        "free_pages_exact(NULL, size) frees page by page through free_pages, which ignores address 0 "
        "only: past the first page it frees what is there.",
        "mm/page_alloc.c free_pages_exact()",
        CRASHES "misuse/harness-free-pages-exact-null.kht", EXAMPLES "free-pages-exact-of-null-past-one-page.kht" },
    [LR_FREE_PAGES_EXACT_PAGE_COUNT] = {
        "free-pages-exact-with-another-page-count", "free_pages_exact", LS_POST, LV_MISUSE,
        free_pages_exact_page_count,
        "free_pages_exact frees PAGE_ALIGN(size) bytes: any size of the block's page count is its own, "
        "another page count is a misuse.",
        "mm/page_alloc.c free_pages_exact()",
        CRASHES "misuse/free-pages-exact-same-page-count.kht",
        EXAMPLES "free-pages-exact-with-another-page-count.kht" },
    [LR_FREE_PAGES_EXACT_ORDER0_BLOCK] = {
        "free-pages-exact-of-an-order-0-block", "free_pages_exact", LS_POST, LV_LEGAL,
        free_pages_exact_order0_block,
        "free_pages_exact of an order-0 page-allocator block within one page is free_page.",
        "mm/page_alloc.c free_pages_exact(), free_pages()",
        CRASHES "misuse/free-pages-exact-of-page-allocator-blocks.kht", NULL },
    [LR_FREE_PAGES_EXACT_BIG_BLOCK] = {
        "free-pages-exact-of-a-bigger-block", "free_pages_exact", LS_POST, LV_SILENT, page_block,
        "free_pages_exact of a bigger page-allocator block frees pages that hold no reference of their "
        "own: the counts go wrong silently (no report without DEBUG_VM).",
        "mm/page_alloc.c free_pages_exact(), put_page_testzero()",
        CRASHES "misuse/free-pages-exact-of-page-allocator-blocks.kht", NULL },
    [LR_FREE_PAGES_EXACT_SWEEP] = {
        "free-pages-exact-sweeps-past-one-page", "free_pages_exact", LS_POST, LV_SILENT,
        free_pages_exact_sweep,
        "An illegal free_pages_exact over more than one page sweeps over what follows and frees another "
        "owner's live order-0 pages without a word (only slab, tail and free pages make 6.1 report).",
        "mm/page_alloc.c free_pages_exact()",
        CRASHES "misuse/free-pages-exact-sweeps-next-page.kht", NULL },
    [LR_FREE_PAGES_EXACT_ONE_PAGE] = {
        "free-pages-exact-of-a-foreign-page", "free_pages_exact", LS_POST, LV_SILENT,
        free_pages_exact_one_page,
        "free_pages_exact of one page-aligned page heading a live order-0 block (a page of an "
        "alloc_pages_exact block, a page pool's element, a vmalloc backing page) is a silent free_page "
        "of it, whoever owns it.",
        "mm/page_alloc.c free_pages_exact(), free_pages()",
        CRASHES "misuse/free-pages-exact-of-the-first-page-of-two.kht", NULL },
    [LR_SENSITIVE_FREE_OF_CTOR_OBJECT] = {
        "sensitive-free-of-a-constructed-object", "kfree_sensitive kvfree_sensitive", LS_POST, LV_MISUSE,
        sensitive_free_of_ctor_object,
        "kfree_sensitive of an object of a cache with a constructor zeroes it before the free, so the "
        "cache hands it out again unconstructed: a caller must free such objects constructed.",
        "mm/slab_common.c kfree_sensitive(); mm/slub.c slab_post_alloc_hook() (no ctor on reuse)",
        CRASHES "whole_system/kfree-sensitive-of-a-ctor-object.kht", NULL },
    [LR_SENSITIVE_FREE_OF_CTOR_OBJECT_SILENT] = {
        "sensitive-free-of-a-constructed-object-is-silent", "kfree_sensitive kvfree_sensitive", LS_POST,
        LV_SILENT, sensitive_free_of_ctor_object,
        "... and nothing in 6.1 reports it: kfree_sensitive does not look at the cache's constructor.",
        "mm/slab_common.c kfree_sensitive()",
        CRASHES "whole_system/kfree-sensitive-of-a-ctor-object.kht", NULL },
    [LR_KVFREE_SENSITIVE_PAST_BLOCK] = {
        "kvfree-sensitive-past-the-block", "kvfree_sensitive", LS_POST, LV_MISUSE,
        kvfree_sensitive_past_block,
        "kvfree_sensitive clears len bytes first: more than the block's requested size is a misuse "
        "(fewer is fine).",
        "mm/util.c kvfree_sensitive()",
        CRASHES "misuse/kvfree-sensitive-past-end.kht", NULL },
    [LR_KVFREE_SENSITIVE_CLEARS_FOREIGN] = {
        "kvfree-sensitive-clears-foreign-memory", "kvfree_sensitive", LS_POST, LV_FAULTS,
        kvfree_sensitive_clears_foreign,
        "An illegal kvfree_sensitive clears memory that is not the block's before the allocator could "
        "report anything: ASan's to catch.",
        "mm/util.c kvfree_sensitive(), memzero_explicit()",
        CRASHES "misuse/kvfree-sensitive-before-object.kht", NULL },
    [LR_KVREALLOC_OLD_SIZE] = {
        "kvrealloc-old-size-past-the-block", "kvrealloc", LS_POST, LV_MISUSE, kvrealloc_old_size,
        "A growing kvrealloc copies oldsize bytes: more than the block's requested size is a misuse "
        "(fewer is fine).",
        "mm/util.c kvrealloc()",
        CRASHES "misuse/kvrealloc-short-oldsize.kht", EXAMPLES "kvrealloc-old-size-past-the-block.kht" },
    [LR_KVREALLOC_CACHE_OBJECT] = {
        "kvrealloc-of-a-cache-object", "kvrealloc", LS_POST, LV_UNMODELLED, kvrealloc_cache_object,
        "A growing kvrealloc of a kmem_cache object is legal in 6.1, but its cache's bookkeeping is not "
        "modelled.",
        "mm/util.c kvrealloc(), kvfree()",
        EXAMPLES "kvrealloc-of-a-cache-object.kht", NULL },
    [LR_KVREALLOC_GROW_COPIES] = {
        "kvrealloc-grow-copies-first", "kvrealloc", LS_POST, LV_FAULTS, kvrealloc_grow_copies,
        "An illegal growing kvrealloc copies oldsize bytes from p before anything could report: a bad p "
        "or oldsize faults (ASan's to catch).",
        "mm/util.c kvrealloc()",
        CRASHES "misuse/kvrealloc-grow-copies-past-object.kht", NULL },

    [LR_EARLY_BOOT_LATE] = {
        "early-boot-after-the-page-allocator", "early_boot", LS_PRE, LV_UNMODELLED, early_boot_late,
        "early_boot starts the boot phase of a fresh instance: once boot has begun, or the page allocator "
        "has run, the model cannot go back before mem_init and refuses without a word.",
        "(the harness's kh_boot_begin; a kernel boots once: mm/mm_init.c mm_core_init())",
        EXAMPLES "early-boot-after-the-page-allocator.txt", NULL },
    [LR_MEMBLOCK_OUTSIDE_BOOT] = {
        "memblock-outside-early-boot", "memblock_reserve memblock_phys_alloc memblock_free memblock_free_all",
        LS_PRE, LV_MISUSE, memblock_outside_boot,
        "memblock reservations, allocations, frees and the hand-over belong to early boot: before "
        "early_boot, or after memblock_free_all, they are a misuse the allocator reports.",
        "mm/memblock.c memblock_alloc_internal() (warns once slab is available), memblock_free_all()",
        EXAMPLES "memblock-outside-early-boot.txt", NULL },
    [LR_MEMBLOCK_FREE_NULL] = {
        "memblock-free-of-null", "memblock_free", LS_PRE, LV_LEGAL, memblock_free_null,
        "memblock_free of NULL does nothing, in any phase: it tests the pointer before anything else.",
        "mm/memblock.c memblock_free()",
        CRASHES "misuse/memblock-free-of-null-after-boot.kht", NULL },
    [LR_MEMBLOCK_FREE_LATE_EARLY] = {
        "memblock-free-late-before-the-hand-over", "memblock_free_late", LS_PRE, LV_MISUSE,
        memblock_free_late_early,
        "memblock_free_late gives boot memory straight to the buddy allocator, so it belongs after "
        "memblock_free_all.",
        "mm/memblock.c memblock_free_late()",
        EXAMPLES "memblock-free-late-before-the-hand-over.txt", NULL },
    [LR_MEMBLOCK_FREE_UNRESERVED] = {
        "memblock-free-of-an-unreserved-range", "memblock_free memblock_free_late", LS_PRE, LV_MISUSE,
        memblock_free_unreserved,
        "A memblock free must name a range inside one live reservation (memblock_free also takes NULL "
        "and 0 bytes of memory): anything else is a misuse.",
        "mm/memblock.c memblock_phys_free(), memblock_free_late()",
        EXAMPLES "memblock-free-of-an-unreserved-range.txt", NULL },

    /* ---- marks of the operand bookkeeping (exec.c resolve_ptr and friends) ---- */
    [LR_TAINTED_OPERAND] = {
        "operand-touched-by-a-misuse", "*", LS_OPERAND, LV_UNKNOWN, NULL,
        "An operand a misuse already touched (a name, one element of a bulk array, a pool created from "
        "a bad cache, a cache whose objects a misuse freed), or the result of an operation skipped for "
        "the input's memory budget, is in an unknown state: later operations on it are skipped.",
        "(the model's state, not a kernel rule)",
        CRASHES "misuse/operations-on-a-pool-made-by-a-misuse.kht", CRASHES "misuse/free-bulk-empty-null-cache.kht" },
    [LR_STALE_REUSED] = {
        "stale-pointer-into-memory-in-use-again", FREE_OPS " per_cpu_ptr", LS_OPERAND, LV_SILENT, NULL,
        "A stale pointer whose memory is handed out again (to a tracked block, or to a slab object or "
        "vmalloc area the model dropped) names that memory: freeing it releases someone else's, which "
        "no allocator can tell from a legal free.",
        "mm/slub.c slab_free() (KASAN's quarantine only delays reuse)",
        CRASHES "misuse/vfree-through-a-stale-name-of-a-reused-area.kht", NULL },
    [LR_OFFSET_ONTO_LIVE_BLOCK] = {
        "offset-onto-another-live-block", FREE_OPS " per_cpu_ptr", LS_OPERAND, LV_SILENT, NULL,
        "An offset that lands exactly on another live block's start (p1+4096 on the next slab's first "
        "object, a mempool reserve element) names that block as far as any check can tell.",
        "mm/slab.h virt_to_cache(), mm/slub.c slab_free()",
        CRASHES "misuse/ksize-offset-onto-next-object.kht", NULL },
    [LR_BULK_STALE_REUSED] = {
        "bulk-free-of-stale-elements-in-use-again", "kmem_cache_free_bulk", LS_OPERAND, LV_SILENT, NULL,
        "A bulk free whose stale elements are handed out again (to a later bulk allocation) frees them "
        "from under their new owner, unnoticed.",
        "mm/slub.c kmem_cache_free_bulk()",
        CRASHES "misuse/bulk-double-free-of-reallocated-objects.kht", NULL },
};

const char *legality_verdict_name(enum legality_verdict v)
{
    switch (v) {
    case LV_LEGAL: return "legal";
    case LV_MISUSE: return "misuse, reported";
    case LV_SILENT: return "misuse, silent in 6.1: not run under expect";
    case LV_FAULTS: return "misuse that faults first (ASan's): not run under expect";
    case LV_UNMODELLED: return "legal, not modelled: not run under expect";
    case LV_ASAN: return "misuse only ASan sees: not run under expect";
    case LV_UNKNOWN: return "unknown state: skipped unless misuse=run";
    }
    return "?";
}

const char *legality_rule_name(unsigned id)
{
    return id < LR_COUNT ? legality_rules[id].name : NULL;
}

/* rows_of[code]: the ids of the rows covering that operation, in order,
 * LR_NONE-terminated; built once from the ops strings. */
static uint8_t rows_of[KH_OP_COUNT][LR_COUNT + 1];
static bool rows_built;

static bool names_op(const char *ops, const char *name)
{
    size_t n = strlen(name);
    for (const char *s = ops; *s;) {
        while (*s == ' ')
            s++;
        size_t len = strcspn(s, " ");
        if ((len == n && !strncmp(s, name, n)) || (len == 1 && *s == '*'))
            return true;
        s += len;
    }
    return false;
}

static void build_rows(void)
{
    for (unsigned code = 0; code < KH_OP_COUNT; code++) {
        unsigned k = 0;
        const char *name = kh_op_desc((enum kh_opcode)code)->name;
        for (unsigned id = 0; id < LR_COUNT; id++)
            if (names_op(legality_rules[id].ops, name))
                rows_of[code][k++] = (uint8_t)id;
        rows_of[code][k] = LR_NONE;
    }
    rows_built = true;
}

static unsigned free_check(const struct legality_ctx *c, enum api api)
{
    struct legality_ctx k = *c;
    k.api = api;
    for (unsigned id = 0; id < LR_COUNT; id++)
        if (legality_rules[id].stage == LS_FREE && legality_rules[id].applies(&k))
            return id;
    return LR_FREE_WRONG_API;   /* not reached: its predicate always holds */
}

bool legality_free(struct legality_ctx *c, enum api api)
{
    unsigned id = free_check(c, api);
    enum legality_verdict v = legality_rules[id].verdict;
    c->legal = v == LV_LEGAL;
    c->legal_rule = (uint8_t)id;
    if (v == LV_SILENT && !c->silent) {
        c->silent = true;
        c->silent_rule = (uint8_t)id;
    }
    return c->legal;
}

bool legality_holds(unsigned id, const struct legality_ctx *c)
{
    return id < LR_COUNT && legality_rules[id].applies && legality_rules[id].applies(c);
}

/* Sets c's verdict from row id, one that applies. */
static void apply(struct legality_ctx *c, unsigned id)
{
    switch (legality_rules[id].verdict) {
    case LV_LEGAL:
        c->legal = true;
        c->legal_rule = (uint8_t)id;
        break;
    case LV_MISUSE:
        c->legal = false;
        c->legal_rule = (uint8_t)id;
        break;
    case LV_UNMODELLED:
    case LV_ASAN:
        c->legal = false;
        c->legal_rule = (uint8_t)id;
        /* fall through */
    case LV_SILENT:
    case LV_FAULTS:
        if (!c->silent) {
            c->silent = true;
            c->silent_rule = (uint8_t)id;
        }
        break;
    case LV_UNKNOWN:
        break;
    }
}

/* Can row id change c's verdict (see legality.h)? */
static bool in_scope(const struct legality_ctx *c, unsigned id)
{
    switch (legality_rules[id].verdict) {
    case LV_LEGAL: return !c->legal;
    case LV_MISUSE: case LV_UNMODELLED: case LV_ASAN: return c->legal;
    case LV_SILENT: case LV_FAULTS: return !c->legal && !c->silent;
    default: return false;
    }
}

void legality_judge(struct legality_ctx *c, enum legality_stage stage)
{
    if (!rows_built)
        build_rows();
    for (const uint8_t *id = rows_of[c->op->code]; *id != LR_NONE; id++) {
        const struct legality_rule *r = &legality_rules[*id];
        if (r->stage == stage && r->applies && in_scope(c, *id) && r->applies(c))
            apply(c, *id);
    }
}
