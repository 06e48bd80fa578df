/* percpu_test.c - the per-CPU rules of SPEC section 9: every CPU's copy
 * zeroed, aligned and disjoint, the size/alignment limits with the kernel's
 * warning text, misuse reports with no state change, chunk growth and
 * release, get_cpu/put_cpu, reset and validation.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "fixture.h"
#include "internal.h"
#include "introspect.h"
#include "page_alloc.h"
#include "percpu.h"

#define NR_CPUS 4

static struct kh *new_instance(const char *profile, unsigned nr_cpus)
{
    struct kh_config cfg = kh_test_config(profile);
    cfg.nr_cpus = nr_cpus;
    return kh_test_create(&cfg);
}

static const struct kh_report *last_report(const struct kh *kh)
{
    const struct kh_report *r, *last = NULL;
    for (unsigned i = 0; (r = kh_report_get(kh, i)) != NULL; i++)
        last = r;
    return last;
}

static const char *last_text(const struct kh *kh)
{
    const struct kh_report *r = last_report(kh);
    return r ? r->text : NULL;
}

static unsigned all_reports(const struct kh *kh)
{
    return kh_report_count(kh, KH_SEV_WARN) + kh_report_count(kh, KH_SEV_BUG);
}

static unsigned validate(struct kh *kh)
{
    struct kh_violations v = { 0 };
    unsigned n = kh_percpu_validate(kh, &v);
    if (n)
        kh_violations_print(&v, stderr);
    kh_violations_free(&v);
    return n;
}

/* Violations of one invariant, for checks that expect them. */
static unsigned violations(struct kh *kh, const char *invariant)
{
    struct kh_violations v = { 0 };
    kh_percpu_validate(kh, &v);
    unsigned n = kh_violations_count(&v, "percpu", invariant);
    kh_violations_free(&v);
    return n;
}

static bool all_zero(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return false;
    return true;
}

/* ---- tests ---- */

struct stats_pair { long packets; int drops; };

static void test_copies_distinct_and_zeroed(void)
{
    struct kh *kh = new_instance(KH_DEFAULT_PROFILE, NR_CPUS);
    struct stats_pair *s = kh_alloc_percpu(kh, struct stats_pair);
    CHECK(s != NULL);
    size_t unit = kh_percpu_unit_size(kh);
    CHECK_EQ_U(unit, 32768);
    CHECK_EQ_U(kh_nr_cpus(kh), NR_CPUS);
    for (unsigned cpu = 0; cpu < NR_CPUS; cpu++) {
        struct stats_pair *c = kh_per_cpu_ptr(kh, s, cpu);
        CHECK((unsigned char *)c == (unsigned char *)s + cpu * unit);
        CHECK(all_zero((unsigned char *)c, sizeof(*c)));
        CHECK_EQ_U((uintptr_t)c % _Alignof(struct stats_pair), 0);
        c->packets = 1000 + cpu;
        c->drops = (int)cpu;
    }
    CHECK(kh_per_cpu_ptr(kh, s, 0) == (void *)s);
    for (unsigned cpu = 0; cpu < NR_CPUS; cpu++) {
        struct stats_pair *c = kh_per_cpu_ptr(kh, s, cpu);
        CHECK_EQ_U(c->packets, 1000 + cpu);
        CHECK_EQ_U(c->drops, cpu);
    }
    /* this_cpu_ptr follows the simulated CPU */
    kh_set_cpu(kh, 2);
    CHECK(kh_this_cpu_ptr(kh, s) == kh_per_cpu_ptr(kh, s, 2));
    CHECK_EQ_U(((struct stats_pair *)kh_this_cpu_ptr(kh, s))->packets, 1002);
    kh_set_cpu(kh, 0);
    /* a pointer inside the allocation (a member) works as in the kernel */
    struct stats_pair *cpu3 = kh_per_cpu_ptr(kh, s, 3);
    CHECK(kh_per_cpu_ptr(kh, &s->drops, 3) == &cpu3->drops);

    struct kh_percpu_alloc_info info;
    CHECK(kh_percpu_find(kh, s, &info));
    CHECK_EQ_U(info.size, sizeof(struct stats_pair));
    CHECK_EQ_U(info.align, _Alignof(struct stats_pair));
    CHECK_EQ_U(info.nr_cpus, NR_CPUS);
    CHECK_EQ_U(validate(kh), 0);
    kh_free_percpu(kh, s);
    CHECK_EQ_U(all_reports(kh), 0);
    kh_destroy(kh);
}

