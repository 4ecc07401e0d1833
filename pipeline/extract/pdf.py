"""The PDF readers: one page → its tables as grids of cells with text lines.

Two readers give the same page objects: pdfplumber (`lean_objects`, the reference) and PDFium
(`pipeline.extract.pdfium`, the default, several times faster); `pipeline.extract.page` turns
them into the page record, so everything after reading is shared.

For each page: the ruled tables pdfplumber finds, as a grid (a vertically merged cell spans
several grid rows), every cell with its text lines and where each line starts and ends, and
the text lines outside tables (titles, footers, cover pages). Nothing is interpreted here.
A file is split into page tasks so that a long file keeps every core busy.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cache
import importlib
from pathlib import Path

from pipeline.common.records import PageRecord, records_to_rows
from pipeline.common.settings import ExtractSettings
from pipeline.common.sources import RejectedFile, check_pdf_bytes
from pipeline.extract.failures import describe, failure_result
from pipeline.extract.page import record_from_objects


def lean_objects(page) -> dict[str, list[dict]]:
    """The page's characters and graphics as plain dicts with only the keys used downstream.

    Same coordinates as pdfplumber's own `page.objects` (top-left origin, MediaBox offset
    applied), built straight from pdfminer's layout: pdfplumber's generic attribute copying
    costs a fifth of the extraction time and none of its extra keys are needed here.
    """
    from pdfminer.layout import LTChar, LTContainer, LTCurve, LTImage, LTLine, LTRect

    height = page.height
    mb_x0, mb_top = page.mediabox[0], page.mediabox[1]
    doctop0 = page.initial_doctop
    out: dict[str, list[dict]] = {"char": [], "line": [], "rect": [], "curve": [], "image": []}

    def box(obj) -> dict:
        top = height - obj.y1 + mb_top
        return {
            "x0": obj.x0 + mb_x0,
            "x1": obj.x1 + mb_x0,
            "y0": obj.y0,
            "y1": obj.y1,
            "top": top,
            "bottom": height - obj.y0 + mb_top,
            "doctop": doctop0 + top,
            "width": obj.width,
            "height": obj.height,
            "page_number": page.page_number,
        }

    def walk(objs) -> None:
        for obj in objs:
            if isinstance(obj, LTChar):
                d = box(_BaselineBox(obj))
                d.update(object_type="char", text=obj.get_text(), size=obj.size, upright=obj.upright)
                out["char"].append(d)
            elif isinstance(obj, (LTLine, LTRect, LTCurve)):
                kind = "line" if isinstance(obj, LTLine) else "rect" if isinstance(obj, LTRect) else "curve"
                d = box(obj)
                d["object_type"] = kind
                if kind == "curve":
                    d["pts"] = [(x + mb_x0, mb_top + height - y) for x, y in obj.pts]
                out[kind].append(d)
            elif isinstance(obj, LTImage):
                out["image"].append(box(obj))
            elif isinstance(obj, LTContainer):
                walk(obj._objs)

    walk(_layout(page)._objs)
    return out


class _BaselineBox:
    """An upright character's box from its baseline up one font size (its font's descent left
    out): the descent comes from the font descriptor, which producers fill inconsistently (often
    with 0) and which PDFium does not expose, so both readers agree on this box instead."""

    def __init__(self, ch) -> None:
        a, b, c, d, e, f = ch.matrix
        self.x0, self.x1, self.y0, self.y1 = ch.x0, ch.x1, ch.y0, ch.y1
        self.width, self.height = ch.width, ch.y1 - ch.y0
        if d != 0 and b == 0:  # upright (or upside down): the baseline is horizontal
            self.y0, self.y1 = (f, f + self.height) if d > 0 else (f - self.height, f)
        elif a == 0 and d == 0 and c != 0:  # turned a quarter (a page with /Rotate 90 or 270)
            self.x0, self.x1 = (e, e + self.width) if c > 0 else (e - self.width, e)


def _layout(page):
    """pdfminer's layout of a pdfplumber page, with /ActualText honoured and without
    pdfplumber's marked-content tagging (not used here; it costs a tenth of the parse)."""
    from pdfminer.pdfinterp import PDFPageInterpreter

    device = _actual_text_aggregator()(page.pdf.rsrcmgr, pageno=page.page_number, laparams=None)
    PDFPageInterpreter(page.pdf.rsrcmgr, device).process_page(page.page_obj)
    return device.get_result()


