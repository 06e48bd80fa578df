/* shadow.c - sorted interval array and content patterns (see shadow.h). */
#include "shadow.h"

#include <stdlib.h>
#include <string.h>

/* The shadow is the harness's bookkeeping, searched on every pointer of
 * every operation: which branch a binary search takes says nothing about
 * the allocator, so none of this file feeds the fuzzer's coverage (the
 * traced compares cost more than the searches and flood the corpus with
 * address-shaped features). */
#pragma clang attribute push(__attribute__((no_sanitize("coverage"))), apply_to = function)

static const char *const kind_names[SHADOW_NR_KINDS] = {
    "kmalloc", "cache object", "pages", "vmalloc", "percpu", "mempool", "bootmem",
};

const char *shadow_kind_name(enum shadow_kind k)
{
    return k < SHADOW_NR_KINDS ? kind_names[k] : "?";
}

void shadow_init(struct shadow *s) { memset(s, 0, sizeof(*s)); }

void shadow_free(struct shadow *s)
{
    free(s->v);
    shadow_init(s);
}

void shadow_clear(struct shadow *s)
{
    s->n = 0;
    s->next_id = 0;
}

static size_t extent(size_t size) { return size ? size : 1; }

/* Index of the first block whose start is >= addr. */
static size_t lower_bound(const struct shadow *s, uintptr_t addr)
{
    size_t lo = 0, hi = s->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->v[mid].start < addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The live block overlapping [start, start+len) other than `self`, if any.
 * Blocks never overlap each other, so only the neighbours of the insertion
 * point can overlap a new range that is no larger than... any size: scan
 * forward while blocks start inside the range. */
const struct shadow_block *shadow_overlapping(const struct shadow *s, uintptr_t start, size_t len,
                                             const struct shadow_block *self)
{
    size_t i = lower_bound(s, start);
    if (i > 0) {
        const struct shadow_block *prev = &s->v[i - 1];
        if (prev != self && prev->start + extent(prev->size) > start)
            return prev;
    }
    for (; i < s->n && s->v[i].start < start + len; i++)
        if (&s->v[i] != self)
            return &s->v[i];
    return NULL;
}

const struct shadow_block *shadow_insert(struct shadow *s, uintptr_t start, size_t size,
                                         enum shadow_kind kind, uint32_t *id_out)
{
    const struct shadow_block *hit = shadow_overlapping(s, start, extent(size), NULL);
    if (hit)
        return hit;
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        struct shadow_block *v = realloc(s->v, cap * sizeof(*v));
        if (!v)
            abort();  /* host OOM in the test harness itself: nothing sane to do */
        s->v = v;
        s->cap = cap;
    }
    size_t i = lower_bound(s, start);
    memmove(&s->v[i + 1], &s->v[i], (s->n - i) * sizeof(*s->v));
    s->v[i] = (struct shadow_block){ .start = start, .size = size, .id = s->next_id++,
                                     .kind = (uint8_t)kind, .patterned = false };
    s->n++;
    if (id_out)
        *id_out = s->v[i].id;
    return NULL;
}

struct shadow_block *shadow_find(struct shadow *s, uintptr_t start)
{
    size_t i = lower_bound(s, start);
    return i < s->n && s->v[i].start == start ? &s->v[i] : NULL;
}

struct shadow_block *shadow_containing(struct shadow *s, uintptr_t addr)
{
    size_t i = lower_bound(s, addr + 1);
    if (i == 0)
        return NULL;
    struct shadow_block *b = &s->v[i - 1];
    return addr < b->start + extent(b->size) ? b : NULL;
}

bool shadow_remove(struct shadow *s, uintptr_t start)
{
    size_t i = lower_bound(s, start);
    if (i >= s->n || s->v[i].start != start)
        return false;
    memmove(&s->v[i], &s->v[i + 1], (s->n - i - 1) * sizeof(*s->v));
    s->n--;
    return true;
}

const struct shadow_block *shadow_resize(struct shadow *s, struct shadow_block *b, size_t size)
{
    const struct shadow_block *hit = shadow_overlapping(s, b->start, extent(size), b);
    if (!hit)
        b->size = size;
    return hit;
}

