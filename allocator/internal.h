/* internal.h - the instance struct and the struct-page array, shared by the
 * allocator's subsystems only (not installed for users).
 *
 * Layout: one `struct kh` holds the configuration, the arena, the page
 * metadata, the zones and one pointer per higher subsystem (slab, vmalloc,
 * mempool, percpu), each owned by that subsystem's file.
 *
 * The arena is a memfd mapping so that vmalloc can map the same physical
 * pages a second time at other addresses. Both the arena and the page array
 * are reserved lazily (untouched memory costs nothing), and every zone hands
 * out never-used max-order blocks from a frontier ("lazy_pfn"), so a reset
 * only has to clean what lies below the frontier.
 */
#ifndef KH_INTERNAL_H
#define KH_INTERNAL_H

#include <stdarg.h>

#include "kmem.h"
#include "page_alloc.h"
#include "preempt.h"

#define KH_NO_PFN 0xffffffffu

/* struct page flags. Only the first page of a block (a "head") ever carries
 * PG_buddy or PG_head; interior pages are clean, so the block containing any
 * pfn can be found by probing the aligned-down pfns (see kh_block_head). */
enum {
    PG_buddy = 1u << 0,          /* head of a free block on free_area[order] */
    PG_head = 1u << 1,           /* head of an allocated block of `order` */
    PG_slab = 1u << 2,           /* block belongs to the slab layer (set on every page) */
    PG_large_kmalloc = 1u << 3,  /* head of a kmalloc allocation above KMALLOC_MAX_CACHE_SIZE */
    PG_vmalloc = 1u << 4,        /* page backs a vmalloc area */
    PG_reserved = 1u << 5,       /* owned by the boot-time allocator */
    PG_pool = 1u << 6,           /* page-pool element sitting in a mempool reserve */
    PG_touched = 1u << 7,        /* set once the page has ever been handed out */
};

struct page {
    uint32_t flags;
    uint8_t order;      /* PG_buddy / PG_head: the block's order */
    uint8_t zone;       /* enum zone_type */
    uint16_t _pad;
    uint32_t next, prev;/* free-list links (pfn) while PG_buddy */
    uint32_t _pad2;
    void *private;      /* owner's data: struct slab * on every page of a slab */
};

struct free_area {
    uint32_t head;          /* first block's pfn, KH_NO_PFN if empty */
    unsigned long nr_free;  /* blocks on the list plus lazy blocks (max order only) */
};

enum { WMARK_MIN, WMARK_LOW, WMARK_HIGH, NR_WMARK };

struct zone {
    const char *name;
    enum zone_type type;
    unsigned long start_pfn, end_pfn;   /* [start, end) */
    unsigned long managed_pages;
    unsigned long free_pages;
    unsigned long lazy_pfn, lazy_end;   /* untouched max-order blocks: [lazy_pfn, lazy_end) */
    unsigned long poisoned_end;         /* ASan: the lazy region is poisoned below this (page_alloc.c) */
    unsigned long wmark[NR_WMARK];
    unsigned long lowmem_reserve[MAX_NR_ZONES];
    struct free_area free_area[KH_MAX_ORDER_LIMIT];
};

struct kh_shrinker { kh_shrink_fn fn; void *ctx; };

/* Reports kept in the log between clears; later ones are only counted. */
#define KH_REPORT_LOG_MAX 1024

struct kh_report_state {
    enum kh_report_mode mode;
    bool quiet;
    kh_report_fn hook;
    void *hook_ctx;
    unsigned count_sev[2];
    unsigned count_cls[KH_R_NR_CLASSES];
    struct kh_report *log;
    unsigned log_len, log_cap;
};

struct kh_fault_state {
    struct kh_fault_config cfg;
    uint64_t attempts, injected;
    uint64_t rng;
    bool slab_muted;   /* inside a bulk call, which asked failslab once already */
};

struct kh_slab_state;     /* slab_common.c */
struct kh_vmalloc_state;  /* vmalloc.c */
struct kh_mempool_state;  /* mempool.c */
struct kh_percpu_state;   /* percpu.c */
struct kh_memblock_state; /* memblock.c */

struct kh {
    struct kh_config cfg;
    unsigned page_shift;
    unsigned long page_size;
    unsigned max_order;
    unsigned current_cpu;
    /* preempt.h: NULL unless a scheduler runs several tasks */
    const struct kh_preempt_ops *preempt;
    void *preempt_ctx;
    unsigned current_task;
    struct {
        unsigned task;          /* task + 1 holding locks on this CPU; 0: none */
        unsigned depth;         /* locks it holds */
    } irqs_off[KH_MAX_CPUS];

