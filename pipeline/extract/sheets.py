"""Excel workbooks (.xlsx through openpyxl, .xls through xlrd): each visible sheet, one page.

A sheet is read as a grid of values: merged ranges are one cell spanning their rows and
columns, a line break inside a cell ends a paragraph, numbers stored as numbers read as
printed (序号 1.0 is 1), hidden sheets, rows and columns are not printed and not read.
Rows are cut into tables: an empty row ends one, and a header row (序号 … 事项名称, the
wording of pipeline/rules/lists.toml) starts one, so a sheet may hold several lists. The
one-cell rows directly above a header (a title merged across the table, a 单位 line) and at the
top of a block are free text above the table, where the clean stage looks for list titles.

Why xlrd for .xls: it is the reference reader of the BIFF format (it also reads BIFF5 files
from old Excel and WPS), and with formatting_info it gives merged ranges, hidden rows,
columns and sheets, and font sizes; python-calamine is faster but gives neither hidden rows
and columns nor fonts, and a list workbook is small enough for speed not to matter.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import datetime as dt
from pathlib import Path
import zipfile

from pipeline.common.records import PageRecord
from pipeline.common.sources import RejectedFile
from pipeline.common.text import header_roles
from pipeline.extract.office_layout import Block, Cell, Para, Table, page_record

DEFAULT_SIZE = 11.0  # Excel's default font size, pt
CHAR_WIDTH = 5.25  # pt per unit of Excel column width (one digit of the default font)


@dataclass
class Sheet:
    """A sheet's visible content: values by (row, column), merged ranges, sizes, widths."""

    name: str
    values: dict[tuple[int, int], str] = field(default_factory=dict)
    sizes: dict[tuple[int, int], float] = field(default_factory=dict)
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)  # r0, r1, c0, c1 (exclusive)
    widths: dict[int, float] = field(default_factory=dict)  # column → pt
    hidden_rows: set[int] = field(default_factory=set)
    hidden_cols: set[int] = field(default_factory=set)


def cell_text(value) -> str:
    """A stored value as printed: whole numbers without .0, dates as dates, text as is."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else format(value, ".15g")
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value).replace("_x000D_", "")


def paragraphs_of(text: str, size: float) -> list[Para]:
    """A cell's paragraphs: its lines (Alt+Enter breaks), empty ones dropped."""
    return [
        Para(line, size)
        for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        if line.strip()
    ]


# --- readers --------------------------------------------------------------------------------------


def read_xlsx(path: Path, z: zipfile.ZipFile) -> list[PageRecord]:
    """Page records of an .xlsx whose ZIP container `z` passed the size checks."""
    import openpyxl
    from openpyxl.utils import column_index_from_string

    try:
        wb = openpyxl.load_workbook(path, data_only=True, read_only=False)  # z: checked container
    except MemoryError:  # over the memory budget: the budget says so, in words
        raise
    except Exception as exc:
        raise RejectedFile(f"unreadable Excel workbook ({type(exc).__name__}: {str(exc)[:120]})") from None
    sheets = []
    for ws in wb.worksheets:
        if ws.sheet_state != "visible" or not hasattr(ws, "merged_cells"):
            continue
        sheet = Sheet(ws.title)
        for key, dim in ws.column_dimensions.items():
            lo = dim.min or column_index_from_string(key)
            hi = dim.max or lo
            for c in range(lo - 1, min(hi, lo + 16384)):
                if dim.hidden:
                    sheet.hidden_cols.add(c)
                if dim.width:
                    sheet.widths[c] = dim.width * CHAR_WIDTH
        sheet.hidden_rows = {r - 1 for r, dim in ws.row_dimensions.items() if dim.hidden}
        for rng in ws.merged_cells.ranges:
            sheet.merges.append((rng.min_row - 1, rng.max_row, rng.min_col - 1, rng.max_col))
        for row in ws.iter_rows():
            for cell in row:
                text = cell_text(cell.value)
                if text.strip():
                    key = (cell.row - 1, cell.column - 1)
                    sheet.values[key] = text
                    sheet.sizes[key] = float(cell.font.sz or DEFAULT_SIZE) if cell.font else DEFAULT_SIZE
        sheets.append(sheet)
    wb.close()
    return sheet_pages(sheets)