@cache
def _actual_text_aggregator():
    """A pdfminer aggregator whose characters inside a marked-content span with /ActualText
    (BDC … EMC) read as that text: the span's first character carries it, the others none.

    Chromium writes glyphs shared with Kangxi radicals as the radicals and puts the right
    character in /ActualText; pdfminer alone ignores it.
    """
    from pdfminer.converter import PDFPageAggregator
    from pdfminer.pdftypes import resolve1
    from pdfminer.utils import decode_text

    class ActualTextAggregator(PDFPageAggregator):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._spans: list[list] = []  # [actual text or None, already given to a char]

        def begin_tag(self, tag, props=None) -> None:
            text = None
            if isinstance(props, dict) and "ActualText" in props:
                raw = resolve1(props["ActualText"])
                if isinstance(raw, bytes):
                    text = decode_text(raw)
                elif isinstance(raw, str):
                    text = raw
            self._spans.append([text, False])

        def end_tag(self) -> None:
            if self._spans:
                self._spans.pop()

        def render_char(self, *args, **kwargs):
            adv = super().render_char(*args, **kwargs)
            span = next((s for s in reversed(self._spans) if s[0] is not None), None)
            if span is not None:
                char = self.cur_item._objs[-1]
                char._text = "" if span[1] else span[0]  # type: ignore[attr-defined]
                span[1] = True
            return adv

    return ActualTextAggregator


def page_record(page, settings: ExtractSettings) -> PageRecord:
    """Tables (as grids of cells with text lines) and free text lines of one pdfplumber page."""
    return record_from_objects(
        page.page_number, page.width, page.height, lean_objects(page), settings, page.rotation
    )


@dataclass(frozen=True)
class PageTask:
    path: str
    first: int  # 0-based, inclusive
    last: int  # exclusive
    settings: ExtractSettings


def _no_debug(*args, **kwargs) -> None:
    pass


def quiet_pdfminer() -> None:
    """Silence pdfminer's warnings and skip its per-token debug calls (a tenth of parse time)."""
    import logging  # here, not at the top: a PDFium build never loads it

    import pdfminer

    logging.getLogger("pdfminer").setLevel(logging.ERROR)
    for name, logger in list(logging.root.manager.loggerDict.items()):
        if name.startswith("pdfminer") and isinstance(logger, logging.Logger):
            logger.debug = _no_debug  # type: ignore[method-assign]
    del pdfminer


def run_page_task(task: PageTask) -> dict:
    """Extract pages [first, last) of one PDF; errors come back as a reason, not an exception."""
    try:
        pages, unread = ENGINES[task.settings.engine].pages(task)
        records, scanned = [], []
        for i, (record, images) in zip(range(task.first, task.last), pages, strict=True):
            if is_scan(record, images, task.settings.ocr.min_image_cover):
                scanned.append(i)  # read by OCR (pipeline.extract.ocr) in a task of its own
            else:
                records.append(record)
        # Rows (plain dicts and lists) go back pickled: the gathering process makes one Arrow
        # table of them (storage.rows_to_arrow), with no JSON text in between.
        return {
            "rows": records_to_rows(records),
            "n_chars": sum(r["n_chars"] for r in records),
            "scanned": scanned,
            "unread": unread,
        }
    except Exception as exc:  # any parser failure rejects the file with its reason
        return failure_result(exc)


def _plumber_pages(task: PageTask) -> tuple[list[tuple[PageRecord, list[dict]]], list[int]]:
    """Each page's record and its images (where a scan is told from a text page); no unread pages."""
    import pdfplumber

    quiet_pdfminer()
    pages = []
    with pdfplumber.open(task.path) as pdf:
        for i in range(task.first, task.last):
            page = pdf.pages[i]
            objects = lean_objects(page)
            record = record_from_objects(
                page.page_number, page.width, page.height, objects, task.settings, page.rotation
            )
            pages.append((record, objects["image"]))
            page.close()
    return pages, []


