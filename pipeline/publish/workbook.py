"""duty_lists.xlsx: the tables as one Excel/WPS workbook, for people who work in a spreadsheet.

A first sheet 说明 says what each sheet holds; then one sheet per table, named in Chinese. Row 1 holds
the Chinese column names (schema.toml `zh`), row 2 the English column names of the Parquet/CSV tables;
both stay frozen while scrolling. A coded column (disposition, side, ...) is followed by its Chinese
label. List cells are joined by 、, multi-paragraph cells keep their line breaks (wrapped, top-aligned),
columns are as wide as their content up to a limit. The file is the same bytes for the same tables
(fixed timestamps inside), so reruns do not change it.

The workbook's XML (SpreadsheetML, ECMA-376) is written here directly: the same parts, styles and
cells as openpyxl's write-only mode produced, without importing openpyxl or building a cell object
per value (that took most of the publish step's time).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
import itertools
import json
import math
import os
from pathlib import Path
import re
import shutil
import tempfile
import unicodedata
import zipfile
import zlib

from pipeline.normalize.schema import build_info, list_item_text, separator, spec
from pipeline.publish import tables

WORKBOOK = "duty_lists.xlsx"
MAX_WIDTH = 60  # characters of a Latin font; a CJK character counts 2
MIN_WIDTH = 6
HEADER_WIDTH = 12  # a column narrower than its header wraps the header
EXCEL_ROWS = 1_048_576
EXCEL_CELL = 32_767
HEADER_ROWS = 2
WIDTH_SAMPLE = 5_000  # rows looked at to size a column
LINE_HEIGHT = 16  # points per line of a wrapped cell (CJK glyphs are taller than Latin ones)
MAX_HEIGHT = 409  # Excel's largest row height, in points

# Control characters XML 1.0 cannot hold (openpyxl's ILLEGAL_CHARACTERS_RE): removed from text.
ILLEGAL_CHARACTERS_RE = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")


class _CharWidths(dict):
    """Display width of a character (2 for East Asian wide and fullwidth ones), computed once."""

    def __missing__(self, ch: str) -> int:
        width = self[ch] = 2 if unicodedata.east_asian_width(ch) in "WF" else 1
        return width


_WIDTH = _CharWidths()


def _line_width(line: str) -> int:
    return len(line) if line.isascii() else sum(map(_WIDTH.__getitem__, line))


def display_width(text: str) -> int:
    """Width of the longest line of TEXT, CJK (wide) characters counting 2."""
    return max(map(_line_width, text.split("\n")), default=0)


# The order of a sheet's columns, for people reading it: where and which item first (乡镇, 序号,
# 事项类别, 事项名称), then the columns printed in the lists (schema `header`) in schema order, then
# the other columns (any column added to the schema lands here, in schema order), then where a value
# was read (file, pages), and the ids and codes, which only join tables, last.
KEY_COLUMNS = ("township", "seq", "category", "name")
PLACE_COLUMNS = ("city", "county")  # before 乡镇 where the table spans several of them
PROVENANCE_COLUMNS = ("source_file", "pages", "first_page", "last_page", "ocr_confidence", "build_id")
CODE_SUFFIXES = ("_id", "_ids", "_code", "sha256")
FROZEN_WIDTH = 130  # the key columns stay in view (frozen) while together at most this wide


def _rank(col: dict) -> int:
    """Which group of the sheet's order a column belongs to (KEY_COLUMNS before: see there)."""
    name = col["name"]
    if name.endswith(CODE_SUFFIXES):
        return 4
    if name in PROVENANCE_COLUMNS:
        return 3
    return 1 if "header" in col else 2


def ordered_columns(table_spec: dict, several: frozenset[str] = frozenset()) -> tuple[list[dict], int]:
    """The table's columns in the sheet's order and how many lead it (the key columns); SEVERAL
    names the PLACE_COLUMNS with more than one value in the table (they lead too)."""
    cols = table_spec["columns"]
    by_name = {c["name"]: c for c in cols}
    lead = [by_name[n] for n in (*PLACE_COLUMNS, *KEY_COLUMNS) if n in by_name]
    lead = [c for c in lead if c["name"] not in PLACE_COLUMNS or c["name"] in several]
    if not {"township", "name"} & {c["name"] for c in lead}:
        # Not a table of items (problems, steps, files): its own order, the ids and codes last.
        return sorted(cols, key=lambda c: c["name"].endswith(CODE_SUFFIXES)), 0
    rest = sorted((c for c in cols if c not in lead), key=_rank)  # stable: schema order within a group
    return lead + rest, len(lead)


