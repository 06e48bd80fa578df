/* reproduce.c - turns a crash into what a developer needs to fix it.
 *
 *   reproduce [--target NAME] [--binary] [--profile P] [--misuse M] ...
 *             [--minimize] [-o DIR] [--name NAME]
 *             [--crashes DIR | --regression FILE | --no-regression] [--always] [-q] CRASH
 *
 * From a crash (raw fuzzer input, binary or text trace) it writes:
 *   DIR/NAME.txt  the readable text trace, with its settings on a "#!" line
 *                 (replay it with bazel-bin/fuzz/replay);
 *   DIR/NAME.c    a standalone C program making the same kh_* calls with the
 *                 same checks, which prints the finding and exits 1 while
 *                 the bug is there (see cgen.h);
 *   CRASHES/<target>/NAME.kht
 *                 the trace in binary form, which //fuzz:<target>_regression_test
 *                 replays from then on (only when the input came from a fuzz
 *                 target and runs with that target's settings).
 * NAME defaults to the finding's title in file-name form. --minimize shrinks
 * the input first (as `minimize` does). Without a finding nothing is
 * written, unless --always (e.g. to keep a reproducer of a bug fixed since).
 *
 * Exit status: 0 written, 1 the input gives no finding (nothing written),
 * 2 invalid input, usage or I/O error.
 */
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cgen.h"
#include "crash.h"
#include "tool_options.h"

static void usage(FILE *f)
{
    fputs("usage: reproduce [options] CRASH\n"
          TOOL_OPTIONS_HELP
          "  --minimize           shrink the input first\n"
          "  -o, --out DIR        where NAME.txt and NAME.c go (default: .)\n"
          "  --name NAME          base name of the files (default: from the finding's title)\n"
          "  --crashes DIR        regression root: DIR/<target>/NAME.kht (default: fuzz/crashes\n"
          "                       of the workspace)\n"
          "  --regression FILE    write the regression input to FILE instead\n"
          "  --no-regression      do not write the regression input\n"
          "  --always             write even when the input gives no finding on this build\n"
          "  -q                   quiet\n"
          "exit status: 0 written, 1 no finding, 2 invalid input or error\n",
          f);
}

static int mkdirs(const char *path)
{
    char buf[4096];
    snprintf(buf, sizeof(buf), "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0777) && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return mkdir(buf, 0777) && errno != EEXIST ? -1 : 0;
}

static int write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, len, f) != len) {
        if (f)
            fclose(f);
        return -1;
    }
    return fclose(f);
}

/* fuzz/crashes of the workspace: under `bazel run` the workspace directory,
 * else the current directory when it is a checkout. */
static const char *default_crashes(char *buf, size_t cap)
{
    const char *ws = getenv("BUILD_WORKSPACE_DIRECTORY");
    struct stat st;
    if (ws && *ws) {
        snprintf(buf, cap, "%s/fuzz/crashes", ws);
        return buf;
    }
    if (stat("fuzz/fuzz.bzl", &st) == 0) {
        snprintf(buf, cap, "fuzz/crashes");
        return buf;
    }
    return NULL;
}

static bool same_settings(const struct crash_settings *a, const struct crash_settings *b)
{
    char x[512], y[512];
    crash_settings_format(a, x, sizeof(x));
    crash_settings_format(b, y, sizeof(y));
    return !strcmp(x, y);
}

