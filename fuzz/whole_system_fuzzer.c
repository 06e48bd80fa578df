/* whole_system_fuzzer.c - Every operation at once on a 16 MiB arena with fault injection: subsystems under shared memory pressure. */
#include "fuzz_target.h"

KH_FUZZ_MAIN("whole_system")
