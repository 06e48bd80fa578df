/* config_fuzzer.c - instance lifecycle: profiles, configurations (valid and
 * invalid), creation, the default instance and destruction.
 *
 * The input picks a profile and then changes fields of its configuration,
 * byte by byte (see decode()). The rules a configuration must meet are the
 * ones kmem.h documents for kh_config_check; this file restates them on its
 * own (config_ok) and checks the allocator against them:
 *   - kh_config_check says "invalid" exactly when a rule is broken, and its
 *     message names a field whose rule is broken;
 *   - kh_create of an invalid configuration returns NULL with that message
 *     (and takes a NULL err pointer);
 *   - a valid configuration small enough to build here gives an instance
 *     that keeps the configuration and the release's traits, serves each
 *     subsystem once, validates clean and is destroyed (kh_destroy, or as
 *     the default instance through kh_set_default), with no report.
 * Profiles: every name of kh_profile_names() has a description and a valid
 * configuration naming itself; a name that is not in the list has neither.
 * Any disagreement aborts with "config_fuzzer: <what>".
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "introspect.h"
#include "kmalloc.h"
#include "kmem.h"
#include "page_alloc.h"
#include "percpu.h"
#include "slab.h"
#include "vmalloc.h"

/* Instances at most this big are built: creation is cheap at any size, but
 * the cap keeps one input's work small. Bigger valid ones are only checked. */
#define BUILD_LIMIT_BYTES (4ull << 30)
/* An arena this big (up to 2^32 - 2 pages of 64 KiB is valid) cannot be
 * mapped in a 47-bit user address space: kh_create must fail with a reason. */
#define HOST_LIMIT_BYTES (1ull << 47)

static void fail(const char *what, const struct kh_config *c, const char *detail)
{
    fprintf(stderr, "config_fuzzer: %s\n", what);
    if (c)
        fprintf(stderr, "  profile %s page_shift %u max_order %u nr_cpus %u slab %d cache_line %u "
                "minalign %u wsf %u kernel %d quarantine %u slub_debug '%.31s' zones %llu %llu "
                "%llu %llu\n", c->profile ? c->profile : "(none)", c->page_shift, c->max_order,
                c->nr_cpus, (int)c->slab, c->cache_line, c->arch_kmalloc_minalign,
                c->watermark_scale_factor, (int)c->kernel, c->quarantine_objects, c->slub_debug,
                (unsigned long long)c->zone_bytes[0], (unsigned long long)c->zone_bytes[1],
                (unsigned long long)c->zone_bytes[2], (unsigned long long)c->zone_bytes[3]);
    if (detail)
        fprintf(stderr, "  %s\n", detail);
    abort();
}

static void require(int ok, const char *what, const struct kh_config *c, const char *detail)
{
    if (!ok)
        fail(what, c, detail);
}

/* ---- the rules, restated ---- */

static int pow2(uint64_t v) { return v && !(v & (v - 1)); }

/* Each broken rule adds the word its message must contain (any one of them
 * will do: the order of the checks is the allocator's). Returns how many. */
static unsigned broken_rules(const struct kh_config *c, const char **words, unsigned cap)
{
    unsigned n = 0;
#define BROKEN(cond, word)          \
    do {                            \
        if ((cond) && n < cap)      \
            words[n++] = (word);    \
    } while (0)
    BROKEN(c->page_shift != 12 && c->page_shift != 14 && c->page_shift != 16, "page_shift");
    BROKEN(c->max_order < 1 || c->max_order > 20, "max_order");
    BROKEN(c->nr_cpus < 1 || c->nr_cpus > 64, "nr_cpus");
    BROKEN(!pow2(c->cache_line) || c->cache_line < 8 || c->cache_line > 512, "cache_line");
    BROKEN(!pow2(c->arch_kmalloc_minalign) || c->arch_kmalloc_minalign < 8 ||
               (c->page_shift < 32 && c->arch_kmalloc_minalign > (1u << c->page_shift)),
           "arch_kmalloc_minalign");
    BROKEN(c->watermark_scale_factor < 1 || c->watermark_scale_factor > 3000,
           "watermark_scale_factor");
    BROKEN((unsigned)c->slab > KH_SLAB_SLOB, "slab design");
    BROKEN((unsigned)c->kernel >= KH_KERNEL_COUNT, "kernel");
    /* SLAB and SLOB were removed before 6.12 */
    BROKEN(c->slab != KH_SLAB_SLUB && (unsigned)c->slab <= KH_SLAB_SLOB && c->kernel == KH_KERNEL_6_12,
           "SLUB only");
    BROKEN(c->quarantine_objects > (1u << 20), "quarantine_objects");
    if (c->page_shift == 12 || c->page_shift == 14 || c->page_shift == 16) {
        uint64_t page = 1ull << c->page_shift, pages = 0;
        int ragged = 0;
        for (int z = 0; z < MAX_NR_ZONES; z++) {
            ragged |= c->zone_bytes[z] % page != 0;
            pages += c->zone_bytes[z] >> c->page_shift;
        }
        BROKEN(ragged, "zone size");
        BROKEN(pages == 0, "arena is empty");
        BROKEN(pages >= 0xFFFFFFFFull, "arena is too large");
    }
    int terminated = memchr(c->slub_debug, '\0', sizeof(c->slub_debug)) != NULL;
    BROKEN(!terminated, "slub_debug");
    for (size_t i = 0; terminated && c->slub_debug[i]; i++)
        BROKEN(!strchr("FZPU-", c->slub_debug[i]), "slub_debug");
#undef BROKEN
    return n;
}

