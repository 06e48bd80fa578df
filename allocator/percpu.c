/* percpu.c - dynamic per-CPU memory.
 *
 * The kernel's percpu allocator hands out an offset that is valid in every
 * CPU's "unit": a chunk is nr_cpus units of equal size laid out at a fixed
 * stride, the cookie a caller holds is the address in CPU 0's unit, and
 * per_cpu_ptr(p, cpu) is p + cpu * unit_size. Space inside a chunk is
 * tracked by a bitmap at PCPU_MIN_ALLOC_SIZE (4-byte) granularity; the same
 * offset is used in every unit, so one bitmap serves the whole chunk.
 *
 * Model choices:
 *  - A chunk is one physically contiguous block from the page allocator
 *    (order get_order(nr_cpus * unit_size)), so all units sit at a fixed
 *    stride. unit_size = PCPU_MIN_UNIT_SIZE (32 KiB rounded up to a page),
 *    which is also the largest allocation, so any legal request fits an
 *    empty chunk.
 *  - Placement is first fit over the chunks in creation order, then over the
 *    bitmap with the requested alignment: deterministic.
 *  - The first chunk (the kernel's boot-time first chunk) is created on the
 *    first allocation, even an atomic one, and kept until reset; later
 *    chunks are created only for sleeping allocations, as in the kernel, and
 *    released as soon as they become empty.
 *  - Each allocation records its offset, size and alignment in a per-chunk
 *    array sorted by offset, which is how free_percpu recognises a pointer
 *    it handed out (anything else is reported, with no state change).
 *  - Under ASan, free space in every unit is poisoned and exactly the
 *    requested bytes of each CPU's copy are unpoisoned.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "introspect.h"
#include "percpu.h"

#define PCPU_MIN_ALLOC_SIZE 4u
#define PCPU_MIN_ALLOC_SHIFT 2
#define PCPU_MIN_UNIT_BYTES (32u << 10)
#define PCPU_WARN_LIMIT 10u
#define BITS_PER_WORD 64u

struct pcpu_alloc {
    size_t offset;     /* within the unit */
    size_t size;       /* requested */
    size_t rounded;    /* size rounded up to PCPU_MIN_ALLOC_SIZE */
    size_t align;
};

struct pcpu_chunk {
    unsigned char *base;      /* CPU 0's unit (arena address of the block) */
    unsigned long pfn;
    unsigned order;
    uint64_t *map;            /* one bit per 4-byte slot of a unit */
    struct pcpu_alloc *allocs;/* sorted by offset */
    unsigned long nr_allocs, cap;
    size_t used;              /* rounded bytes allocated, per unit */
};

struct kh_percpu_state {
    size_t unit_size;
    unsigned long map_bits;   /* unit_size / PCPU_MIN_ALLOC_SIZE */
    struct pcpu_chunk **chunks;
    unsigned long nr_chunks, cap;
    unsigned preempt_count;   /* get_cpu nesting */
    unsigned warn_limit;      /* allocation-failure warnings left, as in the kernel */
};

/* ---- bitmap helpers ---- */

/* First bit in [from, to) equal to `value`, or `to`. */
static unsigned long find_bit(const uint64_t *map, unsigned long from, unsigned long to, bool value)
{
    while (from < to) {
        uint64_t word = map[from / BITS_PER_WORD];
        if (!value)
            word = ~word;
        word >>= from % BITS_PER_WORD;
        if (word) {
            unsigned long bit = from + (unsigned long)__builtin_ctzll(word);
            return bit < to ? bit : to;
        }
        from = (from / BITS_PER_WORD + 1) * BITS_PER_WORD;
    }
    return to;
}

static void set_bits(uint64_t *map, unsigned long start, unsigned long n, bool value)
{
    for (unsigned long b = start; b < start + n; b++) {
        uint64_t mask = 1ull << (b % BITS_PER_WORD);
        if (value)
            map[b / BITS_PER_WORD] |= mask;
        else
            map[b / BITS_PER_WORD] &= ~mask;
    }
}

