"""The column registry (pipeline/rules/lists.toml [columns.*], pipeline/common/columns.py): every
printed column declared once, everything else derived from it; a printed column added by a rules
edit alone."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path
import shutil
import subprocess
import tomllib

from openpyxl import load_workbook
import pyarrow.parquet as pq
import pytest

from pipeline.clean.stage import clean_fields
from pipeline.common import columns
from pipeline.common.rules import RULES_DIR, SHAPES, RulesError, load_file
from pipeline.normalize import revisions
from pipeline.normalize.schema import SCHEMA_FILE, spec
from tests import minipdf
from tests.conftest import ROOT, build, build_command

# The rules edit of the README's "Adding a column": a printed 备注 column becomes a field.
REMARKS = """
[columns.remarks]
names = ["备注", "备注说明"]
value = "text"
lists = ["basic", "coordination", "reclaimed"]
zh = "备注"
description = "The remark printed beside the item (备注), as printed; empty when the list prints none."
"""


def _lists_text() -> str:
    return (RULES_DIR / "lists.toml").read_text(encoding="utf-8")


# --- the shipped registry ----------------------------------------------------------------------


def test_the_shipped_registry_gives_every_list_of_columns():
    assert [c.field for c in columns.registry()] == [
        "seq",
        "category",
        "subcategory",
        "name",
        "departments",
        "upper_duties",
        "township_duties",
        "handling",
    ]
    assert columns.text_fields() == {"category", "subcategory", "name"}
    assert revisions.compared("basic") == ("category", "subcategory", "name", "extra_columns")
    assert revisions.compared("reclaimed") == ("category", "subcategory", "name", "handling", "extra_columns")
    names = [n for n, _ in clean_fields()]
    assert all(c.field in names for c in columns.registry()) and len(names) == len(set(names))
    tables = spec()
    coordination = [c["name"] for c in tables["coordination_items"]["columns"]]
    i = coordination.index("power_type")
    assert coordination[i + 1 : i + 4] == ["departments", "upper_duties", "township_duties"]
    assert not any("printed" in c for t in tables.values() for c in t["columns"])
    field = next(c for c in tables["changes"]["columns"] if c["name"] == "field")
    assert field["values"][-1] == "extra_columns" and field["labels"]["handling"] == "承接部门及工作方式"
    name = {
        t: next(c for c in tables[t]["columns"] if c["name"] == "name")
        for t in tables
        if t.endswith("_items")
    }
    assert name["reclaimed_items"]["header"] == "事项名称 / 收回事项"  # by_list wording
    assert name["basic_items"]["header"] == "事项名称 / 履职事项"


# --- a registry that does not fit: the file and the key named ----------------------------------


@pytest.mark.parametrize(
    "old, new, message",
    [
        ('value = "paragraphs"\nlists = ["reclaimed"]', 'value = "prose"\nlists = ["reclaimed"]', "columns.handling.value: 'prose' is not one of"),
        ('lists = ["reclaimed"]', 'lists = ["reclaim"]', "columns.handling.lists: no list 'reclaim'"),
        ('zh = "承接部门及工作方式"\n', "", "columns.handling.zh: missing"),
        ('zh = "承接部门及工作方式"\n', 'zh = "承接部门及工作方式"\nlabel = "x"\n', "columns.handling: unknown key 'label'"),
        ("compare = false", 'compare = "no"', "columns.seq.compare: expected bool"),
        ("\nextra = true\n", '\nextra = true\nvalue = "text"\n', "columns.reclaimed_by.value: a column kept in extra_columns"),
        ('value = "names"', 'value = "number"', "columns.departments.value: only columns.seq"),
        ("by_list.coordination.description", "by_list.basics.description", "columns.seq.by_list.basics"),
        ("by_list.reclaimed.description", "by_list.reclaimed.descr", "columns.category.by_list.reclaimed.descr: unknown key"),
        ('default_columns = ["seq", "category", "name", "handling"]', 'default_columns = ["seq", "name", "departments"]', "lists.reclaimed.default_columns: 'departments' is no field"),
    ],
)  # fmt: skip
def test_a_column_declared_wrongly_is_an_error_naming_the_file_and_the_key(tmp_path, old, new, message):
    text = _lists_text()
    assert old in text
    path = tmp_path / "lists.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(RulesError) as err:
        columns.declared(load_file(path, SHAPES["lists"]), path)
    assert str(path) in str(err.value) and message in str(err.value), str(err.value)


def _with_remarks(tmp_path: Path, extra: str = "") -> tuple[Path, tuple[columns.Column, ...]]:
    path = tmp_path / "lists.toml"
    path.write_text(_lists_text() + REMARKS + extra, encoding="utf-8")
    return path, columns.declared(load_file(path, SHAPES["lists"]), path)


def test_a_new_column_stands_after_the_lists_own_columns_or_where_after_says(tmp_path):
    _, declared = _with_remarks(tmp_path)
    with SCHEMA_FILE.open("rb") as f:
        raw = tomllib.load(f)["tables"]["reclaimed_items"]["columns"]  # as schema.toml declares it
    names = [c["name"] for c in columns.item_columns("reclaimed", raw, declared)]
    assert names[names.index("remarks") + 1] == "source_file"
    assert names[names.index("remarks") - 1] == "receiving_departments"
    entry = next(c for c in columns.item_columns("reclaimed", raw, declared) if c["name"] == "remarks")
    assert entry == {
        "name": "remarks",
        "zh": "备注",
        "type": "string",
        "nullable": True,
        "description": "The remark printed beside the item (备注), as printed; empty when the list prints none.",
        "header": "备注",
    }
    _, placed = _with_remarks(tmp_path, 'after = "name"\n')
    names = [c["name"] for c in columns.item_columns("reclaimed", raw, placed)]
    assert names[names.index("name") + 1] == "remarks"
    _, wrong = _with_remarks(tmp_path, 'after = "nowhere"\n')
    with pytest.raises(
        RulesError, match=r"columns\.remarks\.after: the reclaimed items have no column 'nowhere'"
    ):
        columns.item_columns("reclaimed", raw, wrong)


def test_a_column_named_like_a_column_the_tables_have_is_an_error(tmp_path):
    path = tmp_path / "lists.toml"
    path.write_text(
        _lists_text() + REMARKS.replace("[columns.remarks]", "[columns.power_type]"), encoding="utf-8"
    )
    declared = columns.declared(load_file(path, SHAPES["lists"]), path)
    with pytest.raises(
        RulesError, match="columns.power_type: the basic items have a column power_type already"
    ):
        with SCHEMA_FILE.open("rb") as f:
            columns.item_columns("basic", tomllib.load(f)["tables"]["basic_items"]["columns"], declared)


# --- a declared column printed in a list without its field --------------------------------------


def test_a_declared_column_a_list_has_no_field_for_is_kept_as_printed(tmp_path):
    """处理方式 (the reclaimed list's handling) printed beside a coordination list's duty columns:
    kept with its item in extra_columns and named in the notes, never dropped."""
    raw = tmp_path / "raw"
    raw.mkdir()
    minipdf.write(
        raw / "lists.pdf",
        [
            [
                ("title", "哈密市伊吾县吐葫芦乡配合履职事项清单"),
                (
                    "table",
                    [40, 100, 80, 80, 80, 80],
                    [
                        ["序号", "事项名称", "对应上级部门", "上级部门职责", "乡镇配合职责", "处理方式"],
                        ["1", "做好防汛工作", "县水利局", "负责指导", "负责巡查", "属地处理"],
                    ],
                ),
            ]
        ],
    )
    processed = build(raw, tmp_path / "processed")
    (item,) = pq.read_table(processed / "coordination_items.parquet").to_pylist()
    assert (item["name"], item["township_duties"]) == ("做好防汛工作", "负责巡查")
    assert item["extra_columns"] == [{"column": "处理方式", "text": "属地处理"}]
    (notes,) = pq.read_table(processed / "source_files.parquet")["notes"].to_pylist()
    assert any("处理方式 (handling)" in n and "extra_columns" in n for n in notes), notes
    (entry,) = pq.read_table(processed / "source_files.parquet").to_pylist()
    assert entry["n_table_chars"] == entry["n_placed_chars"]


# --- end to end: a printed column added by a rules edit alone -----------------------------------

PLACE = "哈密市伊吾县吐葫芦乡"


# A second column in the same edit: paragraphs, in the basic list only, placed after the name, and
# not compared by `changes`.
BASIS = """
[columns.basis]
names = ["法律依据"]
value = "paragraphs"
lists = ["basic"]
after = "name"
compare = false
zh = "法律依据"
description = "The legal basis printed beside the item, as printed; paragraphs joined by a newline."
"""


def _lists_pdf(path: Path, remark: str, basis: str = "《中国共产党章程》") -> Path:
    return minipdf.write(
        path,
        [
            [
                ("title", PLACE + "基本履职事项清单"),
                (
                    "table",
                    [40, 160, 90, 130, 70],
                    [
                        ["序号", "事项名称", "备注", "法律依据", "责任科室"],
                        ["1", "加强基层党组织建设", remark, basis, "党建办"],
                        ["2", "做好党员教育管理工作", "", "", ""],
                    ],
                ),
                ("title", PLACE + "配合履职事项清单"),
                (
                    "table",
                    [40, 110, 80, 90, 90, 80],
                    [
                        ["序号", "事项名称", "对应上级部门", "上级部门职责", "乡镇配合职责", "备注"],
                        ["1", "做好防汛工作", "县水利局", "负责指导", "负责巡查", "汛期执行"],
                    ],
                ),
            ]
        ],
    )


def _package_with(tmp_path: Path, lists_text: str) -> Path:
    """A copy of the package whose pipeline/rules/lists.toml reads LISTS_TEXT (nothing else edited)."""
    root = tmp_path / "package"
    shutil.copytree(ROOT / "pipeline", root / "pipeline", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy2(ROOT / "pyproject.toml", root / "pyproject.toml")
    (root / "pipeline" / "rules" / "lists.toml").write_text(lists_text, encoding="utf-8")
    return root


def _build_with(package: Path, raw: Path, processed: Path, tmp_path: Path) -> subprocess.CompletedProcess:
    env = os.environ | {"DUTY_LISTS_CACHE": str(tmp_path / "cache")}
    cmd = build_command(raw, processed)
    return subprocess.run(
        [*cmd, "--jobs", "1"], cwd=package, env=env, capture_output=True, text=True, timeout=300
    )


def test_a_printed_column_added_by_a_rules_edit_alone(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    # Two dated versions: the remark and the legal basis of item 1 were revised.
    _lists_pdf(raw / "吐葫芦乡清单（2024年3月）.pdf", "按年度调整", "《中国共产党章程》")
    _lists_pdf(raw / "吐葫芦乡清单（2025年1月）.pdf", "动态调整", "《党员教育管理条例》")
    package = _package_with(tmp_path, _lists_text() + REMARKS + BASIS)
    processed = tmp_path / "processed"
    done = _build_with(package, raw, processed, tmp_path)
    assert done.returncode == 0, done.stderr

    basic = pq.read_table(processed / "basic_items.parquet")
    rows = basic.to_pylist()
    assert [(r["seq"], r["remarks"]) for r in rows] == [(1, "动态调整"), (2, None)]
    # The column nobody declared stays in extra_columns; the declared one left it.
    assert rows[0]["basis"] == "《党员教育管理条例》" and rows[1]["basis"] == ""
    assert rows[0]["extra_columns"] == [{"column": "责任科室", "text": "党建办"}]
    (coordination,) = pq.read_table(processed / "coordination_items.parquet").to_pylist()
    assert (coordination["remarks"], coordination["extra_columns"]) == ("汛期执行", [])
    assert "remarks" in pq.read_schema(processed / "reclaimed_items.parquet").names
    assert "basis" not in pq.read_schema(processed / "coordination_items.parquet").names
    names = basic.schema.names
    assert names.index("remarks") + 1 == names.index("source_file")
    assert names.index("name") + 1 == names.index("basis")
    meta = basic.schema.field("remarks").metadata
    assert meta[b"label_zh"].decode() == "备注" and meta[b"source_header"].decode() == "备注"

    # changes compares remarks, not basis (compare = false).
    changes = pq.read_table(processed / "changes.parquet")
    assert [(c["field"], c["old_value"], c["new_value"]) for c in changes.to_pylist()] == [
        ("remarks", "按年度调整", "动态调整")
    ]
    allowed = json.loads(changes.schema.field("field").metadata[b"allowed_values"])
    assert "remarks" in allowed and "basis" not in allowed

    # The codebook, datapackage, CSV and workbook describe and hold it.
    codebook = (processed / "CODEBOOK.md").read_text(encoding="utf-8")
    assert "| remarks | 备注 | string (may be empty) | The remark printed beside the item (备注)" in codebook
    package_json = json.loads((processed / "datapackage.json").read_text(encoding="utf-8"))
    basic_fields = next(r for r in package_json["resources"] if r["name"] == "basic_items")["schema"][
        "fields"
    ]
    assert any(f["name"] == "remarks" and f["title"] == "备注" for f in basic_fields)
    with (processed / "csv" / "basic_items.csv").open(encoding="utf-8-sig", newline="") as f:
        csv_rows = list(csv.DictReader(f))
    assert [r["remarks"] for r in csv_rows] == ["动态调整", ""]
    sheet = load_workbook(processed / "duty_lists.xlsx", read_only=True)["基本履职事项"]
    values = list(sheet.iter_rows(values_only=True))
    column = values[1].index("remarks")
    assert values[0][column] == "备注" and values[2][column] == "动态调整"

    # The notes name the undeclared column only.
    notes = " ".join(
        n for ns in pq.read_table(processed / "source_files.parquet")["notes"].to_pylist() for n in ns
    )
    assert "column 责任科室" in notes and "column 备注" not in notes and "column 法律依据" not in notes


def test_a_build_with_a_column_declared_wrongly_stops_with_one_line(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    _lists_pdf(raw / "lists.pdf", "按年度调整")
    package = _package_with(tmp_path, _lists_text() + REMARKS.replace('value = "text"', 'value = "prose"'))
    done = _build_with(package, raw, tmp_path / "processed", tmp_path)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "lists.toml: columns.remarks.value: 'prose' is not one of" in lines[0], (
        done.stderr
    )
    assert "Traceback" not in done.stderr
