#!/usr/bin/python3
"""minimize and reproduce on real findings of the reference build.

The findings are caller misuse run as written (misuse policy `run`): the
allocator reports a double free as the kernel would, which the harness
counts as a finding. A double free buried among unrelated operations must
shrink to the three operations that matter, keep its title, leave the input
untouched, and come out the same on every run, from text, binary and raw
fuzzer input alike.

usage: crash_tools_test.py MINIMIZE REPRODUCE REPLAY TRACE_TOOL
"""

import hashlib
import os
import re
import subprocess
import sys
import tempfile
import unittest

TOOLS = {}

NOISY_DOUBLE_FREE = """\
# a double free among unrelated work
#! misuse=run
a = kmalloc 100 GFP_KERNEL|__GFP_ZERO
b = kmalloc 3000 GFP_KERNEL|__GFP_NOWARN
c1 = kmem_cache_create foo 300 8 SLAB_HWCACHE_ALIGN
o1 = kmem_cache_alloc c1 GFP_KERNEL|__GFP_NOWARN
g = alloc_pages 3 GFP_KERNEL
write a 0 50 0x41
p = kmalloc 200 GFP_KERNEL|__GFP_NOWARN
v = vmalloc 20000
kfree b
kmem_cache_free c1 o1
kfree p
free_pages g 3
q = kmalloc 400 GFP_ATOMIC
vfree v
kfree p
kfree a
kmem_cache_destroy c1
"""

TITLE = "Object already free in kfree (slub)"


def run(*cmd, **kw):
    return subprocess.run(list(cmd), capture_output=True, text=True, errors="replace", **kw)


def operations(text):
    return [l for l in text.splitlines() if l.strip() and not l.startswith("#")]