/* First fit of `bits` clear bits starting on a multiple of `balign`. */
static long find_fit(const uint64_t *map, unsigned long total, unsigned long bits,
                     unsigned long balign)
{
    unsigned long start = 0;
    for (;;) {
        start = (start + balign - 1) / balign * balign;
        if (start + bits > total)
            return -1;
        unsigned long busy = find_bit(map, start, start + bits, true);
        if (busy == start + bits)
            return (long)start;
        start = find_bit(map, busy, total, false);
    }
}

static unsigned long map_words(const struct kh_percpu_state *pc)
{
    return (pc->map_bits + BITS_PER_WORD - 1) / BITS_PER_WORD;
}

/* ---- chunks ---- */

static size_t block_bytes(const struct kh *kh, const struct pcpu_chunk *c)
{
    return (size_t)kh->page_size << c->order;
}

static unsigned nr_units(const struct kh *kh) { return kh->cfg.nr_cpus; }

static struct pcpu_chunk *create_chunk(struct kh *kh, gfp_t gfp)
{
    struct kh_percpu_state *pc = kh->percpu;
    if (pc->nr_chunks == pc->cap) {
        unsigned long cap = pc->cap ? pc->cap * 2 : 4;
        struct pcpu_chunk **arr = realloc(pc->chunks, cap * sizeof(*arr));
        if (!arr)
            return NULL;
        pc->chunks = arr;
        pc->cap = cap;
    }
    int order = kh_get_order(kh, pc->unit_size * nr_units(kh));
    if (order < 0 || (unsigned)order >= kh->max_order)
        return NULL;
    struct pcpu_chunk *c = calloc(1, sizeof(*c));
    uint64_t *map = calloc(map_words(pc), sizeof(uint64_t));
    /* The kernel keeps only these bits for chunk creation; the percpu
     * failure warning replaces the page allocator's. */
    gfp_t page_gfp = (gfp & (GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN)) | __GFP_NOWARN;
    struct page *page = c && map ? kh_alloc_pages(kh, page_gfp, (unsigned)order) : NULL;
    if (!page) {
        free(c);
        free(map);
        return NULL;
    }
    c->pfn = kh_pfn(kh, page);
    c->base = kh_pfn_to_virt(kh, c->pfn);
    c->order = (unsigned)order;
    c->map = map;
    kh_poison(c->base, block_bytes(kh, c));
    pc->chunks[pc->nr_chunks++] = c;
    return c;
}

static void free_chunk_struct(struct pcpu_chunk *c)
{
    free(c->map);
    free(c->allocs);
    free(c);
}

static void destroy_chunk(struct kh *kh, unsigned long index)
{
    struct kh_percpu_state *pc = kh->percpu;
    struct pcpu_chunk *c = pc->chunks[index];
    memmove(&pc->chunks[index], &pc->chunks[index + 1],
            (pc->nr_chunks - index - 1) * sizeof(pc->chunks[0]));
    pc->nr_chunks--;
    kh_unpoison(c->base, block_bytes(kh, c));
    kh___free_pages(kh, kh_pfn_to_page(kh, c->pfn), c->order);
    free_chunk_struct(c);
}

/* Index of the chunk whose CPU-0 unit contains p, or -1. */
static long chunk_of(const struct kh *kh, const void *p)
{
    const struct kh_percpu_state *pc = kh->percpu;
    const unsigned char *a = p;
    for (unsigned long i = 0; i < pc->nr_chunks; i++) {
        const struct pcpu_chunk *c = pc->chunks[i];
        if (a >= c->base && (size_t)(a - c->base) < pc->unit_size)
            return (long)i;
    }
    return -1;
}

/* Position of the allocation at offset in c->allocs, or where it would go
 * (*found says which). */