def sheet_columns(table_spec: dict, several: frozenset[str] = frozenset()) -> list[dict]:
    """The sheet's columns (see `ordered_columns`), each coded one followed by its Chinese label;
    each has `key` set when it is one of the leading key columns."""
    from pipeline.common.messages import translated_columns

    ordered, n_lead = ordered_columns(table_spec, several)
    translated = translated_columns(table_spec.get("name", ""))
    out = []
    for i, col in enumerate(ordered):
        key = i < n_lead
        if col["name"] in translated:  # the Chinese text first, then the English it comes from
            zh = col.get("zh", col["name"])
            out.append(
                {
                    "name": f"{col['name']}_zh",
                    "zh": zh,
                    "source": col,
                    "label": False,
                    "key": key,
                    "translate": translated[col["name"]],
                }
            )
            out.append(
                {"name": col["name"], "zh": f"{zh}（英文）", "source": col, "label": False, "key": key}
            )
            continue
        out.append(
            {"name": col["name"], "zh": col.get("zh", col["name"]), "source": col, "label": False, "key": key}
        )
        if "labels" in col:
            out.append(
                {
                    "name": f"{col['name']}_label",
                    "zh": f"{col.get('zh', col['name'])}（中文）",
                    "source": col,
                    "label": True,
                    "key": key,
                }
            )
    return out


def _several(path: Path, table_spec: dict) -> frozenset[str]:
    """The PLACE_COLUMNS of the table holding more than one value, from the row groups' statistics
    (their least and greatest values; no data is read unless a row group lacks them) and, for a
    partitioned table, the partition keys of its files. Without pyarrow.compute: it imports numpy
    (0.15 s of a cold build, in this process and in the child rendering sheets alike)."""
    import pyarrow.parquet as pq

    names = [c["name"] for c in table_spec["columns"] if c["name"] in PLACE_COLUMNS]
    if not names:
        return frozenset()
    out = set()
    values: dict[str, set] = {name: set() for name in names}
    for file, keys in tables.files(path):
        with pq.ParquetFile(file) as f:
            meta = f.metadata
            index = {meta.schema.column(i).name: i for i in range(meta.num_columns)}
            for name in names:
                if name in out:
                    continue
                seen = values[name]
                if name not in index:  # a partition key: one value for the whole file
                    seen.add(keys.get(name))
                for g in range(meta.num_row_groups) if name in index else ():
                    stats = meta.row_group(g).column(index[name]).statistics
                    if stats is None or not stats.has_min_max:
                        if stats is not None and stats.null_count == meta.row_group(g).num_rows:
                            continue  # only nulls
                        seen |= set(f.read_row_group(g, columns=[name])[name].to_pylist())
                    else:
                        seen |= {stats.min, stats.max}
                    seen.discard(None)
                    if len(seen) > 1:
                        break
                seen.discard(None)
                if len(seen) > 1:
                    out.add(name)
        if len(out) == len(names):
            break
    return frozenset(out)


def wrapped_lines(text: str, width: float) -> int:
    """Lines TEXT takes in a wrapped cell WIDTH characters wide (each paragraph starts a line)."""
    usable = max(1.0, width - 1)
    return sum(max(1, math.ceil(_line_width(par) / usable)) for par in text.split("\n"))


NUMBER_LIKE = re.compile(r"[1-9][0-9]{0,8}")  # a printed 序号 that is a number (no leading zero)


def cell_value(value, column: dict):
    """A Parquet value as a workbook cell value: numbers as numbers (a one-page `pages` list, a
    序号 printed as digits), lists joined by their separator, anything else as text."""
    col = column["source"]
    if value is None:
        return None
    if column["label"]:
        return col["labels"].get(value, value)
    if col["type"].startswith("list"):
        if col["type"] == "list<int32>" and len(value) == 1:
            return value[0]
        return separator(col).join(list_item_text(v) for v in value)
    if isinstance(value, str):
        if _numeric_text(col) and NUMBER_LIKE.fullmatch(value):
            return int(value)
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        if len(value) > EXCEL_CELL:
            value = value[: EXCEL_CELL - 1] + "…"
        return value
    if isinstance(value, bool | int | float):
        return value
    return cell_value(json.dumps(value, ensure_ascii=False, default=str), column)  # a map, a struct


def _numeric_text(col: dict) -> bool:
    """A text column holding numbers as printed (序号): digits are written as numbers."""
    return col["name"] == "seq" or col["name"].endswith("_seq")


def _column_cells(values: list, column: dict) -> list:
    """`cell_value` of every value of one column, deciding by the column's type once."""
    col = column["source"]
    if column["label"]:
        labels = col["labels"]
        return [None if v is None else labels.get(v, v) for v in values]
    if col["type"] == "list<int32>":
        return [cell_value(v, column) for v in values]
    if col["type"].startswith("list"):
        sep = separator(col)
        return [None if v is None else sep.join([list_item_text(x) for x in v]) for v in values]
    if col["type"] != "string" or _numeric_text(col):
        return [cell_value(v, column) for v in values]
    texts = [v for v in values if v is not None]
    if ILLEGAL_CHARACTERS_RE.search("\n".join(texts)) or any(len(v) > EXCEL_CELL for v in texts):
        return [cell_value(v, column) for v in values]
    return values


def _column_values(path: Path, columns: list[dict]):
    """The sheet's values, a batch at a time: for each batch, one list of cell values per column."""
    for data in tables.batches(path):
        yield [
            _translated(data, c) if "translate" in c else _column_cells(data[c["source"]["name"]], c)
            for c in columns
        ]


