/* replay.c - runs trace files (text or binary) against the reference and
 * reports the first finding.
 *
 *   replay [--profile NAME] [--cpus N] [--misuse skip|expect|run]
 *          [--slub-debug LETTERS] [--quarantine N] [--json [--caches]] FILE...
 *
 * --json prints one JSON object per operation; --caches adds, after each
 * file, one object per slab cache alive at the end ({"cache": NAME,
 * "object_size", "size", "align", "order", "objects"}), which is how the
 * kernel oracle reads the kmalloc caches' geometry.
 *
 * Every invariant is validated after every operation. A text trace may carry
 * its own settings on "#!" lines (written by the fuzz targets and the
 * reproduce tool), e.g. "#! profile=linux-6.1-x86_64-16m misuse=skip cpus=2";
 * command-line options win over them.
 *
 * Exit status: 0 no finding, 1 a finding (invariant violated, wrong result,
 * allocator report, or a memory error caught by ASan), 2 invalid input
 * (malformed trace, unreadable file, bad option).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exec.h"
#include "kmem.h"
#include "slab.h"
#include "trace.h"

enum { EXIT_CLEAN = 0, EXIT_FINDING = 1, EXIT_INVALID = 2 };

struct settings {
    const char *profile;
    long cpus;               /* -1: the profile's */
    long quarantine;         /* -1: the profile's */
    const char *slub_debug;  /* NULL: the profile's */
    enum exec_misuse misuse;
    bool misuse_set;
};

