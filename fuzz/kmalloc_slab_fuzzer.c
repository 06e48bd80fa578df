/* kmalloc_slab_fuzzer.c - The kmalloc target on classic SLAB (linux-4.x-slab), 1 CPU. */
#include "fuzz_target.h"

KH_FUZZ_MAIN("kmalloc_slab")
