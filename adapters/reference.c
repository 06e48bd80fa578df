/* reference.c - the reference allocator behind the adapter interface.
 *
 * The default allocator under test, so every `bazel test //...` drives the
 * black-box tier and the seam itself. One instance of the default profile
 * (linux-6.1-x86_64, 1 CPU) per open: tier (a) is kmalloc/krealloc/ksize/
 * kfree, tier (b) the buddy allocator (__get_free_pages / free_pages and the
 * _exact pair), tier (c) SLUB caches. It declares what SPEC.md promises:
 * ARCH_KMALLOC_MINALIGN 8, natural alignment of power-of-two kmalloc sizes,
 * KMALLOC_MAX_SIZE, ZERO_SIZE_PTR, order-aligned page blocks, and that
 * double and invalid frees are reported (counted BUG reports).
 * Not KH_CAP_THREAD_SAFE: an instance is single-threaded (its CPUs are
 * simulated), so the concurrent target refuses it.
 */
#include <stdio.h>
#include <stdlib.h>

#include "introspect.h"
#include "kh_adapter.h"
#include "kmalloc.h"
#include "kmem.h"
#include "page_alloc.h"
#include "slab.h"

/* linux-6.1-x86_64: 4 KiB pages, MAX_ORDER 11, so KMALLOC_MAX_SIZE is
 * 2^(11 - 1 + 12) = 4 MiB; checked against the instance in ref_open. */
#define REF_PAGE_SHIFT 12u
#define REF_MAX_ORDER 10u
#define REF_MAX_SIZE (4u << 20)

static gfp_t gfp_of(unsigned flags)
{
    /* The black-box tier judges results, not warnings: NOWARN keeps
     * refused requests quiet. */
    gfp_t gfp = ((flags & KH_AF_ATOMIC) ? GFP_ATOMIC : GFP_KERNEL) | __GFP_NOWARN;
    if (flags & KH_AF_ZERO)
        gfp |= __GFP_ZERO;
    return gfp;
}

static void *ref_open(const char **err)
{
    struct kh_config cfg;
    if (kh_profile_config(KH_DEFAULT_PROFILE, &cfg) != 0) {
        *err = "the default profile is missing";
        return NULL;
    }
    cfg.nr_cpus = 1;
    struct kh *kh = kh_create(&cfg, err);
    if (!kh)
        return NULL;
    if (kh_page_shift(kh) != REF_PAGE_SHIFT || kh_max_order(kh) != REF_MAX_ORDER + 1 ||
        kh_kmalloc_max_size(kh) != REF_MAX_SIZE) {
        *err = "the default profile no longer matches the adapter's declarations";
        kh_destroy(kh);
        return NULL;
    }
    kh_set_report_mode(kh, KH_REPORT_COUNT);
    return kh;
}

static void ref_close(void *ctx) { kh_destroy(ctx); }

static void ref_reset(void *ctx) { kh_reset(ctx); }

static void *ref_alloc(void *ctx, size_t size, size_t align, unsigned flags)
{
    (void)align;  /* kmalloc has no alignment argument: KH_CAP_ALIGNED is not declared */
    return kh_kmalloc(ctx, size, gfp_of(flags));
}

static void ref_free(void *ctx, void *p) { kh_kfree(ctx, p); }

static void *ref_realloc(void *ctx, void *p, size_t size, unsigned flags)
{
    return kh_krealloc(ctx, p, size, gfp_of(flags));
}

static size_t ref_usable_size(void *ctx, const void *p) { return kh_ksize(ctx, p); }

static void *ref_page_alloc(void *ctx, unsigned order, unsigned flags)
{
    return (void *)kh___get_free_pages(ctx, gfp_of(flags), order);
}

static void ref_page_free(void *ctx, void *p, unsigned order)
{
    kh_free_pages(ctx, (unsigned long)p, order);
}

static void *ref_pages_exact(void *ctx, size_t size, unsigned flags)
{
    return kh_alloc_pages_exact(ctx, size, gfp_of(flags));
}

static void ref_free_pages_exact(void *ctx, void *p, size_t size)
{
    kh_free_pages_exact(ctx, p, size);
}

static void *ref_cache_create(void *ctx, const char *name, size_t size, size_t align)
{
    if (size > REF_MAX_SIZE || align > (1u << REF_PAGE_SHIFT))
        return NULL;  /* kmem_cache_create would refuse them too */
    return kh_kmem_cache_create(ctx, name, (unsigned)size, (unsigned)align, 0, NULL);
}

static void ref_cache_destroy(void *ctx, void *c) { kh_kmem_cache_destroy(ctx, c); }

