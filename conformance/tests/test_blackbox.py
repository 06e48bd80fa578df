"""Black-box conformance: the allocator under test through its adapter.

Runs on whatever --//fuzz:allocator selects (the reference by default, so
it runs every time). Only what a caller can observe is checked, against
what the adapter declares (adapters/kh_adapter.h); a test whose tier, hook
or declaration is missing is skipped with a reason naming it:

- object tier: sizes 0..1 MiB (alignment: declared minimum, natural when
  declared; usable size >= requested; no overlap; contents intact),
  zero-byte requests, zeroing on reused memory, aligned requests, the
  declared maximum size, realloc (prefix kept, failure keeps the block),
  and a Hypothesis state machine mixing all of them;
- page tier: every order (page and order alignment, zeroing, maximum
  order); cache tier: sizes and alignments, object size;
- free(NULL), double and interior-pointer frees in a forked child;
- fault injection in SQLite style (allocation N fails, N = 1, 2, ...);
- the declared arena, the allocator's own validation, in-use bytes back to
  where they started (no leak).
"""
import os
import random
import signal

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

import kmem
from kmem import adapter as A

pytestmark = pytest.mark.blackbox

PATTERN_CAP = 4096   # bytes of each block whose content is modelled


@pytest.fixture
def ad():
    lib = kmem.load()
    if not lib.is_adapter:
        pytest.skip(f"{lib.path} exports no kh_adapter: point KMEM_LIB at an adapter library "
                    f"(bazel build //adapters:libkh_adapter_reference.so), as the py_tests do")
    a = kmem.load_adapter()
    yield a
    a.reset()


class Blocks:
    """What the test holds: address -> (size, tier, the bytes it wrote)."""

    def __init__(self, ad):
        self.ad = ad
        self.live = {}
        self.counter = 0

    def _pattern(self, n):
        self.counter += 1
        rnd = random.Random(self.counter)
        return bytes(rnd.getrandbits(8) for _ in range(min(n, PATTERN_CAP)))

    def live_bytes(self):
        return sum(v[0] for v in self.live.values())

    def refused(self, p, size, tier="object"):
        """True when p is NULL and the declarations allow it (then the
        caller skips, with the reason); NULL inside the declared no-fail
        range is a failure."""
        if p:
            return False
        assert not self.ad.nofail_covers(size, self.live_bytes()), \
            (f"{tier} allocation of {size} bytes failed with {self.live_bytes()} bytes live, inside "
             f"the declared no-fail range ({self.ad.nofail_size} bytes below {self.ad.nofail_live} live)")
        return True

    def add(self, p, size, tier="object", align=0, zeroed=False, order=0, cache=0):
        ad = self.ad
        if self.refused(p, size, tier):
            pytest.skip(f"adapter '{ad.name}': the {tier} allocation of {size} bytes failed with "
                        f"{self.live_bytes()} bytes live, and no no-fail range covers it "
                        f"(declare nofail_size/nofail_live to make this a failure)")
        where = f"{tier} {p:#x}+{size}"
        if tier in ("object", "cache") and ad.min_align > 1:
            assert p % ad.min_align == 0, f"{where} not aligned to the declared min_align {ad.min_align}"
        if align > 1:
            assert p % align == 0, f"{where} not aligned to the requested {align}"
        if (tier == "object" and ad.has_cap(A.CAP_NATURAL_ALIGN) and size and
                size & (size - 1) == 0 and size <= ad.natural_align_max):
            assert p % size == 0, f"{where}: a power-of-two size is not naturally aligned"
        if tier == "page":
            assert p % (1 << ad.page_shift) == 0, f"{where} not page-aligned"
            if ad.has_cap(A.CAP_PAGE_ORDER_ALIGNED):
                assert p % (size) == 0, f"{where} not aligned to its order"
        if not ad.missing("arena"):
            lo, hi = ad.arena()
            assert lo <= p and p + max(size, 1) <= hi, f"{where} outside the arena [{lo:#x}, {hi:#x})"
        for q, (qs, qt, _, _, _) in self.live.items():
            assert p + max(size, 1) <= q or q + max(qs, 1) <= p, \
                f"{where} overlaps live {qt} {q:#x}+{qs}"
        if tier == "object" and not ad.missing("usable_size"):
            assert ad.usable_size(p) >= size, f"usable_size({p:#x}) = {ad.usable_size(p)} < {size}"
        if zeroed:
            got = A.read(p, min(size, 65536))
            assert got == bytes(len(got)), f"{where} not zeroed (byte {next(i for i, b in enumerate(got) if b)})"
        data = self._pattern(size)
        A.write(p, data)
        self.live[p] = (size, tier, data, order, cache)

    def check(self, p, when="check"):
        size, tier, data, _, _ = self.live[p]
        got = A.read(p, len(data))
        if got != data:
            bad = next(i for i in range(len(data)) if got[i] != data[i])
            raise AssertionError(f"{when}: {tier} {p:#x}+{size}: byte {bad} is {got[bad]:#x}, "
                                 f"expected {data[bad]:#x}")

    def check_all(self, when="check"):
        for p in self.live:
            self.check(p, when)

    def free(self, p):
        self.check(p, "before free")
        size, tier, _, order, cache = self.live.pop(p)
        if tier == "object":
            self.ad.free(p, size)
        elif tier == "page":
            self.ad.page_free(p, order)
        else:
            self.ad.cache_free(cache, p)

    def free_all(self):
        for p in list(self.live):
            self.free(p)


