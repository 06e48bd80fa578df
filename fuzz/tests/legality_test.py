"""The legality table (fuzz/legality.c) against its documentation and its inputs.

usage: legality_test.py LEGALITY REPLAY FUZZING_MD

1. docs/FUZZING.md's list of rules is what `legality --md` prints (the list
   is generated: `bazel-bin/fuzz/legality --write-doc docs/FUZZING.md`).
2. Every rule decides in its input: replaying the reproducer that first
   needed it (fuzz/crashes/...) or the example written for it
   (fuzz/tests/legality/...) under that input's own settings, some
   operation's `--json` record names the rule ("rule", or "misuse_rule"
   for a misuse a silent row qualifies), or the finding's detail does.
"""
import difflib
import json
import subprocess
import sys


def generated_section(legality):
    return subprocess.run([legality, "--md"], check=True, stdout=subprocess.PIPE,
                          universal_newlines=True).stdout


def documented_section(path):
    with open(path) as f:
        text = f.read()
    begin = text.find("<!-- BEGIN legality rules")
    end = text.find("<!-- END legality rules -->")
    if begin < 0 or end < 0:
        return None
    end += len("<!-- END legality rules -->") + 1
    return text[begin:end]


def rules_decided(replay, path):
    """The rule names replay reports for the input, and its stderr."""
    p = subprocess.run([replay, "--json", path], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       universal_newlines=True)
    if p.returncode not in (0, 1):
        return None, "replay exit %d: %s" % (p.returncode, p.stderr.strip())
    names = set()
    for line in p.stdout.splitlines():
        try:
            rec = json.loads(line)
        except ValueError:
            continue
        for key in ("rule", "misuse_rule"):
            if key in rec:
                names.add(rec[key])
    return names, p.stderr


def main():
    legality, replay, doc = sys.argv[1:4]
    failures = []

    want = generated_section(legality)
    have = documented_section(doc)
    if have is None:
        failures.append("%s has no BEGIN/END legality rules markers" % doc)
    elif have != want:
        diff = "".join(difflib.unified_diff(have.splitlines(True), want.splitlines(True),
                                            "documented", "generated"))
        failures.append("%s's list of legality rules is out of date; regenerate it with\n"
                        "  bazel-bin/fuzz/legality --write-doc docs/FUZZING.md\n%s" % (doc, diff))

    rows = subprocess.run([legality, "--list"], check=True, stdout=subprocess.PIPE,
                          universal_newlines=True).stdout.splitlines()
    checked = 0
    for row in rows:
        name, verdict, stage, repro, example, ops = row.split("\t")
        repro = example
        names, err = rules_decided(replay, repro)
        if names is None:
            failures.append("%s: %s: %s" % (name, repro, err))
            continue
        if name not in names and ("[legality rule %s:" % name) not in err:
            failures.append("%s (%s): not decided in %s (rules that decided there: %s)"
                            % (name, verdict, repro, ", ".join(sorted(names)) or "none"))
            continue
        checked += 1
    for f in failures:
        print("FAIL", f)
    print("%d of %d rules decide in their input; doc %s" % (checked, len(rows),
                                                           "up to date" if have == want else "STALE"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
