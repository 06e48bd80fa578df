/* vmalloc_612_fuzzer.c - vmalloc/kvmalloc on Linux 6.12 (linux-6.12-x86_64): kvrealloc(p, size, gfp) and vrealloc. */
#include "fuzz_target.h"

KH_FUZZ_MAIN("vmalloc_612")
