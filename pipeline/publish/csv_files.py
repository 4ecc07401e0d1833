"""csv/TABLE.csv: one CSV per table, UTF-8 with a byte-order mark (so Excel and WPS read the Chinese
right on a double-click), CRLF line ends, every field quoted when needed (multi-paragraph cells keep
their line breaks inside quotes), list cells joined by 、 (source_files.notes: one per line)."""

from __future__ import annotations

import csv
import os
from pathlib import Path

from pipeline.normalize.schema import spec
from pipeline.publish.cells import as_text, batches

CSV_DIR = "csv"


def write_csv(parquet: Path, target: Path, table_spec: dict) -> int:
    """Write one table; replace TARGET atomically. Returns the number of rows."""
    cols = table_spec["columns"]
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    n = 0
    try:
        with tmp.open("w", encoding="utf-8-sig", newline="") as f:
            w = csv.writer(f, lineterminator="\r\n")
            w.writerow([c["name"] for c in cols])
            for row in batches(parquet):
                w.writerow([as_text(row[c["name"]], c) for c in cols])
                n += 1
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return n


def write_csvs(processed: Path) -> dict[str, int]:
    folder = processed / CSV_DIR
    folder.mkdir(exist_ok=True)
    return {
        name: write_csv(processed / f"{name}.parquet", folder / f"{name}.csv", t)
        for name, t in spec().items()
    }
