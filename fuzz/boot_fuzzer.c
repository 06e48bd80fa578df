/* boot_fuzzer.c - The boot phase: memblock reservations and allocations, the hand-over to the buddy allocator, then normal operation. */
#include "fuzz_target.h"

KH_FUZZ_MAIN("boot")
