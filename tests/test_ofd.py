"""OFD documents (GB/T 33190): generated packages read through the real stages, and the reader's
rules one by one (glyph advances, placement, paths, damaged packages)."""

from __future__ import annotations

from pathlib import Path
import zipfile

import pandas as pd
import pytest

from pipeline.common.settings import ExtractSettings
from pipeline.common.sources import RejectedFile
from pipeline.extract.formats import sniff
from pipeline.extract.ofd import IDENTITY, MM, deltas, path_points, read_ofd
from tests.conftest import build
from tests.expected import mismatches
from tests.ofd_fixtures import write_ofd
from tests.office_fixtures import lists_for, write_expected


def _sources(processed: Path) -> dict[str, dict]:
    df = pd.read_parquet(processed / "source_files.parquet")
    return {r["source_file"]: r for r in df.to_dict("records")}


@pytest.mark.parametrize(
    "options",
    [{}, {"ctm": True}, {"one_path": True}, {"boxes": True}, {"namespace": "http://www.ofdspec.org"}],
    ids=["boundary", "ctm", "one_path", "filled_boxes", "other_namespace"],
)
def test_ofd_lists_are_exact(options, tmp_path):
    """Three lists over several pages, header rows repeated, rows split at page breaks: every
    item exact, whichever way the objects are placed."""
    ident, lists = lists_for("liangjiadun")
    raw = tmp_path / "raw"
    raw.mkdir()
    splits = write_ofd(raw / "清单.ofd", ident, lists, **options)
    assert splits >= 1  # the layout really splits a row across a page break
    processed = build(raw, tmp_path / "processed")
    n, problems = mismatches(processed, [write_expected(tmp_path / "expected.json", ident, lists)])
    assert n == sum(len(v) for v in lists.values())
    assert problems == []
    (row,) = _sources(processed).values()
    assert (row["status"], row["format"], row["reader"]) == ("ok", "ofd", "ofd-xml")
    assert row["pages"] >= 2


def test_ofd_under_another_name_is_sniffed_by_content(tmp_path):
    ident, lists = lists_for("liangjiadun", n=2)
    path = tmp_path / "attachment.bin"
    write_ofd(path, ident, lists)
    assert sniff(path).name == "ofd"


def test_a_file_named_ofd_that_is_none_is_rejected(tmp_path):
    zipped = tmp_path / "a.ofd"
    with zipfile.ZipFile(zipped, "w") as z:
        z.writestr("readme.txt", "hello")
    with pytest.raises(RejectedFile, match="not an OFD document .*without OFD.xml"):
        sniff(zipped)
    text = tmp_path / "b.ofd"
    text.write_text("hello", encoding="utf-8")
    with pytest.raises(RejectedFile, match="not an OFD document"):
        sniff(text)


def test_glyph_advances_expand_the_g_form():
    assert deltas("3.2 g 3 1.6") == [3.2, 1.6, 1.6, 1.6]
    assert deltas("g 2 5 1 g 1 2") == [5.0, 5.0, 1.0, 2.0]
    assert deltas(None) == []
    with pytest.raises(RejectedFile, match="glyph advance"):
        deltas("3 x")


def test_paths_become_subpaths_in_points_with_closing_segments():
    m = (1.0, 0.0, 0.0, 1.0, 10.0, 20.0)  # a box at (10, 20) mm
    (square, line) = path_points("M 0 0 L 5 0 L 5 5 L 0 5 C M 1 1 L 2 1", m)
    assert square[0] == square[-1] == (10.0, 20.0)
    assert len(square) == 5
    assert line == [(11.0, 21.0), (12.0, 21.0)]
    with pytest.raises(RejectedFile, match="unknown path operator"):
        path_points("M 0 0 Z 1 1", IDENTITY)
    with pytest.raises(RejectedFile, match="cut short"):
        path_points("M 0 0 L 1", IDENTITY)


def _package(tmp_path: Path, content: str, extra: dict[str, str] | None = None) -> zipfile.ZipFile:
    ns = 'xmlns:ofd="http://www.ofdspec.org/2016"'
    path = tmp_path / "x.ofd"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(
            "OFD.xml",
            f"<ofd:OFD {ns}><ofd:DocBody><ofd:DocRoot>/Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>",
        )
        z.writestr(
            "Doc_0/Document.xml",
            f"<ofd:Document {ns}><ofd:CommonData><ofd:PageArea><ofd:PhysicalBox>0 0 100 50</ofd:PhysicalBox>"
            "</ofd:PageArea></ofd:CommonData><ofd:Pages><ofd:Page ID='1' BaseLoc='Pages/P0.xml'/></ofd:Pages>"
            "</ofd:Document>",
        )
        extra = extra or {}
        if "Doc_0/Pages/P0.xml" not in extra:
            z.writestr(
                "Doc_0/Pages/P0.xml",
                f"<ofd:Page {ns}><ofd:Content><ofd:Layer>{content}</ofd:Layer></ofd:Content></ofd:Page>",
            )
        for name, data in extra.items():
            z.writestr(name, data)
    return zipfile.ZipFile(path)


