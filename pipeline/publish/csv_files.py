"""csv/TABLE.csv: one CSV per table, UTF-8 with a byte-order mark (so Excel and WPS read the Chinese
right on a double-click), CRLF line ends, every field quoted when needed (multi-paragraph cells keep
their line breaks inside quotes), list cells joined by 、 (source_files.notes: one per line).

A text cell that a spreadsheet would take for a formula (it starts with = + - @, a tab or a carriage
return: `=HYPERLINK(...)`, `=cmd|' /C calc'!A0`, a file named `=1+1.docx`) is written with a `'` in
front (OWASP's advice against CSV injection), so Excel and WPS show it as text and never run it.
The Parquet tables and the workbook keep the text exactly as printed."""

from __future__ import annotations

import csv
import os
from pathlib import Path

from pipeline.common.messages import to_chinese
from pipeline.common.storage import table_parts
from pipeline.normalize.schema import csv_columns, list_item_text, separator, spec
from pipeline.publish.cells import as_text

BATCH = 10_000  # rows read from Parquet at a time (memory stays flat)


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutral(text: str) -> str:
    """TEXT as a CSV text cell: with a `'` in front when a spreadsheet would read it as a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _texts(values: list, col: dict) -> list[str]:
    """`as_text` of every value of one column, deciding by the column's type once; text cells
    neutral (see the module doc)."""
    kind = col["type"]
    if kind == "string":
        return ["" if v is None else neutral(v) for v in values]
    if kind.startswith("list"):
        sep = separator(col)
        return ["" if v is None else neutral(sep.join([list_item_text(x) for x in v])) for v in values]
    return [as_text(v, col) for v in values]


CSV_DIR = "csv"


def write_csv(parquet: Path, target: Path, name: str, table_spec: dict) -> int:
    """Write one table; replace TARGET atomically. Returns the number of rows."""
    cols = csv_columns(name, table_spec)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    n = 0
    try:
        with tmp.open("w", encoding="utf-8-sig", newline="") as f:
            w = csv.writer(f, lineterminator="\r\n")
            w.writerow([c["name"] for c in cols])
            for data in _column_batches(parquet):
                texts = [_derived(data, c) if "derived" in c else _texts(data[c["name"]], c) for c in cols]
                w.writerows(zip(*texts, strict=True))
                n += len(texts[0]) if texts else 0
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return n


def _derived(data: dict, col: dict) -> list[str]:
    """A derived column's cells: the Chinese label of a code, or the Chinese text of a message."""
    source = data[col["from"]]
    if col["derived"] == "label":
        return ["" if v is None else neutral(col["labels"].get(v, v)) for v in source]
    kinds = data.get("kind") or [""] * len(source)
    return [
        "" if v is None else neutral(to_chinese(col["derived"], v, k) or "")
        for v, k in zip(source, kinds, strict=True)
    ]


def _column_batches(parquet: Path):
    import pyarrow.parquet as pq

    for part in table_parts(parquet):  # the file, or a dataset's files
        with pq.ParquetFile(part) as f:
            for batch in f.iter_batches(batch_size=BATCH):
                yield batch.to_pydict()


def write_csvs(processed: Path) -> dict[str, int]:
    folder = processed / CSV_DIR
    folder.mkdir(exist_ok=True)
    return {
        name: write_csv(processed / f"{name}.parquet", folder / f"{name}.csv", name, t)
        for name, t in spec().items()
    }
