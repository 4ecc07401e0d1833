"""Both PDF readers (PDFium, the default, and pdfplumber, the reference) give the same tables.

Every corpus PDF in tests/ is built with each reader: the extracted page records must agree
cell for cell and line for line (text exactly, coordinates to 0.001 pt: PDFium computes in
32-bit floats), and the output tables (items, paragraphs, departments, steps, files) must be equal.

Where the readers cannot agree:
- a line's right end (x1) may differ by up to WIDTH_SLACK of its font size: PDFium keeps a
  TrueType font's glyph widths in whole thousandths of an em, pdfminer takes the fractional
  /Widths the file writes (reportlab and Chromium with WenQuanYi write them), and the rounding
  adds up along a run of text, so a line's end lies a few hundredths of a point apart (at most
  0.0057 em, 0.06 pt, on these files); the tables are still equal;
- damaged files (tests/fixtures/corpus/damaged): each parser repairs a broken stream or font its
  own way (PDFium reads some glyphs pdfminer shows as (cid:N), and garbled operators differently),
  so only that each reader reads or rejects the file without costing the others is tested
  (tests/test_isolation.py);
- scans (tests/fixtures/bad/scanned.pdf) are read by OCR with either reader;
- not in these files: an /ActualText span over several glyphs of one text object gives the same
  text, but PDFium spreads it over the glyphs and the pdfminer reader puts it in the first glyph's
  box (Chromium, the producer that writes /ActualText here, writes one span per glyph).
"""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from pipeline import clean, extract, normalize
from pipeline.common.publication import staged
from pipeline.common.records import load_extracted
from pipeline.common.settings import ExtractSettings
from pipeline.common.storage import EXTRACT_MANIFEST, build_dir, read_json
from tests.conftest import CORPUS, DEFAULT_PDF, FIXTURES, LAYOUTS, copy_pdfs, quiet

TOLERANCE = 1e-3
WIDTH_SLACK = 0.01  # of the font size, for a line's x1 (see above)
TABLES = (
    "basic_items",
    "coordination_items",
    "reclaimed_items",
    "coordination_departments",
    "reclaimed_departments",
    "duty_steps",
    "departments",
    "townships",
    "source_files",
    "problems",
    "duties",
)
FOLDERS = {
    **{f"layouts/{p.name}": p for p in LAYOUTS.iterdir() if p.is_dir()},
    **{f"producers/{p.name}": p for p in (FIXTURES / "producers").iterdir() if p.is_dir()},
    **{f"corpus/producers/{p.name}": p for p in (CORPUS / "producers").iterdir() if list(p.glob("*.pdf"))},
    **{f"problems/{p.name}": p for p in (FIXTURES / "problems").iterdir() if p.is_dir()},
    "corpus/xiamaya_merged": CORPUS / "xiamaya_merged",
    "bad": FIXTURES / "bad",  # every unreadable file rejected with the same reason
}
FAST_CASES = sorted(FOLDERS)


def _pdfs(case: str) -> list[Path]:
    if case == "tuhulu":
        return [DEFAULT_PDF]
    if case == "scale":
        return sorted((CORPUS / "scale").glob("*.pdf"))
    pdfs = sorted(FOLDERS[case].glob("*.pdf"))
    return [p for p in pdfs if p.name != "scanned.pdf"]  # OCR: the same reader for both


def _build(engine: str, raw: Path, processed: Path) -> Path:
    extract.run(raw, processed, ExtractSettings(engine=engine), jobs=2, log=quiet)
    clean.run(processed, log=quiet)
    with staged(processed) as out:
        normalize.run(processed, out, log=quiet)
    return processed


def _records(processed: Path) -> dict[str, list[dict]]:
    manifest = read_json(build_dir(processed) / EXTRACT_MANIFEST)
    return {e["source_file"]: load_extracted(processed, e) for e in manifest["files"] if e["status"] == "ok"}


def differences(a, b, where: str = "", tolerance: float = TOLERANCE) -> list[str]:
    """Where two page records (or parts of them) differ: structure and text exactly, numbers
    within TOLERANCE (a text line's x1 within WIDTH_SLACK of its size)."""
    if isinstance(a, dict) and isinstance(b, dict):
        if a.keys() != b.keys():
            return [f"{where}: keys {sorted(a.keys() ^ b.keys())}"]
        out = []
        for k in a:
            tol = TOLERANCE
            if k == "x1" and "text" in a and isinstance(a.get("size"), float):
                tol = max(TOLERANCE, WIDTH_SLACK * a["size"])
            out += differences(a[k], b[k], f"{where}.{k}", tol)
        return out
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        if len(a) != len(b):
            return [f"{where}: {len(a)} vs {len(b)} entries"]
        return [
            d for i, (x, y) in enumerate(zip(a, b, strict=True)) for d in differences(x, y, f"{where}[{i}]")
        ]
    if isinstance(a, float) or isinstance(b, float):
        return [] if abs(a - b) <= tolerance else [f"{where}: {a} vs {b}"]
    return [] if a == b else [f"{where}: {a!r} vs {b!r}"]


def assert_same_output(case: str, tmp_path: Path) -> None:
    raw = copy_pdfs(_pdfs(case), tmp_path / "raw")
    fast = _build("pdfium", raw, tmp_path / "pdfium")
    reference = _build("pdfplumber", raw, tmp_path / "pdfplumber")
    a, b = _records(fast), _records(reference)
    assert a.keys() == b.keys() and (a or case == "bad")
    problems = [d for name in a for d in differences(a[name], b[name], name)]
    assert problems == [], problems[:10]
    for table in TABLES:
        ours, theirs = (pq.read_table(folder / f"{table}.parquet") for folder in (fast, reference))
        if table == "source_files":  # which reader, and the detail of each reader's own exception
            ours, theirs = (t.drop_columns(["reader", "reason_detail"]) for t in (ours, theirs))
        assert ours.equals(theirs), table


@pytest.mark.parametrize("case", FAST_CASES)
def test_both_readers_give_the_same_tables(case, tmp_path):
    assert_same_output(case, tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize("case", ["tuhulu", "scale"])
def test_both_readers_give_the_same_tables_on_the_large_corpus(case, tmp_path):
    assert_same_output(case, tmp_path)


def test_differences_sees_text_and_geometry():
    line = {"text": "事项", "x0": 1.0, "x1": 2.0}
    assert differences(line, dict(line)) == []
    assert differences(line, {**line, "x1": 2.0004}) == []
    assert differences(line, {**line, "x1": 2.01}) != []
    assert differences(line, {**line, "text": "事 项"}) != []
    assert differences([line], [line, line]) != []
    sized = {**line, "size": 12.0}
    assert differences(sized, {**sized, "x1": 2.1}) == []  # within WIDTH_SLACK × size
    assert differences(sized, {**sized, "x1": 2.2}) != []
    assert differences(sized, {**sized, "x0": 1.05}) != []  # only a line's end has the slack
