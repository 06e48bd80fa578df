/* slab_validate.c - the slab layer's invariant checker (kh_slab_validate).
 *
 * For every slab of every cache: its pages carry PG_slab and point back at
 * it, and its order and owner are sane; its free chains (the slab's own
 * and, for a CPU slab, that CPU's freelist) hold only objects of the slab,
 * without cycles or allocated objects; the allocation map and the
 * quarantine map agree with the in-use and quarantined counts, and, for a
 * design that chains its free objects, free + in use = objects; with red
 * zoning or poisoning, each object's debug bytes are intact
 * (kh_debug_object_damage, slab_debug.c). For every cache, the slab and
 * object counters match a walk of its slabs, and the design's own checks
 * run (ops->validate: list membership, CPU state). Finally every
 * quarantine entry is marked in its slab and every mark has an entry.
 *
 * kh_slab_validate_changed skips the slabs whose state signature (counters,
 * generation, list, free-list heads) is the one they last validated clean
 * with, so periodic validation costs what changed, not what exists. The
 * checks are left out of coverage: their loops would reward a fuzzer for
 * bigger states, not new behaviour. Violations are returned as data
 * (struct kh_violations), never reported through the report hook.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "introspect.h"
#include "slab_internal.h"

#define SUBSYS "slab"

#define V(out, inv, addr, ...) kh_violations_add_named(out, SUBSYS, inv, (const void *)(addr), __VA_ARGS__)

KH_NO_COVERAGE
static unsigned check_pages(struct kh *kh, struct kmem_cache *s, struct slab *slab,
                            struct kh_violations *out)
{
    unsigned n = 0;
    for (unsigned long i = 0; i < (1ul << slab->order); i++) {
        const struct page *pg = slab->page + i;
        if (!(pg->flags & PG_slab) || pg->private != slab) {
            n += V(out, "slab-page", slab->base + (i << kh->page_shift),
                   "%s: page %lu of slab %p lacks PG_slab or points elsewhere", s->name, i,
                   (void *)slab->base);
            break;
        }
    }
    if (slab->order >= kh->max_order || slab->cache != s)
        n += V(out, "slab-page", slab->base, "%s: slab %p has order %u or wrong owner", s->name,
               (void *)slab->base, slab->order);
    return n;
}

/* Walks one free chain; marks each object in seen (a bitmap). Returns its
 * length, or -1 after reporting a broken chain. Validation code is left
 * out of coverage: its loops would reward the fuzzer for bigger states,
 * not for new behaviour. */
KH_NO_COVERAGE __attribute__((no_sanitize("address")))
static long walk_chain(struct kmem_cache *s, struct slab *slab, void *head, uint64_t *seen,
                       const char *what, struct kh_violations *out, unsigned *nviol)
{
    long len = 0;
    /* The free pointer is read in place (kh_get_fp, inlined): every p is an
     * object of this slab by then, and free objects are poisoned. */
    for (void *p = head; p; p = *(void *const *)((const unsigned char *)p + s->offset)) {
        long idx = kh_slab_object_index(s, slab, p);
        if (idx < 0) {
            *nviol += V(out, "freelist", p, "%s: %s of slab %p holds %p, not an object of it",
                        s->name, what, (void *)slab->base, p);
            return -1;
        }
        uint64_t bit = 1ull << (idx & 63);
        if (seen[idx >> 6] & bit) {
            *nviol += V(out, "freelist", p, "%s: %s of slab %p has a cycle or duplicate at %p",
                        s->name, what, (void *)slab->base, p);
            return -1;
        }
        seen[idx >> 6] |= bit;
        if (slab->map[idx >> 6] & bit)   /* kh_map_test, which would not inline here */
            *nviol += V(out, "freelist", p, "%s: allocated object %p is on the %s", s->name, p, what);
        len++;
    }
    return len;
}

