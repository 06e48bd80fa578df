"""Trace files -> the kernel module's operation table (module/ko_ops.h).

Reads the text form of the fuzz trace language (fuzz/trace.h) for the
operations a kernel module can run safely and deterministically, and writes
one table row per operation. Anything else is refused with the file, line and
reason, so a probe never does in the kernel what it cannot report.

The traces are expected to be valid for the reference too (the runner
replays them first); this parser checks what the kernel side needs: known
operations and flag names, integers in range, bound variables.
"""

import re

# Operation -> (module opcode, what the result binds, operand kinds).
# Operand kinds: num (integer), byte (0..255), node (NUMA_NO_NODE, passed
# as all ones, or a node number up to 63), gfp, slab (SLAB_* flags),
# name (cache name), ctor (optional literal `ctor`), ptr (NULL,
# ZERO_SIZE_PTR or a variable), cache, cache_or_null.
OPS = {
    "kmalloc": ("KO_KMALLOC", "ptr", ["num", "gfp"]),
    "kzalloc": ("KO_KZALLOC", "ptr", ["num", "gfp"]),
    "kcalloc": ("KO_KCALLOC", "ptr", ["num", "num", "gfp"]),
    "kmalloc_array": ("KO_KMALLOC_ARRAY", "ptr", ["num", "num", "gfp"]),
    "krealloc": ("KO_KREALLOC", "ptr", ["ptr", "num", "gfp"]),
    "krealloc_array": ("KO_KREALLOC_ARRAY", "ptr", ["ptr", "num", "num", "gfp"]),
    "ksize": ("KO_KSIZE", None, ["ptr"]),
    "kfree": ("KO_KFREE", None, ["ptr"]),
    "kfree_sensitive": ("KO_KFREE_SENSITIVE", None, ["ptr"]),
    "kmalloc_size_roundup": ("KO_KMALLOC_SIZE_ROUNDUP", None, ["num"]),
    "kmalloc_index": ("KO_KMALLOC_INDEX", None, ["num"]),
    "get_order": ("KO_GET_ORDER", None, ["num"]),
    "kmem_cache_create": ("KO_KMEM_CACHE_CREATE", "cache", ["name", "num", "num", "slab", "ctor"]),
    "kmem_cache_alloc": ("KO_KMEM_CACHE_ALLOC", "ptr", ["cache", "gfp"]),
    "kmem_cache_zalloc": ("KO_KMEM_CACHE_ZALLOC", "ptr", ["cache", "gfp"]),
    "kmem_cache_free": ("KO_KMEM_CACHE_FREE", None, ["cache", "ptr"]),
    "kmem_cache_shrink": ("KO_KMEM_CACHE_SHRINK", None, ["cache"]),
    "kmem_cache_destroy": ("KO_KMEM_CACHE_DESTROY", None, ["cache_or_null"]),
    "kmem_cache_size": ("KO_KMEM_CACHE_SIZE", None, ["cache"]),
    "alloc_pages": ("KO_ALLOC_PAGES", "ptr", ["num", "gfp"]),
    "free_pages": ("KO_FREE_PAGES", None, ["ptr", "num"]),
    "__get_free_pages": ("KO_GET_FREE_PAGES", "ptr", ["num", "gfp"]),
    "get_zeroed_page": ("KO_GET_ZEROED_PAGE", "ptr", ["gfp"]),
    "alloc_pages_exact": ("KO_ALLOC_PAGES_EXACT", "ptr", ["num", "gfp"]),
    "free_pages_exact": ("KO_FREE_PAGES_EXACT", None, ["ptr", "num"]),
    "vmalloc": ("KO_VMALLOC", "ptr", ["num"]),
    "vzalloc": ("KO_VZALLOC", "ptr", ["num"]),
    "vfree": ("KO_VFREE", None, ["ptr"]),
    "kvmalloc": ("KO_KVMALLOC", "ptr", ["num", "gfp"]),
    "kvzalloc": ("KO_KVZALLOC", "ptr", ["num", "gfp"]),
    "kvmalloc_array": ("KO_KVMALLOC_ARRAY", "ptr", ["num", "num", "gfp"]),
    "kvfree": ("KO_KVFREE", None, ["ptr"]),
    "kvfree_sensitive": ("KO_KVFREE_SENSITIVE", None, ["ptr", "num"]),
    "alloc_percpu": ("KO_ALLOC_PERCPU", "ptr", ["num", "num"]),
    "free_percpu": ("KO_FREE_PERCPU", None, ["ptr"]),
    # kvrealloc: the 6.1 form (p, oldsize, newsize, gfp); 6.12's (p, size,
    # gfp) is told apart by its operand count, as in fuzz/trace.c. vrealloc
    # is not exported to modules in 6.12: probes reach it through kvrealloc.
    "kvrealloc": ("KO_KVREALLOC", "ptr", ["ptr", "num", "num", "gfp"]),
    # 6.12's kmem_cache_create(name, size, &args, flags): args.align and
    # args.freeptr_offset (with use_freeptr_offset)
    "kmem_cache_create_args": ("KO_KMEM_CACHE_CREATE_ARGS", "cache",
                               ["name", "num", "num", "slab", "num"]),
    # the API's variants (trace language version 4)
    "kmalloc_node": ("KO_KMALLOC_NODE", "ptr", ["num", "node", "gfp"]),
    "kzalloc_node": ("KO_KZALLOC_NODE", "ptr", ["num", "node", "gfp"]),
    "kmem_cache_alloc_node": ("KO_KMEM_CACHE_ALLOC_NODE", "ptr", ["cache", "node", "gfp"]),
    "kmemdup": ("KO_KMEMDUP", "ptr", ["ptr", "num", "gfp"]),
    "kvcalloc": ("KO_KVCALLOC", "ptr", ["num", "num", "gfp"]),
    "__vmalloc": ("KO_VMALLOC_GFP", "ptr", ["num", "gfp"]),
    "__alloc_percpu_gfp": ("KO_ALLOC_PERCPU_GFP", "ptr", ["num", "num", "gfp"]),
    "write": ("KO_WRITE", None, ["ptr", "num", "num", "byte"]),
    "read": ("KO_READ", None, ["ptr", "num", "num"]),
}

