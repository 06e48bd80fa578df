/* corrupt.c - the validator targets' shared part (corrupt.h). */
#include "corrupt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct kh_config corrupt_config(const char *target, const char *profile)
{
    struct kh_config cfg;
    if (kh_profile_config(profile, &cfg) != 0)
        corrupt_fail(target, "unknown profile", profile);
    memset(cfg.zone_bytes, 0, sizeof(cfg.zone_bytes));
    return cfg;
}

struct kh *corrupt_instance(const char *target, const struct kh_config *cfg)
{
    const char *err = NULL;
    struct kh *kh = kh_create(cfg, &err);
    if (!kh)
        corrupt_fail(target, "cannot create the instance", err);
    kh_set_report_mode(kh, KH_REPORT_RECORD);
    kh_set_report_quiet(kh, true);
    return kh;
}

unsigned corrupt_byte(struct corrupt_input *in)
{
    if (!in->n)
        return 0;
    in->n--;
    return *in->p++;
}

uint32_t corrupt_bytes(struct corrupt_input *in, unsigned k)
{
    uint32_t v = 0;
    for (unsigned i = 0; i < k; i++)
        v |= (uint32_t)corrupt_byte(in) << (8 * i);
    return v;
}

__attribute__((no_sanitize("address"))) static uint64_t load(const void *f, unsigned w)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < w; i++)
        v |= (uint64_t)((const volatile uint8_t *)f)[i] << (8 * i);
    return v;
}

__attribute__((no_sanitize("address"))) static void store(void *f, unsigned w, uint64_t v)
{
    for (unsigned i = 0; i < w; i++)
        ((volatile uint8_t *)f)[i] = (uint8_t)(v >> (8 * i));
}

void corrupt_field(struct corrupt_change *c, const char *what, void *field, unsigned width)
{
    c->what = what;
    c->field = field;
    c->width = width;
    c->old = c->now = load(field, width);
}

void corrupt_apply(struct corrupt_change *c, uint64_t now)
{
    store(c->field, c->width, now);
    c->now = load(c->field, c->width);   /* what the field holds: a narrow one keeps the low bytes */
}

void corrupt_fail(const char *target, const char *what, const char *detail)
{
    fprintf(stderr, "%s_fuzzer: %s\n", target, what);
    if (detail && *detail)
        fprintf(stderr, "  %s\n", detail);
    abort();
}

static unsigned run(struct kh *kh, corrupt_validator validate, char *first, size_t len)
{
    struct kh_violations v = { 0 };
    unsigned n = validate(kh, &v);
    snprintf(first, len, "%s", v.n ? v.v[0].detail : "");
    kh_violations_free(&v);
    return n;
}

void corrupt_check_clean(const char *target, struct kh *kh, corrupt_validator validate)
{
    char first[256];
    if (run(kh, validate, first, sizeof(first)))
        corrupt_fail(target, "a state built by legal calls does not validate", first);
}

void corrupt_judge(const char *target, struct kh *kh, corrupt_validator validate,
                   const struct corrupt_change *c, const char *context)
{
    char first[256], detail[640];
    unsigned n = run(kh, validate, first, sizeof(first));
    snprintf(detail, sizeof(detail), "%s%s%s: %#llx -> %#llx, %u violations%s%s", c->what,
             *context ? " " : "", context, (unsigned long long)c->old, (unsigned long long)c->now, n,
             n ? ", first: " : "", first);
    if (c->must_report && n == 0)
        corrupt_fail(target, "corruption not reported", detail);
    if (!c->must_report && n != 0)
        corrupt_fail(target, "harmless change reported", detail);
    store(c->field, c->width, c->old);
    if (run(kh, validate, first, sizeof(first)))
        corrupt_fail(target, "state restored but still reported", first);
}
