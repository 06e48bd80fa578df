"""A Pythonic handle on one allocator instance (struct kh).

Pointers are plain ints (0 for NULL). Introspection results come back as
small frozen dataclasses so tests compare them, sort them and print them
without touching ctypes. Every instance runs in KH_REPORT_RECORD mode and
quiet: misuse and failures are collected as Report objects for the test to
inspect, and nothing aborts the Python process.
"""
import ctypes
from ctypes import POINTER, byref, c_char_p, c_uint, c_ulong, c_void_p
from dataclasses import dataclass

from . import lib as L
from . import spec

# enums of kmem.h / slab.h / introspect.h
KH_SEV_WARN, KH_SEV_BUG = 0, 1
REPORT_CLASSES = ["PAGE_ALLOC_FAILURE", "WARN", "BAD_PAGE", "SLAB", "KFREE", "VMALLOC",
                  "MEMPOOL", "PERCPU", "OOM"]
KH_REPORT_ABORT, KH_REPORT_RECORD, KH_REPORT_COUNT = 0, 1, 2
FAULT_OFF, FAULT_NTH, FAULT_FROM, FAULT_RANDOM = 0, 1, 2, 3
FAULT_PAGE, FAULT_SLAB, FAULT_VMALLOC, FAULT_PERCPU, FAULT_ALL = 1, 2, 4, 8, 15
SLAB_LISTS = ["none", "cpu", "partial", "full", "free"]
LIST_NONE, LIST_CPU, LIST_PARTIAL, LIST_FULL, LIST_FREE = range(5)
OBJECT_STATES = ["free", "allocated", "quarantined"]
# enum kh_page_state; "reserved" is a PG_reserved page memblock kept at boot end.
PAGE_STATES = ["free-head", "free-interior", "alloc-head", "alloc-interior", "lazy", "invalid",
               "reserved"]
MEMPOOL_KINDS = ["custom", "kmalloc", "slab", "page"]
BOOT_PHASES = ["none", "early", "done"]


@dataclass(frozen=True)
class Report:
    severity: str       # "WARN" or "BUG"
    cls: str            # REPORT_CLASSES name
    subsystem: str
    reason: str
    text: str
    addr: int


@dataclass(frozen=True)
class Violation:
    subsystem: str
    invariant: str
    detail: str
    addr: int

    def __str__(self):
        return f"{self.subsystem}: {self.invariant}: {self.detail}"


@dataclass(frozen=True)
class Block:
    zone: int
    order: int
    pfn: int
    lazy: bool


@dataclass(frozen=True)
class Zone:
    name: str
    type: int
    present: bool
    start_pfn: int
    end_pfn: int
    managed: int
    free: int
    wmark_min: int
    wmark_low: int
    wmark_high: int
    lowmem_reserve: tuple
    nr_free: tuple
    lazy_pfn: int
    lazy_end: int


@dataclass(frozen=True)
class Cache:
    ptr: int
    name: str
    design: str
    object_size: int
    size: int
    align: int
    order: int
    objects_per_slab: int
    min_partial: int
    ksize: int
    flags: int
    is_kmalloc: bool
    dead: bool
    refcount: int
    nr_slabs: int
    nr_objects: int
    nr_inuse: int
    nr_partial: int
    nr_full: int
    nr_free: int
    offset: int = 0     # where a free object keeps its free pointer


@dataclass(frozen=True)
class Slab:
    base: int
    order: int
    objects: int
    inuse: int
    quarantined: int
    free: int
    list: str
    cpu: int
    colour_off: int


@dataclass(frozen=True)
class Object:
    addr: int
    index: int
    state: str
    requested: int


@dataclass(frozen=True)
class Mempool:
    ptr: int
    index: int
    min_nr: int
    curr_nr: int
    kind: str           # MEMPOOL_KINDS name
    element_size: int   # bytes per element (page pools: the block's bytes)
    pool_data: int
    reserve: tuple = ()  # reserve elements, bottom first (the last is handed out next)


@dataclass(frozen=True)
class VmArea:
    addr: int
    size: int
    nr_pages: int
    pfns: tuple


@dataclass(frozen=True)
class PercpuAlloc:
    ptr: int
    chunk: int
    offset: int
    size: int
    rounded_size: int
    align: int
    unit_size: int
    nr_cpus: int