# Same names in the reference (allocator/gfp.c) and in <linux/gfp.h>; bit
# values differ, so numbers are refused.
GFP_NAMES = frozenset("""
GFP_HIGHUSER_MOVABLE GFP_HIGHUSER GFP_USER GFP_KERNEL_ACCOUNT GFP_KERNEL GFP_NOFS
GFP_ATOMIC GFP_NOIO GFP_NOWAIT GFP_DMA GFP_DMA32 __GFP_HIGHMEM __GFP_HIGH __GFP_ATOMIC
__GFP_IO __GFP_FS __GFP_NOWARN __GFP_RETRY_MAYFAIL __GFP_NOFAIL __GFP_NORETRY __GFP_COMP
__GFP_ZERO __GFP_NOMEMALLOC __GFP_MEMALLOC __GFP_HARDWALL __GFP_THISNODE
__GFP_RECLAIMABLE __GFP_MOVABLE __GFP_ACCOUNT __GFP_WRITE __GFP_RECLAIM
__GFP_DIRECT_RECLAIM __GFP_KSWAPD_RECLAIM
""".split())

# SLAB_KMALLOC is the allocator's own marker, not a caller's flag.
SLAB_NAMES = frozenset("""
SLAB_CONSISTENCY_CHECKS SLAB_RED_ZONE SLAB_POISON SLAB_HWCACHE_ALIGN SLAB_CACHE_DMA
SLAB_CACHE_DMA32 SLAB_STORE_USER SLAB_RECLAIM_ACCOUNT SLAB_PANIC SLAB_TYPESAFE_BY_RCU
SLAB_ACCOUNT
""".split())

