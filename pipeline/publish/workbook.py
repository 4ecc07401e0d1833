"""duty_lists.xlsx: the tables as one Excel/WPS workbook, for people who work in a spreadsheet.

A first sheet 说明 says what each sheet holds; then one sheet per table, named in Chinese. Row 1 holds
the Chinese column names (schema.toml `zh`), row 2 the English column names of the Parquet/CSV tables;
both stay frozen while scrolling. A coded column (disposition, side, ...) is followed by its Chinese
label. List cells are joined by 、, multi-paragraph cells keep their line breaks (wrapped, top-aligned),
columns are as wide as their content up to a limit. The file is the same bytes for the same tables
(fixed timestamps inside), so reruns do not change it.
"""

from __future__ import annotations

from datetime import datetime
import io
import math
import os
from pathlib import Path
import re
import unicodedata
import zipfile

from pipeline.normalize.schema import build_info, separator, spec
from pipeline.publish.cells import batches

WORKBOOK = "duty_lists.xlsx"
MAX_WIDTH = 60  # characters of a Latin font; a CJK character counts 2
MIN_WIDTH = 6
EXCEL_ROWS = 1_048_576
EXCEL_CELL = 32_767
HEADER_ROWS = 2
WIDTH_SAMPLE = 5_000  # rows looked at to size a column
LINE_HEIGHT = 16  # points per line of a wrapped cell (CJK glyphs are taller than Latin ones)
MAX_HEIGHT = 409  # Excel's largest row height, in points


def display_width(text: str) -> int:
    """Width of the longest line of TEXT, CJK (wide) characters counting 2."""
    return max(
        (
            sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line)
            for line in text.split("\n")
        ),
        default=0,
    )


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
    return sum(max(1, math.ceil(display_width(par) / usable)) for par in text.split("\n"))


def cell_value(value, column: dict):
    """A Parquet value as a workbook cell value."""
    col = column["source"]
    if value is None:
        return None
    if column["label"]:
        return col["labels"].get(value, value)
    if col["type"].startswith("list"):
        return separator(col).join(str(v) for v in value)
    if isinstance(value, str):
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        if len(value) > EXCEL_CELL:
            value = value[: EXCEL_CELL - 1] + "…"
    return value


def _layout(parquet: Path, columns: list[dict]) -> tuple[list[int], list[bool], int]:
    """Column widths, which columns wrap (long or multi-line text), and the number of rows."""
    widths = [max(display_width(c["zh"]), display_width(c["name"])) for c in columns]
    wrap = [False] * len(columns)
    n = 0
    for row in batches(parquet):
        if n < WIDTH_SAMPLE:
            for i, c in enumerate(columns):
                v = cell_value(row[c["source"]["name"]], c)
                if isinstance(v, str):
                    w = display_width(v)
                    widths[i] = max(widths[i], w)
                    wrap[i] = wrap[i] or "\n" in v or w > MAX_WIDTH
                elif v is not None:
                    widths[i] = max(widths[i], len(str(v)))
        n += 1
    return [min(MAX_WIDTH, max(MIN_WIDTH, w + 2)) for w in widths], wrap, n