static void usage(FILE *f)
{
    fputs("usage: replay [--profile NAME] [--cpus N] [--misuse skip|expect|run]\n"
          "              [--slub-debug LETTERS] [--quarantine N] [--json [--caches]] FILE...\n"
          "exit status: 0 no finding, 1 finding, 2 invalid input\n", f);
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap + 1);
    while (buf) {
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (n < cap)
            break;
        cap *= 2;
        char *nb = realloc(buf, cap + 1);
        if (!nb) {
            free(buf);
            buf = NULL;
        }
        buf = nb;
    }
    int err = ferror(f);
    fclose(f);
    if (!buf || err) {
        free(buf);
        errno = err ? EIO : ENOMEM;
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

static int parse_long(const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 0);
    if (errno || *end || end == s || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

/* Applies one "key=value" setting; from_file settings never override ones
 * given on the command line (those are applied last). */
static int apply_setting(struct settings *s, const char *key, const char *val, const char *where)
{
    long v;
    if (!strcmp(key, "profile")) {
        s->profile = val;
    } else if (!strcmp(key, "cpus")) {
        if (parse_long(val, 1, KH_MAX_CPUS, &v))
            goto bad;
        s->cpus = v;
    } else if (!strcmp(key, "quarantine")) {
        if (parse_long(val, 0, 1 << 20, &v))
            goto bad;
        s->quarantine = v;
    } else if (!strcmp(key, "slub_debug") || !strcmp(key, "slub-debug")) {
        s->slub_debug = val;
    } else if (!strcmp(key, "misuse")) {
        if (exec_misuse_parse(val, &s->misuse))
            goto bad;
        s->misuse_set = true;
    } else if (!strcmp(key, "target")) {
        /* informational: which fuzz target produced the trace */
    } else {
        fprintf(stderr, "%s: error: unknown setting '%s'\n", where, key);
        return -1;
    }
    return 0;
bad:
    fprintf(stderr, "%s: error: invalid value '%s' for %s\n", where, val, key);
    return -1;
}

/* "#! key=value ..." lines of a text trace. The values are tokenized in
 * `vals`, a copy of the text owned by the caller (they must outlive the
 * run); in `text` the lines become plain comments for the parser. */
static int read_directives(char *text, char *vals, size_t len, const char *path, struct settings *s)
{
    int line = 1;
    for (size_t i = 0; i < len; line++) {
        size_t end = i;
        while (end < len && text[end] != '\n')
            end++;
        if (end - i >= 2 && text[i] == '#' && text[i + 1] == '!') {
            vals[end] = '\0';
            char *save = NULL;
            for (char *tok = strtok_r(vals + i + 2, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
                char *eq = strchr(tok, '=');
                char where[512];
                snprintf(where, sizeof(where), "%s:%d", path, line);
                if (!eq) {
                    fprintf(stderr, "%s: error: expected key=value in '#!' line, got '%s'\n", where, tok);
                    return -1;
                }
                *eq = '\0';
                if (apply_setting(s, tok, eq + 1, where))
                    return -1;
            }
            text[i + 1] = ' ';   /* "#!" -> "# " */
        }
        i = end + 1;
    }
    return 0;
}

static struct kh *make_instance(const struct settings *s, const char *path)
{
    struct kh_config cfg;
    if (kh_profile_config(s->profile, &cfg) != 0) {
        fprintf(stderr, "%s: error: unknown profile '%s' (known:", path, s->profile);
        for (const char *const *n = kh_profile_names(); *n; n++)
            fprintf(stderr, " %s", *n);
        fputs(")\n", stderr);
        return NULL;
    }
    if (s->cpus > 0)
        cfg.nr_cpus = (unsigned)s->cpus;
    if (s->quarantine >= 0)
        cfg.quarantine_objects = (unsigned)s->quarantine;
    if (s->slub_debug)
        snprintf(cfg.slub_debug, sizeof(cfg.slub_debug), "%s", s->slub_debug);
    const char *err = NULL;
    struct kh *kh = kh_create(&cfg, &err);
    if (!kh)
        fprintf(stderr, "%s: error: invalid configuration: %s\n", path, err);
    return kh;
}

static int print_cache(void *ctx, const struct kh_cache_info *c)
{
    (void)ctx;
    printf("{\"cache\": \"%s\", \"object_size\": %u, \"size\": %u, \"align\": %u, "
           "\"order\": %u, \"objects\": %u}\n",
           c->name, c->object_size, c->size, c->align, c->order, c->objects_per_slab);
    return 0;
}

static bool is_flag(const char *arg)
{
    return !strcmp(arg, "--json") || !strcmp(arg, "--caches");
}

static int replay_file(const char *path, const struct settings *cli, int argc, char **argv, bool json,
                       bool caches)
{
    size_t len = 0;
    char *data = read_file(path, &len);
    if (!data) {
        fprintf(stderr, "%s: error: cannot read: %s\n", path, strerror(errno));
        return EXIT_INVALID;
    }
    struct settings s = { .profile = KH_DEFAULT_PROFILE, .cpus = -1, .quarantine = -1,
                          .misuse = EXEC_MISUSE_RUN };
    bool binary = kh_trace_is_binary((const uint8_t *)data, len);
    char *vals = malloc(len + 1);   /* the directives' values live here */
    if (!vals) {
        free(data);
        fprintf(stderr, "%s: error: out of memory\n", path);
        return EXIT_INVALID;
    }
    memcpy(vals, data, len + 1);
    if (!binary && read_directives(data, vals, len, path, &s)) {
        free(vals);
        free(data);
        return EXIT_INVALID;
    }
    /* command line last: it wins */
    for (int i = 1; i + 1 < argc; i++) {
        if (!strncmp(argv[i], "--", 2) && !is_flag(argv[i]))
            apply_setting(&s, argv[i] + 2, argv[i + 1], "command line"), i++;
    }
    (void)cli;

    struct kh_trace t;
    struct kh_trace_error perr;
    kh_trace_init(&t);
    if (kh_trace_load((const uint8_t *)data, len, path, &t, &perr) != 0) {
        fprintf(stderr, "%s\n", perr.text);
        kh_trace_free(&t);
        free(vals);
        free(data);
        return EXIT_INVALID;
    }
    free(data);
    struct kh *kh = make_instance(&s, path);
    if (!kh) {
        kh_trace_free(&t);
        free(vals);
        return EXIT_INVALID;
    }
    struct exec_options opt = { .misuse = s.misuse, .checks = true, .full_every = 1,
                                .json = json ? stdout : NULL, .filename = path };
    struct exec *x = exec_new(kh, &opt);
    struct exec_finding f;
    int rc = EXIT_CLEAN;
    if (exec_run(x, &t, &f)) {
        char op[256];
        kh_trace_format_op(&t, f.op_index, op, sizeof(op));
        fflush(stdout);
        fprintf(stderr, "%s:%d: finding: %s\n  operation: %s\n  %s\n", path, f.line, f.title, op,
                f.detail);
        rc = EXIT_FINDING;
    } else if (!json) {
        printf("%s: %zu operations (%zu skipped by misuse policy '%s'), profile %s: no finding\n",
               path, t.n, exec_skipped(x), exec_misuse_name(s.misuse), s.profile);
    }
    if (json && caches)
        kh_for_each_cache(kh, print_cache, NULL);
    exec_free(x);
    kh_destroy(kh);
    kh_trace_free(&t);
    free(vals);
    return rc;
}

int main(int argc, char **argv)
{
    bool json = false, caches = false;
    int nfiles = 0, worst = EXIT_CLEAN;
    static const char *const valued[] = { "--profile", "--cpus", "--misuse", "--slub-debug",
                                          "--quarantine", NULL };
    struct settings check = { .profile = KH_DEFAULT_PROFILE, .cpus = -1, .quarantine = -1 };
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json")) {
            json = true;
            continue;
        }
        if (!strcmp(argv[i], "--caches")) {
            caches = true;
            continue;
        }
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            usage(stdout);
            return EXIT_CLEAN;
        }
        if (!strncmp(argv[i], "--", 2)) {
            bool known = false;
            for (const char *const *v = valued; *v; v++)
                known |= !strcmp(argv[i], *v);
            if (!known || i + 1 >= argc) {
                fprintf(stderr, "replay: %s option '%s'\n", known ? "missing value for" : "unknown",
                        argv[i]);
                usage(stderr);
                return EXIT_INVALID;
            }
            if (apply_setting(&check, argv[i] + 2, argv[i + 1], "command line"))
                return EXIT_INVALID;
            i++;
            continue;
        }
        nfiles++;
    }
    if (caches && !json) {
        fputs("replay: --caches needs --json\n", stderr);
        return EXIT_INVALID;
    }
    if (nfiles == 0) {
        usage(stderr);
        return EXIT_INVALID;
    }
    for (int i = 1; i < argc; i++) {
        if (is_flag(argv[i]))
            continue;
        if (!strncmp(argv[i], "--", 2)) {
            i++;
            continue;
        }
        int rc = replay_file(argv[i], &check, argc, argv, json, caches);
        if (rc == EXIT_INVALID)
            worst = EXIT_INVALID;
        else if (rc == EXIT_FINDING && worst == EXIT_CLEAN)
            worst = EXIT_FINDING;
    }
    return worst;
}
