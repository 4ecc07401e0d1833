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
import math
import os
from pathlib import Path
import re
import unicodedata
import zipfile

from pipeline.normalize.schema import build_info, list_item_text, separator, spec

WORKBOOK = "duty_lists.xlsx"
MAX_WIDTH = 60  # characters of a Latin font; a CJK character counts 2
MIN_WIDTH = 6
EXCEL_ROWS = 1_048_576
EXCEL_CELL = 32_767
HEADER_ROWS = 2
WIDTH_SAMPLE = 5_000  # rows looked at to size a column
LINE_HEIGHT = 16  # points per line of a wrapped cell (CJK glyphs are taller than Latin ones)
MAX_HEIGHT = 409  # Excel's largest row height, in points
BATCH = 10_000  # rows read from Parquet at a time (memory stays flat)

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


def sheet_columns(table_spec: dict) -> list[dict]:
    """The sheet's columns: every table column, each coded one followed by its Chinese label."""
    out = []
    for col in table_spec["columns"]:
        out.append({"name": col["name"], "zh": col.get("zh", col["name"]), "source": col, "label": False})
        if "labels" in col:
            out.append(
                {
                    "name": f"{col['name']}_label",
                    "zh": f"{col.get('zh', col['name'])}（中文）",
                    "source": col,
                    "label": True,
                }
            )
    return out


def wrapped_lines(text: str, width: float) -> int:
    """Lines TEXT takes in a wrapped cell WIDTH characters wide (each paragraph starts a line)."""
    usable = max(1.0, width - 1)
    return sum(max(1, math.ceil(_line_width(par) / usable)) for par in text.split("\n"))


def cell_value(value, column: dict):
    """A Parquet value as a workbook cell value."""
    col = column["source"]
    if value is None:
        return None
    if column["label"]:
        return col["labels"].get(value, value)
    if col["type"].startswith("list"):
        return separator(col).join(list_item_text(v) for v in value)
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        if len(value) > EXCEL_CELL:
            value = value[: EXCEL_CELL - 1] + "…"
    return value


def _column_cells(values: list, column: dict) -> list:
    """`cell_value` of every value of one column, deciding by the column's type once."""
    col = column["source"]
    if column["label"]:
        labels = col["labels"]
        return [None if v is None else labels.get(v, v) for v in values]
    if col["type"].startswith("list"):
        sep = separator(col)
        return [None if v is None else sep.join([list_item_text(x) for x in v]) for v in values]
    if col["type"] != "string":
        return [cell_value(v, column) for v in values]
    texts = [v for v in values if v is not None]
    if ILLEGAL_CHARACTERS_RE.search("\n".join(texts)) or any(len(v) > EXCEL_CELL for v in texts):
        return [cell_value(v, column) for v in values]
    return values


def _column_values(parquet: Path, columns: list[dict]):
    """The sheet's values, a batch at a time: for each batch, one list of cell values per column."""
    import pyarrow.parquet as pq

    with pq.ParquetFile(parquet) as f:
        for batch in f.iter_batches(batch_size=BATCH):
            data = batch.to_pydict()
            yield [_column_cells(data[c["source"]["name"]], c) for c in columns]


def _layout(batches: Iterator[list[list]], columns: list[dict]) -> tuple[list[int], list[bool], list]:
    """Column widths and which columns wrap (long or multi-line text), from the first
    WIDTH_SAMPLE rows; returns the batches it read, to be written."""
    widths = [max(display_width(c["zh"]), display_width(c["name"])) for c in columns]
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


_STYLE_ZH, _STYLE_EN, _STYLE_WRAP = 1, 2, 3  # cellXfs of STYLES
_SHEET_START = (
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetPr>'
    '<outlinePr summaryBelow="1" summaryRight="1"/><pageSetUpPr/></sheetPr><sheetViews>'
    '<sheetView workbookViewId="0">{pane}</sheetView></sheetViews>'
    '<sheetFormatPr baseColWidth="8" defaultRowHeight="15"/><cols>{cols}</cols><sheetData>'
)
_FROZEN = (
    '<pane ySplit="{n}" topLeftCell="A{top}" activePane="bottomLeft" state="frozen"/>'
    '<selection pane="bottomLeft" activeCell="A1" sqref="A1"/>'
)
_SHEET_END = (
    '</sheetData><pageMargins left="0.75" right="0.75" top="1" bottom="1" header="0.5" footer="0.5"/>'
    "</worksheet>"
)


