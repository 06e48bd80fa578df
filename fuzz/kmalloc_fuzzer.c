/* kmalloc_fuzzer.c - The kmalloc family: size classes, krealloc, array helpers, ksize, kfree_sensitive. */
#include "fuzz_target.h"

KH_FUZZ_MAIN("kmalloc")
