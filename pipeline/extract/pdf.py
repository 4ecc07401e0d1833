"""The PDF reader (pdfplumber): one page → its tables as grids of cells with text lines.

For each page: the ruled tables pdfplumber finds, as a grid (a vertically merged cell spans
several grid rows), every cell with its text lines and where each line starts and ends, and
the text lines outside tables (titles, footers, cover pages). Nothing is interpreted here.
A file is split into page tasks so that a long file keeps every core busy.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
import logging
from pathlib import Path
from typing import Any, cast

from pipeline.common.records import PageRecord, TextLine, records_to_rows
from pipeline.common.settings import ExtractSettings
from pipeline.common.sources import RejectedFile, check_pdf_bytes
from pipeline.common.storage import rows_to_jsonl
from pipeline.extract.geometry import (
    char_slot,
    chars_to_lines,
    close_open_bottom,
    grid_from_rulings,
    unrotate_objects,
)


def unique_chars(chars: list[dict]) -> list[dict]:
    """Upright characters with text, without the duplicates some producers print for bold."""
    seen: set[tuple] = set()
    out = []
    for c in chars:
        if not c["text"] or not c.get("upright", True):
            continue
        key = (c["text"], round(c["x0"]), round(c["top"]))
        if key not in seen:
            seen.add(key)
            out.append(c)
    return out


def lean_objects(page) -> dict[str, list[dict]]:
    """The page's characters and graphics as plain dicts with only the keys used downstream.

    Same coordinates as pdfplumber's own `page.objects` (top-left origin, MediaBox offset
    applied), built straight from pdfminer's layout: pdfplumber's generic attribute copying
    costs a fifth of the extraction time and none of its extra keys are needed here.
    """
    from pdfminer.layout import LTChar, LTContainer, LTCurve, LTLine, LTRect

    height = page.height
    mb_x0, mb_top = page.mediabox[0], page.mediabox[1]
    doctop0 = page.initial_doctop
    out: dict[str, list[dict]] = {"char": [], "line": [], "rect": [], "curve": []}

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
                d = box(obj)
                d.update(object_type="char", text=obj.get_text(), size=obj.size, upright=obj.upright)
                out["char"].append(d)
            elif isinstance(obj, (LTLine, LTRect, LTCurve)):
                kind = "line" if isinstance(obj, LTLine) else "rect" if isinstance(obj, LTRect) else "curve"
                d = box(obj)
                d["object_type"] = kind
                if kind == "curve":
                    d["pts"] = [(x + mb_x0, mb_top + height - y) for x, y in obj.pts]
                out[kind].append(d)
            elif isinstance(obj, LTContainer):
                walk(obj._objs)

    walk(_layout(page)._objs)
    return out


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
    from pdfplumber.table import TableFinder

    width, height = float(page.width), float(page.height)
    page._objects, width, height = unrotate_objects(lean_objects(page), page.rotation, width, height)
    chars = unique_chars(page.chars)
    finder = TableFinder(page, settings.table_settings)
    h_edges = [(e["top"], e["x0"], e["x1"]) for e in finder.edges if e["orientation"] == "h"]
    v_edges = [(e["x0"], e["top"], e["bottom"]) for e in finder.edges if e["orientation"] == "v"]
    tables: list[Any] = []  # Table records, with the grid's xs and ys while characters are placed
    for t in finder.tables:
        if len(t.cells) < settings.min_table_cells:
            continue
        bbox = close_open_bottom(t.bbox, v_edges, settings.grid_tolerance)
        xs, ys, cells = grid_from_rulings(h_edges, v_edges, bbox, settings.grid_tolerance)
        if cells:
            tables.append({"bbox": (xs[0], ys[0], xs[-1], ys[-1]), "xs": xs, "ys": ys, "cells": cells})
    tables.sort(key=lambda t: (t["bbox"][1], t["bbox"][0]))
    members: dict[tuple[int, int, int], list[dict]] = {}
    free = []
    for ch in chars:
        for ti, t in enumerate(tables):
            slot = char_slot(t["xs"], t["ys"], ch)
            if slot is not None:
                members.setdefault((ti, *slot), []).append(ch)
                break
        else:
            free.append(ch)
    for ti, t in enumerate(tables):
        for cell in t["cells"]:
            inside = [
                ch
                for r in range(cell["r0"], cell["r1"])
                for c in range(cell["c0"], cell["c1"])
                for ch in members.get((ti, r, c), ())
            ]
            cell["lines"] = chars_to_lines(inside, settings.line_tolerance, settings.space_gap)
        del t["xs"], t["ys"]
    return {
        "page": page.page_number,
        "width": width,
        "height": height,
        "n_chars": len(chars),
        "tables": tables,
        "text": cast(list[TextLine], chars_to_lines(free, settings.line_tolerance, settings.space_gap)),
    }


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
    import pdfminer

    logging.getLogger("pdfminer").setLevel(logging.ERROR)
    for name, logger in list(logging.root.manager.loggerDict.items()):
        if name.startswith("pdfminer") and isinstance(logger, logging.Logger):
            logger.debug = _no_debug  # type: ignore[method-assign]
    del pdfminer


def run_page_task(task: PageTask) -> dict:
    """Extract pages [first, last) of one PDF; errors come back as a reason, not an exception."""
    import pdfplumber

    quiet_pdfminer()
    try:
        records = []
        with pdfplumber.open(task.path) as pdf:
            for i in range(task.first, task.last):
                page = pdf.pages[i]
                records.append(page_record(page, task.settings))
                page.close()
        # Encoded here, in parallel, rather than in the process that gathers the results.
        return {
            "rows": rows_to_jsonl(records_to_rows(records)),
            "n_chars": sum(r["n_chars"] for r in records),
        }
    except Exception as exc:  # any parser failure rejects the file with its reason
        return {"error": describe_pdf_error(exc)}


def describe_pdf_error(exc: Exception) -> str:
    """One line saying why pdfminer/pdfplumber could not read a file."""
    inner = exc.args[0] if exc.args and isinstance(exc.args[0], Exception) else exc
    name = type(inner).__name__
    if "Password" in name or "Encryption" in name:
        return "encrypted PDF (a password is needed to open it)"
    detail = str(inner).strip().splitlines()[0] if str(inner).strip() else ""
    return f"unreadable PDF ({name}{': ' + detail[:120] if detail else ''})"


def open_for_tasks(path: Path, settings: ExtractSettings, jobs: int) -> list[PageTask]:
    """Check a file and split it into page tasks; raises RejectedFile with the reason."""
    import pdfplumber

    check_pdf_bytes(path)
    try:
        with pdfplumber.open(path) as pdf:
            n = len(pdf.pages)
    except Exception as exc:
        raise RejectedFile(describe_pdf_error(exc)) from None
    if n == 0:
        raise RejectedFile("PDF has no pages")
    # Few large tasks: each task re-opens the file and reloads its fonts. Two tasks per worker
    # keeps both cores busy on a single long file.
    step = max(settings.pages_per_task, -(-n // max(1, jobs)))
    return [PageTask(str(path), a, min(a + step, n), settings) for a in range(0, n, step)]
