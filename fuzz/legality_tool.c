/* legality_tool.c - bazel-bin/fuzz/legality: the legality table (legality.h)
 * as text.
 *
 *   legality --md                 the list of rules for docs/FUZZING.md
 *   legality --write-doc FILE     replaces that list in FILE (between its
 *                                 BEGIN/END markers) with the current one
 *   legality --list               one rule a line: name, verdict, stage,
 *                                 reproducer, the input it decides in (the
 *                                 reproducer or its example), operations
 *                                 (tab-separated)
 *
 * Exit status: 0, 1 when FILE has no markers or cannot be written, 2 usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "legality.h"

#define BEGIN_MARK "<!-- BEGIN legality rules: generated from fuzz/legality.c by " \
                   "`bazel-bin/fuzz/legality --write-doc docs/FUZZING.md`; do not edit -->"
#define END_MARK "<!-- END legality rules -->"

static const char *const stage_titles[] = {
    [LS_FREE] = "The free check: a pointer handed to a free function of one API (kfree, "
                "kmem_cache_free, free_pages, vfree, kvfree, free_percpu, mempool_free, and the "
                "reallocations), first matching row:",
    [LS_PRE] = "An operation's own rules, before its free check (or alone):",
    [LS_MODE] = "Rules that change what runs:",
    [LS_POST] = "An operation's rules after its free check:",
    [LS_OPERAND] = "Marks of the operand bookkeeping (a name's state in the model):",
};

static void print_md(FILE *f)
{
    fprintf(f, "%s\n", BEGIN_MARK);
    fprintf(f, "Each rule is a row of `fuzz/legality.c` (%d rows). Verdicts: *legal*; *misuse, "
               "reported* (run under `expect`, where the allocator must report it); *silent* (6.1 "
               "lets it pass: not run under `expect`); *faults* (it faults before any report, "
               "ASan's to catch: not run under `expect`); *unmodelled* (legal in 6.1, but the model "
               "cannot follow it: not run under `expect`); *ASan's* (a bad access only ASan could "
               "see: not run under `expect`); *unknown* (skipped unless `misuse=run`). "
               "The rule that decided an operation is named in `replay --json` (`\"rule\"`), in a "
               "finding's detail and in the C reproducer; when a silent row qualifies a misuse, the row that "
               "made it one is `\"misuse_rule\"`.\n",
            LR_COUNT);
    int stage = -1;
    static const char *const short_verdict[] = {
        [LV_LEGAL] = "legal", [LV_MISUSE] = "misuse, reported", [LV_SILENT] = "silent",
        [LV_FAULTS] = "faults", [LV_UNMODELLED] = "unmodelled", [LV_ASAN] = "ASan's",
        [LV_UNKNOWN] = "unknown",
    };
    for (int s = LS_FREE; s <= LS_OPERAND; s++) {
        for (unsigned id = 0; id < LR_COUNT; id++) {
            const struct legality_rule *r = &legality_rules[id];
            if ((int)r->stage != s)
                continue;
            if (stage != s) {
                fprintf(f, "\n%s\n\n", stage_titles[s]);
                stage = s;
            }
            fprintf(f, "- `%s` (%s", r->name, short_verdict[r->verdict]);
            if (r->stage != LS_FREE && strcmp(r->ops, "*"))
                fprintf(f, "; %s", r->ops);
            if (!strncmp(r->reproducer, "fuzz/crashes/", 13) || !strncmp(r->reproducer, "fuzz/corpus/", 12))
                fprintf(f, "): %s 6.1: %s. First needed by `%s`", r->summary, r->kernel, r->reproducer);
            else   /* a base rule no finding needed: the input written for it */
                fprintf(f, "): %s 6.1: %s. Example: `%s`", r->summary, r->kernel, r->reproducer);
            if (r->example)
                fprintf(f, " (decides today in `%s`)", r->example);
            fputs(".\n", f);
        }
    }
    fprintf(f, "%s\n", END_MARK);
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            char *nb = realloc(buf, (cap *= 2) + 1);
            if (!nb) {
                free(buf);
                buf = NULL;
            }
            buf = nb;
        }
    }
    fclose(f);
    if (buf)
        buf[n] = '\0';
    *len = n;
    return buf;
}

static int write_doc(const char *path)
{
    size_t len;
    char *doc = slurp(path, &len);
    if (!doc) {
        fprintf(stderr, "legality: cannot read %s\n", path);
        return 1;
    }
    char *b = strstr(doc, "<!-- BEGIN legality rules");
    char *e = b ? strstr(b, END_MARK) : NULL;
    if (!b || !e) {
        fprintf(stderr, "legality: %s has no BEGIN/END legality rules markers\n", path);
        free(doc);
        return 1;
    }
    e += strlen(END_MARK);
    if (*e == '\n')
        e++;
    FILE *f = fopen(path, "wb");
    if (!f) {
        fprintf(stderr, "legality: cannot write %s\n", path);
        free(doc);
        return 1;
    }
    fwrite(doc, 1, (size_t)(b - doc), f);
    print_md(f);
    fputs(e, f);
    free(doc);
    return fclose(f) ? 1 : 0;
}

/* Every row complete, names unique, every operation it names real. */
static int check_table(void)
{
    int bad = 0;
    for (unsigned id = 0; id < LR_COUNT; id++) {
        const struct legality_rule *r = &legality_rules[id];
        if (!r->name || !r->ops || !r->summary || !r->kernel || !r->reproducer ||
            (r->stage != LS_OPERAND) != (r->applies != NULL)) {
            fprintf(stderr, "legality: row %u (%s) is incomplete\n", id, r->name ? r->name : "?");
            bad = 1;
            continue;
        }
        for (unsigned j = 0; j < id; j++)
            if (legality_rules[j].name && !strcmp(legality_rules[j].name, r->name)) {
                fprintf(stderr, "legality: two rows named %s\n", r->name);
                bad = 1;
            }
        for (const char *s = r->ops; *s;) {
            while (*s == ' ')
                s++;
            size_t len = strcspn(s, " ");
            if (len && !(len == 1 && *s == '*') && kh_op_lookup(s, len) == KH_OP_COUNT) {
                fprintf(stderr, "legality: %s names no operation '%.*s'\n", r->name, (int)len, s);
                bad = 1;
            }
            s += len;
        }
    }
    return bad;
}

int main(int argc, char **argv)
{
    if (check_table())
        return 1;
    static const char *const stage_names[] = { "free", "pre", "mode", "post", "operand" };
    if (argc == 2 && !strcmp(argv[1], "--md")) {
        print_md(stdout);
        return 0;
    }
    if (argc == 3 && !strcmp(argv[1], "--write-doc"))
        return write_doc(argv[2]);
    if (argc == 2 && !strcmp(argv[1], "--list")) {
        for (unsigned id = 0; id < LR_COUNT; id++) {
            const struct legality_rule *r = &legality_rules[id];
            printf("%s\t%s\t%s\t%s\t%s\t%s\n", r->name, legality_verdict_name(r->verdict),
                   stage_names[r->stage], r->reproducer, r->example ? r->example : r->reproducer, r->ops);
        }
        return 0;
    }
    fputs("usage: legality --md | --write-doc FILE | --list\n", stderr);
    return 2;
}
