/* crash.c - crash inputs: settings, loading, running in a child (crash.h). */
#include "crash.h"

#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fuzz_target.h"
#include "oracle_reset.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#include <sanitizer/common_interface_defs.h>
#define HAVE_DEATH_CALLBACK 1
#endif
#endif

#define DEFAULT_TIMEOUT 10u
#define LOG_CAP (256u << 10)   /* sanitizer output kept per run */

static void errf(char *err, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void errf(char *err, size_t cap, const char *fmt, ...)
{
    if (!err || !cap)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, cap, fmt, ap);
    va_end(ap);
}

/* ---- settings ---- */

void crash_settings_init(struct crash_settings *s)
{
    memset(s, 0, sizeof(*s));
    snprintf(s->profile, sizeof(s->profile), "%s", KH_DEFAULT_PROFILE);
    s->quarantine = -1;
    s->misuse = EXEC_MISUSE_RUN;
}

int crash_settings_use_target(struct crash_settings *s, const char *target)
{
    const struct kh_fuzz_target *t = kh_fuzz_target_find(target);
    if (!t)
        return -1;
    snprintf(s->target, sizeof(s->target), "%s", t->name);
    snprintf(s->profile, sizeof(s->profile), "%s", t->profile);
    s->cpus = t->nr_cpus;
    s->quarantine = (int)t->quarantine;
    snprintf(s->slub_debug, sizeof(s->slub_debug), "%s", t->slub_debug ? t->slub_debug : "");
    s->slub_debug_set = true;
    s->merge = t->merge;
    s->misuse = t->misuse;
    return 0;
}

static int parse_uint(const char *s, unsigned long max, unsigned long *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 0);
    if (errno || end == s || *end || *s == '-' || v > max)
        return -1;
    *out = v;
    return 0;
}

int crash_settings_apply(struct crash_settings *s, const char *key, const char *val, char *err,
                         size_t errcap)
{
    unsigned long v;
    if (!strcmp(key, "target")) {
        if (crash_settings_use_target(s, val)) {
            char known[256] = "";
            size_t len = 0;
            for (size_t i = 0; kh_fuzz_target_at(i) && len + 32 < sizeof(known); i++)
                len += (size_t)snprintf(known + len, sizeof(known) - len, " %s",
                                        kh_fuzz_target_at(i)->name);
            errf(err, errcap, "unknown fuzz target '%s' (the crash tools know:%s)", val, known);
            return -1;
        }
    } else if (!strcmp(key, "profile")) {
        struct kh_config cfg;
        if (kh_profile_config(val, &cfg)) {
            errf(err, errcap, "unknown profile '%s'", val);
            return -1;
        }
        snprintf(s->profile, sizeof(s->profile), "%s", val);
    } else if (!strcmp(key, "misuse")) {
        if (exec_misuse_parse(val, &s->misuse)) {
            errf(err, errcap, "invalid misuse policy '%s' (skip, expect or run)", val);
            return -1;
        }
    } else if (!strcmp(key, "cpus")) {
        if (parse_uint(val, KH_MAX_CPUS, &v) || v == 0) {
            errf(err, errcap, "invalid cpus '%s' (1..%d)", val, KH_MAX_CPUS);
            return -1;
        }
        s->cpus = (unsigned)v;
    } else if (!strcmp(key, "quarantine")) {
        if (parse_uint(val, 1u << 20, &v)) {
            errf(err, errcap, "invalid quarantine '%s' (0..%u objects)", val, 1u << 20);
            return -1;
        }
        s->quarantine = (int)v;
    } else if (!strcmp(key, "slub_debug") || !strcmp(key, "slub-debug")) {
        if (strlen(val) >= sizeof(s->slub_debug)) {
            errf(err, errcap, "slub_debug '%s' is too long", val);
            return -1;
        }
        snprintf(s->slub_debug, sizeof(s->slub_debug), "%s", val);
        s->slub_debug_set = true;
    } else if (!strcmp(key, "merge")) {
        if (parse_uint(val, 1, &v)) {
            errf(err, errcap, "invalid merge '%s' (0 or 1)", val);
            return -1;
        }
        s->merge = v != 0;
    } else {
        errf(err, errcap, "unknown setting '%s' (target, profile, misuse, cpus, quarantine, slub_debug, merge)",
             key);
        return -1;
    }
    return 0;
}

