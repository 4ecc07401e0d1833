"""Bad and foreign files beside office lists: damaged ones rejected with one line, files that
are no duty list skipped without failing the build, the good files read as without them."""

from __future__ import annotations

from pathlib import Path
import shutil
import zipfile

import pandas as pd
import pyarrow.parquet as pq
import pytest

from pipeline import extract
from pipeline.common import report
from pipeline.common.settings import ExtractSettings
from pipeline.extract.legacy import soffice
from tests.conftest import build, quiet
from tests.expected import mismatches
from tests.office_fixtures import lists_for, write_docx, write_expected, write_xlsx

OFFICE = Path(__file__).resolve().parent / "fixtures" / "office"


def statuses(processed: Path) -> dict[str, tuple[str, str | None]]:
    rows = pq.read_table(processed / "source_files.parquet").to_pylist()
    return {r["source_file"]: (r["status"], r["reason"]) for r in rows}


def zip_bomb(path: Path) -> Path:
    """An .xlsx-looking ZIP whose sheet unpacks to 64 MiB of spaces (about 64 KB packed)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        z.writestr("xl/workbook.xml", '<?xml version="1.0"?><workbook/>')
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as f:
            block = b" " * (1 << 20)
            for _ in range(64):
                f.write(block)
    return path


def no_list_workbook(path: Path) -> Path:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    for r, row in enumerate([["姓名", "电话"], ["张三", 13800000000], ["李四", 13900000000]], 1):
        for c, v in enumerate(row, 1):
            ws.cell(r, c, v)
    wb.save(path)
    return path


def test_bad_office_files_get_one_line_and_the_good_ones_are_exact(tmp_path, capsys):
    ident, lists = lists_for("changzheng")
    raw = tmp_path / "raw"
    raw.mkdir()
    write_xlsx(raw / "good.xlsx", ident, lists)
    whole = write_docx(tmp_path / "whole.docx", ident, lists).read_bytes()
    (raw / "truncated.docx").write_bytes(whole[: len(whole) // 2])
    shutil.copy2(OFFICE / "encrypted.xlsx", raw / "encrypted.xlsx")
    zip_bomb(raw / "bomb.xlsx")
    no_list_workbook(raw / "contacts.xlsx")
    (raw / "text.xlsx").write_text("序号,事项名称\n1,不是工作簿\n", encoding="utf-8")
    (raw / "cut.xls").write_bytes((OFFICE / "lists.xls").read_bytes()[:3000])
    processed = build(raw, tmp_path / "processed")
    n, problems = mismatches(processed, [write_expected(tmp_path / "expected.json", ident, lists)])
    assert n > 0 and problems == []
    got = statuses(processed)
    expected_reasons = {
        "truncated.docx": "damaged Word document (.docx): its ZIP container is incomplete",
        "encrypted.xlsx": "password-protected",
        "bomb.xlsx": "decompression bomb",
        "contacts.xlsx": "no duty list found",
        "text.xlsx": "not an Excel workbook (.xlsx): the file holds text",
        "cut.xls": "damaged Office file",
    }
    for name, words in expected_reasons.items():
        status, reason = got[name]
        assert status == "rejected", name
        assert words in reason, (name, reason)
        assert "\n" not in reason and "Traceback" not in reason
    assert got["good.xlsx"] == ("ok", None)
    assert report.main(["--processed", str(processed)]) == 1
    err = capsys.readouterr().err
    assert sum(line.startswith("rejected ") for line in err.splitlines()) == len(expected_reasons)


def test_files_that_are_no_list_are_skipped_and_do_not_fail_the_build(tmp_path, capsys):
    from PIL import Image

    ident, lists = lists_for("hongqi")
    raw = tmp_path / "raw"
    raw.mkdir()
    write_docx(raw / "lists.docx", ident, lists)
    (raw / "README.txt").write_text("这些是乡镇履职事项清单。\n", encoding="utf-8")
    (raw / "meta.json").write_text('{"source": "county website"}', encoding="utf-8")
    Image.new("RGB", (20, 20), "white").save(raw / "logo.gif")  # JPEG, PNG, TIFF are read by OCR
    processed = build(raw, tmp_path / "processed")
    got = statuses(processed)
    assert got["lists.docx"] == ("ok", None)
    for name, words in {"README.txt": "text", "meta.json": "JSON", "logo.gif": "GIF image"}.items():
        status, reason = got[name]
        assert status == "skipped"
        assert reason.startswith("not a duty list file") and words in reason
    df = pd.read_parquet(processed / "source_files.parquet").set_index("source_file")
    assert df.loc["lists.docx", "format"] == "docx" and df.loc["logo.gif", "format"] == "gif"
    assert pd.isna(df.loc["logo.gif", "reader"])
    assert report.main(["--processed", str(processed)]) == 0
    out = capsys.readouterr().out
    assert "skipped README.txt: not a duty list file: text" in out


def test_legacy_word_without_libreoffice_says_what_to_install(tmp_path, monkeypatch):
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy2(OFFICE / "lists.doc", raw / "lists.doc")
    monkeypatch.setenv("PATH", str(tmp_path / "no-such-bin"))
    manifest = extract.run(raw, tmp_path / "processed", jobs=1, log=quiet)
    (entry,) = manifest["files"]
    assert entry["status"] == "rejected"
    assert entry["reason"].startswith("a legacy Word document (.doc) needs LibreOffice to be read: install")


@pytest.mark.skipif(soffice() is None, reason="LibreOffice (soffice) is not installed; it is optional")
def test_libreoffice_conversion_has_a_time_limit(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy2(OFFICE / "lists.doc", raw / "slow.wps")
    settings = ExtractSettings(convert_timeout=0.05)
    manifest = extract.run(raw, tmp_path / "processed", settings=settings, jobs=1, log=quiet)
    (entry,) = manifest["files"]
    assert entry["status"] == "rejected"
    assert "did not convert this WPS document (.wps) within 0 s" in entry["reason"]


@pytest.mark.skipif(soffice() is None, reason="LibreOffice (soffice) is not installed; it is optional")
def test_a_rejection_is_not_kept_once_the_file_is_readable(tmp_path, monkeypatch):
    """The same .doc, rejected while LibreOffice is missing, is read once it is there: neither
    extraction nor cleaning keeps the old rejection."""
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy2(OFFICE / "lists.doc", raw / "lists.doc")
    processed = tmp_path / "processed"
    monkeypatch.setenv("PATH", str(tmp_path / "no-such-bin"))
    build(raw, processed)
    assert statuses(processed)["lists.doc"][0] == "rejected"
    monkeypatch.undo()
    build(raw, processed)
    assert statuses(processed)["lists.doc"] == ("ok", None)
