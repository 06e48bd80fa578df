// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * kmem_oracle.c - runs allocator traces in a real kernel and records every
 * deterministic observable, for the kernel oracle (docs/KERNEL_ORACLE.md).
 *
 * The operations come from ko_ops.h, which tools/kernel_oracle generates
 * from trace files in the fuzz trace language: one table row per trace
 * operation, variables turned into slot numbers. This file is a small
 * interpreter over that table. It prints one JSON object per operation with
 * the keys `replay --json` uses (ok, ptr, ksize, size, index, order,
 * object_size, align, objects, same, preserved), into a buffer that
 * /proc/kmem_oracle serves once the module is loaded. Cache geometry is read
 * back from /sys/kernel/slab/<name>/ right after kmem_cache_create.
 *
 * The kernel must never see a caller's mistake: an operation on a slot that
 * is not live (or of the wrong kind) is not run and its record says
 * "skipped" with the reason, which the runner treats as a broken probe.
 * Sizes and orders are passed at run time, never as constants, so every
 * call takes the same path a fuzzed size would.
 */
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/overflow.h>
#include <linux/percpu.h>
#include <linux/proc_fs.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/utsname.h>
#include <linux/version.h>
#include <linux/vmalloc.h>

/* kvrealloc lost its old-size argument in 6.12 (6.11 upstream); the probes
 * say which form they use and the runner gives each kernel only its own.
 * vrealloc, new too, is not exported to modules: kvrealloc of vmalloc
 * memory is what reaches it. */
#define KO_612 (LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0))

enum ko_code {
	KO_KMALLOC, KO_KZALLOC, KO_KCALLOC, KO_KMALLOC_ARRAY, KO_KREALLOC, KO_KREALLOC_ARRAY,
	KO_KSIZE, KO_KFREE, KO_KFREE_SENSITIVE, KO_KMALLOC_SIZE_ROUNDUP, KO_KMALLOC_INDEX,
	KO_GET_ORDER, KO_KMEM_CACHE_CREATE, KO_KMEM_CACHE_ALLOC, KO_KMEM_CACHE_ZALLOC,
	KO_KMEM_CACHE_FREE, KO_KMEM_CACHE_SHRINK, KO_KMEM_CACHE_DESTROY, KO_KMEM_CACHE_SIZE,
	KO_ALLOC_PAGES, KO_FREE_PAGES, KO_GET_FREE_PAGES, KO_GET_ZEROED_PAGE,
	KO_ALLOC_PAGES_EXACT, KO_FREE_PAGES_EXACT, KO_VMALLOC, KO_VZALLOC, KO_VFREE,
	KO_KVMALLOC, KO_KVZALLOC, KO_KVMALLOC_ARRAY, KO_KVFREE, KO_KVFREE_SENSITIVE,
	KO_ALLOC_PERCPU, KO_FREE_PERCPU, KO_WRITE, KO_READ,
	KO_KVREALLOC, KO_KVREALLOC_NEW, KO_KMEM_CACHE_CREATE_ARGS,
	/* the API's variants (the trace language's version 4) */
	KO_KMALLOC_NODE, KO_KZALLOC_NODE, KO_KMEM_CACHE_ALLOC_NODE, KO_KMEMDUP, KO_KVCALLOC,
	KO_VMALLOC_GFP, KO_ALLOC_PERCPU_GFP,
	KO_NR_CODES
};

/* Pointer operands: a slot number, or one of these. */
#define KO_NULL (-1)
#define KO_ZSP (-2)

struct ko_op {
	u16 file;		/* index in ko_files */
	u16 code;		/* enum ko_code */
	u32 line;		/* line in the trace file */
	s32 dst;		/* result slot, -1 when unbound */
	s32 ptr[2];		/* pointer / cache operands */
	u64 num[3];		/* integer operands, in trace order */
	gfp_t gfp;
	slab_flags_t sflags;
	const char *name;	/* kmem_cache_create's cache name */
};

#include "ko_ops.h"

