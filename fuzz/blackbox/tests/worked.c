/* worked.c - a buddy allocator over a 1 MiB arena, with its adapter (see
 * worked.h). Our own code, small on purpose: blocks of 32 << order bytes,
 * per-order free lists kept in side arrays (so block contents are the
 * caller's alone), a header byte per 32-byte unit saying which units head a
 * block and of what order. It promises what many small allocators promise:
 * double and invalid frees are ignored harmlessly, everything merges back
 * (the whole arena is allocatable once all is freed), and the sized free
 * takes the size that was requested. Its arena can shrink and grow (from
 * 32 bytes up to 1 MiB) when the part given back is free.
 *
 * Built with WB_DEFECT=<enum wb_defect> for the fuzz binaries (kh_adapter
 * is that variant); tests pick a variant at run time with wb_adapter().
 */
#include "worked.h"

#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#ifndef WB_DEFECT
#define WB_DEFECT WB_NONE
#endif

#define MIN_SHIFT 5u
#define MAX_ORDER 15u                       /* 32 << 15 = 1 MiB: the whole arena */
#define ARENA ((size_t)1 << (MIN_SHIFT + MAX_ORDER))
#define UNITS (ARENA >> MIN_SHIFT)
#define NO_ORDER 0xffu
#define CACHE_HDR 16u                       /* cache objects carry their cache's index */
#define MAX_CACHES 64u

enum { UNIT_NONE, UNIT_FREE, UNIT_USED };

struct wb {
    uint8_t *base;
    uint8_t order_of[UNITS];                /* order of the block headed here, NO_ORDER */
    uint8_t state[UNITS];
    int32_t next[UNITS], prev[UNITS];
    int32_t head[MAX_ORDER + 1];
    uint32_t limit;                         /* units in use as the arena */
    struct { size_t size; int alive; } caches[MAX_CACHES];
};

static enum wb_defect defect = WB_DEFECT;

static void list_push(struct wb *w, uint32_t i, unsigned o)
{
    w->order_of[i] = (uint8_t)o;
    w->state[i] = UNIT_FREE;
    w->prev[i] = -1;
    w->next[i] = w->head[o];
    if (w->head[o] >= 0)
        w->prev[w->head[o]] = (int32_t)i;
    w->head[o] = (int32_t)i;
}

static void list_del(struct wb *w, uint32_t i, unsigned o)
{
    if (w->prev[i] >= 0)
        w->next[w->prev[i]] = w->next[i];
    else
        w->head[o] = w->next[i];
    if (w->next[i] >= 0)
        w->prev[w->next[i]] = w->prev[i];
    w->state[i] = UNIT_NONE;
}

static void wb_init(struct wb *w)
{
    memset(w->order_of, NO_ORDER, sizeof(w->order_of));
    memset(w->state, UNIT_NONE, sizeof(w->state));
    for (unsigned o = 0; o <= MAX_ORDER; o++)
        w->head[o] = -1;
    list_push(w, 0, MAX_ORDER);
    w->limit = UNITS;
    memset(w->caches, 0, sizeof(w->caches));
}

static unsigned order_for(size_t size)
{
    unsigned o = 0;
    while (((size_t)1 << (MIN_SHIFT + o)) < size)
        o++;
    return o;
}

static void *block_alloc(struct wb *w, size_t size)
{
    if (size > ARENA)
        return NULL;
    unsigned o = order_for(size ? size : 1), j = o;
    while (j <= MAX_ORDER && w->head[j] < 0)
        j++;
    if (j > MAX_ORDER)
        return NULL;
    uint32_t i = (uint32_t)w->head[j];
    list_del(w, i, j);
    while (j > o) {
        j--;
        list_push(w, i + (1u << j), j);
    }
    w->order_of[i] = (uint8_t)o;
    w->state[i] = UNIT_USED;
    return w->base + ((size_t)i << MIN_SHIFT);
}

