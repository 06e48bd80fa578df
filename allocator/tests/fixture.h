/* fixture.h - the instance every allocator test program starts from.
 *
 * A test builds its configuration from a profile (kh_test_config), changes
 * what it studies (CPUs, zones, slub_debug, ...), and creates the instance
 * with kh_test_create: recording reports as data instead of aborting, and
 * quiet, since the tests count and read the reports themselves. A profile
 * or configuration that cannot be created ends the program with the reason
 * (exit status 2): every check after it would be meaningless.
 * Header-only, like check.h.
 */
#ifndef KH_TESTS_FIXTURE_H
#define KH_TESTS_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kmem.h"

/* The configuration of a shipped profile. */
static inline struct kh_config kh_test_config(const char *profile)
{
    struct kh_config cfg;
    if (kh_profile_config(profile, &cfg) != 0) {
        fprintf(stderr, "kh_profile_config: unknown profile %s\n", profile);
        exit(2);
    }
    return cfg;
}

/* An instance of cfg in record mode, without printing its reports. */
static inline struct kh *kh_test_create(const struct kh_config *cfg)
{
    const char *err = NULL;
    struct kh *kh = kh_create(cfg, &err);
    if (!kh) {
        fprintf(stderr, "kh_create(%s): %s\n", cfg->profile ? cfg->profile : "?", err ? err : "?");
        exit(2);
    }
    kh_set_report_mode(kh, KH_REPORT_RECORD);
    kh_set_report_quiet(kh, true);
    return kh;
}

/* kh_test_create of the profile as it ships. */
static inline struct kh *kh_test_instance(const char *profile)
{
    struct kh_config cfg = kh_test_config(profile);
    return kh_test_create(&cfg);
}

/* How many of the recorded reports have this reason. */
static inline unsigned reports_with(const struct kh *kh, const char *reason)
{
    unsigned n = 0;
    const struct kh_report *r;
    for (unsigned i = 0; (r = kh_report_get(kh, i)) != NULL; i++)
        n += strcmp(r->reason, reason) == 0;
    return n;
}

#endif
