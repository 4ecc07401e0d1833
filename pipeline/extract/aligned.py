"""Tables whose columns exist only as text alignment: ruled between rows only, or not at all.

A three-line table (三线表: a rule above and below the header, maybe hairlines between rows, a
rule at the end) and a Word table with every border set to none have no vertical rulings, so
the ruled-table finder sees no table. Here such a table is found from its header row instead:
a printed line whose words name the columns (序号, 事项名称, …: the wording of
pipeline/rules/lists.toml). Below it:

- the table runs on while lines follow each other closely (or after a rule), up to the next
  header row; a page number further down stays outside;
- the column boundaries lie between neighbouring header words, in the widest vertical strip no
  body character covers (where a rule is drawn in pieces, one per cell, at the piece's end);
- rows are cut at the horizontal rules across the table and, between rules, above every line
  that starts a 序号 (in the widest gap above it: an item's rows may sit lower than its first
  line when the 序号 is centred);
- a line reaching over a column boundary (a section row 一、党的建设) makes its cells one.

The result is the same grid of cells with text lines as a ruled table, so the clean stage reads
both alike (header, split rows, continued items).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
import re

from pipeline.common.rules import load
from pipeline.common.text import header_roles
from pipeline.extract.geometry import chars_to_lines

SEGMENT_GAP = 0.6  # × size: a wider blank between two characters of a line separates two cells
ROW_GAP = 2.5  # × size: a wider blank above a line (not bridged by a rule) ends the table
TIE = 0.3  # × size: gaps within this of the widest are as wide (the lowest of them is taken)
MIN_HEADLESS = 3  # lines of two or more words that make a page without a header row a table


def _text_rows(chars: Sequence[dict], tolerance: float) -> list[list[dict]]:
    """Inked characters grouped into printed lines across the page, top to bottom, each left to right."""
    rows: list[list[dict]] = []
    first_top = reach = 0.0
    for ch in sorted((c for c in chars if c["text"].strip()), key=lambda c: (c["top"], c["x0"])):
        if rows and ch["top"] - first_top <= reach:
            rows[-1].append(ch)
        else:
            rows.append([ch])
            first_top, reach = ch["top"], tolerance * max(ch["size"], 1.0)
    for row in rows:
        row.sort(key=lambda c: c["x0"])
    return rows


def _segments(row: list[dict]) -> list[list[dict]]:
    """A printed line cut where the blank between two characters is wider than SEGMENT_GAP."""
    out: list[list[dict]] = []
    for ch in row:
        if out and ch["x0"] - out[-1][-1]["x1"] <= SEGMENT_GAP * max(ch["size"], 1.0):
            out[-1].append(ch)
        else:
            out.append([ch])
    return out


def _text(chars: list[dict]) -> str:
    return "".join(c["text"] for c in chars)


def _bounds(rows: list[list[dict]]) -> tuple[float, float]:
    return min(c["top"] for r in rows for c in r), max(c["bottom"] for r in rows for c in r)


def _header_words(rows: list[list[dict]], i: int) -> tuple[list[tuple[float, float]], int] | None:
    """The x-spans of the header words when line i (alone, or with the line below it: a header
    wrapped in its cells, 对应上级 | 部门) is a header row; and how many lines it takes.

    The line below continues the header when it is printed alike, follows closely, and each of
    its words lies under a word of line i and is no wider than it (a body line is no header)."""
    words = [[s[0]["x0"], s[-1]["x1"], _text(s)] for s in _segments(rows[i])]
    single = header_roles([(k, w[2]) for k, w in enumerate(words)])
    if i + 1 < len(rows) and len(words) >= 2:
        merged = _wrapped_header(rows, i, words, single is not None)
        if merged is not None:
            return [(w[0], w[1]) for w in merged], 2
    if single is not None:
        return [(w[0], w[1]) for w in words], 1
    return None


def _wrapped_header(rows: list[list[dict]], i: int, words: list[list], alone: bool) -> list[list] | None:
    """The header words [x0, x1, text] of lines i and i+1 read as one header row, or None: the
    line below must be printed alike, follow closely, and name columns; when line i is a header
    by itself (`alone`), each word below must also fit under one of its words."""
    size = max(c["size"] for c in rows[i])
    same_print = abs(max(c["size"] for c in rows[i + 1]) - size) <= 0.1 * size
    if not (same_print and _bounds([rows[i + 1]])[0] - _bounds([rows[i]])[1] <= 0.8 * size):
        return None
    merged, fits = _merge_below(words, rows[i + 1], size)
    if (not alone or fits) and header_roles([(k, w[2]) for k, w in enumerate(merged)]) is not None:
        return merged
    return None


def _merge_below(words: list[list], row: list[dict], size: float) -> tuple[list[list], bool]:
    """The words of `row` joined to the header word above each (a new word where none is), left
    to right; and whether every one fits under its word (no wider, not a bare number)."""
    merged = [list(w) for w in words]
    fits = True
    for s in _segments(row):
        a, b, text = s[0]["x0"], s[-1]["x1"], _text(s)
        home = next((w for w in merged if a < w[1] and b > w[0]), None)
        if home is None:
            merged.append([a, b, text])
            fits = False
        else:
            fits = fits and home[0] - size <= a and b <= home[1] + size and not text.strip().isdigit()
            home[0], home[1], home[2] = min(home[0], a), max(home[1], b), home[2] + text
    merged.sort()
    return merged, fits


def _free_strips(lo: float, hi: float, spans: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Sub-intervals of [lo, hi] covered by the fewest of these spans (none, in a plain table; a
    section row printed across the columns covers every strip once)."""
    cuts = sorted({lo, hi} | {v for a, b in spans for v in (a, b) if lo < v < hi})
    pieces = []
    for a, b in zip(cuts, cuts[1:], strict=False):
        mid = (a + b) / 2
        pieces.append((a, b, sum(1 for x0, x1 in spans if x0 < mid < x1)))
    fewest = min(n for _, _, n in pieces)
    out: list[tuple[float, float]] = []
    for a, b, n in pieces:
        if n != fewest:
            continue
        if out and out[-1][1] == a:
            out[-1] = (out[-1][0], b)
        else:
            out.append((a, b))
    return out


