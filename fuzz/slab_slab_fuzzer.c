/* slab_slab_fuzzer.c - The slab target on classic SLAB (linux-4.x-slab), 2 CPUs. */
#include "fuzz_target.h"

KH_FUZZ_MAIN("slab_slab")