void crash_settings_format(const struct crash_settings *s, char *buf, size_t cap)
{
    int n = snprintf(buf, cap, "#!");
    if (s->target[0])
        n += snprintf(buf + n, cap - (size_t)n, " target=%s", s->target);
    n += snprintf(buf + n, cap - (size_t)n, " profile=%s misuse=%s", s->profile,
                  exec_misuse_name(s->misuse));
    if (s->cpus)
        n += snprintf(buf + n, cap - (size_t)n, " cpus=%u", s->cpus);
    if (s->quarantine >= 0)
        n += snprintf(buf + n, cap - (size_t)n, " quarantine=%d", s->quarantine);
    if (s->slub_debug_set && s->slub_debug[0])
        n += snprintf(buf + n, cap - (size_t)n, " slub_debug=%s", s->slub_debug);
    if (s->merge)
        snprintf(buf + n, cap - (size_t)n, " merge=1");
}

int crash_settings_config(const struct crash_settings *s, struct kh_config *cfg, char *err,
                          size_t errcap)
{
    if (kh_profile_config(s->profile, cfg)) {
        errf(err, errcap, "unknown profile '%s'", s->profile);
        return -1;
    }
    if (s->cpus)
        cfg->nr_cpus = s->cpus;
    if (s->quarantine >= 0)
        cfg->quarantine_objects = (unsigned)s->quarantine;
    if (s->slub_debug_set)
        snprintf(cfg->slub_debug, sizeof(cfg->slub_debug), "%s", s->slub_debug);
    if (s->merge)
        cfg->slab_nomerge = false;
    const char *why = kh_config_check(cfg);
    if (why) {
        errf(err, errcap, "invalid configuration: %s", why);
        return -1;
    }
    return 0;
}

/* ---- loading ---- */

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap + 1);
    while (buf) {
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap)
            break;
        char *nb = realloc(buf, cap * 2 + 1);
        if (!nb) {
            free(buf);
            buf = NULL;
            errno = ENOMEM;
            break;
        }
        buf = nb;
        cap *= 2;
    }
    if (buf && ferror(f)) {
        free(buf);
        buf = NULL;
        errno = EIO;
    }
    fclose(f);
    if (buf) {
        buf[n] = '\0';
        *len = n;
    }
    return buf;
}

const char *crash_target_from_path(const char *path)
{
    const char *found = NULL;
    for (const char *c = path; *c;) {
        const char *end = strchr(c, '/');
        size_t n = end ? (size_t)(end - c) : strlen(c);
        /* a directory component, not the file name itself */
        if (end) {
            for (size_t i = 0; kh_fuzz_target_at(i); i++) {
                const char *name = kh_fuzz_target_at(i)->name;
                if (strlen(name) == n && !strncmp(name, c, n))
                    found = name;
            }
        }
        c += n + (end ? 1 : 0);
    }
    return found;
}

/* Calls fn for each "key=value" word of the "#!" lines of text. */
static int for_each_directive(const char *text, size_t len, const char *path,
                              int (*fn)(void *ctx, const char *key, const char *val, const char *where),
                              void *ctx)
{
    int line = 1;
    for (size_t i = 0; i < len; line++) {
        size_t end = i;
        while (end < len && text[end] != '\n')
            end++;
        if (end - i >= 2 && text[i] == '#' && text[i + 1] == '!') {
            size_t j = i + 2;
            while (j < end) {
                while (j < end && (text[j] == ' ' || text[j] == '\t' || text[j] == '\r'))
                    j++;
                size_t w = j;
                while (j < end && text[j] != ' ' && text[j] != '\t' && text[j] != '\r')
                    j++;
                if (j == w)
                    break;
                char word[160], where[600];
                snprintf(where, sizeof(where), "%s:%d:%zu", path, line, w - i + 1);
                snprintf(word, sizeof(word), "%.*s", (int)(j - w), text + w);
                char *eq = strchr(word, '=');
                if (!eq || eq == word) {
                    fprintf(stderr, "%s: error: expected key=value in '#!' line, got '%s'\n", where, word);
                    return -1;
                }
                *eq = '\0';
                if (fn(ctx, word, eq + 1, where))
                    return -1;
            }
        }
        i = end + 1;
    }
    return 0;
}

