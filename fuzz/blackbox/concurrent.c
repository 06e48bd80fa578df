/* concurrent.c - the concurrent black-box engine (see concurrent.h).
 *
 * Threads. CBB_MAX_THREADS workers are started once and parked on a
 * semaphore each; an input wakes the first N of them, which meet at a
 * barrier and then run their sequences free, with no harness lock around
 * the allocator's calls: the interleaving is whatever the two cores and the
 * scheduler make of it (this is the stress form; nothing here is replayed
 * step by step). A second barrier separates the sequences from the final
 * drain of the mailboxes, so every sent block is freed by its receiver.
 *
 * Shadow. Every live block is entered, for each 4 KiB granule it touches,
 * in a hash table of granules whose buckets have a lock each: inserting a
 * block scans only the blocks sharing its granules, so threads rarely meet
 * on a bucket and the check stays a few hundred nanoseconds. A block leaves
 * the shadow before the allocator's free (or realloc) is called, never
 * after, because once it is freed another thread may rightly get the same
 * memory back. The window between the two costs nothing but a missed
 * report.
 *
 * Contents. Each block is filled with a pattern of its identity (a number
 * unique over the process) at its byte offsets, so a stray write by another
 * thread's allocator activity, or a block handed to two threads, shows as a
 * wrong byte when the holder checks it: on receipt from a mailbox, before a
 * free or realloc, and on the check operation. realloc keeps the identity,
 * so the kept prefix checks against the same pattern.
 *
 * ThreadSanitizer. The allocators under test are mostly uninstrumented
 * system libraries whose locks TSan cannot see; to TSan a block reused on
 * another thread would look like a race between its old and new holder.
 * The pattern code is therefore not instrumented (the pattern itself is the
 * check on block contents), and a free of an address happens-before (an
 * annotation) the next hand-out of that address: what the allocator
 * promises. Everything else, the harness's own state and an instrumented
 * allocator's internals (the toy's free lists, an adapter built from
 * source), TSan checks.
 */
#include "concurrent.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define CBB_TSAN 1
#endif
#endif

#ifdef CBB_TSAN
void __tsan_acquire(void *addr);
void __tsan_release(void *addr);
#endif
/* The pattern code, which touches every byte of every block: the blocks
 * are the allocator's memory, never ASan's heap, so ASan has nothing to
 * check there; libFuzzer's comparison tracing of the pattern loops would
 * be three quarters of an input's time and tells the fuzzer nothing (they
 * differ only on a finding); for TSan see the header. */
#define PATTERN_CODE __attribute__((no_sanitize("thread", "address", "coverage")))

/* ---- the program ---------------------------------------------------------- */

enum cbb_kind {
    K_ALLOC, K_ZALLOC, K_ALIGNED, K_FREE, K_REALLOC, K_SEND, K_RECV, K_CHECK, K_USABLE, K_YIELD,
    K_COUNT,
};

static const char *const kind_name[K_COUNT] = {
    "alloc", "zalloc", "aligned", "free", "realloc", "send", "recv", "check", "usable", "yield",
};

/* The low nibble of an op byte: allocations and frees over-represented so
 * that blocks churn and addresses are reused across threads. */
static const uint8_t kind_of_nibble[16] = {
    K_ALLOC, K_ALLOC, K_ALLOC, K_ZALLOC, K_ALIGNED, K_FREE, K_FREE, K_FREE,
    K_REALLOC, K_REALLOC, K_SEND, K_SEND, K_RECV, K_RECV, K_CHECK, K_USABLE,
};

struct cbb_op {
    uint8_t kind, slot, to;  /* to: mailbox offset of a send (1..N-1 after decoding) */
    uint32_t size;
    uint32_t align;
};

struct cbb_prog {
    unsigned nthreads, rounds;
    unsigned n[CBB_MAX_THREADS];
    struct cbb_op ops[CBB_MAX_THREADS][CBB_MAX_OPS];
};

