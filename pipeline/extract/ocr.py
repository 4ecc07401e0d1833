"""OCR reader: a scanned page (an image) → the same page record as a PDF page with a text layer.

The page is cleaned (red seals removed, skew corrected), its ruling lines found, and the cell
grid built by the same `grid_from_rulings` as the PDF path; then each cell's text lines are
located by their ink and recognised one by one with the PP-OCRv4 recognition model that the
`rapidocr-onnxruntime` wheel ships (run by onnxruntime; no detection model, nothing fetched at
run time). Line positions are converted to PDF points so the clean stage's paragraph rules
apply unchanged. Every line carries `conf`: the lowest per-character probability.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, cast

import numpy as np

from pipeline.common.ocr_fix import fix_line
from pipeline.common.records import PageRecord, records_to_rows
from pipeline.common.rules import load
from pipeline.common.settings import OcrSettings
from pipeline.extract import raster
from pipeline.extract.geometry import grid_from_rulings

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff")


# --- the recogniser -------------------------------------------------------------------------------


@dataclass
class Recognizer:
    """PP-OCRv4 text-line recognition (CTC) on onnxruntime."""

    session: Any  # onnxruntime.InferenceSession
    charset: list[str] = field(repr=False)
    twins: dict[int, int] = field(default_factory=dict, repr=False)  # class → its other-width shape

    def __call__(self, images: list[np.ndarray], settings: OcrSettings) -> list[tuple[str, list[float]]]:
        """Text and per-character probabilities of each gray line image."""
        import cv2

        out: list[tuple[str, list[float]]] = [("", [])] * len(images)
        order = sorted(range(len(images)), key=lambda i: images[i].shape[1] / images[i].shape[0])
        h = settings.rec_height
        for start in range(0, len(order), settings.batch):
            idx = order[start : start + settings.batch]
            widths = [max(1, round(images[i].shape[1] * h / images[i].shape[0])) for i in idx]
            width = max(max(widths), h * 320 // 48)
            batch = np.zeros((len(idx), 3, h, width), dtype=np.float32)
            for k, (i, w) in enumerate(zip(idx, widths, strict=True)):
                img = cv2.resize(images[i], (w, h), interpolation=cv2.INTER_LINEAR).astype(np.float32)
                batch[k, :, :, :w] = ((img / 255.0 - 0.5) / 0.5).transpose(2, 0, 1)
            probs = self.session.run(None, {self.session.get_inputs()[0].name: batch})[0]
            for k, i in enumerate(idx):
                out[i] = self._decode(probs[k])
        return out

    def _decode(self, probs: np.ndarray) -> tuple[str, list[float]]:
        """Greedy CTC: best class per time step, repeats merged, blanks (class 0) dropped.

        A character's confidence is its best step's probability, counting its other shape (；
        for ;) as the same reading: the shape is settled by context, not by the recogniser. A
        blank step where a character was nearly read (a dropped character) also lowers the
        confidence, to the blank's probability.
        """
        best = probs.argmax(axis=1)
        chars, confs, steps = [], [], []
        blanks: list[int] = []
        prev = 0
        for t, c in enumerate(best.tolist()):
            if c == 0:
                blanks.append(t)
            else:
                twin = self.twins.get(c)
                p = float(probs[t, c] + (probs[t, twin] if twin is not None else 0.0))
                if c != prev:
                    chars.append(self.charset[c])
                    confs.append(p)
                    steps.append((t, c))
                else:
                    confs[-1] = max(confs[-1], p)
            prev = c
        if chars and blanks:
            confs.append(self._blank_confidence(probs, blanks, steps))
        return "".join(chars), confs

    def _blank_confidence(self, probs: np.ndarray, blanks: list[int], steps: list[tuple[int, int]]) -> float:
        """1 − the highest probability of a character not read at a blank step, leaving out the
        characters read just before and after it (CTC spreads a character over several steps)."""
        at = np.array([t for t, _ in steps])
        classes = [c for _, c in steps]
        rows = probs[blanks].copy()
        rows[:, 0] = 0.0
        for k, t in enumerate(blanks):
            i = int(np.searchsorted(at, t))
            for j in (i - 1, i):
                if 0 <= j < len(classes):
                    rows[k, classes[j]] = 0.0
                    twin = self.twins.get(classes[j])
                    if twin is not None:
                        rows[k, twin] = 0.0
        return float(1.0 - rows.max())


def model_path() -> Path:
    """The recognition model inside the installed rapidocr-onnxruntime wheel."""
    import rapidocr_onnxruntime

    return Path(rapidocr_onnxruntime.__file__).parent / "models" / "ch_PP-OCRv4_rec_infer.onnx"


@cache
def recognizer(threads: int) -> Recognizer:
    """One recogniser per process (loading the model takes a fraction of a second)."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.log_severity_level = 3
    session = ort.InferenceSession(str(model_path()), opts, providers=["CPUExecutionProvider"])
    meta = session.get_modelmeta().custom_metadata_map
    charset = ["<blank>", *meta["character"].splitlines(), " "]
    index = {ch: i for i, ch in enumerate(charset)}
    twins = {}
    for half, full in load("ocr")["punctuation"]["cjk_context"].items():
        if half in index and full in index:
            twins[index[half]], twins[index[full]] = index[full], index[half]
    return Recognizer(session, charset, twins)


