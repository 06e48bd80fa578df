/* text.h - numbers and names written as printf would, without printf.
 *
 * The end-of-input oracles render texts after every fuzz input (the
 * reset snapshot, the expected /proc/slabinfo rows), and under ASan the
 * vsnprintf interceptor was the largest part of an input's fixed cost.
 * Each function writes at `at`, which the caller has sized for the text
 * (TEXT_NUMBER_MAX per number), adds no NUL, and returns the end.
 */
#ifndef KH_FUZZ_TEXT_H
#define KH_FUZZ_TEXT_H

#define TEXT_NUMBER_MAX 24   /* "0x" and 16 hex digits, or 20 decimal ones */

char *text_str(char *at, const char *s);
char *text_str_left(char *at, const char *s, unsigned width);         /* %-*s */
char *text_str_right(char *at, const char *s, unsigned width);        /* %*s */
char *text_ulong(char *at, unsigned long v);                          /* %lu */
char *text_ulong_right(char *at, unsigned long v, unsigned width);    /* %*lu */
char *text_hex(char *at, unsigned long v);                            /* %#lx */

#endif
