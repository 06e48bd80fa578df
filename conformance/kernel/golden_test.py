"""The reference against the real Linux kernel's committed results.

For every golden file (one per kernel profile and CPU count, written by
tools/kernel_oracle/oracle.py), replays the probe traces on the matching
profile and CPU count and compares every observable the kernel recorded.
Fails on any disagreement, on a reference finding, and on golden files that
no longer match the probe traces (regenerate them with the oracle).

    golden_test.py REPLAY_BINARY
"""

import os
import sys

import probes
import results

HERE = os.path.dirname(os.path.abspath(__file__))
PROBES = os.path.join(HERE, "probes")
GOLDEN = os.path.join(HERE, "golden")
REGENERATE = "tools/kernel_oracle/oracle.py --update-golden"


def probe_ops(path):
    """{line: operation name} of a trace file."""
    ops = {}
    with open(path) as f:
        for n, line in enumerate(f, 1):
            words = line.split("#", 1)[0].replace("=", " = ").split()
            if words:
                ops[n] = words[2] if len(words) > 2 and words[1] == "=" else words[0]
    return ops


def stale(golden, files):
    """Why the golden file does not describe these probe files, or None."""
    if sorted(golden["traces"]) != files:
        return "it covers %d trace files, the probe set has %d" % (len(golden["traces"]), len(files))
    for name in files:
        want = probe_ops(os.path.join(PROBES, name))
        got = {line: rec["op"] for line, rec in golden["traces"][name].items()}
        if want != got:
            return "its records of %s are not that file's operations" % name
    return None


def main(argv):
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    replay = os.path.abspath(argv[0])
    wanted = dict(probes.build())
    files = sorted(f for f in os.listdir(PROBES) if f.endswith(".txt"))
    if files != sorted(wanted) or any(open(os.path.join(PROBES, n)).read() != wanted[n] for n in files):
        print("FAIL: conformance/kernel/probes/ is not what tools/kernel_oracle/probes.py generates;"
              " regenerate the probes, then the golden files (%s)" % REGENERATE)
        return 1
    goldens = sorted(g for g in os.listdir(GOLDEN) if g.endswith(".txt"))
    if not goldens:
        print("FAIL: no golden files in conformance/kernel/golden/ (%s)" % REGENERATE)
        return 1
    failed = 0
    for g in goldens:
        golden = results.read_golden(os.path.join(GOLDEN, g))
        h = golden["header"]
        mine = probes.files_for(PROBES, h["profile"])   # the families of its kernel
        why = stale(golden, mine)
        if why:
            print("FAIL: %s is stale: %s (%s)" % (g, why, REGENERATE))
            failed += 1
            continue
        ref = results.run_reference(replay, PROBES, mine, h["profile"], h["cpus"])
        fams, bad = results.compare(golden, ref, PROBES)
        results.report(fams, bad, "%s: kernel %s (%s CPUs) vs reference %s"
                       % (g, h.get("kernel"), h["cpus"], h["profile"]), limit=100)
        for name, finding in sorted(ref["findings"].items()):
            print("  reference finding in %s:\n    %s" % (name, finding.replace("\n", "\n    ")))
        if bad or ref["findings"]:
            failed += 1
    print("golden files: %d agree with the reference, %d do not" % (len(goldens) - failed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