# --- one page -------------------------------------------------------------------------------------


def page_record_from_image(rgb: np.ndarray, dpi: float, page_no: int, settings: OcrSettings) -> PageRecord:
    """The page record (PDF points, top-left origin) of one page image (H×W×3 RGB uint8)."""
    scale = dpi / 72.0  # pixels per point
    gray = raster.drop_red(rgb, settings.red_margin)
    ink = raster.ink_mask(gray)
    angle = raster.skew_angle(ink, settings.max_skew, settings.skew_step)
    if angle:
        gray = raster.rotate(gray, angle)
        ink = raster.ink_mask(gray)
    h_px, v_px, ruled = raster.rulings(
        raster.line_mask(gray, settings.line_lift), round(settings.min_ruling * scale)
    )
    text_ink = ink & (1 - ruled)
    h_pt = [(y / scale, a / scale, b / scale) for y, a, b in h_px]
    v_pt = [(x / scale, a / scale, b / scale) for x, a, b in v_px]
    min_table = round(settings.min_table * scale)
    tables: list[dict[str, Any]] = []
    jobs: list[tuple[dict, raster.Box]] = []  # (line dict, pixel box) to recognise
    covered = np.zeros_like(ink, dtype=bool)
    for box in raster.table_boxes(ruled, min_table, min_table):
        bbox = (box.x0 / scale, box.top / scale, (box.x1 - 1) / scale, (box.bottom - 1) / scale)
        xs, ys, cells = grid_from_rulings(h_pt, v_pt, bbox, settings.grid_tolerance)
        if len(cells) < 2:
            continue
        covered[box.top : box.bottom, box.x0 : box.x1] = True
        for cell in cells:
            cell["lines"] = []
            inset = settings.cell_inset * scale
            region = raster.Box(
                round(cell["x0"] * scale + inset),
                round(cell["top"] * scale + inset),
                round(cell["x1"] * scale - inset),
                round(cell["bottom"] * scale - inset),
            )
            for line_box in _lines_in(text_ink, region, scale, settings):
                line = _line_dict(line_box, scale, settings)
                cell["lines"].append(line)
                jobs.append((line, line_box))
        tables.append({"bbox": (xs[0], ys[0], xs[-1], ys[-1]), "cells": cells})
    free_ink = text_ink.copy()
    free_ink[covered] = 0
    page_box = raster.Box(0, 0, ink.shape[1], ink.shape[0])
    text: list[dict] = []
    for line_box in _lines_in(free_ink, page_box, scale, settings):
        line = _line_dict(line_box, scale, settings)
        text.append(line)
        jobs.append((line, line_box))
    _recognise(gray, jobs, scale, settings)
    for t in tables:
        for cell in t["cells"]:
            cell["lines"] = [ln for ln in cell["lines"] if ln["text"].strip()]
    text = [ln for ln in text if ln["text"].strip()]
    n_chars = sum(len(ln["text"]) for t in tables for c in t["cells"] for ln in c["lines"])
    record = {
        "page": page_no,
        "width": rgb.shape[1] / scale,
        "height": rgb.shape[0] / scale,
        "n_chars": n_chars + sum(len(ln["text"]) for ln in text),
        "tables": tables,
        "text": text,
    }
    return cast(PageRecord, record)


