/* kernel_names_fuzzer.c - the kernel's own spellings (kmalloc, alloc_page,
 * mempool_create, memblock_free_all, ...) against the kh_ functions.
 *
 * Code written against the kernel's headers calls the names of
 * allocator/kernel_names.c, which act on the default instance. Each is meant
 * to be exactly its kh_ twin. This target runs every operation of a trace
 * twice, in lock step, on two instances of the same profile: A, the default
 * instance, through the kernel names, and B through the kh_ functions. Where
 * the kernel has several spellings of one call (alloc_page and
 * alloc_pages(gfp, 0); free_page, __free_page and free_pages; the stock
 * mempool callbacks and mempool_create_kmalloc_pool; kstrdup beside
 * kmemdup; bootmem beside memblock), the operation's position picks one.
 * The allocator is deterministic, so the two runs must agree at every step:
 *   - each result NULL on both or on neither, at the same place (the same
 *     physical offset in the arena, or the same backing page of a vmalloc
 *     area), with the same bytes;
 *   - every value returned (ksize, sizes, orders, indices, CPUs, return
 *     codes) and every read;
 *   - the number of reports of each severity and class;
 * and at the end of the input the two instances must look the same
 * (slabinfo, buddyinfo, free pages), every cache validates clean
 * (validate_slab_cache, the slub_debug check) and both pass kh_validate.
 *
 * The trace language's decoding is used as is (kh_trace_decode_subset: a
 * "KHT" input uses the whole operation table); which operations run is
 * decided here, conservatively: only what is legal on the blocks this file
 * tracks (a free of a live block with its own API, accesses within the
 * requested bytes, memblock calls in their phase). Anything else is
 * skipped. A disagreement aborts with "kernel_names_fuzzer: <what>".
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "introspect.h"
#include "kmalloc.h"
#include "kmem.h"
#include "memblock.h"
#include "mempool.h"
#include "oracle_slab.h"
#include "page_alloc.h"
#include "percpu.h"
#include "slab.h"
#include "trace.h"
#include "vmalloc.h"

#define PROFILE "linux-6.1-x86_64-16m"
#define NR_CPUS 2
#define MAX_RESERVE 4096u    /* larger mempool reserves are skipped (time) */
#define COMPARE_BYTES 512u   /* bytes compared after each allocation */
#define FILL_BYTES 4096u     /* bytes of each new block the caller fills */
#define CTOR_BYTE 0xc7       /* what the constructor writes at byte 0 */

/* The operations this target drives, for headerless inputs. */
static const uint8_t ops[] = {
    KH_OP_KMALLOC, KH_OP_KZALLOC, KH_OP_KCALLOC, KH_OP_KMALLOC_ARRAY, KH_OP_KREALLOC,
    KH_OP_KREALLOC_ARRAY, KH_OP_KSIZE, KH_OP_KFREE, KH_OP_KFREE_SENSITIVE,
    KH_OP_KMALLOC_SIZE_ROUNDUP, KH_OP_KMALLOC_INDEX, KH_OP_GET_ORDER, KH_OP_KMEM_CACHE_CREATE,
    KH_OP_KMEM_CACHE_ALLOC, KH_OP_KMEM_CACHE_ZALLOC, KH_OP_KMEM_CACHE_FREE,
    KH_OP_KMEM_CACHE_ALLOC_BULK, KH_OP_KMEM_CACHE_FREE_BULK, KH_OP_KMEM_CACHE_SHRINK,
    KH_OP_KMEM_CACHE_DESTROY, KH_OP_KMEM_CACHE_SIZE, KH_OP_ALLOC_PAGES, KH_OP_FREE_PAGES,
    KH_OP_GET_FREE_PAGES, KH_OP_GET_ZEROED_PAGE, KH_OP_ALLOC_PAGES_EXACT, KH_OP_FREE_PAGES_EXACT,
    KH_OP_MEMPOOL_CREATE_KMALLOC_POOL, KH_OP_MEMPOOL_CREATE_SLAB_POOL,
    KH_OP_MEMPOOL_CREATE_PAGE_POOL, KH_OP_MEMPOOL_ALLOC, KH_OP_MEMPOOL_FREE, KH_OP_MEMPOOL_RESIZE,
    KH_OP_MEMPOOL_DESTROY, KH_OP_VMALLOC, KH_OP_VZALLOC, KH_OP_VFREE, KH_OP_KVMALLOC,
    KH_OP_KVZALLOC, KH_OP_KVMALLOC_ARRAY, KH_OP_KVFREE, KH_OP_KVFREE_SENSITIVE, KH_OP_KVREALLOC,
    KH_OP_ALLOC_PERCPU, KH_OP_FREE_PERCPU, KH_OP_PER_CPU_PTR, KH_OP_WRITE, KH_OP_READ,
    KH_OP_SET_CPU, KH_OP_SHRINK_ALL, KH_OP_FAIL_NTH, KH_OP_FAIL_FROM, KH_OP_FAIL_OFF,
    KH_OP_EARLY_BOOT, KH_OP_MEMBLOCK_ALLOC, KH_OP_MEMBLOCK_PHYS_ALLOC, KH_OP_MEMBLOCK_RESERVE,
    KH_OP_MEMBLOCK_FREE, KH_OP_MEMBLOCK_FREE_ALL, KH_OP_MEMBLOCK_FREE_LATE, KH_OP_KMALLOC_NODE,
    KH_OP_KZALLOC_NODE, KH_OP_KMEM_CACHE_ALLOC_NODE, KH_OP_KMEMDUP, KH_OP_KVCALLOC,
    KH_OP_VMALLOC_GFP, KH_OP_ALLOC_PERCPU_GFP,
};

/* What a live block is and how it must be freed. */
enum kind {
    K_NONE,       /* not a block this file may use */
    K_KMALLOC,    /* kmalloc family, kvmalloc served by kmalloc */
    K_VMALLOC,    /* vmalloc family, kvmalloc served by vmalloc */
    K_CACHE,      /* object of cache `owner` */
    K_PAGES,      /* page block of `order` */
    K_EXACT,      /* alloc_pages_exact of `size` */
    K_POOL,       /* element of pool `owner` */
    K_PERCPU,     /* per-CPU cookie */
    K_MEMBLOCK,   /* boot memory of `size` */
};

struct block {
    void *a, *b;          /* on instance A and B */
    uint8_t kind;
    bool live;
    int32_t owner;        /* cache or pool binding */
    unsigned order;
    size_t size;          /* requested bytes (accessible) */
    size_t init;          /* leading bytes known to be alike on A and B */
};

struct binding {
    uint8_t type;         /* enum kh_val_type */
    bool live;
    struct block blk;     /* PTR */
    void *a, *b;          /* CACHE: struct kmem_cache *, POOL: mempool_t * */
    bool ctor;            /* CACHE */
    size_t obj_size;      /* CACHE: object size; POOL: element size */
    int32_t cache;        /* POOL: its cache binding, or -1 */
    uint8_t pool_kind;    /* POOL: 0 kmalloc, 1 slab, 2 page, 3 own callbacks (kmalloc) */
    uint32_t count;       /* ARRAY */
    struct block *elems;  /* ARRAY */
};

static struct kh *A, *B;
static unsigned hooked[2];         /* reports each instance's hook saw */
static const struct kh_trace *trace;
static size_t cur;                 /* operation running */
static struct binding *vals;
static size_t nvals_cap;
static enum kh_boot_phase phase;   /* as both instances should be */
static bool pages_touched;         /* an operation before early_boot */

