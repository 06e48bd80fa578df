"""tools/mutants' generator: deterministic, realistic, never in comments,
strings or a disabled planted-bug switch, and every mutant applies."""

import os
import sys
import unittest
from importlib.machinery import SourceFileLoader

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
mutants = SourceFileLoader("mutants", os.path.join(HERE, "mutants")).load_module()


class GeneratorTest(unittest.TestCase):
    def test_mask_blanks_comments_and_strings(self):
        text = 'a < b; /* x < y */ s = "p < q"; c = \'<\'; // d < e\nf < g;'
        masked = mutants.code_mask(text)
        self.assertEqual(len(masked), len(text))
        self.assertEqual(masked.count("<"), 2)
        self.assertIn("\n", masked)

    def test_planted_switch_side_is_inactive(self):
        lines = ["int a;", "#ifdef KH_PLANT_X", "bad < 1;", "#else", "good < 1;", "#endif",
                 "#ifndef KH_PLANT_Y", "kept < 1;", "#else", "planted < 1;", "#endif"]
        act = mutants.active_lines(lines)
        on = [l for l, a in zip(lines, act) if a]
        self.assertEqual(on, ["int a;", "good < 1;", "kept < 1;"])

    def test_line_candidates(self):
        fams = {"__GFP_": {"__GFP_ZERO", "__GFP_NOWARN"}}
        line = "    if (n <= LIMIT && (gfp & __GFP_ZERO))"
        got = {(c, line[:s] + r + line[e:]) for c, s, e, r, _ in
               mutants.candidates_for_line(line, line, fams)}
        self.assertIn(("rel", "    if (n < LIMIT && (gfp & __GFP_ZERO))"), got)
        self.assertIn(("off1", "    if (n <= LIMIT + 1 && (gfp & __GFP_ZERO))"), got)
        self.assertIn(("logic", "    if (n <= LIMIT || (gfp & __GFP_ZERO))"), got)
        self.assertIn(("flag", "    if (n <= LIMIT && (gfp & __GFP_NOWARN))"), got)
        drop = "        slab->inuse++;"
        got = list(mutants.candidates_for_line(drop, drop, {}))
        self.assertEqual([(c, drop[:s] + r + drop[e:]) for c, s, e, r, _ in got if c == "drop"],
                         [("drop", "        ;")])

    def test_sample_is_deterministic_and_applies(self):
        files = mutants.all_files(None)
        self.assertFalse(any(f.endswith(("report.c", "kernel_names.c")) for f in files))
        a = mutants.sample(files, 60, 7)
        b = mutants.sample(files, 60, 7)
        self.assertEqual([m["id"] for m in a], [m["id"] for m in b])
        self.assertEqual(len({m["id"] for m in a}), 60)
        self.assertNotEqual([m["id"] for m in a], [m["id"] for m in mutants.sample(files, 60, 8)])
        for m in a:
            lines = open(os.path.join(mutants.ROOT, m["file"])).read().split("\n")
            self.assertEqual(lines[mutants.locate(m, lines)], m["old"])
            self.assertNotEqual(m["old"], m["new"])
            self.assertIn("+" + m["new"], mutants.diff(m))
        self.assertEqual({m["class"] for m in mutants.sample(files, 200, 1)},
                         {"rel", "off1", "logic", "drop", "flag"})


if __name__ == "__main__":
    unittest.main()
