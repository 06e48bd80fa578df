/* slab.h - slab caches (kmem_cache_*) with kernel names and kh_ twins, the
 * SLAB_* flags, and the slab layer's introspection and validation API.
 *
 * A cache hands out fixed-size objects carved from slabs (blocks of pages
 * from the page allocator). The design behind a cache (SLUB or classic
 * SLAB) is chosen by the instance's profile; this interface is the same for
 * both. Kernel-style names act on kh_default().
 */
#ifndef KH_SLAB_H
#define KH_SLAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kmem.h"

struct kmem_cache;
struct kh_violations;   /* introspect.h */

typedef unsigned int slab_flags_t;

/* Linux 6.1 values. */
#define SLAB_CONSISTENCY_CHECKS 0x00000100u  /* F: checks on alloc and free */
#define SLAB_RED_ZONE           0x00000400u  /* Z: red zones around objects */
#define SLAB_POISON             0x00000800u  /* P: poison free objects */
#define SLAB_KMALLOC            0x00001000u  /* a kmalloc-* cache (set by the slab layer) */
#define SLAB_HWCACHE_ALIGN      0x00002000u  /* align objects on cache lines */
#define SLAB_CACHE_DMA          0x00004000u  /* use GFP_DMA memory */
#define SLAB_CACHE_DMA32        0x00008000u  /* use GFP_DMA32 memory */
#define SLAB_STORE_USER         0x00010000u  /* U: track last alloc and free caller */
#define SLAB_RECLAIM_ACCOUNT    0x00020000u  /* objects are reclaimable */
#define SLAB_PANIC              0x00040000u  /* abort if kmem_cache_create fails */
#define SLAB_TYPESAFE_BY_RCU    0x00080000u  /* defer freeing slabs to RCU */
#define SLAB_ACCOUNT            0x04000000u  /* account to memcg */

#define SLAB_DEBUG_FLAGS (SLAB_CONSISTENCY_CHECKS | SLAB_RED_ZONE | SLAB_POISON | SLAB_STORE_USER)

/* Byte values written by the debug features (include/linux/poison.h). */
#define POISON_INUSE      0x5a   /* padding and fresh slab memory */
#define POISON_FREE       0x6b   /* body of a free object */
#define POISON_END        0xa5   /* last byte of a free object */
#define SLUB_RED_INACTIVE 0xbb   /* red zone of a free object */
#define SLUB_RED_ACTIVE   0xcc   /* red zone of an allocated object */

/* ---- Instance-taking API ---- */
struct kmem_cache *kh_kmem_cache_create(struct kh *kh, const char *name, unsigned int size,
                                        unsigned int align, slab_flags_t flags,
                                        void (*ctor)(void *));
/* Linux 6.12's kmem_cache_create(name, size, &args, flags) with
 * args.align and args.freeptr_offset (use_freeptr_offset set): the free
 * pointer of a SLAB_TYPESAFE_BY_RCU cache stays at freeptr_offset inside
 * the object. The kernel refuses (NULL, a "kmem_cache_create failed"
 * report) a freeptr_offset without SLAB_TYPESAFE_BY_RCU, not a multiple of
 * the pointer size, or not below size; on a 6.1 profile the call warns and
 * returns NULL (SPEC 10). */
struct kmem_cache *kh_kmem_cache_create_args(struct kh *kh, const char *name, unsigned int size,
                                             unsigned int align, slab_flags_t flags,
                                             unsigned int freeptr_offset);
