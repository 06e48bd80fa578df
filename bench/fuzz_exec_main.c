/* fuzz_exec_main.c - harness throughput: runs a fuzz target's entry point
 * (LLVMFuzzerTestOneInput, linked from fuzz/<name>_fuzzer.c and built as
 * the fuzzers are: ASan + UBSan + coverage instrumentation) over a fixed
 * set of inputs, round-robin, for a given CPU time, without libFuzzer's
 * mutation and corpus bookkeeping. What is left is the cost per input of
 * the harness itself: decode, reset, execute, shadow model and oracles.
 *
 *   fuzz_exec NAME DIR [--seconds S] [--slowest K]
 *
 * --slowest K also times every input on its own and lists the K that cost
 * the most, with their share of the total: where a corpus spends its time.
 *
 * Prints "R <TAB> fuzz <TAB> NAME/<checks|no-checks> <TAB> reference-asan
 * <TAB> exec/s <TAB> exec/s"; checks are off when KMEM_FUZZ_NO_CHECKS is
 * set (fuzz_target.c reads it). Time is CPU time of this thread, so other
 * processes on a shared machine do not count against the harness.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct input { uint8_t *data; size_t len; char *name; double cpu; };

static double cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static size_t load_dir(const char *dir, struct input **out)
{
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "fuzz_exec: cannot open %s\n", dir);
        exit(2);
    }
    char **names = NULL;
    size_t n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (e->d_name[0] == '.')
            continue;
        names = realloc(names, (n + 1) * sizeof(*names));
        size_t len = strlen(dir) + strlen(e->d_name) + 2;
        names[n] = malloc(len);
        snprintf(names[n++], len, "%s/%s", dir, e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof(*names), cmp_name);
    struct input *in = calloc(n ? n : 1, sizeof(*in));
    for (size_t i = 0; i < n; i++) {
        FILE *f = fopen(names[i], "rb");
        if (!f || fseek(f, 0, SEEK_END) != 0) {
            fprintf(stderr, "fuzz_exec: cannot read %s\n", names[i]);
            exit(2);
        }
        long len = ftell(f);
        rewind(f);
        in[i].data = malloc(len ? (size_t)len : 1);
        in[i].len = fread(in[i].data, 1, (size_t)len, f);
        fclose(f);
        in[i].name = names[i];
    }
    free(names);
    *out = in;
    return n;
}

static int cmp_cpu_desc(const void *a, const void *b)
{
    double x = ((const struct input *)a)->cpu, y = ((const struct input *)b)->cpu;
    return (x < y) - (x > y);
}

static void print_slowest(struct input *in, size_t n, size_t k, uint64_t rounds)
{
    double total = 0;
    for (size_t i = 0; i < n; i++)
        total += in[i].cpu;
    qsort(in, n, sizeof(*in), cmp_cpu_desc);
    double shown = 0;
    for (size_t i = 0; i < k && i < n; i++) {
        shown += in[i].cpu;
        printf("slow\t%.3f ms\t%5.1f%%\t%6zu B\t%s\n", in[i].cpu / (double)rounds * 1e3,
               100 * in[i].cpu / total, in[i].len, in[i].name);
    }
    printf("slow\tthese %zu of %zu inputs: %.1f%% of the time; mean %.3f ms per input\n",
           k < n ? k : n, n, 100 * shown / total, total / (double)(n * rounds) * 1e3);
}

int main(int argc, char **argv)
{
    double seconds = 2;
    long slowest = 0;
    const char *name = NULL, *dir = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc)
            seconds = atof(argv[++i]);
        else if (strcmp(argv[i], "--slowest") == 0 && i + 1 < argc)
            slowest = atol(argv[++i]);
        else if (!name)
            name = argv[i];
        else if (!dir)
            dir = argv[i];
        else
            name = NULL, argc = 0;
    }
    if (!name || !dir || !(seconds > 0) || slowest < 0) {
        fprintf(stderr, "usage: fuzz_exec NAME DIR [--seconds S] [--slowest K]\n");
        return 2;
    }
    struct input *in;
    size_t n = load_dir(dir, &in);
    if (n == 0) {
        fprintf(stderr, "fuzz_exec: no inputs in %s\n", dir);
        return 2;
    }
    for (size_t i = 0; i < n; i++)   /* warm: instance creation, first faults */
        LLVMFuzzerTestOneInput(in[i].data, in[i].len);
    uint64_t execs = 0;
    double t0 = cpu_seconds(), t;
    do {
        for (size_t i = 0; i < n; i++) {
            double s0 = slowest ? cpu_seconds() : 0;
            LLVMFuzzerTestOneInput(in[i].data, in[i].len);
            if (slowest)
                in[i].cpu += cpu_seconds() - s0;
        }
        execs += n;
    } while ((t = cpu_seconds() - t0) < seconds);
    printf("R\tfuzz\t%s/%s\treference-asan\t%.1f\texec/s\n", name,
           getenv("KMEM_FUZZ_NO_CHECKS") ? "no-checks" : "checks", (double)execs / t);
    if (slowest)
        print_slowest(in, n, (size_t)slowest, execs / n);
    for (size_t i = 0; i < n; i++) {
        free(in[i].data);
        free(in[i].name);
    }
    free(in);
    return 0;
}
