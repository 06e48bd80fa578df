"""The allocator under test through its adapter (adapters/kh_adapter.h).

Every adapter library exports one `struct kh_adapter` under the symbol
`kh_adapter`: function pointers for the tiers it offers (object, page,
cache) plus what it declares about itself. This module mirrors that struct
with ctypes and wraps it in `Adapter`, whose methods take and return plain
ints (0 for NULL). Missing functions are None; `Adapter.require()` turns a
missing capability into a pytest skip that names it, so nothing is ever
silently passed.
"""
import ctypes
from ctypes import (CFUNCTYPE, POINTER, Structure, c_char, c_char_p, c_int, c_size_t, c_uint,
                    c_uint64, c_void_p)

ABI = 2
c_uintptr = ctypes.c_size_t

# capability bits and flags (kh_adapter.h)
CAP_FREE_NULL = 1 << 0
CAP_ZERO = 1 << 1
CAP_ALIGNED = 1 << 2
CAP_NATURAL_ALIGN = 1 << 3
CAP_REALLOC_NULL = 1 << 4
CAP_PAGE_ORDER_ALIGNED = 1 << 5
CAP_DETECTS_DOUBLE_FREE = 1 << 6
CAP_DETECTS_INVALID_FREE = 1 << 7
CAP_MISUSE_IGNORED = 1 << 8
CAP_MISUSE_UNDEFINED = 1 << 9
CAP_NO_ALIGN = 1 << 10
CAP_THREAD_SAFE = 1 << 11
CAP_NAMES = {
    CAP_FREE_NULL: "KH_CAP_FREE_NULL", CAP_ZERO: "KH_CAP_ZERO", CAP_ALIGNED: "KH_CAP_ALIGNED",
    CAP_NATURAL_ALIGN: "KH_CAP_NATURAL_ALIGN", CAP_REALLOC_NULL: "KH_CAP_REALLOC_NULL",
    CAP_PAGE_ORDER_ALIGNED: "KH_CAP_PAGE_ORDER_ALIGNED",
    CAP_DETECTS_DOUBLE_FREE: "KH_CAP_DETECTS_DOUBLE_FREE",
    CAP_DETECTS_INVALID_FREE: "KH_CAP_DETECTS_INVALID_FREE",
    CAP_MISUSE_IGNORED: "KH_CAP_MISUSE_IGNORED", CAP_MISUSE_UNDEFINED: "KH_CAP_MISUSE_UNDEFINED",
    CAP_NO_ALIGN: "KH_CAP_NO_ALIGN", CAP_THREAD_SAFE: "KH_CAP_THREAD_SAFE",
}
AF_ZERO = 0x1
AF_ATOMIC = 0x2
FAULT_OFF, FAULT_NTH, FAULT_FROM, FAULT_RANDOM = range(4)


class KhAdapterFault(Structure):
    _fields_ = [("mode", c_int), ("nth", c_uint64), ("percent", c_uint), ("seed", c_uint64)]


P = c_void_p


class _Object(Structure):
    _fields_ = [
        ("alloc", CFUNCTYPE(P, P, c_size_t, c_size_t, c_uint)),
        ("free", CFUNCTYPE(None, P, P)),
        ("realloc", CFUNCTYPE(P, P, P, c_size_t, c_uint)),
        ("usable_size", CFUNCTYPE(c_size_t, P, P)),
    ]


class _Page(Structure):
    _fields_ = [
        ("page_shift", c_uint),
        ("max_order", c_uint),
        ("alloc", CFUNCTYPE(P, P, c_uint, c_uint)),
        ("free", CFUNCTYPE(None, P, P, c_uint)),
        ("alloc_size", CFUNCTYPE(P, P, c_size_t, c_uint)),
        ("free_size", CFUNCTYPE(None, P, P, c_size_t)),
    ]


class _Cache(Structure):
    _fields_ = [
        ("create", CFUNCTYPE(P, P, c_char_p, c_size_t, c_size_t)),
        ("destroy", CFUNCTYPE(None, P, P)),
        ("alloc", CFUNCTYPE(P, P, P, c_uint)),
        ("free", CFUNCTYPE(None, P, P, P)),
        ("shrink", CFUNCTYPE(None, P, P)),
        ("object_size", CFUNCTYPE(c_size_t, P, P)),
    ]


