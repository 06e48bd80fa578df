/* gfp.c - printing and parsing GFP masks.
 *
 * The name table follows the kernel's %pGg order: composite masks first, so
 * 0xcc0 prints as "GFP_KERNEL" rather than as its four bits. Parsing accepts
 * the same names (plus numbers), which makes text traces and failure
 * reports use one vocabulary.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gfp.h"

struct gfp_name { gfp_t mask; const char *name; };

static const struct gfp_name gfp_names[] = {
    { GFP_HIGHUSER_MOVABLE, "GFP_HIGHUSER_MOVABLE" },
    { GFP_HIGHUSER, "GFP_HIGHUSER" },
    { GFP_USER, "GFP_USER" },
    { GFP_KERNEL_ACCOUNT, "GFP_KERNEL_ACCOUNT" },
    { GFP_KERNEL, "GFP_KERNEL" },
    { GFP_NOFS, "GFP_NOFS" },
    { GFP_ATOMIC, "GFP_ATOMIC" },
    { GFP_NOIO, "GFP_NOIO" },
    { GFP_NOWAIT, "GFP_NOWAIT" },
    { GFP_DMA, "GFP_DMA" },
    { __GFP_HIGHMEM, "__GFP_HIGHMEM" },
    { GFP_DMA32, "GFP_DMA32" },
    { __GFP_HIGH, "__GFP_HIGH" },
    { __GFP_ATOMIC, "__GFP_ATOMIC" },
    { __GFP_IO, "__GFP_IO" },
    { __GFP_FS, "__GFP_FS" },
    { __GFP_NOWARN, "__GFP_NOWARN" },
    { __GFP_RETRY_MAYFAIL, "__GFP_RETRY_MAYFAIL" },
    { __GFP_NOFAIL, "__GFP_NOFAIL" },
    { __GFP_NORETRY, "__GFP_NORETRY" },
    { __GFP_COMP, "__GFP_COMP" },
    { __GFP_ZERO, "__GFP_ZERO" },
    { __GFP_NOMEMALLOC, "__GFP_NOMEMALLOC" },
    { __GFP_MEMALLOC, "__GFP_MEMALLOC" },
    { __GFP_HARDWALL, "__GFP_HARDWALL" },
    { __GFP_THISNODE, "__GFP_THISNODE" },
    { __GFP_RECLAIMABLE, "__GFP_RECLAIMABLE" },
    { __GFP_MOVABLE, "__GFP_MOVABLE" },
    { __GFP_ACCOUNT, "__GFP_ACCOUNT" },
    { __GFP_WRITE, "__GFP_WRITE" },
    { __GFP_RECLAIM, "__GFP_RECLAIM" },
    { __GFP_DIRECT_RECLAIM, "__GFP_DIRECT_RECLAIM" },
    { __GFP_KSWAPD_RECLAIM, "__GFP_KSWAPD_RECLAIM" },
};

#define NR_GFP_NAMES (sizeof(gfp_names) / sizeof(gfp_names[0]))

/* Appends s to buf (bounded), returning the length the full text needs. */
static int append(char *buf, unsigned long cap, int len, const char *s)
{
    int n = (int)strlen(s);
    if (cap > 0 && (unsigned long)len < cap) {
        unsigned long room = cap - (unsigned long)len - 1;
        unsigned long copy = (unsigned long)n < room ? (unsigned long)n : room;
        memcpy(buf + len, s, copy);
        buf[len + (int)copy] = '\0';
    }
    return len + n;
}

int gfp_format(gfp_t gfp, char *buf, unsigned long cap)
{
    int len = 0;
    if (cap > 0)
        buf[0] = '\0';
    if (gfp == 0)
        return append(buf, cap, 0, "none");
    for (size_t i = 0; i < NR_GFP_NAMES; i++) {
        gfp_t m = gfp_names[i].mask;
        if ((gfp & m) != m)
            continue;
        if (len > 0)
            len = append(buf, cap, len, "|");
        len = append(buf, cap, len, gfp_names[i].name);
        gfp &= ~m;
        if (gfp == 0)
            break;
    }
    if (gfp != 0) {
        char hex[24];
        snprintf(hex, sizeof(hex), "%#x", gfp);
        if (len > 0)
            len = append(buf, cap, len, "|");
        len = append(buf, cap, len, hex);
    }
    return len;
}

static int lookup(const char *s, size_t n, gfp_t *out)
{
    for (size_t i = 0; i < NR_GFP_NAMES; i++) {
        if (strlen(gfp_names[i].name) == n && memcmp(gfp_names[i].name, s, n) == 0) {
            *out = gfp_names[i].mask;
            return 0;
        }
    }
    if (n == 4 && memcmp(s, "none", 4) == 0) {
        *out = 0;
        return 0;
    }
    if (n > 0 && isdigit((unsigned char)s[0])) {
        char tmp[32];
        if (n >= sizeof(tmp))
            return -1;
        memcpy(tmp, s, n);
        tmp[n] = '\0';
        char *end;
        unsigned long v = strtoul(tmp, &end, 0);
        if (*end != '\0' || v > 0xffffffffUL)
            return -1;
        *out = (gfp_t)v;
        return 0;
    }
    return -1;
}

int gfp_parse(const char *text, gfp_t *out, const char **bad)
{
    gfp_t acc = 0;
    const char *p = text;
    for (;;) {
        while (*p == ' ' || *p == '\t')
            p++;
        const char *start = p;
        while (*p && *p != '|' && *p != ' ' && *p != '\t')
            p++;
        const char *end = p;
        while (*p == ' ' || *p == '\t')
            p++;
        gfp_t v;
        if (end == start || lookup(start, (size_t)(end - start), &v) != 0) {
            if (bad)
                *bad = start;
            return -1;
        }
        acc |= v;
        if (*p == '\0')
            break;
        if (*p != '|') {
            if (bad)
                *bad = p;
            return -1;
        }
        p++;
    }
    *out = acc;
    return 0;
}
