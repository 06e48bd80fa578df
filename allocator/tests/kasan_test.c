/* kasan_test.c - AddressSanitizer poisoning of slab and kmalloc memory
 * (SPEC 7): each risky access runs in a forked child, which must die with
 * an ASan report at exactly the expected byte; the accesses KASAN must not
 * report run the same way and must exit cleanly.
 *
 * Without ASan the poisoning is compiled out: the test says so and passes.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "fixture.h"
#include "kmalloc.h"
#include "page_alloc.h"
#include "slab.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HAVE_ASAN 1
#endif
#endif
#if !defined(HAVE_ASAN) && defined(__SANITIZE_ADDRESS__)
#define HAVE_ASAN 1
#endif

#ifdef HAVE_ASAN
static struct kh *child_instance(unsigned quarantine)
{
    struct kh_config cfg = kh_test_config("linux-6.1-x86_64");
    cfg.quarantine_objects = quarantine;
    return kh_test_create(&cfg);
}

/* The child announces the byte it is about to touch, then touches it. */
static void expect_at(const void *p)
{
    printf("EXPECT %p\n", p);
    fflush(stdout);
}

static volatile unsigned char sink;

typedef void (*scenario_fn)(void);

/* Runs fn in a child; returns its combined output, *status its wait status. */
static char *run_child(scenario_fn fn, int *status)
{
    int fds[2];
    if (pipe(fds) != 0)
        return NULL;
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        dup2(fds[1], 1);
        dup2(fds[1], 2);
        fn();
        fflush(stdout);
        _exit(0);
    }
    close(fds[1]);
    size_t cap = 1 << 16, len = 0;
    char *out = malloc(cap);
    ssize_t n;
    while ((n = read(fds[0], out + len, cap - len - 1)) > 0) {
        len += (size_t)n;
        if (len + 1 >= cap) {
            cap *= 2;
            out = realloc(out, cap);
        }
    }
    out[len] = '\0';
    close(fds[0]);
    waitpid(pid, status, 0);
    return out;
}

static void expect_report(const char *name, scenario_fn fn)
{
    int status = 0;
    char *out = run_child(fn, &status);
    const char *e = out ? strstr(out, "EXPECT ") : NULL;
    void *want = NULL;
    if (e)
        sscanf(e, "EXPECT %p", &want);
    /* The kind is "use-after-poison", or "unknown-crash" when the byte
     * shares a granule with addressable bytes; the address is exact. */
    char needle[96];
    snprintf(needle, sizeof(needle), " on address %p ", want);
    bool died = WIFSIGNALED(status) || (WIFEXITED(status) && WEXITSTATUS(status) != 0);
    if (!check_record(died && want && out && strstr(out, "ERROR: AddressSanitizer: ") &&
                      strstr(out, needle)))
        fprintf(stderr, "%s: expected an ASan report at %p; child status %d, output:\n%.2000s\n",
                name, want, status, out ? out : "(none)");
    free(out);
}

static void expect_clean(const char *name, scenario_fn fn)
{
    int status = 0;
    char *out = run_child(fn, &status);
    if (!check_record(WIFEXITED(status) && WEXITSTATUS(status) == 0))
        fprintf(stderr, "%s: expected no report; child status %d, output:\n%.2000s\n", name,
                status, out ? out : "(none)");
    free(out);
}

/* ---- scenarios ---- */

static void oob_right(void)
{
    struct kh *kh = child_instance(0);
    char *p = kh_kmalloc(kh, 123, GFP_KERNEL);
    p[122] = 1;   /* last requested byte: fine */
    expect_at(p + 123);
    p[123] = 1;
}

static void oob_right_next_granule(void)
{
    struct kh *kh = child_instance(0);
    char *p = kh_kmalloc(kh, 120, GFP_KERNEL);
    expect_at(p + 120);
    sink = (unsigned char)p[120];
}

static void oob_left(void)
{
    struct kh *kh = child_instance(0);
    char *a = kh_kmalloc(kh, 15, GFP_KERNEL);
    char *b = kh_kmalloc(kh, 15, GFP_KERNEL);
    (void)a;
    expect_at(b - 1);
    sink = (unsigned char)b[-1];
}

static void oob_beyond_request_within_ksize(void)
{
    struct kh *kh = child_instance(0);
    char *p = kh_kmalloc(kh, 123, GFP_KERNEL);
    if (kh_ksize(kh, p) != 128)
        _exit(3);
    expect_at(p + 124);
    sink = (unsigned char)p[124];
}

static void cache_oob(void)
{
    struct kh *kh = child_instance(0);
    struct kmem_cache *s = kh_kmem_cache_create(kh, "test_cache", 200, 0, 0, NULL);
    char *p = kh_kmem_cache_alloc(kh, s, GFP_KERNEL);
    expect_at(p + 200);
    p[200] = 1;
}

static void uaf_read(void)
{
    struct kh *kh = child_instance(0);
    char *p = kh_kmalloc(kh, 64, GFP_KERNEL);
    kh_kfree(kh, p);
    expect_at(p + 8);
    sink = (unsigned char)p[8];
}

