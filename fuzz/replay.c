/* replay.c - runs trace files (text or binary) against the reference and
 * reports the first finding.
 *
 *   replay [--target NAME] [--binary] [--profile NAME] [--cpus N]
 *          [--misuse skip|expect|run] [--slub-debug LETTERS] [--quarantine N]
 *          [--json [--caches]] FILE...
 *
 * Every invariant is validated after every operation. A text trace may carry
 * its own settings on "#!" lines (written by the fuzz targets and the
 * reproduce tool), e.g. "#! profile=linux-6.1-x86_64-16m misuse=skip cpus=2";
 * command-line options win over them. `target=` (or --target) starts from
 * that fuzz target's settings; a raw fuzzer input (binary without the "KHT"
 * header) needs its target, since it decodes as that target's operations.
 * Inputs are loaded as crash.h describes.
 *
 * Exit status: 0 no finding, 1 a finding (invariant violated, wrong result,
 * allocator report, or a memory error caught by ASan), 2 invalid input
 * (malformed trace, unreadable file, bad option).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crash.h"
#include "exec.h"
#include "kmem.h"
#include "slab.h"
#include "tool_options.h"
#include "trace.h"

enum { EXIT_CLEAN = 0, EXIT_FINDING = 1, EXIT_INVALID = 2 };

static void usage(FILE *f)
{
    fputs("usage: replay [--target NAME] [--binary] [--profile NAME] [--cpus N]\n"
          "              [--misuse skip|expect|run] [--slub-debug LETTERS] [--quarantine N]\n"
          "              [--json [--caches]] FILE...\n"
          TOOL_OPTIONS_HELP
          "exit status: 0 no finding, 1 finding, 2 invalid input\n", f);
}

/* --caches: every slab cache alive at the end, one JSON object each (how
 * the kernel oracle reads the kmalloc caches' geometry). */
static int print_cache(void *ctx, const struct kh_cache_info *c)
{
    (void)ctx;
    printf("{\"cache\": \"%s\", \"object_size\": %u, \"size\": %u, \"align\": %u, "
           "\"order\": %u, \"objects\": %u}\n",
           c->name, c->object_size, c->size, c->align, c->order, c->objects_per_slab);
    return 0;
}

static int replay_file(const char *path, const struct tool_options *opts, bool json, bool caches)
{
    char err[1024];
    struct crash_input in;
    if (crash_load(path, &opts->load, &in, err, sizeof(err))) {
        fprintf(stderr, "%s\n", err);
        return EXIT_INVALID;
    }
    struct kh_config cfg;
    const char *why = NULL;
    struct kh *kh = NULL;
    if (crash_settings_config(&in.settings, &cfg, err, sizeof(err)) == 0 && !(kh = kh_create(&cfg, &why)))
        snprintf(err, sizeof(err), "cannot create the allocator: %s", why ? why : "?");
    if (!kh) {
        fprintf(stderr, "%s: error: %s\n", path, err);
        crash_input_free(&in);
        return EXIT_INVALID;
    }
    const struct kh_trace *t = &in.trace;
    for (size_t i = 0; i < t->n; i++) {
        /* a form the profile's kernel lacks: the trace needs another profile */
        const char *no = exec_op_unavailable(kh, (enum kh_opcode)t->ops[i].code);
        if (no) {
            fprintf(stderr, "%s:%d: error: %s (profile %s)\n", path, t->ops[i].line, no,
                    in.settings.profile);
            kh_destroy(kh);
            crash_input_free(&in);
            return EXIT_INVALID;
        }
    }
    struct exec_options opt = { .misuse = in.settings.misuse, .checks = true, .full_every = 1,
                                .thorough = true, .json = json ? stdout : NULL, .filename = path };
    struct exec *x = exec_new(kh, &opt);
    if (!x) {
        fprintf(stderr, "replay: out of memory\n");
        exit(EXIT_INVALID);
    }
    struct exec_finding f;
    int rc = EXIT_CLEAN;
    if (exec_run(x, t, &f)) {
        char op[256];
        kh_trace_format_op(t, f.op_index, op, sizeof(op));
        fflush(stdout);
        fprintf(stderr, "%s:%d: finding: %s\n  operation: %s\n  %s\n", path, f.line, f.title, op,
                f.detail);
        rc = EXIT_FINDING;
    } else if (!json) {
        size_t budget = exec_over_budget(x);
        printf("%s: %zu operations (%zu skipped by misuse policy '%s'", path, t->n, exec_skipped(x) - budget,
               exec_misuse_name(in.settings.misuse));
        if (budget)
            printf(", %zu past the memory budget", budget);
        printf("), profile %s: no finding\n", in.settings.profile);
    }
    if (json && caches)
        kh_for_each_cache(kh, print_cache, NULL);
    exec_free(x);
    kh_destroy(kh);
    crash_input_free(&in);
    return rc;
}

int main(int argc, char **argv)
{
    struct tool_options opts;
    tool_options_init(&opts);
    bool json = false, caches = false;
    const char **files = calloc((size_t)argc, sizeof(*files));
    int nfiles = 0, worst = EXIT_CLEAN;
    if (!files)
        return EXIT_INVALID;
    for (int i = 1; i < argc; i++) {
        int used = tool_options_take(&opts, argc, argv, i);
        if (used < 0) {
            usage(stderr);
            return EXIT_INVALID;
        }
        if (used > 0) {
            i += used - 1;
        } else if (!strcmp(argv[i], "--json")) {
            json = true;
        } else if (!strcmp(argv[i], "--caches")) {
            caches = true;
        } else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            usage(stdout);
            return EXIT_CLEAN;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "replay: unknown option '%s'\n", argv[i]);
            usage(stderr);
            return EXIT_INVALID;
        } else {
            files[nfiles++] = argv[i];
        }
    }
    if (nfiles == 0) {
        usage(stderr);
        return EXIT_INVALID;
    }
    if (caches && !json) {
        fputs("replay: --caches needs --json\n", stderr);
        return EXIT_INVALID;
    }
    for (int i = 0; i < nfiles; i++) {
        int rc = replay_file(files[i], &opts, json, caches);
        if (rc == EXIT_INVALID)
            worst = EXIT_INVALID;
        else if (rc == EXIT_FINDING && worst == EXIT_CLEAN)
            worst = EXIT_FINDING;
    }
    free(files);
    return worst;
}