def _translated(data: dict, column: dict) -> list:
    """A text column in Chinese, from the catalogue (a problem's message by its kind)."""
    from pipeline.common.messages import to_chinese

    texts = data[column["source"]["name"]]
    kinds = data.get("kind") or [""] * len(texts)
    return _column_cells(
        [to_chinese(column["translate"], t, k or "") for t, k in zip(texts, kinds, strict=True)], column
    )


def _layout(batches: Iterator[list[list]], columns: list[dict]) -> tuple[list[int], list[bool], list]:
    """Column widths and which columns wrap (long or multi-line text), from the first
    WIDTH_SAMPLE rows; returns the batches it read, to be written."""
    # A long header wraps (its row grows) rather than widening a column of short values.
    widths = [min(HEADER_WIDTH, max(display_width(c["zh"]), display_width(c["name"]))) for c in columns]
    wrap = [False] * len(columns)
    seen = 0
    head = []
    for values in batches:
        head.append(values)
        take = min(WIDTH_SAMPLE - seen, len(values[0]) if values else 0)
        for i, column in enumerate(values):
            texts = {v for v in column[:take] if isinstance(v, str)}  # each distinct text once
            if texts:
                w = max(map(display_width, texts))
                widths[i] = max(widths[i], w)
                wrap[i] = wrap[i] or w > MAX_WIDTH or any("\n" in v for v in texts)
            others = [len(str(v)) for v in column[:take] if v is not None and not isinstance(v, str)]
            widths[i] = max([widths[i], *others])
        seen += take
        if seen >= WIDTH_SAMPLE:
            break
    return [min(MAX_WIDTH, max(MIN_WIDTH, w + 2)) for w in widths], wrap, head


def _letter(i: int) -> str:
    """Column letter of 1-based column I (1 → A, 27 → AA)."""
    out = ""
    while i:
        i, r = divmod(i - 1, 26)
        out = chr(65 + r) + out
    return out


def _escape(text: str) -> str:
    """Text as XML character data (a bare CR as a reference: it would be read back as a line feed).
    Not xml.sax.saxutils.escape: that module imports urllib.request (20 ms)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")


def _cell(ref: str, value, style: int = 0) -> str:
    """One cell as SpreadsheetML, written as openpyxl writes it (inline strings, no formulas)."""
    return f'<c r="{ref}"{_tail(value, style)}'


def _tail(value, style: int = 0) -> str:
    """A cell's XML after its reference."""
    s = f' s="{style}"' if style else ""
    if isinstance(value, str):
        if not value:
            return f'{s} t="inlineStr"></c>'
        space = ' xml:space="preserve"' if value != value.strip() else ""
        if "&" in value or "<" in value or ">" in value or "\r" in value:
            value = _escape(value)
        return f'{s} t="inlineStr"><is><t{space}>{value}</t></is></c>'
    if isinstance(value, bool):
        return f'{s} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return f'{s} t="n"></c>'
    return f'{s} t="n"><v>{value:.16g}</v></c>'


_CACHED = 200  # strings up to this long are turned into XML once per sheet (repeated values)
_CACHE_SIZE = 10_000  # held per column (plus a batch's new ones): memory stays bounded


def _tails(values: list, style: int, cache: dict) -> list[str | None]:
    """The cells' XML after their references, None for an empty (null) cell."""
    out: list[str | None] = []
    for v in values:
        if v is None:
            out.append(None)
        elif isinstance(v, str) and len(v) <= _CACHED:
            tail = cache.get(v)
            if tail is None:
                tail = cache[v] = _tail(v, style)
            out.append(tail)
        else:
            out.append(_tail(v, style))
    return out


# cellXfs of STYLES: every body cell wraps, top-aligned; numbers centred (a right-aligned number
# would touch the left-aligned text of the next column)
_STYLE_ZH, _STYLE_EN, _STYLE_BODY, _STYLE_NUMBER = 1, 2, 3, 4
NUMBER_TYPES = ("int32", "float64", "list<int32>")
_SHEET_START = (
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetPr>'
    '<outlinePr summaryBelow="1" summaryRight="1"/><pageSetUpPr fitToPage="1"/></sheetPr><sheetViews>'
    '<sheetView workbookViewId="0">{pane}</sheetView></sheetViews>'
    '<sheetFormatPr baseColWidth="8" defaultRowHeight="15"/><cols>{cols}</cols><sheetData>'
)
# Printed: landscape A4, one page wide (as many pages long as it takes), the header rows repeated
# on every page (print titles, in workbook.xml), the sheet's name and the page number on each page.
_SHEET_END = (
    "</sheetData>{filter}{merges}"
    '<pageMargins left="0.4" right="0.4" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
    '<pageSetup paperSize="9" orientation="landscape" fitToWidth="1" fitToHeight="0"/>'
    "<headerFooter><oddHeader>&amp;L&amp;A&amp;R乡镇履职事项清单</oddHeader>"
    "<oddFooter>&amp;C第 &amp;P 页，共 &amp;N 页</oddFooter></headerFooter></worksheet>"
)


