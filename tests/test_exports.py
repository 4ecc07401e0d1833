"""Exports for people and other programs: BOM CSVs, the Excel workbook, division codes, labels,
version; the raw folder's forgiving behaviour; the self-contained report."""

from __future__ import annotations

import io
from pathlib import Path
import subprocess

import pandas as pd
import pyarrow.parquet as pq
import pytest

from pipeline.analysis import report
from pipeline.common.sources import list_sources
from pipeline.extract import stage as extract_stage
from pipeline.normalize.divisions import lookup
from pipeline.normalize.schema import build_info, csv_columns, spec
from pipeline.publish.workbook import WORKBOOK, display_width, split_sheets, write_workbook

ROOT = Path(__file__).resolve().parent.parent
LISTS = {"basic_items": 107, "coordination_items": 108, "reclaimed_items": 48}


# --- division codes ---------------------------------------------------------------------------


def test_county_codes_from_official_and_short_names():
    yiwu = lookup("伊吾县", "哈密市")
    assert (yiwu.province, yiwu.province_code, yiwu.city_code, yiwu.county_code) == (
        "新疆维吾尔自治区",
        "650000",
        "650500",
        "650522",
    )
    assert lookup("巴里坤县", "哈密市").county_code == "650521"  # short form of 巴里坤哈萨克自治县
    assert lookup("东城区", "北京市").city_code is None  # a municipality has no city level


def test_ambiguous_or_unknown_county_gets_no_code():
    assert lookup("朝阳区") is None  # 北京市 and 长春市 both have one
    assert lookup("朝阳区", "长春市").county_code.startswith("2201")
    assert lookup("不存在县", "哈密市") is None


def test_tuhulu_township_row_has_province_codes_and_pages(tuhulu_tables):
    t = pd.read_parquet(tuhulu_tables / "townships.parquet").iloc[0]
    assert (t["province"], t["county_code"], t["city_code"]) == ("新疆维吾尔自治区", "650522", "650500")
    sources = pd.read_parquet(tuhulu_tables / "source_files.parquet")
    assert sources["pages"].tolist() == [83]


def test_parquet_metadata_and_codebook_carry_version_and_date(tuhulu_tables):
    info = build_info()
    meta = pq.read_schema(tuhulu_tables / "basic_items.parquet").metadata
    assert meta[b"version"].decode() == info["version"] and meta[b"build_date"].decode() == info["build_date"]
    codebook = (tuhulu_tables / "CODEBOOK.md").read_text(encoding="utf-8")
    assert f"Version {info['version']}, built {info['build_date']}" in codebook
    assert "cancelled (取消)" in codebook  # coded values have Chinese labels


def test_every_english_code_has_a_chinese_label():
    for name, t in spec().items():
        for col in t["columns"]:
            assert col.get("zh"), f"{name}.{col['name']} has no Chinese name"
            for value in col.get("values", []):
                if value.isascii():
                    assert value in col.get("labels", {}), f"{name}.{col['name']}={value} has no label"


# --- CSV files --------------------------------------------------------------------------------


@pytest.mark.parametrize("table", sorted(spec()))
def test_csv_has_a_byte_order_mark_and_reads_back_as_the_table(tuhulu_tables, table):
    path = tuhulu_tables / "csv" / f"{table}.csv"
    assert path.read_bytes()[:3] == b"\xef\xbb\xbf"
    csv = pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    parquet = pd.read_parquet(tuhulu_tables / f"{table}.parquet")
    own = [c for c in csv.columns if c in parquet.columns]
    assert own == list(parquet.columns)  # the table's columns, in order, with Chinese twins between
    assert [c for c in csv.columns if c not in parquet.columns] == [
        c["name"] for c in csv_columns(table, spec()[table]) if "derived" in c
    ]
    assert len(csv) == len(parquet)
    for col in spec()[table]["columns"]:
        if col["type"] == "string":
            assert csv[col["name"]].tolist() == parquet[col["name"]].fillna("").tolist(), col["name"]


