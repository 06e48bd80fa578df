/* kmalloc_slob_fuzzer.c - The kmalloc target on SLOB (linux-4.x-slob), 2 CPUs. */
#include "fuzz_target.h"

KH_FUZZ_MAIN("kmalloc_slob")
