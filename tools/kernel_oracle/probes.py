"""The probe set: trace files whose results are compared with the real kernel.

Each family is a list of groups (operations that belong together, such as an
allocation and its free); groups are packed into files of at most MAX_OPS
operations (the trace language's limit per file), named <family>-NN.txt.

    python3 tools/kernel_oracle/probes.py DIR    # (re)writes DIR/*.txt

The files are committed (conformance/kernel/probes/); the golden files refer
to them by file name and line.
"""

import os
import sys

MAX_OPS = 4000            # below KH_TRACE_MAX_OPS (4096), leaving room for a header
PAGE_SIZE = 4096
KMALLOC_MAX_CACHE_SIZE = 8192
KMALLOC_MAX_SIZE = 4 << 20
MAX_ORDER = 11            # 6.1's exclusive bound
KMALLOC_INDEX_MAX = 2 << 20   # 6.1's __kmalloc_index() BUG()s above its table
U64_MAX = (1 << 64) - 1
NOWARN = "GFP_KERNEL|__GFP_NOWARN"


def kmalloc_sizes():
    """ksize / size class of every kmalloc size up to the largest cache."""
    return [["p = kmalloc %d GFP_KERNEL" % n, "kfree p"] for n in range(KMALLOC_MAX_CACHE_SIZE + 1)]


def size_functions():
    """kmalloc_size_roundup, kmalloc_index and get_order for every small size."""
    return [["kmalloc_size_roundup %d" % n, "kmalloc_index %d" % n, "get_order %d" % n]
            for n in range(KMALLOC_MAX_CACHE_SIZE + 1)]


def large_sizes():
    """Around every power of two up to KMALLOC_MAX_SIZE and past it."""
    sizes = set()
    for k in range(3, 24):
        sizes.update({(1 << k) - 1, 1 << k, (1 << k) + 1})
    sizes.update({KMALLOC_MAX_SIZE - PAGE_SIZE, KMALLOC_MAX_SIZE - PAGE_SIZE + 1,
                  3 * PAGE_SIZE, 3 * PAGE_SIZE + 1, 100000, 1 << 24})
    groups = []
    for n in sorted(sizes):
        g = ["p = kmalloc %d %s" % (n, NOWARN), "kfree p",
             "kmalloc_size_roundup %d" % n, "get_order %d" % n]
        if n <= KMALLOC_INDEX_MAX:
            g.append("kmalloc_index %d" % n)
        groups.append(g)
    for n in (1 << 32, (1 << 63) - 1, 1 << 63, U64_MAX - PAGE_SIZE, U64_MAX - 1, U64_MAX):
        groups.append(["kmalloc_size_roundup %d" % n, "get_order %d" % n])
    return groups


def kmalloc_types():
    """The same classes through the other kmalloc cache types and kzalloc."""
    groups = []
    for gfp in ("GFP_KERNEL_ACCOUNT", "GFP_DMA", "GFP_KERNEL|__GFP_RECLAIMABLE", "GFP_ATOMIC",
                "GFP_NOWAIT", "GFP_KERNEL|__GFP_ZERO"):
        for n in (1, 8, 9, 64, 65, 96, 97, 128, 129, 192, 193, 1000, 4096, 8192, 8193, 65536):
            groups.append(["p = kmalloc %d %s" % (n, gfp), "kfree p"])
    for n in (0, 1, 96, 192, 4097, 8193):
        groups.append(["p = kzalloc %d GFP_KERNEL" % n, "kfree p"])
    return groups


def zero_size():
    """ZERO_SIZE_PTR: where it comes from and what accepts it."""
    return [[
        "z = kmalloc 0 GFP_KERNEL", "ksize z", "kfree z",
        "z = kzalloc 0 GFP_KERNEL", "kfree z",
        "z = kcalloc 0 16 GFP_KERNEL", "kfree z",
        "z = kcalloc 16 0 GFP_KERNEL", "kfree z",
        "z = kmalloc_array 0 0 GFP_KERNEL", "kfree z",
        "z = krealloc NULL 0 GFP_KERNEL", "kfree z",
        "p = kmalloc 100 GFP_KERNEL", "z = krealloc p 0 GFP_KERNEL", "ksize z", "kfree z",
        "z = krealloc ZERO_SIZE_PTR 0 GFP_KERNEL", "kfree z",
        "z = krealloc ZERO_SIZE_PTR 40 GFP_KERNEL", "kfree z",
        "ksize NULL", "ksize ZERO_SIZE_PTR", "kfree NULL", "kfree ZERO_SIZE_PTR",
        "kfree_sensitive NULL", "kfree_sensitive ZERO_SIZE_PTR",
        "z = kvmalloc 0 GFP_KERNEL", "kvfree z",
        "z = kvzalloc 0 GFP_KERNEL", "kvfree z",
        "kvfree NULL", "vfree NULL", "free_pages NULL 0", "kmem_cache_destroy NULL",
    ]]


