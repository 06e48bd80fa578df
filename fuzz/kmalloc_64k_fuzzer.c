/* kmalloc_64k_fuzzer.c - The kmalloc target on 64 KiB pages (linux-6.1-arm64-64k), 1 CPU. */
#include "fuzz_target.h"

KH_FUZZ_MAIN("kmalloc_64k")
