/* check.h - minimal assertions for the allocator's plain C test programs.
 *
 * Each failed check prints file:line and, for the comparison forms, both
 * values; the run continues so one execution shows every failure.
 * check_summary() prints "N checks, M failed" and returns the exit status.
 * Header-only: include it from exactly one translation unit per test.
 */
#ifndef KH_TESTS_CHECK_H
#define KH_TESTS_CHECK_H

#include <stdio.h>
#include <string.h>

static unsigned check_total_, check_failed_;

/* Counts one check; returns ok. For custom checks that print their own
 * diagnostics: if (!check_record(ok)) fprintf(stderr, "%s:%d: ...", ...). */
static inline int check_record(int ok)
{
    check_total_++;
    if (!ok)
        check_failed_++;
    return ok;
}

#define CHECK(cond)                                                                  \
    do {                                                                             \
        if (!check_record(!!(cond)))                                                \
            fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); \
    } while (0)

#define CHECK_EQ_U(a, b)                                                              \
    do {                                                                              \
        unsigned long long a_ = (unsigned long long)(a);                              \
        unsigned long long b_ = (unsigned long long)(b);                              \
        if (!check_record(a_ == b_))                                                 \
            fprintf(stderr, "%s:%d: CHECK_EQ_U(%s, %s) failed: %llu (%#llx) != %llu (%#llx)\n", \
                    __FILE__, __LINE__, #a, #b, a_, a_, b_, b_);                      \
    } while (0)

#define CHECK_EQ_STR(a, b)                                                            \
    do {                                                                              \
        const char *a_ = (a), *b_ = (b);                                              \
        if (!check_record(a_ && b_ && strcmp(a_, b_) == 0))                          \
            fprintf(stderr, "%s:%d: CHECK_EQ_STR(%s, %s) failed:\n  \"%s\"\n  \"%s\"\n", \
                    __FILE__, __LINE__, #a, #b, a_ ? a_ : "(null)", b_ ? b_ : "(null)"); \
    } while (0)

/* haystack contains needle */
#define CHECK_CONTAINS(hay, needle)                                                   \
    do {                                                                              \
        const char *h_ = (hay), *n_ = (needle);                                       \
        if (!check_record(h_ && n_ && strstr(h_, n_) != NULL))                       \
            fprintf(stderr, "%s:%d: CHECK_CONTAINS(%s, %s) failed:\n  \"%s\"\n  lacks \"%s\"\n", \
                    __FILE__, __LINE__, #hay, #needle, h_ ? h_ : "(null)", n_ ? n_ : "(null)"); \
    } while (0)

static inline unsigned check_failures(void) { return check_failed_; }

static inline int check_summary(void)
{
    printf("%u checks, %u failed\n", check_total_, check_failed_);
    return check_failed_ ? 1 : 0;
}

#endif