def _pane(rows: int, cols: int) -> str:
    """Frozen panes: ROWS header rows and COLS key columns stay in view."""
    if not rows and not cols:
        return '<selection activeCell="A1" sqref="A1"/>'
    top_left = f"{_letter(cols + 1)}{rows + 1}"
    if not cols:
        return (
            f'<pane ySplit="{rows}" topLeftCell="{top_left}" activePane="bottomLeft" state="frozen"/>'
            f'<selection pane="bottomLeft" activeCell="{top_left}" sqref="{top_left}"/>'
        )
    return (
        f'<pane xSplit="{cols}" ySplit="{rows}" topLeftCell="{top_left}" activePane="bottomRight" '
        f'state="frozen"/><selection pane="topRight"/><selection pane="bottomLeft"/>'
        f'<selection pane="bottomRight" activeCell="{top_left}" sqref="{top_left}"/>'
    )


def _sheet_start(widths: list[int], frozen: int, frozen_cols: int = 0) -> str:
    cols = "".join(
        f'<col width="{w}" customWidth="1" min="{i}" max="{i}"/>' for i, w in enumerate(widths, start=1)
    )
    return _SHEET_START.format(pane=_pane(frozen, frozen_cols), cols=cols)


def _sheet_end(filter_ref: str | None = None, merges: tuple[str, ...] = ()) -> str:
    merged = "".join(f'<mergeCell ref="{m}"/>' for m in merges)
    return _SHEET_END.format(
        filter=f'<autoFilter ref="{filter_ref}"/>' if filter_ref else "",
        merges=f'<mergeCells count="{len(merges)}">{merged}</mergeCells>' if merges else "",
    )


def _row(r: int, cells: list[str], height: int | None = None) -> str:
    ht = f' ht="{height}" customHeight="1"' if height is not None else ""
    return f'<row r="{r}"{ht}>{"".join(cells)}</row>'


def _frozen_columns(columns: list[dict], widths: list[int]) -> int:
    """How many leading key columns stay in view: those together at most FROZEN_WIDTH wide."""
    n = total = 0
    for column, width in zip(columns, widths, strict=True):
        total += width
        if not column["key"] or total > FROZEN_WIDTH:
            break
        n += 1
    return n


def _sheet(path: Path, name: str, table_spec: dict, folder: Path) -> tuple[list[Part], int, int]:
    """Write table NAME's sheets as compressed XML files in FOLDER, a batch of rows at a time (more
    than one sheet when the table has more rows than a sheet holds, EXCEL_ROWS, the header rows
    included); returns (the sheets' parts, rows in the table, the columns their print area takes)."""
    columns = sheet_columns({**table_spec, "name": name}, _several(path, table_spec))
    n = tables.num_rows(path)
    batches = _column_values(path, columns)
    widths, wrap, head = _layout(batches, columns)
    letters = [_letter(i) for i in range(1, len(columns) + 1)]
    cells = _BatchCells(columns, wrap, widths)
    sheets = _Sheets(folder, name, _sheet_head(columns, widths, letters), letters)
    try:
        for values in itertools.chain(_drained(head), batches):
            sheets.add(*cells.of(values), len(values[0]) if values else 0)
        sheets.end()
    finally:
        parts = sheets.close()
    return parts, n, printed_columns(columns)


def _sheet_head(columns: list[dict], widths: list[int], letters: list[str]) -> str:
    """A sheet's XML up to its first item row: the sheet's settings and the two header rows
    (Chinese, then the column names)."""
    start = [_sheet_start(widths, HEADER_ROWS, _frozen_columns(columns, widths))]
    for r, key, style in ((1, "zh", _STYLE_ZH), (2, "name", _STYLE_EN)):
        lines = max(wrapped_lines(c[key], w) for c, w in zip(columns, widths, strict=True))
        cells = [_cell(f"{x}{r}", c[key], style) for x, c in zip(letters, columns, strict=True)]
        start.append(_row(r, cells, LINE_HEIGHT * lines if lines > 1 else None))
    return "".join(start)


class _BatchCells:
    """A batch's values as cells' XML, column by column (a value repeated within a batch or two is
    rendered once), and the lines each wrapping column's text takes."""

    def __init__(self, columns: list[dict], wrap: list[bool], widths: list[int]) -> None:
        self.wrap = wrap
        self.widths = widths
        self.caches: list[dict] = [{} for _ in columns]
        self.styles = [
            _STYLE_NUMBER if c["source"]["type"] in NUMBER_TYPES and not c["label"] else _STYLE_BODY
            for c in columns
        ]

    def of(self, values: list[list]) -> tuple[list[list], list[list[int]]]:
        """(each column's cell tails, each wrapping column's line counts) of one batch."""
        tails = []
        counts = []
        for column, w, width, cache, style in zip(
            values, self.wrap, self.widths, self.caches, self.styles, strict=True
        ):
            if len(cache) > _CACHE_SIZE:  # the repeated values of a batch or two are what pays
                cache.clear()
            tails.append(_tails(column, style, cache))
            if w:  # only text columns wrap (their values are strings or empty)
                counts.append([wrapped_lines(v, width) if isinstance(v, str) else 1 for v in column])
        return tails, counts