def sha(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


class CrashTools(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(dir=os.environ.get("TEST_TMPDIR"))
        self.trace = self.path("noisy.txt")
        with open(self.trace, "w") as f:
            f.write(NOISY_DOUBLE_FREE)

    def path(self, name):
        return os.path.join(self.dir, name)

    def replay_title(self, path, *opts):
        p = run(TOOLS["replay"], *opts, path)
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        return re.search(r"finding: (.+)", p.stderr).group(1)

    def minimize(self, src, out, *opts):
        p = run(TOOLS["minimize"], "-q", "-o", out, *opts, src)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        return open(out).read()

    def test_shrinks_to_the_double_free_and_keeps_the_title(self):
        before = sha(self.trace)
        text = self.minimize(self.trace, self.path("min.txt"))
        self.assertEqual(sha(self.trace), before, "the input was modified")
        ops = operations(text)
        self.assertEqual(len(ops), 3, text)
        # names a person chose are kept; the size shrinks to 1 byte
        self.assertEqual(ops, ["p = kmalloc 1 GFP_KERNEL", "kfree p", "kfree p"])
        self.assertIn("# finding: " + TITLE, text)
        self.assertIn("#! profile=linux-6.1-x86_64 misuse=run", text)
        self.assertEqual(self.replay_title(self.trace), TITLE)
        self.assertEqual(self.replay_title(self.path("min.txt")), TITLE)

    def test_deterministic(self):
        a = self.minimize(self.trace, self.path("a.txt"))
        b = self.minimize(self.trace, self.path("b.txt"))
        strip = lambda t: [l for l in t.splitlines() if not l.startswith("# minimized from")]
        self.assertEqual(strip(a), strip(b))

    def test_binary_and_raw_inputs(self):
        binary = self.path("noisy.kht")
        p = run(TOOLS["trace"], "to-bin", self.trace, binary)
        self.assertEqual(p.returncode, 0, p.stderr)
        # binary traces carry no settings: give the policy on the command line
        text = self.minimize(binary, self.path("bin.txt"), "--misuse", "run")
        self.assertEqual(operations(text), ["p = kmalloc 1 GFP_KERNEL", "kfree p", "kfree p"])
        # a raw fuzzer input is the payload without the header; the misuse
        # target drives every operation, so it decodes to the same trace
        raw = self.path("raw-input")
        with open(raw, "wb") as f:
            f.write(open(binary, "rb").read()[4:])
        p = run(TOOLS["minimize"], "-q", "-o", self.path("x.txt"), raw)
        self.assertEqual(p.returncode, 2)
        self.assertIn("--target", p.stderr)
        text = self.minimize(raw, self.path("raw.txt"), "--target", "misuse", "--misuse", "run")
        self.assertIn("#! target=misuse profile=linux-6.1-x86_64 misuse=run cpus=2 quarantine=16", text)
        # (the names section at the end of the payload still names p)
        self.assertEqual(operations(text), ["p = kmalloc 1 GFP_KERNEL", "kfree p", "kfree p"])

    def test_refusals(self):
        p = run(TOOLS["minimize"], "-o", self.trace, self.trace)
        self.assertEqual(p.returncode, 2)
        self.assertIn("refusing to overwrite", p.stderr)
        clean = self.path("clean.txt")
        with open(clean, "w") as f:
            f.write("p = kmalloc 8 GFP_KERNEL\nkfree p\n")
        p = run(TOOLS["minimize"], clean)
        self.assertEqual(p.returncode, 1)
        self.assertIn("no finding", p.stderr)
        bad = self.path("bad.txt")
        with open(bad, "w") as f:
            f.write("p = kmalloc 8 GFP_KERNEL\nkfree q\n")
        p = run(TOOLS["minimize"], bad)
        self.assertEqual(p.returncode, 2)
        self.assertIn("bad.txt:2:7: error:", p.stderr)

    def test_other_kernels_operation_is_an_input_error(self):
        # 6.12's kvrealloc(p, size, gfp) and vrealloc on a 6.1 profile, and
        # 6.1's four-operand kvrealloc on the 6.12 profile: exit 2, the line named
        t612 = self.path("t612.txt")
        with open(t612, "w") as f:
            f.write("p = kvmalloc 100 GFP_KERNEL\n# the 6.12 form\np = kvrealloc p 200 GFP_KERNEL\n"
                    "kvfree p\n")
        p = run(TOOLS["replay"], t612)
        self.assertEqual(p.returncode, 2)
        self.assertIn("t612.txt:3: error: kvrealloc(p, size, gfp) is the Linux 6.12 form", p.stderr)
        p = run(TOOLS["replay"], "--profile", "linux-6.12-x86_64", t612)
        self.assertEqual(p.returncode, 0, p.stderr)
        t61 = self.path("t61.txt")
        with open(t61, "w") as f:
            f.write("#! profile=linux-6.12-x86_64\np = kvmalloc 100 GFP_KERNEL\n"
                    "p = kvrealloc p 100 200 GFP_KERNEL\nv = vrealloc NULL 10 GFP_KERNEL\n")
        p = run(TOOLS["replay"], t61)
        self.assertEqual(p.returncode, 2)
        self.assertIn("t61.txt:3: error: kvrealloc(p, oldsize, newsize, gfp) is the Linux 6.1 form",
                      p.stderr)
        p = run(TOOLS["replay"], "--profile", "linux-6.1-x86_64", t61)
        self.assertEqual(p.returncode, 2)
        self.assertIn("t61.txt:4: error: vrealloc is new in Linux 6.12", p.stderr)

    def test_reproduce_writes_trace_program_and_regression(self):
        out = self.path("out")
        crashes = self.path("crashes")
        p = run(TOOLS["reproduce"], "--minimize", "-q", "-o", out, "--crashes", crashes, self.trace)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("finding: " + TITLE, p.stdout)
        name = "object-already-free-in-kfree-slub"
        text = open(os.path.join(out, name + ".txt")).read()
        self.assertEqual(len(operations(text)), 3)
        c = open(os.path.join(out, name + ".c")).read()
        self.assertIn("kh_kfree(kh, p);", c)
        self.assertIn('start(&cfg, MISUSE_RUN', c)
        # no target, so no regression input, and a reason
        self.assertIn("no regression input: no fuzz target", p.stdout)
        self.assertFalse(os.path.exists(crashes))
        # run with another target's settings it would not regress: refused
        p = run(TOOLS["reproduce"], "-q", "-o", out, "--crashes", crashes, "--target", "misuse",
                "--misuse", "run", self.trace)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("the settings differ from the target's", p.stdout)

    def test_reproduce_regression_input_for_a_target(self):
        # a reproducer of a bug fixed since (--always): the trace runs clean on
        # this build and goes where the kmalloc regression test replays it
        seed = self.path("seed.txt")
        with open(seed, "w") as f:
            f.write("#! target=kmalloc\np = kmalloc 192 GFP_KERNEL\nksize p\nkfree p\n")
        crashes = self.path("crashes")
        p = run(TOOLS["reproduce"], "-q", "-o", self.path("o"), "--crashes", crashes, seed)
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        p = run(TOOLS["reproduce"], "-q", "--always", "--name", "class-192", "-o", self.path("o"),
                "--crashes", crashes, seed)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        kht = os.path.join(crashes, "kmalloc", "class-192.kht")
        self.assertTrue(os.path.exists(kht), p.stdout)
        p = run(TOOLS["trace"], "fmt", kht)
        self.assertEqual(p.stdout, "p = kmalloc 192 GFP_KERNEL\nksize p\nkfree p\n")
        p = run(TOOLS["replay"], kht)
        self.assertEqual(p.returncode, 0, p.stderr)


if __name__ == "__main__":
    TOOLS.update(zip(["minimize", "reproduce", "replay", "trace"], (os.path.abspath(a) for a in sys.argv[1:5])))
    del sys.argv[1:5]
    unittest.main()
