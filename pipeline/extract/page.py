"""One page's objects (characters, lines, rectangles, curves) → its page record, for any reader.

Both readers (pdfplumber's `pdf.lean_objects`, PDFium's `pdfium.Document.page_objects`) give
the same object lists; from here on the path is shared, so they give the same tables.
"""

from __future__ import annotations

from bisect import bisect_right
from typing import Any, cast

from pipeline.common.records import PageRecord, TextLine
from pipeline.common.settings import ExtractSettings
from pipeline.common.text import header_roles
from pipeline.extract.aligned import aligned_tables
from pipeline.extract.geometry import (
    chars_to_lines,
    close_open_bottom,
    grid_from_rulings,
    implied_rows,
    unrotate_objects,
)
from pipeline.extract.rulings import find_tables, object_edges


def _place(chars: list[dict], tables: list[dict]) -> tuple[dict[tuple[int, int, int], list[dict]], list, int]:
    """Upright characters with text, without the duplicates some producers print for bold, each
    placed into the grid slot its centre falls in
    (`geometry.char_slot`, here inlined: this runs once per character of every page) of the first
    table holding it, or into the free text. Returns the slots' characters, the free characters
    and how many characters are kept.

    A bold duplicate is the same text at the same rounded position, or the same text and size on
    the same line (tops within a fifth of the size) covering more than half of a character kept
    before: producers fake bold by printing a run again a fraction of a point to the side.
    PDFium drops such a repeated run itself; pdfminer keeps it, so this rule makes both agree."""
    grids = [(ti, t["xs"], t["ys"], len(t["xs"]) - 2, len(t["ys"]) - 2) for ti, t in enumerate(tables)]
    members: dict[tuple[int, int, int], list[dict]] = {}
    free = []
    seen: set[tuple] = set()
    # Kept characters by text, size and band: bands are 0.4 × size high, so a character within
    # 0.2 × size of another's top lies in that one's band or the band beside it on its side.
    kept: dict[tuple[str, float, int], list[tuple[float, float, float]]] = {}
    for c in chars:
        text = c["text"]
        if not text or not c.get("upright", True):
            continue
        x0, top = c["x0"], c["top"]
        key = (text, round(x0), round(top))
        if key in seen:
            continue
        x1, size = c["x1"], c["size"]
        u = top / (0.4 * size) if size > 0 else top
        band = round(u)
        own = (text, size, band)
        same_band = kept.get(own)
        beside = kept.get((text, size, band + 1 if u > band else band - 1))
        if (same_band is not None and _overprinted(same_band, x0, x1, top, size)) or (
            beside is not None and _overprinted(beside, x0, x1, top, size)
        ):
            continue
        seen.add(key)
        if same_band is None:
            kept[own] = [(x0, x1, top)]
        else:
            same_band.append((x0, x1, top))
        cx0, cy = (x0 + x1) / 2, (top + c["bottom"]) / 2
        for ti, xs, ys, last_col, last_row in grids:
            left, right = xs[0], xs[-1]
            if x0 < right < cx0:
                cx = right
            elif cx0 < left < x1:
                cx = left
            else:
                cx = cx0
            if left <= cx <= right and ys[0] <= cy <= ys[-1]:
                r, col = bisect_right(ys, cy) - 1, bisect_right(xs, cx) - 1
                slot = (ti, r if r < last_row else last_row, col if col < last_col else last_col)
                members.setdefault(slot, []).append(c)
                break
        else:
            free.append(c)
    return members, free, len(seen)


def _overprinted(kept: list, x0: float, x1: float, top: float, size: float) -> bool:
    """Whether one of these kept characters (same text and size) lies on the same line and
    covers more than half of this character's width."""
    half = 0.5 * (x1 - x0)
    for kx0, kx1, ktop in kept:
        if abs(ktop - top) <= 0.2 * size and min(kx1, x1) - max(kx0, x0) > half:
            return True
    return False


