"""The column registry: every printed column of the lists, declared once in
pipeline/rules/lists.toml [columns.*].

A column's table there says how its header is printed (`names`, `contains`) and, unless it is
kept as printed (`extra = true`), what becomes of it: its field (the table's key), the kind of
value (`value`), the lists whose items have it (`lists`), where it stands in the item tables
(`after`), whether `changes` compares it (`compare`) and how the codebook describes it (`zh`,
`description`, `header`, per list `by_list`). From this come clean's output fields, the cell
reading (one value or paragraphs), normalize's item rows, the fields `changes` compares, and the
columns of the item tables in pipeline/normalize/schema.toml (so the Parquet schemas, CODEBOOK.md,
datapackage.json, the CSV files and the workbook). Adding a printed column is a rules edit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
import re

from pipeline.common.rules import RulesError, load, rules_path

# value → (type in the item tables, type in clean's output)
VALUES = {
    "number": ("int32", "int32"),  # the item number (序号): only [columns.seq]
    "text": ("string", "string"),  # one value: wrapped lines joined
    "paragraphs": ("string", "list"),  # paragraphs kept apart; joined by a newline in the tables
    "names": ("list<string>", "list"),  # a list of names, split at 、 and at line breaks
}
KEY = "seq"  # the column whose number identifies an item
EXTRA_FIELD = "extra_columns"  # where printed columns without a field of their own are kept
DESCRIBED = ("description", "header")  # what a column may word differently for one list


# Printed columns without a field of their own: kept with their items, under the header as printed.
EXTRA_PREFIX = "extra:"  # role of a printed column kept as printed: "extra:" + its header


def extra_role(header: str) -> str:
    """The role of a printed column without a field of its own: its header, as printed (no whitespace)."""
    return EXTRA_PREFIX + re.sub(r"\s+", "", header)


def extra_header(role: str) -> str | None:
    """The printed header of an extra column's role, or None for a declared role."""
    return role[len(EXTRA_PREFIX) :] if role.startswith(EXTRA_PREFIX) else None


def kept_as_extra(role: str) -> bool:
    """A declared column without a field of its own (`extra = true` in lists.toml)."""
    spec = load("lists")["columns"].get(role)
    return bool(spec and spec.get("extra"))


@dataclass(frozen=True)
class Column:
    """A printed column with a field of its own (see the module doc)."""

    field: str
    value: str
    lists: tuple[str, ...]
    after: str | None
    compare: bool
    zh: str
    description: str
    header: str
    by_list: dict[str, dict[str, str]]

    def schema_entry(self, kind: str) -> dict:
        """The column's entry in KIND's item table (pipeline/normalize/schema.toml's form)."""
        out: dict = {"name": self.field, "zh": self.zh, "type": VALUES[self.value][0]}
        if self.value == "text":
            out["nullable"] = True  # an empty cell, or a list without the column
        described = self.by_list.get(kind, {})
        out["description"] = described.get("description", self.description)
        out["header"] = described.get("header", self.header)
        return out


def _fail(key: str, message: str, path: Path | None = None) -> RulesError:
    return RulesError(f"{path or rules_path('lists')}: {key}: {message}")


@cache
def registry() -> tuple[Column, ...]:
    """The columns with a field of their own, in the order of lists.toml; checked against the
    lists and each other (a RulesError names the file and the key)."""
    return declared(load("lists"))


def declared(rules: dict, path: Path | None = None) -> tuple[Column, ...]:
    """The field columns of RULES (lists.toml's content, read from PATH: the shipped file unless
    given), checked (see `registry`)."""

    def fail(key: str, message: str) -> RulesError:
        return _fail(key, message, path)

    kinds = tuple(rules["lists"])
    out = []
    for role, spec in rules["columns"].items():
        where = f"columns.{role}"
        if spec.get("extra"):
            given = sorted(k for k in spec if k not in ("names", "contains", "extra"))
            if given:
                raise fail(f"{where}.{given[0]}", "a column kept in extra_columns has no field to describe")
            continue
        for key in ("value", "lists", "zh", "description"):
            if key not in spec:
                raise fail(f"{where}.{key}", "missing (or set extra = true to keep the column as printed)")
        if spec["value"] not in VALUES:
            raise fail(f"{where}.value", f"{spec['value']!r} is not one of {', '.join(VALUES)}")
        if (spec["value"] == "number") != (role == KEY):
            raise fail(f"{where}.value", f"only columns.{KEY} (the item number) is a number")
        for kind in spec["lists"]:
            if kind not in kinds:
                raise fail(f"{where}.lists", f"no list {kind!r} (lists: {', '.join(kinds)})")
        for kind, described in spec.get("by_list", {}).items():
            if kind not in spec["lists"]:
                raise fail(f"{where}.by_list.{kind}", f"the column is not in the {kind} list")
            unknown = sorted(set(described) - set(DESCRIBED))
            if unknown:
                raise fail(
                    f"{where}.by_list.{kind}.{unknown[0]}", f"unknown key (known: {', '.join(DESCRIBED)})"
                )
        if role == EXTRA_FIELD:
            raise fail(
                where, f"{EXTRA_FIELD} is where undeclared columns are kept; name the column otherwise"
            )
        out.append(
            Column(
                field=role,
                value=spec["value"],
                lists=tuple(spec["lists"]),
                after=spec.get("after"),
                compare=spec.get("compare", True),
                zh=spec["zh"],
                description=spec["description"],
                header=spec.get("header", spec["names"][0] if spec["names"] else spec["zh"]),
                by_list=spec.get("by_list", {}),
            )
        )
    _check_lists(rules, {c.field: c for c in out}, fail)
    return tuple(out)


