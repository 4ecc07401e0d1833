"""Department names as printed → canonical departments, with every expectation written here.

The expectations are literal (not loaded from the rules under test), so deleting an alias, a
kind keyword or a place rule from pipeline/rules/departments.toml fails a test."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from pipeline.normalize.departments import resolve, split_printed

HAMI = "哈密市"

# printed name, county of the list, expected canonical name, level, kind, department_type
CASES = [
    (
        "伊吾县委编办",
        "伊吾县",
        "伊吾县委机构编制委员会办公室",
        "县(区)",
        "党委部门",
        "委机构编制委员会办公室",
    ),
    (
        "伊吾县委网信办",
        "伊吾县",
        "伊吾县委网络安全和信息化委员会办公室",
        "县(区)",
        "党委部门",
        "委网络安全和信息化委员会办公室",
    ),
    (
        "伊吾县委巡察办",
        "伊吾县",
        "伊吾县委巡察工作领导小组办公室",
        "县(区)",
        "党委部门",
        "委巡察工作领导小组办公室",
    ),
    (
        "伊吾县委农办",
        "伊吾县",
        "伊吾县委农村工作领导小组办公室",
        "县(区)",
        "党委部门",
        "委农村工作领导小组办公室",
    ),
    ("伊吾县林草局", "伊吾县", "伊吾县林业和草原局", "县(区)", "政府部门", "林业和草原局"),
    ("人社局", "伊吾县", "伊吾县人力资源和社会保障局", "县(区)", "政府部门", "人力资源和社会保障局"),
    ("伊吾县市监局", "伊吾县", "伊吾县市场监督管理局", "县(区)", "政府部门", "市场监督管理局"),
    ("伊吾县市场监管局", "伊吾县", "伊吾县市场监督管理局", "县(区)", "政府部门", "市场监督管理局"),
    ("伊吾县发改委", "伊吾县", "伊吾县发展和改革委员会", "县(区)", "政府部门", "发展和改革委员会"),
    ("伊吾县卫健委", "伊吾县", "伊吾县卫生健康委员会", "县(区)", "政府部门", "卫生健康委员会"),
    ("伊吾县住建局", "伊吾县", "伊吾县住房和城乡建设局", "县(区)", "政府部门", "住房和城乡建设局"),
    ("伊吾县妇联", "伊吾县", "伊吾县妇女联合会", "县(区)", "群团组织", "妇女联合会"),
    ("伊吾县残联", "伊吾县", "伊吾县残疾人联合会", "县(区)", "群团组织", "残疾人联合会"),
    ("伊吾县人大办", "伊吾县", "伊吾县人大常委会办公室", "县(区)", "人大", "人大常委会办公室"),
    ("伊吾县政协办", "伊吾县", "伊吾县政协办公室", "县(区)", "政协", "政协办公室"),
    ("国家税务总局伊吾县税务局", "伊吾县", "国家税务总局伊吾县税务局", "中央垂直", "垂直管理", "税务局"),
    ("伊吾县消防救援局", "伊吾县", "伊吾县消防救援局", "中央垂直", "垂直管理", "消防救援局"),
    ("哈密市民政局", "伊吾县", "哈密市民政局", "市", "政府部门", "民政局"),
    ("市民政局", "伊吾县", "哈密市民政局", "市", "政府部门", "民政局"),
    ("县委组织部", "伊吾县", "伊吾县委组织部", "县(区)", "党委部门", "委组织部"),
    ("新疆维吾尔自治区民政厅", "伊吾县", "新疆维吾尔自治区民政厅", "省(自治区)", "政府部门", "民政厅"),
    # A county's short form inside the name is made official: one department, one key.
    ("巴里坤县民政局", "巴里坤哈萨克自治县", "巴里坤哈萨克自治县民政局", "县(区)", "政府部门", "民政局"),
    (
        "哈密市生态环境局巴里坤县分局",
        "巴里坤哈萨克自治县",
        "哈密市生态环境局巴里坤哈萨克自治县分局",
        "市",
        "政府部门",
        "生态环境局",
    ),
    ("哈密市生态环境局伊吾县分局", "伊吾县", "哈密市生态环境局伊吾县分局", "市", "政府部门", "生态环境局"),
]


@pytest.mark.parametrize(("printed", "county", "name", "level", "kind", "dtype"), CASES)
def test_a_printed_name_resolves_to_its_canonical_department(printed, county, name, level, kind, dtype):
    dept = resolve(printed, county, HAMI)
    assert dept is not None
    assert (dept.name, dept.level, dept.kind, dept.type) == (name, level, kind, dtype)


def test_spellings_of_one_department_share_one_key():
    short = resolve("哈密市生态环境局巴里坤县分局", "巴里坤哈萨克自治县", HAMI)
    full = resolve("哈密市生态环境局巴里坤哈萨克自治县分局", "巴里坤哈萨克自治县", HAMI)
    assert short is not None and full is not None and short.department_id == full.department_id


@pytest.mark.parametrize("printed", ["职级等级晋升：", "培育壮大农民专业合作社："])
def test_a_sub_heading_is_no_department(printed):
    assert resolve(printed, "伊吾县", HAMI) is None


@pytest.mark.parametrize(
    ("entry", "names"),
    [
        ("相关部门", []),
        ("其他有关单位", []),
        ("各成员单位", []),
        ("伊吾县应急管理局以及其他负有安全监管职责的部门", ["伊吾县应急管理局"]),
        ("伊吾县民政局等部门", []),
    ],
)
def test_generic_phrases_name_no_department(entry, names):
    assert split_printed(entry) == names


EXPECTED = Path(__file__).parent / "fixtures" / "corpus" / "tuhulu" / "hami_yiwu_tuhulu.departments.json"


def test_the_tuhulu_departments_table_is_as_expected(tuhulu_tables):
    """The whole departments table of the embedded default against its expected file (names,
    levels, kinds, types, the county or city each belongs to, and every spelling seen)."""
    got = pd.read_parquet(tuhulu_tables / "departments.parquet").sort_values("name")
    rows = [
        {
            "name": r.name,
            "level": r.level,
            "kind": r.kind,
            "department_type": r.department_type,
            "belongs_to": r.belongs_to,
            "spellings": sorted(r.spellings),
        }
        for r in got.itertuples()
    ]
    assert rows == json.loads(EXPECTED.read_text(encoding="utf-8"))
