"""Ruled tables from a page's lines, rectangles and curves, shared by both readers.

The same steps and numbers as pdfplumber's `TableFinder` with the "lines" strategy (edges from
every line, rectangle side and straight curve segment; snapped, joined, filtered by length;
cells from their intersections; tables from cells sharing corners), on plain tuples instead of
dicts copied at every step, which made pdfplumber's version a large part of extraction time.
`tests/test_rulings.py` checks that both give the same edges and tables.

An edge is (orientation, x0, top, x1, bottom) with orientation "h" or "v".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
import itertools

Edge = tuple[str, float, float, float, float]
BBox = tuple[float, float, float, float]


def object_edges(objects: Mapping[str, Sequence[dict]]) -> list[Edge]:
    """Edges of a page's line, rect and curve objects, in pdfplumber's order (`page.edges`)."""
    edges: list[Edge] = []
    for ln in objects.get("line", ()):
        orientation = "h" if ln["top"] == ln["bottom"] else "v"
        edges.append((orientation, ln["x0"], ln["top"], ln["x1"], ln["bottom"]))
    for r in objects.get("rect", ()):
        x0, top, x1, bottom = r["x0"], r["top"], r["x1"], r["bottom"]
        edges.append(("h", x0, top, x1, top))
        edges.append(("h", x0, top + r["height"], x1, top + r["height"]))
        edges.append(("v", x0, top, x0, bottom))
        edges.append(("v", x1, top, x1, bottom))
    for c in objects.get("curve", ()):
        pts = c["pts"]
        for (ax, ay), (bx, by) in zip(pts, pts[1:], strict=False):
            along = "v" if ax == bx else ("h" if ay == by else None)
            if along:
                edges.append((along, min(ax, bx), min(ay, by), max(ax, bx), max(ay, by)))
    return edges


def _length(e: Edge) -> float:
    start, end = _span(e)
    return end - start


def _cluster_ids(values: Iterable[float], tolerance: float) -> dict[float, int]:
    """pdfplumber's make_cluster_dict: sorted distinct values chained within `tolerance`."""
    ids: dict[float, int] = {}
    last = None
    group = -1
    for v in sorted(set(values)):
        if last is None or v > last + tolerance:
            group += 1
        ids[v] = group
        last = v
    return ids


def _position(e: Edge) -> float:
    """Where an edge lies across its direction: x0 for a vertical edge, top for a horizontal one."""
    return e[1] if e[0] == "v" else e[2]


def _span(e: Edge) -> tuple[float, float]:
    """Where an edge starts and ends along its direction."""
    return (e[2], e[4]) if e[0] == "v" else (e[1], e[3])


def _snap(edges: list[Edge], tolerance: float) -> list[Edge]:
    """Move edges of one orientation whose positions lie within `tolerance` of each other to
    their mean position (pdfplumber's snap_objects)."""
    if tolerance <= 0 or not edges:
        return edges
    ids = _cluster_ids((_position(e) for e in edges), tolerance)
    clusters = sorted(((e, ids[_position(e)]) for e in edges), key=lambda t: t[1])
    out: list[Edge] = []
    for _, group in itertools.groupby(clusters, key=lambda t: t[1]):
        members = [e for e, _ in group]
        avg = sum(_position(e) for e in members) / len(members)
        for o, x0, top, x1, bottom in members:
            if o == "v":
                d = avg - x0
                out.append((o, x0 + d, top, x1 + d, bottom))
            else:
                d = avg - top
                out.append((o, x0, top + d, x1, bottom + d))
    return out


def _join(group: list[Edge], tolerance: float) -> list[Edge]:
    """Join collinear edges that overlap or lie within `tolerance` of each other."""
    ordered = sorted(group, key=lambda e: _span(e)[0])
    joined = [ordered[0]]
    for e in ordered[1:]:
        last = joined[-1]
        start, end = _span(e)
        if start <= _span(last)[1] + tolerance:
            if end > _span(last)[1]:
                o, x0, top, x1, bottom = last
                joined[-1] = (o, x0, top, x1, end) if o == "v" else (o, x0, top, end, bottom)
        else:
            joined.append(e)
    return joined


