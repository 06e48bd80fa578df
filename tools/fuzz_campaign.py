#!/usr/bin/python3
"""A fuzz campaign over every target: the main job (`ci/fuzz`).

  ci/fuzz [SECONDS] [--targets a,b] [--jobs N] [--plant NAME] [--copt=FLAG]

Builds every libFuzzer target, then fuzzes them within SECONDS of wall time
on all cores: one libFuzzer process per core, each target starting from the
committed seeds (fuzz/corpus/<target>/) plus its persistent working corpus
(<work>/<target>/corpus/). The budget is shared out as core-seconds; time a
target leaves (it stopped on a crash) goes to the targets after it, and a
core that runs out of new targets keeps fuzzing the least-fuzzed one until
the deadline.

Every crash file is copied, never moved or modified: libFuzzer writes it to
<work>/<target>/crashes/, where it stays. Each is run three times in fresh
processes; only a finding that reproduces every time with the same title is
reported. Findings are deduplicated by title across targets; the smallest
input of each is minimized (libFuzzer's -minimize_crash, kept only if the
title is unchanged), and <artifacts>/<target>/<title>/ gets trace.txt (the
text trace, replayable with bazel-bin/fuzz/replay), regression.input (drop
into fuzz/crashes/<target>/ to make it a regression test), reproducer.c (from
bazel-bin/fuzz/reproduce when that tool is built) and report.txt, plus every
original input under inputs/.

Afterwards each working corpus is merged into a minimal one that keeps its
coverage, the corpora's coverage of allocator/ is measured (tools/corpus_coverage.py)
and summary.md / summary.json are written.

Exit status: 0 nothing found, 1 findings, 2 setup error.
"""

import argparse
import concurrent.futures
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import corpus_coverage as coverage  # noqa: E402  (tools/corpus_coverage.py)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPRODUCE_RUNS = 3
MIN_RUN_SECONDS = 4      # below this libFuzzer mostly loads its corpus
STATUS = re.compile(r"^#(\d+)\s+(\w+)\s+cov: (\d+) ft: (\d+) corp: (\d+)/\S+.*?exec/s: (\d+)")
WRITTEN = re.compile(r"Test unit written to (\S+)")
CRASH_PREFIXES = ("crash-", "leak-", "timeout-", "oom-")
print_lock = threading.Lock()


def say(msg):
    with print_lock:
        print(msg, flush=True)


def slug(title):
    return re.sub(r"[^A-Za-z0-9]+", "-", title).strip("-").lower()[:80] or "finding"


def count_files(d):
    return len([f for f in os.listdir(d) if not f.startswith(".")]) if os.path.isdir(d) else 0


class SetupError(Exception):
    pass


# ---- titles ------------------------------------------------------------------

FRAME = re.compile(r"#\d+ 0x[0-9a-f]+ in (\S+) (\S+)")
# Frames that are on every stack and say nothing about the bug.
GENERIC_FRAMES = re.compile(r"^(__|LLVMFuzzerTestOneInput$|kh_fuzz_one$|exec_run$|abort$|raise$|"
                            r"fuzzer::|main$|_start$|malloc$|calloc$|realloc$|free$|"
                            r"mem(cpy|set|move|cmp)$|str(len|cmp|ncmp|cpy|dup)$)")


def frame_after(output, pos):
    """The innermost allocator/ frame after pos, else the innermost fuzz/
    frame, else the innermost frame that is not generic."""
    frames = FRAME.findall(output[pos:pos + 20000])
    for where in ("/allocator/", "/fuzz/"):
        for func, loc in frames:
            if where in "/" + loc and not GENERIC_FRAMES.match(func):
                # The file, not the line: a title must survive unrelated edits.
                return "%s (%s)" % (func, loc.split("/proc/self/cwd/")[-1].split(":")[0])
    for func, loc in frames:
        if not GENERIC_FRAMES.match(func):
            return func
    return None


# Targets that check with their own code rather than the trace executor: a
# finding is their line "<target>_fuzzer: <what>", and there is no single
# trace to write as C.
OWN_CHECK_TARGETS = ("trace_parse", "config", "kernel_names", "page_validate", "slab_validate")
OWN_CHECK_LINE = re.compile(r"^(%s)_fuzzer: (.+)$" % "|".join(OWN_CHECK_TARGETS), re.M)


