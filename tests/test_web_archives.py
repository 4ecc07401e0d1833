"""Web pages and archives: pages written here in several encodings and table styles, zips made
by Python's zipfile with GBK names, read through the real stages and compared with the expected
result built from the same content (tests/web_fixtures.py)."""

from __future__ import annotations

from pathlib import Path
import shutil
import zipfile

import pandas as pd
import pytest

from pipeline.common.settings import ExtractSettings
from pipeline.common.sources import RejectedFile
from pipeline.extract import archives, web
from pipeline.extract.formats import sniff
from tests.conftest import build, make_all
from tests.expected import mismatches
from tests.office_fixtures import lists_for, title_of, write_docx, write_expected
from tests.web_fixtures import page_html, write_mht, write_page

ROOT = Path(__file__).resolve().parent.parent
LAYOUT_PDF = next((ROOT / "tests" / "fixtures" / "layouts" / "rect_borders").glob("*.pdf"))


def sources(processed: Path) -> dict[str, dict]:
    df = pd.read_parquet(processed / "source_files.parquet")
    return {r["source_file"]: r for r in df.to_dict("records")}


def exact(tmp_path: Path, expected_files: list[Path]) -> Path:
    processed = build(tmp_path / "raw", tmp_path / "processed")
    n, problems = mismatches(processed, expected_files)
    assert n > 0
    assert problems == []
    return processed


# --- decoding -----------------------------------------------------------------------------------------

TEXT = "<p>红旗乡基本履职事项清单：党的建设、乡村振兴、民生服务，負責說明</p>"


@pytest.mark.parametrize(
    "encoding, meta, expected",
    [
        ("utf-8", '<meta charset="utf-8">', "utf-8"),
        ("gb18030", '<meta charset="gb2312">', "gb18030"),  # gb2312 declared: read as its superset
        ("gbk", '<meta http-equiv="Content-Type" content="text/html; charset=GBK" />', "gb18030"),
        ("big5", '<meta charset="big5">', "big5hkscs"),
        ("utf-8", "", "utf-8"),  # no declaration: detected
        ("gb18030", "", "gb18030"),
        ("utf-8", '<meta charset="gb2312">', "utf-8"),  # a declaration the bytes contradict
        ("big5", "", "big5hkscs"),  # undeclared Big5 (traditional characters) is detected
    ],
)
def test_the_encoding_comes_from_meta_or_detection(encoding, meta, expected):
    text = TEXT if encoding != "big5" else TEXT.replace("红旗乡", "紅旗鄉").replace("乡村振兴", "鄉村振興")
    text = text.replace("党的建设", "黨的建設" if encoding == "big5" else "党的建设")
    if encoding == "big5":
        text = text.replace("基本履职事项清单", "基本履職事項清單").replace("民生服务", "民生服務")
    data = f"<html><head>{meta}</head><body>{text}</body></html>".encode(encoding)
    got, enc = web.decode(data)
    assert enc == expected
    assert text in got


