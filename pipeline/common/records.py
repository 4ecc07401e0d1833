"""The records passed between stages, as typed plain data, and their Parquet form.

extract writes, per source file, one table of page records; clean reads them back. Every
reader (PDF, and any other format) produces the same records, so later stages do not care
where a list came from. Coordinates are PDF points, origin at the page's top left.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, NotRequired, TypedDict

from pipeline.common.entries import SourceEntry
from pipeline.common.storage import build_dir, read_parquet

Bbox = tuple[float, float, float, float]  # x0, top, x1, bottom


class TextLine(TypedDict):
    """One printed line: its text, where it starts and ends, and its font size."""

    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float
    # True when the line starts a real paragraph (office files carry them); absent (null in
    # Parquet) from PDFs, whose paragraphs the clean stage infers from line geometry.
    para: NotRequired[bool]
    conf: NotRequired[float | None]  # OCR: lowest character probability (0-1); absent or None if born-digital


class Cell(TypedDict):
    """A table cell on the grid: rows r0..r1-1 and columns c0..c1-1 (a merged cell spans several)."""

    r0: int
    r1: int
    c0: int
    c1: int
    x0: float
    top: float
    x1: float
    bottom: float
    lines: list[TextLine]


class Table(TypedDict):
    bbox: Bbox
    cells: list[Cell]


class PageRecord(TypedDict):
    """What a reader found on one page: tables, and the text lines outside them."""

    page: int  # 1-based
    width: float
    height: float
    n_chars: int
    tables: list[Table]
    text: list[TextLine]


_LINE_FIELDS = ("text", "x0", "x1", "top", "bottom", "size", "conf")  # conf: OCR only, else null


EXTRACT_SCHEMA_FIELDS = (
    ("page", "int32"),
    ("kind", "string"),  # page | cell | text
    ("table", "int32"),  # index of the table on its page (cells only)
    ("r0", "int32"),  # first grid row of a cell
    ("r1", "int32"),  # grid row boundary where the cell ends (r1 - r0 rows spanned)
    ("c0", "int32"),
    ("c1", "int32"),
    ("x0", "float64"),
    ("top", "float64"),
    ("x1", "float64"),
    ("bottom", "float64"),
    ("n_chars", "int32"),  # characters on the page (page rows only)
)


def rewrite_text(records: list[PageRecord], rewrite: Callable[[str], tuple[str, int]]) -> int:
    """Replace every text line of page records (cells and free text), in place, by what REWRITE
    makes of it; the sum of the counts REWRITE gives (characters changed)."""
    n = 0
    for rec in records:
        for line in [ln for t in rec["tables"] for c in t["cells"] for ln in c["lines"]] + list(rec["text"]):
            line["text"], k = rewrite(line["text"])
            n += k
    return n


def extract_schema():
    import pyarrow as pa

    floats = [(k, pa.float64()) for k in _LINE_FIELDS[1:]]
    line = pa.struct([("text", pa.string())] + floats + [("para", pa.bool_())])
    fields = [(name, getattr(pa, kind)()) for name, kind in EXTRACT_SCHEMA_FIELDS]
    return pa.schema(fields + [("lines", pa.list_(line))])


def records_to_rows(records: list[PageRecord]) -> list[dict]:
    """Page records → table rows: a 'page' row per page, a 'cell' row per table cell, a 'text'
    row per free text line."""
    rows = []
    for rec in records:
        rows.append(
            {"page": rec["page"], "kind": "page", "x0": 0.0, "top": 0.0, "x1": rec["width"],
             "bottom": rec["height"], "n_chars": rec["n_chars"], "lines": []}
        )  # fmt: skip
        for ti, t in enumerate(rec["tables"]):
            for c in t["cells"]:
                row = {"page": rec["page"], "kind": "cell", "table": ti}
                row.update({k: c[k] for k in ("r0", "r1", "c0", "c1", "x0", "top", "x1", "bottom", "lines")})
                rows.append(row)
        for line in rec["text"]:
            row = {"page": rec["page"], "kind": "text", "lines": [line]}
            row.update({k: line[k] for k in ("x0", "top", "x1", "bottom")})
            rows.append(row)
    return rows


def arrow_to_records(table) -> list[PageRecord]:
    """Inverse of records_to_rows: page records in page order."""
    pages: dict[int, Any] = {}
    for row in table.to_pylist():
        p = row["page"]
        if row["kind"] == "page":
            pages[p] = {
                "page": p,
                "width": row["x1"],
                "height": row["bottom"],
                "n_chars": row["n_chars"],
                "tables": [],
                "text": [],
            }
        elif row["kind"] == "cell":
            tables = pages[p]["tables"]
            while len(tables) <= row["table"]:
                tables.append({"cells": []})
            cell = {k: row[k] for k in ("r0", "r1", "c0", "c1", "x0", "top", "x1", "bottom")}
            cell["lines"] = row["lines"]
            tables[row["table"]]["cells"].append(cell)
        else:
            pages[p]["text"].extend(row["lines"])
    for rec in pages.values():
        for t in rec["tables"]:
            cells = t["cells"]
            t["bbox"] = (
                min(c["x0"] for c in cells),
                min(c["top"] for c in cells),
                max(c["x1"] for c in cells),
                max(c["bottom"] for c in cells),
            )
    return [pages[p] for p in sorted(pages)]


def load_extracted(processed: Path, entry: SourceEntry) -> list[PageRecord]:
    """Page records of one extracted source file (an entry of the extract manifest)."""
    return arrow_to_records(read_parquet(build_dir(processed) / entry["cache"]))
