"""Kernel results: parsing the guest's output, golden files, and the
comparison with the reference (`replay --json`), as one report.

A result set is {"header": {...}, "traces": {file: {line: record}},
"caches": {name: geometry}}; a record is the JSON object of one operation
without its "line" (it keeps "op"). The kernel's and the reference's records
use the same keys, so comparing is key by key.
"""

import difflib
import json
import os
import re
import subprocess

# Keys that describe an operation rather than observe it.
META_KEYS = ("line", "op")
GEOMETRY = ("object_size", "size", "align", "order", "objects")
# The kmalloc caches of every type (kmalloc-, kmalloc-cg-, kmalloc-rcl-, dma-kmalloc-).
KMALLOC_CACHE_RE = re.compile(r"^(dma-)?kmalloc-(cg-|rcl-)?[0-9]+k?$")


class OracleError(Exception):
    """The oracle itself could not produce results (bad output, broken probe)."""


# ---- the guest's output ----

def parse_guest(text):
    """Parses what the guest wrote to its data port (see oracle.py's init).
    Returns a result set with header keys kernel, version, cpus, cmdline."""
    header, traces, caches = {}, {}, {}
    current = None
    end = done = False
    for n, raw in enumerate(text.replace("\r", "").splitlines(), 1):
        if not raw.startswith("{"):
            continue           # noise (a console message on the same port)
        try:
            rec = json.loads(raw)
        except ValueError:
            raise OracleError("guest output line %d is not JSON: %r" % (n, raw[:200]))
        if "error" in rec:
            raise OracleError("guest: %s" % rec["error"])
        if "kernel" in rec:
            header.update(kernel=rec["kernel"], version=rec["version"], cpus=rec["cpus"],
                          nr_cpu_ids=rec["nr_cpu_ids"])
        elif "cmdline" in rec:
            header["cmdline"] = rec["cmdline"]
        elif "trace" in rec:
            current = traces.setdefault(rec["trace"], {})
        elif "end" in rec:
            if rec.get("truncated"):
                raise OracleError("the module's output buffer overflowed")
            end = True
        elif "cache" in rec:
            caches[rec.pop("cache")] = rec
        elif "done" in rec:
            done = True
        elif "line" in rec:
            if current is None:
                raise OracleError("guest output line %d: a record before any trace" % n)
            if rec.get("skipped"):
                raise OracleError("the kernel refused an operation of the probe (%s); fix the probe"
                                  % rec.get("why"))
            current[rec.pop("line")] = rec
    if not end or not done:
        raise OracleError("the guest's output is incomplete (%s missing)"
                          % ("the module's records" if not end else "the slab cache dump"))
    return {"header": header, "traces": traces, "caches": caches}


# ---- golden files ----
# Text, one record per line, stable order, readable diffs:
#   # key: value                       header
#   trace FILE                          the records of one probe file follow
#   LINE OP key=value ...               one operation
#   cache NAME key=value ...            a kmalloc cache's geometry

HEADER_KEYS = ("kernel", "version", "package", "cpus", "nr_cpu_ids", "cmdline", "qemu", "profile")


def _value(v):
    if v is True:
        return "true"
    if v is False:
        return "false"
    return str(v)


def _parse_value(s):
    if s == "true":
        return True
    if s == "false":
        return False
    if re.fullmatch(r"-?[0-9]+", s):
        return int(s)
    return s


def format_golden(results):
    out = ["# kernel oracle golden file: the real kernel's results for the probe traces in",
           "# conformance/kernel/probes/. Written by tools/kernel_oracle/oracle.py; do not edit."]
    for k in HEADER_KEYS:
        if k in results["header"]:
            out.append("# %s: %s" % (k, results["header"][k]))
    for name in sorted(results["traces"]):
        out.append("trace %s" % name)
        for line, rec in sorted(results["traces"][name].items()):
            out.append(" ".join([str(line), rec["op"]] +
                                ["%s=%s" % (k, _value(v)) for k, v in rec.items() if k != "op"]))
    for name in sorted(results["caches"]):
        geo = results["caches"][name]
        out.append(" ".join(["cache", name] + ["%s=%s" % (k, geo[k]) for k in GEOMETRY]))
    return "\n".join(out) + "\n"