def _pdfium_pages(task: PageTask) -> tuple[list[tuple[PageRecord, list[dict]]], list[int]]:
    """As `_plumber_pages`, read by PDFium; a page holding text PDFium cannot decode (see
    `pipeline.extract.pdfium`), or one PDFium cannot load at all (a damaged file pdfminer may
    repair otherwise), is read by pdfminer, the reference, instead."""
    from pipeline.extract.pdfium import Document, PdfiumError

    pages = []
    plumber = None
    unread: list[int] = []  # pages no reader could load
    try:
        with Document(task.path) as doc:
            for i in range(task.first, task.last):
                try:
                    p = doc.page_objects(i)
                except PdfiumError:
                    p = {"undecoded": True, "page": i + 1, "width": 0.0, "height": 0.0, "rotation": 0}
                if p["undecoded"]:
                    if plumber is None:
                        import pdfplumber

                        quiet_pdfminer()
                        plumber = pdfplumber.open(task.path)
                    try:
                        page = plumber.pages[i]
                        p = {
                            "page": page.page_number,
                            "width": page.width,
                            "height": page.height,
                            "objects": lean_objects(page),
                            "rotation": page.rotation,
                        }
                        page.close()
                    except Exception:
                        if "objects" in p:  # PDFium read it, only some glyphs undecoded: keep that
                            raise
                        # Neither reader can load this page: the others are still read, and the
                        # file's notes say which page is missing.
                        unread.append(i + 1)
                        p["objects"] = {"char": [], "line": [], "rect": [], "curve": [], "image": []}
                record = record_from_objects(
                    p["page"], p["width"], p["height"], p["objects"], task.settings, p["rotation"]
                )
                pages.append((record, p["objects"]["image"]))
    finally:
        if plumber is not None:
            plumber.close()
    return pages, unread


def is_scan(record: PageRecord, images: list[dict], min_cover: float) -> bool:
    """A page without a text layer whose images cover most of it: a scan, to be OCRed."""
    if record["n_chars"] > 0 or not images:
        return False
    area = sum(max(0.0, im["x1"] - im["x0"]) * max(0.0, im["bottom"] - im["top"]) for im in images)
    return area >= min_cover * record["width"] * record["height"]


def describe_pdf_error(exc: Exception) -> str:
    """One line saying why a reader (PDFium, or pdfminer/pdfplumber) could not read a file: the
    catalogue's sentence (pipeline/extract/failures.py, pipeline/rules/pdf_errors.toml)."""
    return describe(exc).reason


def open_for_tasks(path: Path, settings: ExtractSettings, jobs: int) -> list[PageTask]:
    """Check a file and split it into page tasks; raises RejectedFile with the reason."""
    check_pdf_bytes(path)
    try:
        n = _page_count(path, settings.engine)
    except Exception as exc:
        if settings.engine == "pdfplumber" or "encrypted" in str(exc):
            failure = describe(exc)
            raise RejectedFile(failure.reason, detail=failure.detail) from None
        # PDFium gives one word for any damage ("format"): pdfminer, which repairs other damage,
        # may still read the file, and else says what is wrong in words the catalogue knows.
        settings = replace(settings, engine="pdfplumber")
        try:
            n = _page_count(path, settings.engine)
        except Exception as second:
            failure = describe(second)
            raise RejectedFile(failure.reason, detail=f"{failure.detail} (PDFium: {exc})") from None
    if n == 0:
        raise RejectedFile("damaged PDF: no pages found (its page tree is empty or broken)")
    # Few large tasks: each task re-opens the file and reloads its fonts. Two tasks per worker
    # keeps both cores busy on a single long file.
    step = max(settings.pages_per_task, -(-n // max(1, jobs)))
    return [PageTask(str(path), a, min(a + step, n), settings) for a in range(0, n, step)]


def _page_count(path: Path, engine: str) -> int:
    return ENGINES[engine].count(path)


def _plumber_count(path: Path) -> int:
    import pdfplumber

    quiet_pdfminer()  # its warnings about a damaged file are not lines for the user
    with pdfplumber.open(path) as pdf:
        return len(pdf.pages)


def _pdfium_count(path: Path) -> int:
    from pipeline.extract.pdfium import Document

    with Document(str(path)) as doc:
        return len(doc)


@dataclass(frozen=True)
class Engine:
    """A PDF reader (ExtractSettings.engine): its pages of a task (records with their images, and
    the pages no reader could load), its page count, and the modules the stage imports once so
    that the budgeted children forked from it inherit them."""

    pages: Callable[[PageTask], tuple[list[tuple[PageRecord, list[dict]]], list[int]]]
    count: Callable[[Path], int]
    modules: tuple[str, ...]


ENGINES = {
    "pdfplumber": Engine(
        _plumber_pages,
        _plumber_count,
        ("pdfminer.converter", "pdfminer.layout", "pdfminer.pdfinterp", "pdfplumber"),
    ),
    "pdfium": Engine(_pdfium_pages, _pdfium_count, ("pipeline.extract.pdfium",)),
}


@cache
def import_engine(engine: str) -> None:
    """Import the PDF reader here, once: the budgeted children forked from this process, and from
    the workers forked from it, inherit it instead of importing it again for every task."""
    for module in ENGINES[engine].modules:
        importlib.import_module(module)
