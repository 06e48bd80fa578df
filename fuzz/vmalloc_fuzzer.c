/* vmalloc_fuzzer.c - vmalloc/kvmalloc: real mappings, kvmalloc's kmalloc-first choice, kvrealloc. */
#include "fuzz_target.h"

KH_FUZZ_MAIN("vmalloc")
