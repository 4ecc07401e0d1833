"""Large tables as datasets by province (PARTITION=province, or auto above PARTITION_ROWS item
rows): the same rows as the single files, read as one table by pandas, pyarrow and DuckDB, and
published as one set (a dataset replaces the previous folder or file of its name whole)."""

from __future__ import annotations

import os
from pathlib import Path
import shutil
import subprocess
import sys

import duckdb
import pandas as pd
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from pipeline import normalize, publish
from pipeline.common import publication
from pipeline.common.publication import JOURNAL, REPLACED, build_id_of, commit, recover, staging_dir
from pipeline.common.settings import PARTITION_ROWS
from pipeline.common.storage import UNKNOWN_PROVINCE, build_dir, partition_folder, table_parts, write_json
from pipeline.normalize import stage
from pipeline.normalize.schema import spec
from tests.conftest import LAYOUTS, ROOT, make_all, quiet

PARTITIONED = stage.FILE_TABLES


def partitioned_copy(built: Path, target: Path) -> Path:
    """The clean stage's results of BUILT normalized again by province, with the exports."""
    target.mkdir()
    shutil.copytree(built / ".build", target / ".build", ignore=shutil.ignore_patterns("build.json"))
    with publication.staged(target) as out:
        normalize.run(target, out, log=quiet, partition="province")
        publish.run(out, log=quiet)
    return target


def by_key(df: pd.DataFrame, table: str) -> pd.DataFrame:
    return df.sort_values(spec()[table]["primary_key"]).reset_index(drop=True)


def assert_same_tables(single: Path, parts: Path) -> None:
    """Every table of PARTS equals SINGLE's (rows sorted by the primary key, every column), and
    each partitioned row's province is its township's."""
    provinces = pd.read_parquet(single / "townships.parquet").set_index("township_id").province
    for table in spec():
        one, split = single / f"{table}.parquet", parts / f"{table}.parquet"
        assert split.is_dir() == (table in PARTITIONED), table
        a = by_key(pd.read_parquet(one), table)
        b = by_key(pd.read_parquet(split), table)
        if table in PARTITIONED:
            tid = b["township_id"] if "township_id" in b else b["item_id"].str.split("-").str[0]
            assert b["province"].astype(object).tolist() == tid.map(provinces).fillna("未知").tolist(), table
            b = b.drop(columns="province")
        assert list(a.columns) == list(b.columns), table
        pd.testing.assert_frame_equal(a, b, check_dtype=False, obj=table)
        assert build_id_of(split) == build_id_of(one)


def test_a_partitioned_build_equals_the_single_files_on_the_scale_sample(scale_sample_tables, tmp_path):
    parts = partitioned_copy(scale_sample_tables, tmp_path / "parts")
    assert_same_tables(scale_sample_tables, parts)
    folders = sorted(p.name for p in (parts / "basic_items.parquet").iterdir())
    assert folders == ["province=新疆维吾尔自治区"]
    # The CSV exports hold the same rows (the dataset's files one after another).
    for table in PARTITIONED:
        a = (scale_sample_tables / "csv" / f"{table}.csv").read_text(encoding="utf-8-sig").splitlines()
        b = (parts / "csv" / f"{table}.csv").read_text(encoding="utf-8-sig").splitlines()
        assert a[0] == b[0] and sorted(a) == sorted(b), table
    assert (parts / "duty_lists.xlsx").is_file()


@pytest.mark.slow
def test_a_partitioned_build_equals_the_single_files_on_the_scale_corpus(scale_tables, tmp_path):
    assert_same_tables(scale_tables, partitioned_copy(scale_tables, tmp_path / "parts"))


def test_pandas_pyarrow_and_duckdb_read_a_dataset_as_one_table(scale_sample_tables, tmp_path):
    parts = partitioned_copy(scale_sample_tables, tmp_path / "parts")
    folder = parts / "duty_steps.parquet"
    n = pq.read_metadata(scale_sample_tables / "duty_steps.parquet").num_rows
    assert len(pd.read_parquet(folder)) == n
    table = ds.dataset(folder, format="parquet", partitioning="hive").to_table()
    assert table.num_rows == n and "province" in table.column_names
    query = (
        f"select count(*), min(province) from read_parquet('{folder}/*/*.parquet', hive_partitioning = true)"
    )
    assert duckdb.sql(query).fetchall() == [(n, "新疆维吾尔自治区")]


# --- the writer -----------------------------------------------------------------------------------


def problem(i: int, place: str | None) -> dict:
    return {"problem_id": f"P{i:010d}", "source_file": place, "township_id": None, "list": None,
            "seq": i, "page": None, "kind": "lost_text", "message": f"row {i}"}  # fmt: skip


def test_the_writer_buffers_at_most_a_row_group_whatever_the_number_of_provinces(tmp_path, monkeypatch):
    monkeypatch.setattr(stage, "ROW_GROUP", 50)
    places = ["甘肃省", "河北省", None, "a/b=c%", "新疆维吾尔自治区"]
    w = stage.TableWriter(tmp_path, "problems", "b1", partition=lambda r: r["source_file"])
    for i in range(0, 400, 7):  # batches of 7 rows, spread over the provinces
        w.add([problem(j, places[j % len(places)]) for j in range(i, min(i + 7, 400))])
        assert sum(w._buffered.values()) < 50
    w.close()
    folder = tmp_path / "problems.parquet"
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [f"province={UNKNOWN_PROVINCE}", "province=a%2Fb%3Dc%25", "province=新疆维吾尔自治区"]
        + ["province=甘肃省", "province=河北省"]
    )
    table = ds.dataset(folder, format="parquet", partitioning="hive").to_table().to_pylist()
    assert sorted(r["seq"] for r in table) == list(range(400))
    assert all(r["province"] == (places[r["seq"] % len(places)] or "未知") for r in table)
    assert len(pd.read_parquet(folder)) == 400
    assert build_id_of(folder) == "b1" and w.count == 400


