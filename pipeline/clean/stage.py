"""Stage 2, clean: extracted cells → one record per duty-list item, text right to the character.

Per source file, page by page:
- page furniture goes: titles (kept as the list's identity), repeated header rows, page
  footers (第 N 页，共 M 页), cover and notice pages without a duty-list table;
- each table is identified by its header row (or, without one, as the continuation of the
  table before it, or by its title), and its columns get roles from the header wording;
- a row that a page break split (its 序号 cell is empty) joins the item above it; an item
  printed as two rows with （未完见下页）/（续上页） becomes one (a cell printed the same in both
  counts once, otherwise the texts follow each other); a vertically merged 事项类别 cell gives
  its value to every item it spans, also across a page break;
- cell lines become text: wrapped lines joined, paragraphs recovered (pipeline.clean.paragraphs).

Run alone: python -m pipeline.clean --processed data/processed
Explain one file: python -m pipeline.clean --explain FILE [--page N] [--picture OUT.png] (pipeline.clean.explain)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
import hashlib
from pathlib import Path
import sys
from typing import cast

from pipeline.clean.conservation import Tally, tally
from pipeline.clean.dates import document_date
from pipeline.clean.paragraphs import Line, single_value
from pipeline.clean.stitch import Item, ListReader, RowDecision, item_confidence, seq_number, value
from pipeline.clean.wording import (
    area_from_title,
    cut_off_pages,
    default_roles,
    header_roles,
    identity_from_title,
    is_footer,
    list_for_roles,
    list_for_title,
    looks_like_title,
    parse_place,
    title_of_block,
)
from pipeline.common import cli
from pipeline.common.columns import (
    VALUES,
    Column,
    extra_header,
    extra_role,
    fields,
    kept_as_extra,
    registry,
    required_fields,
)
from pipeline.common.controls import scrub_note, scrub_records
from pipeline.common.entries import SourceEntry, carried
from pipeline.common.failures import content_failure, technical
from pipeline.common.lookalikes import fold_records
from pipeline.common.ocr_fix import fix_document
from pipeline.common.parallel import map_ordered
from pipeline.common.records import Cell, PageRecord, Table, TextLine, load_extracted
from pipeline.common.rules import RulesError, load, rules_path
from pipeline.common.settings import CleanSettings, settings_bytes
from pipeline.common.storage import (
    CLEAN_MANIFEST,
    EXTRACT_MANIFEST,
    build_dir,
    import_arrow,
    prune_cache,
    read_json,
    read_manifest,
    rows_to_arrow,
    stage_version,
    sync_folder,
    write_json,
    write_parquet,
)
from pipeline.common.text import split_department_list

MANIFEST = CLEAN_MANIFEST


RULES = (
    "lists",
    "text",
    "admin_units",
    "lookalikes",
    "ocr",
)  # rules files (pipeline/rules/*.toml) this stage reads


def version(settings: CleanSettings) -> str:
    """Changes whenever this stage's code, its rules or its settings change."""
    return stage_version("clean", RULES, settings_bytes(settings))


# --- data shapes -----------------------------------------------------------------------------


@dataclass
class Context:
    """The list being read: its kind, column roles, township and title."""

    kind: str
    roles: dict[int, str]
    n_columns: int
    place: dict | None
    title: str
    role_spans: list[tuple[float, float, str]]  # header x-ranges, for tables with other grids


@dataclass
class DocumentResult:
    items: list[Item]
    notes: list[str]
    decisions: list[RowDecision] = field(default_factory=list)  # per table row: kind and reason
    problems: list[dict] = field(default_factory=list)  # {kind, page, list, message}: tables not read
    tally: Tally = field(default_factory=Tally)  # text conservation: characters in list tables, placed, lost


# --- geometry helpers -------------------------------------------------------------------------