def _lines_in(ink: np.ndarray, region: raster.Box, scale: float, settings: OcrSettings) -> list[raster.Box]:
    """Text line boxes inside a region of the page, in page pixels."""
    if region.x1 - region.x0 < 2 or region.bottom - region.top < 2:
        return []
    sub = ink[region.top : region.bottom, region.x0 : region.x1]
    boxes = raster.text_lines(sub, round(settings.min_line * scale), round(settings.word_gap * scale))
    if not boxes:
        return []
    heights = sorted(b.bottom - b.top for b in boxes)
    typical = heights[len(heights) // 2]
    out = []
    for b in boxes:
        for piece in raster.split_tall(sub, b, typical):
            out.append(
                raster.Box(
                    piece.x0 + region.x0,
                    piece.top + region.top,
                    piece.x1 + region.x0,
                    piece.bottom + region.top,
                )
            )
    return out


def _line_dict(box: raster.Box, scale: float, settings: OcrSettings) -> dict:
    height = (box.bottom - box.top) / scale
    return {
        "text": "",
        "x0": box.x0 / scale,
        "x1": box.x1 / scale,
        "top": box.top / scale,
        "bottom": box.bottom / scale,
        "size": round(height / settings.glyph_ratio, 2),
        "conf": 0.0,
    }


def _recognise(
    gray: np.ndarray, jobs: list[tuple[dict, raster.Box]], scale: float, settings: OcrSettings
) -> None:
    pad = max(1, round(settings.line_pad * scale))
    h, w = gray.shape
    images = []
    for _line, b in jobs:
        crop = gray[max(0, b.top - pad) : min(h, b.bottom + pad), max(0, b.x0 - pad) : min(w, b.x1 + pad)]
        images.append(np.repeat(crop[:, :, None], 3, axis=2))
    results = recognizer(settings.threads)(images, settings) if images else []
    for (line, _b), (text, confs) in zip(jobs, results, strict=True):
        line["text"] = fix_line(text)
        line["conf"] = round(min(confs), 4) if confs else 0.0


# --- tasks: one scanned page each -----------------------------------------------------------------


@dataclass(frozen=True)
class OcrTask:
    path: str
    index: int  # 0-based page of a PDF, or frame of an image file
    is_image: bool  # an image file (.png/.jpg/.tif) rather than a PDF page
    settings: OcrSettings


def is_image_file(path: Path) -> bool:
    return path.suffix.lower() in IMAGE_SUFFIXES


def image_frames(path: Path) -> int:
    """Number of frames (pages) of an image file; raises ValueError with a reason if unreadable."""
    from PIL import Image, UnidentifiedImageError

    from pipeline.extract.pixels import limited

    try:
        with limited(), Image.open(path) as im:  # the pixel limit from the first look (a PixelBomb)
            im.verify()
        with limited(), Image.open(path) as im:
            return getattr(im, "n_frames", 1)
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise ValueError(f"unreadable image ({type(exc).__name__}: {str(exc)[:100]})") from None


def load_image(task: OcrTask) -> tuple[np.ndarray, float]:
    """The page as an RGB array and its resolution (dots per inch)."""
    s = task.settings
    if task.is_image:
        from PIL import Image, ImageOps

        from pipeline.extract.pixels import limited

        with limited(), Image.open(task.path) as im:
            im.seek(task.index)
            dpi = float((im.info.get("dpi") or (s.dpi, s.dpi))[0] or s.dpi)
            # A phone stores a photo as its sensor saw it, with an EXIF tag saying how to turn it
            # for display: read it as displayed.
            upright = ImageOps.exif_transpose(im) if im.getexif().get(0x0112, 1) != 1 else im
            rgb = np.asarray(upright.convert("RGB"))
        if not s.min_dpi <= dpi <= s.max_dpi:
            dpi = float(s.dpi)  # a made-up resolution (72 or 1 dpi headers are common)
        return rgb, dpi
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(task.path)
    try:
        page = pdf[task.index]
        dpi = _native_dpi(page) or s.dpi
        dpi = min(max(dpi, s.min_dpi), s.max_dpi)
        bitmap = page.render(scale=dpi / 72.0, rev_byteorder=True, draw_annots=False)
        rgb = bitmap.to_numpy()[:, :, :3].copy()
        return rgb, dpi
    finally:
        pdf.close()


def _native_dpi(page) -> float | None:
    """Resolution of the largest image drawn on the page: rendering finer adds no detail."""
    import pypdfium2.raw as pdfium_c

    best = None
    for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=2):
        x0, y0, x1, y1 = obj.get_bounds()
        w_px, _h_px = obj.get_px_size()
        if x1 - x0 > 1 and (best is None or x1 - x0 > best[0]):
            best = (x1 - x0, w_px * 72.0 / (x1 - x0))
    return round(best[1]) if best else None


