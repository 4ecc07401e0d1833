"""Tables ruled only between rows or not at all (columns by text alignment), and reportlab's split
rows under a repeated header with fake bold: generated lists read exactly, and the rules that
make it so, one by one."""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest

from pipeline.extract.aligned import aligned_tables
from pipeline.extract.geometry import implied_rows
from tests import ruled_lists
from tests.conftest import build


def _chars(text: str, x: float, top: float, size: float = 10.0) -> list[dict]:
    return [
        {
            "text": ch,
            "x0": x + i * size,
            "x1": x + (i + 1) * size,
            "top": top,
            "bottom": top + size,
            "size": size,
        }
        for i, ch in enumerate(text)
    ]


def _list_values(value) -> list[str]:
    """A multi-paragraph field (paragraphs joined with a newline) or a list field, as a list."""
    if value is None:
        return []
    return value.split("\n") if isinstance(value, str) else list(value)


@pytest.mark.parametrize(
    ("rules", "fake_bold", "repeat_header", "title_every_page"),
    [
        ("horizontal", False, True, False),
        ("none", False, True, False),
        ("grid", True, True, False),
        ("horizontal", False, False, False),
        ("none", False, False, True),
        ("header_box", False, True, False),
    ],
    ids=[
        "three_line",
        "no_rules",
        "fake_bold",
        "three_line_header_once",
        "no_rules_header_once_titled_pages",
        "header_row_boxed",
    ],
)
def test_generated_list_reads_exactly(rules, fake_bold, repeat_header, title_every_page, tmp_path):
    """Every style, a row split across pages in each; borderless: 事项类别 merged over its items
    (so empty on the later pages: fewer columns there than in the header row)."""
    raw = tmp_path / "raw"
    raw.mkdir()
    merged = rules == "none"  # a borderless Word table: 事项类别 merged over its items, wrapping on
    # three pages (a page holding nothing but the rest of a split row, with neither header nor 序号,
    # is not told from free text: the generator's 14th item would make one with titled pages)
    n = 9 if repeat_header else 13 if title_every_page else 14
    ruled_lists.write(
        raw / "qianshan.pdf",
        rules,
        fake_bold=fake_bold,
        n=n,
        merged_category=merged,
        repeat_header=repeat_header,
        title_every_page=title_every_page,
    )
    processed = build(raw, tmp_path / "processed")
    rows = {r["seq"]: r for r in pq.read_table(processed / "coordination_items.parquet").to_pylist()}
    expected = ruled_lists.items(n, long_category=merged)
    assert sorted(rows) == [it["no"] for it in expected]
    for it in expected:
        got = rows[it["no"]]
        assert got["township"] == "前山乡"
        assert (got["category"], got["name"]) == (it["category"], it["name"]), it["no"]
        for field in ("departments", "upper_duties", "township_duties"):
            assert _list_values(got[field]) == it[field], (it["no"], field)
    assert any(len(r["pages"]) == 2 for r in rows.values())  # a row split by a page break, read whole
    assert pq.read_table(processed / "problems.parquet").num_rows == 0
    source = pq.read_table(processed / "source_files.parquet").to_pylist()[0]
    assert source["n_table_chars"] == source["n_placed_chars"] > 1000


# --- the rules ----------------------------------------------------------------------------------


def test_columns_come_from_the_header_words_and_the_blank_strips_of_the_body():
    chars = _chars("序号", 50, 100) + _chars("事项类别", 110, 100) + _chars("事项名称", 300, 100)
    chars += (
        _chars("1", 55, 125)
        + _chars("党的建设", 100, 125)
        + _chars("名称甲名称甲名称甲名称甲名称甲名称甲", 200, 125)
    )
    chars += _chars("2", 55, 145) + _chars("经济发展", 100, 145) + _chars("名称乙", 200, 145)
    chars += _chars("7", 400, 400)  # the page number, far below
    tables, free = aligned_tables(chars, [], [], 0.5, 0.3)
    assert len(tables) == 1
    cells = tables[0]["cells"]
    text = {(c["r0"], c["c0"]): "".join(ln["text"] for ln in c["lines"]) for c in cells}
    assert text[(0, 0)] == "序号" and text[(0, 2)] == "事项名称"
    assert (text[(1, 0)], text[(1, 1)], text[(1, 2)]) == (
        "1",
        "党的建设",
        "名称甲名称甲名称甲名称甲名称甲名称甲",
    )
    assert (text[(2, 0)], text[(2, 1)], text[(2, 2)]) == ("2", "经济发展", "名称乙")
    assert [c["text"] for c in free] == ["7"]
    xs = tables[0]["xs"]
    assert 70 < xs[1] < 100 and 140 < xs[2] < 200  # in the blank strips between the columns


