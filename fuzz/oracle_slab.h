/* oracle_slab.h - slab cache geometry, constructor state and slub_debug
 * bytes, restated from the spec independently of the allocator.
 *
 * The executor used to check a cache object's alignment against what the
 * cache said about itself: a cache that ignores SLAB_HWCACHE_ALIGN, or a
 * colour offset that breaks alignment, agreed with itself. Here the
 * geometry comes from the profile's raw numbers (page size, max order,
 * cache line, CPUs, slub_debug letters) and kmem_cache_create's arguments
 * alone, following SPEC 0b (SLUB, checked against 3,294 real caches), the
 * 6.1 calculate_sizes() layout for debug flags and constructors (SPEC 0b's
 * note, SPEC 6) and SPEC 5 (alignment and colouring for every design).
 *
 * What the spec fixes, per design:
 *   SLUB (4K/16K/64K pages): alignment, object size, slot size, order,
 *     objects per slab, and under slub_debug the byte layout (red zones,
 *     free pointer, tracks, padding).
 *   SLAB (classic): alignment and that every slab colour keeps it (the
 *     colour offset is a multiple of max(cache line, align)); the slot,
 *     order and objects per slab are 4.x facts the spec does not state.
 *   SLOB: alignment only (SLOB has no slots to speak of).
 *
 * Merging: an alias hands out the existing cache's objects, so its slot
 * and order are that cache's; what the spec fixes is that neither side has
 * a constructor or debug flags, that the DMA/RECLAIM/ACCOUNT bits agree,
 * that the slot holds the new object wasting less than a pointer, and that
 * its objects keep the new cache's alignment.
 */
#ifndef KH_ORACLE_SLAB_H
#define KH_ORACLE_SLAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kmem.h"

struct oracle_slab_geom {
    uint32_t flags;          /* the cache's flags: the caller's plus slub_debug's */
    uint32_t object_size;    /* what the caller asked for */
    uint32_t align;
    uint32_t inuse;          /* object + right red zone room */
    uint32_t offset;         /* free pointer, from the object start */
    uint32_t red_left_pad;
    uint32_t size;           /* slot */
    uint32_t order, objects; /* SLUB only (layout_known) */
    bool ctor;
    bool kmalloc;
    bool layout_known;       /* SLUB design: slot, order and objects are fixed */
    bool poison;             /* __OBJECT_POISON: P without ctor or RCU */
    bool fp_outside;
    int64_t freeptr;         /* kmem_cache_args' freeptr_offset (6.12), -1: none */
    bool colour_checked;     /* SLAB: colour offsets must keep the alignment */
    bool classic_known;      /* classic SLAB without debugging: size, order, objects and
                                colouring are fixed (SPEC 5) */
    uint32_t slab_left, colour_off; /* classic: bytes a slab leaves over, the colour step */
};

/* A cache that exists when a new one is created: what SPEC 5's merge
 * rule looks at. */
struct oracle_merge_cand {
    const void *cache;
    uint32_t flags, size;    /* the cache's flags and slot */
    bool ctor, kmalloc, dead;
};

/* SPEC 5 (6.1 SLUB's find_mergeable): the cache kmem_cache_create(g) must
 * alias, among the n caches c (oldest first): *target is its index, or -1
 * when it must get a cache of its own. Returns 0 when the oracle leaves the
 * decision open (flags it does not restate; classic SLAB's extra rule). */
int oracle_slab_merge_target(const struct kh_config *cfg, const struct oracle_slab_geom *g,
                             const struct oracle_merge_cand *c, unsigned n, long *target);

/* The geometry of kmem_cache_create(size, align, flags, ctor) on cfg; false
 * when the spec does not let such a cache exist (then create must fail). */
bool oracle_slab_geometry(const struct kh_config *cfg, size_t size, size_t align, uint32_t flags,
                          bool ctor, struct oracle_slab_geom *g);

/* The same for 6.12's kmem_cache_create(name, size, &args, flags) with
 * args.freeptr_offset = freeptr (-1: the plain call): false also when the
 * args are refused (not below size, unaligned, or no SLAB_TYPESAFE_BY_RCU;
 * SPEC 10). */
bool oracle_slab_geometry_args(const struct kh_config *cfg, size_t size, size_t align, uint32_t flags,
                               bool ctor, int64_t freeptr, struct oracle_slab_geom *g);

/* The kmalloc-N cache's geometry (N a size class below the page passthrough). */
bool oracle_kmalloc_cache_geometry(const struct kh_config *cfg, size_t class_size,
                                   struct oracle_slab_geom *g);

/* Compares a created cache (its reported geometry) with g; on a mismatch
 * writes what differs to why and returns false. merged: the result is an
 * alias of an existing cache (its geometry is that cache's). */
/* __OBJECT_POISON (SPEC 0b): free objects of a SLAB_POISON cache are
 * poisoned, except with a constructor or SLAB_TYPESAFE_BY_RCU, whose free
 * objects must keep their contents. */
bool oracle_slab_poisons(uint32_t flags, bool ctor);

struct kh_cache_info;
bool oracle_slab_check_cache(const struct kh_config *cfg, const struct oracle_slab_geom *g,
                             const struct kh_cache_info *ci, bool merged, char *why, size_t cap);

/* SLUB's min_partial for a slot size (SPEC 5): the empty slabs a cache's
 * partial list may keep; an emptied slab beyond them goes back. */
unsigned oracle_slab_min_partial(uint32_t slot);

/* The test constructor: what every object of a ctor cache holds when it
 * leaves the allocator without __GFP_ZERO, and what the caller puts back
 * before freeing it. */
void oracle_slab_ctor(void *obj);
bool oracle_slab_constructed(const void *obj);
void oracle_slab_reconstruct(void *obj);

/* slub_debug byte checks at the object obj (SPEC 6), for a live object
 * holding req requested bytes (req == object_size for cache objects) or a
 * free one. Reads outside ASan's view. True when the bytes are as the spec
 * says, or nothing is fixed; otherwise the offending offset (from obj) and
 * the expected byte are written to why. */
bool oracle_slab_debug_applies(const struct kh_config *cfg, const struct oracle_slab_geom *g);
bool oracle_slab_check_live(const struct oracle_slab_geom *g, const void *obj, size_t req, char *why,
                            size_t cap);
bool oracle_slab_check_freed(const struct oracle_slab_geom *g, const void *obj, char *why, size_t cap);

#endif