VAR_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*$")
CACHE_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*$")
RESERVED = {"NULL", "ZERO_SIZE_PTR"}
U64_MAX = (1 << 64) - 1


class TraceError(Exception):
    """A trace the kernel probe cannot run; str() is 'FILE:LINE: reason'."""


class Op:
    """One operation: where it came from and its operands for the table."""

    def __init__(self, file, line, text, name):
        self.file, self.line, self.text, self.name = file, line, text, name
        self.dst = None       # result variable name
        self.ptrs = []        # "NULL", "ZERO_SIZE_PTR" or a variable name
        self.nums = []        # integers, in trace order (ctor counts as 0/1)
        self.gfp = []         # GFP names
        self.slab = []        # SLAB_* names
        self.cache_name = None
        self.code = None      # module opcode (kvrealloc has two forms)


def _int(tok, what, fail):
    if not re.fullmatch(r"0[xX][0-9a-fA-F]+|[0-9]+", tok):
        fail("expected %s (decimal or 0x hex), got '%s'" % (what, tok))
    v = int(tok, 0)
    if v > U64_MAX:
        fail("%s %s does not fit in 64 bits" % (what, tok))
    return v


def _flags(tok, names, what, fail):
    if tok in ("0", "none"):
        return []
    out = []
    for part in tok.split("|"):
        if part not in names:
            fail("unknown %s '%s' (numeric flags are not portable to the kernel; use names)"
                 % (what, part))
        out.append(part)
    return out


def parse(text, filename):
    """Parses one trace's text into a list of Op. Raises TraceError."""
    ops = []
    bound = {}            # variable -> "ptr" | "cache"
    for lineno, raw in enumerate(text.splitlines(), 1):
        def fail(msg):
            raise TraceError("%s:%d: %s" % (filename, lineno, msg))
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        toks = line.replace("=", " = ").split()
        dst = None
        if len(toks) >= 2 and toks[1] == "=":
            dst = toks[0]
            if not VAR_RE.match(dst) or dst in RESERVED or len(dst) > 63:
                fail("invalid variable name '%s'" % dst)
            toks = toks[2:]
        if not toks:
            fail("expected an operation")
        name, args = toks[0], toks[1:]
        if name not in OPS:
            fail("'%s' cannot run in the kernel probe (supported: %s)"
                 % (name, ", ".join(sorted(OPS))))
        code, result, kinds = OPS[name]
        if name == "kvrealloc" and len(args) == 3:
            code, kinds = "KO_KVREALLOC_NEW", ["ptr", "num", "gfp"]
        op = Op(filename, lineno, line, name)
        op.code = code
        if dst and not result:
            fail("'%s' has no result to bind" % name)
        optional = {"ctor"}
        required = [k for k in kinds if k not in optional]
        if not len(required) <= len(args) <= len(kinds):
            fail("'%s' takes %d operands, got %d" % (name, len(required), len(args)))
        for i, kind in enumerate(kinds):
            tok = args[i] if i < len(args) else None
            if kind == "ctor":
                if tok not in (None, "ctor"):
                    fail("expected 'ctor' or nothing, got '%s'" % tok)
                op.nums.append(1 if tok else 0)
            elif kind == "num":
                op.nums.append(_int(tok, "an integer", fail))
            elif kind == "node":
                if tok == "NUMA_NO_NODE":
                    op.nums.append(U64_MAX)
                else:
                    v = _int(tok, "a node (NUMA_NO_NODE or a number)", fail)
                    if v > 63:
                        fail("node %d is above 63" % v)
                    op.nums.append(v)
            elif kind == "byte":
                v = _int(tok, "a byte", fail)
                if v > 255:
                    fail("byte value %d is above 255" % v)
                op.nums.append(v)
            elif kind == "gfp":
                op.gfp = _flags(tok, GFP_NAMES, "GFP flag", fail)
            elif kind == "slab":
                op.slab = _flags(tok, SLAB_NAMES, "slab flag", fail)
            elif kind == "name":
                if not CACHE_NAME_RE.match(tok) or len(tok) > 63:
                    fail("invalid cache name '%s'" % tok)
                op.cache_name = tok
            elif kind in ("ptr", "cache", "cache_or_null"):
                want = "ptr" if kind == "ptr" else "cache"
                if tok in RESERVED:
                    if kind == "cache" or (kind == "cache_or_null" and tok != "NULL"):
                        fail("expected a cache variable, got '%s'" % tok)
                elif not VAR_RE.match(tok):
                    fail("the kernel probe takes plain variables only, got '%s' "
                         "(interior pointers and array elements are not supported)" % tok)
                elif bound.get(tok) != want:
                    fail("'%s' is not bound to a %s" % (tok, "pointer" if want == "ptr" else "cache")
                         if tok in bound else "undefined variable '%s'" % tok)
                op.ptrs.append(tok)
        if dst:
            bound[dst] = result
            op.dst = dst
        ops.append(op)
    return ops