def test_csv_codes_are_followed_by_their_chinese_labels(tuhulu_tables):
    """Coded columns keep their codes (as in Parquet) and gain a Chinese label column beside them,
    as in the workbook, so a CSV opened in Excel reads in Chinese too."""
    csv = pd.read_csv(tuhulu_tables / "csv" / "reclaimed_items.csv", encoding="utf-8-sig", dtype=str)
    names = list(csv.columns)
    assert names[names.index("disposition") + 1] == "disposition_label"
    pairs = set(zip(csv["disposition"], csv["disposition_label"], strict=True))
    assert pairs <= {("cancelled", "取消"), ("transferred", "移交上级部门承接")} and len(pairs) == 2
    sources = pd.read_csv(tuhulu_tables / "csv" / "source_files.csv", encoding="utf-8-sig", dtype=str)
    assert set(zip(sources["status"], sources["status_label"], strict=True)) == {("ok", "已读取")}


def test_csv_messages_and_reasons_have_their_chinese_text(tmp_path):
    """problems.message and source_files.reason are followed by their Chinese text (message_zh,
    reason_zh) from the catalogue."""
    from tests.conftest import FIXTURES, build, copy_pdfs

    raw = copy_pdfs(sorted((FIXTURES / "problems").glob("*/*.pdf")), tmp_path / "raw")
    (raw / "notes.pdf").write_bytes(b"not a pdf at all")
    processed = build(raw, tmp_path / "processed")
    sources = pd.read_csv(processed / "csv" / "source_files.csv", encoding="utf-8-sig", dtype=str)
    rejected = sources[sources["status"] == "rejected"]
    assert len(rejected) >= 1 and rejected["reason_zh"].notna().all()
    assert any(any("\u4e00" <= ch <= "\u9fff" for ch in r) for r in rejected["reason_zh"])
    problems = pd.read_csv(processed / "csv" / "problems.csv", encoding="utf-8-sig", dtype=str)
    assert len(problems) >= 2  # a numbering gap and an empty name
    names = list(problems.columns)
    assert names[names.index("message") + 1] == "message_zh"
    gap = problems[problems["kind"] == "numbering_gap"].iloc[0]
    assert "缺" in gap["message_zh"] and gap["message_zh"] != gap["message"]


def test_csv_lists_are_joined_with_the_enumeration_comma(tuhulu_tables):
    csv = pd.read_csv(tuhulu_tables / "csv" / "coordination_items.csv", encoding="utf-8-sig", dtype=str)
    parquet = pd.read_parquet(tuhulu_tables / "coordination_items.parquet")
    several = parquet[parquet["departments"].map(len) > 1].index[0]
    assert csv.at[several, "departments"] == "、".join(parquet.at[several, "departments"])
    assert "[" not in "".join(csv["departments"].dropna())
    assert (csv["upper_duties"].str.contains("\n")).any()  # paragraphs keep their line breaks
    for table, n in LISTS.items():
        assert len(pd.read_csv(tuhulu_tables / "csv" / f"{table}.csv", encoding="utf-8-sig")) == n


# --- workbook ---------------------------------------------------------------------------------


def test_workbook_has_a_sheet_per_table_with_chinese_and_english_headers(tuhulu_tables):
    from openpyxl import load_workbook

    wb = load_workbook(tuhulu_tables / WORKBOOK)
    assert wb.sheetnames == ["说明", *(t["zh"] for t in spec().values())]
    for table, n in LISTS.items():
        ws = wb[spec()[table]["zh"]]
        assert ws.max_row == n + 2
        zh = [c.value for c in ws[1]]
        en = [c.value for c in ws[2]]
        assert zh[:4] == ["乡镇（街道）", "序号", "事项类别", "事项名称"]
        assert en[:4] == ["township", "seq", "category", "name"]
        assert en[-3:] == ["item_id", "township_id", "duty_id"]  # ids last
        ids = ws.column_dimensions[chr(ord("A") + len(en) - 3)]
        assert ids.width >= len("T0123456789-B001")
    ws = wb[spec()["coordination_items"]["zh"]]
    header = [c.value for c in ws[2]]
    departments = [r[header.index("departments")] for r in ws.iter_rows(min_row=3, values_only=True)]
    assert any("、" in d for d in departments)
    duties = [r[header.index("upper_duties")] for r in ws.iter_rows(min_row=3, values_only=True)]
    assert any("\n" in d for d in duties)
    cell = ws.cell(row=3, column=header.index("upper_duties") + 1)
    assert cell.alignment.wrap_text
    ws = wb[spec()["reclaimed_items"]["zh"]]
    header = [c.value for c in ws[2]]
    rows = list(ws.iter_rows(min_row=3, values_only=True))
    labels = {r[header.index("disposition")]: r[header.index("disposition_label")] for r in rows}
    assert labels == {"transferred": "移交上级部门承接", "cancelled": "取消"}


