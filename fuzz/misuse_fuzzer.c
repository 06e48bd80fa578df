/* misuse_fuzzer.c - Caller misuse (double free, invalid free, wrong cache, ...) must be detected and reported, and leave the allocator consistent. */
#include "fuzz_target.h"

KH_FUZZ_DEFINE(
    .name = "misuse", .profile = "linux-6.1-x86_64", .nr_cpus = 2,
    .misuse = EXEC_MISUSE_EXPECT, .full_every = 8, .quarantine = 16, .slub_debug = "")
