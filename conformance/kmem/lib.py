"""Loading the allocator library and declaring its C interface for ctypes.

Which library: $KMEM_LIB when set (this is the seam for testing another
allocator, issue 10), else the Bazel-built reference found through the
runfiles tree, else bazel-bin/allocator/libkmem_ref.so under the repository
root (for `python3 -m pytest conformance/` after `bazel build`).

Symbols are looked up one by one and grouped into capabilities ("kmalloc",
"slab", "pages", ...). A library that lacks a group still loads; tests that
need the group skip with a reason naming it, so an allocator that only
offers part of the API is tested on that part and the rest shows as skipped,
never as passed.
"""
import ctypes
import os
from ctypes import (CFUNCTYPE, POINTER, Structure, c_bool, c_char, c_char_p, c_int, c_size_t,
                    c_uint, c_uint32, c_uint64, c_ulong, c_void_p)
from pathlib import Path

c_uintptr = ctypes.c_size_t
LIB_NAME = "libkmem_ref.so"
WORKSPACE = "kmem_harness"
MAX_NR_ZONES = 4
KH_MAX_ORDER_LIMIT = 20


# ---- structures (layouts mirror the public headers) -------------------------

class KhConfig(Structure):
    _fields_ = [
        ("profile", c_char_p),
        ("page_shift", c_uint),
        ("max_order", c_uint),
        ("zone_bytes", c_uint64 * MAX_NR_ZONES),
        ("nr_cpus", c_uint),
        ("slab", c_int),
        ("cache_line", c_uint),
        ("arch_kmalloc_minalign", c_uint),
        ("min_free_kbytes", c_uint),
        ("watermark_scale_factor", c_uint),
        ("slab_nomerge", c_bool),
        ("slub_debug", c_char * 32),
        ("quarantine_objects", c_uint),
        ("kernel", c_int),
    ]


class KhReport(Structure):
    _fields_ = [
        ("severity", c_int),
        ("cls", c_int),
        ("subsystem", c_char_p),
        ("reason", c_char_p),
        ("text", c_char_p),
        ("addr", c_uintptr),
    ]


class KhViolation(Structure):
    _fields_ = [
        ("subsystem", c_char_p),
        ("invariant", c_char_p),
        ("detail", c_char * 200),
        ("addr", c_uintptr),
    ]


class KhViolations(Structure):
    _fields_ = [("v", POINTER(KhViolation)), ("n", c_uint), ("cap", c_uint)]


class KhFaultConfig(Structure):
    _fields_ = [
        ("mode", c_int),
        ("domains", c_uint),
        ("nth", c_uint64),
        ("percent", c_uint),
        ("seed", c_uint64),
        ("min_order", c_uint),
    ]


class KhBlockInfo(Structure):
    _fields_ = [("zone", c_int), ("order", c_uint), ("pfn", c_ulong), ("lazy", c_bool)]


class KhZoneInfo(Structure):
    _fields_ = [
        ("name", c_char_p),
        ("type", c_int),
        ("present", c_bool),
        ("start_pfn", c_ulong),
        ("end_pfn", c_ulong),
        ("managed", c_ulong),
        ("free", c_ulong),
        ("wmark_min", c_ulong),
        ("wmark_low", c_ulong),
        ("wmark_high", c_ulong),
        ("lowmem_reserve", c_ulong * MAX_NR_ZONES),
        ("nr_free", c_ulong * KH_MAX_ORDER_LIMIT),
        ("lazy_pfn", c_ulong),
        ("lazy_end", c_ulong),
    ]


class KhCacheInfo(Structure):
    _fields_ = [
        ("cache", c_void_p),
        ("name", c_char_p),
        ("design", c_char_p),
        ("object_size", c_uint),
        ("size", c_uint),
        ("align", c_uint),
        ("offset", c_uint),
        ("inuse", c_uint),
        ("red_left_pad", c_uint),
        ("order", c_uint),
        ("objects_per_slab", c_uint),
        ("min_partial", c_uint),
        ("ksize", c_uint),
        ("flags", c_uint),
        ("has_ctor", c_bool),
        ("is_kmalloc", c_bool),
        ("dead", c_bool),
        ("refcount", c_uint),
        ("nr_slabs", c_ulong),
        ("nr_objects", c_ulong),
        ("nr_inuse", c_ulong),
        ("nr_partial", c_ulong),
        ("nr_full", c_ulong),
        ("nr_free", c_ulong),
        ("errors", c_ulong),
        ("colour_off", c_uint),
        ("colour", c_uint),
    ]