def text_edges(records: list[PageRecord], settings: CleanSettings) -> dict:
    """Right text edge of each column, keyed by the column's rounded right border.

    A wrapped line fills its cell up to the edge, less than one character short. The edge is
    the farthest any line of that column reaches; a column with too few multi-line cells to
    tell uses the cell border minus the document's usual padding (key "pad").
    """
    multi = [c for rec in records for t in rec["tables"] for c in t["cells"] if len(c["lines"]) >= 2]
    pads = sorted(c["x1"] - max(line["x1"] for line in c["lines"]) for c in multi)
    pad = max(0.0, pads[int(len(pads) * settings.pad_quantile + 1e-9)]) if pads else settings.default_pad
    reach: dict[int, list[float]] = {}
    for c in multi:
        reach.setdefault(round(c["x1"]), []).append(max(line["x1"] for line in c["lines"]))
    return {key: max(xs) for key, xs in reach.items() if len(xs) >= settings.edge_min_cells} | {"pad": pad}


def cell_lines(cell: Cell, edges: dict) -> list[Line]:
    """A printed cell's lines, each knowing the cell's right text edge; the first starts a cell."""
    right = edges.get(round(cell["x1"]), cell["x1"] - edges["pad"])
    return [
        Line(ln["text"], ln["x0"], ln["x1"], right, ln["size"], i == 0, ln.get("para"), ln.get("conf"))
        for i, ln in enumerate(cell["lines"])  # cell_start, para, conf: by position (faster)
    ]


def cell_text(cell: Cell) -> str:
    return single_value([Line(ln["text"], ln["x0"], ln["x1"], ln["x1"], ln["size"]) for ln in cell["lines"]])


# --- tables -----------------------------------------------------------------------------------


def banner_rows(cells: list[Cell]) -> tuple[str, int]:
    """Text of the rows across the whole table at its top (a title printed inside the table),
    and the first grid row below them."""
    n_columns = max(c["c1"] for c in cells)
    texts, first = [], min(c["r0"] for c in cells)
    for r in sorted({c["r0"] for c in cells}):
        in_row = [c for c in cells if c["r0"] == r]
        if r != first or len(in_row) != 1 or in_row[0]["c1"] - in_row[0]["c0"] != n_columns or n_columns < 2:
            break
        texts.append(cell_text(in_row[0]))
        first = in_row[0]["r1"]
    return "".join(texts), first


@dataclass(frozen=True)
class Header:
    """A table's header row: column roles (an undeclared column's role is "extra:" + its
    header), the first data row, x-spans, the declared roles it names and its printed cells."""

    roles: dict[int, str]
    first_row: int
    spans: list[tuple[float, float, str]]
    named: frozenset[str]
    printed: tuple[str, ...]
    undeclared: tuple[str, ...]  # headers of printed columns no rule names (kept as extra columns)
    headers: dict[str, str] = field(default_factory=dict)  # declared role → its header as printed


def _header(cells: list[Cell], start: int) -> Header | None:
    """The table's header row, if it starts with one."""
    rows = sorted({c["r0"] for c in cells if c["r0"] >= start})
    for r in rows[:2]:
        in_row = sorted((c for c in cells if c["r0"] == r), key=lambda c: c["c0"])
        texts = [cell_text(c) for c in in_row]
        roles_by_cell = header_roles(list(enumerate(texts)))
        if roles_by_cell is None:
            continue
        roles: dict[int, str] = {}
        spans = []
        undeclared = []
        for i, c in enumerate(in_row):
            role = roles_by_cell.get(i)
            if role is None and texts[i].strip():
                undeclared.append(extra_header(extra_role(texts[i])) or "")
            if (role is None or kept_as_extra(role)) and texts[i].strip():
                role = extra_role(texts[i])  # kept as printed, with its items
            if role is None:
                continue
            for col in range(c["c0"], c["c1"]):
                roles[col] = role
            spans.append((c["x0"], c["x1"], role))
        named = frozenset(roles_by_cell.values())
        printed = tuple(t.strip() for t in texts)
        headers = {role: texts[i] for i, role in roles_by_cell.items()}
        return Header(roles, max(c["r1"] for c in in_row), spans, named, printed, tuple(undeclared), headers)
    return None


def _roles_by_position(cells: list[Cell], spans: list[tuple[float, float, str]]) -> dict[int, str]:
    roles: dict[int, str] = {}
    for c in cells:
        mid = (c["x0"] + c["x1"]) / 2
        for x0, x1, role in spans:
            if x0 <= mid <= x1:
                roles.setdefault(c["c0"], role)
    return roles


