/* targets.c - every fuzz target's definition in one table: the profile, the
 * operations it drives and its misuse policy. The *_fuzzer.c files only name
 * their entry here, and the tools (reproduce, minimize, the campaign) look
 * targets up by name to decode a raw crash input exactly as its target did.
 */
#include "fuzz_target.h"

#include <string.h>

/* The slab operations: the slab target's, and slab_612's before the one
 * 6.12 operation it adds. */
#define SLAB_OPS \
    KH_OP_KMEM_CACHE_CREATE, \
    KH_OP_KMEM_CACHE_ALLOC, \
    KH_OP_KMEM_CACHE_ZALLOC, \
    KH_OP_KMEM_CACHE_FREE, \
    KH_OP_KMEM_CACHE_ALLOC_BULK, \
    KH_OP_KMEM_CACHE_FREE_BULK, \
    KH_OP_KMEM_CACHE_SHRINK, \
    KH_OP_KMEM_CACHE_DESTROY, \
    KH_OP_KMEM_CACHE_SIZE, \
    KH_OP_WRITE, \
    KH_OP_READ, \
    KH_OP_SET_CPU, \
    KH_OP_FAIL_NTH, \
    KH_OP_FAIL_OFF

/* The vmalloc operations around the realloc call, which differs between
 * kernels: vmalloc's list is VMALLOC_OPS_HEAD, kvrealloc, VMALLOC_OPS_TAIL,
 * and vmalloc_612 puts its two realloc forms in the middle. The order is
 * the encoding (decoding takes b % nops), so it must not change. */
#define VMALLOC_OPS_HEAD \
    KH_OP_VMALLOC, \
    KH_OP_VZALLOC, \
    KH_OP_VFREE, \
    KH_OP_KVMALLOC, \
    KH_OP_KVZALLOC, \
    KH_OP_KVMALLOC_ARRAY, \
    KH_OP_KVFREE, \
    KH_OP_KVFREE_SENSITIVE
#define VMALLOC_OPS_TAIL \
    KH_OP_WRITE, \
    KH_OP_READ, \
    KH_OP_FAIL_NTH, \
    KH_OP_FAIL_OFF

/* vmalloc_612: the vmalloc operations with 6.12's kvrealloc(p, size, gfp)
 * and vrealloc in place of 6.1's kvrealloc (SPEC 10). */
static const uint8_t vmalloc_612_ops[] = {
    VMALLOC_OPS_HEAD, KH_OP_KVREALLOC_612, KH_OP_VREALLOC, VMALLOC_OPS_TAIL};

/* slab_612: the slab operations and 6.12's kmem_cache_create_args
 * (freeptr_offset inside an RCU cache's objects; SPEC 10). */
static const uint8_t slab_612_ops[] = { SLAB_OPS, KH_OP_KMEM_CACHE_CREATE_ARGS };

/* page_alloc: Buddy page allocator: alloc/free of every order, zeroing, exact allocations, fault injection and memory pressure on a 16 MiB arena. */
static const uint8_t page_alloc_ops[] = {
    KH_OP_ALLOC_PAGES,
    KH_OP_GET_FREE_PAGES,
    KH_OP_GET_ZEROED_PAGE,
    KH_OP_FREE_PAGES,
    KH_OP_ALLOC_PAGES_EXACT,
    KH_OP_FREE_PAGES_EXACT,
    KH_OP_GET_ORDER,
    KH_OP_WRITE,
    KH_OP_READ,
    KH_OP_FAIL_NTH,
    KH_OP_FAIL_FROM,
    KH_OP_FAIL_OFF,
    KH_OP_SHRINK_ALL};

/* slab: Slab caches: create/alloc/free/bulk/shrink/destroy across 2 simulated CPUs. */
static const uint8_t slab_ops[] = { SLAB_OPS };

/* kmalloc: The kmalloc family: size classes, krealloc, array helpers, ksize, kfree_sensitive. */
static const uint8_t kmalloc_ops[] = {
    KH_OP_KMALLOC,
    KH_OP_KZALLOC,
    KH_OP_KCALLOC,
    KH_OP_KMALLOC_ARRAY,
    KH_OP_KREALLOC,
    KH_OP_KREALLOC_ARRAY,
    KH_OP_KSIZE,
    KH_OP_KFREE,
    KH_OP_KFREE_SENSITIVE,
    KH_OP_KMALLOC_SIZE_ROUNDUP,
    KH_OP_KMALLOC_INDEX,
    KH_OP_WRITE,
    KH_OP_READ,
    KH_OP_SET_CPU,
    KH_OP_FAIL_NTH,
    KH_OP_FAIL_OFF};