def merge_edges(edges: list[Edge], settings: Mapping) -> list[Edge]:
    """Prefilter, snap, join and filter edges (pdfplumber's TableFinder.get_edges)."""
    snap = settings.get("snap_tolerance", 3)
    join = settings.get("join_tolerance", 3)
    prefilter = settings.get("edge_min_length_prefilter", 1)
    v = [e for e in edges if e[0] == "v" and _length(e) >= prefilter]
    h = [e for e in edges if e[0] == "h" and _length(e) >= prefilter]
    if snap > 0:
        v, h = _snap(v, snap), _snap(h, snap)
    grouped = sorted(v + h, key=lambda e: (e[0], _position(e)))
    merged: list[Edge] = []
    for _, group in itertools.groupby(grouped, key=lambda e: (e[0], _position(e))):
        merged.extend(_join(list(group), join))
    min_length = settings.get("edge_min_length", 3)
    return [e for e in merged if _length(e) >= min_length]


def _intersections(edges: list[Edge], tolerance: float) -> dict[tuple[float, float], tuple[set, set]]:
    """Points where a vertical and a horizontal edge meet, with the edges meeting there."""
    v_edges = sorted((e for e in edges if e[0] == "v"), key=lambda e: (e[1], e[2]))
    h_edges = sorted((e for e in edges if e[0] == "h"), key=lambda e: (e[2], e[1]))
    points: dict[tuple[float, float], tuple[set, set]] = {}
    for v in v_edges:
        vx, vtop, vbottom = v[1], v[2], v[4]
        for h in h_edges:
            htop = h[2]
            if (
                vtop <= htop + tolerance
                and vbottom >= htop - tolerance
                and h[1] - tolerance <= vx <= h[3] + tolerance
            ):
                vs, hs = points.setdefault((vx, htop), (set(), set()))
                vs.add(v[1:])
                hs.add(h[1:])
    return points


def _cells(points: dict[tuple[float, float], tuple[set, set]]) -> list[BBox]:
    """The smallest rectangle from each intersection whose four sides are edges
    (pdfplumber's intersections_to_cells)."""

    def connects(p1, p2) -> bool:
        if p1[0] == p2[0] and points[p1][0] & points[p2][0]:
            return True
        return p1[1] == p2[1] and bool(points[p1][1] & points[p2][1])

    ordered = sorted(points)
    by_x: dict[float, list] = {}
    by_y: dict[float, list] = {}
    for i, pt in enumerate(ordered):
        by_x.setdefault(pt[0], []).append(i)
        by_y.setdefault(pt[1], []).append(i)
    cells = []
    for i, pt in enumerate(ordered[:-1]):
        below = [ordered[j] for j in by_x[pt[0]] if j > i]
        right = [ordered[j] for j in by_y[pt[1]] if j > i]
        found = None
        for below_pt in below:
            if not connects(pt, below_pt):
                continue
            for right_pt in right:
                if not connects(pt, right_pt):
                    continue
                corner = (right_pt[0], below_pt[1])
                if corner in points and connects(corner, right_pt) and connects(corner, below_pt):
                    found = (pt[0], pt[1], corner[0], corner[1])
                    break
            if found:
                break
        if found:
            cells.append(found)
    return cells


def _tables(cells: list[BBox]) -> list[list[BBox]]:
    """Cells grouped into tables by shared corners (pdfplumber's cells_to_tables)."""

    def corners(c: BBox):
        x0, top, x1, bottom = c
        return ((x0, top), (x0, bottom), (x1, top), (x1, bottom))

    remaining = list(cells)
    current_corners: set = set()
    current: list[BBox] = []
    tables = []
    while remaining:
        before = len(current)
        for cell in list(remaining):
            cc = corners(cell)
            if not current or any(c in current_corners for c in cc):
                current_corners |= set(cc)
                current.append(cell)
                remaining.remove(cell)
        if len(current) == before:
            tables.append(list(current))
            current_corners.clear()
            current.clear()
    if current:
        tables.append(list(current))
    tables.sort(key=lambda t: min((c[1], c[0]) for c in t))
    return [t for t in tables if len(t) > 1]


def find_tables(
    objects: Mapping[str, Sequence[dict]], settings: Mapping
) -> tuple[list[Edge], list[tuple[BBox, int]]]:
    """Merged edges of a page and its tables as (bbox, number of cells)."""
    edges = merge_edges(object_edges(objects), settings)
    points = _intersections(edges, settings.get("intersection_tolerance", 3))
    tables = []
    for cells in _tables(_cells(points)):
        bbox = (
            min(c[0] for c in cells),
            min(c[1] for c in cells),
            max(c[2] for c in cells),
            max(c[3] for c in cells),
        )
        tables.append((bbox, len(cells)))
    return edges, tables
