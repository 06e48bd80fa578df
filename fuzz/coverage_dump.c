/* coverage_dump.c - linked into the *_cov binaries (fuzz.bzl).
 *
 * The clang profile runtime writes its counters from an atexit hook, which
 * abort() skips; a finding aborts. Writing the profile from a SIGABRT handler
 * first keeps the coverage of every input that ran before the finding.
 */
#include <signal.h>

int __llvm_profile_write_file(void);

static void write_profile_then_abort(int sig)
{
    __llvm_profile_write_file();
    signal(sig, SIG_DFL);
    raise(sig);
}

__attribute__((constructor)) static void install_handler(void)
{
    signal(SIGABRT, write_profile_then_abort);
}
