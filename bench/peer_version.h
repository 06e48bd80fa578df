/* peer_version.h - which malloc a benchmark binary really got, from the
 * peer's own version call looked up at run time (mi_version, tc_version,
 * mallctl("version"), else glibc's gnu_get_libc_version). Shared by the
 * benchmarks that link a peer allocator in place of malloc. */
#ifndef KH_BENCH_PEER_VERSION_H
#define KH_BENCH_PEER_VERSION_H

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

static inline void peer_version(char *ver, size_t cap)
{
    void *f;
    if ((f = dlsym(RTLD_DEFAULT, "mi_version")) != NULL) {
        int v = ((int (*)(void))f)();
        snprintf(ver, cap, "mimalloc %d.%d.%d", v / 100, v / 10 % 10, v % 10);
    } else if ((f = dlsym(RTLD_DEFAULT, "tc_version")) != NULL) {
        int a, b;
        const char *pat;
        snprintf(ver, cap, "%s", ((const char *(*)(int *, int *, const char **))f)(&a, &b, &pat));
    } else if ((f = dlsym(RTLD_DEFAULT, "mallctl")) != NULL) {
        const char *v = NULL;
        size_t len = sizeof(v);
        snprintf(ver, cap, "jemalloc ?");
        if (((int (*)(const char *, void *, size_t *, void *, size_t))f)("version", &v, &len, NULL, 0) == 0)
            snprintf(ver, cap, "jemalloc %s", v);
    } else {
        const char *(*gv)(void) = (const char *(*)(void))dlsym(RTLD_DEFAULT, "gnu_get_libc_version");
        snprintf(ver, cap, "glibc %s", gv ? gv() : "?");
    }
}

/* Whether the version names the allocator the binary was built as. */
static inline int peer_is(const char *ver, const char *name)
{
    return strncmp(ver, name, strlen(name)) == 0 ||
           (strcmp(name, "tcmalloc") == 0 && strstr(ver, "gperftools"));
}

#endif
