#!/usr/bin/python3
"""The C programs `reproduce` writes compile against allocator/ and find
what the executor finds.

For every case in fuzz/tests/repro/*.txt the test runs `reproduce` to write
the C program, builds it with clang against the allocator sources (ASan +
UBSan, the command the program's header gives) and runs it. A case states
what must happen in a header comment:

    # expect: TITLE                  reproduce and the program both report TITLE
    # expect-sanitizer: KIND         the program dies with AddressSanitizer's KIND
    # expect with KH_PLANT_X: TITLE  built against the allocator with the planted
                                     bug X it reports TITLE; against the reference
                                     it runs clean ("no finding", exit 0)

The "with KH_PLANT_X" cases are written by the reference build's reproduce
(which sees no finding), so they test the program's own checks, not a
replay of what the generator saw. Every seed trace (fuzz/seeds/*/*.txt)
must also give a program that runs clean: the runtime raises no false alarm
on any kind of operation.

Every generated program must build warning-free (-Wall -Wextra -Werror) with
both clang and gcc: the cases and seeds are built with clang (and run) and
compiled with gcc -O2 (whose warnings need the optimizer). With --warnings,
the program of every committed regression input (CRASHES_DIR/<target>/*, for
the targets the crash tools know) is compiled with both, without running it
(//fuzz:repro_c_warnings_test). Those inputs reach paths the cases do not,
such as an operation left out under the misuse policy, whose names are then
never read.

usage: repro_c_test.py REPRODUCE ALLOCATOR_DIR CASES_DIR SEEDS_DIR
       repro_c_test.py --warnings REPRODUCE ALLOCATOR_DIR CRASHES_DIR
"""

import glob
import os
import re
import subprocess
import sys
import tempfile
import time

CFLAGS = ["-std=c11", "-D_GNU_SOURCE", "-g", "-O0", "-fsanitize=address,undefined",
          "-fno-sanitize-recover=undefined", "-fno-omit-frame-pointer", "-Wall", "-Wextra", "-Werror"]
WARN_CFLAGS = ["-std=c11", "-D_GNU_SOURCE", "-Wall", "-Wextra", "-Werror"]
# The targets whose inputs reproduce writes C for (not differential).
CRASH_TARGETS = ["page_alloc", "slab", "kmalloc", "mempool", "vmalloc", "percpu",
                 "whole_system", "misuse"]
ALLOCATOR_CFLAGS = ["-std=c11", "-D_GNU_SOURCE", "-g", "-O0", "-fsanitize=address,undefined",
                    "-fno-omit-frame-pointer"]


class Failure(Exception):
    pass


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, errors="replace", **kw)


def build_allocator(src_dir, out_dir, defines):
    """Objects of allocator/*.c in out_dir, with -D for each planted bug."""
    os.makedirs(out_dir, exist_ok=True)
    srcs = sorted(glob.glob(os.path.join(src_dir, "*.c")))
    p = run(["clang"] + ALLOCATOR_CFLAGS + ["-D" + d for d in defines] + ["-I", src_dir, "-c"] + srcs,
            cwd=out_dir)
    if p.returncode:
        raise Failure("building the allocator with %s failed:\n%s" % (defines or "no plants", p.stderr))
    return sorted(glob.glob(os.path.join(out_dir, "*.o")))


def expectations(path):
    exp = {"title": None, "sanitizer": None, "planted": []}
    for line in open(path):
        m = re.match(r"#\s*expect:\s*(.+?)\s*$", line)
        if m:
            exp["title"] = m.group(1)
        m = re.match(r"#\s*expect-sanitizer:\s*(\S+)", line)
        if m:
            exp["sanitizer"] = m.group(1)
        m = re.match(r"#\s*expect with (KH_PLANT_\w+):\s*(.+?)\s*$", line)
        if m:
            exp["planted"].append((m.group(1), m.group(2)))
    return exp


def generate(reproduce, trace, out, name, target=None):
    p = run([reproduce, "-q", "--always", "--no-regression", "-o", out, "--name", name]
            + (["--target", target] if target else []) + [trace])
    if p.returncode:
        raise Failure("reproduce %s failed (%d):\n%s%s" % (trace, p.returncode, p.stdout, p.stderr))
    m = re.search(r"^finding: (.+)$", p.stdout, re.M)
    return os.path.join(out, name + ".c"), (m.group(1) if m else None)


def build(c_file, objects, allocator, exe):
    p = run(["clang"] + CFLAGS + ["-I", allocator, c_file] + objects + ["-lpthread", "-o", exe])
    if p.returncode:
        raise Failure("compiling %s failed:\n%s" % (c_file, p.stderr))
    compile_only(["gcc", "-O2", "-c", "-o", os.devnull], c_file, allocator)


def compile_only(cc, c_file, allocator):
    """cc (a command prefix) must compile c_file without a warning."""
    p = run(cc + WARN_CFLAGS + ["-I", allocator, c_file])
    if p.returncode:
        raise Failure("%s -Wall -Wextra -Werror on %s failed:\n%s" % (cc[0], c_file, p.stderr))


def execute(exe):
    p = run([exe], timeout=120, env=dict(os.environ, ASAN_OPTIONS="detect_leaks=0"))
    m = re.search(r"^finding: (.+)$", p.stdout, re.M)
    return p.returncode, (m.group(1) if m else None), p.stdout + p.stderr


