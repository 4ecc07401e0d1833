"""Rows of one list spread over tables: a second table on the same page, and every printed
variant of the continuation markers. Tables are built by hand (see test_stitch.py); the
end-to-end tests run the same rules on real documents."""

from __future__ import annotations

import pytest

from pipeline.clean.stage import cell_lines
from pipeline.clean.stitch import ListReader, value
from tests.test_stitch import EDGES, ROLES, SETTINGS, cell, table


def _header(r: int) -> list[dict]:
    return [cell(r, r + 1, 0, "序号"), cell(r, r + 1, 1, "事项类别"), cell(r, r + 1, 2, "事项名称")]


def test_a_row_without_number_under_a_second_tables_header_is_not_the_last_item_continued():
    """Two tables on one page: the second's first data row has no 序号. It is an item of its own
    whose number follows (a fragment), not more of the first table's last item."""
    first = table(
        *_header(0),
        cell(1, 2, 0, "1"), cell(1, 2, 1, "党建"), cell(1, 2, 2, "甲"),
        cell(2, 3, 0, "2"), cell(2, 3, 1, "党建"), cell(2, 3, 2, "乙"),
    )  # fmt: skip
    second = table(
        *_header(5),
        cell(6, 7, 0), cell(6, 7, 1, "民生"), cell(6, 7, 2, "丙"),
        cell(7, 8, 0, "4"), cell(7, 8, 1, "民生"), cell(7, 8, 2, "丁"),
    )  # fmt: skip
    reader = ListReader("basic", {}, "", SETTINGS)
    lines = lambda c: cell_lines(c, EDGES)  # noqa: E731
    reader.read_table(first, 1, ROLES, 1, lines, [], table_index=0)
    reader.read_table(second, 6, ROLES, 1, lines, [], table_index=1)
    kinds = [d.kind for d in reader.decisions]
    assert kinds == ["new", "new", "fragment", "new"]
    items = reader.finish()
    names = [value(i.cells["name"], "name", SETTINGS) for i in items]
    assert names[1] == "乙"  # nothing of the second table glued to item 2
    assert "丙" in names


NEXT = ["（未完见下页）", "（未完，见下页）", "(未完见下页)", "（未完待续）", "（转下页）"]
PREVIOUS = ["（续上页）", "(续上页)", "（接上页）", "（续表）"]


def _two_rows(next_marker: str, previous_marker: str) -> list:
    roles = {0: "seq", 1: "category", 2: "name", 3: "upper_duties"}

    def duty(r, *texts):
        c = cell(r, r + 1, 2, *texts)
        c.update(c0=3, c1=4, x0=300, x1=500)
        for ln in c["lines"]:
            ln["x0"] += 210
            ln["x1"] += 210
        return c

    t = table(
        cell(0, 1, 0, "68"), cell(0, 1, 1, "生态"), cell(0, 1, 2, "污染防治"), duty(0, "甲局：", "1.负责监管。", next_marker),
        cell(1, 2, 0, "68"), cell(1, 2, 1, "生态"), cell(1, 2, 2, "污染防治"), duty(1, previous_marker, "乙局：", "1.负责查处。"),
    )  # fmt: skip
    reader = ListReader("coordination", {}, "", SETTINGS)
    reader.read_table(t, 0, roles, 1, lambda c: cell_lines(c, EDGES), [])
    return reader.finish()


@pytest.mark.parametrize("marker", NEXT)
def test_each_continued_on_next_page_marker_is_furniture(marker):
    items = _two_rows(marker, "（续上页）")
    assert len(items) == 1
    assert value(items[0].cells["upper_duties"], "upper_duties", SETTINGS) == [
        "甲局：",
        "1.负责监管。",
        "乙局：",
        "1.负责查处。",
    ]


@pytest.mark.parametrize("marker", PREVIOUS)
def test_each_continued_from_previous_page_marker_is_furniture(marker):
    items = _two_rows("（未完见下页）", marker)
    assert len(items) == 1
    assert value(items[0].cells["upper_duties"], "upper_duties", SETTINGS) == [
        "甲局：",
        "1.负责监管。",
        "乙局：",
        "1.负责查处。",
    ]
