/* preempt.h - where a kernel allocator call can be preempted or
 * interrupted, and the locks that keep other tasks out meanwhile.
 *
 * An instance is single-threaded, and by default nothing here does
 * anything. A scheduler (fuzz/sched.c) may install a hook. Then the calls
 * into the instance are made by several tasks: real threads, each pinned
 * to a simulated CPU, of which exactly one runs at any time. At a
 * preemption point the hook may run other tasks before this one goes on.
 * So the interleavings are the ones the scheduler picks, and a run
 * replays exactly from its schedule.
 *
 * The points sit where the kernel's code is exposed to another CPU, or to
 * an interrupt or a preempting task on its own CPU:
 *   - between reading a freelist and the compare-and-swap that commits
 *     the new head (SLUB's per-CPU freelist and a slab's own freelist);
 *   - inside a slab list insertion or removal, which the node's list lock
 *     must cover.
 * Between two points a task's code is atomic. So a compare-and-store with
 * no point inside is as atomic as the kernel's this_cpu_cmpxchg_double
 * (atomic against its own CPU) or cmpxchg_double (against every CPU).
 *
 * A struct kh_lock is a spinlock or a local_lock, taken as SLUB takes them
 * without PREEMPT_RT: with interrupts off. A task that finds one held
 * waits at a KH_PP_LOCK_WAIT point, and the scheduler runs another. While
 * a task holds a lock, no other task of its CPU runs, but tasks of other
 * CPUs do. A task never holds a lock across a return to its caller.
 *
 * Modelled so far: SLUB's fast paths, its slow path under the CPU's local
 * lock, remote frees, and the partial list under the node's list lock.
 * Every other subsystem runs without a point inside, so it is atomic, as
 * under one big lock.
 */
#ifndef KH_PREEMPT_H
#define KH_PREEMPT_H

#include "kmem.h"

enum kh_preempt_site {
    KH_PP_CPU_FREELIST_POP,   /* SLUB alloc: c->freelist and tid read, the swap to come */
    KH_PP_CPU_FREELIST_PUSH,  /* SLUB free to the CPU's own slab */
    KH_PP_SLAB_FREELIST,      /* a slab's own freelist read (remote free, takeover) */
    KH_PP_LIST_MOVE,          /* half-way through a slab list insertion or removal */
    KH_PP_LOCK_WAIT,          /* the lock this task needs is held by another */
    KH_PP_NR
};

struct kh_lock {
    unsigned holder;          /* task + 1; 0: free */
};

struct kh_preempt_ops {
    /* Another task may run now. For KH_PP_LOCK_WAIT, `waiting` is the lock
     * this task waits for; the scheduler must not pick the task again
     * until the lock is free. */
    void (*point)(void *ctx, enum kh_preempt_site site, const struct kh_lock *waiting);
};

/* Installs the hook (NULL: back to single-task mode). Install it before the
 * first call the tasks make: the caches then leave their inline fast paths,
 * which have no preemption points, to the design's own code. */
void kh_set_preempt(struct kh *kh, const struct kh_preempt_ops *ops, void *ctx);
/* The scheduler's switch: the task that runs from now on, and its CPU. */
void kh_switch_task(struct kh *kh, unsigned task, unsigned cpu);
const char *kh_preempt_site_name(enum kh_preempt_site site);
/* True when no task holds l (the scheduler checks the lock a task waits for). */
bool kh_lock_free(const struct kh_lock *l);
/* The task holding locks on cpu, with its interrupts off there: no other
 * task of that CPU may run meanwhile. -1: none. */
int kh_cpu_irqs_off_by(const struct kh *kh, unsigned cpu);

#endif
