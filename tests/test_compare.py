"""Comparing townships: duty matching (duty_id, duties), department types, revisions (changes),
item pages and page links, document dates, and the reclaimed-item similarity of notebook 03."""

from __future__ import annotations

import json
import os
from pathlib import Path
import random

from conftest import CORPUS, quiet
from duty_pairs import labelled_pairs
import pandas as pd
import pytest
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from pipeline import clean, extract, normalize
from pipeline.analysis.links import item_link, page_link
from pipeline.analysis.similarity import resembling_pairs
from pipeline.clean.dates import dates_in
from pipeline.common.publication import staged
from pipeline.normalize.departments import resolve
from pipeline.normalize.duties import DutyMatcher, decide, normalise
from pipeline.normalize.revisions import (
    Version,
    by_evidence,
    changes,
    date_in_name,
    defects,
    most_faithful,
    pair_items,
    without_repeats,
)
from pipeline.normalize.stage import township_id

# --- normalising wordings ------------------------------------------------------------------------


def test_own_place_names_are_removed_in_every_printed_form():
    county = "巴里坤哈萨克自治县"
    assert normalise("配合巴里坤县民政局做好低保工作", "哈密市", county, "奎苏镇") == normalise(
        "配合巴里坤哈萨克自治县民政局做好低保工作", "哈密市", county, "奎苏镇"
    )
    assert "奎苏镇" not in normalise("做好奎苏镇文物保护宣传", None, county, "奎苏镇")


def test_self_references_and_department_short_forms_become_one_wording():
    assert normalise("负责本乡项目申报") == normalise("负责本镇项目申报")
    assert normalise("协助林草局开展巡护") == normalise("协助林业和草原局开展巡护")
    assert normalise("编制乡（镇）规划") == normalise("编制乡镇规划")


def test_filler_words_and_punctuation_do_not_count():
    assert normalise("做好档案管理相关工作。") == normalise("做好档案管理")


# --- matching decisions on labelled pairs --------------------------------------------------------


def pair_decisions() -> list[tuple]:
    """(pair, decision) for every labelled pair, decided as the build decides (fixed weights, guard)."""

    def norm(side):
        return normalise(side.name, None, side.county, side.township)

    return [(p, decide(norm(p.a), norm(p.b)).same) for p in labelled_pairs()]


def test_precision_and_recall_on_rewordings_and_near_misses():
    decided = pair_decisions()
    tp = sum(1 for p, d in decided if p.same and d)
    fp = sum(1 for p, d in decided if not p.same and d)
    fn = sum(1 for p, d in decided if p.same and not d)
    assert sum(1 for p, _ in decided if p.same) >= 500 and sum(1 for p, _ in decided if not p.same) >= 200
    kinds = {p.how for p, _ in decided}
    assert {"clause added", "clause dropped", "synonym", "department", "本乡/本镇", "own name"} <= kinds
    assert {"nearest other item", "frame swap", "hand-made near_miss"} <= kinds
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    wrong = [(p.how, p.a.name, p.b.name) for p, d in decided if p.same != d]
    assert precision >= 0.98 and recall >= 0.98, wrong[:10]


# --- clustering ----------------------------------------------------------------------------------


def scale_items() -> list[tuple[str, dict]]:
    """The scale corpus's items from its expected results (the items a careful reader gets)."""
    out = []
    for path in sorted((CORPUS / "scale").glob("*.expected.json")):
        d = json.loads(path.read_text(encoding="utf-8"))
        tid = township_id(d["city"], d["county"], d["township"])
        ident = {"city": d["city"], "county": d["county"], "township": d["township"], "township_id": tid}
        for kind, items in d["lists"].items():
            out += [(kind, ident | {"name": i["name"], "category": i["category"]}) for i in items]
    return out


def match(items: list[tuple[str, dict]]) -> DutyMatcher:
    m = DutyMatcher()
    for kind, item in items:
        m.add(kind, item)
    m.match()
    return m


