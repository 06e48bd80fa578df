#!/usr/bin/python3
"""Coverage of allocator/ from the fuzz corpora (clang source-based coverage).

Runs every input of every target's corpora (the committed seeds in
fuzz/corpus/<target>/, the committed reproducers in fuzz/crashes/<target>/
and, when present, the campaign's working corpus <work>/<target>/corpus/)
through that target's coverage binary (//fuzz:<target>_cov: the fuzz entry
point without libFuzzer, the allocator built with -fprofile-instr-generate
-fcoverage-mapping), merges the profiles with llvm-profdata, and reports with
llvm-cov: an HTML report, a per-file line / branch / function table in
Markdown and JSON, and the allocator/ totals. With --line-floor or
--branch-floor it fails when the totals fall below the floor; with
--file-line-floor when any file's line coverage does (--file-line-floor-for
FILE=PCT sets another floor for one file).

  ci/coverage                     # build, measure, write artifacts/coverage/
  ci/coverage --seeds-only        # only what is committed (what CI's floor measures)

Exit status: 0 fine, 1 below a floor, 2 setup error (message says what).
"""

import argparse
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The report covers the reference allocator only; the harness is not
# instrumented, headers of allocator/ count with their functions.
SOURCE_PREFIX = "allocator/"
RUNNING = re.compile(r"^running (.+) \(\d+ bytes\)$", re.M)


class SetupError(Exception):
    pass


def tool(name):
    for candidate in (name, name + "-14"):
        path = shutil.which(candidate)
        if path:
            return path
    raise SetupError("%s not found (Debian package `llvm`; ci/setup installs it)" % name)


def list_targets(root):
    """Targets are the fuzz/<name>_fuzzer.c files, as in fuzz/BUILD."""
    names = [os.path.basename(p)[:-len("_fuzzer.c")]
             for p in glob.glob(os.path.join(root, "fuzz", "*_fuzzer.c"))]
    return sorted(names)


def inputs_of(root, work, target):
    """Every input file of the target's corpora, in a stable order."""
    dirs = [os.path.join(root, "fuzz", "corpus", target), os.path.join(root, "fuzz", "crashes", target)]
    if work:
        dirs.append(os.path.join(work, target, "corpus"))
    files = []
    for d in dirs:
        for dirpath, _, names in os.walk(d):
            files += [os.path.join(dirpath, n) for n in sorted(names) if not n.startswith(".")]
    return files


def run_inputs(binary, files, profile_dir, target):
    """Runs the inputs through one coverage binary. A finding aborts the
    process (its profile is still written, see fuzz/coverage_dump.c); the
    rest of the inputs then run in a new process. Returns the inputs that
    ended in a finding."""
    env = dict(os.environ, LLVM_PROFILE_FILE=os.path.join(profile_dir, target + "-%p.profraw"))
    aborted = []
    pending = list(files)
    while pending:
        # Batches keep each command line well under ARG_MAX.
        batch = pending[:2000]
        p = subprocess.run([binary] + batch, env=env, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, text=True, errors="replace")
        if p.returncode == 0:
            pending = pending[len(batch):]
            continue
        ran = RUNNING.findall(p.stderr)
        if not ran or ran[-1] not in batch:
            raise SetupError("%s failed before running an input (exit %d):\n%s"
                             % (binary, p.returncode, p.stderr[-2000:]))
        aborted.append(ran[-1])
        pending = pending[batch.index(ran[-1]) + 1:]
    return aborted


def pct(covered, count):
    return 100.0 * covered / count if count else 100.0


def summarize(export):
    """Per-file and total line/branch/function figures for allocator/."""
    files = []
    totals = {k: {"covered": 0, "count": 0} for k in ("lines", "branches", "functions", "regions")}
    for f in export["data"][0]["files"]:
        name = f["filename"]
        if name.startswith("./"):
            name = name[2:]
        if not name.startswith(SOURCE_PREFIX):
            continue
        s = f["summary"]
        if not s["lines"]["count"]:
            continue  # a header without functions
        row = {"file": name}
        for k in totals:
            row[k] = {"covered": s[k]["covered"], "count": s[k]["count"],
                      "percent": round(pct(s[k]["covered"], s[k]["count"]), 2)}
            totals[k]["covered"] += s[k]["covered"]
            totals[k]["count"] += s[k]["count"]
        files.append(row)
    for k in totals:
        totals[k]["percent"] = round(pct(totals[k]["covered"], totals[k]["count"]), 2)
    return sorted(files, key=lambda r: r["file"]), totals


