/* bb_target.h - black-box fuzz targets: which operations each drives and
 * its misuse policy. The target files are one line each (KH_BB_MAIN); the
 * allocator under test is whatever adapter the binary links, chosen with
 * --//fuzz:allocator. */
#ifndef KH_FUZZ_BB_TARGET_H
#define KH_FUZZ_BB_TARGET_H

#include <stddef.h>
#include <stdint.h>

#include "blackbox.h"
#include "trace.h"

struct bb_target {
    const char *name;
    const char *what;
    const uint8_t *ops;       /* operations driven by headerless input */
    unsigned nops;
    enum bb_misuse misuse;
    unsigned validate_every;
};

const struct bb_target *bb_target_find(const char *name);
const struct bb_target *bb_target_at(size_t i);

/* Text when the input is a trace that parses (seed files, reproducers),
 * else the binary decoding restricted to the target's operations, so every
 * byte string is an input. Returns 0, or -1 when out of memory. */
int bb_decode(const struct bb_target *t, const uint8_t *data, size_t size, struct kh_trace *out);

/* Decodes, runs and checks one input against the linked adapter; on a
 * finding prints "kmem-harness finding: TITLE", the detail and the trace,
 * then aborts (libFuzzer or the regression test records it). The first
 * call prints nothing; at exit a summary of checks run and skipped goes to
 * stderr. */
int bb_fuzz_one(const struct bb_target *t, const uint8_t *data, size_t size);

#define KH_BB_MAIN(target_name)                                                   \
    int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);                \
    int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)                 \
    {                                                                            \
        static const struct bb_target *target;                                  \
        if (!target && !(target = bb_target_find(target_name)))                  \
            __builtin_trap();                                                    \
        return bb_fuzz_one(target, data, size);                                  \
    }

#endif
