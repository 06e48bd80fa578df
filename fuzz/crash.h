/* crash.h - a crash input, the settings it runs under, running it in a
 * child process, and shrinking it. Shared by minimize and reproduce.
 *
 * Settings come, in increasing priority, from: the replay defaults; the
 * fuzz target that produced the input (its table entry in targets.c, named
 * by `--target`, a `#! target=` line, or a path component such as
 * .fuzz-work/<target>/ or fuzz/crashes/<target>/); the text trace's `#!`
 * lines; the command line.
 *
 * Inputs: a text trace; a binary trace with the "KHT" header (decoded with
 * every operation, as every target does); or a raw fuzzer input without the
 * header, which decodes only as its target does (its operation subset), so
 * it needs the target.
 *
 * Running: every candidate runs in a forked child with a fresh allocator
 * instance, so a sanitizer error, an abort or a hang ends only the child and
 * comes back as a title like any other finding. A finding's title is its
 * identity: "<kind> in <operation> (<where>)". For harness findings it is
 * exec's title; for sanitizer errors it is the sanitizer's kind, the trace
 * operation that was running and the first allocator frame (or the
 * sanitizer's name when no allocator frame is on the stack). Runs use
 * replay's checking cadence (kh_validate after every operation), so the
 * finding is named at the operation that caused it.
 */
#ifndef KH_FUZZ_CRASH_H
#define KH_FUZZ_CRASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "exec.h"
#include "kmem.h"
#include "trace.h"

struct crash_settings {
    char target[32];         /* "" when unknown */
    char profile[64];
    unsigned cpus;           /* 0: the profile's */
    int quarantine;          /* -1: the profile's */
    char slub_debug[32];
    bool slub_debug_set;
    bool merge;              /* caches may merge (no slab_nomerge; not in ASan builds) */
    enum exec_misuse misuse;
};

/* Replay's defaults: default profile, misuse policy run. */
void crash_settings_init(struct crash_settings *s);
/* Takes over a fuzz target's settings. Returns -1 for an unknown target
 * (or one that is not driven through the shared executor). */
int crash_settings_use_target(struct crash_settings *s, const char *target);
/* One "key=value" setting (target, profile, misuse, cpus, quarantine,
 * slub_debug). Returns 0, or -1 with a message in err. */
int crash_settings_apply(struct crash_settings *s, const char *key, const char *val, char *err,
                         size_t errcap);
/* "#! target=... profile=... misuse=..." (no newline). */
void crash_settings_format(const struct crash_settings *s, char *buf, size_t cap);
/* The allocator configuration the settings describe. Returns 0, or -1 with
 * a message naming what is wrong. */
int crash_settings_config(const struct crash_settings *s, struct kh_config *cfg, char *err,
                          size_t errcap);

enum crash_form { CRASH_TEXT, CRASH_BINARY, CRASH_RAW };

struct crash_input {
    struct crash_settings settings;
    struct kh_trace trace;
    enum crash_form form;
    bool target_from_path;   /* the target was inferred from the file's path */
};

struct crash_load_options {
    const char *target;      /* --target, or NULL */
    bool force_raw;          /* --binary: decode as raw fuzzer input even if printable */
    /* command-line settings, applied last: NULL-terminated key, value pairs */
    const char *const *overrides;
};

/* Loads path. Returns 0; -1 with a message in err (unreadable file,
 * malformed trace with file:line:column, raw input without a target, bad
 * setting). in->trace must be freed with crash_input_free. */
int crash_load(const char *path, const struct crash_load_options *o, struct crash_input *in,
               char *err, size_t errcap);
void crash_input_free(struct crash_input *in);

/* The target whose name is a component of path (last match), or NULL. */
const char *crash_target_from_path(const char *path);

struct crash_result {
    bool found;
    bool sanitizer;          /* found by ASan/UBSan, not by the harness */
    bool timeout;
    char title[256];
    char kind[64];
    long op_index;           /* operation that revealed it; -1 unknown */
    char detail[4096];       /* harness detail, or the head of the sanitizer report */
    /* Per-operation outcomes up to the finding (or all of them). */
    struct exec_outcome *outcomes;
    size_t nout;
};

struct crash_runner;

/* Checks the configuration once (err names the problem). timeout_s bounds
 * one run; 0 means 10 seconds. */
struct crash_runner *crash_runner_new(const struct crash_settings *s, unsigned timeout_s, char *err,
                                      size_t errcap);
void crash_runner_free(struct crash_runner *r);
/* Runs t in a child. Returns 0 (then *res says whether something was
 * found), -1 when the host could not fork/map. res->outcomes points into
 * the runner and is valid until the next run. */
int crash_run(struct crash_runner *r, const struct kh_trace *t, struct crash_result *res);
unsigned long crash_runner_runs(const struct crash_runner *r);

/* ---- shrinking ---- */

struct crash_shrink_options {
    unsigned long max_runs;  /* 0: 20000 */
    double max_seconds;      /* 0: 300 */
    bool verbose;            /* progress lines on stderr */
};

struct crash_shrink_stats {
    size_t ops_before, ops_after;
    unsigned long runs;
    double seconds;
    bool budget_hit;
};

/* Shrinks t to a trace that still gives exactly `title`: drops the
 * operations after the finding, then chunks of operations (with everything
 * that uses what they bind), then simplifies arguments (smaller integers,
 * equal values together, fewer gfp and slab flags, no offsets), unbinds
 * unused results and renumbers generated names (p1, c1, ...). Deterministic.
 * Returns 0 with the result in *out, -1 on host failure. */
int crash_shrink(struct crash_runner *r, const struct kh_trace *t, const char *title,
                 const struct crash_shrink_options *o, struct kh_trace *out,
                 struct crash_shrink_stats *st);

/* A file name from a title: lower case, runs of other characters as '-'. */
void crash_slug(const char *title, char *buf, size_t cap);

/* Text trace as minimize and reproduce write it: "# " comment lines, the
 * settings line, then the canonical operations. Returns malloc'd text. */
char *crash_format_text(const struct crash_settings *s, const struct kh_trace *t,
                        const char *comment);

#endif