# --- one document -------------------------------------------------------------------------------


@dataclass
class _Reading:
    """Where reading a document stands: the list being read and the last title seen."""

    settings: CleanSettings
    lines_of: Callable[[Cell], list[Line]]
    notes: list[str] = field(default_factory=list)
    readers: dict[tuple, ListReader] = field(default_factory=dict)
    ctx: Context | None = None
    last_title: str | None = None
    last_place: dict | None = None
    last_area: dict | None = None  # province, city and county of the last title naming them
    carried: list[TextLine] = field(default_factory=list)  # a title printed at the foot of the previous page
    problems: list[dict] = field(default_factory=list)  # tables that fit no list
    unfit: set[tuple[str, str]] = field(default_factory=set)  # (list, header) already reported
    headers: dict[tuple, str] = field(default_factory=dict)  # (place, list) → the header it started with
    unseen: set[tuple[str, str]] = field(default_factory=set)  # (list, column) already noted
    above_data: list[RowDecision] = field(default_factory=list)  # title and header rows
    list_tables: set[tuple[int, int]] = field(default_factory=set)  # (page, table index) read as a list


def clean_document(records: list[PageRecord], settings: CleanSettings) -> DocumentResult:
    """All items of one extracted PDF, list by list, in print order, and the decision taken about
    every table row (python -m pipeline.clean --explain)."""
    if any(ln.get("conf") is not None for rec in records for ln in rec["text"]) or any(
        ln.get("conf") is not None
        for rec in records
        for t in rec["tables"]
        for c in t["cells"]
        for ln in c["lines"]
    ):
        fix_document(records)  # a scan: correct OCR from what the document itself prints
    edges = text_edges(records, settings)
    state = _Reading(settings, lambda cell: cell_lines(cell, edges))
    for rec in records:
        _read_page(rec, state)
    readers = state.readers.values()
    cut = cut_off_pages(records)
    items = []
    written = []  # items written or left out with a note, with the rows joined in (text conservation)
    for reader in readers:
        finished = reader.finish()
        accounted = list(finished)  # an excerpt's cut-off item below is left out with a note
        if finished and max(finished[-1].pages) in cut and _runs_on(finished[-1], state.settings):
            last = finished.pop()
            state.notes.append(
                f"{last.kind} item {last.seq_text.strip()} runs on past the foot of page {max(last.pages)}, "
                "whose next page is not in this file (an excerpt): left out, its text is incomplete"
            )
        items += finished
        written += _with_joined(reader.items, accounted)
    decisions = state.above_data + [d for reader in readers for d in reader.decisions]
    decisions.sort(key=lambda d: (d.page, d.table, d.row))
    return DocumentResult(
        items,
        state.notes,
        decisions,
        problems=state.problems,
        tally=tally(records, state.list_tables, decisions, written),
    )


def _with_joined(read: list[Item], finished: list[Item]) -> list[Item]:
    """The finished items that are written (numbered) and the rows joined into each of them."""
    kept = {id(item) for item in finished}
    out: list[Item] = []
    current: Item | None = None
    for item in read:
        number = seq_number(item.seq_text)
        if id(item) in kept:
            current = item if number is not None else None
        elif current is None or number is None or number != seq_number(current.seq_text):
            continue
        if current is not None:
            out.append(item)
    return out


def _read_page(rec: PageRecord, state: _Reading) -> None:
    """The tables of one page, each with the free text above it (where a list title sits)."""
    free = sorted(rec["text"], key=lambda ln: (ln["top"], ln["x0"]))
    above_top = -1.0
    for index, table in enumerate(rec["tables"]):
        top, bottom = table["bbox"][1], table["bbox"][3]
        block = state.carried + [ln for ln in free if above_top <= ln["top"] and ln["bottom"] <= top + 1]
        state.carried = []
        above_top = bottom
        _read_table(table, index, block, rec["page"], state)
    after = [ln for ln in free if ln["top"] >= above_top and not is_footer(ln["text"])]
    foot_title = 0 < len(after) <= state.settings.max_foot_title_lines
    state.carried = after if foot_title and title_of_block(after, state.settings.title_size_ratio) else []


