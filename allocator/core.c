/* core.c - instance lifecycle, configuration profiles and the default
 * instance.
 *
 * A profile is a named kernel era and architecture: page size, max order,
 * zone sizes, CPU count and slab design. The subsystems are brought up in
 * dependency order (page allocator first, then the slab layer, ...) and torn
 * down or reset in the reverse order. Reset keeps the reporting mode and hook
 * (they belong to the test, not to the allocator) and drops everything else.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "introspect.h"

#define MiB (1024ull * 1024ull)
#define GiB (1024ull * MiB)

struct profile {
    const char *name;
    const char *description;
    struct kh_config cfg;
};

#define COMMON_X86 \
    .page_shift = 12, .max_order = 11, .nr_cpus = 1, .cache_line = 64, \
    .arch_kmalloc_minalign = 8, .watermark_scale_factor = 10, .slab_nomerge = true

static const struct profile profiles[] = {
    { "linux-6.1-x86_64", "Linux 6.1, x86_64, SLUB, 4 KiB pages (the default)",
      { .profile = "linux-6.1-x86_64", COMMON_X86, .slab = KH_SLAB_SLUB,
        .zone_bytes = { 16 * MiB, 496 * MiB, 512 * MiB, 0 } } },
    { "linux-6.1-x86_64-16m", "as linux-6.1-x86_64 with 16 MiB of memory: memory pressure is easy to reach",
      { .profile = "linux-6.1-x86_64-16m", COMMON_X86, .slab = KH_SLAB_SLUB,
        .zone_bytes = { 4 * MiB, 4 * MiB, 8 * MiB, 0 } } },
    { "linux-6.12-x86_64", "Linux 6.12, x86_64, SLUB, 4 KiB pages (MAX_PAGE_ORDER 10)",
      { .profile = "linux-6.12-x86_64", COMMON_X86, .slab = KH_SLAB_SLUB, .kernel = KH_KERNEL_6_12,
        .zone_bytes = { 16 * MiB, 496 * MiB, 512 * MiB, 0 } } },
    { "linux-4.x-slab", "Linux 4.x, x86_64, classic SLAB allocator",
      { .profile = "linux-4.x-slab", COMMON_X86, .slab = KH_SLAB_SLAB,
        .zone_bytes = { 16 * MiB, 496 * MiB, 512 * MiB, 0 } } },
    { "linux-4.x-slob", "Linux 4.x, x86_64, SLOB size classes",
      { .profile = "linux-4.x-slob", COMMON_X86, .slab = KH_SLAB_SLOB,
        .zone_bytes = { 16 * MiB, 496 * MiB, 512 * MiB, 0 } } },
    { "linux-6.1-arm64-16k", "Linux 6.1, arm64, SLUB, 16 KiB pages (max order 12, 128-byte kmalloc alignment)",
      { .profile = "linux-6.1-arm64-16k", .page_shift = 14, .max_order = 12, .nr_cpus = 1,
        .cache_line = 64, .arch_kmalloc_minalign = 128, .watermark_scale_factor = 10,
        .slab_nomerge = true, .slab = KH_SLAB_SLUB,
        .zone_bytes = { 256 * MiB, 768 * MiB, 1 * GiB, 0 } } },
    { "linux-6.1-arm64-64k", "Linux 6.1, arm64, SLUB, 64 KiB pages (max order 14, 128-byte kmalloc alignment)",
      { .profile = "linux-6.1-arm64-64k", .page_shift = 16, .max_order = 14, .nr_cpus = 1,
        .cache_line = 64, .arch_kmalloc_minalign = 128, .watermark_scale_factor = 10,
        .slab_nomerge = true, .slab = KH_SLAB_SLUB,
        .zone_bytes = { 1 * GiB, 1 * GiB, 2 * GiB, 0 } } },
};

/* The one place where Linux releases differ (SPEC 10 and the sections it
 * names): each row is what that release does. */
static const struct kh_kernel_traits kernel_traits[KH_KERNEL_COUNT] = {
    [KH_KERNEL_6_1] = { .release = "6.1", .kmalloc_align_pow2_divisor = false,
                        .roundup_keeps_oversize = false, .krealloc_zeroes_spare = true,
                        .kvrealloc_has_old_size = true, .has_vrealloc = false, .has_cache_args = false,
                        .max_page_order_inclusive = false, .harder_from_gfp_atomic = true,
                        .has_slab_and_slob = true },
    [KH_KERNEL_6_12] = { .release = "6.12", .kmalloc_align_pow2_divisor = true,
                         .roundup_keeps_oversize = true, .krealloc_zeroes_spare = true,
                         .kvrealloc_has_old_size = false, .has_vrealloc = true, .has_cache_args = true,
                         .max_page_order_inclusive = true, .harder_from_gfp_atomic = false,
                         .has_slab_and_slob = false },
};

const struct kh_kernel_traits *kh_kernel_traits_of(enum kh_kernel k)
{
    return (unsigned)k < KH_KERNEL_COUNT ? &kernel_traits[k] : NULL;
}

const struct kh_kernel_traits *kh_kernel_traits(const struct kh *kh)
{
    return &kernel_traits[kh->cfg.kernel];
}

