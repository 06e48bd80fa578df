/* page_alloc_fuzzer.c - Buddy page allocator: alloc/free of every order, zeroing, exact allocations, fault injection and memory pressure on a 16 MiB arena. */
#include "fuzz_target.h"

KH_FUZZ_OPS(
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
    KH_OP_SHRINK_ALL);

KH_FUZZ_DEFINE(
    .name = "page_alloc", .profile = "linux-6.1-x86_64-16m", .nr_cpus = 0,
    .ops = target_ops, .nops = sizeof(target_ops),
    .misuse = EXEC_MISUSE_SKIP, .full_every = 16, .quarantine = 0, .slub_debug = "")
