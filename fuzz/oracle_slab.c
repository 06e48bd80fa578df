/* oracle_slab.c - slab geometry, ctor state and debug bytes from the spec
 * (see oracle_slab.h). Shares no code with allocator/: a slip in the
 * allocator's alignment, slot, order or red-zone code shows up as a
 * disagreement with this restatement.
 */
#include "oracle_slab.h"

#include <stdio.h>
#include <string.h>

#include "oracle.h"
#include "slab.h"

#define PTR 8u                   /* sizeof(void *) on every profile (64-bit) */
#define SLAB_MINALIGN 8u         /* ARCH_SLAB_MINALIGN */
#define TRACK_BYTES 32u          /* struct track with a stack depot handle (6.1) */
#define ORIG_SIZE_BYTES 4u       /* kmalloc's remembered request (6.1, SLAB_STORE_USER) */
#define SLUB_ORDER_CAP 3u        /* PAGE_ALLOC_COSTLY_ORDER: SLUB's preferred ceiling */

#define CTOR_BYTE 0x3c           /* what the test constructor writes */
#define RED_INACTIVE 0xbb
#define RED_ACTIVE 0xcc
#define POISON_INUSE 0x5a
#define POISON_FREE 0x6b
#define POISON_END 0xa5

static uint32_t round_up(uint32_t v, uint32_t a) { return (v + a - 1) / a * a; }
static unsigned fls32(unsigned v) { return v ? 32u - (unsigned)__builtin_clz(v) : 0; }

static unsigned get_order(unsigned page_shift, unsigned long bytes)
{
    unsigned long pages = (bytes - 1) >> page_shift;
    unsigned order = 0;
    while (pages) {
        order++;
        pages >>= 1;
    }
    return order;
}

/* The slub_debug letters (SPEC 6) as cache flags. */
static uint32_t debug_letters(const char *s)
{
    uint32_t f = 0;
    for (; s && *s; s++) {
        if (*s == 'F') f |= SLAB_CONSISTENCY_CHECKS;
        else if (*s == 'Z') f |= SLAB_RED_ZONE;
        else if (*s == 'P') f |= SLAB_POISON;
        else if (*s == 'U') f |= SLAB_STORE_USER;
    }
    return f;
}

/* SPEC 0b / SPEC 5: the cache line halved while the object fits in half of
 * it, the caller's align, ARCH_SLAB_MINALIGN, a whole pointer. */
static uint32_t alignment(const struct kh_config *cfg, uint32_t flags, uint32_t align, uint32_t size)
{
    if (flags & SLAB_HWCACHE_ALIGN) {
        uint32_t line = cfg->cache_line;
        while (size <= line / 2)
            line /= 2;
        if (line > align)
            align = line;
    }
    if (align < SLAB_MINALIGN)
        align = SLAB_MINALIGN;
    return round_up(align, PTR);
}

bool oracle_slab_poisons(uint32_t flags, bool ctor)
{
    return (flags & SLAB_POISON) && !(flags & SLAB_TYPESAFE_BY_RCU) && !ctor;
}

/* 6.1 calculate_sizes(): where the red zones, free pointer and tracks go. */
static void slot_layout(struct oracle_slab_geom *g)
{
    uint32_t f = g->flags;
    uint32_t size = round_up(g->object_size, PTR);
    g->poison = oracle_slab_poisons(f, g->ctor);
    if ((f & SLAB_RED_ZONE) && size == g->object_size)
        size += PTR;
    g->inuse = size;
    /* 6.12: an RCU cache's freeptr_offset keeps the pointer inside (SPEC 10) */
    bool rcu_inside = (f & SLAB_TYPESAFE_BY_RCU) && g->freeptr >= 0;
    g->fp_outside = ((f & SLAB_TYPESAFE_BY_RCU) && !rcu_inside) || (f & SLAB_POISON) || g->ctor ||
                    ((f & SLAB_RED_ZONE) && g->object_size < PTR);
    if (g->fp_outside) {
        g->offset = size;
        size += PTR;
    } else if (rcu_inside) {
        g->offset = (uint32_t)g->freeptr;
    } else {
        g->offset = g->object_size / 2 / PTR * PTR;
    }
    if (f & SLAB_STORE_USER) {
        size += 2 * TRACK_BYTES;
        if (g->kmalloc)
            size += ORIG_SIZE_BYTES;
    }
    g->red_left_pad = 0;
    if (f & SLAB_RED_ZONE) {
        size += PTR;
        g->red_left_pad = round_up(PTR, g->align);
        size += g->red_left_pad;
    }
    g->size = round_up(size, g->align);
}

