/* slab_validate_fuzzer.c - the slab layer's validator sees every corruption
 * of the state it checks.
 *
 * The page_validate target's twin for kh_slab_validate (slab_validate.c
 * and SLUB's own list and CPU checks): legal inputs never corrupt a slab,
 * so only this target runs the validator's reports, and a validator made
 * weaker would otherwise pass every fuzz target.
 *
 * The input creates one cache (object size and debug flags from the
 * input) on a small instance with 2 CPUs, SLUB or classic SLAB, and
 * allocates and frees up to 32 objects on either CPU. That state must validate clean. Then one field
 * is changed, and the validator must not crash and must report something
 * whenever the change breaks an invariant the slab layer documents
 * (slab_internal.h, slab_validate.c), restated here field by field:
 *   - a slab's counts (in use, quarantined) equal its allocation map;
 *   - its free chains (its own and its CPU's) hold each free object once,
 *     only objects of the slab, and with the in-use count make up all its
 *     objects;
 *   - its list field names the list that holds it, its CPU field the CPU
 *     that owns it (-1 for none), and its pages carry PG_slab and point
 *     back at it;
 *   - classic SLAB's free slot indices name each free slot once, its
 *     active and free-object counts agree with them, and its colour_next
 *     stays below the number of colours;
 *   - the cache's slab and object counters and list counters match;
 *   - with SLAB_RED_ZONE every object's right red zone, and with
 *     SLAB_POISON every free object's poison, is intact.
 * A change that keeps the value must not be reported, and validation must
 * be clean again once the field is restored.
 *
 * Input: size byte, flags byte (bit 4: classic SLAB), then up to 32
 * operation bytes ended by 0xFF (bit 0 set: allocate on CPU bit 1; clear:
 * free the live object (b >> 2) % live on CPU bit 1), then a corruption:
 * kind, a 16-bit selector and a 32-bit value, little endian. Any
 * disagreement aborts with "slab_validate_fuzzer: <what>".
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "corrupt.h"
#include "gfp.h"
#include "internal.h"
#include "introspect.h"
#include "kmem.h"
#include "slab.h"
#include "slab_internal.h"

#define TARGET "slab_validate"
#define MAX_OPS 32

static struct kh *make(const char *profile)
{
    struct kh_config cfg = corrupt_config(TARGET, profile);
    cfg.zone_bytes[ZONE_NORMAL] = 8ull << 20;
    cfg.nr_cpus = 2;
    return corrupt_instance(TARGET, &cfg);
}

/* The instance (SLUB, or classic SLAB with bit 4 of the flags byte) and
 * its one cache, in the state the input's operations leave. */
static struct kmem_cache *build(struct kh **khp, struct corrupt_input *in)
{
    static const unsigned sizes[] = { 8, 16, 24, 40, 64, 96, 128, 200, 256, 512, 1000, 2048 };
    static const uint32_t flag_bits[] = { SLAB_RED_ZONE, SLAB_POISON, SLAB_STORE_USER,
                                          SLAB_HWCACHE_ALIGN };
    unsigned size = sizes[corrupt_byte(in) % (sizeof(sizes) / sizeof(sizes[0]))];
    unsigned f = corrupt_byte(in);
    uint32_t flags = 0;
    for (unsigned i = 0; i < 4; i++)
        if (f & (1u << i))
            flags |= flag_bits[i];
    struct kh *kh = *khp = make(f & 0x10 ? "linux-4.x-slab" : KH_DEFAULT_PROFILE);
    struct kmem_cache *s = kh_kmem_cache_create(kh, "victim", size, 0, flags, NULL);
    if (!s)
        corrupt_fail(TARGET, "cannot create the cache", NULL);
    void *live[MAX_OPS];
    unsigned nlive = 0;
    for (unsigned i = 0; i < MAX_OPS && in->n; i++) {
        unsigned b = corrupt_byte(in);
        if (b == 0xFF)
            break;
        kh_set_cpu(kh, (b >> 1) & 1);
        if (b & 1) {
            void *p = kh_kmem_cache_alloc(kh, s, GFP_KERNEL);
            if (p)
                live[nlive++] = p;
        } else if (nlive) {
            unsigned k = (b >> 2) % nlive;
            kh_kmem_cache_free(kh, s, live[k]);
            live[k] = live[--nlive];
        }
    }
    kh_set_cpu(kh, 0);
    return s;
}

