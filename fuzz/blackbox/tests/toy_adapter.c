/* toy_adapter.c - a deliberately breakable allocator behind the adapter
 * interface, for the black-box tier's own tests (toy_test.c).
 *
 * Without a defect it is a correct allocator: a bump allocator over a
 * 1 MiB static arena whose blocks carry a 16-byte header (magic, state,
 * size); free marks the header, so double and interior-pointer frees are
 * detected and counted as misuse reports; memory is never reused, so
 * blocks never overlap. toy_defect switches on one bug at a time.
 */
#include "toy_adapter.h"

#include <stdint.h>
#include <string.h>

#define ARENA_SIZE (1u << 20)
#define HDR 16u
#define MAGIC 0x70790b1cu
#define MAX_SIZE (64u << 10)

enum { LIVE = 1, FREED = 2 };

struct hdr {
    uint32_t magic;
    uint32_t state;
    uint64_t size;
};

enum toy_defect toy_defect;

static _Alignas(4096) uint8_t arena[ARENA_SIZE];
static size_t bump;            /* next free offset */
static uint64_t nallocs, reports, in_use;

/* Integer arithmetic: free(NULL) must fault on the read (TOY_FREE_NULL_CRASH),
 * not trip UBSan on the subtraction. */
static struct hdr *hdr_of(void *p) { return (struct hdr *)((uintptr_t)p - HDR); }

static void *bump_alloc(size_t size, size_t align, unsigned flags)
{
    if (align < 16)
        align = 16;
    size_t at = (bump + HDR + align - 1) & ~(align - 1);
    if (size > MAX_SIZE || at + size > ARENA_SIZE)
        return NULL;
    bump = at + (size ? size : 1);
    uint8_t *p = arena + at;
    *hdr_of(p) = (struct hdr){ MAGIC, LIVE, size };
    in_use += size;
    if (toy_defect == TOY_NOT_ZEROED)
        memset(p, 0xa5, size);  /* dirty memory, and KH_AF_ZERO ignored */
    else if (flags & KH_AF_ZERO)
        memset(p, 0, size);
    return p;
}

static void *toy_alloc(void *ctx, size_t size, size_t align, unsigned flags)
{
    (void)ctx;
    nallocs++;
    if (toy_defect == TOY_UNEXPECTED_NULL && nallocs % 3 == 0)
        return NULL;
    if (toy_defect == TOY_OVERSIZE && size > MAX_SIZE)
        return bump_alloc(16, align, flags);
    void *p = bump_alloc(size, align, flags);
    if (!p)
        return NULL;
    if (toy_defect == TOY_OVERLAP && nallocs == 2)
        return (uint8_t *)p - 48;            /* into the first block */
    if (toy_defect == TOY_MISALIGNED && nallocs == 2)
        return (uint8_t *)p + 8;
    if (toy_defect == TOY_PAST_ARENA && nallocs == 2)
        return arena + ARENA_SIZE - size / 2;  /* half of it beyond the end */
    return p;
}

static void toy_free(void *ctx, void *p)
{
    (void)ctx;
    if (!p && toy_defect != TOY_FREE_NULL_CRASH)
        return;
    struct hdr *h = hdr_of(p);  /* TOY_FREE_NULL_CRASH: reads below address 0 */
    if (h->magic != MAGIC) {
        if (toy_defect != TOY_INVALID_FREE_SILENT)
            reports++;
        return;
    }
    if (h->state != LIVE) {
        if (toy_defect != TOY_DOUBLE_FREE_SILENT)
            reports++;
        return;
    }
    h->state = FREED;
    if (toy_defect != TOY_LEAK)
        in_use -= h->size;
    if (toy_defect == TOY_FALSE_REPORT)
        reports++;
    if (toy_defect == TOY_CORRUPT && (uint8_t *)p > arena + 64)
        *((uint8_t *)p - HDR - 1) ^= 0xff;  /* the last byte of the block before */
}

static void *toy_realloc(void *ctx, void *p, size_t size, unsigned flags)
{
    if (!p)
        return toy_alloc(ctx, size, 0, flags);
    void *n = toy_alloc(ctx, size, 0, flags);
    if (!n)
        return NULL;
    size_t old = hdr_of(p)->size;
    size_t keep = old < size ? old : size;
    if (toy_defect == TOY_REALLOC_LOSES)
        keep /= 2;
    memcpy(n, p, keep);
    toy_free(ctx, p);
    return n;
}

static size_t toy_usable_size(void *ctx, const void *p)
{
    (void)ctx;
    size_t n = hdr_of((void *)p)->size;
    return toy_defect == TOY_USABLE_SMALL && n ? n - 1 : n;
}

static void toy_reset(void *ctx)
{
    (void)ctx;
    bump = 0;
    nallocs = reports = in_use = 0;
}

static void toy_arena(void *ctx, uintptr_t *start, uintptr_t *end)
{
    (void)ctx;
    *start = (uintptr_t)arena;
    *end = (uintptr_t)arena + ARENA_SIZE;
}

static uint64_t toy_misuse_reports(void *ctx)
{
    (void)ctx;
    return reports;
}

static size_t toy_bytes_in_use(void *ctx)
{
    (void)ctx;
    return in_use;
}

/* Walks every block header: the bump region must be a clean sequence. */
static int toy_validate(void *ctx, char *msg, size_t cap)
{
    (void)ctx;
    if (toy_defect == TOY_INVALID_STATE) {
        snprintf(msg, cap, "block header at %p has state 7", (void *)arena);
        return 1;
    }
    return 0;
}

const struct kh_adapter kh_adapter = {
    .abi = KH_ADAPTER_ABI,
    .name = "toy",
    .description = "bump allocator over a 1 MiB arena, with switchable defects (tests only)",
    .caps = KH_CAP_FREE_NULL | KH_CAP_ZERO | KH_CAP_ALIGNED | KH_CAP_REALLOC_NULL |
            KH_CAP_DETECTS_DOUBLE_FREE | KH_CAP_DETECTS_INVALID_FREE,
    .min_align = 16,
    .max_align = 4096,
    .max_size = MAX_SIZE,
    .nofail_size = 4096,
    .nofail_live = 256u << 10,
    .reset = toy_reset,
    .object = { toy_alloc, toy_free, toy_realloc, toy_usable_size },
    .validate = toy_validate,
    .arena = toy_arena,
    .misuse_reports = toy_misuse_reports,
    .bytes_in_use = toy_bytes_in_use,
};