static void test_reuse_is_zeroed(void)
{
    struct kh *kh = new_instance(KH_DEFAULT_PROFILE, NR_CPUS);
    unsigned char *p = kh___alloc_percpu(kh, 64, 8);
    for (unsigned cpu = 0; cpu < NR_CPUS; cpu++)
        memset(kh_per_cpu_ptr(kh, p, cpu), 0xff, 64);
    kh_free_percpu(kh, p);
    unsigned char *q = kh___alloc_percpu(kh, 64, 8);
    CHECK(q == p);   /* first fit: the same slot */
    for (unsigned cpu = 0; cpu < NR_CPUS; cpu++)
        CHECK(all_zero(kh_per_cpu_ptr(kh, q, cpu), 64));
    kh_free_percpu(kh, q);
    kh_destroy(kh);
}

static void test_alignment(void)
{
    struct kh *kh = new_instance(KH_DEFAULT_PROFILE, NR_CPUS);
    unsigned long ps = kh_page_size(kh);
    void *ptrs[16];
    unsigned n = 0;
    /* a 4-byte allocation first, so every later aligned one has to skip */
    ptrs[n++] = kh___alloc_percpu(kh, 1, 1);
    for (size_t align = 1; align <= ps; align *= 2) {
        void *p = kh___alloc_percpu(kh, 12, align);
        CHECK(p != NULL);
        size_t eff = align < 4 ? 4 : align;
        for (unsigned cpu = 0; cpu < NR_CPUS; cpu++)
            CHECK_EQ_U((uintptr_t)kh_per_cpu_ptr(kh, p, cpu) % eff, 0);
        struct kh_percpu_alloc_info info;
        CHECK(kh_percpu_find(kh, p, &info));
        CHECK_EQ_U(info.align, eff);
        CHECK_EQ_U(info.rounded_size, 12);
        ptrs[n++] = p;
    }
    /* align 0 and a non-power-of-two below 4 are raised to 4 and accepted */
    void *z = kh___alloc_percpu(kh, 5, 0);
    void *t = kh___alloc_percpu(kh, 5, 3);
    CHECK(z && t && (uintptr_t)z % 4 == 0 && (uintptr_t)t % 4 == 0);
    CHECK_EQ_U(all_reports(kh), 0);
    CHECK_EQ_U(validate(kh), 0);
    kh_free_percpu(kh, z);
    kh_free_percpu(kh, t);
    while (n)
        kh_free_percpu(kh, ptrs[--n]);
    kh_destroy(kh);
}

static void test_illegal_requests(void)
{
    struct kh *kh = new_instance(KH_DEFAULT_PROFILE, NR_CPUS);
    unsigned long ps = kh_page_size(kh);
    CHECK(kh___alloc_percpu(kh, 0, 4) == NULL);
    const struct kh_report *r = last_report(kh);
    CHECK_CONTAINS(last_text(kh), "illegal size (0) or align (4) for percpu allocation");
    CHECK(r && r->cls == KH_R_PERCPU && r->severity == KH_SEV_WARN);

    CHECK(kh___alloc_percpu(kh, 32769, 4) == NULL);   /* rounds to 32772 */
    CHECK_CONTAINS(last_text(kh), "illegal size (32772) or align (4) for percpu allocation");
    CHECK(kh___alloc_percpu(kh, 8, 2 * ps) == NULL);
    CHECK(kh___alloc_percpu(kh, 8, 12) == NULL);
    CHECK_CONTAINS(last_text(kh), "illegal size (8) or align (12) for percpu allocation");
    CHECK(kh___alloc_percpu(kh, SIZE_MAX, 4) == NULL);   /* rounding wraps to 0 */
    CHECK_EQ_U(reports_with(kh, "percpu illegal size or align"), 5);
    CHECK(kh___alloc_percpu_gfp(kh, 0, 4, GFP_KERNEL | __GFP_NOWARN) == NULL);
    CHECK_EQ_U(reports_with(kh, "percpu illegal size or align"), 5);
    struct kh_percpu_stats st;
    kh_percpu_get_stats(kh, &st);
    CHECK_EQ_U(st.nr_chunks, 0);

    /* the limits themselves are legal */
    void *big = kh___alloc_percpu(kh, 32767, ps);   /* rounds to 32768 */
    CHECK(big != NULL);
    for (unsigned cpu = 0; cpu < NR_CPUS; cpu++)
        CHECK(all_zero(kh_per_cpu_ptr(kh, big, cpu), 32767));
    kh_free_percpu(kh, big);
    CHECK_EQ_U(kh_report_count(kh, KH_SEV_WARN), 5);
    kh_destroy(kh);
}

