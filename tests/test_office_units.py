"""Unit tests for the office readers' rules: content sniffing, explicit paragraph boundaries,
Word grids (gridSpan, vMerge), Excel values and how a sheet is cut into tables."""

from __future__ import annotations

from pathlib import Path
import shutil
import zipfile

import pytest

from pipeline.clean.paragraphs import Line, paragraphs
from pipeline.common.settings import CleanSettings
from pipeline.common.sources import RejectedFile
from pipeline.extract.formats import open_zip, sniff
from pipeline.extract.sheets import Sheet, cell_text, paragraphs_of, sheet_blocks
from pipeline.extract.word import read_docx
from pipeline.extract.word_numbering import format_number, read_numbering
from tests.office_fixtures import lists_for, write_docx, write_xlsx

OFFICE = Path(__file__).resolve().parent / "fixtures" / "office"
LAYOUT_PDF = next((Path(__file__).resolve().parent / "fixtures" / "layouts" / "rect_borders").glob("*.pdf"))

# --- sniffing --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def samples(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("sniff")
    ident, lists = lists_for("hongqi", 2)
    write_docx(d / "word.docx", ident, lists)
    write_xlsx(d / "book.xlsx", ident, lists)
    shutil.copy2(d / "word.docx", d / "word_named.pdf")
    shutil.copy2(d / "book.xlsx", d / "book_named.xls")
    shutil.copy2(OFFICE / "lists.xls", d / "old.xls")
    shutil.copy2(OFFICE / "lists.doc", d / "old.doc")
    shutil.copy2(OFFICE / "lists.doc", d / "old.wps")
    shutil.copy2(OFFICE / "lists.xls", d / "old.et")
    shutil.copy2(LAYOUT_PDF, d / "list.pdf")
    shutil.copy2(LAYOUT_PDF, d / "list_named.docx")
    with zipfile.ZipFile(d / "photos.zip", "w") as z:
        z.writestr("a.txt", "x")
    shutil.copy2(d / "photos.zip", d / "photos.xlsx")
    (d / "notes.md").write_text("# 说明\n", encoding="utf-8")
    (d / "blob.bin").write_bytes(bytes(range(256)) * 4)
    (d / "empty.docx").write_bytes(b"")
    (d / "~$lists.docx").write_bytes(b"\x08user" + b"\0" * 150)
    return d


@pytest.mark.parametrize(
    "name, fmt, reader",
    [
        ("word.docx", "docx", "docx-xml"),
        ("word_named.pdf", "docx", "docx-xml"),  # content wins over the name
        ("book.xlsx", "xlsx", "openpyxl"),
        ("book_named.xls", "xlsx", "openpyxl"),
        ("old.xls", "xls", "xlrd"),
        ("old.et", "xls", "xlrd"),  # a WPS spreadsheet saved in the Excel 97 format
        ("old.doc", "doc", "libreoffice+docx-xml"),
        ("old.wps", "wps", "libreoffice+docx-xml"),
        ("list.pdf", "pdf", "pdfplumber"),
        ("list_named.docx", "pdf", "pdfplumber"),
        ("photos.zip", "zip", "zipfile"),  # an archive: its members are read (tests/test_web_archives.py)
    ],
)
def test_format_comes_from_the_content(samples, name, fmt, reader):
    got = sniff(samples / name)
    assert (got.name, got.reader, got.skip) == (fmt, reader, None)


@pytest.mark.parametrize(
    "name, words",
    [
        ("notes.md", "not a duty list file: text"),
        ("blob.bin", "binary data of an unknown format"),
        ("~$lists.docx", "an Office lock file"),
    ],
)
def test_unsupported_files_are_skipped_with_the_reason(samples, name, words):
    got = sniff(samples / name)
    assert got.reader is None and words in got.skip


@pytest.mark.parametrize(
    "name, words",
    [
        ("photos.xlsx", "not an Excel workbook (.xlsx): a ZIP archive without"),
        ("empty.docx", "empty file (0 bytes)"),
    ],
)
def test_a_supported_name_with_other_content_is_rejected(samples, name, words):
    with pytest.raises(RejectedFile, match=words.replace("(", r"\(").replace(")", r"\)")):
        sniff(samples / name)


def test_zip_checks_refuse_a_decompression_bomb(tmp_path):
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/workbook.xml", "<workbook/>")
        z.writestr("xl/worksheets/sheet1.xml", b"\0" * (8 << 20))
    with pytest.raises(RejectedFile, match="decompression bomb"):
        open_zip(path, max_unzipped=1 << 30, max_ratio=200)
    with pytest.raises(RejectedFile, match="decompression bomb"):
        open_zip(path, max_unzipped=4 << 20, max_ratio=1e9)
    open_zip(path, max_unzipped=1 << 30, max_ratio=1e9).close()


# --- explicit paragraph boundaries -------------------------------------------------------------------


