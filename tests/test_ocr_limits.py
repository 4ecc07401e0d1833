"""Limits per file for OCR: a cap on the pages or frames one file may have OCRed, and a CPU time
budget across all of a file's OCR pages; each rejects that file alone, with one line."""

from __future__ import annotations

from pathlib import Path
import time

import numpy as np
from PIL import Image
import pytest

from pipeline.common.settings import ExtractSettings, OcrSettings
from pipeline.extract import run as extract_run
from tests.photo_fixtures import list_pdf, render


def _files(manifest: dict) -> dict[str, dict]:
    return {f["source_file"]: f for f in manifest["files"]}


def _extract(raw: Path, out: Path, **settings) -> dict[str, dict]:
    lines: list[str] = []
    manifest = extract_run(raw, out, settings=ExtractSettings(**settings), jobs=1, log=lines.append)
    return _files(manifest)


def test_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="max_ocr_pages"):
        ExtractSettings(max_ocr_pages=0)
    with pytest.raises(ValueError, match="ocr_file_seconds"):
        ExtractSettings(ocr_file_seconds=0)
    with pytest.raises(ValueError, match="photo_min_area"):
        OcrSettings(photo_min_area=0.9, photo_max_area=0.5)
    with pytest.raises(ValueError, match="paper_ratio"):
        OcrSettings(paper_ratio=0.5)
    with pytest.raises(ValueError, match="max_uneven"):
        OcrSettings(max_uneven=300)
    with pytest.raises(ValueError, match="light_kernel"):
        OcrSettings(light_kernel=0)


def test_a_tiff_with_too_many_frames_is_rejected_before_any_is_read(tmp_path) -> None:
    """400 blank frames once took minutes of OCR; over the cap the file is rejected at once."""
    raw = tmp_path / "raw"
    raw.mkdir()
    blank = Image.new("L", (850, 1100), 255)
    blank.save(raw / "scan.tif", save_all=True, append_images=[blank] * 399, compression="tiff_deflate")
    start = time.monotonic()
    files = _extract(raw, tmp_path / "out", max_ocr_pages=200)
    assert time.monotonic() - start < 20
    entry = files["scan.tif"]
    assert entry["status"] == "rejected"
    assert entry["reason"].startswith(
        "too many frames to OCR: 400, more than 200 (ExtractSettings.max_ocr_pages"
    )


def test_a_pdf_with_too_many_scanned_pages_is_rejected(tmp_path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    pages = [Image.new("RGB", (600, 800), (255, 255, 255)) for _ in range(3)]
    pages[0].save(raw / "scans.pdf", save_all=True, append_images=pages[1:], resolution=72)
    entry = _extract(raw, tmp_path / "out", max_ocr_pages=2)["scans.pdf"]
    assert entry["status"] == "rejected"
    assert entry["reason"].startswith("too many scanned pages to OCR: 3 of its 3 pages, more than 2")


def test_the_ocr_time_of_a_file_is_budgeted_and_costs_no_other_file(tmp_path) -> None:
    """A many-page scan stops when its pages together pass the budget; the other file is read."""
    raw = tmp_path / "raw"
    raw.mkdir()
    page = Image.fromarray(render(list_pdf(tmp_path / "list.pdf"), 120))
    page.save(raw / "long.tif", save_all=True, append_images=[page] * 3, compression="tiff_deflate")
    page.save(raw / "short.png", dpi=(120, 120))
    files = _extract(raw, tmp_path / "out", ocr_file_seconds=1)
    long, short = files["long.tif"], files["short.png"]
    assert long["status"] == "rejected"
    reason = long["reason"]
    assert reason.startswith("OCR time budget for one file reached: ") and "ocr_file_seconds = 1 s" in reason
    read = int(reason.split(" after ")[1].split(" of ")[0])
    assert 1 <= read < 4 and "of 4 pages" in reason
    assert short["status"] == "ok" and short["ocr_pages"] == [1]


def test_a_generous_budget_reads_every_frame(tmp_path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    frame = Image.fromarray(np.full((300, 400), 255, np.uint8))
    frame.save(raw / "two.tif", save_all=True, append_images=[frame])
    entry = _extract(raw, tmp_path / "out", max_ocr_pages=2)["two.tif"]
    # read (two blank frames give no text: rejected for that, not for a limit)
    assert entry["status"] == "rejected" and entry["reason"].startswith("no text found")
