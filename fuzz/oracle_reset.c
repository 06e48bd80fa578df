/* oracle_reset.c - kh_reset leaves the instance as it was created (see
 * oracle_reset.h). The snapshot is text, so that a difference can be shown
 * as the first line that differs.
 */
#include "oracle_reset.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "introspect.h"
#include "memblock.h"
#include "mempool.h"
#include "page_alloc.h"
#include "percpu.h"
#include "slab.h"
#include "text.h"
#include "vmalloc.h"

struct buf {
    char *p;
    size_t len, cap;
    bool oom;
};

/* Room for extra more bytes and a NUL; false (b->oom set) when the host
 * is out of memory. */
static bool reserve(struct buf *b, size_t extra)
{
    if (b->p && b->len + extra < b->cap)
        return true;
    size_t cap = (b->cap ? b->cap * 2 : 4096) + extra;
    char *p = realloc(b->p, cap);
    if (!p) {
        b->oom = true;
        return false;
    }
    b->p = p;
    b->cap = cap;
    return true;
}

static void put(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct buf *b, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? b->cap - b->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0)
            return;
        if (b->p && b->len + (size_t)n < b->cap) {
            b->len += (size_t)n;
            return;
        }
        if (!reserve(b, (size_t)n + 1))
            return;
    }
}

/* The lines written for every block, cache and chunk go through text.h,
 * not printf: under ASan vsnprintf was most of an input's fixed cost.
 * Each reserves room for its line and writes at the end of the buffer. */
static char *line_start(struct buf *b, size_t most)
{
    return reserve(b, most) ? b->p + b->len : NULL;
}

static void line_end(struct buf *b, char *end)
{
    b->len = (size_t)(end - b->p);
    b->p[b->len] = '\0';
}

/* Appends " zone/order/pfn", and "L" for a lazy block. */
static int put_block(void *ctx, const struct kh_block_info *bi)
{
    char *p = line_start(ctx, 4 + 3 * TEXT_NUMBER_MAX);
    if (!p)
        return 0;
    p = text_ulong(text_str(p, " "), (unsigned long)bi->zone);   /* zone indexes are never negative */
    p = text_ulong(text_str(p, "/"), bi->order);
    p = text_ulong(text_str(p, "/"), bi->pfn);
    line_end(ctx, bi->lazy ? text_str(p, "L") : p);
    return 0;
}

/* Appends " label value" for each of n pairs. */
static char *fields(char *p, const char *const *label, const unsigned long *value, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p = text_ulong(text_str(text_str(text_str(p, " "), label[i]), " "), value[i]);
    return p;
}

#define NFIELDS(a) (sizeof(a) / sizeof((a)[0]))

static int put_cache(void *ctx, const struct kh_cache_info *c)
{
    static const char *const label[] = { "obj", "size", "align", "order", "objects", "ref" };
    static const char *const label2[] = { "ctor", "dead", "slabs", "objs", "inuse", "lists" };
    const unsigned long value[] = { c->object_size, c->size, c->align, c->order, c->objects_per_slab,
                                    c->refcount };
    const unsigned long value2[] = { (unsigned long)c->has_ctor, (unsigned long)c->dead, c->nr_slabs,
                                     c->nr_objects, c->nr_inuse, c->nr_partial };
    char *p = line_start(ctx, strlen(c->name) + 128 + 16 * TEXT_NUMBER_MAX);
    if (!p)
        return 0;
    p = text_str(text_str(p, "cache "), c->name);
    p = fields(p, label, value, NFIELDS(value));
    p = text_hex(text_str(p, " flags "), (unsigned long)(unsigned)c->flags);
    p = fields(p, label2, value2, NFIELDS(value2));
    p = text_ulong(text_str(p, "/"), c->nr_full);
    p = text_ulong(text_str(p, "/"), c->nr_free);
    p = text_ulong(text_str(p, " errors "), c->errors);
    line_end(ctx, text_str(p, "\n"));
    return 0;
}

static int put_chunk(void *ctx, const struct kh_percpu_chunk_info *c)
{
    static const char *const label[] = { "pfn", "order", "allocs", "used" };
    const unsigned long value[] = { c->first_pfn, c->order, c->nr_allocs, c->used_bytes };
    char *p = line_start(ctx, 64 + 5 * TEXT_NUMBER_MAX);
    if (!p)
        return 0;
    p = fields(text_ulong(text_str(p, "pcpu chunk "), c->index), label, value, NFIELDS(value));
    line_end(ctx, text_str(p, "\n"));
    return 0;
}

