/* kmalloc_fuzzer.c - The kmalloc family: size classes, krealloc, array helpers, ksize, kfree_sensitive. */
#include "fuzz_target.h"

KH_FUZZ_OPS(
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
    KH_OP_FAIL_OFF);

KH_FUZZ_DEFINE(
    .name = "kmalloc", .profile = "linux-6.1-x86_64", .nr_cpus = 2,
    .ops = target_ops, .nops = sizeof(target_ops),
    .misuse = EXEC_MISUSE_SKIP, .full_every = 32, .quarantine = 0, .slub_debug = "")