def title_of(output):
    """The crash title used for deduplication: the harness's own title when it
    has one, else the sanitizer's kind of error and the innermost frame of our
    code. Addresses and sizes are left out so one bug has one title."""
    m = re.search(r"kmem-harness finding: (.+)", output)
    if m:
        return m.group(1).strip()
    m = OWN_CHECK_LINE.search(output)
    if m:
        return "%s: %s" % (m.group(1), m.group(2).strip())
    m = re.search(r"^(\S+?):(\d+):\d+: runtime error: ([^,\n]+)", output, re.M)
    if m:
        what = re.sub(r"0x[0-9a-f]+", "ADDR", m.group(3))
        what = re.sub(r"\b\d+\b", "N", what)
        where = frame_after(output, m.end()) or "%s:%s" % (m.group(1), m.group(2))
        return "%s in %s (UBSan)" % (what, where)
    m = re.search(r"ERROR: LeakSanitizer: detected memory leaks", output)
    if m:
        return "memory leak from %s (LSan)" % (frame_after(output, m.end()) or "unknown frame")
    m = re.search(r"ERROR: AddressSanitizer: ([\w-]+)", output)
    if m:
        return "%s in %s (ASan)" % (m.group(1), frame_after(output, m.end()) or "unknown frame")
    m = re.search(r"ERROR: libFuzzer: (timeout|out-of-memory|deadly signal|fuzz target exited|"
                  r"malloc limit)", output)
    if m:
        where = frame_after(output, m.end())
        return "%s%s (libFuzzer)" % (m.group(1), " in " + where if where else "")
    return "crash (unclassified)"


# ---- targets -----------------------------------------------------------------

class Target:
    def __init__(self, name, bin_dir, work, throughput=False):
        self.name = name
        # fuzzing runs `binary`; every finding is confirmed and minimized
        # with `confirm` (the ASan build), which --throughput sets apart
        self.confirm = os.path.join(bin_dir, "fuzz", name)
        self.binary = self.confirm + ("_fast" if throughput else "")
        self.seeds = os.path.join(ROOT, "fuzz", "corpus", name)
        self.dict = os.path.join(ROOT, "fuzz", "dicts", name + ".dict")
        self.options = os.path.join(ROOT, "fuzz", "options", name + ".options")
        self.work = os.path.join(work, name)
        self.corpus = os.path.join(self.work, "corpus")
        self.crashes = os.path.join(self.work, "crashes")
        self.log = os.path.join(self.work, "fuzz.log")
        self.crashed = False
        self.runs = 0
        self.running = 0
        self.new_crashes = []
        self.stats = {"target": self.name, "seconds": 0.0, "runs": 0, "executions": 0,
                      "exec_per_s": 0, "coverage": 0, "features": 0, "corpus_before": 0,
                      "seeds": 0, "corpus_after": None, "features_after": None,
                      "coverage_after": None, "findings": []}

    def option_flags(self):
        """fuzz/options/<target>.options ([libfuzzer] key = value) as flags."""
        out = []
        if os.path.exists(self.options):
            for line in open(self.options):
                m = re.match(r"\s*(\w+)\s*=\s*(\S+)", line)
                if m:
                    out.append("-%s=%s" % m.groups())
        return out

    def unit_timeout(self):
        for f in self.option_flags():
            if f.startswith("-timeout="):
                return float(f.split("=", 1)[1])
        return 1200.0  # libFuzzer's default

    def limit_flags(self):
        """The options that decide whether an input is a finding (time and
        memory limits): reproduction and minimization use them too."""
        return [f for f in self.option_flags()
                if f.split("=")[0] in ("-timeout", "-rss_limit_mb", "-malloc_limit_mb", "-max_len")]


def sanitizer_env():
    env = dict(os.environ)
    # Stack traces for UBSan too: the title names the innermost frame.
    env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1")
    return env


# ---- the fuzzing phase ---------------------------------------------------------

class Run:
    """One libFuzzer process fuzzing one target for `seconds`."""

    def __init__(self, target, seconds, instance):
        self.t = target
        self.seconds = seconds
        self.label = target.name if instance == 1 else "%s#%d" % (target.name, instance)
        self.start = time.time()
        self.execs = self.exec_per_s = self.cov = self.ft = 0
        self.proc = None
        self.signalled = set()