def _read_table(table: Table, index: int, block: list[TextLine], page: int, state: _Reading) -> None:
    """One table: the list it belongs to (by header, title or the table before), then its rows."""
    banner, start = banner_rows(table["cells"])
    title = title_of_block(block, state.settings.title_size_ratio) or (
        banner if banner and looks_like_title(banner) else None
    )
    if title:
        state.last_title = title
        state.last_area = area_from_title(title) or state.last_area
        state.last_place = identity_from_title(title, state.last_area) or state.last_place
    state.ctx, first_row = _table_context(table, start, title, page, state)
    ctx = state.ctx
    state.above_data += _table_decisions(page, index, table, start, first_row, ctx)
    if ctx is None:
        return
    state.list_tables.add((page, index))
    key = (tuple(sorted((ctx.place or {}).items())), ctx.kind)
    if key not in state.readers:
        state.readers[key] = ListReader(ctx.kind, ctx.place or {}, ctx.title, state.settings)
    state.readers[key].read_table(table, first_row, ctx.roles, page, state.lines_of, state.notes, index)


def _runs_on(item: Item, settings: CleanSettings) -> bool:
    """Whether a cell of the item ends with a full line: its text wraps on to the next page.

    Only the item's text cells tell: its 序号 and 事项类别 are short labels, often centred in
    narrow columns, whose one line may end near the border without wrapping on (and a merged
    事项类别 cell is shared with the items above)."""
    for role, segments in item.cells.items():
        if role in ("seq", "category"):
            continue
        last = segments[-1].lines[-1] if segments and segments[-1].lines else None
        if last is not None and (last.right - last.x1) / max(last.size, 1.0) < settings.full_line:
            return True
    return False


def _table_context(table, start, title, page, state: _Reading):
    """The list this table continues or starts, and its first data row; (None, 0) to skip it."""
    ctx, last_title, last_place = state.ctx, state.last_title, state.last_place
    cells = table["cells"]
    n_columns = max(c["c1"] for c in cells)
    header = _header(cells, start)
    if header is not None:
        kind = _list_of_header(header, title or last_title, page, state)
        if kind is None:
            return None, 0
        header = _fields_of(header, kind, page, state)
        return Context(
            kind, header.roles, n_columns, last_place, last_title or "", header.spans
        ), header.first_row
    if title is None and ctx is not None:
        going_on = _continued(cells, n_columns, ctx)
        if going_on is not None:
            return going_on, start
    return _headless_context(cells, n_columns, start, title, page, state)


def _continued(cells: list[Cell], n_columns: int, ctx: Context) -> Context | None:
    """The list being read, for an untitled table without a header row that goes on with it: as
    many columns, or its 序号 column where the header's was; None otherwise."""
    if n_columns == ctx.n_columns:
        return ctx
    roles = _roles_by_position(cells, ctx.role_spans)
    if "seq" in roles.values():
        return Context(ctx.kind, roles, n_columns, ctx.place, ctx.title, ctx.role_spans)
    return None


def _headless_context(cells: list[Cell], n_columns: int, start: int, title, page, state: _Reading):
    """The list of a table without a header row, by the title above it (or the list being read),
    with its default columns, and its first data row; (None, 0) and a note when it is no list."""
    ctx, last_title, last_place, notes = state.ctx, state.last_title, state.last_place, state.notes
    kind = list_for_title(title) if title else None
    if kind is None and ctx is not None and title is not None:
        kind = ctx.kind
    default = default_roles(kind, n_columns) if kind else None
    if default is None and ctx is not None and ctx.role_spans:
        # A page title (printed in the page header) that names a list whose columns this table
        # does not have, over a table without a header row that fits the list being read by its
        # columns' positions (a column empty on this page, in a table aligned by text): the
        # list goes on.
        roles = _roles_by_position(cells, ctx.role_spans)
        if "seq" in roles.values():
            same = kind == ctx.kind
            return Context(
                ctx.kind, roles, n_columns, last_place if same else ctx.place, ctx.title, ctx.role_spans
            ), start
    if kind is None or default is None:
        notes.append(
            f"page {page}: a table that is not a duty list (no header row or list title) was skipped"
        )
        return None, 0
    spans = ctx.role_spans if ctx is not None and ctx.kind == kind else []  # the header's, for later pages
    return Context(kind, default, n_columns, last_place, title or last_title or "", spans), start