/* ---- decoding ---- */

struct input {
    const uint8_t *p;
    size_t n;
};

static unsigned byte(struct input *in)
{
    if (!in->n)
        return 0;
    in->n--;
    return *in->p++;
}

/* 1 to 8 bytes, little-endian; the first byte's top bits say how many. */
static uint64_t number(struct input *in)
{
    unsigned b = byte(in);
    unsigned extra = b >> 5;           /* 0..7 more bytes */
    uint64_t v = b & 31u;
    for (unsigned i = 0; i < extra; i++)
        v |= (uint64_t)byte(in) << (5 + 8 * i);
    return v;
}

/* A zone size: usually whole pages (shift chosen from the input), sometimes
 * any byte count. */
static uint64_t zone_size(struct input *in, unsigned page_shift)
{
    unsigned how = byte(in);
    uint64_t v = number(in);
    if (how & 1)
        return v;
    unsigned shift = page_shift <= 16 ? page_shift : 12;
    return v << (shift + (how >> 1) % 20);
}

static void decode(struct input *in, struct kh_config *c, char *name_buf, size_t name_cap,
                   const char **name)
{
    const char *const *names = kh_profile_names();
    size_t np = 0;
    while (names[np])
        np++;
    unsigned pick = byte(in);
    *name = names[pick % np];
    if (pick >= 0xF0) {
        /* a name that is not a profile: one character changed or cut */
        snprintf(name_buf, name_cap, "%s", *name);
        size_t len = strlen(name_buf);
        if (pick & 1)
            name_buf[(pick >> 1) % len] ^= 0x20;
        else
            name_buf[len - 1 - (pick >> 1) % 3] = '\0';
        *name = name_buf;
    }
    if (kh_profile_config(*name, c) != 0)
        kh_profile_config(names[0], c);
    while (in->n) {
        unsigned field = byte(in);
        switch (field % 16) {
        case 0: c->page_shift = (unsigned)number(in); break;
        case 1: c->max_order = (unsigned)number(in); break;
        case 2: c->nr_cpus = (unsigned)number(in); break;
        case 3: c->slab = (enum kh_slab_design)(byte(in) % 4); break;
        case 4: c->cache_line = (field & 16) ? 1u << (byte(in) % 12) : (unsigned)number(in); break;
        case 5:
            c->arch_kmalloc_minalign = (field & 16) ? 1u << (byte(in) % 18) : (unsigned)number(in);
            break;
        case 6: c->watermark_scale_factor = (unsigned)number(in); break;
        case 7: c->kernel = (enum kh_kernel)(byte(in) % 3); break;
        case 8: c->quarantine_objects = (unsigned)number(in); break;
        case 9: c->min_free_kbytes = (unsigned)number(in) % 65536; break;
        case 10: c->slab_nomerge = !c->slab_nomerge; break;
        case 11: case 12: {
            unsigned z = byte(in) % MAX_NR_ZONES;
            c->zone_bytes[z] = zone_size(in, c->page_shift);
            break;
        }
        case 13: {
            /* slub_debug: letters, mostly valid ones */
            static const char letters[] = "FZPU-FZPUxa";
            unsigned len = byte(in) % 8;
            for (unsigned i = 0; i < len; i++)
                c->slub_debug[i] = letters[byte(in) % (sizeof(letters) - 1)];
            c->slub_debug[len] = '\0';
            break;
        }
        case 14:
            /* no terminating NUL at all */
            memset(c->slub_debug, 'F', sizeof(c->slub_debug));
            break;
        default:
            /* another profile's memory layout under the current settings */
            {
                struct kh_config other;
                kh_profile_config(names[byte(in) % np], &other);
                memcpy(c->zone_bytes, other.zone_bytes, sizeof(c->zone_bytes));
            }
            break;
        }
    }
}

/* ---- checks ---- */

