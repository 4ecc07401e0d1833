"""The reader registry (pipeline/extract/readers.py): one table both detection and dispatch use.

A new format is one module (here: the `read_tsv` function below, a trivial tab-separated duty
list) and one registry line (`register(FormatReader(...))`): the file is then recognized by its
content, read in a budgeted task, recorded with its reader, and its lists come out exact.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from pipeline.common.records import PageRecord
from pipeline.common.settings import ExtractSettings
from pipeline.extract import readers
from pipeline.extract.formats import sniff
from pipeline.extract.office_layout import Cell, Para, Table, page_record
from pipeline.extract.readers import READERS, FormatReader, register
from tests.conftest import build
from tests.expected import mismatches
from tests.office_fixtures import HEADERS, KINDS, lists_for, row_values, title_of, write_expected

MAGIC = b"DUTY-TSV\n"


def read_tsv(path: Path, fmt: str, settings: ExtractSettings) -> list[PageRecord]:
    """A page per list: its title line, then a table of tab-separated rows (paragraphs of a cell
    joined by |)."""
    pages = []
    for n, block in enumerate(path.read_bytes()[len(MAGIC) :].decode("utf-8").split("\n\n"), 1):
        title, *rows = block.strip("\n").split("\n")
        grid = [line.split("\t") for line in rows]
        cells = [
            Cell(r, r + 1, c, c + 1, [Para(p, 10.5) for p in value.split("|") if p])
            for r, row in enumerate(grid)
            for c, value in enumerate(row)
        ]
        widths = [40.0, 80.0, 200.0] + [120.0] * (len(grid[0]) - 3)
        pages.append(page_record(n, [[Para(title, 16.0)], Table(widths, cells)]))
    return pages


def write_tsv(path: Path, ident: dict, lists: dict) -> Path:
    blocks = []
    for kind in KINDS:
        rows = [HEADERS[kind]] + [["|".join(cell) for cell in row_values(kind, it)] for it in lists[kind]]
        blocks.append("\n".join([title_of(ident, kind)] + ["\t".join(r) for r in rows]))
    path.write_bytes(MAGIC + "\n\n".join(blocks).encode("utf-8"))
    return path


@pytest.fixture
def tsv_reader():
    """The one registry line of the new format (removed again after the test)."""
    register(
        FormatReader("tsv", "tsv-test", "file", "tab-separated list", f"{__name__}:read_tsv", magic=(MAGIC,))
    )
    yield READERS["tsv"]
    del READERS["tsv"]


def test_a_format_added_by_one_registry_line_is_detected_read_and_exact(tsv_reader, tmp_path):
    ident, lists = lists_for("liangjiadun", n=5)
    raw = tmp_path / "raw"
    raw.mkdir()
    write_tsv(raw / "清单.dat", ident, lists)  # any name: the content tells the format
    assert sniff(raw / "清单.dat").name == "tsv"
    processed = build(raw, tmp_path / "processed")
    n, problems = mismatches(processed, [write_expected(tmp_path / "expected.json", ident, lists)])
    assert n == sum(len(v) for v in lists.values()) and problems == []
    (row,) = pd.read_parquet(processed / "source_files.parquet").to_dict("records")
    assert (row["status"], row["format"], row["reader"], row["pages"]) == ("ok", "tsv", "tsv-test", 3)


def test_without_its_registry_line_the_file_is_skipped_as_no_list(tmp_path):
    path = tmp_path / "清单.dat"
    ident, lists = lists_for("liangjiadun", n=2)
    write_tsv(path, ident, lists)
    fmt = sniff(path)
    assert fmt.skip is not None and "tsv" not in READERS


def test_every_registered_format_is_read_by_a_function_or_by_its_budget_kind():
    """Each line says how its files are split into budgeted tasks; a file read whole names the
    function that reads it, which imports."""
    import importlib

    for fmt, r in READERS.items():
        assert r.format == fmt and r.budget in ("pages", "file", "frames", "members")
        if r.budget == "file":
            module, function = (r.reads or "").split(":")
            assert callable(getattr(importlib.import_module(module), function)), fmt
            assert r.noun, fmt
        else:
            assert r.reads is None, fmt


def _format(reader: FormatReader | None) -> str | None:
    return reader.format if reader is not None else None


def test_detection_comes_from_the_registry():
    assert _format(readers.by_magic(b"\x89PNG\r\n")) == "png"
    assert _format(readers.by_magic(b"MM\x00*rest")) == "tiff"
    assert _format(readers.by_zip_names({"word/document.xml"})) == "docx"
    assert _format(readers.by_zip_names({"/ofd.xml", "Doc_0/Document.xml"})) == "ofd"
    assert readers.by_zip_names({"readme.txt"}) is None
    assert _format(readers.by_ole2_streams({"Book"})) == "xls"
    assert _format(readers.by_ole2_streams({"WordDocument", "1Table"})) == "doc"
