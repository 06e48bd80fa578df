/* slab_internal.h - structures shared by the slab layer's files
 * (slab_common.c, slub.c, slab.c, slab_debug.c, slab_validate.c,
 * slab_introspect.c, slabinfo.c and kmalloc.c).
 *
 * Split of work. The common layer owns everything that does not depend on
 * the design: cache geometry, the cache chain, slab creation and release
 * (pages, PG_slab, object free chain, ctor), pointer validation on free,
 * the allocation bitmap that makes double frees detectable, debug
 * checks (slab_debug.c), ASan poisoning, the quarantine, introspection
 * (slab_introspect.c, slabinfo.c) and validation (slab_validate.c). A
 * design (struct kh_slab_ops, chosen by kh->cfg.slab) owns where free
 * objects live between allocations: per-CPU slabs and partial lists for
 * SLUB, slabs_full/partial/free for classic SLAB.
 *
 * Objects. A slot of s->size bytes holds [left red zone][object][right red
 * zone][free pointer if outside][2 tracks][orig size][padding]; the object
 * pointer is slot + red_left_pad. A free object stores the next free
 * object's address at object + s->offset.
 *
 * Host memory (struct kmem_cache, struct slab) comes from calloc and is
 * freed on reset/destroy; slab memory comes from kh_alloc_pages.
 */
#ifndef KH_SLAB_INTERNAL_H
#define KH_SLAB_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "internal.h"
#include "kmalloc.h"
#include "slab.h"

#define KH_PTR_SIZE ((unsigned)sizeof(void *))
#define ARCH_SLAB_MINALIGN 8u
#define SLUB_MAX_ORDER 3u            /* PAGE_ALLOC_COSTLY_ORDER */
#define MIN_PARTIAL 5u
#define MAX_PARTIAL 10u
#define KH_TRACK_SIZE 32u            /* struct track with a stack depot handle */

/* Flags private to the slab layer (outside the SLAB_* user bits). */
#define __OBJECT_POISON 0x80000000u  /* poison the object body when free */
#define KH_CACHE_KMALLOC_RZ 0x40000000u /* kmalloc red zone from orig size (Z+U on kmalloc) */

/* Linux 6.1 flag bits the harness accepts without modelling them. */
#define KH_SLAB_MEM_SPREAD      0x00100000u
#define KH_SLAB_TRACE           0x00200000u
#define KH_SLAB_NOLEAKTRACE     0x00800000u
#define KH_SLAB_NO_USER_FLAGS   0x10000000u
/* mm/slab.h of 6.1 (SLAB_DEBUG_OBJECTS is 0 without CONFIG_DEBUG_OBJECTS,
 * SLAB_TEMPORARY is SLAB_RECLAIM_ACCOUNT): kmem_cache_create refuses any
 * other bit with -EINVAL. */
#define KH_SLAB_CORE_FLAGS (SLAB_HWCACHE_ALIGN | SLAB_CACHE_DMA | SLAB_CACHE_DMA32 | SLAB_PANIC | \
                            SLAB_TYPESAFE_BY_RCU)
#define KH_SLAB_DEBUG_FLAGS (SLAB_RED_ZONE | SLAB_POISON | SLAB_STORE_USER | KH_SLAB_TRACE | \
                             SLAB_CONSISTENCY_CHECKS)
#define KH_SLAB_CACHE_FLAGS (KH_SLAB_NOLEAKTRACE | SLAB_RECLAIM_ACCOUNT | SLAB_ACCOUNT | \
                             KH_SLAB_NO_USER_FLAGS | SLAB_KMALLOC)
#define KH_SLAB_FLAGS_PERMITTED (KH_SLAB_CORE_FLAGS | KH_SLAB_DEBUG_FLAGS | KH_SLAB_CACHE_FLAGS | \
                                 KH_SLAB_MEM_SPREAD)
/* What a cache keeps (CACHE_CREATE_MASK of a SLUB kernel). */
#define KH_CACHE_CREATE_MASK (KH_SLAB_CORE_FLAGS | KH_SLAB_DEBUG_FLAGS | KH_SLAB_CACHE_FLAGS)

#define KH_KMALLOC_TYPES 4           /* normal, cgroup, reclaimable, dma (6.1 order) */
#define KH_KMALLOC_SHIFT_LIMIT 26    /* indices 0..25 */

