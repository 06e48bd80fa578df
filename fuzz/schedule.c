/* schedule.c - the schedule-controlled target (schedule.h): decoder, scheduler,
 * the tasks' operations and the checks.
 *
 * Scheduler. Each task is a thread parked on its own semaphore. The
 * running task reaches a preemption point (the allocator's, through the
 * hook, or the one before each of its operations), picks the next task
 * from the schedule, posts that task's semaphore and waits on its own.
 * Only the task holding the baton touches the instance or this file's
 * state, and every hand-over is a semaphore post and wait, so the run is
 * sequential and free of data races (as ThreadSanitizer sees it too).
 *
 * Checks, as each operation completes:
 *   - a new object must not overlap any object live on any task
 *     (double hand-out, overlap) and must be 8-byte aligned;
 *   - an object holds a pattern made from its identity from allocation to
 *     free; it is verified when it changes hands, at SO_CHECK and before
 *     it is freed;
 *   - kmalloc and kmem_cache_alloc may not fail: the instance has far more
 *     memory than a program can hold.
 * At the end, when every task has freed what it holds and the mailboxes
 * are emptied: the allocator's own validation (lists, per-slab counts,
 * CPU slabs), no allocator report, no lock left held, and the cache must
 * destroy without objects left in it.
 */
#include "schedule.h"

#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_target.h"
#include "gfp.h"
#include "introspect.h"
#include "kmalloc.h"
#include "preempt.h"
#include "slab.h"

const unsigned SCHED_CACHE_SIZES[8] = {64, 96, 192, 512, 1024, 2048, 256, 4096};
const unsigned SCHED_KMALLOC_SIZES[8] = {16, 64, 192, 512, 1024, 2048, 4096, 8192};

static const char *const OP_NAMES[SO_NR] = {
    [SO_KMALLOC] = "kmalloc", [SO_CACHE_ALLOC] = "kmem_cache_alloc", [SO_FREE] = "free",
    [SO_SEND] = "send", [SO_RECV] = "recv", [SO_CHECK] = "check",
};

/* ---- the program ------------------------------------------------------------ */

void sched_decode(const uint8_t *data, size_t size, struct sched_program *out)
{
    memset(out, 0, sizeof(*out));
    uint8_t b0 = size > 0 ? data[0] : 0, b1 = size > 1 ? data[1] : 0;
    size_t n = size > 2 ? data[2] : 0, pos = size < 3 ? size : 3;
    out->nr_tasks = 2 + b0 % 3;
    out->cache_size = SCHED_CACHE_SIZES[(b0 >> 2) & 7];
    for (unsigned t = 0; t < SCHED_MAX_TASKS; t++)
        out->cpu_of[t] = (b1 >> t) & 1;
    for (size_t i = 0; i < n && pos + 2 <= size; i++, pos += 2) {
        unsigned t = (data[pos] & 3u) % out->nr_tasks;
        if (out->nops[t] == SCHED_MAX_OPS)
            continue;
        struct sched_op *op = &out->ops[t][out->nops[t]++];
        op->code = (uint8_t)(((data[pos] >> 2) & 7u) % SO_NR);
        op->slot = (uint8_t)(data[pos] >> 5);
        op->arg = data[pos + 1];
    }
    out->schedule = data + pos;
    out->schedule_len = size - pos > SCHED_MAX_SCHEDULE ? SCHED_MAX_SCHEDULE : size - pos;
}

static void print_op(const struct sched_program *p, const struct sched_op *op, FILE *f)
{
    fprintf(f, "%s s%u", OP_NAMES[op->code], op->slot);
    if (op->code == SO_KMALLOC)
        fprintf(f, " %u B", SCHED_KMALLOC_SIZES[op->arg % 8]);
    else if (op->code == SO_CACHE_ALLOC)
        fprintf(f, " (%u B)", p->cache_size);
    else if (op->code == SO_SEND)
        fprintf(f, " -> T%u", op->arg % p->nr_tasks);
}

void sched_print(const struct sched_program *p, FILE *f)
{
    fprintf(f, "%u tasks on %u CPUs:", p->nr_tasks, SCHED_NR_CPUS);
    for (unsigned t = 0; t < p->nr_tasks; t++)
        fprintf(f, " T%u on CPU %u%s", t, p->cpu_of[t], t + 1 < p->nr_tasks ? "," : "");
    fprintf(f, "; shared cache of %u B objects\n", p->cache_size);
    for (unsigned t = 0; t < p->nr_tasks; t++)
        for (unsigned i = 0; i < p->nops[t]; i++) {
            fprintf(f, "T%u #%u ", t, i);
            print_op(p, &p->ops[t][i], f);
            fputc('\n', f);
        }
    fprintf(f, "schedule (%zu decisions):", p->schedule_len);
    for (size_t i = 0; i < p->schedule_len; i++)
        fprintf(f, " %02x", p->schedule[i]);
    fputc('\n', f);
}

