"""Duty-list PDFs in the table styles of other producers, drawn with reportlab and a CJK font.

One coordination list (序号, 事项类别, 事项名称, 对应上级部门, 上级部门职责, 乡镇配合职责), landscape,
the header row repeated on every page, rows split freely at page breaks, a bare page number
under each page. `rules` says how the table is ruled:

- "grid": every cell boxed (reportlab), with `fake_bold` header and category cells drawn twice
  0.3 pt apart, the 序号 and 事项类别 centred in the row's last fragment, and the header row
  repeated right above a split row with no rule between it and the rest of the row on the next
  page (what the fakebold sample shows);
- "horizontal": a three-line table: a rule above and below the header, hairlines between the rows,
  a rule at the end, no vertical rule; 序号 at the top of its row;
- "none": no rule at all (a Word table with every border set to none);
- "header_box": the header row boxed, the body without any rule.

`items()` gives the content and what a careful reader gets out of it.
"""

from __future__ import annotations

from pathlib import Path

from reportlab.lib.pagesizes import A4, landscape
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

FONT = "SimHei"
SIZE = 10.0
LEADING = 14.0
PAD = 5.0
LEFT = 40.0
COLUMNS = (40.0, 70.0, 90.0, 100.0, 250.0, 250.0)
HEADER = ("序号", "事项类别", "事项名称", "对应上级部门", "上级部门职责", "乡镇配合职责")
TITLE = "哈密市伊吾县前山乡配合履职事项清单"
POOL = "组织开展宣传教育培训指导监督检查落实工作责任制度建设管理服务保障群众安全生产环境卫生"


def _font() -> None:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        import mplfonts

        pdfmetrics.registerFont(TTFont(FONT, str(Path(mplfonts.__file__).parent / "fonts" / "SimHei.ttf")))


def _text(seed: int, n: int) -> str:
    return "".join(POOL[(seed * 7 + i * 3) % len(POOL)] for i in range(n))


def items(n: int = 9, long_category: bool = False) -> list[dict]:
    """Items whose cells wrap: step paragraphs (（一） …) whose last line stops short. With
    `long_category`, the later items' 事项类别 is longer than its column is wide."""
    out = []
    for k in range(1, n + 1):
        steps = 2 + k % 3
        upper = [f"（{'一二三四五'[s]}）" + _text(k + s, 30 + (k * s) % 17) + "。" for s in range(steps)]
        township = [f"（{'一二三四五'[s]}）" + _text(k * 3 + s, 18 + (k + s) % 9) + "。" for s in range(2)]
        out.append(
            {
                "no": k,
                "category": "党的建设" if k <= 4 else "应急管理及消防" if long_category else "经济发展",
                "name": _text(k, 9 + k % 4),
                "departments": ["伊吾县委组织部"] if k % 2 else ["伊吾县民政局", "伊吾县财政局"],
                "upper_duties": upper,
                "township_duties": township,
            }
        )
    return out