void kh_kmem_cache_destroy(struct kh *kh, struct kmem_cache *s);
void *kh_kmem_cache_alloc(struct kh *kh, struct kmem_cache *s, gfp_t gfp);
void *kh_kmem_cache_zalloc(struct kh *kh, struct kmem_cache *s, gfp_t gfp);
void *kh_kmem_cache_alloc_node(struct kh *kh, struct kmem_cache *s, gfp_t gfp, int node);
void kh_kmem_cache_free(struct kh *kh, struct kmem_cache *s, void *obj);
/* All or nothing: returns nr with p[0..nr) filled, or 0 with nothing allocated. */
int kh_kmem_cache_alloc_bulk(struct kh *kh, struct kmem_cache *s, gfp_t gfp, size_t nr, void **p);
void kh_kmem_cache_free_bulk(struct kh *kh, struct kmem_cache *s, size_t nr, void **p);
/* Releases empty slabs (and per-CPU slabs) to the page allocator; returns 0. */
int kh_kmem_cache_shrink(struct kh *kh, struct kmem_cache *s);
unsigned int kh_kmem_cache_size(struct kh *kh, struct kmem_cache *s);
/* The kernel's validate_slab_cache (slub_debug): checks every slab and
 * object, reports each problem in the kernel's words and repairs what the
 * kernel repairs. Returns the number of errors counted KUnit-style (each
 * report and each "FIX" line count one). */
unsigned kh_kmem_cache_validate(struct kh *kh, struct kmem_cache *s);

/* Errors counted KUnit-style (slub_kunit's slab_errors) since creation,
 * reset or the last clear: every BUG report and every FIX applied. */
unsigned long kh_slab_errors(const struct kh *kh);
void kh_slab_errors_clear(struct kh *kh);

/* /proc/slabinfo (version 2.1) text, caches in creation order, newest
 * first as the kernel lists them. Returns the full length like snprintf. */
int kh_slabinfo(struct kh *kh, char *buf, size_t cap);

/* ---- Introspection ---- */
enum kh_slab_list_id {
    KH_SLAB_LIST_NONE,     /* SLUB full slab (tracked on no list) */
    KH_SLAB_LIST_CPU,      /* SLUB: some CPU's current slab */
    KH_SLAB_LIST_PARTIAL,  /* node partial list (SLUB) / slabs_partial (SLAB) */
    KH_SLAB_LIST_FULL,     /* SLUB debug full list / slabs_full (SLAB) */
    KH_SLAB_LIST_FREE,     /* slabs_free (SLAB) */
};
const char *kh_slab_list_name(enum kh_slab_list_id l);

struct kh_cache_info {
    const struct kmem_cache *cache;
    const char *name;
    const char *design;         /* "slub" or "slab" */
    unsigned object_size;       /* requested object size */
    unsigned size;              /* slot size (s->size, /sys slab_size) */
    unsigned align;
    unsigned offset;            /* free pointer offset from the object start */
    unsigned inuse;             /* object + right red zone (s->inuse) */
    unsigned red_left_pad;
    unsigned order;             /* preferred slab order */
    unsigned objects_per_slab;  /* at the preferred order */
    unsigned min_partial;
    unsigned ksize;             /* usable size of an object */
    slab_flags_t flags;
    bool has_ctor, is_kmalloc, dead;
    unsigned refcount;
    unsigned long nr_slabs;     /* slabs allocated */
    unsigned long nr_objects;   /* object slots in those slabs */
    unsigned long nr_inuse;     /* objects held by users (incl. quarantined) */
    unsigned long nr_partial, nr_full, nr_free; /* slabs on each list */
    unsigned long errors;       /* debug errors found in this cache */
    unsigned colour_off, colour;/* classic SLAB colouring (0 for SLUB) */
};

struct kh_slab_info {
    uintptr_t base;             /* address of the slab's first page */
    unsigned order;
    unsigned objects;
    unsigned inuse;             /* allocated to users, including quarantined */
    unsigned quarantined;
    unsigned free;              /* on this slab's (or its CPU's) free lists */
    enum kh_slab_list_id list;
    int cpu;                    /* CPU owning it, -1 if none */
    unsigned colour_off;        /* offset of the first slot (SLAB colouring) */
};

enum kh_object_state {
    KH_OBJ_FREE,
    KH_OBJ_ALLOCATED,
    KH_OBJ_QUARANTINED,   /* freed, held back from reuse */
};
const char *kh_object_state_name(enum kh_object_state st);

struct kh_object_info {
    uintptr_t addr;             /* object start */
    unsigned index;             /* slot index in its slab */
    enum kh_object_state state;
    unsigned requested;         /* kmalloc request (object_size if unknown) */
    uintptr_t alloc_caller;     /* SLAB_STORE_USER only, else 0 */
    uintptr_t free_caller;
    unsigned alloc_cpu, free_cpu;
};