@pytest.fixture
def blocks(ad):
    b = Blocks(ad)
    before = ad.bytes_in_use() if not ad.missing("bytes_in_use") else None
    yield b
    b.free_all()
    if before is not None:
        assert ad.bytes_in_use() == before, "bytes in use did not return to the start (leak)"
    if not ad.missing("validate"):
        assert ad.validate() is None


# ---- declarations ------------------------------------------------------------

def test_declarations_hold_together(ad):
    print(f"adapter {ad.name}: {ad.description}; tiers {ad.tiers}; caps "
          + ", ".join(n for c, n in A.CAP_NAMES.items() if ad.has_cap(c)))
    assert ad.tiers, "the adapter offers no tier"
    assert ad.min_align == 0 or ad.min_align & (ad.min_align - 1) == 0
    if ad.has_cap(A.CAP_ALIGNED):
        assert ad.max_align and ad.max_align & (ad.max_align - 1) == 0
    if ad.has_cap(A.CAP_NATURAL_ALIGN):
        assert ad.natural_align_max
    if "page" in ad.tiers:
        assert 4 <= ad.page_shift <= 30
    assert bool(ad.nofail_size) == bool(ad.nofail_live)


# ---- tier (a): objects -----------------------------------------------------------

SIZES = [1, 7, 8, 15, 16, 17, 24, 31, 32, 48, 64, 96, 100, 128, 192, 256, 500, 512, 1000, 1024,
         2048, 4095, 4096, 4097, 8192, 10000, 65536, 1 << 20]


def test_object_sizes_all_live_at_once(ad, blocks):
    ad.require("object")
    for size in SIZES:
        if ad.max_size and size > ad.max_size:
            continue
        blocks.add(ad.alloc(size), size)
    blocks.check_all("all sizes live")


def test_zero_size_requests(ad, blocks):
    ad.require("object")
    p, q = ad.alloc(0), ad.alloc(0)
    if ad.zero_size_ptr:
        assert p == q == ad.zero_size_ptr, "alloc(0) must return the declared zero_size_ptr"
        ad.free(p)
        return
    # NULL or a unique pointer each time
    for r in (p, q):
        if r:
            blocks.add(r, 0)


def test_zeroing_on_reused_memory(ad, blocks):
    ad.require("object", A.CAP_ZERO)
    for size in (16, 64, 200, 1024, 4096, 8192):
        dirty = [ad.alloc(size) for _ in range(8)]
        if not all(dirty) and not ad.nofail_covers(size * 8, 0):
            for p in dirty:
                if p:
                    ad.free(p, size)
            pytest.skip(f"adapter '{ad.name}': 8 blocks of {size} bytes could not be allocated, "
                        "and no no-fail range covers them")
        for p in dirty:
            assert p, f"alloc({size}) failed inside the declared no-fail range"
            A.write(p, b"\xff" * size)
        for p in dirty:
            ad.free(p, size)
        for _ in range(8):
            blocks.add(ad.alloc(size, flags=A.AF_ZERO), size, zeroed=True)