class Campaign:
    def __init__(self, targets, budget, jobs, progress):
        self.targets = targets
        self.jobs = jobs
        self.budget = budget
        self.progress = progress
        self.lock = threading.Lock()
        self.start = time.time()
        self.deadline = self.start + budget
        self.core_seconds = float(budget * jobs)
        self.spent = 0.0            # core-seconds used by finished runs
        self.allotted = {}          # running Run -> its allotment
        self.pending = list(targets)
        self.stop = threading.Event()
        self.interrupted = False

    def next_run(self):
        """The next (target, seconds), or None when the budget is used up."""
        with self.lock:
            now = time.time()
            left = self.deadline - now
            if self.stop.is_set():
                return None
            if self.pending:
                # Every target gets a run, even one the deadline has passed
                # (an earlier run overran on a slow input): a short one.
                t = self.pending.pop(0)
                free = self.core_seconds - self.spent - sum(self.allotted.values())
                share = free / (len(self.pending) + 1)
                return t, max(MIN_RUN_SECONDS, min(share, left))
            if left < MIN_RUN_SECONDS:
                return None
            # No new target: keep this core busy on the least-fuzzed target
            # that has not stopped on a crash (it shares the corpus directory
            # with any instance already running).
            alive = [t for t in self.targets if not t.crashed]
            if not alive:
                return None
            t = min(alive, key=lambda t: (t.stats["seconds"] + 1000 * t.running, t.name))
            return t, left

    def run(self, t, seconds):
        with self.lock:
            t.runs += 1
            t.running += 1
            r = Run(t, seconds, t.running)
            self.allotted[r] = seconds
        cmd = [t.binary] + t.option_flags() + (["-dict=" + t.dict] if os.path.exists(t.dict) else []) + [
            "-max_total_time=%d" % max(1, round(seconds)), "-print_final_stats=1",
            "-artifact_prefix=" + t.crashes + "/", t.corpus, t.seeds]
        say("[%-14s] start  %3.0fs  corpus %d + %d seeds" % (r.label, seconds, count_files(t.corpus),
                                                             count_files(t.seeds)))
        final_execs = None
        with open(t.log, "a") as log:
            log.write("$ %s\n" % " ".join(cmd))
            r.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                      errors="replace", env=sanitizer_env(), start_new_session=True)
            for line in r.proc.stdout:
                log.write(line)
                m = STATUS.match(line)
                if m:
                    r.execs, r.cov, r.ft, r.exec_per_s = (int(m.group(1)), int(m.group(3)),
                                                          int(m.group(4)), int(m.group(6)))
                    continue
                m = WRITTEN.search(line)
                if m and os.path.basename(m.group(1)).startswith(CRASH_PREFIXES):
                    with self.lock:
                        t.new_crashes.append(m.group(1))
                        t.crashed = True
                m = re.match(r"stat::number_of_executed_units: (\d+)", line)
                if m:
                    final_execs = int(m.group(1))
            r.proc.wait()
        used = time.time() - r.start
        execs = final_execs if final_execs is not None else r.execs
        with self.lock:
            t.running -= 1
            del self.allotted[r]
            self.spent += used
            s = t.stats
            s["seconds"] = round(s["seconds"] + used, 1)
            s["runs"] = t.runs
            s["executions"] += execs
            s["exec_per_s"] = int(s["executions"] / s["seconds"]) if s["seconds"] else 0
            s["coverage"] = max(s["coverage"], r.cov)
            s["features"] = max(s["features"], r.ft)
        crash = " -- stopped on a crash" if t.crashed and r.proc.returncode else ""
        say("[%-14s] done   %3.0fs  %d execs (%d/s)  cov %d  ft %d  corpus %d%s" % (
            r.label, used, execs, execs / used if used else 0, r.cov, r.ft, count_files(t.corpus),
            crash))

    def ticker(self):
        """Progress: one line per running target every `progress` seconds,
        plain lines that read the same in a terminal and a CI log."""
        while not self.stop.wait(self.progress):
            with self.lock:
                runs = sorted(self.allotted, key=lambda r: r.label)
            for r in runs:
                t = r.t
                say("[%-14s] %4.0f/%.0fs  exec/s %6d  cov %5d  ft %6d  corpus %5d  crashes %d" % (
                    r.label, time.time() - r.start, r.seconds, r.exec_per_s, r.cov, r.ft,
                    count_files(t.corpus), len(t.new_crashes)))

    def watchdog(self):
        """libFuzzer checks -max_total_time between inputs only; a run that
        overruns its allotment by more than one input's timeout is stopped
        (SIGINT, then SIGKILL), so one slow target cannot eat the others' time."""
        while not self.stop.wait(0.5):
            now = time.time()
            with self.lock:
                runs = list(self.allotted)
            for r in runs:
                over = now - r.start - r.seconds
                if r.proc is None or r.proc.poll() is not None or over < r.t.unit_timeout() + 5:
                    continue
                sig = signal.SIGINT if over < r.t.unit_timeout() + 15 else signal.SIGKILL
                if sig not in r.signalled:
                    r.signalled.add(sig)
                    say("[%-14s] overran its %.0fs by %.0fs: stopping it" % (r.label, r.seconds, over))
                    try:
                        os.killpg(r.proc.pid, sig)
                    except ProcessLookupError:
                        pass

    def worker(self):
        while True:
            nxt = self.next_run()
            if nxt is None:
                return
            self.run(*nxt)

    def interrupt(self):
        self.stop.set()
        with self.lock:
            for r in self.allotted:
                if r.proc and r.proc.poll() is None:
                    os.killpg(r.proc.pid, signal.SIGINT)

    def fuzz(self):
        for loop in (self.ticker, self.watchdog):
            threading.Thread(target=loop, daemon=True).start()
        pool = concurrent.futures.ThreadPoolExecutor(max_workers=self.jobs)
        futures = [pool.submit(self.worker) for _ in range(self.jobs)]
        try:
            while not all(f.done() for f in futures):
                time.sleep(0.2)
        except KeyboardInterrupt:
            say("interrupted: stopping the fuzzers; triage and summary follow (Ctrl-C again to abort)")
            self.interrupted = True
            self.interrupt()
        concurrent.futures.wait(futures)
        for f in futures:
            f.result()
        self.stop.set()
        pool.shutdown()