def test_rows_without_rules_are_cut_above_each_seq_and_a_fragment_stays_apart():
    chars = _chars("序号", 50, 100) + _chars("事项名称", 200, 100)
    chars += _chars("上页续文", 200, 120)  # the rest of an item split by the page break: no 序号
    chars += _chars("1", 55, 134) + _chars("第一项", 200, 134) + _chars("第一项续行", 200, 148)
    chars += _chars("2", 55, 162) + _chars("第二项", 200, 162)
    tables, _ = aligned_tables(chars, [], [], 0.5, 0.3)
    rows: dict[int, list[str]] = {}
    for c in tables[0]["cells"]:
        rows.setdefault(c["r0"], []).append("|".join(ln["text"] for ln in c["lines"]))
    assert rows == {
        0: ["序号", "事项名称"],
        1: ["", "上页续文"],
        2: ["1", "第一项|第一项续行"],
        3: ["2", "第二项"],
    }


def test_a_line_reaching_over_a_column_boundary_is_one_cell_across():
    chars = _chars("序号", 50, 100) + _chars("事项名称", 100, 100)
    chars += _chars("一、党的建设", 50, 120)  # a section row, from the 序号 column into the next
    chars += _chars("1", 55, 140) + _chars("名称", 100, 140)
    chars += _chars("2", 55, 160) + _chars("名称", 100, 160)
    tables, _ = aligned_tables(chars, [], [], 0.5, 0.3)
    section = [c for c in tables[0]["cells"] if c["r0"] == 1]
    assert len(section) == 1 and (section[0]["c0"], section[0]["c1"]) == (0, 2)
    assert section[0]["lines"][0]["text"] == "一、党的建设"
    assert 65 < tables[0]["xs"][1] < 100  # the section row does not hide the boundary


def test_no_header_row_no_aligned_table():
    chars = _chars("根据上级要求", 50, 100) + _chars("现将清单公布如下", 200, 100) + _chars("1", 55, 125)
    tables, free = aligned_tables(chars, [], [], 0.5, 0.3)
    assert tables == [] and len(free) == len(chars)


def test_a_header_row_without_its_bottom_rule_ends_where_every_vertical_ruling_breaks():
    columns = [40.0, 80.0, 160.0, 300.0]
    segments = [(x, 50.0, 70.0) for x in columns] + [(x, 70.0, 300.0) for x in columns]
    h_edges = [(50.0, 40.0, 300.0), (300.0, 40.0, 300.0)]
    header = _chars("序号", 45, 55)
    assert implied_rows((40, 50, 300, 300), segments, h_edges, header, 2.0) == [(70.0, 40, 300)]
    # text printed across that height (a centred 序号 drawn up into the header) moves the boundary
    # up to the gap between the lines
    across = _chars("79", 45, 66)
    assert implied_rows((40, 50, 300, 300), segments, h_edges, header + across, 2.0) == [(66.0, 40, 300)]
    # a rule drawn there, or a vertical ruling running on through, means no boundary is implied
    assert implied_rows((40, 50, 300, 300), segments, [*h_edges, (70.0, 40.0, 300.0)], header, 2.0) == []
    unbroken = [(x, 50.0, 70.0) for x in columns[:-1]] + [(x, 70.0, 300.0) for x in columns[:-1]]
    unbroken.append((300.0, 50.0, 300.0))
    assert implied_rows((40, 50, 300, 300), unbroken, h_edges, header, 2.0) == []


# --- text conservation ---------------------------------------------------------------------------


