/* legality.h - the Linux 6.1 legality rules of the trace executor, as data.
 *
 * Whether an operation of a trace is legal, a misuse the allocator must
 * report, or a misuse that 6.1 lets pass without a word (so that the
 * `expect` misuse policy must not run it) is decided by the rows of one
 * table (legality.c). Each row has a stable name, the operations it
 * covers, a predicate over the executor's view of the operation
 * (struct legality_ctx), a verdict, the 6.1 source that justifies it and
 * the regression input that first needed it. The executor (exec.c) fills
 * the view and walks the rows; the row that decided an operation is named
 * in replay --json ("rule"), in a finding's detail and in the generated C
 * reproducer. docs/FUZZING.md's list of rules is printed from this table
 * (bazel-bin/fuzz/legality --md).
 *
 * How the rows are walked. An operation starts with a verdict (legal for
 * most; see each op in exec.c) and the rows covering it are applied in
 * table order, each only where its verdict can change something:
 *   LEGAL       applies to an operation judged a misuse so far: now legal;
 *   MISUSE      applies to one judged legal so far: now a misuse (which the
 *               allocator must report unless a later row says otherwise);
 *   SILENT,     apply to a misuse: 6.1 lets it pass (SILENT) or it faults
 *   FAULTS      before anything could report it (FAULTS); not run under
 *               expect;
 *   UNMODELLED  applies to a legal operation the model cannot follow: run
 *               as a misuse that nothing reports (not under expect);
 *   ASAN        applies to a legal operation: a misuse only ASan could
 *               see, not run under expect.
 * So a row's predicate states its own case only; the order of the rows is
 * the order of the kernel's own tests. Rows of stage FREE are the free
 * check (one pointer handed to a free function of one API), applied first
 * match; rows of stage PRE and POST come before and after an operation's
 * free check; rows of stage OPERAND are marks the operand bookkeeping sets
 * (a stale name, a tainted binding) and have no predicate here.
 */
#ifndef KH_FUZZ_LEGALITY_H
#define KH_FUZZ_LEGALITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "exec.h"
#include "kmem.h"
#include "oracle.h"
#include "shadow.h"
#include "trace.h"

/* Which API produced a pointer (the matching free is known from it). */
enum api {
    API_NONE, API_KMALLOC, API_CACHE, API_PAGES, API_EXACT, API_VMALLOC,
    API_KVMALLOC, API_PERCPU, API_MEMPOOL, API_MEMBLOCK,
};

enum legality_verdict {
    LV_LEGAL,        /* legal in 6.1 */
    LV_MISUSE,       /* a caller misuse that 6.1 reports */
    LV_SILENT,       /* a misuse 6.1 lets pass silently: not run under expect */
    LV_FAULTS,       /* a misuse that faults before any report (ASan's): not run under expect */
    LV_UNMODELLED,   /* legal in 6.1 but not modelled: not run under expect */
    LV_ASAN,         /* a misuse only ASan could see (a bad access): not run under expect */
    LV_UNKNOWN,      /* an operand a misuse touched: skipped unless the policy is run */
};

enum legality_stage {
    LS_FREE,      /* the free check, first match */
    LS_PRE,       /* before an operation's free check */
    LS_MODE,      /* changes what is run (kfree_bulk, a page pool's inner address): tested by id */
    LS_POST,      /* after it */
    LS_OPERAND,   /* marks of the operand bookkeeping (no predicate here) */
};

