"""Unit tests for the cell-text rules: wrapped lines, paragraphs, markers, padding."""

from __future__ import annotations

import pytest

from pipeline.clean.paragraphs import (
    Line,
    join_wrapped,
    lead_unit,
    lead_width,
    paragraphs,
    remove_markers,
    single_value,
    strip_padding,
)
from pipeline.common.settings import CleanSettings
from pipeline.common.text import is_heading, starts_step

SIZE = 10.0
RIGHT = 200.0  # the cell's right text edge; a full line of 20 CJK characters ends here
SETTINGS = CleanSettings()


def line(text: str, width_chars: float | None = None, start: bool = False) -> Line:
    """A printed line starting at x=0; by default as wide as its characters (CJK = 1 char)."""
    width = (width_chars if width_chars is not None else len(text)) * SIZE
    return Line(text, 0.0, width, RIGHT, SIZE, cell_start=start)


def full(text: str) -> Line:
    return line(text, width_chars=20)


# --- wrapped lines ----------------------------------------------------------------------------


def test_wrapped_lines_join_without_space():
    lines = [full("一二三四五六七八九十一二三四五六七八九十"), line("结束。", start=False)]
    lines[0] = Line(lines[0].text, 0, 200, RIGHT, SIZE, cell_start=True)
    assert paragraphs(lines, SETTINGS) == ["一二三四五六七八九十一二三四五六七八九十结束。"]


def test_latin_words_split_by_wrapping_keep_one_space():
    assert join_wrapped("使用政务服务APP", "并做好") == "使用政务服务APP并做好"
    assert join_wrapped("the quick", "brown fox") == "the quick brown fox"


def test_single_value_joins_all_lines():
    assert single_value([line("党的建", start=True), line("设")]) == "党的建设"


# --- paragraph ends -------------------------------------------------------------------------------


def test_numbered_step_starts_a_paragraph_even_after_a_full_line():
    lines = [Line("1.做好宣传工作", 0, 200, RIGHT, SIZE, True), full("2.开展巡查")]
    assert paragraphs(lines, SETTINGS) == ["1.做好宣传工作", "2.开展巡查"]


@pytest.mark.parametrize(
    "text", ["1.做好", "12、做好", "（3）做好", "(3)做好", "（二）做好", "三、做好", "①做好"]
)
def test_step_numbering_forms(text):
    assert starts_step(text)


@pytest.mark.parametrize("text", ["3.5亿元资金", "2024年开展", "做好1.工作", "一是做好"])
def test_not_step_numbering(text):
    assert not starts_step(text)


def test_subheading_ending_in_colon_ends_its_paragraph():
    lines = [Line("伊吾县水利局：", 0, 200, RIGHT, SIZE, True), full("负责水污染防治")]
    assert paragraphs(lines, SETTINGS) == ["伊吾县水利局：", "负责水污染防治"]
    assert is_heading("职级等级晋升：") and is_heading("哈密市民政局:")


def test_line_stopping_short_ends_the_paragraph():
    lines = [line("负责城市建设。", start=True), line("开展巡查工作")]
    assert paragraphs(lines, SETTINGS) == ["负责城市建设。", "开展巡查工作"]


def test_line_stopping_short_without_punctuation_ends_the_paragraph_when_next_unit_would_fit():
    lines = [line("伊吾县公安局", start=True), line("对流浪乞讨人员相关信息进行核查。")]
    assert paragraphs(lines, SETTINGS) == ["伊吾县公安局", "对流浪乞讨人员相关信息进行核查。"]


def test_line_cut_short_by_line_breaking_rules_continues():
    """The next line starts with 》 (may not start a line), so 案 moved down with it."""
    lines = [
        line("启动《防汛抗旱应急预", width_chars=17.5, start=True),
        line("案》，各部门按照职责分工开展工作。"),
    ]
    assert paragraphs(lines, SETTINGS) == ["启动《防汛抗旱应急预案》，各部门按照职责分工开展工作。"]