def _write_sheet(wb, title: str, parquet: Path, table_spec: dict, styles: dict) -> tuple[int, int]:
    """One table's sheet; returns (rows in the table, rows written)."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.utils import get_column_letter

    columns = sheet_columns(table_spec)
    widths, wrap, n = _layout(parquet, columns)
    ws = wb.create_sheet(title)
    ws.freeze_panes = f"A{HEADER_ROWS + 1}"
    for i, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = w

    def styled(value, style):
        cell = WriteOnlyCell(ws, value=value)
        cell.font, cell.fill, cell.alignment = style
        return cell

    ws.append([styled(c["zh"], styles["zh"]) for c in columns])
    ws.append([styled(c["name"], styles["en"]) for c in columns])
    limit = EXCEL_ROWS - HEADER_ROWS
    written = 0
    for row in batches(parquet):
        if written == limit:
            break
        values = []
        lines = 1
        for c, w, width in zip(columns, wrap, widths, strict=True):
            v = cell_value(row[c["source"]["name"]], c)
            if w and isinstance(v, str):
                lines = max(lines, wrapped_lines(v, width))
                cell = WriteOnlyCell(ws, value=v)
                cell.alignment = styles["wrap"]
                v = cell
            values.append(v)
        if lines > 1:  # spreadsheet programs do not all grow a row to its wrapped text on opening
            height = min(MAX_HEIGHT, LINE_HEIGHT * lines)
            ws.row_dimensions[HEADER_ROWS + written + 1] = {"ht": str(height), "customHeight": "1"}
        ws.append(values)
        written += 1
    return n, written


def _styles() -> dict:
    from openpyxl.styles import Alignment, Font, PatternFill

    head = Alignment(vertical="top", wrap_text=True)
    return {
        "zh": (Font(bold=True), PatternFill("solid", fgColor="DDEBF7"), head),
        "en": (Font(italic=True, color="595959"), PatternFill("solid", fgColor="F2F2F2"), head),
        "wrap": Alignment(vertical="top", wrap_text=True),
    }


def _about(wb, counts: list[tuple[str, str, dict, int, int]], styles: dict) -> None:
    """The first sheet: what the workbook is and what each sheet holds."""
    from openpyxl.cell import WriteOnlyCell

    info = build_info()
    ws = wb.create_sheet("说明", 0)
    for letter, width in zip("ABCDE", (22, 26, 10, 90, 30), strict=True):
        ws.column_dimensions[letter].width = width
    ws.append(["乡镇履职事项清单：数据表（duty lists: tables）"])
    ws.append([f"版本 version {info['version']}，生成日期 build date {info['build_date']}"])
    ws.append(
        [
            "每个工作表一张表：第 1 行为中文列名，第 2 行为英文列名（与 Parquet、CSV 文件相同）；"
            "列表单元格以“、”分隔，多段文字以换行分段；各列含义见 CODEBOOK.md。"
        ]
    )
    ws.append([])
    header = ["工作表 sheet", "表名 table", "行数 rows", "说明 description", "备注 note"]
    ws.append([WriteOnlyCell(ws, value=h) for h in header])
    for title, name, t, n, written in counts:
        note = "" if written == n else f"仅前 {written} 行（Excel 行数上限）；完整数据见 csv/{name}.csv"
        ws.append([title, name, n, t["description"], note])
    del styles


def write_workbook(processed: Path) -> Path:
    """Write PROCESSED/duty_lists.xlsx from the Parquet tables; replace it atomically."""
    from openpyxl import Workbook

    styles = _styles()
    wb = Workbook(write_only=True)
    stamp = datetime.fromisoformat(build_info()["build_date"])
    wb.properties.created = wb.properties.modified = stamp
    wb.properties.creator = "duty-lists pipeline"
    counts = []
    for name, t in spec().items():
        title = t.get("zh", name)[:31]
        n, written = _write_sheet(wb, title, processed / f"{name}.parquet", t, styles)
        counts.append((title, name, t, n, written))
    _about(wb, counts, styles)
    buffer = io.BytesIO()
    wb.save(buffer)
    target = processed / WORKBOOK
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(_fixed_zip(buffer.getvalue(), stamp))
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target


def _fixed_zip(data: bytes, stamp: datetime) -> bytes:
    """The same zip with every member's timestamp fixed and the document's modified time set to the
    build date (openpyxl writes the time of saving), so equal workbooks are equal bytes."""
    out = io.BytesIO()
    modified = re.compile(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)")
    when = stamp.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                body = modified.sub(rb"\g<1>" + when + rb"\g<2>", body)
            dst.writestr(fixed, body)
    return out.getvalue()
