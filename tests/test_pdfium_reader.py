"""The PDFium reader sees a page as the pdfplumber reader does: same characters (printed ones
only), same lines and rectangles, same coordinates, on pages made here with reportlab."""

from __future__ import annotations

import os
from pathlib import Path

import pdfplumber
import pytest
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from pipeline.extract.pdf import lean_objects, quiet_pdfminer
from pipeline.extract.pdfium import Document, PdfiumError

TOLERANCE = 1e-3


def _cjk_font() -> str:
    import mplfonts

    name = "SimHeiTest"
    if name not in pdfmetrics.getRegisteredFontNames():
        path = os.path.join(os.path.dirname(mplfonts.__file__), "fonts", "SimHei.ttf")
        pdfmetrics.registerFont(TTFont(name, path))
    return name


def _pdf(path: Path, draw, rotate: int = 0) -> Path:
    c = canvas.Canvas(str(path), pagesize=(595, 842))
    if rotate:
        c.setPageRotation(rotate)
    draw(c)
    c.showPage()
    c.save()
    return path


def _both(path: Path) -> tuple[dict, dict]:
    quiet_pdfminer()
    with pdfplumber.open(path) as pdf:
        reference = lean_objects(pdf.pages[0])
    with Document(str(path)) as doc:
        fast = doc.page_objects(0)["objects"]
    return fast, reference


def _key(o: dict) -> tuple:
    return (round(o["top"], 1), round(o["x0"], 1), o.get("text", ""))


def assert_same(fast: list[dict], reference: list[dict], keys: tuple[str, ...]) -> None:
    assert len(fast) == len(reference)
    for a, b in zip(sorted(fast, key=_key), sorted(reference, key=_key), strict=True):
        for k in keys:
            if isinstance(a[k], float) or isinstance(b[k], float):
                assert abs(a[k] - b[k]) <= TOLERANCE, (k, a, b)
            else:
                assert a[k] == b[k], (k, a, b)


def _table_page(c) -> None:
    font = _cjk_font()
    c.setFont(font, 12)
    c.drawString(72, 760, "事项名称 ABC 123")
    c.setLineWidth(0.5)
    for y in (700, 680, 660):
        c.line(72, y, 400, y)
    for x in (72, 200, 400):
        c.line(x, 660, x, 700)
    c.rect(72, 600, 100, 20, stroke=1, fill=0)
    c.rect(72, 580, 200, 0.5, stroke=0, fill=1)  # a thin filled rectangle, as Chromium draws borders
    c.drawString(80, 686, "序号")
    c.drawString(210, 686, "部门：县林草局")


@pytest.mark.parametrize("rotate", [0, 90, 180, 270])
def test_same_characters_and_rulings_as_pdfplumber(tmp_path, rotate):
    fast, reference = _both(_pdf(tmp_path / "page.pdf", _table_page, rotate))
    up = [c for c in fast["char"] if c["upright"]]
    assert_same(
        up, [c for c in reference["char"] if c["upright"]], ("text", "x0", "x1", "top", "bottom", "size")
    )
    for kind in ("line", "rect", "curve"):
        assert_same(fast[kind], reference[kind], ("x0", "x1", "top", "bottom"))
    if rotate == 0:
        assert "".join(c["text"] for c in sorted(up, key=_key)).startswith("事项名称 ABC 123")


def test_a_space_in_a_text_object_of_its_own_is_read(tmp_path):
    """PDFium leaves a text object holding only a space out of its text page; pdfminer reads it."""

    def draw(c) -> None:
        font = _cjk_font()
        c.setFont(font, 12)
        c.drawString(72, 700, "1.")
        c.setFont("Helvetica", 12)
        c.drawString(82, 700, " ")
        c.setFont(font, 12)
        c.drawString(86, 700, "统计")

    fast, reference = _both(_pdf(tmp_path / "space.pdf", draw))
    assert [c["text"] for c in sorted(fast["char"], key=_key)] == ["1", ".", " ", "统", "计"]
    assert_same(fast["char"], reference["char"], ("text", "x0", "x1", "top", "bottom"))


