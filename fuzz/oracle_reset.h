/* oracle_reset.h - kh_reset must bring an instance back to the state it was
 * created in (kmem.h: "Back to the just-created state").
 *
 * Every fuzz target resets its one instance between inputs, so a reset that
 * forgets a counter, a list, a cache or some memory makes the next input run
 * on a different allocator than the one its trace was found on: findings
 * stop reproducing and states the fuzzer thinks it reached are not. The
 * oracle takes a snapshot of the fresh instance once: every observable the
 * introspection API gives (zones, free and allocated blocks, watermarks,
 * caches and their counters, vmalloc, per-CPU, mempool and memblock state,
 * fault injection, reports, the copy and clear records, the CPU). After each
 * reset the snapshot must be the same, and the memory of blocks that were
 * allocated before the reset (sampled: the first and last bytes of each
 * block's first page, where the executor writes its content patterns) must
 * read zero again, as the fresh arena does.
 */
#ifndef KH_FUZZ_ORACLE_RESET_H
#define KH_FUZZ_ORACLE_RESET_H

#include <stdbool.h>
#include <stddef.h>

#include "kmem.h"

#define ORACLE_RESET_SAMPLES 256
#define ORACLE_RESET_TITLE "reset not back to the fresh state (oracle)"

struct oracle_reset {
    char *fresh;              /* the fresh instance's snapshot (text) */
    size_t fresh_len;
    char *now;                /* scratch for the snapshot after a reset */
    size_t now_cap;
    unsigned long pfn[ORACLE_RESET_SAMPLES];  /* pages in use before the reset */
    unsigned npfn;
};

/* Snapshot of a just-created (or just-reset, known good) instance. */
bool oracle_reset_init(struct oracle_reset *r, struct kh *kh);
void oracle_reset_free(struct oracle_reset *r);
/* Before kh_reset: remembers which pages are in use (a sample). */
void oracle_reset_before(struct oracle_reset *r, struct kh *kh);
/* After kh_reset: false with the reason in why when the instance is not as
 * fresh. */
bool oracle_reset_check(struct oracle_reset *r, struct kh *kh, char *why, size_t cap);

#endif