static void decode(const uint8_t *data, size_t size, struct cbb_prog *p)
{
    uint8_t h = size ? data[0] : 0;
    p->nthreads = 2 + h % 3;
    p->rounds = 1u << ((h >> 4) & 3);
    memset(p->n, 0, sizeof(p->n));
    for (size_t i = 1; i + 4 <= size; i += 4) {
        const uint8_t *r = data + i;
        unsigned t = (r[0] >> 4) % p->nthreads;
        if (p->n[t] == CBB_MAX_OPS)
            continue;
        unsigned v = r[2] | (unsigned)(r[3] & 0x3f) << 8;  /* 0..16383 */
        static const uint32_t span[3] = { 64, 512, 4096 };
        struct cbb_op *o = &p->ops[t][p->n[t]++];
        o->kind = kind_of_nibble[r[0] & 15];
        /* A run of equal nibbles would be all one kind; yields come from
         * the check nibble when the slot's top bit asks for one. */
        if (o->kind == K_CHECK && (r[1] & 0x80))
            o->kind = K_YIELD;
        o->slot = r[1] % CBB_SLOTS;
        o->to = (uint8_t)(1 + (r[1] >> 4) % (p->nthreads - 1));
        o->size = r[3] >> 6 == 3 ? 1 + v * 4 : 1 + v % span[r[3] >> 6];
        o->align = 16u << (r[2] & 7);
    }
}

static void format_op(const struct cbb_op *o, unsigned t, unsigned nthreads, char *buf, size_t cap)
{
    switch (o->kind) {
    case K_ALLOC: case K_ZALLOC:
        snprintf(buf, cap, "%s s%u %u B", kind_name[o->kind], o->slot, o->size);
        break;
    case K_ALIGNED:
        snprintf(buf, cap, "aligned s%u %u B align %u", o->slot, o->size, o->align);
        break;
    case K_REALLOC:
        snprintf(buf, cap, "realloc s%u -> %u B", o->slot, o->size);
        break;
    case K_SEND:
        snprintf(buf, cap, "send s%u -> T%u", o->slot, (t + o->to) % nthreads);
        break;
    case K_YIELD:
        snprintf(buf, cap, "yield");
        break;
    default:
        snprintf(buf, cap, "%s s%u", kind_name[o->kind], o->slot);
    }
}

void cbb_print_program(const uint8_t *data, size_t size, FILE *out)
{
    struct cbb_prog *p = malloc(sizeof(*p));
    if (!p)
        return;
    decode(data, size, p);
    fprintf(out, "%u threads, each sequence run %u time(s)\n", p->nthreads, p->rounds);
    for (unsigned t = 0; t < p->nthreads; t++)
        for (unsigned i = 0; i < p->n[t]; i++) {
            char op[96];
            format_op(&p->ops[t][i], t, p->nthreads, op, sizeof(op));
            fprintf(out, "T%u #%u %s\n", t, i, op);
        }
    free(p);
}

/* ---- the shadow ------------------------------------------------------------ */

#define GRANULE_SHIFT 12
#define NBUCKETS 4096u

struct sh_ent {
    uintptr_t granule, start, end;
    uint64_t id;
    int thread;
};

struct sh_bucket {
    pthread_mutex_t lock;
    unsigned n, cap;
    struct sh_ent *e;
};

static unsigned bucket_of(uintptr_t g) { return (unsigned)((g * 0x9E3779B97F4A7C15ull) >> 52) % NBUCKETS; }

/* ---- the engine ------------------------------------------------------------ */

struct block {
    uint8_t *p;
    size_t size;
    uint64_t id;
    int owner;               /* the allocating thread */
};

#define INBOX 32

struct inbox {
    pthread_mutex_t lock;
    unsigned n;
    struct block b[INBOX];
};

enum { ST_ALLOC, ST_FREE, ST_REMOTE_FREE, ST_REALLOC, ST_REMOTE_REALLOC, ST_SEND, ST_RECV, ST_NULL,
       ST_FULL, ST_SKIP_ZERO, ST_SKIP_ALIGNED, ST_SKIP_REALLOC, ST_SKIP_USABLE, ST_COUNT };

struct worker {
    struct cbb *x;
    int index;
    pthread_t thread;
    sem_t start;
    struct block slot[CBB_SLOTS];
    uint64_t seq;
    long long allocs, frees;   /* this input */
    uint64_t stat[ST_COUNT];
    /* where the thread is, for a finding */
    unsigned round;
    size_t op;
};