def _column_edges(
    words: list[tuple[float, float]], body: list[tuple[float, float]], breaks: list[float]
) -> list[float]:
    """Boundaries between neighbouring header words: the middle of the widest strip free of body
    text between them, or a rule's piece end inside that strip."""
    edges = []
    for (_, left_end), (right_start, _) in zip(words, words[1:], strict=False):
        if right_start <= left_end:
            edges.append((left_end + right_start) / 2)
            continue
        strips = _free_strips(left_end, right_start, body)
        if not strips:
            edges.append((left_end + right_start) / 2)
            continue
        a, b = max(strips, key=lambda s: s[1] - s[0])
        edges.append(_strip_edge(a, b, breaks))
    return edges


def _strip_edge(a: float, b: float, breaks: Sequence[float]) -> float:
    """A column boundary in the free strip a..b: the rule's piece end nearest its middle, else
    the middle."""
    inside = [x for x in breaks if a - 0.5 <= x <= b + 0.5]
    return min(inside, key=lambda x: abs(x - (a + b) / 2)) if inside else (a + b) / 2


def _gap_above(rows: list[list[dict]], lo: int, k: int, size: float) -> float:
    """The height of the widest blank between lines lo..k (ties: the lowest): where a row ends
    above line k."""
    best, width = None, -1.0
    for j in range(max(lo, 1), k + 1):
        above, below = _bounds([rows[j - 1]])[1], _bounds([rows[j]])[0]
        if below - above >= width - TIE * size:
            best, width = (above + max(below, above)) / 2, max(width, below - above)
    return best if best is not None else _bounds([rows[k]])[0]


