"""The normalized model: departments, bridges, duty steps, reclaimed disposition, power types."""

from __future__ import annotations

import pandas as pd
import pytest

from pipeline.normalize.departments import place_variants, resolve, split_printed
from pipeline.normalize.stage import power_type
from pipeline.normalize.steps import parse_steps, step_number


def table(folder, name):
    return pd.read_parquet(folder / f"{name}.parquet")


# --- rules, unit level --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("printed", "canonical"),
    [
        ("甲县林草局", "甲县林业和草原局"),
        ("甲县林业和草原局", "甲县林业和草原局"),
        ("甲县科技局", "甲县科学技术局"),
        ("甲县发改委", "甲县发展和改革委员会"),
        ("甲县住建局", "甲县住房和城乡建设局"),
        ("农业农村局", "甲县农业农村局"),  # no prefix: the county of the list it is printed in
        ("县委组织部", "甲县委组织部"),
        ("乙市民政局", "乙市民政局"),
    ],
)
def test_spellings_resolve_to_one_canonical_name(printed, canonical):
    assert resolve(printed, "甲县", "乙市").name == canonical


def test_short_form_of_an_autonomous_county_is_the_same_place():
    assert "丙山县" in place_variants("丙山哈萨克自治县")
    assert "丁河县" in place_variants("丁河蒙古族自治县")
    assert "戊己县" in place_variants("戊己保安族东乡族撒拉族自治县")
    assert resolve("丙山县林草局", "丙山哈萨克自治县", "乙市").name == "丙山哈萨克自治县林业和草原局"


def test_levels_and_kinds():
    assert resolve("乙市民政局", "甲县", "乙市").level == "市"
    assert resolve("国家税务总局甲县税务局", "甲县", "乙市").level == "中央垂直"
    assert resolve("甲县委宣传部", "甲县", "乙市").kind == "党委部门"
    assert resolve("甲县妇女联合会", "甲县", "乙市").kind == "群团组织"
    assert resolve("甲县人大常委会办公室", "甲县", "乙市").kind == "人大"
    assert resolve("甲县政协办公室", "甲县", "乙市").kind == "政协"
    assert resolve("甲县水利局", "甲县", "乙市").kind == "政府部门"


@pytest.mark.parametrize(
    "printed, name, level",
    [
        ("新疆维吾尔自治区民政厅", "新疆维吾尔自治区民政厅", "省(自治区)"),
        ("甲乙省农业农村厅", "甲乙省农业农村厅", "省(自治区)"),
        ("自治区民政厅", "自治区民政厅", "省(自治区)"),  # the list names no region: kept as printed
        ("市民政局", "乙市民政局", "市"),  # a bare 市 is the list's own city
        ("丁州市民政局", "丁州市民政局", "市"),  # another city: not glued onto the county
        ("县民政局", "甲县民政局", "县(区)"),
        ("县委组织部", "甲县委组织部", "县(区)"),
        ("丙丁县民政局", "丙丁县民政局", "县(区)"),  # another county keeps its own name
        ("市场监督管理局", "甲县市场监督管理局", "县(区)"),  # 市场 is no place
        ("民政局", "甲县民政局", "县(区)"),
    ],
)
def test_levels_come_from_the_place_a_name_starts_with(printed, name, level):
    dept = resolve(printed, "甲县", "乙市")
    assert (dept.name, dept.level) == (name, level)


def test_combined_cell_keeps_the_real_department_only():
    assert split_printed("甲县应急管理局以及其他负有安全监管职责的部门") == ["甲县应急管理局"]
    assert split_printed("相关部门") == []


def test_subheadings_that_name_no_department():
    assert resolve("职级等级晋升", "甲县", "乙市") is None
    assert resolve("培育壮大农民专业合作社", "甲县", "乙市") is None


def test_steps_fall_under_their_heading_and_name_departments():
    steps = parse_steps(
        [
            "甲县水利局、农业农村局：",
            "1.负责监管；",
            "乙市民政局：负责审核。",
            "职级等级晋升：",
            "（一）做好",
        ],
        "甲县",
        "乙市",
    )
    assert [s.is_heading for s in steps] == [True, False, False, True, False]
    assert [d.name for _, d in steps[1].departments] == ["甲县水利局", "甲县农业农村局"]
    assert steps[1].heading == "甲县水利局、农业农村局：" and steps[1].step_no == "1"
    assert [d.name for _, d in steps[2].departments] == ["乙市民政局"] and steps[2].source == "step"
    assert (
        steps[4].heading == "职级等级晋升：" and steps[4].departments == () and steps[4].step_no == "（一）"
    )


