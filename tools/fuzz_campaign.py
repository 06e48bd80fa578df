#!/usr/bin/python3
"""A fuzz campaign over every target: the main job (`ci/fuzz`).

Runs each libFuzzer target within a share of a total time budget, on all
cores (one target per core at a time; time an early finisher leaves is passed
on), starting from the committed seed corpus plus a persistent working corpus
in .fuzz-work/<target>/corpus. Findings are reproduced several times,
deduplicated by title, minimized to the fewest operations (//fuzz:reproduce
--minimize: text trace, C reproducer, regression input) and written to the
artifacts directory. At the end each working corpus
is merged into a minimal one that keeps coverage, and a summary is written in
Markdown and JSON. Exit status: 0 nothing found, 1 findings, 2 setup error.

Crash inputs are never moved or modified: they are copied.
"""

import argparse
import concurrent.futures
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time

import finding_title

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGETS = ["kmalloc", "slab", "page_alloc", "vmalloc", "percpu", "mempool",
           "whole_system", "misuse", "differential", "trace_parse"]
REPRODUCE_RUNS = 3
PULSE = re.compile(r"#(\d+)\s+(?:pulse|NEW|REDUCE|INITED|DONE)\s+cov: (\d+) ft: (\d+) corp: (\d+)/\S+.*?exec/s: (\d+)")
# Targets whose inputs the crash tools run (the shared executor's targets);
# the differential and parser targets keep libFuzzer's byte-level minimizer.
TOOL_TARGETS = {"kmalloc", "slab", "page_alloc", "vmalloc", "percpu", "mempool", "whole_system", "misuse"}
REPRODUCE = os.path.join(ROOT, "bazel-bin", "fuzz", "reproduce")
print_lock = threading.Lock()


def say(msg):
    with print_lock:
        print(msg, flush=True)


def slug(title):
    return re.sub(r"[^A-Za-z0-9]+", "-", title).strip("-").lower()[:80] or "finding"


class Target:
    def __init__(self, name, work):
        self.name = name
        self.binary = os.path.join(ROOT, "bazel-bin", "fuzz", name)
        self.seeds = os.path.join(ROOT, "fuzz", "corpus", name)
        self.dict = os.path.join(ROOT, "fuzz", "dicts", name + ".dict")
        self.options = os.path.join(ROOT, "fuzz", "options", name + ".options")
        self.work = os.path.join(work, name)
        self.corpus = os.path.join(self.work, "corpus")
        self.crashes = os.path.join(self.work, "crashes")
        self.stats = {"target": name, "seconds": 0.0, "executions": 0, "exec_per_s": 0,
                      "coverage": 0, "features": 0, "corpus_before": 0, "corpus_after": 0,
                      "findings": []}

    def flags(self):
        out = []
        if os.path.exists(self.options):
            for line in open(self.options):
                m = re.match(r"\s*(\w+)\s*=\s*(\S+)", line)
                if m:
                    out.append("-%s=%s" % m.groups())
        if os.path.exists(self.dict):
            out.append("-dict=" + self.dict)
        return out


def count_files(d):
    return len([f for f in os.listdir(d) if not f.startswith(".")]) if os.path.isdir(d) else 0


def run_target(t, seconds):
    """Fuzzes one target for `seconds`, printing progress every ~10 s."""
    os.makedirs(t.corpus, exist_ok=True)
    os.makedirs(t.crashes, exist_ok=True)
    t.stats["corpus_before"] = count_files(t.corpus) + count_files(t.seeds)
    cmd = [t.binary] + t.flags() + [
        "-max_total_time=%d" % max(1, int(seconds)), "-print_final_stats=1",
        "-artifact_prefix=" + t.crashes + "/", "-close_fd_mask=0",
        t.corpus, t.seeds]
    start = time.time()
    last = 0.0
    log_path = os.path.join(t.work, "fuzz.log")
    with open(log_path, "w") as log:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                errors="replace")
        for line in proc.stdout:
            log.write(line)
            m = PULSE.search(line)
            if m:
                t.stats["executions"] = int(m.group(1))
                t.stats["coverage"] = int(m.group(2))
                t.stats["features"] = int(m.group(3))
                t.stats["exec_per_s"] = int(m.group(5))
            now = time.time() - start
            if now - last >= 10:
                last = now
                say("[%-12s] %4ds/%ds  exec/s %6d  cov %5d  ft %6d  corpus %5d  findings %d" % (
                    t.name, now, seconds, t.stats["exec_per_s"], t.stats["coverage"],
                    t.stats["features"], count_files(t.corpus), count_files(t.crashes)))
        proc.wait()
    t.stats["seconds"] = round(time.time() - start, 1)
    m = re.findall(r"stat::number_of_executed_units: (\d+)", open(log_path).read())
    if m:
        t.stats["executions"] = int(m[-1])
    if t.stats["seconds"]:
        t.stats["exec_per_s"] = int(t.stats["executions"] / t.stats["seconds"])
    say("[%-12s] done in %.0fs: %d executions (%d/s), cov %d, %d crash file(s)" % (
        t.name, t.stats["seconds"], t.stats["executions"], t.stats["exec_per_s"],
        t.stats["coverage"], count_files(t.crashes)))
    return t.stats["seconds"]


