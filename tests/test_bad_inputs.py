"""Bad raw files: one clear line each, the good files still processed, a non-zero exit, and
no table ever half-written."""

from __future__ import annotations

from pathlib import Path
import shutil

import pytest

from pipeline.common.sources import RejectedFile, check_pdf_bytes
from tests.conftest import DEFAULT_PDF, FIXTURES, LAYOUTS
from tests.conftest import make_all as make

BAD = FIXTURES / "bad"
REASONS = {
    "empty.pdf": "empty file",
    "truncated.pdf": "truncated PDF",
    "encrypted.pdf": "encrypted PDF",
    "not_a_pdf.pdf": "not a PDF",
    "no_duty_list.pdf": "no duty list",
}


def make_all(raw: Path, processed: Path, *extra: str, timeout: int = 300):
    return make(raw, processed, *extra, jobs=2, timeout=timeout)


def test_each_bad_file_gets_one_line_and_the_good_ones_are_written(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    for name in REASONS:
        shutil.copy2(BAD / name, raw / name)
    good = next((LAYOUTS / "rect_borders").glob("*.pdf"))
    shutil.copy2(good, raw / good.name)
    result = make_all(raw, tmp_path / "processed")
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "Traceback" not in output
    lines = [ln for ln in output.splitlines() if ln.startswith("rejected ")]
    assert len(lines) == len(REASONS)
    for name, reason in REASONS.items():
        [line] = [ln for ln in lines if ln.startswith(f"rejected {name}:")]
        assert reason in line
    assert f"{len(REASONS)} file(s) rejected" in output
    import pandas as pd

    basic = pd.read_parquet(tmp_path / "processed" / "basic_items.parquet")
    assert set(basic.source_file) == {good.name} and len(basic) > 0
    sources = pd.read_parquet(tmp_path / "processed" / "source_files.parquet")
    assert sorted(sources[sources.status == "rejected"].source_file) == sorted(REASONS)


@pytest.mark.parametrize("name", ["empty.pdf", "truncated.pdf", "not_a_pdf.pdf"])
def test_byte_checks_reject_before_parsing(name):
    with pytest.raises(RejectedFile, match=REASONS[name]):
        check_pdf_bytes(BAD / name)


def test_a_strict_build_stops_on_a_broken_contract_and_keeps_the_previous_tables(tmp_path):
    """STRICT=1: two differing readings of one township's list that no date tells apart (a copy
    missing its last three pages) stop the build."""
    import pypdfium2 as pdfium

    raw, processed = tmp_path / "raw", tmp_path / "processed"
    raw.mkdir()
    shutil.copy2(DEFAULT_PDF, raw / "a.pdf")
    assert make_all(raw, processed).returncode == 0
    before = (processed / "basic_items.parquet").read_bytes()
    pdf = pdfium.PdfDocument(DEFAULT_PDF)
    for index in range(len(pdf) - 1, len(pdf) - 4, -1):
        del pdf[index]
    pdf.save(raw / "b.pdf")
    pdf.close()
    result = make_all(raw, processed, "STRICT=1")
    assert result.returncode != 0
    assert "conflicting_versions" in result.stderr and "a.pdf" in result.stderr and "b.pdf" in result.stderr
    assert "Traceback" not in result.stderr
    assert (processed / "basic_items.parquet").read_bytes() == before
    assert not list(processed.glob(".*.tmp"))
