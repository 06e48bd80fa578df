"""Unit tests of the kernel oracle's pieces that run without a kernel: the
trace -> module table generator, the guest output and golden file formats,
the comparison, the initramfs archive, and the probe set."""

import os
import re
import stat
import struct
import unittest

import oracle
import probes
import results
import tracegen

HERE = os.path.dirname(os.path.abspath(__file__))


def parse(text, name="t.txt"):
    return tracegen.parse(text, name)


class TraceGenTest(unittest.TestCase):
    def test_every_operation_has_its_module_opcode_and_name(self):
        with open(os.path.join(HERE, "module", "kmem_oracle.c")) as f:
            src = f.read()
        enum = re.search(r"enum ko_code \{(.*?)\};", src, re.S).group(1)
        enum = re.sub(r"/\*.*?\*/", "", enum, flags=re.S)
        codes = [c.strip() for c in enum.replace("\n", " ").split(",") if c.strip()]
        self.assertEqual(codes.pop(), "KO_NR_CODES")   # the count, last
        names = re.findall(r'"([a-z_]+)"', re.search(r"ko_names\[\] = \{(.*?)\};", src, re.S).group(1))
        self.assertEqual(len(codes), len(names))
        for op, (code, _, _) in tracegen.OPS.items():
            self.assertIn(code, codes, op)
            self.assertEqual(names[codes.index(code)], op, "ko_names out of step with enum ko_code")
        # kvrealloc's two forms (6.1's four operands, 6.12's three) share a name
        self.assertEqual(names[codes.index("KO_KVREALLOC_NEW")], "kvrealloc")
        self.assertEqual(sorted(tracegen.OPS), sorted(set(names)))

    def test_kvrealloc_forms(self):
        ops = parse("p = kvmalloc 100 GFP_KERNEL\nq = kvrealloc p 100 200 GFP_KERNEL\n"
                    "r = kvrealloc q 300 GFP_KERNEL\n")
        self.assertEqual([o.code for o in ops[1:]], ["KO_KVREALLOC", "KO_KVREALLOC_NEW"])
        with self.assertRaisesRegex(tracegen.TraceError, "t.txt:1: 'vrealloc' cannot run"):
            parse("v = vrealloc NULL 100 GFP_KERNEL\n")

    def test_table_rows(self):
        ops = parse("p = kmalloc 0x10 GFP_KERNEL|__GFP_NOWARN  # comment\n"
                    "\n"
                    "q = krealloc p 100 GFP_KERNEL\n"
                    "c = kmem_cache_create my.cache-1 24 8 SLAB_HWCACHE_ALIGN ctor\n"
                    "kfree q\n"
                    "kmem_cache_destroy NULL\n")
        self.assertEqual([o.line for o in ops], [1, 3, 4, 5, 6])
        h = tracegen.generate_header([("t.txt", ops)])
        self.assertIn("O(0, 1, KO_KMALLOC, 0, KO_NULL, KO_NULL, 16ULL, 0, 0, "
                      "GFP_KERNEL | __GFP_NOWARN, 0, NULL)", h)
        self.assertIn("O(0, 3, KO_KREALLOC, 1, 0, KO_NULL, 100ULL, 0, 0, GFP_KERNEL, 0, NULL)", h)
        self.assertIn('O(0, 4, KO_KMEM_CACHE_CREATE, 2, KO_NULL, KO_NULL, 24ULL, 8ULL, 1ULL, 0, '
                      'SLAB_HWCACHE_ALIGN, "my.cache-1")', h)
        self.assertIn("#define KO_NSLOTS 3", h)

    def test_slots_are_per_file(self):
        a, b = parse("p = kmalloc 1 GFP_KERNEL\n"), parse("p = kmalloc 2 GFP_KERNEL\nkfree p\n")
        h = tracegen.generate_header([("a.txt", a), ("b.txt", b)])
        self.assertIn("O(1, 2, KO_KFREE, -1, 1, KO_NULL", h)
        self.assertIn("#define KO_NSLOTS 2", h)

    def check_rejected(self, text, pattern):
        with self.assertRaises(tracegen.TraceError) as e:
            parse(text)
        self.assertRegex(str(e.exception), pattern)

    def test_rejections_name_the_line_and_reason(self):
        self.check_rejected("p = kmalloc 8 GFP_KERNEL\nm = mempool_alloc p GFP_KERNEL\n",
                            r"^t\.txt:2: 'mempool_alloc' cannot run in the kernel probe")
        self.check_rejected("p = kmalloc 8 0x400\n", r"t\.txt:1: unknown GFP flag '0x400'.*numeric")
        self.check_rejected("p = kmalloc 8 GFP_KERNEL\nkfree p+8\n", r":2: .*interior pointers")
        self.check_rejected("kfree q\n", r":1: undefined variable 'q'")
        self.check_rejected("p = kmalloc 18446744073709551616 GFP_KERNEL\n", r"does not fit in 64 bits")
        self.check_rejected("p = kmalloc eight GFP_KERNEL\n", r"expected an integer")
        self.check_rejected("p = kmalloc 8\n", r"'kmalloc' takes 2 operands, got 1")
        self.check_rejected("c = kmem_cache_create x 8 0 SLAB_KMALLOC\n", r"unknown slab flag 'SLAB_KMALLOC'")
        self.check_rejected("p = kmalloc 8 GFP_KERNEL\nkmem_cache_alloc p GFP_KERNEL\n",
                            r"'p' is not bound to a cache")
        self.check_rejected("p = ksize NULL\n", r"'ksize' has no result to bind")

    def test_cache_names_unique_across_files(self):
        a = parse("c = kmem_cache_create dup 8 0 0\n", "a.txt")
        b = parse("d = kmem_cache_create dup 16 0 0\n", "b.txt")
        with self.assertRaisesRegex(tracegen.TraceError, r"b\.txt:1: cache name 'dup' is already used "
                                                         r"at a\.txt:1"):
            tracegen.generate_header([("a.txt", a), ("b.txt", b)])


