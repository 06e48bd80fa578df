/* bounded_test.c - inputs that once cost gigabytes stay within libFuzzer's
 * default memory budget (issue 18).
 *
 *   bounded_test MAX_RSS_MB FILE...
 *
 * Linked with one fuzz target's entry point (built as the fuzzers are, with
 * ASan), it runs every FILE through it and then checks the process's peak
 * resident set (getrusage ru_maxrss), which is what libFuzzer's
 * -rss_limit_mb measures too. Time is not checked here (no timed tests):
 * bench/fuzz_exec measures it. A finding aborts inside the entry point,
 * which fails the test as well.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f || fseek(f, 0, SEEK_END) != 0) {
        fprintf(stderr, "bounded_test: cannot read %s\n", path);
        exit(2);
    }
    long n = ftell(f);
    rewind(f);
    uint8_t *buf = malloc(n > 0 ? (size_t)n : 1);
    if (!buf || (*len = fread(buf, 1, (size_t)n, f)) != (size_t)n) {
        fprintf(stderr, "bounded_test: cannot read %s\n", path);
        exit(2);
    }
    fclose(f);
    return buf;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: bounded_test MAX_RSS_MB FILE...\n");
        return 2;
    }
    long max_mb = strtol(argv[1], NULL, 10);
    for (int i = 2; i < argc; i++) {
        size_t len;
        uint8_t *buf = slurp(argv[i], &len);
        LLVMFuzzerTestOneInput(buf, len);
        free(buf);
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        long mb = ru.ru_maxrss / 1024;   /* kilobytes on Linux */
        printf("%s: peak resident %ld MB (limit %ld MB)\n", argv[i], mb, max_mb);
        if (mb > max_mb) {
            fprintf(stderr, "FAIL: %s took the process to %ld MB resident, above %ld MB\n",
                    argv[i], mb, max_mb);
            return 1;
        }
    }
    return 0;
}
