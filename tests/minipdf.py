"""A tiny ruled-table PDF writer for tests that need one particular layout (reportlab, a CJK font).

Each page is a list of blocks drawn top to bottom: ("title", text) or ("table", columns, rows),
where `columns` are widths in points and `rows` lists of cell texts (one line each); a row
("span", text) is one cell across the whole table (a section row such as 一、党的建设).
"""

from __future__ import annotations

from pathlib import Path
import re

from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics, ttfonts
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

FONT = "SimHei"
SIZE = 10.0
ROW = 24.0
LEFT = 50.0


def _font() -> None:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        import mplfonts

        pdfmetrics.registerFont(TTFont(FONT, str(Path(mplfonts.__file__).parent / "fonts" / "SimHei.ttf")))


_reportlab_cmap = ttfonts.makeToUnicodeCMap


def _utf16_to_unicode_cmap(fontname: str, subset: list[int]) -> str:
    """reportlab's ToUnicode map with each target written in UTF-16BE as the PDF format requires
    (reportlab writes a character beyond U+FFFF as its bare code, <2000B>, which no reader
    understands); identical to reportlab's for every character of the BMP."""
    cmap = _reportlab_cmap(fontname, subset)
    cmap = re.sub(
        r"^<([0-9A-F]{2})> <([0-9A-F]{5,6})>$",
        lambda m: f"<{m.group(1)}> <{chr(int(m.group(2), 16)).encode('utf-16-be').hex().upper()}>",
        cmap,
        flags=re.M,
    )
    for placeholder, target in RAW_TARGETS.items():
        cmap = re.sub(rf"^<([0-9A-F]{{2}})> <{placeholder:04X}>$", rf"<\1> <{target}>", cmap, flags=re.M)
    return cmap


# Private-use placeholders whose ToUnicode target is written as given (hex UTF-16BE), e.g. a lone
# high surrogate <D840> as a damaged ToUnicode map has it: {0xE000: "D840"}.
RAW_TARGETS: dict[int, str] = {}


ttfonts.makeToUnicodeCMap = _utf16_to_unicode_cmap


def lend_glyphs(looks: dict[str, str]) -> None:
    """Print each key character (one SimHei lacks, e.g. a CJK Extension B character) with the
    glyph of its value; the text layer (ToUnicode) still says the key character, as a PDF made
    with a font that has it would."""
    _font()
    face = pdfmetrics.getFont(FONT).face
    for ch, like in looks.items():
        face.charToGlyph[ord(ch)] = face.charToGlyph[ord(like)]


def write(path: Path, pages: list[list[tuple]], title_at: float | None = None) -> Path:
    """Draw `pages`; a ("title", text, y) block with a y puts the title at that height (from the top)."""
    _font()
    width, height = A4
    c = canvas.Canvas(str(path), pagesize=A4, invariant=1)
    for blocks in pages:
        y = 60.0  # from the top
        for block in blocks:
            if block[0] == "title":
                at = block[2] if len(block) > 2 else y
                c.setFont(FONT, 16)
                c.drawString(LEFT, height - at - 16, block[1])
                y = at + 40
                continue
            _, columns, rows = block
            xs = [LEFT]
            for w in columns:
                xs.append(xs[-1] + w)
            top = y
            for r, row in enumerate(rows):
                c.setFont(FONT, SIZE)
                if isinstance(row, tuple) and row[0] == "span":
                    row = [row[1]]
                for x, text in zip(xs, row, strict=False):
                    if text:
                        c.drawString(x + 4, height - (top + r * ROW) - 8 - SIZE * 0.86, text)
            bottom = top + len(rows) * ROW
            for r in range(len(rows) + 1):
                c.line(xs[0], height - (top + r * ROW), xs[-1], height - (top + r * ROW))
            for r, row in enumerate(rows):
                spans = isinstance(row, tuple) and row[0] == "span"
                for x in xs if not spans else (xs[0], xs[-1]):
                    c.line(x, height - (top + r * ROW), x, height - (top + (r + 1) * ROW))
            y = bottom + 30
        c.showPage()
    c.save()
    return path