def _unknown_layout(path):
    """A basic list whose first items are printed inside the header row (no rule between them, the
    vertical rulings running through): a layout the reader does not know."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    ruled_lists._font()
    width, height = A4
    c = canvas.Canvas(str(path), pagesize=A4, invariant=1)
    c.setFont(ruled_lists.FONT, 16)
    c.drawString(60, height - 60, "哈密市伊吾县前山乡基本履职事项清单")
    xs, top = [50.0, 100.0, 200.0, 500.0], 100.0
    rows = [
        ("序号", "事项类别", "事项名称"),
        ("1", "党的建设", "加强党的政治建设"),
        ("2", "党的建设", "加强基层组织建设"),
    ]
    rows += [(str(k), "经济发展", f"第{k}项经济工作") for k in range(3, 6)]
    c.setFont(ruled_lists.FONT, 10)
    for r, row in enumerate(rows):
        for x, text in zip(xs, row, strict=False):
            c.drawString(x + 5, height - top - 16 - r * 20, text)
    ys = [top, top + 60.0] + [top + 40.0 + 20.0 * k for k in range(2, len(rows))]
    for y in ys:  # no rule between the header and the first item
        c.line(xs[0], height - y, xs[-1], height - y)
    for x in xs:
        c.line(x, height - ys[0], x, height - ys[-1])
    c.showPage()
    c.save()
    return path


def test_text_in_no_field_is_a_lost_text_problem_not_silence(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    _unknown_layout(raw / "qianshan.pdf")
    processed = build(raw, tmp_path / "processed")
    source = pq.read_table(processed / "source_files.parquet").to_pylist()[0]
    assert source["status"] == "ok"
    assert 0 < source["n_placed_chars"] < source["n_table_chars"]
    lost = [p for p in pq.read_table(processed / "problems.parquet").to_pylist() if p["kind"] == "lost_text"]
    assert [p["page"] for p in lost] == [1]
    assert "加强党的政治建设" in lost[0]["message"]
    assert lost[0]["message"].startswith(f"{source['n_table_chars'] - source['n_placed_chars']} character(s)")


def test_every_character_of_a_list_read_right_is_placed(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    ruled_lists.write(raw / "qianshan.pdf", "grid", fake_bold=True)
    processed = build(raw, tmp_path / "processed")
    source = pq.read_table(processed / "source_files.parquet").to_pylist()[0]
    assert source["n_table_chars"] == source["n_placed_chars"] > 1000


def test_header_wording_is_furniture_but_text_glued_under_it_is_not():
    from pipeline.clean.conservation import header_furniture

    def cell(*texts):
        return {"lines": [{"text": t, "x0": 0.0, "x1": 10.0} for t in texts]}

    assert header_furniture(cell("序号")) == 1
    assert header_furniture(cell("对应上级", "部门")) == 2  # a header wrapped in its cell
    assert header_furniture(cell("事项", "名称")) == 2  # 事项 alone is a name too: the longest wins
    assert header_furniture(cell("序号", "7")) == 1  # an item's 序号 glued under the header
    assert header_furniture(cell("上级部门职责", "1.建立健全工作机制")) == 1
    assert header_furniture(cell("备注")) == 1  # an unknown column's wording is wording


def test_a_merged_category_wrapping_past_its_first_row_stays_one_cell():
    """Word prints a vertically merged 事项类别 once, at the top of its items; a long one wraps into
    the next item's row (rows are as tall as their own cells, so only a merged cell runs on)."""
    chars = _chars("序号", 50, 100) + _chars("事项类别", 80, 100) + _chars("事项名称", 148, 100)
    chars += _chars("1", 55, 114) + _chars("应急管理及消", 80, 114) + _chars("第一项", 148, 114)
    chars += _chars("2", 55, 128) + _chars("防", 80, 128) + _chars("第二项", 148, 128)
    chars += _chars("3", 55, 142) + _chars("第三项", 148, 142)
    chars += _chars("4", 55, 156) + _chars("党的建设", 80, 156) + _chars("第四项", 148, 156)
    chars += _chars("5", 55, 170) + _chars("经济发展", 80, 170) + _chars("第五项", 148, 170)
    tables, _ = aligned_tables(chars, [], [], 0.5, 0.3)
    category = sorted((c for c in tables[0]["cells"] if c["c0"] == 1 and c["r0"] > 0), key=lambda c: c["r0"])
    texts = [("".join(ln["text"] for ln in c["lines"]), c["r1"] - c["r0"]) for c in category]
    assert texts == [("应急管理及消防", 2), ("", 1), ("党的建设", 1), ("经济发展", 1)]