def _report(r):
    return Report("BUG" if r.severity == KH_SEV_BUG else "WARN", REPORT_CLASSES[r.cls],
                  _s(r.subsystem), _s(r.reason), _s(r.text), r.addr)


def _s(b):
    return b.decode() if b is not None else None


def profile_names():
    lib = L.load()
    names, arr = [], lib.kh_profile_names()
    i = 0
    while arr[i]:
        names.append(arr[i].decode())
        i += 1
    return names


def profile_config(name):
    lib = L.load()
    cfg = L.KhConfig()
    if lib.kh_profile_config(name.encode(), byref(cfg)) != 0:
        raise KeyError(f"unknown profile {name}")
    return cfg


def profile_of(cfg):
    return spec.Profile(name=_s(cfg.profile), page_shift=cfg.page_shift, max_order=cfg.max_order,
                        slab=cfg.slab, nr_cpus=cfg.nr_cpus, cache_line=cfg.cache_line,
                        arch_kmalloc_minalign=cfg.arch_kmalloc_minalign,
                        zone_bytes=tuple(cfg.zone_bytes), kernel=cfg.kernel)


class Kh:
    """One allocator instance. Use as a context manager or call close()."""

    def __init__(self, profile="linux-6.1-x86_64", **overrides):
        self.lib = L.load()
        self.cfg = profile_config(profile)
        self._name = profile.encode()   # keep cfg.profile's bytes alive
        self.cfg.profile = self._name
        for k, v in overrides.items():
            if k == "slub_debug":
                v = v.encode()
            setattr(self.cfg, k, v)
        err = c_char_p()
        self.kh = self.lib.kh_create(byref(self.cfg), byref(err))
        if not self.kh:
            raise RuntimeError(f"kh_create({profile}, {overrides}) failed: {_s(err.value)}")
        self.lib.kh_set_report_mode(self.kh, KH_REPORT_RECORD)
        self.lib.kh_set_report_quiet(self.kh, True)
        self.profile = profile_of(self.cfg)
        self._ctors = []
        self._hook = None

    def close(self):
        if self.kh:
            self.lib.kh_destroy(self.kh)
            self.kh = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def has(self, cap):
        return self.lib.has(cap)

    def reset(self):
        self.lib.kh_reset(self.kh)

    # ---- reports and validation ----
    def reports(self):
        out, i = [], 0
        while True:
            r = self.lib.kh_report_get(self.kh, i)
            if not r:
                return out
            out.append(_report(r.contents))
            i += 1

    def set_report_hook(self, fn):
        """Calls fn(Report) for every report as it is made (before any abort),
        e.g. to print it from a child process that may crash later; None
        removes the hook."""
        if fn is None:
            self._hook = None
            self.lib.kh_set_report_hook(self.kh, ctypes.cast(None, L.REPORT_FN), None)
            return
        self._hook = L.REPORT_FN(lambda _ctx, r: fn(_report(r.contents)))
        self.lib.kh_set_report_hook(self.kh, self._hook, None)

    def clear_reports(self):
        self.lib.kh_reports_clear(self.kh)

    def report_count(self):
        return (self.lib.kh_report_count(self.kh, KH_SEV_WARN) +
                self.lib.kh_report_count(self.kh, KH_SEV_BUG))

    def validate(self):
        vs = L.KhViolations()
        n = self.lib.kh_validate(self.kh, byref(vs))
        out = [Violation(_s(vs.v[i].subsystem), _s(vs.v[i].invariant),
                         vs.v[i].detail.decode(errors="replace"), vs.v[i].addr)
               for i in range(vs.n)]
        self.lib.kh_violations_free(byref(vs))
        assert n == len(out), f"kh_validate returned {n} but listed {len(out)} violations"
        return out

    def assert_valid(self, context=""):
        """kh_validate() finds nothing; the message starts with the first
        violated invariant's name."""
        v = self.validate()
        assert not v, (f"{context}: " if context else "") + f"kh_validate: {v[0]}" + \
            (f" (and {len(v) - 1} more)" if len(v) > 1 else "") + "\n" + \
            "\n".join(str(x) for x in v[1:20])

    # ---- fault injection ----
    def fault_set(self, mode, nth=1, domains=FAULT_ALL, percent=0, seed=0, min_order=0):
        fc = L.KhFaultConfig(mode, domains, nth, percent, seed, min_order)
        self.lib.kh_fault_set(self.kh, byref(fc))

    def fault_clear(self):
        self.lib.kh_fault_clear(self.kh)

    def fault_attempts(self):
        return self.lib.kh_fault_attempts(self.kh)

    def fault_injected(self):
        return self.lib.kh_fault_injected(self.kh)

    # ---- raw memory ----
    @staticmethod
    def fill(addr, byte, n):
        ctypes.memset(addr, byte, n)

    @staticmethod
    def read(addr, n):
        return ctypes.string_at(addr, n)

    # Unchecked access, for bytes a test deliberately touches without owning
    # them (past the requested size, after a free): element by element in
    # ctypes, never through libc's memset/memcpy, which ASan intercepts when
    # an ASan build is under test. The kernel's own tests disable KASAN for
    # such peeks the same way.
    @staticmethod
    def fill_unchecked(addr, byte, n):
        if n:
            (ctypes.c_ubyte * n).from_address(addr)[:] = [byte] * n

    @staticmethod
    def read_unchecked(addr, n):
        return bytes((ctypes.c_ubyte * n).from_address(addr)[:]) if n else b""

    def set_cpu(self, cpu):
        self.lib.kh_set_cpu(self.kh, cpu)

    # ---- kmalloc ----
    def kmalloc(self, size, gfp=spec.GFP_KERNEL):
        return self.lib.kh_kmalloc(self.kh, size, gfp) or 0

    def kzalloc(self, size, gfp=spec.GFP_KERNEL):
        return self.lib.kh_kzalloc(self.kh, size, gfp) or 0

    def kcalloc(self, n, size, gfp=spec.GFP_KERNEL):
        return self.lib.kh_kcalloc(self.kh, n, size, gfp) or 0

    def kmalloc_node(self, size, gfp=spec.GFP_KERNEL, node=0):
        return self.lib.kh_kmalloc_node(self.kh, size, gfp, node) or 0

    def kmalloc_array(self, n, size, gfp=spec.GFP_KERNEL):
        return self.lib.kh_kmalloc_array(self.kh, n, size, gfp) or 0

    def krealloc(self, p, size, gfp=spec.GFP_KERNEL):
        return self.lib.kh_krealloc(self.kh, p or None, size, gfp) or 0

    def krealloc_array(self, p, n, size, gfp=spec.GFP_KERNEL):
        return self.lib.kh_krealloc_array(self.kh, p or None, n, size, gfp) or 0

    def kfree(self, p):
        self.lib.kh_kfree(self.kh, p or None)

    def kfree_sensitive(self, p):
        self.lib.kh_kfree_sensitive(self.kh, p or None)

    def ksize(self, p):
        return self.lib.kh_ksize(self.kh, p or None)

    def kmalloc_index(self, size):
        return self.lib.kh_kmalloc_index(self.kh, size)

    def kmalloc_size_roundup(self, size):
        return self.lib.kh_kmalloc_size_roundup(self.kh, size)

    def kmalloc_limits(self):
        lib = self.lib
        return spec.KmallocLimits(lib.kh_kmalloc_shift_low(self.kh),
                                  lib.kh_kmalloc_shift_high(self.kh),
                                  lib.kh_kmalloc_shift_max(self.kh),
                                  lib.kh_kmalloc_min_size(self.kh),
                                  lib.kh_kmalloc_max_cache_size(self.kh),
                                  lib.kh_kmalloc_max_size(self.kh))

    def kmalloc_cache(self, size, gfp=spec.GFP_KERNEL):
        return self.lib.kh_kmalloc_cache(self.kh, size, gfp) or 0

    # ---- slab caches ----
    def cache_create(self, name, size, align=0, flags=0, ctor=None):
        fn = None
        if ctor is not None:
            fn = L.CTOR_FN(ctor)
            self._ctors.append(fn)   # must outlive the cache
        return self.lib.kh_kmem_cache_create(self.kh, name.encode(), size, align, flags,
                                             ctypes.cast(fn, c_void_p) if fn else None) or 0

    def cache_destroy(self, c):
        self.lib.kh_kmem_cache_destroy(self.kh, c or None)

    def cache_alloc(self, c, gfp=spec.GFP_KERNEL):
        return self.lib.kh_kmem_cache_alloc(self.kh, c, gfp) or 0

    def cache_zalloc(self, c, gfp=spec.GFP_KERNEL):
        return self.lib.kh_kmem_cache_zalloc(self.kh, c, gfp) or 0

    def cache_free(self, c, p):
        self.lib.kh_kmem_cache_free(self.kh, c, p or None)

    def cache_alloc_bulk(self, c, n, gfp=spec.GFP_KERNEL):
        arr = (c_void_p * max(n, 1))()
        got = self.lib.kh_kmem_cache_alloc_bulk(self.kh, c, gfp, n, arr)
        return [arr[i] for i in range(got)]

    def cache_free_bulk(self, c, ptrs):
        arr = (c_void_p * max(len(ptrs), 1))(*ptrs)
        self.lib.kh_kmem_cache_free_bulk(self.kh, c, len(ptrs), arr)

    def cache_shrink(self, c):
        return self.lib.kh_kmem_cache_shrink(self.kh, c)

    def cache_size(self, c):
        return self.lib.kh_kmem_cache_size(self.kh, c)

    def shrink_all(self):
        for c in self.caches():
            if not c.dead:
                self.cache_shrink(c.ptr)

    def footprint(self):
        """(free pages, objects in use per cache) after releasing every empty
        slab: equal footprints before and after a sequence mean nothing leaked."""
        self.shrink_all()
        return self.nr_free_pages(), tuple((c.name, c.nr_inuse) for c in self.caches())

    def cache_validate(self, c):
        """kmem_cache_validate (slub_debug): the number of errors found, each
        report and each FIX counting one, as the kernel's slub_kunit counts."""
        return self.lib.kh_kmem_cache_validate(self.kh, c)

    def object_lookup(self, addr):
        """(cache pointer, Object) of the slab object containing addr, or None."""
        oi, cache = L.KhObjectInfo(), c_void_p()
        if self.lib.kh_slab_object_lookup(self.kh, addr, byref(oi), byref(cache)) != 0:
            return None
        return cache.value or 0, Object(oi.addr, oi.index, OBJECT_STATES[oi.state], oi.requested)

    def find_cache(self, name):
        return self.lib.kh_slab_find_cache(self.kh, name.encode()) or 0

    @staticmethod
    def _cache(ci):
        return Cache(ci.cache or 0, _s(ci.name), _s(ci.design), ci.object_size, ci.size, ci.align,
                     ci.order, ci.objects_per_slab, ci.min_partial, ci.ksize, ci.flags,
                     ci.is_kmalloc, ci.dead, ci.refcount, ci.nr_slabs, ci.nr_objects, ci.nr_inuse,
                     ci.nr_partial, ci.nr_full, ci.nr_free, ci.offset)

    def cache_info(self, c):
        ci = L.KhCacheInfo()
        rc = self.lib.kh_slab_cache_info(self.kh, c, byref(ci))
        assert rc == 0, f"kh_slab_cache_info({c:#x}) = {rc}"
        return self._cache(ci)

    def caches(self):
        out = []

        def cb(_ctx, ci):
            out.append(self._cache(ci.contents))
            return 0
        self.lib.kh_for_each_cache(self.kh, L.CACHE_FN(cb), None)
        return out

    def slabs(self, c):
        out = []

        def cb(_ctx, si):
            s = si.contents
            out.append(Slab(s.base, s.order, s.objects, s.inuse, s.quarantined, s.free,
                            SLAB_LISTS[s.list], s.cpu, s.colour_off))
            return 0
        self.lib.kh_for_each_slab(self.kh, c, L.SLAB_FN(cb), None)
        return out

    def objects(self, c, slab_base):
        out = []

        def cb(_ctx, oi):
            o = oi.contents
            out.append(Object(o.addr, o.index, OBJECT_STATES[o.state], o.requested))
            return 0
        rc = self.lib.kh_for_each_object(self.kh, c, slab_base, L.OBJECT_FN(cb), None)
        assert rc != -1, f"no slab at {slab_base:#x}"
        return out

    def slabinfo(self):
        return self._text(self.lib.kh_slabinfo)

    def _text(self, fn):
        n = fn(self.kh, None, 0)
        buf = ctypes.create_string_buffer(n + 1)
        fn(self.kh, buf, n + 1)
        return buf.value.decode()

    # ---- pages ----
    @property
    def page_size(self):
        return self.lib.kh_page_size(self.kh)

    def get_order(self, size):
        return self.lib.kh_get_order(self.kh, size)

    def alloc_pages(self, order, gfp=spec.GFP_KERNEL):
        """Returns the block's address (0 on failure), like __get_free_pages."""
        page = self.lib.kh_alloc_pages(self.kh, gfp, order)
        return self.lib.kh_page_address(self.kh, page) if page else 0

    def page_address(self, page):
        return self.lib.kh_page_address(self.kh, page) or 0

    def virt_to_page(self, addr):
        return self.lib.kh_virt_to_page(self.kh, addr) or 0

    def free_pages(self, addr, order):
        self.lib.kh_free_pages(self.kh, addr, order)

    def get_free_pages(self, order, gfp=spec.GFP_KERNEL):
        return self.lib.kh___get_free_pages(self.kh, gfp, order)

    def get_zeroed_page(self, gfp=spec.GFP_KERNEL):
        return self.lib.kh_get_zeroed_page(self.kh, gfp)

    def pfn(self, addr):
        page = self.lib.kh_virt_to_page(self.kh, addr)
        assert page, f"{addr:#x} is not in the arena"
        return self.lib.kh_page_to_pfn(self.kh, page)

    def nr_free_pages(self):
        return self.lib.kh_nr_free_pages(self.kh)

    def total_pages(self):
        return self.lib.kh_total_pages(self.kh)

    def zone(self, z):
        zi = L.KhZoneInfo()
        assert self.lib.kh_zone_info(self.kh, z, byref(zi)) == 0
        return Zone(_s(zi.name), zi.type, zi.present, zi.start_pfn, zi.end_pfn, zi.managed,
                    zi.free, zi.wmark_min, zi.wmark_low, zi.wmark_high, tuple(zi.lowmem_reserve),
                    tuple(zi.nr_free), zi.lazy_pfn, zi.lazy_end)

    def zones(self):
        return [self.zone(z) for z in range(L.MAX_NR_ZONES)]

    def zone_of_pfn(self, pfn):
        for z in self.zones():
            if z.present and z.start_pfn <= pfn < z.end_pfn:
                return z.type
        return None

    def _blocks(self, fn):
        out = []

        def cb(_ctx, bi):
            b = bi.contents
            out.append(Block(b.zone, b.order, b.pfn, b.lazy))
            return 0
        fn(self.kh, L.BLOCK_FN(cb), None)
        return out

    def free_blocks(self):
        return self._blocks(self.lib.kh_for_each_free_block)

    def allocated_blocks(self):
        return self._blocks(self.lib.kh_for_each_allocated_block)

    def page_state(self, pfn):
        head, order = c_ulong(), c_uint()
        st = self.lib.kh_page_state(self.kh, pfn, byref(head), byref(order))
        return PAGE_STATES[st], head.value, order.value

    def buddyinfo(self):
        return self._text(self.lib.kh_buddyinfo)

    # ---- vmalloc / percpu ----
    def vmalloc(self, size):
        return self.lib.kh_vmalloc(self.kh, size) or 0

    def vzalloc(self, size):
        return self.lib.kh_vzalloc(self.kh, size) or 0

    def vfree(self, p):
        self.lib.kh_vfree(self.kh, p or None)

    def kvmalloc(self, size, gfp=spec.GFP_KERNEL):
        return self.lib.kh_kvmalloc(self.kh, size, gfp) or 0

    def kvfree(self, p):
        self.lib.kh_kvfree(self.kh, p or None)

    def vm_areas(self):
        out = []

        def cb(_ctx, ai):
            a = ai.contents
            out.append(VmArea(a.addr or 0, a.size, a.nr_pages,
                              tuple(a.pfns[i] for i in range(a.nr_pages))))
            return 0
        self.lib.kh_vmalloc_walk(self.kh, L.VM_WALK_FN(cb), None)
        return out

    def alloc_percpu(self, size, align=8, gfp=spec.GFP_KERNEL):
        return self.lib.kh___alloc_percpu_gfp(self.kh, size, align, gfp) or 0

    def free_percpu(self, p):
        self.lib.kh_free_percpu(self.kh, p or None)

    def per_cpu_ptr(self, p, cpu):
        return self.lib.kh_per_cpu_ptr(self.kh, p, cpu) or 0

    def nr_cpus(self):
        return self.lib.kh_nr_cpus(self.kh)

    def percpu_allocs(self):
        out = []

        def cb(_ctx, ai):
            a = ai.contents
            out.append(PercpuAlloc(a.ptr or 0, a.chunk, a.offset, a.size, a.rounded_size, a.align,
                                   a.unit_size, a.nr_cpus))
            return 0
        self.lib.kh_percpu_walk(self.kh, ctypes.cast(None, L.PCPU_CHUNK_FN), L.PCPU_ALLOC_FN(cb),
                                None)
        return out

    # ---- mempool (SPEC 8) ----
    # Elements are what the pool hands out: object addresses for kmalloc and
    # slab pools, struct page pointers for page pools (page_address() maps
    # them to memory).
    def mempool_create_kmalloc_pool(self, min_nr, size):
        return self.lib.kh_mempool_create_kmalloc_pool(self.kh, min_nr, size) or 0

    def mempool_create_slab_pool(self, min_nr, cache):
        return self.lib.kh_mempool_create_slab_pool(self.kh, min_nr, cache) or 0

    def mempool_create_page_pool(self, min_nr, order):
        return self.lib.kh_mempool_create_page_pool(self.kh, min_nr, order) or 0

    def mempool_alloc(self, pool, gfp=spec.GFP_KERNEL):
        return self.lib.kh_mempool_alloc(self.kh, pool, gfp) or 0

    def mempool_free(self, element, pool):
        self.lib.kh_mempool_free(self.kh, element or None, pool)

    def mempool_resize(self, pool, new_min_nr):
        return self.lib.kh_mempool_resize(self.kh, pool, new_min_nr)

    def mempool_destroy(self, pool):
        self.lib.kh_mempool_destroy(self.kh, pool or None)

    def mempools(self):
        """Every live pool with its reserve, in creation order."""
        pools, reserves = [], {}

        def on_pool(_ctx, pi):
            i = pi.contents
            pools.append((i.pool, i.index, i.min_nr, i.curr_nr, MEMPOOL_KINDS[i.kind],
                          i.element_size, i.pool_data or 0))
            reserves[i.pool] = []
            return 0

        def on_element(_ctx, pi, _index, element):
            reserves[pi.contents.pool].append(element or 0)
            return 0
        self.lib.kh_mempool_walk(self.kh, L.MEMPOOL_FN(on_pool), L.MEMPOOL_ELEMENT_FN(on_element),
                                 None)
        return [Mempool(*p, reserve=tuple(reserves[p[0]])) for p in pools]

    def mempool_info(self, pool):
        mi = L.KhMempoolInfo()
        assert self.lib.kh_mempool_get_info(self.kh, pool, byref(mi)) == 0, \
            f"{pool:#x} is not a live mempool"
        return Mempool(mi.pool, mi.index, mi.min_nr, mi.curr_nr, MEMPOOL_KINDS[mi.kind],
                       mi.element_size, mi.pool_data or 0)

    # ---- memblock (boot-time allocator) ----
    def boot_begin(self):
        return self.lib.kh_boot_begin(self.kh)

    def boot_end(self):
        return self.lib.kh_boot_end(self.kh)

    def boot_phase(self):
        return BOOT_PHASES[self.lib.kh_boot_phase(self.kh)]

    def memblock_alloc(self, size, align=0):
        return self.lib.kh_memblock_alloc(self.kh, size, align) or 0

    def memblock_free(self, addr, size):
        self.lib.kh_memblock_free(self.kh, addr or None, size)

    def memblock_info(self):
        mi = L.KhMemblockInfo()
        self.lib.kh_memblock_get_info(self.kh, byref(mi))
        return dict(phase=BOOT_PHASES[mi.phase], limit=mi.limit, reserved_bytes=mi.reserved_bytes,
                    nr_regions=mi.nr_regions, nr_allocs=mi.nr_allocs,
                    reserved_pages=mi.reserved_pages, handed_over_pages=mi.handed_over_pages)

    def memblock_reserved(self):
        """Reserved regions as (phys base, size) in address order."""
        out = []

        def cb(_ctx, base, size):
            out.append((base, size))
            return 0
        self.lib.kh_memblock_for_each_reserved(self.kh, L.MEMBLOCK_REGION_FN(cb), None)
        return out

    def virt_to_phys(self, addr):
        return self.lib.kh_virt_to_phys(self.kh, addr)
