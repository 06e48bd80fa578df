/* reset_determinism_test.c - an input's run must not depend on the inputs
 * before it.
 *
 * A fuzz target keeps one allocator instance and one executor for its whole
 * life, with kh_reset between inputs (fuzz_target.c); the crash tools run an
 * input on a fresh instance. A finding the fuzzer reports only reproduces if
 * both give the same run. So for every input in the directories given, this
 * runs it on a shared instance (reset after each input, as the targets do)
 * and on a fresh one, and compares the per-operation JSON of the two runs.
 *
 *   reset_determinism_test TARGET:DIR...
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exec.h"
#include "fuzz_target.h"
#include "kmem.h"

struct runner {
    struct kh *kh;
    struct exec *x;
    char *buf;
    size_t len;
    FILE *json;
};

static int runner_open(struct runner *r, const struct kh_fuzz_target *t)
{
    struct kh_config cfg;
    if (kh_profile_config(t->profile, &cfg) != 0)
        return -1;
    if (t->nr_cpus)
        cfg.nr_cpus = t->nr_cpus;
    cfg.quarantine_objects = t->quarantine;
    snprintf(cfg.slub_debug, sizeof(cfg.slub_debug), "%s", t->slub_debug ? t->slub_debug : "");
    const char *why = NULL;
    if (!(r->kh = kh_create(&cfg, &why))) {
        fprintf(stderr, "%s: cannot create the allocator: %s\n", t->name, why ? why : "?");
        return -1;
    }
    r->buf = NULL;
    r->len = 0;
    if (!(r->json = open_memstream(&r->buf, &r->len)))
        return -1;
    struct exec_options opt = { .misuse = t->misuse, .checks = true, .full_every = t->full_every,
                                .json = r->json, .filename = "input" };
    return (r->x = exec_new(r->kh, &opt)) ? 0 : -1;
}

static void runner_close(struct runner *r)
{
    exec_free(r->x);
    kh_destroy(r->kh);
    fclose(r->json);
    free(r->buf);
}

/* Runs t on r; returns the JSON it printed (owned by the caller) and
 * whether there was a finding. */
static char *run(struct runner *r, const struct kh_trace *t, bool *found)
{
    size_t from = r->len;
    struct exec_finding f;
    *found = exec_run(r->x, t, &f);
    fflush(r->json);
    char *out = strndup(r->buf + from, r->len - from);
    if (!out)
        abort();
    return out;
}

static unsigned char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    unsigned char *data = NULL;
    size_t cap = 0;
    *len = 0;
    for (;;) {
        if (*len == cap && !(data = realloc(data, cap = cap ? cap * 2 : 4096)))
            abort();
        size_t got = fread(data + *len, 1, cap - *len, f);
        if (!got)
            break;
        *len += got;
    }
    fclose(f);
    return data ? data : malloc(1);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Line number of the first difference. */
static unsigned first_diff_line(const char *a, const char *b)
{
    unsigned line = 1;
    for (; *a && *a == *b; a++, b++)
        line += *a == '\n';
    return line;
}

static int check_dir(const struct kh_fuzz_target *t, const char *dir, unsigned *inputs)
{
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "%s: cannot open\n", dir);
        return 1;
    }
    char **names = NULL;
    size_t n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (e->d_name[0] == '.')
            continue;
        if (!(names = realloc(names, (n + 1) * sizeof(*names))) ||
            asprintf(&names[n++], "%s/%s", dir, e->d_name) < 0)
            abort();
    }
    closedir(d);
    qsort(names, n, sizeof(*names), cmp_str);

    struct runner shared;
    if (runner_open(&shared, t) != 0)
        return 1;
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        size_t len;
        unsigned char *data = read_file(names[i], &len);
        struct kh_trace trace;
        if (!data || kh_fuzz_decode(t, data, len, &trace) != 0) {
            fprintf(stderr, "%s: cannot read or decode\n", names[i]);
            bad = 1;
            free(data);
            continue;
        }
        struct runner fresh;
        if (runner_open(&fresh, t) != 0)
            return 1;
        bool found_shared, found_fresh;
        char *a = run(&shared, &trace, &found_shared);
        kh_reset(shared.kh);
        char *b = run(&fresh, &trace, &found_fresh);
        if (strcmp(a, b) != 0 || found_shared != found_fresh) {
            fprintf(stderr, "%s (target %s): the run after %zu other inputs differs from a fresh "
                    "run at JSON line %u (finding: %d vs %d)\n", names[i], t->name, i,
                    first_diff_line(a, b), found_shared, found_fresh);
            bad = 1;
        }
        (*inputs)++;
        free(a);
        free(b);
        runner_close(&fresh);
        kh_trace_free(&trace);
        free(data);
        free(names[i]);
    }
    free(names);
    runner_close(&shared);
    return bad;
}

int main(int argc, char **argv)
{
    int bad = 0;
    unsigned inputs = 0;
    for (int i = 1; i < argc; i++) {
        char *colon = strchr(argv[i], ':');
        const struct kh_fuzz_target *t = NULL;
        if (colon) {
            *colon = '\0';
            t = kh_fuzz_target_find(argv[i]);
        }
        if (!t) {
            fprintf(stderr, "usage: reset_determinism_test TARGET:DIR... ('%s' names no target)\n",
                    argv[i]);
            return 2;
        }
        bad |= check_dir(t, colon + 1, &inputs);
    }
    printf("%u inputs: %s\n", inputs, bad ? "runs differ" : "every run on a reused instance equals a fresh run");
    return bad || inputs == 0;
}
