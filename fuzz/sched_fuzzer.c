/* sched_fuzzer.c - SLUB's fast paths, slow path and remote frees under a
 * schedule: 2 to 4 tasks on two CPUs, switched at the allocator's
 * preemption points as the input says (fuzz/schedule.h). */
#include "schedule.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct sched_program program;
    sched_decode(data, size, &program);
    sched_run(&program);
    return 0;
}