def test_scale_corpus_template_items_get_one_duty_each_across_all_townships():
    items = scale_items()
    m = match(items)
    template_of = {}  # the template item: its wording with 本镇 written 本乡 (the corpus's only variation)
    by_duty: dict[str, set] = {}
    by_template: dict[tuple, set] = {}
    for kind, item in items:
        key = (kind, item["name"].replace("本镇", "本乡"))
        duty = m.duty_of(kind, item)
        template_of[duty] = key
        by_duty.setdefault(duty, set()).add(key)
        by_template.setdefault(key, set()).add(duty)
    assert all(len(v) == 1 for v in by_template.values())
    assert all(len(v) == 1 for v in by_duty.values())
    rows = {r["duty_id"]: r for r in m.rows()}
    townships = {}
    for kind, item in items:
        townships.setdefault(m.duty_of(kind, item), set()).add(item["township_id"])
    assert {d: r["n_townships"] for d, r in rows.items()} == {d: len(t) for d, t in townships.items()}
    assert max(r["n_counties"] for r in rows.values()) == 3
    assert len({item["township_id"] for _, item in items}) == 24


def test_matching_is_deterministic_whatever_the_order_of_items():
    items = scale_items()[:600]
    shuffled = list(items)
    random.Random(1).shuffle(shuffled)
    a, b = match(items), match(shuffled)
    assert [a.duty_of(k, i) for k, i in items] == [b.duty_of(k, i) for k, i in items]
    assert a.rows() == b.rows()


def test_rewordings_join_the_duty_and_near_wordings_of_one_list_stay_apart():
    ident = {"city": "哈密市", "category": "民生服务"}
    items = [
        (
            "basic",
            ident
            | {
                "county": "伊吾县",
                "township": "吐葫芦乡",
                "township_id": "A",
                "name": "负责本乡项目申报、实施、管护工作",
            },
        ),
        (
            "basic",
            ident
            | {
                "county": "伊吾县",
                "township": "盐池镇",
                "township_id": "B",
                "name": "负责本镇项目申报、实施、管护工作",
            },
        ),
        (
            "basic",
            ident
            | {
                "county": "伊州区",
                "township": "二堡镇",
                "township_id": "C",
                "name": "负责二堡镇项目申报、实施、管护工作及项目绩效评价",
            },
        ),
        # one township lists two near wordings: two duties, not one
        (
            "basic",
            ident
            | {
                "county": "伊州区",
                "township": "二堡镇",
                "township_id": "C",
                "name": "负责项目申报、实施、管护工作",
            },
        ),
        (
            "reclaimed",
            ident
            | {
                "county": "伊吾县",
                "township": "吐葫芦乡",
                "township_id": "A",
                "name": "负责本乡项目申报、实施、管护工作",
            },
        ),
    ]
    m = match(items)
    ids = [m.duty_of(k, i) for k, i in items]
    # 本乡/本镇 and no self-reference at all state one duty; township C's fuller wording would join
    # it too, but C already holds the duty through its shorter wording: two duties in C's list
    assert ids[0] == ids[1] == ids[3]
    assert ids[2] != ids[0]
    assert ids[4] != ids[0]  # never across lists
    top = next(r for r in m.rows() if r["duty_id"] == ids[0])
    assert top["n_townships"] == 3 and top["n_counties"] == 2 and top["n_wordings"] == 3


# --- department types ----------------------------------------------------------------------------


def test_department_type_is_the_same_across_counties_and_departments_stay_apart():
    a = resolve("伊吾县民政局", "伊吾县", "哈密市")
    b = resolve("巴里坤县民政局", "巴里坤哈萨克自治县", "哈密市")
    assert a.department_id != b.department_id
    assert a.type == b.type == "民政局"
    assert resolve("县委组织部", "伊吾县", "哈密市").type == "委组织部"
    assert resolve("伊吾县林草局", "伊吾县", "哈密市").type == "林业和草原局"
    assert resolve("国家税务总局伊吾县税务局", "伊吾县", "哈密市").type == "税务局"
    assert resolve("伊吾县生态环境局分局", "伊吾县", "哈密市").type == "生态环境局"  # [types] rule
    assert resolve("哈密市生态环境局伊吾县分局", "伊吾县", "哈密市").type == "生态环境局"


# --- revisions -----------------------------------------------------------------------------------


def row(seq: int, name: str, category: str = "党的建设") -> dict:
    return {
        "seq": seq,
        "name": name,
        "category": category,
        "city": "哈密市",
        "county": "伊吾县",
        "township": "盐池镇",
    }