def _list_of_header(header: Header, title: str | None, page: int, state: _Reading) -> str | None:
    """The list a header row names, by its columns. A header that names no list's own columns
    (only 序号, 事项名称 and columns no rule knows) fits no list when the title above it names
    another list, or when the township's list it would be (the basic list) was already headed
    otherwise: a problem naming the page and the header, and the table is not read (None)."""
    lists = load("lists")["lists"]
    kind = list_for_roles({i: role for i, role in enumerate(sorted(header.named))})
    unknown = list(dict.fromkeys(header.undeclared))
    shown = " | ".join(t for t in header.printed if t)
    place = tuple(sorted((state.last_place or {}).items()))
    first = state.headers.get((place, kind), shown)
    if not lists[kind]["columns_any"] and unknown:
        titled = list_for_title(title) if title else None
        if titled is not None and titled != kind:
            why = f"under the title {title}, its columns {'、'.join(unknown)} name no column of the {lists[titled]['label']}"
        elif first != shown:
            why = f"its columns {'、'.join(unknown)} name no list's column, and this township's {lists[kind]['label']} is headed {first}"
        else:
            why = ""
        if why:
            if (kind, shown) not in state.unfit:
                state.unfit.add((kind, shown))
                state.problems.append(
                    {
                        "kind": "unknown_header",
                        "page": page,
                        "list": titled if titled is not None and titled != kind else None,
                        "message": f"a table headed {shown} (page {page}) fits no list: {why}; not read (add "
                        "the wording to pipeline/rules/lists.toml)",
                    }
                )
            return None
    state.headers.setdefault((place, kind), shown)
    for column in unknown:
        if (kind, column) not in state.unseen:
            state.unseen.add((kind, column))
            state.notes.append(
                f"page {page}: the {kind} list prints a column {column} that no rule names: "
                "kept as printed in extra_columns"
            )
    return kind


def _fields_of(header: Header, kind: str, page: int, state: _Reading) -> Header:
    """HEADER with each declared column that KIND's items have no field for (lists.toml
    [columns.*] `lists`: a 处理方式 column beside a coordination list's duty columns) kept as
    printed in extra_columns, like a column no rule names, and named in the notes."""
    own = {c.field for c in fields(kind)}
    other = {
        role: extra_role(text)
        for role, text in header.headers.items()
        if role not in own and not kept_as_extra(role) and text.strip()
    }
    if not other:
        return header
    for role, extra in other.items():
        column = extra_header(extra) or ""
        if (kind, column) not in state.unseen:
            state.unseen.add((kind, column))
            state.notes.append(
                f"page {page}: the {kind} list prints a column {column} ({role}), a field its items do not "
                "have: kept as printed in extra_columns"
            )
    roles = {col: other.get(role, role) for col, role in header.roles.items()}
    spans = [(x0, x1, other.get(role, role)) for x0, x1, role in header.spans]
    return replace(header, roles=roles, spans=spans)


def _table_decisions(
    page: int, index: int, table: Table, start: int, first_row: int, ctx
) -> list[RowDecision]:
    """Decisions about a table's rows above its first data row: title and header rows (or all rows
    of a table that is not a duty list)."""
    out = []
    for r in sorted({c["r0"] for c in table["cells"]}):
        if r < start:
            out.append(RowDecision(page, index, r, "title", "a row across the table's top: the list title"))
        elif ctx is None:
            out.append(
                RowDecision(page, index, r, "skipped", "the table is not a duty list (no header, no title)")
            )
        elif r < first_row:
            roles = "|".join(dict.fromkeys(ctx.roles.values()))
            out.append(
                RowDecision(page, index, r, "header", f"furniture: its wording names the columns {roles}")
            )
    return out


# --- items → rows ---------------------------------------------------------------------------------


