#!/usr/bin/python3
"""Tests of the campaign's own logic: crash titles (the deduplication key)
from real sanitizer and harness output, and how the budget is shared out."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fuzz_campaign as fc  # noqa: E402

# Shapes of real reports (addresses differ from run to run; titles must not).
HARNESS = """Running: crash-1
kmem-harness finding: ksize mismatch in kmalloc (oracle)
target: kmalloc  misuse policy: skip
operation 1: p0 = kmalloc 192 GFP_KERNEL
==42== ERROR: libFuzzer: deadly signal
    #0 0x55e7706a0d71 in __sanitizer_print_stack_trace (/b/fuzz/kmalloc+0x1c3d71)
    #6 0x7f2442164471 in abort stdlib/./stdlib/abort.c:79:7
    #7 0x55e7706d2707 in kh_fuzz_one /proc/self/cwd/fuzz/fuzz_target.c:84:9
"""

UBSAN = """allocator/vmalloc.c:480:19: runtime error: null pointer passed as argument 2, which is declared to never be null
/usr/include/string.h:44:28: note: nonnull attribute specified here
    #0 0x%x in kh_kvrealloc /proc/self/cwd/allocator/vmalloc.c:480:19
    #1 0x55d16d271a70 in op_kvrealloc /proc/self/cwd/fuzz/exec.c:893:15
    #2 0x55d16d271a70 in LLVMFuzzerTestOneInput /proc/self/cwd/fuzz/slab_fuzzer.c:4:1
SUMMARY: UndefinedBehaviorSanitizer: undefined-behavior allocator/vmalloc.c:480:19 in
"""

ASAN = """==%d==ERROR: AddressSanitizer: heap-use-after-free on address 0x60200000%04x at pc 0x1 bp 0x2 sp 0x3
READ of size 8 at 0x602000000010 thread T0
    #0 0x55d16d200000 in __asan_memcpy (/b/fuzz/slab+0x1)
    #1 0x55d16d271a70 in kh_slab_free /proc/self/cwd/allocator/slab_common.c:%d:5
    #2 0x55d16d271a71 in op_cache_free /proc/self/cwd/fuzz/exec.c:700:5
"""

LEAK = """==7==ERROR: LeakSanitizer: detected memory leaks

Direct leak of 64 byte(s) in 1 object(s) allocated from:
    #0 0x4a in malloc (/b/fuzz/slab+0x4a)
    #1 0x4b in slab_struct_new /proc/self/cwd/allocator/slab_common.c:228:24
"""

TIMEOUT = """ALARM: working on the last Unit for 21 seconds
==9== ERROR: libFuzzer: timeout after 21 seconds
    #0 0x1 in __sanitizer_print_stack_trace (/b/fuzz/percpu+0x1)
    #5 0x2 in first_mismatch /proc/self/cwd/allocator/mempool.c:182:9
SUMMARY: libFuzzer: timeout
"""


class Titles(unittest.TestCase):
    def test_harness_title_is_taken_verbatim(self):
        self.assertEqual(fc.title_of(HARNESS), "ksize mismatch in kmalloc (oracle)")

    def test_ubsan_names_the_check_and_the_allocator_frame(self):
        self.assertEqual(fc.title_of(UBSAN % 0x1234),
                         "null pointer passed as argument N in kh_kvrealloc (allocator/vmalloc.c) (UBSan)")

    def test_asan_title_ignores_addresses_and_lines(self):
        a = fc.title_of(ASAN % (1, 0x10, 500))
        b = fc.title_of(ASAN % (2, 0x90, 517))
        self.assertEqual(a, "heap-use-after-free in kh_slab_free (allocator/slab_common.c) (ASan)")
        self.assertEqual(a, b)

    def test_leak_names_the_allocating_frame_not_malloc(self):
        self.assertEqual(fc.title_of(LEAK), "memory leak from slab_struct_new (allocator/slab_common.c) (LSan)")

    def test_timeout(self):
        self.assertEqual(fc.title_of(TIMEOUT), "timeout in first_mismatch (allocator/mempool.c) (libFuzzer)")

    def test_trace_parse_check(self):
        out = "trace_parse_fuzzer: canonical text does not parse\n==1== ERROR: libFuzzer: deadly signal\n"
        self.assertEqual(fc.title_of(out), "trace_parse: canonical text does not parse")

    def test_own_checks_of_other_targets(self):
        out = "config_fuzzer: kh_config_check accepts a configuration that breaks a rule\n  profile x\n"
        self.assertEqual(fc.title_of(out),
                         "config: kh_config_check accepts a configuration that breaks a rule")
        out = "kernel_names_fuzzer: kmalloc and kh_kmalloc disagree\n"
        self.assertEqual(fc.title_of(out), "kernel_names: kmalloc and kh_kmalloc disagree")

    def test_unknown_crash_still_gets_a_title(self):
        self.assertEqual(fc.title_of("Segmentation fault\n"), "crash (unclassified)")

    def test_slug_is_a_safe_directory_name(self):
        self.assertEqual(fc.slug("SLUB/SLAB disagree in krealloc (differential)"),
                         "slub-slab-disagree-in-krealloc-differential")


class FakeTarget:
    def __init__(self, name):
        self.name = name
        self.crashed = False
        self.running = 0
        self.stats = {"seconds": 0.0}


class Budget(unittest.TestCase):
    def test_equal_shares_then_leftovers_go_to_later_targets(self):
        ts = [FakeTarget(n) for n in "abcd"]
        c = fc.Campaign(ts, budget=100, jobs=2, progress=10)
        t, s = c.next_run()                      # 200 core-seconds over 4 targets
        self.assertEqual((t.name, round(s)), ("a", 50))
        c.allotted["run-a"] = s
        t, s = c.next_run()
        self.assertEqual((t.name, round(s)), ("b", 50))
        c.allotted["run-b"] = s
        # a stops on a crash after 5 s: its 45 s go to c and d.
        del c.allotted["run-a"]
        c.spent += 5
        t, s = c.next_run()
        self.assertEqual((t.name, round(s)), ("c", round((200 - 5 - 50) / 2)))

    def test_a_free_core_continues_the_least_fuzzed_live_target(self):
        ts = [FakeTarget(n) for n in "ab"]
        c = fc.Campaign(ts, budget=100, jobs=2, progress=10)
        c.pending = []
        ts[0].stats["seconds"], ts[1].stats["seconds"] = 10.0, 30.0
        self.assertEqual(c.next_run()[0].name, "a")
        ts[0].crashed = True
        self.assertEqual(c.next_run()[0].name, "b")
        ts[1].crashed = True
        self.assertIsNone(c.next_run())

    def test_every_target_gets_a_run_after_the_deadline(self):
        ts = [FakeTarget(n) for n in "ab"]
        c = fc.Campaign(ts, budget=10, jobs=1, progress=10)
        c.deadline -= 60                         # an earlier run overran
        t, s = c.next_run()
        self.assertEqual((t.name, s), ("a", fc.MIN_RUN_SECONDS))
        c.pending = []
        self.assertIsNone(c.next_run())


if __name__ == "__main__":
    unittest.main()
