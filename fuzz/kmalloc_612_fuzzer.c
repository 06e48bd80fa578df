/* kmalloc_612_fuzzer.c - The kmalloc target on Linux 6.12 (linux-6.12-x86_64), 2 CPUs. */
#include "fuzz_target.h"

KH_FUZZ_MAIN("kmalloc_612")
