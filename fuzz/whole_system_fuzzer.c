/* whole_system_fuzzer.c - Every operation at once on a 16 MiB arena with fault injection: subsystems under shared memory pressure. */
#include "fuzz_target.h"

KH_FUZZ_DEFINE(
    .name = "whole_system", .profile = "linux-6.1-x86_64-16m", .nr_cpus = 2,
    .misuse = EXEC_MISUSE_SKIP, .full_every = 32, .quarantine = 0, .slub_debug = "")