# ---- triage ------------------------------------------------------------------

def run_once(t, path):
    p = subprocess.run([t.confirm] + t.limit_flags() + ["-runs=1", path], capture_output=True, text=True,
                       errors="replace", env=sanitizer_env(), timeout=600)
    out = p.stdout + p.stderr
    return (None if p.returncode == 0 else title_of(out)), out


def reproduce(t, path):
    """Runs the input REPRODUCE_RUNS times in fresh processes. Returns
    (title, runs that failed with it, output of the last run)."""
    titles, out = [], ""
    for _ in range(REPRODUCE_RUNS):
        title, out = run_once(t, path)
        titles.append(title)
    first = titles[0]
    return first, sum(1 for x in titles if x == first and x is not None), out


def minimize(t, path, dest, title, seconds):
    """libFuzzer's crash minimizer on a copy, kept only when the minimized
    input still fails with the same title. The original is never touched.
    $KMEM_FUZZ_TITLE makes the harness ignore every other finding and the
    sanitizers' dedup tokens do the same for their reports, so the minimizer
    cannot drift from this bug to another."""
    shutil.copyfile(path, dest)
    env = sanitizer_env()
    env["KMEM_FUZZ_TITLE"] = title
    for var in ("ASAN_OPTIONS", "UBSAN_OPTIONS"):
        env[var] = ":".join(x for x in (env.get(var), "dedup_token_length=3") if x)
    with tempfile.TemporaryDirectory(prefix="kh-min-") as tmp:
        out = os.path.join(tmp, "minimized")
        subprocess.run([t.confirm] + t.limit_flags() + [
            "-minimize_crash=1", "-max_total_time=%d" % seconds, "-exact_artifact_path=" + out, dest],
            capture_output=True, env=env, timeout=seconds + 120, cwd=tmp)
        if os.path.exists(out) and 0 < os.path.getsize(out) < os.path.getsize(dest):
            got, n, _ = reproduce(t, out)
            if got == title and n == REPRODUCE_RUNS:
                shutil.copyfile(out, dest)
                return True
    return False


def c_reproducer(reproduce_tool, t, regression, dest_dir):
    """The standalone C reproducer from bazel-bin/fuzz/reproduce, when built.
    Interface: `reproduce --target T --out DIR INPUT` writes DIR/*.c (the
    other outputs it writes there are ignored). Returns a line for report.txt."""
    if not reproduce_tool:
        return "C reproducer: not generated (bazel-bin/fuzz/reproduce is not part of this tree)"
    if t.name.startswith("differential") or t.name in OWN_CHECK_TARGETS:
        return "C reproducer: not available for the %s target (it runs no single trace)" % t.name
    if t.name == "sched":
        return ("C reproducer: not available for the sched target (a program of several tasks and a "
                "schedule; regression.input replays it exactly through the target)")
    with tempfile.TemporaryDirectory(prefix="kh-repro-") as tmp:
        # --no-regression: a campaign never writes into the source tree
        p = subprocess.run([reproduce_tool, "--target", t.name, "--out", tmp, "--no-regression",
                            "-q", regression],
                           capture_output=True, text=True, errors="replace", timeout=300)
        sources = sorted(f for f in os.listdir(tmp) if f.endswith(".c"))
        if p.returncode != 0 or not sources:
            return "C reproducer: bazel-bin/fuzz/reproduce failed (exit %d): %s" % (
                p.returncode, (p.stderr or p.stdout).strip()[-500:])
        shutil.copyfile(os.path.join(tmp, sources[0]), os.path.join(dest_dir, "reproducer.c"))
    return "C reproducer: reproducer.c (cc reproducer.c with the allocator sources; see its header)"


