"""The PDF reader (pdfplumber): one page → its tables as grids of cells with text lines.

For each page: the ruled tables pdfplumber finds, as a grid (a vertically merged cell spans
several grid rows), every cell with its text lines and where each line starts and ends, and
the text lines outside tables (titles, footers, cover pages). Nothing is interpreted here.
A file is split into page tasks so that a long file keeps every core busy.
"""

from __future__ import annotations

from dataclasses import dataclass
import logging
from pathlib import Path
from typing import Any, cast

from pipeline.common.records import PageRecord, TextLine, records_to_rows
from pipeline.common.settings import ExtractSettings
from pipeline.common.sources import RejectedFile, check_pdf_bytes
from pipeline.common.storage import rows_to_jsonl
from pipeline.extract.geometry import chars_to_lines, grid_from_rulings, slot_index


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
            elif isinstance(obj, LTImage):
                out["image"].append(box(obj))
            elif isinstance(obj, LTContainer):
                walk(obj._objs)

    walk(_layout(page)._objs)
    return out


def _layout(page):
    """pdfminer's layout of a pdfplumber page, without marked-content tags (not used here;
    pdfplumber's tagging aggregator costs a tenth of the parse)."""
    from pdfminer.converter import PDFPageAggregator
    from pdfminer.pdfinterp import PDFPageInterpreter

    device = PDFPageAggregator(page.pdf.rsrcmgr, pageno=page.page_number, laparams=None)
    PDFPageInterpreter(page.pdf.rsrcmgr, device).process_page(page.page_obj)
    return device.get_result()


def page_record(page, settings: ExtractSettings) -> PageRecord:
    """Tables (as grids of cells with text lines) and free text lines of one pdfplumber page."""
    from pdfplumber.table import TableFinder

    page._objects = lean_objects(page)
    chars = unique_chars(page.chars)
    finder = TableFinder(page, settings.table_settings)
    h_edges = [(e["top"], e["x0"], e["x1"]) for e in finder.edges if e["orientation"] == "h"]
    v_edges = [(e["x0"], e["top"], e["bottom"]) for e in finder.edges if e["orientation"] == "v"]
    tables: list[Any] = []  # Table records, with the grid's xs and ys while characters are placed
    for t in finder.tables:
        if len(t.cells) < settings.min_table_cells:
            continue
        xs, ys, cells = grid_from_rulings(h_edges, v_edges, t.bbox, settings.grid_tolerance)
        if cells:
            tables.append({"bbox": (xs[0], ys[0], xs[-1], ys[-1]), "xs": xs, "ys": ys, "cells": cells})
    tables.sort(key=lambda t: (t["bbox"][1], t["bbox"][0]))
    members: dict[tuple[int, int, int], list[dict]] = {}
    free = []
    for ch in chars:
        cx, cy = (ch["x0"] + ch["x1"]) / 2, (ch["top"] + ch["bottom"]) / 2
        for ti, t in enumerate(tables):
            slot = slot_index(t["xs"], t["ys"], cx, cy)
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
        "width": float(page.width),
        "height": float(page.height),
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
        records, scanned = [], []
        with pdfplumber.open(task.path) as pdf:
            for i in range(task.first, task.last):
                page = pdf.pages[i]
                record = page_record(page, task.settings)
                if is_scan(record, page._objects["image"], task.settings.ocr.min_image_cover):
                    scanned.append(i)  # read by OCR (pipeline.extract.ocr) in a task of its own
                else:
                    records.append(record)
                page.close()
        # Encoded here, in parallel, rather than in the process that gathers the results.
        return {
            "rows": rows_to_jsonl(records_to_rows(records)),
            "n_chars": sum(r["n_chars"] for r in records),
            "scanned": scanned,
        }
    except Exception as exc:  # any parser failure rejects the file with its reason
        return {"error": describe_pdf_error(exc)}


def is_scan(record: PageRecord, images: list[dict], min_cover: float) -> bool:
    """A page without a text layer whose images cover most of it: a scan, to be OCRed."""
    if record["n_chars"] > 0 or not images:
        return False
    area = sum(max(0.0, im["x1"] - im["x0"]) * max(0.0, im["bottom"] - im["top"]) for im in images)
    return area >= min_cover * record["width"] * record["height"]


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
