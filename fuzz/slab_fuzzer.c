/* slab_fuzzer.c - Slab caches: create/alloc/free/bulk/shrink/destroy across 2 simulated CPUs. */
#include "fuzz_target.h"

KH_FUZZ_MAIN("slab")
