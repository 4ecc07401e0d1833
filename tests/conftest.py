"""Shared test fixtures: real PDFs run through the real stages into temporary folders."""

from __future__ import annotations

from pathlib import Path
import shutil
import subprocess
import sys

import pytest

from pipeline import clean, extract, normalize, publish
from pipeline.common.publication import staged

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
LAYOUTS = FIXTURES / "layouts"
CORPUS = FIXTURES / "corpus"
DEFAULT_PDF = ROOT / "data" / "raw" / "hami_yiwu_tuhulu.pdf"

# Three generated townships in three counties: the small multi-township fixture.
MULTI_TOWNSHIP_CASES = ("other_list_order", "rect_borders", "rows_kept_whole")


def quiet(*args, **kwargs) -> None:
    pass


def build(raw: Path, processed: Path, jobs: int = 1) -> Path:
    """Run extract → clean → normalize → publish on a raw folder; return the processed folder."""
    extract.run(raw, processed, jobs=jobs, log=quiet)
    clean.run(processed, log=quiet)
    with staged(processed) as out:  # normalize writes into a staging folder, published as one set
        normalize.run(processed, out, log=quiet, jobs=jobs)
    publish.run(processed, log=quiet)
    return processed


def make_all(
    raw: Path, processed: Path, *extra: str, jobs: int | None = None, timeout: int = 600
) -> subprocess.CompletedProcess:
    """`make all` on a raw folder as a user runs it (quiet), with extra Make variables."""
    cmd = ["make", "--no-print-directory", "-s", "all", f"RAW={raw}", f"PROCESSED={processed}"]
    cmd += [f"JOBS={jobs}"] if jobs else []
    return subprocess.run([*cmd, *extra], cwd=ROOT, capture_output=True, text=True, timeout=timeout)


def build_command(raw: Path, processed: Path) -> list[str]:
    """The build as a command (`python -m pipeline.orchestrate`) on RAW into PROCESSED."""
    return [sys.executable, "-m", "pipeline.orchestrate", "--raw", str(raw), "--processed", str(processed)]


def copy_pdfs(sources: list[Path], raw: Path) -> Path:
    raw.mkdir(parents=True, exist_ok=True)
    for src in sources:
        shutil.copy2(src, raw / src.name)
    return raw


@pytest.fixture(scope="session")
def tuhulu_tables(tmp_path_factory) -> Path:
    """The embedded default (data/raw) built into a temporary processed folder."""
    base = tmp_path_factory.mktemp("tuhulu")
    return build(copy_pdfs([DEFAULT_PDF], base / "raw"), base / "processed", jobs=2)


@pytest.fixture(scope="session")
def multi_township_tables(tmp_path_factory) -> Path:
    """Three generated townships (three counties) built into a temporary processed folder."""
    base = tmp_path_factory.mktemp("multi")
    pdfs = [p for case in MULTI_TOWNSHIP_CASES for p in sorted((LAYOUTS / case).glob("*.pdf"))]
    return build(copy_pdfs(pdfs, base / "raw"), base / "processed", jobs=2)


@pytest.fixture(scope="session")
def scale_tables(tmp_path_factory) -> Path:
    """The 24 synthetic scale townships (three counties, 1,318 pages)."""
    base = tmp_path_factory.mktemp("scale")
    return build(
        copy_pdfs(sorted((CORPUS / "scale").glob("*.pdf")), base / "raw"), base / "processed", jobs=2
    )


# One township of each county of the scale corpus (with and without merged category cells):
# the representative part `make test` builds; the whole corpus runs in `make test-all`.
SCALE_SAMPLE = ("township_00", "township_15", "township_21")


@pytest.fixture(scope="session")
def scale_sample_tables(tmp_path_factory) -> Path:
    """Three scale townships, one per county (伊州区, 巴里坤哈萨克自治县, 伊吾县)."""
    base = tmp_path_factory.mktemp("scale_sample")
    pdfs = [CORPUS / "scale" / f"{name}.pdf" for name in SCALE_SAMPLE]
    return build(copy_pdfs(pdfs, base / "raw"), base / "processed", jobs=2)


@pytest.fixture(scope="session")
def empty_tables(tmp_path_factory) -> Path:
    """An empty raw folder built: every table with 0 rows."""
    base = tmp_path_factory.mktemp("empty")
    (base / "raw").mkdir()
    return build(base / "raw", base / "processed")