def aligned_tables(
    chars: list[dict],
    h_rules: Sequence[tuple[float, float, float]],
    rule_breaks: Sequence[tuple[float, float]],
    line_tolerance: float,
    space_gap: float,
    ruled: bool = False,
) -> tuple[list[dict], list[dict]]:
    """Tables (grid, cells with their text lines) found by their header rows among characters
    outside any ruled table, and the characters left outside them. On a page with neither a ruled
    table (`ruled`) nor a header row, a block of lines in columns whose first column holds the
    numbers 1, 2, 3 … is a table too: a list continued from a page whose header is not repeated.

    h_rules: horizontal rulings (y, x0, x1); rule_breaks: (y, x) where a horizontal rule drawn in
    pieces has a piece end (Chromium draws each cell's border apart)."""
    rows = _text_rows(chars, line_tolerance)
    tables, used = [], set()
    starts: list[tuple[int, list[tuple[float, float]], int]] = []
    for i in range(len(rows)):
        found = _header_words(rows, i)
        if found is not None and (not starts or i >= starts[-1][0] + starts[-1][2]):
            starts.append((i, found[0], found[1]))
    for n, (i, words, depth) in enumerate(starts):
        end = starts[n + 1][0] if n + 1 < len(starts) else len(rows)
        table = _table(rows, i, depth, end, words, h_rules, rule_breaks, line_tolerance, space_gap)
        if table is not None:
            tables.append(table[0])
            used |= table[1]
    if not starts and not ruled:
        headless = _headless_table(rows, h_rules, rule_breaks, line_tolerance, space_gap)
        if headless is not None:
            tables.append(headless[0])
            used |= headless[1]
    return tables, [c for c in chars if id(c) not in used]


