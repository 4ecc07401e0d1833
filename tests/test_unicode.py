"""Every Unicode character right: characters beyond U+FFFF (CJK Extensions B–G from U+20000,
mathematical letters, old scripts) are read whole by both PDF readers, and no lone UTF-16
surrogate reaches a table (pipeline/common/unicode.py)."""

from __future__ import annotations

from conftest import quiet
import minipdf
import pyarrow.parquet as pq
import pytest

from pipeline import clean, extract, normalize
from pipeline.common.publication import staged
from pipeline.common.settings import ExtractSettings
from pipeline.common.unicode import has_surrogates, whole

TOWN = "哈密市伊吾县甲乡"
BASIC = ["序号", "事项类别", "事项名称"]
# Characters beyond the BMP, each printed with the glyph of a common character (SimHei lacks them).
ASTRAL = {"𠀋": "乡", "𪚥": "村", "𬺰": "水", "𝑝": "p", "𐲀": "A"}
NAMES = ["做好𠀋村道路养护", "管理𪚥字号档案𬺰", "统计𝑝值与𐲀文"]


def test_whole_combines_pairs_and_replaces_lone_halves():
    assert whole("a\ud840\udc0bb") == "a𠀋b"
    assert whole("\ud835\udc5d\ud803\udc80") == "𝑝𐲀"
    assert whole("x\ud840y\udc0b") == "x\ufffdy\ufffd"
    assert whole("\udc0b\ud840") == "\ufffd\ufffd"
    assert whole("乡村") == "乡村"


@pytest.mark.parametrize("engine", ["pdfium", "pdfplumber"])
def test_characters_beyond_the_bmp_are_read_exactly_by_both_readers(engine, tmp_path):
    minipdf.lend_glyphs(ASTRAL)
    rows = [BASIC] + [[str(n), "𪚥务类", name] for n, name in enumerate(NAMES, start=1)]
    raw = tmp_path / "raw"
    raw.mkdir()
    minipdf.write(raw / "jia.pdf", [[("title", f"{TOWN}基本履职事项清单"), ("table", [40, 80, 300], rows)]])
    processed = tmp_path / "processed"
    extract.run(raw, processed, ExtractSettings(engine=engine), jobs=1, log=quiet)
    clean.run(processed, log=quiet)
    with staged(processed) as out:
        normalize.run(processed, out, log=quiet)
    items = pq.read_table(processed / "basic_items.parquet").to_pylist()
    assert [(r["seq"], r["category"], r["name"]) for r in items] == [
        (n, "𪚥务类", name) for n, name in enumerate(NAMES, start=1)
    ]


def test_pdfium_gives_a_character_beyond_the_bmp_as_one_character_with_one_box(tmp_path):
    import pdfplumber

    from pipeline.extract.pdfium import Document

    minipdf.lend_glyphs(ASTRAL)
    pdf = minipdf.write(tmp_path / "t.pdf", [[("title", "𠀋乡𪚥村𝑝𐲀")]])
    doc = Document(str(pdf))
    try:
        chars = doc.page_objects(0)["objects"]["char"]
    finally:
        doc.close()
    with pdfplumber.open(pdf) as reference:
        expected = reference.pages[0].chars
    assert [c["text"] for c in chars] == ["𠀋", "乡", "𪚥", "村", "𝑝", "𐲀"]
    assert [c["text"] for c in chars] == [c["text"] for c in expected]
    for mine, theirs in zip(chars, expected, strict=True):
        assert mine["x0"] == pytest.approx(theirs["x0"], abs=0.01)
        assert mine["x1"] == pytest.approx(theirs["x1"], abs=0.01)


@pytest.mark.parametrize("engine", ["pdfium", "pdfplumber"])
def test_a_lone_surrogate_in_a_tounicode_map_never_reaches_a_table(engine, tmp_path, monkeypatch):
    """A damaged ToUnicode map gives a character as half a surrogate pair (<D840>): it becomes
    U+FFFD, the file is read and the tables are written (no `surrogates not allowed`)."""
    monkeypatch.setitem(minipdf.RAW_TARGETS, 0xE000, "D840")
    minipdf.lend_glyphs({"\ue000": "乡"})
    rows = [BASIC, ["1", "综合类", "做好\ue000村道路养护"], ["2", "综合类", "管理档案"]]
    raw = tmp_path / "raw"
    raw.mkdir()
    minipdf.write(raw / "jia.pdf", [[("title", f"{TOWN}基本履职事项清单"), ("table", [40, 80, 300], rows)]])
    processed = tmp_path / "processed"
    extract.run(raw, processed, ExtractSettings(engine=engine), jobs=1, log=quiet)
    clean.run(processed, log=quiet)
    with staged(processed) as out:
        normalize.run(processed, out, log=quiet)
    names = pq.read_table(processed / "basic_items.parquet").column("name").to_pylist()
    assert len(names) == 2 and names[1] == "管理档案"
    assert not any(has_surrogates(n) for n in names)
    # PDFium gives the half, replaced here; pdfminer's ToUnicode decoding drops it before we see it.
    assert names[0] == {"pdfium": "做好\ufffd村道路养护", "pdfplumber": "做好村道路养护"}[engine]