def _c_string(s):
    return '"%s"' % s.replace("\\", "\\\\").replace('"', '\\"')


def _c_flags(names):
    return " | ".join(names) if names else "0"


def generate_header(traces):
    """traces: list of (file label, [Op]). Returns the text of ko_ops.h.

    Cache names must be unique over the whole probe set: with slab_nomerge
    every cache gets a /sys/kernel/slab/<name> directory, and the runner
    checks each cache's geometry there."""
    slots = {}            # (file index, variable) -> slot
    slot_names = []
    rows = []
    caches = {}
    for fi, (label, ops) in enumerate(traces):
        for op in ops:
            if op.cache_name is not None:
                if op.cache_name in caches:
                    raise TraceError("%s:%d: cache name '%s' is already used at %s (names must be "
                                     "unique in a probe set)" % (label, op.line, op.cache_name,
                                                                 caches[op.cache_name]))
                caches[op.cache_name] = "%s:%d" % (label, op.line)

            def slot(var):
                if var == "NULL":
                    return "KO_NULL"
                if var == "ZERO_SIZE_PTR":
                    return "KO_ZSP"
                key = (fi, var)
                if key not in slots:
                    slots[key] = len(slot_names)
                    slot_names.append(var)
                return str(slots[key])
            ptrs = [slot(v) for v in op.ptrs] + ["KO_NULL"] * (2 - len(op.ptrs))
            dst = slot(op.dst) if op.dst else "-1"
            nums = ["%dULL" % n for n in op.nums] + ["0"] * (3 - len(op.nums))
            rows.append("\tO(%d, %d, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s),"
                        % (fi, op.line, op.code, dst, ptrs[0], ptrs[1], nums[0], nums[1],
                           nums[2], _c_flags(op.gfp), _c_flags(op.slab),
                           _c_string(op.cache_name) if op.cache_name else "NULL"))
    n_ops = len(rows)
    out = [
        "/* Generated by tools/kernel_oracle/tracegen.py from %d trace files; do not edit. */"
        % len(traces),
        "#define KO_NSLOTS %d" % len(slot_names),
        # Records are at most ~200 bytes; 256 per operation and some slack.
        "#define KO_OUT_CAP %dUL" % (256 * n_ops + 65536),
        "static const char *const ko_files[] = {",
    ]
    out += ["\t%s," % _c_string(label) for label, _ in traces] or ['\t""']
    out += ["};", "static const char *const ko_slot_names[] = {"]
    out += ["\t%s," % _c_string(n) for n in slot_names] or ['\t""']
    out += [
        "};",
        "#define O(file, line, code, dst, p0, p1, n0, n1, n2, gfp, sflags, name) \\",
        "\t{ file, code, line, dst, { p0, p1 }, { n0, n1, n2 }, gfp, sflags, name }",
        "static const struct ko_op ko_ops[] = {",
    ]
    out += rows
    out += ["};", "#undef O", ""]
    return "\n".join(out)