struct directive_ctx {
    struct crash_settings *s;
    const char *target;      /* first target= seen */
    char target_buf[64];
    char *err;
    size_t errcap;
};

static int find_target(void *ctx, const char *key, const char *val, const char *where)
{
    struct directive_ctx *d = ctx;
    (void)where;
    if (!strcmp(key, "target") && !d->target) {
        snprintf(d->target_buf, sizeof(d->target_buf), "%s", val);
        d->target = d->target_buf;
    }
    return 0;
}

static int apply_directive(void *ctx, const char *key, const char *val, const char *where)
{
    struct directive_ctx *d = ctx;
    if (!strcmp(key, "target"))
        return 0;  /* applied first, as the base */
    char msg[400];
    if (crash_settings_apply(d->s, key, val, msg, sizeof(msg))) {
        errf(d->err, d->errcap, "%s: error: %s", where, msg);
        return -1;
    }
    return 0;
}

int crash_load(const char *path, const struct crash_load_options *o, struct crash_input *in,
               char *err, size_t errcap)
{
    static const struct crash_load_options none;
    if (!o)
        o = &none;
    memset(in, 0, sizeof(*in));
    kh_trace_init(&in->trace);
    crash_settings_init(&in->settings);
    size_t len = 0;
    char *data = read_file(path, &len);
    if (!data) {
        errf(err, errcap, "%s: error: cannot read: %s", path, strerror(errno));
        return -1;
    }
    const uint8_t *bytes = (const uint8_t *)data;
    if (len >= 4 && !memcmp(bytes, KH_TRACE_MAGIC, 3) && bytes[3] == KH_TRACE_VERSION)
        in->form = CRASH_BINARY;
    else if (o->force_raw || kh_trace_is_binary(bytes, len))
        in->form = CRASH_RAW;
    else
        in->form = CRASH_TEXT;

    struct directive_ctx d = { .s = &in->settings, .err = err, .errcap = errcap };
    if (in->form == CRASH_TEXT)
        for_each_directive(data, len, path, find_target, &d);
    const char *target = o->target ? o->target : d.target;
    if (!target && (target = crash_target_from_path(path)) != NULL)
        in->target_from_path = true;
    char msg[600];
    if (target && crash_settings_apply(&in->settings, "target", target, msg, sizeof(msg))) {
        errf(err, errcap, "%s: error: %s", path, msg);
        goto fail;
    }

    int rc = 0;
    struct kh_trace_error perr;
    switch (in->form) {
    case CRASH_TEXT:
        if (for_each_directive(data, len, path, apply_directive, &d))
            goto fail;
        rc = kh_trace_parse(data, len, path, &in->trace, &perr);
        if (rc) {
            errf(err, errcap, "%s%s", perr.text,
                 d.target ? "" : "\n(a raw fuzzer input that happens to be printable needs --binary)");
            goto fail;
        }
        break;
    case CRASH_BINARY:
        rc = kh_trace_decode(bytes, len, &in->trace);
        break;
    case CRASH_RAW:
        if (!in->settings.target[0]) {
            errf(err, errcap,
                 "%s: error: a raw fuzzer input decodes only as its target does: give --target NAME "
                 "(or keep it under a directory named after the target)", path);
            goto fail;
        }
        kh_trace_free(&in->trace);
        rc = kh_fuzz_decode(kh_fuzz_target_find(in->settings.target), bytes, len, &in->trace);
        break;
    }
    if (rc) {
        errf(err, errcap, "%s: error: out of memory decoding", path);
        goto fail;
    }
    for (const char *const *kv = o->overrides; kv && kv[0]; kv += 2) {
        if (!strcmp(kv[0], "target"))
            continue;  /* already the base */
        if (crash_settings_apply(&in->settings, kv[0], kv[1], msg, sizeof(msg))) {
            errf(err, errcap, "command line: error: %s", msg);
            goto fail;
        }
    }
    free(data);
    return 0;
fail:
    free(data);
    kh_trace_free(&in->trace);
    return -1;
}

void crash_input_free(struct crash_input *in)
{
    kh_trace_free(&in->trace);
}

/* ---- running ---- */

struct shared {
    int found;               /* harness finding */
    int clean;               /* the child reset the instance before exiting */
    int timed_out;
    long op_index;
    char kind[64];
    char title[256];
    char detail[4096];
    size_t nout;
    struct exec_outcome out[KH_TRACE_MAX_OPS];
};

