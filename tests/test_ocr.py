"""OCR of scanned lists: image rules on synthetic images, corrections, and whole scans.

The scans are made here from a generated list PDF: its pages rendered with pypdfium2, then
tilted, stained with a red seal and speckled with Pillow/numpy, so every test knows the text
that was printed. The OCR result must equal what the text-layer reader gets from the same pages.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image, ImageDraw
import pytest

from pipeline.clean.wording import cut_off_pages, page_of
from pipeline.common import ocr_fix
from pipeline.common.settings import OcrSettings
from pipeline.extract import raster
from pipeline.extract.geometry import grid_from_rulings
from tests.conftest import LAYOUTS, build

SOURCE = LAYOUTS / "one_file_per_list" / "fujian3_jiben.pdf"  # a 2-page basic list
DPI = 200

# --- image rules ----------------------------------------------------------------------------------


def _table_image(angle: float = 0.0) -> np.ndarray:
    """A white page with a 3-column, 3-row ruled table whose left column's two lower cells are
    merged (no border between them), rotated by `angle` degrees."""
    im = Image.new("L", (1000, 700), 255)
    d = ImageDraw.Draw(im)
    xs, ys = (100, 250, 600, 900), (100, 250, 400, 550)
    for y in ys:
        d.line([(xs[0], y), (xs[-1], y)], fill=0, width=2)
    for x in xs:
        d.line([(x, ys[0]), (x, ys[-1])], fill=0, width=2)
    d.line([(xs[0] + 2, ys[2]), (xs[1] - 2, ys[2])], fill=255, width=4)  # the merged cell
    return np.asarray(im.rotate(angle, fillcolor=255, resample=Image.BILINEAR))


def test_red_seal_is_removed_and_black_print_under_it_kept() -> None:
    rgb = np.full((50, 50, 3), 255, np.uint8)
    rgb[10:40, 10:40] = (220, 30, 40)  # seal ink
    rgb[20:30, 0:50] = (20, 20, 20)  # black print crossing it
    gray = raster.drop_red(rgb, margin=60)
    assert gray[12, 12] == 255 and gray[25, 25] < 50 and gray[25, 5] < 50


def test_deskew_levels_a_tilted_table() -> None:
    tilted = _table_image(1.3)
    ink = raster.ink_mask(tilted)
    angle = raster.skew_angle(ink, max_degrees=3.0, step=0.05)
    assert abs(abs(angle) - 1.3) <= 0.1
    level = raster.ink_mask(raster.rotate(tilted, angle))
    rows = level.sum(axis=1)
    assert rows.max() > 0.9 * 800  # a ruling lies on one or two pixel rows again


def test_rulings_give_the_same_grid_as_the_pdf_path_with_a_merged_cell() -> None:
    ink = raster.ink_mask(_table_image())
    h, v, mask = raster.rulings(ink, min_length=60)
    boxes = raster.table_boxes(mask, 100, 100)
    assert len(boxes) == 1
    b = boxes[0]
    xs, ys, cells = grid_from_rulings(h, v, (b.x0, b.top, b.x1 - 1, b.bottom - 1), 5)
    assert len(xs) == 4 and len(ys) == 4
    merged = [c for c in cells if c["c0"] == 0 and c["r1"] - c["r0"] == 2]
    assert len(merged) == 1 and len(cells) == 8


def test_text_lines_are_found_apart_and_noise_is_ignored() -> None:
    ink = np.zeros((100, 300), np.uint8)
    ink[10:30, 20:200] = 1  # a line of text
    ink[45:65, 20:120] = 1  # a shorter second line
    ink[80, 50] = 1  # a speck
    boxes = raster.text_lines(ink, min_height=5, max_gap=40)
    assert [(b.top, b.bottom, b.x0, b.x1) for b in boxes] == [(10, 30, 20, 200), (45, 65, 20, 120)]


def test_touching_lines_are_cut_at_the_emptiest_row() -> None:
    ink = np.zeros((60, 100), np.uint8)
    ink[0:19, :] = 1
    ink[19:21, 40:45] = 1  # a descender touching the next line
    ink[21:40, :] = 1
    parts = raster.split_tall(ink, raster.Box(0, 0, 100, 40), line_height=19)
    assert len(parts) == 2 and 18 <= parts[0].bottom <= 22


def test_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="dpi"):
        OcrSettings(dpi=1000)
    with pytest.raises(ValueError, match="red_margin"):
        OcrSettings(red_margin=300)
    with pytest.raises(ValueError, match="min_ruling"):
        OcrSettings(min_ruling=0)


# --- corrections ----------------------------------------------------------------------------------


def test_half_width_punctuation_next_to_cjk_takes_the_full_width_shape() -> None:
    assert ocr_fix.fix_punctuation("宣传;2.开展(乡)工作,局:") == "宣传；2.开展（乡）工作，局："
    assert ocr_fix.fix_punctuation("3.15 1,000 (a)") == "3.15 1,000 (a)"


def test_number_cells_read_look_alikes_as_digits() -> None:
    assert ocr_fix.fix_number("l2") == "12"
    assert ocr_fix.fix_number("2O") == "20"
    assert ocr_fix.fix_number("Ol") == "Ol"  # no real digit: not a number cell
    assert ocr_fix.fix_number("党的建设") == "党的建设"


def test_low_confidence_cells_snap_to_the_documents_own_wording() -> None:
    def cell(text: str, conf: float) -> dict:
        return {"lines": [{"text": text, "conf": conf}]}

    cells = [cell("社会保障", 0.99)] * 3 + [
        cell("社会保陣", 0.6),
        cell("社会事业", 0.99),
        cell("事項名称", 0.5),
    ]
    records = [{"tables": [{"cells": [dict(c, lines=[dict(c["lines"][0])]) for c in cells]}], "text": []}]
    ocr_fix.fix_document(records)
    texts = [c["lines"][0]["text"] for c in records[0]["tables"][0]["cells"]]
    assert texts[3] == "社会保障"  # one edit from a value printed three times, read unsure
    assert texts[4] == "社会事业"  # two edits away, and read with confidence: left alone
    assert texts[5] == "事项名称"  # header wording


def test_page_footers_tell_an_excerpt() -> None:
    assert page_of("第 22 页，共 32 页") == (22, 32) and page_of("共4页 第2页") == (2, 4)

    def rec(page: int, footer: str) -> dict:
        return {"page": page, "text": [{"text": footer}], "tables": []}

    records = [rec(1, "第3页，共4页"), rec(2, "第1页，共2页"), rec(3, "第2页，共2页")]
    assert cut_off_pages(records) == {1}  # page 4 of the first list is missing


# --- whole scans ----------------------------------------------------------------------------------


def _scan(page_index: int, angle: float = 0.6, seed: int = 7) -> Image.Image:
    """A page of SOURCE as a scanner would return it: gray, tilted, speckled, with a red seal."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(SOURCE)
    try:
        gray = pdf[page_index].render(scale=DPI / 72).to_pil().convert("L")
    finally:
        pdf.close()
    rng = np.random.default_rng(seed)
    arr = np.asarray(gray.rotate(angle, fillcolor=255, resample=Image.BILINEAR)).astype(np.int16)
    arr = np.clip(arr - rng.integers(0, 25, arr.shape) * (rng.random(arr.shape) < 0.02), 0, 255)
    rgb = Image.fromarray(arr.astype(np.uint8)).convert("RGB")
    d = ImageDraw.Draw(rgb)
    w, h = rgb.size
    d.ellipse([w - 600, h - 700, w - 200, h - 300], outline=(210, 40, 40), width=12)
    d.regular_polygon((w - 400, h - 500, 70), 5, fill=(210, 40, 40))
    return rgb


