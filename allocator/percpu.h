/* percpu.h - dynamic per-CPU allocations (alloc_percpu family) in a model
 * with the profile's number of simulated CPUs.
 *
 * An allocation returns a "__percpu cookie": the address of CPU 0's copy.
 * per_cpu_ptr(p, cpu) gives CPU cpu's copy, this_cpu_ptr(p) the copy of the
 * instance's current CPU (kh_set_cpu). Kernel names act on kh_default();
 * every function has a kh_ twin taking the instance first.
 */
#ifndef KH_PERCPU_H
#define KH_PERCPU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kmem.h"

struct kh_violations;

#ifndef __percpu
#define __percpu   /* sparse address-space marker in the kernel; nothing here */
#endif

/* ---- Instance-taking API ---- */
void *kh___alloc_percpu(struct kh *kh, size_t size, size_t align);             /* GFP_KERNEL */
void *kh___alloc_percpu_gfp(struct kh *kh, size_t size, size_t align, gfp_t gfp);
void kh_free_percpu(struct kh *kh, void *ptr);
/* CPU cpu's copy of ptr; NULL (with a warning) when ptr is not a live
 * per-CPU cookie's range or cpu is out of range. */
void *kh_per_cpu_ptr(struct kh *kh, const void *ptr, unsigned cpu);
void *kh_this_cpu_ptr(struct kh *kh, const void *ptr);
/* get_cpu disables "preemption" (a nesting count) and returns the current
 * CPU; put_cpu without a matching get_cpu is warned. */
unsigned kh_get_cpu(struct kh *kh);
void kh_put_cpu(struct kh *kh);
unsigned kh_nr_cpus(const struct kh *kh);

#define kh_alloc_percpu(kh, type) \
    ((type *)kh___alloc_percpu((kh), sizeof(type), _Alignof(type)))
#define kh_alloc_percpu_gfp(kh, type, gfp) \
    ((type *)kh___alloc_percpu_gfp((kh), sizeof(type), _Alignof(type), (gfp)))

/* ---- Introspection ---- */

/* Largest allocation (PCPU_MIN_UNIT_SIZE: 32 KiB rounded up to a page). */
size_t kh_percpu_max_size(const struct kh *kh);
/* Bytes between two CPUs' copies of the same allocation. */
size_t kh_percpu_unit_size(const struct kh *kh);

struct kh_percpu_chunk_info {
    unsigned index;            /* position in chunk order (allocation search order) */
    void *base;                /* CPU 0's unit; CPU c's unit is base + c * unit_size */
    size_t unit_size;
    unsigned nr_units;         /* = number of CPUs */
    unsigned long first_pfn;   /* backing block in the arena */
    unsigned order;
    unsigned long nr_allocs;
    size_t used_bytes;         /* per unit, rounded sizes */
};

struct kh_percpu_alloc_info {
    void *ptr;                 /* the cookie (CPU 0's copy) */
    unsigned chunk;            /* kh_percpu_chunk_info.index */
    size_t offset;             /* within the unit */
    size_t size;               /* bytes requested */
    size_t rounded_size;       /* size rounded up to 4, what the bitmap holds */
    size_t align;              /* effective alignment (at least 4) */
    size_t unit_size;          /* copy for cpu c: ptr + c * unit_size */
    unsigned nr_cpus;
};

/* Calls chunk_fn for each chunk, then alloc_fn for each of its allocations
 * in offset order (either callback may be NULL). A non-zero return stops
 * the walk. Returns the number of allocations visited. */
typedef int (*kh_percpu_chunk_fn)(void *ctx, const struct kh_percpu_chunk_info *chunk);
typedef int (*kh_percpu_alloc_fn)(void *ctx, const struct kh_percpu_alloc_info *alloc);
unsigned long kh_percpu_walk(const struct kh *kh, kh_percpu_chunk_fn chunk_fn,
                             kh_percpu_alloc_fn alloc_fn, void *ctx);
/* Fills *out for the live allocation whose cookie is ptr. */
bool kh_percpu_find(const struct kh *kh, const void *ptr, struct kh_percpu_alloc_info *out);

struct kh_percpu_stats {
    unsigned long nr_chunks;
    unsigned long nr_allocs;
    size_t used_bytes;         /* per unit, rounded sizes, all chunks */
    unsigned preempt_count;    /* get_cpu nesting */
};
void kh_percpu_get_stats(const struct kh *kh, struct kh_percpu_stats *out);

/* Checks every chunk and returns the number of violations added to *out
 * (out may be NULL). Invariant names (subsystem "percpu"):
 *   "percpu-chunk-block"   the backing block is not an allocated block of the
 *                          chunk's order
 *   "percpu-chunk-base"    the chunk's base is not its block's address
 *   "percpu-chunk-size"    the block is smaller than nr_cpus units
 *   "percpu-alloc-overlap" allocations unsorted or overlapping
 *   "percpu-alloc-align"   an allocation misaligned or with an illegal alignment
 *   "percpu-alloc-size"    an allocation's size illegal or past the unit's end
 *   "percpu-asan"          (ASan builds) a CPU's copy is poisoned
 *   "percpu-map"           the allocation bitmap is not the allocations' union
 *   "percpu-used-counter"  a chunk's used-bytes counter differs from its allocations
 *   "percpu-empty-chunk"   an empty chunk other than the first was kept */
unsigned kh_percpu_validate(struct kh *kh, struct kh_violations *out);

/* ---- Kernel names on the default instance ---- */
void *__alloc_percpu(size_t size, size_t align);
void *__alloc_percpu_gfp(size_t size, size_t align, gfp_t gfp);
void free_percpu(void *ptr);
unsigned get_cpu(void);
void put_cpu(void);
unsigned num_possible_cpus(void);

#define alloc_percpu(type) ((type *)__alloc_percpu(sizeof(type), _Alignof(type)))
#define alloc_percpu_gfp(type, gfp) \
    ((type *)__alloc_percpu_gfp(sizeof(type), _Alignof(type), (gfp)))
#define per_cpu_ptr(ptr, cpu) \
    ((__typeof__(ptr))kh_per_cpu_ptr(kh_default(), (ptr), (cpu)))
#define this_cpu_ptr(ptr) ((__typeof__(ptr))kh_this_cpu_ptr(kh_default(), (ptr)))
#define smp_processor_id() (kh_current_cpu(kh_default()))
#define for_each_possible_cpu(cpu) \
    for ((cpu) = 0; (cpu) < num_possible_cpus(); (cpu)++)

#endif