/* Smallest order from get_order(min_objects * slot) up to max whose
 * leftover is at most 1/fract of the slab; max + 1 if none. */
static unsigned first_fit(const struct kh_config *cfg, uint32_t slot, unsigned min_objects,
                          unsigned max, unsigned fract)
{
    unsigned order = get_order(cfg->page_shift, (unsigned long)min_objects * slot);
    for (; order <= max; order++) {
        unsigned long bytes = (1ul << cfg->page_shift) << order;
        if (bytes % slot <= bytes / fract)
            return order;
    }
    return max + 1;
}

/* SPEC 0b's order rule; false if no order up to the maximum holds a slot. */
static bool slub_order(const struct kh_config *cfg, uint32_t slot, unsigned *order)
{
    unsigned min_objects = 4 * (fls32(cfg->nr_cpus) + 1);
    unsigned long cap = ((1ul << cfg->page_shift) << SLUB_ORDER_CAP) / slot;
    if (min_objects > cap)
        min_objects = (unsigned)cap;
    for (; min_objects > 1; min_objects--)
        for (unsigned fract = 16; fract >= 4; fract /= 2)
            if ((*order = first_fit(cfg, slot, min_objects, SLUB_ORDER_CAP, fract)) <= SLUB_ORDER_CAP)
                return true;
    if ((*order = first_fit(cfg, slot, 1, SLUB_ORDER_CAP, 1)) <= SLUB_ORDER_CAP)
        return true;
    *order = first_fit(cfg, slot, 1, cfg->max_order - 1, 1);
    return *order < cfg->max_order;
}

/* ---- classic SLAB (SPEC 5: the 4.x geometry rule) ---- */

#define SLAB_OBJ_MIN 16u         /* the smallest slot classic SLAB makes */

/* One order of a management mode: objects of `slot` bytes (each with an
 * idx-byte index entry inside the slab when the index lives there). */
static void slab_fit(unsigned page_shift, unsigned order, uint32_t slot, unsigned idx_inside,
                     unsigned long *num, unsigned long *left)
{
    unsigned long bytes = (1ul << page_shift) << order;
    *num = bytes / (slot + idx_inside);
    *left = bytes - *num * (slot + idx_inside);
}

/* The order search of one management mode (0: idx entries elsewhere or
 * in the object; idx: inside the slab): from order 0 up, the last order
 * that holds objects before the stop rules; *num = 0 when none does. */
static void slab_search(const struct kh_config *cfg, const struct oracle_limits *l, uint32_t slot,
                        uint32_t flags, unsigned idx, bool off_slab, unsigned idx_inside,
                        unsigned *order, unsigned long *num, unsigned long *left)
{
    uint64_t ram = 0;
    for (int z = 0; z < MAX_NR_ZONES; z++)
        ram += cfg->zone_bytes[z];
    unsigned stop = ram > (32ull << 20) ? 1 : 0;      /* slab_max_order */
    unsigned top = l->shift_max - cfg->page_shift;   /* KMALLOC_MAX_ORDER */
    unsigned long max_objs = idx == 1 ? 255 : 65535;
    *num = 0;
    for (unsigned o = 0; o <= top && o < cfg->max_order; o++) {
        unsigned long n, lo;
        slab_fit(cfg->page_shift, o, slot, idx_inside, &n, &lo);
        if (!n)
            continue;
        if (n > max_objs)
            break;
        /* an off-slab index is a kmalloc object: worth it only when at
         * most half a slot */
        if (off_slab && oracle_kmalloc_class(l, n * idx) > slot / 2)
            continue;
        *order = o;
        *num = n;
        *left = lo;
        if ((flags & SLAB_RECLAIM_ACCOUNT) || o >= stop || lo * 8 <= ((1ul << cfg->page_shift) << o))
            break;
    }
}

