/* cgen.h - writes a trace as a standalone C program against the kernel-style
 * kh_* API (what `reproduce` emits).
 *
 * The program creates the instance with the trace's profile and settings,
 * makes each call of the trace in order, and after each one applies the
 * checks the fuzz executor applies (fuzz/repro_runtime.c is pasted in
 * front of main), so it prints "finding: TITLE" with the executor's title
 * and exits 1 while the bug is there, and exits 0 once it is fixed.
 *
 * Decisions that depend on the executor's bookkeeping are taken from a run
 * of the trace on the current build (its per-operation outcomes): which
 * operations the misuse policy left out, and which ran as a caller misuse;
 * the legality rule that decided an operation (fuzz/legality.h) is named in
 * a comment on its begin_op line (or its "left out" line).
 * The spec's expected values (ksize, alignment, get_order, ...) are
 * computed here by the oracle and written into the program as numbers.
 */
#ifndef KH_FUZZ_CGEN_H
#define KH_FUZZ_CGEN_H

#include <stdio.h>

#include "crash.h"

struct cgen_input {
    const struct crash_settings *settings;
    const struct kh_trace *trace;            /* line numbers refer to text_name */
    const struct exec_outcome *outcomes;     /* one per operation run */
    size_t nout;
    const char *title;                       /* the finding on this build, or NULL */
    long last_op;                            /* last operation to emit; -1: all */
    const char *source;                      /* the crash input, for the header */
    const char *name;                        /* program base name */
    const char *c_path;                      /* where the program is written */
    const char *text_name;                   /* the text trace written next to it */
};

/* Returns 0, -1 on a write error or an invalid configuration. */
int cgen_write(FILE *f, const struct cgen_input *in);

#endif