def check_case(case, reproduce, allocator, tmp, objects):
    name = os.path.basename(case)[:-len(".txt")]
    exp = expectations(case)
    c_file, seen = generate(reproduce, case, tmp, name)
    exe = os.path.join(tmp, name)
    build(c_file, objects["ref"], allocator, exe)
    rc, title, out = execute(exe)
    if exp["title"]:
        if seen != exp["title"]:
            raise Failure("%s: reproduce reported %r, expected %r" % (name, seen, exp["title"]))
        if rc != 1 or title != exp["title"]:
            raise Failure("%s: the program exited %d with %r, expected 1 with %r:\n%s"
                          % (name, rc, title, exp["title"], out))
    elif exp["sanitizer"]:
        if not seen or not seen.startswith(exp["sanitizer"] + " "):
            raise Failure("%s: reproduce reported %r, expected a %s" % (name, seen, exp["sanitizer"]))
        if rc == 0 or "ERROR: AddressSanitizer: " + exp["sanitizer"] not in out:
            raise Failure("%s: the program exited %d without AddressSanitizer's %s:\n%s"
                          % (name, rc, exp["sanitizer"], out))
        if title != seen:
            raise Failure("%s: the program titled it %r, reproduce %r" % (name, title, seen))
    elif rc != 0 or "no finding" not in out:
        raise Failure("%s: on the reference the program exited %d:\n%s" % (name, rc, out))
    for plant, want in exp["planted"]:
        exe_p = exe + "-" + plant
        build(c_file, objects[plant], allocator, exe_p)
        rc, title, out = execute(exe_p)
        if rc != 1 or title != want:
            raise Failure("%s with %s: the program exited %d with %r, expected 1 with %r:\n%s"
                          % (name, plant, rc, title, want, out))
    return exp


def compile_regression_inputs(reproduce, allocator, crashes_dir):
    """--warnings mode: the program of every regression input compiles
    warning-free with clang and gcc (not run)."""
    tmp = tempfile.mkdtemp(dir=os.environ.get("TEST_TMPDIR"))
    failures = []
    t0 = time.monotonic()
    crashes = [(t, f) for t in CRASH_TARGETS
               for f in sorted(glob.glob(os.path.join(crashes_dir, t, "*")))]
    if not crashes:
        failures.append("no regression inputs in %s" % crashes_dir)
    programs = []
    for target, crash in crashes:
        rel = os.path.relpath(crash, crashes_dir)
        name = "crash-" + rel.replace("/", "-").replace(".", "-")
        try:
            programs.append(generate(reproduce, crash, tmp, name, target)[0])
        except Failure as e:
            failures.append(str(e))
            print("FAIL crash %s" % e)
    # one compiler run over all of them (the errors name the file)
    for cc in (["clang", "-fsyntax-only"], ["gcc", "-fsyntax-only"]):
        p = run(cc + WARN_CFLAGS + ["-I", allocator] + programs) if programs else None
        if p and p.returncode:
            failures.append("%s -Wall -Wextra -Werror on the regression inputs' programs failed:\n%s"
                            % (cc[0], p.stderr))
            print("FAIL %s" % failures[-1])
    print("%d regression inputs compiled with clang and gcc (%.0f s)" % (len(crashes), time.monotonic() - t0))
    return 1 if failures else 0


def main():
    if len(sys.argv) == 5 and sys.argv[1] == "--warnings":
        return compile_regression_inputs(*(os.path.abspath(a) for a in sys.argv[2:]))
    if len(sys.argv) != 5:
        print("\n".join(__doc__.strip().splitlines()[-2:]), file=sys.stderr)
        return 2
    reproduce, allocator, cases_dir, seeds_dir = (os.path.abspath(a) for a in sys.argv[1:])
    cases = sorted(glob.glob(os.path.join(cases_dir, "*.txt")))
    seeds = sorted(glob.glob(os.path.join(seeds_dir, "*", "*.txt")))
    if not cases or not seeds:
        print("no cases in %s or no seeds in %s" % (cases_dir, seeds_dir), file=sys.stderr)
        return 1
    tmp = tempfile.mkdtemp(dir=os.environ.get("TEST_TMPDIR"))
    plants = sorted({p for c in cases for p, _ in expectations(c)["planted"]})
    objects = {"ref": build_allocator(allocator, os.path.join(tmp, "obj-ref"), [])}
    for plant in plants:
        objects[plant] = build_allocator(allocator, os.path.join(tmp, "obj-" + plant), [plant])
    failures = []
    for case in cases:
        try:
            exp = check_case(case, reproduce, allocator, tmp, objects)
            what = exp["title"] or exp["sanitizer"] or "no finding"
            extra = "".join("; with %s: %s" % p for p in exp["planted"])
            print("ok   %s: %s%s" % (os.path.basename(case), what, extra))
        except Failure as e:
            failures.append(str(e))
            print("FAIL %s" % e)
    for seed in seeds:
        rel = os.path.relpath(seed, seeds_dir)
        name = "seed-" + rel.replace("/", "-")[:-len(".txt")]
        try:
            c_file, seen = generate(reproduce, seed, tmp, name)
            if seen:
                raise Failure("seed %s: reproduce reports %r" % (rel, seen))
            exe = os.path.join(tmp, name)
            build(c_file, objects["ref"], allocator, exe)
            rc, title, out = execute(exe)
            if rc != 0 or "no finding" not in out:
                raise Failure("seed %s: the program exited %d (%r):\n%s" % (rel, rc, title, out))
            print("ok   seed %s: no finding" % rel)
        except Failure as e:
            failures.append(str(e))
            print("FAIL %s" % e)
    print("%d cases, %d seeds, %d failures" % (len(cases), len(seeds), len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
