"""Word and Excel duty lists made with python-docx and openpyxl, with their expected results.

The content is tests/fixtures/content.py (the layout fixtures' items); each builder writes a
file in one of the ways counties publish lists and returns nothing: the expected JSON comes
from `expected`, built from the same content, never from the pipeline's output.
"""

from __future__ import annotations

import json
from pathlib import Path
import re
import sys

sys.path.insert(0, str(Path(__file__).parent / "fixtures"))
import content as CT  # noqa: E402

TITLES = {
    "basic": "基本履职事项清单",
    "coordination": "配合履职事项清单",
    "reclaimed": "上级部门收回事项清单",
}
HEADERS = {
    "basic": ["序号", "事项类别", "事项名称"],
    "coordination": ["序号", "事项类别", "事项名称", "对应上级部门", "上级部门职责", "乡镇配合职责"],
    "reclaimed": ["序号", "事项类别", "事项名称", "承接部门及工作方式"],
}
KINDS = ("basic", "coordination", "reclaimed")


def lists_for(identity: str, n: int = 8) -> tuple[dict, dict]:
    """The identity and the first n items of each list, templates filled in."""
    ident = CT.IDENTITIES[identity]

    def fill(text: str) -> str:
        return text.format(**ident)

    lists = {
        "basic": [dict(no=i + 1, category=c, name=fill(t)) for i, (c, t) in enumerate(CT.BASIC[:n])],
        "coordination": [
            dict(
                no=i + 1,
                category=d["category"],
                name=fill(d["name"]),
                departments=[fill(x) for x in d["departments"]],
                upper=[fill(x) for x in d["upper"]],
                township=[fill(x) for x in d["township"]],
            )
            for i, d in enumerate(CT.COORDINATION[:n])
        ],
        "reclaimed": [
            dict(no=i + 1, category=c, name=fill(t), handling=[fill(x) for x in h])
            for i, (c, t, h) in enumerate(CT.RECLAIMED[:n])
        ],
    }
    return ident, lists


def title_of(ident: dict, kind: str) -> str:
    return f"{ident['city']}{ident['county']}{ident['township']}{TITLES[kind]}"


def row_values(kind: str, item: dict) -> list[list[str]]:
    """An item's cells, each a list of paragraphs."""
    out = [[str(item["no"])], [item["category"]], [item["name"]]]
    if kind == "coordination":
        out += [["、".join(item["departments"])], item["upper"], item["township"]]
    if kind == "reclaimed":
        out += [item["handling"]]
    return out


def expected(ident: dict, lists: dict, kinds=KINDS) -> dict:
    """The corpus expected-JSON of these lists."""
    out = {"city": ident["city"], "county": ident["county"], "township": ident["township"], "lists": {}}
    for kind in kinds:
        items = []
        for it in lists[kind]:
            row = {"no": it["no"], "category": it["category"], "name": it["name"]}
            if kind == "coordination":
                row["departments"] = list(it["departments"])
                row["parts"] = [{"upper_duties": list(it["upper"]), "township_duties": list(it["township"])}]
            if kind == "reclaimed":
                row["handling"] = list(it["handling"])
            items.append(row)
        out["lists"][kind] = items
    return out


def write_expected(path: Path, ident: dict, lists: dict, kinds=KINDS) -> Path:
    path.write_text(json.dumps(expected(ident, lists, kinds), ensure_ascii=False, indent=1), encoding="utf-8")
    return path


# --- Word ----------------------------------------------------------------------------------------


def write_docx(
    path: Path,
    ident: dict,
    lists: dict,
    kinds=KINDS,
    title: str = "body",  # body: a paragraph before each table; header: the section's page header;
    #                       row: a first table row merged across all columns (w:gridSpan)
    split: dict | None = None,  # kind → item index where the list goes on in a second table
    repeat_header: bool = False,  # the second table repeats the header row
    breaks: bool = False,  # a duty cell's steps as line breaks (w:br) in one paragraph
    numbering: bool = False,  # 序号 and steps "1." "2." … as Word's automatic numbering, restarted
    #                           for each table and each cell (w:numPr, w:num with w:startOverride)
) -> Path:
    """A Word document with the lists as tables, categories merged vertically (w:vMerge)."""
    from docx import Document
    from docx.enum.section import WD_SECTION
    from docx.shared import Pt

    doc = Document()
    seq = None
    for k, kind in enumerate(kinds):
        section = doc.sections[0] if k == 0 else doc.add_section(WD_SECTION.NEW_PAGE)
        if title == "header":
            section.header.is_linked_to_previous = False
            para = section.header.paragraphs[0]
            para.add_run(title_of(ident, kind)).font.size = Pt(16)
        elif title == "body":
            doc.add_paragraph().add_run(title_of(ident, kind)).font.size = Pt(16)
        items = lists[kind]
        cut = (split or {}).get(kind)
        chunks = [items[:cut], items[cut:]] if cut else [items]
        for n, chunk in enumerate(chunks):
            if n:
                doc.add_paragraph("")
            header = n == 0 or repeat_header
            restart = (lambda: _restart(doc)) if numbering else None
            seq = restart() if numbering and n == 0 else seq  # the 序号 count goes on in the next table
            _docx_table(doc, kind, chunk, header, title == "row" and n == 0, ident, breaks, restart, seq)
    doc.save(path)
    return path


STEP = re.compile(r"^(\d+)\.(?!\d)")


def _restart(doc) -> str:
    """A new numbering instance counting "1." "2." … from 1 (Word's "restart numbering")."""
    from docx.oxml import parse_xml

    numbering = doc.part.numbering_part.element
    num_id = str(1000 + len(numbering.findall("{*}num")))
    ns = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    numbering.append(
        parse_xml(
            f'<w:num {ns} w:numId="{num_id}"><w:abstractNumId w:val="0"/>'
            '<w:lvlOverride w:ilvl="0"><w:startOverride w:val="1"/></w:lvlOverride></w:num>'
        )
    )
    return num_id


