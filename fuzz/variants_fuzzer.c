/* variants_fuzzer.c - The API's variants: the _node forms, kmemdup, kvcalloc, __vmalloc with a gfp, __alloc_percpu_gfp. */
#include "fuzz_target.h"

KH_FUZZ_MAIN("variants")
