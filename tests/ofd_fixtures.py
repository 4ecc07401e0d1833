"""OFD (GB/T 33190) duty lists written directly, as a document system exports them.

The package: OFD.xml → Doc_0/Document.xml (pages, page size, resources) → PublicRes.xml (fonts,
named, not embedded) and Pages/Page_N/Content.xml. Each printed line is one TextObject placed by
its Boundary (mm, top-left origin) with one TextCode (X/Y inside the box, Y the baseline; DeltaX
the advance after each glyph, runs of equal advances written `g N D`); rulings are PathObjects.
Cells wrap their text by glyph widths; a row that does not fit on the page is split there (its
cells' remaining lines go on in a row on the next page, under the repeated header row).

Options vary what readers must cope with: `ctm` places every object by a CTM instead of its
Boundary's origin, `one_path` draws each page's rulings as one PathObject of many subpaths, `boxes` as thin
filled rectangles,
`namespace` writes the elements under another namespace URI.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
import unicodedata
from xml.sax.saxutils import escape, quoteattr
import zipfile

from tests.office_fixtures import HEADERS, KINDS, row_values, title_of

PAGE_W, PAGE_H = 210.0, 297.0
LEFT, RIGHT, TOP, BOTTOM = 20.0, 190.0, 20.0, 272.0
SIZE = 3.5  # mm (about 10 pt)
LEAD = 4.55  # line height
PAD = 1.5
WIDTHS = {
    "basic": [15.0, 35.0, 120.0],
    "coordination": [11.0, 22.0, 30.0, 25.0, 41.0, 41.0],
    "reclaimed": [11.0, 25.0, 45.0, 89.0],
}


def glyph(ch: str) -> float:
    return SIZE if unicodedata.east_asian_width(ch) in "WF" else SIZE / 2


def wrap(paragraphs: list[str], width: float) -> list[str]:
    """Lines of a cell: each paragraph broken where the next glyph would pass the width."""
    lines = []
    for para in paragraphs:
        line, used = "", 0.0
        for ch in para:
            if line and used + glyph(ch) > width + 1e-6:
                lines.append(line)
                line, used = "", 0.0
            line += ch
            used += glyph(ch)
        lines.append(line)
    return lines


def delta_x(text: str) -> str:
    """Advances after each glyph but the last, equal runs as `g N D`."""
    steps = [glyph(ch) for ch in text[:-1]]
    out, i = [], 0
    while i < len(steps):
        j = i
        while j < len(steps) and steps[j] == steps[i]:
            j += 1
        out.append(
            f"g {j - i} {steps[i]:g}" if j - i > 2 else " ".join(f"{steps[i]:g}" for _ in range(j - i))
        )
        i = j
    return " ".join(out)


@dataclass
class _Page:
    objects: list[str] = field(default_factory=list)
    rulings: list[tuple[float, float, float, float]] = field(default_factory=list)


class _Writer:
    def __init__(self, ctm: bool, one_path: bool, boxes: bool = False) -> None:
        self.ctm, self.one_path, self.boxes = ctm, one_path, boxes
        self.pages: list[_Page] = [_Page()]
        self.next_id = 10
        self.splits = 0

    def _id(self) -> int:
        self.next_id += 1
        return self.next_id

    def _place(self, x: float, y: float, w: float, h: float) -> str:
        if self.ctm:  # the box at the page origin, moved by the CTM
            return f'Boundary="0 0 {x + w:.3f} {y + h:.3f}" CTM="1 0 0 1 {x:.3f} {y:.3f}"'
        return f'Boundary="{x:.3f} {y:.3f} {w:.3f} {h:.3f}"'

    def text(self, x: float, y: float, text: str, size: float = SIZE, font: int = 1) -> None:
        if not text:
            return
        w = sum(glyph(ch) for ch in text) * size / SIZE
        dx = delta_x(text) if size == SIZE else f"g {len(text) - 1} {size:g}" if len(text) > 1 else ""
        self.pages[-1].objects.append(
            f'<ofd:TextObject ID="{self._id()}" {self._place(x, y, w, size * 1.3)} Font="{font}" '
            f'Size="{size:g}"><ofd:FillColor Value="0 0 0"/><ofd:TextCode X="0" Y="{size * 1.05:.3f}"'
            + (f' DeltaX="{dx}"' if dx else "")
            + f">{escape(text)}</ofd:TextCode></ofd:TextObject>"
        )

    def rule(self, x0: float, y0: float, x1: float, y1: float) -> None:
        self.pages[-1].rulings.append((x0, y0, x1, y1))

    def page_xml(self, page: _Page, n: int) -> str:
        objs = list(page.objects)
        objs.append(_number_text(self, n))
        if self.boxes:  # each ruling a thin filled rectangle, as some producers draw cell borders
            for a, b, c, d in page.rulings:
                x, y = min(a, c) - 0.15, min(b, d) - 0.15
                w, h = abs(c - a) + 0.3, abs(d - b) + 0.3
                objs.append(
                    f'<ofd:PathObject ID="{self._id()}" {self._place(x, y, w, h)} Stroke="false" Fill="true">'
                    f"<ofd:AbbreviatedData>M 0 0 L {w:.3f} 0 L {w:.3f} {h:.3f} L 0 {h:.3f} C"
                    "</ofd:AbbreviatedData></ofd:PathObject>"
                )
        elif self.one_path and page.rulings:
            data = " ".join(f"M {a:.3f} {b:.3f} L {c:.3f} {d:.3f}" for a, b, c, d in page.rulings)
            objs.append(
                f'<ofd:PathObject ID="{self._id()}" Boundary="0 0 {PAGE_W} {PAGE_H}" LineWidth="0.25">'
                f"<ofd:AbbreviatedData>{data}</ofd:AbbreviatedData></ofd:PathObject>"
            )
        else:
            for a, b, c, d in page.rulings:
                x, y = min(a, c) - 0.25, min(b, d) - 0.25
                objs.append(
                    f'<ofd:PathObject ID="{self._id()}" {self._place(x, y, abs(c - a) + 0.5, abs(d - b) + 0.5)} '
                    f'LineWidth="0.25" Stroke="true" Fill="false"><ofd:AbbreviatedData>'
                    f"M {a - x:.3f} {b - y:.3f} L {c - x:.3f} {d - y:.3f}</ofd:AbbreviatedData></ofd:PathObject>"
                )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n<ofd:Page xmlns:ofd="NS"><ofd:Area><ofd:PhysicalBox>'
            f'0 0 {PAGE_W:g} {PAGE_H:g}</ofd:PhysicalBox></ofd:Area><ofd:Content><ofd:Layer ID="{self._id()}">'
            + "\n".join(objs)
            + "</ofd:Layer></ofd:Content></ofd:Page>"
        )


def _number_text(w: _Writer, n: int) -> str:
    label = f"— {n} —"
    width = sum(glyph(ch) for ch in label)
    return (
        f'<ofd:TextObject ID="{w._id()}" Boundary="{(PAGE_W - width) / 2:.3f} 281 {width:.3f} 4.2" '
        f'Font="1" Size="{SIZE}"><ofd:TextCode X="0" Y="3.675" DeltaX="{delta_x(label)}">'
        f"{label}</ofd:TextCode></ofd:TextObject>"
    )


def _row(
    w: _Writer,
    cols: list[float],
    edges: list[float],
    cells: list[list[str]],
    y: float,
    centre: tuple[int, ...],
) -> float:
    height = max(1, *(len(c) for c in cells)) * LEAD + 2 * PAD
    for i, lines in enumerate(cells):
        for k, line in enumerate(lines):
            width = sum(glyph(ch) for ch in line)
            x = edges[i] + (cols[i] - width) / 2 if i in centre else edges[i] + PAD
            w.text(x, y + PAD + k * LEAD, line)
    w.rule(LEFT, y + height, RIGHT, y + height)
    for x in edges:
        w.rule(x, y, x, y + height)
    return y + height


def _header(w: _Writer, kind: str, cols: list[float], edges: list[float], y: float) -> float:
    w.rule(LEFT, y, RIGHT, y)
    cells = [wrap([h], c - 2 * PAD) for h, c in zip(HEADERS[kind], cols, strict=True)]
    return _row(w, cols, edges, cells, y, tuple(range(len(cols))))


def _lay_out(w: _Writer, ident: dict, lists: dict, kinds) -> None:
    y = TOP
    for kind in kinds:
        cols = WIDTHS[kind]
        edges = [LEFT]
        for c in cols:
            edges.append(edges[-1] + c)
        if y + 30 > BOTTOM:
            w.pages.append(_Page())
            y = TOP
        title = title_of(ident, kind)
        w.text((PAGE_W - len(title) * 5.6) / 2, y, title, size=5.6, font=2)
        y += 12

        y = _header(w, kind, cols, edges, y)
        for item in lists[kind]:
            cells = [wrap(p, c - 2 * PAD) for p, c in zip(row_values(kind, item), cols, strict=True)]
            while cells:
                room = int((BOTTOM - y - 2 * PAD) // LEAD)
                need = max(len(c) for c in cells)
                if need <= room:
                    y = _row(w, cols, edges, cells, y, (0, 1))
                    break
                if room >= 1:  # the row is split at the page break
                    y = _row(w, cols, edges, [c[:room] for c in cells], y, (0, 1))
                    cells = [c[room:] for c in cells]
                    w.splits += 1
                w.pages.append(_Page())
                y = _header(w, kind, cols, edges, TOP)
        y += 8


def write_ofd(
    path: Path,
    ident: dict,
    lists: dict,
    kinds=KINDS,
    ctm: bool = False,
    one_path: bool = False,
    boxes: bool = False,
    namespace: str = "http://www.ofdspec.org/2016",
) -> int:
    """Write the lists as an OFD package; returns how many rows were split at a page break."""
    w = _Writer(ctm, one_path, boxes)
    _lay_out(w, ident, lists, kinds)
    ns = quoteattr(namespace)[1:-1]
    head = '<?xml version="1.0" encoding="UTF-8"?>\n'
    pages = "".join(
        f'<ofd:Page ID="{i + 1}" BaseLoc="Pages/Page_{i}/Content.xml"/>' for i in range(len(w.pages))
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(
            "OFD.xml",
            head + f'<ofd:OFD xmlns:ofd="{ns}" Version="1.0" DocType="OFD"><ofd:DocBody><ofd:DocInfo>'
            f"<ofd:Title>{escape(ident['township'])}</ofd:Title></ofd:DocInfo>"
            "<ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>",
        )
        z.writestr(
            "Doc_0/Document.xml",
            head + f'<ofd:Document xmlns:ofd="{ns}"><ofd:CommonData><ofd:MaxUnitID>{w.next_id + 99}'
            f"</ofd:MaxUnitID><ofd:PageArea><ofd:PhysicalBox>0 0 {PAGE_W:g} {PAGE_H:g}</ofd:PhysicalBox>"
            "</ofd:PageArea><ofd:PublicRes>PublicRes.xml</ofd:PublicRes></ofd:CommonData>"
            f"<ofd:Pages>{pages}</ofd:Pages></ofd:Document>",
        )
        z.writestr(
            "Doc_0/PublicRes.xml",
            head + f'<ofd:Res xmlns:ofd="{ns}" BaseLoc="Res"><ofd:Fonts><ofd:Font ID="1" FontName="宋体"/>'
            '<ofd:Font ID="2" FontName="黑体"/></ofd:Fonts></ofd:Res>',
        )
        for i, page in enumerate(w.pages):
            z.writestr(
                f"Doc_0/Pages/Page_{i}/Content.xml", w.page_xml(page, i + 1).replace('"NS"', f'"{ns}"')
            )
    return w.splits
