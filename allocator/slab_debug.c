/* slab_debug.c - slub_debug: red zones, poisoning, user tracking and
 * consistency checks, with reports in the kernel's words.
 *
 * Letters (per cache flags, or cfg.slub_debug for every cache):
 *   F  SLAB_CONSISTENCY_CHECKS  check the object on allocation and free
 *   Z  SLAB_RED_ZONE            left/right red zones, 0xbb free / 0xcc live
 *   P  SLAB_POISON              0x6b body with a 0xa5 last byte, 0x5a padding
 *   U  SLAB_STORE_USER          caller, CPU and time of the last alloc/free
 * A kmalloc cache with Z and U also keeps the requested size and red-zones
 * the bytes between it and the object end ("kmalloc Redzone").
 *
 * Every problem is one report, "=====\nBUG <cache> (Not tainted): <what>
 * \n-----" followed by INFO lines, a hex dump and the FIX lines applied.
 * Errors are counted the way slub_kunit counts them: one per report and
 * one per FIX, so the expected numbers of slub_kunit carry over.
 *
 * All reads and writes of slab memory here go through kh_meta_* so that
 * ASan poisoning (which covers red zones and free objects) stays intact.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "slab_internal.h"

#define RULE "============================================================================="
#define DASH "-----------------------------------------------------------------------------"

struct track {
    uint64_t addr;
    uint32_t handle;
    uint32_t cpu;
    uint32_t pid;
    uint32_t _pad;
    uint64_t when;
};
_Static_assert(sizeof(struct track) == KH_TRACK_SIZE, "track size must match the geometry");

/* ---- reporting ---- */

static unsigned count_lines(const char *s)
{
    unsigned n = 0;
    for (; s && *s; s++)
        if (*s == '\n')
            n++;
    return n + (s && s[-1] != '\n');
}

void kh_slab_bug(struct kh *kh, struct kmem_cache *s, const char *reason, uintptr_t addr,
                 const char *fix, const char *fmt, ...)
{
    char body[2048], fixes[512] = "";
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(body, sizeof(body), fmt, ap);
    va_end(ap);
    size_t off = 0;
    for (const char *line = fix; line && *line && off < sizeof(fixes);) {
        const char *nl = strchr(line, '\n');
        int len = nl ? (int)(nl - line) : (int)strlen(line);
        off += (size_t)snprintf(fixes + off, sizeof(fixes) - off, "FIX %s: %.*s\n", s->name, len, line);
        line = nl ? nl + 1 : line + len;
    }
    unsigned nfix = fix ? count_lines(fix) : 0;
    kh->slab->errors += 1 + nfix;
    s->errors += 1 + nfix;
    kh_report(kh, KH_SEV_BUG, KH_R_SLAB, s->ops->name, reason, addr,
              RULE "\nBUG %s (Not tainted): %s\n" DASH "\n\n%s%s", s->name, reason, body, fixes);
}

/* print_section-style hex dump, 16 bytes a line. */
static size_t hex_dump(char *buf, size_t cap, const char *label, const unsigned char *p, size_t n)
{
    size_t off = 0;
    if (n > 128)
        n = 128;
    for (size_t i = 0; i < n && off < cap; i += 16) {
        unsigned char line[16];
        size_t m = n - i < 16 ? n - i : 16;
        kh_meta_copy(line, p + i, m);
        off += (size_t)snprintf(buf + off, cap - off, "%s%p: ", label, (const void *)(p + i));
        for (size_t j = 0; j < m && off < cap; j++)
            off += (size_t)snprintf(buf + off, cap - off, "%02x%s", line[j], j + 1 < m ? " " : "");
        if (off < cap)
            off += (size_t)snprintf(buf + off, cap - off, "\n");
    }
    return off < cap ? off : cap;
}

static struct track *track_at(const struct kmem_cache *s, const void *obj, bool free_track)
{
    return (struct track *)((unsigned char *)obj + kh_debug_info_end(s)) + free_track;
}

void kh_debug_get_track(const struct kmem_cache *s, const void *obj, bool free_track,
                        uintptr_t *addr, unsigned *cpu)
{
    struct track t;
    kh_meta_copy(&t, track_at(s, obj, free_track), sizeof(t));
    *addr = (uintptr_t)t.addr;
    *cpu = t.cpu;
}