def _check_lists(rules: dict, fields: dict[str, Column], fail: Callable[[str, str], RulesError]) -> None:
    """Every list's default columns are fields of that list; every column named elsewhere in the
    file is declared."""
    if KEY not in fields:
        raise fail(f"columns.{KEY}", "missing: the item number column")
    for kind, spec in rules["lists"].items():
        for role in spec["default_columns"]:
            if role not in fields or kind not in fields[role].lists:
                raise fail(f"lists.{kind}.default_columns", f"{role!r} is no field of the {kind} list")
        for role in spec["columns_any"]:
            if role not in rules["columns"]:
                raise fail(f"lists.{kind}.columns_any", f"no column {role!r}")
    for role in rules["detection"]["required_columns"]:
        if role not in fields:
            raise fail("detection.required_columns", f"no field column {role!r}")
    for role in rules["columns_order"]["contains_order"]:
        if role not in rules["columns"]:
            raise fail("columns_order.contains_order", f"no column {role!r}")


@cache
def fields(kind: str) -> tuple[Column, ...]:
    """The columns with a field in KIND's items, in registry order."""
    return tuple(c for c in registry() if kind in c.lists)


@cache
def _by_field() -> dict[str, Column]:
    return {c.field: c for c in registry()}


def column(field: str) -> Column | None:
    return _by_field().get(field)


@cache
def text_fields() -> frozenset[str]:
    """Fields read as one value (wrapped lines joined); every other printed cell keeps paragraphs."""
    return frozenset(c.field for c in registry() if c.value == "text")


@cache
def required_fields() -> frozenset[str]:
    """Fields every header names (lists.toml [detection] required_columns): an empty cell of one
    is kept empty ("") and reported, not left out."""
    return frozenset(load("lists")["detection"]["required_columns"])


def compared(kind: str) -> tuple[str, ...]:
    """The fields of KIND's items that `changes` compares, and the extra columns."""
    return (*(c.field for c in fields(kind) if c.compare), EXTRA_FIELD)


def item_columns(kind: str, table: list[dict], columns: tuple[Column, ...] | None = None) -> list[dict]:
    """KIND's item-table columns: TABLE (the table's columns in schema.toml) with the printed
    columns (COLUMNS, default the registry's) put in: each right after the column its `after`
    names (in registry order where several name one), the others where the table's `printed`
    entry stands."""
    own = [c for c in (registry() if columns is None else columns) if kind in c.lists]
    out = []
    for col in table:
        if col.get("printed") is None:
            out.append(col)
            continue
        out += [c.schema_entry(kind) for c in own if c.after is None]
    taken = [col["name"] for col in table if col.get("printed") is None]
    for c in own:
        if c.field in taken:
            raise _fail(
                f"columns.{c.field}", f"the {kind} items have a column {c.field} already; name it otherwise"
            )
    placed_after: dict[str, list[str]] = {}
    for c in own:
        if c.after is None:
            continue
        names = [col["name"] for col in out]
        if c.after not in names:
            raise _fail(f"columns.{c.field}.after", f"the {kind} items have no column {c.after!r}")
        chain = placed_after.setdefault(c.after, [])
        at = max(names.index(n) for n in [c.after, *chain]) + 1
        out.insert(at, c.schema_entry(kind))
        chain.append(c.field)
    return out


def compared_labels(item_tables: dict[str, list[dict]]) -> tuple[list[str], dict[str, str]]:
    """The values and Chinese labels of changes.field: every compared field, in registry order,
    then the extra columns; labels are the item tables' column names (zh)."""
    zh = {col["name"]: col.get("zh", col["name"]) for cols in item_tables.values() for col in cols}
    names = [c.field for c in registry() if c.compare] + [EXTRA_FIELD]
    return names, {n: zh[n] for n in names if n in zh}
