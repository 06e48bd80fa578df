/* fuzz_target.h - what a fuzz target is: a profile, the operations it
 * drives, and a misuse policy. The target files only fill this in; decoding,
 * running, checking and reporting live in fuzz_target.c and exec.c. */
#ifndef KH_FUZZ_TARGET_H
#define KH_FUZZ_TARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "exec.h"
#include "trace.h"

struct kh_fuzz_target {
    const char *name;
    const char *profile;       /* overridable with $KMEM_FUZZ_PROFILE */
    unsigned nr_cpus;          /* 0: the profile's */
    const uint8_t *ops;        /* operations this target drives; NULL: all */
    unsigned nops;
    enum exec_misuse misuse;
    unsigned full_every;       /* kh_validate cadence (0: end of input only) */
    unsigned quarantine;       /* slab quarantine objects */
    const char *slub_debug;    /* "" or letters */
    bool merge;                /* boot without slab_nomerge: caches may alias (SPEC 5) */
};

/* Decodes, runs and checks one input; on a finding prints
 * "kmem-harness finding: TITLE", the detail and the trace, then aborts so
 * libFuzzer (or the regression test) records it. */
int kh_fuzz_one(const struct kh_fuzz_target *t, const uint8_t *data, size_t size);

/* $KMEM_FUZZ_TITLE, when set, names the only finding that counts; inputs
 * that fail any other way pass. Crash minimization sets it so the input it
 * shrinks keeps failing the same way instead of drifting to another bug. */
bool kh_fuzz_title_wanted(const char *title);

/* The table in targets.c. */
const struct kh_fuzz_target *kh_fuzz_target_find(const char *name);
const struct kh_fuzz_target *kh_fuzz_target_at(size_t i);

/* Decodes raw fuzzer input as target t does. */
int kh_fuzz_decode(const struct kh_fuzz_target *t, const uint8_t *data, size_t size,
                   struct kh_trace *out);

/* A target file is one line: KH_FUZZ_MAIN("name"). */
#define KH_FUZZ_MAIN(target_name)                                                  \
    int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);                 \
    int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)                  \
    {                                                                             \
        static const struct kh_fuzz_target *target;                              \
        if (!target && !(target = kh_fuzz_target_find(target_name)))              \
            __builtin_trap();                                                     \
        return kh_fuzz_one(target, data, size);                                   \
    }

#endif