/* The trailer: tracking, slab info and the object's bytes. */
static void trailer(struct kh *kh, const struct kmem_cache *s, const struct slab *slab,
                    const unsigned char *obj, char *buf, size_t cap)
{
    size_t off = 0;
    if (s->flags & SLAB_STORE_USER) {
        for (int f = 0; f < 2 && off < cap; f++) {
            struct track t;
            kh_meta_copy(&t, track_at(s, obj, f), sizeof(t));
            if (t.addr)
                off += (size_t)snprintf(buf + off, cap - off, "%s in 0x%llx age=%llu cpu=%u pid=%u\n",
                                        f ? "Freed" : "Allocated", (unsigned long long)t.addr,
                                        (unsigned long long)(kh->slab->clock - t.when), t.cpu, t.pid);
        }
    }
    if (off < cap)
        off += (size_t)snprintf(buf + off, cap - off,
                                "Slab %p objects=%u used=%u fp=%p flags=0x%x(slab)\n"
                                "Object %p @offset=%lu fp=%p\n\n",
                                (void *)slab->base, slab->objects, slab->inuse, slab->freelist,
                                slab->page->flags, (const void *)obj,
                                (unsigned long)(obj - slab->base), kh_get_fp(s, obj));
    if ((s->flags & SLAB_RED_ZONE) && off < cap)
        off += hex_dump(buf + off, cap - off, "Redzone  ", obj - s->red_left_pad, s->red_left_pad);
    if (off < cap)
        off += hex_dump(buf + off, cap - off, "Object   ", obj, s->object_size);
    if ((s->flags & SLAB_RED_ZONE) && off < cap)
        hex_dump(buf + off, cap - off, "Redzone  ", obj + s->object_size, s->inuse - s->object_size);
}

/* ---- object layout ---- */

static unsigned orig_size_off(const struct kmem_cache *s)
{
    return kh_debug_info_end(s) + 2 * KH_TRACK_SIZE;
}

static void init_object(const struct kmem_cache *s, const struct slab *slab, unsigned char *obj,
                        int val, unsigned req)
{
    (void)slab;
    unsigned poison_size = s->object_size;
    if (s->flags & SLAB_RED_ZONE) {
        kh_meta_fill(obj - s->red_left_pad, val, s->red_left_pad);
        if ((s->flags & KH_CACHE_KMALLOC_RZ) && val == SLUB_RED_ACTIVE && req)
            poison_size = req;
    }
    if (s->flags & __OBJECT_POISON) {
        kh_meta_fill(obj, POISON_FREE, poison_size - 1);
        kh_meta_fill(obj + poison_size - 1, POISON_END, 1);
    }
    if (s->flags & SLAB_RED_ZONE)
        kh_meta_fill(obj + poison_size, val, s->inuse - poison_size);
}

static void set_track(struct kh *kh, const struct kmem_cache *s, void *obj, bool free_track,
                      uintptr_t caller)
{
    struct track t = { .addr = caller, .cpu = kh->current_cpu, .pid = 1, .when = ++kh->slab->clock };
    kh_meta_copy(track_at(s, obj, free_track), &t, sizeof(t));
}

void kh_debug_init_slab(struct kh *kh, struct kmem_cache *s, struct slab *slab)
{
    (void)kh;
    if (s->flags & SLAB_POISON)
        kh_meta_fill(slab->base, POISON_INUSE, kh->page_size << slab->order);
    for (unsigned i = 0; i < slab->objects; i++) {
        unsigned char *obj = kh_obj_at(s, slab, i);
        init_object(s, slab, obj, SLUB_RED_INACTIVE, 0);
        if (s->flags & SLAB_STORE_USER)
            kh_meta_fill(track_at(s, obj, false), 0, 2 * KH_TRACK_SIZE);
    }
}

/* ---- checks ---- */

struct damage {
    const char *reason;        /* "Right Redzone overwritten", ... */
    const char *what;          /* "Right Redzone" for the FIX line */
    unsigned char *start, *fault, *end;
    int value;
    bool fp_corrupt;
};

static bool check_bytes(const char *reason, const char *what, unsigned char *start, int value,
                        size_t n, struct damage *d)
{
    const unsigned char *fault = kh_meta_find_not(start, value, n);
    if (!fault)
        return true;
    unsigned char *end = start + n;
    unsigned char last;
    while (end > fault) {
        kh_meta_copy(&last, end - 1, 1);
        if (last != (unsigned char)value)
            break;
        end--;
    }
    *d = (struct damage){ reason, what, start, (unsigned char *)fault, end, value, false };
    return false;
}

