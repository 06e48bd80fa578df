/* slab_fuzzer.c - Slab caches: create/alloc/free/bulk/shrink/destroy across 2 simulated CPUs. */
#include "fuzz_target.h"

KH_FUZZ_OPS(
    KH_OP_KMEM_CACHE_CREATE,
    KH_OP_KMEM_CACHE_ALLOC,
    KH_OP_KMEM_CACHE_ZALLOC,
    KH_OP_KMEM_CACHE_FREE,
    KH_OP_KMEM_CACHE_ALLOC_BULK,
    KH_OP_KMEM_CACHE_FREE_BULK,
    KH_OP_KMEM_CACHE_SHRINK,
    KH_OP_KMEM_CACHE_DESTROY,
    KH_OP_KMEM_CACHE_SIZE,
    KH_OP_WRITE,
    KH_OP_READ,
    KH_OP_SET_CPU,
    KH_OP_FAIL_NTH,
    KH_OP_FAIL_OFF);

KH_FUZZ_DEFINE(
    .name = "slab", .profile = "linux-6.1-x86_64", .nr_cpus = 2,
    .ops = target_ops, .nops = sizeof(target_ops),
    .misuse = EXEC_MISUSE_SKIP, .full_every = 32, .quarantine = 0, .slub_debug = "")
