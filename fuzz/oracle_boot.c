/* oracle_boot.c - memblock's reserved ranges, restated (see oracle_boot.h).
 * Written from the rules, not from allocator/memblock.c: plain interval-set
 * arithmetic on a sorted array. */
#include "oracle_boot.h"

#include <stdlib.h>
#include <string.h>

void boot_model_init(struct boot_model *m) { memset(m, 0, sizeof(*m)); }

void boot_model_free(struct boot_model *m)
{
    free(m->v);
    memset(m, 0, sizeof(*m));
}

void boot_model_start(struct boot_model *m, uint64_t lo, uint64_t hi)
{
    m->n = 0;
    m->lo = lo;
    m->hi = hi;
}

static int reserve_slot(struct boot_model *m)
{
    if (m->n < m->cap)
        return 0;
    size_t cap = m->cap ? 2 * m->cap : 16;
    struct boot_range *v = realloc(m->v, cap * sizeof(*v));
    if (!v)
        return -1;
    m->v = v;
    m->cap = cap;
    return 0;
}

int boot_model_add(struct boot_model *m, uint64_t base, uint64_t end)
{
    if (base >= end)
        return 0;
    /* ranges [first, last) overlap or touch [base, end): they become one */
    size_t first = 0, last;
    while (first < m->n && m->v[first].end < base)
        first++;
    for (last = first; last < m->n && m->v[last].base <= end; last++) {
        if (m->v[last].base < base)
            base = m->v[last].base;
        if (m->v[last].end > end)
            end = m->v[last].end;
    }
    if (first == last) {
        if (reserve_slot(m))
            return -1;
        memmove(&m->v[first + 1], &m->v[first], (m->n - first) * sizeof(m->v[0]));
        m->n++;
    } else {
        memmove(&m->v[first + 1], &m->v[last], (m->n - last) * sizeof(m->v[0]));
        m->n -= last - first - 1;
    }
    m->v[first] = (struct boot_range){ base, end };
    return 0;
}

static long covering(const struct boot_model *m, uint64_t base, uint64_t end)
{
    for (size_t i = 0; i < m->n; i++)
        if (m->v[i].base <= base && end <= m->v[i].end)
            return (long)i;
    return -1;
}

bool boot_model_covered(const struct boot_model *m, uint64_t base, uint64_t end)
{
    return base < end && covering(m, base, end) >= 0;
}

int boot_model_remove(struct boot_model *m, uint64_t base, uint64_t end)
{
    long i = covering(m, base, end);
    if (i < 0 || base >= end)
        return 0;
    struct boot_range r = m->v[i];
    if (r.base < base && end < r.end) {   /* a hole: two ranges remain */
        if (reserve_slot(m))
            return -1;
        memmove(&m->v[i + 2], &m->v[i + 1], (m->n - (size_t)i - 1) * sizeof(m->v[0]));
        m->n++;
        m->v[i] = (struct boot_range){ r.base, base };
        m->v[i + 1] = (struct boot_range){ end, r.end };
    } else if (r.base < base) {
        m->v[i].end = base;
    } else if (end < r.end) {
        m->v[i].base = end;
    } else {
        memmove(&m->v[i], &m->v[i + 1], (m->n - (size_t)i - 1) * sizeof(m->v[0]));
        m->n--;
    }
    return 0;
}

bool boot_model_overlaps(const struct boot_model *m, uint64_t base, uint64_t end)
{
    for (size_t i = 0; i < m->n; i++)
        if (m->v[i].base < end && base < m->v[i].end)
            return true;
    return false;
}

uint64_t boot_model_total(const struct boot_model *m)
{
    uint64_t t = 0;
    for (size_t i = 0; i < m->n; i++)
        t += m->v[i].end - m->v[i].base;
    return t;
}

bool boot_model_place(const struct boot_model *m, uint64_t size, uint64_t align, uint64_t *out)
{
    /* gaps from the top: above range i lies [v[i].end, top) */
    uint64_t top = m->hi;
    for (size_t k = m->n + 1; k-- > 0;) {
        uint64_t bottom = k > 0 ? m->v[k - 1].end : m->lo;
        if (bottom < m->lo)
            bottom = m->lo;
        if (top > bottom && top - bottom >= size) {
            uint64_t at = (top - size) & ~(align - 1);
            if (at >= bottom) {
                *out = at;
                return true;
            }
        }
        if (k > 0)
            top = m->v[k - 1].base;
    }
    return false;
}

bool boot_model_touches_page(const struct boot_model *m, uint64_t pfn, unsigned page_shift)
{
    uint64_t start = pfn << page_shift, end = (pfn + 1) << page_shift;
    return boot_model_overlaps(m, start, end);
}

unsigned long boot_model_pages(const struct boot_model *m, unsigned page_shift)
{
    unsigned long n = 0;
    uint64_t last = UINT64_MAX;   /* the last page counted: ranges may share one */
    for (size_t i = 0; i < m->n; i++) {
        uint64_t first = m->v[i].base >> page_shift;
        uint64_t end = (m->v[i].end + (1ull << page_shift) - 1) >> page_shift;
        if (first == last)
            first++;
        if (end > first) {
            n += (unsigned long)(end - first);
            last = end - 1;
        }
    }
    return n;
}