class _Sheets:
    """The sheets of one table, written row by row: a sheet that is full (EXCEL_ROWS) is ended and
    the table goes on on the next, which starts with the same header."""

    def __init__(self, folder: Path, name: str, head: str, letters: list[str]) -> None:
        self.folder = folder
        self.name = name
        self.head = head
        self.letters = letters
        self.parts: list[Part] = []
        self.r = HEADER_ROWS
        self.sheet = _Deflated(folder / f".{name}.1.xml.tmp", head)

    def add(self, tails: list[list], counts: list[list[int]], n: int) -> None:
        """N rows: their cells' tails by column, the line counts of the wrapping columns."""
        named = list(zip(self.letters, tails, strict=True))
        limit = EXCEL_ROWS - HEADER_ROWS
        out = []
        for j in range(n):
            if self.r - HEADER_ROWS == limit:  # this sheet is full: the table goes on on the next
                out.append(_sheet_end(f"A{HEADER_ROWS}:{self.letters[-1]}{self.r}"))
                self.sheet.write("".join(out))
                out = []
                self.parts.append(self.sheet.close())
                self.sheet = _Deflated(self.folder / f".{self.name}.{len(self.parts) + 1}.xml.tmp", self.head)
                self.r = HEADER_ROWS
            self.r += 1
            cells = [f'<c r="{x}{self.r}"{t[j]}' for x, t in named if t[j] is not None]
            lines = max([c[j] for c in counts], default=1)
            # Spreadsheet programs do not all grow a row to its wrapped text on opening.
            out.append(_row(self.r, cells, min(MAX_HEIGHT, LINE_HEIGHT * lines) if lines > 1 else None))
        self.sheet.write("".join(out))

    def end(self) -> None:
        self.sheet.write(_sheet_end(f"A{HEADER_ROWS}:{self.letters[-1]}{max(self.r, HEADER_ROWS + 1)}"))

    def close(self) -> list[Part]:
        """The sheets' parts (the last one closed here, however the writing ended)."""
        self.parts.append(self.sheet.close())
        return self.parts


def _drained(batches: list) -> Iterator:
    """The BATCHES in order, each let go of as it is taken (the layout's sample is not held)."""
    batches.reverse()
    while batches:
        yield batches.pop()


COMPRESS_LEVEL = 1  # the sheets' XML is repetitive: level 1 packs nearly as small, 3 times faster
Part = tuple[str, int, int]  # a sheet's XML as a raw deflate file: (its path, size, CRC-32 of the XML)


class _Deflated:
    """A sheet's XML compressed as it is written (raw deflate, as a workbook entry holds it), into
    the file PATH, START first: the process rendering a sheet compresses it too, and the file
    takes what the entry will (a seventh of the XML). `close()` gives the sheet's `Part`."""

    def __init__(self, path: Path, start: str) -> None:
        self.path = path
        self._file = path.open("wb")
        self._deflate = zlib.compressobj(COMPRESS_LEVEL, zlib.DEFLATED, -15)
        self.size = self.crc = 0
        self.write(start)

    def write(self, text: str) -> None:
        data = text.encode("utf-8")
        self.size += len(data)
        self.crc = zlib.crc32(data, self.crc)
        self._file.write(self._deflate.compress(data))

    def close(self) -> Part:
        if not self._file.closed:
            try:
                self._file.write(self._deflate.flush())
            finally:
                self._file.close()
        return str(self.path), self.size, self.crc


def printed_columns(columns: list[dict]) -> int:
    """How many of a sheet's leading COLUMNS (`sheet_columns`) its print area takes: all but the
    trailing ids and codes (and, on an item sheet, where each value was read), which only join
    tables. A wide sheet printed one page wide stays legible."""
    items = any(c["key"] for c in columns)
    n = len(columns)
    while n > 1:
        name = columns[n - 1]["source"]["name"]
        if not (name.endswith(CODE_SUFFIXES) or (items and name in PROVENANCE_COLUMNS)):
            break
        n -= 1
    return n


def sheet_titles(title: str, parts: int) -> list[str]:
    """The names of a table's sheets: its Chinese name, then （续2）, （续3）… for its continuations
    (at most 31 characters, Excel's limit)."""
    out = [title[:31]]
    for i in range(2, parts + 1):
        suffix = f"（续{i}）"
        out.append(title[: 31 - len(suffix)] + suffix)
    return out


ABOUT_INTRO = (
    (
        "乡镇履职事项清单：数据表",
        "Township duty lists (乡镇履职事项清单): tables",
    ),
    (
        "每个工作表一张表：第 1 行为中文列名，第 2 行为英文列名（与 Parquet、CSV 文件相同），可在第 2 行筛选；"
        "乡镇、序号、事项类别、事项名称在前，原文各列随后，来源与编号在后；列表单元格以“、”分隔，"
        "多段文字以换行分段；各列含义见 CODEBOOK.md。",
        "One table per sheet: row 1 holds the Chinese column names, row 2 the English ones (as in the "
        "Parquet and CSV files), with filters; township, 序号, category and name first, then the printed "
        "columns, sources and ids last; list cells are joined by 、, paragraphs by line breaks; "
        "CODEBOOK.md describes every column.",
    ),
)