struct kmem_cache;
struct slab;

struct kh_slab_list {
    struct slab *head, *tail;
    unsigned long nr;
};

struct slab {
    struct kmem_cache *cache;
    unsigned char *base;        /* address of the first page */
    unsigned char *first;       /* object pointer of slot 0 */
    struct page *page;          /* head page */
    unsigned order;
    unsigned objects;
    unsigned inuse;             /* objects held by users, quarantined included */
    unsigned quarantined;
    unsigned colour_off;
    void *freelist;             /* free objects not owned by a CPU */
    /* Bumped with every change of freelist or owner: what the kernel's
     * counters word is to its cmpxchg_double on a slab's freelist. */
    unsigned long freelist_seq;
    enum kh_slab_list_id list;
    int cpu;                    /* owning CPU (list == CPU), else -1 */
    struct slab *next, *prev;   /* links on the list named by `list` */
    struct slab *all_next, *all_prev; /* every slab of the cache */
    uint32_t *req;              /* requested size per object, or NULL */
    /* Designs with index_freelist (classic SLAB): free slot indices are
     * free_idx[active..objects), the kernel's freelist_idx_t array and
     * page->active; allocation takes free_idx[active++]. NULL otherwise. */
    uint16_t *free_idx;
    unsigned active;
    /* Every allocation, free and quarantine move adds one; with the list
     * heads it makes the signature kh_slab_validate_changed compares. */
    uint64_t gen;
    uint64_t clean_sig;         /* signature when last validated clean; 0: never */
    uint64_t map[];             /* bit i set: object i allocated or quarantined */
};

struct kh_cpu_slab {
    void *freelist;             /* lockless-style list owned by this CPU */
    struct slab *slab;          /* current slab, NULL if none */
    unsigned long tid;          /* transaction id: bumped by every change of freelist or slab */
    struct kh_lock lock;        /* the kernel's local_lock: held by the slow path */
};

struct kh_slab_ops {
    const char *name;           /* "slub" / "slab": report subsystem */
    /* Free objects are tracked by slab->free_idx instead of a free pointer
     * chained through the objects (slab->freelist stays NULL). Otherwise
     * every free object of a slab is on its chain or on its CPU's chain,
     * which validation counts. */
    bool index_freelist;
    /* Objects wait on per-CPU freelists of the CPU's current slab, so the
     * inline fast paths (kh_slab_alloc_fast, kh_slab_free_fast) may serve a
     * cache of this design that needs no debugging or tracking. */
    bool fast_path;
    /* ksize of an object of s; NULL: the SLUB rule (kh_slab_ksize). */
    unsigned (*ksize)(const struct kmem_cache *s);
    /* Sets the design-dependent geometry (s->order, s->objects,
     * s->min_partial, ...) and host state. Returns 0 or -1. */
    int (*open)(struct kh *kh, struct kmem_cache *s);
    /* Frees host state made by open (slabs are gone already). */
    void (*close)(struct kh *kh, struct kmem_cache *s);
    /* Returns a free object taken out of the design's lists (its bitmap bit
     * still clear), or NULL when no slab can be had. */
    void *(*get_object)(struct kh *kh, struct kmem_cache *s, gfp_t gfp);
    /* Takes back a validated object whose bitmap bit is already clear. */
    void (*put_object)(struct kh *kh, struct kmem_cache *s, struct slab *slab, void *obj);
    /* Returns per-CPU objects and slabs to the node lists. */
    void (*flush)(struct kh *kh, struct kmem_cache *s);
    /* Releases every empty slab; returns pages given back. */
    unsigned long (*shrink)(struct kh *kh, struct kmem_cache *s);
    /* /proc/slabinfo tunables: limit, batchcount, sharedfactor. */
    void (*tunables)(const struct kmem_cache *s, unsigned out[3]);
    /* /proc/slabinfo active_objs and active_slabs, as the design counts
     * them. */
    void (*slabinfo_active)(const struct kmem_cache *s, unsigned long *objs,
                            unsigned long *slabs);
    /* Design invariants (lists, CPU state); returns violations added. */
    unsigned (*validate)(struct kh *kh, struct kmem_cache *s, struct kh_violations *out);
    /* Number of objects currently free on design-owned lists for slab
     * (CPU freelists included). */
    unsigned (*free_count)(struct kh *kh, struct kmem_cache *s, struct slab *slab);
};

