/* tcmalloc.c - gperftools tcmalloc (Debian's libtcmalloc-minimal4) as an
 * allocator under test, tier (a).
 *
 * tcmalloc overrides malloc when it is linked in, but AddressSanitizer's
 * interceptors shadow those names in an ASan build; the tc_ API
 * (gperftools/tcmalloc.h) is tcmalloc's alone, so the adapter uses it.
 *
 * Declared from gperftools' documentation: tc_free(NULL) does nothing,
 * tc_realloc(NULL, n) is tc_malloc(n), tc_malloc(0) returns a unique
 * pointer, tc_memalign takes any power of two; 8-byte requests come from the
 * 8-byte class, so 8 is the alignment promised for every result; requests
 * above PTRDIFF_MAX fail. bytes_in_use is tcmalloc's own
 * "generic.current_allocated_bytes" (thread caches hold free memory only).
 * Thread-safe, and a block may be freed on any thread: declared.
 */
#include <gperftools/malloc_extension_c.h>
#include <gperftools/tcmalloc.h>
#include <stdint.h>
#include <string.h>

#include "kh_adapter.h"

static void *tc_adapter_alloc(void *ctx, size_t size, size_t align, unsigned flags)
{
    (void)ctx;
    if (align > 1) {
        void *p = tc_memalign(align, size);  /* no zeroing memalign in tcmalloc */
        if (p && (flags & KH_AF_ZERO))
            memset(p, 0, size);
        return p;
    }
    return (flags & KH_AF_ZERO) ? tc_calloc(1, size) : tc_malloc(size);
}

static void tc_adapter_free(void *ctx, void *p)
{
    (void)ctx;
    tc_free(p);
}

static void *tc_adapter_realloc(void *ctx, void *p, size_t size, unsigned flags)
{
    (void)ctx;
    (void)flags;
    return tc_realloc(p, size);
}

static size_t tc_adapter_usable_size(void *ctx, const void *p)
{
    (void)ctx;
    return tc_malloc_size((void *)p);
}

/* libtcmalloc's ELF constructor registers its MallocExtension with operator
 * new (ASan's malloc in a sanitizer build, before main) and keeps the
 * pointer in tcmalloc's own memory, where LeakSanitizer cannot see it: a
 * one-time "leak" at exit that is none. The stack LeakSanitizer records
 * ends in libstdc++'s operator new (no frame pointers beyond it), and the
 * harness and adapters are C, so leaks through libstdc++ can only be a
 * system library's: suppressed in the binaries that link this adapter. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void) { return "leak:libstdc++.so\n"; }

static size_t tc_adapter_bytes_in_use(void *ctx)
{
    (void)ctx;
    size_t v = 0;
    MallocExtension_GetNumericProperty("generic.current_allocated_bytes", &v);
    return v;
}

const struct kh_adapter kh_adapter = {
    .abi = KH_ADAPTER_ABI,
    .name = "tcmalloc",
    .description = "tcmalloc (" TC_VERSION_STRING ") through the tc_ API",
    .caps = KH_CAP_FREE_NULL | KH_CAP_ZERO | KH_CAP_ALIGNED | KH_CAP_REALLOC_NULL |
            KH_CAP_THREAD_SAFE,
    .min_align = 8,
    .max_align = 1u << 20,
    .max_size = PTRDIFF_MAX,
    .nofail_size = 1u << 20,
    .nofail_live = 256u << 20,
    .object = { tc_adapter_alloc, tc_adapter_free, tc_adapter_realloc, tc_adapter_usable_size },
    .bytes_in_use = tc_adapter_bytes_in_use,
};
