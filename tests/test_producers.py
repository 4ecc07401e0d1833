"""Other producers' habits: filled-rectangle borders, open page-bottom fragments, headers repeated
mid-page, hanging punctuation, rotated pages, look-alike text layers and /ActualText.

Rules are tested one by one on plain data; whole documents go through the real stages: the
generated fixtures in tests/fixtures/producers/ (tests/fixtures/generate_producers.py) and the
shared producer samples in tests/fixtures/corpus/producers/.
"""

from __future__ import annotations

import unicodedata

import pyarrow.parquet as pq
import pytest

from pipeline.clean.stitch import RowFacts, classify_row
from pipeline.common.lookalikes import LookalikeTableError, fold, fold_map, validate
from pipeline.common.settings import ExtractSettings
from pipeline.extract.geometry import char_slot, close_open_bottom, unrotate_objects
from tests.conftest import CORPUS, FIXTURES, build, copy_pdfs
from tests.expected import mismatches

PRODUCER_FIXTURES = FIXTURES / "producers"
PRODUCER_CASES = sorted(p.name for p in PRODUCER_FIXTURES.iterdir() if p.is_dir())
SAMPLES = CORPUS / "producers"


# --- look-alike folding -------------------------------------------------------------------------


def test_fold_replaces_radicals_by_the_standard_characters():
    assert fold("⼤红柳峡乡 对应上级部⻔（未完⻅下⻚）") == ("大红柳峡乡 对应上级部门（未完见下页）", 4)
    assert fold("普通文字") == ("普通文字", 0)


def test_fold_finds_every_entry_of_the_table_alone_and_amid_other_text():
    for cp, standard in fold_map().items():
        assert fold(chr(cp)) == (standard, 1)
        assert fold(f"甲{chr(cp)}乙{chr(cp)}") == (f"甲{standard}乙{standard}", 2)


def test_fold_is_not_nfkc_where_nfkc_is_wrong():
    # Supplement forms have no decomposition; ⼾ decomposes to the traditional 戶.
    assert unicodedata.normalize("NFKC", "⻔") == "⻔"
    assert unicodedata.normalize("NFKC", "⼾") == "戶"
    assert fold("⻔⼾")[0] == "门户"


def test_every_kangxi_radical_and_compatibility_ideograph_folds():
    table = fold_map()
    assert all(cp in table for cp in range(0x2F00, 0x2FD6))
    assert table[0xF900] == unicodedata.normalize("NFC", chr(0xF900))


def test_lookalike_table_is_validated():
    with pytest.raises(LookalikeTableError, match="not a radical"):
        validate({"a": "门"})
    with pytest.raises(LookalikeTableError, match="not one CJK ideograph"):
        validate({"⻔": "men"})
    with pytest.raises(LookalikeTableError, match="not one CJK ideograph"):
        validate({"⻔": "⼾"})  # folding must end at a standard character


# --- geometry -------------------------------------------------------------------------------------


def test_open_bottom_fragment_is_closed_by_the_vertical_rulings():
    verticals = [(40, 100, 300), (200, 100, 300), (400, 100, 300)]  # run on below the last horizontal
    assert close_open_bottom((40, 100, 400, 250), verticals, 2.0) == (40, 100, 400, 300)


def test_a_table_further_down_is_not_swallowed():
    verticals = [(40, 100, 250), (400, 100, 250), (40, 280, 500), (400, 280, 500)]
    assert close_open_bottom((40, 100, 400, 250), verticals, 2.0) == (40, 100, 400, 250)


def test_hanging_punctuation_stays_in_its_cell():
    xs, ys = [40.0, 100.0, 200.0], [10.0, 50.0]
    hanging = {"x0": 195.0, "x1": 206.0, "top": 20.0, "bottom": 31.0}  # centre past the right border
    assert char_slot(xs, ys, hanging) == (0, 1)
    inside = {"x0": 90.0, "x1": 98.0, "top": 20.0, "bottom": 31.0}
    assert char_slot(xs, ys, inside) == (0, 0)
    outside = {"x0": 210.0, "x1": 220.0, "top": 20.0, "bottom": 31.0}
    assert char_slot(xs, ys, outside) is None


