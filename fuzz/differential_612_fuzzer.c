/* differential_612_fuzzer.c - one operation sequence on Linux 6.1 and
 * Linux 6.12 (linux-6.1-x86_64, linux-6.12-x86_64), both SLUB: the
 * outcomes both kernels fix must agree (differential.h, SPEC 10). */
#include "differential.h"

static const struct kh_diff_pair pair = {
    { "linux-6.1-x86_64", "linux-6.12-x86_64" }, { "6.1", "6.12" }, "differential_612"
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return kh_differential_one(&pair, data, size);
}
