/* oracle_null.c - the NULL oracle (see oracle_null.h).
 *
 * Nothing here calls the allocator's watermark or fault code: the marks are
 * recomputed from the profile and the managed page counts, the alloc flags
 * from the gfp, and the fault points from the operation. The allocator is
 * read for state only: free pages and free-list lengths per zone, the
 * vmalloc window's unused tail, and its fault counters (which are checked
 * against the model, then taken as the new count so one disagreement is
 * reported once).
 *
 * Why a NULL can be decided exactly for a single page-allocator call: the
 * slow path's last step is an attempt at the MIN mark after any reclaim,
 * and nothing changes the zones after it. So if, after the NULL, a zone
 * passes that attempt's check, the call failed with the memory there. The
 * same holds for a SLUB slab refill (its last attempt is the minimum order
 * with the caller's flags) and, counting capacity, for vmalloc's pages
 * (they are given back on failure, which can add at most what was taken).
 */
#include "oracle_null.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "introspect.h"
#include "memblock.h"
#include "vmalloc.h"

#define CAP_UNKNOWN ULONG_MAX
#define HUGE_BAND (UINT64_MAX / 4)

/* 6.1 sysctl_lowmem_reserve_ratio (DMA, DMA32, NORMAL, HIGHMEM) */
static const unsigned reserve_ratio[MAX_NR_ZONES] = { 256, 256, 32, 0 };

static struct nullo_stats stats;

const struct nullo_stats *nullo_stats_get(void) { return &stats; }

void nullo_stats_print(FILE *out)
{
    const struct nullo_stats *s = &stats;
    double share = s->nulls ? 100.0 * (double)s->null_may / (double)s->nulls : 0.0;
    fprintf(out,
            "kmem-harness NULL oracle: %lu allocations judged (%lu must succeed, %lu must fail), "
            "%lu NULL: %lu fixed by the spec, %lu injected, %lu memory-bound, %lu may-fail "
            "(%.1f%% of NULLs in the may-fail band)\n",
            s->judged, s->must_succeed, s->must_fail, s->nulls, s->null_spec, s->null_injected,
            s->null_memory, s->null_may, share);
}

static void print_at_exit(void) { nullo_stats_print(stderr); }

void nullo_init(struct nullo *n, const struct kh_config *cfg, size_t max_cache_size, size_t max_size)
{
    static bool registered;
    memset(n, 0, sizeof(*n));
    n->page_shift = cfg->page_shift;
    n->page_size = (size_t)1 << cfg->page_shift;
    n->max_order = cfg->max_order;
    n->max_cache_size = max_cache_size;
    n->max_size = max_size;
    n->slub = cfg->slab == KH_SLAB_SLUB;
    n->linux_6_12 = cfg->kernel == KH_KERNEL_6_12;
    n->min_free_kbytes = cfg->min_free_kbytes;
    n->watermark_scale_factor = cfg->watermark_scale_factor;
    n->mode = KH_FAULT_OFF;
    if (!registered && getenv("KMEM_NULL_STATS")) {
        registered = true;
        atexit(print_at_exit);
    }
}

/* ---- watermarks (SPEC 3-4, 6.1 __setup_per_zone_wmarks) ---- */

static unsigned long floor_sqrt(unsigned long long v)
{
    unsigned long long lo = 0, hi = 1ull << 32;
    while (lo + 1 < hi) {   /* invariant: lo^2 <= v < hi^2 */
        unsigned long long mid = (lo + hi) / 2;
        if (mid * mid <= v)
            lo = mid;
        else
            hi = mid;
    }
    return (unsigned long)lo;
}