static int put_region(void *ctx, phys_addr_t base, phys_addr_t size)
{
    char *p = line_start(ctx, 8 + 2 * TEXT_NUMBER_MAX);
    if (!p)
        return 0;
    p = text_hex(text_str(p, " ["), (unsigned long)base);
    p = text_hex(text_str(p, "+"), (unsigned long)size);
    line_end(ctx, text_str(p, "]"));
    return 0;
}

/* Everything the introspection API shows about the instance. */
static void snapshot(struct kh *kh, struct buf *b)
{
    b->len = 0;
    for (int z = 0; z < MAX_NR_ZONES; z++) {
        struct kh_zone_info zi;
        if (kh_zone_info(kh, (enum zone_type)z, &zi) != 0 || !zi.present)
            continue;
        put(b, "zone %s %lu-%lu managed %lu free %lu wmark %lu/%lu/%lu lazy %lu-%lu nr_free", zi.name,
            zi.start_pfn, zi.end_pfn, zi.managed, zi.free, zi.wmark_min, zi.wmark_low, zi.wmark_high,
            zi.lazy_pfn, zi.lazy_end);
        for (unsigned o = 0; o < KH_MAX_ORDER_LIMIT; o++)
            put(b, " %lu", zi.nr_free[o]);
        put(b, " reserve");
        for (int y = 0; y < MAX_NR_ZONES; y++)
            put(b, " %lu", zi.lowmem_reserve[y]);
        put(b, "\n");
    }
    put(b, "free pages %lu\nfree blocks", kh_nr_free_pages(kh));
    kh_for_each_free_block(kh, put_block, b);
    put(b, "\nallocated blocks");
    kh_for_each_allocated_block(kh, put_block, b);
    put(b, "\ncaches %u\n", kh_slab_cache_count(kh));
    kh_for_each_cache(kh, put_cache, b);
    struct kh_vmalloc_stats vs;
    kh_vmalloc_get_stats(kh, &vs);
    put(b, "vmalloc %p pages %lu hwm %lu areas %lu mapped %lu\n", vs.va_start, vs.va_pages,
        vs.va_hwm_pages, vs.nr_areas, vs.nr_pages);
    struct kh_percpu_stats ps;
    kh_percpu_get_stats(kh, &ps);
    put(b, "percpu chunks %lu allocs %lu used %zu preempt %u\n", ps.nr_chunks, ps.nr_allocs, ps.used_bytes,
        ps.preempt_count);
    kh_percpu_walk(kh, put_chunk, NULL, b);
    put(b, "mempools %u\n", kh_mempool_count(kh));
    struct kh_memblock_info mi;
    kh_memblock_get_info(kh, &mi);
    put(b, "memblock phase %d limit %#llx reserved %#llx regions %lu allocs %lu reserved pages %lu "
        "handed over %lu:", (int)mi.phase, (unsigned long long)mi.limit,
        (unsigned long long)mi.reserved_bytes, mi.nr_regions, mi.nr_allocs, mi.reserved_pages,
        mi.handed_over_pages);
    kh_memblock_for_each_reserved(kh, put_region, b);
    struct kh_copy_info cp, cl;
    kh_last_copy(kh, &cp);
    kh_last_clear(kh, &cl);
    put(b, "\nfaults injected %llu reports %u/%u cpu %u copy %p<-%p %zu #%lu clear %p %zu #%lu\n",
        (unsigned long long)kh_fault_injected(kh), kh_report_count(kh, KH_SEV_WARN),
        kh_report_count(kh, KH_SEV_BUG), kh_current_cpu(kh), cp.dst, cp.src, cp.n, cp.count, cl.dst,
        cl.n, cl.count);
}

bool oracle_reset_init(struct oracle_reset *r, struct kh *kh)
{
    memset(r, 0, sizeof(*r));
    struct buf b = { 0 };
    snapshot(kh, &b);
    if (b.oom) {
        free(b.p);
        return false;
    }
    r->fresh = b.p;
    r->fresh_len = b.len;
    return true;
}

void oracle_reset_free(struct oracle_reset *r)
{
    free(r->fresh);
    free(r->now);
    memset(r, 0, sizeof(*r));
}

