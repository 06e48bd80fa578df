/* slab_64k_fuzzer.c - The slab target on 64 KiB pages (linux-6.1-arm64-64k), 2 CPUs. */
#include "fuzz_target.h"

KH_FUZZ_MAIN("slab_64k")
