/* kmalloc_debug_fuzzer.c - The kmalloc family under slub_debug=FZPU with the quarantine: the kmalloc red zone, also after krealloc. */
#include "fuzz_target.h"

KH_FUZZ_MAIN("kmalloc_debug")