static void compute_marks(struct nullo *n, const struct nullo_state *s)
{
    struct nullo_marks *m = &n->m;
    unsigned long lowmem = 0;
    for (int z = 0; z < MAX_NR_ZONES; z++) {
        m->managed[z] = s->z[z].managed;
        if (z != ZONE_HIGHMEM)
            lowmem += s->z[z].managed;
    }
    /* init_per_zone_wmark_min: sqrt(lowmem KiB * 16), within 128 KiB .. 256 MiB */
    unsigned long min_kb = n->min_free_kbytes;
    if (!min_kb) {
        unsigned long long kb = (unsigned long long)lowmem << (n->page_shift - 10);
        min_kb = floor_sqrt(kb * 16);
        if (min_kb < 128)
            min_kb = 128;
        if (min_kb > 262144)
            min_kb = 262144;
    }
    unsigned long pages_min = min_kb >> (n->page_shift - 10);
    for (int z = 0; z < MAX_NR_ZONES; z++) {
        unsigned long managed = s->z[z].managed;
        unsigned long share = lowmem ? (unsigned long)((unsigned long long)pages_min * managed / lowmem) : 0;
        unsigned long min = share;
        if (z == ZONE_HIGHMEM) {   /* a small pool: managed / 1024 within 32 .. 128 */
            min = managed / 1024;
            min = min < 32 ? 32 : min > 128 ? 128 : min;
        }
        unsigned long scaled = (unsigned long)((unsigned long long)managed * n->watermark_scale_factor / 10000);
        unsigned long step = share / 4 > scaled ? share / 4 : scaled;
        if (!s->z[z].present)
            min = step = 0;
        m->min[z] = min;
        m->low[z] = min + step;
        m->high[z] = min + 2 * step;
    }
    /* setup_per_zone_lowmem_reserve: pages above a zone over its ratio */
    for (int z = 0; z < MAX_NR_ZONES; z++) {
        unsigned long above = 0;
        for (int c = 0; c < MAX_NR_ZONES; c++)
            m->reserve[z][c] = 0;
        for (int c = z + 1; c < MAX_NR_ZONES; c++) {
            above += s->z[c].managed;
            if (reserve_ratio[z] && s->z[z].managed)
                m->reserve[z][c] = above / reserve_ratio[z];
        }
    }
}

static void snapshot(struct kh *kh, struct nullo_state *s)
{
    for (int z = 0; z < MAX_NR_ZONES; z++) {
        struct kh_zone_info zi;
        struct nullo_zone *nz = &s->z[z];
        memset(nz, 0, sizeof(*nz));
        if (kh_zone_info(kh, (enum zone_type)z, &zi) != 0)
            continue;
        nz->present = zi.present;
        nz->managed = zi.managed;
        nz->free = zi.free;
        memcpy(nz->nr_free, zi.nr_free, sizeof(nz->nr_free));
    }
}

/* The marks are set when memory is initialised (a fresh instance, the
 * boot hand-over) from the managed pages of that moment; pages that
 * memblock_free_late adds afterwards do not move them, as in 6.1. */
static void refresh_marks(struct nullo *n, const struct nullo_state *s)
{
    if (!n->marks_set) {
        compute_marks(n, s);
        n->marks_set = true;
    }
}

const struct nullo_marks *nullo_marks(struct nullo *n, struct kh *kh)
{
    struct nullo_state s;
    snapshot(kh, &s);
    compute_marks(n, &s);
    return &n->m;
}

/* gfp_zone(): the highest zone a gfp may use; -1 for a combination the
 * kernel treats as a bug (two zone modifiers). */
static int gfp_zone_of(gfp_t gfp)
{
    gfp_t zb = gfp & (__GFP_DMA | __GFP_DMA32 | __GFP_HIGHMEM);
    if (zb & (zb - 1))
        return -1;
    return zb == __GFP_DMA ? ZONE_DMA : zb == __GFP_DMA32 ? ZONE_DMA32 : zb == __GFP_HIGHMEM ? ZONE_HIGHMEM
                                                                                            : ZONE_NORMAL;
}

/* Every reserve: __GFP_MEMALLOC (unless __GFP_NOMEMALLOC), or __GFP_NOFAIL
 * that may reclaim (its last resort). */
static bool no_watermarks(gfp_t gfp)
{
    if ((gfp & __GFP_MEMALLOC) && !(gfp & __GFP_NOMEMALLOC))
        return true;
    return (gfp & __GFP_NOFAIL) && (gfp & __GFP_DIRECT_RECLAIM);
}

/* The slow path's mark: MIN, less half for __GFP_HIGH, less a further
 * quarter without __GFP_NOMEMALLOC for __GFP_ATOMIC (6.1 ALLOC_HARDER), or
 * in 6.12 for __GFP_HIGH without __GFP_DIRECT_RECLAIM (ALLOC_MIN_RESERVE
 * with ALLOC_NON_BLOCK; __GFP_ATOMIC no longer exists; SPEC 10). */
static long slow_mark(const struct nullo *n, int z, gfp_t gfp)
{
    long mark = (long)n->m.min[z];
    if (gfp & __GFP_HIGH)
        mark -= mark / 2;
    bool harder = n->linux_6_12 ? (gfp & __GFP_HIGH) && !(gfp & __GFP_DIRECT_RECLAIM)
                                : (gfp & __GFP_ATOMIC) != 0;
    if (harder && !(gfp & __GFP_NOMEMALLOC))
        mark -= mark / 4;
    return mark;
}

