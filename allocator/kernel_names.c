/* kernel_names.c - the kernel's names on the default instance.
 *
 * Every function of the public headers exists twice: kh_NAME takes the
 * instance first (what tests, fuzzers and adapters call), and NAME, the
 * kernel's own spelling, acts on kh_default(), the instance made from
 * $KMEM_PROFILE on first use (core.c). This file holds all the NAME forms,
 * so each subsystem file keeps only the instance API, and code written
 * against the kernel's headers links against this.
 *
 * Each wrapper only forwards. Where the kernel reports the caller's address
 * (kmalloc, kfree, krealloc, kmem_cache_alloc/free, ...), the wrapper is
 * the outermost frame, so it passes its own return address to the _caller
 * form of the subsystem function. The stock mempool callbacks
 * (mempool_alloc_slab, ...) stay in mempool.c: a pool recognizes its kind by
 * their addresses.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kmalloc.h"
#include "memblock.h"
#include "mempool.h"
#include "page_alloc.h"
#include "percpu.h"
#include "slab.h"
#include "slab_internal.h"
#include "vmalloc.h"

#define RET_ADDR ((uintptr_t)__builtin_return_address(0))

/* ---- page allocator (page_alloc.h) ---- */

int get_order(unsigned long size) { return kh_get_order(kh_default(), size); }
struct page *alloc_pages(gfp_t gfp, unsigned order) { return kh_alloc_pages(kh_default(), gfp, order); }
struct page *alloc_page(gfp_t gfp) { return kh_alloc_pages(kh_default(), gfp, 0); }
unsigned long __get_free_pages(gfp_t gfp, unsigned order)
{
    return kh___get_free_pages(kh_default(), gfp, order);
}
unsigned long __get_free_page(gfp_t gfp) { return kh___get_free_pages(kh_default(), gfp, 0); }
unsigned long get_zeroed_page(gfp_t gfp) { return kh_get_zeroed_page(kh_default(), gfp); }
void __free_pages(struct page *page, unsigned order) { kh___free_pages(kh_default(), page, order); }
void __free_page(struct page *page) { kh___free_pages(kh_default(), page, 0); }
void free_pages(unsigned long addr, unsigned order) { kh_free_pages(kh_default(), addr, order); }
void free_page(unsigned long addr) { kh_free_pages(kh_default(), addr, 0); }
void *page_address(const struct page *page) { return kh_page_address(kh_default(), page); }
struct page *virt_to_page(const void *addr) { return kh_virt_to_page(kh_default(), addr); }
void *alloc_pages_exact(size_t size, gfp_t gfp) { return kh_alloc_pages_exact(kh_default(), size, gfp); }
void free_pages_exact(void *virt, size_t size) { kh_free_pages_exact(kh_default(), virt, size); }

/* ---- slab caches (slab.h) ---- */

struct kmem_cache *kmem_cache_create(const char *name, unsigned int size, unsigned int align,
                                     slab_flags_t flags, void (*ctor)(void *))
{
    return kh_kmem_cache_create(kh_default(), name, size, align, flags, ctor);
}
void kmem_cache_destroy(struct kmem_cache *s) { kh_kmem_cache_destroy(kh_default(), s); }
void *kmem_cache_alloc(struct kmem_cache *s, gfp_t gfp)
{
    return kh_slab_alloc_fast(kh_default(), s, gfp, s->object_size,
                         RET_ADDR);
}
void *kmem_cache_zalloc(struct kmem_cache *s, gfp_t gfp)
{
    return kh_slab_alloc(kh_default(), s, gfp | __GFP_ZERO, s->object_size,
                         RET_ADDR);
}
void *kmem_cache_alloc_node(struct kmem_cache *s, gfp_t gfp, int node)
{
    (void)node;
    return kh_slab_alloc_fast(kh_default(), s, gfp, s->object_size,
                         RET_ADDR);
}
void kmem_cache_free(struct kmem_cache *s, void *obj)
{
    kh_kmem_cache_free_caller(kh_default(), s, obj, RET_ADDR);
}
int kmem_cache_alloc_bulk(struct kmem_cache *s, gfp_t gfp, size_t nr, void **p)
{
    return kh_kmem_cache_alloc_bulk(kh_default(), s, gfp, nr, p);
}
void kmem_cache_free_bulk(struct kmem_cache *s, size_t nr, void **p)
{
    kh_kmem_cache_free_bulk(kh_default(), s, nr, p);
}
int kmem_cache_shrink(struct kmem_cache *s) { return kh_kmem_cache_shrink(kh_default(), s); }
unsigned int kmem_cache_size(struct kmem_cache *s) { return kh_kmem_cache_size(kh_default(), s); }

