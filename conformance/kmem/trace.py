"""Recording what a test did as a trace in the fuzz trace language.

A state machine appends one line per operation (`p1 = kmalloc 123
GFP_KERNEL`, `kfree p1`, ...). When a check fails the lines are printed, so
the failure can be replayed with bazel-bin/fuzz/replay (see fuzz/trace.h for
the language). Variables are named by kind: p for kmalloc, o for cache
objects, c for caches, g for page blocks.
"""
import os
import subprocess
import tempfile
from pathlib import Path

from . import spec


class TraceRecorder:
    def __init__(self, profile_name):
        self.lines = [f"#! profile={profile_name}"]
        self.names = {}
        self.counters = {}

    def bind(self, kind, value):
        """Names `value` (an address or handle) with a fresh variable of `kind`."""
        self.counters[kind] = self.counters.get(kind, 0) + 1
        name = f"{kind}{self.counters[kind]}"
        if value:
            self.names[value] = name
        return name

    def ref(self, value):
        if value == 0:
            return "NULL"
        if value == spec.ZERO_SIZE_PTR:
            return "ZERO_SIZE_PTR"
        return self.names.get(value, hex(value))

    def forget(self, value):
        self.names.pop(value, None)

    def op(self, text):
        self.lines.append(text)

    def result(self, kind, value, text):
        """An operation binding a result; NULL results still get a name so
        the trace stays replayable (the replay reports them as ok=false)."""
        name = self.bind(kind, value if value not in (0, spec.ZERO_SIZE_PTR) else 0)
        self.lines.append(f"{name} = {text}")
        return name

    def text(self):
        return "\n".join(self.lines) + "\n"


# ---- running traces through the fuzz tools --------------------------------------

def find_tool(name):
    """bazel-bin/fuzz/<name> (replay, trace): from the runfiles tree under
    Bazel, else the repository's bazel-bin. None when not built."""
    from .lib import WORKSPACE
    candidates = [Path(os.environ[v]) / WORKSPACE / "fuzz" / name
                  for v in ("RUNFILES_DIR", "TEST_SRCDIR") if os.environ.get(v)]
    repo = Path(__file__).resolve().parents[2]
    candidates += [repo / "bazel-bin" / "fuzz" / name,
                   repo / "bazel-out" / "k8-fastbuild" / "bin" / "fuzz" / name]
    return next((c for c in candidates if c.exists()), None)


def run_tool(tool, args, text, timeout=300):
    """Runs a fuzz tool on `text` saved to a file; (exit status, output)."""
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
        f.write(text)
        path = f.name
    try:
        env = dict(os.environ)
        env.pop("LD_PRELOAD", None)   # the tools link their own sanitizer runtime
        p = subprocess.run([str(tool)] + list(args) + [path], capture_output=True, text=True,
                           timeout=timeout, env=env)
        return p.returncode, p.stdout + p.stderr
    finally:
        os.unlink(path)
