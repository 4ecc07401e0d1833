"""Damaged, hostile and odd raw files (issue 13): budgets, human reasons, every kind of path.

Real files through the real readers: bombs are generated here (a fixture list with a content
stream replaced), links, FIFOs and odd names are made in a temporary raw folder.
"""

from __future__ import annotations

import os
from pathlib import Path
import re
import shutil
import signal
import zlib

import pandas as pd
import pytest

from pipeline import extract
from pipeline.common.settings import ExtractSettings
from pipeline.common.sources import OUTSIDE, display_name, scan_sources
from pipeline.extract.failures import describe
from pipeline.fuzz.mutate import Pdf, _deflated
from tests.conftest import LAYOUTS, quiet
from tests.conftest import make_all as make

GOOD = LAYOUTS / "rect_borders" / "tianshui_zhangjiachuan_malu.pdf"
OTHER = LAYOUTS / "rows_kept_whole" / "dingxi_lintao_hongqi.pdf"
# Small budgets, with the reader these bombs are slow and large for: pdfminer interprets every
# operator in Python, where PDFium reads millions of "q Q" in half a second. The budgets are the
# same code for both readers (pipeline/extract/budget.py wraps either).
SMALL = ExtractSettings(engine="pdfplumber", budget_seconds=5, budget_memory_mb=300)


def bomb(path: Path, pattern: bytes, size_mb: int, streams: int = 1) -> Path:
    """A fixture list whose first page's content is `streams` streams inflating to `size_mb` MB
    of `pattern` each."""
    pdf = Pdf.parse(OTHER.read_bytes())
    pdf.add_contents(pdf.pages()[0], [_deflated(pattern, size_mb << 20)] * streams)
    path.write_bytes(pdf.write())
    return path


def extracted(raw: Path, processed: Path, settings: ExtractSettings, jobs: int) -> dict[str, dict]:
    manifest = extract.run(raw, processed, settings, jobs=jobs, log=quiet)
    return {e["source_file"]: e for e in manifest["files"]}


# --- budgets -------------------------------------------------------------------------------------


# One process is the slow case (the budget runs out in the build's own child); `make test` keeps two.
@pytest.mark.parametrize("jobs", [pytest.param(1, marks=pytest.mark.slow), 2])
def test_a_read_over_its_budget_costs_only_its_file(tmp_path, jobs):
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy2(GOOD, raw / "good.pdf")
    bomb(raw / "memory.pdf", b"10 10 m 200 200 l S ", 200, streams=3)  # each under the stream cap
    bomb(raw / "slow.pdf", b"q Q ", 24)  # millions of operators: CPU, not memory
    bomb(raw / "huge.pdf", b"0 0 m ", 300)  # over the stream cap
    files = extracted(raw, tmp_path / "processed", SMALL, jobs)
    assert files["good.pdf"]["status"] == "ok"
    assert files["memory.pdf"]["reason"].startswith("reading it exceeds the 300 MB memory budget")
    assert files["slow.pdf"]["reason"].startswith("reading it exceeds the 5 s time budget")
    assert files["huge.pdf"]["reason"].startswith(
        "decompression bomb: a compressed stream in it inflates to more"
    )
    for name in ("memory.pdf", "slow.pdf"):
        held = files[name]["budget"]
        assert files[name]["status"] == "rejected"
        assert held["peak_mb"] <= 300 * 1.05 or held["added_mb"] <= 300 / 4 * 1.05  # at least a quarter
        assert files[name]["budget"]["cpu_s"] <= 5 + 2


def test_the_shared_bomb_is_rejected_in_one_line_and_the_previous_tables_stay(tmp_path):
    """A bomb like the corpus's (a small file holding a 1 GiB stream) added after a first build."""
    raw, processed = tmp_path / "raw", tmp_path / "processed"
    raw.mkdir()
    shutil.copy2(GOOD, raw / "good.pdf")
    assert make(raw, processed, jobs=2).returncode == 0
    before = pd.read_parquet(processed / "basic_items.parquet")
    bomb(raw / "bomb_0421.pdf", b"0 0 m ", 1024)  # as the shared corpus's: about 1 MB holding 1 GiB
    result = make(raw, processed, jobs=2)
    assert result.returncode != 0 and "Traceback" not in result.stdout + result.stderr
    lines = [ln for ln in result.stderr.splitlines() if ln.startswith("rejected ")]
    assert lines == [
        "rejected bomb_0421.pdf: decompression bomb: a compressed stream in it inflates to more than "
        "256 MB (ExtractSettings.max_stream_mb; a duty list's largest streams are a few MB)"
    ]
    pd.testing.assert_frame_equal(pd.read_parquet(processed / "basic_items.parquet"), before)


def test_budget_settings_are_checked():
    with pytest.raises(ValueError, match="budget_seconds"):
        ExtractSettings(budget_seconds=0)
    with pytest.raises(ValueError, match="budget_memory_mb"):
        ExtractSettings(budget_memory_mb=10)
    with pytest.raises(ValueError, match="max_stream_mb"):
        ExtractSettings(max_stream_mb=0)