/* The two designs: SLUB (slub.c; also under the SLOB profile, whose size
 * classes it serves) and classic SLAB (slab.c). */
extern const struct kh_slab_ops kh_slub_ops;
extern const struct kh_slab_ops kh_slab_classic_ops;

enum kh_cache_state { KH_CACHE_LIVE = 0x51ab, KH_CACHE_LEAKED, KH_CACHE_DESTROYED };

struct kmem_cache {
    enum kh_cache_state state;
    char *name;
    unsigned object_size, size, align, offset, inuse, red_left_pad;
    int freeptr_offset;         /* kmem_cache_args' freeptr_offset (6.12, RCU caches), -1: none */
    slab_flags_t flags;
    void (*ctor)(void *);
    unsigned order, objects;    /* preferred order and its objects */
    unsigned min_order, min_objects_oo; /* fallback order under pressure */
    unsigned min_partial;
    uint64_t recip;             /* 2^32 / size rounded up: fast index */
    bool is_kmalloc;
    bool slow;                  /* debug, tracked sizes, quarantine or ASan: every object takes the full path */
    bool fast;                  /* SLUB and not slow: inline CPU-freelist path (kh_slab_alloc_fast) */
    bool track_req;             /* keep per-object requested sizes */
    unsigned refcount;
    gfp_t alloc_gfp;            /* zone bits for slab pages */
    const struct kh_slab_ops *ops;
    struct kh *kh;

    struct kmem_cache *next, *prev;   /* cache chain (creation order) */
    struct kh_slab_list partial, full, free;
    struct kh_lock list_lock;         /* the node's list_lock: partial and full lists */
    struct slab *all_head, *all_tail;
    unsigned long nr_slabs, nr_objects, nr_inuse;
    unsigned long errors;
    void *design;                     /* backend private state */
    unsigned colour_off, colour, colour_next; /* classic SLAB */
    unsigned long free_objects;       /* classic SLAB: free objects on the node lists */
    /* nr_cpus entries, in the cache itself: the hot path reaches a CPU's
     * freelist without one more dependent load. */
    struct kh_cpu_slab cpu[];
};

struct kh_quarantine_entry { void *obj; struct slab *slab; };

struct kh_slab_state {
    struct kmem_cache *chain_head, *chain_tail;   /* live and leaked caches */
    struct kmem_cache *dead_head;                 /* destroyed: kept for double-destroy checks */
    unsigned nr_caches;
    const struct kh_slab_ops *ops;
    unsigned shift_low, shift_high, shift_max;
    size_t min_size, max_cache_size, max_size;
    uint8_t size_index[24];                       /* (size - 1) / 8 -> index, sizes <= 192 */
    struct kmem_cache *size_cache[24];            /* the same, straight to the KM_NORMAL cache */
    struct kmem_cache *kmalloc[KH_KMALLOC_TYPES][KH_KMALLOC_SHIFT_LIMIT];
    slab_flags_t debug_flags;                     /* from cfg.slub_debug */
    unsigned long errors;                         /* KUnit-style count */
    unsigned long clock;                          /* track "when" */
    struct kh_quarantine_entry *q;
    unsigned q_cap, q_head, q_len;
    bool shrinker_registered;
};

/* ---- common helpers (slab_common.c) ---- */
static inline struct kh_slab_state *kh_slab_state(const struct kh *kh) { return kh->slab; }

#ifdef KH_ASAN
/* Free pointers live in poisoned memory: read and write them unchecked. */
void *kh_get_fp(const struct kmem_cache *s, const void *obj);
void kh_set_fp(const struct kmem_cache *s, void *obj, void *fp);
#else
static inline void *kh_get_fp(const struct kmem_cache *s, const void *obj)
{
    void *fp;
    __builtin_memcpy(&fp, (const unsigned char *)obj + s->offset, sizeof(fp));
    return fp;
}
static inline void kh_set_fp(const struct kmem_cache *s, void *obj, void *fp)
{
    __builtin_memcpy((unsigned char *)obj + s->offset, &fp, sizeof(fp));
}
#endif