def test_aligned_requests(ad, blocks):
    ad.require("object", A.CAP_ALIGNED)
    align = 2
    while align <= min(ad.max_align, 1 << 16):
        for size in (1, 100, 4096):
            blocks.add(ad.alloc(size, align), size, align=align)
        align <<= 1


def test_requests_above_max_size_fail(ad):
    ad.require("object", "max_size")
    for size in {ad.max_size + 1, max(ad.max_size + 1, 1 << 63)}:
        if size < 1 << 64:
            p = ad.alloc(size)
            if p:
                ad.free(p, size)
            assert p == 0, f"alloc({size}) succeeded above the declared max_size {ad.max_size}"


def test_realloc_keeps_prefix(ad, blocks):
    ad.require("object", "realloc")
    p = ad.alloc(100)
    blocks.add(p, 100)
    for size in (120, 5000, 40, 100000, 8, 3000):
        if ad.max_size and size > ad.max_size:
            continue
        old = blocks.live.pop(p)
        q = ad.realloc(p, size)
        assert q, f"realloc to {size} failed"
        keep = min(old[0], size, PATTERN_CAP)
        assert A.read(q, keep) == old[2][:keep], f"realloc({p:#x}, {size}) lost the prefix"
        blocks.add(q, size)
        p = q


def test_realloc_of_null_allocates(ad, blocks):
    ad.require("object", "realloc", A.CAP_REALLOC_NULL)
    blocks.add(ad.realloc(0, 64), 64)


def test_failed_realloc_keeps_block(ad, blocks):
    ad.require("object", "realloc", "max_size")
    p = ad.alloc(64)
    blocks.add(p, 64)
    if ad.max_size < (1 << 63):
        assert ad.realloc(p, ad.max_size + 1) == 0
    blocks.check(p, "after a refused realloc")


class ObjectMachine(RuleBasedStateMachine):
    """Random mixes of the object tier's calls; contents and layout are
    checked after every step."""
    ad = None
    first_failure = None   # (message, steps) of the first failing example

    def __init__(self):
        super().__init__()
        self.b = Blocks(self.ad)
        self.steps = []

    def check_model(self, when):
        """Content checks record the first failure with its steps: the
        allocator's state carries over between examples, so Hypothesis's
        replay may not reproduce it (it would say Flaky)."""
        try:
            self.b.check_all(when)
        except AssertionError as e:
            if ObjectMachine.first_failure is None:
                ObjectMachine.first_failure = (str(e), list(self.steps))
            raise

    @rule(size=st.integers(0, 20000), zero=st.booleans())
    def alloc(self, size, zero):
        zero = zero and self.ad.has_cap(A.CAP_ZERO)
        p = self.ad.alloc(size, flags=A.AF_ZERO if zero else 0)
        self.steps.append(f"alloc({size}{', zero' if zero else ''}) -> {p:#x}")
        if size == 0 and (p == 0 or p == self.ad.zero_size_ptr):
            return
        if self.b.refused(p, size):
            return
        self.b.add(p, size, zeroed=zero)

    @precondition(lambda self: self.ad.has_cap(A.CAP_ALIGNED))
    @rule(size=st.integers(1, 5000), shift=st.integers(1, 12))
    def aligned(self, size, shift):
        align = min(1 << shift, self.ad.max_align)
        p = self.ad.alloc(size, align)
        self.steps.append(f"alloc({size}, align {align}) -> {p:#x}")
        if not self.b.refused(p, size):
            self.b.add(p, size, align=align)

    @precondition(lambda self: self.b.live)
    @rule(pick=st.integers(0, 1 << 30))
    def free(self, pick):
        p = sorted(self.b.live)[pick % len(self.b.live)]
        self.steps.append(f"free({p:#x})")
        self.b.free(p)

    @precondition(lambda self: self.b.live and not self.ad.missing("realloc"))
    @rule(pick=st.integers(0, 1 << 30), size=st.integers(1, 20000))
    def realloc(self, pick, size):
        p = sorted(self.b.live)[pick % len(self.b.live)]
        if self.b.live[p][1] != "object":
            return
        self.b.check(p, "before realloc")
        q = self.ad.realloc(p, size)
        self.steps.append(f"realloc({p:#x}, {size}) -> {q:#x}")
        if self.b.refused(q, size):
            self.b.check(p, "after a failed realloc")
            return
        old = self.b.live.pop(p)
        keep = min(old[0], size, PATTERN_CAP)
        assert A.read(q, keep) == old[2][:keep], "realloc lost the prefix"
        self.b.add(q, size)

    @precondition(lambda self: self.b.live)
    @rule(pick=st.integers(0, 1 << 30), byte=st.integers(0, 255))
    def rewrite(self, pick, byte):
        p = sorted(self.b.live)[pick % len(self.b.live)]
        size, tier, data, order, cache = self.b.live[p]
        new = bytes([byte]) * len(data)
        A.write(p, new)
        self.b.live[p] = (size, tier, new, order, cache)

    @invariant()
    def contents_intact(self):
        self.check_model("after the step")

    def teardown(self):
        self.b.free_all()
        if not self.ad.missing("validate"):
            assert self.ad.validate() is None
        self.ad.reset()


