/* slab_slob_fuzzer.c - The slab target on SLOB (linux-4.x-slob), 1 CPU. */
#include "fuzz_target.h"

KH_FUZZ_MAIN("slab_slob")