/* True when p lies in the instance's arena. */
static inline bool kh_in_arena(const struct kh *kh, const void *p)
{
    return (uintptr_t)p - (uintptr_t)kh->arena < kh->arena_bytes;   /* wraps below the arena */
}

/* Slot index of an object pointer known to lie in the slab. */
static inline unsigned kh_obj_index(const struct kmem_cache *s, const struct slab *slab,
                                    const void *obj)
{
    uint64_t off = (uint64_t)((const unsigned char *)obj - slab->first);
    uint64_t idx = (off * s->recip) >> 32;   /* may be one too high: correct */
    return (unsigned)(idx - (idx * s->size > off));
}
static inline void *kh_obj_at(const struct kmem_cache *s, const struct slab *slab, unsigned i)
{
    return slab->first + (size_t)i * s->size;
}
static inline bool kh_map_test(const struct slab *slab, unsigned i)
{
    return (slab->map[i >> 6] >> (i & 63)) & 1;
}
static inline void kh_map_set(struct slab *slab, unsigned i) { slab->map[i >> 6] |= 1ull << (i & 63); }
static inline void kh_map_clear(struct slab *slab, unsigned i)
{
    slab->map[i >> 6] &= ~(1ull << (i & 63));
}

/* Slab lists. */
void kh_slab_list_add(struct kh_slab_list *l, struct slab *slab, enum kh_slab_list_id id,
                      bool tail);
void kh_slab_list_del(struct kh_slab_list *l, struct slab *slab);

/* A new slab at the cache's preferred order (falling back to its minimum
 * order), objects chained on slab->freelist in address order, constructed
 * and debug-initialised. colour_off shifts the first slot (classic SLAB).
 * NULL when the page allocator fails. */
struct slab *kh_slab_new(struct kh *kh, struct kmem_cache *s, gfp_t gfp, unsigned colour_off);
/* Slots in a slab of `order` whose first slot starts colour_off bytes in:
 * what fits, capped at s->objects at the cache's preferred order (classic
 * SLAB reserves room for its on-slab index array). */
unsigned kh_slab_capacity(const struct kh *kh, const struct kmem_cache *s, unsigned order,
                          unsigned colour_off);
/* Gives a slab's pages back (after debug padding checks) and frees it. */
void kh_slab_discard(struct kh *kh, struct kmem_cache *s, struct slab *slab);

/* Geometry (SPEC 0b). */
/* Slot layout from s->object_size, s->align, s->flags and s->ctor: sets
 * size, inuse, offset, red_left_pad and recip (6.1 calculate_sizes()). */
void kh_slab_calculate_sizes(struct kmem_cache *s);
unsigned kh_calculate_alignment(const struct kh *kh, slab_flags_t flags, unsigned align,
                                unsigned size);
int kh_slub_calculate_order(const struct kh *kh, unsigned size);

/* Internal create used for the kmalloc caches. */
/* freeptr_offset: kmem_cache_args' (6.12), -1 for none. */
struct kmem_cache *kh_cache_create_internal(struct kh *kh, const char *name, unsigned size,
                                            unsigned align, slab_flags_t flags,
                                            void (*ctor)(void *), bool is_kmalloc,
                                            int freeptr_offset);
/* Allocation and free with the caller's address (for user tracking) and
 * the requested size (kmalloc); the core of every entry point. */
void *kh_slab_alloc(struct kh *kh, struct kmem_cache *s, gfp_t gfp, size_t req, uintptr_t caller);
void kh_slab_free(struct kh *kh, struct kmem_cache *s, struct slab *slab, void *obj,
                  uintptr_t caller);
/* Resolves p to its slab and slot; reports (as `who`) and returns NULL when
 * p is not the start of an allocated object. */
struct slab *kh_slab_check_free_ptr(struct kh *kh, const void *p, const char *who,
                                    uintptr_t caller);