/* ---- kmalloc family (kmalloc.h) ---- */

void *kmalloc(size_t size, gfp_t gfp) { return kh_kmalloc_caller(kh_default(), size, gfp, RET_ADDR); }
void *kzalloc(size_t size, gfp_t gfp)
{
    return kh_kmalloc_caller(kh_default(), size, gfp | __GFP_ZERO, RET_ADDR);
}
void *kmalloc_node(size_t size, gfp_t gfp, int node)
{
    (void)node;
    return kh_kmalloc_caller(kh_default(), size, gfp, RET_ADDR);
}
void *kzalloc_node(size_t size, gfp_t gfp, int node)
{
    (void)node;
    return kh_kmalloc_caller(kh_default(), size, gfp | __GFP_ZERO, RET_ADDR);
}
void *kmalloc_array(size_t n, size_t size, gfp_t gfp)
{
    return kh_kmalloc_array(kh_default(), n, size, gfp);
}
void *kcalloc(size_t n, size_t size, gfp_t gfp) { return kh_kcalloc(kh_default(), n, size, gfp); }
void *krealloc(const void *p, size_t new_size, gfp_t gfp)
{
    return kh_krealloc_caller(kh_default(), p, new_size, gfp, RET_ADDR);
}
void *krealloc_array(void *p, size_t n, size_t size, gfp_t gfp)
{
    return kh_krealloc_array(kh_default(), p, n, size, gfp);
}
void kfree(const void *p) { kh_kfree_caller(kh_default(), p, RET_ADDR); }
void kfree_sensitive(const void *p) { kh_kfree_sensitive_caller(kh_default(), p, RET_ADDR); }
size_t ksize(const void *p) { return kh_ksize(kh_default(), p); }
size_t kmalloc_size_roundup(size_t size) { return kh_kmalloc_size_roundup(kh_default(), size); }
int kmalloc_index(size_t size) { return kh_kmalloc_index(kh_default(), size); }
void *kmemdup(const void *src, size_t len, gfp_t gfp) { return kh_kmemdup(kh_default(), src, len, gfp); }
char *kstrdup(const char *s, gfp_t gfp) { return kh_kstrdup(kh_default(), s, gfp); }

/* ---- mempool (mempool.h) ---- */

mempool_t *mempool_create(int min_nr, mempool_alloc_t *alloc_fn, mempool_free_t *free_fn,
                          void *pool_data)
{
    return kh_mempool_create(kh_default(), min_nr, alloc_fn, free_fn, pool_data);
}
mempool_t *mempool_create_node(int min_nr, mempool_alloc_t *alloc_fn, mempool_free_t *free_fn,
                               void *pool_data, gfp_t gfp_mask, int node_id)
{
    return kh_mempool_create_node(kh_default(), min_nr, alloc_fn, free_fn, pool_data, gfp_mask,
                                  node_id);
}
mempool_t *mempool_create_kmalloc_pool(int min_nr, size_t size)
{
    return kh_mempool_create_kmalloc_pool(kh_default(), min_nr, size);
}
mempool_t *mempool_create_slab_pool(int min_nr, struct kmem_cache *cache)
{
    return kh_mempool_create_slab_pool(kh_default(), min_nr, cache);
}
mempool_t *mempool_create_page_pool(int min_nr, int order)
{
    return kh_mempool_create_page_pool(kh_default(), min_nr, order);
}
void *mempool_alloc(mempool_t *pool, gfp_t gfp_mask)
{
    return kh_mempool_alloc(kh_default(), pool, gfp_mask);
}
void mempool_free(void *element, mempool_t *pool) { kh_mempool_free(kh_default(), element, pool); }
int mempool_resize(mempool_t *pool, int new_min_nr)
{
    return kh_mempool_resize(kh_default(), pool, new_min_nr);
}
void mempool_destroy(mempool_t *pool) { kh_mempool_destroy(kh_default(), pool); }

/* ---- vmalloc and kvmalloc (vmalloc.h) ---- */