def read_xls(path: Path) -> list[PageRecord]:
    """Page records of a legacy .xls (BIFF) workbook."""
    import xlrd

    try:
        book = xlrd.open_workbook(file_contents=path.read_bytes(), formatting_info=True, logfile=_Null())
    except MemoryError:  # over the memory budget: the budget says so, in words
        raise
    except Exception as exc:
        if "encrypt" in str(exc).lower():
            raise RejectedFile("password-protected Excel workbook (remove the password and rerun)") from None
        raise RejectedFile(f"unreadable Excel workbook ({type(exc).__name__}: {str(exc)[:120]})") from None
    sheets = []
    for sh in book.sheets():
        if sh.visibility != 0:
            continue
        sheet = Sheet(sh.name)
        sheet.hidden_rows = {r for r, info in sh.rowinfo_map.items() if info.hidden}
        sheet.hidden_cols = {c for c, info in sh.colinfo_map.items() if info.hidden}
        sheet.widths = {c: info.width / 256 * CHAR_WIDTH for c, info in sh.colinfo_map.items() if info.width}
        sheet.merges = [(r0, r1, c0, c1) for r0, r1, c0, c1 in sh.merged_cells]
        for r in range(sh.nrows):
            for c in range(sh.ncols):
                cell = sh.cell(r, c)
                value = cell.value
                if cell.ctype == xlrd.XL_CELL_DATE:
                    try:
                        value = xlrd.xldate_as_datetime(value, book.datemode)
                    except Exception:
                        pass
                elif cell.ctype == xlrd.XL_CELL_BOOLEAN:
                    value = bool(value)
                elif cell.ctype in (xlrd.XL_CELL_ERROR, xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
                    value = None
                text = cell_text(value)
                if text.strip():
                    sheet.values[(r, c)] = text
                    sheet.sizes[(r, c)] = _xls_size(book, cell.xf_index)
        sheets.append(sheet)
    return sheet_pages(sheets)


class _Null:
    def write(self, *args) -> None:
        pass


def _xls_size(book, xf_index: int | None) -> float:
    try:
        return book.font_list[book.xf_list[xf_index].font_index].height / 20
    except (IndexError, TypeError, AttributeError):
        return DEFAULT_SIZE


# --- a sheet's grid → tables and text ---------------------------------------------------------------


def sheet_pages(sheets: list[Sheet]) -> list[PageRecord]:
    """One page record per visible sheet that holds anything."""
    pages: list[PageRecord] = []
    for sheet in sheets:
        blocks = sheet_blocks(sheet)
        if blocks:
            pages.append(page_record(len(pages) + 1, blocks))
    if not pages:
        raise RejectedFile("empty workbook (no visible sheet holds any value)")
    return pages


@dataclass
class _Span:
    r0: int
    r1: int
    c0: int
    c1: int
    text: str
    size: float


def sheet_blocks(sheet: Sheet) -> list[Block]:
    """A sheet's content, top to bottom, as free paragraphs and tables."""
    rows = [r for r in range(max((r for r, _ in sheet.values), default=-1) + 1) if r not in sheet.hidden_rows]
    cols = [c for c in range(max((c for _, c in sheet.values), default=-1) + 1) if c not in sheet.hidden_cols]
    row_at = {r: i for i, r in enumerate(rows)}
    col_at = {c: i for i, c in enumerate(cols)}
    spans = _spans(sheet, rows, cols, row_at, col_at)
    widths = [sheet.widths.get(c, 0.0) for c in cols]
    starting: dict[int, list[_Span]] = {}
    for s in spans:
        starting.setdefault(s.r0, []).append(s)
    blocks: list[Block] = []
    i = 0
    while i < len(rows):
        if i not in starting:
            i += 1
            continue
        end = reach = i  # a block: rows up to the first one that no value starts in or reaches into
        while end < len(rows) and (end in starting or end < reach):
            for s in starting.get(end, ()):
                reach = max(reach, s.r1)
            end += 1
        blocks.extend(_block(i, end, starting, widths))
        i = end
    return blocks


def _spans(sheet, rows, cols, row_at, col_at) -> list[_Span]:
    """Visible cells: merged ranges as one span (the value of their top-left cell), other
    non-empty cells alone."""
    covered: set[tuple[int, int]] = set()
    spans = []
    for r0, r1, c0, c1 in sheet.merges:
        vis_r = [row_at[r] for r in range(r0, r1) if r in row_at]
        vis_c = [col_at[c] for c in range(c0, c1) if c in col_at]
        covered.update((r, c) for r in range(r0, r1) for c in range(c0, c1))
        text = sheet.values.get((r0, c0), "")
        if not vis_r or not vis_c:
            continue
        spans.append(
            _Span(
                vis_r[0],
                vis_r[-1] + 1,
                vis_c[0],
                vis_c[-1] + 1,
                text,
                sheet.sizes.get((r0, c0), DEFAULT_SIZE),
            )
        )
    for (r, c), text in sheet.values.items():
        if (r, c) not in covered and r in row_at and c in col_at:
            spans.append(_Span(row_at[r], row_at[r] + 1, col_at[c], col_at[c] + 1, text, sheet.sizes[(r, c)]))
    return sorted(spans, key=lambda s: (s.r0, s.c0))


def _is_header(row: list[_Span]) -> bool:
    return header_roles([(i, s.text) for i, s in enumerate(row) if s.text.strip()]) is not None


def _block(first: int, end: int, starting: dict[int, list[_Span]], widths: list[float]) -> list[Block]:
    """Rows first..end-1 (no empty row among them): tables cut at header rows, the one-value
    rows at the block's top and right above each header as free text."""

    def banner_end(r: int) -> int | None:
        """The row after a banner starting at row r: one value (a title, a 单位 line), which may
        be merged down over rows where nothing else starts; None if row r is no banner."""
        row = [s for s in starting.get(r, []) if s.text.strip()]
        if len(row) != 1:
            return None
        stop = max(s.r1 for s in starting[r])
        if stop > end or any(k in starting for k in range(r + 1, stop)):
            return None
        return stop

    segments: list[tuple[int, int]] = []  # (first text row, first table row)
    previous = first - 1
    for h in range(first, end):
        if h in starting and _is_header(starting[h]):
            top = h
            r = top - 1
            while r > previous:
                if banner_end(r) == top:
                    top = r
                elif r in starting:
                    break
                r -= 1
            segments.append((top, h))
            previous = h
    if not segments or segments[0][0] > first:
        limit = segments[0][0] if segments else end
        top = first
        while top < limit and (stop := banner_end(top)) is not None and stop <= limit:
            top = stop
        segments.insert(0, (first, top))
    out: list[Block] = []
    for k, (text_start, table_start) in enumerate(segments):
        table_end = segments[k + 1][0] if k + 1 < len(segments) else end
        paras = [
            Para(s.text.replace("\n", ""), s.size)
            for r in range(text_start, table_start)
            for s in starting.get(r, ())
            if s.text.strip()
        ]
        if paras:
            out.append(paras)
        table = _grid(range(table_start, table_end), starting, widths)
        if table is not None:
            out.append(table)
    return out


def _grid(rows: range, starting: dict[int, list[_Span]], widths: list[float]) -> Table | None:
    """The rows as a table on their own grid, every empty slot an empty cell."""
    spans = [s for r in rows for s in starting.get(r, ())]
    if not spans:
        return None
    r_off = rows.start
    c0 = min(s.c0 for s in spans)
    c1 = max(s.c1 for s in spans)
    taken: set[tuple[int, int]] = set()
    cells = []
    for s in spans:
        r1 = min(s.r1, rows.stop)
        cells.append(Cell(s.r0 - r_off, r1 - r_off, s.c0 - c0, s.c1 - c0, paragraphs_of(s.text, s.size)))
        taken.update((r, c) for r in range(s.r0, r1) for c in range(s.c0, s.c1))
    for r in rows:
        for c in range(c0, c1):
            if (r, c) not in taken:
                cells.append(Cell(r - r_off, r - r_off + 1, c - c0, c - c0 + 1, []))
    return Table(widths[c0:c1], cells)