static void check_profiles(const char *name)
{
    const char *const *names = kh_profile_names();
    require(names[0] && strcmp(names[0], KH_DEFAULT_PROFILE) == 0,
            "the first profile is not the default", NULL, NULL);
    int known = 0;
    for (size_t i = 0; names[i]; i++) {
        struct kh_config c;
        require(kh_profile_description(names[i]) != NULL, "a profile without a description", NULL,
                names[i]);
        require(kh_profile_config(names[i], &c) == 0, "a listed profile has no configuration",
                NULL, names[i]);
        require(c.profile && strcmp(c.profile, names[i]) == 0,
                "a profile's configuration names another profile", &c, names[i]);
        const char *why = kh_config_check(&c);
        require(why == NULL, "a profile's own configuration is invalid", &c, why);
        known |= strcmp(names[i], name) == 0;
    }
    if (!known) {
        struct kh_config c;
        require(kh_profile_description(name) == NULL, "an unknown profile has a description",
                NULL, name);
        require(kh_profile_config(name, &c) == -1, "an unknown profile has a configuration", NULL,
                name);
    }
}

static void check_traits(const struct kh_config *c, unsigned k)
{
    const struct kh_kernel_traits *t = kh_kernel_traits_of((enum kh_kernel)k);
    require((t != NULL) == (k < KH_KERNEL_COUNT), "kh_kernel_traits_of disagrees with the releases",
            c, NULL);
    if (t)
        require(t->release && *t->release, "a release without a name", c, NULL);
}

/* Does the configuration keep its profile's memory (zones, page size,
 * orders, watermarks)? Then every first allocation below must succeed;
 * with other memory a request may fail (a one-page arena, an order too
 * small for a per-CPU chunk, watermarks above the zone), but only with a
 * warning, never a BUG report. */
static int profile_memory(const struct kh_config *c)
{
    struct kh_config p;
    if (!c->profile || kh_profile_config(c->profile, &p) != 0)
        return 0;
    return p.page_shift == c->page_shift && p.max_order == c->max_order &&
           memcmp(p.zone_bytes, c->zone_bytes, sizeof(p.zone_bytes)) == 0 &&
           p.min_free_kbytes == c->min_free_kbytes &&
           p.watermark_scale_factor == c->watermark_scale_factor;
}

static void got(int ok, int roomy, const char *what, const struct kh_config *c)
{
    require(ok || !roomy, what, c, "(the profile's own memory)");
}

/* One allocation and free in each subsystem, then the instance's own
 * validation and its reports. */
