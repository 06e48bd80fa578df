/* exec.h - runs a trace against an allocator instance and checks it.
 *
 * The executor is shared by every fuzz target, the replay tool, the
 * minimizer and the regression tests: decode -> exec_run -> finding or not.
 * After every operation it applies the cheap checks (shadow model: overlap,
 * content patterns, alignment, ksize and size-class oracle, zeroing,
 * krealloc prefix, NULL exactly when the spec allows it, allocator reports),
 * and every `full_every` operations (and at the end) the allocator's own
 * validation of every subsystem: between operations only what changed
 * (kh_validate_changed), at the end all of it.
 *
 * Misuse policy: a trace may free what is not live, use the wrong cache,
 * touch memory out of bounds. What that means depends on the caller:
 *   SKIP    fuzzing the allocator's correctness: misuse is skipped, so any
 *           BUG the allocator reports is a finding (a false alarm or a real
 *           corruption);
 *   EXPECT  fuzzing its misuse detection: misuse runs, and the allocator
 *           must report it (and stay consistent); silence is a finding;
 *           out-of-bounds and use-after-free accesses are still skipped,
 *           because only ASan could see them and it would end the process;
 *   RUN     replaying a hand-written trace: everything runs as written; an
 *           allocator BUG report is a finding, and a bad access is left to
 *           ASan.
 */
#ifndef KH_FUZZ_EXEC_H
#define KH_FUZZ_EXEC_H

#include <stdbool.h>
#include <stdio.h>

#include "kmem.h"
#include "trace.h"

enum exec_misuse { EXEC_MISUSE_SKIP, EXEC_MISUSE_EXPECT, EXEC_MISUSE_RUN };

struct exec_options {
    enum exec_misuse misuse;
    bool checks;            /* shadow-model and oracle checks (off: measure their cost) */
    unsigned full_every;    /* validate every N operations (0: only at the end; 1: always, complete;
                               N > 1: kh_validate_changed), and kh_validate at the end */
    bool thorough;          /* the crash tools: zero checks read every byte up to their cap
                               rather than a sample (fuzzing samples; see check_zeroed) */
    FILE *json;             /* one JSON object per operation, or NULL */
    const char *filename;   /* for messages */
};

struct exec_finding {
    bool found;
    char kind[64];          /* "overlap", "ksize mismatch", "allocator report", ... */
    char title[192];        /* dedup key: "<kind> in <op> (<where>)" */
    size_t op_index;        /* operation that revealed it */
    int line;
    char detail[2048];
};

/* Per-operation outcome, for the differential target: what the spec says
 * must agree between designs. */
struct exec_outcome {
    uint8_t code;
    int8_t ok;              /* -1 not an allocation, 0 returned NULL, 1 returned memory */
    bool zero_size_ptr;
    bool skipped;
    bool over_budget;       /* skipped: it would take the input past its memory budget (exec.c) */
    bool misuse;            /* ran although it is a caller misuse (EXPECT/RUN) */
    bool fault_injected;    /* an injected failure happened during the op */
    bool memory_bound;      /* it failed for want of memory (enough was not left) */
    uint8_t rule;           /* 1 + the legality row that decided it (fuzz/legality.h), 0: none */
    uint8_t misuse_rule;    /* 1 + the row that made it a misuse, when `rule` is another row
                               saying nothing reports it; 0: none */
};

struct exec;

struct exec *exec_new(struct kh *kh, const struct exec_options *opt);
void exec_free(struct exec *x);
/* Runs t from the instance's current state. Returns true when a finding was
 * made (then *f describes it and the run stopped at that operation). */
bool exec_run(struct exec *x, const struct kh_trace *t, struct exec_finding *f);
/* Outcomes of the last run (one per operation executed). */
const struct exec_outcome *exec_outcomes(const struct exec *x, size_t *n);
/* The name of the legality rule that decided an operation, or NULL; and of
 * the one that made it a misuse when that is another (see exec_outcome). */
const char *exec_outcome_rule(const struct exec_outcome *o);
const char *exec_outcome_misuse_rule(const struct exec_outcome *o);
/* Operations skipped in the last run: by the misuse policy, as another
 * kernel's form, before the boot hand-over, or for the memory budget. */
size_t exec_skipped(const struct exec *x);
/* Of those, the ones skipped for the input's memory budget (exec.c). */
size_t exec_over_budget(const struct exec *x);

/* NULL when the instance's kernel has operation `code`; else why not (a
 * 6.1-only form on a 6.12 profile or the reverse). The executor skips such
 * an operation; replay refuses the trace as invalid input. */
const char *exec_op_unavailable(const struct kh *kh, enum kh_opcode code);

const char *exec_misuse_name(enum exec_misuse m);
int exec_misuse_parse(const char *s, enum exec_misuse *out);

#endif
