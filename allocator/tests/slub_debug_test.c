/* slub_debug_test.c - the slub_kunit cases of SPEC 6 with the kernel's
 * expected error counts (a report and each FIX count one), the byte
 * values, user tracking, free-time consistency checks and the krealloc
 * red-zone rules.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "fixture.h"
#include "introspect.h"
#include "kmalloc.h"
#include "slab.h"

/* Unchecked byte access: the tests scribble on red zones and freed objects
 * on purpose (the kernel tests use kasan_disable_current() for this). */
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NOASAN __attribute__((no_sanitize("address")))
#endif
#endif
#ifndef NOASAN
#define NOASAN
#endif
static NOASAN void poke(void *p, size_t off, unsigned v) { ((volatile unsigned char *)p)[off] = (unsigned char)v; }
static NOASAN unsigned peek(const void *p, size_t off) { return ((const volatile unsigned char *)p)[off]; }

static struct kh *make(const char *debug)
{
    struct kh_config cfg = kh_test_config("linux-6.1-x86_64");
    snprintf(cfg.slub_debug, sizeof(cfg.slub_debug), "%s", debug);
    return kh_test_create(&cfg);
}

static const struct kh_report *last_report(struct kh *kh)
{
    unsigned n = kh_report_count(kh, KH_SEV_WARN) + kh_report_count(kh, KH_SEV_BUG);
    return n ? kh_report_get(kh, n - 1) : NULL;
}

static unsigned offset_of_fp(struct kh *kh, struct kmem_cache *s)
{
    struct kh_cache_info ci;
    kh_slab_cache_info(kh, s, &ci);
    return ci.offset;
}

static void test_clobber_zone(void)
{
    struct kh *kh = make("");
    struct kmem_cache *s = kh_kmem_cache_create(kh, "TestSlub_RZ_alloc", 64, 0, SLAB_RED_ZONE, NULL);
    unsigned char *p = kh_kmem_cache_alloc(kh, s, GFP_KERNEL);
    poke(p, 64, 0x12);
    CHECK_EQ_U(kh_kmem_cache_validate(kh, s), 2);
    const struct kh_report *r = last_report(kh);
    CHECK_EQ_STR(r->reason, "Right Redzone overwritten");
    CHECK_CONTAINS(r->text, "=============================================================================\n"
                            "BUG TestSlub_RZ_alloc (Not tainted): Right Redzone overwritten\n"
                            "-----------------------------------------------------------------------------\n");
    CHECK_CONTAINS(r->text, "First byte 0x12 instead of 0xcc");
    CHECK_CONTAINS(r->text, "FIX TestSlub_RZ_alloc: Restoring Right Redzone");
    CHECK_EQ_U(peek(p, 64), 0xcc);   /* restored */
    CHECK_EQ_U(kh_kmem_cache_validate(kh, s), 0);
    kh_kmem_cache_free(kh, s, p);
    kh_kmem_cache_destroy(kh, s);
    CHECK_EQ_U(kh_report_count_class(kh, KH_R_SLAB), 1);
    kh_destroy(kh);
}

static void test_next_pointer(void)
{
    struct kh *kh = make("");
    struct kmem_cache *s = kh_kmem_cache_create(kh, "TestSlub_next_ptr_free", 64, 0, SLAB_POISON, NULL);
    unsigned char *p = kh_kmem_cache_alloc(kh, s, GFP_KERNEL);
    kh_kmem_cache_free(kh, s, p);
    unsigned off = offset_of_fp(kh, s);
    unsigned long tmp;
    for (unsigned i = 0; i < sizeof(tmp); i++)
        ((unsigned char *)&tmp)[i] = (unsigned char)peek(p, off + i);
    poke(p, off, (unsigned char)~peek(p, off));
    /* Freechain corrupt + Wrong object count + its FIX */
    CHECK_EQ_U(kh_kmem_cache_validate(kh, s), 3);
    for (unsigned i = 0; i < sizeof(tmp); i++)
        poke(p, off + i, ((unsigned char *)&tmp)[i]);
    /* the count is now wrong the other way: report + FIX */
    CHECK_EQ_U(kh_kmem_cache_validate(kh, s), 2);
    CHECK_EQ_U(kh_kmem_cache_validate(kh, s), 0);
    kh_kmem_cache_destroy(kh, s);
    kh_destroy(kh);
}