struct cbb {
    const struct kh_adapter *a;
    void *ctx;
    struct cbb_prog prog;
    struct worker w[CBB_MAX_THREADS];
    struct inbox box[CBB_MAX_THREADS];
    pthread_barrier_t barrier[CBB_MAX_THREADS + 1];  /* [n]: for n threads */
    sem_t done;
    atomic_bool quit, stop;
    atomic_llong live_bytes;
    uint64_t generation;       /* inputs run: part of every block id */
    pthread_mutex_t find_lock;
    bool found;
    struct cbb_finding *f;
    struct sh_bucket bucket[NBUCKETS];
    uint64_t inputs;
};

static void report(struct worker *w, const char *title, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void report(struct worker *w, const char *title, const char *fmt, ...)
{
    struct cbb *x = w->x;
    pthread_mutex_lock(&x->find_lock);
    if (!x->found) {
        x->found = true;
        struct cbb_finding *f = x->f;
        snprintf(f->title, sizeof(f->title), "%s", title);
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(f->detail, sizeof(f->detail), fmt, ap);
        va_end(ap);
        f->thread = w->index;
        f->round = w->round;
        f->op = w->op;
        f->op_text[0] = 0;
        if (w->index >= 0 && w->op < x->prog.n[w->index])
            format_op(&x->prog.ops[w->index][w->op], (unsigned)w->index, x->prog.nthreads,
                      f->op_text, sizeof(f->op_text));
    }
    pthread_mutex_unlock(&x->find_lock);
    atomic_store(&x->stop, true);
}

/* Enters [b->p, b->p + size) for every granule it touches; false after
 * reporting a live block it overlaps (it stays partly entered: the input
 * is over). */
static bool shadow_insert(struct worker *w, const struct block *b)
{
    uintptr_t s = (uintptr_t)b->p, e = s + b->size;
    for (uintptr_t g = s >> GRANULE_SHIFT; g <= (e - 1) >> GRANULE_SHIFT; g++) {
        struct sh_bucket *k = &w->x->bucket[bucket_of(g)];
        pthread_mutex_lock(&k->lock);
        for (unsigned i = 0; i < k->n; i++) {
            const struct sh_ent *o = &k->e[i];
            if (o->granule != g || o->end <= s || e <= o->start)
                continue;
            struct sh_ent other = *o;
            pthread_mutex_unlock(&k->lock);
            const char *who = other.thread == w->index ? "this thread" : "another thread";
            if (other.start == s)
                report(w, "double hand-out",
                       "the allocator returned %p (%zu bytes) on thread T%d, but %p is already live: "
                       "handed out earlier as block #%llx (%zu bytes) now held by %s (T%d) and not "
                       "freed since",
                       b->p, b->size, w->index, b->p, (unsigned long long)other.id,
                       (size_t)(other.end - other.start), who, other.thread);
            else
                report(w, "overlapping blocks",
                       "the allocator returned [%p, %p) (%zu bytes) on thread T%d, which overlaps "
                       "the live block [%p, %p) (#%llx) held by %s (T%d)",
                       b->p, b->p + b->size, b->size, w->index, (void *)other.start,
                       (void *)other.end, (unsigned long long)other.id, who, other.thread);
            return false;
        }
        if (k->n == k->cap) {
            unsigned cap = k->cap ? k->cap * 2 : 8;
            struct sh_ent *ne = realloc(k->e, cap * sizeof(*ne));
            if (!ne)
                abort();  /* the harness out of memory */
            k->e = ne;
            k->cap = cap;
        }
        k->e[k->n++] = (struct sh_ent){ g, s, e, b->id, w->index };
        pthread_mutex_unlock(&k->lock);
    }
    return true;
}

static void shadow_remove(struct worker *w, const struct block *b)
{
    uintptr_t s = (uintptr_t)b->p, e = s + b->size;
    for (uintptr_t g = s >> GRANULE_SHIFT; g <= (e - 1) >> GRANULE_SHIFT; g++) {
        struct sh_bucket *k = &w->x->bucket[bucket_of(g)];
        pthread_mutex_lock(&k->lock);
        for (unsigned i = 0; i < k->n; i++)
            if (k->e[i].granule == g && k->e[i].start == s && k->e[i].id == b->id) {
                k->e[i] = k->e[--k->n];
                break;
            }
        pthread_mutex_unlock(&k->lock);
    }
}

/* Hands the thread holding the block the current owner's view: holders
 * change through mailboxes, and the shadow names the thread to blame. */
static void shadow_set_holder(struct worker *w, const struct block *b)
{
    uintptr_t s = (uintptr_t)b->p, e = s + b->size;
    for (uintptr_t g = s >> GRANULE_SHIFT; g <= (e - 1) >> GRANULE_SHIFT; g++) {
        struct sh_bucket *k = &w->x->bucket[bucket_of(g)];
        pthread_mutex_lock(&k->lock);
        for (unsigned i = 0; i < k->n; i++)
            if (k->e[i].granule == g && k->e[i].id == b->id)
                k->e[i].thread = w->index;
        pthread_mutex_unlock(&k->lock);
    }
}

static size_t shadow_count_and_clear(struct cbb *x)
{
    size_t n = 0;
    for (unsigned i = 0; i < NBUCKETS; i++) {
        n += x->bucket[i].n;
        x->bucket[i].n = 0;
    }
    return n;
}

/* ---- the pattern (not instrumented: see PATTERN_CODE) ----------------------- */

PATTERN_CODE static inline uint64_t word_of(uint64_t id, size_t w)
{
    uint64_t z = id * 0xD6E8FEB86659FD93ull + w * 0x9E3779B97F4A7C15ull;
    return z ^ (z >> 29);
}

PATTERN_CODE static inline uint8_t byte_of(uint64_t id, size_t i)
{
    return (uint8_t)(word_of(id, i >> 3) >> ((i & 7) * 8));
}

PATTERN_CODE static void fill(uint8_t *p, size_t from, size_t to, uint64_t id)
{
    size_t i = from;
    for (; i < to && (i & 7); i++)
        p[i] = byte_of(id, i);
    for (; i + 8 <= to; i += 8) {
        uint64_t v = word_of(id, i >> 3);
        memcpy(p + i, &v, 8);
    }
    for (; i < to; i++)
        p[i] = byte_of(id, i);
}

/* The first offset in [0, n) that does not hold the pattern, or n. */
PATTERN_CODE static size_t verify(const uint8_t *p, size_t n, uint64_t id)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t v;
        memcpy(&v, p + i, 8);
        if (v != word_of(id, i >> 3))
            break;
    }
    for (; i < n; i++)
        if (p[i] != byte_of(id, i))
            return i;
    return n;
}