def item_rows(result: DocumentResult, source_file: str, settings: CleanSettings) -> list[dict]:
    """Plain rows of a document's items, ready for the item tables."""
    rows = []
    positions: dict[tuple, int] = {}
    for item in result.items:
        seq = seq_number(item.seq_text)
        if seq is None:
            result.notes.append(f"{item.kind} item with 序号 {item.seq_text!r} is not numbered; left out")
            continue
        roles = fields(item.kind)
        confidence = item_confidence(item)
        row = {
            "source_file": source_file,
            "list": item.kind,
            "title": item.title,
            **{k: item.place.get(k) for k in ("province", "city", "county", "township", "township_kind")},
            "seq": seq,
            "pages": sorted(item.pages),
            "ocr_confidence": confidence,
        }
        list_key = (item.kind, tuple(sorted(item.place.items())))
        positions[list_key] = row["position"] = positions.get(list_key, 0) + 1
        row["section"] = item.section or None
        row |= printed_fields(item, roles, settings)
        row["extra_columns"] = extra_columns(item, settings)
        if confidence is not None and confidence < settings.ocr_review_below:
            result.notes.append(
                f"low_confidence: {item.kind} item {seq} (pages {', '.join(map(str, sorted(item.pages)))}) was "
                f"read by OCR with confidence {confidence:.2f}; proof-read it"
            )
        rows.append(row)
    return rows


def printed_fields(item: Item, roles: tuple[Column, ...], settings: CleanSettings) -> dict:
    """The item's value of every printed column with a field (the column registry, lists.toml
    [columns.*]; the item number aside): None where the item's list has no such column; an empty
    text cell None too, except in a column every header names (事项名称: kept empty, reported)."""
    own = {c.field: c for c in roles}
    row: dict = {}
    for c in registry():
        if c.value == "number":
            continue  # the item number: `seq`
        if c.field not in own:
            row[c.field] = None
            continue
        text = value(item.cells.get(c.field, []), c.field, settings)
        if c.value == "names":
            text = split_departments(text)
        elif c.value == "text" and c.field not in required_fields():
            text = text or None  # the list has no such column or section rows, or the cell is empty
        row[c.field] = text
    return row


def extra_columns(item: Item, settings: CleanSettings) -> list[dict]:
    """The item's cells in printed columns without a field of their own, as {column, text} in
    print order (paragraphs joined by a newline); empty cells left out."""
    out = []
    for role, segments in item.cells.items():
        header = extra_header(role)
        if header is None:
            continue
        text = "\n".join(value(segments, role, settings))
        if text:
            out.append({"column": header, "text": text})
    return out


def split_departments(paras: list[str]) -> list[str]:
    """The 对应上级部门 cell as a list: split at the list separators (、) and at separate lines,
    each name as printed."""
    return [name for p in paras for name in split_department_list(p)]


# --- the stage ----------------------------------------------------------------------------------

PLACE_FIELDS = (
    ("source_file", "string"),
    ("list", "string"),
    ("title", "string"),
    ("province", "string"),
    ("city", "string"),
    ("county", "string"),
    ("township", "string"),
    ("township_kind", "string"),
)
ITEM_FIELDS = (
    ("section", "int32"),
    ("position", "int32"),
    ("pages", "list_int"),
    ("ocr_confidence", "float64"),
    ("extra_columns", "extra"),
)


def clean_fields() -> tuple[tuple[str, str], ...]:
    """The fields of clean's output: where the item was read, its printed columns (the column
    registry: seq, category, …, in lists.toml order) and what clean adds."""
    printed = tuple((c.field, VALUES[c.value][1]) for c in registry())
    taken = {name for name, _ in PLACE_FIELDS + ITEM_FIELDS} & {name for name, _ in printed}
    if taken:
        raise RulesError(
            f"{rules_path('lists')}: columns.{min(taken)}: clean has a field {min(taken)} already"
        )
    return PLACE_FIELDS + printed + ITEM_FIELDS