def _number(paragraph, num_id: str) -> None:
    from docx.oxml import parse_xml

    ns = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    ppr = paragraph._p.get_or_add_pPr()
    ppr.append(parse_xml(f'<w:numPr {ns}><w:ilvl w:val="0"/><w:numId w:val="{num_id}"/></w:numPr>'))


def _numbered_steps(paras: list[str]) -> bool:
    return len(paras) > 1 and all((m := STEP.match(p)) and int(m[1]) == i for i, p in enumerate(paras, 1))


def _docx_table(doc, kind, items, header, title_row, ident, breaks, restart=None, seq_num=None) -> None:
    from docx.shared import Pt

    cols = len(HEADERS[kind])
    rows = [None] * title_row + [HEADERS[kind]] * header + items
    table = doc.add_table(rows=len(rows), cols=cols)
    table.style = "Table Grid"
    for r, row in enumerate(rows):
        cells = table.rows[r].cells
        if row is None:
            merged = cells[0].merge(cells[-1])
            merged.paragraphs[0].add_run(title_of(ident, kind)).font.size = Pt(16)
            continue
        values = [[v] for v in row] if isinstance(row, list) else row_values(kind, row)
        if restart is not None and isinstance(row, dict):
            _number(cells[0].paragraphs[0], seq_num)  # the 序号 cell holds no text of its own
            values[0] = [""]
            for c, paras in enumerate(values[3:], 3):
                if _numbered_steps(paras):
                    step_num = restart()
                    target = cells[c]
                    for k, p in enumerate(paras):
                        para = target.paragraphs[0] if k == 0 else target.add_paragraph()
                        para.add_run(STEP.sub("", p))
                        _number(para, step_num)
                    values[c] = None
        for c, paras in enumerate(values):
            if paras is None:
                continue
            if isinstance(row, dict) and c == 1 and r > 0 and _same_category(rows, r):
                continue  # merged below
            target = cells[c]
            if breaks and len(paras) > 1:
                run = target.paragraphs[0].add_run(paras[0])
                for p in paras[1:]:
                    run.add_break()
                    run.add_text(p)
                continue
            if paras[0]:
                target.paragraphs[0].add_run(paras[0])
            for p in paras[1:]:
                target.add_paragraph(p)
    # Categories: one vertically merged cell per run of equal categories.
    first = None
    for r, row in enumerate(rows + [None]):
        same = isinstance(row, dict) and first is not None and rows[first]["category"] == row["category"]
        if same:
            continue
        if first is not None and r - 1 > first:
            table.cell(first, 1).merge(table.cell(r - 1, 1))
        first = r if isinstance(row, dict) else None


def _same_category(rows: list, r: int) -> bool:
    prev = rows[r - 1]
    return isinstance(prev, dict) and prev["category"] == rows[r]["category"]


# --- Excel ----------------------------------------------------------------------------------------


def write_xlsx(
    path: Path,
    ident: dict,
    lists: dict,
    kinds=KINDS,
    one_sheet: bool = False,  # all lists on one sheet, a blank row between them
    blank_between: bool = True,  # on one sheet: without a blank row the next title follows directly
    hidden_sheet: bool = False,  # add a hidden sheet holding a decoy list
    hidden_row: bool = False,  # add a hidden row with a decoy item
) -> Path:
    """A workbook: title merged across the columns, header row, 序号 stored as numbers (1.0),
    categories merged down, duty steps as line breaks inside their cell."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    wb = Workbook()
    ws = wb.active
    row = 1
    for k, kind in enumerate(kinds):
        if k and not one_sheet:
            ws = wb.create_sheet()
            row = 1
        elif k and blank_between:
            row += 1
        ws.title = TITLES[kind] if not one_sheet else "清单"
        cols = len(HEADERS[kind])
        ws.cell(row, 1, title_of(ident, kind)).font = Font(size=16)
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=cols)
        row += 1
        for c, h in enumerate(HEADERS[kind], 1):
            ws.cell(row, c, h)
        row += 1
        first_of_category = row
        items = lists[kind]
        for i, item in enumerate(items):
            values = row_values(kind, item)
            ws.cell(row, 1, float(item["no"]))
            for c, paras in enumerate(values[1:], 2):
                if c == 2 and i and items[i - 1]["category"] == item["category"]:
                    continue
                cell = ws.cell(row, c, "\n".join(paras))
                cell.alignment = Alignment(wrap_text=True)
            last = i + 1 == len(items) or items[i + 1]["category"] != item["category"]
            if last and row > first_of_category:
                ws.merge_cells(start_row=first_of_category, start_column=2, end_row=row, end_column=2)
            if last:
                first_of_category = row + 1
            row += 1
            if hidden_row and i == 0:
                ws.cell(row, 1, 99)
                ws.cell(row, 3, "隐藏行中的事项（不应读入）")
                ws.row_dimensions[row].hidden = True
                row += 1
                first_of_category = row if last else first_of_category
    if hidden_sheet:
        decoy = wb.create_sheet("草稿")
        decoy.sheet_state = "hidden"
        decoy.cell(1, 1, title_of(CT.IDENTITIES["hongqi"], "basic"))
        for c, h in enumerate(HEADERS["basic"], 1):
            decoy.cell(2, c, h)
        decoy.cell(3, 1, 1)
        decoy.cell(3, 2, "草稿")
        decoy.cell(3, 3, "隐藏工作表中的事项（不应读入）")
    wb.save(path)
    return path
