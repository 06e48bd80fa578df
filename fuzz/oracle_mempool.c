/* oracle_mempool.c - reserve counts as SPEC 8 fixes them (see oracle_mempool.h). */
#include "oracle_mempool.h"

#include <stdio.h>

#include "mempool.h"

static int note_pool(void *ctx, const struct kh_mempool_info *p)
{
    struct oracle_mempool *m = ctx;
    if (m->n == ORACLE_MEMPOOL_MAX) {
        m->overflow = true;
        return 1;
    }
    m->before[m->n].pool = p->pool;
    m->before[m->n].min = p->min_nr;
    m->before[m->n].curr = p->curr_nr;
    m->n++;
    return 0;
}

void oracle_mempool_before(struct oracle_mempool *m, struct kh *kh)
{
    m->n = 0;
    m->overflow = false;
    kh_mempool_walk(kh, note_pool, NULL, m);
}

struct judge {
    const struct oracle_mempool *m;
    const struct kh_op *op;
    const void *pool;
    int ok;
    bool element_null;
    char *why;
    size_t cap;
    bool bad;
};

static int judge_pool(void *ctx, const struct kh_mempool_info *p)
{
    struct judge *j = ctx;
    int min = -1, curr = -1;
    for (unsigned i = 0; i < j->m->n; i++)
        if (j->m->before[i].pool == p->pool) {
            min = j->m->before[i].min;
            curr = j->m->before[i].curr;
        }
    bool named = p->pool == j->pool;
    const char *bad = NULL;
    char detail[160] = "";
    if (min < 0) {
        /* new: only from a create (bound or not), with a full reserve */
        bool create = j->op->code == KH_OP_MEMPOOL_CREATE_KMALLOC_POOL ||
                      j->op->code == KH_OP_MEMPOOL_CREATE_SLAB_POOL ||
                      j->op->code == KH_OP_MEMPOOL_CREATE_PAGE_POOL;
        if (!create || p->curr_nr != p->min_nr)
            bad = "a pool appeared without a full reserve";
    } else if (!named) {
        if (p->curr_nr != curr || p->min_nr != min)
            bad = "a pool the operation does not name changed";
    } else {
        switch (j->op->code) {
        case KH_OP_MEMPOOL_ALLOC:
            if (p->min_nr != min)
                bad = "mempool_alloc changed min_nr";
            else if (j->ok == 0 && (curr != 0 || p->curr_nr != 0))
                bad = "mempool_alloc returned NULL with elements in the reserve";
            else if (j->ok == 1 && p->curr_nr != curr && p->curr_nr != curr - 1)
                bad = "mempool_alloc moved the reserve by other than 0 or -1";
            break;
        case KH_OP_MEMPOOL_FREE: {
            int want = j->element_null ? curr : curr < min ? curr + 1 : curr;
            if (p->min_nr != min || p->curr_nr != want) {
                bad = "mempool_free left the reserve wrong";
                snprintf(detail, sizeof(detail), " (expected %d of min %d)", want, min);
            }
            break;
        }
        case KH_OP_MEMPOOL_RESIZE:
            if (p->min_nr <= min) {
                int want = curr < p->min_nr ? curr : p->min_nr;
                if (p->curr_nr != want) {
                    bad = "mempool_resize (shrinking) left the reserve wrong";
                    snprintf(detail, sizeof(detail), " (expected %d)", want);
                }
            } else if (p->curr_nr < curr || p->curr_nr > p->min_nr) {
                bad = "mempool_resize (growing) left the reserve outside [old count, new min_nr]";
            }
            break;
        default:
            if (p->curr_nr != curr || p->min_nr != min)
                bad = "the reserve changed";
            break;
        }
    }
    if (!bad)
        return 0;
    snprintf(j->why, j->cap, "%s: pool %p now %d of min %d, was %d of min %d%s", bad, p->pool,
             p->curr_nr, p->min_nr, curr, min, detail);
    j->bad = true;
    return 1;
}

bool oracle_mempool_after(struct oracle_mempool *m, struct kh *kh, const struct kh_op *op,
                          const void *pool, int ok, bool element_null, char *why, size_t cap)
{
    if (m->overflow)
        return true;
    struct judge j = { m, op, pool, ok, element_null, why, cap, false };
    kh_mempool_walk(kh, judge_pool, NULL, &j);
    return !j.bad;
}
