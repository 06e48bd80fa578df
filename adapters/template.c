/* template.c - start here to put your allocator under test.
 *
 * Copy this file (and its kh_adapter() rule in adapters/BUILD) next to your
 * allocator, replace the "demo allocator" section with calls into your own
 * code, delete the tiers and hooks you do not have, make the declarations
 * say what your allocator promises, then run
 *     bazel test //... --//fuzz:allocator=//path/to:your_adapter
 * docs/PLUGIN.md explains every field and what each check needs.
 *
 * As shipped it adapts a small but real allocator, so the template is built
 * and tested like every other adapter: a 16 MiB arena of 4 KiB pages; page
 * blocks of order 0..8 from per-order free lists (a bump pointer aligned to
 * the block size when a list is empty); objects of 16..2048 bytes from
 * power-of-two size classes carved out of order-0 pages; larger objects are
 * page blocks. A per-page table says what each page holds, which is how
 * free and usable_size find their way back from a pointer.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "kh_adapter.h"

/* ==== the demo allocator: replace with your own ========================== */

#define DEMO_PAGE_SHIFT 12u
#define DEMO_PAGE_SIZE (1ul << DEMO_PAGE_SHIFT)
#define DEMO_PAGES 4096ul          /* 16 MiB */
#define DEMO_MAX_ORDER 8u          /* 1 MiB blocks */
#define DEMO_MIN_SHIFT 4u          /* 16-byte objects */
#define DEMO_MAX_SHIFT 11u         /* 2048-byte objects */

struct demo_free { struct demo_free *next; };

/* What a page holds: for class pages, the size shift of their objects; for
 * the first page of a block, its order. */
enum { PAGE_UNUSED, PAGE_CLASS, PAGE_BLOCK, PAGE_TAIL };

struct demo {
    void *map;                                   /* the mapping, for munmap */
    uint8_t *base;                               /* aligned to the largest block */
    size_t bump;                                 /* pages handed out by the bump pointer */
    struct demo_free *pages[DEMO_MAX_ORDER + 1]; /* free blocks by order */
    struct demo_free *objs[DEMO_MAX_SHIFT + 1];  /* free objects by size shift */
    uint8_t kind[DEMO_PAGES], info[DEMO_PAGES];
    size_t in_use;                               /* bytes handed out and not freed */
};

static size_t page_index(const struct demo *d, const void *p)
{
    return (size_t)((const uint8_t *)p - d->base) >> DEMO_PAGE_SHIFT;
}

static void *demo_pages(struct demo *d, unsigned order)
{
    if (order > DEMO_MAX_ORDER)
        return NULL;
    void *p = d->pages[order];
    if (p) {
        d->pages[order] = d->pages[order]->next;
    } else {
        size_t n = 1ul << order, at = (d->bump + n - 1) & ~(n - 1);
        if (at + n > DEMO_PAGES)
            return NULL;
        /* The pages skipped for alignment go to the lists of their orders. */
        while (d->bump < at) {
            unsigned o = 0;
            while (o < order && !(d->bump & (1ul << o)) && d->bump + (2ul << o) <= at)
                o++;
            struct demo_free *f = (struct demo_free *)(d->base + (d->bump << DEMO_PAGE_SHIFT));
            f->next = d->pages[o];
            d->pages[o] = f;
            d->bump += 1ul << o;
        }
        p = d->base + (at << DEMO_PAGE_SHIFT);
        d->bump = at + n;
    }
    size_t i = page_index(d, p);
    d->kind[i] = PAGE_BLOCK;
    d->info[i] = (uint8_t)order;
    for (size_t k = 1; k < (1ul << order); k++)
        d->kind[i + k] = PAGE_TAIL;
    return p;
}

static void demo_free_pages(struct demo *d, void *p, unsigned order)
{
    size_t i = page_index(d, p);
    for (size_t k = 0; k < (1ul << order); k++)
        d->kind[i + k] = PAGE_UNUSED;
    struct demo_free *f = p;
    f->next = d->pages[order];
    d->pages[order] = f;
}

static unsigned shift_for(size_t size)
{
    unsigned s = DEMO_MIN_SHIFT;
    while ((1ul << s) < size)
        s++;
    return s;
}

static void *demo_obj(struct demo *d, unsigned shift)
{
    if (!d->objs[shift]) {
        uint8_t *page = demo_pages(d, 0);
        if (!page)
            return NULL;
        d->kind[page_index(d, page)] = PAGE_CLASS;
        d->info[page_index(d, page)] = (uint8_t)shift;
        for (size_t off = DEMO_PAGE_SIZE; off >= (1ul << shift); off -= 1ul << shift) {
            struct demo_free *f = (struct demo_free *)(page + off - (1ul << shift));
            f->next = d->objs[shift];
            d->objs[shift] = f;
        }
    }
    struct demo_free *f = d->objs[shift];
    d->objs[shift] = f->next;
    return f;
}

