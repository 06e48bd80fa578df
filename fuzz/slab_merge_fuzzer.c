/* slab_merge_fuzzer.c - Slab caches with merging on (built without ASan): aliases, constructors and alignment of merged caches. */
#include "fuzz_target.h"

KH_FUZZ_MAIN("slab_merge")
