#!/usr/bin/env python3
"""Writes the schedule-controlled target's seeds (fuzz/schedule.h) into
fuzz/corpus/sched/. Deterministic: rerunning rewrites the same files.

Each seed is a small program of a kind the target exists for: tasks that
share a CPU and interleave inside its freelist, objects handed to a task on
the other CPU and freed there (remote frees), slabs filled and emptied so
that they move between the CPU and the partial list. The schedules switch
task often; the fuzzer varies them."""
import os
import sys

KMALLOC, CACHE_ALLOC, FREE, SEND, RECV, CHECK = range(6)


def op(task, code, slot, arg=0):
    return bytes([task | code << 2 | slot << 5, arg])


def program(tasks, cache_index, cpus, ops, schedule):
    head = bytes([(tasks - 2) | cache_index << 2, cpus, len(ops)])
    return head + b"".join(ops) + bytes(schedule)


def seeds():
    out = {}
    # Two tasks on CPU 0: allocations and frees of one size, switched at
    # every decision (the per-CPU freelist's pop and push windows).
    ops = []
    for i in range(6):
        for t in (0, 1):
            ops.append(op(t, KMALLOC, i % 4, 1))
            ops.append(op(t, FREE, (i + 2) % 4))
    out["same-cpu-kmalloc"] = program(2, 0, 0b00, ops, [i % 2 for i in range(200)])
    # Producer on CPU 0, consumer on CPU 1: every free is remote.
    ops = []
    for i in range(8):
        ops.append(op(0, CACHE_ALLOC, i % 8))
        ops.append(op(0, SEND, i % 8, 1))
        ops.append(op(1, RECV, i % 8))
        ops.append(op(1, FREE, i % 8))
    out["remote-free"] = program(2, 7, 0b10, ops, [(i * 7) % 3 for i in range(200)])
    # Three tasks, 4 KiB cache objects (few per slab): slabs fill, empty and
    # move between the CPUs and the partial list while frees come in.
    ops = []
    for i in range(10):
        ops.append(op(0, CACHE_ALLOC, i % 8))
        ops.append(op(1, CACHE_ALLOC, i % 8))
        ops.append(op(2, CACHE_ALLOC, i % 8))
        ops.append(op(0, SEND, (i + 3) % 8, 2))
        ops.append(op(2, RECV, (i + 5) % 8))
        ops.append(op(1, FREE, (i + 4) % 8))
    out["slab-moves"] = program(3, 7, 0b100, ops, [(i * 5 + i // 3) % 4 for i in range(400)])
    # One producer on CPU 1 feeds two consumers on CPU 0, which free into
    # the producer's own (frozen) slab at the same time: concurrent remote
    # frees onto one slab freelist.
    ops = []
    for i in range(8):
        ops.append(op(2, CACHE_ALLOC, i % 8))
        ops.append(op(2, SEND, i % 8, i % 2))
    for i in range(4):
        for t in (0, 1):
            ops.append(op(t, RECV, i % 8))
            ops.append(op(t, FREE, i % 8))
    out["concurrent-remote-frees"] = program(3, 7, 0b100, ops, [2] * 17 + [i % 2 for i in range(200)])
    # Four tasks, two per CPU, kmalloc of mixed sizes, no schedule: the
    # tasks run one after the other (the decoder's default).
    ops = [op(t, [KMALLOC, FREE, KMALLOC, CHECK][i % 4], i % 3, i) for i in range(24) for t in range(4)]
    out["sequential"] = program(4, 2, 0b1010, ops, [])
    return out


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "corpus", "sched")
    os.makedirs(root, exist_ok=True)
    for name, data in sorted(seeds().items()):
        with open(os.path.join(root, name), "wb") as f:
            f.write(data)
        print("%s: %d bytes" % (name, len(data)))


if __name__ == "__main__":
    main()