def flagged(text: str, para: bool | None, start: bool = False) -> Line:
    """A short line, far from the cell's right edge: geometry alone would end a paragraph."""
    return Line(text, 0.0, 10.0 * len(text), 400.0, 10.0, cell_start=start, para=para)


def test_explicit_boundaries_replace_geometry():
    lines = [flagged("第一段", True, start=True), flagged("接着第一段", False), flagged("第二段", True)]
    assert paragraphs(lines, CleanSettings()) == ["第一段接着第一段", "第二段"]


def test_explicit_boundaries_split_a_line_that_fills_the_cell():
    full = Line("一行写满了单元格的文字", 0.0, 400.0, 400.0, 10.0, cell_start=True, para=True)
    assert paragraphs([full, flagged("第二段", True)], CleanSettings()) == [full.text, "第二段"]
    geometry = [Line(full.text, 0.0, 400.0, 400.0, 10.0, cell_start=True), flagged("续", None)]
    assert paragraphs(geometry, CleanSettings()) == [full.text + "续"]  # what a PDF would give


def test_without_flags_geometry_decides_as_before():
    lines = [flagged("第一段", None, start=True), flagged("第二段", None)]
    assert paragraphs(lines, CleanSettings()) == ["第一段", "第二段"]  # both stop short


# --- Word grids ---------------------------------------------------------------------------------------


def test_docx_grid_spans_and_vertical_merges(tmp_path):
    from docx import Document

    doc = Document()
    table = doc.add_table(rows=4, cols=3)
    table.cell(0, 0).merge(table.cell(0, 2)).paragraphs[0].add_run("标题")  # gridSpan 3
    table.cell(1, 0).merge(table.cell(3, 0)).paragraphs[0].add_run("类别")  # vMerge over 3 rows
    table.cell(1, 1).merge(table.cell(1, 2)).paragraphs[0].add_run("跨两列")
    for r in (2, 3):
        for c in (1, 2):
            table.cell(r, c).paragraphs[0].add_run(f"{r}{c}")
    table.cell(3, 2).add_paragraph("第二段")
    doc.save(tmp_path / "grid.docx")
    with open_zip(tmp_path / "grid.docx", 1 << 30, 200) as z:
        (page,) = read_docx(tmp_path / "grid.docx", z)
    (t,) = page["tables"]
    cells = {(c["r0"], c["r1"], c["c0"], c["c1"]): [ln["text"] for ln in c["lines"]] for c in t["cells"]}
    assert cells == {
        (0, 1, 0, 3): ["标题"],
        (1, 4, 0, 1): ["类别"],
        (1, 2, 1, 3): ["跨两列"],
        (2, 3, 1, 2): ["21"],
        (2, 3, 2, 3): ["22"],
        (3, 4, 1, 2): ["31"],
        (3, 4, 2, 3): ["32", "第二段"],
    }
    for c in t["cells"]:
        assert c["x0"] < c["x1"] and c["top"] < c["bottom"]
        assert all(ln["para"] and c["x0"] <= ln["x0"] <= ln["x1"] <= c["x1"] for ln in c["lines"])


# --- Excel values and sheets ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, text",
    [(1.0, "1"), (12, "12"), (2.5, "2.5"), (0.1 + 0.2, "0.3"), (None, ""), ("文字", "文字"), (True, "TRUE")],
)
def test_cell_values_read_as_printed(value, text):
    assert cell_text(value) == text


def test_dates_read_as_dates():
    import datetime as dt

    assert cell_text(dt.datetime(2024, 8, 26)) == "2024-08-26"


def test_line_breaks_in_a_cell_are_paragraphs():
    assert [p.text for p in paragraphs_of("1.第一步；\r\n2.第二步。\n\n", 10.5)] == [
        "1.第一步；",
        "2.第二步。",
    ]


def sheet(rows: list[list[str]], merges=()) -> Sheet:
    s = Sheet("s")
    for r, row in enumerate(rows):
        for c, v in enumerate(row):
            if v:
                s.values[(r, c)] = v
                s.sizes[(r, c)] = 10.5
    s.merges = list(merges)
    return s


def kinds(blocks) -> list[str]:
    return ["text" if isinstance(b, list) else f"table{max(c.r1 for c in b.cells)}" for b in blocks]


def test_a_sheet_is_cut_at_blank_rows_and_header_rows():
    rows = [
        ["某乡基本履职事项清单", "", ""],  # title merged across
        ["序号", "事项类别", "事项名称"],
        ["1", "党的建设", "甲"],
        ["某乡上级部门收回事项清单", "", ""],  # the next list follows without a blank row
        ["序号", "事项类别", "事项名称"],
        ["1", "民生服务", "乙"],
        ["", "", ""],
        ["注：本清单动态调整", "", ""],
    ]
    blocks = sheet_blocks(sheet(rows, [(0, 1, 0, 3), (3, 4, 0, 3)]))
    assert kinds(blocks) == ["text", "table2", "text", "table2", "text"]
    assert blocks[2][0].text == "某乡上级部门收回事项清单"


