"""The suite's own invariant checks, independent of kh_validate().

Each function walks the instance through the introspection API and returns
a list of problems, each starting with the invariant's name ("slab-list:
...", "overlap: ..."), so a failing assertion says which rule broke. The
rules come from SPEC.md, not from the implementation.
"""
from collections import Counter

from . import spec
from .procfs import parse_buddyinfo, parse_slabinfo


# ---- slab lists (SPEC 5) ------------------------------------------------------

def slab_list_problems(kh, cache_ptr):
    """Every slab is on the list its counts imply, per design."""
    c = kh.cache_info(cache_ptr)
    slabs = kh.slabs(cache_ptr)
    out = []
    for s in slabs:
        tag = f"slab-list: {c.name} slab {s.base:#x} ({s.inuse}/{s.objects} in use, {s.free} free, on '{s.list}')"
        if s.inuse + s.free != s.objects:
            out.append(f"object-count: {c.name} slab {s.base:#x}: inuse {s.inuse} + free {s.free} != {s.objects}")
        if c.design == "slab":
            want = "full" if s.inuse == s.objects else "free" if s.inuse == 0 else "partial"
            if s.list != want:
                out.append(f"{tag}: classic SLAB puts it on '{want}'")
            continue
        # SLUB: a CPU's current slab, else partial while it has free objects,
        # else on no list (on the full list only with SLAB_STORE_USER).
        if s.list == "cpu":
            if not 0 <= s.cpu < kh.profile.nr_cpus:
                out.append(f"{tag}: CPU slab owned by CPU {s.cpu}")
            if c.flags & spec.SLAB_CONSISTENCY_CHECKS | c.flags & spec.SLAB_RED_ZONE | \
                    c.flags & spec.SLAB_POISON | c.flags & spec.SLAB_STORE_USER:
                out.append(f"{tag}: debug caches bypass the CPU slab")
            continue
        if s.cpu != -1:
            out.append(f"{tag}: not a CPU slab but claims CPU {s.cpu}")
        if s.free:
            if s.list != "partial":
                out.append(f"{tag}: a slab with free objects belongs on the partial list")
        else:
            want = "full" if c.flags & spec.SLAB_STORE_USER else "none"
            if s.list != want:
                out.append(f"{tag}: a full slab belongs on '{want}'")
    cpu_owners = Counter(s.cpu for s in slabs if s.list == "cpu")
    for cpu, n in cpu_owners.items():
        if n > 1:
            out.append(f"cpu-slab: {c.name}: CPU {cpu} owns {n} slabs")
    if c.design == "slub":
        empty_partial = sum(1 for s in slabs if s.list == "partial" and s.inuse == 0)
        if empty_partial > c.min_partial:
            out.append(f"slab-list: {c.name}: {empty_partial} empty partial slabs kept, "
                       f"min_partial is {c.min_partial}")
    counts = Counter(s.list for s in slabs)
    want = (len(slabs), sum(s.objects for s in slabs), sum(s.inuse for s in slabs),
            counts["partial"], counts["full"], counts["free"])
    got = (c.nr_slabs, c.nr_objects, c.nr_inuse, c.nr_partial, c.nr_full, c.nr_free)
    if got != want:
        out.append(f"cache-counters: {c.name}: counters (slabs, objects, inuse, partial, full, "
                   f"free) {got}, walk {want}")
    for s in slabs:
        if c.design == "slub" and s.objects != (kh.page_size << s.order) // c.size:
            out.append(f"slab-geometry: {c.name} slab {s.base:#x} order {s.order} has {s.objects} objects")
    return out


def all_slab_list_problems(kh):
    out = []
    for c in kh.caches():
        if not c.dead:
            out += slab_list_problems(kh, c.ptr)
    return out


# ---- overlap ------------------------------------------------------------------