/* Must match ko_code (the JSON "op" names are the trace's). */
static const char *const ko_names[] = {
	"kmalloc", "kzalloc", "kcalloc", "kmalloc_array", "krealloc", "krealloc_array",
	"ksize", "kfree", "kfree_sensitive", "kmalloc_size_roundup", "kmalloc_index",
	"get_order", "kmem_cache_create", "kmem_cache_alloc", "kmem_cache_zalloc",
	"kmem_cache_free", "kmem_cache_shrink", "kmem_cache_destroy", "kmem_cache_size",
	"alloc_pages", "free_pages", "__get_free_pages", "get_zeroed_page",
	"alloc_pages_exact", "free_pages_exact", "vmalloc", "vzalloc", "vfree",
	"kvmalloc", "kvzalloc", "kvmalloc_array", "kvfree", "kvfree_sensitive",
	"alloc_percpu", "free_percpu", "write", "read",
	"kvrealloc", "kvrealloc", "kmem_cache_create_args",
	"kmalloc_node", "kzalloc_node", "kmem_cache_alloc_node", "kmemdup", "kvcalloc",
	"__vmalloc", "__alloc_percpu_gfp",
};

enum ko_kind { K_NONE, K_KMALLOC, K_CACHE, K_OBJ, K_PAGES, K_EXACT, K_VMALLOC, K_KVMALLOC, K_PERCPU };

struct ko_slot {
	void *p;
	u8 kind;		/* enum ko_kind, K_NONE when not live */
	s32 owner;		/* K_OBJ: the cache's slot */
	u32 objects;		/* K_CACHE: live objects */
	u32 seed;		/* content pattern of a kmalloc block */
	bool patterned;		/* still carries it (no write since) */
	u32 order;		/* K_PAGES */
	size_t req;		/* requested bytes */
};

/* The last row of 6.1's __kmalloc_index() table: above it, BUG(). */
#define KO_KMALLOC_INDEX_MAX (2UL << 20)
/* Room kept for the closing record, so a full buffer still says so. */
#define KO_OUT_TAIL 256

static struct ko_slot *slots;
static char *out;
static size_t out_len;
static bool out_full;

