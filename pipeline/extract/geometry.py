"""Plain geometry helpers: table grids from ruling lines, text lines from characters.

A Word table exported to PDF is drawn with ruling lines. Their positions give a grid of
rows and columns; slots not separated by a ruling form one cell, so a vertically merged
cell is one cell spanning several grid rows. The characters inside a cell become text
lines that keep where they start and end.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from operator import itemgetter
import re


def cluster_positions(values: Iterable[float], tolerance: float) -> list[float]:
    """Sorted distinct positions, merging values closer than `tolerance` (mean of a cluster)."""
    out: list[list[float]] = []
    for v in sorted(values):
        if out and v - out[-1][-1] <= tolerance:
            out[-1].append(v)
        else:
            out.append([v])
    return [sum(c) / len(c) for c in out]


def _covered(
    edges: Sequence[tuple[float, float, float]], at: float, lo: float, hi: float, tol: float
) -> bool:
    """Whether ruling segments (position, start, end) at `at` cover at least half of [lo, hi]."""
    if hi <= lo:
        return True
    covered = 0.0
    for pos, a, b in edges:
        if abs(pos - at) <= tol:
            covered += max(0.0, min(b, hi) - max(a, lo))
    return covered >= 0.5 * (hi - lo)


def grid_from_rulings(
    h_edges: Sequence[tuple[float, float, float]],
    v_edges: Sequence[tuple[float, float, float]],
    bbox: tuple[float, float, float, float],
    tolerance: float,
) -> tuple[list[float], list[float], list[dict]]:
    """Cells of a ruled table from its rulings.

    h_edges: (y, x0, x1) horizontal segments; v_edges: (x, top, bottom) vertical segments.
    The grid lines are every distinct ruling position inside `bbox`; two neighbouring grid
    slots belong to one cell when no ruling separates them. A vertically merged cell thus
    becomes one cell spanning several grid rows, even where a producer left out a border
    that a strict corner-to-corner search (pdfplumber's cell finder) would need.
    """
    x0, top, x1, bottom = bbox
    inside_h = [
        e for e in h_edges if top - tolerance <= e[0] <= bottom + tolerance and e[2] > x0 and e[1] < x1
    ]
    inside_v = [
        e for e in v_edges if x0 - tolerance <= e[0] <= x1 + tolerance and e[2] > top and e[1] < bottom
    ]
    xs = cluster_positions([x0, x1] + [e[0] for e in inside_v], tolerance)
    ys = cluster_positions([top, bottom] + [e[0] for e in inside_h], tolerance)
    nr, nc = len(ys) - 1, len(xs) - 1
    if nr < 1 or nc < 1:
        return xs, ys, []
    return xs, ys, _merged_cells(inside_h, inside_v, xs, ys, tolerance)


def _merged_cells(
    inside_h: list[tuple[float, float, float]],
    inside_v: list[tuple[float, float, float]],
    xs: list[float],
    ys: list[float],
    tolerance: float,
) -> list[dict]:
    """The cells of the grid xs × ys, top to bottom and left to right: neighbouring slots that no
    ruling (inside_h, inside_v) separates are joined into one cell spanning them."""
    nr, nc = len(ys) - 1, len(xs) - 1
    parent = list(range(nr * nc))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(a: int, b: int) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    for r in range(nr):
        for c in range(nc):
            if c + 1 < nc and not _covered(inside_v, xs[c + 1], ys[r], ys[r + 1], tolerance):
                union(r * nc + c, r * nc + c + 1)
            if r + 1 < nr and not _covered(inside_h, ys[r + 1], xs[c], xs[c + 1], tolerance):
                union(r * nc + c, (r + 1) * nc + c)
    spans: dict[int, list[int]] = {}
    for r in range(nr):
        for c in range(nc):
            root = find(r * nc + c)
            box = spans.setdefault(root, [r, r + 1, c, c + 1])
            box[0], box[1] = min(box[0], r), max(box[1], r + 1)
            box[2], box[3] = min(box[2], c), max(box[3], c + 1)
    cells = [
        {"r0": r0, "r1": r1, "c0": c0, "c1": c1, "x0": xs[c0], "top": ys[r0], "x1": xs[c1], "bottom": ys[r1]}
        for r0, r1, c0, c1 in spans.values()
    ]
    cells.sort(key=lambda c: (c["r0"], c["c0"]))
    return cells


def close_open_bottom(
    bbox: tuple[float, float, float, float],
    v_edges: Sequence[tuple[float, float, float]],
    tolerance: float,
) -> tuple[float, float, float, float]:
    """The table's box reaching down to where its vertical rulings end.

    A row split by a page break may be printed without a bottom border (Chromium always,
    reportlab when it splits a row): the fragment is bounded by the table's vertical rulings
    alone, which run on below the last horizontal one. Only rulings inside the table and
    touching its box count, so a table further down the page is not swallowed.
    """
    x0, top, x1, bottom = bbox
    ends = [
        b
        for x, t, b in v_edges
        if x0 - tolerance <= x <= x1 + tolerance and top - tolerance <= t <= bottom + tolerance
    ]
    reach = max(ends, default=bottom)
    return (x0, top, x1, reach) if reach > bottom + tolerance else bbox


def implied_rows(
    bbox: tuple[float, float, float, float],
    v_segments: Sequence[tuple[float, float, float]],
    h_edges: Sequence[tuple[float, float, float]],
    chars: Sequence[dict],
    tolerance: float,
) -> list[tuple[float, float, float]]:
    """Row boundaries a producer drew no horizontal rule for, as (y, x0, x1) rulings.

    reportlab draws a repeated header row's vertical rulings apart from the body's and may leave
    out the rule under the header when the row below is the rest of a row split by the page
    break: every vertical ruling of the table then stops and starts again at one height where no
    horizontal rule is drawn. That height is a row boundary when no character straddles it (a
    producer drawing its verticals in pieces elsewhere is not cutting text in two). Where text is
    printed across that height (the centred 序号 and 事项类别 of the continued row drawn up into the
    header), the boundary is the gap between the lines just above.
    `v_segments` are the page's vertical segments as drawn (x, top, bottom), before joining.
    """
    x0, top, x1, bottom = bbox
    inside = [s for s in v_segments if x0 - tolerance <= s[0] <= x1 + tolerance and top - tolerance <= s[1]]
    inside = [s for s in inside if s[2] <= bottom + tolerance]
    columns = cluster_positions([s[0] for s in inside], tolerance)
    if len(columns) < 3:
        return []
    out = []
    for y in cluster_positions(
        [s[1] for s in inside if top + tolerance < s[1] < bottom - tolerance], tolerance
    ):
        boundary = _boundary_at(y, bbox, inside, columns, h_edges, chars, tolerance)
        if boundary is not None:
            out.append((boundary, x0, x1))
    return out


def _boundary_at(
    y: float,
    bbox: tuple[float, float, float, float],
    inside: list[tuple[float, float, float]],
    columns: list[float],
    h_edges: Sequence[tuple[float, float, float]],
    chars: Sequence[dict],
    tolerance: float,
) -> float | None:
    """The row boundary at height y, where no horizontal rule is drawn but every column's vertical
    ruling (`inside`: the table's segments) stops and starts again; None where there is none."""
    x0, _, x1, _ = bbox
    if any(abs(e[0] - y) <= tolerance and e[1] < x1 and e[2] > x0 for e in h_edges):
        return None
    if not all(_ends_and_starts(inside, y, x, tolerance) for x in columns):
        return None
    near = [c for c in chars if c["top"] < y < c["bottom"] and x0 <= (c["x0"] + c["x1"]) / 2 <= x1]
    if near:
        # Text printed across the height (a centred 序号 drawn up into the header above it):
        # the boundary is the nearest gap between lines above it, within one line's height.
        return _gap_above(y, near, chars, x0, x1)
    return y


def _ends_and_starts(inside: list[tuple[float, float, float]], y: float, x: float, tolerance: float) -> bool:
    """Whether a vertical segment at x ends at height y and another starts there."""
    near = [s for s in inside if abs(s[0] - x) <= tolerance]
    return any(abs(s[2] - y) <= tolerance for s in near) and any(abs(s[1] - y) <= tolerance for s in near)


def _gap_above(y: float, near: list[dict], chars: Sequence[dict], x0: float, x1: float) -> float | None:
    """The lowest height above y, within the height of the characters across y, that no character
    of the table's width lies across; None when there is none."""
    size = max(c["bottom"] - c["top"] for c in near)
    tops = [
        c
        for c in chars
        if y - 2 * size < c["bottom"] and c["top"] < y and x0 <= (c["x0"] + c["x1"]) / 2 <= x1
    ]
    slack = 0.15 * size  # glyph boxes of neighbouring lines may overlap a little

    def across(c: dict, at: float) -> bool:
        return c["top"] + slack < at < c["bottom"] - slack

    candidate = min(c["top"] for c in near)
    while candidate > y - size:
        if not any(across(c, candidate) for c in tops):
            return candidate
        candidate = min(c["top"] for c in tops if across(c, candidate))
    return None


def _unrotate_point(x: float, y: float, rotation: int, width: float, height: float) -> tuple[float, float]:
    """A point of the displayed page (top-left origin, `width` × `height`) in the page's own
    frame, before /Rotate `rotation` (90, 180, 270; clockwise) turned it for display."""
    if rotation == 90:
        return y, width - x
    if rotation == 180:
        return width - x, height - y
    return height - y, x  # 270


def unrotate_objects(
    objects: dict[str, list[dict]], rotation: int, width: float, height: float
) -> tuple[dict[str, list[dict]], float, float]:
    """Objects of a page shown with /Rotate 90/180/270, in the page's own upright frame.

    The same page rotated must read the same: a producer (or a scanner, a printer driver) that
    sets /Rotate turns the display, not the content, so tables and text are read in the frame
    they were drawn in. Characters turned by the rotation become upright; their size is their
    new height. Returns the objects and the frame's width and height.
    """
    rotation %= 360
    if rotation not in (90, 180, 270):
        return objects, width, height
    new_w, new_h = (height, width) if rotation in (90, 270) else (width, height)
    out: dict[str, list[dict]] = {}
    for kind, objs in objects.items():
        out[kind] = []
        for obj in objs:
            (ax, at), (bx, bt) = (
                _unrotate_point(obj["x0"], obj["top"], rotation, width, height),
                _unrotate_point(obj["x1"], obj["bottom"], rotation, width, height),
            )
            x0, x1, top, bottom = min(ax, bx), max(ax, bx), min(at, bt), max(at, bt)
            d = dict(obj, x0=x0, x1=x1, top=top, bottom=bottom, width=x1 - x0, height=bottom - top)
            d.update(y0=new_h - bottom, y1=new_h - top)
            if "doctop" in obj:  # the PDFium reader's characters carry only the keys used downstream
                d["doctop"] = obj["doctop"] - obj["top"] + top
            if "pts" in obj:
                d["pts"] = [_unrotate_point(x, y, rotation, width, height) for x, y in obj["pts"]]
            if kind == "char" and rotation in (90, 270):
                d["upright"] = not obj.get("upright", True)
                d["size"] = bottom - top
            out[kind].append(d)
    return out, new_w, new_h


def slot_index(xs: Sequence[float], ys: Sequence[float], x: float, y: float) -> tuple[int, int] | None:
    """Grid slot (row, column) holding the point, or None outside the grid."""
    if not (xs[0] <= x <= xs[-1] and ys[0] <= y <= ys[-1]):
        return None
    c = min(bisect.bisect_right(xs, x) - 1, len(xs) - 2)
    r = min(bisect.bisect_right(ys, y) - 1, len(ys) - 2)
    return r, c


def char_slot(xs: Sequence[float], ys: Sequence[float], ch: dict) -> tuple[int, int] | None:
    """Grid slot of a character: the one its centre falls in.

    A character that straddles the table's left or right border (CJK punctuation such as 、。
    hangs past the right border in reportlab's layout) belongs to the column it overlaps, so it
    is never cropped out of its cell.
    """
    cx, cy = (ch["x0"] + ch["x1"]) / 2, (ch["top"] + ch["bottom"]) / 2
    if ch["x0"] < xs[-1] < cx:
        cx = xs[-1]
    elif cx < xs[0] < ch["x1"]:
        cx = xs[0]
    return slot_index(xs, ys, cx, cy)


def chars_to_lines(chars: Sequence[dict], line_tolerance: float, space_gap: float) -> list[dict]:
    """Group characters into text lines, top to bottom, each read left to right.

    A character belongs to the current line when its top lies within `line_tolerance` × its
    size of the line's first character. Spaces are kept as printed; between two ASCII word
    characters a horizontal gap wider than `space_gap` × size also counts as one space
    (producers that position words instead of printing a space). CJK text gets no inferred
    spaces: justified CJK lines have wide gaps that are not spaces.
    """
    groups: list[list[dict]] = []
    first_top = reach = 0.0
    for ch in sorted(chars, key=_TOP_X0):
        if groups and ch["top"] - first_top <= reach:
            groups[-1].append(ch)
        else:
            groups.append([ch])
            first_top, reach = ch["top"], line_tolerance * max(ch["size"], 1.0)
    lines = []
    for group in groups:
        if len(group) > 1:
            group.sort(key=_X0)
        texts = list(map(_TEXT, group))
        joined = "".join(texts)
        if _ASCII_WORD.search(joined):  # a space may be inferred between two ASCII word characters
            parts: list[str] = []
            prev_last = ""  # last character of the previous character's text
            prev_x1 = 0.0
            for ch, text in zip(group, texts, strict=True):
                if (
                    prev_last.isascii()
                    and prev_last.isalnum()
                    and text[:1].isascii()
                    and text[:1].isalnum()
                    and ch["x0"] - prev_x1 > space_gap * ch["size"]
                ):
                    parts.append(" ")
                parts.append(text)
                prev_last, prev_x1 = text[-1:], ch["x1"]
            joined = "".join(parts)
        # Where the line holds no whitespace at all (the usual case), every character is inked
        # (\s and str.isspace agree on what whitespace is).
        if _WHITESPACE.search(joined) is None:
            inked = group
        else:
            inked = [ch for ch, text in zip(group, texts, strict=True) if not text.isspace()]
            if not inked:
                continue
        sizes = sorted(map(_SIZE, inked))
        lines.append(
            {
                "text": joined,
                "x0": min(map(_X0, inked)),
                "x1": max(map(_X1, inked)),
                "top": min(map(_TOP, inked)),
                "bottom": max(map(_BOTTOM, inked)),
                "size": sizes[len(sizes) // 2],
            }
        )
    return lines


_TOP_X0 = itemgetter("top", "x0")
_ASCII_WORD = re.compile("[0-9A-Za-z]")  # what str.isascii() and str.isalnum() both accept
_X0 = itemgetter("x0")
_X1 = itemgetter("x1")
_TOP = itemgetter("top")
_BOTTOM = itemgetter("bottom")
_SIZE = itemgetter("size")
_TEXT = itemgetter("text")
_WHITESPACE = re.compile(r"\s")


Matrix = tuple[float, float, float, float, float, float]


def matrix_product(m1: tuple, m2: tuple) -> tuple:
    """m1 then m2: the product m1 × m2 of two affine matrices (a, b, c, d, e, f), as PDF and OFD
    write them (a point maps to (a·x + c·y + e, b·x + d·y + f))."""
    a1, b1, c1, d1, e1, f1 = m1
    a2, b2, c2, d2, e2, f2 = m2
    return (
        a1 * a2 + b1 * c2,
        a1 * b2 + b1 * d2,
        c1 * a2 + d1 * c2,
        c1 * b2 + d1 * d2,
        e1 * a2 + f1 * c2 + e2,
        e1 * b2 + f1 * d2 + f2,
    )