def _about(counts: list[tuple[list[str], str, dict, int]]) -> str:
    """The first sheet: what the workbook is and what each sheet holds, in Chinese, English beneath."""
    from pipeline.common.messages import table_description

    info = build_info()
    title, intro = ABOUT_INTRO
    rows: list[list] = [
        ["\n".join(title)],
        [
            f"版本 {info['version']}，生成日期 {info['build_date']}\n"
            f"version {info['version']}, built {info['build_date']}"
        ],
        ["\n".join(intro)],
        [],
        ["工作表\nsheet", "表名\ntable", "行数\nrows", "说明\ndescription", "备注\nnote"],
    ]
    for titles, name, t, n in counts:
        note = ""
        if len(titles) > 1:
            rest = "、".join(titles[1:])
            note = (
                f"超过 Excel 的 {EXCEL_ROWS:,} 行上限，续表见工作表 {rest}\n"
                f"more rows than an Excel sheet holds ({EXCEL_ROWS:,}): continued on {rest}"
            )
        rows.append(
            [titles[0], name, n, f"{table_description(name, t['description'])}\n{t['description']}", note]
        )
    widths = [22, 26, 10, 90, 40]
    out = [_sheet_start(widths, 0)]
    for r, row in enumerate(rows, start=1):
        style = _STYLE_ZH if r == 5 else _STYLE_BODY
        if r <= 3:  # the text rows run across the sheet (merged)
            lines = wrapped_lines(row[0], sum(widths))
        else:
            lines = max([wrapped_lines(str(v), w) for v, w in zip(row, widths, strict=False)], default=1)
        cells = [_cell(f"{_letter(i)}{r}", v, style) for i, v in enumerate(row, start=1) if v is not None]
        out.append(_row(r, cells, min(MAX_HEIGHT, LINE_HEIGHT * lines) if lines > 1 else None))
    out.append(_sheet_end(merges=tuple(f"A{r}:{_letter(len(widths))}{r}" for r in (1, 2, 3))))
    return "".join(out)


_NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT_SHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"

STYLES = (
    f'<styleSheet xmlns="{_NS_MAIN}"><numFmts count="0"/><fonts count="3"><font><name val="Calibri"/>'
    '<family val="2"/><color theme="1"/><sz val="11"/><scheme val="minor"/></font><font><b val="1"/>'
    '</font><font><i val="1"/><color rgb="00595959"/></font></fonts><fills count="4"><fill><patternFill/>'
    '</fill><fill><patternFill patternType="gray125"/></fill><fill><patternFill patternType="solid">'
    '<fgColor rgb="00DDEBF7"/></patternFill></fill><fill><patternFill patternType="solid">'
    '<fgColor rgb="00F2F2F2"/></patternFill></fill></fills><borders count="1"><border><left/><right/>'
    '<top/><bottom/><diagonal/></border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" '
    'fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="5"><xf numFmtId="0" fontId="0" fillId="0" '
    'borderId="0" pivotButton="0" quotePrefix="0" xfId="0"/><xf numFmtId="0" fontId="1" fillId="2" '
    'borderId="0" applyAlignment="1" pivotButton="0" quotePrefix="0" xfId="0"><alignment vertical="top" '
    'wrapText="1"/></xf><xf numFmtId="0" fontId="2" fillId="3" borderId="0" applyAlignment="1" '
    'pivotButton="0" quotePrefix="0" xfId="0"><alignment vertical="top" wrapText="1"/></xf>'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" applyAlignment="1" pivotButton="0" '
    'quotePrefix="0" xfId="0"><alignment vertical="top" wrapText="1"/></xf>'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" applyAlignment="1" pivotButton="0" '
    'quotePrefix="0" xfId="0"><alignment horizontal="center" vertical="top" wrapText="1"/></xf></cellXfs><cellStyles '
    'count="1"><cellStyle name="Normal" xfId="0" builtinId="0" hidden="0"/></cellStyles><tableStyles '
    'count="0" defaultTableStyle="TableStyleMedium9" defaultPivotStyle="PivotStyleLight16"/>'
    "</styleSheet>"
)


def _quoted(title: str) -> str:
    """A sheet's name as a formula refers to it ('name', a quote doubled), as XML text."""
    return _escape("'" + title.replace("'", "''") + "'")


