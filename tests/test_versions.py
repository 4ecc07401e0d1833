"""Versions of one township's list in several files, end to end through `make all`: which reading
is current is decided by what the documents say, never by modification times or the order files
are listed in (pipeline/normalize/revisions.py). Every case is built in both date orders (touch),
fresh and incremental, and must give the same tables and build id."""

from __future__ import annotations

import os
from pathlib import Path
import shutil

import pandas as pd
import pytest

from pipeline.common.publication import build_id_of
from tests.conftest import LAYOUTS, build_command
from tests.test_reliability import make, published

SOURCE = LAYOUTS / "one_file_per_list" / "fujian3_jiben.pdf"  # a 2-page basic list, no date printed
OLD, NEW = (1_600_000_000, 1_600_000_000), (1_700_000_000, 1_700_000_000)


def _pages(path: Path, keep: list[int]) -> Path:
    """A copy of SOURCE with only the pages KEEP (0-based), saved anew by PDFium."""
    import pypdfium2 as pdfium

    src, out = pdfium.PdfDocument(SOURCE), pdfium.PdfDocument.new()
    out.import_pages(src, keep)
    out.save(path)
    src.close()
    return path


def _resaved(path: Path) -> Path:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(SOURCE)
    pdf.save(path)
    pdf.close()
    return path


def _items(processed: Path) -> pd.DataFrame:
    return pd.read_parquet(processed / "basic_items.parquet")


def _problems(processed: Path) -> pd.DataFrame:
    return pd.read_parquet(processed / "problems.parquet")


@pytest.fixture(scope="module")
def alone(tmp_path_factory) -> pd.DataFrame:
    base = tmp_path_factory.mktemp("alone")
    (base / "raw").mkdir()
    shutil.copy2(SOURCE, base / "raw" / "full.pdf")
    assert make(base / "raw", base / "out").returncode == 0
    return _items(base / "out")


def _both_orders(tmp_path: Path, first: str, second: str) -> tuple[Path, dict]:
    """Build RAW with FIRST older than SECOND, then (incrementally) the other way round, and
    fresh in another folder: all three must publish the same bytes. Returns the folder and
    the stdout/stderr of the first build."""
    raw = tmp_path / "raw"
    os.utime(raw / first, OLD)
    os.utime(raw / second, NEW)
    one = make(raw, tmp_path / "out")
    before = published(tmp_path / "out")
    os.utime(raw / first, NEW)
    os.utime(raw / second, OLD)
    again = make(raw, tmp_path / "out")
    assert "up to date" in again.stdout  # the content did not change: nothing to decide again
    make(raw, tmp_path / "fresh")
    assert published(tmp_path / "fresh") == before == published(tmp_path / "out")
    assert build_id_of(tmp_path / "fresh" / "basic_items.parquet") == build_id_of(
        tmp_path / "out" / "basic_items.parquet"
    )
    return tmp_path / "out", {"stdout": one.stdout, "stderr": one.stderr, "rc": one.returncode}


@pytest.mark.parametrize("order", ["partial newer", "partial older"])
def test_a_partial_text_copy_never_replaces_the_full_list(tmp_path, alone, order):
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy2(SOURCE, raw / "b_full.pdf")
    _pages(raw / "a_copy.pdf", [0])  # the first page only: the list stops mid-way
    first, second = ("b_full.pdf", "a_copy.pdf") if order == "partial newer" else ("a_copy.pdf", "b_full.pdf")
    out, run = _both_orders(tmp_path, first, second)
    items = _items(out)
    assert items[["seq", "name"]].values.tolist() == alone[["seq", "name"]].values.tolist()
    assert set(items.source_file) == {"b_full.pdf"}
    [p] = _problems(out).itertuples()
    assert p.kind == "conflicting_versions" and p.source_file == "a_copy.pdf"
    only, partial = _only_and_partial(p.message, "b_full.pdf", "a_copy.pdf")
    assert only > 0 and only + partial == len(alone)  # "N item(s) only in b_full.pdf"
    assert run["rc"] != 0 and "conflicting_versions" in run["stderr"]
    assert f"{len(alone)} items" in run["stdout"]