/* On 64 KiB pages PCPU_MIN_UNIT_SIZE (PFN_ALIGN(32 KiB)) is one page. */
static void test_limit_follows_page_size(void)
{
    struct kh *kh = new_instance("linux-6.1-arm64-64k", 2);
    CHECK_EQ_U(kh_percpu_max_size(kh), 65536);
    void *p = kh___alloc_percpu(kh, 40000, 4);
    CHECK(p != NULL);
    CHECK(kh___alloc_percpu(kh, 65540, 4) == NULL);
    CHECK_EQ_U(reports_with(kh, "percpu illegal size or align"), 1);
    kh_free_percpu(kh, p);
    kh_destroy(kh);
}

static void test_allocations_disjoint(void)
{
    struct kh *kh = new_instance(KH_DEFAULT_PROFILE, NR_CPUS);
    enum { N = 200 };
    unsigned char *p[N];
    size_t sz[N];
    for (int i = 0; i < N; i++) {
        sz[i] = (size_t)(i % 37) * 3 + 1;
        p[i] = kh___alloc_percpu(kh, sz[i], (size_t)1 << (i % 7));
        CHECK(p[i] != NULL);
        for (unsigned cpu = 0; cpu < NR_CPUS; cpu++)
            memset(kh_per_cpu_ptr(kh, p[i], cpu), (i * NR_CPUS + (int)cpu) & 0xff, sz[i]);
    }
    /* free every third, allocate again into the holes */
    for (int i = 0; i < N; i += 3) {
        kh_free_percpu(kh, p[i]);
        p[i] = kh___alloc_percpu(kh, sz[i], 4);
        for (unsigned cpu = 0; cpu < NR_CPUS; cpu++)
            memset(kh_per_cpu_ptr(kh, p[i], cpu), (i * NR_CPUS + (int)cpu) & 0xff, sz[i]);
    }
    /* every CPU's copy of every allocation still holds its own pattern */
    unsigned bad = 0;
    for (int i = 0; i < N; i++)
        for (unsigned cpu = 0; cpu < NR_CPUS; cpu++) {
            const unsigned char *c = kh_per_cpu_ptr(kh, p[i], cpu);
            for (size_t b = 0; b < sz[i]; b++)
                bad += c[b] != ((i * NR_CPUS + (int)cpu) & 0xff);
        }
    CHECK_EQ_U(bad, 0);
    CHECK_EQ_U(validate(kh), 0);
    for (int i = 0; i < N; i++)
        kh_free_percpu(kh, p[i]);
    struct kh_percpu_stats st;
    kh_percpu_get_stats(kh, &st);
    CHECK_EQ_U(st.nr_allocs, 0);
    CHECK_EQ_U(st.used_bytes, 0);
    CHECK_EQ_U(all_reports(kh), 0);
    kh_destroy(kh);
}