def parse_golden(text, path="golden file"):
    header, traces, caches = {}, {}, {}
    current = None
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        if line.startswith("#"):
            m = re.match(r"# ([a-z_]+): (.*)$", line)
            if m and m.group(1) in HEADER_KEYS:
                header[m.group(1)] = _parse_value(m.group(2))
            continue
        words = line.split()
        try:
            if words[0] == "trace":
                current = traces.setdefault(words[1], {})
            elif words[0] == "cache":
                caches[words[1]] = {k: _parse_value(v) for k, v in (w.split("=", 1) for w in words[2:])}
            else:
                rec = {"op": words[1]}
                rec.update((k, _parse_value(v)) for k, v in (w.split("=", 1) for w in words[2:]))
                current[int(words[0])] = rec
        except (IndexError, ValueError, TypeError):
            raise OracleError("%s:%d: malformed line: %s" % (path, n, line))
    return {"header": header, "traces": traces, "caches": caches}


def read_golden(path):
    with open(path) as f:
        return parse_golden(f.read(), path)


def golden_path(golden_dir, profile, cpus, slub_debug=""):
    debug = ".slub_debug-" + slub_debug if slub_debug else ""
    return os.path.join(golden_dir, "%s.cpus%d%s.txt" % (profile, cpus, debug))


def kmalloc_caches(caches):
    return {k: v for k, v in caches.items() if KMALLOC_CACHE_RE.match(k)}


# ---- the reference ----

def run_reference(replay, probe_dir, files, profile, cpus, slub_debug=""):
    """Replays every probe file; returns a result set like the kernel's.
    The kmalloc caches come from the first file's run (every run starts
    from a fresh instance, so they are the same)."""
    traces, caches, findings = {}, {}, {}
    for i, name in enumerate(files):
        cmd = [replay, "--json", "--profile", profile, "--cpus", str(cpus)]
        if slub_debug:
            cmd += ["--slub-debug", slub_debug]
        if i == 0:
            cmd.append("--caches")
        cmd.append(os.path.join(probe_dir, name))
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
        if p.returncode not in (0, 1):
            raise OracleError("%s failed (exit %d):\n%s" % (" ".join(cmd), p.returncode, p.stderr))
        recs = traces.setdefault(name, {})
        for raw in p.stdout.splitlines():
            try:
                rec = json.loads(raw)
            except ValueError:   # cut short by a crash: stderr says why
                findings[name] = "unreadable replay output %r\n%s" % (raw[:100], p.stderr.strip())
                break
            if "cache" in rec:
                caches[rec.pop("cache")] = rec
            else:
                recs[rec.pop("line")] = rec
        if p.returncode == 1:
            # A finding stops the replay: the rest of the file has no
            # reference values, and the finding itself is reported.
            findings.setdefault(name, p.stderr.strip())
    return {"header": {"profile": profile, "cpus": cpus, "slub_debug": slub_debug}, "traces": traces, "caches": caches,
            "findings": findings}


# ---- comparison ----

def family(op, key):
    """The observable family a (operation, key) pair is counted in."""
    if op in ("kmem_cache_create", "kmem_cache_create_args") and key in GEOMETRY:
        return "cache geometry"
    if op in ("kmalloc_size_roundup", "kmalloc_index", "get_order"):
        return op
    if key == "ksize":
        return "ksize"
    if key in ("same", "preserved"):
        return "krealloc pointer/content"
    if op in ("kcalloc", "kmalloc_array", "krealloc_array", "kvmalloc_array", "kvcalloc"):
        return "array overflow checks"
    if op in ("alloc_pages", "__get_free_pages", "get_zeroed_page", "alloc_pages_exact"):
        return "page allocations and order limit"
    if op in ("vmalloc", "vzalloc", "kvmalloc", "kvzalloc", "__vmalloc"):
        return "vmalloc/kvmalloc results"
    if op in ("kmalloc", "kzalloc", "krealloc", "kmalloc_node", "kzalloc_node", "kmemdup"):
        return "kmalloc results (success, ZERO_SIZE_PTR)"
    return "other cache and object results"


