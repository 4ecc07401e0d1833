"""Unit tests: header wording → column roles and list, titles → township identity, furniture."""

from __future__ import annotations

import pytest

from pipeline.clean.wording import (
    column_role,
    default_roles,
    header_roles,
    identity_from_title,
    is_footer,
    list_for_roles,
    list_for_title,
    title_of_block,
)


@pytest.mark.parametrize(
    ("text", "role"),
    [
        ("序号", "seq"),
        ("序\n号", "seq"),
        ("类别", "category"),
        ("事项类别", "category"),
        ("事项名称", "name"),
        ("履职事项", "name"),
        ("配合事项", "name"),
        ("收回事项", "name"),
        ("对应上级部门", "departments"),
        ("县级责任部门", "departments"),
        ("上级部门职责", "upper_duties"),
        ("县级部门职责", "upper_duties"),
        ("乡镇配合职责", "township_duties"),
        ("镇（街道）配合职责", "township_duties"),
        ("镇(街道)配合职责", "township_duties"),
        ("乡（镇、街道）配合职责", "township_duties"),
        ("承接部门及工作方式", "handling"),
        ("承接部门及方式", "handling"),
        ("备注", None),
        ("1", None),
    ],
)
def test_header_wording(text, role):
    assert column_role(text.replace("\n", "")) == role


def test_list_comes_from_the_header_columns():
    basic = header_roles([(0, "序号"), (1, "类别"), (2, "履职事项")])
    coordination = header_roles(
        [
            (0, "序号"),
            (1, "类别"),
            (2, "配合事项"),
            (3, "县级责任部门"),
            (4, "县级部门职责"),
            (5, "镇（街道）配合职责"),
        ]
    )
    reclaimed = header_roles([(0, "序号"), (1, "事项类别"), (2, "收回事项"), (3, "承接部门及方式")])
    assert list_for_roles(basic) == "basic"
    assert list_for_roles(coordination) == "coordination"
    assert list_for_roles(reclaimed) == "reclaimed"


def test_a_data_row_is_not_a_header():
    assert header_roles([(0, "1"), (1, "党的建设"), (2, "加强党的建设")]) is None


def test_unknown_extra_column_does_not_hide_the_header():
    roles = header_roles([(0, "序号"), (1, "事项类别"), (2, "事项名称"), (3, "备注")])
    assert roles == {0: "seq", 1: "category", 2: "name"}


def test_default_columns_only_when_the_count_fits():
    assert default_roles("reclaimed", 4) == {0: "seq", 1: "category", 2: "name", 3: "handling"}
    assert default_roles("reclaimed", 6) is None


@pytest.mark.parametrize(
    ("title", "kind"),
    [
        ("哈密市伊吾县吐葫芦乡基本履职事项清单", "basic"),
        ("哈密市伊吾县吐葫芦乡配合履职事项清单", "coordination"),
        ("张掖市甘州区梁家墩镇上级部门收回事项清单", "reclaimed"),
        ("关于印发履职事项清单的通知", None),
    ],
)
def test_list_named_by_title(title, kind):
    assert list_for_title(title) == kind


@pytest.mark.parametrize(
    ("title", "city", "county", "township", "kind"),
    [
        ("哈密市伊吾县吐葫芦乡基本履职事项清单", "哈密市", "伊吾县", "吐葫芦乡", "乡"),
        ("哈密市伊州区陶家宫镇基本履职事项清单", "哈密市", "伊州区", "陶家宫镇", "镇"),
        ("哈密市巴里坤哈萨克自治县奎苏镇配合履职事项清单", "哈密市", "巴里坤哈萨克自治县", "奎苏镇", "镇"),
        (
            "哈密市伊州区德外里都如克哈萨克族乡基本履职事项清单",
            "哈密市",
            "伊州区",
            "德外里都如克哈萨克族乡",
            "民族乡",
        ),
        ("平凉市崆峒区东关街道上级部门收回事项清单", "平凉市", "崆峒区", "东关街道", "街道"),
        ("附件2：张掖市甘州区梁家墩镇履职事项清单", "张掖市", "甘州区", "梁家墩镇", "镇"),
        ("伊吾县吐葫芦乡基本履职事项清单", None, "伊吾县", "吐葫芦乡", "乡"),
    ],
)
def test_township_identity_from_title(title, city, county, township, kind):
    place = identity_from_title(title)
    assert (place["city"], place["county"], place["township"], place["township_kind"]) == (
        city,
        county,
        township,
        kind,
    )


def test_title_naming_no_township():
    assert identity_from_title("关于印发乡镇履职事项清单的通知") is None


@pytest.mark.parametrize(
    "text", ["第 1 页，共 83 页", "第1页，共83页", "第 3 页", "- 3 -", "— 12 —", "3 / 40", "共 8 页 第 2 页"]
)
def test_page_footers(text):
    assert is_footer(text)


@pytest.mark.parametrize("text", ["第一条 总则", "3.做好宣传", "哈密市伊吾县吐葫芦乡基本履职事项清单"])
def test_not_page_footers(text):
    assert not is_footer(text)


def test_title_block_takes_the_largest_print_and_joins_a_wrapped_title():
    block = [
        {"text": "附件1", "size": 12.0},
        {"text": "哈密市巴里坤哈萨克自治县德外里都如克", "size": 18.0},
        {"text": "哈萨克族乡基本履职事项清单", "size": 18.0},
        {"text": "第 1 页，共 9 页", "size": 9.0},
    ]
    assert title_of_block(block, 0.9) == "哈密市巴里坤哈萨克自治县德外里都如克哈萨克族乡基本履职事项清单"
    assert title_of_block([{"text": "第 2 页，共 9 页", "size": 9.0}], 0.9) is None