static void uaf_memset(void)
{
    struct kh *kh = child_instance(0);
    char *p = kh_kmalloc(kh, 33, GFP_KERNEL);
    kh_kfree(kh, p);
    expect_at(p);
    memset(p, 0, 33);
}

static void uaf_quarantined(void)
{
    struct kh *kh = child_instance(16);
    char *p = kh_kmalloc(kh, 64, GFP_KERNEL);
    kh_kfree(kh, p);
    char *q = kh_kmalloc(kh, 64, GFP_KERNEL);   /* the quarantine keeps p out */
    if (q == p)
        _exit(3);
    expect_at(p);
    p[0] = 1;
}

static void large_oob(void)
{
    struct kh *kh = child_instance(0);
    size_t n = kh_kmalloc_max_cache_size(kh) + 10;
    char *p = kh_kmalloc(kh, n, GFP_KERNEL);
    expect_at(p + n);
    p[n] = 0;
}

static void large_uaf(void)
{
    struct kh *kh = child_instance(0);
    char *p = kh_kmalloc(kh, 40000, GFP_KERNEL);
    kh_kfree(kh, p);
    expect_at(p);
    sink = (unsigned char)p[0];
}

static void page_uaf(void)
{
    struct kh *kh = child_instance(0);
    struct page *pg = kh_alloc_pages(kh, GFP_KERNEL, 4);
    char *p = kh_page_address(kh, pg);
    kh___free_pages(kh, pg, 4);
    expect_at(p + 4096 * 3);
    sink = (unsigned char)p[4096 * 3];
}

static void krealloc_less(void)
{
    struct kh *kh = child_instance(0);
    char *p = kh_kmalloc(kh, 235, GFP_KERNEL);
    p = kh_krealloc(kh, p, 201, GFP_KERNEL);
    p[200] = 1;
    expect_at(p + 201);
    p[201] = 1;
}

static void krealloc_more(void)
{
    struct kh *kh = child_instance(0);
    char *p = kh_kmalloc(kh, 201, GFP_KERNEL);
    p = kh_krealloc(kh, p, 235, GFP_KERNEL);
    p[234] = 1;
    expect_at(p + 235);
    p[235] = 1;
}

static void memcpy_overread(void)
{
    struct kh *kh = child_instance(0);
    char *p = kh_kmalloc(kh, 13, GFP_KERNEL);
    char buf[16];
    expect_at(p + 13);
    memcpy(buf, p, 16);
    for (int i = 0; i < 16; i++)
        sink = (unsigned char)(sink + buf[i]);
}

static void stale_after_realloc(void)
{
    struct kh *kh = child_instance(0);
    char *p = kh_kmalloc(kh, 64, GFP_KERNEL);
    char *q = kh_krealloc(kh, p, 200, GFP_KERNEL);
    (void)q;
    expect_at(p);
    sink = (unsigned char)p[0];
}

static void clean_recomputed_and_bulk(void)
{
    struct kh *kh = child_instance(0);
    char *p = kh_kmalloc(kh, 20000, GFP_KERNEL);
    kh_kfree(kh, kh_page_address(kh, kh_virt_to_page(kh, p)));
    struct kmem_cache *s = kh_kmem_cache_create(kh, "bulk", 48, 0, 0, NULL);
    void *objs[40];
    if (kh_kmem_cache_alloc_bulk(kh, s, GFP_KERNEL, 40, objs) != 40)
        _exit(4);
    for (int i = 0; i < 40; i++)
        memset(objs[i], 1, 48);
    kh_kmem_cache_free_bulk(kh, s, 40, objs);
    char *z = kh_kzalloc(kh, 100, GFP_KERNEL_ACCOUNT);
    for (int i = 0; i < 100; i++)
        if (z[i])
            _exit(5);
    kh_kfree_sensitive(kh, z);
    if (kh_report_count(kh, KH_SEV_BUG) + kh_report_count(kh, KH_SEV_WARN))
        _exit(6);
}
#endif

int main(void)
{
#ifndef HAVE_ASAN
    printf("kasan_test: SKIPPED: not built with AddressSanitizer (-fsanitize=address); "
           "poisoning is compiled out\n");
    return check_summary();
#else
    expect_report("kmalloc oob right", oob_right);
    expect_report("kmalloc oob right, next granule", oob_right_next_granule);
    expect_report("kmalloc oob left", oob_left);
    expect_report("beyond request within ksize", oob_beyond_request_within_ksize);
    expect_report("kmem_cache oob", cache_oob);
    expect_report("kmalloc uaf read", uaf_read);
    expect_report("kmalloc uaf memset", uaf_memset);
    expect_report("uaf caught through the quarantine", uaf_quarantined);
    expect_report("large kmalloc oob", large_oob);
    expect_report("large kmalloc uaf", large_uaf);
    expect_report("page uaf order 4", page_uaf);
    expect_report("krealloc less oob", krealloc_less);
    expect_report("krealloc more oob", krealloc_more);
    expect_report("16-byte copy from a 13-byte object", memcpy_overread);
    expect_report("stale pointer after krealloc", stale_after_realloc);
    expect_clean("recomputed pointer, bulk, accounted", clean_recomputed_and_bulk);
    return check_summary();
#endif
}
