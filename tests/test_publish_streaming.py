"""Publish with bounded memory: the workbook's sheets and the CSV files are written a batch of rows
at a time, the same bytes whatever the batch; tables may be partitioned folders; what publish holds
does not grow with the table."""

from __future__ import annotations

from pathlib import Path
import shutil
import tracemalloc
import zipfile

from openpyxl import load_workbook
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipeline.normalize.schema import spec
from pipeline.publish import stage, tables, workbook
from pipeline.publish.cells import as_text
from pipeline.publish.workbook import WORKBOOK, render_sheets, sheet_titles, write_workbook


def _copy(source: Path, folder: Path) -> Path:
    folder.mkdir(parents=True)
    for name in spec():
        shutil.copyfile(source / f"{name}.parquet", folder / f"{name}.parquet")
    return folder


def _outputs(folder: Path) -> dict[str, bytes]:
    """The published files of FOLDER, by name."""
    out = {WORKBOOK: (folder / WORKBOOK).read_bytes()}
    out.update({p.name: p.read_bytes() for p in sorted((folder / "csv").glob("*.csv"))})
    return out


def test_the_same_bytes_whatever_the_batch_and_across_a_sheet_split(tuhulu_tables, tmp_path, monkeypatch):
    """One batch holding a whole table (the sheet written in one piece, as before streaming), 7
    rows (a sheet split falls inside a batch), one row at a time: the same workbook and CSVs."""
    monkeypatch.setattr(workbook, "EXCEL_ROWS", 62)  # 60 rows a sheet: 107 items take two
    published = []
    for size in (100_000, 7, 1):
        monkeypatch.setattr(tables, "BATCH", size)
        folder = _copy(tuhulu_tables, tmp_path / str(size))
        stage.run(folder, log=lambda *a: None)
        published.append(_outputs(folder))
        assert not [p for p in folder.iterdir() if p.name.startswith(".")]  # no sheet file left
    assert published[1] == published[0] and published[2] == published[0]
    wb = load_workbook(tmp_path / "1" / WORKBOOK, read_only=True)
    zh = spec()["duty_steps"]["zh"]
    assert sheet_titles(zh, 3)[2] in wb.sheetnames  # 897 steps: three sheets


