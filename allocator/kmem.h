/* kmem.h - the allocator instance: configuration profiles, lifecycle, the
 * reporting hook and deterministic fault injection.
 *
 * Every piece of allocator state lives in one `struct kh` instance. The
 * kernel-style names (kmalloc, alloc_pages, ...) act on a process-wide
 * default instance; every such function has a `kh_` twin that takes the
 * instance explicitly, which is what tests and fuzzers use.
 *
 * An instance is single-threaded, like one CPU with interrupts off: callers
 * serialise access themselves. Behaviour is a pure function of the
 * configuration and the operation sequence (no time, no ASLR-dependent
 * decisions), so a crash input replays identically.
 */
#ifndef KH_KMEM_H
#define KH_KMEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gfp.h"

struct kh;

enum kh_slab_design {
    KH_SLAB_SLUB,
    KH_SLAB_SLAB,   /* classic SLAB: full/partial/free lists, colouring */
    KH_SLAB_SLOB,   /* only its kmalloc size-class rules are modelled */
};

/* Kernel zone names; HIGHMEM is optional (0 pages by default). */
enum zone_type { ZONE_DMA, ZONE_DMA32, ZONE_NORMAL, ZONE_HIGHMEM, MAX_NR_ZONES };

/* The kernel release a profile follows. Everything that differs between
 * releases in what this project models is one field of struct
 * kh_kernel_traits (kh_kernel_traits()), looked up from this: the code asks
 * for the behaviour, never for the version. */
enum kh_kernel {
    KH_KERNEL_6_1,    /* Linux 6.1 (and the 4.x-era SLAB/SLOB profiles' API) */
    KH_KERNEL_6_12,   /* Linux 6.12 (SPEC 10) */
    KH_KERNEL_COUNT
};

struct kh_kernel_traits {
    const char *release;              /* "6.1", "6.12" */
    /* kmalloc-N caches not a power of two (96, 192) are aligned to the
     * largest power of two dividing N (32, 64) instead of
     * ARCH_KMALLOC_MINALIGN (SPEC 10) */
    bool kmalloc_align_pow2_divisor;
    /* kmalloc_size_roundup(n) above KMALLOC_MAX_SIZE returns n; else
     * PAGE_SIZE << get_order(n), wrapping to 0 past 2^63 (SPEC 1, 10) */
    bool roundup_keeps_oversize;
    /* krealloc with __GFP_ZERO that stays in place zeroes [new size,
     * ksize) (SPEC 10) */
    bool krealloc_zeroes_spare;
    /* which kvrealloc exists: (p, oldsize, newsize, gfp) in 6.1,
     * (p, size, gfp) in 6.12; vrealloc(p, size, gfp) is new in 6.12
     * (SPEC 9, 10) */
    bool kvrealloc_has_old_size;
    bool has_vrealloc;
    /* kmem_cache_create takes struct kmem_cache_args, whose freeptr_offset
     * lets a SLAB_TYPESAFE_BY_RCU cache keep its free pointer inside the
     * object (SPEC 10) */
    bool has_cache_args;
    /* the largest page order is named MAX_PAGE_ORDER and counted
     * inclusively (6.8 on); struct kh_config's max_order stays the
     * exclusive count either way (SPEC 1, 10) */
    bool max_page_order_inclusive;
    /* which requests may dig a further quarter below MIN (ALLOC_HARDER in
     * 6.1): those with __GFP_ATOMIC (6.1); from 6.3 the flag is gone and it
     * is __GFP_HIGH requests that may not block (ALLOC_MIN_RESERVE with
     * ALLOC_NON_BLOCK), the bit is ignored (SPEC 3, 10). Either way not
     * with __GFP_NOMEMALLOC. */
    bool harder_from_gfp_atomic;
    /* classic SLAB and SLOB are still in the tree (gone by 6.12) */
    bool has_slab_and_slob;
};

/* The traits of a kernel release; NULL for an unknown value. */
const struct kh_kernel_traits *kh_kernel_traits_of(enum kh_kernel k);