def test_object_state_machine(ad):
    ad.require("object")
    ObjectMachine.ad = ad
    ObjectMachine.first_failure = None
    before = ad.bytes_in_use() if not ad.missing("bytes_in_use") else None
    try:
        ObjectMachine.TestCase().runTest()
    except Exception as e:
        first = ObjectMachine.first_failure
        if first is None or isinstance(e, AssertionError) and str(e) == first[0]:
            raise
        # Hypothesis could not replay it (Flaky): the finding is the first failure.
        raise AssertionError(f"{first[0]}\nafter these calls (the allocator's state carried over "
                             f"from earlier examples, so the replay differed):\n  "
                             + "\n  ".join(first[1][-40:])) from e
    if before is not None and ad.missing("reset"):
        assert ad.bytes_in_use() == before, "bytes in use did not return to the start (leak)"


# ---- tier (b): pages -------------------------------------------------------------

def test_page_orders(ad, blocks):
    ad.require("page")
    for order in range(min(ad.max_order, 10) + 1):
        size = 1 << (ad.page_shift + order)
        zero = ad.has_cap(A.CAP_ZERO)
        blocks.add(ad.page_alloc(order, A.AF_ZERO if zero else 0), size, tier="page",
                   order=order, zeroed=zero)
    if ad.max_order < 63 - ad.page_shift:
        assert ad.page_alloc(ad.max_order + 1) == 0, "an order above page.max_order succeeded"


def test_pages_and_objects_never_overlap(ad, blocks):
    ad.require("page", "object")
    for i in range(40):
        if i % 2:
            blocks.add(ad.page_alloc(i % 3), 1 << (ad.page_shift + i % 3), tier="page", order=i % 3)
        else:
            blocks.add(ad.alloc(24 * i + 8), 24 * i + 8)
    blocks.check_all()


# ---- tier (c): caches ------------------------------------------------------------

@pytest.mark.parametrize("size,align", [(8, 0), (24, 8), (100, 64), (3000, 0), (64, 4096), (40, 16)])
def test_cache_objects(ad, blocks, size, align):
    ad.require("cache")
    if ad.has_cap(A.CAP_NO_ALIGN) and align > max(ad.min_align, 1):
        pytest.skip(f"adapter '{ad.name}' declares KH_CAP_NO_ALIGN: no cache aligned to {align}")
    c = ad.cache_create(f"bb_{size}_{align}", size, align)
    if not c:
        pytest.skip(f"adapter '{ad.name}' refuses a cache of {size} bytes aligned to {align}")
    if not ad.missing("object_size"):
        assert ad.cache_object_size(c) >= size
    for _ in range(50):
        blocks.add(ad.cache_alloc(c), size, tier="cache", align=align, cache=c)
    blocks.free_all()
    ad.cache_destroy(c)


