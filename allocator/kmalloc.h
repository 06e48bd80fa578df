/* kmalloc.h - the kmalloc family (kernel names and kh_ twins) and the
 * per-instance kmalloc limits.
 *
 * Small requests are served by the kmalloc-N size-class caches; above
 * KMALLOC_MAX_CACHE_SIZE (SLUB, SLOB) they go straight to the page
 * allocator. The limits depend on the profile (page size, max order, slab
 * design, ARCH_KMALLOC_MINALIGN), so they are functions of the instance.
 */
#ifndef KH_KMALLOC_H
#define KH_KMALLOC_H

#include <stddef.h>
#include <stdint.h>

#include "kmem.h"

#define ZERO_SIZE_PTR ((void *)16)
#define ZERO_OR_NULL_PTR(x) ((unsigned long)(x) <= (unsigned long)ZERO_SIZE_PTR)

/* ---- Limits (SPEC section 1) ---- */
size_t kh_kmalloc_max_size(const struct kh *kh);        /* KMALLOC_MAX_SIZE */
size_t kh_kmalloc_max_cache_size(const struct kh *kh);  /* KMALLOC_MAX_CACHE_SIZE */
size_t kh_kmalloc_min_size(const struct kh *kh);        /* KMALLOC_MIN_SIZE */
unsigned kh_kmalloc_shift_low(const struct kh *kh);
unsigned kh_kmalloc_shift_high(const struct kh *kh);
unsigned kh_kmalloc_shift_max(const struct kh *kh);
/* kmalloc_index(): 0 for size 0, 1 for the 96 cache, 2 for 192, else
 * ceil(log2(size)) (at least KMALLOC_SHIFT_LOW), also above the caches up to
 * the end of the kernel's table (2 MiB in 6.1, 64 MiB in 4.x); -1 beyond it,
 * where the kernel's kmalloc_index() BUG()s. */
int kh_kmalloc_index(const struct kh *kh, size_t size);
/* Object size of cache index i (8 << ..., 96, 192); 0 if none. */
size_t kh_kmalloc_index_size(const struct kh *kh, int index);

/* ---- Instance-taking API ---- */
void *kh_kmalloc(struct kh *kh, size_t size, gfp_t gfp);
void *kh_kzalloc(struct kh *kh, size_t size, gfp_t gfp);
void *kh_kmalloc_node(struct kh *kh, size_t size, gfp_t gfp, int node);
void *kh_kzalloc_node(struct kh *kh, size_t size, gfp_t gfp, int node);
void *kh_kmalloc_array(struct kh *kh, size_t n, size_t size, gfp_t gfp);
void *kh_kcalloc(struct kh *kh, size_t n, size_t size, gfp_t gfp);
void *kh_krealloc(struct kh *kh, const void *p, size_t new_size, gfp_t gfp);
void *kh_krealloc_array(struct kh *kh, void *p, size_t n, size_t size, gfp_t gfp);
void kh_kfree(struct kh *kh, const void *p);
void kh_kfree_sensitive(struct kh *kh, const void *p);
size_t kh_ksize(struct kh *kh, const void *p);
size_t kh_kmalloc_size_roundup(struct kh *kh, size_t size);
void *kh_kmemdup(struct kh *kh, const void *src, size_t len, gfp_t gfp);
char *kh_kstrdup(struct kh *kh, const char *s, gfp_t gfp);
/* The kmalloc cache a request of `size` with `gfp` uses (NULL for 0 or
 * large sizes). */
struct kmem_cache *kh_kmalloc_cache(struct kh *kh, size_t size, gfp_t gfp);

/* ---- Kernel names on the default instance ---- */
#define KMALLOC_MAX_SIZE (kh_kmalloc_max_size(kh_default()))
#define KMALLOC_MAX_CACHE_SIZE (kh_kmalloc_max_cache_size(kh_default()))
#define KMALLOC_MIN_SIZE (kh_kmalloc_min_size(kh_default()))

void *kmalloc(size_t size, gfp_t gfp);
void *kzalloc(size_t size, gfp_t gfp);
void *kmalloc_node(size_t size, gfp_t gfp, int node);
void *kzalloc_node(size_t size, gfp_t gfp, int node);
void *kmalloc_array(size_t n, size_t size, gfp_t gfp);
void *kcalloc(size_t n, size_t size, gfp_t gfp);
void *krealloc(const void *p, size_t new_size, gfp_t gfp);
void *krealloc_array(void *p, size_t n, size_t size, gfp_t gfp);
void kfree(const void *p);
void kfree_sensitive(const void *p);
size_t ksize(const void *p);
size_t kmalloc_size_roundup(size_t size);
int kmalloc_index(size_t size);
void *kmemdup(const void *src, size_t len, gfp_t gfp);
char *kstrdup(const char *s, gfp_t gfp);

#endif
