/* report.c - the single reporting hook for warnings and bugs.
 *
 * The kernel prints a WARN and carries on, and a BUG stops the machine. The
 * default mode mirrors that (print, abort on BUG). Tests and fuzzers switch
 * to RECORD or COUNT so that one run can count the reports a misuse
 * produces, KUnit-style, and check the allocator is still consistent after.
 */
#define _POSIX_C_SOURCE 200809L /* strdup */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

void kh_set_report_mode(struct kh *kh, enum kh_report_mode mode) { kh->rep.mode = mode; }
void kh_set_report_quiet(struct kh *kh, bool quiet) { kh->rep.quiet = quiet; }

void kh_set_report_hook(struct kh *kh, kh_report_fn fn, void *ctx)
{
    kh->rep.hook = fn;
    kh->rep.hook_ctx = ctx;
}

unsigned kh_report_count(const struct kh *kh, enum kh_severity sev)
{
    return sev <= KH_SEV_BUG ? kh->rep.count_sev[sev] : 0;
}

unsigned kh_report_count_class(const struct kh *kh, enum kh_report_class cls)
{
    return cls < KH_R_NR_CLASSES ? kh->rep.count_cls[cls] : 0;
}

const struct kh_report *kh_report_get(const struct kh *kh, unsigned i)
{
    return i < kh->rep.log_len ? &kh->rep.log[i] : NULL;
}

bool kh_report_is_detection(const struct kh_report *r)
{
    return r->cls != KH_R_PAGE_ALLOC_FAILURE && r->cls != KH_R_OOM;
}

bool kh_report_is_caller_livelock(const struct kh_report *r)
{
    return r->cls == KH_R_OOM || (r->cls == KH_R_MEMPOOL && strstr(r->reason, "sleep forever"));
}

void kh_reports_clear(struct kh *kh)
{
    for (unsigned i = 0; i < kh->rep.log_len; i++)
        free((char *)kh->rep.log[i].text);
    kh->rep.log_len = 0;
    memset(kh->rep.count_sev, 0, sizeof(kh->rep.count_sev));
    memset(kh->rep.count_cls, 0, sizeof(kh->rep.count_cls));
}

void kh_report_reset(struct kh *kh) { kh_reports_clear(kh); }

void kh_report_destroy(struct kh *kh)
{
    kh_reports_clear(kh);
    free(kh->rep.log);
    kh->rep.log = NULL;
    kh->rep.log_cap = 0;
}

static char *format_text(const char *fmt, va_list ap)
{
    va_list copy;
    va_copy(copy, ap);
    int n = vsnprintf(NULL, 0, fmt, copy);
    va_end(copy);
    if (n < 0)
        n = 0;
    char *text = malloc((size_t)n + 2);
    if (!text)
        return NULL;
    vsnprintf(text, (size_t)n + 1, fmt, ap);
    if (n == 0 || text[n - 1] != '\n') {
        text[n] = '\n';
        text[n + 1] = '\0';
    }
    return text;
}

static void record(struct kh *kh, const struct kh_report *r)
{
    struct kh_report_state *rs = &kh->rep;
    if (rs->log_len == rs->log_cap) {
        unsigned cap = rs->log_cap ? rs->log_cap * 2 : 16;
        struct kh_report *log = realloc(rs->log, cap * sizeof(*log));
        if (!log)
            return;  /* host out of memory: the count is still right */
        rs->log = log;
        rs->log_cap = cap;
    }
    struct kh_report *slot = &rs->log[rs->log_len++];
    *slot = *r;
    slot->text = strdup(r->text);
}

void kh_vreport(struct kh *kh, enum kh_severity sev, enum kh_report_class cls,
                const char *subsystem, const char *reason, uintptr_t addr,
                const char *fmt, va_list ap)
{
    struct kh_report_state *rs = &kh->rep;
    rs->count_sev[sev]++;
    rs->count_cls[cls]++;
    if (rs->mode == KH_REPORT_COUNT && !rs->hook)
        return;
    /* A flood (a wild free_pages_exact reports every page) is counted but
     * not kept, as the kernel's printk ratelimit would drop it: memory stays
     * bounded and the first KH_REPORT_LOG_MAX reports tell the story. */
    if (rs->mode == KH_REPORT_RECORD && rs->log_len >= KH_REPORT_LOG_MAX && !rs->hook)
        return;

    char *text = format_text(fmt, ap);
    struct kh_report r = {
        .severity = sev, .cls = cls, .subsystem = subsystem, .reason = reason,
        .text = text ? text : reason, .addr = addr,
    };
    if (rs->mode != KH_REPORT_COUNT && !rs->quiet)
        fputs(r.text, stderr);
    if (rs->mode == KH_REPORT_RECORD)
        record(kh, &r);
    if (rs->hook)
        rs->hook(rs->hook_ctx, &r);
    free(text);
    if (rs->mode == KH_REPORT_ABORT && sev == KH_SEV_BUG) {
        fflush(stderr);
        abort();
    }
}

void kh_report(struct kh *kh, enum kh_severity sev, enum kh_report_class cls,
               const char *subsystem, const char *reason, uintptr_t addr,
               const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    kh_vreport(kh, sev, cls, subsystem, reason, addr, fmt, ap);
    va_end(ap);
}
