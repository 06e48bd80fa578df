"""Running risky code in a forked child so a crash of the C side fails one
test with a readable message instead of killing the whole run.

The child must create its own allocator instance: the arena is a MAP_SHARED
memfd, so an instance inherited through fork would share its memory (but
not its metadata) with the parent's copy.
"""
import os
import pickle
import signal
import traceback


class ChildCrashed(AssertionError):
    pass


def run_isolated(fn, *args, timeout=600, **kwargs):
    """Runs fn(*args, **kwargs) in a forked child and returns its result.
    An exception in the child is re-raised here as AssertionError with the
    child's traceback; death by a signal raises ChildCrashed."""
    rfd, wfd = os.pipe()
    pid = os.fork()
    if pid == 0:   # child
        os.close(rfd)
        try:
            payload = ("ok", fn(*args, **kwargs))
        except BaseException as e:   # noqa: B902 - everything goes back to the parent
            payload = ("error", f"{type(e).__name__}: {e}\n\n{traceback.format_exc()}")
        try:
            data = pickle.dumps(payload)
        except Exception as e:
            data = pickle.dumps(("error", f"unpicklable result: {e}"))
        with os.fdopen(wfd, "wb") as w:
            w.write(data)
        os._exit(0)
    os.close(wfd)
    signal.alarm(timeout)
    try:
        with os.fdopen(rfd, "rb") as r:
            data = r.read()
        _, status = os.waitpid(pid, 0)
    finally:
        signal.alarm(0)
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        raise ChildCrashed(f"the C side crashed: child killed by signal {sig} "
                           f"({signal.Signals(sig).name}) in {getattr(fn, '__name__', fn)}")
    if not data:
        raise ChildCrashed(f"child exited with status {os.WEXITSTATUS(status)} without a result")
    kind, value = pickle.loads(data)
    if kind == "error":
        raise AssertionError(f"in isolated child:\n{value}")
    return value