def test_an_empty_partitioned_table_still_holds_its_columns(tmp_path):
    w = stage.TableWriter(tmp_path, "changes", "b1", partition=lambda r: None)
    w.close()
    df = pd.read_parquet(tmp_path / "changes.parquet")
    assert len(df) == 0 and "old_file" in df.columns
    assert table_parts(tmp_path / "changes.parquet")[0].parent.name == partition_folder(None)


def test_auto_partitions_above_the_threshold_only():
    def cleaned(items: int) -> dict:
        return {"files": [{"status": "ok", "items": items}, {"status": "rejected"}]}

    assert not stage.partitioned(cleaned(PARTITION_ROWS), "auto")
    assert stage.partitioned(cleaned(PARTITION_ROWS + 1), "auto")
    assert stage.partitioned(cleaned(1), "province") and not stage.partitioned(cleaned(10**8), "none")


def test_a_bad_partition_value_is_one_line(tmp_path):
    for args, env in ((["--partition", "county"], {}), ([], {"PARTITION": "bogus"})):
        done = subprocess.run(
            [sys.executable, "-m", "pipeline.normalize", "--processed", str(tmp_path), *args],
            cwd=ROOT,
            capture_output=True,
            text=True,
            env={**os.environ, **env},
        )
        assert done.returncode == 2 and "PARTITION must be one of auto, province, none" in done.stderr
        assert "Traceback" not in done.stderr


# --- publication ------------------------------------------------------------------------------------


def stage_table(processed: Path, provinces: list[str] | None, build: str) -> Path:
    """A staged problems table: one file (PROVINCES None) or a dataset with these provinces."""
    staging = publication.new_staging(processed)
    w = stage.TableWriter(
        staging, "problems", build, partition=(lambda r: r["source_file"]) if provinces else None
    )
    w.add([problem(i, p) for i, p in enumerate(provinces or ["x"])])
    w.close()
    (staging / "CODEBOOK.md").write_text(build)
    return staging


def test_a_dataset_replaces_a_file_a_dataset_and_then_a_file_whole(tmp_path):
    processed = tmp_path / "processed"
    build_dir(processed).mkdir(parents=True)
    table = processed / "problems.parquet"
    for build, provinces in (("b1", None), ("b2", ["甲省", "乙省"]), ("b3", ["甲省"]), ("b4", None)):
        names = commit(processed, stage_table(processed, provinces, build))
        assert table.is_dir() == bool(provinces)
        assert [p.relative_to(processed).as_posix() for p in table_parts(table)] == sorted(
            n for n in names if n.startswith("problems.parquet")
        )
        assert len(pd.read_parquet(table)) == len(provinces or ["x"])  # no file of an earlier build
        assert build_id_of(table) == build and (processed / "CODEBOOK.md").read_text() == build
        assert not (build_dir(processed) / REPLACED).exists() and not staging_dir(processed).exists()


def test_a_crash_after_setting_the_previous_dataset_aside_is_rolled_forward(tmp_path):
    processed = tmp_path / "processed"
    build_dir(processed).mkdir(parents=True)
    commit(processed, stage_table(processed, ["甲省", "乙省"], "b1"))
    staging = stage_table(processed, ["甲省"], "b2")
    write_json(build_dir(processed) / JOURNAL, {"files": publication.staged_units(staging)})
    aside = build_dir(processed) / REPLACED / "problems.parquet"
    aside.parent.mkdir(parents=True)
    os.replace(processed / "problems.parquet", aside)  # killed here: no table in place
    assert recover(processed)
    assert build_id_of(processed / "problems.parquet") == "b2"
    assert len(pd.read_parquet(processed / "problems.parquet")) == 1
    assert not (build_dir(processed) / REPLACED).exists() and not (build_dir(processed) / JOURNAL).exists()


@pytest.mark.slow
def test_make_all_partition_builds_again_in_the_other_layout(tmp_path):
    raw, processed = tmp_path / "raw", tmp_path / "processed"
    raw.mkdir()
    shutil.copy2(next((LAYOUTS / "rect_borders").glob("*.pdf")), raw / "a.pdf")
    assert make_all(raw, processed, jobs=1).returncode == 0
    assert (processed / "basic_items.parquet").is_file()
    done = make_all(raw, processed, "PARTITION=province", jobs=1)
    assert done.returncode == 0, done.stderr
    assert "up to date" not in done.stdout and (processed / "basic_items.parquet").is_dir()
    assert "up to date" in make_all(raw, processed, "PARTITION=province", jobs=1).stdout
    assert make_all(raw, processed, "PARTITION=none", jobs=1).returncode == 0
    assert (processed / "basic_items.parquet").is_file() and not (processed / ".build" / REPLACED).exists()
    assert len({build_id_of(p) for p in processed.glob("*.parquet")}) == 1