def test_changes_say_what_was_added_removed_and_changed_field_by_field():
    old = [
        row(1, "负责机关事务管理工作"),
        row(2, "做好人才引进、服务、管理和使用工作"),
        row(3, "加强农村生活污水处理"),
    ]
    new = [
        row(1, "负责机关事务管理工作", "综合管理"),
        row(2, "做好人才引进、服务、管理和使用工作，建立人才台账"),
        row(3, "组织开展全民健身活动"),
    ]
    got = [(c["change"], c["field"], c["old_seq"], c["new_seq"]) for c in changes("basic", old, new)]
    assert got == [
        ("changed", "category", 1, 1),
        ("changed", "name", 2, 2),
        ("added", None, None, 3),
        ("removed", None, 3, None),
    ]


def test_items_are_paired_by_wording_not_by_number():
    old = [row(1, "负责机关事务管理工作"), row(2, "加强农村生活污水处理")]
    new = [row(1, "组织开展全民健身活动"), row(2, "负责机关事务管理工作"), row(3, "加强农村生活污水处理")]
    pairs = [(a and a["seq"], b and b["seq"]) for a, b in pair_items(old, new)]
    assert pairs == [(None, 1), (1, 2), (2, 3)]
    assert [c["change"] for c in changes("basic", old, new)] == ["added"]


def test_the_current_version_is_the_one_the_documents_date_latest_never_the_files_times():
    a = Version("a.pdf", "2024-03-01", False, 0, 6)
    b = Version("b.pdf", "2023-05-01", False, 0, 7)
    assert by_evidence([a, b]) == (a, "printed date")
    c = Version("c.pdf", None, False, 0, 7)
    assert by_evidence([a, c]) is None  # one prints no date: the documents do not tell
    named = [Version("list_2023-05.pdf", None, False, 0, 7), Version("list_20240301.pdf", None, False, 0, 6)]
    assert by_evidence(named) == (named[1], "date in the file name")
    assert by_evidence([Version("v1.pdf", None, False, 0, 5), Version("v2.pdf", None, False, 0, 5)]) is None
    assert date_in_name("县/吐葫芦乡_2024年3月.pdf") == "2024-03-01"
    assert date_in_name("scan_0001.pdf") is None


def test_without_evidence_the_most_complete_and_faithful_reading_is_kept():
    """Text layer over OCR, a clean list over a broken one, more items over fewer, then the
    first name: never the newer file."""
    text, scan = Version("b.pdf", None, False, 0, 107), Version("a.pdf", None, True, 0, 120)
    assert most_faithful([scan, text]) is text
    sound, damaged = Version("z.pdf", None, False, 0, 100), Version("a.pdf", None, False, 3, 110)
    assert most_faithful([damaged, sound]) is sound
    full, partial = Version("z.pdf", None, False, 0, 263), Version("a.pdf", None, False, 0, 247)
    assert most_faithful([partial, full]) is full
    assert (
        most_faithful([Version("b.pdf", None, False, 0, 5), Version("a.pdf", None, False, 0, 5)]).source_file
        == "a.pdf"
    )
    rows = [{"seq": 1, "name": "甲"}, {"seq": 2, "name": "乙"}, {"seq": 4, "name": "丙"}]
    assert defects(rows) == 1  # 3 missing
    assert defects([*rows, {"seq": 4, "name": None}]) == 3  # and 4 twice, and a name empty
    assert defects([{"seq": 1, "name": "甲"}, {"seq": 2, "name": "乙"}]) == 0


def test_a_list_printed_again_in_one_file_is_read_once_only_when_identical():
    once = [row(1, "甲事项"), row(2, "乙事项"), row(3, "丙事项")]
    kept, printings = without_repeats("basic", once + [dict(r) for r in once] + [dict(r) for r in once])
    assert printings == 3 and kept == once
    other = [row(1, "甲事项"), row(2, "乙事项改")]
    assert without_repeats("basic", once + other) == (once + other, 1)  # not the same: left as read


def test_dates_in_text():
    assert dates_in("吐葫芦乡履职事项清单（2024年3月修订）") == ["2024-03-01"]
    assert dates_in("2023年12月5日印发") == ["2023-12-05"]
    assert dates_in("2025年版") == ["2025-01-01"]
    assert dates_in("依据2019.10.8通知；第1234号") == ["2019-10-08"]
    assert dates_in("序号12事项") == []


# --- revisions end to end: two versions of one township's list as real PDFs -----------------------