GUEST = """\
garbage from the console
{"cmdline": "console=ttyS0 slab_nomerge"}\r
{"kernel": "6.1.0-57-amd64", "version": "#1 SMP", "cpus": 4, "nr_cpu_ids": 4}
{"trace": "a.txt"}
{"line": 1, "op": "kmalloc", "ok": true, "ptr": "p", "ksize": 128}
{"line": 2, "op": "kfree"}
{"line": 3, "op": "kmem_cache_create", "ok": true, "ptr": "c", "object_size": 100, "size": 128, \
"align": 64, "order": 1, "objects": 32}
{"end": true, "ops": 3, "truncated": false}
{"cache": "kmalloc-96", "object_size": 96, "size": 96, "align": 8, "order": 0, "objects": 42}
{"cache": "dma-kmalloc-8k", "object_size": 8192, "size": 8192, "align": 8192, "order": 3, "objects": 4}
{"done": true}
"""


class ResultsTest(unittest.TestCase):
    def test_golden_path_names_the_debug_setting(self):
        self.assertEqual(results.golden_path("g", "linux-6.1-x86_64", 4), "g/linux-6.1-x86_64.cpus4.txt")
        self.assertEqual(results.golden_path("g", "linux-6.1-x86_64", 1, "FZPU"),
                         "g/linux-6.1-x86_64.cpus1.slub_debug-FZPU.txt")

    def test_parse_guest(self):
        r = results.parse_guest(GUEST)
        self.assertEqual(r["header"]["cpus"], 4)
        self.assertEqual(r["header"]["cmdline"], "console=ttyS0 slab_nomerge")
        self.assertEqual(r["traces"]["a.txt"][1], {"op": "kmalloc", "ok": True, "ptr": "p", "ksize": 128})
        self.assertEqual(r["caches"]["kmalloc-96"]["objects"], 42)

    def test_parse_guest_refuses_broken_runs(self):
        with self.assertRaisesRegex(results.OracleError, "incomplete"):
            results.parse_guest(GUEST.replace('{"done": true}', ""))
        with self.assertRaisesRegex(results.OracleError, "overflowed"):
            results.parse_guest(GUEST.replace('"truncated": false', '"truncated": true'))
        with self.assertRaisesRegex(results.OracleError, "refused an operation.*not live"):
            results.parse_guest(GUEST.replace('"op": "kfree"', '"op": "kfree", "skipped": true, '
                                                               '"why": "operand is not live"'))
        with self.assertRaisesRegex(results.OracleError, "insmod"):
            results.parse_guest('{"error": "insmod failed"}\n')

    def test_golden_round_trip(self):
        r = results.parse_guest(GUEST)
        r["header"].update(profile="linux-6.1-x86_64", package="linux-image-x 1")
        text = results.format_golden(r)
        self.assertIn("\n1 kmalloc ok=true ptr=p ksize=128\n", text)
        self.assertIn("\ncache kmalloc-96 object_size=96 size=96 align=8 order=0 objects=42\n", text)
        back = results.parse_golden(text)
        self.assertEqual(back["traces"], r["traces"])
        self.assertEqual(back["caches"], r["caches"])
        self.assertEqual(back["header"]["cpus"], 4)
        self.assertEqual(results.diff_results(r, back), [])
        back["traces"]["a.txt"][1]["ksize"] = 96
        self.assertIn("+1 kmalloc ok=true ptr=p ksize=128", results.diff_results(r, back))
        with self.assertRaisesRegex(results.OracleError, "g.txt:2: malformed line"):
            results.parse_golden("trace a.txt\n1\n", "g.txt")

    def test_compare_counts_families_and_lists_disagreements(self):
        kernel = results.parse_guest(GUEST)
        ref = results.parse_guest(GUEST)
        ref["traces"]["a.txt"][3]["order"] = 0
        del ref["traces"]["a.txt"][1]["ksize"]
        del ref["caches"]["dma-kmalloc-8k"]
        ref["caches"]["kmalloc-cg-8"] = dict(kernel["caches"]["kmalloc-96"])
        fams, bad = results.compare(kernel, ref)
        self.assertEqual(fams["cache geometry"], [4, 5])
        self.assertEqual(fams["ksize"], [0, 1])
        self.assertEqual(fams["kmalloc results (success, ZERO_SIZE_PTR)"], [2, 2])
        self.assertEqual(fams["kmalloc caches' geometry"], [5, 15])
        got = {(d["file"], d["line"] or d["text"], d["key"]): (d["kernel"], d["reference"])
               for d in bad}
        self.assertEqual(got[("a.txt", 3, "order")], (1, 0))
        self.assertEqual(got[("a.txt", 1, "ksize")], (128, "(missing)"))
        self.assertEqual(got[("kmalloc caches", "dma-kmalloc-8k", "objects")], (4, "(no such cache)"))
        self.assertEqual(got[("kmalloc caches", "kmalloc-cg-8", "size")], ("(no such cache)", 96))
        lines = []
        results.report(fams, bad, "t", out=lines.append)
        self.assertIn("a.txt:3:", "\n".join(lines))