static void test_bad_frees(void)
{
    struct kh *kh = new_instance(KH_DEFAULT_PROFILE, NR_CPUS);
    int *a = kh_alloc_percpu(kh, int);
    long *b = kh_alloc_percpu(kh, long);
    *(int *)kh_per_cpu_ptr(kh, a, 1) = 5;
    struct kh_percpu_stats before, after;
    kh_percpu_get_stats(kh, &before);

    kh_free_percpu(kh, NULL);
    CHECK_EQ_U(all_reports(kh), 0);

    int local;
    kh_free_percpu(kh, &local);                       /* not per-CPU memory */
    CHECK_EQ_U(reports_with(kh, "free_percpu invalid pointer"), 1);
    const struct kh_report *r = last_report(kh);
    CHECK(r && r->severity == KH_SEV_BUG && r->cls == KH_R_PERCPU);
    CHECK(r && r->addr == (uintptr_t)&local);
    kh_free_percpu(kh, (char *)b + 4);                /* inside an allocation */
    kh_free_percpu(kh, kh_per_cpu_ptr(kh, a, 1));     /* another CPU's copy */
    CHECK_EQ_U(reports_with(kh, "free_percpu invalid pointer"), 3);
    kh_percpu_get_stats(kh, &after);
    CHECK_EQ_U(after.nr_allocs, before.nr_allocs);
    CHECK_EQ_U(after.used_bytes, before.used_bytes);
    CHECK_EQ_U(*(int *)kh_per_cpu_ptr(kh, a, 1), 5);
    CHECK_EQ_U(validate(kh), 0);

    kh_free_percpu(kh, a);
    kh_free_percpu(kh, a);                            /* double free */
    CHECK_EQ_U(reports_with(kh, "free_percpu invalid pointer"), 4);
    CHECK_EQ_U(kh_report_count(kh, KH_SEV_BUG), 4);
    kh_free_percpu(kh, b);
    CHECK_EQ_U(validate(kh), 0);
    kh_destroy(kh);
}

static void test_per_cpu_ptr_misuse(void)
{
    struct kh *kh = new_instance(KH_DEFAULT_PROFILE, NR_CPUS);
    int *a = kh_alloc_percpu(kh, int);
    CHECK(kh_per_cpu_ptr(kh, a, NR_CPUS) == NULL);
    CHECK_EQ_U(reports_with(kh, "per_cpu_ptr cpu out of range"), 1);
    int local = 0;
    CHECK(kh_per_cpu_ptr(kh, &local, 0) == NULL);
    CHECK_EQ_U(reports_with(kh, "per_cpu_ptr bad pointer"), 1);
    CHECK_EQ_U(kh_report_count(kh, KH_SEV_BUG), 0);
    kh_free_percpu(kh, a);
    kh_destroy(kh);
}

static void test_get_put_cpu(void)
{
    struct kh *kh = new_instance(KH_DEFAULT_PROFILE, NR_CPUS);
    kh_set_cpu(kh, 3);
    CHECK_EQ_U(kh_get_cpu(kh), 3);
    CHECK_EQ_U(kh_get_cpu(kh), 3);
    struct kh_percpu_stats st;
    kh_percpu_get_stats(kh, &st);
    CHECK_EQ_U(st.preempt_count, 2);
    kh_put_cpu(kh);
    kh_put_cpu(kh);
    CHECK_EQ_U(all_reports(kh), 0);
    kh_put_cpu(kh);                                   /* unbalanced */
    CHECK_EQ_U(reports_with(kh, "put_cpu without get_cpu"), 1);
    kh_percpu_get_stats(kh, &st);
    CHECK_EQ_U(st.preempt_count, 0);
    kh_get_cpu(kh);
    kh_reset(kh);
    kh_set_report_mode(kh, KH_REPORT_RECORD);
    kh_percpu_get_stats(kh, &st);
    CHECK_EQ_U(st.preempt_count, 0);
    kh_destroy(kh);
}

static void test_chunks_grow_and_shrink(void)
{
    struct kh *kh = new_instance(KH_DEFAULT_PROFILE, NR_CPUS);
    unsigned long free0 = kh_nr_free_pages(kh);
    void *a = kh___alloc_percpu(kh, 32768, 4);
    unsigned long free1 = kh_nr_free_pages(kh);
    CHECK(free1 < free0);
    CHECK(free0 - free1 >= NR_CPUS * 32768 / kh_page_size(kh));
    void *b = kh___alloc_percpu(kh, 32768, 4);
    void *c = kh___alloc_percpu(kh, 4, 4);
    CHECK(a && b && c);
    struct kh_percpu_stats st;
    kh_percpu_get_stats(kh, &st);
    CHECK_EQ_U(st.nr_chunks, 3);
    CHECK_EQ_U(validate(kh), 0);
    kh_free_percpu(kh, b);
    kh_free_percpu(kh, c);
    kh_percpu_get_stats(kh, &st);
    CHECK_EQ_U(st.nr_chunks, 1);                      /* empty extra chunks are released */
    CHECK_EQ_U(kh_nr_free_pages(kh), free1);
    kh_free_percpu(kh, a);
    kh_percpu_get_stats(kh, &st);
    CHECK_EQ_U(st.nr_chunks, 1);                      /* the first chunk stays */
    CHECK_EQ_U(validate(kh), 0);
    CHECK_EQ_U(all_reports(kh), 0);
    kh_destroy(kh);
}

