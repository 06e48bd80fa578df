/* kmalloc_debug_zu_fuzzer.c - The kmalloc family under slub_debug=ZU only (red zones and
 * tracking, no poison, no sanity checks) and no quarantine: a debug path keyed on the
 * wrong letter looks right under FZPU, where every letter is on. */
#include "fuzz_target.h"

KH_FUZZ_MAIN("kmalloc_debug_zu")