PATTERN_CODE static size_t first_nonzero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return i;
    return n;
}

PATTERN_CODE static uint8_t byte_at(const uint8_t *p, size_t i) { return p[i]; }

/* ---- operations ------------------------------------------------------------- */

static bool intact(struct worker *w, const struct block *b, const char *when)
{
    size_t bad = verify(b->p, b->size, b->id);
    if (bad == b->size)
        return true;
    report(w, "contents corrupted",
           "block #%llx at %p (%zu bytes, allocated on T%d) holds 0x%02x at offset %zu, not its "
           "pattern 0x%02x, %s on T%d: something wrote into a live block",
           (unsigned long long)b->id, b->p, b->size, b->owner, byte_at(b->p, bad), bad,
           byte_of(b->id, bad), when, w->index);
    return false;
}

static bool aligned_ok(struct worker *w, const struct block *b, size_t align)
{
    const struct kh_adapter *a = w->x->a;
    size_t need = a->min_align;
    const char *why = "the declared min_align";
    if ((a->caps & KH_CAP_NATURAL_ALIGN) && !(b->size & (b->size - 1)) &&
        b->size <= a->natural_align_max && b->size > need) {
        need = b->size;
        why = "its size (KH_CAP_NATURAL_ALIGN)";
    }
    if (align > need) {
        need = align;
        why = "the requested alignment";
    }
    if (!need || !((uintptr_t)b->p & (need - 1)))
        return true;
    report(w, "misaligned", "%p (%zu bytes) on T%d is not aligned to %zu (%s)", b->p, b->size,
           w->index, need, why);
    return false;
}