/* The runner keeps one pristine instance; each child runs on its (copy on
 * write) copy of it. The arena itself is a shared memfd, so a child resets
 * the instance before it exits, which returns the arena pages it touched
 * to zero; after a child that could not (a crash, a hang) the runner makes
 * a new instance. Creating one costs ~0.1 s under ASan (the whole arena's
 * shadow is poisoned); a reset costs what the run touched. */
struct crash_runner {
    struct crash_settings s;
    struct kh_config cfg;
    struct kh *kh;
    unsigned timeout;
    struct shared *sh;
    unsigned long runs;
    struct exec_outcome out[KH_TRACE_MAX_OPS];
    char *log;
};

struct crash_runner *crash_runner_new(const struct crash_settings *s, unsigned timeout_s, char *err,
                                      size_t errcap)
{
    struct crash_runner *r = calloc(1, sizeof(*r));
    if (!r) {
        errf(err, errcap, "out of memory");
        return NULL;
    }
    r->s = *s;
    r->timeout = timeout_s ? timeout_s : DEFAULT_TIMEOUT;
    if (crash_settings_config(s, &r->cfg, err, errcap))
        goto fail;
    const char *why = NULL;
    r->kh = kh_create(&r->cfg, &why);
    if (!r->kh) {
        errf(err, errcap, "cannot create the allocator: %s", why ? why : "unknown reason");
        goto fail;
    }
    r->sh = mmap(NULL, sizeof(*r->sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    r->log = malloc(LOG_CAP + 1);
    if (r->sh == MAP_FAILED || !r->log) {
        r->sh = r->sh == MAP_FAILED ? NULL : r->sh;
        errf(err, errcap, "out of memory");
        goto fail;
    }
    return r;
fail:
    crash_runner_free(r);
    return NULL;
}

void crash_runner_free(struct crash_runner *r)
{
    if (!r)
        return;
    if (r->sh)
        munmap(r->sh, sizeof(*r->sh));
    if (r->kh)
        kh_destroy(r->kh);
    free(r->log);
    free(r);
}

unsigned long crash_runner_runs(const struct crash_runner *r) { return r->runs; }

/* The child's view, for the death callback and the alarm handler. */
static struct exec *child_exec;
static struct shared *child_sh;

static void child_save_outcomes(void)
{
    size_t n = 0;
    const struct exec_outcome *o = child_exec ? exec_outcomes(child_exec, &n) : NULL;
    if (n > KH_TRACE_MAX_OPS)
        n = KH_TRACE_MAX_OPS;
    if (o && n)
        memcpy(child_sh->out, o, n * sizeof(*o));
    child_sh->nout = n;
    child_sh->op_index = n ? (long)n - 1 : -1;
}

static void child_on_alarm(int sig)
{
    (void)sig;
    child_sh->timed_out = 1;
    child_save_outcomes();
    _exit(4);
}

static void child_main(struct crash_runner *r, const struct kh_trace *t, int log_fd)
{
    dup2(log_fd, STDERR_FILENO);
    close(log_fd);
    child_sh = r->sh;
    signal(SIGALRM, child_on_alarm);
    alarm(r->timeout);
    struct kh *kh = r->kh;
    struct exec_options opt = { .misuse = r->s.misuse, .checks = true, .full_every = 1,
                                 .thorough = true };
    child_exec = exec_new(kh, &opt);
    if (!child_exec)
        _exit(3);
#ifdef HAVE_DEATH_CALLBACK
    __sanitizer_set_death_callback(child_save_outcomes);
#endif
    struct exec_finding f;
    /* the instance is as created: what the reset after the run must restore */
    struct oracle_reset fresh;
    bool have_fresh = oracle_reset_init(&fresh, kh);
    bool found = exec_run(child_exec, t, &f);
    child_save_outcomes();
    if (found) {
        struct shared *sh = r->sh;
        snprintf(sh->kind, sizeof(sh->kind), "%s", f.kind);
        snprintf(sh->title, sizeof(sh->title), "%s", f.title);
        snprintf(sh->detail, sizeof(sh->detail), "%s", f.detail);
        sh->op_index = (long)f.op_index;
        sh->found = 1;
    }
    if (have_fresh && !found)
        oracle_reset_before(&fresh, kh);
    kh_reset(kh);
    char why[512];
    if (have_fresh && !found && !oracle_reset_check(&fresh, kh, why, sizeof(why))) {
        struct shared *sh = r->sh;
        snprintf(sh->kind, sizeof(sh->kind), "reset");
        snprintf(sh->title, sizeof(sh->title), "%s", ORACLE_RESET_TITLE);
        snprintf(sh->detail, sizeof(sh->detail), "%s", why);
        sh->op_index = t->n ? (long)t->n - 1 : -1;
        sh->found = found = 1;
    }
    r->sh->clean = 1;
    fflush(stderr);
    _exit(found ? 1 : 0);
}

static bool path_in(const char *file, const char *dir)
{
    size_t n = strlen(dir);
    if (!strncmp(file, dir, n))
        return true;
    for (const char *p = strstr(file, dir); p; p = strstr(p + 1, dir))
        if (p > file && p[-1] == '/')
            return true;
    return false;
}

/* "#3 0x55d0 in kh_kfree /proc/self/cwd/allocator/kmalloc.c:12:3": the
 * first frame in allocator/ code names where the error happened. */
static void first_allocator_frame(const char *log, char *fn, size_t cap)
{
    fn[0] = '\0';
    for (const char *l = log; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        const char *p = l;
        while (*p == ' ')
            p++;
        if (*p != '#' || !isdigit((unsigned char)p[1]))
            continue;
        const char *in = strstr(p, " in ");
        const char *eol = strchr(p, '\n');
        if (!in || (eol && in > eol))
            continue;
        char name[128], file[512];
        if (sscanf(in, " in %127s %511s", name, file) != 2)
            continue;
        if (path_in(file, "allocator/")) {
            snprintf(fn, cap, "%s", name);
            return;
        }
    }
}

static void sanitizer_title(struct crash_runner *r, const struct kh_trace *t, struct crash_result *res)
{
    const char *log = r->log;
    const char *tool = NULL, *kind_at = NULL;
    char kind[64] = "";
    const char *e = strstr(log, "ERROR: AddressSanitizer: ");
    if (e) {
        tool = "AddressSanitizer";
        kind_at = e + strlen("ERROR: AddressSanitizer: ");
        size_t n = strcspn(kind_at, " \n");
        snprintf(kind, sizeof(kind), "%.*s", (int)n, kind_at);
    } else if ((e = strstr(log, "runtime error: ")) != NULL) {
        tool = "UndefinedBehaviorSanitizer";
        kind_at = e + strlen("runtime error: ");
        /* the message up to its first ':' or address: stable across runs */
        size_t n = strcspn(kind_at, ":\n");
        const char *addr = strstr(kind_at, " 0x");
        if (addr && (size_t)(addr - kind_at) < n)
            n = (size_t)(addr - kind_at);
        if (n > 60)
            n = 60;
        snprintf(kind, sizeof(kind), "%.*s", (int)n, kind_at);
        while (e > log && e[-1] != '\n')
            e--;
    }
    if (!tool)
        return;
    res->found = true;
    res->sanitizer = true;
    snprintf(res->kind, sizeof(res->kind), "%s", kind);
    char where[128];
    first_allocator_frame(e, where, sizeof(where));
    if (!where[0])
        snprintf(where, sizeof(where), "%s", tool);
    if (res->op_index >= 0 && (size_t)res->op_index < t->n)
        snprintf(res->title, sizeof(res->title), "%s in %s (%s)", kind,
                 kh_op_desc((enum kh_opcode)t->ops[res->op_index].code)->name, where);
    else
        snprintf(res->title, sizeof(res->title), "%s (%s)", kind, where);
    /* the report's head: the error line and the stack */
    size_t n = strlen(e);
    int lines = 0;
    for (size_t i = 0; i < n; i++)
        if (e[i] == '\n' && ++lines == 24) {
            n = i + 1;
            break;
        }
    snprintf(res->detail, sizeof(res->detail), "%.*s", (int)n, e);
}

int crash_run(struct crash_runner *r, const struct kh_trace *t, struct crash_result *res)
{
    memset(res, 0, sizeof(*res));
    res->op_index = -1;
    memset(r->sh, 0, offsetof(struct shared, out));
    r->sh->op_index = -1;
    int fds[2];
    if (pipe(fds))
        return -1;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (pid == 0) {
        close(fds[0]);
        child_main(r, t, fds[1]);
    }
    close(fds[1]);
    r->runs++;
    size_t n = 0;
    for (;;) {
        char buf[4096];
        ssize_t got = read(fds[0], buf, sizeof(buf));
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break;
        size_t take = (size_t)got < LOG_CAP - n ? (size_t)got : LOG_CAP - n;
        memcpy(r->log + n, buf, take);
        n += take;
    }
    r->log[n] = '\0';
    close(fds[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    struct shared *sh = r->sh;
    if (!sh->clean) {
        /* the shared arena may hold what the child wrote: start afresh */
        kh_destroy(r->kh);
        r->kh = kh_create(&r->cfg, NULL);
        if (!r->kh)
            return -1;
    }
    res->nout = sh->nout;
    memcpy(r->out, sh->out, sh->nout * sizeof(*r->out));
    res->outcomes = r->out;
    res->op_index = sh->op_index;
    if (sh->found) {
        res->found = true;
        snprintf(res->title, sizeof(res->title), "%s", sh->title);
        snprintf(res->kind, sizeof(res->kind), "%s", sh->kind);
        snprintf(res->detail, sizeof(res->detail), "%s", sh->detail);
        return 0;
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    if (sh->timed_out) {
        res->found = res->timeout = true;
        snprintf(res->kind, sizeof(res->kind), "timeout");
        const char *op = res->op_index >= 0 && (size_t)res->op_index < t->n
                             ? kh_op_desc((enum kh_opcode)t->ops[res->op_index].code)->name
                             : "?";
        snprintf(res->title, sizeof(res->title), "timeout in %s (harness)", op);
        snprintf(res->detail, sizeof(res->detail), "the run took longer than %u s", r->timeout);
        return 0;
    }
    sanitizer_title(r, t, res);
    if (res->found)
        return 0;
    /* Died some other way: an abort(), a signal without a report. */
    res->found = true;
    if (WIFSIGNALED(status)) {
        snprintf(res->kind, sizeof(res->kind), "signal %d", WTERMSIG(status));
        snprintf(res->title, sizeof(res->title), "crash (%s)", strsignal(WTERMSIG(status)));
    } else {
        snprintf(res->kind, sizeof(res->kind), "exit %d", WEXITSTATUS(status));
        snprintf(res->title, sizeof(res->title), "crash (exit status %d)", WEXITSTATUS(status));
    }
    snprintf(res->detail, sizeof(res->detail), "%.4000s", r->log);
    return 0;
}

/* ---- text output ---- */

void crash_slug(const char *title, char *buf, size_t cap)
{
    size_t n = 0;
    bool dash = false;
    for (const char *p = title; *p && n + 2 < cap && n < 80; p++) {
        if (isalnum((unsigned char)*p)) {
            if (dash && n)
                buf[n++] = '-';
            buf[n++] = (char)tolower((unsigned char)*p);
            dash = false;
        } else {
            dash = true;
        }
    }
    if (n == 0 && cap > 8)
        n = (size_t)snprintf(buf, cap, "finding");
    buf[n < cap ? n : cap - 1] = '\0';
}

char *crash_format_text(const struct crash_settings *s, const struct kh_trace *t, const char *comment)
{
    size_t tlen = 0;
    char *ops = kh_trace_to_text(t, &tlen);
    if (!ops)
        return NULL;
    char line[512];
    crash_settings_format(s, line, sizeof(line));
    size_t clen = comment ? strlen(comment) : 0;
    char *out = malloc(clen * 2 + strlen(line) + tlen + 64);
    if (!out) {
        free(ops);
        return NULL;
    }
    size_t n = 0;
    /* each comment line gets "# " */
    for (const char *c = comment; c && *c;) {
        const char *eol = strchr(c, '\n');
        size_t len = eol ? (size_t)(eol - c) : strlen(c);
        n += (size_t)sprintf(out + n, "# %.*s\n", (int)len, c);
        c += len + (eol ? 1 : 0);
    }
    n += (size_t)sprintf(out + n, "%s\n", line);
    memcpy(out + n, ops, tlen + 1);
    free(ops);
    return out;
}
