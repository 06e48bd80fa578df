/* concurrent.h - the concurrent black-box tier: one input is a program of
 * 2..4 threads of object operations that run at once, free-running, on real
 * threads, against an adapter that declares KH_CAP_THREAD_SAFE. Blocks
 * travel between threads through mailboxes, so most frees and reallocs of
 * a sent block happen on a thread other than the allocating one. A shared
 * shadow of every live block and a pattern keyed by each block's identity
 * catch what a race in the allocator produces:
 *
 *   double hand-out      one address handed out twice while live
 *   overlapping blocks   two live blocks (of any threads) share a byte
 *   contents corrupted   a block's pattern changed while its holder did not
 *                        touch it (checked on receipt, before every free and
 *                        realloc, and by the check operation)
 *   realloc lost contents  the kept prefix differs after a realloc
 *   misaligned, not zeroed, usable size too small, unexpected NULL
 *   counters do not sum up  at the end allocations minus frees is not 0 on
 *                        all threads together, or the shadow is not empty
 *
 * Input format (every byte string decodes): byte 0 picks the thread count
 * (2 + b % 3) and how often each thread repeats its sequence (1 << ((b >> 4)
 * & 3)); then 4-byte records [op slot a b]: op's high nibble picks the
 * thread (modulo the count), its low nibble the operation; slot % 16 is the
 * thread's slot, slot >> 4 the mailbox a send goes to; a and b make the size
 * (v = a | (b & 63) << 8; b >> 6 picks 1 + v % 64, % 512, % 4096, or
 * 1 + 4 v up to 64 KiB) and a & 7 the alignment (16 << (a & 7)) of an
 * aligned allocation. docs/CONCURRENCY.md has the rest.
 */
#ifndef KH_FUZZ_CONCURRENT_H
#define KH_FUZZ_CONCURRENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "kh_adapter.h"

#define CBB_MAX_THREADS 4
#define CBB_SLOTS 16
#define CBB_MAX_OPS 512    /* per thread; records beyond are ignored */

struct cbb_finding {
    char title[96];        /* no addresses or sizes: one bug, one title */
    char detail[1024];
    int thread;            /* -1: the end-of-input checks */
    unsigned round;        /* which repetition of the thread's sequence */
    size_t op;             /* index in the thread's sequence */
    char op_text[96];      /* that operation, as cbb_print_program shows it */
};

struct cbb;

/* Opens the adapter and starts CBB_MAX_THREADS worker threads, reused by
 * every input. NULL with a reason in err when the adapter does not declare
 * KH_CAP_THREAD_SAFE, lacks the object tier or fails to open. */
struct cbb *cbb_new(const struct kh_adapter *a, char *err, size_t cap);

/* Runs one input to the end; true with *f filled on a finding. After a
 * finding the live blocks are abandoned (the allocator may be broken) and
 * the adapter is reset when it can be; the engine stays usable. */
bool cbb_run(struct cbb *x, const uint8_t *data, size_t size, struct cbb_finding *f);

/* The decoded program, one line per operation ("T1 #3 free s5"). */
void cbb_print_program(const uint8_t *data, size_t size, FILE *out);

/* Inputs run, operations by kind, cross-thread frees, and what was skipped. */
void cbb_print_summary(const struct cbb *x, FILE *out);

void cbb_free(struct cbb *x);

#endif
