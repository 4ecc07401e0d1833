"""Unit tests for joining rows into items: page-split rows, wrapped numbers, merged cells,
items printed as two rows, empty merged categories. Tables are built by hand here; the
end-to-end tests run the same rules on real PDFs."""

from __future__ import annotations

from pipeline.clean.stage import cell_lines
from pipeline.clean.stitch import ListReader, value
from pipeline.common.settings import CleanSettings

SIZE = 10.0
COLS = [(0, 30), (30, 90), (90, 300)]  # 序号 | 事项类别 | 事项名称: x ranges
ROLES = {0: "seq", 1: "category", 2: "name"}
EDGES = {"pad": 5.0}
SETTINGS = CleanSettings()


def cell(r0: int, r1: int, col: int, *texts: str, full: bool = False, top: float | None = None) -> dict:
    """A grid cell spanning rows r0..r1-1 of column `col`, with one line per text."""
    x0, x1 = COLS[col]
    top = top if top is not None else r0 * 40.0
    lines = []
    for i, text in enumerate(texts):
        right = x1 - 5 if full else x0 + 5 + len(text) * SIZE
        y = top + 3 + i * 12
        lines.append({"text": text, "x0": x0 + 5, "x1": right, "top": y, "bottom": y + SIZE, "size": SIZE})
    bottom = top + 40.0 * (r1 - r0)  # each grid row is 40 pt high
    return {
        "r0": r0,
        "r1": r1,
        "c0": col,
        "c1": col + 1,
        "x0": x0,
        "x1": x1,
        "top": top,
        "bottom": bottom,
        "lines": lines,
    }


def table(*cells: dict) -> dict:
    return {"cells": list(cells), "bbox": (0, 0, 300, max(c["bottom"] for c in cells))}


def read(*tables: dict, first_row: int = 0) -> ListReader:
    reader = ListReader("basic", {"township": "甲乡"}, "甲乡基本履职事项清单", SETTINGS)
    for page, t in enumerate(tables, start=1):
        reader.read_table(t, first_row, ROLES, page, lambda c: cell_lines(c, EDGES), [])
    return reader


def values(reader: ListReader) -> list[tuple[str, str, str]]:
    items = reader.finish()
    return [
        (
            i.seq_text,
            value(i.cells.get("category", []), "category", SETTINGS),
            value(i.cells["name"], "name", SETTINGS),
        )
        for i in items
    ]


def test_row_split_by_a_page_break_continues_on_the_next_page():
    page1 = table(
        cell(0, 1, 0, "1"),
        cell(0, 1, 1, "党建"),
        cell(0, 1, 2, "加强基层党组织建设，做好党员教育管理", full=True),
    )
    page2 = table(
        cell(0, 1, 0),
        cell(0, 1, 1),
        cell(0, 1, 2, "工作"),
        cell(1, 2, 0, "2"),
        cell(1, 2, 1, "党建"),
        cell(1, 2, 2, "开展主题党日"),
    )
    assert values(read(page1, page2)) == [
        ("1", "党建", "加强基层党组织建设，做好党员教育管理工作"),
        ("2", "党建", "开展主题党日"),
    ]


def test_item_number_wrapped_and_cut_by_the_page_break():
    """57 printed as 5 on one page and 7 on the next is item 57, not items 5 and 7."""
    page1 = table(
        cell(0, 1, 0, "55"), cell(0, 1, 1, "民生"), cell(0, 1, 2, "甲"),
        cell(1, 2, 0, "56"), cell(1, 2, 1, "民生"), cell(1, 2, 2, "乙"),
        cell(2, 3, 0, "5"), cell(2, 3, 1, "民生"), cell(2, 3, 2, "做好农村低保", full=True),
    )  # fmt: skip
    page2 = table(
        cell(0, 1, 0, "7"),
        cell(0, 1, 1),
        cell(0, 1, 2, "审核工作"),
        cell(1, 2, 0, "58"),
        cell(1, 2, 1, "民生"),
        cell(1, 2, 2, "丙"),
    )
    got = values(read(page1, page2))
    assert [seq for seq, _, _ in got] == ["55", "56", "57", "58"]
    assert got[2][2] == "做好农村低保审核工作"


def test_vertically_merged_category_gives_every_item_its_value():
    t = table(
        cell(0, 3, 1, "民生服务"),
        cell(0, 1, 0, "1"), cell(0, 1, 2, "甲"),
        cell(1, 2, 0, "2"), cell(1, 2, 2, "乙"),
        cell(2, 3, 0, "3"), cell(2, 3, 2, "丙"),
    )  # fmt: skip
    assert [c for _, c, _ in values(read(t))] == ["民生服务"] * 3