/* Slot, order and objects of a classic SLAB cache without debugging:
 * the index in a free object (no ctor, no RCU, when it fits there), else
 * off the slab (when the leftover cannot hold it), else inside. */
static bool slab_classic(const struct kh_config *cfg, struct oracle_slab_geom *g)
{
    struct oracle_limits l;
    oracle_limits(cfg, &l);
    uint32_t slot = round_up(round_up(g->object_size, PTR), g->align);
    if (slot < SLAB_OBJ_MIN)
        slot = round_up(SLAB_OBJ_MIN, g->align);
    unsigned idx = ((1u << cfg->page_shift) >> 8) <= SLAB_OBJ_MIN ? 1 : 2;
    unsigned order = 0;
    unsigned long num = 0, left = 0;
    bool found = false;
    if (!g->ctor && !(g->flags & SLAB_TYPESAFE_BY_RCU)) {
        slab_search(cfg, &l, slot, g->flags, idx, false, 0, &order, &num, &left);
        found = num && num * idx <= g->object_size;
    }
    if (!found) {
        slab_search(cfg, &l, slot, g->flags, idx, true, 0, &order, &num, &left);
        found = num && left < num * idx;
    }
    if (!found) {
        slab_search(cfg, &l, slot, g->flags, idx, false, idx, &order, &num, &left);
        found = num != 0;
    }
    if (!found)
        return false;
    g->size = slot;
    g->order = order;
    g->objects = (uint32_t)num;
    g->slab_left = (uint32_t)left;
    return true;
}

static bool finish(const struct kh_config *cfg, struct oracle_slab_geom *g, uint32_t align)
{
    g->align = alignment(cfg, g->flags, align, g->object_size);
    slot_layout(g);
    g->layout_known = cfg->slab == KH_SLAB_SLUB;
    g->colour_checked = cfg->slab == KH_SLAB_SLAB;
    g->classic_known = false;
    g->order = g->objects = 0;
    if (g->layout_known) {
        if (!slub_order(cfg, g->size, &g->order))
            return false;
        g->objects = (uint32_t)(((1ul << cfg->page_shift) << g->order) / g->size);
    }
    if (cfg->slab == KH_SLAB_SLAB && !(g->flags & SLAB_DEBUG_FLAGS)) {
        if (!slab_classic(cfg, g))
            return false;
        g->classic_known = true;
        g->colour_off = cfg->cache_line > g->align ? cfg->cache_line : g->align;
    }
    return true;
}

bool oracle_slab_geometry_args(const struct kh_config *cfg, size_t size, size_t align, uint32_t flags,
                               bool ctor, int64_t freeptr, struct oracle_slab_geom *g)
{
    memset(g, 0, sizeof(*g));
    g->freeptr = freeptr;
    if (freeptr >= 0 && ((uint64_t)freeptr >= size || !(flags & SLAB_TYPESAFE_BY_RCU) || freeptr % PTR || ctor))
        return false;
    if (size == 0 || size > UINT32_MAX || align > UINT32_MAX)
        return false;
    g->flags = (flags & ~(uint32_t)SLAB_KMALLOC) | debug_letters(cfg->slub_debug);
    g->object_size = (uint32_t)size;
    g->ctor = ctor;
    return finish(cfg, g, (uint32_t)align);
}

bool oracle_slab_geometry(const struct kh_config *cfg, size_t size, size_t align, uint32_t flags,
                          bool ctor, struct oracle_slab_geom *g)
{
    return oracle_slab_geometry_args(cfg, size, align, flags, ctor, -1, g);
}

