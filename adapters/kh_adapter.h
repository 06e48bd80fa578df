/* kh_adapter.h - the seam between kmem-harness and an allocator under test.
 *
 * An adapter is one constant `struct kh_adapter` exported under the symbol
 * KH_ADAPTER_SYMBOL ("kh_adapter"): function pointers for what the allocator
 * can do, plus what it declares about itself. The black-box tier
 * (fuzz/blackbox/) runs trace operations through it and checks the results
 * against a shadow model; the conformance suite reads the same symbol from a
 * shared library (conformance/kmem/adapter.py). docs/PLUGIN.md explains how
 * to write one; adapters/template.c is a starting point.
 *
 * Tiers (offer any non-empty subset; a tier is offered when its required
 * functions are set):
 *   (a) object: alloc(size, align, flags) / free [/ realloc / usable_size]
 *   (b) page:   alloc(order, flags) / free(p, order) [/ by size]
 *   (c) cache:  create(name, size, align) / alloc / free / destroy [/ shrink]
 * (or free_sized instead of object.free), plus optional arena operations
 * (pool.add / remove / resize).
 * Operations an adapter cannot do are skipped and counted; checks that need
 * a hook it lacks are reported as skipped, never passed.
 *
 * Rules every adapter follows:
 *   - Single-threaded unless declared: the harness never calls an adapter
 *     concurrently, except one declaring KH_CAP_THREAD_SAFE, which the
 *     concurrent target (fuzz/blackbox/concurrent.c) calls from several
 *     threads at once (docs/CONCURRENCY.md).
 *   - Allocation functions return NULL on failure and never abort for a
 *     request they can refuse (sizes above max_size, orders above
 *     page.max_order, alignments above max_align).
 *   - Nothing here may be intercepted by AddressSanitizer: under ASan the
 *     harness's own malloc is ASan's, so an adapter for a system allocator
 *     calls that allocator's own entry points (mi_malloc, mallocx,
 *     tc_malloc, __libc_malloc), never plain malloc. See docs/PLUGIN.md.
 */
#ifndef KH_ADAPTER_H
#define KH_ADAPTER_H

#include <stddef.h>
#include <stdint.h>

/* Bumped when struct kh_adapter changes incompatibly; the harness refuses
 * an adapter built against another version, naming both numbers. */
#define KH_ADAPTER_ABI 2
#define KH_ADAPTER_SYMBOL "kh_adapter"

/* Flags for every allocation call. */
#define KH_AF_ZERO   0x1u   /* the memory must read as zero (needs KH_CAP_ZERO) */
#define KH_AF_ATOMIC 0x2u   /* the caller cannot sleep or reclaim: may fail more readily */

/* Capabilities and promises. A promise is checked only when declared. */
#define KH_CAP_FREE_NULL     (1u << 0)  /* every free function ignores NULL */
#define KH_CAP_ZERO          (1u << 1)  /* KH_AF_ZERO is honoured by every tier */
#define KH_CAP_ALIGNED       (1u << 2)  /* object.alloc honours align (power of two,
                                         * up to max_align) */
#define KH_CAP_NATURAL_ALIGN (1u << 3)  /* object.alloc of a power-of-two size up to
                                         * natural_align_max is aligned to that size */
#define KH_CAP_REALLOC_NULL  (1u << 4)  /* object.realloc(NULL, n) allocates n bytes */
#define KH_CAP_PAGE_ORDER_ALIGNED (1u << 5) /* page blocks are aligned to their size */
#define KH_CAP_DETECTS_DOUBLE_FREE  (1u << 6) /* freeing a freed block is reported
                                               * (misuse_reports) or aborts */
#define KH_CAP_DETECTS_INVALID_FREE (1u << 7) /* freeing an interior pointer is
                                               * reported or aborts */
/* What misuse (a double free, a free of an interior or foreign pointer)
 * does. Declare one policy: the DETECTS_* bits above ("misuse is reported"),
 * or one of these two. Undeclared, misuse is probed for information only. */
#define KH_CAP_MISUSE_IGNORED   (1u << 8)  /* such frees are ignored harmlessly: no
                                            * crash, and nothing changes (every live
                                            * block stays intact, later allocations
                                            * do not overlap them) */
#define KH_CAP_MISUSE_UNDEFINED (1u << 9)  /* misuse is undefined behaviour: never probed */
#define KH_CAP_NO_ALIGN      (1u << 10) /* no alignment beyond min_align anywhere (an
                                         * object cache whose create ignores align):
                                         * such requests are skipped with this reason */
#define KH_CAP_THREAD_SAFE   (1u << 11) /* every function except open, close and reset
                                         * may run on several threads at once, and a
                                         * block may be freed or reallocated on a thread
                                         * other than the one that allocated it */

enum kh_adapter_fault_mode {
    KH_ADAPTER_FAULT_OFF,
    KH_ADAPTER_FAULT_NTH,     /* fail the nth allocation attempt (1-based) only */
    KH_ADAPTER_FAULT_FROM,    /* fail the nth attempt and every later one */
    KH_ADAPTER_FAULT_RANDOM,  /* fail each attempt with probability percent/100 */
};

struct kh_adapter_fault {
    enum kh_adapter_fault_mode mode;
    uint64_t nth;
    unsigned percent;
    uint64_t seed;            /* RANDOM: same seed, same failures */
};

struct kh_adapter {
    unsigned abi;             /* KH_ADAPTER_ABI */
    const char *name;         /* short: "glibc", "jemalloc", "my-firmware-buddy" */
    const char *description;  /* one line: what and which version */
    unsigned caps;            /* KH_CAP_* */

