/* bb_replay.c - runs trace files through the black-box tier against the
 * linked adapter, without libFuzzer.
 *
 *   replay [-t TARGET] [-v] FILE|DIR...     files decoded as TARGET does
 *                                           (default: mixed), text or binary
 *   replay --seeds ROOT                     every target over ROOT/<target>/
 *
 * Prints each finding (title, operation, detail), then the summary of
 * checks run and skipped. Exit status: 0 no finding, 1 a finding, 2 bad
 * usage or unreadable input. -v logs every operation and its result.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bb_target.h"

static bool verbose;
static unsigned files, findings;

static int run_file(struct bb *x, const struct bb_target *t, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "replay: cannot open %s: %s\n", path, strerror(errno));
        return 2;
    }
    size_t cap = 1 << 16, len = 0;
    uint8_t *buf = malloc(cap);
    for (size_t got; buf && (got = fread(buf + len, 1, cap - len, f)) > 0;) {
        len += got;
        if (len == cap)
            buf = realloc(buf, cap *= 2);
    }
    fclose(f);
    if (!buf) {
        fprintf(stderr, "replay: out of memory reading %s\n", path);
        return 2;
    }
    struct kh_trace trace;
    if (bb_decode(t, buf, len, &trace) != 0) {
        fprintf(stderr, "replay: out of memory decoding %s\n", path);
        return 2;
    }
    free(buf);
    files++;
    if (verbose)
        fprintf(stderr, "== %s (target %s)\n", path, t->name);
    struct bb_finding fd;
    int rc = 0;
    if (bb_run(x, &trace, &fd)) {
        char op[256] = "(after the last operation: end-of-trace checks)";
        if (fd.op_index < trace.n)
            kh_trace_format_op(&trace, fd.op_index, op, sizeof(op));
        printf("%s: kmem-harness finding: %s\n  target %s, line %d: %s\n  %s\n", path, fd.title,
               t->name, fd.line, op, fd.detail);
        findings++;
        rc = 1;
    }
    kh_trace_free(&trace);
    return rc;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* A file, or every file under a directory in name order. */
static int run_path(struct bb *x, const struct bb_target *t, const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
        return 2;
    }
    if (!S_ISDIR(st.st_mode))
        return run_file(x, t, path);
    DIR *d = opendir(path);
    if (!d) {
        fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
        return 2;
    }
    char **names = NULL;
    size_t n = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.')
            continue;
        names = realloc(names, (n + 1) * sizeof(*names));
        size_t len = strlen(path) + strlen(e->d_name) + 2;
        names[n] = malloc(len);
        snprintf(names[n++], len, "%s/%s", path, e->d_name);
    }
    closedir(d);
    if (n)
        qsort(names, n, sizeof(*names), cmp_str);
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        int r = run_path(x, t, names[i]);
        rc = r > rc ? r : rc;
        free(names[i]);
    }
    free(names);
    return rc;
}

static struct bb *open_executor(const struct bb_target *t)
{
    struct bb_options opt = {
        .misuse = t->misuse,
        .validate_every = t->validate_every,
        .log = verbose ? stderr : NULL,
    };
    char err[256];
    struct bb *x = bb_new(&kh_adapter, &opt, err, sizeof(err));
    if (!x) {
        fprintf(stderr, "replay: %s\n", err);
        exit(2);
    }
    return x;
}

static int usage(void)
{
    fprintf(stderr, "usage: replay [-t TARGET] [-v] FILE|DIR...\n"
                    "       replay [-v] --seeds ROOT   (every target over ROOT/<target>/)\n"
                    "targets:");
    for (size_t i = 0; bb_target_at(i); i++)
        fprintf(stderr, " %s", bb_target_at(i)->name);
    fputc('\n', stderr);
    return 2;
}

int main(int argc, char **argv)
{
    const struct bb_target *t = bb_target_find("mixed");
    const char *seeds = NULL;
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (!strcmp(argv[i], "-v")) {
            verbose = true;
        } else if (!strcmp(argv[i], "-t") && i + 1 < argc) {
            if (!(t = bb_target_find(argv[++i]))) {
                fprintf(stderr, "replay: unknown target '%s'\n", argv[i]);
                return usage();
            }
        } else if (!strcmp(argv[i], "--seeds") && i + 1 < argc) {
            seeds = argv[++i];
        } else {
            return usage();
        }
    }
    if (!seeds && i == argc)
        return usage();
    int rc = 0;
    if (seeds) {
        /* One executor per target (their misuse policies differ); the
         * summaries are printed one after another. */
        for (size_t k = 0; bb_target_at(k); k++) {
            const struct bb_target *tk = bb_target_at(k);
            char dir[4096];
            snprintf(dir, sizeof(dir), "%s/%s", seeds, tk->name);
            struct bb *x = open_executor(tk);
            int r = run_path(x, tk, dir);
            rc = r > rc ? r : rc;
            printf("-- target %s --\n", tk->name);
            bb_print_summary(x, stdout);
            bb_free(x);
        }
    } else {
        struct bb *x = open_executor(t);
        for (; i < argc; i++) {
            int r = run_path(x, t, argv[i]);
            rc = r > rc ? r : rc;
        }
        bb_print_summary(x, stdout);
        bb_free(x);
    }
    printf("%u trace file(s), %u finding(s)\n", files, findings);
    if (!files && rc == 0) {
        fprintf(stderr, "replay: no trace files found\n");
        return 2;
    }
    return rc;
}