def test_a_page_without_header_is_a_table_only_with_columns_and_item_numbers():
    # a list continued on a page whose header row is not repeated
    chars = []
    for k, top in enumerate((100, 120, 140), start=4):
        chars += _chars(str(k), 55, top) + _chars("党的建设", 80, top) + _chars(f"第{k}项工作", 160, top)
    chars += _chars("8", 300, 500)  # the page number
    tables, free = aligned_tables(chars, [], [], 0.5, 0.3)
    assert len(tables) == 1 and [c["text"] for c in free] == ["8"]
    assert [len([c for c in tables[0]["cells"] if c["r0"] == r]) for r in range(3)] == [3, 3, 3]
    # ... but not where a ruled table holds the list, nor prose and a signature in two columns
    assert aligned_tables(chars, [], [], 0.5, 0.3, ruled=True)[0] == []
    prose = _chars("根据上级要求", 50, 100) + _chars("现将清单公布", 200, 100)
    prose += _chars("特此通知", 50, 120) + _chars("前山乡人民政府", 200, 120)
    prose += _chars("联系人", 50, 140) + _chars("二〇二五年", 200, 140)
    assert aligned_tables(prose, [], [], 0.5, 0.3)[0] == []


def test_an_excerpt_starts_after_a_page_the_file_lacks():
    from pipeline.clean.conservation import cut_before

    def record(page: int, footer: str) -> dict:
        line = {"text": footer, "x0": 0.0, "x1": 50.0, "top": 800.0, "bottom": 810.0, "size": 10.0}
        return {"page": page, "width": 595.0, "height": 842.0, "n_chars": 0, "tables": [], "text": [line]}

    records = [record(1, "第 4 页，共 20 页"), record(2, "第 5 页，共 20 页"), record(3, "第 9 页，共 20 页")]
    assert cut_before(records) == {1, 3}
    assert cut_before([record(1, "第 1 页，共 2 页"), record(2, "第 2 页，共 2 页")]) == set()


def test_a_header_wrapped_in_its_cells_is_one_header_row():
    chars = _chars("序号", 50, 100) + _chars("事项名称", 100, 100) + _chars("对应上级", 200, 100)
    chars += _chars("部门", 210, 112)  # 对应上级 | 部门
    chars += _chars("1", 55, 130) + _chars("名称甲", 100, 130) + _chars("伊吾县民政局", 200, 130)
    chars += _chars("2", 55, 150) + _chars("名称乙", 100, 150) + _chars("伊吾县财政局", 200, 150)
    cells = aligned_tables(chars, [], [], 0.5, 0.3)[0][0]["cells"]
    header = ["|".join(ln["text"] for ln in c["lines"]) for c in cells if c["r0"] == 0]
    assert header == ["序号", "事项名称", "对应上级|部门"]
    # a first body row printed close under a one-line header stays a body row
    chars = _chars("序号", 50, 100) + _chars("事项名称", 100, 100) + _chars("对应上级部门", 200, 100)
    chars += _chars("1", 55, 112) + _chars("名称甲", 100, 112) + _chars("伊吾县民政局", 200, 112)
    chars += _chars("2", 55, 126) + _chars("名称乙", 100, 126) + _chars("伊吾县财政局", 200, 126)
    cells = aligned_tables(chars, [], [], 0.5, 0.3)[0][0]["cells"]
    assert ["".join(ln["text"] for ln in c["lines"]) for c in cells if c["r0"] == 1] == [
        "1",
        "名称甲",
        "伊吾县民政局",
    ]


def test_on_a_page_without_header_a_merged_category_wraps_on_only_above_empty_cells():
    chars = []
    rows = [("4", "应急管理及消", "第四项"), ("5", "防", "第五项"), ("6", "", "第六项"), ("7", "", "第七项")]
    for k, (seq, category, name) in enumerate(rows):
        top = 100 + 14 * k
        chars += _chars(seq, 55, top) + _chars(category, 80, top) + _chars(name, 148, top)
    cells = aligned_tables(chars, [], [], 0.5, 0.3)[0][0]["cells"]
    category = sorted((c for c in cells if c["c0"] == 1), key=lambda c: c["r0"])
    assert [("".join(ln["text"] for ln in c["lines"]), c["r1"] - c["r0"]) for c in category] == [
        ("应急管理及消防", 2),
        ("", 1),
        ("", 1),
    ]
    # an own value in the next row (no empty cell under it) is not joined
    chars = []
    rows = [("4", "应急管理及消", "第四项"), ("5", "防", "第五项"), ("6", "党的建设", "第六项")]
    for k, (seq, category, name) in enumerate(rows):
        top = 100 + 14 * k
        chars += _chars(seq, 55, top) + _chars(category, 80, top) + _chars(name, 148, top)
    cells = aligned_tables(chars, [], [], 0.5, 0.3)[0][0]["cells"]
    assert len([c for c in cells if c["c0"] == 1]) == 3