def test_workbook_headers_are_styled_and_wrapped_rows_grown(tuhulu_tables):
    """The workbook is written as SpreadsheetML directly (no openpyxl): what openpyxl reads back
    has the styles, row heights and cell types the sheets declare."""
    from openpyxl import load_workbook

    wb = load_workbook(tuhulu_tables / WORKBOOK)
    ws = wb[spec()["coordination_items"]["zh"]]
    zh, en = ws["A1"], ws["A2"]
    assert zh.font.b and zh.fill.fgColor.rgb == "00DDEBF7" and zh.alignment.wrap_text
    assert en.font.i and en.font.color.rgb == "00595959" and en.fill.fgColor.rgb == "00F2F2F2"
    header = [c.value for c in ws[2]]
    seq = ws.cell(row=3, column=header.index("seq") + 1)
    assert seq.value == 1 and seq.data_type == "n"
    tall = [r for r in range(3, ws.max_row + 1) if (ws.row_dimensions[r].height or 0) > 16]
    assert tall and all(ws.row_dimensions[r].height % 16 == 0 for r in tall)
    steps = wb[spec()["duty_steps"]["zh"]]
    header = [c.value for c in steps[2]]
    flags = {r[header.index("is_heading")] for r in steps.iter_rows(min_row=3, values_only=True)}
    assert flags == {True, False}
    about = wb["说明"]
    assert about["A1"].value.startswith("乡镇履职事项清单") and about["C6"].value == 1


def test_workbook_is_laid_out_for_reading_filtering_and_printing(tuhulu_tables):
    """What a spreadsheet user expects, as openpyxl reads it back: key columns first and frozen
    with the header rows, a filter over the table, every body cell wrapped and top-aligned,
    numbers as numbers, landscape A4 one page wide with the header rows on every page."""
    from openpyxl import load_workbook
    from openpyxl.utils.cell import column_index_from_string, coordinate_from_string

    wb = load_workbook(tuhulu_tables / WORKBOOK)
    for table, n in LISTS.items():
        ws = wb[spec()[table]["zh"]]
        en = [c.value for c in ws[2]]
        assert ws.freeze_panes == "E3"  # 乡镇, 序号, 事项类别, 事项名称 stay in view
        assert ws.auto_filter.ref == f"A2:{ws.cell(row=2, column=len(en)).column_letter}{n + 2}"
        assert ws.print_title_rows == "$1:$2"
        # The print area stops before where a value was read and the ids, which only join tables.
        letter, last_row = coordinate_from_string(ws.print_area.split(":")[-1].replace("$", ""))
        printed = en[: column_index_from_string(letter)]
        assert printed[:4] == ["township", "seq", "category", "name"] and last_row == n + 2
        assert not {"item_id", "township_id", "duty_id", "source_file"} & set(printed), printed
        setup = ws.page_setup
        assert (setup.orientation, setup.paperSize, setup.fitToWidth, setup.fitToHeight) == (
            "landscape",
            9,
            1,
            0,
        )
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert "&A" in ws.oddHeader.left.text and "&P" in ws.oddFooter.center.text
        body = [c for row in ws.iter_rows(min_row=3, max_row=12) for c in row if c.value is not None]
        assert all(c.alignment.vertical == "top" and c.alignment.wrap_text for c in body)
        row = {k: c for k, c in zip(en, ws[3], strict=True)}
        for numeric in ("seq", "first_page", "last_page", "pages"):  # a one-page item's pages too
            assert row[numeric].data_type == "n" and isinstance(row[numeric].value, int), numeric
            assert row[numeric].alignment.horizontal == "center"  # clear of the next column's text
        assert ws.column_dimensions["D"].width >= 40  # the name column is wide, wrapped
    ws = wb[spec()["townships"]["zh"]]
    assert [c.value for c in ws[2]][0] == "township" and ws.freeze_panes == "B3"
    ws = wb[spec()["problems"]["zh"]]
    assert [c.value for c in ws[2]][-2:] == ["problem_id", "township_id"]
    about = wb["说明"]
    assert about["A1"].value.startswith("乡镇履职事项清单：数据表\n")
    description = about["D6"].value  # the 乡镇 sheet's row: Chinese, English beneath
    assert description.startswith("每个已读取清单的乡镇一行") and "\nOne row per township" in description