KH_NO_COVERAGE
static unsigned check_slab(struct kh *kh, struct kmem_cache *s, struct slab *slab,
                           struct kh_violations *out)
{
    unsigned n = check_pages(kh, s, slab, out);
    unsigned words = (slab->objects + 63) / 64;
    uint64_t small[64];   /* 4096 objects: every slab up to order 3 of 8-byte slots */
    uint64_t *seen = words <= 64 ? small : calloc(words, sizeof(*seen));
    if (!seen)
        return n;
    if (seen == small)
        memset(small, 0, words * sizeof(*small));
    long nfree = walk_chain(s, slab, slab->freelist, seen, "free list", out, &n);
    if (slab->list == KH_SLAB_LIST_CPU && slab->cpu >= 0 && (unsigned)slab->cpu < kh->cfg.nr_cpus &&
        s->cpu[slab->cpu].slab == slab) {
        long c = walk_chain(s, slab, s->cpu[slab->cpu].freelist, seen, "CPU free list", out, &n);
        nfree = (nfree < 0 || c < 0) ? -1 : nfree + c;
    }
    /* The allocation map and the quarantine map (which follows it), a word
     * at a time: bits past the last object are never set. */
    unsigned bits = 0, qbits = 0;
    const uint64_t *map = slab->map, *q = slab->map + words;
    for (unsigned w = 0; w < words; w++) {
        bits += (unsigned)__builtin_popcountll(map[w]);
        qbits += (unsigned)__builtin_popcountll(q[w]);
        for (uint64_t stray = q[w] & ~map[w]; stray; stray &= stray - 1) {
            unsigned i = w * 64 + (unsigned)__builtin_ctzll(stray);
            n += V(out, "quarantine", kh_obj_at(s, slab, i), "%s: quarantined object %p not held",
                   s->name, kh_obj_at(s, slab, i));
        }
    }
    if (bits != slab->inuse || qbits != slab->quarantined)
        n += V(out, "object-count", slab->base,
               "%s: slab %p inuse %u quarantined %u but the map holds %u / %u", s->name,
               (void *)slab->base, slab->inuse, slab->quarantined, bits, qbits);
    if (nfree >= 0 && !s->ops->index_freelist && (unsigned long)nfree + slab->inuse != slab->objects)
        n += V(out, "object-count", slab->base,
               "%s: slab %p: %u in use + %ld free != %u objects", s->name, (void *)slab->base,
               slab->inuse, nfree, slab->objects);
    if (s->flags & (SLAB_RED_ZONE | SLAB_POISON)) {
        for (unsigned i = 0; i < slab->objects; i++) {
            bool live = kh_map_test(slab, i) && !kh_slab_quarantined(slab, i);
            const char *bad = kh_debug_object_damage(s, slab, kh_obj_at(s, slab, i), live);
            if (bad)
                n += V(out, strstr(bad, "Poison") ? "poison" : "red-zone", kh_obj_at(s, slab, i),
                       "%s: object %p: %s", s->name, kh_obj_at(s, slab, i), bad);
        }
    }
    if (seen != small)
        free(seen);
    return n;
}

/* What a slab's own checks depend on, folded into one word: its counters,
 * generation, list and owner, and the heads of its free lists. */
static uint64_t slab_signature(const struct kh *kh, const struct kmem_cache *s,
                               const struct slab *slab)
{
    uint64_t cpu_list = 0;
    if (slab->list == KH_SLAB_LIST_CPU && slab->cpu >= 0 && (unsigned)slab->cpu < kh->cfg.nr_cpus &&
        s->cpu[slab->cpu].slab == slab)
        cpu_list = (uintptr_t)s->cpu[slab->cpu].freelist;
    const uint64_t fields[] = { slab->gen, slab->inuse, slab->quarantined, slab->active,
                                (uintptr_t)slab->freelist, cpu_list, (uint64_t)slab->list,
                                (uint64_t)(int64_t)slab->cpu, slab->objects };
    uint64_t h = 0x243f6a8885a308d3ull;
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
        h = (h ^ fields[i]) * 0x100000001b3ull + (h >> 31);
    return h | 1;   /* never the "not validated" 0 */
}

/* changed_only: slabs whose signature is the one they last validated clean
 * with are not walked again (kh_slab_validate_changed). */
KH_NO_COVERAGE
static unsigned check_cache(struct kh *kh, struct kmem_cache *s, struct kh_violations *out,
                            bool changed_only)
{
    unsigned n = 0;
    unsigned long slabs = 0, objects = 0;
    for (struct slab *slab = s->all_head; slab; slab = slab->all_next) {
        uint64_t sig = slab_signature(kh, s, slab);
        if (!changed_only || sig != slab->clean_sig) {
            unsigned found = check_slab(kh, s, slab, out);
            slab->clean_sig = found ? 0 : sig;
            n += found;
        }
        slabs++;
        objects += slab->objects;
        if (slabs > s->nr_slabs + 1)
            break;   /* a cycle in the list: the counter check reports it */
    }
    if (slabs != s->nr_slabs || objects != s->nr_objects)
        n += V(out, "cache-counters", s, "%s: counters say %lu slabs / %lu objects, walk finds %lu / %lu",
               s->name, s->nr_slabs, s->nr_objects, slabs, objects);
    if (s->ops->validate)
        n += s->ops->validate(kh, s, out);
    return n;
}

KH_NO_COVERAGE
static unsigned validate(struct kh *kh, struct kh_violations *out, bool changed_only)
{
    struct kh_slab_state *st = kh->slab;
    if (!st)
        return 0;
    unsigned n = 0;
    for (struct kmem_cache *s = st->chain_head; s; s = s->next)
        n += check_cache(kh, s, out, changed_only);
    unsigned held = 0;
    for (unsigned i = 0; i < st->q_len; i++) {
        struct kh_quarantine_entry e = st->q[(st->q_head + i) % st->q_cap];
        if (!e.slab)
            continue;
        held++;
        long idx = kh_slab_object_index(e.slab->cache, e.slab, e.obj);
        if (idx < 0 || !kh_slab_quarantined(e.slab, (unsigned)idx))
            n += V(out, "quarantine", e.obj, "quarantine entry %p not marked in its slab", e.obj);
    }
    unsigned long marked = 0;
    for (struct kmem_cache *s = st->chain_head; s; s = s->next)
        for (struct slab *slab = s->all_head; slab; slab = slab->all_next)
            marked += slab->quarantined;
    if (marked != held)
        n += V(out, "quarantine", 0, "%lu objects marked quarantined, %u held", marked, held);
    return n;
}

unsigned kh_slab_validate(struct kh *kh, struct kh_violations *out)
{
    return validate(kh, out, false);
}

unsigned kh_slab_validate_changed(struct kh *kh, struct kh_violations *out)
{
    return validate(kh, out, true);
}
