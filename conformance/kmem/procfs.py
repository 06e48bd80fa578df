"""Parsers for the /proc text the allocator prints (SPEC 4 and 5).

They are strict: a line that does not have the kernel's shape raises
ValueError naming the line, so a formatting regression fails loudly instead
of being parsed into wrong numbers.
"""
import re
from dataclasses import dataclass

SLABINFO_HEADER = "slabinfo - version: 2.1"
SLABINFO_COLUMNS = ("# name            <active_objs> <num_objs> <objsize> <objperslab> "
                    "<pagesperslab> : tunables <limit> <batchcount> <sharedfactor> : slabdata "
                    "<active_slabs> <num_slabs> <sharedavail>")

# "%-17s %6lu %6lu %6u %4u %4d : tunables %4u %4u %4u : slabdata %6lu %6lu %6lu"
_ROW = re.compile(r"^(?P<name>\S+)\s*? +(?P<active_objs> *\d+) (?P<num_objs> *\d+) "
                  r"(?P<objsize> *\d+) (?P<objperslab> *\d+) (?P<pagesperslab> *\d+) : tunables "
                  r"(?P<limit> *\d+) (?P<batchcount> *\d+) (?P<sharedfactor> *\d+) : slabdata "
                  r"(?P<active_slabs> *\d+) (?P<num_slabs> *\d+) (?P<sharedavail> *\d+)$")


@dataclass(frozen=True)
class SlabinfoRow:
    name: str
    active_objs: int
    num_objs: int
    objsize: int
    objperslab: int
    pagesperslab: int
    limit: int
    batchcount: int
    sharedfactor: int
    active_slabs: int
    num_slabs: int
    sharedavail: int


def parse_slabinfo(text):
    """Rows in the order printed. Checks the header lines and the column widths."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if len(lines) < 2 or lines[0] != SLABINFO_HEADER:
        raise ValueError(f"slabinfo: bad first line {lines[:1]!r}")
    if lines[1] != SLABINFO_COLUMNS:
        raise ValueError(f"slabinfo: bad column line {lines[1]!r}")
    rows = []
    for line in lines[2:]:
        m = _ROW.match(line)
        if not m or len(line) < 18 or line[17] != " ":
            raise ValueError(f"slabinfo: malformed row {line!r}")
        name = m.group("name")
        if len(name) < 17 and line[:17] != name.ljust(17):
            raise ValueError(f"slabinfo: name not left-justified in 17 columns: {line!r}")
        vals = {k: int(v) for k, v in m.groupdict().items() if k != "name"}
        rows.append(SlabinfoRow(name=name, **vals))
    return rows


_BUDDY = re.compile(r"^Node (\d+), zone +(\S+) ((?: +\d+)+) $")


@dataclass(frozen=True)
class BuddyinfoRow:
    node: int
    zone: str
    nr_free: tuple


def parse_buddyinfo(text):
    """"Node 0, zone %8s " then "%6lu " per order, one line per present zone."""
    rows = []
    for line in text.rstrip("\n").split("\n"):
        m = _BUDDY.match(line)
        if not m:
            raise ValueError(f"buddyinfo: malformed line {line!r}")
        head = f"Node {m.group(1)}, zone {m.group(2):>8s} "
        if not line.startswith(head):
            raise ValueError(f"buddyinfo: zone name not right-justified in 8 columns: {line!r}")
        counts = line[len(head):]
        if len(counts) % 7 or any(counts[i + 6] != " " for i in range(0, len(counts), 7)):
            raise ValueError(f"buddyinfo: counts not in %6lu columns: {line!r}")
        rows.append(BuddyinfoRow(int(m.group(1)), m.group(2),
                                 tuple(int(x) for x in m.group(3).split())))
    return rows