def test_several_counties_lead_and_single_page_lists_are_text(multi_township_tables):
    from openpyxl import load_workbook

    wb = load_workbook(multi_township_tables / WORKBOOK)
    ws = wb[spec()["basic_items"]["zh"]]
    en = [c.value for c in ws[2]]
    assert en[:6] == ["city", "county", "township", "seq", "category", "name"]  # three counties, cities
    assert ws.freeze_panes == "G3"
    pages = [r[en.index("pages")] for r in ws.iter_rows(min_row=3, values_only=True)]
    assert all(isinstance(p, int) or "、" in p for p in pages)


def test_a_table_longer_than_a_sheet_goes_on_on_the_next(tuhulu_tables, tmp_path, monkeypatch):
    """Excel's 1,048,576 rows: the table goes on on a second sheet (header rows repeated), and
    the 说明 sheet says so. A small limit stands in for Excel's."""
    from openpyxl import load_workbook

    from pipeline.publish import workbook

    for name in spec():
        (tmp_path / f"{name}.parquet").write_bytes((tuhulu_tables / f"{name}.parquet").read_bytes())
    monkeypatch.setattr(workbook, "EXCEL_ROWS", 62)  # 60 items a sheet
    wb = load_workbook(write_workbook(tmp_path))
    first, second = spec()["basic_items"]["zh"], spec()["basic_items"]["zh"] + "（续2）"
    assert wb.sheetnames.index(second) == wb.sheetnames.index(first) + 1
    seqs = [r[1] for name in (first, second) for r in wb[name].iter_rows(min_row=3, values_only=True)]
    assert seqs == list(range(1, 108))
    assert [c.value for c in wb[second][2]] == [c.value for c in wb[first][2]]
    assert wb[second].auto_filter.ref.endswith(str(107 - 60 + 2)) and wb[second].print_title_rows == "$1:$2"
    notes = [r[4] for r in wb["说明"].iter_rows(min_row=6, values_only=True) if r[1] == "basic_items"]
    assert notes[0].startswith("超过 Excel 的 62 行上限，续表见工作表 " + second)


def test_workbook_bytes_are_the_same_on_a_rerun(tuhulu_tables, tmp_path):
    for name in spec():
        (tmp_path / f"{name}.parquet").write_bytes((tuhulu_tables / f"{name}.parquet").read_bytes())
    first = write_workbook(tmp_path).read_bytes()
    assert write_workbook(tmp_path).read_bytes() == first
    assert first == (tuhulu_tables / WORKBOOK).read_bytes()


def test_sheets_are_shared_largest_first_each_once(tuhulu_tables):
    helper, own = split_sheets(tuhulu_tables)
    assert sorted(helper + own) == sorted(spec()) and not set(helper) & set(own)
    assert helper and own  # both processes render some
    assert own == [name for name in spec() if name in own]  # the caller's in the workbook's order
    size = {name: (tuhulu_tables / f"{name}.parquet").stat().st_size for name in spec()}
    assert "duty_steps" in helper and "problems" in own  # the largest table and an empty one
    assert max(size[n] for n in own) <= max(size[n] for n in helper)
    assert split_sheets(tuhulu_tables) == (helper, own)


