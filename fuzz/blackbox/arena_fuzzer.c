/* arena_fuzzer.c - black-box target "arena" (bb_target.c) against the selected allocator. */
#include "bb_target.h"

KH_BB_MAIN("arena")