def title_of(output):
    return finding_title.title(output)


def reproduce(t, path):
    """Runs the input REPRODUCE_RUNS times; returns (title, output) when every
    run fails with the same title, else (None, output)."""
    titles, out = set(), ""
    for _ in range(REPRODUCE_RUNS):
        p = subprocess.run([t.binary, "-runs=1", path], capture_output=True, text=True,
                           errors="replace", timeout=120)
        out = p.stdout + p.stderr
        if p.returncode == 0:
            return None, out
        titles.add(title_of(out))
    return (titles.pop(), out) if len(titles) == 1 else (None, out)


def minimize(t, path, dest, seconds=20):
    """libFuzzer's crash minimizer on a copy; keeps the original input."""
    shutil.copyfile(path, dest)
    tmp = dest + ".min"
    subprocess.run([t.binary, "-minimize_crash=1", "-max_total_time=%d" % seconds,
                    "-exact_artifact_path=" + tmp, dest], capture_output=True, timeout=seconds + 60)
    if os.path.exists(tmp) and os.path.getsize(tmp) > 0:
        title, _ = reproduce(t, tmp)
        if title is not None:
            os.replace(tmp, dest)
    if os.path.exists(tmp):
        os.remove(tmp)


def triage(t, artifacts, seen):
    for name in sorted(os.listdir(t.crashes)):
        path = os.path.join(t.crashes, name)
        title, out = reproduce(t, path)
        if title is None:
            say("[%-12s] %s did not reproduce %d times: recorded as flaky" % (t.name, name, REPRODUCE_RUNS))
            t.stats["findings"].append({"title": "flaky: " + name, "input": path, "reproduced": False})
            continue
        if title in seen:
            continue
        seen.add(title)
        d = os.path.join(artifacts, t.name, slug(title))
        os.makedirs(d, exist_ok=True)
        shutil.copyfile(path, os.path.join(d, "original-" + name))
        regression = os.path.join(d, "regression.input")
        tools = None
        if t.name in TOOL_TARGETS and os.path.exists(REPRODUCE):
            # fewest operations and smallest arguments, a C program, and the
            # regression input in binary trace form
            tools = subprocess.run([REPRODUCE, "--minimize", "-q", "--target", t.name, "-o", d, "--name",
                                    "trace", "--regression", regression, path],
                                   capture_output=True, text=True, errors="replace", timeout=900)
        if tools is None or tools.returncode:
            minimize(t, path, regression)
            _, out = reproduce(t, regression)
            trace = re.search(r"---- trace \(text form\) ----\n(.*?)----\n", out, re.S)
            with open(os.path.join(d, "trace.txt"), "w") as f:
                f.write("# %s\n" % title)
                f.write(trace.group(1) if trace else "# (no text trace: the finding happened outside the harness)\n")
        else:
            out += "\n---- reproduce --minimize ----\n" + tools.stdout + tools.stderr
        with open(os.path.join(d, "report.txt"), "w") as f:
            f.write(out)
        say("[%-12s] FINDING: %s -> %s" % (t.name, title, d))
        t.stats["findings"].append({"title": title, "input": path, "artifacts": d, "reproduced": True})


