"""python -m pipeline.clean --explain: the row decisions of a real PDF, in words and as a picture."""

from __future__ import annotations

import subprocess
import sys

import pytest

from pipeline.clean.explain import GUTTER, LEGEND, SCALE, describe, explain, read_records
from tests.conftest import FIXTURES, LAYOUTS, ROOT

CONTINUED = LAYOUTS / "continued_items" / "qingyang_huanxian_quzi.pdf"


@pytest.fixture(scope="module")
def decided():
    records = read_records(CONTINUED)
    trace, result = explain(records)
    return records, trace, result


def test_every_table_gets_decisions_and_every_item_starts_at_one(decided):
    records, trace, result = decided
    for rec in records:
        for index, table in enumerate(rec["tables"]):
            rows = {c["r0"] for c in table["cells"]}
            decided_rows = {d.row for d in trace if d.page == rec["page"] and d.table == index}
            assert decided_rows <= rows and min(rows) in decided_rows
    assert sum(d.kind == "new" for d in trace) == len(result.items) == 52


def test_a_page_split_fragment_and_a_continued_item_come_with_their_reasons(decided):
    _, trace, _ = decided
    by_place = {(d.page, d.row): d for d in trace}
    fragment = by_place[(4, 1)]  # item 4 of the coordination list runs over onto page 4
    assert fragment.kind == "continued" and "the rest of item 4" in fragment.reason
    continued = by_place[(5, 1)]  # item 6 printed twice, （未完见下页）/（续上页）
    assert continued.kind == "repeated" and "second row of item 6" in continued.reason
    assert by_place[(4, 0)].kind == "header" and "furniture" in by_place[(4, 0)].reason
    assert by_place[(4, 2)].kind == "new" and by_place[(4, 2)].reason == "序号 5"
    assert sum(d.kind == "repeated" for d in trace) == 3  # coordination 6 and 8, reclaimed 12


def test_describe_prints_one_page_row_by_row(decided):
    records, trace, _ = decided
    text = describe(records, trace, page=4)
    assert text.startswith("page 4 ") and "page 5" not in text
    assert "row 1   page-split fragment" in text and "row 2   new item" in text
    assert "footer: page furniture, dropped: 第 4 页，共 8 页" in text
    assert "title: names the list and the township: 庆阳市环县曲子镇配合履职事项清单" in text


def test_command_prints_and_draws_a_png_of_the_page(tmp_path):
    from PIL import Image

    out = tmp_path / "page5.png"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pipeline.clean",
            "--explain",
            str(CONTINUED),
            "--page",
            "5",
            "--picture",
            str(out),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "row 1   continued item       序号 6 again" in result.stdout
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with Image.open(out) as image:  # landscape A4, 841.89 × 595.28 pt, at SCALE px per pt
        width, height = image.size
        assert abs(width - GUTTER - 841.89 * SCALE) <= 1 and abs(height - LEGEND - 595.28 * SCALE) <= 1
        # the table border is drawn in blue somewhere along the page's middle line
        row = [image.getpixel((x, image.size[1] // 2)) for x in range(image.size[0])]
        assert (30, 60, 220) in row


def test_a_bad_file_gets_one_line(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "pipeline.clean", "--explain", str(FIXTURES / "bad" / "not_a_pdf.pdf")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "not a PDF" in result.stderr


# --- every format, and one item's later decisions (make explain FILE=… / ITEM=…) -----------------


def _clean_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pipeline.clean", *args], cwd=ROOT, capture_output=True, text=True, timeout=300
    )


def test_an_excel_file_is_explained_row_by_row(tmp_path):
    """Not only PDFs: a workbook is read here by the build's own reader and explained."""
    from tests.office_fixtures import lists_for, write_xlsx

    ident, lists = lists_for("dongguan", n=3)
    path = write_xlsx(tmp_path / "清单.xlsx", ident, lists)
    done = _clean_cli("--explain", str(path), "--processed", str(tmp_path / "none"))
    assert done.returncode == 0, done.stderr
    assert "(read now), 9 items (basic 3, coordination 3, reclaimed 3)" in done.stdout
    assert "new item" in done.stdout and "header row" in done.stdout


def test_a_file_the_build_read_is_explained_from_its_cache_and_an_unknown_format_in_one_line(
    tuhulu_tables, tmp_path
):
    from tests.conftest import DEFAULT_PDF

    done = _clean_cli("--explain", str(DEFAULT_PDF), "--page", "75", "--processed", str(tuhulu_tables))
    assert done.returncode == 0, done.stderr
    assert f"(as the build in {tuhulu_tables} read it)" in done.stdout and "page 75 " in done.stdout
    notes = tmp_path / "notes.txt"
    notes.write_text("hello", encoding="utf-8")
    bad = _clean_cli("--explain", str(notes))
    assert bad.returncode == 1 and bad.stderr.count("\n") == 1 and "not a duty list file" in bad.stderr


def test_an_item_is_explained_with_its_later_decisions_and_its_page(tuhulu_tables):
    import pandas as pd

    from tests.conftest import DEFAULT_PDF

    reclaimed = pd.read_parquet(tuhulu_tables / "reclaimed_items.parquet")
    item = reclaimed[reclaimed["name"].str.contains("审批")].iloc[0]
    done = _clean_cli(
        "--item", item["item_id"], "--processed", str(tuhulu_tables), "--raw", str(DEFAULT_PDF.parent)
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert out.startswith(f"{item['item_id']}: 上级部门收回事项清单")
    assert "power type: 行政许可/审批: rule" in out and "“审批” is in the name" in out
    assert "disposition: transferred" in out or "disposition: cancelled" in out
    assert f"duty: {item['duty_id']}" in out
    assert "duty candidates (closest of the" in out
    assert f"  {item['duty_id']} cosine 1.00 containment 1.00 same" in out and "← its duty" in out
    assert f"how page {item['first_page']} of {item['source_file']} was read:" in out
    assert "→" in out.split("departments (", 1)[1]  # each printed name and its department
    missing = _clean_cli("--item", "T000-B999", "--processed", str(tuhulu_tables))
    assert (
        missing.returncode == 2 and missing.stderr.count("\n") == 1 and "no item T000-B999" in missing.stderr
    )


def test_an_alias_used_for_a_department_is_named():
    from pipeline.common.rules import load
    from pipeline.normalize.why import department_reason

    short, full = next(iter(load("departments")["aliases"].items()))
    said = department_reason(f"伊吾县{short}", "伊吾县", "哈密市")
    assert f"伊吾县{full}" in said and f"alias “{short}” = “{full}”" in said


def test_make_explain_without_a_file_or_an_item_says_what_to_give():
    done = subprocess.run(["make", "-s", "explain"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert "explain: name a file (make explain FILE=path [PAGE=n]) or an item" in done.stderr