class KhSlabInfo(Structure):
    _fields_ = [
        ("base", c_uintptr),
        ("order", c_uint),
        ("objects", c_uint),
        ("inuse", c_uint),
        ("quarantined", c_uint),
        ("free", c_uint),
        ("list", c_int),
        ("cpu", c_int),
        ("colour_off", c_uint),
    ]


class KhObjectInfo(Structure):
    _fields_ = [
        ("addr", c_uintptr),
        ("index", c_uint),
        ("state", c_int),
        ("requested", c_uint),
        ("alloc_caller", c_uintptr),
        ("free_caller", c_uintptr),
        ("alloc_cpu", c_uint),
        ("free_cpu", c_uint),
    ]


class KhVmAreaInfo(Structure):
    _fields_ = [
        ("addr", c_void_p),
        ("size", c_ulong),
        ("nr_pages", c_ulong),
        ("pfns", POINTER(c_uint32)),
        ("gfp", c_uint),
    ]


class KhVmallocStats(Structure):
    _fields_ = [
        ("va_start", c_void_p),
        ("va_pages", c_ulong),
        ("va_hwm_pages", c_ulong),
        ("nr_areas", c_ulong),
        ("nr_pages", c_ulong),
    ]


class KhPercpuChunkInfo(Structure):
    _fields_ = [
        ("index", c_uint),
        ("base", c_void_p),
        ("unit_size", c_size_t),
        ("nr_units", c_uint),
        ("first_pfn", c_ulong),
        ("order", c_uint),
        ("nr_allocs", c_ulong),
        ("used_bytes", c_size_t),
    ]


class KhPercpuAllocInfo(Structure):
    _fields_ = [
        ("ptr", c_void_p),
        ("chunk", c_uint),
        ("offset", c_size_t),
        ("size", c_size_t),
        ("rounded_size", c_size_t),
        ("align", c_size_t),
        ("unit_size", c_size_t),
        ("nr_cpus", c_uint),
    ]


class KhPercpuStats(Structure):
    _fields_ = [
        ("nr_chunks", c_ulong),
        ("nr_allocs", c_ulong),
        ("used_bytes", c_size_t),
        ("preempt_count", c_uint),
    ]


class KhMempoolInfo(Structure):
    _fields_ = [
        ("pool", c_void_p),
        ("index", c_uint),
        ("min_nr", c_int),
        ("curr_nr", c_int),
        ("kind", c_int),
        ("element_size", c_size_t),
        ("pool_data", c_void_p),
        ("threaded", c_bool),
        ("waiters", c_uint),
    ]


class KhMemblockInfo(Structure):
    _fields_ = [
        ("phase", c_int),
        ("limit", c_uint64),
        ("reserved_bytes", c_uint64),
        ("nr_regions", c_ulong),
        ("nr_allocs", c_ulong),
        ("reserved_pages", c_ulong),
        ("handed_over_pages", c_ulong),
    ]


BLOCK_FN = CFUNCTYPE(c_int, c_void_p, POINTER(KhBlockInfo))
CACHE_FN = CFUNCTYPE(c_int, c_void_p, POINTER(KhCacheInfo))
SLAB_FN = CFUNCTYPE(c_int, c_void_p, POINTER(KhSlabInfo))
OBJECT_FN = CFUNCTYPE(c_int, c_void_p, POINTER(KhObjectInfo))
VM_WALK_FN = CFUNCTYPE(c_int, c_void_p, POINTER(KhVmAreaInfo))
PCPU_CHUNK_FN = CFUNCTYPE(c_int, c_void_p, POINTER(KhPercpuChunkInfo))
PCPU_ALLOC_FN = CFUNCTYPE(c_int, c_void_p, POINTER(KhPercpuAllocInfo))
CTOR_FN = CFUNCTYPE(None, c_void_p)
REPORT_FN = CFUNCTYPE(None, c_void_p, POINTER(KhReport))
MEMPOOL_FN = CFUNCTYPE(c_int, c_void_p, POINTER(KhMempoolInfo))
MEMPOOL_ELEMENT_FN = CFUNCTYPE(c_int, c_void_p, POINTER(KhMempoolInfo), c_int, c_void_p)
MEMBLOCK_REGION_FN = CFUNCTYPE(c_int, c_void_p, c_uint64, c_uint64)

P = c_void_p  # struct kh *, struct page *, struct kmem_cache *, object pointers