@pytest.mark.parametrize("meta", ['<meta charset="utf-8">', ""])
def test_a_few_damaged_bytes_do_not_turn_a_utf8_page_into_gbk(meta):
    data = bytearray(f"<html><head>{meta}</head><body>{TEXT * 4}</body></html>".encode())
    for at in (len(data) // 3, len(data) // 2):  # two bytes of Chinese characters damaged
        data[at] ^= 0x40
    text, enc = web.decode(bytes(data))
    assert enc == "utf-8" and text.count("\ufffd") >= 2
    assert "红旗乡" in text and "党的建设" in text


def test_a_gbk_page_declared_utf8_is_still_read_as_gbk_not_as_damaged_utf8():
    data = f'<html><head><meta charset="utf-8"></head><body>{TEXT}</body></html>'.encode("gbk")
    assert web.decode(data) == (data.decode("gb18030"), "gb18030")


def test_big5_without_a_declaration_is_told_from_gbk():
    text = "<p>本鄉鎮履職事項清單：黨的建設、鄉村振興、民生服務、平安建設、社會治理和綜合政務</p>" * 3
    assert web.decode(text.encode("big5"))[1] == "big5hkscs"
    simplified = "<p>本乡镇履职事项清单：党的建设、乡村振兴、民生服务、平安建设、社会治理和综合政务</p>" * 3
    assert web.decode(simplified.encode("gbk"))[1] == "gb18030"


def test_an_xhtml_pages_xml_declaration_names_its_encoding():
    data = '<?xml version="1.0" encoding="GB2312"?>\n<html><body><p>红旗乡鍚</p></body></html>'.encode(
        "gb18030"
    )
    assert web.decode(data)[1] == "gb18030"


def test_a_bom_wins_over_the_declaration():
    data = "\ufeff<meta charset=gbk><p>红旗乡</p>".encode()
    text, enc = web.decode(data)
    assert enc == "utf-8" and "红旗乡" in text


# --- tables -----------------------------------------------------------------------------------------


def table_cells(html: str) -> list[tuple[int, int, int, int, list[str]]]:
    recs = web.read_web(html.encode("utf-8"))
    (table,) = [t for r in recs for t in r["tables"]]
    return [(c["r0"], c["r1"], c["c0"], c["c1"], [ln["text"] for ln in c["lines"]]) for c in table["cells"]]


def test_rowspan_and_colspan_make_one_cell_each_on_the_grid():
    html = (
        "<table><tr><td colspan=3>标题</td></tr>"
        "<tr><td>1</td><td rowspan=2>党的建设</td><td>甲</td></tr>"
        "<tr><td>2</td><td>乙</td></tr>"
        "<tr><td>3</td><td rowspan='9'>民生</td><td>丙</td></tr></table>"
    )
    assert table_cells(html) == [
        (0, 1, 0, 3, ["标题"]),
        (1, 2, 0, 1, ["1"]),
        (1, 3, 1, 2, ["党的建设"]),
        (1, 2, 2, 3, ["甲"]),
        (2, 3, 0, 1, ["2"]),
        (2, 3, 2, 3, ["乙"]),
        (3, 4, 0, 1, ["3"]),
        (3, 4, 1, 2, ["民生"]),  # a rowspan past the table's end stops at its last row
        (3, 4, 2, 3, ["丙"]),
    ]


def test_br_and_p_end_paragraphs_inside_a_cell_and_white_space_collapses():
    html = (
        "<table><tr><td>1</td><td>1.第一步；<br>2.第二\n  步；<BR/>3.第三步。</td></tr><tr><td>3</td><td>A\nB 甲 C</td></tr>"
        "<tr><td>2</td><td><p>甲</p><p>乙&nbsp;丙</p><p>&nbsp;</p></td></tr></table>"
    )
    cells = table_cells(html)
    assert cells[1][4] == [
        "1.第一步；",
        "2.第二步；",
        "3.第三步。",
    ]  # a source line break between CJK vanishes
    assert cells[3][4] == ["A B 甲 C"]
    assert cells[5][4] == ["甲", "乙 丙"]


def test_left_out_end_tags_and_thead_rows_come_first():
    html = (
        "<TABLE><TBODY><TR><TD>1<TD>甲<TR><TD>2<TD>乙</TBODY><THEAD><TR><TH>序号<TH>事项名称</THEAD></TABLE>"
    )
    cells = table_cells(html)
    assert [c[4] for c in cells] == [["序号"], ["事项名称"], ["1"], ["甲"], ["2"], ["乙"]]
    assert [c[0] for c in cells] == [0, 0, 1, 1, 2, 2]


def test_site_furniture_and_scripts_are_not_read(tmp_path):
    ident, lists = lists_for("hongqi", 3)
    recs = web.read_web(page_html(ident, lists).encode("utf-8"))
    texts = [ln["text"] for r in recs for ln in r["text"]]
    cells = [ln["text"] for r in recs for t in r["tables"] for c in t["cells"] for ln in c["lines"]]
    everything = "".join(texts + cells)
    for furniture in (
        "首页",
        "当前位置",
        "发布时间",
        "分享到",
        "网站标识码",
        "_hmt",
        ".nav",
        "某某县人民政府",
    ):
        assert furniture not in everything
    assert title_of(ident, "basic") in texts
    assert len(recs) == 3  # one pseudo page per list table


def test_a_page_without_a_title_paragraph_takes_its_heading():
    html = (
        "<html><head><title>红旗乡基本履职事项清单_通知_某县政府</title></head><body>"
        "<div class=nav><a href=/>首页</a></div><div id=content><table><tr><td>序号</td><td>事项名称</td></tr>"
        "<tr><td>1</td><td>甲</td></tr></table></div></body></html>"
    )
    (rec,) = web.read_web(html.encode("utf-8"))
    assert [ln["text"] for ln in rec["text"]] == ["红旗乡基本履职事项清单"]


def test_a_layout_table_is_read_through_to_the_list_tables():
    ident, lists = lists_for("hongqi", 3)
    recs = web.read_web(page_html(ident, lists, layout=True).encode("utf-8"))
    assert len(recs) == 3
    assert [c["lines"][0]["text"] for c in recs[0]["tables"][0]["cells"][:3]] == [
        "序号",
        "事项类别",
        "事项名称",
    ]
    assert "通知公告" not in str(recs)  # the navigation column of the layout table


# --- whole pages, end to end ---------------------------------------------------------------------------

PAGE_CASES = {
    "utf8_meta_charset": dict(encoding="utf-8", page=dict(charset="utf-8")),
    "gbk_meta_gb2312": dict(encoding="gbk", page=dict(charset="gb2312")),
    "gb18030_http_equiv": dict(encoding="gb18030", page=dict(charset="gb18030", meta="http-equiv")),
    "gbk_no_meta": dict(encoding="gbk", page=dict(charset=None)),
    "utf8_bom_no_meta": dict(encoding="utf-8", bom=True, page=dict(charset=None)),
    "steps_as_paragraphs_thead_h2": dict(encoding="utf-8", page=dict(steps="p", header="thead", title="h2")),
    "caption_titles_layout_tables": dict(encoding="utf-8", page=dict(title="caption", layout=True)),
    "sidebar_table_of_news_links": dict(encoding="utf-8", page=dict(sidebar=True)),
    "two_part_item_uppercase_tags": dict(
        encoding="gbk", page=dict(charset="gbk", two_part=2, uppercase=True)
    ),
}


@pytest.mark.parametrize("case", sorted(PAGE_CASES))
def test_web_page_is_exact(case, tmp_path):
    spec = PAGE_CASES[case]
    ident, lists = lists_for("hongqi", 6)
    raw = tmp_path / "raw"
    raw.mkdir()
    name = "hongqi.htm" if "thead" in case else "hongqi.html"
    write_page(raw / name, page_html(ident, lists, **spec["page"]), spec["encoding"], spec.get("bom", False))
    processed = exact(tmp_path, [write_expected(tmp_path / "hongqi.expected.json", ident, lists)])
    row = sources(processed)[name]
    assert (row["status"], row["format"], row["reader"]) == ("ok", "html", "html.parser")


@pytest.mark.parametrize("transfer", ["quoted-printable", "base64"])
def test_mhtml_page_is_exact(transfer, tmp_path):
    ident, lists = lists_for("hongqi", 5)
    raw = tmp_path / "raw"
    raw.mkdir()
    write_mht(raw / "清单.mht", page_html(ident, lists, charset="gb2312"), "gb2312", transfer)
    processed = exact(tmp_path, [write_expected(tmp_path / "hongqi.expected.json", ident, lists)])
    assert sources(processed)["清单.mht"]["format"] == "mht"


def test_a_saved_pages_files_folder_is_not_read(tmp_path):
    ident, lists = lists_for("hongqi", 3)
    raw = tmp_path / "raw"
    (raw / "清单_files").mkdir(parents=True)
    write_page(raw / "清单.html", page_html(ident, lists))
    shutil.copy2(LAYOUT_PDF, raw / "清单_files" / "image001.pdf")  # would be a list of its own
    (raw / "清单_files" / "style.css").write_text("td{border:1px}", encoding="utf-8")
    processed = exact(tmp_path, [write_expected(tmp_path / "hongqi.expected.json", ident, lists)])
    rows = sources(processed)
    assert rows["清单_files/image001.pdf"]["status"] == "skipped"
    assert "part of the saved web page 清单.html" in rows["清单_files/image001.pdf"]["reason"]


@pytest.mark.parametrize(
    "name, text, words",
    [
        ("notes.html", "<html><body><p>说明：清单见附件。</p></body></html>", "a web page without a table"),
        ("style.css", "td { border: 1px solid #000 }", "not a duty list file: text"),
        ("README.md", "# 说明\n\n表格示例：<table><tr><td>序号</td><td>名称</td></tr></table>\n", "text"),
        ("data.json", '{"a": 1}', "JSON data"),
    ],
)
def test_files_that_clearly_hold_no_list_are_skipped(tmp_path, name, text, words):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    got = sniff(path)
    assert got.reader is None and words in (got.skip or "")


def test_a_gbk_page_is_a_web_page_not_binary_data(tmp_path):
    path = write_page(
        tmp_path / "a.html", "<html><meta charset=gbk><table><tr><td>乡</td></tr></table>", "gbk"
    )
    assert (sniff(path).name, sniff(path).reader) == ("html", "html.parser")


# --- archives -----------------------------------------------------------------------------------------


def gbk_zip(path: Path, members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> Path:
    """A zip as Windows' compressed folder writes it: names in GBK, the UTF-8 flag clear, made
    by MS-DOS. zipfile writes non-ASCII names as flagged UTF-8, so each member is written under
    an ASCII name of the same length, then both its headers get the GBK bytes."""
    import struct

    gbk = [name.encode("gbk") for name in members]
    with zipfile.ZipFile(path, "w", method) as z:
        for raw_name, data in zip(gbk, members.values(), strict=True):
            info = zipfile.ZipInfo("x" * len(raw_name), date_time=(2025, 5, 6, 9, 30, 0))
            info.compress_type = method
            info.create_system = 0
            z.writestr(info, data)
    blob = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as z:
        offsets = [i.header_offset for i in z.infolist()]
    central = blob.rfind(b"PK\x05\x06")
    start = struct.unpack_from("<I", blob, central + 16)[0]
    for offset, raw_name in zip(offsets, gbk, strict=True):
        blob[offset + 30 : offset + 30 + len(raw_name)] = raw_name
        n, extra, comment = struct.unpack_from("<HHH", blob, start + 28)
        blob[start + 46 : start + 46 + n] = raw_name
        start += 46 + n + extra + comment
    path.write_bytes(bytes(blob))
    return path


def test_member_names_in_gbk_are_read_as_chinese(tmp_path):
    path = gbk_zip(tmp_path / "a.zip", {"附件/红旗乡清单.pdf": b"%PDF-1.4"})
    with zipfile.ZipFile(path) as z:
        (info,) = z.infolist()
        assert info.flag_bits & 0x800 == 0 and info.filename != "附件/红旗乡清单.pdf"
        assert archives.member_name(info) == "附件/红旗乡清单.pdf"


@pytest.mark.parametrize("method", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED])
def test_zip_of_attachments_is_read_member_by_member(method, tmp_path):
    a_ident, a_lists = lists_for("hongqi", 5)
    b_ident, b_lists = lists_for("dongguan", 4)
    raw = tmp_path / "raw"
    raw.mkdir()
    docx = write_docx(tmp_path / "x.docx", a_ident, a_lists).read_bytes()
    page = page_html(b_ident, b_lists, charset="gb2312").encode("gbk")
    members = {"红旗乡清单.docx": docx, "网页/东关镇清单.html": page, "说明.txt": "见附件".encode("gbk")}
    gbk_zip(raw / "附件.zip", members, method)
    processed = exact(
        tmp_path,
        [
            write_expected(tmp_path / "a.expected.json", a_ident, a_lists),
            write_expected(tmp_path / "b.expected.json", b_ident, b_lists),
        ],
    )
    rows = sources(processed)
    assert (rows["附件.zip/红旗乡清单.docx"]["status"], rows["附件.zip/红旗乡清单.docx"]["format"]) == (
        "ok",
        "docx",
    )
    assert (
        rows["附件.zip/网页/东关镇清单.html"]["status"],
        rows["附件.zip/网页/东关镇清单.html"]["format"],
    ) == ("ok", "html")
    assert rows["附件.zip/说明.txt"]["status"] == "skipped"
    assert "附件.zip" not in rows
    items = pd.read_parquet(processed / "basic_items.parquet")
    assert sorted(set(items["source_file"])) == ["附件.zip/红旗乡清单.docx", "附件.zip/网页/东关镇清单.html"]


def test_a_nested_zip_is_opened_to_the_depth_limit(tmp_path):
    ident, lists = lists_for("hongqi", 3)
    inner = gbk_zip(tmp_path / "inner.zip", {"清单.html": page_html(ident, lists).encode()})
    middle = gbk_zip(tmp_path / "middle.zip", {"内层.zip": inner.read_bytes()})
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy2(middle, raw / "外层.zip")
    exact(tmp_path, [write_expected(tmp_path / "hongqi.expected.json", ident, lists)])
    assert "外层.zip/内层.zip/清单.html" in sources(tmp_path / "processed")
    from pipeline import extract

    manifest = extract.run(
        raw, tmp_path / "p2", ExtractSettings(max_archive_depth=1), jobs=1, log=lambda *a: None
    )
    (entry,) = manifest["files"]
    assert entry["source_file"] == "外层.zip/内层.zip" and entry["status"] == "rejected"
    assert "nested" in entry["reason"] and "max_archive_depth" in entry["reason"]


def test_member_names_never_reach_the_disk(tmp_path):
    ident, lists = lists_for("hongqi", 2)
    page = page_html(ident, lists).encode()
    path = tmp_path / "evil.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("../../escaped.html", page)
        z.writestr("/etc/absolute.html", page)
        z.writestr("C:\\Windows\\drive.html", page)
        link = zipfile.ZipInfo("link.html")
        link.create_system = 3
        link.external_attr = 0o120777 << 16
        z.writestr(link, "/etc/passwd")
    into = tmp_path / "scratch" / "deep"
    into.mkdir(parents=True)
    members = archives.unpack_zip(
        path, "evil.zip", into, ExtractSettings(), archives.budget_for(ExtractSettings())
    )
    names = {m.name: m for m in members}
    assert set(names) == {"evil.zip/escaped.html", "evil.zip/etc/absolute.html", "evil.zip/Windows/drive.html",
                          "evil.zip/link.html"}  # fmt: skip
    assert names["evil.zip/link.html"].status == "skipped" and "symbolic link" in (
        names["evil.zip/link.html"].reason or ""
    )
    written = sorted(p for p in tmp_path.rglob("*") if p.is_file())
    assert all(p.parent == into for p in written if p != path)
    assert not (tmp_path / "escaped.html").exists() and not Path("/etc/absolute.html").exists()


def test_a_zip_bomb_over_the_budget_is_rejected(tmp_path):
    path = tmp_path / "bomb.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for i in range(3):
            z.writestr(f"{i}.html", b"\0" * (4 << 20))
    settings = ExtractSettings(max_archive_bytes=8 << 20)
    with pytest.raises(RejectedFile, match="unpacks to 13 MB, over the limit of 8 MB"):
        archives.unpack_zip(path, "bomb.zip", tmp_path, settings, archives.budget_for(settings))
    with pytest.raises(RejectedFile, match="decompression bomb"):
        archives.unpack_zip(
            path, "bomb.zip", tmp_path, ExtractSettings(), archives.budget_for(ExtractSettings())
        )
    with pytest.raises(RejectedFile, match="3 members, over the limit of 2"):
        settings = ExtractSettings(max_archive_members=2)
        archives.unpack_zip(path, "bomb.zip", tmp_path, settings, archives.budget_for(settings))
    assert [p.name for p in tmp_path.iterdir()] == ["bomb.zip"]  # nothing unpacked


def test_a_damaged_member_is_named_in_words_not_in_zipfiles_cp437(tmp_path):
    ident, lists = lists_for("hongqi", 2)
    path = gbk_zip(
        tmp_path / "a.zip", {"附件1：红旗乡清单.html": page_html(ident, lists).encode()}, zipfile.ZIP_STORED
    )
    blob = bytearray(path.read_bytes())
    blob[80] ^= 0xFF  # a byte of the stored page: its checksum no longer matches
    path.write_bytes(bytes(blob))
    into = tmp_path / "scratch"
    into.mkdir()
    [member] = archives.unpack_zip(
        path, "a.zip", into, ExtractSettings(), archives.budget_for(ExtractSettings())
    )
    assert member.name == "a.zip/附件1：红旗乡清单.html" and member.status == "rejected"
    assert member.reason == (
        "damaged member of a ZIP archive (its bytes do not match their checksum: the archive is damaged)"
    )


def test_a_corrupt_or_cut_short_member_costs_only_itself(tmp_path):
    import struct

    ident, lists = lists_for("hongqi", 2)
    page = page_html(ident, lists).encode()
    path = gbk_zip(tmp_path / "a.zip", {"坏.html": page, "短短.html": page, "好好好.html": page})
    blob = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as z:
        bad, short, _ = z.infolist()
    start = bad.header_offset + 30 + len("坏.html".encode("gbk"))
    blob[start : start + 8] = b"\xff" * 8  # a reserved deflate block type: the data is corrupt
    central = blob.find(b"PK\x01\x02", blob.find(b"PK\x01\x02") + 4)  # the second member's entry
    for where in (central + 24, short.header_offset + 22):  # its declared size: 100 bytes, a lie
        struct.pack_into("<I", blob, where, 100)
    path.write_bytes(bytes(blob))
    into = tmp_path / "scratch"
    into.mkdir()
    members = archives.unpack_zip(
        path, "a.zip", into, ExtractSettings(), archives.budget_for(ExtractSettings())
    )
    got = {m.name: (m.status, m.reason) for m in members}
    assert got == {
        "a.zip/坏.html": ("rejected", "damaged member of a ZIP archive (its compressed data is corrupt)"),
        "a.zip/短短.html": (
            "rejected",
            "damaged member of a ZIP archive (its bytes do not match their checksum: the archive is damaged)",
        ),
        "a.zip/好好好.html": (None, None),
    }
    [good] = [m for m in members if m.path is not None]
    assert good.path.read_bytes() == page


def test_archive_budgets_are_checked_settings():
    for bad in (dict(max_archive_depth=0), dict(max_archive_members=-1), dict(max_archive_bytes=1.5)):
        with pytest.raises(ValueError, match="must be a whole number"):
            ExtractSettings(**bad)


def test_encrypted_and_unsupported_archives_are_rejected_saying_what_to_do(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    path = raw / "locked.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("清单.pdf", b"%PDF-1.4")
    data = bytearray(path.read_bytes())  # set the encryption flag in both headers, as a password does
    for sig, off in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        i = data.find(sig)
        data[i + off] |= 1
    path.write_bytes(bytes(data))
    (raw / "清单.7z").write_bytes(b"7z\xbc\xaf\x27\x1c\x00\x04" + b"\0" * 64)
    (raw / "清单.rar").write_bytes(b"Rar!\x1a\x07\x01\x00" + b"\0" * 64)
    result = make_all(raw, tmp_path / "processed", jobs=1)
    assert result.returncode != 0
    err = result.stderr
    assert "rejected locked.zip: password-protected ZIP archive; unpack it with its password" in err
    assert "rejected 清单.7z: a 7-Zip archive (.7z) is not unpacked by this project: unpack it" in err
    assert "rejected 清单.rar: a RAR archive is not unpacked by this project: unpack it" in err
    assert "Traceback" not in err


def test_a_stored_zip_starting_with_a_pdf_is_an_archive_not_a_pdf(tmp_path):
    path = gbk_zip(
        tmp_path / "附件.zip",
        {"清单.pdf": LAYOUT_PDF.read_bytes(), "另一份.pdf": b"%PDF-1.4"},
        zipfile.ZIP_STORED,
    )
    assert b"%PDF-" in path.read_bytes()[:1024]
    assert (sniff(path).name, sniff(path).reader) == ("zip", "zipfile")


@pytest.mark.parametrize("kind", ["gz", "tar", "bz2"])
def test_other_compressed_files_are_rejected_not_skipped(kind, tmp_path):
    import bz2
    import gzip
    import tarfile

    path = tmp_path / f"清单.{kind}"
    if kind == "gz":
        path.write_bytes(gzip.compress(b"%PDF-1.4"))
    elif kind == "bz2":
        path.write_bytes(bz2.compress(b"%PDF-1.4"))
    else:
        member = tmp_path / "清单.pdf"
        member.write_bytes(b"%PDF-1.4")
        with tarfile.open(path, "w") as t:
            t.add(member, arcname="清单.pdf")
    with pytest.raises(
        RejectedFile, match="is not unpacked by this project: unpack it and put its files in the raw"
    ):
        sniff(path)


def test_word_saved_as_web_page_cells_and_conditional_comments():
    """Word's "save as web page": cell paragraphs as <p class=MsoNormal>, <o:p> tags, list
    numbers in <![if !supportLists]> sections, hidden spans."""
    html = (
        "<html xmlns:o='urn:schemas-microsoft-com:office:office'><body><div class=WordSection1>"
        "<table class=MsoTableGrid border=1><tr><td width=60 valign=top><p class=MsoNormal>"
        "<span lang=EN-US>1<o:p></o:p></span></p></td><td><p class=MsoNormal><![if !supportLists]>"
        "<span>1.<span style='font:7.0pt \"Times New Roman\"'>&nbsp;&nbsp; </span></span><![endif]>"
        "制定方案；<o:p></o:p></p><p class=MsoNormal>2.组织实施。<span style='display:none'>隐藏</span>"
        "<o:p></o:p></p></td></tr></table></div></body></html>"
    )
    cells = table_cells(html)
    assert cells[0][4] == ["1"]
    assert cells[1][4] == ["1. 制定方案；", "2.组织实施。"]


def test_an_mhtml_file_with_several_pages_reads_those_holding_tables(tmp_path):
    """Excel saves a workbook as one .mht: a frameset page, then one page per sheet."""
    from email.mime.multipart import MIMEMultipart
    from email.mime.text import MIMEText

    ident, lists = lists_for("hongqi", 4)
    msg = MIMEMultipart("related")
    msg.attach(
        MIMEText('<html><frameset rows="*,39"><frame src="sheet001.htm"></frameset></html>', "html", "utf-8")
    )
    for kind in ("basic", "coordination", "reclaimed"):
        page = page_html(ident, lists, kinds=(kind,))
        msg.attach(MIMEText(page, "html", "gb18030"))
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "清单.mht").write_bytes(b"MIME-Version: 1.0\n" + msg.as_bytes())
    exact(tmp_path, [write_expected(tmp_path / "hongqi.expected.json", ident, lists)])


def test_hostile_nesting_and_spans_are_bounded():
    deep = "<div>" * 5000 + "甲" + "</div>" * 5000
    html = (
        f"<table><tr><td colspan=99999>{deep}</td><td rowspan=99999>乙</td></tr><tr><td>丙</td></tr></table>"
    )
    cells = table_cells(html)
    assert [(c[2], c[3]) for c in cells] == [(0, 256), (256, 257), (0, 1)]
    assert cells[1][:2] == (0, 2) and cells[0][4] == ["甲"]  # the text deep inside is still read


def test_a_list_exported_as_an_html_xls_is_read(tmp_path):
    """Many systems export "Excel" files that are HTML tables named .xls (GBK, as Excel's own
    "save as web page" does)."""
    ident, lists = lists_for("hongqi", 4)
    raw = tmp_path / "raw"
    raw.mkdir()
    write_page(raw / "红旗乡履职事项清单.xls", page_html(ident, lists, charset="gbk"), "gbk")
    processed = exact(tmp_path, [write_expected(tmp_path / "hongqi.expected.json", ident, lists)])
    assert sources(processed)["红旗乡履职事项清单.xls"]["format"] == "html"