    /* arena and metadata */
    int memfd;
    unsigned char *arena;
    unsigned long nr_pages;
    uintptr_t arena_bytes;      /* nr_pages << page_shift: one compare tells an arena address */
    struct page *pages;
    size_t pages_bytes;
    uint64_t *dirty;            /* per pfn: handed out since the last reset (page_alloc.c) */
    unsigned long dirty_lo, dirty_hi;   /* words of dirty[] that may be set; lo > hi: none */

    struct zone zones[MAX_NR_ZONES];
    unsigned long total_free;
    unsigned long min_free_pages;
    /* Early boot: the buddy allocator owns no memory and refuses every
     * request until mem_init (page_alloc.c; memblock.c drives it). */
    bool before_mem_init;

    struct kh_shrinker shrinkers[8];
    unsigned nr_shrinkers;
    bool in_reclaim;

    struct kh_report_state rep;
    struct kh_fault_state fault;

    struct kh_slab_state *slab;
    struct kh_vmalloc_state *vm;
    struct kh_mempool_state *mempool;
    struct kh_percpu_state *percpu;
    struct kh_memblock_state *memblock;

    /* the last copy of caller data (kh_last_copy, kh_note_copy) and the
     * last clearing of a caller's object (kh_last_clear, kh_note_clear) */
    const void *copy_src;
    void *copy_dst;
    size_t copy_n;
    unsigned long copy_count;
    void *clear_dst;
    size_t clear_n;
    unsigned long clear_count;
};

/* ---- preemption points and locks (preempt.h) ---- */
static inline void kh_preempt_point(struct kh *kh, enum kh_preempt_site site)
{
    if (__builtin_expect(kh->preempt != NULL, 0))
        kh->preempt->point(kh->preempt_ctx, site, NULL);
}
/* Every lock is taken with interrupts off, as SLUB's spin_lock_irqsave
 * and local_lock_irqsave are (PREEMPT_RT aside): while a task holds one,
 * no other task of its CPU runs (kh_cpu_irqs_off_by). */
static inline void kh_lock(struct kh *kh, struct kh_lock *l)
{
    if (__builtin_expect(kh->preempt == NULL, 1))
        return;
    while (l->holder)   /* held by another task, or by this one: the scheduler sees a deadlock */
        kh->preempt->point(kh->preempt_ctx, KH_PP_LOCK_WAIT, l);
    l->holder = kh->current_task + 1;
    if (kh->irqs_off[kh->current_cpu].depth++ == 0)
        kh->irqs_off[kh->current_cpu].task = kh->current_task + 1;
}
static inline void kh_unlock(struct kh *kh, struct kh_lock *l)
{
    if (__builtin_expect(kh->preempt == NULL, 1))
        return;
    l->holder = 0;
    if (--kh->irqs_off[kh->current_cpu].depth == 0)
        kh->irqs_off[kh->current_cpu].task = 0;
}

/* ---- helpers shared by subsystems ---- */
static inline unsigned long kh_pfn(const struct kh *kh, const struct page *p)
{
    return (unsigned long)(p - kh->pages);
}
static inline void *kh_pfn_to_virt(const struct kh *kh, unsigned long pfn)
{
    return kh->arena + (pfn << kh->page_shift);
}

/* Block (free or allocated) containing pfn: its head pfn, or KH_NO_PFN when
 * the pfn is still in a zone's untouched lazy region. */
unsigned long kh_block_head(const struct kh *kh, unsigned long pfn);
/* Zone holding pfn, NULL when pfn is outside the arena. */
const struct zone *kh_pfn_zone(const struct kh *kh, unsigned long pfn);

/* Reports (report.c). `reason` must be a string literal or live as long as
 * the instance; the text is formatted and copied. */
void kh_report(struct kh *kh, enum kh_severity sev, enum kh_report_class cls,
               const char *subsystem, const char *reason, uintptr_t addr,
               const char *fmt, ...) __attribute__((format(printf, 7, 8)));
void kh_vreport(struct kh *kh, enum kh_severity sev, enum kh_report_class cls,
                const char *subsystem, const char *reason, uintptr_t addr,
                const char *fmt, va_list ap);
void kh_report_reset(struct kh *kh);
void kh_report_destroy(struct kh *kh);