def replay_check(replay_tool, trace):
    """Does the text trace reproduce the finding through bazel-bin/fuzz/replay?"""
    if not replay_tool:
        return "replay: not checked (bazel-bin/fuzz/replay missing)"
    env = sanitizer_env()
    # Only the replay of the trace is in question here, not leaks of the tool.
    env["ASAN_OPTIONS"] = ":".join(x for x in (env.get("ASAN_OPTIONS"), "detect_leaks=0") if x)
    p = subprocess.run([replay_tool, trace], capture_output=True, text=True, errors="replace",
                       env=env, timeout=300)
    out = p.stdout + p.stderr
    if p.returncode != 0 and any(m in out for m in (": finding: ", "ERROR: AddressSanitizer",
                                                     "runtime error:")):
        return "replay: `bazel-bin/fuzz/replay trace.txt` reproduces it (exit %d)" % p.returncode
    return ("replay: `bazel-bin/fuzz/replay trace.txt` exits %d without this finding: it needs the "
            "target's own check (the target binary on regression.input reproduces it)" % p.returncode)


def write_finding(title, hits, artifacts, tools, minimize_seconds):
    """Minimizes the smallest input of one finding and writes its artifacts."""
    size, t, path = hits[0]
    d = os.path.join(artifacts, t.name, slug(title))
    os.makedirs(os.path.join(d, "inputs"), exist_ok=True)
    for _, ht, hp in hits:
        shutil.copyfile(hp, os.path.join(d, "inputs", "%s-%s" % (ht.name, os.path.basename(hp))))
    say("[%-14s] FINDING: %s (%d input(s) from %s); minimizing %d bytes ..." % (
        t.name, title, len(hits), ", ".join(sorted({h[1].name for h in hits})), size))
    regression = os.path.join(d, "regression.input")
    minimized = minimize(t, path, regression, title, minimize_seconds)
    _, _, out = reproduce(t, regression)
    trace_path = os.path.join(d, "trace.txt")
    m = re.search(r"---- trace \(text form\) ----\n(.*?)^----$", out, re.S | re.M)
    with open(trace_path, "w") as f:
        f.write("# %s\n" % title)
        if m:
            f.write(m.group(1))
        else:
            f.write("# (no text trace: the finding is outside the trace executor; "
                    "regression.input reproduces it through the %s target)\n" % t.name)
    notes = [replay_check(tools.get("replay"), trace_path) if m else "replay: no text trace",
             c_reproducer(tools.get("reproduce"), t, regression, d)]
    with open(os.path.join(d, "report.txt"), "w") as f:
        f.write("title: %s\ntarget: %s\nreproduced: %d/%d runs\n" % (
            title, t.name, REPRODUCE_RUNS, REPRODUCE_RUNS))
        f.write("found by: %s\n" % ", ".join("%s (%s)" % (h[1].name, h[2]) for h in hits))
        f.write("minimized: %d -> %d bytes%s\n" % (
            size, os.path.getsize(regression), "" if minimized else " (not reduced)"))
        f.write("\n".join(notes) + "\n")
        f.write("\nreproduce:  bazel-bin/fuzz/%s regression.input\n" % t.name)
        f.write("regression: cp regression.input fuzz/crashes/%s/<name>  "
                "(then bazel test //fuzz:%s_regression_test)\n" % (t.name, t.name))
        f.write("\n---- output of the minimized input ----\n")
        f.write(out)
    entry = {"title": title, "target": t.name, "targets": sorted({h[1].name for h in hits}),
             "inputs": [h[2] for h in hits], "reproduced": "%d/%d" % (REPRODUCE_RUNS, REPRODUCE_RUNS),
             "original_bytes": size, "minimized_bytes": os.path.getsize(regression),
             "artifacts": d, "c_reproducer": os.path.exists(os.path.join(d, "reproducer.c"))}
    say("[%-14s] FINDING: %s -> %s (%d -> %d bytes)" % (
        t.name, title, os.path.relpath(d, ROOT), size, entry["minimized_bytes"]))
    return entry