/* ---- the corruption ---- */

static struct slab *nth_slab(struct kmem_cache *s, unsigned sel)
{
    unsigned n = 0;
    for (struct slab *slab = s->all_head; slab; slab = slab->all_next)
        n++;
    if (!n)
        return NULL;
    struct slab *slab = s->all_head;
    for (unsigned i = sel % n; i; i--)
        slab = slab->all_next;
    return slab;
}

static bool allocated(const struct slab *slab, unsigned i)
{
    return slab->map[i / 64] >> (i % 64) & 1;
}

/* Another object of the slab, or NULL, or an address inside an object:
 * what a broken free pointer holds. */
static void *stray_pointer(struct kmem_cache *s, struct slab *slab, uint32_t value)
{
    switch (value & 3) {
    case 0: return NULL;
    case 1: return slab->first + (size_t)(value >> 2) % slab->objects * s->size + 8;
    default: return slab->first + (size_t)(value >> 2) % slab->objects * s->size;
    }
}

/* Classic SLAB keeps free slots as indices, not free pointers: a slab's
 * free_idx[active..objects) names each free slot once, active counts
 * those handed out, the cache counts the free ones, and colour_next stays
 * below the cache's number of colours. */
static bool corrupt_index(struct kmem_cache *s, struct slab *slab, unsigned kind, uint32_t value,
                          struct corrupt_change *c)
{
    uint64_t now;
    switch (kind) {
    case 3:
        corrupt_field(c, "slab active", &slab->active, sizeof(slab->active));
        now = c->old + (int8_t)value;
        break;
    case 4:
        if (slab->active >= slab->objects)
            return false;
        unsigned i = slab->active + value % (slab->objects - slab->active);
        corrupt_field(c, "free index entry", &slab->free_idx[i], sizeof(slab->free_idx[0]));
        now = (value >> 8) % (slab->objects + 2);   /* and past the last slot */
        break;
    case 8:
        corrupt_field(c, "cache free_objects", &s->free_objects, sizeof(s->free_objects));
        now = c->old + (int8_t)value;
        break;
    default:
        corrupt_field(c, "cache colour_next", &s->colour_next, sizeof(s->colour_next));
        now = value % (s->colour + 2);
        corrupt_apply(c, now);
        c->must_report = c->now != c->old && c->now >= (s->colour ? s->colour : 1);
        return true;
    }
    corrupt_apply(c, now);
    c->must_report = c->now != c->old;
    return true;
}

/* Fills *c for the corruption the input names and applies it. Returns
 * false when the input names nothing that exists. */
