/* text.c - numbers and names without printf (see text.h). This file is
 * pasted into C reproducers with oracle_proc.c, which uses it.
 *
 * Bytes are copied in plain loops: under ASan every memcpy and strlen
 * call goes through an interceptor that costs more than these short
 * strings do. The loops stay out of the coverage the fuzzer follows;
 * their branches say nothing about the allocator.
 */
#include "text.h"

#ifdef __clang__
#pragma clang attribute push(__attribute__((no_sanitize("coverage"))), apply_to = function)
#endif

char *text_str(char *at, const char *s)
{
    while (*s)
        *at++ = *s++;
    return at;
}

char *text_str_left(char *at, const char *s, unsigned width)
{
    char *end = text_str(at, s);
    while (end < at + width)
        *end++ = ' ';
    return end;
}

char *text_str_right(char *at, const char *s, unsigned width)
{
    unsigned n = 0;
    while (s[n] && n < width)
        n++;
    while (n++ < width)
        *at++ = ' ';
    return text_str(at, s);
}

/* The digits of v, written backwards to end; returns where they start. */
static char *decimal_before(char *end, unsigned long v)
{
    do
        *--end = (char)('0' + v % 10);
    while (v /= 10);
    return end;
}

static char *copy(char *at, const char *from, const char *to)
{
    while (from < to)
        *at++ = *from++;
    return at;
}

char *text_ulong(char *at, unsigned long v)
{
    char tmp[TEXT_NUMBER_MAX], *end = tmp + sizeof(tmp);
    return copy(at, decimal_before(end, v), end);
}

char *text_ulong_right(char *at, unsigned long v, unsigned width)
{
    char tmp[TEXT_NUMBER_MAX], *end = tmp + sizeof(tmp), *p = decimal_before(end, v);
    for (long pad = (long)width - (end - p); pad > 0; pad--)
        *at++ = ' ';
    return copy(at, p, end);
}

/* printf's "%#lx" writes a zero as "0", without the prefix. */
char *text_hex(char *at, unsigned long v)
{
    char tmp[TEXT_NUMBER_MAX], *end = tmp + sizeof(tmp), *p = end;
    do
        *--p = "0123456789abcdef"[v & 15];
    while (v >>= 4);
    if (end - p > 1 || *p != '0')
        at = text_str(at, "0x");
    return copy(at, p, end);
}

#ifdef __clang__
#pragma clang attribute pop
#endif
