/* misuse_debug_fuzzer.c - Caller misuse under slub_debug=FZPU: the debug checks must report it, and their reports (hex dumps, tracks) must hold up. */
#include "fuzz_target.h"

KH_FUZZ_MAIN("misuse_debug")
