"""The misuse catalogue: every KASAN bug class of SPEC 7, every slub_kunit
case of SPEC 6 and the misuse SPEC 2, 4, 5 and 9 name, each performed
through the allocator in a child process, with the detection it must get.

A case is a scenario (a function of a child context `x`) and an Expect:
  by       "asan"      AddressSanitizer reports the access (the child loads
                       the ASan build of the allocator, runtime preloaded);
           "allocator" the allocator reports it through its report hook
                       (BUG or WARN, in the kernel's words);
           "none"      nothing may be reported (the "must not report" cases).
  kind     use-after-free, out-of-bounds, double-free, invalid-free,
           wrong-cache, redzone, poison, freelist, leak.
  region / offset
           where the report points, relative to a region the scenario
           names: for ASan the reported address (the first bad byte for
           libc range functions, the access itself otherwise); for the
           allocator the report's address.
  access   ("READ"|"WRITE", size) of the ASan report.
  reason   the allocator report's stable title ("Object already free").

How a detection is classified, independently of the expectation:
  * ASan: the region containing the address is described by the allocator
    just before the access (slab object state, page block state, vmalloc
    area, mempool reserve). A free, quarantined, unmapped or reserve-held
    region makes it a use-after-free; bytes outside a live region's
    requested size make it out-of-bounds; a report inside the requested
    bytes of a live region is a false positive.
  * allocator: the report's reason names the kind (REASON_KINDS); a
    "freed object" reason raised by an operation that does not free
    (krealloc, ksize) is a use-after-free, as KASAN calls it.

The child prints one JSON object per line on stdout (regions, reports as
they are made, values, failed checks, "done"); ASan prints its report on
stderr. Run one case by hand with
    python3 -m kmem.misuse CASE          (from conformance/, KMEM_LIB set)
"""
import ctypes
import json
import os
import subprocess
import sys
from dataclasses import dataclass, field

from . import asan as A
from . import spec

DEFAULT_PROFILE = "linux-6.1-x86_64-16m"   # the default profile's classes, a small arena

KINDS = ["use-after-free", "out-of-bounds", "double-free", "invalid-free", "wrong-cache",
         "redzone", "poison", "freelist", "leak"]

REASON_KINDS = {
    "Object already free": "double-free",
    "double free": "double-free",
    "element already in reserve": "double-free",
    "double destroy": "double-free",
    "invalid free": "invalid-free",
    "Invalid object pointer": "invalid-free",
    "Not a kmalloc allocation": "invalid-free",
    "vfree nonexistent vm area": "invalid-free",
    "vfree bad address": "invalid-free",
    "free_percpu invalid pointer": "invalid-free",
    "Wrong slab cache": "wrong-cache",
    "Left Redzone overwritten": "redzone",
    "Right Redzone overwritten": "redzone",
    "kmalloc Redzone overwritten": "redzone",
    "Poison overwritten": "poison",
    "End Poison overwritten": "poison",
    "Freepointer corrupt": "freelist",
    "Freechain corrupt": "freelist",
    "Freelist cycle detected": "freelist",
    "Objects remaining on __kmem_cache_shutdown()": "leak",
    "Slab cache still has objects": "leak",
}
# Operations that free: a "freed object" report from any other operation is
# a use of freed memory, not a second free.
FREE_OPS = {"kfree", "kfree_sensitive", "cache_free", "cache_free_bulk", "mempool_free",
            "free_pages", "vfree", "kvfree", "free_percpu", "cache_destroy"}
FREED_STATES = {"free", "quarantined", "in-reserve", "free-pages", "unmapped"}


@dataclass(frozen=True)
class Expect:
    by: str
    kind: str = None
    region: str = None
    offset: int = None
    access: tuple = None
    reason: str = None
    text: str = None                 # a substring of the allocator report
    values: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Case:
    name: str
    source: str       # "KASAN", "slub_kunit", "SPEC 2", ...
    title: str
    scenario: object
    expect: Expect
    profile: str = DEFAULT_PROFILE
    overrides: tuple = ()

    @property
    def needs_asan(self):
        """ASan cases and the must-not-report ones run on the ASan build
        (ASan has to stay quiet too); allocator cases on the library under
        test."""
        return self.expect.by in ("asan", "none")


