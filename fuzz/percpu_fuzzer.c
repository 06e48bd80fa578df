/* percpu_fuzzer.c - Per-CPU allocations on 4 simulated CPUs: zeroing, alignment, per_cpu_ptr. */
#include "fuzz_target.h"

KH_FUZZ_MAIN("percpu")