def triage(targets, artifacts, tools, minimize_seconds, jobs):
    """Reproduces every new crash file, deduplicates by title, and writes one
    minimized finding per title. Returns (findings, unconfirmed)."""
    crashes = [(t, p) for t in targets for p in t.new_crashes if os.path.exists(p)]
    if not crashes:
        return [], []
    say("triage: reproducing %d crash file(s) %d times each ..." % (len(crashes), REPRODUCE_RUNS))
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        results = list(pool.map(lambda tp: reproduce(*tp), crashes))
    by_title, unconfirmed = {}, []
    for (t, path), (title, n, _) in zip(crashes, results):
        if title is None or n < REPRODUCE_RUNS:
            say("[%-14s] %s reproduced %d/%d times: unconfirmed, kept in %s" % (
                t.name, os.path.basename(path), n, REPRODUCE_RUNS, os.path.relpath(t.crashes, ROOT)))
            unconfirmed.append({"target": t.name, "input": path, "title": title,
                                "reproduced": "%d/%d" % (n, REPRODUCE_RUNS)})
            continue
        by_title.setdefault(title, []).append((os.path.getsize(path), t, path))
    groups = [(title, sorted(hits, key=lambda h: (h[0], h[1].name, h[2])))
              for title, hits in sorted(by_title.items())]
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        findings = list(pool.map(lambda g: write_finding(g[0], g[1], artifacts, tools, minimize_seconds),
                                 groups))
    for x in findings:
        for t in targets:
            if t.name in x["targets"]:
                t.stats["findings"].append(x["title"])
    return findings, unconfirmed


# ---- corpus maintenance --------------------------------------------------------

def merge(t):
    """Merges the working corpus and the seeds into a minimal corpus that keeps
    their coverage; swaps it in only when the merge succeeded."""
    fresh = t.corpus + ".merge"
    shutil.rmtree(fresh, ignore_errors=True)
    os.makedirs(fresh)
    try:
        p = subprocess.run([t.binary] + t.limit_flags() + ["-merge=1", fresh, t.corpus, t.seeds],
                           capture_output=True, text=True, errors="replace", timeout=900,
                           env=sanitizer_env())
        out = p.stdout + p.stderr
    except subprocess.TimeoutExpired:
        p, out = None, ""
    m = re.search(r"MERGE-OUTER: (\d+) new files with (\d+) new features added; (\d+) new coverage edges",
                  out)
    if p is None or p.returncode != 0 or not m or not count_files(fresh):
        shutil.rmtree(fresh)
        say("[%-14s] merge failed; the working corpus is kept as it was" % t.name)
        t.stats["corpus_after"] = count_files(t.corpus)
        return
    old = t.corpus + ".old"
    shutil.rmtree(old, ignore_errors=True)
    os.rename(t.corpus, old)
    os.rename(fresh, t.corpus)
    shutil.rmtree(old)
    t.stats["corpus_after"] = count_files(t.corpus)
    t.stats["features_after"] = int(m.group(2))
    t.stats["coverage_after"] = int(m.group(3))


def promote(t):
    """Adds to the committed corpus (fuzz/corpus/<target>/) the working-corpus
    inputs that cover edges it does not: libFuzzer's merge into the seed
    directory, counting edges only (-use_counters=0), which keeps the
    committed corpus a small edge cover. Returns the number of files added."""
    before = count_files(t.seeds)
    p = subprocess.run([t.binary] + t.limit_flags() + ["-merge=1", "-use_counters=0", t.seeds, t.corpus],
                       capture_output=True, text=True, errors="replace", timeout=1800, env=sanitizer_env())
    added = count_files(t.seeds) - before
    say("[%-14s] promoted %d input(s) to %s%s" % (t.name, added, os.path.relpath(t.seeds, ROOT),
                                                 "" if p.returncode == 0 else " (merge failed)"))
    return added


# ---- summary -----------------------------------------------------------------