def test_text_positions_follow_boundary_deltas_and_runs(tmp_path):
    """A run without X goes on where the previous ended; a page block nests; the character box
    stands on the baseline, one size high; the page size comes from the document."""
    content = (
        "<ofd:PageBlock><ofd:TextObject Boundary='10 10 50 10' Size='4'>"
        "<ofd:TextCode X='0' Y='5' DeltaX='g 1 6'>事项</ofd:TextCode>"
        "<ofd:TextCode Y='5'>名</ofd:TextCode></ofd:TextObject></ofd:PageBlock>"
    )
    with _package(tmp_path, content) as z:
        (record,) = read_ofd(z, ExtractSettings())
    assert (round(record["width"], 3), round(record["height"], 3)) == (round(100 * MM, 3), round(50 * MM, 3))
    (line,) = record["text"]
    assert line["text"] == "事项名"
    assert line["x0"] == pytest.approx(10 * MM, abs=1e-3)
    assert line["x1"] == pytest.approx((10 + 6 + 4 + 4) * MM, abs=1e-3)  # 事 +6, 项 +4 (its size), 名
    assert line["top"] == pytest.approx(11 * MM, abs=1e-3)
    assert line["bottom"] == pytest.approx(15 * MM, abs=1e-3)
    assert line["size"] == pytest.approx(4 * MM, abs=1e-3)


def test_a_scaling_ctm_scales_glyphs_and_advances(tmp_path):
    """Size 2 drawn through CTM 2 0 0 2: printed at 4 mm, advances doubled."""
    content = (
        "<ofd:TextObject Boundary='10 10 50 10' Size='2' CTM='2 0 0 2 0 0'>"
        "<ofd:TextCode X='0' Y='2' DeltaX='3'>序号</ofd:TextCode></ofd:TextObject>"
    )
    with _package(tmp_path, content) as z:
        (record,) = read_ofd(z, ExtractSettings())
    (line,) = record["text"]
    assert line["text"] == "序号"
    assert line["size"] == pytest.approx(4 * MM, abs=1e-3)
    assert line["x1"] - line["x0"] == pytest.approx((6 + 4) * MM, abs=1e-3)
    assert line["top"] == pytest.approx(10 * MM, abs=1e-3)


def test_damaged_packages_are_rejected_with_a_reason(tmp_path):
    with _package(tmp_path, "<ofd:TextObject Boundary='0 0 1 1' Size='x'/>") as z:
        with pytest.raises(RejectedFile, match="bad Size"):
            read_ofd(z, ExtractSettings())
    bomb = '<!DOCTYPE x [<!ENTITY a "aaaa">]><ofd:Page xmlns:ofd="u">&a;</ofd:Page>'
    with _package(tmp_path, "", {"Doc_0/Pages/P0.xml": bomb}) as z:
        with pytest.raises(RejectedFile, match="refused"):
            read_ofd(z, ExtractSettings())
    path = tmp_path / "missing.ofd"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("OFD.xml", "<OFD><DocBody><DocRoot>Doc_0/Document.xml</DocRoot></DocBody></OFD>")
    with zipfile.ZipFile(path) as z, pytest.raises(RejectedFile, match="Document.xml is missing"):
        read_ofd(z, ExtractSettings())


def test_a_broken_ofd_costs_only_itself(tmp_path):
    """One line for the broken file, the good one read; the exit code is the build's business."""
    ident, lists = lists_for("liangjiadun", n=3)
    raw = tmp_path / "raw"
    raw.mkdir()
    write_ofd(raw / "good.ofd", ident, lists)
    with zipfile.ZipFile(raw / "bad.ofd", "w") as z:
        z.writestr("OFD.xml", "<OFD><DocBody><DocRoot>nowhere.xml</DocRoot></DocBody></OFD>")
    processed = build(raw, tmp_path / "processed")
    rows = _sources(processed)
    assert rows["good.ofd"]["status"] == "ok"
    assert rows["bad.ofd"]["status"] == "rejected"
    assert "nowhere.xml is missing" in rows["bad.ofd"]["reason"]