def test_a_section_row_inside_a_list_stays_in_its_table():
    rows = [["序号", "事项名称"], ["一、党的建设", ""], ["1", "甲"], ["2", "乙"]]
    assert kinds(sheet_blocks(sheet(rows, [(1, 2, 0, 2)]))) == ["table4"]


def test_hidden_rows_and_columns_are_not_read():
    s = sheet([["序号", "备注", "事项名称"], ["1", "内部", "甲"], ["99", "", "隐藏"]])
    s.hidden_rows, s.hidden_cols = {2}, {1}
    (table,) = sheet_blocks(s)
    texts = sorted(p.text for c in table.cells for p in c.paras)
    assert texts == ["1", "事项名称", "序号", "甲"]


# --- Word's automatic numbering --------------------------------------------------------------------


@pytest.mark.parametrize(
    "n, fmt, text",
    [
        (3, "decimal", "3"),
        (3, "decimalZero", "03"),
        (1, "chineseCounting", "一"),
        (10, "chineseCounting", "十"),
        (12, "chineseCountingThousand", "十二"),
        (20, "chineseCounting", "二十"),
        (105, "chineseCounting", "一百零五"),
        (3, "decimalEnclosedCircle", "③"),
        (4, "lowerRoman", "iv"),
        (27, "upperLetter", "AA"),
        (2, "ideographTraditional", "乙"),
        (12, "decimalFullWidth", "１２"),
        (5, "bullet", ""),
    ],
)
def test_number_formats(n, fmt, text):
    assert format_number(n, fmt) == text


def test_numbering_instances_count_on_their_own_and_levels_restart():
    from defusedxml import ElementTree

    ns = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    root = ElementTree.fromstring(
        f'<w:numbering {ns}><w:abstractNum w:abstractNumId="0">'
        '<w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/><w:lvlText w:val="%1、"/></w:lvl>'
        '<w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:lvlText w:val="（%2）"/></w:lvl>'
        '</w:abstractNum><w:num w:numId="1"><w:abstractNumId w:val="0"/></w:num>'
        '<w:num w:numId="2"><w:abstractNumId w:val="0"/>'
        '<w:lvlOverride w:ilvl="0"><w:startOverride w:val="5"/></w:lvlOverride></w:num></w:numbering>'
    )
    numbering = read_numbering(root)
    labels = [
        numbering.label(n, lvl) for n, lvl in [("1", 0), ("1", 1), ("1", 1), ("1", 0), ("1", 1), ("2", 0)]
    ]
    assert labels == ["一、", "（1）", "（2）", "二、", "（1）", "五、"]
    assert numbering.label("9", 0) == ""  # an instance the document does not define


def test_a_title_merged_over_two_rows_is_text_above_the_table():
    rows = [
        ["某乡基本履职事项清单", "", ""],
        ["", "", ""],
        ["序号", "事项类别", "事项名称"],
        ["1", "党的建设", "甲"],
    ]
    blocks = sheet_blocks(sheet(rows, [(0, 2, 0, 3)]))
    assert kinds(blocks) == ["text", "table2"]
    rows[1][0] = "单位：某乡人民政府"  # a second one-value row below the merged title
    blocks = sheet_blocks(sheet(rows, [(0, 1, 0, 3)]))
    assert kinds(blocks) == ["text", "table2"] and [p.text for p in blocks[0]] == [rows[0][0], rows[1][0]]


def test_a_web_page_saved_as_xls_is_read_as_a_page_or_rejected_saying_so(tmp_path):
    """Excel's "save as web page" and systems exporting "Excel" files write HTML tables under
    .xls: read as the web page it is (tests/test_web_archives.py); a page without a table under
    that name (a download's error page) is rejected, not skipped."""
    path = tmp_path / "清单.xls"
    path.write_text("<html><body><table><tr><td>序号</td></tr></table></body></html>", encoding="utf-8")
    assert (sniff(path).name, sniff(path).reader) == ("html", "html.parser")
    path.write_text("<html><body><h1>404 Not Found</h1></body></html>", encoding="utf-8")
    with pytest.raises(
        RejectedFile, match=r"not an Excel workbook \(\.xls\): the file holds HTML text \(a web page"
    ):
        sniff(path)


def test_docx_main_part_is_found_through_the_package_relationships(tmp_path):
    """Some producers name the main part otherwise (word/document2.xml)."""
    ident, lists = lists_for("hongqi", 2)
    source = write_docx(tmp_path / "a.docx", ident, lists, kinds=("basic",))
    moved = tmp_path / "b.docx"
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(moved, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename in ("_rels/.rels", "[Content_Types].xml"):
                data = data.replace(b"word/document.xml", b"word/document2.xml")
            name = info.filename.replace("document.xml", "document2.xml")
            zout.writestr(name, data)
    with open_zip(moved, 1 << 30, 200) as z:
        assert "word/document.xml" not in z.namelist()
        pages = read_docx(moved, z)
    with open_zip(source, 1 << 30, 200) as z:
        assert pages == read_docx(source, z)