/* Return non-zero to stop; the walk returns that value. */
typedef int (*kh_cache_fn)(void *ctx, const struct kh_cache_info *c);
typedef int (*kh_slab_fn)(void *ctx, const struct kh_slab_info *s);
typedef int (*kh_object_fn)(void *ctx, const struct kh_object_info *o);

/* Caches on the chain, oldest first (kmalloc caches first). */
int kh_for_each_cache(struct kh *kh, kh_cache_fn fn, void *ctx);
unsigned kh_slab_cache_count(struct kh *kh);
/* i-th cache on the chain (oldest first), NULL past the end. */
struct kmem_cache *kh_slab_cache_at(struct kh *kh, unsigned i);
struct kmem_cache *kh_slab_find_cache(struct kh *kh, const char *name);
int kh_slab_cache_info(struct kh *kh, const struct kmem_cache *s, struct kh_cache_info *out);
/* Slabs of a cache in allocation order (oldest first). */
int kh_for_each_slab(struct kh *kh, struct kmem_cache *s, kh_slab_fn fn, void *ctx);
/* Objects of the slab starting at slab_base; -1 if no such slab. */
int kh_for_each_object(struct kh *kh, struct kmem_cache *s, uintptr_t slab_base, kh_object_fn fn,
                       void *ctx);
/* Describes the slab object containing p (p may be interior). Returns 0,
 * or -1 when p is not inside a slab slot. *cache gets the owner. */
int kh_slab_object_lookup(struct kh *kh, const void *p, struct kh_object_info *out,
                          struct kmem_cache **cache);

/* Checks every slab invariant, reporting nothing; violations are returned
 * as data (subsystem "slab"). Invariant names:
 *   "slab-page"          a slab page without PG_slab or private != its slab
 *   "slab-list"          slab on a list its state does not allow, or a list
 *                        link broken / counter differs from the list walk
 *   "freelist"           free list with a cycle, a duplicate, a pointer
 *                        outside the slab or not at a slot start
 *   "object-count"       inuse + free + quarantined != objects, or the
 *                        allocation map disagrees with inuse
 *   "cache-counters"     cache slab/object counters differ from a walk
 *   "cpu-slab"           per-CPU slab state inconsistent
 *   "red-zone"           debug red zone not intact
 *   "poison"             debug poison of a free object not intact
 *   "quarantine"         quarantine entries inconsistent with the slabs
 */
unsigned kh_slab_validate(struct kh *kh, struct kh_violations *out);
/* The same, except that a slab whose state (counters, allocation
 * generation, list, owner CPU, free list heads) is what it was when it last
 * validated clean is not walked again; the cache-level checks (lists,
 * counters, CPU slabs, quarantine) always run. For frequent checks between
 * full ones: damage that leaves a slab's state as it was (a stray write
 * into a free object) waits for the next kh_slab_validate. */
unsigned kh_slab_validate_changed(struct kh *kh, struct kh_violations *out);

/* ---- Kernel names on the default instance ---- */
struct kmem_cache *kmem_cache_create(const char *name, unsigned int size, unsigned int align,
                                     slab_flags_t flags, void (*ctor)(void *));
void kmem_cache_destroy(struct kmem_cache *s);
void *kmem_cache_alloc(struct kmem_cache *s, gfp_t gfp);
void *kmem_cache_zalloc(struct kmem_cache *s, gfp_t gfp);
void *kmem_cache_alloc_node(struct kmem_cache *s, gfp_t gfp, int node);
void kmem_cache_free(struct kmem_cache *s, void *obj);
int kmem_cache_alloc_bulk(struct kmem_cache *s, gfp_t gfp, size_t nr, void **p);
void kmem_cache_free_bulk(struct kmem_cache *s, size_t nr, void **p);
int kmem_cache_shrink(struct kmem_cache *s);
unsigned int kmem_cache_size(struct kmem_cache *s);

#endif