def _image_pdf(pages: list[Image.Image | int], path: Path) -> Path:
    """A PDF of scanned images, and text pages of SOURCE given by their index."""
    import pypdfium2 as pdfium

    out = pdfium.PdfDocument.new()
    src = pdfium.PdfDocument(SOURCE)
    for page in pages:
        if isinstance(page, int):
            out.import_pages(src, [page])
            continue
        buf = io.BytesIO()
        page.save(buf, format="PDF", resolution=DPI)
        scanned = pdfium.PdfDocument(buf.getvalue())
        out.import_pages(scanned, [0])
    out.save(path)
    src.close()
    return path


def _items(processed: Path) -> pd.DataFrame:
    return pd.read_parquet(processed / "basic_items.parquet").set_index("seq")


@pytest.fixture(scope="module")
def born_digital(tmp_path_factory) -> pd.DataFrame:
    raw = tmp_path_factory.mktemp("raw_text")
    (raw / SOURCE.name).write_bytes(SOURCE.read_bytes())
    return _items(build(raw, tmp_path_factory.mktemp("out_text")))


def test_mixed_pdf_ocrs_only_its_scanned_page(tmp_path, born_digital) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    _image_pdf([0, _scan(1)], raw / "mixed.pdf")
    out = build(raw, tmp_path / "out", jobs=2)
    sources = pd.read_parquet(out / "source_files.parquet")
    assert sources["status"].tolist() == ["ok"] and sources["ocr_pages"][0].tolist() == [2]
    items = _items(out)
    assert items.index.tolist() == born_digital.index.tolist()
    on_text_page = items["pages"].map(lambda p: list(p) == [1])
    assert items.loc[on_text_page, "ocr_confidence"].isna().all()  # never OCRed
    scanned = items[~on_text_page]
    assert len(scanned) >= 3 and scanned["ocr_confidence"].between(0, 1).all()
    same = (scanned[["category", "name"]] == born_digital.loc[scanned.index, ["category", "name"]]).all(
        axis=1
    )
    assert same.mean() >= 0.85
    # every item that differs is listed for proof-reading
    notes = " ".join(sources["notes"][0])
    for seq in scanned.index[~same]:
        assert f"basic item {seq} " in notes and "low_confidence" in notes
    # OCR results are cached per page: a new PDF-reader version re-reads the text page only
    from pipeline.common.settings import ExtractSettings
    from pipeline.extract import run as extract_run

    cached = sorted((out / ".build" / "ocr").rglob("*.json"))
    assert len(cached) == 1
    stamp = cached[0].stat().st_mtime_ns
    manifest = extract_run(raw, out, settings=ExtractSettings(pages_per_task=15), jobs=1, log=lambda *a: None)
    assert manifest["files"][0]["ocr_pages"] == [2]
    assert (
        sorted((out / ".build" / "ocr").rglob("*.json")) == cached and cached[0].stat().st_mtime_ns == stamp
    )
    manifest = extract_run(raw, out, settings=ExtractSettings(pages_per_task=15), jobs=1, log=lambda *a: None)
    assert manifest["files"][0]["ocr_pages"] == [2]  # kept by a run that reads nothing