def _wrap(paragraphs: list[str], width: float) -> list[str]:
    per_line = int((width - 2 * PAD) // SIZE)
    lines = []
    for p in paragraphs:
        lines += [p[i : i + per_line] for i in range(0, len(p), per_line)]
    return lines


def _cells(item: dict) -> list[list[str]]:
    texts = [
        [str(item["no"])],
        [item["category"]],
        [item["name"]],
        ["、".join(item["departments"])],
        item["upper_duties"],
        item["township_duties"],
    ]
    return [_wrap(t, w) for t, w in zip(texts, COLUMNS, strict=True)]


def write(
    path: Path,
    rules: str,
    fake_bold: bool = False,
    n: int = 9,
    merged_category: bool = False,
    repeat_header: bool = True,
    title_every_page: bool = False,
) -> Path:
    """The list as a PDF in one of the three table styles. `merged_category` (for "none"): the
    事项类别 printed once per run of equal categories, at the top of the run, as Word prints a
    vertically merged cell, its wrapped lines running on into the next item's row.
    `repeat_header` False: the header row on the first page only (not for "grid");
    `title_every_page`: the title on top of every page (as a Word page header prints it)."""
    _font()
    width, height = landscape(A4)
    xs = [LEFT]
    for w in COLUMNS:
        xs.append(xs[-1] + w)
    c = canvas.Canvas(str(path), pagesize=(width, height), invariant=1)
    bottom_limit = height - 60.0
    state = {"y": 0.0, "page": 0}

    def text(x: float, y: float, s: str, bold: bool = False) -> None:
        c.setFont(FONT, SIZE)
        c.drawString(x, height - y - SIZE * 0.86, s)
        if bold:
            c.drawString(x + 0.3, height - y - SIZE * 0.86, s)

    def hline(y: float, thick: float = 0.5) -> None:
        c.setLineWidth(thick)
        c.line(xs[0], height - y, xs[-1], height - y)

    def vlines(top: float, bottom: float) -> None:
        c.setLineWidth(0.5)
        for x in xs:
            c.line(x, height - top, x, height - bottom)

    def header(top: float, rule_below: bool = True) -> float:
        bottom = top + LEADING + 2 * PAD
        for x, w, label in zip(xs, COLUMNS, HEADER, strict=False):
            text(x + (w - SIZE * len(label)) / 2, top + PAD, label, bold=fake_bold)
        if rules == "grid":
            hline(top)
            vlines(top, bottom)
            if rule_below:
                hline(bottom)
        elif rules == "horizontal":
            hline(top, 1.5)
            hline(bottom, 0.75)
        elif rules == "header_box":
            hline(top)
            hline(bottom)
            vlines(top, bottom)
        return bottom

    def new_page(first: bool) -> None:
        if not first:
            c.setFont(FONT, SIZE)
            c.drawCentredString(width / 2, 30, str(state["page"]))
            c.showPage()
        state["page"] += 1
        top = 40.0
        if first or title_every_page:
            c.setFont(FONT, 16)
            c.drawCentredString(width / 2, height - top - 16, TITLE)
            top += 36
        state["y"] = top

    def fragment(cells: list[list[str]], top: float, show_centre: bool, total: int) -> float:
        n_lines = max(len(lines) for lines in cells) if cells else 0
        bottom = top + max(n_lines, 1) * LEADING + 2 * PAD
        for col, (x, lines) in enumerate(zip(xs, cells, strict=False)):
            if col in (0, 1) and rules == "grid":
                if show_centre:  # 序号 and 事项类别 centred in the row's last fragment
                    mid = top + (bottom - top) / 2 - LEADING / 2 * len(lines)
                    for k, line in enumerate(lines):
                        text(x + PAD, mid + k * LEADING, line, bold=fake_bold and col == 1)
                continue
            for k, line in enumerate(lines):
                text(x + PAD, top + PAD + k * LEADING, line)
        if rules == "grid":
            vlines(top, bottom)
        return bottom

    new_page(True)
    state["y"] = header(state["y"])
    previous = None
    for item in items(n, long_category=merged_category):
        cells = _cells(item)
        if merged_category:
            spill = [] if item["category"] == previous else cells[1]
            previous = item["category"]
            cells[1] = spill[:1]
            for k, line in enumerate(spill[1:], start=1):  # drawn below, in the next item's band
                text(xs[1] + PAD, state["y"] + PAD + k * LEADING, line)
        n_lines = max(len(lines) for lines in cells)
        need = n_lines * LEADING + 2 * PAD
        room = bottom_limit - state["y"]
        if need <= room:
            bottom = fragment(cells, state["y"], True, n_lines)
            if rules in ("grid", "horizontal"):
                hline(bottom, 0.5 if rules == "grid" else 0.25)
            state["y"] = bottom
            continue
        fits = int((room - 2 * PAD - (LEADING + 2 * PAD if rules == "grid" else 0)) // LEADING)
        if fits < 1:
            new_page(False)
            state["y"] = header(state["y"]) if repeat_header else state["y"]
            bottom = fragment(cells, state["y"], True, n_lines)
            if rules in ("grid", "horizontal"):
                hline(bottom, 0.5 if rules == "grid" else 0.25)
            state["y"] = bottom
            continue
        top_cells = [lines[:fits] for lines in cells]
        rest = [lines[fits:] for lines in cells]
        if rules == "grid":
            # reportlab: the header drawn again right above the split row; 序号 and 类别 in its rest
            state["y"] = header(state["y"])
            fragment([[], []] + top_cells[2:], state["y"], False, fits)
        else:
            rest[0], rest[1] = [], []  # 序号 and 类别 printed at the top of the row, on this page
            fragment(top_cells, state["y"], True, fits)
        new_page(False)
        if repeat_header or rules == "grid":
            state["y"] = header(state["y"], rule_below=rules != "grid")
        if rules == "grid":
            rest[0], rest[1] = cells[0], cells[1]
        bottom = fragment(rest, state["y"], True, max(len(lines) for lines in rest))
        if rules in ("grid", "horizontal"):
            hline(bottom, 0.5 if rules == "grid" else 0.25)
        state["y"] = bottom
    if rules == "horizontal":
        hline(state["y"], 1.5)
    c.setFont(FONT, SIZE)
    c.drawCentredString(width / 2, 30, str(state["page"]))
    c.showPage()
    c.save()
    return path