def test_a_re_saved_copy_is_read_once_and_counted_once(tmp_path, alone):
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy2(SOURCE, raw / "a.pdf")
    _resaved(raw / "b.pdf")
    assert (raw / "a.pdf").read_bytes() != (raw / "b.pdf").read_bytes()
    out, run = _both_orders(tmp_path, "b.pdf", "a.pdf")
    assert run["rc"] == 0, run["stderr"]
    assert _items(out)[["seq", "name"]].values.tolist() == alone[["seq", "name"]].values.tolist()
    assert _problems(out).empty and pd.read_parquet(out / "changes.parquet").empty
    [line] = [ln for ln in run["stdout"].splitlines() if ln.startswith("copies:")]
    assert "b.pdf give the same lists of" in line and "as a.pdf" in line
    assert f"2 of 2 raw files read, {len(alone)} items" in run["stdout"]


def test_identical_copies_are_read_once_without_a_problem(tmp_path, alone):
    raw = tmp_path / "raw"
    raw.mkdir()
    for name in ("a.pdf", "b.pdf", "c.pdf"):
        shutil.copy2(SOURCE, raw / name)
    out, run = _both_orders(tmp_path, "c.pdf", "a.pdf")
    assert run["rc"] == 0, run["stderr"]
    assert set(_items(out).source_file) == {"a.pdf"} and len(_items(out)) == len(alone)
    assert [ln for ln in run["stdout"].splitlines() if ln.startswith("copies:")] == [
        ln for ln in run["stdout"].splitlines() if "b.pdf, c.pdf give the same lists" in ln
    ]
    assert f"3 of 3 raw files read, {len(alone)} items" in run["stdout"]


def test_a_list_printed_several_times_in_one_file_is_one_problem(tmp_path, alone):
    raw = tmp_path / "raw"
    raw.mkdir()
    _pages(raw / "joined.pdf", [0, 1, 0, 1, 0, 1])  # three copies joined into one PDF
    assert make(raw, tmp_path / "out").returncode != 0
    assert len(_items(tmp_path / "out")) == len(alone)
    [p] = _problems(tmp_path / "out").itertuples()
    assert p.kind == "repeated_list" and "3 times" in p.message


def test_a_date_in_the_file_name_decides_when_nothing_is_printed(tmp_path, alone):
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy2(SOURCE, raw / "list_2024-03.pdf")
    _pages(raw / "list_2023-05.pdf", [0])
    out, run = _both_orders(tmp_path, "list_2024-03.pdf", "list_2023-05.pdf")
    assert run["rc"] == 0, run["stderr"]
    assert set(_items(out).source_file) == {"list_2024-03.pdf"}
    changes = pd.read_parquet(out / "changes.parquet")
    assert set(changes.change) == {"added"} and set(changes.new_date) == {"2024-03-01"}
    assert set(changes.old_date) == {"2023-05-01"} and 0 < len(changes) < len(alone)
    assert _problems(out).empty
    notes = pd.read_parquet(out / "source_files.parquet").set_index("source_file").notes["list_2023-05.pdf"]
    assert any("superseded by list_2024-03.pdf (date in the file name" in n for n in notes)


def _only_and_partial(message: str, kept: str, other: str) -> tuple[int, int]:
    import re

    only = re.search(rf"(\d+) item\(s\) only in {re.escape(kept)}", message)
    partial = re.search(rf"over {re.escape(other)} \([^,]+, (\d+) items", message)
    assert only and partial, message
    return int(only[1]), int(partial[1])