def _package(titles: list[str], stamp: str, printed: list[tuple[int, int]] | None = None) -> dict[str, str]:
    """The workbook's other parts: content types, relationships, properties, workbook, styles.
    The sheets after the first (the tables' sheets) repeat their header rows on every printed page,
    and print the (columns, rows) PRINTED[i - 1] gives (not the ids and codes after them)."""
    n = len(titles)
    sheets = "".join(
        f'<sheet xmlns:r="{_NS_REL}" name="{_escape(t).replace(chr(34), "&quot;")}" sheetId="{i}" '
        f'state="visible" r:id="rId{i}"/>'
        for i, t in enumerate(titles, start=1)
    )
    names = "".join(
        f'<definedName name="_xlnm.Print_Titles" localSheetId="{i}">{_quoted(t)}!$1:${HEADER_ROWS}</definedName>'
        for i, t in enumerate(titles)
        if i
    )
    if printed:  # Excel lists a sheet's defined names by name: Print_Area before Print_Titles
        areas = {
            i: f'<definedName name="_xlnm.Print_Area" localSheetId="{i}">{_quoted(t)}!$A$1:'
            f"${_letter(printed[i - 1][0])}${printed[i - 1][1]}</definedName>"
            for i, t in enumerate(titles)
            if i
        }
        names = "".join(areas.values()) + names
    sheet_rels = "".join(
        f'<Relationship Type="{_NS_REL}/worksheet" Target="/xl/worksheets/sheet{i}.xml" Id="rId{i}"/>'
        for i in range(1, n + 1)
    )
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{_CT_SHEET}"/>'
        for i in range(1, n + 1)
    )
    office = "application/vnd.openxmlformats-officedocument"
    dc = 'xmlns:dcterms="http://purl.org/dc/terms/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
    return {
        "docProps/app.xml": (
            '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
            "<Application>Microsoft Excel Compatible / duty-lists pipeline</Application>"
            "<AppVersion>3.1</AppVersion></Properties>"
        ),
        "docProps/core.xml": (
            '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/'
            'core-properties"><dc:creator xmlns:dc="http://purl.org/dc/elements/1.1/">duty-lists pipeline'
            f'</dc:creator><dcterms:created {dc} xsi:type="dcterms:W3CDTF">{stamp}</dcterms:created>'
            f'<dcterms:modified {dc} xsi:type="dcterms:W3CDTF">{stamp}</dcterms:modified>'
            "</cp:coreProperties>"
        ),
        "xl/theme/theme1.xml": (Path(__file__).parent / "theme1.xml").read_text(encoding="utf-8"),
        "xl/styles.xml": STYLES,
        "_rels/.rels": (
            f'<Relationships xmlns="{_NS_PKG_REL}"><Relationship Type="{_NS_REL}/officeDocument" '
            'Target="xl/workbook.xml" Id="rId1"/><Relationship Type="http://schemas.openxmlformats.org/'
            'package/2006/relationships/metadata/core-properties" Target="docProps/core.xml" Id="rId2"/>'
            f'<Relationship Type="{_NS_REL}/extended-properties" Target="docProps/app.xml" Id="rId3"/>'
            "</Relationships>"
        ),
        "xl/workbook.xml": (
            f'<workbook xmlns="{_NS_MAIN}"><workbookPr/><workbookProtection/><bookViews><workbookView '
            'visibility="visible" minimized="0" showHorizontalScroll="1" showVerticalScroll="1" '
            'showSheetTabs="1" tabRatio="600" firstSheet="0" activeTab="0" autoFilterDateGrouping="1"/>'
            f'</bookViews><sheets>{sheets}</sheets><definedNames>{names}</definedNames><calcPr calcId="124519" '
            'fullCalcOnLoad="1"/></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            f'<Relationships xmlns="{_NS_PKG_REL}">{sheet_rels}<Relationship Type="{_NS_REL}/styles" '
            f'Target="styles.xml" Id="rId{n + 1}"/><Relationship Type="{_NS_REL}/theme" '
            f'Target="theme/theme1.xml" Id="rId{n + 2}"/></Relationships>'
        ),
        "[Content_Types].xml": (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default '
            f'Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/styles.xml" '
            f'ContentType="{office}.spreadsheetml.styles+xml"/><Override PartName="/xl/theme/theme1.xml" '
            f'ContentType="{office}.theme+xml"/><Override PartName="/docProps/core.xml" '
            'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/><Override '
            f'PartName="/docProps/app.xml" ContentType="{office}.extended-properties+xml"/>{overrides}'
            f'<Override PartName="/xl/workbook.xml" ContentType="{office}.spreadsheetml.sheet.main+xml"/>'
            "</Types>"
        ),
    }


# table → (its sheets' parts, rows in the table, the columns its print area takes)
Rendered = dict[str, tuple[list[Part], int, int]]


def render_sheets(processed: Path, names: list[str], folder: Path) -> Rendered:
    """Write the sheets of these tables as compressed XML files in FOLDER (a part of the workbook
    another process may render); the workbook is packed from them (`write_workbook`)."""
    specs = spec()
    return {name: _sheet(tables.table_path(processed, name), name, specs[name], folder) for name in names}


def parts_folder(processed: Path) -> Path:
    """A new folder for the sheets' XML while the workbook is written (the caller removes it)."""
    return Path(tempfile.mkdtemp(prefix=f".{WORKBOOK}.", suffix=".parts", dir=processed))


# How the sheets are shared between a helper process and the caller, which also writes the CSV
# files: the helper takes sheets, largest first, as long as they stay within HELPER_SHARE of the
# work, a sheet's work being its table's data (bytes, from the Parquet metadata) plus
# SHEET_BYTES for what any sheet costs (about 4 ms, as much as rendering 8 kB of data). A
# sheet is compressed by the process rendering it; writing a table's CSV file takes about a
# third of the time of its sheet, so the caller's third of the sheets and the CSV files take
# about as long as the helper's share (1,000 generated townships: 16.6 s and 14.1 s of CPU).
HELPER_SHARE = 0.65
SHEET_BYTES = 8_000