int main(int argc, char **argv)
{
    struct tool_options t;
    tool_options_init(&t);
    const char *out_dir = ".", *name = NULL, *crashes = NULL, *regression_file = NULL;
    bool minimize = false, no_regression = false, always = false, quiet = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int used = tool_options_take(&t, argc, argv, i);
        if (used < 0) {
            usage(stderr);
            return 2;
        }
        if (used > 0) {
            i += used - 1;
        } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--minimize")) {
            minimize = true;
        } else if (!strcmp(a, "--no-regression")) {
            no_regression = true;
        } else if (!strcmp(a, "--always")) {
            always = true;
        } else if (!strcmp(a, "-q")) {
            quiet = true;
        } else if ((!strcmp(a, "-o") || !strcmp(a, "--out")) && i + 1 < argc) {
            out_dir = argv[++i];
        } else if (!strcmp(a, "--name") && i + 1 < argc) {
            name = argv[++i];
        } else if (!strcmp(a, "--crashes") && i + 1 < argc) {
            crashes = argv[++i];
        } else if (!strcmp(a, "--regression") && i + 1 < argc) {
            regression_file = argv[++i];
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "reproduce: unknown option or missing value: '%s'\n", a);
            usage(stderr);
            return 2;
        } else if (!t.input) {
            t.input = a;
        } else {
            fprintf(stderr, "reproduce: one crash file at a time (got '%s' and '%s')\n", t.input, a);
            return 2;
        }
    }
    if (!t.input) {
        usage(stderr);
        return 2;
    }
    if (name && (!*name || strchr(name, '/'))) {
        fprintf(stderr, "reproduce: --name must be a plain file name, got '%s'\n", name);
        return 2;
    }

    char err[1024];
    struct crash_input in;
    if (crash_load(t.input, &t.load, &in, err, sizeof(err))) {
        fprintf(stderr, "%s\n", err);
        return 2;
    }
    struct crash_runner *r = crash_runner_new(&in.settings, 0, err, sizeof(err));
    if (!r) {
        fprintf(stderr, "%s: error: %s\n", t.input, err);
        return 2;
    }
    struct crash_result res;
    if (crash_run(r, &in.trace, &res)) {
        fprintf(stderr, "reproduce: cannot run a child process: %s\n", strerror(errno));
        return 2;
    }
    if (!res.found && !always) {
        fprintf(stderr, "%s: no finding on this build (%zu operations, target %s, profile %s, misuse %s)\n",
                t.input, in.trace.n, in.settings.target[0] ? in.settings.target : "none", in.settings.profile,
                exec_misuse_name(in.settings.misuse));
        return 1;
    }
    char title[256] = "";
    if (res.found)
        snprintf(title, sizeof(title), "%s", res.title);

    struct kh_trace trace = in.trace;
    struct crash_shrink_stats st = { 0 };
    if (minimize && res.found) {
        struct crash_shrink_options so = { .verbose = !quiet };
        struct kh_trace small;
        if (crash_shrink(r, &in.trace, title, &so, &small, &st))
            return 2;
        trace = small;
    }

    /* NAME.txt */
    char slug[128], path_txt[4096], path_c[4096];
    if (!name) {
        if (title[0]) {
            crash_slug(title, slug, sizeof(slug));
        } else {
            char tmp[4096];
            snprintf(tmp, sizeof(tmp), "%s", t.input);
            crash_slug(basename(tmp), slug, sizeof(slug));
        }
        name = slug;
    }
    if (mkdirs(out_dir)) {
        fprintf(stderr, "reproduce: cannot create %s: %s\n", out_dir, strerror(errno));
        return 2;
    }
    snprintf(path_txt, sizeof(path_txt), "%s/%s.txt", out_dir, name);
    snprintf(path_c, sizeof(path_c), "%s/%s.c", out_dir, name);
    char comment[1024];
    int cn = snprintf(comment, sizeof(comment), "finding: %s\nreproduced from %s",
                      title[0] ? title : "none on the build that wrote this", t.input);
    if (minimize && res.found)
        snprintf(comment + cn, sizeof(comment) - (size_t)cn, " (minimized: %zu -> %zu operations)",
                 st.ops_before, st.ops_after);
    char *text = crash_format_text(&in.settings, &trace, comment);
    if (!text || write_file(path_txt, text, strlen(text))) {
        fprintf(stderr, "reproduce: cannot write %s: %s\n", path_txt, strerror(errno));
        return 2;
    }
    free(text);

    /* Everything else comes from the file just written, so line numbers
     * and settings are the ones a reader sees. */
    struct crash_input written;
    struct crash_load_options plain = { 0 };
    if (crash_load(path_txt, &plain, &written, err, sizeof(err))) {
        fprintf(stderr, "reproduce: internal error: the written trace does not load: %s\n", err);
        return 2;
    }
    struct crash_result res2;
    crash_run(r, &written.trace, &res2);
    if (res.found && (!res2.found || strcmp(res2.title, title))) {
        fprintf(stderr, "reproduce: internal error: %s gives '%s', not '%s'\n", path_txt,
                res2.found ? res2.title : "no finding", title);
        return 2;
    }

    /* NAME.c */
    struct cgen_input ci = {
        .settings = &written.settings,
        .trace = &written.trace,
        .outcomes = res2.outcomes,
        .nout = res2.nout,
        .title = res2.found ? res2.title : NULL,
        .last_op = res2.found ? res2.op_index : -1,
        .source = t.input,
        .name = name,
        .c_path = path_c,
        .text_name = path_txt,
    };
    FILE *cf = fopen(path_c, "w");
    if (!cf || cgen_write(cf, &ci) || fclose(cf)) {
        fprintf(stderr, "reproduce: cannot write %s: %s\n", path_c, strerror(errno));
        return 2;
    }

    /* the regression input */
    char regression[4096] = "", crash_root[4096];
    const char *why_not = NULL;
    struct crash_settings target_settings;
    crash_settings_init(&target_settings);
    if (no_regression)
        why_not = "--no-regression";
    else if (!written.settings.target[0])
        why_not = "no fuzz target is known for this input (give --target)";
    else if (crash_settings_use_target(&target_settings, written.settings.target) ||
             !same_settings(&target_settings, &written.settings))
        why_not = "the settings differ from the target's, and its regression test runs with the target's";
    else if (!regression_file && !crashes && !(crashes = default_crashes(crash_root, sizeof(crash_root))))
        why_not = "no workspace here (run from the repository root, or give --crashes DIR)";
    if (!why_not) {
        char dir[4096];
        if (regression_file) {
            snprintf(regression, sizeof(regression), "%s", regression_file);
            const char *slash = strrchr(regression_file, '/');
            if (!slash)
                snprintf(dir, sizeof(dir), ".");
            else if (slash == regression_file)
                snprintf(dir, sizeof(dir), "/");
            else
                snprintf(dir, sizeof(dir), "%.*s", (int)(slash - regression_file), regression_file);
        } else {
            snprintf(dir, sizeof(dir), "%s/%s", crashes, written.settings.target);
            snprintf(regression, sizeof(regression), "%s/%s.kht", dir, name);
        }
        uint8_t *bin = NULL;
        size_t blen = 0;
        struct kh_trace back;
        kh_trace_init(&back);
        if (kh_trace_encode(&written.trace, &bin, &blen) || kh_trace_decode(bin, blen, &back) ||
            back.n != written.trace.n) {
            fprintf(stderr, "reproduce: internal error: the binary form does not round-trip\n");
            return 2;
        }
        kh_trace_free(&back);
        if (mkdirs(dir) || write_file(regression, bin, blen)) {
            fprintf(stderr, "reproduce: cannot write %s: %s\n", regression, strerror(errno));
            return 2;
        }
        free(bin);
    }

    if (res2.found) {
        char op[1024] = "";
        if (res2.op_index >= 0 && (size_t)res2.op_index < written.trace.n)
            kh_trace_format_op(&written.trace, (size_t)res2.op_index, op, sizeof(op));
        printf("finding: %s\n  line %d: %s\n  %s\n", res2.title,
               res2.op_index >= 0 && (size_t)res2.op_index < written.trace.n
                   ? written.trace.ops[res2.op_index].line : 0, op, res2.detail);
    } else {
        printf("no finding on this build; writing the reproducer anyway (--always)\n");
    }
    if (minimize && res.found)
        printf("minimized: %zu -> %zu operations (%lu runs, %.1f s)\n", st.ops_before, st.ops_after, st.runs,
               st.seconds);
    printf("wrote:\n  %s  (text trace: bazel-bin/fuzz/replay %s)\n  %s  (C program: see its first lines)\n",
           path_txt, path_txt, path_c);
    if (regression[0])
        printf("  %s  (replayed by //fuzz:%s_regression_test)\n", regression, written.settings.target);
    else
        printf("  no regression input: %s\n", why_not);
    crash_input_free(&written);
    if (trace.ops != in.trace.ops)
        kh_trace_free(&trace);
    crash_input_free(&in);
    crash_runner_free(r);
    return 0;
}