static void annotate_free(void *p)
{
#ifdef CBB_TSAN
    __tsan_release(p);
#else
    (void)p;
#endif
}

static void annotate_alloc(void *p)
{
#ifdef CBB_TSAN
    __tsan_acquire(p);
#else
    (void)p;
#endif
}

static void adapter_free(struct cbb *x, const struct block *b)
{
    annotate_free(b->p);
    if (x->a->object.free)
        x->a->object.free(x->ctx, b->p);
    else
        x->a->free_sized(x->ctx, b->p, b->size);
}

/* A NULL is legal unless the request is one the adapter promised to serve. */
static void null_result(struct worker *w, size_t size)
{
    const struct kh_adapter *a = w->x->a;
    w->stat[ST_NULL]++;
    long long live = atomic_load(&w->x->live_bytes);
    if (a->nofail_size && size <= a->nofail_size && (size_t)live + size < a->nofail_live)
        report(w, "unexpected NULL",
               "a %zu-byte request failed on T%d with %lld bytes live on all threads, but the adapter "
               "declares that requests up to %zu bytes succeed below %zu live bytes",
               size, w->index, live, a->nofail_size, a->nofail_live);
}

static void do_free(struct worker *w, struct block *b, const char *when)
{
    if (!intact(w, b, when))
        return;
    shadow_remove(w, b);
    atomic_fetch_sub(&w->x->live_bytes, (long long)b->size);
    adapter_free(w->x, b);
    w->frees++;
    w->stat[b->owner == w->index ? ST_FREE : ST_REMOTE_FREE]++;
    b->p = NULL;
}

static void do_alloc(struct worker *w, const struct cbb_op *o)
{
    struct cbb *x = w->x;
    const struct kh_adapter *a = x->a;
    struct block *b = &w->slot[o->slot];
    if (b->p)
        do_free(w, b, "before its slot was reused");
    if (atomic_load(&x->stop))
        return;
    unsigned flags = 0;
    size_t align = 0;
    if (o->kind == K_ZALLOC) {
        if (a->caps & KH_CAP_ZERO)
            flags = KH_AF_ZERO;
        else
            w->stat[ST_SKIP_ZERO]++;
    } else if (o->kind == K_ALIGNED) {
        size_t max = a->max_align < 4096 ? a->max_align : 4096;
        if ((a->caps & KH_CAP_ALIGNED) && o->align <= max)
            align = o->align;
        else
            w->stat[ST_SKIP_ALIGNED]++;
    }
    if (a->max_size && o->size > a->max_size)
        return;  /* a refusal is legal; the single-threaded targets check it */
    void *p = a->object.alloc(x->ctx, o->size, align, flags);
    if (!p) {
        null_result(w, o->size);
        return;
    }
    annotate_alloc(p);
    *b = (struct block){ p, o->size, (x->generation << 24) | ((uint64_t)w->index << 20) | w->seq++,
                         w->index };
    w->allocs++;
    w->stat[ST_ALLOC]++;
    atomic_fetch_add(&x->live_bytes, (long long)b->size);
    if (!aligned_ok(w, b, align) || !shadow_insert(w, b))
        return;
    if (flags & KH_AF_ZERO) {
        size_t nz = first_nonzero(b->p, b->size);
        if (nz < b->size) {
            report(w, "not zeroed", "a zeroing allocation of %zu bytes at %p on T%d holds 0x%02x at "
                   "offset %zu", b->size, b->p, w->index, byte_at(b->p, nz), nz);
            return;
        }
    }
    fill(b->p, 0, b->size, b->id);
}

