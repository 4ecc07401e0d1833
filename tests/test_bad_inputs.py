"""Bad raw files: one clear line each, the good files still processed, a non-zero exit, and
no table ever half-written."""

from __future__ import annotations

from pathlib import Path
import shutil
import signal
import subprocess
import time

import pytest

from pipeline.common.sources import RejectedFile, check_pdf_bytes
from tests.conftest import DEFAULT_PDF, FIXTURES, LAYOUTS, ROOT
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
    """STRICT=1: the same list of the same township in two files stops the build, as before."""
    raw, processed = tmp_path / "raw", tmp_path / "processed"
    raw.mkdir()
    shutil.copy2(DEFAULT_PDF, raw / "a.pdf")
    assert make_all(raw, processed).returncode == 0
    before = (processed / "basic_items.parquet").read_bytes()
    shutil.copy2(DEFAULT_PDF, raw / "b.pdf")
    result = make_all(raw, processed, "STRICT=1")
    assert result.returncode != 0
    assert "already read from a.pdf" in result.stderr and "b.pdf" in result.stderr
    assert "Traceback" not in result.stderr
    assert (processed / "basic_items.parquet").read_bytes() == before
    assert not list(processed.glob(".*.tmp"))


def test_an_interrupted_build_leaves_the_previous_tables_whole(tmp_path):
    raw, processed = tmp_path / "raw", tmp_path / "processed"
    raw.mkdir()
    shutil.copy2(DEFAULT_PDF, raw / DEFAULT_PDF.name)
    assert make_all(raw, processed).returncode == 0
    before = {p.name: p.read_bytes() for p in processed.glob("*.parquet")}
    for pdf in sorted((FIXTURES / "corpus" / "scale").glob("*.pdf"))[:3]:
        shutil.copy2(pdf, raw / pdf.name)
    proc = subprocess.Popen(
        ["make", "-s", "all", f"RAW={raw}", f"PROCESSED={processed}"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    # Killed in the middle of extracting the new files: once the first of them is in the extract
    # cache, before anything is published (a fixed sleep no longer lands there: builds got fast).
    cache = processed / ".build" / "extract"
    deadline = time.monotonic() + 120
    while len(list(cache.rglob("*.parquet"))) < 2 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    import os

    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    after = {p.name: p.read_bytes() for p in processed.glob("*.parquet")}
    assert after == before
    result = make_all(raw, processed)
    assert result.returncode == 0, result.stderr
    import pandas as pd

    assert pd.read_parquet(processed / "townships.parquet").shape[0] == 4
    assert not list(processed.rglob(".*.tmp"))