#define KH_MAX_CPUS 64
#define KH_MAX_ORDER_LIMIT 20   /* upper bound accepted for config.max_order */

struct kh_config {
    const char *profile;              /* name of the profile this came from */
    unsigned page_shift;              /* 12, 14 or 16 */
    unsigned max_order;               /* exclusive (pre-6.4 meaning): orders 0..max_order-1 */
    uint64_t zone_bytes[MAX_NR_ZONES];/* memory per zone, laid out DMA, DMA32, NORMAL, HIGHMEM */
    unsigned nr_cpus;                 /* simulated CPUs (SLUB slab order depends on it) */
    enum kh_slab_design slab;
    unsigned cache_line;              /* L1 cache line size, 64 on x86_64 */
    unsigned arch_kmalloc_minalign;   /* ARCH_KMALLOC_MINALIGN, 8 on x86_64 */
    unsigned min_free_kbytes;         /* 0: derive as the kernel does from lowmem size */
    unsigned watermark_scale_factor;  /* kernel default 10 (0.1% of zone) */
    bool slab_nomerge;                /* no cache merging (SPEC 5); every profile boots as with slab_nomerge, like the oracle kernel, so caches keep their own names and identity */
    char slub_debug[32];              /* slub_debug letters applied to every cache ("" = off, "FZPU") */
    unsigned quarantine_objects;      /* freed objects held back before reuse (0 = none) */
    enum kh_kernel kernel;            /* the release it follows (kh_kernel_traits_of) */
};

/* Fills *cfg with a named profile. Known names: see kh_profile_names().
 * Returns 0, or -1 when the name is unknown. */
int kh_profile_config(const char *name, struct kh_config *cfg);
/* NULL-terminated list of profile names; the first is the default. */
const char *const *kh_profile_names(void);
/* One-line description of a profile, NULL when the name is unknown. */
const char *kh_profile_description(const char *name);
#define KH_DEFAULT_PROFILE "linux-6.1-x86_64"

/* Checks a configuration. Returns NULL when valid, else a message naming
 * the offending field and why. */
const char *kh_config_check(const struct kh_config *cfg);

/* Creates an instance. Returns NULL (and writes the reason to *err when
 * err is non-NULL) on an invalid config or when host memory cannot be
 * reserved. Creation and destruction cost does not grow with arena size. */
struct kh *kh_create(const struct kh_config *cfg, const char **err);
void kh_destroy(struct kh *kh);
/* Back to the just-created state. Cost is proportional to what was touched
 * since creation or the last reset, not to the arena size. */
void kh_reset(struct kh *kh);
const struct kh_config *kh_get_config(const struct kh *kh);
/* The instance's kernel release traits (never NULL). */
const struct kh_kernel_traits *kh_kernel_traits(const struct kh *kh);

/* The default instance used by the kernel-style names. Created on first use
 * from the profile in $KMEM_PROFILE (default KH_DEFAULT_PROFILE). */
struct kh *kh_default(void);
/* Replaces the default instance (destroying the old one); NULL just drops it. */
void kh_set_default(struct kh *kh);

/* Simulated CPU the caller runs on (per-CPU slabs, this_cpu_ptr). A CPU
 * at or above nr_cpus is reported ("cpu out of range") and taken modulo
 * nr_cpus. */
void kh_set_cpu(struct kh *kh, unsigned cpu);
unsigned kh_current_cpu(const struct kh *kh);

/* ---- Reports ------------------------------------------------------------
 * Every warning and bug goes through one hook, phrased as the kernel would
 * phrase it. `reason` is a short stable title ("double free",
 * "Right Redzone overwritten") that tests match on; `text` is the full
 * multi-line report. */
enum kh_severity { KH_SEV_WARN, KH_SEV_BUG };