static void do_realloc(struct worker *w, const struct cbb_op *o)
{
    struct cbb *x = w->x;
    const struct kh_adapter *a = x->a;
    struct block *b = &w->slot[o->slot];
    if (!b->p)
        return;
    if (!a->object.realloc || (a->max_size && o->size > a->max_size)) {
        w->stat[ST_SKIP_REALLOC]++;
        return;
    }
    if (!intact(w, b, "before a realloc"))
        return;
    shadow_remove(w, b);
    annotate_free(b->p);
    uint8_t *q = a->object.realloc(x->ctx, b->p, o->size, 0);
    if (!q) {
        /* The old block is still live. */
        null_result(w, o->size);
        shadow_insert(w, b);
        return;
    }
    annotate_alloc(q);
    struct block old = *b;
    w->stat[b->owner == w->index ? ST_REALLOC : ST_REMOTE_REALLOC]++;
    atomic_fetch_add(&x->live_bytes, (long long)o->size - (long long)old.size);
    b->p = q;
    b->size = o->size;
    if (!aligned_ok(w, b, 0) || !shadow_insert(w, b))
        return;
    size_t keep = old.size < b->size ? old.size : b->size;
    size_t bad = verify(q, keep, b->id);
    if (bad < keep) {
        report(w, "realloc lost contents",
               "realloc of block #%llx from %zu to %zu bytes on T%d (%p -> %p): offset %zu of the "
               "kept %zu-byte prefix holds 0x%02x, not 0x%02x",
               (unsigned long long)b->id, old.size, b->size, w->index, old.p, q, bad, keep,
               byte_at(q, bad), byte_of(b->id, bad));
        return;
    }
    if (b->size > old.size)
        fill(q, old.size, b->size, b->id);
}

static void do_send(struct worker *w, const struct cbb_op *o)
{
    struct cbb *x = w->x;
    struct block *b = &w->slot[o->slot];
    if (!b->p)
        return;
    struct inbox *box = &x->box[(w->index + o->to) % x->prog.nthreads];
    pthread_mutex_lock(&box->lock);
    bool ok = box->n < INBOX;
    if (ok)
        box->b[box->n++] = *b;
    pthread_mutex_unlock(&box->lock);
    if (!ok) {
        w->stat[ST_FULL]++;
        return;
    }
    w->stat[ST_SEND]++;
    b->p = NULL;
}

/* Takes the oldest block of this thread's mailbox; false when empty. */
static bool take(struct worker *w, struct block *out)
{
    struct inbox *box = &w->x->box[w->index];
    pthread_mutex_lock(&box->lock);
    bool ok = box->n > 0;
    if (ok) {
        *out = box->b[0];
        memmove(box->b, box->b + 1, --box->n * sizeof(box->b[0]));
    }
    pthread_mutex_unlock(&box->lock);
    return ok;
}

static void do_recv(struct worker *w, const struct cbb_op *o)
{
    struct block got;
    if (!take(w, &got))
        return;
    w->stat[ST_RECV]++;
    struct block *b = &w->slot[o->slot];
    if (b->p)
        do_free(w, b, "before its slot was reused");
    *b = got;
    if (intact(w, b, "on receipt from another thread"))
        shadow_set_holder(w, b);
}

static void do_usable(struct worker *w, const struct cbb_op *o)
{
    const struct kh_adapter *a = w->x->a;
    struct block *b = &w->slot[o->slot];
    if (!b->p)
        return;
    if (!a->object.usable_size) {
        w->stat[ST_SKIP_USABLE]++;
        return;
    }
    size_t u = a->object.usable_size(w->x->ctx, b->p);
    if (u < b->size)
        report(w, "usable size too small", "usable_size(%p) = %zu on T%d, below the %zu bytes "
               "requested", b->p, u, w->index, b->size);
}

static void run_op(struct worker *w, const struct cbb_op *o)
{
    switch (o->kind) {
    case K_ALLOC: case K_ZALLOC: case K_ALIGNED:
        do_alloc(w, o);
        break;
    case K_FREE:
        if (w->slot[o->slot].p)
            do_free(w, &w->slot[o->slot], "before a free");
        break;
    case K_REALLOC:
        do_realloc(w, o);
        break;
    case K_SEND:
        do_send(w, o);
        break;
    case K_RECV:
        do_recv(w, o);
        break;
    case K_CHECK:
        if (w->slot[o->slot].p)
            intact(w, &w->slot[o->slot], "at a check");
        break;
    case K_USABLE:
        do_usable(w, o);
        break;
    case K_YIELD:
        sched_yield();
        break;
    }
}

/* One input on one thread: start together, run the sequence, free what is
 * held, wait until no one sends any more, free what arrived. After a
 * finding (on any thread) nothing more is freed: the allocator may be
 * broken, and the blocks are abandoned. */