static void block_free(struct wb *w, uint32_t i, unsigned o)
{
    w->state[i] = UNIT_NONE;
    while (defect != WB_NO_COALESCE && o < MAX_ORDER) {
        uint32_t b = i ^ (1u << o);
        if (w->state[b] != UNIT_FREE || w->order_of[b] != o)
            break;
        list_del(w, b, o);
        uint32_t upper = i > b ? i : b;
        /* The absorbed upper half heads nothing any more. */
        if (defect != WB_DOUBLE_FREE_PARENT)
            w->order_of[upper] = NO_ORDER;
        i = i < b ? i : b;
        o++;
    }
    list_push(w, i, o);
}

/* Frees p; sized: `size` is what the caller asked for. Anything that is not
 * a live block's start is ignored (the promise: harmless). */
static void wb_free(struct wb *w, void *p, int sized, size_t size)
{
    uintptr_t off = (uintptr_t)p - (uintptr_t)w->base;
    if (!p || (uintptr_t)p < (uintptr_t)w->base || off >= ARENA || (off & ((1u << MIN_SHIFT) - 1)))
        return;
    uint32_t i = (uint32_t)(off >> MIN_SHIFT);
    if (defect != WB_UB_INVALID_FREE && w->order_of[i] == NO_ORDER)
        return;  /* inside a block: not a block's start */
    size_t bytes = (size_t)1 << (MIN_SHIFT + w->order_of[i]);
    (void)bytes;
    /* Only a live block is freed: a freed one (merged or not) is ignored. */
    if (defect == WB_DOUBLE_FREE_PARENT ? w->state[i] == UNIT_FREE : w->state[i] != UNIT_USED)
        return;
    unsigned o = w->order_of[i];
    if (sized) {
        /* Sized frees trust the size (no header lookup): the kernel's way. */
        size_t units = (size ? size - 1 : 0) >> MIN_SHIFT;
        o = 0;
        if (defect == WB_SIZED_FREE)
            units = size >> MIN_SHIFT;  /* off by one at exact powers of two */
        while (units >> o)
            o++;
    }
    block_free(w, i, o);
}

/* Makes [lo, hi) free, in the largest aligned blocks that fit. */
static void add_range(struct wb *w, uint32_t lo, uint32_t hi)
{
    while (lo < hi) {
        unsigned o = 0;
        while (o < MAX_ORDER && !(lo & ((2u << o) - 1)) && lo + (2u << o) <= hi)
            o++;
        w->order_of[lo] = (uint8_t)o;
        block_free(w, lo, o);
        lo += 1u << o;
    }
}

/* The arena's new end, in units: refused (-1) unless what is given back is
 * all free. */
static int wb_resize(struct wb *w, uint32_t n)
{
    if (n == 0 || n > UNITS)
        return -1;
    if (n >= w->limit) {
        uint32_t old = w->limit;
        w->limit = n;
        add_range(w, old, n);
        return 0;
    }
    uint32_t covered = 0;
    for (unsigned o = 0; o <= MAX_ORDER; o++) {
        for (int32_t i = w->head[o]; i >= 0; i = w->next[i]) {
            uint32_t lo = (uint32_t)i, hi = lo + (1u << o);
            uint32_t a = lo > n ? lo : n, b = hi < w->limit ? hi : w->limit;
            if (a < b)
                covered += b - a;
        }
    }
    if (covered != w->limit - n)
        return -1;  /* a live block is in the way */
    for (unsigned o = 0; o <= MAX_ORDER; o++) {
        for (int32_t i = w->head[o], next; i >= 0; i = next) {
            next = w->next[i];
            uint32_t lo = (uint32_t)i, hi = lo + (1u << o);
            if (hi <= n)
                continue;
            if (lo < n && defect == WB_RESIZE_STRADDLE)
                continue;  /* the straddling block is left whole on its list */
            list_del(w, lo, o);
            w->order_of[lo] = NO_ORDER;
            if (lo < n)
                add_range(w, lo, n);  /* its part below the new end stays free */
        }
    }
    w->limit = n;
    return 0;
}

/* ---- the adapter ---- */

