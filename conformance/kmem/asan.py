"""AddressSanitizer plumbing: which library needs the ASan runtime, where
the runtime is, the environment of a process that loads such a library, and
parsing an ASan report.

An ASan-built shared library cannot be loaded into a Python that was not
started with the ASan runtime first in its library list: the runtime must be
preloaded (LD_PRELOAD=libclang_rt.asan-x86_64.so). Python itself then leaks
by ASan's standards, so leak detection is off in such a process.
"""
import glob
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

RUNTIME_NAME = "libclang_rt.asan-x86_64.so"
# detect_leaks=0: CPython's allocations at exit are not leaks of the allocator.
# symbolize=0: reports are parsed for addresses; symbolizing the interpreter's
# frames costs seconds per report. The rest keep a misuse report short and
# make the process exit right after it.
ASAN_OPTIONS = ("detect_leaks=0:symbolize=0:abort_on_error=0:halt_on_error=1:"
                "print_legend=0:malloc_context_size=0")
UBSAN_OPTIONS = "print_stacktrace=0:halt_on_error=1"


def needs_runtime(lib_path):
    """True when the shared library was built with -fsanitize=address (it
    then refers to the runtime's __asan_init)."""
    with open(lib_path, "rb") as f:
        return b"__asan_init" in f.read()


_RUNTIME = None


def runtime_path():
    """Absolute path of the ASan runtime: $KMEM_ASAN_RUNTIME, else what
    clang reports, else the first match under /usr/lib/llvm-*."""
    global _RUNTIME
    if _RUNTIME:
        return _RUNTIME
    explicit = os.environ.get("KMEM_ASAN_RUNTIME")
    candidates = [explicit] if explicit else []
    try:
        out = subprocess.run(["clang", f"-print-file-name={RUNTIME_NAME}"], capture_output=True,
                             text=True, timeout=30).stdout.strip()
        candidates.append(out)
    except (OSError, subprocess.TimeoutExpired):
        pass
    candidates += sorted(glob.glob(f"/usr/lib/llvm-*/lib/clang/*/lib/linux/{RUNTIME_NAME}"),
                         reverse=True)
    for c in candidates:
        if c and os.path.isabs(c) and os.path.exists(c):
            _RUNTIME = c
            return c
    raise FileNotFoundError(
        f"the ASan runtime {RUNTIME_NAME} was not found (asked clang, looked under "
        "/usr/lib/llvm-*); install libclang-rt-14-dev or set KMEM_ASAN_RUNTIME")


def preloaded():
    """True when this process runs with the ASan runtime preloaded."""
    return RUNTIME_NAME in os.environ.get("LD_PRELOAD", "")


def env_for(lib_path, base=None):
    """Environment for a Python process that will load lib_path: the runtime
    preloaded when the library needs it, KMEM_LIB pointing at it."""
    env = dict(os.environ if base is None else base)
    env["KMEM_LIB"] = os.path.abspath(lib_path)   # the child may run elsewhere
    if needs_runtime(lib_path):
        pre = [p for p in env.get("LD_PRELOAD", "").split(":") if p and RUNTIME_NAME not in p]
        env["LD_PRELOAD"] = ":".join([runtime_path()] + pre)
        env["ASAN_OPTIONS"] = ASAN_OPTIONS
        env["UBSAN_OPTIONS"] = UBSAN_OPTIONS
    return env


def reexec_if_needed(lib_path):
    """Re-executes this Python process (same interpreter arguments) with the
    ASan runtime preloaded when lib_path needs it and it is not there yet;
    never returns then."""
    if not needs_runtime(lib_path) or preloaded():
        return
    env = env_for(lib_path)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, [sys.executable] + sys.orig_argv[1:], env)


# ---- reports ------------------------------------------------------------------

@dataclass(frozen=True)
class AsanReport:
    error: str        # "use-after-poison", "unknown-crash", "SEGV", "negative-size-param", ...
    addr: int         # the address ASan names (for SEGV: the faulting address)
    access: str       # "READ", "WRITE" or "" when ASan does not say
    size: int         # bytes of the access, 0 when ASan does not say
    text: str         # the report as printed


_ERROR = re.compile(r"ERROR: AddressSanitizer: ([\w-]+) on (?:unknown )?address (0x[0-9a-f]+)")
_ACCESS = re.compile(r"\b(READ|WRITE) of size (\d+) at (0x[0-9a-f]+)")
_SEGV_ACCESS = re.compile(r"The signal is caused by a (READ|WRITE) memory access")
_OTHER = re.compile(r"ERROR: AddressSanitizer: ([\w-]+)")
_UBSAN = re.compile(r"runtime error: .*")


def parse_report(stderr):
    """The first ASan report in a process's stderr, or None."""
    start = stderr.find("ERROR: AddressSanitizer")
    if start < 0:
        return None
    text = stderr[stderr.rfind("\n", 0, start) + 1:]
    m = _ERROR.search(text)
    if not m:
        o = _OTHER.search(text)
        return AsanReport(o.group(1), 0, "", 0, text)
    a = _ACCESS.search(text)
    if a:
        return AsanReport(m.group(1), int(a.group(3), 16), a.group(1), int(a.group(2)), text)
    s = _SEGV_ACCESS.search(text)
    return AsanReport(m.group(1), int(m.group(2), 16), s.group(1) if s else "", 0, text)


def ubsan_error(stderr):
    m = _UBSAN.search(stderr)
    return m.group(0) if m else None


def find_asan_library():
    """The ASan build of the reference (//allocator:libkmem_ref_asan.so):
    $KMEM_ASAN_LIB, the runfiles tree, or bazel-bin."""
    from .lib import WORKSPACE
    explicit = os.environ.get("KMEM_ASAN_LIB")
    if explicit:
        if not Path(explicit).exists():
            raise FileNotFoundError(f"KMEM_ASAN_LIB={explicit} does not exist")
        return Path(explicit)
    name = "libkmem_ref_asan.so"
    candidates = []
    for var in ("RUNFILES_DIR", "TEST_SRCDIR"):
        root = os.environ.get(var)
        if root:
            candidates.append(Path(root) / WORKSPACE / "allocator" / name)
    here = Path(__file__).absolute().parents[2]
    repo = Path(__file__).resolve().parents[2]
    candidates += [here / "allocator" / name, repo / "bazel-bin" / "allocator" / name,
                   repo / "bazel-out" / "k8-fastbuild" / "bin" / "allocator" / name]
    for c in candidates:
        if c.exists():
            return c
    raise FileNotFoundError("the ASan build of the allocator was not found; run `bazel build "
                            "//allocator:libkmem_ref_asan.so` or set KMEM_ASAN_LIB. Looked at: "
                            + ", ".join(map(str, candidates)))