def merge(t):
    """Minimal corpus keeping coverage: merge into a fresh dir, then swap."""
    fresh = t.corpus + ".merge"
    shutil.rmtree(fresh, ignore_errors=True)
    os.makedirs(fresh)
    subprocess.run([t.binary, "-merge=1", fresh, t.corpus, t.seeds], capture_output=True, timeout=600)
    if count_files(fresh):
        shutil.rmtree(t.corpus)
        os.rename(fresh, t.corpus)
    else:
        shutil.rmtree(fresh)
    t.stats["corpus_after"] = count_files(t.corpus)


def write_summary(targets, artifacts, budget, elapsed):
    rows = [t.stats for t in targets]
    with open(os.path.join(artifacts, "summary.json"), "w") as f:
        json.dump({"budget_seconds": budget, "elapsed_seconds": round(elapsed, 1),
                   "targets": rows}, f, indent=2)
    lines = ["# Fuzz campaign summary", "",
             "Budget %ds, elapsed %.0fs, %d core(s)." % (budget, elapsed, os.cpu_count() or 1), "",
             "| target | seconds | executions | exec/s | coverage | features | corpus before | corpus after | findings |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---|"]
    for r in rows:
        found = "; ".join(x["title"] for x in r["findings"]) or "none"
        lines.append("| %s | %.0f | %d | %d | %d | %d | %d | %d | %s |" % (
            r["target"], r["seconds"], r["executions"], r["exec_per_s"], r["coverage"],
            r["features"], r["corpus_before"], r["corpus_after"], found))
    text = "\n".join(lines) + "\n"
    with open(os.path.join(artifacts, "summary.md"), "w") as f:
        f.write(text)
    return text


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("seconds", nargs="?", type=int, default=300, help="total time budget (default 300)")
    ap.add_argument("--targets", default=",".join(TARGETS), help="comma-separated targets")
    ap.add_argument("--work", default=os.path.join(ROOT, ".fuzz-work"), help="persistent corpora")
    ap.add_argument("--artifacts", default=os.path.join(ROOT, "artifacts", "fuzz"))
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--no-build", action="store_true")
    a = ap.parse_args()

    names = [n for n in a.targets.split(",") if n]
    unknown = [n for n in names if n not in TARGETS]
    if unknown:
        print("fuzz campaign: unknown target(s): %s (known: %s)" % (", ".join(unknown), ", ".join(TARGETS)),
              file=sys.stderr)
        return 2
    if not a.no_build:
        say("building %d fuzz targets ..." % len(names))
        b = subprocess.run(["bazel", "build", "//fuzz:reproduce"] + ["//fuzz:" + n for n in names], cwd=ROOT)
        if b.returncode:
            return 2
    shutil.rmtree(a.artifacts, ignore_errors=True)
    os.makedirs(a.artifacts)
    targets = [Target(n, a.work) for n in names]
    for t in targets:
        # Old crash files were triaged by the campaign that found them.
        shutil.rmtree(t.crashes, ignore_errors=True)

    start = time.time()
    budget_left = float(a.seconds)
    pending = list(targets)
    lock = threading.Lock()
    running = [0]

    def share():
        # Remaining budget split among the targets not yet finished, per core.
        with lock:
            n = len(pending) + running[0]
            return max(5.0, budget_left * a.jobs / max(n, 1))

    def work(t):
        nonlocal budget_left
        secs = min(share(), max(5.0, budget_left))
        used = run_target(t, secs)
        with lock:
            running[0] -= 1
            budget_left -= used / a.jobs
        return t

    say("campaign: %d targets, %ds budget, %d parallel job(s)" % (len(targets), a.seconds, a.jobs))
    with concurrent.futures.ThreadPoolExecutor(max_workers=a.jobs) as pool:
        futures = []
        while pending:
            with lock:
                t = pending.pop(0)
                running[0] += 1
            futures.append(pool.submit(work, t))
            if len(futures) >= a.jobs:
                concurrent.futures.wait(futures, return_when=concurrent.futures.FIRST_COMPLETED)
                futures = [f for f in futures if not f.done()]
        concurrent.futures.wait(futures)

    seen = set()
    for t in targets:
        triage(t, a.artifacts, seen)
    for t in targets:
        merge(t)
    text = write_summary(targets, a.artifacts, a.seconds, time.time() - start)
    print(text)
    print("summary: %s/summary.md and summary.json" % a.artifacts)
    return 1 if any(f.get("reproduced") for t in targets for f in t.stats["findings"]) else 0


if __name__ == "__main__":
    sys.exit(main())