CATALOGUE = []
RESULTS = []   # (case, expected, detected, "pass"/"FAIL"), filled by the tests for the summary


def case(name, source, title, expect, profile=DEFAULT_PROFILE, **overrides):
    def register(fn):
        assert name not in {c.name for c in CATALOGUE}, f"duplicate case {name}"
        assert expect.kind is None or expect.kind in KINDS, expect.kind
        CATALOGUE.append(Case(name, source, title, fn, expect, profile,
                              tuple(sorted(overrides.items()))))
        return fn
    return register


def asan(kind, region, offset, access=None):
    return Expect("asan", kind, region, offset, access)


def alloc(kind, reason, region=None, offset=None, text=None, **values):
    return Expect("allocator", kind, region, offset, None, reason, text, values)


def clean(**values):
    return Expect("none", values=values)


# ==== the child side ==========================================================

class Child:
    """What a scenario sees: the allocator (`x.kh`, reports tagged with the
    method that raised them), ASan-checked accesses, libc functions, and
    ways to tell the parent about regions, values and failed checks."""

    def __init__(self, profile, overrides, out=sys.stdout):
        from .instance import Kh
        self.out = out
        self.op = None
        self.raw = Kh(profile, **dict(overrides))
        self.raw.set_report_hook(self._on_report)
        self.kh = _Tagged(self.raw, self)
        self.libc = ctypes.CDLL(None)
        v, sz, i = ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int
        for name, res, args in [("memset", v, [v, i, sz]), ("memmove", v, [v, v, sz]),
                                ("memchr", v, [v, i, sz]), ("memcmp", i, [v, v, sz]),
                                ("strlen", sz, [v]), ("strnlen", sz, [v, sz]),
                                ("strchr", v, [v, i]), ("strrchr", v, [v, i]),
                                ("strcmp", i, [v, ctypes.c_char_p]),
                                ("strncmp", i, [v, ctypes.c_char_p, sz])]:
            fn = getattr(self.libc, name)
            fn.restype, fn.argtypes = res, args
        self._asan = {}
        if A.preloaded():
            for name in ("__asan_loadN", "__asan_storeN"):
                fn = getattr(self.libc, name)
                fn.restype, fn.argtypes = None, [ctypes.c_size_t, ctypes.c_size_t]
                self._asan[name] = fn

    def emit(self, event, **kw):
        self.out.write(json.dumps({"event": event, **kw}) + "\n")
        self.out.flush()

    def _on_report(self, r):
        self.emit("report", severity=r.severity, cls=r.cls, subsystem=r.subsystem,
                  reason=r.reason, addr=r.addr, op=self.op, text=r.text)

    # ---- telling the parent ----
    def region(self, name, addr, size):
        """Describes [addr, addr + size) as the allocator sees it now."""
        self.emit("region", name=name, start=addr, size=size, **self.describe(addr))

    def value(self, name, v):
        self.emit("value", name=name, value=v)

    def check(self, cond, msg):
        if not cond:
            self.emit("check-failed", message=msg)

    # ---- memory accesses ----
    def load(self, addr, n=1):
        """A read of n bytes, checked as compiled code would be (ASan
        reports the access's address), then performed."""
        if self._asan:
            self._asan["__asan_loadN"](addr, n)
        return ctypes.string_at(addr, n)

    def store(self, addr, n=1, byte=0x5A):
        if self._asan:
            self._asan["__asan_storeN"](addr, n)
        self.poke(addr, bytes([byte]) * n)

    # Unchecked accesses (Kh.fill_unchecked): the kernel's slub_kunit
    # disables KASAN for its scribbles the same way.
    @staticmethod
    def poke(addr, data):
        if isinstance(data, int):
            data = bytes([data])
        (ctypes.c_ubyte * len(data)).from_address(addr)[:] = list(data)

    @staticmethod
    def peek(addr, n=1):
        return bytes((ctypes.c_ubyte * n).from_address(addr)[:])

    # ---- the allocator's view of an address ----
    def describe(self, addr):
        kh = self.raw
        if kh.has("mempool"):
            for pool in kh.mempools():
                for e in pool.reserve:
                    base = kh.page_address(e) if pool.kind == "page" else e
                    if base <= addr < base + max(pool.element_size, 1):
                        return dict(what=f"element in the reserve of a {pool.kind} mempool",
                                    base=base, state="in-reserve")
        hit = kh.object_lookup(addr)
        if hit:
            cache, obj = hit
            ci = kh.cache_info(cache)
            return dict(what=f"{ci.name} object", base=obj.addr, state=obj.state, usable=ci.ksize)
        if kh.lib.kh_addr_in_arena(kh.kh, addr):
            state, head, order = kh.page_state(kh.pfn(addr))
            base = kh.page_address(kh.lib.kh_pfn_to_page(kh.kh, head))
            st = "allocated" if state.startswith("alloc") else "free-pages"
            return dict(what=f"order-{order} page block ({state})", base=base, state=st,
                        usable=kh.page_size << order)
        if kh.has("vmalloc") and kh.lib.kh_is_vmalloc_addr(kh.kh, addr):
            for a in kh.vm_areas():
                if a.addr <= addr < a.addr + a.size + kh.page_size:
                    return dict(what=f"vmalloc area of {a.nr_pages} pages", base=a.addr,
                                state="allocated", usable=a.size)
            return dict(what="vmalloc space, no area", base=addr, state="unmapped")
        return dict(what="not allocator memory", base=addr, state="unknown")