def split_sheets(processed: Path) -> tuple[list[str], list[str]]:
    """The tables whose sheets a helper process renders and those the caller renders after
    writing the CSV files, so that both finish at about the same time (see HELPER_SHARE)."""
    sizes = {name: SHEET_BYTES + tables.data_bytes(tables.table_path(processed, name)) for name in spec()}
    room = HELPER_SHARE * sum(sizes.values())
    helper: list[str] = []
    for name in sorted(sizes, key=lambda k: (-sizes[k], k)):
        if not helper or sizes[name] <= room:  # the largest always; the others where they fit
            helper.append(name)
            room -= sizes[name]
    return helper, [name for name in spec() if name not in helper]


def finish_workbook(processed: Path, names: list[str], folder: Path, inbox: Callable[[], Rendered]) -> Path:
    """Render the sheets of these tables into FOLDER, take the other sheets from INBOX (rendered
    by another process meanwhile) and write the workbook."""
    rendered = render_sheets(processed, names, folder)
    rendered.update(inbox())
    return write_workbook(processed, rendered, folder)


def write_workbook(processed: Path, rendered: Rendered | None = None, folder: Path | None = None) -> Path:
    """Write PROCESSED/duty_lists.xlsx from the Parquet tables (sheets already RENDERED into
    FOLDER are used as they are, the others are rendered there; without FOLDER, a folder of
    its own is used and removed); replace it atomically. Each sheet is copied into the
    workbook as it was compressed, a chunk at a time: no sheet is held whole in memory."""
    own = folder is None
    work = parts_folder(processed) if folder is None else folder
    stamp = datetime.fromisoformat(build_info()["build_date"]).strftime("%Y-%m-%dT%H:%M:%SZ")
    target = processed / WORKBOOK
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    counts = []
    areas: list[tuple[int, int]] = []  # per table sheet: the columns and rows its print area takes
    try:
        rendered = dict(rendered or {})
        rendered.update(render_sheets(processed, [name for name in spec() if name not in rendered], work))
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=COMPRESS_LEVEL) as z:
            i = 1  # sheet1 is the 说明 sheet
            for name, t in spec().items():
                parts, n, cols = rendered[name]
                titles = sheet_titles(t.get("zh", name), len(parts))
                for sheet in parts:
                    i += 1
                    _add_deflated(z, f"xl/worksheets/sheet{i}.xml", sheet)
                counts.append((titles, name, t, n))
                limit = EXCEL_ROWS - HEADER_ROWS
                areas += [(cols, HEADER_ROWS + max(1, min(limit, n - k * limit))) for k in range(len(titles))]
            _add(z, "xl/worksheets/sheet1.xml", _about(counts))
            for part, xml in _package(["说明"] + [s for c in counts for s in c[0]], stamp, areas).items():
                _add(z, part, xml)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
        if own:
            shutil.rmtree(work, ignore_errors=True)
    return target


def _info(name: str, size: int) -> zipfile.ZipInfo:
    """A part's entry with a fixed timestamp, so equal workbooks are equal bytes."""
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o600 << 16
    info.file_size = size  # as writestr sets it: a part of 2 GB or more gets ZIP64 sizes
    if hasattr(info, "compress_level"):  # Python 3.13 on
        info.compress_level = COMPRESS_LEVEL
    else:
        info._compresslevel = COMPRESS_LEVEL  # type: ignore[attr-defined]
    return info


def _add(z: zipfile.ZipFile, name: str, xml: str) -> None:
    data = xml.encode("utf-8")
    with z.open(_info(name, len(data)), "w") as f:
        f.write(data)


COPY_CHUNK = 1 << 20  # bytes of a compressed sheet copied at a time


def _add_deflated(z: zipfile.ZipFile, name: str, part: Part) -> None:
    """A sheet compressed already (`_Deflated`) as entry NAME: the same bytes as `_add` of its
    XML would write (zipfile compresses an entry with the same zlib settings; it writes the
    header, the data, then the header again with the CRC and sizes, which are known here), a
    chunk at a time. zipfile has no call for data compressed elsewhere: this does what its
    writer does (ZipFile.open(..., "w") and its close), on the same attributes."""
    path, size, crc = part
    info = _info(name, size)
    info.CRC = crc
    info.compress_size = os.path.getsize(path)
    info.flag_bits = 0
    zip64 = size * 1.05 > zipfile.ZIP64_LIMIT  # as ZipFile.open(..., "w") decides from file_size
    fp = z.fp
    if fp is None or z._writing:  # type: ignore[attr-defined]
        raise ValueError("the workbook is closed, or another of its entries is being written")
    fp.seek(z.start_dir)
    info.header_offset = fp.tell()
    z._writecheck(info)  # type: ignore[attr-defined]
    z._didModify = True  # type: ignore[attr-defined]
    fp.write(info.FileHeader(zip64))
    with open(path, "rb") as src:
        shutil.copyfileobj(src, fp, COPY_CHUNK)
    z.start_dir = fp.tell()
    z.filelist.append(info)
    z.NameToInfo[info.filename] = info