def krealloc():
    """Pointer stability and content preservation, growing and shrinking."""
    sizes = [1, 8, 9, 24, 64, 96, 100, 128, 129, 192, 200, 256, 1000, 1024, 4096, 4097, 8192,
             8193, 12288, 16384, 100000]
    groups = []
    for a in sizes:
        for b in sizes:
            groups.append(["p = kmalloc %d GFP_KERNEL" % a, "q = krealloc p %d GFP_KERNEL" % b,
                           "kfree q"])
    for a in (8, 100, 8193):
        groups.append(["p = kmalloc %d GFP_KERNEL" % a,
                       "q = krealloc p %d %s" % (KMALLOC_MAX_SIZE + 1, NOWARN),   # fails: p intact
                       "ksize p", "kfree q", "kfree p"])
        groups.append(["p = kmalloc %d GFP_KERNEL" % a,
                       "q = krealloc_array p %d %d GFP_KERNEL" % (1 << 33, 1 << 33),  # overflow
                       "ksize p", "kfree q", "kfree p"])
        groups.append(["p = kmalloc %d GFP_KERNEL" % a, "q = krealloc_array p 3 100 GFP_KERNEL",
                       "kfree q"])
    for n in (1, 100, 5000, KMALLOC_MAX_SIZE):
        groups.append(["q = krealloc NULL %d %s" % (n, NOWARN), "ksize q", "kfree q"])
    # a chain: grow in steps, the content travels along
    chain = ["p = kmalloc 10 GFP_KERNEL"]
    for n in (16, 17, 120, 500, 3000, 9000, 70000, 40):
        chain += ["p = krealloc p %d GFP_KERNEL" % n, "ksize p"]
    groups.append(chain + ["kfree p"])
    return groups


