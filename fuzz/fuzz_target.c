/* fuzz_target.c - decode, run, check: the body every fuzz target shares.
 *
 * One instance per process, reset after every input (reset cost follows
 * what the input touched), so an input's behaviour never depends on the
 * inputs before it.
 */
#include "fuzz_target.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kmem.h"
#include "oracle_reset.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#include <sanitizer/asan_interface.h>
#define HAVE_ASAN 1
#endif
#endif

static struct kh *instance;
static struct exec *executor;
static const struct kh_fuzz_target *current_target;
static const struct kh_trace *current_trace;
static struct oracle_reset reset_oracle;   /* the fresh instance, for after each reset */

/* The trace's settings line, as replay and the crash tools read it. */
static void print_settings(const struct kh_fuzz_target *t)
{
    fprintf(stderr, "#! target=%s profile=%s misuse=%s cpus=%u quarantine=%u%s%s%s\n", t->name,
            kh_get_config(instance)->profile, exec_misuse_name(t->misuse),
            kh_get_config(instance)->nr_cpus, t->quarantine,
            t->slub_debug && *t->slub_debug ? " slub_debug=" : "",
            t->slub_debug && *t->slub_debug ? t->slub_debug : "", t->merge ? " merge=1" : "");
}

/* An AddressSanitizer error ends the process inside an operation: name it
 * and print the trace, so a raw crash file comes with its readable form.
 * The title ("<error> in <operation> (<first allocator frame>)") is made
 * from this and the report by the tools (crash.c, tools/finding_title.py).
 * This is ASan's report callback, not the death callback, which libFuzzer
 * needs for writing the crash file. No allocation here: ASan is reporting. */
#ifdef HAVE_ASAN
static void on_asan_report(const char *report)
{
    size_t n = 0;
    (void)report;
    if (!executor || !current_trace)
        return;
    exec_outcomes(executor, &n);
    if (!n || n > current_trace->n)
        return;
    char op[512];
    kh_trace_format_op(current_trace, n - 1, op, sizeof(op));
    fprintf(stderr, "kmem-harness: the sanitizer stopped operation %zu: %s\n"
            "---- trace (text form) ----\n", n, op);
    print_settings(current_target);
    for (size_t i = 0; i < current_trace->n; i++) {
        kh_trace_format_op(current_trace, i, op, sizeof(op));
        fprintf(stderr, "%s\n", op);
    }
    fprintf(stderr, "----\n");
}
#endif

static void setup(const struct kh_fuzz_target *t)
{
    struct kh_config cfg;
    const char *profile = getenv("KMEM_FUZZ_PROFILE");
    if (!profile || !*profile)
        profile = t->profile;
    if (kh_profile_config(profile, &cfg) != 0) {
        fprintf(stderr, "%s: unknown profile '%s'\n", t->name, profile);
        abort();
    }
    if (t->nr_cpus)
        cfg.nr_cpus = t->nr_cpus;
    cfg.quarantine_objects = t->quarantine;
    if (t->slub_debug)
        snprintf(cfg.slub_debug, sizeof(cfg.slub_debug), "%s", t->slub_debug);
    if (t->merge)
        cfg.slab_nomerge = false;
    const char *err = NULL;
    instance = kh_create(&cfg, &err);
    if (!instance) {
        fprintf(stderr, "%s: cannot create the allocator: %s\n", t->name, err);
        abort();
    }
    struct exec_options opt = {
        .misuse = t->misuse,
        .checks = getenv("KMEM_FUZZ_NO_CHECKS") == NULL,
        .full_every = t->full_every,
    };
    executor = exec_new(instance, &opt);
    if (!executor)
        abort();
    if (opt.checks && !oracle_reset_init(&reset_oracle, instance))
        abort();  /* host out of memory */
    current_target = t;
#ifdef HAVE_ASAN
    __asan_set_error_report_callback(on_asan_report);
#endif
}

bool kh_fuzz_title_wanted(const char *title)
{
    static const char *only;
    static bool read;
    if (!read) {
        only = getenv("KMEM_FUZZ_TITLE");
        read = true;
    }
    return !only || !*only || strcmp(only, title) == 0;
}

int kh_fuzz_decode(const struct kh_fuzz_target *t, const uint8_t *data, size_t size,
                   struct kh_trace *out)
{
    kh_trace_init(out);
    return kh_trace_decode_subset(data, size, t->ops, t->nops, out);
}

int kh_fuzz_one(const struct kh_fuzz_target *t, const uint8_t *data, size_t size)
{
    if (!instance)
        setup(t);

    /* One trace for every input: its buffers are reused, not reallocated. */
    static struct kh_trace trace;
    kh_trace_clear(&trace);
    if (kh_trace_decode_subset(data, size, t->ops, t->nops, &trace) != 0)
        abort();  /* host out of memory */
    struct exec_finding f;
    current_trace = &trace;
    bool found = exec_run(executor, &trace, &f) && kh_fuzz_title_wanted(f.title);
    current_trace = NULL;
    if (found) {
        char *text = kh_trace_to_text(&trace, NULL);
        char op[256];
        kh_trace_format_op(&trace, f.op_index, op, sizeof(op));
        fprintf(stderr,
                "\nkmem-harness finding: %s\n"
                "target: %s  misuse policy: %s\n"
                "operation %zu: %s\n%s\n"
                "---- trace (text form) ----\n",
                f.title, t->name, exec_misuse_name(t->misuse), f.op_index + 1, op, f.detail);
        print_settings(t);
        fprintf(stderr, "%s----\n", text ? text : "(out of memory)\n");
        free(text);
        fflush(stderr);
        abort();
    }
    /* Reset now rather than before the next input, so that what this input
     * made the allocator malloc is freed within its own run (libFuzzer
     * re-runs an input to look for leaks when it is not). The next input
     * must start on the fresh instance (oracle_reset.h). */
    oracle_reset_before(&reset_oracle, instance);
    kh_reset(instance);
    char why[512];
    if (!oracle_reset_check(&reset_oracle, instance, why, sizeof(why)) &&
        kh_fuzz_title_wanted(ORACLE_RESET_TITLE)) {
        char *text = kh_trace_to_text(&trace, NULL);
        fprintf(stderr,
                "\nkmem-harness finding: %s\n"
                "target: %s  misuse policy: %s\n"
                "after the last operation: %s\n"
                "---- trace (text form) ----\n",
                ORACLE_RESET_TITLE, t->name, exec_misuse_name(t->misuse), why);
        print_settings(t);
        fprintf(stderr, "%s----\n", text ? text : "(out of memory)\n");
        free(text);
        fflush(stderr);
        abort();
    }
    return 0;
}