static void *wb_open(const char **err)
{
    struct wb *w = mmap(NULL, sizeof(*w), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (w == MAP_FAILED) {
        *err = "mmap of the state failed";
        return NULL;
    }
    /* The arena aligned to its size, as a buddy allocator's is. */
    uint8_t *m = mmap(NULL, 2 * ARENA, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) {
        munmap(w, sizeof(*w));
        *err = "mmap of the arena failed";
        return NULL;
    }
    w->base = (uint8_t *)(((uintptr_t)m + ARENA - 1) & ~(uintptr_t)(ARENA - 1));
    wb_init(w);
    return w;
}

static void wb_close(void *ctx)
{
    struct wb *w = ctx;
    (void)w;  /* the mappings go with the process */
}

static void wb_reset(void *ctx) { wb_init(ctx); }

static void *obj_alloc(void *ctx, size_t size, size_t align, unsigned flags)
{
    (void)align, (void)flags;  /* no KH_CAP_ALIGNED: align is always 0 */
    return block_alloc(ctx, size);
}

static void obj_free(void *ctx, void *p) { wb_free(ctx, p, 0, 0); }
static void obj_free_sized(void *ctx, void *p, size_t size) { wb_free(ctx, p, 1, size); }

static void *cache_create(void *ctx, const char *name, size_t size, size_t align)
{
    struct wb *w = ctx;
    (void)name;
    /* Objects follow a 16-byte header: no alignment above 16 is possible. */
    if (defect != WB_NO_ALIGN && align > CACHE_HDR)
        return NULL;
    for (unsigned c = 0; c < MAX_CACHES; c++) {
        if (!w->caches[c].alive) {
            w->caches[c].alive = 1;
            w->caches[c].size = size;
            return (void *)(uintptr_t)(c + 1);
        }
    }
    return NULL;
}

static void cache_destroy(void *ctx, void *c)
{
    ((struct wb *)ctx)->caches[(uintptr_t)c - 1].alive = 0;
}

static void *cache_alloc(void *ctx, void *c, unsigned flags)
{
    struct wb *w = ctx;
    (void)flags;
    uint8_t *b = block_alloc(w, w->caches[(uintptr_t)c - 1].size + CACHE_HDR);
    if (!b)
        return NULL;
    memcpy(b, &c, sizeof(c));
    return b + CACHE_HDR;
}

static void cache_free(void *ctx, void *c, void *p)
{
    (void)c;
    wb_free(ctx, (uint8_t *)p - CACHE_HDR, 0, 0);
}

static void arena(void *ctx, uintptr_t *start, uintptr_t *end)
{
    struct wb *w = ctx;
    *start = (uintptr_t)w->base;
    *end = (uintptr_t)w->base + ((size_t)w->limit << MIN_SHIFT);
}

static int pool_resize(void *ctx, void *pool, size_t bytes)
{
    if (pool)
        return -1;  /* one arena, no added pools */
    return wb_resize(ctx, (uint32_t)((bytes > ARENA ? ARENA : bytes) >> MIN_SHIFT));
}

#define WB_CAPS (KH_CAP_FREE_NULL | KH_CAP_NATURAL_ALIGN | KH_CAP_MISUSE_IGNORED)

#define WB_ADAPTER(caps_)                                                                     \
    {                                                                                         \
        .abi = KH_ADAPTER_ABI, .name = "worked-buddy",                                        \
        .description = "the worked examples' buddy allocator (fuzz/blackbox/tests/worked.c)", \
        .caps = (caps_), .min_align = 16, .natural_align_max = ARENA, .max_size = ARENA,      \
        .open = wb_open, .close = wb_close, .reset = wb_reset,                                \
        .object = { .alloc = obj_alloc, .free = obj_free },                                   \
        .free_sized = obj_free_sized,                                                         \
        .cache = { .create = cache_create, .destroy = cache_destroy, .alloc = cache_alloc,    \
                   .free = cache_free },                                                      \
        .arena = arena, .coalesce_size = ARENA, .pool = { .resize = pool_resize },            \
    }

/* The fuzz binaries' adapter: the variant WB_DEFECT names. */
const struct kh_adapter kh_adapter = WB_ADAPTER(WB_DEFECT == WB_NO_ALIGN ? WB_CAPS
                                                                         : WB_CAPS | KH_CAP_NO_ALIGN);

struct kh_adapter wb_adapter(enum wb_defect d)
{
    defect = d;
    struct kh_adapter a = WB_ADAPTER(d == WB_NO_ALIGN ? WB_CAPS : WB_CAPS | KH_CAP_NO_ALIGN);
    return a;
}