static __printf(1, 2) void emit(const char *fmt, ...)
{
	size_t room = KO_OUT_CAP - KO_OUT_TAIL - out_len;
	va_list ap;
	int n;

	if (out_full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(out + out_len, room, fmt, ap);
	va_end(ap);
	if (n >= room) {
		out[out_len] = '\0';
		out_full = true;
	} else {
		out_len += n;
	}
}

/* The content a kmalloc block carries while live: a krealloc must move it. */
static u8 pattern(u32 seed, size_t i)
{
	return (u8)(seed * 29 + i * 131 + (i >> 8) * 7);
}

static void fill(struct ko_slot *s, u32 seed)
{
	u8 *b = s->p;
	size_t i;

	s->seed = seed;
	s->patterned = true;
	for (i = 0; i < s->req; i++)
		b[i] = pattern(seed, i);
}

static bool intact(const void *p, size_t n, u32 seed)
{
	const u8 *b = p;
	size_t i;

	for (i = 0; i < n; i++)
		if (b[i] != pattern(seed, i))
			return false;
	return true;
}

static void emit_ptr(const struct ko_op *op, const void *p)
{
	emit(", \"ok\": %s", p ? "true" : "false");
	if (!p)
		emit(", \"ptr\": \"NULL\"");
	else if (p == ZERO_SIZE_PTR)
		emit(", \"ptr\": \"ZERO_SIZE_PTR\"");
	else if (op->dst >= 0)
		emit(", \"ptr\": \"%s\"", ko_slot_names[op->dst]);
	else
		emit(", \"ptr\": \"(unbound)\"");
}

/* Binds the result slot. An unbound live result stays allocated (a leak
 * the trace asked for). */
static struct ko_slot *bind(const struct ko_op *op, void *p, enum ko_kind kind, size_t req)
{
	static struct ko_slot scratch;
	struct ko_slot *s = op->dst >= 0 ? &slots[op->dst] : &scratch;

	memset(s, 0, sizeof(*s));
	s->p = p;
	s->kind = (p && p != ZERO_SIZE_PTR) ? kind : K_NONE;
	s->req = req;
	s->owner = -1;
	return s;
}

static const char *skip_reason;

/* Resolves a pointer operand that must be NULL, ZERO_SIZE_PTR or a live
 * slot of one of the kinds in `kinds` (a bit mask of 1 << kind). A slot
 * holding NULL or ZERO_SIZE_PTR (a failed or zero-sized allocation) counts
 * as that value. */
static bool operand(s32 ref, unsigned int kinds, bool null_ok, void **p, struct ko_slot **slot)
{
	struct ko_slot *s = ref >= 0 ? &slots[ref] : NULL;

	*slot = NULL;
	*p = ref == KO_ZSP ? ZERO_SIZE_PTR : s ? s->p : NULL;
	if (!s || (s->kind == K_NONE && ZERO_OR_NULL_PTR(s->p))) {
		if (!null_ok)
			skip_reason = *p ? "ZERO_SIZE_PTR operand" : "NULL operand";
		return null_ok;
	}
	if (!(kinds & (1u << s->kind))) {
		skip_reason = s->kind == K_NONE ? "operand is not live" : "operand of the wrong kind";
		return false;
	}
	*slot = s;
	return true;
}

static void after_kmalloc(const struct ko_op *op, void *p, size_t req)
{
	struct ko_slot *s;

	emit_ptr(op, p);
	s = bind(op, p, K_KMALLOC, req);
	if (ZERO_OR_NULL_PTR(p))
		return;
	emit(", \"ksize\": %zu", ksize(p));
	fill(s, op->line);
}

/* krealloc's spare bytes, past the new size within ksize: 6.12 zeroes
 * them for __GFP_ZERO (no KASAN in these kernels, so reading them is fine). */
static bool spare_zero(const u8 *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/* kvrealloc (either form). The old block must be live (or
 * NULL); the result is bound afresh, the old slot dropped when it moved,
 * was freed (size 0) or is now known under the new name. */
static void do_realloc(const struct ko_op *op)
{
	unsigned int kinds = 1u << K_KVMALLOC | 1u << K_KMALLOC | 1u << K_VMALLOC;
	size_t size = op->code == KO_KVREALLOC ? op->num[1] : op->num[0];
	struct ko_slot *os;
	void *old, *p = NULL;

	if (!operand(op->ptr[0], kinds, true, &old, &os))
		return;
#if KO_612
	if (op->code == KO_KVREALLOC_NEW)
		p = kvrealloc(old, size, op->gfp);
	else
		skip_reason = "not in this kernel (vrealloc is not exported to modules)";
#else
	if (op->code == KO_KVREALLOC)
		p = kvrealloc(old, op->num[0], size, op->gfp);
	else
		skip_reason = "kvrealloc(p, size, gfp) and vrealloc are not in this kernel";
#endif
	if (skip_reason)
		return;
	emit_ptr(op, p);
	if (os && p && p != ZERO_SIZE_PTR && size && op->code != KO_KVREALLOC)
		emit(", \"same\": %s", p == old ? "true" : "false");
	if (os && (p || size == 0))
		os->kind = K_NONE;
	bind(op, p, K_KVMALLOC, size);
}

static void do_krealloc(const struct ko_op *op, size_t n, size_t size, bool array)
{
	struct ko_slot *os, *s;
	void *old, *p;
	size_t total = 0, keep;
	bool ovf = check_mul_overflow(n, size, &total);

	if (!operand(op->ptr[0], 1u << K_KMALLOC, true, &old, &os))
		return;
	p = array ? krealloc_array(old, n, size, op->gfp) : krealloc(old, size, op->gfp);
	emit_ptr(op, p);
	if (!os) {		/* krealloc(NULL or ZERO_SIZE_PTR, n) allocates */
		s = bind(op, p, K_KMALLOC, total);
		if (!ZERO_OR_NULL_PTR(p)) {
			emit(", \"ksize\": %zu", ksize(p));
			fill(s, op->line);
		}
		return;
	}
	keep = min(os->req, total);
	if (total == 0 && !ovf) {	/* freed, ZERO_SIZE_PTR returned */
		os->kind = K_NONE;
		bind(op, p, K_KMALLOC, 0);
		return;
	}
	if (!p) {			/* failed: the old block must be untouched */
		if (os->patterned)
			emit(", \"preserved\": %s", intact(old, os->req, os->seed) ? "true" : "false");
		bind(op, p, K_KMALLOC, 0);
		return;
	}
	emit(", \"ksize\": %zu", ksize(p));
	emit(", \"same\": %s", p == old ? "true" : "false");
	if (os->patterned)
		emit(", \"preserved\": %s", intact(p, keep, os->seed) ? "true" : "false");
	if (p == old && (op->gfp & __GFP_ZERO))
		emit(", \"spare_zero\": %s", spare_zero((u8 *)p + total, ksize(p) - total) ? "true" : "false");
	os->kind = K_NONE;		/* moved, or now known under the new name */
	s = bind(op, p, K_KMALLOC, total);
	fill(s, op->line);
}

static void ko_ctor(void *obj)
{
	/* A constructor only has to exist: it moves SLUB's free pointer out
	 * of the object, which is the geometry the probe looks at. */
}

/* One number from the cache's /sys/kernel/slab directory: the kernel's
 * public view of its geometry (struct kmem_cache is private to mm/). */
static int slab_attr(const char *cache, const char *attr, unsigned int *v)
{
	char path[128], buf[32];
	struct file *f;
	loff_t pos = 0;
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/kernel/slab/%s/%s", cache, attr);
	f = filp_open(path, O_RDONLY, 0);
	if (IS_ERR(f))
		return PTR_ERR(f);
	n = kernel_read(f, buf, sizeof(buf) - 1, &pos);
	filp_close(f, NULL);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	return kstrtouint(strim(buf), 10, v);
}

static void do_cache_create(const struct ko_op *op)
{
	static const char *const attrs[][2] = {
		{ "object_size", "object_size" }, { "slab_size", "size" }, { "align", "align" },
		{ "order", "order" }, { "objs_per_slab", "objects" },
	};
	struct kmem_cache *c = NULL;
	unsigned int v, i;

	/* The trace's operands are 64-bit; the API takes unsigned int. */
	if (op->num[0] > UINT_MAX || op->num[1] > UINT_MAX || op->num[2] > UINT_MAX)
		;
	else if (op->code == KO_KMEM_CACHE_CREATE)
		c = kmem_cache_create(op->name, op->num[0], op->num[1], op->sflags & ~SLAB_PANIC,
				      op->num[2] ? ko_ctor : NULL);
#if KO_612
	else {
		/* 6.12: the free pointer of an RCU cache at freeptr_offset */
		struct kmem_cache_args args = {
			.align = op->num[1],
			.freeptr_offset = op->num[2],
			.use_freeptr_offset = true,
		};

		c = kmem_cache_create(op->name, op->num[0], &args, op->sflags & ~SLAB_PANIC);
	}
#else
	else {
		skip_reason = "struct kmem_cache_args is not in this kernel";
		return;
	}
#endif
	emit_ptr(op, c);
	bind(op, c, K_CACHE, 0);
	if (!c)
		return;
	/* With slab_nomerge every cache has its own directory, named as created. */
	for (i = 0; i < ARRAY_SIZE(attrs); i++) {
		if (slab_attr(op->name, attrs[i][0], &v)) {
			skip_reason = "cannot read the cache's /sys/kernel/slab entry (boot with slab_nomerge)";
			return;
		}
		emit(", \"%s\": %u", attrs[i][1], v);
	}
}

/* A node operand: the trace's NUMA_NO_NODE (all ones) or a node number,
 * which must be online (the probe machine has node 0 only). */
static bool node_operand(u64 v, int *node)
{
	if (v == U64_MAX) {
		*node = NUMA_NO_NODE;
		return true;
	}
	if (v >= MAX_NUMNODES || !node_online(v)) {
		skip_reason = "node not online";
		return false;
	}
	*node = (int)v;
	return true;
}

static void do_cache_alloc(const struct ko_op *op)
{
	struct ko_slot *cs, *s;
	void *c, *p;
	int node;

	if (!operand(op->ptr[0], 1u << K_CACHE, false, &c, &cs))
		return;
	if (op->code == KO_KMEM_CACHE_ALLOC_NODE) {
		if (!node_operand(op->num[0], &node))
			return;
		p = kmem_cache_alloc_node(c, op->gfp, node);
	} else {
		p = op->code == KO_KMEM_CACHE_ZALLOC ? kmem_cache_zalloc(c, op->gfp)
						     : kmem_cache_alloc(c, op->gfp);
	}
	emit_ptr(op, p);
	s = bind(op, p, K_OBJ, 0);
	if (p) {
		s->owner = op->ptr[0];
		cs->objects++;
	}
}

static void do_cache_free(const struct ko_op *op)
{
	struct ko_slot *cs, *s;
	void *c, *p;

	if (!operand(op->ptr[0], 1u << K_CACHE, false, &c, &cs) ||
	    !operand(op->ptr[1], 1u << K_OBJ, false, &p, &s))
		return;
	if (s->owner != op->ptr[0]) {
		skip_reason = "object of another cache";
		return;
	}
	kmem_cache_free(c, p);
	s->kind = K_NONE;
	cs->objects--;
}

static void do_cache_destroy(const struct ko_op *op)
{
	struct ko_slot *cs;
	void *c;

	if (!operand(op->ptr[0], 1u << K_CACHE, true, &c, &cs))
		return;
	if (cs && cs->objects) {
		skip_reason = "cache still has objects";
		return;
	}
	kmem_cache_destroy(c);
	if (cs)
		cs->kind = K_NONE;
}

static void do_alloc_pages(const struct ko_op *op, u64 order, bool page_api, gfp_t gfp)
{
	void *p = NULL;
	struct page *page;

	if (order <= 64) {	/* the reference's bound for a u64 operand */
		if (page_api) {
			page = alloc_pages(gfp, order);
			p = page ? page_address(page) : NULL;
		} else {
			p = (void *)__get_free_pages(gfp, order);
		}
	}
	emit_ptr(op, p);
	emit(", \"order\": %llu", order);
	bind(op, p, K_PAGES, p ? PAGE_SIZE << order : 0)->order = order;
}

static void do_free(const struct ko_op *op)
{
	unsigned int kinds;
	struct ko_slot *s;
	void *p;

	switch (op->code) {
	case KO_KFREE:
	case KO_KFREE_SENSITIVE:
		kinds = 1u << K_KMALLOC;
		break;
	case KO_FREE_PAGES:
		kinds = 1u << K_PAGES;
		break;
	case KO_FREE_PAGES_EXACT:
		kinds = 1u << K_EXACT;
		break;
	case KO_VFREE:
		kinds = 1u << K_VMALLOC;
		break;
	case KO_FREE_PERCPU:
		kinds = 1u << K_PERCPU;
		break;
	default:	/* kvfree takes what kvmalloc, kmalloc or vmalloc gave */
		kinds = 1u << K_KVMALLOC | 1u << K_KMALLOC | 1u << K_VMALLOC;
		break;
	}
	/* free_pages_exact(NULL, n) would free the pages after address 0. */
	if (!operand(op->ptr[0], kinds, op->code != KO_FREE_PAGES_EXACT, &p, &s))
		return;
	if (s && op->code == KO_FREE_PAGES && s->order != op->num[0]) {
		skip_reason = "free_pages with another order";
		return;
	}
	if (s && (op->code == KO_FREE_PAGES_EXACT || op->code == KO_KVFREE_SENSITIVE) &&
	    s->req != op->num[0]) {
		skip_reason = "size differs from the allocation's";
		return;
	}
	switch (op->code) {
	case KO_KFREE: kfree(p); break;
	case KO_KFREE_SENSITIVE: kfree_sensitive(p); break;
	case KO_FREE_PAGES: free_pages((unsigned long)p, op->num[0]); break;
	case KO_FREE_PAGES_EXACT: free_pages_exact(p, op->num[0]); break;
	case KO_VFREE: vfree(p); break;
	case KO_FREE_PERCPU: free_percpu((void __percpu *)p); break;
	case KO_KVFREE_SENSITIVE: kvfree_sensitive(p, op->num[0]); break;
	default: kvfree(p); break;
	}
	if (s)
		s->kind = K_NONE;
}

static void do_access(const struct ko_op *op)
{
	unsigned int kinds = 1u << K_KMALLOC | 1u << K_PAGES | 1u << K_EXACT | 1u << K_VMALLOC |
			     1u << K_KVMALLOC;
	struct ko_slot *s;
	void *p;
	u64 off = op->num[0], len = op->num[1];

	if (!operand(op->ptr[0], kinds, false, &p, &s))
		return;
	if (off > s->req || len > s->req - off) {
		skip_reason = "access outside the block";
		return;
	}
	if (op->code == KO_WRITE) {
		memset((u8 *)p + off, (int)op->num[2], len);
		s->patterned = false;	/* the caller's bytes now */
	}
	else
		(void)READ_ONCE(*((u8 *)p + off));
}

/* The variants: node-aware, copying and gfp-taking forms of the calls
 * above, recorded with the same keys as the plain forms. */
static void run_variant(const struct ko_op *op)
{
	struct ko_slot *ss;
	size_t bytes;
	void *p, *src;
	int node;

	switch (op->code) {
	case KO_KMALLOC_NODE:
	case KO_KZALLOC_NODE:
		if (!node_operand(op->num[1], &node))
			return;
		p = op->code == KO_KMALLOC_NODE ? kmalloc_node(op->num[0], op->gfp, node)
						: kzalloc_node(op->num[0], op->gfp, node);
		after_kmalloc(op, p, op->num[0]);
		break;
	case KO_KMEMDUP:
		/* the source is a live kmalloc block at least as long */
		if (!operand(op->ptr[0], 1u << K_KMALLOC, false, &src, &ss))
			return;
		if (op->num[0] > ss->req) {
			skip_reason = "length past the source block";
			return;
		}
		after_kmalloc(op, kmemdup(src, op->num[0], op->gfp), op->num[0]);
		break;
	case KO_KVCALLOC:
		p = kvcalloc(op->num[0], op->num[1], op->gfp);
		emit_ptr(op, p);
		bind(op, p, K_KVMALLOC, check_mul_overflow(op->num[0], op->num[1], &bytes) ? 0 : bytes);
		break;
	case KO_VMALLOC_GFP:
		p = __vmalloc(op->num[0], op->gfp);
		emit_ptr(op, p);
		bind(op, p, K_VMALLOC, op->num[0]);
		break;
	case KO_ALLOC_PERCPU_GFP:
		p = (void __force *)__alloc_percpu_gfp(op->num[0], op->num[1], op->gfp);
		emit_ptr(op, p);
		bind(op, p, K_PERCPU, op->num[0]);
		break;
	}
}

static void run_op(const struct ko_op *op)
{
	size_t bytes;
	struct ko_slot *s;
	void *p;

	switch (op->code) {
	case KO_KMALLOC:
		after_kmalloc(op, kmalloc(op->num[0], op->gfp), op->num[0]);
		break;
	case KO_KZALLOC:
		after_kmalloc(op, kzalloc(op->num[0], op->gfp), op->num[0]);
		break;
	case KO_KCALLOC:
	case KO_KMALLOC_ARRAY:
		p = op->code == KO_KCALLOC ? kcalloc(op->num[0], op->num[1], op->gfp)
					   : kmalloc_array(op->num[0], op->num[1], op->gfp);
		after_kmalloc(op, p, check_mul_overflow(op->num[0], op->num[1], &bytes) ? 0 : bytes);
		break;
	case KO_KREALLOC:
		do_krealloc(op, 1, op->num[0], false);
		break;
	case KO_KREALLOC_ARRAY:
		do_krealloc(op, op->num[0], op->num[1], true);
		break;
	case KO_KSIZE:
		if (operand(op->ptr[0], 1u << K_KMALLOC, true, &p, &s))
			emit(", \"ksize\": %zu", ksize(p));
		break;
	case KO_KMALLOC_SIZE_ROUNDUP:
		emit(", \"size\": %zu", kmalloc_size_roundup(op->num[0]));
		break;
	case KO_KMALLOC_INDEX:
		/* Above its table, __kmalloc_index() BUG()s the kernel. */
		if (op->num[0] > KO_KMALLOC_INDEX_MAX)
			skip_reason = "kmalloc_index above its table would BUG()";
		else
			emit(", \"index\": %u", __kmalloc_index(op->num[0], false));
		break;
	case KO_GET_ORDER:
		emit(", \"order\": %d", get_order(op->num[0]));
		break;
	case KO_KMEM_CACHE_CREATE:
	case KO_KMEM_CACHE_CREATE_ARGS:
		do_cache_create(op);
		break;
	case KO_KMEM_CACHE_ALLOC:
	case KO_KMEM_CACHE_ZALLOC:
	case KO_KMEM_CACHE_ALLOC_NODE:
		do_cache_alloc(op);
		break;
	case KO_KMEM_CACHE_FREE:
		do_cache_free(op);
		break;
	case KO_KMEM_CACHE_SHRINK:
		if (operand(op->ptr[0], 1u << K_CACHE, false, &p, &s))
			kmem_cache_shrink(p);
		break;
	case KO_KMEM_CACHE_DESTROY:
		do_cache_destroy(op);
		break;
	case KO_KMEM_CACHE_SIZE:
		if (operand(op->ptr[0], 1u << K_CACHE, false, &p, &s))
			emit(", \"size\": %u", kmem_cache_size(p));
		break;
	case KO_ALLOC_PAGES:
	case KO_GET_FREE_PAGES:
		do_alloc_pages(op, op->num[0], op->code == KO_ALLOC_PAGES, op->gfp);
		break;
	case KO_GET_ZEROED_PAGE:
		p = (void *)get_zeroed_page(op->gfp);
		emit_ptr(op, p);
		emit(", \"order\": 0");
		bind(op, p, K_PAGES, PAGE_SIZE);
		break;
	case KO_ALLOC_PAGES_EXACT:
		p = alloc_pages_exact(op->num[0], op->gfp);
		emit_ptr(op, p);
		bind(op, p, K_EXACT, op->num[0]);
		break;
	case KO_VMALLOC:
	case KO_VZALLOC:
		p = op->code == KO_VMALLOC ? vmalloc(op->num[0]) : vzalloc(op->num[0]);
		emit_ptr(op, p);
		bind(op, p, K_VMALLOC, op->num[0]);
		break;
	case KO_KVMALLOC:
	case KO_KVZALLOC:
		p = op->code == KO_KVMALLOC ? kvmalloc(op->num[0], op->gfp) : kvzalloc(op->num[0], op->gfp);
		emit_ptr(op, p);
		bind(op, p, K_KVMALLOC, op->num[0]);
		break;
	case KO_KVMALLOC_ARRAY:
		p = kvmalloc_array(op->num[0], op->num[1], op->gfp);
		emit_ptr(op, p);
		bind(op, p, K_KVMALLOC, check_mul_overflow(op->num[0], op->num[1], &bytes) ? 0 : bytes);
		break;
	case KO_ALLOC_PERCPU:
		p = (void __force *)__alloc_percpu(op->num[0], op->num[1]);
		emit_ptr(op, p);
		bind(op, p, K_PERCPU, op->num[0]);
		break;
	case KO_WRITE:
	case KO_READ:
		do_access(op);
		break;
	case KO_KVREALLOC:
	case KO_KVREALLOC_NEW:
		do_realloc(op);
		break;
	case KO_KMALLOC_NODE:
	case KO_KZALLOC_NODE:
	case KO_KMEMDUP:
	case KO_KVCALLOC:
	case KO_VMALLOC_GFP:
	case KO_ALLOC_PERCPU_GFP:
		run_variant(op);
		break;
	default:
		do_free(op);
		break;
	}
}

/* Leaves the kernel as it was: frees whatever the traces left live. */
static void release_all(void)
{
	int i;

	if (!slots)
		return;
	for (i = 0; i < KO_NSLOTS; i++) {
		struct ko_slot *s = &slots[i];

		switch (s->kind) {
		case K_KMALLOC: kfree(s->p); break;
		case K_OBJ: kmem_cache_free(slots[s->owner].p, s->p); break;
		case K_PAGES: free_pages((unsigned long)s->p, s->order); break;
		case K_EXACT: free_pages_exact(s->p, s->req); break;
		case K_VMALLOC: vfree(s->p); break;
		case K_KVMALLOC: kvfree(s->p); break;
		case K_PERCPU: free_percpu((void __percpu *)s->p); break;
		default: continue;
		}
		s->kind = K_NONE;
	}
	for (i = 0; i < KO_NSLOTS; i++)
		if (slots[i].kind == K_CACHE)
			kmem_cache_destroy(slots[i].p);
	vfree(slots);
	slots = NULL;
}

static ssize_t ko_read(struct file *f, char __user *buf, size_t count, loff_t *pos)
{
	return simple_read_from_buffer(buf, count, pos, out, out_len);
}

static const struct proc_ops ko_proc_ops = {
	.proc_read = ko_read,
	.proc_lseek = default_llseek,
};

static struct proc_dir_entry *ko_proc;

static int __init ko_init(void)
{
	size_t i;
	int file = -1;

	BUILD_BUG_ON(ARRAY_SIZE(ko_names) != KO_NR_CODES);
	out = vmalloc(KO_OUT_CAP);
	slots = vzalloc(sizeof(*slots) * (KO_NSLOTS ? KO_NSLOTS : 1));
	if (!out || !slots) {
		vfree(out);
		vfree(slots);
		return -ENOMEM;
	}
	emit("{\"kernel\": \"%s\", \"version\": \"%s\", \"cpus\": %u, \"nr_cpu_ids\": %u}\n",
	     init_utsname()->release, init_utsname()->version, num_online_cpus(), nr_cpu_ids);
	for (i = 0; i < ARRAY_SIZE(ko_ops); i++) {
		const struct ko_op *op = &ko_ops[i];

		if (op->file != file) {
			file = op->file;
			emit("{\"trace\": \"%s\"}\n", ko_files[file]);
		}
		emit("{\"line\": %u, \"op\": \"%s\"", op->line, ko_names[op->code]);
		skip_reason = NULL;
		run_op(op);
		if (skip_reason)
			emit(", \"skipped\": true, \"why\": \"%s\"", skip_reason);
		emit("}\n");
		cond_resched();
	}
	out_len += scnprintf(out + out_len, KO_OUT_CAP - out_len,
			     "{\"end\": true, \"ops\": %zu, \"truncated\": %s}\n",
			     ARRAY_SIZE(ko_ops), out_full ? "true" : "false");
	ko_proc = proc_create("kmem_oracle", 0444, NULL, &ko_proc_ops);
	if (!ko_proc) {
		release_all();
		vfree(out);
		return -ENOMEM;
	}
	return 0;
}

static void __exit ko_exit(void)
{
	proc_remove(ko_proc);
	release_all();
	vfree(out);
}

module_init(ko_init);
module_exit(ko_exit);
MODULE_DESCRIPTION("kmem-harness kernel oracle: runs allocator traces, records the results");
MODULE_LICENSE("Dual MIT/GPL");