bool oracle_kmalloc_cache_geometry(const struct kh_config *cfg, size_t n, struct oracle_slab_geom *g)
{
    memset(g, 0, sizeof(*g));
    g->freeptr = -1;
    g->flags = SLAB_KMALLOC | debug_letters(cfg->slub_debug);
    g->object_size = (uint32_t)n;
    g->kmalloc = true;
    /* kmalloc caches: ARCH_KMALLOC_MINALIGN, raised to the size when that
     * is a power of two (natural alignment, whatever the debug options) */
    uint32_t align = cfg->arch_kmalloc_minalign;
    if ((n & (n - 1)) == 0 && n > align)
        align = (uint32_t)n;
    /* 6.12: 96 and 192 too, to 32 and 64 (SPEC 10) */
    if (cfg->kernel == KH_KERNEL_6_12 && n == 96 && align < 32)
        align = 32;
    if (cfg->kernel == KH_KERNEL_6_12 && n == 192 && align < 64)
        align = 64;
    return finish(cfg, g, align);
}

#define MISMATCH(field, want, got)                                                               \
    do {                                                                                         \
        if ((unsigned long)(want) != (unsigned long)(got)) {                                     \
            snprintf(why, cap, "%s %lu, the spec's geometry gives %lu", field,                   \
                     (unsigned long)(got), (unsigned long)(want));                               \
            return false;                                                                        \
        }                                                                                        \
    } while (0)

static bool check_alias(const struct oracle_slab_geom *g, const struct kh_cache_info *ci, char *why,
                        size_t cap)
{
    uint32_t never = SLAB_RED_ZONE | SLAB_POISON | SLAB_STORE_USER | SLAB_TYPESAFE_BY_RCU;
    uint32_t same = SLAB_CACHE_DMA | SLAB_CACHE_DMA32 | SLAB_RECLAIM_ACCOUNT | SLAB_ACCOUNT;
    /* kmalloc caches are usercopy-whitelisted, and a cache destroyed with
     * objects out is on its way out: neither is ever a merge target */
    if (ci->is_kmalloc || ci->dead) {
        snprintf(why, cap, "merged into %s, which is %s", ci->name,
                 ci->is_kmalloc ? "a kmalloc cache" : "a destroyed cache");
        return false;
    }
    if (g->ctor || ci->has_ctor) {
        snprintf(why, cap, "merged with cache %s although %s a constructor", ci->name,
                 g->ctor ? "the new cache has" : "that cache has");
        return false;
    }
    if ((g->flags | ci->flags) & never) {
        snprintf(why, cap, "merged with cache %s despite debug or RCU flags (%#x, %#x)", ci->name,
                 g->flags, ci->flags);
        return false;
    }
    if ((g->flags & same) != (ci->flags & same)) {
        snprintf(why, cap, "merged with cache %s whose DMA/RECLAIM/ACCOUNT flags %#x differ from %#x",
                 ci->name, ci->flags & same, g->flags & same);
        return false;
    }
    uint32_t need = round_up(round_up(g->object_size, PTR), g->align);
    if (ci->size < need || ci->size - need >= PTR || ci->size % g->align) {
        snprintf(why, cap, "merged into cache %s with slot %u for a %u-byte object aligned %u", ci->name,
                 ci->size, g->object_size, g->align);
        return false;
    }
    return true;
}

/* ---- which cache a new one must merge into (SPEC 5) ---- */

/* Flags whose effect on merging the oracle restates; a cache created with
 * any other bit is left undecided. */
#define MERGE_KNOWN (SLAB_HWCACHE_ALIGN | SLAB_CACHE_DMA | SLAB_CACHE_DMA32 | SLAB_RECLAIM_ACCOUNT | \
                     SLAB_ACCOUNT | SLAB_PANIC | SLAB_RED_ZONE | SLAB_POISON | SLAB_STORE_USER |  \
                     SLAB_TYPESAFE_BY_RCU)
#define MERGE_NEVER (SLAB_RED_ZONE | SLAB_POISON | SLAB_STORE_USER | SLAB_TYPESAFE_BY_RCU)
#define MERGE_SAME (SLAB_CACHE_DMA | SLAB_CACHE_DMA32 | SLAB_RECLAIM_ACCOUNT | SLAB_ACCOUNT)

/* KASAN marks every cache SLAB_KASAN, which never merges (SPEC 5); the
 * harness is built with the allocator's sanitizers, so this build's
 * AddressSanitizer stands for KASAN. */
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ORACLE_KASAN 1
#endif
#endif
#if !defined(ORACLE_KASAN) && defined(__SANITIZE_ADDRESS__)
#define ORACLE_KASAN 1
#endif
#ifdef ORACLE_KASAN
static const bool kasan_build = true;
#else
static const bool kasan_build = false;
#endif