FONT = "SimHei"
VERSION_1 = [
    ("党的建设", "负责机关事务管理工作"),
    ("党的建设", "做好人才引进、服务、管理和使用工作"),
    ("民生服务", "加强农村生活污水处理"),
    ("民生服务", "负责爱国卫生运动工作，倡导文明健康生活方式"),
    ("平安法治", "落实法治政府责任，推进基层法治建设"),
    ("平安法治", "组织义务植树活动，保障林业生态用水"),
]
# Version 2: item 3 removed, item 4 reworded, one item added at the end and one in the middle.
VERSION_2 = [
    ("党的建设", "负责机关事务管理工作"),
    ("党的建设", "做好人才引进、服务、管理和使用工作"),
    ("党的建设", "负责村“两委”干部及其后备干部“选育管用”工作"),
    ("民生服务", "负责爱国卫生运动工作，倡导文明健康绿色环保生活方式"),
    ("平安法治", "落实法治政府责任，推进基层法治建设"),
    ("平安法治", "组织义务植树活动，保障林业生态用水"),
    ("平安法治", "做好农村“四老”人员的申报、服务、管理工作"),
]


def list_pdf(path: Path, title: str, items: list[tuple[str, str]], note: str | None) -> None:
    """A one-page basic list as a Word export would draw it: title, ruled table, a dated note."""
    if FONT not in pdfmetrics.getRegisteredFontNames():
        import mplfonts

        pdfmetrics.registerFont(
            TTFont(FONT, os.path.join(os.path.dirname(mplfonts.__file__), "fonts", "SimHei.ttf"))
        )
    c = canvas.Canvas(str(path), pagesize=A4, invariant=1)
    width, height = A4
    c.setFont(FONT, 16)
    c.drawCentredString(width / 2, height - 60, title)
    xs = [50, 100, 200, width - 50]
    top, row_h = height - 90, 28
    rows = [("序号", "事项类别", "事项名称")] + [
        (str(i), cat, name) for i, (cat, name) in enumerate(items, 1)
    ]
    for r, cells in enumerate(rows):
        y = top - r * row_h
        c.setFont(FONT, 10)
        for x, text in zip(xs, cells, strict=False):
            c.drawString(x + 4, y - 18, text)
    bottom = top - len(rows) * row_h
    for r in range(len(rows) + 1):
        c.line(xs[0], top - r * row_h, xs[-1], top - r * row_h)
    for x in xs:
        c.line(x, top, x, bottom)
    if note:
        c.setFont(FONT, 10)
        c.drawString(width - 200, bottom - 30, note)
    c.showPage()
    c.save()