/* ---- findings ---- */

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void fail(const char *fmt, ...)
{
    char what[512], op[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    fprintf(stderr, "kernel_names_fuzzer: %s\n", what);
    if (trace && cur < trace->n) {
        kh_trace_format_op(trace, cur, op, sizeof(op));
        fprintf(stderr, "operation %zu: %s\n", cur + 1, op);
    }
    char *text = trace ? kh_trace_to_text(trace, NULL) : NULL;
    fprintf(stderr, "---- trace (text form) ----\n#! profile=%s cpus=%d\n%s----\n", PROFILE,
            NR_CPUS, text ? text : "");
    free(text);
    abort();
}

/* Where a block lies, comparable across instances: the physical offset in
 * the arena, or the backing page of a vmalloc address. */
static uint64_t where(struct kh *kh, const void *p)
{
    if (ZERO_OR_NULL_PTR(p))
        return (uint64_t)(uintptr_t)p;
    if (kh_addr_in_arena(kh, p))
        return (1ull << 62) | kh_virt_to_phys(kh, p);
    if (kh_is_vmalloc_addr(kh, p))
        return (2ull << 62) | ((uint64_t)kh_vmalloc_to_pfn(kh, p) << 16) |
               ((uintptr_t)p & (kh_page_size(kh) - 1));
    return 3ull << 62;
}

static void same_reports(const char *name)
{
    for (int s = 0; s <= KH_SEV_BUG; s++)
        if (kh_report_count(A, (enum kh_severity)s) != kh_report_count(B, (enum kh_severity)s)) {
            unsigned na = kh_report_count(A, KH_SEV_WARN) + kh_report_count(A, KH_SEV_BUG);
            unsigned nb = kh_report_count(B, KH_SEV_WARN) + kh_report_count(B, KH_SEV_BUG);
            const struct kh_report *ra = na ? kh_report_get(A, na - 1) : NULL;
            const struct kh_report *rb = nb ? kh_report_get(B, nb - 1) : NULL;
            fail("%s: the kernel name and its kh_ twin report differently (%s: %u against %u; "
                 "last '%s' against '%s')", name, s ? "BUG" : "WARN",
                 kh_report_count(A, (enum kh_severity)s), kh_report_count(B, (enum kh_severity)s),
                 ra ? ra->reason : "-", rb ? rb->reason : "-");
        }
    for (int c = 0; c < KH_R_NR_CLASSES; c++)
        if (kh_report_count_class(A, (enum kh_report_class)c) !=
            kh_report_count_class(B, (enum kh_report_class)c))
            fail("%s: the kernel name and its kh_ twin report in other classes", name);
}

static void same_value(const char *name, uint64_t a, uint64_t b)
{
    if (a != b)
        fail("%s: the kernel name returns %#llx, its kh_ twin %#llx", name, (unsigned long long)a,
             (unsigned long long)b);
}

/* The two results of an allocation: same NULL-ness and place, and the
 * same first `equal` bytes (those the call fixes: zeroed or copied; the
 * rest may hold what the memory held before, free pointers included). */
static void same_block(const char *name, const void *a, const void *b, size_t equal, bool zeroed)
{
    if ((a == NULL) != (b == NULL))
        fail("%s: %s on one instance only", name, a ? "NULL from the kh_ twin" : "NULL from the kernel name", false);
    if (where(A, a) != where(B, b))
        fail("%s: the kernel name and its kh_ twin place the block differently", name);
    if (ZERO_OR_NULL_PTR(a))
        return;
    size_t n = equal < COMPARE_BYTES ? equal : COMPARE_BYTES;
    if (memcmp(a, b, n) != 0)
        fail("%s: the two blocks hold different bytes", name);
    /* a zeroing call zeroes, whatever the memory held before */
    for (size_t i = 0; zeroed && i < equal && i < FILL_BYTES; i++)
        if (((const unsigned char *)a)[i])
            fail("%s: byte %zu of a zeroed block is %#x", name, i, ((const unsigned char *)a)[i]);
}

/* ---- bindings ---- */

static struct binding *bind(int32_t var)
{
    if (var < 0)
        return NULL;
    if ((size_t)var >= nvals_cap) {
        size_t cap = nvals_cap ? nvals_cap : 64;
        while (cap <= (size_t)var)
            cap *= 2;
        struct binding *v = realloc(vals, cap * sizeof(*v));
        if (!v)
            abort();
        memset(v + nvals_cap, 0, (cap - nvals_cap) * sizeof(*v));
        vals = v;
        nvals_cap = cap;
    }
    return &vals[var];
}

static void clear_bindings(void)
{
    for (size_t i = 0; i < nvals_cap; i++)
        free(vals[i].elems);
    if (vals)
        memset(vals, 0, nvals_cap * sizeof(*vals));
}

static struct binding *result_binding(const struct kh_op *op, uint8_t type)
{
    struct binding *r = bind(op->result_var);
    if (r) {
        free(r->elems);
        memset(r, 0, sizeof(*r));
        r->type = type;
        r->cache = -1;
    }
    return r;
}

/* The caller fills what the call left undefined (beyond the first `equal`
 * bytes, up to FILL_BYTES), as a kernel caller initialises its memory, so
 * that later reads compare like with like. Returns the bytes now alike. */
static size_t settle(void *a, void *b, size_t size, size_t equal)
{
    size_t end = size < FILL_BYTES ? size : FILL_BYTES;
    if (equal < end) {
        memset((char *)a + equal, 0x80 | (int)(cur & 0x7f), end - equal);
        memset((char *)b + equal, 0x80 | (int)(cur & 0x7f), end - equal);
    }
    return equal > end ? (equal < size ? equal : size) : end;
}

/* Binds a new block (or NULL) as the operation's result. */
static void bind_block(const struct kh_op *op, void *a, void *b, uint8_t kind, size_t size,
                       unsigned order, int32_t owner, size_t equal)
{
    struct binding *r = result_binding(op, KH_VAL_PTR);
    if (!r)
        return;   /* unbound: the block leaks, as the trace says */
    r->live = a != NULL && !ZERO_OR_NULL_PTR(a);
    r->blk = (struct block){ a, b, kind, r->live, owner, order, size, 0 };
    if (ZERO_OR_NULL_PTR(a))
        r->blk.kind = K_NONE;
    else if (kind != K_PERCPU && kind != K_NONE)
        r->blk.init = settle(a, b, size, equal);
}

/* The block a pointer operand names, with its offset; NULL when it names
 * no live block (a literal NULL sets *null). */
static struct block *block_of(const struct kh_operand *o, int64_t *off, bool *null)
{
    *off = o->offset;
    *null = o->ptr_kind == KH_PTR_NULL;
    if (o->ptr_kind == KH_PTR_VAR) {
        struct binding *v = bind(o->var);
        return v && v->type == KH_VAL_PTR && v->blk.live ? &v->blk : NULL;
    }
    if (o->ptr_kind == KH_PTR_ELEM) {
        struct binding *v = bind(o->var);
        if (!v || v->type != KH_VAL_ARRAY || o->elem >= v->count || !v->elems[o->elem].live)
            return NULL;
        return &v->elems[o->elem];
    }
    return NULL;
}

/* A live block named exactly (offset 0) by the pointer operand. */
static struct block *whole_block(const struct kh_operand *o)
{
    int64_t off;
    bool null;
    struct block *k = block_of(o, &off, &null);
    return k && off == 0 ? k : NULL;
}

static struct binding *live_of(const struct kh_operand *o, uint8_t type)
{
    struct binding *v = o->var >= 0 ? bind(o->var) : NULL;
    return v && v->type == type && v->live ? v : NULL;
}

/* Does anything live still hang on cache binding c? */
static bool cache_in_use(int32_t c)
{
    for (size_t i = 0; i < nvals_cap; i++) {
        struct binding *v = &vals[i];
        if (v->type == KH_VAL_PTR && v->blk.live && v->blk.kind == K_CACHE && v->blk.owner == c)
            return true;
        if (v->type == KH_VAL_POOL && v->live && v->cache == c)
            return true;
        if (v->type == KH_VAL_ARRAY)
            for (uint32_t e = 0; e < v->count; e++)
                if (v->elems[e].live && v->elems[e].owner == c)
                    return true;
    }
    return false;
}

static bool pool_in_use(int32_t p)
{
    for (size_t i = 0; i < nvals_cap; i++)
        if (vals[i].type == KH_VAL_PTR && vals[i].blk.live && vals[i].blk.kind == K_POOL &&
            vals[i].blk.owner == p)
            return true;
    return false;
}

/* ---- the constructor ---- */

static void ctor(void *obj) { *(unsigned char *)obj = CTOR_BYTE; }

/* A constructed cache's objects go back constructed, as a kernel caller
 * must free them. */
static void reconstruct(const struct block *k)
{
    if (k->kind != K_CACHE)
        return;
    struct binding *c = bind(k->owner);
    if (c && c->ctor && k->size) {
        ctor(k->a);
        ctor(k->b);
    }
}

/* ---- operations ---- */

#define ODD (cur & 1)

static void op_kmalloc_like(const struct kh_op *op)
{
    const struct kh_operand *a = op->args;
    void *pa, *pb;
    size_t size = a[0].u;
    const char *name;
    switch (op->code) {
    case KH_OP_KMALLOC:
        /* mempool's stock kmalloc callback is kmalloc(pool_data, gfp) */
        name = cur % 4 == 3 ? "mempool_kmalloc" : "kmalloc";
        pa = cur % 4 == 3 ? mempool_kmalloc((gfp_t)a[1].u, (void *)(uintptr_t)a[0].u)
                          : kmalloc(a[0].u, (gfp_t)a[1].u);
        pb = kh_kmalloc(B, a[0].u, (gfp_t)a[1].u);
        break;
    case KH_OP_KZALLOC:
        name = "kzalloc";
        pa = kzalloc(a[0].u, (gfp_t)a[1].u);
        pb = kh_kzalloc(B, a[0].u, (gfp_t)a[1].u);
        break;
    case KH_OP_KMALLOC_NODE:
        name = "kmalloc_node";
        if (a[1].u != UINT64_MAX && a[1].u != 0)
            return;   /* the model has node 0 only */
        pa = kmalloc_node(a[0].u, (gfp_t)a[2].u, a[1].u ? 0 : NUMA_NO_NODE);
        pb = kh_kmalloc_node(B, a[0].u, (gfp_t)a[2].u, a[1].u ? 0 : NUMA_NO_NODE);
        break;
    case KH_OP_KZALLOC_NODE:
        name = "kzalloc_node";
        if (a[1].u != UINT64_MAX && a[1].u != 0)
            return;
        pa = kzalloc_node(a[0].u, (gfp_t)a[2].u, a[1].u ? 0 : NUMA_NO_NODE);
        pb = kh_kzalloc_node(B, a[0].u, (gfp_t)a[2].u, a[1].u ? 0 : NUMA_NO_NODE);
        break;
    case KH_OP_KCALLOC:
    case KH_OP_KMALLOC_ARRAY:
        if (a[0].u && a[1].u > SIZE_MAX / a[0].u)
            size = 0;
        else
            size = a[0].u * a[1].u;
        if (op->code == KH_OP_KCALLOC) {
            name = "kcalloc";
            pa = kcalloc(a[0].u, a[1].u, (gfp_t)a[2].u);
            pb = kh_kcalloc(B, a[0].u, a[1].u, (gfp_t)a[2].u);
        } else {
            name = "kmalloc_array";
            pa = kmalloc_array(a[0].u, a[1].u, (gfp_t)a[2].u);
            pb = kh_kmalloc_array(B, a[0].u, a[1].u, (gfp_t)a[2].u);
        }
        break;
    default:
        return;
    }
    gfp_t gfp = (gfp_t)a[op->code == KH_OP_KMALLOC || op->code == KH_OP_KZALLOC ? 1 : 2].u;
    bool zeroed = op->code == KH_OP_KZALLOC || op->code == KH_OP_KZALLOC_NODE ||
                  op->code == KH_OP_KCALLOC || (gfp & __GFP_ZERO);
    same_reports(name);
    same_block(name, pa, pb, zeroed ? size : 0, zeroed);
    bind_block(op, pa, pb, K_KMALLOC, size, 0, -1, zeroed ? size : 0);
}

/* krealloc, krealloc_array: the old block is gone once a new one (or
 * ZERO_SIZE_PTR for size 0) comes back. */
static void op_krealloc(const struct kh_op *op)
{
    const struct kh_operand *a = op->args;
    int64_t off;
    bool null;
    struct block *k = block_of(&a[0], &off, &null);
    if (!null && !(k && off == 0 && k->kind == K_KMALLOC))
        return;
    void *oa = k ? k->a : NULL, *ob = k ? k->b : NULL;
    size_t size;
    void *pa, *pb;
    const char *name;
    if (op->code == KH_OP_KREALLOC) {
        name = "krealloc";
        size = a[1].u;
        pa = krealloc(oa, a[1].u, (gfp_t)a[2].u);
        pb = kh_krealloc(B, ob, a[1].u, (gfp_t)a[2].u);
    } else {
        name = "krealloc_array";
        bool overflow = a[1].u && a[2].u > SIZE_MAX / a[1].u;
        size = overflow ? 0 : a[1].u * a[2].u;
        pa = krealloc_array(oa, a[1].u, a[2].u, (gfp_t)a[3].u);
        pb = kh_krealloc_array(B, ob, a[1].u, a[2].u, (gfp_t)a[3].u);
        if (overflow) {
            same_reports(name);
            same_block(name, pa, pb, 0, false);
            bind_block(op, pa, pb, K_KMALLOC, 0, 0, -1, 0);
            return;
        }
    }
    same_reports(name);
    /* the copied prefix: what was alike in the old block */
    size_t kept = k ? (size < k->init ? size : k->init) : 0;
    same_block(name, pa, pb, pa == NULL ? 0 : kept, false);
    if (k && (pa != NULL || size == 0))
        k->live = false;
    bind_block(op, pa, pb, K_KMALLOC, size, 0, -1, kept);
}

static void op_free(const struct kh_op *op)
{
    int64_t off;
    bool null;
    struct block *k = block_of(&op->args[0], &off, &null);
    if (null || op->args[0].ptr_kind == KH_PTR_ZERO_SIZE) {
        void *p = null ? NULL : ZERO_SIZE_PTR;
        switch (op->code) {
        case KH_OP_KFREE: kfree(p); kh_kfree(B, p); break;
        case KH_OP_KFREE_SENSITIVE: kfree_sensitive(p); kh_kfree_sensitive(B, p); break;
        case KH_OP_KVFREE: if (null) { kvfree(p); kh_kvfree(B, p); } break;
        case KH_OP_VFREE: if (null) { vfree(p); kh_vfree(B, p); } break;
        case KH_OP_FREE_PERCPU: if (null) { free_percpu(p); kh_free_percpu(B, p); } break;
        default: break;
        }
        same_reports("free of NULL or ZERO_SIZE_PTR");
        return;
    }
    if (!k || off != 0)
        return;
    const char *name;
    switch (op->code) {
    case KH_OP_KFREE:
        if (k->kind != K_KMALLOC)
            return;
        name = "kfree";
        if (cur % 4 == 3)
            mempool_kfree(k->a, (void *)(uintptr_t)k->size);   /* the stock callback */
        else
            kfree(k->a);
        kh_kfree(B, k->b);
        break;
    case KH_OP_KFREE_SENSITIVE:
        if (k->kind != K_KMALLOC)
            return;
        name = "kfree_sensitive";
        kfree_sensitive(k->a);
        kh_kfree_sensitive(B, k->b);
        break;
    case KH_OP_KVFREE:
        if (k->kind != K_KMALLOC && k->kind != K_VMALLOC)
            return;
        name = "kvfree";
        kvfree(k->a);
        kh_kvfree(B, k->b);
        break;
    case KH_OP_KVFREE_SENSITIVE:
        if ((k->kind != K_KMALLOC && k->kind != K_VMALLOC) || op->args[1].u > k->size)
            return;
        name = "kvfree_sensitive";
        kvfree_sensitive(k->a, op->args[1].u);
        kh_kvfree_sensitive(B, k->b, op->args[1].u);
        break;
    case KH_OP_VFREE:
        if (k->kind != K_VMALLOC)
            return;
        name = "vfree";
        vfree(k->a);
        kh_vfree(B, k->b);
        break;
    case KH_OP_FREE_PERCPU:
        if (k->kind != K_PERCPU)
            return;
        name = "free_percpu";
        free_percpu(k->a);
        kh_free_percpu(B, k->b);
        break;
    default:
        return;
    }
    k->live = false;
    same_reports(name);
}

static void op_ksize(const struct kh_op *op)
{
    const struct kh_operand *o = &op->args[0];
    if (o->ptr_kind == KH_PTR_NULL || o->ptr_kind == KH_PTR_ZERO_SIZE) {
        void *p = o->ptr_kind == KH_PTR_NULL ? NULL : ZERO_SIZE_PTR;
        same_value("ksize", ksize(p), kh_ksize(B, p));
        same_reports("ksize");
        return;
    }
    struct block *k = whole_block(o);
    if (!k || (k->kind != K_KMALLOC && k->kind != K_CACHE))
        return;
    same_value("ksize", ksize(k->a), kh_ksize(B, k->b));
    same_reports("ksize");
}

static void op_sizes(const struct kh_op *op)
{
    uint64_t n = op->args[0].u;
    switch (op->code) {
    case KH_OP_KMALLOC_SIZE_ROUNDUP:
        same_value("kmalloc_size_roundup", kmalloc_size_roundup(n), kh_kmalloc_size_roundup(B, n));
        same_reports("kmalloc_size_roundup");
        break;
    case KH_OP_KMALLOC_INDEX:
        same_value("kmalloc_index", (uint64_t)(int64_t)kmalloc_index(n),
                   (uint64_t)(int64_t)kh_kmalloc_index(B, n));
        same_reports("kmalloc_index");
        break;
    case KH_OP_GET_ORDER:
        same_value("get_order", (uint64_t)(int64_t)get_order(n), (uint64_t)(int64_t)kh_get_order(B, n));
        same_reports("get_order");
        break;
    default:
        break;
    }
}

/* ---- slab caches ---- */

static void op_cache_create(const struct kh_op *op)
{
    const struct kh_operand *a = op->args;
    const char *name = kh_trace_str(trace, a[0].u);
    void (*c)(void *) = a[4].u ? ctor : NULL;
    /* SLAB_PANIC would end the process on a refused create */
    slab_flags_t flags = (slab_flags_t)a[3].u & ~(slab_flags_t)SLAB_PANIC;
    struct kmem_cache *sa = kmem_cache_create(name, (unsigned)a[1].u, (unsigned)a[2].u, flags, c);
    struct kmem_cache *sb = kh_kmem_cache_create(B, name, (unsigned)a[1].u, (unsigned)a[2].u,
                                                 flags, c);
    same_reports("kmem_cache_create");
    if ((sa == NULL) != (sb == NULL))
        fail("kmem_cache_create: NULL on one instance only");
    struct binding *r = result_binding(op, KH_VAL_CACHE);
    if (sa) {
        same_value("kmem_cache_size", kmem_cache_size(sa), kh_kmem_cache_size(B, sb));
        if (!r) {
            /* an unbound cache cannot be named again: destroy it now */
            kmem_cache_destroy(sa);
            kh_kmem_cache_destroy(B, sb);
            same_reports("kmem_cache_destroy");
            return;
        }
        r->live = true;
        r->a = sa;
        r->b = sb;
        r->ctor = c != NULL;
        r->obj_size = kmem_cache_size(sa);
    }
}

static void op_cache_alloc(const struct kh_op *op)
{
    struct binding *c = live_of(&op->args[0], KH_VAL_CACHE);
    if (!c)
        return;
    void *pa, *pb;
    const char *name;
    gfp_t gfp;
    switch (op->code) {
    case KH_OP_KMEM_CACHE_ALLOC:
        gfp = (gfp_t)op->args[1].u;
        /* three spellings: mempool's stock slab callback is one */
        name = cur % 3 == 1 ? "kmem_cache_alloc_node" : cur % 3 == 2 ? "mempool_alloc_slab"
                                                                      : "kmem_cache_alloc";
        pa = cur % 3 == 1 ? kmem_cache_alloc_node(c->a, gfp, NUMA_NO_NODE)
             : cur % 3 == 2 ? mempool_alloc_slab(gfp, c->a) : kmem_cache_alloc(c->a, gfp);
        pb = kh_kmem_cache_alloc(B, c->b, gfp);
        break;
    case KH_OP_KMEM_CACHE_ZALLOC:
        gfp = (gfp_t)op->args[1].u;
        name = "kmem_cache_zalloc";
        pa = kmem_cache_zalloc(c->a, gfp);
        pb = kh_kmem_cache_zalloc(B, c->b, gfp);
        break;
    default: /* KH_OP_KMEM_CACHE_ALLOC_NODE */
        if (op->args[1].u != UINT64_MAX && op->args[1].u != 0)
            return;
        gfp = (gfp_t)op->args[2].u;
        name = "kmem_cache_alloc_node";
        pa = kmem_cache_alloc_node(c->a, gfp, op->args[1].u ? 0 : NUMA_NO_NODE);
        pb = kh_kmem_cache_alloc_node(B, c->b, gfp, op->args[1].u ? 0 : NUMA_NO_NODE);
        break;
    }
    /* zeroed objects alike in full, constructed ones in the byte the
     * constructor writes */
    size_t equal = (op->code == KH_OP_KMEM_CACHE_ZALLOC || (gfp & __GFP_ZERO)) ? c->obj_size
                   : c->ctor ? 1 : 0;
    same_reports(name);
    same_block(name, pa, pb, equal, equal == c->obj_size && !c->ctor);
    bind_block(op, pa, pb, K_CACHE, c->obj_size, 0, op->args[0].var, equal);
}

static void op_cache_free(const struct kh_op *op)
{
    struct binding *c = live_of(&op->args[0], KH_VAL_CACHE);
    struct block *k = c ? whole_block(&op->args[1]) : NULL;
    if (!k || k->kind != K_CACHE || k->owner != op->args[0].var)
        return;
    reconstruct(k);
    if (ODD)
        mempool_free_slab(k->a, c->a);   /* the stock callback */
    else
        kmem_cache_free(c->a, k->a);
    kh_kmem_cache_free(B, c->b, k->b);
    k->live = false;
    same_reports("kmem_cache_free");
}

static void op_cache_bulk(const struct kh_op *op)
{
    struct binding *c = live_of(&op->args[0], KH_VAL_CACHE);
    if (!c)
        return;
    size_t n = op->args[1].u;
    gfp_t gfp = (gfp_t)op->args[2].u;
    void **va = calloc(n ? n : 1, sizeof(void *)), **vb = calloc(n ? n : 1, sizeof(void *));
    if (!va || !vb)
        abort();
    int ra = kmem_cache_alloc_bulk(c->a, gfp, n, va);
    int rb = kh_kmem_cache_alloc_bulk(B, c->b, gfp, n, vb);
    same_reports("kmem_cache_alloc_bulk");
    same_value("kmem_cache_alloc_bulk", (uint64_t)ra, (uint64_t)rb);
    int32_t owner = op->args[0].var;
    size_t equal = (gfp & __GFP_ZERO) ? c->obj_size : c->ctor ? 1 : 0;
    for (int i = 0; i < ra; i++)
        same_block("kmem_cache_alloc_bulk", va[i], vb[i], equal, (gfp & __GFP_ZERO) != 0);
    struct binding *r = result_binding(op, KH_VAL_ARRAY);
    if (r && ra > 0) {
        r->live = true;
        r->count = (uint32_t)ra;
        r->elems = calloc((size_t)ra, sizeof(struct block));
        if (!r->elems)
            abort();
        for (int i = 0; i < ra; i++)
            r->elems[i] = (struct block){ va[i], vb[i], K_CACHE, true, owner, 0, c->obj_size,
                                          settle(va[i], vb[i], c->obj_size, equal) };
    } else if (!r && ra > 0) {
        /* unbound: nothing can name them, so they go back at once */
        for (int i = 0; i < ra; i++)
            reconstruct(&(struct block){ va[i], vb[i], K_CACHE, true, owner, 0, c->obj_size, 0 });
        kmem_cache_free_bulk(c->a, (size_t)ra, va);
        kh_kmem_cache_free_bulk(B, c->b, (size_t)ra, vb);
        same_reports("kmem_cache_free_bulk");
    }
    free(va);
    free(vb);
}

static void op_cache_free_bulk(const struct kh_op *op)
{
    struct binding *c = live_of(&op->args[0], KH_VAL_CACHE);
    struct binding *arr = op->args[1].var >= 0 ? bind(op->args[1].var) : NULL;
    if (!c || !arr || arr->type != KH_VAL_ARRAY || !arr->live)
        return;
    void **va = calloc(arr->count, sizeof(void *)), **vb = calloc(arr->count, sizeof(void *));
    if (!va || !vb)
        abort();
    for (uint32_t i = 0; i < arr->count; i++) {
        struct block *k = &arr->elems[i];
        if (!k->live || k->owner != op->args[0].var) {
            free(va);
            free(vb);
            return;
        }
        reconstruct(k);
        va[i] = k->a;
        vb[i] = k->b;
    }
    /* kfree_bulk's spelling (a NULL cache) every other time */
    kmem_cache_free_bulk(ODD ? NULL : c->a, arr->count, va);
    kh_kmem_cache_free_bulk(B, c->b, arr->count, vb);
    for (uint32_t i = 0; i < arr->count; i++)
        arr->elems[i].live = false;
    arr->live = false;
    same_reports("kmem_cache_free_bulk");
    free(va);
    free(vb);
}

static void op_cache_misc(const struct kh_op *op)
{
    if (op->code == KH_OP_KMEM_CACHE_DESTROY && op->args[0].var < 0) {
        kmem_cache_destroy(NULL);
        kh_kmem_cache_destroy(B, NULL);
        same_reports("kmem_cache_destroy(NULL)");
        return;
    }
    struct binding *c = live_of(&op->args[0], KH_VAL_CACHE);
    if (!c)
        return;
    switch (op->code) {
    case KH_OP_KMEM_CACHE_SHRINK:
        same_value("kmem_cache_shrink", (uint64_t)kmem_cache_shrink(c->a),
                   (uint64_t)kh_kmem_cache_shrink(B, c->b));
        same_reports("kmem_cache_shrink");
        break;
    case KH_OP_KMEM_CACHE_SIZE:
        same_value("kmem_cache_size", kmem_cache_size(c->a), kh_kmem_cache_size(B, c->b));
        break;
    default: /* destroy */
        if (cache_in_use(op->args[0].var))
            return;
        kmem_cache_destroy(c->a);
        kh_kmem_cache_destroy(B, c->b);
        c->live = false;
        same_reports("kmem_cache_destroy");
        break;
    }
}

/* ---- pages ---- */

static void op_pages(const struct kh_op *op)
{
    const struct kh_operand *a = op->args;
    void *pa, *pb;
    unsigned order = 0;
    const char *name;
    switch (op->code) {
    case KH_OP_ALLOC_PAGES: {
        order = (unsigned)a[0].u;
        if (a[0].u >= 32)   /* far past MAX_ORDER; keeps the byte count in range */
            return;
        gfp_t gfp = (gfp_t)a[1].u;
        bool one = order == 0 && ODD;
        bool stock = !one && cur % 4 == 2;   /* mempool's stock page callback */
        name = one ? "alloc_page" : stock ? "mempool_alloc_pages" : "alloc_pages";
        struct page *ga = one ? alloc_page(gfp)
                          : stock ? mempool_alloc_pages(gfp, (void *)(uintptr_t)order)
                                  : alloc_pages(gfp, order);
        struct page *gb = kh_alloc_pages(B, gfp, order);
        same_reports(name);
        pa = ga ? page_address(ga) : NULL;
        pb = gb ? kh_page_address(B, gb) : NULL;
        if (ga && virt_to_page(pa) != ga)
            fail("virt_to_page(page_address(page)) is not the page");
        break;
    }
    case KH_OP_GET_FREE_PAGES: {
        order = (unsigned)a[0].u;
        if (a[0].u >= 32)   /* far past MAX_ORDER; keeps the byte count in range */
            return;
        gfp_t gfp = (gfp_t)a[1].u;
        bool one = order == 0 && ODD;
        name = one ? "__get_free_page" : "__get_free_pages";
        pa = (void *)(one ? __get_free_page(gfp) : __get_free_pages(gfp, order));
        pb = (void *)kh___get_free_pages(B, gfp, order);
        same_reports(name);
        break;
    }
    default: /* KH_OP_GET_ZEROED_PAGE */
        name = "get_zeroed_page";
        pa = (void *)get_zeroed_page((gfp_t)a[0].u);
        pb = (void *)kh_get_zeroed_page(B, (gfp_t)a[0].u);
        same_reports(name);
        break;
    }
    size_t bytes = kh_page_size(B) << order;
    gfp_t gfp = (gfp_t)a[op->code == KH_OP_GET_ZEROED_PAGE ? 0 : 1].u;
    size_t equal = (op->code == KH_OP_GET_ZEROED_PAGE || (gfp & __GFP_ZERO)) ? bytes : 0;
    same_block(name, pa, pb, equal, equal != 0);
    bind_block(op, pa, pb, K_PAGES, bytes, order, -1, equal);
}

static void op_free_pages(const struct kh_op *op)
{
    struct block *k = whole_block(&op->args[0]);
    if (!k || k->kind != K_PAGES || op->args[1].u != k->order)
        return;
    unsigned order = k->order;
    /* the four spellings of one free */
    switch (cur % 4) {
    case 0: free_pages((unsigned long)k->a, order); break;
    case 1: mempool_free_pages(virt_to_page(k->a), (void *)(uintptr_t)order); break;
    case 2: order == 0 ? free_page((unsigned long)k->a) : free_pages((unsigned long)k->a, order); break;
    default: order == 0 ? __free_page(virt_to_page(k->a)) : __free_pages(virt_to_page(k->a), order); break;
    }
    kh_free_pages(B, (unsigned long)k->b, order);
    k->live = false;
    same_reports("free_pages");
}

static void op_exact(const struct kh_op *op)
{
    if (op->code == KH_OP_ALLOC_PAGES_EXACT) {
        size_t size = op->args[0].u;
        void *pa = alloc_pages_exact(size, (gfp_t)op->args[1].u);
        void *pb = kh_alloc_pages_exact(B, size, (gfp_t)op->args[1].u);
        same_reports("alloc_pages_exact");
        size_t equal = ((gfp_t)op->args[1].u & __GFP_ZERO) ? size : 0;
        same_block("alloc_pages_exact", pa, pb, equal, equal != 0);
        bind_block(op, pa, pb, K_EXACT, size, 0, -1, equal);
        return;
    }
    struct block *k = whole_block(&op->args[0]);
    if (!k || k->kind != K_EXACT || op->args[1].u != k->size)
        return;
    free_pages_exact(k->a, k->size);
    kh_free_pages_exact(B, k->b, k->size);
    k->live = false;
    same_reports("free_pages_exact");
}

/* ---- mempool ---- */

/* A pool of the caller's own callbacks (not the stock ones): kmalloc of
 * pool_data bytes, on A through the kernel names, on B through kh_. */
static void *own_alloc_a(gfp_t gfp, void *data) { return kmalloc((size_t)(uintptr_t)data, gfp); }
static void own_free_a(void *e, void *data)
{
    (void)data;
    kfree(e);
}
static void *own_alloc_b(gfp_t gfp, void *data) { return kh_kmalloc(B, (size_t)(uintptr_t)data, gfp); }
static void own_free_b(void *e, void *data)
{
    (void)data;
    kh_kfree(B, e);
}

static void op_pool_create(const struct kh_op *op)
{
    const struct kh_operand *a = op->args;
    int min = (int)a[0].u;   /* a negative count must be refused with a warning */
    if (min > (int)MAX_RESERVE)
        return;
    mempool_t *pa, *pb;
    uint8_t kind;
    size_t elem;
    int32_t cache = -1;
    const char *name;
    switch (op->code) {
    case KH_OP_MEMPOOL_CREATE_KMALLOC_POOL: {
        size_t size = a[1].u;
        kind = 0;
        elem = size;
        void *data = (void *)(uintptr_t)size;
        switch (cur % 4) {
        case 0:
            name = "mempool_create_kmalloc_pool";
            pa = mempool_create_kmalloc_pool(min, size);
            pb = kh_mempool_create_kmalloc_pool(B, min, size);
            break;
        case 1:
            name = "mempool_create(mempool_kmalloc)";
            pa = mempool_create(min, mempool_kmalloc, mempool_kfree, data);
            pb = kh_mempool_create_kmalloc_pool(B, min, size);
            break;
        case 2: {
            /* every other time on node 1, which the model does not have */
            int node = (cur / 4) & 1 ? 1 : NUMA_NO_NODE;
            name = "mempool_create_node(mempool_kmalloc)";
            pa = mempool_create_node(min, mempool_kmalloc, mempool_kfree, data, GFP_KERNEL, node);
            pb = kh_mempool_create_node(B, min, mempool_kmalloc, mempool_kfree, data, GFP_KERNEL,
                                        node);
            break;
        }
        default:
            name = "mempool_create(own callbacks)";
            kind = 3;
            pa = mempool_create(min, own_alloc_a, own_free_a, data);
            pb = kh_mempool_create(B, min, own_alloc_b, own_free_b, data);
            break;
        }
        break;
    }
    case KH_OP_MEMPOOL_CREATE_SLAB_POOL: {
        struct binding *c = live_of(&a[1], KH_VAL_CACHE);
        if (!c)
            return;
        kind = 1;
        elem = c->obj_size;
        cache = a[1].var;
        name = ODD ? "mempool_create(mempool_alloc_slab)" : "mempool_create_slab_pool";
        pa = ODD ? mempool_create(min, mempool_alloc_slab, mempool_free_slab, c->a)
                 : mempool_create_slab_pool(min, c->a);
        pb = kh_mempool_create_slab_pool(B, min, c->b);
        break;
    }
    default: { /* page pool */
        if (a[1].u >= 32)
            return;
        int order = (int)a[1].u;
        kind = 2;
        elem = kh_page_size(B) << order;
        name = ODD ? "mempool_create(mempool_alloc_pages)" : "mempool_create_page_pool";
        pa = ODD ? mempool_create(min, mempool_alloc_pages, mempool_free_pages,
                                  (void *)(uintptr_t)order)
                 : mempool_create_page_pool(min, order);
        pb = kh_mempool_create_page_pool(B, min, order);
        break;
    }
    }
    same_reports(name);
    if ((pa == NULL) != (pb == NULL))
        fail("%s: NULL on one instance only", name);
    struct binding *r = result_binding(op, KH_VAL_POOL);
    if (!pa)
        return;
    if (!r) {
        mempool_destroy(pa);
        kh_mempool_destroy(B, pb);
        same_reports("mempool_destroy");
        return;
    }
    r->live = true;
    r->a = pa;
    r->b = pb;
    r->pool_kind = kind;
    r->obj_size = elem;
    r->cache = cache;
}

static void op_pool(const struct kh_op *op)
{
    switch (op->code) {
    case KH_OP_MEMPOOL_ALLOC: {
        struct binding *p = live_of(&op->args[0], KH_VAL_POOL);
        if (!p)
            return;
        void *ea = mempool_alloc(p->a, (gfp_t)op->args[1].u);
        void *eb = kh_mempool_alloc(B, p->b, (gfp_t)op->args[1].u);
        same_reports("mempool_alloc");
        if (p->pool_kind == 2 && ea && eb) {
            /* a page pool hands out struct page pointers */
            ea = page_address(ea);
            eb = kh_page_address(B, eb);
        }
        struct binding *c = p->cache >= 0 ? bind(p->cache) : NULL;
        size_t equal = c && c->ctor ? 1 : 0;
        same_block("mempool_alloc", ea, eb, equal, false);
        bind_block(op, ea, eb, K_POOL, p->obj_size, 0, op->args[0].var, equal);
        break;
    }
    case KH_OP_MEMPOOL_FREE: {
        struct binding *p = live_of(&op->args[1], KH_VAL_POOL);
        if (!p)
            return;
        if (op->args[0].ptr_kind == KH_PTR_NULL) {
            mempool_free(NULL, p->a);
            kh_mempool_free(B, NULL, p->b);
            same_reports("mempool_free(NULL)");
            return;
        }
        struct block *k = whole_block(&op->args[0]);
        if (!k || k->kind != K_POOL || k->owner != op->args[1].var)
            return;
        if (p->cache >= 0)
            reconstruct(&(struct block){ k->a, k->b, K_CACHE, true, p->cache, 0, k->size, 0 });
        if (p->pool_kind == 2) {
            mempool_free(virt_to_page(k->a), p->a);
            kh_mempool_free(B, kh_virt_to_page(B, k->b), p->b);
        } else {
            mempool_free(k->a, p->a);
            kh_mempool_free(B, k->b, p->b);
        }
        k->live = false;
        same_reports("mempool_free");
        break;
    }
    case KH_OP_MEMPOOL_RESIZE: {
        struct binding *p = live_of(&op->args[0], KH_VAL_POOL);
        if (!p || op->args[1].u > MAX_RESERVE)
            return;
        same_value("mempool_resize", (uint64_t)mempool_resize(p->a, (int)op->args[1].u),
                   (uint64_t)kh_mempool_resize(B, p->b, (int)op->args[1].u));
        same_reports("mempool_resize");
        break;
    }
    default: { /* destroy */
        if (op->args[0].var < 0) {
            mempool_destroy(NULL);
            kh_mempool_destroy(B, NULL);
            same_reports("mempool_destroy(NULL)");
            return;
        }
        struct binding *p = live_of(&op->args[0], KH_VAL_POOL);
        if (!p || pool_in_use(op->args[0].var))
            return;
        mempool_destroy(p->a);
        kh_mempool_destroy(B, p->b);
        p->live = false;
        same_reports("mempool_destroy");
        break;
    }
    }
}

/* ---- vmalloc and kvmalloc ---- */

static void same_mapping(const char *name, void *a, void *b)
{
    bool va = is_vmalloc_addr(a), vb = kh_is_vmalloc_addr(B, b);
    if (va != vb)
        fail("%s: is_vmalloc_addr differs", name);
    if (va) {
        struct page *pa = vmalloc_to_page(a), *pb = kh_vmalloc_to_page(B, b);
        same_value("vmalloc_to_page", kh_page_to_pfn(A, pa), kh_page_to_pfn(B, pb));
        same_value("vmalloc_to_pfn", vmalloc_to_pfn(a), kh_vmalloc_to_pfn(B, b));
    }
}

static void op_vmalloc(const struct kh_op *op)
{
    const struct kh_operand *a = op->args;
    void *pa, *pb;
    size_t size = a[0].u;
    const char *name;
    switch (op->code) {
    case KH_OP_VMALLOC: name = "vmalloc"; pa = vmalloc(size); pb = kh_vmalloc(B, size); break;
    case KH_OP_VZALLOC: name = "vzalloc"; pa = vzalloc(size); pb = kh_vzalloc(B, size); break;
    case KH_OP_VMALLOC_GFP:
        name = "__vmalloc";
        pa = __vmalloc(size, (gfp_t)a[1].u);
        pb = kh___vmalloc(B, size, (gfp_t)a[1].u);
        break;
    case KH_OP_KVMALLOC:
        name = "kvmalloc";
        pa = kvmalloc(size, (gfp_t)a[1].u);
        pb = kh_kvmalloc(B, size, (gfp_t)a[1].u);
        break;
    case KH_OP_KVZALLOC:
        name = "kvzalloc";
        pa = kvzalloc(size, (gfp_t)a[1].u);
        pb = kh_kvzalloc(B, size, (gfp_t)a[1].u);
        break;
    default: { /* kvmalloc_array, kvcalloc */
        bool overflow = a[0].u && a[1].u > SIZE_MAX / a[0].u;
        size = overflow ? 0 : a[0].u * a[1].u;
        if (op->code == KH_OP_KVCALLOC) {
            name = "kvcalloc";
            pa = kvcalloc(a[0].u, a[1].u, (gfp_t)a[2].u);
            pb = kh_kvcalloc(B, a[0].u, a[1].u, (gfp_t)a[2].u);
        } else {
            name = "kvmalloc_array";
            pa = kvmalloc_array(a[0].u, a[1].u, (gfp_t)a[2].u);
            pb = kh_kvmalloc_array(B, a[0].u, a[1].u, (gfp_t)a[2].u);
        }
        break;
    }
    }
    gfp_t gfp = op->code == KH_OP_VMALLOC || op->code == KH_OP_VZALLOC ? 0
                : (gfp_t)a[op->code == KH_OP_KVMALLOC_ARRAY || op->code == KH_OP_KVCALLOC ? 2 : 1].u;
    bool zeroed = op->code == KH_OP_VZALLOC || op->code == KH_OP_KVZALLOC ||
                  op->code == KH_OP_KVCALLOC || (gfp & __GFP_ZERO);
    same_reports(name);
    same_block(name, pa, pb, zeroed ? size : 0, zeroed);
    if (ZERO_OR_NULL_PTR(pa)) {
        bind_block(op, pa, pb, K_NONE, 0, 0, -1, 0);
        return;
    }
    same_mapping(name, pa, pb);
    bind_block(op, pa, pb, is_vmalloc_addr(pa) ? K_VMALLOC : K_KMALLOC, size, 0, -1,
               zeroed ? size : 0);
}

/* 6.1's kvrealloc(p, oldsize, newsize, gfp): p itself when it does not
 * grow, else a new block with oldsize bytes copied and p freed. */
static void op_kvrealloc(const struct kh_op *op)
{
    const struct kh_operand *a = op->args;
    int64_t off;
    bool null;
    struct block *k = block_of(&a[0], &off, &null);
    uint64_t old = a[1].u, size = a[2].u;
    if (null ? old != 0 : !(k && off == 0 && (k->kind == K_KMALLOC || k->kind == K_VMALLOC) &&
                            old <= k->size))
        return;
    void *pa = kvrealloc(k ? k->a : NULL, old, size, (gfp_t)a[3].u);
    void *pb = kh_kvrealloc(B, k ? k->b : NULL, old, size, (gfp_t)a[3].u);
    same_reports("kvrealloc");
    size_t kept = k ? (old < size ? old : size) : 0;
    if (k && kept > k->init)
        kept = k->init;
    same_block("kvrealloc", pa, pb, pa ? kept : 0, false);
    if (!pa || ZERO_OR_NULL_PTR(pa)) {
        bind_block(op, pa, pb, K_NONE, 0, 0, -1, 0);
        return;
    }
    same_mapping("kvrealloc", pa, pb);
    size_t keep = size;
    if (k) {
        if (old >= size) {
            keep = k->size;   /* the same block, its requested size unchanged */
            kept = k->init;
        }
        k->live = false;
    }
    bind_block(op, pa, pb, is_vmalloc_addr(pa) ? K_VMALLOC : K_KMALLOC, keep, 0, -1, kept);
}

/* vrealloc(p, size, gfp): Linux 6.12's; on this 6.1 profile both twins
 * must refuse it alike (a warning, NULL, p untouched). */
static void op_vrealloc(const struct kh_op *op)
{
    const struct kh_operand *a = op->args;
    int64_t off;
    bool null;
    struct block *k = block_of(&a[0], &off, &null);
    if (!null && !(k && off == 0 && k->kind == K_VMALLOC))
        return;
    void *pa = vrealloc(k ? k->a : NULL, a[1].u, (gfp_t)a[2].u);
    void *pb = kh_vrealloc(B, k ? k->b : NULL, a[1].u, (gfp_t)a[2].u);
    same_reports("vrealloc");
    size_t kept = k ? (a[1].u < k->init ? a[1].u : k->init) : 0;
    same_block("vrealloc", pa, pb, pa ? kept : 0, false);
    if (ZERO_OR_NULL_PTR(pa)) {
        bind_block(op, pa, pb, K_NONE, 0, 0, -1, 0);
        return;
    }
    if (k)
        k->live = false;
    bind_block(op, pa, pb, K_VMALLOC, a[1].u, 0, -1, kept);
}

/* kmemdup of a live block's bytes, or kstrdup of a string of that length. */
static void op_kmemdup(const struct kh_op *op)
{
    int64_t off;
    bool null;
    struct block *k = block_of(&op->args[0], &off, &null);
    uint64_t len = op->args[1].u;
    gfp_t gfp = (gfp_t)op->args[2].u;
    if (ODD) {
        char s[64];
        size_t n = len % sizeof(s);
        memset(s, 'k', n);
        s[n] = '\0';
        char *pa = kstrdup(s, gfp), *pb = kh_kstrdup(B, s, gfp);
        same_reports("kstrdup");
        same_block("kstrdup", pa, pb, pa ? n + 1 : 0, false);
        if (pa && strcmp(pa, s) != 0)
            fail("kstrdup: the copy is not the string");
        bind_block(op, pa, pb, K_KMALLOC, n + 1, 0, -1, n + 1);
        return;
    }
    if (!k || k->kind == K_PERCPU || off < 0 || (uint64_t)off > k->size || len > k->size - (uint64_t)off)
        return;
    void *pa = kmemdup((char *)k->a + off, len, gfp);
    void *pb = kh_kmemdup(B, (char *)k->b + off, len, gfp);
    same_reports("kmemdup");
    /* the copy of what was alike in the source */
    size_t alike = (uint64_t)off >= k->init ? 0 : k->init - (size_t)off;
    if (alike > len)
        alike = len;
    same_block("kmemdup", pa, pb, pa ? alike : 0, false);
    if (pa && len && memcmp(pa, (char *)k->a + off, len < COMPARE_BYTES ? len : COMPARE_BYTES) != 0)
        fail("kmemdup: the copy differs from its source");
    bind_block(op, pa, pb, K_KMALLOC, len, 0, -1, alike);
}

/* ---- per-CPU ---- */

static void op_percpu(const struct kh_op *op)
{
    const struct kh_operand *a = op->args;
    if (op->code == KH_OP_PER_CPU_PTR) {
        struct block *k = whole_block(&a[0]);
        if (!k || k->kind != K_PERCPU || a[1].u >= NR_CPUS)
            return;
        char *ca = kh_per_cpu_ptr(A, k->a, (unsigned)a[1].u);
        char *cb = kh_per_cpu_ptr(B, k->b, (unsigned)a[1].u);
        same_value("per_cpu_ptr", (uint64_t)(ca - (char *)k->a), (uint64_t)(cb - (char *)k->b));
        char *ta = kh_this_cpu_ptr(A, k->a), *tb = kh_this_cpu_ptr(B, k->b);
        same_value("this_cpu_ptr", (uint64_t)(ta - (char *)k->a), (uint64_t)(tb - (char *)k->b));
        same_reports("per_cpu_ptr");
        return;
    }
    size_t size = a[0].u, align = a[1].u;
    void *pa, *pb;
    if (op->code == KH_OP_ALLOC_PERCPU_GFP) {
        pa = __alloc_percpu_gfp(size, align, (gfp_t)a[2].u);
        pb = kh___alloc_percpu_gfp(B, size, align, (gfp_t)a[2].u);
    } else {
        pa = __alloc_percpu(size, align);
        pb = kh___alloc_percpu(B, size, align);
    }
    same_reports("__alloc_percpu");
    same_block("__alloc_percpu", pa, pb, size, true);   /* zeroed, in every CPU's copy */
    bind_block(op, pa, pb, K_PERCPU, 0, 0, -1, 0);   /* a cookie: not accessed directly */
}

static void op_set_cpu(const struct kh_op *op)
{
    kh_set_cpu(A, (unsigned)op->args[0].u);
    kh_set_cpu(B, (unsigned)op->args[0].u);
    same_reports("set_cpu");
    same_value("num_possible_cpus", num_possible_cpus(), kh_nr_cpus(B));
    unsigned ca = get_cpu(), cb = kh_get_cpu(B);
    same_value("get_cpu", ca, cb);
    put_cpu();
    kh_put_cpu(B);
}

/* ---- memory access, faults, shrinking ---- */

/* Bytes outside an object, in its red zones or padding: ASan poisons them,
 * and only the allocator's own checks may look there. */
__attribute__((no_sanitize("address"))) static void poke(unsigned char *p, int v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        ((volatile unsigned char *)p)[i] = (unsigned char)v;
}

__attribute__((no_sanitize("address"))) static bool all_are(const unsigned char *p, int v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (((const volatile unsigned char *)p)[i] != (unsigned char)v)
            return false;
    return true;
}

/* A write past a debug cache object's bytes, into its right red zone or
 * alignment padding [object_size, inuse), or before it into its left red
 * zone: the caller's overflow that slub_debug exists to catch. Both twins
 * get it; validate_slab_cache must then report it alike on both (when a
 * byte changed: 0xcc is a live object's red zone, 0x5a padding under
 * SLAB_POISON alone), repair it, and find nothing the second time. */
static void corrupt(const struct block *k, int64_t at, uint64_t len, int v)
{
    struct binding *c = bind(k->owner);
    struct kh_cache_info ia;
    if (!c || !c->live || kh_slab_cache_info(A, c->a, &ia) != 0 || len == 0 || len > 4096)
        return;
    bool rz = ia.flags & SLAB_RED_ZONE, poison = ia.flags & SLAB_POISON;
    int64_t lo = rz ? -(int64_t)ia.red_left_pad : (int64_t)ia.object_size;
    int64_t right = (int64_t)ia.object_size;
    if (!(rz || poison) || at + (int64_t)len <= at)
        return;
    if (at < 0 ? !(at >= lo && at + (int64_t)len <= 0)
               : !(at >= right && at + (int64_t)len <= (int64_t)ia.inuse))
        return;
    int expect = rz ? 0xcc : 0x5a;
    unsigned char *pa = (unsigned char *)k->a + at, *pb = (unsigned char *)k->b + at;
    bool changed = !all_are(pa, v, (size_t)len);
    if (!all_are(pa, expect, (size_t)len) || !all_are(pb, expect, (size_t)len))
        fail("a live %s object's %s does not hold %#x", rz ? "red-zoned" : "poisoned",
             at < 0 ? "left red zone" : rz ? "right red zone" : "alignment padding", expect);
    poke(pa, v, (size_t)len);
    poke(pb, v, (size_t)len);
    unsigned ea = kh_kmem_cache_validate(A, c->a), eb = kh_kmem_cache_validate(B, c->b);
    same_value("validate_slab_cache after an overflow", ea, eb);
    same_reports("validate_slab_cache after an overflow");
    if (changed && ea == 0)
        fail("an overflow of %llu bytes at offset %lld of a %s object went unreported",
             (unsigned long long)len, (long long)at, rz ? "red-zoned" : "poisoned");
    unsigned ra = kh_kmem_cache_validate(A, c->a), rb = kh_kmem_cache_validate(B, c->b);
    if (ra || rb)
        fail("validate_slab_cache still finds %u and %u errors after repairing an overflow", ra, rb);
}

__attribute__((no_sanitize("address"))) static void peek(unsigned char *dst, const unsigned char *p,
                                                         size_t n)
{
    for (size_t i = 0; i < n; i++)
        dst[i] = ((const volatile unsigned char *)p)[i];
}

/* The block a pointer operand names, live or not. */
static struct block *any_block_of(const struct kh_operand *o, int64_t *off)
{
    *off = o->offset;
    struct binding *v = o->var >= 0 ? bind(o->var) : NULL;
    if (o->ptr_kind == KH_PTR_VAR)
        return v && v->type == KH_VAL_PTR && !ZERO_OR_NULL_PTR(v->blk.a) ? &v->blk : NULL;
    if (o->ptr_kind == KH_PTR_ELEM && v && v->type == KH_VAL_ARRAY && o->elem < v->count)
        return &v->elems[o->elem];
    return NULL;
}

struct in_reserve {
    const void *element;
    size_t element_size;
    bool found;
};

static int find_in_reserve(void *ctx, const struct kh_mempool_info *p, int index, void *e)
{
    struct in_reserve *r = ctx;
    (void)index;
    if (e == r->element) {
        r->found = true;
        r->element_size = p->element_size;
    }
    return r->found;
}

static unsigned poison_violations(struct kh *kh, const char *subsystem, const char *invariant,
                                  unsigned (*check)(struct kh *, struct kh_violations *))
{
    struct kh_violations out = { 0 };
    check(kh, &out);
    unsigned n = kh_violations_count(&out, subsystem, invariant);
    kh_violations_free(&out);
    return n;
}

/* A write through a pointer after its free (use after free), kept where a
 * check exists for it: into a mempool element resting in its pool's
 * reserve, which the pool poisons, or into a free object of a cache that
 * poisons them (SLAB_POISON without a ctor or RCU). Both twins get it. The mempool validation must name
 * "mempool-poison" alike on both (when a byte changed), and the bytes are
 * put back; validate_slab_cache must report the object alike on both,
 * repair it and find nothing on a second pass. */
static void write_after_free(struct block *k, int64_t at, uint64_t len, int v)
{
    if (at < 0 || len == 0 || len > 4096 || (uint64_t)at + len < len)
        return;
    unsigned char *pa = (unsigned char *)k->a + at, *pb = (unsigned char *)k->b + at;
    unsigned char old[4096];
    if (k->kind == K_POOL) {
        struct binding *p = bind(k->owner);
        if (!p || p->type != KH_VAL_POOL || !p->live)
            return;
        struct in_reserve ra = { p->pool_kind == 2 ? (void *)virt_to_page(k->a) : k->a, 0, false };
        struct in_reserve rb = { p->pool_kind == 2 ? (void *)kh_virt_to_page(B, k->b) : k->b, 0, false };
        kh_mempool_walk(A, NULL, find_in_reserve, &ra);
        kh_mempool_walk(B, NULL, find_in_reserve, &rb);
        if (ra.found != rb.found)
            fail("an element rests in one twin's reserve only");
        if (!ra.found || (uint64_t)at + len > ra.element_size)
            return;   /* handed out again, freed for good, or not poisoned */
        peek(old, pa, (size_t)len);
        bool changed = !all_are(pa, v, (size_t)len);
        poke(pa, v, (size_t)len);
        poke(pb, v, (size_t)len);
        unsigned na = poison_violations(A, "mempool", "mempool-poison", kh_mempool_validate);
        unsigned nb = poison_violations(B, "mempool", "mempool-poison", kh_mempool_validate);
        same_value("mempool-poison violations after a write into the reserve", na, nb);
        if (changed && na == 0)
            fail("a write into a mempool element in the reserve went unseen");
        for (size_t i = 0; i < len; i++) {
            poke(pa + i, old[i], 1);
            poke(pb + i, old[i], 1);
        }
        return;
    }
    if (k->kind != K_CACHE)
        return;
    struct binding *c = bind(k->owner);
    struct kh_cache_info ci;
    struct kh_object_info oa, ob;
    struct kmem_cache *ca, *cb;
    if (!c || !c->live || kh_slab_cache_info(A, c->a, &ci) != 0 ||
        !oracle_slab_poisons((uint32_t)ci.flags, ci.has_ctor) ||
        (uint64_t)at + len > ci.object_size || kh_slab_object_lookup(A, k->a, &oa, &ca) != 0 ||
        kh_slab_object_lookup(B, k->b, &ob, &cb) != 0)
        return;
    if ((ca == c->a) != (cb == c->b))
        fail("a freed object's slab belongs to its cache on one twin only");
    if (ca != c->a)
        return;   /* its slab went back to the pages and now serves another cache */
    if (oa.state != ob.state)
        fail("an object is %s on one twin, %s on the other", kh_object_state_name(oa.state),
             kh_object_state_name(ob.state));
    if (oa.state != KH_OBJ_FREE || oa.addr != (uintptr_t)k->a)
        return;   /* handed out again, or held in the quarantine */
    bool changed = !all_are(pa, v, (size_t)len);
    poke(pa, v, (size_t)len);
    poke(pb, v, (size_t)len);
    unsigned ea = kh_kmem_cache_validate(A, c->a), eb = kh_kmem_cache_validate(B, c->b);
    same_value("validate_slab_cache after a write into a free object", ea, eb);
    same_reports("validate_slab_cache after a write into a free object");
    if (changed && ea == 0)
        fail("a write into a free object of a SLAB_POISON cache went unreported");
    /* check_object repairs the first damaged range it meets and stops: the
     * poison body, then the end byte (POISON_END) on the next pass. So a
     * write over both is repaired in two passes, and the third is clean. */
    unsigned ra = kh_kmem_cache_validate(A, c->a), rb = kh_kmem_cache_validate(B, c->b);
    same_value("validate_slab_cache on the second pass", ra, rb);
    if (ra || rb) {
        ra = kh_kmem_cache_validate(A, c->a);
        rb = kh_kmem_cache_validate(B, c->b);
    }
    if (ra || rb)
        fail("validate_slab_cache still finds %u and %u errors after two repairing passes", ra, rb);
}

static void op_access(const struct kh_op *op)
{
    int64_t off;
    bool null;
    struct block *k = block_of(&op->args[0], &off, &null);
    if (!k && op->code == KH_OP_WRITE) {
        struct block *dead = any_block_of(&op->args[0], &off);
        if (dead && !dead->live)
            write_after_free(dead, off + (int64_t)op->args[1].u, op->args[2].u, (int)op->args[3].u);
        return;
    }
    uint64_t at = (uint64_t)off + op->args[1].u, len = op->args[2].u;
    if (k && k->kind == K_CACHE && op->code == KH_OP_WRITE &&
        (off < 0 || at > k->size || len > k->size - at)) {
        corrupt(k, (int64_t)at, len, (int)op->args[3].u);
        return;
    }
    if (!k || k->kind == K_PERCPU || off < 0 || at < (uint64_t)off || at > k->size ||
        len > k->size - at)
        return;
    if (op->code == KH_OP_WRITE) {
        memset((char *)k->a + at, (int)op->args[3].u, len);
        memset((char *)k->b + at, (int)op->args[3].u, len);
    } else {
        /* only what is alike: the rest may hold free pointers */
        uint64_t end = at + len < k->init ? at + len : k->init;
        if (at < end && memcmp((char *)k->a + at, (char *)k->b + at, end - at) != 0)
            fail("read: the two instances hold different bytes");
    }
}

static void op_fault(const struct kh_op *op)
{
    struct kh_fault_config fc = { 0 };
    if (op->code == KH_OP_FAIL_OFF) {
        kh_fault_clear(A);
        kh_fault_clear(B);
        return;
    }
    fc.mode = op->code == KH_OP_FAIL_NTH ? KH_FAULT_NTH : KH_FAULT_FROM;
    fc.nth = op->args[0].u;
    fc.domains = (unsigned)op->args[1].u & KH_FAULT_ALL;
    kh_fault_set(A, &fc);
    kh_fault_set(B, &fc);
}

/* ---- boot ---- */

static void op_boot(const struct kh_op *op)
{
    const struct kh_operand *a = op->args;
    switch (op->code) {
    case KH_OP_EARLY_BOOT:
        if (pages_touched || phase != KH_BOOT_NONE)
            return;
        same_value("kh_boot_begin", (uint64_t)kh_boot_begin(A), (uint64_t)kh_boot_begin(B));
        phase = kh_boot_phase(B);
        same_value("kh_boot_phase", kh_boot_phase(A), phase);
        return;
    case KH_OP_MEMBLOCK_FREE_ALL:
        if (phase != KH_BOOT_EARLY)
            return;
        memblock_free_all();
        same_value("memblock_free_all", 0, (uint64_t)kh_boot_end(B));
        phase = kh_boot_phase(B);
        same_value("kh_boot_phase", kh_boot_phase(A), phase);
        same_reports("memblock_free_all");
        same_value("nr_free_pages", kh_nr_free_pages(A), kh_nr_free_pages(B));
        return;
    case KH_OP_MEMBLOCK_FREE_LATE: {
        struct block *k = whole_block(&a[0]);
        if (phase != KH_BOOT_DONE || !k || k->kind != K_MEMBLOCK || a[1].u != k->size)
            return;
        memblock_free_late(kh_virt_to_phys(A, k->a), k->size);
        kh_memblock_free_late(B, kh_virt_to_phys(B, k->b), k->size);
        k->live = false;
        same_reports("memblock_free_late");
        return;
    }
    default:
        break;
    }
    if (phase != KH_BOOT_EARLY)
        return;
    switch (op->code) {
    case KH_OP_MEMBLOCK_ALLOC: {
        uint64_t size = a[0].u, align = a[1].u;
        void *pa, *pb;
        const char *name;
        /* memblock_alloc, or a bootmem spelling of the same request */
        switch (cur % 4) {
        case 1:
            name = "alloc_bootmem_align";
            pa = align ? alloc_bootmem_align(size, align) : alloc_bootmem(size);
            pb = align ? kh_alloc_bootmem_align(B, size, align) : kh_alloc_bootmem(B, size);
            break;
        case 2:
            name = align ? "memblock_alloc_raw" : "alloc_bootmem_nopanic";
            pa = align ? memblock_alloc_raw(size, align) : alloc_bootmem_nopanic(size);
            pb = align ? kh_memblock_alloc_raw(B, size, align) : kh_alloc_bootmem_nopanic(B, size);
            break;
        case 3:
            name = "alloc_bootmem_pages";
            pa = alloc_bootmem_pages(size);
            pb = kh_alloc_bootmem_pages(B, size);
            break;
        default:
            name = "memblock_alloc";
            pa = memblock_alloc(size, align);
            pb = kh_memblock_alloc(B, size, align);
            break;
        }
        /* memblock_alloc and bootmem zero; memblock_alloc_raw does not */
        size_t equal = strcmp(name, "memblock_alloc_raw") == 0 ? 0 : size;
        same_reports(name);
        same_block(name, pa, pb, equal, equal != 0);
        bind_block(op, pa, pb, K_MEMBLOCK, size, 0, -1, equal);
        break;
    }
    case KH_OP_MEMBLOCK_PHYS_ALLOC: {
        phys_addr_t ra = memblock_phys_alloc(a[0].u, a[1].u);
        phys_addr_t rb = kh_memblock_phys_alloc(B, a[0].u, a[1].u);
        same_reports("memblock_phys_alloc");
        same_value("memblock_phys_alloc", ra, rb);
        void *pa = ra ? kh_phys_to_virt(A, ra) : NULL, *pb = rb ? kh_phys_to_virt(B, rb) : NULL;
        same_block("memblock_phys_alloc", pa, pb, 0, false);   /* not zeroed */
        bind_block(op, pa, pb, K_MEMBLOCK, a[0].u, 0, -1, 0);
        break;
    }
    case KH_OP_MEMBLOCK_RESERVE:
        same_value("memblock_reserve", (uint64_t)memblock_reserve(a[0].u, a[1].u),
                   (uint64_t)kh_memblock_reserve(B, a[0].u, a[1].u));
        same_reports("memblock_reserve");
        break;
    case KH_OP_MEMBLOCK_FREE: {
        struct block *k = whole_block(&a[0]);
        if (!k || k->kind != K_MEMBLOCK || a[1].u != k->size)
            return;
        /* three spellings of one free */
        switch (cur % 3) {
        case 1:
            memblock_phys_free(kh_virt_to_phys(A, k->a), k->size);
            kh_memblock_phys_free(B, kh_virt_to_phys(B, k->b), k->size);
            break;
        case 2:
            free_bootmem((unsigned long)kh_virt_to_phys(A, k->a), k->size);
            kh_free_bootmem(B, (unsigned long)kh_virt_to_phys(B, k->b), k->size);
            break;
        default:
            memblock_free(k->a, k->size);
            kh_memblock_free(B, k->b, k->size);
            break;
        }
        k->live = false;
        same_reports("memblock_free");
        break;
    }
    default:
        break;
    }
}

/* ---- the run ---- */

/* Operations that leave the page allocator untouched (early_boot may
 * follow them). */
static bool leaves_pages_alone(uint8_t code)
{
    return code == KH_OP_SET_CPU || code == KH_OP_GET_ORDER || code == KH_OP_KMALLOC_INDEX ||
           code == KH_OP_FAIL_NTH || code == KH_OP_FAIL_FROM || code == KH_OP_FAIL_OFF ||
           code == KH_OP_KMALLOC_SIZE_ROUNDUP || code == KH_OP_EARLY_BOOT;
}

static bool is_boot_op(uint8_t code)
{
    return code == KH_OP_MEMBLOCK_ALLOC ||
           (code >= KH_OP_EARLY_BOOT && code <= KH_OP_MEMBLOCK_FREE_LATE);
}

static void run_op(const struct kh_op *op)
{
    /* early boot: memblock only (the page allocator is closed until
     * memblock_free_all) */
    if (phase == KH_BOOT_EARLY && !is_boot_op(op->code) && !leaves_pages_alone(op->code))
        return;
    if (!leaves_pages_alone(op->code))
        pages_touched = true;
    switch (op->code) {
    case KH_OP_KMALLOC: case KH_OP_KZALLOC: case KH_OP_KCALLOC: case KH_OP_KMALLOC_ARRAY:
    case KH_OP_KMALLOC_NODE: case KH_OP_KZALLOC_NODE:
        op_kmalloc_like(op); break;
    case KH_OP_KREALLOC: case KH_OP_KREALLOC_ARRAY: op_krealloc(op); break;
    case KH_OP_KSIZE: op_ksize(op); break;
    case KH_OP_KFREE: case KH_OP_KFREE_SENSITIVE: case KH_OP_KVFREE: case KH_OP_KVFREE_SENSITIVE:
    case KH_OP_VFREE: case KH_OP_FREE_PERCPU:
        op_free(op); break;
    case KH_OP_KMALLOC_SIZE_ROUNDUP: case KH_OP_KMALLOC_INDEX: case KH_OP_GET_ORDER:
        op_sizes(op); break;
    case KH_OP_KMEM_CACHE_CREATE: op_cache_create(op); break;
    case KH_OP_KMEM_CACHE_ALLOC: case KH_OP_KMEM_CACHE_ZALLOC: case KH_OP_KMEM_CACHE_ALLOC_NODE:
        op_cache_alloc(op); break;
    case KH_OP_KMEM_CACHE_FREE: op_cache_free(op); break;
    case KH_OP_KMEM_CACHE_ALLOC_BULK: op_cache_bulk(op); break;
    case KH_OP_KMEM_CACHE_FREE_BULK: op_cache_free_bulk(op); break;
    case KH_OP_KMEM_CACHE_SHRINK: case KH_OP_KMEM_CACHE_SIZE: case KH_OP_KMEM_CACHE_DESTROY:
        op_cache_misc(op); break;
    case KH_OP_ALLOC_PAGES: case KH_OP_GET_FREE_PAGES: case KH_OP_GET_ZEROED_PAGE:
        op_pages(op); break;
    case KH_OP_FREE_PAGES: op_free_pages(op); break;
    case KH_OP_ALLOC_PAGES_EXACT: case KH_OP_FREE_PAGES_EXACT: op_exact(op); break;
    case KH_OP_MEMPOOL_CREATE_KMALLOC_POOL: case KH_OP_MEMPOOL_CREATE_SLAB_POOL:
    case KH_OP_MEMPOOL_CREATE_PAGE_POOL:
        op_pool_create(op); break;
    case KH_OP_MEMPOOL_ALLOC: case KH_OP_MEMPOOL_FREE: case KH_OP_MEMPOOL_RESIZE:
    case KH_OP_MEMPOOL_DESTROY:
        op_pool(op); break;
    case KH_OP_VMALLOC: case KH_OP_VZALLOC: case KH_OP_VMALLOC_GFP: case KH_OP_KVMALLOC:
    case KH_OP_KVZALLOC: case KH_OP_KVMALLOC_ARRAY: case KH_OP_KVCALLOC:
        op_vmalloc(op); break;
    case KH_OP_KVREALLOC: op_kvrealloc(op); break;
    case KH_OP_VREALLOC: op_vrealloc(op); break;   /* whole-table ("KHT") inputs only */
    case KH_OP_KMEMDUP: op_kmemdup(op); break;
    case KH_OP_ALLOC_PERCPU: case KH_OP_ALLOC_PERCPU_GFP: case KH_OP_PER_CPU_PTR:
        op_percpu(op); break;
    case KH_OP_SET_CPU: op_set_cpu(op); break;
    case KH_OP_WRITE: case KH_OP_READ: op_access(op); break;
    case KH_OP_SHRINK_ALL:
        same_value("drop caches", kh_drop_caches(A), kh_drop_caches(B));
        same_reports("drop caches");
        break;
    case KH_OP_FAIL_NTH: case KH_OP_FAIL_FROM: case KH_OP_FAIL_OFF: op_fault(op); break;
    default:
        if (is_boot_op(op->code))
            op_boot(op);
        break;   /* operations this target leaves out (6.12 forms, fail_random) */
    }
}

static void same_text(const char *what, int (*fn)(struct kh *, char *, size_t))
{
    static char ta[1 << 16], tb[1 << 16];
    fn(A, ta, sizeof(ta));
    fn(B, tb, sizeof(tb));
    if (strcmp(ta, tb) != 0)
        fail("at the end: %s differs between the two instances", what);
}

static int buddyinfo(struct kh *kh, char *buf, size_t cap) { return kh_buddyinfo(kh, buf, cap); }

/* ---- the two instances' state, as text ---- */

#define DIGEST_ITEMS 1024u   /* walks stop after this many items of a kind */
#define DIGEST_PAGES 512u    /* page states compared */

struct digest {
    struct kh *kh;
    char *buf;
    size_t len, cap;
    unsigned items;
};

static void dput(struct digest *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void dput(struct digest *d, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(d->buf ? d->buf + d->len : NULL, d->buf ? d->cap - d->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0)
            abort();
        if (d->buf && d->len + (size_t)n < d->cap) {
            d->len += (size_t)n;
            return;
        }
        size_t cap = d->cap ? d->cap * 2 : 1 << 16;
        while (cap < d->len + (size_t)n + 1)
            cap *= 2;
        char *b = realloc(d->buf, cap);
        if (!b)
            abort();
        d->buf = b;
        d->cap = cap;
    }
}

static int d_block(void *ctx, const struct kh_block_info *b)
{
    struct digest *d = ctx;
    dput(d, "block %d %u %lu %d\n", (int)b->zone, b->order, b->pfn, b->lazy);
    return ++d->items >= DIGEST_ITEMS;
}

static int d_object(void *ctx, const struct kh_object_info *o)
{
    struct digest *d = ctx;
    /* callers differ (the kernel names are the outermost frame on A) */
    dput(d, "object %u %s %u %u %u\n", o->index, kh_object_state_name(o->state), o->requested,
         o->alloc_cpu, o->free_cpu);
    return ++d->items >= DIGEST_ITEMS;
}

struct d_slab_ctx {
    struct digest *d;
    struct kmem_cache *s;
    bool objects;   /* walk the objects too */
};

static int d_slab(void *ctx, const struct kh_slab_info *si)
{
    struct d_slab_ctx *c = ctx;
    struct digest *d = c->d;
    dput(d, "slab %llu %u %u %u %u %u %s %d %u\n",
         (unsigned long long)kh_virt_to_phys(d->kh, (const void *)si->base), si->order, si->objects,
         si->inuse, si->quarantined, si->free, kh_slab_list_name(si->list), si->cpu, si->colour_off);
    if (++d->items >= DIGEST_ITEMS)
        return 1;
    if (!c->objects)
        return 0;
    int r = kh_for_each_object(d->kh, c->s, si->base, d_object, d);
    return r < 0 ? (dput(d, "no such slab\n"), 1) : r;
}

static int d_area(void *ctx, const struct kh_vm_area_info *a)
{
    struct digest *d = ctx;
    dput(d, "area %lu %lu %#x %lu:", a->size, a->nr_pages, (unsigned)a->gfp,
         (unsigned long)kh_vmalloc_size(d->kh, a->addr));
    for (unsigned long i = 0; i < a->nr_pages && i < 16; i++)
        dput(d, " %u", a->pfns[i]);
    dput(d, "\n");
    return ++d->items >= DIGEST_ITEMS;
}

static int d_pool(void *ctx, const struct kh_mempool_info *p)
{
    struct digest *d = ctx;
    dput(d, "pool %u %d %d %s %zu %d %u\n", p->index, p->min_nr, p->curr_nr,
         kh_mempool_kind_name(p->kind), p->element_size, p->threaded, p->waiters);
    return ++d->items >= DIGEST_ITEMS;
}

static int d_element(void *ctx, const struct kh_mempool_info *p, int index, void *e)
{
    struct digest *d = ctx;
    if (p->kind == KH_MEMPOOL_PAGE)
        e = kh_page_address(d->kh, e);   /* a page pool keeps struct page pointers */
    dput(d, "element %u %d %#llx\n", p->index, index, (unsigned long long)where(d->kh, e));
    return ++d->items >= DIGEST_ITEMS;
}

static int d_reserved(void *ctx, phys_addr_t base, phys_addr_t size)
{
    struct digest *d = ctx;
    dput(d, "reserved %#llx %#llx\n", (unsigned long long)base, (unsigned long long)size);
    return ++d->items >= DIGEST_ITEMS;
}

/* What the introspection interfaces say about an instance, in terms that
 * do not depend on where its arena lies. */
static char *digest(struct kh *kh)
{
    struct digest d = { .kh = kh };
    dput(&d, "min_free_kbytes %lu\n", kh_min_free_kbytes(kh));
    for (int z = 0; z < MAX_NR_ZONES; z++) {
        struct kh_zone_info zi;
        if (kh_zone_info(kh, (enum zone_type)z, &zi) != 0 || !zi.present)
            continue;
        dput(&d, "zone %s %lu %lu %lu %lu %lu %lu %lu:", zi.name, zi.start_pfn, zi.end_pfn,
             zi.managed, zi.free, zi.wmark_min, zi.wmark_low, zi.wmark_high);
        for (unsigned o = 0; o < KH_MAX_ORDER_LIMIT; o++)
            dput(&d, " %lu", zi.nr_free[o]);
        dput(&d, "\n");
    }
    d.items = 0;
    kh_for_each_free_block(kh, d_block, &d);
    d.items = 0;
    kh_for_each_allocated_block(kh, d_block, &d);
    unsigned long pages = kh_total_pages(kh);
    /* the low pages, where boot memory and the first blocks lie */
    for (unsigned long pfn = 0; pfn < pages && pfn < DIGEST_PAGES; pfn++) {
        unsigned long head = 0;
        unsigned order = 0;
        enum kh_page_state st = kh_page_state(kh, pfn, &head, &order);
        dput(&d, "page %lu %s %lu %u\n", pfn, kh_page_state_name(st), head, order);
    }
    unsigned nc = kh_slab_cache_count(kh);
    for (unsigned i = 0; i < nc; i++) {
        struct kmem_cache *s = kh_slab_cache_at(kh, i);
        struct kh_cache_info ci;
        if (!s || kh_slab_cache_info(kh, s, &ci) != 0) {
            dput(&d, "cache %u missing\n", i);
            continue;
        }
        /* which cache of that name comes first on the chain */
        unsigned first = 0;
        struct kmem_cache *f = kh_slab_find_cache(kh, ci.name);
        while (first < nc && kh_slab_cache_at(kh, first) != f)
            first++;
        dput(&d, "cache %s %u %u %u %u %u %u %u %u %u %u %#x %d %d %d %u %lu %lu %lu %lu %lu %lu "
             "%lu %u\n", ci.name, first, ci.object_size, ci.size, ci.align, ci.offset, ci.inuse,
             ci.red_left_pad, ci.order, ci.objects_per_slab, ci.ksize, (unsigned)ci.flags,
             ci.has_ctor, ci.is_kmalloc, ci.dead, ci.refcount, ci.nr_slabs, ci.nr_objects,
             ci.nr_inuse, ci.nr_partial, ci.nr_full, ci.nr_free, ci.errors, ci.colour_off);
        d.items = 0;
        /* objects of the trace's own caches (the kmalloc caches' slabs only:
         * walking all their objects would cost more than the input) */
        struct d_slab_ctx c = { &d, s, !ci.is_kmalloc };
        kh_for_each_slab(kh, s, d_slab, &c);
    }
    d.items = 0;
    kh_vmalloc_walk(kh, d_area, &d);
    dput(&d, "pools %u\n", kh_mempool_count(kh));
    d.items = 0;
    kh_mempool_walk(kh, d_pool, d_element, &d);
    d.items = 0;
    kh_memblock_for_each_reserved(kh, d_reserved, &d);
    return d.buf;
}

/* The first line where the two digests part. */
static void same_digest(void)
{
    char *da = digest(A), *db = digest(B);
    if (strcmp(da, db) != 0) {
        size_t i = 0, line = 0;
        while (da[i] && da[i] == db[i])
            i++;
        while (line < i && da[i - line - 1] != '\n')
            line++;
        const char *la = da + i - line, *lb = db + i - line;
        fail("at the end: the introspection of the two instances differs: '%.*s' against '%.*s'",
             (int)strcspn(la, "\n"), la, (int)strcspn(lb, "\n"), lb);
    }
    free(da);
    free(db);
}

static void validate(struct kh *kh, const char *which)
{
    struct kh_violations out = { 0 };
    unsigned bad = kh_validate(kh, &out);
    if (bad) {
        char first[300] = "";
        if (out.n)
            snprintf(first, sizeof(first), "%s: %s", out.v[0].subsystem, out.v[0].invariant);
        kh_violations_free(&out);
        fail("at the end: instance %s fails its own validation (%s)", which, first);
    }
    kh_violations_free(&out);
}

static void finish(void)
{
    cur = trace->n;
    if (phase == KH_BOOT_EARLY)
        return;   /* slab and the page allocator are closed until the hand-over */
    /* validate_slab_cache of every live cache: nothing to report */
    for (size_t i = 0; i < nvals_cap; i++) {
        struct binding *c = &vals[i];
        if (c->type != KH_VAL_CACHE || !c->live)
            continue;
        unsigned ea = kh_kmem_cache_validate(A, c->a), eb = kh_kmem_cache_validate(B, c->b);
        if (ea || eb)
            fail("at the end: validate_slab_cache found %u and %u errors", ea, eb);
    }
    same_reports("validate_slab_cache");
    same_value("nr_free_pages", kh_nr_free_pages(A), kh_nr_free_pages(B));
    same_text("/proc/slabinfo", kh_slabinfo);
    same_text("/proc/buddyinfo", buddyinfo);
    same_digest();
    for (int i = 0; i < 2; i++) {
        struct kh *kh = i ? B : A;
        if (hooked[i] != kh_report_count(kh, KH_SEV_WARN) + kh_report_count(kh, KH_SEV_BUG))
            fail("at the end: the report hook saw %u reports, the counts say %u", hooked[i],
                 kh_report_count(kh, KH_SEV_WARN) + kh_report_count(kh, KH_SEV_BUG));
    }
    validate(A, "A (kernel names)");
    validate(B, "B (kh_ functions)");
}

static void count_report(void *ctx, const struct kh_report *r)
{
    (void)r;
    ++*(unsigned *)ctx;
}

static struct kh *make(void)
{
    struct kh_config cfg;
    if (kh_profile_config(PROFILE, &cfg) != 0)
        abort();
    cfg.nr_cpus = NR_CPUS;
    const char *err = NULL;
    struct kh *kh = kh_create(&cfg, &err);
    if (!kh) {
        fprintf(stderr, "kernel_names_fuzzer: cannot create the allocator: %s\n", err);
        abort();
    }
    kh_set_report_mode(kh, KH_REPORT_RECORD);
    kh_set_report_quiet(kh, true);
    kh_set_report_hook(kh, count_report, &hooked[A != NULL]);
    return kh;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct kh_trace t;
    if (!A) {
        A = make();
        kh_set_default(A);
        B = make();
        kh_trace_init(&t);
    }
    kh_trace_clear(&t);
    if (kh_trace_decode_subset(data, size, ops, sizeof(ops), &t) != 0)
        abort();
    trace = &t;
    hooked[0] = hooked[1] = 0;
    phase = KH_BOOT_NONE;
    pages_touched = false;
    for (cur = 0; cur < t.n; cur++)
        run_op(&t.ops[cur]);
    finish();
    clear_bindings();
    kh_reset(A);
    kh_reset(B);
    trace = NULL;
    return 0;
}