# ---- free(NULL) and misuse, in a forked child ----------------------------------------

def in_child(fn):
    """Runs fn() in a forked child: 'ok', 'reported' (the misuse counter
    rose) or the name of the signal that killed it."""
    ad = kmem.load_adapter()
    before = ad.misuse_reports() if not ad.missing("misuse_reports") else 0
    pid = os.fork()
    if pid == 0:
        try:
            fd = os.open(os.devnull, os.O_WRONLY)
            os.dup2(fd, 2)
            fn()
            after = ad.misuse_reports() if not ad.missing("misuse_reports") else 0
            os._exit(3 if after > before else 0)
        except AssertionError:
            os._exit(5)
        except BaseException:
            os._exit(4)
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        return signal.Signals(os.WTERMSIG(status)).name
    return {0: "ok", 3: "reported", 5: "a failed check"}.get(os.WEXITSTATUS(status),
                                                       f"exit {os.WEXITSTATUS(status)}")


def test_free_null_is_safe(ad):
    ad.require(A.CAP_FREE_NULL)
    if "object" in ad.tiers:
        assert in_child(lambda: ad.free(0)) == "ok", "object free(NULL) is not a no-op"
    if "page" in ad.tiers:
        assert in_child(lambda: ad.page_free(0, 0)) == "ok", "page free(NULL) is not a no-op"


def test_double_free_is_detected(ad):
    ad.require("object", A.CAP_DETECTS_DOUBLE_FREE)
    p = ad.alloc(64)
    ad.free(p, 64)
    outcome = in_child(lambda: ad.free(p, 64))
    assert outcome != "ok", "a double free was accepted silently"


def test_interior_free_is_detected(ad):
    ad.require("object", A.CAP_DETECTS_INVALID_FREE)
    p = ad.alloc(64)
    outcome = in_child(lambda: ad.free(p + 16, 64))
    ad.free(p, 64)
    assert outcome != "ok", "an interior-pointer free was accepted silently"


def test_misuse_ignored_harmlessly(ad):
    """KH_CAP_MISUSE_IGNORED: a double free and an interior free change
    nothing. In a child: the misuse, then fresh blocks must not overlap the
    live ones, and every live block keeps its bytes."""
    ad.require("object", A.CAP_MISUSE_IGNORED)

    def misuse_then_workload():
        b = Blocks(ad)
        keep = [ad.alloc(64) for _ in range(4)]
        for p in keep:
            b.add(p, 64)
        gone = ad.alloc(64)
        ad.free(gone, 64)
        ad.free(gone, 64)                 # double free
        ad.free(keep[1] + 16, 64)         # interior free
        for _ in range(8):
            p = ad.alloc(64)
            if p:
                b.add(p, 64)              # asserts no overlap with what is live
        b.check_all("after the misuse")
        b.free_all()

    outcome = in_child(misuse_then_workload)
    assert outcome in ("ok", "reported"), (
        f"after a double free and an interior free (declared ignored harmlessly) the child "
        f"ended with {outcome}: a crash, an overlap or a damaged block")


# ---- fault injection ------------------------------------------------------------------

def fault_workload(ad, b):
    """Every kind of allocation the adapter offers; NULL is accepted only
    when a fault was injected during that call."""
    def checked(call, *args):
        before = ad.faults_injected()
        p = call(*args)
        if not p:
            assert ad.faults_injected() > before, f"{call.__name__}{args} failed without an injected fault"
        return p

    p = checked(ad.alloc, 100, 0, 0)
    if p:
        b.add(p, 100)
    q = checked(ad.alloc, 3000, 0, 0)
    if q:
        b.add(q, 3000)
    if p and not ad.missing("realloc"):
        r = checked(ad.realloc, p, 9000, 0)
        if r:
            old = b.live.pop(p)
            assert A.read(r, 100) == old[2][:100]
            b.add(r, 9000)
        else:
            b.check(p, "after a failed realloc")
    if "page" in ad.tiers:
        g = checked(ad.page_alloc, 2, 0)
        if g:
            b.add(g, 4 << ad.page_shift, tier="page", order=2)
    if "cache" in ad.tiers:
        c = ad.cache_create("bb_fault", 72, 0)
        if c:
            objs = [checked(ad.cache_alloc, c, 0) for _ in range(5)]
            for o in objs:
                if o:
                    ad.cache_free(c, o)
            ad.cache_destroy(c)


