/* kmalloc_16k_fuzzer.c - The kmalloc target on 16 KiB pages (linux-6.1-arm64-16k), 2 CPUs. */
#include "fuzz_target.h"

KH_FUZZ_MAIN("kmalloc_16k")