#define NR_PROFILES (sizeof(profiles) / sizeof(profiles[0]))

const char *const *kh_profile_names(void)
{
    static const char *names[NR_PROFILES + 1];
    if (!names[0])
        for (size_t i = 0; i < NR_PROFILES; i++)
            names[i] = profiles[i].name;
    return names;
}

const char *kh_profile_description(const char *name)
{
    for (size_t i = 0; i < NR_PROFILES; i++)
        if (strcmp(profiles[i].name, name) == 0)
            return profiles[i].description;
    return NULL;
}

int kh_profile_config(const char *name, struct kh_config *cfg)
{
    for (size_t i = 0; i < NR_PROFILES; i++) {
        if (strcmp(profiles[i].name, name) == 0) {
            *cfg = profiles[i].cfg;
            return 0;
        }
    }
    return -1;
}

static bool is_pow2(unsigned long v) { return v && !(v & (v - 1)); }

const char *kh_config_check(const struct kh_config *c)
{
    if (c->page_shift != 12 && c->page_shift != 14 && c->page_shift != 16)
        return "page_shift must be 12, 14 or 16 (4, 16 or 64 KiB pages)";
    if (c->max_order < 1 || c->max_order > KH_MAX_ORDER_LIMIT)
        return "max_order must be between 1 and 20 (exclusive upper order)";
    if (c->nr_cpus < 1 || c->nr_cpus > KH_MAX_CPUS)
        return "nr_cpus must be between 1 and 64";
    if (!is_pow2(c->cache_line) || c->cache_line < 8 || c->cache_line > 512)
        return "cache_line must be a power of two between 8 and 512";
    if (!is_pow2(c->arch_kmalloc_minalign) || c->arch_kmalloc_minalign < 8 ||
        c->arch_kmalloc_minalign > (1u << c->page_shift))
        return "arch_kmalloc_minalign must be a power of two between 8 and the page size";
    if (c->watermark_scale_factor < 1 || c->watermark_scale_factor > 3000)
        return "watermark_scale_factor must be between 1 and 3000";
    if (c->slab > KH_SLAB_SLOB)
        return "slab design must be SLUB, SLAB or SLOB";
    if ((unsigned)c->kernel >= KH_KERNEL_COUNT)
        return "kernel must be KH_KERNEL_6_1 or KH_KERNEL_6_12";
    if (c->slab != KH_SLAB_SLUB && !kernel_traits[c->kernel].has_slab_and_slob)
        return "this kernel has SLUB only: SLAB and SLOB were removed (6.5 and 6.4)";
    if (c->quarantine_objects > (1u << 20))
        return "quarantine_objects must be at most 1048576";
    uint64_t page = 1ull << c->page_shift, total = 0;
    for (int z = 0; z < MAX_NR_ZONES; z++) {
        if (c->zone_bytes[z] % page)
            return "every zone size must be a multiple of the page size";
        total += c->zone_bytes[z] >> c->page_shift;
    }
    if (total == 0)
        return "the arena is empty: give at least one zone some memory";
    if (total >= KH_NO_PFN)
        return "the arena is too large: at most 2^32 - 2 pages";
    if (memchr(c->slub_debug, '\0', sizeof(c->slub_debug)) == NULL)
        return "slub_debug is not NUL-terminated";
    for (const char *p = c->slub_debug; *p; p++)
        if (!strchr("FZPU-", *p))
            return "slub_debug accepts only the letters F, Z, P, U (or '-' for none)";
    return NULL;
}

/* Brings the subsystems up in dependency order; when one fails, the ones
 * already up are torn down in reverse order. */
static const char *init_subsystems(struct kh *kh)
{
    const char *why = kh_page_alloc_init(kh);
    if (why)
        return why;
    why = kh_slab_init(kh);
    if (why)
        goto no_slab;
    why = kh_vmalloc_init(kh);
    if (why)
        goto no_vmalloc;
    why = kh_percpu_init(kh);
    if (why)
        goto no_percpu;
    why = kh_mempool_state_init(kh);
    if (why)
        goto no_mempool;
    why = kh_memblock_init(kh);
    if (why)
        goto no_memblock;
    return NULL;
no_memblock:
    kh_mempool_state_destroy(kh);
no_mempool:
    kh_percpu_destroy(kh);
no_percpu:
    kh_vmalloc_destroy(kh);
no_vmalloc:
    kh_slab_destroy(kh);
no_slab:
    kh_page_alloc_destroy(kh);
    return why;
}

struct kh *kh_create(const struct kh_config *cfg, const char **err)
{
    const char *why = kh_config_check(cfg);
    if (why) {
        if (err)
            *err = why;
        return NULL;
    }
    struct kh *kh = calloc(1, sizeof(*kh));
    if (!kh) {
        if (err)
            *err = "out of host memory for the instance";
        return NULL;
    }
    kh->cfg = *cfg;
    kh->page_shift = cfg->page_shift;
    kh->page_size = 1ul << cfg->page_shift;
    kh->max_order = cfg->max_order;
    kh->memfd = -1;
    kh->rep.mode = KH_REPORT_ABORT;