def _headless_table(rows, h_rules, rule_breaks, line_tolerance, space_gap):
    """A table without a header row on this page, or None: at least MIN_HEADLESS lines of two
    or more words, the column boundaries in the strips no line covers, the first column holding
    item numbers (nothing but digits) from which the rows are cut."""
    if not rows:
        return None
    sizes = sorted(c["size"] for r in rows for c in r)
    size = sizes[len(sizes) // 2]
    block = _headless_block(rows, size)
    if block is None:
        return None
    columns = _headless_columns(block, rule_breaks, size)
    if columns is None:
        return None
    left, right, xs = columns
    ys, inner = _headless_rows(rows, block, h_rules, left, right, xs, size)
    cells = _cells(block, xs, ys, line_tolerance, space_gap)
    if len(xs) > 3:  # the column after the 序号: where a merged 事项类别 stands
        cells = _merged_down(cells, 1, inner, size, empty_below=True)
    return {"bbox": (xs[0], ys[0], xs[-1], ys[-1]), "xs": xs, "ys": ys, "cells": cells}, {
        id(c) for r in block for c in r
    }


def _headless_block(rows: list[list[dict]], size: float) -> list[list[dict]] | None:
    """The lines of a table without a header row, or None when fewer than MIN_HEADLESS lines
    have two or more words: from the first to the last such line (larger print and page numbers
    left out), with the lines of one column that follow closely before and after it."""
    body = [
        (j, r)
        for j, r in enumerate(rows)
        if max(c["size"] for c in r) <= 1.2 * size and not _page_number(r, None, size)
    ]
    multi = [j for j, r in body if len(_segments(r)) >= 2]
    if len(multi) < MIN_HEADLESS:
        return None
    first, last = _close_run(rows, [j for j, _ in body], multi[0], multi[-1], size)
    return [r for j, r in body if first <= j <= last]


def _close_run(
    rows: list[list[dict]], kept: list[int], first: int, last: int, size: float
) -> tuple[int, int]:
    """Lines first..last widened to the kept lines that follow each other closely before and
    after them (the rest of an item split by the page break belongs to the block)."""
    k = kept.index(first)
    while k > 0 and _bounds([rows[first]])[0] - _bounds([rows[kept[k - 1]]])[1] <= ROW_GAP * size:
        k -= 1
        first = kept[k]
    k = kept.index(last)
    while k + 1 < len(kept) and _bounds([rows[kept[k + 1]]])[0] - _bounds([rows[last]])[1] <= ROW_GAP * size:
        k += 1
        last = kept[k]
    return first, last


def _headless_columns(
    block: list[list[dict]], rule_breaks: Sequence[tuple[float, float]], size: float
) -> tuple[float, float, list[float]] | None:
    """The block's left and right ends and its column boundaries xs, or None: there must be
    strips no line covers, and the first column must hold nothing but item numbers."""
    spans = [(s[0]["x0"], s[-1]["x1"]) for r in block for s in _segments(r)]
    left, right = min(a for a, _ in spans), max(b for _, b in spans)
    strips = [(a, b) for a, b in _free_strips(left, right, spans) if b - a >= SEGMENT_GAP * size]
    if not strips:
        return None
    if any(sum(1 for x0, x1 in spans if x0 < (a + b) / 2 < x1) for a, b in strips):
        return None  # the fewest-covered strips are covered: no column structure
    breaks = [x for y, x in rule_breaks]
    edges = [_strip_edge(a, b, breaks) for a, b in strips]
    first_col = [s for r in block for s in _segments(r) if (s[0]["x0"] + s[-1]["x1"]) / 2 < edges[0]]
    if not first_col or not all(_is_number(_text(s)) for s in first_col):
        return None
    return left, right, [left - 0.5 * size, *edges, right + 0.5 * size]


def _headless_rows(rows, block, h_rules, left, right, xs, size) -> tuple[list[float], list[float]]:
    """The row boundaries of a table without a header row (the rules across it, the block's
    ends, and above each item number), and the rules inside it."""
    top, bottom = _bounds(block)
    spanning = [
        r[0]
        for r in h_rules
        if r[1] < right
        and r[2] > left
        and r[2] - r[1] >= 0.5 * (right - left)
        and top - 2 * size <= r[0] <= bottom + 2 * size
    ]
    inner = [y for y in spanning if top < y < bottom]
    ys = sorted({min([top - 0.5 * size, *[y for y in spanning if y <= top]]), *inner,
                 max([bottom + 0.5 * size, *[y for y in spanning if y >= bottom]])})  # fmt: skip
    j0 = rows.index(block[0])
    ys = sorted(set(ys) | set(_seq_cuts(rows, j0, j0 + len(block) - 1, xs, 0, ys, bool(inner), size)))
    return _apart(ys, size), inner


def _apart(ys: list[float], size: float) -> list[float]:
    """Sorted row boundaries without those closer than 0.2 × size to the one before."""
    return [y for k, y in enumerate(ys) if k == 0 or y - ys[k - 1] > 0.2 * size]


def _is_number(text: str) -> bool:
    t = text.strip().rstrip(".．、")
    return t.isdigit() and t.isascii()


def _table(rows, i, depth, end, words, h_rules, rule_breaks, line_tolerance, space_gap):
    """The table whose header is lines i..i+depth-1, before line `end`; None if it has no body."""
    size = sorted(c["size"] for c in rows[i])[len(rows[i]) // 2]
    left, right = words[0][0] - size, words[-1][1] + size
    header_top, header_bottom = _bounds(rows[i : i + depth])
    rules = sorted(r for r in h_rules if r[1] < right and r[2] > left and r[2] - r[1] >= 0.5 * (right - left))
    seq_span = _seq_word(rows, i, depth, words)
    last, bottom = _body_end(rows, i + depth, end, rules, seq_span, header_bottom, size)
    body_rows = rows[i + depth : last + 1]
    if not body_rows:
        return None
    spanning = [r for r in rules if header_top - 2 * size <= r[0] <= bottom + 2 * size]
    left, right = _sides(body_rows, spanning, left, right, size)
    breaks = [x for y, x in rule_breaks if header_top - 2 * size <= y <= bottom + 2 * size]
    spans = [(s[0]["x0"], s[-1]["x1"]) for r in body_rows for s in _segments(r)]
    xs = [left, *_column_edges(words, spans, breaks), right]
    ys = _row_edges(rows, i, depth, last, xs, [r[0] for r in spanning], bottom, size)
    cells = _cells(rows[i : last + 1], xs, ys, line_tolerance, space_gap)
    category_col = _column_of(rows, i, depth, xs, "category")
    if category_col is not None:
        cells = _merged_down(cells, category_col, [r[0] for r in spanning], size)
    used = {id(c) for r in rows[i : last + 1] for c in r}
    return {"bbox": (xs[0], ys[0], xs[-1], ys[-1]), "xs": xs, "ys": ys, "cells": cells}, used


def _body_end(rows, first, end, rules, seq_span, bottom, size) -> tuple[int, float]:
    """The last body line of a table whose body starts at line `first` (before line `end`), and
    its bottom: the body runs on while lines follow closely or after a rule, and stops at larger
    print (the next list's title) or a page number. `bottom`: the header's."""
    last = first - 1
    for j in range(first, end):
        top_j, bottom_j = _bounds([rows[j]])
        if max(c["size"] for c in rows[j]) > 1.2 * size:
            break  # larger print: the next list's title
        if _page_number(rows[j], seq_span, size):
            break
        ruled = [r[0] for r in rules if bottom <= r[0] <= top_j]
        if top_j - max([bottom, *ruled]) > ROW_GAP * size:
            break
        last, bottom = j, max(bottom, bottom_j)
    return last, bottom


def _sides(body_rows, spanning, left, right, size) -> tuple[float, float]:
    """The table's left and right ends: the header's, widened to its body text and to the rules
    across it."""
    body = [c for r in body_rows for c in r]
    left = min(left, min(c["x0"] for c in body) - 0.5 * size)
    right = max(right, max(c["x1"] for c in body) + 0.5 * size)
    if spanning:
        left, right = min(left, min(r[1] for r in spanning)), max(right, max(r[2] for r in spanning))
    return left, right


def _row_edges(rows, i, depth, last, xs, spanning, bottom, size) -> list[float]:
    """Row boundaries of the table whose header is lines i..i+depth-1 and whose body ends at line
    `last` (bottom): the rules across it (`spanning`, their y), the header's end, and above each
    line starting a 序号."""
    header_top, header_bottom = _bounds(rows[i : i + depth])
    above = [y for y in spanning if y <= header_top + 0.5 * size]
    top = max(above) if above else header_top - 0.5 * size
    inner = [y for y in spanning if header_bottom - 0.2 * size < y < bottom]
    ys = [top, *inner]
    first_body_top = _bounds([rows[i + depth]])[0]
    if not any(header_bottom - 0.2 * size < y <= first_body_top for y in inner):
        ys.append((header_bottom + first_body_top) / 2)
    ruled_rows = any(first_body_top < y < bottom for y in inner)
    below = [y for y in spanning if y >= bottom - 0.2 * size]
    ys.append(min(below) if below and min(below) - bottom <= ROW_GAP * size else bottom + 0.5 * size)
    ys = sorted(set(ys))
    seq_col = _column_of(rows, i, depth, xs, "seq")
    if seq_col is not None:
        ys = sorted(set(ys) | set(_seq_cuts(rows, i + depth, last, xs, seq_col, ys, ruled_rows, size)))
    return _apart(ys, size)


def _seq_word(rows, i, depth, words) -> tuple[float, float] | None:
    """The x-span of the header word 序号 (or a synonym)."""
    texts = []
    for k, (a, b) in enumerate(words):
        inside = [c for r in rows[i : i + depth] for c in r if a <= (c["x0"] + c["x1"]) / 2 <= b]
        texts.append((k, _text(inside)))
    roles = header_roles(texts) or {}
    return next((words[k] for k, role in roles.items() if role == "seq"), None)


@cache
def _footer_patterns() -> list[re.Pattern]:
    return [re.compile(p, re.IGNORECASE) for p in load("text")["furniture"]["page_footer"]]


def _page_number(row: list[dict], seq_span: tuple[float, float] | None, size: float) -> bool:
    """A line that is a page number (8, - 8 -, 第 8 页) standing apart from the 序号 column."""
    if len(_segments(row)) != 1:
        return False
    text = re.sub(r"\s+", "", _text(row))
    if not any(p.match(text) for p in _footer_patterns()):
        return False
    centre = (row[0]["x0"] + row[-1]["x1"]) / 2
    return seq_span is None or not seq_span[0] - 2 * size <= centre <= seq_span[1] + 2 * size


def _column_of(rows, i, depth, xs, wanted: str) -> int | None:
    """The column whose header word names the role `wanted` (seq: 序号, category: 事项类别 …)."""
    words = []
    for k in range(len(xs) - 1):
        inside = [c for r in rows[i : i + depth] for c in r if xs[k] <= (c["x0"] + c["x1"]) / 2 < xs[k + 1]]
        words.append((k, _text(inside)))
    roles = header_roles(words) or {}
    return next((k for k, role in roles.items() if role == wanted), None)


def _merged_down(
    cells: list[dict], col: int, ruled: list[float], size: float, empty_below: bool = False
) -> list[dict]:
    """Cells of column `col` whose text runs on into the row below, joined with that row's cell.

    Rows are as tall as their own cells' text, so text of one row's cell printed on in the next
    row's band comes from a vertically merged cell (a 事项类别 printed once at the top of the
    items it spans, wrapping past the first of them): its last line in the row reaches the column
    boundary and the next row's first line follows it closely, with no rule in between. Only the category
    column is joined this way (a name or duty that happens to fill its last line is no sign).
    `empty_below` (a table whose header row is on another page, so the column's role is not
    known here): only a one-line rest with an empty cell below it, as under a merged cell."""
    column = sorted((c for c in cells if c["c0"] == col and c["c1"] == col + 1), key=lambda c: c["r0"])
    below = {c["r0"]: not c["lines"] for c in column}
    out: list[dict] = []
    for cell in column:
        above = out[-1] if out else None
        eligible = not empty_below or (len(cell["lines"]) == 1 and below.get(cell["r1"], True))
        if eligible and above is not None and _runs_on(above, cell, ruled, size):
            out[-1] = dict(above, r1=cell["r1"], bottom=cell["bottom"], lines=above["lines"] + cell["lines"])
            continue
        out.append(cell)
    others = [c for c in cells if not (c["c0"] == col and c["c1"] == col + 1)]
    return sorted(others + out, key=lambda c: (c["r0"], c["c0"]))


def _runs_on(above: dict, cell: dict, ruled: list[float], size: float) -> bool:
    """Whether the text of the cell `above` runs on into `cell`, the next row's: its last line
    reaches the column boundary, the next line follows closely, and no rule lies between."""
    return (
        bool(above["lines"])
        and bool(cell["lines"])
        and above["r1"] == cell["r0"]
        and above["x1"] - above["lines"][-1]["x1"] < 0.6 * size
        and cell["lines"][0]["top"] - above["lines"][-1]["bottom"] < 0.8 * size
        and not any(abs(y - cell["top"]) < 0.5 for y in ruled)
    )


def _seq_cuts(rows, first, last, xs, seq_col, ys, ruled_rows, size) -> list[float]:
    """Row boundaries above the lines that start a 序号, between the rule-given boundaries.

    With rules between the rows, only a second 序号 between two rules cuts (a 序号 may be centred
    in its row, below the row's first lines); without, every 序号 does: the rows above it within
    the band are the rest of an item split by the page break, or the item above."""
    lo_x, hi_x = xs[seq_col], xs[seq_col + 1]
    starts = [
        j for j in range(first, last + 1) if any(lo_x <= (c["x0"] + c["x1"]) / 2 < hi_x for c in rows[j])
    ]
    cuts = []
    for band_top, band_bottom in zip(ys, ys[1:], strict=False):
        in_band = [j for j in range(first, last + 1) if band_top <= _bounds([rows[j]])[0] < band_bottom]
        band_starts = [j for j in starts if j in in_band]
        if not in_band:
            continue
        prev = in_band[0]
        for n, j in enumerate(band_starts):
            if (n == 0 and ruled_rows) or j == in_band[0]:
                prev = j
                continue
            cuts.append(_gap_above(rows, prev + 1, j, size))
            prev = j
    return cuts


def _cells(rows, xs, ys, line_tolerance, space_gap) -> list[dict]:
    """Grid cells (one per row and column, merged across where a line reaches over a boundary)
    with their text lines."""
    n_rows, n_cols = len(ys) - 1, len(xs) - 1

    def slot(v: float, edges: list[float], n: int) -> int:
        k = 0
        while k + 1 < n and v >= edges[k + 1]:
            k += 1
        return k

    members: dict[tuple[int, int], list[dict]] = {}
    joined: dict[int, set[int]] = {}  # grid row → boundaries (column k | k+1) a line reaches over
    for row in rows:
        for seg in _segments(row):
            r = slot((seg[0]["top"] + seg[0]["bottom"]) / 2, ys, n_rows)
            cols = [slot((c["x0"] + c["x1"]) / 2, xs, n_cols) for c in seg]
            for c, col in zip(seg, cols, strict=True):
                members.setdefault((slot((c["top"] + c["bottom"]) / 2, ys, n_rows), col), []).append(c)
            joined.setdefault(r, set()).update(range(min(cols), max(cols)))
    cells = []
    for r in range(n_rows):
        c0 = 0
        for col in range(n_cols):
            if col in joined.get(r, ()) and col + 1 < n_cols:
                continue
            inside = [ch for k in range(c0, col + 1) for ch in members.get((r, k), ())]
            cells.append(
                {
                    "r0": r,
                    "r1": r + 1,
                    "c0": c0,
                    "c1": col + 1,
                    "x0": xs[c0],
                    "top": ys[r],
                    "x1": xs[col + 1],
                    "bottom": ys[r + 1],
                    "lines": chars_to_lines(inside, line_tolerance, space_gap),
                }
            )
            c0 = col + 1
    return cells
