"""Every "SPEC n" citation in the tree names a section of docs/SPEC.md.

Comments and messages cite the project's spec as "SPEC 0b", "SPEC 2/4",
"SPEC 2, 4, 5 and 9", and so on. This walks every source and document file
under the root (under Bazel: the runfiles tree, which holds the files the
BUILD rule lists) and fails on a citation of a section docs/SPEC.md does not
have, so renumbering the spec cannot silently strand a citation.

    python3 tools/spec_citations_test.py [--root DIR] [--min-citations N]
"""
import argparse
import os
import re
import sys

SECTION = re.compile(r"^## (\d+b?)\. ", re.M)
# "SPEC 1", "SPEC 0 / 0b", "SPEC 2/4", "SPEC 2, 4, 5 and 9"
CITATION = re.compile(r"\bSPEC\s+(\d+b?(?:\s*(?:/|,|and)\s*\d+b?)*)")
PART = re.compile(r"\d+b?")
TEXT_SUFFIXES = (".c", ".h", ".py", ".md", ".bzl", ".sh", ".txt")
SKIP_DIRS = {".git", "__pycache__", ".pytest_cache", ".hypothesis"}


def sections(spec_text):
    return set(SECTION.findall(spec_text))


def citations(text):
    """(line number, section) for every section a citation in text names."""
    out = []
    for m in CITATION.finditer(text):
        line = text.count("\n", 0, m.start()) + 1
        out.extend((line, s) for s in PART.findall(m.group(1)))
    return out


def walk(root):
    for d, dirs, files in os.walk(root, followlinks=True):
        dirs[:] = sorted(x for x in dirs if x not in SKIP_DIRS and not x.startswith("bazel-"))
        for f in sorted(files):
            if f.endswith(TEXT_SUFFIXES):
                yield os.path.join(d, f)


def check(root, spec_path):
    with open(spec_path, encoding="utf-8") as f:
        have = sections(f.read())
    bad, found = [], 0
    for path in walk(root):
        if os.path.realpath(path) == os.path.realpath(spec_path):
            continue
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
        for line, s in citations(text):
            found += 1
            if s not in have:
                bad.append(f"{os.path.relpath(path, root)}:{line}: SPEC {s}")
    return have, found, bad


def self_test():
    assert sections("## 0. a\n## 0b. b\n## 10. c\n### 3. not a section\n") == {"0", "0b", "10"}
    got = [s for _, s in citations("x (SPEC 2, 4, 5 and 9) y SPEC 0 / 0b z SPEC 6/7\nSPEC 9's")]
    assert got == ["2", "4", "5", "9", "0", "0b", "6", "7", "9"], got
    assert citations("no SPECIAL 3 here, nor SPEC.md") == []


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", default=os.environ.get("TEST_SRCDIR") and
                    os.path.join(os.environ["TEST_SRCDIR"], os.environ.get("TEST_WORKSPACE", "")) or ".")
    ap.add_argument("--min-citations", type=int, default=100,
                    help="fail if fewer citations are found (the walk missed the sources)")
    args = ap.parse_args()
    self_test()
    spec = os.path.join(args.root, "docs", "SPEC.md")
    have, found, bad = check(args.root, spec)
    expected = {"0", "0b"} | {str(n) for n in range(1, 11)}
    if have != expected:
        print(f"docs/SPEC.md sections {sorted(have)} differ from {sorted(expected)}")
        return 1
    if found < args.min_citations:
        print(f"only {found} SPEC citations found under {args.root} (at least "
              f"{args.min_citations} expected): the test does not see the sources")
        return 1
    for b in bad:
        print(f"{b}: no such section in docs/SPEC.md")
    print(f"{found} citations, {len(bad)} unresolved")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