/* variants: The API's variants: the _node forms, kmemdup, kvcalloc, __vmalloc with a gfp, __alloc_percpu_gfp (atomic per-CPU requests), beside the plain calls they must agree with. */
static const uint8_t variants_ops[] = {
    KH_OP_KMALLOC_NODE,
    KH_OP_KZALLOC_NODE,
    KH_OP_KMEMDUP,
    KH_OP_KVCALLOC,
    KH_OP_VMALLOC_GFP,
    KH_OP_ALLOC_PERCPU_GFP,
    KH_OP_KMEM_CACHE_CREATE,
    KH_OP_KMEM_CACHE_ALLOC_NODE,
    KH_OP_KMEM_CACHE_FREE,
    KH_OP_KMEM_CACHE_DESTROY,
    KH_OP_KMALLOC,
    KH_OP_KSIZE,
    KH_OP_KFREE,
    KH_OP_KVFREE,
    KH_OP_VFREE,
    KH_OP_FREE_PERCPU,
    KH_OP_WRITE,
    KH_OP_READ,
    KH_OP_SET_CPU,
    KH_OP_FAIL_NTH,
    KH_OP_FAIL_OFF};

/* mempool: mempool over kmalloc, slab and page pools: reserve use, refill, resize, destroy, with fault injection. */
static const uint8_t mempool_ops[] = {
    KH_OP_MEMPOOL_CREATE_KMALLOC_POOL,
    KH_OP_MEMPOOL_CREATE_SLAB_POOL,
    KH_OP_MEMPOOL_CREATE_PAGE_POOL,
    KH_OP_MEMPOOL_ALLOC,
    KH_OP_MEMPOOL_FREE,
    KH_OP_MEMPOOL_RESIZE,
    KH_OP_MEMPOOL_DESTROY,
    KH_OP_KMEM_CACHE_CREATE,
    KH_OP_KMEM_CACHE_DESTROY,
    KH_OP_WRITE,
    KH_OP_READ,
    KH_OP_FAIL_NTH,
    KH_OP_FAIL_FROM,
    KH_OP_FAIL_OFF};

/* vmalloc: vmalloc/kvmalloc: real mappings, kvmalloc's kmalloc-first choice, kvrealloc. */
static const uint8_t vmalloc_ops[] = { VMALLOC_OPS_HEAD, KH_OP_KVREALLOC, VMALLOC_OPS_TAIL };

/* percpu: Per-CPU allocations on 4 simulated CPUs: zeroing, alignment, per_cpu_ptr. */
static const uint8_t percpu_ops[] = {
    KH_OP_ALLOC_PERCPU,
    KH_OP_FREE_PERCPU,
    KH_OP_PER_CPU_PTR,
    KH_OP_SET_CPU,
    KH_OP_WRITE,
    KH_OP_READ,
    KH_OP_FAIL_NTH,
    KH_OP_FAIL_OFF};

/* slab_debug: the slab operations with slub_debug=FZPU on every cache and
 * the quarantine on: red zones, poison and padding checked at the byte. */

/* slab_merge: the slab operations with cache merging on (no slab_nomerge),
 * built without ASan (under ASan caches never merge, as under KASAN). */

/* kmalloc_debug: the kmalloc family with slub_debug=FZPU and the
 * quarantine: the kmalloc red zone past each request, also after krealloc. */

/* boot: The boot phase: memblock reservations and allocations, the
 * hand-over to the buddy allocator (memblock_free_all), then normal
 * operation beside the boot memory, on a 16 MiB arena. An input reaches
 * boot by starting with early_boot. */
static const uint8_t boot_ops[] = {
    KH_OP_EARLY_BOOT,
    KH_OP_MEMBLOCK_ALLOC,
    KH_OP_MEMBLOCK_PHYS_ALLOC,
    KH_OP_MEMBLOCK_RESERVE,
    KH_OP_MEMBLOCK_FREE,
    KH_OP_MEMBLOCK_FREE_ALL,
    KH_OP_MEMBLOCK_FREE_LATE,
    KH_OP_KMALLOC,
    KH_OP_KFREE,
    KH_OP_ALLOC_PAGES,
    KH_OP_FREE_PAGES,
    KH_OP_WRITE,
    KH_OP_READ};

/* whole_system: Every operation at once on a 16 MiB arena with fault injection: subsystems under shared memory pressure. */

/* misuse: Caller misuse (double free, invalid free, wrong cache, ...) must be detected and reported, and leave the allocator consistent. */