class KhAdapter(Structure):
    _fields_ = [
        ("abi", c_uint),
        ("name", c_char_p),
        ("description", c_char_p),
        ("caps", c_uint),
        ("min_align", c_size_t),
        ("max_align", c_size_t),
        ("natural_align_max", c_size_t),
        ("max_size", c_size_t),
        ("zero_size_ptr", c_void_p),
        ("nofail_size", c_size_t),
        ("nofail_live", c_size_t),
        ("open", CFUNCTYPE(P, POINTER(c_char_p))),
        ("close", CFUNCTYPE(None, P)),
        ("reset", CFUNCTYPE(None, P)),
        ("object", _Object),
        ("page", _Page),
        ("cache", _Cache),
        ("fault_set", CFUNCTYPE(None, P, POINTER(KhAdapterFault))),
        ("faults_injected", CFUNCTYPE(c_uint64, P)),
        ("validate", CFUNCTYPE(c_int, P, POINTER(c_char), c_size_t)),
        ("arena", CFUNCTYPE(None, P, POINTER(c_uintptr), POINTER(c_uintptr))),
        ("misuse_reports", CFUNCTYPE(c_uint64, P)),
        ("bytes_in_use", CFUNCTYPE(c_size_t, P)),
        # ABI 2
        ("free_sized", CFUNCTYPE(None, P, P, c_size_t)),
        ("coalesce_size", c_size_t),
    ]


# What the black-box tests needed, for the end-of-run summary: declaration,
# tier or hook -> {"checked": tests that had it, "skipped": {reason: tests}}.
DECLARATION_LOG = {}


def _label(what):
    return CAP_NAMES[what] if isinstance(what, int) else what


def has_adapter(dll):
    try:
        KhAdapter.in_dll(dll, "kh_adapter")
        return True
    except ValueError:
        return False


def _fn(f):
    return f if f else None   # a NULL function pointer is falsy


