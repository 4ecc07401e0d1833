"""Whole documents through the real stages, compared with expected results to the character."""

from __future__ import annotations

import pytest

from tests.conftest import CORPUS, LAYOUTS, build, copy_pdfs
from tests.expected import mismatches

LAYOUT_CASES = sorted(p.name for p in LAYOUTS.iterdir() if p.is_dir())


def test_embedded_default_is_exact(tuhulu_tables):
    """Tuhulu: 263 of 263 items exact in every field, paragraphs included."""
    n, problems = mismatches(tuhulu_tables, [CORPUS / "tuhulu" / "hami_yiwu_tuhulu.expected.json"])
    assert n == 263
    assert problems == []


def test_merged_category_variant_is_exact(tmp_path):
    folder = CORPUS / "xiamaya_merged"
    processed = build(
        copy_pdfs(sorted(folder.glob("*.pdf")), tmp_path / "raw"), tmp_path / "processed", jobs=2
    )
    n, problems = mismatches(processed, sorted(folder.glob("*.expected.json")))
    assert n == 197
    assert problems == []


@pytest.mark.parametrize("case", LAYOUT_CASES)
def test_layout_case_is_exact(case, tmp_path):
    """Each layout the issue describes (generated PDFs, tests/fixtures/README.md)."""
    folder = LAYOUTS / case
    processed = build(copy_pdfs(sorted(folder.glob("*.pdf")), tmp_path / "raw"), tmp_path / "processed")
    n, problems = mismatches(processed, sorted(folder.glob("*.expected.json")))
    assert n > 0
    assert problems == []


def test_scale_sample_townships_are_exact(scale_sample_tables):
    """One township of each county of the scale corpus: every item exact."""
    names = ("township_00", "township_15", "township_21")
    n, problems = mismatches(scale_sample_tables, [CORPUS / "scale" / f"{x}.expected.json" for x in names])
    assert n == 180 + 225 + 176
    assert problems == []


@pytest.mark.slow
def test_scale_townships_are_exact(scale_tables):
    """All 24 synthetic townships (1,318 pages, three counties): every item exact."""
    n, problems = mismatches(scale_tables, sorted((CORPUS / "scale").glob("*.expected.json")))
    assert n == 5089
    assert problems == []
