/* misuse_fuzzer.c - Caller misuse (double free, invalid free, wrong cache, ...) must be detected and reported, and leave the allocator consistent. */
#include "fuzz_target.h"

KH_FUZZ_MAIN("misuse")
