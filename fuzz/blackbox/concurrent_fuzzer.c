/* concurrent_fuzzer.c - the concurrent black-box target (concurrent.h)
 * against the adapter the binary links: one binary per thread-safe adapter
 * (blackbox.bzl, kh_bb_concurrent). Also the regression tests' entry point,
 * with fuzz/standalone_main.c instead of libFuzzer. */
#include <stdio.h>
#include <stdlib.h>

#include "concurrent.h"

static struct cbb *engine;

/* Under ThreadSanitizer (the _tsan binaries and tests). libFuzzer's
 * coverage counters are bumped by every worker thread without a lock, by
 * design (a lost count costs nothing); and the system allocators are
 * uninstrumented libraries whose own synchronisation TSan cannot see, so
 * the libc calls they make (mimalloc's memset of fresh segments, ...) are
 * not judged. Races in the harness and in an instrumented allocator are. */
const char *__tsan_default_suppressions(void);
/* TSan calls this before it is initialised: no instrumentation in it. */
__attribute__((disable_sanitizer_instrumentation)) const char *__tsan_default_suppressions(void)
{
    return "race:__sancov_cntrs\n"
           "called_from_lib:libjemalloc.so\n"
           "called_from_lib:libmimalloc.so\n"
           "called_from_lib:libtcmalloc_minimal.so\n";
}

static void summary_at_exit(void)
{
    const char *q = getenv("KMEM_BB_QUIET");
    if (engine && !(q && *q))
        cbb_print_summary(engine, stderr);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!engine) {
        char err[512];
        if (!(engine = cbb_new(&kh_adapter, err, sizeof(err)))) {
            fprintf(stderr, "concurrent target: %s\n", err);
            exit(2);
        }
        atexit(summary_at_exit);
    }
    struct cbb_finding f;
    if (!cbb_run(engine, data, size, &f))
        return 0;
    fprintf(stderr, "\nkmem-harness finding: %s\nallocator: %s (%s)  target: blackbox/concurrent\n",
            f.title, kh_adapter.name, kh_adapter.description ? kh_adapter.description : "");
    if (f.thread >= 0)
        fprintf(stderr, "thread T%d, round %u, operation #%zu: %s\n", f.thread, f.round, f.op,
                f.op_text);
    else
        fprintf(stderr, "at the end of the input, after every thread finished\n");
    fprintf(stderr, "%s\n(free-running threads: a rerun of this input may interleave differently)\n"
                    "---- program ----\n", f.detail);
    cbb_print_program(data, size, stderr);
    fprintf(stderr, "----\n");
    fflush(stderr);
    abort();
}