enum kh_report_class {
    KH_R_PAGE_ALLOC_FAILURE,  /* "page allocation failure: order:N, mode:..." */
    KH_R_WARN,                /* WARN_ON-style misuse warnings */
    KH_R_BAD_PAGE,            /* "BUG: Bad page state": bad free_pages & co */
    KH_R_SLAB,                /* "BUG <cache> (Not tainted): <reason>" */
    KH_R_KFREE,               /* invalid kfree / ksize / krealloc pointers */
    KH_R_VMALLOC,             /* vfree/vmalloc misuse */
    KH_R_MEMPOOL,             /* mempool misuse and modelled deadlocks */
    KH_R_PERCPU,              /* per-CPU allocator warnings */
    KH_R_OOM,                 /* out of memory with nothing left to reclaim */
    KH_R_NR_CLASSES
};

struct kh_report {
    enum kh_severity severity;
    enum kh_report_class cls;
    const char *subsystem;   /* "page_alloc", "slub", "slab", "kmalloc", ... */
    const char *reason;      /* stable short title */
    const char *text;        /* full kernel-style text, newline-terminated */
    uintptr_t addr;          /* the address concerned, 0 if none */
};

enum kh_report_mode {
    KH_REPORT_ABORT,   /* default: print; abort() on a BUG, carry on after a WARN */
    KH_REPORT_RECORD,  /* keep every report (see kh_reports) and carry on */
    KH_REPORT_COUNT,   /* only count them; nothing printed or kept */
};

typedef void (*kh_report_fn)(void *ctx, const struct kh_report *r);

void kh_set_report_mode(struct kh *kh, enum kh_report_mode mode);
/* Quiet: no printing to stderr in ABORT/RECORD mode. */
void kh_set_report_quiet(struct kh *kh, bool quiet);
/* An extra hook called for every report, after recording/counting and
 * before any abort. */
void kh_set_report_hook(struct kh *kh, kh_report_fn fn, void *ctx);
/* Reports since creation/reset/clear. */
unsigned kh_report_count(const struct kh *kh, enum kh_severity sev);
unsigned kh_report_count_class(const struct kh *kh, enum kh_report_class cls);
/* Recorded reports (RECORD mode), oldest first; NULL past the end. */
const struct kh_report *kh_report_get(const struct kh *kh, unsigned i);
/* Does r flag something (a caller's mistake or a broken invariant; a WARN
 * such as "Wrong slab cache" counts)? Allocation-failure and OOM messages
 * do not. */
bool kh_report_is_detection(const struct kh_report *r);
/* Is r a livelock the caller walked into (__GFP_NOFAIL with nothing left,
 * a mempool wait nobody can end)? Those are modelled faithfully: not an
 * allocator bug. */
bool kh_report_is_caller_livelock(const struct kh_report *r);
void kh_reports_clear(struct kh *kh);

/* ---- Fault injection (fail_page_alloc / failslab) -------------------------
 * Counting is deterministic: every allocation attempt that may be failed
 * counts once, in program order. __GFP_NOFAIL attempts are never failed. */
enum kh_fault_domain {
    KH_FAULT_PAGE = 1u << 0,   /* page allocator (fail_page_alloc) */
    KH_FAULT_SLAB = 1u << 1,   /* kmem_cache_alloc and kmalloc (failslab) */
    KH_FAULT_VMALLOC = 1u << 2,
    KH_FAULT_PERCPU = 1u << 3,
    KH_FAULT_ALL = 0xfu,
};

enum kh_fault_mode {
    KH_FAULT_OFF,
    KH_FAULT_NTH,      /* fail only the nth attempt (1-based) */
    KH_FAULT_FROM,     /* fail the nth attempt and every one after it */
    KH_FAULT_RANDOM,   /* fail each attempt with probability percent, seeded */
};

struct kh_fault_config {
    enum kh_fault_mode mode;
    unsigned domains;      /* mask of enum kh_fault_domain; 0 means all */
    uint64_t nth;
    unsigned percent;      /* 0..100 for KH_FAULT_RANDOM */
    uint64_t seed;
    unsigned min_order;    /* page domain: only orders >= this may fail */
};

void kh_fault_set(struct kh *kh, const struct kh_fault_config *fc);
void kh_fault_clear(struct kh *kh);
/* Attempts counted / failures injected since the last kh_fault_set. */
uint64_t kh_fault_attempts(const struct kh *kh);
uint64_t kh_fault_injected(const struct kh *kh);

#endif