/* How many successive order-`order` calls with this gfp the zones can
 * serve without reclaim: per zone, the blocks of that order or above, and
 * the calls that leave free pages above the mark plus the lowmem reserve. */
static unsigned long capacity(const struct nullo *n, const struct nullo_state *s, gfp_t gfp, unsigned order)
{
    int cz = gfp_zone_of(gfp);
    if (cz < 0 || order >= n->max_order)
        return CAP_UNKNOWN;
    unsigned long total = 0, block = 1ul << order;
    for (int z = cz; z >= 0; z--) {
        const struct nullo_zone *nz = &s->z[z];
        if (!nz->present)
            continue;
        unsigned long units = 0;
        for (unsigned o = order; o < n->max_order && o < KH_MAX_ORDER_LIMIT; o++)
            units += nz->nr_free[o] << (o - order);
        unsigned long cap = units;
        if (!no_watermarks(gfp)) {
            long avail = (long)nz->free - (long)(block - 1) - slow_mark(n, z, gfp) - (long)n->m.reserve[z][cz];
            unsigned long calls = avail <= 0 ? 0 : (unsigned long)(avail - 1) / block + 1;
            cap = calls < units ? calls : units;
        }
        total += cap;
    }
    return total;
}

enum verdict { MUST_SUCCEED, MAY_FAIL, MUST_FAIL };

/* count calls of this order and gfp, judged on state s: without reclaim
 * (no __GFP_DIRECT_RECLAIM: the model has no kswapd) nothing can add
 * memory, so too little capacity means failure. */
static enum verdict pages_verdict(const struct nullo *n, const struct nullo_state *s, gfp_t gfp, unsigned order,
                                  unsigned long count)
{
    unsigned long cap = capacity(n, s, gfp, order);
    if (cap == CAP_UNKNOWN)
        return MAY_FAIL;
    if (cap >= count)
        return MUST_SUCCEED;
    return (gfp & __GFP_DIRECT_RECLAIM) ? MAY_FAIL : MUST_FAIL;
}

int nullo_fast_path_zone(const struct nullo *n, gfp_t gfp, unsigned order)
{
    int cz = gfp_zone_of(gfp);
    if (cz < 0 || order >= n->max_order || !n->marks_set)
        return -1;
    for (int z = cz; z >= 0; z--) {
        const struct nullo_zone *nz = &n->pre.z[z];
        if (!nz->present)
            continue;
        bool block = false;
        for (unsigned o = order; o < n->max_order && o < KH_MAX_ORDER_LIMIT && !block; o++)
            block = nz->nr_free[o] != 0;
        long avail = (long)nz->free - (long)((1ul << order) - 1) - (long)n->m.low[z] - (long)n->m.reserve[z][cz];
        if (block && avail > 0)
            return z;
    }
    return -1;
}

bool nullo_pages_must_fail(const struct nullo *n, gfp_t gfp, unsigned order)
{
    return pages_verdict(n, &n->pre, gfp, order, 1) == MUST_FAIL;
}

/* ---- the gfp each path hands to the page allocator (6.1) ---- */

static int order_of(const struct nullo *n, size_t size)
{
    if (size <= 1)
        return 0;
    unsigned long pages = (unsigned long)((size - 1) >> n->page_shift);
    int o = 0;
    while (pages) {
        o++;
        pages >>= 1;
    }
    return o;
}

/* __get_free_pages drops __GFP_HIGHMEM (the executor reaches alloc_pages through it). */
static gfp_t gfp_free_pages(gfp_t gfp) { return gfp & ~__GFP_HIGHMEM; }
/* kmalloc_large: the slab bug mask fixed, a compound page */
static gfp_t gfp_kmalloc_large(gfp_t gfp) { return (gfp & ~(__GFP_DMA32 | __GFP_HIGHMEM)) | __GFP_COMP; }
/* a new slab: the caller's reclaim bits, the cache's zone */
static gfp_t gfp_slab(gfp_t gfp, gfp_t zone)
{
    return (gfp & ~(__GFP_ZERO | GFP_ZONEMASK | __GFP_DMA32 | __GFP_HIGHMEM)) | zone;
}
/* vmalloc's pages: no per-page warning, highmem unless a DMA zone was asked */
static gfp_t gfp_vmalloc_page(gfp_t gfp)
{
    gfp_t g = (gfp | __GFP_NOWARN) & ~__GFP_ZERO;
    if (!(gfp & (__GFP_DMA | __GFP_DMA32)))
        g |= __GFP_HIGHMEM;
    return g;
}
/* kvmalloc_node's kmalloc attempt above PAGE_SIZE: quiet, no retry unless
 * __GFP_RETRY_MAYFAIL, never NOFAIL (the vmalloc fallback implements it) */