static bool valid_pointer(const struct kmem_cache *s, const struct slab *slab, const void *p)
{
    if (!p)
        return true;
    const unsigned char *c = p;
    if (c < slab->first || c >= slab->first + (size_t)slab->objects * s->size)
        return false;
    return (size_t)(c - slab->first) % s->size == 0;
}

/* check_object(): first damage found, false if any. */
static bool check_object(const struct kmem_cache *s, const struct slab *slab, unsigned char *obj,
                         int val, unsigned req, bool check_fp, struct damage *d)
{
    unsigned char *end = obj + s->object_size;
    if (s->flags & SLAB_RED_ZONE) {
        if (!check_bytes("Left Redzone overwritten", "Left Redzone", obj - s->red_left_pad, val,
                         s->red_left_pad, d))
            return false;
        if (!check_bytes("Right Redzone overwritten", "Right Redzone", end, val,
                         s->inuse - s->object_size, d))
            return false;
        if ((s->flags & KH_CACHE_KMALLOC_RZ) && val == SLUB_RED_ACTIVE && req &&
            req < s->object_size &&
            !check_bytes("kmalloc Redzone overwritten", "kmalloc Redzone", obj + req, val,
                         s->object_size - req, d))
            return false;
    } else if ((s->flags & SLAB_POISON) && s->object_size < s->inuse) {
        if (!check_bytes("Alignment padding overwritten", "Alignment padding", end, POISON_INUSE,
                         s->inuse - s->object_size, d))
            return false;
    }
    if (s->flags & SLAB_POISON) {
        if (val != SLUB_RED_ACTIVE && (s->flags & __OBJECT_POISON)) {
            if (!check_bytes("Poison overwritten", "Poison", obj, POISON_FREE, s->object_size - 1, d))
                return false;
            if (!check_bytes("End Poison overwritten", "End Poison", end - 1, POISON_END, 1, d))
                return false;
        }
        unsigned pad_from = kh_debug_info_end(s);
        if (s->flags & SLAB_STORE_USER)
            pad_from += 2 * KH_TRACK_SIZE + ((s->flags & SLAB_KMALLOC) ? 4u : 0u);
        unsigned slot_end = s->size - s->red_left_pad;
        if (pad_from < slot_end &&
            !check_bytes("Object padding overwritten", "Object padding", obj + pad_from,
                         POISON_INUSE, slot_end - pad_from, d))
            return false;
    }
    if (!check_fp || (!kh_fp_outside(s) && val == SLUB_RED_ACTIVE))
        return true;
    if (!valid_pointer(s, slab, kh_get_fp(s, obj))) {
        *d = (struct damage){ "Freepointer corrupt", NULL, obj, obj, obj, 0, true };
        return false;
    }
    return true;
}

const char *kh_debug_object_damage(const struct kmem_cache *s, const struct slab *slab,
                                   const void *obj, bool allocated)
{
    struct damage d;
    unsigned idx = kh_obj_index(s, slab, obj);
    unsigned req = slab->req ? slab->req[idx] : 0;
    if (check_object(s, slab, (unsigned char *)obj, allocated ? SLUB_RED_ACTIVE : SLUB_RED_INACTIVE,
                     req, !kh_slab_quarantined(slab, idx), &d))
        return NULL;
    return d.reason;
}

/* Reports the damage, repairs it as the kernel does, adds `extra_fix`. */
static void report_damage(struct kh *kh, struct kmem_cache *s, const struct slab *slab,
                          unsigned char *obj, struct damage *d, const char *extra_fix)
{
    char tr[1536], fix[256];
    trailer(kh, s, slab, obj, tr, sizeof(tr));
    if (d->fp_corrupt) {
        kh_set_fp(s, obj, NULL);
        kh_slab_bug(kh, s, d->reason, (uintptr_t)obj, extra_fix, "%s", tr);
        return;
    }
    unsigned char first;
    kh_meta_copy(&first, d->fault, 1);
    snprintf(fix, sizeof(fix), "Restoring %s %p-%p=0x%x%s%s", d->what, (void *)d->fault,
             (void *)(d->end - 1), d->value, extra_fix ? "\n" : "", extra_fix ? extra_fix : "");
    kh_meta_fill(d->fault, d->value, (size_t)(d->end - d->fault));
    kh_slab_bug(kh, s, d->reason, (uintptr_t)d->fault, fix,
                "%p-%p @offset=%lu. First byte 0x%x instead of 0x%x\n%s", (void *)d->fault,
                (void *)(d->end - 1), (unsigned long)(d->fault - obj), first, d->value, tr);
}

