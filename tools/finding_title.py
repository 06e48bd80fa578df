"""The title of a finding in a fuzz target's output: its deduplication key.

The harness prints "kmem-harness finding: TITLE" itself. A sanitizer error
ends the process inside an operation instead; the target then prints
"kmem-harness: the sanitizer stopped operation N: OP", and the title is made
the way the crash tools make it (fuzz/crash.c, sanitizer_title):
"<error kind> in <operation> (<first allocator frame>)", with the
sanitizer's name in place of the frame when no allocator code is on the stack.
"""

import re

FINDING = re.compile(r"kmem-harness finding: (.+)")
STOPPED = re.compile(r"kmem-harness: the sanitizer stopped operation \d+: (?:\w+ = )?(\S+)")
ASAN = re.compile(r"ERROR: AddressSanitizer: (\S+)")
UBSAN = re.compile(r"runtime error: ([^:\n]*)")
FRAME = re.compile(r"^\s*#\d+ 0x[0-9a-f]+ in (\S+) (\S+)", re.M)


def _allocator_frame(report):
    for m in FRAME.finditer(report):
        path = m.group(2)
        if path.startswith("allocator/") or "/allocator/" in path:
            return m.group(1)
    return None


def title(output):
    """The finding's title, or None when the output shows no finding."""
    m = FINDING.search(output)
    if m:
        return m.group(1).strip()
    if "ERROR: LeakSanitizer" in output:
        return "memory leak (LeakSanitizer)"
    if "ERROR: libFuzzer: timeout" in output:
        return "timeout (libFuzzer)"
    if "ERROR: libFuzzer: out-of-memory" in output:
        return "out of memory (libFuzzer)"
    m = ASAN.search(output)
    tool = "AddressSanitizer"
    if m:
        kind = m.group(1)
    else:
        m = UBSAN.search(output)
        if not m:
            if "deadly signal" in output or "Sanitizer" in output:
                return "crash (unclassified)"
            return None
        tool = "UndefinedBehaviorSanitizer"
        kind = m.group(1).split(" 0x")[0][:60]
    where = _allocator_frame(output[m.start():]) or tool
    op = STOPPED.search(output)
    if op:
        return "%s in %s (%s)" % (kind, op.group(1), where)
    return "%s (%s)" % (kind, where)