/* ---- run state ---------------------------------------------------------------- */

struct held {
    void *p;            /* NULL: empty */
    unsigned size;
    bool cached;        /* from the shared cache, else kmalloc */
    uint64_t id;
};

struct task {
    pthread_t thread;
    sem_t go;
    unsigned id, cpu, pc;
    bool done;
    const struct kh_lock *waiting;
    struct held slot[SCHED_SLOTS];
    struct held mail[SCHED_MAILBOX];
    unsigned mail_head, mail_len;
};

#define MAX_LIVE (SCHED_MAX_TASKS * (SCHED_SLOTS + SCHED_MAILBOX))
#define HISTORY 24
#define SITE_OP KH_PP_NR   /* the point before an operation */

struct switch_rec {
    size_t step;
    unsigned from, to, op;
    int site;
};

static struct {
    struct kh *kh;
    struct kmem_cache *cache;
    const struct sched_program *p;
    struct task task[SCHED_MAX_TASKS];
    bool running;
    unsigned current;
    size_t step;
    sem_t finished;
    struct held live[MAX_LIVE];
    unsigned nlive;
    uint64_t next_id;
    struct switch_rec hist[HISTORY];
    unsigned nhist;
} S;

static const char *site_name(int site)
{
    return site == SITE_OP ? "operation start" : kh_preempt_site_name((enum kh_preempt_site)site);
}

/* ---- findings ------------------------------------------------------------------ */

static void finding(const char *title, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));
static void finding(const char *title, const char *fmt, ...)
{
    /* Minimizing for another title ($KMEM_FUZZ_TITLE): this input does not
     * count. No task can be unwound from here, so end the process as a
     * clean run (_exit: libFuzzer's exit hook would call it a crash). */
    if (!kh_fuzz_title_wanted(title))
        _exit(0);
    FILE *f = stderr;
    fprintf(f, "\nkmem-harness finding: %s\n", title);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(f, fmt, ap);
    va_end(ap);
    fputc('\n', f);
    if (S.running) {
        const struct task *t = &S.task[S.current];
        fprintf(f, "task T%u (CPU %u), ", t->id, t->cpu);
        if (t->pc < S.p->nops[t->id]) {
            fprintf(f, "operation #%u: ", t->pc);
            print_op(S.p, &S.p->ops[t->id][t->pc], f);
            fputc('\n', f);
        } else {
            fprintf(f, "freeing what it holds after its last operation\n");
        }
    }
    fprintf(f, "schedule decisions taken: %zu of %zu; last task switches:\n", S.step,
            S.p->schedule_len);
    unsigned first = S.nhist > HISTORY ? S.nhist - HISTORY : 0;
    for (unsigned i = first; i < S.nhist; i++) {
        const struct switch_rec *r = &S.hist[i % HISTORY];
        fprintf(f, "  decision %zu: T%u -> T%u at %s (T%u in operation #%u)\n", r->step, r->from,
                r->to, site_name(r->site), r->from, r->op);
    }
    fprintf(f, "---- program ----\n");
    sched_print(S.p, f);
    fprintf(f, "----\n");
    fflush(f);
    abort();
}

/* ---- the scheduler ----------------------------------------------------------- */

static bool runnable(const struct task *t)
{
    int irqs_off_by = kh_cpu_irqs_off_by(S.kh, t->cpu);
    return !t->done && (!t->waiting || kh_lock_free(t->waiting)) &&
           (irqs_off_by < 0 || (unsigned)irqs_off_by == t->id);
}

/* The next task: the schedule's choice among the runnable ones, or, once
 * the schedule is used up, the current task while it can run. -1: none. */
static int pick(void)
{
    unsigned cand[SCHED_MAX_TASKS], n = 0;
    for (unsigned i = 0; i < S.p->nr_tasks; i++)
        if (runnable(&S.task[i]))
            cand[n++] = i;
    if (!n)
        return -1;
    if (S.step < S.p->schedule_len)
        return (int)cand[S.p->schedule[S.step++] % n];
    for (unsigned i = 0; i < n; i++)
        if (cand[i] == S.current)
            return (int)S.current;
    return (int)cand[0];
}

/* libFuzzer's timer signal interrupts sem_wait; waking early would let two
 * tasks run at once. */
static void wait_for(sem_t *sem)
{
    while (sem_wait(sem) != 0)
        if (errno != EINTR)
            abort();
}

static void hand_to(unsigned next)
{
    S.current = next;
    kh_switch_task(S.kh, next, S.task[next].cpu);
    sem_post(&S.task[next].go);
}

