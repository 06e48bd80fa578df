/* slab_16k_fuzzer.c - The slab target on 16 KiB pages (linux-6.1-arm64-16k), 1 CPU. */
#include "fuzz_target.h"

KH_FUZZ_MAIN("slab_16k")
