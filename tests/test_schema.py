"""Self-describing output: descriptions in every Parquet field, codebook, datapackage, readers."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from pipeline.normalize.schema import codebook, spec

TABLES = sorted(spec())


def test_every_column_in_the_source_of_truth_has_a_description_and_a_type():
    for name, t in spec().items():
        assert t["description"] and t["primary_key"], name
        for col in t["columns"]:
            assert col.get("description", "").strip(), f"{name}.{col['name']} has no description"
            assert col["type"] in {
                "string",
                "int32",
                "float64",
                "bool",
                "list<string>",
                "list<int32>",
                "list<struct<column,text>>",
            }


@pytest.mark.parametrize("name", TABLES)
def test_parquet_fields_carry_their_descriptions(tuhulu_tables, name):
    schema = pq.read_schema(tuhulu_tables / f"{name}.parquet")
    described = {c["name"] for c in spec()[name]["columns"]}
    assert set(schema.names) == described
    for field in schema:
        assert field.metadata and field.metadata.get(b"description"), f"{name}.{field.name}"
    assert schema.metadata[b"description"]


def test_codebook_lists_every_column(tuhulu_tables):
    text = (tuhulu_tables / "CODEBOOK.md").read_text(encoding="utf-8")
    assert text == codebook()
    for name, t in spec().items():
        assert f"## {name}" in text
        for col in t["columns"]:
            assert f"| {col['name']} |" in text


def test_allowed_values_hold(tuhulu_tables):
    import pandas as pd

    for name, t in spec().items():
        df = pd.read_parquet(tuhulu_tables / f"{name}.parquet")
        for col in t["columns"]:
            if "values" in col:
                assert set(df[col["name"]].dropna()) <= set(col["values"]), f"{name}.{col['name']}"
            if not col.get("nullable"):
                assert df[col["name"]].notna().all(), f"{name}.{col['name']} has empty values"


def test_datapackage_is_valid_for_the_stock_frictionless_command(tuhulu_tables):
    """`frictionless validate datapackage.json`, as a statistician who receives the files runs it: the
    descriptor, every cell of the CSV files, primary and foreign keys."""
    import subprocess
    import sys

    meta = json.loads((tuhulu_tables / "datapackage.json").read_text(encoding="utf-8"))
    assert sorted(r["name"] for r in meta["resources"]) == TABLES
    fields = {r["name"]: {f["name"]: f for f in r["schema"]["fields"]} for r in meta["resources"]}
    assert fields["basic_items"]["pages"] == {
        **fields["basic_items"]["pages"],
        "type": "list",
        "itemType": "integer",
    }
    command = Path(sys.executable).parent / "frictionless"
    done = subprocess.run(
        [str(command), "validate", "datapackage.json"],
        cwd=tuhulu_tables,
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert done.returncode == 0, done.stdout[-3000:]
    assert done.stdout.count("VALID") == len(TABLES) and "INVALID" not in done.stdout


def test_tables_open_in_duckdb_and_join_on_their_keys(tuhulu_tables):
    import duckdb

    con = duckdb.connect()
    for name in TABLES:
        con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{tuhulu_tables / name}.parquet')")
    top = con.execute(
        """
        SELECT d.name, count(*) AS items
        FROM coordination_departments b JOIN departments d USING (department_id)
        GROUP BY d.name ORDER BY items DESC, d.name LIMIT 1
        """
    ).fetchone()
    assert top[1] > 5
    n = con.execute(
        "SELECT count(*) FROM basic_items JOIN townships USING (township_id) WHERE townships.township = '吐葫芦乡'"
    ).fetchone()[0]
    assert n == 107
    steps = con.execute(
        "SELECT count(*) FROM duty_steps s JOIN coordination_items c USING (item_id) WHERE NOT s.is_heading"
    ).fetchone()[0]
    assert steps > 500


def test_tables_open_in_pandas_without_warnings(tuhulu_tables):
    import warnings

    import pandas as pd

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for name in TABLES:
            pd.read_parquet(tuhulu_tables / f"{name}.parquet")
