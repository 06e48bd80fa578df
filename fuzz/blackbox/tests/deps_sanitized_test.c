/* deps_sanitized_test.c - an allocator given to kh_adapter through deps (a
 * plain cc_library) is still built with the harness's sanitizers: the
 * worked buddy with its sized-free defect, linked through
 * //fuzz/blackbox:worked_via_deps, must die of UBSan's index check on a
 * free whose size rounds past its order table. Run in a child, whose
 * stderr is kept and searched for the sanitizer's words. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "blackbox.h"
#include "check.h"

static const char trace_text[] = "a = kmalloc 1048576 GFP_KERNEL\nkfree a\n";

int main(void)
{
    char path[] = "/tmp/kh_deps_sanitized_XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    if (fd < 0)
        return check_summary();
    unlink(path);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fd, STDERR_FILENO);
        struct kh_trace t;
        struct kh_trace_error err;
        kh_trace_init(&t);
        if (kh_trace_parse(trace_text, strlen(trace_text), "t", &t, &err) != 0)
            _exit(10);
        struct bb_options opt = { .misuse = BB_MISUSE_SKIP };
        char why[256];
        struct bb *x = bb_new(&kh_adapter, &opt, why, sizeof(why));
        if (!x)
            _exit(11);
        struct bb_finding f;
        bb_run(x, &t, &f);
        _exit(0);  /* not reached when the sanitizer is in the allocator */
    }
    int status;
    waitpid(pid, &status, 0);
    char out[8192] = "";
    ssize_t n = pread(fd, out, sizeof(out) - 1, 0);
    out[n > 0 ? n : 0] = 0;
    printf("child status %#x; its stderr:\n%s\n", status, out);
    CHECK(!(WIFEXITED(status) && WEXITSTATUS(status) == 0));
    CHECK_CONTAINS(out, "runtime error: index 16 out of bounds");
    return check_summary();
}