def clean_schema():
    import pyarrow as pa

    types = {
        "string": pa.string(),
        "int32": pa.int32(),
        "list": pa.list_(pa.string()),
        "list_int": pa.list_(pa.int32()),
        "float64": pa.float64(),
        "extra": pa.list_(pa.struct([("column", pa.string()), ("text", pa.string())])),
    }
    return pa.schema([(n, types[t]) for n, t in clean_fields()])


def clean_file(
    records: list[PageRecord],
    source_file: str,
    settings: CleanSettings,
    problems: list | None = None,
    conservation: dict | None = None,
) -> tuple[list[dict], list[str], str | None]:
    """Rows, notes and a rejection reason (None when the file holds a duty list); PROBLEMS, when
    given, receives the tables that fit no list ({kind, page, list, message}); CONSERVATION, when
    given, the characters in list tables and placed, and the lost text by page."""
    result = clean_document(records, settings)
    if problems is not None:
        problems += result.problems
    rows = item_rows(result, source_file, settings)
    if conservation is not None:
        conservation.update(
            n_table_chars=result.tally.in_tables,
            n_placed_chars=result.tally.placed,
            lost_text=result.tally.problems(),
        )
    if not rows:
        reason = "no duty list found (no table with a 序号/事项名称 header or a list title)"
        if result.problems:
            reason = "no duty list read: " + "; ".join(p["message"] for p in result.problems)
        return [], result.notes, reason
    if any(not r["township"] for r in rows):
        place = parse_place(Path(source_file).stem)
        if place is None:
            return [], result.notes, "no list title naming the township (…乡/镇/街道…清单) was found"
        for r in rows:
            if not r["township"]:
                r.update({k: place[k] for k in ("province", "city", "county", "township", "township_kind")})
        result.notes.append("township taken from the file name: the lists carry no title naming it")
    return rows, result.notes, None


def run(processed: Path, settings: CleanSettings | None = None, log=print, jobs: int = 1) -> dict:
    """Clean every extracted file not yet cleaned (on JOBS processes: files are independent);
    write the stage manifest; return it."""
    settings = settings or CleanSettings()
    clean_schema()  # a column lists.toml declares twice is the rules' error, not each file's
    extracted = read_json(build_dir(processed) / EXTRACT_MANIFEST)
    stage = version(settings)
    cache = build_dir(processed) / "clean" / stage
    cache.mkdir(parents=True, exist_ok=True)
    previous = _previous(processed, stage, extracted.get("version"))
    entries: list[SourceEntry] = []
    todo: list[tuple[int, SourceEntry, Path]] = []  # (its place in entries, extracted entry, cache file)
    for e in extracted["files"]:
        entry = carried(e)  # what extract found, typed (pipeline.common.entries)
        entries.append(entry)
        if e["status"] != "ok":
            continue
        # Rows carry the file's name (and may take the township from it): key by content and name.
        key = hashlib.sha256(f"{e['sha256']}|{e['source_file']}".encode()).hexdigest()
        target = cache / f"{key}.parquet"
        old = previous.get((e["sha256"], e["source_file"]))
        if old is not None and (old["status"] != "ok" or target.exists()):
            entry.update(cast(SourceEntry, {k: v for k, v in old.items() if k not in entry or k == "status"}))
            continue
        todo.append((len(entries) - 1, e, target))
    # Each file on a worker (forked: the stage and pyarrow are loaded already), results in order.
    cleaned = map_ordered(_CleanFile(processed, settings), [(e, t) for _, e, t in todo], jobs)
    for (i, _, _), entry in zip(todo, cleaned, strict=True):
        entries[i] = entry
    done = len(todo)
    prune_cache(cache, {Path(e["cache"]).name for e in entries if e.get("cache")})
    if done:  # the files written now are on disk before the manifest names them
        sync_folder(cache)
    manifest = {
        "stage": "clean",
        "version": stage,
        "extract_version": extracted.get("version"),
        "files": entries,
    }
    write_json(build_dir(processed) / MANIFEST, manifest)
    ok = sum(1 for e in entries if e["status"] == "ok")
    log(f"clean: {done} files cleaned, {ok} with duty lists")
    return manifest


