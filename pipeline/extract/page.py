"""One page's objects (characters, lines, rectangles, curves) → its page record, for any reader.

Both readers (pdfplumber's `pdf.lean_objects`, PDFium's `pdfium.Document.page_objects`) give
the same object lists; from here on the path is shared, so they give the same tables.
"""

from __future__ import annotations

from typing import Any, cast

from pipeline.common.records import PageRecord, TextLine
from pipeline.common.settings import ExtractSettings
from pipeline.extract.geometry import (
    char_slot,
    chars_to_lines,
    close_open_bottom,
    grid_from_rulings,
    unrotate_objects,
)
from pipeline.extract.rulings import find_tables


def unique_chars(chars: list[dict]) -> list[dict]:
    """Upright characters with text, without the duplicates some producers print for bold."""
    seen: set[tuple] = set()
    out = []
    for c in chars:
        if not c["text"] or not c.get("upright", True):
            continue
        key = (c["text"], round(c["x0"]), round(c["top"]))
        if key not in seen:
            seen.add(key)
            out.append(c)
    return out


def record_from_objects(
    page_number: int,
    width: float,
    height: float,
    objects: dict[str, list[dict]],
    settings: ExtractSettings,
    rotation: int = 0,
) -> PageRecord:
    """Tables (as grids of cells with text lines) and free text lines of one page.

    A page shown with /Rotate is read in the frame it was drawn in; a table fragment at the foot of
    a page without a closing border ends where its vertical rulings end; a character belongs to
    the cell its centre falls in, and one hanging past the table's side border to the column it
    overlaps (never cropped)."""
    objects, width, height = unrotate_objects(objects, rotation, float(width), float(height))
    chars = unique_chars(objects["char"])
    edges, found = find_tables(objects, settings.table_settings)
    h_edges = [(e[2], e[1], e[3]) for e in edges if e[0] == "h"]
    v_edges = [(e[1], e[2], e[4]) for e in edges if e[0] == "v"]
    tables: list[Any] = []  # Table records, with the grid's xs and ys while characters are placed
    for bbox, n_cells in found:
        if n_cells < settings.min_table_cells:
            continue
        bbox = close_open_bottom(bbox, v_edges, settings.grid_tolerance)
        xs, ys, cells = grid_from_rulings(h_edges, v_edges, bbox, settings.grid_tolerance)
        if cells:
            tables.append({"bbox": (xs[0], ys[0], xs[-1], ys[-1]), "xs": xs, "ys": ys, "cells": cells})
    tables.sort(key=lambda t: (t["bbox"][1], t["bbox"][0]))
    members: dict[tuple[int, int, int], list[dict]] = {}
    free = []
    for ch in chars:
        for ti, t in enumerate(tables):
            slot = char_slot(t["xs"], t["ys"], ch)
            if slot is not None:
                members.setdefault((ti, *slot), []).append(ch)
                break
        else:
            free.append(ch)
    for ti, t in enumerate(tables):
        for cell in t["cells"]:
            inside = [
                ch
                for r in range(cell["r0"], cell["r1"])
                for c in range(cell["c0"], cell["c1"])
                for ch in members.get((ti, r, c), ())
            ]
            cell["lines"] = chars_to_lines(inside, settings.line_tolerance, settings.space_gap)
        del t["xs"], t["ys"]
    return {
        "page": page_number,
        "width": float(width),
        "height": float(height),
        "n_chars": len(chars),
        "tables": tables,
        "text": cast(list[TextLine], chars_to_lines(free, settings.line_tolerance, settings.space_gap)),
    }