static void deadlock(void)
{
    char who[160] = "";
    size_t len = 0;
    for (unsigned i = 0; i < S.p->nr_tasks; i++)
        if (!S.task[i].done && len < sizeof(who))
            len += (size_t)snprintf(who + len, sizeof(who) - len, " T%u%s", i,
                                    S.task[i].waiting ? " (waits for a lock)" : "");
    finding("deadlock: no task can run", "tasks not finished:%s", who);
}

/* The running task may be switched out here. */
static void switch_point(int site, const struct kh_lock *waiting)
{
    struct task *me = &S.task[S.current];
    me->waiting = waiting;
    int next = pick();
    if (next < 0)
        deadlock();
    if ((unsigned)next != S.current) {
        S.hist[S.nhist++ % HISTORY] = (struct switch_rec){ S.step, me->id, (unsigned)next, me->pc, site };
        hand_to((unsigned)next);
        wait_for(&me->go);
    }
    me->waiting = NULL;
}

static void preempt_hook(void *ctx, enum kh_preempt_site site, const struct kh_lock *waiting)
{
    (void)ctx;
    if (S.running) {
        switch_point((int)site, waiting);
        return;
    }
    if (waiting)
        finding("lock still held after every task finished",
                "a free after the run waits for a lock that no task will release");
}

static const struct kh_preempt_ops PREEMPT_OPS = { .point = preempt_hook };

/* ---- objects: shadow and pattern ---------------------------------------------- */

static uint8_t pattern_byte(uint64_t id, unsigned i)
{
    return (uint8_t)(id * 0x9dU + i * 7U + (id >> 8));
}

static void verify(const struct held *h, const char *when)
{
    const uint8_t *b = h->p;
    for (unsigned i = 0; i < h->size; i++)
        if (b[i] != pattern_byte(h->id, i))
            finding("contents corrupted",
                    "object #%llu at %p (%u B) %s: byte %u is 0x%02x, its pattern says 0x%02x: "
                    "something wrote into it while it was live",
                    (unsigned long long)h->id, h->p, h->size, when, i, b[i], pattern_byte(h->id, i));
}

static void got(struct task *t, struct held *slot, void *p, unsigned size, bool cached)
{
    const char *what = cached ? "kmem_cache_alloc" : "kmalloc";
    if (!p)
        finding("unexpected NULL", "%s(%u) failed with far more memory free than the program can hold",
                what, size);
    if ((uintptr_t)p % 8)
        finding("misaligned object", "%s(%u) returned %p, not 8-byte aligned", what, size, p);
    uintptr_t a = (uintptr_t)p;
    for (unsigned i = 0; i < S.nlive; i++) {
        uintptr_t b = (uintptr_t)S.live[i].p;
        if (a < b + S.live[i].size && b < a + size)
            finding(a == b ? "double hand-out" : "overlapping objects",
                    "%s(%u) on T%u returned %p, which overlaps object #%llu at %p (%u B), live "
                    "and not freed since", what, size, t->id, p,
                    (unsigned long long)S.live[i].id, S.live[i].p, S.live[i].size);
    }
    *slot = (struct held){ p, size, cached, ++S.next_id };
    S.live[S.nlive++] = *slot;
    uint8_t *bytes = p;
    for (unsigned i = 0; i < size; i++)
        bytes[i] = pattern_byte(slot->id, i);
}

static void release(struct held *h)
{
    if (!h->p)
        return;
    verify(h, "before its free");
    for (unsigned i = 0; i < S.nlive; i++)
        if (S.live[i].id == h->id) {
            S.live[i] = S.live[--S.nlive];
            break;
        }
    void *p = h->p;
    bool cached = h->cached;
    h->p = NULL;
    if (cached)
        kh_kmem_cache_free(S.kh, S.cache, p);
    else
        kh_kfree(S.kh, p);
}

/* ---- operations ------------------------------------------------------------------ */

static void do_op(struct task *t, const struct sched_op *op)
{
    struct held *slot = &t->slot[op->slot % SCHED_SLOTS];
    switch ((enum sched_opcode)op->code) {
    case SO_KMALLOC: {
        release(slot);
        unsigned size = SCHED_KMALLOC_SIZES[op->arg % 8];
        got(t, slot, kh_kmalloc(S.kh, size, GFP_KERNEL), size, false);
        break;
    }
    case SO_CACHE_ALLOC:
        release(slot);
        got(t, slot, kh_kmem_cache_alloc(S.kh, S.cache, GFP_KERNEL), S.p->cache_size, true);
        break;
    case SO_FREE:
        release(slot);
        break;
    case SO_SEND: {
        struct task *to = &S.task[op->arg % S.p->nr_tasks];
        if (!slot->p || to->mail_len == SCHED_MAILBOX)
            break;
        verify(slot, "when sent");
        to->mail[(to->mail_head + to->mail_len++) % SCHED_MAILBOX] = *slot;
        slot->p = NULL;
        break;
    }
    case SO_RECV:
        if (!t->mail_len)
            break;
        release(slot);
        *slot = t->mail[t->mail_head];
        t->mail_head = (t->mail_head + 1) % SCHED_MAILBOX;
        t->mail_len--;
        verify(slot, "when received");
        break;
    case SO_CHECK:
        if (slot->p)
            verify(slot, "at check");
        break;
    case SO_NR:
        break;
    }
}

