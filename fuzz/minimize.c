/* minimize.c - shrinks a crashing input to the fewest operations and the
 * smallest arguments that still give the same finding title.
 *
 *   minimize [--target NAME] [--binary] [--profile P] [--misuse skip|expect|run]
 *            [--cpus N] [--quarantine N] [--slub-debug LETTERS]
 *            [-o OUT] [--max-runs N] [--max-seconds S] [--timeout S] [-q] CRASH
 *
 * CRASH is a text trace, a binary trace, or a raw fuzzer input (with
 * --target, or under a directory named after its target). The result is a
 * text trace with its settings on a "#!" line, written to OUT (default:
 * CRASH with ".min.txt" in place of a ".txt" suffix, else appended). The
 * input file is never modified. Deterministic: the same input gives the
 * same output.
 *
 * Exit status: 0 minimized, 1 the input gives no finding to keep, 2 invalid
 * input or usage.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "crash.h"
#include "tool_options.h"

static void usage(FILE *f)
{
    fputs("usage: minimize [--target NAME] [--binary] [--profile P] [--misuse skip|expect|run]\n"
          "                [--cpus N] [--quarantine N] [--slub-debug LETTERS]\n"
          "                [-o OUT] [--max-runs N] [--max-seconds S] [--timeout S] [-q] CRASH\n"
          "exit status: 0 minimized, 1 no finding in the input, 2 invalid input or usage\n",
          f);
}

static bool same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static char *default_output(const char *in)
{
    size_t n = strlen(in);
    char *out = malloc(n + 16);
    if (!out)
        return NULL;
    if (n > 4 && !strcmp(in + n - 4, ".txt"))
        n -= 4;
    snprintf(out, n + 16, "%.*s.min.txt", (int)n, in);
    return out;
}

int main(int argc, char **argv)
{
    struct tool_options t;
    const char *out_path = NULL;
    unsigned long max_runs = 0, timeout = 0;
    double max_seconds = 0;
    bool quiet = false;
    tool_options_init(&t);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int used = tool_options_take(&t, argc, argv, i);
        if (used < 0) {
            usage(stderr);
            return 2;
        }
        if (used > 0) {
            i += used - 1;
            continue;
        }
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "-q")) {
            quiet = true;
        } else if ((!strcmp(a, "-o") || !strcmp(a, "--out")) && i + 1 < argc) {
            out_path = argv[++i];
        } else if (!strcmp(a, "--max-runs") && i + 1 < argc) {
            if (tool_parse_ulong(a, argv[++i], 1, 100000000ul, &max_runs))
                return 2;
        } else if (!strcmp(a, "--max-seconds") && i + 1 < argc) {
            unsigned long v;
            if (tool_parse_ulong(a, argv[++i], 1, 86400ul, &v))
                return 2;
            max_seconds = (double)v;
        } else if (!strcmp(a, "--timeout") && i + 1 < argc) {
            if (tool_parse_ulong(a, argv[++i], 1, 3600ul, &timeout))
                return 2;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "minimize: unknown option or missing value: '%s'\n", a);
            usage(stderr);
            return 2;
        } else if (!t.input) {
            t.input = a;
        } else {
            fprintf(stderr, "minimize: one crash file at a time (got '%s' and '%s')\n", t.input, a);
            return 2;
        }
    }
    if (!t.input) {
        usage(stderr);
        return 2;
    }

    char err[1024];
    struct crash_input in;
    if (crash_load(t.input, &t.load, &in, err, sizeof(err))) {
        fprintf(stderr, "%s\n", err);
        return 2;
    }
    char *dflt = out_path ? NULL : default_output(t.input);
    if (!out_path)
        out_path = dflt;
    if (!out_path || same_file(out_path, t.input)) {
        fprintf(stderr, "minimize: refusing to overwrite the input %s; give -o OUT\n", t.input);
        return 2;
    }
    struct crash_runner *r = crash_runner_new(&in.settings, (unsigned)timeout, err, sizeof(err));
    if (!r) {
        fprintf(stderr, "%s: error: %s\n", t.input, err);
        return 2;
    }
    struct crash_result res;
    if (crash_run(r, &in.trace, &res)) {
        fprintf(stderr, "minimize: cannot run a child process: %s\n", strerror(errno));
        return 2;
    }
    if (!res.found) {
        fprintf(stderr, "%s: no finding (%zu operations, target %s, profile %s, misuse %s): nothing to minimize\n",
                t.input, in.trace.n, in.settings.target[0] ? in.settings.target : "none",
                in.settings.profile, exec_misuse_name(in.settings.misuse));
        return 1;
    }
    char title[256];
    snprintf(title, sizeof(title), "%s", res.title);
    if (!quiet)
        fprintf(stderr, "minimize: %s: finding: %s (%zu operations)\n", t.input, title, in.trace.n);

    struct crash_shrink_options so = { .max_runs = max_runs, .max_seconds = max_seconds, .verbose = !quiet };
    struct crash_shrink_stats st;
    struct kh_trace small;
    if (crash_shrink(r, &in.trace, title, &so, &small, &st)) {
        fprintf(stderr, "minimize: out of memory\n");
        return 2;
    }
    /* What is written must give the title: one last run of the final form. */
    crash_run(r, &small, &res);
    if (!res.found || strcmp(res.title, title)) {
        fprintf(stderr, "minimize: internal error: the minimized trace gives '%s', not '%s'\n",
                res.found ? res.title : "no finding", title);
        return 2;
    }
    char comment[1024];
    snprintf(comment, sizeof(comment),
             "finding: %s\nminimized from %s: %zu -> %zu operations, %lu runs, %.1f s%s", title,
             t.input, st.ops_before, st.ops_after, st.runs, st.seconds,
             st.budget_hit ? " (budget reached: may shrink further)" : "");
    char *text = crash_format_text(&in.settings, &small, comment);
    FILE *f = text ? fopen(out_path, "w") : NULL;
    if (!f || fputs(text, f) < 0 || fclose(f)) {
        fprintf(stderr, "minimize: cannot write %s: %s\n", out_path, strerror(errno));
        return 2;
    }
    printf("%s: %s\n%zu -> %zu operations (%lu runs, %.1f s): %s\n", t.input, title, st.ops_before,
           st.ops_after, st.runs, st.seconds, out_path);
    free(text);
    free(dflt);
    kh_trace_free(&small);
    crash_input_free(&in);
    crash_runner_free(r);
    return 0;
}