def test_an_image_file_page_record_matches_the_text_layer(tmp_path) -> None:
    """The reader alone on a PNG (resolution from its header): the same cells as pdfplumber."""
    import pdfplumber

    from pipeline.common.settings import ExtractSettings
    from pipeline.extract.ocr import OcrTask, read_page
    from pipeline.extract.pdf import page_record

    path = tmp_path / "page2.png"
    _scan(1, angle=-0.8, seed=3).save(path, dpi=(DPI, DPI))
    record = read_page(OcrTask(str(path), 0, True, OcrSettings()))
    with pdfplumber.open(SOURCE) as pdf:
        truth = page_record(pdf.pages[1], ExtractSettings())
    assert abs(record["width"] - truth["width"]) < 2 and abs(record["height"] - truth["height"]) < 2
    assert len(record["tables"]) == len(truth["tables"]) == 1

    def cells(rec: dict) -> dict:
        return {
            (c["r0"], c["c0"]): "".join(ln["text"] for ln in c["lines"]) for c in rec["tables"][0]["cells"]
        }

    got, want = cells(record), cells(truth)
    assert got.keys() == want.keys()
    assert sum(got[k] == want[k] for k in want) >= 0.85 * len(want)
    for cell in record["tables"][0]["cells"]:
        for line in cell["lines"]:  # positions in PDF points, close to the text layer's
            assert 0 <= line["x0"] < line["x1"] <= record["width"] and 0 < line["conf"] <= 1


@pytest.mark.slow
def test_an_image_file_is_read_like_a_scanned_page(tmp_path, born_digital) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    _scan(0, angle=-0.8, seed=3).save(raw / "jiben_page1.png", dpi=(DPI, DPI))
    out = build(raw, tmp_path / "out")
    sources = pd.read_parquet(out / "source_files.parquet")
    assert sources["status"].tolist() == ["ok"] and sources["ocr_pages"][0].tolist() == [1]
    items = _items(out)
    whole = born_digital[born_digital["pages"].map(lambda p: list(p) == [1])]
    common = whole.index.intersection(items.index)
    assert len(common) == len(whole)
    assert (items.loc[common, "name"] == whole["name"]).mean() >= 0.85
    assert items.loc[common, "township"].eq(whole["township"]).all()