def compare(kernel, reference, probe_dir=None):
    """Returns (families, disagreements): families maps a family name to
    [agree, total]; each disagreement is a dict with file, line, text
    (the trace operation), key, kernel and reference values."""
    fams, bad = {}, []
    texts = {}

    def text_of(name, line):
        if probe_dir is None:
            return ""
        if name not in texts:
            try:
                with open(os.path.join(probe_dir, name)) as f:
                    texts[name] = f.read().splitlines()
            except OSError:
                texts[name] = []
        lines = texts[name]
        return lines[line - 1].strip() if 0 < line <= len(lines) else "?"

    def count(fam, ok, **what):
        c = fams.setdefault(fam, [0, 0])
        c[1] += 1
        if ok:
            c[0] += 1
        else:
            what["family"] = fam
            bad.append(what)

    for name in sorted(kernel["traces"]):
        krecs = kernel["traces"][name]
        rrecs = reference["traces"].get(name, {})
        for line in sorted(krecs):
            k = krecs[line]
            r = rrecs.get(line, {})
            for key, kv in k.items():
                if key in META_KEYS:
                    continue
                rv = r.get(key, "(missing)")
                count(family(k["op"], key), rv == kv, file=name, line=line, text=text_of(name, line),
                      key=key, kernel=kv, reference=rv)
    kc, rc = kmalloc_caches(kernel["caches"]), kmalloc_caches(reference["caches"])
    for name in sorted(set(kc) | set(rc)):
        for key in GEOMETRY:
            kv = kc.get(name, {}).get(key, "(no such cache)")
            rv = rc.get(name, {}).get(key, "(no such cache)")
            count("kmalloc caches' geometry", kv == rv, file="kmalloc caches", line=0, text=name,
                  key=key, kernel=kv, reference=rv)
    return fams, bad


def report(fams, bad, title, limit=None, out=print):
    """Prints the agreement per family and the disagreements."""
    out("== %s" % title)
    width = max([len(f) for f in fams] + [10])
    agree = total = 0
    for fam in sorted(fams):
        a, t = fams[fam]
        agree += a
        total += t
        out("  %-*s %7d/%-7d agree%s" % (width, fam, a, t, "" if a == t else "   <-- %d differ" % (t - a)))
    out("  %-*s %7d/%-7d agree" % (width, "all observables", agree, total))
    shown = bad if limit is None else bad[:limit]
    for d in shown:
        where = d["file"] if not d["line"] else "%s:%d" % (d["file"], d["line"])
        out("  DIFF %s: %s  [%s] kernel=%s reference=%s"
            % (where, d["text"], d["key"], _value(d["kernel"]), _value(d["reference"])))
    if len(shown) < len(bad):
        out("  ... and %d more disagreements" % (len(bad) - len(shown)))
    return agree, total


def diff_results(fresh, golden):
    """Differences between a fresh kernel run and the committed golden file,
    as readable lines (empty when they agree)."""
    a, b = format_golden(fresh).splitlines(), format_golden(golden).splitlines()
    # Only the records and the configuration must match: a new build of the
    # kernel (a stable update) that behaves the same passes.
    keep = ("# cpus:", "# cmdline:")
    a = [l for l in a if not l.startswith("#") or l.startswith(keep)]
    b = [l for l in b if not l.startswith("#") or l.startswith(keep)]
    return list(difflib.unified_diff(b, a, "golden", "fresh kernel run", lineterm="", n=0))
