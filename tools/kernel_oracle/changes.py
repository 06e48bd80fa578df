#!/usr/bin/python3
"""Writes docs/CHANGES-6.1-6.12.md: the 6.1 -> 6.12 changes page.

    tools/kernel_oracle/changes.py            # rewrite the page
    tools/kernel_oracle/changes.py --check    # exit 1 when the page is not current

The measured part comes from the kernel oracle's golden files: the records
of the two kernels (linux-6.1-x86_64.cpusN.txt and linux-6.12-x86_64.cpusN.txt)
are compared with each other, as the oracle compares a kernel with the
reference, over the probe files both kernels run; the families of an API that
only one kernel has are listed apart. The prose (what the probes cannot see)
is tools/kernel_oracle/changes_prose.md, with the measured part put in place
of its @@OBSERVED@@ line. Regenerate after the golden files change.
"""

import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import probes  # noqa: E402
import results  # noqa: E402

REPO = os.path.dirname(os.path.dirname(HERE))
GOLDEN = os.path.join(REPO, "conformance", "kernel", "golden")
PROBES = os.path.join(REPO, "conformance", "kernel", "probes")
PROSE = os.path.join(HERE, "changes_prose.md")
PAGE = os.path.join(REPO, "docs", "CHANGES-6.1-6.12.md")
OLD, NEW = "linux-6.1-x86_64", "linux-6.12-x86_64"
CPUS = (1, 4)
MARK = "@@OBSERVED@@"


def load(golden_dir, profile, cpus):
    return results.read_golden(results.golden_path(golden_dir, profile, cpus))


def kernel_line(g):
    h = g["header"]
    return "%s (`%s`)" % (h.get("kernel"), h.get("package"))


def diff_kernels(old, new, probe_dir):
    """Compares two kernels' records over the probe files both ran: the
    oracle's comparison with the 6.12 kernel in the reference's place."""
    common = sorted(set(old["traces"]) & set(new["traces"]))
    a = dict(old, traces={n: old["traces"][n] for n in common})
    b = dict(new, traces={n: new["traces"][n] for n in common})
    return results.compare(a, b, probe_dir)


def only_on(golden_by_profile, cpus):
    """[(family, release, operations, observables)] of the families one kernel has."""
    rows = []
    for family, release in sorted(probes.ONLY_ON.items()):
        profile = [p for p, r in probes.RELEASE_OF.items() if r == release][0]
        g = golden_by_profile[profile][cpus]
        ops = obs = 0
        for name, recs in g["traces"].items():
            if name[:-len("-00.txt")] != family:
                continue
            ops += len(recs)
            obs += sum(1 for rec in recs.values() for k in rec if k not in results.META_KEYS)
        rows.append((family, release, ops, obs))
    return rows


def md_value(v):
    return "`%s`" % results._value(v)


def observed(golden_dir=GOLDEN, probe_dir=PROBES):
    golden = {p: {c: load(golden_dir, p, c) for c in CPUS} for p in (OLD, NEW)}
    out = ["## What the two kernels did differently (measured)", ""]
    out.append("Kernels: Linux 6.1 is %s, Linux 6.12 is %s; x86_64 under qemu with %s MiB, "
               "booted with `%s`, at %s CPUs. Every probe both kernels run was compared "
               "record by record (docs/KERNEL_ORACLE.md lists the probe families)."
               % (kernel_line(golden[OLD][1]), kernel_line(golden[NEW][1]),
                  golden[OLD][1]["header"].get("qemu", "").split("-m ")[-1].split()[0]
                  if "-m " in golden[OLD][1]["header"].get("qemu", "") else "?",
                  golden[OLD][1]["header"].get("cmdline"), " and ".join(str(c) for c in CPUS)))
    out.append("")
    per_cpu = {c: diff_kernels(golden[OLD][c], golden[NEW][c], probe_dir) for c in CPUS}
    fams = sorted(set().union(*(set(f) for f, _ in per_cpu.values())))
    out.append("| observable family | " + " | ".join("%d CPU%s: same / compared" %
                                                    (c, "" if c == 1 else "s") for c in CPUS) + " |")
    out.append("|---|" + "---:|" * len(CPUS))
    for fam in fams:
        cells = []
        for c in CPUS:
            same, total = per_cpu[c][0].get(fam, [0, 0])
            cells.append("%d / %d" % (same, total) + ("" if same == total else " **(%d differ)**"
                                                       % (total - same)))
        out.append("| %s | %s |" % (fam, " | ".join(cells)))
    totals = []
    for c in CPUS:
        s = sum(f[0] for f in per_cpu[c][0].values())
        t = sum(f[1] for f in per_cpu[c][0].values())
        totals.append("%d / %d" % (s, t))
    out.append("| all | %s |" % " | ".join(totals))
    out.append("")

    # Every difference, once when the CPU counts agree on it.
    seen = {}
    for c in CPUS:
        for d in per_cpu[c][1]:
            key = (d["file"], d["line"], d["text"], d["key"], results._value(d["kernel"]),
                   results._value(d["reference"]))
            seen.setdefault(key, []).append(c)
    out.append("Every observable that differs (%d; the same at every CPU count unless the last "
               "column says otherwise):" % len(seen) if seen else
               "No observable differs between the two kernels.")
    if seen:
        out += ["", "| where | probe | observable | 6.1 | 6.12 | CPUs |", "|---|---|---|---|---|---|"]
        for (f, line, text, key, a, b), cpus in sorted(seen.items(), key=lambda kv: (
                kv[0][0], kv[0][1], kv[0][2], kv[0][3])):
            where = f if not line else "%s:%d" % (f, line)
            cpu_note = "all" if list(cpus) == list(CPUS) else ", ".join(map(str, cpus))
            out.append("| %s | `%s` | %s | `%s` | `%s` | %s |" % (where, text, key, a, b, cpu_note))
    out += ["", "### Probes only one kernel runs", "",
            "An API that changed has probes of its own on each side; each is checked against "
            "that kernel's reference profile (`//conformance/kernel:golden_test`), not across "
            "kernels.", "",
            "| probe family | kernel | operations | observables |", "|---|---|---:|---:|"]
    for family, release, ops, obs in only_on(golden, CPUS[0]):
        out.append("| `%s` | %s | %d | %d |" % (family, release, ops, obs))
    return "\n".join(out)


def render(golden_dir=GOLDEN, probe_dir=PROBES, prose_path=PROSE):
    with open(prose_path) as f:
        prose = f.read()
    if prose.count(MARK) != 1:
        raise SystemExit("changes: %s must hold exactly one %s line" % (prose_path, MARK))
    head = ("<!-- Generated by tools/kernel_oracle/changes.py from the kernel oracle's golden files "
            "and tools/kernel_oracle/changes_prose.md; do not edit. "
            "//tools/kernel_oracle:changes_test checks that it is current. -->\n")
    title, rest = prose.split("\n", 1)
    return title + "\n\n" + head + rest.replace(MARK, observed(golden_dir, probe_dir))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true", help="fail when the page is not current")
    ap.add_argument("--out", default=PAGE, help="the page (default docs/CHANGES-6.1-6.12.md)")
    args = ap.parse_args(argv)
    text = render()
    if args.check:
        try:
            with open(args.out) as f:
                current = f.read()
        except OSError:
            current = None
        if current != text:
            print("FAIL: %s is not current: run tools/kernel_oracle/changes.py" % args.out)
            return 1
        print("%s is current" % args.out)
        return 0
    with open(args.out, "w") as f:
        f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