class Adapter:
    """One opened adapter (its context) and the declarations it makes."""

    def __init__(self, dll, path="?"):
        try:
            a = KhAdapter.in_dll(dll, "kh_adapter")
        except ValueError:
            raise OSError(f"{path} exports no kh_adapter symbol") from None
        if a.abi != ABI:
            raise OSError(f"adapter in {path} was built against kh_adapter ABI {a.abi}; "
                          f"this binding speaks {ABI}")
        self.raw = a
        self.name = a.name.decode() if a.name else "?"
        self.description = a.description.decode() if a.description else ""
        self.caps = a.caps
        self.min_align = a.min_align
        self.max_align = a.max_align
        self.natural_align_max = a.natural_align_max
        self.max_size = a.max_size
        self.zero_size_ptr = a.zero_size_ptr or 0
        self.nofail_size = a.nofail_size
        self.nofail_live = a.nofail_live
        self.coalesce_size = a.coalesce_size
        self.page_shift = a.page.page_shift
        self.max_order = a.page.max_order
        self._alloc, self._free = _fn(a.object.alloc), _fn(a.object.free)
        self._free_sized = _fn(a.free_sized)
        self._realloc, self._usable = _fn(a.object.realloc), _fn(a.object.usable_size)
        self._palloc, self._pfree = _fn(a.page.alloc), _fn(a.page.free)
        self._palloc_size, self._pfree_size = _fn(a.page.alloc_size), _fn(a.page.free_size)
        self._ccreate, self._cdestroy = _fn(a.cache.create), _fn(a.cache.destroy)
        self._calloc, self._cfree = _fn(a.cache.alloc), _fn(a.cache.free)
        self._cshrink, self._csize = _fn(a.cache.shrink), _fn(a.cache.object_size)
        self._fault_set, self._injected = _fn(a.fault_set), _fn(a.faults_injected)
        self._validate, self._arena = _fn(a.validate), _fn(a.arena)
        self._reports, self._in_use = _fn(a.misuse_reports), _fn(a.bytes_in_use)
        self._reset, self._close = _fn(a.reset), _fn(a.close)
        self.ctx = None
        if a.open:
            err = c_char_p()
            self.ctx = a.open(ctypes.byref(err))
            if not self.ctx:
                reason = err.value.decode() if err.value else "(no reason given)"
                raise OSError(f"adapter '{self.name}': open failed: {reason}")

    # ---- what is offered ----
    @property
    def tiers(self):
        t = []
        if self._alloc and (self._free or self._free_sized):
            t.append("object")
        if self._palloc and self._pfree:
            t.append("page")
        if self._ccreate and self._calloc:
            t.append("cache")
        return t

    def has_cap(self, cap):
        return bool(self.caps & cap)

    def missing(self, what):
        """Why `what` cannot be tested, or None. `what` is a tier name, a
        hook name or a KH_CAP_* bit."""
        if isinstance(what, int):
            return None if self.caps & what else f"{CAP_NAMES[what]} not declared"
        if what in ("object", "page", "cache"):
            return None if what in self.tiers else f"no {what} tier"
        hooks = {
            "realloc": self._realloc, "usable_size": self._usable, "fault": self._fault_set,
            "validate": self._validate, "arena": self._arena, "misuse_reports": self._reports,
            "bytes_in_use": self._in_use, "reset": self._reset, "page_size_api": self._palloc_size,
            "shrink": self._cshrink, "object_size": self._csize,
            "max_size": self.max_size, "min_align": self.min_align > 1,
            "nofail": self.nofail_size and self.nofail_live,
            "coalesce_size": self.coalesce_size,
        }
        return None if hooks[what] else f"no {what} declared or offered"

    def require(self, *whats):
        import pytest
        for w in whats:
            why = self.missing(w)
            entry = DECLARATION_LOG.setdefault(_label(w), {"checked": 0, "skipped": {}})
            if why:
                entry["skipped"][why] = entry["skipped"].get(why, 0) + 1
                pytest.skip(f"adapter '{self.name}': {why}")
            entry["checked"] += 1

    # ---- tier (a) ----
    def alloc(self, size, align=0, flags=0):
        return self._alloc(self.ctx, size, align, flags) or 0

    def free(self, p, size=0):
        """Through free_sized when offered (size: what was requested)."""
        if self._free_sized:
            self._free_sized(self.ctx, p or None, size)
        else:
            self._free(self.ctx, p or None)

    def nofail_covers(self, size, live):
        """True when the declarations promise that this request succeeds."""
        return bool(self.nofail_size and size <= self.nofail_size and live + size <= self.nofail_live)

    def realloc(self, p, size, flags=0):
        return self._realloc(self.ctx, p or None, size, flags) or 0

    def usable_size(self, p):
        return self._usable(self.ctx, p)

    # ---- tier (b) ----
    def page_alloc(self, order, flags=0):
        return self._palloc(self.ctx, order, flags) or 0

    def page_free(self, p, order):
        self._pfree(self.ctx, p or None, order)

    def pages_exact(self, size, flags=0):
        return self._palloc_size(self.ctx, size, flags) or 0

    def free_pages_exact(self, p, size):
        self._pfree_size(self.ctx, p, size)

    # ---- tier (c) ----
    def cache_create(self, name, size, align=0):
        return self._ccreate(self.ctx, name.encode(), size, align) or 0

    def cache_destroy(self, c):
        self._cdestroy(self.ctx, c)

    def cache_alloc(self, c, flags=0):
        return self._calloc(self.ctx, c, flags) or 0

    def cache_free(self, c, p):
        self._cfree(self.ctx, c, p)

    def cache_shrink(self, c):
        self._cshrink(self.ctx, c)

    def cache_object_size(self, c):
        return self._csize(self.ctx, c)

    # ---- hooks ----
    def fault(self, mode, nth=0, percent=0, seed=0):
        f = KhAdapterFault(mode, nth, percent, seed)
        self._fault_set(self.ctx, ctypes.byref(f))

    def faults_injected(self):
        return self._injected(self.ctx)

    def validate(self):
        """None when consistent, else the allocator's message."""
        buf = ctypes.create_string_buffer(512)
        if self._validate(self.ctx, buf, len(buf)):
            return buf.value.decode(errors="replace")
        return None

    def arena(self):
        lo, hi = c_uintptr(), c_uintptr()
        self._arena(self.ctx, ctypes.byref(lo), ctypes.byref(hi))
        return lo.value, hi.value

    def misuse_reports(self):
        return self._reports(self.ctx)

    def bytes_in_use(self):
        return self._in_use(self.ctx)

    def reset(self):
        if self._reset:
            self._reset(self.ctx)

    def close(self):
        if self._close:
            self._close(self.ctx)
        self.ctx = None


# ---- memory helpers (addresses are ints) ----

def write(p, data):
    ctypes.memmove(p, data, len(data))


def read(p, n):
    return ctypes.string_at(p, n)