/* The rows, in table (evaluation) order. */
enum legality_rule_id {
    /* the free check */
    LR_FREE_NULL,
    LR_KFREE_ZERO_SIZE_PTR,
    LR_FREE_ZERO_SIZE_PTR,
    LR_FREE_NOT_LIVE,
    LR_FREE_OWN_API,
    LR_ELEMENT_BEHIND_POOL,
    LR_KFREE_CACHE_OBJECT,
    LR_KFREE_CACHE_OBJECT_SLOB,
    LR_KVMALLOC_AS_WHAT_IT_IS,
    LR_KVFREE_KMALLOC_OR_VMALLOC,
    LR_FREE_WRONG_API,
    /* before an operation's free check */
    LR_FREE_PAGES_EXACT_NO_PAGE,
    LR_KVREALLOC_NO_GROW,
    LR_CACHE_GONE,
    LR_LEAKED_CACHE,
    LR_SLAB_POOL_NO_RESERVE,
    LR_POOL_GONE,
    LR_CACHE_DESTROY_IN_USE,
    LR_DESTROY_FAILED_CREATE,
    LR_CACHE_DESTROY_SILENT,
    LR_BULK_WRONG_ARRAY,
    LR_BULK_EMPTY,
    LR_BULK_NOT_LIVE,
    LR_PER_CPU_PTR_NOT_LIVE,
    LR_PER_CPU_PTR_BAD_CPU,
    LR_PER_CPU_PTR_IN_CHUNK,
    LR_ACCESS_OUT_OF_BOUNDS,
    LR_DUP_SOURCE_OUT_OF_BOUNDS,
    LR_NODE_NOT_ONLINE,
    LR_SET_CPU_OUT_OF_RANGE,
    LR_KFREE_BULK,
    LR_PAGE_POOL_INSIDE_PAGE,
    LR_EARLY_BOOT_LATE,
    LR_MEMBLOCK_OUTSIDE_BOOT,
    LR_MEMBLOCK_FREE_NULL,
    LR_MEMBLOCK_FREE_LATE_EARLY,
    LR_MEMBLOCK_FREE_UNRESERVED,
    /* after it */
    LR_CACHE_FREE_NULL,
    LR_CACHE_FREE_WRONG_CACHE,
    LR_POOL_FREE_WRONG_POOL,
    LR_POOL_FREE_NULL,
    LR_ZERO_SIZE_PTR_TO_0_BYTE_POOL,
    LR_ZERO_SIZE_PTR_TO_POOL,
    LR_FOREIGN_BLOCK_TO_POOL,
    LR_ELEMENT_TO_KMALLOC_POOL,
    LR_PAGE_POOL_TAKES_BLOCK_HEAD,
    LR_RESERVE_TAKES_ANYTHING,
    LR_KREALLOC_ARRAY_OVERFLOW,
    LR_KREALLOC_CACHE_OBJECT,
    LR_KSIZE_POOL_ELEMENT,
    LR_FREE_PAGES_WRONG_ORDER,
    LR_FREE_PAGES_LARGE_KMALLOC,
    LR_FREE_PAGE_OF_EXACT,
    LR_FREE_PAGES_OF_EXACT,
    LR_FREE_PAGES_BLOCK_HEAD,
    LR_FREE_PAGES_EXACT_NULL_SWEEP,
    LR_FREE_PAGES_EXACT_PAGE_COUNT,
    LR_FREE_PAGES_EXACT_ORDER0_BLOCK,
    LR_FREE_PAGES_EXACT_BIG_BLOCK,
    LR_FREE_PAGES_EXACT_SWEEP,
    LR_FREE_PAGES_EXACT_ONE_PAGE,
    LR_SENSITIVE_FREE_OF_CTOR_OBJECT,
    LR_SENSITIVE_FREE_OF_CTOR_OBJECT_SILENT,
    LR_KVFREE_SENSITIVE_PAST_BLOCK,
    LR_KVFREE_SENSITIVE_CLEARS_FOREIGN,
    LR_KVREALLOC_OLD_SIZE,
    LR_KVREALLOC_CACHE_OBJECT,
    LR_KVREALLOC_GROW_COPIES,
    /* marks of the operand bookkeeping */
    LR_TAINTED_OPERAND,
    LR_STALE_REUSED,
    LR_OFFSET_ONTO_LIVE_BLOCK,
    LR_BULK_STALE_REUSED,
    LR_COUNT,
    LR_NONE = 0xff,
};