int oracle_slab_merge_target(const struct kh_config *cfg, const struct oracle_slab_geom *g,
                             const struct oracle_merge_cand *c, unsigned n, long *target)
{
    *target = -1;
    if ((g->flags & ~(uint32_t)MERGE_KNOWN) || cfg->kernel != KH_KERNEL_6_1)
        return 0;
    if (cfg->slab_nomerge || kasan_build || cfg->slab == KH_SLAB_SLOB || cfg->slab == KH_SLAB_SLAB)
        return cfg->slab == KH_SLAB_SLAB && !cfg->slab_nomerge && !kasan_build ? 0 : 1;
    if (g->ctor || (g->flags & MERGE_NEVER))
        return 1;
    uint32_t need = round_up(round_up(g->object_size, PTR), g->align);
    for (unsigned i = n; i-- > 0;) {   /* the newest cache first */
        const struct oracle_merge_cand *s = &c[i];
        if (s->ctor || s->kmalloc || s->dead || (s->flags & MERGE_NEVER))
            continue;
        if (need > s->size || (g->flags & MERGE_SAME) != (s->flags & MERGE_SAME))
            continue;
        if (s->size % g->align || s->size - need >= PTR)
            continue;
        *target = (long)i;
        return 1;
    }
    return 1;
}

bool oracle_slab_check_cache(const struct kh_config *cfg, const struct oracle_slab_geom *g,
                             const struct kh_cache_info *ci, bool merged, char *why, size_t cap)
{
    if (merged)
        return check_alias(g, ci, why, cap);
    if (ci->has_ctor != g->ctor) {
        snprintf(why, cap, "cache reports ctor %d, created with %d", ci->has_ctor, g->ctor);
        return false;
    }
    MISMATCH("object_size", g->object_size, ci->object_size);
    MISMATCH("align", g->align, ci->align);
    unsigned long slab = (1ul << cfg->page_shift) << ci->order;
    /* whatever the design: slots keep the alignment, and fit */
    if (ci->size < g->object_size || ci->size % g->align || !ci->objects_per_slab ||
        (unsigned long)ci->objects_per_slab * ci->size > slab) {
        snprintf(why, cap, "slot %u with %u objects in an order-%u slab cannot hold %u-byte objects "
                 "aligned %u", ci->size, ci->objects_per_slab, ci->order, g->object_size, g->align);
        return false;
    }
    if (g->colour_checked && ci->colour_off % g->align) {
        snprintf(why, cap, "colour offset %u breaks the %u-byte alignment", ci->colour_off, g->align);
        return false;
    }
    if (g->classic_known) {
        MISMATCH("slot size", g->size, ci->size);
        MISMATCH("order", g->order, ci->order);
        MISMATCH("objects per slab", g->objects, ci->objects_per_slab);
        MISMATCH("colour offset", g->colour_off, ci->colour_off);
        MISMATCH("colours", g->slab_left / g->colour_off, ci->colour);
        return true;
    }
    if (!g->layout_known)
        return true;
    MISMATCH("slot size", g->size, ci->size);
    MISMATCH("inuse", g->inuse, ci->inuse);
    MISMATCH("red_left_pad", g->red_left_pad, ci->red_left_pad);
    MISMATCH("free pointer offset", g->offset, ci->offset);
    MISMATCH("order", g->order, ci->order);
    MISMATCH("objects per slab", g->objects, ci->objects_per_slab);
    MISMATCH("min_partial", oracle_slab_min_partial(g->size), ci->min_partial);
    return true;
}

/* SPEC 5: ilog2(slot size) / 2, clamped to 5..10. */
unsigned oracle_slab_min_partial(uint32_t slot)
{
    unsigned log = 0;
    while (slot >> (log + 1))
        log++;
    unsigned mp = log / 2;
    return mp < 5 ? 5 : mp > 10 ? 10 : mp;
}

/* ---- constructor ---- */