static gfp_t gfp_kvmalloc_attempt(gfp_t gfp)
{
    gfp_t g = gfp | __GFP_NOWARN;
    if (!(g & __GFP_RETRY_MAYFAIL))
        g |= __GFP_NORETRY;
    return g & ~__GFP_NOFAIL;
}

static unsigned long vm_pages(const struct nullo *n, size_t size)
{
    return (unsigned long)((size >> n->page_shift) + ((size & (n->page_size - 1)) != 0));
}

static unsigned long total_pages(const struct nullo_state *s)
{
    unsigned long t = 0;
    for (int z = 0; z < MAX_NR_ZONES; z++)
        t += s->z[z].present ? s->z[z].managed : 0;
    return t;
}

/* The window's unused tail takes nr pages and a guard: first fit finds room. */
static bool vm_window_sure(struct kh *kh, unsigned long nr)
{
    struct kh_vmalloc_stats vs;
    kh_vmalloc_get_stats(kh, &vs);
    return vs.va_pages > vs.va_hwm_pages && vs.va_pages - vs.va_hwm_pages >= nr + 1;
}

/* ---- fault points per operation ---- */

struct shape {
    uint64_t lo, hi;      /* points the op makes when nothing is injected */
    bool first_certain;   /* its first point is the next one, whatever the state */
    uint64_t slack;       /* points that may follow an injected one */
};

/* k times a per-object count of points, saturating: an unbounded band
 * stays unbounded rather than wrapping into a small one. */
static uint64_t band_times(uint64_t per, uint64_t k)
{
    return k && per > HUGE_BAND / k ? HUGE_BAND : per * k;
}

static uint64_t pts(const struct nullo *n, unsigned dom, gfp_t gfp)
{
    return n->mode != KH_FAULT_OFF && (n->domains & dom) && !(gfp & __GFP_NOFAIL) ? 1 : 0;
}

static struct shape shape_pages(const struct nullo *n, gfp_t gfp, unsigned order)
{
    uint64_t p = order < n->max_order ? pts(n, KH_FAULT_PAGE, gfp) : 0;
    return (struct shape){ p, p, p > 0, 0 };
}

/* One failslab point per slab allocation call; a refill adds up to two
 * page points (the preferred order without NOFAIL, then the minimum). */
static struct shape shape_slab(const struct nullo *n, gfp_t gfp)
{
    uint64_t s = pts(n, KH_FAULT_SLAB, gfp);
    uint64_t pg = n->mode != KH_FAULT_OFF && (n->domains & KH_FAULT_PAGE) ? ((gfp & __GFP_NOFAIL) ? 1 : 2) : 0;
    if (!n->slub)   /* classic SLAB / SLOB: refills may allocate management too */
        return (struct shape){ s, pg ? HUGE_BAND : s, s > 0, pg ? HUGE_BAND : 0 };
    return (struct shape){ s, s + pg, s > 0, pg ? 1 : 0 };
}

/* This harness counts kmalloc_large as a failslab point too (kmem.h). */
static struct shape shape_kmalloc(const struct nullo *n, size_t size, gfp_t gfp)
{
    if (size == 0 || size > n->max_size)
        return (struct shape){ 0, 0, false, 0 };
    if (size > n->max_cache_size) {
        uint64_t p = pts(n, KH_FAULT_SLAB, gfp) + pts(n, KH_FAULT_PAGE, gfp);
        return (struct shape){ p, p, p > 0, 0 };
    }
    return shape_slab(n, gfp);
}

static struct shape shape_vmalloc(const struct nullo *n, const struct nullo_state *s, struct kh *kh, size_t size,
                                  gfp_t gfp)
{
    unsigned long nr = vm_pages(n, size);
    if (size == 0 || nr > total_pages(s))
        return (struct shape){ 0, 0, false, 0 };
    uint64_t v = pts(n, KH_FAULT_VMALLOC, gfp), pg = pts(n, KH_FAULT_PAGE, gfp) ? nr : 0;
    bool sure = vm_window_sure(kh, nr);
    /* the page calls stop at the first that fails: all of them happen only
     * when memory for every page is certain */
    bool all = sure && pages_verdict(n, s, gfp_vmalloc_page(gfp), 0, nr) == MUST_SUCCEED;
    uint64_t lo = all ? v + pg : sure && pg ? v + 1 : v;
    return (struct shape){ lo, v + pg, v > 0 || (sure && pg > 0), 0 };
}

