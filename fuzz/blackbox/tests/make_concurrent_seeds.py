#!/usr/bin/python3
"""Writes the concurrent target's seeds (fuzz/blackbox/seeds/concurrent/).

    fuzz/blackbox/tests/make_concurrent_seeds.py [DIR]

Each seed is an input in the format of fuzz/blackbox/concurrent.h: a header
byte (threads, rounds) and 4-byte records [op slot a b]. Deterministic (a
fixed random seed), so rerunning it rewrites the same files.
"""
import os
import random
import sys

NIB = {"alloc": 0, "zalloc": 3, "aligned": 4, "free": 5, "realloc": 8, "send": 10, "recv": 12,
       "check": 14, "usable": 15}
SPAN = {64: 0, 512: 1, 4096: 2, 65536: 3}


def header(threads, rounds):
    return bytes([(threads - 2) | ({1: 0, 2: 1, 4: 2, 8: 3}[rounds] << 4)])


def rec(thread, op, slot=0, size=16, span=64, align_log=0, to=0):
    v = (size - 1) // 4 if span == 65536 else size - 1
    a = v & 0xff
    if op == "aligned":
        a = (a & 0xf8) | align_log
    b = (v >> 8) | (SPAN[span] << 6)
    return bytes([thread << 4 | NIB[op], (to << 4) | slot, a, b])


def handover(threads, rounds):
    """Every thread allocates, sends everything on, receives and frees."""
    out = header(threads, rounds)
    for t in range(threads):
        for s in range(8):
            out += rec(t, "alloc", s, size=8 + 8 * s)
        for s in range(8):
            out += rec(t, "send", s, to=s % (threads - 1))
        for s in range(8, 16):
            out += rec(t, "recv", s)
        for s in range(8, 16):
            out += rec(t, "realloc", s, size=24 + 40 * (s - 8), span=512)
            out += rec(t, "free", s)
    return out


def churn(rng, threads, rounds, n, spans):
    out = header(threads, rounds)
    ops = list(NIB)
    for _ in range(n):
        t = rng.randrange(threads)
        op = rng.choice(ops + ["alloc", "alloc", "free", "free", "send", "recv"])
        span = rng.choice(spans)
        out += rec(t, op, rng.randrange(16), size=rng.randrange(1, span + 1), span=span,
                   align_log=rng.randrange(8), to=rng.randrange(3))
    return out


def main():
    d = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "seeds", "concurrent")
    os.makedirs(d, exist_ok=True)
    rng = random.Random(20)
    seeds = {
        "handover-2": handover(2, 2),
        "handover-4": handover(4, 1),
        "churn-small-4x4": churn(rng, 4, 4, 400, [64]),
        "churn-mixed-3x2": churn(rng, 3, 2, 300, [64, 512, 4096]),
        "churn-large-2x1": churn(rng, 2, 1, 120, [4096, 65536]),
        "churn-all-4x8": churn(rng, 4, 8, 200, [64, 512]),
    }
    for name, data in seeds.items():
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)
    print("wrote %d seeds to %s" % (len(seeds), d))


if __name__ == "__main__":
    main()
