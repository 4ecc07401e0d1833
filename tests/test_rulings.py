"""The shared ruled-table finder gives pdfplumber's TableFinder edges and tables exactly."""

from __future__ import annotations

import pdfplumber
from pdfplumber.table import TableFinder
import pytest

from pipeline.common.settings import ExtractSettings
from pipeline.extract.pdf import lean_objects, quiet_pdfminer
from pipeline.extract.rulings import find_tables, merge_edges
from tests.conftest import CORPUS, LAYOUTS

PDFS = sorted(LAYOUTS.glob("*/*.pdf"))[:6] + sorted((CORPUS / "xiamaya_merged").glob("*.pdf"))


def _plumber_edge(e: dict) -> tuple:
    if e["orientation"] == "h":
        return ("h", e["x0"], e["top"], e["x1"])
    return ("v", e["x0"], e["top"], e["bottom"])


def _edge(e: tuple) -> tuple:
    o, x0, top, x1, bottom = e
    return (o, x0, top, x1) if o == "h" else (o, x0, top, bottom)


@pytest.mark.parametrize("path", PDFS, ids=lambda p: p.stem)
def test_same_edges_and_tables_as_pdfplumber(path):
    quiet_pdfminer()
    settings = ExtractSettings().table_settings
    n_tables = 0
    with pdfplumber.open(path) as pdf:
        for page in pdf.pages[:3]:
            page._objects = lean_objects(page)
            finder = TableFinder(page, settings)
            edges, tables = find_tables(page._objects, settings)
            assert sorted(map(_edge, edges)) == sorted(map(_plumber_edge, finder.edges))
            assert tables == [(t.bbox, len(t.cells)) for t in finder.tables]
            n_tables += len(tables)
    assert n_tables > 0


def test_snap_and_join():
    """Edges 1 pt apart snap to their mean; collinear pieces closer than 3 pt join."""
    settings = {"snap_tolerance": 3, "join_tolerance": 3, "edge_min_length": 3}
    edges = [("h", 0.0, 10.0, 50.0, 10.0), ("h", 52.0, 11.0, 100.0, 11.0), ("v", 0.0, 0.0, 0.0, 2.0)]
    assert merge_edges(edges, settings) == [("h", 0.0, 10.5, 100.0, 10.5)]
