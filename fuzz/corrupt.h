/* corrupt.h - what the validator targets (page_validate, slab_validate)
 * share: reading their input, changing one field of the allocator's
 * metadata and putting it back, and the verdict on what the validator
 * says about the change.
 *
 * Fields are read and written a byte at a time, around ASan: some lie in
 * free objects, which are poisoned, and corrupting them is the point.
 */
#ifndef KH_FUZZ_CORRUPT_H
#define KH_FUZZ_CORRUPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "introspect.h"
#include "kmem.h"

/* A profile with no memory in any zone: the caller sizes them. */
struct kh_config corrupt_config(const char *target, const char *profile);
/* An instance of cfg whose reports are recorded, quietly. */
struct kh *corrupt_instance(const char *target, const struct kh_config *cfg);

struct corrupt_input { const uint8_t *p; size_t n; };

/* The next byte, or 0 past the end. */
unsigned corrupt_byte(struct corrupt_input *in);
/* The next k bytes (k <= 4), little endian. */
uint32_t corrupt_bytes(struct corrupt_input *in, unsigned k);

/* One changed field. */
struct corrupt_change {
    const char *what;
    void *field;
    unsigned width;       /* bytes, at most 8 */
    uint64_t old, now;
    bool must_report;     /* the change breaks an invariant the validator documents */
};

/* Names the field and reads its value into c->old. */
void corrupt_field(struct corrupt_change *c, const char *what, void *field, unsigned width);
/* Writes `now` into the field; must_report is the caller's to set. */
void corrupt_apply(struct corrupt_change *c, uint64_t now);

/* A validator: violations found, each appended to out. */
typedef unsigned (*corrupt_validator)(struct kh *kh, struct kh_violations *out);

/* Aborts with "<target>_fuzzer: <what>" and the detail. */
_Noreturn void corrupt_fail(const char *target, const char *what, const char *detail);
/* The state built by legal calls must validate clean. */
void corrupt_check_clean(const char *target, struct kh *kh, corrupt_validator validate);
/* The validator's verdict on c (applied): a report exactly when
 * must_report; then the field goes back and the state must validate clean
 * again. context (may be "") is printed with a failure. */
void corrupt_judge(const char *target, struct kh *kh, corrupt_validator validate,
                   const struct corrupt_change *c, const char *context);

#endif