static const struct kh_fuzz_target targets[] = {
    {.name = "page_alloc", .profile = "linux-6.1-x86_64-16m", .nr_cpus = 0,
    .ops = page_alloc_ops, .nops = sizeof(page_alloc_ops),
    .misuse = EXEC_MISUSE_SKIP, .full_every = 16, .quarantine = 0, .slub_debug = ""},
    {.name = "slab", .profile = "linux-6.1-x86_64", .nr_cpus = 2,
    .ops = slab_ops, .nops = sizeof(slab_ops),
    .misuse = EXEC_MISUSE_SKIP, .full_every = 32, .quarantine = 0, .slub_debug = ""},
    {.name = "kmalloc", .profile = "linux-6.1-x86_64", .nr_cpus = 2,
    .ops = kmalloc_ops, .nops = sizeof(kmalloc_ops),
    .misuse = EXEC_MISUSE_SKIP, .full_every = 32, .quarantine = 0, .slub_debug = ""},
    {.name = "mempool", .profile = "linux-6.1-x86_64-16m", .nr_cpus = 0,
    .ops = mempool_ops, .nops = sizeof(mempool_ops),
    .misuse = EXEC_MISUSE_SKIP, .full_every = 16, .quarantine = 0, .slub_debug = ""},
    {.name = "vmalloc", .profile = "linux-6.1-x86_64-16m", .nr_cpus = 0,
    .ops = vmalloc_ops, .nops = sizeof(vmalloc_ops),
    .misuse = EXEC_MISUSE_SKIP, .full_every = 16, .quarantine = 0, .slub_debug = ""},
    {.name = "percpu", .profile = "linux-6.1-x86_64", .nr_cpus = 4,
    .ops = percpu_ops, .nops = sizeof(percpu_ops),
    .misuse = EXEC_MISUSE_SKIP, .full_every = 16, .quarantine = 0, .slub_debug = ""},
    {.name = "slab_debug", .profile = "linux-6.1-x86_64", .nr_cpus = 2,
    .ops = slab_ops, .nops = sizeof(slab_ops),
    .misuse = EXEC_MISUSE_SKIP, .full_every = 32, .quarantine = 16, .slub_debug = "FZPU"},
    {.name = "slab_merge", .profile = "linux-6.1-x86_64", .nr_cpus = 2,
    .ops = slab_ops, .nops = sizeof(slab_ops),
    .misuse = EXEC_MISUSE_SKIP, .full_every = 32, .quarantine = 0, .slub_debug = "", .merge = true},
    {.name = "kmalloc_debug", .profile = "linux-6.1-x86_64", .nr_cpus = 2,
    .ops = kmalloc_ops, .nops = sizeof(kmalloc_ops),
    .misuse = EXEC_MISUSE_SKIP, .full_every = 32, .quarantine = 16, .slub_debug = "FZPU"},
    /* kmalloc_debug_zu: the same with slub_debug=ZU and no quarantine, so
     * that each letter's effect is seen without the others (the kmalloc
     * red zone needs Z and U; P and F are off). */
    {.name = "kmalloc_debug_zu", .profile = "linux-6.1-x86_64", .nr_cpus = 2,
    .ops = kmalloc_ops, .nops = sizeof(kmalloc_ops),
    .misuse = EXEC_MISUSE_SKIP, .full_every = 32, .quarantine = 0, .slub_debug = "ZU"},
    {.name = "whole_system", .profile = "linux-6.1-x86_64-16m", .nr_cpus = 2,
    .misuse = EXEC_MISUSE_SKIP, .full_every = 32, .quarantine = 0, .slub_debug = ""},
    {.name = "misuse", .profile = "linux-6.1-x86_64", .nr_cpus = 2,
    .misuse = EXEC_MISUSE_EXPECT, .full_every = 8, .quarantine = 16, .slub_debug = ""},
    {.name = "variants", .profile = "linux-6.1-x86_64-16m", .nr_cpus = 2,
    .ops = variants_ops, .nops = sizeof(variants_ops),
    .misuse = EXEC_MISUSE_SKIP, .full_every = 16, .quarantine = 0, .slub_debug = ""},
    /* misuse_debug: the misuse target with slub_debug=FZPU on every cache,
     * so that the debug checks' own reports (and their text: hex dumps,
     * tracks, red zones) are reached from fuzz inputs too. */
    {.name = "misuse_debug", .profile = "linux-6.1-x86_64", .nr_cpus = 2,
    .misuse = EXEC_MISUSE_EXPECT, .full_every = 8, .quarantine = 16, .slub_debug = "FZPU"},
    {.name = "boot", .profile = "linux-6.1-x86_64-16m", .nr_cpus = 0,
    .ops = boot_ops, .nops = sizeof(boot_ops),
    .misuse = EXEC_MISUSE_SKIP, .full_every = 16, .quarantine = 0, .slub_debug = ""},
    /* The kmalloc and slab targets on every other profile (classic SLAB,
     * SLOB, 16 KiB and 64 KiB pages), on 1 or 2 CPUs, so that each family
     * sees both CPU counts. Their seeds are kmalloc's and slab's. */
    {.name = "kmalloc_slab", .profile = "linux-4.x-slab", .nr_cpus = 1,
    .ops = kmalloc_ops, .nops = sizeof(kmalloc_ops),
    .misuse = EXEC_MISUSE_SKIP, .full_every = 32, .quarantine = 0, .slub_debug = ""},
    {.name = "kmalloc_slob", .profile = "linux-4.x-slob", .nr_cpus = 2,
    .ops = kmalloc_ops, .nops = sizeof(kmalloc_ops),
    .misuse = EXEC_MISUSE_SKIP, .full_every = 32, .quarantine = 0, .slub_debug = ""},
    {.name = "kmalloc_16k", .profile = "linux-6.1-arm64-16k", .nr_cpus = 2,
    .ops = kmalloc_ops, .nops = sizeof(kmalloc_ops),
    .misuse = EXEC_MISUSE_SKIP, .full_every = 32, .quarantine = 0, .slub_debug = ""},
    {.name = "kmalloc_64k", .profile = "linux-6.1-arm64-64k", .nr_cpus = 1,
    .ops = kmalloc_ops, .nops = sizeof(kmalloc_ops),
    .misuse = EXEC_MISUSE_SKIP, .full_every = 32, .quarantine = 0, .slub_debug = ""},
    {.name = "slab_slab", .profile = "linux-4.x-slab", .nr_cpus = 2,
    .ops = slab_ops, .nops = sizeof(slab_ops),
    .misuse = EXEC_MISUSE_SKIP, .full_every = 32, .quarantine = 0, .slub_debug = ""},
    {.name = "slab_slob", .profile = "linux-4.x-slob", .nr_cpus = 1,
    .ops = slab_ops, .nops = sizeof(slab_ops),
    .misuse = EXEC_MISUSE_SKIP, .full_every = 32, .quarantine = 0, .slub_debug = ""},
    {.name = "slab_16k", .profile = "linux-6.1-arm64-16k", .nr_cpus = 1,
    .ops = slab_ops, .nops = sizeof(slab_ops),
    .misuse = EXEC_MISUSE_SKIP, .full_every = 32, .quarantine = 0, .slub_debug = ""},
    {.name = "slab_64k", .profile = "linux-6.1-arm64-64k", .nr_cpus = 2,
    .ops = slab_ops, .nops = sizeof(slab_ops),
    .misuse = EXEC_MISUSE_SKIP, .full_every = 32, .quarantine = 0, .slub_debug = ""},
    /* Linux 6.12 (linux-6.12-x86_64, SPEC 10): the kmalloc and slab
     * operations as their variants above, and the vmalloc operations with
     * 6.12's realloc forms (their own seeds). */
    {.name = "kmalloc_612", .profile = "linux-6.12-x86_64", .nr_cpus = 2,
    .ops = kmalloc_ops, .nops = sizeof(kmalloc_ops),
    .misuse = EXEC_MISUSE_SKIP, .full_every = 32, .quarantine = 0, .slub_debug = ""},
    {.name = "slab_612", .profile = "linux-6.12-x86_64", .nr_cpus = 1,
    .ops = slab_612_ops, .nops = sizeof(slab_612_ops),
    .misuse = EXEC_MISUSE_SKIP, .full_every = 32, .quarantine = 0, .slub_debug = ""},
    {.name = "vmalloc_612", .profile = "linux-6.12-x86_64", .nr_cpus = 0,
    .ops = vmalloc_612_ops, .nops = sizeof(vmalloc_612_ops),
    .misuse = EXEC_MISUSE_SKIP, .full_every = 16, .quarantine = 0, .slub_debug = ""},
};

const struct kh_fuzz_target *kh_fuzz_target_find(const char *name)
{
    for (size_t i = 0; i < sizeof(targets) / sizeof(targets[0]); i++)
        if (strcmp(targets[i].name, name) == 0)
            return &targets[i];
    return NULL;
}

const struct kh_fuzz_target *kh_fuzz_target_at(size_t i)
{
    return i < sizeof(targets) / sizeof(targets[0]) ? &targets[i] : NULL;
}
