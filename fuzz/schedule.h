/* schedule.h - the schedule-controlled target: tasks on CPUs, and a schedule.
 *
 * A program is one operation sequence per task (2 to 4 tasks), each task
 * a real thread pinned to one of two simulated CPUs, several tasks may
 * share a CPU. The tasks run on one reference instance with preemption
 * points installed (allocator/preempt.h). At every point, and before every
 * operation, the scheduler takes the next schedule byte and runs the task
 * it names among those that can run. When the schedule is used up, the
 * running task goes on while it can. Exactly one task runs at a time, so a
 * run is a function of the input alone and replays exactly.
 *
 * Encoding (every byte string decodes):
 *   byte 0   tasks = 2 + b % 3; the shared cache's object size =
 *            SCHED_CACHE_SIZES[(b >> 2) & 7]
 *   byte 1   bit i: the CPU of task i
 *   byte 2   n, the number of operations that follow (at most what the
 *            input holds)
 *   2n bytes one operation each: task (bits 0-1, modulo the task count),
 *            opcode (bits 2-4, modulo SO_NR), slot (bits 5-7); then an
 *            argument byte
 *   the rest the schedule, one byte per decision: the task that runs next
 *            is runnable[b % number runnable], in task order
 */
#ifndef KH_SCHEDULE_H
#define KH_SCHEDULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define SCHED_MAX_TASKS 4
#define SCHED_NR_CPUS 2
#define SCHED_MAX_OPS 64      /* per task */
#define SCHED_SLOTS 8         /* objects a task holds by name */
#define SCHED_MAILBOX 16      /* objects waiting for a task */
#define SCHED_MAX_SCHEDULE 4096

enum sched_opcode {
    SO_KMALLOC,      /* slot = kmalloc(SCHED_KMALLOC_SIZES[arg % 8]); frees what the slot held */
    SO_CACHE_ALLOC,  /* slot = kmem_cache_alloc(shared cache); the same */
    SO_FREE,         /* kfree / kmem_cache_free the slot's object */
    SO_SEND,         /* the slot's object goes to task arg's mailbox */
    SO_RECV,         /* the oldest object in this task's mailbox goes to the slot */
    SO_CHECK,        /* the slot's object still holds its pattern */
    SO_NR
};

struct sched_op {
    uint8_t code, slot, arg;
};

struct sched_program {
    unsigned nr_tasks;
    unsigned cpu_of[SCHED_MAX_TASKS];
    unsigned cache_size;
    unsigned nops[SCHED_MAX_TASKS];
    struct sched_op ops[SCHED_MAX_TASKS][SCHED_MAX_OPS];
    const uint8_t *schedule;
    size_t schedule_len;
};

extern const unsigned SCHED_CACHE_SIZES[8];
extern const unsigned SCHED_KMALLOC_SIZES[8];

void sched_decode(const uint8_t *data, size_t size, struct sched_program *out);
/* The program as text: tasks, CPUs, operations, schedule. */
void sched_print(const struct sched_program *p, FILE *f);

/* Runs p on the process's instance (made on first use, reset before each
 * run). On a finding it prints "kmem-harness finding: TITLE", what was
 * seen, the last task switches and the program, then aborts. */
void sched_run(const struct sched_program *p);

#endif