/* ==== the adapter: map the interface onto your allocator =================== */

static struct demo demo;

static void *tmpl_open(const char **err)
{
    /* One instance per process here; an allocator with instances would
     * create one and return it as the context. */
    if (!demo.map) {
        /* One largest block more than the arena, so the base can be aligned
         * to it: blocks aligned within the arena are then aligned in memory. */
        size_t top = DEMO_PAGE_SIZE << DEMO_MAX_ORDER;
        void *m = mmap(NULL, (DEMO_PAGES << DEMO_PAGE_SHIFT) + top, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (m == MAP_FAILED) {
            *err = "cannot map the 16 MiB arena";
            return NULL;
        }
        demo.map = m;
        demo.base = (uint8_t *)(((uintptr_t)m + top - 1) & ~(uintptr_t)(top - 1));
    }
    return &demo;
}

static void tmpl_close(void *ctx)
{
    struct demo *d = ctx;
    munmap(d->map, (DEMO_PAGES << DEMO_PAGE_SHIFT) + (DEMO_PAGE_SIZE << DEMO_MAX_ORDER));
    memset(d, 0, sizeof(*d));
}

static void tmpl_reset(void *ctx)
{
    struct demo *d = ctx;
    void *map = d->map;
    uint8_t *base = d->base;
    memset(d, 0, sizeof(*d));
    d->map = map;
    d->base = base;
}

static size_t usable(struct demo *d, const void *p)
{
    size_t i = page_index(d, p);
    return d->kind[i] == PAGE_CLASS ? 1ul << d->info[i] : DEMO_PAGE_SIZE << d->info[i];
}

static unsigned order_for(size_t size)
{
    unsigned o = 0;
    while ((DEMO_PAGE_SIZE << o) < size)
        o++;
    return o;
}

static void *tmpl_alloc(void *ctx, size_t size, size_t align, unsigned flags)
{
    struct demo *d = ctx;
    /* Classes and blocks are aligned to their size, so asking for a size of
     * at least `align` gives the alignment too. */
    size_t need = size > align ? size : align;
    if (need > (DEMO_PAGE_SIZE << DEMO_MAX_ORDER))
        return NULL;
    void *p = need <= (1ul << DEMO_MAX_SHIFT) ? demo_obj(d, shift_for(need))
                                              : demo_pages(d, order_for(need));
    if (!p)
        return NULL;
    d->in_use += usable(d, p);
    if (flags & KH_AF_ZERO)
        memset(p, 0, usable(d, p));
    return p;
}

static void tmpl_free(void *ctx, void *p)
{
    struct demo *d = ctx;
    if (!p)
        return;
    size_t i = page_index(d, p);
    d->in_use -= usable(d, p);
    if (d->kind[i] == PAGE_CLASS) {
        struct demo_free *f = p;
        f->next = d->objs[d->info[i]];
        d->objs[d->info[i]] = f;
    } else {
        demo_free_pages(d, p, d->info[i]);
    }
}

static void *tmpl_realloc(void *ctx, void *p, size_t size, unsigned flags)
{
    struct demo *d = ctx;
    if (!p)
        return tmpl_alloc(ctx, size, 0, flags);
    size_t old = usable(d, p);
    if (size <= old && size > old / 2)
        return p;  /* still the right class: stay */
    void *n = tmpl_alloc(ctx, size, 0, flags);
    if (!n)
        return NULL;  /* the old block stays valid */
    memcpy(n, p, old < size ? old : size);
    tmpl_free(ctx, p);
    return n;
}

static size_t tmpl_usable_size(void *ctx, const void *p) { return usable(ctx, p); }

static void *tmpl_page_alloc(void *ctx, unsigned order, unsigned flags)
{
    struct demo *d = ctx;
    void *p = demo_pages(d, order);
    if (!p)
        return NULL;
    d->in_use += DEMO_PAGE_SIZE << order;
    if (flags & KH_AF_ZERO)
        memset(p, 0, DEMO_PAGE_SIZE << order);
    return p;
}

static void tmpl_page_free(void *ctx, void *p, unsigned order)
{
    struct demo *d = ctx;
    if (!p)
        return;
    d->in_use -= DEMO_PAGE_SIZE << order;
    demo_free_pages(d, p, order);
}

/* A cache is a size class: objects of `size` bytes aligned to `align`. */
struct tmpl_cache {
    size_t size;
    unsigned shift;
};

static void *tmpl_cache_create(void *ctx, const char *name, size_t size, size_t align)
{
    (void)ctx;
    (void)name;
    size_t need = size > align ? size : align;
    if (need > (1ul << DEMO_MAX_SHIFT))
        return NULL;
    struct tmpl_cache *c = malloc(sizeof(*c));
    if (c)
        *c = (struct tmpl_cache){ size, shift_for(need) };
    return c;
}

static void tmpl_cache_destroy(void *ctx, void *cache)
{
    (void)ctx;
    free(cache);
}

static void *tmpl_cache_alloc(void *ctx, void *cache, unsigned flags)
{
    struct tmpl_cache *c = cache;
    return tmpl_alloc(ctx, 1ul << c->shift, 0, flags);
}

static void tmpl_cache_free(void *ctx, void *cache, void *p)
{
    (void)cache;
    tmpl_free(ctx, p);
}

static size_t tmpl_cache_object_size(void *ctx, void *cache)
{
    (void)ctx;
    return 1ul << ((struct tmpl_cache *)cache)->shift;
}

static void tmpl_arena(void *ctx, uintptr_t *start, uintptr_t *end)
{
    struct demo *d = ctx;
    *start = (uintptr_t)d->base;
    *end = *start + (DEMO_PAGES << DEMO_PAGE_SHIFT);
}

static size_t tmpl_bytes_in_use(void *ctx) { return ((struct demo *)ctx)->in_use; }

/* Every free object and block must lie in a page that says it holds one. */
static int tmpl_validate(void *ctx, char *msg, size_t cap)
{
    struct demo *d = ctx;
    for (unsigned s = DEMO_MIN_SHIFT; s <= DEMO_MAX_SHIFT; s++) {
        for (struct demo_free *f = d->objs[s]; f; f = f->next) {
            size_t i = page_index(d, f);
            if (i >= d->bump || d->kind[i] != PAGE_CLASS || d->info[i] != s) {
                snprintf(msg, cap, "free %zu-byte object %p is not in a %zu-byte class page",
                         1ul << s, (void *)f, 1ul << s);
                return 1;
            }
        }
    }
    for (unsigned o = 0; o <= DEMO_MAX_ORDER; o++) {
        for (struct demo_free *f = d->pages[o]; f; f = f->next) {
            size_t i = page_index(d, f);
            if (i >= d->bump || (i & ((1ul << o) - 1)) || d->kind[i] != PAGE_UNUSED) {
                snprintf(msg, cap, "free order-%u block %p is misplaced or in use", o, (void *)f);
                return 1;
            }
        }
    }
    return 0;
}

const struct kh_adapter kh_adapter = {
    .abi = KH_ADAPTER_ABI,
    .name = "template",
    .description = "the template's demo allocator: size classes and page blocks in a 16 MiB arena",
    /* Promise only what your allocator really does: each flag turns a check on. */
    /* Misuse policy, one of: KH_CAP_DETECTS_DOUBLE_FREE | _INVALID_FREE
     * (reported or aborts), KH_CAP_MISUSE_IGNORED (harmless, nothing
     * changes), KH_CAP_MISUSE_UNDEFINED (never probed). The demo's free
     * lists are corrupted by a double free: undefined. Add
     * KH_CAP_THREAD_SAFE only if every function may run on several threads
     * at once (the concurrent target then tests that); the demo has no locks. */
    .caps = KH_CAP_FREE_NULL | KH_CAP_ZERO | KH_CAP_ALIGNED | KH_CAP_NATURAL_ALIGN |
            KH_CAP_REALLOC_NULL | KH_CAP_PAGE_ORDER_ALIGNED | KH_CAP_MISUSE_UNDEFINED,
    .min_align = 1u << DEMO_MIN_SHIFT,
    .max_align = DEMO_PAGE_SIZE << DEMO_MAX_ORDER,
    .natural_align_max = DEMO_PAGE_SIZE << DEMO_MAX_ORDER,
    .max_size = DEMO_PAGE_SIZE << DEMO_MAX_ORDER,
    /* No nofail_size / nofail_live: the demo never gives class pages back
     * to the page lists, nor splits a large free block, so it can run dry
     * with little live. Declare the range where your allocator cannot. */
    .open = tmpl_open,
    .close = tmpl_close,
    .reset = tmpl_reset,
    .object = { tmpl_alloc, tmpl_free, tmpl_realloc, tmpl_usable_size },
    .page = { DEMO_PAGE_SHIFT, DEMO_MAX_ORDER, tmpl_page_alloc, tmpl_page_free, NULL, NULL },
    .cache = { tmpl_cache_create, tmpl_cache_destroy, tmpl_cache_alloc, tmpl_cache_free, NULL,
               tmpl_cache_object_size },
    .validate = tmpl_validate,
    .arena = tmpl_arena,
    .bytes_in_use = tmpl_bytes_in_use,
    /* Also available (docs/PLUGIN.md):
     *   .free_sized = my_free_sized,    free(p, size): object.free may then be NULL
     *   .coalesce_size = BYTES,         once all is freed, BYTES are allocatable again
     *                                   (the demo never merges, so it cannot promise it)
     *   .pool = { .add = ..., .remove = ..., .resize = ... }   arena operations */
};