bool kh_debug_alloc(struct kh *kh, struct kmem_cache *s, struct slab *slab, void *obj, unsigned req,
                    uintptr_t caller)
{
    if (s->flags & SLAB_CONSISTENCY_CHECKS) {
        struct damage d;
        if (!check_object(s, slab, obj, SLUB_RED_INACTIVE, 0, true, &d))
            report_damage(kh, s, slab, obj, &d, NULL);
    }
    if (s->flags & KH_CACHE_KMALLOC_RZ) {
        unsigned r = req;
        kh_meta_copy((unsigned char *)obj + orig_size_off(s), &r, sizeof(r));
    }
    if (s->flags & SLAB_STORE_USER)
        set_track(kh, s, obj, false, caller);
    init_object(s, slab, obj, SLUB_RED_ACTIVE, (s->flags & KH_CACHE_KMALLOC_RZ) ? req : 0);
    return true;
}

bool kh_debug_free(struct kh *kh, struct kmem_cache *s, struct slab *slab, void *obj,
                   uintptr_t caller)
{
    unsigned idx = kh_obj_index(s, slab, obj);
    unsigned req = slab->req ? slab->req[idx] : 0;
    if (s->flags & SLAB_CONSISTENCY_CHECKS) {
        struct damage d;
        if (!check_object(s, slab, obj, SLUB_RED_ACTIVE, req, true, &d)) {
            char extra[96];
            snprintf(extra, sizeof(extra), "Object at %p not freed", obj);
            report_damage(kh, s, slab, obj, &d, extra);
            return false;
        }
    }
    if (s->flags & SLAB_STORE_USER)
        set_track(kh, s, obj, true, caller);
    init_object(s, slab, obj, SLUB_RED_INACTIVE, 0);
    return true;
}

void kh_debug_set_req(struct kh *kh, struct kmem_cache *s, struct slab *slab, void *obj,
                      unsigned old_req, unsigned new_req)
{
    (void)kh;
    (void)slab;
    (void)old_req;
    kh_meta_copy((unsigned char *)obj + orig_size_off(s), &new_req, sizeof(new_req));
#ifdef KH_PLANT_REDZONE_ON_POISON
    if ((s->flags & SLAB_POISON) && new_req < s->object_size)  /* planted bug: keyed on P, not Z */
#else
    if ((s->flags & SLAB_RED_ZONE) && new_req < s->object_size)
#endif
        kh_meta_fill((unsigned char *)obj + new_req, SLUB_RED_ACTIVE, s->object_size - new_req);
}

void kh_debug_check_slab_padding(struct kh *kh, struct kmem_cache *s, struct slab *slab)
{
    unsigned long bytes = kh->page_size << slab->order;
    unsigned char *start = slab->base;
    unsigned long used = slab->colour_off + (unsigned long)slab->objects * s->size;
    if (used >= bytes)
        return;
    unsigned long n = bytes - used;
    const unsigned char *fault = kh_meta_find_not(start + used, POISON_INUSE, n);
    if (!fault)
        return;
    unsigned char *end = start + bytes, last, first;
    while (end > fault) {
        kh_meta_copy(&last, end - 1, 1);
        if (last != POISON_INUSE)
            break;
        end--;
    }
    kh_meta_copy(&first, fault, 1);
    char fix[128];
    snprintf(fix, sizeof(fix), "Restoring slab padding %p-%p=0x%x", (const void *)fault,
             (void *)(end - 1), POISON_INUSE);
    kh_slab_bug(kh, s, "Padding overwritten", (uintptr_t)fault, fix,
                "Padding overwritten. %p-%p @offset=%lu\nFirst byte 0x%x instead of 0x%x\n",
                (const void *)fault, (void *)(end - 1), (unsigned long)(fault - start), first,
                POISON_INUSE);
    kh_meta_fill((void *)fault, POISON_INUSE, (size_t)(end - fault));
}