static void run_thread(struct worker *w)
{
    struct cbb *x = w->x;
    unsigned t = (unsigned)w->index, n = x->prog.nthreads;
    w->allocs = w->frees = 0;
    w->seq = 0;
    pthread_barrier_wait(&x->barrier[n]);
    for (w->round = 0; w->round < x->prog.rounds; w->round++)
        for (w->op = 0; w->op < x->prog.n[t] && !atomic_load(&x->stop); w->op++)
            run_op(w, &x->prog.ops[t][w->op]);
    w->op = x->prog.n[t];
    for (unsigned i = 0; i < CBB_SLOTS && !atomic_load(&x->stop); i++)
        if (w->slot[i].p)
            do_free(w, &w->slot[i], "at the end of its thread's sequence");
    pthread_barrier_wait(&x->barrier[n]);
    struct block b;
    while (!atomic_load(&x->stop) && take(w, &b)) {
        w->stat[ST_RECV]++;
        do_free(w, &b, "on receipt at the end of the input");
    }
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct cbb *x = w->x;
    for (;;) {
        while (sem_wait(&w->start) != 0 && errno == EINTR)
            ;
        if (atomic_load(&x->quit))
            return NULL;
        run_thread(w);
        sem_post(&x->done);
    }
}

/* ---- the engine's life ------------------------------------------------------ */

struct cbb *cbb_new(const struct kh_adapter *a, char *err, size_t cap)
{
    if (a->abi != KH_ADAPTER_ABI) {
        snprintf(err, cap, "adapter '%s' is built for adapter ABI %u, the harness for %u",
                 a->name ? a->name : "?", a->abi, KH_ADAPTER_ABI);
        return NULL;
    }
    if (!(a->caps & KH_CAP_THREAD_SAFE)) {
        snprintf(err, cap,
                 "adapter '%s' does not declare KH_CAP_THREAD_SAFE: the concurrent target calls "
                 "an allocator from several threads at once and frees blocks on other threads, "
                 "so it runs only adapters that promise that (adapters/kh_adapter.h)",
                 a->name ? a->name : "?");
        return NULL;
    }
    if (!a->object.alloc || (!a->object.free && !a->free_sized)) {
        snprintf(err, cap, "adapter '%s' has no object tier (object.alloc and object.free or "
                 "free_sized): the concurrent target drives only that tier", a->name);
        return NULL;
    }
    struct cbb *x = calloc(1, sizeof(*x));
    if (!x) {
        snprintf(err, cap, "out of memory");
        return NULL;
    }
    x->a = a;
    if (a->open) {
        const char *why = "open failed";
        if (!(x->ctx = a->open(&why))) {
            snprintf(err, cap, "adapter '%s': %s", a->name, why);
            free(x);
            return NULL;
        }
    }
    pthread_mutex_init(&x->find_lock, NULL);
    for (unsigned i = 0; i < NBUCKETS; i++)
        pthread_mutex_init(&x->bucket[i].lock, NULL);
    for (unsigned n = 2; n <= CBB_MAX_THREADS; n++)
        pthread_barrier_init(&x->barrier[n], NULL, n);
    sem_init(&x->done, 0, 0);
    for (int i = 0; i < CBB_MAX_THREADS; i++) {
        struct worker *w = &x->w[i];
        w->x = x;
        w->index = i;
        pthread_mutex_init(&x->box[i].lock, NULL);
        sem_init(&w->start, 0, 0);
        if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
            snprintf(err, cap, "cannot start worker thread %d", i);
            abort();  /* threads already started cannot be taken back cleanly */
        }
    }
    return x;
}

/* Allocations minus frees over all threads, and an empty shadow. */
static void end_checks(struct cbb *x)
{
    long long allocs = 0, frees = 0;
    for (unsigned t = 0; t < x->prog.nthreads; t++) {
        allocs += x->w[t].allocs;
        frees += x->w[t].frees;
    }
    struct worker main_view = { .x = x, .index = -1 };
    size_t left = shadow_count_and_clear(x);
    long long live = atomic_load(&x->live_bytes);
    if (allocs != frees || left || live)
        report(&main_view, "counters do not sum up",
               "after every thread freed what it held: %lld allocations and %lld frees over %u "
               "threads, %zu shadow entries and %lld bytes still live",
               allocs, frees, x->prog.nthreads, left, live);
    char msg[256] = "";
    if (!x->found && x->a->validate && x->a->validate(x->ctx, msg, sizeof(msg)) != 0)
        report(&main_view, "allocator's own validation failed", "validate() after the input: %s", msg);
}