static void test_atomic_and_injected_failures(void)
{
    struct kh *kh = new_instance(KH_DEFAULT_PROFILE, NR_CPUS);
    /* the first chunk exists "from boot": atomic allocations may use it */
    void *a = kh___alloc_percpu_gfp(kh, 32000, 4, GFP_ATOMIC);
    CHECK(a != NULL);
    /* but an atomic allocation cannot create a chunk */
    CHECK(kh___alloc_percpu_gfp(kh, 1024, 4, GFP_ATOMIC) == NULL);
    CHECK_EQ_U(reports_with(kh, "percpu allocation failed"), 1);
    CHECK_CONTAINS(last_text(kh), "percpu: allocation failed, size=1024 align=4 atomic=1, "
                                  "atomic alloc failed, no space left");
    void *b = kh___alloc_percpu(kh, 1024, 4);          /* sleeping: a new chunk */
    CHECK(b != NULL);

    struct kh_fault_config fc = { .mode = KH_FAULT_NTH, .domains = KH_FAULT_PERCPU, .nth = 1 };
    kh_fault_set(kh, &fc);
    CHECK(kh___alloc_percpu(kh, 16, 4) == NULL);
    CHECK_EQ_U(reports_with(kh, "percpu allocation failed"), 2);
    CHECK_EQ_U(kh_fault_injected(kh), 1);
    void *c = kh___alloc_percpu(kh, 16, 4);
    CHECK(c != NULL);

    /* a chunk whose pages cannot be had */
    struct kh_fault_config pf = { .mode = KH_FAULT_FROM, .domains = KH_FAULT_PAGE, .nth = 1 };
    kh_fault_set(kh, &pf);
    CHECK(kh___alloc_percpu(kh, 32768, 4) == NULL);
    CHECK_CONTAINS(last_text(kh), "failed to allocate new chunk");
    CHECK_EQ_U(kh_report_count_class(kh, KH_R_PAGE_ALLOC_FAILURE), 0);
    CHECK(kh___alloc_percpu_gfp(kh, 32768, 4, GFP_KERNEL | __GFP_NOWARN) == NULL);
    CHECK_EQ_U(reports_with(kh, "percpu allocation failed"), 3);
    kh_fault_clear(kh);
    CHECK_EQ_U(validate(kh), 0);
    kh_free_percpu(kh, a);
    kh_free_percpu(kh, b);
    kh_free_percpu(kh, c);
    kh_destroy(kh);
}

static void test_failure_warning_limit(void)
{
    struct kh *kh = new_instance(KH_DEFAULT_PROFILE, NR_CPUS);
    struct kh_fault_config fc = { .mode = KH_FAULT_FROM, .domains = KH_FAULT_PERCPU, .nth = 1 };
    kh_fault_set(kh, &fc);
    for (int i = 0; i < 15; i++)
        CHECK(kh___alloc_percpu(kh, 8, 4) == NULL);
    CHECK_EQ_U(reports_with(kh, "percpu allocation failed"), 10);   /* the kernel's warn_limit */
    CHECK_CONTAINS(last_text(kh), "percpu: limit reached, disable warning");
    kh_destroy(kh);
}

struct walk_ctx { unsigned chunks, allocs; size_t bytes; };
static int on_chunk(void *ctx, const struct kh_percpu_chunk_info *c)
{
    struct walk_ctx *w = ctx;
    w->chunks++;
    w->bytes += c->used_bytes;
    return 0;
}
static int on_alloc(void *ctx, const struct kh_percpu_alloc_info *a)
{
    ((struct walk_ctx *)ctx)->allocs++;
    return a->size == 0;   /* never: keeps walking */
}

