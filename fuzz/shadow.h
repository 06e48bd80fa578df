/* shadow.h - the fuzzers' independent model of what is live.
 *
 * Every block the allocator hands out (kmalloc object, cache object, pages,
 * vmalloc area, per-CPU copy, mempool element) is recorded here with the
 * size the caller asked for. The model answers two questions cheaply after
 * every operation:
 *   - does a new block overlap any live one? (sorted interval array, binary
 *     search: O(log n) to find, O(n) memmove to insert, fine for the few
 *     thousand live blocks a fuzz input reaches);
 *   - is every live block's content still what the caller wrote? (each block
 *     is filled with a pattern derived from its id; a mismatch means the
 *     allocator handed the same bytes to someone else or scribbled on them).
 */
#ifndef KH_SHADOW_H
#define KH_SHADOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* For the oracles' loops over bytes (patterns, zero checks): in a fuzz
 * build their comparison hooks cost more than the rest of a run, and the
 * coverage they would report says nothing about the allocator. */
#if defined(__clang__)
#define KH_NO_COVERAGE __attribute__((no_sanitize("coverage")))
#else
#define KH_NO_COVERAGE
#endif

/* Index of the first byte of p[0..n) that differs from want[i] (want NULL:
 * from zero), or n when none does. */
size_t shadow_first_difference(const uint8_t *p, const uint8_t *want, size_t n);

/* A zero check of a large block that costs a few cache lines, not the
 * block: the first and last ZERO_EDGE bytes and ZERO_WINDOWS windows of 64
 * bytes at offsets derived from key (the block's identity), so a run sees
 * different bytes of each block and a bug that leaves a whole page or the
 * tail unzeroed is still seen at once. Blocks up to ZERO_SAMPLE_FULL bytes
 * are checked whole. Returns the first non-zero offset found, or n. */
#define SHADOW_ZERO_SAMPLE_FULL 4096u
size_t shadow_first_nonzero_sampled(const uint8_t *p, size_t n, uint64_t key);

enum shadow_kind {
    SHADOW_KMALLOC,
    SHADOW_CACHE_OBJ,
    SHADOW_PAGES,
    SHADOW_VMALLOC,
    SHADOW_PERCPU,
    SHADOW_MEMPOOL,
    SHADOW_BOOTMEM,
    SHADOW_NR_KINDS
};

struct shadow_block {
    uintptr_t start;
    size_t size;       /* bytes the caller may use (requested size) */
    uint32_t id;       /* unique per model lifetime; seeds the pattern */
    uint8_t kind;      /* enum shadow_kind */
    bool patterned;    /* filled with the id pattern (false: caller-owned contents) */
};

struct shadow {
    struct shadow_block *v;  /* sorted by start */
    size_t n, cap;
    uint32_t next_id;
};

void shadow_init(struct shadow *s);
void shadow_free(struct shadow *s);
void shadow_clear(struct shadow *s);

/* Records [start, start + size). Returns NULL on success, or the live block it
 * overlaps (nothing recorded then). A zero size is recorded as one byte so
 * that two zero-sized live blocks at one address still count as overlap. */
const struct shadow_block *shadow_insert(struct shadow *s, uintptr_t start, size_t size,
                                         enum shadow_kind kind, uint32_t *id_out);
/* Exact start lookup; NULL if no live block starts there. */
struct shadow_block *shadow_find(struct shadow *s, uintptr_t start);
/* A live block other than self that shares a byte with [start, start +
 * len), or NULL. */
const struct shadow_block *shadow_overlapping(const struct shadow *s, uintptr_t start, size_t len,
                                             const struct shadow_block *self);
/* The live block containing addr, or NULL. */
struct shadow_block *shadow_containing(struct shadow *s, uintptr_t addr);
bool shadow_remove(struct shadow *s, uintptr_t start);
/* Changes a block's size in place (e.g. krealloc returned the same pointer).
 * Returns the neighbour it would overlap, or NULL on success. */
const struct shadow_block *shadow_resize(struct shadow *s, struct shadow_block *b, size_t size);

/* Pattern: byte i of block `id` is a fixed function of (id, i). */
uint8_t shadow_pattern_byte(uint32_t id, size_t i);
void shadow_fill(struct shadow_block *b, size_t from);
/* Returns true when intact; else writes the first bad offset. Checks bytes
 * [0, limit) where limit = min(limit, size). */
bool shadow_verify(const struct shadow_block *b, size_t limit, size_t *bad_off);

const char *shadow_kind_name(enum shadow_kind k);

#endif
