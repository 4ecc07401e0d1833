"""Lists as other provinces print them (issue 23, the clean and normalize side): categories as
section rows (two levels), 序号 starting again in every section, list types from wider header
wording, printed columns nobody declared kept with their items, a header that fits no list
reported, places from numbered headings, 街道.

Unit tests per rule, and end-to-end tests per shape on generated files (openpyxl workbooks and
reportlab PDFs) through the real readers and stages."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

from openpyxl import Workbook, load_workbook
import pandas as pd
import pytest

from pipeline.clean.paragraphs import Line
from pipeline.clean.stitch import ListReader, section_title, value
from pipeline.clean.wording import area_from_title, identity_from_title, list_for_roles
from pipeline.common.settings import CleanSettings
from pipeline.common.text import header_roles
from pipeline.normalize.contracts import Contracts
from pipeline.normalize.schema import spec
from pipeline.normalize.stage import item_id
from tests import minipdf
from tests.conftest import build

SETTINGS = CleanSettings()


# --- section titles ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("printed", "style", "title"),
    [
        ("一、党的建设", "chinese", "党的建设"),
        ("一、党的建设（15项）", "chinese", "党的建设"),
        ("十八、综合政务(3项)", "chinese", "综合政务"),
        ("（一）组织建设", "paren_chinese", "组织建设"),
        ("1.经济发展", "arabic", "经济发展"),
        ("2、平安法治 共12项", "arabic", "平安法治"),
        ("第一部分 党的建设", "part", "党的建设"),
        ("第二部分：民生服务（共8项）", "part", "民生服务"),
        ("党的建设", None, "党的建设"),
    ],
)
def test_a_section_title_loses_its_enumerator_and_count(printed, style, title):
    got_style, line = section_title([Line(printed, 50, 300, 500, 10, True)])
    assert (got_style, line.text if line else None) == (style, title)


# --- section rows and numbering that restarts, read row by row ----------------------------------


def _cell(r0, c0, text, c1=None, x0=None):
    x0 = x0 if x0 is not None else 50.0 + 100 * c0
    c1 = c1 if c1 is not None else c0 + 1
    x1 = 50.0 + 100 * c1
    top = 100.0 + 20 * r0
    lines = [
        {
            "text": text,
            "x0": x0 + 4,
            "x1": x0 + 4 + 10 * len(text),
            "top": top + 4,
            "bottom": top + 14,
            "size": 10.0,
        }
    ]
    return {
        "r0": r0,
        "r1": r0 + 1,
        "c0": c0,
        "c1": c1,
        "x0": x0,
        "x1": x1,
        "top": top,
        "bottom": top + 20,
        "lines": lines if text else [],
    }


def _lines(cell):
    return [
        Line(ln["text"], ln["x0"], ln["x1"], cell["x1"] - 4, ln["size"], i == 0)
        for i, ln in enumerate(cell["lines"])
    ]


def _table(rows: list[list[str] | str], n_columns: int) -> dict:
    cells = []
    for r, row in enumerate(rows):
        if isinstance(row, str):
            cells.append(_cell(r, 0, row, c1=n_columns))
        else:
            cells += [_cell(r, c, text) for c, text in enumerate(row)]
    return {"cells": cells, "bbox": [50, 100, 50 + 100 * n_columns, 100 + 20 * len(rows)]}


def _read(rows, roles, n_columns):
    reader = ListReader("basic", {}, "", SETTINGS)
    reader.read_table(_table(rows, n_columns), 0, roles, 1, _lines, [])
    return reader.finish()


def test_two_levels_of_section_rows_give_category_and_subcategory_and_numbering_restarts():
    rows = [
        "一、党的建设（3项）",
        "（一）组织建设",
        ["1", "甲"],
        ["2", "乙"],
        "（二）宣传工作",
        ["1", "丙"],
        "二、经济发展",
        ["1", "丁"],
        ["1", "戊"],  # a 序号 printed twice within one section: the second row of item 1
    ]
    items = _read(rows, {0: "seq", 1: "name"}, 2)
    got = [
        (
            i.seq_text,
            value(i.cells["category"], "category", SETTINGS),
            value(i.cells["subcategory"], "subcategory", SETTINGS) if "subcategory" in i.cells else None,
            i.section,
        )
        for i in items
    ]
    assert got == [
        ("1", "党的建设", "组织建设", 2),
        ("2", "党的建设", "组织建设", 2),
        ("1", "党的建设", "宣传工作", 3),
        ("1", "经济发展", None, 4),
    ]


def test_items_numbered_one_in_two_sections_are_not_joined_and_running_numbers_have_no_section():
    items = _read(["一、党的建设", ["1", "甲"], "二、经济发展", ["1", "乙"]], {0: "seq", 1: "name"}, 2)
    assert [(i.seq_text, value(i.cells["name"], "name", SETTINGS), i.section) for i in items] == [
        ("1", "甲", 1),
        ("1", "乙", 2),
    ]
    running = _read(["一、党的建设", ["1", "甲"], "二、经济发展", ["2", "乙"]], {0: "seq", 1: "name"}, 2)
    assert [i.section for i in running] == [0, 0]  # numbering runs through the list: 序号 alone is the key


def test_a_section_row_at_the_foot_of_a_page_starts_the_items_on_the_next_page():
    reader = ListReader("basic", {}, "", SETTINGS)
    reader.read_table(
        _table([["1", "甲"], ["2", "乙"], "二、经济发展"], 2), 0, {0: "seq", 1: "name"}, 1, _lines, []
    )
    reader.read_table(_table([["1", "丙"], ["2", "丁"]], 2), 0, {0: "seq", 1: "name"}, 2, _lines, [])
    items = reader.finish()
    # 1 at the top of page 2 is the first item of the new section, not the rest of item 2 cut by the break
    assert [(i.seq_text, value(i.cells["name"], "name", SETTINGS), i.section) for i in items] == [
        ("1", "甲", 0),
        ("2", "乙", 0),
        ("1", "丙", 1),
        ("2", "丁", 1),
    ]
    assert [value(i.cells["category"], "category", SETTINGS) for i in items[2:]] == ["经济发展"] * 2


def test_a_section_numbered_in_the_seq_cell_is_a_section_row_not_an_item():
    items = _read(
        [
            ["一", "党的建设"],
            ["1", "甲"],
            ["（一）", "组织建设"],
            ["1", "乙"],
            ["二、", "经济发展"],
            ["1", "丙"],
        ],
        {0: "seq", 1: "name"},
        2,
    )
    got = [
        (
            i.seq_text,
            value(i.cells["name"], "name", SETTINGS),
            value(i.cells["category"], "category", SETTINGS),
            value(i.cells["subcategory"], "subcategory", SETTINGS) if "subcategory" in i.cells else None,
        )
        for i in items
    ]
    assert got == [
        ("1", "甲", "党的建设", None),
        ("1", "乙", "党的建设", "组织建设"),
        ("1", "丙", "经济发展", None),
    ]
    # a 序号 cell with Chinese text but two filled cells beside it is no section row
    assert _read([["一", "党的建设", "甲"]], {0: "seq", 1: "category", 2: "name"}, 3)[0].seq_text == "一"


def test_numbered_rows_across_a_list_with_a_category_column_are_the_first_level():
    items = _read(
        [
            "一、党的建设",
            ["1", "组织", "甲"],
            ["2", "宣传", "乙"],
            "说明：以下为经济类事项",
            ["3", "招商", "丙"],
        ],
        {0: "seq", 1: "category", 2: "name"},
        3,
    )
    assert [value(i.cells["category"], "category", SETTINGS) for i in items] == ["党的建设"] * 3
    assert [value(i.cells["subcategory"], "subcategory", SETTINGS) for i in items] == ["组织", "宣传", "招商"]


# --- headers --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "kind"),
    [
        (["序号", "事项名称", "收回后处理方式"], "reclaimed"),
        (["序号", "事项名称", "处理方式"], "reclaimed"),
        (["序号", "事项名称", "收回部门", "备注"], "reclaimed"),
        (["序号", "具体事项", "牵头部门", "区级部门职责", "街道配合职责"], "coordination"),
        (["序号", "履职内容", "市级部门", "乡镇（街道）职责"], "coordination"),
        (["序号", "事项内容", "备注"], "basic"),
        (["序号", "一级类别", "二级类别", "事项名称"], "basic"),
    ],
)
def test_the_list_comes_from_the_header_wording(header, kind):
    roles = header_roles(list(enumerate(header)))
    assert roles is not None
    assert list_for_roles(roles) == kind


def test_a_second_column_naming_a_taken_role_does_not_unmake_the_header():
    roles = header_roles(list(enumerate(["序号", "事项名称", "具体事项", "备注"])))
    assert roles == {0: "seq", 1: "name"}


# --- places ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "title",
    [
        "一、哈密市伊吾县吐葫芦乡基本履职事项清单",
        "（二）哈密市伊吾县吐葫芦乡配合履职事项清单",
        "★3. 哈密市伊吾县吐葫芦乡履职事项清单",
        "第一部分 哈密市伊吾县吐葫芦乡基本履职事项清单",
    ],
)
def test_a_numbered_heading_names_the_place_without_its_numeral(title):
    place = identity_from_title(title)
    assert place is not None
    assert (place["city"], place["county"], place["township"]) == ("哈密市", "伊吾县", "吐葫芦乡")


def test_a_heading_naming_only_a_township_takes_the_county_of_the_compilation():
    area = area_from_title("哈密市伊吾县乡镇履职事项清单汇编")
    assert area == {"province": None, "city": "哈密市", "county": "伊吾县"}
    assert identity_from_title("乡镇履职事项清单") is None  # 乡镇 is no township's name
    place = identity_from_title("二、下马崖乡基本履职事项清单", area)
    assert place is not None
    assert (place["county"], place["township"], place["township_kind"]) == ("伊吾县", "下马崖乡", "乡")
    assert identity_from_title("二、下马崖乡基本履职事项清单") is None  # no county known: not guessed


def test_a_street_office_title_is_a_jiedao():
    place = identity_from_title("杭州市西湖区北山街道配合履职事项清单")
    assert place is not None and (place["county"], place["township"], place["township_kind"]) == (
        "西湖区",
        "北山街道",
        "街道",
    )


# --- contracts and keys -----------------------------------------------------------------------------


def _row(seq, section, name="甲", category="党的建设"):
    return {
        "city": "杭州市",
        "county": "西湖区",
        "township": "北山街道",
        "list": "basic",
        "seq": seq,
        "section": section,
        "category": category,
        "name": name,
        "pages": [1],
    }


def test_restarted_numbering_is_checked_per_section():
    contracts = Contracts()
    rows = [_row(1, 1), _row(2, 1), _row(1, 2), _row(3, 2, category="经济发展"), _row(1, 3), _row(1, 3, "乙")]
    kept = contracts.screen_file("a.pdf", rows, lambda r: "T1")
    assert [(r["section"], r["seq"]) for r in kept] == [(1, 1), (1, 2), (2, 1), (2, 3), (3, 1)]
    kinds = sorted((p.kind, p.seq) for p in contracts.problems)
    assert kinds == [("numbering_gap", 3), ("numbering_repeat", 1)]  # 2 missing in section 2; 1 twice in 3


def test_item_ids_stay_as_they_were_and_are_unique_with_sections():
    assert item_id("T1", "basic", 7) == "T1-B007"
    assert item_id("T1", "coordination", 7, None) == "T1-C007"
    assert item_id("T1", "basic", 7, 3) == "T1-B03-007"
    assert len({item_id("T1", "basic", 1, s) for s in range(1, 20)}) == 19


# --- end to end: a 街道's workbook ---------------------------------------------------------------

PLACE = "杭州市西湖区北山街道"


def _sheet(wb, title: str, header: list[str], rows: list, first: bool = False) -> None:
    ws = wb.active if first else wb.create_sheet()
    ws.title = title[-8:]
    n = len(header)
    ws.cell(1, 1, PLACE + title)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=n)
    for c, h in enumerate(header, 1):
        ws.cell(2, c, h)
    r = 3
    for row in rows:
        if isinstance(row, str):
            ws.cell(r, 1, row)
            ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=n)
        else:
            for c, v in enumerate(row, 1):
                if v is not None:
                    ws.cell(r, c, v)
        r += 1


def street_workbook(path: Path, remark: str = "按年度调整") -> Path:
    wb = Workbook()
    _sheet(
        wb,
        "基本履职事项清单",
        ["序号", "事项名称", "备注", "法律依据"],
        [
            "一、党的建设（3项）",
            "（一）组织建设",
            [1, "加强本街道党组织建设", remark, "《中国共产党章程》"],
            [2, "做好党员教育管理工作", None, None],
            "（二）宣传思想",
            [1, "开展理论宣讲", "新增事项", None],
            "二、经济发展",
            [1, "做好辖区经济运行监测", None, None],
            [2, "服务辖区企业", "动态调整", None],
        ],
        first=True,
    )
    _sheet(
        wb,
        "配合履职事项清单",
        ["序号", "二级类别", "事项名称", "区级部门", "区级部门职责", "街道配合职责", "备注"],
        [
            "一、平安法治",
            [
                1,
                "综治",
                "矛盾纠纷排查化解",
                "西湖区司法局",
                "负责指导矛盾纠纷化解。",
                "负责本街道矛盾纠纷排查。",
                None,
            ],
            [2, "综治", "社区矫正", "西湖区司法局", "负责社区矫正工作。", "配合做好社区矫正。", "属地管理"],
            "二、民生服务",
            [1, "社保", "城乡居民医保参保", "西湖区医疗保障局", "负责参保政策。", "组织居民参保。", None],
        ],
    )
    _sheet(
        wb,
        "上级部门收回事项清单",
        ["序号", "事项名称", "收回部门", "收回后处理方式"],
        [
            "一、市场监管",
            [1, "个体工商户登记", "西湖区市场监督管理局", "西湖区市场监督管理局：负责个体工商户登记。"],
            "二、自然资源",
            [1, "临时用地审批", "西湖区规划和自然资源局", "取消"],
        ],
    )
    wb.save(path)
    return path


@pytest.fixture(scope="module")
def street(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("street")
    (root / "raw").mkdir()
    street_workbook(root / "raw" / "北山街道履职事项清单.xlsx")
    return build(root / "raw", root / "processed")


def _items(processed: Path, table: str) -> list[dict]:
    import pyarrow.parquet as pq

    return pq.read_table(processed / f"{table}.parquet").to_pylist()


def test_street_lists_read_with_sections_restarted_numbering_and_two_levels(street):
    basic = _items(street, "basic_items")
    got = [(r["section"], r["seq"], r["position"], r["category"], r["subcategory"], r["name"]) for r in basic]
    assert got == [
        (2, 1, 1, "党的建设", "组织建设", "加强本街道党组织建设"),
        (2, 2, 2, "党的建设", "组织建设", "做好党员教育管理工作"),
        (3, 1, 3, "党的建设", "宣传思想", "开展理论宣讲"),
        (4, 1, 4, "经济发展", None, "做好辖区经济运行监测"),
        (4, 2, 5, "经济发展", None, "服务辖区企业"),
    ]
    assert len({r["item_id"] for r in basic}) == 5
    coordination = _items(street, "coordination_items")
    assert [(r["section"], r["seq"], r["category"], r["subcategory"]) for r in coordination] == [
        (1, 1, "平安法治", "综治"),
        (1, 2, "平安法治", "综治"),
        (2, 1, "民生服务", "社保"),
    ]
    assert coordination[0]["departments"] == ["西湖区司法局"]
    reclaimed = _items(street, "reclaimed_items")
    assert [(r["category"], r["handling"], r["disposition"]) for r in reclaimed] == [
        ("市场监管", "西湖区市场监督管理局：负责个体工商户登记。", "transferred"),
        ("自然资源", "取消", "cancelled"),
    ]
    problems = pd.read_parquet(street / "problems.parquet")
    assert problems.empty, problems.message.tolist()
    town = pd.read_parquet(street / "townships.parquet").iloc[0]
    assert (town["township_kind"], town["county"], town["county_code"]) == ("街道", "西湖区", "330106")


def test_every_printed_column_is_kept_with_its_item(street):
    extra = {
        (table, r["seq"], r["section"]): [(c["column"], c["text"]) for c in r["extra_columns"]]
        for table in ("basic_items", "coordination_items", "reclaimed_items")
        for r in _items(street, table)
    }
    assert extra[("basic_items", 1, 2)] == [("备注", "按年度调整"), ("法律依据", "《中国共产党章程》")]
    assert extra[("basic_items", 2, 2)] == []
    assert extra[("basic_items", 1, 3)] == [("备注", "新增事项")]
    assert extra[("coordination_items", 2, 1)] == [("备注", "属地管理")]
    assert extra[("reclaimed_items", 1, 1)] == [("收回部门", "西湖区市场监督管理局")]
    assert extra[("reclaimed_items", 1, 2)] == [("收回部门", "西湖区规划和自然资源局")]
    notes = [n for ns in pd.read_parquet(street / "source_files.parquet").notes for n in ns]
    named = " ".join(notes)
    assert "备注" in named and "法律依据" in named
    assert "收回部门" not in named  # a declared column (lists.toml, extra = true): nothing new to say
    with (street / "csv" / "basic_items.csv").open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert rows[0]["extra_columns"] == "备注：按年度调整\n法律依据：《中国共产党章程》"
    assert rows[0]["subcategory"] == "组织建设"
    sheet = load_workbook(street / "duty_lists.xlsx", read_only=True)["基本履职事项"]
    values = list(sheet.iter_rows(values_only=True))
    column = values[1].index("extra_columns")
    assert values[2][column] == "备注：按年度调整\n法律依据：《中国共产党章程》"
    package = json.loads((street / "datapackage.json").read_text(encoding="utf-8"))
    fields = {
        f["name"]: f
        for r in package["resources"]
        if r["name"] == "basic_items"
        for f in r["schema"]["fields"]
    }
    assert fields["extra_columns"]["type"] == "string"
    assert "extra_columns" in (street / "CODEBOOK.md").read_text(encoding="utf-8")


def test_a_revised_extra_column_is_a_change_of_the_item(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    # Which version is current comes from the documents (here the dates in the file names), never
    # from modification times: the newer file is made older on disk.
    old = street_workbook(raw / "北山街道清单（2024年3月）.xlsx")
    new = street_workbook(raw / "北山街道清单（2025年1月）.xlsx", remark="动态调整")
    os.utime(old, (1_700_100_000, 1_700_100_000))
    os.utime(new, (1_700_000_000, 1_700_000_000))
    processed = build(raw, tmp_path / "processed")
    changes = _items(processed, "changes")
    assert [(c["list"], c["new_seq"], c["field"], c["old_value"], c["new_value"]) for c in changes] == [
        (
            "basic",
            1,
            "extra_columns",
            "备注：按年度调整\n法律依据：《中国共产党章程》",
            "备注：动态调整\n法律依据：《中国共产党章程》",
        )
    ]
    basic = {r["item_id"]: r for r in _items(processed, "basic_items")}
    assert changes[0]["item_id"] in basic
    assert basic[changes[0]["item_id"]]["section"] == 2
    assert basic[changes[0]["item_id"]]["source_file"] == "北山街道清单（2025年1月）.xlsx"


# --- end to end: PDFs -------------------------------------------------------------------------------

BASIC = [120, 330]


def test_pdf_with_section_rows_and_an_unknown_header_is_read_or_reported(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    minipdf.write(
        raw / "lists.pdf",
        [
            [
                ("title", "哈密市伊吾县吐葫芦乡基本履职事项清单"),
                (
                    "table",
                    BASIC,
                    [
                        ["序号", "事项名称"],
                        ("span", "一、党的建设（2项）"),
                        ["1", "加强党组织建设"],
                        ["2", "做好党员管理"],
                        ("span", "二、经济发展"),
                        ["1", "做好经济运行监测"],
                    ],
                ),
                ("title", "哈密市伊吾县吐葫芦乡上级部门收回事项清单"),
                (
                    "table",
                    [60, 200, 190],
                    [["序号", "事项名称", "去向说明"], ["1", "个体工商户登记", "县市场监督管理局"]],
                ),
            ]
        ],
    )
    processed = build(raw, tmp_path / "processed")
    basic = _items(processed, "basic_items")
    assert [(r["section"], r["seq"], r["category"], r["name"]) for r in basic] == [
        (1, 1, "党的建设", "加强党组织建设"),
        (1, 2, "党的建设", "做好党员管理"),
        (2, 1, "经济发展", "做好经济运行监测"),
    ]
    assert _items(processed, "reclaimed_items") == []  # never read as another list
    problems = pd.read_parquet(processed / "problems.parquet")
    assert problems.kind.tolist() == ["unknown_header"]
    p = problems.iloc[0]
    assert (p["source_file"], p["page"], p["list"]) == ("lists.pdf", 1, "reclaimed")
    assert "序号 | 事项名称 | 去向说明" in p["message"]
    declared = next(c for c in spec()["problems"]["columns"] if c["name"] == "kind")
    assert "unknown_header" in declared["values"] and "unknown_header" in declared["labels"]


def test_a_second_basic_looking_table_with_another_header_is_reported_not_read_as_basic(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    minipdf.write(
        raw / "lists.pdf",
        [
            [
                ("title", "哈密市伊吾县吐葫芦乡基本履职事项清单"),
                ("table", BASIC, [["序号", "事项名称"], ["1", "加强党组织建设"], ["2", "做好党员管理"]]),
            ],
            [
                (
                    "table",
                    [60, 200, 190],
                    [["序号", "事项名称", "去向说明"], ["1", "个体工商户登记", "县市场监督管理局"]],
                )
            ],
        ],
    )
    processed = build(raw, tmp_path / "processed")
    assert [r["name"] for r in _items(processed, "basic_items")] == ["加强党组织建设", "做好党员管理"]
    problems = pd.read_parquet(processed / "problems.parquet")
    assert problems.kind.tolist() == ["unknown_header"]  # not a numbering_repeat of basic item 1
    assert problems.iloc[0]["page"] == 2
    assert "序号 | 事项名称 | 去向说明" in problems.iloc[0]["message"]
    assert "headed 序号 | 事项名称" in problems.iloc[0]["message"]


def test_pdf_compilation_of_two_townships_under_numbered_headings(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    pages = []
    for n, town in (("一、", "吐葫芦乡"), ("二、", "下马崖乡")):
        pages.append(
            [
                ("title", f"{n}哈密市伊吾县{town}基本履职事项清单"),
                (
                    "table",
                    BASIC,
                    [["序号", "事项名称"], ["1", f"{town}党组织建设"], ["2", f"{town}经济运行监测"]],
                ),
            ]
        )
    minipdf.write(raw / "伊吾县乡镇履职事项清单汇编.pdf", pages)
    processed = build(raw, tmp_path / "processed")
    towns = pd.read_parquet(processed / "townships.parquet")
    assert sorted(zip(towns.county, towns.township, towns.county_code, strict=True)) == [
        ("伊吾县", "下马崖乡", "650522"),
        ("伊吾县", "吐葫芦乡", "650522"),
    ]
    assert len(_items(processed, "basic_items")) == 4


# --- paragraphs ---------------------------------------------------------------------------------


def test_a_department_heading_after_a_full_sentence_line_starts_a_step():
    from pipeline.clean.paragraphs import paragraphs

    right = 523.4
    lines = [
        Line("西湖区市场监督管理局：负责本行政区域创业实体信息统计。", 240, right, right, 10, True),
        Line("西湖区人力资源和社会保障局：负责本行政区域就业务工信息", 240, right, right, 10),
        Line("统计。", 240, 271, right, 10),
    ]
    assert paragraphs(lines, SETTINGS) == [
        "西湖区市场监督管理局：负责本行政区域创业实体信息统计。",
        "西湖区人力资源和社会保障局：负责本行政区域就业务工信息统计。",
    ]
    # no department and colon at the start of the next line: a full line wraps, whatever it ends with
    wrapped = [
        lines[0],
        Line("负责本行政区域就业务工信息统计与上报，做好数据核", 240, right, right, 10),
        lines[2],
    ]
    assert paragraphs(wrapped, SETTINGS) == [
        "西湖区市场监督管理局：负责本行政区域创业实体信息统计。负责本行政区域就业务工信息统计与上报，做好数据核统计。"
    ]