def _pack(target: Path, entries: list[tuple[str, object]]) -> bytes:
    """A zip of ENTRIES as the workbook is packed: text through `_add`, parts through
    `_add_deflated`."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=workbook.COMPRESS_LEVEL) as z:
        for name, entry in entries:
            if isinstance(entry, str):
                workbook._add(z, name, entry)
            else:
                workbook._add_deflated(z, name, entry)  # type: ignore[arg-type]
    return target.read_bytes()


@pytest.mark.parametrize("zip64_limit", [None, 4096])
def test_a_sheet_compressed_as_it_is_written_packs_as_zipfile_packs_its_text(
    tmp_path, monkeypatch, zip64_limit
):
    """A sheet's XML written in pieces of every size and compressed as it goes, then copied into
    the workbook: the same bytes as zipfile writing the whole text (and, with a small ZIP64 limit
    standing in for 2 GB, the same ZIP64 headers); it reads back as the text."""
    if zip64_limit:
        monkeypatch.setattr(zipfile, "ZIP64_LIMIT", zip64_limit)
    rows = [
        f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>事项{r * 7919 % 1000}</t></is></c></row>'
        for r in range(60_000)
    ]
    pieces = [rows[0]]
    k = 1
    while k < len(rows):  # 1, 2, 4, ... rows a write, then from 1 again
        step = 1 << (len(pieces) % 12)
        pieces.append("".join(rows[k : k + step]))
        k += step
    text = "".join(pieces)
    sheet = workbook._Deflated(tmp_path / ".s.xml.tmp", pieces[0])
    for piece in pieces[1:]:
        sheet.write(piece)
    part = sheet.close()
    assert part[1] == len(text.encode()) > 3 * 2**20
    before, after = "<a>é</a>", "<b/>"
    streamed = _pack(tmp_path / "streamed.zip", [("a.xml", before), ("s.xml", part), ("b.xml", after)])
    whole = _pack(tmp_path / "whole.zip", [("a.xml", before), ("s.xml", text), ("b.xml", after)])
    assert streamed == whole
    with zipfile.ZipFile(tmp_path / "streamed.zip") as z:
        assert z.testzip() is None and z.read("s.xml").decode() == text
        assert [i.file_size > zipfile.ZIP64_LIMIT for i in z.infolist()] == [False, bool(zip64_limit), False]


def _expected(value, col: dict) -> str:
    return "true" if value is True else "false" if value is False else as_text(value, col)


def _shown(cell) -> str:
    return "true" if cell is True else "false" if cell is False else "" if cell is None else str(cell)


def test_the_workbook_opens_and_holds_the_parquet_rows_across_sheets(tuhulu_tables, tmp_path, monkeypatch):
    """openpyxl reads every table back from its sheets (continued ones too), row for row and
    column for column as the Parquet table holds it."""
    monkeypatch.setattr(workbook, "EXCEL_ROWS", 302)  # 300 rows a sheet
    monkeypatch.setattr(tables, "BATCH", 64)
    folder = _copy(tuhulu_tables, tmp_path / "t")
    wb = load_workbook(write_workbook(folder), read_only=True)
    for name, t in spec().items():
        rows = pq.read_table(folder / f"{name}.parquet").to_pylist()
        titles = sheet_titles(t["zh"], max(1, -(-len(rows) // 300)))
        header = None
        shown = []
        for title in titles:
            sheet = list(wb[title].iter_rows(values_only=True))
            assert header is None or list(sheet[1]) == header  # header rows on every sheet
            header = list(sheet[1])
            # read-only mode leaves trailing empty cells out of a row
            shown += [
                (*r, *[None] * (len(header) - len(r))) for r in sheet[2:] if any(v is not None for v in r)
            ]
        assert len(shown) == len(rows), name
        for col in t["columns"]:
            i = header.index(col["name"])
            assert [_shown(r[i]) for r in shown] == [_expected(r[col["name"]], col) for r in rows], (
                name,
                col["name"],
            )


def test_a_table_in_a_partitioned_folder_publishes_as_one_file(tuhulu_tables, tmp_path):
    """A table written as a folder of Parquet files (a dataset) gives the same workbook and CSV
    bytes as the one file holding its rows."""
    single = _copy(tuhulu_tables, tmp_path / "single")
    stage.run(single, log=lambda *a: None)
    parted = _copy(tuhulu_tables, tmp_path / "parted")
    for name in ("duty_steps", "basic_items"):
        table = pq.read_table(parted / f"{name}.parquet")
        (parted / f"{name}.parquet").unlink()
        (parted / f"{name}.parquet").mkdir()
        for k, start in enumerate(range(0, len(table), 250)):
            pq.write_table(table.slice(start, 250), parted / f"{name}.parquet" / f"part-{k}.parquet")
    stage.run(parted, log=lambda *a: None)
    assert _outputs(parted) == _outputs(single)


def test_hive_partition_keys_are_columns_and_count_as_several_places(multi_township_tables, tmp_path):
    """Partitioned by county (folders county=…): the county is a column again, and since the
    folders name three counties it leads the sheet, as it does for the one file."""
    folder = _copy(multi_township_tables, tmp_path / "t")
    table = pq.read_table(folder / "basic_items.parquet")
    (folder / "basic_items.parquet").unlink()
    pq.write_to_dataset(table, folder / "basic_items.parquet", partition_cols=["county"])
    assert len(list((folder / "basic_items.parquet").iterdir())) == 3
    stage.run(folder, log=lambda *a: None)
    ws = load_workbook(folder / WORKBOOK, read_only=True)[spec()["basic_items"]["zh"]]
    rows = list(ws.iter_rows(values_only=True))
    assert list(rows[1][:3]) == ["city", "county", "township"]
    assert sorted((r[1], r[2], r[5]) for r in rows[2:]) == sorted(
        zip(
            table["county"].to_pylist(), table["township"].to_pylist(), table["name"].to_pylist(), strict=True
        )
    )


def _render_peak(source: Path, folder: Path, times: int) -> int:
    """Peak bytes Python allocates while rendering coordination_items repeated TIMES over."""
    folder.mkdir()
    table = pq.read_table(source / "coordination_items.parquet")
    pq.write_table(pa.concat_tables([table] * times), folder / "coordination_items.parquet")
    tracemalloc.start()
    try:
        render_sheets(folder, ["coordination_items"], folder)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.slow
def test_rendering_a_sheet_holds_as_much_for_a_longer_table(tuhulu_tables, tmp_path, monkeypatch):
    """Four times the rows (2,160 → 8,640): the sheet grows four times, the memory its rendering
    takes does not (a batch of rows and the layout's sample at a time; both made smaller here
    than they are, so that small tables show it)."""
    monkeypatch.setattr(tables, "BATCH", 100)
    monkeypatch.setattr(workbook, "WIDTH_SAMPLE", 300)
    small = _render_peak(tuhulu_tables, tmp_path / "small", 20)
    large = _render_peak(tuhulu_tables, tmp_path / "large", 80)
    sizes = [sum(p.stat().st_size for p in (tmp_path / s).glob(".*.xml.tmp")) for s in ("small", "large")]
    assert sizes[1] > 3.9 * sizes[0]
    assert large < 1.2 * small, (small, large)
