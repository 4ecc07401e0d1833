"""Tunable settings of each stage, passed explicitly (no module-level state is read by stages).

Geometry values are in PDF points or in multiples of the text's font size.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
import json


@dataclass(frozen=True)
class ExtractSettings:
    # pdfplumber table finder: Word tables are ruled, so cells come from lines and rectangles.
    table_settings: dict = field(
        default_factory=lambda: {
            "vertical_strategy": "lines",
            "horizontal_strategy": "lines",
            "snap_tolerance": 3,
            "join_tolerance": 3,
            "intersection_tolerance": 3,
            "edge_min_length": 3,
        }
    )
    grid_tolerance: float = 2.0  # cell edges closer than this (pt) are one grid line
    line_tolerance: float = 0.5  # chars whose tops differ by less than this × size share a line
    space_gap: float = 0.3  # gap (× size) between ASCII word chars read as a space
    min_table_cells: int = 2  # fewer cells than this is a box, not a table
    pages_per_task: int = 16  # fewest pages one worker extracts per task


@dataclass(frozen=True)
class CleanSettings:
    # A line ending closer than this (× font size) to the column's right text edge filled the
    # cell, so the paragraph wraps on.
    full_line: float = 1.0
    # A line that stops short ends its paragraph when the next line's leading unit would have
    # fit in the space left, with this much (× font size) to spare for measuring error.
    fit_margin: float = 1.5
    # After a finished sentence, a short line without closing punctuation (a department name)
    # stands alone as a sub-heading when it has at most this many characters.
    max_bare_heading: int = 20


def settings_bytes(settings) -> bytes:
    """A stage's settings as stable bytes, for its cache key."""
    return json.dumps(asdict(settings), sort_keys=True).encode()
