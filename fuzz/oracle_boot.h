/* oracle_boot.h - the boot phase restated: memblock's reserved memory as
 * the executor's own model, independent of allocator/memblock.c.
 *
 * memblock keeps a sorted list of reserved physical ranges in which ranges
 * that overlap or touch are one range; an allocation takes the highest
 * aligned spot of a gap that fits (memblock allocates top-down by default);
 * memblock_free removes a range that lies inside one reserved range; at
 * mem_init every page no reserved range touches goes to the buddy
 * allocator, the touched ones stay PG_reserved. The model follows the
 * trace's memblock calls by these rules, so the executor can say where an
 * allocation must land, which frees are legal, what the reserved total is,
 * and which pages the hand-over must keep.
 */
#ifndef KH_FUZZ_ORACLE_BOOT_H
#define KH_FUZZ_ORACLE_BOOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct boot_range {
    uint64_t base, end;    /* [base, end), physical */
};

struct boot_model {
    struct boot_range *v;  /* sorted, disjoint, never touching */
    size_t n, cap;
    uint64_t lo, hi;       /* the memory memblock allocates from: [lo, hi) */
};

void boot_model_init(struct boot_model *m);
void boot_model_free(struct boot_model *m);
/* Empties the model for a boot over [lo, hi). */
void boot_model_start(struct boot_model *m, uint64_t lo, uint64_t hi);
/* Union with [base, end) (memblock_reserve, and a successful allocation).
 * Returns 0, -1 on host OOM. */
int boot_model_add(struct boot_model *m, uint64_t base, uint64_t end);
/* Is [base, end) inside one reserved range (what memblock_free needs)? */
bool boot_model_covered(const struct boot_model *m, uint64_t base, uint64_t end);
/* Removes [base, end), which must be covered. Returns 0, -1 on host OOM. */
int boot_model_remove(struct boot_model *m, uint64_t base, uint64_t end);
bool boot_model_overlaps(const struct boot_model *m, uint64_t base, uint64_t end);
uint64_t boot_model_total(const struct boot_model *m);
/* Where a top-down allocation of size bytes at align (a power of two) must
 * land: the highest aligned base in a gap of [lo, hi) that fits. False when
 * none does. */
bool boot_model_place(const struct boot_model *m, uint64_t size, uint64_t align, uint64_t *out);
/* Does some range touch page pfn? Pages touched in all (each once). */
bool boot_model_touches_page(const struct boot_model *m, uint64_t pfn, unsigned page_shift);
unsigned long boot_model_pages(const struct boot_model *m, unsigned page_shift);

#endif