/* Fault injection (fault.c): true when this attempt must fail. */
bool kh_should_fail(struct kh *kh, enum kh_fault_domain dom, gfp_t gfp, unsigned order);

/* Subsystem lifecycle hooks, called by core.c. init returns 0 or a message. */
const char *kh_page_alloc_init(struct kh *kh);
void kh_page_alloc_reset(struct kh *kh);
void kh_page_alloc_destroy(struct kh *kh);
const char *kh_slab_init(struct kh *kh);      /* slab_common.c */
void kh_slab_reset(struct kh *kh);
void kh_slab_preempt_changed(struct kh *kh);  /* slab_common.c: kh_set_preempt */
void kh_slab_destroy(struct kh *kh);
const char *kh_vmalloc_init(struct kh *kh);   /* vmalloc.c */
void kh_vmalloc_reset(struct kh *kh);
void kh_vmalloc_destroy(struct kh *kh);
const char *kh_percpu_init(struct kh *kh);    /* percpu.c */
void kh_percpu_reset(struct kh *kh);
void kh_percpu_destroy(struct kh *kh);
const char *kh_mempool_state_init(struct kh *kh);   /* mempool.c */
void kh_mempool_state_reset(struct kh *kh);
void kh_mempool_state_destroy(struct kh *kh);
const char *kh_memblock_init(struct kh *kh);  /* memblock.c */
void kh_memblock_reset(struct kh *kh);
void kh_memblock_destroy(struct kh *kh);

/* Boot phase (page_alloc.c owns it; memblock.c's kh_boot_begin and
 * kh_boot_end drive it). boot_begin closes a pristine page allocator until
 * mem_init (returns -1, changing nothing, on a used or already closed one);
 * mem_init opens it again; reset opens it too. */
int kh_page_alloc_boot_begin(struct kh *kh);
void kh_page_alloc_mem_init(struct kh *kh);
bool kh_page_alloc_before_mem_init(const struct kh *kh);
/* Boot hand-over support (page_alloc.c). reserve_range takes [start, end)
 * out of the free memory as PG_reserved pages; only valid while nothing was
 * ever allocated from the buddy lists (returns -1 otherwise). release gives
 * one PG_reserved page to the buddy allocator (free_reserved_page). scrub
 * returns [start, end) of free memory to fresh-arena contents. */
bool kh_page_alloc_pristine(const struct kh *kh);   /* nothing ever allocated or reserved */
int kh_page_alloc_reserve_range(struct kh *kh, unsigned long start, unsigned long end);
int kh_page_alloc_release_reserved(struct kh *kh, unsigned long pfn);
void kh_page_alloc_scrub(struct kh *kh, unsigned long start, unsigned long end);
/* Zeroes len bytes at va, an address of the arena's direct map. Whole host
 * pages of a large range are dropped from the arena memfd instead of
 * written (they read back as zeros and cost no memory until touched), so
 * __GFP_ZERO of megabytes costs a system call, not the megabytes. */
void kh_arena_zero(struct kh *kh, void *va, size_t len);

/* Every copy of caller data between objects (krealloc, kvrealloc) is
 * noted here before it is made (core.c; read back with kh_last_copy). */
void kh_note_copy(struct kh *kh, void *dst, const void *src, size_t n);
/* So is every clearing of a caller's object outside ASan's view
 * (kfree_sensitive, krealloc's __GFP_ZERO in place). */
void kh_note_clear(struct kh *kh, void *dst, size_t n);

/* Byte-scanning helpers (poison checks, patterns) run over whole objects and
 * pages. Under libFuzzer every compare in them would be traced; they carry
 * no interesting control flow, so they are left out of coverage. */
#define KH_NO_COVERAGE __attribute__((no_sanitize("coverage")))

/* ASan integration: no-ops without AddressSanitizer. */
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define KH_ASAN 1
#endif
#endif
#if !defined(KH_ASAN) && defined(__SANITIZE_ADDRESS__)
#define KH_ASAN 1
#endif
#ifdef KH_ASAN
#include <sanitizer/asan_interface.h>
#define kh_poison(addr, size) ASAN_POISON_MEMORY_REGION((addr), (size))
#define kh_unpoison(addr, size) ASAN_UNPOISON_MEMORY_REGION((addr), (size))
#else
#define kh_poison(addr, size) ((void)(addr), (void)(size))
#define kh_unpoison(addr, size) ((void)(addr), (void)(size))
#endif

#endif