def test_merged_category_continued_empty_on_the_next_page_fills_down():
    page1 = table(
        cell(0, 2, 1, "平安法治"),
        cell(0, 1, 0, "1"),
        cell(0, 1, 2, "甲"),
        cell(1, 2, 0, "2"),
        cell(1, 2, 2, "乙"),
    )
    page2 = table(
        cell(0, 2, 1), cell(0, 1, 0, "3"), cell(0, 1, 2, "丙"), cell(1, 2, 0, "4"), cell(1, 2, 2, "丁")
    )
    assert [c for _, c, _ in values(read(page1, page2))] == ["平安法治"] * 4


def test_merged_category_text_cut_by_the_page_break_is_one_value():
    """精神文 at the foot of one page, 明建设 at the top of the next: one merged cell."""
    page1 = table(
        cell(0, 1, 0, "1"), cell(0, 1, 1, "党建"), cell(0, 1, 2, "甲"),
        cell(1, 2, 0, "2"), cell(1, 2, 1, "精神文", full=True, top=40.0), cell(1, 2, 2, "乙"),
    )  # fmt: skip
    page1["cells"][4]["bottom"] = page1["cells"][4]["lines"][-1]["bottom"] + 5  # text reaches the foot
    page2 = table(
        cell(0, 2, 1, "明建设"),
        cell(0, 1, 0, "3"),
        cell(0, 1, 2, "丙"),
        cell(1, 2, 0, "4"),
        cell(1, 2, 2, "丁"),
    )
    assert [c for _, c, _ in values(read(page1, page2))] == [
        "党建",
        "精神文明建设",
        "精神文明建设",
        "精神文明建设",
    ]


def test_complete_category_at_the_foot_of_a_page_is_not_joined_to_the_next():
    page1 = table(cell(0, 1, 0, "1"), cell(0, 1, 1, "党建"), cell(0, 1, 2, "甲"))
    page2 = table(
        cell(0, 2, 1, "民生"),
        cell(0, 1, 0, "2"),
        cell(0, 1, 2, "乙"),
        cell(1, 2, 0, "3"),
        cell(1, 2, 2, "丙"),
    )
    assert [c for _, c, _ in values(read(page1, page2))] == ["党建", "民生", "民生"]


def test_item_printed_as_two_rows_with_markers_is_one_item():
    """（未完见下页）/（续上页）: a cell printed identically counts once, others follow each other."""
    roles = {0: "seq", 1: "category", 2: "name", 3: "upper_duties"}
    cols = COLS + [(300, 500)]

    def duty(r, *texts):
        c = cell(r, r + 1, 2, *texts)
        c.update(c0=3, c1=4, x0=cols[3][0], x1=cols[3][1])
        for ln in c["lines"]:
            ln["x0"] += 210
            ln["x1"] += 210
        return c

    t = table(
        cell(0, 1, 0, "68"), cell(0, 1, 1, "生态"), cell(0, 1, 2, "污染防治"), duty(0, "甲局：", "1.负责监管。", "（未完见下页）"),
        cell(1, 2, 0, "68"), cell(1, 2, 1, "生态"), cell(1, 2, 2, "污染防治"), duty(1, "（续上页）", "乙局：", "1.负责查处。"),
    )  # fmt: skip
    reader = ListReader("coordination", {}, "", SETTINGS)
    reader.read_table(t, 0, roles, 1, lambda c: cell_lines(c, EDGES), [])
    items = reader.finish()
    assert len(items) == 1
    assert value(items[0].cells["name"], "name", SETTINGS) == "污染防治"
    assert value(items[0].cells["upper_duties"], "upper_duties", SETTINGS) == [
        "甲局：",
        "1.负责监管。",
        "乙局：",
        "1.负责查处。",
    ]


def test_row_without_number_before_any_item_is_skipped():
    t = table(
        cell(0, 1, 0),
        cell(0, 1, 1),
        cell(0, 1, 2, "说明文字"),
        cell(1, 2, 0, "1"),
        cell(1, 2, 1, "党建"),
        cell(1, 2, 2, "甲"),
    )
    notes: list[str] = []
    reader = ListReader("basic", {}, "", SETTINGS)
    reader.read_table(t, 0, ROLES, 1, lambda c: cell_lines(c, EDGES), notes)
    assert [i.seq_text for i in reader.finish()] == ["1"]
    assert notes and "序号" in notes[0]


def test_section_rows_give_the_category_when_there_is_no_category_column():
    roles = {0: "seq", 2: "name"}
    banner = cell(0, 1, 0, "一、党的建设")
    banner.update(c1=3, x1=300)
    t = table(banner, cell(1, 2, 0, "1"), cell(1, 2, 2, "甲"), cell(2, 3, 0, "2"), cell(2, 3, 2, "乙"))
    reader = ListReader("basic", {}, "", SETTINGS)
    reader.read_table(t, 0, roles, 1, lambda c: cell_lines(c, EDGES), [])
    items = reader.finish()
    assert [value(i.cells["category"], "category", SETTINGS) for i in items] == [
        "党的建设"
    ] * 2  # the section title without its enumerator