def test_an_unreadable_image_is_rejected_with_its_reason(tmp_path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)
    out = build(raw, tmp_path / "out")
    sources = pd.read_parquet(out / "source_files.parquet")
    assert sources["status"].tolist() == ["rejected"]
    assert sources["reason"][0].startswith("unreadable image")


def test_a_pdf_with_neither_text_nor_scanned_images_is_rejected(tmp_path) -> None:
    from reportlab.pdfgen import canvas

    raw = tmp_path / "raw"
    raw.mkdir()
    c = canvas.Canvas(str(raw / "drawing.pdf"), invariant=1)
    c.rect(100, 100, 300, 200)
    c.showPage()
    c.save()
    out = build(raw, tmp_path / "out")
    sources = pd.read_parquet(out / "source_files.parquet")
    assert sources["reason"][0] == "no text layer and no scanned page images (nothing to read)"


@pytest.mark.slow
def test_a_coarse_jpeg_scan_is_read(tmp_path) -> None:
    """tests/fixtures/bad/scanned.pdf (120 dpi, JPEG quality 50), once rejected, is now read."""
    from tests.conftest import FIXTURES

    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "scanned.pdf").write_bytes((FIXTURES / "bad" / "scanned.pdf").read_bytes())
    out = build(raw, tmp_path / "out", jobs=2)
    sources = pd.read_parquet(out / "source_files.parquet")
    assert sources["status"][0] == "ok" and sources["ocr_pages"][0].tolist() == [1, 2]
    source = next((LAYOUTS / "no_repeated_header").glob("*.pdf"))
    raw_text = tmp_path / "raw_text"
    raw_text.mkdir()
    (raw_text / source.name).write_bytes(source.read_bytes())
    truth = _items(build(raw_text, tmp_path / "out_text"))
    truth = truth[truth["pages"].map(lambda p: max(p) <= 2)]
    items = _items(out)
    common = truth.index.intersection(items.index)
    assert len(common) >= len(truth) - 1
    assert (items.loc[common, "name"] == truth.loc[common, "name"]).mean() >= 0.85


def _ocr_text(processed: Path, source_file: str) -> str:
    """All text OCR gave one file, from the extract stage's records."""
    import json

    from pipeline.common.records import load_extracted

    manifest = json.loads((processed / ".build" / "extract.json").read_text(encoding="utf-8"))
    entry = next(e for e in manifest["files"] if e["source_file"] == source_file)
    records = load_extracted(processed, entry)
    return "".join(
        line["text"]
        for record in records
        for table in record["tables"]
        for cell in table["cells"]
        for line in cell["lines"]
    )


def test_copies_of_a_scan_beside_another_scan_each_get_their_own_reading(tmp_path, born_digital) -> None:
    """Two files with the same scan share their pages' OCR (one content hash); the page of the
    file after them still gets its own reading, not a copy's (results were once taken in the
    wrong order, giving a file another file's text)."""
    raw = tmp_path / "raw"
    raw.mkdir()
    _scan(0, angle=-0.8, seed=3).save(raw / "a_page1.png", dpi=(DPI, DPI))
    (raw / "b_copy.png").write_bytes((raw / "a_page1.png").read_bytes())
    _scan(1, angle=0.5, seed=5).save(raw / "c_page2.png", dpi=(DPI, DPI))
    out = build(raw, tmp_path / "out", jobs=2)
    first = _ocr_text(out, "a_page1.png")
    assert _ocr_text(out, "b_copy.png") == first
    second = _ocr_text(out, "c_page2.png")
    only_on = {
        page: [
            n for n, p in zip(born_digital["name"], born_digital["pages"], strict=True) if list(p) == [page]
        ]
        for page in (1, 2)
    }
    assert sum(name[:8] in second for name in only_on[2]) >= 0.8 * len(only_on[2])
    assert sum(name[:8] in second for name in only_on[1]) <= 0.2 * len(only_on[1])
    assert sum(name[:8] in first for name in only_on[1]) >= 0.8 * len(only_on[1])