static void test_first_word_and_50th(void)
{
    struct kh *kh = make("");
    struct kmem_cache *s = kh_kmem_cache_create(kh, "TestSlub_1th_word_free", 64, 0, SLAB_POISON, NULL);
    unsigned char *p = kh_kmem_cache_alloc(kh, s, GFP_KERNEL);
    kh_kmem_cache_free(kh, s, p);
    CHECK_EQ_U(peek(p, 0), POISON_FREE);
    CHECK_EQ_U(peek(p, 63), POISON_END);
    poke(p, 0, 0x78);
    CHECK_EQ_U(kh_kmem_cache_validate(kh, s), 2);
    CHECK_EQ_STR(last_report(kh)->reason, "Poison overwritten");
    kh_kmem_cache_destroy(kh, s);

    s = kh_kmem_cache_create(kh, "TestSlub_50th_word_free", 64, 0, SLAB_POISON, NULL);
    p = kh_kmem_cache_alloc(kh, s, GFP_KERNEL);
    kh_kmem_cache_free(kh, s, p);
    poke(p, 50, 0x9a);
    CHECK_EQ_U(kh_kmem_cache_validate(kh, s), 2);
    CHECK_CONTAINS(last_report(kh)->text, "@offset=50");
    kh_kmem_cache_destroy(kh, s);
    kh_destroy(kh);
}

static void test_clobber_redzone_free(void)
{
    struct kh *kh = make("");
    struct kmem_cache *s = kh_kmem_cache_create(kh, "TestSlub_RZ_free", 64, 0, SLAB_RED_ZONE, NULL);
    unsigned char *p = kh_kmem_cache_alloc(kh, s, GFP_KERNEL);
    kh_kmem_cache_free(kh, s, p);
    CHECK_EQ_U(peek(p, 64), SLUB_RED_INACTIVE);
    poke(p, 64, 0xab);
    CHECK_EQ_U(kh_kmem_cache_validate(kh, s), 2);
    CHECK_CONTAINS(last_report(kh)->text, "First byte 0xab instead of 0xbb");
    kh_kmem_cache_destroy(kh, s);
    kh_destroy(kh);
}

static void test_kmalloc_redzone_access(void)
{
    struct kh *kh = make("ZU");
    /* kmalloc-32 with Z and U keeps the request and red-zones 18..31 */
    unsigned char *p = kh_kmalloc(kh, 18, GFP_KERNEL);
    struct kmem_cache *s = kh_kmalloc_cache(kh, 18, GFP_KERNEL);
    CHECK_EQ_U(peek(p, 18), SLUB_RED_ACTIVE);
    CHECK_EQ_U(peek(p, 31), SLUB_RED_ACTIVE);
    poke(p, 18, 0xab);
    poke(p, 19, 0xab);
    CHECK_EQ_U(kh_kmem_cache_validate(kh, s), 2);
    CHECK_EQ_STR(last_report(kh)->reason, "kmalloc Redzone overwritten");
    kh_kfree(kh, p);
    kh_destroy(kh);
}

static void test_destroy_with_object(void)
{
    struct kh *kh = make("");
    struct kmem_cache *s = kh_kmem_cache_create(kh, "TestSlub_leak", 64, 0, 0, NULL);
    void *a = kh_kmem_cache_alloc(kh, s, GFP_KERNEL);
    void *b = kh_kmem_cache_alloc(kh, s, GFP_KERNEL);
    (void)a;
    (void)b;
    unsigned n0 = kh_slab_cache_count(kh);
    kh_kmem_cache_destroy(kh, s);
    CHECK_EQ_U(kh_report_count(kh, KH_SEV_BUG), 2);   /* one per object */
    CHECK_EQ_U(kh_report_count(kh, KH_SEV_WARN), 1);
    CHECK_CONTAINS(kh_report_get(kh, 0)->text, "Objects remaining in TestSlub_leak on __kmem_cache_shutdown()");
    CHECK_CONTAINS(last_report(kh)->text, "kmem_cache_destroy TestSlub_leak: Slab cache still has objects");
    CHECK_EQ_U(kh_slab_cache_count(kh), n0);            /* leaked: still on the chain */
    struct kh_cache_info ci;
    kh_slab_cache_info(kh, s, &ci);
    CHECK(ci.dead);
    kh_kmem_cache_destroy(kh, s);
    CHECK_EQ_STR(last_report(kh)->reason, "double destroy");
    kh_destroy(kh);
}

/* SPEC 6 krealloc case: kmalloc-64 with Z+U. */
static void test_krealloc_redzone_zeroing(void)
{
    struct kh *kh = make("ZU");
    unsigned char *p = kh_kmalloc(kh, 48, GFP_KERNEL);
    memset(p, 0xff, 48);
    CHECK_EQ_U(peek(p, 48), 0xcc);
    p = kh_krealloc(kh, p, 40, GFP_KERNEL | __GFP_ZERO);
    unsigned bad = 0;
    for (int i = 40; i < 64; i++)
        bad += peek(p, i) != 0xcc;
    CHECK_EQ_U(bad, 0);
    p = kh_krealloc(kh, p, 56, GFP_KERNEL | __GFP_ZERO);
    bad = 0;
    for (int i = 0; i < 40; i++)
        bad += peek(p, i) != 0xff;
    for (int i = 40; i < 56; i++)
        bad += peek(p, i) != 0;
    for (int i = 56; i < 64; i++)
        bad += peek(p, i) != 0xcc;
    CHECK_EQ_U(bad, 0);
    struct kmem_cache *s = kh_kmalloc_cache(kh, 64, GFP_KERNEL);
    CHECK_EQ_U(kh_kmem_cache_validate(kh, s), 0);
    unsigned char *q = kh_krealloc(kh, p, 112, GFP_KERNEL | __GFP_ZERO);
    CHECK(q != p);
    bad = 0;
    for (int i = 0; i < 40; i++)
        bad += peek(q, i) != 0xff;
    for (int i = 40; i < 112; i++)
        bad += peek(q, i) != 0;
    for (int i = 112; i < 128; i++)
        bad += peek(q, i) != 0xcc;
    CHECK_EQ_U(bad, 0);
    CHECK_EQ_U(kh_slab_errors(kh), 0);
    kh_kfree(kh, q);
    kh_destroy(kh);
}

