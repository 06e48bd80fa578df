/* mimalloc.c - mimalloc 2 (Debian's libmimalloc2.0) as an allocator under
 * test, tier (a).
 *
 * Debian builds mimalloc to override malloc, but AddressSanitizer's
 * interceptors shadow those names in an ASan build; the mi_ API is
 * mimalloc's alone, so the adapter uses it.
 *
 * Declared from mimalloc.h: mi_malloc(0) returns a unique pointer,
 * mi_free(NULL) does nothing, mi_realloc(NULL, n) is mi_malloc(n), the
 * _aligned variants take any power of two, requests above PTRDIFF_MAX fail.
 * Small size classes are word multiples, so 8 is the alignment promised for
 * every result. No exact in-use counter without mimalloc's statistics build.
 * Thread-safe, and a block may be freed on any thread (mimalloc's
 * delayed remote frees): declared.
 */
#include <mimalloc.h>
#include <stdint.h>

#include "kh_adapter.h"

static void *mi_adapter_alloc(void *ctx, size_t size, size_t align, unsigned flags)
{
    (void)ctx;
    if (align > 1)
        return (flags & KH_AF_ZERO) ? mi_zalloc_aligned(size, align) : mi_malloc_aligned(size, align);
    return (flags & KH_AF_ZERO) ? mi_zalloc(size) : mi_malloc(size);
}

static void mi_adapter_free(void *ctx, void *p)
{
    (void)ctx;
    mi_free(p);
}

static void *mi_adapter_realloc(void *ctx, void *p, size_t size, unsigned flags)
{
    (void)ctx;
    (void)flags;
    return mi_realloc(p, size);
}

static size_t mi_adapter_usable_size(void *ctx, const void *p)
{
    (void)ctx;
    return mi_usable_size(p);
}

#define MI_STR_(x) #x
#define MI_STR(x) MI_STR_(x)

const struct kh_adapter kh_adapter = {
    .abi = KH_ADAPTER_ABI,
    .name = "mimalloc",
    .description = "mimalloc (MI_MALLOC_VERSION " MI_STR(MI_MALLOC_VERSION) ") through the mi_ API",
    .caps = KH_CAP_FREE_NULL | KH_CAP_ZERO | KH_CAP_ALIGNED | KH_CAP_REALLOC_NULL |
            KH_CAP_THREAD_SAFE,
    .min_align = 8,
    .max_align = 1u << 20,
    .max_size = PTRDIFF_MAX,
    .nofail_size = 1u << 20,
    .nofail_live = 256u << 20,
    .object = { mi_adapter_alloc, mi_adapter_free, mi_adapter_realloc, mi_adapter_usable_size },
};
