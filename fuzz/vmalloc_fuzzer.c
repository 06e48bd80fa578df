/* vmalloc_fuzzer.c - vmalloc/kvmalloc: real mappings, kvmalloc's kmalloc-first choice, kvrealloc. */
#include "fuzz_target.h"

KH_FUZZ_OPS(
    KH_OP_VMALLOC,
    KH_OP_VZALLOC,
    KH_OP_VFREE,
    KH_OP_KVMALLOC,
    KH_OP_KVZALLOC,
    KH_OP_KVMALLOC_ARRAY,
    KH_OP_KVFREE,
    KH_OP_KVFREE_SENSITIVE,
    KH_OP_KVREALLOC,
    KH_OP_WRITE,
    KH_OP_READ,
    KH_OP_FAIL_NTH,
    KH_OP_FAIL_OFF);

KH_FUZZ_DEFINE(
    .name = "vmalloc", .profile = "linux-6.1-x86_64-16m", .nr_cpus = 0,
    .ops = target_ops, .nops = sizeof(target_ops),
    .misuse = EXEC_MISUSE_SKIP, .full_every = 16, .quarantine = 0, .slub_debug = "")
