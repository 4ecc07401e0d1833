"""Word and Excel lists: made with python-docx/openpyxl (or committed), read through the real
stages and compared with the expected result built from the same content."""

from __future__ import annotations

from pathlib import Path
import shutil

import pandas as pd
import pytest

from pipeline.extract.legacy import soffice
from tests.conftest import build
from tests.expected import mismatches
from tests.office_fixtures import KINDS, lists_for, write_docx, write_expected, write_xlsx

ROOT = Path(__file__).resolve().parent.parent
PRODUCERS = ROOT / "tests" / "fixtures" / "corpus" / "producers"
OFFICE = ROOT / "tests" / "fixtures" / "office"


def exact(tmp_path: Path, expected_files: list[Path], jobs: int = 1) -> Path:
    """Build tmp_path/raw and assert every expected item is exact; the processed folder."""
    processed = build(tmp_path / "raw", tmp_path / "processed", jobs=jobs)
    n, problems = mismatches(processed, expected_files)
    assert n > 0
    assert problems == []
    return processed


def sources(processed: Path) -> dict[str, dict]:
    df = pd.read_parquet(processed / "source_files.parquet")
    return {r["source_file"]: r for r in df.to_dict("records")}


# --- the shared corpus samples -------------------------------------------------------------------


@pytest.mark.parametrize("folder", ["docx_input", "xlsx_input"])
def test_corpus_office_samples_are_exact(folder, tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    for f in (PRODUCERS / folder).iterdir():
        if not f.name.endswith(".json"):
            shutil.copy2(f, raw / f.name)
    processed = exact(tmp_path, sorted((PRODUCERS / folder).glob("*.expected.json")))
    (row,) = sources(processed).values()
    assert row["status"] == "ok"
    assert row["format"] == folder.split("_")[0]


# --- Word -------------------------------------------------------------------------------------------

DOCX_CASES = {
    "title_paragraphs": dict(title="body"),
    "title_in_page_header": dict(title="header"),
    "title_row_spanning_columns": dict(title="row"),
    "list_continued_in_second_table": dict(split={"coordination": 3, "basic": 5}),
    "continued_table_repeats_header": dict(split={"reclaimed": 2}, repeat_header=True),
    "other_list_order": dict(kinds=("reclaimed", "basic", "coordination")),
    "one_list_per_file": dict(kinds=("coordination",)),
    "steps_as_line_breaks": dict(breaks=True),
    "automatic_numbering": dict(numbering=True, split={"basic": 4}),
}


@pytest.mark.parametrize("case", sorted(DOCX_CASES))
def test_docx_case_is_exact(case, tmp_path):
    options = DOCX_CASES[case]
    ident, lists = lists_for("liangjiadun")
    (tmp_path / "raw").mkdir()
    write_docx(tmp_path / "raw" / "lists.docx", ident, lists, **options)
    kinds = options.get("kinds", KINDS)
    exact(tmp_path, [write_expected(tmp_path / "expected.json", ident, lists, kinds)])


def test_several_word_files_and_a_disguised_one(tmp_path):
    """Lists in one file each; one of them named .pdf but really a .docx: read as Word (in
    worker processes, beside a real PDF)."""
    ident, lists = lists_for("mazongshan")
    raw = tmp_path / "raw"
    raw.mkdir()
    write_docx(raw / "basic.docx", ident, lists, kinds=("basic",))
    write_docx(raw / "coordination.pdf", ident, lists, kinds=("coordination",))
    write_docx(raw / "reclaimed.docx", ident, lists, kinds=("reclaimed",))
    pdf_case = ROOT / "tests" / "fixtures" / "layouts" / "rect_borders"
    for f in pdf_case.iterdir():
        shutil.copy2(f, (raw if f.suffix == ".pdf" else tmp_path) / f.name)
    expected = [write_expected(tmp_path / "expected.json", ident, lists)]
    processed = exact(tmp_path, expected + sorted(tmp_path.glob("*.expected.json")), jobs=2)
    row = sources(processed)["coordination.pdf"]
    assert (row["status"], row["format"], row["reader"]) == ("ok", "docx", "docx-xml")


# --- Excel ------------------------------------------------------------------------------------------

XLSX_CASES = {
    "sheet_per_list": dict(),
    "lists_on_one_sheet": dict(one_sheet=True),
    "lists_on_one_sheet_back_to_back": dict(one_sheet=True, blank_between=False),
    "hidden_sheet_and_row": dict(hidden_sheet=True, hidden_row=True),
    "other_list_order": dict(kinds=("coordination", "reclaimed", "basic"), one_sheet=True),
}


@pytest.mark.parametrize("case", sorted(XLSX_CASES))
def test_xlsx_case_is_exact(case, tmp_path):
    options = XLSX_CASES[case]
    ident, lists = lists_for("dongguan")
    (tmp_path / "raw").mkdir()
    write_xlsx(tmp_path / "raw" / "lists.xlsx", ident, lists, **options)
    kinds = options.get("kinds", KINDS)
    processed = exact(tmp_path, [write_expected(tmp_path / "expected.json", ident, lists, kinds)])
    assert sources(processed)["lists.xlsx"]["reader"] == "openpyxl"


# --- committed legacy files (made by tests/fixtures/office/generate.py) ----------------------------


def test_xls_is_exact_without_libreoffice(tmp_path):
    """An .xls (BIFF8, 序号 stored as 1.0, merged categories, hidden sheet) read by xlrd; the
    same workbook named .et (WPS saves its spreadsheets in this format) too."""
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy2(OFFICE / "lists.xls", raw / "lists.xls")
    processed = exact(tmp_path, [OFFICE / "lists.expected.json"])
    row = sources(processed)["lists.xls"]
    assert (row["status"], row["format"], row["reader"]) == ("ok", "xls", "xlrd")
    (raw / "lists.xls").rename(raw / "lists.et")
    processed = exact(tmp_path, [OFFICE / "lists.expected.json"])
    assert sources(processed)["lists.et"]["reader"] == "xlrd"


@pytest.mark.skipif(soffice() is None, reason="LibreOffice (soffice) is not installed; it is optional")
@pytest.mark.parametrize("name", ["lists.doc", "lists.wps"])
def test_legacy_word_through_libreoffice_is_exact(name, tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy2(OFFICE / "lists.doc", raw / name)
    processed = exact(tmp_path, [OFFICE / "lists.expected.json"])
    row = sources(processed)[name]
    assert row["status"] == "ok"
    assert row["reader"] == "libreoffice+docx-xml"
