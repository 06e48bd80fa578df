/* exec_limits.h - how much of each block the executor patterns and checks,
 * and how often it checks them all: one definition for the executor
 * (exec.c), the C generator (cgen.c) and the reproducer runtime, into
 * whose text this header is pasted (REPRO_SHARED_HEADERS in fuzz/BUILD),
 * so that a generated program checks what the fuzzer checked. */
#ifndef KH_FUZZ_EXEC_LIMITS_H
#define KH_FUZZ_EXEC_LIMITS_H

#define PATTERN_CAP 4096u      /* bytes of a block that carry the pattern */
#define ZERO_CHECK_CAP 65536u  /* bytes checked after a zeroing allocation */
#define VERIFY_ALL_EVERY 64u   /* operations between checks of every live block */

#endif