    /* ---- declarations (0 / NULL: not declared, the check is skipped) ---- */
    size_t min_align;         /* every object and cache result is aligned to this */
    size_t max_align;         /* KH_CAP_ALIGNED: largest align object.alloc honours */
    size_t natural_align_max; /* KH_CAP_NATURAL_ALIGN: up to this size */
    size_t max_size;          /* object requests above this must return NULL */
    /* A non-NULL value that object.alloc(0) returns instead of memory (the
     * kernel's ZERO_SIZE_PTR); free and usable_size accept it. NULL: a
     * zero-byte request returns NULL or a unique pointer. */
    const void *zero_size_ptr;
    /* Requests of at most nofail_size bytes must not fail while the harness
     * holds fewer than nofail_live bytes and no fault is being injected. */
    size_t nofail_size;
    size_t nofail_live;

    /* ---- lifecycle (all optional) ---- */
    /* Returns the context passed to every other function, or NULL with a
     * reason in *err. Without open the context is NULL. */
    void *(*open)(const char **err);
    void (*close)(void *ctx);
    /* Back to the state right after open; called between fuzz inputs after
     * the harness has freed everything it allocated. */
    void (*reset)(void *ctx);

    /* ---- tier (a): objects; alloc and free required ---- */
    struct {
        void *(*alloc)(void *ctx, size_t size, size_t align, unsigned flags);  /* align 0: default */
        void (*free)(void *ctx, void *p);
        void *(*realloc)(void *ctx, void *p, size_t size, unsigned flags);     /* size > 0 */
        size_t (*usable_size)(void *ctx, const void *p);
    } object;

    /* ---- tier (b): page blocks; page_shift, alloc and free required ---- */
    struct {
        unsigned page_shift;
        unsigned max_order;   /* largest order served (inclusive); larger ones fail */
        void *(*alloc)(void *ctx, unsigned order, unsigned flags);
        void (*free)(void *ctx, void *p, unsigned order);
        /* Any size in whole pages (alloc_pages_exact); optional pair. */
        void *(*alloc_size)(void *ctx, size_t size, unsigned flags);
        void (*free_size)(void *ctx, void *p, size_t size);
    } page;

    /* ---- tier (c): object caches; create, destroy, alloc, free required ---- */
    struct {
        /* align 0: the allocator's default. Returns a handle or NULL. */
        void *(*create)(void *ctx, const char *name, size_t size, size_t align);
        void (*destroy)(void *ctx, void *cache);   /* only called when empty */
        void *(*alloc)(void *ctx, void *cache, unsigned flags);
        void (*free)(void *ctx, void *cache, void *p);
        void (*shrink)(void *ctx, void *cache);    /* optional */
        size_t (*object_size)(void *ctx, void *cache);  /* optional: usable bytes per object */
    } cache;

    /* ---- fault injection (optional pair) ---- */
    void (*fault_set)(void *ctx, const struct kh_adapter_fault *f);
    /* Failures injected since the last fault_set. */
    uint64_t (*faults_injected)(void *ctx);

    /* ---- introspection (each optional) ---- */
    /* The allocator's own consistency check: 0 when consistent, else nonzero
     * with a one-line description in msg. */
    int (*validate)(void *ctx, char *msg, size_t cap);
    /* Every block from every tier lies in [*start, *end). */
    void (*arena)(void *ctx, uintptr_t *start, uintptr_t *end);
    /* Misuse reports (double free, invalid free, corruption found) since
     * open/reset, for allocators that report instead of aborting. */
    uint64_t (*misuse_reports)(void *ctx);
    /* Bytes the allocator considers in use by the caller; after everything
     * is freed it must return to the value it had before (leak check). */
    size_t (*bytes_in_use)(void *ctx);

    /* ---- added in ABI 2 ---- */
    /* Tier (a) with a sized free (free(p, size), as kernel-style allocators
     * take): set it instead of (or besides) object.free; the harness passes
     * the size it requested (after a realloc, the new size). */
    void (*free_sized)(void *ctx, void *p, size_t size);
    /* Coalescing promise: once everything is freed, one request of this many
     * bytes succeeds (object tier; a page block of the smallest order that
     * holds it when there is no object tier). The size of the whole arena
     * (less the allocator's own header) for an allocator that merges every
     * free neighbour. Checked at the end of every input. 0: not declared. */
    size_t coalesce_size;

    /* ---- arena operations (each optional) ---- */
    /* Growing and shrinking the memory the allocator manages. Live blocks
     * must stay valid (same address, same content) across every one of
     * them; the harness checks that after each. */
    struct {
        /* Hands the allocator [mem, mem + bytes) (page-aligned, owned by the
         * harness) as another pool. Returns a handle, or NULL when refused. */
        void *(*add)(void *ctx, void *mem, size_t bytes);
        /* Takes a pool back: 0 when done (the harness then unmaps it; no live
         * block may be in it), nonzero when refused (blocks still live). */
        int (*remove)(void *ctx, void *pool);
        /* Grows or shrinks a pool (NULL: the allocator's own arena) to
         * `bytes`, in place: 0 when done, nonzero when refused. A pool from
         * add may grow up to the reserve the harness mapped for it
         * (four times its first size). */
        int (*resize)(void *ctx, void *pool, size_t bytes);
    } pool;
};

/* What an adapter's source file defines (C linkage, default visibility). */
#ifdef __cplusplus
extern "C" {
#endif
extern const struct kh_adapter kh_adapter;
/* The sanitizer checks relaxed for this allocator and why ("alignment:
 * packed v1 header, harmless on x86"), shown with every finding. Defined by
 * kh_adapter(relax_sanitizers = {...}) in a generated source; weak, so an
 * adapter built otherwise has none. */
extern const char kh_adapter_sanitizer_relaxed[] __attribute__((weak));
#ifdef __cplusplus
}
#endif

#endif