def straighten(rgb: np.ndarray, dpi: float, settings: OcrSettings) -> tuple[np.ndarray, float]:
    """A photographed page as a flat scan of it, and its resolution; a scan as it is.

    A sheet of paper photographed on a darker ground (`raster.page_outline`) is seen straight on
    (keystone and rotation undone), its resolution then that of a sheet `paper_long_mm` long on
    its longer side; its light is flattened and the edge of the sheet (the ground showing past
    an imperfect outline) painted white; a sheet finer than `max_dpi` is scaled down to it.
    Any other image has its light flattened only when it
    is unevenly lit (`max_uneven`), so a clean scan reaches the OCR untouched; where it shows a
    ruled table whose opposite sides differ by more than `max_keystone` (a photo of a sheet
    filling the frame), the image is re-projected to make that table a rectangle."""
    import cv2

    s = settings
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    corners = raster.page_outline(gray, s.photo_min_area, s.photo_max_area, s.photo_contrast)
    if corners is not None:
        longest = round(s.max_dpi * s.paper_long_mm / 25.4)
        rgb = raster.warp_sheet(rgb, corners, s.paper_ratio, s.paper_snap, longest)
        dpi = max(rgb.shape[:2]) / (s.paper_long_mm / 25.4)
    background = raster.light_field(rgb, round(s.light_kernel * dpi / 72.0))
    if corners is not None or raster.uneven(background) > s.max_uneven:
        rgb = raster.flatten_light(rgb, background)
    if corners is not None:
        b = max(1, round(s.sheet_margin * dpi / 72.0))
        rgb[:b], rgb[-b:], rgb[:, :b], rgb[:, -b:] = 255, 255, 255, 255
        return rgb, dpi
    # No sheet outline: the table's own border tells the perspective, where it is keystoned.
    table = raster.table_outline(raster.drop_red(rgb, s.red_margin), s.photo_min_area)
    if table is not None and raster.keystone(table) > s.max_keystone:
        rgb = raster.unwarp_plane(rgb, table)
    return rgb, dpi


def read_page(task: OcrTask) -> PageRecord:
    """The page record of one scanned page (page numbers are 1-based)."""
    rgb, dpi = load_image(task)
    rgb, dpi = straighten(rgb, dpi, task.settings)
    return page_record_from_image(rgb, dpi, task.index + 1, task.settings)


def ocr_version(settings: OcrSettings) -> str:
    """Key of the page-level OCR cache: the OCR code, its rules, its settings and the engine.

    Narrower than the extract stage's version, so a change to the PDF reader does not OCR every
    scan again.
    """
    from dataclasses import asdict
    import hashlib
    import json

    import onnxruntime

    here = Path(__file__).resolve().parent
    common = here.parent / "common"
    h = hashlib.sha256(onnxruntime.__version__.encode() + model_path().read_bytes()[: 1 << 16])
    for path in (here / "ocr.py", here / "raster.py", here / "geometry.py", common / "ocr_fix.py",
                 common / "records.py", common / "rules.py", common.parent / "rules" / "ocr.toml"):  # fmt: skip
        h.update(path.name.encode() + b"\0" + path.read_bytes())
    h.update(json.dumps(asdict(settings), sort_keys=True).encode())
    return h.hexdigest()[:16]


def run_ocr_task(task: OcrTask) -> dict:
    """OCR one scanned page or image; errors come back as a reason, not an exception."""
    try:
        record = read_page(task)
    except Exception as exc:  # an unreadable image or page rejects the file with its reason
        detail = str(exc).strip().splitlines()[0][:120] if str(exc).strip() else ""
        where = f"frame {task.index + 1}" if task.is_image else f"page {task.index + 1}"
        return {"error": f"OCR failed on {where} ({type(exc).__name__}{': ' + detail if detail else ''})"}
    return {"rows": records_to_rows([record]), "n_chars": record["n_chars"], "ocr": [record["page"]]}