static bool kv_falls_back(const struct nullo *n, size_t size, gfp_t gfp)
{
    return size > n->page_size && (gfp & __GFP_DIRECT_RECLAIM) && size <= INT_MAX;
}

static struct shape shape_of(const struct nullo *n, struct kh *kh, const struct nullo_call *c)
{
    if (c->over_limit)   /* refused on its arguments, before any fault point */
        return (struct shape){ 0, 0, false, 0 };
    switch (c->kind) {
    case NK_PAGES:
        return shape_pages(n, c->gfp, c->order);
    case NK_KMALLOC:
        return shape_kmalloc(n, c->size, c->gfp);
    case NK_CACHE:
        return shape_slab(n, c->gfp);
    case NK_BULK: {
        /* 6.1 asks should_failslab once per bulk call (slab_pre_alloc_hook) */
        struct shape one = shape_slab(n, c->gfp);
        uint64_t pg = band_times(one.hi - one.lo, c->count);
        /* a refill that survives an injected first attempt lets the call go on */
        return (struct shape){ one.lo, one.lo + pg, one.first_certain, pg };
    }
    case NK_VMALLOC:
        return shape_vmalloc(n, &n->pre, kh, c->size, c->gfp);
    case NK_KVMALLOC: {
        if (c->size <= n->page_size)
            return shape_kmalloc(n, c->size, c->gfp);
        struct shape k = shape_kmalloc(n, c->size, gfp_kvmalloc_attempt(c->gfp));
        if (!kv_falls_back(n, c->size, c->gfp))
            return k;
        struct shape v = shape_vmalloc(n, &n->pre, kh, c->size, c->gfp);
        /* an injected kmalloc attempt is followed by the whole vmalloc */
        return (struct shape){ k.lo, k.hi + v.hi, k.first_certain, k.slack + v.hi };
    }
    case NK_KREALLOC: {
        struct shape k = shape_kmalloc(n, c->size, c->gfp);   /* or none: it may stay in place */
        return (struct shape){ 0, k.hi, false, k.slack };
    }
    case NK_PERCPU: {
        /* one point, under the gfp a chunk's pages get (SPEC 9: GFP_KERNEL's
         * bits, NORETRY and NOWARN of the caller's; never NOFAIL) */
        uint64_t p = pts(n, KH_FAULT_PERCPU, c->gfp & (GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN));
        return (struct shape){ p, HUGE_BAND, p > 0, HUGE_BAND };
    }
    case NK_REALLOC_612: {
        /* krealloc (none when in place), then after a failure the whole
         * kvmalloc with its vmalloc fallback; vrealloc is a new vmalloc
         * area, whatever the flags (SPEC 10) */
        struct nullo_call kv = *c;
        kv.kind = NK_KVMALLOC;
        uint64_t hi = shape_kmalloc(n, c->size, c->gfp).hi + shape_of(n, kh, &kv).hi +
                      shape_vmalloc(n, &n->pre, kh, c->size, c->gfp).hi;
        return (struct shape){ 0, hi, false, hi };
    }
    }
    return (struct shape){ 0, HUGE_BAND, false, HUGE_BAND };
}

/* ---- lifecycle ---- */

void nullo_mem_init(struct nullo *n) { n->marks_set = false; }

void nullo_run_begin(struct nullo *n, struct kh *kh)
{
    n->marks_set = false;
    n->mode = KH_FAULT_OFF;
    n->count = 0;
    n->attempts0 = kh_fault_attempts(kh);
    n->injected0 = kh_fault_injected(kh);
}

void nullo_fault_set(struct nullo *n, const struct kh_fault_config *fc)
{
    n->mode = fc ? fc->mode : KH_FAULT_OFF;
    n->nth = fc ? fc->nth : 0;
    n->domains = fc ? (fc->domains ? fc->domains : KH_FAULT_ALL) : 0;
    /* kh_fault_set / kh_fault_clear restart the allocator's counters */
    n->count = 0;
    n->attempts0 = 0;
    n->injected0 = 0;
}

void nullo_op_begin(struct nullo *n, struct kh *kh, bool snap)
{
    n->attempts0 = kh_fault_attempts(kh);
    n->injected0 = kh_fault_injected(kh);
    n->judged = false;
    n->injected = false;
    if (snap) {
        snapshot(kh, &n->pre);
        refresh_marks(n, &n->pre);
    }
}

#define WHY(...) (snprintf(why, cap, __VA_ARGS__), false)

