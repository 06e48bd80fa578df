/* trace_tool.c - `trace`, the converter between the text and binary forms of
 * operation traces (fuzz/trace.h).
 *
 *   trace fmt FILE          canonical text of a text or binary trace
 *   trace to-bin IN OUT     binary encoding of a text or binary trace
 *   trace to-text IN        same as fmt (named for symmetry with to-bin)
 *   trace check FILE...     validates; prints "FILE: N operations, M variables"
 *   trace encoding          the binary encoding's operation numbers and every
 *                           target's operation list: what committed inputs
 *                           decode by (fuzz/encoding.golden holds it fixed)
 *
 * Input form is detected (kh_trace_is_binary); --binary before the command
 * forces binary decoding, for headerless fuzzer inputs that happen to be
 * printable. --target NAME (before the command) decodes headerless input as
 * that fuzz target does, and makes to-bin write the target's own headerless
 * encoding (what the seed corpora use: mutations stay among the target's
 * operations). FILE may be "-" for standard input. Exit status: 0 success, 1 invalid
 * input (the message names file:line:column), 2 usage or I/O error.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_target.h"
#include "trace.h"

enum { EXIT_INVALID = 1, EXIT_USAGE = 2 };

static int usage(void)
{
    fprintf(stderr,
            "usage: trace [--binary] [--target NAME] fmt FILE\n"
            "       trace [--binary] [--target NAME] to-bin IN OUT\n"
            "       trace [--binary] [--target NAME] to-text IN\n"
            "       trace [--binary] [--target NAME] check FILE...\n"
            "       trace encoding\n");
    return EXIT_USAGE;
}

/* Reads a whole file ("-" = stdin) into a malloc'd buffer. */
static int read_all(const char *path, uint8_t **out, size_t *len)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "trace: %s: %s\n", path, strerror(errno));
        return -1;
    }
    size_t cap = 4096, n = 0;
    uint8_t *buf = malloc(cap);
    while (buf) {
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap)
            break;
        uint8_t *nb = realloc(buf, cap * 2);
        if (!nb) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = nb;
        cap *= 2;
    }
    int err = ferror(f);
    if (f != stdin)
        fclose(f);
    if (!buf || err) {
        fprintf(stderr, "trace: %s: read failed\n", path);
        free(buf);
        return -1;
    }
    *out = buf;
    *len = n;
    return 0;
}

static int force_binary;
static const struct kh_fuzz_target *target;

/* Loads a trace; returns 0, EXIT_INVALID or EXIT_USAGE (I/O). */
static int load(const char *path, struct kh_trace *t)
{
    uint8_t *data;
    size_t len;
    struct kh_trace_error err;
    if (read_all(path, &data, &len))
        return EXIT_USAGE;
    kh_trace_init(t);
    int rc;
    if (target && (force_binary || kh_trace_is_binary(data, len))) {
        rc = kh_fuzz_decode(target, data, len, t);
        snprintf(err.text, sizeof(err.text), "%s: error: out of memory", path);
    } else if (force_binary) {
        rc = kh_trace_decode(data, len, t);
        snprintf(err.text, sizeof(err.text), "%s: error: out of memory", path);
    } else {
        rc = kh_trace_load(data, len, path, t, &err);
    }
    free(data);
    if (rc) {
        fprintf(stderr, "%s\n", err.text);
        kh_trace_free(t);
        return EXIT_INVALID;
    }
    return 0;
}

static int cmd_fmt(const char *path)
{
    struct kh_trace t;
    int rc = load(path, &t);
    if (rc)
        return rc;
    size_t len;
    char *text = kh_trace_to_text(&t, &len);
    kh_trace_free(&t);
    if (!text) {
        fprintf(stderr, "trace: out of memory\n");
        return EXIT_USAGE;
    }
    fwrite(text, 1, len, stdout);
    free(text);
    return fflush(stdout) ? EXIT_USAGE : 0;
}