def test_line_cut_short_before_a_long_unbreakable_run_continues():
    """“3·15”“6·14” cannot be split, so it moved down whole and left the line short."""
    right = 12 * SIZE  # a narrow cell: 12 characters
    lines = [
        Line("2.依", 0, 2 * SIZE, right, SIZE, cell_start=True),
        Line("托“3·15”“6·14”等宣", 0, 11.9 * SIZE, right, SIZE),
    ]
    assert lead_unit(lines[1].text) == "托“3·15”“6·14”"
    assert paragraphs(lines, SETTINGS) == ["2.依托“3·15”“6·14”等宣"]
    # The same short line before a unit that would have fitted ends its paragraph.
    lines[1] = Line("托管工作等宣传活动", 0, 9 * SIZE, right, SIZE)
    assert paragraphs(lines, SETTINGS) == ["2.依", "托管工作等宣传活动"]


def test_full_line_ending_a_sentence_before_a_wrapped_subheading_ends_the_paragraph():
    lines = [
        Line("建立健全准入制和动态调整制度，加强培训指导；", 0, 199, RIGHT, SIZE, True),
        full("甲县委组织部、甲县委社会工作部、甲县委农村工作"),
        line("领导小组办公室："),
        line("1.建立机制；"),
    ]
    assert paragraphs(lines, SETTINGS) == [
        "建立健全准入制和动态调整制度，加强培训指导；",
        "甲县委组织部、甲县委社会工作部、甲县委农村工作领导小组办公室：",
        "1.建立机制；",
    ]


def test_full_line_ending_a_sentence_before_a_bare_department_line_ends_the_paragraph():
    lines = [
        full("将符合条件的人员信息上报哈密市民政局."),
        line("伊吾县公安局"),
        line("对相关信息进行核查。"),
    ]
    lines[0] = Line(lines[0].text, 0, 200, RIGHT, SIZE, True)
    assert paragraphs(lines, SETTINGS) == [
        "将符合条件的人员信息上报哈密市民政局.",
        "伊吾县公安局",
        "对相关信息进行核查。",
    ]


def test_new_cell_always_starts_a_paragraph():
    lines = [full("第一个单元格的文字"), line("第二个单元格", start=True)]
    assert len(paragraphs(lines, SETTINGS)) == 2


# --- markers and padding ---------------------------------------------------------------------------


def test_continuation_markers_are_not_text():
    assert remove_markers("为退耕还林提供技术服务（未完见下页）") == "为退耕还林提供技术服务"
    assert remove_markers("（续上页）") == ""
    assert remove_markers("(续上页)7.对验收不合格") == "7.对验收不合格"


def test_marker_lines_vanish_from_paragraphs():
    lines = [line("2.对上报违法行为进行调查处理。", start=True), line("（未完见下页）")]
    assert paragraphs(lines, SETTINGS) == ["2.对上报违法行为进行调查处理。"]


def test_layout_padding_is_dropped_but_single_spaces_kept():
    assert strip_padding("序    号") == "序号"
    assert strip_padding("  伊吾县水利局  ") == "伊吾县水利局"
    assert strip_padding("1. 统计农民专业合作社") == "1. 统计农民专业合作社"
    assert strip_padding("负责\u3000\u3000宣传") == "负责宣传"


# --- narrow characters ----------------------------------------------------------------------------


def _mixed(text: str, narrow: float = 0.55) -> Line:
    """A printed line whose ASCII characters are `narrow` of a CJK character wide."""
    chars = sum(narrow if ch.isascii() else 1.0 for ch in text)
    return line(text, width_chars=chars)


def test_narrow_characters_count_a_little_over_half_a_cjk_character():
    lines = [line("上一行", start=True), _mixed("12345678年度计划")]
    # 8 digits at 0.55 each: the unit “12345678” is 4.4 CJK characters wide.
    assert lead_width(lines, 1, SETTINGS) == pytest.approx(4.4)


def test_a_gap_wider_than_a_run_of_digits_ends_the_paragraph():
    """The previous line stops 6.5 characters short; “12345678” (4.4 wide, + 1.5 margin) would have
    fitted there, so the line ended its paragraph. Counting digits as full characters (8) would
    wrongly join the two lines."""
    lines = [Line("一二三四五六七八九十一二三", 0.0, 135.0, RIGHT, SIZE, True), _mixed("12345678年度计划")]
    assert paragraphs(lines, SETTINGS) == ["一二三四五六七八九十一二三", "12345678年度计划"]