# name -> (restype, argtypes), grouped by capability.
CAPABILITIES = {
    "core": {
        "kh_profile_config": (c_int, [c_char_p, POINTER(KhConfig)]),
        "kh_profile_names": (POINTER(c_char_p), []),
        "kh_profile_description": (c_char_p, [c_char_p]),
        "kh_config_check": (c_char_p, [POINTER(KhConfig)]),
        "kh_create": (P, [POINTER(KhConfig), POINTER(c_char_p)]),
        "kh_destroy": (None, [P]),
        "kh_reset": (None, [P]),
        "kh_set_cpu": (None, [P, c_uint]),
        "kh_current_cpu": (c_uint, [P]),
        "kh_set_report_mode": (None, [P, c_int]),
        "kh_set_report_quiet": (None, [P, c_bool]),
        "kh_report_count": (c_uint, [P, c_int]),
        "kh_report_count_class": (c_uint, [P, c_int]),
        "kh_report_get": (POINTER(KhReport), [P, c_uint]),
        "kh_reports_clear": (None, [P]),
    },
    "report-hook": {
        "kh_set_report_hook": (None, [P, REPORT_FN, c_void_p]),
    },
    "fault": {
        "kh_fault_set": (None, [P, POINTER(KhFaultConfig)]),
        "kh_fault_clear": (None, [P]),
        "kh_fault_attempts": (c_uint64, [P]),
        "kh_fault_injected": (c_uint64, [P]),
    },
    "validate": {
        "kh_validate": (c_uint, [P, POINTER(KhViolations)]),
        "kh_violations_free": (None, [POINTER(KhViolations)]),
    },
    "pages": {
        "kh_page_size": (c_ulong, [P]),
        "kh_page_shift": (c_uint, [P]),
        "kh_max_order": (c_uint, [P]),
        "kh_get_order": (c_int, [P, c_ulong]),
        "kh_alloc_pages": (P, [P, c_uint, c_uint]),
        "kh___free_pages": (None, [P, P, c_uint]),
        "kh___get_free_pages": (c_ulong, [P, c_uint, c_uint]),
        "kh_get_zeroed_page": (c_ulong, [P, c_uint]),
        "kh_free_pages": (None, [P, c_ulong, c_uint]),
        "kh_page_address": (P, [P, P]),
        "kh_virt_to_page": (P, [P, P]),
        "kh_page_to_pfn": (c_ulong, [P, P]),
        "kh_pfn_to_page": (P, [P, c_ulong]),
        "kh_addr_in_arena": (c_bool, [P, P]),
        "kh_total_pages": (c_ulong, [P]),
        "kh_nr_free_pages": (c_ulong, [P]),
        "kh_zone_free_pages": (c_ulong, [P, c_int]),
    },
    "page-introspect": {
        "kh_page_validate": (c_uint, [P, POINTER(KhViolations)]),
        "kh_for_each_free_block": (c_int, [P, BLOCK_FN, c_void_p]),
        "kh_for_each_allocated_block": (c_int, [P, BLOCK_FN, c_void_p]),
        "kh_zone_info": (c_int, [P, c_int, POINTER(KhZoneInfo)]),
        "kh_min_free_kbytes": (c_ulong, [P]),
        "kh_page_state": (c_int, [P, c_ulong, POINTER(c_ulong), POINTER(c_uint)]),
        "kh_buddyinfo": (c_int, [P, ctypes.c_char_p, c_size_t]),
    },
    "kmalloc": {
        "kh_kmalloc_max_size": (c_size_t, [P]),
        "kh_kmalloc_max_cache_size": (c_size_t, [P]),
        "kh_kmalloc_min_size": (c_size_t, [P]),
        "kh_kmalloc_shift_low": (c_uint, [P]),
        "kh_kmalloc_shift_high": (c_uint, [P]),
        "kh_kmalloc_shift_max": (c_uint, [P]),
        "kh_kmalloc_index": (c_int, [P, c_size_t]),
        "kh_kmalloc_index_size": (c_size_t, [P, c_int]),
        "kh_kmalloc": (P, [P, c_size_t, c_uint]),
        "kh_kzalloc": (P, [P, c_size_t, c_uint]),
        "kh_kmalloc_node": (P, [P, c_size_t, c_uint, c_int]),
        "kh_kmalloc_array": (P, [P, c_size_t, c_size_t, c_uint]),
        "kh_kcalloc": (P, [P, c_size_t, c_size_t, c_uint]),
        "kh_krealloc": (P, [P, P, c_size_t, c_uint]),
        "kh_krealloc_array": (P, [P, P, c_size_t, c_size_t, c_uint]),
        "kh_kfree": (None, [P, P]),
        "kh_kfree_sensitive": (None, [P, P]),
        "kh_ksize": (c_size_t, [P, P]),
        "kh_kmalloc_size_roundup": (c_size_t, [P, c_size_t]),
        "kh_kmemdup": (P, [P, P, c_size_t, c_uint]),
        "kh_kstrdup": (P, [P, c_char_p, c_uint]),
        "kh_kmalloc_cache": (P, [P, c_size_t, c_uint]),
    },
    "slab": {
        "kh_kmem_cache_create": (P, [P, c_char_p, c_uint, c_uint, c_uint, c_void_p]),
        "kh_kmem_cache_destroy": (None, [P, P]),
        "kh_kmem_cache_alloc": (P, [P, P, c_uint]),
        "kh_kmem_cache_zalloc": (P, [P, P, c_uint]),
        "kh_kmem_cache_free": (None, [P, P, P]),
        "kh_kmem_cache_alloc_bulk": (c_int, [P, P, c_uint, c_size_t, POINTER(c_void_p)]),
        "kh_kmem_cache_free_bulk": (None, [P, P, c_size_t, POINTER(c_void_p)]),
        "kh_kmem_cache_shrink": (c_int, [P, P]),
        "kh_kmem_cache_size": (c_uint, [P, P]),
        "kh_slab_errors": (c_ulong, [P]),
    },
    "slab-introspect": {
        "kh_slabinfo": (c_int, [P, ctypes.c_char_p, c_size_t]),
        "kh_for_each_cache": (c_int, [P, CACHE_FN, c_void_p]),
        "kh_slab_find_cache": (P, [P, c_char_p]),
        "kh_slab_cache_info": (c_int, [P, P, POINTER(KhCacheInfo)]),
        "kh_for_each_slab": (c_int, [P, P, SLAB_FN, c_void_p]),
        "kh_for_each_object": (c_int, [P, P, c_uintptr, OBJECT_FN, c_void_p]),
        "kh_slab_object_lookup": (c_int, [P, P, POINTER(KhObjectInfo), POINTER(c_void_p)]),
        "kh_slab_validate": (c_uint, [P, POINTER(KhViolations)]),
    },
    "slab-debug": {
        "kh_kmem_cache_validate": (c_uint, [P, P]),
    },
    "mempool": {
        "kh_mempool_create_kmalloc_pool": (P, [P, c_int, c_size_t]),
        "kh_mempool_create_slab_pool": (P, [P, c_int, P]),
        "kh_mempool_create_page_pool": (P, [P, c_int, c_int]),
        "kh_mempool_alloc": (P, [P, P, c_uint]),
        "kh_mempool_free": (None, [P, P, P]),
        "kh_mempool_resize": (c_int, [P, P, c_int]),
        "kh_mempool_destroy": (None, [P, P]),
        "kh_mempool_get_info": (c_int, [P, P, POINTER(KhMempoolInfo)]),
        "kh_mempool_walk": (c_int, [P, MEMPOOL_FN, MEMPOOL_ELEMENT_FN, c_void_p]),
        "kh_mempool_count": (c_uint, [P]),
        "kh_mempool_validate": (c_uint, [P, POINTER(KhViolations)]),
    },
    "memblock": {
        "kh_boot_begin": (c_int, [P]),
        "kh_boot_end": (c_int, [P]),
        "kh_boot_phase": (c_int, [P]),
        "kh_memblock_alloc": (P, [P, c_uint64, c_uint64]),
        "kh_memblock_alloc_raw": (P, [P, c_uint64, c_uint64]),
        "kh_memblock_phys_alloc": (c_uint64, [P, c_uint64, c_uint64]),
        "kh_memblock_free": (None, [P, P, c_size_t]),
        "kh_memblock_free_late": (None, [P, c_uint64, c_uint64]),
        "kh_memblock_get_info": (None, [P, POINTER(KhMemblockInfo)]),
        "kh_memblock_for_each_reserved": (c_int, [P, MEMBLOCK_REGION_FN, c_void_p]),
        "kh_memblock_validate": (c_uint, [P, POINTER(KhViolations)]),
        "kh_virt_to_phys": (c_uint64, [P, P]),
        "kh_phys_to_virt": (P, [P, c_uint64]),
    },
    "vmalloc": {
        "kh_vmalloc": (P, [P, c_ulong]),
        "kh_vzalloc": (P, [P, c_ulong]),
        "kh___vmalloc": (P, [P, c_ulong, c_uint]),
        "kh_vfree": (None, [P, P]),
        "kh_is_vmalloc_addr": (c_bool, [P, P]),
        "kh_kvmalloc": (P, [P, c_size_t, c_uint]),
        "kh_kvfree": (None, [P, P]),
        "kh_vmalloc_size": (c_size_t, [P, P]),
        "kh_vmalloc_walk": (c_ulong, [P, VM_WALK_FN, c_void_p]),
        "kh_vmalloc_get_stats": (None, [P, POINTER(KhVmallocStats)]),
    },
    "percpu": {
        "kh___alloc_percpu": (P, [P, c_size_t, c_size_t]),
        "kh___alloc_percpu_gfp": (P, [P, c_size_t, c_size_t, c_uint]),
        "kh_free_percpu": (None, [P, P]),
        "kh_per_cpu_ptr": (P, [P, P, c_uint]),
        "kh_nr_cpus": (c_uint, [P]),
        "kh_percpu_max_size": (c_size_t, [P]),
        "kh_percpu_unit_size": (c_size_t, [P]),
        "kh_percpu_walk": (c_ulong, [P, PCPU_CHUNK_FN, PCPU_ALLOC_FN, c_void_p]),
        "kh_percpu_get_stats": (None, [P, POINTER(KhPercpuStats)]),
    },
}