def _sheet_start(widths: list[int], frozen: int) -> str:
    cols = "".join(
        f'<col width="{w}" customWidth="1" min="{i}" max="{i}"/>' for i, w in enumerate(widths, start=1)
    )
    pane = _FROZEN.format(n=frozen, top=frozen + 1) if frozen else '<selection activeCell="A1" sqref="A1"/>'
    return _SHEET_START.format(pane=pane, cols=cols)


def _row(r: int, cells: list[str], height: int | None = None) -> str:
    ht = f' ht="{height}" customHeight="1"' if height is not None else ""
    return f'<row r="{r}"{ht}>{"".join(cells)}</row>'


def _sheet(parquet: Path, table_spec: dict) -> tuple[list[str], int, int]:
    """One table's sheet as XML pieces; returns (pieces, rows in the table, rows written)."""
    import pyarrow.parquet as pq

    columns = sheet_columns(table_spec)
    with pq.ParquetFile(parquet) as f:
        n = f.metadata.num_rows
    batches = _column_values(parquet, columns)
    widths, wrap, head = _layout(batches, columns)
    letters = [_letter(i) for i in range(1, len(columns) + 1)]
    out = [_sheet_start(widths, HEADER_ROWS)]
    out.append(_row(1, [_cell(f"{x}1", c["zh"], _STYLE_ZH) for x, c in zip(letters, columns, strict=True)]))
    out.append(_row(2, [_cell(f"{x}2", c["name"], _STYLE_EN) for x, c in zip(letters, columns, strict=True)]))
    limit = EXCEL_ROWS - HEADER_ROWS
    written = 0
    caches: list[dict] = [{} for _ in columns]
    for values in itertools.chain(head, batches):
        # Column by column: a wrapping column's strings are styled and counted in lines.
        tails = []
        counts = []
        for column, w, width, cache in zip(values, wrap, widths, caches, strict=True):
            if w:  # only text columns wrap (their values are strings or empty)
                tails.append(_tails(column, _STYLE_WRAP, cache))
                counts.append([wrapped_lines(v, width) if isinstance(v, str) else 1 for v in column])
            else:
                tails.append(_tails(column, 0, cache))
        named = list(zip(letters, tails, strict=True))
        for j in range(len(values[0]) if values else 0):
            if written == limit:
                break
            r = HEADER_ROWS + written + 1
            cells = [f'<c r="{x}{r}"{t[j]}' for x, t in named if t[j] is not None]
            lines = max([c[j] for c in counts], default=1)
            # Spreadsheet programs do not all grow a row to its wrapped text on opening.
            out.append(_row(r, cells, min(MAX_HEIGHT, LINE_HEIGHT * lines) if lines > 1 else None))
            written += 1
    out.append(_SHEET_END)
    return out, n, written


def _about(counts: list[tuple[str, str, dict, int, int]]) -> list[str]:
    """The first sheet: what the workbook is and what each sheet holds."""
    info = build_info()
    rows: list[list] = [
        ["乡镇履职事项清单：数据表（duty lists: tables）"],
        [f"版本 version {info['version']}，生成日期 build date {info['build_date']}"],
        [
            "每个工作表一张表：第 1 行为中文列名，第 2 行为英文列名（与 Parquet、CSV 文件相同）；"
            "列表单元格以“、”分隔，多段文字以换行分段；各列含义见 CODEBOOK.md。"
        ],
        [],
        ["工作表 sheet", "表名 table", "行数 rows", "说明 description", "备注 note"],
    ]
    for title, name, t, n, written in counts:
        note = "" if written == n else f"仅前 {written} 行（Excel 行数上限）；完整数据见 csv/{name}.csv"
        rows.append([title, name, n, t["description"], note])
    out = [_sheet_start([22, 26, 10, 90, 30], 0)]
    for r, row in enumerate(rows, start=1):
        out.append(
            _row(r, [_cell(f"{_letter(i)}{r}", v) for i, v in enumerate(row, start=1) if v is not None])
        )
    out.append(_SHEET_END)
    return out


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
    'fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" '
    'borderId="0" pivotButton="0" quotePrefix="0" xfId="0"/><xf numFmtId="0" fontId="1" fillId="2" '
    'borderId="0" applyAlignment="1" pivotButton="0" quotePrefix="0" xfId="0"><alignment vertical="top" '
    'wrapText="1"/></xf><xf numFmtId="0" fontId="2" fillId="3" borderId="0" applyAlignment="1" '
    'pivotButton="0" quotePrefix="0" xfId="0"><alignment vertical="top" wrapText="1"/></xf>'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" applyAlignment="1" pivotButton="0" '
    'quotePrefix="0" xfId="0"><alignment vertical="top" wrapText="1"/></xf></cellXfs><cellStyles '
    'count="1"><cellStyle name="Normal" xfId="0" builtinId="0" hidden="0"/></cellStyles><tableStyles '
    'count="0" defaultTableStyle="TableStyleMedium9" defaultPivotStyle="PivotStyleLight16"/>'
    "</styleSheet>"
)