static unsigned long alloc_slot(const struct pcpu_chunk *c, size_t offset, bool *found)
{
    unsigned long lo = 0, hi = c->nr_allocs;
    while (lo < hi) {
        unsigned long mid = lo + (hi - lo) / 2;
        if (c->allocs[mid].offset < offset)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = lo < c->nr_allocs && c->allocs[lo].offset == offset;
    return lo;
}

static bool record_alloc(struct pcpu_chunk *c, const struct pcpu_alloc *a)
{
    if (c->nr_allocs == c->cap) {
        unsigned long cap = c->cap ? c->cap * 2 : 8;
        struct pcpu_alloc *arr = realloc(c->allocs, cap * sizeof(*arr));
        if (!arr)
            return false;
        c->allocs = arr;
        c->cap = cap;
    }
    bool found;
    unsigned long slot = alloc_slot(c, a->offset, &found);
    memmove(&c->allocs[slot + 1], &c->allocs[slot],
            (c->nr_allocs - slot) * sizeof(c->allocs[0]));
    c->allocs[slot] = *a;
    c->nr_allocs++;
    return true;
}

/* ---- allocation ---- */

static bool is_pow2(size_t v) { return v && !(v & (v - 1)); }

static void warn_failed(struct kh *kh, gfp_t gfp, size_t size, size_t align, bool atomic,
                        const char *err)
{
    struct kh_percpu_state *pc = kh->percpu;
#ifdef KH_PLANT_PERCPU_WARN_NORETRY
    if ((gfp & __GFP_NORETRY) || !pc->warn_limit)  /* planted bug: the wrong gfp bit silences the report */
#else
    if ((gfp & __GFP_NOWARN) || !pc->warn_limit)
#endif
        return;
    pc->warn_limit--;
    kh_report(kh, KH_SEV_WARN, KH_R_PERCPU, "percpu", "percpu allocation failed", 0,
              "percpu: allocation failed, size=%zu align=%zu atomic=%d, %s\n%s",
              size, align, atomic, err,
              pc->warn_limit ? "" : "percpu: limit reached, disable warning\n");
}

/* Makes every CPU's copy of a usable and zeroed. */
static void hand_out(struct kh *kh, struct pcpu_chunk *c, const struct pcpu_alloc *a)
{
    size_t unit = kh->percpu->unit_size;
    for (unsigned cpu = 0; cpu < nr_units(kh); cpu++) {
        unsigned char *copy = c->base + cpu * unit + a->offset;
        kh_unpoison(copy, a->rounded);
#ifdef KH_PLANT_PERCPU_NOZERO
        if (cpu == 0)  /* planted bug: only CPU 0's copy is zeroed */
#endif
        memset(copy, 0, a->rounded);
        kh_poison(copy + a->size, a->rounded - a->size);
    }
}

static void take_back(struct kh *kh, struct pcpu_chunk *c, const struct pcpu_alloc *a)
{
    size_t unit = kh->percpu->unit_size;
    for (unsigned cpu = 0; cpu < nr_units(kh); cpu++)
        kh_poison(c->base + cpu * unit + a->offset, a->rounded);
}

/* Places a in the first chunk with room, creating one when allowed. */
static struct pcpu_chunk *place(struct kh *kh, struct pcpu_alloc *a, bool atomic, gfp_t gfp,
                                const char **err)
{
    struct kh_percpu_state *pc = kh->percpu;
    unsigned long bits = a->rounded >> PCPU_MIN_ALLOC_SHIFT;
    unsigned long balign = a->align >> PCPU_MIN_ALLOC_SHIFT;
    for (unsigned long i = 0; i < pc->nr_chunks; i++) {
        long bit = find_fit(pc->chunks[i]->map, pc->map_bits, bits, balign);
        if (bit >= 0) {
            a->offset = (size_t)bit << PCPU_MIN_ALLOC_SHIFT;
            return pc->chunks[i];
        }
    }
    if (atomic && pc->nr_chunks) {
        *err = "atomic alloc failed, no space left";
        return NULL;
    }
    struct pcpu_chunk *c = create_chunk(kh, gfp);
    if (!c) {
        *err = "failed to allocate new chunk";
        return NULL;
    }
    a->offset = 0;   /* an empty chunk fits any legal request at offset 0 */
    return c;
}

void *kh___alloc_percpu_gfp(struct kh *kh, size_t size, size_t align, gfp_t gfp)
{
    struct kh_percpu_state *pc = kh->percpu;
    bool atomic = (gfp & GFP_KERNEL) != GFP_KERNEL;
    size_t requested = size;
    if (align < PCPU_MIN_ALLOC_SIZE)
        align = PCPU_MIN_ALLOC_SIZE;
    size = (size + PCPU_MIN_ALLOC_SIZE - 1) & ~(size_t)(PCPU_MIN_ALLOC_SIZE - 1);
    if (!size || size > pc->unit_size || align > kh->page_size || !is_pow2(align)) {
        if (!(gfp & __GFP_NOWARN))
            kh_report(kh, KH_SEV_WARN, KH_R_PERCPU, "percpu", "percpu illegal size or align", 0,
                      "WARNING: CPU: %u at mm/percpu.c pcpu_alloc: "
                      "illegal size (%zu) or align (%zu) for percpu allocation\n",
                      kh->current_cpu, size, align);
        return NULL;
    }
    /* Only pcpu_gfp's bits reach a chunk: the injected failure of one
     * ignores __GFP_NOFAIL as its pages do (SPEC 9). */
    if (kh_should_fail(kh, KH_FAULT_PERCPU, gfp & (GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN), 0)) {
        warn_failed(kh, gfp, size, align, atomic, "failed to allocate new chunk");
        return NULL;
    }
    struct pcpu_alloc a = { .size = requested, .rounded = size, .align = align };
    const char *err = "failed to allocate new chunk";
    struct pcpu_chunk *c = place(kh, &a, atomic, gfp, &err);
    if (!c || !record_alloc(c, &a)) {
        warn_failed(kh, gfp, size, align, atomic, err);
        return NULL;
    }
    set_bits(c->map, a.offset >> PCPU_MIN_ALLOC_SHIFT, a.rounded >> PCPU_MIN_ALLOC_SHIFT, true);
    c->used += a.rounded;
    hand_out(kh, c, &a);
    return c->base + a.offset;
}

void *kh___alloc_percpu(struct kh *kh, size_t size, size_t align)
{
    return kh___alloc_percpu_gfp(kh, size, align, GFP_KERNEL);
}

void kh_free_percpu(struct kh *kh, void *ptr)
{
    if (!ptr)
        return;
    long ci = chunk_of(kh, ptr);
    struct pcpu_chunk *c = ci >= 0 ? kh->percpu->chunks[ci] : NULL;
    bool found = false;
    unsigned long slot = c ? alloc_slot(c, (size_t)((unsigned char *)ptr - c->base), &found) : 0;
    if (!found) {
        kh_report(kh, KH_SEV_BUG, KH_R_PERCPU, "percpu", "free_percpu invalid pointer",
                  (uintptr_t)ptr,
                  "BUG: free_percpu(%p): not a live per-CPU allocation (double or invalid free)\n",
                  ptr);
        return;
    }
    struct pcpu_alloc a = c->allocs[slot];
    memmove(&c->allocs[slot], &c->allocs[slot + 1],
            (c->nr_allocs - slot - 1) * sizeof(c->allocs[0]));
    c->nr_allocs--;
    set_bits(c->map, a.offset >> PCPU_MIN_ALLOC_SHIFT, a.rounded >> PCPU_MIN_ALLOC_SHIFT, false);
    c->used -= a.rounded;
    take_back(kh, c, &a);
    if (c->nr_allocs == 0 && ci > 0)
        destroy_chunk(kh, (unsigned long)ci);
}

/* ---- addressing ---- */

void *kh_per_cpu_ptr(struct kh *kh, const void *ptr, unsigned cpu)
{
    if (cpu >= nr_units(kh)) {
        kh_report(kh, KH_SEV_WARN, KH_R_PERCPU, "percpu", "per_cpu_ptr cpu out of range",
                  (uintptr_t)ptr, "WARNING: per_cpu_ptr(%p, %u) with only %u possible CPUs\n",
                  ptr, cpu, nr_units(kh));
        return NULL;
    }
    if (chunk_of(kh, ptr) < 0) {
        kh_report(kh, KH_SEV_WARN, KH_R_PERCPU, "percpu", "per_cpu_ptr bad pointer",
                  (uintptr_t)ptr,
                  "WARNING: per_cpu_ptr(%p, %u): not a __percpu pointer from alloc_percpu\n",
                  ptr, cpu);
        return NULL;
    }
    return (unsigned char *)(uintptr_t)ptr + (size_t)cpu * kh->percpu->unit_size;
}

void *kh_this_cpu_ptr(struct kh *kh, const void *ptr)
{
    return kh_per_cpu_ptr(kh, ptr, kh->current_cpu);
}

unsigned kh_get_cpu(struct kh *kh)
{
    kh->percpu->preempt_count++;
    return kh->current_cpu;
}

void kh_put_cpu(struct kh *kh)
{
    struct kh_percpu_state *pc = kh->percpu;
    if (pc->preempt_count == 0) {
        kh_report(kh, KH_SEV_WARN, KH_R_PERCPU, "percpu", "put_cpu without get_cpu", 0,
                  "WARNING: CPU: %u at kernel/sched/core.c preempt_count_sub: "
                  "DEBUG_LOCKS_WARN_ON(val > preempt_count()) (put_cpu() without get_cpu())\n",
                  kh->current_cpu);
        return;
    }
    pc->preempt_count--;
}

unsigned kh_nr_cpus(const struct kh *kh) { return nr_units(kh); }
size_t kh_percpu_max_size(const struct kh *kh) { return kh->percpu->unit_size; }
size_t kh_percpu_unit_size(const struct kh *kh) { return kh->percpu->unit_size; }

/* ---- introspection ---- */

static void fill_alloc_info(const struct kh *kh, unsigned index, const struct pcpu_chunk *c,
                            const struct pcpu_alloc *a, struct kh_percpu_alloc_info *out)
{
    *out = (struct kh_percpu_alloc_info){
        .ptr = c->base + a->offset, .chunk = index, .offset = a->offset, .size = a->size,
        .rounded_size = a->rounded, .align = a->align, .unit_size = kh->percpu->unit_size,
        .nr_cpus = nr_units(kh),
    };
}

unsigned long kh_percpu_walk(const struct kh *kh, kh_percpu_chunk_fn chunk_fn,
                             kh_percpu_alloc_fn alloc_fn, void *ctx)
{
    const struct kh_percpu_state *pc = kh->percpu;
    unsigned long visited = 0;
    for (unsigned long i = 0; i < pc->nr_chunks; i++) {
        const struct pcpu_chunk *c = pc->chunks[i];
        struct kh_percpu_chunk_info ci = {
            .index = (unsigned)i, .base = c->base, .unit_size = pc->unit_size,
            .nr_units = nr_units(kh), .first_pfn = c->pfn, .order = c->order,
            .nr_allocs = c->nr_allocs, .used_bytes = c->used,
        };
        if (chunk_fn && chunk_fn(ctx, &ci))
            return visited;
        for (unsigned long j = 0; j < c->nr_allocs; j++) {
            struct kh_percpu_alloc_info ai;
            fill_alloc_info(kh, (unsigned)i, c, &c->allocs[j], &ai);
            visited++;
            if (alloc_fn && alloc_fn(ctx, &ai))
                return visited;
        }
    }
    return visited;
}

bool kh_percpu_find(const struct kh *kh, const void *ptr, struct kh_percpu_alloc_info *out)
{
    long ci = chunk_of(kh, ptr);
    if (ci < 0)
        return false;
    const struct pcpu_chunk *c = kh->percpu->chunks[ci];
    bool found;
    unsigned long slot = alloc_slot(c, (size_t)((const unsigned char *)ptr - c->base), &found);
    if (found && out)
        fill_alloc_info(kh, (unsigned)ci, c, &c->allocs[slot], out);
    return found;
}

void kh_percpu_get_stats(const struct kh *kh, struct kh_percpu_stats *out)
{
    const struct kh_percpu_state *pc = kh->percpu;
    *out = (struct kh_percpu_stats){ .nr_chunks = pc->nr_chunks,
                                     .preempt_count = pc->preempt_count };
    for (unsigned long i = 0; i < pc->nr_chunks; i++) {
        out->nr_allocs += pc->chunks[i]->nr_allocs;
        out->used_bytes += pc->chunks[i]->used;
    }
}

/* ---- validation ---- */

/* Invariant names are documented next to kh_percpu_validate in percpu.h. */
#define violation(out, name, addr, ...) \
    kh_violations_add_named((out), "percpu", (name), (addr), __VA_ARGS__)

KH_NO_COVERAGE
static unsigned check_backing(struct kh *kh, const struct pcpu_chunk *c,
                              struct kh_violations *out)
{
    if (c->pfn >= kh->nr_pages)
        return violation(out, "percpu-chunk-block", c->base, "chunk %p: pfn %lu outside the arena",
                         c->base, c->pfn);
    const struct page *head = &kh->pages[c->pfn];
    unsigned n = 0;
    if (kh_block_head(kh, c->pfn) != c->pfn || (head->flags & PG_buddy) || head->order != c->order)
        n += violation(out, "percpu-chunk-block", c->base,
                       "chunk %p: pfn %lu is not an allocated order-%u block",
                       c->base, c->pfn, c->order);
    if (c->base != kh_pfn_to_virt(kh, c->pfn))
        n += violation(out, "percpu-chunk-base", c->base, "chunk %p: base is not pfn %lu's address",
                       c->base, c->pfn);
    if (block_bytes(kh, c) < kh->percpu->unit_size * nr_units(kh))
        n += violation(out, "percpu-chunk-size", c->base, "chunk %p: block smaller than its units",
                       c->base);
    return n;
}

KH_NO_COVERAGE
static unsigned check_alloc(struct kh *kh, const struct pcpu_chunk *c, const struct pcpu_alloc *a,
                            size_t min_offset, struct kh_violations *out)
{
    const struct kh_percpu_state *pc = kh->percpu;
    unsigned n = 0;
    void *p = c->base + a->offset;
    if (a->offset < min_offset)
        n += violation(out, "percpu-alloc-overlap", p,
                       "allocation %p overlaps the previous one", p);
    if (!is_pow2(a->align) || a->align < PCPU_MIN_ALLOC_SIZE || a->align > kh->page_size ||
        a->offset % a->align)
        n += violation(out, "percpu-alloc-align", p,
                       "allocation %p: bad alignment %zu", p, a->align);
    if (a->size == 0 || a->rounded != ((a->size + 3) & ~(size_t)3) ||
        a->offset + a->rounded > pc->unit_size) {
        n += violation(out, "percpu-alloc-size", p, "allocation %p: bad size %zu (rounded %zu)",
                       p, a->size, a->rounded);
        return n;   /* its copies may lie outside the chunk: look no further */
    }
#ifdef KH_ASAN
    for (unsigned cpu = 0; cpu < nr_units(kh); cpu++)
        if (__asan_region_is_poisoned((char *)p + cpu * pc->unit_size, a->size))
            n += violation(out, "percpu-asan", p, "allocation %p: CPU %u copy is poisoned", p, cpu);
#endif
    return n;
}

/* The allocation map must be exactly the union of the recorded allocations. */
KH_NO_COVERAGE
static unsigned check_map(const struct kh_percpu_state *pc, const struct pcpu_chunk *c,
                          struct kh_violations *out)
{
    uint64_t *expect = calloc(map_words(pc), sizeof(uint64_t));
    if (!expect)
        return violation(out, "percpu-map", c->base,
                         "chunk %p: out of host memory to check", c->base);
    for (unsigned long j = 0; j < c->nr_allocs; j++) {
        const struct pcpu_alloc *a = &c->allocs[j];
        if (a->offset + a->rounded <= pc->unit_size)
            set_bits(expect, a->offset >> PCPU_MIN_ALLOC_SHIFT,
                     a->rounded >> PCPU_MIN_ALLOC_SHIFT, true);
    }
    bool same = memcmp(expect, c->map, map_words(pc) * sizeof(uint64_t)) == 0;
    free(expect);
    return same ? 0 : violation(out, "percpu-map", c->base,
                                "chunk %p: allocation map disagrees with the allocations", c->base);
}

KH_NO_COVERAGE
static unsigned check_chunk(struct kh *kh, unsigned long index, struct kh_violations *out)
{
    const struct kh_percpu_state *pc = kh->percpu;
    const struct pcpu_chunk *c = pc->chunks[index];
    unsigned n = check_backing(kh, c, out);
    size_t min_offset = 0, used = 0;
    for (unsigned long j = 0; j < c->nr_allocs; j++) {
        const struct pcpu_alloc *a = &c->allocs[j];
        n += check_alloc(kh, c, a, min_offset, out);
        min_offset = a->offset + a->rounded;
        used += a->rounded;
    }
    n += check_map(pc, c, out);
    if (used != c->used)
        n += violation(out, "percpu-used-counter", c->base,
                       "chunk %p: %zu bytes used, counter says %zu", c->base, used, c->used);
    if (index > 0 && c->nr_allocs == 0)
        n += violation(out, "percpu-empty-chunk", c->base, "chunk %p is empty but kept", c->base);
    return n;
}

KH_NO_COVERAGE
unsigned kh_percpu_validate(struct kh *kh, struct kh_violations *out)
{
    unsigned n = 0;
    for (unsigned long i = 0; i < kh->percpu->nr_chunks; i++)
        n += check_chunk(kh, i, out);
    return n;
}

#undef violation

/* ---- lifecycle ---- */

const char *kh_percpu_init(struct kh *kh)
{
    struct kh_percpu_state *pc = calloc(1, sizeof(*pc));
    if (!pc)
        return "out of host memory for the percpu state";
    /* PCPU_MIN_UNIT_SIZE is PFN_ALIGN(32 KiB): a whole page on 64 KiB pages. */
    pc->unit_size = (PCPU_MIN_UNIT_BYTES + kh->page_size - 1) & ~(size_t)(kh->page_size - 1);
    pc->map_bits = pc->unit_size >> PCPU_MIN_ALLOC_SHIFT;
    pc->warn_limit = PCPU_WARN_LIMIT;
    kh->percpu = pc;
    return NULL;
}

/* Drops the chunks' bookkeeping; the page allocator's own reset (which runs
 * after this) takes the pages back. */
static void drop_chunks(struct kh *kh)
{
    struct kh_percpu_state *pc = kh->percpu;
    for (unsigned long i = 0; i < pc->nr_chunks; i++) {
        kh_unpoison(pc->chunks[i]->base, block_bytes(kh, pc->chunks[i]));
        free_chunk_struct(pc->chunks[i]);
    }
    pc->nr_chunks = 0;
}

void kh_percpu_reset(struct kh *kh)
{
    if (!kh->percpu)
        return;
    drop_chunks(kh);
    kh->percpu->preempt_count = 0;
    kh->percpu->warn_limit = PCPU_WARN_LIMIT;
}

void kh_percpu_destroy(struct kh *kh)
{
    if (!kh->percpu)
        return;
    drop_chunks(kh);
    free(kh->percpu->chunks);
    free(kh->percpu);
    kh->percpu = NULL;
}