@pytest.mark.parametrize("mode", [A.FAULT_NTH, A.FAULT_FROM])
def test_fault_injection_loop(ad, mode):
    ad.require("fault")
    for n in range(1, 200):
        b = Blocks(ad)
        before = ad.bytes_in_use() if not ad.missing("bytes_in_use") else None
        ad.fault(mode, nth=n)
        fault_workload(ad, b)
        injected = ad.faults_injected()
        ad.fault(A.FAULT_OFF)
        b.free_all()
        if before is not None:
            assert ad.bytes_in_use() == before, f"leak after failing allocation {n}"
        if not ad.missing("validate"):
            assert ad.validate() is None, f"inconsistent after failing allocation {n}"
        ad.reset()
        if injected == 0:
            return   # the workload ran to completion: every attempt has been failed once
    raise AssertionError("the workload never completed")


# ---- coalescing ------------------------------------------------------------------------

def test_coalescing_after_fragmentation(ad):
    """The declared coalesce_size: after a fragmenting workload (mixed sizes
    until the allocator refuses or 4096 blocks, freed odd ones first, then
    the rest backwards) one request of that size succeeds again."""
    ad.require("coalesce_size")
    rnd = random.Random(17)
    big = "object" if "object" in ad.tiers else "page"
    held = []
    for i in range(4096):
        if big == "object":
            size = rnd.choice([16, 24, 48, 100, 256, 1000, 4096, 5000])
            p = ad.alloc(size)
        else:
            size = rnd.choice([0, 0, 1, 2])
            p = ad.page_alloc(size)
        if not p:
            break
        held.append((p, size))
    for p, size in held[1::2] + held[0::2][::-1]:
        if big == "object":
            ad.free(p, size)
        else:
            ad.page_free(p, size)
    want = ad.coalesce_size
    if big == "object":
        p = ad.alloc(want)
        assert p, (f"after {len(held)} mixed blocks were freed, alloc({want}) (the declared "
                   "coalesce_size) failed: freed neighbours were not merged back")
        ad.free(p, want)
    else:
        order = 0
        while (1 << (ad.page_shift + order)) < want:
            order += 1
        p = ad.page_alloc(order)
        assert p, (f"after {len(held)} page blocks were freed, an order-{order} block (the "
                   "declared coalesce_size) could not be allocated: buddies were not merged back")
        ad.page_free(p, order)


# ---- introspection -----------------------------------------------------------------------

def test_in_use_bytes_return_to_start(ad):
    ad.require("object", "bytes_in_use")
    before = ad.bytes_in_use()
    sizes = [s for s in SIZES if not ad.max_size or s <= ad.max_size]
    ps = [ad.alloc(s) for s in sizes]
    if not all(ps) and not all(ad.nofail_covers(s, 0) for s in sizes):
        for p, s in zip(ps, sizes):
            if p:
                ad.free(p, s)
        pytest.skip(f"adapter '{ad.name}': not every size could be allocated at once, and no "
                    "no-fail range covers them")
    assert all(ps)
    assert ad.bytes_in_use() > before, "bytes_in_use does not count live blocks"
    for p, s in zip(ps, sizes):
        ad.free(p, s)
    assert ad.bytes_in_use() == before


def test_validate_after_a_workload(ad, blocks):
    ad.require("validate")
    if "object" in ad.tiers:
        for s in SIZES[:12]:
            blocks.add(ad.alloc(s), s)
    assert ad.validate() is None