def write_summary(c, targets, findings, unconfirmed, cov, artifacts, build_flags, elapsed, phases):
    data = {"budget_seconds": c.budget, "elapsed_seconds": round(elapsed, 1), "jobs": c.jobs,
            "phase_seconds": phases, "build_flags": build_flags, "interrupted": c.interrupted,
            "result": "findings" if findings else "clean",
            "targets": [t.stats for t in targets], "findings": findings, "unconfirmed": unconfirmed,
            "coverage": cov and {"totals": cov["totals"], "files": cov["files"], "html": cov["html"]}}
    with open(os.path.join(artifacts, "summary.json"), "w") as f:
        json.dump(data, f, indent=2)
    fuzz_s = sum(t.stats["seconds"] for t in targets)
    lines = ["# Fuzz campaign summary", "",
             "Budget %ds on %d core(s): %.0f core-seconds of fuzzing; %.0fs in all (%s)%s%s." % (
                 c.budget, c.jobs, fuzz_s, elapsed, ", ".join("%s %.0fs" % kv for kv in phases.items()),
                 "; build flags: `%s`" % " ".join(build_flags) if build_flags else "",
                 "; interrupted" if c.interrupted else ""), "",
             "| target | seconds | runs | executions | exec/s | cov | features | corpus before | corpus after | findings |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for t in targets:
        r = t.stats
        lines.append("| %s | %.0f | %d | %d | %d | %d | %d | %d + %d seeds | %s | %s |" % (
            r["target"], r["seconds"], r["runs"], r["executions"], r["exec_per_s"],
            r["coverage_after"] or r["coverage"], r["features_after"] or r["features"],
            r["corpus_before"], r["seeds"], "-" if r["corpus_after"] is None else r["corpus_after"],
            "; ".join(r["findings"]) or "none"))
    lines += ["", "cov = edges, features = libFuzzer's coverage features (after the merge when it ran).", ""]
    if findings:
        lines += ["## Findings (%d unique)" % len(findings), ""]
        for x in findings:
            lines.append("- **%s** -- found by %s (%d input(s)), reproduced %s, minimized %d -> %d bytes: `%s/`" % (
                x["title"], ", ".join(x["targets"]), len(x["inputs"]), x["reproduced"],
                x["original_bytes"], x["minimized_bytes"], os.path.relpath(x["artifacts"], ROOT)))
        lines.append("")
    else:
        lines += ["## Findings", "", "None.", ""]
    if unconfirmed:
        lines += ["## Unconfirmed crashes (did not reproduce %d/%d; inputs kept)" % (
            REPRODUCE_RUNS, REPRODUCE_RUNS), ""]
        lines += ["- %s: `%s` (%s, title %s)" % (u["target"], u["input"], u["reproduced"], u["title"])
                  for u in unconfirmed] + [""]
    if cov:
        lines += ["## Coverage of allocator/", "",
                  coverage.markdown(cov["files"], cov["totals"], cov["inputs"], cov["html"])]
    text = "\n".join(lines)
    with open(os.path.join(artifacts, "summary.md"), "w") as f:
        f.write(text)
    return text


# ---- build -------------------------------------------------------------------

def build(names, flags, want_coverage, throughput=False):
    """Builds the targets (and replay, reproduce, the coverage binaries) with
    the extra flags in an output tree of their own, so a planted-bug build
    does not evict the reference one. Returns (bin_dir, tools)."""
    if flags:
        flags = flags + ["--platform_suffix=-fuzz-" + hashlib.sha1(" ".join(flags).encode()).hexdigest()[:8]]
    known = subprocess.run(["bazel", "query", "//fuzz:all", "--output=label"], cwd=ROOT,
                           capture_output=True, text=True)
    if known.returncode != 0:
        raise SetupError("bazel query //fuzz:all failed:\n" + known.stderr[-2000:])
    labels = set(known.stdout.split())
    wanted = ["//fuzz:" + n for n in names]
    if throughput:
        wanted += ["//fuzz:%s_fast" % n for n in names]
    if want_coverage:
        wanted += ["//fuzz:%s_cov" % n for n in names]
    extra = [x for x in ("replay", "reproduce") if "//fuzz:" + x in labels]
    wanted += ["//fuzz:" + x for x in extra]
    say("building %d fuzz targets%s ..." % (len(names), " with " + " ".join(flags) if flags else ""))
    if subprocess.run(["bazel", "build"] + flags + wanted, cwd=ROOT).returncode:
        raise SetupError("bazel build failed (output above)")
    bin_dir = subprocess.run(["bazel", "info"] + flags + ["bazel-bin"], cwd=ROOT, capture_output=True,
                             text=True).stdout.strip()
    if not os.path.isdir(bin_dir):
        raise SetupError("bazel info bazel-bin gave no directory")
    return bin_dir, {x: os.path.join(bin_dir, "fuzz", x) for x in extra}


def raise_interrupt(signum, frame):
    raise KeyboardInterrupt


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="\n".join(__doc__.splitlines()[1:]))
    ap.add_argument("seconds", nargs="?", type=int, default=300,
                    help="wall-time budget for fuzzing (default 300)")
    ap.add_argument("--targets", help="comma-separated (default: every fuzz/*_fuzzer.c)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="parallel fuzzers (default: cores)")
    ap.add_argument("--plant", default=os.environ.get("KH_PLANT", ""),
                    help="build with planted bug(s) KH_PLANT_<NAME>, comma-separated (or $KH_PLANT), "
                         "e.g. CLASS_192")
    ap.add_argument("--copt", action="append", default=[], help="extra compiler flag (--copt=-DFOO)")
    ap.add_argument("--work", default=os.path.join(ROOT, ".fuzz-work"), help="persistent corpora and crashes")
    ap.add_argument("--artifacts", default=os.path.join(ROOT, "artifacts", "fuzz"))
    ap.add_argument("--progress", type=float, default=10, help="seconds between progress lines")
    ap.add_argument("--minimize-seconds", type=int, default=20, help="per unique finding (default 20)")
    ap.add_argument("--throughput", action="store_true",
                    help="fuzz with the targets' throughput builds (//fuzz:<target>_fast: no ASan, the "
                         "harness's checks on); every finding is confirmed and minimized under ASan")
    ap.add_argument("--no-merge", action="store_true", help="skip corpus minimization")
    ap.add_argument("--no-coverage", action="store_true", help="skip the coverage report")
    ap.add_argument("--promote", action="store_true",
                    help="afterwards add to fuzz/corpus/<target>/ the inputs that cover new edges "
                         "(targets without findings only); commit them to keep the coverage")
    a = ap.parse_args()

    known = coverage.list_targets(ROOT)
    names = known if not a.targets else [n for n in a.targets.split(",") if n]
    unknown = [n for n in names if n not in known]
    if unknown or not names:
        print("fuzz campaign: unknown target(s): %s (known: %s)" % (", ".join(unknown), ", ".join(known)),
              file=sys.stderr)
        return 2
    if a.seconds < 1 or a.jobs < 1:
        print("fuzz campaign: SECONDS and --jobs must be positive", file=sys.stderr)
        return 2
    plants = [p.strip().upper() for p in a.plant.split(",") if p.strip()]
    for p in plants:
        if not re.fullmatch(r"[A-Z0-9_]+", p):
            print("fuzz campaign: bad --plant name %r (letters, digits, _)" % p, file=sys.stderr)
            return 2
    flags = ["--copt=-DKH_PLANT_" + p for p in plants] + ["--copt=" + c for c in a.copt]
    t0 = time.time()
    # CI stops jobs with SIGTERM: handle it like Ctrl-C, so the fuzzers (in
    # sessions of their own) are stopped too.
    signal.signal(signal.SIGTERM, raise_interrupt)
    try:
        bin_dir, tools = build(names, flags, not a.no_coverage, a.throughput)
    except SetupError as e:
        print("fuzz campaign: %s" % e, file=sys.stderr)
        return 2

    shutil.rmtree(a.artifacts, ignore_errors=True)
    os.makedirs(a.artifacts)
    targets = [Target(n, bin_dir, a.work, a.throughput) for n in names]
    for t in targets:
        os.makedirs(t.corpus, exist_ok=True)
        os.makedirs(t.crashes, exist_ok=True)   # never cleared: crash inputs are kept
        open(t.log, "w").close()
        t.stats["corpus_before"] = count_files(t.corpus)
        t.stats["seeds"] = count_files(t.seeds)

    c = Campaign(targets, a.seconds, a.jobs, a.progress)
    say("fuzz campaign: %d targets, %ds on %d core(s); corpora in %s, artifacts in %s" % (
        len(targets), a.seconds, a.jobs, os.path.relpath(a.work, ROOT), os.path.relpath(a.artifacts, ROOT)))
    phases = {"build": round(c.start - t0, 1)}
    c.fuzz()
    phases["fuzz"] = round(time.time() - c.start, 1)
    mark = time.time()
    findings, unconfirmed = triage(targets, a.artifacts, tools, a.minimize_seconds, a.jobs)
    phases["triage"] = round(time.time() - mark, 1)
    if not a.no_merge:
        say("merging corpora ...")
        mark = time.time()
        with concurrent.futures.ThreadPoolExecutor(max_workers=a.jobs) as pool:
            list(pool.map(merge, targets))
        phases["merge"] = round(time.time() - mark, 1)
    if a.promote:
        if flags:
            say("--promote ignored: this build has extra flags (%s)" % " ".join(flags))
        else:
            for t in targets:
                if not t.stats["findings"]:
                    promote(t)
    cov = None
    if not a.no_coverage:
        say("measuring coverage of allocator/ ...")
        mark = time.time()
        try:
            cov = coverage.measure(bin_dir, ROOT, a.work, names, os.path.join(os.path.dirname(a.artifacts),
                                                                             "coverage"))
        except (coverage.SetupError, subprocess.CalledProcessError) as e:
            say("coverage: %s" % e)
        phases["coverage"] = round(time.time() - mark, 1)
    text = write_summary(c, targets, findings, unconfirmed, cov, a.artifacts, flags,
                         time.time() - t0, phases)
    print()
    print(text)
    print("summary: %s/summary.md and summary.json" % os.path.relpath(a.artifacts, ROOT))
    print("fuzz campaign: %d targets, %d finding(s), %d unconfirmed crash(es)" % (
        len(targets), len(findings), len(unconfirmed)))
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
