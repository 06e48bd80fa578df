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
 * Any disagreement aborts, which libFuzzer reports as a crash.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    kh_trace_free(&t);
    return 0;
}
