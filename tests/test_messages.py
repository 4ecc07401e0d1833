"""The bilingual catalogue (pipeline/rules/messages.toml): problems and reasons in Chinese for the
deliverables, the English as a fallback, the terminal's language from the locale or DUTY_LANG."""

from __future__ import annotations

from pathlib import Path
import re

import pytest

from pipeline.common import messages
from pipeline.common.report import problem_line, summarize
from pipeline.normalize.contracts import Contracts
from pipeline.normalize.schema import spec
from pipeline.publish.workbook import WORKBOOK
from tests.conftest import build

# The English of the code's sentences (names of tables and ids in them are data, not English).
ENGLISH_WORD = re.compile(
    r"\b(list|appears|twice|missing|refers|already|printed|empty|jumps|starts|lacks|copy|left)\b"
)


def _row(seq: int, name: str = "做好宣传", township: str = "甲乡", kind: str = "basic", pages=(1,)) -> dict:
    return {"list": kind, "township": township, "seq": seq, "name": name, "pages": list(pages)}


def _problems() -> list:
    """Real problems of every kind the contracts find, made by the contracts themselves."""
    c = Contracts()

    def tid(r: dict) -> str:
        return {"甲乡": "T1", "乙乡": "T2"}[r["township"]]

    c.screen_file("a.pdf", [_row(1), _row(3), _row(3, pages=(2,)), _row(4, name="")], tid)
    c.screen_file("a.pdf", [_row(3, township="乙乡"), _row(4, township="乙乡")], tid)
    c.screen_file("b.pdf", [_row(1), _row(2)], tid)
    bridge = {"item_id": "T1-C001", "position": 1, "department_id": "D2"}
    c.check_file("a.pdf", {"coordination_departments": [bridge, dict(bridge)]})
    c.check_table("departments", [{"department_id": "D1"}, {"department_id": "D1"}])
    return c.finish()


def test_every_problem_the_contracts_make_reads_in_chinese():
    problems = _problems()
    kinds = {p.kind for p in problems}
    assert kinds >= {"numbering_gap", "numbering_repeat", "empty_name", "duplicate_list"}
    assert kinds >= {"duplicate_key", "unknown_department"}
    for p in problems:
        zh = messages.problem_zh(p.kind, p.message)
        assert zh != p.message and not ENGLISH_WORD.search(zh), (p.message, zh)


def test_untranslated_problem_kinds():
    """The problem kinds of the schema without a Chinese wording are exactly those the catalogue
    lists as untranslated: a new kind (another module's) is added there, or translated."""
    kinds = spec()["problems"]["columns"]
    values = next(c["values"] for c in kinds if c["name"] == "kind")
    untranslated = messages.untranslated_problem_kinds(values)
    assert sorted(untranslated) == sorted(messages.listed_untranslated())


def test_a_wording_the_catalogue_lacks_stays_english():
    assert messages.problem_zh("lost_text", "3 characters of page 2 are in no field") == (
        "3 characters of page 2 are in no field"
    )
    assert messages.reason_zh("a reason nobody wrote down yet") == "a reason nobody wrote down yet"


@pytest.mark.parametrize(
    ("env", "language"),
    [
        ({"LANG": "zh_CN.UTF-8"}, "zh"),
        ({"LANG": "en_US.UTF-8"}, "en"),
        ({"LC_ALL": "zh_TW.UTF-8", "LANG": "en_US.UTF-8"}, "zh"),
        ({"DUTY_LANG": "en", "LANG": "zh_CN.UTF-8"}, "en"),
        ({"DUTY_LANG": "zh"}, "zh"),
        ({}, "en"),
    ],
)
def test_the_terminal_follows_duty_lang_then_the_locale(env, language):
    assert messages.terminal_language(env) == language


def test_a_problem_line_in_chinese():
    p = next(p for p in _problems() if p.kind == "numbering_gap")
    line = problem_line(p.row(), "zh")
    assert line.startswith("a.pdf，第 1 页，基本履职事项清单，序号 3：") and "缺 2" in line


def test_rejected_files_in_chinese_in_workbook_report_and_terminal(tmp_path, monkeypatch, capsys):
    """Real rejections through the real stages: the workbook's 拒绝原因 and, with a Chinese
    locale, the build's lines are in Chinese; the English stays beside them."""
    from openpyxl import load_workbook

    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "empty.pdf").write_bytes(b"")
    (raw / "notes.pdf").write_text("not a pdf at all", encoding="utf-8")
    (raw / "README.txt").write_text("readme", encoding="utf-8")
    processed = build(raw, tmp_path / "processed")
    wb = load_workbook(processed / WORKBOOK)
    ws = wb[spec()["source_files"]["zh"]]
    header = [c.value for c in ws[2]]
    assert header.index("reason_zh") == header.index("reason") - 1
    assert [c.value for c in ws[1]][header.index("reason_zh")] == "拒绝原因"
    rows = {r[0]: r for r in ws.iter_rows(min_row=3, values_only=True)}
    assert rows["empty.pdf"][header.index("reason_zh")] == "空文件（0 字节）"
    assert rows["notes.pdf"][header.index("reason_zh")].startswith("不是 PDF 文件")
    assert rows["README.txt"][header.index("reason_zh")].startswith("不是清单文件")
    monkeypatch.setenv("DUTY_LANG", "zh")
    summarize(processed)
    err = capsys.readouterr().err
    assert "rejected empty.pdf: 空文件（0 字节）" in err
    monkeypatch.setenv("DUTY_LANG", "en")
    summarize(Path(processed))
    assert "rejected empty.pdf: empty file (0 bytes)" in capsys.readouterr().err


def test_the_workbook_shows_each_problem_in_chinese_before_its_english(tuhulu_tables, tmp_path):
    from openpyxl import load_workbook
    import pyarrow as pa
    import pyarrow.parquet as pq

    from pipeline.normalize.schema import arrow_schema
    from pipeline.publish.workbook import write_workbook

    for table in tuhulu_tables.glob("*.parquet"):
        (tmp_path / table.name).write_bytes(table.read_bytes())
    rows = [p.row() for p in _problems()]
    pq.write_table(pa.Table.from_pylist(rows, schema=arrow_schema("problems")), tmp_path / "problems.parquet")
    ws = load_workbook(write_workbook(tmp_path))[spec()["problems"]["zh"]]
    header = [c.value for c in ws[2]]
    assert header.index("message_zh") + 1 == header.index("message")
    assert [c.value for c in ws[1]][header.index("message")] == "说明（英文）"
    shown = {
        r[header.index("message")]: r[header.index("message_zh")]
        for r in ws.iter_rows(min_row=3, values_only=True)
    }
    assert len(shown) == len(rows)
    for p in _problems():
        assert shown[p.message] == messages.problem_zh(p.kind, p.message) != p.message