bool nullo_op_end(struct nullo *n, struct kh *kh, char *why, size_t cap)
{
    uint64_t A = kh_fault_attempts(kh) - n->attempts0, I = kh_fault_injected(kh) - n->injected0;
    uint64_t C = n->count, N = n->nth;
    struct shape sh = n->judged ? (struct shape){ n->sh_lo, n->sh_hi, n->sh_first, n->sh_slack }
                                 : (struct shape){ 0, HUGE_BAND, false, HUGE_BAND };
    n->count = C + A;   /* checked below; one disagreement is reported once */
    unsigned long long a = (unsigned long long)A, c1 = (unsigned long long)C + 1, ca = (unsigned long long)(C + A);
    switch (n->mode) {
    case KH_FAULT_OFF:
        if (A || I)
            return WHY("fault injection is off, yet this call made %llu fault point(s) and %llu injection(s)", a,
                       (unsigned long long)I);
        return true;
    case KH_FAULT_NTH:
        if (I > 1)
            return WHY("fail_nth %llu injected %llu faults in one call", (unsigned long long)N, (unsigned long long)I);
        if (I == 1 && !(C < N && N <= C + A))
            return WHY("fail_nth %llu: a fault was injected here, at fault points %llu..%llu by the model", 
                       (unsigned long long)N, c1, ca);
        if (I == 0 && C < N && N <= C + A)
            return WHY("fail_nth %llu: fault point %llu passed without an injection (points %llu..%llu here)",
                       (unsigned long long)N, (unsigned long long)N, c1, ca);
        if (I == 0 && sh.first_certain && C + 1 == N)
            return WHY("fail_nth %llu: this call's first fault point is number %llu, and it did not fail",
                       (unsigned long long)N, c1);
        if (I == 1 && A > N - C + sh.slack)
            return WHY("fail_nth %llu: the call went on for %llu fault points past the injected one",
                       (unsigned long long)N, (unsigned long long)(A - (N - C)));
        break;
    case KH_FAULT_FROM:
        if (I > 0 && C + A < N)
            return WHY("fail_from %llu: a fault was injected at points %llu..%llu, before %llu", (unsigned long long)N,
                       c1, ca, (unsigned long long)N);
        if (I == 0 && A > 0 && C + A >= N)
            return WHY("fail_from %llu: fault points up to %llu passed without an injection", (unsigned long long)N, ca);
        if (I == 0 && sh.first_certain && C + 1 >= N)
            return WHY("fail_from %llu: this call's first fault point is number %llu, and it did not fail",
                       (unsigned long long)N, c1);
        break;
    case KH_FAULT_RANDOM:
        break;
    }
    if (I == 0 && (A < sh.lo || A > sh.hi))
        return WHY("this call made %llu fault point(s); the model says %llu..%llu", a, (unsigned long long)sh.lo,
                   (unsigned long long)sh.hi);
    if (I > 0 && A > sh.hi + sh.slack)
        return WHY("this call made %llu fault point(s); the model allows at most %llu", a,
                   (unsigned long long)(sh.hi + sh.slack));
    return true;
}

/* ---- judging one allocation ---- */

struct judge {
    struct nullo *n;
    struct kh *kh;
    struct nullo_state post;
    bool have_post;
    char *why;
    size_t cap;
};

static const struct nullo_state *post_state(struct judge *j)
{
    if (!j->have_post) {
        snapshot(j->kh, &j->post);
        j->have_post = true;
    }
    return &j->post;
}

static void count_verdict(enum verdict v)
{
    if (v == MUST_SUCCEED)
        stats.must_succeed++;
    else if (v == MUST_FAIL)
        stats.must_fail++;
}

/* One page-allocator call (or `count` calls) whose last attempt leaves the
 * zones as they are now when it fails. ok: the result. Returns a finding
 * kind or NULL; *decided tells a NULL decided from one in the band. */
static const char *judge_pages(struct judge *j, gfp_t g, unsigned order, unsigned long count, bool ok,
                               bool may_window, bool *decided, const char *what)
{
    const struct nullo *n = j->n;
    enum verdict v = pages_verdict(n, &n->pre, g, order, count);
    if (may_window && v == MUST_SUCCEED)
        v = MAY_FAIL;
    count_verdict(v);
    *decided = false;
    if (ok) {
        if (v == MUST_FAIL && count == 1) {
            snprintf(j->why, j->cap,
                     "%s succeeded, but no zone could pass its watermark (order %u, gfp %#x, no direct reclaim)",
                     what, order, g);
            return "must fail";
        }
        return NULL;
    }
    if (v == MUST_SUCCEED) {
        snprintf(j->why, j->cap,
                 "%s failed, but the zones held %lu order-%u block(s) above the watermarks for gfp %#x "
                 "(%lu needed)", what, capacity(n, &n->pre, g, order), order, g, count);
        return "unexpected NULL";
    }
    unsigned long after = capacity(n, post_state(j), g, order);
    if (after != CAP_UNKNOWN && after >= count && !may_window) {
        snprintf(j->why, j->cap,
                 "%s failed, yet after it the zones hold %lu order-%u block(s) above the watermarks for "
                 "gfp %#x: its last attempt must have passed", what, after, order, g);
        return "unexpected NULL";
    }
    *decided = after != CAP_UNKNOWN && !may_window;
    return NULL;
}

