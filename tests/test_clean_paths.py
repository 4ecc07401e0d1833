"""Clean-stage paths that the corpus rarely shows, each on a small PDF made here and read through
the real stages: a list title printed at the foot of the page before its table, and a continued
table whose grid has another number of columns than its header's."""

from __future__ import annotations

from pathlib import Path

from conftest import build
import minipdf
import pyarrow.parquet as pq

TOWN = "哈密市伊吾县甲乡"
BASIC = ["序号", "事项类别", "事项名称"]
COORD = ["序号", "事项类别", "事项名称", "对应上级部门", "上级部门职责", "乡镇配合职责"]


def _items(processed: Path, table: str) -> list[dict]:
    return pq.read_table(processed / f"{table}.parquet").to_pylist()


def test_a_title_at_the_foot_of_a_page_names_the_list_on_the_next_page(tmp_path):
    """One file holds two townships' lists. The second township's title is printed under the first
    one's table, at the bottom of page 1; its table starts on page 2 without a title. Its items
    belong to the township that title names, not to the first one."""
    basic_title, coord_title = f"{TOWN}基本履职事项清单", "哈密市伊吾县乙乡配合履职事项清单"
    page1 = [
        ("title", basic_title),
        (
            "table",
            [40, 80, 300],
            [BASIC, ["1", "党的建设", "加强党的建设"], ["2", "党的建设", "做好党员管理"]],
        ),
        ("title", coord_title, 760.0),
    ]
    page2 = [
        (
            "table",
            [30, 50, 90, 80, 120, 120],
            [COORD, ["1", "民政", "低保审核", "伊吾县民政局", "审核", "上报"]],
        ),
    ]
    raw = tmp_path / "raw"
    raw.mkdir()
    minipdf.write(raw / "jia.pdf", [page1, page2])
    processed = build(raw, tmp_path / "processed", jobs=1)
    assert {r["township"] for r in _items(processed, "basic_items")} == {"甲乡"}
    coordination = _items(processed, "coordination_items")
    assert [(r["seq"], r["name"], r["township"]) for r in coordination] == [(1, "低保审核", "乙乡")]


def test_a_continued_table_with_another_grid_takes_its_columns_by_position(tmp_path):
    """Page 2 continues the list in a table with an extra unlabelled column at the right (another
    grid than the header's): its columns get their roles from where the header's columns were."""
    page1 = [
        ("title", f"{TOWN}基本履职事项清单"),
        ("table", [40, 80, 300], [BASIC, ["1", "党的建设", "加强党的建设"]]),
    ]
    page2 = [
        (
            "table",
            [40, 80, 300, 60],
            [["2", "民生保障", "开展困难群众走访", ""], ["3", "民生保障", "做好低保审核", ""]],
        )
    ]
    raw = tmp_path / "raw"
    raw.mkdir()
    minipdf.write(raw / "jia.pdf", [page1, page2])
    processed = build(raw, tmp_path / "processed", jobs=1)
    rows = [(r["seq"], r["category"], r["name"]) for r in _items(processed, "basic_items")]
    assert rows == [
        (1, "党的建设", "加强党的建设"),
        (2, "民生保障", "开展困难群众走访"),
        (3, "民生保障", "做好低保审核"),
    ]