static bool corrupt(struct kmem_cache *s, struct corrupt_input *in, struct corrupt_change *c)
{
    unsigned kind = corrupt_byte(in) % 12;
    unsigned sel = corrupt_bytes(in, 2);
    uint32_t value = corrupt_bytes(in, 4);
    struct slab *slab = nth_slab(s, sel);
    uint64_t now;
    memset(c, 0, sizeof(*c));
    if (!slab && kind != 7)
        return false;
    if (s->ops->index_freelist && (kind == 3 || kind == 4 || kind == 8 || kind == 11))
        return corrupt_index(s, slab, kind, value, c);
    switch (kind) {
    case 0:
        corrupt_field(c, "slab inuse", &slab->inuse, sizeof(slab->inuse));
        now = c->old + (int8_t)value;
        break;
    case 1:
        corrupt_field(c, "slab quarantined", &slab->quarantined, sizeof(slab->quarantined));
        now = c->old + (int8_t)value;
        break;
    case 2: {                              /* one bit of the allocation map */
        unsigned i = value % slab->objects;
        corrupt_field(c, "allocation map word", &slab->map[i / 64], sizeof(slab->map[0]));
        now = c->old ^ (1ull << (i % 64));
        break;
    }
    case 3:
        corrupt_field(c, "slab freelist", &slab->freelist, sizeof(slab->freelist));
        now = (uintptr_t)stray_pointer(s, slab, value);
        break;
    case 4: {                              /* the free pointer of a free object */
        unsigned i = value % slab->objects, k;
        for (k = 0; k < slab->objects && allocated(slab, (i + k) % slab->objects); k++)
            ;
        if (k == slab->objects)
            return false;
        unsigned char *obj = slab->first + (size_t)((i + k) % slab->objects) * s->size;
        corrupt_field(c, "free pointer", obj + s->offset, sizeof(void *));
        now = (uintptr_t)stray_pointer(s, slab, value >> 8);
        break;
    }
    case 5:
        corrupt_field(c, "slab list", &slab->list, sizeof(slab->list));
        now = value % (KH_SLAB_LIST_FREE + 1);
        break;
    case 6:
        corrupt_field(c, "slab cpu", &slab->cpu, sizeof(slab->cpu));
        now = (uint32_t)((int)(value % 4) - 1);   /* -1 .. 2: no CPU, both CPUs, one too many */
        break;
    case 7:
        if (value & 1) {
            corrupt_field(c, "cache nr_slabs", &s->nr_slabs, sizeof(s->nr_slabs));
        } else {
            corrupt_field(c, "cache nr_objects", &s->nr_objects, sizeof(s->nr_objects));
        }
        now = c->old + (int8_t)(value >> 8);
        break;
    case 8: {
        unsigned cpu = value & 1;
        corrupt_field(c, "CPU freelist", &s->cpu[cpu].freelist, sizeof(s->cpu[cpu].freelist));
        now = (uintptr_t)stray_pointer(s, slab, value >> 1);
        break;
    }
    case 9: {                              /* a byte of an object's right red zone */
        if (!(s->flags & SLAB_RED_ZONE) || s->inuse <= s->object_size)
            return false;
        unsigned i = value % slab->objects;
        unsigned char *obj = slab->first + (size_t)i * s->size;
        unsigned off = s->object_size + (value >> 16) % (s->inuse - s->object_size);
        corrupt_field(c, "red zone byte", obj + off, 1);
        now = value >> 8 & 0xFF;
        break;
    }
    case 10: {                             /* a byte of a free object's poison */
        if (!(s->flags & SLAB_POISON))
            return false;
        unsigned i = value % slab->objects, k;
        for (k = 0; k < slab->objects && allocated(slab, (i + k) % slab->objects); k++)
            ;
        if (k == slab->objects)
            return false;
        unsigned char *obj = slab->first + (size_t)((i + k) % slab->objects) * s->size;
        corrupt_field(c, "poison byte", obj + (value >> 16) % s->object_size, 1);
        now = value >> 8 & 0xFF;
        break;
    }
    default:                               /* classic SLAB only */
        return false;
    }
    corrupt_apply(c, now);
    c->must_report = c->now != c->old;
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct corrupt_input in = { data, size };
    struct kh *kh;
    struct kmem_cache *s = build(&kh, &in);
    corrupt_check_clean(TARGET, kh, kh_slab_validate);
    struct corrupt_change c;
    if (corrupt(s, &in, &c)) {
        char context[64];
        snprintf(context, sizeof(context), "(cache of %u-byte objects, flags %#x)", s->object_size,
                 s->flags);
        corrupt_judge(TARGET, kh, kh_slab_validate, &c, context);
    }
    kh_destroy(kh);
    return 0;
}