/* Strips zone bits slab pages must not use, with the kernel's warning. */
gfp_t kh_slab_fix_gfp(struct kh *kh, gfp_t gfp);
/* Object i of slab sits in the quarantine. */
bool kh_slab_quarantined(const struct slab *slab, unsigned i);
/* Slab holding p (PG_slab page), or NULL. */
struct slab *kh_slab_of(const struct kh *kh, const void *p);
/* Usable size of an object of s (ksize). */
unsigned kh_slab_ksize(const struct kmem_cache *s);
/* Slot index of p in slab, or -1 when p is not an object start. */
static inline __attribute__((always_inline)) long kh_slab_object_index(const struct kmem_cache *s,
                                                                     const struct slab *slab, const void *p)
{
    const unsigned char *c = p;
    if (c < slab->first)
        return -1;
    uint64_t off = (uint64_t)(c - slab->first);
    uint64_t idx = (off * s->recip) >> 32;
    if (idx * s->size > off)
        idx--;
    if (idx >= slab->objects || idx * s->size != off)
        return -1;
    return (long)idx;
}

/* The kernel names' entry points (kernel_names.c): the same as the kh_
 * forms, with the address the kernel would report as the caller. */
void *kh_kmalloc_caller(struct kh *kh, size_t size, gfp_t gfp, uintptr_t caller);
void *kh_krealloc_caller(struct kh *kh, const void *p, size_t new_size, gfp_t gfp, uintptr_t caller);
void kh_kfree_caller(struct kh *kh, const void *p, uintptr_t caller);
void kh_kfree_sensitive_caller(struct kh *kh, const void *p, uintptr_t caller);
void kh_kmem_cache_free_caller(struct kh *kh, struct kmem_cache *s, void *obj, uintptr_t caller);

/* Objects in use in s, summed over its slabs. */
unsigned long kh_slab_cache_inuse(const struct kmem_cache *s);
/* Requested size recorded for obj (object_size if not tracked). */
unsigned kh_slab_req_size(const struct kmem_cache *s, const struct slab *slab, unsigned idx);
void kh_slab_set_req_size(struct kmem_cache *s, struct slab *slab, unsigned idx, unsigned req);
/* ASan view of an allocated object: exactly req bytes addressable. */
void kh_slab_asan_alloc(const struct kmem_cache *s, void *obj, size_t req);

/* ---- the hot path --------------------------------------------------------
 * Inline fast paths for kmalloc/kfree and kmem_cache_alloc/free on a cache
 * with s->fast set: the object comes from (or goes back to) the current
 * CPU's freelist, with the allocation bitmap and the in-use count kept
 * exactly as kh_slab_alloc / kh_slab_free keep them. Whatever they do not
 * handle (empty freelist, __GFP_ZERO, fault injection, any pointer that is
 * not a live object of a fast cache) goes to the out-of-line functions,
 * which check and report as before.
 * s->fast implies a live cache: kmem_cache_destroy clears it.
 * Objects on a CPU freelist always belong to that CPU's slab (slub.c), so
 * the allocation side needs no struct page lookup. */

/* Slot index of an object start. For off = k * size, off * recip / 2^32 is
 * exactly k (k * size < 2^32), so no correction is needed; for any other
 * off the result times size differs from off, which is how the free path
 * tells an object start from an interior pointer. */
static inline unsigned kh_obj_index_exact(const struct kmem_cache *s, uint64_t off)
{
    return (unsigned)((off * s->recip) >> 32);
}

static inline void *kh_slab_alloc_fast(struct kh *kh, struct kmem_cache *s, gfp_t gfp, size_t req,
                                       uintptr_t caller)
{
    struct kh_cpu_slab *c = &s->cpu[kh->current_cpu];
    void *obj = c->freelist;
    if (__builtin_expect(s->fast && obj && !(gfp & __GFP_ZERO) && kh->fault.cfg.mode == KH_FAULT_OFF,
                         1)) {
        struct slab *slab = c->slab;
        c->freelist = kh_get_fp(s, obj);
        unsigned idx = kh_obj_index_exact(s, (uint64_t)((unsigned char *)obj - slab->first));
        kh_map_set(slab, idx);
        slab->inuse++;
        return obj;
    }
    return kh_slab_alloc(kh, s, gfp, req, caller);
}

/* Frees p and returns true when p is an allocated object of a fast cache
 * (of `expect` when not NULL); otherwise changes nothing and returns false,
 * and the caller takes the full path. An object of the current CPU's slab
 * goes onto its freelist here; any other goes to the design's put_object,
 * as kh_slab_free would send it. */