static void test_walk_and_reset(void)
{
    struct kh *kh = new_instance(KH_DEFAULT_PROFILE, NR_CPUS);
    unsigned long free_fresh = kh_nr_free_pages(kh);
    void *first = kh___alloc_percpu(kh, 100, 16);
    kh___alloc_percpu(kh, 32768, 4);
    kh___alloc_percpu(kh, 7, 4);
    struct walk_ctx w = { 0 };
    CHECK_EQ_U(kh_percpu_walk(kh, on_chunk, on_alloc, &w), 3);
    CHECK_EQ_U(w.chunks, 2);
    CHECK_EQ_U(w.allocs, 3);
    CHECK_EQ_U(w.bytes, 100 + 32768 + 8);

    kh_reset(kh);
    kh_set_report_mode(kh, KH_REPORT_RECORD);
    struct kh_percpu_stats st;
    kh_percpu_get_stats(kh, &st);
    CHECK_EQ_U(st.nr_chunks, 0);
    CHECK_EQ_U(st.nr_allocs, 0);
    CHECK_EQ_U(kh_nr_free_pages(kh), free_fresh);
    CHECK(!kh_percpu_find(kh, first, NULL));
    void *again = kh___alloc_percpu(kh, 100, 16);
    CHECK(again == first);                            /* deterministic replay */
    CHECK(all_zero(again, 100));
    CHECK_EQ_U(validate(kh), 0);
    kh_destroy(kh);
}

static void test_validate_catches_corruption(void)
{
    struct kh *kh = new_instance(KH_DEFAULT_PROFILE, NR_CPUS);
    void *p = kh___alloc_percpu(kh, 64, 4);
    CHECK(kh_percpu_find(kh, p, NULL));
    struct page *head = kh_virt_to_page(kh, p);
    CHECK(head != NULL);
    CHECK_EQ_U(validate(kh), 0);
    uint32_t saved = head->flags;
    head->flags &= ~PG_head;
    CHECK_EQ_U(violations(kh, "percpu-chunk-block"), 1);
    head->flags = saved;
    CHECK_EQ_U(validate(kh), 0);
    kh_free_percpu(kh, p);
    kh_destroy(kh);
}

#ifdef KH_ASAN
static bool access_dies(volatile unsigned char *p)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        if (!freopen("/dev/null", "w", stderr))
            _exit(3);
        (void)*p;
        _exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
    return !(WIFEXITED(status) && (WEXITSTATUS(status) == 0 || WEXITSTATUS(status) == 3));
}

static void test_asan_catches_overflow_and_uaf(void)
{
    struct kh *kh = new_instance(KH_DEFAULT_PROFILE, NR_CPUS);
    unsigned char *p = kh___alloc_percpu(kh, 10, 4);
    unsigned char *c2 = kh_per_cpu_ptr(kh, p, 2);
    CHECK(!access_dies(c2 + 9));
    CHECK(access_dies(c2 + 10));
    kh_free_percpu(kh, p);
    CHECK(access_dies(c2));
    kh_destroy(kh);
}
#endif

static void test_default_instance_names(void)
{
    struct kh *kh = new_instance(KH_DEFAULT_PROFILE, 2);
    kh_set_default(kh);
    long *counter = alloc_percpu(long);
    unsigned cpu;
    CHECK(counter != NULL);
    for_each_possible_cpu(cpu)
        *per_cpu_ptr(counter, cpu) = (long)cpu + 10;
    CHECK_EQ_U(num_possible_cpus(), 2);
    kh_set_cpu(kh, 1);
    CHECK_EQ_U(get_cpu(), 1);
    CHECK_EQ_U(*this_cpu_ptr(counter), 11);
    CHECK_EQ_U(smp_processor_id(), 1);
    put_cpu();
    free_percpu(counter);
    CHECK_EQ_U(all_reports(kh), 0);
    kh_set_default(NULL);   /* destroys kh */
}

int main(void)
{
    test_copies_distinct_and_zeroed();
    test_reuse_is_zeroed();
    test_alignment();
    test_illegal_requests();
    test_limit_follows_page_size();
    test_allocations_disjoint();
    test_bad_frees();
    test_per_cpu_ptr_misuse();
    test_get_put_cpu();
    test_chunks_grow_and_shrink();
    test_atomic_and_injected_failures();
    test_failure_warning_limit();
    test_walk_and_reset();
    test_validate_catches_corruption();
#ifdef KH_ASAN
    test_asan_catches_overflow_and_uaf();
#endif
    test_default_instance_names();
    return check_summary();
}