/* ---- validate_slab_cache ---- */

static void slab_err(struct kh *kh, struct kmem_cache *s, const struct slab *slab, const char *reason,
                     const char *fix, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
static void slab_err(struct kh *kh, struct kmem_cache *s, const struct slab *slab, const char *reason,
                     const char *fix, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    kh_slab_bug(kh, s, reason, (uintptr_t)slab->base, fix,
                "%s\nSlab %p objects=%u used=%u fp=%p flags=0x%x(slab)\n", msg,
                (void *)slab->base, slab->objects, slab->inuse, slab->freelist, slab->page->flags);
}

/* on_freelist(s, slab, NULL): walks and repairs the slab freelist, marks
 * free objects in `free`. Returns false when the list had to be cleared. */
static bool walk_freelist(struct kh *kh, struct kmem_cache *s, struct slab *slab, uint8_t *free_map)
{
    unsigned nr = 0;
    void *object = NULL;
    void *fp = slab->freelist;
    if (s->ops->index_freelist) {
        /* No chain to walk: the design's own validation checks the index
         * list; the allocation map says which objects are free. */
        for (unsigned i = 0; i < slab->objects; i++)
            free_map[i] = !kh_map_test(slab, i);
        return true;
    }
    while (fp && nr <= slab->objects) {
        if (!valid_pointer(s, slab, fp)) {
            if (object) {
                struct damage d = { "Freechain corrupt", NULL, object, object, object, 0, true };
                report_damage(kh, s, slab, object, &d, NULL);
            } else {
                slab_err(kh, s, slab, "Freepointer corrupt", "Freelist cleared", "Freepointer corrupt");
                slab->freelist = NULL;
                slab->inuse = slab->objects;
                return false;
            }
            break;
        }
        unsigned idx = kh_obj_index(s, slab, fp);
        if (free_map[idx]) {
            slab_err(kh, s, slab, "Freelist cycle detected", "Freelist cleared",
                     "Freelist cycle detected");
            slab->freelist = NULL;
            slab->inuse = slab->objects;
            return false;
        }
        free_map[idx] = 1;
        object = fp;
        fp = kh_get_fp(s, object);
        nr++;
    }
    unsigned max_objects = kh_slab_capacity(kh, s, slab->order, slab->colour_off);
    if (slab->objects != max_objects) {
        slab_err(kh, s, slab, "Wrong number of objects", "Number of objects adjusted",
                 "Wrong number of objects. Found %u but should be %u", slab->objects, max_objects);
        slab->objects = max_objects;
    }
    if (slab->inuse != slab->objects - nr) {
        slab_err(kh, s, slab, "Wrong object count", "Object count adjusted",
                 "Wrong object count. Counter is %u but counted were %u", slab->inuse,
                 slab->objects - nr);
        slab->inuse = slab->objects - nr;
    }
    return true;
}

unsigned kh_debug_validate_slab(struct kh *kh, struct kmem_cache *s, struct slab *slab)
{
    unsigned long before = kh->slab->errors;
    if (slab->list != KH_SLAB_LIST_PARTIAL && slab->list != KH_SLAB_LIST_FULL &&
        slab->list != KH_SLAB_LIST_FREE)
        return 0;   /* like the kernel: only slabs on the node lists */
    if (s->flags & SLAB_POISON)
        kh_debug_check_slab_padding(kh, s, slab);
    uint8_t *free_map = calloc(slab->objects ? slab->objects : 1, 1);
    if (!free_map)
        return 0;
    if (walk_freelist(kh, s, slab, free_map)) {
        for (unsigned i = 0; i < slab->objects; i++) {
            unsigned char *obj = kh_obj_at(s, slab, i);
            int val = free_map[i] ? SLUB_RED_INACTIVE : SLUB_RED_ACTIVE;
            unsigned req = (!free_map[i] && slab->req) ? slab->req[i] : 0;
            bool quarantined = kh_slab_quarantined(slab, i);
            if (quarantined)
                val = SLUB_RED_INACTIVE;   /* freed and poisoned, waiting in the quarantine */
            struct damage d;
            if (!check_object(s, slab, obj, val, req, !quarantined, &d)) {
                report_damage(kh, s, slab, obj, &d, NULL);
                break;
            }
        }
    }
    free(free_map);
    return (unsigned)(kh->slab->errors - before);
}