class Library:
    """A loaded allocator library and the capability groups it provides."""

    def __init__(self, path):
        self.path = str(path)
        try:
            self.dll = ctypes.CDLL(self.path)
        except OSError as e:
            if "static TLS" not in str(e):
                raise
            # jemalloc and tcmalloc use initial-exec TLS, which a library
            # loaded after start-up can only get from glibc's surplus.
            raise OSError(f"{e}; start Python with GLIBC_TUNABLES="
                          f"glibc.rtld.optional_static_tls=16384 (the Bazel py_tests do)") from None
        self.capabilities = set()
        self.missing = {}
        for cap, functions in CAPABILITIES.items():
            absent = []
            for name, (restype, argtypes) in functions.items():
                try:
                    fn = getattr(self.dll, name)
                except AttributeError:
                    absent.append(name)
                    continue
                fn.restype = restype
                fn.argtypes = argtypes
            if absent:
                self.missing[cap] = absent
            else:
                self.capabilities.add(cap)
        # An allocator under test other than the reference offers only the
        # adapter (adapters/kh_adapter.h): the black-box tests run on it.
        from .adapter import has_adapter
        self.is_adapter = has_adapter(self.dll)
        if "core" not in self.capabilities and not self.is_adapter:
            raise OSError(f"{self.path} lacks the core instance API ({self.missing['core']}) "
                          f"and exports no kh_adapter")

    def has(self, cap):
        return cap in self.capabilities

    def why_missing(self, cap):
        names = self.missing.get(cap, [])
        return f"{os.path.basename(self.path)} does not provide '{cap}' ({', '.join(names[:3])} ...)"

    def __getattr__(self, name):
        return getattr(self.dll, name)


