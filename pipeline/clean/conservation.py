"""Text conservation: every character printed inside a list table is placed, or said to be lost.

The guard against a layout nobody has seen yet: whatever the reader makes of a table, each
printed line of a list table's cells must end up in an item (any of its fields, or an extra
column kept with it), or be furniture: the header row's wording, a title row printed inside the
table, a continuation marker (on a line that is placed), a cell printed again identically for
the second part of a continued item. What is left is lost text, reported per page with a
sample, so a table read wrongly shows up as a problem instead of as rows quietly missing.

Counts are of printed characters other than whitespace.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import re

from pipeline.clean.paragraphs import Line
from pipeline.common.records import Cell, PageRecord
from pipeline.common.text import column_role, normalize_label

SAMPLE = 30  # characters of lost text quoted per page
_WS = re.compile(r"\s+")


def n_chars(text: str) -> int:
    """Printed characters other than whitespace."""
    return len(_WS.sub("", text))


@dataclass
class Tally:
    """Characters in a document's list tables, how many were placed, and the lost ones by page."""

    in_tables: int = 0
    placed: int = 0
    lost: dict[int, list[str]] = field(default_factory=dict)  # page → texts of lost lines

    def problems(self) -> list[dict]:
        """One entry per page with lost text: page, count and a sample."""
        out = []
        for page, texts in sorted(self.lost.items()):
            text = "".join(_WS.sub("", t) for t in texts)
            out.append({"page": page, "n_chars": len(text), "sample": text[:SAMPLE]})
        return out


def _key(text: str, x0: float, x1: float) -> tuple[str, float, float]:
    return (text, round(x0, 2), round(x1, 2))


def _line_key(line: Line) -> tuple[str, float, float]:
    return _key(line.text, line.x0, line.x1)


def header_furniture(cell: Cell) -> int:
    """How many of a header cell's lines are its wording (序号, 对应上级部门 over two lines …).

    The lines up to the longest run that is a column's exact name; a cell whose wording is no
    exact name (an unknown column's 备注, a fragment-matched label) is wording throughout. Lines
    below the wording (an item's text the page break glued under the header) are not."""
    lines = cell["lines"]
    exact = 0
    for k in range(1, len(lines) + 1):
        label = normalize_label("".join(ln["text"] for ln in lines[:k]))
        if column_role(label) is not None and _is_exact(label):
            exact = k
    return exact or len(lines)


def _is_exact(label: str) -> bool:
    from pipeline.common.text import _column_rules

    return label in _column_rules()[0]


def segments_of(item) -> list:
    """Every segment an item holds: its fields' cells and any extra columns kept with it."""
    from pipeline.clean.stitch import Segment

    found: list = []

    def walk(value, depth: int) -> None:
        if isinstance(value, Segment):
            found.append(value)
        elif depth < 3 and isinstance(value, dict):
            for v in value.values():
                walk(v, depth + 1)
        elif depth < 3 and isinstance(value, (list, tuple)):
            for v in value:
                walk(v, depth + 1)

    for name, value in vars(item).items():
        if name not in ("place", "pages", "seq_confs"):
            walk(value, 0)
    return found


def tally(
    records: list[PageRecord],
    list_tables: set[tuple[int, int]],
    decisions: list,
    items: list,
) -> Tally:
    """The tally of one document.

    list_tables: (page, table index) of the tables read as part of a list; decisions: the row
    decisions (page, table, row, kind); items: every item the readers made that is written,
    including the rows joined into another (whose segments that one holds)."""
    placed_keys: set[tuple[str, float, float]] = set()
    seen: set[int] = set()
    for item in items:
        for segment in segments_of(item):
            if id(segment) in seen:
                continue
            seen.add(id(segment))
            placed_keys.update(_line_key(ln) for ln in segment.lines)
    kinds = {(d.page, d.table, d.row): d.kind for d in decisions}
    excerpt = cut_before(records)
    result = Tally()
    for rec in records:
        page = rec["page"]
        for index, table in enumerate(rec["tables"]):
            if (page, index) not in list_tables:
                continue
            for cell in table["cells"]:
                kind = kinds.get((page, index, cell["r0"]))
                if kind == "skipped" and page in excerpt:
                    kind = "title"  # the rest of an item begun on a page the file lacks (noted)
                _count_cell(cell, kind, page, placed_keys, result)
    return result


def cut_before(records: list[PageRecord]) -> set[int]:
    """Pages whose previous document page is missing from the file (by their 第N页，共M页
    footers): an excerpt, whose first rows may be the rest of an item the file does not hold."""
    from pipeline.clean.wording import page_of

    numbers: dict[int, int] = {}
    for rec in records:
        found = [n for n in (page_of(ln["text"]) for ln in rec["text"]) if n is not None]
        if found:
            numbers[rec["page"]] = found[-1][0]
    pages = [rec["page"] for rec in records]
    out = set()
    for i, page in enumerate(pages):
        if page not in numbers:
            continue
        before = pages[i - 1] if i else None
        if (before is None and numbers[page] > 1) or (
            before in numbers and numbers[before] != numbers[page] - 1
        ):
            out.add(page)
    return out


def _count_cell(cell: Cell, kind: str | None, page: int, placed_keys: set, result: Tally) -> None:
    lines = cell["lines"]
    if not lines:
        return
    furniture = 0
    if kind in ("title", "section"):
        # A section row (一、党的建设（15项）) is the category (and subcategory) of the items below:
        # its title lands there without its enumerator and count, which are furniture.
        furniture = len(lines)
    elif kind == "header":
        furniture = header_furniture(cell)
    seq_cell = kind in ("new", "repeated", "continued", "fragment") and not any(
        _key(ln["text"], ln["x0"], ln["x1"]) in placed_keys for ln in lines
    )
    for k, ln in enumerate(lines):
        count = n_chars(ln["text"])
        if not count:
            continue
        result.in_tables += count
        if k < furniture or _key(ln["text"], ln["x0"], ln["x1"]) in placed_keys:
            result.placed += count
        elif seq_cell and _is_seq_text(ln["text"]):
            result.placed += count  # the 序号 cell: the item's number
        else:
            result.lost.setdefault(page, []).append(ln["text"])


def _is_seq_text(text: str) -> bool:
    t = _WS.sub("", text).rstrip(".．、")
    return t.isdigit()