struct sampler {
    struct oracle_reset *r;
    const char *fresh_allocated;   /* the fresh snapshot's allocated-blocks line */
    size_t fresh_len;              /* up to its newline, which it does not count */
};

/* A block that is allocated in the fresh instance too (the allocator's own
 * start-up memory) may keep its contents. */
static bool fresh_block(const char *line, size_t len, const struct kh_block_info *bi)
{
    char tok[64];
    size_t n = (size_t)snprintf(tok, sizeof(tok), " %d/%u/%lu", bi->zone, bi->order, bi->pfn);
    const char *end = line + len;   /* the newline that ends the line */
    for (const char *p = memmem(line, len, tok, n); p; p = memmem(p + 1, (size_t)(end - p - 1), tok, n))
        if (p[n] == ' ' || p[n] == '\n' || p[n] == 'L')
            return true;
    return false;
}

static int sample_block(void *ctx, const struct kh_block_info *bi)
{
    struct sampler *s = ctx;
    if (s->r->npfn == ORACLE_RESET_SAMPLES)
        return 1;
    if (!bi->lazy && !fresh_block(s->fresh_allocated, s->fresh_len, bi))
        s->r->pfn[s->r->npfn++] = bi->pfn;
    return 0;
}

void oracle_reset_before(struct oracle_reset *r, struct kh *kh)
{
    r->npfn = 0;
    if (!r->fresh)
        return;
    struct sampler s = { r, strstr(r->fresh, "\nallocated blocks"), 0 };
    if (!s.fresh_allocated)
        return;
    s.fresh_len = strcspn(s.fresh_allocated + 1, "\n") + 1;
    kh_for_each_allocated_block(kh, sample_block, &s);
}

/* The arena is poisoned to ASan after a reset: read around it. Runs over
 * every sampled page after every input, so it reads words and is left out
 * of the coverage the fuzzer follows (its branches say nothing about the
 * allocator). from and to are multiples of 8 here (page edges). */
__attribute__((no_sanitize("address", "coverage")))
static long nonzero_at(const unsigned char *p, size_t from, size_t to)
{
    for (size_t i = from; i < to; i += 8) {
        uint64_t w = *(const volatile uint64_t *)(const void *)(p + i);
        if (w)
            for (size_t j = i; j < i + 8; j++)
                if (p[j])
                    return (long)j;
    }
    return -1;
}

__attribute__((no_sanitize("address")))
static unsigned byte_at(const unsigned char *p) { return *(const volatile unsigned char *)p; }

static bool first_difference(const char *want, const char *got, char *why, size_t cap)
{
    const char *w = want, *g = got;
    while (*w && *w == *g) {
        if (*w == '\n')
            want = w + 1, got = g + 1;
        w++, g++;
    }
    if (!*w && !*g)
        return true;
    int wl = (int)strcspn(want, "\n"), gl = (int)strcspn(got, "\n");
    snprintf(why, cap, "after kh_reset `%.*s`, fresh `%.*s`", gl > 160 ? 160 : gl, got,
             wl > 160 ? 160 : wl, want);
    return false;
}

bool oracle_reset_check(struct oracle_reset *r, struct kh *kh, char *why, size_t cap)
{
    if (!r->fresh)
        return true;
    struct buf b = { r->now, 0, r->now_cap, false };
    snapshot(kh, &b);
    r->now = b.p;
    r->now_cap = b.cap;
    if (b.oom)
        return true;   /* host out of memory: nothing to compare */
    /* Runs after every fuzz input: the line-by-line walk only to say
     * where two snapshots differ. */
    bool same = b.len == r->fresh_len && memcmp(r->fresh, b.p, b.len) == 0;
    if (!same && !first_difference(r->fresh, b.p, why, cap))
        return false;
    size_t page = kh_page_size(kh), edge = page < 64 ? page : 64;
    for (unsigned i = 0; i < r->npfn; i++) {
        const unsigned char *va = kh_page_address(kh, kh_pfn_to_page(kh, r->pfn[i]));
        long at = nonzero_at(va, 0, edge);
        if (at < 0)
            at = nonzero_at(va, page - edge, page);
        if (at >= 0) {
            snprintf(why, cap, "after kh_reset page %lu (in use before it) holds %#x at byte %ld; "
                     "a fresh arena reads 0", r->pfn[i], byte_at(va + at), at);
            return false;
        }
    }
    return true;
}
