/* misuse_fuzzer.c - black-box target "misuse" (bb_target.c) against the selected allocator. */
#include "bb_target.h"

KH_BB_MAIN("misuse")
