/* differential.h - one operation sequence on two profiles whose spec fixes
 * the same outcome for every operation of a subset (success or NULL,
 * ZERO_SIZE_PTR, which calls are misuse); the differential fuzz targets
 * are one pair each (differential_fuzzer.c: SLUB 6.1 and SLAB 4.x;
 * differential_612_fuzzer.c: Linux 6.1 and 6.12). Sizes, geometry and
 * addresses may differ and are not compared. Each run is also checked on
 * its own. */
#ifndef KH_FUZZ_DIFFERENTIAL_H
#define KH_FUZZ_DIFFERENTIAL_H

#include <stddef.h>
#include <stdint.h>

struct kh_diff_pair {
    const char *profile[2];
    const char *label[2];      /* in a finding's title: "<a>/<b> disagree in <op> (<target>)" */
    const char *target;        /* the fuzz target's name */
};

/* Decodes one input with the differential operation subset, runs it on
 * both profiles and compares the outcomes (see differential.c). Aborts on
 * a finding, as a fuzz target does. */
int kh_differential_one(const struct kh_diff_pair *pair, const uint8_t *data, size_t size);

#endif
