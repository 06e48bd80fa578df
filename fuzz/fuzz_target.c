/* fuzz_target.c - decode, run, check: the body every fuzz target shares.
 *
 * One instance per process, reset before every input (reset cost follows
 * what the previous input touched), so an input's behaviour never depends
 * on the inputs before it.
 */
#include "fuzz_target.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kmem.h"

static struct kh *instance;
static struct exec *executor;

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
    else
        kh_reset(instance);

    struct kh_trace trace;
    if (kh_fuzz_decode(t, data, size, &trace) != 0)
        abort();  /* host out of memory */
    struct exec_finding f;
    if (exec_run(executor, &trace, &f) && kh_fuzz_title_wanted(f.title)) {
        char *text = kh_trace_to_text(&trace, NULL);
        char op[256];
        kh_trace_format_op(&trace, f.op_index, op, sizeof(op));
        fprintf(stderr,
                "\nkmem-harness finding: %s\n"
                "target: %s  misuse policy: %s\n"
                "operation %zu: %s\n%s\n"
                "---- trace (text form) ----\n"
                "#! target=%s profile=%s misuse=%s cpus=%u quarantine=%u%s%s\n%s----\n",
                f.title, t->name, exec_misuse_name(t->misuse), f.op_index + 1, op, f.detail,
                t->name, kh_get_config(instance)->profile, exec_misuse_name(t->misuse),
                kh_get_config(instance)->nr_cpus, t->quarantine,
                t->slub_debug && *t->slub_debug ? " slub_debug=" : "",
                t->slub_debug && *t->slub_debug ? t->slub_debug : "", text ? text : "(out of memory)\n");
        free(text);
        fflush(stderr);
        abort();
    }
    kh_trace_free(&trace);
    return 0;
}
