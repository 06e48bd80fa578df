/* page_alloc.h - the buddy page allocator (kernel names and kh_ twins).
 *
 * Pages live in a simulated physical arena; `struct page *` points into the
 * instance's metadata array and page_address() gives the arena address.
 */
#ifndef KH_PAGE_ALLOC_H
#define KH_PAGE_ALLOC_H

#include "kmem.h"

struct page;

/* ---- Instance-taking API ---- */
unsigned long kh_page_size(const struct kh *kh);
unsigned kh_page_shift(const struct kh *kh);
unsigned kh_max_order(const struct kh *kh);      /* exclusive */
int kh_get_order(const struct kh *kh, unsigned long size);

struct page *kh_alloc_pages(struct kh *kh, gfp_t gfp, unsigned order);
void kh___free_pages(struct kh *kh, struct page *page, unsigned order);
unsigned long kh___get_free_pages(struct kh *kh, gfp_t gfp, unsigned order);
unsigned long kh_get_zeroed_page(struct kh *kh, gfp_t gfp);
void kh_free_pages(struct kh *kh, unsigned long addr, unsigned order);

void *kh_page_address(const struct kh *kh, const struct page *page);
/* NULL when addr is not inside the arena. */
struct page *kh_virt_to_page(const struct kh *kh, const void *addr);
unsigned long kh_page_to_pfn(const struct kh *kh, const struct page *page);
struct page *kh_pfn_to_page(const struct kh *kh, unsigned long pfn);
bool kh_addr_in_arena(const struct kh *kh, const void *addr);

/* Reclaim: a shrinker returns how many pages it released. Called, in
 * registration order, when an allocation allowed to reclaim fails. */
typedef unsigned long (*kh_shrink_fn)(struct kh *kh, void *ctx, unsigned long nr_wanted);
int kh_register_shrinker(struct kh *kh, kh_shrink_fn fn, void *ctx);
void kh_unregister_shrinker(struct kh *kh, kh_shrink_fn fn, void *ctx);
/* Runs every shrinker as reclaim would (the kernel's drop_caches): what
 * the layers above hold only for speed (empty slabs, CPU slabs, the
 * quarantine) goes back to the free lists. Returns the pages released. */
unsigned long kh_drop_caches(struct kh *kh);

/* Counters */
unsigned long kh_total_pages(const struct kh *kh);
unsigned long kh_nr_free_pages(const struct kh *kh);
unsigned long kh_zone_free_pages(const struct kh *kh, enum zone_type z);

/* alloc_pages_exact: a get_order(size) block split into order-0 pages, the
 * ones past size returned to the buddy lists; free_pages_exact frees the
 * rest page by page. __GFP_COMP / __GFP_HIGHMEM are warned and stripped. */
void *kh_alloc_pages_exact(struct kh *kh, size_t size, gfp_t gfp);
void kh_free_pages_exact(struct kh *kh, void *virt, size_t size);

/* ---- Kernel names on the default instance ---- */
#define PAGE_SHIFT (kh_page_shift(kh_default()))
#define PAGE_SIZE  (kh_page_size(kh_default()))
#define MAX_ORDER  (kh_max_order(kh_default()))

int get_order(unsigned long size);
struct page *alloc_pages(gfp_t gfp, unsigned order);
struct page *alloc_page(gfp_t gfp);
unsigned long __get_free_pages(gfp_t gfp, unsigned order);
unsigned long __get_free_page(gfp_t gfp);
unsigned long get_zeroed_page(gfp_t gfp);
void __free_pages(struct page *page, unsigned order);
void __free_page(struct page *page);
void free_pages(unsigned long addr, unsigned order);
void free_page(unsigned long addr);
void *page_address(const struct page *page);
struct page *virt_to_page(const void *addr);
void *alloc_pages_exact(size_t size, gfp_t gfp);
void free_pages_exact(void *virt, size_t size);

#endif