static inline bool kh_slab_free_fast(struct kh *kh, const void *p, const struct kmem_cache *expect)
{
    uintptr_t off = (uintptr_t)p - (uintptr_t)kh->arena;   /* wraps when below the arena */
    if (__builtin_expect(off >= kh->arena_bytes, 0))
        return false;
    const struct page *page = &kh->pages[off >> kh->page_shift];
    if (__builtin_expect(!(page->flags & PG_slab), 0))
        return false;
    struct slab *slab = page->private;
    struct kmem_cache *s = slab->cache;
    if (__builtin_expect(!s->fast || (expect && s != expect), 0))
        return false;
    uint64_t o = (uint64_t)((const unsigned char *)p - slab->first);   /* wraps when below */
    unsigned idx = kh_obj_index_exact(s, o);
    if (__builtin_expect(idx >= slab->objects || (uint64_t)idx * s->size != o, 0))
        return false;   /* not an object start */
    uint64_t *word = &slab->map[idx >> 6], bit = 1ull << (idx & 63);
    if (__builtin_expect(!(*word & bit), 0))
        return false;   /* already free */
    *word &= ~bit;
    slab->inuse--;
    struct kh_cpu_slab *c = &s->cpu[kh->current_cpu];
#ifdef KH_PLANT_FREE_TO_SLAB
    if (0) {   /* planted bug: the object goes to its slab's list, not the CPU's freelist */
#else
    if (__builtin_expect(c->slab == slab, 1)) {
#endif
        kh_set_fp(s, (void *)p, c->freelist);
        c->freelist = (void *)p;
    } else {
        s->ops->put_object(kh, s, slab, (void *)p);
    }
    return true;
}

/* kmalloc.c */
const char *kh_kmalloc_init(struct kh *kh);

/* ---- debugging (slab_debug.c) ---- */
/* Slot layout helpers. */
unsigned kh_debug_info_end(const struct kmem_cache *s);  /* end of fp/object metadata */
bool kh_fp_outside(const struct kmem_cache *s);
/* New slab: poison padding and initialise every object as free. */
void kh_debug_init_slab(struct kh *kh, struct kmem_cache *s, struct slab *slab);
/* Slab about to be released: check the trailing padding. */
void kh_debug_check_slab_padding(struct kh *kh, struct kmem_cache *s, struct slab *slab);
/* Allocation: checks the free object, then marks it allocated (red zones,
 * track, kmalloc red zone). Returns false if it must not be handed out. */
bool kh_debug_alloc(struct kh *kh, struct kmem_cache *s, struct slab *slab, void *obj,
                    unsigned req, uintptr_t caller);
/* Free: consistency checks on the allocated object; then poisons it.
 * Returns false if the free must be abandoned. */
bool kh_debug_free(struct kh *kh, struct kmem_cache *s, struct slab *slab, void *obj,
                   uintptr_t caller);
/* kmalloc red zone after an in-place krealloc. */
void kh_debug_set_req(struct kh *kh, struct kmem_cache *s, struct slab *slab, void *obj,
                      unsigned old_req, unsigned new_req);
/* validate_slab_cache for one slab: returns errors counted. */
unsigned kh_debug_validate_slab(struct kh *kh, struct kmem_cache *s, struct slab *slab);
/* Read-only check of one object's red zones and poison (validation). */
const char *kh_debug_object_damage(const struct kmem_cache *s, const struct slab *slab,
                                   const void *obj, bool allocated);
/* Reports in the kernel's slab_bug format; counts errors (+1, +1 more for a fix). */
void kh_slab_bug(struct kh *kh, struct kmem_cache *s, const char *reason, uintptr_t addr,
                 const char *fix, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* Track of obj (alloc or free), zeros if none. */
void kh_debug_get_track(const struct kmem_cache *s, const void *obj, bool free_track,
                        uintptr_t *addr, unsigned *cpu);

/* Reads and writes of slab memory by the allocator itself: unchecked by
 * ASan and leaving its poisoning unchanged. */
void kh_meta_fill(void *dst, int c, size_t n);
void kh_meta_copy(void *dst, const void *src, size_t n);
/* First byte in [p, p + n) differing from c, or NULL. */
const unsigned char *kh_meta_find_not(const void *p, int c, size_t n);

#endif