static void test_free_checks_and_tracking(void)
{
    struct kh *kh = make("FZPU");
    unsigned char *p = kh_kmalloc(kh, 64, GFP_KERNEL);
    struct kh_object_info oi;
    struct kmem_cache *s;
    CHECK_EQ_U(kh_slab_object_lookup(kh, p, &oi, &s), 0);
    CHECK(oi.alloc_caller != 0);
    CHECK_EQ_U(oi.free_caller, 0);
    CHECK_EQ_U(peek(p, 0), POISON_FREE);   /* 6.1 poisons allocated objects too */
    poke(p, 64, 0);                        /* right red zone */
    kh_kfree(kh, p);                  /* F: checked, reported, not freed */
    CHECK_EQ_STR(last_report(kh)->reason, "Right Redzone overwritten");
    CHECK_CONTAINS(last_report(kh)->text, "not freed");
    CHECK_EQ_U(kh_slab_errors(kh), 3);
    kh_slab_object_lookup(kh, p, &oi, NULL);
    CHECK_EQ_U(oi.state, KH_OBJ_ALLOCATED);
    kh_kfree(kh, p);                  /* red zone restored: now it goes */
    kh_slab_object_lookup(kh, p, &oi, NULL);
    CHECK_EQ_U(oi.state, KH_OBJ_FREE);
    CHECK(oi.free_caller != 0);
    kh_kfree(kh, p);
    CHECK_EQ_STR(last_report(kh)->reason, "Object already free");
    kh_kfree(kh, p + 1);
    CHECK_EQ_STR(last_report(kh)->reason, "Invalid object pointer");
    /* wrong cache */
    struct kmem_cache *c = kh_kmem_cache_create(kh, "other", 64, 0, 0, NULL);
    void *o = kh_kmalloc(kh, 64, GFP_KERNEL);
    kh_kmem_cache_free(kh, c, o);
    CHECK_CONTAINS(last_report(kh)->text, "Wrong slab cache. other but object is from kmalloc-64");
    kh_slab_object_lookup(kh, o, &oi, NULL);
    CHECK_EQ_U(oi.state, KH_OBJ_FREE);   /* freed to its real cache */
    kh_kmem_cache_destroy(kh, c);
    struct kh_violations v = { 0 };
    CHECK_EQ_U(kh_slab_validate(kh, &v), 0);
    kh_violations_print(&v, stderr);
    kh_violations_free(&v);
    kh_destroy(kh);
}

static void test_padding(void)
{
    struct kh *kh = make("");
    /* 1000-byte objects: 4 per order-0... slab has leftover padding */
    struct kmem_cache *s = kh_kmem_cache_create(kh, "pad", 1000, 0, SLAB_POISON, NULL);
    unsigned char *p = kh_kmem_cache_alloc(kh, s, GFP_KERNEL);
    struct kh_cache_info ci;
    kh_slab_cache_info(kh, s, &ci);
    struct kh_object_info oi;
    kh_slab_object_lookup(kh, p, &oi, NULL);
    unsigned long slab_bytes = 4096ul << ci.order;
    unsigned char *base = (unsigned char *)((uintptr_t)p & ~(slab_bytes - 1));
    unsigned used = ci.objects_per_slab * ci.size;
    CHECK(used < slab_bytes);
    CHECK_EQ_U(peek(base, slab_bytes - 1), POISON_INUSE);
    poke(base, slab_bytes - 1, 0);
    CHECK_EQ_U(kh_kmem_cache_validate(kh, s), 2);
    CHECK_EQ_STR(last_report(kh)->reason, "Padding overwritten");
    kh_kmem_cache_free(kh, s, p);
    kh_kmem_cache_destroy(kh, s);
    kh_destroy(kh);
}

int main(void)
{
    test_clobber_zone();
    test_next_pointer();
    test_first_word_and_50th();
    test_clobber_redzone_free();
    test_kmalloc_redzone_access();
    test_destroy_with_object();
    test_krealloc_redzone_zeroing();
    test_free_checks_and_tracking();
    test_padding();
    return check_summary();
}
