/* tool_options.h - the command-line options minimize and reproduce share:
 * which target an input came from and the settings to run it under. */
#ifndef KH_FUZZ_TOOL_OPTIONS_H
#define KH_FUZZ_TOOL_OPTIONS_H

#include "crash.h"

#define TOOL_OPTIONS_HELP                                                              \
    "  --target NAME        the fuzz target the input came from (its settings and,\n" \
    "                       for raw inputs, its operation subset)\n"                   \
    "  --binary             decode as a raw fuzzer input even if it looks like text\n" \
    "  --profile P, --misuse skip|expect|run, --cpus N, --quarantine N,\n"            \
    "  --slub-debug LETTERS override the input's settings\n"

struct tool_options {
    const char *input;
    struct crash_load_options load;
    const char *kv[16];      /* key, value, ..., NULL */
    int nkv;
};

void tool_options_init(struct tool_options *t);
/* When argv[i] is one of the shared options, consumes it and its value and
 * returns how many arguments it used; 0 when it is not; -1 (after a
 * message) when its value is missing. */
int tool_options_take(struct tool_options *t, int argc, char **argv, int i);
/* Parses an integer option value in [lo, hi]; -1 (after a message) if not. */
int tool_parse_ulong(const char *opt, const char *s, unsigned long lo, unsigned long hi,
                     unsigned long *out);

#endif
