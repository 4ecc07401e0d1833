"""Table values as text for people: lists joined by their separator, booleans, empty for null."""

from __future__ import annotations

from pipeline.normalize.schema import list_item_text, separator


def columns(table_spec: dict) -> list[dict]:
    return table_spec["columns"]


def as_text(value, col: dict) -> str:
    """A cell as the CSV files write it (the form datapackage.json declares)."""
    if value is None:
        return ""
    if col["type"].startswith("list"):
        return separator(col).join(list_item_text(v) for v in value)
    if col["type"] == "bool":
        return "true" if value else "false"
    return str(value)