@dataclass(frozen=True)
class _CleanFile:
    """One extracted file cleaned into its cache file: (extracted entry, cache file) → its
    entry (picklable, for a worker process)."""

    processed: Path
    settings: CleanSettings

    def __call__(self, task: tuple[SourceEntry, Path]) -> SourceEntry:
        extracted, target = task
        entry = carried(extracted)
        _clean_entry(entry, self.processed, extracted, target, self.settings)
        return entry


def _clean_entry(
    entry: SourceEntry, processed: Path, extracted: SourceEntry, target: Path, settings: CleanSettings
) -> None:
    """Clean one extracted file into TARGET; ENTRY says how it went (ok with its item count, or
    rejected with the reason), with its notes, problems and document date."""
    try:
        records = load_extracted(processed, extracted)
        scrubbed = scrub_records(records)  # no control or non-XML character reaches a table
        entry["folded"] = fold_records(records)  # look-alikes → standard characters, before any reading
        problems: list[dict] = []
        counts: dict = {}  # text conservation: characters in list tables, placed, lost by page
        rows, notes, reason = clean_file(records, extracted["source_file"], settings, problems, counts)
        entry.update(counts)  # type: ignore[typeddict-item]
        entry["notes"] = ([scrub_note(scrubbed)] if scrubbed else []) + notes
        if problems:
            entry["problems"] = problems
        entry["document_date"] = document_date(records)
        if reason:
            entry.update({"status": "rejected", "reason": reason})
            return
        # On disk with the other files of this run at once, before the manifest names them (run).
        write_parquet(target, rows_to_arrow(rows, clean_schema()), sync=False)
    except (OSError, MemoryError):
        raise
    except Exception as exc:  # this file's content revealed a bug: it alone is rejected
        target.unlink(missing_ok=True)
        failure = content_failure("clean", exc)
        entry.update({"status": "rejected", "reason": failure, "reason_detail": technical(exc)})
        entry.setdefault("notes", [])
        return
    cached = target.relative_to(build_dir(processed)).as_posix()
    entry.update({"status": "ok", "cache": cached, "items": len(rows)})


def _previous(processed: Path, stage: str, extract_version: str | None) -> dict:
    old = read_manifest(build_dir(processed) / MANIFEST)
    if old.get("version") != stage or old.get("extract_version") != extract_version:
        return {}
    # Only files this stage read ("notes" is set): one rejected or skipped at extraction may be
    # readable now (a reader was added or fixed), and extraction does not cache rejections.
    return {(e["sha256"], e["source_file"]): e for e in old["files"] if "sha256" in e and "notes" in e}


def main(argv: list[str] | None = None) -> int:
    ap = cli.parser("pipeline.clean", __doc__)
    ap.add_argument("--processed", type=Path, default=Path("data/processed"), help=cli.PROCESSED_HELP)
    ap.add_argument(
        "--explain",
        type=Path,
        metavar="FILE",
        help="print, row by row, how FILE (PDF, Word, Excel; a scan once built) is read",
    )
    ap.add_argument("--page", type=int, help="with --explain: only this page (1-based; default: every page)")
    ap.add_argument(
        "--picture", type=Path, metavar="OUT.png", help="with --explain: draw the page into a PNG (PDF only)"
    )
    ap.add_argument(
        "--item",
        metavar="ITEM_ID",
        help="explain one item of the tables: where it was read, its power type, departments, "
        "disposition and duty, and its page read row by row",
    )
    ap.add_argument("--raw", type=Path, default=Path("data/raw"), help="with --item: where its file is")
    args = ap.parse_args(argv)
    if args.item is not None:
        from pipeline.clean.explain import explain_item_main

        return explain_item_main(args.item, args.processed, args.raw, args.picture)
    if args.explain is not None:
        from pipeline.clean.explain import main as explain_main

        if str(args.explain) in ("", "."):  # make explain without FILE= or ITEM=
            print(
                "explain: name a file (make explain FILE=path [PAGE=n]) or an item (make explain ITEM=<item_id>)",
                file=sys.stderr,
            )
            return 2

        return explain_main(args.explain, args.page, args.picture, args.processed)
    import_arrow()  # as in a build: pyarrow without numpy, rows to Arrow directly (`rows_to_arrow`)
    run(args.processed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