def test_display_width_counts_chinese_double():
    assert display_width("ab") == 2
    assert display_width("伊吾县") == 6
    assert display_width("短\n长一点的行") == 10


# --- a forgiving raw folder -------------------------------------------------------------------


def test_processed_folder_inside_raw_is_not_input(tmp_path):
    raw = tmp_path / "raw"
    (raw / "out" / "csv").mkdir(parents=True)
    (raw / "a.pdf").write_bytes(b"%PDF-1.4")
    (raw / "out" / "csv" / "basic_items.csv").write_text("x")
    (raw / "out" / "basic_items.parquet").write_bytes(b"x")
    assert [p.name for p in list_sources(raw, exclude=raw / "out")] == ["a.pdf"]
    assert len(list_sources(raw)) == 3


def test_empty_raw_folder_warns(tmp_path):
    (tmp_path / "raw").mkdir()
    lines = []
    extract_stage.run(tmp_path / "raw", tmp_path / "processed", jobs=1, log=lines.append)
    assert lines[0].startswith("warning: the raw folder") and "holds no files" in lines[0]


def test_make_refuses_paths_with_spaces_in_one_line(tmp_path):
    done = subprocess.run(
        ["make", "-n", "all", f"PROCESSED={tmp_path}/with space"], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode != 0
    assert done.stderr.count("\n") == 1 and "paths with spaces are not supported" in done.stderr


# --- the report -------------------------------------------------------------------------------


def _no_network(text: str) -> None:
    import re

    assert not re.search(r"""(src|href)=["']?(https?:)?//""", text)
    assert "<script" not in text


def test_report_embeds_figures_names_townships_and_loads_nothing(tuhulu_tables, tmp_path):
    from PIL import Image, PngImagePlugin

    from pipeline.common.publication import build_id_of

    figures = tmp_path / "figures"
    figures.mkdir()
    buffer = io.BytesIO()
    info = PngImagePlugin.PngInfo()
    info.add_text("build_id", build_id_of(tuhulu_tables / "source_files.parquet"))
    Image.new("RGB", (4, 4), "white").save(buffer, format="PNG", pnginfo=info)
    (figures / "01_category_counts.png").write_bytes(buffer.getvalue())
    html = report.build(tuhulu_tables, figures)
    _no_network(html)
    assert 'lang="zh-CN"' in html and "data:image/png;base64," in html
    assert "图 1　三张清单的事项类别构成" in html
    assert "哈密市伊吾县：吐葫芦乡" in html and "hami_yiwu_tuhulu.pdf" in html
    assert "650522" in html


def test_report_on_no_township_says_nothing_to_analyse(empty_tables, tmp_path):
    html = report.build(empty_tables, tmp_path)
    _no_network(html)
    assert "没有可分析的乡镇" in html


@pytest.mark.parametrize("statistics", [True, False])
def test_place_columns_lead_when_they_hold_several_values_with_or_without_statistics(tmp_path, statistics):
    """Whether a table spans several counties is read from the row groups' least and greatest
    values; a file written without them (another writer) has its values read instead."""
    import pyarrow as pa

    from pipeline.publish.workbook import _several

    path = tmp_path / "t.parquet"
    table = pa.table(
        {"city": ["哈密市"] * 4, "county": ["伊吾县", None, "伊吾县", "巴里坤县"], "x": [1, 2, 3, 4]}
    )
    pq.write_table(table, path, row_group_size=2, write_statistics=statistics)
    spec_ = {"columns": [{"name": "city"}, {"name": "county"}, {"name": "x"}]}
    assert _several(path, spec_) == frozenset({"county"})
    pq.write_table(table.slice(0, 3), path, row_group_size=2, write_statistics=statistics)
    assert _several(path, spec_) == frozenset()