def test_generated_line_breaks_and_spaces_are_dropped(tmp_path):
    def draw(c) -> None:
        c.setFont(_cjk_font(), 12)
        c.drawString(72, 700, "第一行")
        c.drawString(300, 700, "远处")
        c.drawString(72, 600, "第二行")

    fast, reference = _both(_pdf(tmp_path / "gaps.pdf", draw))
    assert "".join(c["text"] for c in sorted(fast["char"], key=_key)) == "第一行远处第二行"
    assert_same(fast["char"], reference["char"], ("text", "x0", "x1", "top", "bottom"))


def test_unreadable_file_gives_a_reason(tmp_path):
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(b"%PDF-1.4\nnot really\n%%EOF\n")
    with pytest.raises(PdfiumError, match=r"unreadable PDF \(PDFium: not a PDF or corrupted\)"):
        Document(str(bad))


def _cid_glyphs(c, one_per_operator: bool) -> None:
    """reportlab's STSong-Light: a CID font the file does not embed, with the predefined CMap
    UniGB-UCS2-H; Chromium-style producers write one glyph per text operator."""
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    if "STSong-Light" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    c.setFont("STSong-Light", 12)
    if one_per_operator:
        for i, ch in enumerate("事项名称"):
            c.drawString(72 + 12 * i, 700, ch)
    else:
        c.drawString(72, 700, "事项名称")


def test_a_page_with_glyphs_pdfium_cannot_decode_is_read_by_pdfminer(tmp_path):
    """PDFium decodes nothing from a one-glyph string in a non-embedded CID font: the page is
    flagged, and the reader takes that page from pdfminer, so both readers give the same record."""
    from pipeline.common.settings import ExtractSettings
    from pipeline.extract.pdf import PageTask, _pdfium_pages, _plumber_pages

    single = _pdf(tmp_path / "single.pdf", lambda c: _cid_glyphs(c, True))
    with Document(str(single)) as doc:
        page = doc.page_objects(0)
    assert page["undecoded"] and not any(ch["text"].strip() for ch in page["objects"]["char"])
    task = PageTask(str(single), 0, 1, ExtractSettings(engine="pdfium"))
    [(fast, _)], _ = _pdfium_pages(task)
    [(reference, _)], _ = _plumber_pages(task)
    assert fast == reference
    assert "".join(line["text"] for line in fast["text"]) == "事项名称"

    run = _pdf(tmp_path / "run.pdf", lambda c: _cid_glyphs(c, False))  # several glyphs: decoded
    with Document(str(run)) as doc:
        page = doc.page_objects(0)
    assert not page["undecoded"] and "".join(ch["text"] for ch in page["objects"]["char"]) == "事项名称"


@pytest.mark.parametrize("offset", [0.0, 0.3, 1.0])
def test_a_run_printed_twice_for_bold_reads_once_with_both_readers(tmp_path, offset):
    """Fake bold: the same run printed again a little to the side. PDFium drops the repeat itself,
    pdfminer keeps it; the shared page path drops it, so both give one run and the same record.
    Characters repeated in the text itself (谢谢, aa, 11) stay."""
    from pipeline.common.settings import ExtractSettings
    from pipeline.extract.pdf import PageTask, _pdfium_pages, _plumber_pages
    from tests.test_engines import differences

    def draw(c) -> None:
        c.setFont(_cjk_font(), 12)
        c.drawString(72.4, 700, "加粗标题 Bold")
        c.drawString(72.4 + offset, 700, "加粗标题 Bold")
        c.drawString(72.4, 650, "谢谢 aa 11")

    path = _pdf(tmp_path / "bold.pdf", draw)
    task = PageTask(str(path), 0, 1, ExtractSettings())
    [(fast, _)], _ = _pdfium_pages(task)
    [(reference, _)], _ = _plumber_pages(task)
    assert [line["text"] for line in reference["text"]] == ["加粗标题 Bold", "谢谢 aa 11"]
    assert differences(fast, reference) == []