static int cmd_to_bin(const char *in, const char *out)
{
    struct kh_trace t;
    int rc = load(in, &t);
    if (rc)
        return rc;
    uint8_t *bin;
    size_t len;
    rc = target ? kh_trace_encode_subset(&t, target->ops, target->nops, &bin, &len)
                : kh_trace_encode(&t, &bin, &len);
    kh_trace_free(&t);
    if (rc > 0) {
        fprintf(stderr, "%s: error: an operation is not among target %s's operations\n", in, target->name);
        return EXIT_INVALID;
    }
    if (rc) {
        fprintf(stderr, "trace: out of memory\n");
        return EXIT_USAGE;
    }
    FILE *f = strcmp(out, "-") == 0 ? stdout : fopen(out, "wb");
    if (!f) {
        fprintf(stderr, "trace: %s: %s\n", out, strerror(errno));
        free(bin);
        return EXIT_USAGE;
    }
    int bad = fwrite(bin, 1, len, f) != len;
    bad |= f == stdout ? fflush(f) != 0 : fclose(f) != 0;
    free(bin);
    if (bad) {
        fprintf(stderr, "trace: %s: write failed\n", out);
        return EXIT_USAGE;
    }
    return 0;
}

static int cmd_check(int n, char **paths)
{
    int worst = 0;
    for (int i = 0; i < n; i++) {
        struct kh_trace t;
        int rc = load(paths[i], &t);
        if (rc) {
            worst = rc > worst ? rc : worst;
            continue;
        }
        printf("%s: %zu operations, %zu variables\n", paths[i], t.n, t.nvars);
        kh_trace_free(&t);
    }
    return worst;
}

/* What the bytes of every committed input mean. Opcode bytes map onto the
 * operation numbers, and a target's opcode byte b onto ops[b % nops], so
 * renumbering an operation, or inserting, removing or reordering one in a
 * target's list, silently turns its corpus into other programs. */
static int cmd_encoding(void)
{
    printf("# operation numbers of the binary encoding (versions 1-%u use those below %u, %u, %u, %u)\n",
           KH_TRACE_VERSION_MAX, KH_OP_COUNT_V1, KH_OP_COUNT_V2, KH_OP_COUNT_V3, KH_OP_COUNT);
    for (unsigned op = 0; op < KH_OP_COUNT; op++)
        printf("op %u %s\n", op, kh_op_desc(op)->name);
    printf("# each target's opcode byte b runs ops[b %% nops]\n");
    for (size_t i = 0; kh_fuzz_target_at(i); i++) {
        const struct kh_fuzz_target *t = kh_fuzz_target_at(i);
        printf("target %s:", t->name);
        if (!t->ops)
            printf(" (headerless: the version-1 operations, ops[b %% %u])", KH_OP_COUNT_V1);
        for (unsigned j = 0; t->ops && j < t->nops; j++)
            printf(" %s(%u)", kh_op_desc(t->ops[j])->name, t->ops[j]);
        printf("\n");
    }
    return 0;
}

int main(int argc, char **argv)
{
    for (;;) {
        if (argc >= 2 && strcmp(argv[1], "--binary") == 0) {
            force_binary = 1;
            argv++;
            argc--;
        } else if (argc >= 3 && strcmp(argv[1], "--target") == 0) {
            target = kh_fuzz_target_find(argv[2]);
            if (!target || !target->ops) {
                fprintf(stderr, "trace: '%s' is not a fuzz target with its own operation set\n", argv[2]);
                return EXIT_USAGE;
            }
            argv += 2;
            argc -= 2;
        } else {
            break;
        }
    }
    if (argc < 2)
        return usage();
    const char *cmd = argv[1];
    if ((strcmp(cmd, "fmt") == 0 || strcmp(cmd, "to-text") == 0) && argc == 3)
        return cmd_fmt(argv[2]);
    if (strcmp(cmd, "to-bin") == 0 && argc == 4)
        return cmd_to_bin(argv[2], argv[3]);
    if (strcmp(cmd, "encoding") == 0 && argc == 2)
        return cmd_encoding();
    if (strcmp(cmd, "check") == 0 && argc >= 3)
        return cmd_check(argc - 2, argv + 2);
    return usage();
}
