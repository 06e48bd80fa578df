/* differential_fuzzer.c - one operation sequence on two designs (SLUB on
 * linux-6.1-x86_64, SLAB on linux-4.x-slab): the outcomes the spec fixes
 * must agree (differential.h). */
#include "differential.h"

static const struct kh_diff_pair pair = {
    { "linux-6.1-x86_64", "linux-4.x-slab" }, { "SLUB", "SLAB" }, "differential"
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return kh_differential_one(&pair, data, size);
}
