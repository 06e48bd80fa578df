/* mempool_fuzzer.c - mempool over kmalloc, slab and page pools: reserve use, refill, resize, destroy, with fault injection. */
#include "fuzz_target.h"

KH_FUZZ_MAIN("mempool")
