/* jemalloc.c - jemalloc 5 (Debian's libjemalloc2) as an allocator under
 * test, tier (a).
 *
 * Debian's libjemalloc exports the standard names unprefixed (malloc, free,
 * ...), which AddressSanitizer's interceptors shadow in an ASan build. Its
 * non-standard API (mallocx, rallocx, dallocx, sallocx, mallctl) exists only
 * in jemalloc, so this adapter uses that: nothing intercepts it.
 *
 * Declared from jemalloc(3): 8-byte requests come from the 8-byte size
 * class, so only 8-byte alignment is promised for every result (16 from 16
 * bytes up); MALLOCX_ALIGN takes any power of two; requests beyond the
 * largest size class (about PTRDIFF_MAX) fail. mallocx(0) and dallocx(NULL)
 * are undefined, so the adapter allocates one byte for a zero-byte request
 * (what jemalloc's own malloc(0) does) and ignores NULL in free.
 * bytes_in_use is "stats.allocated" after flushing this thread's cache
 * (cached regions count as allocated until then) and refreshing the epoch.
 * Thread-safe, and a block may be freed on any thread: declared.
 */
#include <jemalloc/jemalloc.h>
#include <stdint.h>

#include "kh_adapter.h"

static void *je_alloc(void *ctx, size_t size, size_t align, unsigned flags)
{
    (void)ctx;
    int f = (flags & KH_AF_ZERO) ? MALLOCX_ZERO : 0;
    if (align > 1)
        f |= MALLOCX_ALIGN(align);
    return mallocx(size ? size : 1, f);
}

static void je_free(void *ctx, void *p)
{
    (void)ctx;
    if (p)
        dallocx(p, 0);
}

static void *je_realloc(void *ctx, void *p, size_t size, unsigned flags)
{
    (void)flags;
    return p ? rallocx(p, size, 0) : je_alloc(ctx, size, 0, 0);
}

static size_t je_usable_size(void *ctx, const void *p)
{
    (void)ctx;
    return sallocx((void *)p, 0);
}

static size_t je_bytes_in_use(void *ctx)
{
    (void)ctx;
    uint64_t epoch = 1;
    size_t len = sizeof(epoch), allocated = 0;
    mallctl("thread.tcache.flush", NULL, NULL, NULL, 0);
    mallctl("epoch", &epoch, &len, &epoch, len);
    len = sizeof(allocated);
    if (mallctl("stats.allocated", &allocated, &len, NULL, 0) != 0)
        return 0;  /* built without statistics: a constant never flags a leak */
    return allocated;
}

const struct kh_adapter kh_adapter = {
    .abi = KH_ADAPTER_ABI,
    .name = "jemalloc",
    .description = "jemalloc " JEMALLOC_VERSION " through mallocx/rallocx/dallocx/sallocx",
    .caps = KH_CAP_FREE_NULL | KH_CAP_ZERO | KH_CAP_ALIGNED | KH_CAP_REALLOC_NULL |
            KH_CAP_THREAD_SAFE,
    .min_align = 8,
    .max_align = 1u << 20,
    .max_size = PTRDIFF_MAX,
    .nofail_size = 1u << 20,
    .nofail_live = 256u << 20,
    .object = { je_alloc, je_free, je_realloc, je_usable_size },
    .bytes_in_use = je_bytes_in_use,
};