    why = init_subsystems(kh);
    if (why) {
        if (err)
            *err = why;
        kh_report_destroy(kh);
        free(kh);
        return NULL;
    }
    return kh;
}

void kh_destroy(struct kh *kh)
{
    if (!kh)
        return;
    kh_memblock_destroy(kh);
    kh_mempool_state_destroy(kh);
    kh_percpu_destroy(kh);
    kh_vmalloc_destroy(kh);
    kh_slab_destroy(kh);
    kh_page_alloc_destroy(kh);
    kh_report_destroy(kh);
    free(kh);
}

void kh_reset(struct kh *kh)
{
    kh_memblock_reset(kh);
    kh_mempool_state_reset(kh);
    kh_percpu_reset(kh);
    kh_vmalloc_reset(kh);
    kh_slab_reset(kh);
    kh_page_alloc_reset(kh);
    kh_report_reset(kh);
    kh_fault_clear(kh);
    kh->current_cpu = 0;
    kh->copy_src = kh->copy_dst = NULL;
    kh->copy_n = 0;
    kh->copy_count = 0;
    kh->clear_dst = NULL;
    kh->clear_n = 0;
    kh->clear_count = 0;
}

void kh_note_clear(struct kh *kh, void *dst, size_t n)
{
    kh->clear_dst = dst;
    kh->clear_n = n;
    kh->clear_count++;
}

void kh_last_clear(const struct kh *kh, struct kh_copy_info *out)
{
    *out = (struct kh_copy_info){ .dst = kh->clear_dst, .n = kh->clear_n,
                                  .count = kh->clear_count };
}

void kh_note_copy(struct kh *kh, void *dst, const void *src, size_t n)
{
    kh->copy_src = src;
    kh->copy_dst = dst;
    kh->copy_n = n;
    kh->copy_count++;
}

void kh_last_copy(const struct kh *kh, struct kh_copy_info *out)
{
    *out = (struct kh_copy_info){ .src = kh->copy_src, .dst = kh->copy_dst, .n = kh->copy_n,
                                  .count = kh->copy_count };
}

const struct kh_config *kh_get_config(const struct kh *kh) { return &kh->cfg; }

void kh_set_cpu(struct kh *kh, unsigned cpu)
{
    /* An out-of-range CPU would index per-CPU state: clamp and say so. */
    if (cpu >= kh->cfg.nr_cpus) {
        kh_report(kh, KH_SEV_WARN, KH_R_WARN, "core", "cpu out of range", 0,
                  "WARNING: kh_set_cpu(%u) with only %u CPUs; using CPU %u\n",
                  cpu, kh->cfg.nr_cpus, cpu % kh->cfg.nr_cpus);
        cpu %= kh->cfg.nr_cpus;
    }
    kh->current_cpu = cpu;
}

unsigned kh_current_cpu(const struct kh *kh) { return kh->current_cpu; }

void kh_set_preempt(struct kh *kh, const struct kh_preempt_ops *ops, void *ctx)
{
    kh->preempt = ops;
    kh->preempt_ctx = ops ? ctx : NULL;
    kh->current_task = 0;
    kh_slab_preempt_changed(kh);
}

void kh_switch_task(struct kh *kh, unsigned task, unsigned cpu)
{
    kh->current_task = task;
    kh_set_cpu(kh, cpu);
}

bool kh_lock_free(const struct kh_lock *l) { return l->holder == 0; }

int kh_cpu_irqs_off_by(const struct kh *kh, unsigned cpu)
{
    return cpu < KH_MAX_CPUS ? (int)kh->irqs_off[cpu].task - 1 : -1;
}

const char *kh_preempt_site_name(enum kh_preempt_site site)
{
    static const char *const names[KH_PP_NR] = {
        [KH_PP_CPU_FREELIST_POP] = "cpu-freelist-pop",
        [KH_PP_CPU_FREELIST_PUSH] = "cpu-freelist-push",
        [KH_PP_SLAB_FREELIST] = "slab-freelist",
        [KH_PP_LIST_MOVE] = "list-move",
        [KH_PP_LOCK_WAIT] = "lock-wait",
    };
    return (unsigned)site < KH_PP_NR ? names[site] : "?";
}

/* The default instance is the one global the design allows: it stands in
 * for "the kernel" behind the kernel-style names. */
static struct kh *default_instance;

struct kh *kh_default(void)
{
    if (default_instance)
        return default_instance;
    const char *name = getenv("KMEM_PROFILE");
    if (!name || !*name)
        name = KH_DEFAULT_PROFILE;
    struct kh_config cfg;
    if (kh_profile_config(name, &cfg) != 0) {
        fprintf(stderr, "kmem-harness: unknown profile '%s' in KMEM_PROFILE\n", name);
        abort();
    }
    const char *err = NULL;
    default_instance = kh_create(&cfg, &err);
    if (!default_instance) {
        fprintf(stderr, "kmem-harness: cannot create the default instance: %s\n", err);
        abort();
    }
    return default_instance;
}

void kh_set_default(struct kh *kh)
{
    if (default_instance && default_instance != kh)
        kh_destroy(default_instance);
    default_instance = kh;
}
