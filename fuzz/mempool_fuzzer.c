/* mempool_fuzzer.c - mempool over kmalloc, slab and page pools: reserve use, refill, resize, destroy, with fault injection. */
#include "fuzz_target.h"

KH_FUZZ_OPS(
    KH_OP_MEMPOOL_CREATE_KMALLOC_POOL,
    KH_OP_MEMPOOL_CREATE_SLAB_POOL,
    KH_OP_MEMPOOL_CREATE_PAGE_POOL,
    KH_OP_MEMPOOL_ALLOC,
    KH_OP_MEMPOOL_FREE,
    KH_OP_MEMPOOL_RESIZE,
    KH_OP_MEMPOOL_DESTROY,
    KH_OP_KMEM_CACHE_CREATE,
    KH_OP_WRITE,
    KH_OP_READ,
    KH_OP_FAIL_NTH,
    KH_OP_FAIL_FROM,
    KH_OP_FAIL_OFF);

KH_FUZZ_DEFINE(
    .name = "mempool", .profile = "linux-6.1-x86_64-16m", .nr_cpus = 0,
    .ops = target_ops, .nops = sizeof(target_ops),
    .misuse = EXEC_MISUSE_SKIP, .full_every = 16, .quarantine = 0, .slub_debug = "")
