/* glibc.c - glibc's malloc (ptmalloc2) as an allocator under test, tier (a).
 *
 * Under AddressSanitizer the process's malloc, free, memalign, even
 * __libc_malloc and __libc_memalign are ASan's interceptors, so calling them
 * would test ASan. Looking the functions up in libc.so.6's own handle gives
 * glibc's definitions whoever interposes them; glibc's heap then lives
 * beside ASan's (brk and its own mmaps), untouched by it.
 *
 * Declared from glibc's documentation (malloc(3), mallopt(3)):
 * MALLOC_ALIGNMENT is 2 * sizeof(size_t) = 16 on x86_64; requests above
 * PTRDIFF_MAX fail with ENOMEM; free(NULL) does nothing; realloc(NULL, n)
 * is malloc(n); malloc(0) returns a unique pointer. glibc does detect many
 * double frees (by aborting), but not all (a chunk already consolidated or
 * unmapped), so detection is not declared. No fault hook, no arena, no
 * exact in-use counter (mallinfo2 counts tcache'd chunks as in use).
 * Thread-safe (malloc(3): MT-Safe), blocks freed on any thread: declared.
 */
#include <dlfcn.h>
#include <stdint.h>
#include <string.h>

#include "kh_adapter.h"

struct glibc_fns {
    void *(*malloc)(size_t);
    void *(*calloc)(size_t, size_t);
    void *(*memalign)(size_t, size_t);
    void *(*realloc)(void *, size_t);
    void (*free)(void *);
    size_t (*usable)(void *);
};

static struct glibc_fns fns;

static void *glibc_open(const char **err)
{
    void *libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
    if (!libc) {
        *err = "libc.so.6 is not loaded";
        return NULL;
    }
    fns.malloc = (void *(*)(size_t))dlsym(libc, "malloc");
    fns.calloc = (void *(*)(size_t, size_t))dlsym(libc, "calloc");
    fns.memalign = (void *(*)(size_t, size_t))dlsym(libc, "memalign");
    fns.realloc = (void *(*)(void *, size_t))dlsym(libc, "realloc");
    fns.free = (void (*)(void *))dlsym(libc, "free");
    fns.usable = (size_t (*)(void *))dlsym(libc, "malloc_usable_size");
    dlclose(libc);  /* RTLD_NOLOAD took a reference; libc itself stays */
    if (!fns.malloc || !fns.calloc || !fns.memalign || !fns.realloc || !fns.free || !fns.usable) {
        *err = "libc.so.6 lacks a malloc function";
        return NULL;
    }
    return &fns;
}

static void *glibc_alloc(void *ctx, size_t size, size_t align, unsigned flags)
{
    struct glibc_fns *f = ctx;
    if (align > 16) {
        /* glibc has no zeroing memalign. */
        void *p = f->memalign(align, size);
        if (p && (flags & KH_AF_ZERO))
            memset(p, 0, size);
        return p;
    }
    return (flags & KH_AF_ZERO) ? f->calloc(1, size) : f->malloc(size);
}

static void glibc_free(void *ctx, void *p) { ((struct glibc_fns *)ctx)->free(p); }

static void *glibc_realloc(void *ctx, void *p, size_t size, unsigned flags)
{
    (void)flags;
    return ((struct glibc_fns *)ctx)->realloc(p, size);
}

static size_t glibc_usable_size(void *ctx, const void *p)
{
    return ((struct glibc_fns *)ctx)->usable((void *)p);
}

const struct kh_adapter kh_adapter = {
    .abi = KH_ADAPTER_ABI,
    .name = "glibc",
    .description = "glibc malloc (ptmalloc2), called through libc.so.6's own symbols",
    .caps = KH_CAP_FREE_NULL | KH_CAP_ZERO | KH_CAP_ALIGNED | KH_CAP_REALLOC_NULL |
            KH_CAP_THREAD_SAFE,
    .min_align = 16,
    .max_align = 1u << 20,
    .max_size = PTRDIFF_MAX,
    .nofail_size = 1u << 20,
    .nofail_live = 256u << 20,
    .open = glibc_open,
    .object = { glibc_alloc, glibc_free, glibc_realloc, glibc_usable_size },
};