bool cbb_run(struct cbb *x, const uint8_t *data, size_t size, struct cbb_finding *f)
{
    decode(data, size, &x->prog);
    x->generation++;
    x->inputs++;
    x->found = false;
    x->f = f;
    atomic_store(&x->stop, false);
    for (unsigned t = 0; t < x->prog.nthreads; t++)
        sem_post(&x->w[t].start);
    for (unsigned t = 0; t < x->prog.nthreads; t++)
        while (sem_wait(&x->done) != 0 && errno == EINTR)
            ;
    if (!x->found)
        end_checks(x);
    if (x->found) {
        /* Abandon whatever is still live. */
        shadow_count_and_clear(x);
        for (unsigned t = 0; t < CBB_MAX_THREADS; t++) {
            memset(x->w[t].slot, 0, sizeof(x->w[t].slot));
            x->box[t].n = 0;
        }
        atomic_store(&x->live_bytes, 0);
    }
    if (x->a->reset)
        x->a->reset(x->ctx);
    return x->found;
}

void cbb_print_summary(const struct cbb *x, FILE *out)
{
    uint64_t s[ST_COUNT] = { 0 };
    for (unsigned t = 0; t < CBB_MAX_THREADS; t++)
        for (unsigned i = 0; i < ST_COUNT; i++)
            s[i] += x->w[t].stat[i];
    fprintf(out,
            "black-box summary for adapter '%s', target concurrent: %llu input(s); %llu "
            "allocations, %llu frees on the allocating thread, %llu on another, %llu reallocs on "
            "the allocating thread, %llu on another, %llu blocks sent (%llu sends found the "
            "mailbox full), %llu NULL results\n",
            x->a->name, (unsigned long long)x->inputs, (unsigned long long)s[ST_ALLOC],
            (unsigned long long)s[ST_FREE], (unsigned long long)s[ST_REMOTE_FREE],
            (unsigned long long)s[ST_REALLOC], (unsigned long long)s[ST_REMOTE_REALLOC],
            (unsigned long long)s[ST_SEND], (unsigned long long)s[ST_FULL],
            (unsigned long long)s[ST_NULL]);
    static const struct {
        int st;
        const char *what;
    } skips[] = {
        { ST_SKIP_ZERO, "zeroing allocations run plain (KH_CAP_ZERO not declared)" },
        { ST_SKIP_ALIGNED, "aligned allocations run plain (KH_CAP_ALIGNED not declared, or above "
                           "max_align)" },
        { ST_SKIP_REALLOC, "reallocs skipped (no object.realloc, or above max_size)" },
        { ST_SKIP_USABLE, "usable-size checks skipped (no object.usable_size)" },
    };
    for (size_t i = 0; i < sizeof(skips) / sizeof(skips[0]); i++)
        if (s[skips[i].st])
            fprintf(out, "  %llu %s\n", (unsigned long long)s[skips[i].st], skips[i].what);
}

void cbb_free(struct cbb *x)
{
    atomic_store(&x->quit, true);
    for (int i = 0; i < CBB_MAX_THREADS; i++)
        sem_post(&x->w[i].start);
    for (int i = 0; i < CBB_MAX_THREADS; i++) {
        pthread_join(x->w[i].thread, NULL);
        sem_destroy(&x->w[i].start);
        pthread_mutex_destroy(&x->box[i].lock);
    }
    for (unsigned n = 2; n <= CBB_MAX_THREADS; n++)
        pthread_barrier_destroy(&x->barrier[n]);
    for (unsigned i = 0; i < NBUCKETS; i++) {
        pthread_mutex_destroy(&x->bucket[i].lock);
        free(x->bucket[i].e);
    }
    sem_destroy(&x->done);
    pthread_mutex_destroy(&x->find_lock);
    if (x->a->close)
        x->a->close(x->ctx);
    free(x);
}