class InitramfsTest(unittest.TestCase):
    def test_cpio_newc(self):
        data = oracle.cpio_newc([("bin", stat.S_IFDIR | 0o755, b"", (0, 0)),
                                 ("init", stat.S_IFREG | 0o755, b"#!/bin/sh\n", (0, 0)),
                                 ("dev/console", stat.S_IFCHR | 0o600, b"", (5, 1))])
        self.assertEqual(len(data) % 4, 0)
        names, off = [], 0
        while off < len(data):
            hdr = data[off:off + 110]
            self.assertEqual(hdr[:6], b"070701")
            fields = [int(hdr[6 + 8 * i:14 + 8 * i], 16) for i in range(13)]
            namesize, filesize = fields[11], fields[6]
            name = data[off + 110:off + 110 + namesize - 1].decode()
            names.append((name, fields[1], fields[9], fields[10]))
            off += 110 + namesize
            off += -off % 4
            off += filesize + (-filesize % 4)
        self.assertEqual([n[0] for n in names], ["bin", "init", "dev/console", "TRAILER!!!"])
        self.assertEqual(names[2][2:], (5, 1))
        self.assertTrue(stat.S_ISCHR(names[2][1]))


def elf_with_note(name, ntype):
    """A minimal ELF64 header, one PT_NOTE program header and its note."""
    desc = b"\0" * 4
    namez = name + b"\0"
    note = struct.pack("<III", len(namez), len(desc), ntype) + namez + b"\0" * (-len(namez) % 4) + desc
    ehdr = bytearray(64)
    ehdr[:5] = b"\x7fELF\x02"
    struct.pack_into("<Q", ehdr, 0x20, 64)             # e_phoff
    struct.pack_into("<HH", ehdr, 0x36, 56, 1)         # e_phentsize, e_phnum
    phdr = struct.pack("<IIQQQQQQ", 4, 0, 120, 0, 0, len(note), len(note), 4)
    return bytes(ehdr) + phdr + note


class PvhTest(unittest.TestCase):
    def test_pvh_note(self):
        self.assertTrue(oracle.has_pvh_entry(elf_with_note(b"Xen", 18)))
        self.assertFalse(oracle.has_pvh_entry(elf_with_note(b"Xen", 17)))
        self.assertFalse(oracle.has_pvh_entry(elf_with_note(b"GNU", 18)))
        self.assertFalse(oracle.has_pvh_entry(b"MZ not an elf"))


class ProbesTest(unittest.TestCase):
    def test_probe_set_is_valid_for_the_module(self):
        built = probes.build()
        self.assertEqual(built, probes.build(), "the probe set must be deterministic")
        traces = []
        for name, text in built:
            ops = tracegen.parse(text, name)
            self.assertLessEqual(len(ops), probes.MAX_OPS, name)
            traces.append((name, ops))
        tracegen.generate_header(traces)     # unique cache names over the set
        names = [n for n, _ in built]
        self.assertIn("kmalloc-sizes-00.txt", names)
        sizes = set()
        for name, ops in traces:
            if name.startswith("kmalloc-sizes"):
                sizes.update(o.nums[0] for o in ops if o.name == "kmalloc")
        self.assertEqual(sizes, set(range(8193)))


if __name__ == "__main__":
    unittest.main()