def overlap_problems(intervals):
    """intervals: (start, length, label). Reports every pair that overlaps
    with its neighbour in address order."""
    out = []
    iv = sorted((s, s + n, label) for s, n, label in intervals if n > 0)
    for (s1, e1, l1), (s2, e2, l2) in zip(iv, iv[1:]):
        if s2 < e1:
            out.append(f"overlap: {l1} [{s1:#x}, {e1:#x}) and {l2} [{s2:#x}, {e2:#x})")
    return out


def block_problems(kh):
    """Free and allocated blocks: aligned, inside one zone, no overlap,
    together exactly the zone's pages; no two free buddies left unmerged."""
    out = []
    zones = {z.type: z for z in kh.zones() if z.present}
    free = kh.free_blocks()
    used = kh.allocated_blocks()
    top = kh.profile.max_order - 1
    spans = []
    for kind, blocks in (("free", free), ("allocated", used)):
        for b in blocks:
            if b.pfn % (1 << b.order):
                out.append(f"block-aligned: {kind} block pfn {b.pfn} order {b.order}")
            z = zones.get(b.zone)
            if z is None or not (z.start_pfn <= b.pfn and b.pfn + (1 << b.order) <= z.end_pfn):
                out.append(f"block-zone: {kind} block pfn {b.pfn} order {b.order} outside zone {b.zone}")
            spans.append((b.pfn, 1 << b.order, f"{kind} block order {b.order}"))
    out += [p.replace("[", "pfns [") for p in overlap_problems(spans)]
    # Every page is in a block, or PG_reserved boot memory memblock kept.
    present = sum(z.end_pfn - z.start_pfn for z in zones.values())
    reserved = kh.memblock_info()["reserved_pages"] if kh.has("memblock") else 0
    covered = sum(n for _, n, _ in spans)
    if covered + reserved != present:
        out.append(f"page-accounting: blocks cover {covered} pages and {reserved} are reserved, "
                   f"zones hold {present}")
    managed = sum(z.managed for z in zones.values())
    if managed != present - reserved:
        out.append(f"page-accounting: zones manage {managed} pages, {present} present less "
                   f"{reserved} reserved is {present - reserved}")
    free_set = {(b.zone, b.order, b.pfn) for b in free}
    for z, order, pfn in free_set:
        if order < top and (z, order, pfn ^ (1 << order)) in free_set and pfn < pfn ^ (1 << order):
            out.append(f"buddies-unmerged: zone {z} order {order} pfns {pfn} and {pfn ^ (1 << order)}")
    return out


# ---- accounting: /proc text against walks -------------------------------------

def slabinfo_problems(kh):
    out = []
    rows = parse_slabinfo(kh.slabinfo())
    live = [c for c in kh.caches() if not c.dead]
    names = [r.name for r in rows]
    want_names = [c.name for c in reversed(live)]
    if names != want_names:
        out.append(f"slabinfo-order: rows {names[:5]}..., expected newest cache first {want_names[:5]}...")
    by_name = {r.name: r for r in rows}
    for c in live:
        r = by_name.get(c.name)
        if r is None:
            continue
        slabs = kh.slabs(c.ptr)
        num_objs = sum(s.objects for s in slabs)
        if c.design == "slub":
            partial_free = sum(s.objects - s.inuse for s in slabs if s.list == "partial")
            active, active_slabs, tun = num_objs - partial_free, len(slabs), (0, 0, 0)
        else:
            active = sum(s.inuse for s in slabs)
            active_slabs = sum(1 for s in slabs if s.list != "free")
            tun = (r.limit, r.batchcount, r.sharedfactor)
        want = (active, num_objs, c.size, c.objects_per_slab, 1 << c.order, tun, active_slabs,
                len(slabs))
        got = (r.active_objs, r.num_objs, r.objsize, r.objperslab, r.pagesperslab,
               (r.limit, r.batchcount, r.sharedfactor), r.active_slabs, r.num_slabs)
        if got != want:
            out.append(f"slabinfo: {c.name}: (active_objs, num_objs, objsize, objperslab, "
                       f"pagesperslab, tunables, active_slabs, num_slabs) = {got}, walk gives {want}")
    return out