@pytest.mark.parametrize("rotation", [90, 180, 270])
def test_unrotating_undoes_the_display_rotation(rotation):
    w, h = 800.0, 600.0  # the page's own frame
    char = {"x0": 100.0, "x1": 110.0, "top": 50.0, "bottom": 60.0, "doctop": 50.0, "upright": True}
    shown = {"char": [char]}
    # Rotate for display by unrotating three times the other way round (90 → 270 …).
    for _ in range(4 - rotation // 90):
        shown, w, h = unrotate_objects(shown, 90, w, h)
    back, w2, h2 = unrotate_objects(shown, rotation, w, h)
    got = back["char"][0]
    assert (w2, h2) == (800.0, 600.0)
    assert [round(got[k], 6) for k in ("x0", "x1", "top", "bottom")] == [100.0, 110.0, 50.0, 60.0]


# --- the row classifier ---------------------------------------------------------------------------


def facts(**kw) -> RowFacts:
    base = dict(
        after_break=False,
        across=False,
        text="",
        seq_text="3",
        is_header=False,
        has_text=True,
        after_header=False,
        has_items=True,
        last_seq="2",
        number_wrapped=False,
        category_column=True,
    )
    return RowFacts(**(base | kw))


@pytest.mark.parametrize(
    ("kw", "kind"),
    [
        ({}, "new"),
        ({"is_header": True}, "header"),
        ({"across": True, "text": "一、党的建设", "category_column": False}, "section"),
        ({"across": True, "text": "一、党的建设"}, "skipped"),
        ({"seq_text": "", "after_break": True}, "continued"),
        ({"seq_text": "7", "after_break": True, "number_wrapped": True}, "continued"),
        ({"seq_text": "9", "after_break": True, "last_seq": ""}, "continued"),
        ({"seq_text": "2"}, "repeated"),
        ({"seq_text": "9", "after_break": True}, "new"),
        ({"seq_text": "", "after_header": True}, "fragment"),
        ({"seq_text": ""}, "sub_row"),
        ({"seq_text": "", "has_items": False}, "skipped"),
    ],
)
def test_each_row_kind_has_its_rule_and_a_reason(kw, kind):
    got, reason = classify_row(facts(**kw))
    assert got == kind
    assert reason


# --- whole documents --------------------------------------------------------------------------------


@pytest.mark.parametrize("case", PRODUCER_CASES)
def test_producer_fixture_is_exact(case, tmp_path):
    folder = PRODUCER_FIXTURES / case
    processed = build(copy_pdfs(sorted(folder.glob("*.pdf")), tmp_path / "raw"), tmp_path / "processed")
    n, problems = mismatches(processed, sorted(folder.glob("*.expected.json")))
    assert n == 8
    assert problems == []


def _page_records(path):
    import pdfplumber

    from pipeline.extract.pdf import page_record

    with pdfplumber.open(path) as pdf:
        return [page_record(p, ExtractSettings()) for p in pdf.pages]


def _rounded(value):
    if isinstance(value, float):
        return round(value, 3)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_rounded(v) for v in value]
    return value


def test_a_rotated_page_reads_the_same():
    plain = _page_records(PRODUCER_FIXTURES / "reportlab_split" / "reportlab_split.pdf")
    turned = _page_records(PRODUCER_FIXTURES / "reportlab_split_rotated" / "reportlab_split_rotated.pdf")
    assert _rounded(turned) == _rounded(plain)


def test_actual_text_is_honoured():
    """Chromium-like glyphs: radicals in the text layer, the right character in /ActualText."""
    import pdfplumber

    path = PRODUCER_FIXTURES / "filled_borders" / "filled_borders.pdf"
    with pdfplumber.open(path) as pdf:
        raw = sum(1 for p in pdf.pages for c in p.chars if 0x2E80 <= ord(c["text"][0]) <= 0x2FDF)
    records = _page_records(path)
    lines = [ln for r in records for t in r["tables"] for c in t["cells"] for ln in c["lines"]]
    ours = sum(1 for ln in lines for ch in ln["text"] if 0x2E80 <= ord(ch) <= 0x2FDF)
    assert raw > 0
    assert ours == 0


def test_folded_characters_are_counted_per_file(tmp_path):
    folder = PRODUCER_FIXTURES / "lookalikes"
    processed = build(copy_pdfs(sorted(folder.glob("*.pdf")), tmp_path / "raw"), tmp_path / "processed")
    sources = pq.read_table(processed / "source_files.parquet").to_pylist()
    assert sources[0]["n_folded_chars"] >= 16


# --- the shared producer samples ---------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("sample", ["chromium_html", "chromium_wqy", "kangxi_radicals", "reportlab_plain"])
def test_producer_sample_is_exact(sample, tmp_path):
    folder = SAMPLES / sample
    processed = build(
        copy_pdfs(sorted(folder.glob("*.pdf")), tmp_path / "raw"), tmp_path / "processed", jobs=2
    )
    n, problems = mismatches(processed, sorted(folder.glob("*.expected.json")))
    assert n > 180
    assert problems == []