static void exercise(struct kh *kh, const struct kh_config *c)
{
    int roomy = profile_memory(c);
    kh_set_report_mode(kh, KH_REPORT_RECORD);
    kh_set_report_quiet(kh, true);
    const struct kh_config *g = kh_get_config(kh);
    require(g->page_shift == c->page_shift && g->max_order == c->max_order &&
                g->nr_cpus == c->nr_cpus && g->slab == c->slab && g->kernel == c->kernel &&
                memcmp(g->zone_bytes, c->zone_bytes, sizeof(c->zone_bytes)) == 0 &&
                strcmp(g->slub_debug, c->slub_debug) == 0,
            "the instance does not keep its configuration", c, NULL);
    require(kh_kernel_traits(kh) == kh_kernel_traits_of(c->kernel),
            "the instance follows another release", c, NULL);
    require(kh_page_size(kh) == 1ul << c->page_shift, "kh_page_size is not the page size", c, NULL);
    require(kh_nr_cpus(kh) == c->nr_cpus, "kh_nr_cpus is not the configured count", c, NULL);

    void *k = kh_kmalloc(kh, 100, GFP_KERNEL);
    got(k != NULL, roomy, "kmalloc(100) failed on a fresh instance", c);
    if (k) {
        require((uintptr_t)k % c->arch_kmalloc_minalign == 0, "kmalloc below ARCH_KMALLOC_MINALIGN",
                c, NULL);
        memset(k, 0x5a, 100);
        kh_kfree(kh, k);
    }

    struct kmem_cache *s = kh_kmem_cache_create(kh, "config_fuzzer", 40, 8, 0, NULL);
    got(s != NULL, roomy, "kmem_cache_create failed on a fresh instance", c);
    if (s) {
        void *o = kh_kmem_cache_alloc(kh, s, GFP_KERNEL);
        got(o != NULL, roomy, "kmem_cache_alloc failed on a fresh instance", c);
        require((uintptr_t)o % 8 == 0, "a cache object below the cache's alignment", c, NULL);
        if (o)
            kh_kmem_cache_free(kh, s, o);
        kh_kmem_cache_destroy(kh, s);
    }

    struct page *pg = kh_alloc_pages(kh, GFP_KERNEL, 0);
    got(pg != NULL, roomy, "alloc_pages(0) failed on a fresh instance", c);
    if (pg) {
        require((uintptr_t)kh_page_address(kh, pg) % kh_page_size(kh) == 0,
                "a page that is not page-aligned", c, NULL);
        kh___free_pages(kh, pg, 0);
    }

    void *v = kh_vmalloc(kh, 3 * kh_page_size(kh) + 1);
    got(v != NULL, roomy, "vmalloc failed on a fresh instance", c);
    if (v) {
        require(kh_is_vmalloc_addr(kh, v), "vmalloc memory outside the vmalloc range", c, NULL);
        kh_vfree(kh, v);
    }

    void *pc = kh___alloc_percpu(kh, 16, 8);
    got(pc != NULL, roomy, "__alloc_percpu failed on a fresh instance", c);
    if (pc)
        kh_free_percpu(kh, pc);

    struct kh_violations out = { 0 };
    unsigned bad = kh_validate(kh, &out);
    char first[256] = "";
    if (bad && out.n)
        snprintf(first, sizeof(first), "%s: %s: %s", out.v[0].subsystem, out.v[0].invariant,
                 out.v[0].detail);
    kh_violations_free(&out);
    require(bad == 0, "a fresh instance fails its own validation", c, first);
    unsigned by_class = 0;
    for (int cls = 0; cls < KH_R_NR_CLASSES; cls++)
        by_class += kh_report_count_class(kh, (enum kh_report_class)cls);
    require(kh_report_count(kh, KH_SEV_WARN) + kh_report_count(kh, KH_SEV_BUG) == by_class,
            "the report counts by severity and by class differ", c, NULL);
    for (unsigned i = 0; kh_report_get(kh, i); i++) {
        const struct kh_report *r = kh_report_get(kh, i);
        require(!roomy, "a fresh instance with its profile's memory reported something", c,
                r->reason);
        /* short of memory, a request fails with a warning (in the page
         * allocator's, vmalloc's or percpu's words), never a BUG */
        require(r->severity == KH_SEV_WARN, "a fresh instance reported a BUG", c, r->reason);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct input in = { data, size };
    struct kh_config c;
    char name_buf[64];
    const char *name;
    decode(&in, &c, name_buf, sizeof(name_buf), &name);
    check_profiles(name);
    check_traits(&c, (unsigned)c.kernel);

    const char *words[16];
    unsigned nbroken = broken_rules(&c, words, 16);
    const char *why = kh_config_check(&c);
    if (nbroken) {
        require(why != NULL, "kh_config_check accepts a configuration that breaks a rule", &c,
                words[0]);
        int named = 0;
        for (unsigned i = 0; i < nbroken; i++)
            named |= strstr(why, words[i]) != NULL;
        require(named, "kh_config_check's message names no broken rule", &c, why);
        const char *err = NULL;
        require(kh_create(&c, &err) == NULL, "kh_create builds an invalid configuration", &c, why);
        require(err == why || (err && strcmp(err, why) == 0),
                "kh_create's error is not kh_config_check's message", &c, err);
        require(kh_create(&c, NULL) == NULL, "kh_create builds an invalid configuration", &c, why);
        return 0;
    }
    require(why == NULL, "kh_config_check refuses a configuration that meets every rule", &c, why);

    uint64_t bytes = 0;
    for (int z = 0; z < MAX_NR_ZONES; z++)
        bytes += c.zone_bytes[z];
    if (bytes > BUILD_LIMIT_BYTES && bytes < HOST_LIMIT_BYTES)
        return 0;
    const char *err = NULL;
    struct kh *kh = kh_create(&c, &err);
    if (!kh) {
        /* only the host can refuse a valid configuration, and it must say why */
        require(err != NULL, "kh_create failed without a reason", &c, NULL);
        return 0;
    }
    if (bytes >= HOST_LIMIT_BYTES) {
        kh_destroy(kh);   /* a host with a wider address space: made, not used */
        return 0;
    }
    exercise(kh, &c);
    if (size & 1) {
        /* as the default instance: the kernel names' instance, dropped by
         * kh_set_default(NULL) */
        kh_set_default(kh);
        require(kh_default() == kh, "kh_default is not the instance just set", &c, NULL);
        kh_set_default(NULL);
        if (size & 2) {
            /* with none set, kh_default makes one from $KMEM_PROFILE */
            setenv("KMEM_PROFILE", "linux-6.1-x86_64-16m", 1);
            struct kh *d = kh_default();
            require(d && strcmp(kh_get_config(d)->profile, "linux-6.1-x86_64-16m") == 0,
                    "kh_default does not follow $KMEM_PROFILE", &c, NULL);
            require(kh_default() == d, "kh_default made a second instance", &c, NULL);
            kh_set_default(NULL);
        }
    } else {
        kh_destroy(kh);
    }
    return 0;
}