def _runfiles_candidates():
    for var in ("RUNFILES_DIR", "TEST_SRCDIR"):
        root = os.environ.get(var)
        if root:
            yield Path(root) / WORKSPACE / "allocator" / LIB_NAME


def find_library():
    """Path of the library to test (see the module docstring for the order)."""
    explicit = os.environ.get("KMEM_LIB")
    if explicit:
        if not Path(explicit).exists():
            raise FileNotFoundError(f"KMEM_LIB={explicit} does not exist")
        return Path(explicit)
    repo = Path(__file__).resolve().parents[2]
    here = Path(__file__).absolute().parents[2]   # the runfiles tree, if symlinked
    candidates = list(_runfiles_candidates())
    candidates += [here / "allocator" / LIB_NAME, repo / "bazel-bin" / "allocator" / LIB_NAME,
                   here / "bazel-bin" / "allocator" / LIB_NAME,
                   # bazel-bin follows the last build's configuration; the default one:
                   repo / "bazel-out" / "k8-fastbuild" / "bin" / "allocator" / LIB_NAME]
    for c in candidates:
        if c.exists():
            return c
    raise FileNotFoundError(
        "allocator library not found; run `bazel build //allocator:libkmem_ref.so` or set "
        "KMEM_LIB. Looked at: " + ", ".join(str(c) for c in candidates))


_LIB = None


def load():
    """The process-wide Library (loaded once)."""
    global _LIB
    if _LIB is None:
        _LIB = Library(find_library())
    return _LIB


_ADAPTER = None


def load_adapter():
    """The library's kh_adapter, opened once per process (its `reset`
    returns it to the opened state between tests)."""
    global _ADAPTER
    if _ADAPTER is None:
        from .adapter import Adapter
        lib = load()
        _ADAPTER = Adapter(lib.dll, lib.path)
    return _ADAPTER
