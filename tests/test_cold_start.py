"""The cold build's start: what a PDF build loads before its readers start, the later stages
imported while they read, and the parsed files kept between builds equal to a fresh parse."""

from __future__ import annotations

import json
import os
from pathlib import Path
import shutil
import subprocess
import sys
import tomllib

import pytest

from pipeline.common.settings import ExtractSettings
from pipeline.extract import run as extract_run
from pipeline.normalize import schema
from tests.conftest import DEFAULT_PDF, ROOT, build_command, copy_pdfs

# Run in a fresh interpreter: this pytest process has imported everything already.
PROBE = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
import pipeline.orchestrate.stage, pipeline.extract, pipeline.extract.pdfium
print(json.dumps(sorted(sys.modules)))
"""


def test_a_pdf_build_starts_its_readers_without_loading_what_they_do_not_need():
    out = subprocess.run([sys.executable, "-c", PROBE, str(ROOT)], capture_output=True, text=True, check=True)
    loaded = set(json.loads(out.stdout.strip().splitlines()[-1]))
    assert "pipeline.extract.pdf" in loaded  # the probe does import the PDF reader
    unwanted = {
        "pipeline.extract.word",  # office readers: only where an office file is read
        "pipeline.extract.sheets",
        "pipeline.extract.legacy",
        "defusedxml",
        "logging",  # only where pdfminer reads
        "tomllib",  # parsed rules and schema are kept (rules.derived)
        "pipeline.clean",  # the later stages: imported while the readers work
        "pipeline.normalize",
        "pipeline.publish",
        "numpy",
        "pyarrow",
    }
    assert not unwanted & loaded, sorted(unwanted & loaded)


def test_no_process_of_a_pdf_build_imports_numpy_or_pandas(tmp_path: Path):
    """A whole cold build of a text PDF (its workers, the budgeted reads, publish's helper
    included: all write their import times to one stderr) loads neither numpy nor pandas nor
    pyarrow.compute, which imports numpy: 0.15 s in each process that does."""
    raw = copy_pdfs([DEFAULT_PDF], tmp_path / "raw")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"} | {
        "PYTHONPROFILEIMPORTTIME": "1"
    }
    cmd = build_command(raw, tmp_path / "out")
    out = subprocess.run(cmd + ["--jobs", "2"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    imported = {
        line.rsplit("|", 1)[1].strip() for line in out.stderr.splitlines() if line.startswith("import time:")
    }
    assert "pipeline.publish.workbook" in imported  # the probe does see the later stages
    assert not {"numpy", "pandas", "pyarrow.compute"} & imported, sorted(
        {"numpy", "pandas", "pyarrow.compute"} & imported
    )


@pytest.mark.parametrize("jobs", [1, 2])
def test_extract_runs_the_preload_once_on_either_path(tmp_path: Path, jobs: int):
    """With two workers the preload runs beside them (the loader thread); with one, at the end."""
    calls: list[int] = []
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy2(DEFAULT_PDF, raw / DEFAULT_PDF.name)
    manifest = extract_run(
        raw,
        tmp_path / "out",
        ExtractSettings(),
        jobs=jobs,
        log=lambda *a: None,
        preload=lambda: calls.append(1),
    )
    assert calls == [1]
    assert [f["status"] for f in manifest["files"]] == ["ok"]


def test_a_failing_preload_does_not_stop_extraction(tmp_path: Path):
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy2(DEFAULT_PDF, raw / DEFAULT_PDF.name)

    def broken() -> None:
        raise ImportError("no such module")

    manifest = extract_run(
        raw, tmp_path / "out", ExtractSettings(), jobs=2, log=lambda *a: None, preload=broken
    )
    assert [f["status"] for f in manifest["files"]] == ["ok"]


def test_the_kept_schema_and_version_equal_a_fresh_parse():
    with schema.SCHEMA_FILE.open("rb") as f:
        assert schema.spec() == schema.with_printed_columns(tomllib.load(f)["tables"])
    with schema.PYPROJECT.open("rb") as f:
        assert schema.build_info()["version"] == tomllib.load(f)["project"]["version"]