def overflow():
    """Array helpers: n * size overflow gives NULL, never a short block."""
    pairs = [(1 << 32, 1 << 32), (1 << 63, 2), (2, 1 << 63), (U64_MAX, 2), (3, (U64_MAX // 3) + 1),
             (U64_MAX, 1), (1 << 20, 1 << 20), (3, 100), (100, 3), (1, 0), (0, 1)]
    groups = []
    for n, s in pairs:
        groups.append(["a = kmalloc_array %d %d %s" % (n, s, NOWARN), "kfree a"])
        groups.append(["a = kcalloc %d %d %s" % (n, s, NOWARN), "kfree a"])
        groups.append(["a = kvmalloc_array %d %d %s" % (n, s, NOWARN), "kvfree a"])
        groups.append(["a = krealloc_array NULL %d %d %s" % (n, s, NOWARN), "kfree a"])
    return groups


def pages():
    """Page orders up to the limit and past it; exact allocations."""
    groups = []
    for order in list(range(MAX_ORDER + 2)) + [20, 63, 64, 65]:
        groups.append(["g = alloc_pages %d %s" % (order, NOWARN), "free_pages g %d" % order])
        groups.append(["g = __get_free_pages %d %s" % (order, NOWARN), "free_pages g %d" % order])
    groups.append(["g = get_zeroed_page GFP_KERNEL", "free_pages g 0"])
    for n in (1, 4096, 4097, 10000, 65536, 1 << 20, (1 << 20) + 1, KMALLOC_MAX_SIZE):
        groups.append(["x = alloc_pages_exact %d %s" % (n, NOWARN), "free_pages_exact x %d" % n])
    # past the largest order it fails; free_pages_exact(NULL, n) is a bug, so no free
    groups.append(["x = alloc_pages_exact %d %s" % (KMALLOC_MAX_SIZE + 1, NOWARN)])
    return groups


def vmalloc():
    """vmalloc(0) is NULL; kvmalloc's limits."""
    groups = []
    for n in (0, 1, 4096, 4097, 100000, 1 << 22, 1 << 40):
        groups.append(["v = vmalloc %d" % n, "vfree v"])
        groups.append(["v = vzalloc %d" % n, "vfree v"])
    for n in (0, 1, 4096, 4097, 100000, (1 << 31) - 1, 1 << 31, 1 << 40):
        groups.append(["v = kvmalloc %d %s" % (n, NOWARN), "kvfree v"])
        groups.append(["v = kvzalloc %d %s" % (n, NOWARN), "kvfree v"])
    return groups


def cache_geometry():
    """kmem_cache_create geometry: every size to 256, steps to 8192 and
    beyond, alignments 0..4096, with and without SLAB_HWCACHE_ALIGN."""
    combos = []
    for size in range(1, 257):
        for align in (0, 8, 16, 32, 64, 128, 256):
            combos.append((size, align))
    steps = list(range(264, 1025, 8)) + list(range(1056, 8193, 32))
    for size in steps:
        for align in (0, 64):
            combos.append((size, align))
    for size in (300, 1000, 2000, 3000, 4000, 4096, 5000, 8192):
        for align in (128, 256, 512, 1024, 2048, 4096):
            combos.append((size, align))
    for size in (8193, 10000, 16384, 32768, 65536, 131072, 262144, 1 << 20, KMALLOC_MAX_SIZE):
        combos.append((size, 0))
    groups = []
    for size, align in combos:
        for flags in ("0", "SLAB_HWCACHE_ALIGN"):
            name = "ko-%d-a%d%s" % (size, align, "-hw" if flags != "0" else "")
            groups.append(["c = kmem_cache_create %s %d %d %s" % (name, size, align, flags),
                           "kmem_cache_destroy c"])
    return groups


def cache_geometry_flags():
    """Layouts that move SLUB's free pointer or add debug metadata: a
    constructor, RCU freeing, red zones, poisoning, user tracking."""
    variants = ["0 ctor", "SLAB_HWCACHE_ALIGN ctor", "SLAB_TYPESAFE_BY_RCU", "SLAB_RED_ZONE",
                "SLAB_HWCACHE_ALIGN|SLAB_RED_ZONE", "SLAB_POISON", "SLAB_STORE_USER",
                "SLAB_RED_ZONE|SLAB_POISON|SLAB_STORE_USER", "SLAB_CONSISTENCY_CHECKS",
                "SLAB_CACHE_DMA", "SLAB_ACCOUNT", "SLAB_RECLAIM_ACCOUNT"]
    groups = []
    for size in (1, 8, 16, 24, 60, 64, 100, 128, 192, 256, 1000, 4096, 8192):
        for align in (0, 64):
            for i, v in enumerate(variants):
                name = "ko-flags-%d-a%d-v%d" % (size, align, i)
                groups.append(["c = kmem_cache_create %s %d %d %s" % (name, size, align, v),
                               "kmem_cache_destroy c"])
    return groups


def cache_ops():
    """Objects come from a cache and go back; kmem_cache_size; shrink."""
    groups = []
    for size in (8, 100, 256, 4096):
        name = "ko-ops-%d" % size
        groups.append(["c = kmem_cache_create %s %d 0 SLAB_HWCACHE_ALIGN" % (name, size),
                       "kmem_cache_size c", "o1 = kmem_cache_alloc c GFP_KERNEL",
                       "o2 = kmem_cache_zalloc c GFP_KERNEL", "kmem_cache_free c o1",
                       "kmem_cache_free c o2", "kmem_cache_shrink c", "kmem_cache_destroy c"])
    return groups


def other_apis():
    """Per-CPU limits, caller writes before a krealloc, the sensitive frees,
    page blocks written through."""
    groups = []
    for size, align in ((1, 1), (4, 4), (8, 8), (100, 64), (16, 3), (16, 4096), (32768, 8),
                        (32769, 8), (0, 4), (16, 8192)):
        groups.append(["a = alloc_percpu %d %d" % (size, align), "free_percpu a"])
    groups.append(["p = kmalloc 100 GFP_KERNEL", "write p 0 10 0x41",
                   "q = krealloc p 300 GFP_KERNEL", "kfree q"])
    groups.append(["p = kmalloc 100 GFP_KERNEL", "read p 0 100", "q = krealloc p 50 GFP_KERNEL",
                   "ksize q", "q = krealloc q 128 GFP_KERNEL", "q = krealloc q 129 GFP_KERNEL",
                   "kfree_sensitive q"])
    groups.append(["v = kvmalloc 100000 GFP_KERNEL", "write v 99990 10 0x7f",
                   "kvfree_sensitive v 100000"])
    groups.append(["v = alloc_pages_exact 12288 GFP_KERNEL|__GFP_ZERO", "write v 0 12288 0x1",
                   "free_pages_exact v 12288"])
    groups.append(["g = get_zeroed_page GFP_KERNEL", "write g 4000 96 0x2", "free_pages g 0"])
    return groups


def krealloc_zero():
    """krealloc with __GFP_ZERO that stays in place: are the spare bytes
    past the new size zeroed (6.12) or left as they were (6.1)? Every block
    starts at its exact class size, so the kernel's fill pattern covers all
    of ksize and the answer is deterministic."""
    groups = []
    for a in (8, 32, 96, 128, 192, 256, 1024, 8192, 16384, 65536):
        for b in sorted({1, a // 2, a - 1, a}):
            if b:
                groups.append(["p = kmalloc %d GFP_KERNEL" % a,
                               "p = krealloc p %d GFP_KERNEL|__GFP_ZERO" % b, "kfree p"])
        # shrink without zeroing, then grow back in place with it: the
        # spare bytes past the new size still carry the first pattern
        if a >= 32:
            groups.append(["p = kmalloc %d GFP_KERNEL" % a, "p = krealloc p %d GFP_KERNEL" % (a // 4),
                           "p = krealloc p %d GFP_KERNEL|__GFP_ZERO" % (a // 2), "kfree p"])
    groups.append(["p = kmalloc 128 GFP_KERNEL", "p = kzalloc 128 GFP_KERNEL", "kfree p"])
    return groups


def kvrealloc_61():
    """6.1's kvrealloc(p, oldsize, newsize, gfp): p back when it does not
    grow, else a new block with oldsize bytes copied."""
    groups = []
    for old, new in ((100, 50), (100, 100), (100, 200), (4096, 8192), (100, 100000),
                     (100000, 200000), (100000, 10)):
        groups.append(["p = kvmalloc %d GFP_KERNEL" % old, "q = kvrealloc p %d %d GFP_KERNEL" % (old, new),
                       "kvfree q"])
    groups.append(["q = kvrealloc NULL 0 100 GFP_KERNEL", "kvfree q"])
    return groups


def kvrealloc_612():
    """6.12's kvrealloc(p, size, gfp): krealloc first (in place when ksize
    allows), vmalloc memory to vrealloc, kvmalloc when krealloc fails."""
    groups = []
    for old, new in ((100, 50), (100, 128), (100, 129), (96, 97), (4096, 8192), (8192, 8193),
                     (100, 100000), (100, KMALLOC_MAX_SIZE + 1), (100, 0)):
        groups.append(["p = kmalloc %d GFP_KERNEL" % old, "q = kvrealloc p %d GFP_KERNEL" % new,
                       "kvfree q"])
    chain = ["p = kvmalloc 100 GFP_KERNEL"]
    for n in (50, 200, 5000, KMALLOC_MAX_SIZE + 1, KMALLOC_MAX_SIZE + 4096, 4096, 1, 0):
        chain.append("p = kvrealloc p %d %s" % (n, NOWARN))
    groups.append(chain + ["kvfree p"])
    groups.append(["q = kvrealloc NULL 100 GFP_KERNEL", "kvfree q"])
    groups.append(["q = kvrealloc NULL 0 GFP_KERNEL", "kvfree q"])
    groups.append(["q = kvrealloc NULL %d %s" % (KMALLOC_MAX_SIZE + 1, NOWARN), "kvfree q"])
    return groups


def kvrealloc_vmalloc():
    """6.12's kvrealloc of vmalloc memory, which is vrealloc (not exported
    to modules itself): in place while the area's pages hold the size, a
    new area otherwise; size 0 frees."""
    groups = []
    for old in (1, 4096, 10000):
        for new in (1, 4096, 4097, 10000, 12288, 12289, 100000):
            groups.append(["v = vmalloc %d" % old, "w = kvrealloc v %d GFP_KERNEL" % new, "kvfree w"])
    groups.append(["v = vmalloc 10000", "v = kvrealloc v 0 GFP_KERNEL", "kvfree v"])
    groups.append(["v = vzalloc 8192", "v = kvrealloc v 100 GFP_KERNEL|__GFP_ZERO",
                   "v = kvrealloc v 8192 GFP_KERNEL", "kvfree v"])
    return groups


def cache_args():
    """6.12's kmem_cache_create with struct kmem_cache_args: freeptr_offset
    keeps an RCU cache's free pointer inside the object (the slot does not
    grow by a pointer), unless poisoning or a small red-zoned object moves
    it out; an offset not below the size, unaligned, or without
    SLAB_TYPESAFE_BY_RCU is refused."""
    groups = []
    n = 0
    for size in (8, 16, 24, 64, 100, 128, 192, 256, 1000, 4096):
        offsets = sorted({0, 8 % size if size > 8 else 0, (size // 2) // 8 * 8, (size - 1) // 8 * 8})
        for off in offsets:
            for align in (0, 64):
                for flags in ("SLAB_TYPESAFE_BY_RCU", "SLAB_TYPESAFE_BY_RCU|SLAB_HWCACHE_ALIGN",
                              "SLAB_TYPESAFE_BY_RCU|SLAB_POISON", "SLAB_TYPESAFE_BY_RCU|SLAB_RED_ZONE"):
                    n += 1
                    groups.append(["c = kmem_cache_create_args ko-args-%d %d %d %s %d"
                                   % (n, size, align, flags, off), "kmem_cache_destroy c"])
    # refused: at or past the size, unaligned, no RCU
    for size, off, flags in ((64, 64, "SLAB_TYPESAFE_BY_RCU"), (64, 1000, "SLAB_TYPESAFE_BY_RCU"),
                             (64, 4, "SLAB_TYPESAFE_BY_RCU"), (64, 8, "0"),
                             (64, 8, "SLAB_HWCACHE_ALIGN")):
        n += 1
        groups.append(["c = kmem_cache_create_args ko-args-%d %d 0 %s %d" % (n, size, flags, off),
                       "kmem_cache_destroy c"])
    # objects come and go with the pointer inside
    for size, off in ((64, 0), (100, 48), (4096, 4088)):
        n += 1
        groups.append(["c = kmem_cache_create_args ko-args-%d %d 0 SLAB_TYPESAFE_BY_RCU %d"
                       % (n, size, off), "o1 = kmem_cache_alloc c GFP_KERNEL",
                       "o2 = kmem_cache_zalloc c GFP_KERNEL", "kmem_cache_free c o1",
                       "kmem_cache_free c o2", "kmem_cache_destroy c"])
    return groups


def variants():
    """The API's variants: kmalloc_node and kzalloc_node take kmalloc's
    size classes and limits on either node form; kmem_cache_alloc_node;
    kmemdup sized by its length; kvcalloc's overflow and kmalloc-or-vmalloc
    limits; __vmalloc with and without __GFP_ZERO; __alloc_percpu_gfp's
    size and alignment limits."""
    groups = []
    sizes = (0, 1, 8, 9, 96, 97, 192, 193, 4096, 8192, 8193, 16384, 100000,
             KMALLOC_MAX_SIZE, KMALLOC_MAX_SIZE + 1)
    for node in ("NUMA_NO_NODE", "0"):
        for n in sizes:
            groups.append(["p = kmalloc_node %d %s %s" % (n, node, NOWARN), "kfree p"])
            groups.append(["p = kzalloc_node %d %s %s" % (n, node, NOWARN), "kfree p"])
        for size in (8, 64, 1000, 4096):
            name = "ko-node-%s-%d" % ("any" if node == "NUMA_NO_NODE" else node, size)
            groups.append(["c = kmem_cache_create %s %d 0 0" % (name, size),
                           "o = kmem_cache_alloc_node c %s GFP_KERNEL" % node,
                           "kmem_cache_free c o", "kmem_cache_destroy c"])
    for n in (8, 100, 4096, 10000):
        for length in sorted({0, 1, n // 2, n}):
            groups.append(["p = kmalloc %d GFP_KERNEL" % n,
                           "q = kmemdup p %d GFP_KERNEL" % length, "kfree q", "kfree p"])
    for count, size in ((0, 100), (10, 0), (10, 100), (1000, 1000), (1, KMALLOC_MAX_SIZE + 1),
                        (3, 1 << 30), (1 << 32, 1 << 32), (U64_MAX, 2), (2, 1 << 63)):
        groups.append(["v = kvcalloc %d %d %s" % (count, size, NOWARN), "kvfree v"])
    for n in (0, 1, 4096, 4097, 100000, 1 << 22, 1 << 40):
        for gfp in ("GFP_KERNEL", "GFP_KERNEL|__GFP_ZERO", NOWARN):
            groups.append(["v = __vmalloc %d %s" % (n, gfp), "vfree v"])
    for size, align in ((1, 1), (4, 4), (100, 64), (16, 3), (16, 4096), (32768, 8),
                        (32769, 8), (0, 4), (16, 8192)):
        for gfp in ("GFP_KERNEL", NOWARN):
            groups.append(["a = __alloc_percpu_gfp %d %d %s" % (size, align, gfp), "free_percpu a"])
    return groups


# Families that only one kernel has (an API that differs); the rest run on
# every kernel. Keyed by the release the reference profile follows.
ONLY_ON = {"kvrealloc-61": "6.1", "kvrealloc-612": "6.12", "kvrealloc-vmalloc": "6.12",
           "cache-args": "6.12"}
RELEASE_OF = {"linux-6.1-x86_64": "6.1", "linux-6.12-x86_64": "6.12"}


def files_for(directory, profile):
    """The probe files in directory that run on the profile's kernel."""
    release = RELEASE_OF.get(profile, "6.1")
    out = []
    for name in sorted(os.listdir(directory)):
        if not name.endswith(".txt"):
            continue
        family = name[:-len("-00.txt")]
        if ONLY_ON.get(family, release) == release:
            out.append(name)
    return out


FAMILIES = [
    ("kmalloc-sizes", kmalloc_sizes),
    ("size-functions", size_functions),
    ("large-sizes", large_sizes),
    ("kmalloc-types", kmalloc_types),
    ("zero-size", zero_size),
    ("krealloc", krealloc),
    ("overflow", overflow),
    ("pages", pages),
    ("vmalloc", vmalloc),
    ("cache-geometry", cache_geometry),
    ("cache-geometry-flags", cache_geometry_flags),
    ("cache-ops", cache_ops),
    ("other-apis", other_apis),
    ("krealloc-zero", krealloc_zero),
    ("kvrealloc-61", kvrealloc_61),
    ("kvrealloc-612", kvrealloc_612),
    ("kvrealloc-vmalloc", kvrealloc_vmalloc),
    ("cache-args", cache_args),
    ("variants", variants),
]


def build():
    """Returns [(file name, text)] for the whole probe set."""
    files = []
    for family, make in FAMILIES:
        chunks, cur = [], []
        for g in make():
            if len(g) > MAX_OPS:
                raise ValueError("a %s group has %d operations" % (family, len(g)))
            if len(cur) + len(g) > MAX_OPS:
                chunks.append(cur)
                cur = []
            cur += g
        if cur:
            chunks.append(cur)
        for i, ops in enumerate(chunks):
            only = " (Linux %s only)" % ONLY_ON[family] if family in ONLY_ON else ""
            head = ["# kernel oracle probe: %s (%d of %d)%s, generated by "
                    "tools/kernel_oracle/probes.py" % (family, i + 1, len(chunks), only)]
            files.append(("%s-%02d.txt" % (family, i), "\n".join(head + ops) + "\n"))
    return files


def write(directory):
    os.makedirs(directory, exist_ok=True)
    wanted = dict(build())
    for old in os.listdir(directory):
        if old.endswith(".txt") and old not in wanted:
            os.remove(os.path.join(directory, old))
    for name, text in wanted.items():
        with open(os.path.join(directory, name), "w") as f:
            f.write(text)
    return sorted(wanted)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: probes.py DIR")
    print("\n".join(write(sys.argv[1])))