/* A pointer operand as the rules see it. */
struct legality_ptr {
    enum kh_ptr_kind kind;   /* as the callee sees it: NULL, ZERO_SIZE_PTR or a pointer */
    void *addr;              /* the address it evaluates to */
    int64_t offset;          /* the operand's own offset (p1+8) */
    bool bound;              /* it names a binding (the fields below are that binding's) */
    bool live;               /* the binding's block is live in the model */
    bool tainted, held;
    uint8_t api;             /* enum api */
    uint8_t pool_kind;       /* enum kh_mempool_kind, for mempool elements */
    unsigned order;
    size_t req;
    int32_t owner;           /* the cache or pool binding it came from, -1 */
    void *base;              /* the binding's pointer */
    bool ctor;               /* an object of a cache with a constructor (as created) */
};

/* A cache, pool or bulk array operand. */
struct legality_obj {
    bool bound;              /* it names a binding */
    uint8_t type;            /* enum kh_val_type */
    bool alive, leaked, tainted;
    int32_t var, owner;
    unsigned order, live, users;
    size_t req;
    void *p;
    uint32_t count;          /* arrays: elements */
    bool elems;              /* arrays: the element array exists */
    bool elems_live;         /* arrays: every element is live */
};

struct legality_ctx {
    struct kh *kh;
    const struct oracle_limits *lim;
    struct shadow *shadow;
    const struct kh_op *op;
    void *p;                 /* the pointer operand's address as written */
    struct legality_ptr ptr; /* the pointer operand (for pool frees: as normalized) */
    struct legality_obj obj; /* the cache or pool operand */
    struct legality_obj arr; /* the array operand */
    enum api api;            /* the free check's API */
    /* boot operations: the phase the trace has reached (enum
     * kh_boot_phase), whether the page allocator has run, and whether a
     * memblock free's range lies in one tracked reservation (or is one
     * memblock_free ignores: NULL, or 0 bytes of memory) */
    uint8_t boot_phase;
    bool pages_used;
    bool boot_range_ok;
    /* the verdict so far */
    bool legal;
    bool silent;             /* a misuse nothing reports (SILENT, FAULTS, UNMODELLED) */
    uint8_t legal_rule;      /* the row that last set `legal` (LR_NONE) */
    uint8_t silent_rule;     /* the row that set `silent` */
};

struct legality_rule {
    const char *name;        /* short and stable: cited in findings and reproducers */
    const char *ops;         /* the operations it covers, space-separated */
    enum legality_stage stage;
    enum legality_verdict verdict;
    bool (*applies)(const struct legality_ctx *c);   /* NULL for OPERAND marks */
    const char *summary;     /* one sentence, for docs/FUZZING.md */
    const char *kernel;      /* 6.1 source that justifies it: "file function()" */
    const char *reproducer;  /* the input that first needed it */
    const char *example;     /* an input where it decides today, when the reproducer no
                                longer shows it (a later row decides there); NULL: the reproducer */
};

extern const struct legality_rule legality_rules[LR_COUNT];

const char *legality_verdict_name(enum legality_verdict v);
/* The rule's name, or NULL for LR_NONE. */
const char *legality_rule_name(unsigned id);

/* The free check: c->ptr handed to a free function of API api, judged by
 * the FREE rows, first match. Sets c->legal and c->legal_rule from the
 * row that decided (c->silent too, for a SILENT row); returns c->legal. */
bool legality_free(struct legality_ctx *c, enum api api);

/* Applies the rows of stage `stage` covering c->op to c's verdict. */
void legality_judge(struct legality_ctx *c, enum legality_stage stage);

/* Does row id's predicate hold (a row that changes what is run, not only
 * the verdict: kfree_bulk, a page pool's element by an inner address)? */
bool legality_holds(unsigned id, const struct legality_ctx *c);

/* Is the memory at p handed out again (see legality.c)? */
bool legality_in_use_again(struct kh *kh, struct shadow *shadow, const void *p);

#endif
