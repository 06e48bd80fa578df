/* page_alloc_fuzzer.c - Buddy page allocator: alloc/free of every order, zeroing, exact allocations, fault injection and memory pressure on a 16 MiB arena. */
#include "fuzz_target.h"

KH_FUZZ_MAIN("page_alloc")
