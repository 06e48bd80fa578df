/* tool_options.c - shared command-line options (tool_options.h). */
#include "tool_options.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The tools run inputs in child processes and read the sanitizers' reports:
 * UBSan must print a stack so that the report names a function, and leaks
 * of a child that is about to _exit are not findings. */
const char *__asan_default_options(void);
const char *__asan_default_options(void) { return "detect_leaks=0:handle_abort=1"; }
const char *__ubsan_default_options(void);
const char *__ubsan_default_options(void) { return "print_stacktrace=1"; }

void tool_options_init(struct tool_options *t)
{
    memset(t, 0, sizeof(*t));
    t->load.overrides = t->kv;
}

int tool_options_take(struct tool_options *t, int argc, char **argv, int i)
{
    static const char *const valued[][2] = {
        { "--profile", "profile" }, { "--misuse", "misuse" }, { "--cpus", "cpus" },
        { "--quarantine", "quarantine" }, { "--slub-debug", "slub_debug" },
    };
    const char *a = argv[i];
    if (!strcmp(a, "--binary")) {
        t->load.force_raw = true;
        return 1;
    }
    if (!strcmp(a, "--target")) {
        if (i + 1 >= argc) {
            fprintf(stderr, "missing value for --target\n");
            return -1;
        }
        t->load.target = argv[i + 1];
        return 2;
    }
    for (size_t k = 0; k < sizeof(valued) / sizeof(valued[0]); k++) {
        if (strcmp(a, valued[k][0]))
            continue;
        if (i + 1 >= argc) {
            fprintf(stderr, "missing value for %s\n", a);
            return -1;
        }
        if (t->nkv + 3 > (int)(sizeof(t->kv) / sizeof(t->kv[0]))) {
            fprintf(stderr, "too many settings on the command line\n");
            return -1;
        }
        t->kv[t->nkv++] = valued[k][1];
        t->kv[t->nkv++] = argv[i + 1];
        t->kv[t->nkv] = NULL;
        return 2;
    }
    return 0;
}

int tool_parse_ulong(const char *opt, const char *s, unsigned long lo, unsigned long hi,
                     unsigned long *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 0);
    if (errno || end == s || *end || *s == '-' || v < lo || v > hi) {
        fprintf(stderr, "invalid value '%s' for %s (expected %lu..%lu)\n", s, opt, lo, hi);
        return -1;
    }
    *out = v;
    return 0;
}