# --- reasons a person can use --------------------------------------------------------------------


def test_reader_failures_read_as_sentences():
    from pdfminer.pdfparser import PDFSyntaxError

    cases = {
        PDFSyntaxError("No /Root object! - Is this really a PDF?"): "the document catalogue (/Root",
        AttributeError("'bytes' object has no attribute 'objid'"): "an object is of the wrong kind",
        RecursionError("maximum recursion depth exceeded"): "refer to themselves in a loop",
    }
    for exc, words in cases.items():
        failure = describe(exc)
        assert words in failure.reason and failure.detail.startswith(type(exc).__name__)
        assert "Error" not in failure.reason  # the exception's name is in the detail, not the sentence


def test_a_damaged_pdf_gets_a_sentence_and_its_detail_in_source_files(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy2(GOOD, raw / "good.pdf")
    pdf = Pdf.parse(OTHER.read_bytes())
    pdf.trailer = re.sub(rb"/Root \d+ 0 R", b"", pdf.trailer)  # the trailer no longer names the catalogue
    (raw / "no_root.pdf").write_bytes(pdf.write())
    result = make(raw, tmp_path / "processed", jobs=2)
    assert "Traceback" not in result.stdout + result.stderr
    [line] = [ln for ln in result.stderr.splitlines() if ln.startswith("rejected ")]
    assert line == (
        "rejected no_root.pdf: damaged PDF: the document catalogue (/Root, which says where the pages are) is missing"
    )
    sources = pd.read_parquet(tmp_path / "processed" / "source_files.parquet").set_index("source_file")
    assert sources.loc["no_root.pdf", "reason_detail"].startswith(
        "PDFSyntaxError: No /Root object! - Is this really a PDF?"
    )
    assert pd.isna(sources.loc["good.pdf", "reason_detail"]) and sources.loc["good.pdf", "n_items"] > 0


# --- every kind of path --------------------------------------------------------------------------


def odd_raw_folder(base: Path) -> Path:
    raw, elsewhere = base / "raw", base / "elsewhere"
    (raw / "sub").mkdir(parents=True)
    elsewhere.mkdir()
    if not (raw / "good.pdf").exists():
        shutil.copy2(GOOD, raw / "good.pdf")
    shutil.copy2(OTHER, elsewhere / "linked.pdf")
    (raw / "dangling.pdf").symlink_to(base / "missing.pdf")
    (raw / "loop.pdf").symlink_to("loop.pdf")
    os.mkfifo(raw / "pipe.pdf")
    (raw / "linked_folder").symlink_to(elsewhere)  # outside the raw folder: followed with FOLLOW_LINKS=1
    (raw / "sub" / "up").symlink_to("..")  # a loop: the raw folder again
    (raw / "twice.pdf").symlink_to(raw / "good.pdf")  # the same file under a second name
    shutil.copy2(
        LAYOUTS / "title_in_table" / "jiayuguan_yuquan_yuquan.pdf",
        raw / os.fsdecode(b"caf\xe9_\xff.pdf"),
    )
    return raw


def good_rows(processed: Path) -> pd.DataFrame:
    items = pd.read_parquet(processed / "basic_items.parquet").drop(columns="duty_id")
    return items[items.source_file == "good.pdf"].reset_index(drop=True)


def test_every_kind_of_path_gets_a_line_or_is_read(tmp_path):
    (tmp_path / "raw").mkdir()
    shutil.copy2(GOOD, tmp_path / "raw" / "good.pdf")
    assert make(tmp_path / "raw", tmp_path / "processed", jobs=2).returncode == 0
    before = good_rows(tmp_path / "processed")
    raw = odd_raw_folder(tmp_path)
    result = make(raw, tmp_path / "processed", jobs=2)
    output = result.stdout + result.stderr
    assert "Traceback" not in output and result.returncode == 0, output
    said = sorted(ln for ln in output.splitlines() if ln.startswith(("skipped ", "rejected ")))
    assert said == [
        f"skipped dangling.pdf: a symbolic link to nothing (its target {tmp_path}/missing.pdf does not exist)",
        "skipped linked_folder: a symbolic link leading out of the raw folder: not followed "
        "(FOLLOW_LINKS=1 follows it)",
        "skipped loop.pdf: a symbolic link loop (the link leads back to itself): nothing to read",
        "skipped pipe.pdf: a named pipe (FIFO), not a file: nothing to read",
        "skipped sub/up: a link to a folder already read (the raw folder); not read twice",
        "skipped twice.pdf: the same file as good.pdf (a link to it); read once",
    ]
    sources = pd.read_parquet(tmp_path / "processed" / "source_files.parquet").set_index("source_file")
    read = sorted(sources[sources.status == "ok"].index)
    assert read == ["caf\\xe9_\\xff.pdf", "good.pdf"]
    assert (sources.loc[read, "n_items"] > 0).all()
    pd.testing.assert_frame_equal(
        good_rows(tmp_path / "processed"), before
    )  # the good file's tables as before


def test_names_are_recorded_escaped_and_one_line_each():
    assert display_name(os.fsdecode(b"caf\xe9.pdf")) == "caf\\xe9.pdf"
    assert display_name("a\nrejected b.pdf: x.pdf") == "a\\x0arejected b.pdf: x.pdf"
    assert display_name("伊吾县　吐葫芦乡.pdf") == "伊吾县　吐葫芦乡.pdf"  # valid names unchanged


def test_scan_sources_lists_notes_in_path_order(tmp_path):
    raw = odd_raw_folder(tmp_path)
    sources = scan_sources(raw, follow_links=True)
    assert [s.name for s in sources][:3] == ["caf\\xe9_\\xff.pdf", "dangling.pdf", "good.pdf"]  # byte order
    assert {s.name for s in sources if s.status is None} == {
        "good.pdf", "linked_folder/linked.pdf", "caf\\xe9_\\xff.pdf"
    }  # fmt: skip


def test_links_leading_out_of_the_raw_folder_are_followed_only_when_asked(tmp_path, monkeypatch):
    """A link to /etc publishes none of its file names; one inside the raw folder is followed."""
    raw = tmp_path / "raw"
    (raw / "lists").mkdir(parents=True)
    shutil.copy2(GOOD, raw / "lists" / "good.pdf")
    (raw / "etc").symlink_to("/etc")
    (raw / "passwd.pdf").symlink_to("/etc/passwd")
    (raw / "again").symlink_to(raw / "lists")  # inside: followed (read once, the second name noted)
    (raw / "alias.pdf").symlink_to("lists/good.pdf")
    monkeypatch.delenv("FOLLOW_LINKS", raising=False)
    sources = {s.name: (s.status, s.reason) for s in scan_sources(raw)}
    assert sources == {
        "again/good.pdf": (None, None),
        "alias.pdf": ("skipped", "the same file as again/good.pdf (a link to it); read once"),
        "etc": ("skipped", OUTSIDE),
        "lists": ("skipped", "a link to a folder already read (again); not read twice"),
        "passwd.pdf": ("skipped", OUTSIDE),
    }
    monkeypatch.setenv("FOLLOW_LINKS", "1")
    followed = {s.name for s in scan_sources(raw)}
    assert "passwd.pdf" in followed and any(name.startswith("etc/") for name in followed)


def test_a_truncated_stream_is_no_bomb(tmp_path):
    """The stream measure counts what inflates; a damaged stream is left to the reader."""
    from pipeline.extract.preflight import check_streams

    path = tmp_path / "x.pdf"
    path.write_bytes(
        b"%PDF-1.3\n1 0 obj\n<< /Length 9 >>\nstream\n"
        + zlib.compress(b"x" * 10**6)[:50]
        + b"\nendstream\n%%EOF\n"
    )
    check_streams(path, 1)  # no error: under the cap
    with pytest.raises(Exception, match="decompression bomb"):
        check_streams(bomb(tmp_path / "b.pdf", b"0 0 m ", 2), 1)


def _crash(_) -> None:
    os.kill(os.getpid(), signal.SIGSEGV)  # what a reader's C library does on a damaged file


def _spin(_) -> None:
    while True:
        pass


def test_a_crashed_or_spinning_reader_costs_only_its_child():
    from pipeline.extract.budget import CRASHED, Budget, call

    crashed = call(_crash, None, Budget(5, 300))
    assert not crashed.ok and crashed.reason == CRASHED and crashed.detail == "signal SIGSEGV"
    spun = call(_spin, None, Budget(1, 300))
    assert not spun.ok and spun.reason.startswith("reading it exceeds the 1 s time budget")
    assert call(len, "abc", Budget(1, 300)).value == 3  # and a read within budget gives its value


def _reader_result(kind: str):
    """What a reader returns: its pages, a MemoryError it caught, or (a bug) not a dict."""
    return (
        {"pages": [1, 2], "rows": ["甲"]}
        if kind == "ok"
        else {"error_kind": "memory"}
        if kind == "memory"
        else 7
    )


@pytest.mark.parametrize("kind", ["ok", "memory", "not a dict", "crash"])
def test_a_sealed_result_opened_by_the_caller_is_the_unsealed_result(kind):
    """A pool worker passes a read's result on sealed (unpickled only by the build's process):
    opened, it is what the worker would have passed on, whatever the read gave."""
    from pipeline.extract.budget import Budget, Sealed, opened, run

    budget = Budget(5, 300)
    func = _crash if kind == "crash" else _reader_result
    plain, sealed = run(func, kind, budget), run(func, kind, budget, sealed=True)
    assert isinstance(sealed.get("sealed"), Sealed) == (kind != "crash")  # a crash has no value to seal
    assert sealed["budget"]["cpu_s"] >= 0  # the read's figures come beside it, unsealed
    got = opened(dict(sealed), budget)
    for result in (plain, got):
        result.pop("budget")
    assert got == plain
    assert ("error" in got) == (kind != "ok")
