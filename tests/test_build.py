"""Builds: parallel = serial, reruns byte-identical, incremental make, safe concurrency, dask."""

from __future__ import annotations

import os
from pathlib import Path
import shutil
import subprocess
import sys

import pandas as pd
import pyarrow.parquet as pq
import pytest

from pipeline import extract
from pipeline.normalize.schema import spec
from tests.conftest import DEFAULT_PDF, LAYOUTS, ROOT, build, copy_pdfs, make_all, quiet

TWO_PDFS = [DEFAULT_PDF, next((LAYOUTS / "rect_borders").glob("*.pdf"))]


def outputs(processed: Path) -> dict[str, bytes]:
    """Every published file of a processed folder, by name."""
    return {
        p.name: p.read_bytes()
        for p in sorted(processed.iterdir())
        if p.is_file() and not p.name.startswith(".")
    }


def test_parallel_extraction_equals_serial_and_reruns_are_byte_identical(tmp_path):
    raw = copy_pdfs(TWO_PDFS, tmp_path / "raw")
    serial = outputs(build(raw, tmp_path / "serial", jobs=1))
    parallel = outputs(build(raw, tmp_path / "parallel", jobs=2))
    again = outputs(build(raw, tmp_path / "again", jobs=2))
    assert {f"{t}.parquet" for t in spec()} | {"CODEBOOK.md", "datapackage.json", "duty_lists.xlsx"} <= set(
        serial
    )
    assert parallel == serial
    assert again == serial


def test_noop_rebuild_does_no_pdf_work(tmp_path):
    raw = copy_pdfs([DEFAULT_PDF], tmp_path / "raw")
    processed = tmp_path / "processed"
    first = make_all(raw, processed)
    assert first.returncode == 0, first.stderr
    assert "extract:" in first.stdout
    manifest = processed / ".build" / "extract.json"
    stamp = manifest.stat().st_mtime_ns
    second = make_all(raw, processed)
    assert second.returncode == 0
    assert "extract:" not in second.stdout and "normalize:" not in second.stdout
    assert manifest.stat().st_mtime_ns == stamp
    build_id = pq.read_schema(processed / "source_files.parquet").metadata[b"build_id"].decode()
    assert f"up to date (build {build_id}): nothing changed since" in second.stdout


@pytest.mark.parametrize(
    "module",
    ["pipeline.orchestrate", "pipeline.extract", "pipeline.clean", "pipeline.normalize", "pipeline.publish"]
    + ["pipeline.analysis.notebooks", "pipeline.analysis.report", "pipeline.fuzz"],
)
def test_every_command_names_itself_and_helps_every_option(module):
    """The usage line names the command a person types (not __main__.py); every option has help."""
    import re

    done = subprocess.run([sys.executable, "-m", module, "--help"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.startswith(f"usage: python -m {module} ")
    options = done.stdout.split("options:", 1)[1]
    # An option line without help ends right after its metavar (nothing beside or below it).
    bare = re.findall(r"^  (-[-\w]+(?: [A-Z_{},.a-z]+)?)\n(?=  -|\Z)", options, re.M)
    assert not bare, bare
    if module == "pipeline.orchestrate":
        assert "(default: data/raw)" in options and "(default: pdfium)" in options


def test_added_changed_and_removed_files(tmp_path):
    raw = copy_pdfs([DEFAULT_PDF], tmp_path / "raw")
    processed = tmp_path / "processed"
    assert make_all(raw, processed).returncode == 0
    added = next((LAYOUTS / "rect_borders").glob("*.pdf"))
    shutil.copy2(added, raw / "extra.pdf")
    result = make_all(raw, processed)
    assert "1 read, 1 unchanged" in result.stdout
    assert pd.read_parquet(processed / "townships.parquet").shape[0] == 2

    changed = next((LAYOUTS / "rows_kept_whole").glob("*.pdf"))
    shutil.copyfile(changed, raw / "extra.pdf")
    os.utime(raw / "extra.pdf")
    result = make_all(raw, processed)
    assert "1 read, 1 unchanged" in result.stdout
    towns = pd.read_parquet(processed / "townships.parquet")
    assert "红旗乡" in set(towns.township) and len(towns) == 2

    (raw / "extra.pdf").unlink()
    result = make_all(raw, processed)
    assert "0 read, 1 unchanged" in result.stdout
    basic = pd.read_parquet(processed / "basic_items.parquet")
    assert set(basic.source_file) == {DEFAULT_PDF.name}
    cached = list((processed / ".build" / "extract").rglob("*.parquet"))
    assert len(cached) == 1


def test_two_builds_at_once_do_not_corrupt_each_other(tmp_path):
    raw = copy_pdfs(TWO_PDFS, tmp_path / "raw")
    reference = outputs(build(raw, tmp_path / "reference", jobs=2))
    processed = tmp_path / "processed"
    cmd = ["make", "--no-print-directory", "-s", "all", f"RAW={raw}", f"PROCESSED={processed}", "JOBS=1"]
    runs = [
        subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    results = [(p.wait(timeout=600), p.stderr.read()) for p in runs]
    assert [code for code, _ in results] == [0, 0], results
    assert outputs(processed) == reference


def test_extraction_on_a_dask_cluster_matches_local(tmp_path):
    from distributed import LocalCluster

    raw = copy_pdfs(TWO_PDFS, tmp_path / "raw")
    local = tmp_path / "local"
    extract.run(raw, local, jobs=2, log=quiet)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        remote = tmp_path / "dask"
        extract.run(raw, remote, scheduler=cluster.scheduler_address, log=quiet)
    files = lambda p: {q.name: q.read_bytes() for q in (p / ".build" / "extract").rglob("*.parquet")}  # noqa: E731
    assert files(remote) == files(local) and len(files(local)) == 2


def test_progress_bar_only_at_a_terminal(monkeypatch):
    import io
    import sys

    from pipeline.common.progress import progress

    monkeypatch.setattr(sys, "stderr", io.StringIO())
    quiet_bar = progress(total=83, desc="extract", unit="page")
    quiet_bar.update(83)
    quiet_bar.close()
    assert sys.stderr.getvalue() == ""

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(sys, "stderr", Terminal())
    bar = progress(total=83, desc="extract", unit="page")
    bar.update(83)
    bar.close()
    assert "extract" in sys.stderr.getvalue()
