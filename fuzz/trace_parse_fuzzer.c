/* trace_parse_fuzzer.c - fuzzes the operation language itself (trace.h).
 *
 * The input is taken two ways:
 *   - as text: if it parses, its canonical form must parse to an equal
 *     trace and print identically (printing is a fixed point), and its
 *     binary encoding must decode to an equal trace;
 *   - as binary: decoding always succeeds; encode -> decode must give an
 *     equal trace, and the canonical text must re-parse to it. Only the
 *     first BINARY_PREFIX bytes are decoded: the decoder is a prefix code,
 *     so a longer input exercises nothing new, and round-tripping the
 *     thousands of operations a 4 KiB text decodes to as binary cost this
 *     target most of its time (issue 18).
 * The gfp flags' text form (gfp.h) rides along: every gfp operand printed
 * by gfp_format must read back through gfp_parse, and the input's first
 * line, taken as a gfp string, either parses to flags that survive the
 * same round trip or fails pointing into the line.
 * Any disagreement aborts, which libFuzzer reports as a crash.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gfp.h"
#include "trace.h"

#define BINARY_PREFIX 512u

static void require(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "trace_parse_fuzzer: %s\n", what);
        abort();
    }
}

/* t -> text -> parse must give t back, and printing must be a fixed point. */
static void check_text_round_trip(const struct kh_trace *t)
{
    struct kh_trace u;
    struct kh_trace_error err;
    size_t len;
    char *text = kh_trace_to_text(t, &len);
    require(text != NULL, "out of memory");
    kh_trace_init(&u);
    if (kh_trace_parse(text, len, "canonical", &u, &err) != 0) {
        fprintf(stderr, "%s\n%s", err.text, text);
        require(0, "canonical text does not parse");
    }
    require(kh_trace_equal(t, &u), "canonical text parses to a different trace");
    char *again = kh_trace_to_text(&u, NULL);
    require(again && strcmp(again, text) == 0, "canonical text is not a fixed point");
    free(again);
    free(text);
    kh_trace_free(&u);
}

/* t -> binary -> t must be the identity. */
static void check_binary_round_trip(const struct kh_trace *t)
{
    struct kh_trace u;
    uint8_t *bin;
    size_t len;
    require(kh_trace_encode(t, &bin, &len) == 0, "out of memory");
    kh_trace_init(&u);
    require(kh_trace_decode(bin, len, &u) == 0, "out of memory");
    require(kh_trace_equal(t, &u), "decode(encode(t)) != t");
    free(bin);
    kh_trace_free(&u);
}

/* gfp.h's text form: what gfp_format prints, gfp_parse reads back to the
 * same flags; and any line of the input either parses, with a
 * value that prints and re-parses to itself, or names where it fails. */
static void check_gfp_text(const struct kh_trace *t, const uint8_t *data, size_t size)
{
    char buf[512], line[128];
    for (size_t i = 0; i < t->n; i++) {
        const struct kh_op_desc *d = kh_op_desc((enum kh_opcode)t->ops[i].code);
        for (unsigned a = 0; a < kh_op_nargs(d); a++) {
            if (d->args[a].kind != KH_ARG_GFP)
                continue;
            gfp_t g = (gfp_t)t->ops[i].args[a].u, back = ~g;
            gfp_format(g, buf, sizeof(buf));
            const char *bad = NULL;
            require(gfp_parse(buf, &back, &bad) == 0 && back == g,
                    "gfp_parse does not read back what gfp_format printed");
        }
    }
    size_t n = 0;
    while (n < size && n + 1 < sizeof(line) && data[n] != '\n' && data[n] != '\0')
        n++;
    memcpy(line, data, n);
    line[n] = '\0';
    gfp_t g;
    const char *bad = NULL;
    if (gfp_parse(line, &g, &bad) == 0) {
        gfp_t back = ~g;
        gfp_format(g, buf, sizeof(buf));
        require(gfp_parse(buf, &back, NULL) == 0 && back == g,
                "a parsed gfp does not survive gfp_format and gfp_parse");
    } else {
        require(bad >= line && bad <= line + n, "gfp_parse fails without pointing into its text");
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct kh_trace t;
    struct kh_trace_error err;

    kh_trace_init(&t);
    if (kh_trace_parse((const char *)data, size, "input", &t, &err) == 0) {
        check_text_round_trip(&t);
        check_binary_round_trip(&t);
    } else {
        require(err.line >= 1 && err.col >= 1 && err.text[0] != '\0', "error without position");
    }
    kh_trace_free(&t);

    kh_trace_init(&t);
    require(kh_trace_decode(data, size < BINARY_PREFIX ? size : BINARY_PREFIX, &t) == 0,
            "out of memory");
    require(t.n <= KH_TRACE_MAX_OPS, "too many operations decoded");
    check_binary_round_trip(&t);
    check_text_round_trip(&t);
    check_gfp_text(&t, data, size);
    kh_trace_free(&t);
    return 0;
}