@pytest.mark.parametrize("order", ["revision newer", "revision older"])
def test_a_revision_with_a_printed_date_fills_changes_whatever_the_file_times(tmp_path, order):
    from tests.test_compare import VERSION_1, VERSION_2, list_pdf

    raw = tmp_path / "raw"
    raw.mkdir()
    title = "哈密市伊吾县盐池镇基本履职事项清单"
    list_pdf(raw / "a_old.pdf", title, VERSION_1, "2023年5月10日印发")
    list_pdf(raw / "b_new.pdf", title, VERSION_2, "2024年3月1日印发")
    first, second = ("a_old.pdf", "b_new.pdf") if order == "revision newer" else ("b_new.pdf", "a_old.pdf")
    out, run = _both_orders(tmp_path, first, second)
    assert run["rc"] == 0, run["stderr"]
    assert _items(out).name.tolist() == [n for _, n in VERSION_2]
    changes = pd.read_parquet(out / "changes.parquet")
    assert sorted(changes.change) == ["added", "added", "changed", "removed"]
    assert set(changes.new_file) == {"b_new.pdf"} and set(changes.new_date) == {"2024-03-01"}
    assert "revisions: 1 township list(s)" in run["stdout"]


NAMES = [
    "负责机关事务管理工作",
    "做好人才引进服务管理工作",
    "加强农村生活污水处理",
    "负责爱国卫生运动工作",
    "落实法治政府建设责任",
    "组织义务植树活动",
    "做好困难群众走访慰问",
    "负责低保对象初审工作",
    "开展森林草原防火宣传",
    "做好耕地保护巡查工作",
    "组织开展全民健身活动",
    "负责村级财务监督管理",
]


def _two_page_list(path: Path) -> Path:
    """A basic list of 12 items, six on each of two pages, with the township in its title."""
    import minipdf

    header = ["序号", "事项类别", "事项名称"]
    rows = [[str(i), "综合管理", name] for i, name in enumerate(NAMES, start=1)]
    first = [("title", "哈密市伊吾县盐池镇基本履职事项清单"), ("table", [40, 90, 300], [header, *rows[:6]])]
    return minipdf.write(path, [first, [("table", [40, 90, 300], rows[6:])]])


# Both orders OCR a page; `make test` keeps one, `make test-all` both.
@pytest.mark.parametrize("order", ["scan newer", pytest.param("scan older", marks=pytest.mark.slow)])
def test_a_scan_of_the_first_page_never_replaces_the_text_list(tmp_path, order):
    """The scan (OCR) holds the first page only: the text layer is more faithful and complete."""
    import pypdfium2 as pdfium

    from tests.test_ocr import DPI

    raw = tmp_path / "raw"
    raw.mkdir()
    text = _two_page_list(raw / "b_text.pdf")
    pdf = pdfium.PdfDocument(text)
    page = pdf[0].render(scale=DPI / 72).to_pil().convert("RGB")  # a clean scan of page 1
    pdf.close()
    page.save(raw / "a_scan.pdf", format="PDF", resolution=DPI)
    first, second = ("b_text.pdf", "a_scan.pdf") if order == "scan newer" else ("a_scan.pdf", "b_text.pdf")
    out, run = _both_orders(tmp_path, first, second)
    items = _items(out)
    assert items.name.tolist() == NAMES and set(items.source_file) == {"b_text.pdf"}
    [p] = _problems(out).query("kind == 'conflicting_versions'").itertuples()
    assert "kept b_text.pdf (text layer, 12 items)" in p.message and "a_scan.pdf (OCR" in p.message
    assert "6 item(s) only in b_text.pdf" in p.message


def test_a_scan_met_while_pyarrow_loads_does_not_end_the_build(tmp_path):
    """With two processes the build loads pyarrow (numpy hidden) on a thread while the readers
    work; a scan listed first was met meanwhile and its OCR import ended the whole build
    ("import of numpy halted")."""
    import subprocess

    import pypdfium2 as pdfium

    from tests.conftest import ROOT
    from tests.test_ocr import DPI

    raw = tmp_path / "raw"
    raw.mkdir()
    text = _two_page_list(raw / "b_text.pdf")
    pdf = pdfium.PdfDocument(text)
    page = pdf[0].render(scale=DPI / 72).to_pil().convert("RGB")
    pdf.close()
    page.save(raw / "a_scan.pdf", format="PDF", resolution=DPI)
    cmd = build_command(raw, tmp_path / "out")
    result = subprocess.run([*cmd, "--jobs", "2"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr, result.stderr
    assert _items(tmp_path / "out").name.tolist() == NAMES