/* Cheap, id-dependent and position-dependent, never constant across a
 * block, so a shifted or foreign copy does not verify by accident. Made a
 * word (8 bytes, memory order) at a time: word j of block `id` is a
 * multiply-add and one xor-shift, so fill and verify cost little more than
 * the stores and loads themselves, with one sanitizer check per word. */
static inline uint64_t pattern_word_at(uint32_t id, size_t j)
{
    uint64_t w = ((uint64_t)id + 1) * 0x9e3779b97f4a7c15ull + (uint64_t)j * 0xd1b54a32d192ed03ull;
    return w ^ (w >> 29);
}

/* Bytes [i, i + 8) of the pattern, i a multiple of 8, as they lie in memory. */
static inline uint64_t pattern_word(uint32_t id, size_t i)
{
    uint64_t w = pattern_word_at(id, i / 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    w = __builtin_bswap64(w);
#endif
    return w;
}

static inline uint8_t pattern_byte(uint32_t id, size_t i)
{
    return (uint8_t)(pattern_word_at(id, i / 8) >> (8 * (i % 8)));
}

KH_NO_COVERAGE uint8_t shadow_pattern_byte(uint32_t id, size_t i) { return pattern_byte(id, i); }

KH_NO_COVERAGE void shadow_fill(struct shadow_block *b, size_t from)
{
    uint8_t *p = (uint8_t *)b->start;
    size_t i = from;
    for (; i < b->size && i % 8; i++)   /* up to a word boundary of the block */
        p[i] = pattern_byte(b->id, i);
    for (; i + 8 <= b->size; i += 8) {
        uint64_t w = pattern_word(b->id, i);
        memcpy(p + i, &w, 8);
    }
    for (; i < b->size; i++)
        p[i] = pattern_byte(b->id, i);
    b->patterned = true;
}

KH_NO_COVERAGE size_t shadow_first_difference(const uint8_t *p, const uint8_t *want, size_t n)
{
    size_t i = 0;
    if (!want) {
        /* a word at a time while the bytes are zero */
        for (; i + sizeof(uint64_t) <= n; i += sizeof(uint64_t)) {
            uint64_t w;
            memcpy(&w, p + i, sizeof(w));
            if (w)
                break;
        }
        for (; i < n && !p[i]; i++)
            ;
        return i;
    }
    for (; i < n && p[i] == want[i]; i++)
        ;
    return i;
}

#define ZERO_EDGE 256u
#define ZERO_WINDOWS 16u
#define ZERO_WINDOW 64u

KH_NO_COVERAGE size_t shadow_first_nonzero_sampled(const uint8_t *p, size_t n, uint64_t key)
{
    if (n <= SHADOW_ZERO_SAMPLE_FULL)
        return shadow_first_difference(p, NULL, n);
    size_t bad = n;
    size_t i = shadow_first_difference(p, NULL, ZERO_EDGE);
    if (i < ZERO_EDGE)
        return i;
    for (unsigned w = 0; w < ZERO_WINDOWS; w++) {
        uint64_t h = (key + w + 1) * 0x9e3779b97f4a7c15ull;
        h ^= h >> 31;
        size_t at = (size_t)(h % (n - ZERO_WINDOW)) & ~(size_t)(ZERO_WINDOW - 1);
        i = shadow_first_difference(p + at, NULL, ZERO_WINDOW);
        if (i < ZERO_WINDOW && at + i < bad)
            bad = at + i;
    }
    i = shadow_first_difference(p + n - ZERO_EDGE, NULL, ZERO_EDGE);
    if (i < ZERO_EDGE && n - ZERO_EDGE + i < bad)
        bad = n - ZERO_EDGE + i;
    return bad;
}

KH_NO_COVERAGE bool shadow_verify(const struct shadow_block *b, size_t limit, size_t *bad_off)
{
    if (!b->patterned)
        return true;
    const uint8_t *p = (const uint8_t *)b->start;
    size_t n = limit < b->size ? limit : b->size;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        if (w != pattern_word(b->id, i))
            break;   /* the byte loop below finds which */
    }
    for (; i < n; i++) {
        if (p[i] != pattern_byte(b->id, i)) {
            if (bad_off)
                *bad_off = i;
            return false;
        }
    }
    return true;
}

#pragma clang attribute pop
