/* percpu_fuzzer.c - Per-CPU allocations on 4 simulated CPUs: zeroing, alignment, per_cpu_ptr. */
#include "fuzz_target.h"

KH_FUZZ_OPS(
    KH_OP_ALLOC_PERCPU,
    KH_OP_FREE_PERCPU,
    KH_OP_PER_CPU_PTR,
    KH_OP_SET_CPU,
    KH_OP_WRITE,
    KH_OP_READ,
    KH_OP_FAIL_NTH,
    KH_OP_FAIL_OFF);

KH_FUZZ_DEFINE(
    .name = "percpu", .profile = "linux-6.1-x86_64", .nr_cpus = 4,
    .ops = target_ops, .nops = sizeof(target_ops),
    .misuse = EXEC_MISUSE_SKIP, .full_every = 16, .quarantine = 0, .slub_debug = "")