void *vmalloc(unsigned long size) { return kh_vmalloc(kh_default(), size); }
void *vzalloc(unsigned long size) { return kh_vzalloc(kh_default(), size); }
void *__vmalloc(unsigned long size, gfp_t gfp) { return kh___vmalloc(kh_default(), size, gfp); }
void vfree(const void *addr) { kh_vfree(kh_default(), addr); }
struct page *vmalloc_to_page(const void *addr) { return kh_vmalloc_to_page(kh_default(), addr); }
unsigned long vmalloc_to_pfn(const void *addr) { return kh_vmalloc_to_pfn(kh_default(), addr); }
bool is_vmalloc_addr(const void *addr) { return kh_is_vmalloc_addr(kh_default(), addr); }

void *kvmalloc(size_t size, gfp_t gfp) { return kh_kvmalloc(kh_default(), size, gfp); }
void *kvzalloc(size_t size, gfp_t gfp) { return kh_kvzalloc(kh_default(), size, gfp); }
void *kvmalloc_array(size_t n, size_t size, gfp_t gfp)
{
    return kh_kvmalloc_array(kh_default(), n, size, gfp);
}
void *kvcalloc(size_t n, size_t size, gfp_t gfp) { return kh_kvcalloc(kh_default(), n, size, gfp); }
void kvfree(const void *addr) { kh_kvfree(kh_default(), addr); }
void kvfree_sensitive(const void *addr, size_t len)
{
    kh_kvfree_sensitive(kh_default(), addr, len);
}
void *kvrealloc(const void *p, size_t oldsize, size_t newsize, gfp_t gfp)
{
    return kh_kvrealloc(kh_default(), p, oldsize, newsize, gfp);
}
void *vrealloc(const void *p, size_t size, gfp_t gfp)
{
    return kh_vrealloc(kh_default(), p, size, gfp);
}

/* ---- per-CPU allocations (percpu.h) ---- */

void *__alloc_percpu(size_t size, size_t align)
{
    return kh___alloc_percpu(kh_default(), size, align);
}
void *__alloc_percpu_gfp(size_t size, size_t align, gfp_t gfp)
{
    return kh___alloc_percpu_gfp(kh_default(), size, align, gfp);
}
void free_percpu(void *ptr) { kh_free_percpu(kh_default(), ptr); }
unsigned get_cpu(void) { return kh_get_cpu(kh_default()); }
void put_cpu(void) { kh_put_cpu(kh_default()); }
unsigned num_possible_cpus(void) { return kh_nr_cpus(kh_default()); }

/* ---- boot-time allocator (memblock.h) ---- */

void *memblock_alloc(phys_addr_t size, phys_addr_t align)
{
    return kh_memblock_alloc(kh_default(), size, align);
}
void *memblock_alloc_raw(phys_addr_t size, phys_addr_t align)
{
    return kh_memblock_alloc_raw(kh_default(), size, align);
}
int memblock_reserve(phys_addr_t base, phys_addr_t size)
{
    return kh_memblock_reserve(kh_default(), base, size);
}
phys_addr_t memblock_phys_alloc(phys_addr_t size, phys_addr_t align)
{
    return kh_memblock_phys_alloc(kh_default(), size, align);
}
void memblock_free(void *ptr, size_t size) { kh_memblock_free(kh_default(), ptr, size); }
void memblock_phys_free(phys_addr_t base, phys_addr_t size)
{
    kh_memblock_phys_free(kh_default(), base, size);
}
void memblock_free_late(phys_addr_t base, phys_addr_t size)
{
    kh_memblock_free_late(kh_default(), base, size);
}
void memblock_free_all(void) { kh_boot_end(kh_default()); }
void *alloc_bootmem(unsigned long size) { return kh_alloc_bootmem(kh_default(), size); }
void *alloc_bootmem_align(unsigned long size, unsigned long align)
{
    return kh_alloc_bootmem_align(kh_default(), size, align);
}
void *alloc_bootmem_pages(unsigned long size) { return kh_alloc_bootmem_pages(kh_default(), size); }
void *alloc_bootmem_nopanic(unsigned long size)
{
    return kh_alloc_bootmem_nopanic(kh_default(), size);
}
void free_bootmem(unsigned long physaddr, unsigned long size)
{
    kh_free_bootmem(kh_default(), physaddr, size);
}