static void run_task(struct task *t)
{
    const unsigned n = S.p->nops[t->id];
    for (t->pc = 0; t->pc < n; t->pc++) {
        switch_point(SITE_OP, NULL);
        do_op(t, &S.p->ops[t->id][t->pc]);
    }
    for (unsigned i = 0; i < SCHED_SLOTS; i++)
        if (t->slot[i].p) {
            switch_point(SITE_OP, NULL);
            release(&t->slot[i]);
        }
}

static void *task_thread(void *arg)
{
    struct task *t = arg;
    for (;;) {
        wait_for(&t->go);
        run_task(t);
        t->done = true;
        int next = pick();
        if (next >= 0) {
            hand_to((unsigned)next);
            continue;
        }
        for (unsigned i = 0; i < S.p->nr_tasks; i++)
            if (!S.task[i].done)
                deadlock();
        sem_post(&S.finished);
    }
    return NULL;
}

/* ---- the run ----------------------------------------------------------------------- */

static void setup_once(void)
{
    if (S.kh)
        return;
    struct kh_config cfg;
    if (kh_profile_config(KH_DEFAULT_PROFILE, &cfg) != 0)
        abort();
    if (cfg.nr_cpus < SCHED_NR_CPUS)
        cfg.nr_cpus = SCHED_NR_CPUS;
    const char *err = NULL;
    S.kh = kh_create(&cfg, &err);
    if (!S.kh) {
        fprintf(stderr, "sched: kh_create: %s\n", err ? err : "?");
        abort();
    }
    kh_set_report_mode(S.kh, KH_REPORT_RECORD);
    kh_set_report_quiet(S.kh, true);
    kh_set_preempt(S.kh, &PREEMPT_OPS, NULL);
    sem_init(&S.finished, 0, 0);
    for (unsigned i = 0; i < SCHED_MAX_TASKS; i++) {
        S.task[i].id = i;
        sem_init(&S.task[i].go, 0, 0);
        if (pthread_create(&S.task[i].thread, NULL, task_thread, &S.task[i]) != 0)
            abort();
    }
}

static void check_end(void)
{
    for (unsigned i = 0; i < S.p->nr_tasks; i++) {
        struct task *t = &S.task[i];
        kh_switch_task(S.kh, i, t->cpu);
        for (; t->mail_len; t->mail_len--, t->mail_head = (t->mail_head + 1) % SCHED_MAILBOX)
            release(&t->mail[t->mail_head]);
    }
    for (unsigned cpu = 0; cpu < SCHED_NR_CPUS; cpu++)
        if (kh_cpu_irqs_off_by(S.kh, cpu) >= 0)
            finding("lock still held after every task finished",
                    "task T%d still holds a lock on CPU %u", kh_cpu_irqs_off_by(S.kh, cpu), cpu);
    struct kh_violations v = { 0 };
    if (kh_validate(S.kh, &v)) {
        char title[160];
        snprintf(title, sizeof(title), "invariant broken: %s: %s", v.v[0].subsystem, v.v[0].invariant);
        finding(title, "%s (and %u more violations)", v.v[0].detail, v.n - 1);
    }
    kh_violations_free(&v);
    kh_kmem_cache_destroy(S.kh, S.cache);
    S.cache = NULL;
    for (unsigned i = 0; kh_report_get(S.kh, i); i++) {
        const struct kh_report *r = kh_report_get(S.kh, i);
        if (kh_report_is_detection(r)) {
            char title[160];
            snprintf(title, sizeof(title), "allocator report: %s", r->reason);
            finding(title, "%s", r->text);
        }
    }
}

void sched_run(const struct sched_program *p)
{
    setup_once();
    kh_reset(S.kh);
    S.p = p;
    S.step = 0;
    S.nhist = 0;
    S.nlive = 0;
    S.cache = kh_kmem_cache_create(S.kh, "sched", p->cache_size, 0, 0, NULL);
    if (!S.cache)
        abort();
    for (unsigned i = 0; i < SCHED_MAX_TASKS; i++) {
        struct task *t = &S.task[i];
        t->cpu = p->cpu_of[i];
        t->pc = 0;
        t->done = i >= p->nr_tasks;
        t->waiting = NULL;
        t->mail_head = t->mail_len = 0;
        memset(t->slot, 0, sizeof(t->slot));
    }
    S.running = true;
    S.current = 0;
    int first = pick();
    hand_to((unsigned)first);
    wait_for(&S.finished);
    S.running = false;
    check_end();
}
