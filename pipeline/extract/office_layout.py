"""Page records for documents that carry their structure (Word, Excel): synthetic geometry.

Office readers know each table's grid, each cell's span and each paragraph, but not where a
printer would put them. They describe a page as blocks (paragraphs of free text, tables) and
this module lays the blocks out top to bottom in PDF points, so the result has exactly the
shape the PDF reader gives: cells on a grid with coordinates, lines with x0/x1, free text lines
outside tables. Every line is one real paragraph and says so (`"para": True`), so the clean
stage takes paragraphs as given instead of inferring them from where lines stop.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import cast

from pipeline.common.records import PageRecord

MARGIN = 36.0  # page margin, pt
PAD = 3.0  # cell padding, pt
LEADING = 1.5  # line height as a multiple of the font size
DEFAULT_COLUMN = 72.0  # width of a column of unknown width, pt


@dataclass(frozen=True)
class Para:
    """One real paragraph: its text and font size (pt)."""

    text: str
    size: float


@dataclass
class Cell:
    """A table cell on its grid: rows r0..r1-1 and columns c0..c1-1, with its paragraphs."""

    r0: int
    r1: int
    c0: int
    c1: int
    paras: list[Para] = field(default_factory=list)


@dataclass
class Table:
    """A table: column widths (pt; missing or zero widths get a default) and its cells."""

    widths: list[float]
    cells: list[Cell]


Block = Table | list[Para]  # a table, or free paragraphs printed outside tables


def text_width(text: str, size: float) -> float:
    """Printed width of a line: CJK and full-width characters one em, ASCII a little over half."""
    return sum(0.55 if ch.isascii() else 1.0 for ch in text) * size


def _line(text: str, x0: float, top: float, size: float, right: float) -> dict:
    x1 = min(x0 + text_width(text, size), max(right, x0 + size))
    return {"text": text, "x0": x0, "x1": x1, "top": top, "bottom": top + size, "size": size, "para": True}


def _lines(paras: list[Para], x0: float, top: float, right: float) -> tuple[list[dict], float]:
    """Lines of paragraphs stacked from `top`; returns them and the y below the last."""
    out = []
    y = top
    for p in paras:
        if p.text:
            out.append(_line(p.text, x0, y, p.size, right))
            y += p.size * LEADING
    return out, y


def _table(table: Table, x0: float, top: float) -> tuple[dict, float]:
    """A table record laid out at (x0, top); returns it and its bottom."""
    n_cols = max(max(c.c1 for c in table.cells), len(table.widths))
    widths = [
        table.widths[i] if i < len(table.widths) and table.widths[i] > 0 else DEFAULT_COLUMN
        for i in range(n_cols)
    ]
    xs = [x0]
    for w in widths:
        xs.append(xs[-1] + w)
    n_rows = max(c.r1 for c in table.cells)
    # Each cell gets its lines plus a free line below them: no text ever sits at a cell's foot,
    # so nothing reads as a cell cut off by a page break.
    need = {id(c): (len([p for p in c.paras if p.text]) + 2) * _size(c) * LEADING for c in table.cells}
    heights = [0.0] * n_rows
    for c in sorted(table.cells, key=lambda c: c.r1 - c.r0):
        have = sum(heights[c.r0 : c.r1])
        if have < need[id(c)]:
            heights[c.r1 - 1] += need[id(c)] - have
    ys = [top]
    for h in heights:
        ys.append(ys[-1] + max(h, 1.0))
    cells = []
    for c in sorted(table.cells, key=lambda c: (c.r0, c.c0)):
        cx0, cx1, ctop = xs[c.c0], xs[c.c1], ys[c.r0]
        lines, _ = _lines(c.paras, cx0 + PAD, ctop + _size(c) * LEADING / 2, cx1 - PAD)
        cells.append(
            {"r0": c.r0, "r1": c.r1, "c0": c.c0, "c1": c.c1,
             "x0": cx0, "top": ctop, "x1": cx1, "bottom": ys[c.r1], "lines": lines}
        )  # fmt: skip
    return {"bbox": (xs[0], ys[0], xs[-1], ys[-1]), "cells": cells}, ys[-1]


def _size(cell: Cell) -> float:
    return max((p.size for p in cell.paras if p.text), default=10.5)


def page_record(number: int, blocks: list[Block]) -> PageRecord:
    """One page record (the PDF reader's shape) holding the blocks top to bottom."""
    y = MARGIN
    tables, text = [], []
    width = 2 * MARGIN + 400.0
    for block in blocks:
        if isinstance(block, Table):
            if not block.cells:
                continue
            record, y = _table(block, MARGIN, y)
            tables.append(record)
            width = max(width, record["bbox"][2] + MARGIN)
            y += 12.0
        else:
            lines, y = _lines(block, MARGIN, y, float("inf"))
            text.extend(lines)
            width = max([width] + [ln["x1"] + MARGIN for ln in lines])
    n_chars = sum(len(ln["text"]) for ln in text) + sum(
        len(ln["text"]) for t in tables for c in t["cells"] for ln in c["lines"]
    )
    record = {
        "page": number,
        "width": width,
        "height": y + MARGIN,
        "n_chars": n_chars,
        "tables": tables,
        "text": text,
    }
    return cast(PageRecord, record)