void oracle_slab_ctor(void *obj) { memset(obj, CTOR_BYTE, 1); }
bool oracle_slab_constructed(const void *obj) { return *(const uint8_t *)obj == CTOR_BYTE; }
void oracle_slab_reconstruct(void *obj) { oracle_slab_ctor(obj); }

/* ---- debug bytes ---- */

/* Outside ASan's view: red zones and free objects are poisoned to it. */
__attribute__((no_sanitize("address"), no_sanitize("coverage")))
static size_t find_not(const uint8_t *p, uint8_t v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (((const volatile uint8_t *)p)[i] != v)
            return i;
    return n;
}

__attribute__((no_sanitize("address")))
static uint8_t byte_at(const uint8_t *p) { return *(const volatile uint8_t *)p; }

/* Bytes [from, to) of obj must all be v. */
static bool expect(const uint8_t *obj, long from, long to, uint8_t v, const char *what, char *why,
                   size_t cap)
{
    if (to <= from)
        return true;
    size_t i = find_not(obj + from, v, (size_t)(to - from));
    if (i == (size_t)(to - from))
        return true;
    snprintf(why, cap, "%s: byte at offset %ld is %#x, expected %#x (bytes %ld..%ld)", what,
             from + (long)i, byte_at(obj + from + i), v, from, to - 1);
    return false;
}

bool oracle_slab_debug_applies(const struct kh_config *cfg, const struct oracle_slab_geom *g)
{
    return cfg->slab == KH_SLAB_SLUB && g->layout_known &&
           (g->flags & (SLAB_RED_ZONE | SLAB_POISON));
}

/* Padding under P: from the end of the metadata to the end of the slot. */
static bool check_padding(const struct oracle_slab_geom *g, const uint8_t *o, char *why, size_t cap)
{
    if (!(g->flags & SLAB_POISON))
        return true;
    long from = g->fp_outside ? g->offset + PTR : g->inuse;
    if (g->flags & SLAB_STORE_USER)
        from += 2 * TRACK_BYTES + (g->kmalloc ? ORIG_SIZE_BYTES : 0);
    if (!(g->flags & SLAB_RED_ZONE) && g->object_size < g->inuse &&
        !expect(o, g->object_size, g->inuse, POISON_INUSE, "Alignment padding", why, cap))
        return false;
    return expect(o, from, (long)g->size - g->red_left_pad, POISON_INUSE, "Object padding", why, cap);
}

bool oracle_slab_check_live(const struct oracle_slab_geom *g, const void *obj, size_t req, char *why,
                            size_t cap)
{
    const uint8_t *o = obj;
    if (g->flags & SLAB_RED_ZONE) {
        if (!expect(o, -(long)g->red_left_pad, 0, RED_ACTIVE, "Left red zone", why, cap) ||
            !expect(o, g->object_size, g->inuse, RED_ACTIVE, "Right red zone", why, cap))
            return false;
        /* a kmalloc object remembers its request (Z with U): the bytes up
         * to the object end are red zone too */
        if (g->kmalloc && (g->flags & SLAB_STORE_USER) && req < g->object_size &&
            !expect(o, (long)req, g->object_size, RED_ACTIVE, "kmalloc red zone", why, cap))
            return false;
    }
    return check_padding(g, o, why, cap);
}

bool oracle_slab_check_freed(const struct oracle_slab_geom *g, const void *obj, char *why, size_t cap)
{
    const uint8_t *o = obj;
    if (g->flags & SLAB_RED_ZONE) {
        if (!expect(o, -(long)g->red_left_pad, 0, RED_INACTIVE, "Left red zone of a free object", why,
                    cap) ||
            !expect(o, g->object_size, g->inuse, RED_INACTIVE, "Right red zone of a free object", why,
                    cap))
            return false;
    }
    if (g->poison &&
        (!expect(o, 0, (long)g->object_size - 1, POISON_FREE, "Poison of a free object", why, cap) ||
         !expect(o, (long)g->object_size - 1, g->object_size, POISON_END, "End poison of a free object",
                 why, cap)))
        return false;
    return check_padding(g, o, why, cap);
}