def _package(titles: list[str], stamp: str) -> dict[str, str]:
    """The workbook's other parts: content types, relationships, properties, workbook, styles."""
    n = len(titles)
    sheets = "".join(
        f'<sheet xmlns:r="{_NS_REL}" name="{_escape(t).replace(chr(34), "&quot;")}" sheetId="{i}" '
        f'state="visible" r:id="rId{i}"/>'
        for i, t in enumerate(titles, start=1)
    )
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
            f'</bookViews><sheets>{sheets}</sheets><definedNames/><calcPr calcId="124519" '
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


Rendered = dict[str, tuple[str, int, int]]  # table → (its sheet's XML, rows in the table, rows written)


def render_sheets(processed: Path, names: list[str]) -> Rendered:
    """The sheets of these tables as XML (a part of the workbook another process may render)."""
    tables = spec()
    out: Rendered = {}
    for name in names:
        pieces, n, written = _sheet(processed / f"{name}.parquet", tables[name])
        out[name] = ("".join(pieces), n, written)
    return out


# How the sheets are shared between a helper process and the caller, which also writes the CSV
# files and packs the workbook: the helper takes the largest sheets up to HELPER_SHARE of the
# work, a sheet's work being its tables' data (bytes, from the Parquet metadata) plus
# SHEET_BYTES for what any sheet costs (about 4 ms, as much as rendering 8 kB of data).
HELPER_SHARE = 0.7
SHEET_BYTES = 8_000


def split_sheets(processed: Path) -> tuple[list[str], list[str]]:
    """The tables whose sheets a helper process renders and those the caller renders after
    writing the CSV files, so that both finish at about the same time (see HELPER_SHARE)."""
    import pyarrow.parquet as pq

    sizes = {}
    for name in spec():
        with pq.ParquetFile(processed / f"{name}.parquet") as f:
            meta = f.metadata
            data = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
        sizes[name] = SHEET_BYTES + data
    total = sum(sizes.values())
    helper: list[str] = []
    taken = 0
    for name in sorted(sizes, key=lambda k: (-sizes[k], k)):
        if taken >= HELPER_SHARE * total:
            break
        helper.append(name)
        taken += sizes[name]
    return helper, [name for name in spec() if name not in helper]


def finish_workbook(processed: Path, names: list[str], inbox: Callable[[], Rendered]) -> Path:
    """Render the sheets of these tables, take the other sheets from INBOX (rendered by another
    process meanwhile) and write the workbook."""
    rendered = render_sheets(processed, names)
    rendered.update(inbox())
    return write_workbook(processed, rendered)


def write_workbook(processed: Path, rendered: Rendered | None = None) -> Path:
    """Write PROCESSED/duty_lists.xlsx from the Parquet tables (sheets already RENDERED are
    used as they are); replace it atomically."""
    stamp = datetime.fromisoformat(build_info()["build_date"]).strftime("%Y-%m-%dT%H:%M:%SZ")
    rendered = dict(rendered or {})
    rendered.update(render_sheets(processed, [name for name in spec() if name not in rendered]))
    target = processed / WORKBOOK
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    counts = []
    try:
        # Level 1: the sheets' XML is repetitive, so it packs nearly as small, 3 times faster.
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
            for i, (name, t) in enumerate(spec().items(), start=2):  # sheet1 is the 说明 sheet
                title = t.get("zh", name)[:31]
                xml, n, written = rendered[name]
                _add(z, f"xl/worksheets/sheet{i}.xml", xml)
                counts.append((title, name, t, n, written))
            _add(z, "xl/worksheets/sheet1.xml", "".join(_about(counts)))
            for part, xml in _package(["说明"] + [c[0] for c in counts], stamp).items():
                _add(z, part, xml)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target


def _add(z: zipfile.ZipFile, name: str, xml: str) -> None:
    """A part with a fixed timestamp, so equal workbooks are equal bytes."""
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o600 << 16
    z.writestr(info, xml.encode("utf-8"), compresslevel=1)