def buddyinfo_problems(kh):
    out = []
    rows = parse_buddyinfo(kh.buddyinfo())
    zones = [z for z in kh.zones() if z.present]
    if [r.zone for r in rows] != [z.name for z in zones]:
        out.append(f"buddyinfo: zones {[r.zone for r in rows]}, present {[z.name for z in zones]}")
        return out
    walk = Counter((b.zone, b.order) for b in kh.free_blocks())
    mo = kh.profile.max_order
    for r, z in zip(rows, zones):
        want = tuple(walk[(z.type, o)] for o in range(mo))
        if r.nr_free != want:
            out.append(f"buddyinfo: {z.name} prints {r.nr_free}, free block walk {want}")
        if tuple(z.nr_free[:mo]) != want:
            out.append(f"nr-free-counter: {z.name} nr_free {tuple(z.nr_free[:mo])}, walk {want}")
        pages = sum(n << o for o, n in enumerate(want))
        if z.free != pages:
            out.append(f"zone-free-counter: {z.name} free {z.free}, walk {pages}")
    total = sum(z.free for z in zones)
    if kh.nr_free_pages() != total:
        out.append(f"total-free-counter: nr_free_pages {kh.nr_free_pages()}, zones {total}")
    return out


# ---- mempool (SPEC 8) -----------------------------------------------------------

def mempool_problems(kh, held=()):
    """Every pool's reserve: at most min_nr elements, each element in one
    reserve only, none of them also held by a caller (`held`: elements the
    caller has from mempool_alloc), and each a live allocation of the pool's
    backing allocator (a kmalloc/slab object in use, or an allocated page
    block of the pool's order)."""
    out = []
    held = set(held)
    seen = {}
    for pool in kh.mempools():
        tag = f"mempool {pool.index} ({pool.kind})"
        if not 0 <= pool.curr_nr <= pool.min_nr:
            out.append(f"mempool-counts: {tag}: curr_nr {pool.curr_nr} outside 0..{pool.min_nr}")
        if len(pool.reserve) != pool.curr_nr:
            out.append(f"mempool-counts: {tag}: curr_nr {pool.curr_nr} but the reserve holds "
                       f"{len(pool.reserve)} elements")
        for e in pool.reserve:
            if e in seen:
                out.append(f"mempool-duplicate: element {e:#x} in {tag} and in {seen[e]}")
            seen[e] = tag
            if e in held:
                out.append(f"mempool-held: {tag}: reserve element {e:#x} is also held by the caller")
            out += _backing_problems(kh, pool, e, tag)
    return out


def _backing_problems(kh, pool, e, tag):
    if pool.kind == "page":
        addr = kh.page_address(e)
        state, head, order = kh.page_state(kh.pfn(addr))
        want = kh.get_order(pool.element_size)
        if state != "alloc-head" or order != want:
            return [f"mempool-element: {tag}: reserve page {addr:#x} is {state} order {order}, "
                    f"not an allocated order-{want} block"]
        return []
    if pool.kind in ("kmalloc", "slab"):
        if pool.element_size > kh.kmalloc_limits().max_cache_size:
            state, _, _ = kh.page_state(kh.pfn(e))
            ok = state == "alloc-head"
        else:
            hit = kh.object_lookup(e)
            ok = hit is not None and hit[1].addr == e and hit[1].state == "allocated"
        if not ok:
            return [f"mempool-element: {tag}: reserve element {e:#x} is not a live allocation"]
    return []


def all_problems(kh, live_intervals=()):
    """Everything above plus overlap of the caller's live allocations."""
    out = block_problems(kh) + buddyinfo_problems(kh)
    if kh.profile.slab != spec.SLOB:   # SLOB has neither slab lists nor /proc/slabinfo
        out += all_slab_list_problems(kh)
        out += slabinfo_problems(kh)
    if kh.has("mempool"):
        out += mempool_problems(kh)
    out += overlap_problems(live_intervals)
    return out
