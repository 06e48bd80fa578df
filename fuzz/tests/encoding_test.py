"""The binary encoding stays fixed: `trace encoding` equals fuzz/encoding.golden.

Every committed corpus input, crash reproducer and seed is bytes whose meaning
is the operation numbering and each target's operation list. A change to
either turns those inputs into other programs without any test noticing, so
it fails here. Add a new operation at the end of the language (a new trace
version) and a new target for a new list; regenerate the golden file only for
such an addition: `bazel-bin/fuzz/trace encoding > fuzz/encoding.golden`.
"""
import difflib
import subprocess
import sys


def main(trace, golden):
    now = subprocess.run([trace, "encoding"], check=True, capture_output=True, text=True).stdout
    with open(golden) as f:
        fixed = f.read()
    if now == fixed:
        print(f"encoding unchanged: {len(fixed.splitlines())} lines")
        return 0
    sys.stdout.writelines(difflib.unified_diff(
        fixed.splitlines(True), now.splitlines(True), golden, "trace encoding"))
    removed = [l for l in difflib.ndiff(fixed.splitlines(), now.splitlines()) if l.startswith("- ")]
    print("\nthe encoding of committed inputs changed." if removed else
          "\nthe encoding only grew: regenerate the golden file if that was meant.")
    print(__doc__)
    return 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