/* A slab path: a free object, or a new slab whose last attempt is the
 * minimum order with the caller's flags (SLUB). */
static const char *judge_slab(struct judge *j, gfp_t g, unsigned order, unsigned long count, bool ok, bool *decided,
                              const char *what)
{
    *decided = false;
    if (!j->n->slub)
        return NULL;
    enum verdict v = pages_verdict(j->n, &j->n->pre, g, order, count);
    if (v == MUST_SUCCEED)
        count_verdict(v);
    if (ok)
        return NULL;
    if (v == MUST_SUCCEED) {
        snprintf(j->why, j->cap,
                 "%s failed, but a new slab (order %u, gfp %#x) fits above the watermarks %lu time(s) (%lu needed)",
                 what, order, g, capacity(j->n, &j->n->pre, g, order), count);
        return "unexpected NULL";
    }
    if (count != 1)
        return NULL;   /* a bulk call gives back what it got: the state after says little */
    unsigned long after = capacity(j->n, post_state(j), g, order);
    if (after != CAP_UNKNOWN && after >= 1) {
        snprintf(j->why, j->cap,
                 "%s failed, yet after it an order-%u slab with gfp %#x fits above the watermarks: "
                 "its last attempt must have passed", what, order, g);
        return "unexpected NULL";
    }
    *decided = after != CAP_UNKNOWN;
    return NULL;
}

static const char *judge_kmalloc(struct judge *j, size_t size, gfp_t gfp, unsigned slab_order, bool ok,
                                 bool *decided, const char *what)
{
    const struct nullo *n = j->n;
    /* A gfp with two zone modifiers is a caller bug the kernel only warns
     * about (kmalloc_fix_flags, GFP_ZONE_BAD): what it then asks of the
     * zones is not fixed, so it stays in the band. */
    if (gfp_zone_of(gfp) < 0) {
        *decided = false;
        return NULL;
    }
    if (size > n->max_cache_size)
        return judge_pages(j, gfp_kmalloc_large(gfp), (unsigned)order_of(n, size), 1, ok, false, decided, what);
    return judge_slab(j, gfp_slab(gfp, gfp & __GFP_DMA), slab_order, 1, ok, decided, what);
}

static const char *judge_vmalloc(struct judge *j, size_t size, gfp_t gfp, bool ok, bool *decided)
{
    unsigned long nr = vm_pages(j->n, size);
    if (nr > total_pages(&j->n->pre)) {   /* "exceeds total pages": refused on its size */
        *decided = true;
        return NULL;
    }
    bool sure = vm_window_sure(j->kh, nr);
    return judge_pages(j, gfp_vmalloc_page(gfp), 0, nr, ok, !sure, decided, "vmalloc");
}

/* kvmalloc_node (6.1 mm/util.c): kmalloc first (above PAGE_SIZE with the
 * attempt's own flags), then vmalloc with the caller's flags, only for a
 * gfp that may block and a size up to INT_MAX. */
