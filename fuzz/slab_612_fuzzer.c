/* slab_612_fuzzer.c - The slab target on Linux 6.12 (linux-6.12-x86_64), 1 CPU. */
#include "fuzz_target.h"

KH_FUZZ_MAIN("slab_612")