class _Tagged:
    """The Kh of a child: every method call records its name as the
    operation in progress, so reports say which call raised them."""

    def __init__(self, kh, child):
        self._kh, self._child = kh, child

    def __getattr__(self, name):
        attr = getattr(self._kh, name)
        if not callable(attr):
            return attr

        def call(*args, **kwargs):
            prev, self._child.op = self._child.op, name
            try:
                return attr(*args, **kwargs)
            finally:
                self._child.op = prev
        return call


def child_main(argv):
    if len(argv) != 1:
        print("usage: python3 -m kmem.misuse CASE", file=sys.stderr)
        return 2
    by_name = {c.name: c for c in CATALOGUE}
    c = by_name.get(argv[0])
    if c is None:
        print(f"unknown case {argv[0]!r}; known: {', '.join(sorted(by_name))}", file=sys.stderr)
        return 2
    x = Child(c.profile, c.overrides)
    x.emit("start", case=c.name, lib=x.raw.lib.path, asan=A.preloaded())
    c.scenario(x)
    x.emit("done")
    return 0


# ==== the parent side =========================================================

@dataclass
class Outcome:
    case: Case
    lib: str
    returncode: int
    stdout: str
    stderr: str
    events: list
    asan: object = None      # AsanReport

    def regions(self):
        return {e["name"]: e for e in self.events if e["event"] == "region"}

    def reports(self):
        return [e for e in self.events if e["event"] == "report"]

    def values(self):
        return {e["name"]: e["value"] for e in self.events if e["event"] == "value"}

    def failed_checks(self):
        return [e["message"] for e in self.events if e["event"] == "check-failed"]

    def done(self):
        return any(e["event"] == "done" for e in self.events)


@dataclass(frozen=True)
class Detection:
    by: str              # "asan", "allocator", "none", "ubsan", "crash"
    kind: str = None
    offset: int = None
    access: tuple = None
    reason: str = None
    detail: str = ""

    def summary(self):
        at = f" @{self.offset:+d}" if self.offset is not None else ""
        if self.by == "asan":
            acc = f" {self.access[0]} {self.access[1]}" if self.access and self.access[0] else ""
            return f"ASan {self.kind}{at}:{acc} ({self.detail})"
        if self.by == "allocator":
            return f"allocator {self.kind}{at}: '{self.reason}'"
        if self.by == "none":
            return "nothing (clean)"
        return f"{self.by}: {self.detail}"