static const char *judge_kvmalloc(struct judge *j, const struct nullo_call *c, const void *p, bool vm,
                                  bool *decided)
{
    const struct nullo *n = j->n;
    if (c->size <= n->page_size) {
        if (vm) {
            snprintf(j->why, j->cap, "kvmalloc(%zu) fell back to vmalloc; at most PAGE_SIZE it never does", c->size);
            return "kvmalloc fallback";
        }
        return judge_kmalloc(j, c->size, c->gfp, c->slab_order, p != NULL, decided, "kvmalloc's kmalloc");
    }
    gfp_t kf = gfp_kvmalloc_attempt(c->gfp);
    bool fallback = kv_falls_back(n, c->size, c->gfp);
    if (p && !vm)   /* the kmalloc attempt succeeded */
        return NULL;
    /* The attempt failed: it must have been allowed to. */
    enum verdict kv = MUST_FAIL;
    if (c->size <= n->max_size)
        kv = c->size > n->max_cache_size
                 ? pages_verdict(n, &n->pre, gfp_kmalloc_large(kf), (unsigned)order_of(n, c->size), 1)
                 : n->slub ? (pages_verdict(n, &n->pre, gfp_slab(kf, kf & __GFP_DMA), c->slab_order, 1) == MUST_SUCCEED
                                  ? MUST_SUCCEED : MAY_FAIL)
                           : MAY_FAIL;
    if (kv == MUST_SUCCEED) {
        snprintf(j->why, j->cap,
                 "kvmalloc(%zu, %#x) %s, but its kmalloc attempt (gfp %#x) fits above the watermarks",
                 c->size, c->gfp, vm ? "fell back to vmalloc" : "failed", kf);
        return vm ? "kvmalloc fallback" : "unexpected NULL";
    }
    if (vm && !fallback) {
        snprintf(j->why, j->cap,
                 "kvmalloc(%zu, %#x) fell back to vmalloc; 6.1 does so only for a gfp that may block and a "
                 "size up to INT_MAX", c->size, c->gfp);
        return "kvmalloc fallback";
    }
    if (!fallback) {
        *decided = kv == MUST_FAIL;
        return NULL;
    }
    return judge_vmalloc(j, c->size, c->gfp, vm, decided);
}

const char *nullo_judge(struct nullo *n, struct kh *kh, const struct nullo_call *c, const void *p, bool vm,
                        char *why, size_t cap)
{
    struct shape sh = shape_of(n, kh, c);
    if (kh_boot_in_progress(kh))   /* the page allocator refuses before its fault point */
        sh = (struct shape){ 0, sh.hi, false, HUGE_BAND };
    n->sh_lo = sh.lo;
    n->sh_hi = sh.hi;
    n->sh_first = sh.first_certain;
    n->sh_slack = sh.slack;
    n->judged = true;
    stats.judged++;
    bool ok = p != NULL;
    if (!ok)
        stats.nulls++;
    /* size 0 (or an overflowed array) is the spec's, as is anything during boot */
    bool zero = c->size == 0 && c->kind != NK_PAGES && c->kind != NK_CACHE && c->kind != NK_BULK;
    if (c->over_limit || zero || kh_boot_in_progress(kh)) {
        if (!ok)
            stats.null_spec++;
        return NULL;
    }
    if (kh_fault_injected(kh) > n->injected0) {
        /* placed or not, nullo_op_end judges it; the memory model stands aside */
        n->injected = true;
        if (!ok)
            stats.null_injected++;
        return NULL;
    }
    struct judge j = { .n = n, .kh = kh, .why = why, .cap = cap };
    bool decided = false;
    const char *kind = NULL;
    switch (c->kind) {
    case NK_PAGES:
        kind = judge_pages(&j, gfp_free_pages(c->gfp), c->order, 1, ok, false, &decided, "alloc_pages");
        break;
    case NK_KREALLOC:
        /* a success may have stayed in place (6.1 __do_krealloc: ksize
         * already covers the new size) and asked nothing of the zones */
        if (ok)
            break;
        /* fall through: a NULL tried to allocate */
    case NK_KMALLOC:
        kind = judge_kmalloc(&j, c->size, c->gfp, c->slab_order, ok, &decided, "kmalloc");
        break;
    case NK_CACHE:
        kind = judge_slab(&j, gfp_slab(c->gfp, c->cache_zone), c->slab_order, 1, ok, &decided, "kmem_cache_alloc");
        break;
    case NK_BULK:
        kind = judge_slab(&j, gfp_slab(c->gfp, c->cache_zone), c->slab_order, c->count, ok, &decided,
                          "kmem_cache_alloc_bulk");
        break;
    case NK_VMALLOC:
        kind = judge_vmalloc(&j, c->size, c->gfp, ok, &decided);
        break;
    case NK_KVMALLOC:
        kind = judge_kvmalloc(&j, c, p, vm, &decided);
        break;
    case NK_PERCPU:
        break;   /* chunk growth is not modelled: the band */
    case NK_REALLOC_612:
        break;   /* in place or not, which path failed is not modelled: the band */
    }
    if (!ok && !kind) {
        decided ? stats.null_memory++ : stats.null_may++;
        if (!decided && getenv("KMEM_NULL_DEBUG"))
            fprintf(stderr, "may-fail: kind %d size %zu order %u gfp %#x count %lu\n", (int)c->kind, c->size,
                    c->order, c->gfp, c->count);
    }
    return kind;
}
