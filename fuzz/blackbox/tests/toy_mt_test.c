/* toy_mt_test.c - the concurrent target must find the toy's planted race
 * and nothing on the fixed toy (toy_mt_adapter.c).
 *
 *   toy_mt_test [--seconds S] [--inputs N] expect-race|clean [SEEDS_DIR]
 *
 * Runs the committed seeds, then inputs from a fixed-seed generator (4
 * threads, each sequence repeated 4 times, 64..192 operations a thread),
 * through the same engine as the libFuzzer target, until a finding, N
 * inputs or S seconds. expect-race passes on a finding of the race's
 * kinds (printed, with the time it took), clean when there is none. Built
 * with -DTOY_MT_RACE it is the racy toy's test: under ThreadSanitizer TSan
 * must report the race too (counted with its report hook; its exit code is
 * then not the verdict, this test's checks are).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "concurrent.h"

#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define TEST_TSAN 1
#endif
#endif

#if defined(TEST_TSAN) && defined(TOY_MT_RACE)
static unsigned tsan_reports;
void __tsan_on_report(void *report);
void __tsan_on_report(void *report)
{
    (void)report;
    __atomic_fetch_add(&tsan_reports, 1, __ATOMIC_RELAXED);
}
const char *__tsan_default_options(void);
const char *__tsan_default_options(void) { return "exitcode=0"; }
#endif

static uint64_t rng = 0x2545F4914F6CDD1Dull;

static uint8_t next_byte(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint8_t)(rng >> 32);
}

/* Four threads, sequences repeated four times, sizes mostly small so that
 * blocks of one class are freed and reused across threads. */
static size_t generate(uint8_t *buf, size_t cap)
{
    size_t n = 1 + 4 * (64 + next_byte() % 128 * 4);
    if (n > cap)
        n = cap;
    buf[0] = 2 | (2 << 4);  /* 2 + 2 % 3 = 4 threads, 1 << 2 = 4 rounds */
    for (size_t i = 1; i + 4 <= n; i += 4) {
        buf[i] = next_byte();
        buf[i + 1] = next_byte();
        buf[i + 2] = next_byte();
        buf[i + 3] = next_byte() & 0x7f;  /* 1..64 or 1..512 bytes */
    }
    return n;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* The seeds in name order; returns how many were loaded. */
static size_t load_seeds(const char *dir, uint8_t **bufs, size_t *lens, size_t max)
{
    DIR *d = dir ? opendir(dir) : NULL;
    if (!d)
        return 0;
    char *names[256];
    size_t n = 0;
    for (struct dirent *e; (e = readdir(d)) && n < 256;)
        if (e->d_name[0] != '.')
            names[n++] = strdup(e->d_name);
    closedir(d);
    qsort(names, n, sizeof(names[0]), cmp_str);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        free(names[i]);
        FILE *f = fopen(path, "rb");
        if (!f || k == max) {
            if (f)
                fclose(f);
            continue;
        }
        bufs[k] = malloc(1 << 16);
        lens[k] = fread(bufs[k], 1, 1 << 16, f);
        fclose(f);
        k++;
    }
    return k;
}

int main(int argc, char **argv)
{
    double seconds = 60;
    unsigned long max_inputs = 20000;
    int i = 1;
    for (; i + 1 < argc && argv[i][0] == '-'; i += 2) {
        if (!strcmp(argv[i], "--seconds"))
            seconds = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--inputs"))
            max_inputs = strtoul(argv[i + 1], NULL, 0);
        else
            break;
    }
    if (i >= argc || (strcmp(argv[i], "expect-race") && strcmp(argv[i], "clean"))) {
        fprintf(stderr, "usage: toy_mt_test [--seconds S] [--inputs N] expect-race|clean [SEEDS_DIR]\n");
        return 2;
    }
    int expect_race = !strcmp(argv[i], "expect-race");
    const char *seeds = i + 1 < argc ? argv[i + 1] : NULL;

    char err[512];
    struct cbb *x = cbb_new(&kh_adapter, err, sizeof(err));
    if (!x) {
        fprintf(stderr, "toy_mt_test: %s\n", err);
        return 1;
    }
    static uint8_t *seed_buf[64];
    static size_t seed_len[64];
    size_t nseeds = load_seeds(seeds, seed_buf, seed_len, 64);
    static uint8_t gen[1 + 4 * 4 * CBB_MAX_OPS];
    struct cbb_finding f;
    bool found = false;
    unsigned long run = 0;
    double t0 = now();
    for (; run < max_inputs && now() - t0 < seconds; run++) {
        const uint8_t *in = gen;
        size_t len;
        if (run < nseeds) {
            in = seed_buf[run];
            len = seed_len[run];
        } else {
            len = generate(gen, sizeof(gen));
        }
        if ((found = cbb_run(x, in, len, &f)))
            break;
    }
    double took = now() - t0;
    cbb_print_summary(x, stdout);
    int fail = 0;
    if (found) {
        printf("finding after %lu input(s), %.2f s (%zu seed(s) first): %s\n  T%d round %u #%zu %s\n  %s\n",
               run + 1, took, nseeds, f.title, f.thread, f.round, f.op, f.op_text, f.detail);
        if (!expect_race) {
            fprintf(stderr, "FAIL: a finding on an allocator without a race\n");
            fail = 1;
        } else if (strcmp(f.title, "double hand-out") && strcmp(f.title, "overlapping blocks") &&
                   strcmp(f.title, "contents corrupted")) {
            fprintf(stderr, "FAIL: the race should show as a double hand-out, an overlap or corrupted "
                            "contents, not '%s'\n", f.title);
            fail = 1;
        }
    } else {
        printf("no finding in %lu input(s), %.2f s\n", run, took);
        if (expect_race) {
            fprintf(stderr, "FAIL: the planted race was not found\n");
            fail = 1;
        }
    }
#if defined(TEST_TSAN) && defined(TOY_MT_RACE)
    printf("ThreadSanitizer reports: %u\n", tsan_reports);
    if (!tsan_reports) {
        fprintf(stderr, "FAIL: ThreadSanitizer did not report the toy's race\n");
        fail = 1;
    }
#endif
    cbb_free(x);
    printf(fail ? "FAILED\n" : "PASSED\n");
    return fail;
}