def libraries():
    """(library for allocator cases, library for ASan cases or None, why
    None). Allocator cases run on the library under test; ASan cases need
    an ASan build: $KMEM_ASAN_LIB, the library under test when it is one,
    else the reference's //allocator:libkmem_ref_asan.so unless another
    library is under test ($KMEM_LIB), whose cases then skip."""
    from .lib import find_library
    lib = find_library()
    if os.environ.get("KMEM_ASAN_LIB"):
        return lib, A.find_asan_library(), None
    if A.needs_runtime(lib):
        return lib, lib, None
    if os.environ.get("KMEM_LIB"):
        return lib, None, (f"KMEM_LIB={lib} is not built with ASan; set KMEM_ASAN_LIB to an "
                           "ASan build of it to run the ASan cases")
    try:
        return lib, A.find_asan_library(), None
    except FileNotFoundError as e:
        return lib, None, str(e)


def run_case(c, lib_path, timeout=120):
    """Runs one case in a child Python process and collects what it said."""
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = A.env_for(lib_path)
    env["PYTHONPATH"] = os.pathsep.join([here] + [p for p in env.get("PYTHONPATH", "").split(
        os.pathsep) if p])
    env.pop("PYTEST_CURRENT_TEST", None)
    try:
        p = subprocess.run([sys.executable, "-m", "kmem.misuse", c.name], capture_output=True,
                           text=True, env=env, timeout=timeout, cwd=here)
        rc, out, err = p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired as e:
        rc, out, err = "timeout", _text(e.stdout), _text(e.stderr) + f"\n(timed out after {timeout} s)"
    events = []
    for line in out.splitlines():
        if line.startswith("{"):
            try:
                events.append(json.loads(line))
            except json.JSONDecodeError:
                pass
    return Outcome(c, str(lib_path), rc, out, err, events, A.parse_report(err))


def _text(b):
    return b.decode(errors="replace") if isinstance(b, bytes) else (b or "")


def _region_of(outcome, addr, name=None):
    regions = outcome.regions()
    if name and name in regions:
        return regions[name]
    for r in regions.values():
        if r["start"] <= addr < r["start"] + max(r["size"], 1):
            return r
    return None


def detect(outcome):
    """What caught the misuse, classified from the child's evidence alone
    (the expectation only says which region offsets are measured from)."""
    e = outcome.case.expect
    ub = A.ubsan_error(outcome.stderr)
    if ub:
        return Detection("ubsan", detail=ub)
    rep = outcome.asan
    if rep:
        if not rep.addr:
            return Detection("asan", kind=rep.error, detail=rep.error)
        r = _region_of(outcome, rep.addr, e.region)
        if r is None:
            return Detection("asan", kind="wild", access=(rep.access, rep.size),
                             detail=f"{rep.error} at {rep.addr:#x}, before the case named its "
                                    "region or outside it")
        off = rep.addr - r["start"]
        if r["state"] in FREED_STATES:
            kind = "use-after-free"
        elif off < 0 or off >= r["size"]:
            kind = "out-of-bounds"
        else:
            kind = "false-positive"
        return Detection("asan", kind=kind, offset=off, access=(rep.access, rep.size),
                         detail=rep.error)
    reports = outcome.reports()
    if reports:
        r = next((x for x in reports if x["severity"] == "BUG"), reports[0])
        kind = REASON_KINDS.get(r["reason"], "unclassified")
        if kind == "double-free" and r["op"] not in FREE_OPS:
            kind = "use-after-free"
        off = None
        if e.region:
            reg = outcome.regions().get(e.region)
            if reg is not None:
                off = r["addr"] - reg["start"]
        return Detection("allocator", kind=kind, offset=off, reason=r["reason"],
                         detail=f"{r['severity']} {r['reason']} (in {r['op']})")
    if not outcome.done() or outcome.returncode != 0:
        tail = outcome.stderr.strip().splitlines()[-3:]
        return Detection("crash", detail=f"child exit status {outcome.returncode}: "
                         + " | ".join(tail))
    return Detection("none")