@pytest.fixture(scope="module")
def revised(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("revision")
    raw = base / "raw"
    raw.mkdir()
    title = "哈密市伊吾县盐池镇基本履职事项清单"
    # The later file holds the older version: the document dates, not the files, decide.
    list_pdf(raw / "b_yanchi.pdf", title, VERSION_1, "2023年5月10日")
    list_pdf(raw / "a_yanchi_revised.pdf", title + "（2024年修订）", VERSION_2, "2024年3月1日")
    processed = base / "processed"
    extract.run(raw, processed, jobs=1, log=quiet)
    clean.run(processed, log=quiet)
    lines = []
    with staged(processed) as out:
        normalize.run(processed, out, log=lines.append, raw=raw)
    (processed / "log.txt").write_text("\n".join(lines), encoding="utf-8")
    return processed


def test_two_versions_give_a_changes_table_that_says_exactly_what_changed(revised):
    items = pd.read_parquet(revised / "basic_items.parquet")
    assert items["name"].tolist() == [n for _, n in VERSION_2]
    assert set(items["source_file"]) == {"a_yanchi_revised.pdf"}
    ch = pd.read_parquet(revised / "changes.parquet")
    got = [
        (
            r.change,
            r.field if isinstance(r.field, str) else None,
            None if pd.isna(r.old_seq) else int(r.old_seq),
            None if pd.isna(r.new_seq) else int(r.new_seq),
        )
        for r in ch.itertuples()
    ]
    assert got == [
        ("added", None, None, 3),
        ("removed", None, 3, None),
        ("changed", "name", 4, 4),
        ("added", None, None, 7),
    ]
    assert set(ch["old_file"]) == {"b_yanchi.pdf"} and set(ch["new_file"]) == {"a_yanchi_revised.pdf"}
    assert ch["new_date"].iloc[0] == "2024-03-01" and ch["old_date"].iloc[0] == "2023-05-10"
    reworded = ch[ch["change"] == "changed"].iloc[0]
    assert reworded["old_value"] == VERSION_1[3][1] and reworded["new_value"] == VERSION_2[3][1]
    line = (revised / "log.txt").read_text(encoding="utf-8").splitlines()[-1]
    assert line.startswith("revisions: 1 township list(s)") and "2 items added, 1 removed, 1 changed" in line
    sources = pd.read_parquet(revised / "source_files.parquet").set_index("source_file")
    assert any("superseded" in n for n in sources.loc["b_yanchi.pdf", "notes"])


def test_items_carry_their_pages_and_duty(revised):
    items = pd.read_parquet(revised / "basic_items.parquet")
    assert (items["first_page"] == 1).all() and (items["last_page"] == 1).all()
    duties = pd.read_parquet(revised / "duties.parquet")
    assert set(items["duty_id"]) == set(duties["duty_id"]) and len(duties) == len(VERSION_2)


# --- links and the similarity of notebook 03 ----------------------------------------------------------


def test_page_links_open_the_pdf_at_the_page(tmp_path):
    assert page_link("县/吐葫芦乡.pdf", 7) == "%E5%8E%BF/%E5%90%90%E8%91%AB%E8%8A%A6%E4%B9%A1.pdf#page=7"
    assert page_link("a.pdf", 3, raw=tmp_path) == (tmp_path / "a.pdf").resolve().as_uri() + "#page=3"
    assert page_link("list.docx", 3) == "list.docx"
    assert item_link({"source_file": "a.pdf", "first_page": 2}) == "a.pdf#page=2"


def test_resembling_pairs_pair_each_reclaimed_item_with_its_best_basic_item_of_its_township():
    basic = [("T1", "负责收养登记的初审工作"), ("T1", "组织义务植树活动"), ("T2", "负责收养登记的初审工作")]
    basic += [("T1", f"其他事项{i}号") for i in range(80)]
    reclaimed = [("T1", "收养登记"), ("T1", "对从事无照经营的处罚"), ("T3", "收养登记")]
    rows, _ = resembling_pairs(reclaimed, basic)
    assert [(r["reclaimed"], r["basic"], r["resembles"]) for r in rows[:1]] == [
        ("收养登记", "负责收养登记的初审工作", True)
    ]
    assert rows[0]["score"] == 1.0 and rows[0]["n_shared"] == 3
    assert not rows[1]["resembles"]
    assert len(rows) == 2  # T3 has no basic list: nothing to pair with


@pytest.mark.slow
def test_scale_corpus_built_from_pdfs_links_every_template_item_across_all_townships(scale_tables):
    """The 24 scale PDFs through the real stages: items with the same template wording (本镇 read
    as 本乡) share one duty_id, different template items never do, and duties counts agree."""
    items = pd.concat(
        [
            pd.read_parquet(scale_tables / f"{k}_items.parquet").assign(list=k)
            for k in ("basic", "coordination", "reclaimed")
        ]
    )
    items["template"] = items["list"] + "|" + items["name"].str.replace("本镇", "本乡")
    assert (items.groupby("template")["duty_id"].nunique() == 1).all()
    assert (items.groupby("duty_id")["template"].nunique() == 1).all()
    assert items["township_id"].nunique() == 24
    duties = pd.read_parquet(scale_tables / "duties.parquet").set_index("duty_id")
    assert duties["n_townships"].to_dict() == items.groupby("duty_id")["township_id"].nunique().to_dict()
    assert duties["n_counties"].max() == 3
    assert items["first_page"].le(items["last_page"]).all()
    departments = pd.read_parquet(scale_tables / "departments.parquet")
    civil = departments[departments["department_type"] == "民政局"]
    assert civil["belongs_to"].nunique() == len(civil) >= 3


def test_a_partial_copy_is_a_version_however_short():
    """A scan of the first pages holds fewer than half of the list's items, all of them the
    list's: it is a version of the list (the most complete reading is kept), not another list."""
    from pipeline.normalize.revisions import are_versions

    full = [row(i, f"第{i}项职责工作内容") for i in range(1, 21)]
    assert are_versions(full[:5], full) and are_versions(full, full[:5])
    other = [row(i, f"完全不同的事项名称{chr(0x4E00 + i * 7)}") for i in range(1, 6)]
    assert not are_versions(other, full)