def _header_boxes(tables: list[Any], members: dict, free: list[dict]) -> set[int]:
    """Ruled tables of one grid row that is a header row (序号, 事项名称, …) with text below them:
    a Word table whose header row alone has borders. Their text is read with the body below."""
    out = set()
    for ti, t in enumerate(tables):
        if len(t["ys"]) != 2:
            continue
        texts = []
        for k, cell in enumerate(t["cells"]):
            chars = [ch for c in range(cell["c0"], cell["c1"]) for ch in members.get((ti, 0, c), ())]
            texts.append(
                (k, "".join(ch["text"] for ch in sorted(chars, key=lambda ch: (ch["top"], ch["x0"]))))
            )
        if header_roles(texts) is None:
            continue
        x0, _, x1, bottom = t["bbox"]
        if any(ch["top"] >= bottom and x0 <= (ch["x0"] + ch["x1"]) / 2 <= x1 for ch in free):
            out.add(ti)
    return out


def _ruled_tables(objects: dict[str, list[dict]], settings: ExtractSettings) -> tuple[list[Any], list]:
    """The page's ruled tables, top to bottom (Table records with the grid's xs and ys, cells
    without lines yet), and the horizontal rulings (y, x0, x1), with the row boundaries a producer
    drew no rule for (implied_rows) added."""
    edges, found = find_tables(objects, settings.table_settings)
    h_edges = [(e[2], e[1], e[3]) for e in edges if e[0] == "h"]
    v_edges = [(e[1], e[2], e[4]) for e in edges if e[0] == "v"]
    raw_v = [(e[1], e[2], e[4]) for e in object_edges(objects) if e[0] == "v" and e[4] - e[2] >= 1]
    tables: list[Any] = []  # Table records, with the grid's xs and ys while characters are placed
    for bbox, n_cells in found:
        if n_cells < settings.min_table_cells:
            continue
        bbox = close_open_bottom(bbox, v_edges, settings.grid_tolerance)
        h_edges += implied_rows(bbox, raw_v, h_edges, objects["char"], settings.grid_tolerance)
        xs, ys, cells = grid_from_rulings(h_edges, v_edges, bbox, settings.grid_tolerance)
        if cells:
            tables.append({"bbox": (xs[0], ys[0], xs[-1], ys[-1]), "xs": xs, "ys": ys, "cells": cells})
    tables.sort(key=lambda t: (t["bbox"][1], t["bbox"][0]))
    return tables, h_edges


def _fill_cells(tables: list[Any], members: dict, settings: ExtractSettings) -> None:
    """Each ruled table's cells given the text lines of the characters placed in their grid
    slots (`members`: (table, row, column) → characters); the grids' xs and ys dropped."""
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
    tables, h_edges = _ruled_tables(objects, settings)
    members, free, n_chars = _place(objects["char"], tables)
    # Tables without vertical rulings (three-line tables, borderless Word tables): columns by text.
    breaks = [(e[2], x) for e in object_edges(objects) if e[0] == "h" for x in (e[1], e[3])]

    def by_text(free: list[dict], ruled: bool) -> tuple[list[dict], list[dict]]:
        return aligned_tables(free, h_edges, breaks, settings.line_tolerance, settings.space_gap, ruled=ruled)

    boxed = _header_boxes(tables, members, free)
    if boxed:  # a ruled header row over a body without rules: read by its text, if that finds the body
        kept = [t for ti, t in enumerate(tables) if ti not in boxed]
        placed = _place(objects["char"], kept)
        aligned, rest = by_text(placed[1], bool(kept))
        boxes = [tables[ti]["bbox"] for ti in boxed]
        if all(any(a["bbox"][1] <= b[3] < a["bbox"][3] for a in aligned) for b in boxes):
            tables, (members, _, n_chars), free = kept, placed, rest
        else:
            aligned, free = by_text(free, bool(tables))
    else:
        aligned, free = by_text(free, bool(tables))
    _fill_cells(tables, members, settings)
    for t in aligned:
        del t["xs"], t["ys"]
    tables = sorted(tables + aligned, key=lambda t: (t["bbox"][1], t["bbox"][0]))
    return {
        "page": page_number,
        "width": float(width),
        "height": float(height),
        "n_chars": n_chars,
        "tables": tables,
        "text": cast(list[TextLine], chars_to_lines(free, settings.line_tolerance, settings.space_gap)),
    }
