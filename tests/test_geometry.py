"""Unit tests for table grids from rulings and text lines from characters."""

from __future__ import annotations

from pipeline.extract.geometry import chars_to_lines, cluster_positions, grid_from_rulings, slot_index


def ruled_grid(xs, ys, skip_h=(), skip_v=()):
    """Rulings of a full grid, leaving out horizontal segments (row boundary, column) in skip_h
    and vertical segments (column boundary, row) in skip_v."""
    h = [(y, xs[c], xs[c + 1]) for r, y in enumerate(ys) for c in range(len(xs) - 1) if (r, c) not in skip_h]
    v = [(x, ys[r], ys[r + 1]) for c, x in enumerate(xs) for r in range(len(ys) - 1) if (c, r) not in skip_v]
    return h, v


def test_full_grid_gives_one_cell_per_slot():
    h, v = ruled_grid([0, 50, 200], [0, 20, 40, 60])
    xs, ys, cells = grid_from_rulings(h, v, (0, 0, 200, 60), 2.0)
    assert len(cells) == 6
    assert all(c["r1"] - c["r0"] == 1 and c["c1"] - c["c0"] == 1 for c in cells)


def test_vertically_merged_cell_spans_rows():
    # Column 0 has no rulings between rows 0-1 and 1-2: one cell over three rows.
    h, v = ruled_grid([0, 50, 200], [0, 20, 40, 60], skip_h={(1, 0), (2, 0)})
    _, _, cells = grid_from_rulings(h, v, (0, 0, 200, 60), 2.0)
    merged = [c for c in cells if c["c0"] == 0]
    assert len(merged) == 1 and (merged[0]["r0"], merged[0]["r1"]) == (0, 3)


def test_merged_cell_without_its_bottom_border_is_still_found():
    """A producer left out the table's bottom border under a merged cell."""
    h, v = ruled_grid([0, 50, 200], [0, 20, 40, 60], skip_h={(1, 0), (2, 0), (3, 0)})
    _, _, cells = grid_from_rulings(h, v, (0, 0, 200, 60), 2.0)
    merged = [c for c in cells if c["c0"] == 0]
    assert len(merged) == 1 and (merged[0]["r0"], merged[0]["r1"]) == (0, 3)
    assert len([c for c in cells if c["c0"] == 1]) == 3


def test_positions_within_tolerance_are_one_grid_line():
    assert cluster_positions([10.0, 10.4, 11.5, 50.0], 2.0) == [10.633333333333333, 50.0]


def test_slot_index():
    assert slot_index([0, 50, 200], [0, 20, 40], 60, 25) == (1, 1)
    assert slot_index([0, 50, 200], [0, 20, 40], 250, 25) is None


def char(text, x0, top, size=10.0):
    return {
        "text": text,
        "x0": x0,
        "x1": x0 + size * (0.5 if text.isascii() else 1.0),
        "top": top,
        "bottom": top + size,
        "size": size,
    }


def test_chars_group_into_lines_read_left_to_right():
    chars = [char("乙", 10, 20), char("甲", 0, 20.3), char("丙", 0, 40)]
    lines = chars_to_lines(chars, 0.5, 0.3)
    assert [ln["text"] for ln in lines] == ["甲乙", "丙"]
    assert lines[0]["x0"] == 0 and lines[0]["x1"] == 20


def test_gap_between_latin_words_is_a_space_but_not_between_cjk():
    chars = [
        char("A", 0, 0),
        char("P", 5, 0),
        char("P", 10, 0),
        char("x", 25, 0),
        char("甲", 40, 0),
        char("乙", 58, 0),
    ]
    assert chars_to_lines(chars, 0.5, 0.3)[0]["text"] == "APP x甲乙"


def test_printed_spaces_stay_in_the_text_but_not_in_the_line_box():
    # An ideographic space and a tab printed at the line's ends, bigger than the characters:
    # they are text, not ink, so the box and the size come from 甲 and 乙 alone.
    chars = [char("\u3000", -30, 0, 20), char("甲", 0, 0), char("乙", 10, 0), char("\t", 20, 0, 20)]
    (line,) = chars_to_lines(chars, 0.5, 0.3)
    assert line["text"] == "\u3000甲乙\t"
    assert (line["x0"], line["x1"], line["bottom"], line["size"]) == (0, 20, 10, 10)
    assert chars_to_lines([char(" ", 0, 0), char("\u3000", 10, 0)], 0.5, 0.3) == []  # spaces only: no line