def markdown(files, totals, inputs, html):
    def cell(x):
        return "%.1f%% (%d/%d)" % (x["percent"], x["covered"], x["count"]) if x["count"] else "-"
    out = ["| file | lines | branches | functions |", "|---|---:|---:|---:|"]
    for r in files:
        out.append("| %s | %s | %s | %s |" % (r["file"], cell(r["lines"]), cell(r["branches"]),
                                              cell(r["functions"])))
    out.append("| **total** | **%s** | **%s** | **%s** |" % (
        cell(totals["lines"]), cell(totals["branches"]), cell(totals["functions"])))
    head = "Coverage of allocator/ from %d corpus inputs (%s)." % (
        sum(inputs.values()), ", ".join("%s %d" % kv for kv in sorted(inputs.items())))
    if html:
        head += " HTML report: `%s`." % html
    return head + "\n\n" + "\n".join(out) + "\n"


def measure(bin_dir, root, work, targets, out, html=True):
    """Runs the corpora and writes out/{summary.md,summary.json,html/}.
    Returns the summary dict."""
    profdata_tool, cov_tool = tool("llvm-profdata"), tool("llvm-cov")
    binaries = {}
    for t in targets:
        b = os.path.join(bin_dir, "fuzz", t + "_cov")
        if not os.access(b, os.X_OK):
            raise SetupError("coverage binary %s is missing (bazel build //fuzz:coverage_binaries)" % b)
        binaries[t] = b
    os.makedirs(out, exist_ok=True)
    inputs, aborted = {}, {}
    with tempfile.TemporaryDirectory(prefix="kh-cov-") as tmp:
        for t in targets:
            files = inputs_of(root, work, t)
            inputs[t] = len(files)
            if files:
                aborted[t] = run_inputs(binaries[t], files, tmp, t)
        raw = glob.glob(os.path.join(tmp, "*.profraw"))
        if not raw:
            raise SetupError("no coverage profile was written: no inputs in the corpora?")
        profdata = os.path.join(out, "allocator.profdata")
        subprocess.run([profdata_tool, "merge", "-sparse", "-o", profdata] + raw, check=True)
    objects = []
    for t in targets:
        objects += ([binaries[t]] if not objects else ["-object", binaries[t]])
    # llvm-cov resolves the relative source names of the mapping from here.
    exported = subprocess.run([cov_tool, "export", "-summary-only", "-instr-profile=" + profdata] + objects,
                              cwd=root, check=True, capture_output=True, text=True).stdout
    files, totals = summarize(json.loads(exported))
    html_dir = None
    if html:
        html_dir = os.path.join(out, "html")
        shutil.rmtree(html_dir, ignore_errors=True)
        subprocess.run([cov_tool, "show", "-format=html", "-output-dir=" + html_dir,
                        "-instr-profile=" + profdata, "-show-branches=count",
                        "-show-line-counts-or-regions", "-project-title=kmem-harness allocator/",
                        "-ignore-filename-regex=^(/|fuzz/)"] + objects + [SOURCE_PREFIX],
                       cwd=root, check=True)
    summary = {"totals": totals, "files": files, "inputs": inputs,
               "aborted_inputs": {t: a for t, a in aborted.items() if a},
               "html": os.path.join(html_dir, "index.html") if html_dir else None}
    with open(os.path.join(out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=2)
    with open(os.path.join(out, "summary.md"), "w") as f:
        f.write(markdown(files, totals, inputs, summary["html"]))
    return summary


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="\n".join(__doc__.splitlines()[1:]))
    ap.add_argument("--bin-dir", help="directory holding fuzz/<target>_cov (default: build with Bazel)")
    ap.add_argument("--root", default=ROOT, help="source tree with fuzz/corpus, fuzz/crashes, allocator/")
    ap.add_argument("--work", default=os.path.join(ROOT, ".fuzz-work"),
                    help="campaign working corpora, <work>/<target>/corpus (default .fuzz-work)")
    ap.add_argument("--seeds-only", action="store_true", help="only the committed corpora")
    ap.add_argument("--targets", help="comma-separated (default: every fuzz/*_fuzzer.c)")
    # Under `bazel test` the report lands with the test's outputs.
    ap.add_argument("--out", default=os.path.join(os.environ.get("TEST_UNDECLARED_OUTPUTS_DIR") or
                                                  os.path.join(ROOT, "artifacts"), "coverage"))
    ap.add_argument("--no-html", action="store_true")
    ap.add_argument("--line-floor", type=float, help="fail below this line coverage of allocator/ (%%)")
    ap.add_argument("--branch-floor", type=float, help="fail below this branch coverage of allocator/ (%%)")
    ap.add_argument("--file-line-floor", type=float,
                    help="fail when a file of allocator/ has less line coverage than this (%%)")
    ap.add_argument("--file-line-floor-for", action="append", default=[], metavar="FILE=PCT",
                    help="another --file-line-floor for one file (allocator/x.c=70), repeatable")
    a = ap.parse_args(argv)
    file_floors = {}
    for spec in a.file_line_floor_for:
        name, _, pct = spec.rpartition("=")
        try:
            file_floors[name] = float(pct)
        except ValueError:
            name = ""
        if not name:
            print("coverage: --file-line-floor-for wants FILE=PCT, got %r" % spec, file=sys.stderr)
            return 2

    root = os.path.abspath(a.root)
    known = list_targets(root)
    targets = known if not a.targets else [t for t in a.targets.split(",") if t]
    unknown = sorted(set(targets) - set(known))
    if unknown:
        print("coverage: unknown target(s) %s (known: %s)" % (", ".join(unknown), ", ".join(known)),
              file=sys.stderr)
        return 2
    work = None if a.seeds_only or not os.path.isdir(a.work) else os.path.abspath(a.work)
    try:
        bin_dir = a.bin_dir
        if not bin_dir:
            subprocess.run(["bazel", "build", "//fuzz:coverage_binaries"], cwd=ROOT, check=True)
            bin_dir = subprocess.run(["bazel", "info", "bazel-bin"], cwd=ROOT, check=True,
                                     capture_output=True, text=True).stdout.strip()
        s = measure(os.path.abspath(bin_dir), root, work, targets, os.path.abspath(a.out),
                    html=not a.no_html)
    except (SetupError, subprocess.CalledProcessError) as e:
        print("coverage: %s" % e, file=sys.stderr)
        return 2

    with open(os.path.join(a.out, "summary.md")) as f:
        print(f.read(), end="")
    for t, files in s["aborted_inputs"].items():
        print("coverage: %s: %d input(s) ended in a finding (counted up to the finding): %s"
              % (t, len(files), ", ".join(files[:3])))
    lines, branches = s["totals"]["lines"]["percent"], s["totals"]["branches"]["percent"]
    print("allocator/ coverage: lines %.2f%%, branches %.2f%%" % (lines, branches))
    failed = False
    for what, got, floor in (("line", lines, a.line_floor), ("branch", branches, a.branch_floor)):
        if floor is not None and got < floor:
            print("coverage: %s coverage %.2f%% is below the floor %.2f%%" % (what, got, floor),
                  file=sys.stderr)
            failed = True
        elif floor is not None:
            print("%s coverage %.2f%% meets the floor %.2f%%" % (what, got, floor))
    unknown = sorted(set(file_floors) - {r["file"] for r in s["files"]})
    if unknown:
        print("coverage: --file-line-floor-for names no measured file: %s" % ", ".join(unknown),
              file=sys.stderr)
        return 2
    if a.file_line_floor is not None or file_floors:
        low = []
        for r in s["files"]:
            floor = file_floors.get(r["file"], a.file_line_floor)
            if floor is not None and r["lines"]["percent"] < floor:
                low.append("%s %.2f%% (floor %.2f%%)" % (r["file"], r["lines"]["percent"], floor))
        if low:
            print("coverage: line coverage below the per-file floor: %s" % "; ".join(low),
                  file=sys.stderr)
            failed = True
        else:
            print("every file meets its line floor (%s%s)" % (
                "%.2f%%" % a.file_line_floor if a.file_line_floor is not None else "none",
                "".join(", %s %.2f%%" % kv for kv in sorted(file_floors.items()))))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