static void *ref_cache_alloc(void *ctx, void *c, unsigned flags)
{
    return kh_kmem_cache_alloc(ctx, c, gfp_of(flags));
}

static void ref_cache_free(void *ctx, void *c, void *p) { kh_kmem_cache_free(ctx, c, p); }

static void ref_cache_shrink(void *ctx, void *c) { kh_kmem_cache_shrink(ctx, c); }

static size_t ref_cache_object_size(void *ctx, void *c) { return kh_kmem_cache_size(ctx, c); }

static void ref_fault_set(void *ctx, const struct kh_adapter_fault *f)
{
    static const enum kh_fault_mode modes[] = {
        [KH_ADAPTER_FAULT_OFF] = KH_FAULT_OFF,
        [KH_ADAPTER_FAULT_NTH] = KH_FAULT_NTH,
        [KH_ADAPTER_FAULT_FROM] = KH_FAULT_FROM,
        [KH_ADAPTER_FAULT_RANDOM] = KH_FAULT_RANDOM,
    };
    struct kh_fault_config fc = {
        .mode = modes[f->mode], .domains = KH_FAULT_ALL, .nth = f->nth,
        .percent = f->percent, .seed = f->seed,
    };
    kh_fault_set(ctx, &fc);
}

static uint64_t ref_faults_injected(void *ctx) { return kh_fault_injected(ctx); }

static int ref_validate(void *ctx, char *msg, size_t cap)
{
    struct kh_violations v = { 0 };
    unsigned n = kh_validate(ctx, &v);
    if (n)
        snprintf(msg, cap, "%s: %s: %s (%u violation%s)", v.v[0].subsystem, v.v[0].invariant,
                 v.v[0].detail, n, n == 1 ? "" : "s");
    kh_violations_free(&v);
    return n != 0;
}

static void ref_arena(void *ctx, uintptr_t *start, uintptr_t *end)
{
    *start = (uintptr_t)kh_page_address(ctx, kh_pfn_to_page(ctx, 0));
    *end = *start + (kh_total_pages(ctx) << REF_PAGE_SHIFT);
}

/* Double and invalid frees are BUG reports ("double free or corruption",
 * "Bad page state", "invalid kfree"); refused requests are only warnings. */
static uint64_t ref_misuse_reports(void *ctx) { return kh_report_count(ctx, KH_SEV_BUG); }

/* Pages taken from the buddy allocator once every cache has given back its
 * empty slabs: the same before a run and after the run freed everything. */
static size_t ref_bytes_in_use(void *ctx)
{
    for (unsigned i = 0, n = kh_slab_cache_count(ctx); i < n; i++)
        kh_kmem_cache_shrink(ctx, kh_slab_cache_at(ctx, i));
    return (kh_total_pages(ctx) - kh_nr_free_pages(ctx)) << REF_PAGE_SHIFT;
}

const struct kh_adapter kh_adapter = {
    .abi = KH_ADAPTER_ABI,
    .name = "reference",
    .description = "kmem-harness reference allocator, profile " KH_DEFAULT_PROFILE " (SLUB), 1 CPU",
    .caps = KH_CAP_FREE_NULL | KH_CAP_ZERO | KH_CAP_NATURAL_ALIGN | KH_CAP_REALLOC_NULL |
            KH_CAP_PAGE_ORDER_ALIGNED | KH_CAP_DETECTS_DOUBLE_FREE | KH_CAP_DETECTS_INVALID_FREE,
    .min_align = 8,
    .natural_align_max = REF_MAX_SIZE,
    .max_size = REF_MAX_SIZE,
    .zero_size_ptr = ZERO_SIZE_PTR,
    /* Of a 1 GiB arena: far from every watermark, and no trace of at most
     * KH_TRACE_MAX_OPS operations can fragment every order-4 block. */
    .nofail_size = 64u << 10,
    .nofail_live = 64u << 20,
    .open = ref_open,
    .close = ref_close,
    .reset = ref_reset,
    .object = { ref_alloc, ref_free, ref_realloc, ref_usable_size },
    .page = { REF_PAGE_SHIFT, REF_MAX_ORDER, ref_page_alloc, ref_page_free, ref_pages_exact,
              ref_free_pages_exact },
    .cache = { ref_cache_create, ref_cache_destroy, ref_cache_alloc, ref_cache_free,
               ref_cache_shrink, ref_cache_object_size },
    .fault_set = ref_fault_set,
    .faults_injected = ref_faults_injected,
    .validate = ref_validate,
    .arena = ref_arena,
    .misuse_reports = ref_misuse_reports,
    .bytes_in_use = ref_bytes_in_use,
};
