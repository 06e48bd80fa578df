/* slab_debug_fuzzer.c - Slab caches under slub_debug=FZPU with the quarantine: red zones, poison and padding checked at the byte. */
#include "fuzz_target.h"

KH_FUZZ_MAIN("slab_debug")