@pytest.mark.parametrize(
    ("text", "number"),
    [("1.做好", "1"), ("12、做好", "12"), ("（3）做好", "（3）"), ("二、做好", "二"), ("做好", None)],
)
def test_step_numbers_as_printed(text, number):
    assert step_number(text) == number


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("对从事无照经营的处罚", "行政处罚"),
        ("医疗救助待遇审批", "行政许可/审批"),
        ("对在安全生产方面取得显著成绩的单位给予奖励", "行政奖励"),
        ("农业机械安全监督检查", "行政检查/监管"),
        ("对完成城镇新增就业人数任务的考核", "考核评比"),
        ("收养登记", "行政确认"),
        ("低收入妇女“两癌”救助工作", "行政给付"),
        ("做好农村公益性墓地建设管理", "其他"),
    ],
)
def test_power_type_from_the_item_name(name, kind):
    assert power_type(name) == kind


# --- the embedded default ----------------------------------------------------------------------------


def test_tuhulu_departments(tuhulu_tables):
    deps = table(tuhulu_tables, "departments")
    forestry = deps[deps.spellings.apply(lambda s: "伊吾县林草局" in list(s))]
    assert len(forestry) == 1
    assert forestry.iloc[0]["name"] == "伊吾县林业和草原局"
    assert set(forestry.iloc[0]["spellings"]) == {"伊吾县林草局", "伊吾县林业和草原局"}
    assert deps.department_id.is_unique and deps.name.is_unique


def test_tuhulu_reclaimed(tuhulu_tables):
    rec = table(tuhulu_tables, "reclaimed_items")
    assert rec.disposition.value_counts().to_dict() == {"transferred": 45, "cancelled": 3}
    assert rec[rec.disposition == "cancelled"].receiving_departments.apply(len).eq(0).all()
    item45 = rec[rec.seq == 45].iloc[0]
    assert len(item45.receiving_departments) == 3
    bridge = table(tuhulu_tables, "reclaimed_departments")
    assert len(bridge[bridge.item_id == item45.item_id]) == 3


def test_tuhulu_steps(tuhulu_tables):
    steps = table(tuhulu_tables, "duty_steps")
    item1 = steps[(steps.list == "coordination") & (steps.seq == 1) & ~steps.is_heading]
    assert item1.groupby("side").size().to_dict() == {"upper": 5, "township": 4}
    # Every paragraph of every duty cell is one row, in order.
    coord = table(tuhulu_tables, "coordination_items")
    n_paragraphs = (
        coord.upper_duties.str.count("\n").add(1).sum() + coord.township_duties.str.count("\n").add(1).sum()
    )
    assert (steps.list == "coordination").sum() == n_paragraphs


def test_tuhulu_bridge_matches_the_printed_cells(tuhulu_tables):
    coord = table(tuhulu_tables, "coordination_items")
    bridge = table(tuhulu_tables, "coordination_departments")
    merged = coord.merge(bridge.groupby("item_id").printed.apply(list).rename("bridge"), on="item_id")
    assert len(merged) == len(coord)
    generic = merged.departments.apply(lambda ds: [p for d in ds for p in split_printed(d)])
    assert (generic == merged.bridge).all()


# --- other counties: the same rules, no county named --------------------------------------------------


def test_scale_departments_belong_to_the_places_they_serve(scale_sample_tables):
    deps = table(scale_sample_tables, "departments")
    towns = table(scale_sample_tables, "townships")
    places = set(towns.county) | set(towns.city)
    assert set(deps.belongs_to) <= places
    for _, d in deps.iterrows():
        assert d["name"].startswith(d.belongs_to) or d.level == "中央垂直", d["name"]
    assert deps.name.is_unique and deps.department_id.is_unique
    assert set(deps.kind) <= {"党委部门", "政府部门", "群团组织", "人大", "政协", "垂直管理", "其他"}


def test_scale_no_department_is_an_alias_of_another(scale_sample_tables):
    """After resolution no two departments of one place differ only by an alias spelling."""
    from pipeline.common.rules import load

    deps = table(scale_sample_tables, "departments")
    aliases = load("departments")["aliases"]
    names = set(deps.name)
    for name in names:
        for short, long in aliases.items():
            if short != long and name.endswith(short):
                assert name[: -len(short)] + long not in names, name


def test_scale_every_coordination_item_has_its_departments(scale_sample_tables):
    coord = table(scale_sample_tables, "coordination_items")
    bridge = table(scale_sample_tables, "coordination_departments")
    assert set(coord.item_id) == set(bridge.item_id)
    deps = table(scale_sample_tables, "departments")
    assert set(bridge.department_id) <= set(deps.department_id)


def test_scale_reclaimed_items_are_cancelled_or_taken_over(scale_sample_tables):
    rec = table(scale_sample_tables, "reclaimed_items")
    transferred = rec[rec.disposition == "transferred"]
    assert transferred.receiving_departments.apply(len).gt(0).all()
    cancelled = rec[rec.disposition == "cancelled"]
    assert cancelled.handling.str.contains("取消").all()
    assert 0 < len(cancelled) < len(rec)


def test_scale_upper_steps_mostly_have_a_department(scale_sample_tables):
    steps = table(scale_sample_tables, "duty_steps")
    upper = steps[(steps.side == "upper") & ~steps.is_heading]
    assert upper.department_id.notna().mean() > 0.8
    township = steps[(steps.side == "township") & ~steps.is_heading]
    assert (township.department_source == "item").sum() == 0