def verdict(outcome):
    """(Detection, problems): the case passes when problems is empty."""
    c, e = outcome.case, outcome.case.expect
    d = detect(outcome)
    problems = [f"child check failed: {m}" for m in outcome.failed_checks()]
    if d.by != e.by:
        problems.append(f"detected by {d.by} ({d.summary()}), expected {e.by}")
    else:
        if e.kind and d.kind != e.kind:
            problems.append(f"kind {d.kind} ({d.summary()}), expected {e.kind}")
        if e.offset is not None and d.offset != e.offset:
            problems.append(f"offset {d.offset} from {e.region}, expected {e.offset}")
        if e.access and (d.access is None or any(
                w is not None and w != g for w, g in zip(e.access, d.access))):
            problems.append(f"access {d.access}, expected {e.access}")
        if e.reason and d.reason != e.reason:
            problems.append(f"reason '{d.reason}', expected '{e.reason}'")
        if e.text:
            texts = [r["text"] for r in outcome.reports()]
            if not any(e.text in t for t in texts):
                problems.append(f"no report contains {e.text!r}")
        if e.by == "none":
            if outcome.reports():
                problems.append(f"unexpected reports: {[r['reason'] for r in outcome.reports()]}")
            if not outcome.done():
                problems.append("the child did not finish")
    got = outcome.values()
    for k, want in e.values.items():
        if got.get(k) != want:
            problems.append(f"value {k} = {got.get(k)!r}, expected {want!r}")
    return d, problems


def explain(outcome, problems):
    """A failure message: the problems, then the child's evidence."""
    c = outcome.case
    lines = [f"misuse case {c.name}: {problems[0]}",
             f"({c.source}: {c.title}; expected {expected_text(c.expect)})"]
    lines += [f"  - {p}" for p in problems[1:]]
    lines.append(f"library: {outcome.lib}; child exit status {outcome.returncode}")
    for name, r in outcome.regions().items():
        lines.append(f"region {name}: [{r['start']:#x}, +{r['size']}) {r['what']}, {r['state']}")
    for r in outcome.reports():
        lines.append(f"report: {r['severity']} {r['reason']} at {r['addr']:#x} in {r['op']}")
    if outcome.asan:
        lines.append("ASan report:\n" + "\n".join(outcome.asan.text.splitlines()[:12]))
    elif outcome.stderr.strip():
        lines.append("stderr:\n" + "\n".join(outcome.stderr.strip().splitlines()[-15:]))
    return "\n".join(lines)


SOURCE_ORDER = ["KASAN", "slub_kunit"]


def format_table(rows):
    """rows: (case, expected, detected, result) -> aligned text table,
    KASAN cases first, then slub_kunit, then the other spec sections, each
    in catalogue order."""
    order = {c.name: i for i, c in enumerate(CATALOGUE)}
    rows = sorted(rows, key=lambda r: (SOURCE_ORDER.index(r[0].source)
                                       if r[0].source in SOURCE_ORDER else 9, r[0].source,
                                       order.get(r[0].name, 0)))
    head = ("bug class (case)", "source", "expected", "detected by", "result")
    body = [(f"{c.title} ({c.name})", c.source, expected, detected, result)
            for c, expected, detected, result in rows]
    widths = [max(len(str(r[i])) for r in [head] + body) for i in range(len(head))]
    line = "  ".join("{:<%d}" % w for w in widths)
    out = [line.format(*head), line.format(*("-" * w for w in widths))]
    out += [line.format(*r) for r in body]
    return "\n".join(out)


def expected_text(e):
    if e.by == "none":
        return "no report"
    if e.by == "asan":
        return f"ASan {e.kind} @{e.offset:+d}"
    at = f" @{e.offset:+d}" if e.offset is not None else ""
    return f"allocator {e.kind}{at}"


# The scenarios live in their own module; importing it fills CATALOGUE.
from . import misuse_cases  # noqa: E402,F401

if __name__ == "__main__":
    # Run as `python3 -m kmem.misuse`: this module is __main__, and the cases
    # registered themselves with the package's kmem.misuse.
    from kmem.misuse import child_main as _main
    sys.exit(_main(sys.argv[1:]))
